"""Regenerate src/klageformular/assets/NotoSans-Latin.ttf: Noto Sans subset to European Latin.

Usage: python scripts/subset_font.py [SOURCE_TTF]  (default: Debian's fonts-noto-core copy)
       python scripts/subset_font.py --letters   (also NotoSans-Latin-Bold/-Italic.ttf for letters)
The output is byte-identical on every run (fixed timestamps), so the form's bytes stay stable.
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
LETTER_STYLES = {"Bold": NOTO / "NotoSans-Bold.ttf", "Italic": NOTO / "NotoSans-Italic.ttf"}
# Basic Latin, Latin-1, Latin Extended-A/B (Romanian ș ț, Croatian ǆ …), ə, modifier apostrophes and
# accents, capital ẞ, general punctuation (– — ‘ ’ „ “ ” … ‰ ‹ ›), €, №, ™, minus, replacement char.
RANGES = [(0x20, 0x7E), (0xA0, 0x24F), (0x259, 0x259), (0x2BB, 0x2BC), (0x2C6, 0x2DD), (0x1E9E, 0x1E9E),
          (0x2010, 0x2027), (0x2030, 0x203A), (0x20AC, 0x20AC), (0x2116, 0x2116), (0x2122, 0x2122),
          (0x2212, 0x2212), (0xFFFD, 0xFFFD)]
FIXED_TIME = 0x0000_0000_E3A1_2B00  # a constant 'head' timestamp (seconds since 1904)


def subset_font(source: Path, target: Path) -> int:
    """Write the subset; returns its size in bytes."""
    options = subset.Options()
    options.hinting = False  # viewers rasterise fine without it at form sizes; saves ~40 %
    options.layout_features = []
    options.name_IDs = ["*"]  # keep the copyright and licence strings the OFL asks us to keep
    options.notdef_outline = True
    options.drop_tables += ["FFTM", "DSIG"]
    font = TTFont(source, recalcTimestamp=False)
    sub = subset.Subsetter(options)
    sub.populate(unicodes=[c for lo, hi in RANGES for c in range(lo, hi + 1)])
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


if __name__ == "__main__":
    if sys.argv[1:] == ["--letters"]:
        for style, source in LETTER_STYLES.items():
            target = ASSETS / f"NotoSans-Latin-{style}.ttf"
            print(f"{target}: {subset_font(source, target):,} bytes")
        sys.exit(0)
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    size = subset_font(src, TARGET)
    print(f"{TARGET}: {size:,} bytes")
