"""Read a flattened or printed-to-PDF copy from its text layer (no OCR): locate, map back, read.

Each page is located by its footer identifier (``KLAGEFORMULAR 1.0 da · side 1/3``) and the
four corner registration marks. From them we fit a similarity transform — uniform scale,
offset, and a rotation by a multiple of 90° — from layout to page coordinates, map every
character of the page back into layout space, and read each field's rectangle there. So a
copy printed "fit to page" on US Letter, or a page rotated in its content, reads like the
original.

Limits, by construction of a text layer:

- Line breaks: a break is taken as typed (``\\n``) when the next line's first word would
  have fitted at the end of the line, else as a soft wrap (a space). Text the customer
  wrapped by hand just before the box edge therefore reads as one paragraph.
- Several spaces in a row survive only where the tool drew them as characters.
- Text that overflowed a box was clipped on paper. We warn (``overflow``) when characters of
  a field's font lie outside every box, or the font shrank to the 4 pt minimum; the clipped
  part is not guessed.
- Check marks: any glyph inside a box means "checked"; a vector mark inside it (other tools
  draw ✓ as paths) also counts, with an ``uncertain_choice`` warning.
- Glyphs without a usable Unicode mapping are not guessed: ``(cid:N)``, U+FFFD/U+FFFF, private
  use and control characters, and codes whose meaning only a font program the file does not
  carry knows (a non-embedded font without ToUnicode that is symbolic, or whose /Differences
  names a glyph outside the Adobe Glyph List: ``_pdfminer._own_codes``). A font where such
  glyphs are common on the page is untrusted as a whole; its characters in a field read as
  U+FFFD, and the field gets an ``unreadable_text`` warning with the count. So do letters a
  filling tool could not encode and drew as "?" inside a word.
  When *every* filled value is unreadable the copy is rejected with
  :class:`~klageformular.UnreadableTextError`, naming the tool the copy says made it.
"""

from __future__ import annotations

import bisect
import io
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from ..exceptions import (
    NotAKlageformularError,
    NoTextLayerError,
    PdfReadError,
    UnreadableTextError,
)
from ..layout import FORM_ID, IDENTIFIER_BASELINE, LAYOUT, MARK_SIZE, REGISTRATION_MARKS, FieldSpec, Kind, Rect
from ..values import FieldValue
from ._budget import active_budget
from ._warning import ParseWarning

if TYPE_CHECKING:  # pdfminer loads for a text layer only (issue 19: cold start)
    from ._pdfminer import Char, PageContent

__all__ = ["TextLayer", "read_text_layer"]

# Tools may drop the space glyphs (ghostscript turns them into positioning), so spaces are optional;
# and they may re-map punctuation (MuPDF's printer turns the "·" into "´"), so any one non-word
# character, or none, may separate the language from the page word.
_IDENTIFIER = re.compile(rf"{FORM_ID}\s*(\d+\.\d+)\s*([a-z]{{2}})\s*(?:[^\w\s]\s*)?[^\W\d_]+\s*(\d+)\s*/\s*(\d+)")
_UNREADABLE = "\ufffd"
# A "?" inside a word or standing alone: what pikepdf/qpdf and others draw for a letter they
# cannot encode. A question mark ends a word and is followed by a space, a quote or the end.
_REPLACED = re.compile(r"\?(?=\w)|(?<![\w)\]\"”’'])\?")
_LIGATURES = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0xFB00, 0xFB07)}
_UNTRUSTED = 0.1  # share of unmapped glyphs from which a whole font's text is not trusted
_FULL_SIZE = 10.95  # pikepdf draws 11 pt, MuPDF 12 pt; auto-sizing tools fill a box smaller
_MIN_FONT = 4.05  # our appearance generator's (and pypdf's) smallest size, plus rounding
_INSIDE = 0.6  # how far (in font sizes) a glyph centre may sit outside its box edge
_MAX_SLACK = 3.0  # ... and at most this many points


@dataclass
class TextLayer:
    """What the text layer gave: values by layout path, plus what we could tell about the copy."""

    values: dict[str, FieldValue]
    warnings: list[ParseWarning]
    language: str | None
    version: str | None
    page_count: int
    extra_pages: int = 0


class _Glyph(NamedTuple):
    """A character in layout coordinates (points on the A4 original), with its centre."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    font: str
    cx: float
    cy: float


@dataclass(frozen=True)
class _Transform:
    """page = scale * rotate(layout) + offset; rotation in quarter turns, counter-clockwise."""

    scale: float
    turns: int
    dx: float
    dy: float

    def _rot(self, x: float, y: float) -> tuple[float, float]:
        for _ in range(self.turns % 4):
            x, y = -y, x
        return x, y

    def to_page(self, x: float, y: float) -> tuple[float, float]:
        rx, ry = self._rot(x, y)
        return self.scale * rx + self.dx, self.scale * ry + self.dy

    def to_layout(self, x: float, y: float) -> tuple[float, float]:
        x, y = (x - self.dx) / self.scale, (y - self.dy) / self.scale
        for _ in range(self.turns % 4):
            x, y = y, -x
        return x, y

    def box_to_layout(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        ax, ay = self.to_layout(x0, y0)
        bx, by = self.to_layout(x1, y1)
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


@dataclass
class _Page:
    number: int  # 1-based number on the form
    transform: _Transform
    glyphs: list[_Glyph]
    marks: list[tuple[float, float, float, float]] = field(default_factory=list)  # vector shapes, layout space
    # Glyph indices sorted by vertical centre, for looking up a box's glyphs by a bisect instead
    # of testing every glyph of the page for every field (issue 19). NaN centres are left out:
    # they sort nowhere, and _inside never takes them.
    _by_cy: list[tuple[float, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_cy = sorted((g.cy, i) for i, g in enumerate(self.glyphs) if not math.isnan(g.cy))

    def near(self, r: Rect) -> list[int]:
        """Indices, in content-stream order, of glyphs whose centre may be inside ``r`` (see _inside).

        A superset of the glyphs _inside takes: its slack is at most _MAX_SLACK points.
        """
        lo = bisect.bisect_left(self._by_cy, (r.y0 - _MAX_SLACK, -1))
        hi = bisect.bisect_right(self._by_cy, (r.y1 + _MAX_SLACK, len(self.glyphs)))
        return sorted(i for _, i in self._by_cy[lo:hi])


def _identifier(page: PageContent) -> tuple[re.Match[str], Char] | None:
    """The footer identifier and its first character, if the page has one.

    Searched in content-stream order, not in reading order: the identifier is drawn in one
    go, and stream order does not care how the page is rotated or scaled.
    """
    chars = page.chars
    # A glyph can stand for several characters ("(cid:12)", ligatures): map text offsets to glyphs.
    owner: list[int] = []
    for i, c in enumerate(chars):
        owner += [i] * len(c.text)
    match = _IDENTIFIER.search("".join(c.text for c in chars))
    return (match, chars[owner[match.start()]]) if match else None


def _mark_centres(page: PageContent) -> list[tuple[float, float]]:
    """Centres (PDF coordinates, origin bottom-left) of small filled squares near the corners."""
    centres = []
    for r in page.rects:
        w, h = r.width, r.height
        if r.fill and 0.3 * MARK_SIZE < w < 3 * MARK_SIZE and abs(w - h) < 0.15 * w:
            centres.append(((r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2))
    return centres


def _fit(page: PageContent, origin: tuple[float, float], char: Char) -> _Transform:
    """The layout→page transform from the marks, or from the identifier alone."""
    ex, ey = IDENTIFIER_BASELINE
    found_x, found_y = float(char.matrix[4]), float(char.matrix[5])
    centres = _mark_centres(page)
    best: tuple[float, _Transform] | None = None
    if len(centres) >= 3:
        fx = [c[0] for c in centres]
        fy = [c[1] for c in centres]
        for turns in range(4):
            probe = _Transform(1.0, turns, 0.0, 0.0)
            pts = [probe.to_page(x, y) for x, y in REGISTRATION_MARKS]
            lw = max(p[0] for p in pts) - min(p[0] for p in pts)
            lh = max(p[1] for p in pts) - min(p[1] for p in pts)
            sx, sy = (max(fx) - min(fx)) / lw, (max(fy) - min(fy)) / lh
            if abs(sx - sy) > 0.03 * sx:
                continue
            scale = (sx + sy) / 2
            dx = min(fx) - scale * min(p[0] for p in pts)
            dy = min(fy) - scale * min(p[1] for p in pts)
            candidate = _Transform(scale, turns, dx, dy)
            px, py = candidate.to_page(ex, ey)
            error = math.hypot(px - found_x, py - found_y)
            if best is None or error < best[0]:
                best = (error, candidate)
    if best is not None and best[0] < 3 * MARK_SIZE * best[1].scale:
        return best[1]
    # No usable marks: scale from the identifier's length, direction from its text matrix.
    a, b = float(char.matrix[0]), float(char.matrix[1])
    turns = round(math.atan2(b, a) / (math.pi / 2)) % 4
    size = float(char.size)
    scale = size / 7.0 if size else 1.0  # the identifier is set in 7 pt
    probe = _Transform(scale, turns, 0.0, 0.0)
    px, py = probe.to_page(ex, ey)
    return _Transform(scale, turns, found_x - px, found_y - py)


def _unmapped(text: str) -> bool:
    """A glyph whose text says "no Unicode for me": pdfminer's (cid:N), replacement, private use, controls."""
    if text.startswith("(cid:") or not text:
        return True
    return any(c in "\ufffd\uffff" or "\ue000" <= c <= "\uf8ff" or (c < " " and c not in "\t\n\r") for c in text)


def _glyphs(page: PageContent, t: _Transform) -> list[_Glyph]:
    chars = page.chars
    # A font whose glyphs often lack a Unicode map is untrusted as a whole: such a font usually
    # maps the other codes to *wrong* letters (glyph ids read as codes: "Łukasz" reads
    # "(cid:0)VLBT["). One odd glyph in a font with a proper map is only that glyph.
    total: dict[str, int] = {}
    unmapped: dict[str, int] = {}
    no_map: dict[str, bool] = {}  # _unmapped by text: a page has few distinct characters
    for c in chars:
        font, text = c.fontname, c.text
        bad = no_map.get(text)
        if bad is None:
            bad = no_map[text] = _unmapped(text)
        total[font] = total.get(font, 0) + 1
        unmapped[font] = unmapped.get(font, 0) + (bad or c.guessed)
    untrusted = {f for f, n in unmapped.items() if n and n >= _UNTRUSTED * total[f]}
    out = []
    box_to_layout, scale, dx, dy = t.box_to_layout, t.scale, t.dx, t.dy
    upright = t.turns % 4 == 0  # the common case: box_to_layout inlined, the same arithmetic
    for c in chars:
        if upright:
            ax, ay, bx, by = (c.x0 - dx) / scale, (c.y0 - dy) / scale, (c.x1 - dx) / scale, (c.y1 - dy) / scale
            x0, y0, x1, y1 = min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)
        else:
            x0, y0, x1, y1 = box_to_layout(c.x0, c.y0, c.x1, c.y1)
        font, text = c.fontname, c.text
        if no_map[text] or c.guessed or (font in untrusted and not text.isspace()):
            text = _UNREADABLE
        out.append(_Glyph(text, x0, y0, x1, y1, float(c.size) / scale, font, (x0 + x1) / 2, (y0 + y1) / 2))
    return out


def _vector_marks(page: PageContent, t: _Transform) -> list[tuple[float, float, float, float]]:
    return [t.box_to_layout(*shape) for shape in page.shapes]


def _inside(g: _Glyph, r: Rect) -> bool:
    slack = min(_INSIDE * g.size, _MAX_SLACK)
    return r.x0 - slack <= g.cx <= r.x1 + slack and r.y0 - slack <= g.cy <= r.y1 + slack


def _lines(glyphs: Sequence[_Glyph]) -> list[list[_Glyph]]:
    """Group glyphs into lines (top to bottom), each sorted left to right."""
    lines: list[list[_Glyph]] = []
    for g in sorted(glyphs, key=lambda g: (-g.cy, g.x0)):
        if lines and abs(lines[-1][0].cy - g.cy) < 0.45 * max(g.size, lines[-1][0].size):
            lines[-1].append(g)
        else:
            lines.append([g])
    return [sorted(line, key=lambda g: g.x0) for line in lines]


def _line_text(line: Sequence[_Glyph]) -> str:
    """Characters in order; a gap wider than a third of a space without a space glyph becomes one."""
    parts: list[str] = []
    prev: _Glyph | None = None
    for g in line:
        if prev is not None and g.text != " " and prev.text != " " and g.x0 - prev.x1 > 0.18 * g.size:
            parts.append(" ")
        parts.append(g.text)
        prev = g
    return "".join(parts)


def _first_word_width(line: Sequence[_Glyph]) -> float:
    start = line[0].x0
    end = line[0].x1
    for g in line:
        if g.text == " ":
            break
        end = g.x1
    return end - start


def _multiline(lines: list[list[_Glyph]], box: Rect) -> str:
    """Join lines: typed breaks stay ``\\n``, soft wraps become a space, blank lines are kept."""
    if not lines:
        return ""
    gaps = [lines[i][0].cy - lines[i + 1][0].cy for i in range(len(lines) - 1)]
    pitch = min(gaps) if gaps else 0.0
    pitch = max(pitch, 1.05 * max(g.size for g in lines[0]))
    # Where did the tool wrap? Tools measure differently (pypdf wraps at ~87 % of the box), so
    # when some line came close to the edge, the longest line marks the tool's wrap limit.
    rights = [max(g.x1 for g in line) for line in lines]
    left = min(g.x0 for g in lines[0])
    limit = box.x1 - max(left - box.x0, 1.0)
    if max(rights) > box.x0 + 0.8 * (limit - box.x0):
        limit = min(limit, max(rights) + 0.5)
    text = _line_text(lines[0]).rstrip(" ")
    for prev_right, line, gap in zip(rights, lines[1:], gaps, strict=False):
        blank_lines = max(0, round(gap / pitch) - 1)
        space = 0.26 * line[0].size
        typed = blank_lines > 0 or prev_right + space + _first_word_width(line) <= limit
        text += "\n" * (blank_lines + 1) if typed else " "
        text += _line_text(line).rstrip(" ")
    return text


def _cut_at_bottom(glyphs: Sequence[_Glyph], lines: Sequence[Sequence[_Glyph]], box: Rect) -> str | None:
    """Why a multi-line box's text may go on past its bottom edge (printers cut it there), or None.

    - At the smallest size and down to the bottom edge: the tool had no room left.
    - The last line hangs out of the box at a size no auto-sizing tool keeps: MuPDF and pikepdf
      ignore auto size (11–12 pt), so the lines after it were clipped too, and printers that drop
      clipped text leave nothing of them. An auto-sizing tool shrinks a text that would not fit
      (pdf.js's 14 pt for a short text that ends just above the edge is measured, not warned).
    - The last line hangs half out of the box: the printer cut it, and what followed is gone.
    """
    last = lines[-1]
    size = max(g.size for g in last)
    bottom = min(g.y0 for g in last)
    if min(g.size for g in glyphs) <= _MIN_FONT and bottom - box.y0 < 1.2 * size:
        return "the text fills the box at the smallest size: part of it may be cut off"
    if size >= _FULL_SIZE and bottom < box.y0:
        return ("the text runs to the box's bottom edge at full size (the filling tool did not shrink it): "
                "more may have been cut off on paper")
    if min(g.cy for g in last) < box.y0:
        return "the last line is cut by the box's bottom edge: more text may have been cut off"
    return None


def _read_field(spec: FieldSpec, page: _Page, taken: set[int], warnings: list[ParseWarning]) -> FieldValue:
    if spec.kind is Kind.CHECKBOX:
        return _choice_state(spec.path, spec.rect, page, taken, warnings)
    if spec.kind is Kind.RADIO:
        chosen = [o.value for o in spec.options if _choice_state(spec.path, o.rect, page, taken, warnings)]
        if len(chosen) > 1:
            warnings.append(ParseWarning("ambiguous_choice", spec.path, "more than one option looks marked"))
            return None
        return chosen[0] if chosen else None
    mine = [i for i in page.near(spec.rect) if i not in taken and _inside(page.glyphs[i], spec.rect)]
    if not mine:
        return None
    # Boxes are read top to bottom, so text of a box above that ran into this one (a clipped tail,
    # still in the content stream) has been claimed already (see _continuation).
    own = _run_style(page.glyphs, mine)
    taken.update(mine)
    hidden = _continuation(spec, page, mine, own, taken)
    if hidden:
        taken.update(hidden)
        warnings.append(ParseWarning("hidden_in_print", spec.path, f"{len(hidden)} character(s) past the box's "
                                    "edge were cut off on paper; read from the copy's text layer"))
    glyphs = [page.glyphs[i] for i in (*mine, *hidden)]
    if not glyphs:
        return None
    lines = _lines(glyphs)
    if spec.multiline and not hidden and (reason := _cut_at_bottom(glyphs, lines, spec.rect)):
        warnings.append(ParseWarning("overflow", spec.path, reason))
    text = _multiline(lines, spec.rect) if spec.multiline else " ".join(_line_text(li) for li in lines)
    # A tool whose font lacks a precomposed letter draws base + combining mark ("G" + U+0306);
    # one that sets "fi" as a ligature glyph gives U+FB01. Nobody types either.
    text = unicodedata.normalize("NFC", text.translate(_LIGATURES))
    unreadable = sum(g.text == _UNREADABLE for g in glyphs)
    if unreadable:
        warnings.append(ParseWarning("unreadable_text", spec.path, f"{unreadable} of {len(glyphs)} character(s) "
                                    "have no Unicode mapping in this copy: read the field on the page image"))
    elif replaced := len(_REPLACED.findall(text)):
        warnings.append(ParseWarning("unreadable_text", spec.path, f"{replaced} character(s) drawn as '?': the "
                                    "filling tool could not show them; read the field on the page image"))
    return text.strip() or None


def _style(g: _Glyph) -> tuple[str, float]:
    return g.font, round(g.size * 4) / 4


def _run_style(glyphs: Sequence[_Glyph], indices: Sequence[int]) -> tuple[str, float]:
    """The font and size most of a box's (non-space) glyphs have."""
    counts: dict[tuple[str, float], int] = {}
    for i in indices:
        if not glyphs[i].text.isspace():
            counts[_style(glyphs[i])] = counts.get(_style(glyphs[i]), 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else _style(glyphs[indices[0]])


def _continuation(spec: FieldSpec, page: _Page, mine: list[int], style: tuple[str, float],
                  taken: set[int]) -> list[int]:
    """Glyphs of this box's text that were drawn past its edge (clipped on paper, kept in the stream).

    A tool draws a box's text in one go, so its clipped tail follows the box's last glyph in
    content-stream order, in the same font and size, flowing on: to the right along the baseline
    (one line) or downwards at the box's left edge and line pitch (several lines). Such glyphs
    belong to this box, not to the box they landed in; the walk stops where the flow breaks
    (the next box's text starts elsewhere).
    """
    glyphs = page.glyphs
    own_lines = _lines([glyphs[i] for i in mine])
    size = style[1] or 1.0
    left = min(g.x0 for g in own_lines[0])
    gaps = [a[0].cy - b[0].cy for a, b in itertools.pairwise(own_lines)]
    pitch = max(min(gaps) if gaps else 1.17 * size, 0.8 * size)
    prev = glyphs[max(mine)]
    found: list[int] = []
    for i in range(max(mine) + 1, len(glyphs)):
        g = glyphs[i]
        if i in taken or _style(g) != style:
            if g.text.isspace():
                continue
            break
        same_line = abs(g.cy - prev.cy) < 0.3 * size and g.x0 >= prev.x0 - 0.5 and g.x0 - prev.x1 < 1.5 * size
        steps = (prev.cy - g.cy) / pitch
        next_line = spec.multiline and abs(g.x0 - left) < 2.0 and 0.5 < steps < 3.2 and abs(steps - round(steps)) < 0.15
        if not (same_line or next_line):
            break
        found.append(i)
        prev = g
    outside = [i for i in found if not _inside(glyphs[i], spec.rect)]
    return found if outside else []


def _choice_state(path: str, box: Rect, page: _Page, taken: set[int], warnings: list[ParseWarning]) -> bool:
    # Text a box above claimed (its clipped tail ran over this one) is no tick.
    if any(_inside(g, box) and g.text.strip() for i, g in ((i, page.glyphs[i]) for i in page.near(box))
           if g.size > 0.3 * box.height and i not in taken):
        return True
    # A vector check mark: a shape clearly smaller than the box, within it. The box's own
    # outline (a square or circle the size of the box) is not one.
    for x0, y0, x1, y1 in page.marks:
        if x0 >= box.x0 - 1 and x1 <= box.x1 + 1 and y0 >= box.y0 - 1 and y1 <= box.y1 + 1 and (
                x1 - x0 < 0.85 * box.width and y1 - y0 < 0.85 * box.height) and (x1 - x0) * (y1 - y0) > 0.5:
            warnings.append(ParseWarning("uncertain_choice", path, "a drawn mark was read as a tick"))
            return True
    return False


def _overflow(page: _Page, fields: Iterable[FieldSpec], taken: set[int], warnings: list[ParseWarning]) -> None:
    """Glyphs in a field's font and size that landed outside every box: text that overflowed on paper.

    Font *and* size: a filling tool may draw values in the font the page's labels use (MuPDF
    writes Helvetica), and the labels are no overflow.
    """
    specs = [f for f in fields if not f.kind.is_choice]
    styles = {_style(page.glyphs[i]) for i in taken}
    for i, g in enumerate(page.glyphs):
        if i in taken or _style(g) not in styles or not g.text.strip():
            continue
        owner = min(specs, key=lambda f: math.hypot(max(f.rect.x0 - g.cx, 0, g.cx - f.rect.x1),
                                                    max(f.rect.y0 - g.cy, 0, g.cy - f.rect.y1)), default=None)
        if owner is not None and not any(w.code == "overflow" and w.path == owner.path for w in warnings):
            warnings.append(ParseWarning("overflow", owner.path,
                                        "text runs past the box's edge: the copy cannot show all of it"))


def _locate_by_position(pdf_pages: Sequence[PageContent], pages: dict[int, _Page], index_of: dict[int, int],
                        unidentified: list[int], warnings: list[ParseWarning]) -> None:
    """A form page whose footer was lost (some tools drop page content) sits where it belongs.

    Page n is taken from the position n - 1 after an identified page 1 (or before page N),
    if that page has text, with the neighbour's transform — and a warning says so.
    """
    for number in LAYOUT.pages_with_fields():
        if number in pages or not index_of:
            continue
        anchor = min(index_of, key=lambda n: abs(n - number))
        index = index_of[anchor] + (number - anchor)
        if index in unidentified and pdf_pages[index].chars:
            transform = pages[anchor].transform
            pages[number] = _Page(number, transform, _glyphs(pdf_pages[index], transform),
                                  _vector_marks(pdf_pages[index], transform))
            unidentified.remove(index)
            warnings.append(ParseWarning("unidentified_page", None,
                                        f"page {number} has no form identifier; read it by its position"))


def _check_deadline() -> None:
    budget = active_budget()
    if budget is not None:
        budget.check_deadline()


def read_text_layer(source: bytes | BinaryIO) -> TextLayer:
    """Read the form's values from the page text of a flattened or printed copy.

    >>> from klageformular import render_form
    >>> read_text_layer(render_form("da")).values["complainant.last_name"] is None
    True
    """
    import pdfplumber  # with pdfminer: loaded for the text path only (issue 19: cold start)

    from ._pdfminer import ContentReader

    stream = io.BytesIO(source if isinstance(source, bytes) else source.read())
    try:
        pdf = pdfplumber.open(stream)
    except Exception as exc:  # pdfminer raises many unrelated types on broken files
        raise PdfReadError(f"cannot read the page text: {type(exc).__name__}") from None
    warnings: list[ParseWarning] = []
    with pdf:
        producer = _producer(pdf)
        pages: dict[int, _Page] = {}
        index_of: dict[int, int] = {}
        language = version = None
        unidentified: list[int] = []
        empty = 0
        total = len(pdf.pages)
        reader = ContentReader()
        contents: list[PageContent] = []
        for index, pdf_page in enumerate(pdf.pages):
            page = reader.read(pdf_page)  # under the work budget
            contents.append(page)
            found = _identifier(page)
            if found is None:
                empty += not page.chars
                unidentified.append(index)
                continue
            match, char = found
            version, language = match.group(1), match.group(2)
            number = int(match.group(3))
            transform = _fit(page, IDENTIFIER_BASELINE, char)
            if number not in pages:
                pages[number] = _Page(number, transform, _glyphs(page, transform), _vector_marks(page, transform))
                index_of[number] = index
        _locate_by_position(contents, pages, index_of, unidentified, warnings)
        extra = len(unidentified)
    if not pages:
        if empty:
            raise NoTextLayerError(f"{empty} of {total} page(s) have no text layer (a scan?): "
                                   "needs manual handling, OCR is not supported")
        raise NotAKlageformularError("no complaint-form identifier on any page")
    values: dict[str, FieldValue] = {}
    # A copy that lost a page is still the customer's complaint: what is there is read, and the
    # page's fields are named so nobody mistakes them for fields left empty.
    for number in (n for n in LAYOUT.pages_with_fields() if n not in pages):
        for spec in LAYOUT.fields_on(number):
            values[spec.path] = None
            warnings.append(ParseWarning("page_missing", spec.path, f"page {number} of the form is missing from "
                                        "this copy: the field could not be read"))
    for number, page_info in sorted(pages.items()):
        taken: set[int] = set()
        specs = list(LAYOUT.fields_on(number))
        for spec in specs:
            _check_deadline()
            values[spec.path] = _read_field(spec, page_info, taken, warnings)
        _overflow(page_info, specs, taken, warnings)
    _check_readable(values, warnings, producer)
    # Our own info page (no fields) is not an attachment; anything else without identifier is.
    return TextLayer(values, warnings, language, version, total, extra_pages=extra)


def _check_readable(values: dict[str, FieldValue], warnings: list[ParseWarning], producer: str) -> None:
    """Reject a copy none of whose filled values can be read: nothing would be left to review."""
    typed = {s.path for s in LAYOUT.fields if not s.kind.is_choice}
    filled = {p for p, v in values.items() if p in typed and isinstance(v, str) and v}
    unreadable = {w.path for w in warnings if w.code == "unreadable_text"}
    if filled and filled <= unreadable:
        made_by = f" by {producer}" if producer else ""
        raise UnreadableTextError(f"none of the {len(filled)} filled value(s) can be read: the copy{made_by} "
                                  "drew them without a Unicode map (printed through PostScript?); ask for the "
                                  "filled form itself")


def _producer(pdf: Any) -> str:
    """The tool the copy names, printable and short.

    Only /Producer: /Creator often holds the document's own name ("Klage fra Jens Hansen.docx"),
    which is personal data and must not reach a message.
    """
    try:
        meta = pdf.metadata or {}
    except Exception:  # a broken /Info names no tool
        return ""
    name = meta.get("Producer") or ""
    if isinstance(name, bytes):
        name = name.decode("latin-1")
    return "".join(c for c in str(name) if c.isprintable())[:60]
