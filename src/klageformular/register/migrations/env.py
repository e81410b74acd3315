"""Alembic environment: runs on the connection :func:`klageformular.register.upgrade` passes in.

There is no ``alembic.ini`` and no URL here: the register never reads configuration on its
own; whoever made the engine decides which database this is.
"""

from __future__ import annotations

from alembic import context

from klageformular.register._schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the `alembic` command line would get here
    raise RuntimeError("run migrations through klageformular.register.upgrade(engine)")
# render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
