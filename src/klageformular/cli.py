"""The ``klageformular`` command line: a thin layer over the public API.

Exit codes: 0 success, 1 a file could not be rendered, read or validated, 2 usage errors,
3 the output cannot be written (permissions).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, cast

from . import __version__
from ._files import one_line
from .batch import FileOutcome, Received, convert_folder
from .exceptions import KlageformularError, OutputError
from .layout import LAYOUT, FieldSpec
from .locales import LANGUAGES, fill, label, option_label, tooltip
from .model import Complaint
from .org import get_organisation, home_organisation, organisation_keys
from .parse import ParseResult, parse_pdf
from .render import render_all, render_form

__all__ = ["main"]

Command = Callable[[argparse.Namespace], int]


def _render(args: argparse.Namespace) -> int:
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
    data = render_form(args.lang, prefill=prefill, org=args.org)
    Path(args.output).write_bytes(data)
    print(f"{args.output}: {len(data):,} bytes, {LAYOUT.page_count} pages, {len(LAYOUT.fields)} fields")
    return 0


def field_table(lang: str = "da") -> list[dict[str, Any]]:
    """The layout as rows: name, path, kind, required, max_length, page, rect, label, tooltip, options."""
    org = home_organisation(lang)

    def fmt(text: str) -> str:
        return fill(text, lang, org)

    def row(spec: FieldSpec) -> dict[str, Any]:
        return {
            "name": spec.name, "path": spec.path, "kind": spec.kind.value, "required": spec.required,
            "max_length": spec.max_length, "page": spec.page, "rect": spec.rect.as_list(),
            "label": fmt(label(spec.path, lang)), "tooltip": fmt(tooltip(spec.path, lang)),
            "options": [{"export": o.export, "value": o.value, "label": option_label(spec.path, o.value, lang)}
                        for o in spec.options],
        }

    return [row(spec) for spec in LAYOUT.fields]


def _fields(args: argparse.Namespace) -> int:
    rows = field_table(args.lang)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        extra = "required" if r["required"] else ""
        size = f"max {r['max_length']}" if r["max_length"] else ""
        choices = "|".join(o["export"] for o in r["options"])
        print(f"{r['page']}  {r['name']:<40} {r['kind']:<9} {size:<9} {extra:<8} {choices}")
    return 0


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(Complaint.model_json_schema(), ensure_ascii=False, indent=2))
    return 0


def _summary(result: ParseResult) -> str:
    """A readable summary for the officer: method, language, valid or not, errors, warnings."""
    state = "valid" if result.valid else f"INVALID ({len(result.errors)} field error(s))"
    lines = [f"{result.source or '-'}: {state} · read from {result.method} · language {result.language or '?'} · "
             f"form {result.form_version or '?'} · {result.page_count} page(s) · sha256 {result.sha256[:12]}"]
    lines += [f"  error   {e.label} ({e.path}): {e.message_local} / {e.message}" for e in result.errors]
    lines += [f"  warning {w.path or '-'}: {w.message}" for w in result.warnings]
    return "\n".join(lines)


def _parse(args: argparse.Namespace) -> int:
    status = 0
    for name in args.files:
        try:
            result = parse_pdf(name)
        except KlageformularError as exc:
            print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            status = 1
            continue
        if not result.valid:
            fields = ", ".join(e.path for e in result.errors)
            print(f"{name}: invalid: {fields}", file=sys.stderr)
            status = 1
        print(result.to_json() if args.json else _summary(result))
    return status


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _received(text: str) -> Received:
    if text in ("mtime", "today"):
        return cast(Received, text)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("use mtime, today or a date such as 2026-11-24") from None


def _batch(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    out, err = Console(), Console(stderr=True)
    progress = Progress(TextColumn("[bold]Converting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=err, disable=args.quiet or not err.is_terminal, transient=True)
    bar = progress.add_task("files", total=None)
    rejected: list[FileOutcome] = []

    def on_file(outcome: FileOutcome) -> None:
        progress.advance(bar)
        if outcome.outcome == "rejected":
            rejected.append(outcome)

    with progress:
        summary = convert_folder(args.inbox, args.output, workers=args.workers, timeout=args.timeout,
                                 memory_mb=args.memory_mb, received=args.received, write_csv_file=args.csv,
                                 org=get_organisation(args.org) if args.org else None,
                                 on_start=lambda n: progress.update(bar, total=n), on_file=on_file)
    for outcome in rejected:  # the officer's to-do list: one line per file, the reason, not the content
        print(one_line(f"{outcome.source}: rejected ({outcome.reason}): {outcome.message}"), file=sys.stderr)
    table = Table(title="klageformular batch", caption=f"records in {summary.outdir}", show_header=False)
    for name, value in [("inputs", summary.inputs), ("accepted", summary.accepted), ("rejected", summary.rejected),
                        *((f"  {reason}", n) for reason, n in sorted(summary.rejected_by_reason.items())),
                        ("duplicates", summary.duplicates), ("already done", summary.skipped_already_done),
                        ("seconds", summary.seconds), ("files/s", summary.files_per_second)]:
        table.add_row(name, str(value))
    out.print(table)
    return 1 if summary.rejected else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="klageformular", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("render", help="write the fillable form")
    p.add_argument("-o", "--output", default="Klageformular.pdf",
                   help="output path, or the folder with --all (default: %(default)s)")
    p.add_argument("--all", action="store_true",
                   help="every language x organisation profile into the -o folder, with manifest.json")
    p.add_argument("--lang", choices=LANGUAGES, default="da")
    p.add_argument("--org", choices=organisation_keys(), default=None,
                   help="organisation profile (default: the language's home profile, e.g. nb: kameo-no)")
    p.add_argument("--prefill", metavar="JSON", help="a Complaint as JSON, written into the fields")
    p.set_defaults(func=_render)

    p = sub.add_parser("fields", help="list the form's fields")
    p.add_argument("--json", action="store_true", help="machine-readable")
    p.add_argument("--lang", choices=LANGUAGES, default="da")
    p.set_defaults(func=_fields)

    p = sub.add_parser("schema", help="print the Complaint JSON Schema")
    p.set_defaults(func=_schema)
    p = sub.add_parser("parse", help="read filled or flattened forms")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="one JSON object per file (JSON Lines)")
    p.set_defaults(func=_parse)
    p = sub.add_parser("batch", help="convert a folder of received PDFs (parallel, resumable)")
    p.add_argument("inbox", metavar="INBOX", help="folder of received files (read recursively, any extension)")
    p.add_argument("-o", "--output", metavar="OUTDIR", required=True, help="where the records go")
    p.add_argument("--workers", type=_positive_int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--csv", action="store_true", help="also write complaints.csv (UTF-8 with BOM, for Excel)")
    p.add_argument("--received", type=_received, default="mtime", metavar="mtime|today|YYYY-MM-DD",
                   help="date of receipt, for acknowledge_by (default: the file's modification date)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="per file (default: %(default)s)")
    p.add_argument("--memory-mb", type=_positive_int, default=1024, help="per worker (default: %(default)s)")
    p.add_argument("--org", choices=organisation_keys(), default=None,
                   help="whose working days and holidays set every deadline (default: each form's own "
                        "profile, e.g. Norwegian holidays for Kameo Norway's form; kameo-dk for unreadable files)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_batch)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code instead of exiting (testable in-process)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help
        return int(exc.code or 0)
    func: Command = args.func
    try:
        return func(args)
    except OutputError as exc:  # nothing was written: fix the permissions and run again
        print(f"klageformular: {one_line(str(exc))}", file=sys.stderr)
        return 3
    except PermissionError as exc:  # e.g. render -o into a read-only folder
        print(f"klageformular: {one_line(str(exc.filename))}: {exc.strerror}", file=sys.stderr)
        return 3
    except KlageformularError as exc:
        print(f"klageformular: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `klageformular fields | head`
        return 0
    except KeyboardInterrupt:  # batch: every line written so far is whole; a re-run resumes
        print("klageformular: interrupted", file=sys.stderr)
        return 130
