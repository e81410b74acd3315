"""The watch: mail from a source into the register on a schedule, run after run, with nothing lost or doubled.

This module owns the watch's *working folder* and what it keeps there, the *lock* that lets
one run at a time work on it, the *record* of each run in the register, and *stopping*
between two messages. It holds no intake rule of its own: each run is the two steps an
officer would type, done by the code that does them there —

1. :func:`klageformular.batch.convert_folder` reads the source's new messages into
   ``FOLDER/records`` (resumable: a message an earlier run read is not read again; IMAP
   messages are marked seen or moved, with ``mark_seen`` / ``move_to``, once their records are
   written, as ``batch --mark-seen/--move-to`` does);
2. :meth:`klageformular.register.Register.import_folder` imports the record lines added since
   the watch's last import (``FOLDER/watch.json`` remembers how far it got in each file; the
   import is idempotent, so a run killed half-way is finished by the next).

Each run returns a :class:`~klageformular.register.WatchRun` (counts only) and is recorded in
the register's ``watch_runs``. A run that fails — the database gone, the IMAP server down —
is a failed :class:`WatchRun`, not an exception: :func:`watch` prints it and tries again at
the next tick. ``stop()`` (see :class:`StopSignals`) ends a run between two messages, never
mid-write; ``SIGKILL`` at any point leaves records whole and the next run goes on.

After each import ``on_new_cases`` (if given) gets the references of the new cases, at least
once: they are kept in ``watch.json`` until it returns, so a run killed before it ran passes
them on in the next run (and a run killed inside the import: the next imports the same lines
again, and the cases it finds already there are passed on with the new ones).

With :class:`Sending` in the options (``watch --auto-ack``) the run also sends letters, after its
import: the acknowledgement of each new case that is complete and whose profile allows it
(:meth:`Register.acknowledge_complete`: one already acknowledged is skipped, so a case passed on
twice is never acknowledged twice), then every letter still queued from before the run (the
outbox's retry: deferred letters go out, each with its own Message-ID). ``stop()`` is asked
between two letters: a send in progress finishes and is recorded.

>>> run = run_once("Maildir", "watch-state", register=Register(engine))   # doctest: +SKIP
>>> run.read, run.imported, run.failed                                    # doctest: +SKIP
(3, 3, False)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from ._files import make_private_dir, one_line, write_private
from ._index import whole_length
from ._mailbatch import MailOptions, is_imap_url
from .exceptions import KlageformularError, WatchLockedError
from .records import RECORD_FILES, SET_ASIDE

if TYPE_CHECKING:
    from ._limits import Limits
    from .batch import FileOutcome
    from .org import Organisation
    from .register import Profile, Register, WatchRun
    from .register._outbox import Mailer, SentCopier

__all__ = ["NewCasesHook", "Sending", "StopSignals", "WatchOptions", "run_once", "source_key", "watch",
           "working_folder"]

log = logging.getLogger("klageformular.watch")

Source = str | os.PathLike[str]
#: Called after each import with the references of the new cases (see the module docstring).
NewCasesHook = Callable[[Sequence[str]], None]

RECORDS = "records"  # the batch output folder inside the working folder
STATE = "watch.json"  # how far the import got in each record file; references not yet passed on
_LOCK = ".watch.lock"


@dataclass(frozen=True)
class Sending:
    """Letters the watch sends: through ``mailer`` (a copy in ``copier``'s Sent folder, when given).

    ``auto_ack``: acknowledge complete new cases whose profile allows it; every run also sends the
    letters still queued (the outbox's retry). Build the mailer at the edge, before the first run
    (:func:`klageformular.smtp.smtp_from_environment` with ``prompt=None``: a service never asks).
    """

    mailer: Mailer
    copier: SentCopier | None = None
    auto_ack: bool = True


@dataclass(frozen=True)
class WatchOptions:
    """How each run reads and imports: the batch's settings and the register's.

    ``who`` names the watch in the cases' history; ``org`` fixes whose working days count in the
    batch (default: each form's own profile); ``profiles`` replace built-in profiles at import
    (as ``register import --org-file``); ``mail`` holds the IMAP password and ``mark_seen`` /
    ``move_to``; ``workers`` parse in parallel (one is plenty for a few messages a tick);
    ``sending``: letters sent after each import (None: none).
    """

    who: str = "watch"
    workers: int = 1
    mail: MailOptions = field(default_factory=MailOptions)
    org: Organisation | None = None
    profiles: Sequence[Profile] = ()
    limits: Limits | None = None
    sending: Sending | None = None


def source_key(source: Source) -> str:
    """A hash that tells sources apart (stored with each run instead of the source: a path may name a person).

    >>> source_key("imaps://klage@mail.kameo.dk/INBOX") == source_key("imaps://klage@mail.kameo.dk/INBOX")
    True
    """
    name = str(source) if is_imap_url(source) else str(Path(source).resolve())
    return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()


def working_folder(state_home: Path, source: Source, database_url: str) -> Path:
    """The default working folder of a watch of ``source`` into the register at ``database_url``.

    One per pair, so a systemd timer and a manual run of the same watch share it — and its
    lock. ``state_home`` is the caller's (the command line passes ``$XDG_STATE_HOME`` or
    ``~/.local/state``); only a hash of the URL is used (it may hold a password).
    """
    pair = f"{source_key(source)}\0{database_url}".encode("utf-8", "surrogateescape")
    return state_home / "klageformular" / "watch" / hashlib.sha256(pair).hexdigest()[:16]


# -- one run ----------------------------------------------------------------------------------------


def run_once(source: Source, folder: str | os.PathLike[str], *, register: Register,
             options: WatchOptions | None = None, stop: Callable[[], bool] | None = None,
             on_new_cases: NewCasesHook | None = None) -> WatchRun:
    """Read what is new in ``source`` into ``folder`` and import it into ``register``; record the run there.

    Raises :class:`WatchLockedError` when another run holds ``folder``; every other failure
    is a failed run (returned, and recorded when the register can still be written). Its
    ``id`` is None when it could not be recorded.
    """
    from .register import WatchRun

    options = options or WatchOptions()
    work = Path(folder)
    make_private_dir(work)
    with _locked(work):
        started = datetime.now(UTC)
        counts = _Counts()
        asked = _Asked(stop)
        error: Exception | None = None
        try:
            _run(source, work, register, options, counts, asked, on_new_cases, started)
        except Exception as exc:  # the loop must outlive a bad run: it is recorded, and the next one tries again
            error = exc
        # Every count by its own name: a count added to _Counts reaches the run without a second list.
        run = WatchRun(started=started, finished=datetime.now(UTC), source_key=source_key(source),
                       **dataclasses.asdict(counts), failed=error is not None, stopped_early=asked.said and not error,
                       error=type(error).__name__ if error else None, reason=_reason(error) if error else None)
        return _record(register, run)


@dataclass
class _Counts:
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    unreadable: int = 0
    set_aside: int = 0
    sent: int = 0
    send_failed: int = 0
    waiting_for_review: int = 0

    def file(self, outcome: FileOutcome) -> None:
        """The batch's ``on_file``: one message or file settled in the working folder."""
        if outcome.outcome != "skipped":
            self.read += 1
        if outcome.outcome == "set_aside":
            self.set_aside += 1


class _Asked:
    """The caller's ``stop()``, remembering whether it ever said yes (the run then stopped early)."""

    def __init__(self, stop: Callable[[], bool] | None) -> None:
        self.stop, self.said = stop, False

    def __call__(self) -> bool:
        if not self.said and self.stop is not None and self.stop():
            self.said = True
        return self.said


def _run(source: Source, work: Path, register: Register, options: WatchOptions, counts: _Counts, asked: _Asked,
         on_new_cases: NewCasesHook | None, started: datetime) -> None:
    from .batch import convert_folder

    state = _State.load(work / STATE)
    hook = _hook(register, options, counts, asked, on_new_cases)
    if state.pending and hook is not None:  # a run killed after its import, before the hook
        _pass_on(work, state, hook)
    records = work / RECORDS
    failure: Exception | None = None
    if not asked():
        try:
            convert_folder(source, records, workers=options.workers, org=options.org, limits=options.limits,
                           mail=options.mail, on_file=counts.file, stop=asked)
        except Exception as exc:  # what it wrote before failing is whole: imported below all the same
            failure = exc
    window = {name: (state.start(records / name), whole_length(records / name))
              for name in (*RECORD_FILES, SET_ASIDE)}
    if any(start < end for start, end in window.values()):
        try:
            done = register.import_folder(records, who=options.who, profiles=options.profiles, window=window,
                                          stop=asked)
        except Exception:
            if failure is not None:  # the first failure says what went wrong (the IMAP server, not the import)
                raise failure from None
            raise
        summary = done.summary
        counts.imported, counts.unreadable, counts.duplicates = summary.added, summary.unreadable, summary.attached
        if not summary.stopped:
            state.imported = {name: end for name, (_, end) in window.items()}
        if hook is not None:  # kept until passed on (without a hook there is no one to pass them to)
            state.pending = list(dict.fromkeys([*state.pending, *summary.references, *summary.again]))
        state.save(work / STATE)
        if hook is not None and state.pending:
            _pass_on(work, state, hook)
    if options.sending is not None:  # the letters still queued from before this run (deferred, or cut off)
        for result in register.retry(mailer=options.sending.mailer, copier=options.sending.copier, who=options.who,
                                     before=started, stop=asked):
            counts.sent += result.result == "sent"
            counts.send_failed += result.result in ("deferred", "failed")
    if failure is not None:
        raise failure


_Hook = Callable[[list[str]], list[str]]  # the new cases → those to pass on again next time


def _hook(register: Register, options: WatchOptions, counts: _Counts, asked: _Asked,
          on_new_cases: NewCasesHook | None) -> _Hook | None:
    """The caller's hook, then the automatic acknowledgements (None: neither)."""
    sending = options.sending if options.sending is not None and options.sending.auto_ack else None
    if sending is None and on_new_cases is None:
        return None

    def hook(references: list[str]) -> list[str]:
        if on_new_cases is not None:
            on_new_cases(references)
        if sending is None:
            return []
        done = register.acknowledge_complete(references, mailer=sending.mailer, copier=sending.copier,
                                             who=options.who, stop=asked)
        counts.sent += done.sent
        counts.send_failed += done.send_failed
        counts.waiting_for_review += done.waiting_for_review
        return done.left
    return hook


def _pass_on(work: Path, state: _State, hook: _Hook) -> None:
    state.pending = hook(list(state.pending))
    state.save(work / STATE)


@dataclass
class _State:
    """``watch.json``: the byte offset each record file was imported up to, and new cases not yet passed on."""

    imported: dict[str, int] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> _State:
        try:
            data: Any = json.loads(path.read_bytes())
        except FileNotFoundError:
            return cls()
        except ValueError:
            # Unreadable (never half-written: it is replaced whole): import everything again,
            # which adds nothing that is there already.
            log.warning("watch: %s cannot be read; the records are imported again from the start", path.name)
            return cls()
        imported = data.get("imported") if isinstance(data, dict) else None
        pending = data.get("pending") if isinstance(data, dict) else None
        return cls({str(k): int(v) for k, v in (imported or {}).items() if isinstance(v, int)},
                   [str(r) for r in pending or [] if isinstance(r, str)])

    def save(self, path: Path) -> None:
        write_private(path, json.dumps({"imported": self.imported, "pending": self.pending}).encode())

    def start(self, path: Path) -> int:
        """Where to start reading ``path``: after the lines imported before, if that still is a line start."""
        offset = self.imported.get(path.name, 0)
        if offset <= 0:
            return 0
        try:
            with path.open("rb") as f:
                f.seek(offset - 1)
                if f.read(1) == b"\n":
                    return offset
        except OSError:
            pass
        return 0  # the file was replaced or cut: from the start (the import skips what it has)


def _record(register: Register, run: WatchRun) -> WatchRun:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with register.session() as session, session.begin():
            return register.record_run(session, run)
    except (SQLAlchemyError, KlageformularError, OSError) as exc:
        log.warning("watch: the run could not be recorded in the register (%s)", type(exc).__name__)
        return run


def _reason(exc: BaseException) -> str:
    """One line for the console: our errors' own (they name no values), a database's without its SQL."""
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        cause = getattr(exc, "orig", None) or exc
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        return f"database error ({type(cause).__name__})" + (
            f": {first[:160]}" if first and "[SQL" not in first and "parameters" not in first else "")
    if isinstance(exc, KlageformularError):
        return one_line(str(exc))[:300]
    if isinstance(exc, OSError):  # not its file name: a file in a folder source may be named for a person
        return exc.strerror or type(exc).__name__
    return type(exc).__name__


@contextmanager
def _locked(work: Path) -> Iterator[None]:
    """An exclusive lock on the working folder for one run (released by the kernel if the process dies)."""
    import fcntl

    fd = os.open(work / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WatchLockedError(f"another watch run is working on {work} (the same register and source); "
                                   "nothing done") from None
        yield
    finally:
        os.close(fd)


# -- run after run ------------------------------------------------------------------------------------


def watch(source: Source, folder: str | os.PathLike[str], *, connect: Callable[[], Register], every: float,
          options: WatchOptions | None = None, stop: Callable[[], bool] | None = None,
          on_run: Callable[[WatchRun], None] | None = None, on_locked: Callable[[WatchLockedError], None] | None = None,
          on_new_cases: NewCasesHook | None = None) -> None:
    """A run every ``every`` seconds (counted from each run's start) until ``stop()`` says so.

    ``connect()`` gives the register for one run (a new engine each time, so a database that was
    down comes back by itself); a run that cannot even connect is reported to ``on_run`` as a
    failed, unrecorded run. A tick that finds another run working is skipped (``on_locked``).
    """
    from .register import WatchRun

    asked = stop or (lambda: False)
    while not asked():
        started = time.monotonic()
        try:
            register = connect()
        except Exception as exc:
            now = datetime.now(UTC)
            run: WatchRun | None = WatchRun(started=now, finished=now, source_key=source_key(source), failed=True,
                                            error=type(exc).__name__, reason=_reason(exc))
        else:
            try:
                run = run_once(source, folder, register=register, options=options, stop=asked,
                               on_new_cases=on_new_cases)
            except WatchLockedError as exc:
                run = None
                if on_locked is not None:
                    on_locked(exc)
            finally:
                register.engine.dispose()
        if run is not None and on_run is not None:
            on_run(run)
        while not asked() and (left := started + every - time.monotonic()) > 0:
            time.sleep(min(left, 0.5))  # a signal's handler runs at once; the flag is seen within half a second


class StopSignals:
    """``SIGTERM`` and ``SIGINT`` ask the watch to stop (use ``with``); the instance is the ``stop`` callable.

    The run in progress finishes the message it is on, is recorded as stopped early, and the
    process ends normally. The previous handlers come back on leaving the block.
    """

    def __init__(self) -> None:
        self.signal: int | None = None
        self._previous: dict[int, Any] = {}

    def __call__(self) -> bool:
        return self.signal is not None

    def _handle(self, number: int, _frame: FrameType | None) -> None:
        self.signal = number  # only a flag: the run looks at it between two messages

    def __enter__(self) -> StopSignals:
        for number in (signal.SIGTERM, signal.SIGINT):
            self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
