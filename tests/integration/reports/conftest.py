"""A closed, analysed report survey on the sample application.

Building it (40 responses sealed, then analysed) takes seconds and most report tests only
read it, so each test module builds it once (``analysed``) and every test that asks for
``built`` gets ``sample_app`` on a copy of that database (tests/helpers/prepared.py): the tests
share no database, only the work of building one. On PostgreSQL (a test marked
``both_databases``) the survey is built for the test itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from survey_app import create_app
from survey_app.extensions import get_db
from tests.conftest import FIXTURE_QUESTIONNAIRES, make_config
from tests.helpers.databases import TestDatabases
from tests.helpers.prepared import Prepared, prepare_sample
from tests.integration.reports.support import Built, closed_survey


@pytest.fixture(scope="module")
def analysed(
    tmp_path_factory: pytest.TempPathFactory, test_databases: TestDatabases
) -> Prepared[Built]:
    """The closed, analysed survey, built once for the module."""
    return prepare_sample(tmp_path_factory, test_databases, "analysed", closed_survey)


@pytest.fixture
def sample_app(
    request: pytest.FixtureRequest, tmp_path: Path, database_kind: str
) -> Iterator[Flask]:
    """The application with the test questionnaires, as in tests/conftest.py; for a test that
    asks for ``built`` too, on SQLite, on a copy of the module's analysed survey."""
    if "built" in request.fixturenames and database_kind == "sqlite":
        application = request.getfixturevalue("analysed").app(tmp_path)
    else:
        url = request.getfixturevalue("database_url")
        application = create_app(
            make_config(tmp_path, url, SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES))
        )
    yield application
    with application.app_context():
        get_db().dispose()


@pytest.fixture
def built(request: pytest.FixtureRequest, sample_app: Flask, database_kind: str) -> Built:
    if database_kind == "sqlite":
        found: Built = request.getfixturevalue("analysed").made
        return found
    return closed_survey(sample_app)
