"""Secondary (complementary) suppression: hide more until every hidden value is safe.

Populations come first, over the sizes alone, so that a population hidden anywhere is hidden
in every table; then each item separately, with sizes held at their true values (which can
only narrow the ranges an item allows, so anything proved that way holds for the full release).

Populations: the cheapest box move through each short population
(:mod:`analysis.disclosure.transfers`). When none exists, a small release tries an integer
programme over populations and answer counts; a larger one *withholds* one of the
population's breakdowns (:mod:`analysis.disclosure.withhold`) and starts again.

Small groups: a count in a hidden group smaller than the range it needs (a group of one or
two people) can only be widened by moving the group's size, so before the items, each such
group's counts get one shift together over the hidden cells; what it leaves goes on below.

Items: for each cell whose proved range is still too narrow, the cheapest box move through it
(:mod:`analysis.disclosure.moves`), else box moves added up. Cells no box move protects get
programmes (:mod:`analysis.disclosure.programme`), cheapest first: a shift through hidden
cells only, a shift over the views through the cell, one shift for all such cells of the item
at once, then the whole item cell by cell. If even hiding everything allowed cannot give the
width required, :class:`Unprotectable` is raised for that cell.
"""

from __future__ import annotations

import contextlib

import numpy as np

from analysis.disclosure.moves import ItemMoves, apply_item_move
from analysis.disclosure.patterns import FloatArray, Layouts, cell_costs
from analysis.disclosure.programme import (
    cell_range,
    cheapest_joint_shift,
    cheapest_shift,
    component,
    components,
    farthest_rise,
    widest_joint_shift,
)
from analysis.disclosure.structure import BoolArray, IntArray, Structure
from analysis.disclosure.suppression import Suppression, Unprotectable
from analysis.disclosure.transfers import SizeMoves
from analysis.disclosure.withhold import Withholding

#: How many passes over the populations before leaving the rest to the audit.
MAX_ROUNDS = 5

#: The largest number of cells an integer programme over populations may involve; beyond it a
#: breakdown is withheld instead (see :mod:`analysis.disclosure.withhold`).
SMALL_PROGRAMME = 500
#: Most cells for a last-resort programme over the whole release for one item cell that may
#: run past the usual limits.
LARGE_PROGRAMME = 3_000
#: Where the quick shifts that move a tiny group's size are tried first
#: (:meth:`Search.widen_small_groups`): surveys of at most this many respondents, over at
#: most this many linked hidden cells. Small surveys' hidden cells form components of
#: 3,000-6,000 cells, and there the quick shifts cut the time several-fold; with thousands of
#: respondents each such programme takes over a second and the counts are better left to the
#: usual order (measured with ``benchmarks/release_quality.py``, 2026-12-07).
QUICK_SURVEY = 1_000
QUICK_COMPONENT = 8_000


def _secondary_cost(
    structure: Structure, start: Suppression, hidden: BoolArray, weight: FloatArray
) -> float:
    """What the non-empty populations ``hidden`` beyond ``start`` (the primary suppressions)
    would lose: the ``weight`` of each (its size and the answer counts it could show)."""
    pops = structure.n_pops
    fresh = hidden[:pops] & ~start.hidden[:pops] & (structure.sizes > 0)
    return float(weight[fresh].sum())


def _short(state: Suppression, cell: int, rise: bool) -> bool:
    """Whether a cell still misses its width (``rise``) or its fall as a unanimous count."""
    if rise:
        return int(state.need[cell] - state.down[cell]) > int(state.up[cell])
    return bool(state.kept_fall[cell] < state.need_fall[cell])


def _amounts(state: Suppression, cells: IntArray, rise: bool) -> IntArray:
    """What each cell must rise by (``rise``), or fall by (negative) as a unanimous count."""
    if rise:
        return state.need[cells] - state.down[cells]
    return -state.need_fall[cells]


def _views_through(structure: Structure, cell: int) -> IntArray:
    """The populations of every view that publishes the population of ``cell``."""
    own = set(structure.coords[int(structure.cell_pop[cell])])
    views = [set(view) for view in structure.views if own <= set(view)]
    return np.array(
        [q for q, coords in enumerate(structure.coords) if any(set(coords) <= v for v in views)],
        dtype=np.int64,
    )


class Search:
    """The secondary search over one release: its structure, the working state (hidden cells,
    requirements, certificates) and the breakdowns withheld so far, with every way of hiding
    more. See the module docstring for the order in which they are tried."""

    def __init__(
        self, structure: Structure, state: Suppression, withheld: Withholding | None = None
    ) -> None:
        self.structure = structure
        self.state = state
        self.withheld = withheld if withheld is not None else Withholding(structure)

    def protect_populations(self, *, k_cell: int = 3) -> None:
        """Give every hidden population size its required range, hiding whole populations.

        Box moves first; when they cannot protect a population, a small release tries an integer
        programme, and otherwise (or if that fails too) one of the population's dimensions is
        withheld (:mod:`analysis.disclosure.withhold`) and the search starts again from the
        primary suppressions, so that complements chosen before are not kept for nothing.

        Box moves can also succeed by hiding many shown groups (say every council, to cover
        small council x ethnic group cells), and a breakdown withheld early can turn out not to
        be needed once another one is. So once everything is protected, starting again by
        withholding each other breakdown (with whatever else that run needs) is tried whenever
        it could hide less (by :func:`_secondary_cost`), and the run that hides least is kept.
        """
        start = self.state.snapshot()
        self._protect_withholding(start)
        # What hiding a population loses: its size and every answer count that could be shown.
        counts = self.structure.values[self.structure.pop_cells[:, 1:]]
        weight = 1.0 + (counts >= k_cell).sum(axis=1)
        best = _secondary_cost(self.structure, start, self.state.hidden, weight)
        primary = start.hidden[: self.structure.n_pops] & (self.structure.sizes > 0)
        options = []
        for dim in self.structure.dims:
            if [dim] == self.withheld.dims or int(self.withheld.members(dim).sum()) < 2:
                continue
            if self.withheld.locked(dim, start):
                continue
            if not np.any(primary & self.withheld.territory(dim)):
                continue  # nothing of it needs protecting: withholding it cannot save a thing
            bound = _secondary_cost(self.structure, start, self.withheld.territory(dim), weight)
            options.append((bound, self.structure.dims.index(dim), dim))
        for bound, _rank, dim in sorted(options):
            if bound >= best:
                break
            trial = self.withheld.fresh()
            trial.add(dim)
            attempt = start.snapshot()
            try:
                Search(self.structure, attempt, trial)._protect_withholding(start)
            except Unprotectable:
                continue
            cost = _secondary_cost(self.structure, start, attempt.hidden, weight)
            if cost < best:
                best = cost
                self.state.restore(attempt)
                self.withheld.dims = list(trial.dims)

    def _protect_withholding(self, start: Suppression) -> None:
        """Protect every size from ``start`` (the primary suppressions), withholding breakdowns
        one at a time as box moves fail."""
        self.state.restore(start)
        self.withheld.apply(self.state)
        while True:
            failed = self._try_populations()
            if failed is None:
                return
            self.state.restore(start)
            self.withheld.apply(self.state)
            dim = self.withheld.choose(failed, self.state)
            if dim is None:
                raise Unprotectable(
                    self.structure.describe(failed),
                    "no box move protects it and none of its breakdowns can be withheld",
                )
            self.withheld.add(dim)
            self.withheld.apply(self.state, [dim])

    def _try_populations(self) -> int | None:
        """Protect hidden sizes without withholding more; return a population that could not be."""
        moves = SizeMoves(self.structure, self.state)
        # Later steps can hide more populations; go round until none is left short.
        for _round in range(MAX_ROUNDS):
            short = [
                p
                for p in range(self.structure.n_pops)
                if self.state.hidden[p] and not self.state.satisfied(p)
            ]
            if not short:
                return None
            for pop in short:
                if self.state.satisfied(pop):
                    continue
                if self.withheld.covers(pop):
                    self.withheld.certify(self.state, pop)
                    if not self.state.satisfied(pop):
                        return pop
                    continue
                move = moves.find(pop)
                if move is not None:
                    moves.apply(move)
                elif not self._small_population_fallback(pop):
                    return pop
        return None

    def widen_small_groups(self) -> None:
        """Give the counts of each hidden group too small for their ranges those ranges
        together, before the items one by one.

        A count in a hidden group of 2 needs a range of k_cell, or at least 1, which no shift
        within its question gives (a count stays between 0 and its group's size): only moving
        the group's size does. One shift over the hidden cells (free: it hides nothing new)
        that moves every such count of the group, in every question, replaces dozens of
        programmes, one per count. Counts it cannot move together are left to
        :meth:`protect_item`."""
        if self.structure.sizes[0] > QUICK_SURVEY:
            return
        n = self.structure.n_pops
        hidden = self.state.hidden
        # Components of the hidden cells, worked out once: the shifts hide nothing new.
        cols, labels = components(self.structure, hidden)
        sizes = np.bincount(labels)
        for pop in np.flatnonzero(hidden[:n]):
            cells = self.structure.population_cells(int(pop))
            short = [int(c) for c in cells if hidden[c] and self._wider_than_its_group(int(c))]
            short = [c for c in short if _short(self.state, c, rise=True)]
            if len(short) < 2:
                continue
            label = labels[int(np.searchsorted(cols, short[0]))]
            if sizes[label] <= QUICK_COMPONENT:
                self._shift_together(cols[labels == label], short, rise=True)

    def protect_item(self, item: int, layouts: Layouts | None = None) -> None:
        """Give every hidden cell of one item its required range, hiding item cells only."""
        moves = ItemMoves(self.structure, self.state, item, layouts)
        start = self.structure.base[item]
        cells = np.arange(
            start, start + self.structure.n_pops * self.structure.ncols[item], dtype=np.int64
        )
        todo = cells[
            self.state.hidden[cells]
            & ((self.state.need[cells] > 0) | (self.state.need_fall[cells] > 0))
        ]
        todo = todo[np.lexsort((todo, -self.state.need[todo], -self.state.need_fall[todo]))]
        failed: list[int] = []
        for cell in todo:
            cell = int(cell)
            if self.state.satisfied(cell):
                continue
            move = moves.find(cell)
            if move is not None:
                apply_item_move(self.state, move)
                continue
            composed = moves.compose(cell)
            if composed is None:
                failed.append(cell)
                continue
            for cells, shift in composed:
                self.state.hide_complements(cells)
                self.state.add_certificate(cells, shift)
        # Cells no box move protects: small programmes one cell at a time, then one programme for
        # all that are left, then the whole item for each cell still short.
        for cell in failed:
            if not self.state.satisfied(cell):
                self.item_fallback(cell, whole=False)
        self._protect_together(item, [c for c in failed if not self.state.satisfied(c)])
        for cell in failed:
            if not self.state.satisfied(cell):
                self.item_fallback(cell)

    def _protect_together(self, item: int, cells: list[int]) -> None:
        """Programmes moving many cells of one item at once, for cells no box move protected.

        Such cells usually share their neighbourhood, so one shift often protects them all. First
        one shift lowering every unanimous count (with its row's no-answer fixed), then one raising
        every cell by the width it still misses. When no integral shift moves a whole set, each half
        is tried on its own, down to single cells (left to :func:`item_fallback`).
        """
        start = self.structure.base[item]
        block = np.arange(
            start, start + self.structure.n_pops * self.structure.ncols[item], dtype=np.int64
        )
        region = block[self.state.hidden[block] | (self.structure.values[block] > 0)]
        falls = [c for c in cells if self.state.kept_fall[c] < self.state.need_fall[c]]
        if falls:
            pinned = self.structure.row_no_answer[np.array(falls, dtype=np.int64)]
            kept = region[~np.isin(region, pinned)]
            self._shift_together(kept, falls, rise=False)
        rises = [
            c for c in cells if int(self.state.need[c] - self.state.down[c]) > int(self.state.up[c])
        ]
        self._shift_together(region, rises, rise=True)

    def _shift_together(self, region: IntArray, cells: list[int], *, rise: bool) -> None:
        """Rounds: one shift moving as many cells as possible (:func:`widest_joint_shift`), then
        the same for the cells left over, until no round helps."""
        left = [c for c in cells if _short(self.state, c, rise)]
        for _round in range(MAX_ROUNDS):
            if len(left) < 2:
                return
            targets = np.array(left, dtype=np.int64)
            costs = cell_costs(
                self.structure.values[region], self.state.hidden[region], self.state.locked[region]
            )
            found, moved = widest_joint_shift(
                self.structure, region, costs, targets, _amounts(self.state, targets, rise)
            )
            if found is not None:
                self.state.hide_complements(found[0])
                self.state.add_certificate(*found)
            else:
                self._split_together(region, targets[moved].tolist(), rise=rise)
            still = [c for c in left if _short(self.state, c, rise)]
            if len(still) == len(left):
                return
            left = still

    def _split_together(self, region: IntArray, cells: list[int], *, rise: bool) -> None:
        """One cheapest integral shift moving all of ``cells``; else each half on its own."""
        todo = [c for c in cells if _short(self.state, c, rise)]
        if len(todo) < 2:
            return
        targets = np.array(todo, dtype=np.int64)
        costs = cell_costs(
            self.structure.values[region], self.state.hidden[region], self.state.locked[region]
        )
        found = cheapest_joint_shift(
            self.structure,
            region,
            costs,
            targets,
            _amounts(self.state, targets, rise),
            integer=False,
        )
        if found is not None:
            self.state.hide_complements(found[0])
            self.state.add_certificate(*found)
            return
        half = len(todo) // 2
        self._split_together(region, todo[:half], rise=rise)
        self._split_together(region, todo[half:], rise=rise)

    def item_fallback(self, cell: int, *, whole: bool = True) -> None:
        """Protect one item cell with programmes over its item (sizes fixed).

        Cheap programmes first, which usually suffice: a shift through hidden cells only (which
        hides nothing new, so any integer one will do); then over the populations of the views
        through the cell's population (for multiple choice, over the cell's column and the
        no-answer column only: in a row, its moves involve no other); then (if ``whole``) over the
        whole item.
        """
        tiny = (
            component(self.structure, self.state.hidden, cell)
            if self._wider_than_its_group(cell)
            else None
        )
        if tiny is not None and tiny.size <= QUICK_COMPONENT:
            self._through_population(cell, tiny, exact=whole)
            if whole and not self.state.satisfied(cell):
                raise Unprotectable(
                    self.structure.describe(cell),
                    "its group is smaller than the range it needs, and no table consistent "
                    "with the release moves the group's size far enough",
                )
            return
        item = int(self.structure.cell_item[cell])
        start = self.structure.base[item]
        block = np.arange(
            start, start + self.structure.n_pops * self.structure.ncols[item], dtype=np.int64
        )
        values = self.structure.values[block]
        region = block[self.state.hidden[block] | (values > 0)]
        smaller = region[
            np.isin(self.structure.cell_pop[region], _views_through(self.structure, cell))
        ]
        if not self.structure.exclusive[item]:
            cols = self.structure.cell_col[smaller]
            smaller = smaller[
                (cols == self.structure.cell_col[cell]) | (cols == self.structure.ncols[item] - 1)
            ]
        tiers = [(smaller[self.state.hidden[smaller]], True), (smaller, False)]
        for tier, free in tiers:
            if tier.size == region.size and not free:
                break
            with contextlib.suppress(Unprotectable):
                self._item_cell(cell, tier, free=free, last=False)
            if self.state.satisfied(cell):
                return
        if not whole:
            return
        try:
            self._item_cell(cell, region, free=False, last=True)
        except Unprotectable:
            linked = self.structure.linked_items[item]
            if len(linked) == 1:
                raise
            # routing or shared respondents tie it to other items: let their counts move too
            cells = self.structure.item_cells(linked)
            wider = cells[self.state.hidden[cells] | (self.structure.values[cells] > 0)]
            self._item_cell(cell, wider, free=False, last=True)

    def _wider_than_its_group(self, cell: int) -> bool:
        """Whether ``cell`` needs a wider range than its hidden group's size: then no shift with
        the sizes fixed can give it (a count stays between 0 and its group's size), and only
        a shift that moves the group's size too will do. Asked only in surveys of at most
        :data:`QUICK_SURVEY` respondents."""
        pop = int(self.structure.cell_pop[cell])
        return bool(
            self.structure.sizes[0] <= QUICK_SURVEY
            and self.state.hidden[pop]
            and self.state.kept_fall[cell] >= self.state.need_fall[cell]
            and self.structure.sizes[pop] < self.state.need[cell]
        )

    def _through_population(self, cell: int, hidden: IntArray, *, exact: bool) -> None:
        """Widen an item cell of a hidden population with shifts that move its size too.

        Over the hidden cells linked to it (which hides nothing new): first the table in which
        it is largest, when a linear programme finds an integral one (such a table moves many
        cells far, and often protects them too); else any integer table that moves it far
        enough (a feasibility programme: quick). Then, if ``exact``, its exact range over the
        whole release (over a large release, an integer programme only within its usual
        limits). ``hidden``: the hidden cells linked to it. The quick attempts are skipped over
        more than :data:`QUICK_COMPONENT` cells or in a survey of more than
        :data:`QUICK_SURVEY` respondents. Leaves the cell unsatisfied rather than raising."""
        if hidden.size <= QUICK_COMPONENT and self.structure.sizes[0] <= QUICK_SURVEY:
            farthest = farthest_rise(self.structure, hidden, cell)
            if farthest is not None:
                self.state.add_certificate(*farthest)
            if not self.state.satisfied(cell):
                with contextlib.suppress(Unprotectable):
                    self._widen_directly(cell, hidden, free=True)
        if self.state.satisfied(cell) or not exact:
            return
        _low, _high, low_shift, high_shift = cell_range(
            self.structure, self.state.hidden, cell, patient=hidden.size <= LARGE_PROGRAMME
        )
        self.state.add_certificate(*low_shift)
        self.state.add_certificate(*high_shift)

    def _item_cell(
        self,
        cell: int,
        region: IntArray,
        *,
        free: bool,
        last: bool,
    ) -> None:
        """Protect one item cell over ``region``; ``free``: every cell of it is hidden already
        (one attempt, any integer shift will do); ``last``: the final attempt."""
        if self.state.kept_fall[cell] < self.state.need_fall[cell]:
            # a unanimous count: it must fall with its row's no-answer fixed
            kept = region[region != self.structure.row_no_answer[cell]]
            try:
                self._move(cell, kept, -int(self.state.need_fall[cell]), joint=False, free=free)
            except Unprotectable as error:
                raise Unprotectable(
                    self.structure.describe(cell),
                    f"everyone in this group who answered chose this option, and with the "
                    f"population sizes as published no other answer in the group can rise by "
                    f"{int(self.state.need_fall[cell])}; usually zero counts published elsewhere "
                    f"(never hidden) already show it",
                ) from error
        if self.state.satisfied(cell):
            return
        if not last:
            self._widen_directly(cell, region, free=free)
            return
        try:
            self._widen(cell, region, joint=False)
        except Unprotectable:
            if not last or not self.state.hidden[int(self.structure.cell_pop[cell])]:
                raise
            hidden = component(self.structure, self.state.hidden, cell)
            self._through_population(cell, hidden, exact=True)
            if not self.state.satisfied(cell):
                raise

    def population_fallback(self, pop: int) -> None:
        """Protect one population size the audit found short: a programme, else withhold."""
        if self._small_population_fallback(pop):
            return
        while not self.state.satisfied(pop):
            if self.withheld.covers(pop):
                self.withheld.certify(self.state, pop)
                if self.state.satisfied(pop):
                    return
            dim = self.withheld.choose(pop, self.state)
            if dim is None:
                raise Unprotectable(
                    self.structure.describe(pop),
                    "no pattern protects it and none of its breakdowns can be withheld",
                )
            self.withheld.add(dim)
            self.withheld.apply(self.state, [dim])

    def _small_population_fallback(self, pop: int) -> bool:
        """Protect one population size with integer programmes, hiding whole populations.

        Only for small releases (at most :data:`SMALL_PROGRAMME` cells involved); returns whether
        the population is now protected. The sizes alone (a relaxation) first show whether any
        pattern could work; then one integer programme over the sizes and every item cell of the
        populations that may be hidden finds the cheapest consistent shift.
        """
        sizes = self.structure.sizes
        usable = self.state.hidden[: self.structure.n_pops] | (sizes > 0)
        usable[0] = False
        pops = np.flatnonzero(usable)
        in_region = np.isin(self.structure.cell_pop, pops)
        region = np.flatnonzero(in_region)
        if region.size > SMALL_PROGRAMME:
            return False
        variables = np.zeros(self.structure.n_cells, dtype=np.bool_)
        variables[pops] = True
        try:
            low, high, _a, _b = cell_range(self.structure, variables, pop, sizes_only=True)
            truth = int(sizes[pop])
            need = int(self.state.need[pop])
            if (
                max(high - truth, int(self.state.up[pop]))
                + max(truth - low, int(self.state.down[pop]))
                < need
            ):
                return False
            self._widen(pop, region, joint=True)
        except Unprotectable:
            return False
        return self.state.satisfied(pop)

    def _widen_directly(self, cell: int, region: IntArray, *, free: bool) -> None:
        """Try to give an item cell its width without working out its range: rise by all that is
        missing; else (unless ``free``, when a later attempt will do it) fall as far as needed (at
        most to zero) and rise by the rest."""
        need = int(self.state.need[cell])
        falls = (
            (0,)
            if free
            else (0, min(int(self.structure.values[cell]), need - int(self.state.up[cell])))
        )
        for fall in falls:
            if fall > self.state.down[cell]:
                try:
                    self._move(cell, region, -fall, joint=False, free=free)
                except Unprotectable:
                    continue
            missing = need - int(self.state.down[cell])
            if missing > self.state.up[cell]:
                try:
                    self._move(cell, region, missing, joint=False, free=free)
                except Unprotectable:
                    continue
            if self.state.satisfied(cell):
                return

    def _widen(self, cell: int, region: IntArray, *, joint: bool) -> None:
        """Give ``cell`` its required width with the cheapest shifts over ``region``."""
        need = int(self.state.need[cell])
        truth = int(self.structure.values[cell])
        # The common case first: one programme rising by all that is missing.
        missing = need - int(self.state.down[cell])
        if missing > self.state.up[cell]:
            with contextlib.suppress(Unprotectable):
                self._move(cell, region, missing, joint=joint)
            if self.state.satisfied(cell):
                return
        variables = np.zeros(self.structure.n_cells, dtype=np.bool_)
        variables[region] = True
        variables[cell] = True
        low, high, _lo, _hi = cell_range(self.structure, variables, cell)
        rise, fall = high - truth, truth - low
        if max(rise, int(self.state.up[cell])) + max(fall, int(self.state.down[cell])) < need:
            raise Unprotectable(
                self.structure.describe(cell),
                f"even with every other allowed value hidden its value could only range over "
                f"{low}..{high}, narrower than the {need} required",
            )
        up_amount = min(rise, need - int(self.state.down[cell]))
        down_amount = need - max(up_amount, int(self.state.up[cell]))
        if up_amount > self.state.up[cell]:
            self._move(cell, region, up_amount, joint=joint)
        if down_amount > self.state.down[cell]:
            self._move(cell, region, -down_amount, joint=joint)
        if not self.state.satisfied(cell):
            raise Unprotectable(self.structure.describe(cell), "no protecting pattern was found")

    def _move(
        self,
        cell: int,
        region: IntArray,
        amount: int,
        *,
        joint: bool,
        free: bool = False,
    ) -> None:
        """Find, apply and certify the cheapest shift moving ``cell`` by ``amount`` over ``region``
        (``free``: any shift will do, as every cell of ``region`` is hidden already)."""
        values = self.structure.values[region]
        if joint:
            # population level: a shown population costs its hiding cost, whichever cell moves
            pops = slice(0, self.structure.n_pops)
            pop_costs = cell_costs(
                self.structure.sizes, self.state.hidden[pops], self.state.locked[pops]
            )
            costs = pop_costs[self.structure.cell_pop[region]]
            costs = np.where(self.structure.cell_item[region] >= 0, costs / 4.0, costs)
        else:
            costs = cell_costs(values, self.state.hidden[region], self.state.locked[region])
        found = cheapest_shift(self.structure, region, costs, cell, amount, first=free)
        if found is None:
            what = "rise" if amount > 0 else "fall"
            raise Unprotectable(
                self.structure.describe(cell), f"no pattern lets its value {what} by {abs(amount)}"
            )
        cells, shift = found
        if joint:
            self.hide_populations(np.unique(self.structure.cell_pop[cells]))
        else:
            self.state.hide_complements(cells)
        self.state.add_certificate(cells, shift)

    def hide_populations(self, pops: IntArray) -> None:
        """Hide whole populations not hidden yet (size and every item cell) as complements."""
        pops = np.asarray(pops, dtype=np.int64)
        fresh = pops[~self.state.hidden[pops]]
        self.state.hide_complements(fresh)
        for i in range(len(self.structure.items)):
            cells = (self.structure.base[i] + fresh[:, None] * self.structure.ncols[i]) + np.arange(
                self.structure.ncols[i]
            )
            self.state.hide_complements(cells.ravel())
