"""The watch's runs: one row per run of ``klageformular watch`` (counts only).

A new table: no existing row changes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_key", sa.String(64), nullable=False),
        *(sa.Column(name, sa.Integer, nullable=False)
          for name in ("read", "imported", "duplicates", "unreadable", "set_aside")),
        # watch --auto-ack: letters the run sent (acknowledgements and the outbox's retries), letters
        # not sent (deferred or refused), new cases it left for a person.
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0")
          for name in ("sent", "send_failed", "waiting_for_review")),
        sa.Column("failed", sa.Boolean, nullable=False),
        sa.Column("stopped_early", sa.Boolean, nullable=False),
        sa.Column("error", sa.String(80)),
    )


def downgrade() -> None:
    op.drop_table("watch_runs")
