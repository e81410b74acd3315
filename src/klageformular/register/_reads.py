"""Units of work that only read: :class:`ReadSession`, opened at the edge for lists, exports and pages.

A command or page that only reads opens ``register.reading()`` (or :func:`read_session` over an
engine) instead of ``register.session()``. Its transaction takes no write lock (SQLite:
``BEGIN`` DEFERRED, not ``BEGIN IMMEDIATE``; PostgreSQL: ``READ ONLY``), so an export of five
years holds up no intake, and it sees one snapshot of the register from its first read to
its end. See :func:`klageformular.register._db.reading`.

A read session refuses to change anything, twice over: an ORM change is stopped before its
flush sends a statement, and a statement that writes anyway (``session.execute(update(…))``)
is refused by the database (``PRAGMA query_only`` / ``READ ONLY``). Either way the caller gets
:class:`~klageformular.exceptions.ReadOnlySessionError`, never a "database is locked" half-way
through a read that began to write.

Not supported: ``begin()`` for a write inside a read session, or turning one into a writer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from ..exceptions import ReadOnlySessionError
from ._db import READ_ONLY_MESSAGE, reading

__all__ = ["ReadSession", "read_session"]


class ReadSession(Session):
    """A session whose transactions only read (bind it to :func:`~._db.reading`'s engine).

    It begins on its first query (no ``s.begin()`` needed) and ends, rolled back, when it closes.
    """


@event.listens_for(ReadSession, "before_flush")
def _no_changes(session: Session, _context: Any, _instances: Any) -> None:
    # Only a real change: an attribute set to the value it had is no write.
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        raise ReadOnlySessionError(READ_ONLY_MESSAGE)


def read_session(engine: Engine) -> ReadSession:
    """A new :class:`ReadSession` over ``engine`` (objects stay readable after it closes)."""
    return ReadSession(reading(engine), expire_on_commit=False)
