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

A public size (``ReleaseInput.public_dimensions``) is never hidden: P1 hides the answer counts
of a public group of 1 to k-1 people, each needing k_cell or, if the group is smaller, its
size; the nested rule leaves a public child alone (both sizes are known, and the people between
them are groups of the release whose answers the partitions protect).
"""

from __future__ import annotations

import numpy as np

from analysis.disclosure.structure import BoolArray, IntArray, Structure
from analysis.disclosure.suppression import RULE_CODES, Suppression, zero_needs


def apply_population_rules(structure: Structure, state: Suppression, k: int) -> None:
    """Hide the sizes that P1 and the nested rule name (size cells only)."""
    sizes = structure.sizes
    small = np.flatnonzero((sizes > 0) & (sizes < k) & ~structure.public)
    state.hide(small, "P1", k)
    children: dict[int, list[int]] = {}
    for parent, _dim, kids in structure.partitions:
        children.setdefault(parent, []).extend(int(c) for c in kids)
    # Parents in order of depth: a child hidden here is never looked at again as a parent.
    for parent in sorted(children, key=lambda p: (int(structure.depth[p]), p)):
        if state.hidden[parent]:
            continue
        for child in children[parent]:
            if state.hidden[child] or structure.public[child]:
                continue
            gap = int(sizes[parent] - sizes[child])
            if 0 < gap < k:
                state.hide(np.array([child]), "nested", k)


def apply_cell_rules(structure: Structure, state: Suppression, k_cell: int, k: int) -> None:
    """Hide the item cells of hidden populations, then the P2 and P3 cells."""
    sizes = structure.sizes
    pop_hidden = state.hidden[: structure.n_pops].copy()
    pop_rule = state.rule[: structure.n_pops].copy()
    # a public size is shown (everyone knows it); its answers are hidden as P1 asks
    small = (sizes > 0) & (sizes < k) & ~pop_hidden & structure.public
    pop_hidden |= small
    pop_rule[small] = RULE_CODES["P1"]
    for i in range(len(structure.items)):
        block = structure.block(i)
        ncol = structure.ncols[i]
        cells = structure.base[i] + np.arange(block.size).reshape(block.shape)
        # Whole hidden populations, with the population's own rule (see :func:`row_needs`).
        for code in np.unique(pop_rule[pop_hidden]):
            rows = np.flatnonzero(pop_hidden & (pop_rule == code))
            name = next(n for n, c in RULE_CODES.items() if c == code)
            row_cells = cells[rows].ravel()
            needs = np.maximum(
                row_needs(
                    block[rows], sizes[rows], k_cell, k=k, public=structure.public[rows]
                ).ravel(),
                zero_needs(structure, state.hidden, row_cells),
            )
            state.hide(row_cells, name, needs)
            # cells hidden earlier (a withheld breakdown) keep their rule, with these needs too
            state.need[row_cells] = np.maximum(state.need[row_cells], needs)
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
            state.hide(others, "P3", zero_needs(structure, state.hidden, others))
            for row in rows:
                for col in range(ncol - 1):
                    if options[row, col] == answered[row]:
                        cell = int(cells[row, col])
                        state.need[cell] = max(int(state.need[cell]), k_cell)
                        state.need_fall[cell] = min(k_cell, int(answered[row]))
            # A public size hidden as P1: its answers are hidden already, but a reader who
            # knows the size must still be unable to conclude that everyone chose one answer.
            public_rows = pop_hidden & structure.public & (answered > 0)
            for row in np.flatnonzero(public_rows):
                for col in np.flatnonzero(options[row] == answered[row]).tolist():
                    cell = int(cells[row, col])
                    state.need_fall[cell] = min(k_cell, int(answered[row]))


def row_needs(
    block: IntArray, sizes: IntArray, k_cell: int, *, k: int, public: BoolArray | None = None
) -> IntArray:
    """The widths the answer counts of hidden populations need (rows of ``block``).

    A count in a group of 1 to k-1 people is a primary value, as is any count of 1 to
    k_cell-1: both need a range k_cell wide, so that a reader cannot tell it is small (every
    other count, zeros included, needs a range wider than zero: see
    :func:`~analysis.disclosure.suppression.zero_needs`). A row whose size is ``public`` and
    smaller than k_cell asks the whole range from 0 to its size instead, the most a reader who
    knows the size can be left with.
    """
    small_group = ((sizes > 0) & (sizes < k))[:, None] & (block > 0)
    primary = small_group | ((block > 0) & (block < k_cell))
    width: IntArray | int = k_cell
    if public is not None:
        width = np.where(public, np.minimum(k_cell, sizes), k_cell)[:, None]
    out: IntArray = np.where(primary, width, 0).astype(np.int64)
    return out
