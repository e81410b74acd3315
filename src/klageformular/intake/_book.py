"""The mail desk of one batch run: what each received message becomes, written down once.

:class:`MailIntake` reads each :class:`RawMessage` a source delivers and decides:

- already read by an earlier run (its resume key is in ``messages.jsonl``): skipped;
- the same message as one read before (the same bytes, or the same ``Message-ID`` with the same
  sender, subject, ``Date``, text and attachments — a copy in another mailbox): a duplicate. A
  ``Message-ID`` is the sender's claim: the same ID on another message (a contact-form tool
  that sends a fixed one) is kept as a message of its own, flagged ``message_id_collision``;
- cannot be read (over a limit, a broken ``.msg``): unreadable — the bytes go to quarantine;
- an auto-reply or delivery report (RFC 3834 ``Auto-Submitted``, ``multipart/report``): set aside, its
  line in ``set_aside.jsonl`` (the register links one that answers a letter of ours);
- otherwise its PDFs are handed on to be parsed; once they are, the message has a form, or
  it is a plain-email complaint (:func:`email_complaint`).

Every attachment is saved once under ``OUT/attachments/<sha256>`` (mode 0600; too large ones
are listed only), and so is the message itself, so a record never depends on the mailbox.
``messages.jsonl`` gets one line per message when it is settled — the resume ledger. A run
reads what earlier runs settled through the folder's index (:class:`~klageformular._index.LedgerIndex`),
which reads only the ledger lines added since the last run: a run costs what is new, not the
folder's history. Logs name messages by hash only.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from .._files import JsonLines, make_private_dir, repair_lines, write_private
from .._index import Known, KnownSet, LedgerIndex, Messages
from ..exceptions import MailReadError
from ..records import ATTACHMENTS, LEDGER, QUARANTINE, AttachedFile, Record
from ._message import Attachment, MailLimits, MailMessage, read_message
from ._msg import read_msg
from ._sources import RawMessage

__all__ = ["ATTACHMENTS", "LEDGER", "Admitted", "MailCounts", "MailIntake", "receipt_day"]

log = logging.getLogger("klageformular.intake")

Verdict = Literal["parse", "set_aside", "duplicate", "skipped", "unreadable"]
# "recovered": its line was written by a run that stopped before the ledger line.
Settled = Literal["form", "email", "set_aside", "duplicate", "skipped", "unreadable", "recovered"]
_OFFICE = ZoneInfo("Europe/Copenhagen")  # Copenhagen, Oslo and Stockholm share the time zone


def receipt_day(received: str) -> date:
    """The day of receipt for a deadline: an ISO date as is, a datetime as the day in Scandinavia.

    >>> receipt_day("2026-11-23"), receipt_day("2026-11-23T23:30:00-05:00")
    (datetime.date(2026, 11, 23), datetime.date(2026, 11, 24))
    """
    if "T" not in received:
        return date.fromisoformat(received)
    when = datetime.fromisoformat(received)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(_OFFICE).date()


@dataclass
class MailCounts:
    """Per run: ``messages`` is the sum of the outcomes; ``attachments == saved + too large``."""

    messages: int = 0
    with_form: int = 0
    email_complaints: int = 0
    set_aside: int = 0
    duplicates: int = 0
    already_done: int = 0
    unreadable: int = 0
    attachments: int = 0
    attachments_saved: int = 0
    attachments_too_large: int = 0
    set_aside_by_reason: dict[str, int] = field(default_factory=dict)


@dataclass
class Admitted:
    """One message after :meth:`MailIntake.admit`: the verdict and the fields every record of it carries."""

    raw: RawMessage
    verdict: Verdict
    message: MailMessage | None = None
    reason: str | None = None  # why set aside, unreadable or a duplicate (no values)
    error: str | None = None  # the error type when unreadable
    duplicate_of: tuple[str, str] | None = None  # (source, sha256) of the message read before
    record: Record = field(default_factory=Record)  # source, received, message_id, from, subject, date …
    pdfs: list[tuple[Attachment, Path]] = field(default_factory=list)  # saved PDFs to parse

    @property
    def received(self) -> str:
        """``received`` as written on every record of this message (ISO datetime with offset)."""
        return str(self.record.received)


class MailIntake:
    """Reads messages for one run into ``out``; see the module docstring for what becomes of each."""

    def __init__(self, out: Path, *, limits: MailLimits | None = None, now: datetime | None = None) -> None:
        self.out, self.limits = out, limits or MailLimits()
        self.now = now or datetime.now(UTC)
        self.counts = MailCounts()
        # What earlier runs settled comes from the folder's index of the ledger, which reads only
        # the lines added since the last run (_index.py); this run's additions are held on top.
        repair_lines(self.out / LEDGER)  # a crash mid-write: cut off the half line (reads the tail only)
        self.index = LedgerIndex(self.out)
        self.index.update()
        self.done_keys: KnownSet[str] = KnownSet(self.index.is_done)
        # Message-ID -> (fingerprint, (source, sha256)) of each message read with it; None: a ledger
        # line from before fingerprints (taken as the same message, as it was then)
        self.by_id: Known[str, Messages] = Known(self.index.with_id)
        self.by_sha: Known[str, tuple[str, str]] = Known(self.index.first_with_sha)  # sha256 -> (source, sha256)
        # message source -> (source, sha256) of the record that stands for it: the complaint read
        # from its form, or its own line (a later copy of the message points there)
        self.primary: Known[str, tuple[str, str]] = Known(self.index.standing_for)
        self.fingerprints: dict[str, str] = {}  # message source -> fingerprint, for its ledger line
        self.ledger = JsonLines(self.out / LEDGER)

    def needs_reading(self, raw: RawMessage) -> bool:
        """Whether :meth:`admit` reads the message's bytes (not one done before, nor one never fetched)."""
        return raw.key not in self.done_keys and raw.data is not None

    def admit(self, raw: RawMessage, read: MailMessage | tuple[str, str] | None = None) -> Admitted:
        """Decide what happens to one message (attachments saved, PDFs to parse listed).

        ``read`` is the message as a worker process read it (its attachments saved already), or
        the (error type, reason) that stopped the worker; None reads it here.
        """
        self.counts.messages += 1
        base = Record(source=raw.source, received=self._when(None, raw).isoformat(),
                      received_from=self._when_from(None, raw))
        if raw.key in self.done_keys:
            return Admitted(raw, "skipped", record=base)
        if raw.data is None:  # IMAP: too large to fetch, or the server sent nothing
            reason = raw.error or "not fetched"
            error = "MailLimitExceededError" if "limit" in reason else "MailReadError"
            return Admitted(raw, "unreadable", reason=reason, error=error, record=base)
        if isinstance(read, tuple):
            return Admitted(raw, "unreadable", reason=read[1], error=read[0],
                            record=base.with_(**self._quarantine(raw)))
        try:
            message = read or (read_msg if raw.kind == "msg" else read_message)(raw.data, limits=self.limits)
        except MailReadError as exc:
            return Admitted(raw, "unreadable", reason=str(exc), error=type(exc).__name__,
                            record=base.with_(**self._quarantine(raw)))
        except Exception as exc:  # the email package on truly hostile input: unreadable, not a crash
            return Admitted(raw, "unreadable", reason=f"broken message ({type(exc).__name__})",
                            error="MailReadError", record=base.with_(**self._quarantine(raw)))
        message.with_file_time(raw.file_time, kind=raw.time_kind, now=self.now)
        record = base.with_(**self._fields(message, raw))
        fingerprint = _fingerprint(message)
        claimed = self.by_id.get(message.message_id, []) if message.message_id else []
        same_id = next((first for known, first in claimed if known in (None, fingerprint)), None)
        earlier = self.by_sha.get(message.sha256) or same_id
        if earlier is not None:
            kind = "same bytes" if message.sha256 in self.by_sha else "same Message-ID"
            raw.data, message.attachments = None, []  # a run holds every message: keep only what is needed
            return Admitted(raw, "duplicate", message, reason=kind, duplicate_of=earlier, record=record)
        if claimed:  # the same ID on another message: the sender's claim, not our identity
            record = record.with_(message_id_collision=True)
        if message.message_id:
            self.by_id[message.message_id] = [*self.by_id.get(message.message_id, []),
                                              (fingerprint, (raw.source, message.sha256))]
        self.fingerprints[raw.source] = fingerprint
        self.by_sha[message.sha256] = (raw.source, message.sha256)
        record = record.with_(message_file=self._save(raw.data, message.sha256))
        listing: list[AttachedFile] = []
        pdfs: list[tuple[Attachment, Path]] = []
        for attachment in message.attachments:
            self.counts.attachments += 1
            entry = attachment.to_dict()
            if attachment.saved is not None:  # by the worker that read the message
                self.counts.attachments_saved += 1
                entry["path"] = attachment.saved
                if attachment.is_readable:  # a PDF, or a photo or scan of the printed form
                    pdfs.append((attachment, self.out / attachment.saved))
            elif attachment.note and not attachment.data:
                self.counts.attachments_too_large += 1
                entry["path"] = None
            else:
                self.counts.attachments_saved += 1
                entry["path"] = self._save(attachment.data, attachment.sha256)
                if attachment.is_readable:  # a PDF, or a photo or scan of the printed form
                    pdfs.append((attachment, self.out / entry["path"]))
            listing.append(AttachedFile.model_validate(entry))
        record = record.with_(attachments=listing)
        # Saved: a run holds every message until its records are written, so not their bytes.
        raw.data = None
        message.attachments = [replace(a, data=b"") for a in message.attachments]
        pdfs = [(replace(a, data=b""), path) for a, path in pdfs]
        if message.problems:
            record = record.with_(mail_problems=message.problems)
        if message.automatic:
            # Its line goes to set_aside.jsonl: the register links it to our letter it answers, if any.
            record = record.with_(automatic=message.automatic, quoted_ids=message.quoted_ids,
                                  **({"delivery_status": message.delivery_status} if message.delivery_status else {}))
            return Admitted(raw, "set_aside", message, reason=message.automatic, record=record)
        return Admitted(raw, "parse", message, record=record, pdfs=pdfs)

    def _quarantine(self, raw: RawMessage) -> dict[str, Any]:
        """The unreadable message's bytes in ``quarantine/`` (the source may not keep them: IMAP --move-to)."""
        assert raw.data is not None
        digest = _sha(raw.data)
        folder = self.out / QUARANTINE
        make_private_dir(folder)
        target = folder / f"{digest[:16]}{'.msg' if raw.kind == 'msg' else '.eml'}"
        if not target.exists():
            write_private(target, raw.data)
        raw.data = None
        return {"sha256": digest, "quarantine": target.relative_to(self.out).as_posix()}

    def _when(self, message: MailMessage | None, raw: RawMessage) -> datetime:
        if message is not None and message.received is not None:
            return message.received
        return raw.file_time or self.now

    def _when_from(self, message: MailMessage | None, raw: RawMessage) -> str:
        """Where ``received`` came from: date, received (header), server, file or now."""
        if message is not None and message.received is not None and message.received_from is not None:
            return message.received_from
        return raw.time_kind if raw.file_time else "now"

    def _fields(self, message: MailMessage, raw: RawMessage) -> dict[str, Any]:
        received = self._when(message, raw)
        return {"sha256": message.sha256, "message_sha256": message.sha256, "message_id": message.message_id,
                "sender": message.sender,
                "subject": message.subject, "date": message.date.isoformat() if message.date else None,
                "received": received.isoformat(), "received_from": self._when_from(message, raw),
                **({"in_reply_to": message.in_reply_to} if message.in_reply_to else {}),
                **({"references": message.references} if message.references else {})}

    def _save(self, data: bytes, digest: str) -> str:
        """``attachments/<sha256>``, written once (mode 0600, atomically)."""
        folder = self.out / ATTACHMENTS
        make_private_dir(folder)
        target = folder / digest
        if not target.exists():
            write_private(target, data)
        return f"{ATTACHMENTS}/{digest}"

    def settle(self, admitted: Admitted, outcome: Settled, *, record: tuple[str, str] | None = None) -> None:
        """Count the message and write its ledger line; then the source's follow-up (IMAP: seen / move).

        ``record`` is the (source, sha256) of the line that stands for the message, if any.
        """
        if record is not None:
            self.primary.setdefault(admitted.record.source, record)
        attribute = {"form": "with_form", "email": "email_complaints", "set_aside": "set_aside",
                     "duplicate": "duplicates", "skipped": "already_done", "unreadable": "unreadable",
                     "recovered": "already_done"}[outcome]
        setattr(self.counts, attribute, getattr(self.counts, attribute) + 1)
        if outcome == "set_aside":
            reason = (admitted.reason or "?").split(" (")[0]
            self.counts.set_aside_by_reason[reason] = self.counts.set_aside_by_reason.get(reason, 0) + 1
        # By hash, like the batch's files (an IMAP key names only the folder and UID).
        name = admitted.record.sha256 or admitted.raw.key.removeprefix("sha256:")
        log.info("message %s: %s", str(name)[:12], outcome)
        if outcome != "skipped":
            mail = admitted.record
            line = {"key": admitted.raw.key, "source": mail.source, "sha256": mail.sha256,
                    "message_id": mail.message_id, "received": mail.received, "outcome": outcome,
                    "reason": admitted.reason, "record": list(record) if record else None}
            if (fingerprint := self.fingerprints.get(mail.source)) is not None:
                line["fingerprint"] = fingerprint
            self.ledger.write(line)
        if admitted.raw.done is not None and outcome != "skipped":
            admitted.raw.done()

    def close(self) -> None:
        """Flush the ledger to disk."""
        self.ledger.close()
        self.index.close()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fingerprint(message: MailMessage) -> str:
    """What makes two copies one message whatever their transport headers: the Message-ID, sender,
    subject, ``Date``, text and attachments (a copy in another mailbox keeps them; another
    customer's message under the same fixed ID does not).
    """
    parts = [message.message_id or "", message.sender_address or "", message.sender_name or "",
             message.subject or "", message.date.isoformat() if message.date else "", message.body,
             *sorted(a.sha256 for a in message.attachments)]
    return _sha("\x00".join(parts).encode("utf-8", "surrogatepass"))
