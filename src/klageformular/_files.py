"""What batch mode does with the file system: names of any bytes, no symlinks, private outputs.

- **Names.** A file name is bytes on Linux, not always UTF-8 (a mailbox saved by an old
  client: ``x\\xff.pdf``). Python hands such names over with lone surrogates
  (``surrogateescape``), which cannot be written as UTF-8. A record's ``source`` is a readable
  string (undecodable bytes as ``\\xff``) and ``source_bytes`` keeps the exact name (base64)
  whenever the two differ. :func:`one_line` makes any name safe for a line on a terminal.
- **Symlinks** are never followed: a link in the inbox may point anywhere (``/etc/passwd``);
  batch records it as a file it did not read, identified by where it points.
- **Private outputs.** Complaints are personal data: every folder batch creates is 0700 and
  every file 0600, whatever the umask; each is written whole under a temporary name first.
- **Permissions.** :func:`prepare_output` checks before anything is written that the output
  folder and the files already in it can be written, so a run either starts or says why.
- **Records.** :class:`JsonLines` appends one whole line per write (the batch's records and the
  mail ledger); :func:`repair_lines` cuts off the half line a crash can leave.
- **Spreadsheet cells.** :func:`csv_cell` writes a value so a spreadsheet cannot take it for a
  formula (the batch's CSV and the register's exports).
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .exceptions import OutputError

__all__ = ["DISK_FULL", "JsonLines", "StagedFile", "copy_private", "create_private", "csv_cell", "link_digest",
           "make_private_dir", "one_line", "open_no_follow", "prepare_output", "repair_lines", "safe_suffix",
           "source_fields", "write_private", "writing_private"]

log = logging.getLogger("klageformular.batch")

#: The errors of a full disk, a quota, or a file size limit (RLIMIT_FSIZE): the output, not the input.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,9}")


def source_fields(relative: Path | str) -> dict[str, Any]:
    """``{"source": readable}``, plus ``"source_bytes"`` (base64) when the name is not valid UTF-8.

    >>> source_fields("sub/Klage.pdf")
    {'source': 'sub/Klage.pdf'}
    >>> source_fields(os.fsdecode(b"x\\xff.pdf"))
    {'source': 'x\\\\xff.pdf', 'source_bytes': 'eP8ucGRm'}
    """
    raw = os.fsencode(Path(relative).as_posix())
    readable = raw.decode("utf-8", "backslashreplace")
    fields: dict[str, Any] = {"source": readable}
    if readable.encode("utf-8") != raw:
        fields["source_bytes"] = base64.b64encode(raw).decode("ascii")
    return fields


def safe_suffix(path: Path) -> str:
    """The file's extension for a quarantine copy's name, if it is a plain one (else none).

    >>> safe_suffix(Path("Klage.PDF")), safe_suffix(Path("a.p\\ndf")), safe_suffix(Path("kopi"))
    ('.pdf', '', '')
    """
    suffix = path.suffix.lower()
    return suffix if _SUFFIX.fullmatch(suffix) else ""


def one_line(text: str) -> str:
    """``text`` safe for one line of terminal output: control characters and line breaks escaped.

    >>> one_line("Klage\\nfra\\tØ.pdf")
    'Klage\\\\nfra\\\\tØ.pdf'
    """
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def link_digest(path: Path) -> str:
    """A stable identity for a symlink (sha256 of where it points): a re-run knows it again."""
    return hashlib.sha256(b"symlink:" + os.fsencode(path.readlink())).hexdigest()


def open_no_follow(path: Path) -> int:
    """A read-only descriptor for ``path``; ``OSError`` (ELOOP) if it has become a symlink."""
    return os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))


def prepare_output(out: Path, names: Iterable[str]) -> None:
    """Create ``out`` (0700, with any missing parents) and check it and its ``names`` can be written.

    Raises :class:`~klageformular.exceptions.OutputError` with a one-line reason instead of
    failing half-way through a run.
    """
    try:
        make_private_dir(out)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {out}: {exc.strerror or exc}") from None
    probe = out / f".klageformular-probe-{os.getpid()}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write in the output folder {out}: {exc.strerror or exc}") from None
    for name in names:
        try:
            fd = os.open(out / name, os.O_WRONLY | os.O_APPEND)  # opens, writes nothing
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot write {out / name}: {exc.strerror or exc}") from None
        os.close(fd)


def make_private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents 0700 whatever the umask (existing folders are left as they are)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700)
        folder.chmod(0o700)  # mkdir's mode is masked by the umask


def write_private(path: Path, data: bytes) -> None:
    """Write ``path`` whole (0600): a temporary name first, then an atomic rename.

    The one way this library writes a file it produces (records, summaries, CSV and xlsx
    exports, letters, saved attachments): a crash or a full disk leaves the old file or none,
    never half of one, and the complaint data in it is the owner's alone.
    """
    with writing_private(path) as f:
        f.write(data)


@contextmanager
def writing_private(path: Path) -> Iterator[IO[bytes]]:
    """:func:`write_private` for a file written as it goes (an export of the whole register).

    The file is open under the temporary name for the ``with`` block and renamed into place
    when it ends without an exception (else removed): the same guarantees, without holding
    the whole file in memory.
    """
    partial = path.with_name(path.name + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)  # an older .part may have had other modes
            yield f
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)


class StagedFile:
    """``data`` written whole and synced under a temporary name (0600), for another commit to decide.

    :meth:`commit` renames it into place (no new space needed, so a full disk cannot fail it);
    :meth:`discard` removes it. The register writes a letter this way: staged before the
    database commit (a full disk fails the transaction), in place only after it.
    """

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".part")
        if path.is_dir():  # the one way the rename in commit() could fail: found now, before the other commit
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
        fd = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), 0o600)
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            self.partial.unlink(missing_ok=True)
            raise

    def commit(self) -> None:
        self.partial.replace(self.path)

    def discard(self) -> None:
        self.partial.unlink(missing_ok=True)


def create_private(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists (a file another program then opens and fills).

    For the SQLite register: SQLite gives its ``-wal``, ``-shm`` and ``-journal`` files the
    main file's mode, so a register created here stays the owner's alone whatever the umask.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, 0o600)  # O_CREAT's mode is masked by the umask (0o200 would leave it read-only)
    finally:
        os.close(fd)


def copy_private(source: Path, target: Path) -> None:
    """Copy ``source`` (never through a symlink) to ``target`` (0600), whole or not at all."""
    if not target.parent.exists():
        make_private_dir(target.parent)
    partial = target.with_name(target.name + ".part")
    with os.fdopen(open_no_follow(source), "rb") as src:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as dst:
                os.fchmod(dst.fileno(), 0o600)
                shutil.copyfileobj(src, dst)
        except BaseException:
            partial.unlink(missing_ok=True)  # a full disk: the half copy would hold the space
            raise
    partial.replace(target)


class JsonLines:
    """An append-only JSON Lines file written one whole line per ``write`` call.

    A process killed mid-run leaves either a whole line or none; a half line left by a
    power cut or full disk is cut off by :func:`repair_lines` when the next run opens the file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def write(self, record: dict[str, Any]) -> None:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        data = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        written = os.write(self.fd, data)
        while written < len(data):  # regular files take the whole buffer unless the disk is full
            written += os.write(self.fd, data[written:])

    def close(self) -> None:
        if self.fd is not None:
            os.fsync(self.fd)
            os.close(self.fd)
            self.fd = None


def repair_lines(path: Path) -> None:
    """Cut off a last line with no newline: what a crash mid-write can leave.

    Reads only the file's tail, back to its last newline (a file's history is never read for this).
    """
    try:
        f = path.open("rb+")
    except FileNotFoundError:
        return
    with f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        keep, at = 0, size
        while at > 0:  # back from the end in blocks: a half line is at most one record long
            step = min(at, 65536)
            f.seek(at - step)
            newline = f.read(step).rfind(b"\n")
            if newline >= 0:
                keep = at - step + newline + 1
                break
            at -= step
        log.warning("%s: cut off a half-written last line (%d bytes)", path.name, size - keep)
        f.truncate(keep)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as a spreadsheet cell that cannot be a formula (OWASP: prefix ``'``).

    >>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell("+4512345678"), csv_cell(12)
    ('\\'=HYPERLINK("http://x")', "'+4512345678", '12')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
