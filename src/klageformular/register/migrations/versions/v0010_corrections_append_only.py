"""Corrections are append-only in the database, as the events (0001, 0003) and the measures (0007) are.

A correction row is the only place the value a customer typed survives once an officer has
corrected it (the complaint's JSON holds the corrected value), so changing or deleting one
loses what the customer sent. Nothing in the register writes a correction twice: a new
correction of the same field is a new row, and a merge leaves a case's corrections where
they were written (it moves files and attachments only, as it leaves the events), so the
triggers refuse every UPDATE and DELETE, with no exception for a change of case.

PostgreSQL: row triggers for UPDATE and DELETE and a statement trigger for TRUNCATE (which
fires no row trigger, see 0003). SQLite: row triggers for UPDATE and DELETE (it has no
TRUNCATE; ``DELETE FROM corrections`` fires the row trigger).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE FUNCTION klageformular_corrections_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'corrections are append-only'; END $$")
        op.execute("CREATE TRIGGER corrections_append_only BEFORE UPDATE OR DELETE ON corrections "
                   "FOR EACH ROW EXECUTE FUNCTION klageformular_corrections_append_only()")
        op.execute("CREATE TRIGGER corrections_no_truncate BEFORE TRUNCATE ON corrections "
                   "FOR EACH STATEMENT EXECUTE FUNCTION klageformular_corrections_append_only()")
    elif dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER corrections_append_only_{action.lower()} BEFORE {action} ON corrections "
                       "BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER corrections_no_truncate ON corrections")
        op.execute("DROP TRIGGER corrections_append_only ON corrections")
        op.execute("DROP FUNCTION klageformular_corrections_append_only()")
    elif dialect == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER corrections_append_only_{action}")
