"""The register's vocabulary without its machinery: the command line builds its parser from these
without importing SQLAlchemy, Alembic or openpyxl (a second saved on every ``klageformular`` start).
"""

from __future__ import annotations

STATUSES = ("unreadable", "received", "acknowledged", "under_review", "inadmissible", "decided", "closed",
            "escalated")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "unreadable": ("received", "closed"),
    "received": ("acknowledged", "escalated"),
    "acknowledged": ("under_review", "inadmissible", "escalated"),
    "under_review": ("decided", "escalated"),
    "inadmissible": ("closed", "escalated"),
    "decided": ("closed", "escalated"),
    "closed": ("escalated",),
    "escalated": ("under_review", "decided", "closed"),
}
OPEN_STATUSES = ("unreadable", "received", "acknowledged", "under_review", "escalated")
OUTCOMES = ("upheld", "partly_upheld", "not_upheld")
EXPORT_LANGUAGES = ("da", "en", "nb", "sv")
CSV_DIALECTS = ("excel-da", "rfc4180")
assert set(TRANSITIONS) == set(STATUSES)
