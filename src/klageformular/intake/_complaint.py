"""A plain email is a complaint too: the sender as complainant, the text as the subject matter.

A message without a readable form becomes a ``Complaint`` with ``method: "email"`` and status
``needs_review`` — a person decides who wrote it and what it is about. The review items say
what was guessed (a name taken from the sender's display name or address) and what did not
fit (a text longer than the subject field: the whole message is saved beside the record).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from ..model import Complaint
from ._message import MailMessage

__all__ = ["email_complaint"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SUBJECT_MAX = 20_000  # the model's ceiling for long text


def _review(path: str, label: str, value: Any, code: str, message: str) -> dict[str, Any]:
    # No language is known for an email: the message is English in both places.
    return {"path": path, "label": label, "value": value, "code": code, "message": message,
            "message_local": message}


def email_complaint(message: MailMessage, *, context: dict[str, Any] | None = None,
                    documents: list[str] | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The Complaint (as JSON) and the review items for a message that holds no form.

    ``documents`` names the attachments (they are listed on the complaint as other documents).

    >>> from klageformular.intake import read_message
    >>> m = read_message(b"From: Eva Hansen <eva@example.dk>\\r\\nSubject: Klage\\r\\n\\r\\nRenten kom ikke.\\r\\n")
    >>> complaint, review = email_complaint(m)
    >>> complaint["complainant"]["last_name"], complaint["subject"], [r["code"] for r in review]
    ('Hansen', 'Klage\\n\\nRenten kom ikke.', ['email_complaint'])
    """
    review = [_review("subject", "Subject matter", None, "email_complaint",
                      "read from a plain email, not the form: check who complains and about what")]
    name = " ".join(_CONTROL.sub(" ", message.sender_name or "").split())
    first, _, last = name.rpartition(" ")
    if not last:
        last = message.sender_address or "(unknown sender)"
        review.append(_review("complainant.last_name", "Last name", last, "name_from_address",
                              "the sender gave no name: the address stands in for it"))
    text = _CONTROL.sub(" ", "\n\n".join(p for p in (message.subject or "", message.body) if p.strip())).strip()
    if not text:
        text = "(empty message)"
        review.append(_review("subject", "Subject matter", None, "empty_message",
                              "the message has no subject and no text"))
    elif len(text) > _SUBJECT_MAX:
        review.append(_review("subject", "Subject matter", None, "text_cut",
                              f"the text has {len(text):,} characters; the first {_SUBJECT_MAX:,} are here, the "
                              "whole message is saved with the record"))
        text = text[:_SUBJECT_MAX]
    data: dict[str, Any] = {"complainant": {"last_name": last[:300], "first_name": first[:300] or None,
                                            "email": message.sender_address}, "subject": text}
    if documents:
        # File names are the sender's bytes: a NUL or an escape in one is no reason to lose the complaint.
        listing = "\n".join(" ".join(_CONTROL.sub(" ", d).split()) or "(no name)" for d in documents)
        data["documentation"] = {"other_documents": True, "other_documents_list": listing[:_SUBJECT_MAX]}
    try:
        complaint = Complaint.model_validate(data, context=context)
    except ValidationError:
        # The sender's address is no valid email address: keep it in the review, not in the complaint.
        review.append(_review("complainant.email", "Email", message.sender_address, "invalid_sender",
                              "the sender's address is not a valid email address: no electronic reply possible"))
        data["complainant"]["email"] = None
        try:
            complaint = Complaint.model_validate(data, context=(context or {}) | {"partial": True})
        except ValidationError:
            # Still refused (a name the model cannot hold): the text alone, the sender in the review.
            # The error's text would quote the value, so it goes nowhere.
            review.append(_review("complainant.last_name", "Last name", last, "invalid_sender",
                                  "the sender's name cannot be kept as a name: see the message"))
            data["complainant"] = {"last_name": "(unknown sender)"}
            data.pop("documentation", None)  # the attachments stay listed on the record
            complaint = Complaint.model_validate(data, context=(context or {}) | {"partial": True})
    return complaint.model_dump(mode="json"), review
