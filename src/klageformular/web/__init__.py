"""The officer's workbench in the browser (``klageformular serve``; ``pip install klageformular[web]``).

A FastAPI app over the register service (:class:`~klageformular.register.Register`): it adds
accounts, sessions and pages, never a workflow rule of its own. :func:`create_app` takes the
engine and :class:`Settings` made at the edge (:func:`serve` makes them from the command line
and the environment); nothing in here reads the environment otherwise.

- :mod:`._accounts`: users (Argon2id passwords, TOTP), logins, lockout — also behind ``users …``.
- :mod:`._sessions`: server-side sessions in the register database, with CSRF tokens.
- :mod:`._app`: the routes, the security headers, the role checks.
- :mod:`._case_actions`: the case page's work (correct, status, extend / wait / resume) and documents
  as page images (:mod:`._pdfpages`) or text; :mod:`._letters_page`: the letters, previewed and sent.
  Both get the app's shared pieces as one :class:`._kit.Kit`.
- :mod:`._lists` (the due page, the register list and its exports, search), :mod:`._report_page`
  (the report with :mod:`._charts`' SVG), :mod:`._admin` (settings, users): pages hooked in with
  :class:`._kit.Kit`, their words in :mod:`._pages`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ._app import Clock, Settings, create_app, serve

__all__ = ["Clock", "Settings", "create_app", "serve"]


# FastAPI and the accounts load on first use: `serve`, `users` and the tests ask for them.
__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(__all__, "_app"), globals())
