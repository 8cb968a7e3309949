"""The questionnaire model: frozen dataclasses produced by the validating loader.

Nothing after the loader touches raw questionnaire dictionaries; everything else in the
application (forms, routing, templates, reports) reads these objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class QuestionType(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    LIKERT = "likert"
    LIKERT_GRID = "likert_grid"
    FREE_TEXT = "free_text"
    NUMBER = "number"


CHOICE_TYPES = frozenset(
    {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.LIKERT}
)


@dataclass(frozen=True)
class Option:
    """One answer option. ``value`` is the stable code stored in responses."""

    value: str
    label: str
    hint: str | None = None
    exclusive: bool = False


@dataclass(frozen=True)
class Scale:
    """A named, ordered answer scale shared by Likert questions and grids."""

    id: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Statement:
    """One row of a Likert grid."""

    id: str
    text: str


@dataclass(frozen=True)
class Condition:
    """Show a question only if an earlier question's answer is one of ``any_of``.

    For a multiple-choice question the condition holds when any chosen option is listed.
    """

    question: str
    any_of: tuple[str, ...]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        given = answers.get(self.question)
        if given is None:
            return False
        if isinstance(given, list | tuple):
            return any(value in self.any_of for value in given)
        return given in self.any_of

    @property
    def conditions(self) -> tuple[Condition, ...]:
        """The alternatives (one: itself), as for :class:`AnyCondition`."""
        return (self,)


@dataclass(frozen=True)
class AnyCondition:
    """Show a question if any of several conditions holds (``show_if: {any: [...]}``), for
    example a follow-up about racism experienced *or* seen."""

    conditions: tuple[Condition, ...]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return any(condition.holds(answers) for condition in self.conditions)


@dataclass(frozen=True)
class Code:
    """One code of a codebook: a theme the team reports free text against.

    ``examples`` are short comments the team wrote as belonging to this code; deductive
    coding chooses how closely a comment must match a code on them (see
    :mod:`analysis.themes.coding`)."""

    id: str
    label: str
    description: str = ""
    seeds: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Headline:
    """The annual report's headline figures: for each item of ``question``, the share of
    everyone who gave one of ``answers`` ("Very well" or "Fairly well")."""

    question: str
    answers: tuple[str, ...]
    title: str


@dataclass(frozen=True)
class Redaction:
    """Words redaction always replaces in quotes: places (councils), teams and names."""

    places: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comparison:
    """A question's answers compare with ``question`` of the questionnaire's ``version``:
    year-on-year results set the two side by side. ``option_map`` says which earlier option
    each option counts as (empty: the same values)."""

    version: str
    question: str
    option_map: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def earlier_option(self, value: str) -> str:
        return self.option_map.get(value, value)


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    text: str
    help: str | None = None
    required: bool = False
    demographic: bool = False
    sensitive: bool = False
    show_if: Condition | AnyCondition | None = None
    # single_choice, multiple_choice, likert (a likert question's options are its scale's)
    options: tuple[Option, ...] = ()
    scale: str | None = None
    # likert_grid
    statements: tuple[Statement, ...] = ()
    # free_text
    max_length: int | None = None
    rows: int = 5
    codebook: str | None = None
    # number
    minimum: int | None = None
    maximum: int | None = None
    suffix: str | None = None
    # what this question's answers compare with in an earlier version (see ``comparison``)
    comparable_with: Comparison | None = None
    #: ``comparable_with: false``: changed on purpose, never compared with earlier versions
    not_comparable: bool = False

    def option(self, value: str) -> Option | None:
        for option in self.options:
            if option.value == value:
                return option
        return None

    def is_visible(self, answers: Mapping[str, Any]) -> bool:
        return self.show_if is None or self.show_if.holds(answers)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    questions: tuple[Question, ...]
    intro: str | None = None

    def visible_questions(self, answers: Mapping[str, Any]) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.is_visible(answers))


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: str
    title: str
    description: str
    privacy_notice: str
    sections: tuple[Section, ...]
    estimated_minutes: int
    scales: Mapping[str, Scale] = field(default_factory=lambda: MappingProxyType({}))
    source: str = ""
    # Permitted views for reports: one-way breakdowns (demographic question ids) and approved
    # two-way breakdowns (pairs of those). Anything else is never computed or shown.
    breakdowns: tuple[str, ...] = ()
    cross_breakdowns: tuple[tuple[str, str], ...] = ()
    headline: Headline | None = None
    # Deductive coding of free text: named codebooks, and words redaction always replaces.
    codebooks: Mapping[str, tuple[Code, ...]] = field(default_factory=lambda: MappingProxyType({}))
    redaction: Redaction = Redaction()

    def questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions

    def question(self, question_id: str) -> Question:
        for question in self.questions():
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def codes_for(self, question_id: str) -> tuple[Code, ...]:
        """The codebook a free-text question is coded against (none: empty)."""
        name = self.question(question_id).codebook
        return self.codebooks.get(name, ()) if name else ()

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def privacy_paragraphs(self, min_group: int) -> tuple[str, ...]:
        """The privacy notice as paragraphs, with ``{min_group}`` filled in."""
        text = self.privacy_notice.replace("{min_group}", str(min_group))
        return tuple(p.strip() for p in text.split("\n\n") if p.strip())
