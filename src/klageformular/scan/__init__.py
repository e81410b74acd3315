"""The paper path: printed, hand-filled and scanned forms read without OCR.

A scan has no text layer and no fields. Each page of our form carries a page code (a QR code,
:mod:`klageformular._pagecode`) and four registration marks: the code names the page, the
marks fix its geometry (:mod:`._geometry`), and every field's rectangle from
:mod:`klageformular.layout` is then read on the upright page (:mod:`._fields`): check boxes
and radio buttons by the machine, each written box as an image for a person to key. Nothing
is recognised as text; everything uncertain is a review item.

Needs the ``[scan]`` extra (zxing-cpp, OpenCV headless, numpy); :func:`available` says
whether it is installed. Pages come from a PDF of page images (rasterized by pypdfium2) or
from PNG, JPEG and TIFF files (:mod:`._raster`), within :class:`~klageformular.parse.Limits`.

Not supported: forms printed from another layout (their code's layout hash differs), pages
whose marks are cut off (a Letter printer at actual size loses them), and photos steeper
than ``Limits.max_scan_skew_degrees``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..exceptions import ScanUnreadableError, UnsupportedFormVersionError
from ..layout import FORM_VERSION, LAYOUT, FieldSpec, Kind
from ..parse._budget import active_budget
from ..parse._warning import ParseWarning
from ..values import FieldValue

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from pypdf import PdfReader

    from .._limits import Limits
    from ._fields import BoxRead
    from ._geometry import Located
    from ._raster import PdfPage

__all__ = ["Crop", "ScanPage", "ScanRead", "TickRead", "available", "read_scan_images", "read_scan_pdf"]

_MIN_DPI = 90

_PROBLEMS = {
    "no_code": "no page code found (not our form, or the scan is too faint or too coarse)",
    "foreign_code": "a QR code that is not our page code (another document?)",
    "no_marks": "the four corner marks were not all found (cut off when printed or scanned?)",
    "skewed": "the page lies at too steep an angle to be read",
    "geometry": "the corner marks and the page code do not agree (a folded or torn page?)",
    "other_layout": "printed from another version of the form",
}


def available() -> bool:
    """True when the ``[scan]`` extra (zxing-cpp, OpenCV, numpy) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("zxingcpp", "cv2", "numpy"))


@dataclass(frozen=True)
class ScanPage:
    """One page of the file as read: its position, the form page its code names, and any problem."""

    index: int  # 0-based, in the file
    page: int | None  # the form's page number from its code
    problem: str | None
    skew_degrees: float = 0.0
    residual_pt: float = 0.0
    # Page points -> pixels of the page image as read (3 x 3, row-major); None when not located.
    homography: tuple[float, ...] | None = None
    size: tuple[int, int] = (0, 0)  # that page image's (width, height) in pixels


@dataclass(frozen=True)
class Crop:
    """A written box as an image: ``path`` is the field's JSON path (or ``signature``)."""

    path: str
    page: int
    png: bytes = field(repr=False)


@dataclass(frozen=True)
class TickRead:
    """One check box or radio button (``option`` is the radio's export value) as the machine read it."""

    path: str
    option: str | None
    state: str
    ink: float
    confidence: float


@dataclass
class ScanRead:
    """Everything read from one scanned file; ``values`` holds what the machine could read."""

    values: dict[str, FieldValue]
    warnings: list[ParseWarning]
    pages: list[ScanPage]
    crops: list[Crop]
    ticks: list[TickRead]
    language: str | None
    version: str | None
    organisation: str | None
    signature: bool | None  # ink in the signature box; None when its page was not read
    page_count: int


def read_scan_pdf(reader: PdfReader, data: bytes, limits: Limits) -> ScanRead:
    """Read a PDF of page images (no text layer): each page rasterized, then read as a scan."""
    from ._raster import pdf_pages

    _require()
    indices = list(range(len(reader.pages)))
    images = [_largest_image(p) for p in reader.pages]
    # A page code cannot be read below about 90 dpi (under two pixels per module): a scan whose
    # every page is such an image is refused before the image libraries are even loaded.
    dpi = [max(w, h) / max(float(p.mediabox.width), float(p.mediabox.height), 1.0) * 72
           for (w, h), p in zip(images, reader.pages, strict=True)]
    if dpi and all(0 < d < _MIN_DPI for d in dpi):
        raise ScanUnreadableError(f"{len(dpi)} of {len(dpi)} page(s) have no text layer (a scan?) and images under "
                                  f"{_MIN_DPI} dpi, too coarse for a page code: needs manual handling",
                                  reason="too_coarse")
    return _read(pdf_pages(data, limits, indices, images), limits)


def read_scan_images(data: bytes, limits: Limits) -> ScanRead:
    """Read a PNG, JPEG or (multi-page) TIFF file as scanned pages."""
    from ._raster import image_pages

    _require()
    return _read(image_pages(data, limits), limits)


def _require() -> None:
    if not available():
        raise ScanUnreadableError("a scan (no text layer): install klageformular[scan] to read scanned forms; "
                                  "until then it needs manual handling", reason="no_scan_reader")


def _largest_image(page: object) -> tuple[int, int]:
    """The (width, height) of the largest image a PDF page draws directly, from its dictionary."""
    from pypdf import PageObject
    from pypdf.generic import DictionaryObject

    assert isinstance(page, PageObject)
    best = (0, 0)
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject):
        return best
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, DictionaryObject):
        return best
    for ref in list(xobjects.values())[:1000]:
        obj = ref.get_object()
        if isinstance(obj, DictionaryObject) and obj.get("/Subtype") == "/Image":
            width, height = int(obj.get("/Width", 0) or 0), int(obj.get("/Height", 0) or 0)
            if width * height > best[0] * best[1]:
                best = (width, height)
    return best


def _read(images: Iterable[npt.NDArray[np.uint8] | PdfPage], limits: Limits) -> ScanRead:
    from ._fields import ink_mask
    from ._geometry import locate, to_canvas
    from ._raster import PdfPage

    budget = active_budget()
    located: list[tuple[int, Located, npt.NDArray[np.bool_] | None, npt.NDArray[np.uint8] | None]] = []
    for index, item in enumerate(images):
        if budget is not None:
            budget.check_deadline()  # per page: a slow page costs its own time, within the call's
        if isinstance(item, PdfPage):
            # A scanner's JPEG decoded directly; rendered by pdfium when there is none or it does not read.
            direct = item.direct()
            where = locate(direct, max_skew=limits.max_scan_skew_degrees) if direct is not None else None
            if where is None or direct is None or where.problem is not None:
                gray = item.rendered()
                where = locate(gray, max_skew=limits.max_scan_skew_degrees)
            else:
                gray = direct
        else:
            gray = item
            where = locate(gray, max_skew=limits.max_scan_skew_degrees)
        if where.problem is None and where.code is not None and not where.code.current:
            where = replace(where, problem="other_layout")
        canvas = to_canvas(gray, where.homography) if where.problem is None and where.homography is not None else None
        located.append((index, where, ink_mask(canvas) if canvas is not None else None, canvas))
    return _assemble(located)


def _assemble(located: list[tuple[int, Located, npt.NDArray[np.bool_] | None,
                                  npt.NDArray[np.uint8] | None]]) -> ScanRead:
    coded = [(i, w) for i, w, _, _ in located if w.code is not None]
    if not coded:
        problems = {w.problem for _, w, _, _ in located}
        reason = "foreign_code" if "foreign_code" in problems else "no_page_code"
        what = "a QR code that is not the form's page code" if reason == "foreign_code" else "no page code"
        raise ScanUnreadableError(f"{len(located)} of {len(located)} page(s) have no text layer (a scan?) and "
                                  f"{what} (another document, or a scan too poor to read): needs manual handling",
                                  reason=reason)
    if all(w.problem == "other_layout" for _, w in coded):
        code = coded[0][1].code
        assert code is not None
        raise UnsupportedFormVersionError(f"a scan of form version {code.version} (layout {code.layout}); this "
                                          f"library reads {FORM_VERSION}", version=code.version)
    first = next(w.code for _, w in coded if w.code is not None and w.problem != "other_layout")
    assert first is not None
    warnings: list[ParseWarning] = []
    pages: list[ScanPage] = []
    by_number: dict[int, int] = {}
    for index, where, _, _ in located:
        code = where.code
        h = tuple(float(v) for v in where.homography.ravel()) if where.homography is not None else None
        pages.append(ScanPage(index, code.page if code else None, where.problem, where.skew_degrees,
                              where.residual_pt, h, where.size))
        if code is None:
            continue
        if (code.lang, code.org) != (first.lang, first.org) or code.page in by_number:
            warnings.append(ParseWarning("two_forms", None, f"page {index + 1} of the file is page {code.page} of "
                                         "another copy of the form: the file may hold two complaints; only the "
                                         "first copy was read"))
            continue
        by_number[code.page] = index
    numbers = [p.page for p in pages if p.page is not None]
    if numbers != sorted(numbers):
        warnings.append(ParseWarning("pages_reordered", None, "the scanned pages were out of order; they were read "
                                     "in the order their page codes give"))
    extra = sum(1 for p in pages if p.page is None)
    if extra:
        warnings.append(ParseWarning("extra_pages", None, f"{extra} page(s) without the form's page code "
                                     "(attachments, or pages too poor to read) were not read"))
    values: dict[str, FieldValue] = {}
    crops: list[Crop] = []
    ticks: list[TickRead] = []
    signature: bool | None = None
    for number in LAYOUT.pages_with_fields():
        specs = list(LAYOUT.fields_on(number))
        if number not in by_number:
            for spec in specs:
                values[spec.path] = None
                warnings.append(ParseWarning("page_missing", spec.path, f"page {number} of the form is missing "
                                             "from this scan: the field could not be read"))
            continue
        index, where, ink, canvas = located[by_number[number]]
        if where.problem is not None or ink is None or canvas is None:
            reason = _PROBLEMS.get(where.problem or "", "the page could not be read")
            warnings.append(ParseWarning("page_unreadable", None, f"page {number} of the form (page {index + 1} of "
                                         f"the file): {reason}"))
            for spec in specs:
                values[spec.path] = None
                warnings.append(ParseWarning("page_unreadable", spec.path, f"page {number}: {reason}"))
            continue
        for spec in specs:
            values[spec.path] = _read_field(spec, ink, canvas, warnings, crops, ticks)
        signature = _signature(number, ink, canvas, crops, signature)
    if signature is False:
        warnings.append(ParseWarning("no_signature", None, "the signature box of the scan holds no ink"))
    return ScanRead(values, warnings, pages, crops, ticks, first.lang, first.version, first.org, signature,
                    len(located))


def _read_field(spec: FieldSpec, ink: npt.NDArray[np.bool_], canvas: npt.NDArray[np.uint8],
                warnings: list[ParseWarning], crops: list[Crop], ticks: list[TickRead]) -> FieldValue:
    from ._fields import crop, has_writing, read_box

    if spec.kind is Kind.CHECKBOX:
        box = read_box(ink, spec.rect)
        ticks.append(TickRead(spec.path, None, box.state, box.ink, box.confidence))
        if box.chosen is None:
            _doubt(spec.path, box, warnings)
        return box.chosen
    if spec.kind is Kind.RADIO:
        reads: list[tuple[str, BoxRead]] = []
        for option in spec.options:
            box = read_box(ink, option.rect)
            ticks.append(TickRead(spec.path, option.export, box.state, box.ink, box.confidence))
            reads.append((option.value, box))
        doubtful = [b for _, b in reads if b.chosen is None]
        chosen = [v for v, b in reads if b.chosen]
        if doubtful:
            _doubt(spec.path, doubtful[0], warnings)
            return chosen[0] if len(chosen) == 1 else None
        if len(chosen) > 1:
            warnings.append(ParseWarning("ambiguous_choice", spec.path, f"{len(chosen)} options are ticked"))
            return None
        return chosen[0] if chosen else None
    if not has_writing(ink, spec.rect):
        return None
    crops.append(Crop(spec.path, spec.page, crop(canvas, spec.rect)))
    warnings.append(ParseWarning("handwritten", spec.path, "written by hand: key the value from the crop"))
    return None


def _doubt(path: str, box: BoxRead, warnings: list[ParseWarning]) -> None:
    if box.state == "scribbled":
        warnings.append(ParseWarning("scribbled_out", path, f"a box is struck out (ink {box.ink:.0%})"))
    else:
        warnings.append(ParseWarning("uncertain_mark", path, f"a box cannot be read with certainty "
                                     f"(ink {box.ink:.0%}, confidence {box.confidence:.2f})"))


def _signature(number: int, ink: npt.NDArray[np.bool_], canvas: npt.NDArray[np.uint8], crops: list[Crop],
               signature: bool | None) -> bool | None:
    from ..layout import Rect
    from ._fields import crop, has_writing

    for block in LAYOUT.blocks:
        if block.kind == "signature" and block.page == number:
            # Above the printed line (at y0 + 10) and below the signatory's choice.
            area = Rect(block.rect.x0, block.rect.y0 + 11.5, block.rect.x1, block.rect.y1)
            present = has_writing(ink, area, inset=0.0)
            if present:
                crops.append(Crop("signature", number, crop(canvas, area)))
            return present
    return signature
