"""Surveys answered with single-use access codes: typed on the start page, never in a URL,
used up as the respondent starts, and never linked to the response."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from survey_app.extensions import get_code_secret, get_db
from survey_app.services.codes import MALFORMED, REFUSED, check_code
from survey_app.services.errors import AccessCodeError
from survey_app.services.surveys import SurveyInfo, get_survey
from tests.helpers.journey import create_survey, enter_code
from tests.helpers.pages import Page, check_page
from tests.integration.web.support import (
    CHECK,
    START,
    answer_first_two,
    close,
    complete,
    field_error,
    issue,
    section_url,
    stored,
    summary_links,
)


@pytest.fixture
def coded(sample_app: Flask) -> SurveyInfo:
    return create_survey(sample_app, "sample-survey", access="codes")


def _enter(client: FlaskClient, code: str) -> TestResponse:
    response: TestResponse = enter_code(client, "sample-survey", code)
    return response


def _code_state(app: Flask, code: str) -> str:
    """'unused', or the reason the service gives for refusing the code."""
    with app.app_context():
        info = get_survey(get_db(), "sample-survey")
        try:
            check_code(get_db(), info, code, get_code_secret())
        except AccessCodeError as error:
            return error.reason
    return "unused"


def _assert_refused(response: TestResponse, message: str, typed: str) -> Page:
    page = check_page(response, 200)
    assert page.h1 == "Test Sample survey"
    assert summary_links(page) == [("#access_code", message)]
    assert field_error(page, "access_code") == f"Error: {message}"
    assert page.one("input#access_code")["value"] == typed
    assert "Location" not in response.headers
    return page


def test_start_page_asks_for_a_code(sample_app: Flask, coded: SurveyInfo) -> None:
    page = check_page(sample_app.test_client().get(START))
    form = page.one("main form")
    assert form["method"] == "post"
    assert form["action"] == START
    code_input = page.one("form input#access_code")
    assert code_input["name"] == "access_code"
    assert code_input["autocomplete"] == "off"
    assert page.one('label[for="access_code"]').get_text(strip=True) == "Enter your access code"
    # No way round the code: no link straight to the questions.
    assert not page.select(f'a[href^="{section_url("first")}"]')


@pytest.mark.parametrize("path", [section_url("first"), section_url("second"), CHECK])
def test_pages_need_a_code_first(sample_app: Flask, coded: SurveyInfo, path: str) -> None:
    response = sample_app.test_client().get(path)
    assert response.status_code == 303
    assert response.headers["Location"] == START


TYPINGS: dict[str, Callable[[str], str]] = {
    "as printed": lambda code: code,
    "lowercase": lambda code: code.lower(),
    "lowercase with spaces": lambda code: " " + code.lower().replace("-", " ") + " ",
    "no separators": lambda code: code.replace("-", ""),
}


@pytest.mark.parametrize("typing", TYPINGS)
def test_valid_code_leads_to_the_first_section(
    sample_app: Flask, coded: SurveyInfo, typing: str
) -> None:
    (code,) = issue(sample_app, 1)
    typed = TYPINGS[typing](code)
    response = _enter(sample_app.test_client(), typed)
    assert response.status_code == 303
    assert response.headers["Location"] == section_url("first")
    # Entering a code uses it up at once, in a transaction of its own, before any answer.
    assert _code_state(sample_app, code) == "used"
    assert stored(sample_app, coded) == 0


def test_unknown_code_is_refused(sample_app: Flask, coded: SurveyInfo) -> None:
    issue(sample_app, 3)
    response = _enter(sample_app.test_client(), "ABCD-EFGH-JKMN-PQRS")
    _assert_refused(response, REFUSED, "ABCD-EFGH-JKMN-PQRS")


@pytest.mark.parametrize(
    "typed", ["hello", "ABCD-EFGH-JKMN", "ABCD-EFGH-JKMN-PQRSU", "ÄBCD-EFGH-JKMN-PQRS"]
)
def test_malformed_code_is_refused(sample_app: Flask, coded: SurveyInfo, typed: str) -> None:
    issue(sample_app, 1)
    response = _enter(sample_app.test_client(), typed)
    _assert_refused(response, MALFORMED, typed)


def test_empty_code_is_refused(sample_app: Flask, coded: SurveyInfo) -> None:
    response = _enter(sample_app.test_client(), "")
    _assert_refused(response, MALFORMED, "")


def test_code_for_another_survey_is_not_recognised(sample_app: Flask, coded: SurveyInfo) -> None:
    create_survey(sample_app, "sample-survey", slug="other-survey", access="codes")
    (other_code,) = issue(sample_app, 1, slug="other-survey")
    response = _enter(sample_app.test_client(), other_code)
    _assert_refused(response, REFUSED, other_code)


def test_whole_journey_with_a_code(sample_app: Flask, coded: SurveyInfo) -> None:
    code, spare = issue(sample_app, 2)
    client = sample_app.test_client()
    assert _enter(client, code).status_code == 303

    complete(sample_app, client)

    assert stored(sample_app, coded) == 1
    assert _code_state(sample_app, code) == "used"
    assert _code_state(sample_app, spare) == "unused"
    # The browser's draft went with the answers: the questions need a code again.
    assert client.get(section_url("first")).headers["Location"] == START


def test_used_code_is_refused_with_a_clear_message(sample_app: Flask, coded: SurveyInfo) -> None:
    (code,) = issue(sample_app, 1)
    first = sample_app.test_client()
    assert _enter(first, code).status_code == 303
    complete(sample_app, first)

    response = _enter(sample_app.test_client(), code.lower())
    _assert_refused(response, REFUSED, code.lower())
    assert stored(sample_app, coded) == 1


def test_a_used_code_looks_exactly_like_an_unknown_one(
    sample_app: Flask, coded: SurveyInfo
) -> None:
    """Someone holding a colleague's code must not learn from the start page whether that
    colleague has taken part: the pages differ only in the text typed."""
    taken, unused = issue(sample_app, 2)
    assert _enter(sample_app.test_client(), taken).status_code == 303
    unknown = "ZZZZ-ZZZZ-ZZZZ-ZZZZ"

    def refusal(typed: str) -> str:
        page = _assert_refused(_enter(sample_app.test_client(), typed), REFUSED, typed)
        for token in page.select("input[name=csrf_token]"):
            token.decompose()  # differs per browser session, not per code
        return str(page.one("main")).replace(typed, "TYPED")

    assert refusal(taken) == refusal(unknown)
    assert _code_state(sample_app, unused) == "unused"


def test_a_second_browser_cannot_start_with_a_code_already_entered(
    sample_app: Flask, coded: SurveyInfo
) -> None:
    (code,) = issue(sample_app, 1)
    first, second = sample_app.test_client(), sample_app.test_client()
    assert _enter(first, code).status_code == 303
    # The code was used up when the first browser started, so the second one is refused
    # at once, before it has typed any answer.
    _assert_refused(_enter(second, code), REFUSED, code)
    assert second.get(section_url("first")).headers["Location"] == START
    # The first browser carries on and sends its answers.
    complete(sample_app, first)
    assert stored(sample_app, coded) == 1


def test_the_respondent_is_told_the_code_now_works_only_in_this_browser(
    sample_app: Flask, coded: SurveyInfo
) -> None:
    (code,) = issue(sample_app, 1)
    client = sample_app.test_client()
    start = check_page(client.get(START))
    assert "your code is used up" in start.one("#access_code-use").get_text(" ", strip=True)
    first = check_page(client.get(_enter(client, code).headers["Location"]))
    banner = first.one(".cd-notification-banner")
    assert banner.select_one("h2").get_text(strip=True) == "Your code has been accepted"
    text = banner.get_text(" ", strip=True)
    assert "cannot be used again" in text
    assert "kept only in this browser" in text
    assert "If you close the browser before then, your answers are lost" in text
    # Once answering has begun, the pages no longer repeat it.
    answer_first_two(client)
    assert not check_page(client.get(section_url("first"))).select(".cd-notification-banner")
    # An open survey has no code, so no such notice.
    create_survey(sample_app, "sample-survey", slug="open-one")
    page = check_page(sample_app.test_client().get(section_url("first", slug="open-one")))
    assert not page.select(".cd-notification-banner")


def test_a_closed_survey_takes_no_code(sample_app: Flask, coded: SurveyInfo) -> None:
    (code,) = issue(sample_app, 1)
    client = sample_app.test_client()
    token = check_page(client.get(START)).csrf_token()
    close(sample_app)
    response = client.post(START, data={"access_code": code, "csrf_token": token})
    page = check_page(response, 410)
    assert page.h1 == "This survey has closed"
    assert stored(sample_app, coded) == 0


def test_no_code_ever_appears_in_a_url(sample_app: Flask, coded: SurveyInfo) -> None:
    (code,) = issue(sample_app, 1)
    compact = code.replace("-", "")
    forms = {code, compact, code.lower(), compact.lower()}
    client = sample_app.test_client()
    seen: list[str] = []

    response = _enter(client, code.lower())
    url = response.headers["Location"]
    seen.append(url)
    while "/q/" in url:
        page = check_page(client.get(url))
        seen.extend(str(a["href"]) for a in page.select("a[href]"))
        seen.extend(str(f.get("action", "")) for f in page.select("form"))
        data: dict[str, object] = {}
        if url.endswith("/first"):
            data = {"colour": "blue"}
        elif url.endswith("/second"):
            data = {"statements__tea": "agree", "statements__rain": "agree"}
        response = client.post(url, data={**data, "csrf_token": page.csrf_token()})
        assert response.status_code == 303
        url = response.headers["Location"]
        seen.append(url)
    page = check_page(client.get(url))
    seen.extend(str(a["href"]) for a in page.select("a[href]"))
    response = client.post(url, data={"csrf_token": page.csrf_token()})
    seen.append(response.headers["Location"])

    assert stored(sample_app, coded) == 1
    assert len(seen) > 10
    for address in seen:
        assert not any(form in address for form in forms), address
        assert not any(form in address.upper() for form in forms), address


def test_code_typed_in_a_query_string_is_ignored(sample_app: Flask, coded: SurveyInfo) -> None:
    (code,) = issue(sample_app, 1)
    client = sample_app.test_client()
    response = client.get(f"{START}?access_code={code}")
    page = check_page(response)
    assert page.one("input#access_code")["value"] == ""
    assert client.get(section_url("first")).headers["Location"] == START
    assert _code_state(sample_app, code) == "unused"
