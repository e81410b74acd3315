"""A small, real OpenID provider for the tests, built from Authlib's own server side.

Authlib's ``AuthorizationServer`` with its ``AuthorizationCodeGrant``, the PKCE extension
(``CodeChallenge``, S256 required) and the OpenID Connect extension (``OpenIDCode``), bound to
Starlette here (Authlib ships bindings for Flask and Django only), signing ID tokens with a
fresh RSA key whose public half it publishes as a JWKS (joserfc), with a discovery document.
It runs in uvicorn on a loopback port like the workbench (tests/webserver.py ``serving``).

The person logged in at the provider is :attr:`Provider.subject` (a test sets it: no login form
here). Two knobs make it misbehave on purpose: ``audience`` (ID tokens issued to another
client) and ``tamper`` (a byte of the ID token's payload changed after signing).
"""

from __future__ import annotations

import base64
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .webserver import serving

CLIENT_ID = "klageformular-workbench"
CLIENT_SECRET = "a client secret for the tests only"


@dataclass
class _Client(ClientMixin):  # type: ignore[misc]
    redirect_uri: str

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret.encode(), CLIENT_SECRET.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class _Code:
    code: str
    redirect_uri: str
    scope: str
    subject: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class _Request(OAuth2Request):  # type: ignore[misc]
    """A Starlette request as Authlib sees one: the query and form read beforehand (Starlette's are async)."""

    def __init__(self, request: Request, values: dict[str, str]):
        super().__init__(request.method, str(request.url), headers=request.headers)
        self.payload = BasicOAuth2Payload(values)
        self._values = values

    @property
    def args(self) -> dict[str, str]:
        return dict(self._values)

    @property
    def form(self) -> dict[str, str]:
        return dict(self._values)


class Provider:
    """The provider's state: the URL it runs at, its key, the codes it gave, who is logged in, the knobs."""

    def __init__(self) -> None:
        self.url = ""
        self.redirect_uri = ""
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"}, private=True)
        self.codes: dict[str, _Code] = {}
        self.subject = "subject-linn"
        self.audience: str | None = None
        self.tamper = False
        self.app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
        ])
        self.server = self._server()

    def _server(self) -> AuthorizationServer:
        provider = self

        class Grant(AuthorizationCodeGrant):  # type: ignore[misc]
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]  # noqa: RUF012 (Authlib's own attribute)

            def save_authorization_code(self, code: str, request: Any) -> None:
                data = request.payload.data
                provider.codes[code] = _Code(code, data["redirect_uri"], request.scope, request.user,
                                             data.get("nonce"), data.get("code_challenge"),
                                             data.get("code_challenge_method"))

            def query_authorization_code(self, code: str, client: Any) -> _Code | None:
                return provider.codes.get(code)

            def delete_authorization_code(self, authorization_code: _Code) -> None:
                provider.codes.pop(authorization_code.code, None)  # a code is good once

            def authenticate_user(self, authorization_code: _Code) -> str:
                return authorization_code.subject

        class OpenID(OpenIDCode):  # type: ignore[misc]
            def exists_nonce(self, nonce: str, request: Any) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client: Any) -> RSAKey:
                return provider.key

            def get_client_algorithm(self, client: Any) -> str:
                return "RS256"

            def get_client_claims(self, client: Any) -> dict[str, Any]:
                return {"iss": provider.url, "aud": [provider.audience or CLIENT_ID], "exp": int(time.time()) + 300}

            def get_encode_header(self, client: Any) -> dict[str, str]:
                return {"alg": "RS256", "kid": "test-key"}

            def generate_user_info(self, user: str, scope: str) -> UserInfo:
                return UserInfo(sub=user)

        class Server(AuthorizationServer):  # type: ignore[misc]
            def query_client(self, client_id: str) -> _Client | None:
                return _Client(provider.redirect_uri) if client_id == CLIENT_ID else None

            def save_token(self, token: Any, request: Any) -> None:
                pass

            def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
                pass

            def create_oauth2_request(self, request: _Request) -> _Request:
                return request

            def create_json_request(self, request: _Request) -> _Request:
                return request

            def handle_response(self, status: int, body: Any, headers: Any) -> Response:
                if isinstance(body, dict):
                    return JSONResponse(body, status_code=status, headers=dict(headers))
                return Response(body, status_code=status, headers=dict(headers))

        server = Server()
        server.register_token_generator("default", BearerTokenGenerator(lambda *_, **__: generate_token(32)))
        server.register_grant(Grant, [CodeChallenge(required=True), OpenID(require_nonce=True)])
        return server

    async def discovery(self, request: Request) -> Response:
        return JSONResponse({"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
                             "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
                             "response_types_supported": ["code"], "subject_types_supported": ["public"],
                             "id_token_signing_alg_values_supported": ["RS256"],
                             "code_challenge_methods_supported": ["S256"],
                             "token_endpoint_auth_methods_supported": ["client_secret_basic"]})

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        # The person is already logged in here and consents: the provider answers at once.
        asked = _Request(request, dict(request.query_params))
        try:
            grant = self.server.get_consent_grant(request=asked, end_user=self.subject)
        except OAuth2Error as error:
            refused: Response = self.server.handle_error_response(asked, error)
            return refused
        answer: Response = self.server.create_authorization_response(request=asked, grant_user=self.subject,
                                                                     grant=grant)
        return answer

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        answer: Response = self.server.create_token_response(_Request(request, form))
        if self.tamper and answer.status_code == 200:
            body = json.loads(bytes(answer.body))
            header, payload, signature = body["id_token"].split(".")
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            claims["sub"] = "subject-mikkel"  # someone else, under linn's signature
            forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            body["id_token"] = f"{header}.{forged}.{signature}"
            answer = JSONResponse(body)
        return answer


@contextmanager
def provider() -> Iterator[Provider]:
    """A provider on a loopback port (its URL is its issuer); the test sets ``redirect_uri`` once it knows it."""
    made = Provider()
    with serving(made.app) as url:
        made.url = url
        yield made
