"""Unfinished answers live only in the browser, encrypted, in cookies scoped to the survey;
"Exit this page" leaves at once and forgets them."""

from __future__ import annotations

import base64
import zlib
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app import create_app
from survey_app.extensions import get_db
from survey_app.services.surveys import SurveyInfo
from tests.conftest import FIXTURE_QUESTIONNAIRES, make_config
from tests.helpers.journey import create_survey, post_page
from tests.helpers.pages import Page, check_page
from tests.integration.web.support import (
    CHECK,
    DONE,
    DRAFT_PREFIX,
    FIRST,
    SECOND,
    START,
    SetCookie,
    checked,
    close,
    complete,
    draft_cookies,
    section_url,
    set_cookies,
)

SECRET_TEXT = "My manager Priya Ramaswamy said something awful on 3 March"
DRAFT_PATH = "/s/sample-survey/"


@pytest.fixture
def survey(sample_app: Flask) -> SurveyInfo:
    return create_survey(sample_app, "sample-survey")


@pytest.fixture
def respondent(sample_app: Flask, survey: SurveyInfo) -> FlaskClient:
    return sample_app.test_client()


def _answer_with_secret(client: FlaskClient) -> list[SetCookie]:
    assert post_page(client, section_url("first"), FIRST).status_code == 303
    response = post_page(client, section_url("second"), {**SECOND, "comment": SECRET_TEXT})
    assert response.status_code == 303
    cookies = draft_cookies(response)
    assert cookies, "the draft is kept in the browser"
    return cookies


def _draft_names(client: FlaskClient, survey: SurveyInfo) -> list[str]:
    names = [f"{DRAFT_PREFIX}{survey.id[:12]}_{i}" for i in range(8)]
    return [n for n in names if client.get_cookie(n, path=DRAFT_PATH) is not None]


# --- What the cookies look like ---------------------------------------------------------------


def test_draft_cookies_are_encrypted(respondent: FlaskClient) -> None:
    cookies = _answer_with_secret(respondent)
    value = "".join(c.value for c in cookies)
    assert "Ramaswamy" not in value
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    for needle in ("Ramaswamy", "Priya", "agree", "colour", "red"):
        assert needle.encode() not in raw
    # Not merely compressed: the bytes are not a zlib stream either.
    with pytest.raises(zlib.error):
        zlib.decompress(raw)


def test_draft_cookies_are_scoped_and_protected(respondent: FlaskClient) -> None:
    cookies = _answer_with_secret(respondent)
    for cookie in cookies:
        assert cookie.path == DRAFT_PATH
        assert "httponly" in cookie.attributes
        assert cookie.attributes.get("samesite") == "Lax"
        # A session cookie: closing the browser forgets it.
        assert "expires" not in cookie.attributes
        assert "max-age" not in cookie.attributes
        assert "domain" not in cookie.attributes


def test_draft_is_never_sent_to_another_path(respondent: FlaskClient, survey: SurveyInfo) -> None:
    _answer_with_secret(respondent)
    assert _draft_names(respondent, survey)
    assert all(
        respondent.get_cookie(name, path="/") is None for name in _draft_names(respondent, survey)
    )


@pytest.mark.parametrize(
    "tamper",
    [
        "flip a character",
        "truncate",
        "garbage",
        "not base64",
        "non-ascii",
        "empty",
        "another survey's draft",
    ],
)
def test_tampered_draft_cookie_is_ignored(
    sample_app: Flask, respondent: FlaskClient, survey: SurveyInfo, tamper: str
) -> None:
    cookie = _answer_with_secret(respondent)[0]
    value = cookie.value
    if tamper == "flip a character":
        middle = len(value) // 2
        value = value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]
    elif tamper == "truncate":
        value = value[: len(value) // 3]
    elif tamper == "garbage":
        value = base64.urlsafe_b64encode(b"\x01\x02k1" + b"\x00" * 40).decode()
    elif tamper == "not base64":
        value = "!!!not*base64!!!"
    elif tamper == "non-ascii":
        value = "été-ünïcödé"
    elif tamper == "empty":
        value = ""
    else:
        other = create_survey(sample_app, "sample-survey", slug="other-survey")
        other_client = sample_app.test_client()
        response = post_page(other_client, section_url("first", "other-survey"), FIRST)
        value = "".join(c.value for c in draft_cookies(response))
        assert other.id != survey.id
    respondent.set_cookie(cookie.name, value, path=DRAFT_PATH)

    for url in (section_url("first"), section_url("second")):
        page = check_page(respondent.get(url))
        assert checked(page, "colour") == []
        assert checked(page, "statements__tea") == []
    assert respondent.get(CHECK).headers["Location"] == section_url("first")
    # The respondent can carry on from the start.
    assert post_page(respondent, section_url("first"), FIRST).status_code == 303


# --- Exit this page ---------------------------------------------------------------------------


def test_exit_goes_to_the_configured_page(sample_app: Flask, respondent: FlaskClient) -> None:
    response = respondent.get("/exit")
    assert response.status_code == 303
    assert response.headers["Location"] == sample_app.config["SURVEY_EXIT_URL"]
    assert "Cache-Control" in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_exit_url_comes_from_configuration(tmp_path: Path, database_url: str) -> None:
    config = make_config(
        tmp_path,
        database_url,
        SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES),
        SURVEY_EXIT_URL="https://example.org/news",
    )
    application = create_app(config)
    try:
        response = application.test_client().get("/exit")
        assert response.status_code == 303
        assert response.headers["Location"] == "https://example.org/news"
    finally:
        with application.app_context():
            get_db().dispose()


def test_a_page_expires_the_draft_chunks_the_browser_holds_and_no_others(
    respondent: FlaskClient, survey: SurveyInfo
) -> None:
    """Under the survey's path the browser sends every draft chunk it holds, so a page expires
    just those it no longer needs (a longer draft's leftovers), and sending expires them all."""
    names = [f"{DRAFT_PREFIX}{survey.id[:12]}_{i}" for i in range(8)]
    respondent.set_cookie(names[1], "left over from a longer draft", path=DRAFT_PATH)
    response = post_page(respondent, section_url("first"), FIRST)
    assert response.status_code == 303
    headers = set_cookies(response)
    assert {c.name for c in headers if not c.deletes} == {names[0]}
    assert {(c.name, c.path) for c in headers if c.deletes} == {(names[1], DRAFT_PATH)}
    assert _draft_names(respondent, survey) == [names[0]]
    respondent.set_cookie(names[3], "another leftover", path=DRAFT_PATH)
    assert post_page(respondent, section_url("second"), SECOND).status_code == 303
    assert _draft_names(respondent, survey) == [names[0]]
    respondent.set_cookie(names[2], "and another", path=DRAFT_PATH)
    check = check_page(respondent.get(CHECK))
    sent = respondent.post(CHECK, data={"csrf_token": check.csrf_token()})
    assert sent.status_code == 303
    assert {c.name for c in set_cookies(sent) if c.deletes and c.name in names} == {
        names[0],
        names[2],
    }
    assert _draft_names(respondent, survey) == []


def test_exit_deletes_every_draft_cookie_the_browser_sent(respondent: FlaskClient) -> None:
    sent = [f"{DRAFT_PREFIX}aaaaaaaaaaaa_0", f"{DRAFT_PREFIX}aaaaaaaaaaaa_1", f"{DRAFT_PREFIX}b_0"]
    for name in sent:
        respondent.set_cookie(name, "something", path="/")
    respondent.set_cookie("unrelated", "keep", path="/")
    response = respondent.get("/exit")
    deleted = {c.name for c in set_cookies(response) if c.deletes}
    assert set(sent) <= deleted
    assert "unrelated" not in deleted
    for name in sent:
        assert respondent.get_cookie(name, path="/") is None


def test_exit_forgets_the_answers_typed_so_far(respondent: FlaskClient, survey: SurveyInfo) -> None:
    """The point of the button: someone who looks at the browser afterwards finds nothing.

    The draft cookies are scoped to ``/s/<slug>/``, so the browser does not send them to
    ``/exit``; the exit response must still remove them for that path.
    """
    _answer_with_secret(respondent)
    assert _draft_names(respondent, survey)

    response = respondent.get("/exit")
    assert response.status_code == 303
    removed = {(c.name, c.path) for c in set_cookies(response) if c.deletes}
    assert (f"{DRAFT_PREFIX}{survey.id[:12]}_0", DRAFT_PATH) in removed

    assert _draft_names(respondent, survey) == []
    first = check_page(respondent.get(section_url("first")))
    assert checked(first, "colour") == []
    second = check_page(respondent.get(section_url("second")))
    assert second.one("textarea#comment").get_text() == ""


@pytest.mark.parametrize(
    "path", ["/", "/privacy", "/accessibility", START, section_url("first"), CHECK, DONE]
)
def test_every_respondent_page_shows_the_exit_link(
    sample_app: Flask, respondent: FlaskClient, path: str
) -> None:
    if path == CHECK:
        assert post_page(respondent, section_url("first"), FIRST).status_code == 303
        assert post_page(respondent, section_url("second"), SECOND).status_code == 303
    page = check_page(respondent.get(path))
    _assert_exit_link(page)


def test_error_and_closed_pages_show_the_exit_link(
    sample_app: Flask, respondent: FlaskClient
) -> None:
    _assert_exit_link(check_page(respondent.get("/s/nothing-here/"), 404))
    _assert_exit_link(check_page(respondent.post(section_url("first"), data=FIRST), 400))
    complete(sample_app, respondent)
    _assert_exit_link(check_page(respondent.get(START)))  # "already answered"
    close(sample_app)
    _assert_exit_link(check_page(respondent.get(START), 410))


def _assert_exit_link(page: Page) -> None:
    link = page.one('.cd-exit-this-page a[href="/exit"]')
    assert link["href"] == "/exit"
    assert link.get_text(strip=True) == "Exit this page"
    # It comes before the page's own content, so keyboard users reach it first.
    main = page.one("main")
    assert link.find_next("main") is main
