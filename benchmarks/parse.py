"""How much parse_pdf costs over the bare libraries it stands on, measured in one run.

    python benchmarks/parse.py [--repeat N]

Prints medians and ratios (machines here are noisy; only ratios from the same run mean anything):
- AcroForm path: parse_pdf on a filled form vs pypdf.PdfReader(...).get_fields() on the same bytes,
  and vs PyMuPDF reading every widget's value (``page.widgets()``);
- text path: parse_pdf on a flattened copy vs pdfplumber's extract_words() on every page of it,
  and the reference columns PyMuPDF ``page.get_text("words")`` and pypdfium2 ``get_text_range()``
  (C libraries: how far a pure-Python reader is from them, not a target).

PyMuPDF and pypdfium2 are benchmark-only (the [test] extra, pdfplumber's own dependency); a
column whose library is missing is left out.
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

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
    args = parser.parse_args(argv)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    filled = render_form("da", prefill=Complaint.model_validate(SAMPLE))
    flat = flattened(filled)
    assert parse_pdf(filled).method == "acroform" and parse_pdf(flat).method == "text"

    def row(path: str, ours: float, label: str, base: float) -> None:
        print(f"{path:<9} parse_pdf {ours * 1000:7.1f} ms   {label:<26} {base * 1000:7.1f} ms   "
              f"ratio {ours / base:.2f}x   (median of {args.repeat})")

    ours = median_seconds(lambda: parse_pdf(filled), args.repeat)
    row("acroform", ours, "pypdf get_fields", median_seconds(lambda: PdfReader(io.BytesIO(filled)).get_fields(),
                                                           args.repeat))
    if available("pymupdf"):
        row("acroform", ours, "PyMuPDF widgets()", median_seconds(lambda: pymupdf_widgets(filled), args.repeat))
    ours_text = median_seconds(lambda: parse_pdf(flat), args.repeat)
    row("text", ours_text, "pdfplumber extract_words", median_seconds(lambda: extract_words(flat), args.repeat))
    if available("pymupdf"):
        row("text", ours_text, "PyMuPDF get_text('words')", median_seconds(lambda: pymupdf_words(flat), args.repeat))
    if available("pypdfium2"):
        row("text", ours_text, "pypdfium2 get_text_range", median_seconds(lambda: pdfium_text(flat), args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
