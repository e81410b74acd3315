"""Batch runs over mail (_mailbatch.py): folders with .eml/.msg/mbox, an mbox, a Maildir, and IMAP on Dovecot.

Every message and every attachment is accounted for (the summary's invariants), a rerun adds
nothing, and the IMAP source reads only what is new, without changing the mailbox unless asked.
"""

from __future__ import annotations

import io
import json
import logging
import mailbox
import shutil
import stat
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from klageformular._cli_args import IMAP_PASSWORD_ENV
from klageformular._mailbatch import MailOptions
from klageformular.batch import COMPLAINTS, DUPLICATES, REJECTED, SUMMARY, convert_folder
from klageformular.cli import main
from klageformular.intake import LEDGER, MailLimits

from .dovecot import append, dovecot

MAIL = Path(__file__).parent / "fixtures" / "mail"
FIXTURES = Path(__file__).parent / "fixtures"
FORM = (FIXTURES / "filled-pypdf.pdf").read_bytes()
LETTER = (FIXTURES / "letter.pdf").read_bytes()  # a PDF that is not the form
WHEN = datetime(2026, 11, 23, 23, 30, tzinfo=timezone(timedelta(hours=-5)))  # Tuesday 05:30 in Copenhagen


def lines(out: Path, name: str) -> list[dict[str, Any]]:
    path = out / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def check_invariants(summary: dict[str, Any]) -> None:
    """Every input, every message and every attachment is accounted for."""
    assert summary["inputs"] == (summary["complete"] + summary["needs_review"] + summary["unreadable"]
                                 + summary["duplicates"] + summary["skipped_already_done"] + summary["set_aside"])
    mail = summary["mail"]
    assert mail["messages"] == (mail["with_form"] + mail["email_complaints"] + mail["set_aside"]
                                + mail["duplicates"] + mail["already_done"] + mail["unreadable"])
    assert mail["attachments"] == mail["attachments_saved"] + mail["attachments_too_large"]


def _message(body: str, *, subject: str = "Klage", message_id: str = "<m1@example.dk>",
             sender: str = "Eva Ørsted <eva@example.dk>", **headers: str) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = "klage@kameo.dk"
    message["Subject"] = subject
    message["Date"] = format_datetime(WHEN)
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def _with_pdf(message: EmailMessage, data: bytes, name: str) -> EmailMessage:
    message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return message


def _inbox(tmp_path: Path) -> Path:
    """Mutt's two messages, the Outlook .msg, a plain PDF, and email-package messages for each case."""
    inbox = tmp_path / "indbakke"
    inbox.mkdir()
    for name in ("mutt-form.eml", "mutt-plain.eml", "outlook-attachments.msg"):
        shutil.copy(MAIL / name, inbox / name)
    (inbox / "formular.pdf").write_bytes(FORM)
    (inbox / "auto.eml").write_bytes(_message("Jeg er på ferie.", message_id="<auto@example.dk>",
                                              Auto_Submitted="auto-replied").as_bytes())
    forwarded = _message("Se den videresendte klage", subject="Fwd: Klage", message_id="<fwd@example.dk>")
    forwarded.add_attachment(_with_pdf(_message("Klage", message_id="<inner@example.dk>"), FORM, "klage.pdf"))
    (inbox / "videresendt.eml").write_bytes(forwarded.as_bytes())
    statement = _with_pdf(_message("Renten mangler, se kontoudtoget.", message_id="<stmt@example.dk>"), LETTER,
                          "kontoudtog.pdf")
    (inbox / "kontoudtog.eml").write_bytes(statement.as_bytes())
    return inbox


def test_folder_of_mail_every_message_and_attachment_accounted_for(tmp_path: Path) -> None:
    pytest.importorskip("extract_msg", reason="the optional [msg] extra (extract-msg) is not installed")
    inbox, out = _inbox(tmp_path), tmp_path / "out"
    summary = convert_folder(inbox, out, workers=2).to_dict()
    check_invariants(summary)
    complaints = {r["source"]: r for r in lines(out, COMPLAINTS)}
    assert set(complaints) == {"formular.pdf", "mutt-plain.eml", "outlook-attachments.msg", "kontoudtog.eml"}
    # The same form saved in the folder, sent by Mutt and forwarded: one complaint, two duplicates
    # that keep their message's fields.
    duplicates = {d["source"]: d for d in lines(out, DUPLICATES)}
    assert {source: d["duplicate_of"] for source, d in duplicates.items()} == {
        "mutt-form.eml/Klageformular udfyldt – Eva Ørsted.pdf": "formular.pdf",
        "videresendt.eml/klage.pdf": "formular.pdf"}
    mutt = duplicates["mutt-form.eml/Klageformular udfyldt – Eva Ørsted.pdf"]
    assert (mutt["from"], mutt["subject"]) == ("Eva Ørsted <eva.orsted@example.dk>", "Klage over renter")
    assert duplicates["videresendt.eml/klage.pdf"]["subject"] == "Fwd: Klage"
    plain = complaints["kontoudtog.eml"]
    # The statement PDF is not the form: the message is a plain-email complaint that lists it.
    assert (plain["method"], plain["status"], plain["complaint"]["complainant"]["last_name"]) == (
        "email", "needs_review", "Ørsted")
    assert plain["complaint"]["subject"] == "Klage\n\nRenten mangler, se kontoudtoget."
    assert [(a["name"], a["content_type"]) for a in plain["attachments"]] == [("kontoudtog.pdf", "application/pdf")]
    # received: the Date header; the deadline counts from the day in Copenhagen (Tuesday 24 Nov).
    assert plain["received"] == WHEN.isoformat() and plain["acknowledge_by"] == "2026-11-27"
    assert "kontoudtog.eml" not in {r["source"] for r in lines(out, REJECTED)}
    ledger = {entry["source"]: entry["outcome"] for entry in lines(out, LEDGER)}
    assert ledger == {"auto.eml": "set_aside", "kontoudtog.eml": "email", "mutt-form.eml": "form",
                      "mutt-plain.eml": "email", "outlook-attachments.msg": "email", "videresendt.eml": "form"}
    assert summary["set_aside"] == 1 and summary["mail"]["set_aside_by_reason"] == {"auto-reply": 1}
    assert summary["unreadable"] == 0


def test_attachments_are_saved_once_privately_and_listed(tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(MAIL / "mutt-plain.eml", inbox / "a.eml")
    convert_folder(inbox, out, workers=1)
    [record] = lines(out, COMPLAINTS)
    assert [(a["name"], a["size"], a.get("note")) for a in record["attachments"]] == [
        ("kontoudtog.png", 1105, None), ("bilag.zip", 975, "archive: listed and saved, not unpacked")]
    for entry in record["attachments"]:
        saved = out / entry["path"]
        assert saved.name == entry["sha256"] and stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert (out / record["message_file"]).read_bytes() == (MAIL / "mutt-plain.eml").read_bytes()


def test_rerun_adds_nothing_and_exit_codes(tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(MAIL / "mutt-form.eml", inbox / "a.eml")
    (inbox / "report.eml").write_bytes(_message("Undeliverable", message_id="<r@x>").as_bytes().replace(
        b"text/plain", b"multipart/report; report-type=delivery-status; boundary=x", 1))
    (inbox / "auto.eml").write_bytes(_message("Fravær", message_id="<a@x>", Auto_Submitted="auto-replied")
                                     .as_bytes())
    assert main(["batch", str(inbox), "-o", str(out), "--workers", "1", "-q"]) == 0  # set aside counts as read
    [form] = lines(out, COMPLAINTS)
    assert (form["source"], form["method"]) == ("a.eml/Klageformular udfyldt – Eva Ørsted.pdf", "acroform")
    assert form["received"] == form["date"] and datetime.fromisoformat(form["received"]).tzinfo is not None
    assert form["message_id"].endswith("@example.dk>") and form["attachments"] == []
    assert {e["source"]: e["reason"] for e in lines(out, LEDGER) if e["outcome"] == "set_aside"} == {
        "auto.eml": "auto-reply (Auto-Submitted: auto-replied)",
        "report.eml": "delivery report (multipart/report; delivery-status)"}
    before = {name: (out / name).read_bytes() for name in (COMPLAINTS, LEDGER)}
    assert main(["batch", str(inbox), "-o", str(out), "--workers", "1", "-q"]) == 0
    assert {name: (out / name).read_bytes() for name in (COMPLAINTS, LEDGER)} == before
    summary = json.loads((out / SUMMARY).read_text())
    check_invariants(summary)
    assert summary["mail"]["already_done"] == 3 and summary["skipped_already_done"] == 3
    # A message over the size limit cannot be read: a rejected line, its bytes in quarantine, exit 1.
    (inbox / "big.eml").write_bytes(_message("x" * 5_000, message_id="<big@x>").as_bytes())
    summary2 = convert_folder(inbox, out, workers=1, mail=_limits(MailLimits(max_message_bytes=4_000)))
    [rejected] = lines(out, REJECTED)
    assert (rejected["source"], rejected["reason"], rejected["error"]) == ("big.eml", "resource limit",
                                                                           "MailLimitExceededError")
    assert (out / rejected["quarantine"]).read_bytes() == (inbox / "big.eml").read_bytes()
    assert summary2.unreadable == 1
    # A broken Outlook file cannot be read either: the command says so and exits 1.
    (inbox / "broken.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    assert main(["batch", str(inbox), "-o", str(out), "--workers", "1", "-q"]) == 1
    assert [r["source"] for r in lines(out, REJECTED)] == ["big.eml", "broken.msg"]


def test_a_run_stopped_before_the_ledger_line_resumes_to_the_same_records(tmp_path: Path) -> None:
    inbox, out = _inbox(tmp_path), tmp_path / "out"
    (inbox / "outlook-attachments.msg").unlink()  # the [msg] extra is optional
    first = convert_folder(inbox, out, workers=2).to_dict()
    records = {name: (out / name).read_bytes() for name in (COMPLAINTS, DUPLICATES)}
    ledger = {e["source"]: e["outcome"] for e in lines(out, LEDGER)}
    (out / LEDGER).unlink()  # as if every message's line was written but none of the ledger's
    again = convert_folder(inbox, out, workers=2).to_dict()
    check_invariants(again)
    assert {name: (out / name).read_bytes() for name in (COMPLAINTS, DUPLICATES)} == records
    recovered = {e["source"]: e["outcome"] for e in lines(out, LEDGER)}
    # Messages whose forms have the lines are forms again; the others' own lines stand.
    assert recovered == {s: ("form" if o == "form" else "recovered") for s, o in ledger.items() if o != "set_aside"} | {
        s: "set_aside" for s, o in ledger.items() if o == "set_aside"}
    assert again["complaints"] == again["unreadable"] == 0 and first["complaints"] > 0
    assert convert_folder(inbox, out, workers=2).to_dict()["mail"]["already_done"] == len(ledger)


def _limits(limits: MailLimits) -> Any:
    from klageformular._mailbatch import MailOptions

    return MailOptions(limits=limits)


def test_same_message_in_mbox_and_as_eml_is_one(tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    for name in ("mutt-form.eml", "mutt-plain.eml", "mutt.mbox"):
        shutil.copy(MAIL / name, inbox / name)
    summary = convert_folder(inbox, out, workers=1).to_dict()
    check_invariants(summary)
    # Each copy points at the line that stands for the first: the form's complaint, or the email's.
    assert {(d["source"], d["duplicate_of"], d["duplicate_kind"], d["reason"]) for d in lines(out, DUPLICATES)} == {
        ("mutt.mbox#1", "mutt-form.eml/Klageformular udfyldt – Eva Ørsted.pdf", "same_message", "same Message-ID"),
        ("mutt.mbox#2", "mutt-plain.eml", "same_message", "same Message-ID")}
    complaints = {(r["source"], r["sha256"]) for r in lines(out, COMPLAINTS)}
    assert all((d["duplicate_of"], d["duplicate_of_sha256"]) in complaints for d in lines(out, DUPLICATES))
    # … also when the first copy was read by an earlier run (the ledger remembers its line).
    (inbox / "kopi.eml").write_bytes(b"X-Forwarded-By: a rule\n" + (MAIL / "mutt-form.eml").read_bytes())
    convert_folder(inbox, out, workers=1)
    [later] = [d for d in lines(out, DUPLICATES) if d["source"] == "kopi.eml"]
    assert later["duplicate_of"] == "mutt-form.eml/Klageformular udfyldt – Eva Ørsted.pdf"
    assert summary["mail"]["messages"] == 4 and summary["mail"]["duplicates"] == 2


@pytest.mark.parametrize("kind", ["mbox", "maildir"])
def test_mbox_and_maildir_sources(tmp_path: Path, kind: str) -> None:
    box: mailbox.Mailbox[Any]
    source = tmp_path / ("klager.mbox" if kind == "mbox" else "Maildir")
    box = mailbox.mbox(source) if kind == "mbox" else mailbox.Maildir(source)
    box.add((MAIL / "mutt-form.eml").read_bytes())
    box.add(_message("Renten kom ikke.", message_id="<plain@x>").as_bytes())
    box.close()
    out = tmp_path / "out"
    summary = convert_folder(source, out, workers=1).to_dict()
    check_invariants(summary)
    assert sorted(r["method"] for r in lines(out, COMPLAINTS)) == ["acroform", "email"]
    assert summary["inbox"] == str(source.resolve())
    assert convert_folder(source, out, workers=1).skipped_already_done == 2


def test_logs_name_messages_by_hash_only(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(MAIL / "mutt-plain.eml", inbox / "a.eml")
    with caplog.at_level(logging.INFO, logger="klageformular"):
        convert_folder(inbox, out, workers=1)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "message " in text
    for secret in ("eva.orsted", "Ørsted", "renteudbetaling", "example.dk", "kontoudtog"):
        assert secret not in text


# -- IMAP, against a real Dovecot on loopback --------------------------------------------------------------


def _imap_batch(url: str, out: Path, *extra: str) -> int:
    return main(["batch", url, "-o", str(out), "--workers", "1", "-q", *extra])


def test_imap_reads_only_what_is_new(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    with dovecot() as server:
        monkeypatch.setenv(IMAP_PASSWORD_ENV, server.password)
        append(server, (MAIL / "mutt-form.eml").read_bytes(), (MAIL / "mutt-plain.eml").read_bytes())
        assert _imap_batch(server.url(), out) == 0
        first = json.loads((out / SUMMARY).read_text())
        check_invariants(first)
        assert first["mail"]["messages"] == 2 and first["inbox"] == f"imap://127.0.0.1:{server.port}/INBOX"
        assert sorted(r["source"] for r in lines(out, COMPLAINTS)) == [
            "imap INBOX uid 1/Klageformular udfyldt – Eva Ørsted.pdf", "imap INBOX uid 2"]
        assert _imap_batch(server.url(), out) == 0  # nothing new: nothing fetched
        second = json.loads((out / SUMMARY).read_text())
        assert second["mail"]["messages"] == 0 and second["inputs"] == 0
        append(server, _message("Og en klage mere.", message_id="<third@example.dk>").as_bytes())
        assert _imap_batch(server.url(), out) == 0
        third = json.loads((out / SUMMARY).read_text())
        check_invariants(third)
        assert third["mail"]["messages"] == 1 and third["complaints"] == 1
        assert sorted(entry["key"].rsplit(":", 1)[1] for entry in lines(out, LEDGER)) == ["1", "2", "3"]
        # Read-only by default: nothing was marked seen.
        assert _flags(server) == {1: (), 2: (), 3: ()}


def test_imap_mark_seen_and_move(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with dovecot() as server:
        monkeypatch.setenv(IMAP_PASSWORD_ENV, server.password)
        append(server, _message("Klage", message_id="<1@x>").as_bytes())
        append(server, folder="Behandlet")  # the folder to move into
        assert _imap_batch(server.url(), tmp_path / "a", "--mark-seen") == 0
        assert _flags(server) == {1: (b"\\Seen",)}
        assert _imap_batch(server.url(), tmp_path / "b", "--move-to", "Mangler") == 1  # checked before reading
        assert _imap_batch(server.url(), tmp_path / "b", "--move-to", "Behandlet") == 0
        assert _flags(server) == {}
        assert list(_flags(server, "Behandlet").values()) == [(b"\\Seen",)]


def test_imap_wrong_password_and_no_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with dovecot() as server:
        monkeypatch.setenv(IMAP_PASSWORD_ENV, "forkert")
        assert _imap_batch(server.url(), tmp_path / "out") == 1
        assert "login failed" in capsys.readouterr().err
        monkeypatch.delenv(IMAP_PASSWORD_ENV)
        monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal to prompt on
        assert _imap_batch(server.url(), tmp_path / "out") == 1
        assert IMAP_PASSWORD_ENV in capsys.readouterr().err


def _flags(server: Any, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
    from imapclient import IMAPClient

    with IMAPClient(server.host, port=server.port, ssl=False, timeout=30) as client:
        client.login(server.user, server.password)
        client.select_folder(folder, readonly=True)
        return {uid: tuple(f for f in data[b"FLAGS"] if f != b"\\Recent")
                for uid, data in client.fetch(client.search("ALL"), ["FLAGS"]).items()}


_KILLED_MID_SETTLE = """
import os, signal, sys
from klageformular.intake._imap import ImapMailbox

moved = []
finish = ImapMailbox._finish


def killed_on_the_second(self, uids):
    # The second message's ledger line is written; SIGKILL before it is moved out of INBOX.
    if uids:
        moved.append(uids)
        if len(moved) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
    finish(self, uids)


ImapMailbox._finish = killed_on_the_second
from klageformular.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_imap_move_killed_mid_settle_is_finished_by_the_next_run(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGKILL between a message's ledger line and its move: the next run moves it, reads nothing twice."""
    import os
    import subprocess
    import sys

    out = tmp_path / "out"
    with dovecot() as server:
        monkeypatch.setenv(IMAP_PASSWORD_ENV, server.password)
        append(server, *(_message(f"Klage nummer {n}", message_id=f"<kill-{n}@example.dk>").as_bytes()
                         for n in range(1, 4)))
        append(server, folder="Behandlet")
        args = ["batch", server.url(), "-o", str(out), "--workers", "1", "-q", "--move-to", "Behandlet"]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        killed = subprocess.run([sys.executable, "-c", _KILLED_MID_SETTLE, *args], capture_output=True, text=True,
                                timeout=300, env=env, check=False)
        assert killed.returncode == -9, killed.stderr
        assert len(lines(out, LEDGER)) == 2 and len(_flags(server)) == 2  # settled, but one still in INBOX
        again = subprocess.run([sys.executable, "-m", "klageformular", *args], capture_output=True, text=True,
                               timeout=300, env=env, check=False)
        assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
        assert _flags(server) == {}  # nothing left in INBOX for good
        assert len(_flags(server, "Behandlet")) == 3
        assert sorted(entry["message_id"] for entry in lines(out, LEDGER)) == [
            "<kill-1@example.dk>", "<kill-2@example.dk>", "<kill-3@example.dk>"]
        assert len(lines(out, COMPLAINTS)) == 3


def test_imap_at_debug_logs_no_message_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    """imapclient logs every line the server sends at DEBUG: inside our calls it is kept at ERROR."""
    cpr, name, subject = "010190-1234", "Kirstine Bækgaard", "Klage over KA-5517"
    message = _message(f"Mit CPR-nummer er {cpr}.", subject=subject, sender=f"{name} <kirstine@example.dk>",
                       message_id="<debug@example.dk>")
    with dovecot() as server:
        monkeypatch.setenv(IMAP_PASSWORD_ENV, server.password)
        append(server, message.as_bytes())
        append(server, folder="Behandlet")
        with caplog.at_level(logging.DEBUG):
            for logger in ("imapclient", "imapclient.imaplib", "klageformular"):
                caplog.set_level(logging.DEBUG, logger=logger)
            assert _imap_batch(server.url(), tmp_path / "out", "--move-to", "Behandlet") == 0
    assert lines(tmp_path / "out", COMPLAINTS)[0]["complaint"]["complainant"]["last_name"] == "Bækgaard"
    assert caplog.records  # the capture works: our own records are there
    for secret in (cpr, "Kirstine", "Bækgaard", "B=C3=A6kgaard", "KA-5517", "kirstine@"):
        assert secret not in caplog.text


def test_a_message_no_limit_foresaw_costs_only_itself(tmp_path: Path) -> None:
    """With the header limits lifted, a 2.7 MB From of 200,000 encoded words (gigabytes in the email
    package) meets the worker's deadline and memory ceiling: an unreadable line, the rest is read.
    """
    from klageformular.parse import Limits

    inbox = tmp_path / "in"
    inbox.mkdir()
    huge = b"From: " + b" ".join([b"=?utf-8?q?=C3=98?="] * 200_000) + b" <x@example.dk>\r\n"
    (inbox / "a-huge-from.eml").write_bytes(huge + b"Subject: Klage\r\n\r\nTekst\r\n")
    (inbox / "b-klage.eml").write_bytes(_message("Renten kom ikke.").as_bytes())
    unlimited = MailLimits(max_header_bytes=10**9, max_address_header_bytes=10**9)
    summary = convert_folder(inbox, tmp_path / "out", workers=1, mail=MailOptions(limits=unlimited),
                             limits=Limits(timeout_seconds=5, max_seconds=3, worker_memory_mb=600))
    check_invariants(summary.to_dict())
    rejected = lines(tmp_path / "out", REJECTED)
    assert [(r["source"], r["reason"]) for r in rejected] in (
        [("a-huge-from.eml", "timeout")], [("a-huge-from.eml", "resource limit")])
    assert rejected[0]["quarantine"].startswith("quarantine/")
    assert [r["source"] for r in lines(tmp_path / "out", COMPLAINTS)] == ["b-klage.eml"]
