"""Outlook ``.msg`` files (OLE compound documents) read with the maintained ``extract-msg`` package.

``extract-msg`` is GPL-3.0 and therefore an optional extra (``klageformular[msg]``); without
it a ``.msg`` file is unreadable with that reason, and nothing else changes.

Gives the same :class:`~._message.MailMessage` as an RFC 5322 message: sender, subject,
``Date`` (from the transport headers Outlook keeps, else the submit time), body (HTML
converted when there is no plain text), and attachments — also those of an attached
``.msg``, like a forwarded message in MIME.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from ..exceptions import MailLimitExceededError, MailReadError
from ._message import Attachment, MailLimits, MailMessage, _newest_received, html_to_text

__all__ = ["read_msg"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_msg(data: bytes, *, limits: MailLimits | None = None) -> MailMessage:
    """Read an Outlook ``.msg`` file; :class:`~klageformular.MailReadError` when it is not one."""
    limits = limits or MailLimits()
    if len(data) > limits.max_message_bytes:
        raise MailLimitExceededError(f"message of {len(data):,} bytes; the limit is {limits.max_message_bytes:,}",
                                     limit="max_message_bytes", value=len(data), maximum=limits.max_message_bytes)
    if not data.startswith(OLE_MAGIC):
        raise MailReadError("not an Outlook .msg file (no OLE compound document header)")
    try:
        import extract_msg
    except ImportError:
        raise MailReadError("reading Outlook .msg files needs the optional extract-msg package (GPL-3.0): "
                            "pip install 'klageformular[msg]'") from None

    # extract-msg logs a warning per unusual property; the file's name or sender can be in it.
    logging.getLogger("extract_msg").setLevel(logging.ERROR)
    try:
        msg: Any = extract_msg.openMsg(data, delayAttachments=False)
    except Exception as exc:  # olefile and extract-msg raise many kinds on broken files
        raise MailReadError(f"broken Outlook .msg file ({type(exc).__name__})") from None
    try:
        return _convert(msg, data, limits)
    except MailReadError:
        raise
    except Exception as exc:
        raise MailReadError(f"broken Outlook .msg file ({type(exc).__name__})") from None
    finally:
        msg.close()


def _convert(msg: Any, data: bytes, limits: MailLimits) -> MailMessage:
    problems: list[str] = []
    name, address = parseaddr(str(msg.sender or ""))
    date = msg.date if isinstance(msg.date, datetime) else None
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    header = msg.header
    received = _newest_received(header) if header is not None and date is None else None
    body = str(msg.body or "").strip()
    if not body and msg.htmlBody:
        html = msg.htmlBody
        body = html_to_text(html.decode("utf-8", "replace") if isinstance(html, bytes) else str(html))
    attachments: list[Attachment] = []
    _attachments(msg, attachments, limits, problems, depth=0)
    auto = str(header.get("Auto-Submitted") or "").strip().lower() if header is not None else ""
    return MailMessage(
        sha256=hashlib.sha256(data).hexdigest(), message_id=str(msg.messageId).strip() if msg.messageId else None,
        sender_name=name.strip() or None, sender_address=address.strip() or None,
        subject=" ".join(str(msg.subject or "").split()) or None, date=date, received=date or received,
        received_from="date" if date else ("received" if received else None), body=body.replace("\r\n", "\n"),
        attachments=attachments, automatic=f"auto-reply (Auto-Submitted: {auto[:40]})"
        if auto and not auto.startswith("no") else None, problems=problems)


def _attachments(msg: Any, into: list[Attachment], limits: MailLimits, problems: list[str], depth: int) -> None:
    if depth > limits.max_depth:
        raise MailLimitExceededError(f"attached messages nested deeper than {limits.max_depth}", limit="max_depth",
                                     maximum=limits.max_depth)
    for attachment in msg.attachments:
        payload = attachment.data
        if hasattr(payload, "attachments"):  # an attached Outlook message: read its attachments too
            _attachments(payload, into, limits, problems, depth + 1)
            continue
        if not isinstance(payload, bytes):
            problems.append("an attachment of an unsupported kind was skipped")
            continue
        if len(into) >= limits.max_parts:
            raise MailLimitExceededError(f"more than {limits.max_parts} attachments", limit="max_parts",
                                         maximum=limits.max_parts)
        name = attachment.longFilename or attachment.shortFilename or None
        kind = str(attachment.mimetype or "application/octet-stream").lower()
        note, kept = None, payload
        if len(payload) > limits.max_attachment_bytes:
            note = f"larger than the attachment limit ({limits.max_attachment_bytes:,} bytes): listed, not saved"
            kept = b""
        elif kind in ("application/zip", "application/x-zip-compressed") or str(name or "").lower().endswith(".zip"):
            note = "archive: listed and saved, not unpacked"
        into.append(Attachment(name, kind, len(payload), hashlib.sha256(payload).hexdigest(), kept, note))
