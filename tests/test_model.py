"""The Complaint model: what customers type becomes one normal form, or a coded error."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from klageformular import Complaint
from klageformular.model import (
    Complainant,
    ContactDetails,
    Party,
    Representative,
    country_code,
    parse_amount,
    parse_date,
)

from .conftest import sample_data


def _minimal(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"complainant": {"last_name": "Jensen", "email": "a@b.dk"}, "subject": "Renter"}
    data.update(extra)
    return data


def _codes(exc: ValidationError) -> set[tuple[str, str]]:
    return {(".".join(map(str, e["loc"])), e["type"]) for e in exc.errors()}


@pytest.mark.parametrize(("typed", "expected"), [
    ("3/11-2026", date(2026, 11, 3)), ("03-11-2026", date(2026, 11, 3)), ("3.11.2026", date(2026, 11, 3)),
    ("2026-11-03", date(2026, 11, 3)), ("3. november 2026", date(2026, 11, 3)), ("3 Nov 2026", date(2026, 11, 3)),
    ("3. marts 2026", date(2026, 3, 3)), ("1. mai 2026", date(2026, 5, 1)), ("03.11.26", date(2026, 11, 3)),
])
def test_dates_as_people_write_them(typed: str, expected: date) -> None:
    assert parse_date(typed) == expected


@pytest.mark.parametrize("typed", ["31/2-2026", "2026-13-01", "i går", "3. brumaire 2026", ""])
def test_bad_dates_are_rejected_with_a_code(typed: str) -> None:
    with pytest.raises(ValueError, match="date"):
        parse_date(typed)


@pytest.mark.parametrize(("typed", "amount", "currency"), [
    ("12.500,00 kr.", Decimal("12500.00"), "DKK"), ("12500", Decimal("12500"), None),
    ("DKK 12 500,50", Decimal("12500.50"), "DKK"), ("€ 1.234,5", Decimal("1234.5"), "EUR"),
    ("12,500.75 EUR", Decimal("12500.75"), "EUR"), ("450,-", Decimal("450"), None), ("12,50", Decimal("12.50"), None),
])
def test_amounts_and_their_currency(typed: str, amount: Decimal, currency: str | None) -> None:
    c = Complaint.model_validate(_minimal(damage={"amount": typed}))
    assert c.damage.amount == amount
    assert c.damage.currency == currency


def test_bare_kr_means_the_organisations_currency() -> None:
    c = Complaint.model_validate(_minimal(damage={"amount": "100 kr"}), context={"currency": "NOK"})
    assert c.damage.currency == "NOK"


def test_phone_numbers_become_e164_with_the_partys_country_first() -> None:
    c = Complaint.model_validate(_minimal(complainant={"last_name": "J", "email": "a@b.dk", "phone": "20 12 34 56"}))
    assert c.complainant.phone == "+4520123456"
    c = Complaint.model_validate(_minimal(complainant={"last_name": "J", "email": "a@b.dk", "phone": "912 34 567",
                                                       "country": "Norge"}))
    assert c.complainant.phone == "+4791234567"


@pytest.mark.parametrize(("country", "number", "ok"), [
    ("Danmark", "13585628", True), ("Danmark", "13585627", False), ("Norge", "988 077 917", True),
    ("Sverige", "556036-0793", True), ("Sverige", "556036-0794", False), ("Tyskland", "HRB 12345", True),
])
def test_registration_numbers_are_checked_per_country(country: str, number: str, ok: bool) -> None:
    data = _minimal(representative={"last_name": "Firma", "registration_number": number, "country": country})
    if ok:
        assert Complaint.model_validate(data).representative is not None
    else:
        with pytest.raises(ValidationError) as info:
            Complaint.model_validate(data)
        assert ("representative.registration_number", "invalid_registration_number") in _codes(info.value)


def test_lei_check_digits() -> None:
    assert Complaint.model_validate(_minimal(representative={"last_name": "F", "lei": "5493001KJTIIGC8Y1R12"}))
    with pytest.raises(ValidationError) as info:
        Complaint.model_validate(_minimal(representative={"last_name": "F", "lei": "5493001KJTIIGC8Y1R13"}))
    assert ("representative.lei", "invalid_lei") in _codes(info.value)


def test_the_model_invents_nothing() -> None:
    # What nobody ticked or typed stays empty: the form's rules are review items (test_validate).
    complaint = Complaint.model_validate({})
    assert complaint.reply_channel is None and complaint.subject is None
    assert complaint.complainant.last_name is None and complaint.complainant.role is None
    assert complaint.damage.approximate is False and complaint.signature.signatory is None
    assert Complaint.model_validate({"complainant": {"last_name": "J"}, "subject": "s", "reply_channel": "paper"})


def test_empty_optional_sections_are_absent_and_line_endings_normalised() -> None:
    c = Complaint.model_validate(_minimal(representative={}, complainant_contact={"email": None},
                                          subject="a\r\nb\rc\n"))
    assert c.representative is None and c.complainant_contact is None
    assert c.subject == "a\nb\nc"


def test_one_line_fields_refuse_line_breaks_and_control_characters() -> None:
    with pytest.raises(ValidationError) as info:
        Complaint.model_validate(_minimal(complainant={"last_name": "A\nB", "email": "a@b.dk", "city": "X\x00"}))
    assert {("complainant.last_name", "line_break"), ("complainant.city", "control_character")} <= _codes(info.value)


def test_no_national_id_field_exists() -> None:
    schema = str(Complaint.model_json_schema()).lower()
    assert "cpr" not in schema.replace("cpr-", "") and "national_id" not in schema


def test_country_names_in_nordic_languages() -> None:
    assert [country_code(c) for c in ("Danmark", "NORGE", "Sverige", "Suomi", "Atlantis", None)] == [
        "DK", "NO", "SE", "FI", None, None]


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
@example(Decimal("12500.50"))
@example(Decimal("0.05"))
def test_formatted_amounts_read_back(amount: Decimal) -> None:
    from klageformular.values import format_amount

    for lang in ("da", "en", "sv"):
        assert parse_amount(format_amount(amount, lang))[0] == amount


def test_sample_complaint_is_valid() -> None:
    c = Complaint.model_validate(sample_data())
    assert c.damage.currency == "EUR" and c.signature.signatory == "representative"


@pytest.mark.parametrize(("cls", "name"), [(cls, name) for cls in (ContactDetails, Party, Complainant, Representative)
                                           for name in cls.model_fields])
def test_a_contact_section_with_any_one_field_is_not_empty(cls: type[ContactDetails], name: str) -> None:
    # is_empty reads the fields directly (no serializer): it must still see every field.
    assert cls().is_empty()
    values: dict[str, Any] = {name: "investor" if name == "role" else "x"}
    assert not cls.model_construct(**values).is_empty()
