"""Letters by register reference (register/_letters.py): a batch imported into a register, then
``klageformular letter ack|decision REF``: the text layer, the event with the file's hash, the
status moves and the refusals. SQLite always; PostgreSQL on the throw-away test server when
its binaries are installed (tests/postgres.py skips with the reason otherwise)."""

from __future__ import annotations

import email
import email.policy
import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from klageformular.cli import main
from klageformular.exceptions import (
    InvalidTransitionError,
    LetterNotAllowedError,
    StaleCaseError,
    UnknownReferenceError,
)
from klageformular.locales import letter_texts as texts
from klageformular.org import Organisation, home_organisation
from klageformular.orgfile import dumps_organisation
from klageformular.register import (
    Register,
    create_register_engine,
    import_batch,
    letter_case_from_register,
    set_status,
    show,
    write_register_letter,
)

from .registers import complaint_record, duplicate_record, rejected_record, write_batch
from .smtpd import Server
from .test_letters import DECISION_BY, _text

LANGS = ("da", "en", "nb", "sv")
PROFILE = {"da": "kameo-dk", "en": "kameo-dk", "nb": "kameo-no", "sv": "kameo-se"}
PHONE = "+45 70 20 30 40"
RECEIVED, ACK_DATE, DECISION_DATE = "2026-11-24", "2026-11-25", "2026-11-30"
REASONS = "Vi har gennemgået **udbetalingen**.\n\n1. Renten forfaldt.\n2. Den blev betalt for sent.\n"


@pytest.fixture
def db(db_url: str) -> str:
    """The register, on SQLite and on PostgreSQL (``db_url`` in conftest)."""
    return db_url


def _org(lang: str, *, phone: str | None = PHONE, days: int | None = 15) -> Organisation:
    base = home_organisation(lang).model_dump()
    base["complaints_officer"] = base["complaints_officer"] | {"phone": phone}
    return Organisation.model_validate(base | {"decision_working_days": days})


def _org_file(tmp_path: Path, lang: str, **kw: Any) -> str:
    path = tmp_path / f"{PROFILE[lang]}-{lang}.toml"
    path.write_text(dumps_organisation(_org(lang, **kw), "toml"), encoding="utf-8")
    return str(path)


def _day(lang: str, day: str) -> str:
    t, d = texts(lang), date.fromisoformat(day)
    return t["date"].format(day=d.day, month=t["months"].split()[d.month - 1], year=d.year)


def _import(tmp_path: Path, db: str) -> dict[str, str]:
    """One complaint per language (the first sent twice) and an unreadable file; reference per language."""
    records = {lang: complaint_record(i, received=RECEIVED, lang=lang, org=PROFILE[lang])
               for i, lang in enumerate(LANGS, 1)}
    out = write_batch(tmp_path / "out", complaints=records.values(), rejected=[rejected_record(9, received=RECEIVED)],
                      duplicates=[duplicate_record(records["da"], "inbox/igen.pdf")])
    engine = create_register_engine(db)
    try:
        import_batch(engine, out)
        return {lang: next(e["reference"] for e in _entries(engine) if e["source"] == r["source"])
                for lang, r in records.items()}
    finally:
        engine.dispose()


def _entries(engine: Any) -> list[dict[str, Any]]:
    from klageformular.register import list_complaints

    return [show(engine, e["reference"]) | {"source": show(engine, e["reference"])["files"][0]["source"]}
            for e in list_complaints(engine)]


def _show(db: str, reference: str) -> dict[str, Any]:
    engine = create_register_engine(db)
    try:
        return show(engine, reference)
    finally:
        engine.dispose()


def _posted(engine: Any, reference: str, on: date | str) -> None:
    """The paper letter went in the post on ``on``: the way a test gives a letter on a day of its choosing."""
    day = date.fromisoformat(on) if isinstance(on, str) else on
    register = Register(engine)
    with register.session() as s, s.begin():
        register.posted(s, reference, who="linn", on=day, today=max(day, date.today()))


@pytest.mark.parametrize("lang", LANGS)
def test_ack_and_decision_by_reference(tmp_path: Path, db: str, lang: str, capsys: pytest.CaptureFixture[str],
                                       smtp: Server) -> None:
    """The acknowledgement on paper (posted on its day), the decision by email (sent today): the status moves
    when each goes, and that day is the one counted."""
    ref = _import(tmp_path, db)[lang]
    org = _org(lang)
    common = ["--db", db, "--org-file", _org_file(tmp_path, lang), "--who", "linn"]
    ack, decision = tmp_path / "ack.pdf", tmp_path / "decision.pdf"
    reasons = tmp_path / "reasons.md"
    reasons.write_text(REASONS, encoding="utf-8")

    assert main(["letter", "ack", ref.lower(), *common, "-o", str(ack), "--date", ACK_DATE, "--post"]) == 0
    assert f"{ref}: letter recorded for the post; when it is posted: register posted {ref} (status stays received" \
        in capsys.readouterr().out
    assert _show(db, ref)["status"] == "received"
    assert main(["register", "posted", ref, "--on", ACK_DATE, *common[:2], "--who", "linn"]) == 0
    assert f"{ref}: ack letter posted; the case is acknowledged" in capsys.readouterr().out
    text = _text(ack.read_bytes())
    for item in (ref, _day(lang, RECEIVED), _day(lang, ACK_DATE), org.complaints_officer.email, PHONE,
                 DECISION_BY[lang], *(b.name for b in org.escalation)):
        assert item in text, item
    assert texts(lang)["received.acroform"] in text
    # The Danish complaint came twice (a second file): the letter says so, once.
    assert (texts(lang)["received.copies"].format(count=2) in text) == (lang == "da")

    assert main(["letter", "decision", ref, *common, "--outcome", "not_upheld", "--reasons", str(reasons),
                 "-o", str(decision), "--date", DECISION_DATE, "--send"]) == 0
    assert "; acknowledged → decided" in capsys.readouterr().out
    (sent,) = smtp.messages
    message = email.message_from_bytes(sent, policy=email.policy.default)
    assert str(message["Subject"]) == f"[{ref}] {texts(lang)['decision.title']}"
    assert [p.get_content() for p in message.iter_attachments()] == [decision.read_bytes()]
    text = _text(decision.read_bytes())
    for item in (ref, _day(lang, RECEIVED), _day(lang, DECISION_DATE), org.complaints_officer.email, PHONE,
                 "udbetalingen", *(b.name for b in (*org.escalation, *org.authorities))):
        assert item in text, item

    entry = _show(db, ref)
    assert (entry["status"], entry["outcome"]) == ("decided", "not_upheld")
    assert (entry["acknowledged_on"], entry["decided_on"]) == (ACK_DATE, date.today().isoformat())
    letters = [e for e in entry["events"] if e["what"].endswith("_letter")]
    assert [e["what"] for e in letters] == ["ack_letter", "decision_letter"]
    for event, pdf in zip(letters, (ack, decision), strict=True):
        assert event["who"] == "linn"
        assert f"{pdf.name} · sha256 {hashlib.sha256(pdf.read_bytes()).hexdigest()} · {pdf.stat().st_size} bytes" \
            in event["note"]
    assert f"dated {DECISION_DATE} · outcome not_upheld · queued by email {message['Message-ID']}" in letters[1]["note"]
    assert [(e["from"], e["to"]) for e in entry["events"] if e["what"] == "status"] == [
        ("received", "acknowledged"), ("acknowledged", "under_review"), ("under_review", "decided")]


def test_letter_bytes_do_not_depend_on_the_register(tmp_path: Path) -> None:
    """Writing the same letter again gives the same bytes; the second copy is an event, not a status change.

    A second copy is asked for (``copy=True``): without it the letter is refused as already sent.
    """
    db = f"sqlite:///{tmp_path / 'k.db'}"
    ref = _import(tmp_path, db)["en"]
    engine = create_register_engine(db)
    first = write_register_letter(engine, ref, "ack", tmp_path / "a.pdf", dated=date(2026, 11, 25), who="a",
                                  org=_org("en"))
    with pytest.raises(StaleCaseError, match=r"was acknowledged by a at \d\d:\d\d UTC; nothing done \(--copy"):
        write_register_letter(engine, ref, "ack", tmp_path / "b.pdf", dated=date(2026, 11, 25), who="b",
                              org=_org("en"))
    assert not (tmp_path / "b.pdf").exists()
    again = write_register_letter(engine, ref, "ack", tmp_path / "b.pdf", dated=date(2026, 11, 25), who="b",
                                  org=_org("en"), copy=True)
    # Queued, not sent: the case waits for the letter to go (register outbox --retry).
    assert (first.previous_status, first.status, again.previous_status, again.status) == (
        "received", "received", "received", "received")
    assert first.outgoing is not None and again.outgoing is not None
    assert (first.outgoing.state, again.outgoing.state) == ("queued", "queued")
    assert first.outgoing.message_id != again.outgoing.message_id
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    assert first.written.sha256 == again.written.sha256
    assert [e["what"] for e in show(engine, ref)["events"]].count("ack_letter") == 2
    engine.dispose()


def test_case_from_the_register_row(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    refs = _import(tmp_path, db)
    engine = create_register_engine(db)
    with Session(engine) as session:
        case = letter_case_from_register(session, refs["nb"])
        assert (case.reference, case.lang, case.org.key, case.received, case.method, case.copies) == (
            refs["nb"], "nb", "kameo-no", date(2026, 11, 24), "acroform", 1)
        assert letter_case_from_register(session, refs["da"], org=_org("da")).copies == 2
        with pytest.raises(UnknownReferenceError, match="no complaint 'KLA-2026-0099'"):
            letter_case_from_register(session, "KLA-2026-0099")
    engine.dispose()


def test_inadmissible_from_the_register_status_or_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    refs = _import(tmp_path, db)
    engine = create_register_engine(db)
    org = _org("da")
    # Set in the register, with the reason as the note: the acknowledgement takes both.
    set_status(engine, refs["da"], "acknowledged", who="linn")
    set_status(engine, refs["da"], "inadmissible", who="linn", note="Klagen angår ikke Kameo.", on=date(2026, 11, 26))
    done = write_register_letter(engine, refs["da"], "ack", tmp_path / "a.pdf", dated=date(2026, 11, 26), who="l",
                                 org=org, channel="post")
    _posted(engine, refs["da"], "2026-11-26")
    assert _show(f"sqlite:///{tmp_path / 'k.db'}", refs["da"])["status"] == "inadmissible"
    assert "Klagen angår ikke Kameo." in _text((tmp_path / "a.pdf").read_bytes())
    # Said on the command line: received → acknowledged → inadmissible, the reason noted.
    done = write_register_letter(engine, refs["en"], "ack", tmp_path / "b.pdf", dated=date(2026, 11, 26), who="l",
                                 org=org, admissibility="inadmissible", reason="Not about a Kameo service.",
                                 channel="post")
    assert (done.previous_status, done.status) == ("received", "received")
    _posted(engine, refs["en"], "2026-11-26")
    events = show(engine, refs["en"])["events"]
    assert [(e["to"], (e["note"] or "").endswith("Not about a Kameo service.")) for e in events[-2:]] == [
        ("acknowledged", False), ("inadmissible", True)]
    # An inadmissible entry's letter cannot say it is admissible.
    with pytest.raises(InvalidTransitionError, match="inadmissible in the register"):
        write_register_letter(engine, refs["en"], "ack", tmp_path / "c.pdf", dated=date(2026, 11, 26), who="l",
                              org=org, admissibility="admissible")
    assert not (tmp_path / "c.pdf").exists()
    engine.dispose()


@pytest.mark.parametrize(("setup", "kind", "outcome", "match"), [
    ([], "decision", "upheld", "is received: a decision letter cannot be written from that status; write the ack"),
    (["acknowledged", "under_review", "decided:upheld"], "decision", "rejected", r"already decided \(upheld\)"),
    (["acknowledged", "under_review", "decided:upheld", "closed"], "ack", None, "is closed: an acknowledgement cannot"),
    (["acknowledged", "under_review"], "ack-inadmissible", None, "cannot go from under_review to inadmissible"),
])
def test_letters_the_workflow_refuses_write_nothing(tmp_path: Path, setup: list[str], kind: str,
                                                    outcome: str | None, match: str) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    ref = _import(tmp_path, db)["da"]
    engine = create_register_engine(db)
    for step in setup:
        status, _, result = step.partition(":")
        set_status(engine, ref, status, who="linn", outcome=result or None)
    before = show(engine, ref)
    extra: dict[str, Any] = {"admissibility": "inadmissible", "reason": "x"} if kind == "ack-inadmissible" else {}
    with pytest.raises(InvalidTransitionError, match=match):
        write_register_letter(engine, ref, "ack" if kind.startswith("ack") else "decision", tmp_path / "x.pdf",
                              dated=date(2026, 12, 1), who="l", org=_org("da"), outcome=outcome,  # type: ignore[arg-type]
                              reasons="Begrundelse.", **extra)
    assert not (tmp_path / "x.pdf").exists()
    assert show(engine, ref) == before
    engine.dispose()


def test_same_outcome_again_is_a_second_copy(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    ref = _import(tmp_path, db)["sv"]
    engine = create_register_engine(db)
    for status in ("acknowledged", "under_review"):
        set_status(engine, ref, status, who="linn")
    for name in ("a.pdf", "b.pdf"):
        done = write_register_letter(engine, ref, "decision", tmp_path / name, dated=date(2026, 12, 1), who="l",
                                     org=_org("sv"), outcome="upheld", reasons="Du har rätt.", copy=name == "b.pdf",
                                     channel="post", today=date(2026, 12, 1))
        _posted(engine, ref, "2026-12-01")
    assert (done.previous_status, done.status) == ("decided", "decided")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    engine.dispose()


def test_refusals_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    refs = _import(tmp_path, db)
    capsys.readouterr()

    def run(*args: str) -> tuple[int, str]:
        code = main(["letter", *args])
        return code, capsys.readouterr().err

    code, err = run("ack", "KLA-2026-0099", "--db", db, "-o", str(tmp_path / "x.pdf"))
    assert (code, err) == (1, "klageformular: no complaint 'KLA-2026-0099' in the register\n")
    # The built-in profiles have no phone and no timeframe: the rule is cited, nothing changes.
    code, err = run("ack", refs["sv"], "--db", db, "-o", str(tmp_path / "x.pdf"))
    assert code == 1 and err.count("\n") == 1
    assert "complaints_officer.phone and no decision_working_days" in err and "2022/2117 art. 3" in err
    code, err = run("ack", refs["nb"], "--db", db, "--org-file", _org_file(tmp_path, "nb", phone=None),
                    "-o", str(tmp_path / "x.pdf"))
    assert code == 1 and "has no complaints_officer.phone:" in err and "art. 3" in err
    code, err = run("ack", refs["en"], "--db", db, "--org-file", _org_file(tmp_path, "en", days=None),
                    "-o", str(tmp_path / "x.pdf"))
    assert code == 1 and "has no decision_working_days:" in err
    assert not (tmp_path / "x.pdf").exists()
    assert _show(db, refs["sv"])["status"] == "received"
    assert not [e for e in _show(db, refs["sv"])["events"] if e["what"] == "ack_letter"]
    # The unreadable file is not a complaint yet.
    unreadable = next(e["reference"] for e in _entries_url(db) if e["status"] == "unreadable")
    code, err = run("ack", unreadable, "--db", db)
    assert code == 1 and "is an unreadable file" in err
    # REF or --record, not both and not neither; --record needs --reference.
    assert run("ack", "--db", db)[0] == 2
    record = tmp_path / "r.json"
    record.write_text("{}", encoding="utf-8")
    assert run("ack", refs["da"], "--record", str(record), "--db", db)[0] == 2
    code, err = run("ack", "--record", str(record))
    assert code == 2 and "--record needs --reference" in err


def test_default_output_name_and_database_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    refs = _import(tmp_path, db)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KLAGEFORMULAR_DB", db)
    assert main(["letter", "ack", refs["da"], "--org-file", _org_file(tmp_path, "da"), "--eml", "ack.eml"]) == 0
    pdf = (tmp_path / f"{refs['da']}-ack.pdf").read_bytes()
    assert "queued by email" in capsys.readouterr().out
    raw = (tmp_path / "ack.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert refs["da"] in str(message["Subject"])
    assert [p.get_content() for p in message.iter_attachments()] == [pdf]
    # The file is the queued message, byte for byte: the one the outbox will send.
    register = Register(create_register_engine(db))
    with register.session() as s:
        (queued,) = register.outbox(s)
    assert (queued.message_id, queued.sha256) == (message["Message-ID"], hashlib.sha256(raw).hexdigest())
    register.engine.dispose()


def _entries_url(db: str) -> list[dict[str, Any]]:
    engine = create_register_engine(db)
    try:
        return _entries(engine)
    finally:
        engine.dispose()



def test_an_email_complaint_lists_its_attachments(tmp_path: Path) -> None:
    record = complaint_record(5, received=RECEIVED, lang="en", method="email", message_id="<k5@example.dk>",
                              attachments=[{"name": "kontoudtog.pdf", "content_type": "application/pdf", "size": 1234,
                                            "sha256": "0" * 64, "path": "attachments/0000/kontoudtog.pdf"}])
    db = f"sqlite:///{tmp_path / 'k.db'}"
    engine = create_register_engine(db)
    import_batch(engine, write_batch(tmp_path / "out", complaints=[record]))
    with Session(engine) as session:
        case = letter_case_from_register(session, "KLA-2026-0001", org=_org("en"))
    assert (case.method, [(a.name, a.size) for a in case.attachments]) == ("email", [("kontoudtog.pdf", 1234)])
    write_register_letter(engine, "KLA-2026-0001", "ack", tmp_path / "a.pdf", dated=date(2026, 11, 25), who="l",
                          org=_org("en"))
    text = _text((tmp_path / "a.pdf").read_bytes())
    assert "Your email" in text and "Attachment: kontoudtog.pdf" in text
    engine.dispose()


def test_no_letter_on_disk_when_the_server_stops_before_the_commit(tmp_path: Path) -> None:
    """Issue 23: the PDF stayed on disk with no event when PostgreSQL stopped. The real server is
    stopped once the letter is rendered and staged, as the transaction commits; started again, the
    register shows no letter event and no status change, and no file (.pdf, .eml or .part) is left."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    from .postgres import new_database, postgres_server, start_server, stop_server

    with postgres_server() as server:
        db = new_database(server)
        ref = _import(tmp_path, db)["da"]
        engine = create_register_engine(db)
        before = show(engine, ref)
        staged: list[list[str]] = []

        @event.listens_for(engine, "commit")
        def _stop(_connection: Any) -> None:  # the files are staged; COMMIT has not reached the server
            staged.append(sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".part"))
            stop_server(server)

        with pytest.raises(OperationalError):
            write_register_letter(engine, ref, "ack", tmp_path / "ack.pdf", dated=date(2026, 11, 25), who="l",
                                  org=_org("da"), eml=tmp_path / "ack.eml")
        engine.dispose()
        assert staged == [["ack.eml.part", "ack.pdf.part"]]
        assert [p.name for p in tmp_path.iterdir() if p.suffix in (".pdf", ".eml", ".part")] == []
        start_server(server)
        assert _show(db, ref) == before
        assert main(["letter", "ack", ref, "--db", db, "--org-file", _org_file(tmp_path, "da"),
                     "-o", str(tmp_path / "ack.pdf"), "--date", ACK_DATE]) == 0  # and then it goes through
        assert [e["what"] for e in _show(db, ref)["events"]].count("ack_letter") == 1
        assert (tmp_path / "ack.pdf").exists()


@pytest.mark.parametrize("failure", ["folder missing", "output is a folder"])
def test_a_letter_that_cannot_be_written_records_nothing(db: str, tmp_path: Path, failure: str) -> None:
    ref = _import(tmp_path, db)["da"]
    engine = create_register_engine(db)
    before = show(engine, ref)
    target = tmp_path / "missing" / "ack.pdf"
    if failure == "output is a folder":
        target = tmp_path / "ack.pdf"
        target.mkdir()
    with pytest.raises(OSError, match=r"No such file|is a directory"):
        write_register_letter(engine, ref, "ack", target, dated=date(2026, 11, 25), who="l", org=_org("da"))
    assert show(engine, ref) == before
    assert not list(tmp_path.rglob("*.part"))
    engine.dispose()


def test_the_letter_is_in_place_only_with_its_event(db: str, tmp_path: Path) -> None:
    ref = _import(tmp_path, db)["da"]
    engine = create_register_engine(db)
    done = write_register_letter(engine, ref, "ack", tmp_path / "ack.pdf", dated=date(2026, 11, 25), who="l",
                                 org=_org("da"), eml=tmp_path / "ack.eml")
    pdf = (tmp_path / "ack.pdf").read_bytes()
    notes = [e["note"] for e in show(engine, ref)["events"] if e["what"] == "ack_letter"]
    assert done.outgoing is not None
    assert notes == [f"ack.pdf · sha256 {hashlib.sha256(pdf).hexdigest()} · {len(pdf)} bytes · dated 2026-11-25 · "
                     f"queued by email {done.outgoing.message_id}"]
    assert done.written.sha256 == hashlib.sha256(pdf).hexdigest() and (tmp_path / "ack.eml").stat().st_size > 0
    assert not list(tmp_path.rglob("*.part"))
    engine.dispose()


def test_a_full_disk_writes_no_letter_and_records_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from .test_files import _tmpfs

    db = f"sqlite:///{tmp_path / 'k.db'}"
    ref = _import(tmp_path, db)["da"]
    before = _show(db, ref)
    with _tmpfs(tmp_path / "full", 8192):
        code = main(["letter", "ack", ref, "--db", db, "--org-file", _org_file(tmp_path, "da"),
                     "-o", str(tmp_path / "full" / "ack.pdf"), "--eml", str(tmp_path / "full" / "ack.eml")])
        left = list((tmp_path / "full").iterdir())
    err = capsys.readouterr().err
    assert code == 3 and err.count("\n") == 1 and "No space left on device" in err, err
    assert left == []
    assert _show(db, ref) == before


def test_a_preview_is_the_letter_that_would_be_written_and_records_nothing(tmp_path: Path) -> None:
    """Register.preview_letter (the workbench's letter preview): the same bytes as the letter then written,
    the same refusals, and not an event, a document or an outgoing letter more."""
    db = f"sqlite:///{tmp_path / 'k.db'}"
    ref = _import(tmp_path, db)["da"]
    engine = create_register_engine(db)
    org = _org("da")
    register = Register(engine, profiles={org.key: org})
    try:
        with register.session() as s:
            preview = register.preview_letter(s, ref, "ack", dated=date(2026, 11, 25))
            with pytest.raises(InvalidTransitionError, match="write the acknowledgement first"):
                register.preview_letter(s, ref, "decision", dated=date(2026, 11, 25), outcome="upheld",
                                        reasons=REASONS)
            before = register.case(s, ref)
            assert list(register.outbox(s, reference=ref)) == []
        assert register.next_statuses(before.status) == ("acknowledged", "escalated")
        with register.session() as s, s.begin():
            done = register.write_letter(s, ref, "ack", None, dated=date(2026, 11, 25), who="linn")
        assert done.written.sha256 == hashlib.sha256(preview).hexdigest()
        with pytest.raises(LetterNotAllowedError, match=r"complaints_officer\.phone"), Register(engine).session() as s:
            Register(engine).preview_letter(s, ref, "ack", dated=date(2026, 11, 25))  # the built-in profile
    finally:
        engine.dispose()
