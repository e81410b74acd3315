"""Worker processes for batch mode: one file at a time each, killable one by one, with a memory ceiling.

Workers are plain ``python -m klageformular._worker`` child processes speaking JSON Lines
over their stdin/stdout, not ``multiprocessing`` children: those re-import the caller's
``__main__`` (a notebook or a script without a ``__main__`` guard breaks), and a
``multiprocessing.Pool`` cannot kill one hung task. A worker that runs past its deadline
is killed and replaced; one that dies becomes a "resource limit" result for its file; one
that cannot even start stops the run, since every file would fail the same way.

Log records from workers are sent back and re-emitted in the main process, so a caller's
logging configuration (and a test's log capture) sees them.

The same workers read mail for a batch run (``reader``): each task is a message the main
process saved to a private file, and the reply is the message as JSON
(:func:`klageformular.intake._read.read_saved`), under the same deadline and memory ceiling.
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar

from . import exceptions
from ._files import DISK_FULL, open_no_follow
from ._limits import Limits
from ._quiet import silence_unconfigured
from .exceptions import ConfigurationError, KlageformularError, ParseTimeoutError, PdfReadError, WorkerCrashedError

# The parser, the profiles and the scan reader load in the worker, where the files are read: the
# main process of a run with nothing new to read never imports pypdf or builds a profile model.
if TYPE_CHECKING:
    from .org import Organisation
    from .parse import ParseResult

__all__ = ["DEFAULT_PARSER", "Failed", "Parsed", "Reply", "WorkerPool", "parse_file", "worker_main"]

T = TypeVar("T")
Message = dict[str, Any]  # one JSON line on the channel between the processes


@dataclass(frozen=True)
class Parsed:
    """A worker read the file: the :class:`ParseResult` as JSON-ready data (``to_dict``), and its
    acknowledgement deadline, counted where the resolved profile is (the run's fixed one, or the
    form's own: Norwegian working days for Kameo Norway's form).
    """

    result: dict[str, Any]
    acknowledge_by: str
    # A scanned form's crops (field path, PNG bytes): written beside the records, documents of the case.
    crops: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class Failed:
    """The file could not be read: the error's class, and its one-line message.

    ``error`` is a :class:`KlageformularError` subclass — the parser's own, or
    :class:`ParseTimeoutError` / :class:`WorkerCrashedError` for a worker that was killed — or
    None for a bug of ours (``name`` then says which Python error it was). What the failure
    means for the file (its reason in the records) is the caller's to decide.
    """

    error: type[KlageformularError] | None
    name: str
    message: str


Reply = Parsed | Failed

DEFAULT_PARSER = "klageformular._pool:parse_file"
_STARTUP_SECONDS = 60.0  # importing pypdf, pdfplumber and pydantic on a slow, busy machine


def parse_file(path: str, limits: Limits) -> ParseResult:
    """The default parser: :func:`~klageformular.parse_pdf` on the file, never through a symlink."""
    from .parse import parse_image, parse_pdf
    from .scan._raster import image_kind

    try:
        stream = os.fdopen(open_no_follow(Path(path)), "rb")
    except OSError as exc:  # ELOOP: replaced by a symlink since the main process looked
        raise PdfReadError(f"cannot read the file: {exc.strerror or type(exc).__name__}") from None
    with stream:
        # A photo or a scanner's image file of the form is read as a scan; anything else as a PDF.
        if image_kind(stream.read(8)) is not None:
            stream.seek(0)
            return parse_image(stream, limits=limits)
        stream.seek(0)
        return parse_pdf(stream, limits=limits)


# -- the worker side ----------------------------------------------------------------------------


class _Forward(logging.Handler):
    """Sends log records to the main process over the reply channel."""

    def __init__(self, send: Callable[[Message], None]) -> None:
        super().__init__()
        self.send = send

    def emit(self, record: logging.LogRecord) -> None:
        self.send({"log": [record.name, record.levelno, record.getMessage()]})


def _convert(path: str, received: date, parser: Callable[[str, Limits], ParseResult], limits: Limits,
             fixed: Organisation | None) -> Message:
    """One file: the parse result as JSON-ready data and its deadline, or the error that stopped it."""
    from .org import deadlines

    try:
        result = parser(path, limits)
        profile = fixed or result.profile
        deadline = deadlines(received, profile).acknowledge_by
        message: Message = {"result": result.to_dict(), "acknowledge_by": deadline.isoformat()}
        if result.scan is not None and result.scan.crops:
            message["crops"] = [[c.path, base64.b64encode(c.png).decode("ascii")] for c in result.scan.crops]
        return message
    except KlageformularError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    except MemoryError:
        return {"error": WorkerCrashedError.__name__, "message": "ran out of memory (the worker's memory ceiling)"}
    except Exception as exc:  # a bug of ours: the file is set aside, the run goes on
        logging.getLogger("klageformular.batch").exception("internal error")
        return {"error": type(exc).__name__, "internal": True,
                "message": f"internal error ({type(exc).__name__}); please report it"}


def _reply(message: Message) -> Reply:
    """The typed reply for a worker's message: the error's class looked up in our exception tree."""
    if "result" in message:
        crops = tuple((str(path), base64.b64decode(png)) for path, png in message.get("crops") or ())
        return Parsed(message["result"], str(message["acknowledge_by"]), crops)
    name = str(message["error"])
    error = None if message.get("internal") else getattr(exceptions, name, None)
    if not (isinstance(error, type) and issubclass(error, KlageformularError)):
        error = None
    return Failed(error, name, str(message["message"]))


def _read(path: str, reader: Callable[..., dict[str, Any]], options: dict[str, Any]) -> Message:
    """One message: the reader's JSON-ready result, or the error that stopped it."""
    try:
        return {"result": reader(path, **options), "acknowledge_by": ""}
    except KlageformularError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    except MemoryError:
        return {"error": WorkerCrashedError.__name__, "message": "ran out of memory (the worker's memory ceiling)"}
    except OSError as exc:
        if exc.errno in DISK_FULL:  # the output's problem, not the message's: the main process stops the run
            return {"error": "OSError", "message": str(exc.errno)}
        return {"error": "MailReadError", "message": f"cannot read the message ({type(exc).__name__})"}
    except RecursionError:  # the email package on thousands of nested parts
        return {"error": "MailLimitExceededError", "message": "parts nested too deeply to read"}
    except Exception as exc:  # the email package on truly hostile input: unreadable, not a crash
        return {"error": "MailReadError", "message": f"broken message ({type(exc).__name__})"}


def worker_main(config: dict[str, Any]) -> None:
    """The worker process: set up, say ready, then parse one path per input line until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the main process decides
    # So does systemd's SIGTERM (KillMode=control-group): a worker that died of it would turn the
    # message it was reading into an unreadable entry. The main process stops and then kills us.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    sys.stdout = sys.stderr  # a stray print() in a library must not corrupt the channel

    def send(message: Message) -> None:
        channel.write(json.dumps(message, ensure_ascii=False) + "\n")
        channel.flush()

    # Only our own records travel back: pypdf's warnings about a broken file are noise for the
    # officer (dozens per file) and the rejected line already says what was wrong.
    ours = logging.getLogger("klageformular")
    ours.handlers[:] = [_Forward(send)]
    ours.setLevel(config["log_level"])
    ours.propagate = False
    silence_unconfigured()  # the libraries' own warnings would land on the officer's terminal
    reader: Callable[..., dict[str, Any]] | None = None
    if config.get("reader"):
        module, _, name = config["reader"].partition(":")
        reader = getattr(importlib.import_module(module), name)
        options = _reader_options(config["reader_options"])
    module, _, name = config["parser"].partition(":")
    parser = getattr(importlib.import_module(module), name)
    limits = Limits(**config["limits"])
    from .org import Organisation

    fixed = Organisation.model_validate(config["org"]) if config["org"] else None
    try:
        import resource
    except ImportError:  # Windows: no address-space limit; the timeout still applies
        resource = None  # type: ignore[assignment]
    if limits.worker_memory_mb and resource is not None:
        ceiling = limits.worker_memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    send({"ready": True})
    for line in sys.stdin:
        task = json.loads(line)
        if reader is not None:
            send(_read(task["path"], reader, options))
        else:
            send(_convert(task["path"], date.fromisoformat(task["received"]), parser, limits, fixed))


def _reader_options(options: dict[str, Any]) -> dict[str, Any]:
    from .intake import MailLimits

    return {"limits": MailLimits(**options["limits"]), "attachments": Path(options["attachments"])}


# -- the main side ------------------------------------------------------------------------------------


class _Worker(Generic[T]):
    def __init__(self, config: str) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))  # as the caller imports
        self.process = subprocess.Popen(
            [sys.executable, "-m", "klageformular._worker", config], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin: IO[bytes] = self.process.stdin
        self.stdout: IO[bytes] = self.process.stdout
        self.task: T | None = None
        self.deadline = time.monotonic() + _STARTUP_SECONDS
        self.ready = False
        self.pending = b""  # read but not yet a whole line

    def read_lines(self) -> list[str] | None:
        """The whole lines that have arrived; None at end of file (the worker is gone).

        Raw ``os.read``, not ``readline``: a buffered reader can swallow the next line into its
        buffer, where ``select`` no longer sees it, and the reply would wait for the deadline.
        """
        chunk = os.read(self.stdout.fileno(), 1 << 16)
        if not chunk:
            return None
        *lines, self.pending = (self.pending + chunk).split(b"\n")
        return [line.decode("utf-8") for line in lines]

    def give(self, task: T, path: str, received: date, timeout: float) -> None:
        self.task, self.deadline = task, time.monotonic() + timeout
        self.stdin.write(json.dumps({"path": path, "received": received.isoformat()}).encode() + b"\n")
        self.stdin.flush()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.stdin, self.stdout):
            with suppress(OSError):  # a broken pipe to a dead worker
                stream.close()


class WorkerPool(Generic[T]):
    """Run tasks in ``size`` worker processes; ``run`` yields ``(task, reply)`` as each finishes.

    Not a context manager for nothing: leaving it (also by Ctrl-C or an exception) kills
    every worker that is still busy.
    """

    def __init__(self, size: int, *, limits: Limits, org: Organisation | None = None,
                 parser: str = DEFAULT_PARSER, reader: tuple[str, dict[str, Any]] | None = None) -> None:
        # ``reader``: ("module:function", its JSON-ready options) to read mail instead of parsing PDFs.
        self.size, self.timeout = size, limits.timeout_seconds
        self.config = json.dumps({"limits": asdict(limits), "parser": parser,
                                  "org": org.model_dump(mode="json") if org else None,
                                  "reader": reader[0] if reader else None,
                                  "reader_options": reader[1] if reader else None,
                                  "log_level": logging.getLogger("klageformular").getEffectiveLevel()})
        self.workers: list[_Worker[T]] = []
        self.selector = selectors.DefaultSelector()

    def __enter__(self) -> WorkerPool[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        for worker in self.workers:
            if worker.task is None:
                with suppress(OSError):
                    worker.stdin.close()  # end of input: the worker exits on its own
        for worker in self.workers:
            with suppress(subprocess.TimeoutExpired):
                worker.process.wait(timeout=2 if worker.task is None else 0)
            worker.kill()
        self.selector.close()

    def run(self, tasks: Iterable[tuple[T, str, date]]) -> Iterator[tuple[T, Reply]]:
        """Parse each ``(task, path, received)``; yields the task with the worker's reply, in finishing order.

        ``org`` (given to the pool) fixes whose working days count; by default each form's own.
        """
        pending = iter(tasks)
        queued = next(pending, None)
        while True:
            for worker in self.workers:
                if queued is not None and worker.ready and worker.task is None:
                    worker.give(queued[0], queued[1], queued[2], self.timeout)
                    queued = next(pending, None)
            if queued is not None:
                while len(self.workers) < self.size:
                    self._start()  # all at once: each spends a second importing before it is ready
            elif not any(w.task is not None for w in self.workers):
                return
            yield from self._collect()

    def _start(self) -> None:
        worker: _Worker[T] = _Worker(self.config)
        self.workers.append(worker)
        self.selector.register(worker.stdout, selectors.EVENT_READ, worker)

    def _collect(self) -> Iterator[tuple[T, Reply]]:
        """Wait for the next replies or deadlines."""
        deadline = min(w.deadline for w in self.workers)
        events = self.selector.select(timeout=max(0.0, deadline - time.monotonic()))
        for key, _ in events:
            worker: _Worker[T] = key.data
            lines = worker.read_lines()
            if lines is None:
                yield from self._lost(worker, f"the parser's process ended unexpectedly "
                                              f"(exit code {worker.process.wait()})")
                continue
            for line in lines:
                message: Message = json.loads(line)
                if "log" in message:
                    name, level, text = message["log"]
                    logging.getLogger(name).log(level, "%s", text)
                elif "ready" in message:
                    worker.ready = True
                elif worker.task is not None:
                    task, worker.task = worker.task, None
                    yield task, _reply(message)
        now = time.monotonic()
        for worker in list(self.workers):
            if worker.deadline <= now and (worker.task is not None or not worker.ready):
                yield from self._lost(worker, None)

    def _lost(self, worker: _Worker[T], crash: str | None) -> Iterator[tuple[T, Reply]]:
        """A worker that died or ran out of time: kill it; its task gets a reply saying why."""
        self.selector.unregister(worker.stdout)
        self.workers.remove(worker)
        worker.kill()
        if not worker.ready:
            raise ConfigurationError("batch worker processes cannot start (run `python -m klageformular._worker '{}'` "
                                     "to see why)")
        if worker.task is None:
            return
        if crash is None:
            yield worker.task, Failed(ParseTimeoutError, ParseTimeoutError.__name__,
                                      f"parsing took longer than {self.timeout:g} s")
        else:
            # Killed by a signal (the kernel's OOM killer, a crash in a C library) or out of memory.
            yield worker.task, Failed(WorkerCrashedError, WorkerCrashedError.__name__, crash)

