"""The review item: one value a person must look at, kept as typed (a low layer: errors and readers share it).

It lives below both :mod:`klageformular.exceptions` (``ComplaintValidationError`` carries
review items) and :mod:`klageformular.parse.validate` (which makes them), so neither
imports the other; ``klageformular.ReviewItem`` is the public name.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ReviewItem"]


@dataclass(frozen=True)
class ReviewItem:
    """One thing an officer must look at in a received complaint.

    ``value`` is exactly what the customer typed (None when nothing was, e.g. a required field
    left empty); ``label`` is the field's label in the form's language; ``message`` is in
    English and ``message_local`` in the form's language — neither contains the value.
    """

    path: str
    label: str
    value: str | None
    code: str
    message: str
    message_local: str
