"""``klageformular register …``, ``letter … REF`` and ``batch --register``: arguments → one call → print.

The commands hold no workflow rule: each parses its arguments, makes one call on the
:class:`~klageformular.register.Register` service in a transaction it opens, and prints the
typed result. ``--db`` and ``--who`` are declared once (:func:`database_options`), dates are
parsed by one type (:func:`day`).

The engine is made here, at the edge: ``--db URL``, else ``$KLAGEFORMULAR_DB``, else
``sqlite:///klager.db`` in the current folder. Exit codes: 0 fine, 1 an error (one line on
stderr) or, for ``due``, something is overdue; 2 usage errors.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ._cli_documents import add_document_commands  # documents (0006)
from ._names import CSV_DIALECTS, EXPORT_LANGUAGES, OUTCOMES, TRANSITIONS, outcome_code

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..letters import Admissibility, LetterKind, Outcome
    from ..org import Organisation
    from ._deadlines import Profile
    from ._outbox import Mailer, SentCopier
    from ._service import Register
    from ._types import DeadlineChange, DueStream, SendResult

__all__ = ["add_register_parser", "database_options", "day", "import_after_batch", "letter", "profile_map"]

_T = TypeVar("_T")


def day(text: str) -> date:
    """The one date option type of the command line (``--today``, ``--since``, ``--on``, ``--date`` …)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("use a date such as 2026-11-24") from None


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 366:
        raise argparse.ArgumentTypeError("use a number of days from 0 to 366")
    return value


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError("use a whole number above zero")
    return value


def database_options() -> argparse.ArgumentParser:
    """``--db URL`` and ``--who NAME``, declared once: a parent of every command that uses the register."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", help="register database URL (default: $KLAGEFORMULAR_DB, else "
                                                    "sqlite:///klager.db in the current folder)")
    common.add_argument("--who", help="your name in the register's history (default: the login name)")
    return common


def _register(db: str | None, org_files: Sequence[str] = ()) -> Register:
    from . import Register, create_register_engine, resolve_url

    return Register(create_register_engine(resolve_url(db, os.environ)), profiles=profile_map(org_files))


def profile_map(files: Sequence[str] | str | None) -> dict[str, Organisation]:
    """The profiles of ``--org-file`` options by key (one file or several)."""
    from ..orgfile import load_organisation

    paths = [files] if isinstance(files, str) else list(files or ())
    return {org.key: org for org in map(load_organisation, paths)}


def _who(who: str | None) -> str:
    return who or getpass.getuser()


def _guarded(func: Callable[[], int]) -> int:
    """Database failures as one line (never SQLAlchemy's text: it can quote the values of a statement)."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm.exc import StaleDataError

    try:
        return int(func())
    except StaleDataError:  # a writer that did not lock: the version check in the UPDATE caught it
        print("klageformular: the case was changed by someone else meanwhile; nothing done", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        reason = first if "[SQL" not in first and "parameters" not in first else ""
        print(f"klageformular: database error ({type(cause).__name__}){': ' + reason if reason else ''}",
              file=sys.stderr)
        return 1


def _command(func: Callable[[argparse.Namespace, Register], int], *,
             shortcut: Callable[[argparse.Namespace], int | None] | None = None) -> Callable[[argparse.Namespace], int]:
    """The command ``func`` on the register of ``--db``; ``shortcut`` may answer first without opening it (None: no)."""
    def run(args: argparse.Namespace) -> int:
        if shortcut is not None and (done := shortcut(args)) is not None:
            return done
        def call() -> int:
            register = _register(args.db, getattr(args, "org_file", None) or ())
            try:
                return func(args, register)
            finally:
                register.engine.dispose()  # a shared server's connection is closed, not left to the collector
        return _guarded(call)
    return run


def _profiles(org_files: Sequence[str]) -> list[Profile]:
    from ._deadlines import Profile

    return [Profile.from_file(f) for f in org_files]


def _print_deadlines(changes: Sequence[DeadlineChange]) -> None:
    for c in changes:
        print(f"  {c.reference}: profile {c.profile} {(c.profile_sha256 or '')[:12]}; acknowledge by "
              f"{c.acknowledge_by_before or '-'} → {c.acknowledge_by or '-'}; decide by {c.decide_by_before or '-'} → "
              f"{c.decide_by or '-'}")


_IMPORTED = ("register: {added} added ({unreadable} unreadable), {attached} attached to an earlier entry, "
             "{already} already there")


def _import_folder(register: Register, outdir: str, who: str, org_files: Sequence[str], *,
                   new_only: bool = False) -> int:
    from ._marks import ImportMarks

    # batch --register: the lines after the last import into this register (see _marks.py).
    # register import: every line; the marks are left at the whole lines there were before it
    # read, so the folder's next batch --register starts there instead of reading the whole folder
    # again (a line a batch added meanwhile is read again then, which adds nothing twice).
    marks = ImportMarks(Path(outdir), register.engine.url.render_as_string(hide_password=True))
    window = marks.window()
    done = register.import_folder(outdir, who=who, profiles=_profiles(org_files),
                                  window=window if new_only else None)
    summary = done.summary
    if not summary.stopped:
        try:
            marks.save(window)
        except OSError as exc:  # a read-only copy of a folder: imported all the same; the next one reads it all
            logging.getLogger("klageformular.register").warning(
                "the import marks cannot be written (%s); the next batch --register reads the whole folder",
                type(exc).__name__)
    print(_IMPORTED.format(added=summary.added, unreadable=summary.unreadable, attached=summary.attached,
                           already=summary.already)
          + (f"; {summary.threaded} repl(ies) threaded to their case, {summary.linked} bounce(s) or auto-repl(ies) "
             f"linked to our letters, {summary.set_aside} left set aside"
             if summary.threaded or summary.linked or summary.set_aside else "")
          + (f"; {summary.erased} of erased cases not brought back" if summary.erased else ""))
    for reference in summary.references:
        print(f"  {reference}")
    recounted = [c for c in done.deadlines if c.reference not in summary.references]
    if recounted:
        print(f"register: deadlines of {len(recounted)} open case(s) recounted under the profile file(s)")
        _print_deadlines(recounted)
    return 0


def _import(args: argparse.Namespace, register: Register) -> int:
    return _import_folder(register, args.outdir, _who(args.who), args.org_file or ())


def import_after_batch(*, db: str | None, outdir: str, who: str | None, org_files: Sequence[str]) -> int:
    """For ``batch --register``: import the records the batch just wrote (0 fine, 1 failed).

    Only the lines added since this folder's last import into this register are read (the run's
    own, and any an earlier failed import left), so a re-run costs only what is new."""
    if _nothing_to_import(db, outdir, org_files):
        print(_IMPORTED.format(added=0, unreadable=0, attached=0, already=0))
        return 0

    def call() -> int:
        register = _register(db)
        try:
            return _import_folder(register, outdir, _who(who), org_files, new_only=True)
        finally:
            register.engine.dispose()
    return _guarded(call)


def _nothing_to_import(db: str | None, outdir: str, org_files: Sequence[str]) -> bool:
    """``batch --register`` with no line after this register's import marks: nothing to read or do.

    Settled without opening the register (no SQLAlchemy: issue 25, a command with nothing to do),
    for a plain SQLite file at the newest revision only (see :mod:`._probe`); a profile file
    recounts open cases even when no line is new, so with one the import runs.
    """
    if org_files:
        return False
    from ._marks import ImportMarks, register_key
    from ._probe import probe, resolve_url

    url = resolve_url(db, os.environ)
    state = probe(url)
    if state is None or not state.current or (key := register_key(url)) is None:
        return False
    window = ImportMarks(Path(outdir), key).window()
    return any(end for _, end in window.values()) and all(start == end for start, end in window.values())


def _due(args: argparse.Namespace, register: Register) -> int:
    with register.reading() as session:  # printed as read: the rows stay in the database until then
        return _print_due(args, register.due_stream(session, args.today or date.today(), days=args.days))


def _nothing_due(args: argparse.Namespace) -> int | None:
    """``due`` on a SQLite register with no open case and no failed letter: its empty list, without SQLAlchemy.

    The daily cron job of a register with nothing open (a new one, or a quiet month) then costs a
    tenth of a second instead of half a second (issue 25: a command with nothing to do). The
    probe answers only when the full path would list and count nothing (see :mod:`._probe`).
    """
    from ._probe import probe, resolve_url

    state = probe(resolve_url(args.db, os.environ))
    if state is None or not state.nothing_due:
        return None
    from ._types import DueStream

    return _print_due(args, DueStream(today=args.today or date.today(), days=args.days, waiting=0,
                                      no_decision_date=0, open_review=0, unassigned=0, items=iter(()),
                                      not_delivered=[]))


_DUE_PARTS = ("overdue", "due_today", "upcoming")


def _print_due(args: argparse.Namespace, due: DueStream) -> int:
    """Print the due list as its rows come (text lines, or one JSON object written in pieces): the
    same bytes as printing the whole :class:`DueList`, in the memory of one row."""
    write = sys.stdout.write
    counted = dict.fromkeys(_DUE_PARTS, 0)
    if args.json:
        dumps = partial(json.dumps, ensure_ascii=False)
        write(f'{{"today": {dumps(due.today.isoformat())}, "days": {dumps(due.days)}')
        opened: list[str] = []  # the parts whose list is open or written: they come in _DUE_PARTS' order

        def open_up_to(part: str) -> None:  # close the list before, open the next (empty ones too)
            while part not in opened:
                name = _DUE_PARTS[len(opened)]
                write(("]" if opened else "") + f", {dumps(name)}: [")
                opened.append(name)

        for item in due.items:
            here = due.bucket(item)
            open_up_to(here)
            write((", " if counted[here] else "") + dumps(item.to_dict()))
            counted[here] += 1
        open_up_to(_DUE_PARTS[-1])
        counts = {"waiting": due.waiting, "no_decision_date": due.no_decision_date, "open_review": due.open_review,
                  "unassigned": due.unassigned, "not_delivered": [i.to_dict() for i in due.not_delivered]}
        write("]" + "".join(f", {dumps(key)}: {dumps(value)}" for key, value in counts.items()) + "}\n")
    else:  # plain lines: a cron job mails them, a terminal shows them, grep finds them
        names = {"overdue": "overdue", "due_today": "due today", "upcoming": f"next {due.days} days"}
        write(f"Deadlines on {due.today.isoformat()}\n")
        for item in due.items:
            here = due.bucket(item)
            counted[here] += 1
            write(f"{names[here]:<13} {item.reference:<17} {item.status:<12} {item.action} by "
                  f"{item.deadline.isoformat()} (received {item.received.isoformat()})"
                  + (f" · {item.assignee}" if item.assignee else "") + (f" · {item.note}" if item.note else "") + "\n")
        for item in due.not_delivered:
            write(f"{'not delivered':<13} {item.reference:<17} {item.status:<12} {item.note}\n")
        write(f"{counted['overdue']} overdue, {counted['due_today']} due today, {counted['upcoming']} due in the "
              f"next {due.days} days; {due.waiting} waiting for the customer, {due.no_decision_date} "
              f"without a decision date; {due.open_review} open review item(s), {due.unassigned} "
              f"unassigned case(s)\n")
    return 1 if counted["overdue"] or due.not_delivered else 0


def _profile(args: argparse.Namespace, register: Register) -> int:
    (profile,) = _profiles([args.org_file])
    with register.session() as session, session.begin():
        if args.all_open:
            changes = register.set_profile_open(session, profile, who=_who(args.who))
        else:
            change = register.set_profile(session, args.reference, profile, who=_who(args.who),
                                          version=args.if_version)
            changes = [change] if change else []
    print(f"profile {profile.org.key} (sha256 {profile.sha256[:12]}): {len(changes)} case(s) changed")
    _print_deadlines(changes)
    return 0


def _one_change(register: Register, call: Callable[[Session], _T], say: Callable[[_T], str]) -> int:
    """One change to a case in a transaction of its own, then one line saying what it did."""
    with register.session() as session, session.begin():
        done = call(session)
    print(say(done))
    return 0


def _extend(args: argparse.Namespace, register: Register) -> int:
    return _one_change(register, lambda s: register.extend(s, args.reference, args.to, reason=args.reason,
                                                           who=_who(args.who), version=args.if_version),
                       lambda c: f"{c.reference}: decide by {c.decide_by_before or '-'} → {c.decide_by} (the next "
                                 f"letter says so)")


def _wait(args: argparse.Namespace, register: Register) -> int:
    return _one_change(register, lambda s: register.wait(s, args.reference, what=args.what, who=_who(args.who),
                                                         on=args.on, version=args.if_version),
                       lambda c: f"{c.reference}: decision clock paused from {c.waiting_since} (decide by "
                                 f"{c.decide_by} moves when it resumes)")


def _resume(args: argparse.Namespace, register: Register) -> int:
    return _one_change(register, lambda s: register.resume(s, args.reference, who=_who(args.who), on=args.on,
                                                           version=args.if_version),
                       lambda c: f"{c.reference}: clock running again, {c.paused_days} working day(s) paused; "
                                 f"decide by {c.decide_by_before or '-'} → {c.decide_by or '-'}")


#: The decision clock's commands, each on one case (REF): name, handler, help, and the options after REF
#: as ``add_argument``'s flag and keywords.
_CLOCK_COMMANDS: tuple[tuple[str, Callable[[argparse.Namespace, Register], int], str,
                             tuple[tuple[str, dict[str, Any]], ...]], ...] = (
    ("extend", _extend, "a new decision date with reasons (art. 5; the next letter gives it)",
     (("--to", {"required": True, "type": day, "metavar": "YYYY-MM-DD"}),
      ("--reason", {"required": True, "help": "why more time is needed (the customer reads it)"}))),
    ("wait", _wait, "pause the decision clock while the customer is asked for information (art. 4)",
     (("--for", {"dest": "what", "required": True, "metavar": "TEXT", "help": "what the customer is asked for"}),
      ("--on", {"type": day, "metavar": "YYYY-MM-DD", "help": "the day they were asked (default: today)"}))),
    ("resume", _resume, "restart the paused decision clock (the paused working days move decide-by)",
     (("--on", {"type": day, "metavar": "YYYY-MM-DD", "help": "the day the answer came (default: today)"}),)),
)


def _list(args: argparse.Namespace, register: Register) -> int:
    with register.reading() as session:
        if args.json:  # every key, null or not: a stable shape for scripts
            write = sys.stdout.write
            for line in register.case_lines(session, status=args.status or (), since=args.since,
                                            related_to=args.related):
                write(line + "\n")
            return 0
        for case in register.cases(session, status=args.status or (), since=args.since, related_to=args.related):
            print(f"{case.reference:<16} {case.status:<13} {case.received}  ack by "
                  f"{case.acknowledge_by or '-'!s:<10}  {case.language or '-':<2}  {(case.subject or '')[:60]}")
    return 0


def _show(args: argparse.Namespace, register: Register) -> int:
    from ._present import render_case

    with register.reading() as session:
        case = register.case(session, args.reference)
    print(case.to_json() if args.json else render_case(case))
    return 0


def _review(args: argparse.Namespace, register: Register) -> int:
    with register.reading() as session:
        for item in register.review(session):
            if args.json:
                print(item.to_json(indent=None))
            else:
                print(f"{item.reference:<17} {item.path:<28} {item.label or '-':<24} {item.value!r:<30} {item.code}")
    return 0


def _note(args: argparse.Namespace, register: Register) -> int:
    with register.session() as session, session.begin():
        register.add_note(session, args.reference, args.text, who=_who(args.who))
    return 0


def _set(args: argparse.Namespace, register: Register) -> int:
    with register.session() as session, session.begin():
        change = register.set_status(session, args.reference, args.status, who=_who(args.who), note=args.note,
                                     on=args.on, outcome=args.outcome, not_a_complaint=args.not_a_complaint,
                                     version=args.if_version)
    print(f"{change.reference}: {change.previous} → {change.status}")
    return 0


def _assign(args: argparse.Namespace, register: Register) -> int:
    with register.session() as session, session.begin():
        case = register.assign(session, args.reference, args.name, who=_who(args.who), version=args.if_version)
    print(f"{case.reference}: assigned to {case.assignee or 'nobody'}")
    return 0


def _correct(args: argparse.Namespace, register: Register) -> int:
    with register.session() as session, session.begin():
        done = register.correct(session, args.reference, args.field, args.value, who=_who(args.who), note=args.note,
                                version=args.if_version)
    print(f"{args.reference.strip().upper()}: {done.path} {done.before!r} → {done.after!r}"
          + (f" ({done.code} resolved)" if done.code else ""))
    return 0


def _key(args: argparse.Namespace, register: Register) -> int:
    with register.session() as session, session.begin():
        done = register.key(session, args.reference, args.field, args.value, who=_who(args.who), note=args.note,
                            version=args.if_version)
    print(f"{args.reference.strip().upper()}: {done.path} keyed from the scan → {done.after!r}")
    return 0


def _merge(args: argparse.Namespace, register: Register) -> int:
    with register.session() as session, session.begin():
        case = register.merge(session, args.reference, into=args.into, who=_who(args.who), note=args.note)
    print(f"{args.reference.strip().upper()} merged into {case.reference} ({len(case.files)} file(s), "
          f"{len(case.documents)} document(s))")
    return 0


def _export(args: argparse.Namespace, register: Register) -> int:
    from . import export_csv, export_xlsx

    if args.csv or Path(args.target).suffix.lower() == ".csv":
        count = export_csv(register.engine, args.target, dialect=args.dialect, lang=args.lang)
    else:
        count = export_xlsx(register.engine, args.target, lang=args.lang)
    print(f"{args.target}: {count} entries")
    return 0


def _runs(args: argparse.Namespace, register: Register) -> int:
    with register.reading() as session:
        runs = register.runs(session, limit=args.limit)
    for run in runs:
        if args.json:
            print(run.model_dump_json())
            continue
        outcome = f"failed ({run.error})" if run.failed else "stopped early" if run.stopped_early else "done"
        print(f"{run.id:>6}  {run.started:%Y-%m-%d %H:%M:%S}  {(run.finished - run.started).total_seconds():>7.1f} s  "
              f"read {run.read:>4}  imported {run.imported:>4}  unreadable {run.unreadable:>3}  "
              f"duplicates {run.duplicates:>3}  set aside {run.set_aside:>3}  sent {run.sent:>3}  "
              f"not sent {run.send_failed:>3}  waiting {run.waiting_for_review:>3}  {outcome}")
    return 0


def add_register_parser(sub: Any) -> None:
    """Add ``register`` and its subcommands to the main parser's subparsers."""
    common = database_options()
    register = sub.add_parser("register", help="the complaint register: deadlines, statuses, exports")
    commands = register.add_subparsers(dest="register_command", required=True)

    def add(name: str, func: Callable[[argparse.Namespace, Register], int], text: str, *,
            shortcut: Callable[[argparse.Namespace], int | None] | None = None) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = commands.add_parser(name, help=text, parents=[common])
        p.set_defaults(func=_command(func, shortcut=shortcut))
        if name in ("set", "assign", "correct", "key", "profile", "extend", "wait", "resume", "measure", "categorize",
                    "posted"):
            p.add_argument("--if-version", type=int, metavar="N",
                           help="only if the case is still at version N (as 'show' printed it): else refused with "
                                "who changed it and when")
        if name in ("list", "show", "assign", "correct", "key", "merge", "extend", "wait", "resume"):
            # import, profile, measure, categorize and report declare their own (with their own help)
            p.add_argument("--org-file", action="append", metavar="FILE",
                           help="a profile file for cases handled under its key when it is not built in "
                                "(repeatable: one per profile)")
        return p

    p = add("import", _import, "import a batch output folder's records")
    p.add_argument("outdir", metavar="OUTDIR")
    p.add_argument("--org-file", action="append", metavar="FILE",
                   help="a profile file (see 'org export') that replaces the built-in profile with its key; its "
                        "decision_working_days set each entry's decide-by date (repeatable: one per profile)")
    p = add("due", _due, "overdue, due today, due in the next days; open review items and unassigned cases "
                         "(exit 1 when something is overdue)", shortcut=_nothing_due)
    p.add_argument("--today", type=day, metavar="YYYY-MM-DD", help="count from this day (default: today)")
    p.add_argument("--days", type=_days, default=7, metavar="N",
                   help="how many days after today to show, across weekends (default: %(default)s)")
    p.add_argument("--json", action="store_true")
    p = add("profile", _profile, "handle a case (or every open case of the file's profile) under a profile file: "
                                 "its open deadlines are recounted")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("reference", metavar="REF", nargs="?")
    target.add_argument("--all-open", action="store_true", help="every open case with the profile's key")
    p.add_argument("--org-file", required=True, metavar="FILE", help="the profile file (see 'org export')")
    for name, func, text, options in _CLOCK_COMMANDS:
        p = add(name, func, text)
        p.add_argument("reference", metavar="REF")
        for flag, keywords in options:
            p.add_argument(flag, **keywords)
    p = add("list", _list, "list entries")
    p.add_argument("--status", action="append", choices=list(TRANSITIONS), help="repeatable")
    p.add_argument("--since", type=day, metavar="YYYY-MM-DD", help="received on or after")
    p.add_argument("--related", metavar="REF", help="only complaints related to REF")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p = add("show", _show, "one case: its sections, values as typed, documents, sender, events, related cases")
    p.add_argument("reference", metavar="REF")
    p.add_argument("--json", action="store_true", help="the case as JSON (keys without a value left out)")
    p = add("review", _review, "open review items: reference, field, label, value as typed, code")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p = add("note", _note, "add a note to the history")
    p.add_argument("reference", metavar="REF")
    p.add_argument("text", metavar="TEXT")
    p = add("set", _set, "change the status (an impossible change is refused)")
    p.add_argument("reference", metavar="REF")
    p.add_argument("status", choices=list(TRANSITIONS), metavar="STATUS", help=", ".join(TRANSITIONS))
    p.add_argument("--note")
    p.add_argument("--on", type=day, metavar="YYYY-MM-DD", help="the day it happened (default: today)")
    p.add_argument("--outcome", type=outcome_code, choices=OUTCOMES,
                   help=f"with decided: {', '.join(OUTCOMES)} ('rejected' is read as not_upheld)")
    p.add_argument("--not-a-complaint", action="store_true",
                   help="with closed, from received or unreadable: not a complaint (needs --note; counted apart)")
    p = add("assign", _assign, "give the case to an officer (an empty NAME: to nobody)")
    p.add_argument("reference", metavar="REF")
    p.add_argument("name", metavar="NAME")
    p = add("correct", _correct, "correct one value (checked like the form; the value as typed stays on record)")
    p.add_argument("reference", metavar="REF")
    p.add_argument("field", metavar="FIELD", help="its dotted path, e.g. complainant.email (see 'fields')")
    p.add_argument("value", metavar="VALUE")
    p.add_argument("--note", required=True, help="why (the customer's mail, a call)")
    p = add("key", _key, "key a handwritten value from a scanned form's crop (checked like 'correct')")
    p.add_argument("reference", metavar="REF")
    p.add_argument("field", metavar="FIELD", help="its dotted path, e.g. complainant.last_name")
    p.add_argument("value", metavar="VALUE")
    p.add_argument("--note", help="anything to add to 'keyed from the scan'")
    p = add("merge", _merge, "merge a case into another (files and documents move; REF stays as a pointer)")
    p.add_argument("reference", metavar="REF")
    p.add_argument("--into", required=True, metavar="REF2")
    p.add_argument("--note")
    p = add("export", _export, "write the register to .xlsx (or CSV)")
    p.add_argument("target", metavar="FILE")
    p.add_argument("--csv", action="store_true", help="CSV instead of xlsx (also chosen by a .csv name)")
    p.add_argument("--dialect", choices=CSV_DIALECTS, default="excel-da", help="CSV flavour (default: %(default)s)")
    p.add_argument("--lang", choices=EXPORT_LANGUAGES, default="da", help="header language (default: %(default)s)")
    p = add("runs", _runs, "the watch's runs, newest first: what each read and imported (UTC; counts only)")
    p.add_argument("--limit", type=_limit, default=20, metavar="N", help="how many (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    add_document_commands(add, commands, _guarded)  # documents (0006): register open, register copy
    from ._measures_cli import add_commands  # measure, categorize, report (issue 24 item 10)

    add_commands(add)
    add_outbox_commands(add)  # the outbox (0009): register outbox, register posted
    from ._retention_cli import add_commands as add_retention_commands

    add_retention_commands(add)  # retention (0015): purge, hold, release, erase, subject-access


def _mail_servers(org: Organisation | None, *, smtp: bool = True) -> tuple[Mailer | None, SentCopier | None]:
    """The SMTP server and Sent folder the environment (else the profile file) names; passwords asked for here."""
    from ..sentfolder import sent_folder_from_environment
    from ..smtp import smtp_from_environment

    mailer = smtp_from_environment(os.environ, org=org) if smtp else None
    return mailer, sent_folder_from_environment(os.environ, org=org)


def _print_send(result: SendResult) -> int:
    """One send's outcome: a line on stdout when it went, on stderr when not (exit 1)."""
    out = result.outgoing
    if result.result == "sent":
        change = (f"{result.previous_status} → {result.status}" if result.status != result.previous_status
                  else f"status stays {result.status}")
        print(f"{out.reference}: {out.kind} letter sent by email, {out.message_id} ({out.last_reply}); {change}")
    elif result.result == "deferred":
        print(f"klageformular: {out.reference}: not sent yet: {result.reason}; it stays queued (attempt "
              f"{out.attempts}; register outbox --retry sends it)", file=sys.stderr)
    elif result.result == "failed":
        print(f"klageformular: {out.reference}: refused for good: {result.reason}; send it on paper (letter "
              f"{out.kind} {out.reference} --post --copy) or to another address", file=sys.stderr)
    elif result.result == "skipped":
        print(f"{out.reference}: {out.kind} letter {out.message_id or ''} is {out.state}: nothing sent")
    if result.sent_copy == "pending":
        print(f"{out.reference}: no copy in the Sent folder yet ({result.copy_reason}); register outbox --retry "
              f"makes it", file=sys.stderr)
    elif result.sent_copy in ("copied", "already there"):
        print(f"{out.reference}: copy in the Sent folder ({result.sent_copy})")
    return 0 if result.result in ("sent", "skipped", "copy") else 1


def letter(*, db: str | None, who: str | None, reference: str, kind: LetterKind, output: str | None, dated: date,
           outcome: Outcome | None, reasons: str | None, eml: str | None, org: Organisation | None,
           admissibility: Admissibility | None, reason: str | None, copy: bool, send: bool = False,
           post: bool = False) -> int:
    """``letter ack|decision REF [--send | --post]``: write the letter, record it, queue it (and send it) (0 fine)."""
    from ..exceptions import ConfigurationError

    mailer = copier = None
    if send:  # settings and passwords before anything is recorded: a typo costs nothing
        mailer, copier = _mail_servers(org)
        if mailer is None:
            raise ConfigurationError("--send needs an SMTP server: set KLAGEFORMULAR_SMTP_URL (smtps://user@host) "
                                     "or smtp_url under [mail] in the profile file (--org-file)")

    def call() -> int:
        register = _register(db)
        result: SendResult | None = None
        try:
            if mailer is not None:
                done, result = register.send_letter(reference, kind, dated=dated, who=_who(who), mailer=mailer,
                                                    copier=copier, output=output, eml=eml, outcome=outcome,
                                                    reasons=reasons, org=org, admissibility=admissibility,
                                                    reason=reason, copy=copy)
            else:
                with register.session() as session, session.begin():
                    done = register.write_letter(session, reference, kind, output, dated=dated, who=_who(who),
                                                 outcome=outcome, reasons=reasons, eml=eml, org=org,
                                                 admissibility=admissibility, reason=reason, copy=copy,
                                                 channel="post" if post else None)
        finally:
            register.engine.dispose()
        w, out = done.written, done.outgoing
        print(f"{w.path}: {w.size:,} bytes, PDF/A-2b, sha256 {w.sha256}" + (f"; message {w.eml}" if w.eml else ""))
        if result is not None:
            return _print_send(result)
        if out is not None and out.channel == "post":
            print(f"{done.reference}: letter recorded for the post; when it is posted: register posted "
                  f"{done.reference} (status stays {done.status} until then)")
        else:
            print(f"{done.reference}: letter recorded and queued by email, {out.message_id if out else ''}; "
                  f"register outbox --retry (or letter … --send) sends it (status stays {done.status} until then)")
        return 0
    return _guarded(call)


def _outbox(args: argparse.Namespace, register: Register) -> int:
    from ..orgfile import load_organisation

    org = load_organisation(args.org_file) if args.org_file else None
    if args.retry:
        mailer, copier = _mail_servers(org)
        results = register.retry(mailer=mailer, copier=copier, who=_who(args.who))
        status = max((_print_send(r) for r in results), default=0)
        if mailer is None:
            print("klageformular: no SMTP server set (KLAGEFORMULAR_SMTP_URL): queued letters stay queued",
                  file=sys.stderr)
            status = 1
        with register.reading() as session:
            left = sum(1 for o in register.outbox(session, states=("queued",)) if o.state == "queued")
        print(f"outbox: {sum(r.result == 'sent' for r in results)} sent, {left} still queued")
        return status
    with register.reading() as session:
        for o in register.outbox(session):
            if args.json:
                print(o.to_json(indent=None))
                continue
            what = {"queued": f"queued, {o.attempts} attempt(s)", "failed": "refused: send on paper or to another "
                    "address", "to_post": "to post (register posted REF when posted)",
                    "sent": "sent; its copy in the Sent folder is pending"}.get(o.state, o.state)
            print(f"{o.reference:<17} {o.kind:<8} {o.channel:<5} {o.queued_at:%Y-%m-%d %H:%M}  {what}"
                  + (f" · {o.last_reply}" if o.state in ("queued", "failed") and o.last_reply else "")
                  + (f" · {o.copy_reply}" if o.state == "sent" and o.copy_reply else ""))
    return 0


def _posted(args: argparse.Namespace, register: Register) -> int:
    with register.session() as session, session.begin():
        out = register.posted(session, args.reference, who=_who(args.who), on=args.on, kind=args.kind,
                              version=args.if_version)
        status = register.case(session, out.reference).status
    print(f"{out.reference}: {out.kind} letter posted; the case is {status}")
    return 0


def add_outbox_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    """``register outbox [--retry]`` and ``register posted REF``."""
    p = add("outbox", _outbox, "letters queued, refused or to post; --retry sends the queued ones again")
    p.add_argument("--retry", action="store_true",
                   help="send every queued letter (the same message, the same Message-ID) and make pending copies "
                        "in the Sent folder")
    p.add_argument("--org-file", metavar="FILE", help="a profile file whose [mail] table names the servers")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p = add("posted", _posted, "a paper letter went in the post: it counts as given that day")
    p.add_argument("reference", metavar="REF")
    p.add_argument("--on", type=day, metavar="YYYY-MM-DD", help="the day it was posted (default: today)")
    p.add_argument("--kind", choices=("ack", "decision"), help="which letter, when both wait")
