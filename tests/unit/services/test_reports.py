"""The parts of services/reports.py that need no database: labels and the list of report
questions from a questionnaire, and which state a report is in."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from analysis.counting import MISSING
from analysis.disclosure import NO_ANSWER, ProtectedRelease
from survey_app.domain.loading import load_questionnaire
from survey_app.domain.model import QuestionType
from survey_app.services.analysis import ReleaseData, compute_release, permitted_views
from survey_app.services.errors import NotFoundError
from survey_app.services.reports import (
    ReportContext,
    breakdown_title,
    chosen_views,
    default_views,
    question_titles,
    report_labels,
    report_questions,
)
from survey_app.services.surveys import SurveyInfo

FIXTURE = Path(__file__).parents[2] / "fixtures" / "questionnaires" / "report-survey.yaml"
QUESTIONNAIRE = load_questionnaire(FIXTURE)
STAFF_SURVEY = load_questionnaire(
    Path(__file__).parents[3] / "questionnaires" / "global-majority-staff-survey.yaml"
)
COUNCIL, ETHNIC = ("council",), ("ethnic_group",)
BOTH = ("council", "ethnic_group")


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


def hand_release(views: tuple[tuple[str, ...], ...]) -> ReleaseData:
    """A release of the report survey, made by hand, that publishes ``views`` only (the
    questionnaire permits overall, by council, by ethnic group, and the two together)."""
    councils, groups = ("north", "south", "east", MISSING), ("asian", "black", MISSING)
    sizes: dict[Any, int | None] = {(): 30}
    sizes.update({(("council", c),): None for c in councils})
    sizes.update({(("ethnic_group", g),): None for g in groups})
    rows = {pop: {"yes": None, "no": None, NO_ANSWER: None} for pop in sizes}
    protected = ProtectedRelease(
        k=5,
        k_cell=3,
        sizes=MappingProxyType(sizes),
        items=MappingProxyType({"witnessed": MappingProxyType(rows)}),
        audit=(),
        dimensions=MappingProxyType({"council": councils, "ethnic_group": groups}),
        views=views,
    )
    return ReleaseData(
        id="0" * 32,
        survey_slug="report-survey",
        survey_title="Report survey",
        questionnaire_id="report-survey",
        questionnaire_version="1",
        status="published",
        as_at=dt.date(2026, 5, 4),
        views=tuple(permitted_views(QUESTIONNAIRE)),
        protected=protected,
    )


def hand_context(views: tuple[tuple[str, ...], ...]) -> ReportContext:
    data = hand_release(views)
    labels = report_labels(QUESTIONNAIRE)
    return ReportContext(survey("closed"), data, labels, (), is_worker=False)


def test_report_questions_follow_the_questionnaire() -> None:
    questions = report_questions(QUESTIONNAIRE, release(30))
    assert [(q.id, q.kind, q.items) for q in questions] == [
        ("witnessed", "counts", ("witnessed",)),
        ("views", "counts", ("views__listened", "views__valued")),
        ("support", "counts", ("support",)),
        ("comments", "text", ()),
    ]
    # No two questions share a title here, so each is named by its own text.
    assert [q.title for q in questions] == [
        "In the last year, have you seen racism at work?",
        "How far do you agree with each statement?",
        "Who would you go to for support?",
        "Is there anything else you want to tell us?",
    ]
    assert all(q.text == "" for q in questions)


def test_every_question_and_statement_of_the_staff_survey_has_its_own_label() -> None:
    asked = [
        (q, section)
        for section in STAFF_SURVEY.sections
        for q in section.questions
        if not q.demographic
    ]
    titles = question_titles(asked)
    assert len({t.casefold() for t in titles}) == len(titles)
    by_id = {q.id: title for (q, _section), title in zip(asked, titles, strict=True)}
    # Three grids ask "How much do you agree or disagree with each statement?": each is
    # named by its section instead.
    assert by_id["safety_statements"] == "Feeling safe at work"
    assert by_id["allyship_statements"] == "Support and allyship"
    assert by_id["progression_statements"] == "Progression and development"
    # Questions with their own wording keep it.
    assert by_id["experienced_racism"] == (
        "In the last 12 months, have you experienced racism at work?"
    )
    assert by_id["pledge_commitments"] == "How well does your organisation do each of these?"
    # Every grid statement (a row in the lists and a heading on its page) is named by its
    # own text, and no two are the same.
    labels = report_labels(STAFF_SURVEY)
    statements = [
        labels.item(f"{q.id}__{s.id}")
        for q, _section in asked
        if q.type is QuestionType.LIKERT_GRID
        for s in q.statements
    ]
    assert "I can be myself at work." in statements
    assert len(set(statements)) == len(statements) == 24
    assert not any(s.startswith("How much do you agree") for s in statements)


def test_titles_that_still_clash_get_their_numbers() -> None:
    section = STAFF_SURVEY.section("psychological_safety")
    grid = section.questions[0]
    twice = [(grid, section), (grid, section), (STAFF_SURVEY.question("council"), section)]
    assert question_titles(twice) == [
        "Feeling safe at work (question 1)",
        "Feeling safe at work (question 2)",
        "Which council do you work for?",
    ]
    single = STAFF_SURVEY.question("experienced_racism")
    other = STAFF_SURVEY.section("reporting")
    assert question_titles([(single, section), (single, other)]) == [
        "Feeling safe at work: In the last 12 months, have you experienced racism at work?",
        "Reporting racism: In the last 12 months, have you experienced racism at work?",
    ]


def test_readers_are_offered_only_the_views_a_release_publishes() -> None:
    context = hand_context(((), COUNCIL, ETHNIC))
    assert context.permitted == ((), COUNCIL, ETHNIC, BOTH)
    assert context.views == ((), COUNCIL, ETHNIC)
    assert context.unpublished == (BOTH,)
    assert context.unpublished_note == (
        "There are too few responses to show results by council and ethnic group."
    )
    everything = hand_context(((), COUNCIL, ETHNIC, BOTH))
    assert everything.unpublished == () and everything.unpublished_note == ""
    only_overall = hand_context(((),))
    assert only_overall.views == ((),)
    assert only_overall.unpublished_note == (
        "There are too few responses to show results by council, or by ethnic group, "
        "or by council and ethnic group."
    )


def test_downloads_hold_everyone_and_one_way_breakdowns_unless_the_reader_chooses() -> None:
    assert default_views(((), COUNCIL, ETHNIC, BOTH)) == ((), COUNCIL, ETHNIC)
    assert default_views(((),)) == ((),)
    context = hand_context(((), COUNCIL, ETHNIC, BOTH))
    assert chosen_views(context, None) == ((), COUNCIL, ETHNIC)
    assert chosen_views(context, []) == ((), COUNCIL, ETHNIC)
    assert chosen_views(context, ["overall"]) == ((),)
    assert chosen_views(context, ["council+ethnic_group", "overall"]) == ((), BOTH)
    # In the release's order, whatever order they were asked in, each once.
    assert chosen_views(context, ["ethnic_group", "council", "ethnic_group"]) == (
        (),
        COUNCIL,
        ETHNIC,
    )


@pytest.mark.parametrize(
    "asked", ["council+ethnic_group", "ethnic_group+council", "gender", "Overall", "council "]
)
def test_a_view_that_is_not_published_is_never_downloaded(asked: str) -> None:
    context = hand_context(((), COUNCIL, ETHNIC))  # the two-way view is not published
    with pytest.raises(NotFoundError) as raised:
        chosen_views(context, ["council", asked])
    assert "is not a breakdown this report publishes" in str(raised.value)
    assert "Choose from: overall, council, ethnic_group" in str(raised.value)


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
