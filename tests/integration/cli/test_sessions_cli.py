"""`flask series` and `flask sessions`: a series and a session run from the command line."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from survey_app.extensions import get_db
from survey_app.services import audit, sessions
from tests.helpers.journey import PASSPHRASE


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def test_a_series_and_a_session_from_the_command_line(app: Flask, runner: FlaskCliRunner) -> None:
    created = runner.invoke(
        args=[
            "series", "create", "--questionnaire", "reflective-space-feedback",
            "--title", "Reflective Space 2026-27", "--key-label", "Programme lead",
            "--passphrase", PASSPHRASE,
        ]
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "Created series 'reflective-space-2026-27' (minimum group 10)." in created.stdout
    added = runner.invoke(
        args=[
            "sessions", "create", "--series", "reflective-space-2026-27",
            "--title", "December session", "--date", "2026-12-10", "--format", "online",
        ]
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    found = re.search(r"short code ([A-Z0-9]{6})\.", added.stdout)
    assert found is not None
    code = found.group(1)
    started = runner.invoke(args=["sessions", "start", code.lower()])
    assert started.exit_code == 0, started.output
    assert "is taking responses until" in started.stdout
    again = runner.invoke(args=["sessions", "start", code])
    assert again.exit_code != 0 and "already taking responses" in again.output
    listed = runner.invoke(args=["sessions", "list", "--series", "reflective-space-2026-27"])
    assert listed.stdout.split()[:5] == [code, "2026-12-10", "online", "open", "0"]
    closed = runner.invoke(args=["sessions", "close", code])
    assert closed.exit_code == 0 and "closed at" in closed.stdout
    unknown = runner.invoke(args=["sessions", "start", "ZZZZZZ"])
    assert "There is no session with the short code 'ZZZZZZ'" in unknown.output
    bad = runner.invoke(
        args=["sessions", "create", "--series", "nope", "--title", "x", "--date", "2026-12-10",
              "--format", "online"]
    )  # fmt: skip
    assert "There is no series with the slug 'nope'" in bad.output
    with app.app_context():
        actions = [e.action for e in audit.list_events(get_db(), 1, per_page=50).events]
        assert {"session_created", "session_started", "session_closed"} <= set(actions)
        (only,) = sessions.list_sessions(
            get_db(), sessions.series_of(get_db(), "reflective-space-2026-27").id
        )
    assert only.short_code == code
