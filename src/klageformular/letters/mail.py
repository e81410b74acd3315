"""A letter as an email (RFC 5322): To, Subject with the reference, body, the PDF; our Message-ID.

The message carries the moment it is made ready to send as its ``Date`` and a ``Message-ID`` we
make with a random token (:func:`new_message_id`): the register stores both with the message's
bytes, so a resend is the very same message. When the case came by mail, ``In-Reply-To`` and
``References`` name the customer's message — only when its Message-ID is well formed
(:func:`valid_message_id`): a hostile one is left out, never copied into our header. The
subject leads with the reference in brackets (``[KLA-2026-0001] Bekræftelse …``), the tag the
customer's reply keeps. Given the same Message-ID and time, the bytes are the same.
"""

from __future__ import annotations

import email.policy
import hashlib
import re
import secrets
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING

from ..exceptions import ConfigurationError, LetterNotAllowedError
from ..locales import letter_texts as texts
from ._text import neutralise, scrub

if TYPE_CHECKING:
    from ..org import Organisation
    from . import LetterCase, LetterKind

__all__ = ["letter_message", "message_bytes", "new_message_id", "valid_message_id"]

# RFC 5322 msg-id as dot-atoms (atext and dots): what we make and what we accept from a customer.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_MSG_ID = re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>")
_DOMAIN = re.compile(rf"{_DOT_ATOM}")
_MAX_MSG_ID = 250  # a header line stays under 998 characters; real Message-IDs are far shorter


def valid_message_id(value: str | None) -> str | None:
    """``value`` when it is one well-formed ``<left@right>`` Message-ID (surrounding spaces dropped), else None.

    >>> valid_message_id(" <CAK1=x@mail.gmail.com> "), valid_message_id("<a@b>\\r\\nBcc: x@y"), valid_message_id("x")
    ('<CAK1=x@mail.gmail.com>', None, None)
    """
    if value is None:
        return None
    text = value.strip()
    return text if len(text) <= _MAX_MSG_ID and _MSG_ID.fullmatch(text) else None


def new_message_id(reference: str, org: Organisation) -> str:
    """A new Message-ID for a letter on case ``reference``: ``<token.REFERENCE@domain>``.

    The token is 128 random bits (:mod:`secrets`): nobody can guess one of our Message-IDs to
    have their mail threaded into someone else's case. The domain is the complaints address's.
    """
    domain = org.complaints_officer.email.rpartition("@")[2]
    if not _DOMAIN.fullmatch(domain):
        raise ConfigurationError(f"profile {org.key!r}: complaints_officer.email has no domain a Message-ID can use")
    local = re.sub(r"[^A-Za-z0-9.-]", "-", reference)
    made = f"<{secrets.token_hex(16)}.{local}@{domain}>"
    if valid_message_id(made) is None:  # a reference ending in '.', say
        made = f"<{secrets.token_hex(16)}@{domain}>"
    return made


def message_bytes(message: EmailMessage) -> bytes:
    """The message as it goes on the wire (CRLF line ends): what SMTP sends, IMAP appends and ``--eml`` writes."""
    return message.as_bytes(policy=email.policy.SMTP)


def letter_message(case: LetterCase, pdf: bytes, *, kind: LetterKind, at: datetime, message_id: str | None = None,
                   in_reply_to: str | None = None) -> EmailMessage:
    """The email that carries ``pdf`` to the customer, from the profile's complaints address.

    ``at`` (an aware time) is its Date; ``message_id`` ours (a new one when not given, see
    :func:`new_message_id`); ``in_reply_to`` the customer's Message-ID, used only when well formed.
    :func:`message_bytes` gives the bytes to send. Raises :class:`LetterNotAllowedError` when the
    complaint gives no email address to reply to.

    >>> msg = letter_message(case, pdf, kind="ack", at=now)       # doctest: +SKIP
    >>> msg["Subject"]                                           # doctest: +SKIP
    '[KLA-2026-0001] Bekræftelse på modtagelse af din klage'
    """
    from . import recipient

    if at.tzinfo is None:
        raise ConfigurationError("a message's time needs its time zone (an aware datetime)")
    t = texts(case.lang)
    to = recipient(case.complaint, case.org)
    # The name as the letter shows it, less the font's marks: no bidirectional tricks, no links.
    name = " ".join(scrub(neutralise(to.name)).split()) if to.name else None
    if not to.email:
        raise LetterNotAllowedError("the complaint gives no email address to send the letter to; "
                                    "send it on paper")
    officer = case.org.complaints_officer
    title = t[f"{kind}.title"]
    message_id = message_id or new_message_id(case.reference, case.org)
    if valid_message_id(message_id) != message_id:
        raise ConfigurationError("not a Message-ID we can send: <token.REFERENCE@domain>")
    msg = EmailMessage()
    msg["From"] = Address(display_name=officer.name, addr_spec=officer.email)
    msg["To"] = Address(display_name=name or "", addr_spec=to.email)
    msg["Subject"] = t["mail.subject"].format(title=title, reference=case.reference)
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = message_id
    if (parent := valid_message_id(in_reply_to)) is not None:
        msg["In-Reply-To"] = parent
        msg["References"] = parent
    greeting = t["salutation"].format(name=name) if name else t["salutation.none"]
    role = t["signature.role"].format(org_name=case.org.name)
    contact = " · ".join(x for x in (officer.email, officer.phone) if x)
    body = t["mail.body"].format(reference=case.reference)
    body += "\n\n" + t["security.no_passwords"].format(org_name=case.org.name)
    msg.set_content(f"{greeting}\n\n{body}\n\n{t['closing']}\n{officer.name}\n{role}\n{contact}\n")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{case.reference}-{kind}.pdf")
    # Not random: the same Message-ID, time and letter give the same bytes.
    msg.set_boundary(f"=_klageformular_{hashlib.sha256(message_id.encode() + pdf).hexdigest()[:24]}")
    return msg
