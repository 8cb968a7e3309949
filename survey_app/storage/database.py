"""Engine and session handling, with safe settings for the embedded SQLite database.

What the database engine itself keeps matters for anonymity (DESIGN.md §5). On SQLite the
write-ahead log holds the page images of recent commits in the order they were made. After a
code is redeemed, `Database.trim_log` copies the log into the database file, and with
``journal_size_limit = 0`` the next commit starts the log afresh and cuts the file to that
commit: a copy of the live files never holds a code being used together with a response sent
after it. `Database.purge_deleted_rows` makes deleted rows unrecoverable from the files when a
survey closes.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from survey_app.storage.models import Base

log = logging.getLogger(__name__)


class Database:
    """An engine plus a session factory. One per application (and one per benchmark)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Single reads on PostgreSQL run without a transaction around them (see `connect`).
        self._single_reads = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.engine.dialect.name == "postgresql"
            else self.engine
        )

    @property
    def locks_whole_file(self) -> bool:
        """True on SQLite, where a transaction's first write takes one lock for the whole
        database and reads before it see no later commit: read what must not change only
        after that write. PostgreSQL locks rows, so lock the row first (``FOR SHARE``)."""
        return self.engine.dialect.name == "sqlite"

    def session(self) -> Session:
        return self._sessions()

    def connect(self) -> Connection:
        """A plain connection, without an ORM session, for a single read on a hot path (a
        respondent's page): use it in a ``with`` block. On PostgreSQL each statement commits
        on its own, which saves the BEGIN and ROLLBACK round trips a lone read does not need;
        several reads that must agree, or any write, belong in `transaction`."""
        return self._single_reads.connect()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def trim_log(self) -> None:
        """After a code is redeemed: copy SQLite's write-ahead log into the database file.

        A PASSIVE checkpoint never waits for anyone; if a reader holds old pages it copies what
        it can, and a later one catches up. Once the log is fully copied, the next commit
        starts it again from the beginning and (with ``journal_size_limit = 0``) cuts the file
        to that one commit, so the redemption is gone from the log before any later response
        is written to it. Not done after every response: measured, that cost 8-13 % of
        throughput (see benchmarks/submit.py). PostgreSQL needs nothing here.
        """
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def purge_deleted_rows(self, *tables: str) -> None:
        """Make rows deleted from ``tables`` unrecoverable from the database files.

        SQLite already overwrites deleted content (``secure_delete``); its write-ahead log
        still holds older page images until a checkpoint, so truncate it. PostgreSQL keeps
        dead rows in the table's pages until a vacuum; ``VACUUM FULL`` rewrites each table.
        """
        if self.engine.dialect.name == "sqlite":
            # Pooled connections are idle here, but another process may be reading: retry
            # until the checkpoint is not blocked (busy flag 0), briefly.
            for _attempt in range(50):
                with self.engine.connect() as connection:
                    busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
                if not busy:
                    break
                time.sleep(0.1)
        elif self.engine.dialect.name == "postgresql":
            quote = self.engine.dialect.identifier_preparer.quote
            with self.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as connection:
                _wait_for_older_snapshots(connection)
                for table in tables:
                    connection.exec_driver_sql(f"VACUUM FULL {quote(table)}")

    def dispose(self) -> None:
        self.engine.dispose()


#: Longest wait for transactions that began before a deletion to end (see
#: ``_wait_for_older_snapshots``).
PURGE_WAIT_SECONDS = 10.0


def _wait_for_older_snapshots(connection: Connection) -> None:
    """Wait (briefly) until no other transaction can still see rows deleted before now.

    ``VACUUM FULL`` copies a deleted row into the rewritten table while any transaction that
    began before the deletion is still running (it could still read the row), so the row would
    survive the purge. Another process's long report or a test beside this one can hold such a
    snapshot; after :data:`PURGE_WAIT_SECONDS` the vacuum goes ahead anyway and the row goes at
    the next vacuum instead (logged)."""
    mark = connection.exec_driver_sql(
        "SELECT mod(pg_current_xact_id()::text::bigint, 4294967296)::text"
    ).scalar()
    deadline = time.monotonic() + PURGE_WAIT_SECONDS
    while True:
        older = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            " AND datname = current_database() AND backend_xmin IS NOT NULL"
            " AND age(backend_xmin) > age(%s::xid)",
            (str(mark),),
        ).scalar()
        if not older:
            return
        if time.monotonic() > deadline:
            log.warning("an older transaction is still running: deleted rows stay until a vacuum")
            return
        time.sleep(0.05)


def insert_unless_present(session: Session, model: type[Base], **values: Any) -> bool:
    """Insert one row unless its primary key (or another unique key) is already taken.

    True if the row was inserted. A concurrent transaction inserting the same key makes this
    wait for it, then report False if it committed. Other errors (a missing parent row) raise.
    """
    dialect = session.get_bind().dialect.name
    # The columns are those of ``values``, given with the execution.
    inserted = session.execute(_insert_unless_present(dialect, model), values)
    return inserted.first() is not None


@functools.cache
def _insert_unless_present(dialect: str, model: type[Base]) -> Any:
    """The statement for `insert_unless_present`, built once per table: building a statement
    costs more than running it on SQLite (each respondent's send runs one)."""
    table: Any = model.__table__
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(dialect)
    # RETURNING gives a row only when one was inserted (drivers differ on rowcount here).
    return statement.returning(*table.primary_key.columns)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # Pooled connections: opening one (and setting its pragmas) costs far more than a
        # query in WAL mode. A forked process starts with an empty pool of its own.
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
        return engine
    engine = create_engine(url)
    _ping_after_idle(engine, IDLE_PING_SECONDS)
    return engine


#: A pooled PostgreSQL connection unused for longer than this is checked before it is used.
IDLE_PING_SECONDS = 10.0


def _ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection that has sat unused for ``idle_seconds`` before handing it
    out, and replace it if the server has gone (restarted, or a firewall dropped it).

    SQLAlchemy's ``pool_pre_ping`` checks every connection on every checkout: a ``SELECT 1``
    and its rollback, two round trips before each page's own query, for connections that were
    in use a moment ago. Under load a connection is back in the pool for milliseconds; only
    one that has waited longer is checked, and a failed check makes the pool try a fresh
    connection (up to three times) instead of failing the request."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < idle_seconds:
            return  # new, or used a moment ago
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(f"a pooled connection had gone: {error}") from error


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    # Overwrite deleted content, so rows rewritten on close leave no old copies behind.
    cursor.execute("PRAGMA secure_delete = ON")
    # When the write-ahead log starts again after a checkpoint, cut the file back to what the
    # next commit writes: old commits do not linger past the end of the log (see trim_log).
    cursor.execute("PRAGMA journal_size_limit = 0")
    cursor.close()
