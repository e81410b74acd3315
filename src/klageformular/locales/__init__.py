"""Language catalogues: every label, tooltip, option, heading, information text and message.

One flat ``STRINGS`` dict per language module (``da``, ``en``, ``nb``, ``sv``), keyed by
field path (``complainant.email``), ``<path>.tip`` for tooltips, ``<path>.<value>`` for
radio options, and plain keys for static text. Texts may hold ``{placeholders}`` that the
renderer fills from the :class:`~klageformular.org.Organisation`.

>>> label("complainant.email", "da")
'E-mail'
"""

from __future__ import annotations

import importlib
from functools import cache

from ..exceptions import LanguageNotAvailableError

__all__ = ["LANGUAGES", "available_languages", "catalogue", "label", "option_label", "text", "tooltip"]

LANGUAGES = ("da", "en", "nb", "sv")
DEFAULT_LANGUAGE = "da"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The whole catalogue of one language; :class:`LanguageNotAvailableError` if there is none."""
    if lang not in LANGUAGES:
        raise LanguageNotAvailableError(f"unknown language {lang!r} (use one of {', '.join(LANGUAGES)})")
    try:
        module = importlib.import_module(f"{__name__}.{lang}")
    except ModuleNotFoundError:
        raise LanguageNotAvailableError(f"the form is not yet available in {lang!r}") from None
    strings: dict[str, str] = module.STRINGS
    return strings


def available_languages() -> list[str]:
    """Languages with a complete catalogue."""
    out = []
    for lang in LANGUAGES:
        try:
            catalogue(lang)
        except LanguageNotAvailableError:
            continue
        out.append(lang)
    return out


def text(key: str, lang: str) -> str:
    """A static text; ``KeyError`` names the missing key and language."""
    try:
        return catalogue(lang)[key]
    except KeyError:
        raise KeyError(f"{lang}: no text for {key!r}") from None


def label(path: str, lang: str) -> str:
    """The label printed above (or beside) a field."""
    return text(path, lang)


def tooltip(path: str, lang: str) -> str:
    """The field's tooltip (/TU): what to write, in a full sentence."""
    return text(f"{path}.tip", lang)


def option_label(path: str, value: str, lang: str) -> str:
    """The label of one radio option."""
    return text(f"{path}.{value}", lang)
