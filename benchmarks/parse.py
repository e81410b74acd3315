"""How much parse_pdf costs over the bare libraries it stands on, measured in one run.

    python benchmarks/parse.py [--repeat N] [--src DIR ...]

Prints medians and ratios (machines here are noisy; only ratios from the same run mean anything):
- AcroForm path: parse_pdf on a filled form vs pypdf.PdfReader(...).get_fields() on the same bytes,
  and vs PyMuPDF reading every widget's value (``page.widgets()``);
- text path: parse_pdf on a flattened copy vs pdfplumber's extract_words() on every page of it,
  and the reference columns PyMuPDF ``page.get_text("words")`` and pypdfium2 ``get_text_range()``
  (C libraries: how far a pure-Python reader is from them, not a target).

Each path's rows are timed round by round, interleaved (one call of each per round), so a noisy
neighbour hits them all alike. ``--src DIR`` (repeatable) adds a row on each path for parse_pdf of
another source tree on the same bytes — a ``git archive`` of an earlier commit's ``src``, run in a
worker process that takes its turn in each round: a before/after comparison from one run.

PyMuPDF and pypdfium2 are benchmark-only (the [test] extra, pdfplumber's own dependency); a
column whose library is missing is left out.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pdfplumber
from pypdf import PdfReader

from klageformular import Complaint, parse_pdf, render_form

SAMPLE = {
    "complainant": {"last_name": "Żółć", "first_name": "Łukasz", "email": "lukasz@example.dk",
                    "street": "Ærøgade 7", "postcode": "8000", "city": "Aarhus C", "phone": "20 12 34 56"},
    "investment": {"reference": "KA-1042", "project": "Café Blåbær ApS"},
    "subject": "\n\n".join(["Renten på lån KA-1042 blev ikke udbetalt til tiden, og ingen svarede på mine mails."]
                           * 12),
    "facts_date": "2026-10-01", "damage": {"amount": "12500.50", "currency": "DKK"},
}


def median_seconds(func: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls, after one warm-up call."""
    func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(funcs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median time of each function over ``repeat`` rounds, one call of each per round (after a warm-up).

    The wall time of the call, or the seconds a :class:`Worker` measured itself (without the pipe).
    """
    for func in funcs.values():
        func()
    times: dict[str, list[float]] = {label: [] for label in funcs}
    for _ in range(repeat):
        for label, func in funcs.items():
            start = time.perf_counter()
            func()
            elapsed = time.perf_counter() - start
            times[label].append(func.seconds if isinstance(func, Worker) else elapsed)
    return {label: statistics.median(t) for label, t in times.items()}


# A worker timing parse_pdf of another source tree: reads the file once, then one timed call per line.
_WORKER = """
import sys, time, logging
logging.getLogger("pypdf").setLevel(logging.ERROR)
from klageformular import parse_pdf
data = open(sys.argv[1], "rb").read()
assert parse_pdf(data).method == sys.argv[2]
for _ in sys.stdin:
    start = time.perf_counter()
    parse_pdf(data)
    print(time.perf_counter() - start, flush=True)
"""


class Worker:
    """parse_pdf of the source tree ``src`` (first on PYTHONPATH) in a process of its own.

    ``method`` is the path the file must take there ("acroform" or "text").
    """

    def __init__(self, src: str, path: Path, method: str) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}
        self.proc = subprocess.Popen([sys.executable, "-c", _WORKER, str(path), method], env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.seconds = 0.0

    def __call__(self) -> None:
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None
        stdin.write("\n")
        stdin.flush()
        self.seconds = float(stdout.readline())

    def close(self) -> None:
        pipe: IO[str] | None = self.proc.stdin
        if pipe is not None:
            pipe.close()
        self.proc.wait()


def flattened(data: bytes) -> bytes:
    """A flattened copy, as qpdf makes it (our own appearances drawn into the page)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
        src.write_bytes(data)
        subprocess.run(["qpdf", "--flatten-annotations=all", str(src), str(dst)], check=True)
        return dst.read_bytes()


def extract_words(data: bytes) -> None:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_words()


def pymupdf_widgets(data: bytes) -> None:
    import pymupdf

    with pymupdf.open(stream=data, filetype="pdf") as doc:  # type: ignore[no-untyped-call]
        for page in doc:
            for widget in page.widgets():
                _ = widget.field_name, widget.field_value


def pymupdf_words(data: bytes) -> None:
    import pymupdf

    with pymupdf.open(stream=data, filetype="pdf") as doc:  # type: ignore[no-untyped-call]
        for page in doc:
            page.get_text("words")


def pdfium_text(data: bytes) -> None:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        for index in range(len(pdf)):
            pdf[index].get_textpage().get_text_range()
    finally:
        pdf.close()


def available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--src", action="append", default=[], metavar="DIR",
                        help="also time parse_pdf of this source tree on both paths' files")
    args = parser.parse_args(argv)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    filled = render_form("da", prefill=Complaint.model_validate(SAMPLE))
    flat = flattened(filled)
    assert parse_pdf(filled).method == "acroform" and parse_pdf(flat).method == "text"

    def row(path: str, ours: float, label: str, base: float) -> None:
        print(f"{path:<9} parse_pdf {ours * 1000:7.1f} ms   {label:<26} {base * 1000:7.1f} ms   "
              f"ratio {ours / base:.2f}x   (median of {args.repeat})")

    def timed(kind: str, data: bytes, funcs: dict[str, Callable[[], object]]) -> None:
        """Interleaved medians of ``funcs`` (plus each --src tree's parse_pdf), printed against ours."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{kind}.pdf"
            path.write_bytes(data)
            workers = {f"parse_pdf of {src}": Worker(src, path, kind) for src in args.src}
            try:
                medians = interleaved_medians({"parse_pdf": lambda: parse_pdf(data), **funcs, **workers},
                                              args.repeat)
            finally:
                for worker in workers.values():
                    worker.close()
        ours = medians.pop("parse_pdf")
        for label, base in medians.items():
            row(kind, ours, label, base)

    acro: dict[str, Callable[[], object]] = {"pypdf get_fields": lambda: PdfReader(io.BytesIO(filled)).get_fields()}
    if available("pymupdf"):
        acro["PyMuPDF widgets()"] = lambda: pymupdf_widgets(filled)
    timed("acroform", filled, acro)
    text: dict[str, Callable[[], object]] = {"pdfplumber extract_words": lambda: extract_words(flat)}
    if available("pymupdf"):
        text["PyMuPDF get_text('words')"] = lambda: pymupdf_words(flat)
    if available("pypdfium2"):
        text["pypdfium2 get_text_range"] = lambda: pdfium_text(flat)
    timed("text", flat, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
