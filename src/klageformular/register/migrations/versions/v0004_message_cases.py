"""One message, one case: a message is known by its bytes' hash, a Message-ID is only the sender's claim.

``complaints.message_id`` was unique, so a second record of one message (its scanned PDF
next to the email's text) stopped the import for good, and five customers sending through
a tool with a fixed Message-ID could not be five cases. The column keeps the ID (indexed,
not unique); ``message_sha256`` is the message's identity (filled here for plain-email
cases, whose original file is the message; cases read from a form keep NULL and are found
by their Message-ID as before). ``attachments.unreadable`` says why an attached PDF could not
be read as the form.

Revision ID: 0004
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0005"
branch_labels = None
depends_on = None

# SQLite's unique constraint from 0001 has no name; batch mode reflects it under this one.
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _unique_name() -> str:
    return "complaints_message_id_key" if op.get_bind().dialect.name == "postgresql" else "uq_complaints_message_id"


def upgrade() -> None:
    bind = op.get_bind()
    # SQLite copies the table (batch mode); foreign keys are off meanwhile (register._db._migrating).
    with op.batch_alter_table("complaints", naming_convention=_NAMES) as batch:
        batch.drop_constraint(_unique_name(), type_="unique")
        batch.add_column(sa.Column("message_sha256", sa.String(64)))
        batch.create_index("ix_complaints_message_id", ["message_id"])
        batch.create_index("ix_complaints_message_sha256", ["message_sha256"])
    op.add_column("attachments", sa.Column("unreadable", sa.Text()))
    complaints = sa.table("complaints", sa.column("id", sa.Integer), sa.column("method", sa.String),
                          sa.column("message_sha256", sa.String))
    files = sa.table("source_files", sa.column("id", sa.Integer), sa.column("complaint_id", sa.Integer),
                     sa.column("sha256", sa.String), sa.column("kind", sa.String))
    original = (sa.select(files.c.sha256).where(files.c.complaint_id == complaints.c.id, files.c.kind == "original")
                .order_by(files.c.id).limit(1).scalar_subquery())
    bind.execute(complaints.update().where(complaints.c.method == "email").values(message_sha256=original))


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("unreadable")
    # Back to one case per Message-ID: later cases that share one lose it (they keep their files).
    complaints = sa.table("complaints", sa.column("id", sa.Integer), sa.column("message_id", sa.String))
    first = sa.select(sa.func.min(complaints.c.id)).group_by(complaints.c.message_id)
    bind.execute(complaints.update().where(complaints.c.message_id.is_not(None), complaints.c.id.not_in(first))
                 .values(message_id=None))
    with op.batch_alter_table("complaints", naming_convention=_NAMES) as batch:
        batch.drop_index("ix_complaints_message_sha256")
        batch.drop_index("ix_complaints_message_id")
        batch.drop_column("message_sha256")
        batch.create_unique_constraint(_unique_name(), ["message_id"])
