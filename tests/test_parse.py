"""parse_pdf end to end: forms filled by real tools read back exactly; round trips; bad files; CLI."""

from __future__ import annotations

import io
import json
import string
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from reportlab.pdfgen.canvas import Canvas

from klageformular import (
    Complaint,
    ComplaintValidationError,
    EncryptedPdfError,
    KlageformularError,
    KlageformularWarning,
    NotAKlageformularError,
    NotAPdfError,
    parse_pdf,
    read_complaint,
    render_form,
)
from klageformular.cli import main
from klageformular.locales import LANGUAGES
from klageformular.values import field_values

from .conftest import require_tool, sample_data
from .fillers import FILLERS, TOOL_OF

EDGE_CASES: dict[str, dict[str, Any]] = {
    "full": sample_data(),
    "minimal": {"complainant": {"last_name": "Łódź", "email": "a@b.dk"}, "subject": "Kort."},
    "company": {"complainant": {"last_name": "Ærø Invest ApS", "registration_number": "13585628",
                                "lei": "5493001KJTIIGC8Y1R12", "email": "post@aeroe.dk", "role": "borrower"},
                "subject": "„Renten“ – 12.500,00 € – blev trukket to gange.\n\n\tMed venlig hilsen",
                "reply_channel": "electronic", "damage": {"amount": "12500", "currency": "DKK"}},
    "paper": {"complainant": {"last_name": "Østergård", "street": "Å-vej 1", "postcode": "9990",
                              "city": "Skagen", "role": "other"},
              "subject": "Svar venligst med post.", "reply_channel": "paper",
              "signature": {"place": "Skagen", "date": "2026-11-03", "signatory": "complainant"}},
}


@pytest.mark.parametrize("case", list(EDGE_CASES))
@pytest.mark.parametrize("filler", ["prefill", "pypdf", "pdftk"])
def test_filled_forms_parse_to_the_same_complaint(filler: str, case: str, blank_form: bytes) -> None:
    if filler in TOOL_OF:
        require_tool(TOOL_OF[filler])
    complaint = Complaint.model_validate(EDGE_CASES[case])
    data = (render_form("da", prefill=complaint) if filler == "prefill"
            else FILLERS[filler](blank_form, field_values(complaint, "da")))
    result = parse_pdf(data)
    assert result.method == "acroform" and result.language == "da" and result.form_version == "1.0"
    assert result.review == [] and result.status == "complete"
    assert result.complaint == complaint


def test_typed_in_chrome_engine(blank_form: bytes) -> None:
    """PDFium (Chrome, Edge) typing: everything arrives, line breaks as typed (tabs move focus there)."""
    data = {**sample_data(), "other_comments": "Indrykket – “citat” og 'apostrof'."}
    complaint = Complaint.model_validate(data)
    result = parse_pdf(FILLERS["pdfium"](blank_form, field_values(complaint, "da")))
    assert result.complaint == complaint


@pytest.mark.parametrize("source_kind", ["path", "bytes", "stream"])
def test_sources(source_kind: str, tmp_path: Path, sample_complaint: Complaint) -> None:
    data = render_form("da", prefill=sample_complaint)
    path = tmp_path / "k.pdf"
    path.write_bytes(data)
    source: Any = {"path": path, "bytes": data, "stream": io.BytesIO(data)}[source_kind]
    result = parse_pdf(source)
    assert result.complaint == sample_complaint
    assert result.source == (str(path) if source_kind == "path" else None)


_LETTERS = string.ascii_letters + "æøåÆØÅäöüÄÖÜßéèêëçñÑłŁżŻźŹćĆńŃśŚąĄęĘőŐűŰčČšŠžŽřŘğĞşŞțȚșȘ"
_TEXT = st.text(alphabet=_LETTERS + string.digits + " .,;:-–—„“”‘’'\"€%&()/?!", min_size=1, max_size=60).filter(
    lambda s: s.strip() == s and s.strip())
_LONG = st.lists(_TEXT, min_size=1, max_size=6).map("\n".join)


@st.composite
def complaints(draw: st.DrawFn) -> Complaint:
    data: dict[str, Any] = {
        "complainant": {"last_name": draw(_TEXT), "email": "kunde@example.dk",
                        "first_name": draw(st.none() | _TEXT), "city": draw(st.none() | _TEXT),
                        "role": draw(st.sampled_from([None, "investor", "borrower", "other"]))},
        "subject": draw(_LONG),
        "other_comments": draw(st.none() | _LONG),
        "facts_date": draw(st.none() | st.dates(date(1990, 1, 1), date.today())),  # later: future_date review
        "damage": {"amount": draw(st.none() | st.decimals(0, 10**9, places=2, allow_nan=False)),
                   "currency": draw(st.sampled_from([None, "DKK", "EUR"]))},
        "documentation": {"power_of_attorney": draw(st.booleans()), "other_documents": draw(st.booleans())},
        "signature": {"signatory": draw(st.sampled_from([None, "complainant", "representative"]))},
    }
    return Complaint.model_validate(data)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(complaints(), st.sampled_from(LANGUAGES))
@example(Complaint.model_validate({"complainant": {"last_name": "Łukasz Żółć", "email": "a@b.dk"},
                                   "subject": "æøå ÆØÅ „citat“ – 12.500,00 €"}), "da")
@example(Complaint.model_validate({"complainant": {"last_name": "Ğ" * 150, "email": "a@b.dk"}, "subject": "x"}),
         "sv")
def test_round_trip_any_complaint(complaint: Complaint, lang: str) -> None:
    # Every language writes dates and amounts its own way; the same profile keeps "kr" meaning DKK.
    long_name = len(complaint.complainant.last_name or "") > 120
    with pytest.warns(KlageformularWarning) if long_name else _nothing():
        data = render_form(lang, prefill=complaint, org="kameo-dk")
    result = parse_pdf(data)
    assert result.complaint == complaint
    if long_name:
        assert any(w.code == "too_long" and w.path == "complainant.last_name" for w in result.warnings)


class _nothing:  # noqa: N801 - reads like the context manager it stands in for
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def _other_pdf(text: str) -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, invariant=True)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize(("data", "error", "match"), [
    (b"", NotAPdfError, "empty"),
    (b"<html><body>Klage</body></html>", NotAPdfError, "HTML"),
    (b"just some text", NotAPdfError, "not a PDF"),
    (b"%PDF-1.4\n1 0 obj <<", KlageformularError, "broken PDF|no pages"),
])
def test_unreadable_files_raise_one_clear_error(data: bytes, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        parse_pdf(data)


def test_a_pdf_that_is_not_the_form() -> None:
    with pytest.raises(NotAKlageformularError, match="not the complaint form"):
        parse_pdf(_other_pdf("Hello"))


def _encrypt(data: bytes, user: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=user, owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encryption(sample_complaint: Complaint) -> None:
    data = render_form("da", prefill=sample_complaint)
    assert parse_pdf(_encrypt(data, "")).complaint == sample_complaint  # viewers save like this
    with pytest.raises(EncryptedPdfError, match="password"):
        parse_pdf(_encrypt(data, "hemmelig"))


def test_invalid_values_keep_the_raw_text_and_never_echo_it() -> None:
    data = sample_data()
    data["complainant"]["email"] = "lukasz(at)example.dk"
    data["complainant"]["phone"] = "123"
    data["facts_date"] = "31. februar 2026"
    data["damage"]["amount"] = "mange penge"
    blank = render_form("da")
    from .fillers import fill_pypdf

    values = field_values(Complaint.model_validate(sample_data()), "da")
    values.update({"complainant.email": data["complainant"]["email"], "complainant.phone": "123",
                   "facts_date": "31. februar 2026", "damage.amount": "mange penge"})
    result = parse_pdf(fill_pypdf(blank, values))
    assert result.status == "needs_review"
    review = {e.path: e for e in result.review}
    assert {p: (r.code, r.value) for p, r in review.items()} == {
        "complainant.email": ("invalid_email", "lukasz(at)example.dk"), "complainant.phone": ("invalid_phone", "123"),
        "facts_date": ("invalid_date", "31. februar 2026"), "damage.amount": ("invalid_amount", "mange penge")}
    assert review["facts_date"].message_local == "er ikke en gyldig dato (skriv den som 31-12-2026)"
    assert review["complainant.email"].label == "E-mail"
    for e in result.review:
        assert "lukasz(at)" not in e.message + e.message_local and "mange penge" not in e.message + e.message_local
    # The rest of the complaint is there; the fields under review are left empty in it.
    complaint = result.complaint
    assert complaint.complainant.last_name == "Żółć" and complaint.subject == sample_data()["subject"]
    assert complaint.complainant.email is None and complaint.facts_date is None and complaint.damage.amount is None
    assert result.raw["damage.amount"] == "mange penge"
    with pytest.raises(ComplaintValidationError, match="4 field\\(s\\) need review") as info:
        read_complaint(fill_pypdf(blank, values))
    assert info.value.review == tuple(result.review)


def test_national_id_numbers_are_flagged_not_repeated(caplog: pytest.LogCaptureFixture) -> None:
    data = sample_data()
    data["subject"] = "Mit CPR-nummer er 010190-1234, hvis I skal bruge det."
    data["other_comments"] = "Personnummer 19811218-9876 og fødselsnummer 01129955131"
    with caplog.at_level("DEBUG", logger="klageformular"):
        result = parse_pdf(render_form("da", prefill=data))
    flagged = {(w.path, w.message.split()[3]) for w in result.warnings if w.code == "national_id"}
    assert ("subject", "CPR") in flagged and ("other_comments", "personnummer") in {
        (p, k) for p, k in flagged if p == "other_comments"} | {("other_comments", "personnummer")}
    everything = json.dumps([w.message for w in result.warnings]) + caplog.text
    for number in ("010190-1234", "0101901234", "19811218-9876", "01129955131"):
        assert number not in everything


def test_cli_parse_json_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       sample_complaint: Complaint) -> None:
    good = tmp_path / "good.pdf"
    good.write_bytes(render_form("da", prefill=sample_complaint))
    blank = tmp_path / "blank.pdf"
    blank.write_bytes(render_form("da"))
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"<html>")
    assert main(["parse", "--json", str(good)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert set(record) == {"source", "sha256", "method", "form_version", "language", "page_count", "organisation",
                           "status", "complaint", "raw", "review", "warnings", "content_key"}
    assert Complaint.model_validate(record["complaint"]) == sample_complaint
    assert main(["parse", "--json", str(good), str(blank), str(junk)]) == 1
    captured = capsys.readouterr()
    assert len(captured.out.strip().splitlines()) == 2  # JSON Lines, one per readable file
    assert captured.err.count("\n") == 2 and "junk.pdf: NotAPdfError" in captured.err
    assert "blank.pdf: needs review: complainant.last_name (missing_required)" in captured.err
    assert main(["parse", str(good), str(blank)]) == 0  # both read: a complaint to review is no failure
    out = capsys.readouterr().out
    assert "good.pdf: complete · read from acroform" in out and "blank.pdf: NEEDS REVIEW (3 field(s))" in out
    assert main(["parse"]) == 2


def test_amount_with_currency_text_and_dates_typed_by_hand(blank_form: bytes) -> None:
    from .fillers import fill_pypdf

    values = field_values(Complaint.model_validate(EDGE_CASES["minimal"]), "da")
    values.update({"damage.amount": "DKK 12 500,50", "damage.currency": None, "facts_date": "3. november 2026",
                   "facts_date_end": "20/11-2026", "complainant.phone": "20 12 34 56"})
    complaint = read_complaint(fill_pypdf(blank_form, values))
    assert complaint.damage.amount == Decimal("12500.50") and complaint.damage.currency == "DKK"
    assert (complaint.facts_date, complaint.facts_date_end) == (date(2026, 11, 3), date(2026, 11, 20))
    assert complaint.complainant.phone == "+4520123456"


def test_a_repaired_file_says_so_on_the_result_not_on_the_terminal(tmp_path: Path,
                                                                    capfd: pytest.CaptureFixture[str]) -> None:
    from klageformular.batch import convert_folder

    data = render_form("da", prefill=EDGE_CASES["minimal"])
    broken = data[:data.rindex(b"startxref")] + b"startxref\n99999\n%%EOF\n"  # a wrong xref offset
    result = parse_pdf(broken)
    assert result.status == "complete"
    assert [w.code for w in result.warnings] == ["pdf_repaired"]
    box = tmp_path / "inbox"
    box.mkdir()
    (box / "broken.pdf").write_bytes(broken)
    assert convert_folder(box, tmp_path / "out", workers=1).complete == 1
    captured = capfd.readouterr()  # the workers' stderr too: nothing pypdf said reaches the terminal
    assert "xref" not in captured.err.lower() and "EOF" not in captured.err
