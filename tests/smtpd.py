"""A real SMTP server in the test process (aiosmtpd) whose replies a test chooses, for the outbox tests.

:func:`smtp_server` starts one on a free loopback port and yields a :class:`Server`: every
message it accepted (``messages``, the bytes as received), and ``behaviour`` the test sets
between sends — ``ok``; ``4xx`` / ``5xx`` on ``RCPT`` or ``DATA``; ``drop`` (the connection cut
in the middle of the message's data). A real Postfix (tests/postfix.py) does the real delivery;
this one gives faults on cue.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Server:
    """A running server: its URL, what it accepted, and how it answers the next message."""

    host: str
    port: int
    behaviour: str = "ok"  # ok | slow | rcpt-4xx | rcpt-5xx | data-4xx | data-5xx | drop
    messages: list[bytes] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def message_ids(self) -> list[str]:
        """The Message-ID of every accepted message, in order (a message sent twice counts twice)."""
        parser = email.parser.BytesHeaderParser(policy=email.policy.default)
        with self.lock:
            return [str(parser.parsebytes(m)["Message-ID"]) for m in self.messages]


class _Handler:
    def __init__(self, server: Server) -> None:
        self.server = server

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if self.server.behaviour == "rcpt-4xx":
            return "450 4.2.1 Mailbox busy, try again later"
        if self.server.behaviour == "rcpt-5xx":
            return "550 5.1.1 <" + address + ">: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.server.behaviour == "data-4xx":
            return "451 4.3.0 Temporary local problem"
        if self.server.behaviour == "data-5xx":
            return "554 5.6.0 Message content rejected"
        content = envelope.original_content or b""
        with self.server.lock:
            self.server.messages.append(content)
            self.server.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
            number = len(self.server.messages)
        if self.server.behaviour == "slow":  # taken, but the client hears so only later (or, killed, never)
            await asyncio.sleep(0.4)
        return f"250 2.0.0 Ok: queued as T{number:05d}"


class _Smtp(SMTP):
    """aiosmtpd's server, which can also cut the connection while the client is sending the message."""

    def __init__(self, handler: Any, server: Server, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.test_server = server

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 (aiosmtpd's name)
        if self.test_server.behaviour != "drop":
            await super().smtp_DATA(arg)
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        await self._reader.readline()  # the first line of the message, then the line goes dead
        assert self.transport is not None
        self.transport.close()


class _Controller(Controller):
    def __init__(self, server: Server, **kwargs: Any) -> None:
        self.test_server = server
        super().__init__(_Handler(server), hostname=server.host, port=server.port, **kwargs)

    def factory(self) -> SMTP:
        return _Smtp(self.handler, self.test_server, **self.SMTP_kwargs)


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(*, host: str = "127.0.0.1", tls_context: ssl.SSLContext | None = None,
                logins: dict[str, str] | None = None) -> Iterator[Server]:
    """Start the server for one test; stopped when it ends.

    ``tls_context``: STARTTLS offered (and required before anything else); ``logins``: AUTH
    PLAIN/LOGIN with these users and passwords (after STARTTLS).
    """
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the test server's own log, not the library's
    server = Server(host, _free_port(host))
    extra: dict[str, Any] = {}
    if tls_context is not None:
        extra |= {"tls_context": tls_context, "require_starttls": True}
    if logins is not None:
        def check(_server: SMTP, _session: Session, _envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and logins.get(data.login.decode()) == data.password.decode()
            return AuthResult(success=ok, handled=False)
        extra |= {"authenticator": check, "auth_require_tls": tls_context is not None}
    controller = _Controller(server, ready_timeout=10, **extra)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def free_port() -> int:
    """A loopback port nothing listens on (for "the server is gone")."""
    return _free_port()
