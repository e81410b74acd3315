"""Intake: complaints as they arrive by email — ``.eml``, Outlook ``.msg``, mbox, Maildir and IMAP.

Data flows one way: a *source* yields :class:`RawMessage` (the bytes as received, the
file's or server's time, a resume key) → :func:`read_message` / :func:`read_msg` give a
:class:`MailMessage` (sender, ``Date``, text, attachments) → :class:`MailIntake` decides
what each message becomes in a batch run (its PDFs parsed as forms, a plain-email
complaint, set aside as an auto-reply, a duplicate, unreadable). :mod:`klageformular.batch`
drives it and writes the records.

Not supported: S/MIME or PGP encrypted mail (read as a message with an opaque attachment),
TNEF ``winmail.dat`` (listed as an attachment), unpacking archives (listed and saved only).

>>> m = read_message(b"From: Eva <eva@example.dk>\\r\\nSubject: Klage\\r\\n\\r\\nHej\\r\\n")
>>> m.sender_address, m.subject, m.attachments
('eva@example.dk', 'Klage', [])
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:  # at run time __getattr__ loads each on first use
    from ._book import ATTACHMENTS, LEDGER, Admitted, MailCounts, MailIntake, receipt_day
    from ._complaint import email_complaint
    from ._imap import ImapMailbox, ImapUrl, parse_imap_url
    from ._message import Attachment, MailLimits, MailMessage, html_to_text, read_message
    from ._msg import read_msg
    from ._sources import RawMessage, file_messages, is_maildir, mail_kind, maildir_messages, mbox_messages

# Imported on first use (PEP 562): the register's reply rules read ``intake._replies`` on every
# command, which must not load the whole mail stack (issue 25 item 4: start-up).
_HOMES = {
    **dict.fromkeys(("ATTACHMENTS", "LEDGER", "Admitted", "MailCounts", "MailIntake", "receipt_day"), "_book"),
    "email_complaint": "_complaint",
    **dict.fromkeys(("ImapMailbox", "ImapUrl", "parse_imap_url"), "_imap"),
    **dict.fromkeys(("Attachment", "MailLimits", "MailMessage", "html_to_text", "read_message"), "_message"),
    "read_msg": "_msg",
    **dict.fromkeys(("RawMessage", "file_messages", "is_maildir", "mail_kind", "maildir_messages", "mbox_messages"),
                    "_sources"),
}


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, globals())

__all__ = [
    "ATTACHMENTS",
    "LEDGER",
    "Admitted",
    "Attachment",
    "ImapMailbox",
    "ImapUrl",
    "MailCounts",
    "MailIntake",
    "MailLimits",
    "MailMessage",
    "RawMessage",
    "email_complaint",
    "file_messages",
    "html_to_text",
    "is_maildir",
    "mail_kind",
    "maildir_messages",
    "mbox_messages",
    "parse_imap_url",
    "read_message",
    "read_msg",
    "receipt_day",
]
