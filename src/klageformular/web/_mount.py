"""One server for a small office: the customer website under a prefix beside the workbench (``serve --website``).

The workbench keeps its addresses (``/``, ``/cases/…``, ``/login``: what officers bookmark, and
what its pages link to); the customer website goes under a prefix (``/website`` by default:
``/website/klageformular.pdf``, ``/website/complaints``). That way round because the website's
addresses are relative to wherever it is mounted (its answers are PDFs and JSON, no links back
into itself), while every workbench page, redirect and cookie names absolute paths.

:func:`combine` dispatches on the path *before* either app runs, so each keeps its own
behaviour: the workbench's sessions, CSRF checks, security headers (CSP, ``no-store``) and
access log stay on the workbench; the website's caching (ETags, ``public``), its upload
endpoint (no CSRF token: customers have no session) and its lifespan (the parse pool, its
engine) are its own. The website is named by an import string (``MODULE:FACTORY``, a
function returning an ASGI app, as uvicorn's ``--factory`` takes it): the package does not
ship the example site (``examples.website.app:site``), an office runs its own.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from starlette.routing import Mount, Router
from starlette.types import ASGIApp

from ..exceptions import ConfigurationError

__all__ = ["DEFAULT_PREFIX", "combine", "load_website"]

DEFAULT_PREFIX = "/website"


def load_website(spec: str) -> ASGIApp:
    """The app ``MODULE:FACTORY()`` returns (:class:`ConfigurationError` when it cannot be had)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(f"--website {spec!r}: expected MODULE:FACTORY (examples.website.app:site)")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"--website {spec!r}: {type(exc).__name__}: {exc}") from None
    if not callable(factory):
        raise ConfigurationError(f"--website {spec!r}: {attribute} is not a function returning an ASGI app")
    app: ASGIApp = factory()
    return app


def _prefix(prefix: str) -> str:
    cleaned = "/" + prefix.strip("/")
    if cleaned == "/" or any(not part.replace("-", "").replace("_", "").isalnum() for part in cleaned[1:].split("/")):
        raise ConfigurationError(f"--website-prefix {prefix!r}: a path such as /website (letters, digits, - and _)")
    return cleaned


def combine(workbench: ASGIApp, website: ASGIApp, *, prefix: str = DEFAULT_PREFIX) -> ASGIApp:
    """``website`` under ``prefix``, everything else to ``workbench``; both apps' lifespans run.

    Starlette's own :class:`~starlette.routing.Mount` sets the website's ``root_path``, so its
    routes match as if it were alone; a request outside the prefix never reaches it.
    """
    mounted = _prefix(prefix)

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for app in (website, workbench):
                router = getattr(app, "router", None)  # a FastAPI or Starlette app: its start-up and shut-down
                if router is not None and hasattr(router, "lifespan_context"):
                    await stack.enter_async_context(router.lifespan_context(app))
            yield

    # No slash redirects: a path the workbench does not know gets the workbench's own answer.
    return Router(routes=[Mount(mounted, app=website)], default=workbench, redirect_slashes=False,
                  lifespan=lifespan)
