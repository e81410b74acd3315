"""Related complaints: normalised investment, project and complainant keys, indexed, filled for old rows.

``register show`` and ``register list --related`` look for other complaints about the same
investment, project or complainant; comparing inside the JSON column would scan every row
and miss "KA-1042" vs "ka 1042". The keys are computed here with a frozen copy of the rules
(a migration must give the same result whatever the package later changes).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_COLUMNS = {"investment_key": 120, "project_key": 240, "complainant_key": 240}


def _keys(complaint: dict[str, Any] | None) -> dict[str, str | None]:
    complaint = complaint or {}
    investment = complaint.get("investment") or {}
    person = complaint.get("complainant") or {}
    contact = complaint.get("complainant_contact") or {}
    reference = re.sub(r"[\W_]+", "", str(investment.get("reference") or "")).upper()
    project = " ".join(re.sub(r"[^\w\s]+", " ", str(investment.get("project") or "")).casefold().split())
    email = str(person.get("email") or contact.get("email") or "").strip().lower()
    client = re.sub(r"[\W_]+", "", str(person.get("client_reference") or "")).upper()
    who = f"email:{email}" if email else f"client:{client}" if client else ""
    return {"investment_key": reference[:120] or None, "project_key": project[:240] or None,
            "complainant_key": who[:240] or None}


def upgrade() -> None:
    for name, size in _COLUMNS.items():
        op.add_column("complaints", sa.Column(name, sa.String(size)))
        op.create_index(f"ix_complaints_{name}", "complaints", [name])
    complaints = sa.table("complaints", sa.column("id", sa.Integer), sa.column("complaint", sa.JSON),
                          *(sa.column(name, sa.String) for name in _COLUMNS))
    bind = op.get_bind()
    rows = bind.execute(sa.select(complaints.c.id, complaints.c.complaint)).all()
    for row_id, complaint in rows:
        bind.execute(complaints.update().where(complaints.c.id == row_id).values(**_keys(complaint)))


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        for name in _COLUMNS:
            batch.drop_index(f"ix_complaints_{name}")
            batch.drop_column(name)
