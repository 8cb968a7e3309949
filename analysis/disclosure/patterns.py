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

#: Largest number of lift choices weighed for one group of lift dimensions and one partner
#: choice (item moves), or for one population and box (size moves).
MAX_LIFT_COMBINATIONS = 20_000


def hiding_cost(values: IntArray) -> FloatArray:
    """The cost of hiding cells with these values: fewest cells first, then smallest values."""
    return 1.0 + np.log2(1.0 + values.astype(np.float64))


def cell_costs(values: IntArray, hidden: BoolArray, locked: BoolArray) -> FloatArray:
    """0 for hidden cells, ``inf`` for ``locked`` ones (a higher-priority table shows them),
    else the hiding cost. Zeros can be complements too (at the lowest cost): so a reader can
    never assume that a hidden count is at least 1."""
    cost = np.where(locked, np.inf, hiding_cost(values))
    return np.where(hidden, 0.0, cost)


class Pattern:
    """Where the corners of box moves through one population lie.

    ``box`` are the dimensions the box spans (the population's own group and a partner group).
    Every other dimension takes one "lift" group. :meth:`corner_arrays` gives the corner
    populations as a fixed part plus, per independent group of free lift dimensions
    (:meth:`components`), one alternative per choice of their lift groups.
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

    def partner_choices(self) -> Iterator[dict[str, int]]:
        """Every choice of partner group for the box dimensions."""
        ranges = [
            [g for g in range(len(self.structure.groups[d])) if g != self.own[d]] for d in self.box
        ]
        for combo in itertools.product(*ranges):
            yield dict(zip(self.box, combo, strict=True))

    def components(self) -> list[tuple[str, ...]]:
        """The free lift dimensions in independent groups: two dimensions are in one group
        when some published population fixes both (so their lift groups must be chosen
        together); in order of :attr:`free`."""
        found: list[set[str]] = [{d} for d in self.free]
        for dimset in self.dimsets:
            here = [d for d in dimset if d in self.free]
            joined = [c for c in found if c & set(here)]
            if len(joined) > 1:
                found = [c for c in found if c not in joined] + [set().union(*joined)]
        rank = {d: i for i, d in enumerate(self.free)}
        groups = [tuple(sorted(c, key=rank.__getitem__)) for c in found]
        return sorted(groups, key=lambda c: rank[c[0]])

    def corner_arrays(
        self, partners: dict[str, int], dims: tuple[str, ...], limit: int
    ) -> tuple[IntArray, IntArray]:
        """Corners over the published populations whose free dimensions are exactly within
        ``dims`` (some of them; none if ``dims`` is empty), one row per choice of lift groups
        for ``dims`` (the first ``limit`` in ``itertools.product`` order), as (choices x
        corners) arrays of populations and signs.
        """
        structure = self.structure
        shape = tuple(len(structure.groups[d]) for d in dims)
        count = min(int(np.prod(shape, dtype=np.int64)), limit)
        choice = np.unravel_index(np.arange(count), shape) if dims else ()
        pops: list[IntArray] = []
        signs: list[IntArray] = []
        for dimset in self.dimsets:
            free_here = [d for d in dimset if d not in self.box and d not in self.fixed]
            if bool(free_here) != bool(dims) or not set(free_here) <= set(dims):
                continue
            for mask in itertools.product((0, 1), repeat=len(self.box)):
                coords = {
                    d: (self.own[d] if m == 0 else partners[d])
                    for d, m in zip(self.box, mask, strict=True)
                }
                coords.update({d: self.fixed[d] for d in dimset if d in self.fixed})
                table = structure.lookup_table(coords, tuple(free_here))
                where = tuple(choice[dims.index(d)] for d in free_here)
                found = table[where] if free_here else np.full(count, table[()], dtype=np.int64)
                pops.append(found)
                signs.append(np.full(count, -1 if sum(mask) % 2 else 1, dtype=np.int64))
        if not pops:
            empty = np.zeros((count, 0), dtype=np.int64)
            return empty, empty.copy()
        return np.stack(pops, axis=1), np.stack(signs, axis=1)


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

    A fixed ``base`` part (one row) plus, per independent group of free lift dimensions, one
    row per choice of their lift groups: ``free`` holds (dimensions, pops, signs).
    """

    def __init__(
        self,
        base: tuple[IntArray, IntArray],
        free: list[tuple[tuple[str, ...], IntArray, IntArray]],
    ) -> None:
        self.base = base
        self.free = free


class Stacked:
    """The layouts of one population and box, stacked over the partner choices.

    ``base`` is (pops, signs), each (partners x corners); ``free`` holds, per group of free lift
    dimensions, (dimensions, pops, signs), each (partners x lift choices x corners).
    """

    def __init__(
        self,
        base: tuple[IntArray, IntArray],
        free: list[tuple[tuple[str, ...], IntArray, IntArray]],
    ) -> None:
        self.base = base
        self.free = free


class Layouts:
    """Box-move corners through each population, worked out once and shared by every item."""

    def __init__(self, structure: Structure) -> None:
        self.structure = structure
        self._cache: dict[tuple[int, tuple[str, ...]], list[Layout]] = {}
        self._stacked: dict[tuple[int, tuple[str, ...]], Stacked | None] = {}

    def stacked(self, pop: int, box: tuple[str, ...]) -> Stacked | None:
        """The layouts of :meth:`get` stacked (``None`` if there is none: no partner group)."""
        key = (pop, box)
        if key not in self._stacked:
            layouts = self.get(pop, box)
            found: Stacked | None = None
            if layouts:
                base = (
                    np.concatenate([layout.base[0] for layout in layouts]),
                    np.concatenate([layout.base[1] for layout in layouts]),
                )
                free = [
                    (
                        dims,
                        np.stack([layout.free[j][1] for layout in layouts]),
                        np.stack([layout.free[j][2] for layout in layouts]),
                    )
                    for j, (dims, _p, _s) in enumerate(layouts[0].free)
                ]
                found = Stacked(base, free)
            self._stacked[key] = found
        return self._stacked[key]

    def get(self, pop: int, box: tuple[str, ...]) -> list[Layout]:
        """Every layout for box moves over ``box`` through population ``pop``."""
        key = (pop, box)
        if key not in self._cache:
            self._cache[key] = self._build(pop, box)
        return self._cache[key]

    def _build(self, pop: int, box: tuple[str, ...]) -> list[Layout]:
        pattern = Pattern(self.structure, pop, box)
        components = pattern.components()
        out: list[Layout] = []
        for partners in pattern.partner_choices():
            base = pattern.corner_arrays(partners, (), 1)
            free = [
                (dims, *pattern.corner_arrays(partners, dims, MAX_LIFT_COMBINATIONS))
                for dims in components
            ]
            out.append(Layout(base, free))
        return out
