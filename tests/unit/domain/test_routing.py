"""Routing through a questionnaire: visibility, pruning, navigation and required answers."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from survey_app.domain.model import (
    Condition,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Section,
    Statement,
)
from survey_app.domain.routing import (
    first_unanswered_required,
    is_answered,
    next_section,
    previous_section,
    prune_answers,
    section_position,
    visible_sections,
)

YES_NO = (
    Option("yes", "Yes"),
    Option("no", "No"),
    Option("prefer_not_to_say", "Prefer not to say"),
)


def choice(
    question_id: str, *, show_if: Condition | None = None, required: bool = False
) -> Question:
    return Question(
        id=question_id,
        type=QuestionType.SINGLE_CHOICE,
        text=f"{question_id}?",
        options=YES_NO,
        show_if=show_if,
        required=required,
    )


def build() -> Questionnaire:
    """start → details (if experienced) → reporting (if reported) → work → final.

    ``outcome`` depends on ``reported``, which itself depends on ``experienced``: a chain.
    """
    sections = (
        Section("start", "Start", (choice("experienced", required=True),)),
        Section(
            "details",
            "Details",
            (
                Question(
                    id="kinds",
                    type=QuestionType.MULTIPLE_CHOICE,
                    text="What happened?",
                    options=(Option("comment", "A comment"), Option("exclusion", "Exclusion")),
                    show_if=Condition("experienced", ("yes",)),
                    required=True,
                ),
                choice("reported", show_if=Condition("experienced", ("yes",))),
            ),
        ),
        Section(
            "reporting",
            "Reporting",
            (
                Question(
                    id="outcome",
                    type=QuestionType.FREE_TEXT,
                    text="What happened after you reported it?",
                    max_length=500,
                    show_if=Condition("reported", ("yes",)),
                    required=True,
                ),
            ),
        ),
        Section(
            "work",
            "Work",
            (
                Question(
                    id="years",
                    type=QuestionType.NUMBER,
                    text="Years?",
                    minimum=0,
                    maximum=60,
                    required=True,
                ),
                Question(
                    id="pledge",
                    type=QuestionType.LIKERT_GRID,
                    text="How far do you agree?",
                    options=(Option("agree", "Agree"), Option("disagree", "Disagree")),
                    scale="agreement",
                    statements=(Statement("fair", "Fair"), Statement("safe", "Safe")),
                    required=True,
                ),
            ),
        ),
        Section(
            "final",
            "Final",
            (
                Question(
                    id="anything_else",
                    type=QuestionType.FREE_TEXT,
                    text="Anything else?",
                    max_length=500,
                ),
            ),
        ),
    )
    return Questionnaire(
        id="routing",
        version="1",
        title="Routing",
        description="Routing test.",
        privacy_notice="Notice.",
        sections=sections,
        estimated_minutes=5,
    )


Q = build()


def ids(sections: tuple[Section, ...]) -> list[str]:
    return [section.id for section in sections]


# --------------------------------------------------------------------------------------------
# Pruning


def test_prune_drops_unknown_questions() -> None:
    assert prune_answers(Q, {"experienced": "no", "nonsense": "x"}) == {"experienced": "no"}


def test_prune_drops_hidden_answers_along_a_chain() -> None:
    # "outcome" is visible only through "reported", which is now hidden itself.
    stale = {
        "experienced": "no",
        "kinds": ["comment"],
        "reported": "yes",
        "outcome": "Nothing changed.",
        "years": 4,
    }
    assert prune_answers(Q, stale) == {"experienced": "no", "years": 4}


def test_prune_keeps_visible_answers_in_questionnaire_order_without_changing_input() -> None:
    answers: dict[str, Any] = {
        "outcome": "It was handled.",
        "reported": "yes",
        "experienced": "yes",
    }
    original = dict(answers)
    pruned = prune_answers(Q, answers)
    assert list(pruned) == ["experienced", "reported", "outcome"]
    assert answers == original


def test_prune_with_nothing_answered() -> None:
    assert prune_answers(Q, {}) == {}


# --------------------------------------------------------------------------------------------
# Visible sections and navigation


def test_sections_whose_questions_are_all_hidden_are_not_visible() -> None:
    assert ids(visible_sections(Q, {})) == ["start", "work", "final"]
    assert ids(visible_sections(Q, {"experienced": "yes"})) == [
        "start",
        "details",
        "work",
        "final",
    ]
    assert ids(visible_sections(Q, {"experienced": "yes", "reported": "yes"})) == [
        "start",
        "details",
        "reporting",
        "work",
        "final",
    ]


def test_a_stale_answer_does_not_keep_a_section_visible() -> None:
    answers = {"experienced": "no", "reported": "yes"}
    assert ids(visible_sections(Q, answers)) == ["start", "work", "final"]


def test_next_section_follows_the_answers() -> None:
    assert next_section(Q, {"experienced": "no"}, "start") == Q.section("work")
    assert next_section(Q, {"experienced": "yes"}, "start") == Q.section("details")
    answers = {"experienced": "yes", "reported": "yes"}
    assert next_section(Q, answers, "details") == Q.section("reporting")
    assert next_section(Q, {"experienced": "yes", "reported": "no"}, "details") == Q.section("work")
    assert next_section(Q, {}, "final") is None


def test_next_section_ignores_stale_answers() -> None:
    answers = {"experienced": "prefer_not_to_say", "reported": "yes"}
    assert next_section(Q, answers, "start") == Q.section("work")


def test_previous_section_follows_the_answers() -> None:
    assert previous_section(Q, {"experienced": "no"}, "work") == Q.section("start")
    answers = {"experienced": "yes", "reported": "no"}
    assert previous_section(Q, answers, "work") == Q.section("details")
    assert previous_section(Q, {}, "start") is None


def test_navigation_from_a_hidden_section_uses_its_place() -> None:
    # The respondent changed an answer so the page they are on is no longer shown.
    assert next_section(Q, {"experienced": "no"}, "details") == Q.section("work")
    assert previous_section(Q, {"experienced": "no"}, "reporting") == Q.section("start")


def test_navigation_from_an_unknown_section_raises_key_error() -> None:
    with pytest.raises(KeyError):
        next_section(Q, {}, "nowhere")
    with pytest.raises(KeyError):
        previous_section(Q, {}, "nowhere")
    with pytest.raises(KeyError):
        section_position(Q, {}, "nowhere")


def test_section_position_counts_the_route_so_far() -> None:
    # on the first page nothing is decided: every section may still come
    assert section_position(Q, {}, "start") == (1, 5)
    # "experienced" skipped: the sections it opens are closed once the respondent is past it
    assert section_position(Q, {}, "work") == (2, 3)
    assert section_position(Q, {"experienced": "no"}, "work") == (2, 3)
    # "yes" opens details; "reported" is asked there, so reporting may still come
    assert section_position(Q, {"experienced": "yes"}, "details") == (2, 5)
    assert section_position(Q, {"experienced": "yes"}, "work") == (3, 4)
    assert section_position(Q, {"experienced": "yes", "reported": "yes"}, "final") == (5, 5)


@pytest.mark.parametrize("seed", range(30))
def test_the_total_never_grows_along_a_route(seed: int) -> None:
    """Walk the real staff questionnaire with random answers: "Section n of m" counts up by
    one, m never grows, and on the last page m is the number of sections seen."""
    import random
    from pathlib import Path

    from survey_app.domain.loading import load_questionnaire

    path = (
        Path(__file__).resolve().parents[3] / "questionnaires" / "global-majority-staff-survey.yaml"
    )
    questionnaire = load_questionnaire(path)
    rng = random.Random(seed)
    answers: dict[str, Any] = {}
    seen = []
    section: Section | None = questionnaire.sections[0]
    while section is not None:
        seen.append(section_position(questionnaire, answers, section.id))
        for question in section.visible_questions(prune_answers(questionnaire, answers)):
            if question.options and rng.random() < 0.9:
                option = rng.choice(question.options).value
                multiple = question.type is QuestionType.MULTIPLE_CHOICE
                answers[question.id] = [option] if multiple else option
        section = next_section(questionnaire, answers, section.id)
    numbers = [n for n, _ in seen]
    totals = [m for _, m in seen]
    assert numbers == list(range(1, len(seen) + 1))
    assert all(a >= b for a, b in itertools.pairwise(totals)), totals
    assert totals[-1] == len(seen) == len(visible_sections(questionnaire, answers))


def test_section_position_of_a_hidden_section_is_among_all_sections() -> None:
    assert section_position(Q, {}, "reporting") == (3, 5)


# --------------------------------------------------------------------------------------------
# Required answers


def test_first_unanswered_required_walks_visible_questions_in_order() -> None:
    assert first_unanswered_required(Q, {}) == (Q.section("start"), Q.question("experienced"))
    answers: dict[str, Any] = {"experienced": "yes"}
    assert first_unanswered_required(Q, answers) == (Q.section("details"), Q.question("kinds"))
    answers.update(kinds=["comment"], reported="yes")
    assert first_unanswered_required(Q, answers) == (
        Q.section("reporting"),
        Q.question("outcome"),
    )
    answers.update(outcome="It was ignored.")
    assert first_unanswered_required(Q, answers) == (Q.section("work"), Q.question("years"))


def test_hidden_required_questions_are_not_demanded() -> None:
    answers = {"experienced": "no", "years": 0, "pledge": {"fair": "agree", "safe": "disagree"}}
    assert first_unanswered_required(Q, answers) is None


def test_blank_and_empty_answers_do_not_count() -> None:
    answers: dict[str, Any] = {"experienced": "yes", "kinds": [], "reported": "yes"}
    assert first_unanswered_required(Q, answers) == (Q.section("details"), Q.question("kinds"))
    answers.update(kinds=["exclusion"], outcome="   ")
    assert first_unanswered_required(Q, answers) == (
        Q.section("reporting"),
        Q.question("outcome"),
    )


def test_a_required_grid_needs_every_statement() -> None:
    answers = {"experienced": "no", "years": 3, "pledge": {"fair": "agree"}}
    assert first_unanswered_required(Q, answers) == (Q.section("work"), Q.question("pledge"))


@pytest.mark.parametrize(
    ("question_id", "value", "expected"),
    [
        ("experienced", "yes", True),
        ("experienced", "", False),
        ("experienced", None, False),
        ("kinds", ["comment"], True),
        ("kinds", [], False),
        ("years", 0, True),
        ("pledge", {"fair": "agree", "safe": "agree"}, True),
        ("pledge", {"fair": "agree", "safe": ""}, False),
        ("pledge", "agree", False),
        ("anything_else", "\n ", False),
    ],
)
def test_is_answered(question_id: str, value: Any, expected: bool) -> None:
    assert is_answered(Q.question(question_id), value) is expected
