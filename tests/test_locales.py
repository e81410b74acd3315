"""Every language and organisation profile: complete catalogues, rendered forms that parse back."""

from __future__ import annotations

import io
import string
from typing import Any

import pdfplumber
import pytest

from klageformular import parse_pdf, render_form
from klageformular.locales import LANGUAGES, catalogue, fill, placeholders
from klageformular.model import Complaint
from klageformular.org import get_organisation, organisation_keys
from klageformular.values import field_values

from .fillers import fill_pdftk, fill_pypdf, flatten

HOME = {"da": "kameo-dk", "en": "kameo-dk", "nb": "kameo-no", "sv": "kameo-se"}


def _names(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_all_four_languages_are_complete() -> None:
    reference = catalogue("da")
    for lang in LANGUAGES:
        strings = catalogue(lang)
        assert set(strings) == set(reference), lang
        for key, text in strings.items():
            assert text.strip(), (lang, key)
            assert _names(text) == _names(reference[key]), (lang, key)


@pytest.mark.parametrize("lang", ["en", "nb", "sv"])
def test_translations_are_written_not_copied(lang: str) -> None:
    # Danish and Norwegian are close; a catalogue that mostly repeats Danish was not translated.
    da, other = catalogue("da"), catalogue(lang)
    prose = [k for k, v in da.items() if len(v) > 40]
    copied = [k for k in prose if other[k] == da[k]]
    assert len(copied) <= len(prose) // 20, copied


@pytest.mark.parametrize("org_key", organisation_keys())
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_fills_from_every_profile(lang: str, org_key: str) -> None:
    org = get_organisation(org_key)
    values = placeholders(lang, org)
    for key, text in catalogue(lang).items():
        filled = text.format(**values)
        assert "{" not in filled and "}" not in filled, (lang, key)
    assert org.website in fill(catalogue(lang)["info.contact"], lang, org)


@pytest.mark.parametrize("org_key", organisation_keys())
def test_profiles_carry_their_own_country(org_key: str) -> None:
    org = get_organisation(org_key)
    assert set(org.languages) <= set(LANGUAGES) and "en" in org.languages
    for body in (*org.escalation, *org.authorities):
        assert set(body.remit) == set(LANGUAGES), body.name  # no fallback to English needed
    assert HOME[org.languages[0]] == org_key


def _page_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "\n".join(page.extract_text() or "" for page in doc.pages)


@pytest.mark.parametrize(("lang", "org_key", "present", "absent"), [
    ("da", "kameo-dk", ["Forbrugerklagenævnet", "helpdesk@kameo.dk", "CPR-nummer", "Tlf. 41 71 51 51"],
     ["Finansklagenemnda", "Allmänna"]),
    ("nb", "kameo-no", ["Finansklagenemnda", "Finanstilsynet", "Datatilsynet", "fødselsnummer",
                        "Organisasjonsnummer", "virkedager", "www.kameo.no"],
     ["Forbrugerklagenævnet", "helpdesk@kameo.dk", "CPR", "Kundeservice:"]),
    ("sv", "kameo-se", ["Allmänna reklamationsnämnden", "Konsumentverket", "Finansinspektionen",
                        "personnummer", "Organisationsnummer", "arbetsdagar", "Tfn +46 8 408 980 00"],
     ["Forbrugerklagenævnet", "Finansklagenemnda", "CPR", "Kundtjänst:"]),
    ("en", "kameo-se", ["Consumer Disputes", "personal identity number", "Tel. +46"],
     ["Forbrugerklagenævnet", "Tlf."]),
])
def test_the_printed_form_speaks_the_language_and_names_the_profile(lang: str, org_key: str, present: list[str],
                                                                    absent: list[str]) -> None:
    text = _page_text(render_form(lang, org=org_key))
    for word in present:
        assert word in text, word
    for word in absent:
        assert word not in text, word


NORWEGIAN: dict[str, Any] = {
    "complainant": {
        "role": "borrower", "last_name": "Bjørnstad Eiendom AS", "registration_number": "923609016",
        "street": "Storgata 12, 3. etg.", "postcode": "0155", "city": "Oslo", "country": "Norge",
        "phone": "+47 412 34 567", "email": "post@bjornstad.no",
    },
    "subject": "Renten på lånet ble endret uten varsel.\nVi ber om en forklaring – «snarest».",
    "facts_date": "2026-10-31",
    "damage": {"amount": "12500.00", "currency": "NOK", "description": "Økte rentekostnader."},
    "reply_channel": "paper",
    "signature": {"place": "Tromsø", "date": "2026-11-20", "signatory": "complainant"},
}
SWEDISH: dict[str, Any] = {
    "complainant": {
        "role": "investor", "last_name": "Åkesson", "first_name": "Märta", "street": "Östra Hamngatan 4",
        "postcode": "411 10", "city": "Göteborg", "country": "Sverige", "phone": "+46 70 123 45 67",
        "email": "marta@example.se",
    },
    "subject": "Utbetalningen från projektet är försenad.\nJag vill veta när räntan betalas ut.",
    "facts_date": "2026-09-30", "facts_date_end": "2026-10-31",
    "damage": {"amount": "1234567.50", "currency": "SEK"},
    "signature": {"place": "Malmö", "date": "2026-11-21", "signatory": "complainant"},
}


@pytest.mark.parametrize("flattener", [None, "qpdf", "pdftocairo"])
@pytest.mark.parametrize("filler", ["pypdf", "pdftk"])
@pytest.mark.parametrize(("lang", "data"), [("nb", NORWEGIAN), ("sv", SWEDISH), ("en", SWEDISH)])
def test_filled_and_flattened_forms_parse_back(lang: str, data: dict[str, Any], filler: str,
                                               flattener: str | None) -> None:
    org = get_organisation(HOME[lang] if lang != "en" else "kameo-se")
    complaint = Complaint.model_validate(data, context={"country": org.country, "currency": org.currency})
    fill = fill_pypdf if filler == "pypdf" else fill_pdftk
    pdf = fill(render_form(lang, org=org), field_values(complaint, lang))
    if flattener:
        pdf = flatten(flattener, pdf)
    result = parse_pdf(pdf)
    assert result.language == lang
    assert result.method == ("text" if flattener else "acroform")
    assert result.review == []
    assert result.complaint == complaint


@pytest.mark.parametrize(("lang", "label", "message"), [
    ("da", "E-mail", "er ikke en gyldig e-mailadresse"),
    ("en", "Email", "is not a valid email address"),
    ("nb", "E-post", "er ikke en gyldig e-postadresse"),
    ("sv", "E-post", "är inte en giltig e-postadress"),
])
def test_validation_messages_are_in_the_form_language(lang: str, label: str, message: str) -> None:
    pdf = render_form(lang, org=HOME[lang])
    filled = fill_pypdf(pdf, {"complainant.last_name": "Nordmann", "complainant.email": "ikke-en-adresse",
                              "subject": "Test"})
    result = parse_pdf(filled)
    [item] = result.review
    assert (item.path, item.label, item.message_local) == ("complainant.email", label, message)
    assert (item.message, item.value, item.code) == ("is not a valid email address", "ikke-en-adresse",
                                                     "invalid_email")


def test_a_norwegian_form_reads_numbers_as_norwegian() -> None:
    # A local phone number and a bare "kr" mean Norway on the Norwegian profile's form.
    filled = fill_pypdf(render_form("nb", org="kameo-no"), {
        "complainant.last_name": "Nordmann", "complainant.phone": "412 34 567", "complainant.email": "o@n.no",
        "subject": "Test", "damage.amount": "12 500,00 kr"})
    complaint = parse_pdf(filled).complaint
    assert complaint is not None
    assert complaint.complainant.phone == "+4741234567"
    assert complaint.damage is not None and complaint.damage.currency == "NOK"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_language_defaults_to_its_home_profile(lang: str) -> None:
    text = _page_text(render_form(lang))
    assert get_organisation(HOME[lang]).website in text
