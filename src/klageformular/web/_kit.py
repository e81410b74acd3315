"""What a route module gets from :func:`~klageformular.web._app.create_app`: the register, the clock, the checks.

A module of pages (``_lists.py`` …) registers its routes with ``add_…_routes(app, kit)`` and
uses only these: the role checks as dependencies (``reader``: any account; ``worker``: officers
and admins; ``admin``: admins), ``check_csrf`` on every POST, ``unit()`` for one transaction
per request, ``today()`` in the office's time zone. No route module reads the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from fastapi import Request
from sqlalchemy.orm import Session

from ..register import Register

if TYPE_CHECKING:
    from ._app import Settings, Visitor

__all__ = ["Kit"]


@dataclass(frozen=True)
class Kit:
    """The app's shared parts, as :func:`create_app` made them."""

    register: Register
    settings: Settings
    clock: Callable[[], datetime]
    today: Callable[[], date]
    unit: Callable[[], AbstractContextManager[Session]]
    reader: Callable[[Request], Visitor]
    worker: Callable[[Request], Visitor]
    admin: Callable[[Request], Visitor]
    check_csrf: Callable[[Visitor, str], None]
