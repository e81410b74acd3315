"""The register's tables as SQLAlchemy 2 models; ``migrations/`` creates them (never ``create_all``).

A model and the migration that made its columns must agree: ``tests/test_register.py``
compares a migrated database with these models, so a column added here without a
revision fails the tests.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from ._names import MEASURES, STATUSES

_SURROGATE = re.compile("[\ud800-\udfff]")


def column_text(value: str | None, size: int | None = None) -> str | None:
    """A value as a column can hold it on both databases: NUL and unpaired surrogates replaced
    (PostgreSQL refuses both), cut to ``size`` characters (``…`` marks the cut).

    >>> column_text("a\\x00b") == "a\\ufffdb", column_text("x" * 30, 20)
    (True, 'xxxxxxxxxxxxxxxxxxx…')
    """
    if value is None:
        return None
    text = _SURROGATE.sub("\ufffd", str(value).replace("\x00", "\ufffd"))
    return text if size is None or len(text) <= size else text[:size - 1] + "…"



def column_size(value: int | None) -> int | None:
    """A size as an INTEGER column holds it on both databases (None when out of range: a hostile listing)."""
    return value if value is not None and 0 <= value < 2**31 else None


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class ComplaintRow(Base):
    """One complaint (or one unreadable file a person still has to look at)."""

    __tablename__ = "complaints"
    __table_args__ = (
        UniqueConstraint("prefix", "year", "number", name="uq_complaints_number"),
        CheckConstraint("status IN ('" + "', '".join(STATUSES) + "')", name="ck_complaints_status"),
        Index("ix_complaints_status_deadlines", "status", "acknowledge_by", "decide_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    number: Mapped[int]
    organisation: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    received: Mapped[date] = mapped_column(Date, index=True)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledge_by: Mapped[date | None] = mapped_column(Date)
    decide_by: Mapped[date | None] = mapped_column(Date)
    acknowledged_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(5))
    method: Mapped[str | None] = mapped_column(String(20))
    form_version: Mapped[str | None] = mapped_column(String(20))
    parse_status: Mapped[str | None] = mapped_column(String(20))
    complaint: Mapped[dict[str, Any] | None]
    review: Mapped[list[Any]]
    warnings: Mapped[list[Any]]
    raw: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(String(80))
    message: Mapped[str | None] = mapped_column(Text)
    content_key: Mapped[str | None] = mapped_column(String(128), index=True)
    # Revision 0004: the sender's claim, not unique; a message is known by its hash (NULL: read
    # before 0004 from a form, found by its Message-ID).
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    message_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    mail: Mapped[dict[str, Any] | None]  # from, subject, date of a mail source
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Revision 0002: normalised keys for "related complaints" (same investment, project, complainant).
    investment_key: Mapped[str | None] = mapped_column(String(120), index=True)
    project_key: Mapped[str | None] = mapped_column(String(240), index=True)
    complainant_key: Mapped[str | None] = mapped_column(String(240), index=True)
    # Revision 0005: the case's version (optimistic concurrency: an UPDATE names the version it
    # read, so two officers cannot both move a case), who handles it, where a merged case went,
    # and whether a person found it is not a complaint at all (counted apart in the report).
    version: Mapped[int] = mapped_column(server_default="1")
    assignee: Mapped[str | None] = mapped_column(String(120))
    merged_into: Mapped[str | None] = mapped_column(String(40), index=True)  # the target's reference
    not_a_complaint: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Revision 0008: the profile the case is handled under (its key is ``organisation``) as the
    # sha256 of the profile file's bytes, or of a built-in profile's canonical JSON (None: imported
    # before it was recorded); a new decision date set with reasons (art. 5); a decision clock
    # paused while the customer is asked for information (art. 4) and the working days paused
    # since the date it counts from (``extended_to``, else the profile's) — already in ``decide_by``.
    profile_sha256: Mapped[str | None] = mapped_column(String(64))
    extended_to: Mapped[date | None] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    waiting_since: Mapped[date | None] = mapped_column(Date)
    waiting_for: Mapped[str | None] = mapped_column(Text)
    paused_days: Mapped[int] = mapped_column(server_default="0")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it as the mapper's options)

    files: Mapped[list[SourceFileRow]] = relationship(back_populates="complaint", order_by="SourceFileRow.id")
    events: Mapped[list[EventRow]] = relationship(back_populates="complaint", order_by="EventRow.id")
    attachments: Mapped[list[AttachmentRow]] = relationship(back_populates="complaint",
                                                            order_by="AttachmentRow.id")
    corrections: Mapped[list[CorrectionRow]] = relationship(back_populates="complaint",
                                                            order_by="CorrectionRow.id")


class SourceFileRow(Base):
    """A file that carried the complaint: the original, or a duplicate (same bytes or same content)."""

    __tablename__ = "source_files"
    __table_args__ = (UniqueConstraint("sha256", "source", name="uq_source_files_sha256_source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # original | same_file | same_content | same_message
    received: Mapped[date | None] = mapped_column(Date)
    quarantine: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    complaint: Mapped[ComplaintRow] = relationship(back_populates="files")


class EventRow(Base):
    """One entry of the append-only history: who did what when (a database trigger refuses changes)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    who: Mapped[str] = mapped_column(String(120))
    what: Mapped[str] = mapped_column(String(20))  # received | status | note | duplicate
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)

    complaint: Mapped[ComplaintRow] = relationship(back_populates="events")


class AttachmentRow(Base):
    """A file attached to a mail complaint (metadata only; the bytes stay where intake put them)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    name: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str | None] = mapped_column(Text)
    unreadable: Mapped[str | None] = mapped_column(Text)  # revision 0004: why an attached PDF is not a readable form

    complaint: Mapped[ComplaintRow] = relationship(back_populates="attachments")


class CounterRow(Base):
    """The last reference number handed out per prefix and year; locked while a new one is taken."""

    __tablename__ = "reference_counters"

    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int]


class CorrectionRow(Base):
    """A value an officer corrected: the value as typed (and as stored before), the new one, who and why.

    The complaint's JSON holds the corrected value (letters, exports and the report read it);
    this row keeps what the customer typed, so nothing they sent is lost (revision 0005).
    """

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    path: Mapped[str] = mapped_column(String(120))
    typed: Mapped[str | None] = mapped_column(Text)  # as the customer typed it (the review item's value)
    before: Mapped[str | None] = mapped_column(Text)  # JSON of the stored value before
    after: Mapped[str | None] = mapped_column(Text)  # JSON of the corrected value
    code: Mapped[str | None] = mapped_column(String(60))  # the review item it resolved
    who: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)

    complaint: Mapped[ComplaintRow] = relationship(back_populates="corrections")


# -- documents (revision 0006) ---------------------------------------------------------------------

#: What a case's document is: a file received as such (folder, upload), a message (its .eml or
#: .msg bytes), a file attached to a message, or a letter the register wrote.
DOCUMENT_KINDS = ("source", "message", "attachment", "letter")


class BlobRow(Base):
    """The bytes of one file, once, by their sha256: every case and copy that holds them points here."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)  # BYTEA on PostgreSQL, BLOB on SQLite


class DocumentRow(Base):
    """One document of a case: which bytes (``sha256``), what it is, and whether the register has them.

    ``sha256`` is the hash intake recorded; no foreign key to ``blobs``, because a *missing*
    document (bytes over the size limit, or not found in an old batch folder) keeps the hash
    so that a later import can fill it in and prove it is the same file. The rule "not
    missing ⇒ its blob exists" is kept by ``register/_documents.py``, the one writer of both.
    """

    __tablename__ = "documents"
    __table_args__ = (CheckConstraint("kind IN ('" + "', '".join(DOCUMENT_KINDS) + "')", name="ck_documents_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(Text)  # as sent, cleaned (one line, no folders)
    content_type: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    unreadable: Mapped[bool] = mapped_column(Boolean)
    missing: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(120))  # why it is missing (never a value)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    complaint: Mapped[ComplaintRow] = relationship()
# -- revision 0007: measures taken and categories -------------------------------------------------


class MeasureRow(Base):
    """A measure taken on a case, one per ``measure`` event (append-only like the events themselves).

    The case is the event's: a merge that moves a case's events moves its measures with them.
    A compensation's amount is an integer count of the currency's minor unit (øre, cent) with
    the number of decimals beside it, so sums are exact on SQLite too (its NUMERIC is a float).
    """

    __tablename__ = "measures"
    __table_args__ = (
        CheckConstraint("kind IN ('" + "', '".join(MEASURES) + "')", name="ck_measures_kind"),
        CheckConstraint("(kind = 'compensation' AND amount_minor > 0 AND minor_digits >= 0 AND currency IS NOT NULL)"
                        " OR (kind <> 'compensation' AND amount_minor IS NULL AND minor_digits IS NULL"
                        " AND currency IS NULL)", name="ck_measures_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    minor_digits: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))


class CategoryRow(Base):
    """A case's current category (product, cause); each change is a ``categorized`` event."""

    __tablename__ = "case_categories"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True, autoincrement=False)
    product: Mapped[str | None] = mapped_column(String(40), index=True)
    cause: Mapped[str | None] = mapped_column(String(40), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))


# The report's columns, in one index: the database answers its GROUP BY queries from the index
# alone, without reading the wide complaint rows (55,000 entries on SQLite: 3.3 s without it, 0.5 s with).
REPORT_COLUMNS = ("received", "status", "acknowledged_on", "decided_on", "acknowledge_by", "decide_by",
                  "organisation", "channel", "language", "outcome", "not_a_complaint", "merged_into")
Index("ix_complaints_report", *(getattr(ComplaintRow, name) for name in REPORT_COLUMNS))


# -- revision 0009: the outbox ---------------------------------------------------------------------

#: Where an outgoing letter is: recorded with its bytes before the SMTP server sees it (``queued``),
#: accepted by the server (``sent``), refused for good (``failed``: a 5xx reply; the case is flagged),
#: or a paper letter printed for the post (``to_post``) that the officer marked ``posted``.
OUTGOING_STATES = ("queued", "sent", "failed", "to_post", "posted")
OUTGOING_CHANNELS = ("email", "post")
#: The copy of a sent message in the mailbox's Sent folder: still to be made (``pending``: the
#: append failed or was cut short; ``register outbox --retry`` makes it) or made (``copied``).
OUTGOING_COPY_STATES = ("pending", "copied")


class OutgoingRow(Base):
    """One letter we send on a case: the message (its bytes in ``blobs``), where it is, and its Message-ID.

    ``message_id`` is ours, made with a random token when the message is queued and kept on
    every retry (a resend is the same message). Intake threads a reply to a case only through a
    Message-ID in this table (``In-Reply-To``/``References``): a token nobody could guess, unlike
    a Message-ID a customer's program made, which any sender can copy.
    """

    __tablename__ = "outgoing"
    __table_args__ = (
        CheckConstraint("state IN ('" + "', '".join(OUTGOING_STATES) + "')", name="ck_outgoing_state"),
        CheckConstraint("channel IN ('" + "', '".join(OUTGOING_CHANNELS) + "')", name="ck_outgoing_channel"),
        CheckConstraint("(channel = 'email' AND message_id IS NOT NULL AND sha256 IS NOT NULL)"
                        " OR (channel = 'post' AND message_id IS NULL)", name="ck_outgoing_message"),
        CheckConstraint("copy_state IS NULL OR copy_state IN ('" + "', '".join(OUTGOING_COPY_STATES) + "')",
                        name="ck_outgoing_copy_state"),
        Index("ix_outgoing_state", "state", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # the letter: ack | decision
    channel: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str | None] = mapped_column(String(998), unique=True)  # with its <>
    in_reply_to: Mapped[str | None] = mapped_column(String(998))  # the customer's message we answer
    recipient: Mapped[str | None] = mapped_column(String(320))  # the address it goes to (email)
    sha256: Mapped[str | None] = mapped_column(String(64))  # the message's bytes (.eml) in blobs
    letter_sha256: Mapped[str | None] = mapped_column(String(64))  # the PDF letter in it, in blobs
    dated: Mapped[date] = mapped_column(Date)  # the letter's date
    who: Mapped[str] = mapped_column(String(120))
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # accepted / marked posted
    attempts: Mapped[int] = mapped_column(server_default="0")
    last_reply: Mapped[str | None] = mapped_column(Text)  # the server's last reply or the reason it failed
    sender: Mapped[str | None] = mapped_column(String(320))  # the envelope sender (the complaints address)
    # What the letter does to the case once it is sent or posted (the status moves then).
    outcome: Mapped[str | None] = mapped_column(String(20))  # a decision's
    admissibility: Mapped[str | None] = mapped_column(String(30))  # an acknowledgement's
    reason: Mapped[str | None] = mapped_column(Text)  # why inadmissible (the status change's note)
    copy_state: Mapped[str | None] = mapped_column(String(20))  # the Sent folder's copy: pending | copied
    copy_reply: Mapped[str | None] = mapped_column(Text)  # why the copy is still pending


# -- revision 0011: the watch's runs ----------------------------------------------------------------


class WatchRunRow(Base):
    """One run of ``klageformular watch``: when, how many messages it read and imported, how many letters it sent.

    Counts only: never a name, an address or a subject. ``source_key`` tells the runs of two
    watches apart by a hash of their source (not the source itself: a path may name a person);
    ``error`` is the kind of failure (an exception's class name) of a failed run.
    """

    __tablename__ = "watch_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source_key: Mapped[str] = mapped_column(String(64))
    read: Mapped[int]
    imported: Mapped[int]
    duplicates: Mapped[int]
    unreadable: Mapped[int]
    set_aside: Mapped[int]
    sent: Mapped[int] = mapped_column(server_default="0")  # watch --auto-ack: letters sent, not sent,
    send_failed: Mapped[int] = mapped_column(server_default="0")  # and new cases left for a person
    waiting_for_review: Mapped[int] = mapped_column(server_default="0")
    failed: Mapped[bool] = mapped_column(Boolean)
    stopped_early: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(String(80))


# -- revision 0013: correspondence ------------------------------------------------------------------

#: What an incoming message on an existing case is: the customer's reply, a delivery report on one of
#: our letters (``delivery_failed``; ``delivery_report`` when it says delayed or delivered), or an
#: auto-reply to one. How it was matched: one of our Message-IDs (``outgoing``) in
#: its In-Reply-To/References (or quoted by a report), or the case's reference in its subject from
#: the case's own complainant or representative.
CORRESPONDENCE_KINDS = ("reply", "delivery_failed", "delivery_report", "auto_reply")
CORRESPONDENCE_MATCHES = ("message_id", "subject")


class CorrespondenceRow(Base):
    """One incoming message threaded to a case (its text is the event's note, its files documents).

    One row per message (its sha256 is unique): a message is on one case, whatever it carried.
    """

    __tablename__ = "correspondence"
    __table_args__ = (
        CheckConstraint("kind IN ('" + "', '".join(CORRESPONDENCE_KINDS) + "')", name="ck_correspondence_kind"),
        CheckConstraint("matched_by IN ('" + "', '".join(CORRESPONDENCE_MATCHES) + "')",
                        name="ck_correspondence_matched"),
        UniqueConstraint("message_sha256", name="uq_correspondence_message"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    matched_by: Mapped[str] = mapped_column(String(20))
    outgoing_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing.id"), index=True)
    message_sha256: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(998))  # the sender's claim
    sender: Mapped[str | None] = mapped_column(String(320))  # the address only
    subject: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivery_status: Mapped[str | None] = mapped_column(String(500))  # a DSN's Status, Action, Diagnostic-Code
    documents: Mapped[list[Any]]  # the files it brought: [{"name", "sha256", "kind"}], documents of the case

    event: Mapped[EventRow] = relationship()


# -- revision 0014: the workbench's accounts, sessions, login attempts and audit ---------------------

#: Who may do what in the workbench: a viewer reads, an officer works cases, an admin also manages users.
ROLES = ("viewer", "officer", "admin")


class UserRow(Base):
    """A workbench account: the Argon2id hash of its password (never the password), its TOTP secret.

    ``failures`` counts the failed logins since the last good one; at the limit ``locked_at`` is
    set and only an admin lifts it (``users unlock``). ``totp_step`` is the last TOTP time step
    used, so a code seen once (over a shoulder, in a proxy's log) cannot log in again.
    """

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('" + "', '".join(ROLES) + "')", name="ck_users_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_step: Mapped[int | None] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(5))
    disabled: Mapped[bool] = mapped_column(Boolean)
    failures: Mapped[int]
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebSessionRow(Base):
    """A browser's session, kept server-side: the cookie holds a random token, this row its sha256.

    ``user_id`` is None before login (the login form's CSRF token lives here); a login makes a
    new row, so an id seen before login is worth nothing after it. Expiry: ``seen_at`` + the idle
    timeout, ``created_at`` + the absolute one.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OidcLinkRow(Base):
    """An account's link to an identity provider's subject (``iss`` + ``sub``), made by an admin (``users link``).

    The pair is what OpenID Connect promises stable and unique (Core 1.0 §5.7); an email or a name
    claim is not, so a login by the office's identity provider is matched on this row alone.
    """

    __tablename__ = "oidc_links"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_oidc_links_issuer_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OidcPendingRow(Base):
    """A login sent to the identity provider and not yet back: its ``state``, ``nonce`` and PKCE verifier.

    Tied to the browser's anonymous session (``session_key``, the session row's id), so a callback
    arriving in another browser (login CSRF) finds nothing; used once (deleted at the callback).
    """

    __tablename__ = "oidc_pending"

    state_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the state
    session_key: Mapped[str] = mapped_column(String(64), index=True)
    nonce: Mapped[str] = mapped_column(String(128))
    verifier: Mapped[str] = mapped_column(String(128))
    next: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LoginAttemptRow(Base):
    """One login attempt: when, which account (None: a name no account has), from where, and whether it worked.

    ``address_key`` is the sha256 of the client's address, enough to count attempts per address
    without keeping a list of where officers work from; a typed user name that matches no account
    is not stored (people type their password into the name field).
    """

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_address", "address_key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    address_key: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)


#: What the audit trail records: a case opened in the workbench, a document downloaded, an export;
#: (revision 0017) a search, and an admin's change to an account (``detail``: ``user:<id>``).
AUDIT_ACTIONS = ("viewed", "downloaded", "exported", "searched", "user_added", "user_disabled", "user_enabled",
                 "user_unlocked", "user_2fa_reset")


class AuditRow(Base):
    """Who read what (append-only, like the events): a case viewed, a document downloaded, an export.

    Apart from the case's events on purpose: reading changes nothing, so it must not enter the
    case's history (the timeline, "changed by … at …" on a stale version, the exports).
    """

    __tablename__ = "audit"
    __table_args__ = (CheckConstraint("action IN ('" + "', '".join(AUDIT_ACTIONS) + "')", name="ck_audit_action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(40), index=True)
    detail: Mapped[str | None] = mapped_column(String(120))  # a document's number, an export's format: never a value


# -- revision 0015: retention (legal hold, erasure) and tombstones ----------------------------------

#: Why a case's personal data was erased: the profile's retention period passed, or the person asked (art. 17).
ERASED_UNDER = ("retention", "request")


class RetentionRow(Base):
    """A case's legal hold (never purged while ``held_since`` is set) and its erasure, if it was erased.

    A table of its own, not columns of ``complaints``: a register at an older revision still reads
    its cases with these models (the service checks for the table, as for the correspondence).
    """

    __tablename__ = "case_retention"
    __table_args__ = (CheckConstraint("erased_under IS NULL OR erased_under IN ('" + "', '".join(ERASED_UNDER)
                                      + "')", name="ck_case_retention_erased_under"),)

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True, autoincrement=False)
    held_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    held_by: Mapped[str | None] = mapped_column(String(120))
    hold_reason: Mapped[str | None] = mapped_column(Text)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    erased_under: Mapped[str | None] = mapped_column(String(20))


#: What a tombstone stands for: a file's bytes (a PDF, an attachment, a scan) or a whole message's.
TOMBSTONE_KINDS = ("file", "message")


class TombstoneRow(Base):
    """The sha256 of a file or message whose case was erased: reading those bytes again brings nothing back.

    A hash and the case's reference only (no name, no address, no Message-ID): the bytes cannot be
    recovered from it, and whoever holds the bytes again is told the case was erased.
    """

    __tablename__ = "tombstones"
    __table_args__ = (CheckConstraint("kind IN ('" + "', '".join(TOMBSTONE_KINDS) + "')", name="ck_tombstones_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    reference: Mapped[str] = mapped_column(String(40))
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))



class CaseSearchRow(Base):
    """What a search matches for one case (revision 0017): its reference, names, emails, investment and
    subject, folded by Python (``_search_text.py``) so that both databases compare them alike.

    A table of its own, not a column of ``complaints``: the cases' rows stay as they were, and
    the ORM writes this one after every flush that added or changed a case.
    """

    __tablename__ = "case_search"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


@event.listens_for(Session, "after_flush")
def _search_text(session: Session, _context: Any) -> None:
    """Every case added or changed in a flush gets its search text anew (revision 0017)."""
    from ._search_text import refresh

    rows = [r for r in (*session.new, *session.dirty) if isinstance(r, ComplaintRow)]
    if rows:
        refresh(session.connection(), rows)
