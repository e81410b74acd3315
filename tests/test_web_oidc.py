"""OpenID Connect login (web/_oidc.py) against a real provider on loopback (tests/oidc_provider.py).

The browser is an httpx client; the workbench and the provider are real servers (uvicorn), the
provider Authlib's own server side with PKCE and OpenID Connect, signing with its own RSA key.
Nothing is mocked: a refusal here is the workbench refusing what a provider really sent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import httpx
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from klageformular.cli import main
from klageformular.exceptions import AccountError, UnknownUserError
from klageformular.register import create_register_engine, current_revision, head_revision, upgrade
from klageformular.register._schema import LoginAttemptRow, OidcLinkRow, OidcPendingRow, UserRow
from klageformular.web import Settings
from klageformular.web._accounts import add_user, set_disabled
from klageformular.web._app import COOKIE
from klageformular.web._oidc import OidcSettings, link_subject
from klageformular.web._words import WORDS

from .oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, provider
from .webserver import PASSWORD, Site, workbench

NAME = "Kontorets login"


@dataclass
class Setup:
    site: Site
    idp: Provider


@pytest.fixture
def setup(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    # Authlib's server refuses plain HTTP unless told; both servers are on loopback here.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    with provider() as idp:
        oidc = OidcSettings(issuer=idp.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, name=NAME)
        with workbench(db_url, Settings(oidc=oidc)) as site:
            idp.redirect_uri = f"{site.url}/login/oidc/callback"
            with Session(site.engine) as s, s.begin():
                for name in ("linn", "mikkel"):
                    link_subject(s, name=name, issuer=idp.url, subject=f"subject-{name}", now=site.clock.now)
            yield Setup(site, idp)


def _to_callback(browser: httpx.Client, idp: Provider, next: str = "/") -> str:
    """The login's first two legs by hand: the workbench's redirect to the provider, the provider's back."""
    start = browser.get(f"/login/oidc?next={next}")
    assert start.status_code == 303
    assert start.headers["location"].startswith(f"{idp.url}/authorize?")
    asked = parse_qs(urlparse(start.headers["location"]).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"] and asked["nonce"]
    back = httpx.get(start.headers["location"], follow_redirects=False)
    assert back.status_code == 302, back.text
    return str(back.headers["location"])


def _with(url: str, **changed: str) -> str:
    parts = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changed
    return urlunparse(parts._replace(query=urlencode(query)))


def _attempts(site: Site) -> int:
    with Session(site.engine) as s:
        return len(s.scalars(sa.select(LoginAttemptRow).where(LoginAttemptRow.success)).all())


# -- the login ------------------------------------------------------------------------------------------


def test_the_login_page_offers_the_provider_and_a_login_through_it_opens_the_due_list(setup: Setup) -> None:
    site = setup.site
    with httpx.Client(base_url=site.url, follow_redirects=True, timeout=30) as browser:
        form = browser.get("/login")
        assert WORDS["da"]["oidc.login"].format(name=NAME) in form.text
        assert 'href="/login/oidc?next=/"' in form.text
        before = _attempts(site)
        landed = browser.get("/login/oidc?next=/cases/KLA-2026-0002")  # there and back, every redirect followed
        assert landed.status_code == 200
        assert landed.url.path == "/cases/KLA-2026-0002"
        assert "linn" in landed.text  # signed in as linn, the account linked to the provider's subject
        assert _attempts(site) == before + 1
    with Session(site.engine) as s:  # the login under way is gone once used
        assert s.scalars(sa.select(OidcPendingRow)).all() == []


def test_a_session_id_from_before_the_login_is_not_valid_after_it(setup: Setup) -> None:
    site = setup.site
    with site.client() as browser:
        planted = browser.get("/login").cookies[COOKIE]  # say an attacker set it in the officer's browser
        done = browser.get(_to_callback(browser, setup.idp))
        assert done.status_code == 303 and done.headers["location"] == "/"
        after = done.cookies[COOKIE]
        assert after != planted
        assert browser.get("/").status_code == 200
    with site.client(cookies={COOKIE: planted}) as attacker:
        assert attacker.get("/").headers["location"].startswith("/login")


def test_a_wrong_state_is_refused_and_the_login_cannot_be_finished_afterwards(setup: Setup) -> None:
    site = setup.site
    with site.client() as browser:
        callback = _to_callback(browser, setup.idp)
        refused = browser.get(_with(callback, state="not-the-state"))
        assert refused.status_code == 400
        assert WORDS["da"]["oidc.refused"].format(name=NAME) in refused.text
        assert COOKIE not in refused.cookies
        assert browser.get(callback).status_code == 400  # the login under way was used up by the refusal
        assert browser.get("/").headers["location"].startswith("/login")


def test_a_callback_in_another_browser_is_refused(setup: Setup) -> None:
    """Login CSRF: a callback begun in the attacker's browser and planted in the officer's finds no login there."""
    site = setup.site
    with site.client() as attacker, site.client() as officer:
        callback = _to_callback(attacker, setup.idp)
        officer.get("/login")
        assert officer.get(callback).status_code == 400
        assert officer.get("/").headers["location"].startswith("/login")


def test_a_replayed_code_is_refused(setup: Setup) -> None:
    site = setup.site
    with site.client() as browser:
        callback = _to_callback(browser, setup.idp)
        assert browser.get(callback).status_code == 303  # logged in
    with site.client() as thief:
        fresh = _to_callback(thief, setup.idp)  # a login of its own, then the old code under its new state
        replayed = thief.get(_with(fresh, code=parse_qs(urlparse(callback).query)["code"][0]))
        assert replayed.status_code == 403  # the provider refused the code the second time
        assert WORDS["da"]["oidc.refused"].format(name=NAME) in replayed.text
        assert thief.get("/").headers["location"].startswith("/login")


@pytest.mark.parametrize("knob", ["tamper", "audience"])
def test_a_tampered_id_token_or_one_for_another_client_is_refused(setup: Setup, knob: str) -> None:
    site = setup.site
    if knob == "tamper":
        setup.idp.tamper = True  # linn's token with mikkel's subject, under linn's signature
    else:
        setup.idp.audience = "another-client"
    with site.client() as browser:
        refused = browser.get(_to_callback(browser, setup.idp))
        assert refused.status_code == 403
        assert WORDS["da"]["oidc.refused"].format(name=NAME) in refused.text
        assert browser.get("/").headers["location"].startswith("/login")


def test_an_unknown_subject_is_refused_with_a_page_saying_what_to_ask_for(setup: Setup) -> None:
    site = setup.site
    setup.idp.subject = "subject-nobody-linked"
    with site.client() as browser:
        refused = browser.get(_to_callback(browser, setup.idp))
        assert refused.status_code == 403
        assert WORDS["da"]["oidc.unknown"].format(name=NAME) in refused.text
        assert "subject-nobody-linked" in refused.text  # the id an admin links (users link)
        assert browser.get("/").headers["location"].startswith("/login")


def test_a_disabled_account_cannot_log_in_through_the_provider(setup: Setup) -> None:
    site = setup.site
    with Session(site.engine) as s, s.begin():
        set_disabled(s, "linn", True)
    with site.client() as browser:
        refused = browser.get(_to_callback(browser, setup.idp))
        assert refused.status_code == 403
        assert WORDS["da"]["oidc.disabled"] in refused.text
        assert browser.get("/").headers["location"].startswith("/login")


def test_no_code_token_state_or_subject_in_any_log(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    site = setup.site
    with site.client() as browser:
        callback = _to_callback(browser, setup.idp)
        done = browser.get(callback)
        assert done.status_code == 303
    setup.idp.subject = "subject-nobody-linked"
    with site.client() as browser:
        browser.get(_to_callback(browser, setup.idp))
    query = parse_qs(urlparse(callback).query)
    # Every logger of the process at DEBUG, the workbench's own HTTP client to the provider included;
    # not this test's client (its httpcore logs the provider's redirect with the code in it).
    main_thread = threading.main_thread().ident
    text = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records
                     if not (r.thread == main_thread and r.name.startswith(("httpx", "httpcore"))))
    assert "klageformular.web.access" in text
    for secret in (query["code"][0], query["state"][0], done.cookies[COOKIE], "subject-linn",
                   "subject-nobody-linked", CLIENT_SECRET):
        assert secret not in text, secret


# -- without a provider, and the route table -----------------------------------------------------------------


def test_without_a_provider_there_is_no_button_and_the_routes_answer_404(db_url: str) -> None:
    with workbench(db_url) as site, site.client() as browser:
        assert "/login/oidc" not in browser.get("/login").text
        assert browser.get("/login/oidc").status_code == 404
        assert browser.get("/login/oidc/callback?state=x&code=y").status_code == 404
        paths = {route.path for route in site.app.routes if isinstance(route, APIRoute)}
        # Login routes, open without a session: tests/test_web.py's route walk knows them as public.
        assert {"/login/oidc", "/login/oidc/callback"} <= paths


def test_settings_from_the_environment() -> None:
    assert Settings.from_environ({}).oidc is None
    found = Settings.from_environ({"KLAGEFORMULAR_OIDC_ISSUER": "https://login.example.dk",
                                   "KLAGEFORMULAR_OIDC_CLIENT_ID": "klager",
                                   "KLAGEFORMULAR_OIDC_CLIENT_SECRET": "s3cret",
                                   "KLAGEFORMULAR_OIDC_NAME": "Kontorets login",
                                   "KLAGEFORMULAR_OIDC_SCOPE": "email"}).oidc
    assert found == OidcSettings(issuer="https://login.example.dk", client_id="klager", client_secret="s3cret",
                                 name="Kontorets login", scope="openid email")
    assert "s3cret" not in repr(found)
    with pytest.raises(ValueError, match="go together"):
        OidcSettings.from_environ({"KLAGEFORMULAR_OIDC_ISSUER": "https://login.example.dk"})
    for plain in ("http://login.example.dk", "http://localhost.example.dk"):
        with pytest.raises(ValueError, match="https://"):
            OidcSettings.from_environ({"KLAGEFORMULAR_OIDC_ISSUER": plain,
                                       "KLAGEFORMULAR_OIDC_CLIENT_ID": "k", "KLAGEFORMULAR_OIDC_CLIENT_SECRET": "s"})
    loopback = OidcSettings.from_environ({"KLAGEFORMULAR_OIDC_ISSUER": "http://127.0.0.1:9000",
                                          "KLAGEFORMULAR_OIDC_CLIENT_ID": "k", "KLAGEFORMULAR_OIDC_CLIENT_SECRET": "s"})
    assert loopback is not None and loopback.issuer == "http://127.0.0.1:9000"


# -- users link, and the migration ----------------------------------------------------------------------------


def test_users_link_links_once_and_refuses_an_unknown_name(db_url: str, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_register_engine(db_url)
    with Session(engine) as s, s.begin():
        add_user(s, name="linn", role="officer", password=PASSWORD, now=datetime.now(UTC))
    engine.dispose()
    monkeypatch.setenv("KLAGEFORMULAR_OIDC_ISSUER", "https://login.example.dk")
    assert main(["users", "link", "linn", "--oidc-subject", "abc-123", "--db", db_url]) == 0
    assert "linn: linked" in capsys.readouterr().out
    assert main(["users", "link", "linn", "--oidc-subject", "abc-123", "--db", db_url]) == 1
    assert "already linked" in capsys.readouterr().err
    assert main(["users", "link", "nobody", "--oidc-subject", "xyz", "--db", db_url]) == 1
    assert "no account" in capsys.readouterr().err
    engine = create_register_engine(db_url)
    with Session(engine) as s:
        links = s.scalars(sa.select(OidcLinkRow)).all()
        assert [(r.issuer, r.subject) for r in links] == [("https://login.example.dk", "abc-123")]
        with pytest.raises(UnknownUserError, match="no account"):
            link_subject(s, name="nobody", issuer="x", subject="y", now=datetime.now(UTC))
        with pytest.raises(AccountError, match="already linked"):
            link_subject(s, name="linn", issuer="https://login.example.dk", subject="abc-123", now=datetime.now(UTC))
    engine.dispose()


def test_upgrade_from_0017_keeps_the_accounts_and_links_them(db_url: str) -> None:
    engine = create_register_engine(db_url, migrate=False)
    try:
        upgrade(engine, "0017")
        with Session(engine) as s, s.begin():
            add_user(s, name="linn", role="officer", password=PASSWORD, now=datetime.now(UTC))
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with Session(engine) as s, s.begin():
            assert [u.name for u in s.scalars(sa.select(UserRow))] == ["linn"]
            link_subject(s, name="linn", issuer="https://login.example.dk", subject="abc", now=datetime.now(UTC))
        with engine.connect() as connection, pytest.raises(sa.exc.IntegrityError):
            connection.execute(sa.text("INSERT INTO oidc_links (user_id, issuer, subject, created_at) "
                                       "SELECT id, 'https://login.example.dk', 'abc', created_at FROM users"))
    finally:
        engine.dispose()
