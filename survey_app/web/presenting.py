"""Turning stored answers into the words shown on "Check your answers"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jinja2 import Undefined

from survey_app.domain.model import Question, Questionnaire, QuestionType, Section
from survey_app.domain.routing import visible_sections


def picked(selected: Any) -> frozenset[str]:
    """The values a radio or checkbox group shows as chosen, as strings (the ``picked`` template
    filter): one value, several, or none (None, or undefined in the template). Worked out once
    per group, not once per item: a page has dozens of items."""
    if selected is None or isinstance(selected, Undefined):
        return frozenset()
    if isinstance(selected, str | int | float):
        return frozenset({str(selected)})
    if isinstance(selected, Iterable):
        return frozenset(str(value) for value in selected)
    return frozenset()


def answer_lines(question: Question, value: Any) -> list[str]:
    """The answer as lines of plain text; an empty list means "Not answered"."""
    if value is None:
        return []
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT):
        option = question.option(str(value))
        return [option.label] if option else []
    if question.type is QuestionType.MULTIPLE_CHOICE:
        return [o.label for o in question.options if o.value in value]
    if question.type is QuestionType.LIKERT_GRID:
        lines = []
        for statement in question.statements:
            option = question.option(str(value.get(statement.id, "")))
            if option is not None:
                lines.append(statement_line(statement.text, option.label))
        return lines
    if question.type is QuestionType.NUMBER:
        suffix = f" {question.suffix}" if question.suffix else ""
        return [f"{value}{suffix}"]
    return str(value).split("\n")


def statement_line(statement: str, answer: str) -> str:
    """One grid answer on a line: "I can be myself at work: Disagree" (never "work.: ")."""
    text = statement.strip()
    if text.endswith(("?", "!")):
        return f"{text} – {answer}"
    return f"{text.rstrip('.')}: {answer}"


@dataclass(frozen=True)
class SummarySection:
    section: Section
    rows: list[dict[str, Any]]


def summary(
    questionnaire: Questionnaire, answers: dict[str, Any], change_url: Any
) -> list[SummarySection]:
    """Rows for every visible question, grouped by section. ``change_url(section, question)``
    gives each row's change link."""
    sections = []
    for section in visible_sections(questionnaire, answers):
        rows = [
            {
                "key": question.text,
                "lines": answer_lines(question, answers.get(question.id)),
                "href": change_url(section, question),
                "hidden": question.text,
            }
            for question in section.visible_questions(answers)
        ]
        sections.append(SummarySection(section, rows))
    return sections
