"""The register for people: an Excel workbook (openpyxl) or a CSV file Danish Excel opens as columns.

Every cell that a customer typed is written as text, never as a formula: openpyxl would
store ``=HYPERLINK(…)`` as a formula, so such cells are forced to the string type, and the
CSV goes through :func:`klageformular.batch.csv_cell`.

Everything is in the sheet's language: headers, statuses, outcomes and what to check (each
review item as "field: problem" from the locale catalogues, not its code). Printed, a sheet is
A4 landscape, one page wide, the header row on every page, long texts wrapped in columns
narrow enough that the type stays readable (about 8 pt on paper, not 4).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from .._files import csv_cell, write_private
from ..exceptions import ConfigurationError
from ..layout import field_by_path
from ..locales import Texts, formats, register_words
from ..org import organisation_keys
from ._names import CSV_DIALECTS, EXPORT_LANGUAGES
from ._schema import ComplaintRow, EventRow
from ._workflow import utc

# The sheet's columns in order; their headers, statuses and outcomes are words of each language
# (the ``REGISTER`` catalogue in ``klageformular/locales/<lang>.py``).
_COLUMNS = ("reference", "received", "acknowledge_by", "decide_by", "status", "name", "email", "subject",
            "investment", "amount", "currency", "review", "language", "channel", "acknowledged_on", "decided_on",
            "outcome")
_EVENT_COLUMNS = ("reference", "at", "who", "what", "from", "to", "note")
_SUBJECT_CHARS = 160  # a flattened form's text has no line breaks: the first line can be the whole complaint
# Column widths (in characters of 11 pt) that A4 landscape holds at about 74 % (8.1 pt on paper,
# measured through LibreOffice with Calibri's metrics): the sheet used to be ~330 characters wide
# and printed at 4.4 pt. Dates and references get what they need; long texts wrap instead.
_WIDTHS = {"reference": 12.5, "received": 10.5, "acknowledge_by": 10.5, "decide_by": 10.5, "status": 10,
           "name": 12, "email": 16, "subject": 24, "investment": 10, "amount": 10, "currency": 6,
           "review": 17, "language": 5.5, "channel": 5.5, "acknowledged_on": 10.5, "decided_on": 10.5, "outcome": 8.5}
_EVENT_WIDTHS = {"reference": 12.5, "at": 15, "who": 12, "what": 14, "from": 14, "to": 14, "note": 60}
_LINE_HEIGHT = 14.5  # points per line of 11 pt text
_CHARS_PER_WIDTH = 1.2  # letters of running text per character of width (the width is counted in digits)
_WRAPPED = frozenset({"status", "name", "email", "subject", "review", "outcome", "what", "from", "to", "note"})


def rows(engine: Engine, lang: str = "en") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The export's rows (one per entry, in reference order) and event rows, as Python values.

    Statuses and outcomes are words in ``lang`` (the sheet is for people; ``register list
    --json`` has the codes).
    """
    with Session(engine) as session:
        entries = session.scalars(select(ComplaintRow).options(selectinload(ComplaintRow.events))
                                  .order_by(ComplaintRow.prefix, ComplaintRow.year, ComplaintRow.number)).all()
        table = [_row(r, lang) for r in entries]
        events = [_event_row(r.reference, e, lang) for r in entries for e in r.events]
    return table, events


def _word(kind: str, code: str | None, lang: str) -> str | None:
    """A status or outcome in the sheet's language (the code itself if the language has no word)."""
    return register_words(lang).get(f"{kind}.{code}", code) if code else None


def _row(row: ComplaintRow, lang: str) -> dict[str, Any]:
    complaint = row.complaint or {}
    person = complaint.get("complainant") or {}
    contact = complaint.get("complainant_contact") or {}
    damage = complaint.get("damage") or {}
    name = " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p) or None
    subject = str(complaint.get("subject") or "").strip().split("\n", 1)[0]
    if len(subject) > _SUBJECT_CHARS:
        subject = subject[:_SUBJECT_CHARS - 1].rstrip() + "…"
    try:
        amount = Decimal(str(damage["amount"])) if damage.get("amount") is not None else None
    except InvalidOperation:
        amount = None
    review = _review(row.review, lang, row.organisation)
    return {
        "reference": row.reference, "received": row.received, "acknowledge_by": row.acknowledge_by,
        "decide_by": row.decide_by, "status": _word("status", row.status, lang), "name": name,
        "email": person.get("email") or contact.get("email"), "subject": subject or row.message,
        "investment": (complaint.get("investment") or {}).get("reference") or None, "amount": amount,
        "currency": damage.get("currency"), "review": review, "language": row.language,
        "channel": row.channel, "acknowledged_on": row.acknowledged_on, "decided_on": row.decided_on,
        "outcome": _word("outcome", row.outcome, lang),
    }


def _review(items: list[Any], lang: str, organisation: str | None) -> str | None:
    """What to check, in ``lang``: "field: problem" per item from the catalogues, one per line."""
    texts = Texts.of(lang, organisation if organisation in organisation_keys() else None)
    lines: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        code, path = str(item.get("code") or ""), str(item.get("path") or "")
        # A code the catalogues do not know keeps the message it was stored with.
        message = texts.strings.get(f"msg.{code}") or str(item.get("message") or code or "?")
        try:
            field_by_path(path)
            label = texts.label(path).rstrip(" *")
        except KeyError:
            label = str(item.get("label") or path)
        line = f"{label}: {message}" if label else message
        if line not in lines:
            lines.append(line)
    return "\n".join(lines) or None


def _event_row(reference: str, event: EventRow, lang: str) -> dict[str, Any]:
    return {"reference": reference, "at": utc(event.at).replace(tzinfo=None, microsecond=0), "who": event.who,
            "what": event.what, "from": _word("status", event.from_status, lang),
            "to": _word("status", event.to_status, lang), "note": event.note}


def export_xlsx(engine: Engine, target: str | os.PathLike[str], *, lang: str = "da") -> int:
    """Write the register to an ``.xlsx`` workbook; returns the number of entries.

    Sheet 1: one row per entry, headers in ``lang``, real date and number cells, header frozen,
    filter on. Sheet 2: every event.

    >>> export_xlsx(engine, "register.xlsx", lang="da")    # doctest: +SKIP
    42
    """
    if lang not in EXPORT_LANGUAGES:
        raise ConfigurationError(f"no export headers for language {lang!r} (known: {', '.join(EXPORT_LANGUAGES)})")
    table, events = rows(engine, lang)
    words = register_words(lang)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = words["sheet.complaints"]
    _fill(sheet, _COLUMNS, "column", table, lang)
    _fill(book.create_sheet(words["sheet.events"]), _EVENT_COLUMNS, "event_column", events, lang)
    data = io.BytesIO()
    book.save(data)
    write_private(Path(target), data.getvalue())
    return len(table)


def _fill(sheet: Any, keys: tuple[str, ...], kind: str, table: list[dict[str, Any]], lang: str) -> None:
    from openpyxl.styles import Alignment, Font

    headers = {k: register_words(lang)[f"{kind}.{k}"] for k in keys}
    widths = _WIDTHS if kind == "column" else _EVENT_WIDTHS
    top, wrapped = Alignment(vertical="top"), Alignment(vertical="top", wrap_text=True)
    sheet.append([headers[k] for k in keys])
    for cell in sheet[1]:
        cell.font = Font(name="Calibri", size=11, bold=True)  # without a name, LibreOffice takes a serif
        cell.alignment = wrapped  # a long header wraps rather than widening its column
    sheet.row_dimensions[1].height = max(_lines(headers[k], widths[k]) for k in keys) * _LINE_HEIGHT
    for values in table:
        sheet.append([None] * len(keys))
        row_cells = sheet[sheet.max_row]
        # Row heights are set, not left to the program: LibreOffice does not fit rows to wrapped
        # text when it opens an .xlsx, and the text would be cut.
        lines = max([_lines(values[k], widths[k]) for k in keys if k in _WRAPPED] or [1])
        if lines > 1:
            sheet.row_dimensions[sheet.max_row].height = lines * _LINE_HEIGHT
        for cell, key in zip(row_cells, keys, strict=True):
            value = values[key]
            cell.value = value
            cell.alignment = wrapped if key in _WRAPPED else top
            if isinstance(value, str) and cell.data_type == "f":
                cell.data_type = "s"  # what a customer typed is never a formula
            if isinstance(value, date):
                cell.number_format = formats(lang)["spreadsheet_date"] + (" hh:mm" if key == "at" else "")
            elif isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
    for index, key in enumerate(keys, 1):
        sheet.column_dimensions[get_column_letter(index)].width = widths[key]
    sheet.freeze_panes = "A2"
    # Printed: A4 landscape, narrow margins, one page wide, the header on every page.
    setup = sheet.page_setup
    setup.orientation, setup.paperSize = "landscape", sheet.PAPERSIZE_A4
    setup.fitToWidth, setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = True  # rows of wrapped text stay apart on paper
    sheet.oddFooter.center.text = "&P / &N"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{max(sheet.max_row, 1)}"


def _lines(value: Any, width: float) -> int:
    """About how many lines ``value`` takes wrapped in a column ``width`` characters wide (at most 12)."""
    if not isinstance(value, str):
        return 1
    per_line = max(1, int(width * _CHARS_PER_WIDTH))
    return min(12, sum(max(1, -(-len(part) // per_line)) for part in value.split("\n")))


_DIALECTS: dict[str, dict[str, Any]] = {
    # Danish Excel: ";" between columns, decimal comma, day-month-year (what it shows when it opens a file).
    "excel-da": {"delimiter": ";", "decimal": ",", "date": "%d-%m-%Y"},
    # Plain RFC 4180 for programs: "," and ISO dates.
    "rfc4180": {"delimiter": ",", "decimal": ".", "date": "%Y-%m-%d"},
}
assert tuple(_DIALECTS) == CSV_DIALECTS


def export_csv(engine: Engine, target: str | os.PathLike[str], *, dialect: str = "excel-da",
               lang: str = "da") -> int:
    """Write the register as CSV (UTF-8 with BOM); returns the number of entries.

    >>> export_csv(engine, "register.csv", dialect="excel-da")   # doctest: +SKIP
    42
    """
    if dialect not in _DIALECTS or lang not in EXPORT_LANGUAGES:
        raise ConfigurationError(f"unknown CSV dialect {dialect!r} or language {lang!r}")
    spec = _DIALECTS[dialect]
    table, _ = rows(engine, lang)
    fmt: Callable[[Any], str] = lambda v: _csv_value(v, spec)  # noqa: E731
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=spec["delimiter"], lineterminator="\r\n")
    writer.writerow([register_words(lang)[f"column.{k}"] for k in _COLUMNS])
    for values in table:
        writer.writerow([fmt(values[k]) for k in _COLUMNS])
    write_private(Path(target), buffer.getvalue().encode("utf-8-sig"))
    return len(table)


def _csv_value(value: Any, spec: dict[str, Any]) -> str:
    if isinstance(value, date):
        return value.strftime(spec["date"])
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", spec["decimal"])
    return csv_cell(value)
