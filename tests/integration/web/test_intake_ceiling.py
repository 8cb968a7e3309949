"""Open surveys accept at most so many responses a minute.

The counter is per survey, never per sender, and is shared by every server process through
Redis (or one process's memory for ``make run``). A send over the ceiling stores nothing,
keeps the respondent's draft and asks them to send again; staff see how many sends were
turned away each day. Codes surveys need no ceiling: each code makes one response at most.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app import create_app
from survey_app.extensions import get_db
from survey_app.services.intake import IntakeCeiling, refused_days
from survey_app.services.surveys import SurveyInfo, set_responses_per_minute
from survey_app.storage.models import IntakeRefusal, Response
from tests.conftest import make_config
from tests.helpers.databases import TestDatabases
from tests.helpers.journey import create_survey
from tests.helpers.pages import check_page
from tests.integration.staff.support import events, signed_in
from tests.integration.web.support import CHECK, DONE, SLUG, answer_first_two, stored

REDIS = "redis://127.0.0.1:6379/15"


def ready_to_send(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    answer_first_two(client)
    return client, check_page(client.get(CHECK)).csrf_token()


def set_ceiling(app: Flask, value: int | None) -> None:
    with app.app_context():
        set_responses_per_minute(get_db(), SLUG, value)


def test_a_send_over_the_ceiling_stores_nothing_and_keeps_the_draft(sample_app: Flask) -> None:
    info = create_survey(sample_app, SLUG, access="open")
    set_ceiling(sample_app, 2)
    for _ in range(2):
        client, token = ready_to_send(sample_app)
        assert client.post(CHECK, data={"csrf_token": token}).headers["Location"] == DONE
    late, token = ready_to_send(sample_app)

    busy = check_page(late.post(CHECK, data={"csrf_token": token}), 429)
    assert busy.h1 == "Please send your answers again in a minute"
    assert "your answers are still in this browser" in busy.text()
    assert stored(sample_app, info) == 2

    # A minute later (here: a higher ceiling) the same browser sends the same draft.
    set_ceiling(sample_app, 10)
    again = late.post(CHECK, data={"csrf_token": busy.csrf_token()})
    assert again.status_code == 303 and again.headers["Location"] == DONE
    assert stored(sample_app, info) == 3
    with sample_app.app_context():
        (day,) = refused_days(get_db(), info.id)
    assert day.refused == 1


def test_a_second_send_of_a_sent_draft_does_not_use_up_the_minute(sample_app: Flask) -> None:
    info = create_survey(sample_app, SLUG, access="open")
    set_ceiling(sample_app, 1)
    client, token = ready_to_send(sample_app)
    twin = sample_app.test_client()
    for cookie in client._cookies.values():  # the same browser's cookies, copied
        twin.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    assert client.post(CHECK, data={"csrf_token": token}).status_code == 303
    replay = twin.post(CHECK, data={"csrf_token": token})
    assert replay.status_code == 409  # "already sent", not "send again in a minute"
    assert stored(sample_app, info) == 1
    with sample_app.app_context():
        assert refused_days(get_db(), info.id) == []


def test_codes_surveys_have_no_ceiling(sample_app: Flask) -> None:
    info = create_survey(sample_app, SLUG, access="codes")
    with sample_app.app_context(), pytest.raises(Exception, match="Only open surveys"):
        set_responses_per_minute(get_db(), SLUG, 1)
    assert info.responses_per_minute is None


def test_staff_see_the_ceiling_and_the_days_it_turned_sends_away(sample_app: Flask) -> None:
    info = create_survey(sample_app, SLUG, access="open")
    set_ceiling(sample_app, 1)
    client, token = ready_to_send(sample_app)
    client.post(CHECK, data={"csrf_token": token})
    for _ in range(3):
        late, token = ready_to_send(sample_app)
        assert late.post(CHECK, data={"csrf_token": token}).status_code == 429

    staff, _ = signed_in(sample_app, "admin")
    page = check_page(staff.get(f"/staff/surveys/{SLUG}"))
    assert page.one("#survey-ceiling").get_text(strip=True) == "1"
    notice = page.one("#ceiling-notice").get_text(" ", strip=True)
    assert "3 sends turned away" in notice and "access codes" in notice

    form = check_page(staff.get(f"/staff/surveys/{SLUG}/ceiling"))
    csrf = str(form.one("main form input[name=csrf_token]")["value"])
    bad = staff.post(f"/staff/surveys/{SLUG}/ceiling", data={"csrf_token": csrf, "per_minute": "²"})
    assert check_page(bad).error_messages() == [
        "Enter the most responses a minute, as a whole number"
    ]
    saved = staff.post(
        f"/staff/surveys/{SLUG}/ceiling", data={"csrf_token": csrf, "per_minute": "250"}
    )
    assert saved.status_code == 303
    after = check_page(staff.get(saved.headers["Location"]))
    assert after.one("#survey-ceiling").get_text(strip=True) == "250"
    with sample_app.app_context(), get_db().session() as session:
        refusals = session.scalars(
            select(IntakeRefusal.refused).where(IntakeRefusal.survey_id == info.id)
        ).all()
        rows = session.scalars(select(Response.id).where(Response.survey_id == info.id)).all()
    assert refusals == [3] and len(rows) == 1
    assert [e.detail for e in events(sample_app, "ceiling_changed")] == ["250 a minute"]


@pytest.mark.parametrize("storage", ["memory://", REDIS])
def test_the_counter_is_per_survey_and_shared_by_every_process(storage: str) -> None:
    # Two ceilings on one storage stand for two server processes.
    first, second = IntakeCeiling(storage), IntakeCeiling(storage)
    survey, other = uuid.uuid4().hex, uuid.uuid4().hex
    shared = first if storage == "memory://" else second
    accepted = [first.admit(survey, 5) for _ in range(3)] + [
        shared.admit(survey, 5) for _ in range(4)
    ]
    assert accepted.count(True) == 5 and accepted[-2:] == [False, False]
    assert first.admit(other, 5)  # another survey has its own minute


def test_two_server_processes_share_one_ceiling_through_redis(
    tmp_path: Path, test_databases: TestDatabases
) -> None:
    database = test_databases.sqlite_migrated(tmp_path / "shared.db")
    overrides = {
        "REDIS_URL": REDIS,
        "RATELIMIT_STORAGE_URI": REDIS,
        "SURVEY_QUESTIONNAIRE_DIR": str(Path(__file__).parents[2] / "fixtures" / "questionnaires"),
    }
    one = create_app(make_config(tmp_path / "a", database, **overrides))
    two = create_app(make_config(tmp_path / "b", database, **overrides))
    info: SurveyInfo = create_survey(one, SLUG, access="open")
    set_ceiling(one, 3)
    sent = []
    for app in (one, two, one, two, one):
        client, token = ready_to_send(app)
        sent.append(client.post(CHECK, data={"csrf_token": token}).status_code)
    assert sent == [303, 303, 303, 429, 429]
    with one.app_context():
        assert len(refused_days(get_db(), info.id)) == 1
