"""What the case page says about a case's retention: its legal hold, or its erasure (revision 0015).

Viewing only: holding, releasing and erasing stay the command line's (``register hold|release|
erase|purge``). The hold's since / by / reason come on the case itself (:class:`Case`); what an
erasure was made under (the retention policy or a request) and by whom are read here, from the
retention row and the ``erased`` event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..register import Case

__all__ = ["ErasedView", "retention_context"]


@dataclass(frozen=True)
class ErasedView:
    """An erased case: when, under what (``retention`` or ``request``), by whom."""

    at: datetime
    under: str
    by: str


def retention_context(session: Session, case: Case) -> dict[str, Any]:
    """``erased``: an :class:`ErasedView` for an erased case, else None."""
    if case.erased_at is None:
        return {"erased": None}
    from ..register._schema import RetentionRow
    from ..register._workflow import get_complaint

    state = session.get(RetentionRow, get_complaint(session, case.reference).id)
    event = next((e for e in reversed(case.events) if e.what == "erased"), None)
    return {"erased": ErasedView(at=case.erased_at, under=(state.erased_under if state else None) or "retention",
                                 by=event.who if event else "?")}
