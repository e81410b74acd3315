"""Between a ``Complaint`` and the form's field values: formatting for prefill, nesting for parsing.

Both directions walk :data:`klageformular.layout.LAYOUT`, so a field added there is
prefilled and parsed without touching this module.

>>> from klageformular.model import Complaint
>>> c = Complaint.model_validate({"complainant": {"last_name": "Ørsted", "email": "a@b.dk"},
...                               "subject": "Renter", "facts_date": "2026-11-03"})
>>> field_values(c, "da")["facts_date"]
'03-11-2026'
>>> Complaint.model_validate(model_input(field_values(c, "da"))) == c
True
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from ._paths import get_path, nest
from .layout import LAYOUT, Kind
from .locales import formats
from .model import Complaint

__all__ = ["FieldValue", "field_values", "format_amount", "format_date", "format_exact", "model_input"]

FieldValue = str | bool | None
"""A field's value: text, a checkbox's state, or a radio option's model value (None: not chosen)."""


def format_date(value: date, lang: str) -> str:
    """The date as the form's tooltip asks for it: 31-12-2026 (da, en), 31.12.2026 (nb), 2026-12-31 (sv).

    >>> format_date(date(2026, 12, 31), "nb")
    '31.12.2026'
    """
    return value.strftime(formats(lang)["date"])


def format_amount(value: Decimal, lang: str) -> str:
    """12.500,00 in Danish; 12 500,00 in Norwegian and Swedish; 12,500.00 in English.

    The separators are the language's (``FORMATS`` in its catalogue). Norwegian and Swedish use a
    plain space, not U+00A0: filling tools that regenerate appearances from a font's ToUnicode
    map (pypdf) cannot encode a no-break space, and a one-line field never wraps.

    >>> format_amount(Decimal("12500.5"), "nb"), format_amount(Decimal("12500.5"), "en")
    ('12 500,50', '12,500.50')
    """
    return _separators(f"{value:,.2f}" if value == value.quantize(Decimal("0.01")) else f"{value:,}", lang)


def format_exact(value: Decimal, lang: str) -> str:
    """An amount with exactly the decimals it has, none added or dropped (a compensation's minor units):

    >>> format_exact(Decimal("1250.50"), "da"), format_exact(Decimal("1500"), "en")
    ('1.250,50', '1,500')
    """
    return _separators(f"{value:,f}", lang)


def _separators(text: str, lang: str) -> str:
    """``1,250.50`` (Python's) with the language's thousands and decimal separators."""
    spec = formats(lang)
    return text.replace(",", "\x00").replace(".", spec["decimal"]).replace("\x00", spec["thousands"])


def field_values(complaint: Complaint, lang: str) -> dict[str, FieldValue]:
    """Every layout field's display value for this complaint, keyed by path."""
    data = complaint.model_dump(mode="python")
    out: dict[str, FieldValue] = {}
    for spec in LAYOUT.fields:
        value = get_path(data, spec.path)
        if spec.kind is Kind.CHECKBOX:
            out[spec.path] = bool(value)
        elif value is None:
            out[spec.path] = None
        elif isinstance(value, date):
            out[spec.path] = format_date(value, lang)
        elif isinstance(value, Decimal):
            out[spec.path] = format_amount(value, lang)
        else:
            out[spec.path] = str(value)
    return out


def model_input(values: Mapping[str, FieldValue]) -> dict[str, Any]:
    """Nest path-keyed field values into the dict ``Complaint.model_validate`` takes.

    Empty text and unchosen radios are left out, so optional sections stay absent.
    """
    return nest((path, value) for path, value in values.items()
                if value is not None and not (isinstance(value, str) and not value.strip()))
