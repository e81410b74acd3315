"""Page images from a received file, within limits: a PDF of scanned pages, or PNG/JPEG/TIFF files.

Every page becomes one greyscale ``numpy`` array at about 200 dpi (the resolution the page is
read at; a 600 dpi scan is reduced first, which also bounds the work per page). What a hostile
file could make us allocate is checked *before* decoding: an image's declared size against
``Limits.max_scan_pixels`` (Pillow reads it from the header), a PDF page's rendered size, and
the size of every image a PDF page draws (pdfium would decode each one whole).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..exceptions import ImageReadError, ImageTooLargeError, TooManyPagesError
from ..layout import PAGE_HEIGHT

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from .._limits import Limits

__all__ = ["IMAGE_KINDS", "WORK_DPI", "PdfPage", "image_kind", "image_pages", "pdf_pages"]

WORK_DPI = 200.0
IMAGE_KINDS = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg", b"II*\x00": "tiff", b"MM\x00*": "tiff"}


def image_kind(data: bytes) -> str | None:
    """``png``, ``jpeg`` or ``tiff`` from the file's first bytes (never from its name), else None."""
    return next((kind for magic, kind in IMAGE_KINDS.items() if data.startswith(magic)), None)


def _check_pixels(width: int, height: int, limits: Limits) -> None:
    if width <= 0 or height <= 0:
        raise ImageReadError("an image with no pixels")
    if width * height > limits.max_scan_pixels:
        raise ImageTooLargeError(f"a page image of {width:,} x {height:,} pixels; the limit is "
                                 f"{limits.max_scan_pixels:,} pixels (a decompression bomb?)",
                                 limit="max_scan_pixels", value=width * height, maximum=limits.max_scan_pixels)


def _to_work_size(gray: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Reduce a page image whose long side is beyond an A4 page's at the working resolution."""
    import cv2
    import numpy as np

    target = PAGE_HEIGHT / 72.0 * WORK_DPI * 1.15  # a little room for a photo's margin around the page
    long_side = max(gray.shape)
    if long_side <= target:
        return gray
    factor = target / long_side
    size = (max(1, round(gray.shape[1] * factor)), max(1, round(gray.shape[0] * factor)))
    return np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def image_pages(data: bytes, limits: Limits) -> Iterator[npt.NDArray[np.uint8]]:
    """Each frame of a PNG, JPEG or (multi-page) TIFF as a greyscale page."""
    import numpy as np
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            # Our own pixel limit is lower than Pillow's bomb warning; a bigger image is refused below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ImageTooLargeError("the image declares more pixels than any scanned page has (a decompression "
                                 "bomb?)", limit="max_scan_pixels", maximum=limits.max_scan_pixels) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageReadError(f"the image cannot be read ({type(exc).__name__})") from None
    frames = getattr(image, "n_frames", 1)
    if frames > limits.max_pages:
        raise TooManyPagesError(f"{frames} pages; the limit is {limits.max_pages}", limit="max_pages",
                                value=frames, maximum=limits.max_pages)
    for frame in range(frames):
        try:
            image.seek(frame)
            _check_pixels(image.width, image.height, limits)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                # A phone's EXIF orientation turns the picture; the code would be found either way,
                # but the crops an officer sees should stand upright.
                if image.format == "JPEG":
                    # The decoder's own down-scaling: a 300 dpi photo decoded at half size, fast.
                    factor = _reduction(max(image.size))
                    image.draft("L", (image.width // factor, image.height // factor))
                gray = ImageOps.exif_transpose(image).convert("L") if frame == 0 else image.convert("L")
                array = np.asarray(gray, dtype=np.uint8)
        except (ImageTooLargeError, ImageReadError):
            raise
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            # A truncated JPEG, a TIFF with a broken strip table …
            raise ImageReadError(f"page {frame + 1} of the image cannot be decoded ({type(exc).__name__})") from None
        yield _to_work_size(array)


def _reduction(long_side: int) -> int:
    """The JPEG decoder's own down-scaling (1, 2, 4 or 8) that keeps a page at 140 dpi or more.

    Decoding a 300 dpi scan at half size costs a fraction of decoding it whole and resizing.
    """
    floor = PAGE_HEIGHT / 72.0 * 140
    factor = 1
    while factor < 8 and long_side / (factor * 2) >= floor:
        factor *= 2
    return factor


class PdfPage:
    """One page of a scanned PDF: its one JPEG decoded directly, else (or when that is not read) rendered."""

    def __init__(self, document: object, index: int, limits: Limits):
        self.document, self.index, self.limits = document, index, limits

    def direct(self) -> npt.NDArray[np.uint8] | None:
        """The page's only image when it is a JPEG (what scanners write), decoded reduced; else None.

        The image's placement on the page does not matter: the marks give the geometry.
        """
        import cv2
        import numpy as np
        import pypdfium2.raw as pdfium_c

        page = self.document[self.index]  # type: ignore[index]
        try:
            images = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=1))
            if len(images) != 1 or images[0].get_filters() != ["DCTDecode"]:
                return None
            width, height = images[0].get_px_size()
            _check_pixels(width, height, self.limits)
            raw = np.frombuffer(bytes(images[0].get_data(decode_simple=False)), dtype=np.uint8)
        finally:
            page.close()
        flags = {1: cv2.IMREAD_GRAYSCALE, 2: cv2.IMREAD_REDUCED_GRAYSCALE_2, 4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
                 8: cv2.IMREAD_REDUCED_GRAYSCALE_8}[_reduction(max(width, height))]
        gray = cv2.imdecode(raw, flags)
        return None if gray is None else _to_work_size(np.asarray(gray, dtype=np.uint8))

    def rendered(self) -> npt.NDArray[np.uint8]:
        """The page rendered at :data:`WORK_DPI` (lower when a page is very large)."""
        import numpy as np

        page = self.document[self.index]  # type: ignore[index]
        try:
            points = page.get_width() * page.get_height()
            scale = WORK_DPI / 72.0
            # A page far larger than A4 is rendered smaller rather than refused: it is then
            # simply not our form (no code is found at that size).
            if points * scale * scale > self.limits.max_scan_pixels:
                scale = (self.limits.max_scan_pixels / points) ** 0.5
            bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=False)
            try:
                array = np.array(bitmap.to_numpy(), dtype=np.uint8)
            finally:
                bitmap.close()
        finally:
            page.close()
        return array[:, :, 0] if array.ndim == 3 else array


def pdf_pages(data: bytes, limits: Limits, page_indices: list[int],
              images: list[tuple[int, int]]) -> Iterator[PdfPage]:
    """The given pages of a PDF, to be decoded or rendered one at a time.

    ``images`` are the (width, height) of the largest image each page draws, checked first:
    pdfium would decode each one whole.
    """
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ImageReadError(f"the scanned PDF cannot be rendered ({str(exc)[:80]})") from None
    try:
        for index, (width, height) in zip(page_indices, images, strict=True):
            if width and height:
                _check_pixels(width, height, limits)
            yield PdfPage(document, index, limits)
    finally:
        document.close()
