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
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, overload

from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from ._mailbatch import MailOptions
    from .org import Organisation

__all__ = ["IMAP_PASSWORD_ENV", "ORGANISATION_KEYS", "LazyChoices", "file_profile", "mail_options"]

IMAP_PASSWORD_ENV = "KLAGEFORMULAR_IMAP_PASSWORD"


class LazyChoices(Sequence[str]):
    """An argparse ``choices`` list computed the first time argparse looks at it.

    The built-in profiles' keys live with the profiles (pydantic models: most of a command's
    start-up). argparse reads ``choices`` only to check a value given, or to print help or an
    error, so a command that is not given ``--org`` never builds them. Give the option a
    ``metavar`` (argparse would list the choices at ``add_argument`` otherwise) and say
    ``%(choices)s`` in its help.
    """

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load

    @cached_property
    def _items(self) -> tuple[str, ...]:
        return tuple(self._load())

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __contains__(self, value: object) -> bool:
        return value in self._items


def _organisation_keys() -> list[str]:
    from .org import organisation_keys

    return organisation_keys()


#: The built-in profiles' keys as ``--org`` choices (default first), built on first look.
ORGANISATION_KEYS = LazyChoices(_organisation_keys)


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
