"""The validating questionnaire loader: structure, meaning, building the model, files."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from survey_app.domain.errors import Problem, QuestionnaireError
from survey_app.domain.loading import (
    check_files,
    load_directory,
    load_questionnaire,
    pointer,
    questionnaire_files,
    questionnaire_schema,
)
from survey_app.domain.model import (
    AnyCondition,
    Condition,
    Option,
    QuestionType,
    Scale,
    Statement,
)

README = Path(__file__).resolve().parents[3] / "questionnaires" / "README.md"

Q = "/sections/0/questions"  # pointer prefix for questions of the first section
Q2 = "/sections/1/questions"  # ... and of the second


def valid_document() -> dict[str, Any]:
    """A small questionnaire using every question type; each test changes a fresh copy."""
    return {
        "id": "demo",
        "version": "2026.1",
        "title": "Demo survey",
        "description": "A small survey used by the tests.",
        "estimated_minutes": 3,
        "privacy_notice": "We never show a group smaller than {min_group}.\n\nYou can stop.\n",
        "scales": {
            "agreement": [
                {"value": "agree", "label": "Agree"},
                {"value": "neutral", "label": "Neither agree nor disagree"},
                {"value": "disagree", "label": "Disagree"},
            ],
        },
        "sections": [
            {
                "id": "about_you",
                "title": "About you",
                "intro": "These questions are optional.",
                "questions": [
                    {
                        "id": "role",
                        "type": "single_choice",
                        "text": "What is your role?",
                        "required": True,
                        "demographic": True,
                        "options": [
                            {"value": "social_worker", "label": "Social worker"},
                            {"value": "manager", "label": "Manager", "hint": "Any level"},
                            {"value": "prefer_not_to_say", "label": "Prefer not to say"},
                        ],
                    },
                    {
                        "id": "experiences",
                        "type": "multiple_choice",
                        "text": "Which of these has happened to you at work?",
                        "options": [
                            {"value": "racist_comment", "label": "A racist comment"},
                            {"value": "overlooked", "label": "Overlooked for promotion"},
                            {"value": "none", "label": "None of these", "exclusive": True},
                        ],
                    },
                    {
                        "id": "felt_safe",
                        "type": "likert",
                        "text": "I feel safe raising racism at work.",
                        "sensitive": True,
                        "scale": "agreement",
                    },
                ],
            },
            {
                "id": "your_experience",
                "title": "Your experience",
                "questions": [
                    {
                        "id": "what_happened",
                        "type": "free_text",
                        "text": "What happened?",
                        "help": "Please do not include names.",
                        "max_length": 1500,
                        "rows": 8,
                        "show_if": {
                            "question": "experiences",
                            "any_of": ["racist_comment", "overlooked"],
                        },
                    },
                    {
                        "id": "pledge",
                        "type": "likert_grid",
                        "text": "How far do you agree?",
                        "scale": "agreement",
                        "statements": [
                            {"id": "leadership", "text": "Leaders challenge racism"},
                            {"id": "fairness", "text": "Promotion is fair"},
                        ],
                    },
                    {
                        "id": "years",
                        "type": "number",
                        "text": "How many years have you worked here?",
                        "min": 0,
                        "max": 60,
                        "suffix": "years",
                    },
                ],
            },
        ],
    }


def write(directory: Path, document: Any, name: str = "demo") -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def problems_for(tmp_path: Path, document: Any, name: str = "demo") -> list[Problem]:
    return check_files([write(tmp_path, document, name)])


def only_problem(tmp_path: Path, document: Any, name: str = "demo") -> Problem:
    problems = problems_for(tmp_path, document, name)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def question(document: dict[str, Any], section: int, index: int) -> dict[str, Any]:
    found: dict[str, Any] = document["sections"][section]["questions"][index]
    return found


# --------------------------------------------------------------------------------------------
# The schema itself


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(questionnaire_schema())
    assert questionnaire_schema()["$schema"].endswith("/draft/2020-12/schema")


def test_schema_question_types_match_the_model() -> None:
    schema_types = questionnaire_schema()["$defs"]["question"]["properties"]["type"]["enum"]
    assert set(schema_types) == {member.value for member in QuestionType}


def test_schema_is_read_once() -> None:
    assert questionnaire_schema() is questionnaire_schema()


# --------------------------------------------------------------------------------------------
# Problems and errors


def test_problem_prints_file_pointer_and_reason() -> None:
    problem = Problem("q/demo.yaml", "/sections/0/id", "the key 'id' is missing")
    assert str(problem) == "q/demo.yaml: /sections/0/id: the key 'id' is missing"


def test_questionnaire_error_prints_one_problem_per_line_and_pickles() -> None:
    problems = [Problem("a.yaml", "/", "first"), Problem("b.yaml", "/id", "second")]
    error = QuestionnaireError(problems)
    assert error.problems == tuple(problems)
    assert str(error) == "a.yaml: /: first\nb.yaml: /id: second"
    assert pickle.loads(pickle.dumps(error)).problems == tuple(problems)


def test_pointer_escapes_per_rfc_6901() -> None:
    assert pointer([]) == "/"
    assert pointer(["sections", 1, "questions", 3, "show_if", "question"]) == (
        "/sections/1/questions/3/show_if/question"
    )
    assert pointer(["a/b", "c~d"]) == "/a~1b/c~0d"


# --------------------------------------------------------------------------------------------
# A valid file becomes the frozen model


def test_valid_file_round_trips_to_the_model(tmp_path: Path) -> None:
    path = write(tmp_path, valid_document())
    loaded = load_questionnaire(path)

    assert (loaded.id, loaded.version, loaded.title) == ("demo", "2026.1", "Demo survey")
    assert loaded.description == "A small survey used by the tests."
    assert loaded.estimated_minutes == 3
    assert loaded.source == str(path)
    assert loaded.privacy_paragraphs(10) == (
        "We never show a group smaller than 10.",
        "You can stop.",
    )
    assert [section.id for section in loaded.sections] == ["about_you", "your_experience"]
    assert loaded.sections[0].intro == "These questions are optional."
    assert loaded.sections[1].intro is None

    agreement = loaded.scales["agreement"]
    assert isinstance(loaded.scales, MappingProxyType)
    assert agreement == Scale(
        id="agreement",
        options=(
            Option("agree", "Agree"),
            Option("neutral", "Neither agree nor disagree"),
            Option("disagree", "Disagree"),
        ),
    )

    role = loaded.question("role")
    assert role.type is QuestionType.SINGLE_CHOICE
    assert (role.required, role.demographic, role.sensitive) == (True, True, False)
    assert role.options[1] == Option("manager", "Manager", hint="Any level")
    assert role.scale is None

    experiences = loaded.question("experiences")
    assert experiences.type is QuestionType.MULTIPLE_CHOICE
    assert experiences.option("none") == Option("none", "None of these", exclusive=True)
    assert experiences.required is False

    felt_safe = loaded.question("felt_safe")
    assert felt_safe.type is QuestionType.LIKERT
    assert felt_safe.scale == "agreement"
    assert felt_safe.options == agreement.options
    assert felt_safe.sensitive is True

    what_happened = loaded.question("what_happened")
    assert what_happened.type is QuestionType.FREE_TEXT
    assert (what_happened.max_length, what_happened.rows) == (1500, 8)
    assert what_happened.help == "Please do not include names."
    assert what_happened.show_if == Condition("experiences", ("racist_comment", "overlooked"))

    pledge = loaded.question("pledge")
    assert pledge.type is QuestionType.LIKERT_GRID
    assert pledge.options == agreement.options
    assert pledge.scale == "agreement"
    assert pledge.statements == (
        Statement("leadership", "Leaders challenge racism"),
        Statement("fairness", "Promotion is fair"),
    )

    years = loaded.question("years")
    assert years.type is QuestionType.NUMBER
    assert (years.minimum, years.maximum, years.suffix) == (0, 60, "years")
    assert years.options == ()
    assert years.max_length is None


def test_loaded_model_is_frozen(tmp_path: Path) -> None:
    loaded = load_questionnaire(write(tmp_path, valid_document()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.title = "Changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.sections[0].questions[0].required = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        loaded.scales["other"] = Scale("other", ())  # type: ignore[index]
    assert isinstance(loaded.sections, tuple)
    assert isinstance(loaded.sections[0].questions, tuple)


def test_defaults_when_optional_keys_are_left_out(tmp_path: Path) -> None:
    document = valid_document()
    del question(document, 1, 0)["rows"]
    loaded = load_questionnaire(write(tmp_path, document))
    assert loaded.question("what_happened").rows == 5
    assert loaded.question("felt_safe").required is False
    assert loaded.question("felt_safe").demographic is False
    assert loaded.question("role").show_if is None


def test_hand_written_yaml_loads(tmp_path: Path) -> None:
    path = tmp_path / "short-form.yaml"
    path.write_text(
        """\
id: short-form
version: "1"
title: Short form
description: >-
  Two questions.
estimated_minutes: 1
privacy_notice: |
  Groups smaller than {min_group} are never shown.
sections:
  - id: only
    title: Only section
    questions:
      - id: attended
        type: single_choice
        text: Did you attend?
        options:
          - {value: "yes", label: "Yes"}
          - {value: "no", label: "No"}
      - id: comments
        type: free_text
        text: Anything else?
        max_length: 500
""",
        encoding="utf-8",
    )
    loaded = load_questionnaire(path)
    assert [option.value for option in loaded.question("attended").options] == ["yes", "no"]
    assert loaded.description == "Two questions."


def test_readme_example_is_valid(tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert blocks, "questionnaires/README.md should contain a complete yaml example"
    example = blocks[0]
    document = yaml.safe_load(example)
    path = tmp_path / f"{document['id']}.yaml"
    path.write_text(example, encoding="utf-8")
    loaded = load_questionnaire(path)
    assert {question.type for question in loaded.questions()} == set(QuestionType)


# --------------------------------------------------------------------------------------------
# Whole-file problems


def test_yaml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text("id: demo\ntitle: [unclosed\nversion: '1'\n", encoding="utf-8")
    [problem] = check_files([path])
    assert problem.pointer == "/"
    assert problem.file == str(path)
    assert "not valid YAML" in problem.reason
    assert re.search(r"line \d+, column \d+", problem.reason)


def test_repeated_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text("id: demo\ntitle: One\ntitle: Two\n", encoding="utf-8")
    [problem] = check_files([path])
    assert problem.pointer == "/"
    assert "'title' appears twice" in problem.reason
    assert "line 3" in problem.reason


def test_python_objects_are_not_constructed(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text("id: !!python/object/apply:os.system ['echo hi']\n", encoding="utf-8")
    [problem] = check_files([path])
    assert problem.pointer == "/"
    assert "not valid YAML" in problem.reason


def test_empty_file_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert check_files([path]) == [Problem(str(path), "/", "the file is empty")]


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, ["id", "demo"])
    assert problem.pointer == "/"
    assert "must be a mapping" in problem.reason
    assert "not a list" in problem.reason


def test_missing_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    assert check_files([missing]) == [Problem(str(missing), "/", "the file does not exist")]


def test_file_that_is_not_utf8_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_bytes(b"id: d\xe9mo\n")
    [problem] = check_files([path])
    assert (problem.pointer, problem.reason) == ("/", "the file is not UTF-8 text")


# --------------------------------------------------------------------------------------------
# Structure (JSON Schema)


def test_unknown_key_inside_reports_is_refused(tmp_path: Path) -> None:
    document = valid_document()
    document["reports"] = {"views": []}
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/reports/views"
    assert "unknown key 'views'" in problem.reason


def test_breakdowns_default_to_every_demographic_question(tmp_path: Path) -> None:
    loaded = load_questionnaire(write(tmp_path, valid_document()))
    assert loaded.breakdowns == ("role",)
    assert loaded.cross_breakdowns == ()


def test_permitted_views_load(tmp_path: Path) -> None:
    document = valid_document()
    extra = dict(question(document, 0, 0), id="council")
    document["sections"][0]["questions"].insert(1, extra)
    document["reports"] = {
        "breakdowns": ["role", "council"],
        "cross_breakdowns": [["role", "council"]],
    }
    loaded = load_questionnaire(write(tmp_path, document))
    assert loaded.breakdowns == ("role", "council")
    assert loaded.cross_breakdowns == (("role", "council"),)


@pytest.mark.parametrize(
    ("reports", "pointer", "fragment"),
    [
        ({"breakdowns": ["nobody"]}, "/reports/breakdowns/0", "there is no question 'nobody'"),
        ({"breakdowns": ["felt_safe"]}, "/reports/breakdowns/0", "only single_choice questions"),
        (
            {"breakdowns": ["role"], "cross_breakdowns": [["role", "nobody"]]},
            "/reports/cross_breakdowns/0/1",
            "there is no question 'nobody'",
        ),
        (
            {"breakdowns": ["role"], "cross_breakdowns": [["role", "role"]]},
            "/reports/cross_breakdowns/0",
            "two different questions",
        ),
        (
            {"breakdowns": [], "cross_breakdowns": [["role", "felt_safe"]]},
            "/reports/cross_breakdowns/0/0",
            "must also be one of the one-way breakdowns",
        ),
    ],
)
def test_permitted_views_are_checked_for_meaning(
    tmp_path: Path, reports: dict[str, Any], pointer: str, fragment: str
) -> None:
    document = valid_document()
    document["reports"] = reports
    found = problems_for(tmp_path, document)
    assert any(p.pointer == pointer and fragment in p.reason for p in found), found


def with_council(document: dict[str, Any]) -> dict[str, Any]:
    """The document with a second demographic question, 'council', after 'role'."""
    extra = dict(question(document, 0, 0), id="council")
    document["sections"][0]["questions"].insert(1, extra)
    return document


@pytest.mark.parametrize(
    ("reports", "pointer", "fragment"),
    [
        (
            {"breakdowns": ["role", "council", "role"]},
            "/reports/breakdowns",
            "lists the same value more than once",
        ),
        (
            {"cross_breakdowns": [["role", "council"], ["role", "council"]]},
            "/reports/cross_breakdowns",
            "lists the same value more than once",
        ),
        (
            {"cross_breakdowns": [["role", "council"], ["council", "role"]]},
            "/reports/cross_breakdowns/1",
            "the same two-way breakdown as /reports/cross_breakdowns/0",
        ),
    ],
)
def test_a_view_listed_twice_is_refused(
    tmp_path: Path, reports: dict[str, Any], pointer: str, fragment: str
) -> None:
    document = with_council(valid_document())
    document["reports"] = reports
    problem = only_problem(tmp_path, document)
    assert (problem.pointer, problem.file) == (pointer, str(tmp_path / "demo.yaml"))
    assert fragment in problem.reason


def test_a_single_choice_question_not_marked_demographic_is_not_a_breakdown(
    tmp_path: Path,
) -> None:
    document = with_council(valid_document())
    del question(document, 0, 1)["demographic"]
    document["reports"] = {"breakdowns": ["role", "council"]}
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/reports/breakdowns/1"
    assert "only single_choice questions marked demographic can" in problem.reason


@pytest.mark.parametrize("reserved", ["download", "protection"])
def test_a_question_id_that_names_a_report_page_is_refused(tmp_path: Path, reserved: str) -> None:
    document = valid_document()
    question(document, 0, 0)["id"] = reserved
    problems = [p for p in problems_for(tmp_path, document) if p.pointer.endswith("/id")]
    assert problems, "a reserved question id was accepted"
    assert problems[0].pointer == "/sections/0/questions/0/id"
    assert problems[0].file == str(tmp_path / "demo.yaml")
    assert "name of a report page" in problems[0].reason


def test_two_way_breakdowns_of_different_pairs_are_not_duplicates(tmp_path: Path) -> None:
    document = with_council(valid_document())
    extra = dict(question(document, 0, 0), id="gender")
    document["sections"][0]["questions"].insert(2, extra)
    document["reports"] = {"cross_breakdowns": [["role", "council"], ["council", "gender"]]}
    loaded = load_questionnaire(write(tmp_path, document))
    assert loaded.cross_breakdowns == (("role", "council"), ("council", "gender"))


def test_unknown_question_key_points_at_the_key(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 0, 2)["colour"] = "red"
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q}/2/colour"
    assert "unknown key 'colour'" in problem.reason


def test_missing_required_key_is_named(tmp_path: Path) -> None:
    document = valid_document()
    del document["title"]
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/"
    assert problem.reason == "the key 'title' is missing"


@pytest.mark.parametrize(
    ("index", "missing"),
    [(0, "options"), (1, "options"), (2, "scale")],
)
def test_type_specific_required_key(tmp_path: Path, index: int, missing: str) -> None:
    document = valid_document()
    target = question(document, 0, index)
    del target[missing]
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q}/{index}"
    assert problem.reason == f"a {target['type']} question needs the key '{missing}'"


def test_grid_needs_statements_free_text_needs_max_length_number_needs_min_and_max(
    tmp_path: Path,
) -> None:
    document = valid_document()
    del question(document, 1, 0)["max_length"]
    del question(document, 1, 1)["statements"]
    del question(document, 1, 2)["min"]
    del question(document, 1, 2)["max"]
    reasons = {(problem.pointer, problem.reason) for problem in problems_for(tmp_path, document)}
    assert reasons == {
        (f"{Q2}/0", "a free_text question needs the key 'max_length'"),
        (f"{Q2}/1", "a likert_grid question needs the key 'statements'"),
        (f"{Q2}/2", "a number question needs the key 'min'"),
        (f"{Q2}/2", "a number question needs the key 'max'"),
    }


def test_key_of_another_type_is_refused_by_name(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 1, 0)["options"] = [{"value": "x", "label": "X"}]  # also too few
    question(document, 0, 0)["max_length"] = 10
    problems = problems_for(tmp_path, document)
    assert [(problem.pointer, problem.reason) for problem in problems] == [
        (f"{Q}/0/max_length", "the key 'max_length' does not belong on a single_choice question"),
        (f"{Q2}/0/options", "the key 'options' does not belong on a free_text question"),
    ]


def test_bad_id_says_what_an_id_must_look_like(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 0, 1)["id"] = "Felt-Safe"
    document["id"] = "Demo_Survey"
    problems = problems_for(tmp_path, document)
    assert [problem.pointer for problem in problems] == ["/id", f"{Q}/1/id"]
    assert "'Demo_Survey' is not a valid questionnaire id" in problems[0].reason
    assert "single hyphens" in problems[0].reason
    assert "'Felt-Safe' is not a valid id" in problems[1].reason
    assert "single underscores" in problems[1].reason


def test_double_underscore_in_an_id_is_refused(tmp_path: Path) -> None:
    document = valid_document()
    document["sections"][1]["id"] = "your__experience"
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/sections/1/id"


def test_bad_scale_name_points_at_the_scale(tmp_path: Path) -> None:
    document = valid_document()
    document["scales"]["Agreement"] = document["scales"].pop("agreement")
    problems = problems_for(tmp_path, document)
    assert [problem.pointer for problem in problems] == ["/scales/Agreement"]
    assert "not a valid scale name" in problems[0].reason


def test_unquoted_version_number_suggests_quotes(tmp_path: Path) -> None:
    path = write(tmp_path, valid_document())
    path.write_text(
        path.read_text(encoding="utf-8").replace("version: '2026.1'", "version: 2026.1"),
        encoding="utf-8",
    )
    [problem] = check_files([path])
    assert problem.pointer == "/version"
    assert "must be text" in problem.reason
    assert "quotes" in problem.reason


def test_option_value_no_read_as_false_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    text = yaml.safe_dump(valid_document(), sort_keys=False)
    path.write_text(text.replace("value: manager", "value: no"), encoding="utf-8")
    [problem] = check_files([path])
    assert problem.pointer == f"{Q}/0/options/1/value"
    assert "not true or false" in problem.reason


def test_lengths_and_ranges(tmp_path: Path) -> None:
    document = valid_document()
    document["title"] = "x" * 121
    document["estimated_minutes"] = 0
    question(document, 1, 0)["max_length"] = 5001
    question(document, 0, 2)["text"] = "   "
    problems = {problem.pointer: problem.reason for problem in problems_for(tmp_path, document)}
    assert problems == {
        "/estimated_minutes": "must be at least 1, not 0",
        "/title": "must be at most 120 characters long (it has 121)",
        f"{Q}/2/text": "must not be blank",
        f"{Q2}/0/max_length": "must be at most 5000, not 5001",
    }


def test_unknown_question_type(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 1, 2)["type"] = "yes_no"
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q2}/2/type"
    assert "'yes_no' is not a question type" in problem.reason


def test_every_structure_problem_is_reported_at_once_in_path_order(tmp_path: Path) -> None:
    document = valid_document()
    del document["description"]
    document["sections"][0]["questions"][0]["options"] = []
    question(document, 1, 1)["statements"].append({"id": "extra"})
    document["sections"][1]["colour"] = "blue"
    problems = problems_for(tmp_path, document)
    assert [problem.pointer for problem in problems] == [
        "/",
        f"{Q}/0/options",
        "/sections/1/colour",
        f"{Q2}/1/statements/2",
    ]


def test_meaning_is_not_checked_when_structure_is_broken(tmp_path: Path) -> None:
    document = valid_document()
    del document["title"]
    document["sections"][1]["id"] = "about_you"  # a duplicate, but not reported yet
    problem = only_problem(tmp_path, document, name="other-name")  # nor the file name
    assert problem.reason == "the key 'title' is missing"


# --------------------------------------------------------------------------------------------
# Meaning (one test per check)


def test_file_name_must_equal_id(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, valid_document(), name="demo-2026")
    assert problem.pointer == "/id"
    assert "file name" in problem.reason
    assert "'demo-2026'" in problem.reason


def test_section_ids_are_unique(tmp_path: Path) -> None:
    document = valid_document()
    document["sections"][1]["id"] = "about_you"
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/sections/1/id"
    assert "'about_you' is already used by /sections/0" in problem.reason


def test_question_ids_are_unique_across_sections(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 1, 2)["id"] = "role"
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q2}/2/id"
    assert f"'role' is already used by {Q}/0" in problem.reason


def test_option_values_are_unique_within_a_question(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 0, 0)["options"][2]["value"] = "social_worker"
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q}/0/options/2/value"
    assert "'social_worker' is already used" in problem.reason


def test_same_option_value_in_two_questions_is_fine(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 0, 1)["options"][2]["value"] = "prefer_not_to_say"  # as in "role"
    assert problems_for(tmp_path, document) == []


def test_statement_ids_are_unique_within_a_grid(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 1, 1)["statements"][1]["id"] = "leadership"
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q2}/1/statements/1/id"
    assert "statement id 'leadership' is already used" in problem.reason


def test_scale_must_exist(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 0, 2)["scale"] = "frequency"
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q}/2/scale"
    assert "no scale called 'frequency'" in problem.reason


def test_scale_option_values_are_unique(tmp_path: Path) -> None:
    document = valid_document()
    document["scales"]["agreement"][2]["value"] = "agree"
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/scales/agreement/2/value"
    assert "'agree' is already used" in problem.reason


def test_exclusive_only_on_multiple_choice_options(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 0, 0)["options"][2]["exclusive"] = True
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q}/0/options/2/exclusive"
    assert "only allowed on the options of a multiple_choice question" in problem.reason


def test_exclusive_not_on_scale_options(tmp_path: Path) -> None:
    document = valid_document()
    document["scales"]["agreement"][1]["exclusive"] = False
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/scales/agreement/1/exclusive"
    assert "not on a scale" in problem.reason


def test_multiple_choice_needs_a_non_exclusive_option(tmp_path: Path) -> None:
    document = valid_document()
    for option in question(document, 0, 1)["options"]:
        option["exclusive"] = True
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q}/1/options"
    assert "at least one option that is not exclusive" in problem.reason


def test_show_if_question_must_exist(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 1, 0)["show_if"]["question"] = "experience"
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q2}/0/show_if/question"
    assert "no question with the id 'experience'" in problem.reason


def test_show_if_may_not_use_the_same_section(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 1, 2)["show_if"] = {"question": "pledge", "any_of": ["agree"]}
    question(document, 1, 1)["type"] = "likert"  # a valid source type, in the same section
    del question(document, 1, 1)["statements"]
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q2}/2/show_if/question"
    assert "same section" in problem.reason
    assert "earlier section" in problem.reason


def test_show_if_may_not_use_itself(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 1, 0)["show_if"]["question"] = "what_happened"
    problems = problems_for(tmp_path, document)
    assert problems[0].pointer == f"{Q2}/0/show_if/question"
    assert "same section" in problems[0].reason


def test_show_if_may_not_use_a_later_section(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 0, 2)["show_if"] = {"question": "what_happened", "any_of": ["x"]}
    question(document, 1, 0)["type"] = "single_choice"
    del question(document, 1, 0)["max_length"]
    del question(document, 1, 0)["rows"]
    question(document, 1, 0)["options"] = [
        {"value": "x", "label": "X"},
        {"value": "y", "label": "Y"},
    ]
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q}/2/show_if/question"
    assert "later section" in problem.reason


def test_show_if_source_must_be_a_choice_or_likert_question(tmp_path: Path) -> None:
    document = valid_document()
    document["sections"].append(
        {
            "id": "more",
            "title": "More",
            "questions": [
                {
                    "id": "follow_up",
                    "type": "free_text",
                    "text": "Tell us more.",
                    "max_length": 100,
                    "show_if": {"question": "years", "any_of": ["10"]},
                }
            ],
        }
    )
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/sections/2/questions/0/show_if/question"
    assert "'years' is a number question" in problem.reason


def test_show_if_values_must_be_options_of_the_source(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 1, 0)["show_if"]["any_of"] = ["racist_comment", "racist_comments"]
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q2}/0/show_if/any_of/1"
    assert "'racist_comments' is not an option of the question 'experiences'" in problem.reason


def test_show_if_on_likert_uses_the_scale_values(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 1, 2)["show_if"] = {"question": "felt_safe", "any_of": ["disagree"]}
    assert problems_for(tmp_path, document) == []

    question(document, 1, 2)["show_if"]["any_of"] = ["disagree", "never"]
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q2}/2/show_if/any_of/1"
    assert "agree, neutral, disagree" in problem.reason


def test_number_min_must_not_exceed_max(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 1, 2)["min"] = 61
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q2}/2/max"
    assert "must not be less than min (61)" in problem.reason


def test_demographic_only_on_single_choice(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 0, 1)["demographic"] = True
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q}/1/demographic"
    assert "only a single_choice question can be demographic" in problem.reason


def test_privacy_notice_allows_only_the_min_group_placeholder(tmp_path: Path) -> None:
    document = valid_document()
    document["privacy_notice"] += "Contact {contact_email} or {contact_email}. {min_group} {}"
    problems = problems_for(tmp_path, document)
    assert [problem.pointer for problem in problems] == ["/privacy_notice"] * 2
    assert "'{contact_email}'" in problems[0].reason
    assert "'{}'" in problems[1].reason


def test_unused_scale_is_a_problem(tmp_path: Path) -> None:
    document = valid_document()
    document["scales"]["frequency"] = copy.deepcopy(document["scales"]["agreement"])
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/scales/frequency"
    assert "not used by any question" in problem.reason


def test_every_meaning_problem_is_reported_at_once(tmp_path: Path) -> None:
    document = valid_document()
    document["sections"][1]["id"] = "about_you"
    question(document, 1, 2)["min"] = 100
    question(document, 0, 2)["scale"] = "missing"
    problems = problems_for(tmp_path, document, name="wrong-name")
    assert [problem.pointer for problem in problems] == [
        "/id",
        f"{Q}/2/scale",
        "/sections/1/id",
        f"{Q2}/2/max",
    ]
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(tmp_path / "wrong-name.yaml")
    assert raised.value.problems == tuple(problems)
    assert len(str(raised.value).splitlines()) == 4


# --------------------------------------------------------------------------------------------
# Several files


def test_questionnaire_files_lists_yaml_files_sorted(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yaml", "notes.md", "c.yml"):
        (tmp_path / name).write_text("x: 1\n", encoding="utf-8")
    (tmp_path / "folder.yaml").mkdir()
    assert questionnaire_files(tmp_path) == [tmp_path / "a.yaml", tmp_path / "b.yaml"]


def test_load_directory_returns_questionnaires_by_id(tmp_path: Path) -> None:
    second = valid_document()
    second["id"] = "another"
    write(tmp_path, second, "another")
    write(tmp_path, valid_document(), "demo")
    (tmp_path / "README.md").write_text("not a questionnaire", encoding="utf-8")
    loaded = load_directory(tmp_path)
    assert list(loaded) == ["another", "demo"]
    assert loaded["demo"].source == str(tmp_path / "demo.yaml")


def test_load_directory_of_nothing_is_empty(tmp_path: Path) -> None:
    assert load_directory(tmp_path) == {}


def test_load_directory_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError) as raised:
        load_directory(tmp_path / "nowhere")
    assert raised.value.problems[0].pointer == "/"


def test_load_directory_reports_every_problem_of_every_file(tmp_path: Path) -> None:
    broken = valid_document()
    del broken["title"]
    write(tmp_path, broken, "demo")
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    with pytest.raises(QuestionnaireError) as raised:
        load_directory(tmp_path)
    assert [str(problem) for problem in raised.value.problems] == [
        f"{tmp_path / 'demo.yaml'}: /: the key 'title' is missing",
        f"{tmp_path / 'empty.yaml'}: /: the file is empty",
    ]


def test_two_files_declaring_the_same_id(tmp_path: Path) -> None:
    write(tmp_path, valid_document(), "demo")
    write(tmp_path, valid_document(), "zz-copy")
    with pytest.raises(QuestionnaireError) as raised:
        load_directory(tmp_path)
    copy_file = str(tmp_path / "zz-copy.yaml")
    assert [(problem.file, problem.pointer) for problem in raised.value.problems] == [
        (copy_file, "/id"),  # the file name does not match
        (copy_file, "/id"),  # and the id is taken
    ]
    assert f"already used by {tmp_path / 'demo.yaml'}" in raised.value.problems[1].reason


def test_check_files_never_raises_and_covers_every_file(tmp_path: Path) -> None:
    good = write(tmp_path, valid_document(), "demo")
    missing = tmp_path / "missing.yaml"
    problems = check_files([good, missing, good])  # the same file twice is not a clash
    assert problems == [Problem(str(missing), "/", "the file does not exist")]
    assert check_files([]) == []


# --------------------------------------------------------------------------------------------
# Codebooks (deductive coding of free text) and redaction lists

CODEBOOK = [
    {
        "id": "workload",
        "label": "Workload",
        "description": "Caseloads and allocation.",
        "seeds": ["caseload", "allocation"],
    },
    {"id": "voice", "label": "Being heard", "seeds": ["listened to", "speak up"]},
]


def with_codebook(document: dict[str, Any]) -> dict[str, Any]:
    document["codebooks"] = {"experience_codes": copy.deepcopy(CODEBOOK)}
    question(document, 1, 0)["codebook"] = "experience_codes"
    document["reports"] = {
        "redact": {"places": ["Luton", "Great Yarmouth"], "teams": ["Duty Team"]}
    }
    return document


def test_codebook_loads_into_the_model(tmp_path: Path) -> None:
    loaded = load_questionnaire(write(tmp_path, with_codebook(valid_document())))
    codes = loaded.codes_for("what_happened")
    assert [c.id for c in codes] == ["workload", "voice"]
    assert codes[0].seeds == ("caseload", "allocation") and codes[1].description == ""
    assert loaded.codes_for("years") == ()
    assert loaded.redaction.places == ("Luton", "Great Yarmouth")
    assert loaded.redaction.teams == ("Duty Team",) and loaded.redaction.names == ()


def test_a_question_naming_a_missing_codebook_is_refused(tmp_path: Path) -> None:
    document = with_codebook(valid_document())
    question(document, 1, 0)["codebook"] = "nope"
    problems = problems_for(tmp_path, document)
    pointers = {p.pointer: p.reason for p in problems}
    assert "there is no codebook called 'nope'" in pointers["/sections/1/questions/0/codebook"]
    assert "not used by any question" in pointers["/codebooks/experience_codes"]


def test_a_codebook_on_a_closed_question_is_refused(tmp_path: Path) -> None:
    document = with_codebook(valid_document())
    question(document, 0, 1)["codebook"] = "experience_codes"
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/sections/0/questions/1/codebook"


def test_duplicate_code_ids_and_empty_seeds_are_refused(tmp_path: Path) -> None:
    document = with_codebook(valid_document())
    document["codebooks"]["experience_codes"][1]["id"] = "workload"
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/codebooks/experience_codes/1/id"
    document = with_codebook(valid_document())
    document["codebooks"]["experience_codes"][0]["seeds"] = []
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/codebooks/experience_codes/0/seeds"


def with_examples(document: dict[str, Any]) -> dict[str, Any]:
    codes = with_codebook(document)["codebooks"]["experience_codes"]
    codes[0]["examples"] = [
        "I always get the families nobody else will take.",
        "Work is shared out unevenly in our team.",
    ]
    codes[1]["examples"] = ["My manager changes the subject whenever I mention racism."]
    return document


def test_code_examples_load_into_the_model(tmp_path: Path) -> None:
    loaded = load_questionnaire(write(tmp_path, with_examples(valid_document())))
    first, second = loaded.codes_for("what_happened")
    assert first.examples == (
        "I always get the families nobody else will take.",
        "Work is shared out unevenly in our team.",
    )
    assert second.examples == ("My manager changes the subject whenever I mention racism.",)
    (tmp_path / "plain").mkdir()
    plain = load_questionnaire(write(tmp_path / "plain", with_codebook(valid_document())))
    assert [code.examples for code in plain.codes_for("what_happened")] == [(), ()]


@pytest.mark.parametrize(
    ("example", "reason"),
    [
        (42, "must be text, not a whole number"),
        (None, "must be text, not empty"),
        ("", "must not be empty"),
        ("   ", "must not be blank"),
        ("x" * 301, "must be at most 300 characters long (it has 301)"),
        ("!!! ...", "an example must contain words"),
    ],
)
def test_a_bad_example_is_refused_with_its_place_and_reason(
    tmp_path: Path, example: object, reason: str
) -> None:
    document = with_examples(valid_document())
    document["codebooks"]["experience_codes"][1]["examples"].append(example)
    problem = only_problem(tmp_path, document)
    assert problem.file == str(tmp_path / "demo.yaml")
    assert problem.pointer == "/codebooks/experience_codes/1/examples/1"
    assert reason in problem.reason


def test_an_empty_or_malformed_list_of_examples_is_refused(tmp_path: Path) -> None:
    document = with_examples(valid_document())
    document["codebooks"]["experience_codes"][1]["examples"] = []
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/codebooks/experience_codes/1/examples"
    assert "needs at least 1 entries" in problem.reason
    document["codebooks"]["experience_codes"][1]["examples"] = "Not a list."
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/codebooks/experience_codes/1/examples"
    assert "must be a list" in problem.reason


def test_an_example_under_two_codes_is_refused(tmp_path: Path) -> None:
    document = with_examples(valid_document())
    # The same words as the first code's second example, in other case and punctuation.
    document["codebooks"]["experience_codes"][1]["examples"].append(
        "work is shared out UNEVENLY in our team"
    )
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/codebooks/experience_codes/1/examples/1"
    assert problem.reason == (
        "this example is the same as /codebooks/experience_codes/0/examples/1 of the code "
        "'workload' (/codebooks/experience_codes/0); give each example once, under the one "
        "code it belongs to"
    )


def test_an_example_repeated_under_one_code_is_refused(tmp_path: Path) -> None:
    document = with_examples(valid_document())
    examples = document["codebooks"]["experience_codes"][0]["examples"]
    examples.append(examples[0])  # exactly the same: the schema's check
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/codebooks/experience_codes/0/examples"
    assert "lists the same value more than once" in problem.reason
    examples[-1] = examples[0].upper()  # the same words: the meaning check
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/codebooks/experience_codes/0/examples/2"
    assert "the same as /codebooks/experience_codes/0/examples/0 of this code" in problem.reason


def test_too_many_examples_are_refused(tmp_path: Path) -> None:
    document = with_examples(valid_document())
    document["codebooks"]["experience_codes"][0]["examples"] = [
        f"Example number {index} about allocation." for index in range(41)
    ]
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/codebooks/experience_codes/0/examples"
    assert "can have at most 40 entries (it has 41)" in problem.reason


# --------------------------------------------------------------------------------------------
# show_if on any of several answers


def test_show_if_any_of_several_conditions_loads(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 1, 0)["show_if"] = {
        "any": [
            {"question": "experiences", "any_of": ["racist_comment"]},
            {"question": "role", "any_of": ["manager"]},
        ]
    }
    loaded = load_questionnaire(write(tmp_path, document))
    condition = loaded.question("what_happened").show_if
    assert condition == AnyCondition(
        (Condition("experiences", ("racist_comment",)), Condition("role", ("manager",)))
    )
    assert condition.holds({"role": "manager"})
    assert condition.holds({"experiences": ["racist_comment"]})
    assert not condition.holds({"role": "social_worker", "experiences": ["none"]})


def test_each_alternative_of_show_if_any_is_checked(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 1, 0)["show_if"] = {
        "any": [
            {"question": "experiences", "any_of": ["racist_comment"]},
            {"question": "nowhere", "any_of": ["yes"]},
        ]
    }
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q2}/0/show_if/any/1/question"
    assert "no question with the id 'nowhere'" in problem.reason


# --- earlier versions -------------------------------------------------------------------------


def test_an_earlier_version_loads_beside_the_current_one(tmp_path: Path) -> None:
    current = valid_document()
    current["version"] = "2026.2"
    write(tmp_path, current)
    (tmp_path / "earlier").mkdir()
    write(tmp_path / "earlier", valid_document(), name="demo@2026.1")
    catalogue = load_directory(tmp_path)
    assert list(catalogue) == ["demo"] and catalogue["demo"].version == "2026.2"
    first = catalogue.version("demo", "2026.1")
    assert first is not None and first.version == "2026.1"
    assert catalogue.version("demo", "2026.3") is None
    assert [q.version for q in catalogue.versions()] == ["2026.1", "2026.2"]


def test_an_earlier_version_must_be_named_after_its_id_and_version(tmp_path: Path) -> None:
    (tmp_path / "earlier").mkdir()
    path = write(tmp_path / "earlier", valid_document(), name="demo")
    problems = check_files([path])
    assert [(p.pointer, p.reason) for p in problems] == [
        (
            "/version",
            "an earlier version's file must be named 'demo@2026.1.yaml' (its id, '@' and its "
            "version), not 'demo.yaml'; rename the file",
        )
    ]


def test_an_earlier_version_with_the_current_version_number_is_refused(tmp_path: Path) -> None:
    write(tmp_path, valid_document())
    (tmp_path / "earlier").mkdir()
    write(tmp_path / "earlier", valid_document(), name="demo@2026.1")
    with pytest.raises(QuestionnaireError) as raised:
        load_directory(tmp_path)
    (problem,) = raised.value.problems
    assert problem.file.endswith("earlier/demo@2026.1.yaml")
    assert problem.pointer == "/version"
    assert "version '2026.1' of 'demo' is already loaded from" in problem.reason


# --- comparable questions across versions -----------------------------------------------------


def two_versions(tmp_path: Path, change: Any) -> Path:
    """demo 2026.1 in earlier/, and 2026.2 (changed by ``change``) as the current file."""
    (tmp_path / "earlier").mkdir(exist_ok=True)
    write(tmp_path / "earlier", valid_document(), name="demo@2026.1")
    current = valid_document()
    current["version"] = "2026.2"
    change(current)
    return write(tmp_path, current)


def claim(version: str = "2026.1", question_id: str = "role", **more: Any) -> dict[str, Any]:
    return {"version": version, "question": question_id, **more}


def test_unchanged_questions_compare_and_reworded_ones_do_not(tmp_path: Path) -> None:
    from survey_app.domain.comparison import comparisons

    def reword(document: dict[str, Any]) -> None:
        question(document, 0, 2)["text"] = "How safe does it feel to speak up?"

    two_versions(tmp_path, reword)
    catalogue = load_directory(tmp_path)
    earlier = catalogue.version("demo", "2026.1")
    assert earlier is not None
    found = comparisons(catalogue["demo"], earlier)
    # free text and numbers never compare; the reworded likert question does not say it does
    assert sorted(found) == ["experiences", "pledge", "role"]
    assert found["role"].question == "role" and not found["role"].option_map


def test_a_changed_question_that_says_it_compares_maps_its_options(tmp_path: Path) -> None:
    from survey_app.domain.comparison import comparison

    def change(document: dict[str, Any]) -> None:
        role = question(document, 0, 0)
        role["id"] = "job"
        role["text"] = "Which best describes your job?"
        role["options"] = [
            {"value": "practitioner", "label": "Practitioner"},
            {"value": "manager", "label": "Manager"},
            {"value": "prefer_not_to_say", "label": "Prefer not to say"},
        ]
        option_map = {
            "practitioner": "social_worker",
            "manager": "manager",
            "prefer_not_to_say": "prefer_not_to_say",
        }
        role["comparable_with"] = claim(option_map=option_map)

    two_versions(tmp_path, change)
    catalogue = load_directory(tmp_path)
    earlier = catalogue.version("demo", "2026.1")
    assert earlier is not None
    found = comparison(catalogue["demo"].question("job"), earlier)
    assert found is not None and found.question == "role"
    assert found.earlier_option("practitioner") == "social_worker"


@pytest.mark.parametrize(
    ("comparable_with", "options", "where", "reason"),
    [
        (
            claim(),
            ["practitioner", "manager", "prefer_not_to_say"],
            "",
            "the options differ from 'role' in version 2026.1 (new: practitioner; gone: "
            "social_worker): add option_map, saying which earlier option each option of this "
            "question counts as",
        ),
        (
            claim(
                option_map={
                    "practitioner": "social_worker",
                    "manager": "boss",
                    "prefer_not_to_say": "prefer_not_to_say",
                }
            ),
            ["practitioner", "manager", "prefer_not_to_say"],
            "/option_map/manager",
            "'boss' is not an option of 'role' in version 2026.1",
        ),
        (
            claim(option_map={"practitioner": "social_worker", "manager": "manager"}),
            ["practitioner", "manager", "prefer_not_to_say"],
            "/option_map",
            "map every option of this question; missing: prefer_not_to_say",
        ),
        (
            claim(question_id="years"),
            ["social_worker", "manager", "prefer_not_to_say"],
            "/question",
            "'years' in version 2026.1 is a number question, which cannot be compared with a "
            "single_choice question",
        ),
        (
            claim(question_id="team"),
            ["social_worker", "manager", "prefer_not_to_say"],
            "/question",
            "version 2026.1 has no question 'team'",
        ),
        (
            claim(version="2025.1"),
            ["social_worker", "manager", "prefer_not_to_say"],
            "/version",
            "version '2025.1' of 'demo' is not loaded: keep it as earlier/demo@2025.1.yaml",
        ),
        (
            claim(version="2026.2"),
            ["social_worker", "manager", "prefer_not_to_say"],
            "/version",
            "a question compares with an earlier version, not its own ('2026.2')",
        ),
    ],
)
def test_a_claim_to_compare_is_checked_against_the_earlier_version(
    tmp_path: Path, comparable_with: dict[str, Any], options: list[str], where: str, reason: str
) -> None:
    def change(document: dict[str, Any]) -> None:
        role = question(document, 0, 0)
        role["options"] = [{"value": v, "label": v.capitalize()} for v in options]
        role["comparable_with"] = comparable_with

    path = two_versions(tmp_path, change)
    with pytest.raises(QuestionnaireError) as raised:
        load_directory(tmp_path)
    assert [(p.file, p.pointer, p.reason) for p in raised.value.problems] == [
        (str(path), f"{Q}/0/comparable_with{where}", reason)
    ]


def test_free_text_cannot_claim_to_compare(tmp_path: Path) -> None:
    document = valid_document()
    question(document, 1, 0)["comparable_with"] = claim(question_id="what_happened")
    problem = only_problem(tmp_path, document)
    assert problem.pointer == f"{Q2}/0/comparable_with"


# --------------------------------------------------------------------------------------------
# The annual report's headline, and a question marked as not comparable


def grid_index(document: dict[str, Any]) -> tuple[int, int]:
    for s, section in enumerate(document["sections"]):
        for q, found in enumerate(section["questions"]):
            if found["type"] == "likert_grid":
                return s, q
    raise AssertionError("the test document has a grid")


def test_a_headline_loads_and_its_answers_are_checked(tmp_path: Path) -> None:
    document = valid_document()
    s, q = grid_index(document)
    grid = question(document, s, q)["id"]
    document.setdefault("reports", {})["headline"] = {
        "question": grid,
        "answers": ["agree"],
        "title": "Agreed",
    }
    loaded = load_questionnaire(write(tmp_path, document))
    assert loaded.headline is not None
    assert (loaded.headline.question, loaded.headline.answers) == (grid, ("agree",))
    document["reports"]["headline"]["answers"] = ["agree", "strongly"]
    problem = only_problem(tmp_path, document)
    assert problem.pointer == "/reports/headline/answers/1"
    assert problem.reason == f"'strongly' is not an answer of '{grid}'"
    document["reports"]["headline"] = {"question": "nope", "answers": ["agree"], "title": "X"}
    assert only_problem(tmp_path, document).reason == "there is no question 'nope'"


def test_comparable_with_false_marks_a_question_never_compared(tmp_path: Path) -> None:
    document = valid_document()
    s, q = grid_index(document)
    question(document, s, q)["comparable_with"] = False
    loaded = load_questionnaire(write(tmp_path, document))
    found = loaded.question(question(document, s, q)["id"])
    assert found.not_comparable and found.comparable_with is None
    question(document, s, q)["comparable_with"] = True
    problem = only_problem(tmp_path, document)
    assert problem.pointer.endswith("/comparable_with")
