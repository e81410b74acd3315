"""Deadlines that follow the case (register/_deadlines.py): the profile a case is handled under, a profile set
later, extensions (art. 5), a paused decision clock (art. 4) and ``due --days``; on SQLite and on PostgreSQL.

Every date below is counted by hand on the calendar (the comments show the count), around Danish,
Norwegian and Swedish Christmas and Easter: a test that computed its expectation with the code
under test could not fail.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pdfplumber
import pytest
from sqlalchemy import Engine

from klageformular.cli import main
from klageformular.exceptions import RegisterError
from klageformular.locales import letter_texts
from klageformular.org import Organisation, get_organisation
from klageformular.orgfile import dumps_organisation
from klageformular.register import Case, Profile, Register, add_record, create_register_engine, set_status

from .registers import complaint_record, rejected_record, write_batch


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_register_engine(db_url)
    yield engine
    engine.dispose()


def _org(key: str = "kameo-dk", days: int | None = 20) -> Organisation:
    base = get_organisation(key).model_dump()
    base["complaints_officer"] = base["complaints_officer"] | {"phone": "+45 70 20 30 40"}
    return Organisation.model_validate(base | {"decision_working_days": days})


def _profile_file(tmp_path: Path, org: Organisation, name: str = "profile.toml") -> Path:
    path = tmp_path / name
    path.write_text(dumps_organisation(org), encoding="utf-8")
    return path


def _case(engine: Engine, reference: str) -> Case:
    register = Register(engine)
    with register.session() as session:
        return register.case(session, reference)


def _notes(case: Case, what: str) -> list[str]:
    return [e.note or "" for e in case.events if e.what == what]


# -- the profile a case is handled under ------------------------------------------------------------


def test_a_profile_file_set_later_fills_decide_by_of_open_cases_only(engine: Engine, tmp_path: Path) -> None:
    """Issue 24: entries imported before the profile file existed never got ``decide_by``."""
    for i in (1, 2, 3):
        add_record(engine, complaint_record(i, received="2026-12-01"))
    set_status(engine, "KLA-2026-0002", "acknowledged", who="linn", on=date(2026, 12, 2))
    for status in ("acknowledged", "under_review", "decided"):
        set_status(engine, "KLA-2026-0003", status, who="linn", on=date(2026, 12, 3),
                   outcome="upheld" if status == "decided" else None)
    assert _case(engine, "KLA-2026-0001").decide_by is None  # the built-in profile gives no timeframe
    path = _profile_file(tmp_path, _org(days=20))
    profile = Profile.from_file(path)
    assert profile.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    register = Register(engine)
    with register.session() as s, s.begin():
        changes = register.set_profile_open(s, profile, who="linn")
    # 20 working days after Tue 1 Dec 2026: 2-4 (3), 7-11 (8), 14-18 (13), 21-24 (17; the 24th is no
    # statutory holiday), 25-26 Christmas, 28-30 (20).
    assert [(c.reference, c.decide_by_before, c.decide_by) for c in changes] == [
        ("KLA-2026-0001", None, date(2026, 12, 30)), ("KLA-2026-0002", None, date(2026, 12, 30))]
    first, decided = _case(engine, "KLA-2026-0001"), _case(engine, "KLA-2026-0003")
    assert (first.decide_by, first.acknowledge_by, first.profile_sha256) == (date(2026, 12, 30), date(2026, 12, 4),
                                                                              profile.sha256)
    assert "decide by none → 2026-12-30" in _notes(first, "profile")[-1]
    assert decided.decide_by is None and decided.profile_sha256 is None and not _notes(decided, "profile")
    with register.session() as s, s.begin():  # the same file again: nothing to do, no event
        assert register.set_profile_open(s, profile, who="linn") == []
    assert len(_notes(_case(engine, "KLA-2026-0001"), "profile")) == 1


def test_a_changed_profile_file_recounts_and_an_extension_stays(engine: Engine, tmp_path: Path) -> None:
    add_record(engine, complaint_record(1, received="2026-12-01"), organisations={"kameo-dk": _org(days=20)})
    add_record(engine, complaint_record(2, received="2026-12-01"), organisations={"kameo-dk": _org(days=20)})
    register = Register(engine)
    with register.session() as s, s.begin():
        register.extend(s, "KLA-2026-0002", date(2027, 1, 15), reason="We wait for the project owner.", who="linn")
    shorter = Profile.from_file(_profile_file(tmp_path, _org(days=10)))
    with register.session() as s, s.begin():
        changes = register.set_profile_open(s, shorter, who="linn")
    # 10 working days after 1 Dec 2026: 2-4 (3), 7-11 (8), 14-15 (10).
    assert [(c.reference, c.decide_by) for c in changes] == [("KLA-2026-0001", date(2026, 12, 15)),
                                                             ("KLA-2026-0002", date(2027, 1, 15))]
    assert _case(engine, "KLA-2026-0002").profile_sha256 == shorter.sha256


def test_import_records_the_profile_and_org_file_recounts_earlier_cases(engine: Engine, tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    db = str(engine.url.render_as_string(hide_password=False))
    first = write_batch(tmp_path / "first", complaints=[complaint_record(1, received="2026-12-01")])
    assert main(["register", "import", str(first), "--db", db]) == 0
    case = _case(engine, "KLA-2026-0001")
    assert case.profile_sha256 == Profile.built_in(get_organisation("kameo-dk")).sha256 and case.decide_by is None
    path = _profile_file(tmp_path, _org(days=20))
    second = write_batch(tmp_path / "second", complaints=[complaint_record(2, received="2026-12-02")])
    capsys.readouterr()
    assert main(["register", "import", str(second), "--org-file", str(path), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "deadlines of 1 open case(s) recounted" in out and "KLA-2026-0001" in out
    # 20 working days after Wed 2 Dec 2026: 3-4 (2), 7-11 (7), 14-18 (12), 21-24 (16), 28-31 (20).
    assert [_case(engine, r).decide_by for r in ("KLA-2026-0001", "KLA-2026-0002")] == [date(2026, 12, 30),
                                                                                      date(2026, 12, 31)]
    assert _case(engine, "KLA-2026-0002").profile_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_register_profile_command(engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(engine.url.render_as_string(hide_password=False))
    add_record(engine, complaint_record(1, received="2026-03-27", org="kameo-no", lang="nb"))
    path = _profile_file(tmp_path, _org("kameo-no", days=10))
    assert main(["register", "profile", "KLA-NO-2026-0001", "--org-file", str(path), "--db", db]) == 0
    # Norway, Easter 2026: 10 working days after Fri 27 March: 30-31 (2), 1 April (3), Maundy Thursday,
    # Good Friday and Easter Monday off, 7-10 (7), 13-15 (10).
    assert "decide by - → 2026-04-15" in capsys.readouterr().out
    assert main(["register", "profile", "--all-open", "--org-file", str(path), "--db", db]) == 0
    assert "0 case(s) changed" in capsys.readouterr().out
    assert main(["register", "profile", "--org-file", str(path), "--db", db]) == 2  # REF or --all-open


# -- extend (art. 5) ------------------------------------------------------------------------------


@pytest.mark.parametrize(("to", "message"), [
    ("2026-04-10", "a new date must be later"),
    ("2026-05-01", "2026-05-01 is not a working day in NO"),  # Labour Day
    ("2026-05-14", "2026-05-14 is not a working day in NO"),  # Ascension Day
])
def test_extend_refuses_a_date_that_is_no_extension(engine: Engine, to: str, message: str) -> None:
    add_record(engine, complaint_record(1, received="2026-03-27", org="kameo-no", lang="nb"),
               organisations={"kameo-no": _org("kameo-no", days=10)})
    register = Register(engine)
    with pytest.raises(RegisterError, match=message), register.session() as s, s.begin():
        register.extend(s, "KLA-NO-2026-0001", date.fromisoformat(to), reason="Mer tid.", who="linn")
    with pytest.raises(RegisterError, match="needs a --reason"), register.session() as s, s.begin():
        register.extend(s, "KLA-NO-2026-0001", date(2026, 5, 15), reason="  ", who="linn")
    assert _case(engine, "KLA-NO-2026-0001").decide_by == date(2026, 4, 15)


def test_extend_is_an_event_and_the_next_letters_give_the_new_date_with_reasons(engine: Engine,
                                                                                 tmp_path: Path) -> None:
    org = _org(days=15)
    add_record(engine, complaint_record(1, received="2026-12-01"), organisations={"kameo-dk": org})
    register = Register(engine)
    # 15 working days after 1 Dec 2026: 2-4 (3), 7-11 (8), 14-18 (13), 21-22 (15).
    assert _case(engine, "KLA-2026-0001").decide_by == date(2026, 12, 22)
    with register.session() as s, s.begin():
        change = register.extend(s, "KLA-2026-0001", date(2027, 1, 12), reason="Vi venter på svar fra projektejeren",
                                 who="linn")
    assert (change.decide_by_before, change.decide_by) == (date(2026, 12, 22), date(2027, 1, 12))
    case = _case(engine, "KLA-2026-0001")
    assert (case.extended_to, case.extension_reason) == (date(2027, 1, 12), "Vi venter på svar fra projektejeren")
    assert _notes(case, "extend") == ["decide by 2026-12-22 → 2027-01-12: Vi venter på svar fra projektejeren"]
    t = letter_texts("da")
    new_date = t["date"].format(day=12, month=t["months"].split()[0], year=2027)
    with register.session() as s, s.begin():  # on paper, posted the day it is dated
        register.write_letter(s, "KLA-2026-0001", "ack", str(tmp_path / "ack.pdf"), dated=date(2026, 12, 2),
                              who="linn", org=org, channel="post", today=date(2026, 12, 2))
        register.posted(s, "KLA-2026-0001", who="linn", on=date(2026, 12, 2), today=date(2026, 12, 2))
    text = _pdf_text(tmp_path / "ack.pdf")
    assert "Vi har brug for mere tid til at afgøre din klage, end vi først oplyste: Vi venter på svar fra " \
           f"projektejeren. Vi forventer nu at sende dig vores skriftlige afgørelse senest {new_date}." in text
    with register.session() as s, s.begin():
        register.write_letter(s, "KLA-2026-0001", "decision", str(tmp_path / "decision.pdf"), dated=date(2027, 1, 8),
                              who="linn", org=org, outcome="upheld", reasons="Renten udbetales.", channel="post",
                              today=date(2027, 1, 8))
        register.posted(s, "KLA-2026-0001", who="linn", on=date(2027, 1, 8), today=date(2027, 1, 8))
    assert "Vi havde brug for mere tid, end vi først oplyste: Vi venter på svar fra projektejeren." in _pdf_text(
        tmp_path / "decision.pdf")
    with pytest.raises(RegisterError, match="is decided: only an open case"), register.session() as s, s.begin():
        register.extend(s, "KLA-2026-0001", date(2027, 1, 20), reason="Mere tid.", who="linn")


def _pdf_text(path: Path) -> str:
    with pdfplumber.open(io.BytesIO(path.read_bytes())) as doc:
        return " ".join(" ".join((page.extract_text() or "").split()) for page in doc.pages)


# -- wait and resume (art. 4) ---------------------------------------------------------------------


def test_wait_and_resume_over_danish_new_year(engine: Engine) -> None:
    add_record(engine, complaint_record(1, received="2026-12-01"), organisations={"kameo-dk": _org(days=20)})
    set_status(engine, "KLA-2026-0001", "acknowledged", who="linn", on=date(2026, 12, 2))
    register = Register(engine)
    with register.session() as s, s.begin():
        case = register.wait(s, "KLA-2026-0001", what="kontoudtog for oktober", who="linn", on=date(2026, 12, 10))
    assert (case.waiting_since, case.waiting_for, case.decide_by) == (date(2026, 12, 10), "kontoudtog for oktober",
                                                                      date(2026, 12, 30))
    with register.session() as s:  # paused: counted, not listed, even past its date
        due = register.due(s, date(2027, 1, 4))
    assert (due.overdue, due.waiting) == ([], 1)
    with pytest.raises(RegisterError, match="already waiting since 2026-12-10"), register.session() as s, s.begin():
        register.wait(s, "KLA-2026-0001", what="mere", who="linn", on=date(2026, 12, 11))
    with register.session() as s, s.begin():
        change = register.resume(s, "KLA-2026-0001", who="linn", on=date(2026, 12, 15))
    # Paused Thu 10 → Tue 15 Dec: Fri 11, Mon 14, Tue 15 = 3 working days. 30 Dec + 3: Thu 31 Dec (no
    # statutory holiday), 1 January off, the weekend, Mon 4 and Tue 5 January 2027.
    assert (change.paused_days, change.decide_by_before, change.decide_by) == (3, date(2026, 12, 30),
                                                                               date(2027, 1, 5))
    case = _case(engine, "KLA-2026-0001")
    assert (case.waiting_since, case.paused_days, case.decide_by) == (None, 3, date(2027, 1, 5))
    assert [e.what for e in case.events][-2:] == ["wait", "resume"]
    assert "3 working day(s); decide by 2026-12-30 → 2027-01-05" in _notes(case, "resume")[0]
    from klageformular.register._present import render_case

    assert "3 arbejdsdage sat på pause" in render_case(case) and "Profil: kameo-dk" in render_case(case)
    with pytest.raises(RegisterError, match="not waiting for the customer"), register.session() as s, s.begin():
        register.resume(s, "KLA-2026-0001", who="linn", on=date(2026, 12, 16))


def test_a_reply_restarts_the_swedish_clock_over_christmas_and_epiphany(engine: Engine) -> None:
    add_record(engine, complaint_record(1, received="2026-12-21", org="kameo-se", lang="sv"),
               organisations={"kameo-se": _org("kameo-se", days=10)})
    # 10 working days after Mon 21 Dec 2026 in Sweden: 22-24 (3; Christmas Eve is no public holiday),
    # 25 off, 28-31 (7), 1 January off, 4-5 (9), Epiphany off, Thu 7 January 2027 (10).
    assert _case(engine, "KLA-SE-2026-0001").decide_by == date(2027, 1, 7)
    register = Register(engine)
    with register.session() as s, s.begin():
        assert register.reply_received(s, "KLA-SE-2026-0001", on=date(2026, 12, 22), who="intake") is None
        register.wait(s, "KLA-SE-2026-0001", what="avtalet", who="linn", on=date(2026, 12, 23))
    with register.session() as s, s.begin():
        change = register.reply_received(s, "KLA-SE-2026-0001", on=date(2027, 1, 7), who="intake")
    # Paused Wed 23 Dec → Thu 7 Jan: 24, 28, 29, 30, 31 Dec, 4, 5, 7 Jan = 8; 7 Jan + 8: 8, 11-15, 18, 19.
    assert change is not None and (change.paused_days, change.decide_by) == (8, date(2027, 1, 19))
    assert _notes(_case(engine, "KLA-SE-2026-0001"), "resume")[0].startswith("the customer replied on 2027-01-07")


def test_wait_refuses_without_a_decision_timeframe(engine: Engine) -> None:
    add_record(engine, complaint_record(1, received="2026-12-01"))  # the built-in profile: no timeframe
    register = Register(engine)
    with pytest.raises(RegisterError, match="gives no decision_working_days; set it in a profile file"), \
            register.session() as s, s.begin():
        register.wait(s, "KLA-2026-0001", what="kontoudtog", who="linn", on=date(2026, 12, 2))
    assert not _notes(_case(engine, "KLA-2026-0001"), "wait")


def test_an_extension_after_a_pause_and_a_pause_after_an_extension(engine: Engine) -> None:
    add_record(engine, complaint_record(1, received="2026-12-01"), organisations={"kameo-dk": _org(days=20)})
    register = Register(engine)
    with register.session() as s, s.begin():
        register.wait(s, "KLA-2026-0001", what="x", who="linn", on=date(2026, 12, 10))
    with register.session() as s, s.begin():
        register.resume(s, "KLA-2026-0001", who="linn", on=date(2026, 12, 15))  # 3 days: 5 Jan 2027
        register.extend(s, "KLA-2026-0001", date(2027, 1, 20), reason="More time.", who="linn")
    with register.session() as s, s.begin():
        register.wait(s, "KLA-2026-0001", what="y", who="linn", on=date(2027, 1, 8))
    with register.session() as s, s.begin():
        change = register.resume(s, "KLA-2026-0001", who="linn", on=date(2027, 1, 12))
    # Paused Fri 8 → Tue 12 Jan: 11, 12 = 2. 20 Jan + 2: Thu 21, Fri 22.
    assert (change.paused_days, change.decide_by) == (2, date(2027, 1, 22))
    assert _case(engine, "KLA-2026-0001").paused_days == 2  # pauses since the officer's date


# -- due ------------------------------------------------------------------------------------------


def test_due_on_thursday_shows_mondays_deadlines(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 24: ``due`` stopped at Sunday, so on Thursday Monday's deadlines were invisible."""
    # Received Wed 2 Dec 2026: 3 working days are Thu 3, Fri 4, Mon 7 December.
    add_record(engine, complaint_record(1, received="2026-12-02"))
    add_record(engine, complaint_record(2, received="2026-12-02", status="needs_review"))
    add_record(engine, complaint_record(3, received="2026-12-10"))  # due Tue 15 Dec: beyond the window
    register = Register(engine)
    with register.session() as s, s.begin():
        register.assign(s, "KLA-2026-0001", "mikkel", who="linn")
    with register.session() as s:
        week = register.due(s, date(2026, 12, 3))
        short = register.due(s, date(2026, 12, 3), days=3)  # Fri, Sat, Sun
        four = register.due(s, date(2026, 12, 3), days=4)
    assert [(i.reference, i.deadline) for i in week.upcoming] == [("KLA-2026-0001", date(2026, 12, 7)),
                                                                  ("KLA-2026-0002", date(2026, 12, 7))]
    assert short.upcoming == [] and len(four.upcoming) == 2
    assert (week.open_review, week.unassigned) == (1, 2)
    db = str(engine.url.render_as_string(hide_password=False))
    assert main(["register", "due", "--today", "2026-12-03", "--days", "4", "--json", "--db", db]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["days"], [i["reference"] for i in data["upcoming"]], data["open_review"], data["unassigned"]) == (
        4, ["KLA-2026-0001", "KLA-2026-0002"], 1, 2)
    assert main(["register", "due", "--today", "2026-12-03", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "next 7 days   KLA-2026-0001" in out and "1 open review item(s), 2 unassigned case(s)" in out
    assert main(["register", "due", "--days", "-1", "--db", db]) == 2


def test_cli_extend_wait_resume(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(engine.url.render_as_string(hide_password=False))
    add_record(engine, complaint_record(1, received="2026-12-01"), organisations={"kameo-dk": _org(days=20)})
    assert main(["register", "wait", "KLA-2026-0001", "--for", "kontoudtog", "--on", "2026-12-10", "--who", "linn",
                 "--db", db]) == 0
    assert "paused from 2026-12-10" in capsys.readouterr().out
    assert main(["register", "resume", "KLA-2026-0001", "--on", "2026-12-15", "--db", db]) == 0
    assert "3 working day(s) paused; decide by 2026-12-30 → 2027-01-05" in capsys.readouterr().out
    assert main(["register", "extend", "KLA-2026-0001", "--to", "2027-01-20", "--reason", "Mere tid.",
                 "--if-version", "1", "--db", db]) == 1
    assert "nothing done" in capsys.readouterr().err
    assert main(["register", "extend", "KLA-2026-0001", "--to", "2027-01-20", "--reason", "Mere tid.", "--db", db]) == 0
    assert "decide by 2027-01-05 → 2027-01-20" in capsys.readouterr().out
    assert main(["register", "resume", "KLA-2026-0001", "--db", db]) == 1
    assert "not waiting for the customer" in capsys.readouterr().err


def _due_by_walking(engine: Engine, today: date, days: int) -> tuple[list[list[tuple[str, date, str]]], list[int]]:
    """The due list as ``due`` computed it before issue 25: every open case loaded and looked at in Python."""
    from datetime import timedelta

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from klageformular.register._names import OPEN_STATUSES
    from klageformular.register._schema import ComplaintRow

    buckets: list[list[tuple[str, date, str]]] = [[], [], []]
    waiting = no_date = unassigned = 0
    with Session(engine) as session:
        for row in session.scalars(select(ComplaintRow).where(ComplaintRow.status.in_(OPEN_STATUSES),
                                                              ComplaintRow.merged_into.is_(None))):
            unassigned += row.assignee is None
            acknowledging = row.status in ("unreadable", "received")
            if row.status == "escalated":
                continue
            if not acknowledging and row.waiting_since is not None:
                waiting += 1
                continue
            deadline = row.acknowledge_by if acknowledging else row.decide_by
            if deadline is None:
                no_date += not acknowledging
                continue
            item = (row.reference, deadline, "acknowledge" if acknowledging else "decide")
            if deadline <= today + timedelta(days=days):
                buckets[0 if deadline < today else 1 if deadline == today else 2].append(item)
    return [sorted(b, key=lambda i: (i[1], i[0])) for b in buckets], [waiting, no_date, unassigned]


def test_due_reads_the_deadlines_in_sql_and_lists_what_a_walk_over_every_case_lists(engine: Engine) -> None:
    """Issue 25: ``due`` loaded every open case (escalated ones never leave) and skipped most in
    Python; now the database picks the deadlines up to the window's end and counts the rest. On a
    register of every kind of case, for days around each deadline, the lists and counts are the same."""
    orgs = {"kameo-dk": _org(days=20)}
    for i, received in enumerate(["2026-11-23", "2026-11-25", "2026-12-01", "2026-12-02", "2026-12-03",
                                  "2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10"], 1):
        add_record(engine, complaint_record(i, received=received, ack=i != 7, status="needs_review" if i % 3 else
                                            "complete"), organisations=orgs)
    add_record(engine, complaint_record(10, received="2026-12-04", org="kameo-no", lang="nb"))  # no decision days
    add_record(engine, rejected_record(11, received="2026-12-04"))
    register = Register(engine)
    with register.session() as s, s.begin():
        for reference in ("KLA-2026-0002", "KLA-2026-0003", "KLA-2026-0004", "KLA-2026-0006", "KLA-2026-0008"):
            register.set_status(s, reference, "acknowledged", who="linn")
        register.set_status(s, "KLA-NO-2026-0001", "acknowledged", who="linn")
        register.wait(s, "KLA-2026-0003", what="kontoudtog", who="linn", on=date(2026, 12, 10))
        register.set_status(s, "KLA-2026-0004", "escalated", who="linn")
        register.set_status(s, "KLA-2026-0006", "under_review", who="linn")
        register.assign(s, "KLA-2026-0006", "mikkel", who="linn")
        register.set_status(s, "KLA-2026-0008", "under_review", who="linn")
        register.set_status(s, "KLA-2026-0008", "decided", who="linn", outcome="upheld")
        register.merge(s, "KLA-2026-0009", into="KLA-2026-0001", who="linn")
    for today in (date(2026, 11, 20), date(2026, 11, 26), date(2026, 12, 8), date(2026, 12, 30), date(2027, 2, 1)):
        for days in (0, 7, 40):
            with register.session() as s:
                due = register.due(s, today, days=days)
            got = [[(i.reference, i.deadline, i.action) for i in b] for b in (due.overdue, due.due_today, due.upcoming)]
            assert (got, [due.waiting, due.no_decision_date, due.unassigned]) == _due_by_walking(engine, today, days)
    with register.session() as s:
        late = register.due(s, date(2027, 2, 1), days=0)
    # Not listed: waiting (0003), escalated (0004), decided (0008), merged (0009), no decision date (NO-0001).
    assert ([i.reference for i in late.overdue], late.waiting, late.no_decision_date, late.unassigned) == (
        ["KLA-2026-0001", "KLA-2026-0005", "KLA-2026-0010", "KLA-2026-0007", "KLA-2026-0002", "KLA-2026-0006"],
        1, 1, 8)
