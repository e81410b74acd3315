"""What a message says about its conversation (intake/_replies.py): prefixes, references, addresses,
delivery reports and auto-replies — on hand-written cases and on the Mutt and Postfix fixtures."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from klageformular.intake import read_message
from klageformular.intake._replies import (
    automatic_kind,
    automatic_reason,
    looks_automatic,
    message_ids,
    normal_address,
    same_address,
    strip_prefixes,
    subject_references,
)

from .conftest import load_script, require_tool, run_tool

THREAD = Path(__file__).parent / "fixtures" / "mail" / "thread"
make = load_script("tests/fixtures/mail/make_thread_mail.py")


@pytest.mark.parametrize(("subject", "references"), [
    ("VS: [KLA-NO-2026-0001] Kvittering", ["KLA-NO-2026-0001"]),
    ("SV: Re: AW: Antw: Fwd: FW: VB: WG: Sv: Vs: RE: kla-2026-0007", ["KLA-2026-0007"]),
    ("Re[2]: Re: [KLA-SE-2026-0012] Svar", ["KLA-SE-2026-0012"]),
    ("AW:Kvittering KLA-2026-0001 og KLA-NO-2026-0002", ["KLA-2026-0001", "KLA-NO-2026-0002"]),
    ("Klage KLA-2026-0001", ["KLA-2026-0001"]),  # no prefix: the reference counts all the same
    ("Ordre XKLA-2026-0001, KLA-2026-0001-B, KLA-26-0001", []),  # not references: other words around them
    ("", []),
    (None, []),
])
def test_subject_references(subject: str | None, references: list[str]) -> None:
    assert subject_references(subject) == references


def test_prefixes_are_stripped_in_any_case_and_only_at_the_start() -> None:
    assert strip_prefixes("re: SV:  vs :  Svar på: klagen") == "Svar på: klagen"
    assert strip_prefixes("Kvittering: Re: klagen") == "Kvittering: Re: klagen"
    assert strip_prefixes("Revisor: klagen") == "Revisor: klagen"  # "Re" must end in a colon


def test_message_ids_read_a_folded_chain_and_ignore_what_is_between() -> None:
    assert message_ids("<a@x>\r\n <b@y> (a comment) junk <c@z> <a@x>") == ["<a@x>", "<b@y>", "<c@z>"]
    assert message_ids("no ids here") == [] and message_ids(None) == []
    assert len(message_ids(" ".join(f"<{i}@x>" for i in range(500)))) == 100  # the newest hundred


@pytest.mark.parametrize(("one", "other", "same"), [
    ("Eva Ørsted <eva.orsted@example.no>", "eva.orsted@EXAMPLE.NO", True),  # the domain without case
    ("EVA ØRSTED <eva.orsted@example.no>", "Eva <eva.orsted@example.no>", True),  # display names do not count
    ("Eva.Orsted@example.no", "eva.orsted@example.no", False),  # the local part is the mailbox's own
    ("eva.orsted@example.no.evil.net", "eva.orsted@example.no", False),
    ("Eva Ørsted", "eva.orsted@example.no", False),  # no address at all
    (None, None, False),
])
def test_same_address(one: str | None, other: str | None, same: bool) -> None:
    assert same_address(one, other) is same


def test_normal_address() -> None:
    assert normal_address("\"Ørsted, Eva\" <Eva@Example.NO>") == "Eva@example.no"
    assert normal_address("not an address") is None


def _headers(*lines: str, body: str = "Tekst") -> bytes:
    return ("\r\n".join(["From: Eva <eva@example.no>", "Subject: x", *lines]) + "\r\n\r\n" + body).encode()


@pytest.mark.parametrize(("lines", "reason"), [
    (["Auto-Submitted: auto-replied"], "auto-reply (Auto-Submitted: auto-replied)"),
    (["Auto-Submitted: auto-generated"], "auto-reply (Auto-Submitted: auto-generated)"),
    (["Auto-Submitted: no"], None),
    (["X-Autoreply: yes"], "auto-reply (X-Autoreply)"),
    (["X-Autorespond: Out of office"], "auto-reply (X-Autoreply)"),
    (["Precedence: auto_reply"], "auto-reply (Precedence: auto_reply)"),
    (["Precedence: bulk"], None),  # a newsletter, not an answer to us: a person decides
    (["Content-Type: multipart/report; report-type=delivery-status; boundary=b", "Auto-Submitted: auto-replied"],
     "delivery report (multipart/report; delivery-status)"),
])
def test_automatic_reason(lines: list[str], reason: str | None) -> None:
    message = message_from_bytes(_headers(*lines), policy=policy.default)
    assert automatic_reason(message) == reason


def test_a_bounce_from_the_mail_system_is_a_delivery_report_without_any_header() -> None:
    message = message_from_bytes(_headers(body="").replace(b"eva@example.no", b"MAILER-DAEMON@mx.example.no"),
                                 policy=policy.default)
    assert automatic_reason(message) == "delivery report (from mailer-daemon)"
    assert automatic_kind(automatic_reason(message)) == "delivery_failed"
    assert automatic_kind("auto-reply (X-Autoreply)") == "auto_reply"


def test_out_of_office_subjects() -> None:
    for subject in ("Automatisk svar: Kvittering", "Out of Office: x", "Fraværende: [KLA-2026-0001]",
                    "Autosvar: x", "Abwesenheitsnotiz: x", "Automatic reply: x"):
        assert looks_automatic(subject), subject
    for other in ("Re: Kvittering", "Klage over fravær", None):
        assert not looks_automatic(other)


# -- the fixtures --------------------------------------------------------------------------------------


def test_mutt_replies_carry_their_chain() -> None:
    complaint = read_message((THREAD / "complaint.eml").read_bytes())
    chain = read_message((THREAD / "reply-chain.eml").read_bytes())
    assert len(chain.references) == 5 and chain.references[0] == complaint.message_id
    assert chain.references[1] == make.ACK_ID and chain.in_reply_to == [chain.references[-1]]
    assert subject_references(chain.subject) == [] and chain.automatic is None
    vs = read_message((THREAD / "reply-vs.eml").read_bytes())
    assert subject_references(vs.subject) == [make.REFERENCE] and vs.in_reply_to == [] == vs.references
    assert [a.name for a in vs.attachments] == ["kontoutskrift.pdf"] and vs.sender_name == "EVA ØRSTED"
    stranger = read_message((THREAD / "stranger.eml").read_bytes())
    assert stranger.in_reply_to == [complaint.message_id] and stranger.sender_address == "mallory@example.net"


def test_the_postfix_dsn_names_our_acknowledgement_and_its_status() -> None:
    dsn = read_message((THREAD / "dsn-postfix.eml").read_bytes())
    assert dsn.automatic == "delivery report (multipart/report; delivery-status)"
    assert dsn.quoted_ids == [make.ACK_ID] and dsn.in_reply_to == []
    assert dsn.delivery_status is not None and dsn.delivery_status.startswith("5.1.1 failed: smtp; 550 5.1.1")


def test_the_qmail_bounce_names_our_decision_only_in_its_text() -> None:
    bounce = read_message((THREAD / "bounce-qmail.eml").read_bytes())
    assert bounce.automatic == "delivery report (from mailer-daemon)"
    assert bounce.quoted_ids == [make.DECISION_ID] and bounce.delivery_status is None


def test_the_auto_reply_answers_our_decision() -> None:
    auto = read_message((THREAD / "autoreply.eml").read_bytes())
    assert auto.automatic == "auto-reply (Auto-Submitted: auto-replied)" and auto.in_reply_to == [make.DECISION_ID]


def test_mutt_regenerates_the_thread_fixtures(tmp_path: Path) -> None:
    """The committed fixtures are what the script makes with today's Mutt (dates, IDs and boundaries aside)."""
    require_tool("mutt")
    require_tool("pdftoppm")
    run_tool("python3", THREAD.parent / "make_thread_mail.py", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in THREAD.iterdir())
    originals = {folder: str(read_message((folder / "complaint.eml").read_bytes()).message_id)
                 for folder in (tmp_path, THREAD)}
    for path in sorted(THREAD.iterdir()):
        made, committed = (read_message((folder / path.name).read_bytes()) for folder in (tmp_path, THREAD))
        # A bounce quotes our letter's headers, whose In-Reply-To is the complaint's Mutt-made Message-ID.
        made.body = made.body.replace(originals[tmp_path], "<original>")
        committed.body = committed.body.replace(originals[THREAD], "<original>")
        assert (made.sender, made.subject, made.body, made.automatic, made.delivery_status, made.problems) == (
            committed.sender, committed.subject, committed.body, committed.automatic, committed.delivery_status,
            committed.problems), path.name
        assert [(a.name, a.content_type) for a in made.attachments] == [
            (a.name, a.content_type) for a in committed.attachments]
        # Our Message-IDs are fixed; the customers' are Mutt's own, new on each run.
        ours = {make.ACK_ID, make.DECISION_ID}
        assert [i for i in made.references + made.in_reply_to + made.quoted_ids if i in ours] == [
            i for i in committed.references + committed.in_reply_to + committed.quoted_ids if i in ours]
        if path.name.endswith(".eml") and not path.name.startswith(("dsn", "bounce")):
            assert b"User-Agent: Mutt/" in (tmp_path / path.name).read_bytes()
    assert not list(tmp_path.glob(".work.*"))
