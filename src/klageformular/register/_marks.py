"""How far ``batch --register`` has imported an output folder into one register.

``.klageformular-imported.json`` beside the records maps a register (its URL, password hidden)
to the byte offset each record file was imported up to, with a hash of the 4 KiB before it. The
next ``batch --register`` imports only the lines after those offsets: the records of that run,
and those of any run in between whose import failed or was not asked for. ``register import``
reads the whole folder and leaves marks too (at the whole lines there were when it began), so a
folder imported that way does not cost its whole history again on its next ``batch --register``.
An offset that is no longer a line end of the same bytes (a file replaced or cut), a missing or
unreadable marks file or another register: everything is imported again, which adds nothing
already there.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from .._files import write_private
from .._index import whole_length
from ..records import RECORD_FILES, SET_ASIDE

__all__ = ["MARKS", "ImportMarks", "register_key"]

log = logging.getLogger("klageformular.register")

MARKS = ".klageformular-imported.json"
_FILES = (*RECORD_FILES, SET_ASIDE)
_CHECK = 4096


class ImportMarks:
    """The import offsets of one output folder for one register (``key``)."""

    def __init__(self, out: Path, key: str) -> None:
        self.path, self.key = out / MARKS, key
        try:
            data: Any = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            data = {}
        except (ValueError, OSError):  # never half-written (replaced whole): from the start, which adds nothing twice
            log.warning("%s cannot be read; the records are imported again from the start", MARKS)
            data = {}
        self.all: dict[str, Any] = data if isinstance(data, dict) else {}

    def window(self) -> dict[str, tuple[int, int]]:
        """The byte range (start, end) of each record file not imported yet: its whole lines after the mark."""
        mine = self.all.get(self.key)
        mine = mine if isinstance(mine, dict) else {}
        window = {}
        for name in _FILES:
            path = self.path.parent / name
            end = whole_length(path)
            mark = mine.get(name)
            start = 0
            if (isinstance(mark, list) and len(mark) == 2 and isinstance(mark[0], int) and 0 < mark[0] <= end
                    and mark[1] == _tail(path, mark[0])):
                start = mark[0]
            window[name] = (start, end)
        return window

    def save(self, window: dict[str, tuple[int, int]]) -> None:
        """Record the window's ends as imported (after an import that finished)."""
        self.all[self.key] = {name: [end, _tail(self.path.parent / name, end)] for name, (_, end) in window.items()
                              if end > 0}
        write_private(self.path, json.dumps(self.all, indent=1).encode())


def register_key(url: str) -> str | None:
    """The key of a plain SQLite URL's register, as its engine names it, without SQLAlchemy (None: ask the engine).

    The marks are kept under ``engine.url.render_as_string(hide_password=True)``; for a plain SQLite
    file (no options, no escapes: what :func:`._probe.probe` reads) that is the URL as written.
    """
    from ._probe import sqlite_file

    return url if sqlite_file(url) is not None else None


def _tail(path: Path, offset: int) -> str:
    """A hash of the ``_CHECK`` bytes before ``offset`` (that they ended in a newline is checked too)."""
    with path.open("rb") as f:
        f.seek(max(0, offset - _CHECK))
        data = f.read(min(offset, _CHECK))
    return hashlib.sha256(data).hexdigest() if data.endswith(b"\n") else ""
