"""A whole register into an empty database: SQLite → PostgreSQL when the office grows, and back.

:func:`copy_register` copies every table the register's models know — cases with their
references, source files, attachments, events, documents and their bytes, and the reference
counters — row for row with their ids, so references stay what the letters say and the next
number continues the count. It is one transaction on the target: a failed copy leaves the
target empty.

The target must be empty (every table, counters included) and is locked while it is checked
and filled, so nothing else writes into it half-way. The events' append-only triggers refuse
UPDATE, DELETE and TRUNCATE only: the copy appends, so they stay on, and still hold for the
copy's own history afterwards. That the target was empty when the events were loaded is
what makes their old ids and times honest — the one case where history is inserted rather
than recorded — hence the refusal of any non-empty target.

Values are copied exactly: timestamps as the same instant in UTC (SQLite keeps no offset),
a JSON ``null`` apart from an SQL ``NULL``, bytes as bytes.

Not supported: merging two registers (references would collide), copying while another
program writes into the source (the source is read in one transaction; on SQLite that
transaction makes other writers wait).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Connection, DateTime, Engine, Table, func, inspect, select, text
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.engine import Row

from ..exceptions import RegisterError
from ._db import current_revision, head_revision
from ._schema import Base

__all__ = ["CopySummary", "copy_register"]

log = logging.getLogger("klageformular.register")

_BATCH_ROWS = 500
_BATCH_BYTES = 32_000_000  # blobs: a few at a time, not 500 files of 50 MB in memory


@dataclass(frozen=True)
class CopySummary:
    """Rows copied per table (every table of the register, in the order they were loaded)."""

    rows: dict[str, int]

    @property
    def cases(self) -> int:
        """Cases (and unreadable entries) copied."""
        return self.rows.get("complaints", 0)


def copy_register(source: Engine, target: Engine) -> CopySummary:
    """Copy the register at ``source`` into the empty register at ``target`` (both migrated to the newest schema).

    :class:`RegisterError` when the target holds anything, when either database is not at
    this version's schema, or when a database has tables this version does not know.

    >>> copy_register(create_register_engine("sqlite:///klager.db"),              # doctest: +SKIP
    ...               create_register_engine("postgresql://klager@db/klager")).cases
    412
    """
    if source.url.render_as_string(hide_password=False) == target.url.render_as_string(hide_password=False):
        raise RegisterError("source and target are the same database")
    tables = list(Base.metadata.sorted_tables)  # parents before children: the foreign keys hold row by row
    for engine, role in ((source, "source"), (target, "target")):
        _check_schema(engine, role, {t.name for t in tables})
    counts: dict[str, int] = {}
    with source.connect() as src, target.connect() as dst:
        if src.dialect.name == "postgresql":  # one snapshot of every table
            src = src.execution_options(isolation_level="REPEATABLE READ")
        with src.begin(), dst.begin():
            _lock_and_check_empty(dst, tables)
            for table in tables:
                counts[table.name] = _copy_table(src, dst, table)
            if dst.dialect.name == "postgresql":
                _continue_sequences(dst, tables)
    log.info("register copy: %s", ", ".join(f"{n} {name}" for name, n in counts.items()))
    return CopySummary(counts)


def _check_schema(engine: Engine, role: str, known: set[str]) -> None:
    revision = current_revision(engine)
    if revision != head_revision():
        raise RegisterError(f"the {role} register is at schema {revision or 'none'}, this version needs "
                            f"{head_revision()} (any register command with --db on it upgrades it)")
    present = set(inspect(engine).get_table_names()) - {"alembic_version"}
    unknown = sorted(present - known)
    if unknown:
        raise RegisterError(f"the {role} database has tables this version does not know ({', '.join(unknown)}); "
                            f"nothing copied")


def _lock_and_check_empty(dst: Connection, tables: Sequence[Table]) -> None:
    if dst.dialect.name == "postgresql":
        # Other writers wait until the copy commits (readers do not); SQLite's BEGIN IMMEDIATE does the same.
        names = ", ".join(dst.dialect.identifier_preparer.quote(t.name) for t in tables)
        dst.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))
    full = [(t.name, n) for t in tables if (n := int(dst.execute(select(func.count()).select_from(t)).scalar_one()))]
    if full:
        listed = ", ".join(f"{n} {name}" for name, n in full)
        raise RegisterError(f"the target register is not empty ({listed}): a register is copied only into an "
                            f"empty database; nothing copied")


def _copy_table(src: Connection, dst: Connection, table: Table) -> int:
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    # An SQL NULL and a JSON null both read back as None: ask the database which one each is.
    query = select(*table.columns, *(table.c[name].is_(None).label(f"{name}__sql_null") for name in json_columns))
    query = query.order_by(*table.primary_key.columns)
    # The target's JSON columns store None as SQL NULL; a JSON null is passed as JSON.NULL.
    insert = sa_table(table.name, *(sa_column(c.name, JSON(none_as_null=True) if c.name in json_columns else c.type)
                                    for c in table.columns)).insert()
    stamps = {c.name for c in table.columns if isinstance(c.type, DateTime)}
    count = 0
    result = src.execution_options(stream_results=True, yield_per=_BATCH_ROWS).execute(query)
    for batch in _batches(result):
        dst.execute(insert, [_values(row, table, json_columns, stamps) for row in batch])
        count += len(batch)
    return count


def _batches(rows: Iterator[Row[Any]]) -> Iterator[list[Row[Any]]]:
    batch: list[Row[Any]] = []
    size = 0
    for row in rows:
        batch.append(row)
        size += sum(len(v) for v in row if isinstance(v, bytes | memoryview))
        if len(batch) >= _BATCH_ROWS or size >= _BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _values(row: Row[Any], table: Table, json_columns: set[str], stamps: set[str]) -> dict[str, Any]:
    mapping = row._mapping
    values: dict[str, Any] = {}
    for c in table.columns:
        value = mapping[c.name]
        if c.name in json_columns and value is None and not mapping[f"{c.name}__sql_null"]:
            value = JSON.NULL
        elif c.name in stamps and isinstance(value, datetime):
            # The same instant in UTC: SQLite hands back naive UTC and stores no offset.
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        elif isinstance(value, memoryview):
            value = value.tobytes()
        values[c.name] = value
    return values


def _continue_sequences(dst: Connection, tables: Sequence[Table]) -> None:
    """PostgreSQL's id sequences after the copied ids (SQLite takes max(id) + 1 by itself)."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not keys[0].autoincrement or keys[0].type.python_type is not int:
            continue
        name = keys[0].name
        sequence = dst.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": name}).scalar()
        if sequence is None:
            continue
        quoted = dst.dialect.identifier_preparer.quote
        dst.execute(text(f"SELECT setval(:s, COALESCE((SELECT MAX({quoted(name)}) FROM {quoted(table.name)}), 0) + 1, "
                         f"false)"), {"s": sequence})
