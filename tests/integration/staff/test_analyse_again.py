"""Analysing again on the web: the page says what review work is at stake and asks whether to
keep it (carried forward by the job) or start again; work that cannot be carried is named,
and analysing goes ahead only once the analyst confirms it will be lost."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    get_unlock_store,
)
from survey_app.services import releases, review
from survey_app.storage.models import Release
from tests.helpers.journey import PASSPHRASE
from tests.helpers.pages import Page, check_page
from tests.helpers.runs import wait_for_run
from tests.integration.reports.support import publish, staff_member
from tests.integration.reports.test_themes import BASE, SLUG, build_themed
from tests.integration.staff.support import form_token

ANALYSE = f"{BASE}/analyse"


def _review(app: Flask) -> review.ReviewContext:
    with app.app_context():
        return review.open_review(
            get_db(), get_keyring(), get_questionnaires(), None, SLUG, get_unlock_store()
        )


def _name_first_theme(app: Flask, release_id: str) -> int:
    theme = _review(app).review("comments").themes[0].id
    with app.app_context():
        review.act(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            get_theme_options(),
            None,
            SLUG,
            release_id,
            "comments",
            "rename",
            {"theme": str(theme), "label": "Caseload allocation"},
            get_unlock_store(),
        )
    return theme


def _analyse(client: FlaskClient, page: Page, **data: str) -> Any:
    fields = {"csrf_token": form_token(page), "passphrase": PASSPHRASE}
    return client.post(ANALYSE, data={**fields, **data})


def _finish(client: FlaskClient, response: Any) -> None:
    assert response.status_code == 303, response.status_code
    assert wait_for_run(client, response.headers["Location"]) == "The release is ready"


@pytest.mark.slow
def test_keep_or_start_again_is_asked_and_done(sample_app: Flask) -> None:
    first_id = build_themed(sample_app)
    theme = _name_first_theme(sample_app, first_id)
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    page = check_page(client.get(ANALYSE))
    assert page.one("#review-at-stake").get_text(strip=True) == "Review work on the current draft"
    assert [li.get_text(strip=True) for li in page.select("#review-work li")] == ["1 theme name"]
    unanswered = check_page(_analyse(client, page), 422)
    assert unanswered.error_messages() == [
        "Select whether to keep the review work or start the review again"
    ]
    # Keep: the job carries the name forward to the new draft.
    _finish(client, _analyse(client, page, review="keep"))
    kept = _review(sample_app)
    assert kept.release_id != first_id
    assert kept.review("comments").theme(theme).label == "Caseload allocation"
    assert kept.review("comments").theme(theme).confirmed
    # Start again: nothing is carried, and the page had said what would be lost.
    page = check_page(client.get(ANALYSE))
    assert "1 theme name" in page.one("#review-work").get_text()
    _finish(client, _analyse(client, page, review="discard"))
    fresh = _review(sample_app).review("comments")
    assert fresh.decisions == () and not any(t.confirmed for t in fresh.themes)


def test_work_that_cannot_be_carried_needs_a_confirmation(sample_app: Flask) -> None:
    first_id = build_themed(sample_app)
    _name_first_theme(sample_app, first_id)
    publish(sample_app, SLUG)
    # As a report published before Candour kept a record of the review.
    with sample_app.app_context():
        keyring = get_keyring()
        with get_db().transaction() as session:
            row = session.get(Release, first_id)
            assert row is not None
            document = releases.read_release(session, keyring, row)
            assert "carry" in document
            del document["carry"]
            releases.write_release(session, keyring, row, document)
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    page = check_page(client.get(ANALYSE))
    assert (
        page.one("#review-at-stake").get_text(strip=True) == "Review work on the published report"
    )
    assert "cannot be carried forward" in page.one(".cd-warning-text").get_text()
    assert not page.select("input[name=review]")
    refused = check_page(_analyse(client, page), 422)
    assert refused.error_messages() == ["Confirm that the review work will be lost, or go back"]
    _finish(client, _analyse(client, page, confirm="yes"))
    fresh = _review(sample_app).review("comments")
    assert fresh.decisions == ()


def test_a_first_analysis_asks_nothing(sample_app: Flask) -> None:
    build_themed(sample_app)  # a draft, but nobody has reviewed it yet
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    page = check_page(client.get(ANALYSE))
    assert not page.select("#review-at-stake") and not page.select("input[name=review]")
