"""Random small surveys for the disclosure attacker, made as microdata and then counted.

Each :class:`Survey` is a list of respondents -- one group per dimension and an answer (or
none) per item -- that obeys the questionnaire: a routed item is answered only by people whose
earlier answer opens it, a multiple-choice answer is a non-empty set, an exclusive option is
ticked alone, and two items marked ``answered_with`` are answered by the same people. Counting
those respondents (:func:`count`) gives a :class:`ReleaseInput` that is consistent by
construction. Nothing here uses the engine's code, only its public input model.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from analysis.disclosure import NO_ANSWER, ItemInput, ReleaseInput

from .checking import view_populations

Population = tuple[tuple[str, str], ...]
#: One respondent: ``dims`` maps dimension to group; ``answers`` maps item id to an option
#: (exclusive), a tuple of options (multiple) or ``None`` (no answer).
Answer = str | tuple[str, ...] | None

#: The shapes a survey can take; :func:`random_survey` picks one from the seed.
SHAPES = ("random", "empty", "one", "same", "below_k", "random", "random", "random")


@dataclass(frozen=True)
class Person:
    dims: Mapping[str, str]
    answers: Mapping[str, Answer]


@dataclass(frozen=True)
class Question:
    """What every respondent saw: the questionnaire facts of one item."""

    id: str
    kind: str  # "exclusive" or "multiple"
    sensitive: bool
    options: tuple[str, ...]
    exclusive_options: tuple[str, ...] = ()
    opened_by: tuple[str, tuple[str, ...]] | None = None
    answered_with: str | None = None


@dataclass(frozen=True)
class Survey:
    seed: int
    shape: str
    k: int
    k_cell: int
    dimensions: Mapping[str, tuple[str, ...]]
    views: tuple[tuple[str, ...], ...]
    questions: tuple[Question, ...]
    people: tuple[Person, ...]

    @property
    def spec(self) -> ReleaseInput:
        return count(self.dimensions, self.views, self.questions, self.people)

    def describe(self) -> str:
        kinds = ", ".join(
            f"{q.id}:{q.kind}{'/sensitive' if q.sensitive else ''}"
            f"{f'/opened by {q.opened_by}' if q.opened_by else ''}"
            f"{f'/answered with {q.answered_with}' if q.answered_with else ''}"
            for q in self.questions
        )
        groups = {d: len(g) for d, g in self.dimensions.items()}
        return (
            f"seed={self.seed} shape={self.shape} N={len(self.people)} k={self.k} "
            f"k_cell={self.k_cell} groups={groups} views={list(self.views)} items=[{kinds}]"
        )


def count(
    dimensions: Mapping[str, tuple[str, ...]],
    views: tuple[tuple[str, ...], ...],
    questions: Sequence[Question],
    people: Sequence[Person],
) -> ReleaseInput:
    """The raw counts of every population of every view."""
    pops = view_populations(dimensions, views)
    sizes = dict.fromkeys(pops, 0)
    rows = {
        q.id: {pop: dict.fromkeys((*q.options, NO_ANSWER), 0) for pop in pops} for q in questions
    }
    for person in people:
        inside = [pop for pop in pops if all(person.dims[d] == g for d, g in pop)]
        for pop in inside:
            sizes[pop] += 1
        for q in questions:
            answer = person.answers.get(q.id)
            chosen = (
                (NO_ANSWER,) if answer is None else (answer,) if isinstance(answer, str) else answer
            )
            for pop in inside:
                for column in chosen:
                    rows[q.id][pop][column] += 1
    return ReleaseInput(
        dimensions=dict(dimensions),
        views=views,
        sizes=sizes,
        items=tuple(
            ItemInput(
                id=q.id,
                kind="exclusive" if q.kind == "exclusive" else "multiple",
                sensitive=q.sensitive,
                options=q.options,
                counts=rows[q.id],
                exclusive_options=q.exclusive_options,
                opened_by=q.opened_by,
                answered_with=q.answered_with,
            )
            for q in questions
        ),
    )


def _questions(rng: random.Random) -> tuple[Question, ...]:
    made: list[Question] = []
    for index in range(rng.randint(1, 4)):
        kind = rng.choice(("exclusive", "multiple"))
        options = tuple(f"o{i}" for i in range(rng.randint(2, 4)))
        exclusive: tuple[str, ...] = ()
        if kind == "multiple" and rng.random() < 0.6:
            extra = rng.choice((("none",), ("none",), ("none", "rather_not")))
            options, exclusive = (*options, *extra), extra
        opened_by = None
        if made and rng.random() < 0.4:
            parent = rng.choice(made)
            chosen = rng.sample(parent.options, rng.randint(1, len(parent.options) - 1))
            opened_by = (parent.id, tuple(o for o in parent.options if o in chosen))
        made.append(
            Question(
                id=f"q{index}",
                kind=kind,
                sensitive=rng.random() < 0.5,
                options=options,
                exclusive_options=exclusive,
                opened_by=opened_by,
            )
        )
    unrouted = [q for q in made[1:] if q.opened_by is None]
    if unrouted and rng.random() < 0.6:
        # one pair answered by the same people (the themes and codes of one comment box)
        second = rng.choice(unrouted)
        first = rng.choice([q for q in made if q.id < second.id])
        made[made.index(second)] = replace(second, answered_with=first.id)
    return tuple(made)


def _opens(question: Question, answers: Mapping[str, Answer]) -> bool:
    if question.opened_by is None:
        return True
    parent, options = question.opened_by
    given = answers.get(parent)
    if given is None:
        return False
    if isinstance(given, str):
        return given in options
    return any(o in options for o in given)


def _answer(question: Question, rng: random.Random, lean: Sequence[float]) -> Answer:
    if question.kind == "exclusive":
        return rng.choices(question.options, weights=lean[: len(question.options)])[0]
    plain = [o for o in question.options if o not in question.exclusive_options]
    if question.exclusive_options and rng.random() < 0.2:
        return (rng.choice(question.exclusive_options),)
    chosen = set(rng.sample(plain, rng.randint(1, len(plain))))
    return tuple(o for o in plain if o in chosen)


def _answers(
    questions: Sequence[Question], rng: random.Random, skip: float, lean: Sequence[float]
) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    for q in questions:
        if q.answered_with is not None:
            answered = answers.get(q.answered_with) is not None
        else:
            answered = _opens(q, answers) and rng.random() >= skip
        answers[q.id] = _answer(q, rng, lean) if answered else None
    return answers


def random_survey(seed: int) -> Survey:
    """A small survey; ``seed`` fixes everything (its shape too: see :data:`SHAPES`)."""
    rng = random.Random(seed)
    shape = SHAPES[seed % len(SHAPES)]
    k = rng.choice((5, 10, 10))
    k_cell = rng.choice((3, 3, 3, 2))
    n_dims = rng.choices((1, 2, 3), weights=(4, 5, 1))[0]
    dimensions = {f"d{i}": tuple(f"g{j}" for j in range(rng.randint(2, 5))) for i in range(n_dims)}
    pairs = list(itertools.combinations(dimensions, 2))
    crossed = rng.sample(pairs, rng.randint(0, min(2, len(pairs))))
    views = ((), *((d,) for d in dimensions), *crossed)
    questions = _questions(rng)
    weights = {d: [rng.random() ** 2 + 0.02 for _ in groups] for d, groups in dimensions.items()}
    skip = rng.choice((0.0, 0.1, 0.3))
    if shape == "empty":
        n = 0
    elif shape == "one":
        n = 1
    elif shape == "below_k":
        n = rng.randint(k, min(len(g) for g in dimensions.values()) * (k - 1))
    else:
        n = rng.randint(0, 80)
    people: list[Person] = []
    same = _answers(questions, rng, 0.0, [1.0] * 6)
    for index in range(n):
        if shape == "below_k":
            # round robin: every group gets at most n / (fewest groups) <= k - 1 people
            dims = {
                d: groups[(index + i) % len(groups)]
                for i, (d, groups) in enumerate(dimensions.items())
            }
        else:
            dims = {
                d: rng.choices(groups, weights=weights[d])[0] for d, groups in dimensions.items()
            }
        if shape == "same":
            answers = same
        else:
            lean = [rng.random() + 0.05 for _ in range(6)]
            answers = _answers(questions, rng, skip, lean)
        people.append(Person(dims, answers))
    return Survey(seed, shape, k, k_cell, dimensions, views, questions, tuple(people))
