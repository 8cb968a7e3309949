"""A respondent completes each real questionnaire; a key holder can open what was sent; and
the whole journey, from answers sent through the pages to a report a viewer reads, on both
databases."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import get_db, get_questionnaires
from survey_app.services.export import open_responses
from tests.helpers.journey import PASSPHRASE, answer_everything, create_survey, page
from tests.helpers.pages import check_page
from tests.helpers.runs import wait_for_run
from tests.integration.reports.support import check_figure_table, release_of, staff_member
from tests.integration.staff.support import events, form_token

QUESTIONNAIRES = [
    "global-majority-staff-survey",
    "reflective-space-feedback",
    "black-male-social-workers",
]


@pytest.mark.parametrize("questionnaire_id", QUESTIONNAIRES)
def test_complete_each_questionnaire_and_open_it(
    app: Flask, client: FlaskClient, questionnaire_id: str
) -> None:
    info = create_survey(app, questionnaire_id)
    with app.app_context():
        questionnaire = get_questionnaires()[questionnaire_id]
    expected = answer_everything(client, questionnaire, info.slug, seed=7)

    done = page(client, f"/s/{info.slug}/done")
    assert "your answers have been sent" in done.h1

    with app.app_context():
        opened = open_responses(get_db(), info.slug, PASSPHRASE)
    assert len(opened) == 1
    assert opened[0].answers == expected
    assert opened[0].questionnaire_version == questionnaire.version


def test_landing_lists_open_surveys_only(app: Flask, client: FlaskClient) -> None:
    create_survey(app, "reflective-space-feedback", slug="open-one")
    create_survey(app, "black-male-social-workers", slug="not-yet", open_it=False)
    landing = page(client, "/")
    links = [a["href"] for a in landing.select("main a.cd-link")]
    assert "/s/open-one/" in links
    assert "/s/not-yet/" not in links


RESPONDENTS = 12


@pytest.mark.both_databases
def test_answers_sent_through_the_pages_reach_a_published_report(sample_app: Flask) -> None:
    """Respondents answer through the pages; an analyst closes the survey, analyses it and
    publishes the report, all through the pages (the jobs in their own processes); a viewer
    then reads figures that are the release's own and agree with what was sent."""
    info = create_survey(sample_app, "sample-survey", slug="journey", min_group=5)
    with sample_app.app_context():
        questionnaire = get_questionnaires()["sample-survey"]
    sent = [
        answer_everything(sample_app.test_client(), questionnaire, info.slug, seed=seed)
        for seed in range(RESPONDENTS)
    ]
    base = f"/staff/surveys/{info.slug}"
    analyst, staff = staff_member(sample_app, "analyst", assigned_to=info.slug)

    close = check_page(analyst.get(f"{base}/close"))
    closed = analyst.post(f"{base}/close", data={"csrf_token": form_token(close)})
    assert closed.status_code == 303
    analyse = check_page(analyst.get(f"{base}/analyse"))
    started = analyst.post(
        f"{base}/analyse", data={"passphrase": PASSPHRASE, "csrf_token": form_token(analyse)}
    )
    assert started.status_code == 303
    assert wait_for_run(analyst, started.headers["Location"]) == "The release is ready"

    overview = check_page(analyst.get(f"{base}/report"))
    assert overview.one("#release-status").get_text(strip=True) == "Draft, not published"
    assert overview.one("#release-responses").get_text(strip=True) == str(RESPONDENTS)
    confirm = check_page(analyst.get(str(overview.one("#publish-form a")["href"])))
    assert confirm.h1 == "Publish the report"
    published = analyst.post(
        f"{base}/publish",
        data={
            "csrf_token": form_token(confirm),
            "release": str(confirm.one("main form input[name=release]")["value"]),
            "review": str(confirm.one("main form input[name=review]")["value"]),
            "confirm": "yes",
            "passphrase": PASSPHRASE,
        },
    )
    assert published.status_code == 303
    assert wait_for_run(analyst, published.headers["Location"]) == "The report is published"
    assert [e.actor for e in events(sample_app, "release_published")] == [staff.email]

    viewer, _viewer = staff_member(sample_app, "viewer")
    report = check_page(viewer.get(f"{base}/report"))
    assert report.one("#release-status").get_text(strip=True) == "Published"
    assert report.one("#release-responses").get_text(strip=True) == str(RESPONDENTS)
    release = release_of(sample_app, info.slug, published_only=True).protected
    tables = check_page(viewer.get(f"{base}/report/colour")).select("main table")
    assert tables and sum(check_figure_table(t, release) for t in tables) > 0
    shown = 0
    for option in questionnaire.question("colour").options:
        count = release.value("colour", (), option.value)
        if count is not None:  # hidden (c) when too few chose it
            assert count == sum(1 for answers in sent if answers.get("colour") == option.value)
            shown += 1
    assert shown > 0
