"""The register's engines (register/_db.py) and read-only units of work (register/_reads.py).

A read (``Register.reading()``, the exports, ``list``) begins DEFERRED on SQLite and READ ONLY on
PostgreSQL: it holds no write lock while it streams, sees one snapshot, and refuses to write. A
write still begins ``BEGIN IMMEDIATE``, so two writers queue instead of failing half-way. Real
SQLite files and the throw-away PostgreSQL server (tests/postgres.py); no timing assertions: a
writer that would wait gets a 1 s busy timeout, and the test checks only that it did not fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from klageformular.exceptions import ReadOnlySessionError, RegisterError
from klageformular.register import Register, add_record, create_register_engine
from klageformular.register._export import entry_rows, event_rows
from klageformular.register._reads import ReadSession, read_session
from klageformular.register._schema import ComplaintRow

from .registers import complaint_record


def _engine(url: str, *, timeout: float = 30) -> Engine:
    """An engine whose SQLite writers wait at most ``timeout`` seconds for the write lock."""
    if url.startswith("sqlite"):
        return create_register_engine(url, connect_args={"timeout": timeout})
    return create_register_engine(url)


@pytest.fixture
def register(db_url: str) -> Iterator[Register]:
    engine = _engine(db_url)
    for i in range(1, 6):
        add_record(engine, complaint_record(i))
    yield Register(engine)
    engine.dispose()


@pytest.fixture
def other(db_url: str, register: Register) -> Iterator[Engine]:
    """A second writer (its own pool, as another process would be) that waits 1 s for the lock at most."""
    engine = _engine(db_url, timeout=1)
    yield engine
    engine.dispose()


def _count(engine: Engine, table: str = "complaints") -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_read_half_way_lets_another_writer_commit_and_keeps_its_snapshot(register: Register,
                                                                           other: Engine) -> None:
    # Before reads began DEFERRED, the other writer failed here with "database is locked" (SQLite).
    with register.reading() as s:
        cases = register.cases(s)
        first = next(cases)
        added = add_record(other, complaint_record(6))  # commits while the list is half-way
        with Register(other).session() as w, w.begin():
            Register(other).set_status(w, first.reference, "acknowledged", who="linn")
        rest = list(cases)
        assert [first.reference, *(c.reference for c in rest)] == [f"KLA-2026-000{i}" for i in range(1, 6)]
        assert first.status == "received"
        # A new query in the same read sees the same snapshot (SQLite's WAL read, PostgreSQL's REPEATABLE READ).
        assert s.scalar(sa.select(sa.func.count()).select_from(ComplaintRow)) == 5
        assert register.case(s, first.reference).status == "received"
    with register.reading() as s:  # the next read sees what was committed
        assert register.case(s, added.reference).reference == "KLA-2026-0006"
        assert register.case(s, first.reference).status == "acknowledged"


def test_an_export_streaming_half_way_holds_up_no_writer_and_its_sheets_agree(register: Register,
                                                                              other: Engine) -> None:
    with read_session(register.engine) as s:
        entries = entry_rows(s, "en")
        assert next(entries)["reference"] == "KLA-2026-0001"
        add_record(other, complaint_record(6))  # its case and its event, committed meanwhile
        assert len(list(entries)) == 4  # the snapshot: not the sixth
        events = list(event_rows(s, "en"))
    assert {e["reference"] for e in events} == {f"KLA-2026-000{i}" for i in range(1, 6)}
    assert _count(register.engine) == 6


def _orm_change(register: Register, s: ReadSession) -> None:  # stopped before the flush sends anything
    row = s.scalars(sa.select(ComplaintRow)).first()
    assert row is not None
    row.assignee = "linn"
    s.flush()


def _core_change(register: Register, s: ReadSession) -> None:  # past the ORM: the database refuses it
    s.execute(sa.update(ComplaintRow).values(assignee="linn"))


def _service_change(register: Register, s: ReadSession) -> None:
    register.add_note(s, "KLA-2026-0001", "a note", who="linn")


@pytest.mark.parametrize("change", [_orm_change, _core_change, _service_change])
def test_a_read_session_refuses_to_write(register: Register, change: Callable[[Register, ReadSession], None]) -> None:
    events = _count(register.engine, "events")
    with register.reading() as s, pytest.raises(ReadOnlySessionError, match="opened for reading tried to change"):
        change(register, s)
    assert issubclass(ReadOnlySessionError, RegisterError)
    assert _count(register.engine, "events") == events
    with register.reading() as s:
        assert {r.assignee for r in s.scalars(sa.select(ComplaintRow))} == {None}
    with register.session() as w, w.begin():  # the same pool writes as before
        register.add_note(w, "KLA-2026-0001", "a note", who="linn")
    assert _count(register.engine, "events") == events + 1


def test_a_read_session_is_a_read_only_transaction(register: Register) -> None:
    assert isinstance(register.reading(), ReadSession)
    sqlite = register.engine.dialect.name == "sqlite"
    check = "PRAGMA query_only" if sqlite else "SHOW transaction_read_only"
    with register.reading() as s:
        assert str(s.scalar(sa.text(check))) in ("1", "on")
        if not sqlite:
            assert s.scalar(sa.text("SHOW transaction_isolation")) == "repeatable read"
    for _ in range(3):  # whichever pooled connection comes next: a write session writes
        with register.session() as w, w.begin():
            assert str(w.scalar(sa.text(check))) in ("0", "off")


def test_a_write_session_takes_the_write_lock_when_it_begins(register: Register, other: Engine) -> None:
    if register.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")
    with register.session() as s, s.begin():
        register.case(s, "KLA-2026-0001")  # only a read so far, but the write lock is held (BEGIN IMMEDIATE)
        with pytest.raises(OperationalError, match="database is locked"):
            add_record(other, complaint_record(6))
        register.add_note(s, "KLA-2026-0001", "first", who="linn")
    add_record(other, complaint_record(6))  # and after the commit the other writer goes on
    assert _count(register.engine) == 6


def test_two_writers_queue_and_both_succeed(register: Register, db_url: str) -> None:
    # Each change reads the case and then writes: begun DEFERRED, one of two would fail on the lock upgrade.
    def notes(who: str) -> None:
        engine = _engine(db_url)
        try:
            mine = Register(engine)
            for i in range(10):
                with mine.session() as s, s.begin():
                    case = mine.case(s, "KLA-2026-0001")
                    mine.assign(s, case.reference, who, who=who)  # locks the row first (PostgreSQL)
                    mine.add_note(s, case.reference, f"{who} {i}", who=who)
        finally:
            engine.dispose()

    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(notes, "linn"), pool.submit(notes, "mikkel")]:
            done.result()
    with register.reading() as s:
        case = register.case(s, "KLA-2026-0001")
    assert sum(e.what == "note" for e in case.events) == 20
    assert case.assignee in ("linn", "mikkel")


def test_a_result_left_open_does_not_pin_the_connection_to_its_snapshot(register: Register,
                                                                        other: Engine) -> None:
    # SQLite keeps an unfinished statement's snapshot past the end of its transaction: the pooled
    # connection's next read would see the old register and its next write fail (SQLITE_BUSY_SNAPSHOT).
    # The engine closes a transaction's cursors when it ends.
    if register.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's statements; a PostgreSQL snapshot ends with its transaction")
    with register.reading() as s:
        left = s.execute(sa.select(ComplaintRow.reference).execution_options(yield_per=1))
        left.fetchone()
    add_record(other, complaint_record(6))
    with register.reading() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ComplaintRow)) == 6
    with register.session() as w, w.begin():
        register.add_note(w, "KLA-2026-0006", "written", who="linn")
    assert _count(register.engine, "events") >= 7
    with pytest.raises(sa.exc.ResourceClosedError):  # closed with its read, not left reading the past
        left.fetchone()
