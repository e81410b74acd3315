"""From raw field values to a ``Complaint`` and its review items: lenient, nothing typed is lost.

A received form is a complaint whatever was typed in it. :func:`validate` always returns a
:class:`~klageformular.Complaint`: a value that fails a check is left out of it, and a
:class:`ReviewItem` keeps the value exactly as typed with a stable problem code and a
message in the form's language and in English. The form's own rules — the required name and
subject, a way to reply, dates in order and not in the future, an amount's currency — are
checked here too, as review items, never as rejections.

Review codes (stable, for filters and spreadsheets): ``missing_required``, ``invalid_email``,
``invalid_phone``, ``phone_not_assigned`` (kept: a possible number in an unassigned range),
``invalid_registration_number``, ``invalid_lei``, ``invalid_date``, ``future_date``,
``date_order``, ``invalid_amount``, ``approximate_amount`` (kept, with
``damage.approximate``), ``currency_mismatch``, ``invalid_currency``, ``invalid_choice``,
``two_choices``, ``no_reply_way``, ``reply_email_missing``, ``reply_address_missing``,
``too_long``, ``line_break``, ``control_character``, ``unreadable_text``, ``page_missing``
(a printed copy without the field's page), ``invalid``.

Messages name the field and the problem; the value travels only in ``ReviewItem.value``,
never in a message or a log: pydantic's own errors carry the input, so they are rebuilt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from pydantic import ValidationError
from stdnum.dk import cpr
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

from .._review import ReviewItem
from ..layout import LAYOUT, Kind, field_by_path
from ..locales import Texts, catalogue
from ..model import Complaint, currency_of, parse_date, phone_is_assigned, written_currency
from ..org import Organisation
from ..values import FieldValue, model_input

__all__ = ["ReviewItem", "find_national_ids", "validate"]


# pydantic's built-in error types, in our catalogue's words.
_PYDANTIC_CODES = {
    "string_too_long": "too_long",
    "literal_error": "invalid_choice",
    "string_pattern_mismatch": "invalid_currency",
    "decimal_max_digits": "invalid_amount",
    "decimal_max_places": "invalid_amount",
    "greater_than_equal": "invalid_amount",
    "decimal_parsing": "invalid_amount",
}
# Reader warnings that mean a value could not be taken as typed.
_WARNING_CODES = {"unreadable_text": "unreadable_text", "ambiguous_choice": "two_choices",
                  "unknown_choice": "invalid_choice", "page_missing": "page_missing",
                  # The scan reader's (klageformular.scan): a person keys or checks these.
                  "handwritten": "handwritten", "uncertain_mark": "uncertain_mark",
                  "scribbled_out": "scribbled_out", "page_unreadable": "page_unreadable"}
_KR_CURRENCIES = {"DKK", "NOK", "SEK", "ISK"}  # what a bare "kr" can mean


class _Review:
    """The review items of one complaint, at most one per field: the first problem found wins."""

    def __init__(self, texts: Texts) -> None:
        self.texts = texts
        self.items: dict[str, ReviewItem] = {}

    def add(self, path: str, code: str, value: FieldValue) -> None:
        if path in self.items:
            return
        english, local = self.texts.message(code)
        typed = value if isinstance(value, str) else None
        self.items[path] = ReviewItem(path=path, label=_label(path, self.texts), value=typed, code=code,
                                      message=english, message_local=local)


def validate(values: Mapping[str, FieldValue], texts: Texts, *, today: date | None = None,
             warnings: Iterable[tuple[str, str | None]] = ()) -> tuple[Complaint, list[ReviewItem]]:
    """The complaint, and one review item per field that is missing, invalid or inconsistent.

    ``warnings`` are the readers' ``(code, path)`` pairs: a field whose text could not be read
    (``unreadable_text``) or whose radio shows two choices is set aside, not blamed on the
    customer. ``today`` bounds dates (a date after it is ``future_date``). ``texts`` gives the
    labels and messages, and the profile whose country and currency values default to.

    >>> complaint, review = validate({"complainant.last_name": "Jensen", "subject": "x",
    ...                               "complainant.email": "nope"}, Texts.of("da"))
    >>> complaint.complainant.last_name, [(r.path, r.value, r.code, r.message_local) for r in review]
    ('Jensen', [('complainant.email', 'nope', 'invalid_email', 'er ikke en gyldig e-mailadresse')])
    """
    org = texts.org
    review = _Review(texts)
    data: dict[str, FieldValue] = {p: v for p, v in values.items() if _typed(v)}
    for code, path in warnings:
        if path is not None and code in _WARNING_CODES:
            review.add(path, _WARNING_CODES[code], values.get(path))
            data.pop(path, None)
    _check_dates(data, review, today or date.today())
    _check_currency(data, review, org)
    complaint = _validate_fields(data, review, org)
    _check_form_rules(values, complaint, review)
    if complaint.complainant.phone is not None and not phone_is_assigned(complaint.complainant.phone):
        review.add("complainant.phone", "phone_not_assigned", values.get("complainant.phone"))
    if complaint.damage.approximate:
        review.add("damage.amount", "approximate_amount", values.get("damage.amount"))
    order = {spec.path: i for i, spec in enumerate(LAYOUT.fields)}
    return complaint, sorted(review.items.values(), key=lambda r: order.get(r.path, len(order)))


def _typed(value: FieldValue) -> bool:
    return value is not None and value is not False and not (isinstance(value, str) and not value.strip())


def _check_dates(data: dict[str, FieldValue], review: _Review, today: date) -> None:
    """Dates after today, and an end before its start: set aside before the model sees them."""
    parsed: dict[str, date] = {}
    for spec in LAYOUT.fields:
        value = data.get(spec.path)
        if spec.kind is not Kind.DATE or not isinstance(value, str):
            continue
        try:
            day = parse_date(value)
        except ValueError:
            continue  # the model reports invalid_date with the value kept
        if day > today:
            review.add(spec.path, "future_date", data.pop(spec.path))
        else:
            parsed[spec.path] = day
    start, end = parsed.get("facts_date"), parsed.get("facts_date_end")
    if start and end and end < start:
        review.add("facts_date_end", "date_order", data.pop("facts_date_end"))


def _check_currency(data: dict[str, FieldValue], review: _Review, org: Organisation) -> None:
    """``€ 500`` with ``DKK`` in the currency field: which one the customer meant is for a person."""
    amount, currency = data.get("damage.amount"), data.get("damage.currency")
    if not isinstance(amount, str) or not isinstance(currency, str):
        return
    # A bare "kr" fits any krone currency: a Danish form may well be about Norwegian kroner.
    chosen = currency_of(currency, kr=org.currency)
    written = written_currency(amount, kr="kr")
    if written is not None and written != chosen and not (written == "kr" and chosen in _KR_CURRENCIES):
        review.add("damage.amount", "currency_mismatch", data.pop("damage.amount"))


def _validate_fields(data: dict[str, FieldValue], review: _Review, org: Organisation) -> Complaint:
    """Validate, set aside each field pydantic rejects, and again, until the rest is a Complaint."""
    context = {"country": org.country, "currency": org.currency}
    for _ in range(len(LAYOUT.fields) + 1):
        try:
            return Complaint.model_validate(model_input(data), context=context)
        except ValidationError as exc:
            removed = False
            for error in exc.errors(include_input=False, include_url=False):
                for path in _paths_of(error, data):
                    review.add(path, _code(error, path), data.pop(path))
                    removed = True
            if not removed:  # cannot happen with the layout's paths; never loop on it
                break
    # Last resort (a model rule no single field explains): keep the fields that validate on
    # their own; every other one goes under review with its typed value.
    for path in list(data):
        try:
            Complaint.model_validate(model_input({path: data[path]}), context=context)
        except ValidationError:
            review.add(path, "invalid", data.pop(path))
    return Complaint.model_validate(model_input(data), context=context)


def _paths_of(error: Mapping[str, Any], data: Mapping[str, FieldValue]) -> list[str]:
    """The typed fields a pydantic error is about (a section-level error: all fields under it)."""
    loc = ".".join(str(p) for p in error["loc"])
    if loc in data:
        return [loc]
    # "damage" (a before-validator on the section) or "complainant.phone" under a union index.
    parts = [str(p) for p in error["loc"] if not str(p).isdigit() and not str(p).startswith("function-")]
    while parts:
        prefix = ".".join(parts)
        if prefix in data:
            return [prefix]
        under = [p for p in data if p.startswith(prefix + ".")]
        if under:
            return under
        parts.pop()
    return list(data) if not error["loc"] else []


def _code(error: Mapping[str, Any], path: str) -> str:
    code = str(error["type"])
    if code == "value_error" and path.endswith("email"):
        return "invalid_email"
    if code == "value_error" and path.endswith("amount"):
        return "invalid_amount"
    code = _PYDANTIC_CODES.get(code, code)
    return code if f"msg.{code}" in catalogue("en") else "invalid"


def _check_form_rules(values: Mapping[str, FieldValue], complaint: Complaint, review: _Review) -> None:
    """Required fields and a way to reply, judged on what was typed (an invalid value is flagged already)."""
    for spec in LAYOUT.fields:
        if spec.required and not _typed(values.get(spec.path)):
            review.add(spec.path, "missing_required", None)
    typed = {p: _typed(v) for p, v in values.items()}
    prefixes = ("complainant", "complainant_contact")
    has_email = any(typed.get(f"{p}.email") for p in prefixes)
    has_address = any(typed.get(f"{p}.street") and (typed.get(f"{p}.postcode") or typed.get(f"{p}.city"))
                      for p in prefixes)
    if not has_email and not has_address:
        review.add("complainant.email", "no_reply_way", None)
    elif complaint.reply_channel == "electronic" and not has_email:
        review.add("complainant.email", "reply_email_missing", None)
    elif complaint.reply_channel == "paper" and not has_address:
        review.add("complainant.street", "reply_address_missing", None)


def _label(path: str, texts: Texts) -> str:
    try:
        field_by_path(path)
        return texts.label(path).rstrip(" *")
    except KeyError:
        return path


_ID_PATTERNS = (
    (re.compile(r"(?<![\d-])(\d{6})[-\s]?(\d{4})(?![\d-])"), cpr, "CPR"),
    (re.compile(r"(?<![\d-])(\d{6})\s?(\d{5})(?![\d-])"), fodselsnummer, "fødselsnummer"),
    (re.compile(r"(?<![\d-])(\d{2})?(\d{6})[-+]?(\d{4})(?![\d-])"), personnummer, "personnummer"),
)


def find_national_ids(values: Mapping[str, FieldValue]) -> list[tuple[str, str]]:
    """(path, kind) for every text field that holds something shaped like a national ID number.

    The number itself is never returned, logged or put into a message.

    >>> find_national_ids({"subject": "Mit CPR er 010190-1234", "complainant.city": "Aarhus"})
    [('subject', 'CPR')]
    """
    found: list[tuple[str, str]] = []
    for path, value in values.items():
        if not isinstance(value, str) or field_by_path(path).kind in (Kind.CHECKBOX, Kind.RADIO):
            continue
        for pattern, module, kind in _ID_PATTERNS:
            if any(module.is_valid("".join(g for g in m.groups() if g)) for m in pattern.finditer(value)):
                found.append((path, kind))
                break
    return found
