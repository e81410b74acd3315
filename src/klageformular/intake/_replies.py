"""What a message says about the conversation it belongs to: replies, references, bounces, auto-replies.

The one home of the mail-side rules for threading (the register decides with them, in
:mod:`klageformular.register._threading`, where the outbox is known):

- :func:`message_ids` reads the ``<…>`` tokens of ``In-Reply-To`` and ``References``;
- :func:`subject_references` finds a case's reference in a subject after any number of reply
  and forward prefixes (``Re: SV: VS: AW: Antw: Fwd: FW: VB: WG:``, any case), with or
  without brackets (``[KLA-NO-2026-0001]``);
- :func:`same_address` compares two addresses as the register does: the address only (not
  the display name), the domain without regard to case;
- :func:`automatic_reason` says why a message is no person writing (RFC 3834 auto-replies,
  RFC 3464/6522 delivery reports, the ``X-Autoreply`` family, ``Precedence: auto_reply``), and
  :func:`report_details` what a delivery report names: the Message-IDs it quotes (in its
  attached message or headers, or in its text) and the DSN status.

All of it is a sender's claim. A reference or a Message-ID found here lets the register
*look*; it never decides alone which case a message joins.

>>> subject_references("VS: SV: [kla-no-2026-0001] Kvittering")
['KLA-NO-2026-0001']
>>> message_ids("<a@x.dk> <b@y.dk>\\n <c@z.dk>")
['<a@x.dk>', '<b@y.dk>', '<c@z.dk>']
"""

from __future__ import annotations

import re
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Literal

__all__ = ["REPLY_PREFIXES", "AutomaticKind", "automatic_kind", "automatic_reason", "looks_automatic",
           "message_ids", "normal_address", "report_details", "same_address", "strip_prefixes",
           "subject_references"]

#: The reply and forward prefixes mail programs put before a subject (Danish, Norwegian, Swedish,
#: Finnish, German, Dutch and English clients); matched without regard to case.
REPLY_PREFIXES = ("Re", "Sv", "VS", "AW", "Antw", "Fwd", "FW", "VB", "WG")

# "Re:", "SV :", "Re[2]:", "AW:" … and the bracketed list tags some clients add ("[Ext]" is not one:
# only a prefix ends in a colon).
_PREFIX = re.compile(r"^\s*(?:" + "|".join(REPLY_PREFIXES) + r")\s*(?:\[\d+\]|\(\d+\))?\s*:\s*", re.IGNORECASE)
# KLA-2026-0001 (Denmark), KLA-NO-2026-0001 …: the register's references (register/_workflow.py).
_REFERENCE = re.compile(r"(?<![\w-])KLA(?:-[A-Z]{2})?-\d{4}-\d{4,}(?![\w-])", re.IGNORECASE)
_MSGID = re.compile(r"<[^<>\s]{1,994}>")
_MAX_IDS = 100  # a References chain longer than this is a list nobody threads by; its newest count
_MAX_HEADERS = 64_000  # MailLimits.max_header_bytes: the quoted header section read, no more
_DAEMONS = ("mailer-daemon", "postmaster")  # the mail system's own senders (RFC 5321 § 4.5.1, qmail, Exim)

AutomaticKind = Literal["delivery_failed", "auto_reply"]


def strip_prefixes(subject: str | None) -> str:
    """The subject without its reply and forward prefixes.

    >>> strip_prefixes("Re: SV: AW:Antw: Fwd: FW: VB: WG: vs: Kvittering")
    'Kvittering'
    """
    text = " ".join((subject or "").split())
    while (match := _PREFIX.match(text)) is not None:
        text = text[match.end():]
    return text


def subject_references(subject: str | None) -> list[str]:
    """The case references a subject carries (upper case, in order, each once), prefixes or not.

    >>> subject_references("Re: Re: Kvittering for klage KLA-2026-0007 og [KLA-2026-0007]")
    ['KLA-2026-0007']
    >>> subject_references("Ordre XKLA-2026-0001 / KLA-2026-0001-B")
    []
    """
    found: list[str] = []
    for match in _REFERENCE.finditer(strip_prefixes(subject)):
        reference = match.group(0).upper()
        if reference not in found:
            found.append(reference)
    return found


def message_ids(value: str | None) -> list[str]:
    """The ``<…>`` Message-IDs of an ``In-Reply-To`` or ``References`` value, each once, newest last.

    Comments and stray text between them are ignored (some clients quote the old subject).
    """
    found: list[str] = []
    for token in _MSGID.findall(value or ""):
        if token not in found:
            found.append(token)
    return found[-_MAX_IDS:]


def normal_address(value: str | None) -> str | None:
    """The address of ``value`` (``Name <a@b>`` or ``a@b``) with its domain in lower case; None when none.

    >>> normal_address("Eva Ørsted <Eva.Orsted@EXAMPLE.no>")
    'Eva.Orsted@example.no'
    """
    address = parseaddr(value or "")[1].strip() if value else ""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return None
    return f"{local}@{domain.lower()}"


def same_address(one: str | None, other: str | None) -> bool:
    """Whether two addresses are the same mailbox: the address alone, the domain without case.

    >>> same_address("EVA <eva@Example.NO>", "eva@example.no"), same_address("eva@example.no", "Eva@example.no")
    (True, False)
    """
    first, second = normal_address(one), normal_address(other)
    return first is not None and first == second


# -- automatic messages ---------------------------------------------------------------------------------------

# Subjects of vacation and out-of-office replies without an RFC 3834 header (Outlook, older Exchange).
# Used only for a message that names one of our own Message-IDs: a person's complaint titled
# "Out of office" is never set aside for it.
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?reply|autosvar|automatisk svar|automatiskt svar|out of (?:the )?office"
    r"|fraværende|frånvarande|abwesenheit(?:snotiz)?|abwesend|automatische antwort|afwezig|poissa|lomalla|vacation)\b",
    re.IGNORECASE)


def automatic_reason(message: Message) -> str | None:
    """Why this is clearly not a person writing, from its headers (None for a person's mail).

    RFC 3834 ``Auto-Submitted`` (any value but ``no``), a ``multipart/report`` delivery report
    (RFC 6522), the ``X-Autoreply``/``X-Autorespond`` headers of vacation programs,
    ``Precedence: auto_reply``, and a message from ``MAILER-DAEMON`` or ``postmaster`` (a bounce in
    plain text, quoting the message it returns).
    """
    auto = str(message.get("Auto-Submitted") or "").strip().lower()
    if message.get_content_type() == "multipart/report":
        return f"delivery report (multipart/report; {str(message.get_param('report-type') or '?')[:40]})"
    try:
        sender = parseaddr(str(message.get("From") or ""))[1].lower()
    except MemoryError:
        raise
    except Exception:  # a From the email package cannot parse: _message names it as a problem
        sender = ""
    if sender.partition("@")[0] in _DAEMONS:  # a bounce in plain text (qmail's "failure notice", old Exchange)
        return f"delivery report (from {sender.partition('@')[0]})"
    if auto and not auto.startswith("no"):
        return f"auto-reply (Auto-Submitted: {auto.split(';')[0][:40]})"
    if str(message.get("X-Autoreply") or message.get("X-Autorespond") or "").strip():
        return "auto-reply (X-Autoreply)"
    if str(message.get("Precedence") or "").strip().lower() == "auto_reply":
        return "auto-reply (Precedence: auto_reply)"
    return None


def automatic_kind(reason: str | None) -> AutomaticKind | None:
    """``delivery_failed`` for a delivery report, ``auto_reply`` for the others (None: not automatic).

    >>> automatic_kind("delivery report (multipart/report; delivery-status)"), automatic_kind(None)
    ('delivery_failed', None)
    """
    if not reason:
        return None
    return "delivery_failed" if reason.startswith("delivery report") else "auto_reply"


def looks_automatic(subject: str | None) -> bool:
    """An out-of-office style subject (``Automatisk svar:``, ``Out of Office:``, ``Fraværende:`` …).

    >>> looks_automatic("Automatisk svar: [KLA-2026-0001] Kvittering"), looks_automatic("Re: Kvittering")
    (True, False)
    """
    return bool(_AUTO_SUBJECT.match(subject or ""))


_QUOTED_ID = re.compile(r"(?im)^[ \t>]*Message-ID:[ \t]*(<[^<>\s]{1,994}>)")


def report_details(message: Message, body: str) -> tuple[list[str], str | None]:
    """What a delivery report or auto-reply names: the Message-IDs of the message it answers (from the
    attached message or its headers, ``message/rfc822`` or ``text/rfc822-headers``, and from
    ``Message-ID:`` lines quoted in its text), and the DSN status (``5.1.1 failed: smtp; 550 …``).

    The report's own Message-ID is not among them; nor are those of its ``In-Reply-To`` and
    ``References`` (the caller has them).
    """
    own = str(message.get("Message-ID") or "").strip()
    quoted: list[str] = []
    status: str | None = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status" and status is None:
            status = _dsn_status(part)
        elif kind in ("message/rfc822", "message/rfc822-headers", "text/rfc822-headers") and part is not message:
            quoted += _attached_ids(part)
    quoted += _QUOTED_ID.findall(body)
    found: list[str] = []
    for token in quoted:
        if token != own and token not in found:
            found.append(token)
    return found[:_MAX_IDS], status


def _attached_ids(part: Message) -> list[str]:
    payload = part.get_payload()
    if isinstance(payload, list):  # message/rfc822: the original message, parsed
        return [t for inner in payload if isinstance(inner, Message) for t in message_ids(str(inner.get("Message-ID")))]
    # text/rfc822-headers (Postfix's "Undelivered Message Headers"): the original's header section as text
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return []
    headers = BytesParser(policy=policy.compat32).parsebytes(data[:_MAX_HEADERS], headersonly=True)
    return message_ids(str(headers.get("Message-ID") or ""))


def _dsn_status(part: Message) -> str | None:
    """The first failed recipient's ``Status``, ``Action`` and ``Diagnostic-Code`` (RFC 3464), one line."""
    payload = part.get_payload()
    blocks = [b for b in payload if isinstance(b, Message)] if isinstance(payload, list) else []
    recipients = blocks[1:] or blocks  # the first block is the reporting MTA's
    chosen = next((b for b in recipients if str(b.get("Action") or "").strip().lower() == "failed"),
                  recipients[0] if recipients else None)
    if chosen is None:
        return None
    status, action = str(chosen.get("Status") or "").strip(), str(chosen.get("Action") or "").strip()
    diagnostic = " ".join(str(chosen.get("Diagnostic-Code") or "").split())
    text = " ".join(p for p in (status, action) if p) + (f": {diagnostic}" if diagnostic else "")
    return text[:500] or None
