"""Year-on-year figures use only what both releases show, and set side by side they let no
hidden cell of either year be narrowed.

The worked example: two cycles of one question by council. In the first, East has 3 people
(its size and answers are hidden) and North has one "neutral" answer (hidden, with the cells
that protect it). The year-on-year lines must show no percentage and no change wherever either
year hides a value they need. Then the proof: every percentage the year-on-year view shows is
turned into the linear bounds a reader learns from it (``2·t·p <= 200·x + t < 2·t·(p + 1)``
for a count ``x`` of a group of ``t`` shown as ``p`` %, rounded half up), added to each
release's integer programme, and every hidden cell's range must come out exactly as wide as
from the release alone. The two releases share no respondent, so the joint programme over both
years is the two programmes side by side plus these bounds, which each touch one release.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from analysis.disclosure import NO_ANSWER, ItemInput, ProtectedRelease, ReleaseInput
from analysis.disclosure.release import protect_release
from analysis.yearly import Line, Point, Source, lines, noise_verdict, two_proportion_z
from tests.unit.analysis.checking import Bound, Key, hidden_ranges

COUNCILS = ("north", "south", "east")
OPTIONS = ("agree", "neutral", "disagree")
ANSWERS = tuple((o, o.capitalize()) for o in OPTIONS)
GROUPS = tuple((c, c.capitalize()) for c in COUNCILS)


def spec(counts: Mapping[str, Mapping[str, int]]) -> ReleaseInput:
    """One exclusive item by council from per-council answer counts (no one skipped it)."""
    sizes = {((("council", c),)): sum(row.values()) for c, row in counts.items()}
    sizes[()] = sum(sizes.values())
    table: dict[tuple[tuple[str, str], ...], dict[str, int]] = {
        (("council", c),): {**row, NO_ANSWER: 0} for c, row in counts.items()
    }
    table[()] = {o: sum(row[o] for row in counts.values()) for o in OPTIONS} | {NO_ANSWER: 0}
    item = ItemInput("q", "exclusive", False, OPTIONS, table)
    return ReleaseInput({"council": COUNCILS}, ((), ("council",)), sizes, (item,))


EARLIER = spec(
    {
        "north": {"agree": 20, "neutral": 1, "disagree": 9},
        "south": {"agree": 11, "neutral": 8, "disagree": 6},
        "east": {"agree": 2, "neutral": 1, "disagree": 0},
    }
)
LATER = spec(
    {
        "north": {"agree": 26, "neutral": 6, "disagree": 4},
        "south": {"agree": 9, "neutral": 9, "disagree": 10},
        "east": {"agree": 6, "neutral": 3, "disagree": 4},
    }
)


def protected(input_: ReleaseInput) -> ProtectedRelease:
    return protect_release(input_, k=5, k_cell=3)


def sources(earlier: ProtectedRelease, later: ProtectedRelease) -> tuple[Source, Source]:
    options = {o: (o,) for o in OPTIONS}
    groups = {c: (c,) for c in COUNCILS}
    return (
        Source("2025-26", earlier, "q", options, groups),
        Source("2026-27", later, "q", options, groups),
    )


def every_line(earlier: ProtectedRelease, later: ProtectedRelease) -> list[tuple[str | None, Line]]:
    both = sources(earlier, later)
    found: list[tuple[str | None, Line]] = [(None, line) for line in lines(both, ANSWERS)]
    by_council = lines(both, ANSWERS, "council", GROUPS)
    codes = [c for c in COUNCILS for _ in OPTIONS]
    found += list(zip(codes, by_council, strict=True))
    return found


def cell(council: str | None, option: str) -> tuple[Key, Key]:
    population = () if council is None else (("council", council),)
    return (population, "q", option), (population, None, "Total")


def bounds(
    release: ProtectedRelease, cycle: str, found: list[tuple[str | None, Line]]
) -> list[Bound]:
    """What a reader learns about ``release`` from the year-on-year lines: each shown
    percentage as two linear bounds on the count and the group size."""
    learnt: list[Bound] = []
    for council, line in found:
        option = next(o for o, label in ANSWERS if label == line.answer)
        for point in line.points:
            if point.cycle != cycle or point.percent is None:
                continue
            count, total = cell(council, option)
            p = point.percent
            # 2·t·p <= 200·x + t   and   200·x + t <= 2·t·(p+1) - 1 (integers)
            learnt.append(([(count, -200.0), (total, 2.0 * p - 1.0)], 0.0))
            learnt.append(([(count, 200.0), (total, 1.0 - 2.0 * (p + 1))], -1.0))
    return learnt


def test_a_hidden_cell_gets_no_percentage_and_no_change() -> None:
    earlier, later = protected(EARLIER), protected(LATER)
    assert earlier.items["q"][(("council", "east"),)]["agree"] is None, "East is hidden"
    assert earlier.items["q"][(("council", "north"),)]["neutral"] is None
    found = every_line(earlier, later)
    checked = 0
    for council, line in found:
        option = next(o for o, label in ANSWERS if label == line.answer)
        population = () if council is None else (("council", council),)
        for point, release in zip(line.points, (earlier, later), strict=True):
            shown = release.items["q"][population][option]
            size = release.sizes[population]
            if shown is None or size is None:
                assert point.percent is None, (council, option, point)
                assert line.change is None
            else:
                assert (point.count, point.total) == (shown, size)
                checked += 1
        if all(p.percent is not None for p in line.points):
            assert line.change == line.points[1].percent - line.points[0].percent  # type: ignore[operator]
    east = [line for council, line in found if council == "east"]
    north_neutral = next(
        line for council, line in found if council == "north" and line.answer == "Neutral"
    )
    assert all(line.change is None for line in east)
    assert north_neutral.change is None
    assert checked >= 10, "most figures are shown"


@pytest.mark.parametrize("which", ["earlier", "later"])
def test_the_two_years_together_narrow_no_hidden_cell(which: str) -> None:
    earlier, later = protected(EARLIER), protected(LATER)
    found = every_line(earlier, later)
    spec_, release, cycle = (
        (EARLIER, earlier, "2025-26") if which == "earlier" else (LATER, later, "2026-27")
    )
    alone = hidden_ranges(spec_, release)
    learnt = bounds(release, cycle, found)
    assert learnt, "the year-on-year view shows figures of this year"
    together = hidden_ranges(spec_, release, extra=learnt)
    assert together.ranges == alone.ranges
    if which == "earlier":
        assert alone.ranges, "the example hides cells"
        east_agree, _ = cell("east", "agree")
        low, high = together.ranges[east_agree]
        assert high - low >= 3


def test_a_leaky_view_would_be_caught() -> None:
    """The proof can fail: a view that showed the hidden North "neutral" percentage (1 of 30,
    3 %) would pin it down, and the programme sees that."""
    earlier = protected(EARLIER)
    count, total = cell("north", "neutral")
    alone = hidden_ranges(EARLIER, earlier)
    leak: list[Bound] = [
        ([(count, -200.0), (total, 2.0 * 3 - 1.0)], 0.0),
        ([(count, 200.0), (total, 1.0 - 2.0 * 4)], -1.0),
    ]
    narrowed = hidden_ranges(EARLIER, earlier, extra=leak)
    assert narrowed.ranges[count] != alone.ranges[count]


def test_noise() -> None:
    assert two_proportion_z(50, 100, 50, 100) == 0.0
    assert two_proportion_z(0, 10, 0, 12) == 0.0
    assert noise_verdict(Point("a", 20, 100), Point("b", 40, 100)) == "beyond"
    assert noise_verdict(Point("a", 4, 10), Point("b", 6, 10)) == "within"
    # 30 % of 200 vs 40 % of 200: pooled 0.35, standard error 0.0477, z = 0.1 / 0.0477
    assert round(two_proportion_z(60, 200, 80, 200), 2) == 2.10
