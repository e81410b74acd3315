"""Batch throughput: files/s with 1 and 2 workers in the same run, the speed-up, and peak memory.

    python benchmarks/batch.py                 # 2,000 files, half filled, half flattened
    python benchmarks/batch.py --files 400     # quicker

Each file is a real form: 20 different filled complaints (pypdf) and their flattened
copies (qpdf, or the committed fixture when qpdf is absent), each copy made unique by a
trailing comment so the batch does not treat them as duplicates. Every configuration runs
in a fresh process, so its peak RSS (the main process, and the largest worker) is its own.
Absolute times vary with the machine; the ratio is the figure to compare.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_inbox(folder: Path, count: int) -> None:
    from tests.conftest import sample_data
    from tests.fillers import fill_pypdf

    from klageformular import Complaint, render_form
    from klageformular.values import field_values

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its appearance generator's font notes
    blank = render_form("da")
    filled, flattened = [], []
    for i in range(20):
        data = sample_data()
        data["complainant"] |= {"client_reference": f"K-{20000 + i}", "first_name": f"Łukasz {i}"}
        form = fill_pypdf(blank, field_values(Complaint.model_validate(data), "da"))
        filled.append(form)
        if shutil.which("qpdf"):
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "in.pdf").write_bytes(form)
                subprocess.run(["qpdf", "--flatten-annotations=all", Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"],
                               check=True)
                flattened.append((Path(tmp) / "out.pdf").read_bytes())
        else:
            flattened.append((ROOT / "tests" / "fixtures" / "flat-qpdf.pdf").read_bytes())
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        source = (filled if n % 2 == 0 else flattened)[n // 2 % 20]
        (folder / f"klage-{n:05}.pdf").write_bytes(source + f"\n% copy {n}\n".encode())


def one(inbox: Path, out: Path, workers: int) -> None:
    """Run one configuration and print its figures as JSON (in a process of its own)."""
    from klageformular import convert_folder

    start = time.perf_counter()
    summary = convert_folder(inbox, out, workers=workers, received="today")
    seconds = time.perf_counter() - start
    assert summary.complaints + summary.duplicates == summary.inputs, summary  # copies: same_content
    print(json.dumps({"workers": workers, "files": summary.inputs, "seconds": seconds,
                      "main_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))


def measure(inbox: Path, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([sys.executable, __file__, "--one", str(inbox), out, str(workers)],
                              capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(proc.stdout.splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--one", nargs=3, metavar=("INBOX", "OUT", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(Path(args.one[0]), Path(args.one[1]), int(args.one[2]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "small", Path(tmp) / "big"
        make_inbox(big, args.files)
        make_inbox(small, max(2, args.files // 4))
        rows = {"1 worker": measure(big, 1), "2 workers": measure(big, 2),
                f"2 workers, {max(2, args.files // 4)} files": measure(small, 2)}
    for name, r in rows.items():
        print(f"{name:<24} {r['files'] / r['seconds']:7.1f} files/s   main {r['main_rss_mb']:6.1f} MB   "
              f"largest worker {r['worker_rss_mb']:6.1f} MB")
    one_worker, two = rows["1 worker"], rows["2 workers"]
    speedup = (two["files"] / two["seconds"]) / (one_worker["files"] / one_worker["seconds"])
    print(f"speed-up with 2 workers: {speedup:.2f}x (aim >= 1.8x on 2 cores)")
    peak = max(max(r["main_rss_mb"], r["worker_rss_mb"]) for r in rows.values())
    print(f"peak RSS of any process: {peak:.0f} MB (aim < 300 MB); main process at {args.files // 4} vs "
          f"{args.files} files: {rows[next(iter(k for k in rows if 'files' in k))]['main_rss_mb']:.0f} vs "
          f"{two['main_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
