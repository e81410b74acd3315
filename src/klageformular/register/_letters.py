"""Letters by reference: a :class:`~klageformular.letters.LetterCase` from a register entry, and
writing a letter as an event in the entry's history.

What the register holds becomes the letter: the complaint, the date received, language and
profile, how it came (form or email), how many files carried it, the attachments' names, and
admissibility (the status ``inadmissible`` and the reason noted when it was set, unless the
caller says otherwise).

Writing a letter moves the status, because the letter is what the officer sends and its date
is the day the deadline was met (``acknowledged_on`` / ``decided_on`` take the letter's date):

- acknowledgement: ``received`` → ``acknowledged`` (and → ``inadmissible`` when the letter
  says so); a second copy (asked for: ``copy=True``, ``letter ack --copy``) changes nothing;
- decision: ``acknowledged`` → ``under_review`` → ``decided`` (or from ``under_review`` /
  ``escalated``), with the outcome (one vocabulary, ``OUTCOMES``; the old ``rejected`` is
  read as ``not_upheld``); a second copy with the same outcome changes nothing.

Any other status is refused before a file is written (a decision on a complaint not yet
acknowledged, a letter for a closed entry). The event (``ack_letter`` / ``decision_letter``)
names the file, its size and sha256, the letter's date and the outcome; it is recorded in the
same transaction as the status change. The PDF itself holds nothing from the event, so its
bytes stay deterministic.

Never a file without its event, never an event without its file: the letter (and ``.eml``) is
written and synced under a temporary name inside the transaction, so a full disk or an
unwritable folder rolls it back; it is renamed into place only after the commit succeeded, and
removed when the commit fails (the database stopped, a lost connection). A rename needs no
space, so only a crash in the instant between commit and rename can leave the event with the
letter still under its ``.part`` name; writing the letter again gives the same bytes. (Recording
a "pending" event first and completing it later was the other way; it would need a second
event per letter and a sweep for pending ones, for the same guarantee.)

The letter (and the ``.eml`` carrying it, if written) is also stored as a document of the case
in the same transaction, so every officer can open what was sent.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast, get_args

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from .._files import StagedFile
from ..exceptions import ConfigurationError, InvalidTransitionError
from ..locales import LANGUAGES
from ..org import Organisation, profile_for
from ..records import Record
from ._documents import store_letter  # documents (0006)
from ._names import OUTCOME_ALIASES, OUTCOMES, TRANSITIONS
from ._schema import ComplaintRow
from ._workflow import change_status, get_complaint, record_event

if TYPE_CHECKING:
    from ..letters import Admissibility, LetterCase, LetterKind, Outcome, WrittenLetter

__all__ = ["RegisterLetter", "letter_case_from_register", "write_register_letter"]

#: An outcome as given → as stored: the same words, and the letters' old ``rejected``.
OUTCOME_IN_REGISTER = {**{o: o for o in OUTCOMES}, **OUTCOME_ALIASES}
_EVENT = {"ack": "ack_letter", "decision": "decision_letter"}
_ON_DAY = re.compile(r"^\(\d{4}-\d{2}-\d{2}\)\s*")  # change_status puts "(day) " before a note


@dataclass(frozen=True)
class RegisterLetter:
    """A letter written for a register entry: the file and the status before and after."""

    reference: str
    kind: LetterKind
    written: WrittenLetter
    previous_status: str
    status: str


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
                          copy: bool = False) -> RegisterLetter:
    """Write the letter for entry ``reference`` to ``output`` and record it, in a transaction of its own.

    A thin wrapper of :meth:`Register.write_letter` (see the module's rules).

    >>> done = write_register_letter(engine, "KLA-2026-0001", "ack", "ack.pdf",   # doctest: +SKIP
    ...                              dated=date(2026, 11, 25), who="linn")
    >>> done.previous_status, done.status, len(done.written.sha256)              # doctest: +SKIP
    ('received', 'acknowledged', 64)
    """
    from ._service import Register

    register = Register(engine)
    with register.session() as session, session.begin():
        return register.write_letter(session, reference, kind, os.fspath(output), dated=dated, who=who,
                                     outcome=outcome, reasons=reasons, eml=os.fspath(eml) if eml else None, org=org,
                                     admissibility=admissibility, reason=reason, copy=copy)


def write_letter_in(session: Session, row: ComplaintRow, kind: LetterKind, output: str, *, dated: date, who: str,
                    outcome: Outcome | None, reasons: str | None, eml: str | None, org: Organisation | None,
                    admissibility: Admissibility | None, reason: str | None, copy: bool) -> RegisterLetter:
    """Stage and record the letter for the locked ``row`` in the caller's transaction.

    Everything is checked before a file is staged: the workflow, and whether a letter of this
    kind was recorded already — then only ``copy=True`` writes another (so of two officers
    sending the same letter at once, the second is told who sent it and when). The staged
    files are renamed into place when the caller's transaction commits, and removed when it
    rolls back (session events), so the caller's unit of work decides for the files too.
    """
    from ..letters import stage_letter
    from ._service import stale, stamp

    case = _letter_case(row, org=org, admissibility=admissibility, reason=reason)
    previous = row.status
    steps = _steps(row, kind, case.admissibility, outcome)
    earlier = [e for e in row.events if e.what == _EVENT[kind]]
    if earlier and not copy:
        verb = "acknowledged" if kind == "ack" else "decided"
        raise stale(row, f"{row.reference} was {verb} by {earlier[-1].who} at {stamp(earlier[-1].at)}; nothing done "
                         f"(--copy writes another copy of the letter)")
    files, written = stage_letter(case, kind, output, dated=dated, outcome=outcome, reasons=reasons, eml=eml)
    _settle_with(session, files)
    for file, content_type in zip(files, ("application/pdf", "message/rfc822"), strict=False):  # documents (0006)
        store_letter(session, row, file.path.name, file.partial.read_bytes(), content_type=content_type,
                     sha256=written.sha256 if content_type == "application/pdf" else None)
    parts = [Path(output).name, f"sha256 {written.sha256}", f"{written.size} bytes", f"dated {dated.isoformat()}"]
    if outcome is not None:
        parts.append(f"outcome {OUTCOME_IN_REGISTER[outcome]}")
    elif case.admissibility != "admissible":
        parts.append(case.admissibility.replace("_", " "))
    record_event(session, row, _EVENT[kind], who=who, note=" · ".join(parts) + (" · copy" if earlier else ""))
    label = "acknowledgement letter" if kind == "ack" else "decision letter"
    for status in steps:
        note = case.admissibility_reason if status == "inadmissible" else label
        change_status(session, row, status, who=who, note=note, on=dated,
                      outcome=OUTCOME_IN_REGISTER[outcome] if outcome and status == "decided" else None)
    flag_modified(row, "status")  # a letter changes the case even when its status stays: the version moves
    session.flush()
    return RegisterLetter(row.reference, kind, written, previous, row.status)


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
