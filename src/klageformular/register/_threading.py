"""Threading at import: a message that answers a case joins it; nothing a sender claims joins another's.

Intake (:mod:`klageformular.intake._replies`) keeps what a message says about its conversation
on the batch record; here, where the outbox is known, the register decides:

- **A reply joins a case** when its ``In-Reply-To``/``References`` name one of *our* Message-IDs
  (``outgoing``: random, unguessable), or when its subject carries the case's reference *and*
  its ``From`` is the case's complainant or representative (the address alone, the domain
  without case). The customer's own Message-ID never threads: anyone can copy it. A merged
  case's reference leads to the case it joined. The reply is an event (``correspondence``,
  its text the note), its files documents of the case, a ``correspondence`` row; no new
  reference, no new deadline. A case waiting for the customer (art. 4) restarts its clock; a
  decided or closed case gets a review item, never a silent reopening.
- **A reference from anyone else** opens a case of its own, flagged ``mentions_reference``.
- **A delivery report or auto-reply** (``set_aside.jsonl``) that names one of our Message-IDs
  (its ``In-Reply-To``/``References``, or the original's headers it quotes) is linked to that
  letter: a ``delivery_failed`` (or ``auto_reply``) event, a failed letter's outbox row marked
  ``failed`` with the DSN status; ``register due`` then lists the case (see :func:`undelivered`).
  One that names none of ours stays set aside: counted, never a case.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, cast

from sqlalchemy import Engine, and_, select
from sqlalchemy.orm import Session, aliased

from ..intake._replies import automatic_kind, looks_automatic, normal_address, same_address, subject_references
from ..records import Record
from ._schema import (
    AttachmentRow,
    ComplaintRow,
    CorrespondenceRow,
    OutgoingRow,
    SourceFileRow,
    column_size,
    column_text,
)
from ._workflow import record_event

__all__ = ["Thread", "Undelivered", "case_addresses", "find_thread", "has_correspondence", "link_automatic",
           "mentions", "same_message", "thread_reply", "undelivered"]

Matched = Literal["message_id", "subject"]
_DONE = ("decided", "closed", "inadmissible")  # a reply here needs a person: the case is not reopened
_LETTER = {"ack": "acknowledgement", "decision": "decision"}


@dataclass(frozen=True)
class Thread:
    """The case a message joins, how it was matched, and the letter of ours it answers (if known)."""

    row: ComplaintRow
    matched_by: Matched
    outgoing: OutgoingRow | None = None
    other_sender: bool = False  # matched by our Message-ID, but From is not the case's address


def _text(value: Any, size: int | None = None) -> str | None:
    return column_text(value, size) if value is not None else None


def _live(session: Session, row: ComplaintRow) -> ComplaintRow:
    from ._intake import _live as live  # the one rule for merged cases

    return live(session, row)


def _ours(session: Session, ids: Iterable[str]) -> OutgoingRow | None:
    """The newest letter of ours among ``ids`` (a chain may name the acknowledgement and the decision)."""
    wanted = [i for i in dict.fromkeys(ids) if i and len(i) <= 998]
    if not wanted:
        return None
    query = (select(OutgoingRow).where(OutgoingRow.message_id.in_(wanted), OutgoingRow.channel == "email")
             .order_by(OutgoingRow.id.desc()).limit(1))
    return session.scalars(query).first()


def _case_of(session: Session, outgoing: OutgoingRow) -> ComplaintRow:
    row = session.get(ComplaintRow, outgoing.complaint_id)
    assert row is not None  # a foreign key
    return row


def case_addresses(row: ComplaintRow) -> list[str]:
    """The complainant's and the representative's addresses on the case (as corrected, if corrected)."""
    complaint = row.complaint or {}
    found = []
    for party in ("complainant", "representative", "complainant_contact"):
        value = (complaint.get(party) or {}).get("email") if isinstance(complaint.get(party), dict) else None
        if isinstance(value, str) and value.strip():
            found.append(value.strip())
    return found


def _from_case(sender: str | None, *rows: ComplaintRow) -> bool:
    return any(same_address(sender, address) for row in rows for address in case_addresses(row))


def find_thread(session: Session, record: Record) -> Thread | None:
    """The case a mail record joins (see the module docstring), or None: a case of its own."""
    ours = _ours(session, [*(record.in_reply_to or []), *(record.references or [])])
    if ours is not None:
        row = _live(session, _case_of(session, ours))
        other = not _from_case(record.sender, row) and not same_address(record.sender, ours.recipient)
        return Thread(row, "message_id", ours, other_sender=other)
    for reference in subject_references(record.subject):
        named = session.scalars(select(ComplaintRow).where(ComplaintRow.reference == reference)).first()
        if named is None:
            continue
        row = _live(session, named)
        if _from_case(record.sender, named, row):
            return Thread(row, "subject")
    return None


def mentions(session: Session, record: Record) -> list[dict[str, Any]]:
    """Review items for a new case whose subject names references it did not join ("mentions KLA-…")."""
    items = []
    for reference in subject_references(record.subject):
        known = session.scalar(select(ComplaintRow.id).where(ComplaintRow.reference == reference)) is not None
        why = ("not from that case's complainant or representative: a case of its own" if known
               else "no such case in the register")
        message = f"mentions {reference} ({why})"
        items.append({"path": "subject", "label": "Subject matter", "value": reference, "code": "mentions_reference",
                      "message": message, "message_local": message})
    return items


def _by_message(session: Session, record: Record) -> CorrespondenceRow | None:
    sha = _text(record.message_sha256, 64)
    if not sha:
        return None
    return session.scalars(select(CorrespondenceRow).where(CorrespondenceRow.message_sha256 == sha)).first()


def _documents(record: Record, *, attachments: bool = True) -> list[dict[str, Any]]:
    own = record.sha256 != record.message_sha256  # a form read from the message: the record's own file
    listed = [{"kind": "attachment", "name": _text(record.source.rsplit("/", 1)[-1], 255),
               "sha256": _text(record.sha256, 64)}] if own else []
    listed += [{"kind": "attachment", "name": _text(a.name, 255), "sha256": _text(a.sha256, 64)}
               for a in (record.attachments or []) if attachments]
    return [{"kind": "message", "name": "message.eml", "sha256": _text(record.message_sha256, 64)}, *listed]


def _source_file(row: ComplaintRow, record: Record, day: date | None) -> SourceFileRow:
    from ._workflow import now

    return SourceFileRow(complaint=row, source=_text(record.source) or "", sha256=_text(record.sha256, 64),
                         kind="correspondence", received=day, quarantine=None, imported_at=now())


def _review(row: ComplaintRow, code: str, message: str, value: Any = None) -> None:
    row.review = [*row.review, {"path": "correspondence", "label": "Correspondence", "value": value, "code": code,
                                "message": message, "message_local": message}]


def thread_reply(session: Session, thread: Thread, record: Record, *, who: str, day: date,
                 received_at: datetime | None) -> str:
    """Put a reply on its case: event, files, a ``correspondence`` row; the clock and review as the rules say.

    Returns the case's reference. A later record of the same message (its second form) only adds
    its file; call :func:`same_message` for that.
    """
    from ._service import Register, lock_case

    row = lock_case(session, thread.row.reference)
    automatic = looks_automatic(record.subject)
    kind = "auto_reply" if automatic else "reply"
    how = (f"answers our {_LETTER.get(thread.outgoing.kind, thread.outgoing.kind)} ({thread.outgoing.message_id})"
           if thread.outgoing is not None else "names the case in its subject, from the case's own address")
    text = _reply_text(record)
    event = record_event(session, row, "auto_reply" if automatic else "correspondence", who=who,
                         note=f"{'auto-reply' if automatic else 'reply'} from {normal_address(record.sender) or '?'}, "
                              f"{how}: {text}")
    session.add(CorrespondenceRow(
        complaint_id=row.id, event=event, kind=kind, matched_by=thread.matched_by,
        outgoing_id=thread.outgoing.id if thread.outgoing is not None else None,
        message_sha256=_text(record.message_sha256, 64) or "", message_id=_text(record.message_id, 998),
        sender=_text(normal_address(record.sender), 320), subject=_text(record.subject),
        received_at=received_at, delivery_status=None, documents=_documents(record)))
    session.add(_source_file(row, record, day))
    for attachment in record.attachments or ():
        session.add(AttachmentRow(complaint=row, name=_text(attachment.name), size=column_size(attachment.size),
                                  content_type=_text(attachment.content_type, 255), path=_text(attachment.path),
                                  sha256=_text(attachment.sha256, 64), unreadable=_text(attachment.unreadable)))
    if automatic:
        return row.reference
    if thread.other_sender:
        _review(row, "reply_from_other_address", "a reply to our letter from another address than the case's: "
                "check who wrote it", normal_address(record.sender))
    if row.status in _DONE:
        _review(row, "reply_after_decision", f"a reply arrived on a {row.status} case: look at it (the case is not "
                "reopened)", day.isoformat())
    if row.waiting_since is not None:
        session.flush()
        # The service's rule for a customer's answer (the register's engine is the session's).
        Register(cast(Engine, session.get_bind())).reply_received(session, row.reference, on=day, who=who)
    return row.reference


def same_message(session: Session, record: Record, *, day: date | None) -> str | None:
    """Another record of a message already on a case (its second form, or a re-import): its file joins the
    case; None when the message is on no case. Returns the case's reference."""
    known = _by_message(session, record)
    if known is None:
        return None
    row = session.get(ComplaintRow, known.complaint_id)
    assert row is not None
    present = session.scalar(select(SourceFileRow.id).where(
        SourceFileRow.complaint_id == row.id, SourceFileRow.source == (_text(record.source) or ""),
        SourceFileRow.sha256 == _text(record.sha256, 64)))
    if present is None:
        session.add(_source_file(row, record, day))
        known.documents = [*known.documents, *(d for d in _documents(record, attachments=False)[1:]
                                               if d not in known.documents)]
    return row.reference


def _reply_text(record: Record) -> str:
    """The reply's text for the event: the plain email's subject and body, or the subject and the form's."""
    complaint = record.complaint or {}
    subject = str(complaint.get("subject") or "") if isinstance(complaint, dict) else ""
    if record.method == "email":
        return subject or (record.subject or "")
    return "\n\n".join(p for p in (record.subject or "", f"(a filled form: {record.source.rsplit('/', 1)[-1]})",
                                   subject) if p)


# -- delivery reports and auto-replies --------------------------------------------------------------


def link_automatic(session: Session, record: Record, *, who: str, received_at: datetime | None,
                   day: date | None) -> tuple[Literal["linked", "already", "set_aside"], str]:
    """Link a set-aside message to the letter of ours it answers: (what happened, the case's reference or "")."""
    from ._service import lock_case

    if (known := _by_message(session, record)) is not None:
        row = session.get(ComplaintRow, known.complaint_id)
        return "already", row.reference if row is not None else ""
    ours = _ours(session, [*(record.in_reply_to or []), *(record.references or []), *(record.quoted_ids or [])])
    if ours is None:
        return "set_aside", ""
    row = lock_case(session, _live(session, _case_of(session, ours)).reference)
    kind = _report_kind(record)
    letter = _LETTER.get(ours.kind, ours.kind)
    status = _text(record.delivery_status, 500)
    if kind == "delivery_failed":
        note = (f"the {letter} sent to {ours.recipient or '?'} was not delivered ({status or 'no status given'}): "
                f"send it on paper or to another address")
        if ours.state in ("sent", "queued"):
            ours.state, ours.last_reply = "failed", status or "bounced: a delivery report without a status"
    elif kind == "delivery_report":
        note = f"a delivery report on the {letter} sent to {ours.recipient or '?'}: {status or '-'}"
    else:
        note = f"an auto-reply to the {letter} from {normal_address(record.sender) or '?'}: {record.subject or ''}"
    event = record_event(session, row, kind if kind != "delivery_report" else "delivery_report", who=who, note=note)
    session.add(CorrespondenceRow(
        complaint_id=row.id, event=event, kind=kind, matched_by="message_id", outgoing_id=ours.id,
        message_sha256=_text(record.message_sha256, 64) or "", message_id=_text(record.message_id, 998),
        sender=_text(normal_address(record.sender), 320), subject=_text(record.subject), received_at=received_at,
        delivery_status=status, documents=_documents(record, attachments=False)))
    session.add(_source_file(row, record, day))
    return "linked", row.reference


def _report_kind(record: Record) -> Literal["delivery_failed", "delivery_report", "auto_reply"]:
    """A delivery report that failed (5.x.x, ``failed``, or no status at all: a bounce), or only delayed or
    delivered (4.x.x, 2.x.x); an auto-reply otherwise."""
    if automatic_kind(record.automatic) != "delivery_failed":
        return "auto_reply"
    status = (record.delivery_status or "").lower()
    if status.startswith(("4.", "2.")) or any(w in status.split(":")[0] for w in ("delayed", "delivered", "relayed",
                                                                                    "expanded")):
        return "delivery_report"
    return "delivery_failed"


def has_correspondence(session: Session) -> bool:
    """Whether the session's database has revision 0013's table; a register not upgraded yet has none."""
    from ._db import has_table

    return has_table(session, CorrespondenceRow.__tablename__)


# -- the due list: letters that did not arrive ------------------------------------------------------------


@dataclass(frozen=True)
class Undelivered:
    """A case whose newest letter of a kind failed (bounced, or refused by the server)."""

    row: ComplaintRow
    kind: str  # ack | decision
    reply: str | None


def undelivered(session: Session) -> Iterator[Undelivered]:
    """Cases whose newest acknowledgement or decision failed and has no later letter of that kind."""
    later = aliased(OutgoingRow)
    newer = select(later.id).where(and_(later.complaint_id == OutgoingRow.complaint_id, later.kind == OutgoingRow.kind,
                                        later.id > OutgoingRow.id)).exists()
    query = (select(OutgoingRow, ComplaintRow).join(ComplaintRow, ComplaintRow.id == OutgoingRow.complaint_id)
             .where(OutgoingRow.state == "failed", ~newer, ComplaintRow.merged_into.is_(None))
             .order_by(OutgoingRow.id))
    for outgoing, row in session.execute(query):
        yield Undelivered(row, outgoing.kind, outgoing.last_reply)
