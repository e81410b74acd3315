"""The compliance report: figures per period, computed by the database (GROUP BY), as a typed :class:`Report`.

Every figure is about the entries *received* in the period (both days included): how many,
how many a person found not to be complaints (``not_a_complaint``), how many were merged into
another case (counted once, in the case they joined), and for the complaints their status, category,
outcome, channel and language, working days to acknowledgement and to decision, how many
missed a deadline, the measures taken on them and the compensation paid (summed per
currency, exactly). ``-`` stands for "not set" (no language, no category).

No row is loaded whole: each query returns counts per group. Working days need the holidays
of each case's profile, which SQL does not know, so the database returns how many cases share
each (profile, received, acknowledged) triple, and each triple's working days are one
subtraction in a running count of working days per country (:class:`_WorkdayCount`), made
once per report over the days the triples span — not a walk day by day per case or per triple.
SQLite and PostgreSQL give identical figures (tests/test_report.py).
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ColumnElement, Engine, and_, case, func, or_, select
from sqlalchemy.orm import Session

from ..exceptions import ConfigurationError
from ..org import Organisation, profile_for
from ._names import MEASURES
from ._reads import read_session
from ._schema import CategoryRow, ComplaintRow, EventRow, MeasureRow

__all__ = ["Compensation", "MeasureFigure", "Period", "Report", "Spread", "WorkingDays", "build_report", "report",
           "working_days"]

UNSET = "-"


class Period(BaseModel):
    """From ``start`` to ``end``, both days included."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")
        return self

    @classmethod
    def between(cls, start: date, end: date) -> Period:
        """``start`` to ``end``; :class:`~klageformular.exceptions.ConfigurationError` when it ends before it starts."""
        if end < start:
            raise ConfigurationError(f"the period ends ({end}) before it starts ({start})")
        return cls(start=start, end=end)

    @classmethod
    def of(cls, year: int, *, quarter: int | None = None, month: int | None = None) -> Period:
        """A calendar year, one of its quarters (1–4) or one of its months (1–12).

        >>> Period.of(2026, quarter=4)
        Period(start=datetime.date(2026, 10, 1), end=datetime.date(2026, 12, 31))
        """
        if quarter is not None and month is not None:
            raise ConfigurationError("give a quarter or a month, not both")
        if not 1 <= year <= 9999:
            raise ConfigurationError(f"{year} is not a year")
        first, last = 1, 12
        if quarter is not None:
            if not 1 <= quarter <= 4:
                raise ConfigurationError(f"quarter {quarter}: use 1 to 4")
            first, last = 3 * quarter - 2, 3 * quarter
        elif month is not None:
            if not 1 <= month <= 12:
                raise ConfigurationError(f"month {month}: use 1 to 12")
            first = last = month
        return cls(start=date(year, first, 1), end=date(year, last, calendar.monthrange(year, last)[1]))


class Spread(BaseModel):
    """Working days over ``count`` cases: the median (a half when the count is even) and the maximum."""

    count: int = 0
    median: float | None = None
    max: int | None = None


class MeasureFigure(BaseModel):
    """How often a measure was taken, and on how many cases."""

    cases: int = 0
    measures: int = 0


class Compensation(BaseModel):
    """Compensation paid in one currency: the exact total, how many payments, on how many cases."""

    currency: str
    cases: int
    payments: int
    total: Decimal


class Report(BaseModel):
    """The figures for entries received from ``start`` to ``end``; deadlines judged as of ``as_of``.

    ``received`` = ``complaints`` + ``not_complaints`` (entries a person closed as not being a
    complaint: ``register set REF closed --not-a-complaint``) + ``merged`` (cases merged into
    another, which is counted among the complaints). Every other figure counts complaints only:
    a merged case's own categories and measures stay on its record and count nowhere (the
    case it joined carries the work from then on). ``overdue`` counts complaints
    acknowledged or decided after their deadline, or still waiting past it on ``as_of`` (the
    earlier of the day the report was made and the period's end); ``overdue_acknowledgement``
    and ``overdue_decision`` split it (a case late on both counts once in ``overdue``).
    """

    start: date
    end: date
    as_of: date
    received: int
    complaints: int
    not_complaints: int
    merged: int = Field(description="Cases merged into another case (counted there)")
    by_status: dict[str, int]
    by_product: dict[str, int]
    by_cause: dict[str, int]
    by_outcome: dict[str, int]
    by_channel: dict[str, int]
    by_language: dict[str, int]
    working_days_to_acknowledgement: Spread = Field(description="Working days from receipt to acknowledgement")
    working_days_to_decision: Spread = Field(description="Working days from receipt to decision (or inadmissibility)")
    overdue: int
    overdue_acknowledgement: int
    overdue_decision: int
    measures: dict[str, MeasureFigure] = Field(description="Every measure kind, zero when never taken")
    compensation: list[Compensation] = Field(description="Per currency, in alphabetical order")


Profiles = Mapping[str, Organisation]


def _country(key: str, organisations: Profiles | None) -> str:
    return profile_for(key, profiles=organisations, holder="a case in the report").holiday_country


class _WorkdayCount:
    """Working days after one day up to another (as :func:`~._query.working_days_between` counts them) by one
    subtraction: per country, how many working days there are from the first day asked for up to each day.

    Built once per report for the span of the days it is asked about (five years are under 2,000
    days, each looked up once), so the cost grows with the calendar, not with the cases.
    """

    def __init__(self, spans: Mapping[str, tuple[date, date]]) -> None:
        from ..workdays import is_working_day

        self._tables: dict[str, tuple[date, list[int]]] = {}
        for country, (first, last) in spans.items():
            running, total = [0], 0
            for offset in range(1, (last - first).days + 1):
                total += is_working_day(first + timedelta(days=offset), country)
                running.append(total)
            self._tables[country] = (first, running)

    def between(self, start: date, end: date, country: str) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0
        first, running = self._tables[country]
        return running[(end - first).days] - running[(start - first).days]


def _spread(values: Counter[int]) -> Spread:
    """Median and maximum of a distribution given as value → how many (the list is never built)."""
    count = sum(values.values())
    if not count:
        return Spread()
    ordered = sorted(values.items())

    def at(position: int) -> int:  # the value at 0-based position in the sorted list
        seen = 0
        for value, times in ordered:
            seen += times
            if position < seen:
                return value
        raise AssertionError("position past the end")

    middle = count // 2
    median = float(at(middle)) if count % 2 else (at(middle - 1) + at(middle)) / 2
    return Spread(count=count, median=median, max=ordered[-1][0])


def _late(deadline: Any, done: Any, as_of: date) -> ColumnElement[bool]:
    return and_(deadline.is_not(None), or_(and_(done.is_not(None), done > deadline),
                                           and_(done.is_(None), deadline < as_of)))


def _merged() -> ColumnElement[bool]:
    """A case merged into another: a pointer now, counted in the case it joined."""
    return ComplaintRow.merged_into.is_not(None)


def _not_a_complaint() -> ColumnElement[bool]:
    """An entry a person closed as not a complaint (the flag ``--not-a-complaint`` sets), unless merged."""
    return and_(ComplaintRow.not_a_complaint.is_(True), ~_merged())


class WorkingDays(BaseModel):
    """How many complaints took each number of working days (days → cases) to acknowledgement and to decision."""

    acknowledgement: dict[int, int]
    decision: dict[int, int]


def _day_counts(session: Session, complaints: ColumnElement[bool], organisations: Profiles | None
                ) -> dict[str, Counter[int]]:
    """Working days to acknowledgement and to decision (days -> cases), from one GROUP BY of day pairs each
    and one running count of working days per country (built once, not counted day by day per pair)."""
    triples: dict[str, list[tuple[str, date, date, int]]] = {}
    spans: dict[str, tuple[date, date]] = {}
    countries: dict[str, str] = {}
    for name, done in (("ack", ComplaintRow.acknowledged_on), ("decide", ComplaintRow.decided_on)):
        grouped_days = (select(ComplaintRow.organisation, ComplaintRow.received, done, func.count())
                        .where(complaints, done.is_not(None))
                        .group_by(ComplaintRow.organisation, ComplaintRow.received, done))
        triples[name] = []
        for key, received, finished, count in session.execute(grouped_days):
            assert finished is not None  # the query's own condition
            if key not in countries:
                countries[key] = _country(key, organisations)
            country = countries[key]
            triples[name].append((country, received, finished, count))
            first, last = spans.get(country, (received, finished))
            spans[country] = (min(first, received, finished), max(last, received, finished))
    workdays = _WorkdayCount(spans)
    spreads: dict[str, Counter[int]] = {}
    for name, found in triples.items():
        spreads[name] = Counter()
        for country, received, finished, count in found:
            spreads[name][workdays.between(received, finished, country)] += count
    return spreads


def _complaints(period: Period) -> ColumnElement[bool]:
    in_period = and_(ComplaintRow.received >= period.start, ComplaintRow.received <= period.end)
    return and_(in_period, ComplaintRow.not_a_complaint.is_(False), ~_merged())


def working_days(session: Session, period: Period, *, organisations: Profiles | None = None) -> WorkingDays:
    """The distributions behind the report's working-day figures (its median and maximum come from these)."""
    spreads = _day_counts(session, _complaints(period), organisations)
    return WorkingDays(acknowledgement=dict(sorted(spreads["ack"].items())),
                       decision=dict(sorted(spreads["decide"].items())))


def build_report(session: Session, period: Period, *, today: date, organisations: Profiles | None = None) -> Report:
    """The report for ``period``, in the caller's session; ``organisations``: profile files by key (holidays)."""
    as_of = min(today, period.end)
    in_period = and_(ComplaintRow.received >= period.start, ComplaintRow.received <= period.end)
    complaints = _complaints(period)

    # Counted with CASE, not grouped by the condition: PostgreSQL does not match a GROUP BY
    # expression whose bound parameters differ from the select list's.
    everything, not_complaints, merged = session.execute(
        select(func.count(), func.count(case((_not_a_complaint(), 1))), func.count(case((_merged(), 1))))
        .where(in_period)).one()
    figures: dict[str, Counter[str]] = defaultdict(Counter)
    dimensions = {"status": ComplaintRow.status, "product": CategoryRow.product, "cause": CategoryRow.cause,
                  "outcome": ComplaintRow.outcome, "channel": ComplaintRow.channel,
                  "language": ComplaintRow.language}
    grouped = (select(*dimensions.values(), func.count())
               .select_from(ComplaintRow).outerjoin(CategoryRow, CategoryRow.complaint_id == ComplaintRow.id)
               .where(complaints).group_by(*dimensions.values()))
    for *values, count in session.execute(grouped):
        for name, value in zip(dimensions, values, strict=True):
            if value is not None or name != "outcome":  # an outcome exists only once decided
                figures[name][value or UNSET] += count

    spreads = _day_counts(session, complaints, organisations)

    late_ack = _late(ComplaintRow.acknowledge_by, ComplaintRow.acknowledged_on, as_of)
    late_decision = _late(ComplaintRow.decide_by, ComplaintRow.decided_on, as_of)
    overdue = session.execute(select(func.count(case((or_(late_ack, late_decision), 1))),
                                     func.count(case((late_ack, 1))), func.count(case((late_decision, 1))))
                              .where(complaints)).one()

    measured = (select(MeasureRow.kind, func.count(func.distinct(EventRow.complaint_id)), func.count())
                .join(EventRow, MeasureRow.event_id == EventRow.id)
                .join(ComplaintRow, ComplaintRow.id == EventRow.complaint_id).where(complaints))
    measures = {kind: MeasureFigure() for kind in MEASURES}
    for kind, cases, count in session.execute(measured.group_by(MeasureRow.kind)):
        measures[kind] = MeasureFigure(cases=cases, measures=count)
    paid = measured.where(MeasureRow.kind == "compensation")
    counts = {currency: (cases, count) for _, cases, count, currency in session.execute(
        paid.add_columns(MeasureRow.currency).group_by(MeasureRow.kind, MeasureRow.currency))}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    # Grouped by decimals too: should CLDR ever change a currency's minor unit, old rows still add up.
    sums = (select(MeasureRow.currency, MeasureRow.minor_digits, func.sum(MeasureRow.amount_minor))
            .join(EventRow, MeasureRow.event_id == EventRow.id)
            .join(ComplaintRow, ComplaintRow.id == EventRow.complaint_id)
            .where(complaints, MeasureRow.kind == "compensation")
            .group_by(MeasureRow.currency, MeasureRow.minor_digits))
    for currency, digits, total in session.execute(sums):  # the check constraint makes both non-null
        totals[str(currency)] += Decimal(total or 0).scaleb(-int(digits or 0))

    return Report(
        start=period.start, end=period.end, as_of=as_of,
        received=everything, complaints=everything - not_complaints - merged, not_complaints=not_complaints,
        merged=merged,
        **{f"by_{name}": dict(sorted(figures[name].items())) for name in dimensions},
        working_days_to_acknowledgement=_spread(spreads["ack"]), working_days_to_decision=_spread(spreads["decide"]),
        overdue=overdue[0], overdue_acknowledgement=overdue[1], overdue_decision=overdue[2],
        measures=measures,
        compensation=[Compensation(currency=c, cases=counts[c][0], payments=counts[c][1], total=totals[c])
                      for c in sorted(totals)],
    )


def report(engine: Engine, start: date, end: date, *, today: date,
           organisations: Profiles | None = None) -> Report:
    """:func:`build_report` for ``start``–``end`` in a session of its own (read only).

    >>> report(engine, date(2026, 1, 1), date(2026, 12, 31), today=date(2027, 1, 8)).received  # doctest: +SKIP
    12
    """
    with read_session(engine) as session:
        return build_report(session, Period.between(start, end), today=today, organisations=organisations)

