"""Retention (register/_retention.py, revision 0015): purge, legal hold, erasure, tombstones, bytes gone.

Every test runs on SQLite and on the throw-away PostgreSQL server (tests/postgres.py).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from klageformular.exceptions import RegisterError
from klageformular.register import (
    MemoryFiles,
    Register,
    add_record,
    create_register_engine,
    current_revision,
    head_revision,
    report,
    upgrade,
)
from klageformular.register._db import downgrade
from klageformular.register._retention import compact

from .registers import complaint_record

TODAY = date.today()
LATER = TODAY + timedelta(days=366 * 5 + 2)  # past five years after a case closed today
SOON = TODAY + timedelta(days=365 * 4)  # not yet


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_register_engine(db_url)
    yield engine
    engine.dispose()


def _marked(i: int) -> tuple[dict[str, Any], bytes, list[str]]:
    """Case ``i``'s record carrying unique markers (name, email, phone, subject), its PDF bytes and the markers."""
    tag = f"Q{i:02d}X{hashlib.sha256(str(i).encode()).hexdigest()[:6]}"
    record = complaint_record(i, email=f"mark{tag.lower()}@example.dk", subject=f"Subjekt{tag} om renterne",
                              message_id=None)
    record["complaint"]["complainant"]["last_name"] = f"Markersen{tag}"
    record["complaint"]["complainant"]["phone"] = f"+4531{i:02d}7799"  # as the register normalises it
    data = b"%PDF-1.4\n% file of " + f"Markersen{tag}".encode() + b"\n%%EOF\n"
    record["sha256"] = hashlib.sha256(data).hexdigest()
    return record, data, [f"Markersen{tag}", f"mark{tag.lower()}@example.dk", f"Subjekt{tag}", f"+4531{i:02d}7799",
                          f"Notat{tag}", f"rettet{tag.lower()}@example.dk"]


def _case(engine: Engine, i: int, *, close: bool = True) -> tuple[str, list[str]]:
    """Case ``i`` with a note, a corrected email, a measure, a category, and its PDF; closed unless told."""
    record, data, markers = _marked(i)
    reference = add_record(engine, record, files=MemoryFiles({record["source"]: data})).reference
    register = Register(engine)
    with register.session() as s, s.begin():
        register.add_note(s, reference, f"Kunden ringede. {markers[4]}", who="linn")
        register.correct(s, reference, "complainant.email", markers[5], who="linn", note=f"ny adresse {markers[4]}")
        register.record_measure(s, reference, "information_requested", who="linn")
        register.categorize(s, reference, who="linn", product="investment", cause="information")
    if close:
        with register.session() as s, s.begin():
            for status, outcome in (("acknowledged", None), ("under_review", None), ("decided", "not_upheld"),
                                    ("closed", None)):
                register.set_status(s, reference, status, who="linn", note=f"trin {markers[4]}", outcome=outcome)
    return reference, markers


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in order: what a dry run must leave as it was."""
    with engine.connect() as connection:
        tables = sorted(sa.inspect(connection).get_table_names())
        return {t: sorted(tuple(map(str, r)) for r in connection.execute(sa.text(f"SELECT * FROM {t}")))
                for t in tables if t != "alembic_version"}


def test_upgrade_from_0014_keeps_the_history_and_lets_it_only_forget(db_url: str) -> None:
    """0014 → 0015 on a register with a case, notes and a correction: the rows stay; the database refuses
    every change of the history except setting its personal text to NULL (and DELETE, TRUNCATE); and back."""
    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0014")
    reference, _ = _case(engine, 1, close=False)
    upgrade(engine, "0015")
    assert current_revision(engine) == "0015"
    refused = ["UPDATE events SET note = 'changed'", "UPDATE events SET who = 'mallory'",
               "UPDATE events SET to_status = 'closed', note = NULL", "DELETE FROM events",
               "UPDATE corrections SET typed = 'changed'", "UPDATE corrections SET typed = NULL, path = 'x'",
               "UPDATE corrections SET note = NULL", "DELETE FROM corrections"]
    refused += ["TRUNCATE events CASCADE", "TRUNCATE corrections"] if engine.dialect.name == "postgresql" else []
    for statement in refused:
        table = "corrections" if "corrections" in statement else "events"
        with pytest.raises(DBAPIError, match=f"{table} are append-only"), engine.begin() as connection:
            connection.execute(sa.text(statement))
    with engine.begin() as connection:  # the one change allowed: personal text erased, nothing else touched
        before = connection.execute(sa.text("SELECT id, complaint_id, at, who, what, from_status, to_status "
                                            "FROM events ORDER BY id")).all()
        connection.execute(sa.text("UPDATE events SET note = NULL WHERE what = 'note'"))
        connection.execute(sa.text("UPDATE corrections SET typed = NULL, \"before\" = NULL, \"after\" = NULL, "
                                   "note = NULL"))
        after = connection.execute(sa.text("SELECT id, complaint_id, at, who, what, from_status, to_status "
                                           "FROM events ORDER BY id")).all()
        assert before == after
        assert connection.execute(sa.text("SELECT count(*) FROM events WHERE what = 'note' AND note IS NOT NULL")
                                  ).scalar_one() == 0
    downgrade(engine, "0014")  # back: the old promise (no UPDATE at all) again
    with pytest.raises(DBAPIError, match="events are append-only"), engine.begin() as connection:
        connection.execute(sa.text("UPDATE events SET note = NULL"))
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with Register(engine).session() as s:
        assert Register(engine).case(s, reference).held_since is None
    engine.dispose()


def test_purge_dry_run_changes_nothing_and_the_purge_keeps_the_figures(engine: Engine) -> None:
    old, markers = _case(engine, 1)
    held, _ = _case(engine, 2)
    still_open, _ = _case(engine, 3, close=False)
    register = Register(engine)
    with register.session() as s, s.begin():
        register.hold(s, held, reason="retssag 2031-17", who="linn")
    with register.session() as s, s.begin():
        assert register.purge(s, today=SOON, who="linn").items == []  # not five years yet
    start, end = TODAY - timedelta(days=40), TODAY
    figures = report(engine, start, end, today=TODAY).model_dump()
    before = _dump(engine)
    with register.session() as s, s.begin():
        dry = register.purge(s, today=LATER, who="linn", dry_run=True)
    assert [(i.reference, i.action) for i in dry.items] == [(old, "would_erase"), (held, "held")]
    assert _dump(engine) == before
    with register.session() as s, s.begin():
        done = register.purge(s, today=LATER, who="retention")
    assert [(i.reference, i.action, i.reason) for i in done.items] == [(old, "erased", None),
                                                                       (held, "held", "retssag 2031-17")]
    assert report(engine, start, end, today=TODAY).model_dump() == figures
    with register.session() as s:
        case = register.case(s, old)
        kept = register.case(s, held)
        assert register.case(s, still_open).erased_at is None
    assert case.complaint is None and case.documents == () and case.files == () and case.erased_at is not None
    assert [c.typed for c in case.corrections] == [None] and case.measures and case.category is not None
    assert [(e.what, e.to_status) for e in case.events][-1] == ("erased", None)
    assert [e.to_status for e in case.events if e.what == "status"] == ["acknowledged", "under_review", "decided",
                                                                        "closed"]
    assert (case.outcome, case.channel, case.organisation) == ("not_upheld", "file", "kameo-dk")
    text = case.model_dump_json()
    assert not [m for m in markers if m in text]
    assert kept.hold_reason == "retssag 2031-17" and markers[0] not in kept.model_dump_json()
    assert "Markersen" in kept.model_dump_json()  # markers are ASCII: JSON columns escape æøå


def test_erase_is_refused_while_open_or_held_and_then_done(engine: Engine) -> None:
    open_case, _ = _case(engine, 1, close=False)
    closed, markers = _case(engine, 2)
    register = Register(engine)
    with pytest.raises(RegisterError, match="is received: a case is erased only once it is closed"), \
            register.session() as s, s.begin():
        register.erase(s, open_case, reason="mail 2026-12-01", who="linn")
    with register.session() as s, s.begin():
        register.hold(s, closed, reason="Finanstilsynet spørger", who="linn")
    with pytest.raises(RegisterError, match=r"on legal hold since .* \(Finanstilsynet spørger\)"), \
            register.session() as s, s.begin():
        register.erase(s, closed, reason="mail 2026-12-01", who="linn")
    with register.session() as s, s.begin():
        register.release(s, closed, who="linn")
    with register.session() as s, s.begin():
        done = register.erase(s, closed, reason="mail 2026-12-01", who="linn")
    assert (done.notes, done.corrections, done.documents) == (10, 1, 1)  # note, statuses, hold …
    assert not [m for m in markers if m in done.summary()]
    with pytest.raises(RegisterError, match="erased already"), register.session() as s, s.begin():
        register.erase(s, closed, reason="again", who="linn")
    # Nothing personal comes back into an erased case: no note, no correction, no keyed value.
    for add in (lambda s: register.add_note(s, closed, "Kunden ringede igen", who="linn"),
                lambda s: register.correct(s, closed, "complainant.phone", "+45 70 20 30 40", who="linn",
                                           note="ringede"),
                lambda s: register.key(s, closed, "complainant.city", "Aarhus", who="linn")):
        with pytest.raises(RegisterError, match=r"was erased on \d{4}-\d\d-\d\d: nothing personal"), \
                register.session() as s, s.begin():
            add(s)


def test_an_erased_case_takes_no_personal_text_but_may_change_what_the_erasure_kept(
        engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every way free text reaches a case, on an erased one: a status change's note, an extension's reason,
    what the customer is asked for, a letter (and its preview), a merge either way — refused; a status change
    without a note and the assignee (an officer's name) still allowed, as the erasure keeps both."""
    from klageformular.cli import main

    erased, markers = _case(engine, 1)
    other, _ = _case(engine, 2, close=False)
    register = Register(engine)
    with register.session() as s, s.begin():
        register.erase(s, erased, reason="mail 2026-12-01", who="linn")
    refused = r"was erased on \d{4}-\d\d-\d\d: nothing personal can be added to it"
    with pytest.raises(RegisterError, match=refused + r" \(change its status without a note\)"), \
            register.session() as s, s.begin():
        register.set_status(s, erased, "escalated", who="linn", note=f"Kunden gik til nævnet {markers[4]}")
    with register.session() as s, s.begin():
        register.set_status(s, erased, "escalated", who="linn")
        register.assign(s, erased, "mikkel", who="linn")
    for change in (lambda s: register.extend(s, erased, TODAY + timedelta(days=90), reason=markers[4], who="linn"),
                   lambda s: register.wait(s, erased, what=f"kontoudtog {markers[4]}", who="linn"),
                   lambda s: register.write_letter(s, erased, "decision", None, dated=TODAY, who="linn",
                                                   outcome="not_upheld", reasons=markers[4]),
                   lambda s: register.preview_letter(s, erased, "decision", dated=TODAY, outcome="not_upheld"),
                   lambda s: register.merge(s, other, into=erased, who="linn"),
                   lambda s: register.merge(s, erased, into=other, who="linn")):
        with pytest.raises(RegisterError, match=refused), register.session() as s, s.begin():
            change(s)
    db = ["--db", db_url, "--who", "linn"]
    assert main(["register", "set", erased, "under_review", "--note", markers[4], *db]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "nothing personal can be added" in err and markers[4] not in err
    assert main(["register", "set", erased, "under_review", *db]) == 0
    with register.session() as s:
        case, joined = register.case(s, erased), register.case(s, other)
    assert (case.status, case.assignee, case.merged_from, joined.merged_into) == ("under_review", "mikkel", (), None)
    assert [e.to_status for e in case.events if e.what == "status"][-2:] == ["escalated", "under_review"]
    assert [e.note for e in case.events if e.what == "status"] == [None] * 6  # the erased four, the two since
    assert not [m for m in markers if m in case.model_dump_json()]


def test_a_purged_case_is_not_brought_back_by_its_file(engine: Engine) -> None:
    reference, _ = _case(engine, 1)
    with Register(engine).session() as s, s.begin():
        Register(engine).purge(s, today=LATER, who="retention")
    record, data, _ = _marked(1)
    again = add_record(engine, record, files=MemoryFiles({record["source"]: data}))
    assert (again.outcome, again.reference) == ("erased", reference)
    mail = complaint_record(5, message_sha256="5" * 64, message_id="<same@example.dk>")
    by_mail = add_record(engine, mail).reference
    with Register(engine).session() as s, s.begin():
        Register(engine).set_status(s, by_mail, "closed", who="linn", note="ikke en klage", not_a_complaint=True)
    with Register(engine).session() as s, s.begin():
        Register(engine).erase(s, by_mail, reason="mail 2027-01-02", who="linn")
    # The same message again (another IMAP folder, a new file hash): its message's hash is tombstoned too.
    again = add_record(engine, mail | {"sha256": "6" * 64, "source": "imap/INBOX/7"})
    assert (again.outcome, again.reference) == ("erased", by_mail)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM complaints")).scalar_one() == 2


def _database_bytes(engine: Engine, db_url: str, tmp_path: Path) -> bytes:
    if engine.dialect.name == "sqlite":
        path = Path(db_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    pg_dump = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"
    if not Path(pg_dump).exists():
        pytest.skip("pg_dump is not installed")
    return subprocess.run([pg_dump, "--no-owner", engine.url.render_as_string(hide_password=False)
                           .replace("postgresql+psycopg", "postgresql")], check=True, capture_output=True).stdout


@pytest.mark.slow
def test_purged_markers_are_gone_from_the_database_bytes(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """Three cases with unique names, emails and phones; two purged, one held; after VACUUM (SQLite) or
    VACUUM FULL (PostgreSQL) the database file (and its WAL) or a pg_dump holds none of the purged
    ones' markers, and all of the held one's."""
    cases = [_case(engine, i) for i in (1, 2, 3)]
    register = Register(engine)
    with register.session() as s, s.begin():
        register.hold(s, cases[2][0], reason="retssag", who="linn")
    raw = _database_bytes(engine, db_url, tmp_path)
    assert all(m.encode() in raw for _, markers in cases for m in markers[:4])  # the search can find them
    with register.session() as s, s.begin():
        register.purge(s, today=LATER, who="retention")
    compact(engine)
    raw = _database_bytes(engine, db_url, tmp_path)
    found = [m for _, markers in cases[:2] for m in markers if m.encode() in raw]
    assert found == []
    assert all(m.encode() in raw for m in cases[2][1][:4])


def test_the_command_line_holds_lists_purges_and_refuses(db_url: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """``register subject-access``/``hold``/``show``/``purge --dry-run``/``purge``/``erase``: held cases say so; a
    refusal is one line and exit 1; the dry run's output names what would go."""
    from klageformular.cli import main

    engine = create_register_engine(db_url)
    old, markers = _case(engine, 1)
    held, _ = _case(engine, 2)
    still_open, _ = _case(engine, 3, close=False)
    engine.dispose()
    db = ["--db", db_url, "--who", "linn"]
    assert main(["register", "subject-access", "--email", markers[1], "-o", str(tmp_path / "sar"), *db]) == 0
    assert f"1 case(s), 1 document(s) written to {tmp_path / 'sar'} ({old})" in capsys.readouterr().out
    assert main(["register", "hold", held, "--reason", "retssag 2031-17", *db]) == 0
    assert main(["register", "show", held, *db]) == 0
    assert "On legal hold" in capsys.readouterr().out
    assert main(["register", "purge", "--dry-run", "--today", LATER.isoformat(), *db]) == 0
    out = capsys.readouterr().out
    assert f"{old}: closed {TODAY}" in out and "would be erased" in out and "(dry run: nothing changed)" in out
    assert f"{held}: closed {TODAY}, kept until" in out and "kept: on legal hold (retssag 2031-17)" in out
    assert main(["register", "erase", still_open, "--reason", "mail", *db]) == 1
    assert "a case is erased only once it is closed" in capsys.readouterr().err
    assert main(["register", "purge", "--today", LATER.isoformat(), "--compact", *db]) == 0
    out = capsys.readouterr().out
    assert "1 case(s) erased, 1 on hold kept" in out and not [m for m in markers if m in out]
    assert main(["register", "show", old, *db]) == 0
    shown = capsys.readouterr().out
    assert "Personal data erased" in shown and not [m for m in markers if m in shown]
    assert main(["register", "release", held, *db]) == 0
    assert main(["register", "erase", held, "--reason", "mail 2032-01-03", *db]) == 0
    assert "erased on request (GDPR art. 17)" in capsys.readouterr().out


def test_subject_access_writes_everything_about_the_person_and_nothing_else(engine: Engine, tmp_path: Path) -> None:
    """By email (any case, as typed before a correction too) or client number: the cases' values, documents
    and events as JSON, the documents' bytes, a PDF summary in the person's language; 0700/0600 whatever
    the umask; another person's case is not in it; a non-empty folder is refused."""
    import json
    import os
    import stat

    from klageformular.exceptions import ConfigurationError
    from klageformular.register._access import subject_access

    first, mine = _case(engine, 1)
    other, theirs = _case(engine, 2, close=False)
    register = Register(engine)
    old = os.umask(0)
    try:
        with register.session() as s:
            done = subject_access(s, tmp_path / "out", email=mine[1].upper())  # the address as first typed
    finally:
        os.umask(old)
    assert (done.references, done.documents, done.language) == ((first,), 1, "da")
    out = tmp_path / "out"
    modes = {p.relative_to(out).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in [out, *out.rglob("*")]}
    assert modes == {".": 0o700, "documents": 0o700, "subject-access.json": 0o600, "summary.pdf": 0o600,
                     f"documents/{first}-01-klage-1.pdf": 0o600}
    written = (out / "subject-access.json").read_text(encoding="utf-8")
    assert all(m in written for m in mine) and not [m for m in theirs if m in written]
    body = json.loads(written)
    assert [c["case"]["reference"] for c in body["cases"]] == [first]
    assert body["cases"][0]["documents"][0]["file"] == f"documents/{first}-01-klage-1.pdf"
    assert (out / f"documents/{first}-01-klage-1.pdf").read_bytes() == _marked(1)[1]
    pdf = subprocess.run(["pdftotext", str(out / "summary.pdf"), "-"], capture_output=True, check=True).stdout
    assert b"Indsigt i dine personoplysninger" in pdf and mine[0].encode() in pdf and theirs[0].encode() not in pdf
    with register.session() as s:
        by_number = subject_access(s, tmp_path / "second", email="nobody@example.dk", client_number="k-2")
    assert by_number.references == (other,)
    with pytest.raises(ConfigurationError, match="give a new or empty folder"), register.session() as s:
        subject_access(s, out, email=mine[1])


def test_a_case_merged_into_another_is_erased_with_it(engine: Engine) -> None:
    merged, merged_markers = _case(engine, 1, close=False)
    target, _ = _case(engine, 2)
    register = Register(engine)
    with register.session() as s, s.begin():
        register.merge(s, merged, into=target, who="linn", note=f"samme kunde {merged_markers[4]}")
    with pytest.raises(RegisterError, match=f"{merged} was merged into {target}: erase that case"), \
            register.session() as s, s.begin():
        register.erase(s, merged, reason="mail", who="linn")
    with register.session() as s, s.begin():
        done = register.purge(s, today=LATER, who="retention")
    assert [(i.reference, i.action) for i in done.items] == [(target, "erased")]
    with register.session() as s:
        pointer = register.case(s, merged)
        case = register.case(s, target)
    assert pointer.erased_at is not None and pointer.complaint is None
    assert not [m for m in merged_markers if m in case.model_dump_json() + pointer.model_dump_json()]
