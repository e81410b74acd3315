"""Documents in the register: the bytes of every file, message, attachment and letter, by sha256.

Until now the register named files by a path relative to the batch output folder on the
intake machine (``attachments/<sha>``, ``quarantine/…``), so a second officer on a shared
PostgreSQL could not open them. ``blobs`` holds each distinct file once (sha256 primary key);
``documents`` lists each case's files with what they are.

An existing register's source files and attachments become documents here, marked
*missing* ("not copied from the batch folder yet"): the migration cannot see the intake
machine's folders. The next ``register import`` of a batch folder (its records are "already
there") copies in every file it finds there, checked against the recorded sha256; what is
found nowhere stays listed as missing. The kind of a migrated file is read from the case
(a mail case's original is its message when it has no form, else the PDF attached to it);
an import corrects it from the record.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0008"
branch_labels = None
depends_on = None

_KINDS = ("source", "message", "attachment", "letter")
_UTC = sa.DateTime(timezone=True)
_NOT_YET = "not copied from the batch folder yet"


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaints.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("content_type", sa.String(255)),
        sa.Column("size", sa.BigInteger),
        sa.Column("sha256", sa.String(64), index=True),
        sa.Column("unreadable", sa.Boolean, nullable=False),
        sa.Column("missing", sa.Boolean, nullable=False),
        sa.Column("note", sa.String(120)),
        sa.Column("added_at", _UTC, nullable=False),
        sa.CheckConstraint("kind IN ('" + "', '".join(_KINDS) + "')", name="ck_documents_kind"),
    )
    _existing_files_as_missing()


def _existing_files_as_missing() -> None:
    bind = op.get_bind()
    meta = sa.MetaData()
    complaints = sa.Table("complaints", meta, sa.Column("id", sa.Integer), sa.Column("channel", sa.String),
                          sa.Column("method", sa.String), sa.Column("status", sa.String))
    files = sa.Table("source_files", meta, sa.Column("id", sa.Integer), sa.Column("complaint_id", sa.Integer),
                     sa.Column("source", sa.Text), sa.Column("sha256", sa.String), sa.Column("kind", sa.String))
    attachments = sa.Table("attachments", meta, sa.Column("id", sa.Integer), sa.Column("complaint_id", sa.Integer),
                           sa.Column("name", sa.Text), sa.Column("content_type", sa.String),
                           sa.Column("size", sa.Integer), sa.Column("sha256", sa.String), sa.Column("path", sa.Text))
    documents = sa.table("documents", *(sa.column(c) for c in (
        "complaint_id", "kind", "name", "content_type", "size", "sha256", "unreadable", "missing", "note",
        "added_at")))
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    query = sa.select(files.c.complaint_id, files.c.source, files.c.sha256, files.c.kind, complaints.c.channel,
                      complaints.c.method, complaints.c.status)
    query = query.join(complaints, complaints.c.id == files.c.complaint_id)
    for case, source, sha, how, channel, method, status in bind.execute(query.order_by(files.c.id)):
        if channel == "email":
            kind = "message" if method == "email" or how == "same_message" or not str(source).lower().endswith(
                ".pdf") else "attachment"
        else:
            kind = "source"
        rows.append({"complaint_id": case, "kind": kind, "name": _name(source), "content_type": None, "size": None,
                     "sha256": sha, "unreadable": status == "unreadable" and how == "original", "missing": True,
                     "note": _NOT_YET, "added_at": now})
    for case, name, content_type, size, sha in bind.execute(sa.select(
            attachments.c.complaint_id, attachments.c.name, attachments.c.content_type, attachments.c.size,
            attachments.c.sha256).order_by(attachments.c.id)):
        rows.append({"complaint_id": case, "kind": "attachment", "name": _name(name), "content_type": content_type,
                     "size": size, "sha256": sha, "unreadable": False, "missing": True, "note": _NOT_YET,
                     "added_at": now})
    if rows:
        bind.execute(documents.insert(), rows)


def _name(value: Any) -> str | None:
    """The last part of a path, on one line (a frozen copy of the rule in register/_documents.py)."""
    if not value:
        return None
    last = str(value).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    text = "".join(c if c.isprintable() else " " for c in last)
    return " ".join(text.split())[:255] or None


def downgrade() -> None:
    op.drop_table("documents")
    op.drop_table("blobs")
