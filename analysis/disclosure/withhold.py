"""Withheld breakdowns: when cheap complements cannot protect a dimension, hide all of it.

In small surveys most groups are below k and hidden anyway, and the few numbers that could still
be shown are often the hardest to protect: a box move through a two-way population has to move
whole respondents, with the same answers, in every table at once, which tiny groups rarely allow.
Searching for the cheapest complements of any shape is then an integer programme over every
population and every answer count -- far too slow. So when the cheap search fails, the engine
*withholds* a breakdown instead.

Withholding dimension ``d`` hides every population that fixes a non-empty group of ``d``: its
one-way groups and every two-way population with one of them, zeros included, with every answer
count. Empty groups of ``d`` (and everything in them) stay shown as zeros; they cannot hide
anyone. Everything about ``d`` that is still published is then what the other breakdowns and the
overall row say.

Why that is safe, and how it is proved: relabelling everyone in the non-empty groups of ``d`` as
members of one of them, ``g`` (a *merge*), turns the true tables into other tables of
non-negative integers that satisfy every published equation and inequality (each is a sum over
the groups of ``d`` or unrelated to ``d``), and it only changes withheld cells. So each merge is a
certificate, checked by the audit like any other. Merging into ``g`` raises every population of
``g`` to the total of its row or column; merging into another group empties it. Merges in two
withheld dimensions compose (relabel both): a two-way population can then take any value from 0
to the whole survey. Hence every withheld value has a range from 0 to at least k (for N >= k).
"""

from __future__ import annotations

import numpy as np

from analysis.disclosure.patterns import hiding_cost
from analysis.disclosure.structure import BoolArray, IntArray, Structure
from analysis.disclosure.suppression import Suppression

#: A merge: per withheld dimension, the group everyone in that dimension is relabelled as.
Merge = tuple[tuple[str, int], ...]


class Withholding:
    """Which dimensions are withheld, and the merge certificates that prove them safe."""

    def __init__(self, structure: Structure) -> None:
        self.structure = structure
        #: withheld dimensions, in the order they were withheld
        self.dims: list[str] = []
        self._group: dict[str, IntArray] = {}
        self._regroup: dict[str, IntArray] = {}
        self._members: dict[str, BoolArray] = {}
        self._shifts: dict[Merge, tuple[IntArray, IntArray]] = {}

    def fresh(self) -> Withholding:
        """A new withholding of nothing, sharing what this one has worked out."""
        other = Withholding(self.structure)
        other._group, other._regroup = self._group, self._regroup
        other._members, other._shifts = self._members, self._shifts
        return other

    # -- which populations ---------------------------------------------------------------------

    def group(self, dim: str) -> IntArray:
        """Per population, its group of ``dim`` (-1 if none)."""
        if dim not in self._group:
            self._group[dim] = self.structure.group_of(dim)
        return self._group[dim]

    def members(self, dim: str) -> BoolArray:
        """Per group of ``dim``: is it non-empty (published and with anyone in it)?"""
        if dim not in self._members:
            structure = self.structure
            found = np.zeros(len(structure.groups[dim]), dtype=np.bool_)
            for g in range(len(found)):
                pop = structure.lookup({dim: g})
                found[g] = pop >= 0 and structure.sizes[pop] > 0
            self._members[dim] = found
        return self._members[dim]

    def territory(self, dim: str) -> BoolArray:
        """The populations withholding ``dim`` hides: those fixing a non-empty group of it."""
        group = self.group(dim)
        return (group >= 0) & self.members(dim)[np.maximum(group, 0)]

    def covers(self, pop: int) -> bool:
        """Whether ``pop`` lies in the territory of a withheld dimension."""
        return any(self.territory(dim)[pop] for dim in self.dims)

    # -- choosing and applying -------------------------------------------------------------------

    def candidates(self, pop: int) -> list[str]:
        """Dimensions of ``pop`` that can still be withheld (two or more non-empty groups)."""
        own = self.structure.coords[pop]
        return [
            dim
            for dim in self.structure.dims
            if dim in own and dim not in self.dims and int(self.members(dim).sum()) >= 2
        ]

    def cost(self, dim: str, state: Suppression) -> float:
        """What withholding ``dim`` would newly hide: the hiding cost of its shown populations."""
        sizes = self.structure.sizes
        fresh = self.territory(dim) & ~state.hidden[: self.structure.n_pops] & (sizes > 0)
        return float(hiding_cost(sizes[fresh]).sum())

    def choose(self, pop: int, state: Suppression) -> str | None:
        """The cheapest dimension of ``pop`` to withhold (``None`` if none can be)."""
        options = [d for d in self.candidates(pop) if not self.locked(d, state)]
        if not options:
            return None
        rank = {dim: i for i, dim in enumerate(self.structure.dims)}
        return min(options, key=lambda dim: (self.cost(dim, state), rank[dim]))

    def locked(self, dim: str, state: Suppression) -> bool:
        """Whether withholding ``dim`` would hide a size that a higher-priority table shows."""
        pops = slice(0, self.structure.n_pops)
        shown = state.locked[pops] & ~state.hidden[pops]
        return bool(np.any(self.territory(dim) & shown))

    def add(self, dim: str) -> None:
        """Withhold ``dim`` from now on (call :meth:`apply` on a state to put it into effect)."""
        if dim not in self.dims:
            self.dims.append(dim)

    def apply(self, state: Suppression, dims: list[str] | None = None) -> None:
        """Hide the territory of the withheld dimensions (``dims``, or all of them) and record
        the emptying merges.

        For each dimension, merging into its largest and into its second largest group empties
        every one of its populations in one certificate or the other, so every withheld value
        (sizes and answer counts alike) is proved able to fall to zero.
        """
        structure = self.structure
        dims = self.dims if dims is None else dims
        for dim in dims:
            pops = np.flatnonzero(self.territory(dim))
            fresh = pops[~state.hidden[pops]]
            state.hide_complements(structure.pop_cells[fresh].ravel())
        for dim in dims:
            members = np.flatnonzero(self.members(dim))
            sizes = np.array([structure.sizes[structure.lookup({dim: int(g)})] for g in members])
            order = members[np.lexsort((members, -sizes))]
            for g in order[:2]:
                self._certify(state, ((dim, int(g)),))

    def certify(self, state: Suppression, pop: int) -> None:
        """Add merges that raise ``pop`` (one dimension at a time, then all at once)."""
        own = self.structure.coords[pop]
        dims = [dim for dim in self.dims if self.territory(dim)[pop]]
        for dim in dims:
            if state.satisfied(pop):
                return
            self._certify(state, ((dim, own[dim]),))
        if len(dims) > 1 and not state.satisfied(pop):
            self._certify(state, tuple((dim, own[dim]) for dim in dims))

    def _certify(self, state: Suppression, merge: Merge) -> None:
        cells, shift = self.shift(merge)
        state.add_certificate(cells, shift)

    def shift(self, merge: Merge) -> tuple[IntArray, IntArray]:
        """The certificate of a merge: which cells change, and by how much (cached)."""
        if merge not in self._shifts:
            self._shifts[merge] = self._shift(merge)
        return self._shifts[merge]

    def _shift(self, merge: Merge) -> tuple[IntArray, IntArray]:
        structure = self.structure
        table = structure.values.copy()
        cells = structure.pop_cells
        for dim, target in merge:
            group = self.group(dim)
            if dim not in self._regroup:
                self._regroup[dim] = structure.regroup(dim)
            source = np.flatnonzero(self.territory(dim) & (group != target))
            dest = self._regroup[dim][source, target]
            moved = table[cells[source]]
            table[cells[source]] = 0
            np.add.at(table, cells[dest].ravel(), moved.ravel())
        changed = np.flatnonzero(table != structure.values)
        return changed, table[changed] - structure.values[changed]
