"""Engines for the register: SQLite in WAL mode with write transactions, PostgreSQL via psycopg 3; migrations.

A new SQLite register file is created 0600 (its ``-wal``/``-shm`` take the same mode), and the
application's own SQLite connections refuse to drop or alter the register's tables, triggers and
indexes (an authorizer; lifted while migrations run): see :func:`_guard`. On PostgreSQL the
history's append-only triggers do that work, and a role that owns nothing does the rest.

A transaction that may write begins ``BEGIN IMMEDIATE`` on SQLite; one opened through
:func:`reading` (the lists, exports and pages: :mod:`._reads`) begins DEFERRED and read-only, so it
holds no write lock however long it streams.
"""

from __future__ import annotations

import logging
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError

from .._files import create_private
from ..exceptions import ConfigurationError, ReadOnlySessionError
from ._probe import head_id

# Alembic is imported by the functions that migrate: a register that is already at the newest
# revision (every command but the first after an upgrade) never pays for it (issue 25 item 4).
if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.orm import Session

_MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 0x4B4C4147  # "KLAG": PostgreSQL advisory lock id while migrating
READ_ONLY_MESSAGE = ("a unit of work opened for reading tried to change the register; nothing was written "
                     "(a change needs a session that writes: register.session() with s.begin())")


class _NoRows(logging.Filter):
    """Drops SQLAlchemy's DEBUG lines of result rows: they are complaints (names, emails)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


# On the logger itself, so it holds whoever raises the level or adds a handler (hide_parameters
# below does the same for statement parameters).
logging.getLogger("sqlalchemy.engine.Engine").addFilter(_NoRows())


def create_register_engine(url: str, *, migrate: bool = True, **options: Any) -> Engine:
    """An engine for the register at ``url``, migrated to the newest schema unless ``migrate=False``.

    ``postgresql://…`` URLs use psycopg 3. SQLite files get WAL mode; a transaction that may
    write starts with ``BEGIN IMMEDIATE``, so two writers queue up (for the ``timeout`` of
    ``connect_args``, 60 s by default) instead of failing half-way with "database is locked". A
    read opened through :func:`reading` (``Register.reading()``) begins DEFERRED and takes no
    write lock: a long export never makes a writer wait, and writers never make it wait. Such a
    read cannot write (:class:`~klageformular.exceptions.ReadOnlySessionError`).

    >>> engine = create_register_engine("sqlite://")   # in memory, for a quick look
    >>> engine.dialect.name
    'sqlite'
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError("not a database URL (e.g. sqlite:///klager.db or postgresql://host/db)") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        options.setdefault("connect_args", {}).setdefault("timeout", 60)
        if parsed.database not in (None, "", ":memory:") and not str(parsed.database).startswith("file:"):
            # sqlite3 would create it 0644 (under the usual umask): the register is personal data.
            try:
                create_private(Path(parsed.database))
            except OSError as exc:
                raise ConfigurationError(f"cannot create the register file: {exc.strerror or exc}") from None
    # The values are complaints (names, emails): never in a log line or an exception message,
    # whoever turns on the "sqlalchemy.engine" logger.
    options.setdefault("hide_parameters", True)
    try:
        engine = create_engine(parsed, **options)
    except (ArgumentError, ImportError) as exc:
        raise ConfigurationError(f"cannot use database URL ({type(exc).__name__}: {exc})") from None
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine)
    _refuse_writes(engine)
    if migrate and _stored_revisions(engine) != (head_id(),):
        upgrade(engine)
    return engine


def _stored_revisions(engine: Engine) -> tuple[str, ...] | None:
    """The revisions the database says it is at: one plain SELECT (None: no alembic_version table yet).

    On the driver's own connection, outside a transaction: on SQLite the engine's transactions
    begin IMMEDIATE (a write lock), which a look at one row must not wait for.
    """
    with engine.connect() as connection:  # connecting through SQLAlchemy: its errors, as every command's
        raw: Any = connection.connection.driver_connection
        cursor = raw.cursor()
        try:
            cursor.execute("SELECT version_num FROM alembic_version")
            return tuple(sorted(str(row[0]) for row in cursor.fetchall()))
        except engine.dialect.loaded_dbapi.Error:
            return None
        finally:
            cursor.close()
            raw.rollback()  # PostgreSQL: ends the read's (or the failed statement's) transaction


def _sqlite_setup(engine: Engine) -> None:
    memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see "begin").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, no corruption
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.set_authorizer(_guard)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # SQLAlchemy's pysqlite recipe ("Serializable isolation / Savepoints / Transactional DDL"): we
        # emit BEGIN ourselves. A write takes the write lock up front (two writers queue on the busy
        # timeout instead of one failing half-way on the lock upgrade); a read begins DEFERRED and
        # holds none (in WAL a reader never blocks a writer and sees one snapshot from its first
        # SELECT), with query_only on so that it cannot turn into a write.
        read = bool(connection.get_execution_options().get(READ_ONLY))
        info = connection.connection.info
        if info.get(READ_ONLY) is not read:  # the pragma is per connection: set only when it changes
            connection.exec_driver_sql(f"PRAGMA query_only={'ON' if read else 'OFF'}")
            info[READ_ONLY] = read
        connection.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

    # A statement still open when its transaction ends (a result the caller stopped reading) keeps its
    # snapshot on the connection after COMMIT/ROLLBACK (Python's sqlite3 no longer resets statements
    # there): the connection's next read would see the register as it was, silently, and its next
    # write fail (SQLITE_BUSY_SNAPSHOT). So every cursor of a transaction is closed at its end.
    @event.listens_for(engine, "after_cursor_execute")
    def _opened(connection: Any, cursor: Any, *_: Any) -> None:
        connection.connection.info.setdefault(_CURSORS, weakref.WeakSet()).add(cursor)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _ended(connection: Any) -> None:
        for cursor in list(connection.connection.info.pop(_CURSORS, ())):
            cursor.close()


_CURSORS = "klageformular_cursors"  # the connection's cursors of this transaction (weak: most close themselves)


#: The execution option that marks a connection's transactions as reads (set by :func:`reading`).
READ_ONLY = "klageformular_read_only"


def reading(engine: Engine) -> Engine:
    """``engine`` for reads only: the same pool and listeners, its transactions read-only.

    On SQLite a transaction begins DEFERRED (plain ``BEGIN``) with ``PRAGMA query_only`` instead
    of ``BEGIN IMMEDIATE``: a long export or list holds no write lock, so an intake or a status
    change meanwhile commits at once, and the read goes on seeing the register as it was. On
    PostgreSQL each transaction is ``REPEATABLE READ, READ ONLY`` (reset when the connection goes
    back to the pool): one snapshot there too. A write through it raises
    :class:`~klageformular.exceptions.ReadOnlySessionError` (see :func:`_refuse_writes`).
    """
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        # One snapshot for the whole read, as on SQLite (an export's two sheets agree); a read-only
        # REPEATABLE READ transaction never fails on a serialisation conflict.
        options.update(postgresql_readonly=True, isolation_level="REPEATABLE READ")
    return engine.execution_options(**options)


_PG_READ_ONLY_TRANSACTION = "25006"  # read_only_sql_transaction


def _refuse_writes(engine: Engine) -> None:
    """A write in a read-only transaction: :class:`ReadOnlySessionError`, not the driver's error.

    The unit of work was opened for reading at the edge: the fix is in the caller (open a
    session that writes), so the error says so instead of "attempt to write a readonly database".
    """
    @event.listens_for(engine, "handle_error")
    def _refused(context: Any) -> None:
        connection = context.connection
        if connection is None or not connection.get_execution_options().get(READ_ONLY):
            return
        orig = context.original_exception
        if (getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_READONLY
                or getattr(orig, "sqlstate", None) == _PG_READ_ONLY_TRANSACTION):
            raise ReadOnlySessionError(READ_ONLY_MESSAGE) from None


#: The register's tables: what no statement of the application may drop or alter.
# (engine, table) pairs known to exist. Kept per engine: a downgrade that drops a table is an
# administrator's step with an engine of its own, not something a running service does under its own.
_KNOWN_TABLES: set[tuple[str, str]] = set()


def has_table(session: Session, name: str) -> bool:
    """Whether the session's database has the table ``name`` (a register not upgraded yet may lack a
    newer revision's): one catalog query per call until the table is there, then none."""
    from sqlalchemy import inspect

    bind = session.get_bind()
    key = (bind.engine.url.render_as_string(hide_password=True) + f"#{id(bind.engine)}", name)
    if key in _KNOWN_TABLES:
        return True
    if inspect(session.connection()).has_table(name):
        _KNOWN_TABLES.add(key)
        return True
    return False


_TABLES = frozenset({"complaints", "source_files", "events", "attachments", "reference_counters", "alembic_version",
                     "corrections",  # 0005 (append-only since 0010)
                     "blobs", "documents",  # 0006
                     "measures", "case_categories",  # 0007
                     "outgoing",  # 0009
                     "watch_runs",  # 0011
                     "correspondence",  # 0013
                     "users", "web_sessions", "login_attempts", "audit",  # 0014
                     "case_retention", "tombstones",  # 0015
                     "case_search",  # 0017
                     "oidc_links", "oidc_pending"})  # 0021
_SCHEMA_ACTIONS = {sqlite3.SQLITE_DROP_TABLE: 0, sqlite3.SQLITE_ALTER_TABLE: 1, sqlite3.SQLITE_DROP_TRIGGER: 1,
                   sqlite3.SQLITE_DROP_INDEX: 1}  # action -> which argument names the table


def _guard(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    """sqlite3's authorizer on every connection the engine makes: no DROP or ALTER of the register.

    ``DROP TABLE events`` (or ``corrections``, ``measures``) would pass the append-only triggers
    (or ``DROP TRIGGER`` would remove them). This holds for this program's connections only: whoever can write the file
    can open it with any other SQLite client, so it guards against our own mistakes, not a
    person. ``PRAGMA writable_schema`` (editing the schema by hand) is refused for the same reason.
    """
    if action in _SCHEMA_ACTIONS:
        table = (arg1, arg2)[_SCHEMA_ACTIONS[action]]
        if (table or "").lower() in _TABLES:
            return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() == "writable_schema" and arg2 is not None:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@contextmanager
def _schema_changes(connection: Any) -> Iterator[None]:
    """Lift the SQLite authorizer on this connection while a migration runs (batch mode copies tables)."""
    raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
    if raw is not None:
        raw.set_authorizer(None)
    try:
        yield
    finally:
        if raw is not None:
            raw.set_authorizer(_guard)


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: empty)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest). Safe when several processes start at once."""
    from alembic import command

    config = _config()
    with _migrating(engine) as connection:
        if connection.dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE already serialises
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        with _schema_changes(connection):
            command.upgrade(config, revision)
    _forget_columns(engine)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to ``revision`` (for tests of the upgrade path)."""
    from alembic import command

    config = _config()
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        with _schema_changes(connection):
            command.downgrade(config, revision)
    _forget_columns(engine)


def _forget_columns(engine: Engine) -> None:
    """The schema changed: what the ORM's listeners knew about its columns is looked up again."""
    from ._search_text import forget

    forget(engine)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction for a migration. On SQLite foreign keys are off meanwhile (only possible outside a
    transaction): batch mode copies a table that others point at, which SQLite would count as deleting
    its rows. They are checked before the commit, and on again afterwards.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                yield connection
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise ConfigurationError("the migration left rows pointing at nothing; nothing was changed")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
