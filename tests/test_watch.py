"""The watch (watch.py, ``klageformular watch``, ``register runs``): mail into the register run after run.

Real sources and servers only: a Maildir, a throw-away Dovecot on loopback (tests/dovecot.py),
SQLite and the throw-away PostgreSQL (tests/postgres.py). Runs that must be stopped or killed
run ``python -m klageformular watch`` as a child process; a signal at an exact point comes from
a few lines injected before the command line starts (as tests/test_mailbatch.py does).
"""

from __future__ import annotations

import hashlib
import json
import logging
import mailbox
import os
import random
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from klageformular._cli_args import IMAP_PASSWORD_ENV
from klageformular.cli import main
from klageformular.exceptions import WatchLockedError
from klageformular.intake import LEDGER
from klageformular.register import Register, WatchRun, create_register_engine, current_revision, head_revision, upgrade
from klageformular.watch import RECORDS, STATE, WatchOptions, _locked, run_once, source_key, working_folder

from .dovecot import append, dovecot, start_dovecot, stop_dovecot
from .registers import complaint_record

FIXTURES = Path(__file__).parent / "fixtures"
FORM = (FIXTURES / "filled-pypdf.pdf").read_bytes()
WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=1)))
NAMES = ("Søren Ærbødig", "Åse Lindqvist", "Łukasz Żółć", "Eva Ørsted")  # never in a line the watch prints


def _message(n: int, *, form: bool = False, auto: bool = False, attachment: bool = False) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    name = NAMES[n % len(NAMES)]
    message["From"] = f"{name} <kunde{n}@example.dk>"
    message["To"] = "klage@kameo.dk"
    message["Subject"] = f"Klage over renten nr. {n} fra {name}"
    message["Date"] = format_datetime(WHEN + timedelta(minutes=n))
    message["Message-ID"] = f"<watch-{n}@example.dk>"
    if auto:
        message["Auto-Submitted"] = "auto-replied"
    message.set_content(f"Renten på lån KA-{1000 + n} blev ikke udbetalt. Venlig hilsen {name}")
    if form:
        message.add_attachment(FORM, maintype="application", subtype="pdf", filename="klage.pdf")
    if attachment:
        message.add_attachment(f"Kontoudtog {n}".encode(), maintype="text", subtype="plain",
                               filename=f"kontoudtog-{n}.txt")
    return message.as_bytes()


def _maildir(path: Path, numbers: range, **kinds: Any) -> list[str]:
    """Deliver messages ``numbers`` into a Maildir; returns the sha256 of each as stored."""
    box = mailbox.Maildir(path, factory=None, create=True)
    shas = []
    for n in numbers:
        key = box.add(_message(n, **kinds))
        shas.append(hashlib.sha256(box.get_bytes(key)).hexdigest())
    return shas


def _watch(source: Path | str, db: str, work: Path, *extra: str) -> int:
    return main(["watch", str(source), "--db", db, "--once", "--work", str(work), *extra])


def _runs(db: str) -> list[WatchRun]:
    engine = create_register_engine(db)
    try:
        register = Register(engine)
        with register.session() as session:
            return register.runs(session, limit=100)
    finally:
        engine.dispose()


def _cases(db: str) -> list[tuple[str, str, str]]:
    """(reference, message sha256 or "", status) of every case, in reference order."""
    engine = create_register_engine(db)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT reference, message_sha256, status FROM complaints ORDER BY prefix, year, number"))
            return [(str(r[0]), str(r[1] or ""), str(r[2])) for r in rows]
    finally:
        engine.dispose()


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _no_personal_data(text: str) -> None:
    for secret in (*NAMES, "example.dk", "kunde", "renten", "KA-10"):
        assert secret.lower() not in text.lower(), secret


# -- the command line's parts ---------------------------------------------------------------------------


@pytest.mark.parametrize(("every", "code"), [("30s", 0), ("5m", 0), ("1h", 0), ("0s", 2), ("5", 2), ("5x", 2),
                                             ("-1m", 2)])
def test_every_takes_seconds_minutes_or_hours(every: str, code: int, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from klageformular._watch_cli import interval

    if code == 0:
        assert interval(every) == {"30s": 30, "5m": 300, "1h": 3600}[every]
        return
    assert main(["watch", str(tmp_path), f"--every={every}"]) == 2
    assert "such as 30s, 5m or 1h" in capsys.readouterr().err


def test_every_and_once_are_one_or_the_other(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", str(tmp_path), "--every", "5m", "--once"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_working_folder_is_one_per_source_and_register(tmp_path: Path) -> None:
    a = working_folder(tmp_path, tmp_path / "md", "sqlite:///a.db")
    assert a == working_folder(tmp_path, tmp_path / "md", "sqlite:///a.db")
    assert a != working_folder(tmp_path, tmp_path / "md", "sqlite:///b.db")
    assert a != working_folder(tmp_path, tmp_path / "other", "sqlite:///a.db")
    assert a.parent == tmp_path / "klageformular" / "watch"
    assert "md" not in a.name and "a.db" not in a.name


# -- runs against a Maildir, on SQLite and PostgreSQL ----------------------------------------------------


def test_two_runs_import_only_the_new_messages(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="klageformular")
    md, work = tmp_path / "Maildir", tmp_path / "work"
    first = _maildir(md, range(1, 4), attachment=True) + _maildir(md, range(4, 5), form=True)
    assert _watch(md, db_url, work) == 0
    assert sorted(sha for _, sha, _ in _cases(db_url)) == sorted(first)
    second = _maildir(md, range(5, 7))
    _maildir(md, range(7, 8), auto=True)  # an auto-reply: set aside, no case
    assert _watch(md, db_url, work) == 0
    cases = _cases(db_url)
    assert sorted(sha for _, sha, _ in cases) == sorted(first + second)
    assert [ref for ref, _, _ in cases] == [f"KLA-2026-{n:04d}" for n in range(1, 7)]
    assert _watch(md, db_url, work) == 0  # nothing new: nothing read, nothing imported
    runs = _runs(db_url)
    assert [(r.read, r.imported, r.set_aside, r.failed, r.stopped_early) for r in runs] == [
        (0, 0, 0, False, False), (3, 2, 1, False, False), (4, 4, 0, False, False)]  # newest first
    assert all(r.source_key == source_key(md) and r.id is not None for r in runs)
    out = capsys.readouterr()
    assert out.out.count("watch run ") == 3 and out.err == ""
    # The working folder is private; the records are the batch's, read once each.
    assert stat.S_IMODE(work.stat().st_mode) == 0o700
    assert stat.S_IMODE((work / STATE).stat().st_mode) == 0o600
    assert len(_lines(work / RECORDS / LEDGER)) == 7
    assert main(["register", "runs", "--db", db_url, "--limit", "2"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and "read    0" in listed[0] and "imported    2" in listed[1]
    assert main(["register", "runs", "--db", db_url, "--json"]) == 0
    assert [json.loads(line)["imported"] for line in capsys.readouterr().out.splitlines()] == [0, 2, 4]
    _no_personal_data(out.out + "\n".join(listed) + caplog.text)


def test_the_hook_gets_each_new_case_at_least_once(tmp_path: Path) -> None:
    """``on_new_cases`` (the auto-acknowledgement's hook): a hook that fails gets the same cases again next run."""
    md, work, db = tmp_path / "Maildir", tmp_path / "work", f"sqlite:///{tmp_path / 'klager.db'}"
    _maildir(md, range(1, 3))
    calls: list[list[str]] = []

    def failing(references: Any) -> None:
        calls.append(list(references))
        raise RuntimeError("the mail server said no")

    register = Register(create_register_engine(db))
    run = run_once(md, work, register=register, options=WatchOptions(who="watch"), on_new_cases=failing)
    assert (run.imported, run.failed, run.error) == (2, True, "RuntimeError")
    _maildir(md, range(3, 4))
    run = run_once(md, work, register=register, on_new_cases=lambda references: calls.append(list(references)))
    assert (run.imported, run.failed) == (1, False)
    assert calls == [["KLA-2026-0001", "KLA-2026-0002"], ["KLA-2026-0001", "KLA-2026-0002"], ["KLA-2026-0003"]]
    run_once(md, work, register=register, on_new_cases=lambda references: calls.append(list(references)))
    assert len(calls) == 3  # nothing new, nothing passed on
    register.engine.dispose()


def test_a_second_run_is_refused_by_the_lock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    md, work, db = tmp_path / "Maildir", tmp_path / "work", f"sqlite:///{tmp_path / 'klager.db'}"
    _maildir(md, range(1, 3))
    work.mkdir(mode=0o700)
    with _locked(work):  # another run holds it (flock: another open file description, as another process)
        assert _watch(md, db, work) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "another watch run is working on" in err
        register = Register(create_register_engine(db))
        with pytest.raises(WatchLockedError, match="the same register and source"):
            run_once(md, work, register=register)
        register.engine.dispose()
    assert _cases(db) == [] and not (work / RECORDS).exists()  # nothing read, nothing imported
    assert _watch(md, db, work) == 0 and len(_cases(db)) == 2


def test_upgrade_from_the_previous_revision_with_data_adds_an_empty_watch_runs(db_url: str) -> None:
    from alembic.script import ScriptDirectory

    from klageformular.register import add_record
    from klageformular.register._db import _config, downgrade

    # The revision before 0011, whichever it is once the branches' revisions are chained.
    previous = ScriptDirectory.from_config(_config()).get_revision("0011").down_revision
    assert isinstance(previous, str)
    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, previous)
    add_record(engine, complaint_record(1))
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    register = Register(engine)
    with register.session() as session:
        assert register.runs(session) == []
        assert [c.reference for c in register.cases(session)] == ["KLA-2026-0001"]
    now = datetime.now(UTC)
    with register.session() as session, session.begin():
        register.record_run(session, WatchRun(started=now, finished=now, source_key="0" * 64, read=1, imported=1,
                                              sent=2, send_failed=1, waiting_for_review=3))
    with register.session() as session:  # the sending counts (watch --auto-ack) are columns of their own
        (run,) = register.runs(session)
        assert (run.read, run.imported, run.sent, run.send_failed, run.waiting_for_review) == (1, 1, 2, 1, 3)
    downgrade(engine, previous)  # and back up: the path works both ways, the case stays
    upgrade(engine)
    with register.session() as session:
        assert register.runs(session) == [] and len(list(register.cases(session))) == 1
    engine.dispose()


# -- failed runs: the next one tries again -------------------------------------------------------------------


def test_imap_a_failed_run_is_recorded_and_the_next_succeeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    db, work = f"sqlite:///{tmp_path / 'klager.db'}", tmp_path / "work"
    with dovecot() as server:
        monkeypatch.setenv(IMAP_PASSWORD_ENV, server.password)
        append(server, _message(1), _message(2))
        append(server, folder="Behandlet")
        assert _watch(server.url(), db, work, "--move-to", "Behandlet") == 0
        assert len(_cases(db)) == 2
        stop_dovecot(server)
        assert _watch(server.url(), db, work, "--move-to", "Behandlet") == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "failed (MailboxError" in err and "cannot connect" in err
        start_dovecot(server)
        append(server, _message(3))
        assert _watch(server.url(), db, work, "--move-to", "Behandlet") == 0
        assert main(["batch", server.url(), "-o", str(tmp_path / "check"), "--workers", "1", "-q"]) == 0
        assert _lines(tmp_path / "check" / LEDGER) == []  # INBOX is empty: every message was moved
    runs = _runs(db)
    assert [(r.read, r.imported, r.failed, r.error) for r in runs] == [
        (1, 1, False, None), (0, 0, True, "MailboxError"), (2, 2, False, None)]
    assert [sha for _, sha, _ in _cases(db)] == [hashlib.sha256(m).hexdigest() for m in
                                                   (_message(1), _message(2), _message(3))]


def test_postgresql_down_is_one_line_and_the_next_run_imports(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from .postgres import new_database, postgres_server, start_server, stop_server

    md, work = tmp_path / "Maildir", tmp_path / "work"
    shas = _maildir(md, range(1, 4))
    with postgres_server() as server:
        db = new_database(server)
        assert _watch(md, db, work) == 0
        shas += _maildir(md, range(4, 6))
        stop_server(server)
        assert _watch(md, db, work) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "database error" in err
        start_server(server)
        assert _watch(md, db, work) == 0
        assert sorted(sha for _, sha, _ in _cases(db)) == sorted(shas)
        assert [(r.imported, r.failed) for r in _runs(db)] == [(2, False), (3, False)]  # the failed one: unrecorded


# -- signals -----------------------------------------------------------------------------------------------------

_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))

_SIGTERM_ON_THE_SECOND_LINE = """
import os, signal, sys
from klageformular import batch

written = []
write = batch._Run.write


def signalled_on_the_second(self, record, *args, **kwargs):
    # SIGTERM as the second message's line is about to be written: that message is finished, no other.
    written.append(1)
    if len(written) == 2:
        os.kill(os.getpid(), signal.SIGTERM)
    write(self, record, *args, **kwargs)


batch._Run.write = signalled_on_the_second
from klageformular.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_mid_run_stops_between_messages(tmp_path: Path) -> None:
    md, work, db = tmp_path / "Maildir", tmp_path / "work", f"sqlite:///{tmp_path / 'klager.db'}"
    shas = _maildir(md, range(1, 7))
    args = ["watch", str(md), "--db", db, "--once", "--work", str(work)]
    stopped = subprocess.run([sys.executable, "-c", _SIGTERM_ON_THE_SECOND_LINE, *args], capture_output=True,
                             text=True, timeout=300, env=_ENV, check=False)
    assert stopped.returncode == 0, stopped.stderr
    # The second message was finished — its line and its ledger line — and nothing after it was begun;
    # the import, asked to stop as well, took one record (each run gets somewhere) and left the other.
    assert "2 read, 1 imported" in stopped.stdout and "stopped early" in stopped.stdout
    assert len(_lines(work / RECORDS / "complaints.jsonl")) == 2 and len(_lines(work / RECORDS / LEDGER)) == 2
    assert len(_cases(db)) == 1 and _runs(db)[0].stopped_early
    assert _watch(md, db, work) == 0  # the next run reads the other four, and imports five
    assert sorted(sha for _, sha, _ in _cases(db)) == sorted(shas)
    assert [(r.read, r.imported, r.stopped_early) for r in _runs(db)] == [(4, 5, False), (2, 1, True)]


def test_the_loop_runs_again_and_sigterm_ends_it(tmp_path: Path) -> None:
    md, work, db = tmp_path / "Maildir", tmp_path / "work", f"sqlite:///{tmp_path / 'klager.db'}"
    shas = _maildir(md, range(1, 3))
    process = subprocess.Popen([sys.executable, "-m", "klageformular", "watch", str(md), "--db", db, "--every", "1s",
                                "--work", str(work)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=_ENV)
    try:
        _until(lambda: len(_cases_if_any(db)) == 2)
        shas += _maildir(md, range(3, 4))  # delivered while the watch sleeps: the next tick imports it
        _until(lambda: len(_cases_if_any(db)) == 3)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert sorted(sha for _, sha, _ in _cases(db)) == sorted(shas)
    assert out.count("watch run ") >= 2 and "Traceback" not in err
    _no_personal_data(out + err)


def _cases_if_any(db: str) -> list[Any]:
    try:
        return _cases(db)
    except sa.exc.OperationalError:  # the watch is creating the register right now
        return []


def _until(condition: Any, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the watch did not get there in time"
        time.sleep(0.2)


# -- the acceptance test: SIGKILL at random points ------------------------------------------------------------


def _kill_runs(md: Path, db: str, work: Path, *, kills: int, seed: int, deliver: Any) -> Iterator[int]:
    """``watch --once`` killed with SIGKILL after a random delay, ``kills`` times; yields each exit code.

    ``deliver(i)`` runs before kill ``i``: new mail keeps arriving, so each run has work to be cut off in.
    """
    rng = random.Random(seed)
    for i in range(kills):
        deliver(i)
        process = subprocess.Popen([sys.executable, "-m", "klageformular", "watch", str(md), "--db", db, "--once",
                                    "--work", str(work)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env=_ENV)
        time.sleep(rng.uniform(0.3, 2.0))  # start-up, reading, parsing, importing: anywhere in a run
        process.kill()  # SIGKILL: no handler, no cleanup (its workers see their input end and exit)
        yield process.wait(timeout=60)


@pytest.mark.slow
def test_sigkill_twenty_times_loses_no_message_and_imports_none_twice(tmp_path: Path) -> None:
    """The acceptance test: 20 kills at random points (seeded) while mail arrives, then one run that ends."""
    md, work, db = tmp_path / "Maildir", tmp_path / "work", f"sqlite:///{tmp_path / 'klager.db'}"
    shas = _maildir(md, range(1, 11))
    auto = _maildir(md, range(31, 32), auto=True)

    def deliver(i: int) -> None:  # messages 11-30: the last six with an attachment, the very last with the form
        n = 11 + i
        shas.extend(_maildir(md, range(n, n + 1), attachment=25 <= n < 30, form=n == 30))

    codes = list(_kill_runs(md, db, work, kills=20, seed=26, deliver=deliver))
    # Runs were cut off, not only finished first (a run takes over a second to start: most delays cut it).
    assert codes.count(-signal.SIGKILL) >= 5, codes
    final = subprocess.run([sys.executable, "-m", "klageformular", "watch", str(md), "--db", db, "--once",
                            "--work", str(work)], capture_output=True, text=True, timeout=300, env=_ENV, check=False)
    assert final.returncode == 0, final.stderr
    cases = _cases(db)
    # Every message is a case exactly once (by its sha256); the auto-reply is none.
    assert sorted(sha for _, sha, _ in cases) == sorted(shas) and auto[0] not in {sha for _, sha, _ in cases}
    assert [ref for ref, _, _ in cases] == [f"KLA-2026-{n:04d}" for n in range(1, len(shas) + 1)]  # gapless
    engine = create_register_engine(db)
    with engine.connect() as connection:
        def scalar(sql: str) -> Any:
            return connection.execute(sa.text(sql)).scalar_one()

        assert scalar("SELECT last FROM reference_counters WHERE prefix = 'KLA' AND year = 2026") == len(shas)
        # One "received" event per case, first in its history; every case has its source file.
        assert scalar("SELECT count(*) FROM events WHERE what = 'received'") == len(shas)
        assert scalar("SELECT count(*) FROM complaints c WHERE (SELECT min(id) FROM events e WHERE "
                      "e.complaint_id = c.id) <> (SELECT id FROM events e WHERE e.complaint_id = c.id AND "
                      "e.what = 'received')") == 0
        assert scalar("SELECT count(*) FROM complaints c WHERE NOT EXISTS (SELECT 1 FROM source_files f "
                      "WHERE f.complaint_id = c.id)") == 0
        assert scalar("SELECT count(*) FROM (SELECT sha256, source FROM source_files GROUP BY sha256, source "
                      "HAVING count(*) > 1) AS twice") == 0
        # The messages with a text attachment hold it as a document, once each.
        assert scalar("SELECT count(*) FROM documents WHERE kind = 'attachment' AND NOT missing") >= 5
        assert connection.execute(sa.text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()
    # The ledger names each message once, whatever the kills did to the runs that wrote it.
    keys = [entry["key"] for entry in _lines(work / RECORDS / LEDGER)]
    assert len(keys) == len(set(keys)) == len(shas) + 1
