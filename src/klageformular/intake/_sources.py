"""Where messages come from: ``.eml``/``.msg``/mbox files in a folder, an mbox file, a Maildir.

Each source yields :class:`RawMessage` — the bytes as received plus what the source knows
about receipt (the file's time) and a resume key. Files and Maildir entries are keyed by
the message's hash, so the same message saved twice is one; IMAP (:mod:`._imap`) keys by
UIDVALIDITY and UID. Sources never change what they read.
"""

from __future__ import annotations

import hashlib
import mailbox
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ..exceptions import MailboxError
from ._msg import OLE_MAGIC

__all__ = ["MailKind", "RawMessage", "file_messages", "is_maildir", "mail_kind", "maildir_messages",
           "mbox_messages"]

MailKind = Literal["eml", "msg", "mbox"]

_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{1,60}:[ \t]")
_MAIL_HEADERS = re.compile(rb"(?im)^(from|date|message-id|received|return-path|mime-version|subject):")


@dataclass
class RawMessage:
    """One message as a source delivered it. ``data`` is None when ``error`` says why it was not fetched."""

    source: str  # how the officer finds it: "indbakke/Klage.eml", "klager.mbox#3", "imap INBOX uid 17"
    key: str  # resume key: "sha256:<hex>", or "imap:<uidvalidity>:<uid>@<folder>"
    data: bytes | None
    kind: Literal["rfc822", "msg"] = "rfc822"
    file_time: datetime | None = None
    error: str | None = None
    done: Callable[[], None] | None = None  # IMAP: mark seen / move once its records are written
    time_kind: Literal["file", "server"] = "file"  # file_time is the file's, or the mail server's (trusted)
    position: int = 0  # its place in the mailbox (mbox number, IMAP UID): ties in receipt order go by it


def _key(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def mail_kind(path: Path) -> MailKind | None:
    """Whether a file in an inbox folder is mail: ``.eml``, Outlook ``.msg`` or an mbox (by suffix and bytes)."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return None  # the folder walk reports unreadable files
    suffix = path.suffix.lower()
    if head.startswith(b"%PDF-") or head.lstrip().startswith(b"%PDF-"):
        return None
    if head.startswith(OLE_MAGIC):
        return "msg" if suffix == ".msg" else None  # a Word .doc is OLE too
    if head.startswith(b"From ") and _MAIL_HEADERS.search(head):
        return "mbox"
    if suffix == ".eml" or (_HEADER_LINE.match(head) and len(_MAIL_HEADERS.findall(head)) >= 2):
        return "eml"
    return None


def file_messages(path: Path, label: str, kind: MailKind) -> Iterator[RawMessage]:
    """The messages in one file of an inbox folder."""
    if kind == "mbox":
        yield from mbox_messages(path, label)
        return
    data = path.read_bytes()
    yield RawMessage(label, _key(data), data, "msg" if kind == "msg" else "rfc822", _mtime(path))


def mbox_messages(path: Path, label: str | None = None) -> Iterator[RawMessage]:
    """Every message of an mbox file, in order; the file time is the fall-back receipt time."""
    if not path.is_file():
        raise MailboxError(f"mbox {path} is not a file")
    # Not locked: locking writes a .lock file next to it, and a source is never changed. Read a
    # copy if a mail program is still delivering into it.
    box = mailbox.mbox(path, create=False)
    try:
        for number, key in enumerate(sorted(box.keys()), 1):
            data = box.get_bytes(key)
            yield RawMessage(f"{label or path.name}#{number}", _key(data), data, "rfc822", _mtime(path),
                             position=number)
    finally:
        box.close()


def is_maildir(path: Path) -> bool:
    """A folder with ``cur``, ``new`` and ``tmp``."""
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def maildir_messages(path: Path) -> Iterator[RawMessage]:
    """Every message in a Maildir (``new`` and ``cur``); the delivery time from the file name is the fall-back."""
    box = mailbox.Maildir(path, factory=None, create=False)
    for number, key in enumerate(sorted(box.keys()), 1):
        data = box.get_bytes(key)
        delivered = None
        if (stamp := key.split(".", 1)[0]).isdigit():
            delivered = datetime.fromtimestamp(int(stamp), UTC)
        yield RawMessage(f"{path.name}/{key}", _key(data), data, "rfc822", delivered, position=number)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)
