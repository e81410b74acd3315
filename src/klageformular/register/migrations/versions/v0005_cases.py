"""Cases: a version for optimistic concurrency, an assignee, merges, non-complaints and corrections.

- ``complaints.version`` (1 for existing rows): every change names the version it read, so of
  two officers moving one case at once exactly one succeeds;
- ``complaints.assignee``: who handles the case (none for existing rows);
- ``complaints.merged_into``: a case merged into another stays as a pointer to it (its
  reference is never reused, so the count stays gapless);
- ``complaints.not_a_complaint``: closed by a person as not a complaint (false for existing rows);
- ``corrections``: each corrected value with the value as typed, before/after, who, when, why.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (SQLite rebuilds no table: rebuilding ``complaints`` would drop the table
    # that events, files and attachments point at). The merge pointer is the target's reference,
    # which is never reused, so it needs no foreign key.
    op.add_column("complaints", sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    op.add_column("complaints", sa.Column("assignee", sa.String(120)))
    op.add_column("complaints", sa.Column("merged_into", sa.String(40)))
    op.add_column("complaints", sa.Column("not_a_complaint", sa.Boolean, nullable=False,
                                          server_default=sa.false()))
    op.create_index("ix_complaints_merged_into", "complaints", ["merged_into"])
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaints.id"), nullable=False, index=True),
        sa.Column("path", sa.String(120), nullable=False),
        sa.Column("typed", sa.Text),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
        sa.Column("code", sa.String(60)),
        sa.Column("who", sa.String(120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("corrections")
    op.drop_index("ix_complaints_merged_into", "complaints")
    for name in ("not_a_complaint", "merged_into", "assignee", "version"):
        op.drop_column("complaints", name)  # SQLite 3.35+ drops a plain column in place
