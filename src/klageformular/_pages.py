"""The static page content drawn with reportlab: title, labels, boxes, information page, marks.

Everything drawn is either tagged content (:class:`~._tagging.Tagger`: headings, paragraphs,
lists, and a ``Form`` placeholder per widget, in reading order) or an artifact (boxes, rules,
registration marks, running heads and the page line), so the form is a tagged PDF.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.fonts import addMapping
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, Paragraph

from ._pagecode import CODE_RECT, draw_page_code
from ._tagging import Elem, Tagger, artifact, marked
from .layout import (
    CONTENT_WIDTH,
    FORM_ID,
    FORM_VERSION,
    IDENTIFIER_BASELINE,
    LAYOUT,
    MARGIN,
    MARK_SIZE,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    REGISTRATION_MARKS,
    Block,
    FieldSpec,
    Kind,
)
from .locales import Texts

__all__ = ["Pages", "draw_pages", "identifier", "widget_key"]

INK = HexColor("#1b2733")
ACCENT = HexColor("#1f4e79")
MUTED = HexColor("#4a5866")
BOX_FILL = HexColor("#f2f5f9")
BOX_LINE = HexColor("#8796a8")
RULE = HexColor("#c5cfdb")
# The printed text is Noto Sans (SIL OFL 1.1), the letters' faces, embedded by reportlab as subsets of
# the glyphs a form uses: PDF/UA-1 (7.21.4.1) wants every font embedded, which the standard 14
# Helvetica never is. The canvas starts in it too, so no standard font is ever referenced.
REGULAR, BOLD = "KlgForm", "KlgForm-Bold"
_ASSETS = {REGULAR: "NotoSans-Letters-Regular.ttf", BOLD: "NotoSans-Letters-Bold.ttf"}
LABEL_SIZE = 7.5


@cache
def register_fonts() -> None:
    """Register the two faces with reportlab once, as one family (the information page's <b>)."""
    for name, asset in _ASSETS.items():
        data = (resources.files("klageformular") / "assets" / asset).read_bytes()
        pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
    for bold, italic, face in ((0, 0, REGULAR), (1, 0, BOLD), (0, 1, REGULAR), (1, 1, BOLD)):
        addMapping(REGULAR, bold, italic, face)


def widget_key(spec: FieldSpec, export: str | None = None) -> str:
    """The key of one widget in the structure record: the field's name, and a radio option's export value."""
    return f"{spec.name}/{export}" if export else spec.name


def identifier(texts: Texts, page: int, pages: int) -> str:
    """The line printed at the foot of every page, which the flattened-copy parser looks for."""
    return f"{FORM_ID} {FORM_VERSION} {texts.lang} · {texts.text('page')} {page}/{pages}"


class _Painter:
    def __init__(self, canvas: Canvas, texts: Texts):
        self.c, self.texts, self.org = canvas, texts, texts.org
        self.t = texts.text
        self.tags = Tagger(canvas)

    def furniture(self, page: int) -> None:
        """Registration marks, the form identifier and the page code: how a printed copy is found again.

        All of it is page furniture, so a reader skips it: anything drawn here goes inside
        ``artifact(c)`` (decoration) or ``artifact(c, "Pagination")`` (page codes, running text).
        """
        c = self.c
        c.setFillColor(INK)
        with artifact(c):
            for x, y in REGISTRATION_MARKS:
                c.rect(x - MARK_SIZE / 2, y - MARK_SIZE / 2, MARK_SIZE, MARK_SIZE, stroke=0, fill=1)
        c.setFont(REGULAR, 7)
        c.setFillColor(MUTED)
        with artifact(c, "Pagination"):
            c.drawString(*IDENTIFIER_BASELINE, identifier(self.texts, page, LAYOUT.page_count))
            c.drawRightString(PAGE_WIDTH - MARGIN, IDENTIFIER_BASELINE[1], f"{self.org.name} · {self.org.website}")
        with artifact(c, "Pagination"):  # for machines reading a scan, not for a listener
            draw_page_code(c, self.texts.lang, self.org.key, page)

    def header(self, page: int) -> None:
        c, tags = self.c, self.tags
        if page == 1:
            c.setFillColor(ACCENT)
            c.setFont(BOLD, 20)
            with tags.tagged("H1"):
                c.drawString(MARGIN, PAGE_HEIGHT - 58, self.t("title"))
            c.setFont(BOLD, 13)
            with tags.tagged("P"):
                c.drawRightString(PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 58, self.org.name)
            c.setFont(REGULAR, 8.5)
            c.setFillColor(MUTED)
            with tags.tagged("P"):
                c.drawString(MARGIN, PAGE_HEIGHT - 73, self.t("subtitle"))
            c.setStrokeColor(ACCENT)
            c.setLineWidth(1.2)
            with artifact(c):
                c.line(MARGIN, PAGE_HEIGHT - 81, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 81)
        else:
            c.setFont(REGULAR, 7.5)
            c.setFillColor(MUTED)
            with artifact(c, "Pagination"):
                c.drawString(MARGIN, PAGE_HEIGHT - 36, f"{self.t('title')} – {self.org.name}")
            c.setStrokeColor(RULE)
            c.setLineWidth(0.6)
            with artifact(c):
                c.line(MARGIN, PAGE_HEIGHT - 41, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 41)

    def block(self, block: Block) -> None:
        c, r, tags = self.c, block.rect, self.tags
        if block.kind == "heading":
            c.setFillColor(ACCENT)
            c.setFont(BOLD, 11)
            with tags.tagged("H2"):
                c.drawString(r.x0, r.y0 + 6, self.t(block.key))
            c.setStrokeColor(RULE)
            c.setLineWidth(0.6)
            with artifact(c):
                c.line(r.x0, r.y0 + 2, r.x1, r.y0 + 2)
        elif block.kind == "subheading":
            c.setFillColor(ACCENT)
            c.setFont(BOLD, 8.5)
            with tags.tagged("H3"):
                c.drawString(r.x0, r.y0 + 4, self.t(block.key))
        elif block.kind == "note":
            style = ParagraphStyle("note", fontName=REGULAR, fontSize=8, leading=10.2, textColor=INK)
            if block.key == "intro":
                c.setFillColor(BOX_FILL)
                with artifact(c):
                    c.roundRect(r.x0, r.y0, r.width, r.height, 3, stroke=0, fill=1)
                frame = Frame(r.x0 + 6, r.y0, r.width - 12, r.height, 0, 2, 0, 0)
            else:
                style.textColor = MUTED
                frame = Frame(r.x0, r.y0, r.width, r.height, 0, 0, 0, 0)
            frame.addFromList([marked(escape(self.t(block.key)), style, tags, tags.root.add("P"))], c)
        elif block.kind == "signature":
            c.setStrokeColor(INK)
            c.setLineWidth(0.6)
            with artifact(c):
                c.line(r.x0, r.y0 + 10, r.x1, r.y0 + 10)
            c.setFont(REGULAR, LABEL_SIZE)
            c.setFillColor(MUTED)
            with tags.tagged("P"):
                c.drawString(r.x0, r.y0 + 1, self.t(block.key))

    def field(self, spec: FieldSpec) -> None:
        c, r, tags = self.c, spec.rect, self.tags
        text = self.texts.label(spec.path)
        if spec.required and not text.endswith("*"):
            text += " *"
        c.setFillColor(INK)
        # Reading order: the printed label, then the widget it names (a listener hears the
        # widget's /TU, the same words); the boxes under the widgets are decoration.
        if spec.kind is Kind.CHECKBOX:
            with artifact(c):
                self._square(spec.rect.x0, spec.rect.y0, spec.rect.width)
            c.setFont(REGULAR, 8.5)
            c.setFillColor(INK)
            with tags.tagged("P"):
                c.drawString(r.x1 + 6, r.y0 + 2.2, text)
            tags.widget(widget_key(spec))
            return
        if spec.kind is Kind.RADIO:
            c.setFont(BOLD, 8.5)
            with tags.tagged("P"):
                c.drawString(MARGIN, r.y0 + 2.2, text)
            for option in spec.options:
                o = option.rect
                c.setStrokeColor(BOX_LINE)
                c.setFillColor(HexColor("#ffffff"))
                c.setLineWidth(0.8)
                with artifact(c):
                    c.circle((o.x0 + o.x1) / 2, (o.y0 + o.y1) / 2, o.width / 2, stroke=1, fill=1)
                c.setFont(REGULAR, 8.5)
                c.setFillColor(INK)
                with tags.tagged("P"):
                    c.drawString(o.x1 + 5, o.y0 + 2.2, self.texts.option(spec.path, option.value))
                tags.widget(widget_key(spec, option.export))
            return
        c.setFont(REGULAR, LABEL_SIZE)
        with tags.tagged("P"):
            c.drawString(r.x0, r.y1 + 3, _fit(text, REGULAR, LABEL_SIZE, r.width))
        c.setFillColor(BOX_FILL)
        c.setStrokeColor(BOX_LINE)
        c.setLineWidth(0.6)
        with artifact(c):
            c.rect(r.x0, r.y0, r.width, r.height, stroke=1, fill=1)
        tags.widget(widget_key(spec))

    def _square(self, x: float, y: float, size: float) -> None:
        self.c.setStrokeColor(BOX_LINE)
        self.c.setFillColor(HexColor("#ffffff"))
        self.c.setLineWidth(0.8)
        self.c.rect(x, y, size, size, stroke=1, fill=1)

    def info_page(self) -> None:
        c, org, tags = self.c, self.org, self.tags
        c.setFillColor(ACCENT)
        c.setFont(BOLD, 16)
        with tags.tagged("H2"):
            c.drawString(MARGIN, PAGE_HEIGHT - 72, self.t("info.title"))
        h = ParagraphStyle("h", fontName=BOLD, fontSize=10, leading=13, textColor=ACCENT, spaceBefore=9,
                           spaceAfter=2, keepWithNext=True)
        body = ParagraphStyle("b", fontName=REGULAR, fontSize=8.8, leading=12, textColor=INK)
        item = ParagraphStyle("i", parent=body, leftIndent=10, spaceBefore=4)
        story: list[Paragraph] = []

        def para(text: str, style: ParagraphStyle, role: str, parent: Elem | None = None) -> None:
            story.append(marked(text, style, tags, (parent or tags.root).add(role)))

        def section(key: str, *extra: str) -> None:
            para(escape(self.t(f"{key}.h")), h, "H3")
            para(" ".join(escape(s) for s in (self.t(key), *extra) if s), body, "P")

        section("info.free")
        section("info.how")
        section("info.ack", self.t("info.ack.timeframe") if org.decision_working_days else "")
        section("info.process")
        section("info.decision")
        for key, bodies in (("info.escalation", org.escalation), ("info.authorities", org.authorities)):
            section(key)
            items = tags.root.add("L") if bodies else None
            for b in bodies:
                lines = " · ".join(escape(x) for x in b.contact_lines(self.t("phone_abbr")))
                remit = escape(b.remit.get(self.texts.lang) or b.remit.get("en", ""))
                assert items is not None
                para(f"<b>{escape(b.name)}</b> – {remit}<br/>{lines}", item, "LBody", items.add("LI"))
        section("info.contact")
        # The text ends above the page code, so a long profile can never print over it.
        bottom = CODE_RECT.y1 + 6
        frame = Frame(MARGIN, bottom, CONTENT_WIDTH, PAGE_HEIGHT - bottom - 84, 0, 0, 0, 0)
        frame.addFromList(story, c)
        if story:  # the frame could not hold everything: a layout bug, never silently drop text
            raise RuntimeError("the information page overflows; shorten the texts or the profile")


def _fit(text: str, font: str, size: float, width: float) -> str:
    # A label wider than its box would run into the next one: a translation or layout bug.
    if stringWidth(text, font, size) > width + 0.5:
        raise RuntimeError(f"label {text!r} is wider than its field ({width:.0f} pt)")
    return text


@dataclass(frozen=True)
class Pages:
    """The drawn pages (a PDF without fields) and the structure of what is on them."""

    data: bytes
    structure: Elem


def draw_pages(texts: Texts, epoch: int) -> Pages:
    """All pages' static content as a PDF (no fields yet), with its structure record."""
    register_fonts()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True, pageCompression=1, lang=texts.lang,
               initialFontName=REGULAR)
    c.setTitle(texts.text("title"))
    painter = _Painter(c, texts)
    for page in range(1, LAYOUT.page_count + 1):
        painter.header(page)
        # Drawn in reading order, top to bottom and left to right within a row (blocks and fields
        # never overlap, so the order changes nothing on the page, only in the structure tree).
        items: list[tuple[float, int, Block | FieldSpec]] = [
            (-b.rect.y1, 0, b) for b in LAYOUT.blocks if b.page == page]
        items += [(-f.rect.y1, 1 + n, f) for n, f in enumerate(LAYOUT.fields_on(page))]
        for _, _, item in sorted(items, key=lambda i: i[:2]):
            if isinstance(item, Block):
                painter.block(item)
            else:
                painter.field(item)
        if page == LAYOUT.info_page:
            painter.info_page()
        painter.furniture(page)
        c.showPage()
    c.save()
    return Pages(buf.getvalue(), painter.tags.root)

