"""The workbench's accounts: users, their passwords and second factor, logins and lockout.

Functions in the FastAPI template's manner: a session the caller owns and typed input in, a
typed object out (:class:`User`, :class:`NewUser`); never a hidden transaction. ``now`` is
passed in (the app's clock), so timeouts and lockouts are tested without waiting.

- Passwords: Argon2id (argon2-cffi's defaults, RFC 9106's second recommended set); a hash
  made with older parameters is re-made at the next good login.
- Second factor: TOTP (RFC 6238, 30-second steps, six digits; pyotp), required by default for
  officers and admins. A code is taken one step either side (clocks drift) and only once: the
  step used is stored and a code of that step or an earlier one is refused.
- Lockout: ``max_failures`` failed logins in a row lock the account until an admin unlocks it
  (``users unlock``); ``address_failures`` failed logins from one address within
  ``address_window`` refuse that address for the rest of the window. An unknown name costs a
  hash all the same, so the time a refusal takes does not tell which names exist.

Not supported: password reset by mail (an admin resets it), WebAuthn. OpenID Connect logins: :mod:`._oidc`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..exceptions import AccountError, LoginRefusedError, UnknownUserError
from ..register._schema import ROLES, LoginAttemptRow, UserRow, WebSessionRow

__all__ = ["ISSUER", "LANGUAGES", "MIN_PASSWORD", "ROLES", "LoginPolicy", "NewUser", "User", "add_user",
           "authenticate", "get_user", "list_users", "otpauth_uri", "reset_password", "reset_totp", "set_disabled",
           "set_language", "unlock"]

#: The workbench speaks Danish and English (the officer's choice, per account).
LANGUAGES = ("da", "en")
MIN_PASSWORD = 12  # NIST SP 800-63B asks for 8 at least; an office register deserves more
_MAX_PASSWORD = 1024  # Argon2 takes any length, but a megabyte "password" is a denial of service
ISSUER = "Klageformular"  # the name an authenticator app shows beside the account
_HASHER = PasswordHasher()  # Argon2id, 64 MiB, 3 passes, 4 lanes
# Verified against when the name matches no account, so that a refusal costs the same either way.
_DUMMY = _HASHER.hash(secrets.token_hex(16))


class User(BaseModel):
    """A workbench account as the app and ``users list`` see it (no hash, no secret)."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    role: str
    language: str
    totp: bool
    disabled: bool
    locked: bool
    created_at: datetime

    @property
    def can_work(self) -> bool:
        """Officers and admins change cases; a viewer only reads."""
        return self.role in ("officer", "admin")


@dataclass(frozen=True)
class NewUser:
    """What adding an account (or a new second factor) gave: the account and the ``otpauth://`` URI, once."""

    user: User
    otpauth_uri: str | None


@dataclass(frozen=True)
class LoginPolicy:
    """How many failures lock an account, and how many from one address within ``address_window`` refuse it."""

    max_failures: int = 5
    address_failures: int = 20
    address_window: timedelta = timedelta(minutes=15)


def _user(row: UserRow) -> User:
    return User(id=row.id, name=row.name, role=row.role, language=row.language, totp=row.totp_secret is not None,
                disabled=row.disabled, locked=row.locked_at is not None, created_at=row.created_at)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > _MAX_PASSWORD:
        raise AccountError(f"a password may have at most {_MAX_PASSWORD} characters")


def _row(session: Session, name: str) -> UserRow:
    row = session.scalars(select(UserRow).where(UserRow.name == name.strip())).first()
    if row is None:
        raise UnknownUserError(f"no account {name.strip()!r}")
    return row


def otpauth_uri(name: str, secret: str) -> str:
    """The ``otpauth://totp/…`` URI an authenticator app reads (as text or a QR code)."""
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=ISSUER)


def add_user(session: Session, *, name: str, role: str, password: str, now: datetime, language: str = "da",
             totp: bool | None = None) -> NewUser:
    """A new account; ``totp`` None: a second factor for officers and admins, none for viewers."""
    import pyotp

    name = name.strip()
    if not name or len(name) > 120 or any(not c.isprintable() for c in name):
        raise AccountError("a user name is 1 to 120 printable characters")
    if role not in ROLES:
        raise AccountError(f"a role is one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        raise AccountError(f"the workbench's languages are {', '.join(LANGUAGES)}")
    _check_password(password)
    if session.scalars(select(UserRow.id).where(UserRow.name == name)).first() is not None:
        raise AccountError(f"there is an account {name!r} already")
    secret = pyotp.random_base32() if (totp if totp is not None else role != "viewer") else None
    row = UserRow(name=name, role=role, password_hash=_HASHER.hash(password), totp_secret=secret, language=language,
                  disabled=False, failures=0, created_at=now)
    session.add(row)
    session.flush()
    return NewUser(_user(row), otpauth_uri(name, secret) if secret else None)


def get_user(session: Session, user_id: int) -> User | None:
    """The account with ``user_id`` (None when there is none)."""
    row = session.get(UserRow, user_id)
    return _user(row) if row is not None else None


def list_users(session: Session) -> list[User]:
    """Every account, by name."""
    return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]


def _end_sessions(session: Session, row: UserRow) -> None:
    session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == row.id))


def set_disabled(session: Session, name: str, disabled: bool) -> User:
    """Disable an account (its sessions end at once) or enable it again."""
    row = _row(session, name)
    row.disabled = disabled
    if disabled:
        _end_sessions(session, row)
    session.flush()
    return _user(row)


def reset_password(session: Session, name: str, password: str) -> User:
    """A new password; the account's sessions end (whoever knew the old one is logged out)."""
    _check_password(password)
    row = _row(session, name)
    row.password_hash = _HASHER.hash(password)
    _end_sessions(session, row)
    session.flush()
    return _user(row)


def reset_totp(session: Session, name: str, *, enabled: bool = True) -> NewUser:
    """A new TOTP secret (a lost phone), or none (``enabled=False``); the account's sessions end."""
    import pyotp

    row = _row(session, name)
    row.totp_secret = pyotp.random_base32() if enabled else None
    row.totp_step = None
    _end_sessions(session, row)
    session.flush()
    return NewUser(_user(row), otpauth_uri(row.name, row.totp_secret) if row.totp_secret else None)


def unlock(session: Session, name: str) -> User:
    """Lift a lockout: the failures count starts again from nothing."""
    row = _row(session, name)
    row.locked_at, row.failures = None, 0
    session.flush()
    return _user(row)


def set_language(session: Session, user_id: int, language: str) -> User:
    """The language the workbench speaks to this account (``da`` or ``en``)."""
    if language not in LANGUAGES:
        raise AccountError(f"the workbench's languages are {', '.join(LANGUAGES)}")
    row = session.get(UserRow, user_id)
    if row is None:
        raise UnknownUserError(f"no account with id {user_id}")
    row.language = language
    session.flush()
    return _user(row)


def address_key(address: str) -> str:
    """The sha256 of a client's address: what the login attempts keep (see :class:`LoginAttemptRow`)."""
    return hashlib.sha256(address.encode("utf-8", "replace")).hexdigest()


def _totp_step(secret: str, code: str, last: int | None, now: datetime) -> int | None:
    """The time step ``code`` belongs to (one either side of now), if it is newer than ``last``."""
    import pyotp

    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if (last is None or step > last) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def authenticate(session: Session, *, name: str, password: str, code: str, address: str, now: datetime,
                 policy: LoginPolicy | None = None) -> User:
    """The account if name, password and (when it has one) TOTP code are right; else :class:`LoginRefusedError`.

    Every attempt is recorded (:class:`LoginAttemptRow`); the caller commits even on a refusal
    (the failure must count), which is why the refusal is raised after the row is flushed.
    """
    policy = policy or LoginPolicy()
    key = address_key(address)
    since = now - policy.address_window
    recent = session.scalar(select(func.count()).select_from(LoginAttemptRow).where(
        LoginAttemptRow.address_key == key, LoginAttemptRow.at >= since, LoginAttemptRow.success.is_(False)))
    row = session.scalars(select(UserRow).where(UserRow.name == name.strip()).with_for_update()).first() \
        if name.strip() else None
    if (recent or 0) >= policy.address_failures:
        session.add(LoginAttemptRow(at=now, user_id=row.id if row else None, address_key=key, success=False))
        session.flush()
        raise LoginRefusedError("too many failed logins from this address; try again later", reason="rate_limited")
    good: bool
    try:
        good = _HASHER.verify(row.password_hash if row is not None else _DUMMY, password[:_MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        good = False
    good = good and row is not None
    step = None
    if good and row is not None and row.totp_secret is not None:
        step = _totp_step(row.totp_secret, code, row.totp_step, now)
        good = step is not None
    locked = row is not None and row.locked_at is not None
    usable = good and row is not None and not row.disabled and not locked
    session.add(LoginAttemptRow(at=now, user_id=row.id if row else None, address_key=key, success=usable))
    if row is not None and not usable and not locked and not row.disabled:
        row.failures += 1
        if row.failures >= policy.max_failures:
            row.locked_at = now
    session.flush()
    if row is None or not usable:
        if locked:
            raise LoginRefusedError("the account is locked after too many failed logins; an admin can unlock it",
                                    reason="locked")
        raise LoginRefusedError("wrong user name, password or code", reason="credentials")
    row.failures = 0
    if step is not None:
        row.totp_step = step
    if _HASHER.check_needs_rehash(row.password_hash):
        row.password_hash = _HASHER.hash(password)
    session.flush()
    return _user(row)
