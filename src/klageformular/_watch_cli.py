"""``klageformular watch SOURCE``: the command-line face of :mod:`klageformular.watch` (arguments → calls → lines).

The register is opened here, at the edge, once per run (``--db``, else ``$KLAGEFORMULAR_DB``);
the working folder defaults to one per source and register under ``$XDG_STATE_HOME`` (else
``~/.local/state``). Each run prints one line of counts. ``--auto-ack`` builds the SMTP mailer
(and Sent folder) once, before the first run, from the environment or the profile file, and
never prompts: a missing password is one line and exit 1. Exit codes: 0 (``--once``: the run
worked, or stopped early; ``--every``: stopped by ``SIGTERM``/``SIGINT``), 1 ``--once`` failed,
another run holds the lock, or the sending settings are wrong, 2 usage errors.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._files import one_line

if TYPE_CHECKING:
    from .exceptions import WatchLockedError
    from .org import Organisation
    from .register import Register, WatchRun
    from .watch import Sending

__all__ = ["add_watch_parser", "interval"]

_INTERVAL = re.compile(r"(\d+)(s|m|h)")
_UNIT = {"s": 1, "m": 60, "h": 3600}


def interval(text: str) -> float:
    """``30s``, ``5m``, ``1h`` as seconds (a usage error, exit 2, otherwise)."""
    match = _INTERVAL.fullmatch(text.strip())
    if match is None or int(match[1]) == 0:
        raise argparse.ArgumentTypeError("use a number above zero with s, m or h, such as 30s, 5m or 1h")
    return float(int(match[1]) * _UNIT[match[2]])


def add_watch_parser(sub: Any, *, database: argparse.ArgumentParser, org_choices: Sequence[str],
                     positive_int: Any, imap_env: str) -> None:
    """Add ``watch`` to the main parser's subparsers (the shared option types come from :mod:`.cli`)."""
    p = sub.add_parser("watch", parents=[database],
                       help="import new mail into the register on a schedule (a service; see the README)")
    p.add_argument("inbox", metavar="SOURCE",
                   help="a folder, an mbox file, a Maildir, or imaps://user@host[:port]/Folder (password from "
                        f"{imap_env})")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--every", type=interval, default=interval("5m"), metavar="30s|5m|1h",
                      help="run again this long after each run started (default: 5m)")
    when.add_argument("--once", action="store_true", help="one run, then exit (for a systemd timer or cron)")
    p.add_argument("--work", metavar="FOLDER",
                   help="the watch's working folder (default: one per source and register under "
                        "$XDG_STATE_HOME/klageformular/watch); it holds the records read, and the lock")
    p.add_argument("--workers", type=positive_int, default=1, help="worker processes (default: %(default)s)")
    p.add_argument("--org", choices=org_choices, default=None, metavar="PROFILE",
                   help="whose working days set every deadline: %(choices)s (default: each form's own profile)")
    p.add_argument("--org-file", metavar="FILE", default=None,
                   help="a profile file: sets the deadlines and replaces the built-in profile with its key")
    p.add_argument("--mark-seen", action="store_true", help="IMAP: mark messages read once their records are written")
    p.add_argument("--move-to", metavar="FOLDER", help="IMAP: move messages there once their records are written")
    p.add_argument("--auto-ack", action="store_true",
                   help="send the acknowledgement of each complete new complaint whose profile allows it "
                        "(auto_acknowledge = true), and the letters still queued; SMTP settings as for "
                        "letter --send, the password from KLAGEFORMULAR_SMTP_PASSWORD (never asked for)")
    p.set_defaults(func=_watch)


def _watch(args: argparse.Namespace) -> int:
    from ._cli_args import file_profile, mail_options
    from ._limits import Limits
    from .org import get_organisation
    from .register import create_register_engine, resolve_url
    from .register._cli import _guarded, _profiles, _who
    from .watch import StopSignals, WatchOptions, run_once, watch, working_folder

    url = resolve_url(args.db, os.environ)
    org = file_profile(args) or (get_organisation(args.org) if args.org else None)
    limits = Limits(timeout_seconds=30.0, worker_memory_mb=1024, max_seconds=min(Limits.max_seconds, 20.0))
    profiles = _profiles([args.org_file] if args.org_file else [])
    options = WatchOptions(who=_who(args.who), workers=args.workers, mail=mail_options(args), org=org,
                           profiles=profiles, limits=limits,
                           sending=_sending(org if args.org_file else None) if args.auto_ack else None)
    folder = Path(args.work) if args.work else working_folder(_state_home(), args.inbox, url)

    def connect() -> Register:
        from .register import Register

        # The profile file's profile is the one its cases are handled (and acknowledged) under.
        return Register(create_register_engine(url), profiles={p.org.key: p.org for p in profiles})

    with StopSignals() as stop:
        if args.once:
            def once() -> int:
                register = connect()  # a database that cannot be opened: one line (_guarded), exit 1
                try:
                    run = run_once(args.inbox, folder, register=register, options=options, stop=stop)
                finally:
                    register.engine.dispose()
                _print(run)
                return 1 if run.failed else 0
            return _guarded(once)
        print(f"klageformular: watching every {_duration(args.every)}; SIGTERM or Ctrl-C stops after the message "
              "in progress", file=sys.stderr)
        watch(args.inbox, folder, connect=connect, every=args.every, options=options, stop=stop, on_run=_print,
              on_locked=_locked)
    return 0


def _sending(org: Organisation | None) -> Sending:
    """The SMTP server (and Sent folder) from the environment, else the profile file; checked before any run.

    A service has no one to type a password: a missing one is a one-line error now, never a prompt.
    """
    from .exceptions import ConfigurationError
    from .sentfolder import sent_folder_from_environment
    from .smtp import smtp_from_environment
    from .watch import Sending

    mailer = smtp_from_environment(os.environ, org=org, prompt=None)
    if mailer is None:
        raise ConfigurationError("--auto-ack needs an SMTP server: set KLAGEFORMULAR_SMTP_URL (smtps://user@host) "
                                 "or smtp_url under [mail] in the profile file (--org-file)")
    return Sending(mailer, sent_folder_from_environment(os.environ, org=org, prompt=None))


def _print(run: WatchRun) -> None:
    line = one_line(run.line()) + ("" if run.id is not None else " (not recorded in the register)")
    print(line, file=sys.stderr if run.failed else sys.stdout, flush=True)


def _locked(exc: WatchLockedError) -> None:
    print(f"klageformular: {one_line(str(exc))}", file=sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def _state_home() -> Path:
    """``$XDG_STATE_HOME``, else ``~/.local/state`` (the XDG base directory rule)."""
    home = os.environ.get("XDG_STATE_HOME")
    return Path(home) if home and Path(home).is_absolute() else Path.home() / ".local" / "state"
