"""Moving through a survey: progress, back links, a section shown only for some answers,
checking and changing answers, and what an open survey does after a browser has answered."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import get_questionnaires
from survey_app.services.surveys import SurveyInfo
from tests.helpers.journey import create_survey, post_page
from tests.helpers.pages import Page, check_page
from tests.integration.web.support import (
    CHECK,
    DONE,
    FIRST,
    SECOND,
    START,
    answer_first_two,
    checked,
    complete,
    opened,
    section_url,
    stored,
)

WITH_DOG = {**FIRST, "pets": ["cat", "dog"]}


@pytest.fixture
def survey(sample_app: Flask) -> SurveyInfo:
    return create_survey(sample_app, "sample-survey")


@pytest.fixture
def respondent(sample_app: Flask, survey: SurveyInfo) -> FlaskClient:
    return sample_app.test_client()


def _progress(page: Page) -> str:
    return page.one("form .cd-progress").get_text(strip=True)


def _back(page: Page) -> str:
    return str(page.one("a.cd-back-link")["href"])


def _rows(page: Page) -> list[tuple[str, str, str]]:
    """(question, answer, change link) for each row of "Check your answers"."""
    return [
        (
            row.select_one(".cd-summary-list__key").get_text(strip=True),  # type: ignore[union-attr]
            row.select_one(".cd-summary-list__value").get_text(" ", strip=True),  # type: ignore[union-attr]
            str(row.select_one(".cd-summary-list__actions a")["href"]),  # type: ignore[index]
        )
        for row in page.select("main .cd-summary-list__row")
    ]


def _headings(page: Page) -> list[str]:
    return [h.get_text(strip=True) for h in page.select("main h2.cd-heading-m")]


def _go(client: FlaskClient, url: str, data: dict[str, Any]) -> str:
    response = post_page(client, url, data)
    assert response.status_code == 303, check_page(response).error_messages()
    return str(response.headers["Location"])


# --- Progress and back links ---------------------------------------------------------------


def test_start_page_links_to_the_first_section(respondent: FlaskClient) -> None:
    page = check_page(respondent.get(START))
    assert page.h1 == "Test Sample survey"
    start = page.one("main a.cd-button--start")
    assert start["href"] == section_url("first")
    assert not page.select("input#access_code")


def test_progress_counts_the_route_so_far(respondent: FlaskClient) -> None:
    # before "pets" is answered the dogs section may still come: it is counted
    page = check_page(respondent.get(section_url("first")))
    assert _progress(page) == "Section 1 of 3"
    assert page.h1 == "First things"

    assert _go(respondent, section_url("first"), WITH_DOG) == section_url("second")
    assert _progress(check_page(respondent.get(section_url("first")))) == "Section 1 of 3"
    assert _progress(check_page(respondent.get(section_url("second")))) == "Section 2 of 3"
    assert _progress(check_page(respondent.get(section_url("dogs")))) == "Section 3 of 3"


def test_progress_total_falls_when_an_answer_closes_a_route(respondent: FlaskClient) -> None:
    assert _go(respondent, section_url("first"), FIRST) == section_url("second")  # no dog
    assert _progress(check_page(respondent.get(section_url("second")))) == "Section 2 of 2"


def test_back_links(respondent: FlaskClient) -> None:
    assert _back(check_page(respondent.get(section_url("first")))) == START
    assert _back(check_page(respondent.get(section_url("second")))) == section_url("first")

    _go(respondent, section_url("first"), WITH_DOG)
    _go(respondent, section_url("second"), SECOND)
    assert _back(check_page(respondent.get(section_url("dogs")))) == section_url("second")
    _go(respondent, section_url("dogs"), {"dog_name_length": "yes"})
    assert _back(check_page(respondent.get(CHECK))) == section_url("dogs")


def test_check_page_back_link_skips_a_hidden_section(respondent: FlaskClient) -> None:
    answer_first_two(respondent)
    assert _back(check_page(respondent.get(CHECK))) == section_url("second")


def test_pages_keep_saved_answers_when_revisited(respondent: FlaskClient) -> None:
    answer_first_two(respondent)
    first = check_page(respondent.get(section_url("first")))
    assert checked(first, "colour") == ["red"]
    assert checked(first, "pets") == ["cat"]
    second = check_page(respondent.get(section_url("second")))
    assert checked(second, "statements__rain") == ["disagree"]
    assert second.one("input#years")["value"] == "12"
    assert second.one("textarea#comment").get_text() == SECOND["comment"]


# --- The show_if section ---------------------------------------------------------------------


def test_dogs_section_only_when_dog_is_chosen(respondent: FlaskClient) -> None:
    assert _go(respondent, section_url("first"), FIRST) == section_url("second")
    assert _go(respondent, section_url("second"), SECOND) == CHECK
    assert "About dogs" not in _headings(check_page(respondent.get(CHECK)))

    assert _go(respondent, section_url("first"), WITH_DOG) == section_url("second")
    assert _go(respondent, section_url("second"), SECOND) == section_url("dogs")
    page = check_page(respondent.get(section_url("dogs")))
    assert page.h1 == "About dogs"
    assert _go(respondent, section_url("dogs"), {"dog_name_length": "no"}) == CHECK
    assert _headings(check_page(respondent.get(CHECK)))[:3] == [
        "First things",
        "Second things",
        "About dogs",
    ]


def test_changing_an_answer_removes_the_section_it_showed(
    sample_app: Flask, respondent: FlaskClient
) -> None:
    _go(respondent, section_url("first"), WITH_DOG)
    _go(respondent, section_url("second"), SECOND)
    _go(respondent, section_url("dogs"), {"dog_name_length": "yes"})
    check = check_page(respondent.get(CHECK))
    assert "Is your dog's name short?" in [row[0] for row in _rows(check)]

    change_pets = next(
        href for question, _, href in _rows(check) if question.startswith("Which pets")
    )
    assert _go(respondent, change_pets.split("#")[0], {**FIRST, "pets": ["cat"]}) == CHECK

    check = check_page(respondent.get(CHECK))
    assert "About dogs" not in _headings(check)
    assert "Is your dog's name short?" not in [row[0] for row in _rows(check)]
    # The hidden page now sends the respondent onward instead of showing the old answer.
    assert respondent.get(section_url("dogs")).headers["Location"] == CHECK

    response = respondent.post(CHECK, data={"csrf_token": check.csrf_token()})
    assert response.headers["Location"] == DONE
    (sent,) = opened(sample_app)
    assert sent.answers["pets"] == ["cat"]
    assert "dog_name_length" not in sent.answers


def test_hidden_section_url_redirects_onward(respondent: FlaskClient) -> None:
    response = respondent.get(section_url("dogs"))
    assert response.status_code == 303
    assert response.headers["Location"] == CHECK
    # ... and the check page sends a respondent with nothing answered to the first question.
    response = respondent.get(CHECK)
    assert response.headers["Location"] == section_url("first")


def test_posting_to_a_hidden_section_stores_nothing_there(
    sample_app: Flask, respondent: FlaskClient
) -> None:
    answer_first_two(respondent)
    token = check_page(respondent.get(CHECK)).csrf_token()
    response = respondent.post(
        section_url("dogs"), data={"dog_name_length": "yes", "csrf_token": token}
    )
    assert response.headers["Location"] == CHECK
    assert respondent.post(CHECK, data={"csrf_token": token}).headers["Location"] == DONE
    (sent,) = opened(sample_app)
    assert "dog_name_length" not in sent.answers


def test_unknown_section_is_not_found(respondent: FlaskClient) -> None:
    page = check_page(respondent.get(section_url("cats")), 404)
    assert page.h1 == "Page not found"


# --- Check your answers and Change links ------------------------------------------------------


def test_check_page_lists_every_visible_question_with_a_change_link(
    sample_app: Flask, respondent: FlaskClient
) -> None:
    _go(respondent, section_url("first"), {"colour": "green", "pets": ["dog"]})
    _go(
        respondent,
        section_url("second"),
        {"statements__tea": "agree", "statements__rain": "neutral"},
    )
    _go(respondent, section_url("dogs"), {"dog_name_length": "yes"})
    page = check_page(respondent.get(CHECK))
    assert page.h1 == "Check your answers before sending them"

    with sample_app.app_context():
        questionnaire = get_questionnaires()["sample-survey"]
    expected_links = [
        f"{section_url(section.id)}?change=1#{question.id}"
        for section in questionnaire.sections
        for question in section.questions
    ]
    rows = _rows(page)
    assert [row[0] for row in rows] == [q.text for q in questionnaire.questions()]
    assert [row[2] for row in rows] == expected_links
    answers = {question: answer for question, answer, _ in rows}
    assert answers["Which colour do you like best?"] == "Green"
    assert answers["Which pets have you had?"] == "Dog"
    assert answers["I am in a good mood."] == "Not answered"
    assert answers["How far do you agree?"] == (
        "Tea is good: Agree Rain is good: Neither agree nor disagree"
    )
    assert answers["How many years have you worked here?"] == "Not answered"
    assert answers["Is your dog's name short?"] == "Yes"


def test_change_link_returns_to_the_check_page(respondent: FlaskClient) -> None:
    answer_first_two(respondent)
    rows = _rows(check_page(respondent.get(CHECK)))
    years_link = next(href for question, _, href in rows if question.startswith("How many years"))
    url = years_link.split("#")[0]

    page = check_page(respondent.get(url))
    assert _back(page) == CHECK
    assert page.one("input#years")["value"] == "12"
    # An error while changing keeps the respondent on the change page ...
    token = page.csrf_token()
    response = respondent.post(url, data={**SECOND, "years": "99", "csrf_token": token})
    assert check_page(response).title.startswith("Error: ")
    # ... and a valid answer goes straight back to the check page.
    response = respondent.post(url, data={**SECOND, "years": "7", "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == CHECK
    answers = {q: a for q, a, _ in _rows(check_page(respondent.get(CHECK)))}
    assert answers["How many years have you worked here?"] == "7 years"


def test_a_change_that_opens_follow_ups_walks_through_them(respondent: FlaskClient) -> None:
    """No dog at first; changing "pets" to include a dog from Check your answers goes to the
    dog questions it opened, then back to the check page -- never to a "Not answered" row."""
    answer_first_two(respondent)
    change = f"{section_url('first')}?change=1"
    response = post_page(respondent, change, WITH_DOG)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{section_url('dogs')}?change=1"
    response = post_page(respondent, f"{section_url('dogs')}?change=1", {"dog_name_length": "yes"})
    assert response.headers["Location"] == CHECK
    answers = {q: a for q, a, _ in _rows(check_page(respondent.get(CHECK)))}
    assert "Not answered" not in answers.values()


def test_check_page_sends_to_the_first_unanswered_required_question(
    respondent: FlaskClient,
) -> None:
    assert respondent.get(CHECK).headers["Location"] == section_url("first")
    _go(respondent, section_url("first"), WITH_DOG)
    assert respondent.get(CHECK).headers["Location"] == section_url("second")
    _go(respondent, section_url("second"), SECOND)
    # Choosing a dog made the dogs question required and it is not answered yet.
    response = respondent.get(CHECK)
    assert response.status_code == 303
    assert response.headers["Location"] == section_url("dogs")


def test_sending_with_a_required_answer_missing_stores_nothing(
    sample_app: Flask, survey: SurveyInfo, respondent: FlaskClient
) -> None:
    _go(respondent, section_url("first"), WITH_DOG)
    token = check_page(respondent.get(section_url("second"))).csrf_token()
    response = respondent.post(CHECK, data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == section_url("second")
    assert stored(sample_app, survey) == 0


# --- Open surveys after answering --------------------------------------------------------------


def test_browser_that_answered_sees_already_answered(
    sample_app: Flask, survey: SurveyInfo, respondent: FlaskClient
) -> None:
    complete(sample_app, respondent)
    assert stored(sample_app, survey) == 1

    page = check_page(respondent.get(START))
    assert page.h1 == "Answers have already been sent from this browser"
    assert not page.select(f'main a[href="{section_url("first")}"]')
    for path in (CHECK, section_url("first")):
        response = respondent.get(path)
        assert response.status_code == 303
        assert response.headers["Location"] == START


def test_the_answered_marker_names_no_survey_and_ends(
    sample_app: Flask, survey: SurveyInfo, respondent: FlaskClient
) -> None:
    """One cookie for every open survey, encrypted, for SURVEY_ANSWERED_MARKER_DAYS at most:
    someone looking at this browser's cookies cannot tell which survey was answered."""
    complete(sample_app, respondent)
    marker = respondent.get_cookie("candour_answered", path="/")
    assert marker is not None
    assert marker.path == "/"
    for telling in (survey.id, survey.id[:12], survey.slug, "sample"):
        assert telling not in marker.key and telling not in marker.value
    days = sample_app.config["SURVEY_ANSWERED_MARKER_DAYS"]
    assert marker.expires is not None
    left = marker.expires - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=days - 1) < left <= dt.timedelta(days=days + 1)


def test_someone_else_on_this_computer_can_answer_as_a_new_person(
    sample_app: Flask, survey: SurveyInfo, respondent: FlaskClient
) -> None:
    complete(sample_app, respondent, seed=1)
    page = check_page(respondent.get(START))
    form = page.one("main form")
    assert form.get_text(" ", strip=True) == "Answer as a new person"
    response = respondent.post(str(form["action"]), data={"csrf_token": page.csrf_token()})
    assert response.status_code == 303 and response.headers["Location"] == START
    assert check_page(respondent.get(START)).h1 == "Test Sample survey"
    complete(sample_app, respondent, seed=2)
    assert stored(sample_app, survey) == 2


def test_another_browser_can_still_answer(
    sample_app: Flask, survey: SurveyInfo, respondent: FlaskClient
) -> None:
    complete(sample_app, respondent, seed=1)
    other = sample_app.test_client()
    assert check_page(other.get(START)).h1 == "Test Sample survey"
    complete(sample_app, other, seed=2)
    assert stored(sample_app, survey) == 2
    assert len(opened(sample_app)) == 2


def test_resending_the_check_page_after_answering_stores_nothing(
    sample_app: Flask, survey: SurveyInfo, respondent: FlaskClient
) -> None:
    answer_first_two(respondent)
    token = check_page(respondent.get(CHECK)).csrf_token()
    assert respondent.post(CHECK, data={"csrf_token": token}).headers["Location"] == DONE
    response = respondent.post(CHECK, data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == START
    assert stored(sample_app, survey) == 1
