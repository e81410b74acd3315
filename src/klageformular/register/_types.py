"""What the register service hands out: typed, frozen objects (pydantic), never dicts indexed by string.

:class:`Case` is one case with everything a person or a program needs (``Case.to_json()`` is
what ``register show --json`` prints: no ``null`` noise); :class:`CaseSummary` is a row of a
list; :class:`Event`, :class:`SourceFile`, :class:`Document` (an attachment's metadata),
:class:`Correction`, :class:`ReviewEntry`, :class:`Related`, :class:`Sender`, :class:`Measure`,
:class:`CaseCategory` are its parts;
:class:`StatusChange` what a change did, :class:`DeadlineChange` what a profile, an extension or a
resumed clock did to the dates; :class:`DueItem` / :class:`DueList` the deadlines. The
compliance figures' :class:`~klageformular.register.Report` lives with the queries that compute
them (:mod:`._report`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..model import Complaint

__all__ = ["Case", "CaseCategory", "CaseSummary", "ConversationMessage", "Correction", "Correspondence",
           "DeadlineChange", "Document", "DueItem", "DueList", "DueStream", "Event", "Measure", "OutgoingMessage",
           "Related", "ReviewEntry", "SendResult", "Sender", "SourceFile", "StatusChange"]


class _Frozen(BaseModel):
    # Built on first use, not at import: a command builds the few it returns (start-up, issue 25 item 4).
    model_config = ConfigDict(frozen=True, defer_build=True)

    def to_json(self, *, indent: int | None = 2) -> str:
        """JSON without the keys that hold nothing (``None``)."""
        return self.model_dump_json(exclude_none=True, indent=indent, by_alias=True)


class Event(_Frozen):
    """One entry of a case's append-only history. ``reference``: the case it was recorded on (a merged one's own)."""

    reference: str
    at: datetime
    who: str
    what: str
    from_status: str | None = None
    to_status: str | None = None
    note: str | None = None


class SourceFile(_Frozen):
    """A file that carried the case: the original or a duplicate (``kind``)."""

    source: str
    sha256: str | None = None
    kind: str
    received: date | None = None
    quarantine: str | None = None


class Document(_Frozen):
    """An attachment's metadata (type and size); the bytes stay where intake put them.

    ``unreadable`` says why an attached PDF could not be read as the form (a scan, a password):
    a document of the message's case all the same.
    """

    name: str | None = None
    content_type: str | None = None
    size: int | None = None
    sha256: str | None = None
    path: str | None = None
    unreadable: str | None = None


class Sender(_Frozen):
    """Who sent a mail case and what the message said about itself (the sender's claims), with the
    message's own identity (``message_sha256``, the hash of its bytes: a ``Message-ID`` is only a
    claim) and where the time of receipt came from (``received_from``: date, received, server, file, now).
    """

    from_: str | None = Field(default=None, alias="from")
    subject: str | None = None
    date: str | None = None
    message_id: str | None = None
    message_sha256: str | None = None
    received_from: str | None = None

    model_config = ConfigDict(frozen=True, populate_by_name=True, defer_build=True)


class Correction(_Frozen):
    """A corrected value: the value as typed stays here beside the new one, with who, when and why."""

    path: str
    typed: str | None = None
    before: Any = None
    after: Any = None
    code: str | None = None
    who: str
    at: datetime
    note: str | None = None


class ReviewEntry(_Frozen):
    """An open review item of a case: the field, its label, the value as typed and the problem's code."""

    reference: str
    path: str
    label: str | None = None
    value: str | None = None
    code: str | None = None
    message: str | None = None
    message_local: str | None = None


class Related(_Frozen):
    """Another case about the same investment, project or complainant (``same`` says which)."""

    reference: str
    status: str
    outcome: str | None = None
    received: date
    same: tuple[str, ...]


class CaseSummary(_Frozen):
    """One case as a list shows it."""

    reference: str
    status: str
    version: int
    received: date
    received_at: datetime | None = None
    acknowledge_by: date | None = None
    decide_by: date | None = None
    acknowledged_on: date | None = None
    decided_on: date | None = None
    outcome: str | None = None
    organisation: str
    language: str | None = None
    channel: str
    assignee: str | None = None
    merged_into: str | None = None
    not_a_complaint: bool = False
    profile_sha256: str | None = None  # the profile's version the deadlines were counted with (None: not recorded)
    extended_to: date | None = None  # a new decision date given with reasons (art. 5)
    extension_reason: str | None = None
    waiting_since: date | None = None  # the decision clock is paused: the customer is asked for information
    waiting_for: str | None = None
    paused_days: int = 0  # working days paused so far, already in ``decide_by``
    subject: str | None = None  # the complaint's first line, or an unreadable file's message
    method: str | None = None
    complaint: Complaint | None = None  # the values as corrected (``Case.corrections``: as typed)
    review: tuple[ReviewEntry, ...] = ()


class Correspondence(_Frozen):
    """A message that joined the case after it was opened: a reply, a delivery report or an auto-reply.

    ``matched_by``: one of our Message-IDs (``message_id``) or the case's reference in the subject
    from the case's own address (``subject``); ``letter``: which letter of ours it answers (ack,
    decision), when known; ``documents``: the names of the files it brought (documents of the case).
    """

    reference: str
    at: datetime
    kind: str
    matched_by: str
    sender: str | None = None
    subject: str | None = None
    letter: str | None = None
    delivery_status: str | None = None
    documents: tuple[str, ...] = ()


class ConversationMessage(_Frozen):
    """One message of a case's conversation by mail, oldest first: the customer's (``direction`` ``in``: the
    complaint itself, a reply, a delivery report, an auto-reply) and ours (``out``: the letters by email).

    ``kind``: ``complaint``, ``ack`` or ``decision`` (ours), or a :class:`Correspondence` kind;
    ``party``: who sent it (in) or whom it went to (out); ``message_id``: ours, or the sender's claim;
    ``state``: ours in the outbox (``sent``, ``queued``, ``failed``); ``documents``: the files it
    brought. Not included: letters on paper, and copies of the complaint sent again.
    """

    at: datetime
    direction: Literal["in", "out"]
    kind: str
    message_id: str | None = None
    party: str | None = None
    subject: str | None = None
    state: str | None = None
    documents: tuple[str, ...] = ()


class Measure(_Frozen):
    """A measure taken on a case (one ``measure`` event); ``amount``/``currency`` only for ``compensation``.

    ``amount`` is exact: the stored whole number of the currency's minor unit with its decimals
    (``Decimal("75.25")``, ``Decimal("100.00")``); JSON gives it as a string, never a float.
    """

    reference: str
    kind: str
    at: datetime
    who: str
    note: str | None = None
    amount: Decimal | None = None
    currency: str | None = None

    @property
    def money(self) -> str | None:
        """``75.25 DKK``: the amount with every decimal its currency has (None without an amount)."""
        return f"{self.amount:f} {self.currency}" if self.amount is not None else None


class CaseCategory(_Frozen):
    """A case's current category: keys of its profile's product and cause lists (None: not set)."""

    product: str | None = None
    cause: str | None = None


class Case(CaseSummary):
    """Everything about one case. ``complaint`` holds the corrected values; ``corrections`` what was typed."""

    form_version: str | None = None
    parse_status: str | None = None
    corrections: tuple[Correction, ...] = ()
    warnings: tuple[Any, ...] = ()
    reason: str | None = None
    error: str | None = None
    message: str | None = None
    sender: Sender | None = None
    content_key: str | None = None
    merged_from: tuple[str, ...] = ()
    files: tuple[SourceFile, ...] = ()
    documents: tuple[Document, ...] = ()
    events: tuple[Event, ...] = ()
    correspondence: tuple[Correspondence, ...] = ()
    conversation: tuple[ConversationMessage, ...] = ()  # the complaint's message, our letters, what came after
    related: tuple[Related, ...] = ()
    measures: tuple[Measure, ...] = ()  # the case's own, oldest first (a merged case's stay on its record)
    category: CaseCategory | None = None  # None: never categorized
    held_since: datetime | None = None  # a legal hold (revision 0015): never purged or erased while set
    held_by: str | None = None
    hold_reason: str | None = None
    erased_at: datetime | None = None  # when its personal data was erased (retention or request)


class StatusChange(_Frozen):
    """What a change did: the status before and after and the case's new version."""

    reference: str
    previous: str
    status: str
    version: int


class DeadlineChange(_Frozen):
    """What a profile, an extension or a resumed clock did to one case's dates (before and after)."""

    reference: str
    profile: str
    profile_sha256: str | None = None
    acknowledge_by_before: date | None = None
    acknowledge_by: date | None = None
    decide_by_before: date | None = None
    decide_by: date | None = None
    paused_days: int | None = None  # resume: the working days this pause added


class OutgoingMessage(_Frozen):
    """One letter in the outbox (register/_outbox.py): how it goes (``channel`` email or post), where it
    is (``state``: queued, sent, failed, to_post, posted), our ``message_id`` and the server's ``last_reply``.

    ``copy_state``: its copy in the mailbox's Sent folder (``pending``: still to be made; ``copied``).
    """

    id: int
    reference: str
    kind: str
    channel: str
    state: str
    message_id: str | None = None
    in_reply_to: str | None = None
    recipient: str | None = None
    sha256: str | None = None
    letter_sha256: str | None = None
    dated: date
    who: str
    queued_at: datetime
    sent_at: datetime | None = None
    attempts: int = 0
    last_reply: str | None = None
    copy_state: str | None = None
    copy_reply: str | None = None


class SendResult(_Frozen):
    """What one attempt to send did: ``result`` is ``sent``, ``deferred`` (a temporary failure: still
    queued, ``reason`` says why), ``failed`` (refused for good: the case is flagged), ``skipped`` (no
    longer queued: another run sent it) or ``copy`` (a retry that only made a pending Sent copy); the
    case's status before and after; the Sent folder's copy
    (``sent_copy``: copied, already there, pending with ``copy_reason``, or None when none is kept)."""

    outgoing: OutgoingMessage
    result: str
    reason: str | None = None
    previous_status: str
    status: str
    sent_copy: str | None = None
    copy_reason: str | None = None


class DueItem(_Frozen):
    """An open case and its next deadline: ``acknowledge`` (received, unreadable) or ``decide``;
    ``not delivered`` for a letter that bounced or the mail server refused (``note`` says what to do)."""

    reference: str
    status: str
    received: date
    deadline: date
    action: str
    assignee: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``register due --json``)."""
        return self.model_dump(mode="json", exclude={k for k in ("assignee", "note") if getattr(self, k) is None})


@dataclass(frozen=True)
class DueStream:
    """The due list as it is read: its counts, then the listed deadlines one at a time.

    ``items`` runs overdue, then due today, then upcoming, each by (deadline, reference): the
    order :class:`DueList` keeps, sorted by the database. A command that prints them as they come
    (``register due``) holds one row, not the list: a register with 150,000 overdue cases is a
    long list, not a large process (issue 25, measured at 1,000,000 cases).
    """

    today: date
    days: int
    waiting: int
    no_decision_date: int
    open_review: int
    unassigned: int
    items: Iterator[DueItem]
    not_delivered: list[DueItem]

    def bucket(self, item: DueItem) -> Literal["overdue", "due_today", "upcoming"]:
        """Which of the list's three parts ``item`` belongs to."""
        return "overdue" if item.deadline < self.today else "due_today" if item.deadline == self.today else "upcoming"


class DueList(_Frozen):
    """Open deadlines on ``today``: passed, today, and in the ``days`` after it (``upcoming``, across weekends).

    ``waiting``: cases whose decision clock is paused (not listed; their date moves when the
    customer answers); ``no_decision_date``: acknowledged cases whose profile gives no
    timeframe; ``open_review`` and ``unassigned``: the other work waiting; ``not_delivered``: letters
    the mail server refused for good, to send on paper or to another address.
    """

    today: date
    days: int = 7
    overdue: list[DueItem]
    due_today: list[DueItem]
    upcoming: list[DueItem]
    waiting: int = 0
    no_decision_date: int = 0
    open_review: int = 0
    unassigned: int = 0
    not_delivered: list[DueItem] = []

    @property
    def this_week(self) -> list[DueItem]:
        """The name before ``--days`` (it stopped at Sunday): the same as :attr:`upcoming`."""
        return self.upcoming

