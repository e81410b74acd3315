"""The complaint register (register/): migrations, intake, references, workflow, deadlines, statistics, exports.

Every test runs on SQLite and on a real PostgreSQL server started for the session
(tests/postgres.py; skipped with the reason when the server binaries are absent).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from klageformular.exceptions import ConfigurationError, InvalidTransitionError, RegisterError, UnknownReferenceError
from klageformular.org import get_organisation
from klageformular.register import (
    TRANSITIONS,
    _export,
    add_note,
    add_record,
    create_register_engine,
    current_revision,
    due,
    export_csv,
    export_xlsx,
    head_revision,
    import_batch,
    list_complaints,
    report,
    set_status,
    show,
    upgrade,
)
from klageformular.register._db import downgrade
from klageformular.register._schema import Base
from klageformular.workdays import acknowledge_by

from .registers import complaint_record, digest, duplicate_record, rejected_record, write_batch


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_register_engine(db_url)
    yield engine
    engine.dispose()


def _numbers(engine: Engine, prefix: str = "KLA", year: int = 2026) -> list[int]:
    with engine.connect() as connection:
        return sorted(connection.execute(sa.text("SELECT number FROM complaints WHERE prefix = :p AND year = :y"),
                                         {"p": prefix, "y": year}).scalars())


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


# -- migrations -----------------------------------------------------------------------------------


def test_migrations_from_empty_database_match_the_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_head_id_read_without_alembic_is_alembics_head() -> None:
    from klageformular.register._probe import head_id

    assert head_id() == head_revision()


def test_an_older_register_is_upgraded_when_its_engine_is_made(db_url: str) -> None:
    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0001")
    engine.dispose()
    engine = create_register_engine(db_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_a_register_at_the_head_is_opened_without_loading_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    create_register_engine(url).dispose()  # the first open migrates
    script = ("import sys; from klageformular.register import create_register_engine; "
              f"create_register_engine({url!r}).dispose(); "
              "print(sorted(m for m in sys.modules if m.startswith('alembic')))")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_upgrade_from_previous_revision_keeps_and_indexes_old_rows(db_url: str) -> None:
    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    record = complaint_record(1, investment="ka 1042")
    complaints = sa.table("complaints", *(sa.column(c) for c in (
        "reference", "prefix", "year", "number", "organisation", "status", "channel")),
        sa.column("received", sa.Date), sa.column("created_at", sa.DateTime(timezone=True)),
        *(sa.column(c, sa.JSON) for c in ("review", "warnings", "complaint")))
    with engine.begin() as connection:
        connection.execute(complaints.insert().values(
            reference="KLA-2026-0001", prefix="KLA", year=2026, number=1, organisation="kameo-dk",
            status="received", channel="file", received=date(2026, 11, 23), review=[], warnings=[],
            created_at=datetime(2026, 11, 23, 9), complaint=record["complaint"]))
    upgrade(engine, "0002")
    assert current_revision(engine) == "0002"
    with engine.connect() as connection:
        keys = connection.execute(sa.text("SELECT investment_key, project_key, complainant_key FROM complaints")).one()
    assert tuple(keys) == ("KA1042", "projekt 1", "email:kunde1@example.dk")
    downgrade(engine, "0001")  # and back up: the path works both ways
    upgrade(engine)
    assert show(engine, "KLA-2026-0001")["complaint"]["investment"]["reference"] == "ka 1042"
    engine.dispose()


def test_upgrade_to_cases_keeps_rows_and_gives_them_a_version(db_url: str) -> None:
    """0003 → 0005 on a register with a complaint and its history: version 1, nobody assigned; usable at the head."""
    from klageformular.register import Register

    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0003")
    _old_complaint(engine, 1, "acknowledged")
    upgrade(engine, "0005")
    assert current_revision(engine) == "0005"
    with engine.connect() as connection:
        row = connection.execute(sa.text("SELECT version, assignee, merged_into, not_a_complaint "
                                         "FROM complaints")).one()
    assert (row[0], row[1], row[2], bool(row[3])) == (1, None, None, False)
    upgrade(engine)  # the models are the head's (0004 follows 0005)
    register = Register(engine)
    with register.session() as s, s.begin():
        register.assign(s, "KLA-2026-0001", "mikkel", who="linn", version=1)
    with register.session() as s:
        case = register.case(s, "KLA-2026-0001")
    assert (case.version, case.assignee, [e.what for e in case.events]) == (2, "mikkel",
                                                                             ["received", "status", "assign"])
    downgrade(engine, "0003")  # and back up, through 0004 (the head) too
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert _count(engine, "corrections") == 0
    engine.dispose()


def test_message_cases_after_cases_keep_what_0005_added(db_url: str) -> None:
    """0005 → 0004 on a register with cases: SQLite copies the complaints table (0004 drops the
    unique Message-ID), and the version, assignee, merge pointer, non-complaint flag, the
    corrections pointing at the table and the history all come through; and back down and up."""
    from klageformular.register import Register

    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0005")
    _old_complaint(engine, 1, "acknowledged")
    _old_complaint(engine, 2)
    corrections = sa.table("corrections", *(sa.column(c) for c in ("complaint_id", "path", "typed", "before",
                                                                     "after", "who", "note")),
                           sa.column("at", sa.DateTime(timezone=True)))
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE complaints SET version = 3, assignee = 'mikkel', message_id = '<x@form>' "
                                   "WHERE id = 1"))
        connection.execute(sa.text("UPDATE complaints SET merged_into = 'KLA-2026-0001', not_a_complaint = :yes "
                                   "WHERE id = 2").bindparams(yes=True))
        connection.execute(corrections.insert().values(complaint_id=1, path="complainant.email",
                                                       typed="kunde(at)example.dk", before="null",
                                                       after='"kunde1@example.dk"', who="linn", note="ringede",
                                                       at=datetime(2026, 11, 24, 9)))
        connection.execute(sa.text("INSERT INTO reference_counters (prefix, year, last) VALUES ('KLA', 2026, 2)"))
        if engine.dialect.name == "postgresql":  # the rows above named their ids
            connection.execute(sa.text("SELECT setval('complaints_id_seq', 2)"))
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, version, assignee, merged_into, not_a_complaint, message_id, "
                                          "message_sha256 FROM complaints ORDER BY id")).all()
        if engine.dialect.name == "sqlite":  # the copied table: every pointer at it still resolves
            assert connection.execute(sa.text("PRAGMA foreign_key_check")).all() == []
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    assert [(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6]) for r in rows] == [
        (1, 3, "mikkel", None, False, "<x@form>", None), (2, 1, None, "KLA-2026-0001", True, None, None)]
    assert (_count(engine, "corrections"), _count(engine, "events")) == (1, 3)
    # 0004's point: a second case may carry the same (claimed) Message-ID
    assert add_record(engine, complaint_record(3, message_id="<x@form>", message_id_collision=True)).outcome == "added"
    register = Register(engine)
    with register.session() as s, s.begin():
        register.assign(s, "KLA-2026-0001", "linn", who="mikkel", version=3)
    with register.session() as s:
        case = register.case(s, "KLA-2026-0001")
    assert (case.version, case.assignee, [c.typed for c in case.corrections]) == (4, "linn", ["kunde(at)example.dk"])
    downgrade(engine, "0005")  # back to one case per Message-ID: the later one loses its claim, nothing else
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM complaints WHERE message_id IS NOT NULL")).scalar() == 1
        assert connection.execute(sa.text("SELECT version, assignee FROM complaints WHERE id = 1")).one() == (4, "linn")
    upgrade(engine)
    assert _count(engine, "corrections") == 1
    engine.dispose()


def test_upgrade_to_the_outbox_keeps_cases_and_checks_each_letter(db_url: str) -> None:
    """0007 → 0009 on a register with cases: the outbox starts empty; an e-mail without its Message-ID or
    bytes, or a state outside the vocabulary, is refused by the database itself; back down keeps the cases."""
    from klageformular.register._schema import OutgoingRow

    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0007")
    for number in (1, 2):
        add_record(engine, complaint_record(number, received="2026-11-02", message_id=f"<{number}@example.dk>"))
    upgrade(engine, "0009")
    assert _count(engine, "outgoing") == 0
    now = datetime(2026, 11, 3, 10, 0)
    good = {"complaint_id": 1, "kind": "ack", "dated": date(2026, 11, 3), "who": "linn", "queued_at": now}
    with Session(engine) as session, session.begin():
        session.add(OutgoingRow(**good, channel="email", state="queued", message_id="<a.KLA-2026-0001@kameo.dk>",
                                sha256="0" * 64))
        session.add(OutgoingRow(**good, channel="post", state="to_post"))
    for bad in ({"channel": "email", "state": "queued", "sha256": "0" * 64},  # no Message-ID
                {"channel": "email", "state": "queued", "message_id": "<b@kameo.dk>"},  # no bytes
                {"channel": "post", "state": "lost"},
                {"channel": "fax", "state": "queued"},
                {"channel": "email", "state": "queued", "message_id": "<a.KLA-2026-0001@kameo.dk>",
                 "sha256": "1" * 64},  # the same Message-ID twice
                {"channel": "email", "state": "sent", "message_id": "<c@kameo.dk>", "sha256": "2" * 64,
                 "copy_state": "lost"}):  # the Sent folder's copy: pending or copied
        with pytest.raises(sa.exc.IntegrityError), Session(engine) as session, session.begin():
            session.add(OutgoingRow(**good, **bad))
    assert _count(engine, "outgoing") == 2
    downgrade(engine, "0007")
    assert _count(engine, "complaints") == 2
    with engine.connect() as connection:
        assert "outgoing" not in sa.inspect(connection).get_table_names()
    engine.dispose()


def test_upgrade_to_deadlines_keeps_rows_and_a_profile_fills_them(db_url: str) -> None:
    """0005 → 0008 on a register with an acknowledged case: no profile recorded, nothing paused; a profile set
    afterwards records itself and counts the decision date (an event with before and after)."""
    from klageformular.org import get_organisation
    from klageformular.register import Profile, Register

    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0005")
    _old_complaint(engine, 1, "acknowledged")
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        row = connection.execute(sa.text("SELECT profile_sha256, extended_to, waiting_since, paused_days, decide_by "
                                         "FROM complaints")).one()
    assert tuple(row) == (None, None, None, 0, None)
    profile = Profile.built_in(get_organisation("kameo-dk").model_copy(update={"decision_working_days": 10}))
    register = Register(engine)
    with register.session() as s, s.begin():
        change = register.set_profile(s, "KLA-2026-0001", profile, who="linn", version=1)
    # Received Mon 23 Nov 2026: 10 working days are 24-27 (4), 30 Nov-4 Dec (9), Mon 7 Dec (10).
    assert change is not None and (change.decide_by_before, change.decide_by) == (None, date(2026, 12, 7))
    with register.session() as s:
        case = register.case(s, "KLA-2026-0001")
    assert (case.profile_sha256, case.version, [e.what for e in case.events][-1]) == (profile.sha256, 2, "profile")
    downgrade(engine, "0005")  # and back up
    upgrade(engine)
    assert _count(engine, "events") == 3
    engine.dispose()


_README_GRANTS = [line.strip().rstrip(";") for line in
                  (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
                  .split("<!-- application-role -->")[1].split("```sql")[1].split("```")[0].splitlines()
                  if line.strip() and not line.strip().startswith(("--", "CREATE ROLE"))]


@pytest.fixture
def postgres_register(postgres_url: str) -> Iterator[Engine]:
    from .postgres import new_database

    engine = create_register_engine(new_database(postgres_url))
    yield engine
    engine.dispose()


# -- intake ---------------------------------------------------------------------------------------


def _morning(out: Path) -> Path:
    first = complaint_record(1, received="2026-11-24")
    return write_batch(
        out,
        complaints=[first, complaint_record(2, received="2026-11-23", status="needs_review"),
                    complaint_record(3, received="2026-11-23", org="kameo-no", lang="nb")],
        rejected=[rejected_record(1, received="2026-11-24")],
        duplicates=[duplicate_record(first, "inbox/kopi.pdf"),
                    duplicate_record(first, "inbox/flattened.pdf", "same_content"),
                    # as the batch wrote them before content keys: same bytes, no kind
                    {"source": "inbox/gammel.pdf", "sha256": first["sha256"], "duplicate_of": first["source"]}],
    )


def test_intake_numbers_in_order_of_receipt_and_keeps_everything(engine: Engine, tmp_path: Path) -> None:
    summary = import_batch(engine, _morning(tmp_path / "out"), today=date(2026, 11, 25))
    assert (summary.added, summary.unreadable, summary.attached, summary.already) == (4, 1, 3, 0)
    assert summary.references == ["KLA-2026-0001", "KLA-NO-2026-0001", "KLA-2026-0002", "KLA-2026-0003"]
    entries = {e["reference"]: e for e in list_complaints(engine)}
    assert entries["KLA-2026-0001"]["status"] == "received"
    assert entries["KLA-2026-0001"]["review"][0]["code"] == "invalid_phone"
    assert entries["KLA-NO-2026-0001"]["language"] == "nb"
    scan = entries["KLA-2026-0003"]
    assert (scan["status"], scan["reason"], scan["complaint"]) == ("unreadable", "unreadable", None)
    first = show(engine, "KLA-2026-0002")
    assert [f["kind"] for f in first["files"]] == ["original", "same_file", "same_content", "same_file"]
    assert [e["what"] for e in first["events"]] == ["received", "duplicate", "duplicate", "duplicate"]
    assert first["acknowledge_by"] == "2026-11-27" and first["decide_by"] is None  # Kameo: no timeframe yet


def test_intake_again_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    out = _morning(tmp_path / "out")
    import_batch(engine, out)
    events = _count(engine, "events")
    summary = import_batch(engine, out)
    assert (summary.added, summary.attached, summary.already) == (0, 0, 7)
    assert _count(engine, "events") == events and _count(engine, "complaints") == 4


@pytest.mark.parametrize(("key", "kind"), [("content_key", "same_content"), ("message_id", "same_message")])
def test_same_content_or_message_is_one_complaint(engine: Engine, key: str, kind: str) -> None:
    first = complaint_record(1, message_id="<a1@example.dk>")
    again = complaint_record(2, message_id="<b2@example.dk>") | {key: first[key]}
    assert add_record(engine, first).outcome == "added"
    result = add_record(engine, again)
    assert (result.outcome, result.reference) == ("attached", "KLA-2026-0001")
    assert [f["kind"] for f in show(engine, "KLA-2026-0001")["files"]] == ["original", kind]


def test_mail_record_keeps_message_and_attachments(engine: Engine) -> None:
    record = complaint_record(1, method="email", message_id="<x@example.dk>", received="2026-11-23T23:30:00+01:00",
                              attachments=[{"name": "bilag.pdf", "content_type": "application/pdf",
                                                             "size": 1234, "sha256": digest("bilag"),
                                                             "path": "attachments/bilag.pdf"}]) | {
        "from": "a@b.dk", "subject": "Klage"}
    add_record(engine, record)
    entry = show(engine, "KLA-2026-0001")
    assert (entry["channel"], entry["received"], entry["message_id"]) == ("email", "2026-11-23", "<x@example.dk>")
    assert entry["received_at"] == "2026-11-23T22:30:00+00:00"
    assert entry["attachments"][0]["size"] == 1234 and entry["mail"] == {"from": "a@b.dk", "subject": "Klage"}


def test_no_value_reaches_the_database_log(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    """With SQLAlchemy's engine logger at DEBUG (statements, parameters, result rows): no customer data."""
    record = complaint_record(1, email="hemmelig.kunde@example.dk", subject="Min hemmelige klage")
    with caplog.at_level(logging.DEBUG, logger="sqlalchemy.engine"):
        add_record(engine, record)
        show(engine, "KLA-2026-0001")
    assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records)  # the capture sees it
    for value in ("hemmelig.kunde", "Min hemmelige klage", "K-1"):
        assert value not in caplog.text


def test_unreadable_file_without_hash_or_date(engine: Engine) -> None:
    """A file the batch could not even read (permissions): no hash, no date; kept, dated by the import."""
    record = {"source": "inbox/locked.pdf", "sha256": None, "status": "unreadable", "reason": "unreadable",
              "error": "OSError", "message": "cannot read the file: Permission denied", "received": None,
              "acknowledge_by": None}
    result = add_record(engine, record, today=date(2026, 12, 23))
    assert add_record(engine, record, today=date(2026, 12, 24)).outcome == "already"
    entry = show(engine, result.reference)
    assert (entry["received"], entry["acknowledge_by"], entry["status"]) == ("2026-12-23", "2026-12-29", "unreadable")


def test_import_of_a_folder_without_records_is_refused(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(RegisterError, match="no batch records here"):
        import_batch(engine, tmp_path / "nowhere")


def test_duplicate_without_original_is_kept_for_a_person(engine: Engine) -> None:
    result = add_record(engine, duplicate_record(complaint_record(9), "inbox/lost.pdf", "same_content"))
    assert result.outcome == "added"
    entry = show(engine, result.reference)
    assert (entry["status"], entry["reason"]) == ("unreadable", "orphan")


def test_references_per_organisation_and_year(engine: Engine) -> None:
    order = [("2026-12-30", "kameo-dk"), ("2026-12-31", "kameo-se"), ("2027-01-04", "kameo-dk"),
             ("2026-12-31", "kameo-dk")]
    refs = [add_record(engine, complaint_record(i, received=day, org=org)).reference
            for i, (day, org) in enumerate(order)]
    assert refs == ["KLA-2026-0001", "KLA-SE-2026-0001", "KLA-2027-0001", "KLA-2026-0002"]


def test_concurrent_threads_get_unique_gapless_numbers(engine: Engine) -> None:
    records = [complaint_record(i) for i in range(30)]
    with ThreadPoolExecutor(6) as pool:  # every record twice, in parallel: each complaint once
        results = list(pool.map(lambda r: add_record(engine, r), records + records))
    assert sorted(r.outcome for r in results).count("added") == 30
    assert _numbers(engine) == list(range(1, 31))


def test_concurrent_processes_get_unique_gapless_numbers(db_url: str, tmp_path: Path) -> None:
    """Five intake processes on one (empty, unmigrated) database; two of them import the same folder."""
    folders = [write_batch(tmp_path / f"out{n}", complaints=[complaint_record(n * 100 + i) for i in range(8)],
                           rejected=[rejected_record(n)]) for n in range(4)]
    procs = [subprocess.Popen([sys.executable, "-m", "klageformular", "register", "import", str(folder), "--db",
                               db_url, "--who", f"p{n}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for n, folder in enumerate([*folders, folders[0]])]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err.decode()
    engine = create_register_engine(db_url)
    assert _numbers(engine) == list(range(1, 37))
    with engine.connect() as connection:
        originals = connection.execute(sa.text("SELECT sha256 FROM source_files")).scalars().all()
    assert len(originals) == len(set(originals)) == 36
    engine.dispose()


# -- workflow -------------------------------------------------------------------------------------


def test_full_workflow_is_recorded(engine: Engine) -> None:
    add_record(engine, complaint_record(1))
    for status in ("acknowledged", "under_review", "decided", "closed", "escalated", "decided"):
        set_status(engine, "kla-2026-0001", status, who="linn", note=f"now {status}")
    add_note(engine, "KLA-2026-0001", "Ringede til kunden", who="linn")
    events = show(engine, "KLA-2026-0001")["events"]
    assert [(e["from"], e["to"]) for e in events[1:7]] == [
        ("received", "acknowledged"), ("acknowledged", "under_review"), ("under_review", "decided"),
        ("decided", "closed"), ("closed", "escalated"), ("escalated", "decided")]
    assert events[-1] == events[-1] | {"what": "note", "who": "linn", "note": "Ringede til kunden"}


@pytest.mark.parametrize(("path", "status"), [
    ((), "decided"), ((), "closed"), (("acknowledged",), "received"), (("acknowledged", "inadmissible"), "decided"),
    (("acknowledged", "under_review", "decided", "closed"), "under_review"), ((), "nonsense"),
])
def test_impossible_transition_is_refused(engine: Engine, path: tuple[str, ...], status: str) -> None:
    add_record(engine, complaint_record(1))
    for step in path:
        set_status(engine, "KLA-2026-0001", step, who="linn")
    with pytest.raises(InvalidTransitionError, match=r"cannot go from|unknown status") as caught:
        set_status(engine, "KLA-2026-0001", status, who="linn")
    assert caught.value.current == (path[-1] if path else "received")
    assert show(engine, "KLA-2026-0001")["status"] == caught.value.current


def test_unknown_reference_and_empty_note(engine: Engine) -> None:
    with pytest.raises(UnknownReferenceError, match="KLA-2026-0099"):
        set_status(engine, "KLA-2026-0099", "acknowledged", who="linn")
    add_record(engine, complaint_record(1))
    with pytest.raises(RegisterError, match="needs some text"):
        add_note(engine, "KLA-2026-0001", "  ", who="linn")


@pytest.mark.parametrize("statement", ["UPDATE events SET note = 'changed'", "DELETE FROM events"])
def test_events_are_append_only_in_the_database(engine: Engine, statement: str) -> None:
    add_record(engine, complaint_record(1))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text(statement))
    assert _count(engine, "events") == 1


@pytest.mark.parametrize("statement", [
    "TRUNCATE events", "TRUNCATE complaints CASCADE",
    "TRUNCATE events, complaints, source_files, attachments, corrections, documents"])
def test_history_refuses_truncate_on_postgresql(postgres_register: Engine, statement: str) -> None:
    add_record(postgres_register, complaint_record(1))
    # Since revision 0007 the measures reference the events: PostgreSQL refuses a TRUNCATE that
    # leaves them out for that foreign key, before any trigger; either way the history stays.
    with pytest.raises(DBAPIError, match=r"append-only|referenced in a foreign key"), \
            postgres_register.begin() as connection:
        connection.execute(sa.text(statement))
    assert _count(postgres_register, "events") == 1


@pytest.mark.parametrize("statement", [
    "DROP TABLE events", "DROP TABLE complaints", "ALTER TABLE events RENAME TO old_events",
    "ALTER TABLE events ADD COLUMN x INTEGER", "DROP TRIGGER events_append_only_delete",
    "DROP INDEX ix_events_complaint_id", "PRAGMA writable_schema = ON", "DROP TABLE corrections",
    "DROP TRIGGER corrections_append_only_update", "DROP TABLE measures"])
def test_sqlite_connections_refuse_to_drop_or_alter_the_register(tmp_path: Path, statement: str) -> None:
    engine = create_register_engine(f"sqlite:///{tmp_path / 'klager.db'}")
    add_record(engine, complaint_record(1))
    with pytest.raises(DBAPIError, match="not authorized"), engine.begin() as connection:
        connection.execute(sa.text(statement))
    with engine.begin() as connection:  # other DDL (a scratch table of one's own) still works
        connection.execute(sa.text("CREATE TEMP TABLE scratch (x INTEGER)"))
        connection.execute(sa.text("DROP TABLE scratch"))
    assert _count(engine, "events") == 1
    engine.dispose()


def test_truncate_guard_migration_from_0002_with_history(postgres_url: str) -> None:
    from .postgres import new_database

    engine = create_register_engine(new_database(postgres_url), migrate=False)
    upgrade(engine, "0002")
    _old_complaint(engine, 1)  # the models are the newest schema's: rows at 0002 go in as SQL
    with engine.begin() as connection:  # at 0002 the history could be emptied: the hole this closes
        connection.execute(sa.text("TRUNCATE events"))
    _old_complaint(engine, 2)
    upgrade(engine, "0003")
    assert current_revision(engine) == "0003"
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE events"))
    assert _count(engine, "events") == 1
    downgrade(engine, "0002")
    upgrade(engine)
    assert len(show(engine, "KLA-2026-0002")["events"]) == 1
    engine.dispose()


def _correct_email(engine: Engine, number: int) -> None:
    """Case ``number`` with its e-mail corrected (a row in ``corrections``)."""
    from klageformular.register import Register

    register = Register(engine)
    with register.session() as s, s.begin():
        register.correct(s, f"KLA-2026-{number:04d}", "complainant.email", f"ny{number}@example.dk", who="linn",
                         note="Kunden ringede")


_CHANGE_A_CORRECTION = ("UPDATE corrections SET note = 'changed'", "UPDATE corrections SET typed = NULL",
                        "UPDATE corrections SET complaint_id = 2", "DELETE FROM corrections")


def test_upgrade_makes_corrections_append_only(db_url: str) -> None:
    """0007 → 0010 (through 0009) on a register with a correction: it stays, and the database refuses to change,
    move or delete it (TRUNCATE too on PostgreSQL); correcting and merging the case still work; and back."""
    from klageformular.register import Register

    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0007")  # every table this test touches is 0007's (0009 and 0010 add none of them)
    for number in (1, 2):
        add_record(engine, complaint_record(number))
    _correct_email(engine, 1)
    with engine.begin() as connection:  # at 0007 a correction could be rewritten: the hole this closes
        connection.execute(sa.text("UPDATE corrections SET note = 'Kunden ringede' WHERE complaint_id = 1"))
    upgrade(engine, "0010")
    assert current_revision(engine) == "0010"
    statements = _CHANGE_A_CORRECTION + (("TRUNCATE corrections",) if engine.dialect.name == "postgresql" else ())
    for statement in statements:
        with pytest.raises(DBAPIError, match="corrections are append-only"), engine.begin() as connection:
            connection.execute(sa.text(statement))
    _correct_email(engine, 2)  # a new correction is an INSERT
    register = Register(engine)
    with register.session() as s, s.begin():  # a merge moves files, never a correction
        target = register.merge(s, "KLA-2026-0001", into="KLA-2026-0002", who="linn", note="samme kunde")
    assert target.merged_from == ("KLA-2026-0001",)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT complaint_id, typed, note FROM corrections ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, "kunde1@example.dk", "Kunden ringede"),
                                        (2, "kunde2@example.dk", "Kunden ringede")]
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    downgrade(engine, "0007")  # and back: the rows stay, the guard goes
    with engine.connect() as connection:
        connection.execute(sa.text("UPDATE corrections SET note = 'x'"))
        connection.rollback()
    assert _count(engine, "corrections") == 2
    upgrade(engine)
    with pytest.raises(DBAPIError, match="corrections are append-only"), engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM corrections"))
    engine.dispose()


def _old_complaint(engine: Engine, number: int, status: str = "received") -> None:
    """A complaint and its history written as SQL, for a database at an older revision than the models."""
    complaints = sa.table("complaints", *(sa.column(c) for c in (
        "id", "reference", "prefix", "year", "number", "organisation", "status", "channel")),
        sa.column("received", sa.Date), sa.column("created_at", sa.DateTime(timezone=True)),
        *(sa.column(c, sa.JSON) for c in ("review", "warnings", "complaint")))
    events = sa.table("events", *(sa.column(c) for c in ("complaint_id", "who", "what", "from_status", "to_status")),
                      sa.column("at", sa.DateTime(timezone=True)))
    with engine.begin() as connection:
        connection.execute(complaints.insert().values(
            id=number, reference=f"KLA-2026-{number:04d}", prefix="KLA", year=2026, number=number,
            organisation="kameo-dk", status=status, channel="file", received=date(2026, 11, 23), review=[],
            warnings=[], created_at=datetime(2026, 11, 23, 9), complaint=complaint_record(number)["complaint"]))
        connection.execute(events.insert().values(complaint_id=number, who="intake", what="received",
                                                  to_status="received", at=datetime(2026, 11, 23, 9)))
        if status != "received":
            connection.execute(events.insert().values(complaint_id=number, who="linn", what="status",
                                                      from_status="received", to_status=status,
                                                      at=datetime(2026, 11, 23, 10)))


def test_application_role_that_owns_nothing(postgres_url: str) -> None:
    """The role setup the README gives: the application registers and reads, and cannot empty,
    drop or unguard the history (no TRUNCATE privilege; DROP and DISABLE TRIGGER need the owner)."""
    from klageformular.register import Register

    from .postgres import new_database

    url = new_database(postgres_url)
    role = "app_" + uuid.uuid4().hex[:8]
    owner = create_register_engine(url)
    with owner.begin() as connection:
        connection.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
        for statement in _README_GRANTS:
            connection.execute(sa.text(statement.replace("klageformular_app", role)))
    app = create_register_engine(url.replace("postgres@", f"{role}@"))  # migrating at head needs no DDL
    add_record(app, complaint_record(1))
    set_status(app, "KLA-2026-0001", "acknowledged", who="linn")
    register = Register(app)
    with register.session() as session, session.begin():
        register.categorize(session, "KLA-2026-0001", who="linn", product="loan")
        register.record_measure(session, "KLA-2026-0001", "staff_training", who="linn")
    for statement in ("TRUNCATE events", "TRUNCATE measures", "DELETE FROM measures",
                      "DROP TABLE events", "ALTER TABLE events DISABLE TRIGGER USER",
                      "DROP TRIGGER events_append_only ON events", "DELETE FROM events",
                      "UPDATE events SET note = 'x'", "CREATE TABLE public.mine (x int)",
                      "UPDATE blobs SET size = 0", "DELETE FROM blobs", "DELETE FROM documents",
                      "TRUNCATE corrections", "DELETE FROM corrections", "UPDATE corrections SET note = 'x'"):
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner|append-only"), \
                app.begin() as connection:
            connection.execute(sa.text(statement))
    assert (_count(owner, "events"), _count(owner, "measures")) == (4, 1)
    app.dispose()
    with owner.begin() as connection:
        connection.execute(sa.text(f"DROP OWNED BY {role}"))
        connection.execute(sa.text(f"DROP ROLE {role}"))
    owner.dispose()


# -- deadlines ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("received", "deadline", "today", "bucket"), [
    # Christmas 2026: 24 Dec counts as a working day in Denmark, 25-26 Dec are holidays, 27 Dec a Sunday.
    # The window is the next 7 days, across the weekend (it used to stop at Sunday, hiding these).
    ("2026-12-23", "2026-12-29", "2026-12-21", None),
    ("2026-12-23", "2026-12-29", "2026-12-22", "upcoming"),
    ("2026-12-23", "2026-12-29", "2026-12-23", "upcoming"),
    ("2026-12-23", "2026-12-29", "2026-12-28", "upcoming"),
    ("2026-12-23", "2026-12-29", "2026-12-29", "due_today"),
    ("2026-12-23", "2026-12-29", "2026-12-30", "overdue"),
    # Easter 2026: Maundy Thursday, Good Friday and Easter Monday are holidays.
    ("2026-04-01", "2026-04-09", "2026-04-01", None),
    ("2026-04-01", "2026-04-09", "2026-04-03", "upcoming"),
    ("2026-04-01", "2026-04-09", "2026-04-06", "upcoming"),
    ("2026-04-01", "2026-04-09", "2026-04-10", "overdue"),
    # Store Bededag (fourth Friday after Easter) is a working day from 2024.
    ("2024-04-24", "2024-04-29", "2024-04-29", "due_today"),
])
def test_due_around_holidays(engine: Engine, received: str, deadline: str, today: str, bucket: str | None) -> None:
    add_record(engine, complaint_record(1, received=received, ack=False))  # the register computes the deadline
    report = due(engine, date.fromisoformat(today))
    buckets = {"overdue": report.overdue, "due_today": report.due_today, "upcoming": report.upcoming}
    found = {name: [i.deadline.isoformat() for i in items] for name, items in buckets.items() if items}
    assert found == ({bucket: [deadline]} if bucket else {})


def test_decide_by_from_the_profile(engine: Engine) -> None:
    profile = get_organisation("kameo-dk").model_copy(update={"decision_working_days": 20})
    add_record(engine, complaint_record(1, received="2026-12-01"), organisations={"kameo-dk": profile})
    entry = show(engine, "KLA-2026-0001")
    # 20 working days: 25-26 December skipped, 24 December counted (not a statutory holiday).
    assert entry["decide_by"] == acknowledge_by(date(2026, 12, 1), 20).isoformat() == "2026-12-30"
    set_status(engine, "KLA-2026-0001", "acknowledged", who="linn", on=date(2026, 12, 2))
    assert due(engine, date(2026, 12, 30)).due_today[0].action == "decide"
    assert due(engine, date(2026, 12, 31)).overdue[0].reference == "KLA-2026-0001"


def test_escalated_and_closed_are_not_due(engine: Engine) -> None:
    add_record(engine, complaint_record(1, received="2026-11-02"))
    add_record(engine, rejected_record(2, received="2026-11-02"))
    set_status(engine, "KLA-2026-0001", "escalated", who="linn")
    set_status(engine, "KLA-2026-0002", "closed", who="linn", note="spam, not a complaint")
    assert due(engine, date(2026, 12, 1)).overdue == []


# -- related complaints, statistics ---------------------------------------------------------------


def test_related_complaints(engine: Engine) -> None:
    add_record(engine, complaint_record(1, investment="KA-1042"))
    add_record(engine, complaint_record(2, investment="ka 1042"))  # written differently, same investment
    add_record(engine, complaint_record(3, email="KUNDE1@example.dk"))  # same complainant
    add_record(engine, complaint_record(4))
    set_status(engine, "KLA-2026-0002", "acknowledged", who="linn")
    set_status(engine, "KLA-2026-0002", "under_review", who="linn")
    set_status(engine, "KLA-2026-0002", "decided", who="linn", outcome="upheld")
    related = show(engine, "KLA-2026-0001")["related"]
    assert [(r["reference"], r["same"], r["outcome"]) for r in related] == [
        ("KLA-2026-0002", ["investment"], "upheld"), ("KLA-2026-0003", ["complainant"], None)]
    assert [e["reference"] for e in list_complaints(engine, related_to="KLA-2026-0003")] == ["KLA-2026-0001"]
    assert [e["reference"] for e in list_complaints(engine, status=["decided"])] == ["KLA-2026-0002"]


def test_report_figures(engine: Engine) -> None:
    # Received Wednesday 23 Dec 2026; acknowledgement deadline 29 Dec (Christmas skipped).
    for i in range(4):
        add_record(engine, complaint_record(i, received="2026-12-23", lang="en" if i == 3 else "da"))
    add_record(engine, rejected_record(9, received="2026-12-23"))
    add_record(engine, complaint_record(8, received="2027-01-05"))  # outside the period
    for ref, ack in (("KLA-2026-0001", "2026-12-24"), ("KLA-2026-0002", "2026-12-29"), ("KLA-2026-0003", "2026-12-30")):
        set_status(engine, ref, "acknowledged", who="linn", on=date.fromisoformat(ack))
    set_status(engine, "KLA-2026-0001", "under_review", who="linn", on=date(2026, 12, 28))
    set_status(engine, "KLA-2026-0001", "decided", who="linn", on=date(2027, 1, 4), outcome="not_upheld")
    figures = report(engine, date(2026, 12, 1), date(2026, 12, 31), today=date(2027, 1, 8))
    assert (figures.received, figures.complaints, figures.not_complaints) == (5, 5, 0)
    assert figures.by_status == {"acknowledged": 2, "decided": 1, "received": 1, "unreadable": 1}
    assert figures.by_language == {"-": 1, "da": 3, "en": 1}
    assert figures.by_channel == {"file": 5}
    assert figures.by_outcome == {"not_upheld": 1}
    assert figures.working_days_to_acknowledgement.model_dump() == {"count": 3, "median": 3, "max": 4}  # 1, 3, 4
    assert figures.working_days_to_decision.model_dump() == {"count": 1, "median": 6, "max": 6}
    assert figures.overdue == 3  # acknowledged on 30 Dec, and two never acknowledged (as of 31 Dec)


# -- exports --------------------------------------------------------------------------------------


def _exportable(engine: Engine) -> None:
    add_record(engine, complaint_record(1, received="2026-11-23", subject='=HYPERLINK("http://evil","x")\nmere'))
    add_record(engine, complaint_record(2, received="2026-11-24", status="needs_review", amount=None,
                                        subject="En flad kopi har ingen linjeskift. " * 20))
    add_record(engine, rejected_record(3, received="2026-11-24"))
    set_status(engine, "KLA-2026-0001", "acknowledged", who="linn", on=date(2026, 11, 24), note="kvittering sendt")
    add_note(engine, "KLA-2026-0001", "=1+1 @kunde", who="linn")


# The review item complaint_record gives (code invalid_phone on complainant.phone), as each sheet says it.
REVIEW = {"da": "Telefon: er ikke et gyldigt telefonnummer", "en": "Telephone: is not a valid telephone number",
          "sv": "Telefon: är inte ett giltigt telefonnummer"}


@pytest.mark.parametrize(("lang", "header", "events_sheet", "words"), [
    ("da", "Kvittér senest", "Hændelser", ("modtaget", "kvitteret", "ulæselig")),
    ("en", "Acknowledge by", "Events", ("received", "acknowledged", "unreadable")),
    ("sv", "Bekräfta senast", "Händelser", ("mottaget", "bekräftat", "oläslig")),
])
def test_export_xlsx_read_back_cell_by_cell(engine: Engine, tmp_path: Path, lang: str, header: str,
                                            events_sheet: str, words: tuple[str, str, str]) -> None:
    _exportable(engine)
    target = tmp_path / "register.xlsx"
    assert export_xlsx(engine, target, lang=lang) == 3
    book = load_workbook(target)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[2] == header and len(headers) == 17
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:Q4"
    assert all(sheet.column_dimensions[letter].width >= 5 for letter in "ABCDEFGHIJKLMNOPQ")
    row = dict(zip(headers, sheet[2], strict=True))
    values = [c.value for c in sheet[2]]
    assert values[:5] == ["KLA-2026-0001", datetime(2026, 11, 23), datetime(2026, 11, 26), None, words[1]]
    assert values[5:9] == ["Łukasz Żółć", "kunde1@example.dk", '=HYPERLINK("http://evil","x")', "KA-2001"]
    assert row[headers[7]].data_type == "s"  # typed by a customer: text, not a formula
    assert (values[9], values[10]) == (12500.5, "DKK") and row[headers[9]].number_format == "#,##0.00"
    assert row[headers[1]].is_date and row[headers[14]].value == datetime(2026, 11, 24)
    second = [c.value for c in sheet[3]]
    assert (second[9], second[11]) == (None, REVIEW[lang])  # the field and the problem in the sheet's language
    assert isinstance(second[7], str) and len(second[7]) == 160 and second[7].endswith("kopi har in…")
    scan = [c.value for c in sheet[4]]
    assert (scan[4], scan[5], scan[7]) == (words[2], None, "1 of 1 page(s) have no text layer")
    events = book[events_sheet]
    assert events.max_row == 6  # header, three "received", a status change and a note: grouped by entry
    change = [c.value for c in events[3]]
    assert change[0] == "KLA-2026-0001" and change[3:] == ["status", words[0], words[1],
                                                           "(2026-11-24) kvittering sendt"]
    assert isinstance(change[1], datetime) and events.cell(3, 2).is_date  # when it was recorded
    assert events.cell(4, 7).value == "=1+1 @kunde" and events.cell(4, 7).data_type == "s"


def test_export_xlsx_prints_readably(engine: Engine, tmp_path: Path) -> None:
    """Issue 23 item 14: the sheet printed at about 4 pt. A4 landscape, one page wide, the header on
    every page, narrow columns with wrapped text; through LibreOffice (when installed) the type on
    paper is 8 pt or more."""
    _exportable(engine)
    target = tmp_path / "register.xlsx"
    export_xlsx(engine, target, lang="da")
    book = load_workbook(target)
    for sheet in book.worksheets:
        setup = sheet.page_setup
        # fitToWidth 1 is the format's default: the writer may leave it out (openpyxl reads None)
        assert (setup.orientation, setup.paperSize, setup.fitToWidth or 1, setup.fitToHeight) == ("landscape", 9, 1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$1:$1"
    sheet = book.worksheets[0]
    assert sum(d.width for d in sheet.column_dimensions.values()) <= 200  # was about 330
    subject = sheet.cell(3, 8)  # 160 characters
    assert subject.alignment.wrap_text and sheet.row_dimensions[3].height >= 5 * 14  # room for the wrapped lines
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui): the printed size is "
                    "not measured")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(target)], capture_output=True, timeout=240, check=True)
    import pdfplumber

    with pdfplumber.open(tmp_path / "register.pdf") as pdf:
        sizes = {round(c["size"], 1) for page in pdf.pages for c in page.chars}
        assert pdf.pages[0].width > pdf.pages[0].height  # landscape
    assert min(sizes) >= 8, sizes


def test_export_xlsx_continues_on_a_next_sheet_past_the_row_limit(engine: Engine, tmp_path: Path) -> None:
    """Issue 25: the events sheet passed Excel's 1,048,576 rows at about 220,000 complaints. With a
    limit of 4 rows, five events take two sheets (the header, two events and the line saying where
    the rest is; then three, filling the sheet with no such line); three entries fit one exactly."""
    _exportable(engine)
    export_xlsx(engine, tmp_path / "whole.xlsx", lang="da")
    assert export_xlsx(engine, tmp_path / "split.xlsx", lang="da", max_rows=4) == 3
    whole, split = load_workbook(tmp_path / "whole.xlsx"), load_workbook(tmp_path / "split.xlsx")
    assert split.sheetnames == ["Klager", "Hændelser", "Hændelser (2)"]
    assert [[c.value for c in r] for r in split["Klager"].iter_rows()] == \
        [[c.value for c in r] for r in whole["Klager"].iter_rows()]
    first, second = split["Hændelser"], split["Hændelser (2)"]
    assert (first.max_row, second.max_row) == (4, 4)
    assert [c.value for c in first[4]] == ["Fortsætter på arket «Hændelser (2)»"] + [None] * 6
    assert (first.auto_filter.ref, second.auto_filter.ref) == ("A1:G3", "A1:G4")
    header = [c.value for c in whole["Hændelser"][1]]
    for sheet in (first, second):  # each sheet its own header, frozen pane and print setup
        assert [c.value for c in sheet[1]] == header and sheet.freeze_panes == "A2"
        assert sheet.print_title_rows == "$1:$1" and sheet.page_setup.orientation == "landscape"
    rows = [[c.value for c in r] for r in [*first.iter_rows(min_row=2, max_row=3), *second.iter_rows(min_row=2)]]
    assert rows == [[c.value for c in r] for r in whole["Hændelser"].iter_rows(min_row=2)]
    assert second.cell(2, 7).value == "=1+1 @kunde" and second.cell(2, 7).data_type == "s"  # text on any sheet
    with pytest.raises(ValueError, match="max_rows must leave room"):
        export_xlsx(engine, tmp_path / "x.xlsx", max_rows=2)


def test_export_xlsx_keeps_long_notes_links_and_control_characters_as_text(engine: Engine, tmp_path: Path) -> None:
    """A note past Excel's 32,767 characters a cell is cut visibly (the writer would cut it
    silently, Excel would "repair" it); a link or a number typed by someone stays text; a control
    character pasted from another program is kept (openpyxl refused such a cell and the export failed)."""
    _exportable(engine)
    add_note(engine, "KLA-2026-0002", "😀" + "x" * 40_000, who="linn")  # the emoji is two UTF-16 units
    add_note(engine, "KLA-2026-0002", "https://evil.example/x", who="linn")
    add_note(engine, "KLA-2026-0002", "1e5 \x07bell", who="linn")
    export_xlsx(engine, tmp_path / "r.xlsx", lang="da")
    notes = {c.value[:8]: c for c in load_workbook(tmp_path / "r.xlsx")["Hændelser"]["G"] if c.value}
    long = notes["😀xxxxxxx"]
    assert len(long.value.encode("utf-16-le")) // 2 == 32_767 and long.value.endswith("x…")
    assert notes["https://"].data_type == "s" and not notes["https://"].hyperlink
    # Stored as the format escapes a control character (_x0007_), which Excel reads back; openpyxl does not.
    bell = notes["1e5 _x00"]
    assert bell.data_type == "s" and re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m[1], 16)), bell.value) == \
        "1e5 \x07bell"


def test_export_says_what_to_check_in_the_sheets_language(engine: Engine, tmp_path: Path) -> None:
    """Review items of a plain email (intake's own codes) are words in each language, not codes."""
    review = [{"path": "subject", "label": "Subject matter", "value": None, "code": "email_complaint",
               "message": "read from a plain email", "message_local": "read from a plain email"},
              {"path": "complainant.last_name", "label": "Last name", "value": "eva@example.dk",
               "code": "name_from_address", "message": "x", "message_local": "x"},
              {"path": "nowhere", "label": "Somewhere", "value": None, "code": "brand_new_code",
               "message": "a problem no catalogue knows yet", "message_local": "a problem no catalogue knows yet"}]
    add_record(engine, complaint_record(1, status="needs_review", review=review))
    for lang, first in (("da", "3.b Hvad klager du over?: læst fra en almindelig e-mail, ikke fra formularen"),
                        ("sv", "3.b Vad gäller klagomålet?: läst från ett vanligt e-postmeddelande")):
        export_xlsx(engine, tmp_path / f"{lang}.xlsx", lang=lang)
        cell = str(load_workbook(tmp_path / f"{lang}.xlsx").worksheets[0].cell(2, 12).value)
        lines = cell.split("\n")
        assert lines[0].startswith(first), lines
        assert "name_from_address" not in cell and "email_complaint" not in cell
        assert lines[2] == "Somewhere: a problem no catalogue knows yet"  # kept as stored


def test_export_csv_for_danish_excel(engine: Engine, tmp_path: Path) -> None:
    _exportable(engine)
    target = tmp_path / "register.csv"
    assert export_csv(engine, target, dialect="excel-da") == 3
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:3] == ["Referencenr.", "Modtaget", "Kvittér senest"]
    assert table[1][:3] == ["KLA-2026-0001", "23-11-2026", "26-11-2026"]
    assert table[1][7] == '\'=HYPERLINK("http://evil","x")' and table[1][9] == "12500,50"
    assert Decimal(table[1][9].replace(",", ".")) == Decimal("12500.50")


# The whole rfc4180 CSV of _exportable as the exporter wrote it before it streamed (issue 25).
CSV_BEFORE_STREAMING = (
    "Reference,Received,Acknowledge by,Decide by,Status,Name,Email,Complaint (first line),Investment/loan,Amount,"
    "Currency,To review,Language,Channel,Acknowledged,Decided,Outcome\r\n"
    "KLA-2026-0001,2026-11-23,2026-11-26,,acknowledged,Łukasz Żółć,kunde1@example.dk,"
    "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",KA-2001,12500.50,DKK,,da,file,2026-11-24,,\r\n"
    "KLA-2026-0002,2026-11-24,2026-11-27,,received,Łukasz Żółć,kunde2@example.dk,"
    + "En flad kopi har ingen linjeskift. " * 4 + "En flad kopi har in…,KA-2002,,,"
    "Telephone: is not a valid telephone number,da,file,,,\r\n"
    "KLA-2026-0003,2026-11-24,2026-11-27,,unreadable,,,1 of 1 page(s) have no text layer,,,,,,file,,,\r\n")


def test_exports_stream_only_what_they_print(engine: Engine, tmp_path: Path) -> None:
    """Issue 25: the exports read the printed columns in chunks (a server-side cursor on PostgreSQL):
    one query for the entries and, for the workbook, one for all events (not one per case, and none
    for the CSV, which has no events), never the JSON they do not print; the CSV is what it was."""
    _exportable(engine)
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", seen)
    assert export_csv(engine, tmp_path / "r.csv", dialect="rfc4180", lang="en") == 3
    csv_reads = [q for q in statements if "FROM" in q]
    statements.clear()
    export_xlsx(engine, tmp_path / "r.xlsx")
    xlsx_reads = [q for q in statements if "FROM" in q]
    sa.event.remove(engine, "before_cursor_execute", seen)
    assert (tmp_path / "r.csv").read_bytes().decode("utf-8-sig") == CSV_BEFORE_STREAMING
    assert len(csv_reads) == 1 and "events" not in csv_reads[0], csv_reads
    assert len(xlsx_reads) == 2 and "FROM events" in xlsx_reads[1], xlsx_reads
    for query in csv_reads + xlsx_reads:
        assert not re.search(r"complaints\.(raw|mail|warnings)\b", query), query


_CELL_VALUES = st.one_of(st.none(), st.text(), st.sampled_from(["=1+1", "+45 12", "-", "@x", "\tx", "\rx", ""]),
                         st.booleans(), st.integers(), st.floats(), st.dates(), st.datetimes(),
                         st.decimals(allow_nan=False), st.lists(st.one_of(st.none(), st.text())))


@given(st.lists(_CELL_VALUES, max_size=20), st.sampled_from(sorted(_export._DIALECTS)))
@settings(max_examples=300)
def test_the_csv_rows_cells_are_each_values_own(values: list[object], dialect: str) -> None:
    """The CSV writes a row's common cells in line (text, nothing, a day from a cache): each is
    what _csv_value makes of its value, whatever the value, and the cache keeps it so."""
    spec = _export._DIALECTS[dialect]
    cells = _export._csv_cells(spec)
    for _ in range(2):  # the second time the days come from the cache
        assert cells(tuple(values)) == [_export._csv_value(v, spec) for v in values]


def test_the_csv_of_odd_rows_is_what_each_value_makes(engine: Engine, tmp_path: Path) -> None:
    """Stored values no form writes (an email that is a number, a name in a list, a subject that is a
    formula, an amount that is text, an unknown profile, review items of other shapes) are written
    by the CSV as the sheet's rows read them, cell by cell."""
    _exportable(engine)
    with engine.begin() as connection:
        complaint = connection.execute(sa.text("SELECT complaint FROM complaints WHERE number = 1")).scalar_one()
        complaint = complaint if isinstance(complaint, dict) else json.loads(complaint)
        complaint["complainant"]["email"] = 12345
        complaint["complainant"]["first_name"] = "@ Łukasz"
        complaint["damage"] = {"amount": "not a number", "currency": ["DKK", "=EUR"]}
        complaint["investment"] = {"reference": True}
        connection.execute(sa.text("UPDATE complaints SET complaint = :c, organisation = 'gone', review = :r,"
                                   " outcome = 'no-such-code' WHERE number = 1"),
                           {"c": json.dumps(complaint),
                            "r": '[7, {"code": "x", "path": "nowhere", "label": "-1"}, {"message": "=m"}]'})
    for dialect in _export._DIALECTS:
        assert export_csv(engine, tmp_path / f"{dialect}.csv", dialect=dialect, lang="en") == 3
        spec = _export._DIALECTS[dialect]
        with Session(engine) as session:
            expected = [[_export._csv_value(values[k], spec) for k in _export._COLUMNS]
                        for values in _export.entry_rows(session, "en")]
        written = list(csv.reader(io.StringIO((tmp_path / f"{dialect}.csv").read_text(encoding="utf-8-sig")),
                                  delimiter=spec["delimiter"]))
        assert written[1:] == expected
        assert written[1][6] == "12345" and written[1][5].startswith("'@ Łukasz") and written[1][8] == "true"
        assert written[1][10] == "DKK; =EUR"


def test_export_refuses_unknown_language(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no export headers"):
        export_xlsx(engine, tmp_path / "x.xlsx", lang="de")


@pytest.fixture(scope="module")
def memory_engine() -> Iterator[Engine]:
    """One in-memory register for all of a property test's examples."""
    engine = create_register_engine("sqlite://")
    yield engine
    engine.dispose()


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.sampled_from(["received", "acknowledged", "under_review", "inadmissible", "decided",
                                       "closed", "escalated"]), max_size=12),
       unreadable=st.booleans())
def test_workflow_follows_the_transition_table(memory_engine: Engine, steps: list[str],
                                               unreadable: bool) -> None:
    """Whatever is asked in whatever order: allowed steps happen, one event each; refused ones change nothing."""
    record = rejected_record(0) if unreadable else complaint_record(0)
    unique = {"sha256": uuid.uuid4().hex, "content_key": uuid.uuid4().hex}
    reference = add_record(memory_engine, record | unique).reference
    expected = "unreadable" if unreadable else "received"
    accepted = 0
    for step in steps:
        if step in TRANSITIONS[expected]:
            set_status(memory_engine, reference, step, who="prop")
            expected, accepted = step, accepted + 1
        else:
            with pytest.raises(InvalidTransitionError):
                set_status(memory_engine, reference, step, who="prop")
    entry = show(memory_engine, reference)
    assert entry["status"] == expected and len(entry["events"]) == 1 + accepted
