"""One registry maps each question type to the fields that ask it.

A fresh form class is built for every request from the section's visible questions, so the
form always matches the questionnaire and the respondent's earlier answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.fields.core import UnboundField

from survey_app.domain.model import Question, QuestionType, Section
from survey_app.forms import messages
from survey_app.forms.fields import (
    FreeTextField,
    MultipleChoiceField,
    SingleChoiceField,
    WholeNumberField,
)

FieldBuilder = Callable[[Question], dict[str, UnboundField]]


def grid_field_name(question_id: str, statement_id: str) -> str:
    return f"{question_id}__{statement_id}"


def _single(question: Question) -> dict[str, UnboundField]:
    return {
        question.id: SingleChoiceField(
            question_text=question.text,
            required=question.required,
            required_message=messages.SELECT_ONE.format(question=question.text),
            options=question.options,
        )
    }


def _multiple(question: Question) -> dict[str, UnboundField]:
    return {
        question.id: MultipleChoiceField(
            question_text=question.text,
            required=question.required,
            required_message=messages.SELECT_AT_LEAST_ONE.format(question=question.text),
            options=question.options,
        )
    }


def _grid(question: Question) -> dict[str, UnboundField]:
    return {
        grid_field_name(question.id, statement.id): SingleChoiceField(
            question_text=statement.text,
            required=question.required,
            required_message=messages.SELECT_STATEMENT.format(statement=statement.text),
            options=question.options,
        )
        for statement in question.statements
    }


def _free_text(question: Question) -> dict[str, UnboundField]:
    return {
        question.id: FreeTextField(
            question_text=question.text,
            required=question.required,
            required_message=messages.ENTER_TEXT.format(question=question.text),
            max_length=question.max_length or 0,
        )
    }


def _number(question: Question) -> dict[str, UnboundField]:
    return {
        question.id: WholeNumberField(
            question_text=question.text,
            required=question.required,
            required_message=messages.ENTER_NUMBER.format(question=question.text),
            minimum=question.minimum if question.minimum is not None else 0,
            maximum=question.maximum if question.maximum is not None else 0,
        )
    }


FIELD_BUILDERS: Mapping[QuestionType, FieldBuilder] = {
    QuestionType.SINGLE_CHOICE: _single,
    QuestionType.LIKERT: _single,
    QuestionType.MULTIPLE_CHOICE: _multiple,
    QuestionType.LIKERT_GRID: _grid,
    QuestionType.FREE_TEXT: _free_text,
    QuestionType.NUMBER: _number,
}


class SectionForm(Form):  # type: ignore[misc]  # WTForms ships no type hints
    """Base class of the per-request section forms. CSRF is checked app-wide by Flask-WTF."""


@dataclass(frozen=True)
class ErrorLink:
    href: str
    message: str


def section_form(
    section: Section,
    answers: Mapping[str, Any],
    formdata: MultiDict[str, Any] | None = None,
) -> SectionForm:
    """A form for the section's visible questions, filled from ``formdata`` (a POST) or else
    from the saved ``answers``."""
    fields: dict[str, UnboundField] = {}
    prefill: dict[str, Any] = {}
    for question in section.visible_questions(answers):
        fields.update(FIELD_BUILDERS[question.type](question))
        given = answers.get(question.id)
        if question.type is QuestionType.LIKERT_GRID:
            rows = given if isinstance(given, dict) else {}
            for statement in question.statements:
                prefill[grid_field_name(question.id, statement.id)] = rows.get(statement.id)
        else:
            prefill[question.id] = given
    form_class = type("SectionForm", (SectionForm,), fields)
    form: SectionForm = form_class(formdata=formdata, data=prefill)
    return form


def error_links(form: Form) -> list[ErrorLink]:
    """The error summary: one link per field in error, in page order."""
    return [
        ErrorLink(href=f"#{field.name}", message=str(field.errors[0]))
        for field in form
        if field.errors
    ]


def answers_with_section(
    section: Section, answers: Mapping[str, Any], form: Form
) -> dict[str, Any]:
    """The saved answers with this section's answers replaced by the (valid) form's."""
    updated = {k: v for k, v in answers.items() if k not in {q.id for q in section.questions}}
    for question in section.visible_questions(answers):
        if question.type is QuestionType.LIKERT_GRID:
            rows = {
                statement.id: form[grid_field_name(question.id, statement.id)].data
                for statement in question.statements
            }
            chosen = {key: value for key, value in rows.items() if value is not None}
            if chosen:
                updated[question.id] = chosen
        else:
            value = form[question.id].data
            if value not in (None, "", []):
                updated[question.id] = value
    return updated
