"""The outbox: every letter we send (or print for the post) on a case, recorded before it goes.

A new table, ``outgoing``; no existing row changes. Each e-mail is stored with its bytes and
its Message-ID before the SMTP server sees it, so a crash between the two leaves it queued and
a retry sends the very same message; replies are threaded to a case only through these
Message-IDs. What the letter does to the case when it is sent or posted (its outcome and
admissibility) is kept with it: the status moves then, not when the file is written; and whether
its copy in the mailbox's Sent folder is still to be made (``copy_state``).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

# Frozen copies: the migration must create the same constraints whatever the package later says.
_STATES = ("queued", "sent", "failed", "to_post", "posted")
_CHANNELS = ("email", "post")
_COPY_STATES = ("pending", "copied")


def upgrade() -> None:
    op.create_table(
        "outgoing",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaints.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("message_id", sa.String(998), unique=True),
        sa.Column("in_reply_to", sa.String(998)),
        sa.Column("recipient", sa.String(320)),
        sa.Column("sha256", sa.String(64)),
        sa.Column("letter_sha256", sa.String(64)),
        sa.Column("dated", sa.Date, nullable=False),
        sa.Column("who", sa.String(120), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_reply", sa.Text),
        sa.Column("sender", sa.String(320)),
        sa.Column("outcome", sa.String(20)),
        sa.Column("admissibility", sa.String(30)),
        sa.Column("reason", sa.Text),
        sa.Column("copy_state", sa.String(20)),
        sa.Column("copy_reply", sa.Text),
        sa.CheckConstraint("state IN ('" + "', '".join(_STATES) + "')", name="ck_outgoing_state"),
        sa.CheckConstraint("channel IN ('" + "', '".join(_CHANNELS) + "')", name="ck_outgoing_channel"),
        sa.CheckConstraint("(channel = 'email' AND message_id IS NOT NULL AND sha256 IS NOT NULL)"
                           " OR (channel = 'post' AND message_id IS NULL)", name="ck_outgoing_message"),
        sa.CheckConstraint("copy_state IS NULL OR copy_state IN ('" + "', '".join(_COPY_STATES) + "')",
                           name="ck_outgoing_copy_state"),
    )
    op.create_index("ix_outgoing_state", "outgoing", ["state", "queued_at"])


def downgrade() -> None:
    op.drop_index("ix_outgoing_state", "outgoing")
    op.drop_table("outgoing")
