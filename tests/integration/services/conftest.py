"""Fixtures for the service tests: the database and questionnaire of the sample application.

The services take a ``Database`` as an argument, so these tests call them directly, without
the web pages, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from survey_app.domain.model import Questionnaire
from survey_app.extensions import get_code_secret, get_db, get_questionnaires
from survey_app.services import surveys
from survey_app.storage.database import Database
from tests.helpers.journey import PASSPHRASE

SAMPLE = "sample-survey"


@pytest.fixture
def db(sample_app: Flask) -> Database:
    with sample_app.app_context():
        return get_db()


@pytest.fixture
def questionnaire(sample_app: Flask) -> Questionnaire:
    with sample_app.app_context():
        return get_questionnaires()[SAMPLE]


@pytest.fixture
def code_secret(sample_app: Flask) -> bytes:
    with sample_app.app_context():
        return get_code_secret()


@pytest.fixture
def log2_n(sample_app: Flask) -> int:
    return int(sample_app.config["SURVEY_SCRYPT_LOG2_N"])


def new_survey(
    db: Database,
    questionnaire: Questionnaire,
    *,
    slug: str,
    access: str = "open",
    open_it: bool = True,
    passphrase: str = PASSPHRASE,
    log2_n: int = 12,
) -> surveys.SurveyInfo:
    info = surveys.create_survey(
        db,
        questionnaire,
        title=f"Survey {slug}",
        access=access,
        min_group=10,
        key_label="Lead analyst",
        passphrase=passphrase,
        log2_n=log2_n,
        slug=slug,
    )
    if open_it:
        info = surveys.open_survey(db, slug)
    return info


def minimal_answers(comment: str | None = None, **extra: Any) -> dict[str, Any]:
    """The fewest answers the sample questionnaire accepts, plus an optional comment."""
    answers: dict[str, Any] = {
        "colour": "red",
        "statements": {"tea": "agree", "rain": "disagree"},
    }
    if comment is not None:
        answers["comment"] = comment
    answers.update(extra)
    return answers


def raw_rows(db: Database, table: str, **where: Any) -> list[dict[str, Any]]:
    """Every row of ``table`` as the database driver returns it, without the ORM."""
    clause = " AND ".join(f"{name} = :{name}" for name in where)
    sql = f"SELECT * FROM {table}" + (f" WHERE {clause}" if clause else "")
    with db.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(sql), where)]
