"""Automatic acknowledgements (register/_autoack.py, ``watch --auto-ack``) against a real SMTP server on
loopback (aiosmtpd, tests/smtpd.py): which cases are acknowledged by the watch itself, that none is
acknowledged twice, the outbox's retry in every run, SIGTERM during a send, and SIGKILL at random points.
Forms by mail come from tests/mailforms.py; the watch reads them from a Maildir."""

from __future__ import annotations

import hashlib
import logging
import mailbox
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from klageformular.cli import main
from klageformular.register import Register, WatchRun, create_register_engine
from klageformular.register._schema import OutgoingRow
from klageformular.smtp import SmtpMailer, parse_smtp_url

from .mailforms import form, mail, profile_file
from .smtpd import Server

INBOX = "klage@kameo.dk"
_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))


def _deliver(md: Path, n: int, *, kind: str = "complete") -> str:
    """Message ``n`` into the Maildir: a ``complete`` form, a form that needs ``review``, or a ``plain`` email."""
    sender = f"kunde{n}@example.dk"
    attachment = None if kind == "plain" else form(email=sender, name=f"Jensen{n}", bad_email=kind == "review")
    # Received n seconds apart, in the order delivered: messages of one second would be ordered by
    # their Maildir names, whose microseconds are not zero-padded (the references came out swapped).
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10) + timedelta(seconds=n)
    data = mail(f"Kunde {n} <{sender}>", INBOX, f"Klage {n}", message_id=f"<klage-{n}@example.dk>",
                attachment=attachment, text="Renten blev ikke udbetalt.", when=when)
    box = mailbox.Maildir(md, factory=None, create=True)
    key = box.add(data)
    return hashlib.sha256(box.get_bytes(key)).hexdigest()


def _watch(md: Path, db: str, work: Path, *extra: str) -> int:
    return main(["watch", str(md), "--db", db, "--once", "--work", str(work), *extra])


def _register(db: str) -> Register:
    return Register(create_register_engine(db))


def _outgoing(db: str) -> list[tuple[str, str, str, str | None]]:
    """(reference, kind, state, Message-ID) of every letter in the outbox, in the order queued."""
    engine = create_register_engine(db)
    try:
        with engine.connect() as c:
            return [(str(r[0]), str(r[1]), str(r[2]), r[3]) for r in c.execute(sa.text(
                "SELECT c.reference, o.kind, o.state, o.message_id FROM outgoing o JOIN complaints c "
                "ON c.id = o.complaint_id ORDER BY o.id"))]
    finally:
        engine.dispose()


def _statuses(db: str) -> dict[str, str]:
    engine = create_register_engine(db)
    try:
        with engine.connect() as c:
            return {str(r[0]): str(r[1]) for r in c.execute(sa.text("SELECT reference, status FROM complaints"))}
    finally:
        engine.dispose()


def _runs(db: str) -> list[WatchRun]:
    register = _register(db)
    try:
        with register.session() as s:
            return register.runs(s, limit=100)
    finally:
        register.engine.dispose()


def test_the_watch_acknowledges_complete_forms_and_leaves_the_rest_for_a_person(
        tmp_path: Path, smtp: Server, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    md, work, db = tmp_path / "Maildir", tmp_path / "work", f"sqlite:///{tmp_path / 'k.db'}"
    _deliver(md, 1)
    _deliver(md, 2, kind="review")
    _deliver(md, 3, kind="plain")
    profile = profile_file(tmp_path, auto=True)
    with caplog.at_level(logging.DEBUG):
        assert _watch(md, db, work, "--auto-ack", "--org-file", profile) == 0
    out = capsys.readouterr().out
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records if r.name != "mail.log")
    for secret in ("Jensen", "Łukasz", "kunde", "example.dk", "Renten", "Klage 1"):  # none in a line or a log
        assert secret not in out and secret not in logged, secret
    assert "3 read, 3 imported (0 unreadable), 0 duplicate(s), 0 set aside; 1 sent, 0 not sent, " \
           "2 waiting for review; done" in out
    assert [to for _, (to,) in smtp.envelopes] == ["kunde1@example.dk"]
    assert _statuses(db) == {"KLA-2026-0001": "acknowledged", "KLA-2026-0002": "received",
                             "KLA-2026-0003": "received"}
    ((ref, kind, state, message_id),) = _outgoing(db)
    assert (ref, kind, state) == ("KLA-2026-0001", "ack", "sent") and smtp.message_ids() == [message_id]
    (run,) = _runs(db)
    assert (run.sent, run.send_failed, run.waiting_for_review) == (1, 0, 2)
    register = _register(db)
    with register.session() as s:
        case = register.case(s, "KLA-2026-0001")
    # Written and sent by the watch, under the name its imports carry (--who, else the user it runs as).
    assert [e.what for e in case.events if e.who == case.events[0].who] == [
        "received", "profile", "ack_letter", "letter_sent", "status"]
    # Passed on again (the hook is at-least-once): acknowledged already, so nothing is sent.
    mailer = SmtpMailer(parse_smtp_url(smtp.url), timeout=10)
    again = register.acknowledge_complete(["KLA-2026-0001", "KLA-2026-0001", "KLA-2026-0002"], mailer=mailer,
                                          who="watch")
    assert (again.sent, again.already, again.waiting_for_review, again.left) == (0, 2, 1, [])
    register.engine.dispose()
    assert len(smtp.messages) == 1
    assert main(["register", "runs", "--db", db]) == 0
    assert "sent   1  not sent   0  waiting   2" in capsys.readouterr().out


def test_a_profile_that_does_not_allow_it_sends_nothing(tmp_path: Path, smtp: Server,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    md, work, db = tmp_path / "Maildir", tmp_path / "work", f"sqlite:///{tmp_path / 'k.db'}"
    _deliver(md, 1)
    assert _watch(md, db, work, "--auto-ack", "--org-file", profile_file(tmp_path, auto=False)) == 0
    assert "0 sent, 0 not sent, 1 waiting for review" in capsys.readouterr().out
    _deliver(md, 2)
    assert _watch(md, db, work, "--auto-ack") == 0  # the built-in profile: off by default
    assert smtp.messages == [] and set(_statuses(db).values()) == {"received"}
    assert [r.waiting_for_review for r in _runs(db)] == [1, 1]


def test_without_auto_ack_the_watch_sends_nothing(tmp_path: Path, smtp: Server) -> None:
    md, work, db = tmp_path / "Maildir", tmp_path / "work", f"sqlite:///{tmp_path / 'k.db'}"
    _deliver(md, 1)
    assert _watch(md, db, work, "--org-file", profile_file(tmp_path, auto=True)) == 0
    assert smtp.messages == [] and _outgoing(db) == []


@pytest.mark.parametrize(("url", "message"), [
    (None, "--auto-ack needs an SMTP server: set KLAGEFORMULAR_SMTP_URL"),
    ("smtps://klage%40kameo.dk@mail.kameo.dk", "the SMTP server wants a password: set KLAGEFORMULAR_SMTP_PASSWORD"),
])
def test_missing_settings_are_one_line_before_anything_is_read(
        url: str | None, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    md, work, db = tmp_path / "Maildir", tmp_path / "work", f"sqlite:///{tmp_path / 'k.db'}"
    _deliver(md, 1)
    monkeypatch.delenv("KLAGEFORMULAR_SMTP_PASSWORD", raising=False)
    if url is None:
        monkeypatch.delenv("KLAGEFORMULAR_SMTP_URL", raising=False)
    else:
        monkeypatch.setenv("KLAGEFORMULAR_SMTP_URL", url)
    monkeypatch.setattr("getpass.getpass", lambda *_: pytest.fail("a service never prompts"))
    assert _watch(md, db, work, "--auto-ack") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not work.exists() and not (tmp_path / "k.db").exists()  # nothing read, no register made


def test_a_deferred_acknowledgement_goes_out_with_the_next_run(tmp_path: Path, smtp: Server,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    md, work, db = tmp_path / "Maildir", tmp_path / "work", f"sqlite:///{tmp_path / 'k.db'}"
    profile = profile_file(tmp_path, auto=True)
    _deliver(md, 1)
    smtp.behaviour = "rcpt-4xx"
    assert _watch(md, db, work, "--auto-ack", "--org-file", profile) == 0
    assert "0 sent, 1 not sent, 0 waiting for review; done" in capsys.readouterr().out
    ((_, _, state, queued_id),) = _outgoing(db)
    assert state == "queued" and _statuses(db)["KLA-2026-0001"] == "received"
    smtp.behaviour = "ok"
    assert _watch(md, db, work, "--auto-ack", "--org-file", profile) == 0  # no new mail: the retry sends it
    assert "0 read, 0 imported (0 unreadable), 0 duplicate(s), 0 set aside; 1 sent, 0 not sent" \
           in capsys.readouterr().out
    assert smtp.message_ids() == [queued_id] and _outgoing(db)[0][2] == "sent"
    assert _statuses(db)["KLA-2026-0001"] == "acknowledged"
    assert [(r.sent, r.send_failed) for r in _runs(db)] == [(1, 0), (0, 1)]


# -- signals -------------------------------------------------------------------------------------------------

_SIGTERM_IN_THE_FIRST_SEND = """
import os, signal, sys
from klageformular import smtp

submit = smtp.SmtpMailer.submit
calls = []


def signalled_while_sending(self, data, **kwargs):
    # SIGTERM while the first letter is on its way: it must still be sent and recorded, and no other begun.
    calls.append(1)
    if len(calls) == 1:
        os.kill(os.getpid(), signal.SIGTERM)
    return submit(self, data, **kwargs)


smtp.SmtpMailer.submit = signalled_while_sending
from klageformular.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_during_a_send_finishes_it_and_stops(tmp_path: Path, smtp: Server) -> None:
    md, work, db = tmp_path / "Maildir", tmp_path / "work", f"sqlite:///{tmp_path / 'k.db'}"
    for n in (1, 2, 3):
        _deliver(md, n)
    profile = profile_file(tmp_path, auto=True)
    smtp.behaviour = "slow"  # the server answers the message late: the signal arrives mid-exchange
    args = ["watch", str(md), "--db", db, "--once", "--work", str(work), "--auto-ack", "--org-file", profile]
    stopped = subprocess.run([sys.executable, "-c", _SIGTERM_IN_THE_FIRST_SEND, *args], capture_output=True,
                             text=True, timeout=300, env={**_ENV, "KLAGEFORMULAR_SMTP_URL": smtp.url}, check=False)
    assert stopped.returncode == 0, stopped.stderr
    assert "1 sent, 0 not sent, 0 waiting for review; stopped early" in stopped.stdout
    assert [(ref, state) for ref, _, state, _ in _outgoing(db)] == [("KLA-2026-0001", "sent")]
    assert len(smtp.messages) == 1
    smtp.behaviour = "ok"
    assert _watch(md, db, work, "--auto-ack", "--org-file", profile) == 0  # the other two, passed on again
    assert [(ref, state) for ref, _, state, _ in _outgoing(db)] == [
        ("KLA-2026-0001", "sent"), ("KLA-2026-0002", "sent"), ("KLA-2026-0003", "sent")]
    assert sorted(smtp.message_ids()) == sorted(str(m) for *_, m in _outgoing(db))
    assert set(_statuses(db).values()) == {"acknowledged"}


@pytest.mark.slow
def test_sigkill_twenty_times_during_auto_ack_loses_nothing_and_acknowledges_each_once(
        tmp_path: Path, smtp: Server) -> None:
    """``watch --once --auto-ack`` killed 20 times at random (seeded) moments while mail arrives and the server
    is slow to answer, then a clean run: every message a case, every complete case acknowledged once (one
    letter, one Message-ID at the server, perhaps received twice), none of the others."""
    md, work, db = tmp_path / "Maildir", tmp_path / "work", f"sqlite:///{tmp_path / 'k.db'}"
    profile = profile_file(tmp_path, auto=True)
    kinds = {n: "review" if n % 4 == 0 else "complete" for n in range(1, 25)}
    shas = {_deliver(md, n, kind=kinds[n]): kinds[n] for n in range(1, 5)}
    smtp.behaviour = "slow"
    env = {**_ENV, "KLAGEFORMULAR_SMTP_URL": smtp.url}
    args = [sys.executable, "-m", "klageformular", "watch", str(md), "--db", db, "--once", "--work", str(work),
            "--auto-ack", "--org-file", profile]
    rng = random.Random(2601)
    codes = []
    for i in range(20):
        shas[_deliver(md, 5 + i, kind=kinds[5 + i])] = kinds[5 + i]
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 3.0))  # start-up, parsing, importing, writing a letter, sending it
        process.kill()
        codes.append(process.wait(timeout=60))
    assert codes.count(-signal.SIGKILL) >= 5, codes
    killed = Counter(state for *_, state, _ in _outgoing(db))
    print(f"after the kills: {dict(killed)}, {len(smtp.messages)} at the server")  # pytest -s shows it
    smtp.behaviour = "ok"
    final = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert final.returncode == 0, final.stderr
    engine = create_register_engine(db)
    with engine.connect() as c:
        cases = {str(r[0]): (str(r[1]), str(r[2])) for r in c.execute(sa.text(
            "SELECT reference, message_sha256, status FROM complaints"))}
        ack_events = Counter(str(r[0]) for r in c.execute(sa.text(
            "SELECT c.reference FROM events e JOIN complaints c ON c.id = e.complaint_id WHERE e.what = 'ack_letter'")))
    with Register(engine).session() as s:
        letters = list(s.scalars(select(OutgoingRow).order_by(OutgoingRow.id)))
        by_case = Counter(letter.complaint_id for letter in letters)
    engine.dispose()
    assert sorted(sha for sha, _ in cases.values()) == sorted(shas)  # no message lost, none a case twice
    assert len(cases) == 24 and max(by_case.values()) == 1  # at most one letter per case
    at_server = smtp.message_ids()
    for ref, (sha, _) in cases.items():
        kind = shas[sha]
        ids = {m for m in at_server if f".{ref}@" in m}
        if kind == "complete":
            assert cases[ref][1] == "acknowledged" and ack_events[ref] == 1, ref
            assert len(ids) == 1, (ref, ids)  # one Message-ID, perhaps received twice
        else:
            assert cases[ref][1] == "received" and ack_events[ref] == 0 and not ids, ref
    assert {letter.message_id for letter in letters} == set(at_server)
    assert all(letter.state == "sent" for letter in letters)
