"""The watch's runs in the register (revision 0011): each run of ``klageformular watch`` as one row of counts.

:class:`WatchRun` is what a run did — when it started and finished, how many messages it read
from its source and what they became in the register — and what :func:`record_run` stores and
:func:`list_runs` reads back, newest first. Counts only: never a name, an address or a subject;
a failed run stores the kind of failure (``MailboxError``), not its text.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from ._schema import WatchRunRow, column_text
from ._workflow import utc

__all__ = ["WatchRun", "list_runs", "record_run"]


class WatchRun(BaseModel):
    """One watch run: ``read`` messages (or files) read from the source and settled in the watch's folder;
    ``imported`` new cases (``unreadable`` of them entries a person must look at), ``duplicates``
    records that joined an existing case, ``set_aside`` auto-replies and delivery reports. With
    ``watch --auto-ack``: ``sent`` letters the mail server took (acknowledgements of complete new
    cases, and queued letters sent again), ``send_failed`` letters it did not (deferred: still
    queued; or refused), ``waiting_for_review`` new cases left for a person (not complete, or under
    a profile that does not allow automatic acknowledgements).

    A run ``stopped_early`` (``SIGTERM``) finished the message it was on; the rest waits for the
    next run. A ``failed`` run names the kind of failure in ``error``; ``reason`` is its one line
    for the console and the log, never stored (it may name the source). ``id`` is the register's
    number for a recorded run. Not supported: the runs of a process killed outright (``SIGKILL``,
    a power cut) — those leave no row; the next run imports what they read.
    """

    model_config = ConfigDict(frozen=True)

    started: datetime
    finished: datetime
    source_key: str = Field(max_length=64)
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    unreadable: int = 0
    set_aside: int = 0
    sent: int = 0
    send_failed: int = 0
    waiting_for_review: int = 0
    failed: bool = False
    stopped_early: bool = False
    error: str | None = None
    reason: str | None = Field(default=None, exclude=True)
    id: int | None = None

    def line(self) -> str:
        """One line for a console or a journal: counts, and the outcome."""
        outcome = (f"failed ({self.error}{': ' + self.reason if self.reason else ''})" if self.failed
                   else "stopped early" if self.stopped_early else "done")
        sending = (f"; {self.sent} sent, {self.send_failed} not sent, {self.waiting_for_review} waiting for review"
                   if self.sent or self.send_failed or self.waiting_for_review else "")
        return (f"watch run {self.started:%Y-%m-%d %H:%M:%S} UTC: {self.read} read, {self.imported} imported "
                f"({self.unreadable} unreadable), {self.duplicates} duplicate(s), {self.set_aside} set aside"
                f"{sending}; {outcome}")


def record_run(session: Session, run: WatchRun) -> WatchRun:
    """Store ``run`` (in the caller's transaction); returns it with its ``id``."""
    row = WatchRunRow(started_at=run.started, finished_at=run.finished, source_key=run.source_key, read=run.read,
                      imported=run.imported, duplicates=run.duplicates, unreadable=run.unreadable,
                      set_aside=run.set_aside, sent=run.sent, send_failed=run.send_failed,
                      waiting_for_review=run.waiting_for_review, failed=run.failed, stopped_early=run.stopped_early,
                      error=column_text(run.error, 80))
    session.add(row)
    session.flush()
    return run.model_copy(update={"id": row.id})


def list_runs(session: Session, *, limit: int = 20) -> list[WatchRun]:
    """The newest ``limit`` runs, newest first."""
    rows = session.scalars(select(WatchRunRow).order_by(WatchRunRow.started_at.desc(), WatchRunRow.id.desc())
                           .limit(limit)).all()
    return [WatchRun(id=r.id, started=utc(r.started_at), finished=utc(r.finished_at), source_key=r.source_key,
                     read=r.read, imported=r.imported, duplicates=r.duplicates, unreadable=r.unreadable,
                     set_aside=r.set_aside, sent=r.sent, send_failed=r.send_failed,
                     waiting_for_review=r.waiting_for_review, failed=r.failed, stopped_early=r.stopped_early,
                     error=r.error)
            for r in rows]
