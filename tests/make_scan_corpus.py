"""Make a scan corpus from the real form: filled by "hand", printed, scanned, photographed.

Usage: python tests/make_scan_corpus.py OUTDIR [--full]

Each case is the rendered form with values written over it in a handwriting-like font
(Humor Sans, Debian's ``fonts-humor-sans``) in pen colours, and tick marks of several kinds
(cross, tick, filled, scribbled out) drawn into the boxes; ghostscript prints the pages to
images (150/200/300/600 dpi, greyscale, bitonal or colour); OpenCV turns them by quarter turns
plus a skew of up to ±3°, blurs, adds noise, and a phone-photo-like case a perspective and
uneven light; each scan is saved as JPEG or PNG and wrapped into a PDF with img2pdf, or kept as
an image file. The truth comes from what was drawn: ``OUTDIR/<case>.json`` beside each file
lists every box's mark, which text boxes hold writing, whether it was signed, and each page's
matrix from page points to the scan's pixels (for the crop alignment error).

Deterministic: a fixed seed per case, so a failing case can be made again by name.
"""

from __future__ import annotations

import io
import json
import math
import random
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import img2pdf
import numpy as np
import numpy.typing as npt
from pypdf import PdfReader, PdfWriter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from klageformular import render_form
from klageformular.layout import LAYOUT, PAGE_HEIGHT, PAGE_WIDTH, Block, Kind, Rect

Pixels = npt.NDArray[Any]  # what OpenCV returns: its stubs type every image as a generic array
HAND_FONT = Path("/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf")
MARKS = ("cross", "tick", "filled", "scribbled")
_WORDS = ["Jensen", "Ørsted", "Nørrebrogade 12", "2200", "København N", "Danmark", "+45 20 30 40 50",
          "k.jensen@example.dk", "LN-4411", "Solpark II", "12.03.2025", "15000", "DKK", "Aarhus", "Åse Berg"]


@dataclass(frozen=True)
class Scan:
    """How one filled form is scanned."""

    name: str
    dpi: int
    turn: int  # quarter turns (0, 90, 180, 270)
    skew: float  # degrees
    mode: str = "gray"  # gray, mono (bitonal), colour
    blur: float = 0.0
    noise: float = 0.0
    jpeg: int | None = 85  # JPEG quality, or None for PNG
    wrap: str = "pdf"  # pdf or image
    phone: bool = False
    pages: tuple[int, ...] = (1, 2, 3)  # form pages in file order
    seed: int = 0


@dataclass
class Truth:
    """What was drawn on the form: the corpus's answer key."""

    ticks: dict[str, str] = field(default_factory=dict)  # "path" or "path#export" -> empty/cross/…
    written: list[str] = field(default_factory=list)  # text fields with writing
    signed: bool = False
    pages: list[dict[str, Any]] = field(default_factory=list)  # per file page: form page, matrix, size


def _font() -> str:
    if "Hand" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("Hand", str(HAND_FONT)))
    return "Hand"


def _mark(c: Canvas, rect: Rect, kind: str, rnd: random.Random) -> None:
    x0, y0, x1, y1 = rect.x0, rect.y0, rect.x1, rect.y1
    def j() -> float:  # a hand never hits the same spot twice
        return rnd.uniform(-0.8, 0.8)

    c.setLineWidth(rnd.uniform(0.9, 1.4))
    c.setLineCap(1)
    if kind == "cross":
        c.line(x0 + 1 + j(), y0 + 1 + j(), x1 - 1 + j(), y1 - 1 + j())
        c.line(x0 + 1 + j(), y1 - 1 + j(), x1 - 1 + j(), y0 + 1 + j())
    elif kind == "tick":
        p = c.beginPath()
        p.moveTo(x0 + 1.5 + j(), y0 + 5.5 + j())
        p.lineTo(x0 + 4.5 + j(), y0 + 1.5 + j())
        p.lineTo(x1 + 1.5 + j(), y1 + 2.5 + j())
        c.drawPath(p, stroke=1, fill=0)
    elif kind == "filled":
        c.rect(x0 + 0.6, y0 + 0.6, rect.width - 1.2, rect.height - 1.2, stroke=0, fill=1)
    elif kind == "scribbled":
        # A tick first, then struck out with a dense zigzag that runs over the edges.
        _mark(c, rect, rnd.choice(("cross", "tick")), rnd)
        c.setLineWidth(1.3)
        p = c.beginPath()
        steps = 9
        for i in range(steps + 1):
            y = y0 - 2.5 + (rect.height + 5) * i / steps
            if i == 0:
                p.moveTo(x0 - 3 + j(), y + j())
            p.lineTo((x1 + 3 if i % 2 else x0 - 3) + j(), y + j())
        c.drawPath(p, stroke=1, fill=0)
        p = c.beginPath()
        for i in range(steps + 1):
            x = x0 - 2.5 + (rect.width + 5) * i / steps
            if i == 0:
                p.moveTo(x + j(), y0 - 3)
            p.lineTo(x + j(), (y1 + 3 if i % 2 else y0 - 3) + j())
        c.drawPath(p, stroke=1, fill=0)


def _signature(c: Canvas, block: Block, rnd: random.Random) -> None:
    r = block.rect
    p = c.beginPath()
    x, y = r.x0 + 20, r.y0 + 18
    p.moveTo(x, y)
    for _ in range(14):
        x += rnd.uniform(5, 12)
        p.curveTo(x - 4, y + rnd.uniform(4, 16), x - 2, y - rnd.uniform(2, 8), x, y + rnd.uniform(-3, 6))
    c.setLineWidth(1.1)
    c.drawPath(p, stroke=1, fill=0)


def _fill(seed: int) -> tuple[bytes, Truth]:
    """The rendered form with handwriting and marks drawn over it, and what was drawn."""
    rnd = random.Random(seed)
    truth = Truth()
    ink = rnd.choice([(0.08, 0.12, 0.55), (0.05, 0.05, 0.08), (0.1, 0.2, 0.7)])  # blue, black, royal blue
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True)
    font = _font()
    for page in range(1, LAYOUT.page_count + 1):
        c.setStrokeColorRGB(*ink)
        c.setFillColorRGB(*ink)
        for spec in LAYOUT.fields_on(page):
            if spec.kind is Kind.CHECKBOX:
                kind = rnd.choice(("empty", "empty", *MARKS))
                truth.ticks[spec.path] = kind
                if kind != "empty":
                    _mark(c, spec.rect, kind, rnd)
            elif spec.kind is Kind.RADIO:
                chosen = rnd.randrange(len(spec.options) + 1)  # == len: none ticked
                for i, option in enumerate(spec.options):
                    kind = rnd.choice(MARKS[:3]) if i == chosen else "empty"
                    if kind == "empty" and rnd.random() < 0.12:
                        kind = "scribbled"  # changed their mind
                    truth.ticks[f"{spec.path}#{option.export}"] = kind
                    if kind != "empty":
                        _mark(c, option.rect, kind, rnd)
            elif rnd.random() < 0.55:
                truth.written.append(spec.path)
                size = min(11.0, spec.rect.height - 4)
                c.setFont(font, size)
                text = rnd.choice(_WORDS)
                while c.stringWidth(text, font, size) > spec.rect.width - 6:
                    text = text[:-1]
                y = spec.rect.y1 - size - 1.5 if spec.multiline else spec.rect.y0 + 3.5
                c.drawString(spec.rect.x0 + 3 + rnd.uniform(0, 4), y + rnd.uniform(-0.8, 0.8), text)
        for block in LAYOUT.blocks:
            if block.kind == "signature" and block.page == page and rnd.random() < 0.75:
                truth.signed = True
                _signature(c, block, rnd)
        c.showPage()
    c.save()
    overlay = PdfReader(buf)
    writer = PdfWriter(clone_from=io.BytesIO(render_form("da")))
    for filled, over in zip(writer.pages, overlay.pages, strict=True):
        filled.merge_page(over)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), truth


def _print(pdf: bytes, dpi: int, mode: str, work: Path) -> list[Pixels]:
    """Ghostscript prints the pages to images: what a printer and a scanner's sensor see."""
    device = {"gray": "pnggray", "mono": "pngmono", "colour": "png16m"}[mode]
    src = work / "filled.pdf"
    src.write_bytes(pdf)
    subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", f"-sDEVICE={device}", f"-r{dpi}",
                    "-dTextAlphaBits=4", "-dGraphicsAlphaBits=4" if mode != "mono" else "-dGraphicsAlphaBits=1",
                    f"-sOutputFile={work}/p%d.png", str(src)], check=True)
    pages = []
    for n in range(1, LAYOUT.page_count + 1):
        image = cv2.imread(str(work / f"p{n}.png"), cv2.IMREAD_COLOR if mode == "colour" else cv2.IMREAD_GRAYSCALE)
        assert image is not None
        pages.append(image)
    return pages


def _scan(image: Pixels, scan: Scan, rnd: random.Random) -> tuple[Pixels, npt.NDArray[np.float64]]:
    """Turn, skew, blur, noise (and a phone's perspective); returns the image and its pixel matrix."""
    h, w = image.shape[:2]
    angle = scan.turn + scan.skew
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
    nw, nh = int(h * sin + w * cos) + 40, int(h * cos + w * sin) + 40
    rot[0, 2] += nw / 2 - w / 2
    rot[1, 2] += nh / 2 - h / 2
    white = (255, 255, 255) if image.ndim == 3 else 255
    out = cv2.warpAffine(image, rot, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=white)
    matrix = np.vstack([rot, [0, 0, 1]])
    if scan.phone:
        m = 0.04 * min(nw, nh)
        src = np.array([[0, 0], [nw, 0], [nw, nh], [0, nh]], dtype=np.float32)
        dst = np.array([[m * rnd.uniform(0.5, 1.5), m * rnd.uniform(0, 1)], [nw - m * rnd.uniform(0, 1), 0],
                          [nw - m * rnd.uniform(0.5, 1.5), nh], [m * rnd.uniform(0, 1), nh - m]], dtype=np.float32)
        persp = cv2.getPerspectiveTransform(src, dst)
        out = cv2.warpPerspective(out, persp, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=white)
        matrix = persp @ matrix
        # Uneven light: a phone's flash falls off towards one side.
        shade = np.linspace(1.0, 0.78, nw, dtype=np.float32)[None, :]
        out = (out.astype(np.float32) * (shade[..., None] if out.ndim == 3 else shade)).astype(np.uint8)
    if scan.blur:
        out = cv2.GaussianBlur(out, (0, 0), scan.blur)
    if scan.noise:
        noise = np.random.default_rng(scan.seed).normal(0, scan.noise, out.shape)
        out = np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if scan.mode == "mono":
        out = np.where(out > 128, 255, 0).astype(np.uint8)
    return out, matrix


def _encode(image: Pixels, scan: Scan) -> tuple[bytes, str]:
    if scan.jpeg is not None and scan.mode != "mono":
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, scan.jpeg])
        suffix = "jpg"
    else:
        ok, data = cv2.imencode(".png", image)
        suffix = "png"
    assert ok
    return bytes(data.tobytes()), suffix


def make_case(scan: Scan, outdir: Path) -> Path:
    """Write one scanned case (and its truth JSON); returns the file's path."""
    rnd = random.Random(scan.seed * 7919 + 13)
    pdf, truth = _fill(scan.seed)
    with tempfile.TemporaryDirectory() as tmp:
        printed = _print(pdf, scan.dpi, scan.mode, Path(tmp))
    images: list[bytes] = []
    suffix = "png"
    pixel = np.array([[scan.dpi / 72, 0, 0], [0, -scan.dpi / 72, PAGE_HEIGHT * scan.dpi / 72], [0, 0, 1]])
    for number in scan.pages:
        image, matrix = _scan(printed[number - 1], scan, rnd)
        data, suffix = _encode(image, scan)
        images.append(data)
        truth.pages.append({"page": number, "matrix": (matrix @ pixel).tolist(),
                            "size": [int(image.shape[1]), int(image.shape[0])]})
    if scan.wrap == "pdf":
        path = outdir / f"{scan.name}.pdf"
        layout = img2pdf.get_fixed_dpi_layout_fun((scan.dpi, scan.dpi))
        path.write_bytes(img2pdf.convert(images, layout_fun=layout))
    else:
        assert len(images) == 1, "an image file holds one page"
        path = outdir / f"{scan.name}.{suffix}"
        path.write_bytes(images[0])
    (outdir / f"{scan.name}.json").write_text(json.dumps({"scan": asdict(scan), "truth": asdict(truth)}, indent=1))
    return path


def cases(full: bool = False) -> list[Scan]:
    """The corpus: every resolution, turn and damage at least once; ``full`` adds many more seeds."""
    out = [
        Scan("gray-200-upright", 200, 0, 0.0, seed=1),
        Scan("gray-300-turned90", 300, 90, 1.2, blur=0.8, noise=6, seed=2),
        Scan("gray-150-upside-down", 150, 180, -2.1, jpeg=60, seed=3),
        Scan("mono-300-turned270", 300, 270, 2.7, mode="mono", jpeg=None, seed=4),
        Scan("colour-200-skewed", 200, 0, -3.0, mode="colour", noise=8, jpeg=70, seed=5),
        Scan("gray-600-fine", 600, 0, 0.6, jpeg=90, seed=6),
        Scan("phone-200", 200, 0, 1.5, mode="colour", blur=1.0, noise=5, jpeg=75, phone=True, seed=7),
        Scan("gray-200-reordered", 200, 90, -0.8, pages=(2, 3, 1), seed=8),
        Scan("gray-200-page2-only", 200, 0, 0.4, pages=(2,), seed=9),
        Scan("image-png-page1", 200, 0, 1.0, jpeg=None, wrap="image", pages=(1,), seed=10),
        Scan("image-jpeg-page2", 300, 180, -1.5, jpeg=80, wrap="image", pages=(2,), seed=11),
    ]
    if full:
        rnd = random.Random(2026)
        for i in range(40):
            dpi = rnd.choice((150, 200, 300))
            out.append(Scan(f"extra-{i:02d}-{dpi}", dpi, rnd.choice((0, 90, 180, 270)), round(rnd.uniform(-3, 3), 2),
                            mode=rnd.choice(("gray", "gray", "mono", "colour")), blur=rnd.choice((0, 0.6, 1.0)),
                            noise=rnd.choice((0, 4, 8)), jpeg=rnd.choice((None, 60, 85)),
                            phone=rnd.random() < 0.15, seed=100 + i))
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    outdir = Path(argv[0])
    outdir.mkdir(parents=True, exist_ok=True)
    for scan in cases(full="--full" in argv):
        print(make_case(scan, outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
