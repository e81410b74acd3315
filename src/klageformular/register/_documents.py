"""A case's documents, stored in the register's own database: every officer sees the same files.

Each file a case holds — the file received (folder, website upload), the message (its
``.eml``/``.msg`` bytes), each file attached to it, each letter written — is a row of
``documents``; its bytes are a row of ``blobs``, keyed by sha256, so the same file sent
twice or shared by two cases is stored once. A document whose bytes the register does not
have is kept and marked *missing*, with a note saying why (over the size limit, never
fetched, not found in the batch folder); nothing a customer sent disappears from the list.

Where the bytes come from at import (:class:`BatchFiles`): the batch output folder
(``attachments/<sha256>`` for mail, ``quarantine/…`` for unreadable files) and the inbox the
batch read (named in ``summary.json``) for the files received as such. Every file read is
checked against the sha256 the batch recorded: a file changed since intake is not the one
received, so it is not stored (the document stays missing, "changed since intake").
Symlinks are never followed, and a name that leads out of its folder is never opened.

Size limits are intake's (:class:`DocumentLimits`): a file larger than the parser or the
mail reader would take is listed, not stored.

Not supported: removing a document (the register keeps what was received), and reading
from a batch folder on another machine (run the import where the folder is).
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .._files import open_no_follow, write_private
from ..exceptions import RegisterError
from ..records import Record
from ._schema import BlobRow, ComplaintRow, DocumentRow, column_size, column_text
from ._workflow import get_complaint, now, utc

__all__ = ["BatchFiles", "CaseDocument", "DocumentFiles", "DocumentKind", "DocumentLimits", "MemoryFiles",
           "list_documents", "read_document", "record_documents", "store_letter", "sync_documents",
           "write_document"]

DocumentKind = Literal["source", "message", "attachment", "letter"]
Place = tuple[Literal["out", "inbox"], str]  # a batch output folder's file, or an inbox file (relative)

_SHA = re.compile(r"[0-9a-f]{64}")
_MAIL_ERRORS = ("MailReadError", "MailLimitExceededError")
_MESSAGE_TYPES = {".msg": "application/vnd.ms-outlook"}


@dataclass(frozen=True)
class DocumentLimits:
    """The largest file stored per kind: intake's own limits (a file over them was never read either).

    >>> DocumentLimits().max_attachment_bytes
    30000000
    """

    max_source_bytes: int = 50_000_000  # parse.Limits.max_file_bytes
    max_message_bytes: int = 50_000_000  # intake.MailLimits.max_message_bytes
    max_attachment_bytes: int = 30_000_000  # intake.MailLimits.max_attachment_bytes

    def for_kind(self, kind: str) -> int | None:
        """The limit for one kind of document (None: letters, which the register writes itself)."""
        return {"source": self.max_source_bytes, "message": self.max_message_bytes,
                "attachment": self.max_attachment_bytes}.get(kind)


@dataclass(frozen=True)
class CaseDocument:
    """One document of a case as listed by ``register open REF``; ``number`` is its ``--doc N``."""

    reference: str
    number: int
    kind: DocumentKind
    name: str | None
    content_type: str | None
    size: int | None
    sha256: str | None
    unreadable: bool
    missing: bool
    note: str | None
    added_at: datetime


@dataclass(frozen=True)
class Wanted:
    """A document a batch record names, and where its bytes may be found."""

    kind: DocumentKind
    name: str | None
    content_type: str | None
    sha256: str | None
    size: int | None = None
    unreadable: bool = False
    places: tuple[Place, ...] = ()
    note: str | None = None  # why the bytes cannot be there at all (too large to keep, never fetched)


class DocumentFiles(Protocol):
    """Where the bytes of a record's files are: ``read`` gives them, or None and a reason (no values)."""

    def read(self, place: Place, limit: int | None) -> tuple[bytes | None, str]: ...


@dataclass
class MemoryFiles:
    """Files already in memory (a website upload), by the record's ``source``."""

    files: Mapping[str, bytes]

    def read(self, place: Place, limit: int | None) -> tuple[bytes | None, str]:
        data = self.files.get(place[1]) if place[0] == "inbox" else None
        if data is None:
            return None, "not given to the register"
        return (None, "over the size limit") if limit is not None and len(data) > limit else (data, "")


@dataclass
class BatchFiles:
    """A batch output folder and the inbox it read (from its ``summary.json`` unless given)."""

    out: Path
    inbox: Path | None = None
    _roots: dict[str, Path | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        inbox = self.inbox
        if inbox is None:
            import json

            try:
                named = json.loads((self.out / "summary.json").read_text(encoding="utf-8")).get("inbox")
            except (OSError, ValueError, AttributeError):
                named = None
            inbox = Path(named) if isinstance(named, str) and named else None
        self._roots = {"out": _folder(self.out), "inbox": _folder(inbox) if inbox is not None else None}

    def read(self, place: Place, limit: int | None) -> tuple[bytes | None, str]:
        root = self._roots.get(place[0])
        if root is None:
            return None, "not in the batch folder"
        path = root / place[1]
        try:
            # A record's path is the batch's, but the folder may have been edited: never leave it.
            if not path.resolve().is_relative_to(root) or path.is_symlink():
                return None, "not in the batch folder"
            fd = open_no_follow(path)
        except (OSError, ValueError):
            return None, "not in the batch folder"
        with os.fdopen(fd, "rb") as f:
            if limit is not None and os.fstat(f.fileno()).st_size > limit:
                return None, "over the size limit"
            return f.read(), ""


def _folder(path: Path | None) -> Path | None:
    try:
        return path.resolve(strict=True) if path is not None and path.is_dir() else None
    except OSError:
        return None


# -- what a record names ------------------------------------------------------------------------------


def record_documents(record: Record) -> list[Wanted]:
    """The documents a batch record (a line of ``complaints``/``rejected``/``duplicates.jsonl``) names.

    A mail record names its message (``message_file``) and the message's other attachments
    besides its own file (the form, or the message itself for a plain email); a file from a
    folder names itself, found in the inbox or, when unreadable, in ``quarantine/``.

    >>> [(w.kind, w.name) for w in record_documents(Record(source="inbox/Klage.pdf", sha256="0" * 64))]
    [('source', 'Klage.pdf')]
    """
    source, sha = record.source, _sha(record.sha256)
    message_file = record.message_file
    message_sha = _sha(message_file.rsplit("/", 1)[-1]) if message_file is not None else None
    quarantine = record.quarantine
    unreadable = record.status == "unreadable" and record.duplicate_of is None
    mail = (message_file is not None or record.received_from is not None or record.message_id is not None
            or record.error in _MAIL_ERRORS or record.duplicate_kind == "same_message"
            or (quarantine or "").endswith((".eml", ".msg")))
    wanted: list[Wanted] = []
    # A PDF read from a message always comes with its message's file: without one, the record is the message.
    itself = (sha is None or message_sha is None or sha == message_sha or record.duplicate_kind == "same_message"
              or record.error in _MAIL_ERRORS or (quarantine or "").endswith((".eml", ".msg")))
    if mail and itself:
        # The record is the message itself: a plain email, an unreadable message, a second copy.
        suffix = Path(quarantine or source).suffix.lower()
        places: list[Place] = [("out", message_file)] if message_file is not None else []
        places += [("out", quarantine)] if quarantine else []
        wanted.append(Wanted("message", _message_name(source), _MESSAGE_TYPES.get(suffix, "message/rfc822"), sha,
                             unreadable=unreadable, places=tuple(places),
                             note=None if places or sha else "never fetched from the mailbox"))
    else:
        name = clean_name(source)
        places = [("out", f"attachments/{sha}")] if mail and sha else [("inbox", _exact(record, source))]
        places += [("out", quarantine)] if quarantine else []
        wanted.append(Wanted("attachment" if mail else "source", name, _guess_type(name), sha,
                             unreadable=unreadable, places=tuple(places)))
        if message_sha is not None and message_file is not None:
            wanted.append(Wanted("message", _message_name(source.rsplit("/", 1)[0]), "message/rfc822", message_sha,
                                 places=(("out", message_file),)))
    for item in record.attachments or ():
        digest, path = _sha(item.sha256), item.path
        wanted.append(Wanted("attachment", clean_name(item.name), _text(item.content_type), digest,
                             size=column_size(item.size), places=(("out", path),) if path is not None else (),
                             note=None if path is not None else "over the size limit (listed, not kept)"))
    return wanted


def clean_name(value: Any) -> str | None:
    """A file name as sent, safe to show: its last path part, on one line, at most 255 characters.

    >>> clean_name("indbakke/Klage\\u202egnp.pdf"), clean_name("C:\\\\Users\\\\x\\\\Kla ge.pdf"), clean_name("")
    ('Klage gnp.pdf', 'Kla ge.pdf', None)
    """
    if not value:
        return None
    last = str(value).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    text = "".join(c if c.isprintable() else " " for c in last)  # controls, bidi overrides, line breaks
    return " ".join(text.split())[:255] or None


def _message_name(source: str) -> str:
    name = clean_name(source) or "message"
    return name if name.lower().endswith((".eml", ".msg")) else f"{name}.eml"


def _exact(record: Record, source: str) -> str:
    """The file's name exactly as on disk (``source_bytes`` when the readable one had to escape bytes)."""
    raw = record.source_bytes
    if raw is not None:
        try:
            return os.fsdecode(base64.b64decode(raw, validate=True))
        except ValueError:
            pass
    return source


def _sha(value: Any) -> str | None:
    return value if isinstance(value, str) and _SHA.fullmatch(value) else None


def _text(value: Any) -> str | None:
    return column_text(str(value), 255) if value else None


def _guess_type(name: str | None) -> str | None:
    return mimetypes.guess_type(name or "", strict=False)[0]


# -- storing -----------------------------------------------------------------------------------------


def sync_documents(session: Session, case: ComplaintRow | str, record: Record,
                   files: DocumentFiles | None, *, limits: DocumentLimits | None = None) -> None:
    """Give the case (a row, or its reference) the documents ``record`` names: new ones added,
    missing ones filled when found.

    Safe to call again with the same record (a re-import): a document already stored is left
    alone, at the cost of one query. A document that was missing is filled in when its bytes
    turn up with the recorded hash, and its kind and name follow the record (a migrated
    register guessed them).
    """
    limits = limits or DocumentLimits()
    wanted = record_documents(record)
    if isinstance(case, str):
        query = select(DocumentRow).join(ComplaintRow, ComplaintRow.id == DocumentRow.complaint_id).where(
            ComplaintRow.reference == case)
    else:
        query = select(DocumentRow).where(DocumentRow.complaint_id == case.id)
    existing = list(session.scalars(query.order_by(DocumentRow.id))) if not (
        isinstance(case, ComplaintRow) and case.id is None) else []
    if all((m := _match(existing, w)) is not None and not m.missing for w in wanted):
        return  # a re-import: nothing to do
    row = case if isinstance(case, ComplaintRow) else get_complaint(session, case)
    known = _blobs_present(session, [w.sha256 for w in wanted if w.sha256])
    for item in wanted:
        match = _match(existing, item)
        if match is not None and not match.missing:
            continue
        data, note = _bytes(item, files, limits, known)
        sha = item.sha256 or (hashlib.sha256(data).hexdigest() if data is not None else None)
        if data is not None and sha is not None and sha not in known:
            _put_blob(session, sha, data)
            known[sha] = len(data)
        present = sha is not None and sha in known
        size = known[sha] if sha is not None and sha in known else item.size
        if match is None:
            match = DocumentRow(complaint=row, kind=item.kind, name=item.name, content_type=item.content_type,
                                size=size, sha256=sha, unreadable=item.unreadable, missing=not present,
                                note=None if present else note, added_at=now())
            session.add(match)
            existing.append(match)
        elif present:
            match.kind, match.name, match.sha256, match.missing, match.note = item.kind, item.name, sha, False, None
            match.content_type = item.content_type or match.content_type
            match.size, match.unreadable = size if size is not None else match.size, item.unreadable
        elif files is not None:  # looked for again and not found: the note says why, as of now
            match.note = note


def _match(existing: Sequence[DocumentRow], item: Wanted) -> DocumentRow | None:
    """The case's row for this document: the same bytes as the same kind under the same name, else a
    missing row with these bytes (a migrated register guessed its kind and name), else none.

    The same file received twice (in the folder, then attached to a message) is two documents
    of the case over one blob: the officer sees both arrivals.
    """
    same = next((d for d in existing if (d.sha256, d.kind, d.name) == (item.sha256, item.kind, item.name)), None)
    if same is not None or item.sha256 is None:
        return same
    return next((d for d in existing if d.sha256 == item.sha256 and d.missing), None)


def _bytes(item: Wanted, files: DocumentFiles | None, limits: DocumentLimits, known: Mapping[str, int]
           ) -> tuple[bytes | None, str]:
    """The bytes of one wanted document (None when the blob is stored already, or not found: why)."""
    if item.sha256 is not None and item.sha256 in known:
        return None, ""
    if item.note is not None:
        return None, item.note
    if not item.places:
        return None, "not kept by intake"
    if files is None:
        return None, "not given to the register"
    note = "not in the batch folder"
    for place in item.places:
        data, why = files.read(place, limits.for_kind(item.kind))
        if data is None:
            note = why if why != "not in the batch folder" else note
            continue
        if item.sha256 is not None and hashlib.sha256(data).hexdigest() != item.sha256:
            note = "changed since intake (another sha256)"
            continue
        return data, ""
    return None, note


def _blobs_present(session: Session, shas: Sequence[str]) -> dict[str, int]:
    """The sizes of those of ``shas`` whose bytes are stored (one query, the bytes not read)."""
    if not shas:
        return {}
    query = select(BlobRow.sha256, BlobRow.size).where(BlobRow.sha256.in_(set(shas)))
    return {str(row[0]): int(row[1]) for row in session.execute(query)}


def _put_blob(session: Session, sha: str, data: bytes) -> None:
    """Store the bytes once: a concurrent import storing the same file is a no-op, not an error."""
    values = {"sha256": sha, "size": len(data), "data": data}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(pg_insert(BlobRow).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite_insert(BlobRow).values(**values).on_conflict_do_nothing())
    elif session.scalar(select(BlobRow.sha256).where(BlobRow.sha256 == sha)) is None:
        session.add(BlobRow(**values))


def store_letter(session: Session, row: ComplaintRow, name: str, data: bytes, *, sha256: str | None = None,
                 content_type: str = "application/pdf") -> None:
    """A letter just written for ``row`` (its PDF, or the message carrying it) as a document of the case."""
    sha = hashlib.sha256(data).hexdigest()
    if sha256 is not None and sha != sha256:
        raise RegisterError(f"{row.reference}: the letter file changed while it was recorded; nothing recorded")
    if not _blobs_present(session, [sha]):
        _put_blob(session, sha, data)
    session.add(DocumentRow(complaint=row, kind="letter", name=clean_name(name), content_type=content_type,
                            size=len(data), sha256=sha, unreadable=False, missing=False, note=None, added_at=now()))


# -- reading -----------------------------------------------------------------------------------------


def list_documents(session: Session, reference: str) -> list[CaseDocument]:
    """The documents of case ``reference``, numbered 1, 2, … in the order the register got them."""
    row = get_complaint(session, reference)
    return list(_documents(session, row))


def _documents(session: Session, row: ComplaintRow) -> Iterator[CaseDocument]:
    query = select(DocumentRow).where(DocumentRow.complaint_id == row.id).order_by(DocumentRow.id)
    for number, d in enumerate(session.scalars(query), 1):
        kind: DocumentKind = d.kind if d.kind in get_args(DocumentKind) else "source"  # type: ignore[assignment]
        yield CaseDocument(row.reference, number, kind, d.name, d.content_type, d.size, d.sha256, d.unreadable,
                       d.missing, d.note, utc(d.added_at))


def read_document(session: Session, reference: str, number: int) -> tuple[CaseDocument, bytes]:
    """Document ``number`` of case ``reference`` and its bytes (:class:`RegisterError` when it has none)."""
    documents = list_documents(session, reference)
    if not 1 <= number <= len(documents):
        raise RegisterError(f"{reference.strip().upper()} has {len(documents)} document(s): no document {number}")
    document = documents[number - 1]
    data = session.scalar(select(BlobRow.data).where(BlobRow.sha256 == document.sha256)) \
        if not document.missing and document.sha256 else None
    if data is None:
        raise RegisterError(f"{document.reference} document {number} is missing from the register "
                            f"({document.note or 'no bytes stored'})")
    if hashlib.sha256(data).hexdigest() != document.sha256:  # a damaged database: say so, never hand it out
        raise RegisterError(f"{document.reference} document {number}: the stored bytes do not match their sha256")
    return document, data


def write_document(session: Session, reference: str, number: int, target: str | os.PathLike[str]) -> CaseDocument:
    """Write document ``number`` of ``reference`` to ``target`` (mode 0600, whole or not at all)."""
    document, data = read_document(session, reference, number)
    write_private(Path(target), data)
    return document
