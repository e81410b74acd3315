"""``klageformular register …`` and ``batch --register`` (register/_cli.py), in-process on SQLite."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from klageformular.cli import main

from .registers import complaint_record, duplicate_record, rejected_record, write_batch

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'klager.db'}"


@pytest.fixture
def imported(tmp_path: Path, db: str) -> str:
    first = complaint_record(1, received="2026-12-23", investment="KA-1042")
    out = write_batch(tmp_path / "out", complaints=[first, complaint_record(2, received="2026-12-28",
                                                                                investment="KA 1042")],
                      rejected=[rejected_record(3, received="2026-12-28")],
                      duplicates=[duplicate_record(first, "inbox/kopi.pdf")])
    assert main(["register", "import", str(out), "--db", db]) == 0
    return db


def test_batch_register_end_to_end(tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("filled-pypdf.pdf", "filled-pdftk-nb.pdf", "scan.pdf"):
        shutil.copy(FIXTURES / name, inbox / name)
    shutil.copy(FIXTURES / "filled-pypdf.pdf", inbox / "kopi.pdf")
    (inbox / "notes.txt").write_text("Husk at ringe.", encoding="utf-8")
    args = ["batch", str(inbox), "-o", str(tmp_path / "out"), "--received", "2026-11-23", "-q", "--workers", "1",
            "--register", "--db", db]
    assert main(args) == 1  # two files rejected: still 1, as without --register
    assert "register: 4 added (2 unreadable), 1 attached" in capsys.readouterr().out
    assert main(args) == 0  # nothing new was rejected on the second run
    assert "register: 0 added (0 unreadable), 0 attached to an earlier entry, 0 already there" in \
        capsys.readouterr().out
    assert main(["register", "list", "--json", "--db", db]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["reference"], e["status"], e["language"]) for e in lines] == [
        ("KLA-2026-0001", "received", "da"), ("KLA-2026-0002", "unreadable", None),
        ("KLA-2026-0003", "unreadable", None), ("KLA-NO-2026-0001", "received", "nb")]
    assert {"reference", "status", "received", "acknowledge_by", "language", "complaint"} <= set(lines[0])
    assert lines[0]["complaint"]["complainant"]["last_name"] == "Żółć"
    assert lines[0]["acknowledge_by"] == "2026-11-26"


def test_url_from_environment_then_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = write_batch(tmp_path / "out", complaints=[complaint_record(1)])
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KLAGEFORMULAR_DB", raising=False)
    assert main(["register", "import", str(out)]) == 0
    assert (tmp_path / "klager.db").exists()
    monkeypatch.setenv("KLAGEFORMULAR_DB", f"sqlite:///{tmp_path / 'other.db'}")
    assert main(["register", "import", str(out)]) == 0
    assert (tmp_path / "other.db").exists()
    assert "1 added" in capsys.readouterr().out.splitlines()[-2]


@pytest.mark.parametrize(("today", "code", "overdue", "due_today"), [
    ("2026-12-28", 0, [], []),
    ("2026-12-29", 0, [], ["KLA-2026-0001"]),
    ("2026-12-30", 1, ["KLA-2026-0001"], []),
    ("2027-01-04", 1, ["KLA-2026-0001", "KLA-2026-0002", "KLA-2026-0003"], []),
])
def test_due_exit_code_and_json(imported: str, capsys: pytest.CaptureFixture[str], today: str, code: int,
                                overdue: list[str], due_today: list[str]) -> None:
    assert main(["register", "due", "--today", today, "--json", "--db", imported]) == code
    data = json.loads(capsys.readouterr().out)
    assert [i["reference"] for i in data["overdue"]] == overdue
    assert [i["reference"] for i in data["due_today"]] == due_today


@pytest.mark.parametrize("days", [0, 1, 7, 30])
@pytest.mark.parametrize("today", ["2026-12-20", "2026-12-28", "2026-12-29", "2026-12-30", "2027-01-04", "2027-03-01"])
def test_due_printed_as_read_is_the_whole_list_printed(imported: str, capsys: pytest.CaptureFixture[str], today: str,
                                                      days: int) -> None:
    # register due prints the rows as they come (DueStream); the bytes are those of the whole DueList,
    # with any of its three parts empty, as the command printed it before it streamed.
    from datetime import date

    from klageformular.register import Register, create_register_engine

    engine = create_register_engine(imported)
    try:
        register = Register(engine)
        with register.session() as session:
            whole = register.due(session, date.fromisoformat(today), days=days)
    finally:
        engine.dispose()
    expected = json.dumps({"today": today, "days": days,
                           **{key: [i.to_dict() for i in getattr(whole, key)] for key in ("overdue", "due_today",
                                                                                          "upcoming")},
                           "waiting": whole.waiting, "no_decision_date": whole.no_decision_date,
                           "open_review": whole.open_review, "unassigned": whole.unassigned,
                           "not_delivered": [i.to_dict() for i in whole.not_delivered]}, ensure_ascii=False) + "\n"
    code = main(["register", "due", "--today", today, "--days", str(days), "--json", "--db", imported])
    assert capsys.readouterr().out == expected
    assert code == (1 if whole.overdue or whole.not_delivered else 0)
    assert main(["register", "due", "--today", today, "--days", str(days), "--db", imported]) == code
    lines = capsys.readouterr().out.splitlines()
    names = {"overdue": "overdue", "due_today": "due today", "upcoming": f"next {days} days"}
    assert [line[14:31].strip() for line in lines[1:-1]] == [i.reference for key in names for i in getattr(whole, key)]
    assert [line[:13].rstrip() for line in lines[1:-1]] == [names[key] for key in names for _ in getattr(whole, key)]
    assert lines[-1].startswith(f"{len(whole.overdue)} overdue, {len(whole.due_today)} due today, "
                                f"{len(whole.upcoming)} due in the next {days} days")


def test_due_table(imported: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["register", "due", "--today", "2026-12-30", "--db", imported]) == 1
    out = capsys.readouterr().out
    assert "KLA-2026-0001" in out and "1 overdue, 0 due today, 2 due in the next 7 days" in out
    assert "0 open review item(s), 3 unassigned case(s)" in out


def test_set_note_show(imported: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["register", "set", "KLA-2026-0001", "acknowledged", "--note", "Kvittering sendt", "--who", "linn",
                 "--db", imported]) == 0
    assert "received → acknowledged" in capsys.readouterr().out
    assert main(["register", "note", "KLA-2026-0001", "Ringede til kunden", "--who", "linn", "--db", imported]) == 0
    assert main(["register", "show", "KLA-2026-0001", "--db", imported]) == 0
    out = capsys.readouterr().out
    assert "Kvittering sendt" in out and "Ringede til kunden" in out and "same_file" in out
    assert "KLA-2026-0002     received" in out and "same investment" in out
    assert main(["register", "show", "KLA-2026-0001", "--json", "--db", imported]) == 0
    assert [e["what"] for e in json.loads(capsys.readouterr().out)["events"]] == [
        "received", "duplicate", "profile", "status", "note"]


def test_one_outcome_vocabulary_and_the_old_name_is_still_read(imported: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 23 item 14: `letter decision` said "rejected", `register set` "not_upheld". Both say
    # not_upheld now; "rejected", in officers' scripts, is still read as it.
    from klageformular.register import OUTCOMES

    assert OUTCOMES == ("upheld", "partly_upheld", "not_upheld")
    for status in ("acknowledged", "under_review"):
        assert main(["register", "set", "KLA-2026-0001", status, "--db", imported]) == 0
    assert main(["register", "set", "KLA-2026-0001", "decided", "--outcome", "rejected", "--db", imported]) == 0
    capsys.readouterr()
    assert main(["register", "show", "KLA-2026-0001", "--json", "--db", imported]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "not_upheld"
    assert main(["register", "set", "KLA-2026-0001", "decided", "--outcome", "won", "--db", imported]) == 2
    assert "invalid choice: 'won'" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (["set", "KLA-2026-0001", "decided"], "cannot go from received to decided (allowed: acknowledged, escalated)"),
    (["set", "KLA-2026-0042", "acknowledged"], "no complaint 'KLA-2026-0042'"),
    (["note", "KLA-2026-0001", " "], "a note needs some text"),
])
def test_refusals_are_one_line(imported: str, capsys: pytest.CaptureFixture[str], args: list[str],
                               message: str) -> None:
    assert main(["register", *args, "--db", imported]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize("url", ["not a url", "postgresql://nobody@127.0.0.1:1/none"])
def test_bad_database_is_one_line(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["register", "list", "--db", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("klageformular: ") and err.count("\n") == 1


def test_list_filters(imported: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["register", "list", "--status", "unreadable", "--db", imported]) == 0
    assert capsys.readouterr().out.split()[:2] == ["KLA-2026-0003", "unreadable"]
    assert main(["register", "list", "--related", "KLA-2026-0002", "--json", "--db", imported]) == 0
    assert [json.loads(line)["reference"] for line in capsys.readouterr().out.splitlines()] == ["KLA-2026-0001"]
    assert main(["register", "list", "--since", "2026-12-24", "--json", "--db", imported]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_export_and_report(imported: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["register", "export", str(tmp_path / "r.xlsx"), "--lang", "en", "--db", imported]) == 0
    assert load_workbook(tmp_path / "r.xlsx").worksheets[0]["A1"].value == "Reference"
    assert main(["register", "export", str(tmp_path / "r.csv"), "--csv", "--dialect", "excel-da",
                 "--db", imported]) == 0
    assert (tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()[1].startswith("KLA-2026-0001;23-12-2026;")
    assert main(["register", "set", "KLA-2026-0001", "acknowledged", "--on", "2026-12-29", "--db", imported]) == 0
    capsys.readouterr()
    assert main(["register", "report", "--from", "2026-12-01", "--to", "2026-12-31", "--json", "--db", imported]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["received"] == 3 and figures["working_days_to_acknowledgement"]["max"] == 3
    assert (figures["start"], figures["complaints"], figures["not_complaints"]) == ("2026-12-01", 3, 0)


def test_cli_start_does_not_load_the_database_stack() -> None:
    """SQLAlchemy, Alembic, openpyxl and XlsxWriter load only when a register command runs (about a second saved)."""
    code = ("import sys, klageformular.cli; "
            "print(sorted(m for m in ('sqlalchemy', 'alembic', 'openpyxl', 'xlsxwriter') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_every_public_name_resolves() -> None:
    import klageformular.register as register

    assert all(getattr(register, name) is not None for name in register.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = register.nope


def test_import_with_profile_files_sets_decide_by(tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = write_batch(tmp_path / "out", complaints=[complaint_record(1, received="2026-12-23")])
    assert main(["org", "export", "kameo-dk"]) == 0
    profile = tmp_path / "kameo.toml"
    text = capsys.readouterr().out
    # The built-in profile leaves the decision's time frame unset (no fact to take it from).
    lines = [line for line in text.splitlines() if not line.startswith("decision_working_days")]
    profile.write_text("decision_working_days = 15\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert main(["register", "import", str(out), "--db", db, "--org-file", str(profile)]) == 0
    capsys.readouterr()
    assert main(["register", "list", "--json", "--db", db]) == 0
    entry = json.loads(capsys.readouterr().out.splitlines()[0])
    # 23 Dec 2026 + 15 Danish working days, counted as the acknowledgement's 3 are (25 Dec and
    # 1 Jan are holidays, 26 Dec a Saturday): 15 Jan 2027.
    assert (entry["acknowledge_by"], entry["decide_by"]) == ("2026-12-29", "2027-01-15")


def test_import_with_a_bad_profile_file_is_one_line(tmp_path: Path, db: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = write_batch(tmp_path / "out", complaints=[complaint_record(1)])
    bad = tmp_path / "bad.toml"
    bad.write_text("key = 'kameo-dk'\nname = \n", encoding="utf-8")
    assert main(["register", "import", str(out), "--db", db, "--org-file", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.toml" in err[0]


def _acme(tmp_path: Path) -> Path:
    """A profile file whose key is not built in (Kameo Denmark's values under the key ``acme``)."""
    from klageformular.org import get_organisation
    from klageformular.orgfile import dumps_organisation

    base = get_organisation("kameo-dk")
    officer = base.complaints_officer.model_copy(update={"phone": "+45 70 20 30 40"})
    text = dumps_organisation(base.model_copy(update={"key": "acme", "decision_working_days": 10,
                                                      "complaints_officer": officer}))
    path = tmp_path / "acme.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_profile_that_is_not_built_in_needs_its_file_everywhere(tmp_path: Path, db: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """One rule for a stored profile key: never Kameo Denmark in its place (its name in a letter, its
    holidays in a deadline); without the file each command says so in one line and exits 2 (usage)."""
    profile = _acme(tmp_path)
    out = write_batch(tmp_path / "out", complaints=[complaint_record(1, org="acme")])
    record = tmp_path / "record.json"
    record.write_text(json.dumps(complaint_record(1, org="acme")), encoding="utf-8")
    without = [["register", "import", str(out), "--db", db]]
    assert main(without[0]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "klageformular: a record of the batch is handled under profile 'acme', which is not built in: give its "
        "profile file (--org-file); built in: kameo-dk, kameo-no, kameo-se"]
    assert main([*without[0], "--org-file", str(profile)]) == 0
    ref = next(line.strip() for line in capsys.readouterr().out.splitlines() if line.startswith("  "))
    without = [["register", "show", ref], ["register", "list"], ["register", "assign", ref, "mikkel"],
               ["register", "extend", ref, "--to", "2027-01-29", "--reason", "Vi venter på banken"],
               ["register", "wait", ref, "--for", "kontoudtog"], ["register", "resume", ref],
               ["register", "correct", ref, "complainant.email", "ny@example.dk", "--note", "ringede"],
               ["letter", "ack", ref, "-o", str(tmp_path / "ack.pdf")],
               ["letter", "ack", "--record", str(record), "--reference", ref, "-o", str(tmp_path / "r.pdf")]]
    for args in without:
        where = [] if "--record" in args else ["--db", db]
        assert main([*args, *where]) == 2, args
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and "profile 'acme', which is not built in: give its profile file (--org-file)" \
            in err[0], args
        assert err[0].startswith(f"klageformular: {ref} is handled") or args[1] in ("list", "ack"), err
    for args in without:
        where = [] if "--record" in args else ["--db", db]
        assert main([*args, *where, "--org-file", str(profile)]) == 0, args
    capsys.readouterr()
    assert main(["register", "show", ref, "--json", "--db", db, "--org-file", str(profile)]) == 0
    shown = json.loads(capsys.readouterr().out)
    # The acknowledgement is queued in the outbox: the case counts as acknowledged when it is sent.
    assert (shown["organisation"], shown["status"], shown["decide_by"]) == ("acme", "received", "2027-01-29")


def test_the_decision_clock_commands_print_one_line_each(imported: str, capsys: pytest.CaptureFixture[str]) -> None:
    """extend, wait and resume share one frame (a transaction, one call, one line): their lines stay as they were."""
    capsys.readouterr()
    base = ["--db", imported, "--who", "linn"]
    assert main(["register", "extend", "KLA-2026-0001", "--to", "2027-01-29", "--reason", "Vi venter på banken",
                 *base]) == 0
    assert main(["register", "wait", "KLA-2026-0001", "--for", "kontoudtog", "--on", "2027-01-04", *base]) == 0
    # Paused after Mon 4 Jan up to and including Fri 8 Jan: 4 working days, so 29 Jan moves to Thu 4 Feb.
    assert main(["register", "resume", "KLA-2026-0001", "--on", "2027-01-08", *base]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "KLA-2026-0001: decide by - → 2027-01-29 (the next letter says so)",
        "KLA-2026-0001: decision clock paused from 2027-01-04 (decide by 2027-01-29 moves when it resumes)",
        "KLA-2026-0001: clock running again, 4 working day(s) paused; decide by 2027-01-29 → 2027-02-04"]
    assert main(["register", "wait", "KLA-2026-0001", *base]) == 2  # --for is required (argparse)
    assert "the following arguments are required: --for" in capsys.readouterr().err
