"""Shared fixtures: a real database, an application on it, and its test client.

Which databases a test runs on. Every test that needs a database (``database_url`` or
``empty_database_url``, and so ``app`` and ``sample_app``) runs on an SQLite file. The tests
of what is stored and how -- every test in the folders ``BOTH_DATABASES`` lists (storage,
services, anonymity) -- and the tests marked ``both_databases`` (one full journey, from a
respondent's answers to a published report) run on PostgreSQL as well, when
``TEST_DATABASE_URL`` names a server (CI sets it; without it those runs are skipped).
``pytest_generate_tests`` below applies this rule; a test elsewhere that must run on
PostgreSQL too takes the marker. Every PostgreSQL run is marked ``postgres``, so
``-m postgres`` selects them. (Two modules that fuzz every route with hostile text,
tests/integration/web/test_fuzz_routes.py and test_robustness.py, build one world per module
on both databases themselves: some text fails only on PostgreSQL.)

Migrated once. ``database_url`` is a database of the test's own at the newest migration,
copied from a template that each test process migrates once (tests/helpers/databases.py):
much quicker than migrating for every test. ``empty_database_url`` is an empty database, for
the tests of the migrations themselves.

Also here: the applications of one test process share compiled templates
(``CompiledTemplates``), and files with slow tests run first (``pytest_collection_modifyitems``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from config import ROOT, TestConfig, test_database_url
from survey_app import create_app
from survey_app.extensions import get_db
from survey_app.storage import migrating
from tests.helpers.databases import TestDatabases

TESTS = Path(__file__).parent
REAL_QUESTIONNAIRES = ROOT / "questionnaires"
FIXTURE_QUESTIONNAIRES = TESTS / "fixtures" / "questionnaires"
NO_POSTGRES = "TEST_DATABASE_URL is not set: PostgreSQL tests need a server (CI sets it)"
# Folders (under tests/) whose tests run on PostgreSQL as well as SQLite.
BOTH_DATABASES = ("integration/storage", "integration/services", "integration/anonymity")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that needs a database on SQLite, and on PostgreSQL too if it is in one of
    the ``BOTH_DATABASES`` folders or marked ``both_databases``."""
    if "database_kind" not in metafunc.fixturenames:
        return
    kinds: list[Any] = ["sqlite"]
    if runs_on_both_databases(metafunc.definition):
        kinds.append(pytest.param("postgres", marks=pytest.mark.postgres))
    metafunc.parametrize("database_kind", kinds, indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with a test marked ``slow`` first, then the others, those with most tests first.
    `make test` hands whole files to its workers in this order (``--dist loadfile
    --no-loadscope-reorder``), so a long file never starts last while the others wait."""
    by_file: dict[Path, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(item.path, []).append(item)

    def order(path: Path) -> tuple[bool, int]:
        tests = by_file[path]
        return (not any(t.get_closest_marker("slow") for t in tests), -len(tests))

    items[:] = [item for path in sorted(by_file, key=order) for item in by_file[path]]


def runs_on_both_databases(node: pytest.Item) -> bool:
    folder = node.path.parent.relative_to(TESTS).as_posix()
    in_folder = any(folder == f or folder.startswith(f"{f}/") for f in BOTH_DATABASES)
    return in_folder or node.get_closest_marker("both_databases") is not None


@pytest.fixture
def database_kind(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgres``: which of them is up to ``pytest_generate_tests``."""
    kind: str = request.param
    if kind == "postgres" and test_database_url() is None:
        pytest.skip(NO_POSTGRES)
    return kind


class CompiledTemplates(BytecodeCache):
    """Compiled templates, shared by the applications of one test process.

    Each test builds an application of its own, and each application's Jinja environment
    would compile again every template it renders: a quarter of the time of a typical page
    test. Jinja compares a template's source with what was compiled before using it, so a
    changed template is compiled again.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._compiled:
            bucket.bytecode_from_string(self._compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture(scope="session", autouse=True)
def compiled_templates() -> Iterator[None]:
    """Every application a test builds uses this process's ``CompiledTemplates``."""
    options = {**Flask.jinja_options, "bytecode_cache": CompiledTemplates()}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "jinja_options", options)
        yield


@pytest.fixture(scope="session")
def test_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    """This test process's migrated templates, each made the first time a test needs it."""
    databases = TestDatabases(tmp_path_factory.mktemp("templates"), test_database_url())
    yield databases
    databases.close()


@pytest.fixture
def database_url(
    database_kind: str, tmp_path: Path, test_databases: TestDatabases
) -> Iterator[str]:
    """A database at the newest migration, the test's own: a copy of the migrated template
    (an SQLite file in the test's instance folder, or a new PostgreSQL schema)."""
    if database_kind == "sqlite":
        yield test_databases.sqlite_migrated(tmp_path / "instance" / "candour.db")
        return
    url = test_databases.postgres_migrated()
    yield url
    test_databases.drop(url)


@pytest.fixture
def empty_database_url(
    database_kind: str, tmp_path: Path, test_databases: TestDatabases
) -> Iterator[str]:
    """An empty database that has never been migrated: a new SQLite file, or a new PostgreSQL
    schema."""
    if database_kind == "sqlite":
        (tmp_path / "instance").mkdir(exist_ok=True)
        yield f"sqlite:///{tmp_path / 'instance' / 'candour.db'}"
        return
    url = test_databases.postgres_empty()
    yield url
    test_databases.drop(url)


def make_config(tmp_path: Path, database_url: str, **overrides: Any) -> TestConfig:
    config = TestConfig({"SURVEY_INSTANCE_DIR": str(tmp_path / "instance")})
    config.SURVEY_DATABASE_URL = database_url
    config.SURVEY_QUESTIONNAIRE_DIR = str(REAL_QUESTIONNAIRES)
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


def migrated_app(config: TestConfig) -> Flask:
    """The application, after running every migration on its (empty) database. Tests given a
    ``database_url`` need only ``create_app``: that database is migrated already."""
    app = create_app(config)
    with app.app_context():
        migrating.upgrade(get_db(), app.config["SURVEY_MIGRATIONS_DIR"])
    return app


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """The application on a migrated, empty database with the real questionnaires."""
    application = create_app(make_config(tmp_path, database_url))
    yield application
    with application.app_context():
        get_db().dispose()


@pytest.fixture
def sample_app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """The application with the test questionnaires (every question type, show_if, numbers)."""
    config = make_config(
        tmp_path, database_url, SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES)
    )
    application = create_app(config)
    yield application
    with application.app_context():
        get_db().dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
