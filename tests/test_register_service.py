"""The register service (register/_service.py): units of work, versions and real concurrency, corrections,
merges, non-complaints, assignees, review items, ``register show``; on SQLite and on PostgreSQL.

The concurrency tests race two writers on one case with a barrier (threads, and processes running
the command line), many times: exactly one letter is recorded and written, the other is refused
before its file exists, with who did it and when.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from klageformular.cli import main
from klageformular.exceptions import CorrectionRefusedError, RegisterError, StaleCaseError
from klageformular.org import Organisation, home_organisation
from klageformular.orgfile import dumps_organisation
from klageformular.register import Case, Register, add_record, create_register_engine, set_status
from klageformular.register._schema import ComplaintRow
from klageformular.register._service import to_summary

from .registers import complaint_record, digest, duplicate_record, rejected_record

TRIES = 8


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_register_engine(db_url)
    yield engine
    engine.dispose()


def _org(lang: str = "da") -> Organisation:
    base = home_organisation(lang).model_dump()
    base["complaints_officer"] = base["complaints_officer"] | {"phone": "+45 70 20 30 40"}
    return Organisation.model_validate(base | {"decision_working_days": 15})


def _case(engine: Engine, reference: str) -> Case:
    register = Register(engine)
    with register.session() as session:
        return register.case(session, reference)


def _events(engine: Engine, reference: str, what: str) -> int:
    return sum(e.what == what for e in _case(engine, reference).events)


# -- unit of work ---------------------------------------------------------------------------------


def test_the_callers_transaction_holds_several_changes_and_rolls_back_as_one(engine: Engine) -> None:
    add_record(engine, complaint_record(1))
    register = Register(engine)

    def three_changes(note: str) -> None:
        with register.session() as s, s.begin():
            register.assign(s, "KLA-2026-0001", "mikkel", who="linn")
            register.set_status(s, "KLA-2026-0001", "acknowledged", who="linn")
            register.add_note(s, "KLA-2026-0001", note, who="linn")

    with pytest.raises(RegisterError, match="a note needs some text"):
        three_changes(" ")  # the third fails: the two changes before it go too
    case = _case(engine, "KLA-2026-0001")
    assert (case.status, case.assignee, case.version) == ("received", None, 1)
    three_changes("Ringede")
    case = _case(engine, "KLA-2026-0001")
    assert (case.status, case.assignee, case.version, [e.what for e in case.events]) == (
        "acknowledged", "mikkel", 3, ["received", "assign", "status", "note"])


def test_lists_are_iterators_of_typed_cases(engine: Engine) -> None:
    for i in range(3):
        add_record(engine, complaint_record(i))
    register = Register(engine)
    with register.session() as s:
        cases = register.cases(s)
        assert iter(cases) is cases
        assert [c.reference for c in cases] == ["KLA-2026-0001", "KLA-2026-0002", "KLA-2026-0003"]


def test_a_list_reads_only_what_it_prints_and_says_what_the_whole_rows_say(engine: Engine, db_url: str,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 25: ``register list --json`` streams the summary's columns (a server-side cursor on
    PostgreSQL), never the JSON it does not print; every line is what the whole row gives."""
    add_record(engine, complaint_record(1, received="2026-11-20"))
    add_record(engine, complaint_record(2, status="needs_review", amount=None, mail={"from": "a@example.dk"}))
    add_record(engine, rejected_record(3))
    register = Register(engine)
    with register.session() as s, s.begin():
        register.assign(s, "KLA-2026-0001", "mikkel", who="linn")
        register.set_status(s, "KLA-2026-0002", "acknowledged", who="linn")
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", seen)
    with register.session() as s:
        listed = [c.model_dump_json() for c in register.cases(s)]
    sa.event.remove(engine, "before_cursor_execute", seen)
    with register.session() as s:
        rows = s.scalars(sa.select(ComplaintRow).order_by(ComplaintRow.received, ComplaintRow.number)).all()
        whole = [to_summary(s, row).model_dump_json() for row in rows]
    assert listed == whole and len(listed) == 3
    reads = [q for q in statements if "FROM complaints" in q]
    assert reads and not [q for q in reads if re.search(r"complaints\.(raw|mail|warnings)\b", q)], reads
    assert main(["register", "list", "--json", "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines() == whole


# -- versions and concurrency ---------------------------------------------------------------------


def test_a_change_on_a_stale_version_is_refused_with_who_and_when(engine: Engine) -> None:
    add_record(engine, complaint_record(1))
    register = Register(engine)
    seen = _case(engine, "KLA-2026-0001").version
    set_status(engine, "KLA-2026-0001", "acknowledged", who="mikkel")
    with pytest.raises(StaleCaseError, match=r"^KLA-2026-0001 was acknowledged by mikkel at \d\d:\d\d UTC; "
                                             r"nothing done$"), register.session() as s, s.begin():
        register.assign(s, "KLA-2026-0001", "linn", who="linn", version=seen)
    assert _case(engine, "KLA-2026-0001").assignee is None


def test_the_command_line_refuses_a_stale_version(engine: Engine, db_url: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    add_record(engine, complaint_record(1))
    base = ["--db", db_url, "--who", "linn"]
    assert main(["register", "set", "KLA-2026-0001", "acknowledged", "--if-version", "1", "--db", db_url,
                 "--who", "mikkel"]) == 0
    capsys.readouterr()
    assert main(["register", "assign", "KLA-2026-0001", "linn", "--if-version", "1", *base]) == 1
    assert capsys.readouterr().err.startswith("klageformular: KLA-2026-0001 was acknowledged by mikkel at ")
    assert main(["register", "assign", "KLA-2026-0001", "linn", "--if-version", "2", *base]) == 0


def _race(engine: Engine, tmp_path: Path, kind: str, try_no: int, *, with_version: bool) -> list[str]:
    """Two officers write the same letter at once; returns what each got ("ok" or the refusal)."""
    register = Register(engine)
    barrier = threading.Barrier(2)
    results: list[str] = ["", ""]

    def officer(n: int) -> None:
        with register.session() as s:  # both read the case (SQLite: a short lock) before either writes
            version = register.case(s, "KLA-2026-0001").version
        barrier.wait(timeout=60)
        with register.session() as s, s.begin():
            try:
                register.write_letter(s, "KLA-2026-0001", kind, str(tmp_path / f"{try_no}-{n}.pdf"),  # type: ignore[arg-type]
                                      dated=date(2026, 11, 25), who=f"officer{n}", org=_org(),
                                      outcome="upheld" if kind == "decision" else None, reasons="Begrundelse.",
                                      version=version if with_version else None)
                results[n] = "ok"
            except StaleCaseError as exc:
                results[n] = str(exc)

    threads = [threading.Thread(target=officer, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _refs(engine: Engine) -> list[str]:
    register = Register(engine)
    with register.session() as s:
        return [c.reference for c in register.cases(s)]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """New empty registers on demand (one per race: the history is append-only, a case cannot be reset)."""
    count = iter(range(1000))
    if request.param == "sqlite":
        return lambda: f"sqlite:///{tmp_path / f'klager{next(count)}.db'}"
    from .postgres import new_database

    server = request.getfixturevalue("postgres_url")
    return lambda: new_database(server)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["ack", "decision"])
def test_two_letters_at_once_one_is_recorded(db_url_factory: Callable[[], str], tmp_path: Path, kind: str) -> None:
    """TRIES races, each on a new register: exactly one letter recorded and written every time, the other
    refused with who and when (half the tries pass the version each officer read, half do not)."""
    for try_no in range(TRIES):
        engine = create_register_engine(db_url_factory())
        add_record(engine, complaint_record(1))
        if kind == "decision":
            set_status(engine, "KLA-2026-0001", "acknowledged", who="linn")
        results = _race(engine, tmp_path, kind, try_no, with_version=try_no % 2 == 0)
        assert sorted(r == "ok" for r in results) == [False, True], results
        refused = next(r for r in results if r != "ok")
        verb = "acknowledged" if kind == "ack" else "decided"
        assert refused.startswith(f"KLA-2026-0001 was {verb} by officer") and "nothing done" in refused
        assert _events(engine, "KLA-2026-0001", "ack_letter" if kind == "ack" else "decision_letter") == 1
        register = Register(engine)
        with register.session() as s:  # one letter queued; the status moves when it is sent
            assert [o.kind for o in register.outbox(s)] == [kind]
        assert not (tmp_path / f"{try_no}-{results.index(refused)}.pdf").exists()  # refused before writing
        engine.dispose()


def _cli_officer(barrier: Any, args: list[str], queue: Any) -> None:
    import contextlib
    import io

    err = io.StringIO()
    barrier.wait(timeout=120)
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    queue.put((code, err.getvalue()))


@pytest.mark.slow
def test_two_cli_acks_in_processes(db_url_factory: Callable[[], str], tmp_path: Path) -> None:
    """Two ``letter ack`` processes at once, several times: one recorded, the other refused with who and when."""
    profile = tmp_path / "kameo.toml"
    profile.write_text(dumps_organisation(_org(), "toml"), encoding="utf-8")
    context = multiprocessing.get_context("spawn")
    for try_no in range(3):
        url = db_url_factory()
        engine = create_register_engine(url)
        add_record(engine, complaint_record(1))
        barrier, queue = context.Barrier(2), context.Queue()
        procs = [context.Process(target=_cli_officer, args=(barrier, [
            "letter", "ack", "KLA-2026-0001", "--db", url, "--who", f"p{n}", "--org-file", str(profile),
            "--date", "2026-11-25", "-o", str(tmp_path / f"{try_no}-{n}.pdf")], queue)) for n in range(2)]
        for p in procs:
            p.start()
        outcomes = sorted(queue.get(timeout=240) for _ in procs)
        for p in procs:
            p.join(timeout=60)
        assert [code for code, _ in outcomes] == [0, 1], outcomes
        assert "KLA-2026-0001 was acknowledged by p" in outcomes[1][1]
        assert sum(path.exists() for path in tmp_path.glob(f"{try_no}-*.pdf")) == 1
        assert _events(engine, "KLA-2026-0001", "ack_letter") == 1
        engine.dispose()


def test_a_second_copy_is_asked_for(engine: Engine, tmp_path: Path, db_url: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    add_record(engine, complaint_record(1))
    profile = tmp_path / "kameo.toml"
    profile.write_text(dumps_organisation(_org(), "toml"), encoding="utf-8")
    args = ["letter", "ack", "KLA-2026-0001", "--db", db_url, "--who", "mikkel", "--org-file", str(profile)]
    assert main([*args, "-o", str(tmp_path / "a.pdf")]) == 0
    assert main([*args, "-o", str(tmp_path / "b.pdf")]) == 1
    assert "KLA-2026-0001 was acknowledged by mikkel at" in capsys.readouterr().err
    assert not (tmp_path / "b.pdf").exists()
    assert main([*args, "-o", str(tmp_path / "b.pdf"), "--copy"]) == 0
    assert _events(engine, "KLA-2026-0001", "ack_letter") == 2


# -- corrections and review -----------------------------------------------------------------------


def _flagged_email(i: int = 1, **kw: Any) -> dict[str, Any]:
    record = complaint_record(i, status="needs_review", **kw)
    record["complaint"]["complainant"]["email"] = None
    record["review"] = [{"path": "complainant.email", "label": "E-mail", "value": "kunde(at)example.dk",
                         "code": "invalid_email", "message": "not a valid email address",
                         "message_local": "er ikke en gyldig e-mailadresse"}]
    return record


def test_correct_a_flagged_value(engine: Engine) -> None:
    add_record(engine, _flagged_email())
    register = Register(engine)
    with pytest.raises(CorrectionRefusedError, match=r"complainant.email \(E-mail\): is not a valid email address "
                                                     r"\(invalid_email\); nothing changed"), \
            register.session() as s, s.begin():
        register.correct(s, "KLA-2026-0001", "complainant.email", "still(at)wrong", who="linn", note="ringede")
    with pytest.raises(CorrectionRefusedError, match=r"no field 'complainant\.mail'"), \
            register.session() as s, s.begin():
        register.correct(s, "KLA-2026-0001", "complainant.mail", "x@example.dk", who="linn", note="ringede")
    with register.session() as s, s.begin():
        done = register.correct(s, "KLA-2026-0001", "complainant.email", "kunde@example.dk", who="linn",
                                note="Kunden ringede")
    assert (done.typed, done.before, done.after, done.code, done.who) == (
        "kunde(at)example.dk", None, "kunde@example.dk", "invalid_email", "linn")
    case = _case(engine, "KLA-2026-0001")
    assert case.complaint is not None and case.complaint.complainant.email == "kunde@example.dk"
    assert case.review == () and case.version == 2
    assert [e.what for e in case.events][-1] == "correction"
    with engine.connect() as connection:
        key = connection.exec_driver_sql("SELECT complainant_key FROM complaints").scalar_one()
    assert key == "email:kunde@example.dk"  # the related-complaint key follows


def test_letters_use_the_corrected_value(engine: Engine, tmp_path: Path) -> None:
    from klageformular.register import letter_case_from_register

    add_record(engine, _flagged_email())
    register = Register(engine)
    with register.session() as s, s.begin():
        register.correct(s, "KLA-2026-0001", "complainant.email", "kunde@example.dk", who="linn", note="mail")
    with register.session() as s:
        assert letter_case_from_register(s, "KLA-2026-0001").complaint.complainant.email == "kunde@example.dk"


def test_review_lists_open_items(engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    add_record(engine, _flagged_email(1))
    add_record(engine, complaint_record(2, status="needs_review"))
    add_record(engine, complaint_record(3))
    assert main(["register", "review", "--db", db_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:2] == ["KLA-2026-0001", "complainant.email"] and lines[0].endswith("invalid_email")
    assert "'kunde(at)example.dk'" in lines[0] and "'12'" in lines[1] and lines[1].endswith("invalid_phone")
    assert main(["register", "correct", "KLA-2026-0001", "complainant.email", "kunde@example.dk", "--note", "mail",
                 "--db", db_url, "--who", "linn"]) == 0
    assert "(invalid_email resolved)" in capsys.readouterr().out
    assert main(["register", "review", "--json", "--db", db_url]) == 0
    assert [json.loads(line)["reference"] for line in capsys.readouterr().out.splitlines()] == ["KLA-2026-0002"]


# -- merge and non-complaints ---------------------------------------------------------------------


def test_merge_moves_files_and_keeps_a_pointer(engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = complaint_record(1)
    add_record(engine, first)
    add_record(engine, complaint_record(2))  # the customer's reply that became a new entry
    add_record(engine, duplicate_record(complaint_record(2), "inbox/svar-igen.pdf"))
    assert main(["register", "merge", "KLA-2026-0002", "--into", "KLA-2026-0001", "--note", "svar på 0001",
                 "--db", db_url, "--who", "linn"]) == 0
    assert "KLA-2026-0002 merged into KLA-2026-0001 (3 file(s)" in capsys.readouterr().out
    target, merged = _case(engine, "KLA-2026-0001"), _case(engine, "KLA-2026-0002")
    assert [f.source for f in target.files] == ["inbox/klage-1.pdf", "inbox/klage-2.pdf", "inbox/svar-igen.pdf"]
    assert merged.files == () and merged.merged_into == "KLA-2026-0001"
    assert target.merged_from == ("KLA-2026-0002",)
    assert {e.reference for e in target.events} == {"KLA-2026-0001", "KLA-2026-0002"}  # its history shown too
    assert main(["register", "show", "KLA-2026-0002", "--db", db_url]) == 0
    assert "KLA-2026-0001" in capsys.readouterr().out.split("\n\n")[0]
    add_record(engine, complaint_record(3))
    assert _refs(engine)[-1] == "KLA-2026-0003"  # the merged number is never reused
    register = Register(engine)
    with pytest.raises(RegisterError, match="KLA-2026-0002 was merged into KLA-2026-0001: work on that case"), \
            register.session() as s, s.begin():
        register.merge(s, "KLA-2026-0002", into="KLA-2026-0003", who="linn")
    assert main(["register", "set", "KLA-2026-0002", "acknowledged", "--db", db_url]) == 1
    assert "was merged into KLA-2026-0001" in capsys.readouterr().err
    with pytest.raises(RegisterError, match="into itself"), register.session() as s, s.begin():
        register.merge(s, "KLA-2026-0003", into="kla-2026-0003", who="linn")


def test_what_arrives_for_a_merged_case_joins_the_case_it_was_merged_into(engine: Engine) -> None:
    """A merged case is a pointer: a later document of its message goes where its files went."""
    add_record(engine, complaint_record(1))
    add_record(engine, complaint_record(2, message_id="<svar@example.dk>", message_sha256=digest("the reply")))
    register = Register(engine)
    with register.session() as s, s.begin():
        register.merge(s, "KLA-2026-0002", into="KLA-2026-0001", who="linn")
    # the reply's scanned PDF, as a version before one message was one case wrote it: a line of its own
    scan = rejected_record(3) | {"message_id": "<svar@example.dk>", "message_sha256": digest("the reply")}
    result = add_record(engine, scan)
    assert (result.outcome, result.reference) == ("attached", "KLA-2026-0001")
    assert "inbox/scan-3.pdf" in [f.source for f in _case(engine, "KLA-2026-0001").files]
    assert _case(engine, "KLA-2026-0002").files == ()


def test_show_names_the_message_and_its_unreadable_documents(engine: Engine, db_url: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """One message, one case: the scan it carried is a document marked unreadable, the message known by its hash."""
    scan = digest("scan in a mail")
    add_record(engine, complaint_record(
        1, method="email", status="needs_review", message_id="<m1@example.dk>", message_sha256=digest("message 1"),
        received_from="received",
        attachments=[{"name": "scanning.pdf", "content_type": "application/pdf", "size": 1234, "sha256": scan,
                      "path": f"attachments/{scan}", "unreadable": "1 of 1 page(s) have no text layer"}])
        | {"from": "Åse Ørsted <aase@example.dk>"})
    case = _case(engine, "KLA-2026-0001")
    assert case.sender is not None
    assert (case.sender.message_sha256, case.sender.received_from) == (digest("message 1"), "received")
    assert [(d.name, d.unreadable) for d in case.documents] == [("scanning.pdf", "1 of 1 page(s) have no text layer")]
    assert main(["register", "show", "KLA-2026-0001", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "scanning.pdf   ! ulæselig: 1 of 1 page(s) have no text layer" in out
    assert f"message_sha256: {digest('message 1')}" in out
    assert main(["register", "show", "KLA-2026-0001", "--json", "--db", db_url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["documents"][0]["unreadable"] == "1 of 1 page(s) have no text layer"
    assert data["sender"]["message_sha256"] == digest("message 1")


def test_not_a_complaint_and_the_report(engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    add_record(engine, complaint_record(1, received="2026-11-23"))
    add_record(engine, complaint_record(2, received="2026-11-23"))  # an auto-reply
    add_record(engine, rejected_record(3, received="2026-11-23"))  # a scanned cover letter
    set_status(engine, "KLA-2026-0001", "acknowledged", who="linn")
    base = ["--db", db_url, "--who", "linn"]
    assert main(["register", "set", "KLA-2026-0002", "closed", "--not-a-complaint", *base]) == 1
    assert "needs a --note" in capsys.readouterr().err
    assert main(["register", "set", "KLA-2026-0001", "closed", "--not-a-complaint", "--note", "x", *base]) == 1
    assert "is acknowledged: --not-a-complaint closes a received or unreadable entry" in capsys.readouterr().err
    for ref in ("KLA-2026-0002", "KLA-2026-0003"):
        assert main(["register", "set", ref, "closed", "--not-a-complaint", "--note", "autosvar", *base]) == 0
    assert "received → closed" in capsys.readouterr().out
    register = Register(engine)
    with register.session() as s:
        figures = register.report(s, date(2026, 11, 1), date(2026, 11, 30), today=date(2026, 12, 1))
    assert (figures.received, figures.complaints, figures.not_complaints, figures.merged, figures.by_status) == (
        3, 1, 2, 0, {"acknowledged": 1})


# -- assignee and show ----------------------------------------------------------------------------


def test_assign_and_show(engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    add_record(engine, _flagged_email(1, org="kameo-no", lang="nb"))
    base = ["--db", db_url, "--who", "linn"]
    assert main(["register", "assign", "KLA-NO-2026-0001", "mikkel", *base]) == 0
    assert capsys.readouterr().out == "KLA-NO-2026-0001: assigned to mikkel\n"
    assert main(["register", "correct", "KLA-NO-2026-0001", "complainant.email", "kunde@example.no", "--note",
                 "e-post", *base]) == 0
    capsys.readouterr()
    assert main(["register", "show", "KLA-NO-2026-0001", *base]) == 0
    out = capsys.readouterr().out
    assert "Saksbehandler: mikkel" in out and "1. Klager" in out  # Norwegian labels: the case's language
    assert "kunde@example.no   (som skrevet: 'kunde(at)example.dk')" in out
    assert "Rettelser" in out and "Historikk" in out
    assert main(["register", "show", "KLA-NO-2026-0001", "--json", *base]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["assignee"] == "mikkel" and data["corrections"][0]["typed"] == "kunde(at)example.dk"
    assert "null" not in json.dumps(data)  # no nulls noise


def test_rows_carry_a_version_column() -> None:
    assert ComplaintRow.__mapper__.version_id_col is not None
