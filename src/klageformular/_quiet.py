"""Third-party loggers that see customers' bytes, kept quiet while our code runs.

pdfminer logs the tokens it reads at DEBUG — the very text a customer typed; imapclient logs
every line the IMAP server sends (whole messages: From, Subject, a CPR number). :func:`quiet`
keeps pdfminer's and pypdf's loggers at WARNING or above while our code runs, whatever the
application configured (their warnings name no content), and pdfplumber's, imapclient's and
extract-msg's at ERROR (their warnings can quote a metadata value, a server line or a
sender). Kept apart from ``parse._pdfminer`` so that the AcroForm path does not import pdfminer
at all (issue 19: cold start), and outside ``parse`` so that mail intake does not import pypdf
for it; loggers a library creates later inside the block inherit the raised level of its top
logger.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from threading import Lock

__all__ = ["quiet", "silence_unconfigured"]

# Each library's loggers, and the lowest level they may log at inside our calls.
_QUIET = {"pdfminer": logging.WARNING, "pypdf": logging.WARNING, "pdfplumber": logging.ERROR,
          "imapclient": logging.ERROR, "extract_msg": logging.ERROR}
_lock = Lock()
_depth = 0
_saved: dict[str, int] = {}


@contextmanager
def quiet() -> Iterator[None]:
    """The libraries' loggers at their level (see ``_QUIET``) inside the block (re-entrant, thread-safe).

    Every logger of the libraries is raised, not only the top one: an application (or a
    test) may have set ``pdfminer.psparser`` to DEBUG itself. Logger levels are process-wide,
    so while any thread is inside, the libraries log nothing below their level in any thread:
    that is the point, their DEBUG records hold page text and message bytes.
    """
    global _depth
    with _lock:
        if _depth == 0:
            for logger, floor in _their_loggers():  # parents first: a child that inherits is then left alone
                if logger.getEffectiveLevel() < floor:
                    _saved[logger.name] = logger.level
                    logger.setLevel(floor)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for name, level in _saved.items():
                    logging.getLogger(name).setLevel(level)
                _saved.clear()


def _their_loggers() -> Iterator[tuple[logging.Logger, int]]:
    for name, floor in _QUIET.items():
        yield logging.getLogger(name), floor
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        top = name.split(".", 1)[0]
        if isinstance(logger, logging.Logger) and "." in name and top in _QUIET:
            yield logger, _QUIET[top]


def silence_unconfigured() -> None:
    """Where the application configured no logging: the libraries' records go nowhere.

    Python prints WARNING records of a logger without handlers to stderr ("last resort"):
    pdfminer's "Could not get FontBBox …" and pdfplumber's "[WARNING] Metadata key …" on
    real-world PDFs, in the middle of ``batch --quiet``. What matters in them is in our own
    warnings on the result already.
    """
    for name in _QUIET:
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
