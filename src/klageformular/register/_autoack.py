"""Acknowledging complete new cases without a person (``watch --auto-ack``): which cases may be, and sending.

A case is acknowledged automatically only when every one of these holds; any other new case
waits for an officer (it is counted as *waiting for review*):

- its profile allows it (``auto_acknowledge = true`` in the profile file; no built-in profile does);
- it is a readable complaint with status ``received``, not merged into another case and not marked
  "not a complaint";
- it has no open review item (a value that failed a check, "mentions KLA-…" in a subject, …) and
  no Message-ID collision;
- the complaint gives an email address to send the letter to.

Nothing is sent twice. The watch passes new cases on *at least* once, so the same case can come
again after a crash: a case with an acknowledgement in the outbox already (queued, sent, failed or
to post) is skipped, never an error — a queued one goes out with the outbox's retry, under its own
Message-ID. The letter is queued in one transaction, with the case's version as read here (an
officer's change in between wins: the case is looked at again next time), then sent
(:meth:`~klageformular.register.Register.send_letter`). ``stop()`` is asked before each case: a
send in progress always finishes and is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..exceptions import KlageformularError, StaleCaseError, UnknownReferenceError
from ..org import profile_for
from ._schema import ComplaintRow, OutgoingRow
from ._service import case_row, typed_complaint

if TYPE_CHECKING:
    from ._outbox import Mailer, SentCopier
    from ._service import Register
    from ._types import SendResult

__all__ = ["AutoAcknowledged", "acknowledge_complete", "incomplete"]

log = logging.getLogger("klageformular.register")

_BLOCKING_WARNINGS = frozenset({"message_id_collision"})  # someone else's Message-ID: a person looks first


@dataclass
class AutoAcknowledged:
    """What :func:`acknowledge_complete` did: letters ``sent`` (the server took them), ``send_failed`` (deferred
    or refused: see ``register outbox``), cases ``waiting_for_review``, cases ``already`` acknowledged or
    handled by a person, and ``left``: cases not looked at (``stop()``, or changed meanwhile) for the next time."""

    sent: int = 0
    send_failed: int = 0
    waiting_for_review: int = 0
    already: int = 0
    left: list[str] = field(default_factory=list)
    results: list[SendResult] = field(default_factory=list)


def incomplete(register: Register, row: ComplaintRow) -> str | None:
    """Why the case may not be acknowledged without a person (None: it may); the reasons name no values."""
    from ..letters import recipient

    if row.complaint is None or row.status == "unreadable":
        return "not a readable complaint"
    if row.merged_into is not None or row.not_a_complaint:
        return "merged, or not a complaint"
    if row.review:
        return "open review items"
    if any(isinstance(w, dict) and w.get("code") in _BLOCKING_WARNINGS for w in row.warnings or ()):
        return "a Message-ID collision"
    try:
        org = profile_for(row.organisation, row.language, register.profiles, holder=row.reference)
    except KlageformularError:  # a profile that is neither built in nor given
        return "an unknown profile"
    if not org.auto_acknowledge:
        return "its profile does not allow automatic acknowledgements"
    complaint = typed_complaint(row, register.profiles)
    if complaint is None or not recipient(complaint, org).email:
        return "no email address to send to"
    return None


def acknowledge_complete(register: Register, references: Sequence[str], *, mailer: Mailer,
                         copier: SentCopier | None = None, who: str, today: date | None = None,
                         stop: Callable[[], bool] | None = None) -> AutoAcknowledged:
    """Send the acknowledgement of each case in ``references`` that may have one without a person (rules above)."""
    done = AutoAcknowledged()
    asked = stop or (lambda: False)
    for position, reference in enumerate(references):
        if asked():
            done.left.extend(references[position:])
            break
        with register.reading() as session:  # the look before the letter; the letter is a write of its own
            try:
                row = case_row(session, reference, load=True)
            except UnknownReferenceError:
                continue
            acknowledged = session.scalar(select(OutgoingRow.id).where(OutgoingRow.complaint_id == row.id,
                                                                       OutgoingRow.kind == "ack").limit(1))
            if acknowledged is not None or row.status != "received" or any(e.what == "ack_letter"
                                                                           for e in row.events):
                done.already += 1
                continue
            why, version = incomplete(register, row), row.version
        if why is not None:
            done.waiting_for_review += 1
            continue
        try:
            _, result = register.send_letter(reference, "ack", dated=today or date.today(), who=who, mailer=mailer,
                                             copier=copier, version=version)
        except StaleCaseError:  # changed since it was read (an officer, or an earlier letter): look again later
            done.left.append(reference)
            continue
        except KlageformularError as exc:  # the letter cannot be written (the workflow, the profile): a person
            log.warning("watch: %s was not acknowledged automatically (%s)", reference, type(exc).__name__)
            done.waiting_for_review += 1
            continue
        done.results.append(result)
        if result.result == "sent":
            done.sent += 1
        elif result.result in ("deferred", "failed"):
            done.send_failed += 1
    return done
