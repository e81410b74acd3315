"""The rendered form: structure, flags, fonts, determinism, and what real tools make of it."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pdfplumber
import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from klageformular import Complaint, ConfigurationError, KlageformularWarning, parse_pdf, render_form
from klageformular._appearance import fit_text
from klageformular._font import CHARSET, FONT_RESOURCE, EmbeddedFont
from klageformular.layout import FORM_VERSION, LAYOUT, Kind, field_by_name
from klageformular.locales import available_languages
from klageformular.values import field_values

from .conftest import HARD_NAME, require_tool, run_tool, sample_data
from .fillers import FILLERS, TOOL_OF, flatten_pdfium

LANGS = available_languages()


def _norm(text: str) -> str:
    return " ".join(text.split())


def _fields(data: bytes) -> dict[str, DictionaryObject]:
    """Terminal fields by name (radio parents, not their kids)."""
    reader = PdfReader(io.BytesIO(data))
    out = {}
    for ref in reader.trailer["/Root"]["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        out[str(field["/T"])] = field
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_qpdf_check_is_clean(lang: str, write_pdf: Callable[[bytes, str], Path]) -> None:
    path = write_pdf(render_form(lang), f"{lang}.pdf")
    out = run_tool("qpdf", "--check", path).stdout.decode()
    assert "No syntax or stream encoding errors" in out
    assert "WARNING" not in out


def test_output_is_deterministic_and_small(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = render_form("da"), render_form("da")
    assert first == second
    assert len(first) <= 120_000, f"{len(first)} bytes"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    dated = render_form("da")
    assert dated != first and dated == render_form("da")
    meta = PdfReader(io.BytesIO(dated)).metadata
    assert meta is not None and meta["/CreationDate"] == "D:20231114221320+00'00'"


def test_the_same_form_whatever_the_clock_says(monkeypatch: pytest.MonkeyPatch) -> None:
    # The printed fonts are rewritten with fontTools, which stamps a font's head.modified with the
    # clock unless told not to. Within one process the rewrite is cached, so the cache is emptied
    # and the clock moved a day between two renders: the form's bytes must not move with it.
    import time

    from klageformular import _subsets

    first = render_form("da")
    _subsets._with_unicode_cmap.cache_clear()
    later = time.time() + 86_400
    monkeypatch.setattr(time, "time", lambda: later)
    assert render_form("da") == first


def test_every_layout_field_is_in_the_pdf_with_deliberate_flags(blank_form: bytes) -> None:
    fields = _fields(blank_form)
    assert set(fields) == {f.name for f in LAYOUT.fields}
    for name, field in fields.items():
        spec = field_by_name(name)
        assert spec is not None
        flags = int(field.get("/Ff", 0))
        assert bool(flags & 2) == spec.required, name  # only truly required fields are required
        assert str(field["/TU"]).strip() and "{" not in str(field["/TU"]), name
        if spec.kind.is_choice:
            assert field["/FT"] == "/Btn"
            assert bool(flags & (1 << 15)) == (spec.kind is Kind.RADIO)
            assert not flags & (1 << 14), "radios may be toggled off again"
        else:
            assert field["/FT"] == "/Tx"
            assert bool(flags & 4096) == spec.multiline
            assert field.get("/MaxLen") == spec.max_length
            assert str(field["/DA"]).startswith(f"{FONT_RESOURCE} 0 Tf")  # auto size: long text stays visible
    assert fields["subject"]["/MaxLen"] >= 4000


def test_document_metadata(blank_form: bytes) -> None:
    reader = PdfReader(io.BytesIO(blank_form))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "da"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.metadata is not None
    assert reader.metadata.title == "Klageformular – Kameo"
    assert reader.metadata["/KlageformularVersion"] == FORM_VERSION
    assert len(reader.pages) == LAYOUT.page_count == 3
    font = root["/AcroForm"]["/DR"]["/Font"][FONT_RESOURCE].get_object()
    assert font["/Subtype"] == "/TrueType" and "/ToUnicode" in font
    assert "/NeedAppearances" not in root["/AcroForm"]  # appearances are ours; viewers need not redraw
    for page in reader.pages:
        annots = [a.get_object() for a in page.get("/Annots", [])]
        for annot in annots:
            assert "/N" in annot["/AP"]  # every widget has an appearance: no viewer has to guess
        if annots:
            assert page["/Tabs"] == "/S"  # structure order (PDF/UA-1); was /R before tagging


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_prints_identifier_and_marks(lang: str) -> None:
    with pdfplumber.open(io.BytesIO(render_form(lang))) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            text = page.extract_text()
            assert re.search(rf"KLAGEFORMULAR {re.escape(FORM_VERSION)} {lang} · \w+ {number}/3", text)
            squares = [r for r in page.rects if round(r["width"]) == 8 and round(r["height"]) == 8]
            assert len(squares) == 4


def test_pdftk_lists_every_field_with_type_flags_and_tooltip(blank_form: bytes,
                                                               write_pdf: Callable[[bytes, str], Path]) -> None:
    out = run_tool("pdftk", write_pdf(blank_form, "blank.pdf"), "dump_data_fields_utf8").stdout.decode()
    records = [dict(line.split(": ", 1) for line in block.strip().splitlines() if ": " in line)
               for block in out.split("---") if block.strip()]
    by_name = {r["FieldName"]: r for r in records}
    assert set(by_name) == {f.name for f in LAYOUT.fields}
    for spec in LAYOUT.fields:
        record = by_name[spec.name]
        assert record["FieldType"] == ("Button" if spec.kind.is_choice else "Text")
        assert record["FieldNameAlt"].strip(), spec.name
        if spec.max_length:
            assert int(record["FieldMaxLength"]) == spec.max_length
        if spec.kind is Kind.RADIO:
            assert int(record["FieldFlags"]) & (1 << 15)


def _flatten(tool: str, data: bytes) -> bytes:
    if tool == "pdfium":
        return flatten_pdfium(data)
    exe = {"pdftk": "pdftk", "gs": "gs", "qpdf": "qpdf", "pdftocairo": "pdftocairo"}[tool]
    require_tool(exe)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
        src.write_bytes(data)
        args = {
            "pdftk": ["pdftk", src, "output", dst, "flatten"],
            "gs": ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", f"-sOutputFile={dst}", src],
            "qpdf": ["qpdf", "--flatten-annotations=all", src, dst],
            "pdftocairo": ["pdftocairo", "-pdf", src, dst],
        }[tool]
        subprocess.run([str(a) for a in args], check=True, capture_output=True, timeout=120)
        return dst.read_bytes()


FLATTENERS = ["pdftk", "gs", "qpdf", "pdftocairo", "pdfium"]


@pytest.mark.parametrize("filler", ["prefill", *FILLERS])
@pytest.mark.parametrize("flattener", FLATTENERS)
def test_filled_and_flattened_text_layer_holds_every_value(filler: str, flattener: str, blank_form: bytes,
                                                           sample_complaint: Complaint) -> None:
    if filler in TOOL_OF:
        require_tool(TOOL_OF[filler])
    values = field_values(sample_complaint, "da")
    filled = render_form("da", prefill=sample_complaint) if filler == "prefill" else FILLERS[filler](blank_form, values)
    flat = _flatten(flattener, filled)
    with pdfplumber.open(io.BytesIO(flat)) as pdf:
        pages = [pdf.pages[i] for i in range(LAYOUT.page_count)]
        text = {n: _norm(p.extract_text()) for n, p in enumerate(pages, start=1)}
        for spec in LAYOUT.fields:
            value, page = values[spec.path], pages[spec.page - 1]
            if not spec.kind.is_choice:
                assert isinstance(value, str | None)
                if value:
                    assert _norm(value) in text[spec.page], f"{spec.path} not whole after {filler} + {flattener}"
                continue
            boxes = [(spec.rect, bool(value))] if spec.kind is Kind.CHECKBOX else [
                (o.rect, o.value == value) for o in spec.options]
            for r, on in boxes:  # the check mark is a glyph, so it survives as text
                inside = page.crop((r.x0, page.height - r.y1, r.x1, page.height - r.y0)).chars
                assert bool(inside) == on, f"{spec.path} state after {filler} + {flattener}"


def test_the_value_font_is_simple_with_a_named_encoding_and_a_unicode_map(blank_form: bytes) -> None:
    """The design every filler and printer could use (issue 13): one byte per character, AGL names."""
    font = PdfReader(io.BytesIO(blank_form)).trailer["/Root"]["/AcroForm"]["/DR"]["/Font"][FONT_RESOURCE]
    assert font["/Subtype"] == "/TrueType" and "/FontFile2" in font["/FontDescriptor"]
    assert font["/Encoding"]["/BaseEncoding"] == "/WinAnsiEncoding"
    names = [str(n) for n in cast("list[object]", font["/Encoding"]["/Differences"]) if str(n).startswith("/")]
    assert {"/Lslash", "/Gbreve", "/Scommaaccent", "/uni021B", "/Zdotaccent"} <= set(names)
    assert len(font["/Widths"]) == int(font["/LastChar"]) - int(font["/FirstChar"]) + 1
    assert "/ToUnicode" in font


def test_every_character_of_the_encoding_survives_printing() -> None:
    """Every printable character of the encoding in one field, printed by ghostscript: each one reads back."""
    letters = "".join(sorted(c for c in CHARSET if not c.isspace()))
    data = sample_data()
    data["subject"] = letters
    flat = _flatten("gs", render_form("da", prefill=data))
    with pdfplumber.open(io.BytesIO(flat)) as pdf:
        text = "".join(pdf.pages[1].extract_text().split())
    assert not set(letters) - set(text)


def test_pdfium_draws_every_letter_with_the_form_font(blank_form: bytes) -> None:
    """Chrome's engine used to fall back to system fonts for Ğ Ș „ (issue 13); it keeps ours now."""
    probe = "ŁŻółć ŞşŐőČšŽđ ÆØÅæøåß € “”‘’–— Ğ„ș İı Ț"
    filled = FILLERS["pdfium"](blank_form, {"complainant.street": probe})
    assert _fields(filled)["complainant_street"]["/V"] == probe
    annots = cast("list[Any]", PdfReader(io.BytesIO(filled)).pages[0]["/Annots"])
    widget = next(a.get_object() for a in annots
                  if a.get_object().get("/T") == "complainant_street")
    appearance = widget["/AP"]["/N"].get_object()
    fonts_used = set(re.findall(rb"(/[^\s/]+) [\d.]+ Tf", appearance.get_data()))
    assert fonts_used == {FONT_RESOURCE.encode()}
    with pdfplumber.open(io.BytesIO(flatten_pdfium(filled))) as pdf:
        assert probe.replace(" ", "") in pdf.pages[0].extract_text().replace(" ", "")


def test_a_4000_character_description_stays_fully_visible() -> None:
    spec = next(f for f in LAYOUT.fields if f.path == "subject")
    font = EmbeddedFont.load()

    def fit(text: str) -> tuple[bool, float]:
        box = fit_text(font, text, spec.rect.width, spec.rect.height, multiline=True)
        return box.fits, box.size

    five_paragraphs = "\n".join([("Renten blev ikke udbetalt til tiden, og ingen svarede. " * 15)[:800]] * 5)
    assert fit(five_paragraphs) >= (True, 5.5)  # readable on paper
    # 18 short paragraphs with blank lines between them still fit whole, only smaller.
    assert fit(sample_data()["subject"]) >= (True, 4.5)


def test_prefill_rejects_characters_the_font_cannot_show() -> None:
    data = sample_data()
    data["complainant"]["last_name"] = "Иванов"
    with pytest.raises(ConfigurationError, match=r"complainant\.last_name"):
        render_form("da", prefill=data)


def test_prefill_that_is_not_a_complaint_names_the_fields() -> None:
    with pytest.raises(ConfigurationError, match=r"complainant\.email"):
        render_form("da", prefill={"complainant": {"last_name": "X", "email": "not-an-email"}, "subject": "s"})


def test_a_partial_prefill_writes_only_what_it_gives() -> None:
    # A logged-in customer's identity is known; the complaint itself and their choices are not.
    pdf = render_form("nb", prefill={"complainant": {"first_name": "Åse", "email": "aase@example.no"},
                                     "facts_date": "2026-10-31"})
    fields = _fields(pdf)
    assert str(fields["complainant_first_name"]["/V"]) == "Åse"
    assert str(fields["facts_date"]["/V"]) == "31.10.2026"
    for name in ("subject", "complainant_last_name", "reply_channel", "complainant_role"):
        assert fields[name].get("/V") in (None, "", "/Off"), name
    result = parse_pdf(pdf)
    assert result.status == "needs_review"
    assert {(r.path, r.code) for r in result.review} == {("subject", "missing_required"),
                                                         ("complainant.last_name", "missing_required")}
    assert result.complaint.complainant.first_name == "Åse"


def test_prefill_longer_than_the_field_warns_but_keeps_everything() -> None:
    data = sample_data()
    data["complainant"]["city"] = "Å" * 130
    with pytest.warns(KlageformularWarning, match="complainant.city"):
        pdf = render_form("da", prefill=data)
    assert str(_fields(pdf)["complainant_city"]["/V"]) == "Å" * 130


def test_prefill_values_are_stored_exactly(sample_complaint: Complaint) -> None:
    fields = _fields(render_form("da", prefill=sample_complaint))
    assert str(fields["complainant_first_name"]["/V"]) == HARD_NAME.split()[0]
    assert str(fields["subject"]["/V"]) == sample_complaint.subject
    assert fields["complainant_role"]["/V"] == "/investor"
    assert fields["documentation_power_of_attorney"]["/V"] == "/Yes"
    assert fields["documentation_contractual_documents"]["/V"] == "/Off"


@pytest.mark.parametrize("lang", LANGS)
def test_pages_render_to_images(lang: str, tmp_path: Path) -> None:
    """poppler draws every page without complaint (the PNGs are what we look at by eye)."""
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(render_form(lang))
    proc = run_tool("pdftoppm", "-r", "30", "-png", pdf, tmp_path / "page")
    assert not proc.stderr
    assert len(list(tmp_path.glob("page-*.png"))) == LAYOUT.page_count
