"""Each server process holds the survey behind a respondent link for a few seconds
(SURVEY_LINK_CACHE_SECONDS) instead of reading it for every page. What it holds may lag a
change made elsewhere for that long, but never lets answers into a closed survey, and a change
made through this process's own staff pages shows at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from survey_app import create_app
from survey_app.extensions import LINKS, get_db
from survey_app.services.journey import SurveyLinks
from survey_app.services.surveys import close_survey
from tests.conftest import FIXTURE_QUESTIONNAIRES, make_config
from tests.helpers.journey import create_survey, post_page
from tests.helpers.pages import check_page
from tests.integration.staff.support import form_token, signed_in
from tests.integration.web.support import (
    CHECK,
    FIRST,
    SLUG,
    START,
    answer_first_two,
    section_url,
    stored,
)

HOLD = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def held_app(tmp_path: Path, database_url: str, clock: Clock) -> Iterator[Flask]:
    """The sample questionnaire's app, holding surveys for HOLD seconds of ``clock``."""
    config = make_config(
        tmp_path,
        database_url,
        SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES),
        SURVEY_LINK_CACHE_SECONDS=HOLD,
    )
    application = create_app(config)
    application.extensions[LINKS] = SurveyLinks(HOLD, clock=clock)
    yield application
    with application.app_context():
        get_db().dispose()


def test_a_survey_closed_elsewhere_takes_no_answers_while_its_pages_catch_up(
    held_app: Flask, clock: Clock
) -> None:
    info = create_survey(held_app, "sample-survey")
    respondent = held_app.test_client()
    assert respondent.get(START).status_code == 200
    answer_first_two(respondent)
    # Closed by another process (a command, another server): this one still holds it open.
    with held_app.app_context():
        close_survey(get_db(), SLUG)
    clock.now += HOLD - 1
    check = check_page(respondent.get(CHECK))
    sent = respondent.post(CHECK, data={"csrf_token": check.csrf_token()})
    # Sending reads the survey itself: the closed page, and nothing stored.
    assert sent.status_code == 410
    assert "closed" in check_page(sent, 410).h1.lower()
    assert stored(held_app, info) == 0
    # Once the hold is over, every page says so.
    clock.now += 2
    assert respondent.get(START).status_code == 410
    assert respondent.get(section_url("first")).status_code == 410


def test_a_survey_opened_or_closed_on_this_process_staff_pages_shows_at_once(
    held_app: Flask,
) -> None:
    create_survey(held_app, "sample-survey", open_it=False)
    staff, _ = signed_in(held_app, "admin")
    respondent = held_app.test_client()
    assert respondent.get(START).status_code == 404  # a draft: held as such
    page = check_page(staff.get(f"/staff/surveys/{SLUG}"))
    opened = staff.post(f"/staff/surveys/{SLUG}/open", data={"csrf_token": form_token(page)})
    assert opened.status_code == 303
    assert respondent.get(START).status_code == 200
    assert post_page(respondent, section_url("first"), FIRST).status_code == 303
    confirm = check_page(staff.get(f"/staff/surveys/{SLUG}/close"))
    closed = staff.post(f"/staff/surveys/{SLUG}/close", data={"csrf_token": form_token(confirm)})
    assert closed.status_code == 303
    assert respondent.get(START).status_code == 410
    assert respondent.get(section_url("second")).status_code == 410


def test_a_link_that_names_no_survey_is_read_every_time(held_app: Flask) -> None:
    respondent = held_app.test_client()
    assert respondent.get(START).status_code == 404
    # Made after the miss (by a command, say): found at once, as a miss is never held.
    create_survey(held_app, "sample-survey")
    assert respondent.get(START).status_code == 200
