"""The history refuses TRUNCATE too (PostgreSQL): UPDATE and DELETE were refused row by row, but
``TRUNCATE events`` (or ``TRUNCATE complaints CASCADE``) emptied it without firing a row trigger.

A statement-level ``BEFORE TRUNCATE`` trigger calls the same function as the row triggers.
SQLite has no TRUNCATE (``DELETE FROM events`` fires the row trigger); its ``DROP TABLE`` is
refused by the application's own connections instead (see ``register._db``), which is no
schema change, so this revision does nothing there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
                   "FOR EACH STATEMENT EXECUTE FUNCTION klageformular_events_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_no_truncate ON events")
