"""``klageformular register …`` and ``batch --register``: the command line over the register's API.

The engine is made here, at the edge: ``--db URL``, else ``$KLAGEFORMULAR_DB``, else
``sqlite:///klager.db`` in the current folder. Exit codes: 0 fine, 1 an error (one line on
stderr) or, for ``due``, something is overdue; 2 usage errors.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._names import CSV_DIALECTS, EXPORT_LANGUAGES, OUTCOMES, TRANSITIONS, outcome_code

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..org import Organisation

__all__ = ["add_batch_options", "add_letter_options", "add_register_parser", "import_after_batch", "letter"]


def _engine(args: argparse.Namespace) -> Engine:
    from . import create_register_engine, resolve_url

    return create_register_engine(resolve_url(args.db, os.environ))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("use a date such as 2026-11-24") from None


def _who(args: argparse.Namespace) -> str:
    return str(args.who or getpass.getuser())


def _guarded(func: Any) -> Any:
    """Database failures as one line (never SQLAlchemy's text: it can quote the values of a statement)."""
    def run(args: argparse.Namespace) -> int:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return int(func(args))
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
            reason = first if "[SQL" not in first and "parameters" not in first else ""
            print(f"klageformular: database error ({type(cause).__name__}){': ' + reason if reason else ''}",
                  file=sys.stderr)
            return 1
    return run


def _profiles(args: argparse.Namespace) -> dict[str, Organisation]:
    """Profile files by key: ``register import --org-file`` (repeatable) or ``batch --org-file``."""
    from ..orgfile import load_organisation

    files = getattr(args, "org_file", None) or []
    profiles = [load_organisation(f) for f in ([files] if isinstance(files, str) else files)]
    return {org.key: org for org in profiles}


def _import(args: argparse.Namespace) -> int:
    from . import import_batch

    summary = import_batch(_engine(args), args.outdir, who=_who(args), organisations=_profiles(args))
    print(f"register: {summary.added} added ({summary.unreadable} unreadable), {summary.attached} attached to "
          f"an earlier entry, {summary.already} already there")
    for reference in summary.references:
        print(f"  {reference}")
    return 0


def import_after_batch(args: argparse.Namespace) -> int:
    """For ``batch --register``: import the output folder just written (0 fine, 1 failed)."""
    args.outdir = args.output
    return int(_guarded(_import)(args))


def _due(args: argparse.Namespace) -> int:
    from . import due

    result = due(_engine(args), args.today or date.today())
    groups = (("overdue", result.overdue), ("due today", result.due_today), ("due this week", result.this_week))
    if args.json:
        print(json.dumps({"today": result.today.isoformat(),
                          **{name.replace(" ", "_"): [i.to_dict() for i in items] for name, items in groups}},
                         ensure_ascii=False))
    else:  # plain lines: a cron job mails them, a terminal shows them, grep finds them
        print(f"Deadlines on {result.today.isoformat()}")
        for name, items in groups:
            for item in items:
                print(f"{name:<13} {item.reference:<17} {item.status:<12} {item.action} by "
                      f"{item.deadline.isoformat()} (received {item.received.isoformat()})")
        print(f"{len(result.overdue)} overdue, {len(result.due_today)} due today, "
              f"{len(result.this_week)} due later this week")
    return 1 if result.overdue else 0


def _list(args: argparse.Namespace) -> int:
    from . import list_complaints

    entries = list_complaints(_engine(args), status=args.status or (), since=args.since, related_to=args.related)
    for e in entries:
        if args.json:
            print(json.dumps(e, ensure_ascii=False))
            continue
        subject = str((e["complaint"] or {}).get("subject") or e["message"] or "").split("\n", 1)[0][:60]
        print(f"{e['reference']:<16} {e['status']:<13} {e['received']}  ack by {e['acknowledge_by'] or '-':<10}  "
              f"{e['language'] or '-':<2}  {subject}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from . import show

    data = show(_engine(args), args.reference)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    lines = [f"{data['reference']} · {data['status']} · received {data['received']} · acknowledge by "
             f"{data['acknowledge_by'] or '-'} · decide by {data['decide_by'] or '-'} · {data['channel']} · "
             f"language {data['language'] or '?'}"]
    if data["complaint"]:
        lines += ["", "Complaint:", json.dumps(data["complaint"], ensure_ascii=False, indent=2)]
    elif data["message"]:
        lines += ["", f"Unreadable: {data['reason']}: {data['message']}"]
    if data["review"]:
        lines += ["", "To review:"] + [f"  {r.get('path', '-')}: {r.get('message', '')}" for r in data["review"]]
    lines += ["", "Files:"] + [f"  {f['kind']:<13} {(f['sha256'] or '-')[:12]}  {f['source']}" for f in data["files"]]
    lines += ["", "Events:"] + [f"  {e['at']}  {e['who']:<12} {e['what']:<15} "
                                f"{(e['from'] or '') + ' → ' + e['to'] if e['to'] else '':<30} {e['note'] or ''}"
                                for e in data["events"]]
    lines += ["", "Related complaints:"] + ([f"  {r['reference']:<17} {r['status']:<13} {r['outcome'] or '-':<13} "
                                             f"same {', '.join(r['same'])}" for r in data["related"]] or ["  none"])
    print("\n".join(lines))
    return 0


def _note(args: argparse.Namespace) -> int:
    from . import add_note

    add_note(_engine(args), args.reference, args.text, who=_who(args))
    return 0


def _set(args: argparse.Namespace) -> int:
    from . import set_status

    previous = set_status(_engine(args), args.reference, args.status, who=_who(args), note=args.note, on=args.on,
                          outcome=args.outcome)
    print(f"{args.reference.upper()}: {previous} → {args.status}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from . import export_csv, export_xlsx

    engine = _engine(args)
    if args.csv or Path(args.target).suffix.lower() == ".csv":
        count = export_csv(engine, args.target, dialect=args.dialect, lang=args.lang)
    else:
        count = export_xlsx(engine, args.target, lang=args.lang)
    print(f"{args.target}: {count} entries")
    return 0


def add_register_parser(sub: Any) -> None:
    """Add ``register`` and its subcommands to the main parser's subparsers."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", help="database URL (default: $KLAGEFORMULAR_DB, else "
                                                    "sqlite:///klager.db in the current folder)")
    common.add_argument("--who", help="your name in the history (default: the login name)")
    register = sub.add_parser("register", help="the complaint register: deadlines, statuses, exports")
    commands = register.add_subparsers(dest="register_command", required=True)

    def add(name: str, func: Any, text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = commands.add_parser(name, help=text, parents=[common])
        p.set_defaults(func=_guarded(func))
        return p

    p = add("import", _import, "import a batch output folder's records")
    p.add_argument("outdir", metavar="OUTDIR")
    p.add_argument("--org-file", action="append", metavar="FILE",
                   help="a profile file (see 'org export') that replaces the built-in profile with its key; its "
                        "decision_working_days set each entry's decide-by date (repeatable: one per profile)")
    p = add("due", _due, "overdue, due today, due this week (exit 1 when something is overdue)")
    p.add_argument("--today", type=_day, metavar="YYYY-MM-DD", help="count from this day (default: today)")
    p.add_argument("--json", action="store_true")
    p = add("list", _list, "list entries")
    p.add_argument("--status", action="append", choices=list(TRANSITIONS), help="repeatable")
    p.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="received on or after")
    p.add_argument("--related", metavar="REF", help="only complaints related to REF")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p = add("show", _show, "one entry: complaint, review items, files, events, related complaints")
    p.add_argument("reference", metavar="REF")
    p.add_argument("--json", action="store_true")
    p = add("note", _note, "add a note to the history")
    p.add_argument("reference", metavar="REF")
    p.add_argument("text", metavar="TEXT")
    p = add("set", _set, "change the status (an impossible change is refused)")
    p.add_argument("reference", metavar="REF")
    p.add_argument("status", choices=list(TRANSITIONS), metavar="STATUS", help=", ".join(TRANSITIONS))
    p.add_argument("--note")
    p.add_argument("--on", type=_day, metavar="YYYY-MM-DD", help="the day it happened (default: today)")
    p.add_argument("--outcome", type=outcome_code, choices=OUTCOMES,
                   help=f"with decided: {', '.join(OUTCOMES)} ('rejected' is read as not_upheld)")
    p = add("export", _export, "write the register to .xlsx (or CSV)")
    p.add_argument("target", metavar="FILE")
    p.add_argument("--csv", action="store_true", help="CSV instead of xlsx (also chosen by a .csv name)")
    p.add_argument("--dialect", choices=CSV_DIALECTS, default="excel-da", help="CSV flavour (default: %(default)s)")
    p.add_argument("--lang", choices=EXPORT_LANGUAGES, default="da", help="header language (default: %(default)s)")
    from ._measures_cli import add_commands  # measure, categorize, report (issue 24 item 10)

    add_commands(add)


def letter(args: argparse.Namespace, *, org: Any, reasons: str | None, output: str) -> int:
    """``letter ack|decision REF``: write the letter for a register entry and record it (0 fine)."""
    def run(args: argparse.Namespace) -> int:
        from . import write_register_letter

        engine = _engine(args)
        try:
            done = write_register_letter(engine, args.ref, args.kind, output, dated=args.date or date.today(),
                                         who=_who(args), outcome=getattr(args, "outcome", None), reasons=reasons,
                                         eml=args.eml, org=org, admissibility=getattr(args, "admissibility", None),
                                         reason=getattr(args, "reason", None))
        finally:
            engine.dispose()  # a shared server's connection is closed, not left to the garbage collector
        w = done.written
        change = (f"{done.previous_status} → {done.status}" if done.status != done.previous_status
                  else f"status stays {done.status}")
        print(f"{w.path}: {w.size:,} bytes, PDF/A-2b, sha256 {w.sha256}" + (f"; message {w.eml}" if w.eml else "")
              + f"\n{done.reference}: letter recorded in the register ({change})")
        return 0
    return int(_guarded(run)(args))


def add_letter_options(parser: argparse.ArgumentParser) -> None:
    """``letter ack|decision REF [--db URL] [--who NAME]``."""
    parser.add_argument("ref", metavar="REF", nargs="?",
                        help="the complaint's reference in the register, e.g. KLA-2026-0001")
    parser.add_argument("--db", metavar="URL", help="register database (default: $KLAGEFORMULAR_DB, else "
                                                    "sqlite:///klager.db)")
    parser.add_argument("--who", help="your name in the register's history (default: the login name)")


def add_batch_options(parser: argparse.ArgumentParser) -> None:
    """``batch --register [--db URL]``."""
    parser.add_argument("--register", action="store_true", help="then import OUTDIR into the complaint register")
    parser.add_argument("--db", metavar="URL", help="register database (default: $KLAGEFORMULAR_DB, else "
                                                    "sqlite:///klager.db)")
    parser.set_defaults(who=None)
