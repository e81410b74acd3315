"""reportlab's TrueType subsets made printable: named glyphs, a Unicode cmap and a valid ToUnicode map.

The form's printed text is Noto Sans embedded by reportlab (:mod:`._pages`). reportlab writes each
subset as a *symbolic* simple TrueType font: its own codes (ASCII as is, other letters at 1, 2, 3 …),
a (1,0) cmap, no ``/Encoding``, and a ``ToUnicode`` map in one block of 128 entries. Two printing
chains lose the text of such a font, measured on the interop matrix: ghostscript drops a ToUnicode
map whose block holds more than the 100 entries a CMap block may (PDF 32000-1, 9.10.3), and
PostScript printing (``pdftops`` + ``ps2pdf``) keeps no map at all, only glyph names, which a
symbolic font does not have. After either, "·", æ, ø and å read as ``(cid:N)`` and the flattened-copy
parser no longer finds a page's identifier.

So each subset is rewritten into the design the field values' font already uses (:mod:`._font`):
nonsymbolic, ``WinAnsiEncoding`` with ``/Differences`` naming every other code's glyph by the Adobe
Glyph List, a (3,1) Unicode cmap in the font program, and a valid ``ToUnicode`` map. Codes, widths
and glyph outlines do not change, so neither does the page.
"""

from __future__ import annotations

import io
import re
from functools import cache

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
)

from ._font import to_unicode_cmap

__all__ = ["repair_fonts"]

_ENTRY = re.compile(rb"<([0-9A-Fa-f]{2})>\s*<([0-9A-Fa-f]{4})>")
_NONSYMBOLIC = 32
_SYMBOLIC = 4


_cmap = to_unicode_cmap  # the value font's own writer: one way to write the map


def _glyph_name(char: str) -> str:
    from fontTools.agl import UV2AGL

    name: str = UV2AGL.get(ord(char), f"uni{ord(char):04X}")
    return name


@cache
def _with_unicode_cmap(program: bytes, mapping: tuple[tuple[int, str], ...]) -> bytes:
    """The font program with its (1,0) code cmap replaced by a (3,1) Unicode one (same glyphs)."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    # recalcTimestamp=False: fontTools would stamp head.modified with the clock on save, and the form
    # must be the same bytes every time (render_form is deterministic; the fuzz corpus is named by size).
    font = TTFont(io.BytesIO(program), recalcTimestamp=False)
    by_code = next(t.cmap for t in font["cmap"].tables if (t.platformID, t.platEncID) == (1, 0))
    table = CmapSubtable.newSubtable(4)
    table.platformID, table.platEncID, table.language = 3, 1, 0
    table.cmap = {ord(char): by_code[code] for code, char in mapping if code in by_code}
    font["cmap"].tables = [table]
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _winansi(code: int) -> str | None:
    try:
        return bytes([code]).decode("cp1252") if code >= 0x20 else None
    except UnicodeDecodeError:
        return None


def repair_fonts(writer: PdfWriter) -> None:
    """Rewrite every symbolic simple TrueType font on the pages (reportlab's subsets), once each."""
    done: set[int] = set()
    for page in writer.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        for ref in (fonts.get_object().values() if fonts is not None else ()):
            if not isinstance(ref, IndirectObject) or ref.idnum in done:
                continue
            done.add(ref.idnum)
            font = ref.get_object()
            if not isinstance(font, DictionaryObject) or font.get("/Subtype") != "/TrueType" or \
                    "/Encoding" in font or "/ToUnicode" not in font:
                continue  # not reportlab's shape: leave it as it is
            descriptor = font["/FontDescriptor"].get_object()
            unicode_map = font["/ToUnicode"].get_object()
            if not isinstance(descriptor, DictionaryObject) or not isinstance(unicode_map, StreamObject):
                continue
            flags = int(descriptor.get("/Flags", 0))
            if not flags & _SYMBOLIC or "/FontFile2" not in descriptor:
                continue
            mapping = {int(code, 16): chr(int(text, 16)) for code, text in _ENTRY.findall(unicode_map.get_data())
                       if int(text, 16) != 0}
            differences = ArrayObject()
            previous = -2
            for code, char in sorted(mapping.items()):
                if _winansi(code) == char:
                    continue
                if code != previous + 1:
                    differences.append(NumberObject(code))
                differences.append(NameObject(f"/{_glyph_name(char)}"))
                previous = code
            font[NameObject("/Encoding")] = DictionaryObject({
                NameObject("/Type"): NameObject("/Encoding"),
                NameObject("/BaseEncoding"): NameObject("/WinAnsiEncoding"),
                NameObject("/Differences"): differences,
            })
            descriptor[NameObject("/Flags")] = NumberObject(flags & ~_SYMBOLIC | _NONSYMBOLIC)
            stream = descriptor["/FontFile2"].get_object()
            assert isinstance(stream, StreamObject)
            program = _with_unicode_cmap(stream.get_data(), tuple(sorted(mapping.items())))
            stream.set_data(program)  # in place (re-compressed): a new object would leave the old one written
            stream[NameObject("/Length1")] = NumberObject(len(program))
            unicode_map.set_data(_cmap(mapping))
