"""Retention: legal hold, erasure, tombstones; the append-only history may forget personal text.

The history's promise was "no UPDATE, no DELETE" (0001, 0003, 0007, 0010, 0014). It now reads:
the record of *what happened* (who, when, what kind, which status, which case) can never be
rewritten or removed, and personal text can only be *erased*, never changed. So the triggers
of ``events`` and ``corrections`` let exactly one UPDATE through: one that sets the personal
text columns (``events.note``; ``corrections.typed``, ``before``, ``after``, ``note``) to NULL
and leaves every other column as it was. DELETE and TRUNCATE stay refused. ``measures`` and
``audit`` hold no personal text: their triggers are unchanged.

Why this and not the alternatives: text rows the events point to would move every reader of a
note to a join and still need a trigger saying which rows may go; per-case keys destroyed
(crypto-shredding) leave the ciphertext in the database and in every backup, make the notes
unsearchable and put a key store beside the register that must itself be backed up and
forgotten. An erase-only trigger keeps the history where it is, readable by any SQL client,
and is checked by the database whatever program connects.

PostgreSQL compares the whole row as JSON minus the erasable columns, so a column a later
revision adds is guarded without touching this function again; SQLite's trigger names the
columns (frozen at this revision).

New tables (no existing row changes): ``case_retention``, a case's legal hold (never purged while
set) and its erasure (``retention`` or ``request``), apart from ``complaints`` so that a register
at an older revision still reads its cases with the newest models; and ``tombstones``: the sha256
of each file and message of an erased case, so reading those bytes again brings nothing back.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Frozen copies: what each table's trigger lets an erasure set to NULL, and the columns that must stay.
_ERASABLE = {"events": ("note",), "corrections": ("typed", "before", "after", "note")}
_KEPT = {"events": ("id", "complaint_id", "at", "who", "what", "from_status", "to_status"),
         "corrections": ("id", "complaint_id", "path", "code", "who", "at")}


def _pg_function(table: str) -> str:
    erasable = _ERASABLE[table]
    nulls = " AND ".join(f"NEW.{c} IS NULL" for c in erasable)
    minus = "ARRAY[" + ", ".join(f"'{c}'" for c in erasable) + "]"
    return (f"CREATE OR REPLACE FUNCTION klageformular_{table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN IF TG_OP = 'UPDATE' AND {nulls} AND (to_jsonb(NEW) - {minus}) = (to_jsonb(OLD) - {minus}) "
            f"THEN RETURN NEW; END IF; RAISE EXCEPTION '{table} are append-only (personal text may only be "
            f"erased)'; END $$")


def _sqlite_update_trigger(table: str) -> str:
    nulls = " AND ".join(f'NEW."{c}" IS NULL' for c in _ERASABLE[table])
    same = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in _KEPT[table])
    return (f"CREATE TRIGGER {table}_append_only_update BEFORE UPDATE ON {table} WHEN NOT ({nulls} AND {same}) "
            f"BEGIN SELECT RAISE(ABORT, '{table} are append-only (personal text may only be erased)'); END")


def upgrade() -> None:
    op.create_table(
        "case_retention",
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaints.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("held_since", sa.DateTime(timezone=True)),
        sa.Column("held_by", sa.String(120)),
        sa.Column("hold_reason", sa.Text),
        sa.Column("erased_at", sa.DateTime(timezone=True), index=True),
        sa.Column("erased_under", sa.String(20)),
        sa.CheckConstraint("erased_under IS NULL OR erased_under IN ('retention', 'request')",
                           name="ck_case_retention_erased_under"),
    )
    op.create_table(
        "tombstones",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('file', 'message')", name="ck_tombstones_kind"),
    )
    dialect = op.get_bind().dialect.name
    for table in _ERASABLE:
        if dialect == "postgresql":
            op.execute(_pg_function(table))  # the triggers (UPDATE/DELETE, TRUNCATE) call it by name
        elif dialect == "sqlite":
            op.execute(f"DROP TRIGGER {table}_append_only_update")
            op.execute(_sqlite_update_trigger(table))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in _ERASABLE:
        if dialect == "postgresql":
            op.execute(f"CREATE OR REPLACE FUNCTION klageformular_{table}_append_only() RETURNS trigger "
                       f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{table} are append-only'; END $$")
        elif dialect == "sqlite":
            op.execute(f"DROP TRIGGER {table}_append_only_update")
            op.execute(f"CREATE TRIGGER {table}_append_only_update BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END")
    op.drop_table("tombstones")
    op.drop_table("case_retention")
