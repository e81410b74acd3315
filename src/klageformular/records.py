"""The record: what intake produces per received item (a file, a message or an upload), and its files.

One :class:`Record` per line of ``complaints.jsonl``, ``rejected.jsonl`` and
``duplicates.jsonl``; the batch (files and mail), the website, the register's intake and
letters exchange it, so no module outside this one reads a record by string key. A record
is one of four kinds (:attr:`Record.kind`): a ``complaint`` (its form's or message's values
in ``complaint``), ``unreadable`` (kept for a person, with ``reason``), a ``duplicate`` of
an earlier record (``duplicate_of``), or an ``automatic`` message set aside (a delivery report
or an auto-reply, with ``automatic`` saying why), written to ``set_aside.jsonl`` so that the
register can link one that answers a letter of ours to its case.

The JSON Lines form is the model's fields by their JSON names (``from`` for the sender),
only those the writer set: :meth:`Record.to_line` writes it, :func:`read_records` reads it.
Lines written by older versions still read: unknown keys are kept as they are, the old
``errors`` list is the ``review``, and a message's hash is taken from its saved
``message_file`` when the line predates ``message_sha256``.

Not supported: a line that is not a JSON object (skipped with a warning, like a line left
half-written by a crash).

The output folder's names live here too (:data:`COMPLAINTS` …), for every writer and reader.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "ATTACHMENTS",
    "COMPLAINTS",
    "CSV",
    "DUPLICATES",
    "LEDGER",
    "QUARANTINE",
    "RECORD_FILES",
    "SET_ASIDE",
    "SUMMARY",
    "TOMBSTONES",
    "AttachedFile",
    "Record",
    "RecordKind",
    "folder_tombstones",
    "read_records",
]

log = logging.getLogger("klageformular.records")

COMPLAINTS, REJECTED, DUPLICATES = "complaints.jsonl", "rejected.jsonl", "duplicates.jsonl"
LEDGER, SUMMARY, CSV = "messages.jsonl", "summary.json", "complaints.csv"
QUARANTINE, ATTACHMENTS = "quarantine", "attachments"
RECORD_FILES = (COMPLAINTS, REJECTED, DUPLICATES)  # the files that hold records, in import order
SET_ASIDE = "set_aside.jsonl"  # auto-replies and delivery reports: no case of their own
TOMBSTONES = "tombstones.txt"  # sha256 digests of erased cases' files (written by a prune): never read again


def folder_tombstones(out: Path) -> set[str]:
    """The sha256 digests a prune left in ``out`` (files a later batch run skips)."""
    try:
        text = (out / TOMBSTONES).read_text(encoding="ascii")
    except (FileNotFoundError, UnicodeDecodeError):
        return set()
    return {line.strip() for line in text.splitlines() if len(line.strip()) == 64}

RecordKind = Literal["complaint", "unreadable", "duplicate", "automatic"]


class AttachedFile(BaseModel):
    """One file a message carried, as listed on its record; the bytes are at ``path`` (``attachments/<sha256>``).

    ``unreadable`` says why an attached PDF is not a readable form (a scan, a password …): it is
    a document of the message's case, not a case of its own.
    """

    model_config = ConfigDict(extra="allow")

    name: str | None = None
    content_type: str | None = None
    size: int | None = None
    sha256: str | None = None
    path: str | None = None
    note: str | None = None
    unreadable: str | None = None


class Record(BaseModel):
    """One received item as intake wrote it (see the module docstring for the three kinds).

    Dates stay the ISO text the writer gave (``received`` is a date, or a datetime with its
    offset for mail and uploads); ``received_from`` says where the time of receipt came from
    (``date``: the sender's ``Date:`` when plausible, ``received``: a ``Received:`` header,
    ``server``: the IMAP server's arrival time, ``file``, ``now``).
    ``complaint`` is the :class:`~klageformular.model.Complaint`'s JSON as read, values kept as
    typed: a record of a complaint held for review is not a valid ``Complaint``.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    source: str = ""
    source_bytes: str | None = None  # base64 of a file name that is not UTF-8
    sha256: str | None = None
    received: str | None = None
    received_from: str | None = None
    acknowledge_by: str | None = None
    channel: str | None = None  # "web" for an upload; a file or a message otherwise
    # the parse (a form), or the plain-email reading of a message
    method: str | None = None
    language: str | None = None
    form_version: str | None = None
    page_count: int | None = None
    organisation: str | None = None
    status: str | None = None
    warnings: list[dict[str, Any]] = Field(default_factory=list)
    review: list[dict[str, Any]] = Field(default_factory=list)
    content_key: str | None = None
    complaint: dict[str, Any] | None = None
    raw: dict[str, Any] | None = None
    # an unreadable item
    reason: str | None = None
    error: str | None = None
    message: str | None = None
    quarantine: str | None = None
    # a duplicate
    duplicate_of: str | None = None
    duplicate_of_sha256: str | None = None
    duplicate_kind: str | None = None
    # mail: the message the item came in
    message_id: str | None = None
    message_sha256: str | None = None
    message_id_collision: bool | None = None  # another message read before claimed the same Message-ID
    sender: str | None = Field(default=None, alias="from")
    subject: str | None = None
    date: str | None = None
    message_file: str | None = None
    attachments: list[AttachedFile] | None = None
    mail_problems: list[str] | None = None
    # mail: the conversation (the sender's claims; the register threads by them, see register/_threading.py)
    in_reply_to: list[str] | None = None
    references: list[str] | None = None
    # an automatic message (set aside): why, the Message-IDs its report or text quotes, the DSN status
    automatic: str | None = None
    quoted_ids: list[str] | None = None
    delivery_status: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _older_lines(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        if "errors" in data and not data.get("review"):  # the first versions' name for review items
            data["review"] = data.pop("errors") or []
        file = data.get("message_file")
        if not data.get("message_sha256") and isinstance(file, str) and file.startswith(f"{ATTACHMENTS}/"):
            data["message_sha256"] = file.removeprefix(f"{ATTACHMENTS}/")
        for name in ("warnings", "review"):
            if data.get(name) is None:
                data.pop(name, None)
        return data

    @property
    def kind(self) -> RecordKind:
        """A ``complaint``, an ``unreadable`` item, a ``duplicate`` of an earlier record, or ``automatic``."""
        if self.duplicate_of is not None:
            return "duplicate"
        if self.complaint is not None:
            return "complaint"
        return "automatic" if self.automatic is not None else "unreadable"

    @property
    def received_day(self) -> str:
        """The date part of ``received`` (``""`` when there is none)."""
        return (self.received or "")[:10]

    @property
    def file_key(self) -> tuple[str, str | None]:
        """``(source, sha256)``: what an earlier run settled, and what a duplicate points to."""
        return self.source, self.sha256

    def with_(self, **changes: Any) -> Record:
        """A copy with ``changes`` (field names, not JSON names); only set fields reach the line."""
        return self.model_copy(update=changes)

    def to_line(self) -> dict[str, Any]:
        """The JSON Lines form: the fields the writer set, by their JSON names."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    @classmethod
    def from_line(cls, data: Mapping[str, Any]) -> Record:
        """A record from a parsed line (or a dict built by a caller of the public API)."""
        return cls.model_validate(data)

    @classmethod
    def coerce(cls, value: Record | Mapping[str, Any], *, error: type[Exception] = ValueError) -> Record:
        """``value`` as a record: itself, or a mapping (a parsed line) read by :meth:`from_line`.

        One that is not a record raises ``error`` naming the fields at fault, never their values
        (they are what a customer sent):

        >>> Record.coerce({"received": 5}, error=LookupError)
        Traceback (most recent call last):
        LookupError: not a batch record (received)
        """
        if isinstance(value, Record):
            return value
        try:
            return cls.from_line(value)
        except ValidationError as exc:
            fields = ", ".join(".".join(map(str, e["loc"])) or "record" for e in exc.errors())
            raise error(f"not a batch record ({fields})") from None


def read_records(path: Path, *, start: int = 0, end: int | None = None) -> Iterator[Record]:
    """The records of one JSON Lines file; a half-written last line (a crash) or a broken line is skipped.

    ``start`` and ``end`` are byte offsets at line starts (the files are append-only: a reader
    that remembers how far it got reads only the lines added since).
    """
    if not path.exists():
        return
    with path.open("rb") as f:
        f.seek(start)
        at = start
        for number, line in enumerate(f, 1):
            if end is not None and at >= end:
                return
            at += len(line)
            if not line.endswith(b"\n"):
                log.warning("%s: last line is half-written (a batch run was interrupted); skipped", path.name)
                return
            try:
                yield Record.from_line(json.loads(line))
            except (ValueError, ValidationError):  # ValidationError is a ValueError; named for the reader
                log.warning("%s line %d is not a record; skipped", path.name, number)
