"""The embedded Unicode font: PDF font objects, text measuring and encoding for field appearances.

Fields use Noto Sans (SIL OFL 1.1) subset to European Latin, embedded whole as a composite
font (Type0, Identity-H) with a ToUnicode map and widths for *every* glyph — not only those
on the page — because customers type their text later, in their viewer or a filling tool.
"""

from __future__ import annotations

import io
import weakref
from functools import cache
from importlib import resources

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from reportlab.pdfbase.ttfonts import TTFontFile

__all__ = ["FONT_RESOURCE", "EmbeddedFont"]

FONT_RESOURCE = "/KlgSans"
_ASSET = "NotoSans-Latin.ttf"
_BASE_FONT = "KLGSAN+NotoSans-Latin"  # a fixed subset tag keeps the output deterministic
_IGNORED = frozenset("\n\r\t")
# Several code points can share a glyph; ToUnicode must name the one a reader expects.
_PREFERRED = {0x20, 0x2D}


class EmbeddedFont:
    """Noto Sans Latin subset, loaded once from the package's assets."""

    def __init__(self, data: bytes):
        ttf = TTFontFile(io.BytesIO(data), validate=0)
        scale = 1000 / ttf.unitsPerEm
        self._data = data
        self._gid: dict[str, int] = {chr(cp): gid for cp, gid in ttf.charToGlyph.items()}
        self._advance: list[int] = [round(aw * scale) for aw, _ in ttf.hmetrics]
        self._to_unicode: dict[int, int] = {}
        for cp, gid in sorted(ttf.charToGlyph.items()):
            if gid not in self._to_unicode or cp in _PREFERRED:
                self._to_unicode[gid] = cp
        self.ascent = float(ttf.ascent)
        self.descent = float(ttf.descent)
        self.cap_height = float(ttf.capHeight)
        self.bbox = [float(v) for v in ttf.bbox]
        self.stem_v = float(ttf.stemV)
        self._writers: weakref.WeakKeyDictionary[PdfWriter, IndirectObject] = weakref.WeakKeyDictionary()

    @classmethod
    @cache
    def load(cls) -> EmbeddedFont:
        """The font shipped in ``klageformular/assets``."""
        return cls((resources.files("klageformular") / "assets" / _ASSET).read_bytes())

    def missing(self, text: str) -> set[str]:
        """Characters of ``text`` the font has no glyph for (line breaks and tabs excepted)."""
        return {c for c in text if c not in self._gid and c not in _IGNORED}

    def covers(self, text: str) -> bool:
        """True when every character of ``text`` has a glyph."""
        return not self.missing(text)

    def width(self, text: str, size: float) -> float:
        """Advance width of ``text`` at ``size`` points (a tab counts as a space)."""
        units = sum(self._advance[self._gid.get(" " if c == "\t" else c, 0)] for c in text)
        return units * size / 1000

    def encode(self, text: str) -> bytes:
        """2-byte glyph ids for Identity-H; a tab becomes a space, a missing glyph .notdef (0)."""
        return b"".join(self._gid.get(" " if c == "\t" else c, 0).to_bytes(2, "big") for c in text)

    def pdf_font(self, writer: PdfWriter) -> IndirectObject:
        """The Type0 font dictionary, added to ``writer`` once and reused."""
        if writer in self._writers:
            return self._writers[writer]
        file_stream = DecodedStreamObject()
        file_stream.set_data(self._data)
        file_stream[NameObject("/Length1")] = NumberObject(len(self._data))
        descriptor = DictionaryObject({
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): NameObject(f"/{_BASE_FONT}"),
            NameObject("/Flags"): NumberObject(32),  # nonsymbolic
            NameObject("/FontBBox"): ArrayObject([FloatObject(v) for v in self.bbox]),
            NameObject("/ItalicAngle"): NumberObject(0),
            NameObject("/Ascent"): FloatObject(self.ascent),
            NameObject("/Descent"): FloatObject(self.descent),
            NameObject("/CapHeight"): FloatObject(self.cap_height),
            NameObject("/StemV"): FloatObject(self.stem_v),
            NameObject("/FontFile2"): writer._add_object(file_stream.flate_encode()),
        })
        cid_font = DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType2"),
            NameObject("/BaseFont"): NameObject(f"/{_BASE_FONT}"),
            NameObject("/CIDSystemInfo"): DictionaryObject({
                NameObject("/Registry"): TextStringObject("Adobe"),
                NameObject("/Ordering"): TextStringObject("Identity"),
                NameObject("/Supplement"): NumberObject(0),
            }),
            NameObject("/FontDescriptor"): writer._add_object(descriptor),
            NameObject("/DW"): NumberObject(self._advance[0]),
            NameObject("/W"): ArrayObject([NumberObject(0), ArrayObject(NumberObject(w) for w in self._advance)]),
            NameObject("/CIDToGIDMap"): NameObject("/Identity"),
        })
        to_unicode = DecodedStreamObject()
        to_unicode.set_data(self._cmap())
        font = DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): NameObject(f"/{_BASE_FONT}"),
            NameObject("/Encoding"): NameObject("/Identity-H"),
            NameObject("/DescendantFonts"): ArrayObject([writer._add_object(cid_font)]),
            NameObject("/ToUnicode"): writer._add_object(to_unicode.flate_encode()),
        })
        ref = writer._add_object(font)
        self._writers[writer] = ref
        return ref

    def _cmap(self) -> bytes:
        entries = sorted(self._to_unicode.items())
        blocks = []
        for start in range(0, len(entries), 100):  # a bfchar block holds at most 100 entries
            chunk = entries[start:start + 100]
            lines = "\n".join(f"<{gid:04X}> <{cp:04X}>" for gid, cp in chunk)
            blocks.append(f"{len(chunk)} beginbfchar\n{lines}\nendbfchar")
        return (
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + "\n".join(blocks)
            + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
        ).encode("ascii")
