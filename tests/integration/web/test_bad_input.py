"""Answers the pages cannot accept: each is shown again with an error summary that links to the
field, "Error:" in the title, the message beside the field, and everything typed still there.
Expired or missing CSRF tokens and oversized bodies get friendly pages, never a 500."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner

from survey_app import create_app
from survey_app.extensions import get_db
from survey_app.forms import messages
from tests.conftest import FIXTURE_QUESTIONNAIRES, make_config
from tests.helpers.journey import create_survey, post_page
from tests.helpers.pages import Page, check_page
from tests.integration.web.support import (
    CHECK,
    FIRST,
    SECOND,
    START,
    answer_first_two,
    checked,
    draft_cookies,
    field_error,
    section_url,
    stored,
    summary_links,
)

COLOUR = "Which colour do you like best?"
PETS = "Which pets have you had?"
MOOD = "I am in a good mood."
YEARS = "How many years have you worked here?"
COMMENT = "Anything else?"


@pytest.fixture
def respondent(sample_app: Flask) -> FlaskClient:
    create_survey(sample_app, "sample-survey")
    return sample_app.test_client()


def _rejected(client: FlaskClient, url: str, data: dict[str, Any]) -> Page:
    response = post_page(client, url, data)
    page = check_page(response, 200)  # the same page again, not a redirect
    assert page.title.startswith("Error: ")
    assert not draft_cookies(response), "a rejected page must not be saved"
    return page


def _assert_error(page: Page, field_id: str, message: str) -> None:
    assert (f"#{field_id}", message) in summary_links(page)
    assert field_error(page, field_id) == f"Error: {message}"
    # The summary link lands on a real, focusable control of that question.
    target = page.one(f"#{field_id}")
    assert target.name in {"input", "textarea"}


# --- First page: single choice, multiple choice with exclusive options, likert -------------


def test_single_choice_value_not_offered(respondent: FlaskClient) -> None:
    page = _rejected(respondent, section_url("first"), {**FIRST, "colour": "purple"})
    _assert_error(page, "colour", messages.NOT_OFFERED.format(question=COLOUR))
    assert summary_links(page) == [("#colour", messages.NOT_OFFERED.format(question=COLOUR))]
    # The other answers on the page are kept.
    assert checked(page, "pets") == ["cat"]
    assert checked(page, "mood") == ["agree"]


def test_likert_value_not_offered(respondent: FlaskClient) -> None:
    page = _rejected(respondent, section_url("first"), {**FIRST, "mood": "ecstatic"})
    _assert_error(page, "mood", messages.NOT_OFFERED.format(question=MOOD))
    assert checked(page, "colour") == ["red"]
    assert checked(page, "pets") == ["cat"]


def test_multiple_choice_value_not_offered(respondent: FlaskClient) -> None:
    page = _rejected(respondent, section_url("first"), {**FIRST, "pets": ["cat", "hamster"]})
    _assert_error(page, "pets", messages.NOT_OFFERED.format(question=PETS))
    assert checked(page, "pets") == ["cat"]
    assert checked(page, "colour") == ["red"]


def test_exclusive_option_combined_with_others(respondent: FlaskClient) -> None:
    page = _rejected(respondent, section_url("first"), {**FIRST, "pets": ["cat", "none"]})
    _assert_error(page, "pets", messages.EXCLUSIVE.format(option="None of these"))
    # Both choices are still ticked so the respondent can see what to untick.
    assert checked(page, "pets") == ["cat", "none"]


def test_exclusive_option_on_its_own_is_accepted(respondent: FlaskClient) -> None:
    response = post_page(respondent, section_url("first"), {**FIRST, "pets": ["prefer_not_to_say"]})
    assert response.status_code == 303


def test_required_single_choice_left_empty(respondent: FlaskClient) -> None:
    data = {key: value for key, value in FIRST.items() if key != "colour"}
    page = _rejected(respondent, section_url("first"), data)
    _assert_error(page, "colour", messages.SELECT_ONE.format(question=COLOUR))
    assert checked(page, "colour") == []
    assert checked(page, "pets") == ["cat"]
    assert checked(page, "mood") == ["agree"]


def test_several_errors_are_listed_in_page_order(respondent: FlaskClient) -> None:
    page = _rejected(respondent, section_url("first"), {"pets": ["dog", "none"], "mood": "maybe"})
    assert summary_links(page) == [
        ("#colour", messages.SELECT_ONE.format(question=COLOUR)),
        ("#pets", messages.EXCLUSIVE.format(option="None of these")),
        ("#mood", messages.NOT_OFFERED.format(question=MOOD)),
    ]


# --- Second page: likert grid, number, free text -------------------------------------------


def _second(respondent: FlaskClient, **changes: Any) -> Page:
    assert post_page(respondent, section_url("first"), FIRST).status_code == 303
    data = {**SECOND, **changes}
    return _rejected(respondent, section_url("second"), {k: v for k, v in data.items() if v})


def test_grid_statement_value_not_offered(respondent: FlaskClient) -> None:
    page = _second(respondent, statements__tea="sometimes")
    _assert_error(page, "statements__tea", messages.NOT_OFFERED.format(question="Tea is good"))
    assert checked(page, "statements__rain") == ["disagree"]
    assert page.one("input#years")["value"] == "12"
    assert page.one("textarea#comment").get_text() == SECOND["comment"]


def test_required_grid_statement_left_empty(respondent: FlaskClient) -> None:
    page = _second(respondent, statements__rain=None)
    _assert_error(
        page, "statements__rain", messages.SELECT_STATEMENT.format(statement="Rain is good")
    )
    assert checked(page, "statements__tea") == ["agree"]
    assert summary_links(page) == [
        ("#statements__rain", messages.SELECT_STATEMENT.format(statement="Rain is good"))
    ]


def test_free_text_over_its_limit_keeps_the_whole_text(respondent: FlaskClient) -> None:
    text = "I have a lot to say about this. " * 7 + "The end."  # 232 characters
    assert len(text) > 200
    page = _second(respondent, comment=text)
    _assert_error(
        page, "comment", messages.TOO_LONG.format(question=COMMENT, limit=200, length=len(text))
    )
    assert page.one("textarea#comment").get_text() == text
    assert checked(page, "statements__tea") == ["agree"]


@pytest.mark.parametrize("typed", ["51", "-1", "1000000"])
def test_number_out_of_range(respondent: FlaskClient, typed: str) -> None:
    page = _second(respondent, years=typed)
    _assert_error(
        page, "years", messages.NUMBER_RANGE.format(question=YEARS, minimum=0, maximum=50)
    )
    assert page.one("input#years")["value"] == typed


@pytest.mark.parametrize("typed", ["ten", "2.5", "12 years", "1e3"])
def test_number_that_is_not_a_whole_number(respondent: FlaskClient, typed: str) -> None:
    page = _second(respondent, years=typed)
    _assert_error(page, "years", messages.WHOLE_NUMBER.format(question=YEARS, example=5))
    assert page.one("input#years")["value"] == typed
    assert page.one("textarea#comment").get_text() == SECOND["comment"]


def test_number_with_spaces_and_commas_is_accepted(respondent: FlaskClient) -> None:
    assert post_page(respondent, section_url("first"), FIRST).status_code == 303
    response = post_page(respondent, section_url("second"), {**SECOND, "years": " 1,0 "})
    assert response.status_code == 303
    page = check_page(respondent.get(section_url("second")))
    assert page.one("input#years")["value"] == "10"


def test_an_error_does_not_undo_earlier_saved_answers(respondent: FlaskClient) -> None:
    answer_first_two(respondent)
    _rejected(respondent, section_url("first"), {**FIRST, "colour": "purple", "mood": "neutral"})
    page = check_page(respondent.get(section_url("first")))
    assert checked(page, "colour") == ["red"]
    assert checked(page, "mood") == ["agree"]


# --- Request-level problems: CSRF and body size ---------------------------------------------


def _assert_timed_out(response: Any, retry: str) -> None:
    page = check_page(response, 400)
    assert page.h1 == "Your page timed out"
    assert page.one("main a[href]")["href"] == retry


@pytest.mark.parametrize("path", [START, section_url("first"), CHECK])
def test_missing_csrf_token_gets_the_timed_out_page(sample_app: Flask, path: str) -> None:
    info = create_survey(sample_app, "sample-survey")
    client = sample_app.test_client()
    answer_first_two(client)
    response = client.post(path, data={**FIRST})
    _assert_timed_out(response, path)
    assert not draft_cookies(response)
    assert stored(sample_app, info) == 0


@pytest.mark.parametrize(
    "token", ["", "not-a-token", "IjAwMDAi.ZZZZZZ.tampered", "x" * 5000], ids=lambda t: t[:12]
)
def test_tampered_csrf_token_gets_the_timed_out_page(respondent: FlaskClient, token: str) -> None:
    check_page(respondent.get(section_url("first")))  # the session holds a real token
    response = respondent.post(section_url("first"), data={**FIRST, "csrf_token": token})
    _assert_timed_out(response, section_url("first"))


def test_token_from_another_browser_gets_the_timed_out_page(
    sample_app: Flask, respondent: FlaskClient
) -> None:
    other = sample_app.test_client()
    token = check_page(other.get(section_url("first"))).csrf_token()
    check_page(respondent.get(section_url("first")))
    response = respondent.post(section_url("first"), data={**FIRST, "csrf_token": token})
    _assert_timed_out(response, section_url("first"))


@pytest.fixture
def quick_timeout_app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    config = make_config(
        tmp_path,
        database_url,
        WTF_CSRF_TIME_LIMIT=1,
        SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES),
    )
    application = create_app(config)
    yield application
    with application.app_context():
        get_db().dispose()


def test_expired_csrf_token_gets_the_timed_out_page(
    quick_timeout_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_survey(quick_timeout_app, "sample-survey")
    client = quick_timeout_app.test_client()
    token = check_page(client.get(section_url("first"))).csrf_token()
    # The token's clock (itsdangerous) is moved an hour on instead of the test waiting: the
    # limit is one second.
    later = int(time.time()) + 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _signer: later)
    response = client.post(section_url("first"), data={**FIRST, "csrf_token": token})
    _assert_timed_out(response, section_url("first"))
    assert not draft_cookies(response)
    # Back on the real clock, a fresh page gives a fresh token that works (however slowly this
    # machine runs).
    monkeypatch.undo()
    quick_timeout_app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    assert post_page(client, section_url("first"), FIRST).status_code == 303


def test_body_over_the_limit_gets_the_too_long_page(sample_app: Flask) -> None:
    assert sample_app.config["MAX_CONTENT_LENGTH"] == 256 * 1024
    info = create_survey(sample_app, "sample-survey")
    client = sample_app.test_client()
    assert post_page(client, section_url("first"), FIRST).status_code == 303
    token = check_page(client.get(section_url("second"))).csrf_token()
    response = client.post(
        section_url("second"), data={**SECOND, "comment": "x" * 300 * 1024, "csrf_token": token}
    )
    page = check_page(response, 413)
    assert page.h1 == "Your answer was too long to send"
    assert not draft_cookies(response)
    assert stored(sample_app, info) == 0
