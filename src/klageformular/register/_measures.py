"""Measures taken on a case and its category: what Kameo's complaints page promises, on record.

The page says the complaints officer assesses whether more information or documentation is
needed, whether to seek external advice, whether other complaints on the same matter came in
(and how they were handled), and whether the complaint should lead to changed routines,
changed practice, staff training or other internal consequences. Each of those, and any
compensation paid, is a *measure*: one ``measure`` event in the append-only history (who,
when, note) with a ``measures`` row beside it. A case's category — a *product* and a *cause*
from its organisation profile's lists (:class:`~klageformular.org.Categories`) — is set by a
``categorized`` event; the current pair is kept for the report.

Functions take the caller's session (the caller owns the unit of work); the
:class:`~klageformular.register.Register` service calls them, and like every change they
lock the case first, refuse a stale ``version`` (:class:`~klageformular.exceptions.StaleCaseError`,
with who changed it and when) and a case merged into another, and move the case's version::

    with Session(engine) as session, session.begin():
        record_measure(session, "KLA-2026-0001", "compensation", who="linn", amount=Decimal("500"))

A merged case keeps its own measures and categories (its events stay with it); the report
counts it apart, so they count nowhere else: categorize and measure the case it joined. An
erased case keeps its measures and category and may take more, but not with a note (the
officer's words are personal text an erasure removes).

Amounts are :class:`~decimal.Decimal`, never float, and stored as an integer count of the
currency's minor unit (Babel's CLDR data says how many decimals a currency has), so a sum is
exact on SQLite and PostgreSQL alike. Not supported: withdrawing a measure recorded by mistake
(record a note saying so; the history keeps both), or categories outside the profile's lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ..exceptions import InvalidMeasureError, RegisterError, UnknownCategoryError
from ..org import Category, Organisation, profile_for
from ._names import CATEGORY_FACETS, MEASURES
from ._retention import refuse_if_erased
from ._schema import CategoryRow, ComplaintRow, EventRow, MeasureRow
from ._service import lock_case
from ._types import CaseCategory, Measure
from ._workflow import get_complaint, now, record_event, utc

__all__ = ["Categorization", "Measure", "case_profile", "categorize", "category_of_row", "measures_of",
           "measures_of_row", "parse_money", "record_measure"]

Profiles = Mapping[str, Organisation]
_MAX_MINOR = 10**15  # a thousand billion kroner: anything larger is a typing error, and fits a BIGINT
_NEEDS_NOTE = ("other_consequence",)  # "other" says nothing without words


@dataclass(frozen=True)
class Categorization:
    """A case's category after a change, and what it was before (None: not set)."""

    reference: str
    product: str | None
    cause: str | None
    previous_product: str | None
    previous_cause: str | None
    at: datetime
    who: str
    note: str | None


def case_profile(row: ComplaintRow, organisations: Profiles | None = None) -> Organisation:
    """The profile a case is handled under: a profile file given for its key, else the built-in one
    (the one rule, :func:`klageformular.org.profile_for`: an unknown key is refused, never guessed)."""
    return profile_for(row.organisation, row.language, organisations, holder=row.reference)


def parse_money(text: str) -> Decimal:
    """An amount as an officer types it: digits with ``.`` or ``,`` before the decimals, no thousands separator.

    ``12,345`` could be twelve thousand or twelve kroner: only one reading is accepted.

    >>> parse_money("1250,50"), parse_money(" 500 ")
    (Decimal('1250.50'), Decimal('500'))
    """
    cleaned = text.strip()
    if not re.fullmatch(r"\d{1,18}(?:[.,]\d{1,6})?", cleaned):
        raise InvalidMeasureError(f"{text!r} is not an amount: write digits with '.' or ',' before the decimals "
                                  "and no thousands separator (e.g. 1250.50)")
    return Decimal(cleaned.replace(",", "."))


def _minor_units(amount: Decimal, currency: str) -> tuple[int, int]:
    from babel.numbers import get_currency_precision, is_currency

    if not is_currency(currency):
        raise InvalidMeasureError(f"{currency!r} is not an ISO 4217 currency code (e.g. DKK, NOK, SEK, EUR)")
    digits = get_currency_precision(currency)
    try:
        minor = amount.scaleb(digits)
        exact = amount.is_finite() and minor == minor.to_integral_value()
    except InvalidOperation:
        exact = False
    if not exact:
        raise InvalidMeasureError(f"{amount} {currency}: {currency} has {digits} decimal(s)")
    if not 0 < minor < _MAX_MINOR:
        raise InvalidMeasureError(f"{amount} {currency}: a compensation is more than 0 and less than "
                                  f"{Decimal(_MAX_MINOR).scaleb(-digits):,f} {currency}")
    return int(minor), digits


def _note(note: str | None) -> str | None:
    return note.strip() or None if note else None


def _sentence(head: str, note: str | None) -> str:
    """The event's note: what was recorded, then the officer's words (``register show`` prints it)."""
    return f"{head} — {note}" if note else head


def record_measure(session: Session, reference: str, kind: str, *, who: str, note: str | None = None,
                   amount: Decimal | None = None, currency: str | None = None,
                   organisations: Profiles | None = None, at: datetime | None = None,
                   version: int | None = None) -> Measure:
    """Record a measure taken on a case: one ``measure`` event and its row, in the caller's transaction.

    ``kind`` is one of :data:`~klageformular.register.MEASURES`. ``compensation`` needs an
    ``amount`` (more than 0, no more decimals than the currency has); its ``currency`` defaults
    to the case's profile's. ``other_consequence`` needs a note saying what it was.

    >>> record_measure(session, "KLA-2026-0001", "staff_training", who="linn",
    ...                note="Training on payout dates")                          # doctest: +SKIP
    """
    if kind not in MEASURES:
        raise InvalidMeasureError(f"unknown measure {kind!r} (known: {', '.join(MEASURES)})")
    text = _note(note)
    if kind in _NEEDS_NOTE and text is None:
        raise InvalidMeasureError(f"{kind} needs a note saying what was done (--note)")
    row = lock_case(session, reference, version=version)
    if text is not None:  # the measure itself is kept by an erasure; the officer's words are not
        refuse_if_erased(session, row, hint="record the measure without a note")
    minor = digits = None
    head = kind
    if kind == "compensation":
        if amount is None:
            raise InvalidMeasureError("compensation needs an amount (--amount)")
        if not isinstance(amount, Decimal):  # a float would carry its binary error into the register
            raise InvalidMeasureError(f"amounts are Decimal, not {type(amount).__name__}")
        currency = (currency or case_profile(row, organisations).currency).strip().upper()
        minor, digits = _minor_units(amount, currency)
        amount = Decimal(minor).scaleb(-digits)
        head = f"compensation {amount:f} {currency}"
    elif amount is not None or currency is not None:
        raise InvalidMeasureError(f"{kind} has no amount (only compensation has)")
    event = record_event(session, row, "measure", who=who, note=_sentence(head, text), at=at or now())
    flag_modified(row, "status")  # the case changed: its version moves with the flush below
    session.flush()  # the event's id, for the row below
    session.add(MeasureRow(event_id=event.id, kind=kind, amount_minor=minor, minor_digits=digits,
                           currency=currency if kind == "compensation" else None))
    session.flush()
    return Measure(reference=row.reference, kind=kind, at=utc(event.at), who=who, note=text,
                   amount=amount if minor else None, currency=currency if minor else None)


def _pick(org: Organisation, facet: str, value: str) -> Category:
    listed: tuple[Category, ...] = getattr(org.categories, facet)
    key = value.strip().lower()
    for category in listed:
        if category.key == key:
            return category
    known = [c.key for c in listed]
    if not known:
        raise UnknownCategoryError(f"profile {org.key!r} lists no {facet} categories: add [[categories.{facet}]] "
                                   "entries to its profile file (see 'org export')", facet=facet, value=value,
                                   known=known)
    raise UnknownCategoryError(f"unknown {facet} {value!r} for profile {org.key!r} (known: {', '.join(known)})",
                               facet=facet, value=value, known=known)


def categorize(session: Session, reference: str, *, who: str, product: str | None = None, cause: str | None = None,
               note: str | None = None, organisations: Profiles | None = None,
               at: datetime | None = None, version: int | None = None) -> Categorization:
    """Set a case's product and/or cause (keys from its profile's lists): one ``categorized`` event.

    A value left out stays as it was. An unknown key is refused with the keys the profile
    knows (:class:`~klageformular.exceptions.UnknownCategoryError`); a change to what is
    already set is refused too (nothing to record).
    """
    if product is None and cause is None:
        raise RegisterError("give a product, a cause or both")
    row = lock_case(session, reference, version=version)
    org = case_profile(row, organisations)
    chosen = {facet: _pick(org, facet, value).key for facet, value in zip(CATEGORY_FACETS, (product, cause),
                                                                            strict=True) if value is not None}
    current = session.get(CategoryRow, row.id)
    before = {facet: getattr(current, facet) if current else None for facet in CATEGORY_FACETS}
    after = before | chosen
    if after == before:
        raise RegisterError(f"{row.reference} is already {', '.join(f'{k} {v}' for k, v in chosen.items())}; "
                            "nothing done")
    text = _note(note)
    if text is not None:  # the category is kept by an erasure; the officer's words are not
        refuse_if_erased(session, row, hint="set the category without a note")
    head = "; ".join(f"{facet}: {before[facet] or '–'} → {after[facet] or '–'}" for facet in CATEGORY_FACETS
                     if before[facet] != after[facet])
    event = record_event(session, row, "categorized", who=who, note=_sentence(head, text), at=at or now())
    flag_modified(row, "status")  # the case changed: its version moves with the flush below
    session.flush()  # the event's id, for the row below
    if current is None:
        session.add(CategoryRow(complaint_id=row.id, product=after["product"], cause=after["cause"],
                                event_id=event.id))
    else:
        current.product, current.cause, current.event_id = after["product"], after["cause"], event.id
    session.flush()
    return Categorization(row.reference, after["product"], after["cause"], before["product"], before["cause"],
                          utc(event.at), who, text)


def measures_of(session: Session, reference: str) -> Iterator[Measure]:
    """The measures taken on a case, oldest first."""
    return measures_of_row(session, get_complaint(session, reference))


def measures_of_row(session: Session, row: ComplaintRow) -> Iterator[Measure]:
    """:func:`measures_of` for a row already read (``register show``'s :class:`~klageformular.register.Case`)."""
    query = (select(MeasureRow, EventRow).join(EventRow, MeasureRow.event_id == EventRow.id)
             .where(EventRow.complaint_id == row.id).order_by(EventRow.id))
    for measure, event in session.execute(query):
        amount = (Decimal(measure.amount_minor).scaleb(-(measure.minor_digits or 0))
                  if measure.amount_minor is not None else None)
        note = event.note or ""
        own = note.split(" — ", 1)[1] if " — " in note else None  # the head never holds " — "
        yield Measure(reference=row.reference, kind=measure.kind, at=utc(event.at), who=event.who, note=own,
                      amount=amount, currency=measure.currency)


def category_of_row(session: Session, row: ComplaintRow) -> CaseCategory | None:
    """A case's current category (None: never categorized)."""
    current = session.get(CategoryRow, row.id)
    return CaseCategory(product=current.product, cause=current.cause) if current is not None else None
