"""The embedded value font: PDF font objects, the 256-code encoding, text measuring for appearances.

Fields use Noto Sans (SIL OFL 1.1) embedded as a *simple* TrueType font: one byte per
character, the ``WinAnsiEncoding`` base with ``/Differences`` that put the letters of the
EU/EEA Latin alphabets and Turkish into codes WinAnsi leaves unused or spends on rare symbols,
each named by the Adobe Glyph List, plus a ``ToUnicode`` map and the real width of every code.

Why not a composite (Type0, Identity-H) font, which could hold every glyph: measured on the
issue-13 matrix, iText (pdftk ``fill_form``) and qpdf/pikepdf cannot encode text in one (boxes
or garbage), PostScript printing (``pdftops`` + ``ps2pdf``) turns it into fonts without a
Unicode map, and PDFium (Chrome) falls back to system fonts for letters outside the font's
"charset". A simple font with glyph names every tool understands survives all of them.

What the 256 codes hold (:data:`CHARSET`): ASCII, Latin-1 and WinAnsi's € ‚ „ … ‘ ’ “ ” – —
Š š Ž ž Œ œ •, and in place of unused codes, control codes and rare symbols: Polish,
Czech, Turkish, Romanian (comma below), Hungarian, Croatian, Lithuanian and Latvian letters
and Slovak Ľ ľ. Left out — not enough codes; :meth:`EmbeddedFont.missing` names them and the
renderer refuses such a prefill: Slovak Ĺ ĺ Ŕ ŕ, Latvian Ģ ģ, Maltese Ċ ċ Ġ ġ Ħ ħ, Romanian
legacy Ţ ţ (cedilla), Greek and Cyrillic, and the symbols ƒ † ‡ ˆ ‰ ˜ ™ ¡ ¢ ¤ ¥ ¦ ¨ © ª ¬
soft hyphen ® ¯ ± ² ³ ´ µ ¶ ¸ ¹ º ¼ ½ ¾ × ÷ Ÿ ‹ ›.
"""

from __future__ import annotations

import codecs
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
)

__all__ = ["BASE_FONT_NAME", "CHARSET", "FONT_RESOURCE", "EmbeddedFont", "decode", "to_unicode_cmap"]

FONT_RESOURCE = "/Wingdings"
_ASSET = "NotoSans-Latin.ttf"
_BASE_FONT = "KLGSAN+NotoSans-Latin"  # a fixed subset tag keeps the output deterministic
_IGNORED = frozenset("\n\r\t")
_FIRST = 1  # code 0 stays unused: C strings end there in more than one tool
# Tab, line feed and carriage return keep their codes, drawn as spaces (the font file maps them to
# the space glyph): pypdf swaps in a font of its own for a value whose characters, line breaks
# included, are not all in the font's ToUnicode map.
_CONTROLS = {0x09: ("\t", "uni0009"), 0x0A: ("\n", "uni000A"), 0x0D: ("\r", "uni000D")}

# Letters added to WinAnsi, most needed first, with their Adobe Glyph List names. Ș ș have AGL
# names; Ț ț do not (the AGL's "Tcommaaccent" is U+0162), so they take the AGL-spec uniXXXX form.
_ADDED: tuple[tuple[str, str], ...] = (
    # Polish
    ("Ą", "Aogonek"), ("ą", "aogonek"), ("Ć", "Cacute"), ("ć", "cacute"), ("Ę", "Eogonek"), ("ę", "eogonek"),
    ("Ł", "Lslash"), ("ł", "lslash"), ("Ń", "Nacute"), ("ń", "nacute"), ("Ś", "Sacute"), ("ś", "sacute"),
    ("Ź", "Zacute"), ("ź", "zacute"), ("Ż", "Zdotaccent"), ("ż", "zdotaccent"),
    # Czech (Slovak shares most)
    ("Č", "Ccaron"), ("č", "ccaron"), ("Ď", "Dcaron"), ("ď", "dcaron"), ("Ě", "Ecaron"), ("ě", "ecaron"),
    ("Ň", "Ncaron"), ("ň", "ncaron"), ("Ř", "Rcaron"), ("ř", "rcaron"), ("Ť", "Tcaron"), ("ť", "tcaron"),
    ("Ů", "Uring"), ("ů", "uring"),
    # Turkish
    ("Ğ", "Gbreve"), ("ğ", "gbreve"), ("İ", "Idotaccent"), ("ı", "dotlessi"), ("Ş", "Scedilla"),
    ("ş", "scedilla"),
    # Romanian
    ("Ă", "Abreve"), ("ă", "abreve"), ("Ș", "Scommaaccent"), ("ș", "scommaaccent"), ("Ț", "uni021A"),
    ("ț", "uni021B"),
    # Hungarian, Croatian
    ("Ő", "Ohungarumlaut"), ("ő", "ohungarumlaut"), ("Ű", "Uhungarumlaut"), ("ű", "uhungarumlaut"),
    ("Đ", "Dcroat"), ("đ", "dcroat"),
    # Lithuanian, Latvian
    ("Ė", "Edotaccent"), ("ė", "edotaccent"), ("Į", "Iogonek"), ("į", "iogonek"), ("Ų", "Uogonek"),
    ("ų", "uogonek"), ("Ū", "Umacron"), ("ū", "umacron"), ("Ā", "Amacron"), ("ā", "amacron"),
    ("Ē", "Emacron"), ("ē", "emacron"), ("Ī", "Imacron"), ("ī", "imacron"), ("Ķ", "Kcommaaccent"),
    ("ķ", "kcommaaccent"), ("Ļ", "Lcommaaccent"), ("ļ", "lcommaaccent"), ("Ņ", "Ncommaaccent"),
    ("ņ", "ncommaaccent"),
    # Slovak
    ("Ľ", "Lcaron"), ("ľ", "lcaron"),
)
# Codes for them: WinAnsi's unused ones, control codes (not tab, line feed, carriage return: tools
# rewrite those in strings), DEL, then WinAnsi symbols a complaint hardly needs.
_FREE_CODES: tuple[int, ...] = (
    0x81, 0x8D, 0x8F, 0x90, 0x9D,
    *range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F,
    0x83, 0x86, 0x87, 0x88, 0x89, 0x98, 0x99, 0xA2, 0xA4, 0xA5, 0xA6, 0xA8, 0xAA, 0xAC, 0xAF, 0xB4, 0xB5,
    0xB6, 0xB8, 0xB9, 0xBA, 0xBC, 0xBD, 0xBE, 0xA9, 0xAE, 0xB1, 0xB2, 0xB3, 0xAD, 0xF7, 0x9F, 0xD7, 0xA1, 0x8B, 0x9B,
)


def _winansi() -> dict[int, str]:
    table = {code: chr(code) for code in range(0x20, 0x7F)}
    for code in range(0x80, 0x100):
        try:
            table[code] = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            continue  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: unused in WinAnsi
    return table


def _build() -> tuple[dict[int, str], dict[int, str]]:
    """(code -> character for all 256 codes, code -> glyph name for the /Differences)."""
    assert len(_FREE_CODES) >= len(_ADDED), "more letters than free codes"
    codes = _winansi()
    differences: dict[int, str] = {}
    for code in _FREE_CODES:
        codes.pop(code, None)
    for code, (char, name) in [*zip(_FREE_CODES, _ADDED, strict=False), *_CONTROLS.items()]:
        codes[code] = char
        differences[code] = name
    return dict(sorted(codes.items())), dict(sorted(differences.items()))


_CODES, _DIFFERENCES = _build()
CHARSET: frozenset[str] = frozenset(_CODES.values()) - _IGNORED
# Every byte's character (U+FFFD for the unused code 0), for decoding a string in one call.
_DECODING = "".join(_CODES.get(code, "\ufffd") for code in range(256))
_CODE_OF = {char: code for code, char in _CODES.items() if char not in _IGNORED}
BASE_FONT_NAME = f"/{_BASE_FONT}"
"""The font's PDF name, by which an appearance's font is recognised as ours (no font file needed)."""


def decode(codes: bytes) -> str:
    """The characters a string drawn in the form's font shows, without loading the font file.

    The parser needs only this and :data:`BASE_FONT_NAME`; reading the font file needs reportlab,
    which a parse should not pay for (issue 19: cold start).

    >>> decode(EmbeddedFont.load().encode("Łukasz Ğül"))
    'Łukasz Ğül'
    """
    return codecs.charmap_decode(codes, "strict", _DECODING)[0]


class EmbeddedFont:
    """Noto Sans Latin as a simple TrueType font with our 256-code encoding, loaded once."""

    def __init__(self, data: bytes):
        from reportlab.pdfbase.ttfonts import TTFontFile  # only rendering and has_glyphs need the file

        ttf = TTFontFile(io.BytesIO(data), validate=0)
        scale = 1000 / ttf.unitsPerEm
        self._data = data
        gid: dict[str, int] = {chr(cp): g for cp, g in ttf.charToGlyph.items()}
        advance = [round(aw * scale) for aw, _ in ttf.hmetrics]
        absent = {c for c in CHARSET if c not in gid}
        assert not absent, f"the font file lacks glyphs for {sorted(absent)}"
        self._width: dict[str, int] = {c: advance[gid[c]] for c in CHARSET}
        for control in _IGNORED:
            self._width[control] = self._width[" "]
        self._has_glyph = frozenset(gid)
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
        """Characters of ``text`` the form's encoding cannot show (line breaks and tabs excepted).

        >>> sorted(EmbeddedFont.load().missing("Łukasz Ğül Ħamrun"))
        ['Ħ']
        """
        return {c for c in text if c not in CHARSET and c not in _IGNORED}

    def covers(self, text: str) -> bool:
        """True when every character of ``text`` can be shown in a field."""
        return not self.missing(text)

    def has_glyphs(self, text: str) -> bool:
        """True when the font file draws every character (more than the 256 codes reach)."""
        return all(c in self._has_glyph or c in _IGNORED for c in text)

    def width(self, text: str, size: float) -> float:
        """Advance width of ``text`` at ``size`` points (a tab counts as a space)."""
        units = sum(self._width.get(c, self._width["?"]) for c in text)
        return units * size / 1000

    def encode(self, text: str) -> bytes:
        """One byte per character; a tab becomes a space, a character outside the encoding "?"."""
        return bytes(_CODE_OF.get(" " if c == "\t" else c, 0x3F) for c in text)

    def decode(self, codes: bytes) -> str:
        """The characters a string drawn in this font shows (the inverse of :meth:`encode`).

        >>> EmbeddedFont.load().decode(EmbeddedFont.load().encode("Łukasz Ğül"))
        'Łukasz Ğül'
        """
        return decode(codes)

    @property
    def base_font(self) -> str:
        """The font's PDF name, by which an appearance's font is recognised as ours."""
        return BASE_FONT_NAME

    def pdf_font(self, writer: PdfWriter) -> IndirectObject:
        """The TrueType font dictionary, added to ``writer`` once and reused."""
        if writer in self._writers:
            return self._writers[writer]
        file_stream = DecodedStreamObject()
        file_stream.set_data(self._data)
        file_stream[NameObject("/Length1")] = NumberObject(len(self._data))
        descriptor = DictionaryObject({
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): NameObject(f"/{_BASE_FONT}"),
            NameObject("/Flags"): NumberObject(32),  # nonsymbolic: codes go through glyph names
            NameObject("/FontBBox"): ArrayObject([FloatObject(v) for v in self.bbox]),
            NameObject("/ItalicAngle"): NumberObject(0),
            NameObject("/Ascent"): FloatObject(self.ascent),
            NameObject("/Descent"): FloatObject(self.descent),
            NameObject("/CapHeight"): FloatObject(self.cap_height),
            NameObject("/StemV"): FloatObject(self.stem_v),
            NameObject("/FontFile2"): writer._add_object(file_stream.flate_encode()),
        })
        differences = ArrayObject()
        previous = -2
        for code, name in _DIFFERENCES.items():
            if code != previous + 1:
                differences.append(NumberObject(code))
            differences.append(NameObject(f"/{name}"))
            previous = code
        last = max(_CODES)
        widths = [self._width.get(_CODES.get(code, "?"), 0) if code in _CODES else 0
                  for code in range(_FIRST, last + 1)]
        to_unicode = DecodedStreamObject()
        to_unicode.set_data(self._cmap())
        font = DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/TrueType"),
            NameObject("/BaseFont"): NameObject(f"/{_BASE_FONT}"),
            NameObject("/FirstChar"): NumberObject(_FIRST),
            NameObject("/LastChar"): NumberObject(last),
            NameObject("/Widths"): ArrayObject(NumberObject(w) for w in widths),
            NameObject("/Encoding"): DictionaryObject({
                NameObject("/Type"): NameObject("/Encoding"),
                NameObject("/BaseEncoding"): NameObject("/WinAnsiEncoding"),
                NameObject("/Differences"): differences,
            }),
            NameObject("/FontDescriptor"): writer._add_object(descriptor),
            NameObject("/ToUnicode"): writer._add_object(to_unicode.flate_encode()),
        })
        ref = writer._add_object(font)
        self._writers[writer] = ref
        return ref

    def _cmap(self) -> bytes:
        return to_unicode_cmap({code: char for code, char in _CODES.items() if code >= _FIRST})


def to_unicode_cmap(mapping: dict[int, str]) -> bytes:
    """A ``/ToUnicode`` CMap for a simple font: one-byte codes to their characters.

    In blocks of at most 100 entries: ghostscript drops a whole map with a larger block, and a
    flattened or printed copy then loses its text (the printed form's fonts use it too: _subsets.py).
    """
    pairs = sorted(mapping.items())
    blocks = []
    for start in range(0, len(pairs), 100):
        chunk = pairs[start:start + 100]
        lines = "\n".join(f"<{code:02X}> <{ord(char):04X}>" for code, char in chunk)
        blocks.append(f"{len(chunk)} beginbfchar\n{lines}\nendbfchar")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<00> <FF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")
