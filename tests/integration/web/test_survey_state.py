"""Unknown and never-opened surveys are not found; a closed survey says so politely and
stores nothing, whatever the browser sends."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tests.helpers.journey import create_survey, post_page
from tests.helpers.pages import check_page
from tests.integration.web.support import (
    CHECK,
    DONE,
    FIRST,
    START,
    answer_first_two,
    close,
    draft_cookies,
    section_url,
    set_cookies,
    stored,
)

NOT_FOUND_PATHS = ["/s/{slug}/", "/s/{slug}/q/first", "/s/{slug}/check", "/s/{slug}/done"]


@pytest.mark.parametrize("path", NOT_FOUND_PATHS)
def test_unknown_survey_is_not_found(sample_app: Flask, path: str) -> None:
    create_survey(sample_app, "sample-survey")
    client = sample_app.test_client()
    page = check_page(client.get(path.format(slug="no-such-survey")), 404)
    assert page.h1 == "Page not found"


@pytest.mark.parametrize("path", NOT_FOUND_PATHS)
def test_survey_not_yet_opened_is_not_found(sample_app: Flask, path: str) -> None:
    create_survey(sample_app, "sample-survey", open_it=False)
    client = sample_app.test_client()
    page = check_page(client.get(path.format(slug="sample-survey")), 404)
    assert page.h1 == "Page not found"


def _assert_closed(response: TestResponse) -> None:
    page = check_page(response, 410)
    assert page.h1 == "This survey has closed"
    assert page.one("main .cd-caption").get_text(strip=True) == "Test Sample survey"
    assert not page.select("main form"), "a closed survey offers nothing to send"


@pytest.mark.parametrize("path", [START, section_url("first"), section_url("second"), CHECK])
def test_closed_survey_pages_show_the_closed_page(sample_app: Flask, path: str) -> None:
    create_survey(sample_app, "sample-survey")
    close(sample_app)
    _assert_closed(sample_app.test_client().get(path))


def test_posts_to_a_closed_survey_store_nothing(sample_app: Flask) -> None:
    info = create_survey(sample_app, "sample-survey")
    client = sample_app.test_client()
    # A page loaded while the survey was open: its token is still good after the close.
    token = check_page(client.get(section_url("first"))).csrf_token()
    close(sample_app)
    before = stored(sample_app, info)

    posts: list[tuple[str, dict[str, Any]]] = [
        (START, {}),
        (section_url("first"), FIRST),
        (section_url("second"), {"statements__tea": "agree", "statements__rain": "agree"}),
        (CHECK, {}),
    ]
    for path, data in posts:
        response = client.post(path, data={**data, "csrf_token": token})
        _assert_closed(response)
        assert not draft_cookies(response), f"{path} kept answers in a cookie"

    assert stored(sample_app, info) == before == 0


def test_survey_closing_while_answering_stores_nothing(sample_app: Flask) -> None:
    info = create_survey(sample_app, "sample-survey")
    client = sample_app.test_client()
    answer_first_two(client)
    token = check_page(client.get(CHECK)).csrf_token()

    close(sample_app)
    response = client.post(CHECK, data={"csrf_token": token})

    _assert_closed(response)
    assert stored(sample_app, info) == 0
    # The unfinished answers are removed from the browser with the closed page.
    deleted = {c.name for c in set_cookies(response) if c.deletes}
    assert any(name.startswith("candour_draft_") for name in deleted)


def test_done_page_still_shows_after_the_survey_closes(sample_app: Flask) -> None:
    create_survey(sample_app, "sample-survey")
    close(sample_app)
    page = check_page(sample_app.test_client().get(DONE))
    assert "your answers have been sent" in page.h1


def test_closed_survey_rejects_a_late_answer_on_a_page_with_typing(sample_app: Flask) -> None:
    """A page opened before the close and sent after it gets the closed page, not a 303."""
    info = create_survey(sample_app, "sample-survey")
    client = sample_app.test_client()
    assert post_page(client, section_url("first"), FIRST).status_code == 303
    token = check_page(client.get(section_url("second"))).csrf_token()
    close(sample_app)
    response = client.post(
        section_url("second"),
        data={"statements__tea": "agree", "statements__rain": "agree", "csrf_token": token},
    )
    _assert_closed(response)
    assert "Location" not in response.headers
    assert stored(sample_app, info) == 0
