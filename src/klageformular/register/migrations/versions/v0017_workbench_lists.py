"""The workbench's lists: a folded search column on the cases, and more kinds of audit row.

- ``case_search``: what a search matches per case (reference, names, emails, investment,
  subject), folded by Python so that both databases compare it alike; filled here for every
  case already in the register, in chunks (``_search_text.py`` keeps it current from now on).
  No row of ``complaints`` changes.
- ``audit.action`` may also be ``searched`` and an admin's change to an account (added,
  disabled, enabled, unlocked, second factor reset). On SQLite the CHECK can only change with
  the table, so the table is copied and its indexes and append-only triggers made again.

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None

# Frozen copies: the migration must create the same constraints whatever the package later says.
_BEFORE = ("viewed", "downloaded", "exported")
_ACTIONS = (*_BEFORE, "searched", "user_added", "user_disabled", "user_enabled", "user_unlocked", "user_2fa_reset")
_CHUNK = 500


def _check(actions: tuple[str, ...]) -> str:
    return "action IN ('" + "', '".join(actions) + "')"


def upgrade() -> None:
    from klageformular.register._search_text import search_text

    search = op.create_table(
        "case_search",
        sa.Column("complaint_id", sa.Integer, sa.ForeignKey("complaints.id"), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
    )
    bind = op.get_bind()
    cases = sa.table("complaints", sa.column("id", sa.Integer), sa.column("reference", sa.String),
                     sa.column("complaint", sa.JSON), sa.column("mail", sa.JSON), sa.column("message", sa.Text))
    last = 0
    while True:  # keyset chunks: memory of one chunk, whatever the register's size
        rows = bind.execute(sa.select(cases.c.id, cases.c.reference, cases.c.complaint, cases.c.mail,
                                      cases.c.message).where(cases.c.id > last).order_by(cases.c.id)
                            .limit(_CHUNK)).all()
        if not rows:
            break
        bind.execute(search.insert(), [{"complaint_id": r.id, "text": search_text(
            reference=r.reference, complaint=r.complaint, mail=r.mail, message=r.message)} for r in rows])
        last = rows[-1].id
    _audit_actions(_ACTIONS)


def downgrade() -> None:
    # The audit keeps the wider check: its rows are append-only, so a "searched" row written since
    # cannot go, and the narrower check would refuse the table.
    op.drop_table("case_search")


def _audit_actions(actions: tuple[str, ...]) -> None:
    """The audit's CHECK widened to ``actions``; its rows, indexes and append-only triggers as they were."""
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_audit_action", "audit", type_="check")
        op.create_check_constraint("ck_audit_action", "audit", _check(actions))
        return
    # SQLite changes a CHECK only with its table: a new one, the rows copied, the old one dropped
    # (its indexes and triggers with it), then renamed and given them again.
    op.create_table(
        "audit_0017",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(40)),
        sa.Column("detail", sa.String(120)),
        sa.CheckConstraint(_check(actions), name="ck_audit_action"),
    )
    op.execute("INSERT INTO audit_0017 (id, at, user_id, action, reference, detail) "
               "SELECT id, at, user_id, action, reference, detail FROM audit")
    op.drop_table("audit")
    op.rename_table("audit_0017", "audit")
    for column in ("at", "user_id", "reference"):
        op.create_index(f"ix_audit_{column}", "audit", [column])
    for action in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER audit_append_only_{action.lower()} BEFORE {action} ON audit "
                   "BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END")
