"""Engine and session handling, with safe settings for the embedded SQLite database."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


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
            # Pooled connections are idle here, but another process may be reading: retry
            # until the checkpoint is not blocked (busy flag 0), briefly.
            for _attempt in range(50):
                with self.engine.connect() as connection:
                    busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
                if not busy:
                    break
                time.sleep(0.1)
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
        # Pooled connections: opening one (and setting its pragmas) costs far more than a
        # query in WAL mode. A forked process starts with an empty pool of its own.
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
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
