"""Headcounts and response rates: an admin enters each council's eligible staff (web form or
CSV); the report shows a council's response rate only where its response count is published,
and a headcount below the published responses is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from survey_app.cli_headcounts import headcounts_cli
from survey_app.extensions import get_db, get_questionnaires
from survey_app.services import surveys
from survey_app.services.submission import submit_response
from tests.helpers.journey import create_survey
from tests.helpers.pages import check_page
from tests.integration.reports.support import QUESTIONNAIRE
from tests.integration.reports.test_release_attacks import SLUG, analyse, publish
from tests.integration.staff.support import events, form_token, signed_in

#: North and South large enough to show; East (3 people) hidden, and South with it or not
PEOPLE = {"north": 40, "south": 25, "east": 3}


def published_survey(app: Flask) -> None:
    create_survey(app, QUESTIONNAIRE, slug=SLUG, min_group=5)
    with app.app_context():
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
        info = surveys.get_survey(get_db(), SLUG)
        for council, count in PEOPLE.items():
            for index in range(count):
                answers: dict[str, Any] = {
                    "council": council,
                    "witnessed": ["yes", "no"][index % 2],
                }
                submit_response(get_db(), info, questionnaire, answers)
        surveys.close_survey(get_db(), SLUG)
    publish(app, analyse(app))


def rates(client: Any) -> list[list[str]]:
    page = check_page(client.get(f"/staff/surveys/{SLUG}/report"))
    return [
        [cell.get_text(strip=True) for cell in row.select("th, td")]
        for row in page.select("#rates tbody tr")
    ]


def test_rates_from_a_csv_only_where_a_council_is_published(
    sample_app: Flask, tmp_path: Path
) -> None:
    published_survey(sample_app)
    csv = tmp_path / "headcounts.csv"
    csv.write_text('council,headcount\nNorth Council,160\nsouth,"1,000"\neast,12\n')
    done = sample_app.test_cli_runner().invoke(
        headcounts_cli, ["set", "--survey", SLUG, "--file", str(csv)]
    )
    assert done.output == f"Survey '{SLUG}': headcounts for 3 councils, 1,172 staff.\n"
    viewer, _ = signed_in(sample_app, "viewer")
    shown = rates(viewer)
    assert ["North Council", "40", "160", "25%"] in shown
    assert not any("East" in row[0] for row in shown), "East's count is hidden: no rate"
    listed = sample_app.test_cli_runner().invoke(headcounts_cli, ["list", "--survey", SLUG])
    assert "North Council" in listed.output and "1,000" in listed.output


def test_bad_headcounts_are_refused_with_a_reason(sample_app: Flask, tmp_path: Path) -> None:
    published_survey(sample_app)
    runner = sample_app.test_cli_runner()
    low = tmp_path / "low.csv"
    low.write_text("north,39\n")
    refused = runner.invoke(headcounts_cli, ["set", "--survey", SLUG, "--file", str(low)])
    assert refused.exit_code != 0
    assert "The headcount for North Council (39) is smaller than its 40 published responses" in (
        refused.output
    )
    for text, reason in [
        ("north,-5\n", "Line 1: the headcount for north must be a whole number of 0 or more"),
        ("west,5\n", "Line 1: 'west' is not a council of this survey"),
        ("north\n", "Line 1: write a council and its headcount, 2 values"),
    ]:
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        result = runner.invoke(headcounts_cli, ["set", "--survey", SLUG, "--file", str(bad)])
        assert reason in result.output, result.output

    admin, _ = signed_in(sample_app, "admin")
    survey_page = check_page(admin.get(f"/staff/surveys/{SLUG}"))
    assert survey_page.one("#survey-headcounts a")["href"] == f"/staff/surveys/{SLUG}/headcounts"
    form = check_page(admin.get(f"/staff/surveys/{SLUG}/headcounts"))
    assert form.one("#headcount-north-hint").get_text(strip=True) == "Published responses: 40"
    sent = admin.post(
        f"/staff/surveys/{SLUG}/headcounts",
        data={"csrf_token": form_token(form), "headcount-north": "-5", "headcount-south": "²"},
    )
    assert check_page(sent).error_messages() == [
        "Enter the headcount for North Council as a whole number, or leave it empty",
        "Enter the headcount for South Council as a whole number, or leave it empty",
    ]
    saved = admin.post(
        f"/staff/surveys/{SLUG}/headcounts",
        data={"csrf_token": form_token(form), "headcount-north": "200", "headcount-south": ""},
    )
    assert saved.status_code == 303
    assert [e.detail for e in events(sample_app, "headcounts_set")] == ["1 councils, 200 staff"]
    assert ["North Council", "40", "200", "20%"] in rates(admin)
    analyst, _ = signed_in(sample_app, "analyst")
    assert analyst.get(f"/staff/surveys/{SLUG}/headcounts").status_code == 403
