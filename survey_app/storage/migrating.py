"""Thin wrappers over Alembic's command API, used by ``flask db`` and the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from survey_app.crypto import Keyring
from survey_app.storage.database import Database
from survey_app.storage.models import Base


def alembic_config(database: Database, migrations_dir: str | Path) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return cfg


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
    with database.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        cfg.attributes["keyring"] = keyring
        command.upgrade(cfg, revision)


def downgrade(
    database: Database, migrations_dir: str | Path, revision: str, *, keyring: Keyring | None = None
) -> None:
    cfg = alembic_config(database, migrations_dir)
    with database.engine.begin() as connection:
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
