"""The klageformular command line: a thin layer over the public API.

Exit codes: 0 success (every file was read; complaints that need review included), 1 a file
could not be rendered or read, 2 usage errors (a record or case under a profile that is not built
in, given without its ``--org-file``, included), 3 the output cannot be written (permissions).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from . import __version__
from ._cli_args import IMAP_PASSWORD_ENV, ORGANISATION_KEYS
from ._cli_args import file_profile as _profile
from ._cli_args import mail_options as _mail_options
from ._files import DISK_FULL, one_line, write_private
from ._watch_cli import add_watch_parser  # argparse only; the watch loads on use
from .exceptions import ConfigurationError, KlageformularError, OutputError, UnknownProfileError
from .locales import LANGUAGES
from .register import _cli as register_cli  # the parser's options only; SQLAlchemy loads on use
from .register._names import OUTCOMES, outcome_code
from .web._cli import add_web_parsers  # argparse only; FastAPI and the accounts load on use

# A command imports what it needs when it runs: `parse` never pays for reportlab, holidays, rich,
# SQLAlchemy or the mail stack (issue 19: cold start; benchmarks/cold_start.py measures it), and
# building the parser loads no pydantic model (the profiles' keys are ORGANISATION_KEYS, lazy).
if TYPE_CHECKING:
    from ._entry import Received
    from .batch import FileOutcome
    from .org import Organisation
    from .parse import ParseResult
    from .records import Record

__all__ = ["main"]

Command = Callable[[argparse.Namespace], int]


def _render(args: argparse.Namespace) -> int:
    from .render import render_all, render_form

    if args.all:
        if args.prefill:
            print("klageformular: --all renders blank forms; --prefill is for one form", file=sys.stderr)
            return 2
        manifest = render_all(args.output)
        for entry in manifest["files"]:
            print(f"{Path(args.output) / entry['file']}: {entry['bytes']:,} bytes, sha256 {entry['sha256'][:12]}")
        return 0
    prefill: Any = None
    if args.prefill:
        try:
            prefill = json.loads(Path(args.prefill).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"klageformular: {args.prefill}: cannot read prefill JSON: {exc}", file=sys.stderr)
            return 1
    data = render_form(args.lang, prefill=prefill, org=_profile(args) or args.org)
    target = Path(args.output)
    if target.is_dir():
        print(f"klageformular: {args.output}: is a directory (give a file name, or use --all)", file=sys.stderr)
        return 1
    if not target.parent.is_dir():
        print(f"klageformular: {args.output}: folder {target.parent} not found", file=sys.stderr)
        return 1
    try:
        if prefill is None:
            target.write_bytes(data)  # a blank form is for publishing
        else:
            write_private(target, data)  # a pre-filled one holds a customer's data
    except OSError as exc:
        print(f"klageformular: {args.output}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 1
    from .layout import LAYOUT

    print(f"{args.output}: {len(data):,} bytes, {LAYOUT.page_count} pages, {len(LAYOUT.fields)} fields")
    return 0


def _fields(args: argparse.Namespace) -> int:
    from .locales import Texts, field_table

    rows = field_table(Texts.of(args.lang))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        extra = "required" if r["required"] else ""
        size = f"max {r['max_length']}" if r["max_length"] else ""
        choices = "|".join(o["export"] for o in r["options"])
        print(f"{r['page']}  {r['name']:<40} {r['kind']:<9} {size:<9} {extra:<8} {r['label']}"
              + (f"  [{choices}]" if choices else ""))
    return 0


def _schema(args: argparse.Namespace) -> int:
    from .model import Complaint

    print(json.dumps(Complaint.model_json_schema(), ensure_ascii=False, indent=2))
    return 0


def _summary(result: ParseResult) -> str:
    """A readable summary for the officer: method, language, status, review items, warnings."""
    state = "complete" if result.valid else f"NEEDS REVIEW ({len(result.review)} field(s))"
    lines = [f"{result.source or '-'}: {state} · read from {result.method} · language {result.language or '?'} · "
             f"form {result.form_version or '?'} · {result.page_count} page(s) · sha256 {result.sha256[:12]}"]
    lines += [f"  review  {r.label} ({r.path}, {r.code}): {r.message_local} / {r.message}"
              + (f" — typed: {r.value!r}" if r.value is not None else "") for r in result.review]
    lines += [f"  warning {w.path or '-'}: {w.message}" for w in result.warnings]
    return "\n".join(lines)


def _parse(args: argparse.Namespace) -> int:
    from .parse import parse_image, parse_pdf
    from .scan._raster import image_kind

    status = 0
    profile = _profile(args)
    for name in args.files:
        path = Path(name)
        problem = ("file not found" if not path.exists() else "is a directory" if path.is_dir() else None)
        if problem:
            print(one_line(f"{name}: {problem}"), file=sys.stderr)
            status = 1
            continue
        try:
            # A photo or a scanner's image file of the form is read as a scan (by its bytes, not its name).
            with path.open("rb") as head:
                is_image = image_kind(head.read(8)) is not None
            result = (parse_image if is_image else parse_pdf)(path, org=profile)
        except OSError as exc:
            print(one_line(f"{name}: cannot read the file: {exc.strerror or type(exc).__name__}"), file=sys.stderr)
            status = 1
            continue
        except KlageformularError as exc:
            print(one_line(f"{name}: {type(exc).__name__}: {exc}"), file=sys.stderr)
            status = 1
            continue
        if not result.valid:
            fields = ", ".join(f"{r.path} ({r.code})" for r in result.review)
            print(one_line(f"{name}: needs review: {fields}"), file=sys.stderr)
        print(result.to_json() if args.json else _summary(result))
    return status


def _positive_int(text: str) -> int:
    return int(_positive(text, int, "a whole number"))


def _positive_seconds(text: str) -> float:
    return float(_positive(text, float, "a number of seconds"))


def _positive(text: str, kind: type[int] | type[float], what: str) -> float:
    """A command-line number above zero, or a usage error (exit 2) that says what was expected."""
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be {what} above zero")
    return value


def _received(text: str) -> Received:
    if text in ("mtime", "today"):
        return cast("Received", text)
    try:
        return register_cli.day(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError("use mtime, today or a date such as 2026-11-24") from None


def _batch(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    from ._limits import Limits
    from .batch import convert_folder

    out, err = Console(), Console(stderr=True)
    progress = Progress(TextColumn("[bold]Converting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=err, disable=args.quiet or not err.is_terminal, transient=True)
    bar = progress.add_task("files", total=None)
    unreadable: list[FileOutcome] = []
    review: list[FileOutcome] = []

    def on_file(outcome: FileOutcome) -> None:
        progress.advance(bar)
        if outcome.outcome == "unreadable":
            unreadable.append(outcome)
        elif outcome.outcome == "needs_review":
            review.append(outcome)

    mail = _mail_options(args)
    with progress:
        # The in-process deadline stays below the kill, so a slow file ends with a clean reason.
        limits = Limits(timeout_seconds=args.timeout, worker_memory_mb=args.memory_mb,
                        max_seconds=min(Limits.max_seconds, args.timeout * 2 / 3))
        summary = convert_folder(args.inbox, args.output, workers=args.workers, limits=limits,
                                 received=args.received, write_csv_file=args.csv,
                                 org=_profile(args) or (_built_in(args.org) if args.org else None),
                                 on_start=lambda n: progress.update(bar, total=n), on_file=on_file, mail=mail)
    # The officer's to-do list: one line per file, the reason, never the content.
    for outcome in review:
        print(one_line(f"{outcome.source}: needs review: {outcome.message}"), file=sys.stderr)
    for outcome in unreadable:
        print(one_line(f"{outcome.source}: unreadable ({outcome.reason}): {outcome.message}"), file=sys.stderr)
    table = Table(title="klageformular batch", caption=f"records in {summary.outdir}", show_header=False)
    for name, value in [("inputs", summary.inputs), ("complete", summary.complete),
                        ("needs review", summary.needs_review), ("unreadable", summary.unreadable),
                        *((f"  {reason}", n) for reason, n in sorted(summary.unreadable_by_reason.items())),
                        ("duplicates", summary.duplicates),
                        *((f"  {kind}", n) for kind, n in sorted(summary.duplicates_by_kind.items())),
                        ("already done", summary.skipped_already_done),
                        *_mail_rows(summary.set_aside, summary.mail),
                        ("seconds", summary.seconds), ("files/s", summary.files_per_second)]:
        table.add_row(name, str(value))
    out.print(table)
    status = 1 if summary.unreadable else 0
    if args.register:  # the register, not a JSONL file, is the one list of everything received
        files = [args.org_file] if args.org_file else []
        status = max(status, register_cli.import_after_batch(db=args.db, outdir=args.output, who=args.who,
                                                             org_files=files))
    return status


def _mail_rows(set_aside: int, mail: dict[str, Any] | None) -> list[tuple[str, Any]]:
    if not mail or not mail["messages"]:
        return []
    return [("set aside", set_aside), ("messages", mail["messages"]), ("  with a form", mail["with_form"]),
            ("  plain email", mail["email_complaints"]), ("  set aside", mail["set_aside"]),
            ("  duplicates", mail["duplicates"]), ("  already done", mail["already_done"]),
            ("  unreadable", mail["unreadable"]), ("attachments", mail["attachments"])]


def _add_org_file(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--org-file", metavar="FILE", default=None,
                   help=f"organisation profile from a TOML or JSON file (see `org export`); {what}")


def _built_in(key: str) -> Organisation:
    from .org import get_organisation

    return get_organisation(key)


def _org(args: argparse.Namespace) -> int:
    from .orgfile import dumps_organisation, load_organisation

    org = load_organisation(args.org_file) if args.org_file else _built_in(args.key or ORGANISATION_KEYS[0])
    print(dumps_organisation(org, args.format), end="")
    return 0


def _read_record(path: str) -> Record:
    """One complaints.jsonl record: a JSON object, or a JSON Lines file holding exactly one."""

    from .records import Record

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: cannot read the record: {exc}") from None
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        record = json.loads(text) if len(lines) != 1 else json.loads(lines[0])
    except ValueError:
        hint = f" ({len(lines)} lines: pass a file with one record)" if len(lines) > 1 else ""
        raise ConfigurationError(f"{path}: not a JSON record{hint}") from None
    if not isinstance(record, dict):
        raise ConfigurationError(f"{path}: a record is a JSON object")
    try:
        return Record.coerce(record, error=ConfigurationError)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{path}: {exc}") from None


def _letter(args: argparse.Namespace) -> int:
    from .letters import letter_case_from_record, write_letter

    if bool(args.ref) == bool(args.record):
        print("klageformular: give a register reference (letter ack KLA-2026-0001) or --record FILE with "
              "--reference", file=sys.stderr)
        return 2
    reasons = None
    if args.kind == "decision":
        try:
            reasons = Path(args.reasons).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"{args.reasons}: cannot read the reasons: {exc}") from None
    if args.ref:  # the register's entry: the letter is recorded as an event there
        output = args.output or f"{args.ref.strip().upper()}-{args.kind}.pdf"
        return register_cli.letter(db=args.db, who=args.who, reference=args.ref, kind=args.kind, output=output,
                                   dated=args.date or date.today(), outcome=getattr(args, "outcome", None),
                                   reasons=reasons, eml=args.eml, org=_profile(args),
                                   admissibility=getattr(args, "admissibility", None),
                                   reason=getattr(args, "reason", None), copy=args.copy, send=args.send,
                                   post=args.post)
    if args.send or args.post:
        print("klageformular: --send and --post need a register reference (letter ack KLA-2026-0001 --send)",
              file=sys.stderr)
        return 2
    if not args.reference:
        print("klageformular: --record needs --reference (the complaint's reference)", file=sys.stderr)
        return 2
    record = _read_record(args.record)
    case = letter_case_from_record(record, reference=args.reference, org=_profile(args),
                                   admissibility=getattr(args, "admissibility", None) or "admissible",
                                   reason=getattr(args, "reason", None))
    output = args.output or f"{args.reference}-{args.kind}.pdf"
    written = write_letter(case, args.kind, output, dated=args.date or date.today(),
                           outcome=getattr(args, "outcome", None), reasons=reasons, eml=args.eml)
    print(f"{written.path}: {written.size:,} bytes, PDF/A-2b, sha256 {written.sha256}"
          + (f"; message {written.eml}" if written.eml else ""))
    return 0


def _letter_parser(sub: Any) -> None:
    p = sub.add_parser("letter", help="acknowledgement or decision letter (PDF/A-2b) in the complaint's language")
    kinds = p.add_subparsers(dest="kind", required=True)
    for kind, help_text in (("ack", "acknowledge receipt (EU 2022/2117 art. 3)"),
                            ("decision", "the reasoned decision (art. 5)")):
        k = kinds.add_parser(kind, help=help_text, parents=[register_cli.database_options()])
        k.add_argument("ref", metavar="REF", nargs="?",
                       help="the complaint's reference in the register, e.g. KLA-2026-0001")
        k.add_argument("--copy", action="store_true",
                       help="with REF: another copy of a letter already recorded (refused without it)")
        k.add_argument("--record", metavar="JSON",
                       help="instead of REF: a complaint not in a register (one complaints.jsonl line)")
        k.add_argument("--reference", help="with --record: the complaint's reference, e.g. KLA-2026-0001")
        k.add_argument("-o", "--output", metavar="PDF", help=f"default: REFERENCE-{kind}.pdf")
        k.add_argument("--eml", metavar="FILE", help="also write the email carrying the letter (with REF: the "
                                                     "queued message's exact bytes)")
        how = k.add_mutually_exclusive_group()
        how.add_argument("--send", action="store_true",
                         help="with REF: send it now by SMTP (KLAGEFORMULAR_SMTP_URL; password from "
                              "KLAGEFORMULAR_SMTP_PASSWORD or a prompt); the status moves when the server takes it")
        how.add_argument("--post", action="store_true",
                         help="with REF: a paper letter (the default without an email address); "
                              "'register posted REF' when it is posted")
        k.add_argument("--date", type=register_cli.day, default=None, help="the letter's date (default: today)")
        _add_org_file(k, "replaces the entry's profile")
        if kind == "ack":
            k.add_argument("--admissibility", choices=("admissible", "needs_more_information", "inadmissible"),
                           help="default: inadmissible when the register says so, else admissible")
            k.add_argument("--reason", help="what is missing, or why the complaint is inadmissible (required then)")
        else:
            k.add_argument("--outcome", type=outcome_code, choices=OUTCOMES, required=True,
                           help=f"{', '.join(OUTCOMES)} (the register's words; 'rejected' is read as not_upheld)")
            k.add_argument("--reasons", metavar="MARKDOWN", required=True, help="the officer's reasons (Markdown)")
        k.set_defaults(func=_letter)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="klageformular", description="Render Kameo's complaint form and read "
                                     "the forms customers send back.", epilog=__doc__.split("\n\n", 1)[1].strip())
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("render", help="write the fillable form")
    p.add_argument("-o", "--output", default="Klageformular.pdf",
                   help="output path, or the folder with --all (default: %(default)s)")
    p.add_argument("--all", action="store_true",
                   help="every language x organisation profile into the -o folder, with manifest.json")
    p.add_argument("--lang", choices=LANGUAGES, default="da", help="the form's language (default: %(default)s)")
    p.add_argument("--org", choices=ORGANISATION_KEYS, default=None, metavar="PROFILE",
                   help="organisation profile: %(choices)s (default: the language's home profile, e.g. nb: kameo-no)")
    p.add_argument("--prefill", metavar="JSON", help="a Complaint as JSON, written into the fields")
    _add_org_file(p, "replaces --org")
    p.set_defaults(func=_render)

    p = sub.add_parser("fields", help="list the form's fields")
    p.add_argument("--json", action="store_true", help="machine-readable")
    p.add_argument("--lang", choices=LANGUAGES, default="da", help="language of the labels (default: %(default)s)")
    p.set_defaults(func=_fields)

    p = sub.add_parser("schema", help="print the Complaint JSON Schema")
    p.set_defaults(func=_schema)
    p = sub.add_parser("parse", help="read filled or flattened forms")
    p.add_argument("files", nargs="+", metavar="FILE", help="received PDF files")
    p.add_argument("--json", action="store_true", help="one JSON object per file (JSON Lines)")
    _add_org_file(p, "validates every file with it")
    p.set_defaults(func=_parse)
    p = sub.add_parser("batch", parents=[register_cli.database_options()],
                       help="convert a folder, mbox, Maildir or IMAP folder (parallel, resumable)")
    p.add_argument("inbox", metavar="SOURCE",
                   help="a folder of received files (read recursively; .eml, .msg and mbox files as mail), an "
                        "mbox file, a Maildir, or imaps://user@host[:port]/Folder (imap:// upgrades with STARTTLS; "
                        f"password from {IMAP_PASSWORD_ENV} or a prompt)")
    p.add_argument("-o", "--output", metavar="OUTDIR", required=True, help="where the records go")
    p.add_argument("--workers", type=_positive_int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--csv", action="store_true", help="also write complaints.csv (UTF-8 with BOM, for Excel)")
    p.add_argument("--received", type=_received, default="mtime", metavar="mtime|today|YYYY-MM-DD",
                   help="date of receipt, for acknowledge_by (default: the file's modification date)")
    p.add_argument("--timeout", type=_positive_seconds, default=30.0, metavar="SECONDS",
                   help="per file (default: %(default)s)")
    p.add_argument("--memory-mb", type=_positive_int, default=1024,
                   help="memory ceiling per worker process, in MB (default: %(default)s)")
    p.add_argument("--org", choices=ORGANISATION_KEYS, default=None, metavar="PROFILE",
                   help="whose working days and holidays set every deadline: %(choices)s (default: each form's own "
                        "profile, e.g. Norwegian holidays for Kameo Norway's form; kameo-dk for unreadable files)")
    p.add_argument("--mark-seen", action="store_true", help="IMAP: mark messages read once their records are written")
    p.add_argument("--move-to", metavar="FOLDER", help="IMAP: move messages there once their records are written")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_org_file(p, "like --org, from a file")
    p.add_argument("--register", action="store_true", help="then import OUTDIR into the complaint register")
    p.set_defaults(func=_batch)
    add_watch_parser(sub, database=register_cli.database_options(), org_choices=ORGANISATION_KEYS,
                     positive_int=_positive_int, imap_env=IMAP_PASSWORD_ENV)

    p = sub.add_parser("org", help="organisation profiles as files")
    org_sub = p.add_subparsers(dest="org_command", required=True)
    e = org_sub.add_parser("export", help="print a profile as a starting file (kameo-dk > kameo.toml)")
    e.add_argument("key", nargs="?", choices=ORGANISATION_KEYS, default=None, metavar="PROFILE",
                   help="a built-in profile: %(choices)s (default: the first)")
    e.add_argument("--format", choices=("toml", "json"), default="toml")
    e.add_argument("--org-file", metavar="FILE", default=None, help="re-export (and so check) a profile file")
    e.set_defaults(func=_org)
    _letter_parser(sub)
    register_cli.add_register_parser(sub)
    from .register._retention_cli import add_prune_parser

    add_prune_parser(sub)  # retention (issue 28): the batch folders' copies
    add_web_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code instead of exiting (testable in-process)."""
    # A pydantic plugin (an observability tool, say) would see every validated complaint, personal
    # data included, and finding plugins scans every installed package at start-up. Our own
    # process does without them unless the environment says otherwise (set it empty to allow).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help
        return int(exc.code or 0)
    func: Command = args.func
    if not logging.getLogger().handlers:
        # pypdf reports repaired files ("EOF marker not found"), pdfminer fonts it cannot measure,
        # pdfplumber metadata it cannot decode; with no logging configured Python prints those
        # into the progress bar. The records say nothing the officer needs: the file's line does.
        from ._quiet import silence_unconfigured

        silence_unconfigured()
    try:
        return func(args)
    except OutputError as exc:  # nothing was written: fix the permissions and run again
        print(f"klageformular: {one_line(str(exc))}", file=sys.stderr)
        return 3
    except PermissionError as exc:  # e.g. render -o into a read-only folder
        print(f"klageformular: {one_line(str(exc.filename))}: {exc.strerror}", file=sys.stderr)
        return 3
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            raise
        # A letter, an export: written whole under a temporary name, so nothing half-written is left.
        print(f"klageformular: {one_line(str(exc.filename or 'output'))}: {exc.strerror}", file=sys.stderr)
        return 3
    except UnknownProfileError as exc:  # a usage error: the command needs the profile's file (--org-file)
        print(f"klageformular: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except KlageformularError as exc:
        print(f"klageformular: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `klageformular fields | head`
        return 0
    except KeyboardInterrupt:  # batch: every line written so far is whole; a re-run resumes
        print("klageformular: interrupted", file=sys.stderr)
        return 130
