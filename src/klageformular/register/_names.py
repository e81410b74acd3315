"""The register's vocabulary without its machinery: the command line builds its parser from these
without importing SQLAlchemy, Alembic or openpyxl (a second saved on every ``klageformular`` start).
"""

from __future__ import annotations

from ..locales import LANGUAGES

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
# One vocabulary for the register, the letters and every command line. Input also takes the names
# letters used before (``letter decision --outcome rejected`` in officers' scripts); nothing stored
# ever held them, so the database needs no migration.
OUTCOMES = ("upheld", "partly_upheld", "not_upheld")
OUTCOME_ALIASES = {"rejected": "not_upheld"}
EXPORT_LANGUAGES = LANGUAGES  # every language's catalogue carries the register's words
CSV_DIALECTS = ("excel-da", "rfc4180")
assert set(TRANSITIONS) == set(STATUSES)


def outcome_code(value: str) -> str:
    """The outcome's name in :data:`OUTCOMES` for ``value`` or an old name of it; anything else unchanged
    (the caller refuses it, naming the known ones).

    >>> outcome_code("rejected"), outcome_code("upheld"), outcome_code("won")
    ('not_upheld', 'upheld', 'won')
    """
    return OUTCOME_ALIASES.get(value, value)


# Measures taken (register measure; issue 24 item 10): the assessment steps Kameo's complaints page
# says the officer considers, the internal consequences it names, and compensation paid.
MEASURES = ("information_requested", "external_advice", "other_complaints_checked", "changed_routines",
            "changed_practice", "staff_training", "other_consequence", "compensation")
CATEGORY_FACETS = ("product", "cause")
REPORT_LANGUAGES = ("da", "en")
