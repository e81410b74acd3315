"""The text path's character source (parse/_pdfminer.py) reads exactly what pdfplumber reads.

The device records characters and shapes itself instead of having pdfplumber build a dictionary
per character (issue 19); its numbers must stay pdfplumber's to the last bit, or boxes, lines and
warnings would shift. Pinned on every committed flattened copy and on the odd cases: vertical
text, a MediaBox that does not start at the origin, a page rotated by its /Rotate flag.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, FloatObject, NameObject
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from klageformular.parse._pdfminer import ContentReader, PageContent

from .conftest import load_script

FIXTURES = Path(__file__).parent / "fixtures"
_MINIMAL_PDF = load_script("scripts/make_fuzz_corpus.py")._minimal_pdf  # hand-made objects, correct xref


def _drawing() -> bytes:
    """Horizontal and vertical (CID, Identity-V-like) text, a filled square, a line and a curve."""
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3", isVertical=True))
    buf = io.BytesIO()
    canvas = Canvas(buf, invariant=True)
    canvas.setFont("HeiseiMin-W3", 14)
    canvas.drawString(300, 700, "縦書きテキスト")
    canvas.setFont("Helvetica", 10)
    canvas.drawString(100, 100, "Ærø Åse")
    text = canvas.beginText(100, 80)
    text.setCharSpace(1.5)
    text.setWordSpace(4)
    text.setRise(2)
    text.textLine("spaced out words")
    canvas.drawText(text)
    canvas.rect(50, 50, 20, 20, fill=1)
    canvas.line(0, 0, 100, 100)
    canvas.bezier(0, 0, 10, 10, 20, 0, 30, 30)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _moved(data: bytes, *, rotate: int = 0) -> bytes:
    """``data`` with every MediaBox shifted off the origin (and the pages' /Rotate flag set)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        page[NameObject("/MediaBox")] = ArrayObject(FloatObject(v) for v in (x0 - 30, y0 - 20, x1 + 5, y1 + 7))
        if rotate:
            page.rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


CASES: dict[str, Any] = {
    **{p.name: p.read_bytes for p in sorted(FIXTURES.glob("flat-*.pdf"))},
    "unembedded-own-encoding.pdf": (FIXTURES / "unembedded-own-encoding.pdf").read_bytes,
    "drawing.pdf": _drawing,
    "drawing-moved.pdf": lambda: _moved(_drawing()),
    "flat-qpdf-moved-rotated.pdf": lambda: _moved((FIXTURES / "flat-qpdf.pdf").read_bytes(), rotate=90),
}


def _pdfplumber(page: Any) -> PageContent:
    """pdfplumber's own view of the page, in our shape."""
    chars = [(c["text"], str(c["fontname"]), c["x0"], c["y0"], c["x1"], c["y1"], c["size"], tuple(c["matrix"]))
             for c in page.chars]
    rects = [(r["x0"], r["y0"], r["x1"], r["y1"], r["width"], r["height"], r["fill"]) for r in page.rects]
    shapes = [(s["x0"], s["y0"], s["x1"], s["y1"]) for s in (*page.curves, *page.lines, *page.rects)]
    return PageContent(chars, rects, shapes)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(CASES))
def test_characters_and_shapes_are_pdfplumbers_to_the_bit(name: str) -> None:
    data = CASES[name]()
    with pdfplumber.open(io.BytesIO(data)) as theirs, pdfplumber.open(io.BytesIO(data)) as ours:
        reader = ContentReader()
        for their_page, our_page in zip(theirs.pages, ours.pages, strict=True):
            expected = _pdfplumber(their_page)
            got = reader.read(our_page)
            assert expected.chars, "every case draws text"
            assert [(*c[:7], tuple(c.matrix)) for c in got.chars] == expected.chars
            assert [tuple(r) for r in got.rects] == expected.rects
            assert got.shapes == expected.shapes


def _one_font_page(font: bytes, text: bytes) -> bytes:
    """A hand-made one-page PDF drawing ``text`` in the font dictionary ``font``."""
    content = b"BT /F1 10 Tf 10 10 Td (" + text + b") Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 50] /Resources << /Font << /F1 " + font
               + b" >> >> /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
    return bytes(_MINIMAL_PDF(objects))


@pytest.mark.parametrize(("font", "text", "guessed"), [
    # Standard glyph names read right whatever the font: /Lslash is Ł. /g36 only the font program knows.
    (b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Differences [65 /Lslash /g36] >> >>",
     b"ABC", [False, True, False]),
    (b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>", b"Ab", [False, False]),
    # A symbolic font encodes by its own table: every code, unless /Differences names its glyph.
    (b"<< /Type /Font /Subtype /Type1 /BaseFont /Symbol >>", b"ab", [True, True]),
    (b"<< /Type /Font /Subtype /Type1 /BaseFont /Symbol /Encoding << /Differences [97 /alpha] >> >>", b"ab",
     [False, True]),
    (b"<< /Type /Font /Subtype /TrueType /BaseFont /Wingdings /FontDescriptor << /Type /FontDescriptor "
     b"/FontName /Wingdings /Flags 4 >> >>", b"J", [True]),
    (b"<< /Type /Font /Subtype /TrueType /BaseFont /Arial /FontDescriptor << /Type /FontDescriptor "
     b"/FontName /Arial /Flags 32 >> >>", b"J", [False]),
])
def test_codes_only_a_missing_font_program_explains_are_marked(font: bytes, text: bytes, guessed: list[bool]) -> None:
    with pdfplumber.open(io.BytesIO(_one_font_page(font, text))) as pdf:
        assert [c.guessed for c in ContentReader().read(pdf.pages[0]).chars] == guessed


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("flat-*.pdf")))
def test_tool_made_copies_guess_only_check_marks(name: str) -> None:
    """Every value font of every tool is embedded or standard; ghostscript's ZapfDingbats ticks are the one guess."""
    with pdfplumber.open(FIXTURES / name) as pdf:
        reader = ContentReader()
        guessed = {c.fontname for page in pdf.pages for c in reader.read(page).chars if c.guessed}
    assert guessed <= {"ZapfDingbats"}
