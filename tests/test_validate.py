"""Lenient reading (parse/validate.py, parse/content_key.py): every readable form is a complaint.

Sloppy forms as customers really fill them, typed by real filling tools; each must give a
complaint with exactly the expected status and review items, and nothing typed may be lost.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from pypdf.generic import NameObject

from klageformular import ComplaintValidationError, parse_pdf, read_complaint, render_form
from klageformular._font import EmbeddedFont
from klageformular._paths import get_path
from klageformular.layout import LAYOUT, Kind, field_by_path
from klageformular.locales import Texts
from klageformular.parse.content_key import KEY_FIELDS, content_key
from klageformular.parse.validate import validate
from klageformular.values import FieldValue

from .conftest import require_tool
from .fillers import fill_pdftk, fill_pypdf

BASE: dict[str, FieldValue] = {"complainant.last_name": "Hansen", "complainant.email": "hansen@example.dk",
                               "subject": "Renten blev ikke udbetalt."}
POSTAL: dict[str, FieldValue] = {
    "complainant.last_name": "Hansen", "complainant.street": "Vestergade 3", "complainant.postcode": "8000",
    "complainant.city": "Aarhus C", "complainant.phone": "20304050", "subject": "Renten blev ikke udbetalt."}

# (case, language, typed values, expected status, expected review items as (path, code, value as typed))
SLOPPY: list[tuple[str, str, dict[str, FieldValue], str, set[tuple[str, str, str | None]]]] = [
    ("postal address only, no reply channel ticked", "da", POSTAL, "complete", set()),
    ("empty subject", "da", BASE | {"subject": None}, "needs_review", {("subject", "missing_required", None)}),
    ("no name", "sv", BASE | {"complainant.last_name": None}, "needs_review",
     {("complainant.last_name", "missing_required", None)}),
    ("date without a year", "da", BASE | {"facts_date": "oct 12"}, "needs_review",
     {("facts_date", "invalid_date", "oct 12")}),
    ("a date in the future", "nb", BASE | {"facts_date": "12.12.2031"}, "needs_review",
     {("facts_date", "future_date", "12.12.2031")}),
    ("end before start", "da", BASE | {"facts_date": "10-10-2026", "facts_date_end": "01-10-2026"}, "needs_review",
     {("facts_date_end", "date_order", "01-10-2026")}),
    ("approximate amount", "da", BASE | {"damage.amount": "ca. 3000"}, "needs_review",
     {("damage.amount", "approximate_amount", "ca. 3000")}),
    ("currency symbol against the currency field", "da", BASE | {"damage.amount": "€ 500", "damage.currency": "DKK"},
     "needs_review", {("damage.amount", "currency_mismatch", "€ 500")}),
    ("amount in words", "en", BASE | {"damage.amount": "a lot of money"}, "needs_review",
     {("damage.amount", "invalid_amount", "a lot of money")}),
    ("phone in an unassigned Danish range", "da", BASE | {"complainant.phone": "+45 12 34 56 78"}, "needs_review",
     {("complainant.phone", "phone_not_assigned", "+45 12 34 56 78")}),
    ("Norwegian phone without country code on the Norwegian form", "nb",
     BASE | {"complainant.phone": "412 34 567"}, "complete", set()),
    ("impossible phone", "da", BASE | {"complainant.phone": "123"}, "needs_review",
     {("complainant.phone", "invalid_phone", "123")}),
    ("email syntax", "da", BASE | {"complainant.email": "hansen(at)example.dk", "complainant.street": "Vej 1",
                                   "complainant.city": "Aarhus"},
     "needs_review", {("complainant.email", "invalid_email", "hansen(at)example.dk")}),
    ("CVR check digits", "da", BASE | {"complainant.registration_number": "13585627"}, "needs_review",
     {("complainant.registration_number", "invalid_registration_number", "13585627")}),
    ("Swedish organisation number check digits", "sv", BASE | {"complainant.registration_number": "556036-0794"},
     "needs_review", {("complainant.registration_number", "invalid_registration_number", "556036-0794")}),
    ("LEI check digits", "en", BASE | {"representative.last_name": "Advokat ApS",
                                       "representative.lei": "5493001KJTIIGC8Y1R13"},
     "needs_review", {("representative.lei", "invalid_lei", "5493001KJTIIGC8Y1R13")}),
    ("no way to reply", "da", {"complainant.last_name": "Hansen", "subject": "Svar mig"}, "needs_review",
     {("complainant.email", "no_reply_way", None)}),
    ("paper reply without an address", "sv", BASE | {"reply_channel": "paper"}, "needs_review",
     {("complainant.street", "reply_address_missing", None)}),
    ("email reply without an email", "da", POSTAL | {"reply_channel": "electronic"}, "needs_review",
     {("complainant.email", "reply_email_missing", None)}),
    ("several problems at once", "da",
     {"complainant.phone": "+45 12 34 56 78", "damage.amount": "ca. 3000", "facts_date": "oct 12"}, "needs_review",
     {("complainant.last_name", "missing_required", None), ("subject", "missing_required", None),
      ("complainant.email", "no_reply_way", None), ("facts_date", "invalid_date", "oct 12"),
      ("damage.amount", "approximate_amount", "ca. 3000"),
      ("complainant.phone", "phone_not_assigned", "+45 12 34 56 78")}),
]


@pytest.mark.parametrize("filler", ["pypdf", "pdftk"])
@pytest.mark.parametrize(("case", "lang", "typed", "status", "review"), SLOPPY, ids=[c[0] for c in SLOPPY])
def test_sloppy_forms_are_complaints_with_exact_review_items(filler: str, case: str, lang: str,
                                                              typed: dict[str, FieldValue], status: str,
                                                              review: set[tuple[str, str, str | None]]) -> None:
    if filler == "pdftk":
        require_tool("pdftk")
    fill = fill_pypdf if filler == "pypdf" else fill_pdftk
    result = parse_pdf(fill(render_form(lang), typed))
    assert result.complaint is not None and result.language == lang
    assert (result.status, {(r.path, r.code, r.value) for r in result.review}) == (status, review)
    for item in result.review:  # the label and both messages, never the value
        assert item.label and item.message and item.message_local
        assert not item.value or item.value not in item.message + item.message_local
    for path, value in typed.items():  # whatever passed is in the complaint; what failed is in review
        if isinstance(value, str) and not any(r[0] == path for r in review):
            assert get_path(result.complaint.model_dump(mode="json"), path) is not None, path


def test_what_passes_is_normalised_and_what_fails_is_left_empty() -> None:
    result = parse_pdf(fill_pypdf(render_form("da"), POSTAL | {"damage.amount": "ca. 3.000 kr.",
                                                                "complainant.email": "nope"}))
    complaint = result.complaint
    assert complaint.reply_channel is None  # nobody ticked one: nothing invented
    assert complaint.complainant.phone == "+4520304050"
    assert (complaint.damage.amount, complaint.damage.currency, complaint.damage.approximate) == (
        Decimal("3000"), "DKK", True)
    assert complaint.complainant.email is None
    assert [(r.code, r.value) for r in result.review] == [("invalid_email", "nope"),
                                                          ("approximate_amount", "ca. 3.000 kr.")]


def test_two_radio_choices_are_for_a_person_to_decide() -> None:
    pdf = fill_pypdf(render_form("da"), BASE | {"complainant.role": "investor"})
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    spec = field_by_path("complainant.role")
    for page in writer.pages:  # a viewer quirk: two buttons of one group shown as on
        for annot in page.get("/Annots", []):
            widget = annot.get_object()
            parent = widget.get("/Parent")
            if parent is not None and parent.get_object().get("/T") == spec.name:
                states = [s for s in widget["/AP"]["/N"] if s != "/Off"]
                widget[NameObject("/AS")] = NameObject(states[0])
    out = io.BytesIO()
    writer.write(out)
    result = parse_pdf(out.getvalue())
    assert result.complaint.complainant.role is None
    assert [(r.path, r.code) for r in result.review] == [("complainant.role", "two_choices")]


def test_read_complaint_stays_strict() -> None:
    pdf = fill_pypdf(render_form("da"), BASE | {"damage.amount": "ca. 3000"})
    with pytest.raises(ComplaintValidationError, match=r"1 field\(s\) need review: damage.amount") as info:
        read_complaint(pdf)
    assert [(r.code, r.value) for r in info.value.review] == [("approximate_amount", "ca. 3000")]
    assert "3000" not in str(info.value)


def test_unreadable_text_is_not_blamed_on_the_customer() -> None:
    values = BASE | {"complainant.email": "(cid:12)(cid:7)"}
    complaint, review = validate(values, Texts.of("da"), warnings=[("unreadable_text", "complainant.email")])
    assert [(r.path, r.code) for r in review] == [("complainant.email", "unreadable_text")]
    assert complaint.complainant.last_name == "Hansen"


# -- nothing typed is lost ---------------------------------------------------------------------------

_FONT = EmbeddedFont.load()
_ALPHABET = "".join(c for c in map(chr, range(0x20, 0x2200)) if c.isprintable() and _FONT.covers(c))
_TEXT_FIELDS = [s.path for s in LAYOUT.fields if not s.kind.is_choice]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(_TEXT_FIELDS), st.text(_ALPHABET + "\n", max_size=60), max_size=6),
       st.sampled_from(["da", "en", "nb", "sv"]))
@example({"complainant.phone": "+45 12 34 56 78", "damage.amount": "€ 500", "damage.currency": "DKK"}, "da")
@example({"facts_date": "31. februar", "complainant.email": "a@b", "subject": "   "}, "sv")
@example({"complainant.lei": "Ğ" * 30, "complainant.last_name": "Zoë O'Brien-Ğül Åberg"}, "en")
def test_any_typed_text_gives_a_complaint_and_is_kept(typed: dict[str, str], lang: str) -> None:
    # One-line fields hold no line breaks as typed by a viewer; the text is what a person types.
    typed = {p: (v if field_by_path(p).kind is Kind.MULTILINE else v.replace("\n", " ")) for p, v in typed.items()}
    result = parse_pdf(fill_pypdf(render_form(lang), typed))
    assert result.complaint is not None
    data = result.complaint.model_dump(mode="json")
    by_path = {r.path: r for r in result.review}
    for path, value in typed.items():
        if not value.strip():
            continue
        if path in by_path and by_path[path].value is not None:
            assert by_path[path].value == result.raw[path]  # exactly what the form held
            assert by_path[path].value.strip() == value.strip()
        else:
            assert get_path(data, path) is not None, (path, value)


# -- the same complaint as another file ---------------------------------------------------------------


def test_content_key_ignores_what_changes_between_copies_and_sendings() -> None:
    values = {p: f"tekst {i}" for i, p in enumerate(KEY_FIELDS)} | {"subject": "Renten\nblev ikke betalt"}
    key = content_key(values)
    assert key is not None and len(key) == 64
    assert content_key(values | {"subject": "RENTEN blev  ikke betalt", "signature.date": "01-12-2026",
                                 "signature.place": "Aarhus", "reply_channel": "paper"}) == key
    assert content_key(values | {"subject": "Gebyret er for højt"}) != key  # same person, other subject
    assert content_key(values | {"complainant.email": "other@example.dk"}) != key
    assert content_key({"complainant.last_name": "Hansen"}) is None  # no subject, no key
    assert not {p for p in KEY_FIELDS if p.startswith("signature.") or field_by_path(p).kind.is_choice}


def test_a_printed_copy_of_a_filled_form_has_the_filled_forms_key() -> None:
    require_tool("qpdf")
    from .fillers import flatten

    filled = render_form("da", prefill={  # filled in with our own appearances, as a viewer that wraps would
        "complainant": {"last_name": "Hansen", "street": "Vestergade 3", "postcode": "8000", "city": "Aarhus C"},
        "subject": "Renten på lån KA-1042 blev ikke udbetalt. " * 8 + "\nNy linje: „citat“ – 450 €",
        "damage": {"amount": "3000", "currency": "DKK"}})
    printed = flatten("qpdf", filled)
    a, b = parse_pdf(filled), parse_pdf(printed)
    assert (a.method, b.method) == ("acroform", "text")
    assert a.content_key is not None and a.content_key == b.content_key


def test_future_dates_are_judged_against_the_given_day() -> None:
    values = BASE | {"signature.date": "01-12-2026"}
    _, before = validate(values, Texts.of("da"), today=date(2026, 11, 28))
    _, after = validate(values, Texts.of("da"), today=date(2026, 12, 1))
    assert [(r.path, r.code) for r in before] == [("signature.date", "future_date")] and after == []
