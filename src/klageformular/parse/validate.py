"""From raw field values to a validated ``Complaint``: per-field errors in two languages, ID warnings.

Error messages name the field and the problem, never the value: pydantic's own errors carry
the input, so they are rebuilt here and never passed on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from stdnum.dk import cpr
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

from ..exceptions import FieldError
from ..layout import LAYOUT, Kind, field_by_path
from ..locales import catalogue, fill, label
from ..model import Complaint
from ..org import Organisation
from ..values import FieldValue, model_input

__all__ = ["find_national_ids", "validate"]

# Model-level rules point at the field the customer should fix.
_MODEL_ERROR_PATH = {
    "reply_email_missing": "complainant.email",
    "reply_address_missing": "complainant.street",
    "date_order": "facts_date_end",
}
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


def _messages(code: str, lang: str) -> tuple[str, str]:
    english = catalogue("en")
    try:
        local = catalogue(lang)
    except KeyError:
        local = english
    key = f"msg.{code}" if f"msg.{code}" in english else "msg.invalid"
    return english[key], local.get(key, english[key])


def _path_of(error: Mapping[str, Any]) -> str:
    loc = [str(p) for p in error["loc"]]
    code = str(error["type"])
    if not loc or code in _MODEL_ERROR_PATH:
        return _MODEL_ERROR_PATH.get(code, "subject")
    path = ".".join(loc)
    if path == "complainant":
        return "complainant.last_name"
    while path and not any(f.path == path for f in LAYOUT.fields):  # e.g. "damage" → its first field
        candidates = [f.path for f in LAYOUT.fields if f.path.startswith(path + ".")]
        if candidates:
            return candidates[0]
        path = path.rpartition(".")[0]
    return path or "subject"


def _code(error: Mapping[str, Any], path: str) -> str:
    code = str(error["type"])
    if code == "value_error" and path.endswith("email"):
        return "invalid_email"
    return _PYDANTIC_CODES.get(code, code)


def validate(values: Mapping[str, FieldValue], lang: str, org: Organisation) -> tuple[Complaint | None,
                                                                                      list[FieldError]]:
    """The Complaint, or None and one error per field that is missing or invalid.

    >>> from klageformular.org import get_organisation
    >>> _, errors = validate({"complainant.last_name": "Jensen", "subject": "x",
    ...                       "complainant.email": "nope"}, "da", get_organisation())
    >>> [(e.path, e.message_local) for e in errors]
    [('complainant.email', 'er ikke en gyldig e-mailadresse')]
    """
    context = {"country": org.country, "currency": org.currency}
    try:
        return Complaint.model_validate(model_input(values), context=context), []
    except ValidationError as exc:
        errors: dict[str, FieldError] = {}
        for error in exc.errors(include_input=False, include_url=False):
            path = _path_of(error)
            code = _code(error, path)
            english, local = _messages(code, lang)
            if path not in errors:  # one error per field is what the customer can act on
                errors[path] = FieldError(path=path, label=_label(path, lang, org), message=english,
                                          message_local=local, code=code)
        return None, list(errors.values())


def _label(path: str, lang: str, org: Organisation) -> str:
    try:
        field_by_path(path)
        text = label(path, lang)
    except KeyError:
        return path
    return fill(text, lang, org).rstrip(" *")


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
