"""Deadlines that follow the case: the profile it is handled under, extensions, a paused decision clock.

- ``complaints.profile_sha256``: the sha256 of the profile file's bytes (or of a built-in
  profile's canonical JSON) the case's deadlines were counted with; NULL for existing rows
  (unknown: ``register profile`` fills it and recounts the open deadlines);
- ``complaints.extended_to`` / ``extension_reason``: a new decision date given with reasons
  (Delegated Regulation (EU) 2022/2117 art. 5);
- ``complaints.waiting_since`` / ``waiting_for``: the decision clock is paused while the customer
  is asked for information (art. 4); ``paused_days``: working days paused so far (0 for existing
  rows), already added to ``decide_by``.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None

_COLUMNS = ("profile_sha256", "extended_to", "extension_reason", "waiting_since", "waiting_for", "paused_days")


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite rebuilds no table (``complaints`` is what the history points at).
    op.add_column("complaints", sa.Column("profile_sha256", sa.String(64)))
    op.add_column("complaints", sa.Column("extended_to", sa.Date))
    op.add_column("complaints", sa.Column("extension_reason", sa.Text))
    op.add_column("complaints", sa.Column("waiting_since", sa.Date))
    op.add_column("complaints", sa.Column("waiting_for", sa.Text))
    op.add_column("complaints", sa.Column("paused_days", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    for name in reversed(_COLUMNS):
        op.drop_column("complaints", name)  # SQLite 3.35+ drops a plain column in place
