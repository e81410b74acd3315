"""What is known of a register before SQLAlchemy loads: its URL, the newest migration's id, and a SQLite file's state.

Importing SQLAlchemy costs about 0.19 CPU s on the machines we measure on, most of the 0.25 s
a command with nothing to do may take (issue 25). So the questions a command can settle
without it are answered here, with the standard library alone:

- :func:`resolve_url` — which database (``--db``, ``$KLAGEFORMULAR_DB``, the default);
- :func:`head_id` — the newest migration's id, read from the migration files' lines;
- :func:`probe` — for a plain SQLite file: the revision it is at, and whether it holds any
  open case or any letter whose delivery failed (the two things ``register due`` lists).

A probe only ever says "nothing to do" when the full path would say the same; anything it
cannot be sure of (another database, a URL with options, a register to migrate, an error)
returns None and the command takes the full path, which reports problems properly.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ._names import OPEN_STATUSES

__all__ = ["DEFAULT_URL", "ENV_VAR", "SqliteState", "head_id", "probe", "resolve_url", "sqlite_file"]

DEFAULT_URL = "sqlite:///klager.db"
ENV_VAR = "KLAGEFORMULAR_DB"
_VERSIONS = Path(__file__).parent / "migrations" / "versions"


def resolve_url(url: str | None, environ: Mapping[str, str]) -> str:
    """The URL to use: ``url`` if given, else ``environ["KLAGEFORMULAR_DB"]``, else ``sqlite:///klager.db``.

    The caller passes the environment (the CLI passes ``os.environ``), so the library never reads it.

    >>> resolve_url(None, {}), resolve_url(None, {"KLAGEFORMULAR_DB": "sqlite:///x.db"})
    ('sqlite:///klager.db', 'sqlite:///x.db')
    """
    return url or environ.get(ENV_VAR) or DEFAULT_URL


_REVISION_LINE = re.compile(r"""^(down_revision|revision)\s*=\s*(None|"([^"]+)")\s*(?:#.*)?$""", re.MULTILINE)


@cache
def head_id() -> str | None:
    """The newest migration's id read from the files' ``revision``/``down_revision`` lines, without Alembic.

    None when the lines say anything else (a merge revision, a tuple) or the chain does not end in
    one head: then every comparison with it differs and Alembic decides. A test holds this equal to
    Alembic's own head, so the lines cannot drift from what Alembic reads.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in _VERSIONS.glob("*.py"):
        found = {m[1]: m[3] for m in _REVISION_LINE.finditer(path.read_text(encoding="utf-8"))}
        if "revision" not in found or found["revision"] is None or "down_revision" not in found:
            return None
        revisions.add(found["revision"])
        if found["down_revision"] is not None:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


@dataclass(frozen=True)
class SqliteState:
    """A SQLite register file as the probe found it."""

    revisions: tuple[str, ...]
    open_cases: bool  #: any case in an open status, merged or not
    failed_letters: bool  #: any letter whose delivery failed, later letters or not

    @property
    def current(self) -> bool:
        """At the newest revision: nothing for a command to migrate."""
        head = head_id()
        return head is not None and self.revisions == (head,)

    @property
    def nothing_due(self) -> bool:
        """``register due`` lists and counts nothing: each of its figures is of open cases or failed letters."""
        return self.current and not self.open_cases and not self.failed_letters


# The URL forms SQLAlchemy reads as exactly this file: no driver options, no query, no escapes
# (SQLAlchemy decodes %xx in a URL; we do not guess), not in memory, not a "file:" URI.
_PLAIN_SQLITE = re.compile(r"^sqlite(?:\+pysqlite)?:///(?P<path>[^?#%]+)$")


def sqlite_file(url: str) -> Path | None:
    """The existing file a plain SQLite URL names (None: another URL, or no such file)."""
    match = _PLAIN_SQLITE.match(url)
    if match is None or match["path"] in (":memory:",) or match["path"].startswith("file:"):
        return None
    path = Path(match["path"])
    return path if path.is_file() else None


def probe(url: str) -> SqliteState | None:
    """The state of the SQLite register at ``url``, or None when it is not a plain SQLite file that exists.

    Reads in one deferred transaction (a WAL reader: no lock a writer waits for), on a connection
    that can only read (``PRAGMA query_only``), and never creates the file.
    """
    path = sqlite_file(url)
    if path is None:
        return None
    try:
        connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        connection.execute("PRAGMA query_only = ON")
        connection.execute("BEGIN")
        revisions = tuple(sorted(str(r[0]) for r in connection.execute("SELECT version_num FROM alembic_version")))
        marks = ", ".join("?" * len(OPEN_STATUSES))
        open_cases = connection.execute(
            f"SELECT EXISTS (SELECT 1 FROM complaints WHERE status IN ({marks}))", OPEN_STATUSES).fetchone()[0]
        failed = connection.execute("SELECT EXISTS (SELECT 1 FROM outgoing WHERE state = 'failed')").fetchone()[0]
        return SqliteState(revisions, bool(open_cases), bool(failed))
    except sqlite3.Error:  # not a register, or one from before a table existed: the full path decides
        return None
    finally:
        connection.close()
