"""The account pages: ``/settings`` (each user's language) and ``/admin/users`` (admins only).

The admin page does what ``klageformular users`` does, through the same account service
(:mod:`._accounts`): list, add, disable and enable, unlock, reset the second factor. A new
account's or a reset second factor's ``otpauth://`` URI is shown once, in the answer to the
POST (never in an address, a log or the database's audit). Each admin action is an audit
row naming the account by id (``user:<id>``); officers and viewers get 403 for every admin route.

``/settings`` is the account's own, like the logout: any role may choose its language.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..exceptions import AccountError
from ..register._schema import ROLES, AuditRow
from ._accounts import LANGUAGES, NewUser, add_user, list_users, reset_totp, set_disabled, set_language, unlock
from ._app import Visitor
from ._kit import Kit
from ._pages import page

__all__ = ["add_admin_routes"]


def add_admin_routes(app: FastAPI, kit: Kit) -> None:
    """``/settings`` for every account, ``/admin/users`` and its actions for admins."""

    @app.get("/settings", response_class=HTMLResponse)
    def settings_page(seen: Visitor = Depends(kit.reader), saved: str | None = None) -> Response:
        return page("settings.html", seen, languages=LANGUAGES, saved=bool(saved))

    @app.post("/settings")
    def settings_save(seen: Visitor = Depends(kit.reader), csrf: str = Form(""), language: str = Form("")) -> Response:
        kit.check_csrf(seen, csrf)
        if language not in LANGUAGES:
            return page("settings.html", seen, 400, languages=LANGUAGES, saved=False)
        with kit.unit() as s:
            set_language(s, seen.user.id, language)
        return RedirectResponse("/settings?saved=1", status_code=303)

    def users_page(seen: Visitor, status: int = 200, *, notice: str | None = None, error: str | None = None,
                   made: NewUser | None = None) -> Response:
        with kit.reading() as s:
            users = list_users(s)
        return page("admin_users.html", seen, status, users=users, roles=ROLES, notice=notice, error=error,
                    made=made)

    @app.get("/admin/users", response_class=HTMLResponse)
    def users(seen: Visitor = Depends(kit.admin)) -> Response:
        return users_page(seen)

    @app.post("/admin/users")
    def user_add(seen: Visitor = Depends(kit.admin), csrf: str = Form(""), name: str = Form(""),
                 role: str = Form(""), password: str = Form(""), language: str = Form("da")) -> Response:
        kit.check_csrf(seen, csrf)
        try:
            with kit.unit() as s:
                made = add_user(s, name=name, role=role, password=password, now=kit.clock(),
                                language=language if language in LANGUAGES else "da")
                s.add(AuditRow(at=kit.clock(), user_id=seen.user.id, action="user_added",
                               detail=f"user:{made.user.id}"))
        except AccountError as exc:
            return users_page(seen, 400, error=str(exc))
        return users_page(seen, notice="user_added", made=made)

    def account_action(seen: Visitor, csrf: str, name: str, action: str) -> Response:
        kit.check_csrf(seen, csrf)
        made: NewUser | None = None
        try:
            if action == "user_disabled" and name.strip() == seen.user.name:
                raise AccountError("an admin cannot disable the account they are logged in with")
            with kit.unit() as s:
                if action in ("user_disabled", "user_enabled"):
                    user = set_disabled(s, name, action == "user_disabled")
                elif action == "user_unlocked":
                    user = unlock(s, name)
                else:
                    made = reset_totp(s, name)
                    user = made.user
                s.add(AuditRow(at=kit.clock(), user_id=seen.user.id, action=action, detail=f"user:{user.id}"))
        except AccountError as exc:
            return users_page(seen, 400, error=str(exc))
        if made is not None:  # the new key is shown in this answer only
            return users_page(seen, notice="done", made=made)
        return RedirectResponse("/admin/users", status_code=303)

    @app.post("/admin/users/disable")
    def user_disable(seen: Visitor = Depends(kit.admin), csrf: str = Form(""), name: str = Form("")) -> Response:
        return account_action(seen, csrf, name, "user_disabled")

    @app.post("/admin/users/enable")
    def user_enable(seen: Visitor = Depends(kit.admin), csrf: str = Form(""), name: str = Form("")) -> Response:
        return account_action(seen, csrf, name, "user_enabled")

    @app.post("/admin/users/unlock")
    def user_unlock(seen: Visitor = Depends(kit.admin), csrf: str = Form(""), name: str = Form("")) -> Response:
        return account_action(seen, csrf, name, "user_unlocked")

    @app.post("/admin/users/reset-2fa")
    def user_reset_2fa(seen: Visitor = Depends(kit.admin), csrf: str = Form(""), name: str = Form("")) -> Response:
        return account_action(seen, csrf, name, "user_2fa_reset")
