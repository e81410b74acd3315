"""SMTP submission (klageformular/smtp.py) against a real SMTP server on loopback (aiosmtpd, tests/smtpd.py):
what each reply means (2xx sent; 5xx to RCPT or DATA permanent; 4xx, a connection cut mid-DATA, no
server, a refused login temporary), STARTTLS required except on loopback, the settings from the
environment or the profile, and the password in no message and no log record."""

from __future__ import annotations

import email
import email.policy
import logging
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest

from klageformular.exceptions import ConfigurationError, PermanentSendError, TemporarySendError
from klageformular.org import MailServers, get_organisation
from klageformular.smtp import SmtpMailer, parse_smtp_url, smtp_from_environment

from .smtpd import Server, free_port, smtp_server

MESSAGE = (b"From: Linn <linn@kameo.no>\r\nTo: kunde@example.dk\r\nSubject: [KLA-2026-0001] Kvittering\r\n"
           b"Message-ID: <0123.KLA-2026-0001@kameo.no>\r\n\r\n.a line that starts with a dot\r\nHej\r\n")
PASSWORD = "s3kret-smtp-kodeord"


def _mailer(server: Server, **kw: object) -> SmtpMailer:
    return SmtpMailer(parse_smtp_url(server.url), timeout=10, **kw)  # type: ignore[arg-type]


def _send(mailer: SmtpMailer) -> str:
    return mailer.submit(MESSAGE, sender="linn@kameo.no", recipients=["kunde@example.dk"])


@pytest.mark.parametrize(("url", "parts"), [
    ("smtps://klage%40kameo.dk@mail.kameo.dk", (True, "mail.kameo.dk", 465, "klage@kameo.dk")),
    ("smtp://mail.kameo.dk", (False, "mail.kameo.dk", 587, None)),
    (" smtp://127.0.0.1:2525 ", (False, "127.0.0.1", 2525, None)),
])
def test_urls(url: str, parts: tuple[object, ...]) -> None:
    u = parse_smtp_url(url)
    assert (u.secure, u.host, u.port, u.user) == parts
    assert "@" not in str(u)  # the user (often an address) is not in what messages print


@pytest.mark.parametrize(("url", "match"), [
    ("smtps://klage:hemmelig@mail.kameo.dk", "no password in the SMTP URL"),
    ("http://mail.kameo.dk", "starts with smtps://"),
    ("smtps://", "needs a host"),
    ("smtps://mail.kameo.dk/INBOX", "without a path"),
    ("smtps://mail.kameo.dk:port", "not a number"),
])
def test_bad_urls(url: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        parse_smtp_url(url)


def test_a_message_is_sent_as_given(smtp: Server) -> None:
    reply = _send(_mailer(smtp))
    assert reply == "250 2.0.0 Ok: queued as T00001"
    assert smtp.envelopes == [("linn@kameo.no", ["kunde@example.dk"])]
    (got,) = smtp.messages
    assert got == MESSAGE  # dot-stuffing undone by the server: the bytes as queued


@pytest.mark.parametrize(("behaviour", "error", "code", "words"), [
    ("rcpt-4xx", TemporarySendError, 450, "refused the recipient (450 4.2.1)"),
    ("rcpt-5xx", PermanentSendError, 550, "refused the recipient (550 5.1.1)"),
    ("data-4xx", TemporarySendError, 451, "refused the message (451 4.3.0)"),
    ("data-5xx", PermanentSendError, 554, "refused the message (554 5.6.0)"),
    ("drop", TemporarySendError, None, "closed the connection"),
])
def test_what_a_refusal_means(smtp: Server, behaviour: str, error: type[Exception], code: int | None,
                              words: str) -> None:
    smtp.behaviour = behaviour
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")) as info:
        _send(_mailer(smtp))
    assert getattr(info.value, "code", None) == code
    assert "kunde@example.dk" not in str(info.value)  # the server's words (which quote it) stay in .reply
    if behaviour == "rcpt-5xx":
        assert "kunde@example.dk" in info.value.reply  # type: ignore[attr-defined]
    assert smtp.messages == []


def test_no_server_is_temporary() -> None:
    mailer = SmtpMailer(parse_smtp_url(f"smtp://127.0.0.1:{free_port()}"), timeout=5)
    with pytest.raises(TemporarySendError, match=r"cannot reach smtp://127\.0\.0\.1:\d+: Connection refused"):
        _send(mailer)


def _outside_address() -> str:
    """This machine's address on its network (not loopback), or a skip."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = str(s.getsockname()[0])
    except OSError:
        address = ""
    if not address or address.startswith("127."):
        pytest.skip("this machine has no address besides loopback")
    return address


def test_plain_smtp_is_refused_off_loopback() -> None:
    """smtp:// to a server off this machine that offers no STARTTLS: nothing is sent in the clear."""
    with smtp_server(host=_outside_address()) as server:
        with pytest.raises(TemporarySendError, match="offers no STARTTLS; mail is sent in the clear only to a"):
            _send(_mailer(server))
        assert server.messages == []


@pytest.fixture
def tls(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1: the server's context and a client context that trusts it."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (apt-get install openssl): needed for a test certificate")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True, timeout=60)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return server, ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))


def test_starttls_and_login_and_the_password_in_no_message_or_log(
        tls: tuple[ssl.SSLContext, ssl.SSLContext], caplog: pytest.LogCaptureFixture) -> None:
    server_context, client_context = tls
    with caplog.at_level(logging.DEBUG), smtp_server(tls_context=server_context,
                                                     logins={"klage@kameo.dk": PASSWORD}) as server:
        url = parse_smtp_url(f"smtp://klage%40kameo.dk@{server.host}:{server.port}")
        with pytest.raises(TemporarySendError, match=r"login refused \(535\); check the user and "
                                                     "KLAGEFORMULAR_SMTP_PASSWORD") as info:
            SmtpMailer(url, "wrong-" + PASSWORD, timeout=10, ssl_context=client_context).submit(
                MESSAGE, sender="linn@kameo.no", recipients=["kunde@example.dk"])
        assert PASSWORD not in str(info.value) and "klage@kameo.dk" not in str(info.value)
        mailer = SmtpMailer(url, PASSWORD, timeout=10, ssl_context=client_context)
        assert PASSWORD not in repr(mailer)
        assert _send(mailer).startswith("250 ")
        assert len(server.messages) == 1
        # An untrusted certificate is no server to send to.
        with pytest.raises(TemporarySendError, match="connection lost"):
            _send(SmtpMailer(url, PASSWORD, timeout=10))
    records = " ".join(f"{r.name} {r.getMessage()} {r.args}" for r in caplog.records if r.name != "mail.log")
    assert PASSWORD not in records and PASSWORD not in caplog.text.replace("mail.log", "")


def test_settings_from_the_environment_or_the_profile() -> None:
    org = get_organisation("kameo-dk").model_copy(update={"mail": MailServers(smtp_url="smtps://mail.kameo.dk")})
    assert smtp_from_environment({}) is None
    assert smtp_from_environment({}, org=get_organisation("kameo-dk")) is None
    assert str(smtp_from_environment({}, org=org).url) == "smtps://mail.kameo.dk:465"
    env = {"KLAGEFORMULAR_SMTP_URL": "smtp://127.0.0.1:2525"}
    assert str(smtp_from_environment(env, org=org).url) == "smtp://127.0.0.1:2525"
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return PASSWORD

    user = {"KLAGEFORMULAR_SMTP_URL": "smtps://klage%40kameo.dk@mail.kameo.dk"}
    mailer = smtp_from_environment(user, prompt=prompt)
    assert mailer is not None and mailer.password == PASSWORD
    assert asked == ["SMTP password for smtps://mail.kameo.dk:465: "]
    mailer = smtp_from_environment(user | {"KLAGEFORMULAR_SMTP_PASSWORD": "fra-miljøet"}, prompt=prompt)
    assert mailer is not None and mailer.password == "fra-miljøet" and len(asked) == 1
    with pytest.raises(ConfigurationError, match="wants a password: set KLAGEFORMULAR_SMTP_PASSWORD"):
        smtp_from_environment(user, prompt=None)


def test_the_message_the_server_got_parses_as_sent(smtp: Server) -> None:
    _send(_mailer(smtp))
    got = email.message_from_bytes(smtp.messages[0], policy=email.policy.default)
    assert got["Message-ID"] == "<0123.KLA-2026-0001@kameo.no>"
    assert got.get_content().startswith(".a line that starts with a dot")
