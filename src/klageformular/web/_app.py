"""The workbench app: routes, role checks, CSRF, security headers — a thin face over the register service.

Every route states who may use it: :func:`_reader` (any logged-in account) or :func:`_worker`
(officers and admins; a viewer gets 403) as a dependency, and every POST also checks the
session's CSRF token (403 without it). No session: HTML requests are sent to ``/login``, JSON
ones get 401. Each request's work is one transaction on the register (``with unit() as s``),
the service's methods inside it; a refused change (a stale version, a merged case) is shown
with the service's own reason (the case page's changes: :mod:`._case_actions`). A page that only
renders reads in ``with reading() as s``: no write lock, so a long page or export holds up no writer.

Security headers are set in one place (:class:`_Headers`) on every response, errors and
static files included. The access log (``klageformular.web.access``) names the method, the
path (references and document numbers only: no query string) and the status; never a user,
a cookie or a form value.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..exceptions import LoginRefusedError, ReadOnlySessionError, RegisterError, UnknownReferenceError
from ..locales import LANGUAGES
from ..register import Register
from ..register._documents import list_documents, read_document
from ..register._present import case_sections
from ..register._reads import ReadSession
from ..register._schema import AuditRow
from ._accounts import LoginPolicy, User, authenticate, get_user
from ._oidc import OidcSettings
from ._sessions import Lifetimes, WebSession, end_session, find_session, new_session, purge_sessions
from ._words import words

if TYPE_CHECKING:
    from ..register._outbox import Mailer, SentCopier

__all__ = ["Clock", "Settings", "create_app", "serve"]

log = logging.getLogger("klageformular.web.access")
COOKIE = "klageformular_session"
_HERE = Path(__file__).parent
# No inline script or style anywhere, so the policy can forbid both; 'self' for the stylesheet, and
# connect-src 'self' for htmx's requests (static/htmx.min.js) to this site only.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
# What a downloaded document may be served as; anything else is application/octet-stream.
_SAFE_TYPES = {"application/pdf", "image/png", "image/jpeg", "text/plain", "message/rfc822",
               "application/vnd.ms-outlook"}


class Clock(Protocol):
    """The time now (aware, UTC): ``datetime.now(UTC)`` in service, a test's own clock in tests."""

    def __call__(self) -> datetime: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Settings:
    """How the workbench runs; :meth:`from_environ` reads it from environment variables at the edge.

    ``secure_cookies`` None: the cookie is ``Secure`` unless the request came to a loopback host
    name (``127.0.0.1``, ``::1``, ``localhost``: plain HTTP on the officer's own machine).
    ``timezone``: whose "today" the due list counts from. ``purge_every``: how often at most the
    login form deletes expired sessions (a login always does).
    """

    lifetimes: Lifetimes = field(default_factory=Lifetimes)
    policy: LoginPolicy = field(default_factory=LoginPolicy)
    secure_cookies: bool | None = None
    timezone: str = "Europe/Copenhagen"
    due_days: int = 7
    purge_every: timedelta = timedelta(minutes=5)  # expired sessions deleted at most this often
    oidc: OidcSettings | None = None  # the office's identity provider (KLAGEFORMULAR_OIDC_…), None: off

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """``KLAGEFORMULAR_WEB_IDLE_MINUTES``, ``…_SESSION_HOURS``, ``…_MAX_FAILURES``, ``…_SECURE_COOKIES`` (1/0),
        ``…_TIMEZONE``; a malformed value is a ``ValueError`` at start-up.

        >>> Settings.from_environ({"KLAGEFORMULAR_WEB_IDLE_MINUTES": "10"}).lifetimes.idle
        datetime.timedelta(seconds=600)
        """
        idle = environ.get("KLAGEFORMULAR_WEB_IDLE_MINUTES")
        hours = environ.get("KLAGEFORMULAR_WEB_SESSION_HOURS")
        failures = environ.get("KLAGEFORMULAR_WEB_MAX_FAILURES")
        secure = environ.get("KLAGEFORMULAR_WEB_SECURE_COOKIES")
        default = Lifetimes()
        return cls(
            lifetimes=Lifetimes(idle=timedelta(minutes=int(idle)) if idle else default.idle,
                                absolute=timedelta(hours=float(hours)) if hours else default.absolute),
            policy=LoginPolicy(max_failures=int(failures)) if failures else LoginPolicy(),
            secure_cookies=None if secure is None else secure.strip() not in ("0", "false", "no", ""),
            timezone=environ.get("KLAGEFORMULAR_WEB_TIMEZONE") or "Europe/Copenhagen",
            oidc=OidcSettings.from_environ(environ))


class _RefusedError(Exception):
    """A request turned away before the route ran: ``login`` (no session), ``forbidden`` (role or CSRF)."""

    def __init__(self, kind: str, lang: str = "da"):
        super().__init__(kind)
        self.kind, self.lang = kind, lang


@dataclass(frozen=True)
class Visitor:
    """The logged-in account and its session (for the CSRF token), as a route receives them."""

    user: User
    session: WebSession

    @property
    def lang(self) -> str:
        """The account's language."""
        return self.user.language


class _Headers:
    """Pure ASGI middleware: the security headers on every response, and one access-log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500
        htmx = any(k == b"hx-request" for k, _ in scope.get("headers", []))

        async def with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                given = list(message.get("headers", []))
                # A route's own, stricter policy stays (a document's sandbox); every other header is ours.
                own_csp = [(k, v) for k, v in given if k.lower() == b"content-security-policy"]
                headers = [(k, v) for k, v in given if k.decode("latin-1").lower() not in SECURITY_HEADERS]
                headers += own_csp or [(b"content-security-policy", CSP.encode())]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                            if k != "content-security-policy"]
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))  # pages hold personal data
                # The app's own time to the first byte (the page rendered): what benchmarks/workbench.py
                # reads, and a browser's developer tools show. A duration, nothing about the request.
                if htmx and status in (403, 404) and not any(k.lower() == b"hx-retarget" for k, _ in headers):
                    # An htmx request refused before or by its route: the whole page says why (the refusal
                    # pages are whole pages), instead of a section that silently stays as it was.
                    headers += [(b"hx-retarget", b"#main"), (b"hx-reselect", b"#main")]
                headers.append((b"server-timing", f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        finally:
            log.info("%s %s %d %.0f ms", scope.get("method"), scope.get("path"), status,
                     (time.perf_counter() - started) * 1000)


def _loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0].strip("[]") if not host.startswith("[") else host[1:].split("]")[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _safe_next(target: str | None) -> str:
    """Only a path of this site (``/cases/…``), never ``//evil.example`` or ``https://…``."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _language(request: Request) -> str:
    asked = request.query_params.get("lang") or request.headers.get("accept-language", "")
    return "en" if asked.strip().lower().startswith("en") else "da"


def create_app(engine: Engine, settings: Settings | None = None, *, clock: Clock = _utc_now,
               register: Register | None = None, mailer: Mailer | None = None,
               copier: SentCopier | None = None) -> FastAPI:
    """The workbench over the register at ``engine`` (migrated by whoever made it).

    ``register``: a :class:`Register` with the office's profile files (default: one over ``engine``);
    ``mailer`` / ``copier``: the SMTP server and Sent folder letters go out through (None: letters stay
    queued in the outbox, as ``letter …`` without ``--send`` leaves them).
    """
    from ._case_actions import add_case_actions, case_context  # they build on this module's Visitor
    from ._kit import Kit
    from ._letters_page import add_letters_page

    settings = settings or Settings()
    register = register or Register(engine)
    zone = ZoneInfo(settings.timezone)
    templates = Environment(loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(["html"]),
                            trim_blocks=True, lstrip_blocks=True)
    app = FastAPI(title="Klageformular workbench", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(_Headers)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")

    @contextmanager
    def unit() -> Iterator[Session]:
        with register.session() as s, s.begin():
            yield s

    @contextmanager
    def reading() -> Iterator[ReadSession]:
        # A page that only renders: no write lock, so it never waits for an import or another officer's
        # change (nor they for it), and a change in it is refused (ReadOnlySessionError).
        with register.reading() as s:
            yield s

    def render(name: str, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = templates.get_template(name).render(w=words(lang), lang=lang, **context)
        return HTMLResponse(html, status_code=status)

    def secure(request: Request) -> bool:
        if settings.secure_cookies is not None:
            return settings.secure_cookies
        return not _loopback(request.headers.get("host", ""))

    def set_cookie(response: Response, request: Request, token: str) -> None:
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=secure(request), path="/",
                            max_age=int(settings.lifetimes.absolute.total_seconds()))

    last_purge = [datetime.min.replace(tzinfo=UTC)]

    def purge_now_and_then(s: Session, now: datetime) -> None:
        """Expired sessions deleted at most every ``settings.purge_every`` (where anonymous ones are made).

        Anyone may open the login form, and each visit is a row: without this, a crawler's
        visits would stay in the table until the next officer logged in."""
        if now - last_purge[0] >= settings.purge_every:
            purge_sessions(s, now=now, lifetimes=settings.lifetimes)
            last_purge[0] = now

    def visitor(request: Request) -> Visitor:
        def look(s: Session) -> tuple[WebSession | None, User | None]:
            found = find_session(s, request.cookies.get(COOKIE), now=clock(), lifetimes=settings.lifetimes)
            return found, get_user(s, found.user_id) if found is not None and found.user_id is not None else None

        # Every request asks; few need to write (the idle clock moves once a minute, an expired session is
        # deleted): they are read first, and only a look that must write takes the write lock.
        try:
            with reading() as read:
                found, user = look(read)
        except ReadOnlySessionError:
            with unit() as s:
                found, user = look(s)
        if found is None or user is None or user.disabled or user.locked:
            raise _RefusedError("login", _language(request))
        return Visitor(user, found)

    def _reader(request: Request) -> Visitor:
        return visitor(request)

    def _worker(request: Request) -> Visitor:
        seen = visitor(request)
        if not seen.user.can_work:
            raise _RefusedError("forbidden", seen.lang)
        return seen

    def _admin(request: Request) -> Visitor:
        seen = visitor(request)
        if seen.user.role != "admin":
            raise _RefusedError("forbidden", seen.lang)
        return seen

    def check_csrf(seen: Visitor, token: str, request: Request | None = None) -> None:
        if not token and request is not None:  # htmx sends it as a header (static/workbench.js)
            token = request.headers.get("x-csrf-token", "")
        if not token or not hmac.compare_digest(seen.session.csrf.encode(), token.encode("utf-8", "replace")):
            raise _RefusedError("forbidden", seen.lang)

    @app.exception_handler(_RefusedError)
    def refused(request: Request, exc: _RefusedError) -> Response:
        if exc.kind == "login":
            if _wants_json(request):
                return JSONResponse({"detail": "login required"}, status_code=401)
            target = request.url.path if request.method == "GET" else "/"
            return RedirectResponse("/login" + (f"?next={quote(target)}" if target != "/" else ""), status_code=303)
        if _wants_json(request):
            return JSONResponse({"detail": "forbidden"}, status_code=403)
        return render("message.html", exc.lang, 403, title=words(exc.lang)["forbidden"], user=None)

    # -- login and logout ---------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str | None = None) -> Response:
        lang = _language(request)
        with unit() as s:
            now = clock()
            found = find_session(s, request.cookies.get(COOKIE), now=now, lifetimes=settings.lifetimes)
            if found is not None and found.user_id is not None:
                return RedirectResponse(_safe_next(next), status_code=303)
            fresh = found is None
            if found is None:
                purge_now_and_then(s, now)
                found = new_session(s, user_id=None, now=now)
        response = render("login.html", lang, csrf=found.csrf, next=_safe_next(next), error=None, user=None,
                          oidc=settings.oidc)
        if fresh and found.token:
            set_cookie(response, request, found.token)
        return response

    @app.post("/login", response_class=HTMLResponse)
    def login(request: Request, username: str = Form(""), password: str = Form(""), code: str = Form(""),
              csrf: str = Form(""), next: str = Form("/")) -> Response:
        lang = _language(request)
        address = request.client.host if request.client else "unknown"
        with unit() as s:
            now = clock()
            found = find_session(s, request.cookies.get(COOKIE), now=now, lifetimes=settings.lifetimes)
            if found is None or not csrf or not hmac.compare_digest(found.csrf.encode(),
                                                                    csrf.encode("utf-8", "replace")):
                raise _RefusedError("forbidden", lang)
            made: WebSession | None = None
            error = "login_failed"
            try:
                user = authenticate(s, name=username, password=password, code=code, address=address, now=now,
                                    policy=settings.policy)
            except LoginRefusedError as exc:
                error = "rate_limited" if exc.reason == "rate_limited" else "login_failed"
            else:
                end_session(s, found.key)  # the pre-login id is worth nothing from now on
                purge_sessions(s, now=now, lifetimes=settings.lifetimes)
                made = new_session(s, user_id=user.id, now=now)
        if made is None or made.token is None:  # the attempt is committed (it counts); the form again
            return render("login.html", lang, 401 if error == "login_failed" else 429, csrf=found.csrf,
                          next=_safe_next(next), error=error, user=None, username=username, oidc=settings.oidc)
        response = RedirectResponse(_safe_next(next), status_code=303)
        set_cookie(response, request, made.token)
        return response

    @app.post("/logout")
    def logout(request: Request, seen: Visitor = Depends(_reader), csrf: str = Form("")) -> Response:
        check_csrf(seen, csrf)
        with unit() as s:
            end_session(s, seen.session.key)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=secure(request))
        return response

    # -- pages ------------------------------------------------------------------------------------

    def today() -> date:
        return clock().astimezone(zone).date()

    def case_page(s: Session, seen: Visitor, reference: str, *, status: int = 200, notice: str | None = None,
                  detail: str | None = None, **extra: Any) -> HTMLResponse:
        case = register.case(s, reference)
        s.add(AuditRow(at=clock(), user_id=seen.user.id, action="viewed", reference=case.reference))
        lang = seen.lang
        return render("case.html", lang, status, user=seen.user, csrf=seen.session.csrf, case=case,
                      sections=case_sections(case, case.language if case.language in LANGUAGES else lang),
                      documents=list_documents(s, case.reference), notice=notice, detail=detail,
                      **case_context(register, s, case) | extra)

    @app.get("/cases/{reference}", response_class=HTMLResponse)
    def case(reference: str, seen: Visitor = Depends(_reader)) -> Response:
        with unit() as s:
            try:
                return case_page(s, seen, reference)
            except UnknownReferenceError:
                pass
        return render("message.html", seen.lang, 404, title=words(seen.lang)["not_found"], user=seen.user,
                      csrf=seen.session.csrf)

    @app.get("/cases/{reference}/documents/{number}")
    def document(reference: str, number: int, seen: Visitor = Depends(_reader)) -> Response:
        try:
            with unit() as s:
                found, data = read_document(s, reference, number)
                s.add(AuditRow(at=clock(), user_id=seen.user.id, action="downloaded", reference=found.reference,
                               detail=str(number)))
        except RegisterError:  # no such case or document, or its bytes are not in the register
            return render("message.html", seen.lang, 404, title=words(seen.lang)["not_found"], user=seen.user,
                          csrf=seen.session.csrf)
        kind = found.content_type if found.content_type in _SAFE_TYPES else "application/octet-stream"
        name = found.name or f"{found.reference}-{number}"
        ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)[:100]
        return Response(data, media_type=kind, headers={
            "content-disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
            # Opened in a tab anyway (a PDF viewer, a browser that ignores the header): no script runs.
            "content-security-policy": "sandbox; default-src 'none'; frame-ancestors 'none'"})

    # The case page's work (assign and notes among it), the letters, the lists, the report and the admin
    # pages (the due page "/" among them): each its own module, given the app's shared parts as one Kit.
    from ._lists import add_list_routes

    kit = Kit(register=register, settings=settings, clock=clock, today=today, unit=unit, reading=reading,
              render=render,
              reader=_reader, worker=_worker, admin=_admin, check_csrf=check_csrf, case_page=case_page,
              mailer=mailer, copier=copier)
    add_case_actions(app, kit)
    from ._crops import add_crop_routes

    add_crop_routes(app, kit)
    add_letters_page(app, kit)
    add_list_routes(app, kit)
    from ._oidc import add_oidc_routes

    add_oidc_routes(app, kit, oidc=settings.oidc, cookie=COOKIE, set_cookie=set_cookie, language=_language,
                    safe_next=_safe_next)
    return app


def serve(*, db: str | None, host: str, port: int, environ: Mapping[str, str],
          org_files: Sequence[str] = (), website: str | None = None, website_prefix: str = "/website") -> int:
    """``klageformular serve``: the engine and settings made here, at the edge; uvicorn's own access log off
    (it prints query strings), ours on (paths only). ``org_files``: the office's profile files (``--org-file``).
    ``website``: ``MODULE:FACTORY`` of the customer website to mount under ``website_prefix`` beside the
    workbench (:mod:`._mount`)."""
    import uvicorn

    from ..register import create_register_engine, resolve_url
    from ..register._cli import profile_map
    from ..sentfolder import sent_folder_from_environment
    from ..smtp import smtp_from_environment
    from ._mount import combine, load_website

    settings = Settings.from_environ(environ)
    mailer, copier = smtp_from_environment(environ), sent_folder_from_environment(environ)  # asked before start
    engine = create_register_engine(resolve_url(db, environ))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        app: ASGIApp = create_app(engine, settings, register=Register(engine, profiles=profile_map(org_files)),
                                  mailer=mailer, copier=copier)
        if website:
            app = combine(app, load_website(website), prefix=website_prefix)
        # A public website beside it: idle keep-alive connections closed after 5 s, as the website's own serve().
        uvicorn.run(app, host=host, port=port, access_log=False, log_config=None, server_header=False,
                    timeout_keep_alive=5, lifespan="on" if website else "auto")
    finally:
        engine.dispose()
    return 0
