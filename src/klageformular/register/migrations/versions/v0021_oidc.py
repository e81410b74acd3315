"""OpenID Connect login: accounts linked to an identity provider's subject, and logins under way.

- ``oidc_links``: one row per (issuer, subject) an admin linked to an account (``users link``).
- ``oidc_pending``: a login sent to the identity provider, until its callback (state, nonce, PKCE
  verifier, tied to the browser's anonymous session). Both tables are new; no other row changes.

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oidc_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("issuer", "subject", name="uq_oidc_links_issuer_subject"),
    )
    op.create_index("ix_oidc_links_user_id", "oidc_links", ["user_id"])
    op.create_table(
        "oidc_pending",
        sa.Column("state_key", sa.String(64), primary_key=True),
        sa.Column("session_key", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("verifier", sa.String(128), nullable=False),
        sa.Column("next", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_oidc_pending_session_key", "oidc_pending", ["session_key"])
    op.create_index("ix_oidc_pending_created_at", "oidc_pending", ["created_at"])


def downgrade() -> None:
    op.drop_table("oidc_pending")
    op.drop_table("oidc_links")
