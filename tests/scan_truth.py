"""Score a scan reader's result against the corpus's truth (tests/make_scan_corpus.py): shared by the
tests and benchmarks/scan.py, so the README's numbers and the assertions count the same way."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from klageformular import ParseResult
from klageformular.layout import LAYOUT

MM_PER_PT = 25.4 / 72


@dataclass
class Score:
    """Counts over one or more scanned files."""

    pages: int = 0
    pages_identified: int = 0
    boxes: int = 0
    boxes_exact: int = 0  # decided and right, or struck out and sent to review
    boxes_review: int = 0  # sent to a person (uncertain or struck out)
    wrong_without_review: list[str] = field(default_factory=list)
    written: int = 0
    written_cropped: int = 0
    crops_extra: list[str] = field(default_factory=list)  # a crop of a box nobody wrote in
    alignment_mm: list[float] = field(default_factory=list)  # per located page: the worst box corner

    def add(self, other: Score) -> None:
        """Add another file's counts."""
        for name in ("pages", "pages_identified", "boxes", "boxes_exact", "boxes_review", "written",
                     "written_cropped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.wrong_without_review += other.wrong_without_review
        self.crops_extra += other.crops_extra
        self.alignment_mm += other.alignment_mm


def truth_of(path: Path) -> dict[str, Any]:
    """The truth JSON beside a corpus file."""
    data: dict[str, Any] = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return data


def score(result: ParseResult, path: Path) -> Score:
    """How ``result`` (of the corpus file ``path``) compares with what was drawn."""
    data = truth_of(path)
    truth = data["truth"]
    read = result.scan
    assert read is not None
    out = Score(pages=len(truth["pages"]))
    out.pages_identified = sum(1 for p, t in zip(read.pages, truth["pages"], strict=True) if p.page == t["page"])
    read_pages = {p.page for p in read.pages if p.problem is None}
    for tick in read.ticks:
        key = tick.path if tick.option is None else f"{tick.path}#{tick.option}"
        want = truth["ticks"][key]
        out.boxes += 1
        doubtful = tick.state in ("scribbled", "uncertain")
        out.boxes_review += doubtful
        if want == "scribbled":
            ok = doubtful
        elif doubtful:
            ok = False  # sent to review: not wrong, not exact either
        else:
            ok = (tick.state == "empty") == (want == "empty")
            if not ok:
                out.wrong_without_review.append(f"{path.name}:{key} drawn {want}, read {tick.state}")
        out.boxes_exact += ok
    cropped = {c.path for c in read.crops}
    for spec in LAYOUT.fields:
        if spec.kind.is_choice or spec.page not in read_pages:
            continue
        if spec.path in truth["written"]:
            out.written += 1
            out.written_cropped += spec.path in cropped
        elif spec.path in cropped:
            out.crops_extra.append(f"{path.name}:{spec.path}")
    for page, want in zip(read.pages, truth["pages"], strict=True):
        if page.homography is not None and page.problem is None:
            out.alignment_mm.append(_alignment(page.homography, page.size, want))
    return out


def _alignment(homography: tuple[float, ...], size: tuple[int, int], want: dict[str, Any]) -> float:
    """The worst distance (mm on the page) between where the reader put a box corner and where it was."""
    ours = np.array(homography).reshape(3, 3)
    # The reader's pixels and the scan's differ by a uniform scale (rasterized or reduced to ~200 dpi).
    factor = want["size"][0] / size[0]
    ours = np.diag([factor, factor, 1.0]) @ ours
    truth_inverse = np.linalg.inv(np.array(want["matrix"]))
    worst = 0.0
    for spec in LAYOUT.fields_on(want["page"]):
        rects = [o.rect for o in spec.options] or [spec.rect]
        for r in rects:
            for x, y in ((r.x0, r.y0), (r.x1, r.y0), (r.x0, r.y1), (r.x1, r.y1)):
                pixel = ours @ np.array([x, y, 1.0])
                back = truth_inverse @ (pixel / pixel[2])
                back = back / back[2]
                worst = max(worst, math.hypot(back[0] - x, back[1] - y) * MM_PER_PT)
    return worst
