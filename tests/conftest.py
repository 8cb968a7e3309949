"""Shared fixtures: a real database (an SQLite file, and PostgreSQL when the machine has one),
an application on it, and its test client.

Every test that uses ``database_url`` (and so ``app``) runs once per database. PostgreSQL
tests need ``TEST_DATABASE_URL``; each test gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from config import ROOT, TestConfig, test_database_url
from survey_app import create_app
from survey_app.extensions import get_db
from survey_app.storage import migrating

REAL_QUESTIONNAIRES = ROOT / "questionnaires"
FIXTURE_QUESTIONNAIRES = Path(__file__).parent / "fixtures" / "questionnaires"
NO_POSTGRES = "TEST_DATABASE_URL is not set: PostgreSQL tests need a server (CI sets it)"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        (tmp_path / "instance").mkdir(exist_ok=True)
        yield f"sqlite:///{tmp_path / 'instance' / 'candour.db'}"
        return
    server = test_database_url()
    if server is None:
        pytest.skip(NO_POSTGRES)
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in server else "?"
    yield f"{server}{separator}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def make_config(tmp_path: Path, database_url: str, **overrides: Any) -> TestConfig:
    config = TestConfig({"SURVEY_INSTANCE_DIR": str(tmp_path / "instance")})
    config.SURVEY_DATABASE_URL = database_url
    config.SURVEY_QUESTIONNAIRE_DIR = str(REAL_QUESTIONNAIRES)
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


def migrated_app(config: TestConfig) -> Flask:
    app = create_app(config)
    with app.app_context():
        migrating.upgrade(get_db(), app.config["SURVEY_MIGRATIONS_DIR"])
    return app


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """The application on a migrated, empty database with the real questionnaires."""
    application = migrated_app(make_config(tmp_path, database_url))
    yield application
    with application.app_context():
        get_db().dispose()


@pytest.fixture
def sample_app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """The application with the test questionnaires (every question type, show_if, numbers)."""
    config = make_config(
        tmp_path, database_url, SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES)
    )
    application = migrated_app(config)
    yield application
    with application.app_context():
        get_db().dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
