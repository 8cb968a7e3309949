"""Load questionnaire files into the frozen model, refusing any file with a problem.

Checking happens in two layers, and every problem found is reported, not just the first:

1. **Structure.** The YAML is parsed safely (no Python objects, and a key repeated in one mapping
   is refused rather than silently overwritten), then validated against
   ``questionnaire.schema.json``: required keys, types, lengths, id patterns, which keys each
   question type takes, and no unknown keys anywhere.
2. **Meaning.** Only when the structure is sound: Python checks that a schema cannot express,
   such as unique ids, references that exist and come earlier, and the file name matching the id.

Each problem carries the file, a JSON pointer to the offending value and a plain-English reason;
the questionnaire file format and the full list of checks are in ``questionnaires/README.md``.

**Versions.** The files directly in the questionnaire directory are the current version of each
questionnaire: new surveys use them. A survey keeps the version it was made with, so when a
questionnaire changes, its earlier version moves to ``earlier/<id>@<version>.yaml``: surveys
and series made with it keep working (their forms, analyses and reports), and nothing new is
made with it. :func:`load_directory` returns a :class:`Catalogue` of both.

Packaging: the schema is read with :mod:`importlib.resources`, so ``questionnaire.schema.json``
must be shipped as package data of ``survey_app.domain``, for example in ``pyproject.toml``::

    [tool.setuptools.package-data]
    "survey_app.domain" = ["questionnaire.schema.json"]
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from survey_app.domain.comparison import claim_problems
from survey_app.domain.errors import Problem, QuestionnaireError
from survey_app.domain.model import (
    AnyCondition,
    Code,
    Comparison,
    Condition,
    Headline,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Redaction,
    Scale,
    Section,
    Statement,
)

__all__ = [
    "EARLIER_DIRECTORY",
    "SCHEMA_RESOURCE",
    "Catalogue",
    "check_files",
    "find_version",
    "load_directory",
    "load_questionnaire",
    "pointer",
    "questionnaire_files",
    "questionnaire_schema",
]

SCHEMA_PACKAGE = "survey_app.domain"
SCHEMA_RESOURCE = "questionnaire.schema.json"

# The only placeholder a privacy notice may use (see Questionnaire.privacy_paragraphs).
PRIVACY_PLACEHOLDER = "min_group"

# Earlier versions still in use by surveys: <directory>/earlier/<id>@<version>.yaml
EARLIER_DIRECTORY = "earlier"

# Question types whose answer can drive a show_if condition.
CONDITION_SOURCE_TYPES = ("single_choice", "multiple_choice", "likert")

# A raw, parsed document (or part of one). Only this module ever sees these.
Raw = dict[str, Any]
PathParts = Sequence[str | int]


# --------------------------------------------------------------------------------------------
# Public API


def questionnaire_files(directory: Path) -> list[Path]:
    """Every ``*.yaml`` file directly inside ``directory``, then every earlier version in its
    ``earlier`` folder, each in sorted order."""
    current = sorted(path for path in directory.glob("*.yaml") if path.is_file())
    earlier = directory / EARLIER_DIRECTORY
    return current + sorted(path for path in earlier.glob("*.yaml") if path.is_file())


class Catalogue(Mapping[str, Questionnaire]):
    """The questionnaires a deployment serves: as a mapping, the current version of each (by
    id), which new surveys use; :meth:`version` finds any loaded version, current or earlier,
    for the surveys made with it."""

    def __init__(
        self, current: Mapping[str, Questionnaire], earlier: Iterable[Questionnaire] = ()
    ) -> None:
        self._current = dict(current)
        self._versions = {(q.id, q.version): q for q in (*earlier, *current.values())}

    def __getitem__(self, questionnaire_id: str) -> Questionnaire:
        return self._current[questionnaire_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current)

    def __len__(self) -> int:
        return len(self._current)

    def version(self, questionnaire_id: str, version: str) -> Questionnaire | None:
        return self._versions.get((questionnaire_id, version))

    def versions(self) -> list[Questionnaire]:
        """Every loaded version, by id then in the order loaded."""
        return sorted(self._versions.values(), key=lambda q: q.id)


def find_version(
    questionnaires: Mapping[str, Questionnaire], questionnaire_id: str, version: str
) -> Questionnaire | None:
    """The questionnaire a survey was made with: that exact version, current or earlier (a
    plain mapping holds current versions only)."""
    if isinstance(questionnaires, Catalogue):
        return questionnaires.version(questionnaire_id, version)
    found = questionnaires.get(questionnaire_id)
    return found if found is not None and found.version == version else None


def load_questionnaire(path: Path) -> Questionnaire:
    """Load one questionnaire file; raise :class:`QuestionnaireError` listing every problem."""
    outcome = _examine(path)
    if outcome.questionnaire is None:
        raise QuestionnaireError(outcome.problems)
    return outcome.questionnaire


def check_files(paths: Iterable[Path]) -> list[Problem]:
    """Every problem in every given file, in file order; an empty list means all are valid.

    Never raises for a bad file: a missing or unreadable file is reported as a problem. Two files
    declaring the same questionnaire id is also a problem.
    """
    _, _, problems = _load_all(paths)
    return problems


def load_directory(directory: Path) -> Catalogue:
    """Load every questionnaire file in ``directory`` (and its earlier versions).

    Raises one :class:`QuestionnaireError` listing every problem of every file, so start-up
    refuses to run with any invalid questionnaire. A directory with no files gives ``{}``.
    """
    if not directory.is_dir():
        raise QuestionnaireError([Problem(str(directory), "/", "this is not a directory")])
    loaded, earlier, problems = _load_all(questionnaire_files(directory))
    if problems:
        raise QuestionnaireError(problems)
    return Catalogue(loaded, earlier)


@functools.cache
def questionnaire_schema() -> Mapping[str, Any]:
    """The JSON Schema for questionnaire files, read once from the package. Do not modify it."""
    text = resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


# --------------------------------------------------------------------------------------------
# Files


@dataclass
class _Outcome:
    """What examining one file produced."""

    file: str
    declared_id: str | None = None
    questionnaire: Questionnaire | None = None
    problems: list[Problem] = field(default_factory=list)


def is_earlier(path: Path) -> bool:
    """Whether ``path`` holds an earlier version (it sits in an ``earlier`` folder)."""
    return path.parent.name == EARLIER_DIRECTORY


def _load_all(
    paths: Iterable[Path],
) -> tuple[dict[str, Questionnaire], list[Questionnaire], list[Problem]]:
    loaded: dict[str, Questionnaire] = {}
    earlier: list[Questionnaire] = []
    problems: list[Problem] = []
    owners: dict[str, str] = {}
    version_owners: dict[tuple[str, str], str] = {}
    seen_paths: set[Path] = set()
    for path in paths:
        resolved = path.resolve()
        if resolved in seen_paths:  # the same file named twice is not a clash with itself
            continue
        seen_paths.add(resolved)
        outcome = _examine(path)
        problems.extend(outcome.problems)
        if outcome.declared_id is None:
            continue
        found = outcome.questionnaire
        if not is_earlier(path):
            owner = owners.get(outcome.declared_id)
            if owner is not None:
                problems.append(
                    Problem(
                        outcome.file,
                        "/id",
                        f"the id '{outcome.declared_id}' is already used by {owner}",
                    )
                )
                continue
            owners[outcome.declared_id] = outcome.file
        if found is None:
            continue
        key = (found.id, found.version)
        owner = version_owners.get(key)
        if owner is not None:
            problems.append(
                Problem(
                    outcome.file,
                    "/version",
                    f"version '{found.version}' of '{found.id}' is already loaded from "
                    f"{owner}; an earlier version keeps its own version number",
                )
            )
            continue
        version_owners[key] = outcome.file
        if is_earlier(path):
            earlier.append(found)
        else:
            loaded[found.id] = found
    versions = {(q.id, q.version): q for q in (*earlier, *loaded.values())}
    for key, questionnaire in versions.items():
        problems.extend(_comparison_problems(questionnaire, versions, version_owners[key]))
    return loaded, earlier, problems


def _comparison_problems(
    questionnaire: Questionnaire,
    versions: Mapping[tuple[str, str], Questionnaire],
    file: str,
) -> Iterator[Problem]:
    """Every ``comparable_with`` claim checked against the version it names (see
    :mod:`survey_app.domain.comparison`)."""
    for s, section in enumerate(questionnaire.sections):
        for q, question in enumerate(section.questions):
            claim = question.comparable_with
            if claim is None:
                continue
            where = ["sections", s, "questions", q, "comparable_with"]
            if claim.version == questionnaire.version:
                yield Problem(
                    file,
                    pointer([*where, "version"]),
                    f"a question compares with an earlier version, not its own ('{claim.version}')",
                )
                continue
            earlier = versions.get((questionnaire.id, claim.version))
            if earlier is None:
                yield Problem(
                    file,
                    pointer([*where, "version"]),
                    f"version '{claim.version}' of '{questionnaire.id}' is not loaded: keep it "
                    f"as {EARLIER_DIRECTORY}/{questionnaire.id}@{claim.version}.yaml",
                )
                continue
            for below, reason in claim_problems(question, earlier):
                parts = [part for part in below.split("/") if part]
                yield Problem(file, pointer([*where, *parts]), reason)


def _examine(path: Path) -> _Outcome:
    outcome = _Outcome(file=str(path))

    def whole_file(reason: str) -> _Outcome:
        outcome.problems.append(Problem(outcome.file, "/", reason))
        return outcome

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return whole_file("the file does not exist")
    except UnicodeDecodeError:
        return whole_file("the file is not UTF-8 text")
    except OSError as error:
        return whole_file(f"the file cannot be read ({error.strerror or error})")

    key = (outcome.file, hashlib.sha256(text.encode("utf-8")).hexdigest())
    known = _EXAMINED.get(key)
    if known is not None:  # the same file, unchanged: parsing YAML is the slow part
        declared_id, problems, questionnaire = known
        return _Outcome(outcome.file, declared_id, questionnaire, list(problems))
    found = _examine_text(outcome, text, path)
    if len(_EXAMINED) >= _EXAMINED_MAX:
        _EXAMINED.pop(next(iter(_EXAMINED)))
    _EXAMINED[key] = (found.declared_id, tuple(found.problems), found.questionnaire)
    return found


# Outcomes by (file name, SHA-256 of its text), so that building several apps in one process
# (the test suite, a CLI command after start-up) reads each unchanged file only once.
_EXAMINED: dict[tuple[str, str], tuple[str | None, tuple[Problem, ...], Questionnaire | None]] = {}
_EXAMINED_MAX = 64


def _examine_text(outcome: _Outcome, text: str, path: Path) -> _Outcome:
    def whole_file(reason: str) -> _Outcome:
        outcome.problems.append(Problem(outcome.file, "/", reason))
        return outcome

    try:
        # Equivalent to yaml.safe_load (the loader is a SafeLoader), plus refusing repeated keys.
        document = yaml.load(text, Loader=_UniqueKeySafeLoader)  # noqa: S506
    except yaml.YAMLError as error:
        return whole_file(_yaml_reason(error))
    if document is None:
        return whole_file("the file is empty")
    if not isinstance(document, dict):
        return whole_file(
            "the top level must be a mapping of keys such as id, version and title, "
            f"not {_kind(document)}"
        )
    if isinstance(document.get("id"), str):
        outcome.declared_id = document["id"]

    outcome.problems.extend(_structure_problems(document, outcome.file))
    if outcome.problems:
        return outcome
    outcome.problems.extend(_meaning_problems(document, path))
    if outcome.problems:
        return outcome
    outcome.questionnaire = _build(document, path)
    return outcome


class _UniqueKeySafeLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key repeated in one mapping.

    ``yaml.safe_load`` silently keeps the last of two equal keys, which would hide mistakes such
    as two ``options:`` lists on one question.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"the key '{key}' appears twice in the same mapping",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_reason(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError):
        problem = error.problem or error.context or "unreadable YAML"
        mark = error.problem_mark or error.context_mark
        if mark is not None:
            return (
                f"the file is not valid YAML: {problem} "
                f"(line {mark.line + 1}, column {mark.column + 1})"
            )
        return f"the file is not valid YAML: {problem}"
    return f"the file is not valid YAML: {error}"


# --------------------------------------------------------------------------------------------
# Layer 1: structure


@functools.cache
def _validator() -> Any:
    schema = questionnaire_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _structure_problems(document: Raw, file: str) -> list[Problem]:
    errors = sorted(
        _validator().iter_errors(document),
        key=lambda error: (_path_key(error.absolute_path), error.message),
    )
    # A key that does not belong to the question's type is reported once, by name; what is
    # wrong inside its value would only be noise.
    misplaced = [tuple(error.absolute_path) for error in errors if _is_misplaced_key(error)]
    found: dict[Problem, None] = {}  # a dict keeps the order and drops repeats
    for error in errors:
        path = tuple(error.absolute_path)
        if not _is_misplaced_key(error) and any(
            path[: len(key_path)] == key_path for key_path in misplaced
        ):
            continue
        for parts, reason in _explain(error, document):
            found[Problem(file, pointer(parts), reason)] = None
    return list(found)


def _is_misplaced_key(error: Any) -> bool:
    # The schema marks keys that a question type does not take with {"not": {}}.
    return bool(error.validator == "not" and error.validator_value == {})


def pointer(parts: Iterable[object]) -> str:
    """An RFC 6901 JSON pointer for a path into the document; ``/`` for the document itself."""
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _path_key(path: Iterable[object]) -> tuple[tuple[int, int, str], ...]:
    # List positions sort numerically, keys alphabetically; positions before keys.
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in path)


# What an id must look like, by the schema pattern that checks it: (name of the thing, rule).
_PATTERN_HINTS: dict[str, tuple[str, str]] = {
    "^[a-z][a-z0-9]*(-[a-z0-9]+)*$": (
        "questionnaire id",
        "use lower-case letters and digits, in words joined by single hyphens, starting with "
        "a letter (for example staff-survey-2026)",
    ),
    "^[a-z][a-z0-9]*(_[a-z0-9]+)*$": (
        "id",
        "use lower-case letters and digits, in words joined by single underscores, starting "
        "with a letter (for example felt_safe)",
    ),
    "^[a-z0-9][a-z0-9_]*$": (
        "option value",
        "use lower-case letters, digits and underscores, starting with a letter or digit "
        "(for example prefer_not_to_say)",
    ),
    "^[A-Za-z0-9._-]+$": (
        "version",
        "use letters, digits, dots, hyphens and underscores only (for example 2026.1)",
    ),
}

_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys to values",
}


def _kind(value: object) -> str:
    """How a parsed YAML value reads to an author."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number with a decimal point"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _explain(error: Any, document: Raw) -> list[tuple[PathParts, str]]:
    """Turn one jsonschema error into (path, reason) pairs worded for a questionnaire author."""
    path: list[str | int] = list(error.absolute_path)
    keyword = error.validator
    limit = error.validator_value
    instance = error.instance
    schema_path = list(error.absolute_schema_path)

    if keyword == "additionalProperties" and limit is False and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        return [
            (
                [*path, str(key)],
                f"unknown key '{key}'; the keys allowed here are: {', '.join(allowed)}",
            )
            for key in instance
            if key not in allowed
        ]

    if keyword == "required" and isinstance(instance, dict):
        question_type = instance.get("type") if "then" in schema_path else None
        explained: list[tuple[PathParts, str]] = []
        for key in limit:
            if key in instance:
                continue
            if isinstance(question_type, str):
                explained.append((path, f"a {question_type} question needs the key '{key}'"))
            else:
                explained.append((path, f"the key '{key}' is missing"))
        return explained

    if _is_misplaced_key(error) and path:
        owner = _find(document, path[:-1])
        question_type = owner.get("type") if isinstance(owner, dict) else None
        return [(path, f"the key '{path[-1]}' does not belong on a {question_type} question")]

    if "propertyNames" in schema_path:
        # jsonschema reports a bad key at its mapping; point at the key itself.
        path = [*path, str(instance)]
        if keyword == "pattern":
            rule = _PATTERN_HINTS.get(limit, ("", f"match the pattern {limit}"))[1]
            return [(path, f"'{instance}' is not a valid scale name: {rule}")]

    if keyword == "pattern":
        if limit == "\\S":
            # "" breaks minLength too, and "must not be empty" says it better.
            return [] if instance == "" else [(path, "must not be blank")]
        what, rule = _PATTERN_HINTS.get(limit, ("value", f"match the pattern {limit}"))
        return [(path, f"'{instance}' is not a valid {what}: {rule}")]

    if keyword == "type":
        expected = _TYPE_NAMES.get(limit, str(limit))
        reason = f"must be {expected}, not {_kind(instance)}"
        if limit == "string" and instance is not None:
            reason += (
                "; put it in quotes, because YAML reads words like yes, no, on and off, "
                "numbers and dates as something other than text"
            )
        return [(path, reason)]

    if keyword == "enum":
        choices = ", ".join(str(choice) for choice in limit)
        if path and path[-1] == "type":
            return [(path, f"'{instance}' is not a question type; use one of: {choices}")]
        return [(path, f"'{instance}' is not allowed; use one of: {choices}")]

    if keyword == "minLength":
        if limit == 1:
            return [(path, "must not be empty")]
        return [(path, f"must be at least {limit} characters long")]
    if keyword == "maxLength":
        return [(path, f"must be at most {limit} characters long (it has {len(instance)})")]
    if keyword == "minItems":
        return [(path, f"needs at least {limit} entries (it has {len(instance)})")]
    if keyword == "maxItems":
        return [(path, f"can have at most {limit} entries (it has {len(instance)})")]
    if keyword == "minimum":
        return [(path, f"must be at least {limit}, not {instance}")]
    if keyword == "maximum":
        return [(path, f"must be at most {limit}, not {instance}")]
    if keyword == "uniqueItems":
        return [(path, "lists the same value more than once")]
    return [(path, str(error.message))]


def _find(document: Any, parts: Iterable[str | int]) -> Any:
    node = document
    for part in parts:
        node = node[part]
    return node


# --------------------------------------------------------------------------------------------
# Layer 2: meaning (the document's structure is known to be valid here)


class _Report:
    """Collects meaning problems for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def __call__(self, parts: PathParts, reason: str) -> None:
        self.problems.append(Problem(self.file, pointer(parts), reason))


def _meaning_problems(document: Raw, path: Path) -> list[Problem]:
    report = _Report(str(path))

    if is_earlier(path):
        expected = f"{document['id']}@{document['version']}"
        if path.stem != expected:
            report(
                ["version"],
                f"an earlier version's file must be named '{expected}.yaml' (its id, '@' and "
                f"its version), not '{path.name}'; rename the file",
            )
    elif document["id"] != path.stem:
        report(
            ["id"],
            f"the id '{document['id']}' must equal the file name without its extension "
            f"('{path.stem}'); rename the file or change the id",
        )

    placeholders = re.findall(r"\{([^{}]*)\}", document["privacy_notice"])
    for name in dict.fromkeys(placeholders):
        if name != PRIVACY_PLACEHOLDER:
            report(
                ["privacy_notice"],
                f"unknown placeholder '{{{name}}}'; the only placeholder allowed is "
                f"{{{PRIVACY_PLACEHOLDER}}}",
            )

    scales: dict[str, list[Raw]] = document.get("scales", {})
    for name, scale_options in scales.items():
        _check_unique(scale_options, "value", ["scales", name], "option value", "scale", report)
        for index, option in enumerate(scale_options):
            if "exclusive" in option:
                report(
                    ["scales", name, index, "exclusive"],
                    "'exclusive' is only allowed on the options of a multiple_choice question, "
                    "not on a scale",
                )

    first_section: dict[str, int] = {}
    first_question: dict[str, tuple[int, int]] = {}
    for s_index, section in enumerate(document["sections"]):
        section_id = section["id"]
        if section_id in first_section:
            report(
                ["sections", s_index, "id"],
                f"the section id '{section_id}' is already used by "
                f"{pointer(['sections', first_section[section_id]])}",
            )
        else:
            first_section[section_id] = s_index
        for q_index, question in enumerate(section["questions"]):
            where: list[str | int] = ["sections", s_index, "questions", q_index]
            question_id = question["id"]
            if question_id in first_question:
                s_first, q_first = first_question[question_id]
                report(
                    [*where, "id"],
                    f"the question id '{question_id}' is already used by "
                    f"{pointer(['sections', s_first, 'questions', q_first])}",
                )
            else:
                first_question[question_id] = (s_index, q_index)
            _check_question(question, where, scales, report)

    # show_if needs every question known first, to tell "missing" from "comes too late".
    for s_index, section in enumerate(document["sections"]):
        for q_index, question in enumerate(section["questions"]):
            if "show_if" in question:
                where = ["sections", s_index, "questions", q_index, "show_if"]
                condition = question["show_if"]
                alternatives = (
                    [(condition, where)]
                    if "any" not in condition
                    else [(c, [*where, "any", i]) for i, c in enumerate(condition["any"])]
                )
                for alternative, at in alternatives:
                    _check_condition(
                        alternative, at, s_index, document, first_question, scales, report
                    )

    _check_reports(document, report)
    _check_codebooks(document, report)

    used = {question["scale"] for question in _raw_questions(document) if "scale" in question}
    for name in scales:
        if name not in used:
            report(
                ["scales", name],
                f"the scale '{name}' is not used by any question; remove it or use it",
            )

    return report.problems


def _check_reports(document: Raw, report: _Report) -> None:
    """Permitted views: breakdowns must be demographic single-choice questions, and each
    two-way breakdown joins two different questions that are also one-way breakdowns and is
    listed once, in either order. (A list repeating an entry exactly is refused by the schema.)"""
    questions = {question["id"]: question for question in _raw_questions(document)}
    reports: Raw = document.get("reports", {})
    for index, question_id in enumerate(reports.get("breakdowns", [])):
        question = questions.get(question_id)
        if question is None:
            report(["reports", "breakdowns", index], f"there is no question '{question_id}'")
        elif question["type"] != "single_choice" or not question.get("demographic"):
            report(
                ["reports", "breakdowns", index],
                f"'{question_id}' cannot be a breakdown: only single_choice questions marked "
                "demographic can",
            )
    listed = set(_breakdowns(document))
    first_pair: dict[frozenset[str], int] = {}
    for index, pair in enumerate(reports.get("cross_breakdowns", [])):
        if pair[0] == pair[1]:
            report(
                ["reports", "cross_breakdowns", index],
                "a two-way breakdown needs two different questions",
            )
            continue
        earlier = first_pair.setdefault(frozenset(pair), index)
        if earlier != index:
            report(
                ["reports", "cross_breakdowns", index],
                "this is the same two-way breakdown as "
                f"{pointer(['reports', 'cross_breakdowns', earlier])} (the order of the two "
                "questions does not matter); remove one of them",
            )
            continue
        for position, question_id in enumerate(pair):
            if question_id not in questions:
                reason = f"there is no question '{question_id}'"
            elif question_id not in listed:
                reason = f"'{question_id}' must also be one of the one-way breakdowns"
            else:
                continue
            report(["reports", "cross_breakdowns", index, position], reason)
    headline: Raw | None = reports.get("headline")
    if headline is not None:
        question = questions.get(headline["question"])
        if question is None:
            report(
                ["reports", "headline", "question"],
                f"there is no question '{headline['question']}'",
            )
        else:
            values = {o["value"] for o in _options_of(document, question)}
            if question.get("demographic") or not values:
                report(
                    ["reports", "headline", "question"],
                    f"'{question['id']}' cannot be the headline: it must be a question with "
                    "answers to choose from that is not demographic",
                )
            for index, answer in enumerate(headline["answers"]):
                if values and answer not in values:
                    report(
                        ["reports", "headline", "answers", index],
                        f"'{answer}' is not an answer of '{question['id']}'",
                    )


def _check_codebooks(document: Raw, report: _Report) -> None:
    """Codebooks: unique code ids, every codebook used, every question's codebook defined,
    and each example comment under one code only."""
    codebooks: dict[str, list[Raw]] = document.get("codebooks", {})
    for name, codes in codebooks.items():
        _check_unique(codes, "id", ["codebooks", name], "code id", "codebook", report)
        _check_examples(codes, ["codebooks", name], report)
    used: set[str] = set()
    for s_index, section in enumerate(document["sections"]):
        for q_index, question in enumerate(section["questions"]):
            name = question.get("codebook")
            if name is None:
                continue
            used.add(name)
            if name not in codebooks:
                known = ", ".join(codebooks) if codebooks else "none are defined under 'codebooks'"
                report(
                    ["sections", s_index, "questions", q_index, "codebook"],
                    f"there is no codebook called '{name}' (codebooks: {known})",
                )
    for name in codebooks:
        if name not in used:
            report(
                ["codebooks", name],
                f"the codebook '{name}' is not used by any question; remove it or use it",
            )


def _raw_questions(document: Raw) -> Iterable[Raw]:
    for section in document["sections"]:
        yield from section["questions"]


def _check_examples(codes: list[Raw], where: PathParts, report: _Report) -> None:
    """Each example comment belongs to one code: written twice (ignoring case, spacing and
    punctuation), under two codes or one, it would count as a hit and a miss at once when
    the coding threshold is chosen, or twice as evidence for one code."""
    first: dict[str, tuple[int, int]] = {}
    for c_index, code in enumerate(codes):
        for e_index, example in enumerate(code.get("examples", [])):
            folded = " ".join(re.findall(r"\w+", example.casefold()))
            if not folded:
                report(
                    [*where, c_index, "examples", e_index],
                    "an example must contain words: write a comment as a respondent might",
                )
                continue
            if folded not in first:
                first[folded] = (c_index, e_index)
                continue
            c_first, e_first = first[folded]
            owner = (
                "this code"
                if c_first == c_index
                else f"the code '{codes[c_first]['id']}' ({pointer([*where, c_first])})"
            )
            report(
                [*where, c_index, "examples", e_index],
                f"this example is the same as {pointer([*where, c_first, 'examples', e_first])} "
                f"of {owner}; give each example once, under the one code it belongs to",
            )


def _check_unique(
    items: list[Raw], key: str, where: PathParts, what: str, owner: str, report: _Report
) -> None:
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        value = item[key]
        if value in first:
            report(
                [*where, index, key],
                f"the {what} '{value}' is already used by {pointer([*where, first[value]])} "
                f"in this {owner}",
            )
        else:
            first[value] = index


#: Report addresses are /report/<question id>; these ids name other report pages.
RESERVED_QUESTION_IDS = frozenset({"download", "protection"})


def _check_question(
    question: Raw, where: list[str | int], scales: dict[str, list[Raw]], report: _Report
) -> None:
    question_type = question["type"]

    if question.get("id") in RESERVED_QUESTION_IDS:
        report(
            [*where, "id"],
            f"'{question['id']}' is the name of a report page; give the question another id",
        )
    if question.get("demographic") is True and question_type != "single_choice":
        report(
            [*where, "demographic"],
            f"only a single_choice question can be demographic, not a {question_type} question",
        )

    options: list[Raw] = question.get("options", [])
    _check_unique(options, "value", [*where, "options"], "option value", "question", report)
    if question_type == "multiple_choice":
        if all(option.get("exclusive") is True for option in options):
            report(
                [*where, "options"],
                "a multiple_choice question needs at least one option that is not exclusive",
            )
    else:
        for index, option in enumerate(options):
            if "exclusive" in option:
                report(
                    [*where, "options", index, "exclusive"],
                    "'exclusive' is only allowed on the options of a multiple_choice question, "
                    f"not a {question_type} question",
                )

    if "scale" in question and question["scale"] not in scales:
        known = ", ".join(scales) if scales else "none are defined under 'scales'"
        report(
            [*where, "scale"],
            f"there is no scale called '{question['scale']}' (scales: {known})",
        )

    statements: list[Raw] = question.get("statements", [])
    _check_unique(statements, "id", [*where, "statements"], "statement id", "grid", report)

    if question_type == "number" and question["min"] > question["max"]:
        report(
            [*where, "max"],
            f"max ({question['max']}) must not be less than min ({question['min']})",
        )


def _condition(raw: Raw | None) -> Condition | AnyCondition | None:
    """``show_if`` as the model has it: one condition, or any of several."""
    if raw is None:
        return None
    alternatives = tuple(
        Condition(question=c["question"], any_of=tuple(c["any_of"])) for c in raw.get("any", [raw])
    )
    return alternatives[0] if "any" not in raw else AnyCondition(alternatives)


def _check_condition(
    condition: Raw,
    where: list[str | int],
    s_index: int,
    document: Raw,
    first_question: dict[str, tuple[int, int]],
    scales: dict[str, list[Raw]],
    report: _Report,
) -> None:
    target_id = condition["question"]
    found = first_question.get(target_id)
    if found is None:
        report([*where, "question"], f"there is no question with the id '{target_id}'")
        return
    t_section, t_question = found
    target = document["sections"][t_section]["questions"][t_question]

    if t_section == s_index:
        report(
            [*where, "question"],
            f"the question '{target_id}' is in the same section; show_if can only use an "
            "answer from an earlier section, because each section is one page that must work "
            "without JavaScript",
        )
    elif t_section > s_index:
        report(
            [*where, "question"],
            f"the question '{target_id}' is in a later section; show_if can only use an answer "
            "from an earlier section",
        )

    target_type = target["type"]
    if target_type not in CONDITION_SOURCE_TYPES:
        report(
            [*where, "question"],
            f"the question '{target_id}' is a {target_type} question; show_if can only use a "
            f"{', '.join(CONDITION_SOURCE_TYPES[:-1])} or {CONDITION_SOURCE_TYPES[-1]} question",
        )
        return

    if target_type == "likert":
        if target["scale"] not in scales:
            return  # the missing scale is reported on the target question
        target_options = scales[target["scale"]]
    else:
        target_options = target["options"]
    values = [option["value"] for option in target_options]
    for index, value in enumerate(condition["any_of"]):
        if value not in values:
            report(
                [*where, "any_of", index],
                f"'{value}' is not an option of the question '{target_id}' "
                f"(its options are: {', '.join(values)})",
            )


# --------------------------------------------------------------------------------------------
# Building the model (the document is known to be valid here)


def _build(document: Raw, path: Path) -> Questionnaire:
    scales = {
        name: Scale(id=name, options=tuple(_option(option) for option in options))
        for name, options in document.get("scales", {}).items()
    }
    return Questionnaire(
        id=document["id"],
        version=document["version"],
        title=document["title"],
        description=document["description"],
        privacy_notice=document["privacy_notice"],
        sections=tuple(_section(section, scales) for section in document["sections"]),
        estimated_minutes=int(document["estimated_minutes"]),
        scales=MappingProxyType(scales),
        source=str(path),
        breakdowns=tuple(_breakdowns(document)),
        headline=_headline(document.get("reports", {}).get("headline")),
        cross_breakdowns=tuple(
            (first, second)
            for first, second in document.get("reports", {}).get("cross_breakdowns", [])
        ),
        codebooks=MappingProxyType(
            {
                name: tuple(
                    Code(
                        id=code["id"],
                        label=code["label"],
                        description=code.get("description", ""),
                        seeds=tuple(code["seeds"]),
                        examples=tuple(code.get("examples", ())),
                    )
                    for code in codes
                )
                for name, codes in document.get("codebooks", {}).items()
            }
        ),
        redaction=Redaction(
            **{
                kind: tuple(words)
                for kind, words in document.get("reports", {}).get("redact", {}).items()
            }
        ),
    )


def _breakdowns(document: Raw) -> list[str]:
    """The one-way breakdowns: as listed, or by default every demographic question."""
    reports: Raw = document.get("reports", {})
    if "breakdowns" in reports:
        return list(reports["breakdowns"])
    return [q["id"] for q in _raw_questions(document) if q.get("demographic")]


def _option(raw: Raw) -> Option:
    return Option(
        value=raw["value"],
        label=raw["label"],
        hint=raw.get("hint"),
        exclusive=raw.get("exclusive", False),
    )


def _section(raw: Raw, scales: Mapping[str, Scale]) -> Section:
    return Section(
        id=raw["id"],
        title=raw["title"],
        intro=raw.get("intro"),
        questions=tuple(_question(question, scales) for question in raw["questions"]),
    )


def _question(raw: Raw, scales: Mapping[str, Scale]) -> Question:
    question_type = QuestionType(raw["type"])
    scale_id: str | None = raw.get("scale")
    if scale_id is not None:
        options = tuple(scales[scale_id].options)
    else:
        options = tuple(_option(option) for option in raw.get("options", ()))
    condition = raw.get("show_if")
    return Question(
        id=raw["id"],
        type=question_type,
        text=raw["text"],
        help=raw.get("help"),
        required=raw.get("required", False),
        demographic=raw.get("demographic", False),
        sensitive=raw.get("sensitive", False),
        show_if=_condition(condition),
        options=options,
        scale=scale_id,
        statements=tuple(
            Statement(id=statement["id"], text=statement["text"])
            for statement in raw.get("statements", ())
        ),
        max_length=_whole(raw.get("max_length")),
        rows=_whole(raw.get("rows", 5)) or 5,
        codebook=raw.get("codebook"),
        minimum=_whole(raw.get("min")),
        maximum=_whole(raw.get("max")),
        suffix=raw.get("suffix"),
        comparable_with=_comparison(raw.get("comparable_with")),
        not_comparable=raw.get("comparable_with") is False,
    )


def _headline(raw: Raw | None) -> Headline | None:
    if raw is None:
        return None
    return Headline(raw["question"], tuple(raw["answers"]), raw["title"])


def _options_of(document: Raw, question: Raw) -> list[Raw]:
    """A raw question's options, its scale's where it has a scale."""
    if "scale" in question:
        return list(document.get("scales", {}).get(question["scale"], []))
    return list(question.get("options", []))


def _comparison(raw: Raw | bool | None) -> Comparison | None:
    if not isinstance(raw, dict):
        return None  # none, or ``false``: not compared
    mapping = {str(new): str(old) for new, old in raw.get("option_map", {}).items()}
    return Comparison(str(raw["version"]), raw["question"], MappingProxyType(mapping))


def _whole(value: int | float | None) -> int | None:
    # JSON Schema counts 3.0 as an integer; the model wants a real int.
    return None if value is None else int(value)
