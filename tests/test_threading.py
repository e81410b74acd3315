"""Threading at import (register/_threading.py): replies join their case, strangers never do; bounces and
auto-replies to our letters are linked to them. Each rule both ways, through the batch → register path
with the Mutt and Postfix fixtures (tests/fixtures/mail/make_thread_mail.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from klageformular.batch import convert_folder
from klageformular.cli import main
from klageformular.org import get_organisation
from klageformular.records import SET_ASIDE, read_records
from klageformular.register import Case, Profile, Register, add_record, create_register_engine, import_batch
from klageformular.register._documents import list_documents
from klageformular.register._schema import OutgoingRow

from .conftest import load_script
from .registers import complaint_record, sent_letter

THREAD = Path(__file__).parent / "fixtures" / "mail" / "thread"
make = load_script("tests/fixtures/mail/make_thread_mail.py")
REF = make.REFERENCE  # KLA-NO-2026-0001: Eva Ørsted's complaint
EVA = "eva.orsted@example.no"
WHO = "intake"


@pytest.fixture(scope="module")
def outs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each fixture through the batch once (the output folders hold no database: every test imports them)."""
    made: dict[str, Path] = {}
    root = tmp_path_factory.mktemp("batches")
    for name in sorted(p.name for p in THREAD.iterdir()):
        inbox, out = root / f"in-{name}", root / f"out-{name}"
        inbox.mkdir()
        shutil.copy(THREAD / name, inbox / name)
        # The complaint is received on 23 November whatever day Mutt wrote it: it is KLA-NO-2026-0001.
        received = date(2026, 11, 23) if name == "complaint.eml" else "mtime"
        convert_folder(inbox, out, workers=1, org=get_organisation("kameo-no"), received=received)  # type: ignore[arg-type]
        made[name] = out
    return made


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_register_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def opened(engine: Engine, outs: dict[str, Path]) -> Engine:
    """Eva's complaint in the register, acknowledged by an e-mail of ours (ACK_ID) sent to her; decided within
    15 working days (a profile file's timeframe: the built-in Norwegian profile sets none)."""
    assert import_batch(engine, outs["complaint.eml"]).references == [REF]
    sent_letter(engine, REF, "ack", make.ACK_ID, recipient=EVA)
    register = Register(engine)
    profile = Profile.built_in(get_organisation("kameo-no").model_copy(update={"decision_working_days": 15}))
    with register.session() as s, s.begin():
        register.set_profile(s, REF, profile, who="linn")
        register.set_status(s, REF, "acknowledged", who="linn", on=date(2026, 11, 30))
    return engine


def _case(engine: Engine, reference: str = REF) -> Case:
    register = Register(engine)
    with register.session() as s:
        return register.case(s, reference)


def _references(engine: Engine) -> list[str]:
    register = Register(engine)
    with register.session() as s:
        return [c.reference for c in register.cases(s)]


# -- rule 1: replies ------------------------------------------------------------------------------------


def test_a_reply_naming_the_case_from_the_complainant_threads(opened: Engine, outs: dict[str, Path],
                                                              db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """VS: [KLA-NO-2026-0001] from her address (another display name): the same case, its documents on it."""
    before = _case(opened)
    summary = import_batch(opened, outs["reply-vs.eml"])
    assert (summary.added, summary.threaded, summary.references) == (0, 1, [])
    assert _references(opened) == [REF]  # no new reference
    case = _case(opened)
    [reply] = case.correspondence
    assert (reply.kind, reply.matched_by, reply.sender, reply.letter) == ("reply", "subject", EVA, None)
    assert reply.documents == ("kontoutskrift.pdf",)
    assert (case.acknowledge_by, case.decide_by, case.status) == (before.acknowledge_by, before.decide_by,
                                                                  "acknowledged")  # no new deadline
    [event] = [e for e in case.events if e.what == "correspondence"]
    assert "Her er kontoutskriften dere ba om." in (event.note or "")
    assert "kontoutskrift.pdf" in [d.name for d in case.documents]
    with Session(opened) as s:
        documents = [(d.kind, d.name, d.missing) for d in list_documents(s, REF)]
    assert ("attachment", "kontoutskrift.pdf", False) in documents
    assert sum(kind == "message" for kind, _, _ in documents) == 2  # her complaint and her reply
    assert main(["register", "show", REF, "--db", db_url]) == 0
    shown = capsys.readouterr().out
    assert "Korrespondance" in shown and "VS: [KLA-NO-2026-0001]" in shown and "kontoutskrift.pdf" in shown
    again = import_batch(opened, outs["reply-vs.eml"])  # a second import adds nothing
    assert (again.threaded, again.already) == (0, 1) and len(_case(opened).correspondence) == 1


def test_a_references_chain_naming_our_letter_threads(opened: Engine, outs: dict[str, Path]) -> None:
    """SV: SV: AW: Antw: without the reference; our acknowledgement's Message-ID third from the end of five."""
    assert import_batch(opened, outs["reply-chain.eml"]).threaded == 1
    [reply] = _case(opened).correspondence
    assert (reply.matched_by, reply.letter, reply.documents) == ("message_id", "ack", ("skjermbilde.png",))


def test_without_our_letter_the_same_chain_is_a_new_case(engine: Engine, outs: dict[str, Path]) -> None:
    """No letter of ours in the chain (nothing sent): her own Message-IDs never thread, a case of its own."""
    import_batch(engine, outs["complaint.eml"])
    summary = import_batch(engine, outs["reply-chain.eml"])
    assert (summary.added, summary.threaded) == (1, 0)
    assert _case(engine).correspondence == ()
    assert [r.code for r in _case(engine, summary.references[0]).review] == ["email_complaint"]  # no "mentions"


def test_a_stranger_quoting_the_reference_opens_a_case_of_its_own(opened: Engine, outs: dict[str, Path]) -> None:
    """Re: [KLA-NO-2026-0001] from someone else, In-Reply-To copied from Eva's complaint: never her case."""
    summary = import_batch(opened, outs["stranger.eml"])
    assert (summary.added, summary.threaded) == (1, 0)
    new = _case(opened, summary.references[0])
    assert new.reference == "KLA-NO-2026-0002"
    [mention] = [r for r in new.review if r.code == "mentions_reference"]
    assert mention.value == REF and mention.message is not None and mention.message.startswith(f"mentions {REF}")
    case = _case(opened)
    assert case.correspondence == () and len(case.files) == 1


def test_a_reference_from_the_representative_threads_and_a_wrong_mailbox_does_not(engine: Engine) -> None:
    """The representative's address counts like the complainant's; a local part of another case does not."""
    record = complaint_record(1, received="2026-11-23", org="kameo-no", lang="nb", email="Kunde@Example.dk")
    record["complaint"]["representative"] = {"last_name": "Advokat", "email": "advokat@law.example"}
    add_record(engine, record)
    reference = "KLA-NO-2026-0001"

    def reply(i: int, sender: str) -> str:
        line = {"source": f"svar-{i}.eml", "sha256": f"{i:064x}", "message_sha256": f"{i:064x}",
                "message_id": f"<svar-{i}@example>", "from": sender, "subject": f"Sv: [{reference}] Kvittering",
                "received": "2026-12-01T10:00:00+01:00", "received_from": "date", "method": "email",
                "organisation": "kameo-no", "status": "needs_review", "complaint": {"subject": "Svar"}}
        return add_record(engine, line).outcome

    assert reply(1, "Advokat <ADVOKAT@LAW.EXAMPLE>") == "added"  # the local part differs in case
    assert reply(2, "Advokat <advokat@LAW.example>") == "threaded"
    assert reply(3, "Kunde <Kunde@EXAMPLE.DK>") == "threaded"  # the complainant, domain in another case
    assert reply(4, "kunde@example.dk") == "added"
    assert len(_case(engine, reference).correspondence) == 2


def test_a_merged_case_reference_threads_to_the_case_it_joined(opened: Engine, outs: dict[str, Path]) -> None:
    add_record(opened, complaint_record(2, received="2026-11-24", org="kameo-no", lang="nb", email=EVA))
    register = Register(opened)
    with register.session() as s, s.begin():
        register.merge(s, REF, into="KLA-NO-2026-0002", who="linn")
    assert import_batch(opened, outs["reply-vs.eml"]).threaded == 1
    assert [c.reference for c in _case(opened, "KLA-NO-2026-0002").correspondence] == ["KLA-NO-2026-0002"]


def test_a_reply_on_a_decided_case_threads_and_asks_for_a_person(opened: Engine, outs: dict[str, Path]) -> None:
    register = Register(opened)
    with register.session() as s, s.begin():
        register.set_status(s, REF, "under_review", who="linn")
        register.set_status(s, REF, "decided", who="linn", outcome="not_upheld")
    assert import_batch(opened, outs["reply-vs.eml"]).threaded == 1
    case = _case(opened)
    assert case.status == "decided" and len(case.correspondence) == 1  # never reopened silently
    assert [r.code for r in case.review if r.path == "correspondence"] == ["reply_after_decision"]


def test_a_reply_to_an_erased_case_is_a_case_of_its_own(opened: Engine, outs: dict[str, Path]) -> None:
    """After an erasure the case has no address to match and no letter of ours to answer: a reply naming it
    and a chain naming our acknowledgement each become a new case, and nothing personal joins the erased one."""
    register = Register(opened)
    with register.session() as s, s.begin():
        for status, outcome in (("under_review", None), ("decided", "not_upheld"), ("closed", None)):
            register.set_status(s, REF, status, who="linn", outcome=outcome)
        register.erase(s, REF, reason="mail 2026-12-01", who="linn")
    for name in ("reply-vs.eml", "reply-chain.eml"):
        summary = import_batch(opened, outs[name])
        assert (summary.added, summary.threaded) == (1, 0), name
    case = _case(opened)
    assert (case.correspondence, case.documents, case.files, case.review) == ((), (), (), ())
    assert len(_references(opened)) == 3


def test_a_reply_restarts_the_clock_of_a_case_waiting_for_the_customer(opened: Engine, outs: dict[str, Path]) -> None:
    register = Register(opened)
    with register.session() as s, s.begin():
        register.wait(s, REF, what="kontoutskrift", who="linn", on=date(2026, 11, 25))
    waiting = _case(opened)
    assert import_batch(opened, outs["reply-vs.eml"]).threaded == 1
    case = _case(opened)
    assert case.waiting_since is None and case.paused_days > 0
    assert case.decide_by is not None and waiting.decide_by is not None and case.decide_by > waiting.decide_by
    assert [e.what for e in case.events][-2:] == ["correspondence", "resume"]


# -- rule 2: bounces and auto-replies ----------------------------------------------------------------------


def test_a_postfix_bounce_of_the_acknowledgement_flags_the_case(opened: Engine, outs: dict[str, Path], db_url: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert [r.delivery_status for r in read_records(outs["dsn-postfix.eml"] / SET_ASIDE)] == [
        "5.1.1 failed: smtp; 550 5.1.1 <eva.orsted@example.no>: Recipient address rejected: User unknown in "
        "virtual mailbox table"]
    summary = import_batch(opened, outs["dsn-postfix.eml"])
    assert (summary.linked, summary.added, summary.set_aside) == (1, 0, 0)
    case = _case(opened)
    [bounce] = case.correspondence
    assert (bounce.kind, bounce.letter, bounce.matched_by) == ("delivery_failed", "ack", "message_id")
    assert [e.what for e in case.events][-1] == "delivery_failed"
    with Session(opened) as s:
        letter = s.scalars(select(OutgoingRow)).one()
        assert letter.state == "failed" and (letter.last_reply or "").startswith("5.1.1 failed")
    assert main(["register", "due", "--db", db_url, "--today", "2026-12-01"]) == 1
    due = capsys.readouterr().out
    assert f"{REF}" in due and "acknowledgement not delivered (5.1.1) — send on paper or to another address" in due
    # Sent on paper: the case leaves the list of letters to send again.
    sent_letter(opened, REF, "ack", None, recipient=None, state="to_post", dated=date(2026, 12, 1))
    main(["register", "due", "--db", db_url, "--today", "2026-12-01", "--json"])
    listed = json.loads(capsys.readouterr().out)
    assert not [i for key in ("overdue", "due_today", "upcoming") for i in listed[key]
                if i["action"].startswith("resend")]


def test_a_bounce_of_a_message_not_ours_stays_set_aside(opened: Engine, outs: dict[str, Path]) -> None:
    batch = json.loads((outs["dsn-unknown.eml"] / "summary.json").read_text())
    assert batch["set_aside"] == 1 and batch["complaints"] == 0
    summary = import_batch(opened, outs["dsn-unknown.eml"])
    assert (summary.set_aside, summary.linked, summary.added) == (1, 0, 0)
    assert _references(opened) == [REF] and _case(opened).correspondence == ()
    with Session(opened) as s:
        assert s.scalars(select(OutgoingRow.state)).all() == ["sent"]


def test_a_bounce_needs_our_letter_to_be_linked(engine: Engine, outs: dict[str, Path]) -> None:
    """The same Postfix bounce with no letter of ours recorded: set aside, no case touched."""
    import_batch(engine, outs["complaint.eml"])
    assert import_batch(engine, outs["dsn-postfix.eml"]).set_aside == 1
    assert _case(engine).correspondence == ()


def test_a_qmail_bounce_is_found_by_the_message_id_in_its_text(opened: Engine, outs: dict[str, Path],
                                                               db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    sent_letter(opened, REF, "decision", make.DECISION_ID, recipient=EVA, dated=date(2026, 12, 1))
    assert import_batch(opened, outs["bounce-qmail.eml"]).linked == 1
    [bounce] = _case(opened).correspondence
    assert (bounce.kind, bounce.letter) == ("delivery_failed", "decision")
    main(["register", "due", "--db", db_url, "--today", "2026-12-02"])
    assert "decision not delivered (" in (out := capsys.readouterr().out)
    assert "— send on paper or to another address" in out and "letter decision" in out


def test_an_auto_reply_is_linked_and_does_not_restart_the_clock(opened: Engine, outs: dict[str, Path]) -> None:
    sent_letter(opened, REF, "decision", make.DECISION_ID, recipient=EVA, dated=date(2026, 12, 1))
    register = Register(opened)
    with register.session() as s, s.begin():
        register.wait(s, REF, what="kontoutskrift", who="linn", on=date(2026, 11, 25))
    assert import_batch(opened, outs["autoreply.eml"]).linked == 1
    case = _case(opened)
    [auto] = case.correspondence
    assert (auto.kind, auto.letter) == ("auto_reply", "decision")
    assert case.waiting_since == date(2026, 11, 25)  # an out-of-office is not the customer's answer
    with Session(opened) as s:
        assert sorted(s.scalars(select(OutgoingRow.state)).all()) == ["sent", "sent"]  # delivered after all
    assert [e.what for e in case.events][-1] == "auto_reply"


def test_an_out_of_office_subject_on_a_reply_to_us_is_an_auto_reply(opened: Engine) -> None:
    """Without an RFC 3834 header (older Exchange): the subject decides, but only for a message naming our letter."""
    line = {"source": "ferie.eml", "sha256": "e" * 64, "message_sha256": "e" * 64, "message_id": "<ferie@example>",
            "from": EVA, "subject": "Automatisk svar: [KLA-NO-2026-0001] Kvittering", "in_reply_to": [make.ACK_ID],
            "received": "2026-12-01T10:00:00+01:00", "received_from": "date", "method": "email",
            "organisation": "kameo-no", "status": "needs_review", "complaint": {"subject": "Jeg er på ferie"}}
    assert add_record(opened, line).outcome == "threaded"
    assert [c.kind for c in _case(opened).correspondence] == ["auto_reply"]


# -- the migration -------------------------------------------------------------------------------------------


def test_upgrade_to_correspondence_keeps_cases_and_letters(db_url: str) -> None:
    """0009 → 0013 on a register with a case and a sent letter: the table starts empty, one row per message,
    kinds from the vocabulary; back down keeps the cases and the outbox."""
    from klageformular.register._db import downgrade, upgrade
    from klageformular.register._schema import CorrespondenceRow, EventRow

    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0009")
    add_record(engine, complaint_record(1, received="2026-11-02"))
    sent_letter(engine, "KLA-2026-0001", "ack", "<a.1@kameo.dk>", recipient="kunde1@example.dk")
    upgrade(engine, "0013")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM correspondence")).scalar() == 0
    with Session(engine) as s, s.begin():
        event = EventRow(complaint_id=1, at=sa.func.now(), who="x", what="correspondence")
        s.add(event)
        s.flush()
        s.add(CorrespondenceRow(complaint_id=1, event_id=event.id, kind="reply", matched_by="subject",
                                message_sha256="a" * 64, documents=[]))
    for bad in ({"kind": "letter", "matched_by": "subject", "message_sha256": "b" * 64},
                {"kind": "reply", "matched_by": "guess", "message_sha256": "c" * 64},
                {"kind": "reply", "matched_by": "subject", "message_sha256": "a" * 64}):  # the same message twice
        with Session(engine) as s, s.begin():
            other = EventRow(complaint_id=1, at=sa.func.now(), who="x", what="correspondence")
            s.add(other)
            s.flush()
            s.add(CorrespondenceRow(complaint_id=1, event_id=other.id, documents=[], **bad))
            with pytest.raises(sa.exc.IntegrityError):
                s.flush()
            s.rollback()
    downgrade(engine, "0009")
    with engine.connect() as connection:
        assert "correspondence" not in sa.inspect(connection).get_table_names()
        assert connection.execute(sa.text("SELECT count(*) FROM outgoing")).scalar() == 1
    engine.dispose()
