"""The register service: one object over the engine, every operation inside the caller's unit of work.

:class:`Register` is what the command line, the letters and the website use. Its methods take
the session the caller owns (SQLAlchemy's "session basics": the caller decides where a
transaction begins and ends) and never open a hidden one::

    register = Register(engine)
    with register.session() as s, s.begin():
        case = register.case(s, "KLA-2026-0001")
        register.assign(s, case.reference, "mikkel", who="linn", version=case.version)

A unit of work that only reads is opened as ``with register.reading() as s:`` (:mod:`._reads`):
it takes no write lock, so a long list or export never makes a writer wait, and it refuses to
write (:class:`~klageformular.exceptions.ReadOnlySessionError`).

They return typed objects (:mod:`._types`); lists are iterators over the open session (consume
them before the ``with`` block ends).

Concurrency: every case has a version (``version_id_col``). A change locks the case's row
first (``SELECT … FOR UPDATE`` on PostgreSQL; a writing session's ``BEGIN IMMEDIATE`` holds SQLite's file),
then compares the version the caller read (``version=``) and refuses a stale one with who
changed the case and when, before anything else happens — a letter is not written. The
version check in the UPDATE itself is the second line (an unlocked writer elsewhere).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Engine, Select, Text, func, select
from sqlalchemy import cast as cast_sql
from sqlalchemy.orm import Session, selectinload

from ..exceptions import RegisterError, StaleCaseError, UnknownReferenceError
from ..org import profile_for
from ._db import reading
from ._deadlines import Profile, apply_profile, extend, resume, wait
from ._names import OPEN_STATUSES, TRANSITIONS
from ._query import _related, due_list, due_stream
from ._reads import ReadSession
from ._retention import refuse_if_erased
from ._schema import ComplaintRow
from ._types import (
    Case,
    CaseSummary,
    ConversationMessage,
    Correction,
    Correspondence,
    DeadlineChange,
    Document,
    DueList,
    DueStream,
    Event,
    OutgoingMessage,
    Related,
    ReviewEntry,
    Sender,
    SendResult,
    SourceFile,
    StatusChange,
)
from ._workflow import change_status, record_event, utc

if TYPE_CHECKING:
    from collections.abc import Mapping
    from decimal import Decimal

    from ..letters import Admissibility, LetterKind, Outcome
    from ..model import Complaint
    from ..org import Organisation
    from ._access import SubjectAccess
    from ._autoack import AutoAcknowledged
    from ._intake import IntakeSummary
    from ._letters import Channel, RegisterLetter
    from ._lists import CaseFilter, CasePage, DueSections
    from ._measures import Categorization, Measure
    from ._outbox import Mailer, SentCopier
    from ._report import Report, WorkingDays
    from ._retention import Erased, Hold, PurgeResult
    from ._runs import WatchRun

__all__ = ["ImportDone", "Register"]

_VERB = {"ack_letter": "acknowledged", "decision_letter": "decided", "assign": "assigned", "correction": "corrected",
         "merge": "merged", "merged": "merged into another case", "note": "noted", "extend": "extended",
         "wait": "paused", "resume": "resumed", "profile": "given a profile",
         "measure": "given a measure", "categorized": "categorized", "letter_sent": "sent a letter",
         "letter_posted": "sent a letter by post", "hold": "put on legal hold", "release": "released from hold",
         "erased": "erased"}


@dataclass(frozen=True)
class ImportDone:
    """What :meth:`Register.import_folder` did: the intake's counts and the deadlines it filled or recounted."""

    summary: IntakeSummary
    deadlines: list[DeadlineChange]


class Register:
    """The complaint register over ``engine``: reads and changes, each in the caller's session.

    ``profiles``: profiles by key for cases handled under a profile that is not built in (the
    profile files given as ``--org-file``); a case naming a key that is neither is refused with
    :class:`~klageformular.exceptions.UnknownProfileError` (:func:`klageformular.org.profile_for`).

    Not supported: changes outside a transaction (call them inside ``s.begin()``), and lists
    used after their session closed.
    """

    def __init__(self, engine: Engine, *, profiles: Mapping[str, Organisation] | None = None) -> None:
        self.engine = engine
        self.profiles: Mapping[str, Organisation] = dict(profiles or {})
        self._reads: Engine | None = None

    def session(self) -> Session:
        """A new session on the register's engine; the caller opens the transaction (``s.begin()``)."""
        return Session(self.engine, expire_on_commit=False)

    def reading(self) -> ReadSession:
        """A new session that only reads (:mod:`._reads`): lists, exports, pages. No write lock is taken,
        so a long read holds up no writer; a change in it raises
        :class:`~klageformular.exceptions.ReadOnlySessionError`."""
        if self._reads is None:  # one option engine per register: the same pool as ``engine``
            self._reads = reading(self.engine)
        return ReadSession(self._reads, expire_on_commit=False)

    # -- reading --------------------------------------------------------------------------------

    def case(self, session: Session, reference: str) -> Case:
        """Everything about one case (:class:`UnknownReferenceError` when there is none)."""
        row = self._row(session, reference, load=True)
        return to_case(session, row, self.profiles)

    def cases(self, session: Session, *, status: Sequence[str] = (), since: date | None = None,
              related_to: str | None = None, include_merged: bool = True) -> Iterator[CaseSummary]:
        """Cases in order of receipt (then reference), filtered by status, day received or relation.

        Read a chunk at a time (a server-side cursor on PostgreSQL), only the columns a summary
        shows: a list of the whole register costs the memory of one chunk.
        """
        for row in self._summary_rows(session, status=status, since=since, related_to=related_to,
                                      include_merged=include_merged):
            yield to_summary(session, row, self.profiles)

    def case_lines(self, session: Session, *, status: Sequence[str] = (), since: date | None = None,
                   related_to: str | None = None) -> Iterator[str]:
        """:meth:`cases` as JSON lines, each the text of ``CaseSummary.model_dump_json()``, written from the
        stored values without a model per case where they are in the model's own form (``_listing.py``)."""
        from ._listing import summary_line

        for row in self._summary_rows(session, status=status, since=since, related_to=related_to):
            yield summary_line(session, row, self.profiles)

    def _summary_rows(self, session: Session, *, status: Sequence[str] = (), since: date | None = None,
                      related_to: str | None = None, include_merged: bool = True) -> Iterator[ComplaintRow]:
        query = select(*_SUMMARY_COLUMNS)
        if status:
            query = query.where(ComplaintRow.status.in_(status))
        if since is not None:
            query = query.where(ComplaintRow.received >= since)
        if not include_merged:
            query = query.where(ComplaintRow.merged_into.is_(None))
        if related_to is not None:
            base = self._row(session, related_to)
            query = query.where(ComplaintRow.id.in_([r.id for r, _ in _related(session, base)]))
        query = query.order_by(ComplaintRow.received, ComplaintRow.prefix, ComplaintRow.year, ComplaintRow.number)
        # Through the session's Core connection: plain columns need none of the ORM's per-row work
        # (a tenth of a long list's time). Closed when the caller stops early too (see
        # _export.entry_rows: an open SQLite statement keeps its snapshot after the read ends).
        with session.connection().execute(query.execution_options(yield_per=500)) as result:
            for row in result:
                # A row of these columns reads like the model's row for everything a summary uses.
                yield cast(ComplaintRow, row)

    def review(self, session: Session) -> Iterator[ReviewEntry]:
        """Open review items, in reference order (not of merged cases or of entries found not to be complaints)."""
        # Only the two columns the items come from, and not the rows whose list is empty (most of
        # them: ``register due`` counts these items on every call). The test is on the stored text,
        # "[]" on both databases, so it can only skip rows with nothing to yield.
        query = _with_review().order_by(ComplaintRow.prefix, ComplaintRow.year, ComplaintRow.number)
        with session.execute(query.execution_options(yield_per=500)) as result:  # closed early too
            for row in result:
                yield from _review(cast(ComplaintRow, row))

    def due(self, session: Session, today: date, *, days: int = 7) -> DueList:
        """Deadlines to act on: overdue, today and in the ``days`` after today (acknowledgements for new
        cases, decisions for acknowledged ones), with the counts of open cases' review items and unassigned cases."""
        return due_list(session, today, days=days, open_review=_open_review_items(session))

    def due_stream(self, session: Session, today: date, *, days: int = 7) -> DueStream:
        """:meth:`due` read as it comes: the counts, then the listed deadlines one at a time, in order (the
        command line prints them so; iterate ``items`` inside ``session``)."""
        return due_stream(session, today, days=days, open_review=_open_review_items(session))

    def report(self, session: Session, start: date, end: date, *, today: date,
               organisations: Mapping[str, Organisation] | None = None) -> Report:
        """Figures on cases received from ``start`` to ``end`` (both included), aggregated by the database.

        Complaints apart from entries found not to be complaints and from cases merged into
        another (:class:`~klageformular.register.Report`); ``organisations``: profile files by key
        (their holidays count for working days).
        """
        from ._report import Period, build_report

        return build_report(session, Period.between(start, end), today=today,
                            organisations=self._profiles(organisations))

    def next_statuses(self, status: str) -> tuple[str, ...]:
        """The statuses the workflow allows a case in ``status`` to move to (:data:`TRANSITIONS`), in its order."""
        return TRANSITIONS.get(status, ())

    def preview_letter(self, session: Session, reference: str, kind: LetterKind, *, dated: date,
                       outcome: Outcome | None = None, reasons: str | None = None,
                       today: date | None = None) -> bytes:
        """The PDF :meth:`write_letter` would write now, checked by the same rules, and nothing recorded."""
        from ._letters import preview_letter_in

        row = self._row(session, reference, load=True)
        if row.merged_into is not None:  # as lock_case refuses the letter itself
            raise RegisterError(f"{row.reference} was merged into {row.merged_into}: work on that case")
        refuse_if_erased(session, row, hint="a letter names the customer and is kept with the case")
        return preview_letter_in(row, kind, dated=dated, outcome=outcome, reasons=reasons,
                                 org=self._profile(row), today=today)

    def find(self, session: Session, wanted: CaseFilter, *, today: date, page: int = 1,
             per_page: int = 50) -> CasePage:
        """One page of the cases ``wanted`` matches (a section of the due page, a filter, a search): _lists.py."""
        from ._lists import find_cases

        return find_cases(session, wanted, today=today, page=page, per_page=per_page)

    def due_sections(self, session: Session, today: date, *, me: str, days: int = 7, rows: int = 10) -> DueSections:
        """The due page for ``me``: each section's count and its first ``rows`` cases (_lists.py)."""
        from ._lists import due_sections

        return due_sections(session, today, me=me, days=days, rows=rows)

    def working_days(self, session: Session, start: date, end: date, *,
                     organisations: Mapping[str, Organisation] | None = None) -> WorkingDays:
        """The report's working days to acknowledgement and to decision as distributions (days → cases)."""
        from ._report import Period, working_days

        return working_days(session, Period.between(start, end), organisations=self._profiles(organisations))

    # -- changing -------------------------------------------------------------------------------

    def set_status(self, session: Session, reference: str, status: str, *, who: str, note: str | None = None,
                   on: date | None = None, outcome: str | None = None, version: int | None = None,
                   not_a_complaint: bool = False) -> StatusChange:
        """Move a case to ``status`` (one event). ``not_a_complaint``: closing a received or unreadable entry a
        person found is no complaint (needs a note; the report counts it apart). An erased case may still
        change status (its status history is kept), but not with a note (personal text)."""
        row = self.lock(session, reference, version=version)
        if (note or "").strip():
            refuse_if_erased(session, row, hint="change its status without a note")
        if not_a_complaint:
            if status != "closed" or row.status not in ("received", "unreadable"):
                raise RegisterError(f"{row.reference} is {row.status}: --not-a-complaint closes a received or "
                                    f"unreadable entry")
            if not (note or "").strip():
                raise RegisterError("--not-a-complaint needs a --note saying why")
            previous, row.status, row.not_a_complaint = row.status, "closed", True
            record_event(session, row, "status", who=who, note=f"not a complaint: {note}", from_status=previous,
                         to_status="closed")
        else:
            previous = row.status
            change_status(session, row, status, who=who, note=note, on=on, outcome=outcome)
        session.flush()
        return StatusChange(reference=row.reference, previous=previous, status=row.status, version=row.version)

    def add_note(self, session: Session, reference: str, note: str, *, who: str) -> Event:
        """Append a note to a case's history (a call made, a measure taken); notes do not change the version."""
        if not note.strip():
            raise RegisterError("a note needs some text")
        row = self._row(session, reference)  # a merged case may take a note too (why it was merged)
        refuse_if_erased(session, row)
        event = record_event(session, row, "note", who=who, note=note.strip())
        session.flush()
        return to_event(row.reference, event)

    def assign(self, session: Session, reference: str, name: str, *, who: str, version: int | None = None) -> Case:
        """Give the case to ``name`` (empty: nobody); an event says who did it.

        Allowed on an erased case: the name is an officer's, which an erasure keeps (as it keeps who
        changed each status), not the customer's."""
        row = self.lock(session, reference, version=version)
        name = name.strip()
        previous, row.assignee = row.assignee, name or None
        record_event(session, row, "assign", who=who, note=f"{previous or 'nobody'} → {name or 'nobody'}")
        session.flush()
        return to_case(session, row, self.profiles)

    def write_letter(self, session: Session, reference: str, kind: LetterKind, output: str | None, *, dated: date,
                     who: str, outcome: Outcome | None = None, reasons: str | None = None, eml: str | None = None,
                     org: Organisation | None = None, admissibility: Admissibility | None = None,
                     reason: str | None = None, version: int | None = None, copy: bool = False,
                     channel: Channel | None = None, today: date | None = None) -> RegisterLetter:
        """Write the acknowledgement or decision letter, record it and queue it in the outbox (rules in
        :mod:`._letters`): by email (``channel="email"``, or None when the complaint gives an address) or
        for the post. The status moves when it is sent (:meth:`send`) or marked posted (:meth:`posted`).
        ``output``: the PDF's path (None: only in the register)."""
        from ._letters import write_letter_in

        row = self.lock(session, reference, version=version)
        refuse_if_erased(session, row, hint="a letter names the customer and is kept with the case")
        return write_letter_in(session, row, kind, output, dated=dated, who=who, outcome=outcome, reasons=reasons,
                               eml=eml, org=org or self._profile(row), admissibility=admissibility, reason=reason,
                               copy=copy, channel=channel, today=today)

    queue_letter = write_letter  # the name the outbox's rules use

    # -- the outbox (rules in :mod:`._outbox`) ---------------------------------------------------

    def outbox(self, session: Session, *, states: Sequence[str] = ("queued", "failed", "to_post"),
               reference: str | None = None) -> Iterator[OutgoingMessage]:
        """Letters still to go, refused ones and paper ones to post (and sent ones whose Sent copy is pending)."""
        from ._outbox import outbox

        return outbox(session, states=states, reference=reference)

    def send(self, outgoing_id: int, *, mailer: Mailer, copier: SentCopier | None = None, who: str) -> SendResult:
        """Send one queued letter by SMTP and record what the server said, each step its own transaction
        (never call it inside one): the SMTP exchange sits between two commits, so a crash leaves it queued."""
        from ._outbox import send_one

        return send_one(self.engine, outgoing_id, mailer=mailer, copier=copier, who=who)

    def send_letter(self, reference: str, kind: LetterKind, *, dated: date, who: str, mailer: Mailer,
                    copier: SentCopier | None = None, output: str | None = None, eml: str | None = None,
                    outcome: Outcome | None = None, reasons: str | None = None, org: Organisation | None = None,
                    admissibility: Admissibility | None = None, reason: str | None = None,
                    version: int | None = None, copy: bool = False, today: date | None = None
                    ) -> tuple[RegisterLetter, SendResult]:
        """Queue the letter by email (one transaction, committed) and send it (:meth:`send`): ``letter … --send``."""
        with self.session() as session, session.begin():
            done = self.write_letter(session, reference, kind, output, dated=dated, who=who, outcome=outcome,
                                     reasons=reasons, eml=eml, org=org, admissibility=admissibility, reason=reason,
                                     version=version, copy=copy, channel="email", today=today)
        assert done.outgoing is not None  # an email letter is always queued
        return done, self.send(done.outgoing.id, mailer=mailer, copier=copier, who=who)

    def acknowledge_complete(self, references: Sequence[str], *, mailer: Mailer, copier: SentCopier | None = None,
                             who: str, today: date | None = None, stop: Callable[[], bool] | None = None
                             ) -> AutoAcknowledged:
        """Send the acknowledgement of each of these cases that is complete and whose profile allows it
        (``watch --auto-ack``; rules in :mod:`._autoack`); a case acknowledged already is skipped."""
        from ._autoack import acknowledge_complete

        return acknowledge_complete(self, references, mailer=mailer, copier=copier, who=who, today=today, stop=stop)

    def retry(self, *, mailer: Mailer | None, copier: SentCopier | None = None, who: str,
              before: datetime | None = None, stop: Callable[[], bool] | None = None) -> list[SendResult]:
        """Send every queued letter again (same bytes, same Message-ID), then make the pending Sent copies
        (``before``: only letters queued before then; ``stop()``: asked between two letters)."""
        from ._outbox import retry_all

        return retry_all(self.engine, mailer=mailer, copier=copier, who=who, before=before, stop=stop)

    def posted(self, session: Session, reference: str, *, who: str, on: date | None = None,
               kind: LetterKind | None = None, version: int | None = None, today: date | None = None
               ) -> OutgoingMessage:
        """The case's paper letter went in the post ``on`` (default today): it counts as given that day
        (refused before the complaint was received or after ``today``, default the real date)."""
        from ._outbox import mark_posted

        row = self.lock(session, reference, version=version)
        today = today or date.today()
        return mark_posted(session, row, who=who, on=on or today, kind=kind, today=today)

    def correct(self, session: Session, reference: str, path: str, value: str, *, who: str, note: str,
                version: int | None = None) -> Correction:
        """Correct one field (dotted path); refused with the reason when the value fails the form's rules."""
        from ._corrections import correct_row

        row = self.lock(session, reference, version=version)
        refuse_if_erased(session, row)
        return correct_row(session, row, path, value, who=who, note=note, profiles=self.profiles)

    def key(self, session: Session, reference: str, path: str, value: str, *, who: str, note: str | None = None,
            version: int | None = None) -> Correction:
        """Key a handwritten value from a scan's crop: a correction of a field with a ``handwritten`` item.

        Checked like any correction; the note says it was keyed from the scan. Refused for a field
        the scan did not crop (use :meth:`correct`).
        """
        from ._corrections import correct_row

        row = self.lock(session, reference, version=version)
        refuse_if_erased(session, row)
        if not any(isinstance(item, dict) and item.get("path") == path and item.get("code") == "handwritten"
                   for item in row.review):
            raise RegisterError(f"{row.reference}: {path} has no handwritten value waiting to be keyed (use correct)")
        text = "keyed from the scan" + (f": {note.strip()}" if note and note.strip() else "")
        return correct_row(session, row, path, value, who=who, note=text, profiles=self.profiles)

    def merge(self, session: Session, reference: str, *, into: str, who: str, note: str | None = None) -> Case:
        """Merge a case into another: files and documents move, the merged case stays as a pointer."""
        from ._corrections import merge_rows

        # Locked in reference order: two merges of the same pair at once queue up instead of deadlocking.
        first, second = sorted((reference.strip().upper(), into.strip().upper()))
        rows = {first: self.lock(session, first), second: self.lock(session, second)}
        source, target = rows[reference.strip().upper()], rows[into.strip().upper()]
        # Not into an erased case (the other's files, documents and values would come into it), nor an
        # erased case into another (its record would leave the figures the erasure kept).
        for row in (target, source):
            refuse_if_erased(session, row, hint="an erased case is neither merged nor merged into")
        merge_rows(session, source, target, who=who, note=note)
        return to_case(session, target, self.profiles)

    # -- deadlines (rules in :mod:`._deadlines`) ----------------------------------------------------

    def set_profile(self, session: Session, reference: str, profile: Profile, *, who: str,
                    version: int | None = None) -> DeadlineChange | None:
        """Handle the case under ``profile`` and recount its open deadlines (one event; None: nothing changed)."""
        return apply_profile(session, self.lock(session, reference, version=version), profile, who=who)

    def set_profile_open(self, session: Session, profile: Profile, *, who: str) -> list[DeadlineChange]:
        """Handle every open case with the profile's key under ``profile`` (an event for each that changed)."""
        query = (select(ComplaintRow.reference).where(ComplaintRow.status.in_(OPEN_STATUSES),
                                                      ComplaintRow.merged_into.is_(None),
                                                      ComplaintRow.organisation == profile.org.key)
                 .order_by(ComplaintRow.prefix, ComplaintRow.year, ComplaintRow.number))
        changes = [apply_profile(session, self.lock(session, ref), profile, who=who)
                   for ref in session.scalars(query).all()]
        session.flush()
        return [c for c in changes if c is not None]

    def import_folder(self, outdir: str | os.PathLike[str], *, who: str, profiles: Sequence[Profile] = (),
                      window: Mapping[str, tuple[int, int | None]] | None = None,
                      stop: Callable[[], bool] | None = None) -> ImportDone:
        """Import a batch output folder (each record its own transaction), then record the profile each new
        case is handled under and recount the open cases of each given profile (one transaction).

        ``window`` and ``stop`` as in :func:`~klageformular.register.import_batch` (the watch's: only the
        lines added since its last import, and a stop between two records)."""
        from ._intake import import_batch

        by_key = {p.org.key: p for p in profiles}
        summary = import_batch(self.engine, outdir, who=who, organisations={k: p.org for k, p in by_key.items()},
                               window=window, stop=stop)
        with self.session() as session, session.begin():
            changes = [c for p in by_key.values() for c in self.set_profile_open(session, p, who=who)]
            for reference in summary.references:
                row = self.lock(session, reference)
                if row.profile_sha256 is None:
                    profile = by_key.get(row.organisation) or Profile.of_row(row, self.profiles)
                    if (change := apply_profile(session, row, profile, who=who)) is not None:
                        changes.append(change)
        return ImportDone(summary, changes)

    def extend(self, session: Session, reference: str, to: date, *, reason: str, who: str,
               version: int | None = None) -> DeadlineChange:
        """A new decision date with reasons (art. 5); the next letter tells the customer. Refused on an erased
        case: the reason is personal text (an erasure removes it) and no letter can tell the customer."""
        row = self.lock(session, reference, version=version)
        refuse_if_erased(session, row)
        change = extend(session, row, self._profile(row), to, reason, who=who)
        session.flush()
        return change

    def wait(self, session: Session, reference: str, *, what: str, who: str, on: date | None = None,
             version: int | None = None) -> Case:
        """Pause the decision clock while the customer is asked for ``what`` (art. 4); refused on an erased case
        (``what`` is personal text, which an erasure removes)."""
        row = self.lock(session, reference, version=version)
        refuse_if_erased(session, row)
        wait(session, row, self._profile(row), what, on=on or date.today(), who=who)
        session.flush()
        return to_case(session, row, self.profiles)

    def resume(self, session: Session, reference: str, *, who: str, on: date | None = None,
               version: int | None = None) -> DeadlineChange:
        """Restart the paused decision clock: the working days it was paused are added to ``decide_by`` (also on
        an erased case: the event's note is the register's own, dates and counts)."""
        row = self.lock(session, reference, version=version)
        change = resume(session, row, self._profile(row), on=on or date.today(), who=who)
        session.flush()
        return change

    def reply_received(self, session: Session, reference: str, *, on: date, who: str) -> DeadlineChange | None:
        """The customer answered (for mail intake): a paused decision clock restarts; otherwise nothing."""
        row = self.lock(session, reference)
        if row.waiting_since is None:
            return None
        change = resume(session, row, self._profile(row), on=max(on, row.waiting_since), who=who,
                        why="the customer replied")
        session.flush()
        return change

    def _profiles(self, given: Mapping[str, Organisation] | None) -> Mapping[str, Organisation]:
        """The register's profiles with those a call gives (which win for their keys)."""
        return {**self.profiles, **(given or {})}

    def _profile(self, row: ComplaintRow) -> Organisation:
        return profile_for(row.organisation, row.language, self.profiles, holder=row.reference)
    def record_measure(self, session: Session, reference: str, kind: str, *, who: str, note: str | None = None,
                       amount: Decimal | None = None, currency: str | None = None,
                       organisations: Mapping[str, Organisation] | None = None,
                       version: int | None = None) -> Measure:
        """Record a measure taken on a case (one event; rules in :mod:`._measures`)."""
        from ._measures import record_measure

        return record_measure(session, reference, kind, who=who, note=note, amount=amount, currency=currency,
                              organisations=self._profiles(organisations), version=version)

    def categorize(self, session: Session, reference: str, *, who: str, product: str | None = None,
                   cause: str | None = None, note: str | None = None,
                   organisations: Mapping[str, Organisation] | None = None,
                   version: int | None = None) -> Categorization:
        """Set a case's product and/or cause from its profile's lists (one event; rules in :mod:`._measures`)."""
        from ._measures import categorize

        return categorize(session, reference, who=who, product=product, cause=cause, note=note,
                          organisations=self._profiles(organisations), version=version)

    # -- retention (revision 0015; rules in :mod:`._retention`) -------------------------------------

    def hold(self, session: Session, reference: str, *, reason: str, who: str) -> Hold:
        """Put a case on legal hold: never purged or erased until released (one event)."""
        from ._retention import hold

        return hold(session, self.lock(session, reference), reason=reason, who=who)

    def release(self, session: Session, reference: str, *, who: str, note: str | None = None) -> None:
        """Lift a case's legal hold (one event)."""
        from ._retention import release

        release(session, self.lock(session, reference), who=who, note=note)

    def erase(self, session: Session, reference: str, *, reason: str, who: str) -> Erased:
        """Erase a closed case's personal data on request (GDPR art. 17); refused while open or on hold."""
        from ._retention import erase

        return erase(session, case_row(session, reference, lock=True), who=who, under="request", reason=reason)

    def purge(self, session: Session, *, today: date, who: str, dry_run: bool = False) -> PurgeResult:
        """Erase every closed case past its profile's retention period and not on hold (``dry_run``: list them)."""
        from ._retention import purge

        return purge(session, today=today, who=who, dry_run=dry_run, profiles=self.profiles)

    def subject_access(self, session: Session, output: str | os.PathLike[str], *, email: str,
                       client_number: str | None = None) -> SubjectAccess:
        """Write everything the register holds about a person to a new folder (GDPR art. 15; :mod:`._access`)."""
        from ._access import subject_access

        return subject_access(session, output, email=email, client_number=client_number, profiles=self.profiles)

    # -- the watch's runs (revision 0011; rules in :mod:`._runs`) ------------------------------------

    def record_run(self, session: Session, run: WatchRun) -> WatchRun:
        """Record one watch run (counts only); returns it with its ``id``."""
        from ._runs import record_run

        return record_run(session, run)

    def runs(self, session: Session, *, limit: int = 20) -> list[WatchRun]:
        """The newest ``limit`` watch runs, newest first."""
        from ._runs import list_runs

        return list_runs(session, limit=limit)

    # -- rows -----------------------------------------------------------------------------------

    def lock(self, session: Session, reference: str, *, version: int | None = None) -> ComplaintRow:
        """The case's row, locked until the transaction ends; :class:`StaleCaseError` when not at ``version``."""
        return lock_case(session, reference, version=version)

    def _row(self, session: Session, reference: str, *, lock: bool = False, load: bool = False) -> ComplaintRow:
        return case_row(session, reference, lock=lock, load=load)


def lock_case(session: Session, reference: str, *, version: int | None = None) -> ComplaintRow:
    """:meth:`Register.lock`: every change to a case starts here (the stale-version and merged-case rules)."""
    row = case_row(session, reference, lock=True)
    if version is not None and row.version != version:
        raise stale(row, f"{row.reference} {_last_change(row)}; nothing done")
    if row.merged_into is not None:  # a pointer: the work goes on in the case it joined
        raise RegisterError(f"{row.reference} was merged into {row.merged_into}: work on that case")
    return row


def case_row(session: Session, reference: str, *, lock: bool = False, load: bool = False) -> ComplaintRow:
    query = select(ComplaintRow).where(ComplaintRow.reference == reference.strip().upper())
    if lock:  # read what the lock holder committed, not what this session saw before
        query = query.with_for_update().execution_options(populate_existing=True)
    if load:
        query = query.options(selectinload(ComplaintRow.files), selectinload(ComplaintRow.events),
                              selectinload(ComplaintRow.attachments), selectinload(ComplaintRow.corrections))
    row = session.scalars(query).first()
    if row is None:
        raise UnknownReferenceError(f"no complaint {reference!r} in the register")
    return row


def stale(row: ComplaintRow, message: str) -> StaleCaseError:
    return StaleCaseError(message, reference=row.reference, version=row.version)


def _last_change(row: ComplaintRow) -> str:
    """``was acknowledged by mikkel at 10:02 UTC``: the newest event that changed the case."""
    events = [e for e in row.events if e.what != "note"]
    if not events:
        return "was changed"
    last = events[-1]
    return f"was {last_verb(last.what, last.to_status)} by {last.who} at {stamp(last.at)}"


def last_verb(what: str, to_status: str | None) -> str:
    if what == "status" and to_status:
        return to_status.replace("_", " ")
    return _VERB.get(what, "changed")


def stamp(at: datetime) -> str:
    """An event's time for a sentence: ``10:02 UTC`` today, else with the day."""
    moment = utc(at)
    today = datetime.now(moment.tzinfo).date()
    return f"{moment:%H:%M} UTC" if moment.date() == today else f"{moment:%Y-%m-%d %H:%M} UTC"


# -- rows → typed objects -------------------------------------------------------------------------


def _subject(row: ComplaintRow) -> str | None:
    text = str((row.complaint or {}).get("subject") or row.message or "").strip()
    return text.split("\n", 1)[0][:160] or None


def typed_complaint(row: ComplaintRow, profiles: Mapping[str, Organisation] | None = None) -> Complaint | None:
    from ._corrections import typed_complaint as typed

    return typed(row, profiles)


# What a summary reads (:func:`_summary_fields`, the subject, the typed complaint, review items):
# not the JSON a list never prints (raw, mail, warnings) nor the wide text columns.
_SUMMARY_COLUMNS = tuple(getattr(ComplaintRow, name) for name in (
    "reference", "status", "version", "received", "received_at", "acknowledge_by", "decide_by", "acknowledged_on",
    "decided_on", "outcome", "organisation", "language", "channel", "assignee", "merged_into", "not_a_complaint",
    "method", "profile_sha256", "extended_to", "extension_reason", "waiting_since", "waiting_for", "paused_days",
    "complaint", "review", "message"))


def to_summary(session: Session, row: ComplaintRow, profiles: Mapping[str, Organisation] | None = None
               ) -> CaseSummary:
    """A row as a list shows it (``profiles``: as :class:`Register` takes them)."""
    return CaseSummary.model_validate(_summary_fields(session, row, profiles))


def _summary_fields(session: Session, row: ComplaintRow, profiles: Mapping[str, Organisation] | None
                    ) -> dict[str, Any]:
    return {
        "reference": row.reference, "status": row.status, "version": row.version, "received": row.received,
        "received_at": utc(row.received_at) if row.received_at else None, "acknowledge_by": row.acknowledge_by,
        "decide_by": row.decide_by, "acknowledged_on": row.acknowledged_on, "decided_on": row.decided_on,
        "outcome": row.outcome, "organisation": row.organisation, "language": row.language, "channel": row.channel,
        "assignee": row.assignee, "merged_into": row.merged_into,
        "not_a_complaint": bool(row.not_a_complaint), "subject": _subject(row), "method": row.method,
        "profile_sha256": row.profile_sha256, "extended_to": row.extended_to,
        "extension_reason": row.extension_reason, "waiting_since": row.waiting_since,
        "waiting_for": row.waiting_for, "paused_days": row.paused_days or 0,
        "complaint": typed_complaint(row, profiles), "review": tuple(_review(row)),
    }


def to_event(reference: str, event: Any) -> Event:
    return Event(reference=reference, at=utc(event.at), who=event.who, what=event.what,
                 from_status=event.from_status, to_status=event.to_status, note=event.note)


def _with_review() -> Select[tuple[str, list[Any]]]:
    """The rows that may hold open review items: not merged, not found not to be complaints, a list not empty."""
    return select(ComplaintRow.reference, ComplaintRow.review).where(
        ComplaintRow.merged_into.is_(None), ComplaintRow.not_a_complaint.is_(False),
        cast_sql(ComplaintRow.review, Text) != "[]")


def _open_review_items(session: Session) -> int:
    """How many review items the open cases have (the due list's count of work waiting).

    Only open cases: a closed case's items are in its record, not in this week's work, and
    counting them read every row of the register (0.5 s at 50,000 cases). Read through the
    (status, deadline) index — no ORDER BY, which would make SQLite's planner walk the
    reference index instead; "not merged" written so that it does not pick merged_into's
    index either (as in :func:`due_list`). Counted as :meth:`Register.review` lists them,
    without an entry built per item.
    """
    # In chunks: at 1,000,000 cases the open ones' lists, read at once, were 100 MB.
    rows = session.execute(select(ComplaintRow.review).where(
        ComplaintRow.status.in_(OPEN_STATUSES), func.coalesce(ComplaintRow.merged_into, "") == "",
        ComplaintRow.not_a_complaint.is_(False), cast_sql(ComplaintRow.review, Text) != "[]"),
        execution_options={"yield_per": 1000})
    return sum(1 for row in rows for item in row.review if isinstance(item, dict) and item.get("path"))


def _review(row: ComplaintRow) -> Iterator[ReviewEntry]:
    for item in row.review:
        if isinstance(item, dict) and item.get("path"):
            yield ReviewEntry(reference=row.reference, path=str(item["path"]), label=item.get("label"),
                              value=item.get("value"), code=item.get("code"), message=item.get("message"),
                              message_local=item.get("message_local"))


def _json(text: str | None) -> Any:
    return json.loads(text) if text is not None else None


def _correspondence(session: Session, rows: Sequence[ComplaintRow]) -> Iterator[Correspondence]:
    """The messages that joined these cases (the case and those merged into it), in order of arrival."""
    from ._schema import CorrespondenceRow, OutgoingRow
    from ._threading import has_correspondence

    if not has_correspondence(session):  # a register not yet at revision 0013 (the service works on it)
        return
    by_id = {r.id: r.reference for r in rows}
    query = (select(CorrespondenceRow, OutgoingRow.kind).outerjoin(OutgoingRow, OutgoingRow.id ==
                                                                   CorrespondenceRow.outgoing_id)
             .where(CorrespondenceRow.complaint_id.in_(by_id)).options(selectinload(CorrespondenceRow.event))
             .order_by(CorrespondenceRow.id))
    for found, letter in session.execute(query):
        yield Correspondence(
            reference=by_id[found.complaint_id], at=utc(found.received_at or found.event.at), kind=found.kind,
            matched_by=found.matched_by, sender=found.sender, subject=found.subject, letter=letter,
            delivery_status=found.delivery_status,
            documents=tuple(str(d.get("name") or (d.get("sha256") or "")[:12]) for d in found.documents
                            if isinstance(d, dict) and d.get("kind") != "message"))


def _conversation(session: Session, row: ComplaintRow, correspondence: Sequence[Correspondence]
                  ) -> Iterator[ConversationMessage]:
    """The case's conversation by mail: the complaint's own message, our letters by email, what came after."""
    from ._schema import OutgoingRow
    from ._threading import has_correspondence

    if not has_correspondence(session):  # a register not upgraded yet (0013 comes after the outbox, 0009)
        return
    mail = row.mail or {}
    if row.message_sha256:
        yield ConversationMessage(at=utc(row.received_at) if row.received_at else datetime.combine(
                                      row.received, datetime.min.time(), tzinfo=UTC),
                                  direction="in", kind="complaint", message_id=row.message_id,
                                  party=mail.get("from"), subject=mail.get("subject"),
                                  documents=tuple(a.name or (a.sha256 or "")[:12] for a in row.attachments))
    letters = session.scalars(select(OutgoingRow).where(OutgoingRow.complaint_id == row.id,
                                                        OutgoingRow.channel == "email").order_by(OutgoingRow.id))
    for out in letters:
        yield ConversationMessage(at=utc(out.sent_at or out.queued_at), direction="out", kind=out.kind,
                                  message_id=out.message_id, party=out.recipient, state=out.state)
    for c in correspondence:
        yield ConversationMessage(at=c.at, direction="in", kind=c.kind, party=c.sender, subject=c.subject,
                                  documents=c.documents)


def to_case(session: Session, row: ComplaintRow, profiles: Mapping[str, Organisation] | None = None) -> Case:
    """Everything about one row: its parts, the events of cases merged into it, related cases, its
    measures and category (``profiles``: as :class:`Register` takes them)."""
    from ._measures import category_of_row, measures_of_row

    merged = session.scalars(select(ComplaintRow).where(ComplaintRow.merged_into == row.reference)
                             .options(selectinload(ComplaintRow.events)).order_by(ComplaintRow.id)).all()
    events = [to_event(row.reference, e) for e in row.events]
    events += [to_event(m.reference, e) for m in merged for e in m.events]
    mail = row.mail or {}
    correspondence = tuple(sorted(_correspondence(session, [row, *merged]), key=lambda c: c.at))
    sender = Sender.model_validate({"from": mail.get("from"), "subject": mail.get("subject"),
                                    "date": mail.get("date"), "message_id": row.message_id,
                                    "message_sha256": row.message_sha256, "received_from": mail.get("received_from")})
    return Case.model_validate(_summary_fields(session, row, profiles) | {
        "form_version": row.form_version, "parse_status": row.parse_status,
        "corrections": tuple(Correction(path=c.path, typed=c.typed, before=_json(c.before), after=_json(c.after),
                                        code=c.code, who=c.who, at=utc(c.at), note=c.note) for c in row.corrections),
        "warnings": tuple(row.warnings or ()), "reason": row.reason, "error": row.error, "message": row.message,
        "sender": sender if sender.model_dump(exclude_none=True) else None, "content_key": row.content_key,
        "merged_from": tuple(m.reference for m in merged),
        "files": tuple(SourceFile(source=f.source, sha256=f.sha256, kind=f.kind, received=f.received,
                                  quarantine=f.quarantine) for f in row.files),
        "documents": tuple(Document(name=a.name, content_type=a.content_type, size=a.size, sha256=a.sha256,
                                    path=a.path, unreadable=a.unreadable) for a in row.attachments),
        "events": tuple(sorted(events, key=lambda e: e.at)),
        "correspondence": correspondence,
        "conversation": tuple(sorted(_conversation(session, row, correspondence), key=lambda m: m.at)),
        "related": tuple(Related(reference=m.reference, status=m.status, outcome=m.outcome, received=m.received,
                                 same=tuple(why))
                         for m, why in _related(session, row) if m.merged_into != row.reference),
        "measures": tuple(measures_of_row(session, row)), "category": category_of_row(session, row),
        **_retention_fields(session, row),
    })


def _retention_fields(session: Session, row: ComplaintRow) -> dict[str, Any]:
    """A case's legal hold and erasure (revision 0015; none on an older register)."""
    from ._retention import erased_at, hold_of

    held = hold_of(session, row)
    return {"held_since": held.since if held else None, "held_by": held.by if held else None,
            "hold_reason": held.reason if held else None, "erased_at": erased_at(session, row)}


