"""The register for people: an Excel workbook (openpyxl) or a CSV file Danish Excel opens as columns.

Every cell that a customer typed is written as text, never as a formula: openpyxl would
store ``=HYPERLINK(…)`` as a formula, so such cells are forced to the string type, and the
CSV goes through :func:`klageformular.batch.csv_cell`.
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

from .._files import write_private
from ..batch import csv_cell
from ..exceptions import ConfigurationError
from ..locales import formats, register_words
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
_WIDTHS = {"subject": 60, "name": 28, "email": 30, "investment": 18, "review": 30}


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
    review = sorted({str(item.get("code") or item.get("path")) for item in row.review if isinstance(item, dict)})
    return {
        "reference": row.reference, "received": row.received, "acknowledge_by": row.acknowledge_by,
        "decide_by": row.decide_by, "status": _word("status", row.status, lang), "name": name,
        "email": person.get("email") or contact.get("email"), "subject": subject or row.message,
        "investment": (complaint.get("investment") or {}).get("reference") or None, "amount": amount,
        "currency": damage.get("currency"), "review": ", ".join(review) or None, "language": row.language,
        "channel": row.channel, "acknowledged_on": row.acknowledged_on, "decided_on": row.decided_on,
        "outcome": _word("outcome", row.outcome, lang),
    }


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
    from openpyxl.styles import Font

    headers = {k: register_words(lang)[f"{kind}.{k}"] for k in keys}
    sheet.append([headers[k] for k in keys])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in table:
        sheet.append([None] * len(keys))
        row_cells = sheet[sheet.max_row]
        for cell, key in zip(row_cells, keys, strict=True):
            value = values[key]
            cell.value = value
            if isinstance(value, str) and cell.data_type == "f":
                cell.data_type = "s"  # what a customer typed is never a formula
            if isinstance(value, date):
                cell.number_format = formats(lang)["spreadsheet_date"] + (" hh:mm" if key == "at" else "")
            elif isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
    for index, key in enumerate(keys, 1):
        longest = max([len(headers[key])] + [len(str(v[key])) for v in table[:500] if v[key] is not None])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, 10), _WIDTHS.get(key, 40))
    sheet.freeze_panes = "A2"
    # Printed: landscape, as wide as the page, the header on every page.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{max(sheet.max_row, 1)}"


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
