"""``klageformular users …`` and ``klageformular serve``: the command-line face of the workbench.

Argparse only at import (the command line reads this for every start); the accounts, FastAPI
and uvicorn load when a command runs. The register is opened here, at the edge (``--db``, else
``$KLAGEFORMULAR_DB``). Exit codes: 0 done, 1 refused (a name taken, no such account, a password
too short), 2 usage (the ``[web]`` extra missing).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["add_web_parsers"]

_ROLES = ("viewer", "officer", "admin")  # register/_schema.py ROLES, without importing SQLAlchemy here
_EXTRA = "the workbench needs the [web] extra: pip install 'klageformular[web]'"


def _db_option() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", help="register database URL (default: $KLAGEFORMULAR_DB, else "
                                                    "sqlite:///klager.db in the current folder)")
    return common


def add_web_parsers(sub: Any) -> None:
    """Add ``users`` and ``serve`` to the main parser's subparsers."""
    db = _db_option()
    p = sub.add_parser("users", help="the workbench's accounts (officers, viewers, admins)")
    users = p.add_subparsers(dest="users_command", required=True)
    a = users.add_parser("add", parents=[db], help="a new account; prints its otpauth:// URI once")
    a.add_argument("name")
    a.add_argument("--role", choices=_ROLES, required=True,
                   help="viewer: reads; officer: works cases; admin: works cases and manages users")
    a.add_argument("--language", choices=("da", "en"), default="da", help="the workbench's language for this user")
    a.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    totp = a.add_mutually_exclusive_group()
    totp.add_argument("--totp", dest="totp", action="store_true", default=None,
                      help="a TOTP second factor (the default for officers and admins)")
    totp.add_argument("--no-totp", dest="totp", action="store_false", help="no second factor (not advised)")
    a.set_defaults(func=_guard(_add))
    u = users.add_parser("list", parents=[db], help="every account: role, language, second factor, state")
    u.set_defaults(func=_guard(_list))
    for name, help_text in (("disable", "refuse the account's logins and end its sessions"),
                            ("enable", "allow a disabled account again"),
                            ("unlock", "lift a lockout after too many failed logins"),
                            ("reset-2fa", "a new TOTP secret (prints the new otpauth:// URI once); ends its sessions")):
        c = users.add_parser(name, parents=[db], help=help_text)
        c.add_argument("name")
        c.set_defaults(func=_guard(_simple), action=name)
    r = users.add_parser("reset-password", parents=[db], help="a new password; ends the account's sessions")
    r.add_argument("name")
    r.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    r.set_defaults(func=_guard(_reset_password))
    lk = users.add_parser("link", parents=[db], help="let the account log in through the office's identity provider")
    lk.add_argument("name")
    lk.add_argument("--oidc-subject", required=True, metavar="SUB",
                    help="the provider's subject id for this person (the id the refused login page shows)")
    lk.add_argument("--issuer", default=None, metavar="URL",
                    help="the provider's issuer URL (default: $KLAGEFORMULAR_OIDC_ISSUER)")
    lk.set_defaults(func=_guard(_link))

    s = sub.add_parser("serve", parents=[db], help="the officer's workbench in the browser (see the README)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    s.add_argument("--port", type=int, default=8080, help="port (default: %(default)s)")
    s.add_argument("--org-file", action="append", default=[], metavar="FILE",
                   help="an organisation profile file the cases are handled under (repeatable; as for letter …)")
    s.add_argument("--website", metavar="MODULE:FACTORY",
                   help="also serve the customer website (e.g. examples.website.app:site, from a checkout) under "
                        "--website-prefix; it reads its own settings from the environment")
    s.add_argument("--website-prefix", default="/website", metavar="PATH",
                   help="where --website is mounted (default: %(default)s); the workbench keeps /")
    s.set_defaults(func=_serve)


def _guard(func: Callable[[argparse.Namespace, Session], int]) -> Callable[[argparse.Namespace], int]:
    """Open the register, run the command in one transaction; account refusals as one line."""

    def run(args: argparse.Namespace) -> int:
        from ..register import Register, create_register_engine, resolve_url
        from ..register._cli import _guarded

        try:
            import argon2  # noqa: F401
            import pyotp  # noqa: F401
        except ImportError:
            print(f"klageformular: {_EXTRA}", file=sys.stderr)
            return 2
        from ..exceptions import AccountError

        def call() -> int:
            register = Register(create_register_engine(resolve_url(args.db, os.environ)))
            try:
                with register.session() as session, session.begin():
                    return func(args, session)
            except AccountError as exc:
                print(f"klageformular: {exc}", file=sys.stderr)
                return 1
            finally:
                register.engine.dispose()

        return _guarded(call)

    return run


def _now() -> datetime:
    return datetime.now(UTC)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        from ..exceptions import AccountError

        raise AccountError("the two passwords differ; nothing done")
    return first


def _add(args: argparse.Namespace, session: Session) -> int:
    from ._accounts import add_user

    done = add_user(session, name=args.name, role=args.role, password=_password(args), language=args.language,
                    totp=args.totp, now=_now())
    print(f"{done.user.name}: {done.user.role}, {done.user.language}"
          + (", TOTP" if done.user.totp else ", no second factor"))
    if done.otpauth_uri:
        print("Add this to an authenticator app now; it is not shown again:")
        print(done.otpauth_uri)
    return 0


def _list(args: argparse.Namespace, session: Session) -> int:
    from ._accounts import list_users

    for user in list_users(session):
        state = "disabled" if user.disabled else "locked" if user.locked else "active"
        print(f"{user.name:<20} {user.role:<8} {user.language}  {'TOTP' if user.totp else 'no 2FA':<6}  {state}")
    return 0


def _simple(args: argparse.Namespace, session: Session) -> int:
    from ._accounts import reset_totp, set_disabled, unlock

    if args.action == "reset-2fa":
        done = reset_totp(session, args.name)
        print(f"{done.user.name}: a new second factor; add it to an authenticator app now (not shown again):")
        print(done.otpauth_uri)
        return 0
    user = {"disable": lambda: set_disabled(session, args.name, True),
            "enable": lambda: set_disabled(session, args.name, False),
            "unlock": lambda: unlock(session, args.name)}[args.action]()
    print(f"{user.name}: {'disabled' if user.disabled else 'locked' if user.locked else 'active'}")
    return 0


def _reset_password(args: argparse.Namespace, session: Session) -> int:
    from ._accounts import reset_password

    user = reset_password(session, args.name, _password(args))
    print(f"{user.name}: a new password; its sessions ended")
    return 0


def _link(args: argparse.Namespace, session: Session) -> int:
    from ..exceptions import AccountError
    from ._oidc import link_subject

    issuer = (args.issuer or os.environ.get("KLAGEFORMULAR_OIDC_ISSUER", "")).strip()
    subject = args.oidc_subject.strip()
    if not issuer or not subject:
        raise AccountError("an issuer (--issuer or KLAGEFORMULAR_OIDC_ISSUER) and a subject are needed")
    user = link_subject(session, name=args.name, issuer=issuer, subject=subject, now=_now())
    print(f"{user.name}: linked to a subject of {issuer}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    try:
        from . import serve
    except ImportError:
        print(f"klageformular: {_EXTRA}", file=sys.stderr)
        return 2
    from ..exceptions import ConfigurationError

    try:
        return serve(db=args.db, host=args.host, port=args.port, environ=os.environ, org_files=args.org_file,
                     website=args.website, website_prefix=args.website_prefix)
    except ConfigurationError as exc:  # a --website that cannot be loaded: one line, before listening
        print(f"klageformular: {exc}", file=sys.stderr)
        return 2
