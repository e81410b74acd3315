"""Measures taken and categories: a ``measures`` row per ``measure`` event, a case's product and cause.

Both are new tables: no existing row changes. An index over the columns the report groups by
lets the database answer it without reading the complaint rows themselves. Measures are
append-only in the database, as the events are (the register of complaints and the measures
taken is what Regulation (EU) 2020/1503 art. 7 asks a provider to keep).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# A frozen copy: the migration must create the same constraint whatever the package later says.
_MEASURES = ("information_requested", "external_advice", "other_complaints_checked", "changed_routines",
             "changed_practice", "staff_training", "other_consequence", "compensation")


# The report's covering index (a frozen copy of _schema.REPORT_COLUMNS).
_REPORT_COLUMNS = ("received", "status", "acknowledged_on", "decided_on", "acknowledge_by", "decide_by",
                   "organisation", "channel", "language", "outcome", "not_a_complaint", "merged_into")


def upgrade() -> None:
    op.create_index("ix_complaints_report", "complaints", list(_REPORT_COLUMNS))
    op.create_table(
        "measures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("amount_minor", sa.BigInteger),
        sa.Column("minor_digits", sa.Integer),
        sa.Column("currency", sa.String(3)),
        sa.CheckConstraint("kind IN ('" + "', '".join(_MEASURES) + "')", name="ck_measures_kind"),
        sa.CheckConstraint("(kind = 'compensation' AND amount_minor > 0 AND minor_digits >= 0 AND currency IS NOT "
                           "NULL) OR (kind <> 'compensation' AND amount_minor IS NULL AND minor_digits IS NULL "
                           "AND currency IS NULL)", name="ck_measures_amount"),
    )
    op.create_table(
        "case_categories",
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaints.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("product", sa.String(40), index=True),
        sa.Column("cause", sa.String(40), index=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE FUNCTION klageformular_measures_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'measures are append-only'; END $$")
        op.execute("CREATE TRIGGER measures_append_only BEFORE UPDATE OR DELETE ON measures "
                   "FOR EACH ROW EXECUTE FUNCTION klageformular_measures_append_only()")
        # As revision 0003 does for the events: TRUNCATE fires no row trigger.
        op.execute("CREATE TRIGGER measures_no_truncate BEFORE TRUNCATE ON measures "
                   "FOR EACH STATEMENT EXECUTE FUNCTION klageformular_measures_append_only()")
    elif dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER measures_append_only_{action.lower()} BEFORE {action} ON measures "
                       "BEGIN SELECT RAISE(ABORT, 'measures are append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER measures_no_truncate ON measures")
        op.execute("DROP TRIGGER measures_append_only ON measures")
        op.execute("DROP FUNCTION klageformular_measures_append_only()")
    op.drop_table("case_categories")
    op.drop_table("measures")
    op.drop_index("ix_complaints_report", "complaints")
