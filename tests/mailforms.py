"""Complaint forms by mail, for the watch's sending tests and the conversation test.

:func:`form` renders the Danish form (``klageformular.render``) and fills it with pypdf
(tests/fillers.py) the way a customer's program does: the sample complaint of tests/conftest.py
without a representative, so the letter goes to the complainant's own ``email``; ``bad_email``
types a value that fails the form's check (the case then needs review). :func:`mail` wraps it in
the message a customer's mail program sends; :func:`profile_file` writes a profile file that
allows (or does not allow) automatic acknowledgements.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from pathlib import Path

from klageformular.model import Complaint
from klageformular.orgfile import dumps_organisation
from klageformular.render import render_form
from klageformular.values import field_values

from .conftest import sample_data
from .fillers import fill_pypdf
from .test_register_letters import _org

FORM_NAME = "klageformular.pdf"


@cache
def _blank() -> bytes:
    return render_form("da")


def form(*, email: str, name: str = "Jensen", bad_email: bool = False) -> bytes:
    """A filled form from complainant ``name`` giving ``email`` (typed wrongly with ``bad_email``)."""
    data = sample_data()
    data.pop("representative")
    data["complainant"] |= {"last_name": name, "email": email}
    values = field_values(Complaint.model_validate(data), "da")
    if bad_email:
        values["complainant.email"] = email.replace("@", " at ")  # what the form's check refuses
    return fill_pypdf(_blank(), values)


def mail(sender: str, to: str, subject: str, *, message_id: str, attachment: bytes | None = None,
         filename: str = FORM_NAME, text: str = "Min klage er vedhæftet.", in_reply_to: str | None = None,
         references: str | None = None, when: datetime | None = None) -> bytes:
    """The message as a mail program writes it (``in_reply_to``: a reply; ``references``: its chain, else the same)."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(when or datetime.now(UTC))
    message["Message-ID"] = message_id
    if in_reply_to is not None:
        message["In-Reply-To"] = in_reply_to
        message["References"] = references or in_reply_to
    message.set_content(text)
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", subtype="pdf", filename=filename)
    return message.as_bytes()


def profile_file(folder: Path, *, auto: bool, officer: str | None = None) -> str:
    """The Danish profile as a file (TOML), with ``auto_acknowledge`` and the complaints address ``officer``."""
    org = _org("da")
    if officer is not None:
        org = org.model_copy(update={"complaints_officer": org.complaints_officer.model_copy(
            update={"email": officer})})
    path = folder / f"kameo-dk-{'auto' if auto else 'manual'}.toml"
    path.write_text(dumps_organisation(org.model_copy(update={"auto_acknowledge": auto}), "toml"), encoding="utf-8")
    return str(path)
