"""The entries of one batch run and the bookkeeping both the batch and its mail desk write through.

:mod:`klageformular.batch` owns the run (its output files, counters and worker pool) and
:mod:`klageformular._mailbatch` adds messages to it; both import this module and neither
imports the other. :class:`Books` is what the mail desk may do to the run: write a record,
count an outcome, and say that an entry gets no line of its own.
"""

from __future__ import annotations

from collections.abc import MutableMapping, MutableSet
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from .records import Record

if TYPE_CHECKING:
    from ._pool import Reply
    from .org import Organisation

__all__ = ["Books", "Entry", "Outcome", "Received", "State"]

Outcome = Literal["complete", "needs_review", "unreadable", "duplicate", "skipped", "set_aside"]
Received = Literal["mtime", "today"] | date


@dataclass
class Entry:
    """One input (a file, an attached PDF or a message), its place in receipt order, and what becomes of it."""

    index: int
    path: Path
    record: Record  # source, sha256, received so far
    received: date
    duplicate_of: tuple[str, str] | None = None  # (source, sha256) of the same bytes earlier
    error: tuple[str, str, str] | None = None  # (reason, error type, message): unreadable without parsing
    skipped: bool = False
    reply: Reply | None = None
    message: Any = None  # a message's own entry, after its attachments': settled by the MailDesk


@dataclass
class State:
    """What earlier runs wrote: files already settled, and the originals later copies point to.

    A batch run's state answers from the folder's index (:mod:`klageformular._index`) one key
    at a time; what the run adds is held in memory on top.
    """

    settled: MutableSet[tuple[str, str | None]] = field(default_factory=set)  # (source, sha256)
    by_sha: MutableMapping[str, str] = field(default_factory=dict)  # sha256 -> source of the original
    by_key: MutableMapping[str, tuple[str, str]] = field(default_factory=dict)  # content key -> (source, sha256)
    form_shas: MutableSet[str] = field(default_factory=set)  # bytes read as a form (a complaint or its copy)
    copy_of: MutableMapping[tuple[str, str | None], tuple[str, str]] = field(default_factory=dict)  # settled copies


class Books(Protocol):
    """The run as the mail desk sees it."""

    out: Path
    state: State
    org: Organisation
    received: Received

    def relative(self, path: Path) -> str:
        """A path under the inbox as a record's readable ``source``."""

    def acknowledge(self, day: date) -> str:
        """The acknowledgement deadline (ISO) of an item without a profile of its own, by the run's."""

    def write(self, record: Record, outcome: Outcome, reason: str | None = None,
              message: str | None = None) -> None:
        """Write ``record`` to the file its kind belongs in, and count it."""

    def count(self, outcome: Outcome, record: Record, reason: str | None = None,
              message: str | None = None) -> None:
        """Count an outcome that writes no line (skipped, set aside)."""

    def form(self, entry: Entry) -> None:
        """Write the complaint (or content duplicate) of an entry a worker read as a form, and count it."""

    def no_line(self) -> None:
        """An entry that gets no line of its own (a message whose form has it, a PDF listed on its message)."""

    def set_inbox(self, name: str) -> None:
        """The inbox's name in the summary (a mailbox's URL or path)."""
