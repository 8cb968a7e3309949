"""Browser tests: the real app served on 127.0.0.1, driven by Debian's Chromium via Playwright.

Skipped with a reason when Chromium or Playwright is missing; CI installs both.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from survey_app import create_app
from survey_app.extensions import get_db
from tests.conftest import FIXTURE_QUESTIONNAIRES, make_config
from tests.helpers.databases import TestDatabases

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser`` (a ``pytestmark`` here would mark nothing):
    `make test` leaves them out, `make test-browser` and CI run them."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


def serve(
    tmp_path: Path, databases: TestDatabases, **overrides: Any
) -> Iterator[tuple[Flask, str]]:
    url = databases.sqlite_migrated(tmp_path / "instance" / "candour.db")
    app = create_app(make_config(tmp_path, url, **overrides))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["SURVEY_EXIT_URL"] = f"{base}/healthz"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, base
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        get_db().dispose()


@pytest.fixture
def live_app(tmp_path: Path, test_databases: TestDatabases) -> Iterator[tuple[Flask, str]]:
    """The app on an SQLite file, served by a real HTTP server on a free local port."""
    yield from serve(tmp_path, test_databases)


@pytest.fixture
def live_sample_app(tmp_path: Path, test_databases: TestDatabases) -> Iterator[tuple[Flask, str]]:
    """The same, with the test questionnaires."""
    yield from serve(tmp_path, test_databases, SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES))
