"""The parts of services/reports.py that need no database: labels and the list of report
questions from a questionnaire, and which state a report is in."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path

from analysis.counting import MISSING
from analysis.disclosure import NO_ANSWER
from survey_app.domain.loading import load_questionnaire
from survey_app.services.analysis import ReleaseData, compute_release, permitted_views
from survey_app.services.reports import (
    ReportContext,
    breakdown_title,
    report_labels,
    report_questions,
)
from survey_app.services.surveys import SurveyInfo

FIXTURE = Path(__file__).parents[2] / "fixtures" / "questionnaires" / "report-survey.yaml"
QUESTIONNAIRE = load_questionnaire(FIXTURE)


def release(responses: int, k: int = 5) -> ReleaseData:
    rng = random.Random(responses)
    answers = [
        {
            "council": rng.choice(["north", "south"]),
            "witnessed": rng.choice(["yes", "no"]),
            "views": {"listened": "agree", "valued": rng.choice(["agree", "disagree"])},
            "support": ["manager"],
        }
        for _ in range(responses)
    ]
    return ReleaseData(
        id="0" * 32,
        survey_slug="report-survey",
        survey_title="Report survey",
        questionnaire_id="report-survey",
        questionnaire_version="1",
        status="draft",
        as_at=dt.date(2026, 5, 4),
        views=tuple(permitted_views(QUESTIONNAIRE)),
        protected=compute_release(QUESTIONNAIRE, answers, k=k),
    )


def survey(status: str) -> SurveyInfo:
    return SurveyInfo(
        id="1" * 32,
        slug="report-survey",
        title="Report survey",
        questionnaire_id="report-survey",
        questionnaire_version="1",
        access="open",
        status=status,
        min_group=5,
        public_key=b"k" * 32,
        created_on=dt.date(2026, 1, 1),
        opened_on=None,
        closed_on=None,
    )


def test_labels_come_from_the_questionnaire() -> None:
    labels = report_labels(QUESTIONNAIRE)
    assert labels.breakdown("ethnic_group") == "Ethnic group"
    assert labels.group("council", "east") == "<b>East</b> & Fens Council"
    assert labels.group("council", MISSING) == "Not answered"
    assert labels.item("witnessed") == "In the last year, have you seen racism at work?"
    assert labels.item("views__valued") == "I feel valued at work"
    assert labels.option("views__valued", "neutral") == "Neither agree nor disagree"
    assert labels.option("support", "nobody") == "Nobody"
    assert labels.option("support", NO_ANSWER) == "No answer"
    assert labels.multiple == frozenset({"support"})
    assert labels.view(("council", "ethnic_group")) == "By council and ethnic group"
    assert breakdown_title("ethnic_group") == "Ethnic group"
    assert report_labels(None).item("witnessed") == "witnessed"


def test_report_questions_follow_the_questionnaire() -> None:
    questions = report_questions(QUESTIONNAIRE, release(30))
    assert [(q.id, q.kind, q.items) for q in questions] == [
        ("witnessed", "counts", ("witnessed",)),
        ("views", "counts", ("views__listened", "views__valued")),
        ("support", "counts", ("support",)),
        ("comments", "text", ()),
    ]


def test_items_a_newer_questionnaire_lacks_are_still_reported() -> None:
    newer = dataclasses.replace(
        QUESTIONNAIRE,
        version="2",
        sections=tuple(
            dataclasses.replace(s, questions=tuple(q for q in s.questions if q.id != "witnessed"))
            for s in QUESTIONNAIRE.sections
        ),
    )
    questions = report_questions(newer, release(30))
    assert [q.id for q in questions] == ["views", "support", "comments", "witnessed"]
    assert questions[-1].items == ("witnessed",)
    assert [q.id for q in report_questions(None, release(30))] == [
        "witnessed",
        "views__listened",
        "views__valued",
        "support",
    ]


def test_the_state_of_a_report() -> None:
    labels = report_labels(QUESTIONNAIRE)

    def context(status: str, data: ReleaseData | None) -> ReportContext:
        return ReportContext(survey(status), data, labels, (), is_worker=True)

    assert context("open", release(30)).state == "not_closed"
    assert context("closed", None).state == "no_release"
    assert context("closed", release(0)).state == "no_responses"
    assert context("closed", release(4)).state == "too_few"
    ready = context("closed", release(30))
    assert ready.state == "ready" and ready.may_publish
    assert not ReportContext(survey("closed"), release(30), labels, (), False).may_publish
