"""Convert a folder of received PDFs into complaint records: parallel, resumable, nothing lost.

Every file under the inbox ends up in exactly one place in the output folder:

- ``complaints.jsonl`` — every readable form is a complaint, ``complete`` or ``needs_review``
  (with review items that keep each problem value as typed), with ``received`` and
  ``acknowledge_by``;
- ``rejected.jsonl`` — a file that is not a readable form (not a PDF, a scan, a password,
  a timeout …), status ``unreadable``, still with ``received`` and ``acknowledge_by``: a scan
  or a letter may be a complaint too. The file itself is copied to ``quarantine/``;
- ``duplicates.jsonl`` — the same complaint as an earlier file: the same bytes
  (``same_file``) or the same content as another file (``same_content``: a printed copy, a
  resend; see :mod:`klageformular.parse.content_key`), with ``duplicate_of``;
- already converted by an earlier run (the same file with the same bytes): counted only.

Files are taken in the order they were received (then by path), and each file's line is
written in that order whatever order the workers finish in: the earliest received copy of a
complaint is the original, and a run that was interrupted and resumed writes exactly what
one clean run writes. Each file is parsed in a worker process with a wall-clock limit and a
memory ceiling, so a pathological PDF becomes a ``timeout`` or ``resource limit`` line
instead of a hung or killed run. Each output line is written with a single ``write`` on an
append-only file, and a line left half-written by a crash is cut off on the next run.
``summary.json`` holds the counts, where always
``inputs == complete + needs_review + unreadable + duplicates + skipped_already_done + set_aside``.

Mail (an mbox, a Maildir, an IMAP folder, or ``.eml``/``.msg``/mbox files in the folder) is
read by :mod:`klageformular._mailbatch`: attached PDFs become entries like files, a message
without a form a plain-email complaint, auto-replies and delivery reports are ``set_aside`` (a
line each in ``set_aside.jsonl``, for the register to link to the letter they answer);
``messages.jsonl`` and ``attachments/`` hold the messages and what they carried.

>>> summary = convert_folder("inbox", "out", workers=2)          # doctest: +SKIP
>>> summary.complete, summary.needs_review, summary.unreadable     # doctest: +SKIP
(38, 3, 2)
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import time
from collections import ChainMap
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ._entry import Entry, Outcome, Received, State
from ._files import (
    DISK_FULL,
    JsonLines,
    copy_private,
    csv_cell,
    link_digest,
    make_private_dir,
    open_no_follow,
    prepare_output,
    repair_lines,
    safe_suffix,
    source_fields,
    write_private,
)
from ._index import FolderIndex, Known, KnownSet
from ._limits import Limits
from ._mailbatch import MailDesk, MailOptions, is_imap_url, mail_source
from ._paths import flatten
from ._pool import DEFAULT_PARSER, Failed, Parsed, Reply, WorkerPool
from .exceptions import ConfigurationError, LimitExceededError, OutputError, ParseTimeoutError
from .model import Complaint
from .org import Organisation, deadlines, get_organisation
from .records import (
    ATTACHMENTS,
    COMPLAINTS,
    CSV,
    DUPLICATES,
    QUARANTINE,
    RECORD_FILES,
    REJECTED,
    SET_ASIDE,
    SUMMARY,
    AttachedFile,
    Record,
    read_records,
)

# The output names are re-exported here, where they were first defined (records.py is their home).
__all__ = ["COMPLAINTS", "DUPLICATES", "QUARANTINE", "REJECTED", "SUMMARY", "BatchSummary", "FileOutcome",
           "convert_folder", "csv_cell", "write_csv"]

log = logging.getLogger("klageformular.batch")

_LOCK = ".klageformular-batch.lock"


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one input; passed to the ``on_file`` callback (no personal data in it)."""

    source: str
    sha256: str | None
    outcome: Outcome
    reason: str | None = None
    message: str | None = None  # why it was unreadable or needs review; names fields, never their values


@dataclass
class BatchSummary:
    """Counts and timings of one run.

    Always ``inputs == complete + needs_review + unreadable + duplicates + skipped_already_done + set_aside``;
    ``complaints`` is ``complete + needs_review``. An interrupted run counts in ``inputs`` only
    the files it settled; the rest are ``unfinished``.
    """

    inbox: str
    outdir: str
    workers: int
    inputs: int = 0
    complaints: int = 0
    complete: int = 0
    needs_review: int = 0
    unreadable: int = 0
    duplicates: int = 0
    skipped_already_done: int = 0
    unreadable_by_reason: dict[str, int] = field(default_factory=dict)
    duplicates_by_kind: dict[str, int] = field(default_factory=dict)
    set_aside: int = 0  # messages that are clearly no complaint (auto-replies, delivery reports)
    mail: dict[str, Any] | None = None  # messages and attachments (see klageformular._mailbatch)
    unfinished: int = 0  # files an interrupted run did not reach (not in ``inputs``; the next run takes them)
    started: str = ""
    seconds: float = 0.0
    files_per_second: float = 0.0
    interrupted: bool = False

    @property
    def settled(self) -> int:
        """Files with their line written (or found done): the right side of the invariant."""
        return (self.complete + self.needs_review + self.unreadable + self.duplicates + self.skipped_already_done
                + self.set_aside)

    def to_dict(self) -> dict[str, Any]:
        """The ``summary.json`` shape."""
        return asdict(self)


def convert_folder(
    inbox: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    *,
    workers: int | None = None,
    received: Received = "mtime",
    write_csv_file: bool = False,
    org: Organisation | None = None,
    limits: Limits | None = None,
    on_file: Callable[[FileOutcome], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    mail: MailOptions | None = None,
    stop: Callable[[], bool] | None = None,
    _parser: str = DEFAULT_PARSER,
) -> BatchSummary:
    """Convert every file under ``inbox`` into records in ``outdir`` (created if needed).

    ``org`` fixes whose working days count for every ``acknowledge_by``; by default each
    form's own profile decides (Kameo Denmark for files that cannot be read). ``workers``
    defaults to the usable cores. ``limits`` holds every limit in one place: the input limits
    and work budget of each parse, and batch mode's own — ``timeout_seconds`` per file (the
    worker is killed past it) and ``worker_memory_mb`` (each worker's address-space ceiling).
    ``received`` is the file's modification date, today, or a given date; with the
    organisation profile it gives ``acknowledge_by``. ``on_start(total)`` and
    ``on_file(outcome)`` report progress. ``_parser`` is private, for tests: the
    ``"module:function"`` a worker runs on each file, to simulate one that hangs or crashes.

    ``inbox`` may also be an mbox file, a Maildir or an ``imap[s]://user@host/Folder`` URL, and a
    folder's ``.eml``, ``.msg`` and mbox files are read as mail (see :mod:`klageformular._mailbatch`);
    ``mail`` sets the mail limits and the IMAP password and options.

    ``stop()`` is asked before each message is read and after each message or file is settled
    (its lines and ledger line written); once it answers True the run ends there — between two
    messages, never inside one — and returns with ``interrupted`` set (the next run goes on).

    >>> convert_folder("inbox", "out").inputs                          # doctest: +SKIP
    43
    """
    inbox_path, out = Path(inbox).resolve(), Path(outdir).resolve()
    mail = mail or MailOptions()
    if not is_imap_url(inbox) and not inbox_path.exists():
        raise ConfigurationError(f"inbox {inbox} is not a folder, an mbox file, a Maildir or an IMAP URL")
    limits = limits or Limits()
    fixed_org = org is not None
    org = org or get_organisation()
    count = workers or _usable_cores()
    if count < 1:
        raise ConfigurationError("workers must be at least 1")
    # or OutputError, before writing
    prepare_output(out, (COMPLAINTS, REJECTED, DUPLICATES, SET_ASIDE, SUMMARY, CSV, _LOCK))
    try:
        return _convert(inbox, inbox_path, out, count, received=received, write_csv_file=write_csv_file, org=org,
                        fixed_org=fixed_org, limits=limits, on_file=on_file, on_start=on_start, mail=mail,
                        parser=_parser, stop=stop)
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            raise
        # Every line written is whole (a half one is cut off next time) and nothing unsettled is
        # recorded as settled, so the same command, with space, finishes the work.
        raise OutputError(f"the output folder {out} is full ({exc.strerror or exc}): the records written so far "
                          f"are whole; free some space and run the same command again to finish") from None


def _convert(inbox: str | os.PathLike[str], inbox_path: Path, out: Path, count: int, *, received: Received,
             write_csv_file: bool, org: Organisation, fixed_org: bool, limits: Limits,
             on_file: Callable[[FileOutcome], None] | None, on_start: Callable[[int], None] | None,
             mail: MailOptions, parser: str, stop: Callable[[], bool] | None = None) -> BatchSummary:
    summary = BatchSummary(str(inbox_path), str(out), count, started=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    start = time.monotonic()
    with _locked(out), ExitStack() as stack:
        state, index = _load_state(out)
        stack.callback(index.close)
        run = _Run(inbox_path, out, summary, org, received, on_file, state, stop)
        run.mail = desk = MailDesk(run, mail, stop=stop)
        stack.callback(desk.intake.index.close)  # on every way out: a full disk stops a run before finish()
        source = stack.enter_context(mail_source(inbox, mail, desk.done_keys))
        files, messages = desk.split(_walk(inbox_path, out) if source is None else iter(()), source)
        entries = run.entries(files)
        entries += desk.entries(messages, entries, limits=limits, workers=count)  # after the files, by receipt
        summary.inputs = len(entries)
        if on_start:
            on_start(len(entries))
        try:
            size = max(1, min(count, len(entries)))
            pool: WorkerPool[Entry] = WorkerPool(size, limits=limits, org=org if fixed_org else None,
                                                  parser=parser)
            with pool:
                tasks = ((entry, str(entry.path), entry.received) for entry in run.to_parse(entries))
                for entry, reply in pool.run(tasks):
                    run.parsed(entry, reply)
        except _Stopped:  # asked to stop, between two messages: every line written is whole
            summary.interrupted, summary.unfinished, summary.inputs = (
                True, summary.inputs - summary.settled, summary.settled)
        except BaseException:  # Ctrl-C, or workers that cannot start: what was written stays valid
            summary.interrupted, summary.unfinished, summary.inputs = (
                True, summary.inputs - summary.settled, summary.settled)
            raise
        finally:
            run.close()
            summary.seconds = round(time.monotonic() - start, 3)
            summary.files_per_second = round(summary.inputs / summary.seconds, 2) if summary.seconds else 0.0
            _write_atomic(out / SUMMARY, json.dumps(summary.to_dict(), ensure_ascii=False, indent=2) + "\n")
            if write_csv_file:
                write_csv(out / COMPLAINTS, out / CSV)
    log.info("batch: %d inputs, %d complete, %d need review, %d unreadable, %d duplicates, %d already done",
             summary.inputs, summary.complete, summary.needs_review, summary.unreadable, summary.duplicates,
             summary.skipped_already_done)
    return summary


# -- one run: the bookkeeping in the main process -------------------------------------------------


class _Stopped(Exception):  # noqa: N818 (not an error: the caller's ``stop()`` said so)
    """Raised between two settled messages when ``stop()`` says so; caught by :func:`_convert`."""


class _Run:
    """The run's books: output writers, counters and state (the mail desk sees them as :class:`Books`)."""

    def __init__(self, inbox: Path, out: Path, summary: BatchSummary, org: Organisation, received: Received,
                 on_file: Callable[[FileOutcome], None] | None, state: State,
                 stop: Callable[[], bool] | None = None) -> None:
        # ``org``: the run's profile, for files without a form of their own (unreadable, a copy).
        self.inbox, self.out, self.summary, self.org = inbox, out, summary, org
        self.received, self.on_file, self.state, self.stop = received, on_file, state, stop
        self.lines = {"complaint": JsonLines(out / COMPLAINTS), "unreadable": JsonLines(out / REJECTED),
                      "duplicate": JsonLines(out / DUPLICATES), "automatic": JsonLines(out / SET_ASIDE)}
        # Files of cases erased in the register that a prune took out of this folder (issue 28): skipped, so
        # a run over the same inbox does not bring them back.
        from .records import folder_tombstones

        self.erased = folder_tombstones(out)
        self.ready: dict[int, Entry] = {}  # settled out of order, waiting for their turn
        self.next = 0
        self.mail: MailDesk | None = None

    def entries(self, files: Iterator[Path]) -> list[Entry]:
        """Every input in receipt order (then by path), hashed; copies of earlier bytes marked."""
        dated = [(self._received(path), path) for path in files]
        dated.sort(key=lambda item: (item[0], self.relative(item[1])))
        entries: list[Entry] = []
        first = ChainMap[str, str]({}, self.state.by_sha)  # this run's originals over the folder's
        for index, ((day, _), path) in enumerate(dated):
            # any bytes, readable
            record = Record.model_validate(source_fields(path.relative_to(self.inbox)))
            entry = Entry(index, path, record, day)
            source = record.source
            entries.append(entry)
            if path.is_symlink():
                # Never followed (it may point anywhere: /etc/passwd): listed, not read, not copied.
                entry.record = record.with_(sha256=link_digest(path), received=day.isoformat())
                entry.error = ("symlink", "SymlinkNotFollowed", "a symbolic link: not followed (batch reads only "
                               "regular files inside the inbox)")
                entry.skipped = entry.record.file_key in self.state.settled
                continue
            try:
                digest: str | None = _sha256(path)
            except OSError as exc:
                # Unreadable here will be unreadable in the worker too.
                digest = None
                entry.error = ("unreadable", "OSError", f"cannot read the file: {exc.strerror or exc}")
            entry.record = record.with_(sha256=digest, received=day.isoformat())
            if (source, digest) in self.state.settled or digest in self.erased:
                entry.skipped = True
            elif digest is not None and digest in first:
                entry.duplicate_of = (first[digest], digest)
            elif digest is not None:
                first[digest] = source
        return entries

    def to_parse(self, entries: list[Entry]) -> Iterator[Entry]:
        """The entries a worker must read; the others are settled here, each in its turn."""
        for entry in entries:
            if entry.skipped or entry.duplicate_of or entry.error or entry.message is not None:
                self._ready(entry)
            else:
                yield entry

    def parsed(self, entry: Entry, reply: Reply) -> None:
        """A worker's reply for one entry: settled when every earlier entry is."""
        entry.reply = reply
        self._ready(entry)

    def _ready(self, entry: Entry) -> None:
        self.ready[entry.index] = entry
        while self.next in self.ready:
            settled = self.ready.pop(self.next)
            self._settle(settled)
            self.next += 1
            # A PDF attached to a message is only part of it: the message's own entry comes next.
            whole = self.mail is None or settled.index not in self.mail.attached
            if whole and self.stop is not None and self.stop():
                raise _Stopped

    def _settle(self, entry: Entry) -> None:
        record = entry.record
        if self.mail is not None and self.mail.settles(entry):
            return  # a message's own entry, or a PDF attached to one that is not the form
        if entry.skipped:
            self.count("skipped", record)
        elif entry.duplicate_of:
            self.duplicate(record.with_(acknowledge_by=self.acknowledge(entry.received)), entry.duplicate_of,
                           "same_file")
        elif entry.error:
            self._unreadable(entry, *entry.error)
        else:
            assert entry.reply is not None
            if isinstance(entry.reply, Failed):
                self._unreadable(entry, _reason(entry.reply), entry.reply.name, entry.reply.message)
            else:
                self._complaint(entry, entry.reply)

    def _complaint(self, entry: Entry, parsed: Parsed) -> None:
        result = parsed.result
        meta = {k: result[k] for k in ("method", "language", "form_version", "page_count", "organisation",
                                       "status", "warnings", "review", "content_key")}
        # The deadline came with the result: the worker counted it by the resolved profile.
        record = entry.record.with_(acknowledge_by=parsed.acknowledge_by, **meta)
        key = result["content_key"]
        if key is not None and key in self.state.by_key:
            self.duplicate(record, self.state.by_key[key], "same_content")
            return
        if key is not None:
            self.state.by_key[key] = (record.source, str(record.sha256))
        if parsed.crops:
            record = record.with_(attachments=[*(record.attachments or []), *self._crops(parsed.crops)])
        review = result["review"]
        message = (f"{len(review)} field(s) to review: " + ", ".join(f"{r['path']} ({r['code']})" for r in review)
                   if review else None)
        self.write(record.with_(complaint=result["complaint"]), result["status"], message=message)

    def _crops(self, crops: tuple[tuple[str, bytes], ...]) -> list[AttachedFile]:
        """A scanned form's crops saved as ``attachments/<sha256>``: the register makes them documents."""
        folder = self.out / ATTACHMENTS
        make_private_dir(folder)
        listed = []
        for path, png in crops:
            digest = hashlib.sha256(png).hexdigest()
            target = folder / digest
            if not target.exists():
                write_private(target, png)
            listed.append(AttachedFile(name=f"scan-{path}.png", content_type="image/png", size=len(png),
                                       sha256=digest, path=f"{ATTACHMENTS}/{digest}",
                                       note=f"the scan's {path} box, to key by hand"))
        return listed

    def form(self, entry: Entry) -> None:
        """The line of an entry a worker read as a form (held back by the mail desk until its message settles)."""
        assert isinstance(entry.reply, Parsed)
        self._complaint(entry, entry.reply)

    def duplicate(self, record: Record, original: tuple[str, str], kind: str) -> None:
        """Write ``record`` as a copy of ``original`` (source, sha256)."""
        self.write(record.with_(duplicate_of=original[0], duplicate_of_sha256=original[1], duplicate_kind=kind),
                   "duplicate", kind)

    def _unreadable(self, entry: Entry, reason: str, error: str, message: str) -> None:
        # Not our form, or not readable at all: it may still be a complaint (a scan, a letter),
        # so it gets its deadline by the run's profile and waits for a person.
        record = entry.record.with_(acknowledge_by=self.acknowledge(entry.received))
        quarantined = self._quarantine(entry.path, record.sha256) if entry.error is None else None
        self.write(record.with_(status="unreadable", reason=reason, error=error, message=message,
                                quarantine=quarantined), "unreadable", reason, message)

    def acknowledge(self, day: date) -> str:
        """The deadline of a file without a form of its own (unreadable, a copy, a mail), by the run's profile."""
        return deadlines(day, self.org).acknowledge_by.isoformat()

    def write(self, record: Record, outcome: Outcome, reason: str | None = None,
              message: str | None = None) -> None:
        """One line in the file of the record's kind, then counted."""
        self.lines[record.kind].write(record.to_line())
        if outcome == "unreadable":
            by_reason = self.summary.unreadable_by_reason
            by_reason[reason or "unreadable"] = by_reason.get(reason or "unreadable", 0) + 1
        elif outcome == "duplicate":
            kind = record.duplicate_kind or "same_file"
            self.summary.duplicates_by_kind[kind] = self.summary.duplicates_by_kind.get(kind, 0) + 1
        self.count(outcome, record, reason, message)

    def count(self, outcome: Outcome, record: Record, reason: str | None = None,
              message: str | None = None) -> None:
        """Count one settled input and tell the caller (``on_file``)."""
        attribute = {"complete": "complete", "needs_review": "needs_review", "unreadable": "unreadable",
                     "duplicate": "duplicates", "skipped": "skipped_already_done", "set_aside": "set_aside"}[outcome]
        setattr(self.summary, attribute, getattr(self.summary, attribute) + 1)
        self.summary.complaints = self.summary.complete + self.summary.needs_review
        # The path may carry a name ("Søren Hansen klage.pdf"): only the hash goes to the log at INFO.
        log.info("%s: %s%s", (record.sha256 or "-")[:12], outcome, f" ({reason})" if reason else "")
        if self.on_file:
            self.on_file(FileOutcome(record.source, record.sha256, outcome, reason, message))

    def no_line(self) -> None:
        """An input counted in ``inputs`` that gets no line of its own (its message's or form's line has it)."""
        self.summary.inputs -= 1

    def set_inbox(self, name: str) -> None:
        """The inbox as the summary names it."""
        self.summary.inbox = name

    def _quarantine(self, path: Path, digest: str | None) -> str | None:
        """A copy of the unreadable file, named by its hash (the inbox is never changed)."""
        if digest is None:
            return None
        target = self.out / QUARANTINE / f"{digest[:16]}{safe_suffix(path)}"
        try:
            if not target.exists():
                copy_private(path, target)  # 0600, atomic: a crash leaves no half copy under the final name
        except OSError as exc:
            if exc.errno in DISK_FULL:  # stop before the line: the next run copies it (never "quarantine": null)
                raise
            log.warning("could not quarantine %s: %s", digest[:12], exc.strerror or type(exc).__name__)
            return None
        return target.relative_to(self.out).as_posix()

    def _received(self, path: Path) -> tuple[date, float]:
        """The day the file was received, and its exact time for ordering files of one day."""
        if isinstance(self.received, date):
            return self.received, 0.0
        if self.received == "today":
            return date.today(), 0.0
        try:
            mtime = path.lstat().st_mtime  # a symlink's own time: it is never followed
        except OSError:
            return date.today(), 0.0
        return date.fromtimestamp(mtime), mtime

    def relative(self, path: Path) -> str:
        """A path under the inbox as a record's readable ``source``."""
        return str(source_fields(path.relative_to(self.inbox))["source"])  # readable whatever the bytes

    def close(self) -> None:
        for lines in self.lines.values():
            lines.close()
        if self.mail is not None:
            self.summary.mail = self.mail.finish()  # the message ledger, and the mail counts for summary.json


def _reason(failed: Failed) -> str:
    """What a failure means for the file's line: this module's call, not the worker pool's."""
    if failed.error is None:
        return "internal error"
    if issubclass(failed.error, ParseTimeoutError):
        return "timeout"
    if issubclass(failed.error, LimitExceededError):
        return "resource limit"
    return "unreadable"


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


def _load_state(out: Path) -> tuple[State, FolderIndex]:
    """What earlier runs wrote: settled files, and the originals that later copies point to.

    Read from the folder's index, which reads only the lines added since the last run (see
    :mod:`klageformular._index`); a half line a crash left is cut off first.
    """
    for name in RECORD_FILES:
        repair_lines(out / name)
    index = FolderIndex(out)
    index.update()
    # A same-content copy is still the first file with its bytes: a later copy of those bytes
    # points to it, as in one clean run (a same-file copy points to its original).
    state = State(settled=KnownSet(index.is_settled), by_sha=Known(index.original),
                  by_key=Known(index.by_content), form_shas=KnownSet(index.is_form), copy_of=Known(index.copy_of))
    return state, index


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

_RECORD_COLUMNS = ("source", "sha256", "received", "acknowledge_by", "status", "method", "language", "review",
                   "warnings")

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


def _review_text(item: dict[str, Any]) -> str:
    """One review item for a person: label, problem in the form's language, and what was typed."""
    typed = f" [{item['value']}]" if item.get("value") else ""
    return f"{item['label']}: {item['message_local']}{typed}"


def write_csv(jsonl: Path, target: Path) -> int:
    """``complaints.csv`` from ``complaints.jsonl``: UTF-8 with BOM (Excel reads æøå), one row each,
    sorted by source, formulas neutralised; ``status`` and a readable ``review`` column
    (label: problem [as typed]; items separated by ``; ``). Returns the number of rows.
    """
    columns = [*_RECORD_COLUMNS, *(f"complaint.{c}" for c in _complaint_columns())]
    rows = []
    for record in read_records(jsonl):
        flat = flatten({k: getattr(record, k) for k in _RECORD_COLUMNS[:-2]} |
                       {"review": [_review_text(r) for r in record.review],
                        "warnings": [w["code"] for w in record.warnings], "complaint": record.complaint})
        rows.append(flat)
    rows.sort(key=lambda r: (r["source"], r["sha256"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
    write_private(target, buffer.getvalue().encode("utf-8-sig"))
    return len(rows)
