"""Where the form lies on a page image: the page code names the page, the four marks fix its geometry.

1. zxing-cpp finds and decodes the page code (any rotation; its four corners come with it).
   On a small page a missed code is looked for again at twice the size; failing that (a coarse
   bitonal scan whose light modules are closed up), the four marks are found first and the
   code is sampled module by module where they put it (:func:`_code_by_marks`).
2. The code's corners give a first similarity transform (turn, scale, shift) from the page's
   points to the image's pixels; from it each registration mark's expected place follows.
3. The marks are found as filled squares of about the expected size among the dark connected
   components of the binarized image, each the nearest to its expected place.
4. The four marks give the homography (a scanner's skew, a phone's perspective); the code's
   corners, mapped back through it, check it (``residual_pt``).
5. The page is warped upright onto a canvas at :data:`~._raster.WORK_DPI`, where every field's
   rectangle from :mod:`klageformular.layout` is an axis-aligned box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from .._pagecode import CODE_RECT, PageCode, parse_payload
from ..layout import MARK_SIZE, PAGE_HEIGHT, PAGE_WIDTH, REGISTRATION_MARKS
from ._raster import WORK_DPI

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from zxingcpp import BarcodeFormats

__all__ = ["Located", "dark", "locate", "to_canvas"]

SCALE = WORK_DPI / 72.0  # canvas pixels per point
_CODE_CORNERS = ((CODE_RECT.x0, CODE_RECT.y1), (CODE_RECT.x1, CODE_RECT.y1), (CODE_RECT.x1, CODE_RECT.y0),
                 (CODE_RECT.x0, CODE_RECT.y0))  # top-left, top-right, bottom-right, bottom-left
_SMALL_PAGE = 2600  # pixels on the long side: below about 190 dpi a missed code is looked for again
_MAX_RESIDUAL_PT = 4.0  # a code more than this far from where the marks put it: a wrong mark was taken
_RETRY_RESIDUAL_PT = 1.0  # marks fitting the code worse than this: the outermost squares are tried too


@dataclass(frozen=True)
class Located:
    """One page image read: its code (or None) and, when the marks were found, its homography.

    ``problem`` is None when the page can be read, else a short code: ``no_code``,
    ``foreign_code`` (a QR code that is not ours), ``no_marks``, ``skewed``, ``geometry``.
    """

    code: PageCode | None
    problem: str | None
    homography: npt.NDArray[np.float64] | None = None  # page points -> image pixels
    skew_degrees: float = 0.0
    residual_pt: float = 0.0
    pixels_per_point: float = 0.0
    size: tuple[int, int] = (0, 0)  # the page image's (width, height) in pixels


def _page_to_pixels(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Page points (origin bottom-left) to canvas pixels (origin top-left)."""
    return [(x * SCALE, (PAGE_HEIGHT - y) * SCALE) for x, y in points]


def _find_code(gray: npt.NDArray[np.uint8]) -> tuple[PageCode | None, bool, list[tuple[float, float]]]:
    """(our code, whether any QR code was seen, its corners TL TR BR BL in pixels)."""
    import zxingcpp

    formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    seen = False
    for barcode in zxingcpp.read_barcodes(gray, formats=formats):
        seen = True
        code = parse_payload(barcode.text)
        if code is not None:
            p = barcode.position
            return code, True, [(float(c.x), float(c.y)) for c in (p.top_left, p.top_right, p.bottom_right,
                                                                      p.bottom_left)]
    h, w = gray.shape
    if seen or max(h, w) >= _SMALL_PAGE:
        return None, seen, []
    code, seen, corners = _code_by_corners(gray, formats)
    if code is not None or seen:
        return code, seen, corners
    return _code_by_marks(gray, formats)


def _code_by_corners(gray: npt.NDArray[np.uint8],
                     formats: BarcodeFormats) -> tuple[PageCode | None, bool, list[tuple[float, float]]]:
    import cv2
    import zxingcpp

    seen = False
    h, w = gray.shape
    # A coarse, blurred page (150 dpi, a phone photo) leaves under three pixels per module: each
    # corner of the image (where the code is, whichever way the page lies) is tried again at twice
    # the size.
    ch, cw = int(h * 0.55), int(w * 0.55)
    for y0, x0 in ((0, 0), (0, w - cw), (h - ch, 0), (h - ch, w - cw)):
        larger = cv2.resize(gray[y0:y0 + ch, x0:x0 + cw], None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        for barcode in zxingcpp.read_barcodes(larger, formats=formats):
            seen = True
            code = parse_payload(barcode.text)
            if code is not None:
                p = barcode.position
                return code, True, [(x0 + c.x / 2, y0 + c.y / 2) for c in (p.top_left, p.top_right,
                                                                          p.bottom_right, p.bottom_left)]
    return None, seen, []


def _code_by_marks(gray: npt.NDArray[np.uint8],
                   formats: BarcodeFormats) -> tuple[PageCode | None, bool, list[tuple[float, float]]]:
    """The code read module by module where the four corner marks put it.

    A coarse bitonal scan (150 dpi, blurred before it was thresholded) leaves under three pixels
    per module with dark modules grown into their neighbours: no decoder finds the code's own
    patterns. The marks survive that (8 pt squares), and from them the code's grid is known to a
    fraction of a module: each module's centre is sampled, a clean symbol drawn from the samples,
    and that decoded. QR's error correction still decides: a page read this way names its page
    only when the symbol decodes to our payload.
    """
    import cv2
    import numpy as np

    h, w = gray.shape
    # An image of about the page: its long side is about the page's long side.
    for scale in (max(h, w) / PAGE_HEIGHT, max(h, w) / (PAGE_HEIGHT + 40.0)):
        points = np.array(_mark_candidates(gray, MARK_SIZE * scale), dtype=np.float64).reshape(-1, 2)
        if len(points) < 4:
            continue
        # The outermost candidate towards each corner of the image: TL, TR, BR, BL.
        corners = [points[int(np.argmax(points @ np.array(d)))] for d in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        if len({(float(x), float(y)) for x, y in corners}) < 4:
            continue
        # Page marks in the order that lands on the image's TL, TR, BR, BL for each quarter turn.
        tl, tr, bl, br = REGISTRATION_MARKS[2], REGISTRATION_MARKS[3], REGISTRATION_MARKS[0], REGISTRATION_MARKS[1]
        ring = [tl, tr, br, bl]
        for turn in range(4):
            marks = ring[turn:] + ring[:turn]
            homography = cv2.getPerspectiveTransform(np.array(marks, dtype=np.float32),
                                                     np.array(corners, dtype=np.float32)).astype(np.float64)
            code = _sample_code(gray, homography, formats)
            if code is not None:
                return code, True, _apply(homography, list(_CODE_CORNERS))
    return None, False, []


_MODULES = 25  # a version 2 QR code
_CELL = 8  # canvas pixels per module when the code is sampled


def _sample_code(gray: npt.NDArray[np.uint8], homography: npt.NDArray[np.float64],
                 formats: BarcodeFormats) -> PageCode | None:
    import cv2
    import numpy as np
    import zxingcpp

    module = (CODE_RECT.x1 - CODE_RECT.x0) / _MODULES
    quiet = 4
    size = (_MODULES + 2 * quiet) * _CELL
    # Canvas pixels -> page points: the code's top-left module at (quiet, quiet) cells.
    to_page = np.array([[module / _CELL, 0.0, CODE_RECT.x0 - quiet * module],
                        [0.0, -module / _CELL, CODE_RECT.y1 + quiet * module], [0.0, 0.0, 1.0]])
    warp = homography @ to_page  # canvas -> image
    upright = cv2.warpPerspective(gray, warp, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    cells = upright.reshape(_MODULES + 2 * quiet, _CELL, _MODULES + 2 * quiet, _CELL)
    # The mean of each module's central part: the edges are where a neighbour's ink spreads.
    middle = cells[:, 2:_CELL - 2, :, 2:_CELL - 2].mean(axis=(1, 3))
    inner = middle[quiet:-quiet, quiet:-quiet]
    if float(inner.max()) - float(inner.min()) < 60:  # no code there (paper, or a mark's place is off)
        return None
    level = (float(np.percentile(inner, 90)) + float(np.percentile(inner, 10))) / 2
    symbol = np.where(middle < level, 0, 255).astype(np.uint8)
    symbol[:quiet, :] = symbol[-quiet:, :] = symbol[:, :quiet] = symbol[:, -quiet:] = 255
    clean = cv2.resize(symbol, None, fx=_CELL, fy=_CELL, interpolation=cv2.INTER_NEAREST)
    for barcode in zxingcpp.read_barcodes(clean, formats=formats):
        code = parse_payload(barcode.text)
        if code is not None:
            return code
    # Only what is nearly black is a dark module here: a bitonal scan's ink has grown into its
    # neighbours, so a grey centre is a light module darkened, not a dark one.
    core = cells[quiet:-quiet, 3:_CELL - 3, quiet:-quiet, 3:_CELL - 3].mean(axis=(1, 3))
    return _nearest_code(core < min(level, 40.0))


def _nearest_code(dark_modules: npt.NDArray[np.bool_]) -> PageCode | None:
    """The one page code of this form the sampled modules match, when they match it clearly.

    Where blur has closed a light module entirely no error correction gets it back, but the
    codes this library prints are few (language x profile x page); the sampled symbol is
    compared with each. It is taken only when it differs from the nearest in at most
    :data:`_MAX_MODULE_ERRORS` modules and from every other in at least
    :data:`_MIN_MODULE_MARGIN` times as many: otherwise the page stays without a code.
    A profile from an organisation file is not among them; its pages are then not read this way.
    """
    import numpy as np

    distances = sorted((int(np.count_nonzero(symbol != dark_modules)), text)
                       for text, symbol in _known_symbols().items())
    if len(distances) < 2:
        return None
    (best, text), (second, _) = distances[0], distances[1]
    if best > _MAX_MODULE_ERRORS or second < _MIN_MODULE_MARGIN * max(best, 1):
        return None
    return parse_payload(text)


# Two of the form's own codes differ in 54 modules or more; a sampled symbol within 48 of one and
# twice as far from every other is that one.
_MAX_MODULE_ERRORS = 48  # of 625 modules; a scan that sampled worse is not taken
_MIN_MODULE_MARGIN = 2.0


@cache
def _known_symbols() -> dict[str, npt.NDArray[np.bool_]]:
    """Every page code the built-in profiles print, as its module matrix (True = dark)."""
    import numpy as np
    import segno

    from .._pagecode import payload
    from ..layout import LAYOUT
    from ..locales import LANGUAGES
    from ..org import organisation_keys

    out = {}
    for lang in LANGUAGES:
        for org in organisation_keys():
            for page in range(1, LAYOUT.page_count + 1):
                text = payload(lang, org, page)
                matrix = np.array(segno.make_qr(text, error="m", boost_error=False).matrix, dtype=bool)
                if matrix.shape == (_MODULES, _MODULES):
                    out[text] = matrix
    return out


def dark(gray: npt.NDArray[np.uint8], share: float = 0.55) -> npt.NDArray[np.uint8]:
    """255 where a pixel is darker than ``share`` of the paper around it, else 0.

    The paper's level is taken locally (the brightest pixel within about 9 mm), not once for the
    page: a phone's light falls off across the sheet, and the white around a photographed page
    would pull a global threshold (Otsu's) above the shaded paper itself.
    """
    import cv2
    import numpy as np

    h, w = gray.shape
    small = cv2.resize(gray, (max(1, w // 8), max(1, h // 8)), interpolation=cv2.INTER_AREA)
    paper = cv2.resize(cv2.dilate(small, np.ones((9, 9), np.uint8)), (w, h), interpolation=cv2.INTER_LINEAR)
    threshold = cv2.convertScaleAbs(paper, alpha=share)
    return np.asarray(cv2.compare(gray, threshold, cv2.CMP_LT), dtype=np.uint8)


def _mark_candidates(gray: npt.NDArray[np.uint8], side: float) -> list[tuple[float, float]]:
    """Centres of filled, square-ish dark blobs of about ``side`` pixels."""
    import cv2
    import numpy as np

    ink = dark(gray)
    count, _, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    out = []
    expected = side * side
    for i in range(1, count):
        _x, _y, w, h, area = (int(v) for v in stats[i])
        if not (0.4 * expected <= area <= 2.2 * expected):
            continue
        if not (0.6 * side <= w <= 1.8 * side and 0.6 * side <= h <= 1.8 * side and 0.6 <= w / h <= 1.6):
            continue
        if area / (w * h) < 0.45:  # an outlined box or a glyph, not a filled square
            continue
        out.append((float(centroids[i][0]), float(centroids[i][1])))
    return out if out else list(np.zeros((0, 2)))


def locate(gray: npt.NDArray[np.uint8], *, max_skew: float) -> Located:
    """Find the page code and the registration marks in one page image."""
    from dataclasses import replace

    return replace(_locate(gray, max_skew), size=(int(gray.shape[1]), int(gray.shape[0])))


def _locate(gray: npt.NDArray[np.uint8], max_skew: float) -> Located:
    import cv2
    import numpy as np

    code, seen, corners = _find_code(gray)
    if code is None:
        return Located(None, "foreign_code" if seen else "no_code")
    # In page points turned y-down: a similarity (turn, scale, shift) cannot mirror, and the
    # page's y axis points up while the image's points down.
    page_pts = np.array([(x, PAGE_HEIGHT - y) for x, y in _CODE_CORNERS], dtype=np.float64)
    image_pts = np.array(corners, dtype=np.float64)
    rough, _ = cv2.estimateAffinePartial2D(page_pts, image_pts)
    if rough is None:
        return Located(code, "geometry")
    scale = math.hypot(rough[0, 0], rough[1, 0])  # pixels per point
    if scale <= 0.2:
        return Located(code, "geometry")
    expected = [rough @ np.array([x, PAGE_HEIGHT - y, 1.0]) for x, y in REGISTRATION_MARKS]
    candidates = _mark_candidates(gray, MARK_SIZE * scale)
    radius = 90.0 * scale  # how far a phone's perspective may move a corner from the code's guess
    near = [[c for c in candidates if math.hypot(c[0] - g[0], c[1] - g[1]) <= radius] for g in expected]
    if not all(near):
        return Located(code, "no_marks", pixels_per_point=scale)
    found = [min(c, key=lambda c: math.hypot(c[0] - g[0], c[1] - g[1])) for c, g in zip(near, expected, strict=True)]
    homography, residual = _fit(found, corners, scale)
    if residual > _RETRY_RESIDUAL_PT:
        # The nearest square to a guess may be a filled check box when a phone's perspective moved
        # the corner far from the code's guess; nothing of the form lies beyond a mark, so the
        # outermost square (away from the page's centre) near each guess, a little farther out,
        # is tried as well; the residual check still decides.
        middle = rough @ np.array([PAGE_WIDTH / 2, PAGE_HEIGHT / 2, 1.0])
        wider = [[c for c in candidates if math.hypot(c[0] - g[0], c[1] - g[1]) <= 1.6 * radius] for g in expected]
        outer = [max(c, key=lambda c: (c[0] - middle[0]) * (g[0] - middle[0]) + (c[1] - middle[1]) * (g[1] - middle[1]))
                 for c, g in zip(wider, expected, strict=True)]
        other, other_residual = _fit(outer, corners, scale)
        if other_residual < residual:
            homography, residual = other, other_residual
    # The page's own turn: the direction of its x axis at the centre, against the nearest quarter turn.
    centre = _apply(homography, [(PAGE_WIDTH / 2, PAGE_HEIGHT / 2), (PAGE_WIDTH / 2 + 10, PAGE_HEIGHT / 2)])
    angle = math.degrees(math.atan2(centre[1][1] - centre[0][1], centre[1][0] - centre[0][0]))
    skew = (angle + 45.0) % 90.0 - 45.0
    if abs(skew) > max_skew:
        return Located(code, "skewed", homography, skew, residual, scale)
    if residual > _MAX_RESIDUAL_PT:
        return Located(code, "geometry", homography, skew, residual, scale)
    return Located(code, None, homography, skew, residual, scale)


def _fit(found: list[tuple[float, float]], corners: list[tuple[float, float]],
         scale: float) -> tuple[npt.NDArray[np.float64], float]:
    """The homography the four marks give, and how far (points) it puts the code from where it was seen."""
    import cv2
    import numpy as np

    homography = cv2.getPerspectiveTransform(np.array(REGISTRATION_MARKS, dtype=np.float32),
                                             np.array(found, dtype=np.float32)).astype(np.float64)
    mapped = _apply(homography, list(_CODE_CORNERS))
    residual = max(math.hypot(a[0] - b[0], a[1] - b[1]) for a, b in zip(mapped, corners, strict=True)) / scale
    return homography, residual


def _apply(homography: npt.NDArray[np.float64], points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    import cv2
    import numpy as np

    out = cv2.perspectiveTransform(np.array([points], dtype=np.float64), homography)[0]
    return [(float(x), float(y)) for x, y in out]


def to_canvas(gray: npt.NDArray[np.uint8], homography: npt.NDArray[np.float64]) -> npt.NDArray[np.uint8]:
    """The page warped upright onto a canvas of the form's size at :data:`WORK_DPI`."""
    import cv2
    import numpy as np

    canvas = np.array([[SCALE, 0.0, 0.0], [0.0, -SCALE, PAGE_HEIGHT * SCALE], [0.0, 0.0, 1.0]])
    warp = canvas @ np.linalg.inv(homography)
    size = (round(PAGE_WIDTH * SCALE), round(PAGE_HEIGHT * SCALE))
    result = cv2.warpPerspective(gray, warp, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                 borderValue=255)
    return np.asarray(result, dtype=np.uint8)
