"""A copy of each sent letter in the mailbox's Sent folder (IMAP ``APPEND`` with ``\\Seen``), via imapclient.

``imaps://user@host[:port]/Sent`` (the folder is the URL's path, ``Sent`` when none is given;
``imap://`` must upgrade with STARTTLS unless the server is on a loopback address, as for
intake). The folder is made when it does not exist. An append is idempotent: a message whose
Message-ID the folder holds already is not appended again (a retry after a crash between the
append and the register noting it). The password is an argument; the CLI reads it from
``KLAGEFORMULAR_IMAP_PASSWORD`` or a prompt (:func:`sent_folder_from_environment`).
"""

from __future__ import annotations

import getpass
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ._quiet import quiet
from .exceptions import ConfigurationError, MailboxError

if TYPE_CHECKING:
    from .org import Organisation

__all__ = ["IMAP_URL_ENV", "SentFolder", "sent_folder_from_environment"]

IMAP_URL_ENV = "KLAGEFORMULAR_IMAP_URL"
IMAP_PASSWORD_ENV = "KLAGEFORMULAR_IMAP_PASSWORD"  # the variable's name; intake reads the same one


@dataclass
class SentFolder:
    """One IMAP folder that receives a copy of every message we send; a connection per append."""

    url: str
    password: str = field(repr=False)
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        from .intake._imap import parse_imap_url

        parts = urlsplit(self.url)
        self.folder = unquote(parts.path.lstrip("/")) or "Sent"
        self.imap = parse_imap_url(self.url)

    def __str__(self) -> str:
        return f"imap{'s' if self.imap.secure else ''}://{self.imap.host}:{self.imap.port}/{self.folder}"

    def append(self, data: bytes, *, message_id: str, at: datetime) -> bool:
        """Append ``data`` (read: ``\\Seen``) unless the folder has ``message_id`` already; True when appended.

        Raises :class:`MailboxError` (connection, TLS, login, a refused append).
        """
        from imapclient import SEEN, IMAPClient
        from imapclient.exceptions import LoginError

        from .intake._imap import _loopback, _shutdown

        url, context = self.imap, self.ssl_context or ssl.create_default_context()
        with quiet():  # imapclient logs each line at DEBUG: the whole message
            try:
                client: Any = IMAPClient(url.host, port=url.port, ssl=url.secure, ssl_context=context,
                                         timeout=self.timeout)
            except (OSError, ssl.SSLError) as exc:
                raise MailboxError(f"cannot connect to {self}: {exc.strerror or type(exc).__name__}") from None
            try:
                if not url.secure:
                    if b"STARTTLS" in client.capabilities():
                        client.starttls(context)
                    elif not _loopback(url.host):
                        raise MailboxError(f"{self} offers no STARTTLS; unencrypted IMAP is only used on a loopback "
                                           "address (use imaps://)")
                client.login(url.user, self.password)
                if not client.folder_exists(self.folder):
                    client.create_folder(self.folder)
                client.select_folder(self.folder)
                if client.search(["HEADER", "Message-ID", message_id]):
                    return False
                client.append(self.folder, data, flags=[SEEN], msg_time=at)
                return True
            except LoginError:
                raise MailboxError(f"{self}: login failed") from None
            except MailboxError:
                raise
            except Exception as exc:  # imaplib's errors, a dropped connection
                raise MailboxError(f"{self}: {type(exc).__name__}") from None
            finally:
                try:
                    client.logout()
                except Exception:
                    _shutdown(client)


def sent_folder_from_environment(environ: Mapping[str, str], *, org: Organisation | None = None,
                                 prompt: Callable[[str], str] | None = getpass.getpass) -> SentFolder | None:
    """The Sent folder the settings give: ``KLAGEFORMULAR_IMAP_URL``, else the profile file's ``mail.imap_url``
    (None: no copies). Its password: ``KLAGEFORMULAR_IMAP_PASSWORD``, else ``prompt``."""
    text = environ.get(IMAP_URL_ENV) or (org.mail.imap_url if org is not None and org.mail is not None else None)
    if not text:
        return None
    folder = SentFolder(text, "")
    password = environ.get(IMAP_PASSWORD_ENV)
    if password is None:
        if prompt is None:
            raise ConfigurationError(f"the IMAP server wants a password: set {IMAP_PASSWORD_ENV}")
        password = prompt(f"IMAP password for {folder}: ")
    folder.password = password
    return folder
