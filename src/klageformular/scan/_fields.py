"""What a machine can read from an upright page canvas: ticks (OMR), whether a box holds writing, crops.

No text is recognised. A check box or radio button is read from the ink inside it against its
empty print (white inside a grey line; the line itself is left out by an inset), measured as
the share of ink pixels and how that ink is spread over a 3 x 3 grid of the box:

- ``empty``: next to no ink;
- ``marked``: a cross or a tick — a clear share of ink, with empty cells between the strokes;
- ``filled``: the box inked solid (a common way of ticking on paper), counted as marked;
- ``scribbled``: dense ink with gaps that spills over the box's edges — a tick struck out;
- ``uncertain``: anything between these bands. Both of the last go to a person, never a guess.

A text box holds writing when ink of some extent (not speckle) lies inside it; the box plus a
margin becomes a PNG crop for an officer to key the value from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..layout import PAGE_HEIGHT, Rect
from ._geometry import SCALE, dark

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["BoxRead", "MarkState", "crop", "has_writing", "ink_mask", "read_box"]

MarkState = Literal["empty", "marked", "filled", "scribbled", "uncertain"]

_INSET = 2.2  # points inside a box's edge: the printed line and a scan's blur stay out
_RING = (1.5, 4.5)  # points outside a box's edge where a scribble spills over
_CROP_MARGIN = 5.0  # points around a text box in its crop: writing crosses the lines


@dataclass(frozen=True)
class BoxRead:
    """One check box or radio button as read: its state, the ink share inside and a confidence 0–1."""

    state: MarkState
    ink: float
    spill: float
    confidence: float

    @property
    def chosen(self) -> bool | None:
        """True for a tick (marked or filled), False for empty, None when a person must look."""
        return True if self.state in ("marked", "filled") else False if self.state == "empty" else None


def ink_mask(canvas: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Ink pixels of the canvas: well below the paper's own level, after speckle is smoothed away."""
    import cv2
    import numpy as np

    # Half way between paper and black: the form's light box fill and grey lines stay paper, a
    # blue or black pen and a pencil pressed firmly are ink.
    mask: npt.NDArray[np.bool_] = dark(np.asarray(cv2.medianBlur(canvas, 3), dtype=np.uint8)) > 0
    return mask


def _box(rect: Rect, grow: float) -> tuple[int, int, int, int]:
    """Canvas pixel bounds (top, bottom, left, right) of ``rect`` grown by ``grow`` points."""
    left = round((rect.x0 - grow) * SCALE)
    right = round((rect.x1 + grow) * SCALE)
    top = round((PAGE_HEIGHT - rect.y1 - grow) * SCALE)
    bottom = round((PAGE_HEIGHT - rect.y0 + grow) * SCALE)
    return max(top, 0), max(bottom, 0), max(left, 0), max(right, 0)


def read_box(ink: npt.NDArray[np.bool_], rect: Rect) -> BoxRead:
    """Read one check box or radio button."""
    import numpy as np

    t, b, left, r = _box(rect, -_INSET)
    inner = ink[t:b, left:r]
    if inner.size == 0:
        return BoxRead("uncertain", 0.0, 0.0, 0.0)
    share = float(inner.mean())
    cells = [float(c.mean()) for rows in np.array_split(inner, 3, axis=0) for c in np.array_split(rows, 3, axis=1)]
    full = sum(c > 0.9 for c in cells)
    bare = sum(c < 0.25 for c in cells)
    ot, ob, ol, orr = _box(rect, _RING[1])
    it, ib, il, ir = _box(rect, _RING[0])
    outer = ink[ot:ob, ol:orr]
    ring_pixels = outer.size - (ib - it) * (ir - il)
    spill = (float(outer.sum()) - float(ink[it:ib, il:ir].sum())) / ring_pixels if ring_pixels > 0 else 0.0
    if share < 0.015:
        return BoxRead("empty", share, spill, 1.0 - share / 0.015 * 0.5)
    if share < 0.05:
        return BoxRead("uncertain", share, spill, 0.3)
    # A box inked solid stays within its edges; one struck out is inked over them as well.
    if share >= 0.85 and full >= 8:
        if spill < 0.12:
            return BoxRead("filled", share, spill, min(1.0, 0.6 + (0.12 - spill) * 3))
        if spill >= 0.2:
            return BoxRead("scribbled", share, spill, min(1.0, 0.5 + spill))
        return BoxRead("uncertain", share, spill, 0.3)
    # Strokes leave cells bare and hardly reach past the edges. A cross drawn with a broad pen in
    # a small box, blurred by the scan, inks up to about 60 % of the inside and leaves only one
    # cell bare; it still stays within the box (a scribble spills 0.34 or more over the edges,
    # every cross in the corpus 0.06 or less), so up to 70 % with one bare cell is a tick.
    if share <= 0.62 and (bare >= 2 or share < 0.45) and spill < 0.12:
        return BoxRead("marked", share, spill, 0.9 if 0.08 <= share <= 0.5 else 0.6)
    if share <= 0.7 and bare >= 1 and spill < 0.08:
        return BoxRead("marked", share, spill, 0.55)
    if share >= 0.45 and spill >= 0.2:
        return BoxRead("scribbled", share, spill, min(1.0, 0.4 + spill))
    return BoxRead("uncertain", share, spill, 0.3)


def has_writing(ink: npt.NDArray[np.bool_], rect: Rect, *, inset: float = 1.5) -> bool:
    """True when the box holds ink of some extent: a stroke, not a speck of dust or noise."""
    import cv2
    import numpy as np

    t, b, left, r = _box(rect, -inset)
    inner = ink[t:b, left:r]
    if inner.size == 0 or int(inner.sum()) < 10:
        return False
    # A handwritten stroke at 200 dpi is a few pixels wide and many long; noise is a pixel or two.
    # A coarse bitonal scan breaks thin strokes into dots a pixel or two apart: they are joined
    # (3 x 3) before their extent is measured, so such writing is still cropped. A false crop
    # costs a person a look; a missed one would lose what was written.
    joined = cv2.dilate(inner.astype(np.uint8), np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    return any(max(int(stats[i][2]), int(stats[i][3])) >= 6 for i in range(1, count))


def crop(canvas: npt.NDArray[np.uint8], rect: Rect) -> bytes:
    """The box plus a margin, as a PNG (greyscale, at the canvas's resolution)."""
    import cv2

    t, b, left, r = _box(rect, _CROP_MARGIN)
    ok, png = cv2.imencode(".png", canvas[t:b, left:r])
    if not ok:  # pragma: no cover - OpenCV encodes any non-empty greyscale array
        raise ValueError("PNG encoding failed")
    return bytes(png.tobytes())
