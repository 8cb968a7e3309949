"""Retention: once a survey's period after its close has ended, ``flask retention apply``
deletes its key slots, responses, drafts and review copies, keeps its published report, records
what it did, and does nothing the second time. Surveys still inside their period are untouched.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from survey_app.cli_retention import retention_cli
from survey_app.extensions import get_db, get_keyring, get_questionnaires
from survey_app.services import analysis, reports, retention, surveys
from survey_app.services.errors import ServiceError
from survey_app.storage.models import KeySlot, Release, Response, Survey
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.helpers.pages import check_page
from tests.integration.reports.support import QUESTIONNAIRE
from tests.integration.reports.test_release_attacks import (
    SLUG,
    analyse,
    closed_with_comments,
    publish,
)
from tests.integration.staff.support import events, signed_in

TODAY = dt.date(2029, 1, 15)


def closed_long_ago(app: Flask, slug: str, closed_on: dt.date) -> None:
    with app.app_context(), get_db().transaction() as session:
        session.execute(update(Survey).where(Survey.slug == slug).values(closed_on=closed_on))


def rows(app: Flask, model: type, slug: str) -> int:  # type: ignore[type-arg]
    with app.app_context(), get_db().session() as session:
        survey_id = session.scalar(select(Survey.id).where(Survey.slug == slug))
        return int(
            session.scalar(
                select(func.count()).select_from(model).where(model.survey_id == survey_id)
            )
            or 0
        )


@pytest.fixture
def shredded_app(sample_app: Flask) -> Flask:
    """The attacks survey (90 responses): published, then analysed again (a draft with its
    review copy), closed 25 months before TODAY; and another survey closed a year before."""
    app = sample_app
    publish(app, closed_with_comments(app))
    analyse(app)
    closed_long_ago(app, SLUG, dt.date(2026, 12, 14))
    create_survey(app, QUESTIONNAIRE, slug="recent")
    with app.app_context():
        surveys.close_survey(get_db(), "recent")
    closed_long_ago(app, "recent", dt.date(2028, 1, 15))
    return app


def test_an_expired_survey_is_shredded_and_its_report_kept(shredded_app: Flask) -> None:
    app = shredded_app
    assert rows(app, Response, SLUG) == 90
    with app.app_context():
        envelope = get_db().session().scalars(select(Response.envelope)).first()
        preview = retention.apply(get_db(), TODAY, actor="test", dry_run=True)
        assert [(s.survey.slug, s.responses, s.key_slots, s.drafts) for s in preview] == [
            (SLUG, 90, 1, 1)
        ]
    assert rows(app, Response, SLUG) == 90, "a dry run changes nothing"
    with app.app_context():
        done = retention.apply(get_db(), TODAY, actor="test")
    assert [s.survey.slug for s in done] == [SLUG]
    assert rows(app, Response, SLUG) == 0
    assert rows(app, KeySlot, SLUG) == 0
    with app.app_context(), get_db().session() as session:
        kept = session.execute(
            select(Release.status, Release.workspace, Release.workspace_key)
        ).all()
        info = surveys.get_survey(get_db(), SLUG)
    assert kept == [("published", None, None)], "drafts and review copies go; the report stays"
    assert info.shredded_on == TODAY
    # the other survey is inside its period: untouched
    assert rows(app, KeySlot, "recent") == 1
    # nothing can be unlocked any more, and the published report still reads
    with app.app_context():
        with pytest.raises(ServiceError, match="deleted on 15 January 2029"):
            analysis.open_answers(get_db(), SLUG, PASSPHRASE)
        page = reports.overview(get_db(), get_keyring(), get_questionnaires(), None, SLUG)
        assert page.context.release is not None
        assert page.context.release.protected.size(()) == 90
    # the sealed bytes are gone from the database file too (SQLite: log truncated)
    url = app.config["SURVEY_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        assert envelope is not None
        assert envelope not in Path(url.removeprefix("sqlite:///")).read_bytes()
    assert [e.detail for e in events(app, "survey_shredded")] == [
        "90 responses and 1 key slots deleted, 24 months after the close"
    ]
    # a second run (tomorrow's cron) finds nothing to do
    with app.app_context():
        assert retention.apply(get_db(), TODAY, actor="test") == []


def test_the_command_line_lists_and_shreds(shredded_app: Flask) -> None:
    # the command works from today's date: close the survey 25 months before it
    closed_long_ago(shredded_app, SLUG, surveys.add_months(dt.date.today(), -25))
    closed_long_ago(shredded_app, "recent", dt.date.today())
    runner = shredded_app.test_cli_runner()
    listed = runner.invoke(retention_cli, ["apply", "--dry-run"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith(f"Would delete {SLUG}: 90 responses, 1 key slots")
    assert rows(shredded_app, Response, SLUG) == 90
    done = runner.invoke(retention_cli, ["apply"])
    assert done.output.startswith(f"Deleted {SLUG}: 90 responses")
    again = runner.invoke(retention_cli, ["apply"])
    assert again.output == "No survey is due: nothing was deleted.\n"


def test_a_survey_page_shows_when_its_responses_go(shredded_app: Flask) -> None:
    client, _staff = signed_in(shredded_app, "admin")
    before = check_page(client.get("/staff/surveys/recent"))
    assert before.one("#survey-retention").get_text(" ", strip=True) == (
        "Until 15 January 2030 (24 months after the close), then deleted; published reports "
        "are kept"
    )
    with shredded_app.app_context():
        retention.apply(get_db(), TODAY, actor="test")
    after = check_page(client.get(f"/staff/surveys/{SLUG}"))
    assert after.one("#survey-retention").get_text(" ", strip=True) == (
        "Deleted on 15 January 2029; the published reports are kept"
    )


def test_a_retention_period_can_be_changed_within_limits(sample_app: Flask) -> None:
    app = sample_app
    create_survey(app, QUESTIONNAIRE, slug="feedback")
    runner = app.test_cli_runner()
    assert (
        "between 1 and 120 months"
        in runner.invoke(retention_cli, ["set", "feedback", "121"]).output
    )
    assert runner.invoke(retention_cli, ["set", "feedback", "0"]).exit_code != 0
    changed = runner.invoke(retention_cli, ["set", "feedback", "6"])
    assert (
        changed.output
        == "Survey 'feedback': raw responses will be deleted 6 months after it closes.\n"
    )
    page = check_page(app.test_client().get("/s/feedback/"))
    assert (
        page.one("#retention")
        .get_text(" ", strip=True)
        .startswith("Your encrypted answers are kept for 6 months after this survey closes")
    )
    with app.app_context():
        surveys.close_survey(get_db(), "feedback", today=dt.date(2027, 3, 31))
        info = surveys.get_survey(get_db(), "feedback")
    assert info.delete_on == dt.date(2027, 9, 30)
