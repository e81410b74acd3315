"""The register's first schema: complaints, their source files, events, attachments, reference counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_STATUSES = ("unreadable", "received", "acknowledged", "under_review", "inadmissible", "decided", "closed",
             "escalated")
_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(40), nullable=False, unique=True),
        sa.Column("prefix", sa.String(20), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("organisation", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("received", sa.Date, nullable=False, index=True),
        sa.Column("received_at", _UTC),
        sa.Column("acknowledge_by", sa.Date),
        sa.Column("decide_by", sa.Date),
        sa.Column("acknowledged_on", sa.Date),
        sa.Column("decided_on", sa.Date),
        sa.Column("outcome", sa.String(20)),
        sa.Column("language", sa.String(5)),
        sa.Column("method", sa.String(20)),
        sa.Column("form_version", sa.String(20)),
        sa.Column("parse_status", sa.String(20)),
        sa.Column("complaint", sa.JSON),
        sa.Column("review", sa.JSON, nullable=False),
        sa.Column("warnings", sa.JSON, nullable=False),
        sa.Column("raw", sa.JSON),
        sa.Column("reason", sa.String(40)),
        sa.Column("error", sa.String(80)),
        sa.Column("message", sa.Text),
        sa.Column("content_key", sa.String(128), index=True),
        sa.Column("message_id", sa.String(998), unique=True),
        sa.Column("mail", sa.JSON),
        sa.Column("created_at", _UTC, nullable=False),
        sa.UniqueConstraint("prefix", "year", "number", name="uq_complaints_number"),
        sa.CheckConstraint("status IN ('" + "', '".join(_STATUSES) + "')", name="ck_complaints_status"),
    )
    op.create_index("ix_complaints_status_deadlines", "complaints", ["status", "acknowledge_by", "decide_by"])
    op.create_table(
        "source_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaints.id"), nullable=False, index=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("received", sa.Date),
        sa.Column("quarantine", sa.Text),
        sa.Column("imported_at", _UTC, nullable=False),
        sa.UniqueConstraint("sha256", "source", name="uq_source_files_sha256_source"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaints.id"), nullable=False, index=True),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("who", sa.String(120), nullable=False),
        sa.Column("what", sa.String(20), nullable=False),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20)),
        sa.Column("note", sa.Text),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaints.id"), nullable=False, index=True),
        sa.Column("name", sa.Text),
        sa.Column("content_type", sa.String(255)),
        sa.Column("size", sa.Integer),
        sa.Column("sha256", sa.String(64)),
        sa.Column("path", sa.Text),
    )
    op.create_table(
        "reference_counters",
        sa.Column("prefix", sa.String(20), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last", sa.Integer, nullable=False),
    )
    # The events are the "measures taken" a supervisor may ask for: the database itself refuses
    # to change or delete one, whatever program connects.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION klageformular_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'events are append-only'; END $$")
        op.execute("CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
                   "FOR EACH ROW EXECUTE FUNCTION klageformular_events_append_only()")
    elif op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER events_append_only_{action.lower()} BEFORE {action} ON events "
                       "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_append_only ON events")
        op.execute("DROP FUNCTION klageformular_events_append_only()")
    for table in ("reference_counters", "attachments", "events", "source_files", "complaints"):
        op.drop_table(table)
