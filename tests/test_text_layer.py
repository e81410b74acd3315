"""Flattened and printed copies read back from their text layer (parse/text.py)."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import cast

import pytest
from pypdf import PdfReader, PdfWriter, Transformation
from reportlab.pdfgen.canvas import Canvas

from klageformular import (
    Complaint,
    KlageformularWarning,
    NotAKlageformularError,
    NoTextLayerError,
    render_form,
)
from klageformular.layout import LAYOUT, PAGE_HEIGHT, PAGE_WIDTH, Kind, field_by_path
from klageformular.parse.text import read_text_layer
from klageformular.values import FieldValue, field_values

from .conftest import require_tool, sample_data
from .fillers import FILLERS, TOOL_OF, flatten


def _ws(value: FieldValue) -> FieldValue:
    """Whitespace normalised: a text layer cannot tell a tab from a space."""
    return " ".join(value.split()) if isinstance(value, str) else value


def assert_values_match(expected: dict[str, FieldValue], got: dict[str, FieldValue], *,
                        warned: frozenset[str] = frozenset(), line_breaks: bool = True) -> None:
    """Equal with whitespace normalised — or, for a field the copy warned about, a true prefix."""
    for spec in LAYOUT.fields:
        want = expected.get(spec.path)
        want = want or (False if spec.kind is Kind.CHECKBOX else None)
        have = got.get(spec.path)
        have = have or (False if spec.kind is Kind.CHECKBOX else None)
        if spec.path in warned and isinstance(want, str):
            assert isinstance(have, str) and str(_ws(want)).startswith(str(_ws(have))[:-20]), spec.path
            continue
        assert _ws(have) == _ws(want), spec.path
        if line_breaks and spec.multiline and isinstance(want, str):
            # Typed line breaks survive; only tabs and space runs are normalised.
            assert isinstance(have, str) and have.count("\n") == want.count("\n"), spec.path


FLATTENERS = ["pdftk", "qpdf", "gs", "pdftocairo", "gs-letter", "pdfium"]
LOSSLESS = {"prefill", "pypdf"}  # their appearance streams hold every character of the sample


@pytest.mark.parametrize("filler", ["prefill", *FILLERS])
@pytest.mark.parametrize("flattener", FLATTENERS)
def test_flattened_copies_read_back(filler: str, flattener: str, blank_form: bytes,
                                    sample_complaint: Complaint) -> None:
    if filler in TOOL_OF:
        require_tool(TOOL_OF[filler])
    values = field_values(sample_complaint, "da")
    filled = (render_form("da", prefill=sample_complaint) if filler == "prefill"
              else FILLERS[filler](blank_form, values))
    layer = read_text_layer(flatten(flattener, filled))
    assert layer.language == "da" and layer.version == "1.0"
    warned = frozenset(w.path for w in layer.warnings if w.code == "overflow" and w.path)
    if filler in LOSSLESS:
        assert not warned  # these fillers fit every value: nothing may be lost
    # pdftk and PDFium cannot fit the 4,000-character description at 4 pt: their copies lose
    # its tail on paper, so the reader must say so — a warning, never a silent short value.
    assert_values_match(values, layer.values, warned=warned, line_breaks=filler in LOSSLESS)


def _rotate_content(data: bytes, turns: int) -> bytes:
    """Bake a rotation into each page's content (not /Rotate), as some print drivers do."""
    writer = PdfWriter(clone_from=io.BytesIO(data))
    for page in writer.pages:
        angle = 90 * turns
        t = Transformation().rotate(angle)
        if turns % 4 == 1:
            t = t.translate(PAGE_HEIGHT, 0)
        elif turns % 4 == 2:
            t = t.translate(PAGE_WIDTH, PAGE_HEIGHT)
        elif turns % 4 == 3:
            t = t.translate(0, PAGE_WIDTH)
        page.add_transformation(t)
        if turns % 2:
            page.mediabox.upper_right = (PAGE_HEIGHT, PAGE_WIDTH)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_pages_rotated_in_their_content(turns: int, sample_complaint: Complaint) -> None:
    flat = flatten("qpdf", render_form("da", prefill=sample_complaint))
    layer = read_text_layer(_rotate_content(flat, turns))
    assert_values_match(field_values(sample_complaint, "da"), layer.values)


def test_rotate_flag_is_transparent(sample_complaint: Complaint) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(flatten("qpdf", render_form("da", prefill=sample_complaint))))
    for page in writer.pages:
        page.rotate(90)
    out = io.BytesIO()
    writer.write(out)
    assert_values_match(field_values(sample_complaint, "da"), read_text_layer(out.getvalue()).values)


def _blank_page_pdf(text: str | None) -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True)
    if text:
        c.drawString(72, 720, text)
    else:
        c.rect(72, 72, 300, 300, fill=1)  # an "image": no text at all
    c.showPage()
    c.save()
    return buf.getvalue()


def _concat(*docs: bytes, pages: list[tuple[int, int]] | None = None) -> bytes:
    writer = PdfWriter()
    readers = [PdfReader(io.BytesIO(d)) for d in docs]
    picks = pages or [(i, p) for i, r in enumerate(readers) for p in range(len(r.pages))]
    for doc, page in picks:
        writer.add_page(readers[doc].pages[page])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_attachments_are_counted_and_ignored(sample_complaint: Complaint) -> None:
    flat = flatten("qpdf", render_form("da", prefill=sample_complaint))
    layer = read_text_layer(_concat(flat, _blank_page_pdf("Kontoudtog bilag 1"), _blank_page_pdf(None)))
    assert layer.extra_pages == 2 and layer.page_count == 5
    assert_values_match(field_values(sample_complaint, "da"), layer.values)


def test_a_copy_without_a_page_is_still_a_complaint(sample_complaint: Complaint) -> None:
    from klageformular import parse_pdf

    flat = flatten("qpdf", render_form("da", prefill=sample_complaint))
    copy = _concat(flat, pages=[(0, 0), (0, 2)])
    layer = read_text_layer(copy)
    on_page_2 = {s.path for s in LAYOUT.fields_on(2)}
    assert {w.path for w in layer.warnings if w.code == "page_missing"} == on_page_2
    result = parse_pdf(copy)
    assert result.complaint.complainant.last_name == sample_complaint.complainant.last_name  # page 1 is read
    assert {r.path for r in result.review if r.code == "page_missing"} == on_page_2
    assert result.status == "needs_review" and result.complaint.subject is None


def test_a_scan_has_no_text_layer() -> None:
    with pytest.raises(NoTextLayerError, match="OCR is not supported"):
        read_text_layer(_blank_page_pdf(None))


def test_a_pdf_that_is_not_the_form() -> None:
    with pytest.raises(NotAKlageformularError):
        read_text_layer(_blank_page_pdf("Dear Sir or Madam"))


def test_lines_clipped_at_the_bottom_are_recovered_with_a_warning() -> None:
    """Text past the box's bottom was cut off on paper but is still in the content stream."""
    data = sample_data()
    data["subject"] = "\n".join(["Linje med tekst, der fylder godt i feltet og bliver ved og ved."] * 150)
    with pytest.warns(KlageformularWarning, match="subject"):
        filled = render_form("da", prefill=data)
    layer = read_text_layer(flatten("qpdf", filled))
    assert [w.code for w in layer.warnings if w.path == "subject"] == ["hidden_in_print"]
    assert layer.values["subject"] == data["subject"]
    assert layer.values["facts_date"] == "01-10-2026"  # the box below keeps only its own text


def test_single_line_overflow_past_the_right_edge() -> None:
    data = sample_data()
    data["complainant"]["postcode"] = "8000 Aarhus C, Danmark, Europa"  # far wider than the box
    with pytest.warns(KlageformularWarning, match="postcode"):
        filled = render_form("da", prefill=data)
    # Our renderer shrinks to fit; pypdf at a fixed size does not: simulate a tool that lets it run.
    layer = read_text_layer(flatten("qpdf", filled))
    assert layer.values["complainant.postcode"] == data["complainant"]["postcode"]
    assert layer.values["complainant.city"] == data["complainant"]["city"]  # the neighbour keeps its own


def test_vector_check_marks_count_with_a_warning(sample_complaint: Complaint) -> None:
    """Another tool's tick drawn as lines inside the box: checked, but flagged as uncertain."""
    flat = flatten("qpdf", render_form("da", prefill=sample_complaint))
    spec = field_by_path("documentation.contractual_documents")
    r = spec.rect
    overlay = io.BytesIO()
    c = Canvas(overlay, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True)
    c.setLineWidth(1.2)
    c.lines([(r.x0 + 2, r.y0 + 5, r.x0 + 4.5, r.y0 + 2), (r.x0 + 4.5, r.y0 + 2, r.x1 - 2, r.y1 - 2)])
    c.showPage()
    c.save()
    writer = PdfWriter(clone_from=io.BytesIO(flat))
    writer.pages[spec.page - 1].merge_page(PdfReader(io.BytesIO(overlay.getvalue())).pages[0])
    out = io.BytesIO()
    writer.write(out)
    layer = read_text_layer(out.getvalue())
    assert layer.values["documentation.contractual_documents"] is True
    assert any(w.code == "uncertain_choice" and w.path == spec.path for w in layer.warnings)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_language_comes_from_the_identifier(lang: str, sample_complaint: Complaint) -> None:
    layer = read_text_layer(flatten("qpdf", render_form(lang, prefill=sample_complaint)))
    assert layer.language == lang
    assert_values_match(field_values(sample_complaint, lang), layer.values)


@pytest.mark.parametrize(("text", "replaced"), [
    ("?ukasz", 1), ("K?benhavn ?", 2), ("????", 4),
    ("Caf? ?Bl?b?r? ApS", 3),  # "Caf?" looks like a question: the field is flagged by the others
    ("Hvorfor?", 0), ("Er det rigtigt? Ja.", 0), ("(se bilag?)", 0), ('sagde "nej?"', 0), ("", 0),
])
def test_letters_drawn_as_question_marks_are_counted(text: str, replaced: int) -> None:
    """What a filling tool draws for letters it cannot encode, told apart from real question marks."""
    from klageformular.parse.text import _REPLACED

    assert len(_REPLACED.findall(text)) == replaced


def test_a_printed_copy_with_question_marks_warns_per_field(blank_form: bytes, sample_complaint: Complaint) -> None:
    """pikepdf (qpdf's generator) draws '?' for æøå and Ł: the printed copy says which fields."""
    from .fillers import ALL_FILLERS

    values = field_values(sample_complaint, "da")
    layer = read_text_layer(flatten("gs", ALL_FILLERS["pikepdf"](blank_form, values)))
    flagged = {w.path for w in layer.warnings if w.code == "unreadable_text"}
    assert {"complainant.first_name", "complainant.street", "investment.project"} <= flagged
    assert "complainant.email" not in flagged and layer.values["complainant.email"] == values["complainant.email"]
    assert all("Ł" not in w.message and "ukasz" not in w.message for w in layer.warnings)  # never the value


class _FakePage:
    """Only what ``_identifier`` reads: the page's chars in content-stream order."""

    def __init__(self, texts: list[str]):
        self.chars = [SimpleNamespace(text=t) for t in texts]


@pytest.mark.parametrize("dot", ["·", "´", "", "•"])
def test_the_identifier_is_found_whatever_separates_language_and_page(dot: str) -> None:
    """MuPDF's printer maps the footer's "·" to "´"; a (cid:N) glyph before it is several characters."""
    from klageformular.parse._pdfminer import PageContent
    from klageformular.parse.text import _identifier

    footer = list(f"KLAGEFORMULAR 1.0 da {dot} side 2/3")
    page = _FakePage(["(cid:7)", "(cid:12)", "x", *footer])
    found = _identifier(cast("PageContent", page))
    assert found is not None
    match, char = found
    assert match.groups() == ("1.0", "da", "2", "3") and char is page.chars[3]  # the "K", not a shifted glyph
