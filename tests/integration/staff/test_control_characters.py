"""Survey and session titles refuse control characters (tabs, line breaks, escape, NUL) and
invisible formatting marks (bidirectional overrides, zero-width spaces): the pages show the
error beside the title with a summary link, and the services refuse them too, so the command
line and any other caller get the same answer. Theme names: see
tests/integration/reports/test_hostile_names.py."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from survey_app.extensions import get_db, get_questionnaires
from survey_app.services import sessions, surveys
from survey_app.services.errors import ServiceError
from survey_app.services.sessions import SESSION_TITLE_CONTROL_CHARACTERS
from survey_app.services.surveys import TITLE_CONTROL_CHARACTERS
from tests.helpers.journey import PASSPHRASE
from tests.helpers.pages import check_page
from tests.integration.services.test_sessions import make_series
from tests.integration.staff.support import form_token, post_form, signed_in
from tests.integration.staff.test_cycle_pages import SLUG as CYCLE_SLUG
from tests.integration.staff.test_cycle_pages import closed_cycle
from tests.integration.staff.test_surveys import GOOD, NEW

HOSTILE_TITLES = [
    "Staff\tsurvey",
    "Staff\x1b[31msurvey",
    "Staff\x00survey",
    "Staff survey \u202e6202",  # right-to-left override: shows as "2026"
    "Staff\u200bsurvey",  # zero-width space
    "Staff\u2028survey",  # line separator
]


def test_the_messages_say_which_field_and_what_is_wrong() -> None:
    assert TITLE_CONTROL_CHARACTERS.startswith("Title must not contain control characters")
    assert SESSION_TITLE_CONTROL_CHARACTERS.startswith(
        "Session title must not contain control characters"
    )


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_a_new_survey_title_with_control_characters_is_refused(app: Flask, title: str) -> None:
    client, _staff = signed_in(app, "admin")
    page = check_page(post_form(client, NEW, {**GOOD, "title": title}))
    assert page.title.startswith("Error: ")
    assert page.error_messages() == [TITLE_CONTROL_CHARACTERS]
    assert page.one(".cd-error-summary a")["href"] == "#title"
    assert TITLE_CONTROL_CHARACTERS in page.one("#title-error").get_text()
    with app.app_context():
        assert surveys.list_surveys(get_db()) == []


def test_spaces_around_a_title_are_still_trimmed(app: Flask) -> None:
    client, _staff = signed_in(app, "admin")
    response = post_form(client, NEW, {**GOOD, "title": "  Session feedback March \t"})
    assert response.status_code == 303
    with app.app_context():
        assert surveys.get_survey(get_db(), "session-feedback-march").title == (
            "Session feedback March"
        )


@pytest.mark.parametrize("title", ["Staff\tsurvey", "Staff\u202esurvey"])
def test_the_service_refuses_them_for_every_caller(app: Flask, title: str) -> None:
    with app.app_context(), pytest.raises(ServiceError, match=TITLE_CONTROL_CHARACTERS):
        surveys.create_survey(
            get_db(),
            get_questionnaires()["reflective-space-feedback"],
            title=title,
            access="open",
            min_group=10,
            key_label="Lead",
            passphrase=PASSPHRASE,
            log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
        )


def test_the_command_line_refuses_them(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "surveys",
            "create",
            "--questionnaire",
            "reflective-space-feedback",
            "--title",
            "Team\u202efeedback",
        ],
        input=f"Lead analyst\n{PASSPHRASE}\n{PASSPHRASE}\n",
    )
    assert result.exit_code == 1
    assert TITLE_CONTROL_CHARACTERS in result.output
    with app.app_context():
        assert surveys.list_surveys(get_db()) == []


def test_a_next_cycle_title_with_control_characters_is_refused(sample_app: Flask) -> None:
    closed_cycle(sample_app)
    admin, _ = signed_in(sample_app, "admin")
    url = f"/staff/surveys/{CYCLE_SLUG}/next-cycle"
    form = check_page(admin.get(url))
    version = form.one("input[name=version][checked]")["value"]
    fields = {"cycle": "2027-28", "slug": "next", "version": version, "carry": "no"}
    page = check_page(post_form(admin, url, {**fields, "title": "Staff survey\u200b 2027-28"}))
    assert page.error_messages() == [TITLE_CONTROL_CHARACTERS]
    assert page.one(".cd-error-summary a")["href"] == "#title"
    with sample_app.app_context():
        assert surveys.find_survey(get_db(), "next") is None


def test_a_session_title_with_control_characters_is_refused(app: Flask) -> None:
    series = make_series(app)
    admin, _ = signed_in(app, "admin")
    url = f"/staff/series/{series.slug}/sessions/new"
    form = check_page(admin.get(url))
    fields = {"held_on": "2026-12-10", "format": "online", "minutes": "120"}
    response = admin.post(
        url,
        data={**fields, "title": "December\x1b Space", "csrf_token": form_token(form)},
    )
    page = check_page(response)
    assert page.error_messages() == [SESSION_TITLE_CONTROL_CHARACTERS]
    assert page.one(".cd-error-summary a")["href"] == "#title"
    with app.app_context():
        assert sessions.list_sessions(get_db(), series.id) == []
        with pytest.raises(ServiceError, match=SESSION_TITLE_CONTROL_CHARACTERS):
            sessions.create_session(
                get_db(),
                series,
                get_questionnaires(),
                title="December\u202e Space",
                held_on=dt.date(2026, 12, 10),
                format="online",
            )
