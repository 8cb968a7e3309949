"""Secondary (complementary) suppression: hide more until every hidden value is safe.

Populations come first, over the sizes alone, so that a population hidden anywhere is hidden
in every table; then each item separately, with sizes held at their true values (which can
only narrow the ranges an item allows, so anything proved that way holds for the full release).

Populations: the cheapest box move through each short population
(:mod:`analysis.disclosure.transfers`). When none exists, a small release tries an integer
programme over populations and answer counts; a larger one *withholds* one of the
population's breakdowns (:mod:`analysis.disclosure.withhold`) and starts again.

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


def protect_populations(
    structure: Structure,
    state: Suppression,
    withheld: Withholding | None = None,
    *,
    k_cell: int = 3,
) -> None:
    """Give every hidden population size its required range, hiding whole populations.

    Box moves first; when they cannot protect a population, a small release tries an integer
    programme, and otherwise (or if that fails too) one of the population's dimensions is
    withheld (:mod:`analysis.disclosure.withhold`) and the search starts again from the
    primary suppressions, so that complements chosen before are not kept for nothing.

    Box moves can also succeed by hiding many shown groups (say every council, to cover small
    council x ethnic group cells), and a breakdown withheld early can turn out not to be needed
    once another one is. So once everything is protected, starting again by withholding each
    other breakdown (with whatever else that run needs) is tried whenever it could hide less
    (by :func:`_secondary_cost`), and the run that hides least is kept.
    """
    withheld = withheld if withheld is not None else Withholding(structure)
    start = state.snapshot()
    _protect_withholding(structure, state, start, withheld)
    # What hiding a population loses: its size and every answer count that could be shown.
    counts = structure.values[structure.pop_cells[:, 1:]]
    weight = 1.0 + (counts >= k_cell).sum(axis=1)
    best = _secondary_cost(structure, start, state.hidden, weight)
    primary = start.hidden[: structure.n_pops] & (structure.sizes > 0)
    options = []
    for dim in structure.dims:
        if [dim] == withheld.dims or int(withheld.members(dim).sum()) < 2:
            continue
        if withheld.locked(dim, start):
            continue
        if not np.any(primary & withheld.territory(dim)):
            continue  # nothing of it needs protecting: withholding it cannot save a thing
        bound = _secondary_cost(structure, start, withheld.territory(dim), weight)
        options.append((bound, structure.dims.index(dim), dim))
    for bound, _rank, dim in sorted(options):
        if bound >= best:
            break
        trial = withheld.fresh()
        trial.add(dim)
        attempt = start.snapshot()
        try:
            _protect_withholding(structure, attempt, start, trial)
        except Unprotectable:
            continue
        cost = _secondary_cost(structure, start, attempt.hidden, weight)
        if cost < best:
            best = cost
            state.restore(attempt)
            withheld.dims = list(trial.dims)


def _protect_withholding(
    structure: Structure, state: Suppression, start: Suppression, withheld: Withholding
) -> None:
    """Protect every size from ``start`` (the primary suppressions), withholding breakdowns
    one at a time as box moves fail."""
    state.restore(start)
    withheld.apply(state)
    while True:
        failed = _try_populations(structure, state, withheld)
        if failed is None:
            return
        state.restore(start)
        withheld.apply(state)
        dim = withheld.choose(failed, state)
        if dim is None:
            raise Unprotectable(
                structure.describe(failed),
                "no box move protects it and none of its breakdowns can be withheld",
            )
        withheld.add(dim)
        withheld.apply(state, [dim])


def _secondary_cost(
    structure: Structure, start: Suppression, hidden: BoolArray, weight: FloatArray
) -> float:
    """What the non-empty populations ``hidden`` beyond ``start`` (the primary suppressions)
    would lose: the ``weight`` of each (its size and the answer counts it could show)."""
    pops = structure.n_pops
    fresh = hidden[:pops] & ~start.hidden[:pops] & (structure.sizes > 0)
    return float(weight[fresh].sum())


def _try_populations(structure: Structure, state: Suppression, withheld: Withholding) -> int | None:
    """Protect hidden sizes without withholding more; return a population that could not be."""
    moves = SizeMoves(structure, state)
    # Later steps can hide more populations; go round until none is left short.
    for _round in range(MAX_ROUNDS):
        short = [p for p in range(structure.n_pops) if state.hidden[p] and not state.satisfied(p)]
        if not short:
            return None
        for pop in short:
            if state.satisfied(pop):
                continue
            if withheld.covers(pop):
                withheld.certify(state, pop)
                if not state.satisfied(pop):
                    return pop
                continue
            move = moves.find(pop)
            if move is not None:
                moves.apply(move)
            elif not _small_population_fallback(structure, state, pop):
                return pop
    return None


def protect_item(
    structure: Structure, state: Suppression, item: int, layouts: Layouts | None = None
) -> None:
    """Give every hidden cell of one item its required range, hiding item cells only."""
    moves = ItemMoves(structure, state, item, layouts)
    start = structure.base[item]
    cells = np.arange(start, start + structure.n_pops * structure.ncols[item], dtype=np.int64)
    todo = cells[state.hidden[cells] & ((state.need[cells] > 0) | (state.need_fall[cells] > 0))]
    todo = todo[np.lexsort((todo, -state.need[todo], -state.need_fall[todo]))]
    failed: list[int] = []
    for cell in todo:
        cell = int(cell)
        if state.satisfied(cell):
            continue
        move = moves.find(cell)
        if move is not None:
            apply_item_move(state, move)
            continue
        composed = moves.compose(cell)
        if composed is None:
            failed.append(cell)
            continue
        for cells, shift in composed:
            state.hide_complements(cells)
            state.add_certificate(cells, shift)
    # Cells no box move protects: small programmes one cell at a time, then one programme for
    # all that are left, then the whole item for each cell still short.
    for cell in failed:
        if not state.satisfied(cell):
            item_fallback(structure, state, cell, whole=False)
    _protect_together(structure, state, item, [c for c in failed if not state.satisfied(c)])
    for cell in failed:
        if not state.satisfied(cell):
            item_fallback(structure, state, cell)


def _protect_together(
    structure: Structure, state: Suppression, item: int, cells: list[int]
) -> None:
    """Programmes moving many cells of one item at once, for cells no box move protected.

    Such cells usually share their neighbourhood, so one shift often protects them all. First
    one shift lowering every unanimous count (with its row's no-answer fixed), then one raising
    every cell by the width it still misses. When no integral shift moves a whole set, each half
    is tried on its own, down to single cells (left to :func:`item_fallback`).
    """
    start = structure.base[item]
    block = np.arange(start, start + structure.n_pops * structure.ncols[item], dtype=np.int64)
    region = block[state.hidden[block] | (structure.values[block] > 0)]
    falls = [c for c in cells if state.kept_fall[c] < state.need_fall[c]]
    if falls:
        pinned = structure.row_no_answer[np.array(falls, dtype=np.int64)]
        kept = region[~np.isin(region, pinned)]
        _shift_together(structure, state, kept, falls, rise=False)
    rises = [c for c in cells if int(state.need[c] - state.down[c]) > int(state.up[c])]
    _shift_together(structure, state, region, rises, rise=True)


def _shift_together(
    structure: Structure, state: Suppression, region: IntArray, cells: list[int], *, rise: bool
) -> None:
    """Rounds: one shift moving as many cells as possible (:func:`widest_joint_shift`), then
    the same for the cells left over, until no round helps."""
    left = [c for c in cells if _short(state, c, rise)]
    for _round in range(MAX_ROUNDS):
        if len(left) < 2:
            return
        targets = np.array(left, dtype=np.int64)
        costs = cell_costs(structure.values[region], state.hidden[region], state.locked[region])
        found, moved = widest_joint_shift(
            structure, region, costs, targets, _amounts(state, targets, rise)
        )
        if found is not None:
            state.hide_complements(found[0])
            state.add_certificate(*found)
        else:
            _split_together(structure, state, region, targets[moved].tolist(), rise=rise)
        still = [c for c in left if _short(state, c, rise)]
        if len(still) == len(left):
            return
        left = still


def _split_together(
    structure: Structure, state: Suppression, region: IntArray, cells: list[int], *, rise: bool
) -> None:
    """One cheapest integral shift moving all of ``cells``; else each half on its own."""
    todo = [c for c in cells if _short(state, c, rise)]
    if len(todo) < 2:
        return
    targets = np.array(todo, dtype=np.int64)
    costs = cell_costs(structure.values[region], state.hidden[region], state.locked[region])
    found = cheapest_joint_shift(
        structure, region, costs, targets, _amounts(state, targets, rise), integer=False
    )
    if found is not None:
        state.hide_complements(found[0])
        state.add_certificate(*found)
        return
    half = len(todo) // 2
    _split_together(structure, state, region, todo[:half], rise=rise)
    _split_together(structure, state, region, todo[half:], rise=rise)


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


def item_fallback(
    structure: Structure, state: Suppression, cell: int, *, whole: bool = True
) -> None:
    """Protect one item cell with programmes over its item (sizes fixed).

    Cheap programmes first, which usually suffice: a shift through hidden cells only (which
    hides nothing new, so any integer one will do); then over the populations of the views
    through the cell's population (for multiple choice, over the cell's column and the
    no-answer column only: in a row, its moves involve no other); then (if ``whole``) over the
    whole item.
    """
    item = int(structure.cell_item[cell])
    start = structure.base[item]
    block = np.arange(start, start + structure.n_pops * structure.ncols[item], dtype=np.int64)
    values = structure.values[block]
    region = block[state.hidden[block] | (values > 0)]
    smaller = region[np.isin(structure.cell_pop[region], _views_through(structure, cell))]
    if not structure.exclusive[item]:
        cols = structure.cell_col[smaller]
        smaller = smaller[(cols == structure.cell_col[cell]) | (cols == structure.ncols[item] - 1)]
    tiers = [(smaller[state.hidden[smaller]], True), (smaller, False)]
    for tier, free in tiers:
        if tier.size == region.size and not free:
            break
        with contextlib.suppress(Unprotectable):
            _item_cell(structure, state, cell, tier, free=free, last=False)
        if state.satisfied(cell):
            return
    if not whole:
        return
    try:
        _item_cell(structure, state, cell, region, free=False, last=True)
    except Unprotectable:
        linked = structure.linked_items[item]
        if len(linked) == 1:
            raise
        # routing or shared respondents tie it to other items: let their counts move too
        cells = structure.item_cells(linked)
        wider = cells[state.hidden[cells] | (structure.values[cells] > 0)]
        _item_cell(structure, state, cell, wider, free=False, last=True)


def _views_through(structure: Structure, cell: int) -> IntArray:
    """The populations of every view that publishes the population of ``cell``."""
    own = set(structure.coords[int(structure.cell_pop[cell])])
    views = [set(view) for view in structure.views if own <= set(view)]
    return np.array(
        [q for q, coords in enumerate(structure.coords) if any(set(coords) <= v for v in views)],
        dtype=np.int64,
    )


def _item_cell(
    structure: Structure,
    state: Suppression,
    cell: int,
    region: IntArray,
    *,
    free: bool,
    last: bool,
) -> None:
    """Protect one item cell over ``region``; ``free``: every cell of it is hidden already
    (one attempt, any integer shift will do); ``last``: the final attempt."""
    if state.kept_fall[cell] < state.need_fall[cell]:
        # a unanimous count: it must fall with its row's no-answer fixed
        kept = region[region != structure.row_no_answer[cell]]
        try:
            _move(structure, state, cell, kept, -int(state.need_fall[cell]), joint=False, free=free)
        except Unprotectable as error:
            raise Unprotectable(
                structure.describe(cell),
                f"everyone in this group who answered chose this option, and with the "
                f"population sizes as published no other answer in the group can rise by "
                f"{int(state.need_fall[cell])}; usually zero counts published elsewhere "
                f"(never hidden) already show it",
            ) from error
    if state.satisfied(cell):
        return
    if not last:
        _widen_directly(structure, state, cell, region, free=free)
        return
    try:
        _widen(structure, state, cell, region, joint=False)
    except Unprotectable:
        if not last or not state.hidden[int(structure.cell_pop[cell])]:
            raise
        # In a hidden population the size can move too: ask the whole release (over a large
        # release, an integer programme only within its usual limits).
        small = component(structure, state.hidden, cell).size <= LARGE_PROGRAMME
        _low, _high, low_shift, high_shift = cell_range(
            structure, state.hidden, cell, patient=small
        )
        state.add_certificate(*low_shift)
        state.add_certificate(*high_shift)
        if not state.satisfied(cell):
            raise


def population_fallback(
    structure: Structure, state: Suppression, pop: int, withheld: Withholding | None = None
) -> None:
    """Protect one population size the audit found short: a programme, else withhold."""
    if _small_population_fallback(structure, state, pop):
        return
    withheld = withheld if withheld is not None else Withholding(structure)
    while not state.satisfied(pop):
        if withheld.covers(pop):
            withheld.certify(state, pop)
            if state.satisfied(pop):
                return
        dim = withheld.choose(pop, state)
        if dim is None:
            raise Unprotectable(
                structure.describe(pop),
                "no pattern protects it and none of its breakdowns can be withheld",
            )
        withheld.add(dim)
        withheld.apply(state, [dim])


def _small_population_fallback(structure: Structure, state: Suppression, pop: int) -> bool:
    """Protect one population size with integer programmes, hiding whole populations.

    Only for small releases (at most :data:`SMALL_PROGRAMME` cells involved); returns whether
    the population is now protected. The sizes alone (a relaxation) first show whether any
    pattern could work; then one integer programme over the sizes and every item cell of the
    populations that may be hidden finds the cheapest consistent shift.
    """
    sizes = structure.sizes
    usable = state.hidden[: structure.n_pops] | (sizes > 0)
    usable[0] = False
    pops = np.flatnonzero(usable)
    in_region = np.isin(structure.cell_pop, pops)
    region = np.flatnonzero(in_region)
    if region.size > SMALL_PROGRAMME:
        return False
    variables = np.zeros(structure.n_cells, dtype=np.bool_)
    variables[pops] = True
    try:
        low, high, _a, _b = cell_range(structure, variables, pop, sizes_only=True)
        truth = int(sizes[pop])
        need = int(state.need[pop])
        if max(high - truth, int(state.up[pop])) + max(truth - low, int(state.down[pop])) < need:
            return False
        _widen(structure, state, pop, region, joint=True)
    except Unprotectable:
        return False
    return state.satisfied(pop)


def _widen_directly(
    structure: Structure, state: Suppression, cell: int, region: IntArray, *, free: bool
) -> None:
    """Try to give an item cell its width without working out its range: rise by all that is
    missing; else (unless ``free``, when a later attempt will do it) fall as far as needed (at
    most to zero) and rise by the rest."""
    need = int(state.need[cell])
    falls = (0,) if free else (0, min(int(structure.values[cell]), need - int(state.up[cell])))
    for fall in falls:
        if fall > state.down[cell]:
            try:
                _move(structure, state, cell, region, -fall, joint=False, free=free)
            except Unprotectable:
                continue
        missing = need - int(state.down[cell])
        if missing > state.up[cell]:
            try:
                _move(structure, state, cell, region, missing, joint=False, free=free)
            except Unprotectable:
                continue
        if state.satisfied(cell):
            return


def _widen(
    structure: Structure, state: Suppression, cell: int, region: IntArray, *, joint: bool
) -> None:
    """Give ``cell`` its required width with the cheapest shifts over ``region``."""
    need = int(state.need[cell])
    truth = int(structure.values[cell])
    # The common case first: one programme rising by all that is missing.
    missing = need - int(state.down[cell])
    if missing > state.up[cell]:
        with contextlib.suppress(Unprotectable):
            _move(structure, state, cell, region, missing, joint=joint)
        if state.satisfied(cell):
            return
    variables = np.zeros(structure.n_cells, dtype=np.bool_)
    variables[region] = True
    variables[cell] = True
    low, high, _lo, _hi = cell_range(structure, variables, cell)
    rise, fall = high - truth, truth - low
    if max(rise, int(state.up[cell])) + max(fall, int(state.down[cell])) < need:
        raise Unprotectable(
            structure.describe(cell),
            f"even with every other allowed value hidden its value could only range over "
            f"{low}..{high}, narrower than the {need} required",
        )
    up_amount = min(rise, need - int(state.down[cell]))
    down_amount = need - max(up_amount, int(state.up[cell]))
    if up_amount > state.up[cell]:
        _move(structure, state, cell, region, up_amount, joint=joint)
    if down_amount > state.down[cell]:
        _move(structure, state, cell, region, -down_amount, joint=joint)
    if not state.satisfied(cell):
        raise Unprotectable(structure.describe(cell), "no protecting pattern was found")


def _move(
    structure: Structure,
    state: Suppression,
    cell: int,
    region: IntArray,
    amount: int,
    *,
    joint: bool,
    free: bool = False,
) -> None:
    """Find, apply and certify the cheapest shift moving ``cell`` by ``amount`` over ``region``
    (``free``: any shift will do, as every cell of ``region`` is hidden already)."""
    values = structure.values[region]
    if joint:
        # population level: a shown population costs its hiding cost, whichever cell moves
        pops = slice(0, structure.n_pops)
        pop_costs = cell_costs(structure.sizes, state.hidden[pops], state.locked[pops])
        costs = pop_costs[structure.cell_pop[region]]
        costs = np.where(structure.cell_item[region] >= 0, costs / 4.0, costs)
    else:
        costs = cell_costs(values, state.hidden[region], state.locked[region])
    found = cheapest_shift(structure, region, costs, cell, amount, first=free)
    if found is None:
        what = "rise" if amount > 0 else "fall"
        raise Unprotectable(
            structure.describe(cell), f"no pattern lets its value {what} by {abs(amount)}"
        )
    cells, shift = found
    if joint:
        hide_populations(structure, state, np.unique(structure.cell_pop[cells]))
    else:
        state.hide_complements(cells)
    state.add_certificate(cells, shift)


def hide_populations(structure: Structure, state: Suppression, pops: IntArray) -> None:
    """Hide whole populations not hidden yet (size and every item cell) as complements."""
    pops = np.asarray(pops, dtype=np.int64)
    fresh = pops[~state.hidden[pops]]
    state.hide_complements(fresh)
    for i in range(len(structure.items)):
        cells = (structure.base[i] + fresh[:, None] * structure.ncols[i]) + np.arange(
            structure.ncols[i]
        )
        state.hide_complements(cells.ravel())
