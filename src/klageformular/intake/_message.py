"""One email message as the complaint desk needs it: who, when, what it says, what it carries.

:func:`read_message` turns the raw bytes of an RFC 5322 message (``.eml``, an mbox or
Maildir entry, an IMAP ``BODY[]``) into a :class:`MailMessage`, with Python's ``email``
package doing the MIME work. Outlook ``.msg`` files come in through :mod:`._msg`, which
builds the same :class:`MailMessage`.

What it guarantees: it never raises on broken MIME or wrong character sets — those are read
as well as they can be and named in ``problems`` — and only the configured limits (size,
number of parts, nesting depth, header size, number of addresses) raise
:class:`~klageformular.MailLimitExceededError`. The limits are checked on the raw header text
before the ``email`` package parses a header: its parser needs memory quadratic in the length
of a header of many encoded words. A batch run reads each message in a worker process with a
time and memory ceiling as well (:mod:`klageformular._pool`), for what no limit foresaw.

The ``Date`` header is the sender's claim. It is the receipt time only when it is plausible:
not in the future, and not long before the time our own server put in the newest
``Received:`` header (see :func:`receipt_time`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any, Literal

from ..exceptions import MailLimitExceededError
from ._replies import automatic_reason, message_ids, report_details

__all__ = ["Attachment", "MailLimits", "MailMessage", "html_to_text", "read_message", "receipt_time"]

# Where the receipt time came from: the Date header, the newest Received header, the mail
# server (IMAP INTERNALDATE), the file's time, or the moment of reading.
ReceivedFrom = Literal["date", "received", "server", "file", "now"]


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
    # The header section of one part (the message's, or an attached message's). Real mail with a
    # long Received chain and DKIM signatures has a few KB; 64 KB of encoded words costs the
    # email package's header parser a few hundred MB.
    max_header_bytes: int = 64_000
    max_addresses: int = 1_000  # in From, Sender, Reply-To, To, Cc and Bcc together, per part
    # One address header: its parser's cost grows with the square of the encoded words in it
    # (16 KB: 0.3 s; 63 KB: 2.8 s and 270 MB).
    max_address_header_bytes: int = 16_000


@dataclass(frozen=True)
class Attachment:
    """One attached file. ``data`` is empty when ``note`` says it was too large to keep."""

    name: str | None
    content_type: str
    size: int
    sha256: str
    data: bytes = field(repr=False)
    note: str | None = None  # e.g. a zip archive (listed, not unpacked)
    pdf: bool | None = None  # known without the bytes (read in a worker process, which saved them)
    saved: str | None = None  # where that worker saved them: ``attachments/<sha256>``
    image: bool | None = None  # as ``pdf``: a page image (PNG, JPEG, TIFF) by its bytes

    @property
    def is_pdf(self) -> bool:
        """A PDF by its bytes (mail programs often send PDFs as ``application/octet-stream``)."""
        if self.pdf is not None:
            return self.pdf
        return self.data[:1024].lstrip().startswith(b"%PDF-")

    @property
    def is_image(self) -> bool:
        """A PNG, JPEG or TIFF by its bytes: perhaps a photo or a scan of the printed form (the paper path)."""
        if self.image is not None:
            return self.image
        from ..scan._raster import image_kind  # the magic numbers only: no image library loaded

        return image_kind(self.data[:8]) is not None

    @property
    def is_readable(self) -> bool:
        """Worth giving to the form reader: a PDF, or a page image the scan reader may know."""
        return self.is_pdf or self.is_image

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
    received_header: datetime | None = None  # the newest Received header's time (our own server's)
    # The conversation (see ._replies): the Message-IDs it answers, and for an automatic message those
    # quoted in its report or text, with a delivery report's DSN status. All claims of the sender.
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    quoted_ids: list[str] = field(default_factory=list)
    delivery_status: str | None = None

    @property
    def sender(self) -> str | None:
        """``Name <address>`` as the message gave it."""
        if not self.sender_address and not self.sender_name:
            return None
        if self.sender_name and self.sender_address:
            return f"{self.sender_name} <{self.sender_address}>"
        return self.sender_address or self.sender_name

    def with_file_time(self, when: datetime | None, *, kind: Literal["file", "server"] = "file",
                       now: datetime | None = None) -> MailMessage:
        """The receipt time again, now that the file's (or the mail server's) time is known too."""
        received, received_from, note = receipt_time(self.date, self.received_header, when, kind, now=now)
        if note and note not in self.problems:
            self.problems.append(note)
        self.received, self.received_from = received, received_from
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
    _check_header_section(data, limits)
    message = BytesParser(_class=_Counting(limits), policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    reader = _Reader(limits)
    reader.walk(message, 0)
    problems = reader.problems
    if message.defects:
        problems.append("broken MIME structure (" + ", ".join(sorted({type(d).__name__ for d in message.defects}))
                        + "); read as well as possible")
    name, address = _sender(message, problems)
    claimed = _header(message, "Date", problems)
    date = _date(claimed)
    if claimed and date is None:
        problems.append("the Date header cannot be read (or lies outside the calendar): not used")
    newest = _newest_received(message)
    received, received_from, note = receipt_time(date, newest, None, "file")
    if note:
        problems.append(note)
    body, automatic = reader.body(), automatic_reason(message)
    quoted, status = report_details(message, body) if automatic else ([], None)
    return MailMessage(
        sha256=hashlib.sha256(data).hexdigest(), message_id=_message_id(message, problems), sender_name=name,
        sender_address=address, subject=_header(message, "Subject", problems), date=date,
        received=received if received_from != "now" else None,
        received_from=received_from if received_from != "now" else None, body=body,
        attachments=reader.attachments, automatic=automatic, problems=problems, received_header=newest,
        in_reply_to=message_ids(_header(message, "In-Reply-To", problems)),
        references=message_ids(_header(message, "References", problems)), quoted_ids=quoted,
        delivery_status=status)


# -- when it was received ------------------------------------------------------------------------------

_AHEAD = timedelta(days=1)  # a sender's clock a little fast, or time zones confused
_DELAYED = timedelta(days=30)  # queued, greylisted, retried: mail servers give up after about 5 days
_OLD = timedelta(days=5 * 366)  # before the file's time (which may be that of a later copy)
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


def receipt_time(date: datetime | None, received: datetime | None, when: datetime | None,
                 kind: Literal["file", "server"], *, now: datetime | None = None
                 ) -> tuple[datetime, ReceivedFrom, str | None]:
    """The receipt time of a message, where it came from, and why the ``Date`` was not used (or None).

    ``received`` is the newest ``Received:`` header's time and ``when`` the server's (IMAP
    INTERNALDATE) or the file's time. The ``Date`` is the receipt time when it lies between 30
    days before and a day after the newest ``Received:`` header (else the server's time) —
    our own server's clock —, or without either, not after the file's time (or now) and not
    more than five years before it. Otherwise the trusted time is the receipt time.

    >>> d = datetime(2099, 1, 1, tzinfo=UTC)
    >>> r = datetime(2026, 11, 24, 7, tzinfo=UTC)
    >>> receipt_time(d, r, None, "file")[1:]
    ('received', 'the Date header is after the receipt time: not used as the receipt time')
    """
    now = now or datetime.now(UTC)
    trusted: tuple[datetime, ReceivedFrom] | None = None
    if received is not None:
        trusted = (received, "received")
    elif when is not None and kind == "server":
        trusted = (when, "server")
    if date is not None and date < _EARLIEST:
        note: str | None = "the Date header is before 1990: not used as the receipt time"
    elif date is not None and trusted is not None:
        note = _implausible(date, trusted[0] - _DELAYED, trusted[0] + _AHEAD)
    elif date is not None:
        upper = min(when, now) if when is not None else now
        note = _implausible(date, upper - _OLD, upper + _AHEAD)
    else:
        note = None
    if date is not None and note is None:
        return date, "date", None
    if trusted is not None:
        return trusted[0], trusted[1], note
    if when is not None:
        return when, "file", note
    return now, "now", note


def _implausible(date: datetime, earliest: datetime, latest: datetime) -> str | None:
    if date > latest:
        return "the Date header is after the receipt time: not used as the receipt time"
    if date < earliest:
        return "the Date header is long before the receipt time: not used as the receipt time"
    return None


class _Counting:
    """The parser's message factory, counting: a million parts stop at the limit, not after parsing."""

    def __init__(self, limits: MailLimits) -> None:
        self.limits, self.made = limits, 0

    def __call__(self, policy: Any = policy.default) -> EmailMessage:
        self.made += 1
        if self.made > self.limits.max_parts + 1:  # +1: the parser makes one to try the factory
            raise MailLimitExceededError(f"more than {self.limits.max_parts} MIME parts", limit="max_parts",
                                         maximum=self.limits.max_parts)
        return EmailMessage(policy)


# -- limits on the raw header text, before the email package parses it -------------------------------------

_ADDRESS_HEADERS = ("from", "sender", "reply-to", "to", "cc", "bcc", "resent-from", "resent-to", "resent-cc")


def _check_header_section(data: bytes, limits: MailLimits) -> None:
    """The top header section's size, before parsing (the parser keeps a header's lines in memory)."""
    end = min((i for i in (data.find(b"\r\n\r\n"), data.find(b"\n\n"), data.find(b"\r\r")) if i >= 0),
              default=len(data))
    if end > limits.max_header_bytes:
        raise MailLimitExceededError(f"a header section of {end:,} bytes; the limit is {limits.max_header_bytes:,}",
                                     limit="max_header_bytes", value=end, maximum=limits.max_header_bytes)


def _check_headers(part: Message, limits: MailLimits) -> None:
    """One part's headers as raw text: their size and the number of addresses in them."""
    size = addresses = 0
    for name, value in part.raw_items():
        text = str(value)
        size += len(name) + len(text) + 2
        if name.lower() in _ADDRESS_HEADERS:
            addresses += text.count("@")
            if len(text) > limits.max_address_header_bytes:
                raise MailLimitExceededError(
                    f"an address header of {len(text):,} characters; the limit is {limits.max_address_header_bytes:,}",
                    limit="max_address_header_bytes", value=len(text), maximum=limits.max_address_header_bytes)
    if size > limits.max_header_bytes:
        raise MailLimitExceededError(f"a header section of {size:,} characters; the limit is "
                                     f"{limits.max_header_bytes:,}", limit="max_header_bytes", value=size,
                                     maximum=limits.max_header_bytes)
    if addresses > limits.max_addresses:
        raise MailLimitExceededError(f"{addresses:,} addresses in the headers; the limit is {limits.max_addresses:,}",
                                     limit="max_addresses", value=addresses, maximum=limits.max_addresses)


# -- headers --------------------------------------------------------------------------------------------


def _header(message: Message, name: str, problems: list[str]) -> str | None:
    try:
        value = message.get(name)
    except MemoryError:  # the worker's ceiling: the message is over a limit, not a header unreadable
        raise
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
    if _CONTROL.search(name) or _CONTROL.search(address):
        # An encoded word can carry any byte (=?utf-8?q?Eva=01Hansen?=); none belongs in a name.
        problems.append("control characters in the sender removed")
        name, address = _CONTROL.sub(" ", name), _CONTROL.sub("", address)
    return (" ".join(name.split()) or None), (address.strip() or None)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
        # RFC 5322 "-0000": UTC, local zone unknown. Python gives a naive datetime for it.
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        when.astimezone(UTC)  # 31 Dec 9999 23:30 -1200 is in the year 10000 in UTC: no datetime
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when


def _newest_received(message: Message) -> datetime | None:
    """The time in the topmost ``Received:`` header that has a readable one (the last hop: our server)."""
    for value in message.get_all("Received") or []:
        _, _, when = str(value).rpartition(";")
        if parsed := _date(when.strip()):
            return parsed
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
        _check_headers(part, self.limits)
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


_BLOCKS = frozenset(("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table",
                     "ul", "ol"))
_HIDDEN = frozenset(("script", "style", "head", "title"))


def html_to_text(html: str) -> str:
    """Readable text from an HTML mail body: blocks as lines, links with their address.

    One pass over the tokens of the standard library's HTML parser (the one BeautifulSoup's
    ``html.parser`` builder uses), so time and memory are linear in the HTML: inserting line
    breaks into a BeautifulSoup tree costs a list search per block, quadratic for 16,000
    paragraphs.

    >>> html_to_text("<p>Renten kom <b>ikke</b>.</p><p>Se <a href='https://x.dk/k'>kontoen</a><br>Eva</p>")
    'Renten kom ikke.\\n\\nSe kontoen (https://x.dk/k)\\nEva'
    """
    reader = _HtmlText()
    try:
        reader.feed(html)
        reader.close()
    except Exception:  # the parser gives up on some broken markup: keep what it read
        pass
    lines = [" ".join(line.split()) for line in "".join(reader.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0  # inside <script>, <style>, <head>, <title>
        self.link: tuple[str, int] | None = None  # the open link's address, and where its text starts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a":
            self._close_link()
            href = dict(attrs).get("href") or ""
            if href.startswith(("http:", "https:")):
                self.link = (href, len(self.parts))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a":
            self._close_link()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)

    def _close_link(self) -> None:
        if self.link is not None:
            href, start = self.link
            self.link = None
            if href not in "".join(self.parts[start:]):
                self.parts.append(f" ({href})")
