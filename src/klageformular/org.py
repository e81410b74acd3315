"""Organisation profiles: who handles complaints, where to send them, escalation bodies, authorities.

Everything on the form that differs per company or country comes from an
:class:`Organisation`, never from the layout. Kameo Denmark is the default profile;
:func:`get_organisation` looks profiles up by key (``kameo-dk``).

>>> get_organisation().complaints_officer.email
'linn@kameo.no'
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .exceptions import ConfigurationError

__all__ = ["Body", "Officer", "Organisation", "get_organisation", "organisation_keys"]

Lang = Literal["da", "en", "nb", "sv"]


class Officer(BaseModel):
    """The person (or department) complaints go to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    email: str
    phone: str | None = None


class Body(BaseModel):
    """An escalation body or supervisory authority, with what it handles in each language."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    remit: dict[str, str] = Field(description="What to bring to this body, per language")
    address: str | None = None
    phone: str | None = None
    web: str | None = None
    email: str | None = None

    def contact_lines(self) -> list[str]:
        """Address, telephone, web and email as printable lines (those that are known)."""
        lines = [self.address] if self.address else []
        lines += [p for p in (self.phone and f"Tlf. {self.phone}", self.web, self.email) if p]
        return lines


class Organisation(BaseModel):
    """A crowdfunding service provider's complaint-handling details."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    name: str
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 code: phone and registry defaults")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="What a bare 'kr.' means")
    website: str
    helpdesk_email: str
    complaints_officer: Officer
    subject_marker: str = Field(description="What to write in the email's subject line")
    postal_address: str | None = None
    acknowledge_working_days: int = Field(3, ge=1, le=10, description="EU rule: at most 10")
    decision_working_days: int | None = Field(
        None, description="Usual decision timeframe; None: announced in the acknowledgement"
    )
    holiday_country: str = Field(pattern=r"^[A-Z]{2}$")
    languages: tuple[Lang, ...] = ("da", "en")
    escalation: tuple[Body, ...] = ()
    authorities: tuple[Body, ...] = ()


KAMEO_DK = Organisation(
    key="kameo-dk",
    name="Kameo",
    country="DK",
    currency="DKK",
    website="www.kameo.dk",
    helpdesk_email="helpdesk@kameo.dk",
    complaints_officer=Officer(name="Linn Hoel Ringvoll", email="linn@kameo.no"),
    subject_marker="Klage",
    holiday_country="DK",
    escalation=(
        Body(
            name="Forbrugerklagenævnet",
            remit={
                "da": "Som forbruger kan du indbringe klagen for Forbrugerklagenævnet, hvis den ikke bliver "
                "behandlet, eller hvis du ikke får medhold.",
                "en": "As a consumer you can take the complaint to the Danish Consumer Complaints Board if it is "
                "not handled or not upheld.",
            },
            web="www.forbrug.dk",
        ),
        Body(
            name="Det Finansielle Ankenævn",
            remit={
                "da": "Handler klagen om betalingstjenester, som Kameo har leveret, kan du også klage til "
                "Det Finansielle Ankenævn.",
                "en": "If the complaint concerns payment services provided by Kameo, you can also complain to "
                "the Danish Financial Complaint Board.",
            },
            web="www.fanke.dk",
        ),
    ),
    authorities=(
        Body(
            name="Integritetsskyddsmyndigheten (IMY)",
            remit={
                "da": "Klager over Kameos behandling af personoplysninger.",
                "en": "Complaints about how Kameo processes personal data.",
            },
            address="Fleminggatan 14, 112 26 Stockholm",
            phone="+46 8 657 61 00",
            web="www.imy.se",
            email="imy@imy.se",
        ),
        Body(
            name="Forbrugerombudsmanden",
            remit={
                "da": "Tilsyn med Kameos markedsføring og med, at långivere får korrekt information.",
                "en": "Supervises Kameo's marketing and that lenders receive correct information.",
            },
            address="Carl Jacobsens Vej 35, 2500 Valby",
            phone="41 71 51 51",
            web="www.forbrugerombudsmanden.dk",
            email="forbrugerombudsmanden@forbrugerombudsmanden.dk",
        ),
        Body(
            name="Finansinspektionen",
            remit={
                "da": "Tilsynsmyndighed efter lov om betalingstjenester, fx klager over betalingssystemets "
                "indretning.",
                "en": "Supervisory authority under the Payment Services Act, e.g. complaints about how the payment "
                "system is set up.",
            },
            address="Brunnsgatan 3, 111 38 Stockholm",
            phone="+46 8 408 980 00",
            web="www.fi.se",
            email="finansinspektionen@fi.se",
        ),
    ),
)

_PROFILES: dict[str, Organisation] = {KAMEO_DK.key: KAMEO_DK}


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
