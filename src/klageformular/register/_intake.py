"""Intake: batch records (``complaints.jsonl``, ``rejected.jsonl``, ``duplicates.jsonl``) into the register.

Each record is one transaction. A file already in the register (same sha256 and path) is
skipped, so importing the same output folder twice adds nothing. A record whose file hash,
mail ``Message-ID`` or content key is already known becomes a *source file* of the existing
entry (with an event), not a second complaint. Unreadable files become entries with status
``unreadable``: the register is the one list of everything received.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..exceptions import RegisterError
from ..org import Organisation, get_organisation, organisation_keys
from ..workdays import acknowledge_by
from ._documents import BatchFiles, DocumentFiles, DocumentLimits, sync_documents  # documents (0006)
from ._schema import AttachmentRow, ComplaintRow, SourceFileRow
from ._workflow import lock_counter, now, record_event, reference_prefix

log = logging.getLogger("klageformular.register")

IntakeOutcome = Literal["added", "attached", "already"]
_FILES = ("complaints.jsonl", "rejected.jsonl", "duplicates.jsonl")


@dataclass(frozen=True)
class IntakeResult:
    """What one record did: a new entry (``added``), a source file of an existing one, or nothing."""

    outcome: IntakeOutcome
    reference: str


@dataclass
class IntakeSummary:
    """Counts of one import; ``references`` lists the new entries in the order they were numbered."""

    added: int = 0
    unreadable: int = 0  # of ``added``: entries with status ``unreadable``
    attached: int = 0
    already: int = 0
    references: list[str] = field(default_factory=list)

    def count(self, result: IntakeResult, status: str) -> None:
        if result.outcome == "added":
            self.added += 1
            self.unreadable += status == "unreadable"
            self.references.append(result.reference)
        elif result.outcome == "attached":
            self.attached += 1
        else:
            self.already += 1


def import_batch(engine: Engine, outdir: str | os.PathLike[str], *, who: str = "intake",
                 today: date | None = None, organisations: Mapping[str, Organisation] | None = None,
                 limits: DocumentLimits | None = None) -> IntakeSummary:
    """Import a batch output folder's records; safe to run again, and alongside other imports.

    Complaints and unreadable files are numbered in order of receipt (then path); duplicates
    come last, so their originals are already there. ``organisations`` maps profile keys to
    profiles that replace the built-in ones (their working days set ``decide_by``); ``today``
    stands in for a missing date of receipt. Every file the records name is stored in the
    register (see :mod:`._documents`; ``limits`` caps their sizes), found in ``outdir`` or in
    the inbox the batch read; a record already there gets the files it still lacks.

    >>> summary = import_batch(engine, "klager")          # doctest: +SKIP
    >>> summary.added, summary.references[:1]               # doctest: +SKIP
    (41, ['KLA-2026-0001'])
    """
    out = Path(outdir)
    if not any((out / name).is_file() for name in _FILES):
        raise RegisterError(f"{out}: no batch records here ({', '.join(_FILES)})")
    summary = IntakeSummary()
    files = BatchFiles(out)  # documents (0006): where the records' bytes are
    entries = [*_read(out / _FILES[0]), *_read(out / _FILES[1])]
    entries.sort(key=lambda r: (str(r.get("received") or ""), str(r.get("source") or "")))
    for record in [*entries, *_read(out / _FILES[2])]:
        result = add_record(engine, record, who=who, today=today, organisations=organisations, files=files,
                            limits=limits)
        summary.count(result, "unreadable" if _kind(record) == "unreadable" else "received")
    log.info("register intake: %d added (%d unreadable), %d attached, %d already there", summary.added,
             summary.unreadable, summary.attached, summary.already)
    return summary


def add_record(engine: Engine, record: Mapping[str, Any], *, who: str = "intake",
               today: date | None = None, organisations: Mapping[str, Organisation] | None = None,
               files: DocumentFiles | None = None, limits: DocumentLimits | None = None) -> IntakeResult:
    """Put one batch record (a line of any of the three files) into the register.

    ``files`` gives the bytes of the files the record names (a :class:`BatchFiles` folder, or
    :class:`MemoryFiles` for an upload); without it those not stored yet are listed as missing.

    >>> add_record(engine, {"source": "a.pdf", "sha256": "ab…", "status": "unreadable",   # doctest: +SKIP
    ...                     "reason": "unreadable", "received": "2026-11-27"}).reference
    'KLA-2026-0001'
    """
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


def _documents_of(session: Session, result: IntakeResult, record: Mapping[str, Any], files: DocumentFiles | None,
                  limits: DocumentLimits | None) -> None:
    """Documents (0006): the record's files become (or fill in) documents of the case it went to."""
    # A row _add made or attached to is in the session (no query for it); one already there may not be.
    rows = (r for r in (*session.new, *session.identity_map.values()) if isinstance(r, ComplaintRow))
    row = next((r for r in rows if r.reference == result.reference), None)
    sync_documents(session, row or result.reference, record, files, limits=limits)


def _add(session: Session, record: Mapping[str, Any], *, who: str, today: date,
         profiles: Mapping[str, Organisation]) -> IntakeResult:
    kind = _kind(record)
    found = _existing(session, record, kind)
    if found is None and kind != "duplicate":
        org = _organisation(record, profiles)
        received, received_at = _received(record.get("received"), today)
        prefix = reference_prefix(org)
        counter = lock_counter(session, prefix, received.year)  # then look again, under the lock
        found = _existing(session, record, kind)
        if found is None:
            counter.last += 1
            row = _new_row(record, kind, org, received, received_at, prefix, counter.last)
            session.add(row)
            session.add(_source_file(row, record, "original"))
            for attachment in record.get("attachments") or ():
                session.add(AttachmentRow(complaint=row, **{k: attachment.get(k) for k in (
                    "name", "content_type", "size", "sha256", "path")}))
            note = (f"{row.method or 'file'} intake: {row.parse_status}" if kind == "complaint"
                    else f"unreadable file: {row.reason or '-'}")
            record_event(session, row, "received", who=who, note=note, to_status=row.status)
            return IntakeResult("added", row.reference)
    if found is None:  # a duplicate whose original is not in the register: keep it for a person to see
        return _add(session, dict(record) | {"duplicate_of": None, "status": "unreadable", "reason": "orphan",
                                             "message": "duplicate of a file that is not in the register"},
                    who=who, today=today, profiles=profiles)
    row, how = found
    if how == "already":
        return IntakeResult("already", row.reference)
    session.add(_source_file(row, record, how))
    record_event(session, row, "duplicate", who=who, note=f"another copy ({how.replace('_', ' ')})")
    return IntakeResult("attached", row.reference)


def _kind(record: Mapping[str, Any]) -> str:
    if "duplicate_of" in record and record["duplicate_of"] is not None:
        return "duplicate"
    return "complaint" if record.get("complaint") is not None else "unreadable"


def _existing(session: Session, record: Mapping[str, Any], kind: str) -> tuple[ComplaintRow, str] | None:
    """The entry this record belongs to, and how: ``already`` or the kind of source file to attach.

    Two queries at most (files by hash, entries by Message-ID or content key): intake speed is
    set by round trips to the database.
    """
    digest, source = record.get("sha256"), str(record.get("source") or "")
    original = record.get("duplicate_of_sha256") if kind == "duplicate" else None
    hashes = [h for h in (digest, original) if h]
    match: ColumnElement[bool] | None = SourceFileRow.sha256.in_(hashes) if hashes else None
    if not digest:
        unhashed = and_(SourceFileRow.source == source, SourceFileRow.sha256.is_(None))
        match = unhashed if match is None else or_(match, unhashed)
    if kind == "duplicate" and not original:
        match = or_(match, SourceFileRow.source == str(record["duplicate_of"])) if match is not None else \
            SourceFileRow.source == str(record["duplicate_of"])
    files = session.execute(select(SourceFileRow.source, SourceFileRow.sha256, SourceFileRow.complaint_id)
                            .where(match).order_by(SourceFileRow.id)).all() if match is not None else []
    how = str(record.get("duplicate_kind") or "same_content")
    for wanted, relation in (
        (lambda f: f.source == source and f.sha256 == (digest or None), "already"),  # this very file
        (lambda f: digest and f.sha256 == digest, "same_file"),  # the same bytes under another name
        (lambda f: original and f.sha256 == original, how),  # the original a duplicate record names
        (lambda f: kind == "duplicate" and not original and f.source == str(record["duplicate_of"]), how),
    ):
        hit = next((f for f in files if wanted(f)), None)
        if hit is not None:
            found = session.get(ComplaintRow, hit.complaint_id)
            assert found is not None
            return found, relation
    if kind != "complaint":
        return None
    message_id, key = record.get("message_id"), record.get("content_key")
    keys = [c for c in (ComplaintRow.message_id == message_id if message_id else None,
                        ComplaintRow.content_key == key if key else None) if c is not None]
    if not keys:
        return None
    rows = session.scalars(select(ComplaintRow).where(or_(*keys)).order_by(ComplaintRow.id)).all()
    by_message = next((r for r in rows if message_id and r.message_id == message_id), None)
    if by_message is not None:
        return by_message, "same_message"
    return (rows[0], "same_content") if rows else None


def _organisation(record: Mapping[str, Any], profiles: Mapping[str, Organisation]) -> Organisation:
    key = record.get("organisation")
    if isinstance(key, str) and key in profiles:
        return profiles[key]
    return get_organisation(key) if key in organisation_keys() else get_organisation()


def _received(value: Any, today: date) -> tuple[date, datetime | None]:
    """The day of receipt, and the exact time when a mail source gave one (its own offset decides the day)."""
    if isinstance(value, str) and value:
        try:
            if len(value) == 10:
                return date.fromisoformat(value), None
            stamp = datetime.fromisoformat(value)
            # Stored in UTC (SQLite keeps no offset); the day of receipt is the sender's local day.
            return stamp.date(), stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        except ValueError:
            log.warning("register intake: a record's received date is not ISO; today is used")
    return today, None


def _new_row(record: Mapping[str, Any], kind: str, org: Organisation, received: date, received_at: datetime | None,
             prefix: str, number: int) -> ComplaintRow:
    ack = record.get("acknowledge_by")
    ack_day = date.fromisoformat(ack) if isinstance(ack, str) and ack else \
        acknowledge_by(received, org.acknowledge_working_days, org.holiday_country)
    decide = (acknowledge_by(received, org.decision_working_days, org.holiday_country)
              if org.decision_working_days else None)
    complaint = record.get("complaint") if kind == "complaint" else None
    review = list(record.get("review") or record.get("errors") or [])
    mail = {k: record[k] for k in ("from", "subject", "date") if record.get(k) is not None} or None
    return ComplaintRow(
        reference=f"{prefix}-{received.year}-{number:04d}", prefix=prefix, year=received.year, number=number,
        organisation=org.key, status="received" if kind == "complaint" else "unreadable",
        channel=_channel(record), received=received, received_at=received_at, acknowledge_by=ack_day,
        decide_by=decide, language=record.get("language"), method=record.get("method"),
        form_version=record.get("form_version"),
        parse_status=(record.get("status") or "complete") if kind == "complaint" else "unreadable",
        complaint=complaint, review=review, warnings=list(record.get("warnings") or []),
        raw=record.get("raw") or None, reason=record.get("reason"), error=record.get("error"),
        message=record.get("message"), content_key=record.get("content_key"),
        message_id=record.get("message_id"), mail=mail, created_at=now(), **related_keys(complaint),
    )


def _channel(record: Mapping[str, Any]) -> str:
    if record.get("message_id") or record.get("method") == "email":
        return "email"
    return str(record.get("channel") or "file")


def _source_file(row: ComplaintRow, record: Mapping[str, Any], kind: str) -> SourceFileRow:
    received = record.get("received")
    day = _received(received, date.today())[0] if isinstance(received, str) and received else None
    return SourceFileRow(complaint=row, source=str(record.get("source") or ""), sha256=record.get("sha256"),
                         kind=kind, received=day, quarantine=record.get("quarantine"), imported_at=now())


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


def _read(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.endswith("\n"):
                log.warning("%s: last line is half-written (a batch run was interrupted); skipped", path.name)
                return
            try:
                record = json.loads(line)
            except ValueError:
                log.warning("%s line %d is not JSON; skipped", path.name, number)
                continue
            if isinstance(record, dict):
                yield record
