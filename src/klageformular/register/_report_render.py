"""The compliance report for people: plain text for a terminal or a mail, and an ``.xlsx`` sheet to print.

Labels are Danish or English (``lang``): the report goes to Kameo's management and to an
authority, in the languages the officer works in; the four form languages' catalogues carry
the customer-facing words (statuses and outcomes are taken from there). Category names come
from the profiles' lists; a key no profile lists is shown as the key.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from .._files import write_private
from ..exceptions import ConfigurationError
from ..locales import formats, register_words
from ..org import Organisation, get_organisation, organisation_keys
from ._names import REPORT_LANGUAGES
from ._report import UNSET, Report, Spread

__all__ = ["report_text", "write_report_xlsx"]

_LABELS: dict[str, dict[str, str]] = {
    "da": {
        "title": "Klagerapport", "period": "Periode", "as_of": "Frister opgjort pr.",
        "scope": "Alle tal gælder henvendelser modtaget i perioden.",
        "received": "Modtaget i alt", "complaints": "Klager", "not_complaints": "Ikke klager",
        "merged": "Lagt sammen med en anden sag",
        "by_status": "Status", "by_product": "Produkt", "by_cause": "Årsag", "by_outcome": "Udfald",
        "by_channel": "Kanal", "by_language": "Sprog", "unset": "(ikke angivet)",
        "days": "Arbejdsdage", "cases": "Sager", "median": "Median", "max": "Højst",
        "working_days_to_acknowledgement": "Til kvittering", "working_days_to_decision": "Til afgørelse",
        "overdue": "Fristoverskridelser", "overdue_total": "Sager med en overskredet frist",
        "overdue_acknowledgement": "Kvittering for sent eller mangler",
        "overdue_decision": "Afgørelse for sent eller mangler",
        "measures": "Tiltag", "times": "Gange", "compensation": "Kompensation udbetalt",
        "currency": "Valuta", "payments": "Udbetalinger", "total": "Beløb", "none": "ingen",
        "page": "Side &P af &N",
        "measure.information_requested": "Yderligere information eller dokumentation indhentet",
        "measure.external_advice": "Ekstern rådgivning indhentet",
        "measure.other_complaints_checked": "Andre klager om samme forhold undersøgt",
        "measure.changed_routines": "Ændrede rutiner",
        "measure.changed_practice": "Ændret praksis",
        "measure.staff_training": "Oplæring af ansatte",
        "measure.other_consequence": "Andre interne konsekvenser",
        "measure.compensation": "Kompensation",
        "channel.file": "fil", "channel.email": "e-mail", "channel.web": "hjemmesiden",
    },
    "en": {
        "title": "Complaints report", "period": "Period", "as_of": "Deadlines judged as of",
        "scope": "Every figure is about entries received in the period.",
        "received": "Received in all", "complaints": "Complaints", "not_complaints": "Not complaints",
        "merged": "Merged into another case",
        "by_status": "Status", "by_product": "Product", "by_cause": "Cause", "by_outcome": "Outcome",
        "by_channel": "Channel", "by_language": "Language", "unset": "(not set)",
        "days": "Working days", "cases": "Cases", "median": "Median", "max": "Max",
        "working_days_to_acknowledgement": "To acknowledgement", "working_days_to_decision": "To decision",
        "overdue": "Missed deadlines", "overdue_total": "Cases with a missed deadline",
        "overdue_acknowledgement": "Acknowledgement late or still missing",
        "overdue_decision": "Decision late or still missing",
        "measures": "Measures taken", "times": "Times", "compensation": "Compensation paid",
        "currency": "Currency", "payments": "Payments", "total": "Amount", "none": "none",
        "page": "Page &P of &N",
        "measure.information_requested": "More information or documentation requested",
        "measure.external_advice": "External advice sought",
        "measure.other_complaints_checked": "Other complaints on the same matter checked",
        "measure.changed_routines": "Changed routines",
        "measure.changed_practice": "Changed practice",
        "measure.staff_training": "Staff training",
        "measure.other_consequence": "Other internal consequences",
        "measure.compensation": "Compensation",
        "channel.file": "file", "channel.email": "email", "channel.web": "website",
    },
}
assert tuple(_LABELS) == REPORT_LANGUAGES and _LABELS["da"].keys() == _LABELS["en"].keys()

_DIMENSIONS = ("by_status", "by_product", "by_cause", "by_outcome", "by_channel", "by_language")


def _words(lang: str) -> dict[str, str]:
    if lang not in _LABELS:
        raise ConfigurationError(f"no report labels in {lang!r} (known: {', '.join(REPORT_LANGUAGES)})")
    return _LABELS[lang]


def _profiles(organisations: Mapping[str, Organisation] | None) -> list[Organisation]:
    given = dict(organisations or {})
    return list(given.values()) + [get_organisation(k) for k in organisation_keys() if k not in given]


def _value_label(dimension: str, key: str, lang: str, profiles: Iterable[Organisation]) -> str:
    words = _words(lang)
    if key == UNSET:
        return words["unset"]
    if dimension in ("by_status", "by_outcome"):
        return register_words(lang).get(f"{dimension[3:]}.{key}", key)
    if dimension == "by_channel":
        return words.get(f"channel.{key}", key)
    if dimension in ("by_product", "by_cause"):
        for org in profiles:
            for category in getattr(org.categories, dimension[3:]):
                if category.key == key:
                    return str(category.text(lang))
    return key


def _number(value: float | int | Decimal | None, lang: str, places: int = 0) -> str:
    if value is None:
        return "–"
    fmt = formats(lang)
    text = f"{value:,.{places}f}" if places or not isinstance(value, float) else f"{value:,.1f}".removesuffix(".0")
    return text.replace(",", "\0").replace(".", fmt["decimal"]).replace("\0", fmt["thousands"])


def _day(value: date, lang: str) -> str:
    return value.strftime(formats(lang)["date"])


def _digits(currency: str) -> int:
    from babel.numbers import get_currency_precision

    return int(get_currency_precision(currency))


def _sections(report: Report, lang: str, organisations: Mapping[str, Organisation] | None
              ) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The report as (heading, column names, rows): one layout for the text and the sheet."""
    words, profiles = _words(lang), _profiles(organisations)
    sections: list[tuple[str, list[str], list[list[Any]]]] = [
        (words["received"], [words["cases"]], [[words["received"], report.received],
                                               [words["complaints"], report.complaints],
                                               [words["not_complaints"], report.not_complaints],
                                               [words["merged"], report.merged]]),
    ]
    for dimension in _DIMENSIONS:
        counts: dict[str, int] = getattr(report, dimension)
        rows = [[_value_label(dimension, k, lang, profiles), v] for k, v in counts.items()]
        sections.append((words[dimension], [words["cases"]], rows or [[words["none"], 0]]))

    def spread(name: str, s: Spread) -> list[Any]:
        return [words[name], s.count, s.median, s.max]

    sections.append((words["days"], [words["cases"], words["median"], words["max"]],
                     [spread("working_days_to_acknowledgement", report.working_days_to_acknowledgement),
                      spread("working_days_to_decision", report.working_days_to_decision)]))
    sections.append((words["overdue"], [words["cases"]],
                     [[words["overdue_total"], report.overdue],
                      [words["overdue_acknowledgement"], report.overdue_acknowledgement],
                      [words["overdue_decision"], report.overdue_decision]]))
    sections.append((words["measures"], [words["cases"], words["times"]],
                     [[words[f"measure.{k}"], m.cases, m.measures] for k, m in report.measures.items()]))
    sections.append((words["compensation"], [words["cases"], words["payments"], words["total"]],
                     [[c.currency, c.cases, c.payments, c.total] for c in report.compensation]
                     or [[words["none"], 0, 0, None]]))
    return sections


def report_text(report: Report, *, lang: str = "da", organisations: Mapping[str, Organisation] | None = None) -> str:
    """The report as aligned plain text (what ``register report`` prints)."""
    words = _words(lang)
    lines = [f"{words['title']} {_day(report.start, lang)} – {_day(report.end, lang)}",
             f"{words['as_of']} {_day(report.as_of, lang)}. {words['scope']}"]
    for heading, columns, rows in _sections(report, lang, organisations):
        lines += ["", f"{heading:<56}" + "".join(f"{c:>14}" for c in columns)]
        for label, *values in rows:
            cells = []
            for value in values:
                if isinstance(value, Decimal):
                    cells.append(_number(value, lang, _digits(label)) + f" {label}")
                else:
                    cells.append(_number(value, lang))
            lines.append(f"  {label:<54}" + "".join(f"{c:>14}" for c in cells))
    return "\n".join(lines) + "\n"


def write_report_xlsx(report: Report, target: str | os.PathLike[str], *, lang: str = "da",
                      organisations: Mapping[str, Organisation] | None = None) -> None:
    """Write the report as an ``.xlsx`` sheet: real numbers and dates, A4 portrait on one page width."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    words = _words(lang)
    book = Workbook()
    sheet: Any = book.active  # openpyxl's stubs leave the print-setup parts Optional
    assert sheet is not None
    sheet.title = words["title"][:31]
    date_format = formats(lang)["spreadsheet_date"]
    sheet.append([words["title"]])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([words["period"], report.start, report.end])
    sheet.append([words["as_of"], report.as_of])
    for cell in (sheet["B2"], sheet["C2"], sheet["B3"]):
        cell.number_format = date_format
        cell.alignment = Alignment(horizontal="left")
    sheet.append([words["scope"]])
    sheet["A4"].font = Font(italic=True)
    heading_fill = PatternFill("solid", fgColor="DDE4EE")
    rule = Border(bottom=Side(style="thin", color="7F8FA6"))
    for heading, columns, rows in _sections(report, lang, organisations):
        sheet.append([])
        sheet.append([heading, *columns, *[None] * (3 - len(columns))])
        for cell in sheet[sheet.max_row][:4]:  # one band as wide as the widest section
            cell.font, cell.fill, cell.border = Font(bold=True), heading_fill, rule
            if cell.column > 1:
                cell.alignment = Alignment(horizontal="right")
        for label, *values in rows:
            sheet.append([label, *values])
            for cell, value in zip(sheet[sheet.max_row][1:], values, strict=False):
                if isinstance(value, Decimal):
                    cell.number_format = "#,##0" + ("." + "0" * _digits(label) if _digits(label) else "")
                elif isinstance(value, float):
                    cell.number_format = "0.0"
            sheet.cell(sheet.max_row, 1).alignment = Alignment(indent=1)
    sheet.column_dimensions["A"].width = 56
    for column in "BCD":
        sheet.column_dimensions[column].width = 15
    # Printed: A4 portrait, one page wide, margins for a binder, the title and pages in header/footer.
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.7
    sheet.page_margins.top = sheet.page_margins.bottom = 0.8
    sheet.oddHeader.center.text = f"{words['title']} {_day(report.start, lang)} – {_day(report.end, lang)}"
    sheet.oddFooter.center.text = words["page"]
    sheet.print_options.gridLines = False
    data = io.BytesIO()
    book.save(data)
    write_private(Path(target), data.getvalue())
