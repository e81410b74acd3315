"""The page code: what it holds, where it sits, and that a real decoder reads it off every rendered page."""

from __future__ import annotations

import io

import pdfplumber
import pytest

from klageformular import render_form
from klageformular._pagecode import CODE_RECT, layout_hash, parse_payload, payload
from klageformular.layout import FORM_VERSION, LAYOUT, REGISTRATION_MARKS
from klageformular.locales import available_languages
from klageformular.org import organisation_keys


def test_payload_round_trip() -> None:
    code = parse_payload(payload("sv", "kameo-se", 2))
    assert code is not None
    assert (code.version, code.lang, code.org, code.page, code.pages) == (FORM_VERSION, "sv", "kameo-se", 2,
                                                                           LAYOUT.page_count)
    assert code.layout == layout_hash() and code.current


@pytest.mark.parametrize("text", ["", "hello", "KF 1.0 DA KAMEO-DK X/3 ABCD",
                                      "KF 1.0 DA KAMEO-DK 1/3", "QR 1.0 DA KAMEO-DK 1/3 ABCD"])
def test_foreign_texts_are_not_page_codes(text: str) -> None:
    assert parse_payload(text) is None


def test_a_code_from_another_layout_is_not_current() -> None:
    code = parse_payload(payload("da", "kameo-dk", 1).rsplit(" ", 1)[0] + " 00000000")
    assert code is not None and not code.current


def test_payload_keeps_to_qr_alphanumerics() -> None:
    # Alphanumeric mode keeps the symbol at version 2; one lower-case letter would force byte mode.
    allowed = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    for org in organisation_keys():
        assert set(payload("nb", org, 3)) <= allowed


def test_the_code_sits_clear_of_fields_blocks_and_marks() -> None:
    def overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    code = (CODE_RECT.x0 - 4, CODE_RECT.y0 - 4, CODE_RECT.x1 + 4, CODE_RECT.y1 + 4)  # with a quiet zone
    for spec in LAYOUT.fields:
        assert not overlaps(code, (spec.rect.x0, spec.rect.y0, spec.rect.x1, spec.rect.y1 + 11)), spec.path
    for block in LAYOUT.blocks:
        assert not overlaps(code, (block.rect.x0, block.rect.y0, block.rect.x1, block.rect.y1)), block.key
    for x, y in REGISTRATION_MARKS:
        assert not overlaps(code, (x - 4, y - 4, x + 4, y + 4))
    # An A4 page printed at actual size on Letter loses about 25 pt at its foot.
    assert CODE_RECT.y0 - 4 > 25


@pytest.mark.parametrize("lang", available_languages())
def test_no_text_is_printed_over_the_code(lang: str) -> None:
    for org in organisation_keys():
        with pdfplumber.open(io.BytesIO(render_form(lang, org=org))) as pdf:
            for page in pdf.pages:
                top, bottom = page.height - CODE_RECT.y1, page.height - CODE_RECT.y0
                for word in page.extract_words():
                    inside = word["x1"] > CODE_RECT.x0 and word["bottom"] > top and word["top"] < bottom
                    assert not inside, (lang, org, page.page_number, word["text"])


def test_every_rendered_page_carries_its_code() -> None:
    zxingcpp = pytest.importorskip("zxingcpp", reason="the optional [scan] extra (zxing-cpp) is not installed")
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(render_form("nb", org="kameo-no"))
    try:
        for index in range(len(document)):
            # 100 dpi: coarser than any scanner or fax, three pixels per module.
            image = document[index].render(scale=100 / 72).to_pil().convert("L")
            texts = [b.text for b in zxingcpp.read_barcodes(image)]
            assert texts == [payload("nb", "kameo-no", index + 1)]
    finally:
        document.close()
