"""Appearance streams for field values: line wrapping, auto-sizing, glyph encoding, check marks."""

from __future__ import annotations

from dataclasses import dataclass

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

from ._font import FONT_RESOURCE, EmbeddedFont
from ._marks import CHECK, RADIO

__all__ = ["MAX_FONT_SIZE", "MIN_FONT_SIZE", "TextBox", "choice_appearance", "fit_text", "text_appearance"]

MAX_FONT_SIZE = 10.0
MIN_FONT_SIZE = 4.0  # below this nobody can read a printout; the parser warns about overflow instead
PADDING = 2.0
LEADING = 1.17
ZADB_RESOURCE = "/ZaDb"
# The marks' ink heights as the standard ZapfDingbats a20 and a71 drew them before the mark font was
# embedded (0.8 and 0.62 of the box as font sizes, times their glyphs' 0.714 em), so boxes look the same.
_CHECK_INK, _RADIO_INK = 0.8 * 0.714, 0.62 * 0.714


@dataclass(frozen=True)
class TextBox:
    """A value laid out in a field: the font size, the lines, and whether all of it fits."""

    size: float
    lines: tuple[str, ...]
    fits: bool


def _wrap(font: EmbeddedFont, text: str, width: float, size: float) -> list[str]:
    """Greedy word wrap; a word wider than the box is broken between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if font.width(candidate, size) <= width or (not line and font.width(word, size) <= width):
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for char in word:  # an over-long word: break it
                if line and font.width(line + char, size) > width:
                    lines.append(line)
                    line = ""
                line += char
        lines.append(line)
    return lines


def fit_text(font: EmbeddedFont, text: str, width: float, height: float, *, multiline: bool) -> TextBox:
    """Choose the largest size (10 pt down to 4 pt) at which the text fits the box."""
    inner_w, inner_h = width - 2 * PADDING, height - 2 * PADDING
    if not multiline:
        text = text.replace("\n", " ")
        natural = font.width(text, 1.0)
        size = min(MAX_FONT_SIZE, inner_h * 0.75, inner_w / natural if natural else MAX_FONT_SIZE)
        size = max(MIN_FONT_SIZE, round(size - 0.05, 1))
        return TextBox(size, (text,), font.width(text, size) <= inner_w)
    size = MAX_FONT_SIZE
    while True:
        lines = _wrap(font, text, inner_w, size)
        needed = size * (font.ascent - font.descent) / 1000 + (len(lines) - 1) * size * LEADING
        if needed <= inner_h:
            return TextBox(size, tuple(lines), True)
        if size <= MIN_FONT_SIZE:
            return TextBox(size, tuple(lines), False)
        size = max(MIN_FONT_SIZE, round(size - 0.25, 2))


def _form_xobject(writer: PdfWriter, width: float, height: float, content: bytes,
                  fonts: dict[str, IndirectObject]) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(content)
    stream.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(round(width, 2)),
                                          FloatObject(round(height, 2))]),
        NameObject("/Resources"): DictionaryObject({NameObject("/Font"): DictionaryObject(
            {NameObject(k): v for k, v in fonts.items()})}) if fonts else DictionaryObject(),
    })
    stream.update({NameObject("/FormType"): NumberObject(1)})
    return writer._add_object(stream.flate_encode())


def text_appearance(writer: PdfWriter, font_ref: IndirectObject, width: float, height: float, value: str,
                    *, multiline: bool) -> tuple[IndirectObject, TextBox]:
    """The /N appearance of a text field showing ``value`` (an empty one for "")."""
    font = EmbeddedFont.load()
    ops = [b"/Tx BMC"]
    box = fit_text(font, value, width, height, multiline=multiline)
    if value:
        size = box.size
        # Multi-line text starts at the top; one line is centred on its cap height.
        baseline = height - PADDING - font.ascent * size / 1000 if multiline else (height - 0.714 * size) / 2
        ops += [b"q", f"1 1 {width - 2:.2f} {height - 2:.2f} re W n".encode(), b"BT",
                f"{FONT_RESOURCE} {size:g} Tf 0 g".encode(), f"{PADDING:g} {baseline:.2f} Td".encode()]
        for i, line in enumerate(box.lines):
            if i:
                ops.append(f"0 {-size * LEADING:.3f} Td".encode())
            ops.append(b"<" + font.encode(line).hex().upper().encode() + b"> Tj")
        ops += [b"ET", b"Q"]
    ops.append(b"EMC")
    return _form_xobject(writer, width, height, b"\n".join(ops), {FONT_RESOURCE: font_ref}), box


def choice_appearance(writer: PdfWriter, zadb_ref: IndirectObject, size: float, *, radio: bool,
                      on: bool) -> IndirectObject:
    """A checkbox's or radio button's on/off appearance; "on" is a glyph of the embedded mark font
    (:mod:`._marks`), not a path, so it survives flattening as text."""
    if not on:
        return _form_xobject(writer, size, size, b"", {})
    mark, ink = (RADIO, _RADIO_INK) if radio else (CHECK, _CHECK_INK)
    font_size, x, y = mark.placement(size, ink * size)
    content = f"q BT {ZADB_RESOURCE} {font_size:.2f} Tf 0 g {x:.2f} {y:.2f} Td ({mark.code}) Tj ET Q".encode()
    return _form_xobject(writer, size, size, content, {ZADB_RESOURCE: zadb_ref})
