"""A respondent completes each real questionnaire; a key holder can open what was sent."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import get_db, get_questionnaires
from survey_app.services.export import open_responses
from tests.helpers.journey import PASSPHRASE, answer_everything, create_survey, page

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
