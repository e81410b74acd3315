"""Mail in a batch run: each message's records, written with the batch's own writers.

:mod:`klageformular.batch` owns the output files, the worker pool and the bookkeeping of
files; this module adds messages to it. For each message that :class:`~.intake.MailIntake`
admits, every PDF attachment becomes a task for the workers (its record carries the
message's ``message_id``, ``from``, ``subject``, ``date``, ``received`` and the list of the
other attachments). When the last of them has settled, the message is settled too: it had a
form, or it becomes a plain-email complaint (``method: "email"``, ``needs_review``) that lists
its attachments — a PDF that is not the form is one of them, not a rejected file.
Duplicates, unreadable messages and auto-replies are settled at once.

Summary: ``inputs`` counts what got a line — each PDF attachment that was a form (or an
unreadable PDF), each message that settled on its own — and ``set_aside`` joins the
invariant; ``mail`` holds the message and attachment counts with their own invariants.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .exceptions import ConfigurationError
from .intake import (
    Admitted,
    ImapMailbox,
    MailIntake,
    MailLimits,
    RawMessage,
    email_complaint,
    is_maildir,
    mail_kind,
    maildir_messages,
    mbox_messages,
    receipt_day,
)
from .workdays import acknowledge_by

if TYPE_CHECKING:
    from .batch import _Run

__all__ = ["MailDesk", "MailOptions", "is_imap_url", "mail_source"]


def is_imap_url(inbox: object) -> bool:
    """``imap://…`` or ``imaps://…``."""
    return isinstance(inbox, str) and inbox.startswith(("imap://", "imaps://"))


@dataclass(frozen=True)
class MailOptions:
    """How a batch run reads mail: limits, and for IMAP the password and what to do with read messages."""

    limits: MailLimits = field(default_factory=MailLimits)
    imap_password: str | None = None
    mark_seen: bool = False
    move_to: str | None = None


@contextmanager
def mail_source(inbox: str | os.PathLike[str], options: MailOptions, done: set[str]
                ) -> Iterator[tuple[str, Iterable[RawMessage]] | None]:
    """The messages of an mbox file, a Maildir or an IMAP folder, with a name for the summary;
    None for an ordinary folder (its mail files are found by the folder walk).
    """
    if is_imap_url(inbox):
        if options.imap_password is None:
            raise ConfigurationError("an IMAP source needs a password (KLAGEFORMULAR_IMAP_PASSWORD or the prompt)")
        with ImapMailbox(str(inbox), options.imap_password, mark_seen=options.mark_seen,
                         move_to=options.move_to) as box:
            yield str(box.url), box.messages(done, max_bytes=options.limits.max_message_bytes)
        return
    path = Path(inbox).resolve()
    if path.is_file():
        if mail_kind(path) != "mbox":
            raise ConfigurationError(f"{inbox} is a file but not an mbox mailbox")
        yield str(path), mbox_messages(path)
    elif path.is_dir() and is_maildir(path):
        yield str(path), maildir_messages(path)
    else:
        yield None


@dataclass
class _Pending:
    admitted: Admitted
    left: int  # PDF items not settled yet
    forms: int = 0
    documents: list[str] = field(default_factory=list)  # attachment names listed on an email complaint


class MailDesk:
    """The messages of one batch run; ``run`` is the batch's bookkeeping (writers, counters)."""

    def __init__(self, run: _Run, options: MailOptions) -> None:
        self.run, self.options = run, options
        self.intake = MailIntake(run.out, limits=options.limits)
        self.items: dict[str, str] = {}  # source of a PDF item -> key of its message
        self.pending: dict[str, _Pending] = {}
        self.form_shas = _complaint_shas(run.out / "complaints.jsonl")

    @property
    def done_keys(self) -> set[str]:
        """Resume keys of messages earlier runs settled (IMAP skips fetching them)."""
        return self.intake.done_keys

    def tasks(self, messages: Iterable[RawMessage], done: set[str]) -> Iterator[Any]:
        """Admit each message; yield a worker task per PDF attachment, settle the rest here."""
        for raw in messages:
            admitted = self.intake.admit(raw)
            self._receipt_override(admitted)
            verdict = admitted.verdict
            if verdict == "skipped":
                self._count("skipped", admitted.record)
                self.intake.settle(admitted, "skipped")
            elif verdict == "duplicate":
                self.run.summary.inputs += 1
                self.run._duplicate(admitted.record | {"duplicate_of": admitted.duplicate_of,
                                                       "duplicate_kind": "same_message", "reason": admitted.reason})
                self.intake.settle(admitted, "duplicate")
            elif verdict == "unreadable":
                self._unreadable(admitted)
            elif verdict == "set_aside":
                self._count("set_aside", admitted.record, admitted.reason)
                self.intake.settle(admitted, "set_aside")
            elif not admitted.pdfs:
                self._email(admitted, [])
            else:
                yield from self._pdf_tasks(admitted, done)

    def _pdf_tasks(self, admitted: Admitted, done: set[str]) -> Iterator[Any]:
        key = admitted.raw.key
        self.pending[key] = pending = _Pending(admitted, len(admitted.pdfs))
        listing = admitted.record["attachments"]
        names = [entry["name"] or entry["sha256"][:12] for entry in listing]
        tasks = []
        for number, (attachment, path) in enumerate(admitted.pdfs, 1):
            name = attachment.name or f"attachment-{number}.pdf"
            source = f"{admitted.raw.source}/{name}"
            while source in self.items:  # two attachments of one message with the same name
                source = f"{admitted.raw.source}/{number}-{name}"
            self.items[source] = key
            others = [e for e in listing if e["sha256"] != attachment.sha256]
            record = admitted.record | {"source": source, "sha256": attachment.sha256, "attachments": others}
            pending.documents = names
            tasks.append((path, attachment.sha256, record))
        for path, digest, record in tasks:
            task = self.run._admit(path, record, digest, done)
            if task is not None:
                yield task

    def _receipt_override(self, admitted: Admitted) -> None:
        chosen = self.run.received
        if chosen == "today":
            admitted.record["received"] = date.today().isoformat()
        elif isinstance(chosen, date):
            admitted.record["received"] = chosen.isoformat()

    def _acknowledge(self, received: str) -> str:
        org = self.run.org
        return acknowledge_by(receipt_day(received), org.acknowledge_working_days, org.holiday_country).isoformat()

    def _count(self, outcome: Any, record: dict[str, Any], reason: str | None = None) -> None:
        self.run.summary.inputs += 1
        self.run._count(outcome, record, reason)

    def _unreadable(self, admitted: Admitted) -> None:
        record = admitted.record | {"acknowledge_by": self._acknowledge(admitted.received)}
        quarantined = None
        if admitted.raw.data is not None:
            quarantined = _quarantine(self.run.out, admitted.raw.data,
                                      ".msg" if admitted.raw.kind == "msg" else ".eml")
        limit = (admitted.error or "") == "MailLimitExceededError"
        self.run.summary.inputs += 1
        self.run._reject(record | {"sha256": record.get("sha256"), "quarantine": quarantined},
                         "resource limit" if limit else "unreadable", admitted.error or "MailReadError",
                         admitted.reason or "cannot read the message")
        self.intake.settle(admitted, "unreadable")

    def _email(self, admitted: Admitted, documents: list[str]) -> None:
        """A message without a form: a complaint to review, with its text and attachments."""
        assert admitted.message is not None
        complaint, review = email_complaint(admitted.message, documents=documents)
        warnings = [{"code": "mail", "path": None, "message": p} for p in admitted.message.problems]
        record = admitted.record | {
            "method": "email", "form_version": None, "language": None, "organisation": self.run.org.key,
            "status": "needs_review", "complaint": complaint, "review": review, "warnings": warnings,
            "content_key": None, "acknowledge_by": self._acknowledge(admitted.received)}
        self.run.complaints.write(record)
        self._count("accepted", record)
        self.intake.settle(admitted, "email")

    # -- hooks from the batch bookkeeping ----------------------------------------------------------

    def is_document(self, record: dict[str, Any], reply: dict[str, Any]) -> bool:
        """A PDF attached to a message that is not the form: listed on the message, not rejected."""
        if record["source"] not in self.items or reply.get("error") != "NotAKlageformularError":
            return False
        self._item_settled(record["source"], record.get("sha256"), "document")
        return True

    def counted(self, record: dict[str, Any], outcome: str, reason: str | None) -> None:
        """Every line the batch writes passes here; a message's last PDF settles the message."""
        source, digest = record["source"], record.get("sha256")
        is_form = outcome == "accepted" or (outcome == "rejected" and reason == "invalid")
        if is_form and record.get("method") != "email":
            self.form_shas.add(str(digest))  # any form, also a file's: attachments with its bytes are forms too
        if source not in self.items:
            return
        self.run.summary.inputs += 1
        # A skipped or duplicate attachment is a form when its bytes were one (here or in an earlier run).
        copy_of_form = outcome in ("skipped", "duplicate") and digest in self.form_shas
        self._item_settled(source, digest, "form" if is_form or copy_of_form else "other")

    def _item_settled(self, source: str, digest: str | None, kind: str) -> None:
        pending = self.pending[self.items.pop(source)]
        pending.left -= 1
        pending.forms += kind == "form"
        if pending.left:
            return
        del self.pending[pending.admitted.raw.key]
        if pending.forms:
            self.intake.settle(pending.admitted, "form")
        else:
            self._email(pending.admitted, pending.documents)

    def finish(self) -> None:
        """Close the ledger and add the mail counts to the summary."""
        self.intake.close()
        self.run.summary.mail = asdict(self.intake.counts)


def _complaint_shas(path: Path) -> set[str]:
    shas: set[str] = set()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                digest = json.loads(line).get("sha256")
            except ValueError:
                continue
            if isinstance(digest, str):
                shas.add(digest)
    return shas


def _quarantine(out: Path, data: bytes, suffix: str) -> str:
    import hashlib

    folder = out / "quarantine"
    folder.mkdir(exist_ok=True)
    target = folder / f"{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
    if not target.exists():
        partial = target.with_name(target.name + ".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        partial.replace(target)
    return target.relative_to(out).as_posix()
