"""The primary rules: which cells must be hidden whatever else is shown.

Population level (decided first, over the sizes alone):

* **P1** a population with ``0 < n < k`` is hidden, size and every item cell.
* **nested** a parent and a child (the parent plus one more group) are not both shown when
  ``0 < n(parent) - n(child) < k``: the child is hidden, as a whole population.

Cell level (then, item by item):

* every item cell of a hidden population is hidden;
* **P2** an option or no-answer count with ``0 < x < k_cell`` is hidden;
* **P3** on a sensitive item, if everyone who answered in a population chose one option
  (and somebody answered), all that population's option counts are hidden. The unanimous
  count must then be able to fall by ``k_cell`` (or by all of it, if fewer answered) while the
  population's size and no-answer count stay fixed: only then can nobody conclude that
  everyone who answered chose it.

**P0** (fewer than ``k`` respondents in all) is handled by the caller: it hides everything but
the overall count.
"""

from __future__ import annotations

import numpy as np

from analysis.disclosure.structure import Structure
from analysis.disclosure.suppression import RULE_CODES, Suppression


def apply_population_rules(structure: Structure, state: Suppression, k: int) -> None:
    """Hide the sizes that P1 and the nested rule name (size cells only)."""
    sizes = structure.sizes
    small = np.flatnonzero((sizes > 0) & (sizes < k))
    state.hide(small, "P1", k)
    children: dict[int, list[int]] = {}
    for parent, _dim, kids in structure.partitions:
        children.setdefault(parent, []).extend(int(c) for c in kids)
    # Parents in order of depth: a child hidden here is never looked at again as a parent.
    for parent in sorted(children, key=lambda p: (int(structure.depth[p]), p)):
        if state.hidden[parent]:
            continue
        for child in children[parent]:
            if state.hidden[child]:
                continue
            gap = int(sizes[parent] - sizes[child])
            if 0 < gap < k:
                state.hide(np.array([child]), "nested", k)


def apply_cell_rules(structure: Structure, state: Suppression, k_cell: int) -> None:
    """Hide the item cells of hidden populations, then the P2 and P3 cells."""
    pop_hidden = state.hidden[: structure.n_pops]
    pop_rule = state.rule[: structure.n_pops]
    sizes = structure.sizes
    for i in range(len(structure.items)):
        block = structure.block(i)
        ncol = structure.ncols[i]
        cells = structure.base[i] + np.arange(block.size).reshape(block.shape)
        # Whole hidden populations: the population's own rule, a range above zero where non-zero.
        for code in np.unique(pop_rule[pop_hidden]):
            rows = np.flatnonzero(pop_hidden & (pop_rule == code))
            name = next(n for n, c in RULE_CODES.items() if c == code)
            state.hide(cells[rows].ravel(), name, (block[rows] > 0).astype(np.int64).ravel())
        shown = ~pop_hidden
        small = (block > 0) & (block < k_cell) & shown[:, None]
        state.hide(cells[small], "P2", k_cell)
        if structure.sensitive[i]:
            answered = sizes - block[:, ncol - 1]
            options = block[:, : ncol - 1]
            unanimous = shown & (answered > 0) & (options == answered[:, None]).any(axis=1)
            rows = np.flatnonzero(unanimous)
            # Every option count of the row is hidden; the unanimous one must be able to fall
            # by k_cell with the row's size and no-answer unchanged (someone chose otherwise).
            others = cells[rows, : ncol - 1].ravel()
            state.hide(others, "P3", (structure.values[others] > 0).astype(np.int64))
            for row in rows:
                for col in range(ncol - 1):
                    if options[row, col] == answered[row]:
                        cell = int(cells[row, col])
                        state.need[cell] = max(int(state.need[cell]), k_cell)
                        state.need_fall[cell] = min(k_cell, int(answered[row]))
