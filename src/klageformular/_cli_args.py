"""Argument readers every command line shares: the profile file (``--org-file``) and a mail source's
options (the IMAP password from the environment or a prompt, never from the command line).

Their own module so that ``cli.py`` and the subcommands' modules (``_watch_cli.py``) both import
them without importing each other.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from ._mailbatch import MailOptions
    from .org import Organisation

__all__ = ["IMAP_PASSWORD_ENV", "file_profile", "mail_options"]

IMAP_PASSWORD_ENV = "KLAGEFORMULAR_IMAP_PASSWORD"


def mail_options(args: argparse.Namespace) -> MailOptions:
    """IMAP password from the environment or a prompt: never from the command line (``ps``, history)."""
    from ._mailbatch import MailOptions, is_imap_url

    password = None
    if is_imap_url(args.inbox):
        password = os.environ.get(IMAP_PASSWORD_ENV)
        if password is None:
            if not sys.stdin.isatty():
                raise ConfigurationError(f"set {IMAP_PASSWORD_ENV}: there is no terminal to ask for the password")
            password = getpass.getpass("IMAP password: ")
    elif args.mark_seen or args.move_to:
        raise ConfigurationError("--mark-seen and --move-to are for an IMAP source")
    return MailOptions(imap_password=password, mark_seen=args.mark_seen, move_to=args.move_to)


def file_profile(args: argparse.Namespace) -> Organisation | None:
    """The profile loaded from ``--org-file``, if given; it takes the place of ``--org``."""
    path = getattr(args, "org_file", None)
    if not path:
        return None
    from .orgfile import load_organisation  # TOML and JSON readers: only with --org-file

    return load_organisation(path)
