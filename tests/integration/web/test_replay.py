"""One draft makes at most one response.

Every draft carries a single-use token from the moment the respondent starts (in a codes
survey, in exchange for the code). Sending the answers spends it in the same transaction that
stores the response, so the same draft sent again — a second click, a copied cookie, three
sends at once — stores nothing more and gets a friendly page, never an error. A draft sealed
for another survey, or one with no token, is no draft at all.
"""

from __future__ import annotations

import base64
import json
import threading
import zlib

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from survey_app.extensions import get_keyring
from survey_app.services.surveys import SurveyInfo
from tests.helpers.journey import create_survey, enter_code
from tests.helpers.pages import check_page
from tests.integration.web.support import (
    CHECK,
    DONE,
    DRAFT_PREFIX,
    START,
    answer_first_two,
    assert_no_crash,
    close,
    issue,
    section_url,
    spent_tokens,
    stored,
)

DRAFT_PATH = "/s/sample-survey/"
SESSION_COOKIE = "candour_session"


@pytest.fixture(params=["open", "codes"])
def survey(request: pytest.FixtureRequest, sample_app: Flask) -> SurveyInfo:
    return create_survey(sample_app, "sample-survey", access=request.param)


def ready_to_send(app: Flask, info: SurveyInfo) -> tuple[FlaskClient, str]:
    """A browser on the check page with a whole draft, and the check form's CSRF token."""
    client = app.test_client()
    if info.access == "codes":
        (code,) = issue(app, 1)
        assert enter_code(client, "sample-survey", code).status_code == 303
    answer_first_two(client)
    return client, check_page(client.get(CHECK)).csrf_token()


def copy_browser(app: Flask, source: FlaskClient, info: SurveyInfo) -> FlaskClient:
    """Another browser holding exactly the same cookies (session and draft)."""
    twin = app.test_client()
    session = source.get_cookie(SESSION_COOKIE)
    assert session is not None
    twin.set_cookie(SESSION_COOKIE, session.value)
    copied = 0
    for index in range(8):
        name = f"{DRAFT_PREFIX}{info.id[:12]}_{index}"
        cookie = source.get_cookie(name, path=DRAFT_PATH)
        if cookie is not None:
            twin.set_cookie(name, cookie.value, path=DRAFT_PATH)
            copied += 1
    assert copied, "the source browser holds a draft"
    return twin


def assert_already_sent(response: TestResponse) -> None:
    page = check_page(response, 409)
    assert page.h1 == "Your answers have already been sent"
    assert "sending them again changes nothing" in page.text()
    assert not page.select("main form")


def test_the_same_draft_sent_again_stores_nothing_more(
    sample_app: Flask, survey: SurveyInfo
) -> None:
    client, token = ready_to_send(sample_app, survey)
    copy = copy_browser(sample_app, client, survey)

    sent = client.post(CHECK, data={"csrf_token": token})
    assert sent.status_code == 303 and sent.headers["Location"] == DONE
    assert stored(sample_app, survey) == 1

    # The copied cookie (taken before sending) replays the spent token.
    again = copy.post(CHECK, data={"csrf_token": token})
    assert_already_sent(again)
    assert stored(sample_app, survey) == 1
    assert spent_tokens(sample_app, survey) == 1


def test_three_sends_at_once_store_one_response(sample_app: Flask, survey: SurveyInfo) -> None:
    client, token = ready_to_send(sample_app, survey)
    browsers = [copy_browser(sample_app, client, survey) for _ in range(3)]
    barrier = threading.Barrier(len(browsers))
    replies: list[TestResponse | BaseException] = [RuntimeError("not run")] * len(browsers)

    def send(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            replies[index] = browsers[index].post(CHECK, data={"csrf_token": token})
        except BaseException as error:  # reported below, in the test's own thread
            replies[index] = error

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    responses = [reply for reply in replies if isinstance(reply, TestResponse)]
    assert len(responses) == 3, replies
    for response in responses:
        assert_no_crash(response)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [303, 409, 409]
    for response in responses:
        if response.status_code == 409:
            assert_already_sent(response)
    assert stored(sample_app, survey) == 1
    assert spent_tokens(sample_app, survey) == 1


def test_a_draft_sealed_for_another_survey_is_no_draft(sample_app: Flask) -> None:
    first = create_survey(sample_app, "sample-survey", access="codes")
    second = create_survey(sample_app, "sample-survey", slug="second-survey", access="codes")
    client, _token = ready_to_send(sample_app, first)
    # Put the first survey's draft under the second survey's cookie names and path.
    thief = sample_app.test_client()
    for index in range(8):
        cookie = client.get_cookie(f"{DRAFT_PREFIX}{first.id[:12]}_{index}", path=DRAFT_PATH)
        if cookie is not None:
            thief.set_cookie(
                f"{DRAFT_PREFIX}{second.id[:12]}_{index}", cookie.value, path="/s/second-survey/"
            )
    for path in (section_url("first", "second-survey"), "/s/second-survey/check"):
        response = thief.get(path)
        assert response.status_code == 303
        assert response.headers["Location"] == "/s/second-survey/"
    assert stored(sample_app, second) == 0


def test_a_draft_without_a_token_is_no_draft(sample_app: Flask) -> None:
    """A draft the server sealed itself but with no token (as an older release wrote them)
    cannot send anything: a codes survey asks for a code again."""
    info = create_survey(sample_app, "sample-survey", access="codes")
    payload = {
        "a": {"colour": "red", "statements": {"tea": "agree", "rain": "agree"}},
        "c": "00" * 32,
        "d": "2026-01-01",
    }
    with sample_app.app_context():
        sealed = get_keyring().encrypt(
            zlib.compress(json.dumps(payload).encode()), aad=b"candour/draft/" + info.id.encode()
        )
    client = sample_app.test_client()
    client.set_cookie(
        f"{DRAFT_PREFIX}{info.id[:12]}_0",
        base64.urlsafe_b64encode(sealed).decode(),
        path=DRAFT_PATH,
    )
    response = client.get(CHECK)
    assert response.status_code == 303 and response.headers["Location"] == START


def test_a_draft_sent_after_the_close_stores_nothing(sample_app: Flask, survey: SurveyInfo) -> None:
    client, token = ready_to_send(sample_app, survey)
    close(sample_app)
    page = check_page(client.post(CHECK, data={"csrf_token": token}), 410)
    assert page.h1 == "This survey has closed"
    assert stored(sample_app, survey) == 0
