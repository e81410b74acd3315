"""Correspondence: the messages that joined an existing case (replies, bounces, auto-replies).

A new table, ``correspondence``; no existing row changes. Each row is one incoming message
threaded to a case at import: how it was matched (one of our Message-IDs, or the case's
reference from the case's own complainant), the letter of ours it answers, and for a
delivery report the DSN status. Its text is the event's note; its files are documents.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

# Frozen copies: the migration must create the same constraints whatever the package later says.
_KINDS = ("reply", "delivery_failed", "delivery_report", "auto_reply")
_MATCHED = ("message_id", "subject")


def upgrade() -> None:
    op.create_table(
        "correspondence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaints.id"), nullable=False, index=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("matched_by", sa.String(20), nullable=False),
        sa.Column("outgoing_id", sa.Integer, sa.ForeignKey("outgoing.id"), index=True),
        sa.Column("message_sha256", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(998)),
        sa.Column("sender", sa.String(320)),
        sa.Column("subject", sa.Text),
        sa.Column("received_at", sa.DateTime(timezone=True)),
        sa.Column("delivery_status", sa.String(500)),
        sa.Column("documents", sa.JSON, nullable=False),
        sa.CheckConstraint("kind IN ('" + "', '".join(_KINDS) + "')", name="ck_correspondence_kind"),
        sa.CheckConstraint("matched_by IN ('" + "', '".join(_MATCHED) + "')", name="ck_correspondence_matched"),
        sa.UniqueConstraint("message_sha256", name="uq_correspondence_message"),
    )


def downgrade() -> None:
    op.drop_table("correspondence")
