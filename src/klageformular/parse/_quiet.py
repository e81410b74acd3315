"""pdfminer's and pypdf's loggers kept quiet while our code runs.

pdfminer logs the tokens it reads at DEBUG — the very text a customer typed. :func:`quiet`
keeps pdfminer's and pypdf's loggers at WARNING or above while our code runs, whatever the
application configured (warnings name no content). Kept apart from ``_pdfminer`` so that the
AcroForm path does not import pdfminer at all (issue 19: cold start); loggers pdfminer creates
later inside the block inherit the raised level of the ``pdfminer`` logger.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from threading import Lock

__all__ = ["quiet"]

_QUIET = ("pdfminer", "pypdf")
_lock = Lock()
_depth = 0
_saved: dict[str, int] = {}


@contextmanager
def quiet() -> Iterator[None]:
    """pdfminer's and pypdf's loggers at WARNING or above inside the block (re-entrant, thread-safe).

    Every logger of the two libraries is raised, not only the top one: an application (or a
    test) may have set ``pdfminer.psparser`` to DEBUG itself. Logger levels are process-wide,
    so while any thread is inside, the two libraries log nothing below WARNING in any thread:
    that is the point, their DEBUG records hold page text.
    """
    global _depth
    with _lock:
        if _depth == 0:
            for logger in _their_loggers():  # parents first: a child that inherits is then left alone
                if logger.getEffectiveLevel() < logging.WARNING:
                    _saved[logger.name] = logger.level
                    logger.setLevel(logging.WARNING)
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


def _their_loggers() -> Iterator[logging.Logger]:
    for name in _QUIET:
        yield logging.getLogger(name)
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name.startswith(tuple(f"{q}." for q in _QUIET)):
            yield logger
