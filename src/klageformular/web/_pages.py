"""The list, search, report and admin pages' words (Danish and English) and how they are rendered.

Their words live here, not in :mod:`._words`, so these pages can grow without touching the
shared table; a page gets both tables as one (``w``), the shared words first. Same keys in
both languages (a test compares them). Templates are the app's own folder, autoescaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ._words import words

if TYPE_CHECKING:
    from ._app import Visitor

__all__ = ["LIST_WORDS", "page", "page_words"]

LIST_WORDS: dict[str, dict[str, str]] = {
    "da": {
        "section.overdue": "Overskredet", "section.today": "Frist i dag", "section.upcoming": "De næste {days} dage",
        "section.review": "Felter til gennemsyn", "section.unassigned": "Uden sagsbehandler",
        "section.mine": "Tildelt mig", "show_all": "Vis alle {count}", "subject": "Emne", "channel": "Kanal",
        "language": "Sprog", "from": "Modtaget fra", "to": "Modtaget til", "filter": "Vis", "all": "alle",
        "page_of": "Side {page} af {pages}", "previous": "Forrige", "next": "Næste", "results": "{total} sager",
        "search": "Søg", "search_words": "Søgeord",
        "search_hint": "Sagsnummer, navn, e-mail, emne eller investeringens reference; alle ord skal findes.",
        "export": "Eksport", "export_xlsx": "Hent registret som Excel (.xlsx)",
        "export_csv": "Hent som CSV (dansk Excel)", "export_csv_plain": "Hent som CSV (RFC 4180)",
        "export_note": "Eksporten er hele registret, som kommandoen «register export» skriver det.",
        "register_title": "Registret", "assignee_hint": "navn, eller - for ingen", "bad_date": "Ugyldig dato",
        "report_title": "Klagerapport", "period_from": "Fra", "period_to": "Til", "show": "Vis",
        "figures": "Tal", "received_total": "Modtaget i alt", "complaints": "Klager",
        "chart.month": "Modtaget pr. måned", "chart.ack": "Arbejdsdage til kvittering",
        "chart.decision": "Arbejdsdage til afgørelse", "chart.outcome": "Udfald", "chart.channel": "Kanal",
        "chart.language": "Sprog", "chart.day": "{n} arbejdsdag", "chart.days": "{n} arbejdsdage",
        "chart.none": "Ingen sager i perioden.",
        "median": "median", "max": "højst", "overdue_cases": "Sager med en overskredet frist",
        "export_report_xlsx": "Hent rapporten som Excel (.xlsx)", "export_report_txt": "Hent rapporten som tekst",
        "settings_title": "Indstillinger", "workbench_language": "Sprog i arbejdsbordet", "save": "Gem",
        "saved": "Gemt.", "da": "dansk", "en": "engelsk",
        "users_title": "Brugere", "name": "Navn", "role": "Rolle", "totp": "2-trin", "state": "Tilstand",
        "created": "Oprettet", "add_user": "Opret bruger", "new_password": "Adgangskode (mindst 12 tegn)",
        "disable": "Deaktivér", "enable": "Aktivér", "unlock": "Lås op", "reset_2fa": "Ny 2-trinsnøgle",
        "active": "aktiv", "disabled": "deaktiveret", "locked": "låst", "yes": "ja", "no": "nej",
        "new_uri": "Nøglen til godkendelses-appen. Den vises kun denne ene gang:",
        "user_added": "Brugeren er oprettet.", "done": "Udført.", "account_refused": "Ikke gjort",
    },
    "en": {
        "section.overdue": "Overdue", "section.today": "Due today", "section.upcoming": "The next {days} days",
        "section.review": "Fields to review", "section.unassigned": "Unassigned",
        "section.mine": "Assigned to me", "show_all": "Show all {count}", "subject": "Subject", "channel": "Channel",
        "language": "Language", "from": "Received from", "to": "Received to", "filter": "Show", "all": "all",
        "page_of": "Page {page} of {pages}", "previous": "Previous", "next": "Next", "results": "{total} cases",
        "search": "Search", "search_words": "Search words",
        "search_hint": "Case number, name, email, subject or the investment's reference; every word must match.",
        "export": "Export", "export_xlsx": "Download the register as Excel (.xlsx)",
        "export_csv": "Download as CSV (Danish Excel)", "export_csv_plain": "Download as CSV (RFC 4180)",
        "export_note": "The export is the whole register, as the command “register export” writes it.",
        "register_title": "Register", "assignee_hint": "a name, or - for nobody", "bad_date": "Not a valid date",
        "report_title": "Complaints report", "period_from": "From", "period_to": "To", "show": "Show",
        "figures": "Figures", "received_total": "Received in all", "complaints": "Complaints",
        "chart.month": "Received per month", "chart.ack": "Working days to acknowledgement",
        "chart.decision": "Working days to decision", "chart.outcome": "Outcomes", "chart.channel": "Channel",
        "chart.language": "Language", "chart.day": "{n} working day", "chart.days": "{n} working days",
        "chart.none": "No cases in the period.",
        "median": "median", "max": "max", "overdue_cases": "Cases with a missed deadline",
        "export_report_xlsx": "Download the report as Excel (.xlsx)",
        "export_report_txt": "Download the report as text",
        "settings_title": "Settings", "workbench_language": "The workbench's language", "save": "Save",
        "saved": "Saved.", "da": "Danish", "en": "English",
        "users_title": "Users", "name": "Name", "role": "Role", "totp": "2-step", "state": "State",
        "created": "Created", "add_user": "Add user", "new_password": "Password (12 characters at least)",
        "disable": "Disable", "enable": "Enable", "unlock": "Unlock", "reset_2fa": "New 2-step key",
        "active": "active", "disabled": "disabled", "locked": "locked", "yes": "yes", "no": "no",
        "new_uri": "The key for the authenticator app. It is shown this once only:",
        "user_added": "The user was added.", "done": "Done.", "account_refused": "Not done",
    },
}

_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def page_words(lang: str) -> dict[str, str]:
    """The shared words and these pages' own, in ``lang`` (Danish for any other)."""
    return {**words(lang), **LIST_WORDS.get(lang, LIST_WORDS["da"])}


def page(name: str, seen: Visitor, status: int = 200, **context: Any) -> HTMLResponse:
    """Template ``name`` for the logged-in ``seen`` (its language, its account, its CSRF token)."""
    html = _TEMPLATES.get_template(name).render(w=page_words(seen.lang), lang=seen.lang, user=seen.user,
                                                csrf=seen.session.csrf, **context)
    return HTMLResponse(html, status_code=status)
