"""The register for people: an Excel workbook (XlsxWriter) or a CSV file Danish Excel opens as columns.

Every cell that a customer typed is written as text, never as a formula: a string goes
through XlsxWriter's ``write_string`` (``=HYPERLINK(…)`` stays text), and the CSV goes through
:func:`klageformular.batch.csv_cell`.

Everything is in the sheet's language: headers, statuses, outcomes and what to check (each
review item as "field: problem" from the locale catalogues, not its code). Printed, a sheet is
A4 landscape, one page wide, the header row on every page, long texts wrapped in columns
narrow enough that the type stays readable (about 8 pt on paper, not 4).

Both exports stream: the database hands over the printed columns a chunk at a time and each
row is written as it comes (the workbook in XlsxWriter's constant-memory mode), so a register of five
years costs the time of its rows and the memory of one chunk. Each export is one read-only unit of
work (a connection of :func:`~._db.reading`): it sees one snapshot of the register and holds no write lock,
so intake and officers keep writing while it runs.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Row, select
from sqlalchemy.orm import Session

from .._files import _FORMULA_START, csv_cell, writing_private
from ..exceptions import ConfigurationError
from ..layout import field_by_path
from ..locales import Texts, formats, register_words
from ..org import organisation_keys
from ._db import reading
from ._names import CSV_DIALECTS, EXPORT_LANGUAGES
from ._reads import read_session
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
    --json`` has the codes). Whole lists, for a small register; the exports stream them
    (:func:`entry_rows`, :func:`event_rows`).
    """
    with read_session(engine) as session:
        return list(entry_rows(session, lang)), list(event_rows(session, lang))


# Rows come from the database this many at a time (a server-side cursor on PostgreSQL): an
# export's memory stays that of one chunk however large the register is.
_CHUNK = 1000
# Only what the sheet prints: no full ORM rows, none of the JSON columns it never shows (raw,
# mail, warnings), no events loaded per case.
_ENTRY_QUERY = (select(ComplaintRow.reference, ComplaintRow.received, ComplaintRow.acknowledge_by,
                       ComplaintRow.decide_by, ComplaintRow.status, ComplaintRow.complaint, ComplaintRow.review,
                       ComplaintRow.message, ComplaintRow.organisation, ComplaintRow.language,
                       ComplaintRow.channel, ComplaintRow.acknowledged_on, ComplaintRow.decided_on,
                       ComplaintRow.outcome)
                .order_by(ComplaintRow.prefix, ComplaintRow.year, ComplaintRow.number))
_EVENT_QUERY = (select(ComplaintRow.reference, EventRow.at, EventRow.who, EventRow.what, EventRow.from_status,
                       EventRow.to_status, EventRow.note)
                .join(ComplaintRow, ComplaintRow.id == EventRow.complaint_id)
                .order_by(ComplaintRow.prefix, ComplaintRow.year, ComplaintRow.number, EventRow.id))


def entry_rows(session: Session | Connection, lang: str) -> Iterator[dict[str, Any]]:
    """The sheet's rows, one per entry in reference order, read from the database in chunks."""
    for values in _entry_values(session, lang):
        yield dict(zip(_COLUMNS, values, strict=True))


def _entry_values(session: Session | Connection, lang: str) -> Iterator[tuple[Any, ...]]:
    """Each entry's values in the order of :data:`_COLUMNS` (what :func:`entry_rows` names)."""
    texts: dict[str | None, Texts] = {}  # one catalogue per profile, not one per row
    words = register_words(lang)
    # Exports read through a Core connection: the ORM's per-row bookkeeping of a session was a
    # fifth of a CSV export's time, for rows that are plain columns anyway. Closed when the caller
    # stops early too: an SQLite statement left open keeps its snapshot after the read ends, and
    # the connection's next write would fail on it (SQLITE_BUSY_SNAPSHOT).
    with session.execute(_ENTRY_QUERY.execution_options(yield_per=_CHUNK)) as result:
        for row in result:
            yield _values(row, lang, words, texts)


def event_rows(session: Session | Connection, lang: str) -> Iterator[dict[str, Any]]:
    """Every event, grouped by entry in reference order (then as recorded), read in chunks."""
    words = register_words(lang)
    with session.execute(_EVENT_QUERY.execution_options(yield_per=_CHUNK)) as result:  # closed early too
        for reference, at, who, what, from_status, to_status, note in result:
            yield {"reference": reference, "at": utc(at).replace(tzinfo=None, microsecond=0), "who": who,
                   "what": what, "from": _word("status", from_status, words), "to": _word("status", to_status, words),
                   "note": note}


def _word(kind: str, code: str | None, words: dict[str, str]) -> str | None:
    """A status or outcome in the sheet's language (the code itself if the language has no word)."""
    return words.get(f"{kind}.{code}", code) if code else None


def _values(row: Row[Any], lang: str, words: dict[str, str], texts: dict[str | None, Texts]) -> tuple[Any, ...]:
    """One entry's values in the order of :data:`_COLUMNS`."""
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
    # The catalogue by the stored profile key (an unknown or no key: the default's), looked up once per key.
    catalogue = texts.get(row.organisation)
    if catalogue is None:
        known = row.organisation if row.organisation in organisation_keys() else None
        catalogue = texts[row.organisation] = Texts.of(lang, known)
    return (row.reference, row.received, row.acknowledge_by, row.decide_by, _word("status", row.status, words), name,
            person.get("email") or contact.get("email"), subject or row.message,
            (complaint.get("investment") or {}).get("reference") or None, amount, damage.get("currency"),
            _review(row.review, catalogue), row.language, row.channel, row.acknowledged_on, row.decided_on,
            _word("outcome", row.outcome, words))


def _review(items: list[Any], texts: Texts) -> str | None:
    """What to check, in the sheet's language: "field: problem" per item from the catalogues, one per line."""
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


#: Rows in one sheet of an ``.xlsx`` file (Excel's limit, the header row included).
EXCEL_ROWS = 1_048_576
# Characters in one cell (Excel's limit; a longer text makes Excel "repair" the file and cut it).
_CELL_CHARS = 32_767
# XlsxWriter's options: nothing typed is turned into a formula, a link or a number, and the
# sheets are written row by row to temporary files (unnamed, 0600) instead of kept in memory.
_BOOK_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                 "strings_to_numbers": False}
_DIGIT_PIXELS = 7  # Calibri 11's digit, in pixels: the unit of a column's width


def export_xlsx(engine: Engine, target: str | os.PathLike[str], *, lang: str = "da",
                max_rows: int = EXCEL_ROWS) -> int:
    """Write the register to an ``.xlsx`` workbook; returns the number of entries.

    Sheet 1: one row per entry, headers in ``lang``, real date and number cells, header frozen,
    filter on. Sheet 2: every event. A sheet holds ``max_rows`` rows (Excel's limit; smaller
    only to test it): what does not fit continues on a next sheet of the same columns
    ("Hændelser (2)"), and the full sheet's last row says where.

    The workbook is written as the rows come (XlsxWriter's constant-memory mode, its sheets in
    temporary files of its own, 0600), so time and memory grow with the register, not its square.

    >>> export_xlsx(engine, "register.xlsx", lang="da")    # doctest: +SKIP
    42
    """
    from xlsxwriter import Workbook

    if lang not in EXPORT_LANGUAGES:
        raise ConfigurationError(f"no export headers for language {lang!r} (known: {', '.join(EXPORT_LANGUAGES)})")
    if max_rows < 3:
        raise ValueError("max_rows must leave room for a header, a row and the continuation line")
    words = register_words(lang)
    # A read-only connection (reading()): one snapshot, no write lock for the whole export.
    with writing_private(Path(target)) as f, Workbook(f, _BOOK_OPTIONS) as book, \
            reading(engine).connect() as connection:
        looks = _Looks(book, lang)
        entries = _Sheets(book, looks, words["sheet.complaints"], _COLUMNS, "column", lang, max_rows)
        entries.write(entry_rows(connection, lang))
        events = _Sheets(book, looks, words["sheet.events"], _EVENT_COLUMNS, "event_column", lang, max_rows)
        events.write(event_rows(connection, lang))
    return entries.count


class _Looks:
    """The workbook's cell formats, made once: XlsxWriter keeps each format object a workbook adds."""

    def __init__(self, book: Any, lang: str) -> None:
        self.book = book
        self.day = formats(lang)["spreadsheet_date"]
        self.cache: dict[tuple[bool, bool, str | None], Any] = {}

    def get(self, *, wrapped: bool, bold: bool = False, number_format: str | None = None) -> Any:
        key = (wrapped, bold, number_format)
        look = self.cache.get(key)
        if look is None:
            # XlsxWriter's default font is Calibri 11 (without a name, LibreOffice would take a serif).
            spec: dict[str, Any] = {"valign": "top", "text_wrap": wrapped, "bold": bold}
            if number_format is not None:
                spec["num_format"] = number_format
            look = self.cache[key] = self.book.add_format(spec)
        return look


class _Sheets:
    """Rows of one table into constant-memory sheets of at most ``max_rows`` rows, each with the header and the look.

    A constant-memory sheet is written row by row: each row's height is set just before its
    cells, and a row once left is never touched again; the filter's range is set at the end.
    """

    def __init__(self, book: Any, looks: _Looks, title: str, keys: tuple[str, ...], kind: str, lang: str,
                 max_rows: int) -> None:
        self.book, self.looks, self.title, self.keys, self.max_rows = book, looks, title, keys, max_rows
        self.words = register_words(lang)
        self.headers = [self.words[f"{kind}.{k}"] for k in keys]
        self.widths = [(_WIDTHS if kind == "column" else _EVENT_WIDTHS)[k] for k in keys]
        self.header_look = looks.get(wrapped=True, bold=True)  # a long header wraps
        self.continued_look = looks.get(wrapped=False, bold=True)
        # Per column: its width and the looks of a text, a date and an amount in it.
        self.columns = [(key, width, key in _WRAPPED, looks.get(wrapped=key in _WRAPPED),
                         looks.get(wrapped=key in _WRAPPED, number_format=looks.day + (" hh:mm" * (key == "at"))),
                         looks.get(wrapped=key in _WRAPPED, number_format="#,##0.00"))
                        for key, width in zip(keys, self.widths, strict=True)]
        self.count = 0  # data rows in all sheets
        self.sheets: list[Any] = []
        self._open()

    def _open(self) -> None:
        number = len(self.sheets) + 1
        sheet = self.book.add_worksheet(self.title if number == 1 else f"{self.title} ({number})")
        self.sheets.append(sheet)
        self.sheet, self.row = sheet, 0
        for index, width in enumerate(self.widths):
            # The width as Excel stores it (the cell's padding included), as openpyxl wrote it:
            # XlsxWriter's set_column would add the padding to it.
            sheet.set_column_pixels(index, index, round(width * _DIGIT_PIXELS))
        sheet.freeze_panes(1, 0)
        # Printed: A4 landscape, narrow margins, one page wide, the header on every page.
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
        sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        sheet.repeat_rows(0)
        sheet.hide_gridlines(0)  # gridlines on screen and on paper: rows of wrapped text stay apart
        sheet.set_footer("&C&P / &N")
        lines = max(_lines(h, w) for h, w in zip(self.headers, self.widths, strict=True))
        self._height(lines)
        for column, text in enumerate(self.headers):
            sheet.write_string(0, column, text, self.header_look)
        self.row = 1

    def _height(self, lines: int) -> None:
        # Row heights are set, not left to the program: LibreOffice does not fit rows to wrapped
        # text when it opens an .xlsx, and the text would be cut (lines: 0 for the default height).
        if lines:
            self.sheet.set_row(self.row, lines * _LINE_HEIGHT)

    def write(self, table: Iterator[dict[str, Any]]) -> None:
        """Every row of ``table``, continuing on a new sheet when one is full; then the last sheet's filter."""
        values = next(table, None)
        while values is not None:
            following = next(table, None)
            # One row left and at least two to write: the last row says where the rest is.
            if self.row == self.max_rows - 1 and following is not None:
                title = f"{self.title} ({len(self.sheets) + 1})"
                self.sheet.write_string(self.row, 0, self.words["sheet.continued"].format(sheet=title),
                                        self.continued_look)
                self._filter(rows=self.max_rows - 1)
                self._open()
            self._append_values(values)
            values = following
        self._filter(rows=max(self.row, 1))

    def _append_values(self, values: dict[str, Any]) -> None:
        row, sheet = self.row, self.sheet
        lines = max([_lines(values[key], width) for key, width, wrapped, *_ in self.columns if wrapped] or [1])
        self._height(lines if lines > 1 else 0)
        for column, (key, _width, _wrapped, text, day, amount) in enumerate(self.columns):
            value = values[key]
            if isinstance(value, str):  # what a customer typed is text, never a formula
                sheet.write_string(row, column, _fits(value), text)
            elif value is None:
                sheet.write_blank(row, column, None, text)
            elif isinstance(value, date):  # a datetime too
                sheet.write_datetime(row, column, value, day)
            elif isinstance(value, Decimal) and value.is_finite():
                sheet.write_number(row, column, float(value), amount)
            else:  # nothing else is in the columns today; kept as its text rather than lost
                sheet.write_string(row, column, _fits(str(value)), text)
        # Writing this row wrote out the one before; XlsxWriter would keep its height to the end
        # (row_info, row_sizes: a million rows, a million entries), so it is dropped here.
        for kept in (sheet.row_info, sheet.row_sizes):
            kept.pop(row - 1, None)
        self.row += 1
        self.count += 1

    def _filter(self, *, rows: int) -> None:
        """The filter over the sheet's header and data (written when the workbook closes)."""
        self.sheet.autofilter(0, 0, rows - 1, len(self.keys) - 1)


def _fits(text: str) -> str:
    """``text`` within one cell's limit (in UTF-16 units), cut visibly: XlsxWriter would cut it silently."""
    if len(text) <= _CELL_CHARS // 2 or len(text.encode("utf-16-le")) // 2 <= _CELL_CHARS:
        return text
    cut = text[:_CELL_CHARS - 1]
    while len(cut.encode("utf-16-le")) // 2 > _CELL_CHARS - 1:
        cut = cut[:-1]
    return cut + "…"


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
    cells = _csv_cells(spec)
    count = 0
    with writing_private(Path(target)) as f, reading(engine).connect() as connection:
        text = io.TextIOWrapper(f, encoding="utf-8-sig", newline="")
        writer = csv.writer(text, delimiter=spec["delimiter"], lineterminator="\r\n")
        writer.writerow([register_words(lang)[f"column.{k}"] for k in _COLUMNS])
        for values in _entry_values(connection, lang):  # written as read: memory stays that of one chunk
            writer.writerow(cells(values))
            count += 1
        text.flush()
        text.detach()  # the file is writing_private's to close
    return count


def _csv_cells(spec: dict[str, Any]) -> Callable[[tuple[Any, ...]], list[str]]:
    """A row's values as CSV cells, exactly as :func:`_csv_value` writes each, without a call per cell.

    The common cells are taken in line: a text that cannot start a formula is itself, nothing
    is empty, and a day is formatted once per day (a register of five years has a few thousand
    days in a million rows). Anything else goes through :func:`_csv_value`.
    """
    day_format = spec["date"]

    @cache
    def day(value: date) -> str:
        return value.strftime(day_format)

    def cells(values: tuple[Any, ...]) -> list[str]:
        # ``type(v) is date``, not isinstance: a datetime (a subclass) is never equal to a date,
        # but it is formatted through _csv_value like any other value, not taken from the cache.
        return [v if type(v) is str and not v.startswith(_FORMULA_START) else
                "" if v is None else day(v) if type(v) is date else _csv_value(v, spec) for v in values]

    return cells


def _csv_value(value: Any, spec: dict[str, Any]) -> str:
    if isinstance(value, date):
        return value.strftime(spec["date"])
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", spec["decimal"])
    return csv_cell(value)
