"""The complaint register: every complaint received, its deadlines, and the measures taken.

A real database through SQLAlchemy 2 — an SQLite file in WAL mode for one officer, or a
shared PostgreSQL (psycopg 3) — with Alembic migrations that ship in the package and run
when the engine is made. The engine is made at the edge (CLI, website) and passed in;
nothing here reads environment variables.

- :class:`Register`: the service over the engine — every read and change in a session the
  caller owns (``register.reading()``, a :class:`ReadSession`, for one that only reads and takes
  no write lock; :func:`read_session` over an engine), typed results (:class:`Case`,
  :class:`Event`, :class:`Document`, :class:`DueList`, :class:`Report` …), a version per case
  so concurrent changes are refused; corrections, merges, assignees. The functions below are thin wrappers of it, one
  transaction each.
- :func:`import_batch` / :func:`add_record`: batch records into entries with reference
  numbers ``KLA-2026-0001`` (per organisation and year, gapless, unique under concurrent
  imports); duplicates become source files of their original; unreadable files are entries.
- :func:`set_status` / :func:`add_note`: the workflow (``received → acknowledged →
  under_review | inadmissible → decided → closed``, plus ``escalated``), each change an event.
- :func:`due`, :func:`list_complaints`, :func:`show`: what to do, what there is;
  :meth:`Register.find` / :meth:`Register.due_sections` (:class:`CaseFilter` → :class:`CasePage`,
  :class:`DueSections`): lists the database counts and pages, and search, for the workbench.
- :func:`record_measure` / :func:`categorize`: the measures taken on a case and its category
  (product, cause from the profile's lists), each an event; :func:`report` / :func:`build_report`:
  the figures per period as a typed :class:`Report` (aggregated by the database), written for
  people by :func:`report_text` and :func:`write_report_xlsx`.
- :func:`export_xlsx` / :func:`export_csv`: for people and spreadsheets.
- :func:`write_register_letter` / :func:`letter_case_from_register`: the acknowledgement and
  decision letters by reference, each recorded as an event with the file's sha256 and queued in
  the outbox (:class:`OutgoingMessage`): :meth:`Register.send` / :meth:`Register.retry` send it by
  SMTP (:class:`SendResult`), :meth:`Register.posted` marks a paper one posted; the status moves
  then (received → acknowledged, → decided with the outcome).
- :func:`list_documents` / :func:`read_document` / :func:`write_document`: every file a case
  holds (received, message, attachment, letter), stored in the database by sha256.
- :func:`copy_register`: a whole register into an empty database (SQLite ⇄ PostgreSQL).
- Retention (revision 0015): :meth:`Register.purge` anonymises cases closed longer than their profile's
  ``retention_years_after_closure`` and not on legal hold (:meth:`Register.hold` / :meth:`Register.release`);
  :meth:`Register.erase` does the same for one closed case on request; :meth:`Register.subject_access`
  writes everything about a person to a folder (GDPR art. 15). Rules in ``_retention.py``.
- :class:`WatchRun` / :meth:`Register.record_run` / :meth:`Register.runs`: what each run of
  ``klageformular watch`` read, imported and sent (counts only); :meth:`Register.acknowledge_complete`
  sends the acknowledgements of complete new cases (``watch --auto-ack``, :class:`AutoAcknowledged`).

>>> from datetime import date
>>> from klageformular.register import add_record, create_register_engine, due
>>> engine = create_register_engine("sqlite://")
>>> add_record(engine, {"source": "a.pdf", "sha256": "0" * 64, "received": "2026-11-27",
...                     "reason": "unreadable", "status": "unreadable"}).reference
'KLA-2026-0001'
>>> due(engine, date(2026, 12, 3)).overdue[0].deadline
datetime.date(2026, 12, 2)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
from ._names import CATEGORY_FACETS, MEASURES, OUTCOMES, STATUSES, TRANSITIONS

if TYPE_CHECKING:
    from ._autoack import AutoAcknowledged
    from ._copy import CopySummary, copy_register
    from ._db import create_register_engine, current_revision, head_revision, upgrade
    from ._deadlines import Profile
    from ._documents import (
        BatchFiles,
        CaseDocument,
        DocumentLimits,
        MemoryFiles,
        list_documents,
        read_document,
        write_document,
    )
    from ._export import export_csv, export_xlsx
    from ._intake import IntakeResult, IntakeSummary, add_record, import_batch, related_keys
    from ._letters import RegisterLetter, letter_case_from_register, write_register_letter
    from ._lists import CaseFilter, CasePage, DueSection, DueSections, ListRow, MonthCount, received_by_month
    from ._measures import Categorization, Measure, categorize, measures_of, record_measure
    from ._probe import DEFAULT_URL, ENV_VAR, resolve_url
    from ._query import DueReport, due, list_complaints, show, working_days_between
    from ._reads import ReadSession, read_session
    from ._report import Compensation, MeasureFigure, Period, Report, Spread, WorkingDays, build_report, report
    from ._report_render import report_text, write_report_xlsx
    from ._runs import WatchRun
    from ._service import ImportDone, Register
    from ._types import (
        Case,
        CaseCategory,
        CaseSummary,
        ConversationMessage,
        Correction,
        Correspondence,
        DeadlineChange,
        Document,
        DueItem,
        DueList,
        DueStream,
        Event,
        OutgoingMessage,
        Related,
        ReviewEntry,
        Sender,
        SendResult,
        SourceFile,
        StatusChange,
    )
    from ._workflow import add_note, reference_prefix, set_status

__all__ = [
    "CATEGORY_FACETS",
    "DEFAULT_URL",
    "ENV_VAR",
    "MEASURES",
    "OUTCOMES",
    "STATUSES",
    "TRANSITIONS",
    "AutoAcknowledged",
    "BatchFiles",
    "Case",
    "CaseCategory",
    "CaseDocument",
    "CaseFilter",
    "CasePage",
    "CaseSummary",
    "Categorization",
    "Compensation",
    "ConversationMessage",
    "CopySummary",
    "Correction",
    "Correspondence",
    "DeadlineChange",
    "Document",
    "DocumentLimits",
    "DueItem",
    "DueList",
    "DueReport",
    "DueSection",
    "DueSections",
    "DueStream",
    "Event",
    "ImportDone",
    "IntakeResult",
    "IntakeSummary",
    "ListRow",
    "Measure",
    "MeasureFigure",
    "MemoryFiles",
    "MonthCount",
    "OutgoingMessage",
    "Period",
    "Profile",
    "ReadSession",
    "Register",
    "RegisterLetter",
    "Related",
    "Report",
    "ReviewEntry",
    "SendResult",
    "Sender",
    "SourceFile",
    "Spread",
    "StatusChange",
    "WatchRun",
    "WorkingDays",
    "add_note",
    "add_record",
    "build_report",
    "categorize",
    "copy_register",
    "create_register_engine",
    "current_revision",
    "due",
    "export_csv",
    "export_xlsx",
    "head_revision",
    "import_batch",
    "letter_case_from_register",
    "list_complaints",
    "list_documents",
    "measures_of",
    "read_document",
    "read_session",
    "received_by_month",
    "record_measure",
    "reference_prefix",
    "related_keys",
    "report",
    "report_text",
    "resolve_url",
    "set_status",
    "show",
    "upgrade",
    "working_days_between",
    "write_document",
    "write_register_letter",
    "write_report_xlsx",
]

# Imported on first use (PEP 562): the command line reads this package for every start, and
# SQLAlchemy, Alembic and openpyxl take about a second to import.
_HOMES = {
    **dict.fromkeys(("create_register_engine", "current_revision", "head_revision", "upgrade"), "_db"),
    **dict.fromkeys(("DEFAULT_URL", "ENV_VAR", "resolve_url"), "_probe"),
    **dict.fromkeys(("export_csv", "export_xlsx"), "_export"),
    **dict.fromkeys(("CopySummary", "copy_register"), "_copy"),
    **dict.fromkeys(("BatchFiles", "CaseDocument", "DocumentLimits", "MemoryFiles", "list_documents",
                     "read_document", "write_document"), "_documents"),
    **dict.fromkeys(("IntakeResult", "IntakeSummary", "add_record", "import_batch", "related_keys"), "_intake"),
    **dict.fromkeys(("DueReport", "due", "list_complaints", "show", "working_days_between"), "_query"),
    **dict.fromkeys(("ImportDone", "Register"), "_service"),
    "Profile": "_deadlines",
    **dict.fromkeys(("Case", "CaseCategory", "CaseSummary", "ConversationMessage", "Correction", "Correspondence",
                     "DeadlineChange", "Document", "DueItem", "DueList", "DueStream", "Event", "OutgoingMessage",
                     "Related", "ReviewEntry", "SendResult", "Sender", "SourceFile", "StatusChange"), "_types"),
    # Measures taken, categories and the report (issue 24 item 10):
    **dict.fromkeys(("Categorization", "Measure", "categorize", "measures_of", "record_measure"), "_measures"),
    **dict.fromkeys(("Compensation", "MeasureFigure", "Period", "Report", "Spread", "WorkingDays", "build_report",
                     "report"), "_report"),
    **dict.fromkeys(("report_text", "write_report_xlsx"), "_report_render"),
    **dict.fromkeys(("RegisterLetter", "letter_case_from_register", "write_register_letter"), "_letters"),
    **dict.fromkeys(("add_note", "reference_prefix", "set_status"), "_workflow"),
    "WatchRun": "_runs",  # the watch's runs (revision 0011)
    # The workbench's lists: due sections, filtered pages, search, months (revision 0017)
    **dict.fromkeys(("CaseFilter", "CasePage", "DueSection", "DueSections", "ListRow", "MonthCount",
                     "received_by_month"), "_lists"),
    "AutoAcknowledged": "_autoack",  # watch --auto-ack
    **dict.fromkeys(("ReadSession", "read_session"), "_reads"),  # units of work that only read
}


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, globals())
