"""An IMAP folder as a source, through the maintained ``imapclient`` package.

``imaps://user@host[:port]/Folder`` connects with TLS; ``imap://…`` upgrades with STARTTLS
when the server offers it and otherwise talks in the clear only to a loopback address. The
folder is opened read-only unless the caller asks to mark messages seen or move them;
``BODY.PEEK[]`` never sets ``\\Seen`` by itself. Messages are keyed by UIDVALIDITY and UID,
so a second run fetches only what is new; if the server renumbers the folder (a new
UIDVALIDITY), everything is read again and the message hashes keep it from counting twice.

The password is an argument: reading it from the environment or a prompt is the CLI's job.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
from collections.abc import Container, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from .._quiet import quiet
from ..exceptions import ConfigurationError, MailboxError
from ._sources import RawMessage

__all__ = ["ImapMailbox", "ImapUrl", "parse_imap_url"]

log = logging.getLogger("klageformular.intake")


@dataclass(frozen=True)
class ImapUrl:
    """The parts of ``imap[s]://user@host[:port]/Folder``."""

    secure: bool
    user: str
    host: str
    port: int
    folder: str

    def __str__(self) -> str:
        """The URL without the user (it is often an address)."""
        return f"imap{'s' if self.secure else ''}://{self.host}:{self.port}/{self.folder}"


def parse_imap_url(url: str) -> ImapUrl:
    """Split an IMAP URL; a password in it is refused (it would show in ``ps`` and shell history).

    >>> parse_imap_url("imaps://klage%40kameo.dk@mail.kameo.dk/INBOX/Klager")
    ImapUrl(secure=True, user='klage@kameo.dk', host='mail.kameo.dk', port=993, folder='INBOX/Klager')
    """
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ConfigurationError("an IMAP source starts with imap:// or imaps://")
    if parts.password is not None:
        raise ConfigurationError("put no password in the URL: use KLAGEFORMULAR_IMAP_PASSWORD or the prompt")
    if not parts.username or not parts.hostname:
        raise ConfigurationError("an IMAP source needs a user and a host: imaps://user@host/Folder")
    try:
        port = parts.port or (993 if parts.scheme == "imaps" else 143)
    except ValueError:
        raise ConfigurationError("the IMAP port is not a number") from None
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapUrl(parts.scheme == "imaps", unquote(parts.username), parts.hostname, port, folder)


def _loopback(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


class ImapMailbox:
    """One IMAP folder, opened for a run (use ``with``); ``messages`` yields what is not done yet.

    >>> with ImapMailbox("imaps://klage@mail.kameo.dk/INBOX", password) as box:   # doctest: +SKIP
    ...     for message in box.messages(done=set()): ...
    """

    def __init__(self, url: str | ImapUrl, password: str, *, mark_seen: bool = False, move_to: str | None = None,
                 ssl_context: ssl.SSLContext | None = None, timeout: float = 60.0) -> None:
        self.url = parse_imap_url(url) if isinstance(url, str) else url
        self.password, self.mark_seen, self.move_to = password, mark_seen, move_to
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.timeout = timeout
        self.client: Any = None
        self.uidvalidity = 0
        self.total = 0

    def __enter__(self) -> ImapMailbox:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def open(self) -> None:
        """Connect, secure the connection, log in and select the folder."""
        from imapclient import IMAPClient
        from imapclient.exceptions import LoginError

        with quiet():  # the login line and the server's greeting
            self._open(IMAPClient, LoginError)

    def _open(self, IMAPClient: Any, LoginError: Any) -> None:  # noqa: N803 (the classes, imported lazily)
        url = self.url
        try:
            client = IMAPClient(url.host, port=url.port, ssl=url.secure, ssl_context=self.ssl_context,
                                timeout=self.timeout)
        except (OSError, ssl.SSLError) as exc:
            raise MailboxError(f"cannot connect to {url}: {exc.strerror or exc}") from None
        client.normalise_times = False  # keep INTERNALDATE's time zone
        try:
            if not url.secure:
                if b"STARTTLS" in client.capabilities():
                    client.starttls(self.ssl_context)
                elif not _loopback(url.host):
                    raise MailboxError(f"{url} offers no STARTTLS; unencrypted IMAP is only used on a loopback "
                                       "address (use imaps://)")
            client.login(url.user, self.password)
            if self.move_to and not client.folder_exists(self.move_to):
                raise MailboxError(f"{url}: there is no folder {self.move_to!r} to move messages to")
            readonly = not (self.mark_seen or self.move_to)
            info = client.select_folder(url.folder, readonly=readonly)
        except LoginError:
            _shutdown(client)
            raise MailboxError(f"{url}: login failed") from None
        except MailboxError:
            _shutdown(client)
            raise
        except Exception as exc:  # imaplib.IMAP4.error for a missing folder, ssl errors for STARTTLS
            _shutdown(client)
            raise MailboxError(f"{url}: {type(exc).__name__}: {str(exc)[:120]}") from None
        self.client = client
        self.uidvalidity = int(info[b"UIDVALIDITY"])
        self.total = int(info.get(b"EXISTS", 0))

    def key(self, uid: int) -> str:
        """The resume key of one message."""
        return f"imap:{self.url.folder}:{self.uidvalidity}:{uid}"

    def messages(self, done: Container[str], *, max_bytes: int | None = None) -> Iterator[RawMessage]:
        """Each message whose key is not in ``done``, one fetch at a time (memory stays flat)."""
        client = self.client
        try:
            with quiet():
                uids = sorted(client.search("ALL"))
            new = [uid for uid in uids if self.key(uid) not in done]
            # Settled by an earlier run that stopped (killed) before it marked or moved them.
            self._finish([uid for uid in uids if self.key(uid) in done])
            with quiet():
                meta = client.fetch(new, ["RFC822.SIZE", "INTERNALDATE"]) if new else {}
            for uid in new:
                size = int(meta.get(uid, {}).get(b"RFC822.SIZE", 0))
                arrived = meta.get(uid, {}).get(b"INTERNALDATE")
                label = f"imap {self.url.folder} uid {uid}"
                when = arrived if isinstance(arrived, datetime) and arrived.tzinfo else None
                if max_bytes is not None and size > max_bytes:
                    yield RawMessage(label, self.key(uid), None, file_time=when, done=self._done(uid),
                                     error=f"message of {size:,} bytes; the limit is {max_bytes:,} (left on "
                                           "the server)", time_kind="server", position=uid)
                    continue
                with quiet():  # imapclient logs every line the server sends at DEBUG: the whole message
                    body = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
                if not isinstance(body, bytes):
                    yield RawMessage(label, self.key(uid), None, file_time=when, error="the server sent no body",
                                     time_kind="server", position=uid)
                    continue
                yield RawMessage(label, self.key(uid), body, file_time=when, done=self._done(uid),
                                 time_kind="server", position=uid)
        except MailboxError:
            raise
        except Exception as exc:  # the connection dropped mid-run: what was written stays valid
            raise MailboxError(f"{self.url}: {type(exc).__name__}: {str(exc)[:120]}") from None

    def _done(self, uid: int) -> Any:
        if not (self.mark_seen or self.move_to):
            return None
        return lambda: self._finish([uid])

    def _finish(self, uids: list[int]) -> None:
        """Mark seen / move messages whose records are written.

        The ledger line comes first: a run killed between it and the move leaves the message in
        the folder with its key done, and the next run finishes the move here without reading
        it again. A server that refuses is no reason to stop: the next run tries again.
        """
        if not uids or not (self.mark_seen or self.move_to):
            return
        from imapclient import SEEN

        try:
            with quiet():
                if self.mark_seen:
                    self.client.add_flags(uids, [SEEN])
                if self.move_to:
                    if self.client.has_capability("MOVE"):
                        self.client.move(uids, self.move_to)
                    else:
                        self.client.copy(uids, self.move_to)
                        self.client.delete_messages(uids)
                        self.client.uid_expunge(uids)
        except Exception as exc:
            log.warning("%s: could not %s %d message(s) (%s); the next run tries again", self.url,
                        "move" if self.move_to else "mark", len(uids), type(exc).__name__)

    def close(self) -> None:
        """Log out (a dropped connection is no error here)."""
        if self.client is not None:
            with quiet():
                try:
                    self.client.logout()
                except Exception:
                    _shutdown(self.client)
            self.client = None


def _shutdown(client: Any) -> None:
    """Close a connection that may already be broken (a failed TLS handshake leaves no socket)."""
    with suppress(Exception):
        client.shutdown()
