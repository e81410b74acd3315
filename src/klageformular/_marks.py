"""The embedded check-mark font: the check box's ✔ and the radio button's ● as an embedded TrueType.

PDF/UA-1 (7.21.4.1) wants every font embedded, so the marks are no longer the standard 14
ZapfDingbats: they are two glyphs of Noto Sans Symbols 2 (SIL OFL 1.1; ``scripts/subset_font.py
--marks``), a *symbolic* simple TrueType font at the codes ZapfDingbats gives the same marks —
"4" (a20, ✔) and "l" (a71, ●). So the fields keep ``/DA (/ZaDb 0 Tf 0 g)`` and ``/MK /CA``: a
viewer that redraws a box from them with its own ZapfDingbats draws the same mark at the same
code, and one that takes ``/ZaDb`` from ``/DR`` gets this font. The marks stay glyphs (not paths),
with a ``ToUnicode`` map, so a flattened or printed copy still shows a box's state in its text layer.

The metrics below are the font file's (checked against it by ``tests/test_marks.py``): reading
them at render time would need fontTools or a cmap reportlab does not parse.
"""

from __future__ import annotations

import weakref
from functools import cache
from importlib import resources

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
)

__all__ = ["ASSET", "BASE_FONT_NAME", "CHECK", "MARKS", "RADIO", "Mark", "pdf_font"]

ASSET = "NotoSansSymbols2-Marks.ttf"
BASE_FONT_NAME = "/KLGMRK+NotoSansSymbols2-Marks"  # a fixed subset tag keeps the output deterministic


class Mark:
    """One mark: its code (ZapfDingbats's), its character, advance width and ink's vertical extent."""

    __slots__ = ("char", "code", "ink_bottom", "ink_top", "width")

    def __init__(self, code: str, char: str, width: int, ink_bottom: int, ink_top: int):
        self.code, self.char, self.width = code, char, width
        self.ink_bottom, self.ink_top = ink_bottom, ink_top

    def placement(self, box: float, ink_height: float) -> tuple[float, float, float]:
        """(font size, x, y) that draw the mark ``ink_height`` points tall, centred in a ``box``-point square."""
        size = ink_height * 1000 / (self.ink_top - self.ink_bottom)
        x = (box - self.width * size / 1000) / 2  # the ink is centred in the advance (checked in the tests)
        y = box / 2 - (self.ink_top + self.ink_bottom) / 2 * size / 1000
        return size, x, y


CHECK = Mark("4", "\u2714", 930, -80, 682)
RADIO = Mark("l", "\u25cf", 894, -34, 758)
MARKS = (CHECK, RADIO)
_BBOX = (51, -80, 879, 758)
_ASCENT, _DESCENT, _CAP_HEIGHT, _STEM_V = 1069, -630, 945, 80
_written: weakref.WeakKeyDictionary[PdfWriter, IndirectObject] = weakref.WeakKeyDictionary()


@cache
def _data() -> bytes:
    return (resources.files("klageformular") / "assets" / ASSET).read_bytes()


def pdf_font(writer: PdfWriter) -> IndirectObject:
    """The font dictionary, added to ``writer`` once and reused."""
    if writer in _written:
        return _written[writer]
    data = _data()
    file_stream = DecodedStreamObject()
    file_stream.set_data(data)
    file_stream[NameObject("/Length1")] = NumberObject(len(data))
    descriptor = DictionaryObject({
        NameObject("/Type"): NameObject("/FontDescriptor"),
        NameObject("/FontName"): NameObject(BASE_FONT_NAME),
        NameObject("/Flags"): NumberObject(4),  # symbolic: codes go straight to the font's (3,0)/(1,0) cmaps
        NameObject("/FontBBox"): ArrayObject([NumberObject(v) for v in _BBOX]),
        NameObject("/ItalicAngle"): NumberObject(0),
        NameObject("/Ascent"): NumberObject(_ASCENT),
        NameObject("/Descent"): NumberObject(_DESCENT),
        NameObject("/CapHeight"): NumberObject(_CAP_HEIGHT),
        NameObject("/StemV"): NumberObject(_STEM_V),
        NameObject("/FontFile2"): writer._add_object(file_stream.flate_encode()),
    })
    first, last = min(ord(m.code) for m in MARKS), max(ord(m.code) for m in MARKS)
    width_of = {ord(m.code): m.width for m in MARKS}
    to_unicode = DecodedStreamObject()
    to_unicode.set_data(_cmap())
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/TrueType"),
        NameObject("/BaseFont"): NameObject(BASE_FONT_NAME),
        NameObject("/FirstChar"): NumberObject(first),
        NameObject("/LastChar"): NumberObject(last),
        NameObject("/Widths"): ArrayObject(NumberObject(width_of.get(code, 0)) for code in range(first, last + 1)),
        NameObject("/FontDescriptor"): writer._add_object(descriptor),
        NameObject("/ToUnicode"): writer._add_object(to_unicode.flate_encode()),
    })
    ref = writer._add_object(font)
    _written[writer] = ref
    return ref


def _cmap() -> bytes:
    lines = "\n".join(f"<{ord(m.code):02X}> <{ord(m.char):04X}>" for m in MARKS)
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<00> <FF>\nendcodespacerange\n"
        f"{len(MARKS)} beginbfchar\n{lines}\nendbfchar\n"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")

