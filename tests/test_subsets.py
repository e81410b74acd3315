"""reportlab's ToUnicode maps rewritten into valid CMaps (_tounicode.py), so printing keeps the text."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from klageformular import render_form
from klageformular._pages import identifier
from klageformular.layout import LAYOUT
from klageformular.locales import Texts

from .conftest import require_tool, run_tool


def _maps(pdf: bytes) -> list[bytes]:
    reader = PdfReader(io.BytesIO(pdf))
    return [font.get_object()["/ToUnicode"].get_data() for page in reader.pages
            for font in page["/Resources"]["/Font"].values() if "/ToUnicode" in font.get_object()]


def test_every_block_holds_at_most_100_entries_and_no_null_mappings() -> None:
    maps = _maps(render_form("sv", org="kameo-se"))
    assert maps
    for data in maps:
        counts = [int(n) for n in re.findall(rb"(\d+) beginbfchar", data)]
        assert counts and max(counts) <= 100
        assert b"<0000>" not in data
    assert any(b"<00B7>" in data for data in maps)  # the page line's "·"


@pytest.mark.parametrize("lang", ["da", "sv"])
def test_the_page_line_survives_ghostscript(lang: str, tmp_path: Path) -> None:
    """Before the rewrite ghostscript dropped the printed text's map: "·", æ, ø, å came out as (cid:N)."""
    require_tool("gs")
    source, printed = tmp_path / "form.pdf", tmp_path / "printed.pdf"
    source.write_bytes(render_form(lang))
    run_tool("gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite", f"-sOutputFile={printed}", source)
    text = run_tool("pdftotext", "-l", "1", printed, "-").stdout.decode()
    assert identifier(Texts.of(lang), 1, LAYOUT.page_count) in text
    assert Texts.of(lang).text("title") in text
