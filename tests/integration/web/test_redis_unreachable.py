"""When Redis is unreachable (restarting, a network fault), nobody loses anything.

Production keeps the open surveys' ceiling and the staff sign-in limits in Redis. If it goes
away, a respondent's send is still stored (the ceiling guards against scripts; it must never
cost a real person their answers) and staff can still sign in, counted in each process's
memory until Redis is back. Neither sees an error page.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy.exc import OperationalError

from survey_app import create_app
from tests.conftest import make_config
from tests.helpers.journey import create_survey
from tests.helpers.pages import check_page
from tests.integration.staff.support import make_user, sign_in, submit_password
from tests.integration.web.support import CHECK, DONE, SLUG, answer_first_two, stored


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def app_without_redis(tmp_path: Path, database_url: str) -> Flask:
    unreachable = f"redis://127.0.0.1:{closed_port()}/0"
    config = make_config(
        tmp_path,
        database_url,
        REDIS_URL=unreachable,
        RATELIMIT_STORAGE_URI=unreachable,
        SURVEY_QUESTIONNAIRE_DIR=str(Path(__file__).parents[2] / "fixtures" / "questionnaires"),
    )
    return create_app(config)


def test_a_respondents_answers_are_stored_while_redis_is_down(app_without_redis: Flask) -> None:
    info = create_survey(app_without_redis, SLUG, access="open")
    client = app_without_redis.test_client()
    answer_first_two(client)
    token = check_page(client.get(CHECK)).csrf_token()
    sent = client.post(CHECK, data={"csrf_token": token})
    assert sent.status_code == 303 and sent.headers["Location"] == DONE
    assert stored(app_without_redis, info) == 1


def test_staff_sign_in_while_redis_is_down_and_are_still_limited(
    app_without_redis: Flask,
) -> None:
    staff = make_user(app_without_redis, "viewer")
    client = app_without_redis.test_client()
    sign_in(client, staff)
    assert check_page(client.get("/staff/", follow_redirects=True)).h1
    # Wrong passwords are still counted (in this process's memory) and refused in the end.
    other = app_without_redis.test_client()
    statuses = []
    for _ in range(12):
        statuses.append(submit_password(other, staff.email, "wrong").status_code)
    assert 500 not in statuses
    assert 429 in statuses


def test_a_page_that_needs_an_unreachable_service_says_so_with_503(
    app_without_redis: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """Any page whose Redis or database call fails gets the "unavailable for a moment" page
    (503, which a proxy or monitor reads as a passing outage), never the fault page."""

    def needs_redis() -> str:
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1")

    def needs_the_database() -> str:
        raise OperationalError("SELECT 1", {}, OSError("could not connect to server"))

    app_without_redis.add_url_rule("/needs-redis", view_func=needs_redis)
    app_without_redis.add_url_rule("/needs-the-database", view_func=needs_the_database)
    client = app_without_redis.test_client()
    for url in ("/needs-redis", "/needs-the-database"):
        page = check_page(client.get(url), 503)
        assert page.h1 == "Sorry, the service is unavailable for a moment"
    assert "127.0.0.1" not in caplog.text  # the log names the failure, not its detail
    assert "ConnectionError in needs_redis" in caplog.text
