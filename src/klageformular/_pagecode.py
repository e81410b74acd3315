"""The page code: a small QR code on every page of the form that names the page without OCR.

A printed, hand-filled and scanned form has no text layer and no fields; the code tells the
scan reader (:mod:`klageformular.scan`) which form, language, profile and page it looks at,
and whether the printed layout is the one this library knows (the layout hash). Its four
corners also give a first estimate of the page's position, from which the registration marks
are found.

The payload uses only QR's alphanumeric characters (upper case, digits, ``-./ :``), which
keeps the symbol at version 2 (25 modules): 0.48 mm per module at 34 pt, about three pixels at
150 dpi. Profile keys are lower case by rule, so upper-casing them loses nothing.

>>> parse_payload(payload("da", "kameo-dk", 2)).page
2
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from .layout import FORM_VERSION, LAYOUT, MARGIN, PAGE_WIDTH, Rect

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

__all__ = ["CODE_RECT", "PageCode", "draw_page_code", "layout_hash", "parse_payload", "payload"]

_PREFIX = "KF"
# Bottom right, above the organisation's line: clear of every field and of the signature, inside
# the printable area of any office printer, and above the 25 pt an A4 page loses at the foot
# when a Letter printer prints it at actual size.
CODE_SIZE = 34.0
CODE_RECT = Rect(PAGE_WIDTH - MARGIN - CODE_SIZE, 38.0, PAGE_WIDTH - MARGIN, 38.0 + CODE_SIZE)


@dataclass(frozen=True)
class PageCode:
    """What a page code says: the form version, language, profile key, page and layout hash."""

    version: str
    lang: str
    org: str
    page: int
    pages: int
    layout: str

    @property
    def current(self) -> bool:
        """The page was printed from the layout this library reads (same version and hash)."""
        return self.version == FORM_VERSION and self.layout == layout_hash()


@cache
def layout_hash() -> str:
    """Eight hex digits over every field's page, kind and rectangle (and the page code's own place).

    A form printed from another layout (a moved box) must not be read with this one's rectangles.
    """
    shape = [[f.path, f.kind.value, f.page, f.rect.as_list(), [o.rect.as_list() for o in f.options]]
             for f in LAYOUT.fields]
    shape.append(["code", CODE_RECT.as_list()])
    digest = hashlib.sha256(json.dumps(shape, separators=(",", ":")).encode()).hexdigest()
    return digest[:8].upper()


def payload(lang: str, org: str, page: int) -> str:
    """The text a page's code holds: ``KF 1.0 DA KAMEO-DK 2/3 1A2B3C4D``."""
    return f"{_PREFIX} {FORM_VERSION} {lang} {org} {page}/{LAYOUT.page_count} {layout_hash()}".upper()


def parse_payload(text: str) -> PageCode | None:
    """The page code in a decoded QR text, or None when it is not one of ours."""
    parts = text.split(" ")
    if len(parts) != 6 or parts[0] != _PREFIX:
        return None
    _, version, lang, org, numbers, layout = parts
    page, _, pages = numbers.partition("/")
    if not (page.isdigit() and pages.isdigit()):
        return None
    return PageCode(version, lang.lower(), org.lower(), int(page), int(pages), layout)


def draw_page_code(canvas: Canvas, lang: str, org: str, page: int) -> None:
    """Draw the page's code into :data:`CODE_RECT` as filled rectangles (deterministic vectors)."""
    import segno

    # Error correction M: survives a smudge or a staple hole and still fits version 2.
    qr = segno.make_qr(payload(lang, org, page), error="m", boost_error=False)
    rows = [list(row) for row in qr.matrix]
    module = CODE_SIZE / len(rows)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            # One rectangle per run of dark modules: fewer operators, no hairline seams between them.
            path.rect(CODE_RECT.x0 + start * module, CODE_RECT.y1 - (r + 1) * module, (c - start) * module, module)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
