"""Organisation profiles: who handles complaints, where to send them, escalation bodies, authorities.

Everything on the form that differs per company or country comes from an
:class:`Organisation`, never from the layout. Kameo Denmark is the default profile;
:func:`get_organisation` looks profiles up by key (``kameo-dk``).

>>> get_organisation().complaints_officer.email
'linn@kameo.no'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from .exceptions import ConfigurationError, UnknownProfileError
from .locales import LANGUAGES

__all__ = ["Body", "Categories", "Category", "Deadlines", "MailServers", "Officer", "Organisation", "deadlines",
           "get_organisation", "home_organisation", "organisation_keys", "profile_for", "resolve_organisation"]

def _language(code: str) -> str:
    if code not in LANGUAGES:
        raise ValueError(f"{code!r} is not a language of the form ({', '.join(LANGUAGES)})")
    return code


Lang = Annotated[str, AfterValidator(_language)]
"""A language code with a catalogue in ``klageformular/locales`` (adding a language adds a file there)."""


class Officer(BaseModel):
    """The person (or department) complaints go to."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str
    email: str
    phone: str | None = None


class Body(BaseModel):
    """An escalation body or supervisory authority, with what it handles in each language."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str
    remit: dict[str, str] = Field(description="What to bring to this body, per language")
    address: str | None = None
    phone: str | None = None
    web: str | None = None
    email: str | None = None

    @field_validator("remit")
    @classmethod
    def _languages_only(cls, remit: dict[str, str]) -> dict[str, str]:
        # A key that is no language (e.g. a top-level key written below [escalation.remit] in a
        # profile file) is an error instead of a silently ignored "language".
        if unknown := sorted(set(remit) - set(LANGUAGES)):
            raise ValueError(f"keys must be languages ({', '.join(LANGUAGES)}), not {', '.join(unknown)}")
        return remit

    def contact_lines(self, phone_abbr: str = "Tel.") -> list[str]:
        """Address, telephone, web and email as printable lines (those that are known)."""
        lines = [self.address] if self.address else []
        lines += [p for p in (self.phone and f"{phone_abbr} {self.phone}", self.web, self.email) if p]
        return lines


class Category(BaseModel):
    """One entry of a profile's category list: a stable key (what the register stores) and its labels."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="Stored in the register; never rename one in use")
    label: dict[str, str] = Field(default_factory=dict, description="What people read, per language")

    @field_validator("label")
    @classmethod
    def _languages_only(cls, label: dict[str, str]) -> dict[str, str]:
        if unknown := sorted(set(label) - set(LANGUAGES)):
            raise ValueError(f"keys must be languages ({', '.join(LANGUAGES)}), not {', '.join(unknown)}")
        return label

    def text(self, lang: str) -> str:
        """The label in ``lang``, else in English, else the key."""
        return self.label.get(lang) or self.label.get("en") or self.key


def _unique(items: tuple[Category, ...]) -> tuple[Category, ...]:
    keys = [c.key for c in items]
    if doubles := sorted({k for k in keys if keys.count(k) > 1}):
        raise ValueError(f"each key once: {', '.join(doubles)} appear(s) twice")
    return items


class Categories(BaseModel):
    """How the register sorts complaints: by product (what it is about) and by cause (what went wrong).

    Empty lists mean the profile has no categories: ``register categorize`` then refuses and
    says to add them to the profile file. Keys are compared exactly (lower case, ``_``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    product: Annotated[tuple[Category, ...], AfterValidator(_unique)] = ()
    cause: Annotated[tuple[Category, ...], AfterValidator(_unique)] = ()


class MailServers(BaseModel):
    """Where letters are sent from (a profile file's ``[mail]`` table); the environment's settings win.

    Passwords are not supported here: they come from the environment or a prompt, never a file.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    smtp_url: str | None = Field(None, description="smtps://user@host[:port], or smtp:// with STARTTLS")
    imap_url: str | None = Field(None, description="imaps://user@host[:port]/Sent: a copy of each sent letter")


class Organisation(BaseModel):
    """A crowdfunding service provider's complaint-handling details."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    key: str
    name: str
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 code: phone and registry defaults")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="What a bare 'kr.' means")
    website: str
    helpdesk_email: str | None = Field(None, description="For questions that are not complaints")
    complaints_officer: Officer
    subject_marker: str = Field(description="What to write in the email's subject line")
    postal_address: str | None = None
    acknowledge_working_days: int = Field(3, ge=1, le=10, description="EU rule: at most 10")
    decision_working_days: int | None = Field(
        None, description="Usual decision timeframe; None: announced in the acknowledgement"
    )
    holiday_country: str = Field(pattern=r"^[A-Z]{2}$")
    languages: tuple[Lang, ...] = ("da", "en")
    categories: Categories = Field(default_factory=Categories,
                                   description="The register's product and cause lists (register categorize)")
    escalation: tuple[Body, ...] = ()
    authorities: tuple[Body, ...] = ()
    mail: MailServers | None = Field(None, description="SMTP (and IMAP Sent folder) for sending letters")
    auto_acknowledge: bool = Field(False, description="watch --auto-ack may send the acknowledgement of a "
                                                      "complete complaint without a person (off by default)")
    # Retention (issue 28): how long personal data stays once a case is closed. Five years is the common
    # practice (the UK complaint rules' figure); neither the crowdfunding regulation nor its standard names
    # a period, so counsel confirms it per profile. Files that never became a case get no default: how long
    # to keep a scan nobody could read is the provider's decision, and the prune refuses until it is made.
    retention_years_after_closure: int = Field(5, ge=1, le=100, description="years after a case is closed "
                                               "before 'register purge' anonymises it (counsel confirms)")
    unreadable_retention_days: int | None = Field(None, ge=1, le=36_600, description="days an unreadable file "
                                                  "that never became a case is kept in a batch folder; None: "
                                                  "'prune' refuses to remove them until it is set")


# The built-in profiles are constants: they are built with model_construct (no validation at
# import), so a one-file `parse` never pays for building these models' validators (issue 19:
# cold start). tests/test_org.py validates every one of them, so a typo here still fails.
# The Danish page names the Swedish data-protection authority; it is Swedish customers' own too.
_IMY = Body.model_construct(
    name="Integritetsskyddsmyndigheten (IMY)",
    remit={
        "da": "Klager over Kameos behandling af personoplysninger.",
        "en": "Complaints about how Kameo processes personal data.",
        "nb": "Klager på hvordan Kameo behandler personopplysninger.",
        "sv": "Klagomål på hur Kameo behandlar personuppgifter.",
    },
    address="Fleminggatan 14, 112 26 Stockholm",
    phone="+46 8 657 61 00",
    web="www.imy.se",
    email="imy@imy.se",
)

# One complaints officer for all three sites (she sits in Norway).
_OFFICER = Officer.model_construct(name="Linn Hoel Ringvoll", email="linn@kameo.no")

def _category(key: str, da: str, en: str, nb: str, sv: str) -> Category:
    return Category.model_construct(key=key, label={"da": da, "en": en, "nb": nb, "sv": sv})


# The register's default categories, taken from what Kameo's complaints page names: the services it
# offers (loans and investments it brokers, its payment services, the platform) and the matters it
# sends to the bodies it lists (marketing and information, personal data, the payment system, a
# complaint not being handled). Kameo has published no list of its own: a profile file's
# [categories] replaces this one.
_KAMEO_CATEGORIES = Categories.model_construct(
    product=(
        _category("investment", "Investering", "Investment", "Investering", "Investering"),
        _category("loan", "Lån", "Loan", "Lån", "Lån"),
        _category("payment_services", "Betalingstjenester", "Payment services", "Betalingstjenester",
                  "Betaltjänster"),
        _category("platform", "Platformen", "The platform", "Plattformen", "Plattformen"),
        _category("other", "Andet", "Other", "Annet", "Annat"),
    ),
    cause=(
        _category("information", "Information og markedsføring", "Information and marketing",
                  "Informasjon og markedsføring", "Information och marknadsföring"),
        _category("personal_data", "Behandling af personoplysninger", "Processing of personal data",
                  "Behandling av personopplysninger", "Behandling av personuppgifter"),
        _category("platform_error", "Problemer eller fejl på platformen", "Problems or errors on the platform",
                  "Problemer eller feil på plattformen", "Problem eller fel på plattformen"),
        _category("payments", "Betalinger og betalingssystemet", "Payments and the payment system",
                  "Betalinger og betalingssystemet", "Betalningar och betalsystemet"),
        _category("complaint_handling", "Klagebehandlingen", "Complaint handling", "Klagebehandlingen",
                  "Klagomålshanteringen"),
        _category("other", "Andet", "Other", "Annet", "Annat"),
    ),
)

_FI_CONTACT: dict[str, Any] = {"address": "Brunnsgatan 3, 111 38 Stockholm", "phone": "+46 8 408 980 00",
                               "web": "www.fi.se", "email": "finansinspektionen@fi.se"}


KAMEO_DK = Organisation.model_construct(
    key="kameo-dk",
    name="Kameo",
    country="DK",
    currency="DKK",
    categories=_KAMEO_CATEGORIES,
    website="www.kameo.dk",
    helpdesk_email="helpdesk@kameo.dk",
    complaints_officer=_OFFICER,
    subject_marker="Klage",
    holiday_country="DK",
    escalation=(
        Body.model_construct(
            name="Forbrugerklagenævnet",
            remit={
                "da": "Som forbruger kan du indbringe klagen for Forbrugerklagenævnet, hvis den ikke bliver "
                "behandlet, eller hvis du ikke får medhold.",
                "en": "As a consumer you can take the complaint to the Danish Consumer Complaints Board if it is "
                "not handled or not upheld.",
                "nb": "Som forbruker kan du bringe klagen inn for Forbrugerklagenævnet, den danske "
                "forbrukerklagenemnda, hvis den ikke blir behandlet eller du ikke får medhold.",
                "sv": "Som konsument kan du vända dig till Forbrugerklagenævnet, Danmarks motsvarighet till ARN, "
                "om klagomålet inte prövas eller om du inte får rätt.",
            },
            web="www.forbrug.dk",
        ),
        Body.model_construct(
            name="Det Finansielle Ankenævn",
            remit={
                "da": "Handler klagen om betalingstjenester, som Kameo har leveret, kan du også klage til "
                "Det Finansielle Ankenævn.",
                "en": "If the complaint concerns payment services provided by Kameo, you can also complain to "
                "the Danish Financial Complaint Board.",
                "nb": "Gjelder klagen betalingstjenester som Kameo har levert, kan du også klage til "
                "Det Finansielle Ankenævn.",
                "sv": "Gäller klagomålet betaltjänster som Kameo har tillhandahållit kan du också klaga till "
                "Det Finansielle Ankenævn.",
            },
            web="www.fanke.dk",
        ),
    ),
    authorities=(
        _IMY,
        Body.model_construct(
            name="Forbrugerombudsmanden",
            remit={
                "da": "Tilsyn med Kameos markedsføring og med, at långivere får korrekt information.",
                "en": "Supervises Kameo's marketing and that lenders receive correct information.",
                "nb": "Tilsyn med Kameos markedsføring og med at långivere får riktig informasjon.",
                "sv": "Tillsyn över Kameos marknadsföring och över att långivare får korrekt information.",
            },
            address="Carl Jacobsens Vej 35, 2500 Valby",
            phone="41 71 51 51",
            web="www.forbrugerombudsmanden.dk",
            email="forbrugerombudsmanden@forbrugerombudsmanden.dk",
        ),
        Body.model_construct(
            name="Finansinspektionen",
            remit={
                "da": "Tilsynsmyndighed efter lov om betalingstjenester, fx klager over betalingssystemets "
                "indretning.",
                "en": "Supervisory authority under the Payment Services Act, e.g. complaints about how the payment "
                "system is set up.",
                "nb": "Tilsynsmyndighet etter betalingstjenesteloven, f.eks. klager på hvordan betalingssystemet "
                "er innrettet.",
                "sv": "Tillsynsmyndighet enligt lagen om betaltjänster, t.ex. klagomål på hur betalsystemet "
                "är utformat.",
            },
            **_FI_CONTACT,
        ),
    ),
)

# Norway and Sweden: the reference material gives only Kameo's Danish facts and the complaints
# officer (who sits in Norway). Bodies are listed by name and website only, and no helpdesk is
# named until Kameo confirms country helpdesks; see the README.
KAMEO_NO = Organisation.model_construct(
    key="kameo-no",
    name="Kameo",
    country="NO",
    currency="NOK",
    categories=_KAMEO_CATEGORIES,
    website="www.kameo.no",
    complaints_officer=_OFFICER,
    subject_marker="Klage",
    holiday_country="NO",
    languages=("nb", "en"),
    escalation=(
        Body.model_construct(
            name="Finansklagenemnda",
            remit={
                "nb": "Som forbruker kan du bringe klagen inn for Finansklagenemnda hvis den ikke blir behandlet "
                "eller du ikke får medhold.",
                "da": "Som forbruger kan du indbringe klagen for Finansklagenemnda, hvis den ikke bliver behandlet, "
                "eller hvis du ikke får medhold.",
                "sv": "Som konsument kan du vända dig till Finansklagenemnda om klagomålet inte prövas eller om du "
                "inte får rätt.",
                "en": "As a consumer you can take the complaint to the Norwegian Financial Services Complaints Board "
                "if it is not handled or not upheld.",
            },
            web="www.finkn.no",
        ),
    ),
    authorities=(
        Body.model_construct(
            name="Finanstilsynet",
            remit={
                "nb": "Fører tilsyn med Kameo som leverandør av folkefinansieringstjenester.",
                "da": "Fører tilsyn med Kameo som udbyder af crowdfundingtjenester.",
                "sv": "Har tillsyn över Kameo som leverantör av gräsrotsfinansieringstjänster.",
                "en": "Supervises Kameo as a crowdfunding service provider.",
            },
            web="www.finanstilsynet.no",
        ),
        Body.model_construct(
            name="Forbrukertilsynet",
            remit={
                "nb": "Fører tilsyn med Kameos markedsføring og avtalevilkår overfor forbrukere.",
                "da": "Fører tilsyn med Kameos markedsføring og aftalevilkår over for forbrugere.",
                "sv": "Har tillsyn över Kameos marknadsföring och avtalsvillkor gentemot konsumenter.",
                "en": "Supervises Kameo's marketing and contract terms towards consumers.",
            },
            web="www.forbrukertilsynet.no",
        ),
        Body.model_construct(
            name="Datatilsynet",
            remit={
                "nb": "Klager på hvordan Kameo behandler personopplysninger.",
                "da": "Klager over Kameos behandling af personoplysninger.",
                "sv": "Klagomål på hur Kameo behandlar personuppgifter.",
                "en": "Complaints about how Kameo processes personal data.",
            },
            web="www.datatilsynet.no",
        ),
    ),
)

KAMEO_SE = Organisation.model_construct(
    key="kameo-se",
    name="Kameo",
    country="SE",
    currency="SEK",
    categories=_KAMEO_CATEGORIES,
    website="www.kameo.se",
    complaints_officer=_OFFICER,
    subject_marker="Klagomål",
    holiday_country="SE",
    languages=("sv", "en"),
    escalation=(
        Body.model_construct(
            name="Allmänna reklamationsnämnden (ARN)",
            remit={
                "sv": "Som konsument kan du vända dig till Allmänna reklamationsnämnden om klagomålet inte prövas "
                "eller om du inte får rätt.",
                "da": "Som forbruger kan du indbringe klagen for Allmänna reklamationsnämnden, hvis den ikke bliver "
                "behandlet, eller hvis du ikke får medhold.",
                "nb": "Som forbruker kan du bringe klagen inn for Allmänna reklamationsnämnden hvis den ikke blir "
                "behandlet eller du ikke får medhold.",
                "en": "As a consumer you can take the complaint to the Swedish National Board for Consumer Disputes "
                "if it is not handled or not upheld.",
            },
            web="www.arn.se",
        ),
    ),
    authorities=(
        Body.model_construct(
            name="Finansinspektionen",
            remit={
                "sv": "Har tillsyn över Kameo som leverantör av gräsrotsfinansieringstjänster.",
                "da": "Fører tilsyn med Kameo som udbyder af crowdfundingtjenester.",
                "nb": "Fører tilsyn med Kameo som leverandør av folkefinansieringstjenester.",
                "en": "Supervises Kameo as a crowdfunding service provider.",
            },
            **_FI_CONTACT,
        ),
        Body.model_construct(
            name="Konsumentverket",
            remit={
                "sv": "Har tillsyn över Kameos marknadsföring och avtalsvillkor gentemot konsumenter.",
                "da": "Fører tilsyn med Kameos markedsføring og aftalevilkår over for forbrugere.",
                "nb": "Fører tilsyn med Kameos markedsføring og avtalevilkår overfor forbrukere.",
                "en": "Supervises Kameo's marketing and contract terms towards consumers.",
            },
            web="www.konsumentverket.se",
        ),
        _IMY,
    ),
)

_PROFILES: dict[str, Organisation] = {p.key: p for p in (KAMEO_DK, KAMEO_NO, KAMEO_SE)}


def organisation_keys() -> list[str]:
    """Keys of the built-in profiles, default first."""
    return list(_PROFILES)


def get_organisation(key: str = KAMEO_DK.key) -> Organisation:
    """The built-in profile with this key.

    >>> get_organisation("kameo-dk").name
    'Kameo'
    """
    try:
        return _PROFILES[key]
    except KeyError:
        known = ", ".join(_PROFILES)
        raise ConfigurationError(f"unknown organisation profile {key!r} (known: {known})") from None


def home_organisation(lang: str | None) -> Organisation:
    """The profile whose main language this is (``nb`` → Kameo Norway); Kameo Denmark otherwise.

    >>> home_organisation("sv").key, home_organisation("en").key
    ('kameo-se', 'kameo-dk')
    """
    return next((p for p in _PROFILES.values() if p.languages[0] == lang), KAMEO_DK)


def resolve_organisation(org: Organisation | str | None, lang: str) -> Organisation:
    """A profile as the public functions take it: itself, its key, or None for the language's home."""
    if isinstance(org, Organisation):
        return org
    return get_organisation(org) if org else home_organisation(lang)


def profile_for(key: str | None, lang: str | None = None, profiles: Mapping[str, Organisation] | None = None,
                *, holder: str = "the entry") -> Organisation:
    """The profile a record or case names, by the one rule for every reader of a stored profile key
    (intake, register, letters, report, website):

    - no key (``None``): the home profile of ``lang`` (Kameo Denmark when that is unknown too);
    - a key given in ``profiles`` (e.g. from ``--org-file``): that profile;
    - a built-in key: the built-in profile;
    - any other key: :class:`~klageformular.exceptions.UnknownProfileError` naming it (``holder``
      says whose it is, e.g. a reference). Never another profile in its place: a letter under
      another organisation's name, or a deadline counted on its holidays, would be silently wrong.

    >>> profile_for("kameo-no").key, profile_for(None, "sv").key
    ('kameo-no', 'kameo-se')
    >>> profile_for("gone", holder="KLA-2026-0001")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    klageformular.exceptions.UnknownProfileError: KLA-2026-0001 is handled under profile 'gone', which is not ...
    """
    if key is None:
        return home_organisation(lang)
    if profiles and key in profiles:
        return profiles[key]
    if key in _PROFILES:
        return _PROFILES[key]
    raise UnknownProfileError(f"{holder} is handled under profile {key!r}, which is not built in: give its profile "
                              f"file (--org-file); built in: {', '.join(_PROFILES)}", key=key)


@dataclass(frozen=True)
class Deadlines:
    """When a complaint received on a day must be acknowledged and decided (None: the profile sets no limit)."""

    acknowledge_by: date
    decide_by: date | None


def deadlines(received: date, org: Organisation) -> Deadlines:
    """The deadlines of a complaint received on ``received`` under the profile ``org``: its working days
    and holidays. Every deadline in the package is counted here.

    >>> deadlines(date(2026, 11, 27), get_organisation()).acknowledge_by   # a Friday; 3 working days
    datetime.date(2026, 12, 2)
    """
    from .workdays import acknowledge_by  # the holiday calendars load only when a deadline is counted

    ack = acknowledge_by(received, org.acknowledge_working_days, org.holiday_country)
    decide = (acknowledge_by(received, org.decision_working_days, org.holiday_country)
              if org.decision_working_days else None)
    return Deadlines(ack, decide)
