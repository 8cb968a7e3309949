"""Work that many tests start from, done once per module and copied for each test.

Building an analysed survey (its responses sealed, then analysed) takes seconds, and most
tests that use one only read it. So a module-scoped fixture prepares it once, in an SQLite
database of its own, and each test gets a copy of that database under a new application with
the same secrets (the keys that sealed what the database holds). The tests share no database,
no application and no memory, only the work of building: each stays independent, and a test
that changes its copy changes nothing for the next.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from flask import Flask

from survey_app import create_app
from survey_app.extensions import get_db
from tests.conftest import FIXTURE_QUESTIONNAIRES, make_config
from tests.helpers.databases import TestDatabases

T = TypeVar("T")
# What a copy needs to open what the prepared database holds (and its sign-in cookies).
SECRETS = ("SECRET_KEY", "SURVEY_DATA_KEYS", "SURVEY_CODE_SECRET")


@dataclass(frozen=True)
class Prepared(Generic[T]):
    """A database prepared once, the settings of the application that prepared it, and what
    the preparing function returned (``made``: slugs, ids)."""

    database: Path
    settings: dict[str, Any]
    made: T

    def app(self, tmp_path: Path) -> Flask:
        """A new application on a copy of the prepared database, in ``tmp_path``."""
        path = tmp_path / "instance" / "candour.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.database, path)
        return create_app(make_config(tmp_path, f"sqlite:///{path}", **self.settings))


def prepare(
    folder: Path, databases: TestDatabases, build: Callable[[Flask], T], **overrides: Any
) -> Prepared[T]:
    """Run ``build`` on an application with a new migrated SQLite database in ``folder`` (and
    the settings ``overrides``), then close the database so that it can be copied."""
    path = folder / "instance" / "candour.db"
    app = create_app(make_config(folder, databases.sqlite_migrated(path), **overrides))
    try:
        made = build(app)
    finally:
        with app.app_context():
            get_db().dispose()
    leftovers = sorted(path.parent.glob(f"{path.name}-*"))
    assert not leftovers, f"the prepared database was not closed cleanly: {leftovers}"
    settings = {**overrides, **{name: app.config[name] for name in SECRETS}}
    return Prepared(path, settings, made)


def prepare_sample(
    factory: Any, databases: TestDatabases, name: str, build: Callable[[Flask], T]
) -> Prepared[T]:
    """`prepare` with the test questionnaires, in a new folder ``name`` of pytest's
    ``tmp_path_factory``: what the modules' fixtures that build a sample survey once need."""
    return prepare(
        factory.mktemp(name),
        databases,
        build,
        SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES),
    )
