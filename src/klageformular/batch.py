"""Convert a folder of received PDFs into complaint-log records: parallel, resumable, nothing lost.

Every file under the inbox ends up in exactly one place in the output folder:

- ``complaints.jsonl`` — a valid complaint, with ``received`` and ``acknowledge_by``;
- ``rejected.jsonl`` — a file that could not be converted, with the reason, the per-field
  errors and every raw value recovered; the file itself is copied to ``quarantine/``;
- ``duplicates.jsonl`` — the same bytes as another file of this run;
- already converted by an earlier run (same ``sha256``): counted, not written again.

Each file is parsed in a worker process with a wall-clock limit and a memory ceiling, so
a pathological PDF becomes a ``timeout`` or ``resource limit`` line instead of a hung or
killed run. Each output line is written with a single ``write`` on an append-only file,
and a line left half-written by a crash is cut off on the next run, so an interrupted run
resumes cleanly. ``summary.json`` holds the counts, where always
``inputs == accepted + rejected + duplicates + skipped_already_done``.

>>> summary = convert_folder("inbox", "out", workers=2)          # doctest: +SKIP
>>> summary.accepted, summary.rejected                             # doctest: +SKIP
(41, 2)
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from ._files import copy_private, link_digest, open_no_follow, prepare_output, safe_suffix, source_fields, write_private
from ._pool import DEFAULT_PARSER, WorkerPool
from .exceptions import ConfigurationError
from .model import Complaint
from .org import Organisation, get_organisation, organisation_keys
from .parse import Limits
from .workdays import acknowledge_by

__all__ = ["BatchSummary", "FileOutcome", "convert_folder", "csv_cell", "write_csv"]

log = logging.getLogger("klageformular.batch")

Task = tuple[Path, str | None, dict[str, Any]]

Outcome = Literal["accepted", "rejected", "duplicate", "skipped"]
Received = Literal["mtime", "today"] | date

COMPLAINTS, REJECTED, DUPLICATES, SUMMARY, QUARANTINE = (
    "complaints.jsonl", "rejected.jsonl", "duplicates.jsonl", "summary.json", "quarantine")
_CSV = "complaints.csv"
_LOCK = ".klageformular-batch.lock"


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one input; passed to the ``on_file`` callback (no personal data in it)."""

    source: str
    sha256: str | None
    outcome: Outcome
    reason: str | None = None
    message: str | None = None  # why it was rejected; names fields, never their values


@dataclass
class BatchSummary:
    """Counts and timings of one run; ``inputs == accepted + rejected + duplicates + skipped_already_done``.

    An interrupted run counts in ``inputs`` only the files it settled; the rest are ``unfinished``.
    """

    inbox: str
    outdir: str
    workers: int
    inputs: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    skipped_already_done: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    unfinished: int = 0  # files an interrupted run did not reach (not in ``inputs``; the next run takes them)
    started: str = ""
    seconds: float = 0.0
    files_per_second: float = 0.0
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The ``summary.json`` shape."""
        return asdict(self)


def convert_folder(
    inbox: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    *,
    workers: int | None = None,
    timeout: float | None = None,
    memory_mb: int | None = 1024,
    received: Received = "mtime",
    write_csv_file: bool = False,
    org: Organisation | None = None,
    limits: Limits | None = None,
    on_file: Callable[[FileOutcome], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    parser: str = DEFAULT_PARSER,
) -> BatchSummary:
    """Convert every file under ``inbox`` into records in ``outdir`` (created if needed).

    ``org`` fixes whose working days count for every ``acknowledge_by``; by default each
    form's own profile decides (Kameo Denmark for files that cannot be read). ``workers``
    defaults to the usable cores; ``timeout`` (seconds per file) to
    ``limits.timeout_seconds``; ``memory_mb`` caps each worker's address space (None: no
    cap). ``received`` is the file's modification date, today, or a given date; with the
    organisation profile it gives ``acknowledge_by``. ``on_start(total)`` and
    ``on_file(outcome)`` report progress. ``parser`` names the function a worker runs on each
    file as ``"module:function"`` (taking a path and :class:`Limits`); tests use it to
    simulate a file that hangs.

    >>> convert_folder("inbox", "out").inputs                          # doctest: +SKIP
    43
    """
    inbox_path, out = Path(inbox).resolve(), Path(outdir).resolve()
    if not inbox_path.is_dir():
        raise ConfigurationError(f"inbox {inbox} is not a folder")
    limits = limits or Limits()
    fixed_org = org is not None
    org = org or get_organisation()
    count = workers or _usable_cores()
    if count < 1:
        raise ConfigurationError("workers must be at least 1")
    prepare_output(out, (COMPLAINTS, REJECTED, DUPLICATES, SUMMARY, _CSV, _LOCK))  # or OutputError, before writing
    summary = BatchSummary(str(inbox_path), str(out), count, started=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    start = time.monotonic()
    with _locked(out):
        done = _load_done(out)
        files = sorted(_walk(inbox_path, out))
        summary.inputs = len(files)
        if on_start:
            on_start(len(files))
        run = _Run(inbox_path, out, summary, org, received, on_file, fixed_org=fixed_org)
        try:
            size = max(1, min(count, len(files)))
            pool: WorkerPool[Task] = WorkerPool(size, timeout=timeout or limits.timeout_seconds,
                                                memory_mb=memory_mb, limits=limits, parser=parser)
            with pool:
                for task, reply in pool.run((task, str(task[0])) for task in run.tasks(files, done)):
                    run.finish(task, reply)
        except BaseException:  # Ctrl-C, or workers that cannot start: what was written stays valid
            settled = summary.accepted + summary.rejected + summary.duplicates + summary.skipped_already_done
            summary.interrupted, summary.unfinished, summary.inputs = True, summary.inputs - settled, settled
            raise
        finally:
            run.close()
            summary.seconds = round(time.monotonic() - start, 3)
            summary.files_per_second = round(summary.inputs / summary.seconds, 2) if summary.seconds else 0.0
            _write_atomic(out / SUMMARY, json.dumps(summary.to_dict(), ensure_ascii=False, indent=2) + "\n")
            if write_csv_file:
                write_csv(out / COMPLAINTS, out / _CSV)
    log.info("batch: %d inputs, %d accepted, %d rejected, %d duplicates, %d already done", summary.inputs,
             summary.accepted, summary.rejected, summary.duplicates, summary.skipped_already_done)
    return summary


# -- one run: the bookkeeping in the main process -------------------------------------------------


class _Run:
    def __init__(self, inbox: Path, out: Path, summary: BatchSummary, org: Organisation, received: Received,
                 on_file: Callable[[FileOutcome], None] | None, *, fixed_org: bool) -> None:
        self.inbox, self.out, self.summary, self.org, self.fixed_org = inbox, out, summary, org, fixed_org
        self.received, self.on_file = received, on_file
        self.complaints, self.rejected = _Lines(out / COMPLAINTS), _Lines(out / REJECTED)
        self.duplicates = _Lines(out / DUPLICATES)
        self.waiting: dict[str, list[dict[str, Any]]] = {}  # files being parsed -> their duplicates so far

    def tasks(self, files: list[Path], done: set[str]) -> Iterator[Task]:
        """Files to parse, as (path, sha256, record so far); duplicates and done files are settled here."""
        first: dict[str, str] = {}
        for path in files:
            record: dict[str, Any] = source_fields(path.relative_to(self.inbox))  # any bytes, readable
            if path.is_symlink():
                self._link(path, record, done)
                continue
            try:
                digest = _sha256(path)
            except OSError as exc:
                # Unreadable here will be unreadable in the worker too: reject without hashing.
                self._reject(record | {"sha256": None, "received": None, "acknowledge_by": None},
                             "unreadable", "OSError", f"cannot read the file: {exc.strerror or exc}")
                continue
            record["sha256"] = digest
            if digest in done:
                self._count("skipped", record)
                continue
            if digest in first:
                duplicate = record | {"duplicate_of": first[digest]}
                if digest in self.waiting:
                    # Written after the original's line: a crash in between must not leave a
                    # duplicate whose original was never converted.
                    self.waiting[digest].append(duplicate)
                else:
                    self._duplicate(duplicate)
                continue
            first[digest] = record["source"]
            self.waiting[digest] = []
            record["received"] = self._received(path).isoformat()
            yield path, digest, record

    def finish(self, task: Task, reply: dict[str, Any]) -> None:
        """Write the line for one parsed file, then those of its duplicates."""
        path, digest, record = task
        self._settle(path, record, reply)
        for duplicate in self.waiting.pop(digest or "", []):
            self._duplicate(duplicate)

    def _link(self, path: Path, record: dict[str, Any], done: set[str]) -> None:
        """A symlink is never followed (it may point anywhere: /etc/passwd); it is listed, not read."""
        record |= {"sha256": link_digest(path), "received": None, "acknowledge_by": None}
        if record["sha256"] in done:
            self._count("skipped", record)
        else:
            self._reject(record, "symlink", "SymlinkNotFollowed", "a symbolic link: not followed (batch reads only "
                         "regular files inside the inbox)")

    def _duplicate(self, record: dict[str, Any]) -> None:
        self.duplicates.write(record)
        self._count("duplicate", record)

    def _settle(self, path: Path, record: dict[str, Any], reply: dict[str, Any]) -> None:
        result: dict[str, Any] | None = reply["result"] if reply["status"] == "ok" else None
        org = self.org
        # A Norwegian form is acknowledged by Norwegian working days, unless the run fixed a profile.
        if result is not None and not self.fixed_org and result["organisation"] in organisation_keys():
            org = get_organisation(result["organisation"])
        day = date.fromisoformat(record["received"])
        record = record | {"acknowledge_by": acknowledge_by(day, org.acknowledge_working_days,
                                                            org.holiday_country).isoformat()}
        if result is None:
            self._reject(record, reply["reason"], reply["error"], reply["message"], path)
            return
        meta = {k: result[k] for k in ("method", "language", "form_version", "page_count", "organisation",
                                       "warnings")}
        if result["complaint"] is not None:
            self.complaints.write(record | meta | {"complaint": result["complaint"]})
            self._count("accepted", record)
        else:
            errors = result["errors"]
            self._reject(record | meta | {"raw": result["raw"], "errors": errors}, "invalid",
                         "ComplaintValidationError",
                         f"{len(errors)} invalid field(s): " + ", ".join(e["path"] for e in errors), path)

    def _reject(self, record: dict[str, Any], reason: str, error: str, message: str,
                path: Path | None = None) -> None:
        quarantined = self._quarantine(path, record["sha256"]) if path is not None else None
        line = {"reason": reason, "error": error, "message": message, "errors": [], "raw": {}} | record
        self.rejected.write(line | {"quarantine": quarantined})
        self.summary.rejected_by_reason[reason] = self.summary.rejected_by_reason.get(reason, 0) + 1
        self._count("rejected", record, reason, message)

    def _count(self, outcome: Outcome, record: dict[str, Any], reason: str | None = None,
               message: str | None = None) -> None:
        attribute = {"accepted": "accepted", "rejected": "rejected", "duplicate": "duplicates",
                     "skipped": "skipped_already_done"}[outcome]
        setattr(self.summary, attribute, getattr(self.summary, attribute) + 1)
        # The path may carry a name ("Søren Hansen klage.pdf"): only the hash goes to the log at INFO.
        log.info("%s: %s%s", (record.get("sha256") or "-")[:12], outcome, f" ({reason})" if reason else "")
        if self.on_file:
            self.on_file(FileOutcome(record["source"], record.get("sha256"), outcome, reason, message))

    def _quarantine(self, path: Path, digest: str | None) -> str | None:
        """A copy of the rejected file, named by its hash (the inbox is never changed)."""
        if digest is None:
            return None
        target = self.out / QUARANTINE / f"{digest[:16]}{safe_suffix(path)}"
        try:
            if not target.exists():
                copy_private(path, target)  # 0600, atomic: a crash leaves no half copy under the final name
        except OSError as exc:
            log.warning("could not quarantine %s: %s", digest[:12], exc.strerror or type(exc).__name__)
            return None
        return target.relative_to(self.out).as_posix()

    def _received(self, path: Path) -> date:
        if isinstance(self.received, date):
            return self.received
        if self.received == "today":
            return date.today()
        return date.fromtimestamp(path.stat().st_mtime)

    def _relative(self, path: Path) -> str:
        return str(source_fields(path.relative_to(self.inbox))["source"])  # readable whatever the bytes

    def close(self) -> None:
        for lines in (self.complaints, self.rejected, self.duplicates):
            lines.close()


def _walk(inbox: Path, out: Path) -> Iterator[Path]:
    """Every regular file and symlink under ``inbox``, whatever its name, except the output folder's own.

    Symlinks (to files or folders) are yielded, not followed: the caller lists them unread.
    """
    for folder, dirs, names in os.walk(inbox):
        here = Path(folder)
        yield from (here / d for d in dirs if (here / d).is_symlink())
        dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink() and (here / d).resolve() != out)
        for name in names:
            path = here / name
            if path.is_symlink() or path.is_file():
                yield path


def _sha256(path: Path) -> str:
    with os.fdopen(open_no_follow(path), "rb") as f:  # a file swapped for a symlink is not followed
        return hashlib.file_digest(f, "sha256").hexdigest()


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# -- output files ---------------------------------------------------------------------------------


class _Lines:
    """An append-only JSON Lines file written one whole line per ``write`` call.

    A process killed mid-run leaves either a whole line or none; a half line left by a
    power cut or full disk is cut off by :func:`_repair` when the next run opens the file.
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


def _repair(path: Path) -> None:
    """Cut off a last line with no newline: what a crash mid-write can leave."""
    if not path.exists():
        return
    with path.open("rb+") as f:
        data = f.read()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            log.warning("%s: cut off a half-written last line (%d bytes)", path.name, len(data) - keep)
            f.truncate(keep)


def _load_done(out: Path) -> set[str]:
    """sha256 of every file an earlier run accepted or rejected (those are not converted again)."""
    done: set[str] = set()
    _repair(out / DUPLICATES)
    for name in (COMPLAINTS, REJECTED):
        path = out / name
        _repair(path)
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                try:
                    digest = json.loads(line).get("sha256")
                except ValueError:
                    log.warning("%s line %d is not JSON; ignored", name, number)
                    continue
                if isinstance(digest, str):
                    done.add(digest)
    return done


def _write_atomic(path: Path, text: str) -> None:
    write_private(path, text.encode("utf-8"))


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """An exclusive lock on the output folder: two runs appending to the same files would mix lines."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; one run at a time is then the caller's job
        yield
        return
    fd = os.open(out / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigurationError(f"another batch run is writing to {out}") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


# -- CSV --------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_RECORD_COLUMNS = ("source", "sha256", "received", "acknowledge_by", "method", "language", "warnings")


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


def _complaint_columns(model: type[Any] = Complaint, prefix: str = "") -> list[str]:
    """Dotted column names in the model's field order, nested models flattened."""
    columns = []
    for name, info in model.model_fields.items():
        inner = _model_type(info.annotation)
        columns += _complaint_columns(inner, f"{prefix}{name}.") if inner else [f"{prefix}{name}"]
    return columns


def _model_type(annotation: Any) -> type[Any] | None:
    from pydantic import BaseModel

    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def write_csv(jsonl: Path, target: Path) -> int:
    """``complaints.csv`` from ``complaints.jsonl``: UTF-8 with BOM (Excel reads æøå), one row each,
    sorted by source, formulas neutralised. Returns the number of rows.
    """
    columns = [*_RECORD_COLUMNS, *(f"complaint.{c}" for c in _complaint_columns())]
    rows = []
    if jsonl.exists():
        with jsonl.open(encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                flat = _flatten({k: record.get(k) for k in _RECORD_COLUMNS[:-1]} |
                                {"warnings": [w["code"] for w in record.get("warnings", [])],
                                 "complaint": record["complaint"]})
                rows.append(flat)
    rows.sort(key=lambda r: (r["source"], r["sha256"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
    write_private(target, buffer.getvalue().encode("utf-8-sig"))
    return len(rows)
