"""The workbench's own words in Danish and English (the form's labels come from :mod:`klageformular.locales`).

One table per language with the same keys (a test compares them); statuses and event kinds
stay codes beside their words, so what an officer reads is what the command line prints.
"""

from __future__ import annotations

__all__ = ["WORDS", "words"]

WORDS: dict[str, dict[str, str]] = {
    "da": {
        "app": "Klager", "login": "Log ind", "logout": "Log ud", "username": "Brugernavn",
        "password": "Adgangskode", "code": "Engangskode (6 cifre)", "code_hint": "Fra din godkendelses-app",
        "login_failed": "Forkert brugernavn, adgangskode eller kode. Efter for mange forsøg spærres kontoen; "
                        "en administrator kan låse den op.",
        "rate_limited": "For mange mislykkede forsøg fra denne adresse. Prøv igen senere.",
        "expired": "Siden er udløbet. Prøv igen.", "due": "Frister", "overdue": "Overskredet",
        "due_today": "I dag", "upcoming": "De næste {days} dage", "not_delivered": "Ikke leveret",
        "waiting": "Venter på kunden", "open_review": "Felter til gennemsyn", "unassigned": "Uden sagsbehandler",
        "no_decision_date": "Uden afgørelsesfrist", "reference": "Sag", "received": "Modtaget",
        "deadline": "Frist", "status": "Status", "assignee": "Sagsbehandler", "action": "Handling",
        "nobody": "ingen", "none": "Ingen.", "case": "Sag", "complaint": "Klagen", "review": "Til gennemsyn",
        "typed": "som skrevet", "documents": "Dokumenter", "download": "Hent", "timeline": "Forløb",
        "correspondence": "Korrespondance", "assign_me": "Tildel mig", "add_note": "Tilføj note",
        "note": "Note", "stale": "Sagen blev ændret af en anden, efter du åbnede den; intet er gjort. "
                                  "Her er sagen, som den er nu.",
        "refused": "Ikke gjort", "forbidden": "Det har du ikke adgang til.", "not_found": "Ingen sådan sag.",
        "note_empty": "En note skal have en tekst.", "unreadable": "ulæselig", "missing": "mangler",
        "signed_in_as": "Logget ind som", "role.viewer": "læser", "role.officer": "sagsbehandler",
        "role.admin": "administrator", "acknowledge": "kvittering", "decide": "afgørelse",
        "version": "Version", "who": "Hvem", "when": "Hvornår", "what": "Hvad", "sender": "Afsender",
        "subject": "Emne", "message": "Besked", "count": "antal", "skip": "Gå til indhold",
        "back": "Tilbage til fristerne",
        # The menu of every page (the list, report and admin pages' own words: _pages.py).
        "nav": "Hovedmenu", "nav.due": "Frister", "nav.register": "Registret", "nav.search": "Søg",
        "nav.report": "Rapport", "nav.settings": "Indstillinger", "nav.admin": "Brugere",
    },
    "en": {
        "app": "Complaints", "login": "Log in", "logout": "Log out", "username": "User name",
        "password": "Password", "code": "One-time code (6 digits)", "code_hint": "From your authenticator app",
        "login_failed": "Wrong user name, password or code. After too many attempts the account is locked; "
                        "an administrator can unlock it.",
        "rate_limited": "Too many failed attempts from this address. Try again later.",
        "expired": "The page expired. Please try again.", "due": "Deadlines", "overdue": "Overdue",
        "due_today": "Today", "upcoming": "The next {days} days", "not_delivered": "Not delivered",
        "waiting": "Waiting for the customer", "open_review": "Fields to review", "unassigned": "Unassigned",
        "no_decision_date": "No decision date", "reference": "Case", "received": "Received",
        "deadline": "Deadline", "status": "Status", "assignee": "Assignee", "action": "Action",
        "nobody": "nobody", "none": "None.", "case": "Case", "complaint": "The complaint", "review": "To review",
        "typed": "as typed", "documents": "Documents", "download": "Download", "timeline": "Timeline",
        "correspondence": "Correspondence", "assign_me": "Assign to me", "add_note": "Add note",
        "note": "Note", "stale": "Someone else changed the case after you opened it; nothing was done. "
                                  "This is the case as it is now.",
        "refused": "Not done", "forbidden": "You do not have access to that.", "not_found": "No such case.",
        "note_empty": "A note needs some text.", "unreadable": "unreadable", "missing": "missing",
        "signed_in_as": "Signed in as", "role.viewer": "viewer", "role.officer": "officer",
        "role.admin": "administrator", "acknowledge": "acknowledgement", "decide": "decision",
        "version": "Version", "who": "Who", "when": "When", "what": "What", "sender": "Sender",
        "subject": "Subject", "message": "Message", "count": "count", "skip": "Skip to content",
        "back": "Back to the deadlines",
        "nav": "Main menu", "nav.due": "Deadlines", "nav.register": "Register", "nav.search": "Search",
        "nav.report": "Report", "nav.settings": "Settings", "nav.admin": "Users",
    },
}


def words(lang: str) -> dict[str, str]:
    """The table for ``lang`` (Danish for any other)."""
    return WORDS.get(lang, WORDS["da"])
