"""The field registry (survey_app.forms.registry) and its fields, without the web pages.

Forms are filled from a ``MultiDict`` as a POST would fill them, and validated directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from survey_app.domain.loading import load_questionnaire, questionnaire_schema
from survey_app.domain.model import (
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Section,
    Statement,
)
from survey_app.forms import messages
from survey_app.forms.fields import (
    FreeTextField,
    MultipleChoiceField,
    SingleChoiceField,
    WholeNumberField,
)
from survey_app.forms.registry import (
    FIELD_BUILDERS,
    answers_with_section,
    error_links,
    grid_field_name,
    section_form,
)

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "questionnaires" / "sample-survey.yaml"

FIELD_CLASS = {
    QuestionType.SINGLE_CHOICE: SingleChoiceField,
    QuestionType.LIKERT: SingleChoiceField,
    QuestionType.MULTIPLE_CHOICE: MultipleChoiceField,
    QuestionType.LIKERT_GRID: SingleChoiceField,
    QuestionType.FREE_TEXT: FreeTextField,
    QuestionType.NUMBER: WholeNumberField,
}


@pytest.fixture(scope="module")
def sample() -> Questionnaire:
    return load_questionnaire(SAMPLE)


@pytest.fixture(autouse=True)
def request_context() -> Iterator[None]:
    """Forms are built during a request in the application; a bare Flask app is enough."""
    with Flask(__name__).test_request_context():
        yield


def one_question_section(question: Question) -> Section:
    return Section(id="only", title="Only", questions=(question,))


def validated(
    section: Section, pairs: list[tuple[str, str]], answers: dict[str, Any] | None = None
) -> Any:
    form = section_form(section, answers or {}, MultiDict(pairs))
    form.validate()
    return form


def schema_question_types() -> set[str]:
    """The ``type`` enum of a question, found in the schema rather than assumed."""
    found: list[list[str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                kind = node["properties"].get("type")
                if isinstance(kind, dict) and "enum" in kind:
                    found.append(kind["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(questionnaire_schema())
    assert len(found) == 1, found
    return set(found[0])


# --- coverage ---------------------------------------------------------------------------------


def test_the_registry_covers_every_type_the_schema_allows() -> None:
    allowed = schema_question_types()
    assert allowed == {
        "single_choice",
        "multiple_choice",
        "likert",
        "likert_grid",
        "free_text",
        "number",
    }
    assert {str(kind) for kind in FIELD_BUILDERS} == allowed
    assert set(FIELD_BUILDERS) == set(QuestionType)
    assert {kind.value for kind in QuestionType} == allowed


def test_the_sample_questionnaire_uses_every_type(sample: Questionnaire) -> None:
    assert {q.type for q in sample.questions()} == set(QuestionType)


@pytest.mark.parametrize("kind", list(QuestionType), ids=str)
def test_a_section_form_is_built_for_each_type(sample: Questionnaire, kind: QuestionType) -> None:
    question = next(q for q in sample.questions() if q.type is kind)
    form = section_form(one_question_section(question), {})

    if kind is QuestionType.LIKERT_GRID:
        expected = [grid_field_name(question.id, s.id) for s in question.statements]
    else:
        expected = [question.id]
    assert [field.name for field in form] == expected
    for field in form:
        assert isinstance(field, FIELD_CLASS[kind])
        assert field.required is question.required
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT, QuestionType.MULTIPLE_CHOICE):
        assert form[question.id].options == question.options
    if kind is QuestionType.FREE_TEXT:
        assert form[question.id].max_length == question.max_length
    if kind is QuestionType.NUMBER:
        assert (form[question.id].minimum, form[question.id].maximum) == (0, 50)


def test_each_request_gets_a_fresh_form_class(sample: Questionnaire) -> None:
    section = sample.section("first")
    assert type(section_form(section, {})) is not type(section_form(section, {}))


def test_a_section_form_holds_only_the_visible_questions(sample: Questionnaire) -> None:
    dogs = sample.section("dogs")
    assert [f.name for f in section_form(dogs, {"pets": ["cat"]})] == []
    assert [f.name for f in section_form(dogs, {"pets": ["dog"]})] == ["dog_name_length"]


def test_a_section_form_is_prefilled_from_saved_answers(sample: Questionnaire) -> None:
    saved = {"statements": {"tea": "agree"}, "years": 12, "comment": "Kept"}
    form = section_form(sample.section("second"), saved)
    assert form["statements__tea"].data == "agree"
    assert form["statements__rain"].data is None
    assert form["years"].data == 12 and form["years"].raw == "12"
    assert form["comment"].data == "Kept"


# --- choices ----------------------------------------------------------------------------------


def test_a_valid_first_section(sample: Questionnaire) -> None:
    form = validated(
        sample.section("first"),
        [("colour", "green"), ("pets", "dog"), ("pets", "cat"), ("pets", "dog"), ("mood", "agree")],
    )
    assert form.errors == {}
    assert form["colour"].data == "green"
    # Questionnaire order, no repeats, whatever the browser sent.
    assert form["pets"].data == ["cat", "dog"]


def test_an_exclusive_option_cannot_be_combined(sample: Questionnaire) -> None:
    form = validated(
        sample.section("first"), [("colour", "red"), ("pets", "dog"), ("pets", "none")]
    )
    assert form["pets"].errors == [messages.EXCLUSIVE.format(option="None of these")]
    assert form["pets"].errors == [
        "Select ‘None of these’ on its own, or select the other answers that apply, not both"
    ]
    alone = validated(sample.section("first"), [("colour", "red"), ("pets", "none")])
    assert alone.errors == {}


@pytest.mark.parametrize(
    ("name", "value", "question_text"),
    [
        ("colour", "purple", "Which colour do you like best?"),
        ("pets", "hamster", "Which pets have you had?"),
        ("mood", "ecstatic", "I am in a good mood."),
    ],
)
def test_a_value_that_was_not_offered_is_refused(
    sample: Questionnaire, name: str, value: str, question_text: str
) -> None:
    pairs = [("colour", "red"), (name, value)] if name != "colour" else [(name, value)]
    form = validated(sample.section("first"), pairs)
    assert form[name].errors == [messages.NOT_OFFERED.format(question=question_text)]


def test_a_required_choice_must_be_answered(sample: Questionnaire) -> None:
    form = validated(sample.section("first"), [("colour", "")])
    assert form["colour"].errors == ["Select an answer to ‘Which colour do you like best?’"]
    assert form["pets"].errors == [] and form["mood"].errors == []  # optional
    assert [(link.href, link.message) for link in error_links(form)] == [
        ("#colour", "Select an answer to ‘Which colour do you like best?’")
    ]


def test_every_statement_of_a_required_grid_must_be_answered(sample: Questionnaire) -> None:
    form = validated(sample.section("second"), [("statements__tea", "agree")])
    assert form["statements__tea"].errors == []
    assert form["statements__rain"].errors == [
        messages.SELECT_STATEMENT.format(statement="Rain is good")
    ]
    assert [link.href for link in error_links(form)] == ["#statements__rain"]

    both = validated(
        sample.section("second"), [("statements__tea", "agree"), ("statements__rain", "disagree")]
    )
    assert both.errors == {}


# --- free text --------------------------------------------------------------------------------


def free_text(max_length: int = 1500, required: bool = False) -> Section:
    return one_question_section(
        Question(
            id="story",
            type=QuestionType.FREE_TEXT,
            text="Tell us more",
            max_length=max_length,
            required=required,
        )
    )


def test_text_over_the_limit_reports_both_lengths_with_separators() -> None:
    form = validated(free_text(1500), [("story", "a" * 1501)])
    assert form["story"].errors == [
        "Your answer to ‘Tell us more’ must be 1,500 characters or fewer – it is 1,501"
    ]
    assert validated(free_text(1500), [("story", "a" * 1500)]).errors == {}


def test_the_length_is_counted_after_cleaning() -> None:
    # 10 characters of text with a carriage return and control characters around them.
    form = validated(free_text(10), [("story", "\x00  abcd\r\nefgh \x07 ")])
    assert form.errors == {}
    assert form["story"].data == "abcd\nefgh"


def test_control_characters_are_stripped_but_tabs_and_newlines_kept() -> None:
    form = validated(free_text(), [("story", "Hel\x00lo\x1b w\x7forld\tand\nmore\x0b\x0c")])
    assert form["story"].data == "Hello world\tand\nmore"


def test_line_endings_are_normalised() -> None:
    form = validated(free_text(), [("story", "one\r\ntwo\rthree\nfour")])
    assert form["story"].data == "one\ntwo\nthree\nfour"


def test_blank_text_is_no_answer() -> None:
    optional = validated(free_text(), [("story", " \r\n \x00 ")])
    assert optional.errors == {}
    assert optional["story"].data is None
    required = validated(free_text(required=True), [("story", "  \n ")])
    assert required["story"].errors == ["Enter an answer to ‘Tell us more’"]


# --- numbers ----------------------------------------------------------------------------------


def number(minimum: int = 0, maximum: int = 100_000) -> Section:
    return one_question_section(
        Question(
            id="staff",
            type=QuestionType.NUMBER,
            text="How many staff?",
            minimum=minimum,
            maximum=maximum,
        )
    )


@pytest.mark.parametrize(
    ("typed", "value"),
    [("12,345", 12345), (" 42 ", 42), ("1 000", 1000), ("0", 0), ("+7", 7), ("100,000", 100_000)],
)
def test_whole_numbers_are_accepted_with_commas_and_spaces(typed: str, value: int) -> None:
    form = validated(number(), [("staff", typed)])
    assert form.errors == {}
    assert form["staff"].data == value
    assert form["staff"].raw == typed.strip()


@pytest.mark.parametrize("typed", ["4.5", "twelve", "1e3", "--3", "12345678901234"])
def test_something_other_than_a_whole_number_is_refused(typed: str) -> None:
    form = validated(number(), [("staff", typed)])
    assert form["staff"].errors == ["Enter a whole number for ‘How many staff?’, like 5"]
    assert form["staff"].raw == typed


@pytest.mark.parametrize("typed", ["100,001", "-1", "250000"])
def test_a_number_out_of_range_is_refused(typed: str) -> None:
    form = validated(number(), [("staff", typed)])
    assert form["staff"].errors == ["Enter a number between 0 and 100,000 for ‘How many staff?’"]


def test_the_sample_number_range(sample: Questionnaire) -> None:
    pairs = [("statements__tea", "agree"), ("statements__rain", "agree")]
    form = validated(sample.section("second"), [*pairs, ("years", "51")])
    assert form["years"].errors == [
        messages.NUMBER_RANGE.format(
            question="How many years have you worked here?", minimum=0, maximum=50
        )
    ]
    assert validated(sample.section("second"), [*pairs, ("years", "50")]).errors == {}


# --- saving a section -------------------------------------------------------------------------


def test_answers_with_section_replaces_only_that_sections_answers(sample: Questionnaire) -> None:
    saved = {
        "colour": "red",
        "pets": ["cat"],
        "mood": "agree",
        "statements": {"tea": "agree", "rain": "agree"},
        "comment": "From the second page",
    }
    section = sample.section("first")
    form = validated(section, [("colour", "blue"), ("pets", "dog")], saved)
    assert form.errors == {}

    updated = answers_with_section(section, saved, form)

    assert updated == {
        "colour": "blue",
        "pets": ["dog"],
        # mood was cleared on this page, so it is gone rather than kept or stored empty
        "statements": {"tea": "agree", "rain": "agree"},
        "comment": "From the second page",
    }
    assert saved["mood"] == "agree"  # the saved answers are not changed in place


def test_answers_with_section_omits_empty_answers(sample: Questionnaire) -> None:
    section = sample.section("second")
    pairs = [
        ("statements__tea", "agree"),
        ("statements__rain", "neutral"),
        ("years", ""),
        ("comment", "  "),
    ]
    form = validated(section, pairs, {"years": 3, "comment": "old"})
    assert form.errors == {}
    updated = answers_with_section(section, {"years": 3, "comment": "old", "colour": "red"}, form)
    assert updated == {"colour": "red", "statements": {"tea": "agree", "rain": "neutral"}}


def test_answers_with_section_keeps_only_the_chosen_rows_of_an_optional_grid() -> None:
    grid = Question(
        id="views",
        type=QuestionType.LIKERT_GRID,
        text="How far do you agree?",
        options=(Option("agree", "Agree"), Option("disagree", "Disagree")),
        scale="agreement",
        statements=(Statement("a", "Statement A"), Statement("b", "Statement B")),
    )
    section = one_question_section(grid)
    partial = validated(section, [("views__a", "disagree")])
    assert partial.errors == {}
    assert answers_with_section(section, {}, partial) == {"views": {"a": "disagree"}}
    none = validated(section, [])
    assert answers_with_section(section, {"views": {"a": "agree"}}, none) == {}


def test_answers_with_section_drops_a_question_that_is_now_hidden(sample: Questionnaire) -> None:
    dogs = sample.section("dogs")
    saved = {"pets": ["cat"], "dog_name_length": "yes"}
    form = validated(dogs, [], saved)
    assert answers_with_section(dogs, saved, form) == {"pets": ["cat"]}
