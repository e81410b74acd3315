"""OpenID Connect login through an office's identity provider: ``/login/oidc`` and its callback.

The authorization code flow (OpenID Connect Core 1.0 §3.1) with PKCE (RFC 7636, S256): the
request's ``state``, ``nonce`` and code verifier are kept server-side (``oidc_pending``), tied
to the browser's anonymous session and used once; the callback's ``state`` must match, the
code is exchanged at the provider's token endpoint with the client's secret, and the ID token's
signature is verified against the provider's JWKS (asymmetric algorithms only), with ``iss``,
``aud`` (and ``azp`` when several audiences), ``exp`` and ``nonce`` checked. The provider's
metadata and keys come from its discovery document, fetched when first needed; an unknown key
id fetches the keys once more (the provider rotated them).

Who logs in: the account an admin linked to the token's ``iss`` + ``sub`` (``users link NAME
--oidc-subject SUB``), never one matched by an email or name claim (a provider lets people
change those, and an address once someone else's is a takeover), and never an account made
from claims: the role is the register's, so a claim cannot make anyone an admin. A disabled or
locked account is refused. The second factor is then the provider's business (its own MFA).
A login ends the anonymous session and starts a new one, exactly as the password login does.

Nothing of a login (code, tokens, state, subject, claims) is logged; the pages that refuse one
say why, in the visitor's language. Authlib (BSD-3-Clause) builds the authorization URL and
the PKCE challenge; its joserfc (BSD-3-Clause) verifies the token; httpx talks to the provider.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..exceptions import AccountError, OidcError, UnknownUserError
from ..register._schema import LoginAttemptRow, OidcLinkRow, OidcPendingRow, UserRow
from ._accounts import User, address_key, get_user
from ._kit import Kit
from ._sessions import end_session, find_session, new_session, purge_sessions
from ._words import words

__all__ = ["OidcError", "OidcSettings", "add_oidc_routes", "link_subject"]

_PENDING_FOR = timedelta(minutes=10)  # a login left at the provider longer than this starts again
# Signatures a provider may use for ID tokens; never "none" or a shared-secret HMAC.
_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


@dataclass(frozen=True)
class OidcSettings:
    """The office's identity provider: its issuer URL, this app's client id and secret, the button's name.

    ``redirect_uri``: the callback as registered at the provider (None: this site's own
    ``/login/oidc/callback`` as the request reached it).
    """

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    name: str = "Single sign-on"
    scope: str = "openid"
    redirect_uri: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> OidcSettings | None:
        """``KLAGEFORMULAR_OIDC_ISSUER``, ``…_CLIENT_ID``, ``…_CLIENT_SECRET`` (all three, or none: no
        OpenID Connect), ``…_NAME`` (the button), ``…_SCOPE``, ``…_REDIRECT_URI``; half a configuration
        is a ``ValueError`` at start-up.

        >>> OidcSettings.from_environ({}) is None
        True
        """
        issuer = environ.get("KLAGEFORMULAR_OIDC_ISSUER", "").strip()
        client_id = environ.get("KLAGEFORMULAR_OIDC_CLIENT_ID", "").strip()
        secret = environ.get("KLAGEFORMULAR_OIDC_CLIENT_SECRET", "")
        if not (issuer or client_id or secret):
            return None
        if not (issuer and client_id and secret):
            raise ValueError("KLAGEFORMULAR_OIDC_ISSUER, _CLIENT_ID and _CLIENT_SECRET go together")
        parts = urlsplit(issuer)
        # Plain HTTP only to a provider on this machine (a test's, a developer's); else TLS.
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
            raise ValueError("KLAGEFORMULAR_OIDC_ISSUER must be an https:// URL")
        scope = environ.get("KLAGEFORMULAR_OIDC_SCOPE", "").strip() or "openid"
        return cls(issuer=issuer, client_id=client_id, client_secret=secret,
                   name=environ.get("KLAGEFORMULAR_OIDC_NAME", "").strip() or "Single sign-on",
                   scope=scope if "openid" in scope.split() else f"openid {scope}",
                   redirect_uri=environ.get("KLAGEFORMULAR_OIDC_REDIRECT_URI", "").strip() or None)


@dataclass(frozen=True)
class _Identity:
    """Who the provider says logged in: the verified ID token's issuer and subject."""

    issuer: str
    subject: str


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()


class _Provider:
    """The provider's discovery document and keys, fetched when first needed and kept (thread-safe)."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: Any = None

    def _get(self, url: str) -> dict[str, Any]:
        import httpx

        try:
            answer = httpx.get(url, timeout=10, follow_redirects=False)
            answer.raise_for_status()
            found = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"the identity provider did not answer ({type(exc).__name__})") from None
        if not isinstance(found, dict):
            raise OidcError("the identity provider's answer is not a JSON object")
        return found

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                found = self._get(self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration")
                # Core Discovery §4.3: the document's issuer is exactly the configured one.
                if found.get("issuer") != self.settings.issuer:
                    raise OidcError("the discovery document names another issuer")
                for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(found.get(name), str):
                        raise OidcError(f"the discovery document has no {name}")
                self._metadata = found
            return self._metadata

    def keys(self, *, again: bool = False) -> Any:
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        uri = str(self.metadata()["jwks_uri"])
        with self._lock:
            if self._keys is None or again:
                try:
                    self._keys = KeySet.import_key_set(self._get(uri))  # type: ignore[arg-type]
                except (JoseError, ValueError, TypeError, KeyError):
                    raise OidcError("the identity provider's keys are unreadable") from None
            return self._keys

    def exchange(self, code: str, verifier: str, redirect_uri: str) -> str:
        """The ID token for ``code`` (the token endpoint, client_secret_basic, the PKCE verifier)."""
        import httpx

        try:
            answer = httpx.post(str(self.metadata()["token_endpoint"]), timeout=10, follow_redirects=False,
                                auth=(self.settings.client_id, self.settings.client_secret),
                                data={"grant_type": "authorization_code", "code": code,
                                      "redirect_uri": redirect_uri, "code_verifier": verifier},
                                headers={"accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OidcError(f"the token endpoint did not answer ({type(exc).__name__})") from None
        if answer.status_code != 200:
            raise OidcError(f"the token endpoint refused the code (HTTP {answer.status_code})")
        try:
            token = answer.json()["id_token"]
        except (ValueError, KeyError, TypeError):
            raise OidcError("the token endpoint's answer has no ID token") from None
        if not isinstance(token, str):
            raise OidcError("the token endpoint's answer has no ID token")
        return token

    def verify(self, id_token: str, nonce: str) -> _Identity:
        """The issuer and subject of a verified ID token (signature, iss, aud, azp, exp, nonce)."""
        from joserfc import jwt
        from joserfc.errors import JoseError
        from joserfc.jwt import JWTClaimsRegistry

        try:
            try:
                token = jwt.decode(id_token, self.keys(), algorithms=list(_ALGORITHMS))
            except JoseError:  # perhaps a rotated key the cached set does not have yet: once more
                token = jwt.decode(id_token, self.keys(again=True), algorithms=list(_ALGORITHMS))
            JWTClaimsRegistry(leeway=60, iss={"essential": True, "value": self.settings.issuer},
                              aud={"essential": True, "value": self.settings.client_id},
                              exp={"essential": True}, sub={"essential": True},
                              nonce={"essential": True, "value": nonce}).validate(token.claims)
        except (JoseError, ValueError, TypeError):
            raise OidcError("the ID token is not valid") from None
        claims = token.claims
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:  # Core §3.1.3.7 (4, 5)
            raise OidcError("the ID token was issued to another client")
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise OidcError("the ID token's subject is not valid")
        return _Identity(self.settings.issuer, subject)


def add_oidc_routes(app: FastAPI, kit: Kit, *, oidc: OidcSettings | None, cookie: str,
                    set_cookie: Callable[[Response, Request, str], None],
                    language: Callable[[Request], str], safe_next: Callable[[str | None], str]) -> None:
    """``GET /login/oidc`` (off: 404) and ``GET /login/oidc/callback``: login routes, open without a session."""
    provider = _Provider(oidc) if oidc is not None else None
    lifetimes = kit.settings.lifetimes

    def refusal(lang: str, key: str, status: int, subject: str | None = None) -> HTMLResponse:
        name = oidc.name if oidc is not None else ""
        return kit.render("oidc_refused.html", lang, status, user=None, message=words(lang)[key].format(name=name),
                          subject=subject)

    def redirect_uri(request: Request) -> str:
        assert oidc is not None
        return oidc.redirect_uri or str(request.url_for("oidc_callback"))

    @app.get("/login/oidc", response_class=HTMLResponse)
    def oidc_start(request: Request, next: str | None = None) -> Response:
        from authlib.common.security import generate_token
        from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        lang = language(request)
        if oidc is None or provider is None:
            return refusal(lang, "oidc.off", 404)
        try:
            endpoint = str(provider.metadata()["authorization_endpoint"])
        except OidcError:
            return refusal(lang, "oidc.refused", 502)
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        with kit.unit() as s:
            now = kit.clock()
            found = find_session(s, request.cookies.get(cookie), now=now, lifetimes=lifetimes)
            if found is not None and found.user_id is not None:
                return RedirectResponse(safe_next(next), status_code=303)
            fresh = found is None
            if found is None:
                purge_sessions(s, now=now, lifetimes=lifetimes)
                found = new_session(s, user_id=None, now=now)
            # One login under way per browser; and the abandoned ones of everybody, now and then.
            s.execute(delete(OidcPendingRow).where((OidcPendingRow.session_key == found.key)
                                                   | (OidcPendingRow.created_at <= now - _PENDING_FOR)))
            s.add(OidcPendingRow(state_key=_hash(state), session_key=found.key, nonce=nonce, verifier=verifier,
                                 next=safe_next(next), created_at=now))
        url = prepare_grant_uri(endpoint, oidc.client_id, "code", redirect_uri=redirect_uri(request),
                                scope=oidc.scope, state=state, nonce=nonce,
                                code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256")
        response = RedirectResponse(url, status_code=303)
        if fresh and found.token:
            set_cookie(response, request, found.token)
        return response

    @app.get("/login/oidc/callback", name="oidc_callback", response_class=HTMLResponse)
    def oidc_callback(request: Request, state: str = "", code: str = "") -> Response:
        lang = language(request)
        if oidc is None or provider is None:
            return refusal(lang, "oidc.off", 404)
        expected = nonce = verifier = target = ""
        with kit.unit() as s:
            now = kit.clock()
            found = find_session(s, request.cookies.get(cookie), now=now, lifetimes=lifetimes)
            pending = None if found is None else s.scalars(
                select(OidcPendingRow).where(OidcPendingRow.session_key == found.key)).first()
            if pending is not None:
                s.delete(pending)  # used once, whatever the callback brings
                started = pending.created_at if pending.created_at.tzinfo else pending.created_at.replace(
                    tzinfo=now.tzinfo)  # SQLite drops the zone
                if started + _PENDING_FOR > now:
                    expected, nonce, verifier, target = (pending.state_key, pending.nonce, pending.verifier,
                                                         pending.next)
        # The state: this browser's own login (not one begun elsewhere and planted), not yet used, not stale.
        if found is None or not expected or not state or not code or not hmac.compare_digest(expected, _hash(state)):
            return refusal(lang, "oidc.refused", 400)
        try:
            identity = provider.verify(provider.exchange(code, verifier, redirect_uri(request)), nonce)
        except OidcError:
            return refusal(lang, "oidc.refused", 403)
        with kit.unit() as s:
            now = kit.clock()
            user_id = s.scalars(select(OidcLinkRow.user_id).where(OidcLinkRow.issuer == identity.issuer,
                                                                   OidcLinkRow.subject == identity.subject)).first()
            user = get_user(s, user_id) if user_id is not None else None
            if user is None:
                return refusal(lang, "oidc.unknown", 403, subject=identity.subject)
            if user.disabled or user.locked:
                return refusal(user.language, "oidc.disabled", 403)
            address = request.client.host if request.client else "unknown"
            s.add(LoginAttemptRow(at=now, user_id=user.id, address_key=address_key(address), success=True))
            end_session(s, found.key)  # the pre-login id is worth nothing from now on
            purge_sessions(s, now=now, lifetimes=lifetimes)
            made = new_session(s, user_id=user.id, now=now)
        response = RedirectResponse(target, status_code=303)
        assert made.token is not None
        set_cookie(response, request, made.token)
        return response


def link_subject(session: Session, *, name: str, issuer: str, subject: str, now: datetime) -> User:
    """Link the account ``name`` to an identity provider's subject (``users link``); a subject already
    linked (to this account or another) is refused, as is a name no account has."""
    row = session.scalars(select(UserRow).where(UserRow.name == name.strip())).first()
    if row is None:
        raise UnknownUserError(f"no account {name.strip()!r}")
    taken = session.scalars(select(OidcLinkRow).where(OidcLinkRow.issuer == issuer,
                                                      OidcLinkRow.subject == subject)).first()
    if taken is not None:
        raise AccountError("that subject is already linked to an account")
    session.add(OidcLinkRow(user_id=row.id, issuer=issuer, subject=subject, created_at=now))
    session.flush()
    found = get_user(session, row.id)
    assert found is not None
    return found
