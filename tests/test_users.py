"""The workbench's accounts (web/_accounts.py, ``klageformular users …``) and revision 0014.

Real databases (SQLite and the throw-away PostgreSQL, tests/postgres.py), real Argon2id and
TOTP; time is passed in, so lockouts and code steps are tested without waiting.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from klageformular.cli import main
from klageformular.exceptions import AccountError, LoginRefusedError, UnknownUserError
from klageformular.register import add_record, create_register_engine, current_revision
from klageformular.register._db import downgrade, upgrade
from klageformular.register._schema import AuditRow, LoginAttemptRow, UserRow, WebSessionRow
from klageformular.web._accounts import (
    LoginPolicy,
    add_user,
    authenticate,
    list_users,
    reset_password,
    reset_totp,
    set_disabled,
    unlock,
)
from klageformular.web._sessions import Lifetimes, find_session, new_session

from .registers import complaint_record

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_register_engine(db_url)
    yield engine
    engine.dispose()


def secret_of(uri: str) -> str:
    return parse_qs(urlparse(uri).query)["secret"][0]


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def _add(engine: Engine, name: str = "linn", role: str = "officer", **options: object) -> str | None:
    with Session(engine) as s, s.begin():
        done = add_user(s, name=name, role=role, password=PASSWORD, now=NOW, **options)  # type: ignore[arg-type]
    return done.otpauth_uri


def _login(engine: Engine, *, name: str = "linn", password: str = PASSWORD, code: str = "", address: str = "10.0.0.1",
           now: datetime = NOW, policy: LoginPolicy | None = None) -> str:
    """``ok`` or the refusal's reason; the attempt is committed either way, as the app does."""
    with Session(engine) as s, s.begin():
        try:
            authenticate(s, name=name, password=password, code=code, address=address, now=now, policy=policy)
        except LoginRefusedError as exc:
            return exc.reason
    return "ok"


# -- the migration -----------------------------------------------------------------------------------


def test_upgrade_to_accounts_keeps_cases_and_makes_the_audit_append_only(db_url: str) -> None:
    """0013 → 0014 on a register with a case: the four tables start empty, roles and audit actions are
    checked, the audit refuses UPDATE and DELETE; back down keeps the case."""
    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0013")
    add_record(engine, complaint_record(1))
    upgrade(engine, "0014")
    assert current_revision(engine) == "0014"
    with engine.connect() as connection:
        for table in ("users", "web_sessions", "login_attempts", "audit"):
            assert connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 0
        assert connection.execute(sa.text("SELECT count(*) FROM complaints")).scalar() == 1
    _add(engine)
    with Session(engine) as s, s.begin():
        s.add(AuditRow(at=NOW, user_id=1, action="viewed", reference="KLA-2026-0001"))
    with Session(engine) as s, s.begin():
        s.add(UserRow(name="x", role="superuser", password_hash="-", language="da", disabled=False, failures=0,
                      created_at=NOW))
        with pytest.raises(sa.exc.IntegrityError):
            s.flush()
        s.rollback()
    with Session(engine) as s, s.begin():
        s.add(AuditRow(at=NOW, user_id=1, action="edited", reference="KLA-2026-0001"))
        with pytest.raises(sa.exc.IntegrityError):
            s.flush()
        s.rollback()
    for statement in ("UPDATE audit SET action = 'exported'", "DELETE FROM audit"):
        with engine.connect() as connection, pytest.raises(sa.exc.DatabaseError, match="append-only"):
            connection.execute(sa.text(statement))
    downgrade(engine, "0013")
    with engine.connect() as connection:
        assert "users" not in sa.inspect(connection).get_table_names()
        assert "audit" not in sa.inspect(connection).get_table_names()
        assert connection.execute(sa.text("SELECT count(*) FROM complaints")).scalar() == 1
    engine.dispose()


# -- accounts -----------------------------------------------------------------------------------------


def test_a_new_officer_has_an_argon2id_hash_and_a_totp_secret_a_viewer_none(engine: Engine) -> None:
    uri = _add(engine)
    assert uri is not None and uri.startswith("otpauth://totp/Klageformular:linn?")
    assert _add(engine, "revisor", "viewer") is None
    with Session(engine) as s:
        row = s.scalars(sa.select(UserRow).where(UserRow.name == "linn")).one()
        assert row.password_hash.startswith("$argon2id$")
        assert PASSWORD not in row.password_hash
        assert row.totp_secret == secret_of(uri)
        users = list_users(s)
    assert [(u.name, u.role, u.totp) for u in users] == [("linn", "officer", True), ("revisor", "viewer", False)]


@pytest.mark.parametrize(("name", "role", "password", "message"), [
    ("linn", "officer", "short", "at least 12"),
    ("", "officer", PASSWORD, "1 to 120 printable"),
    ("linn", "root", PASSWORD, "a role is one of"),
    ("ny\nlinje", "viewer", PASSWORD, "printable"),
])
def test_add_user_refuses_bad_input(engine: Engine, name: str, role: str, password: str, message: str) -> None:
    with Session(engine) as s, s.begin(), pytest.raises(AccountError, match=message):
        add_user(s, name=name, role=role, password=password, now=NOW)


def test_a_name_is_taken_once(engine: Engine) -> None:
    _add(engine)
    with pytest.raises(AccountError, match="already"):
        _add(engine, role="viewer")


def test_login_needs_password_and_the_current_totp_code_once(engine: Engine) -> None:
    secret = secret_of(_add(engine) or "")
    assert _login(engine, code=code_at(secret, NOW), password="wrong password!!") == "credentials"
    assert _login(engine) == "credentials"  # no code
    assert _login(engine, code=code_at(secret, NOW - timedelta(minutes=5))) == "credentials"  # an old code
    assert _login(engine, code=code_at(secret, NOW)) == "ok"
    assert _login(engine, code=code_at(secret, NOW), now=NOW + timedelta(seconds=5)) == "credentials"  # replayed
    assert _login(engine, code=code_at(secret, NOW + timedelta(seconds=30)), now=NOW + timedelta(seconds=31)) == "ok"
    with Session(engine) as s:
        attempts = s.scalars(sa.select(LoginAttemptRow.success).order_by(LoginAttemptRow.id)).all()
        keys = set(s.scalars(sa.select(LoginAttemptRow.address_key)))
    assert attempts == [False, False, False, True, False, True]
    assert keys != {"10.0.0.1"} and all(len(k) == 64 for k in keys)  # the address's hash, not the address


def test_an_unknown_name_is_refused_like_a_wrong_password_and_not_stored(engine: Engine) -> None:
    _add(engine)
    assert _login(engine, name="hunter2-typed-in-the-name-field") == "credentials"
    with Session(engine) as s:
        assert s.scalars(sa.select(LoginAttemptRow.user_id)).all() == [None]


def test_lockout_after_failures_until_an_admin_unlocks(engine: Engine) -> None:
    secret = secret_of(_add(engine) or "")
    policy = LoginPolicy(max_failures=3)
    for _ in range(3):
        assert _login(engine, password="not the password", policy=policy) == "credentials"
    good = code_at(secret, NOW)
    assert _login(engine, code=good, policy=policy) == "locked"  # the right password no longer helps
    with Session(engine) as s, s.begin():
        assert unlock(s, "linn").locked is False
    assert _login(engine, code=good, policy=policy) == "ok"


def test_too_many_failures_from_one_address_refuse_it_for_the_window(engine: Engine) -> None:
    secret = secret_of(_add(engine) or "")
    policy = LoginPolicy(max_failures=100, address_failures=4, address_window=timedelta(minutes=15))
    for i in range(4):
        assert _login(engine, name=f"guess{i}", policy=policy) == "credentials"
    assert _login(engine, code=code_at(secret, NOW), policy=policy) == "rate_limited"
    assert _login(engine, code=code_at(secret, NOW), address="10.0.0.2", policy=policy) == "ok"  # another address
    later = NOW + timedelta(minutes=16)
    assert _login(engine, code=code_at(secret, later), now=later, policy=policy) == "ok"


def test_disable_reset_password_and_reset_2fa_end_the_sessions(engine: Engine) -> None:
    secret = secret_of(_add(engine) or "")
    lifetimes = Lifetimes()

    def session_for_linn() -> str:
        with Session(engine) as s, s.begin():
            made = new_session(s, user_id=1, now=NOW)
        assert made.token is not None
        return made.token

    def alive(token: str) -> bool:
        with Session(engine) as s, s.begin():
            return find_session(s, token, now=NOW, lifetimes=lifetimes) is not None

    for change in (lambda s: set_disabled(s, "linn", True), lambda s: reset_password(s, "linn", "another long pass"),
                   lambda s: reset_totp(s, "linn")):
        token = session_for_linn()
        assert alive(token)
        with Session(engine) as s, s.begin():
            change(s)
        assert not alive(token)
    assert _login(engine, password="another long pass", code=code_at(secret, NOW)) == "credentials"  # disabled
    with Session(engine) as s, s.begin():
        set_disabled(s, "linn", False)
        new_secret = s.scalars(sa.select(UserRow.totp_secret)).one()
    assert new_secret != secret
    assert _login(engine, password="another long pass", code=code_at(secret, NOW)) == "credentials"  # the old phone
    assert _login(engine, password="another long pass", code=code_at(new_secret or "", NOW)) == "ok"


def test_sessions_end_after_the_idle_and_the_absolute_timeout(engine: Engine) -> None:
    _add(engine)
    lifetimes = Lifetimes(idle=timedelta(minutes=30), absolute=timedelta(hours=3))
    with Session(engine) as s, s.begin():
        token = new_session(s, user_id=1, now=NOW).token

    def alive(at: datetime) -> bool:
        with Session(engine) as s, s.begin():
            return find_session(s, token, now=at, lifetimes=lifetimes) is not None

    t = NOW
    for _ in range(5):  # active every 25 minutes: past the idle timeout in total, never idle that long
        t += timedelta(minutes=25)
        assert alive(t)
    assert not alive(t + timedelta(minutes=30))  # idle
    with Session(engine) as s, s.begin():
        token = new_session(s, user_id=1, now=NOW).token
    t = NOW
    while t + timedelta(minutes=25) < NOW + timedelta(hours=3):
        t += timedelta(minutes=25)
        assert alive(t)
    assert not alive(NOW + timedelta(hours=3, minutes=1))  # absolute, however active
    with Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(WebSessionRow)) == 0  # expired ones are deleted
    with Session(engine) as s, s.begin(), pytest.raises(UnknownUserError, match="no account"):
        unlock(s, "nobody")


# -- the command line ---------------------------------------------------------------------------------


def test_users_cli_adds_lists_and_manages_accounts(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "add", "linn", "--role", "officer", "--password-stdin", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "linn: officer, da, TOTP" in out
    uri = next(line for line in out.splitlines() if line.startswith("otpauth://"))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "add", "revisor", "--role", "viewer", "--language", "en", "--password-stdin",
                 "--db", db_url]) == 0
    assert "otpauth://" not in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "bo", "--role", "admin", "--password-stdin", "--db", db_url]) == 1
    assert "at least 12 characters" in capsys.readouterr().err
    assert main(["users", "disable", "revisor", "--db", db_url]) == 0
    assert main(["users", "list", "--db", db_url]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[-2].split() == ["linn", "officer", "da", "TOTP", "active"]
    assert listing[-1].split() == ["revisor", "viewer", "en", "no", "2FA", "disabled"]
    assert main(["users", "reset-2fa", "linn", "--db", db_url]) == 0
    new_uri = capsys.readouterr().out.splitlines()[-1]
    assert new_uri.startswith("otpauth://") and secret_of(new_uri) != secret_of(uri)
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new password\n"))
    assert main(["users", "reset-password", "linn", "--password-stdin", "--db", db_url]) == 0
    assert capsys.readouterr().out == "linn: a new password; its sessions ended\n"
    engine = create_register_engine(db_url)
    assert _login(engine, password="a brand new password", code=code_at(secret_of(new_uri), NOW)) == "ok"
    for _ in range(5):
        _login(engine, password="wrong wrong wrong")
    engine.dispose()
    assert main(["users", "list", "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines()[0].split()[-1] == "locked"
    assert main(["users", "unlock", "linn", "--db", db_url]) == 0
    assert capsys.readouterr().out == "linn: active\n"
    assert main(["users", "unlock", "nobody", "--db", db_url]) == 1
    assert "no account 'nobody'" in capsys.readouterr().err


def test_users_add_asks_twice_without_password_stdin(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["users", "add", "linn", "--role", "viewer", "--db", db_url]) == 1
    assert "differ" in capsys.readouterr().err
    answers = iter([PASSWORD, PASSWORD])
    assert main(["users", "add", "linn", "--role", "viewer", "--totp", "--db", db_url]) == 0
    assert "otpauth://totp/" in capsys.readouterr().out
