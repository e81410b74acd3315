"""Serve the complaint form on a website and read uploaded copies back (FastAPI; ``pip install klageformular[web]``).

Run it::

    KLAGEFORMULAR_PREFILL_SECRET=change-me uvicorn examples.website.app:app

``GET /klageformular.pdf`` serves the blank form in the visitor's language (``?lang=`` or
``Accept-Language``), cached by a strong ETag; ``GET /klageformular.pdf?prefill=TOKEN``
serves it pre-filled for a logged-in customer (the token is signed and expires; it names the
customer, never their data); ``POST /complaints`` reads an uploaded form and answers with
what was read: every readable form is a complaint (200), ``complete`` or ``needs_review``
with review items in the form's language that the page can show the customer; a file that
is not a readable form gets 422. Uploads stay in memory and are never written to disk.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
import unicodedata
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from klageformular import KlageformularError, parse_pdf, render_form
from klageformular.locales import LANGUAGES, catalogue
from klageformular.org import organisation_keys

__all__ = ["InvalidTokenError", "app", "create_app", "negotiate_language", "sign_prefill", "verify_prefill"]

log = logging.getLogger("klageformular.website")

CustomerLookup = Callable[[str], Mapping[str, Any] | None]
"""Customer id → the ``Complaint`` data to pre-fill (a dict), or None for an unknown customer."""

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
PREFILL_TTL_SECONDS = 15 * 60
# Primary language subtags a browser may send, mapped to the form's languages.
_LANGUAGE_TAGS = {"da": "da", "en": "en", "nb": "nb", "no": "nb", "nn": "nb", "sv": "sv"}


class InvalidTokenError(ValueError):
    """A prefill token that is malformed, forged or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_prefill(secret: bytes, customer_id: str, *, ttl: float = PREFILL_TTL_SECONDS,
                 now: float | None = None) -> str:
    """A URL-safe token that lets ``GET /klageformular.pdf?prefill=…`` pre-fill for one customer.

    >>> token = sign_prefill(b"secret", "K-20417", now=0)
    >>> verify_prefill(b"secret", token, now=60)
    'K-20417'
    """
    issued = time.time() if now is None else now
    payload = json.dumps({"sub": customer_id, "exp": int(issued + ttl)}, separators=(",", ":")).encode()
    body = _b64(payload)
    return f"{body}.{_b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())}"


def verify_prefill(secret: bytes, token: str, *, now: float | None = None) -> str:
    """The customer id in a token, or :class:`InvalidTokenError`."""
    body, _, signature = token.partition(".")
    expected = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(signature, expected):
        raise InvalidTokenError("bad signature")
    try:
        payload = json.loads(_unb64(body))
        customer, expires = payload["sub"], payload["exp"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidTokenError("malformed payload") from None
    if not isinstance(customer, str) or not isinstance(expires, int):
        raise InvalidTokenError("malformed payload")
    if (time.time() if now is None else now) >= expires:
        raise InvalidTokenError("expired")
    return customer


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


async def _read_upload(request: Request, field: str, limit: int) -> bytes:
    """The bytes of one multipart field, streamed into memory and never spooled to disk."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise _BadUploadError("send the form as multipart/form-data with a 'file' field")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _UploadTooLargeError
    parts: list[tuple[str, bytearray]] = []
    header: dict[str, bytes] = {}
    name = bytearray()
    value = bytearray()

    def on_part_begin() -> None:
        header.clear()
        parts.append(("", bytearray()))

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
        parts[-1][1].extend(data[start:end])

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
    })
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:  # a missing or false Content-Length is caught here
            raise _UploadTooLargeError
        try:
            parser.write(chunk)
        except Exception as exc:  # python-multipart raises its own errors on a malformed body
            raise _BadUploadError(f"malformed multipart body: {exc}") from None
    try:
        parser.finalize()
    except Exception as exc:
        raise _BadUploadError(f"malformed multipart body: {exc}") from None
    found = [bytes(data) for part, data in parts if part == field]
    if not found:
        raise _BadUploadError(f"no '{field}' field in the upload")
    return found[0]


def create_app(*, secret: bytes, customers: CustomerLookup, max_upload_bytes: int = MAX_UPLOAD_BYTES,
               clock: Callable[[], float] = time.time) -> FastAPI:
    """The web app; ``customers`` looks up a logged-in customer's prefill data by id.

    >>> app = create_app(secret=b"s", customers={}.get)
    >>> sorted(r.path for r in app.routes if r.path.startswith("/k"))
    ['/klageformular.pdf']
    """
    api = FastAPI(title="Kameo complaint form", docs_url=None, redoc_url=None)

    @api.api_route("/klageformular.pdf", methods=["GET", "HEAD"])
    def form(request: Request, lang: str | None = Query(None), org: str | None = Query(None),
             prefill: str | None = Query(None, max_length=1024)) -> Response:
        chosen = lang or negotiate_language(request.headers.get("accept-language"))
        if chosen not in LANGUAGES:
            return JSONResponse({"detail": f"unknown language {chosen!r}", "languages": list(LANGUAGES)}, 404)
        if org is not None and org not in organisation_keys():
            return JSONResponse({"detail": f"unknown organisation {org!r}", "orgs": organisation_keys()}, 404)
        headers = {"Content-Disposition": _disposition(chosen)}
        if lang is None:
            headers["Vary"] = "Accept-Language"
        if prefill is not None:
            # A personal copy: never cached by the browser or anything in between.
            headers["Cache-Control"] = "private, no-store"
            try:
                customer = verify_prefill(secret, prefill, now=clock())
            except InvalidTokenError as exc:
                log.info("prefill refused: %s", exc)
                return JSONResponse({"detail": "invalid or expired prefill link"}, 403, headers=headers)
            data = customers(customer)
            if data is None:
                return JSONResponse({"detail": "invalid or expired prefill link"}, 403, headers=headers)
            try:
                pdf = render_form(chosen, prefill=data, org=org)
            except KlageformularError as exc:  # the site's own customer data does not fit the form
                log.warning("prefill failed: %s", type(exc).__name__)
                return JSONResponse({"detail": "the form cannot be pre-filled"}, 500, headers=headers)
            return Response(pdf, media_type="application/pdf", headers=headers)
        pdf, etag = _blank_form(chosen, org)
        headers |= {"ETag": etag, "Cache-Control": "public, max-age=86400"}
        if _etag_matches(request.headers.get("if-none-match", ""), etag):
            return Response(status_code=304, headers=headers)
        return Response(pdf, media_type="application/pdf", headers=headers)

    @api.post("/complaints")
    async def complaints(request: Request) -> JSONResponse:
        try:
            data = await _read_upload(request, "file", max_upload_bytes)
        except _UploadTooLargeError:
            return JSONResponse({"detail": f"the file is larger than {max_upload_bytes:,} bytes"}, 413)
        except _BadUploadError as exc:
            return JSONResponse({"detail": str(exc)}, 400)
        if b"%PDF-" not in data[:1024]:
            return JSONResponse({"detail": "not a PDF file"}, 415)
        try:
            result = await run_in_threadpool(parse_pdf, data)
        except KlageformularError as exc:
            return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, 422)
        log.info("upload %s: status=%s", result.sha256[:12], result.status)  # never the content
        body = result.to_dict()
        body.pop("source")
        return JSONResponse(body, 200)

    return api


# A demo customer so the example runs as it is; a real site looks customers up in its own store.
_DEMO_CUSTOMERS: dict[str, dict[str, Any]] = {
    "K-20417": {"complainant": {"client_reference": "K-20417", "last_name": "Ørsted", "first_name": "Åse",
                                "email": "aase@example.dk", "role": "investor"}},
}


def _secret() -> bytes:
    configured = os.environ.get("KLAGEFORMULAR_PREFILL_SECRET")
    if configured:
        return configured.encode()
    log.warning("KLAGEFORMULAR_PREFILL_SECRET is not set: prefill links last only until this process stops")
    return secrets.token_bytes(32)


app = create_app(secret=_secret(), customers=_DEMO_CUSTOMERS.get)
