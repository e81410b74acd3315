"""The check-mark font (_marks.py): the metrics written into the PDF are the font file's, and its
cmaps answer ZapfDingbats's codes, so a viewer redrawing a box from /MK /CA draws the same mark."""

from __future__ import annotations

import io
from importlib import resources
from typing import cast

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from klageformular import render_form
from klageformular._marks import ASSET, BASE_FONT_NAME, CHECK, MARKS, RADIO


def _font() -> TTFont:
    return TTFont(io.BytesIO((resources.files("klageformular") / "assets" / ASSET).read_bytes()))


def test_the_metrics_are_the_font_files() -> None:
    font = _font()
    assert font["head"].unitsPerEm == 1000
    cmap = {(t.platformID, t.platEncID): t.cmap for t in font["cmap"].tables}
    assert set(cmap) == {(1, 0), (3, 0)}  # symbolic: only the code tables, no Unicode one to disagree
    for mark in MARKS:
        code = ord(mark.code)
        glyph = cmap[(1, 0)][code]
        assert cmap[(3, 0)][0xF000 + code] == glyph
        advance, _ = font["hmtx"][glyph]
        ink = font["glyf"][glyph]
        assert (advance, ink.yMin, ink.yMax) == (mark.width, mark.ink_bottom, mark.ink_top)
        assert abs((ink.xMin + ink.xMax) / 2 - advance / 2) <= 2  # placement() centres by the advance


def test_the_marks_sit_at_zapfdingbats_codes() -> None:
    assert (CHECK.code, CHECK.char, RADIO.code, RADIO.char) == ("4", "\u2714", "l", "\u25cf")


def test_a_mark_is_centred_in_its_box() -> None:
    size, x, y = CHECK.placement(11, 6.3)
    assert size * (CHECK.ink_top - CHECK.ink_bottom) / 1000 == pytest.approx(6.3)
    assert x + size * CHECK.width / 2000 == pytest.approx(5.5)
    assert y + size * (CHECK.ink_top + CHECK.ink_bottom) / 2000 == pytest.approx(5.5)


def test_the_fields_use_the_embedded_mark_font_and_its_text_is_the_mark() -> None:
    reader = PdfReader(io.BytesIO(render_form("da")))
    font = reader.trailer["/Root"]["/AcroForm"]["/DR"]["/Font"]["/ZaDb"]
    assert font["/BaseFont"] == BASE_FONT_NAME and "/FontFile2" in font["/FontDescriptor"]
    assert font["/FontDescriptor"]["/Flags"] == 4 and "/Encoding" not in font
    unicode_map = font["/ToUnicode"].get_data()
    assert b"<34> <2714>" in unicode_map and b"<6C> <25CF>" in unicode_map  # a text layer reads the mark
    annots = cast("list[IndirectObject]", reader.pages[0]["/Annots"])
    widget = next(a.get_object() for a in annots if a.get_object().get("/AS") is not None)
    on = next(v for k, v in widget["/AP"]["/N"].items() if k != "/Off").get_object()
    assert b"/ZaDb" in on.get_data() and on["/Resources"]["/Font"]["/ZaDb"] == font
