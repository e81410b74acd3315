"""Mail in a batch run: each message's records, written with the batch's own writers.

:mod:`klageformular.batch` owns the output files, the worker pool and the bookkeeping of
files; this module adds messages to it. Every message a source delivers is read first — in
a worker process, under the batch's deadline and memory ceiling (:mod:`.intake._read`) —
and admitted in the source's order (:class:`~.intake.MailIntake`: attachments saved,
duplicates, auto-replies and unreadable messages recognised), then, after the folder's plain
files and in receipt order (ties by the source's numbers: ``#9`` before ``#11``), each
message gives the batch one entry per PDF attachment (its record carries the message's
``message_id``, ``from``, ``subject``, ``date``, ``received`` and the other attachments)
followed by an entry of its own. The batch settles entries in order, so when the message's
own entry settles its PDFs have: it had a form, or it becomes a plain-email complaint
(``method: "email"``, ``needs_review``) listing its attachments — a PDF that is not the form
is one of them, not an unreadable file. So is a PDF that cannot be read at all (a scan, a
password): a message is one case whatever it carries, and such a PDF is listed on its
record marked ``unreadable`` with the reason.

Summary: ``inputs`` counts what gets a line (a message whose form has the line, and a PDF
that is only listed, do not), ``set_aside`` joins the invariant, and ``mail`` holds the
message and attachment counts with their own invariants.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import ChainMap
from collections.abc import Callable, Container, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from itertools import chain
from pathlib import Path
from typing import Any

from ._entry import Books, Entry
from ._files import write_private
from ._limits import Limits
from ._pool import Failed, Parsed, Reply, WorkerPool
from .exceptions import ConfigurationError, NotAKlageformularError
from .intake import (
    Admitted,
    ImapMailbox,
    MailIntake,
    MailLimits,
    RawMessage,
    email_complaint,
    file_messages,
    is_maildir,
    mail_kind,
    maildir_messages,
    mbox_messages,
    receipt_day,
)
from .intake._book import ATTACHMENTS
from .intake._message import MailMessage
from .intake._read import message_from_json
from .intake._sources import MailKind
from .records import AttachedFile

__all__ = ["MailDesk", "MailOptions", "is_imap_url", "mail_source", "natural_key"]

_READING = ".reading"  # messages waiting for a worker, one private file each


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
def mail_source(inbox: str | os.PathLike[str], options: MailOptions, done: Container[str]
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


class MailDesk:
    """The messages of one batch run; ``run`` is the batch's bookkeeping (writers, counters, state)."""

    def __init__(self, run: Books, options: MailOptions, *, stop: Callable[[], bool] | None = None) -> None:
        self.run, self.options, self.stop = run, options, stop
        self.intake = MailIntake(run.out, limits=options.limits)
        self.attached: set[int] = set()  # entry indexes of PDFs attached to a message
        # … of those that turned out not to be a readable form: why it could not be read (None: another PDF)
        self.documents: dict[int, str | None] = {}
        self.held: set[int] = set()  # … of those read as a form, written when their message settles
        self.form_shas = run.state.form_shas

    @property
    def done_keys(self) -> Container[str]:
        """Resume keys of messages earlier runs settled (IMAP skips fetching them)."""
        return self.intake.done_keys

    def split(self, files: Iterator[Path], source: tuple[str, Iterable[RawMessage]] | None
              ) -> tuple[Iterator[Path], Iterable[RawMessage]]:
        """The plain files to parse, and the messages: a mailbox's, or those of a folder's mail files."""
        if source is not None:
            self.run.set_inbox(source[0])
            return iter(()), source[1]
        plain: list[Path] = []
        mail: list[tuple[Path, MailKind]] = []
        for path in files:
            kind = mail_kind(path)
            if kind is None:
                plain.append(path)
            else:
                mail.append((path, kind))
        # By path: of two copies of one message (an .eml and its mbox copy), the first path is the original.
        mail.sort(key=lambda item: self.run.relative(item[0]))
        messages = chain.from_iterable(file_messages(path, self.run.relative(path), kind) for path, kind in mail)
        return iter(plain), messages

    def entries(self, messages: Iterable[RawMessage], files: list[Entry], *, limits: Limits,
                workers: int) -> list[Entry]:
        """Read every message; in receipt order, each message's PDFs to parse, then its own entry.

        The message's entry settles after its attachments (the batch settles in order), and
        decides then: a form was among them, or it is a plain-email complaint.
        """
        state = self.run.state
        first = ChainMap[str, str]({}, state.by_sha)  # sha256 -> source of the first file with those bytes
        for entry in files:
            digest = entry.record.sha256
            if digest and not (entry.skipped or entry.duplicate_of):
                first.setdefault(digest, entry.record.source)
        admitted = list(self._read(messages, limits, workers))
        admitted.sort(key=_receipt_order)
        result: list[Entry] = []
        index = len(files)
        for item in admitted:
            day = receipt_day(item.received)
            pdfs: list[Entry] = []
            listing = item.record.attachments or []
            for number, (attachment, path) in enumerate(item.pdfs if item.verdict == "parse" else [], 1):
                source = f"{item.raw.source}/{attachment.name or f'attachment-{number}.pdf'}"
                others = [a for a in listing if a.sha256 != attachment.sha256]
                entry = Entry(index, path, item.record.with_(source=source, sha256=attachment.sha256,
                                                             attachments=others), day)
                if (source, attachment.sha256) in state.settled:
                    entry.skipped = True
                elif attachment.sha256 in first:
                    entry.duplicate_of = (first[attachment.sha256], attachment.sha256)
                else:
                    first[attachment.sha256] = source
                self.attached.add(index)
                pdfs.append(entry)
                index += 1
            result += [*pdfs, Entry(index, Path(item.raw.source), item.record, day, message=(item, pdfs))]
            index += 1
        return result

    def _read(self, messages: Iterable[RawMessage], limits: Limits, workers: int) -> Iterator[Admitted]:
        """Every message admitted in the source's order, each read in a worker process.

        The worker has the batch's deadline and memory ceiling: a message that would make the
        ``email`` package run for minutes or take gigabytes ends as an unreadable line. The main
        process keeps one message's bytes at a time; the others wait in private files.
        """
        folder = self.run.out / _READING
        waiting: dict[int, tuple[RawMessage, Path | None]] = {}
        replies: dict[int, Reply] = {}
        order = 0

        def tasks() -> Iterator[tuple[int, str, date]]:
            nonlocal order
            for number, raw in enumerate(messages):
                if self.stop is not None and self.stop():
                    return  # asked to stop: the messages not read yet wait for the next run
                path = None
                if self.intake.needs_reading(raw):
                    assert raw.data is not None
                    folder.mkdir(mode=0o700, exist_ok=True)
                    path = folder / f"{number}{'.msg' if raw.kind == 'msg' else '.eml'}"
                    write_private(path, raw.data)
                    raw.data = None
                waiting[number] = (raw, path)
                if path is not None:
                    yield number, str(path), date.today()
                else:
                    replies[number] = Failed(None, "", "")  # not read: admit decides (skipped, never fetched)

        reader = ("klageformular.intake._read:read_saved",
                  {"limits": asdict(self.options.limits), "attachments": str(self.run.out / ATTACHMENTS)})
        pool: WorkerPool[int] = WorkerPool(workers, limits=limits, reader=reader)
        try:
            with pool:
                for number, reply in chain(pool.run(tasks()), [(-1, Failed(None, "", ""))]):
                    if number >= 0:
                        replies[number] = reply
                    while order in replies and order in waiting:
                        raw, path = waiting.pop(order)
                        yield self._admit(raw, path, replies.pop(order))
                        order += 1
            while order in waiting:  # the last ones need no worker
                raw, path = waiting.pop(order)
                yield self._admit(raw, path, replies.pop(order))
                order += 1
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _admit(self, raw: RawMessage, path: Path | None = None, reply: Reply | None = None) -> Admitted:
        read: MailMessage | tuple[str, str] | None = None
        if isinstance(reply, Failed) and reply.error is None and reply.name == "OSError":
            # The worker could not save an attachment: the disk is full. The batch stops with its
            # one line (exit 3); the message stays unread, so the next run reads it.
            number = int(reply.message)
            raise OSError(number, os.strerror(number))
        if path is not None:
            raw.data = path.read_bytes()
            path.unlink()
            if isinstance(reply, Parsed):
                read = message_from_json(reply.result)
            elif isinstance(reply, Failed):
                read = (_mail_error(reply), reply.message)
        admitted = self.intake.admit(raw, read)
        chosen = self.run.received  # --received today / a date overrides the message's own time
        if chosen == "today":
            admitted.record = admitted.record.with_(received=date.today().isoformat())
        elif isinstance(chosen, date):
            admitted.record = admitted.record.with_(received=chosen.isoformat())
        return admitted

    # -- settling, called by the batch in receipt order -------------------------------------------------

    def settles(self, entry: Entry) -> bool:
        """Settle a message's own entry, or a PDF attached to one that is not a readable form (a
        document of the message's case, listed on its record); False for everything else, which
        the batch settles itself.
        """
        reply = entry.reply
        if isinstance(reply, Parsed):
            self.form_shas.add(str(entry.record.sha256))
        if entry.message is not None:
            self._message(entry)
            return True
        if entry.index in self.attached and isinstance(reply, Parsed):
            # A form: its line waits for its message's entry (next after its PDFs), which knows by
            # then which of the other PDFs could not be read, to mark them on the listing.
            self.held.add(entry.index)
            return True
        if entry.index in self.attached and isinstance(reply, Failed):
            # Not the form (a letter, a statement) or not readable (a scan, a password, a timeout):
            # either way a document of the message's one case, never a case of its own.
            not_form = reply.error is not None and issubclass(reply.error, NotAKlageformularError)
            self.documents[entry.index] = None if not_form else reply.message
            self.run.no_line()
            return True
        return False

    def _message(self, entry: Entry) -> None:
        item, pdfs = entry.message
        run, record = self.run, entry.record
        if item.verdict != "parse" or record.file_key in run.state.settled:
            for pdf in pdfs:  # a form held for a message that settles otherwise still gets its line, first
                if pdf.index in self.held:
                    self.held.discard(pdf.index)
                    run.form(pdf)
        if item.verdict == "skipped":
            run.count("skipped", record)
            self.intake.settle(item, "skipped")
        elif record.file_key in run.state.settled:
            # A run stopped between this message's line and its ledger line: the line stands.
            run.count("skipped", record)
            self.intake.settle(item, "recovered")
        elif item.verdict == "duplicate":
            assert item.duplicate_of is not None
            # Point at the record that stands for the first copy (its form's complaint), not the message.
            original = self.intake.primary.get(item.duplicate_of[0], item.duplicate_of)
            run.write(record.with_(acknowledge_by=run.acknowledge(entry.received), reason=item.reason,
                                   duplicate_of=original[0], duplicate_of_sha256=original[1],
                                   duplicate_kind="same_message"), "duplicate", "same_message")
            self.intake.settle(item, "duplicate")
        elif item.verdict == "unreadable":
            self._unreadable(entry, item)
        elif item.verdict == "set_aside":
            # A line in set_aside.jsonl, not a case: the register links it to our letter it answers, if any.
            run.write(record, "set_aside", (item.reason or "").split(" (")[0])
            self.intake.settle(item, "set_aside")
        elif forms := [pdf for pdf in pdfs if self._is_form(pdf)]:
            listing = self._listing(entry)
            for form in forms:
                if form.index in self.held:
                    self.held.discard(form.index)
                    form.record = form.record.with_(attachments=[a for a in listing if a.sha256 != form.record.sha256])
                    run.form(form)
            run.no_line()  # its forms have the lines
            self.intake.settle(item, "form", record=self._standing(forms[0]))
        else:
            self._email(entry, item)

    def _standing(self, entry: Entry) -> tuple[str, str]:
        """The complaint line a form's entry ended in: its own, or the original it duplicates."""
        if entry.duplicate_of:
            return entry.duplicate_of
        if entry.skipped and (earlier := self.run.state.copy_of.get(entry.record.file_key)) is not None:
            return earlier  # settled as a copy by a run that stopped before the message's ledger line
        key = entry.reply.result.get("content_key") if isinstance(entry.reply, Parsed) else None
        own = (entry.record.source, str(entry.record.sha256))
        original = self.run.state.by_key.get(key) if key else None
        return original if original is not None else own

    def _is_form(self, entry: Entry) -> bool:
        if entry.index in self.documents:
            return False
        if entry.reply is not None:
            return isinstance(entry.reply, Parsed)
        # A copy of bytes read before (here or in an earlier run) is a form when those were one.
        return bool((entry.skipped or entry.duplicate_of) and entry.record.sha256 in self.form_shas)

    def _unreadable(self, entry: Entry, item: Admitted) -> None:
        reason = {"MailLimitExceededError": "resource limit", "WorkerCrashedError": "resource limit",
                  "ParseTimeoutError": "timeout"}.get(item.error or "", "unreadable")
        message = item.reason or "cannot read the message"
        # The message's bytes are in quarantine/ already (MailIntake), unless never fetched.
        record = entry.record.with_(acknowledge_by=self.run.acknowledge(entry.received), sha256=entry.record.sha256,
                                    quarantine=entry.record.quarantine, status="unreadable", reason=reason,
                                    error=item.error, message=message)
        self.run.write(record, "unreadable", reason, message)
        self.intake.settle(item, "unreadable", record=(record.source, str(record.sha256)))

    def _email(self, entry: Entry, item: Admitted) -> None:
        """A message without a form: a complaint to review, with its text and attachments."""
        assert item.message is not None
        listing = self._listing(entry)
        names = [a.name or (a.sha256 or "")[:12] for a in listing]
        complaint, review = email_complaint(item.message, documents=names)
        warnings = [{"code": "mail", "path": None, "message": p} for p in item.message.problems]
        record = entry.record.with_(
            acknowledge_by=self.run.acknowledge(entry.received), method="email", form_version=None, language=None,
            page_count=0, organisation=self.run.org.key, status="needs_review", warnings=warnings, review=review,
            content_key=None, complaint=complaint, **({"attachments": listing} if entry.record.attachments else {}))
        self.run.write(record, "needs_review", message=f"a plain email ({len(review)} item(s) to review)")
        self.intake.settle(item, "email", record=(record.source, str(record.sha256)))

    def _listing(self, entry: Entry) -> list[AttachedFile]:
        """The message's attachments, each PDF that could not be read marked ``unreadable`` with the reason."""
        _, pdfs = entry.message
        unreadable = {pdf.record.sha256: self.documents[pdf.index] for pdf in pdfs if pdf.index in self.documents}
        return [_marked(a, unreadable.get(a.sha256)) for a in entry.record.attachments or []]

    def finish(self) -> dict[str, Any]:
        """Close the ledger; the mail counts for the summary."""
        self.intake.close()
        return asdict(self.intake.counts)


def _mail_error(reply: Failed) -> str:
    """The error type on an unreadable message's line; a worker's deadline reads "reading took longer"."""
    return reply.name if reply.error is not None else "MailReadError"


def _receipt_order(item: Admitted) -> tuple[float, tuple[tuple[str, int], ...], int]:
    """By receipt, then by the source with its numbers as numbers ("#9" before "#11", "uid 9" before "uid 10")."""
    try:
        when = datetime.fromisoformat(item.received)
        stamp = when.timestamp() if when.tzinfo else when.replace(tzinfo=UTC).timestamp()
    except (ValueError, OverflowError):
        stamp = 0.0
    return stamp, natural_key(item.raw.source), item.raw.position


def natural_key(text: str) -> tuple[tuple[str, int], ...]:
    """``text`` split into runs of non-digits and numbers, for an order where 9 comes before 11.

    >>> sorted(["klager.mbox#11", "klager.mbox#9"], key=natural_key)
    ['klager.mbox#9', 'klager.mbox#11']
    """
    return tuple((chunk, 0) if not chunk.isdigit() else ("", int(chunk))
                 for chunk in re.split(r"(\d+)", text) if chunk)


def _marked(attachment: AttachedFile, reason: str | None) -> AttachedFile:
    """An attached file, marked ``unreadable`` with the reason when it is a PDF that could not be read as the form."""
    if reason is None or attachment.unreadable is not None:
        return attachment
    return attachment.model_copy(update={"unreadable": reason})
