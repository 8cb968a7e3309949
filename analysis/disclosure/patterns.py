"""Where box moves can go: the corner populations of every box through a population.

A box spans some dimensions (the population's own group and one partner group in each); every
other dimension takes one "lift" group, so that a one-way or overall cell's move is carried
down into each two-way table in which it is a margin. See :mod:`analysis.disclosure.moves`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from analysis.disclosure.structure import BoolArray, IntArray, Structure

FloatArray = npt.NDArray[np.float64]

#: Largest number of lift combinations tried for one population before giving up on box moves.
MAX_LIFT_COMBINATIONS = 20_000


def hiding_cost(values: IntArray) -> FloatArray:
    """The cost of hiding cells with these values: fewest cells first, then smallest values."""
    return 1.0 + np.log2(1.0 + values.astype(np.float64))


def cell_costs(values: IntArray, hidden: BoolArray) -> FloatArray:
    """0 for hidden cells, ``inf`` for shown zeros (never complements), else the hiding cost."""
    cost = np.where(values > 0, hiding_cost(values), np.inf)
    return np.where(hidden, 0.0, cost)


class Pattern:
    """Where the corners of box moves through one population lie.

    ``box`` are the dimensions the box spans (the population's own group and a partner group).
    Every other dimension takes one "lift" group. ``split_corners()`` gives the corner
    populations as a fixed part plus, per free lift dimension, one alternative per group.
    """

    def __init__(self, structure: Structure, pop: int, box: tuple[str, ...]) -> None:
        self.structure = structure
        self.pop = pop
        self.own = structure.coords[pop]
        self.box = box
        fixed = {d: g for d, g in self.own.items() if d not in box}
        self.fixed = fixed
        self.dimsets = [s for s in structure.dimsets if set(box) <= set(s)]
        free: list[str] = []
        for dimset in self.dimsets:
            for d in dimset:
                if d not in box and d not in fixed and d not in free:
                    free.append(d)
        self.free = free
        self.coupled = any(
            sum(1 for d in s if d not in box and d not in fixed) > 1 for s in self.dimsets
        )

    def partner_choices(self) -> Iterator[dict[str, int]]:
        """Every choice of partner group for the box dimensions."""
        ranges = [
            [g for g in range(len(self.structure.groups[d])) if g != self.own[d]] for d in self.box
        ]
        for combo in itertools.product(*ranges):
            yield dict(zip(self.box, combo, strict=True))

    def corners(self, partners: dict[str, int], lifts: dict[str, int]) -> list[tuple[int, int]]:
        """(population, sign) of every corner population for a complete choice of lifts."""
        out: list[tuple[int, int]] = []
        for dimset in self.dimsets:
            out.extend(self._corners_over(dimset, partners, lifts))
        return out

    def split_corners(
        self, partners: dict[str, int]
    ) -> tuple[list[tuple[int, int]], dict[str, list[list[tuple[int, int]]]]]:
        """Corners as a fixed part and, per free dimension, one list per lift group.

        Only valid when the pattern is not ``coupled`` (each corner depends on one lift).
        """
        base: list[tuple[int, int]] = []
        per_dim: dict[str, list[list[tuple[int, int]]]] = {
            d: [[] for _ in self.structure.groups[d]] for d in self.free
        }
        for dimset in self.dimsets:
            free_here = [d for d in dimset if d not in self.box and d not in self.fixed]
            if not free_here:
                base.extend(self._corners_over(dimset, partners, {}))
                continue
            (d,) = free_here
            for g in range(len(self.structure.groups[d])):
                per_dim[d][g].extend(self._corners_over(dimset, partners, {d: g}))
        return base, per_dim

    def _corners_over(
        self, dimset: tuple[str, ...], partners: dict[str, int], lifts: dict[str, int]
    ) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for mask in itertools.product((0, 1), repeat=len(self.box)):
            coords: dict[str, int] = {}
            for d, m in zip(self.box, mask, strict=True):
                coords[d] = self.own[d] if m == 0 else partners[d]
            for d in dimset:
                if d not in self.box:
                    coords[d] = self.fixed[d] if d in self.fixed else lifts[d]
            pop = self.structure.lookup(coords)
            if pop >= 0:
                out.append((pop, -1 if sum(mask) % 2 else 1))
        return out


def box_choices(structure: Structure, pop: int) -> list[tuple[str, ...]]:
    """Box dimensions to try for a population: all its own dimensions, then fewer."""
    own = tuple(d for d in structure.dims if d in structure.coords[pop])
    out = [own]
    if len(own) == 2:
        out += [(own[0],), (own[1],)]
    if own:
        out.append(())
    return out


BIG = np.iinfo(np.int64).max // 4


class Layout:
    """The corners of the box moves for one choice of partner groups, as arrays.

    Either ``coupled`` -- (pops, signs), one row per combination of lift groups -- or a fixed
    ``base`` part (one row) plus, per free lift dimension, one row per lift group.
    """

    def __init__(
        self,
        base: tuple[IntArray, IntArray],
        free: list[tuple[str, IntArray, IntArray]],
        coupled: tuple[IntArray, IntArray] | None,
    ) -> None:
        self.base = base
        self.free = free
        self.coupled = coupled


def _arrays(corners: list[list[tuple[int, int]]]) -> tuple[IntArray, IntArray]:
    width = len(corners[0]) if corners else 0
    pops = np.array([[p for p, _ in c] for c in corners], dtype=np.int64).reshape(-1, width)
    signs = np.array([[s for _, s in c] for c in corners], dtype=np.int64).reshape(-1, width)
    return pops, signs


class Layouts:
    """Box-move corners through each population, worked out once and shared by every item."""

    def __init__(self, structure: Structure) -> None:
        self.structure = structure
        self._cache: dict[tuple[int, tuple[str, ...]], list[Layout]] = {}

    def get(self, pop: int, box: tuple[str, ...]) -> list[Layout]:
        """Every layout for box moves over ``box`` through population ``pop``."""
        key = (pop, box)
        if key not in self._cache:
            self._cache[key] = self._build(pop, box)
        return self._cache[key]

    def _build(self, pop: int, box: tuple[str, ...]) -> list[Layout]:
        structure = self.structure
        pattern = Pattern(structure, pop, box)
        out: list[Layout] = []
        budget = MAX_LIFT_COMBINATIONS
        for partners in pattern.partner_choices():
            if pattern.coupled:
                combos = itertools.islice(
                    itertools.product(*(range(len(structure.groups[d])) for d in pattern.free)),
                    max(budget, 0),
                )
                corners = [
                    pattern.corners(partners, dict(zip(pattern.free, combo, strict=True)))
                    for combo in combos
                ]
                budget -= len(corners)
                if corners:
                    empty = (np.zeros((1, 0), np.int64), np.zeros((1, 0), np.int64))
                    out.append(Layout(empty, [], _arrays(corners)))
                continue
            base, per_dim = pattern.split_corners(partners)
            free = [(d, *_arrays(options)) for d, options in per_dim.items()]
            out.append(Layout(_arrays([base]), free, None))
        return out
