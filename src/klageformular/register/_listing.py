"""``register list --json`` at scale: each case's line written from the stored values, without a model per row.

The line is what ``CaseSummary.model_dump_json()`` writes (same keys, order, types and text).
A stored complaint is the :class:`~klageformular.model.Complaint` model's own JSON, written
by the batch after validation; validating it again for every row of a list only to write it
back out (email and telephone checks included) was most of the command's time (issue 25).

So a stored complaint that has the model's exact shape — every key in the model's order,
text where the model has text, ``true``/``false`` where it has a flag, dates, amounts, phone
numbers and currencies in the form the model writes them, no empty optional section — is
written as stored. Anything else (a record from an older version of the form, a value typed
into the database by hand) goes through the model as before, so the output never depends on
which way a row took (tests/test_register_cli.py compares both on every kind of record).
"""

from __future__ import annotations

import json
import re
import types
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from sqlalchemy.orm import Session

from ..model import _CONTROL, _LONG, _SHORT, Complaint, _multi_line
from ..org import Organisation
from ._schema import ComplaintRow
from ._types import ReviewEntry

__all__ = ["summary_line"]

_Check = Callable[[Any], bool]
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_AMOUNT = re.compile(r"(0|[1-9]\d{0,12})(\.\d{1,2})?\Z")  # Decimal as the model writes it: 15 digits, 2 decimals
_E164 = re.compile(r"\+[1-9]\d{1,14}\Z")
_CURRENCY = re.compile(r"[A-Z]{3}\Z")
# Fields whose validator rewrites text into one form: the stored text must already be in it.
_FORMS = {"phone": _E164, "currency": _CURRENCY}


@dataclass(frozen=True)
class _Shape:
    """A model's fields in order: each a nested shape, or a check of a stored leaf value."""

    names: tuple[str, ...]
    fields: tuple[tuple[str, _Shape | _Check, bool], ...]  # name, what it holds, may be null


def _text(*, multiline: bool, longest: int, form: re.Pattern[str] | None = None) -> _Check:
    """Text as the model's text validator leaves it (one form of line breaks, NFC, no control characters,
    stripped, not empty, not too long; a one-line field without a break), and in ``form`` if given."""
    def check(value: Any) -> bool:
        return (type(value) is str and 0 < len(value) <= longest and value == value.strip() and "\r" not in value
                and (multiline or "\n" not in value) and _CONTROL.search(value) is None
                and unicodedata.is_normalized("NFC", value) and (form is None or form.match(value) is not None))
    return check


def _email(value: Any) -> bool:
    # The validator writes the domain in lower case; a stored address in another form goes through it.
    return _text(multiline=False, longest=_SHORT)(value) and "@" in value and value.rsplit("@", 1)[1].islower()


def _leaf(name: str, base: Any) -> _Check:
    inner, *metadata = get_args(base) if get_origin(base) is Annotated else (base,)
    if inner is bool:
        return lambda value: type(value) is bool
    if inner is date:
        return lambda value: type(value) is str and _DAY.match(value) is not None
    if inner is Decimal:
        return lambda value: type(value) is str and _AMOUNT.match(value) is not None
    if name == "email":
        return _email
    if get_origin(inner) is Literal:
        return lambda value: value in get_args(inner)
    multiline = any(getattr(m, "func", None) is _multi_line for m in metadata)
    return _text(multiline=multiline, longest=_LONG if multiline else _SHORT, form=_FORMS.get(name))


@cache
def _shape(model: type[BaseModel]) -> _Shape:
    fields: list[tuple[str, _Shape | _Check, bool]] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        nullable = False
        if get_origin(annotation) in (Union, types.UnionType):
            parts = [a for a in get_args(annotation) if a is not type(None)]
            nullable = len(parts) < len(get_args(annotation))
            if len(parts) != 1:
                raise TypeError(f"{model.__name__}.{name}: a union the listing cannot check")
            annotation = parts[0]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields.append((name, _shape(annotation), nullable))
        else:
            fields.append((name, _leaf(name, annotation), nullable))
    return _Shape(tuple(model.model_fields), tuple(fields))


def _as_the_model_writes(value: Any, shape: _Shape) -> bool:
    if type(value) is not dict or tuple(value) != shape.names:
        return False
    for name, held, nullable in shape.fields:
        item = value[name]
        if item is None:
            if not nullable:
                return False
        elif isinstance(held, _Shape):
            # An optional section with nothing filled in is absent in the model's output (null).
            if not _as_the_model_writes(item, held) or (nullable and all(v is None for v in item.values())):
                return False
        elif not held(item):
            return False
    return True


def _stored_as_written(complaint: Any) -> bool:
    """True when the stored complaint is exactly what the model would write for it (see the module)."""
    if complaint is None:
        return True
    if not _as_the_model_writes(complaint, _shape(Complaint)):
        return False
    damage = complaint["damage"]
    # The model fills a missing currency from the amount's text: stored without one, the model decides.
    return damage["amount"] is None or damage["currency"] is not None


_REVIEW_TEXT = tuple(name for name in ReviewEntry.model_fields if name not in ("reference", "path"))


def _plain_review(review: Any) -> bool:
    return type(review) is list and all(
        type(item) is not dict or not item.get("path")
        or (type(item["path"]) is str and all(item.get(k) is None or type(item.get(k)) is str for k in _REVIEW_TEXT))
        for item in review)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _moment(value: datetime | None) -> str | None:
    """An aware UTC time as pydantic writes it: ``…T09:00:00Z`` (``Z``, not ``+00:00``)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def summary_line(session: Session, row: ComplaintRow, profiles: Mapping[str, Organisation] | None = None) -> str:
    """One case's ``list --json`` line, the same text as ``CaseSummary.model_dump_json()`` of its summary."""
    from ._service import _subject, to_summary
    from ._workflow import utc

    if not (_stored_as_written(row.complaint) and _plain_review(row.review)):
        return to_summary(session, row, profiles).model_dump_json()
    fields = {
        "reference": row.reference, "status": row.status, "version": row.version, "received": _day(row.received),
        "received_at": _moment(utc(row.received_at)) if row.received_at else None,
        "acknowledge_by": _day(row.acknowledge_by), "decide_by": _day(row.decide_by),
        "acknowledged_on": _day(row.acknowledged_on), "decided_on": _day(row.decided_on),
        "outcome": row.outcome, "organisation": row.organisation, "language": row.language, "channel": row.channel,
        "assignee": row.assignee, "merged_into": row.merged_into, "not_a_complaint": bool(row.not_a_complaint),
        "profile_sha256": row.profile_sha256, "extended_to": _day(row.extended_to),
        "extension_reason": row.extension_reason, "waiting_since": _day(row.waiting_since),
        "waiting_for": row.waiting_for, "paused_days": row.paused_days or 0, "subject": _subject(row),
        "method": row.method, "complaint": row.complaint,
        "review": [{"reference": row.reference, "path": item["path"],
                    **{k: item.get(k) for k in _REVIEW_TEXT}}
                   for item in row.review if isinstance(item, dict) and item.get("path")],
    }
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))

