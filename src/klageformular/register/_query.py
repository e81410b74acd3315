"""Reading the register: list, show with related complaints, the due list; working days (the report: _report.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, selectinload

from ..workdays import is_working_day
from ._names import OPEN_STATUSES
from ._reads import read_session
from ._schema import ComplaintRow
from ._types import DueItem, DueList, DueStream
from ._workflow import get_complaint, utc

_WHY = {"investment_key": "investment", "project_key": "project", "complainant_key": "complainant"}


def entry(row: ComplaintRow) -> dict[str, Any]:
    """One register entry as JSON-ready data (what ``register list --json`` prints per line)."""
    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "reference": row.reference, "status": row.status, "received": day(row.received),
        "received_at": utc(row.received_at).isoformat() if row.received_at else None,
        "acknowledge_by": day(row.acknowledge_by), "decide_by": day(row.decide_by),
        "acknowledged_on": day(row.acknowledged_on), "decided_on": day(row.decided_on), "outcome": row.outcome,
        "organisation": row.organisation, "language": row.language, "channel": row.channel,
        "method": row.method, "parse_status": row.parse_status, "review": row.review,
        "reason": row.reason, "message": row.message, "complaint": row.complaint,
    }


def list_complaints(engine: Engine, *, status: Sequence[str] = (), since: date | None = None,
                    related_to: str | None = None) -> list[dict[str, Any]]:
    """Entries in order of reference, filtered by status, received on or after ``since``, or related to a reference.

    >>> [e["reference"] for e in list_complaints(engine, status=["received"])]   # doctest: +SKIP
    ['KLA-2026-0001', 'KLA-2026-0003']
    """
    with read_session(engine) as session:
        query = select(ComplaintRow)
        if status:
            query = query.where(ComplaintRow.status.in_(status))
        if since is not None:
            query = query.where(ComplaintRow.received >= since)
        if related_to is not None:
            base = get_complaint(session, related_to)
            query = query.where(ComplaintRow.id.in_([r.id for r, _ in _related(session, base)]))
        rows = session.scalars(query.order_by(ComplaintRow.received, ComplaintRow.prefix, ComplaintRow.year,
                                              ComplaintRow.number)).all()
        return [entry(r) for r in rows]


def _related(session: Session, row: ComplaintRow) -> list[tuple[ComplaintRow, list[str]]]:
    keys = {name: getattr(row, name) for name in _WHY if getattr(row, name)}
    if not keys:
        return []
    matches = session.scalars(select(ComplaintRow).where(
        ComplaintRow.id != row.id, or_(*(getattr(ComplaintRow, name) == value for name, value in keys.items())))
        .order_by(ComplaintRow.received, ComplaintRow.id)).all()
    return [(m, [_WHY[name] for name, value in keys.items() if getattr(m, name) == value]) for m in matches]


def show(engine: Engine, reference: str) -> dict[str, Any]:
    """Everything about one entry: the complaint, review items, files, attachments, events and related complaints."""
    with read_session(engine) as session:
        row = session.scalars(select(ComplaintRow).where(ComplaintRow.id == get_complaint(session, reference).id)
                              .options(selectinload(ComplaintRow.files), selectinload(ComplaintRow.events),
                                       selectinload(ComplaintRow.attachments))).one()
        return entry(row) | {
            "warnings": row.warnings, "raw": row.raw, "error": row.error, "message_id": row.message_id,
            "mail": row.mail, "content_key": row.content_key,
            "files": [{"source": f.source, "sha256": f.sha256, "kind": f.kind,
                       "received": f.received.isoformat() if f.received else None, "quarantine": f.quarantine}
                      for f in row.files],
            "attachments": [{"name": a.name, "content_type": a.content_type, "size": a.size, "sha256": a.sha256,
                             "path": a.path, "unreadable": a.unreadable} for a in row.attachments],
            "events": [event_dict(e) for e in row.events],
            "related": [{"reference": m.reference, "status": m.status, "outcome": m.outcome,
                         "received": m.received.isoformat(), "same": why} for m, why in _related(session, row)],
        }


def event_dict(event: Any) -> dict[str, Any]:
    """An event as JSON-ready data."""
    return {"at": utc(event.at).isoformat(timespec="seconds"), "who": event.who, "what": event.what,
            "from": event.from_status, "to": event.to_status, "note": event.note}


# -- deadlines ------------------------------------------------------------------------------------

DueReport = DueList  # the name before the service (kept for callers)


def due(engine: Engine, today: date, *, days: int = 7) -> DueList:
    """The deadlines to act on (a thin wrapper of :meth:`Register.due` in its own read-only session).

    >>> report = due(engine, date(2026, 12, 29))                        # doctest: +SKIP
    >>> [i.reference for i in report.overdue]                           # doctest: +SKIP
    ['KLA-2026-0007']
    """
    from ._service import Register

    with read_session(engine) as session:
        return Register(engine).due(session, today, days=days)


_ACKNOWLEDGING = ("unreadable", "received")  # the deadline is the acknowledgement's
_DECIDING = tuple(s for s in OPEN_STATUSES if s not in _ACKNOWLEDGING and s != "escalated")  # the decision's


def due_stream(session: Session, today: date, *, days: int = 7, open_review: int = 0) -> DueStream:
    """Open deadlines on ``today`` in the caller's session: overdue, today, and the ``days`` after today.

    The window runs across weekends and holidays (on a Thursday, Monday's deadlines are in it). A
    case waiting for the customer's information is counted, not listed: its decision date moves
    when the answer arrives. An escalated case is the board's timetable, not ours: counted as
    unassigned if it is, never listed. A letter that did not arrive (a bounce, a refusal) is
    listed apart, as not delivered, until a later letter of its kind is sent or posted.

    The database does the work: the listed cases are read through the (status, deadline) index,
    only those with a deadline up to the window's end, in order and in chunks; the counts are one
    aggregate. A register whose escalated and waiting cases pile up over the years costs no more
    per call.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    window_end = today + timedelta(days=days)
    c = ComplaintRow
    # Not merged, written so that no index on merged_into is used: "IS NULL" looks selective to
    # SQLite's planner, which would then walk the whole register instead of the open statuses.
    active = (func.coalesce(c.merged_into, "") == "",)
    deciding = c.status.in_(_DECIDING)
    counts = session.execute(select(
        func.count().filter(c.assignee.is_(None)),
        func.count().filter(deciding, c.waiting_since.is_not(None)),
        func.count().filter(deciding, c.waiting_since.is_(None), c.decide_by.is_(None)),
    ).where(c.status.in_(OPEN_STATUSES), *active)).one()
    unassigned, waiting, no_date = (int(n or 0) for n in counts)
    columns = (c.reference, c.status, c.received, c.assignee)
    acknowledge = select(*columns, c.acknowledge_by.label("deadline"), literal("acknowledge").label("action")).where(
        c.status.in_(_ACKNOWLEDGING), c.acknowledge_by <= window_end, *active)
    decide = select(*columns, c.decide_by.label("deadline"), literal("decide").label("action")).where(
        deciding, c.waiting_since.is_(None), c.decide_by <= window_end, *active)
    both = union_all(acknowledge, decide).subquery()
    # References compare as Python compares them (code points): SQLite's BINARY does; PostgreSQL's
    # default collation may not (it can skip the hyphens), so "C" there.
    reference = both.c.reference.collate("C") if session.get_bind().dialect.name == "postgresql" \
        else both.c.reference
    query = select(both).order_by(both.c.deadline, reference)
    from ._outbox import not_delivered  # letters that did not arrive (outbox, 0009)

    undelivered = not_delivered(session, today)
    rows = session.execute(query, execution_options={"yield_per": 1000})
    # model_construct: the values are the database's own typed columns, checked when they were stored.
    items = (DueItem.model_construct(reference=r.reference, status=r.status, received=r.received,
                                     deadline=r.deadline, action=r.action, assignee=r.assignee, note=None)
             for r in rows)
    return DueStream(today=today, days=days, waiting=waiting, no_decision_date=no_date, open_review=open_review,
                     unassigned=unassigned, items=items, not_delivered=undelivered)


def due_list(session: Session, today: date, *, days: int = 7, open_review: int = 0) -> DueList:
    """:func:`due_stream` as one :class:`DueList` (its items read into three lists)."""
    stream = due_stream(session, today, days=days, open_review=open_review)
    parts: dict[str, list[DueItem]] = {"overdue": [], "due_today": [], "upcoming": []}
    for item in stream.items:
        parts[stream.bucket(item)].append(item)
    return DueList(today=today, days=days, overdue=parts["overdue"], due_today=parts["due_today"],
                   upcoming=parts["upcoming"], waiting=stream.waiting, no_decision_date=stream.no_decision_date,
                   open_review=stream.open_review, unassigned=stream.unassigned, not_delivered=stream.not_delivered)


# -- statistics -----------------------------------------------------------------------------------


def working_days_between(start: date, end: date, country: str) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when done on the day of receipt).

    >>> working_days_between(date(2026, 12, 23), date(2026, 12, 29), "DK")   # Christmas in between
    3
    """
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        days += is_working_day(day, country)
    return days
