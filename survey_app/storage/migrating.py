"""Thin wrappers over Alembic's command API, used by ``flask db`` and the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from survey_app.crypto import Keyring
from survey_app.storage.database import Database
from survey_app.storage.models import Base


def alembic_config(database: Database, migrations_dir: str | Path) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return cfg


class ForeignKeyError(RuntimeError):
    """A migration left rows that refer to rows no longer there; nothing was changed."""


@contextmanager
def _migrating(database: Database) -> Iterator[Connection]:
    """A connection for migrations, in one transaction that commits only if it all succeeds.

    SQLite changes most of a table by building a copy and dropping the original; with foreign
    keys enforced, that drop deletes every row that refers to the table by ON DELETE CASCADE
    (a survey's key slots and codes, when ``surveys`` is rebuilt). So on SQLite the keys are off
    while migrations run (the pragma has no effect inside a transaction, hence before it) and
    checked before the commit: a migration that broke a reference is rolled back."""
    with database.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            connection.commit()  # SQLAlchemy's own begin; SQLite began nothing for a pragma
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        tables = sorted({row[0] for row in broken})
                        raise ForeignKeyError(
                            f"rows refer to rows that are gone, in {', '.join(tables)}"
                        )
        finally:
            if sqlite:
                connection.rollback()  # whatever a failed migration left open
                connection.exec_driver_sql("PRAGMA foreign_keys = ON")
                connection.commit()


def upgrade(
    database: Database,
    migrations_dir: str | Path,
    revision: str = "head",
    *,
    keyring: Keyring | None = None,
) -> None:
    """Bring the schema up to ``revision``. ``keyring`` (the server's data keys) lets a
    migration re-encrypt what it moves, such as stored releases (0010)."""
    cfg = alembic_config(database, migrations_dir)
    with _migrating(database) as connection:
        cfg.attributes["connection"] = connection
        cfg.attributes["keyring"] = keyring
        command.upgrade(cfg, revision)


def downgrade(
    database: Database, migrations_dir: str | Path, revision: str, *, keyring: Keyring | None = None
) -> None:
    cfg = alembic_config(database, migrations_dir)
    with _migrating(database) as connection:
        cfg.attributes["connection"] = connection
        cfg.attributes["keyring"] = keyring
        command.downgrade(cfg, revision)


def revision(
    database: Database, migrations_dir: str | Path, message: str, autogenerate: bool
) -> None:
    cfg = alembic_config(database, migrations_dir)
    with database.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=autogenerate)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(migrations_dir: str | Path) -> str | None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations_dir))
    return ScriptDirectory.from_config(cfg).get_current_head()


def schema_differences(database: Database) -> list[Any]:
    """What the models declare that the migrated database lacks (empty when they agree)."""
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))
