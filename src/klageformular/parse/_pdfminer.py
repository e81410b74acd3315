"""pdfminer under our control: a page's characters and shapes, charged to the work budget.

pdfplumber opens the document and its pages; the page content is interpreted here, with
pdfminer's interpreter and a device of our own. The device records what the text path reads
— each character's text, font, size, box and text matrix, and the page's rectangles, lines
and curves — as plain tuples, instead of pdfminer's ``LTChar`` objects that pdfplumber then
turns into dictionaries (issue 19: that was three quarters of the text path's time). The
numbers are pdfminer's and pdfplumber's own, computed the same way, so a page reads exactly
as ``page.chars`` / ``page.rects`` read it. Each character also says whether its text is a
guess from a standard encoding where only a font program the file lacks knows the code
(:func:`_own_codes`).

Every content token, glyph, path, image and form XObject is charged to the active
:class:`~._budget.WorkBudget`. pdfplumber pins pdfminer.six to one exact version, so the hooks
below rely on internals that only change when pdfplumber is upgraded; ``tests/test_pdfminer.py``
(pdfplumber's own numbers, to the bit) and ``tests/test_budget.py`` would fail.

Loaded only when a text layer is read (the AcroForm path never needs pdfminer); :func:`quiet`,
which keeps pdfminer's loggers down, lives in ``klageformular._quiet`` for that reason and is
re-exported here.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, cast

from pdfminer import pdfinterp
from pdfminer.encodingdb import name2unicode
from pdfminer.layout import LTContainer, LTCurve, LTLine, LTRect
from pdfminer.pdffont import PDFFont, PDFSimpleFont, PDFType3Font, PDFUnicodeNotDefined
from pdfminer.pdfinterp import PDFContentParser, PDFPageInterpreter, PDFResourceManager
from pdfminer.pdftypes import dict_value, list_value, resolve1
from pdfminer.psparser import PSLiteral
from pdfminer.utils import Matrix
from pdfplumber.page import Page, PDFPageAggregatorWithMarkedContent, fix_fontname_bytes
from pdfplumber.utils.pdfinternals import resolve_all

from .._quiet import quiet
from ._budget import active_budget

__all__ = ["Char", "ContentReader", "PageContent", "Rect", "quiet"]

_pdfdevice_log = logging.getLogger("pdfminer.pdfdevice")  # where pdfminer's own loop logs


class Char(NamedTuple):
    """One glyph drawn, in page coordinates (as pdfplumber's ``page.chars`` gives it)."""

    text: str  # "(cid:N)" where the font maps the code to no Unicode
    fontname: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    matrix: Matrix  # the glyph's text rendering matrix (origin at [4], [5])
    font: PDFFont
    # The code's meaning lives only in a font program the file does not carry (see _own_codes):
    # ``text`` is pdfminer's guess from a standard encoding, and nobody can tell whether it is right.
    guessed: bool


class Rect(NamedTuple):
    """A rectangle drawn (``re`` or an equivalent closed path), as in pdfplumber's ``page.rects``."""

    x0: float
    y0: float
    x1: float
    y1: float
    width: float
    height: float
    fill: bool


class PageContent(NamedTuple):
    """What one page draws: its characters in content-stream order, and its shapes."""

    chars: list[Char]
    rects: list[Rect]
    # Every curve, line and rectangle (in that order, as pdfplumber lists them): x0, y0, x1, y1.
    shapes: list[tuple[float, float, float, float]]


class _CountingParser(PDFContentParser):
    """pdfminer's content-stream parser, charging one operator per token it yields."""

    def __init__(self, streams: Sequence[object]) -> None:
        super().__init__(streams)
        self._budget = active_budget()  # looked up once: a parser lives within one parse_pdf call

    def nextobject(self) -> Any:
        if self._budget is not None:
            self._budget.charge_operator()
        return super().nextobject()


# pdfminer's own ``execute`` (kept whole, with its loop protection), reading through the counting
# parser: the same code object with ``PDFContentParser`` bound to ours in its globals. This changes
# nothing for other users of pdfminer in the process, unlike replacing the module attribute.
_original_execute = PDFPageInterpreter.execute
_counting_execute = cast(Callable[..., None], types.FunctionType(
    _original_execute.__code__, {**vars(pdfinterp), "PDFContentParser": _CountingParser},
    _original_execute.__name__, _original_execute.__defaults__, _original_execute.__closure__))


class _Interpreter(PDFPageInterpreter):
    """Charges every token of every content stream, form XObjects included (``subinterp`` and
    ``dup`` create this class again)."""

    def execute(self, streams: Any) -> None:
        _counting_execute(self, streams)


_FONT_FILES = ("FontFile", "FontFile2", "FontFile3")
_SYMBOLIC = 4  # FontDescriptor /Flags bit 3: the font's own glyph set and built-in encoding
_STANDARD_SYMBOLIC = ("Symbol", "ZapfDingbats")  # standard fonts a file may name without a descriptor


def _agl(name: object) -> bool:
    """True when the glyph name gives a Unicode character by the Adobe Glyph List (as pdfminer reads it)."""
    try:
        return isinstance(name, str) and bool(name2unicode(name))
    except Exception:  # KeyError, ValueError; anything else is no name either
        return False


def _own_codes(font: PDFFont, spec: Mapping[str, Any]) -> Callable[[int], bool] | None:
    """Which codes of a font have no knowable Unicode: the font's encoding is its own and not in the file.

    A simple font that is not embedded and has no ToUnicode map gives Unicode only through
    glyph names. Where /Differences names a glyph outside the Adobe Glyph List (``/g36``, as a
    subsetting tool names them), pdfminer silently keeps the base encoding's letter; a symbolic
    font (Wingdings, Symbol, ZapfDingbats …) encodes by its own built-in table, which only the
    missing font program holds — pdfminer reads its codes as Latin letters. Codes a /Differences
    entry names by the Glyph List read correctly and are not counted. None: every code is known.
    """
    if not isinstance(font, PDFSimpleFont) or isinstance(font, PDFType3Font) or "ToUnicode" in spec:
        return None
    descriptor = dict_value(spec.get("FontDescriptor", {}))
    if any(key in descriptor for key in _FONT_FILES):
        return None
    flags = resolve1(descriptor.get("Flags", 0))
    symbolic = (isinstance(flags, int) and bool(flags & _SYMBOLIC)) or getattr(font, "basefont", "") in \
        _STANDARD_SYMBOLIC
    named: dict[int, bool] = {}  # code -> named by the Glyph List
    encoding = resolve1(spec.get("Encoding"))
    if isinstance(encoding, dict):
        code = 0
        for item in list_value(encoding.get("Differences", [])):  # as pdfminer's EncodingDB reads it
            if isinstance(item, int):
                code = item
            elif isinstance(item, PSLiteral):
                named[code] = _agl(item.name)
                code += 1
    if symbolic:
        return lambda cid: not named.get(cid, False)
    unknown = {code for code, known in named.items() if not known}
    return unknown.__contains__ if unknown else None


class _Font:
    """What the device needs of one font, looked up once: per code its text, width and displacement."""

    __slots__ = ("descent", "font", "glyphs", "own_codes", "vertical")

    def __init__(self, font: PDFFont, spec: Mapping[str, Any]) -> None:
        self.font = font
        self.vertical = font.is_vertical()
        self.descent = font.get_descent()
        self.glyphs: dict[int, tuple[str, float, Any, bool]] = {}  # text, width, displacement, guessed
        try:
            self.own_codes = _own_codes(font, spec)
        except Exception:  # a font dictionary pdfminer could read but we cannot: trust pdfminer's text
            self.own_codes = None


class _Device(PDFPageAggregatorWithMarkedContent):
    """pdfplumber's device (shapes, images, figures and marked content as pdfplumber has them),
    recording characters as :class:`Char` tuples and charging every glyph, path, image and form."""

    def __init__(self, rsrcmgr: PDFResourceManager, pageno: int, fonts: dict[PDFFont, _Font]) -> None:
        super().__init__(rsrcmgr, pageno=pageno, laparams=None)
        self.budget = active_budget()  # a device lives within one parse_pdf call
        self.fonts = fonts
        # (text, font, x0, y0, x1, y1, size, matrix, guessed): the font's name is resolved afterwards.
        self.chars: list[tuple[str, PDFFont, float, float, float, float, float, Matrix, bool]] = []

    def render_char(self, matrix: Matrix, font: PDFFont, fontsize: float, scaling: float, rise: float,
                    cid: int, ncs: Any, graphicstate: Any) -> float:
        # pdfminer's PDFLayoutAnalyzer.render_char and LTChar.__init__, the same arithmetic in the
        # same order (so the same floats), without building an LTChar. Vertical text only: horizontal
        # strings take render_string_horizontal below.
        if self.budget is not None:
            self.budget.charge_glyph()
        info = self._font(font)
        text, textwidth, textdisp, guessed = info.glyphs.get(cid) or self._glyph(info, cid)
        adv: float = textwidth * fontsize * scaling
        bx0: float
        if info.vertical:
            assert isinstance(textdisp, tuple)
            (vx, vy) = textdisp
            vx = fontsize * 0.5 if vx is None else vx * fontsize * 0.001
            vy = (1000 - vy) * fontsize * 0.001
            bx0, by0, bx1, by1 = (-vx, vy + rise + adv, -vx + fontsize, vy + rise)
        else:
            descent = info.descent * fontsize
            bx0, by0, bx1, by1 = (0, descent + rise, adv, descent + rise + fontsize)
        # pdfminer.utils.apply_matrix_rect, inlined.
        (a, b, c, d, e, f) = matrix
        left1, bottom1 = a * bx0 + c * by0 + e, b * bx0 + d * by0 + f
        right1, bottom2 = a * bx1 + c * by0 + e, b * bx1 + d * by0 + f
        right2, top1 = a * bx1 + c * by1 + e, b * bx1 + d * by1 + f
        left2, top2 = a * bx0 + c * by1 + e, b * bx0 + d * by1 + f
        x0, y0 = min(left1, left2, right1, right2), min(bottom1, bottom2, top1, top2)
        x1, y1 = max(left1, left2, right1, right2), max(bottom1, bottom2, top1, top2)
        if x1 < x0:
            (x0, x1) = (x1, x0)
        if y1 < y0:
            (y0, y1) = (y1, y0)
        self.chars.append((text, font, x0, y0, x1, y1, x1 - x0 if info.vertical else y1 - y0, matrix, guessed))
        return adv

    def render_string_horizontal(self, seq: Any, matrix: Matrix, pos: Any, font: PDFFont, fontsize: float,
                                 scaling: float, charspace: float, wordspace: float, rise: float, dxscale: float,
                                 ncs: Any, graphicstate: Any) -> Any:
        # pdfminer's PDFTextDevice.render_string_horizontal with render_char (above) and
        # pdfminer.utils.translate_matrix inlined: the same arithmetic in the same order, once per
        # glyph, for the most common case by far.
        (x, y) = pos
        needcharspace = False
        budget, chars = self.budget, self.chars
        info = self._font(font)
        glyphs = info.glyphs
        (a, b, c, d, e, f) = matrix
        descent = info.descent * fontsize
        by0, by1 = descent + rise, descent + rise + fontsize
        for obj in seq:
            if isinstance(obj, (int, float)):
                x -= obj * dxscale
                needcharspace = True
            elif isinstance(obj, bytes):
                for cid in font.decode(obj):
                    if needcharspace:
                        x += charspace
                    if budget is not None:
                        budget.charge_glyph()
                    text, textwidth, _, guessed = glyphs.get(cid) or self._glyph(info, cid)
                    m = (a, b, c, d, x * a + y * c + e, x * b + y * d + f)
                    te, tf = m[4], m[5]
                    adv = textwidth * fontsize * scaling
                    left1, bottom1 = a * 0 + c * by0 + te, b * 0 + d * by0 + tf
                    right1, bottom2 = a * adv + c * by0 + te, b * adv + d * by0 + tf
                    right2, top1 = a * adv + c * by1 + te, b * adv + d * by1 + tf
                    left2, top2 = a * 0 + c * by1 + te, b * 0 + d * by1 + tf
                    x0, y0 = min(left1, left2, right1, right2), min(bottom1, bottom2, top1, top2)
                    x1, y1 = max(left1, left2, right1, right2), max(bottom1, bottom2, top1, top2)
                    chars.append((text, font, x0, y0, x1, y1, y1 - y0, m, guessed))
                    x += adv
                    if cid == 32 and wordspace:
                        x += wordspace
                    needcharspace = True
            else:
                _pdfdevice_log.warning("Cannot render horizontal string because %r is not a valid int, float or "
                                       "bytes.", obj)
        return (x, y)

    def _font(self, font: PDFFont) -> _Font:
        info = self.fonts.get(font)
        if info is None:
            specs: dict[PDFFont, Mapping[str, Any]] = getattr(self.rsrcmgr, "specs", {})
            info = self.fonts[font] = _Font(font, specs.get(font, {}))
        return info

    def _glyph(self, info: _Font, cid: int) -> tuple[str, float, Any, bool]:
        """A code's text, width and displacement, as pdfminer's render_char finds them (looked up once),
        and whether its text is a guess (:func:`_own_codes`)."""
        font = info.font
        try:
            text = font.to_unichr(cid)
            assert isinstance(text, str), str(type(text))
        except PDFUnicodeNotDefined:
            text = self.handle_undefined_char(font, cid)
        guessed = info.own_codes is not None and info.own_codes(cid)
        glyph = info.glyphs[cid] = (text, font.char_width(cid), font.char_disp(cid), guessed)
        return glyph

    def paint_path(self, *args: Any, **kwargs: Any) -> None:
        self._charge()
        super().paint_path(*args, **kwargs)

    def render_image(self, *args: Any, **kwargs: Any) -> None:
        self._charge()
        super().render_image(*args, **kwargs)

    def begin_figure(self, *args: Any, **kwargs: Any) -> None:
        self._charge()
        super().begin_figure(*args, **kwargs)

    @staticmethod
    def _charge() -> None:
        budget = active_budget()
        if budget is not None:
            budget.charge_object()


class _ResourceManager(PDFResourceManager):
    """pdfminer's resource manager, remembering each font's own dictionary (for what pdfminer's
    font object does not keep: whether the font program is embedded, its /Encoding as written)."""

    def __init__(self) -> None:
        super().__init__()
        self.specs: dict[PDFFont, Mapping[str, Any]] = {}

    def get_font(self, objid: object, spec: Mapping[str, object]) -> PDFFont:
        font = super().get_font(objid, spec)
        self.specs.setdefault(font, spec)  # a Type0 font: its descendant's (it holds the descriptor)
        return font


class ContentReader:
    """Reads the pages of one document (fonts are parsed once per document, as pdfplumber does)."""

    def __init__(self) -> None:
        self.rsrcmgr = _ResourceManager()
        self._fonts: dict[PDFFont, _Font] = {}
        self._names: dict[PDFFont, str] = {}

    def read(self, page: Page) -> PageContent:
        """Interpret ``page``'s content under the active budget."""
        budget = active_budget()
        if budget is not None:
            budget.next_page()
        device = _Device(self.rsrcmgr, page.page_number, self._fonts)
        _Interpreter(self.rsrcmgr, device).process_page(page.page_obj)
        # pdfminer gives coordinates relative to the MediaBox; pdfplumber moves x back (not y, #1181).
        dx = page.mediabox[0]
        names = {font: self._name(font) for font in dict.fromkeys(char[1] for char in device.chars)}  # in order
        make = Char._make
        chars = [make((text, names[font], x0 + dx, y0, x1 + dx, y1, size, matrix, font, guessed)) if dx
                 else make((text, names[font], x0, y0, x1, y1, size, matrix, font, guessed))
                 for text, font, x0, y0, x1, y1, size, matrix, guessed in device.chars]
        curves: list[tuple[float, float, float, float]] = []
        lines: list[tuple[float, float, float, float]] = []
        rects: list[Rect] = []
        pending: list[Any] = list(reversed(device.get_result()._objs))
        while pending:  # depth first, in drawing order, as pdfplumber walks the layout
            obj = pending.pop()
            if isinstance(obj, LTContainer):
                pending.extend(reversed(obj._objs))
                continue
            if not isinstance(obj, LTCurve):
                continue
            x0, x1 = (obj.x0 + dx, obj.x1 + dx) if dx else (obj.x0, obj.x1)
            if type(obj) is LTRect:
                rects.append(Rect(x0, obj.y0, x1, obj.y1, obj.width, obj.height, obj.fill))
            (lines if type(obj) is LTLine else curves if type(obj) is LTCurve else []).append((x0, obj.y0, x1, obj.y1))
        return PageContent(chars, rects, [*curves, *lines, *(r[:4] for r in rects)])

    def _name(self, font: PDFFont) -> str:
        name = self._names.get(font)
        if name is None:
            # As pdfplumber resolves and repairs it (a name can be bytes, or anything at all).
            value = resolve_all(font.fontname)
            name = self._names[font] = fix_fontname_bytes(value) if isinstance(value, bytes) else str(value)
        return name
