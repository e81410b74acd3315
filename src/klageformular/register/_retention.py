"""Retention: legal hold, erasure on request, and the purge of cases closed longer than their profile says.

What an erasure removes and what it keeps (issue 28): the case's personal data goes — the
complaint's values (names, addresses, emails, phones, registration numbers, subject,
description, comments), review items with the values as typed, warnings, the raw text,
the mail's headers and body, the related-complaint keys, every event note, every
correction's values and note, the correspondence, the outgoing letters, the source files,
attachments and documents (and their bytes in ``blobs`` when no other case holds them). What
the statistics and the authority need stays: reference, organisation, dates and deadlines,
status history (who, when, from, to — without notes), outcome, channel, language, category
and measures taken. The history itself keeps its rows: the triggers of revision 0015 let an
UPDATE set personal text to NULL and refuse anything else. The erasure is one more event
(``erased``) whose note names only categories and counts.

Each erased file's and message's sha256 becomes a tombstone (:class:`~._schema.TombstoneRow`):
intake meeting those bytes again says ``erased`` instead of bringing the case back.

Rules: a case on hold is never erased; a case still open is not erased on request; the purge
takes closed cases whose closing is older than the profile's ``retention_years_after_closure``
(cases merged into one go with it). An erased case takes no new personal text
(:func:`refuse_if_erased`). SQLite keeps freed pages in the file and the WAL until
:func:`compact` (``VACUUM``); PostgreSQL keeps dead rows until ``VACUUM`` (``VACUUM FULL``
gives the disk space back).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from ..exceptions import RegisterError, UnknownProfileError
from ..org import Organisation, profile_for
from ._names import OPEN_STATUSES
from ._schema import (
    AttachmentRow,
    BlobRow,
    ComplaintRow,
    CorrectionRow,
    CorrespondenceRow,
    DocumentRow,
    EventRow,
    OutgoingRow,
    RetentionRow,
    SourceFileRow,
    TombstoneRow,
)
from ._workflow import now, record_event

__all__ = ["Erased", "Hold", "PurgeItem", "PurgeResult", "all_tombstones", "compact", "erase", "has_retention",
           "hold", "hold_of", "missing_documents", "purge", "refuse_if_erased", "release", "tombstone_of"]

Why = Literal["retention", "request"]
#: What a purge item is: erased (or, in a dry run, would be), kept on hold, or kept because its profile is unknown.
PurgeAction = Literal["erased", "would_erase", "held", "unknown_profile"]


@dataclass(frozen=True)
class Hold:
    """A case's legal hold: since when, by whom, why (the reason is the officer's text)."""

    since: datetime
    by: str
    reason: str


@dataclass(frozen=True)
class Erased:
    """What one erasure removed: counts per category (never a value)."""

    reference: str
    under: Why
    notes: int = 0
    corrections: int = 0
    documents: int = 0
    letters: int = 0
    correspondence: int = 0
    files: int = 0
    merged: tuple[str, ...] = ()  # cases merged into it, erased with it

    def summary(self) -> str:
        """The ``erased`` event's note: categories and counts only."""
        why = "under the retention policy" if self.under == "retention" else "on request (GDPR art. 17)"
        return (f"personal data erased {why}: values, review items, mail headers and body, related keys; "
                f"{self.notes} note(s), {self.corrections} correction(s), {self.documents} document(s), "
                f"{self.letters} letter(s), {self.correspondence} message(s), {self.files} source file(s)"
                + (f"; with {', '.join(self.merged)}" if self.merged else ""))


@dataclass(frozen=True)
class PurgeItem:
    """One case the purge looked at: what it did, when the case was closed, and why a held one stays."""

    reference: str
    action: PurgeAction
    closed_on: date
    keep_until: date | None = None
    reason: str | None = None  # the hold's reason, or the unknown profile's message


@dataclass
class PurgeResult:
    """What :func:`purge` did (``dry_run``: would do), case by case, in reference order."""

    today: date
    dry_run: bool
    items: list[PurgeItem] = field(default_factory=list)

    def count(self, action: PurgeAction) -> int:
        return sum(1 for i in self.items if i.action == action)


def has_retention(session: Session) -> bool:
    """Whether the database has revision 0015's tables (a register not upgraded yet has none)."""
    from ._db import has_table

    return has_table(session, TombstoneRow.__tablename__)


def _retention(session: Session, row: ComplaintRow) -> RetentionRow:
    found = session.get(RetentionRow, row.id)
    if found is None:
        found = RetentionRow(complaint_id=row.id)
        session.add(found)
    return found


def hold_of(session: Session, row: ComplaintRow) -> Hold | None:
    """The case's legal hold (None: not held, or a register before 0015)."""
    if not has_retention(session):
        return None
    found = session.get(RetentionRow, row.id)
    if found is None or found.held_since is None:
        return None
    return Hold(since=found.held_since, by=found.held_by or "", reason=found.hold_reason or "")


def erased_at(session: Session, row: ComplaintRow) -> datetime | None:
    if not has_retention(session):
        return None
    found = session.get(RetentionRow, row.id)
    return None if found is None else found.erased_at


def refuse_if_erased(session: Session, row: ComplaintRow, *, hint: str | None = None) -> None:
    """Refuse new personal text on an erased case: a note, a correction, a keyed value, a status change's or a
    measure's note, an extension's reason, what the customer is asked for, a letter, a merge.

    The erasure would otherwise be undone one note at a time, and the next purge would never look
    at the case again (it takes only cases not erased yet). What an erasure keeps may still change
    (a status without a note, the assignee, a measure or a category without a note). ``hint``: what
    the caller may do instead, added to the message.
    """
    when = erased_at(session, row)
    if when is not None:
        raise RegisterError(f"{row.reference} was erased on {when.date().isoformat()}: nothing personal can be "
                            f"added to it" + (f" ({hint})" if hint else ""))


def hold(session: Session, row: ComplaintRow, *, reason: str, who: str) -> Hold:
    """Put the case on legal hold (one ``hold`` event); refused without a reason or when held already."""
    if not reason.strip():
        raise RegisterError("a legal hold needs a --reason (the claim, the authority's request)")
    state = _retention(session, row)
    if state.erased_at is not None:
        raise RegisterError(f"{row.reference}: its personal data was erased already; there is nothing to hold")
    if state.held_since is not None:
        raise RegisterError(f"{row.reference} is on hold already since {state.held_since:%Y-%m-%d} "
                            f"({state.hold_reason})")
    state.held_since, state.held_by, state.hold_reason = now(), who, reason.strip()
    record_event(session, row, "hold", who=who, note=reason.strip())
    session.flush()
    return Hold(since=state.held_since, by=who, reason=reason.strip())


def release(session: Session, row: ComplaintRow, *, who: str, note: str | None = None) -> None:
    """Lift the case's legal hold (one ``release`` event); refused when it is not held."""
    state = session.get(RetentionRow, row.id)
    if state is None or state.held_since is None:
        raise RegisterError(f"{row.reference} is not on hold")
    state.held_since = state.held_by = state.hold_reason = None
    record_event(session, row, "release", who=who, note=(note or "").strip() or None)
    session.flush()


def closed_on(session: Session, row: ComplaintRow) -> date | None:
    """The day the case was last closed (None: not closed now)."""
    if row.status != "closed":
        return None
    at = session.scalar(select(func.max(EventRow.at)).where(EventRow.complaint_id == row.id,
                                                            EventRow.to_status == "closed"))
    return at.date() if at is not None else row.decided_on or row.received


def keep_until(closed: date, org: Organisation) -> date:
    """The first day the case may be purged: ``retention_years_after_closure`` after it was closed.

    >>> from klageformular.org import get_organisation
    >>> keep_until(date(2024, 2, 29), get_organisation())
    datetime.date(2029, 3, 1)
    """
    years = org.retention_years_after_closure
    try:
        return closed.replace(year=closed.year + years)
    except ValueError:  # 29 February in a year that has none: the day after 28 February
        return date(closed.year + years, 3, 1)


def erase(session: Session, row: ComplaintRow, *, who: str, under: Why, reason: str | None = None) -> Erased:
    """Erase one case's personal data (rules in the module docstring); refused while open or on hold."""
    if not has_retention(session):
        raise RegisterError("the register is not upgraded to revision 0015 (retention)")
    if row.merged_into is not None:
        raise RegisterError(f"{row.reference} was merged into {row.merged_into}: erase that case")
    held = hold_of(session, row)
    if held is not None:
        raise RegisterError(f"{row.reference} is on legal hold since {held.since:%Y-%m-%d} ({held.reason}): "
                            f"'register release' it first")
    if row.status in OPEN_STATUSES:
        raise RegisterError(f"{row.reference} is {row.status.replace('_', ' ')}: a case is erased only once it "
                            f"is closed (decide and close it first)")
    if under == "request" and not (reason or "").strip():
        raise RegisterError("an erasure on request needs a --reason (the request's date and channel)")
    if session.get_bind().dialect.name == "sqlite":  # freed pages are zeroed, not left readable in the file
        session.execute(text("PRAGMA secure_delete = ON"))
    state = _retention(session, row)
    if state.erased_at is not None:
        raise RegisterError(f"{row.reference}: its personal data was erased already on {state.erased_at:%Y-%m-%d}")
    merged = session.scalars(select(ComplaintRow).where(ComplaintRow.merged_into == row.reference)
                             .order_by(ComplaintRow.id)).all()
    counts = {"notes": 0, "corrections": 0, "documents": 0, "letters": 0, "correspondence": 0, "files": 0}
    for case in (row, *merged):
        for name, value in _erase_row(session, case, row.reference).items():
            counts[name] += value
        state = _retention(session, case)
        state.erased_at, state.erased_under = now(), under
        session.flush()
    done = Erased(reference=row.reference, under=under, merged=tuple(m.reference for m in merged), **counts)
    record_event(session, row, "erased", who=who, note=done.summary())
    session.flush()
    return done


def _erase_row(session: Session, row: ComplaintRow, reference: str) -> dict[str, int]:
    ids = [row.id]
    stamp = now()
    shas: dict[str, str] = {}
    for f in session.scalars(select(SourceFileRow).where(SourceFileRow.complaint_id == row.id)):
        if f.sha256:
            shas[f.sha256] = "file"
    for d in session.scalars(select(DocumentRow).where(DocumentRow.complaint_id == row.id)):
        if d.sha256:
            shas.setdefault(d.sha256, "message" if d.kind == "message" else "file")
    for a in session.scalars(select(AttachmentRow).where(AttachmentRow.complaint_id == row.id)):
        if a.sha256:
            shas.setdefault(a.sha256, "file")
    if row.message_sha256:
        shas[row.message_sha256] = "message"
    mail_shas = session.scalars(select(CorrespondenceRow.message_sha256)
                                .where(CorrespondenceRow.complaint_id == row.id)).all()
    for sha in mail_shas:
        shas[sha] = "message"
    blobs = set(shas)
    outgoing = session.scalars(select(OutgoingRow).where(OutgoingRow.complaint_id == row.id)).all()
    blobs |= {s for o in outgoing for s in (o.sha256, o.letter_sha256) if s}
    counts = {
        "notes": session.scalar(select(func.count()).where(EventRow.complaint_id == row.id,
                                                           EventRow.note.is_not(None))) or 0,
        "corrections": session.scalar(select(func.count()).where(CorrectionRow.complaint_id == row.id)) or 0,
        "documents": session.scalar(select(func.count()).where(DocumentRow.complaint_id == row.id)) or 0,
        "letters": len(outgoing), "correspondence": len(mail_shas),
        "files": session.scalar(select(func.count()).where(SourceFileRow.complaint_id == row.id)) or 0,
    }
    session.flush()
    # The history's rows stay; their personal text goes (the only UPDATE revision 0015's triggers allow).
    session.execute(update(EventRow).where(EventRow.complaint_id.in_(ids), EventRow.note.is_not(None))
                    .values(note=None))
    session.execute(update(CorrectionRow).where(CorrectionRow.complaint_id.in_(ids))
                    .values(typed=None, before=None, after=None, note=None))
    session.execute(delete(CorrespondenceRow).where(CorrespondenceRow.complaint_id.in_(ids)))
    session.execute(delete(OutgoingRow).where(OutgoingRow.complaint_id.in_(ids)))
    for table in (DocumentRow, AttachmentRow, SourceFileRow):
        session.execute(delete(table).where(table.complaint_id.in_(ids)))
    session.flush()
    # Bytes no other case still holds (the same file may be another customer's copy too).
    for sha in sorted(blobs):
        still = (session.scalar(select(func.count()).where(DocumentRow.sha256 == sha)) or 0) + (
            session.scalar(select(func.count()).where((OutgoingRow.sha256 == sha) | (OutgoingRow.letter_sha256 == sha)))
            or 0)
        if not still:
            session.execute(delete(BlobRow).where(BlobRow.sha256 == sha))
    for sha, kind in sorted(shas.items()):
        if session.scalar(select(TombstoneRow.id).where(TombstoneRow.sha256 == sha)) is None:
            session.add(TombstoneRow(kind=kind, sha256=sha, reference=reference, erased_at=stamp))
    for name in ("complaint", "raw", "message", "content_key", "message_id", "message_sha256", "mail",
                 "investment_key", "project_key", "complainant_key", "extension_reason", "waiting_for"):
        setattr(row, name, None)
    row.review, row.warnings = [], []
    session.flush()
    return counts


def tombstone_of(session: Session, *digests: str | None) -> str | None:
    """The reference of the erased case one of these sha256 digests belonged to (None: none did)."""
    wanted = [d for d in digests if d]
    if not wanted or not has_retention(session):
        return None
    return session.scalar(select(TombstoneRow.reference).where(TombstoneRow.sha256.in_(wanted)).limit(1))


def all_tombstones(session: Session) -> set[str]:
    """Every tombstoned sha256 (for pruning a batch folder: hashes only, no personal data)."""
    return set(session.scalars(select(TombstoneRow.sha256))) if has_retention(session) else set()


def missing_documents(session: Session) -> set[str]:
    """The sha256 of documents whose bytes the register lacks: a batch folder's copy is then the only one."""
    return set(session.scalars(select(DocumentRow.sha256).where(DocumentRow.missing.is_(True),
                                                                DocumentRow.sha256.is_not(None))))


def _candidates(session: Session) -> Iterator[ComplaintRow]:
    erased = select(RetentionRow.complaint_id).where(RetentionRow.erased_at.is_not(None))
    query = (select(ComplaintRow).where(ComplaintRow.status == "closed", ComplaintRow.merged_into.is_(None),
                                        ComplaintRow.id.not_in(erased))
             .order_by(ComplaintRow.prefix, ComplaintRow.year, ComplaintRow.number))
    yield from session.scalars(query).all()


def purge(session: Session, *, today: date, who: str, dry_run: bool = False,
          profiles: Mapping[str, Organisation] | None = None) -> PurgeResult:
    """Erase every closed case whose profile's retention period has passed, unless held (``dry_run``:
    only say which). Held cases whose period passed are listed as ``held``; a case under a profile
    that is neither built in nor given is listed as ``unknown_profile`` and kept."""
    if not has_retention(session):
        raise RegisterError("the register is not upgraded to revision 0015 (retention)")
    result = PurgeResult(today=today, dry_run=dry_run)
    for row in _candidates(session):
        closed = closed_on(session, row)
        assert closed is not None  # a closed case
        try:
            org = profile_for(row.organisation, row.language, profiles, holder=row.reference)
        except UnknownProfileError as exc:
            result.items.append(PurgeItem(row.reference, "unknown_profile", closed, reason=str(exc)))
            continue
        until = keep_until(closed, org)
        if today < until:
            continue
        held = hold_of(session, row)
        if held is not None:
            result.items.append(PurgeItem(row.reference, "held", closed, until, held.reason))
        elif dry_run:
            result.items.append(PurgeItem(row.reference, "would_erase", closed, until))
        else:
            from ._service import case_row

            # Locked first, and read again: an officer's change meanwhile (a hold, a reopening) wins or waits.
            locked = case_row(session, row.reference, lock=True)
            if locked.status != "closed" or hold_of(session, locked) is not None:
                continue
            erase(session, locked, who=who, under="retention")
            result.items.append(PurgeItem(row.reference, "erased", closed, until))
    return result


def compact(engine: Engine) -> None:
    """Give erased rows' space back so their bytes leave the files: SQLite ``VACUUM`` (and the WAL emptied),
    PostgreSQL ``VACUUM FULL`` of the tables an erasure touches (it locks each table while it runs)."""
    tables = ("complaints", "events", "corrections", "documents", "attachments", "source_files", "blobs",
              "outgoing", "correspondence", "case_retention")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.dialect.name == "sqlite":
            raw = connection.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raw.execute("VACUUM")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        elif connection.dialect.name == "postgresql":
            for table in tables:
                connection.execute(text(f"VACUUM FULL {table}"))
