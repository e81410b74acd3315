"""Letters by reference: a :class:`~klageformular.letters.LetterCase` from a register entry, and
writing a letter as an event in the entry's history, queued in the outbox.

What the register holds becomes the letter: the complaint, the date received, language and
profile, how it came (form or email), how many files carried it, the attachments' names, and
admissibility (the status ``inadmissible`` and the reason noted when it was set, unless the
caller says otherwise).

Writing a letter records it and queues it (:mod:`._outbox`): by email (our Message-ID, the
message's bytes) when the complaint gives an address or ``channel="email"``, else for the post.
The status moves when the letter *goes* — sent by the mail server, or marked posted — because
that is when the deadline was met (``acknowledged_on`` / ``decided_on`` take that day):

- acknowledgement: ``received`` → ``acknowledged`` (and → ``inadmissible`` when the letter
  says so); a second copy (asked for: ``copy=True``, ``letter ack --copy``) changes nothing;
- decision: ``acknowledged`` → ``under_review`` → ``decided`` (or from ``under_review`` /
  ``escalated``), with the outcome (one vocabulary, ``OUTCOMES``; the old ``rejected`` is
  read as ``not_upheld``); a second copy with the same outcome changes nothing.

Any other status, and a letter dated before the complaint was received or in the future, is
refused before a file is written (a decision on a complaint not yet acknowledged, a letter for
a closed entry). The event (``ack_letter`` / ``decision_letter``) names the file, its size and
sha256, the letter's date, the outcome and how it goes; it is recorded in the same transaction
as the outbox's row. The PDF itself holds nothing from the event, so its bytes stay
deterministic.

Never a file without its event, never an event without its file: the letter (and ``.eml``, the
queued message's exact bytes) is written and synced under a temporary name inside the
transaction, so a full disk or an unwritable folder rolls it back; it is renamed into place only
after the commit succeeded, and removed when the commit fails (the database stopped, a lost
connection). A rename needs no space, so only a crash in the instant between commit and rename
can leave the event with the letter still under its ``.part`` name.

The letter and the message carrying it are also stored as documents of the case in the same
transaction, so every officer can open what was sent.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast, get_args

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from .._files import StagedFile
from ..exceptions import ConfigurationError, InvalidTransitionError, LetterNotAllowedError
from ..locales import LANGUAGES
from ..org import Organisation, profile_for
from ..records import Record
from ._documents import store_letter  # documents (0006)
from ._names import OUTCOME_ALIASES, OUTCOMES, TRANSITIONS
from ._schema import ComplaintRow, OutgoingRow
from ._types import OutgoingMessage
from ._workflow import get_complaint, now, record_event

if TYPE_CHECKING:
    from ..letters import Admissibility, LetterCase, LetterKind, Outcome, WrittenLetter

__all__ = ["Channel", "RegisterLetter", "letter_case_from_register", "write_register_letter"]

Channel = Literal["email", "post"]

#: An outcome as given → as stored: the same words, and the letters' old ``rejected``.
OUTCOME_IN_REGISTER = {**{o: o for o in OUTCOMES}, **OUTCOME_ALIASES}
_EVENT = {"ack": "ack_letter", "decision": "decision_letter"}
_ON_DAY = re.compile(r"^\(\d{4}-\d{2}-\d{2}\)\s*")  # change_status puts "(day) " before a note


@dataclass(frozen=True)
class RegisterLetter:
    """A letter written for a register entry: the file, the status before and after, and the letter in the
    outbox (``outgoing``: queued for email, or to post)."""

    reference: str
    kind: LetterKind
    written: WrittenLetter
    previous_status: str
    status: str
    outgoing: OutgoingMessage | None = None


def letter_case_from_register(session: Session, reference: str, *, org: Organisation | None = None,
                              admissibility: Admissibility | None = None, reason: str | None = None) -> LetterCase:
    """The :class:`LetterCase` for the entry ``reference`` (:class:`UnknownReferenceError` if none).

    ``org`` (e.g. from ``--org-file``) replaces the entry's profile. Without ``admissibility``
    an entry with status ``inadmissible`` gets that, with ``reason`` or else the note given when
    the status was set; any other entry is admissible.

    >>> with Session(engine) as session:                                  # doctest: +SKIP
    ...     letter_case_from_register(session, "KLA-2026-0001").lang
    'da'
    """
    return _letter_case(get_complaint(session, reference), org=org, admissibility=admissibility, reason=reason)


def _letter_case(row: ComplaintRow, *, org: Organisation | None, admissibility: Admissibility | None,
                 reason: str | None) -> LetterCase:
    from ..letters import Attachment, LetterCase, Method, letter_case_from_record

    if row.complaint is None:
        raise ConfigurationError(f"{row.reference} is an unreadable file ({row.reason or 'not read'}), not a "
                                 f"complaint yet: look at it and set it received before writing a letter")
    if admissibility is None:
        admissibility = "inadmissible" if row.status == "inadmissible" else "admissible"
        if admissibility == "inadmissible" and not (reason or "").strip():
            reason = _inadmissible_note(row)
    profile = org or profile_for(row.organisation, row.language, holder=row.reference)
    record = Record(complaint=row.complaint, received=row.received.isoformat(),
                    language=row.language if row.language in LANGUAGES else None, organisation=profile.key)
    case = letter_case_from_record(record, reference=row.reference, org=profile, admissibility=admissibility,
                                   reason=reason)
    method = cast(Method, row.method) if row.method in get_args(Method) else case.method
    attachments = tuple(Attachment(a.name or "?", a.size, a.content_type) for a in row.attachments)
    return LetterCase(reference=case.reference, received=case.received, complaint=case.complaint, org=case.org,
                      lang=case.lang, method=method, attachments=attachments, copies=max(1, len(row.files)),
                      admissibility=case.admissibility, admissibility_reason=case.admissibility_reason,
                      decide_by=row.decide_by, extension_reason=row.extension_reason if row.extended_to else None)


def _inadmissible_note(row: ComplaintRow) -> str | None:
    notes = [e.note for e in row.events if e.to_status == "inadmissible" and e.note]
    if not notes:
        return None
    return _ON_DAY.sub("", notes[-1]).strip() or None


def write_register_letter(engine: Engine, reference: str, kind: LetterKind, output: str | os.PathLike[str], *,
                          dated: date, who: str, outcome: Outcome | None = None, reasons: str | None = None,
                          eml: str | os.PathLike[str] | None = None, org: Organisation | None = None,
                          admissibility: Admissibility | None = None, reason: str | None = None,
                          copy: bool = False, channel: Channel | None = None,
                          today: date | None = None) -> RegisterLetter:
    """Write the letter for entry ``reference`` to ``output`` and record it, in a transaction of its own.

    A thin wrapper of :meth:`Register.write_letter` (see the module's rules).

    >>> done = write_register_letter(engine, "KLA-2026-0001", "ack", "ack.pdf",   # doctest: +SKIP
    ...                              dated=date(2026, 11, 25), who="linn")
    >>> done.status, done.outgoing.state, len(done.written.sha256)              # doctest: +SKIP
    ('received', 'queued', 64)
    """
    from ._service import Register

    register = Register(engine)
    with register.session() as session, session.begin():
        return register.write_letter(session, reference, kind, os.fspath(output), dated=dated, who=who,
                                     outcome=outcome, reasons=reasons, eml=os.fspath(eml) if eml else None, org=org,
                                     admissibility=admissibility, reason=reason, copy=copy, channel=channel,
                                     today=today)


def write_letter_in(session: Session, row: ComplaintRow, kind: LetterKind, output: str | None, *, dated: date,
                    who: str, outcome: Outcome | None, reasons: str | None, eml: str | None,
                    org: Organisation | None, admissibility: Admissibility | None, reason: str | None, copy: bool,
                    channel: Channel | None = None, today: date | None = None) -> RegisterLetter:
    """Write the letter for the locked ``row`` and queue it in the outbox, in the caller's transaction.

    Everything is checked before a file is staged: the workflow, the letter's date (not before
    the complaint was received, not in the future), and whether a letter of this kind was
    recorded already — then only ``copy=True`` writes another (so of two officers sending the
    same letter at once, the second is told who sent it and when). ``channel``: ``email`` (refused
    when the complaint gives no address), ``post``, or None — email when there is an address,
    else post. The status does not move here: it moves when the letter is sent or posted
    (:mod:`._outbox`). The staged files are renamed into place when the caller's transaction
    commits, and removed when it rolls back (session events).
    """
    from ..letters import WrittenLetter, recipient, render_letter
    from ..letters.mail import letter_message, message_bytes, new_message_id, valid_message_id
    from ._outbox import to_outgoing
    from ._service import stale, stamp

    case = _letter_case(row, org=org, admissibility=admissibility, reason=reason)
    previous = row.status
    _steps(row, kind, case.admissibility, outcome)  # refused now if the workflow forbids it; applied when it goes
    earlier = [e for e in row.events if e.what == _EVENT[kind]]
    if earlier and not copy:
        verb = "acknowledged" if kind == "ack" else "decided"
        raise stale(row, f"{row.reference} was {verb} by {earlier[-1].who} at {stamp(earlier[-1].at)}; nothing done "
                         f"(--copy writes another copy of the letter)")
    address = recipient(case.complaint, case.org).email
    if channel is None:
        channel = "email" if address else "post"
    if channel == "email" and not address:
        raise LetterNotAllowedError(f"{row.reference}: the complaint gives no email address to send the letter to; "
                                    f"send it on paper (--post)")
    if channel == "post" and eml is not None:
        raise LetterNotAllowedError("a letter for the post has no email message (--eml)")
    pdf = render_letter(case, kind, dated=dated, outcome=outcome, reasons=reasons, today=today)
    letter_sha = hashlib.sha256(pdf).hexdigest()
    name = Path(output).name if output else f"{row.reference}-{kind}.pdf"
    data: bytes | None = None
    message_id = in_reply_to = None
    if channel == "email":
        message_id = new_message_id(row.reference, case.org)
        in_reply_to = valid_message_id(row.message_id)  # only the case's own message, only when well formed
        message = letter_message(case, pdf, kind=kind, at=datetime.now(UTC).replace(microsecond=0),
                                 message_id=message_id, in_reply_to=in_reply_to)
        data = message_bytes(message)
    files: list[StagedFile] = []
    try:
        if output:
            files.append(StagedFile(Path(output), pdf))
        if eml is not None and data is not None:
            files.append(StagedFile(Path(eml), data))
    except BaseException:
        for file in files:
            file.discard()
        raise
    _settle_with(session, files)
    store_letter(session, row, name, pdf, sha256=letter_sha)  # documents (0006)
    if data is not None:
        store_letter(session, row, Path(eml).name if eml else f"{row.reference}-{kind}.eml", data,
                     content_type="message/rfc822")
    parts = [name, f"sha256 {letter_sha}", f"{len(pdf)} bytes", f"dated {dated.isoformat()}"]
    if outcome is not None:
        parts.append(f"outcome {OUTCOME_IN_REGISTER[outcome]}")
    elif case.admissibility != "admissible":
        parts.append(case.admissibility.replace("_", " "))
    parts.append(f"queued by email {message_id}" if channel == "email" else "to post")
    record_event(session, row, _EVENT[kind], who=who, note=" · ".join(parts) + (" · copy" if earlier else ""))
    out = OutgoingRow(complaint_id=row.id, kind=kind, channel=channel,
                      state="queued" if channel == "email" else "to_post", message_id=message_id,
                      in_reply_to=in_reply_to, recipient=address if channel == "email" else None,
                      sender=case.org.complaints_officer.email if channel == "email" else None,
                      sha256=hashlib.sha256(data).hexdigest() if data is not None else None, letter_sha256=letter_sha,
                      dated=dated, who=who, queued_at=now(), attempts=0,
                      outcome=OUTCOME_IN_REGISTER[outcome] if outcome else None, admissibility=case.admissibility,
                      reason=case.admissibility_reason if case.admissibility != "admissible" else None)
    session.add(out)
    flag_modified(row, "status")  # a letter changes the case even when its status stays: the version moves
    session.flush()
    written = WrittenLetter(Path(output) if output else Path(name), letter_sha, len(pdf),
                            Path(eml) if eml is not None else None)
    return RegisterLetter(row.reference, kind, written, previous, row.status, to_outgoing(out, row.reference))


def preview_letter_in(row: ComplaintRow, kind: LetterKind, *, dated: date, outcome: Outcome | None,
                      reasons: str | None, org: Organisation | None, today: date | None = None) -> bytes:
    """The letter's PDF as :func:`write_letter_in` would make it for ``row``, refused by the same rules
    (the workflow, the date, the profile's facts) before it is made; nothing is recorded."""
    from ..letters import render_letter

    case = _letter_case(row, org=org, admissibility=None, reason=None)
    _steps(row, kind, case.admissibility, outcome)
    return render_letter(case, kind, dated=dated, outcome=outcome, reasons=reasons, today=today)


def _settle_with(session: Session, files: list[StagedFile]) -> None:
    """Rename ``files`` into place when the session's transaction commits; remove them when it does not."""
    def commit(_session: Session) -> None:
        for file in files:
            file.commit()
        event.remove(session, "after_rollback", rollback)

    def rollback(_session: Session) -> None:
        for file in files:
            file.discard()
        event.remove(session, "after_commit", commit)

    event.listen(session, "after_commit", commit, once=True)
    event.listen(session, "after_rollback", rollback, once=True)


def _steps(row: ComplaintRow, kind: LetterKind, admissibility: str, outcome: Outcome | None) -> list[str]:
    """The status changes this letter makes, checked against the workflow before anything is written."""
    status = row.status
    if kind == "ack":
        if status == "inadmissible" and admissibility != "inadmissible":
            raise InvalidTransitionError(f"{row.reference} is inadmissible in the register: an acknowledgement "
                                         f"saying otherwise is refused", current=status, requested="acknowledged",
                                         allowed=())
        steps = ["acknowledged"] if status == "received" else []
        if admissibility == "inadmissible" and status != "inadmissible":
            steps.append("inadmissible")
        allowed_from: tuple[str, ...] = ("received", "acknowledged", "under_review", "inadmissible")
    else:
        if outcome not in OUTCOME_IN_REGISTER:
            raise ConfigurationError(f"unknown outcome {outcome!r} (use one of {', '.join(OUTCOME_IN_REGISTER)})")
        if status == "decided":
            if row.outcome not in (None, OUTCOME_IN_REGISTER[outcome]):
                raise InvalidTransitionError(f"{row.reference} is already decided ({row.outcome}); a letter with "
                                             f"another outcome is refused", current=status, requested="decided",
                                             allowed=())
            return []
        steps = ["under_review", "decided"] if status == "acknowledged" else ["decided"]
        allowed_from = ("acknowledged", "under_review", "escalated")
    if status not in allowed_from:
        what = "an acknowledgement" if kind == "ack" else "a decision letter"
        hint = "; write the acknowledgement first" if kind == "decision" and status == "received" else ""
        raise InvalidTransitionError(f"{row.reference} is {status}: {what} cannot be written from that status{hint}",
                                     current=status, requested=steps[-1] if steps else status, allowed=())
    # Walk the workflow on paper: a step it does not allow is refused here, before the file exists.
    current = status
    for step in steps:
        if step not in TRANSITIONS[current]:
            raise InvalidTransitionError(f"{row.reference}: cannot go from {current} to {step} (allowed: "
                                         f"{', '.join(TRANSITIONS[current])})", current=current, requested=step,
                                         allowed=TRANSITIONS[current])
        current = step
    return steps
