"""``flask db upgrade`` takes an empty database to head, and models and migrations agree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import inspect

from config import ROOT
from survey_app.extensions import get_code_secret, get_db, get_keyring
from survey_app.services.codes import issue_codes
from survey_app.storage import migrating
from survey_app.storage.database import Database
from tests.helpers.journey import create_survey

MIGRATIONS = ROOT / "migrations"


def test_upgrade_from_empty_to_head_matches_the_models(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        assert migrating.current_revision(db) is None
        migrating.upgrade(db, MIGRATIONS)
        assert migrating.current_revision(db) == migrating.head_revision(MIGRATIONS)
        assert migrating.schema_differences(db) == []
        tables = set(inspect(db.engine).get_table_names())
        assert {"surveys", "key_slots", "responses", "access_codes"} <= tables
    finally:
        db.dispose()


def test_downgrade_to_base_and_up_again(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        migrating.upgrade(db, MIGRATIONS)
        migrating.downgrade(db, MIGRATIONS, "base")
        assert migrating.current_revision(db) is None
        assert "responses" not in inspect(db.engine).get_table_names()
        migrating.upgrade(db, MIGRATIONS)
        assert migrating.schema_differences(db) == []
    finally:
        db.dispose()


def test_a_tests_database_is_a_copy_at_head_with_nothing_in_it(database_url: str) -> None:
    """What ``database_url`` gives every other test (a copy of the migrated template) is what
    migrating an empty database gives: the newest revision, the models' schema, no rows."""
    db = Database(database_url)
    try:
        assert migrating.current_revision(db) == migrating.head_revision(MIGRATIONS)
        assert migrating.schema_differences(db) == []
        with db.engine.connect() as connection:
            for table in inspect(db.engine).get_table_names():
                if table != "alembic_version":
                    count = connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                    assert count == 0, table
    finally:
        db.dispose()


def test_a_model_change_without_a_migration_is_detected(empty_database_url: str) -> None:
    """The agreement check can fail: drop a column the models declare and it is reported."""
    db = Database(empty_database_url)
    try:
        migrating.upgrade(db, MIGRATIONS)
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP INDEX ix_key_slots_survey_id")
        differences = migrating.schema_differences(db)
        assert any("ix_key_slots_survey_id" in repr(d) for d in differences)
    finally:
        db.dispose()


def counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            table: int(connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())
            for table in ("surveys", "key_slots", "access_codes", "audit_events")
        }


def test_stepping_down_and_up_keeps_every_row(sample_app: Flask) -> None:
    """A migration that rebuilds a table (SQLite has no ALTER for most changes, so it copies
    the table and drops the old one) must not let that drop cascade to the rows that refer to
    it: stepping back one migration at a time and forward again keeps surveys' key slots."""
    info = create_survey(sample_app, "sample-survey", slug="kept", access="codes")
    with sample_app.app_context():
        issue_codes(get_db(), info.slug, 3, get_code_secret())
        db = get_db()
        before = counts(db)
        assert before["key_slots"] == 1 and before["surveys"] == 1
        assert before["access_codes"] == 3
        for revision in ("0009", "0008", "0007", "0006", "0005", "0004"):
            migrating.downgrade(db, MIGRATIONS, revision, keyring=get_keyring())
            assert counts(db) == before, f"rows lost stepping down to {revision}"
        migrating.upgrade(db, MIGRATIONS, keyring=get_keyring())
        assert counts(db) == before
        assert migrating.schema_differences(db) == []


def test_a_migration_that_breaks_a_reference_changes_nothing(
    sample_app: Flask, tmp_path: Path
) -> None:
    """Foreign keys are off while SQLite migrations run and checked before the commit: a
    migration that leaves key slots without their survey is rolled back whole."""
    create_survey(sample_app, "sample-survey", slug="kept")
    broken = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, broken, ignore=shutil.ignore_patterns("__pycache__"))
    head = migrating.head_revision(MIGRATIONS)
    (broken / "versions" / "9999_breaks.py").write_text(
        f'revision = "9999"\ndown_revision = "{head}"\n'
        "from alembic import op\n"
        "def upgrade():\n"
        '    op.execute("DELETE FROM surveys")\n'
        "def downgrade():\n"
        "    pass\n",
        encoding="utf-8",
    )
    with sample_app.app_context():
        db = get_db()
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL alters tables in place and enforces keys as declared")
        before = counts(db)
        with pytest.raises(migrating.ForeignKeyError, match="key_slots"):
            migrating.upgrade(db, broken)
        assert migrating.current_revision(db) == head
        assert counts(db) == before
