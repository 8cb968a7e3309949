"""The last check before sealing: a whole answers document against its questionnaire."""

from __future__ import annotations

from typing import Any

import pytest

from survey_app.domain.answers import answer_problems
from survey_app.domain.loading import load_questionnaire
from survey_app.domain.model import Questionnaire
from tests.conftest import FIXTURE_QUESTIONNAIRES


@pytest.fixture(scope="module")
def sample() -> Questionnaire:
    return load_questionnaire(FIXTURE_QUESTIONNAIRES / "sample-survey.yaml")


VALID: dict[str, Any] = {
    "colour": "red",
    "pets": ["cat", "dog"],
    "mood": "agree",
    "statements": {"tea": "agree", "rain": "disagree"},
    "years": 12,
    "comment": "Fine.",
    "dog_name_length": "yes",
}


def test_a_valid_document_has_no_problems(sample: Questionnaire) -> None:
    assert answer_problems(sample, VALID) == []


@pytest.mark.parametrize(
    ("question_id", "value", "reason"),
    [
        ("colour", "purple", "not an offered answer"),
        ("colour", ["red"], "not an offered answer"),
        ("mood", "strongly_agree", "not an offered answer"),
        ("pets", ["cat", "cat"], "not a list of distinct answers"),
        ("pets", ["hamster"], "not an offered answer"),
        ("pets", ["cat", "none"], "an exclusive answer combined with others"),
        ("pets", "cat", "not a list of distinct answers"),
        ("statements", {"tea": "maybe"}, "not an offered answer for a statement"),
        ("statements", {"coffee": "agree"}, "not an offered answer for a statement"),
        ("statements", ["agree"], "not a set of statement answers"),
        ("years", 51, "out of range"),
        ("years", -1, "out of range"),
        ("years", "12", "not a whole number"),
        ("years", True, "not a whole number"),
        ("comment", "x" * 201, "too long"),
        ("comment", 5, "not text"),
        ("unknown_question", "x", "not a question of sample-survey"),
    ],
)
def test_each_broken_answer_is_named(
    sample: Questionnaire, question_id: str, value: Any, reason: str
) -> None:
    document = {**VALID, question_id: value}
    assert answer_problems(sample, document) == [f"{question_id}: {reason}"]


def test_unanswered_values_are_left_to_the_required_check(sample: Questionnaire) -> None:
    assert answer_problems(sample, {"colour": "", "pets": [], "statements": {}}) == []
