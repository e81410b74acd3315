"""What a module of routes gets from :func:`~klageformular.web.create_app`: the register, the unit of work,
the page renderer, the role checks, the CSRF check, the case page and the clock.

One object instead of each module rebuilding them: the role and CSRF rules stay written once
(in :mod:`._app`), and a module adds its routes with ``add_…(app, kit)``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from ..register import Register

if TYPE_CHECKING:
    from ..register._outbox import Mailer, SentCopier
    from ._app import Clock, Visitor

__all__ = ["Kit"]


@dataclass(frozen=True)
class Kit:
    """The app's shared pieces (see the module docstring); ``reader`` / ``worker`` are route dependencies."""

    register: Register
    unit: Callable[[], AbstractContextManager[Session]]
    render: Callable[..., HTMLResponse]
    reader: Callable[[Request], Visitor]
    worker: Callable[[Request], Visitor]
    check_csrf: Callable[[Visitor, str, Request | None], None]
    case_page: Callable[..., HTMLResponse]
    clock: Clock
    today: Callable[[], date]
    mailer: Mailer | None = None
    copier: SentCopier | None = None

    def not_found(self, seen: Visitor) -> HTMLResponse:
        """The 404 page, in the visitor's language."""
        from ._words import words

        return self.render("message.html", seen.lang, 404, title=words(seen.lang)["not_found"], user=seen.user,
                           csrf=seen.session.csrf)
