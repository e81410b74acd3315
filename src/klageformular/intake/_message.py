"""One email message as the complaint desk needs it: who, when, what it says, what it carries.

:func:`read_message` turns the raw bytes of an RFC 5322 message (``.eml``, an mbox or
Maildir entry, an IMAP ``BODY[]``) into a :class:`MailMessage`, with Python's ``email``
package doing the MIME work. Outlook ``.msg`` files come in through :mod:`._msg`, which
builds the same :class:`MailMessage`.

What it guarantees: it never raises on broken MIME or wrong character sets — those are read
as well as they can be and named in ``problems`` — and only the configured limits (size,
number of parts, nesting depth) raise :class:`~klageformular.MailLimitExceededError`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any, Literal

from ..exceptions import MailLimitExceededError

__all__ = ["Attachment", "MailLimits", "MailMessage", "html_to_text", "read_message"]

ReceivedFrom = Literal["date", "received", "file"]


@dataclass(frozen=True)
class MailLimits:
    """Limits on what one message may make us do; a breach sets the message aside as unreadable.

    >>> MailLimits(max_parts=50).max_parts
    50
    """

    max_message_bytes: int = 50_000_000
    max_parts: int = 500
    max_depth: int = 20  # multipart and forwarded-message nesting
    max_attachment_bytes: int = 30_000_000  # larger ones are listed (size, hash), not saved


@dataclass(frozen=True)
class Attachment:
    """One attached file. ``data`` is empty when ``note`` says it was too large to keep."""

    name: str | None
    content_type: str
    size: int
    sha256: str
    data: bytes = field(repr=False)
    note: str | None = None  # e.g. a zip archive (listed, not unpacked)

    @property
    def is_pdf(self) -> bool:
        """A PDF by its bytes (mail programs often send PDFs as ``application/octet-stream``)."""
        return self.data[:1024].lstrip().startswith(b"%PDF-")

    def to_dict(self) -> dict[str, Any]:
        """The listing on a record: name, content_type, size, sha256 (and the note, if any)."""
        entry: dict[str, Any] = {"name": self.name, "content_type": self.content_type, "size": self.size,
                                 "sha256": self.sha256}
        if self.note:
            entry["note"] = self.note
        return entry


@dataclass
class MailMessage:
    """What one message holds. ``received`` is time-zone aware; ``received_from`` says where it came from."""

    sha256: str
    message_id: str | None
    sender_name: str | None
    sender_address: str | None
    subject: str | None
    date: datetime | None
    received: datetime | None
    received_from: ReceivedFrom | None
    body: str
    attachments: list[Attachment] = field(default_factory=list)
    automatic: str | None = None  # why it is an auto-reply or delivery report; None for a person's mail
    problems: list[str] = field(default_factory=list)  # what was wrong with it (no values, no addresses)

    @property
    def sender(self) -> str | None:
        """``Name <address>`` as the message gave it."""
        if not self.sender_address and not self.sender_name:
            return None
        if self.sender_name and self.sender_address:
            return f"{self.sender_name} <{self.sender_address}>"
        return self.sender_address or self.sender_name

    def with_file_time(self, when: datetime | None) -> MailMessage:
        """Fall back to the file's (or server's) time when neither ``Date`` nor ``Received`` gave one."""
        if self.received is None and when is not None:
            self.received, self.received_from = when, "file"
        return self


def read_message(data: bytes, *, limits: MailLimits | None = None) -> MailMessage:
    """Read one RFC 5322 message.

    >>> m = read_message(b"From: Eva <eva@example.dk>\\r\\nDate: Mon, 23 Nov 2026 09:15:00 +0100\\r\\n"
    ...                  b"Subject: Klage\\r\\n\\r\\nRenten kom ikke.\\r\\n")
    >>> m.sender_address, m.received.isoformat(), m.body
    ('eva@example.dk', '2026-11-23T09:15:00+01:00', 'Renten kom ikke.')
    """
    limits = limits or MailLimits()
    if len(data) > limits.max_message_bytes:
        raise MailLimitExceededError(f"message of {len(data):,} bytes; the limit is {limits.max_message_bytes:,}",
                                     limit="max_message_bytes", value=len(data), maximum=limits.max_message_bytes)
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    reader = _Reader(limits)
    reader.walk(message, 0)
    problems = reader.problems
    if message.defects:
        problems.append("broken MIME structure (" + ", ".join(sorted({type(d).__name__ for d in message.defects}))
                        + "); read as well as possible")
    name, address = _sender(message, problems)
    date = _date(_header(message, "Date", problems))
    received = date or _newest_received(message)
    received_from: ReceivedFrom = "date" if date else "received"
    return MailMessage(
        sha256=hashlib.sha256(data).hexdigest(), message_id=_message_id(message, problems), sender_name=name,
        sender_address=address, subject=_header(message, "Subject", problems), date=date, received=received,
        received_from=received_from if received else None, body=reader.body(), attachments=reader.attachments,
        automatic=_automatic(message), problems=problems)


# -- headers --------------------------------------------------------------------------------------------


def _header(message: Message, name: str, problems: list[str]) -> str | None:
    try:
        value = message.get(name)
    except Exception:  # a header the registry cannot parse at all
        problems.append(f"unreadable {name} header")
        return None
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _message_id(message: Message, problems: list[str]) -> str | None:
    value = _header(message, "Message-ID", problems)
    return value.strip() if value else None


def _sender(message: Message, problems: list[str]) -> tuple[str | None, str | None]:
    raw = _header(message, "From", problems) or _header(message, "Sender", problems)
    if raw is None:
        problems.append("no sender (From header missing)")
        return None, None
    name, address = parseaddr(raw)
    if not address or "@" not in address:
        found = getaddresses([raw])
        name, address = found[0] if found else ("", "")
    if "@" not in address:
        problems.append("the sender's address cannot be read")
    return (name.strip() or None), (address.strip() or None)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    # RFC 5322 "-0000": UTC, local zone unknown. Python gives a naive datetime for it.
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _newest_received(message: Message) -> datetime | None:
    """The time in the topmost ``Received:`` header that has a readable one (the last hop: our server)."""
    for value in message.get_all("Received") or []:
        _, _, when = str(value).rpartition(";")
        if parsed := _date(when.strip()):
            return parsed
    return None


def _automatic(message: Message) -> str | None:
    """Why this is clearly not a person writing: RFC 3834 auto-replies and RFC 6522 delivery reports."""
    auto = str(message.get("Auto-Submitted") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return f"auto-reply (Auto-Submitted: {auto.split(';')[0][:40]})"
    if message.get_content_type() == "multipart/report":
        return f"delivery report (multipart/report; {str(message.get_param('report-type') or '?')[:40]})"
    if str(message.get("X-Autoreply") or message.get("X-Autorespond") or "").strip():
        return "auto-reply (X-Autoreply)"
    return None


# -- the MIME tree ------------------------------------------------------------------------------------------

_ARCHIVES = {"application/zip", "application/x-zip-compressed", "application/x-7z-compressed",
             "application/x-rar-compressed", "application/vnd.rar", "application/gzip", "application/x-tar"}
_ARCHIVE_SUFFIX = re.compile(r"(?i)\.(zip|7z|rar|tar|tgz|gz)$")


class _Reader:
    """Walks the MIME tree once: text bodies, attachments, problems; counts parts and depth."""

    def __init__(self, limits: MailLimits) -> None:
        self.limits = limits
        self.parts = 0
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Attachment] = []
        self.problems: list[str] = []

    def walk(self, part: Message, depth: int) -> None:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise MailLimitExceededError(f"more than {self.limits.max_parts} MIME parts", limit="max_parts",
                                         maximum=self.limits.max_parts)
        if depth > self.limits.max_depth:
            raise MailLimitExceededError(f"MIME parts nested deeper than {self.limits.max_depth}",
                                         limit="max_depth", maximum=self.limits.max_depth)
        kind = part.get_content_type()
        if kind == "message/rfc822" and isinstance(part.get_payload(), list):
            # A forwarded message: its text and attachments are the customer's too.
            for inner in part.get_payload():
                if isinstance(inner, Message):
                    self.walk(inner, depth + 1)
            return
        if part.is_multipart():
            payload = part.get_payload()
            for sub in payload if isinstance(payload, list) else []:
                if isinstance(sub, Message):
                    self.walk(sub, depth + 1)
            return
        name = _filename(part, self.problems)
        disposition = part.get_content_disposition()
        if kind in ("text/plain", "text/html") and name is None and disposition != "attachment":
            (self.plain if kind == "text/plain" else self.html).append(self._text(part))
            return
        self._attach(part, kind, name)

    def _text(self, part: Message) -> str:
        data = part.get_payload(decode=True)
        raw = data if isinstance(data, bytes) else b""
        charset = part.get_content_charset() or "us-ascii"
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
        # Declared wrong (a Danish "us-ascii" mail in Latin-1) or an unknown name: UTF-8, else Windows-1252.
        for fallback in ("utf-8", "cp1252"):
            try:
                text = raw.decode(fallback)
            except UnicodeDecodeError:
                continue
            self.problems.append(f"text declared as {charset[:30]!r} read as {fallback}")
            return text
        self.problems.append(f"text in an unreadable character set {charset[:30]!r}; undecodable bytes replaced")
        return raw.decode("utf-8", errors="replace")

    def _attach(self, part: Message, kind: str, name: str | None) -> None:
        try:
            decoded = part.get_payload(decode=True)
        except Exception:  # a broken transfer encoding
            decoded = None
        if not isinstance(decoded, bytes):
            payload = part.get_payload()
            decoded = part.as_bytes() if not isinstance(payload, str) else payload.encode("utf-8", "replace")
        digest, size = hashlib.sha256(decoded).hexdigest(), len(decoded)
        note = None
        if kind in _ARCHIVES or (name and _ARCHIVE_SUFFIX.search(name)):
            note = "archive: listed and saved, not unpacked"
        if size > self.limits.max_attachment_bytes:
            note = f"larger than the attachment limit ({self.limits.max_attachment_bytes:,} bytes): listed, not saved"
            self.problems.append("an attachment is larger than the limit")
            decoded = b""
        for defect in getattr(part, "defects", []):
            self.problems.append(f"attachment: {type(defect).__name__}")
        self.attachments.append(Attachment(name, kind, size, digest, decoded, note))

    def body(self) -> str:
        if any(t.strip() for t in self.plain):
            text = "\n\n".join(t.strip() for t in self.plain if t.strip())
        else:
            text = "\n\n".join(html_to_text(h) for h in self.html if h.strip())
        return text.replace("\r\n", "\n").strip()


def _filename(part: Message, problems: list[str]) -> str | None:
    """The attachment's name: RFC 2231 (``filename*=``) by the email package, RFC 2047 words decoded here."""
    try:
        name = part.get_filename() or part.get_param("name")
    except Exception:
        problems.append("an attachment's file name cannot be read")
        return None
    if isinstance(name, tuple):  # an RFC 2231 value the package did not collapse
        from email.utils import collapse_rfc2231_value

        name = collapse_rfc2231_value(name)
    if not isinstance(name, str) or not name.strip():
        return None
    if "=?" in name:  # RFC 2047 inside a parameter: not allowed, but Outlook and others send it
        try:
            name = str(make_header(decode_header(name)))
        except Exception:
            problems.append("an attachment's encoded file name cannot be decoded")
    return " ".join(name.split())[:255]


_BLOCKS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol")


def html_to_text(html: str) -> str:
    """Readable text from an HTML mail body (BeautifulSoup: blocks as lines, links with their address).

    >>> html_to_text("<p>Renten kom <b>ikke</b>.</p><p>Se <a href='https://x.dk/k'>kontoen</a><br>Eva</p>")
    'Renten kom ikke.\\n\\nSe kontoen (https://x.dk/k)\\nEva'
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head", "title"]):
        tag.decompose()
    for link in soup.find_all("a", href=True):
        href = str(link.get("href"))
        if href.startswith(("http:", "https:")) and href not in link.get_text():
            link.append(f" ({href})")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    lines = [" ".join(line.split()) for line in soup.get_text().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
