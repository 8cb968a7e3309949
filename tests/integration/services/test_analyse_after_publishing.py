"""Analysing a survey again after publishing, when its report could not show every breakdown.

The demo's staff survey (300 responses) publishes one-way breakdowns but not the two-way ones
(too few responses); here the test questionnaire with a council × ethnic group breakdown and
40 responses does the same. Analysing it again, as the README invites an admin to do to try
the theme review, was refused as "published with other tables than its questionnaire now asks for":
the check compared the published groups with every group asked for. Later releases show what
the first one showed, so a breakdown left out stays out, and the analysis goes ahead.
"""

from __future__ import annotations

import random

from flask import Flask

from survey_app.demo_data import synthetic_answers
from survey_app.extensions import get_db, get_keyring, get_questionnaires, get_theme_options
from survey_app.services import analysis, surveys
from survey_app.services.analysis import first_published
from survey_app.services.submission import submit_response
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.integration.reports.support import publish, release_of

SLUG = "staff-again"


def _analyse(app: Flask) -> str:
    with app.app_context():
        questionnaire = get_questionnaires()["report-survey"]
        return analysis.run_analysis(
            get_db(),
            get_keyring(),
            questionnaire,
            SLUG,
            PASSPHRASE,
            actor="test",
            theme_options=get_theme_options(),
        )


def test_a_survey_whose_report_left_out_a_breakdown_can_be_analysed_again(
    sample_app: Flask,
) -> None:
    app = sample_app
    info = create_survey(app, "report-survey", slug=SLUG)
    with app.app_context():
        questionnaire = get_questionnaires()["report-survey"]
        rng = random.Random(2025)
        for _ in range(40):
            submit_response(get_db(), info, questionnaire, synthetic_answers(questionnaire, rng))
        surveys.close_survey(get_db(), SLUG)
    first = _analyse(app)
    publish(app, SLUG)
    with app.app_context(), get_db().session() as session:
        published = first_published(session, get_keyring(), info.id)
    assert published is not None
    # the premise: some breakdown asked for was left out of the published report
    assert not any(len(view) == 2 for view in published.views)
    second = _analyse(app)
    assert second != first
    again = release_of(app, SLUG)
    assert again.id == second and again.status == "draft"
