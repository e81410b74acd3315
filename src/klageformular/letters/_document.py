"""A letter's pages, on the form's design: header with the organisation, footer with reference and page n/N.

Every glyph comes from the embedded Noto Sans (regular, bold, italic; the package's assets), so
the file can be PDF/A: reportlab's standard Helvetica is never referenced, not even as the
canvas's initial font. The address block sits where DIN 5008 form B puts it (20 mm from
the left, 45 mm from the top, 85 × 45 mm), which shows through the window of DL and C5
window envelopes; it is drawn only for a reply on paper.

The pages are tagged (:mod:`.._tagging`): the letterhead's name, sender lines, address block and
reference lines are paragraphs, the story's elements come from :mod:`._tags`; rules, boxes, the
running head of later pages and the footer are artifacts.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from reportlab.lib.fonts import addMapping
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate
from reportlab.platypus.doctemplate import NextPageTemplate

from .._pages import ACCENT, BOX_FILL, INK, MUTED, RULE, Pages
from .._tagging import Elem, Tagger, artifact
from ..layout import CONTENT_WIDTH, IDENTIFIER_BASELINE, MARGIN, PAGE_HEIGHT, PAGE_WIDTH
from ._tags import tag_story

__all__ = ["BOLD", "ITALIC", "REGULAR", "Letterhead", "Styles", "build_pages", "styles", "window_fits"]

REGULAR, BOLD, ITALIC = "KlgLetter", "KlgLetter-Bold", "KlgLetter-Italic"
# Broader than the form's font: Latin, Greek and Cyrillic (scripts/subset_font.py --letters); reportlab
# embeds only the glyphs a letter uses.
_ASSETS = {REGULAR: "NotoSans-Letters-Regular.ttf", BOLD: "NotoSans-Letters-Bold.ttf",
           ITALIC: "NotoSans-Letters-Italic.ttf"}

# DIN 5008 form B: the window of DL and C5 envelopes.
_WINDOW_X, _WINDOW_TOP, _WINDOW_W, _WINDOW_H = 20 * mm, 45 * mm, 85 * mm, 45 * mm
_INFO_X = 125 * mm  # DIN 5008's information block, beside the window
_FOOTER_TOP = 48.0
_HEADER_RULE = PAGE_HEIGHT - 60


@cache
def register_fonts() -> None:
    """Register the three embedded faces with reportlab once, as one family (for <b> and <i>)."""
    for name, asset in _ASSETS.items():
        data = (resources.files("klageformular") / "assets" / asset).read_bytes()
        pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
    for bold, italic, face in ((0, 0, REGULAR), (1, 0, BOLD), (0, 1, ITALIC), (1, 1, BOLD)):
        addMapping(REGULAR, bold, italic, face)


@dataclass(frozen=True)
class Styles:
    """The letter's paragraph styles."""

    title: ParagraphStyle
    body: ParagraphStyle
    strong: ParagraphStyle
    heading: ParagraphStyle
    subheading: ParagraphStyle
    item: ParagraphStyle
    list_item: ParagraphStyle
    quote: ParagraphStyle
    code: ParagraphStyle


@cache
def styles() -> Styles:
    """The styles, sized like the form's information page, a little larger for reading."""
    register_fonts()
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9.3, leading=13, textColor=INK, spaceAfter=5)
    return Styles(
        title=ParagraphStyle("title", fontName=BOLD, fontSize=16, leading=20, textColor=ACCENT, spaceAfter=8),
        body=body,
        strong=ParagraphStyle("strong", parent=body, fontName=BOLD),
        heading=ParagraphStyle("heading", fontName=BOLD, fontSize=10.5, leading=14, textColor=ACCENT,
                               spaceBefore=7, spaceAfter=2, keepWithNext=True),
        subheading=ParagraphStyle("subheading", parent=body, fontName=BOLD, spaceBefore=4, spaceAfter=2,
                                  keepWithNext=True),
        item=ParagraphStyle("item", parent=body, leftIndent=10, spaceAfter=3),
        list_item=ParagraphStyle("list_item", parent=body, spaceAfter=2),
        quote=ParagraphStyle("quote", parent=body, fontName=ITALIC, textColor=MUTED, spaceBefore=2),
        code=ParagraphStyle("code", parent=body, fontSize=8.5, leading=11.5, backColor=BOX_FILL, borderPadding=3,
                            leftIndent=3, rightIndent=3, spaceBefore=2, spaceAfter=8),
    )


@dataclass(frozen=True)
class Letterhead:
    """What every page shows around the text."""

    org_name: str
    sender_lines: tuple[str, ...]  # right of the organisation's name: website, postal address
    title: str
    reference: str
    page_word: str  # "side", "page", "sida"
    meta: tuple[tuple[str, str], ...]  # (label, value): reference, received, date, contact
    address: tuple[str, ...] | None  # recipient's lines for the window envelope; None: electronic reply
    return_address: str  # the small sender line above the recipient in the window


# Paragraph styles that are headings; every other paragraph is a P.
_ROLES = {"title": "H1", "heading": "H2", "subheading": "H3"}


def build_pages(head: Letterhead, story: Sequence[Flowable], *, lang: str, title: str, author: str) -> Pages:
    """Lay ``story`` out on A4 pages under ``head``; returns reportlab's PDF (before PDF/A) and its structure."""
    register_fonts()
    tags = Tagger()
    # Reading order: the letterhead (drawn when each page starts), then the story.
    first_page_head = tags.root.add("Div")
    tag_story(story, tags, _ROLES)
    buf = io.BytesIO()
    first_top = PAGE_HEIGHT - (_WINDOW_TOP + _WINDOW_H + 5 * mm if head.address else 112)
    doc = BaseDocTemplate(buf, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1, lang=lang,
                          title=title, author=author, creator="klageformular", initialFontName=REGULAR,
                          initialFontSize=9.3, initialLeading=13, leftMargin=MARGIN, rightMargin=MARGIN,
                          topMargin=MARGIN, bottomMargin=_FOOTER_TOP)
    doc.addPageTemplates([
        PageTemplate("first", [Frame(MARGIN, _FOOTER_TOP, CONTENT_WIDTH, first_top - _FOOTER_TOP, 0, 0, 0, 0)],
                     onPage=lambda c, _d: _first_page(c, head, tags, first_page_head)),
        PageTemplate("later", [Frame(MARGIN, _FOOTER_TOP, CONTENT_WIDTH, PAGE_HEIGHT - 56 - _FOOTER_TOP, 0, 0, 0, 0)],
                     onPage=lambda c, _d: _later_page(c, head)),
    ])
    doc.build([NextPageTemplate("later"), *story], canvasmaker=_numbered(head, tags))
    return Pages(buf.getvalue(), tags.root)


def _numbered(head: Letterhead, tags: Tagger) -> Callable[..., Canvas]:
    """A canvas that holds pages back until the end, so each footer can say "page n/N"."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab is untyped
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []
            tags.canvas = self

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                _footer(self, head, self.getPageNumber(), total)
                super().showPage()
            super().save()

    return NumberedCanvas


def _first_page(c: Canvas, head: Letterhead, tags: Tagger, block: Elem) -> None:
    c.saveState()
    c.setFillColor(ACCENT)
    c.setFont(BOLD, 15)
    with tags.tagged("P", block):
        c.drawString(MARGIN, PAGE_HEIGHT - 50, head.org_name)
    c.setFont(REGULAR, 7.5)
    c.setFillColor(MUTED)
    # Two lines sit beside the name; a third (a postal address in the profile) moves them all up
    # rather than down through the rule. Each is kept clear of the organisation's name.
    top = PAGE_HEIGHT - 42 + 9.5 * max(0, len(head.sender_lines) - 2)
    sender = block.add("P")
    for n, line in enumerate(head.sender_lines):
        with tags.mark(sender):
            c.drawRightString(PAGE_WIDTH - MARGIN, top - 9.5 * n, _fit(line, REGULAR, 7.5, CONTENT_WIDTH * 0.6))
    c.setStrokeColor(ACCENT)
    c.setLineWidth(1.2)
    with artifact(c):
        c.line(MARGIN, _HEADER_RULE, PAGE_WIDTH - MARGIN, _HEADER_RULE)
    if head.address:
        _window(c, head, tags, block)
        _meta_column(c, head, _INFO_X, PAGE_HEIGHT - _WINDOW_TOP - 4 * mm, tags, block)
    else:
        _meta_row(c, head, PAGE_HEIGHT - 82, tags, block)
    c.restoreState()


def _window(c: Canvas, head: Letterhead, tags: Tagger, block: Elem) -> None:
    top = PAGE_HEIGHT - _WINDOW_TOP
    c.setFont(REGULAR, 6.5)
    c.setFillColor(MUTED)
    with tags.tagged("P", block):
        c.drawString(_WINDOW_X, top - 7 * mm, _fit(head.return_address, REGULAR, 6.5, _WINDOW_W))
    c.setStrokeColor(RULE)
    c.setLineWidth(0.4)
    with artifact(c):
        c.line(_WINDOW_X, top - 7 * mm - 2, _WINDOW_X + _WINDOW_W - 5 * mm, top - 7 * mm - 2)
    c.setFillColor(INK)
    y = top - 17.7 * mm - 10
    address = block.add("P")  # the address block: one paragraph, a line per marked run
    for line in head.address or ():
        # An address is never cut: a long line is set smaller; one that still does not fit was
        # refused before drawing (see window_fits).
        c.setFont(REGULAR, _window_size(line))
        with tags.mark(address):
            c.drawString(_WINDOW_X, y, line)
        y -= 12.5


def _meta_column(c: Canvas, head: Letterhead, x: float, top: float, tags: Tagger, block: Elem) -> None:
    width = PAGE_WIDTH - MARGIN - x
    for label, value in head.meta:
        pair = block.add("P")  # "Reference" and its value read as one line
        c.setFont(REGULAR, 7)
        c.setFillColor(MUTED)
        with tags.mark(pair):
            c.drawString(x, top, label)
        c.setFont(BOLD if label == head.meta[0][0] else REGULAR, 9)
        c.setFillColor(INK)
        with tags.mark(pair):
            c.drawString(x, top - 11, _fit(value, REGULAR, 9, width))
        top -= 25


def _meta_row(c: Canvas, head: Letterhead, top: float, tags: Tagger, block: Elem) -> None:
    width = CONTENT_WIDTH / max(len(head.meta), 1)
    c.setFillColor(BOX_FILL)
    with artifact(c):
        c.roundRect(MARGIN, top - 18, CONTENT_WIDTH, 32, 3, stroke=0, fill=1)
    for n, (label, value) in enumerate(head.meta):
        pair = block.add("P")
        x = MARGIN + 8 + n * width
        c.setFont(REGULAR, 7)
        c.setFillColor(MUTED)
        with tags.mark(pair):
            c.drawString(x, top + 3, label)
        c.setFont(BOLD if n == 0 else REGULAR, 9)
        c.setFillColor(INK)
        with tags.mark(pair):
            c.drawString(x, top - 9, _fit(value, REGULAR, 9, width - 12))


def _later_page(c: Canvas, head: Letterhead) -> None:
    c.saveState()
    c.setFont(REGULAR, 7.5)
    c.setFillColor(MUTED)
    with artifact(c, "Pagination"):
        c.drawString(MARGIN, PAGE_HEIGHT - 36, f"{head.title} – {head.org_name}")
        c.drawRightString(PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 36, head.reference)
    c.setStrokeColor(RULE)
    c.setLineWidth(0.6)
    with artifact(c):
        c.line(MARGIN, PAGE_HEIGHT - 41, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 41)
    c.restoreState()


def _footer(c: Canvas, head: Letterhead, page: int, pages: int) -> None:
    c.saveState()
    c.setFont(REGULAR, 7)
    c.setFillColor(MUTED)
    x, y = IDENTIFIER_BASELINE
    with artifact(c, "Pagination"):
        c.drawString(x, y, f"{head.reference} · {head.title} · {head.page_word} {page}/{pages}")
        c.drawRightString(PAGE_WIDTH - MARGIN, y, f"{head.org_name} · {head.sender_lines[0]}")
    c.restoreState()


_WINDOW_SIZES = (10.0, 9.0, 8.0, 7.0)


def _window_size(line: str) -> float:
    return next((s for s in _WINDOW_SIZES if pdfmetrics.stringWidth(line, REGULAR, s) <= _WINDOW_W), 0.0)


def window_fits(lines: Sequence[str]) -> bool:
    """True when every address line fits the envelope window (at 7 pt or more) and there are at most 6."""
    register_fonts()
    return len(lines) <= 6 and all(_window_size(line) for line in lines)


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text``, shortened with an ellipsis if it is wider than ``width`` (a very long name in a window)."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"
