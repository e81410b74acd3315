"""The workbench's accounts: users, server-side sessions, login attempts and the audit of reading.

Four new tables; no existing row changes. ``audit`` is append-only in the database, as the
events and corrections are (a trigger refuses UPDATE and DELETE, and TRUNCATE on PostgreSQL).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Frozen copies: the migration must create the same constraints whatever the package later says.
_ROLES = ("viewer", "officer", "admin")
_ACTIONS = ("viewed", "downloaded", "exported")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("totp_secret", sa.String(64)),
        sa.Column("totp_step", sa.BigInteger),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('" + "', '".join(_ROLES) + "')", name="ck_users_role"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), index=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), index=True),
        sa.Column("address_key", sa.String(64), nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
    )
    op.create_index("ix_login_attempts_address", "login_attempts", ["address_key", "at"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(40), index=True),
        sa.Column("detail", sa.String(120)),
        sa.CheckConstraint("action IN ('" + "', '".join(_ACTIONS) + "')", name="ck_audit_action"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE FUNCTION klageformular_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'the audit is append-only'; END $$")
        op.execute("CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
                   "FOR EACH ROW EXECUTE FUNCTION klageformular_audit_append_only()")
        op.execute("CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
                   "FOR EACH STATEMENT EXECUTE FUNCTION klageformular_audit_append_only()")
    elif dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_append_only_{action.lower()} BEFORE {action} ON audit "
                       "BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER audit_no_truncate ON audit")
        op.execute("DROP TRIGGER audit_append_only ON audit")
        op.execute("DROP FUNCTION klageformular_audit_append_only()")
    elif dialect == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER audit_append_only_{action}")
    op.drop_table("audit")
    op.drop_index("ix_login_attempts_address", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_table("web_sessions")
    op.drop_table("users")
