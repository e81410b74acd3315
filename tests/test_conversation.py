"""The conversation by mail, end to end, against real servers on loopback (issue 26's acceptance test).

A throw-away Postfix (tests/postfix.py) delivers into a throw-away Dovecot (tests/dovecot.py): the
complaints inbox (``klage@kameo.test``, whose Sent folder gets our copies) and the customers'
mailboxes. Customers submit through Postfix as their mail program would (SMTP, tests/mailforms.py
builds the messages: a rendered form filled with pypdf); ``watch`` reads the complaints inbox over
IMAP; letters go out with ``letter … --send`` (or the watch's ``--auto-ack``) through the same
Postfix, and are read back over IMAP from the customer's mailbox as they got them. Skips with the
reason without Postfix, Dovecot or root.
"""

from __future__ import annotations

import email
import email.policy
import smtplib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from klageformular.cli import main
from klageformular.locales import letter_texts as texts
from klageformular.register import Case, Register, WatchRun, create_register_engine, list_documents, read_document
from klageformular.register._schema import BlobRow, OutgoingRow

from .dovecot import USER, Dovecot, dovecot
from .mailforms import FORM_NAME, form, mail, profile_file
from .postfix import Postfix, postfix, wait_for

CUSTOMER, STRANGER, NOBODY = "kunde@example.dk", "fremmed@example.dk", "ingen@example.dk"  # NOBODY has no mailbox
STATEMENT = (Path(__file__).parent / "fixtures" / "letter.pdf").read_bytes()  # "a new document" the reply brings
REF = "KLA-2026-0001"


@dataclass
class World:
    """The servers and the register of one test, with the steps an officer and a customer take."""

    boxes: Dovecot
    mta: Postfix
    db: str
    work: Path
    profile: str
    tmp: Path

    def submit(self, sender: str, data: bytes, to: str = USER) -> None:
        """The customer's mail program hands the message to its server (Postfix), which delivers it."""
        with smtplib.SMTP(self.mta.host, self.mta.port, timeout=30) as client:
            refused = client.sendmail(sender, [to], data)
        assert refused == {}

    def arrived(self, user: str, count: int) -> None:
        assert len(wait_for(self.boxes, user, count)) >= count, self.mta.log()[-3000:]

    def watch(self, *extra: str) -> None:
        assert main(["watch", self.boxes.url(), "--db", self.db, "--once", "--work", str(self.work),
                     "--org-file", self.profile, *extra]) == 0

    def letter(self, kind: str, ref: str, *extra: str) -> None:
        assert main(["letter", kind, ref, "--send", "--db", self.db, "--org-file", self.profile, "--who", "linn",
                     "-o", str(self.tmp / f"{ref}-{kind}.pdf"), *extra]) == 0

    def case(self, ref: str = REF) -> Case:
        engine = create_register_engine(self.db)
        try:
            register = Register(engine)
            with register.session() as s:
                return register.case(s, ref)
        finally:
            engine.dispose()

    def references(self) -> list[str]:
        engine = create_register_engine(self.db)
        try:
            register = Register(engine)
            with register.session() as s:
                return [c.reference for c in register.cases(s)]
        finally:
            engine.dispose()

    def letters(self) -> list[tuple[OutgoingRow, bytes]]:
        """Every letter in the outbox with the message's bytes as stored."""
        engine = create_register_engine(self.db)
        try:
            with Register(engine).session() as s:
                rows = list(s.scalars(select(OutgoingRow).order_by(OutgoingRow.id)))
                return [(r, bytes(s.scalars(select(BlobRow.data).where(BlobRow.sha256 == r.sha256)).one()))
                        for r in rows]
        finally:
            engine.dispose()

    def documents(self, ref: str = REF) -> list[tuple[str, str | None, bytes]]:
        """(kind, name, bytes) of each document of the case, in the order the register got them."""
        engine = create_register_engine(self.db)
        try:
            with Register(engine).session() as s:
                return [(d.kind, d.name, read_document(s, ref, d.number)[1]) for d in list_documents(s, ref)]
        finally:
            engine.dispose()

    def runs(self) -> list[WatchRun]:
        engine = create_register_engine(self.db)
        try:
            register = Register(engine)
            with register.session() as s:
                return register.runs(s)
        finally:
            engine.dispose()

    def mailbox(self, user: str, folder: str = "INBOX") -> list[bytes]:
        """The messages in ``user``'s ``folder`` over IMAP, oldest first, exactly as the server hands them out."""
        from imapclient import IMAPClient

        with IMAPClient(self.boxes.host, port=self.boxes.port, ssl=False, timeout=30) as client:
            client.login(user, self.boxes.password)
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            found = client.fetch(client.search("ALL"), ["BODY.PEEK[]"])
            return [bytes(v[b"BODY[]"]) for _, v in sorted(found.items())]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with dovecot(users=(CUSTOMER, STRANGER)) as boxes, \
            postfix(boxes, domains=("kameo.test", "example.dk"), bounce_later=True) as mta:
        monkeypatch.setenv("KLAGEFORMULAR_SMTP_URL", mta.url)
        monkeypatch.setenv("KLAGEFORMULAR_IMAP_URL", boxes.url("Sent"))
        monkeypatch.setenv("KLAGEFORMULAR_IMAP_PASSWORD", boxes.password)  # intake and the Sent folder: one login
        yield World(boxes, mta, f"sqlite:///{tmp_path / 'klager.db'}", tmp_path / "watch",
                    profile_file(tmp_path, auto=False, officer=USER), tmp_path)


def _parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _pdfs(message: EmailMessage) -> list[bytes]:
    return [p.get_content() for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]


def _body(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[1]


def _headers(data: bytes) -> list[tuple[str, str]]:
    return [(k.lower(), str(v)) for k, v in email.message_from_bytes(data, policy=email.policy.compat32).items()]


def test_form_by_mail_acknowledged_replied_to_and_decided_is_one_conversation(world: World,
                                                                             capsys: pytest.CaptureFixture[str]
                                                                             ) -> None:
    t = texts("da")
    # 1. The customer mails the filled form to the complaints inbox; the watch reads it over IMAP.
    complaint_id = "<klage-1@mail.example.dk>"
    world.submit(CUSTOMER, mail(f"Kunde Jensen <{CUSTOMER}>", USER, "Klage over renten", message_id=complaint_id,
                                attachment=form(email=CUSTOMER)))  # the same bytes each time (no clock in it)
    world.arrived(USER, 1)
    world.watch()
    assert world.references() == [REF]
    case = world.case()
    assert (case.status, case.method, case.channel, case.review) == ("received", "acroform", "email", ())
    sent_form = form(email=CUSTOMER)
    assert [(kind, data) for kind, name, data in world.documents() if name == FORM_NAME] == [("attachment", sent_form)]

    # 2. The acknowledgement goes out through Postfix and lands in the customer's mailbox as stored.
    world.letter("ack", REF)
    ((ack, ack_stored),) = world.letters()
    assert ack.state == "sent" and (ack.last_reply or "").startswith("250 2.0.0 Ok: queued as ")
    world.arrived(CUSTOMER, 1)
    (got,) = world.mailbox(CUSTOMER)
    received = _parsed(got)
    assert received["Message-ID"] == ack.message_id and received["In-Reply-To"] == complaint_id
    assert received["References"] == complaint_id and received["From"].addresses[0].addr_spec == USER
    assert str(received["Subject"]) == f"[{REF}] {t['ack.title']}"
    # The message arrives byte for byte as the register stored it; the servers only add their trace lines above.
    assert got.endswith(ack_stored)
    assert {name for name, _ in _headers(got[:-len(ack_stored)])} == {"return-path", "x-original-to", "delivered-to",
                                                                      "received"}
    (pdf,) = _pdfs(received)
    assert pdf == (world.tmp / f"{REF}-ack.pdf").read_bytes()
    assert world.case().status == "acknowledged"

    # 3. The customer answers as a mail client does: "VS: [REF] …", In-Reply-To our Message-ID, a new PDF.
    time.sleep(1.1)  # a reply comes after the letter it answers: its Date (whole seconds) sorts after it
    reply_id = "<svar-1@mail.example.dk>"
    world.submit(CUSTOMER, mail(f"Kunde Jensen <{CUSTOMER}>", USER, f"VS: [{REF}] {t['ack.title']}",
                                message_id=reply_id, in_reply_to=ack.message_id,
                                references=f"{complaint_id} {ack.message_id}", attachment=STATEMENT,
                                filename="kontoudtog.pdf", text="Her er mit kontoudtog."))
    world.arrived(USER, 2)
    world.watch()
    assert world.references() == [REF]  # no new reference
    case = world.case()
    (reply,) = case.correspondence
    assert (reply.kind, reply.matched_by, reply.letter, reply.sender) == ("reply", "message_id", "ack", CUSTOMER)
    assert "kontoudtog.pdf" in reply.documents
    assert [data for _, name, data in world.documents() if name == "kontoudtog.pdf"] == [STATEMENT]
    assert world.runs()[0].imported == 0  # the run threaded it: nothing new

    # 4. The decision goes out; the case is one conversation of four messages, in order.
    reasons = world.tmp / "begrundelse.md"
    reasons.write_text("Vi giver dig medhold.", encoding="utf-8")
    world.letter("decision", REF, "--outcome", "upheld", "--reasons", str(reasons))
    world.arrived(CUSTOMER, 2)
    case = world.case()
    assert case.status == "decided" and case.outcome == "upheld"
    (ack, _), (decision, decision_stored) = world.letters()
    assert [(m.direction, m.kind) for m in case.conversation] == [
        ("in", "complaint"), ("out", "ack"), ("in", "reply"), ("out", "decision")]
    assert [m.message_id for m in case.conversation if m.direction == "out"] == [ack.message_id, decision.message_id]
    assert [m.state for m in case.conversation if m.direction == "out"] == ["sent", "sent"]
    assert case.conversation[0].message_id == complaint_id and "kontoudtog.pdf" in case.conversation[2].documents
    assert [_parsed(m)["Message-ID"] for m in world.mailbox(CUSTOMER)] == [ack.message_id, decision.message_id]
    last = _parsed(world.mailbox(CUSTOMER)[1])
    assert str(last["Subject"]) == f"[{REF}] {t['decision.title']}"
    assert _pdfs(last) == [(world.tmp / f"{REF}-decision.pdf").read_bytes()]
    # The complaints mailbox's Sent folder holds our two letters, as sent.
    assert world.mailbox(USER, "Sent") == [ack_stored.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
                                           decision_stored.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")]
    assert main(["register", "show", REF, "--db", world.db]) == 0
    shown = capsys.readouterr().out
    conversation = shown.split("Korrespondance\n", 1)[1].split("\n\n", 1)[0]
    assert [line.split()[2:4] for line in conversation.splitlines() if not line.startswith("      ")] == [
        ["in", "complaint"], ["out", "ack"], ["in", "reply"], ["out", "decision"]]
    print(f"conversation: {len(world.mailbox(USER))} messages in the complaints inbox, "
          f"{len(world.mailbox(USER, 'Sent'))} in Sent, {len(world.mailbox(CUSTOMER))} in the customer's; "
          f"{len(world.references())} case, {len(world.documents())} documents "
          f"({', '.join(f'{kind} {name}' for kind, name, _ in world.documents())}), {len(case.conversation)} in "
          f"the conversation")  # pytest -s shows it


def test_a_stranger_quoting_the_reference_opens_a_new_case_and_a_bounce_flags_the_case(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    t = texts("da")
    world.submit(CUSTOMER, mail(f"Kunde Jensen <{CUSTOMER}>", USER, "Klage over renten",
                                message_id="<klage-1@mail.example.dk>", attachment=form(email=CUSTOMER)))
    world.arrived(USER, 1)
    world.watch()
    world.letter("ack", REF)
    # Someone else writes with the reference in the subject (no In-Reply-To): a case of its own, flagged.
    world.submit(STRANGER, mail(f"Fremmed <{STRANGER}>", USER, f"VS: [{REF}] {t['ack.title']}",
                                message_id="<fremmed-1@mail.example.dk>", text="Jeg har samme problem."))
    # A complaint whose form gives an address with no mailbox: Postfix takes the letter, then bounces it.
    world.submit(CUSTOMER, mail(f"Kunde Jensen <{CUSTOMER}>", USER, "Klage nummer to",
                                message_id="<klage-2@mail.example.dk>", attachment=form(email=NOBODY, name="Holm")))
    world.arrived(USER, 3)
    world.watch()
    assert world.references() == [REF, "KLA-2026-0002", "KLA-2026-0003"]
    stranger = world.case("KLA-2026-0002")
    (mentions,) = [r for r in stranger.review if r.code == "mentions_reference"]
    assert mentions.value == REF and (mentions.message or "").startswith(f"mentions {REF}")
    assert stranger.sender is not None and STRANGER in str(stranger.sender.from_)
    assert world.case().correspondence == ()  # never attached to the customer's case
    world.letter("ack", "KLA-2026-0003")
    ((_, _), (bounced, _)) = world.letters()
    assert bounced.state == "sent" and bounced.recipient == NOBODY  # Postfix said 250: the bounce comes later
    world.arrived(USER, 4)  # Postfix's own delivery report, to our address
    world.watch()
    assert world.references() == [REF, "KLA-2026-0002", "KLA-2026-0003"]
    case = world.case("KLA-2026-0003")
    (dsn,) = case.correspondence
    assert (dsn.kind, dsn.letter, dsn.matched_by) == ("delivery_failed", "ack", "message_id")
    assert "5.1.1" in (dsn.delivery_status or "")
    assert main(["register", "due", "--db", world.db, "--days", "30"]) == 1  # a letter not delivered: exit 1
    due = capsys.readouterr().out
    (line,) = [line for line in due.splitlines() if line.startswith("not delivered")]  # only the bounced one
    assert line.split()[2] == "KLA-2026-0003"
    assert "acknowledgement not delivered (5.1.1) — send on paper or to another address" in line


def test_the_watch_acknowledges_a_complete_form_itself_and_not_one_needing_review(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.profile = profile_file(world.tmp, auto=True, officer=USER)
    world.submit(CUSTOMER, mail(f"Kunde Jensen <{CUSTOMER}>", USER, "Klage over renten",
                                message_id="<klage-1@mail.example.dk>", attachment=form(email=CUSTOMER)))
    world.submit(STRANGER, mail(f"Fremmed <{STRANGER}>", USER, "Klage",
                                message_id="<klage-2@mail.example.dk>",
                                attachment=form(email=STRANGER, name="Holm", bad_email=True)))
    world.arrived(USER, 2)
    world.watch("--auto-ack")
    assert "1 sent, 0 not sent, 1 waiting for review" in capsys.readouterr().out
    refs = world.references()
    assert len(refs) == 2
    statuses = {ref: world.case(ref) for ref in refs}
    (acked,) = [c for c in statuses.values() if c.status == "acknowledged"]
    (waiting,) = [c for c in statuses.values() if c.status == "received"]
    assert acked.complaint is not None and acked.complaint.complainant.email == CUSTOMER
    assert [r.path for r in waiting.review] == ["complainant.email"]
    ((letter, stored),) = world.letters()
    world.arrived(CUSTOMER, 1)
    (got,) = world.mailbox(CUSTOMER)
    assert _parsed(got)["Message-ID"] == letter.message_id and _body(got) == _body(stored)
    assert _pdfs(_parsed(got)) == _pdfs(_parsed(stored))
    assert world.mailbox(STRANGER) == []  # the form that needs review waits for a person
    assert [_parsed(m)["Message-ID"] for m in world.mailbox(USER, "Sent")] == [letter.message_id]
    world.watch("--auto-ack")  # nothing new: nothing sent again
    assert len(world.letters()) == 1 and len(world.mailbox(CUSTOMER)) == 1
