"""How much parse_pdf costs over the bare libraries it stands on, measured in one run.

    python benchmarks/parse.py [--repeat N]

Prints medians and ratios (machines here are noisy; only ratios from the same run mean anything):
- AcroForm path: parse_pdf on a filled form vs pypdf.PdfReader(...).get_fields() on the same bytes;
- text path: parse_pdf on a flattened copy vs pdfplumber's extract_words() on every page of it.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args(argv)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    filled = render_form("da", prefill=Complaint.model_validate(SAMPLE))
    flat = flattened(filled)
    assert parse_pdf(filled).method == "acroform" and parse_pdf(flat).method == "text"

    ours = median_seconds(lambda: parse_pdf(filled), args.repeat)
    base = median_seconds(lambda: PdfReader(io.BytesIO(filled)).get_fields(), args.repeat)
    print(f"acroform: parse_pdf {ours * 1000:7.1f} ms   pypdf get_fields {base * 1000:7.1f} ms   "
          f"ratio {ours / base:.2f}x   (median of {args.repeat})")
    ours_text = median_seconds(lambda: parse_pdf(flat), args.repeat)
    base_text = median_seconds(lambda: extract_words(flat), args.repeat)
    print(f"text:     parse_pdf {ours_text * 1000:7.1f} ms   extract_words   {base_text * 1000:7.1f} ms   "
          f"ratio {ours_text / base_text:.2f}x   (median of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
