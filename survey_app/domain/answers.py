"""Checking a whole answers document against its questionnaire.

The web forms already check each page; this is the last line before sealing, so a response
that did not come through the forms (or a tampered draft) can never store an answer that the
questionnaire does not allow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from survey_app.domain.model import Question, Questionnaire, QuestionType


def answer_problems(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> list[str]:
    """Every way ``answers`` breaks the questionnaire's rules, as ``question id: reason``."""
    known = {question.id: question for question in questionnaire.questions()}
    problems = []
    for question_id, value in answers.items():
        if value is None or value == "" or value == [] or value == {}:
            continue  # unanswered: whether that is allowed is the required check's business
        question = known.get(question_id)
        if question is None:
            problems.append(f"{question_id}: not a question of {questionnaire.id}")
            continue
        reason = _problem(question, value)
        if reason:
            problems.append(f"{question_id}: {reason}")
    return problems


def _problem(question: Question, value: Any) -> str | None:
    offered = {option.value for option in question.options}
    kind = question.type
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT):
        return None if isinstance(value, str) and value in offered else "not an offered answer"
    if kind is QuestionType.MULTIPLE_CHOICE:
        if not isinstance(value, list) or not value or len(set(value)) != len(value):
            return "not a list of distinct answers"
        if any(not isinstance(v, str) or v not in offered for v in value):
            return "not an offered answer"
        exclusive = {o.value for o in question.options if o.exclusive}
        if len(value) > 1 and exclusive.intersection(value):
            return "an exclusive answer combined with others"
        return None
    if kind is QuestionType.LIKERT_GRID:
        statements = {statement.id for statement in question.statements}
        if not isinstance(value, dict) or not value:
            return "not a set of statement answers"
        if any(key not in statements or item not in offered for key, item in value.items()):
            return "not an offered answer for a statement"
        return None
    if kind is QuestionType.FREE_TEXT:
        if not isinstance(value, str) or not value.strip():
            return "not text"
        return "too long" if len(value) > (question.max_length or 0) else None
    if isinstance(value, bool) or not isinstance(value, int):
        return "not a whole number"
    low = question.minimum if question.minimum is not None else value
    high = question.maximum if question.maximum is not None else value
    return None if low <= value <= high else "out of range"
