"""Test databases made quickly: migrations run once per test process, not once per test.

Running every migration takes longer than most tests do. So each test process (each
pytest-xdist worker) migrates a template the first time a test needs one, and each test then
starts from a copy of it:

- SQLite: the template file, copied byte for byte.
- PostgreSQL: each test has a schema of its own in the server's database (``search_path``
  names it). While the template schema is migrated, every statement the migrations send is
  recorded; each test's new schema gets the same statements again, sent straight to the
  server without Alembic. (``CREATE DATABASE ... TEMPLATE`` copies a whole database more
  simply, but dropping a database forces a checkpoint: measured, 0.6 s to create and 1.8 s to
  drop on a busy machine, against 0.3 s to replay and 0.15 s to drop a schema.)

Either way a test starts from exactly what migrating an empty database gives; the tests of
the migrations themselves ask for an empty database and run them. Schemas are named
``candour_test_…`` and dropped when their test ends.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, pool, text

from config import Config
from survey_app.storage import migrating
from survey_app.storage.database import Database

MIGRATIONS = Config.SURVEY_MIGRATIONS_DIR
PREFIX = "candour_test_"


def migrate(url: str) -> None:
    """Run every migration on the empty database at ``url`` (as ``flask db upgrade`` does)."""
    database = Database(url)
    try:
        migrating.upgrade(database, MIGRATIONS)
    finally:
        database.dispose()


class TestDatabases:
    """One test process's templates, each made the first time a test needs it: the migrated
    SQLite file, kept in ``folder``, and the statements that migrate a PostgreSQL schema on
    ``server`` (the URL in ``TEST_DATABASE_URL``, or None when the machine has no server).
    """

    __test__ = False  # not a test class, whatever its name

    def __init__(self, folder: Path, server: str | None) -> None:
        self.folder = folder
        self.server = server
        self._sqlite_template: Path | None = None
        self._statements: list[tuple[str, Any, bool]] | None = None
        self._schemas: dict[str, str] = {}  # URL: schema
        self._engine: Engine | None = None

    # --- SQLite ---------------------------------------------------------------------------

    def sqlite_migrated(self, path: Path) -> str:
        """A migrated SQLite database at ``path`` (which must not exist yet): its URL."""
        if self._sqlite_template is None:
            template = self.folder / "template.db"
            migrate(f"sqlite:///{template}")
            # Closing the last connection copied the write-ahead log into the file and removed
            # it, so the one file is the whole database.
            leftovers = sorted(self.folder.glob("template.db-*"))
            assert not leftovers, f"the template was not closed cleanly: {leftovers}"
            self._sqlite_template = template
        assert not path.exists(), f"{path} exists already"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._sqlite_template, path)
        return f"sqlite:///{path}"

    # --- PostgreSQL ---------------------------------------------------------------------

    def postgres_migrated(self) -> str:
        """A new PostgreSQL schema holding what the migrations make: its URL (which sets
        ``search_path`` to it)."""
        if self._statements is None:
            self._statements = self._record_migrations()
        url = self.postgres_empty()
        engine = create_engine(url, poolclass=pool.NullPool)
        try:
            with engine.begin() as connection:
                cursor = connection.connection.driver_connection.cursor()
                for statement, parameters, many in self._statements:
                    if many:
                        cursor.executemany(statement, parameters)
                    else:
                        cursor.execute(statement, parameters)
        finally:
            engine.dispose()
        return url

    def postgres_empty(self) -> str:
        """A new, empty PostgreSQL schema: its URL (which sets ``search_path`` to it)."""
        assert self.server is not None, "PostgreSQL tests need TEST_DATABASE_URL"
        schema = f"{PREFIX}{secrets.token_hex(6)}"
        with self._admin().begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        separator = "&" if "?" in self.server else "?"
        url = f"{self.server}{separator}options={quote(f'-csearch_path={schema}')}"
        self._schemas[url] = schema
        return url

    def drop(self, url: str) -> None:
        """Drop a schema made by ``postgres_migrated`` or ``postgres_empty``, with all it holds."""
        schema = self._schemas.pop(url)
        with self._admin().begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))

    def close(self) -> None:
        for url in list(self._schemas):
            self.drop(url)
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _record_migrations(self) -> list[tuple[str, Any, bool]]:
        """Migrate a template schema, keeping every statement sent (then drop it)."""
        url = self.postgres_empty()
        recorded: list[tuple[str, Any, bool]] = []
        database = Database(url)

        def record(*args: Any) -> None:
            _connection, _cursor, statement, parameters, _context, many = args
            recorded.append((statement, parameters, many))

        event.listen(database.engine, "before_cursor_execute", record)
        try:
            migrating.upgrade(database, MIGRATIONS)
        finally:
            database.dispose()
            self.drop(url)
        return recorded

    def _admin(self) -> Engine:
        if self._engine is None:
            assert self.server is not None
            self._engine = create_engine(self.server, poolclass=pool.NullPool)
        return self._engine
