"""Engine and session handling, with safe settings for the embedded SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool


class Database:
    """An engine plus a session factory. One per application (and one per benchmark)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def purge_deleted_rows(self, table: str) -> None:
        """Make rows deleted from ``table`` unrecoverable from the database files.

        SQLite already overwrites deleted content (``secure_delete``); its write-ahead log
        still holds older page images until a checkpoint, so truncate it. PostgreSQL keeps
        dead rows in the table's pages until a vacuum; ``VACUUM FULL`` rewrites the table.
        """
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif self.engine.dialect.name == "postgresql":
            quoted = self.engine.dialect.identifier_preparer.quote(table)
            with self.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as connection:
                connection.exec_driver_sql(f"VACUUM FULL {quoted}")

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # A new connection per checkout keeps forked gunicorn workers apart; SQLite
        # connections are cheap. WAL lets readers work while one writer commits.
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    # Overwrite deleted content, so rows rewritten on close leave no old copies behind.
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()
