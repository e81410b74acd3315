"""What a module of routes gets from :func:`~klageformular.web.create_app`: the register, the unit of
work, the page renderer, the role checks, the CSRF check, the case page, the clock and the mail.

One object instead of each module rebuilding them: the role and CSRF rules stay written once (in
:mod:`._app`), and a module (``_lists.py``, ``_case_actions.py`` …) adds its routes with
``add_…(app, kit)``. The role checks are route dependencies (``reader``: any account; ``worker``:
officers and admins; ``admin``: admins), ``check_csrf`` runs on every POST, ``unit()`` is one
transaction per request (``reading()`` one that only reads, for a page that only renders: no write
lock), ``today()`` is in the office's time zone. No route module reads the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from ..register import Register
from ..register._reads import ReadSession

if TYPE_CHECKING:
    from ..register._outbox import Mailer, SentCopier
    from ._app import Settings, Visitor

__all__ = ["Kit"]


@dataclass(frozen=True, kw_only=True)
class Kit:
    """The app's shared parts, as :func:`create_app` made them (see the module docstring)."""

    register: Register
    settings: Settings
    clock: Callable[[], datetime]
    today: Callable[[], date]
    unit: Callable[[], AbstractContextManager[Session]]
    reading: Callable[[], AbstractContextManager[ReadSession]]
    render: Callable[..., HTMLResponse]
    reader: Callable[[Request], Visitor]
    worker: Callable[[Request], Visitor]
    admin: Callable[[Request], Visitor]
    # (visitor, token from the form[, request: the htmx header when the form has none])
    check_csrf: Callable[..., None]
    case_page: Callable[..., HTMLResponse]
    mailer: Mailer | None = None
    copier: SentCopier | None = None

    def not_found(self, seen: Visitor) -> HTMLResponse:
        """The 404 page, in the visitor's language."""
        from ._words import words

        return self.render("message.html", seen.lang, 404, title=words(seen.lang)["not_found"], user=seen.user,
                           csrf=seen.session.csrf)
