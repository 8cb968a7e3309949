"""Year-on-year results: a survey's published figures beside the cycles before it.

A survey's cycles are the chain of surveys it follows (``services.cycles``); each takes part
through its newest **published** release, never a draft. The chain stops at the first earlier
cycle without one. A question takes part when each newer version compares with the one before
(``domain.comparison``): same question, or a declared ``comparable_with`` whose option map
says which earlier option each option counts as. Answers are keyed by the oldest cycle's
options; a breakdown (council, say) is compared when its own question compares and both
releases publish it. The figures themselves come from :mod:`analysis.yearly`, which uses only
values the releases show.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analysis.report import View, parse_view, published_views
from analysis.yearly import METHOD_NOTE, Line, Source, lines
from survey_app.crypto import Keyring
from survey_app.domain.comparison import comparison
from survey_app.domain.loading import find_version
from survey_app.domain.model import Question as AskedQuestion
from survey_app.domain.model import Questionnaire, QuestionType
from survey_app.services import analysis, cycles
from survey_app.services.analysis import ReleaseData
from survey_app.services.reports import breakdown_title, question_titles
from survey_app.services.surveys import SurveyInfo
from survey_app.storage.database import Database

_COUNTED = {
    QuestionType.SINGLE_CHOICE,
    QuestionType.LIKERT,
    QuestionType.MULTIPLE_CHOICE,
    QuestionType.LIKERT_GRID,
}
#: A breakdown compared across cycles: (group key, label) pairs, and each cycle's groups.
Breakdown = tuple[tuple[tuple[str, str], ...], tuple[Mapping[str, tuple[str, ...]], ...]]
#: How many cycles a trend shows at most.
MOST_CYCLES = 6


@dataclass(frozen=True)
class CycleRelease:
    """One cycle: its survey, newest published release and that release's questionnaire."""

    survey: SurveyInfo
    release: ReleaseData
    questionnaire: Questionnaire

    @property
    def label(self) -> str:
        return self.survey.cycle or str(self.release.as_at.year)


def cycle_chain(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    survey: SurveyInfo,
) -> list[CycleRelease]:
    """``survey`` and the cycles before it that have a published report, oldest first (empty
    when ``survey`` has none)."""
    found: list[CycleRelease] = []
    for info in [survey, *cycles.earlier_cycles(db, survey, most=MOST_CYCLES - 1)]:
        release = analysis.load_release(db, keyring, info, published_only=True)
        if release is None or info.is_series:
            break
        questionnaire = info.questionnaire_in(questionnaires)
        if questionnaire is None:
            questionnaire = find_version(
                questionnaires, release.questionnaire_id, release.questionnaire_version
            )
        if questionnaire is None:
            break
        found.append(CycleRelease(info, release, questionnaire))
    return found[::-1]


@dataclass(frozen=True)
class _Level:
    """One question as one cycle asked it, and how its options map one cycle back."""

    question: AskedQuestion
    to_older: Mapping[str, str]


def _levels(question: AskedQuestion, chain: Sequence[CycleRelease]) -> list[AskedQuestion]:
    """The question as each cycle asked it, newest first, for as far back as it compares."""
    found = [question]
    for older in reversed(chain[:-1]):
        claim = comparison(found[-1], older.questionnaire)
        if claim is None:
            break
        try:
            found.append(older.questionnaire.question(claim.question))
        except KeyError:
            break
    return found


def _keys(levels: Sequence[AskedQuestion]) -> list[dict[str, tuple[str, ...]]]:
    """For each level (newest first): the oldest level's option each of its options counts
    as, inverted to {oldest option: (this level's options,)}."""
    maps: list[Mapping[str, str]] = []
    for newer, _older in itertools.pairwise(levels):
        claim = newer.comparable_with
        if claim is not None and claim.option_map:
            maps.append(dict(claim.option_map))
        else:
            maps.append({o.value: o.value for o in newer.options})
    found = []
    for index, level in enumerate(levels):
        keyed: dict[str, list[str]] = {}
        for option in level.options:
            key: str | None = option.value
            for step in maps[index:]:
                key = step.get(key) if key is not None else None
            if key is not None:
                keyed.setdefault(key, []).append(option.value)
        found.append({key: tuple(values) for key, values in keyed.items()})
    return found


@dataclass(frozen=True)
class Compared:
    """One compared item (a question, or a grid statement), cycle by cycle, oldest first."""

    question_id: str
    #: the question's title in reports; ``title`` adds a grid's statement
    question_title: str
    title: str
    cycles: tuple[str, ...]
    sources: tuple[Source, ...]
    answers: tuple[tuple[str, str], ...]
    #: demographic question id -> (group key, label) pairs and each cycle's groups
    breakdowns: Mapping[str, Breakdown]

    def lines(self, dimension: str | None = None, last: int | None = None) -> tuple[Line, ...]:
        """Every answer's figures (for a breakdown, every group's), in the last ``last``
        cycles (default: all)."""
        sources = self.sources[-last:] if last else self.sources
        if dimension is None:
            return lines(sources, self.answers)
        groups, per_cycle = self.breakdowns[dimension]
        picked = per_cycle[-len(sources) :]
        with_groups = tuple(
            Source(s.cycle, s.release, s.item, s.options, g)
            for s, g in zip(sources, picked, strict=True)
        )
        return lines(with_groups, self.answers, dimension, groups)


def compared_items(chain: Sequence[CycleRelease]) -> list[Compared]:
    """Every item of the newest cycle that compares with at least the cycle before."""
    if len(chain) < 2:
        return []
    newest = chain[-1]
    published = set(newest.release.protected.items)
    found: list[Compared] = []
    for question, name in _named_questions(newest.questionnaire):
        levels = _levels(question, chain)
        if len(levels) < 2:
            continue
        keyed = _keys(levels)
        oldest = levels[-1]
        labels = {o.value: o.label for o in question.options}
        answers = tuple(
            (o.value, " or ".join(labels[v] for v in keyed[0][o.value]))
            for o in oldest.options
            if all(o.value in level for level in keyed)
        )
        if not answers:
            continue
        window = chain[-len(levels) :]
        labels_of = _cycle_labels(window)
        breakdowns = _breakdowns(window)
        statements = (
            [(s.id, f"{name}: {s.text}") for s in question.statements]
            if question.type is QuestionType.LIKERT_GRID
            else [(None, name)]
        )
        for statement, title in statements:
            items = [
                f"{level.id}__{statement}" if statement else level.id for level in levels[::-1]
            ]
            if items[-1] not in published:
                continue
            sources = tuple(
                Source(cycle.label, cycle.release.protected, item, keys)
                for cycle, item, keys in zip(window, items, keyed[::-1], strict=True)
            )
            found.append(
                Compared(question.id, name, title, labels_of, sources, answers, breakdowns)
            )
    return found


def _named_questions(questionnaire: Questionnaire) -> list[tuple[AskedQuestion, str]]:
    """The counted, non-demographic questions, each with the unique title reports use (a
    grid's section title where several grids ask the same question)."""
    asked = [
        (q, section)
        for section in questionnaire.sections
        for q in section.questions
        if not q.demographic and q.type in _COUNTED
    ]
    return list(zip((q for q, _s in asked), question_titles(asked), strict=True))


def _cycle_labels(window: Sequence[CycleRelease]) -> tuple[str, ...]:
    return tuple(cycle.label for cycle in window)


def _breakdowns(window: Sequence[CycleRelease]) -> dict[str, Breakdown]:
    """Breakdowns every cycle of ``window`` publishes whose question compares throughout."""
    newest = window[-1]
    found: dict[str, Breakdown] = {}
    for question in newest.questionnaire.questions():
        if not question.demographic:
            continue
        if any((question.id,) not in published_views(c.release.protected) for c in window[-2:]):
            continue
        levels = _levels(question, window)
        if len(levels) < len(window):
            continue
        keyed = _keys(levels)
        labels = {o.value: o.label for o in question.options}
        groups = tuple(
            (o.value, " or ".join(labels[v] for v in keyed[0][o.value]))
            for o in levels[-1].options
            if all(o.value in level for level in keyed)
        )
        if groups:
            found[question.id] = (groups, tuple(keyed[::-1]))
    return found


# --- the page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearOnYear:
    """What the year-on-year page shows: the last two cycles side by side for the chosen
    view, and for three or more cycles, a trend of everyone's figures."""

    cycles: tuple[str, ...]
    items: tuple[Compared, ...]
    views: tuple[View, ...]
    view: View
    labels: Mapping[str, str]
    method: str = METHOD_NOTE
    #: the one question shown (None: every question)
    question: str | None = None

    @property
    def pair(self) -> tuple[str, ...]:
        return self.cycles[-2:]

    @property
    def has_trend(self) -> bool:
        return len(self.cycles) >= 3

    @property
    def questions(self) -> list[tuple[str, str]]:
        """(question id, title) of every compared question, in questionnaire order."""
        found: dict[str, str] = {}
        for item in self.items:
            found.setdefault(item.question_id, item.question_title)
        return list(found.items())

    def tables(self) -> list[tuple[Compared, tuple[Line, ...]]]:
        """The chosen question's items (every question's, if none is chosen), with the last
        two cycles' lines for the chosen view."""
        dimension = self.view[0] if self.view else None
        return [
            (item, item.lines(dimension, last=2))
            for item in self.items
            if self.question is None or item.question_id == self.question
        ]

    def trends(self) -> list[tuple[Compared, tuple[Line, ...]]]:
        """Everyone's figures in every cycle each item compares across (three or more)."""
        return [(item, item.lines()) for item in self.items if len(item.sources) >= 3]

    def largest_changes(self, most: int = 5) -> list[tuple[Compared, Line]]:
        """Everyone's changes beyond noise, largest first."""
        found = [
            (item, line)
            for item in self.items
            for line in item.lines(last=2)
            if line.change is not None and line.verdict == "beyond"
        ]
        found.sort(key=lambda pair: -abs(pair[1].change or 0))
        return found[:most]


def year_on_year(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    survey: SurveyInfo,
    view_text: str | None = None,
    question: str | None = None,
) -> YearOnYear | None:
    """The year-on-year results of ``survey`` (None: it or the cycle before has no published
    report, or nothing compares), for the view ``view_text`` names. By a breakdown, one
    question at a time (``question``, else the first): every group of every question would
    make a page too long to read."""
    return summarise(cycle_chain(db, keyring, questionnaires, survey), view_text, question)


def summarise(
    chain: Sequence[CycleRelease], view_text: str | None = None, question: str | None = None
) -> YearOnYear | None:
    """What :func:`year_on_year` shows, from a chain of cycles already read."""
    items = compared_items(chain)
    if not items:
        return None
    dimensions = sorted(
        {d for item in items for d in item.breakdowns},
        key=lambda d: [q.id for q in chain[-1].questionnaire.questions()].index(d),
    )
    views: tuple[View, ...] = ((), *((d,) for d in dimensions))
    view = parse_view(view_text, views) or ()
    labels = {d: breakdown_title(d) for d in dimensions}
    asked = {item.question_id for item in items}
    chosen = question if question in asked else None
    if view and chosen is None:
        chosen = items[0].question_id
    return YearOnYear(
        tuple(c.label for c in chain),
        tuple(items),
        views,
        view,
        labels,
        question=chosen,
    )
