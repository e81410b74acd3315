"""The outbox (register/_outbox.py) against real servers on loopback: a test SMTP server whose replies the
test chooses (aiosmtpd, tests/smtpd.py) for each fault, a throw-away Postfix delivering into a throw-away
Dovecot for the real thing (tests/postfix.py, tests/dovecot.py), and SIGKILL at random points of
``letter ack --send``. SQLite always; PostgreSQL on the throw-away server where the test says ``db``."""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from klageformular.cli import main
from klageformular.exceptions import LetterNotAllowedError
from klageformular.locales import letter_texts as texts
from klageformular.register import Register, create_register_engine, import_batch
from klageformular.register._schema import BlobRow, OutgoingRow
from klageformular.smtp import SmtpMailer, parse_smtp_url

from .dovecot import Dovecot, dovecot
from .registers import complaint_record, write_batch
from .smtpd import Server, free_port
from .test_register_letters import _org, _org_file

RECEIVED = "2026-11-24"
CUSTOMER_ID = "<CAK=kunde1+x@mail.example.dk>"
RECIPIENT = "kontor@gul.dk"  # the representative's address: the letter goes to them


@pytest.fixture
def db(db_url: str) -> str:
    return db_url


def _register(tmp_path: Path, db: str, count: int = 1, **extra: Any) -> list[str]:
    """``count`` mail complaints (Danish, with the customer's Message-ID) in a new register; their references."""
    records = [complaint_record(i, received=RECEIVED, method="email", message_id=f"<k{i}@mail.example.dk>",
                                **extra) for i in range(1, count + 1)]
    if count >= 1 and "message_id" not in extra:
        records[0]["message_id"] = CUSTOMER_ID
    engine = create_register_engine(db)
    try:
        import_batch(engine, write_batch(tmp_path / "out", complaints=records))
        register = Register(engine)
        with register.session() as s:
            return [c.reference for c in register.cases(s)]
    finally:
        engine.dispose()


def _outgoing(db: str) -> list[OutgoingRow]:
    engine = create_register_engine(db)
    try:
        with Register(engine).session() as s:
            return list(s.scalars(select(OutgoingRow).order_by(OutgoingRow.id)))
    finally:
        engine.dispose()


def _case(db: str, ref: str) -> Any:
    engine = create_register_engine(db)
    try:
        register = Register(engine)
        with register.session() as s:
            return register.case(s, ref)
    finally:
        engine.dispose()


def _blob(db: str, sha: str | None) -> bytes:
    engine = create_register_engine(db)
    try:
        with Register(engine).session() as s:
            return bytes(s.scalars(select(BlobRow.data).where(BlobRow.sha256 == sha)).one())
    finally:
        engine.dispose()


def _ack(db: str, tmp_path: Path, ref: str, *extra: str) -> int:
    return main(["letter", "ack", ref, "--db", db, "--org-file", _org_file(tmp_path, "da"), "--who", "linn",
                 "-o", str(tmp_path / f"{ref}-ack.pdf"), *extra])


# -- sending ------------------------------------------------------------------------------------------------


def test_send_records_the_message_then_acknowledges_when_the_server_takes_it(
        db: str, tmp_path: Path, smtp: Server, capsys: pytest.CaptureFixture[str]) -> None:
    (ref,) = _register(tmp_path, db)
    assert _ack(db, tmp_path, ref, "--send", "--eml", str(tmp_path / "ack.eml")) == 0
    out = capsys.readouterr().out
    assert "ack letter sent by email, <" in out and "(250 2.0.0 Ok: queued as T00001); received → acknowledged" in out
    (row,) = _outgoing(db)
    (sent,) = smtp.messages
    # The message at the server is the one queued, byte for byte, and the --eml file too.
    assert (tmp_path / "ack.eml").read_bytes() == sent == _blob(db, row.sha256)
    assert (row.state, row.attempts, row.last_reply, row.recipient) == ("sent", 1, "250 2.0.0 Ok: queued as T00001",
                                                                        RECIPIENT)
    assert smtp.envelopes == [("linn@kameo.no", [RECIPIENT])]
    message = email.message_from_bytes(sent, policy=email.policy.default)
    assert (message["Message-ID"], message["In-Reply-To"], message["References"]) == (row.message_id, CUSTOMER_ID,
                                                                                     CUSTOMER_ID)
    assert str(message["Subject"]) == f"[{ref}] {texts('da')['ack.title']}"
    assert [p.get_content() for p in message.iter_attachments()] == [(tmp_path / f"{ref}-ack.pdf").read_bytes()]
    case = _case(db, ref)
    assert (case.status, case.acknowledged_on) == ("acknowledged", date.today())
    assert [e.what for e in case.events][-3:] == ["ack_letter", "letter_sent", "status"]
    assert main(["register", "outbox", "--db", db]) == 0
    assert capsys.readouterr().out == ""  # nothing left to go


def test_the_python_api(tmp_path: Path, smtp: Server) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    (ref,) = _register(tmp_path, db)
    engine = create_register_engine(db)
    register = Register(engine)
    mailer = SmtpMailer(parse_smtp_url(smtp.url), timeout=10)
    letter, result = register.send_letter(ref, "ack", dated=date(2026, 11, 25), who="linn", mailer=mailer,
                                          org=_org("da"))
    assert letter.outgoing is not None and letter.outgoing.state == "queued" and letter.status == "received"
    assert (result.result, result.previous_status, result.status) == ("sent", "received", "acknowledged")
    assert result.outgoing.message_id == letter.outgoing.message_id and result.outgoing.state == "sent"
    assert register.send(result.outgoing.id, mailer=mailer, who="linn").result == "skipped"  # never twice
    assert len(smtp.messages) == 1
    engine.dispose()


@pytest.mark.parametrize("fault", ["rcpt-4xx", "data-4xx", "drop", "gone"])
def test_a_temporary_failure_keeps_it_queued_and_the_retry_sends_the_same_message(
        db: str, tmp_path: Path, smtp: Server, fault: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (ref,) = _register(tmp_path, db)
    if fault == "gone":
        monkeypatch.setenv("KLAGEFORMULAR_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    else:
        smtp.behaviour = fault
    assert _ack(db, tmp_path, ref, "--send") == 1
    err = capsys.readouterr().err
    assert err.startswith(f"klageformular: {ref}: not sent yet: ") and "it stays queued (attempt 1" in err
    (row,) = _outgoing(db)
    queued_bytes = _blob(db, row.sha256)
    assert (row.state, row.attempts) == ("queued", 1) and row.last_reply
    assert _case(db, ref).status == "received"
    assert main(["register", "outbox", "--db", db]) == 0
    assert f"{ref:<17} ack      email" in capsys.readouterr().out
    smtp.behaviour = "ok"
    monkeypatch.setenv("KLAGEFORMULAR_SMTP_URL", smtp.url)
    assert main(["register", "outbox", "--retry", "--db", db]) == 0
    assert "outbox: 1 sent, 0 still queued" in capsys.readouterr().out
    (row,) = _outgoing(db)
    assert (row.state, row.attempts) == ("sent", 2)
    assert smtp.messages == [queued_bytes]  # the same bytes, so the same Message-ID
    assert _case(db, ref).status == "acknowledged"


@pytest.mark.parametrize("fault", ["rcpt-5xx", "data-5xx"])
def test_a_permanent_failure_fails_it_and_due_says_what_to_do(
        tmp_path: Path, smtp: Server, fault: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    (ref,) = _register(tmp_path, db)
    smtp.behaviour = fault
    assert _ack(db, tmp_path, ref, "--send") == 1
    assert "refused for good" in capsys.readouterr().err
    (row,) = _outgoing(db)
    assert (row.state, row.attempts) == ("failed", 1) and row.last_reply and row.last_reply[:3] in ("550", "554")
    assert _case(db, ref).events[-1].what == "send_failed"
    smtp.behaviour = "ok"
    assert main(["register", "outbox", "--retry", "--db", db]) == 0  # a failed letter is not sent again
    assert smtp.messages == []
    assert main(["register", "due", "--db", db, "--today", "2026-11-25"]) == 1
    out = capsys.readouterr().out
    assert f"not delivered {ref}" in out and "--post --copy" in out
    assert "send on paper or to another address: letter ack" in out
    assert RECIPIENT not in out  # the server's words (they quote the address) stay in the register
    # Sent on paper instead: the case is acknowledged the day it is posted, and no longer flagged.
    assert _ack(db, tmp_path, ref, "--post", "--copy", "--date", "2026-11-25") == 0
    assert main(["register", "posted", ref, "--db", db, "--on", "2026-11-26"]) == 0
    case = _case(db, ref)
    assert (case.status, case.acknowledged_on) == ("acknowledged", date(2026, 11, 26))
    assert main(["register", "due", "--db", db, "--today", "2026-11-25", "--json"]) == 0
    assert '"not_delivered": []' in capsys.readouterr().out


def test_paper_without_an_address_and_posted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    record = complaint_record(1, received=RECEIVED)
    record["complaint"]["complainant"]["email"] = None
    record["complaint"]["representative"] = None
    record["complaint"]["representative_contact"] = None
    engine = create_register_engine(db)
    import_batch(engine, write_batch(tmp_path / "out", complaints=[record]))
    engine.dispose()
    ref = "KLA-2026-0001"
    assert _ack(db, tmp_path, ref, "--send") == 1  # no SMTP server set: refused before anything is recorded
    assert "--send needs an SMTP server" in capsys.readouterr().err
    assert _ack(db, tmp_path, ref, "--date", "2026-11-25") == 0  # no address: for the post
    assert "letter recorded for the post" in capsys.readouterr().out
    (row,) = _outgoing(db)
    assert (row.channel, row.state, row.message_id) == ("post", "to_post", None)
    assert main(["register", "outbox", "--db", db]) == 0
    assert "to post (register posted REF when posted)" in capsys.readouterr().out
    register = Register(create_register_engine(db))
    with register.session() as s, s.begin(), pytest.raises(LetterNotAllowedError,
                                                           match="no email address to send the letter to"):
        register.write_letter(s, ref, "ack", None, dated=date(2026, 11, 25), who="l", org=_org("da"),
                              channel="email", copy=True)
    register.engine.dispose()
    assert main(["register", "posted", ref, "--db", db, "--on", "2026-11-23"]) == 1  # before it was received
    assert main(["register", "posted", ref, "--db", db, "--on", "2026-11-27"]) == 0
    assert _case(db, ref).acknowledged_on == date(2026, 11, 27)
    assert main(["register", "posted", ref, "--db", db]) == 1
    assert "has no letter waiting to be posted" in capsys.readouterr().err


def test_a_letter_dated_before_receipt_or_in_the_future_records_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    (ref,) = _register(tmp_path, db)
    assert _ack(db, tmp_path, ref, "--date", "2026-11-01") == 1
    assert "is before the complaint was received (2026-11-24)" in capsys.readouterr().err
    future = date.fromordinal(date.today().toordinal() + 1).isoformat()
    assert _ack(db, tmp_path, ref, "--date", future) == 1
    assert "is in the future" in capsys.readouterr().err
    assert _outgoing(db) == [] and [e.what for e in _case(db, ref).events] == ["received"]
    assert not (tmp_path / f"{ref}-ack.pdf").exists()


# -- the Sent folder ----------------------------------------------------------------------------------------


def _sent_folder(server: Dovecot, folder: str = "Sent") -> list[tuple[bytes, tuple[bytes, ...]]]:
    from imapclient import IMAPClient

    with IMAPClient(server.host, port=server.port, ssl=False, timeout=30) as client:
        client.login(server.user, server.password)
        if not client.folder_exists(folder):
            return []
        client.select_folder(folder, readonly=True)
        found = client.fetch(client.search("ALL"), ["BODY.PEEK[]", "FLAGS"])
        return [(bytes(v[b"BODY[]"]), tuple(v[b"FLAGS"])) for _, v in sorted(found.items())]


def test_each_sent_message_is_copied_to_the_sent_folder_and_a_failed_copy_is_retried(
        tmp_path: Path, smtp: Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    first, second = _register(tmp_path, db, 2)
    with dovecot() as server:
        monkeypatch.setenv("KLAGEFORMULAR_IMAP_PASSWORD", server.password)
        monkeypatch.setenv("KLAGEFORMULAR_IMAP_URL", server.url("Sendt post"))
        assert _ack(db, tmp_path, first, "--send") == 0
        assert f"{first}: copy in the Sent folder (copied)" in capsys.readouterr().out
        ((copy, flags),) = _sent_folder(server, "Sendt post")
        assert copy == smtp.messages[0] and b"\\Seen" in flags
        # The IMAP server is unreachable: the letter is sent all the same, its copy pending.
        monkeypatch.setenv("KLAGEFORMULAR_IMAP_URL", f"imap://{server.user}@127.0.0.1:{free_port()}/Sendt post")
        assert _ack(db, tmp_path, second, "--send") == 0
        captured = capsys.readouterr()
        assert "received → acknowledged" in captured.out and "no copy in the Sent folder yet" in captured.err
        assert [r.copy_state for r in _outgoing(db)] == ["copied", "pending"]
        assert main(["register", "outbox", "--db", db]) == 0
        assert "its copy in the Sent folder is pending" in capsys.readouterr().out
        monkeypatch.setenv("KLAGEFORMULAR_IMAP_URL", server.url("Sendt post"))
        assert main(["register", "outbox", "--retry", "--db", db]) == 0
        assert [r.copy_state for r in _outgoing(db)] == ["copied", "copied"]
        assert [m for m, _ in _sent_folder(server, "Sendt post")] == smtp.messages  # each once, as sent
        assert len(smtp.messages) == 2  # the retry sent nothing again


# -- real delivery: Postfix into Dovecot ---------------------------------------------------------------------


def test_an_acknowledgement_reaches_the_customers_mailbox_through_postfix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """letter ack --send to a real Postfix, delivered into the customer's (the representative's) mailbox in
    Dovecot: read back over IMAP as they get it, and found in the complaints mailbox's Sent folder."""
    from imapclient import IMAPClient

    from .postfix import postfix, wait_for

    db = f"sqlite:///{tmp_path / 'k.db'}"
    (ref,) = _register(tmp_path, db)
    with dovecot(users=(RECIPIENT,)) as mailboxes, postfix(mailboxes, domains=("gul.dk",)) as mta:
        monkeypatch.setenv("KLAGEFORMULAR_SMTP_URL", mta.url)
        monkeypatch.setenv("KLAGEFORMULAR_IMAP_URL", mailboxes.url("Sent"))
        monkeypatch.setenv("KLAGEFORMULAR_IMAP_PASSWORD", mailboxes.password)
        assert _ack(db, tmp_path, ref, "--send") == 0
        (row,) = _outgoing(db)
        assert row.state == "sent" and row.last_reply and row.last_reply.startswith("250 2.0.0 Ok: queued as ")
        assert wait_for(mailboxes, RECIPIENT, 1), mta.log()[-2000:]
        with IMAPClient(mailboxes.host, port=mailboxes.port, ssl=False, timeout=30) as client:
            client.login(RECIPIENT, mailboxes.password)
            client.select_folder("INBOX", readonly=True)
            (uid,) = client.search(["HEADER", "Message-ID", row.message_id or "-"])
            raw = bytes(client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"])
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message["Message-ID"] == row.message_id and message["In-Reply-To"] == CUSTOMER_ID
        assert str(message["Subject"]) == f"[{ref}] {texts('da')['ack.title']}"
        assert "Received: from" in raw.decode("ascii", "replace")  # it went through the server
        (pdf,) = [p.get_content() for p in message.iter_attachments()]
        assert pdf == (tmp_path / f"{ref}-ack.pdf").read_bytes()
        assert hashlib.sha256(pdf).hexdigest() == row.letter_sha256
        ((copy, _),) = _sent_folder(mailboxes)
        assert email.message_from_bytes(copy, policy=email.policy.default)["Message-ID"] == row.message_id
    assert _case(db, ref).status == "acknowledged"


# -- SIGKILL at random points -------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_during_send_loses_nothing_and_never_sends_under_two_message_ids(tmp_path: Path,
                                                                                 smtp: Server) -> None:
    """20 ``letter ack --send`` processes killed at random (seeded) moments, the server slow to answer so that
    some die after it took the message; then ``register outbox --retry`` and the letters never recorded written
    again: every case acknowledged once, by one Message-ID, which the server has (perhaps twice: the same one)."""
    db = f"sqlite:///{tmp_path / 'k.db'}"
    refs = _register(tmp_path, db, 20)
    profile = _org_file(tmp_path, "da")
    smtp.behaviour = "slow"
    env = {**os.environ, "KLAGEFORMULAR_SMTP_URL": smtp.url, "PYTHONPATH": str(Path(__file__).parent.parent / "src")}

    def run(ref: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "klageformular", "letter", "ack", ref, "--send", "--db", db,
                                 "--org-file", profile, "--who", "linn", "-o", str(tmp_path / f"{ref}.pdf")],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    started = time.monotonic()
    probe = run(refs[0])
    assert probe.wait(timeout=120) == 0
    whole = time.monotonic() - started
    rng = random.Random(26)
    for ref in [*refs[1:], refs[0]]:
        process = run(ref)
        time.sleep(rng.uniform(0.1, whole * 1.1))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    smtp.behaviour = "ok"
    killed = {"unrecorded": len(refs) - len({r.complaint_id for r in _outgoing(db)}),
              **{state: sum(r.state == state for r in _outgoing(db)) for state in ("queued", "sent")},
              "at the server": len(smtp.messages)}
    print(f"after the kills: {killed}")  # where the kills landed (pytest -s shows it)
    assert main(["register", "outbox", "--retry", "--db", db]) == 0
    for ref in refs:  # killed before the letter was recorded: nothing to retry, so it is written again
        if not any(e.what == "ack_letter" for e in _case(db, ref).events):
            assert main(["letter", "ack", ref, "--send", "--db", db, "--org-file", profile, "--who", "linn",
                         "-o", str(tmp_path / f"{ref}.pdf")]) == 0
    rows = _outgoing(db)
    at_server = smtp.message_ids()
    for ref in refs:
        case = _case(db, ref)
        assert case.status == "acknowledged", ref
        assert [e.to_status for e in case.events if e.what == "status"] == ["acknowledged"]
        letters = [e for e in case.events if e.what == "ack_letter"]
        assert len(letters) == 1, ref  # a second process was never let write another
        ids = {m for m in at_server if f".{ref}@" in m}
        assert len(ids) == 1, (ref, ids)  # one Message-ID per case at the server, maybe sent twice
    assert {r.message_id for r in rows} == set(at_server)
    assert all(r.state == "sent" for r in rows) and len(rows) == len(refs)


# -- logs ---------------------------------------------------------------------------------------------------


def test_no_personal_data_or_password_in_any_log(tmp_path: Path, smtp: Server, caplog: pytest.LogCaptureFixture,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    first, second = _register(tmp_path, db, 2)
    monkeypatch.setenv("KLAGEFORMULAR_SMTP_PASSWORD", "ikke-i-loggen-42")
    with caplog.at_level(logging.DEBUG):
        smtp.behaviour = "rcpt-5xx"
        _ack(db, tmp_path, first, "--send")
        smtp.behaviour = "drop"
        _ack(db, tmp_path, second, "--send")
        smtp.behaviour = "ok"
        main(["register", "outbox", "--retry", "--db", db])
    assert len(smtp.messages) == 1
    text = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records if r.name != "mail.log")
    for secret in (RECIPIENT, "kunde1@", "Żółć", "Łukasz", "Klage nummer", "Renten", "ikke-i-loggen-42"):
        assert secret not in text, secret
