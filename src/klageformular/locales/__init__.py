"""Language catalogues: every label, tooltip, option, heading, information text and message.

A language is one module here, named by its ISO 639-1 code (``da.py``, ``en.py``, ``nb.py``,
``sv.py``), holding every word the library writes in that language:

- ``STRINGS`` — the form: keyed by field path (``complainant.email``), ``<path>.tip`` for
  tooltips, ``<path>.<value>`` for radio options, plain keys for page text, ``msg.<code>``
  for review messages, and country words (``country.DK``, ``registry.NO`` …);
- ``LETTERS`` — the acknowledgement and decision letters, with the month names;
- ``REGISTER`` — the register export's headers, statuses, outcomes and sheet names;
- ``FORMATS`` — how dates and numbers are written.

Adding a language is adding one such module with the same keys (a test compares them); the
list of languages, date parsing (month names) and the profiles' language checks follow from it.
Texts may hold ``{placeholders}`` filled from the :class:`~klageformular.org.Organisation`.

The language and the profile travel together as one :class:`Texts` object: the renderer, the
validator and the command line take it instead of loose ``(lang, org)`` pairs, and it is the
one place catalogue text is filled.

>>> Texts.of("da").label("complainant.email")
'E-mail'
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..exceptions import LanguageNotAvailableError

if TYPE_CHECKING:
    from ..org import Organisation

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Texts", "available_languages", "catalogue", "field_table", "fill",
           "formats", "label", "letter_texts", "month_names", "option_label", "placeholders", "register_words",
           "text", "tooltip"]

def _discover() -> tuple[str, ...]:
    # A language is one module here, named by its ISO 639-1 code: adding a file adds the language.
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if re.fullmatch(r"[a-z]{2}", m.name)))


LANGUAGES: tuple[str, ...] = _discover()
DEFAULT_LANGUAGE = "da"


@cache
def _module(lang: str) -> ModuleType:
    if lang not in LANGUAGES:
        raise LanguageNotAvailableError(f"unknown language {lang!r} (use one of {', '.join(LANGUAGES)})")
    try:
        return importlib.import_module(f"{__name__}.{lang}")
    except ModuleNotFoundError:
        raise LanguageNotAvailableError(f"the form is not yet available in {lang!r}") from None


def catalogue(lang: str) -> dict[str, str]:
    """The form's whole catalogue in one language; :class:`LanguageNotAvailableError` if there is none."""
    strings: dict[str, str] = _module(lang).STRINGS
    return strings


def letter_texts(lang: str) -> dict[str, str]:
    """The acknowledgement and decision letters' sentences (``LETTERS``) in one language."""
    strings: dict[str, str] = _module(lang).LETTERS
    return strings


def register_words(lang: str) -> dict[str, str]:
    """The register export's headers, statuses, outcomes and sheet names (``REGISTER``)."""
    strings: dict[str, str] = _module(lang).REGISTER
    return strings


def formats(lang: str) -> dict[str, str]:
    """How the language writes dates and numbers: ``date`` (strftime), ``thousands``, ``decimal``,
    ``spreadsheet_date`` (an Excel number format).

    >>> formats("nb")["date"]
    '%d.%m.%Y'
    """
    strings: dict[str, str] = _module(lang).FORMATS
    return strings


def month_names(lang: str) -> tuple[str, ...]:
    """The twelve month names, January first, as the language writes them in a date."""
    return tuple(letter_texts(lang)["months"].split())


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


@dataclass(frozen=True, eq=False)
class Texts:
    """The words of the form in one language for one organisation profile, filled one way.

    >>> texts = Texts.of("nb")
    >>> texts.org.key, texts.label("complainant.registration_number")
    ('kameo-no', 'Organisasjonsnummer (kun foretak)')
    >>> texts.message("invalid_email")
    ('is not a valid email address', 'er ikke en gyldig e-postadresse')
    """

    lang: str
    org: Organisation

    @classmethod
    def of(cls, lang: str | None = None, org: Organisation | str | None = None) -> Texts:
        """Bind a language (default: Danish) to a profile, its key, or None for the language's home profile."""
        from ..org import resolve_organisation

        lang = lang or DEFAULT_LANGUAGE
        catalogue(lang)  # LanguageNotAvailableError before anything else
        return cls(lang, resolve_organisation(org, lang))

    @cached_property
    def strings(self) -> Mapping[str, str]:
        """The language's catalogue, unfilled."""
        return catalogue(self.lang)

    @cached_property
    def values(self) -> Mapping[str, object]:
        """What the ``{placeholders}`` stand for, from the profile (see :func:`placeholders`)."""
        return placeholders(self.lang, self.org)

    def text(self, key: str) -> str:
        """A catalogue text with its placeholders filled; ``KeyError`` names a missing key."""
        return text(key, self.lang).format(**self.values)

    def label(self, path: str) -> str:
        """The field's label as printed (a required field's ``*`` included)."""
        return self.text(path)

    def tooltip(self, path: str) -> str:
        """The field's tooltip (/TU)."""
        return self.text(f"{path}.tip")

    def option(self, path: str, value: str) -> str:
        """The label of one radio option."""
        return self.text(f"{path}.{value}")

    def message(self, code: str) -> tuple[str, str]:
        """A problem's message in English and in this language (``msg.invalid`` for unknown codes)."""
        english = catalogue("en")
        key = f"msg.{code}" if f"msg.{code}" in english else "msg.invalid"
        return english[key], self.strings.get(key, english[key])


def field_table(texts: Texts) -> list[dict[str, Any]]:
    """The layout as rows: name, path, kind, required, max_length, page, rect, label, tooltip, options.

    >>> field_table(Texts.of("en"))[2]["label"]
    'Last name or company name'
    """
    from ..layout import LAYOUT

    return [{
        "name": spec.name, "path": spec.path, "kind": spec.kind.value, "required": spec.required,
        "max_length": spec.max_length, "page": spec.page, "rect": spec.rect.as_list(),
        "label": texts.label(spec.path), "tooltip": texts.tooltip(spec.path),
        "options": [{"export": o.export, "value": o.value, "label": texts.option(spec.path, o.value)}
                    for o in spec.options],
    } for spec in LAYOUT.fields]
