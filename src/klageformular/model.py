"""The ``Complaint`` model: the EU complaint template's sections as validated pydantic data.

Sections follow Commission Delegated Regulation (EU) 2022/2117, annex: 1.a/1.b the
complainant and their contact details, 2.a/2.b a legal representative, 3.a–3.e the
complaint, then place, date, signatory and the documentation provided. Kameo adds the
client reference, the complainant's role and the preferred reply channel. No national ID
number is collected (the template has none and Danish law restricts CPR use).

The model accepts what people type — ``3/11-2026``, ``12.500,00 kr.``, ``20 12 34 56`` —
and stores one normal form (ISO date, ``Decimal``, E.164). Pass ``context={"country": "NO",
"currency": "NOK"}`` to ``model_validate`` to change the defaults for phone numbers,
registration numbers and ``kr``; Denmark/DKK is the default.

The model holds what was received, so nothing is invented: a reply channel nobody ticked is
``None``, and the form's required fields (name, subject) may be missing. Whether a complaint
is complete — required fields, a way to reply, dates in order — is decided by
:func:`klageformular.parse.validate.validate`, which turns each gap into a review item.

>>> Complaint.model_validate({"complainant": {"last_name": "Jensen", "email": "a@b.dk"},
...                          "subject": "Renten blev ikke udbetalt."}).reply_channel is None
True
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from stdnum import lei as _lei
from stdnum.dk import cvr as _cvr
from stdnum.exceptions import ValidationError as _StdnumError
from stdnum.no import orgnr as _no_orgnr
from stdnum.se import orgnr as _se_orgnr

from .locales import LANGUAGES, month_names

__all__ = [
    "SCHEMA_VERSION",
    "Complainant",
    "Complaint",
    "ContactDetails",
    "Damage",
    "Documentation",
    "Investment",
    "Party",
    "Representative",
    "Signature",
    "country_code",
    "currency_of",
    "is_approximate",
    "parse_amount",
    "parse_date",
    "phone_is_assigned",
    "written_currency",
]

SCHEMA_VERSION: Literal["1.0"] = "1.0"

# Sanity ceilings, not the form's MaxLen: a value longer than the field shows is kept whole
# (the parser warns), but nothing legitimate is longer than these.
_SHORT = 300
_LONG = 20_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: Any, *, multiline: bool) -> Any:
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = unicodedata.normalize("NFC", value)
    if _CONTROL.search(value):
        raise PydanticCustomError("control_character", "contains a control character")
    if not multiline and "\n" in value:
        raise PydanticCustomError("line_break", "a one-line field contains a line break")
    value = value.strip()
    return value or None


def _one_line(value: Any) -> Any:
    return _text(value, multiline=False)


def _multi_line(value: Any) -> Any:
    return _text(value, multiline=True)


Line = Annotated[str, BeforeValidator(_one_line), Field(min_length=1, max_length=_SHORT)]
Text = Annotated[str, BeforeValidator(_multi_line), Field(min_length=1, max_length=_LONG)]


# --- dates -------------------------------------------------------------------------------

def _month_words() -> dict[str, int]:
    """Month names of every language the form speaks, with their 3- and 4-letter abbreviations."""
    words: dict[str, int] = {}
    for lang in LANGUAGES:
        for number, name in enumerate(month_names(lang), 1):
            name = name.lower()
            for word in (name, name[:3], name[:4]):
                words.setdefault(word, number)  # "mar" (March) and "mai" (May) never clash
    return words


_MONTHS = _month_words()
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC_DATE = re.compile(r"(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{4}|\d{2})")
_WORD_DATE = re.compile(r"(\d{1,2})\.?\s*([^\W\d_]+)\.?,?\s*(\d{4})")


def parse_date(text: str) -> date:
    """Read a date the way Nordic customers write it (day first).

    >>> parse_date("3/11-2026"), parse_date("3. november 2026"), parse_date("2026-11-03")
    (datetime.date(2026, 11, 3), datetime.date(2026, 11, 3), datetime.date(2026, 11, 3))
    """
    s = text.strip().lower()
    if m := _ISO_DATE.fullmatch(s):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _NUMERIC_DATE.fullmatch(s):
        d, mo, y = (int(g) for g in m.groups())
        if y < 100:
            y += 2000
    elif (m := _WORD_DATE.fullmatch(s)) and m.group(2) in _MONTHS:
        d, mo, y = int(m.group(1)), _MONTHS[m.group(2)], int(m.group(3))
    else:
        raise ValueError("not a date")
    try:
        return date(y, mo, d)
    except ValueError:  # 31 February, month 13
        raise ValueError("not a date") from None


def _date(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return parse_date(value)
        except ValueError:
            raise PydanticCustomError("invalid_date", "not a valid date (write it as 31-12-2026)") from None
    return value


Date = Annotated[date, BeforeValidator(_date)]


# --- amounts -----------------------------------------------------------------------------

_CURRENCY_WORDS = {"kr": None, "kr.": None, ",-": None, "€": "EUR", "eur": "EUR", "euro": "EUR",
                   "euros": "EUR", "dkk": "DKK", "nok": "NOK", "sek": "SEK", "usd": "USD", "$": "USD", "gbp": "GBP",
                   "£": "GBP", "chf": "CHF", "isk": "ISK"}
_CURRENCY_RE = re.compile(
    r"(?i)\b(dkk|nok|sek|eur|euro|euros|usd|gbp|chf|isk)\b|(?<![^\W\d_])kr(?:oner|onor|one|ona)?(?![^\W\d_])\.?|[€$£]|,-")
# Words that make an amount an estimate ("ca. 3000", "cirka 3.000 kr", "ungefär 3 000 kr", "~3000").
_APPROXIMATE_RE = re.compile(
    r"(?i)(?:^|(?<=\s)|(?<=\())(?:ca\.?|c:a|c\.a\.?|cirka|circa|approx\.?|approximately|about|around|"
    r"omkring|omtrent|ungefär|ungefaer|rundt|runt|ikring|ish)(?=\s|\d|\)|$)|[~≈]")


def is_approximate(text: str) -> bool:
    """True when an amount is written as an estimate ("ca. 3000", "omkring 3.000 kr.", "~3000").

    >>> is_approximate("ca. 3000"), is_approximate("3000 kr.")
    (True, False)
    """
    return _APPROXIMATE_RE.search(text) is not None


def _split_amount(text: str) -> tuple[Decimal, str | None, bool]:
    """Return (amount, currency code or None, whether a bare "kr" was seen)."""
    text = _APPROXIMATE_RE.sub(" ", text).replace("(", " ").replace(")", " ")
    currency: str | None = None
    saw_kr = False
    for m in _CURRENCY_RE.finditer(text):
        word = m.group(0).lower()
        code = _CURRENCY_WORDS.get(word, _CURRENCY_WORDS.get(word.rstrip(".")))
        if code:
            currency = code
        elif word.startswith("kr"):
            saw_kr = True
    number = _CURRENCY_RE.sub(" ", text).strip()
    number = re.sub(r"[\s\u00a0\u202f']", "", number)
    if not re.fullmatch(r"-?[\d.,]+", number) or not re.search(r"\d", number):
        raise ValueError("not an amount")
    last_comma, last_dot = number.rfind(","), number.rfind(".")
    decimal_sep = None
    if last_comma >= 0 and last_dot >= 0:
        decimal_sep = "," if last_comma > last_dot else "."
    elif last_comma >= 0:
        # "12,50" is a decimal comma; "12,500" with three digits after is a thousands separator.
        decimal_sep = "," if number.count(",") == 1 and len(number) - last_comma - 1 != 3 else None
    elif last_dot >= 0:
        decimal_sep = "." if number.count(".") == 1 and len(number) - last_dot - 1 != 3 else None
    thousands = {",", "."} - {decimal_sep} if decimal_sep else {",", "."}
    for sep in thousands:
        number = number.replace(sep, "")
    if decimal_sep == ",":
        number = number.replace(",", ".")
    try:
        return Decimal(number), currency, saw_kr
    except InvalidOperation:
        raise ValueError("not an amount") from None


def written_currency(text: str, *, kr: str = "DKK") -> str | None:
    """The currency an amount's own text names ("€ 500" → EUR; a bare "kr" → ``kr``), else None.

    >>> written_currency("€ 500"), written_currency("500 kr.", kr="NOK"), written_currency("500")
    ('EUR', 'NOK', None)
    """
    try:
        _, found, saw_kr = _split_amount(text)
    except ValueError:
        return None
    return found or (kr if saw_kr else None)


def currency_of(word: str, *, kr: str = "DKK") -> str | None:
    """A currency field's text as an ISO code ("euro" → EUR, "kr." → ``kr``); None when empty.

    >>> currency_of("Euro"), currency_of("kr.", kr="SEK"), currency_of("dkk")
    ('EUR', 'SEK', 'DKK')
    """
    word = word.strip().lower()
    if not word:
        return None
    if word.startswith("kr"):
        return kr
    return _CURRENCY_WORDS.get(word, _CURRENCY_WORDS.get(word.rstrip("."), word.upper()))


def parse_amount(text: str) -> tuple[Decimal, str | None]:
    """Read an amount with Danish or English separators and an optional currency.

    Words of estimate ("ca.", "omkring") are skipped; :func:`is_approximate` tells whether
    there were any.

    >>> parse_amount("12.500,00 kr."), parse_amount("DKK 12 500,50"), parse_amount("ca. 12500")
    ((Decimal('12500.00'), None), (Decimal('12500.50'), 'DKK'), (Decimal('12500'), None))
    """
    amount, currency, _ = _split_amount(text)
    return amount, currency


def _amount(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return parse_amount(value)[0]
        except ValueError:
            raise PydanticCustomError("invalid_amount", "not a valid amount (write it as 12.500,00)") from None
    return value


Amount = Annotated[Decimal, BeforeValidator(_amount), Field(max_digits=15, decimal_places=2, ge=0)]


# --- countries, phones, registration numbers ---------------------------------------------

_COUNTRY_ALIASES = {
    "DK": ("dk", "dnk", "danmark", "denmark", "dänemark", "tanska"),
    "NO": ("no", "nor", "norge", "noreg", "norway", "norwegen"),
    "SE": ("se", "swe", "sverige", "sweden", "schweden", "ruotsi"),
    "FI": ("fi", "fin", "finland", "suomi", "finnland"),
    "IS": ("is", "isl", "island", "iceland", "ísland"),
    "DE": ("de", "deu", "tyskland", "germany", "deutschland"),
    "GB": ("gb", "uk", "storbritannien", "united kingdom", "england"),
    "PL": ("pl", "pol", "polen", "poland", "polska"),
}
_COUNTRY_LOOKUP = {alias: code for code, aliases in _COUNTRY_ALIASES.items() for alias in aliases}


def country_code(country: str | None) -> str | None:
    """ISO 3166 code for a country name as typed in the Nordic languages or English, else None.

    >>> country_code("Danmark"), country_code(" sverige "), country_code("Atlantis")
    ('DK', 'SE', None)
    """
    if not country:
        return None
    return _COUNTRY_LOOKUP.get(country.strip().strip(".").lower())


def _context(info: ValidationInfo, key: str, default: str) -> str:
    ctx = info.context if isinstance(info.context, dict) else {}
    value = ctx.get(key, default)
    return value if isinstance(value, str) else default


def _phone(value: str | None, region: str) -> str | None:
    if value is None:
        return None
    import phonenumbers  # its metadata loads with the first number read, not with every command (start-up)

    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise PydanticCustomError("invalid_phone", "not a valid telephone number") from None
    # A number of a possible length but in an unassigned range ("+45 12 34 56 78") is still how
    # the customer wrote it: kept in E.164; the complaint's review flags it (phone_not_assigned).
    if not phonenumbers.is_possible_number(number):
        raise PydanticCustomError("invalid_phone", "not a valid telephone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_is_assigned(e164: str) -> bool:
    """True when a stored E.164 number lies in a range its country has assigned.

    >>> phone_is_assigned("+4520304050"), phone_is_assigned("+4512345678")
    (True, False)
    """
    import phonenumbers

    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return False


_REGISTRY_CHECKS = {"DK": _cvr, "NO": _no_orgnr, "SE": _se_orgnr}


# Every model defers building its validator to first use (defer_build): Complaint's validator
# holds the sections' schemas anyway, so building each section's own validator at import was
# paid again by every one-file call (issue 19: cold start).
class ContactDetails(BaseModel):
    """Address and contact channels (1.b / 2.b: only when different from the party's own)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", str_strip_whitespace=False)

    street: Line | None = Field(None, description="Street, number and floor")
    postcode: Line | None = None
    city: Line | None = None
    country: Line | None = None
    phone: Line | None = Field(None, description="E.164, e.g. +4512345678")
    email: EmailStr | None = None

    @field_validator("email", mode="before")
    @classmethod
    def _email_text(cls, value: Any) -> Any:
        return _one_line(value)

    @field_validator("phone", mode="after")
    @classmethod
    def _phone_e164(cls, value: str | None, info: ValidationInfo) -> str | None:
        region = country_code(info.data.get("country")) or _context(info, "country", "DK")
        return _phone(value, region)

    def is_empty(self) -> bool:
        """True when no field is filled in."""
        # Every field is text or None: reading them needs no serializer (model_dump would build
        # this class's own, which parsing never needs otherwise; issue 19: cold start).
        return all(getattr(self, name) is None for name in type(self).model_fields)


class Party(ContactDetails):
    """A person or legal entity with address and contact channels (1.a / 2.a)."""

    last_name: Line | None = Field(None, description="Last name, or the legal entity's name")
    first_name: Line | None = None
    registration_number: Line | None = Field(
        None, description="Company registration number (CVR, organisasjonsnummer, organisationsnummer)"
    )
    lei: Line | None = Field(None, description="Legal Entity Identifier (ISO 17442), companies only")

    @field_validator("registration_number", mode="after")
    @classmethod
    def _registration(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        code = country_code(info.data.get("country")) or _context(info, "country", "DK")
        check = _REGISTRY_CHECKS.get(code)
        if check is None:
            return value  # no check-digit rule we trust for this country: keep as typed
        try:
            return str(check.validate(value))
        except _StdnumError:
            raise PydanticCustomError(
                "invalid_registration_number", "not a valid registration number for {country}",
                {"country": code},
            ) from None

    @field_validator("lei", mode="after")
    @classmethod
    def _lei_checksum(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(_lei.validate(value))
        except _StdnumError:
            raise PydanticCustomError("invalid_lei", "not a valid LEI (20 characters, check digits)") from None


class Complainant(Party):
    """1.a — who complains, plus Kameo's client reference and the complainant's role.

    The last name is required on the form; a received form without one is still a complaint
    (its review says ``missing_required``), so the model allows it to be absent.
    """

    last_name: Line | None = Field(None, description="Last name, or the legal entity's name (required on the form)")
    client_reference: Line | None = Field(None, description="Kameo client or user number")
    role: Literal["investor", "borrower", "other"] | None = None


class Representative(Party):
    """2.a — a legal representative acting with a power of attorney or other official proof."""


class Investment(BaseModel):
    """3.a — the full reference of the investment or agreement."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    reference: Line | None = Field(None, description="Investment or loan reference")
    project: Line | None = Field(None, description="Project owner or project")
    transactions: Line | None = Field(None, description="Other transaction references")


class Damage(BaseModel):
    """3.d — the damage, loss or detriment, with an optional amount."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    description: Text | None = None
    amount: Amount | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    approximate: bool = Field(False, description="The amount was written as an estimate (\"ca. 3000\")")

    @model_validator(mode="before")
    @classmethod
    def _currency_from_amount(cls, data: Any, info: ValidationInfo) -> Any:
        # "12.500 kr." carries its currency; a separate currency field wins when both are given.
        if not isinstance(data, dict):
            return data
        data = dict(data)
        amount, currency = data.get("amount"), data.get("currency")
        if isinstance(currency, str):
            currency = currency_of(currency, kr=_context(info, "currency", "DKK"))
            data["currency"] = currency
        if isinstance(amount, str) and is_approximate(amount):
            data["approximate"] = True
        if isinstance(amount, str) and amount.strip() and not currency:
            try:
                _, found, saw_kr = _split_amount(amount)
            except ValueError:
                return data  # the field validator reports it
            data["currency"] = found or (_context(info, "currency", "DKK") if saw_kr else None)
        return data

    def is_empty(self) -> bool:
        """True when no field is filled in."""
        return self.description is None and self.amount is None


class Documentation(BaseModel):
    """The "documentation provided" tick boxes of the template."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    power_of_attorney: bool = False
    contractual_documents: bool = False
    other_documents: bool = False
    other_documents_list: Text | None = Field(None, description="Which other documents are attached")


class Signature(BaseModel):
    """Place and date of signing, and who signs."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    place: Line | None = None
    date: Date | None = None
    signatory: Literal["complainant", "representative"] | None = None


class Complaint(BaseModel):
    """A complaint as submitted on the EU standard template (Delegated Regulation (EU) 2022/2117).

    The form requires the complainant's last name (or entity name), the subject matter, and a
    way to answer (an email, or a postal address for ``reply_channel="paper"``). The model
    checks each value's form (dates, amounts, phone numbers, emails, check digits) but not
    those rules: a received complaint is kept whatever is missing, and
    :func:`klageformular.parse.validate.validate` lists what needs review.
    """

    model_config = ConfigDict(defer_build=True, extra="forbid", json_schema_extra={"title": "Complaint"})

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    complainant: Complainant = Field(default_factory=Complainant)
    complainant_contact: ContactDetails | None = Field(None, description="1.b, if different from 1.a")
    representative: Representative | None = Field(None, description="2.a, if any")
    representative_contact: ContactDetails | None = Field(None, description="2.b, if different from 2.a")
    investment: Investment = Field(default_factory=Investment)
    subject: Text | None = Field(None, description="3.b — the subject matter of the complaint (required on the form)")
    facts_date: Date | None = Field(None, description="3.c — date of the facts (start, if a period)")
    facts_date_end: Date | None = Field(None, description="3.c — end of the period, if any")
    damage: Damage = Field(default_factory=Damage)
    other_comments: Text | None = Field(None, description="3.e — other comments or relevant information")
    documentation: Documentation = Field(default_factory=Documentation)
    reply_channel: Literal["electronic", "paper"] | None = Field(
        None, description="How the customer asked to be answered; None when no box was ticked")
    signature: Signature = Field(default_factory=Signature)

    @model_validator(mode="after")
    def _absent_sections(self) -> Complaint:
        # Sections 1.b/2.a/2.b with nothing filled in are absent, not empty objects.
        for name in ("complainant_contact", "representative", "representative_contact"):
            part = getattr(self, name)
            if part is not None and part.is_empty():
                object.__setattr__(self, name, None)
        return self
