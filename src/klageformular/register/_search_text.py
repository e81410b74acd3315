"""The text a search of the register matches: one folded text per case (table ``case_search``, revision 0017).

Why a text of its own: what a person searches for (a name, an email, the subject, the
investment's reference) lives inside the complaint's JSON, and neither database folds case
beyond ASCII everywhere (SQLite's ``lower()`` and ``LIKE`` know only A–Z; PostgreSQL's follow
the cluster's locale, which may be ``C``). So Python folds the text once, when the row is
written (``str.casefold`` after NFKC: Æ → æ, ß → ss, a full-width letter → its plain one), and
a search folds its words the same way and compares with ``LIKE`` — identical on both
databases. Each part is on its own line, so a search does not match across two fields.

The ORM keeps it current (:func:`refresh`, after every flush that added or changed a case,
registered in ``_schema.py``); the migration fills it for the cases written before it.
"""

from __future__ import annotations

import unicodedata
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, inspect

__all__ = ["fold", "search_text"]

_LIMIT = 4000  # the subject is the long part; its first lines are what a person remembers


def fold(text: str) -> str:
    """``text`` as the search column holds it: NFKC, case-folded, whitespace runs as one space.

    >>> fold("  ØSTERGÅRD  Straße ")
    'østergård strasse'
    """
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def search_text(*, reference: str | None, complaint: Mapping[str, Any] | None, mail: Mapping[str, Any] | None,
                message: str | None) -> str:
    """The searchable parts of one case, folded, one per line: reference, names, emails, investment, subject."""
    data = complaint if isinstance(complaint, Mapping) else {}
    parts: list[Any] = [reference]
    for party in ("complainant", "representative"):
        person = data.get(party)
        if isinstance(person, Mapping):
            first, last = person.get("first_name"), person.get("last_name")
            parts += [" ".join(str(p) for p in (first, last) if p), person.get("email")]
    for contact in ("complainant_contact", "representative_contact"):
        details = data.get(contact)
        if isinstance(details, Mapping):
            parts.append(details.get("email"))
    investment = data.get("investment")
    if isinstance(investment, Mapping):
        parts += [investment.get("reference"), investment.get("project")]
    if isinstance(mail, Mapping):
        parts += [mail.get("from"), mail.get("subject")]
    parts += [data.get("subject"), message]
    lines = [fold(str(p)) for p in parts if p not in (None, "")]
    return "\n".join(line for line in lines if line)[:_LIMIT]


# Whether each engine's database has the table yet: a register at an older revision (tests write
# cases there, then migrate) must not be sent a table it lacks. The migration fills it for the
# cases written before; ``upgrade``/``downgrade`` forget the answer (_db.py).
_HAS_TABLE: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def forget(engine: Engine) -> None:
    """The schema changed: look again whether the table exists."""
    _HAS_TABLE.pop(engine, None)


def refresh(connection: Connection, rows: Sequence[Any]) -> None:
    """Write the search text of ``rows`` (cases just flushed) in the flush's own transaction."""
    from ._schema import CaseSearchRow

    known = _HAS_TABLE.get(connection.engine)
    if known is None:
        known = _HAS_TABLE[connection.engine] = inspect(connection).has_table("case_search")
    if not known:
        return
    ids = [r.id for r in rows]
    connection.execute(delete(CaseSearchRow).where(CaseSearchRow.complaint_id.in_(ids)))
    connection.execute(insert(CaseSearchRow), [
        {"complaint_id": r.id, "text": search_text(reference=r.reference, complaint=r.complaint, mail=r.mail,
                                                   message=r.message)} for r in rows])
