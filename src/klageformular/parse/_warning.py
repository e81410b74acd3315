"""The one shape of a parsing warning, appended directly by both readers and by ``parse_pdf``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ParseWarning"]


@dataclass(frozen=True)
class ParseWarning:
    """Something the officer should look at; ``path`` names the field, never its value.

    >>> ParseWarning("overflow", "subject", "the text fills the box at the smallest size")
    ParseWarning(code='overflow', path='subject', message='the text fills the box at the smallest size')
    """

    code: str
    path: str | None
    message: str
