"""Deadlines that follow the case: the profile it is handled under, extensions and a paused decision clock.

A case's deadlines come from one place, :func:`case_deadlines`: the profile's working days
counted from the day of receipt (:func:`klageformular.org.deadlines`), then the case's own
history on top — a new decision date an officer set with reasons (art. 5 of Delegated
Regulation (EU) 2022/2117) replaces the profile's, and the working days the decision clock
was paused while the customer was asked for information (art. 4) are added to it::

    decide_by = (extended_to or the profile's decide-by) + paused working days

A case records the profile it is handled under: its key (``organisation``) and a sha256 —
of the profile file's bytes, or of a built-in profile's canonical JSON (:class:`Profile`),
so a changed file is a changed profile. Setting a profile recounts the open deadlines, one
event each with before and after.

Not supported: a decision timeframe the profile does not give. Without
``decision_working_days`` a case has no ``decide_by``; pausing a clock that does not run is
refused, saying where to set it. An extension needs no timeframe (its date is the officer's).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ..exceptions import RegisterError
from ..org import Deadlines, Organisation, deadlines, profile_for
from ..workdays import acknowledge_by, is_working_day
from ._query import working_days_between
from ._schema import ComplaintRow
from ._types import DeadlineChange
from ._workflow import record_event

__all__ = ["Profile", "apply_profile", "case_deadlines", "extend", "paused_working_days", "resume", "wait"]

#: Statuses whose acknowledgement is still owed, and those whose decision is.
ACKNOWLEDGING = ("unreadable", "received")
DECIDING = ("unreadable", "received", "acknowledged", "under_review")


@dataclass(frozen=True)
class Profile:
    """A profile as a case is handled under it: the :class:`Organisation` and the sha256 naming its version."""

    org: Organisation
    sha256: str

    @classmethod
    def built_in(cls, org: Organisation) -> Profile:
        """A built-in profile (or any in memory): the sha256 of its canonical JSON (sorted keys, no spaces)."""
        canonical = json.dumps(org.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return cls(org, hashlib.sha256(canonical.encode("utf-8")).hexdigest())

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Profile:
        """A profile file (TOML or JSON, as ``--org-file`` reads it): the sha256 of the bytes read."""
        from ..orgfile import read_organisation

        org, raw = read_organisation(path)
        return cls(org, hashlib.sha256(raw).hexdigest())

    @classmethod
    def of_row(cls, row: ComplaintRow, profiles: Mapping[str, Organisation] | None = None) -> Profile:
        """The profile a case names, given or built in (by the one rule, :func:`klageformular.org.profile_for`)."""
        return cls.built_in(profile_for(row.organisation, row.language, profiles, holder=row.reference))


def _add_working_days(day: date, count: int, country: str) -> date:
    return acknowledge_by(day, count, country)


def paused_working_days(since: date, until: date, country: str) -> int:
    """Working days after ``since`` up to and including ``until``: the clock stops on the day the
    customer is asked and runs again the day after their answer arrives (the day it arrives is paused).
    Counted as the report counts working days (:func:`._query.working_days_between`)."""
    return working_days_between(since, until, country)


def case_deadlines(row: ComplaintRow, org: Organisation) -> Deadlines:
    """The case's deadlines under ``org``: the profile's, with the case's extension and paused days."""
    base = deadlines(row.received, org)
    decide = row.extended_to or base.decide_by
    if decide is not None and row.paused_days:
        decide = _add_working_days(decide, row.paused_days, org.holiday_country)
    return Deadlines(base.acknowledge_by, decide)


def _day(value: date | None) -> str:
    return value.isoformat() if value else "none"


def apply_profile(session: Session, row: ComplaintRow, profile: Profile, *, who: str) -> DeadlineChange | None:
    """Handle ``row`` under ``profile``: record it and recount the deadlines still open (one event).

    An acknowledgement is recounted only while it is owed, a decision date only while the
    decision is; dates already met stay as they were. Nothing happens (None) when the case is
    already handled under this very profile and its dates are what it gives.
    """
    new = case_deadlines(row, profile.org)
    ack = new.acknowledge_by if row.status in ACKNOWLEDGING else row.acknowledge_by
    decide = new.decide_by if row.status in DECIDING else row.decide_by
    before = (row.organisation, row.profile_sha256, row.acknowledge_by, row.decide_by)
    after = (profile.org.key, profile.sha256, ack, decide)
    if before == after:
        return None
    note = (f"profile {row.organisation} {(row.profile_sha256 or 'not recorded')[:12]} → {profile.org.key} "
            f"{profile.sha256[:12]}; acknowledge by {_day(row.acknowledge_by)} → {_day(ack)}; decide by "
            f"{_day(row.decide_by)} → {_day(decide)}")
    if decide is None and row.status in DECIDING:
        note += " (the profile gives no decision_working_days)"
    change = DeadlineChange(reference=row.reference, profile=profile.org.key, profile_sha256=profile.sha256,
                            acknowledge_by_before=row.acknowledge_by, acknowledge_by=ack,
                            decide_by_before=row.decide_by, decide_by=decide)
    row.organisation, row.profile_sha256, row.acknowledge_by, row.decide_by = after
    record_event(session, row, "profile", who=who, note=note)
    return change


def extend(session: Session, row: ComplaintRow, org: Organisation, to: date, reason: str, *, who: str
           ) -> DeadlineChange:
    """A new decision date with reasons (art. 5): later than the current one, on a working day."""
    reason = " ".join(reason.split())
    if not reason:
        raise RegisterError("an extension needs a --reason (the customer is told why, art. 5)")
    if row.status not in DECIDING:
        raise RegisterError(f"{row.reference} is {row.status}: only an open case awaiting its decision can be "
                            f"given a new decision date")
    if row.decide_by is not None and to <= row.decide_by:
        raise RegisterError(f"{row.reference} is to be decided by {row.decide_by.isoformat()}: a new date must be "
                            f"later")
    if to <= row.received:
        raise RegisterError(f"{row.reference} was received on {row.received.isoformat()}: a new date must be later")
    if not is_working_day(to, org.holiday_country):
        raise RegisterError(f"{to.isoformat()} is not a working day in {org.holiday_country}: choose another date")
    before = row.decide_by
    # The officer's date already allows for earlier pauses; pauses after it are added to it.
    row.extended_to, row.extension_reason, row.paused_days = to, reason, 0
    row.decide_by = to
    record_event(session, row, "extend", who=who, note=f"decide by {_day(before)} → {_day(row.decide_by)}: {reason}")
    return DeadlineChange(reference=row.reference, profile=row.organisation, profile_sha256=row.profile_sha256,
                          acknowledge_by_before=row.acknowledge_by, acknowledge_by=row.acknowledge_by,
                          decide_by_before=before, decide_by=row.decide_by)


def wait(session: Session, row: ComplaintRow, org: Organisation, what: str, *, on: date, who: str) -> None:
    """Pause the decision clock from ``on`` while the customer is asked for ``what`` (art. 4)."""
    what = " ".join(what.split())
    if not what:
        raise RegisterError("say what the customer is asked for (--for)")
    if row.status not in DECIDING:
        raise RegisterError(f"{row.reference} is {row.status}: there is no decision clock to pause")
    if row.waiting_since is not None:
        raise RegisterError(f"{row.reference} is already waiting since {row.waiting_since.isoformat()} for "
                            f"{row.waiting_for}: 'register resume' first")
    if row.decide_by is None:
        raise RegisterError(f"{row.reference} has no decision date to pause: profile {org.key!r} gives no "
                            f"decision_working_days; set it in a profile file and run 'register profile "
                            f"{row.reference} --org-file FILE'")
    if on < row.received:
        raise RegisterError(f"{row.reference} was received on {row.received.isoformat()}: the clock cannot pause "
                            f"before that")
    row.waiting_since, row.waiting_for = on, what
    record_event(session, row, "wait", who=who, note=f"from {on.isoformat()}, waiting for: {what}")


def resume(session: Session, row: ComplaintRow, org: Organisation, *, on: date, who: str,
           why: str = "resumed") -> DeadlineChange:
    """Restart the paused decision clock on ``on``: the paused working days are added to ``decide_by``."""
    if row.waiting_since is None:
        raise RegisterError(f"{row.reference} is not waiting for the customer: nothing to resume")
    if on < row.waiting_since:
        raise RegisterError(f"{row.reference} waits since {row.waiting_since.isoformat()}: it cannot resume "
                            f"before that")
    days = paused_working_days(row.waiting_since, on, org.holiday_country)
    before, since = row.decide_by, row.waiting_since
    row.paused_days += days
    row.waiting_since = row.waiting_for = None
    # Added to the date as it stands (== case_deadlines' sum): the profile file it was counted with
    # need not be at hand to restart the clock.
    if row.decide_by is not None:
        row.decide_by = _add_working_days(row.decide_by, days, org.holiday_country)
    record_event(session, row, "resume", who=who,
                 note=f"{why} on {on.isoformat()}: paused {since.isoformat()} → {on.isoformat()}, {days} working "
                      f"day(s); decide by {_day(before)} → {_day(row.decide_by)}")
    return DeadlineChange(reference=row.reference, profile=row.organisation, profile_sha256=row.profile_sha256,
                          acknowledge_by_before=row.acknowledge_by, acknowledge_by=row.acknowledge_by,
                          decide_by_before=before, decide_by=row.decide_by, paused_days=days)
