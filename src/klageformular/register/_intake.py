"""Intake: batch records (``complaints.jsonl``, ``rejected.jsonl``, ``duplicates.jsonl``) into the register.

Each record (a :class:`~klageformular.records.Record`) is one transaction. A file already in
the register (same sha256 and path) is skipped, so importing the same output folder twice
adds nothing. A record whose file hash or content key is already known becomes a *source
file* of the existing entry (with an event), not a second complaint. A message is one case
whatever it carried: every record of one message (known by the hash of its bytes; a
``Message-ID`` is only the sender's claim) joins the first one's case, an unreadable PDF
as a document marked unreadable. The same ``Message-ID`` on another message is another
case, flagged ``message_id_collision``. Unreadable files become entries with status
``unreadable``: the register is the one list of everything received. A reply on an existing
case, and a bounce or auto-reply to one of our letters, joins that case instead
(:mod:`._threading` has the rules).

Every value bound for a column goes through :func:`column_text` (or :func:`_json`) here: NUL and
unpaired surrogates replaced (PostgreSQL refuses both), cut to the column's size, so no
record can stop an import (a value cut is kept in full in the batch's record). A time of
receipt in the future (a sender's ``Date:`` in 2099) is not believed: the day of import is
used, the number is taken in its year, and the case is flagged ``received_in_future``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..exceptions import RegisterError
from ..org import Organisation, deadlines, profile_for
from ..records import COMPLAINTS, DUPLICATES, RECORD_FILES, REJECTED, SET_ASIDE, Record, read_records
from ._documents import BatchFiles, DocumentFiles, DocumentLimits, sync_documents  # documents (0006)
from ._schema import AttachmentRow, ComplaintRow, SourceFileRow, column_size, column_text
from ._threading import find_thread, link_automatic, mentions, same_message, thread_reply
from ._workflow import lock_counter, now, record_event, reference_prefix

log = logging.getLogger("klageformular.register")

# threaded: a reply on an existing case; linked: a bounce or auto-reply to our letter; set_aside: one that
# names no letter of ours (register/_threading.py).
# erased: the bytes of a case whose personal data was erased (a tombstone, revision 0015): not brought back.
IntakeOutcome = Literal["added", "attached", "already", "threaded", "linked", "set_aside", "erased"]
_FUTURE_SLACK = timedelta(minutes=10)  # clocks differ a little between a mail server and this machine
_CLAIMED = ("date", "received")  # ``received_from`` of a time read from a message's own headers


@dataclass(frozen=True)
class IntakeResult:
    """What one record did: a new entry (``added``), a source file of an existing one, a reply on one
    (``threaded``), a bounce or auto-reply linked to our letter (``linked``), or nothing (``already``,
    ``set_aside``: an automatic message that names no letter of ours; ``reference`` is then empty)."""

    outcome: IntakeOutcome
    reference: str


@dataclass
class IntakeSummary:
    """Counts of one import; ``references`` lists the new entries in the order they were numbered."""

    added: int = 0
    unreadable: int = 0  # of ``added``: entries with status ``unreadable``
    attached: int = 0
    already: int = 0
    threaded: int = 0  # replies that joined their case
    linked: int = 0  # delivery reports and auto-replies linked to our letter
    set_aside: int = 0  # automatic messages that name no letter of ours (as the batch left them)
    erased: int = 0  # files and messages of erased cases, read again: not brought back (tombstones)
    references: list[str] = field(default_factory=list)
    # The entries of records found already imported (an import cut off by a crash, read again): what
    # the watch passes on with the new ones, so a case numbered by a killed run is not left out.
    again: list[str] = field(default_factory=list)
    stopped: bool = False  # ``stop()`` ended the import between two records (the rest: the next import)

    def count(self, result: IntakeResult, status: str) -> None:
        if result.outcome == "added":
            self.added += 1
            self.unreadable += status == "unreadable"
            self.references.append(result.reference)
        elif result.outcome in ("attached", "threaded", "linked", "set_aside", "erased"):
            setattr(self, result.outcome, getattr(self, result.outcome) + 1)
        else:
            self.already += 1
            if result.reference and result.reference not in self.again:
                self.again.append(result.reference)


def import_batch(engine: Engine, outdir: str | os.PathLike[str], *, who: str = "intake",
                 today: date | None = None, organisations: Mapping[str, Organisation] | None = None,
                 limits: DocumentLimits | None = None, window: Mapping[str, tuple[int, int | None]] | None = None,
                 stop: Callable[[], bool] | None = None) -> IntakeSummary:
    """Import a batch output folder's records; safe to run again, and alongside other imports.

    Complaints and unreadable files are numbered in order of receipt (then path); duplicates
    come last, so their originals are already there. ``organisations`` maps profile keys to
    profiles that replace the built-in ones (their working days set ``decide_by``); ``today``
    stands in for a missing date of receipt. Every file the records name is stored in the
    register (see :mod:`._documents`; ``limits`` caps their sizes), found in ``outdir`` or in
    the inbox the batch read; a record already there gets the files it still lacks.

    ``window`` maps a record file's name to the byte offsets (start, end) of the lines to read
    (the others are not read): the lines a batch run added since the last import. ``stop()`` is
    asked after each record; once it says True the import ends there (``stopped`` is set).

    >>> summary = import_batch(engine, "klager")          # doctest: +SKIP
    >>> summary.added, summary.references[:1]               # doctest: +SKIP
    (41, ['KLA-2026-0001'])
    """
    out = Path(outdir)
    if not any((out / name).is_file() for name in (*RECORD_FILES, SET_ASIDE)):
        raise RegisterError(f"{out}: no batch records here ({', '.join((*RECORD_FILES, SET_ASIDE))})")
    summary = IntakeSummary()

    def lines(name: str) -> Iterator[Record]:
        start, end = (window or {}).get(name, (0, None))
        return read_records(out / name, start=start, end=end)

    entries = [*lines(COMPLAINTS), *lines(REJECTED)]
    entries.sort(key=lambda r: (r.received or "", r.source))  # a message's own line before its PDFs' ("m.eml/…")
    files = BatchFiles(out)  # documents (0006): where the records' bytes are
    # Bounces and auto-replies after the cases (they join one through our letters), copies last.
    automatic = sorted(lines(SET_ASIDE), key=lambda r: (r.received or "", r.source))
    for record in [*entries, *automatic, *lines(DUPLICATES)]:
        result = add_record(engine, record, who=who, today=today, organisations=organisations, files=files,
                            limits=limits)
        summary.count(result, "unreadable" if record.kind == "unreadable" else "received")
        if stop is not None and stop():
            summary.stopped = True
            break
    log.info("register intake: %d added (%d unreadable), %d attached, %d already there, %d threaded, %d linked, "
             "%d set aside", summary.added, summary.unreadable, summary.attached, summary.already, summary.threaded,
             summary.linked, summary.set_aside)
    return summary


def add_record(engine: Engine, record: Record | Mapping[str, Any], *, who: str = "intake",
               today: date | None = None, organisations: Mapping[str, Organisation] | None = None,
               files: DocumentFiles | None = None, limits: DocumentLimits | None = None) -> IntakeResult:
    """Put one batch record (a line of any of the three files) into the register.

    A mapping (a parsed line) is read as a :class:`~klageformular.records.Record` first;
    one that is not a record raises :class:`RegisterError` naming the fields, never their values.
    ``files`` gives the bytes of the files the record names (a :class:`BatchFiles` folder, or
    :class:`MemoryFiles` for an upload); without it those not stored yet are listed as missing.

    >>> add_record(engine, Record(source="a.pdf", sha256="ab…", status="unreadable",   # doctest: +SKIP
    ...                           reason="unreadable", received="2026-11-27")).reference
    'KLA-2026-0001'
    """
    record = Record.coerce(record, error=RegisterError)
    for attempt in (1, 2):
        try:
            with Session(engine) as session, session.begin():
                result = _add(session, record, who=who, today=today or date.today(), profiles=organisations or {})
                _documents_of(session, result, record, files, limits)  # documents (0006)
                return result
        except IntegrityError:
            # A concurrent import took the same file between our look-up and insert (a database
            # without row locks); the second pass finds it and attaches or skips.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _documents_of(session: Session, result: IntakeResult, record: Record, files: DocumentFiles | None,
                  limits: DocumentLimits | None) -> None:
    """Documents (0006): the record's files become (or fill in) documents of the case it went to."""
    if not result.reference:  # set aside: no case
        return
    if record.kind == "automatic":  # a bounce carries our own letter back: the report alone is the document
        record = record.with_(attachments=None)
    # A row _add made or attached to is in the session (no query for it); one already there may not be.
    rows = (r for r in (*session.new, *session.identity_map.values()) if isinstance(r, ComplaintRow))
    row = next((r for r in rows if r.reference == result.reference), None)
    sync_documents(session, row or result.reference, record, files, limits=limits)


def _add(session: Session, record: Record, *, who: str, today: date,
         profiles: Mapping[str, Organisation]) -> IntakeResult:
    kind = record.kind
    from ._retention import tombstone_of

    if (erased := tombstone_of(session, record.sha256, record.message_sha256)) is not None:
        return IntakeResult("erased", erased)  # its case's personal data was erased: never brought back
    if kind == "automatic":  # a bounce or auto-reply: linked to our letter, or left set aside
        day, received_at, _ = _received(record.received, today, claimed=record.received_from in _CLAIMED)
        outcome, reference = link_automatic(session, record, who=who, received_at=received_at, day=day)
        return IntakeResult(outcome, reference)
    found = _existing(session, record, kind)
    if found is None and kind == "complaint" and record.message_sha256:
        # A reply on an existing case (its Message-ID chain or its subject and sender): no new case.
        day, received_at, _ = _received(record.received, today, claimed=record.received_from in _CLAIMED)
        if (joined := same_message(session, record, day=day)) is not None:
            return IntakeResult("attached", joined)
        if (thread := find_thread(session, record)) is not None:
            return IntakeResult("threaded", thread_reply(session, thread, record, who=who, day=day,
                                                         received_at=received_at))
    if found is None and kind != "duplicate":
        org = profile_for(record.organisation, record.language, profiles, holder="a record of the batch")
        received, received_at, future = _received(record.received, today, claimed=record.received_from in _CLAIMED)
        prefix = reference_prefix(org)
        counter = lock_counter(session, prefix, received.year)  # then look again, under the lock
        found = _existing(session, record, kind)
        if found is None:
            counter.last += 1
            row = _new_row(record, org, received, received_at, prefix, counter.last)
            if future:
                row.warnings = [*row.warnings, {"code": "received_in_future", "path": "received",
                                                "message": "the time of receipt given is in the future: "
                                                           "the day of import is used"}]
            collision = record.message_id_collision or (row.message_id is not None and session.scalar(
                select(ComplaintRow.id).where(ComplaintRow.message_id == row.message_id).limit(1)) is not None)
            if collision:
                row.warnings = [*row.warnings, {"code": "message_id_collision", "path": "message_id",
                                                "message": "another message carried the same Message-ID: "
                                                           "kept as a case of its own"}]
            if kind == "complaint" and record.message_sha256:
                row.review = [*row.review, *mentions(session, record)]  # "mentions KLA-…": never joined
            session.add(row)
            session.add(_source_file(row, record, "original"))
            for attachment in record.attachments or ():
                session.add(AttachmentRow(
                    complaint=row, name=column_text(attachment.name),
                    content_type=column_text(attachment.content_type, 255), size=column_size(attachment.size),
                    sha256=column_text(attachment.sha256, 64), path=column_text(attachment.path),
                    unreadable=column_text(attachment.unreadable)))
            note = (f"{row.method or 'file'} intake: {row.parse_status}" if kind == "complaint"
                    else f"unreadable file: {row.reason or '-'}")
            flags = [c for c, on in (("received in the future", future), ("Message-ID collision", collision)) if on]
            record_event(session, row, "received", who=who, note="; ".join([note, *flags]), to_status=row.status)
            return IntakeResult("added", row.reference)
    if found is None:  # a duplicate whose original is not in the register: keep it for a person to see
        return _add(session, record.with_(duplicate_of=None, status="unreadable", reason="orphan",
                                          message="duplicate of a file that is not in the register"),
                    who=who, today=today, profiles=profiles)
    row, how = found
    if how == "already":
        return IntakeResult("already", row.reference)
    session.add(_source_file(row, record, how))
    if how == "same_message" and kind == "unreadable":
        # A PDF of the message that could not be read (written by versions before one message was one
        # case): a document of the case, marked so on its listing.
        for listed in row.attachments:
            if listed.sha256 == record.sha256 and listed.unreadable is None:
                listed.unreadable = column_text(record.message or record.reason or "unreadable")
        note = f"a document of the same message: unreadable ({column_text(record.reason, 40) or '-'})"
    elif how == "same_message":
        note = "another document of the same message"
    else:
        note = f"another copy ({how.replace('_', ' ')})"
    record_event(session, row, "duplicate", who=who, note=note)
    return IntakeResult("attached", row.reference)


def _existing(session: Session, record: Record, kind: str) -> tuple[ComplaintRow, str] | None:
    """The entry this record belongs to, and how: ``already`` or the kind of source file to attach.

    Two queries at most (files by hash, entries by message or content key): intake speed is
    set by round trips to the database.
    """
    digest, source = column_text(record.sha256, 64), column_text(record.source) or ""
    original = column_text(record.duplicate_of_sha256, 64) if kind == "duplicate" else None
    duplicate_of = column_text(record.duplicate_of) or ""
    hashes = [h for h in (digest, original) if h]
    match: ColumnElement[bool] | None = SourceFileRow.sha256.in_(hashes) if hashes else None
    if not digest:
        unhashed = and_(SourceFileRow.source == source, SourceFileRow.sha256.is_(None))
        match = unhashed if match is None else or_(match, unhashed)
    if kind == "duplicate" and not original:
        match = or_(match, SourceFileRow.source == duplicate_of) if match is not None else \
            SourceFileRow.source == duplicate_of
    files = session.execute(select(SourceFileRow.source, SourceFileRow.sha256, SourceFileRow.complaint_id)
                            .where(match).order_by(SourceFileRow.id)).all() if match is not None else []
    how = column_text(record.duplicate_kind, 20) or "same_content"
    for wanted, relation in (
        (lambda f: f.source == source and f.sha256 == (digest or None), "already"),  # this very file
        (lambda f: digest and f.sha256 == digest, "same_file"),  # the same bytes under another name
        (lambda f: original and f.sha256 == original, how),  # the original a duplicate record names
        (lambda f: kind == "duplicate" and not original and f.source == duplicate_of, how),
    ):
        hit = next((f for f in files if wanted(f)), None)
        if hit is not None:
            found = session.get(ComplaintRow, hit.complaint_id)
            assert found is not None
            return _live(session, found), relation
    if kind == "duplicate":
        return None
    message, message_id = column_text(record.message_sha256, 64), column_text(record.message_id, 998)
    key = column_text(record.content_key, 128) if kind == "complaint" else None
    keys: list[ColumnElement[bool]] = []
    if message:
        keys.append(ComplaintRow.message_sha256 == message)
    if message_id and not record.message_id_collision:
        # A case from a form read before 0004 knows its message only by the ID it claimed.
        keys.append(and_(ComplaintRow.message_id == message_id, ComplaintRow.message_sha256.is_(None)))
    if key:
        keys.append(ComplaintRow.content_key == key)
    if not keys:
        return None
    rows = session.scalars(select(ComplaintRow).where(or_(*keys)).order_by(ComplaintRow.id)).all()
    by_message = next((r for r in rows if (message and r.message_sha256 == message) or (
        message_id and r.message_sha256 is None and r.message_id == message_id)), None)
    if by_message is not None:
        return _live(session, by_message), "same_message"
    return (_live(session, rows[0]), "same_content") if key and rows else None


def _live(session: Session, row: ComplaintRow) -> ComplaintRow:
    """The case a row stands for: itself, or the case it was merged into (a merged case is a pointer;
    what arrives for it later belongs where its files went)."""
    seen = {row.id}
    while row.merged_into is not None:
        target = session.scalars(select(ComplaintRow).where(ComplaintRow.reference == row.merged_into)).first()
        if target is None or target.id in seen:
            break
        seen.add(target.id)
        row = target
    return row


def _received(value: str | None, today: date, *, claimed: bool = False) -> tuple[date, datetime | None, bool]:
    """The day of receipt, the exact time when a mail source or the website gave one (its own offset
    decides the day), and whether it was a ``claimed`` time (a message's header) in the future:
    then today is used. A time this side gave (a file's, the server's, ``--received``) is trusted.
    """
    day, stamp = today, None
    if value:
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
            else:
                when = datetime.fromisoformat(value)
                # Stored in UTC (SQLite keeps no offset); the day of receipt is the sender's local day.
                day, stamp = when.date(), when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
        except (ValueError, OverflowError):
            log.warning("register intake: a record's received date is not ISO; today is used")
    if claimed and ((stamp is not None and stamp > now() + _FUTURE_SLACK) or day > today + timedelta(days=1)):
        return today, None, True
    return day, stamp, False


def _new_row(record: Record, org: Organisation, received: date, received_at: datetime | None,
             prefix: str, number: int) -> ComplaintRow:
    is_complaint = record.kind == "complaint"
    due = deadlines(received, org)
    ack = _day(record.acknowledge_by) if received.isoformat() == record.received_day else None
    complaint = _json(record.complaint) if is_complaint else None
    mail = {k: v for k, v in (("from", record.sender), ("subject", record.subject), ("date", record.date),
                              ("received_from", record.received_from)) if v is not None} or None
    if mail is not None and record.message_id is None and set(mail) == {"received_from"}:
        mail = None  # a file's or an upload's time of receipt is not mail
    return ComplaintRow(
        reference=f"{prefix}-{received.year}-{number:04d}", prefix=prefix, year=received.year, number=number,
        organisation=org.key, status="received" if is_complaint else "unreadable",
        channel=_channel(record), received=received, received_at=received_at,
        acknowledge_by=ack or due.acknowledge_by, decide_by=due.decide_by, language=column_text(record.language, 5),
        method=column_text(record.method, 20), form_version=column_text(record.form_version, 20),
        parse_status=(column_text(record.status, 20) or "complete") if is_complaint else "unreadable",
        complaint=complaint, review=_json(record.review), warnings=_json(record.warnings),
        raw=_json(record.raw) or None, reason=column_text(record.reason, 40), error=column_text(record.error, 80),
        message=column_text(record.message), content_key=column_text(record.content_key, 128),
        message_id=column_text(record.message_id, 998), message_sha256=column_text(record.message_sha256, 64),
        mail=_json(mail), created_at=now(), **related_keys(complaint),
    )


def _channel(record: Record) -> str:
    if record.message_id or record.message_sha256 or record.method == "email":
        return "email"
    return column_text(record.channel, 20) or "file"


def _source_file(row: ComplaintRow, record: Record, kind: str) -> SourceFileRow:
    day = _received(record.received, date.today())[0] if record.received else None
    return SourceFileRow(complaint=row, source=column_text(record.source) or "", sha256=column_text(record.sha256, 64),
                         kind=kind, received=day, quarantine=column_text(record.quarantine), imported_at=now())


def _json(value: Any) -> Any:
    """A JSON value with every string (keys too) cleaned by :func:`column_text`, not cut: a JSON column has no size."""
    if isinstance(value, str):
        return column_text(value)
    if isinstance(value, Mapping):
        return {column_text(str(k)): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def related_keys(complaint: Mapping[str, Any] | None) -> dict[str, str | None]:
    """Normalised keys for related complaints: investment reference, project, complainant (email or client no.).

    >>> related_keys({"investment": {"reference": "ka 1042", "project": "Café „Blåbær“ ApS"},
    ...               "complainant": {"email": "A@B.dk"}})["investment_key"]
    'KA1042'
    """
    complaint = complaint or {}
    investment = complaint.get("investment") or {}
    person = complaint.get("complainant") or {}
    contact = complaint.get("complainant_contact") or {}
    reference = re.sub(r"[\W_]+", "", str(investment.get("reference") or "")).upper()
    project = " ".join(re.sub(r"[^\w\s]+", " ", str(investment.get("project") or "")).casefold().split())
    email = str(person.get("email") or contact.get("email") or "").strip().lower()
    client = re.sub(r"[\W_]+", "", str(person.get("client_reference") or "")).upper()
    who = f"email:{email}" if email else f"client:{client}" if client else ""
    return {"investment_key": reference[:120] or None, "project_key": project[:240] or None,
            "complainant_key": who[:240] or None}
