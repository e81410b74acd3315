"""Lists of cases for people: the due page's sections, the register filtered and paged, search; received per month.

One query shape serves them all: a :class:`CaseFilter` becomes SQL conditions, the database
counts the matches and returns one page of rows (:class:`CasePage`), so a register of 50,000
cases costs an aggregate and a page, never a walk through every case in Python. The due
page's sections (:func:`due_sections`) are the same filter with a ``section``: their counts
are those of :meth:`Register.due` (``tests/test_lists.py`` compares them; "review" counts open
cases with review items, where the due list counts those cases' items) and each lists
its first rows, with the whole section one filtered register list away.

A search (``CaseFilter.text``) matches the folded text of ``case_search`` (reference, names,
emails, investment, subject: ``_search_text.py``) with ``LIKE``, its wildcards escaped, so
``%`` and ``_`` are letters; each word must occur (in any order). The words are parameters,
never SQL, and nothing here logs them.

Not supported: sorting by any column but the list's own order, and a page past the last
(it is empty).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ColumnElement, Select, Text, and_, case, func, or_, select
from sqlalchemy import cast as cast_sql
from sqlalchemy.orm import Session

from ._names import OPEN_STATUSES
from ._query import _ACKNOWLEDGING, _DECIDING
from ._schema import CaseSearchRow, ComplaintRow
from ._search_text import fold
from ._types import DueItem

__all__ = ["SECTIONS", "CaseFilter", "CasePage", "DueSection", "DueSections", "ListRow", "MonthCount",
           "due_sections", "find_cases", "received_by_month"]

Section = Literal["overdue", "today", "upcoming", "review", "unassigned", "mine"]
#: The due page's sections in the order it shows them.
SECTIONS: tuple[Section, ...] = ("overdue", "today", "upcoming", "review", "unassigned", "mine")
NOBODY = "-"  # CaseFilter.assignee: cases nobody is assigned to
_WORDS = 8  # a row shows the subject's first words
_SUBJECT_CHARS = 70


class CaseFilter(BaseModel):
    """Which cases: all of the given conditions at once (none given: the whole register).

    ``section``: one of the due page's (``mine`` needs ``me``); ``text``: words every match
    contains (reference, name, email, subject, investment reference; any case, any order);
    ``assignee``: a name, or ``-`` for nobody; ``received_from``/``received_to``: both days included.
    """

    model_config = ConfigDict(frozen=True)

    section: Section | None = None
    text: str | None = None
    status: tuple[str, ...] = ()
    channel: str | None = None
    language: str | None = None
    assignee: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    me: str | None = None
    days: int = Field(default=7, ge=0)

    @model_validator(mode="after")
    def _mine_needs_me(self) -> CaseFilter:
        if self.section == "mine" and not self.me:
            raise ValueError("the section 'mine' needs the user's name (me)")
        return self

    @property
    def words(self) -> list[str]:
        """The search's words, folded as the column is."""
        return fold(self.text or "").split()


class ListRow(BaseModel):
    """One case in a list: its next deadline (``action``: ``acknowledge`` or ``decide``; None when none runs)
    and the subject's first words."""

    model_config = ConfigDict(frozen=True)

    reference: str
    received: date
    status: str
    deadline: date | None = None
    action: str | None = None
    assignee: str | None = None
    channel: str
    language: str | None = None
    subject: str | None = None
    review: bool = False


class CasePage(BaseModel):
    """One page of a list: ``total`` matches in all, the rows of page ``page`` (from 1) of ``per_page``."""

    model_config = ConfigDict(frozen=True)

    rows: tuple[ListRow, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the matches fill (at least one, so "page 1 of 1" when there are none)."""
        return max(1, -(-self.total // self.per_page))


class DueSection(BaseModel):
    """A section of the due page: how many cases, and the first of them."""

    model_config = ConfigDict(frozen=True)

    name: Section
    count: int
    rows: tuple[ListRow, ...]


class DueSections(BaseModel):
    """The due page on ``today``: the sections in order, letters not delivered, and the counts not listed."""

    model_config = ConfigDict(frozen=True)

    today: date
    days: int
    sections: tuple[DueSection, ...]
    not_delivered: tuple[DueItem, ...] = ()
    waiting: int = 0
    no_decision_date: int = 0

    def section(self, name: Section) -> DueSection:
        """The section called ``name``."""
        return next(s for s in self.sections if s.name == name)


class MonthCount(BaseModel):
    """Entries received in one calendar month."""

    model_config = ConfigDict(frozen=True)

    year: int
    month: int
    count: int


_C = ComplaintRow
# The deadline that runs now: the acknowledgement's for a new case, the decision's for an
# acknowledged one whose clock is not paused; none for the others (as in the due list).
_acknowledging = _C.status.in_(_ACKNOWLEDGING)
_deciding = and_(_C.status.in_(_DECIDING), _C.waiting_since.is_(None))
_DEADLINE = case((_acknowledging, _C.acknowledge_by), (_deciding, _C.decide_by), else_=None)
_ACTION = case((_acknowledging, "acknowledge"), (_deciding, "decide"), else_=None)
# Written as the due list writes it (coalesce, not IS NULL), so the planners choose alike.
_ACTIVE = func.coalesce(_C.merged_into, "") == ""
_HAS_REVIEW = cast_sql(_C.review, Text) != "[]"


def _deadline_in(low: date | None, high: date | None) -> ColumnElement[bool]:
    """The running deadline from ``low`` to ``high`` (both included; None: open), written per column for the indexes."""
    def within(column: Any) -> list[ColumnElement[bool]]:
        return [column.is_not(None)] + ([column >= low] if low else []) + ([column <= high] if high else [])

    # The statuses first, on their own: the planner then reads the few open cases through the
    # (status, deadline) index instead of testing the OR on every case of the register.
    return and_(_C.status.in_(_ACKNOWLEDGING + _DECIDING),
                or_(and_(_acknowledging, *within(_C.acknowledge_by)), and_(_deciding, *within(_C.decide_by))))


def _conditions(wanted: CaseFilter, today: date) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    section = wanted.section
    if section in ("overdue", "today", "upcoming"):
        low, high = {"overdue": (None, today - timedelta(days=1)), "today": (today, today),
                     "upcoming": (today + timedelta(days=1), today + timedelta(days=wanted.days))}[section]
        where += [_deadline_in(low, high), _ACTIVE]
    elif section == "review":
        # Open cases with review items (Register.review's, less the closed and decided: work to do,
        # and read through the status index, not by testing every case's list of items).
        where += [_C.status.in_(OPEN_STATUSES), _ACTIVE, _C.not_a_complaint.is_(False), _HAS_REVIEW]
    elif section in ("unassigned", "mine"):
        where += [_C.status.in_(OPEN_STATUSES), _ACTIVE,
                  _C.assignee.is_(None) if section == "unassigned" else _C.assignee == wanted.me]
    if wanted.words:
        likes = [CaseSearchRow.text.like("%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                                         + "%", escape="\\") for word in wanted.words]
        where.append(_C.id.in_(select(CaseSearchRow.complaint_id).where(*likes)))
    if wanted.status:
        where.append(_C.status.in_(wanted.status))
    if wanted.channel:
        where.append(_C.channel == wanted.channel)
    if wanted.language:
        where.append(_C.language == wanted.language)
    if wanted.assignee:
        where.append(_C.assignee.is_(None) if wanted.assignee == NOBODY else _C.assignee == wanted.assignee)
    if wanted.received_from:
        where.append(_C.received >= wanted.received_from)
    if wanted.received_to:
        where.append(_C.received <= wanted.received_to)
    return where


def _ordered(query: Select[tuple[object, ...]], wanted: CaseFilter) -> Select[tuple[object, ...]]:
    if wanted.section in ("overdue", "today", "upcoming"):  # the nearest deadline first, as the due list
        return query.order_by(_DEADLINE, _C.prefix, _C.year, _C.number)
    if wanted.section is not None:  # the oldest first: it has waited longest
        return query.order_by(_C.received, _C.prefix, _C.year, _C.number)
    return query.order_by(_C.received.desc(), _C.prefix.desc(), _C.year.desc(), _C.number.desc())  # newest first


def _first_words(text: str | None) -> str | None:
    words = (text or "").split()
    if not words:
        return None
    shown = " ".join(words[:_WORDS])
    if len(shown) > _SUBJECT_CHARS:
        shown = shown[:_SUBJECT_CHARS - 1].rstrip()
    return shown + ("…" if shown != " ".join(words) else "")


def find_cases(session: Session, wanted: CaseFilter, *, today: date, page: int = 1, per_page: int = 50) -> CasePage:
    """Page ``page`` of the cases ``wanted`` matches, counted and read by the database in the caller's session.

    The register list's order is the newest first; a due section's is the nearest deadline
    (overdue, today, upcoming) or the longest waiting (review, unassigned, mine).

    >>> find_cases(s, CaseFilter(text="Østergaard"), today=date(2026, 12, 2)).total   # doctest: +SKIP
    1
    """
    if page < 1 or not 1 <= per_page <= 1000:
        raise ValueError("page must be >= 1 and per_page from 1 to 1000")
    where = _conditions(wanted, today)
    total = int(session.scalar(select(func.count()).select_from(_C).where(*where)) or 0)
    # The subject comes out of the JSON in SQL: only its text crosses, not the whole complaint.
    subject = _C.complaint["subject"].as_string()
    query = select(_C.reference, _C.received, _C.status, _DEADLINE.label("deadline"), _ACTION.label("action"),
                   _C.assignee, _C.channel, _C.language, subject.label("subject"), _C.message,
                   _HAS_REVIEW.label("review")).where(*where)
    rows = session.execute(_ordered(query, wanted).offset((page - 1) * per_page).limit(per_page)).all()
    return CasePage(total=total, page=page, per_page=per_page, rows=tuple(
        ListRow(reference=r.reference, received=r.received, status=r.status, deadline=r.deadline, action=r.action,
                assignee=r.assignee, channel=r.channel, language=r.language,
                subject=_first_words(r.subject or r.message), review=bool(r.review)) for r in rows))


def due_sections(session: Session, today: date, *, me: str, days: int = 7, rows: int = 10,
                 sections: Sequence[Section] = SECTIONS) -> DueSections:
    """The due page on ``today`` for the user ``me``: each section's count and first ``rows`` rows.

    Also the letters that did not arrive and the counts of paused and dateless cases, from
    :func:`~klageformular.register._query.due_list`'s own queries (not its lists).
    """
    from ._outbox import not_delivered

    found = []
    for name in sections:
        listed = find_cases(session, CaseFilter(section=name, me=me, days=days), today=today, per_page=rows)
        found.append(DueSection(name=name, count=listed.total, rows=listed.rows))
    counts = session.execute(select(
        func.count().filter(_C.status.in_(_DECIDING), _C.waiting_since.is_not(None)),
        func.count().filter(_C.status.in_(_DECIDING), _C.waiting_since.is_(None), _C.decide_by.is_(None)),
    ).where(_C.status.in_(OPEN_STATUSES), _ACTIVE)).one()
    return DueSections(today=today, days=days, sections=tuple(found),
                       not_delivered=tuple(not_delivered(session, today)),
                       waiting=int(counts[0] or 0), no_decision_date=int(counts[1] or 0))


def received_by_month(session: Session, start: date, end: date) -> list[MonthCount]:
    """Entries received per calendar month from ``start`` to ``end`` (both days included), every month listed.

    All entries, as the report's ``received`` counts them: the months add up to it.
    """
    year, month = func.extract("year", _C.received), func.extract("month", _C.received)
    counted = {(int(y), int(m)): int(n) for y, m, n in session.execute(
        select(year, month, func.count()).where(_C.received >= start, _C.received <= end).group_by(year, month))}
    months, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append(MonthCount(year=y, month=m, count=counted.get((y, m), 0)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months
