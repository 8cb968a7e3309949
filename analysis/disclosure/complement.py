"""Secondary (complementary) suppression: hide more until every hidden value is safe.

Populations come first, over the sizes alone, so that a population hidden anywhere is hidden
in every table; then each item separately, with sizes held at their true values (which can
only narrow the ranges an item allows, so anything proved that way holds for the full release).

For each cell whose proved range is still too narrow, the cheapest box move through it is
applied (:mod:`analysis.disclosure.moves`). When no box move exists, an integer programme looks
for the cheapest shift of any shape (:func:`analysis.disclosure.programme.cheapest_shift`); if
even hiding everything allowed cannot give the width required, :class:`DisclosureError` is
raised for that cell.
"""

from __future__ import annotations

import numpy as np

from analysis.disclosure.model import DisclosureError
from analysis.disclosure.moves import ItemMoves, apply_item_move
from analysis.disclosure.patterns import Layouts, cell_costs
from analysis.disclosure.programme import cell_range, cheapest_shift
from analysis.disclosure.structure import IntArray, Structure
from analysis.disclosure.suppression import Suppression
from analysis.disclosure.transfers import SizeMoves

#: How many passes over the populations before leaving the rest to the audit.
MAX_ROUNDS = 5


def protect_populations(structure: Structure, state: Suppression) -> None:
    """Give every hidden population size its required range, hiding whole populations."""
    moves = SizeMoves(structure, state)
    # Later steps can hide more populations; go round until none is left short.
    for _round in range(MAX_ROUNDS):
        short = [p for p in range(structure.n_pops) if state.hidden[p] and not state.satisfied(p)]
        if not short:
            return
        for pop in short:
            if state.satisfied(pop):
                continue
            move = moves.find(pop)
            if move is not None:
                moves.apply(move)
            else:
                population_fallback(structure, state, pop)


def protect_item(
    structure: Structure, state: Suppression, item: int, layouts: Layouts | None = None
) -> None:
    """Give every hidden cell of one item its required range, hiding item cells only."""
    moves = ItemMoves(structure, state, item, layouts)
    start = structure.base[item]
    cells = np.arange(start, start + structure.n_pops * structure.ncols[item], dtype=np.int64)
    todo = cells[state.hidden[cells] & ((state.need[cells] > 0) | (state.need_fall[cells] > 0))]
    todo = todo[np.lexsort((todo, -state.need[todo], -state.need_fall[todo]))]
    for cell in todo:
        cell = int(cell)
        if state.satisfied(cell):
            continue
        move = moves.find(cell)
        if move is not None:
            apply_item_move(state, move)
        else:
            item_fallback(structure, state, cell)


def item_fallback(structure: Structure, state: Suppression, cell: int) -> None:
    """Protect one item cell with integer programmes over its item (sizes fixed)."""
    item = int(structure.cell_item[cell])
    start = structure.base[item]
    block = np.arange(start, start + structure.n_pops * structure.ncols[item], dtype=np.int64)
    values = structure.values[block]
    region = block[state.hidden[block] | (values > 0)]
    if state.kept_fall[cell] < state.need_fall[cell]:
        # a unanimous count: it must fall with its row's no-answer fixed
        kept = region[region != structure.row_no_answer[cell]]
        try:
            _move(structure, state, cell, kept, -int(state.need_fall[cell]), joint=False)
        except DisclosureError as error:
            raise DisclosureError(
                structure.describe(cell),
                f"everyone in this group who answered chose this option, and with the "
                f"population sizes as published no other answer in the group can rise by "
                f"{int(state.need_fall[cell])}; usually zero counts published elsewhere "
                f"(never hidden) already show it",
            ) from error
    if not state.satisfied(cell):
        try:
            _widen(structure, state, cell, region, joint=False)
        except DisclosureError:
            if not state.hidden[int(structure.cell_pop[cell])]:
                raise
            # In a hidden population the size can move too: ask the whole release.
            _low, _high, low_shift, high_shift = cell_range(structure, state.hidden, cell)
            state.add_certificate(*low_shift)
            state.add_certificate(*high_shift)
            if not state.satisfied(cell):
                raise


def population_fallback(structure: Structure, state: Suppression, pop: int) -> None:
    """Protect one population size with integer programmes, hiding whole populations.

    The sizes alone (a relaxation) first show whether any pattern could work; then one integer
    programme over the sizes and every item cell of the populations that may be hidden finds
    the cheapest consistent shift.
    """
    sizes = structure.sizes
    usable = state.hidden[: structure.n_pops] | (sizes > 0)
    usable[0] = False
    pops = np.flatnonzero(usable)
    variables = np.zeros(structure.n_cells, dtype=np.bool_)
    variables[pops] = True
    low, high, _a, _b = cell_range(structure, variables, pop, sizes_only=True)
    truth = int(sizes[pop])
    need = int(state.need[pop])
    if max(high - truth, int(state.up[pop])) + max(truth - low, int(state.down[pop])) < need:
        raise DisclosureError(
            structure.describe(pop),
            f"even with every other population hidden its size could only range over "
            f"{low}..{high}, narrower than the {need} required",
        )
    in_region = np.isin(structure.cell_pop, pops)
    region = np.flatnonzero(in_region)
    _widen(structure, state, pop, region, joint=True)


def _widen(
    structure: Structure, state: Suppression, cell: int, region: IntArray, *, joint: bool
) -> None:
    """Give ``cell`` its required width with the cheapest shifts over ``region``."""
    need = int(state.need[cell])
    truth = int(structure.values[cell])
    variables = np.zeros(structure.n_cells, dtype=np.bool_)
    variables[region] = True
    variables[cell] = True
    low, high, _lo, _hi = cell_range(structure, variables, cell)
    rise, fall = high - truth, truth - low
    if max(rise, int(state.up[cell])) + max(fall, int(state.down[cell])) < need:
        raise DisclosureError(
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
        raise DisclosureError(structure.describe(cell), "no protecting pattern was found")


def _move(
    structure: Structure,
    state: Suppression,
    cell: int,
    region: IntArray,
    amount: int,
    *,
    joint: bool,
) -> None:
    """Find, apply and certify the cheapest shift moving ``cell`` by ``amount`` over ``region``."""
    values = structure.values[region]
    if joint:
        # population level: a shown population costs its hiding cost, whichever cell moves
        pop_costs = cell_costs(structure.sizes, state.hidden[: structure.n_pops])
        costs = pop_costs[structure.cell_pop[region]]
        costs = np.where(structure.cell_item[region] >= 0, costs / 4.0, costs)
    else:
        costs = cell_costs(values, state.hidden[region])
    found = cheapest_shift(structure, region, costs, cell, amount)
    if found is None:
        what = "rise" if amount > 0 else "fall"
        raise DisclosureError(
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
