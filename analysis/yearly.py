"""Year-on-year figures: one question's published percentages in several cycles, side by side.

Everything here reads protected releases only, and only what they show. A cycle's figure for
an answer in a group is the sum of the counts that release shows for the options counted as
that answer (an option map can join several) over the groups counted as that group, divided
by the sum of the group sizes it shows; if any of those values is hidden, or the release does
not publish the table, the figure is missing. A change is worked out only between two shown
figures. So every number here is a function of numbers the two releases already publish: set
beside each other, they tell a reader nothing that the releases did not (the tests check it
with the integer-programme checker over both releases).

A change is marked *beyond noise* when a two-proportion z-test (pooled proportion, two-sided,
5 % level) says a difference that large would seldom arise by chance between groups of those
sizes; otherwise *within noise*.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from analysis.disclosure import ProtectedRelease
from analysis.report import is_published, percent

#: The z beyond which a change is marked (two-sided, 5 %).
Z_CRITICAL = 1.959964

METHOD_NOTE = (
    "A change is marked as beyond noise when a two-proportion z-test finds that a difference "
    "that large would arise by chance less than 1 time in 20 between groups of those sizes; "
    "other changes could be chance."
)

Verdict = Literal["beyond", "within"]


@dataclass(frozen=True)
class Source:
    """Where one cycle's figures for one item come from.

    ``options`` maps each compared answer (a key shared by every cycle) to the options of
    this release counted as it; ``groups`` does the same for the groups of a breakdown.
    """

    cycle: str
    release: ProtectedRelease
    item: str
    options: Mapping[str, tuple[str, ...]]
    groups: Mapping[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class Point:
    """One cycle's figure: ``None`` where a value it needs is not shown."""

    cycle: str
    count: int | None
    total: int | None

    @property
    def percent(self) -> int | None:
        return percent(self.count, self.total)

    @property
    def shown(self) -> bool:
        return self.percent is not None


@dataclass(frozen=True)
class Line:
    """One answer in one group, cycle by cycle (oldest first)."""

    group: str | None
    answer: str
    points: tuple[Point, ...]
    #: the group's and the answer's keys (codes of the oldest cycle)
    group_key: str | None = None
    answer_key: str = ""

    @property
    def latest(self) -> Point:
        return self.points[-1]

    @property
    def before(self) -> Point | None:
        return self.points[-2] if len(self.points) > 1 else None

    @property
    def change(self) -> int | None:
        """The newest percentage less the one before, in points, when both are shown."""
        before = self.before
        if before is None or before.percent is None or self.latest.percent is None:
            return None
        return self.latest.percent - before.percent

    @property
    def verdict(self) -> Verdict | None:
        before = self.before
        if self.change is None or before is None:
            return None
        return noise_verdict(before, self.latest)


def noise_verdict(earlier: Point, later: Point) -> Verdict:
    """Whether the change from ``earlier`` to ``later`` is beyond what chance would give."""
    assert earlier.count is not None and earlier.total and later.count is not None
    assert later.total
    z = two_proportion_z(earlier.count, earlier.total, later.count, later.total)
    return "beyond" if abs(z) > Z_CRITICAL else "within"


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float:
    """The z statistic of the difference x2/n2 - x1/n1, with the pooled proportion (0 when
    both proportions are 0 or both 1)."""
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 0.0
    return (x2 / n2 - x1 / n1) / spread


def point(source: Source, dimension: str | None, group: str | None, answer: str) -> Point:
    """One cycle's figure for ``answer`` in ``group`` of ``dimension`` (None: everyone)."""
    release = source.release
    if dimension is None:
        populations: list[tuple[tuple[str, str], ...]] = [()]
        view: tuple[str, ...] = ()
    else:
        codes = (source.groups or {}).get(group or "", ())
        populations = [((dimension, code),) for code in codes]
        view = (dimension,)
    missing = Point(source.cycle, None, None)
    if not populations or not is_published(release, source.item, view):
        return missing
    rows = release.items[source.item]
    total = 0
    count = 0
    for population in populations:
        size = release.sizes.get(population)
        row = rows.get(population)
        if size is None or row is None:
            return Point(source.cycle, None, size)
        total += size
        for option in source.options.get(answer, ()):
            value = row.get(option)
            if value is None:
                return Point(source.cycle, None, total)
            count += value
    return Point(source.cycle, count, total)


def lines(
    sources: Sequence[Source],
    answers: Sequence[tuple[str, str]],
    dimension: str | None = None,
    groups: Sequence[tuple[str, str]] = (),
) -> tuple[Line, ...]:
    """Every answer (and for a breakdown, every group) across ``sources`` (oldest first).
    ``answers`` and ``groups`` are (key, label) pairs in display order."""
    found = []
    for group, group_label in groups if dimension is not None else [(None, None)]:
        for answer, answer_label in answers:
            points = tuple(point(s, dimension, group, answer) for s in sources)
            found.append(Line(group_label, answer_label, points, group, answer))
    return tuple(found)
