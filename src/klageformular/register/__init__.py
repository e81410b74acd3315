"""The complaint register: every complaint received, its deadlines, and the measures taken.

A real database through SQLAlchemy 2 — an SQLite file in WAL mode for one officer, or a
shared PostgreSQL (psycopg 3) — with Alembic migrations that ship in the package and run
when the engine is made. The engine is made at the edge (CLI, website) and passed in;
nothing here reads environment variables.

- :func:`import_batch` / :func:`add_record`: batch records into entries with reference
  numbers ``KLA-2026-0001`` (per organisation and year, gapless, unique under concurrent
  imports); duplicates become source files of their original; unreadable files are entries.
- :func:`set_status` / :func:`add_note`: the workflow (``received → acknowledged →
  under_review | inadmissible → decided → closed``, plus ``escalated``), each change an event.
- :func:`due`, :func:`list_complaints`, :func:`show`, :func:`report`: what to do, what there is.
- :func:`export_xlsx` / :func:`export_csv`: for people and spreadsheets.

>>> engine = create_register_engine("sqlite://")
>>> add_record(engine, {"source": "a.pdf", "sha256": "0" * 64, "received": "2026-11-27",
...                     "reason": "unreadable", "status": "unreadable"}).reference
'KLA-2026-0001'
>>> due(engine, date(2026, 12, 3)).overdue[0].deadline
datetime.date(2026, 12, 2)
"""

from datetime import date

from ._db import DEFAULT_URL, ENV_VAR, create_register_engine, current_revision, head_revision, resolve_url, upgrade
from ._export import export_csv, export_xlsx
from ._intake import IntakeResult, IntakeSummary, add_record, import_batch, related_keys
from ._query import DueItem, DueReport, due, list_complaints, report, show, working_days_between
from ._workflow import OUTCOMES, TRANSITIONS, add_note, reference_prefix, set_status

__all__ = [
    "DEFAULT_URL",
    "ENV_VAR",
    "OUTCOMES",
    "TRANSITIONS",
    "DueItem",
    "DueReport",
    "IntakeResult",
    "IntakeSummary",
    "add_note",
    "add_record",
    "create_register_engine",
    "current_revision",
    "due",
    "export_csv",
    "export_xlsx",
    "head_revision",
    "import_batch",
    "list_complaints",
    "reference_prefix",
    "related_keys",
    "report",
    "resolve_url",
    "set_status",
    "show",
    "upgrade",
    "working_days_between",
]
_ = date  # the module docstring's example uses it
