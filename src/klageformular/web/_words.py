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
        # The case page's work and the letters (case actions, letters page):
        "extended": "Forlænget til", "merged_into": "Lagt sammen med", "letters": "Breve",
        "set_status": "Skift status til", "outcome": "Udfald", "change": "Skift", "clock": "Afgørelsesfristen",
        "extend_to": "Ny afgørelsesdato", "extend_reason": "Begrundelse (kunden læser den)", "extend": "Forlæng",
        "resume": "Genoptag (kunden har svaret)", "wait_for": "Kunden bedes om", "wait": "Afvent kunden",
        "correct": "Ret", "new_value": "Ny værdi", "why": "Hvorfor (kundens mail, et opkald)",
        "correction_refused": "Ikke rettet; værdien er bevaret, som du skrev den.", "related": "Relaterede klager",
        "same": "samme", "merged_in": "lagt sammen med denne", "show_pages": "Vis sider",
        "show_text": "Vis som tekst", "scan_crop": "Udsnittet af scanningen",
        "held": "Retlig tilbageholdelse", "held_text": "tilbageholdt siden {since} af {by}, begrundelse: {reason}",
        "erased": "Personoplysninger slettet", "erased_text": "slettet {at} {under} af {by}",
        "erased_gone": "Klagens oplysninger er slettet; sagens datoer, status og hændelser står tilbage.",
        "under.retention": "efter opbevaringsreglerne", "under.request": "på anmodning (GDPR art. 17)",
        "erased_locked": "Intet personligt kan føjes til sagen: ingen notater, rettelser, breve, fristforlængelser "
        "eller ventetider. Status (uden notat) og sagsbehandler kan stadig ændres.",
        "erased_no_letters": "Der kan ikke skrives breve i sagen: modtagerens oplysninger er slettet.",
        "page": "Side", "dated": "Dato", "channel": "Vej", "delivery": "Levering",
        "mark_posted": "Sendt med posten i dag", "back_to_case": "Tilbage til sag", "no_pages":
        "Siderne kan ikke vises som billeder; hent originalen.", "pages_shown": "Viser {shown} af {count} side(r).",
        "as_text": "Vist som tekst, aldrig som HTML.", "acknowledge_by": "Kvittering senest",
        "decide_by": "Afgørelse senest", "letter_refused": "Brevet kan ikke laves eller sendes sådan:",
        "recorded_for_post": "Brevet er registreret til posten. Udskriv det, og markér det sendt på sagen, "
                             "når det er lagt i posten.", "download_pdf": "Hent brevet (PDF) til udskrift",
        "which_letter": "Brev", "ack_letter": "Kvittering for modtagelse", "decision_letter": "Afgørelse",
        "reasons": "Begrundelse (Markdown)", "reasons_hint": "**fed**, *kursiv*, lister med - og 1.; HTML vises "
        "som tekst.", "reasons_preview": "Begrundelsen, som brevet viser den", "preview": "Forhåndsvis",
        "send_email": "Send med e-mail", "print_paper": "Udskriv til papirpost", "letters_so_far": "Sagens breve",
        "ack": "kvittering", "decision": "afgørelse", "channel.email": "e-mail", "channel.post": "post",
        "state.queued": "i kø", "state.sent": "sendt", "state.failed": "afvist af mailserveren",
        "state.to_post": "skal sendes med posten", "state.posted": "sendt med posten",
        "status.received": "modtaget", "status.acknowledged": "kvitteret", "status.under_review": "under behandling",
        "status.inadmissible": "afvist (kan ikke behandles)", "status.decided": "afgjort", "status.closed": "lukket",
        "status.escalated": "indbragt", "status.unreadable": "ulæselig", "outcome.upheld": "medhold",
        "outcome.partly_upheld": "delvist medhold", "outcome.not_upheld": "ikke medhold",
        # The menu of every page (the list, report and admin pages' own words: _pages.py).
        "nav": "Hovedmenu", "nav.due": "Frister", "nav.register": "Registret", "nav.search": "Søg",
        "nav.report": "Rapport", "nav.settings": "Indstillinger", "nav.admin": "Brugere",
        # OpenID Connect login (_oidc.py).
        "oidc.login": "Log ind med {name}", "oidc.or": "eller",
        "oidc.refused": "Login via {name} mislykkedes; intet er gjort. Prøv igen fra login-siden.",
        "oidc.unknown": "Din konto hos {name} er ikke knyttet til en konto her. Bed en administrator om at "
                        "knytte den (users link … --oidc-subject) med dette id:",
        "oidc.disabled": "Kontoen er spærret eller låst; en administrator kan åbne den igen.",
        "oidc.off": "Login via en identitetsudbyder er ikke sat op.",
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
        # The case page's work and the letters (case actions, letters page):
        "extended": "Extended to", "merged_into": "Merged into", "letters": "Letters",
        "set_status": "Change status to", "outcome": "Outcome", "change": "Change", "clock": "The decision date",
        "extend_to": "New decision date", "extend_reason": "Reason (the customer reads it)", "extend": "Extend",
        "resume": "Resume (the customer answered)", "wait_for": "The customer is asked for",
        "wait": "Wait for the customer", "correct": "Correct", "new_value": "New value",
        "why": "Why (the customer's mail, a call)",
        "correction_refused": "Not corrected; the value is kept as you typed it.", "related": "Related complaints",
        "same": "same", "merged_in": "merged into this one", "show_pages": "Show pages",
        "show_text": "Show as text", "scan_crop": "The scan's crop",
        "held": "Legal hold", "held_text": "on legal hold since {since}, by {by}, reason: {reason}",
        "erased": "Personal data erased", "erased_text": "erased {at} {under}, by {by}",
        "erased_gone": "The complaint's values are erased; the case's dates, status and events remain.",
        "under.retention": "under the retention policy", "under.request": "on request (GDPR art. 17)",
        "erased_locked": "Nothing personal can be added to the case: no notes, corrections, letters, extensions or "
        "waiting for the customer. The status (without a note) and the assignee may still change.",
        "erased_no_letters": "No letter can be written for this case: its recipient's data is erased.",
        "page": "Page", "dated": "Date", "channel": "Channel", "delivery": "Delivery",
        "mark_posted": "Posted today", "back_to_case": "Back to case", "no_pages":
        "The pages cannot be shown as images; download the original.", "pages_shown": "Showing {shown} of {count} "
        "page(s).", "as_text": "Shown as text, never as HTML.", "acknowledge_by": "Acknowledge by",
        "decide_by": "Decide by", "letter_refused": "The letter cannot be made or sent like this:",
        "recorded_for_post": "The letter is recorded for the post. Print it, and mark it posted on the case "
                             "when it is in the post.", "download_pdf": "Download the letter (PDF) to print",
        "which_letter": "Letter", "ack_letter": "Acknowledgement of receipt", "decision_letter": "Decision",
        "reasons": "Reasons (Markdown)", "reasons_hint": "**bold**, *italics*, lists with - and 1.; HTML is shown "
        "as text.", "reasons_preview": "The reasons as the letter shows them", "preview": "Preview",
        "send_email": "Send by email", "print_paper": "Print for paper", "letters_so_far": "The case's letters",
        "ack": "acknowledgement", "decision": "decision", "channel.email": "email", "channel.post": "post",
        "state.queued": "queued", "state.sent": "sent", "state.failed": "refused by the mail server",
        "state.to_post": "to post", "state.posted": "posted",
        "status.received": "received", "status.acknowledged": "acknowledged", "status.under_review": "under review",
        "status.inadmissible": "inadmissible", "status.decided": "decided", "status.closed": "closed",
        "status.escalated": "escalated", "status.unreadable": "unreadable", "outcome.upheld": "upheld",
        "outcome.partly_upheld": "partly upheld", "outcome.not_upheld": "not upheld",
        "nav": "Main menu", "nav.due": "Deadlines", "nav.register": "Register", "nav.search": "Search",
        "nav.report": "Report", "nav.settings": "Settings", "nav.admin": "Users",
        "oidc.login": "Log in with {name}", "oidc.or": "or",
        "oidc.refused": "The login through {name} failed; nothing was done. Please start again from the login page.",
        "oidc.unknown": "Your account at {name} is not linked to an account here. Ask an administrator to link "
                        "it (users link … --oidc-subject) with this id:",
        "oidc.disabled": "The account is disabled or locked; an administrator can open it again.",
        "oidc.off": "Login through an identity provider is not set up.",
    },
}


def words(lang: str) -> dict[str, str]:
    """The table for ``lang`` (Danish for any other)."""
    return WORDS.get(lang, WORDS["da"])
