"""Regenerate the fonts in src/klageformular/assets/ from Debian's fonts-noto-core (SIL OFL 1.1).

Usage: python scripts/subset_font.py [SOURCE_TTF]  (NotoSans-Latin.ttf, the form's: European Latin)
       python scripts/subset_font.py --letters   (NotoSans-Letters-Regular/-Bold/-Italic.ttf; the
                                                  form's printed text uses Regular and Bold too)
       python scripts/subset_font.py --marks     (NotoSansSymbols2-Marks.ttf: the check box's ✔ and
                                                  the radio button's ●)
The output is byte-identical on every run (fixed timestamps), so the form's bytes stay stable.

The form's font is held to European Latin: it is a simple font with 256 codes (see
klageformular/_font.py). The letters' fonts are embedded by reportlab as subsets of what each
letter uses, so they can cover what customers write in names and subjects: Latin (with
Vietnamese and combining accents), Greek and Cyrillic; a letter shows anything else as the
replacement mark U+FFFD, which every subset holds.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

NOTO = Path("/usr/share/fonts/truetype/noto")
SOURCE = NOTO / "NotoSans-Regular.ttf"
ASSETS = Path(__file__).resolve().parent.parent / "src" / "klageformular" / "assets"
TARGET = ASSETS / "NotoSans-Latin.ttf"
# Letters set headings in bold and the officer's Markdown emphasis in italic.
LETTER_STYLES = {"Regular": SOURCE, "Bold": NOTO / "NotoSans-Bold.ttf", "Italic": NOTO / "NotoSans-Italic.ttf"}
# Basic Latin, Latin-1, Latin Extended-A/B (Romanian ș ț, Croatian ǆ …), ə, modifier apostrophes and
# accents, capital ẞ, general punctuation (– — ‘ ’ „ “ ” … ‰ ‹ ›), €, №, ™, minus, replacement char.
RANGES = [(0x20, 0x7E), (0xA0, 0x24F), (0x259, 0x259), (0x2BB, 0x2BC), (0x2C6, 0x2DD), (0x1E9E, 0x1E9E),
          (0x2010, 0x2027), (0x2030, 0x203A), (0x20AC, 0x20AC), (0x2116, 0x2116), (0x2122, 0x2122),
          (0x2212, 0x2212), (0xFFFD, 0xFFFD)]
# The letters: all of the above, plus combining accents, Greek (polytonic too), Cyrillic with its supplement, Latin
# Extended Additional (Vietnamese, Welsh ŵ ŷ), superscripts, currency signs, letterlike symbols and
# number forms (℃ ½ Ⅳ) and arrows, where Noto Sans has them.
LETTER_RANGES = [*RANGES, (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x52F), (0x1E00, 0x1EFF), (0x1F00, 0x1FFF),
                 (0x2000, 0x206F),
                 (0x2070, 0x209F), (0x20A0, 0x20CF), (0x2100, 0x218F), (0x2190, 0x21FF), (0xFB00, 0xFB06)]
# The check mark and the radio dot, at the codes ZapfDingbats gives them ("4" a20 ✔, "l" a71 ●), so a
# viewer that redraws a box from /MK /CA in the /DA font draws the same mark (klageformular/_marks.py).
MARKS_SOURCE = NOTO / "NotoSansSymbols2-Regular.ttf"
MARKS_TARGET = ASSETS / "NotoSansSymbols2-Marks.ttf"
MARKS = {0x34: 0x2714, 0x6C: 0x25CF}
FIXED_TIME = 0x0000_0000_E3A1_2B00  # a constant 'head' timestamp (seconds since 1904)


def subset_font(source: Path, target: Path, ranges: list[tuple[int, int]] = RANGES) -> int:
    """Write the subset of ``ranges`` (code points, both ends included); returns its size in bytes."""
    options = subset.Options()
    options.hinting = False  # viewers rasterise fine without it at form sizes; saves ~40 %
    options.layout_features = []
    options.name_IDs = ["*"]  # keep the copyright and licence strings the OFL asks us to keep
    options.notdef_outline = True
    options.drop_tables += ["FFTM", "DSIG"]
    font = TTFont(source, recalcTimestamp=False)
    sub = subset.Subsetter(options)
    sub.populate(unicodes=[c for lo, hi in ranges for c in range(lo, hi + 1)])
    sub.subset(font)
    font["head"].created = font["head"].modified = FIXED_TIME
    # Map TAB, LF and CR to the space glyph: the form's encoding names codes for them (pypdf will
    # not draw a multi-line value in a font whose ToUnicode lacks a line break), and a tool that
    # draws one of them anyway then shows a space, not whatever glyph happens to sit at that id.
    for table in font["cmap"].tables:
        if table.isUnicode():
            for control in (0x09, 0x0A, 0x0D):
                table.cmap[control] = table.cmap[0x20]
    buf = io.BytesIO()
    font.save(buf)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buf.getvalue())
    return len(buf.getvalue())


def subset_marks() -> int:
    """Write the two-glyph mark font: a symbolic TrueType whose cmaps answer the codes themselves."""
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    size = subset_font(MARKS_SOURCE, MARKS_TARGET, [(0x20, 0x20), *((u, u) for u in MARKS.values())])
    font = TTFont(MARKS_TARGET, recalcTimestamp=False)
    unicode_cmap = font.getBestCmap()
    glyph = {code: unicode_cmap[u] for code, u in MARKS.items()}
    # A symbolic TrueType without /Encoding is read through (3,0) at 0xF000 + code or (1,0) at the code
    # (PDF 32000-1, 9.6.6.4); PDF/A-2 wants (3,0) there. Both, and nothing else, so every reader agrees.
    tables = []
    for platform, encoding, offset, fmt in ((1, 0, 0, 6), (3, 0, 0xF000, 4)):
        table = CmapSubtable.newSubtable(fmt)
        table.platformID, table.platEncID, table.language = platform, encoding, 0
        table.cmap = {offset + code: name for code, name in glyph.items()}
        tables.append(table)
    font["cmap"].tables = tables
    font["post"].formatType = 3.0  # no glyph names: a symbolic font is read by its codes alone
    buf = io.BytesIO()
    font.save(buf)
    MARKS_TARGET.write_bytes(buf.getvalue())
    return len(buf.getvalue()) or size


if __name__ == "__main__":
    if sys.argv[1:] == ["--marks"]:
        print(f"{MARKS_TARGET}: {subset_marks():,} bytes")
        sys.exit(0)
    if sys.argv[1:] == ["--letters"]:
        for style, source in LETTER_STYLES.items():
            target = ASSETS / f"NotoSans-Letters-{style}.ttf"
            print(f"{target}: {subset_font(source, target, LETTER_RANGES):,} bytes")
        sys.exit(0)
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    size = subset_font(src, TARGET)
    print(f"{TARGET}: {size:,} bytes")
