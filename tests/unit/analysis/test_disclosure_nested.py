"""Dimensions that are functions of another: a series' quarters and formats are made of its
sessions, and every reader knows which session is in which quarter. A pooled group minus the
shown sessions in it must never give away a hidden session.

The releases are series-like: sessions of very different sizes (some below k), pooled by
quarter and by format, each with two single-choice questions. The independent attacker is
told the nesting from the same data (its own code turns it into relations).
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from analysis.disclosure import NO_ANSWER, ItemInput, ReleaseInput, protect_release

from .checking import attack

K, K_CELL = 10, 3
OPTIONS = ("agree", "neither", "disagree")


def series_release(seed: int) -> ReleaseInput:
    """A made-up series: 5-9 sessions, each in a quarter and of a format, with answers."""
    rng = random.Random(seed)
    sessions = tuple(f"s{i}" for i in range(rng.randint(5, 9)))
    quarter = {s: rng.choice(("q1", "q2", "q3")) for s in sessions}
    fmt = {s: rng.choice(("in_person", "online")) for s in sessions}
    people: list[tuple[str, str, str]] = []
    for s in sessions:
        size = rng.choice((1, 2, 3, 4, 6, 8, 12, 15, 20, 25, 30))
        for _ in range(size):
            people.append((s, rng.choice((*OPTIONS, NO_ANSWER)), rng.choice(OPTIONS)))
    dims = {
        "session": sessions,
        "quarter": tuple(sorted(set(quarter.values()))),
        "format": tuple(sorted(set(fmt.values()))),
    }
    of = {"session": lambda s: s, "quarter": quarter.__getitem__, "format": fmt.__getitem__}
    views = ((), ("quarter",), ("format",), ("session",))
    pops = [(), *(((d, g),) for d in dims for g in dims[d])]

    def members(pop: tuple[tuple[str, str], ...]) -> list[tuple[str, str, str]]:
        return [p for p in people if all(of[d](p[0]) == g for d, g in pop)]

    def counts(column: int) -> dict:
        out = {}
        for pop in pops:
            row = dict.fromkeys((*OPTIONS, NO_ANSWER), 0)
            for person in members(pop):
                row[person[column]] += 1
            out[pop] = row
        return out

    items = tuple(
        ItemInput(id=f"q{column}", kind="exclusive", sensitive=column == 1, options=OPTIONS,
                  counts=counts(column))
        for column in (1, 2)
    )  # fmt: skip
    return ReleaseInput(
        dimensions=dims,
        views=views,
        sizes={pop: len(members(pop)) for pop in pops},
        items=items,
        nesting={
            "quarter": ("session", dict(quarter)),
            "format": ("session", dict(fmt)),
        },
    )


SEEDS = list(range(12))


@pytest.mark.parametrize("seed", SEEDS)
def test_pooled_groups_never_give_away_a_hidden_session(seed: int) -> None:
    spec = series_release(seed)
    release = protect_release(spec, k=K, k_cell=K_CELL)
    result = attack(spec, release)
    assert not result.breaches, f"seed {seed}:\n{result.report()}"


def test_without_the_nesting_the_engine_would_give_sessions_away() -> None:
    """The attack can fail: protected as if quarters and formats were unrelated to sessions,
    some release lets the attacker (who knows the nesting) subtract its way to a session."""
    breached = []
    for seed in SEEDS:
        spec = series_release(seed)
        naive = protect_release(dataclasses.replace(spec, nesting={}), k=K, k_cell=K_CELL)
        if attack(spec, naive).breaches:
            breached.append(seed)
    assert breached, "the nesting should matter for at least one of these series"


def test_a_nesting_must_map_every_base_group() -> None:
    spec = series_release(0)
    broken = dataclasses.replace(
        spec, nesting={"quarter": ("session", {"s0": "q1"})}
    )  # fmt: skip
    with pytest.raises(ValueError, match="must map every group of 'session'"):
        protect_release(broken, k=K, k_cell=K_CELL)
