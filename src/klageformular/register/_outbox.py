"""The outbox: every letter we send or print on a case, recorded before it goes; sending it; marking it posted.

A letter is *queued* in the transaction that records it (:mod:`._letters`: the event, the PDF and
the message as the case's documents, the status it will move to): an ``outgoing`` row holds our
Message-ID and the message's bytes (in ``blobs``). Sending is a step of its own after that commit
(:func:`send_one`): the message goes to the SMTP server, then a second transaction marks it

- ``sent`` with the server's reply and time — and only now does the case move: the
  acknowledgement counts as given when it is sent (``acknowledged_on`` is the send date;
  a decision's ``decided_on`` likewise);
- still ``queued`` after a temporary failure (4xx, a dropped connection, no server), with the
  reason and ``attempts`` + 1 (a ``send_deferred`` event);
- ``failed`` after a permanent one (5xx): a ``send_failed`` event, and ``register due`` lists the
  case as not delivered — send it on paper or to another address.

A crash between the two steps leaves the message queued; :func:`retry_all` (``register outbox
--retry``) sends it again with the same bytes and Message-ID, so a message is never lost and never
sent twice under two Message-IDs (a crash after the server took it and before the register noted
it sends the same message again: the customer's mail program shows one). A paper letter is
``to_post`` until the officer marks it ``posted`` (:func:`mark_posted`); that day is the day the
letter counts as given.

With a Sent folder configured, each sent message is appended there after the send is recorded
(``copy_state`` pending → copied); a failed append does not unsend anything: it stays pending
with the reason and the next retry makes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ..exceptions import (
    InvalidTransitionError,
    MailboxError,
    PermanentSendError,
    RegisterError,
    TemporarySendError,
)
from ._reads import read_session
from ._schema import BlobRow, ComplaintRow, OutgoingRow
from ._types import DueItem, OutgoingMessage, SendResult
from ._workflow import change_status, now, record_event, utc

if TYPE_CHECKING:
    from ._letters import RegisterLetter  # noqa: F401

__all__ = ["OUTBOX_STATES", "Mailer", "SentCopier", "mark_posted", "not_delivered", "outbox", "retry_all",
           "send_one", "to_outgoing"]

#: What ``register outbox`` lists: letters still to go, refused ones, paper ones still to post.
OUTBOX_STATES = ("queued", "failed", "to_post")
_LABEL = {"ack": "acknowledgement letter", "decision": "decision letter"}


class Mailer(Protocol):
    """What sends a message (:class:`klageformular.smtp.SmtpMailer`): its reply, or a :class:`MailSendError`."""

    def submit(self, data: bytes, *, sender: str, recipients: Sequence[str]) -> str: ...


class SentCopier(Protocol):
    """What keeps a copy of a sent message (:class:`klageformular.sentfolder.SentFolder`)."""

    def append(self, data: bytes, *, message_id: str, at: datetime) -> bool: ...


def to_outgoing(out: OutgoingRow, reference: str) -> OutgoingMessage:
    return OutgoingMessage(
        id=out.id, reference=reference, kind=out.kind, channel=out.channel, state=out.state,
        message_id=out.message_id, in_reply_to=out.in_reply_to, recipient=out.recipient, sha256=out.sha256,
        letter_sha256=out.letter_sha256, dated=out.dated, who=out.who, queued_at=utc(out.queued_at),
        sent_at=utc(out.sent_at) if out.sent_at else None, attempts=out.attempts or 0, last_reply=out.last_reply,
        copy_state=out.copy_state, copy_reply=out.copy_reply)


def outbox(session: Session, *, states: Sequence[str] = OUTBOX_STATES, copies: bool = True,
           reference: str | None = None) -> Iterator[OutgoingMessage]:
    """Outgoing letters in ``states`` in the order queued (and, with ``copies``, sent ones whose copy is pending)."""
    query = select(OutgoingRow, ComplaintRow.reference).join(ComplaintRow, ComplaintRow.id == OutgoingRow.complaint_id)
    condition = OutgoingRow.state.in_(states)
    if copies:
        query = query.where(condition | ((OutgoingRow.state == "sent") & (OutgoingRow.copy_state == "pending")))
    else:
        query = query.where(condition)
    if reference is not None:
        query = query.where(ComplaintRow.reference == reference.strip().upper())
    for out, ref in session.execute(query.order_by(OutgoingRow.queued_at, OutgoingRow.id)):
        yield to_outgoing(out, ref)


def _lock(session: Session, outgoing_id: int) -> tuple[OutgoingRow, ComplaintRow]:
    """The case's row, then the outgoing row, locked (the case first: the order every change takes)."""
    complaint_id = session.scalar(select(OutgoingRow.complaint_id).where(OutgoingRow.id == outgoing_id))
    if complaint_id is None:
        raise RegisterError(f"no outgoing letter {outgoing_id} in the register")
    row = session.scalars(select(ComplaintRow).where(ComplaintRow.id == complaint_id).with_for_update()
                          .execution_options(populate_existing=True)).one()
    out = session.scalars(select(OutgoingRow).where(OutgoingRow.id == outgoing_id).with_for_update()
                          .execution_options(populate_existing=True)).one()
    return out, row


def _message(session: Session, out: OutgoingRow) -> bytes:
    data = session.scalar(select(BlobRow.data).where(BlobRow.sha256 == out.sha256))
    if data is None or hashlib.sha256(data).hexdigest() != out.sha256:
        raise RegisterError(f"outgoing letter {out.id}: its message's bytes are not in the register")
    return bytes(data)


def deliver(session: Session, row: ComplaintRow, out: OutgoingRow, *, who: str, on: date) -> None:
    """The letter reached the customer (sent, or posted ``on``): the case moves as the letter says.

    Checked when the letter was queued; a case someone moved since by hand keeps its status (the
    event says so): the letter is out whatever the register says, so this never refuses.
    """
    from ._letters import OUTCOME_IN_REGISTER, _steps

    if row.merged_into is not None:
        return
    try:
        steps = _steps(row, out.kind, out.admissibility or "admissible", out.outcome)  # type: ignore[arg-type]
    except InvalidTransitionError:
        return
    for status in steps:
        note = (out.reason or _LABEL[out.kind]) if status == "inadmissible" else _LABEL[out.kind]
        outcome = OUTCOME_IN_REGISTER.get(out.outcome or "") if status == "decided" else None
        change_status(session, row, status, who=who, note=note, on=on, outcome=outcome)
    flag_modified(row, "status")  # a letter out changes the case: its version moves


def send_one(engine: Engine, outgoing_id: int, *, mailer: Mailer, copier: SentCopier | None = None,
             who: str) -> SendResult:
    """Send one queued letter: read it (one transaction), submit it, record what the server said (another).

    Never inside a caller's transaction: the SMTP exchange must sit between two commits.
    """
    with Session(engine, expire_on_commit=False) as session, session.begin():
        out, row = _lock(session, outgoing_id)
        previous = row.status
        if out.state != "queued" or out.channel != "email":
            return SendResult(outgoing=to_outgoing(out, row.reference), result="skipped", previous_status=previous,
                              status=row.status, reason=f"the letter is {out.state}")
        data, sender, recipient = _message(session, out), out.sender or "", out.recipient or ""
    reason: str | None = None
    try:
        reply = mailer.submit(data, sender=sender, recipients=[recipient])
        result = "sent"
    except PermanentSendError as exc:
        result, reason, reply = "failed", str(exc), exc.reply or str(exc)
    except TemporarySendError as exc:
        result, reason, reply = "deferred", str(exc), exc.reply or str(exc)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        out, row = _lock(session, outgoing_id)
        previous = row.status
        out.attempts = (out.attempts or 0) + 1
        out.last_reply = reply
        label = _LABEL[out.kind]
        if result == "sent":
            out.state, out.sent_at = "sent", now()
            out.copy_state = "pending" if copier is not None else None
            record_event(session, row, "letter_sent", who=who,
                         note=f"{label} sent by email · {out.message_id} · {reply}")
            deliver(session, row, out, who=who, on=datetime.now().astimezone().date())
        elif result == "failed":
            out.state = "failed"
            record_event(session, row, "send_failed", who=who,
                         note=f"{label} refused by the mail server ({reply}): send it on paper or to another address")
        else:
            record_event(session, row, "send_deferred", who=who,
                         note=f"{label} not sent yet ({reply}); register outbox --retry tries again")
        session.flush()
        done = SendResult(outgoing=to_outgoing(out, row.reference), result=result, reason=reason,
                          previous_status=previous, status=row.status)
    if result == "sent" and copier is not None:
        copy, why = copy_one(engine, outgoing_id, copier, who=who, data=data)
        done = done.model_copy(update={"sent_copy": copy, "copy_reason": why,
                                       "outgoing": done.outgoing.model_copy(update={
                                           "copy_state": "copied" if copy != "pending" else "pending"})})
    return done


def copy_one(engine: Engine, outgoing_id: int, copier: SentCopier, *, who: str,
             data: bytes | None = None) -> tuple[str, str | None]:
    """Append a sent letter to the Sent folder and note it: (``copied`` | ``already there`` | ``pending``, why)."""
    with read_session(engine) as look:  # the note after the IMAP append is a write of its own
        sent = look.get(OutgoingRow, outgoing_id)
        if sent is None or sent.state != "sent" or sent.copy_state != "pending" or sent.message_id is None:
            return "skipped", None
        data = data if data is not None else _message(look, sent)
        message_id, at = sent.message_id, utc(sent.sent_at or sent.queued_at)
    try:
        appended = copier.append(data, message_id=message_id, at=at)
        state, why = ("copied" if appended else "already there"), None
    except MailboxError as exc:
        state, why = "pending", str(exc)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        out, row = _lock(session, outgoing_id)
        if state == "pending":
            out.copy_reply = why
            record_event(session, row, "copy_pending", who=who,
                         note=f"no copy in the Sent folder yet ({why}); register outbox --retry tries again")
        else:
            out.copy_state, out.copy_reply = "copied", None
    return state, why


def retry_all(engine: Engine, *, mailer: Mailer | None, copier: SentCopier | None, who: str,
              before: datetime | None = None, stop: Callable[[], bool] | None = None) -> list[SendResult]:
    """Send every queued letter (oldest first) with its own bytes and Message-ID, then make the pending copies.

    Without a ``mailer`` the queued letters stay as they are (only copies are made). ``before``:
    only letters queued before then (the watch: not those it tried a moment ago in the same run);
    ``stop()`` is asked before each letter (a send in progress always finishes and is recorded).
    """
    asked = stop or (lambda: False)
    with read_session(engine) as session:
        query = select(OutgoingRow.id).where(OutgoingRow.state == "queued", OutgoingRow.channel == "email")
        if before is not None:
            query = query.where(OutgoingRow.queued_at < before)
        queued = session.scalars(query.order_by(OutgoingRow.queued_at, OutgoingRow.id)).all()
        pending = session.scalars(select(OutgoingRow.id).where(OutgoingRow.state == "sent",
                                                               OutgoingRow.copy_state == "pending")
                                  .order_by(OutgoingRow.id)).all()
    results: list[SendResult] = []
    for outgoing_id in queued:
        if mailer is None or asked():
            break
        results.append(send_one(engine, outgoing_id, mailer=mailer, copier=copier, who=who))
    if copier is not None:
        for outgoing_id in pending:
            if asked():
                return results
            copy, why = copy_one(engine, outgoing_id, copier, who=who)
            with read_session(engine) as session:
                out = session.get(OutgoingRow, outgoing_id)
                row = session.get(ComplaintRow, out.complaint_id) if out is not None else None
                if out is None or row is None:
                    continue
                results.append(SendResult(outgoing=to_outgoing(out, row.reference), result="copy", reason=why,
                                          previous_status=row.status, status=row.status, sent_copy=copy,
                                          copy_reason=why))
    return results


def mark_posted(session: Session, row: ComplaintRow, *, who: str, on: date, kind: str | None = None,
                today: date | None = None) -> OutgoingMessage:
    """The paper letter of the locked ``row`` went in the post ``on``: it is given that day (the case moves)."""
    query = select(OutgoingRow).where(OutgoingRow.complaint_id == row.id, OutgoingRow.state == "to_post")
    if kind is not None:
        query = query.where(OutgoingRow.kind == kind)
    waiting = session.scalars(query.order_by(OutgoingRow.id).with_for_update()).all()
    if not waiting:
        raise RegisterError(f"{row.reference} has no letter waiting to be posted"
                            + (f" ({kind})" if kind else "") + "; write it with letter … --post")
    if len({o.kind for o in waiting}) > 1:
        raise RegisterError(f"{row.reference} has letters of more than one kind to post: say which (--kind)")
    if on < row.received or on > (today or date.today()):
        raise RegisterError(f"{row.reference}: posted on {on.isoformat()} is before the complaint was received or "
                            f"in the future")
    out = waiting[0]
    out.state, out.sent_at = "posted", now()
    record_event(session, row, "letter_posted", who=who, note=f"{_LABEL[out.kind]} posted ({on.isoformat()})")
    deliver(session, row, out, who=who, on=on)
    session.flush()
    return to_outgoing(out, row.reference)


def not_delivered(session: Session, today: date) -> list[DueItem]:
    """Open cases whose newest letter of a kind did not arrive (refused by the server, or bounced later) and
    no later letter of that kind is on its way or out; due by its own deadline (today, if that is later)."""
    from ._threading import undelivered  # one query for both ways a letter fails

    items: list[DueItem] = []
    for found in undelivered(session):
        row, kind = found.row, "ack" if found.kind == "ack" else "decision"
        code = (found.reply or "").split(" ", 1)[0]
        noun = "acknowledgement" if kind == "ack" else "decision"
        deadline = (row.acknowledge_by if kind == "ack" else row.decide_by) or today
        items.append(DueItem(
            reference=row.reference, status=row.status, received=row.received, deadline=deadline,
            action="not delivered", assignee=row.assignee,
            note=f"{noun} not delivered ({code or 'no reply'}) — send on paper or to another address: "
                 f"letter {kind} {row.reference} --post --copy, or register correct {row.reference} "
                 f"complainant.email …, then letter {kind} {row.reference} --send --copy"))
    return sorted(items, key=lambda i: (i.deadline, i.reference))
