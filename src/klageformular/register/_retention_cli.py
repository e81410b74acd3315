"""``register purge``, ``hold``, ``release``, ``erase`` and ``subject-access``: arguments → one call → print.

Kept apart from ``_cli.py``; ``_cli.add_register_parser`` calls :func:`add_commands` once. The
rules live in :mod:`._retention` (and :mod:`._access`); output names references, dates and
counts, never a value (a hold's reason is the officer's own text and is printed back to them).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from ._cli import _command, _who, database_options, day

if TYPE_CHECKING:
    from ._service import Register

__all__ = ["add_commands", "add_prune_parser"]


def _purge(args: argparse.Namespace, register: Register) -> int:
    from ._retention import compact

    today = args.today or date.today()
    with register.session() as session, session.begin():
        result = register.purge(session, today=today, who=_who(args.who), dry_run=args.dry_run)
    verb = {"erased": "erased", "would_erase": "would be erased", "held": "kept: on legal hold",
            "unknown_profile": "kept: unknown profile"}
    for item in result.items:
        extra = f" ({item.reason})" if item.reason else ""
        until = f", kept until {item.keep_until}" if item.keep_until else ""
        print(f"  {item.reference}: closed {item.closed_on}{until}: {verb[item.action]}{extra}")
    print(f"purge {today}{' (dry run: nothing changed)' if result.dry_run else ''}: "
          f"{result.count('would_erase' if result.dry_run else 'erased')} case(s) "
          f"{'would be ' if result.dry_run else ''}erased, {result.count('held')} on hold kept, "
          f"{result.count('unknown_profile')} under an unknown profile kept")
    if args.compact and not args.dry_run:
        compact(register.engine)
        print("compacted: the freed space is given back (SQLite VACUUM / PostgreSQL VACUUM FULL)")
    for item in result.items:
        if item.action == "unknown_profile":
            print(f"klageformular: {item.reason}", file=sys.stderr)
    return 1 if result.count("unknown_profile") else 0


def _hold(args: argparse.Namespace, register: Register) -> int:
    with register.session() as session, session.begin():
        held = register.hold(session, args.reference, reason=args.reason, who=_who(args.who))
    print(f"{args.reference.strip().upper()}: on legal hold since {held.since:%Y-%m-%d}: never purged or erased "
          f"until 'register release'")
    return 0


def _release(args: argparse.Namespace, register: Register) -> int:
    with register.session() as session, session.begin():
        register.release(session, args.reference, who=_who(args.who), note=args.note)
    print(f"{args.reference.strip().upper()}: hold released (the retention policy applies again)")
    return 0


def _erase(args: argparse.Namespace, register: Register) -> int:
    with register.session() as session, session.begin():
        done = register.erase(session, args.reference, reason=args.reason, who=_who(args.who))
    print(f"{done.reference}: {done.summary()}")
    return 0


def _subject_access(args: argparse.Namespace, register: Register) -> int:
    with register.reading() as session:
        done = register.subject_access(session, args.output, email=args.email, client_number=args.client_number)
    print(f"subject access: {len(done.references)} case(s), {done.documents} document(s) written to "
          f"{args.output} ({', '.join(done.references) or 'nothing found'})")
    return 0


def _prune(args: argparse.Namespace, register: Register) -> int:
    from ..prune import prune_folder
    from ._retention import all_tombstones, missing_documents

    with register.reading() as session:
        tombstones, missing = all_tombstones(session), missing_documents(session)
    done = prune_folder(args.outdir, tombstones=tombstones, needed=missing.__contains__,
                        today=args.today or date.today(), profiles=register.profiles, dry_run=args.dry_run)
    would = "would be " if done.dry_run else ""
    print(f"prune {args.outdir}{' (dry run: nothing changed)' if done.dry_run else ''}: {done.erased_records} "
          f"record(s) of erased cases and {done.unreadable_records} old unreadable record(s) {would}removed, "
          f"{done.files} file(s) {would}deleted, {done.messages} message line(s) {would}reduced to their hash")
    for reason in done.refused:
        print(f"klageformular: {reason}", file=sys.stderr)
    return 1 if done.refused else 0


def add_prune_parser(sub: Any) -> None:
    """``klageformular prune OUTDIR``: the batch folder's copies of erased cases and old unreadable files."""
    p = sub.add_parser("prune", parents=[database_options()],
                       help="remove erased cases' records, attachments and quarantine copies (and unreadable files "
                            "past the profile's unreadable_retention_days) from a batch output folder")
    p.add_argument("outdir", metavar="OUTDIR")
    p.add_argument("--today", type=day, metavar="YYYY-MM-DD", help="count from this day (default: today)")
    p.add_argument("--dry-run", action="store_true", help="only count what would go; change nothing")
    p.add_argument("--org-file", action="append", metavar="FILE",
                   help="a profile file (its unreadable_retention_days) for records under its key (repeatable)")
    p.set_defaults(func=_command(_prune))


def add_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the retention commands through ``_cli``'s ``add`` (which declares ``--db`` and ``--who``)."""
    p = add("purge", _purge, "anonymise cases closed longer than their profile's retention_years_after_closure "
                             "and not on hold (exit 1 when a case's profile is unknown)")
    p.add_argument("--dry-run", action="store_true", help="only list what would be erased; change nothing")
    p.add_argument("--today", type=day, metavar="YYYY-MM-DD", help="count from this day (default: today)")
    p.add_argument("--compact", action="store_true",
                   help="then give the freed space back (SQLite VACUUM; PostgreSQL VACUUM FULL locks the tables "
                        "while it runs) so erased bytes leave the database files")
    p.add_argument("--org-file", action="append", metavar="FILE",
                   help="a profile file (its retention_years_after_closure) for cases under its key (repeatable)")
    p = add("hold", _hold, "put a case on legal hold: never purged or erased until released")
    p.add_argument("reference", metavar="REF")
    p.add_argument("--reason", required=True, help="why (the claim, the authority's request)")
    p = add("release", _release, "lift a case's legal hold")
    p.add_argument("reference", metavar="REF")
    p.add_argument("--note", help="why the hold ends")
    p = add("erase", _erase, "erase a closed case's personal data on request (GDPR art. 17); refused while the "
                             "case is open or on hold")
    p.add_argument("reference", metavar="REF")
    p.add_argument("--reason", required=True, help="the request (its date and channel)")
    p = add("subject-access", _subject_access, "everything the register holds about a person (GDPR art. 15): "
                                               "JSON, their documents and one PDF summary in their language")
    p.add_argument("--email", required=True, metavar="ADDRESS")
    p.add_argument("--client-number", metavar="N", help="also cases giving this client number")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="a new folder (created 0700)")
    p.add_argument("--org-file", action="append", metavar="FILE",
                   help="a profile file for cases under its key when it is not built in (repeatable)")
