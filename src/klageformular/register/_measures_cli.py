"""``register measure``, ``register categorize`` and ``register report``: arguments → one call → print.

Kept apart from ``_cli.py`` (which holds the register's other commands and their shared
plumbing: ``--db``/``--who``, the date type, the error lines); ``_cli.add_register_parser``
calls :func:`add_commands` once. Each command makes one call on the
:class:`~klageformular.register.Register` service; the rules live there.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from ._cli import _who, day
from ._names import CATEGORY_FACETS, MEASURES, REPORT_LANGUAGES

if TYPE_CHECKING:
    from ._report import Period
    from ._service import Register

__all__ = ["add_commands"]


def _measure(args: argparse.Namespace, register: Register) -> int:
    from ._measures import parse_money

    amount = parse_money(args.amount) if args.amount is not None else None
    with register.session() as session, session.begin():
        done = register.record_measure(session, args.reference, args.kind, who=_who(args.who), note=args.note,
                                       amount=amount, currency=args.currency, version=args.if_version)
    money = f" {done.money}" if done.money else ""
    print(f"{done.reference}: {done.kind}{money} recorded")
    return 0


def _categorize(args: argparse.Namespace, register: Register) -> int:
    with register.session() as session, session.begin():
        done = register.categorize(session, args.reference, who=_who(args.who), product=args.product,
                                   cause=args.cause, note=args.note, version=args.if_version)
    print(f"{done.reference}: product {done.product or '–'}, cause {done.cause or '–'}")
    return 0


def _period(args: argparse.Namespace, today: date) -> Period:
    """The period the options name (argument parsing: ``--from/--to`` or ``--year [--quarter|--month]``)."""
    from ..exceptions import ConfigurationError
    from ._report import Period

    calendar = args.year is not None or args.quarter is not None or args.month is not None
    if calendar and (args.start or args.end):
        raise ConfigurationError("give --from/--to or --year (with --quarter or --month), not both")
    if calendar:
        return Period.of(args.year or today.year, quarter=args.quarter, month=args.month)
    return Period.between(args.start or date(today.year, 1, 1), args.end or today)


def _report(args: argparse.Namespace, register: Register) -> int:
    from ._report_render import report_text, write_report_xlsx

    today = args.today or date.today()
    period = _period(args, today)
    profiles = register.profiles  # --org-file's (the register's engine is made with them)
    with register.reading() as session:
        figures = register.report(session, period.start, period.end, today=today)
    if args.xlsx:
        write_report_xlsx(figures, args.xlsx, lang=args.lang, organisations=profiles)
        print(f"{args.xlsx}: report {period.start.isoformat()} to {period.end.isoformat()}",
              file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(figures.model_dump_json())
    elif not args.xlsx:
        sys.stdout.write(report_text(figures, lang=args.lang, organisations=profiles))
    return 0


def add_commands(add: Callable[[str, Callable[[argparse.Namespace, Register], int], str],
                                argparse.ArgumentParser]) -> None:
    """Add ``measure``, ``categorize`` and ``report`` with ``add(name, func, help)`` of the register parser."""
    def profile_files(p: argparse.ArgumentParser) -> None:
        p.add_argument("--org-file", action="append", metavar="FILE",
                       help="a profile file for cases handled under its key (categories, currency, holidays; "
                            "repeatable)")

    p = add("measure", _measure, "record a measure taken on a case (an event)")
    p.add_argument("reference", metavar="REF")
    p.add_argument("kind", choices=MEASURES, metavar="KIND", help=", ".join(MEASURES))
    p.add_argument("--amount", metavar="AMOUNT", help="compensation paid, e.g. 1250.50 (no thousands separator)")
    p.add_argument("--currency", metavar="CODE", help="ISO 4217 code (default: the case's profile's currency)")
    p.add_argument("--note", help="what was done (required for other_consequence)")
    profile_files(p)
    p = add("categorize", _categorize, "set a case's product and/or cause (from its profile's lists; an event)")
    p.add_argument("reference", metavar="REF")
    for facet in CATEGORY_FACETS:
        p.add_argument(f"--{facet}", metavar="KEY", help=f"a {facet} key of the case's profile ('org export' "
                                                         "lists them)")
    p.add_argument("--note")
    profile_files(p)
    p = add("report", _report, "figures for a period: received, categories, outcomes, deadlines, measures")
    p.add_argument("--from", dest="start", type=day, metavar="YYYY-MM-DD", help="default: 1 January")
    p.add_argument("--to", dest="end", type=day, metavar="YYYY-MM-DD", help="default: today")
    p.add_argument("--year", type=int, metavar="YYYY", help="a calendar year (default with --quarter/--month: "
                                                            "this year)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--quarter", type=int, choices=range(1, 5), metavar="Q", help="1-4, of --year")
    which.add_argument("--month", type=int, choices=range(1, 13), metavar="M", help="1-12, of --year")
    p.add_argument("--today", type=day, metavar="YYYY-MM-DD", help="judge deadlines as of this day (default: "
                                                                    "today)")
    p.add_argument("--lang", choices=REPORT_LANGUAGES, default="da", help="labels (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="the Report model as one line of JSON")
    p.add_argument("--xlsx", metavar="FILE", help="also write the report as a spreadsheet")
    profile_files(p)
