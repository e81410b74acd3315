"""A letter as a ready-to-send email (RFC 5322 ``.eml``): To, Subject with the reference, body, the PDF.

The library writes the message; sending it is the mail system's job. The message is
deterministic (its Date is the letter's date and its Message-ID derives from the PDF), so
writing it twice gives the same bytes.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING

from ..exceptions import LetterNotAllowedError
from ..locales import letter_texts as texts
from ._text import neutralise, scrub

if TYPE_CHECKING:
    from . import LetterCase, LetterKind

__all__ = ["letter_message"]


def letter_message(case: LetterCase, pdf: bytes, *, kind: LetterKind, dated: date) -> EmailMessage:
    """The email that carries ``pdf`` to the customer, from the complaints officer.

    ``bytes(message)`` (or ``message.as_bytes()``) is the ``.eml`` file. Raises
    :class:`LetterNotAllowedError` when the complaint gives no email address to reply to.

    >>> msg = letter_message(case, pdf, kind="ack", dated=date(2026, 11, 25))   # doctest: +SKIP
    >>> msg["Subject"]                                                          # doctest: +SKIP
    'Bekræftelse på modtagelse af din klage – KLA-2026-0001'
    """
    from . import recipient

    t = texts(case.lang)
    to = recipient(case.complaint, case.org)
    # The name as the letter shows it, less the font's marks: no bidirectional tricks, no links.
    name = " ".join(scrub(neutralise(to.name)).split()) if to.name else None
    if not to.email:
        raise LetterNotAllowedError("the complaint gives no email address to send the letter to; "
                                    "send it on paper")
    officer = case.org.complaints_officer
    title = t[f"{kind}.title"]
    msg = EmailMessage()
    msg["From"] = Address(display_name=officer.name, addr_spec=officer.email)
    msg["To"] = Address(display_name=name or "", addr_spec=to.email)
    msg["Subject"] = t["mail.subject"].format(title=title, reference=case.reference)
    msg["Date"] = format_datetime(datetime(dated.year, dated.month, dated.day, 9, tzinfo=UTC))
    domain = officer.email.rpartition("@")[2]
    msg["Message-ID"] = f"<{hashlib.sha256(pdf).hexdigest()[:32]}.{case.reference}@{domain}>"
    greeting = t["salutation"].format(name=name) if name else t["salutation.none"]
    role = t["signature.role"].format(org_name=case.org.name)
    contact = " · ".join(x for x in (officer.email, officer.phone) if x)
    body = t["mail.body"].format(reference=case.reference)
    body += "\n\n" + t["security.no_passwords"].format(org_name=case.org.name)
    msg.set_content(f"{greeting}\n\n{body}\n\n{t['closing']}\n{officer.name}\n{role}\n{contact}\n")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{case.reference}-{kind}.pdf")
    msg.set_boundary(f"=_klageformular_{hashlib.sha256(pdf).hexdigest()[:24]}")  # not random: same bytes each time
    return msg
