"""The workbench on a loopback port for the tests: a real uvicorn in a thread, a register with cases and accounts.

The app's clock is the test's (:class:`Clock`): timeouts and TOTP steps move when a test says,
without waiting. Accounts: ``linn`` and ``mikkel`` (officers, TOTP), ``revisor`` (a viewer, no
second factor). Cases: KLA-2026-0001 (needs review, one document with a Danish file name),
KLA-2026-0002 (complete).
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import httpx
import pyotp
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.types import ASGIApp

from klageformular.org import Organisation
from klageformular.register import MemoryFiles, Register, add_record, create_register_engine
from klageformular.register._outbox import Mailer
from klageformular.web import Settings, create_app
from klageformular.web._accounts import add_user

from .registers import complaint_record

PASSWORD = "correct horse battery staple"
DOCUMENT = b"%PDF-1.4\n% a customer's file\n"
DOCUMENT_NAME = "Klage æøå.pdf"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Clock:
    """The app's time: a test moves ``now``."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    """A running workbench: its URL, app, engine, clock, database URL and the officers' TOTP secrets."""

    url: str
    app: FastAPI
    engine: Engine
    clock: Clock
    db_url: str
    secrets: dict[str, str]
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, **options: object) -> httpx.Client:
        """A new HTTP client (no cookies unless given); closed when the site stops."""
        client = httpx.Client(base_url=self.url, follow_redirects=False, timeout=30, **options)  # type: ignore[arg-type]
        self.clients.append(client)
        return client

    def code(self, name: str) -> str:
        return pyotp.TOTP(self.secrets[name]).at(self.clock.now)

    def login(self, name: str, *, client: httpx.Client | None = None, password: str = PASSWORD,
              code: str | None = None, next: str | None = None) -> tuple[httpx.Client, httpx.Response]:
        """A client that went through the login form; the POST's response."""
        client = client or self.client()
        form = client.get("/login" + (f"?next={next}" if next else ""))
        assert form.status_code == 200
        answer = client.post("/login", data={"username": name, "password": password, "csrf": csrf_of(form.text),
                                              "code": code if code is not None else
                                              (self.code(name) if name in self.secrets else ""),
                                              "next": next or "/"})
        return client, answer


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no CSRF token on the page"
    return found[1]


def _secret(uri: str | None) -> str:
    assert uri is not None
    return parse_qs(urlparse(uri).query)["secret"][0]


def seed(engine: Engine, clock: Clock) -> dict[str, str]:
    """The cases and accounts the module docstring lists; the officers' TOTP secrets by name."""
    sha = hashlib.sha256(DOCUMENT).hexdigest()
    add_record(engine, complaint_record(1, status="needs_review", source=f"web/{DOCUMENT_NAME}", sha256=sha,
                                        channel="web"), files=MemoryFiles({f"web/{DOCUMENT_NAME}": DOCUMENT}))
    add_record(engine, complaint_record(2, received="2026-11-24"))
    secrets: dict[str, str] = {}
    with Session(engine) as s, s.begin():
        for name, role in (("linn", "officer"), ("mikkel", "officer"), ("revisor", "viewer")):
            done = add_user(s, name=name, role=role, password=PASSWORD, now=clock.now)
            if done.otpauth_uri:
                secrets[name] = _secret(done.otpauth_uri)
    return secrets


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread on a free loopback port; yields its base URL."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it a kept-alive connection's second request waits
    # ~40 ms (Nagle's algorithm against the client's delayed ACK); uvicorn binding its own socket sets it.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(1000):
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextmanager
def workbench(db_url: str, settings: Settings | None = None, *, profiles: Mapping[str, Organisation] | None = None,
              mailer: Mailer | None = None) -> Iterator[Site]:
    """A seeded register at ``db_url`` and the workbench over it on a loopback port (``profiles``: the
    office's profile files, as ``serve --org-file`` gives them; ``mailer``: the SMTP server letters go to)."""
    clock = Clock()
    engine = create_register_engine(db_url)
    try:
        secrets = seed(engine, clock)
        app = create_app(engine, settings or Settings(), clock=clock, register=Register(engine, profiles=profiles),
                         mailer=mailer)
        with serving(app) as url:
            site = Site(url, app, engine, clock, db_url, secrets)
            try:
                yield site
            finally:
                for client in site.clients:
                    client.close()
    finally:
        engine.dispose()
