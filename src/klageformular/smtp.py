"""Sending a message by SMTP with the standard library's :mod:`smtplib`, and what its replies mean.

``smtps://host[:port]`` talks TLS from the first byte (port 465 by default); ``smtp://host[:port]``
(port 587) must upgrade with STARTTLS, and talks in the clear only to a loopback address (a relay
on the same machine). A user in the URL (``smtps://klage%40kameo.dk@mail.kameo.dk``) logs in with
the password given; the URL itself never holds one. Every connection has a timeout.

What a failure means is decided here, once (:meth:`SmtpMailer.submit`):

- 2xx to the message: sent; the reply is returned (``250 2.0.0 Ok: queued as …``);
- a 5xx to the recipient (``RCPT``) or to the message (``DATA``): :class:`PermanentSendError` —
  sending the same message again will not help;
- everything else is :class:`TemporarySendError`, worth another try: a 4xx reply, a connection
  refused or dropped (mid-``DATA`` too), a timeout, and our own side's settings (a failed login,
  a server without STARTTLS, a refused sender address): the message is not at fault there.

The password is never logged, never stored, never in an exception's message; the exceptions
name the server without the user, and keep the server's own words in ``reply`` (they may quote
the recipient's address, so they go to the register, not to a log). Reading the settings from
the environment or a profile is :func:`smtp_from_environment`'s job, called at the edge (CLI).
"""

from __future__ import annotations

import getpass
import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from .exceptions import ConfigurationError, PermanentSendError, TemporarySendError

if TYPE_CHECKING:
    from .org import Organisation

__all__ = ["SMTP_PASSWORD_ENV", "SMTP_URL_ENV", "SmtpMailer", "SmtpUrl", "parse_smtp_url", "smtp_from_environment"]

SMTP_URL_ENV = "KLAGEFORMULAR_SMTP_URL"
SMTP_PASSWORD_ENV = "KLAGEFORMULAR_SMTP_PASSWORD"  # the variable's name, not a password


@dataclass(frozen=True)
class SmtpUrl:
    """The parts of ``smtp[s]://[user@]host[:port]``."""

    secure: bool
    host: str
    port: int
    user: str | None = None

    def __str__(self) -> str:
        """The URL without the user (it is often an address)."""
        return f"smtp{'s' if self.secure else ''}://{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpUrl:
    """Split an SMTP URL; a password in it is refused (it would show in ``ps``, shell history and files).

    >>> parse_smtp_url("smtps://klage%40kameo.dk@mail.kameo.dk")
    SmtpUrl(secure=True, host='mail.kameo.dk', port=465, user='klage@kameo.dk')
    >>> str(parse_smtp_url("smtp://127.0.0.1:2525"))
    'smtp://127.0.0.1:2525'
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ConfigurationError(f"{SMTP_URL_ENV} starts with smtps:// (TLS) or smtp:// (STARTTLS)")
    if parts.password is not None:
        raise ConfigurationError(f"put no password in the SMTP URL: use {SMTP_PASSWORD_ENV} or the prompt")
    if not parts.hostname:
        raise ConfigurationError("the SMTP URL needs a host: smtps://user@host[:port]")
    if parts.path.strip("/") or parts.query:
        raise ConfigurationError("the SMTP URL is smtp[s]://[user@]host[:port], without a path")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 587)
    except ValueError:
        raise ConfigurationError("the SMTP port is not a number") from None
    return SmtpUrl(parts.scheme == "smtps", parts.hostname, port, unquote(parts.username) if parts.username else None)


def loopback(host: str) -> bool:
    """Whether every address ``host`` names is this machine's (the only place plain SMTP or IMAP may go)."""
    from .intake._imap import _loopback

    return _loopback(host)


@dataclass
class SmtpMailer:
    """Submits messages to one SMTP server; a connection per message (a queue is short, a long-held one breaks).

    Not supported: SMTPUTF8 (our messages are ASCII on the wire), pipelining several messages on
    one connection, client certificates.
    """

    url: SmtpUrl
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)

    def submit(self, data: bytes, *, sender: str, recipients: Sequence[str]) -> str:
        """Send ``data`` (the message as on the wire) from ``sender`` to ``recipients``; the server's reply.

        Raises :class:`TemporarySendError` or :class:`PermanentSendError` (see the module's rules).
        """
        url = self.url
        context = self.ssl_context or ssl.create_default_context()
        try:
            client: smtplib.SMTP = (smtplib.SMTP_SSL(url.host, url.port, timeout=self.timeout, context=context)
                                    if url.secure else smtplib.SMTP(url.host, url.port, timeout=self.timeout))
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporarySendError(f"cannot reach {url}: {_why(exc)}") from None
        try:
            return self._submit(client, data, sender, recipients, context)
        except (PermanentSendError, TemporarySendError):
            raise
        except smtplib.SMTPServerDisconnected:
            raise TemporarySendError(f"{url}: the server closed the connection before taking the message") from None
        except smtplib.SMTPResponseException as exc:  # a reply out of turn (HELO, STARTTLS)
            raise TemporarySendError(f"{url}: the server replied {exc.smtp_code}", code=exc.smtp_code,
                                     reply=_text(exc.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as exc:  # timeouts, resets, TLS errors
            raise TemporarySendError(f"{url}: connection lost ({_why(exc)})") from None
        finally:
            with suppress(Exception):
                client.quit()
            with suppress(Exception):
                client.close()

    def _submit(self, client: smtplib.SMTP, data: bytes, sender: str, recipients: Sequence[str],
                context: ssl.SSLContext) -> str:
        url = self.url
        client.ehlo_or_helo_if_needed()
        if not url.secure:
            if client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif not loopback(url.host):
                raise TemporarySendError(f"{url} offers no STARTTLS; mail is sent in the clear only to a loopback "
                                         "address (use smtps://, or a server with STARTTLS)")
        if url.user is not None:
            try:
                client.login(url.user, self.password or "")
            except smtplib.SMTPAuthenticationError as exc:  # the server's words may echo the user: not kept
                raise TemporarySendError(f"{url}: login refused ({exc.smtp_code}); check the user and "
                                         f"{SMTP_PASSWORD_ENV}", code=exc.smtp_code) from None
            except smtplib.SMTPNotSupportedError:
                raise TemporarySendError(f"{url} offers no login (AUTH); remove the user from the URL or use "
                                         "another server") from None
        code, reply = client.mail(sender)
        if not 200 <= code < 300:
            # Our own address refused: the server's settings, not this message; it stays queued.
            raise TemporarySendError(f"{url}: the server refused the sender address ({code}{_status(reply)})",
                                     code=code, reply=f"{code} {_text(reply)}")
        for recipient in recipients:
            code, reply = client.rcpt(recipient)
            if code in (250, 251):
                continue
            error = PermanentSendError if 500 <= code < 600 else TemporarySendError
            raise error(f"{url}: the server refused the recipient ({code}{_status(reply)})", code=code,
                        reply=f"{code} {_text(reply)}")
        code, reply = client.data(data)
        if 200 <= code < 300:
            return f"{code} {_text(reply)}"
        error = PermanentSendError if 500 <= code < 600 else TemporarySendError
        raise error(f"{url}: the server refused the message ({code}{_status(reply)})", code=code,
                    reply=f"{code} {_text(reply)}")


def smtp_from_environment(environ: Mapping[str, str], *, org: Organisation | None = None,
                          prompt: Callable[[str], str] | None = getpass.getpass,
                          timeout: float = 30.0) -> SmtpMailer | None:
    """The mailer the settings give: ``KLAGEFORMULAR_SMTP_URL``, else the profile file's ``mail.smtp_url``
    (None when neither is set). The password: ``KLAGEFORMULAR_SMTP_PASSWORD``, else ``prompt`` (when the
    URL names a user; ``prompt=None`` refuses instead of asking)."""
    text = environ.get(SMTP_URL_ENV) or (org.mail.smtp_url if org is not None and org.mail is not None else None)
    if not text:
        return None
    url = parse_smtp_url(text)
    password = environ.get(SMTP_PASSWORD_ENV)
    if url.user is not None and password is None:
        if prompt is None:
            raise ConfigurationError(f"the SMTP server wants a password: set {SMTP_PASSWORD_ENV}")
        password = prompt(f"SMTP password for {url}: ")
    return SmtpMailer(url, password, timeout=timeout)


def _text(reply: bytes | str) -> str:
    """A server's reply on one line, at most 300 characters."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())[:300]


def _status(reply: bytes) -> str:
    """The enhanced status code (RFC 3463) at the start of a reply, as `` 5.1.1``; the rest stays out."""
    first = _text(reply).split(" ", 1)[0]
    parts = first.split(".")
    return f" {first}" if len(parts) == 3 and all(p.isdigit() for p in parts) else ""


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__
