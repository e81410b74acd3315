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

from ..batch import csv_cell
from ..exceptions import ConfigurationError
from ._names import CSV_DIALECTS, EXPORT_LANGUAGES
from ._schema import ComplaintRow, EventRow
from ._workflow import utc

# Column key -> header per language. The order is the sheet's order.
_COLUMNS: dict[str, dict[str, str]] = {
    "reference": {"da": "Referencenr.", "en": "Reference", "nb": "Referansenr.", "sv": "Referensnr."},
    "received": {"da": "Modtaget", "en": "Received", "nb": "Mottatt", "sv": "Mottaget"},
    "acknowledge_by": {"da": "Kvittér senest", "en": "Acknowledge by", "nb": "Bekreft innen",
                       "sv": "Bekräfta senast"},
    "decide_by": {"da": "Afgør senest", "en": "Decide by", "nb": "Avgjør innen", "sv": "Besluta senast"},
    "status": {"da": "Status", "en": "Status", "nb": "Status", "sv": "Status"},
    "name": {"da": "Navn", "en": "Name", "nb": "Navn", "sv": "Namn"},
    "email": {"da": "E-mail", "en": "Email", "nb": "E-post", "sv": "E-post"},
    "subject": {"da": "Klagen (første linje)", "en": "Complaint (first line)", "nb": "Klagen (første linje)",
                "sv": "Klagomålet (första raden)"},
    "investment": {"da": "Investering/lån", "en": "Investment/loan", "nb": "Investering/lån",
                   "sv": "Investering/lån"},
    "amount": {"da": "Beløb", "en": "Amount", "nb": "Beløp", "sv": "Belopp"},
    "currency": {"da": "Valuta", "en": "Currency", "nb": "Valuta", "sv": "Valuta"},
    "review": {"da": "Skal tjekkes", "en": "To review", "nb": "Må sjekkes", "sv": "Att granska"},
    "language": {"da": "Sprog", "en": "Language", "nb": "Språk", "sv": "Språk"},
    "channel": {"da": "Kanal", "en": "Channel", "nb": "Kanal", "sv": "Kanal"},
    "acknowledged_on": {"da": "Kvitteret", "en": "Acknowledged", "nb": "Bekreftet", "sv": "Bekräftat"},
    "decided_on": {"da": "Afgjort", "en": "Decided", "nb": "Avgjort", "sv": "Beslutat"},
    "outcome": {"da": "Udfald", "en": "Outcome", "nb": "Utfall", "sv": "Utfall"},
}
_EVENT_COLUMNS: dict[str, dict[str, str]] = {
    "reference": _COLUMNS["reference"],
    "at": {"da": "Tidspunkt (UTC)", "en": "Time (UTC)", "nb": "Tidspunkt (UTC)", "sv": "Tidpunkt (UTC)"},
    "who": {"da": "Hvem", "en": "Who", "nb": "Hvem", "sv": "Vem"},
    "what": {"da": "Hvad", "en": "What", "nb": "Hva", "sv": "Vad"},
    "from": {"da": "Fra status", "en": "From status", "nb": "Fra status", "sv": "Från status"},
    "to": {"da": "Til status", "en": "To status", "nb": "Til status", "sv": "Till status"},
    "note": {"da": "Note", "en": "Note", "nb": "Notat", "sv": "Anteckning"},
}
_STATUS = {
    "unreadable": {"da": "ulæselig", "en": "unreadable", "nb": "uleselig", "sv": "oläslig"},
    "received": {"da": "modtaget", "en": "received", "nb": "mottatt", "sv": "mottaget"},
    "acknowledged": {"da": "kvitteret", "en": "acknowledged", "nb": "bekreftet", "sv": "bekräftat"},
    "under_review": {"da": "under behandling", "en": "under review", "nb": "under behandling",
                     "sv": "under handläggning"},
    "inadmissible": {"da": "afvist (kan ikke behandles)", "en": "inadmissible", "nb": "avvist (kan ikke behandles)",
                     "sv": "avvisat (kan inte prövas)"},
    "decided": {"da": "afgjort", "en": "decided", "nb": "avgjort", "sv": "beslutat"},
    "closed": {"da": "lukket", "en": "closed", "nb": "lukket", "sv": "avslutat"},
    "escalated": {"da": "indbragt for ankenævn", "en": "escalated", "nb": "brakt inn for klagenemnd",
                  "sv": "anmält till nämnd"},
}
_OUTCOME = {
    "upheld": {"da": "medhold", "en": "upheld", "nb": "medhold", "sv": "bifall"},
    "partly_upheld": {"da": "delvis medhold", "en": "partly upheld", "nb": "delvis medhold", "sv": "delvis bifall"},
    "not_upheld": {"da": "ikke medhold", "en": "not upheld", "nb": "ikke medhold", "sv": "avslag"},
}
_SUBJECT_CHARS = 160  # a flattened form's text has no line breaks: the first line can be the whole complaint
_SHEETS = {"da": ("Klager", "Hændelser"), "en": ("Complaints", "Events"), "nb": ("Klager", "Hendelser"),
           "sv": ("Klagomål", "Händelser")}
_DATE_FORMAT = {"da": "dd-mm-yyyy", "nb": "dd.mm.yyyy", "sv": "yyyy-mm-dd", "en": "yyyy-mm-dd"}
_WIDTHS = {"subject": 60, "name": 28, "email": 30, "investment": 18, "review": 30}
assert tuple(_SHEETS) == EXPORT_LANGUAGES


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


def _word(words: dict[str, dict[str, str]], code: str | None, lang: str) -> str | None:
    return words.get(code, {}).get(lang, code) if code else None


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
        "decide_by": row.decide_by, "status": _word(_STATUS, row.status, lang), "name": name,
        "email": person.get("email") or contact.get("email"), "subject": subject or row.message,
        "investment": (complaint.get("investment") or {}).get("reference") or None, "amount": amount,
        "currency": damage.get("currency"), "review": ", ".join(review) or None, "language": row.language,
        "channel": row.channel, "acknowledged_on": row.acknowledged_on, "decided_on": row.decided_on,
        "outcome": _word(_OUTCOME, row.outcome, lang),
    }


def _event_row(reference: str, event: EventRow, lang: str) -> dict[str, Any]:
    return {"reference": reference, "at": utc(event.at).replace(tzinfo=None, microsecond=0), "who": event.who,
            "what": event.what, "from": _word(_STATUS, event.from_status, lang),
            "to": _word(_STATUS, event.to_status, lang), "note": event.note}


def export_xlsx(engine: Engine, target: str | os.PathLike[str], *, lang: str = "da") -> int:
    """Write the register to an ``.xlsx`` workbook; returns the number of entries.

    Sheet 1: one row per entry, headers in ``lang``, real date and number cells, header frozen,
    filter on. Sheet 2: every event.

    >>> export_xlsx(engine, "register.xlsx", lang="da")    # doctest: +SKIP
    42
    """
    if lang not in _SHEETS:
        raise ConfigurationError(f"no export headers for language {lang!r} (known: {', '.join(_SHEETS)})")
    table, events = rows(engine, lang)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _SHEETS[lang][0]
    _fill(sheet, _COLUMNS, table, lang)
    _fill(book.create_sheet(_SHEETS[lang][1]), _EVENT_COLUMNS, events, lang)
    path = Path(target)
    partial = path.with_name(path.name + ".part")
    book.save(partial)
    partial.replace(path)
    return len(table)


def _fill(sheet: Any, columns: dict[str, dict[str, str]], table: list[dict[str, Any]], lang: str) -> None:
    from openpyxl.styles import Font

    keys = list(columns)
    sheet.append([columns[k][lang] for k in keys])
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
                cell.number_format = _DATE_FORMAT[lang] + (" hh:mm" if key == "at" else "")
            elif isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
    for index, key in enumerate(keys, 1):
        longest = max([len(str(columns[key][lang]))] + [len(str(v[key])) for v in table[:500] if v[key] is not None])
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
    if dialect not in _DIALECTS or lang not in _SHEETS:
        raise ConfigurationError(f"unknown CSV dialect {dialect!r} or language {lang!r}")
    spec = _DIALECTS[dialect]
    table, _ = rows(engine, lang)
    fmt: Callable[[Any], str] = lambda v: _csv_value(v, spec)  # noqa: E731
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=spec["delimiter"], lineterminator="\r\n")
    writer.writerow([_COLUMNS[k][lang] for k in _COLUMNS])
    for values in table:
        writer.writerow([fmt(values[k]) for k in _COLUMNS])
    path = Path(target)
    partial = path.with_name(path.name + ".part")
    partial.write_text(buffer.getvalue(), encoding="utf-8-sig")
    partial.replace(path)
    return len(table)


def _csv_value(value: Any, spec: dict[str, Any]) -> str:
    if isinstance(value, date):
        return value.strftime(spec["date"])
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", spec["decimal"])
    return csv_cell(value)
