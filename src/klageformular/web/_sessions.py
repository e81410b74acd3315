"""Server-side browser sessions in the register database (table ``web_sessions``, revision 0014).

The cookie holds 32 random bytes (URL-safe); the table holds their sha256, so a copy of the
database (a backup) holds no usable session. Each session has its own CSRF token. A session
ends after ``idle`` without a request or ``absolute`` after it began, whichever comes first;
a login always starts a new one (the anonymous session that carried the login form's CSRF
token is deleted), so an id planted before login is worthless after it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from ..register._schema import WebSessionRow

__all__ = ["Lifetimes", "WebSession", "end_session", "find_session", "new_session", "purge_sessions"]


@dataclass(frozen=True)
class Lifetimes:
    """How long a session lives without a request (``idle``) and at most (``absolute``)."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=10)  # a working day; the officer logs in again tomorrow


@dataclass(frozen=True)
class WebSession:
    """A live session: the cookie's ``token`` (only when just made), its user (None: not logged in) and CSRF token."""

    key: str
    user_id: int | None
    csrf: str
    token: str | None = None


def _key(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite drops the zone


def new_session(session: Session, *, user_id: int | None, now: datetime) -> WebSession:
    """A new session (its token goes in the cookie and nowhere else)."""
    token = secrets.token_urlsafe(32)
    row = WebSessionRow(id=_key(token), user_id=user_id, csrf=secrets.token_urlsafe(32), created_at=now, seen_at=now)
    session.add(row)
    session.flush()
    return WebSession(row.id, user_id, row.csrf, token)


def find_session(session: Session, token: str | None, *, now: datetime, lifetimes: Lifetimes) -> WebSession | None:
    """The live session for a cookie's token (None: none, or expired, which is then deleted); marks it seen."""
    if not token or len(token) > 100:
        return None
    row = session.get(WebSessionRow, _key(token))
    if row is None:
        return None
    if _aware(row.seen_at) + lifetimes.idle <= now or _aware(row.created_at) + lifetimes.absolute <= now:
        session.delete(row)
        session.flush()
        return None
    # A write per request would serialise every reader on SQLite: the idle clock moves in minutes.
    if now - _aware(row.seen_at) >= timedelta(seconds=60):
        row.seen_at = now
        session.flush()
    return WebSession(row.id, row.user_id, row.csrf)


def end_session(session: Session, key: str) -> None:
    """Delete a session (logout, or the anonymous one a login replaces)."""
    session.execute(delete(WebSessionRow).where(WebSessionRow.id == key))


def purge_sessions(session: Session, *, now: datetime, lifetimes: Lifetimes) -> int:
    """Delete every expired session (at each login, and from the login form now and then); how many."""
    result = session.execute(delete(WebSessionRow).where(or_(WebSessionRow.seen_at <= now - lifetimes.idle,
                                                             WebSessionRow.created_at <= now - lifetimes.absolute)))
    return int(getattr(result, "rowcount", 0) or 0)
