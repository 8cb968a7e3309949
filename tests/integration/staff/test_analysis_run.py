"""Analysing a closed survey from the web (in the background) and from the CLI."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import get_db, get_keyring, get_questionnaires
from survey_app.services import analysis, surveys
from survey_app.services.submission import submit_response
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.helpers.pages import check_page
from tests.helpers.runs import wait_for_run
from tests.integration.staff.support import events, form_token, signed_in

RESPONSES = 15


def closed_survey_with_responses(app: Flask, slug: str = "sample", count: int = RESPONSES) -> None:
    info = create_survey(app, "sample-survey", slug=slug)
    with app.app_context():
        questionnaire = get_questionnaires()["sample-survey"]
        for index in range(count):
            answers = {
                "colour": ["red", "green", "blue"][index % 3],
                "statements": {"tea": "agree", "rain": ["agree", "disagree"][index % 2]},
            }
            submit_response(get_db(), info, questionnaire, answers)
        surveys.close_survey(get_db(), slug)


def test_web_analysis_runs_in_the_background_and_stores_a_release(sample_app: Flask) -> None:
    closed_survey_with_responses(sample_app)
    client, staff = signed_in(sample_app, "admin")
    page = check_page(client.get("/staff/surveys/sample/analyse"))
    response = client.post(
        "/staff/surveys/sample/analyse",
        data={"passphrase": PASSPHRASE, "csrf_token": form_token(page)},
    )
    assert response.status_code == 303
    run_url = response.headers["Location"]
    assert "/staff/surveys/sample/analyse/" in run_url
    assert wait_for_run(client, run_url) == "The release is ready"
    with sample_app.app_context():
        info = surveys.get_survey(get_db(), "sample")
        assert analysis.release_count(get_db(), info.id) == 1
        release = analysis.load_release(get_db(), get_keyring(), info, published_only=False)
    assert release is not None and release.status == "draft"
    assert release.protected.size(()) == RESPONSES
    assert release.protected.value("colour", (), "red") == 5
    assert next(e.detail for e in events(sample_app, "analysis_run")).startswith("release ")
    assert all(e.actor == staff.email for e in events(sample_app, "analysis_run"))


def test_a_wrong_passphrase_is_refused_and_stores_nothing(sample_app: Flask) -> None:
    closed_survey_with_responses(sample_app)
    client, _staff = signed_in(sample_app, "admin")
    page = check_page(client.get("/staff/surveys/sample/analyse"))
    response = client.post(
        "/staff/surveys/sample/analyse",
        data={"passphrase": "not the passphrase", "csrf_token": form_token(page)},
    )
    refused = check_page(response, 400)
    assert refused.error_messages() == ["That passphrase does not open any key slot of this survey"]
    with sample_app.app_context():
        info = surveys.get_survey(get_db(), "sample")
        assert analysis.release_count(get_db(), info.id) == 0
    assert [e.detail for e in events(sample_app, "analysis_run")] == ["refused: wrong passphrase"]


@pytest.mark.slow
def test_wrong_passphrases_are_rate_limited(sample_app: Flask) -> None:
    closed_survey_with_responses(sample_app, count=0)
    client, _staff = signed_in(sample_app, "admin")
    statuses = []
    for _ in range(6):
        page = check_page(client.get("/staff/surveys/sample/analyse"))
        statuses.append(
            client.post(
                "/staff/surveys/sample/analyse",
                data={"passphrase": "wrong guess", "csrf_token": form_token(page)},
            ).status_code
        )
    assert statuses == [400] * 5 + [429]


def test_an_open_survey_cannot_be_analysed(sample_app: Flask) -> None:
    create_survey(sample_app, "sample-survey", slug="sample")
    client, _staff = signed_in(sample_app, "admin")
    page = check_page(client.get("/staff/surveys/sample/analyse"))
    assert page.h1 == "This survey cannot be analysed yet"
    assert page.select("main input[name=passphrase]") == []


def test_an_unassigned_analyst_cannot_analyse(sample_app: Flask) -> None:
    closed_survey_with_responses(sample_app, count=0)
    client, _staff = signed_in(sample_app, "analyst")
    assert client.get("/staff/surveys/sample/analyse").status_code == 403


def test_cli_run_with_a_passphrase_file_and_publish(sample_app: Flask, tmp_path: Path) -> None:
    closed_survey_with_responses(sample_app)
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    runner = sample_app.test_cli_runner()
    result = runner.invoke(
        args=["analysis", "run", "--survey", "sample", "--passphrase-file", str(secret)]
    )
    assert result.exit_code == 0, result.output
    release_id = result.output.split("Stored draft release ")[1].split()[0]
    published = runner.invoke(
        args=[
            "analysis",
            "publish",
            "--survey",
            "sample",
            "--release",
            release_id,
            "--passphrase-file",
            str(secret),
        ]
    )
    assert published.exit_code == 0, published.output
    with sample_app.app_context():
        info = surveys.get_survey(get_db(), "sample")
        release = analysis.load_release(get_db(), get_keyring(), info, published_only=True)
    assert release is not None and release.id == release_id
    assert release.protected.size(()) == RESPONSES


@pytest.mark.parametrize("passphrase", ["wrong passphrase", ""])
def test_cli_run_refuses_a_wrong_passphrase(
    sample_app: Flask, tmp_path: Path, passphrase: str
) -> None:
    closed_survey_with_responses(sample_app)
    secret = tmp_path / "passphrase.txt"
    secret.write_text(passphrase, encoding="utf-8")
    result = sample_app.test_cli_runner().invoke(
        args=["analysis", "run", "--survey", "sample", "--passphrase-file", str(secret)]
    )
    assert result.exit_code == 1
    assert "Error: That passphrase does not open any key slot" in result.output
    with sample_app.app_context():
        info = surveys.get_survey(get_db(), "sample")
        assert analysis.release_count(get_db(), info.id) == 0


def test_wrong_passphrases_sent_all_at_once_are_still_limited(sample_app: Flask) -> None:
    """The limit is checked before a passphrase is tried and counted after: ten guesses sent
    at the same moment would all pass the check. One attempt at a time per member of staff."""
    sample_app.config["SURVEY_SCRYPT_LOG2_N"] = 16  # a check that takes a while, as in production
    closed_survey_with_responses(sample_app, count=0)
    client, _staff = signed_in(sample_app, "admin")
    token = form_token(check_page(client.get("/staff/surveys/sample/analyse")))
    browsers = []
    for _ in range(10):
        twin = sample_app.test_client()
        for cookie in client._cookies.values():  # the same signed-in browser, ten times
            twin.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
        browsers.append(twin)
    start = threading.Barrier(len(browsers))

    def guess(browser: FlaskClient) -> int:
        start.wait()
        data = {"passphrase": "wrong guess", "csrf_token": token}
        return int(browser.post("/staff/surveys/sample/analyse", data=data).status_code)

    with ThreadPoolExecutor(len(browsers)) as threads:
        statuses = list(threads.map(guess, browsers))
    assert sorted(set(statuses)) == [400, 429]
    tried = [e for e in events(sample_app, "analysis_run") if e.detail.startswith("refused")]
    assert statuses.count(400) == len(tried) <= 5
