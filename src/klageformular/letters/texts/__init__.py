"""The letters' sentences per language (``da``, ``en``, ``nb``, ``sv``), beside the form's catalogues.

One flat ``TEXTS`` dict per language module; ``{placeholders}`` are filled by
:mod:`klageformular.letters` from the case and the organisation profile.
"""

from __future__ import annotations

import importlib
from functools import cache

from ...exceptions import LanguageNotAvailableError
from ...locales import LANGUAGES

__all__ = ["texts"]


@cache
def texts(lang: str) -> dict[str, str]:
    """The letter texts of one language; :class:`LanguageNotAvailableError` if there are none."""
    if lang not in LANGUAGES:
        raise LanguageNotAvailableError(f"unknown language {lang!r} (use one of {', '.join(LANGUAGES)})")
    strings: dict[str, str] = importlib.import_module(f"{__name__}.{lang}").TEXTS
    return strings
