"""``flask db upgrade`` takes an empty database to head, and models and migrations agree."""

from __future__ import annotations

from sqlalchemy import inspect

from config import ROOT
from survey_app.storage import migrating
from survey_app.storage.database import Database

MIGRATIONS = ROOT / "migrations"


def test_upgrade_from_empty_to_head_matches_the_models(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert migrating.current_revision(db) is None
        migrating.upgrade(db, MIGRATIONS)
        assert migrating.current_revision(db) == migrating.head_revision(MIGRATIONS)
        assert migrating.schema_differences(db) == []
        tables = set(inspect(db.engine).get_table_names())
        assert {"surveys", "key_slots", "responses", "access_codes"} <= tables
    finally:
        db.dispose()


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    db = Database(database_url)
    try:
        migrating.upgrade(db, MIGRATIONS)
        migrating.downgrade(db, MIGRATIONS, "base")
        assert migrating.current_revision(db) is None
        assert "responses" not in inspect(db.engine).get_table_names()
        migrating.upgrade(db, MIGRATIONS)
        assert migrating.schema_differences(db) == []
    finally:
        db.dispose()


def test_a_model_change_without_a_migration_is_detected(database_url: str) -> None:
    """The agreement check can fail: drop a column the models declare and it is reported."""
    db = Database(database_url)
    try:
        migrating.upgrade(db, MIGRATIONS)
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP INDEX ix_key_slots_survey_id")
        differences = migrating.schema_differences(db)
        assert any("ix_key_slots_survey_id" in repr(d) for d in differences)
    finally:
        db.dispose()
