"""Serve the complaint form on a website and read uploaded copies back (FastAPI; ``pip install klageformular[web]``).

Run it (the settings below cut off slow clients; see :func:`serve`; the environment variables
are listed on :class:`Settings`)::

    KLAGEFORMULAR_PREFILL_SECRET=change-me python -m examples.website.app --port 8000

``GET /klageformular.pdf`` serves the blank form in the visitor's language (``?lang=`` or
``Accept-Language``), cached by a strong ETag; ``GET /klageformular.pdf?prefill=TOKEN``
serves it pre-filled for a logged-in customer (the token is signed and short-lived; it names
the customer, never their data); ``POST /complaints`` reads an uploaded form and answers with
what was read: every readable form is a complaint (200), ``complete`` or ``needs_review``
with review items in the form's language that the page can show the customer, stored in the
complaint register under a reference (``KLA-2026-0001``) that the page shows too; the same
upload again answers with the same reference. A file that is not a readable form gets 422
and is not stored: the customer is told at once and can send another file or write to the
complaints officer. ``GET /healthz`` says whether the register and the parse pool answer.
Uploads stay in memory and are never written to disk; they are parsed in a small pool of
worker processes with a memory ceiling, so one hostile upload cannot starve the others or
grow the server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import multiprocessing
import os
import re
import resource
import secrets
import threading
import time
import unicodedata
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

import h11
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from itsdangerous import BadData, URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from pydantic import BaseModel, Field
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from uvicorn.protocols.http.h11_impl import H11Protocol

from klageformular import KlageformularError, Limits, ParseResult, parse_pdf, render_form
from klageformular.locales import LANGUAGES, catalogue
from klageformular.org import Organisation, deadlines, organisation_keys, profile_for
from klageformular.orgfile import load_organisation
from klageformular.records import Record
from klageformular.register import MemoryFiles, Register, add_record, create_register_engine

__all__ = ["HidePrefillTokens", "InvalidTokenError", "ParsePool", "Settings", "create_app", "header_timeout_protocol",
           "negotiate_language", "serve", "sign_prefill", "site", "verify_prefill"]

log = logging.getLogger("klageformular.website")

CustomerLookup = Callable[[str], Mapping[str, Any] | None]
"""Customer id → the ``Complaint`` data to pre-fill (a dict), or None for an unknown customer."""

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# One upload's body must arrive within this. A slot is held while the body is read, so without a
# deadline 32 clients sending a byte now and then hold every slot for as long as they like. 120 s
# carries the largest upload (10 MiB) over a 1 Mbit/s line with room to spare; a real upload on a
# slow line was measured at 55.8 s.
UPLOAD_SECONDS = 120.0
# Short-lived, not single-use: the site mints a token when the logged-in customer clicks
# "download my pre-filled form" and redirects at once, so two minutes is plenty. Single use
# would break browsers' PDF viewers, which fetch the URL again to save or print the file (the
# response is no-store), and would need a store of spent tokens shared by every server process.
PREFILL_TTL_SECONDS = 120
MAX_TOKEN_CHARS = 1024
_SALT = "klageformular-prefill"  # a token for this purpose cannot be replayed for another one
# Primary language subtags a browser may send, mapped to the form's languages.
_LANGUAGE_TAGS = {"da": "da", "en": "en", "nb": "nb", "no": "nb", "nn": "nb", "sv": "sv"}


class InvalidTokenError(ValueError):
    """A prefill token that is malformed, forged or expired."""


DEFAULT_DB = "sqlite:///data/klager.db"
# The day of receipt is the organisation's own calendar day, not the server's (often UTC).
_ZONES = {"DK": "Europe/Copenhagen", "NO": "Europe/Oslo", "SE": "Europe/Stockholm", "FI": "Europe/Helsinki"}


@dataclass(frozen=True)
class Settings:
    """Everything the site is configured by; :meth:`from_environ` reads it from environment variables.

    ========================================  ==========================================================
    ``KLAGEFORMULAR_DB``                      register database URL (default ``sqlite:///data/klager.db``,
                                              relative to the working folder; ``postgresql://…`` to share)
    ``KLAGEFORMULAR_PREFILL_SECRET``          signs prefill links (unset: a random one per process)
    ``KLAGEFORMULAR_MAX_UPLOAD_BYTES``        largest upload accepted (default 10 MiB)
    ``KLAGEFORMULAR_ORG_FILE``                organisation profile (TOML/JSON) for deadlines and validation
    ``KLAGEFORMULAR_UPLOAD_SECONDS``          time one upload's body may take to arrive (default 120 s);
                                              a slower one is answered 408 and its slot freed
    ========================================  ==========================================================

    Plain ``os.environ`` read once, at the edge, rather than pydantic-settings: five variables
    do not justify a dependency, and the library itself never reads the environment.

    >>> Settings.from_environ({"KLAGEFORMULAR_MAX_UPLOAD_BYTES": "1048576"}).max_upload_bytes
    1048576
    """

    database_url: str = DEFAULT_DB
    prefill_secret: bytes | None = None
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    org_file: Path | None = None
    upload_seconds: float = UPLOAD_SECONDS

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """The settings in ``environ`` (pass ``os.environ``); a malformed value is a ``ValueError`` at start-up."""
        size = environ.get("KLAGEFORMULAR_MAX_UPLOAD_BYTES")
        if size is not None and not (size.isdigit() and int(size) > 0):
            raise ValueError("KLAGEFORMULAR_MAX_UPLOAD_BYTES must be a positive whole number of bytes")
        seconds = environ.get("KLAGEFORMULAR_UPLOAD_SECONDS")
        if seconds is not None and not (seconds.isdigit() and int(seconds) > 0):
            raise ValueError("KLAGEFORMULAR_UPLOAD_SECONDS must be a positive whole number of seconds")
        secret = environ.get("KLAGEFORMULAR_PREFILL_SECRET")
        org_file = environ.get("KLAGEFORMULAR_ORG_FILE")
        return cls(database_url=environ.get("KLAGEFORMULAR_DB") or DEFAULT_DB,
                   prefill_secret=secret.encode() if secret else None,
                   max_upload_bytes=int(size) if size else MAX_UPLOAD_BYTES,
                   org_file=Path(org_file) if org_file else None,
                   upload_seconds=float(seconds) if seconds else UPLOAD_SECONDS)


class ReviewItemOut(BaseModel):
    """Something in the upload a person must look at (see ``klageformular.ReviewItem``)."""

    path: str = Field(examples=["complainant.email"])
    label: str = Field(description="The field's label in the form's language")
    value: str | None = Field(description="Exactly what was typed (null: nothing was)")
    code: str = Field(examples=["invalid_email"])
    message: str = Field(description="In English; never contains the value")
    message_local: str = Field(description="In the form's language, for the customer")


class WarningOut(BaseModel):
    """Something about the file (not its values) worth knowing, e.g. a repaired PDF."""

    code: str
    path: str | None
    message: str


class ReceiptOut(BaseModel):
    """A readable form, stored in the complaint register (or found there already)."""

    reference: str = Field(description="The register's reference for this complaint", examples=["KLA-2026-0001"])
    stored: Literal["added", "already", "attached"] = Field(
        description="added: a new complaint; already: this very file was received before; attached: "
                    "another copy of a complaint already received (the reference is the first one's)")
    received: str = Field(description="When the complaint was first received (ISO 8601 with the "
                                      "organisation's offset; a date alone for one first received by post)",
                          examples=["2026-11-27T14:03:11+01:00"])
    acknowledge_by: str = Field(description="Latest day to acknowledge receipt (ISO date)", examples=["2026-12-02"])
    status: Literal["complete", "needs_review"]
    review: list[ReviewItemOut]
    sha256: str
    method: Literal["acroform", "text"]
    form_version: str | None
    language: Literal["da", "en", "nb", "sv"] | None
    page_count: int
    organisation: str | None
    complaint: dict[str, Any] = Field(description="The complaint as read (klageformular.Complaint, JSON mode)")
    warnings: list[WarningOut]
    content_key: str | None
    raw: dict[str, str | bool | None] = Field(
        description="Every field's value as typed, by dotted path (check boxes: true/false; empty: null)")


class ProblemOut(BaseModel):
    """Why an upload was not taken."""

    detail: str
    error: str | None = Field(None, description="The parser's error class, for a 422")


class HealthOut(BaseModel):
    """Whether the site can take complaints (no personal data)."""

    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unavailable"]
    parse_pool: Literal["idle", "busy", "ready", "broken"]


def _serializer(secret: bytes, clock: Callable[[], float]) -> URLSafeTimedSerializer:
    # itsdangerous signs with HMAC and compares in constant time; its timestamp comes from our
    # clock so tests (and a site with its own time source) can move it.
    class _Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return URLSafeTimedSerializer(secret, salt=_SALT, signer=_Signer)


def sign_prefill(secret: bytes, customer_id: str, *, now: float | None = None) -> str:
    """A URL-safe token that lets ``GET /klageformular.pdf?prefill=…`` pre-fill for one customer.

    >>> token = sign_prefill(b"secret", "K-20417", now=0)
    >>> verify_prefill(b"secret", token, now=60)
    'K-20417'
    """
    issued = time.time() if now is None else now
    # The nonce makes every link different, so one leaked link says nothing about the next.
    token: str = _serializer(secret, lambda: issued).dumps({"sub": customer_id, "n": secrets.token_urlsafe(6)})
    return token


def verify_prefill(secret: bytes, token: str, *, ttl: int = PREFILL_TTL_SECONDS, now: float | None = None) -> str:
    """The customer id in a token, or :class:`InvalidTokenError` for any token that is not one of ours."""
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidTokenError("too long")
    try:
        payload = _serializer(secret, time.time if now is None else (lambda: now)).loads(token, max_age=ttl)
    except BadData as exc:  # forged, tampered, expired, not base64, not JSON: all one answer
        raise InvalidTokenError(type(exc).__name__) from None
    customer = payload.get("sub") if isinstance(payload, dict) else None
    if not isinstance(customer, str):
        raise InvalidTokenError("malformed payload")
    return customer


class HidePrefillTokens(logging.Filter):
    """Takes prefill tokens out of uvicorn's access log: a token opens a customer's data.

    Installed on the ``uvicorn.access`` logger by :func:`create_app`. A proxy in front must
    do the same (nginx: log ``$uri`` instead of ``$request`` for this location).
    """

    _TOKEN = re.compile(r"(prefill=)[^&\s]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._TOKEN.sub(r"\1[hidden]", a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = self._TOKEN.sub(r"\1[hidden]", record.msg)
        return True


_HIDE_TOKENS = HidePrefillTokens()


def negotiate_language(accept_language: str | None, default: str = "da") -> str:
    """The best form language for an ``Accept-Language`` header (``nn-NO`` → ``nb``).

    >>> negotiate_language("de-DE,de;q=0.9,sv;q=0.8,en;q=0.5")
    'sv'
    """
    best, best_q = default, 0.0
    for item in (accept_language or "").split(","):
        tag, *params = (p.strip() for p in item.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        lang = _LANGUAGE_TAGS.get(tag.split("-")[0].lower())
        if lang and q > best_q:
            best, best_q = lang, q
    return best


@cache
def _blank_form(lang: str, org: str | None) -> tuple[bytes, str]:
    # Rendering is deterministic, so the bytes and their hash can be kept for the process's life.
    data = render_form(lang, org=org)
    return data, f'"{hashlib.sha256(data).hexdigest()}"'


def _etag_matches(if_none_match: str, etag: str) -> bool:
    # RFC 9110 §13.1.2: weak comparison, a list of tags, or "*".
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _disposition(lang: str) -> str:
    name = f"{catalogue(lang)['title']}.pdf"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


class _UploadTooLargeError(Exception):
    pass


class _BadUploadError(Exception):
    pass


class _AbortedUploadError(Exception):
    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


class _SlowUploadError(Exception):
    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


async def _read_upload(request: Request, field: str, limit: int, seconds: float) -> bytes:
    """The bytes of one multipart field, streamed into memory and never spooled to disk.

    The whole body must arrive within ``seconds`` (:class:`_SlowUploadError` otherwise).
    """
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise _BadUploadError("send the form as multipart/form-data with a 'file' field")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _UploadTooLargeError
    # Chunks joined once at the end: growing one buffer by realloc fragments the heap, and the
    # server then keeps hundreds of MB after a burst of large uploads (measured: 579 MB from 81).
    parts: list[tuple[str, list[bytes]]] = []
    header: dict[str, bytes] = {}
    name = bytearray()
    value = bytearray()

    def on_part_begin() -> None:
        header.clear()
        parts.append(("", []))

    def on_header_field(data: bytes, start: int, end: int) -> None:
        name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        value.extend(data[start:end])

    def on_header_end() -> None:
        header[name.decode("latin-1").lower()] = bytes(value)
        name.clear()
        value.clear()

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(header.get("content-disposition", b""))
        parts[-1] = (disposition.get(b"name", b"").decode("utf-8", "replace"), parts[-1][1])

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1][1].append(data[start:end])

    try:
        parser = MultipartParser(boundary, {
            "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
            "on_header_end": on_header_end, "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        })
    except Exception as exc:  # a boundary python-multipart refuses (over 256 characters): the client's fault
        raise _BadUploadError(f"malformed multipart boundary: {exc}") from None
    received = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:  # a missing or false Content-Length is caught here
                    raise _UploadTooLargeError
                try:
                    parser.write(chunk)
                except Exception as exc:  # python-multipart raises its own errors on a malformed body
                    raise _BadUploadError(f"malformed multipart body: {exc}") from None
    except ClientDisconnect:
        raise _AbortedUploadError(received) from None
    except TimeoutError:
        raise _SlowUploadError(received) from None
    try:
        parser.finalize()
    except Exception as exc:
        raise _BadUploadError(f"malformed multipart body: {exc}") from None
    found = [b"".join(data) for part, data in parts if part == field]
    if not found:
        raise _BadUploadError(f"no '{field}' field in the upload")
    return found[0]


class ParsePool:
    """Parses uploads in a few worker processes: bounded, with a memory ceiling, recycled.

    At most ``workers`` files are parsed at once (the rest wait their turn, in memory); each
    worker's address space is capped at ``memory_mb`` (a file that needs more fails with a
    ``LimitExceededError`` in the worker, not in the server), the workers are replaced after
    ``tasks_per_worker`` files each (``workers * tasks_per_worker`` for the pool), and they stop
    after ``idle_seconds`` without uploads (the next upload starts them again), so the memory
    a burst took is given back to the system. Inside a
    worker, ``parse_pdf``'s work budget and deadline (``limits``) stop content bombs. A worker
    that dies (the kernel's OOM killer, a crash in a C library) breaks the pool: it is replaced,
    and the files it held are tried once more.
    """

    def __init__(self, *, workers: int = 2, memory_mb: int | None = 1024, tasks_per_worker: int = 20,
                 limits: Limits | None = None, idle_seconds: float = 30.0) -> None:
        self.workers, self.memory_mb, self.tasks_per_worker = workers, memory_mb, tasks_per_worker
        self.idle_seconds = idle_seconds
        self._busy = 0
        self._idle_timer: asyncio.TimerHandle | None = None
        # A website answers while the customer waits: a shorter deadline than batch mode's.
        self.limits = limits or replace(Limits(), max_seconds=10.0)
        self._executor: ProcessPoolExecutor | None = None
        self._given = 0  # files given to the current pool
        self._lock = threading.Lock()

    def executor(self) -> ProcessPoolExecutor:
        """The pool of worker processes for the next file (started on first use, renewed when due)."""
        with self._lock:
            if self._executor is not None and self._given >= self.workers * self.tasks_per_worker:
                # Recycling by hand: ProcessPoolExecutor's own max_tasks_per_child hangs for ever
                # on Python 3.11 once a worker is killed (the OOM killer). The old pool finishes
                # the files it holds, then its workers exit and their memory goes back.
                retired, self._executor = self._executor, None
                retired.shutdown(wait=False)
            if self._executor is None:
                self._given = 0
                ceiling = self.memory_mb * 1024 * 1024 if self.memory_mb else resource.RLIM_INFINITY
                # "spawn": fresh interpreters; forking a threaded server process is unsafe.
                self._executor = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=resource.setrlimit, initargs=(resource.RLIMIT_AS, (ceiling, ceiling)))
            self._given += 1
            return self._executor

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    async def parse(self, data: bytes, org: Organisation | None = None) -> ParseResult:
        """``parse_pdf(data, org=org)`` in a worker; raises what it raises (``KlageformularError``)."""
        self._busy += 1
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        try:
            return await self._parse(data, org)
        finally:
            self._busy -= 1
            if self._busy == 0:
                # After a burst the workers stop, and give all their memory back, until the next upload.
                self._idle_timer = asyncio.get_running_loop().call_later(self.idle_seconds, self._stop_if_idle)

    def _stop_if_idle(self) -> None:
        self._idle_timer = None
        if self._busy == 0:
            with self._lock:
                executor, self._executor = self._executor, None
            if executor is not None:
                executor.shutdown(wait=False)

    async def health(self, timeout: float = 5.0) -> Literal["idle", "busy", "ready", "broken"]:
        """``idle``: no workers (they start on the next upload); ``busy``: parsing (not probed, so a
        health check never queues behind uploads); ``ready``: a worker answered a round trip in
        ``timeout`` seconds; ``broken``: it did not (the next upload replaces the pool).
        """
        if self._busy:
            return "busy"
        with self._lock:
            executor = self._executor
        if executor is None:
            return "idle"
        try:
            future: Future[int] = executor.submit(os.getpid)
            await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except RuntimeError:  # shut down since we looked: stopped for idleness or recycled
            return "idle"
        except (BrokenProcessPool, TimeoutError, concurrent.futures.CancelledError):
            return "broken"
        return "ready"

    async def _parse(self, data: bytes, org: Organisation | None) -> ParseResult:
        for attempt in (1, 2):
            executor = self.executor()
            try:
                future: Future[ParseResult] = executor.submit(parse_pdf, data, limits=self.limits, org=org)
                # The worker's own deadline ends the parse; this one only guards the server.
                return await asyncio.wait_for(asyncio.wrap_future(future), self.limits.max_seconds + 30)
            except BrokenProcessPool:
                log.warning("a parse worker died (attempt %d); starting a fresh pool", attempt)
                self._replace(executor)
        raise _ParseCrashedError

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the workers (the app's shutdown does this, without waiting for a parse to end)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)


class _ParseCrashedError(Exception):
    pass


def header_timeout_protocol(seconds: float = 10.0) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol, closing connections that do not finish their headers in time.

    uvicorn has a keep-alive timeout but none for the request line and headers: a client that
    sends them a byte at a time (Slowloris) holds its connection for ever. Pass the class as
    ``uvicorn.Config(http=…)`` (see :func:`serve`); such a client gets ``408`` and is closed.
    """

    class HeaderTimeoutH11Protocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # the request's headers are complete
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()  # the next request on this connection gets the same time

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(seconds, self._expired)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _expired(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                log.info("closed a connection that sent no complete request headers in %g s", seconds)
                self.transport.write(b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                                     b"Content-Length: 0\r\n\r\n")
                self.transport.close()

    return HeaderTimeoutH11Protocol


def create_app(settings: Settings | None = None, *, customers: CustomerLookup,
               clock: Callable[[], float] = time.time, prefill_ttl: int = PREFILL_TTL_SECONDS,
               parse_pool: ParsePool | None = None, upload_slots: int = 32) -> FastAPI:
    """The web app; ``customers`` looks up a logged-in customer's prefill data by id.

    ``settings`` default to :meth:`Settings.from_environ` of ``os.environ``, read here once.
    The register's engine is made (and migrated) here, so a wrong database URL or profile
    file stops the start-up rather than the first complaint.

    >>> app = create_app(Settings(database_url="sqlite://", prefill_secret=b"s"), customers={}.get)
    >>> sorted({r.path for r in app.routes if r.path.startswith(("/k", "/c", "/h"))})
    ['/complaints', '/healthz', '/klageformular.pdf']
    """
    settings = settings or Settings.from_environ(os.environ)
    secret = settings.prefill_secret or _random_secret()
    max_upload_bytes, upload_seconds = settings.max_upload_bytes, settings.upload_seconds
    # A profile file fixes the organisation: its rules validate every form, its working days
    # set every deadline. Without one, each form's own profile does (as batch does).
    profile = load_organisation(settings.org_file) if settings.org_file else None
    engine = _register_engine(settings.database_url)
    pool = parse_pool or ParsePool()
    # Created on first use, inside the server's event loop.
    slots: list[asyncio.Semaphore] = []
    logging.getLogger("uvicorn.access").addFilter(_HIDE_TOKENS)  # idempotent: one instance

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        pool.shutdown(wait=False)
        engine.dispose()

    api = FastAPI(title="Kameo complaint form", docs_url=None, redoc_url=None, lifespan=lifespan)
    api.state.parse_pool = pool
    api.state.engine = engine

    @api.get("/klageformular.pdf", response_class=Response, summary="The complaint form (PDF)",
             responses={200: {"content": {"application/pdf": {}}}, 304: {"description": "Not modified"},
                        403: {"description": "Invalid or expired prefill link"},
                        404: {"description": "Unknown language or profile"}})
    async def form(request: Request, lang: str | None = Query(None), org: str | None = Query(None),
             prefill: str | None = Query(None)) -> Response:
        chosen = lang or negotiate_language(request.headers.get("accept-language"))
        if chosen not in LANGUAGES:
            return JSONResponse({"detail": f"unknown language {chosen!r}", "languages": list(LANGUAGES)}, 404)
        if org is not None and org not in organisation_keys():
            return JSONResponse({"detail": f"unknown organisation {org!r}", "orgs": organisation_keys()}, 404)
        headers = {"Content-Disposition": _disposition(chosen)}
        if lang is None:
            headers["Vary"] = "Accept-Language"
        if prefill is not None:
            # A personal copy: never cached by the browser or anything in between, and the link
            # never sent on as a Referer.
            headers |= {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
            try:
                customer = verify_prefill(secret, prefill, ttl=prefill_ttl, now=clock())
            except InvalidTokenError as exc:
                log.info("prefill refused: %s", exc)
                return JSONResponse({"detail": "invalid or expired prefill link"}, 403, headers=headers)
            data = await run_in_threadpool(customers, customer)  # the site's lookup may block
            if data is None:
                return JSONResponse({"detail": "invalid or expired prefill link"}, 403, headers=headers)
            try:
                pdf = await run_in_threadpool(render_form, chosen, prefill=data, org=org)
            except KlageformularError as exc:  # the site's own customer data does not fit the form
                log.warning("prefill failed: %s", type(exc).__name__)
                return JSONResponse({"detail": "the form cannot be pre-filled"}, 500, headers=headers)
            return Response(pdf, media_type="application/pdf", headers=headers)
        # In the event loop, not the thread pool: after the first render per language and profile
        # this is a dictionary look-up, and under load the thread pool's queue is the slow part.
        pdf, etag = _blank_form(chosen, org)
        headers |= {"ETag": etag, "Cache-Control": "public, max-age=86400"}
        if _etag_matches(request.headers.get("if-none-match", ""), etag):
            return Response(status_code=304, headers=headers)
        return Response(pdf, media_type="application/pdf", headers=headers)

    # HEAD answers as GET does (headers only); one operation in the description, not two.
    api.add_api_route("/klageformular.pdf", form, methods=["HEAD"], include_in_schema=False)

    @api.post("/complaints", response_model=None, summary="Send a filled complaint form",
              openapi_extra={"requestBody": _UPLOAD_BODY}, responses=_UPLOAD_RESPONSES)
    async def complaints(request: Request) -> JSONResponse:
        """Read an uploaded form and store it in the complaint register.

        Every readable form is a complaint (200), with its reference and what a person must look
        at; the same file (or another copy of the same filled form) again gives the same
        reference. A file that is not a readable form is answered 422 and not stored.
        """
        if not slots:
            slots.append(asyncio.Semaphore(upload_slots))
        async with slots[0]:  # memory: at most upload_slots bodies read and held at a time
            return await _complaint(request)

    @api.get("/healthz", response_model=HealthOut, responses={503: {"model": HealthOut}})
    async def healthz() -> JSONResponse:
        """200 when the register answers and the parse pool is not broken, else 503."""
        database = await run_in_threadpool(_database_health, engine)
        workers = await pool.health()
        ok = database == "ok" and workers != "broken"
        body = HealthOut(status="ok" if ok else "unavailable", database=database, parse_pool=workers)
        return JSONResponse(body.model_dump(), 200 if ok else 503, headers={"Cache-Control": "no-store"})

    async def _complaint(request: Request) -> JSONResponse:
        # The time of receipt is when the upload began to arrive: the legal deadline runs from it.
        arrived = clock()
        try:
            data = await _read_upload(request, "file", max_upload_bytes, upload_seconds)
        except _AbortedUploadError as exc:  # the client went away: one line, no traceback
            log.info("upload aborted by the client after %d bytes", exc.received)
            return JSONResponse({"detail": "upload aborted"}, 400)
        except _SlowUploadError as exc:  # the slot is freed as this returns; the rest of the body is not read
            log.info("upload too slow: %d bytes in %g s", exc.received, upload_seconds)
            return JSONResponse({"detail": f"the upload did not arrive within {upload_seconds:g} seconds; "
                                           "please send it again"}, 408, headers={"Connection": "close"})
        except _UploadTooLargeError:
            return JSONResponse({"detail": f"the file is larger than {max_upload_bytes:,} bytes"}, 413)
        except _BadUploadError as exc:
            return JSONResponse({"detail": str(exc)}, 400)
        if b"%PDF-" not in data[:1024]:
            return JSONResponse({"detail": "not a PDF file"}, 415)
        try:
            result = await pool.parse(data, profile)
        except KlageformularError as exc:
            return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, 422)
        except (_ParseCrashedError, TimeoutError):
            log.warning("upload %s: the parser ran out of resources", hashlib.sha256(data).hexdigest()[:12])
            return JSONResponse({"detail": "the file could not be read within the server's limits",
                                 "error": "ResourceLimit"}, 422)
        body = result.to_dict()
        body.pop("source")
        org = profile or profile_for(result.organisation, result.language, holder="the upload")
        received = datetime.fromtimestamp(arrived, ZoneInfo(_ZONES.get(org.holiday_country, "UTC")))
        due = deadlines(received.date(), org).acknowledge_by
        # Named by its hash: the same bytes again are "already" there, and no customer's name
        # (upload file names often carry one) reaches the register's file list.
        record = Record.from_line(body | {"source": f"web/{result.sha256[:16]}.pdf", "organisation": org.key,
                                          "channel": "web", "received": received.isoformat(),
                                          "acknowledge_by": due.isoformat()})
        try:
            stored = await run_in_threadpool(add_record, engine, record, who="website",
                                             today=received.date(), organisations={org.key: org},
                                             files=MemoryFiles({record.source: data}))  # the PDF, in the register
        except SQLAlchemyError as exc:
            # Nothing was stored: the customer must not leave thinking the complaint arrived.
            log.error("upload %s: the register is unavailable (%s)", result.sha256[:12], type(exc).__name__)
            return JSONResponse({"detail": "the complaint could not be stored; please try again later",
                                 "error": "RegisterUnavailable"}, 503, headers={"Retry-After": "60"})
        log.info("upload %s: status=%s, %s %s", result.sha256[:12], result.status, stored.outcome,
                 stored.reference)  # never the content
        receipt = {"reference": stored.reference, "stored": stored.outcome, "received": received.isoformat(),
                   "acknowledge_by": due.isoformat()}
        if stored.outcome != "added":  # sent before: the first receipt is the one that counts
            receipt |= await run_in_threadpool(_first_receipt, engine, stored.reference, received.tzinfo, org)
        return JSONResponse(receipt | body, 200)

    return api


# A demo customer so the example runs as it is; a real site looks customers up in its own store.
_DEMO_CUSTOMERS: dict[str, dict[str, Any]] = {
    "K-20417": {"complainant": {"client_reference": "K-20417", "last_name": "Ørsted", "first_name": "Åse",
                                "email": "aase@example.dk", "role": "investor"}},
}


def _random_secret() -> bytes:
    log.warning("KLAGEFORMULAR_PREFILL_SECRET is not set: prefill links last only until this process stops")
    return secrets.token_bytes(32)


def _register_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).parent  # the default "data" folder: complaints, the owner's alone
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for created in missing:
            created.chmod(0o700)  # mkdir's mode is masked by the umask (parents= ignores it)
    return create_register_engine(url)


def _first_receipt(engine: Engine, reference: str, zone: Any, org: Organisation) -> dict[str, str]:
    register = Register(engine, profiles={org.key: org})  # the case is handled under the upload's profile
    with register.session() as session:
        case = register.case(session, reference)
    received = case.received_at.astimezone(zone).isoformat() if case.received_at else case.received.isoformat()
    receipt = {"received": received}
    if case.acknowledge_by is not None:
        receipt["acknowledge_by"] = case.acknowledge_by.isoformat()
    return receipt


def _database_health(engine: Engine) -> Literal["ok", "unavailable"]:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health check: the register is unavailable (%s)", type(exc).__name__)
        return "unavailable"
    return "ok"


_UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary",
                     "description": "The filled complaint form (PDF: filled in a viewer, printed to PDF or scanned "
                                    "with a text layer)"}}},
        "encoding": {"file": {"contentType": "application/pdf"}},
    }},
}
_UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": ReceiptOut, "description": "A complaint, stored in the register (or found there already)"},
    400: {"model": ProblemOut, "description": "Not a multipart/form-data body with a 'file' field, or aborted"},
    408: {"model": ProblemOut, "description": "The upload did not arrive within the site's time limit"},
    413: {"model": ProblemOut, "description": "The file is larger than the site's limit"},
    415: {"model": ProblemOut, "description": "The file is not a PDF"},
    422: {"model": ProblemOut, "description": "A PDF, but not a readable complaint form; nothing was stored"},
    503: {"model": ProblemOut, "description": "The register is unavailable; nothing was stored, send it again"},
}


def site() -> FastAPI:
    """The app as :func:`serve` runs it: settings from the environment, a demo customer for prefill."""
    return create_app(customers=_DEMO_CUSTOMERS.get)


def serve(application: Any = "examples.website.app:site", *, host: str = "127.0.0.1", port: int = 8000,
          header_timeout: float = 10.0, **options: Any) -> None:
    """Run with uvicorn, with the settings that keep slow or greedy clients from holding the server.

    - ``http=header_timeout_protocol(10)``: request line and headers within 10 s, else 408;
    - ``timeout_keep_alive=5``: an idle keep-alive connection is closed after 5 s;
    - ``timeout_graceful_shutdown=30``: a stop does not wait for ever on requests in flight;
    - ``h11_max_incomplete_event_size=16 KiB``: longer headers get 431 (h11's own default too);
    - ``limit_concurrency=1000``: over 1,000 connections at once get 503. Uploads are bounded
      separately: at most ``upload_slots`` (32) are read and parsed at a time, the rest wait
      *before* their body is read (it stays in the client's socket), so memory is bounded too.

    Slow *bodies* are bounded by :attr:`Settings.upload_seconds`: an upload whose body has not
    arrived by then is answered 408 and its slot freed. Behind nginx, which buffers the body
    before passing it on, keep ``client_header_timeout 10s; client_body_timeout 30s;
    client_max_body_size 10m;`` as well.
    """
    import uvicorn

    settings: dict[str, Any] = {"http": header_timeout_protocol(header_timeout), "timeout_keep_alive": 5,
                                "factory": application == "examples.website.app:site",
                                "timeout_graceful_shutdown": 30,
                                "h11_max_incomplete_event_size": 16 * 1024, "limit_concurrency": 1000} | options
    uvicorn.run(application, host=host, port=port, **settings)


if __name__ == "__main__":
    import argparse

    cli = argparse.ArgumentParser(description="Serve the complaint form (see serve() for the settings)")
    cli.add_argument("--host", default="127.0.0.1")
    cli.add_argument("--port", type=int, default=8000)
    arguments = cli.parse_args()
    serve(host=arguments.host, port=arguments.port)
