"""What a command learns of a SQLite register without SQLAlchemy (register/_probe.py), and ``due``'s shortcut."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from klageformular.cli import main
from klageformular.register import _probe, create_register_engine
from klageformular.register._names import OPEN_STATUSES, STATUSES
from klageformular.register._probe import probe, resolve_url

from .registers import complaint_record, rejected_record, write_batch

TODAY = ["--today", "2027-01-04"]


@pytest.fixture
def register(tmp_path: Path) -> str:
    """A SQLite register of three cases (two forms, one unreadable file), all received."""
    db = f"sqlite:///{tmp_path / 'klager.db'}"
    out = write_batch(tmp_path / "out", complaints=[complaint_record(1, received="2026-12-21"),
                                                    complaint_record(2, received="2026-12-28")],
                      rejected=[rejected_record(3, received="2026-12-28")])
    assert main(["register", "import", str(out), "--db", db]) == 0
    return db


def _sql(db: str, *statements: str) -> None:
    engine = create_register_engine(db)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


FAILED_LETTER = ("INSERT INTO outgoing (complaint_id, kind, channel, state, dated, who, queued_at, attempts)"
            " SELECT id, 'decision', 'post', 'failed', '2026-12-30', 'test', '2026-12-30 10:00:00', 1"
            " FROM complaints ORDER BY id LIMIT 1")  # on paper: no message to store


def _due_both_ways(db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                   *extra: str) -> tuple[tuple[int, str], tuple[int, str]]:
    """``register due`` as the command line runs it, then with the probe turned off: (exit code, output) each."""
    got = main(["register", "due", "--db", db, *TODAY, *extra]), capsys.readouterr().out
    with monkeypatch.context() as patch:
        patch.setattr(_probe, "probe", lambda url: None)
        full = main(["register", "due", "--db", db, *TODAY, *extra]), capsys.readouterr().out
    return got, full


def test_a_register_with_every_case_closed_has_nothing_due_and_says_so_as_the_full_path(
        register: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    state = probe(register)
    assert state is not None and state.current and state.open_cases and not state.nothing_due
    _sql(register, "UPDATE complaints SET status = 'closed'")
    state = probe(register)
    assert state is not None and state.nothing_due
    for extra in ((), ("--json",), ("--days", "0")):
        got, full = _due_both_ways(register, monkeypatch, capsys, *extra)
        assert got == full and got[0] == 0


@pytest.mark.parametrize("status", STATUSES)
def test_the_probe_says_nothing_due_only_when_the_full_path_lists_and_counts_nothing(
        register: str, status: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _sql(register, f"UPDATE complaints SET status = '{status}'")
    state = probe(register)
    assert state is not None and state.nothing_due is (status not in OPEN_STATUSES)
    got, full = _due_both_ways(register, monkeypatch, capsys, "--json")
    assert got == full


def test_a_letter_that_failed_on_a_closed_case_is_due(register: str, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    _sql(register, "UPDATE complaints SET status = 'closed'", FAILED_LETTER)
    state = probe(register)
    assert state is not None and state.failed_letters and not state.nothing_due
    got, full = _due_both_ways(register, monkeypatch, capsys)
    assert got == full and got[0] == 1 and "not delivered" in got[1]


def test_a_register_to_migrate_takes_the_full_path(register: str) -> None:
    _sql(register, "UPDATE complaints SET status = 'closed'", "UPDATE alembic_version SET version_num = '0015'")
    state = probe(register)
    assert state is not None and not state.current and not state.nothing_due


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///{db}?timeout=5",
                                 "sqlite:///file:{db}?mode=ro&uri=true", "sqlite:///{dir}/a%20b.db",
                                 "postgresql://nobody@127.0.0.1:1/klager", "sqlite:///{dir}/missing.db",
                                 "sqlite:///{dir}"])
def test_what_the_probe_does_not_read(register: str, tmp_path: Path, url: str) -> None:
    db = register.removeprefix("sqlite:///")
    assert probe(url.format(db=db, dir=tmp_path)) is None
    assert not (tmp_path / "missing.db").exists()  # never created


def test_a_file_that_is_no_register_is_left_to_the_full_path(tmp_path: Path) -> None:
    (tmp_path / "x.db").write_bytes(b"not a database" * 100)
    assert probe(f"sqlite:///{tmp_path / 'x.db'}") is None
    empty = tmp_path / "empty.db"
    empty.touch()
    assert probe(f"sqlite:///{empty}") is None  # a SQLite file without the tables
    assert empty.read_bytes() == b""  # and nothing written to it


def test_a_relative_url_is_read_from_the_working_folder(register: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert probe("sqlite:///klager.db") == probe(register)
    assert resolve_url(None, {"KLAGEFORMULAR_DB": "sqlite:///klager.db"}) == "sqlite:///klager.db"


def test_the_probe_reads_while_a_writer_holds_the_register(register: str) -> None:
    engine = create_register_engine(register)
    try:
        with engine.begin() as connection:  # BEGIN IMMEDIATE: the write lock, held
            connection.execute(text("UPDATE complaints SET status = 'closed'"))
            state = probe(register)  # WAL: a reader sees the last commit, and does not wait
            assert state is not None and state.open_cases
    finally:
        engine.dispose()


def test_due_with_nothing_to_do_loads_no_sqlalchemy(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'new.db'}"
    create_register_engine(db).dispose()
    code = ("import sys; from klageformular.cli import main; code = main(['register', 'due', '--db', sys.argv[1]]);"
            " assert code == 0, code; print(sorted(m for m in sys.modules if m.split('.')[0] in"
            " ('sqlalchemy', 'alembic', 'pypdf', 'reportlab')))")
    env = {k: v for k, v in os.environ.items() if k != "KLAGEFORMULAR_DB"}
    done = subprocess.run([sys.executable, "-c", code, db], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.splitlines()[-1] == "[]"
    assert f"Deadlines on {date.today().isoformat()}" in done.stdout
