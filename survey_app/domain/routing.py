"""Which sections and questions a respondent sees, given the answers so far.

Pure functions over the questionnaire model; no Flask. ``answers`` is always the inner mapping
of the answers document, ``{question_id: value}`` (the value of its ``"answers"`` key), with
values as described in ``questionnaires/README.md``.

A question with ``show_if`` is visible only when its condition holds. Conditions are evaluated on
the *pruned* answers, so a stale answer to a question that has since been hidden cannot keep
another question visible. A section is visible when at least one of its questions is visible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from survey_app.domain.model import Question, Questionnaire, QuestionType, Section

__all__ = [
    "first_unanswered_required",
    "is_answered",
    "next_section",
    "previous_section",
    "prune_answers",
    "section_position",
    "visible_sections",
]


def prune_answers(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """A new mapping without answers to unknown or hidden questions, in questionnaire order.

    Repeated until nothing changes, because removing an answer can hide a later question whose
    ``show_if`` depended on it.
    """
    current = dict(answers)
    while True:
        kept = {
            question.id: current[question.id]
            for question in questionnaire.questions()
            if question.id in current and question.is_visible(current)
        }
        if kept == current:
            return kept
        current = kept


def visible_sections(
    questionnaire: Questionnaire, answers: Mapping[str, Any]
) -> tuple[Section, ...]:
    """The sections with at least one visible question, in questionnaire order."""
    pruned = prune_answers(questionnaire, answers)
    return tuple(section for section in questionnaire.sections if section.visible_questions(pruned))


def next_section(
    questionnaire: Questionnaire, answers: Mapping[str, Any], current_id: str
) -> Section | None:
    """The first visible section after ``current_id``, or None after the last one.

    Pass the answers including the current page's, since they decide what comes next.
    Raises KeyError for an unknown section id.
    """
    index = _index(questionnaire, current_id)
    pruned = prune_answers(questionnaire, answers)
    for section in questionnaire.sections[index + 1 :]:
        if section.visible_questions(pruned):
            return section
    return None


def previous_section(
    questionnaire: Questionnaire, answers: Mapping[str, Any], current_id: str
) -> Section | None:
    """The last visible section before ``current_id``, or None before the first one.

    Raises KeyError for an unknown section id.
    """
    index = _index(questionnaire, current_id)
    pruned = prune_answers(questionnaire, answers)
    for section in reversed(questionnaire.sections[:index]):
        if section.visible_questions(pruned):
            return section
    return None


def first_unanswered_required(
    questionnaire: Questionnaire, answers: Mapping[str, Any]
) -> tuple[Section, Question] | None:
    """The first visible required question without an answer, with its section; else None.

    Use it before showing "check your answers" and again before submitting.
    """
    pruned = prune_answers(questionnaire, answers)
    for section in questionnaire.sections:
        for question in section.visible_questions(pruned):
            if question.required and not is_answered(question, pruned.get(question.id)):
                return section, question
    return None


def section_position(
    questionnaire: Questionnaire, answers: Mapping[str, Any], section_id: str
) -> tuple[int, int]:
    """``(n, total)`` for "Section n of total", on the route as answered so far.

    The total counts the sections the respondent has seen or may still see: a question whose
    condition rests on an answer not given yet, in a section still to come, may yet be shown.
    So the total never grows as the respondent goes on (it can fall when an answer closes a
    route), and on the last section it is the number of sections seen. A section that is not
    visible gets its position among all sections instead. Raises KeyError for an unknown
    section id.
    """
    current = _index(questionnaire, section_id)
    pruned = prune_answers(questionnaire, answers)
    where = {q.id: i for i, s in enumerate(questionnaire.sections) for q in s.questions}

    def possible(question: Question) -> bool:
        if question.show_if is None:
            return True
        for condition in question.show_if.conditions:
            if condition.question in pruned:
                if condition.holds(pruned):
                    return True
            # unanswered: decided (not shown) once the respondent is past it, open until then
            elif where.get(condition.question, len(questionnaire.sections)) >= current and (
                possible(questionnaire.question(condition.question))
            ):
                return True
        return False

    route = [s for s in questionnaire.sections if any(possible(q) for q in s.questions)]
    for number, section in enumerate(route, start=1):
        if section.id == section_id:
            return number, len(route)
    return current + 1, len(questionnaire.sections)


def is_answered(question: Question, value: Any) -> bool:
    """Whether ``value`` counts as an answer to ``question``.

    Missing, empty or blank values do not. A likert grid counts as answered only when every
    statement has an answer. A number answer of 0 counts.
    """
    if question.type is QuestionType.LIKERT_GRID:
        if not isinstance(value, Mapping):
            return False
        return all(
            isinstance(value.get(statement.id), str) and bool(value[statement.id])
            for statement in question.statements
        )
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | Mapping):
        return len(value) > 0
    return True


def _index(questionnaire: Questionnaire, section_id: str) -> int:
    for index, section in enumerate(questionnaire.sections):
        if section.id == section_id:
            return index
    raise KeyError(section_id)
