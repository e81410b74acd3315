"""PDF pages as PNG images of our own making (pypdfium2, Apache-2.0/BSD), for the case and letters pages.

A customer's PDF may be hostile: every render runs in a child process (``python -m
klageformular.web._pdfpages``) with an address-space and CPU ceiling and a wall-clock timeout,
so a PDF that makes PDFium loop or allocate without end costs that child only (and at most two
children run at once per server process). The pixel
ceiling is checked before a page is drawn: a page is drawn :data:`WIDTH` pixels wide, and one
whose height would take it past :data:`MAX_PIXELS` (a strip a mile long) is refused, as is a page
past :data:`MAX_PAGES`. What comes back is a PNG we encoded, never the customer's bytes.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from dataclasses import dataclass

from ..exceptions import KlageformularError

__all__ = ["MAX_PAGES", "MAX_PIXELS", "WIDTH", "PageLimits", "RenderError", "page_count", "page_png"]

WIDTH = 900  # pixels: an A4 page at about 110 dpi, readable beside the record on a laptop
MAX_PIXELS = 6_000_000  # per image: an A4 page at WIDTH is 1.15 million
MAX_PAGES = 50  # pages of one document shown as images (the original is there to download)


class RenderError(KlageformularError):
    """A page that cannot be shown as an image (not a PDF, no such page, past a ceiling, the child died)."""


@dataclass(frozen=True)
class PageLimits:
    """The ceilings of one render: the child's memory and CPU seconds, and the parent's wait."""

    memory_bytes: int = 1_500_000_000
    cpu_seconds: int = 20
    timeout_seconds: float = 30.0
    max_input_bytes: int = 60_000_000  # above the register's largest document (50 MB)


# At most two children at a time per server process: a page of many thumbnails (or many officers
# at once) queues instead of starting a child per image with its own memory ceiling.
_RENDERERS = threading.BoundedSemaphore(2)


def _run(data: bytes, args: list[str], limits: PageLimits) -> bytes:
    if len(data) > limits.max_input_bytes:
        raise RenderError("the document is too large to show as images")
    if not _RENDERERS.acquire(timeout=limits.timeout_seconds):
        raise RenderError("the server is busy drawing other pages; try again")
    try:
        return _child_output(data, args, limits)
    finally:
        _RENDERERS.release()


def _child_output(data: bytes, args: list[str], limits: PageLimits) -> bytes:
    try:
        # The ceilings are set by the child itself, first thing (no preexec_fn: the server has threads).
        done = subprocess.run([sys.executable, "-m", "klageformular.web._pdfpages", str(limits.memory_bytes),
                               str(limits.cpu_seconds), *args], input=data, capture_output=True,
                              timeout=limits.timeout_seconds, check=False,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
    except subprocess.TimeoutExpired:
        raise RenderError("the page took too long to draw") from None
    if done.returncode != 0:
        # The child's own one-line reason (our words, never the document's), else how it ended.
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(reason[-1][:200] if reason and done.returncode == 3 else
                          f"the page could not be drawn (the renderer ended with {done.returncode})")
    return done.stdout


def page_count(data: bytes, *, limits: PageLimits | None = None) -> int:
    """How many pages the PDF ``data`` has (:class:`RenderError` when it cannot be opened)."""
    return int(_run(data, ["count"], limits or PageLimits()).decode("ascii").strip())


def page_png(data: bytes, page: int, *, width: int = WIDTH, limits: PageLimits | None = None) -> bytes:
    """Page ``page`` (1-based) of the PDF ``data`` as a PNG ``width`` pixels wide."""
    if not 1 <= page <= MAX_PAGES:
        raise RenderError(f"only pages 1 to {MAX_PAGES} are shown as images")
    return _run(data, ["page", str(page), str(width)], limits or PageLimits())


def _child(argv: list[str]) -> int:  # pragma: no cover - measured through the parent's tests
    import resource

    memory, cpu, argv = int(argv[0]), int(argv[1]), argv[2:]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    import pypdfium2 as pdfium

    data = sys.stdin.buffer.read()
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        print("the document is not a PDF that can be opened", file=sys.stderr)
        return 3
    if argv[0] == "count":
        print(len(pdf))
        return 0
    number, width = int(argv[1]), int(argv[2])
    if number > len(pdf):
        print(f"the document has {len(pdf)} page(s)", file=sys.stderr)
        return 3
    page = pdf[number - 1]
    page_width, page_height = page.get_size()
    if page_width <= 0 or page_height <= 0:
        print("the page has no size", file=sys.stderr)
        return 3
    scale = width / page_width
    if width * page_height * scale > MAX_PIXELS:
        print("the page is too tall to show as an image", file=sys.stderr)
        return 3
    image = page.render(scale=scale, may_draw_forms=True).to_pil()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    sys.stdout.buffer.write(out.getvalue())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_child(sys.argv[1:]))
