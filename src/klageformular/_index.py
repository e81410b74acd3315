"""What an output folder already holds, without reading its whole history each run.

A batch run must know every input earlier runs settled (``(source, sha256)``), the original of
each set of bytes, the original of each content key, and which bytes were read as a form.
Reading ``complaints.jsonl`` whole for that costs time and memory in proportion to the folder's
history. Instead those keys live in a small SQLite file beside the JSON Lines,
``.klageformular-index.sqlite``, and are looked up one at a time.

The index is a cache, never the record: the JSON Lines are. For each record file it remembers
how far it has read (a byte offset at a line start) and what the file looked like there (a
hash of its first and of its last 4 KiB before that offset; a copy of the folder, a backup
restored, keeps its index). A run reads only the
lines added since; a file that was replaced, cut or rewritten before that offset is read again
from the start; a missing, unreadable or foreign index is built again from the JSON Lines. So
deleting it is always safe. Not supported: a hand edit inside a file that keeps its length up
to the offset and both ends — delete the index after one.

The mail ledger (``messages.jsonl``, one line per message settled) is indexed the same way, in
the same file (:class:`LedgerIndex`): the resume keys, the first message with each sha256 and
each ``Message-ID``, and the record that stands for each message — so a mail run, too, reads
only the ledger lines added since the last one.

Where the index cannot be written (a full disk, a read-only folder) the run keeps the keys in
an index in memory instead: slower and larger, never wrong (logged at INFO only: the run itself
is not affected, and a full disk is then reported once, by the record file it stops).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, MutableMapping, MutableSet
from itertools import islice
from pathlib import Path
from typing import TypeVar

from ._files import create_private
from .records import COMPLAINTS, DUPLICATES, LEDGER, RECORD_FILES, read_records

__all__ = ["INDEX", "FolderIndex", "Known", "KnownSet", "LedgerIndex", "whole_length"]

log = logging.getLogger("klageformular.batch")

INDEX = ".klageformular-index.sqlite"
_VERSION = 2  # PRAGMA user_version: another number is another layout, built again (2: the mail ledger)
_CHECK = 4096  # bytes hashed at each end of what was indexed

_SCHEMA = """
CREATE TABLE files (name TEXT PRIMARY KEY, covered INTEGER NOT NULL, head BLOB NOT NULL, tail BLOB NOT NULL);
-- One row per record line, in file order (rowid). ``origin``: the first of these bytes (not a
-- same-file copy); ``form``: bytes read as a form (a complaint, or a same-content copy of one).
CREATE TABLE keys (file INTEGER NOT NULL, source TEXT NOT NULL, sha256 TEXT, content_key TEXT,
                   origin INTEGER NOT NULL, form INTEGER NOT NULL, duplicate_of TEXT, duplicate_of_sha256 TEXT);
CREATE INDEX keys_settled ON keys (source, sha256);
CREATE INDEX keys_sha ON keys (sha256, file) WHERE origin;
CREATE INDEX keys_content ON keys (content_key) WHERE content_key IS NOT NULL;
-- One row per ledger line, in file order. ``counted``: a message read as itself (not a duplicate,
-- skipped or unreadable), the first of its bytes and of its Message-ID for later copies;
-- ``record_source``/``record_sha256``: the record that stands for the message, if any.
CREATE TABLE ledger (key TEXT, source TEXT, sha256 TEXT, message_id TEXT, fingerprint TEXT,
                     record_source TEXT, record_sha256 TEXT, counted INTEGER NOT NULL);
CREATE INDEX ledger_key ON ledger (key);
CREATE INDEX ledger_sha ON ledger (sha256) WHERE counted;
CREATE INDEX ledger_id ON ledger (message_id) WHERE counted;
CREATE INDEX ledger_source ON ledger (source) WHERE record_source IS NOT NULL;
"""
_TABLES = {"files", "keys", "ledger"}

K = TypeVar("K")
V = TypeVar("V")


def whole_length(path: Path) -> int:
    """The length of ``path`` up to the end of its last whole line (0 if it does not exist)."""
    try:
        with path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            at = size
            while at > 0:
                step = min(at, 65536)
                f.seek(at - step)
                chunk = f.read(step)
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    return at - step + newline + 1
                at -= step
            return 0
    except FileNotFoundError:
        return 0


class FolderIndex:
    """The keys of an output folder's records (see the module docstring); :meth:`update` reads what is new."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.db = self._open(out / INDEX)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db: sqlite3.Connection | None = None
        try:
            create_private(path)  # 0600 whatever the umask; SQLite's journal takes the same mode
            db = sqlite3.connect(path, isolation_level=None)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if version != _VERSION or tables != _TABLES:
                db.close()
                db = None
                path.unlink()
                create_private(path)
                db = sqlite3.connect(path, isolation_level=None)
                db.executescript(_SCHEMA + f"PRAGMA user_version = {_VERSION};")
            return db
        except (OSError, sqlite3.Error) as exc:
            if db is not None:  # a full disk half-way: the file stays closed (it may be unlinked next)
                db.close()
            log.info("the folder's index cannot be used (%s): keys are kept in memory this run",
                        type(exc).__name__)
            return _in_memory()

    def update(self) -> None:
        """Index the lines added to each record file since the last run (all of a file that changed)."""
        try:
            for number, name in enumerate(RECORD_FILES):
                self._update(number, self.out / name)
        except sqlite3.Error as exc:  # a full disk, a damaged file: the JSON Lines still say it all
            log.info("the folder's index cannot be written (%s): keys are kept in memory this run",
                        type(exc).__name__)
            self.db.close()
            self.db = _in_memory()
            for number, name in enumerate(RECORD_FILES):
                self._update(number, self.out / name)

    def _update(self, number: int, path: Path) -> None:
        span = _unchanged_from(self.db, path)
        if span is None:
            return  # nothing added, nothing changed
        start, end = span

        def rows() -> Iterator[tuple[object, ...]]:
            for record in read_records(path, start=start, end=end):
                same_content = path.name == DUPLICATES and record.duplicate_kind == "same_content"
                has_sha = record.sha256 is not None
                origin = has_sha and (path.name != DUPLICATES or same_content)
                key = record.content_key if path.name == COMPLAINTS and has_sha else None
                yield (number, record.source, record.sha256, key, origin,
                       has_sha and (path.name == COMPLAINTS or same_content), record.duplicate_of,
                       record.duplicate_of_sha256)

        _fill(self.db, path, span, ("DELETE FROM keys WHERE file = ?", (number,)), "keys", rows())

    def close(self) -> None:
        self.db.close()

    # -- look-ups -------------------------------------------------------------------------------

    def is_settled(self, key: tuple[str, str | None]) -> bool:
        found = self.db.execute("SELECT 1 FROM keys WHERE source = ? AND sha256 IS ? LIMIT 1", key).fetchone()
        return found is not None

    def original(self, sha256: str) -> str | None:
        """The source of the first record with these bytes (files in import order, then line order)."""
        row = self.db.execute("SELECT source FROM keys WHERE sha256 = ? AND origin ORDER BY file, rowid LIMIT 1",
                              (sha256,)).fetchone()
        return None if row is None else str(row[0])

    def by_content(self, key: str) -> tuple[str, str] | None:
        """(source, sha256) of the first complaint with this content key."""
        row = self.db.execute("SELECT source, sha256 FROM keys WHERE content_key = ? ORDER BY rowid LIMIT 1",
                              (key,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def copy_of(self, key: tuple[str, str | None]) -> tuple[str, str] | None:
        """(source, sha256) of the record a settled file's duplicate line points to (None: not a copy)."""
        row = self.db.execute("SELECT duplicate_of, duplicate_of_sha256 FROM keys WHERE source = ? AND sha256 IS ? "
                              "AND duplicate_of IS NOT NULL ORDER BY rowid LIMIT 1", key).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def is_form(self, sha256: str) -> bool:
        return self.db.execute("SELECT 1 FROM keys WHERE sha256 = ? AND form LIMIT 1", (sha256,)).fetchone() is not None


def _in_memory() -> sqlite3.Connection:
    """An index in memory, for a run whose folder cannot hold one (slower and larger, never wrong)."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(_SCHEMA)
    return db


_BATCH = 10_000  # rows per INSERT: the memory of a batch, not of the file's new lines


def _fill(db: sqlite3.Connection, path: Path, span: tuple[int, int], clear: tuple[str, tuple[object, ...]],
          table: str, rows: Iterator[tuple[object, ...]]) -> None:
    """Index the lines of ``path`` in ``span`` in one transaction: ``clear`` first when reading from the
    start (the file changed), ``rows`` into ``table`` a batch at a time, then how far the file was read."""
    start, end = span
    db.execute("BEGIN IMMEDIATE")
    try:
        if start == 0:
            db.execute(*clear)
        while batch := list(islice(rows, _BATCH)):
            db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(batch[0]))})", batch)
        head, tail = _ends(path, end)
        db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", (path.name, end, head, tail))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _unchanged_from(db: sqlite3.Connection, path: Path) -> tuple[int, int] | None:
    """Where to read ``path`` from and to: (start, end) at line starts, start 0 when what was indexed
    changed; None when nothing was added since and nothing changed."""
    row = db.execute("SELECT covered, head, tail FROM files WHERE name = ?", (path.name,)).fetchone()
    end = whole_length(path)
    start = 0
    if row is not None:
        covered, head, tail = row
        if covered <= end and _ends(path, covered) == (head, tail):
            start = covered
    if (row is None and end == 0) or (row is not None and start == row[0] == end):
        return None
    return start, end


Messages = list[tuple[str | None, tuple[str, str]]]  # (fingerprint, (source, sha256)) per message of one ID


class LedgerIndex:
    """The mail ledger's keys (see the module docstring); :meth:`update` reads the lines added since."""

    def __init__(self, out: Path) -> None:
        self.path = out / LEDGER
        self.db = FolderIndex._open(out / INDEX)

    def update(self) -> None:
        """Index the ledger lines added since the last run (all of them when the file changed)."""
        try:
            self._update()
        except sqlite3.Error as exc:  # a full disk, a damaged file: the ledger still says it all
            log.info("the folder's index cannot be written (%s): keys are kept in memory this run",
                     type(exc).__name__)
            self.db.close()
            self.db = _in_memory()
            self._update()

    def _update(self) -> None:
        span = _unchanged_from(self.db, self.path)
        if span is None:
            return
        start, end = span

        def rows() -> Iterator[tuple[object, ...]]:
            with self.path.open("rb") as f:
                f.seek(start)
                at = start
                for line in f:
                    if at >= end:
                        break
                    at += len(line)
                    try:
                        entry = json.loads(line)
                    except ValueError:  # a broken line is skipped, as the ledger was always read
                        continue
                    if isinstance(entry, dict):
                        yield _ledger_row(entry)

        _fill(self.db, self.path, span, ("DELETE FROM ledger", ()), "ledger", rows())

    def close(self) -> None:
        self.db.close()

    # -- look-ups -------------------------------------------------------------------------------

    def is_done(self, key: str) -> bool:
        """Whether a message with this resume key was settled by an earlier run."""
        return self.db.execute("SELECT 1 FROM ledger WHERE key = ? LIMIT 1", (key,)).fetchone() is not None

    def first_with_sha(self, sha256: str) -> tuple[str, str] | None:
        """(source, sha256) of the first message read with these bytes."""
        row = self.db.execute("SELECT source, sha256 FROM ledger WHERE sha256 = ? AND counted ORDER BY rowid LIMIT 1",
                              (sha256,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def with_id(self, message_id: str) -> Messages | None:
        """Every message read with this Message-ID, in order (None: none)."""
        rows = self.db.execute("SELECT fingerprint, source, sha256 FROM ledger WHERE message_id = ? AND counted "
                               "ORDER BY rowid", (message_id,)).fetchall()
        return [(f, (str(s), str(h))) for f, s, h in rows] or None

    def standing_for(self, source: str) -> tuple[str, str] | None:
        """(source, sha256) of the record that stands for the message from ``source`` (its first)."""
        row = self.db.execute("SELECT record_source, record_sha256 FROM ledger WHERE source = ? "
                              "AND record_source IS NOT NULL ORDER BY rowid LIMIT 1", (source,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _ledger_row(entry: dict[str, object]) -> tuple[object, ...]:
    """One ledger line as its index row; a value of the wrong type is as if it were absent."""
    source, sha256, record = _text(entry.get("source")), _text(entry.get("sha256")), entry.get("record")
    standing = ((record[0], record[1]) if isinstance(record, list) and len(record) == 2
                and all(isinstance(r, str) for r in record) and source is not None else (None, None))
    # ``erased``: a message a prune removed (its case was erased): skipped by its key, never an original.
    counted = (entry.get("outcome") not in ("duplicate", "skipped", "unreadable", "erased") and bool(sha256)
               and source is not None)
    return (_text(entry.get("key", "")), source, sha256, _text(entry.get("message_id")) or None,
            _text(entry.get("fingerprint")), *standing, counted)


def _ends(path: Path, length: int) -> tuple[bytes, bytes]:
    """Hashes of the first and the last ``_CHECK`` bytes of ``path``'s first ``length`` bytes."""
    if length == 0:
        return b"", b""
    with path.open("rb") as f:
        head = f.read(min(length, _CHECK))
        f.seek(max(0, length - _CHECK))
        tail = f.read(min(length, _CHECK))
    return hashlib.sha256(head).digest(), hashlib.sha256(tail).digest()


class Known(MutableMapping[K, V]):
    """A mapping the index answers, with what this run adds held on top (the index is not written to).

    :meth:`copy` is a new layer over the same index: a run's working map of originals that
    leaves the state's own as it was, without copying the folder's history into memory.
    """

    def __init__(self, lookup: Callable[[K], V | None], added: dict[K, V] | None = None) -> None:
        self.lookup, self.added = lookup, dict(added or {})

    def __getitem__(self, key: K) -> V:
        if key in self.added:
            return self.added[key]
        value = self.lookup(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self.added or self.lookup(key) is not None  # type: ignore[arg-type]

    def __setitem__(self, key: K, value: V) -> None:
        self.added[key] = value

    def __delitem__(self, key: K) -> None:
        raise TypeError("the keys of records written stay")

    def __iter__(self) -> Iterator[K]:
        raise TypeError("not listed: looked up one at a time (the folder's history may be large)")

    def __len__(self) -> int:
        raise TypeError("not counted: looked up one at a time (the folder's history may be large)")

    def copy(self) -> Known[K, V]:
        return Known(self.lookup, self.added)


class KnownSet(MutableSet[K]):
    """A set the index answers, with what this run adds held on top."""

    def __init__(self, test: Callable[[K], bool]) -> None:
        self.test, self.added = test, set[K]()

    def __contains__(self, key: object) -> bool:
        return key in self.added or self.test(key)  # type: ignore[arg-type]

    def add(self, value: K) -> None:
        self.added.add(value)

    def discard(self, value: K) -> None:
        raise TypeError("the keys of records written stay")

    def __iter__(self) -> Iterator[K]:
        raise TypeError("not listed: looked up one at a time (the folder's history may be large)")

    def __len__(self) -> int:
        raise TypeError("not counted: looked up one at a time (the folder's history may be large)")
