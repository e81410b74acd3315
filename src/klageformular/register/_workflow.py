"""Reference numbers, the status workflow and the append-only event history.

Statuses and the changes allowed between them::

    unreadable ─→ received ─→ acknowledged ─→ under_review ─→ decided ─→ closed
        └──→ closed               └─→ inadmissible ──────────────────→ closed
    escalated (the customer went to a complaints board): from acknowledged, under_review,
    inadmissible, decided or closed; back to under_review, decided or closed.

``unreadable`` is a file a person has to look at: it becomes ``received`` when it is a
complaint after all, or is closed with a note saying why it is not.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..exceptions import InvalidTransitionError, UnknownReferenceError
from ..org import Organisation, get_organisation
from ._names import OUTCOMES, STATUSES, TRANSITIONS
from ._schema import ComplaintRow, CounterRow, EventRow


def reference_prefix(org: Organisation) -> str:
    """``KLA`` for the default profile (Kameo Denmark), ``KLA-NO``/``KLA-SE`` … for the others.

    >>> reference_prefix(get_organisation("kameo-dk")), reference_prefix(get_organisation("kameo-no"))
    ('KLA', 'KLA-NO')
    """
    return "KLA" if org.key == get_organisation().key else f"KLA-{org.country}"


def lock_counter(session: Session, prefix: str, year: int) -> CounterRow:
    """The counter row for ``prefix`` and ``year``, locked until the caller's transaction ends.

    ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` already holds the
    file's write lock. Whoever holds the row may take the next number (``counter.last += 1``).
    """
    query = select(CounterRow).where(CounterRow.prefix == prefix, CounterRow.year == year).with_for_update()
    counter = session.scalars(query).one_or_none()
    if counter is not None:
        return counter
    # The year's first number: create the row; a concurrent twin's insert is a no-op, then both lock it.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":  # the dialects' modules load here, not for every command (start-up)
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(CounterRow).values(prefix=prefix, year=year, last=0).on_conflict_do_nothing())
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(CounterRow).values(prefix=prefix, year=year, last=0).on_conflict_do_nothing())
    counter = session.scalars(query).one_or_none()
    if counter is None:  # another database: a plain insert; a concurrent twin fails on the primary key
        counter = CounterRow(prefix=prefix, year=year, last=0)
        session.add(counter)
    return counter


def next_number(session: Session, prefix: str, year: int) -> int:
    """Take the next number for ``prefix`` and ``year`` inside the caller's transaction.

    A rolled-back transaction gives its number back: numbers are unique and without gaps.
    """
    counter = lock_counter(session, prefix, year)
    counter.last += 1
    session.flush()
    return counter.last


def now() -> datetime:
    """The current time in UTC (events are stored in UTC)."""
    return datetime.now(UTC)


def utc(value: datetime) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite hands them back naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def get_complaint(session: Session, reference: str) -> ComplaintRow:
    """The complaint with this reference, or :class:`UnknownReferenceError`."""
    row = session.scalars(select(ComplaintRow).where(ComplaintRow.reference == reference.strip().upper())).first()
    if row is None:
        raise UnknownReferenceError(f"no complaint {reference!r} in the register")
    return row


def record_event(session: Session, row: ComplaintRow, what: str, *, who: str, note: str | None = None,
                 at: datetime | None = None, from_status: str | None = None,
                 to_status: str | None = None) -> EventRow:
    """Append one event to ``row``'s history."""
    event = EventRow(complaint=row, at=at or now(), who=who, what=what, note=note, from_status=from_status,
                     to_status=to_status)
    session.add(event)
    return event


def change_status(session: Session, row: ComplaintRow, status: str, *, who: str, note: str | None = None,
                  on: date | None = None, outcome: str | None = None, at: datetime | None = None) -> EventRow:
    """Move ``row`` to ``status`` and record it; :class:`InvalidTransitionError` when the workflow forbids it.

    ``on`` is the day it happened when that is not today (a letter sent yesterday); it sets
    ``acknowledged_on`` / ``decided_on``, which the statistics count from, and leads the
    event's note (the event itself keeps the time it was recorded).
    """
    if status not in TRANSITIONS:
        raise InvalidTransitionError(f"unknown status {status!r} (known: {', '.join(STATUSES)})",
                                     current=row.status, requested=status, allowed=TRANSITIONS[row.status])
    allowed = TRANSITIONS[row.status]
    if status not in allowed:
        raise InvalidTransitionError(
            f"{row.reference}: cannot go from {row.status} to {status} (allowed: {', '.join(allowed)})",
            current=row.status, requested=status, allowed=allowed)
    if outcome is not None and outcome not in OUTCOMES:
        raise InvalidTransitionError(f"unknown outcome {outcome!r} (known: {', '.join(OUTCOMES)})",
                                     current=row.status, requested=status, allowed=allowed)
    stamp = at or now()  # the history says when it was recorded; ``on`` says when it happened
    day = on or stamp.date()
    if on is not None and on != stamp.date():
        note = f"({on.isoformat()}) {note or ''}".strip()
    if status == "acknowledged":
        row.acknowledged_on = day
    elif status in ("decided", "inadmissible"):
        row.decided_on = day  # an inadmissibility decision answers the complaint too
        if outcome is not None:
            row.outcome = outcome
    previous, row.status = row.status, status
    return record_event(session, row, "status", who=who, note=note, at=stamp, from_status=previous,
                        to_status=status)


def set_status(engine: Engine, reference: str, status: str, *, who: str, note: str | None = None,
               on: date | None = None, outcome: str | None = None) -> str:
    """Change an entry's status (one event) in a transaction of its own; returns the previous status.

    A thin wrapper of :meth:`Register.set_status`.

    >>> set_status(engine, "KLA-2026-0001", "acknowledged", who="linn")   # doctest: +SKIP
    'received'
    """
    from ._service import Register

    register = Register(engine)
    with register.session() as session, session.begin():
        return register.set_status(session, reference, status, who=who, note=note, on=on, outcome=outcome).previous


def add_note(engine: Engine, reference: str, note: str, *, who: str) -> None:
    """Append a note to an entry's history in a transaction of its own (:meth:`Register.add_note`).

    >>> add_note(engine, "KLA-2026-0001", "Called the customer", who="linn")   # doctest: +SKIP
    """
    from ._service import Register

    register = Register(engine)
    with register.session() as session, session.begin():
        register.add_note(session, reference, note, who=who)
