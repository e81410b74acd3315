"""The paper path: seconds per scanned page, and how well the corpus is read.

    python benchmarks/scan.py            # the test corpus (11 scans, 27 pages)
    python benchmarks/scan.py --full     # plus 40 more random scans

Makes the scan corpus (tests/make_scan_corpus.py: the real form filled in a handwriting font,
printed by ghostscript, turned, skewed, blurred, noised, JPEG'd, one phone-like perspective)
in a temporary folder, then measures:

- speed: ``parse_pdf`` on a three-page 300 dpi scan, seconds per page, against ``pdftoppm -r
  300`` rasterizing the same pages in the same run (the floor of any image-based reader);
- page identity: pages whose code named the right form page;
- ticks exact: boxes read right (a struck-out box counts when it went to review);
- wrong without review: boxes read wrong with no review item (the figure that must be 0);
- written boxes cropped, and crops of boxes nobody wrote in;
- crop alignment error: the worst box corner per page, mm on the page, from the reader's
  homography against the matrix the corpus applied.
Absolute times vary with the machine and its load; the ratio to pdftoppm is the figure to compare.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from tests import make_scan_corpus as corpus
    from tests.scan_truth import Score, score, truth_of

    from klageformular import KlageformularError, parse_image, parse_pdf

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="40 more random scans")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the speed case (best is kept)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        files = [corpus.make_case(case, folder) for case in corpus.cases(full=args.full)]
        made = time.perf_counter() - started
        speed = corpus.make_case(corpus.Scan("speed-300", 300, 0, 0.8, noise=4, jpeg=85, seed=99), folder)
        ours, pdftoppm = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            result = parse_pdf(speed)
            ours.append((time.perf_counter() - t) / result.page_count)
            t = time.perf_counter()
            subprocess.run(["pdftoppm", "-r", "300", "-gray", str(speed), str(folder / "ppm")], check=True)
            pdftoppm.append((time.perf_counter() - t) / result.page_count)
        total = Score()
        seconds: list[float] = []
        at_200: list[float] = []
        failed: list[str] = []
        for path in files:
            t = time.perf_counter()
            try:
                result = parse_pdf(path) if path.suffix == ".pdf" else parse_image(path)
            except KlageformularError as exc:
                # Unreadable as a whole: its pages count as not identified, its boxes as not read.
                failed.append(f"{path.name}: {type(exc).__name__}")
                total.pages += len(truth_of(path)["truth"]["pages"])
                continue
            seconds.append((time.perf_counter() - t) / max(1, result.page_count))
            got = score(result, path)
            total.add(got)
            if truth_of(path)["scan"]["dpi"] == 200:
                at_200 += got.alignment_mm
    print(f"corpus: {len(files)} scans, {total.pages} pages (made in {made:.0f} s)")
    print(f"speed, 300 dpi scan: {min(ours):.2f} s/page  (pdftoppm -r 300 on the same pages: "
          f"{min(pdftoppm):.2f} s/page; ratio {min(ours) / min(pdftoppm):.1f}x)")
    print(f"corpus, median per page: {statistics.median(seconds):.2f} s; slowest {max(seconds):.2f} s")
    print(f"page identity: {total.pages_identified}/{total.pages} = {100 * total.pages_identified / total.pages:.1f} %")
    print(f"ticks exact: {total.boxes_exact}/{total.boxes} = {100 * total.boxes_exact / total.boxes:.1f} % "
          f"({total.boxes_review} sent to review)")
    print(f"files unreadable as a whole: {len(failed)}")
    for line in failed:
        print(f"  {line}")
    print(f"wrong without review: {len(total.wrong_without_review)}")
    for line in total.wrong_without_review:
        print(f"  {line}")
    print(f"written boxes cropped: {total.written_cropped}/{total.written}; crops of empty boxes: "
          f"{len(total.crops_extra)}")
    print(f"crop alignment error: worst {max(total.alignment_mm):.2f} mm, median "
          f"{statistics.median(total.alignment_mm):.2f} mm over {len(total.alignment_mm)} pages; at 200 dpi "
          f"worst {max(at_200):.2f} mm over {len(at_200)} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
