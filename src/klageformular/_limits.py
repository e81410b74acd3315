"""The limits of one parse and of batch mode's workers: numbers only, importable without the PDF reader.

:class:`Limits` is what :func:`~klageformular.parse_pdf` checks and what batch mode passes to
its worker processes. It lives apart from :mod:`klageformular.parse` so that a batch run with
nothing new to read (issue 25: a command with nothing to do) never imports pypdf; it is
re-exported there and from the package, where callers know it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits"]


@dataclass(frozen=True)
class Limits:
    """Input limits; each breach raises its own :class:`~klageformular.LimitExceededError` subclass.

    >>> Limits(max_pages=10).max_pages
    10
    """

    max_file_bytes: int = 50_000_000
    max_pages: int = 50
    max_objects: int = 200_000
    max_stream_bytes: int = 100_000_000
    max_value_chars: int = 100_000
    # A scanned page's pixels, checked before an image is decoded: an A4 page at 600 dpi has
    # 34.8 million; a 30,000 x 30,000 "photo" of a few kilobytes would need gigabytes.
    max_scan_pixels: int = 40_000_000
    # The steepest a scanned page may lie (after turning by quarter turns) and still be read:
    # a sheet fed askew lies within 3 degrees; beyond this a photo is asked for again.
    max_scan_skew_degrees: float = 8.0
    # The work budget of one parse_pdf call, per page (see parse/_budget.py): content-stream
    # tokens interpreted (a form XObject's each time it is drawn), characters drawn, and paths,
    # images and form XObjects drawn. Our densest pages (every field at its maximum length,
    # flattened by qpdf, ghostscript, pdftocairo or pdftk) need at most 16,600 tokens, 11,000
    # characters and 84 shapes: margins of 30x, 9x and 200x, and a page of dense attachment
    # text (~15,000 characters) still reads.
    max_page_operators: int = 500_000
    max_page_glyphs: int = 100_000
    max_page_objects: int = 20_000
    # Wall-clock deadline checked inside parse_pdf while it works; below timeout_seconds, so
    # batch mode records a clean ParseTimeoutError before it would have to kill the worker.
    max_seconds: float = 20.0
    # Enforced by batch mode, which kills the worker process: the last resort for work the
    # budget does not see (a pathological regular expression in a C library, a hung read).
    timeout_seconds: float = 30.0
    # Batch mode's address-space ceiling for each worker process, in MB (None: none).
    worker_memory_mb: int | None = 1024
