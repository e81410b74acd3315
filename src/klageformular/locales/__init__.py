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
from typing import TYPE_CHECKING

from ..exceptions import LanguageNotAvailableError

if TYPE_CHECKING:
    from ..org import Organisation

__all__ = ["LANGUAGES", "available_languages", "catalogue", "fill", "label", "option_label", "placeholders",
           "text", "tooltip"]

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


def placeholders(lang: str, org: Organisation) -> dict[str, object]:
    """Values for the ``{placeholders}`` in catalogue texts, from the organisation profile.

    Country words (``{home_country}``, ``{registry}``, ``{national_id}``) come from the
    catalogue's ``country.XX`` / ``registry.XX`` / ``national_id.XX`` keys for the profile's
    country, so a Danish-language form for Kameo Norway names Norwegian registers.
    """
    strings = catalogue(lang)
    langs = [strings[f"lang.{code}"] for code in org.languages]
    joined = langs[0] if len(langs) == 1 else f"{', '.join(langs[:-1])} {strings['or']} {langs[-1]}"
    officer = org.complaints_officer
    helpdesk = {"helpdesk_email": org.helpdesk_email or ""}
    return {
        **helpdesk,
        "org_name": org.name, "officer_name": officer.name, "officer_email": officer.email,
        "officer_phone": f"{strings['info.phone_prefix']}{officer.phone}" if officer.phone else "",
        "subject_marker": org.subject_marker, "ack_days": org.acknowledge_working_days,
        "decision_days": org.decision_working_days or "",
        # Sentences about the helpdesk vanish when the profile names none.
        "helpdesk_note": " " + strings["info.helpdesk_note"].format(**helpdesk) if org.helpdesk_email else "",
        "helpdesk_contact": " " + strings["info.helpdesk_contact"].format(**helpdesk) if org.helpdesk_email else "",
        "website": org.website, "languages": joined, "currency": org.currency,
        "home_country": strings[f"country.{org.country}"], "registry": strings[f"registry.{org.country}"],
        "national_id": strings[f"national_id.{org.country}"], "date_format": strings["date_format"],
    }


def fill(template: str, lang: str, org: Organisation) -> str:
    """A catalogue text with its placeholders filled from the profile.

    >>> from klageformular.org import get_organisation
    >>> fill(label("complainant.client_reference", "da"), "da", get_organisation())
    'Kundenummer hos Kameo'
    """
    return template.format(**placeholders(lang, org))
