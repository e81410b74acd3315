"""The content key: one complaint arriving as several files (a printed copy, a resend) is found by it.

Two received forms are the same complaint when they hold the same text in every text field
the customer fills in, section 1.a to 3.e — names, registration numbers, addresses, phones,
emails, client and investment references, subject, dates, damage, amount, currency, other
comments and the list of other documents. Left out, because they change between two
sendings of one complaint or read differently from a printed copy: the tick boxes and
radio buttons (reply channel, role, documentation, signatory) and the signature's place and
date. Each value is normalised before hashing — Unicode NFKC, case-folded, every whitespace
character removed (a printed copy wraps lines where the form had spaces) — and the key is
the SHA-256 of the sorted ``path=value`` pairs.

A form without a subject has no key (``None``): two empty complaints are not the same one.
A complaint with the same person but another subject has another key.

>>> a = content_key({"complainant.last_name": "Hansen", "subject": "Renten  blev\\nikke betalt"})
>>> a == content_key({"complainant.last_name": "HANSEN", "subject": "Renten blev ikke betalt",
...                   "signature.date": "01-12-2026"})
True
>>> a == content_key({"complainant.last_name": "Hansen", "subject": "Gebyret er for højt"})
False
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping

from ..layout import LAYOUT
from ..values import FieldValue

__all__ = ["KEY_FIELDS", "content_key"]

KEY_FIELDS: tuple[str, ...] = tuple(
    spec.path for spec in LAYOUT.fields if not spec.kind.is_choice and not spec.path.startswith("signature."))
"""The field paths whose text makes up the key, in layout order."""

_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).casefold())


def content_key(values: Mapping[str, FieldValue]) -> str | None:
    """The SHA-256 hex key of a form's typed text, or None when it has no subject."""
    parts = {p: n for p in KEY_FIELDS if isinstance(v := values.get(p), str) and (n := _normal(v))}
    if "subject" not in parts:
        return None
    canonical = "\n".join(f"{path}={value}" for path, value in sorted(parts.items()))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
