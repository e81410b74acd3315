"""Reading one message in a batch worker process, where a time and memory ceiling apply.

The batch's workers (:mod:`klageformular._pool`) run :func:`read_saved` on a message the main
process wrote to a private file: the message is read (:func:`~._message.read_message` or
:func:`~._msg.read_msg`), its attachments are saved under ``attachments/<sha256>`` right
there, and what comes back over the channel is the message without bytes, as JSON
(:func:`message_to_json`; :func:`message_from_json` on the other side). A message that makes
the ``email`` package run for minutes or eat gigabytes costs a killed worker and an
unreadable line, not the run.
"""

from __future__ import annotations

import os
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .._quiet import quiet
from ._message import Attachment, MailLimits, MailMessage, read_message
from ._msg import read_msg

__all__ = ["message_from_json", "message_to_json", "read_saved", "save_once"]

_DATES = ("date", "received", "received_header")


def save_once(folder: Path, digest: str, data: bytes) -> None:
    """``folder/<digest>`` (0600), written once, atomically; safe when two processes write the same bytes."""
    target = folder / digest
    if target.exists():
        return
    folder.mkdir(mode=0o700, exist_ok=True)
    partial = folder / f".{digest}.{os.getpid()}.part"  # one per process: two workers may save one file
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(data)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def read_saved(path: str, limits: MailLimits, attachments: Path) -> dict[str, Any]:
    """Read the message in ``path`` (``.msg``: Outlook), save its attachments; the message as JSON."""
    data = Path(path).read_bytes()
    with quiet():
        message = (read_msg if path.endswith(".msg") else read_message)(data, limits=limits)
    kept: list[Attachment] = []
    for attachment in message.attachments:
        saved = None
        if attachment.size <= limits.max_attachment_bytes:
            save_once(attachments, attachment.sha256, attachment.data)
            saved = f"{attachments.name}/{attachment.sha256}"
        kept.append(replace(attachment, data=b"", pdf=attachment.is_pdf, image=attachment.is_image, saved=saved))
    message.attachments = kept
    return message_to_json(message)


def message_to_json(message: MailMessage) -> dict[str, Any]:
    """The message without attachment bytes, JSON-ready."""
    fields = asdict(message)
    for name in _DATES:
        fields[name] = fields[name].isoformat() if fields[name] is not None else None
    for attachment in fields["attachments"]:
        attachment.pop("data")
    return fields


def message_from_json(fields: dict[str, Any]) -> MailMessage:
    """The :class:`MailMessage` again (attachments without bytes: ``saved`` says where they are)."""
    fields = dict(fields)
    for name in _DATES:
        fields[name] = datetime.fromisoformat(fields[name]) if fields[name] is not None else None
    fields["attachments"] = [Attachment(**a, data=b"") for a in fields["attachments"]]
    return MailMessage(**fields)
