"""The workbench (web/_app.py) over real HTTP: uvicorn on a loopback port, SQLite and PostgreSQL.

Security first (the issue's list): every route of the app's table without a session, a
viewer's POSTs, POSTs without the CSRF token, the session id across login, the headers and the
cookie's flags, lockout, timeouts, and no secret in any log; then the pages and the two actions.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from klageformular.cli import main
from klageformular.register import Register
from klageformular.register._schema import AuditRow, EventRow, LoginAttemptRow, UserRow
from klageformular.web import Settings
from klageformular.web._accounts import LoginPolicy
from klageformular.web._app import COOKIE
from klageformular.web._sessions import Lifetimes
from klageformular.web._words import WORDS

from .webserver import DOCUMENT, DOCUMENT_NAME, PASSWORD, Site, csrf_of, workbench

REFERENCE = "KLA-2026-0001"
PUBLIC = {"/login", "/login/oidc", "/login/oidc/callback"}  # the login routes: open without a session


@pytest.fixture
def site(db_url: str) -> Iterator[Site]:
    settings = Settings(policy=LoginPolicy(max_failures=3, address_failures=50),
                        lifetimes=Lifetimes(idle=timedelta(minutes=30), absolute=timedelta(hours=3)))
    with workbench(db_url, settings) as running:
        yield running


#: A real value for each path parameter a route may have; any other parameter gets "1".
_PARAMETERS = {"reference": REFERENCE, "number": "1", "page": "1", "kind": "ack"}


def _routes(site: Site) -> list[tuple[str, str]]:
    """(method, path) of every route the app has, with real values for the path's parameters: a route
    any module adds is walked without naming it here."""
    found = [(method, re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: _PARAMETERS.get(m[1], "1"), route.path))
             for route in site.app.routes if isinstance(route, APIRoute) for method in sorted(route.methods or ())]
    assert len(found) >= 8  # the table really was read
    assert not any("{" in path for _, path in found)
    return found


OWN = {"/login", "/logout", "/settings"}  # an account's own: every role may post them (with the CSRF token)


def _actions(site: Site) -> list[str]:
    """The POST routes that change a case or an account (not the login, the logout, one's own settings)."""
    actions = [path for method, path in _routes(site) if method == "POST" and path not in OWN]
    assert {f"/cases/{REFERENCE}/assign", f"/cases/{REFERENCE}/notes", f"/cases/{REFERENCE}/correct",
            f"/cases/{REFERENCE}/letters/send", "/admin/users", "/admin/users/disable",
            "/admin/users/reset-2fa"} <= set(actions)
    return actions


def _form(path: str, csrf: str) -> dict[str, str]:
    """A form every action would take as complete (its own fields; the others it ignores)."""
    if path in ("/login", "/logout"):
        return {"csrf": csrf}
    if path.startswith("/admin/"):
        return {"csrf": csrf, "name": "linn", "role": "admin", "password": PASSWORD + " more"}
    if path == "/settings":
        return {"csrf": csrf, "language": "en"}
    return {"csrf": csrf, "version": "1", "text": "a note", "path": "complainant.phone", "value": "+45 70 20 30 40",
            "note": "the customer called", "status": "acknowledged", "to": "2027-01-29", "reason": "more time",
            "what": "the contract", "kind": "ack", "channel": "post", "reasons": "**Nej**"}


def _history(site: Site) -> tuple[int, str | None, list[tuple[str, ...]]]:
    """Events, the first case's assignee, and every account's state: what a refused POST must leave alone."""
    with Session(site.engine) as s:
        events = s.scalar(sa.select(sa.func.count()).select_from(EventRow))
        case = Register(site.engine).case(s, REFERENCE)
        users = [tuple(map(str, r)) for r in s.execute(sa.select(
            UserRow.name, UserRow.role, UserRow.disabled, UserRow.locked_at, UserRow.totp_secret, UserRow.language)
            .order_by(UserRow.name))]
    return int(events or 0), case.assignee, users


# -- who may do what ----------------------------------------------------------------------------------


def test_every_route_without_a_session_redirects_to_login_or_answers_401(site: Site) -> None:
    with site.client() as anonymous:
        before_login = anonymous.get("/login").cookies.get(COOKIE)  # a session, but nobody logged in
        assert before_login
        for method, path in _routes(site):
            if path in PUBLIC:
                continue
            for cookies in ({}, {COOKIE: before_login}, {COOKIE: "made-up"}):
                with site.client(cookies=cookies) as client:
                    html = client.request(method, path, headers={"accept": "text/html"},
                                          data=_form(path, "x") if method == "POST" else None)
                    assert html.status_code == 303, (method, path)
                    assert html.headers["location"].startswith("/login"), (method, path)
                    api = client.request(method, path, headers={"accept": "application/json"},
                                         data=_form(path, "x") if method == "POST" else None)
                    assert api.status_code == 401, (method, path)
                    assert api.json() == {"detail": "login required"}
    assert _history(site)[1] is None


def test_a_viewers_post_to_every_action_is_403_and_changes_nothing(site: Site) -> None:
    before = _history(site)
    viewer, answer = site.login("revisor")
    assert answer.status_code == 303
    page = viewer.get(f"/cases/{REFERENCE}")
    assert page.status_code == 200
    assert 'action="/cases/KLA-2026-0001/assign"' not in page.text  # no buttons for a reader
    for path in _actions(site):
        refused = viewer.post(path, data=_form(path, csrf_of(page.text)))
        assert refused.status_code == 403, path
        assert WORDS["da"]["forbidden"] in refused.text
    assert _history(site) == before


def test_a_post_without_a_valid_csrf_token_is_403(site: Site) -> None:
    before = _history(site)
    officer, _ = site.login("linn")
    for method, path in _routes(site):
        if method != "POST":
            continue
        for token in ("", "not-the-token"):
            form = _form(path, token)
            if path == "/login":
                form |= {"username": "linn", "password": PASSWORD, "code": site.code("linn")}
            assert officer.post(path, data=form).status_code == 403, (path, token)
    assert officer.get("/").status_code == 200  # the logout without a token did not log out
    assert _history(site) == before


def test_a_session_id_from_before_login_is_not_valid_after_it(site: Site) -> None:
    with site.client() as browser:
        planted = browser.get("/login").cookies[COOKIE]  # say an attacker set it in the officer's browser
        _, answer = site.login("linn", client=browser)
        assert answer.status_code == 303
        after = answer.cookies[COOKIE]
        assert after != planted
        assert browser.get("/").status_code == 200
    with site.client(cookies={COOKIE: planted}) as attacker:
        assert attacker.get("/").headers["location"].startswith("/login")


def test_logout_ends_the_session_on_the_server(site: Site) -> None:
    officer, answer = site.login("linn")
    token = answer.cookies[COOKIE]
    page = officer.get("/")
    assert officer.post("/logout", data={"csrf": csrf_of(page.text)}).headers["location"] == "/login"
    with site.client(cookies={COOKIE: token}) as replay:  # the cookie kept by someone: worthless now
        assert replay.get("/").status_code == 303


def test_security_headers_on_every_kind_of_response_and_the_cookies_flags(site: Site) -> None:
    officer, answer = site.login("linn")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # loopback: plain HTTP
    responses = [officer.get("/login"), officer.get("/"), officer.get(f"/cases/{REFERENCE}"),
                 officer.get("/static/style.css"), officer.get("/cases/KLA-2026-9999"),
                 officer.get(f"/cases/{REFERENCE}/documents/1"), site.client().get("/")]
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp or response.url.path.endswith("/documents/1")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    assert "script-src 'self'" in responses[0].headers["content-security-policy"]
    assert responses[1].headers["cache-control"] == "no-store"
    with site.client(headers={"host": "klager.example.dk"}) as remote:
        assert "secure" in remote.get("/login").headers["set-cookie"].lower()


def test_lockout_after_failures_and_an_admin_lifts_it(site: Site) -> None:
    for _ in range(3):
        _, answer = site.login("linn", password="not the password at all")
        assert answer.status_code == 401
        assert WORDS["da"]["login_failed"] in answer.text
    _, answer = site.login("linn")  # the right password and code: still refused
    assert answer.status_code == 401
    with Session(site.engine) as s:
        assert s.scalars(sa.select(UserRow.locked_at).where(UserRow.name == "linn")).one() is not None
    assert main(["users", "unlock", "linn", "--db", site.db_url]) == 0
    _, answer = site.login("linn")
    assert answer.status_code == 303


def test_sessions_end_after_the_idle_and_the_absolute_timeout(site: Site) -> None:
    officer, _ = site.login("linn")
    site.clock.now += timedelta(minutes=31)
    assert officer.get("/").headers["location"].startswith("/login")  # idle
    officer, _ = site.login("linn")
    for _ in range(7):  # busy every 25 minutes for almost three hours
        site.clock.now += timedelta(minutes=25)
        assert officer.get("/").status_code == 200
    site.clock.now += timedelta(minutes=10)
    assert officer.get("/").status_code == 303  # absolute: three hours after login, however busy


def test_next_goes_only_to_a_page_of_this_site(site: Site) -> None:
    _, answer = site.login("linn", next="/cases/KLA-2026-0002")
    assert answer.headers["location"] == "/cases/KLA-2026-0002"
    site.clock.now += timedelta(seconds=30)
    _, answer = site.login("mikkel", next="//evil.example/")
    assert answer.headers["location"] == "/"
    with site.client() as anonymous:
        assert anonymous.get(f"/cases/{REFERENCE}").headers["location"] == f"/login?next=/cases/{REFERENCE}"


def test_no_password_code_session_id_or_personal_data_in_any_log(site: Site,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code = site.code("linn")
    officer, answer = site.login("linn", code=code)
    token = answer.cookies[COOKIE]
    page = officer.get(f"/cases/{REFERENCE}")
    officer.post(f"/cases/{REFERENCE}/notes", data={"csrf": csrf_of(page.text), "text": "Ringede til Łukasz"})
    officer.get(f"/cases/{REFERENCE}/documents/1")
    site.login("linn", password="a wrong password here")
    assert any(r.name == "klageformular.web.access" for r in caplog.records)  # the access log did write
    # Every logger of the process at DEBUG, the server's and its libraries' (uvicorn, FastAPI, SQLAlchemy);
    # not the test's own HTTP client (httpx, httpcore), which logs the headers it receives.
    text = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records
                     if not r.name.startswith(("httpx", "httpcore")))
    for secret in (PASSWORD, "a wrong password here", code, token, csrf_of(page.text), site.secrets["linn"],
                   "Łukasz", "kunde1@example.dk", DOCUMENT_NAME, "Ringede"):
        assert secret not in text, secret


# -- the pages ----------------------------------------------------------------------------------------


def test_the_due_list_shows_each_section_with_counts_and_rows(site: Site) -> None:
    officer, _ = site.login("linn")
    page = officer.get("/")
    assert page.status_code == 200
    assert '<html lang="da">' in page.text
    assert "Frister · 2026-11-25" in page.text
    row = re.search(r'<a href="/cases/KLA-2026-0001">KLA-2026-0001</a></td>\s*<td>2026-11-23</td>\s*'
                    r"<td>(\d{4}-\d\d-\d\d) ", page.text)
    assert row is not None
    assert "KLA-2026-0002" in page.text
    assert '<a href="#review">Felter til gennemsyn</a> <strong>1</strong>' in page.text  # cases with review items
    assert '<a href="#unassigned">Uden sagsbehandler</a> <strong>2</strong>' in page.text
    with Session(site.engine) as s:
        due = Register(site.engine).due(s, site.clock.now.date())
    assert row[1] == next(i for i in due.upcoming + due.due_today + due.overdue if i.reference == REFERENCE
                          ).deadline.isoformat()


def test_the_case_page_by_section_with_review_documents_timeline_and_an_audit_row(site: Site) -> None:
    officer, _ = site.login("linn")
    page = officer.get(f"/cases/{REFERENCE.lower()}")
    assert page.status_code == 200
    text = page.text
    assert "<h3>" in text and "Efternavn" in text  # labels in the case's language (Danish)
    assert "Żółć" in text  # the complaint's values, escaped by the template, not dropped
    assert '<code class="typed">12</code>' in text  # the review item's value as typed
    assert "invalid_phone" in text
    assert f'href="/cases/{REFERENCE}/documents/1"' in text
    assert "<code>received</code>" in text  # the timeline
    download = officer.get(f"/cases/{REFERENCE}/documents/1")
    assert download.status_code == 200
    assert download.content == DOCUMENT
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Klage%20%C3%A6%C3%B8%C3%A5.pdf" in download.headers["content-disposition"]
    assert download.headers["content-type"] == "application/pdf"
    assert officer.get(f"/cases/{REFERENCE}/documents/9").status_code == 404
    assert officer.get("/cases/KLA-2026-9999").status_code == 404
    with Session(site.engine) as s:
        audit = [(a.action, a.reference, a.detail) for a in s.scalars(sa.select(AuditRow).order_by(AuditRow.id))]
        events = s.scalar(sa.select(sa.func.count()).select_from(EventRow).where(EventRow.what == "viewed"))
    assert audit == [("viewed", REFERENCE, None), ("downloaded", REFERENCE, "1")]
    assert events == 0  # reading is not part of the case's own history


def test_an_english_officer_gets_english_words_and_the_case_keeps_its_own_labels(site: Site) -> None:
    with Session(site.engine) as s, s.begin():
        s.execute(sa.update(UserRow).where(UserRow.name == "mikkel").values(language="en"))
    officer, _ = site.login("mikkel")
    assert "Deadlines" in officer.get("/").text
    page = officer.get(f"/cases/{REFERENCE}").text
    assert '<html lang="en">' in page and "Assign to me" in page and "Efternavn" in page


def test_assign_to_me_and_a_note_record_the_logged_in_user_and_a_stale_version_is_refused(site: Site) -> None:
    linn, _ = site.login("linn")
    mikkel, _ = site.login("mikkel")
    seen_by_linn = linn.get(f"/cases/{REFERENCE}").text
    version = re.search(r'name="version" value="(\d+)"', seen_by_linn)
    assert version is not None
    page = mikkel.get(f"/cases/{REFERENCE}").text
    done = mikkel.post(f"/cases/{REFERENCE}/assign", data={"csrf": csrf_of(page), "version": version[1]})
    assert (done.status_code, done.headers["location"]) == (303, f"/cases/{REFERENCE}")
    stale = linn.post(f"/cases/{REFERENCE}/assign", data={"csrf": csrf_of(seen_by_linn), "version": version[1]})
    assert stale.status_code == 409
    assert WORDS["da"]["stale"] in stale.text
    assert re.search(r"KLA-2026-0001 was assigned by mikkel at \d\d:\d\d UTC; nothing done", stale.text)
    assert "<dd>mikkel</dd>" in stale.text  # the page shows the case as it is now
    noted = linn.post(f"/cases/{REFERENCE}/notes", data={"csrf": csrf_of(seen_by_linn), "text": "Ringede kunden op"})
    assert noted.status_code == 303
    empty = linn.post(f"/cases/{REFERENCE}/notes", data={"csrf": csrf_of(seen_by_linn), "text": "   "})
    assert empty.status_code == 409 and "a note needs some text" in empty.text
    with Session(site.engine) as s:
        case = Register(site.engine).case(s, REFERENCE)
    assert case.assignee == "mikkel"
    assert [(e.who, e.what, e.note) for e in case.events[-2:]] == [
        ("mikkel", "assign", "nobody → mikkel"), ("linn", "note", "Ringede kunden op")]
    assert "Ringede kunden op" in linn.get(f"/cases/{REFERENCE}").text


def test_login_attempts_are_recorded_without_the_typed_name(site: Site) -> None:
    site.login("linn", password="wrong password, long")
    site.login("somebody@example.dk")
    with Session(site.engine) as s:
        rows = s.execute(sa.select(LoginAttemptRow.user_id, LoginAttemptRow.success)).all()
    assert [tuple(r) for r in rows] == [(1, False), (None, False)]


def test_klageformular_serve_runs_the_workbench_with_an_access_log_of_paths_only(tmp_path: Path) -> None:
    """The command as an office runs it: its own process, settings from the environment, logs on stderr."""
    url = f"sqlite:///{tmp_path / 'klager.db'}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "KLAGEFORMULAR_WEB_IDLE_MINUTES": "5"}
    server = subprocess.Popen([sys.executable, "-m", "klageformular", "serve", "--db", url, "--port", str(port)],
                              stderr=subprocess.PIPE, text=True, env=env)
    try:
        answer = None
        for _ in range(300):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/login?next=/cases/KLA-2026-0001&q=secret", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert answer is not None and answer.status_code == 200
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "server" not in answer.headers
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
    assert "klageformular.web.access GET /login 200" in log
    assert "secret" not in log and "next=" not in log


def test_both_languages_have_every_word() -> None:
    assert WORDS["da"].keys() == WORDS["en"].keys()
    assert all(text.strip() for table in WORDS.values() for text in table.values())
