"""Size moves: whole respondents moved between hidden populations, in every item at once.

A box move over population sizes (see :mod:`analysis.disclosure.moves`) changes how many people
are in each corner population. For the release to stay consistent every item must follow: for
a single-choice item the same number of answers leaves each losing population in each column
(as many as the smallest of them allows), for multiple choice non-answerers move first, then
people who answered, ticking as few options as possible. How far that can go in every item at
once bounds the move.
"""

from __future__ import annotations

import numpy as np

from analysis.disclosure.moves import Move
from analysis.disclosure.patterns import (
    MAX_LIFT_COMBINATIONS,
    FloatArray,
    Pattern,
    box_choices,
    cell_costs,
)
from analysis.disclosure.structure import IntArray, Structure
from analysis.disclosure.suppression import Suppression

#: How many alternatives :meth:`SizeMoves.find` weighs in one array operation.
CHUNK = 512


class SizeMoves:
    """Box moves over population sizes, carried into every item."""

    def __init__(self, structure: Structure, state: Suppression) -> None:
        self.structure = structure
        self.state = state
        self.sizes = structure.sizes
        excl = [i for i in range(len(structure.items)) if structure.exclusive[i]]
        multi = [i for i in range(len(structure.items)) if not structure.exclusive[i]]
        self.exclusive_items = excl
        if excl:
            self.stacked = np.hstack([structure.block(i) for i in excl])
            self.starts = np.cumsum([0] + [structure.ncols[i] for i in excl[:-1]])
        # multiple choice: (ticked, not ticked) counts per option among those who answered
        self.multiple_blocks = [
            (
                structure.block(i)[:, -1],
                structure.block(i)[:, :-1],
                (self.sizes - structure.block(i)[:, -1])[:, None] - structure.block(i)[:, :-1],
            )
            for i in multi
        ]

    def limit(self, donors: IntArray) -> int:
        """How many respondents can leave ``donors`` (each of them) in every table at once."""
        if donors.size == 0:
            return int(np.iinfo(np.int64).max // 4)
        lim = int(self.sizes[donors].min())
        if self.exclusive_items:
            per_column = self.stacked[donors].min(axis=0)
            lim = min(lim, int(np.add.reduceat(per_column, self.starts).min()))
        for no_answer, ticked, unticked in self.multiple_blocks:
            answered = (ticked[donors].min(axis=0) + unticked[donors].min(axis=0)).min()
            lim = min(lim, int(no_answer[donors].min() + answered))
        return lim

    def _costs(self) -> FloatArray:
        pops = slice(0, self.structure.n_pops)
        costs = cell_costs(self.sizes, self.state.hidden[pops], self.state.locked[pops])
        costs[0] = np.inf  # everyone: never hidden outside P0
        return costs

    def limits(self, donors: IntArray) -> IntArray:
        """:meth:`limit` for many sets of donors at once (one set per row)."""
        big = int(np.iinfo(np.int64).max // 4)
        if donors.shape[1] == 0:
            return np.full(donors.shape[0], big, dtype=np.int64)
        lim: IntArray = self.sizes[donors].min(axis=1)
        if self.exclusive_items:
            per_column = self.stacked[donors].min(axis=1)
            lim = np.minimum(lim, np.add.reduceat(per_column, self.starts, axis=1).min(axis=1))
        for no_answer, ticked, unticked in self.multiple_blocks:
            answered = (ticked[donors].min(axis=1) + unticked[donors].min(axis=1)).min(axis=1)
            lim = np.minimum(lim, no_answer[donors].min(axis=1) + answered)
        return lim

    def find(self, pop: int) -> Move | None:
        """The cheapest size move giving population ``pop`` its required width, if any.

        Every choice of partner and lift groups is weighed at once; the first
        :data:`MAX_LIFT_COMBINATIONS` of them, in a fixed order, for each box.
        """
        costs = self._costs()
        need, cu, cd = int(self.state.need[pop]), int(self.state.up[pop]), int(self.state.down[pop])
        for box in box_choices(self.structure, pop):
            pattern = Pattern(self.structure, pop, box)
            pieces: list[tuple[IntArray, IntArray]] = []
            budget = MAX_LIFT_COMBINATIONS
            for partners in pattern.partner_choices():
                if budget <= 0:
                    break
                base_pops, base_signs = pattern.corner_arrays(partners, (), 1)
                if not pattern.free:
                    budget -= 1
                    pieces.append((base_pops, base_signs))
                    continue
                free_pops, free_signs = pattern.corner_arrays(partners, tuple(pattern.free), budget)
                count = free_pops.shape[0]
                budget -= count
                pieces.append(
                    (
                        np.hstack([np.repeat(base_pops, count, axis=0), free_pops]),
                        np.hstack([np.repeat(base_signs, count, axis=0), free_signs]),
                    )
                )
            if not pieces:
                continue
            pops = np.vstack([p for p, _ in pieces])
            signs = np.vstack([sg for _, sg in pieces])
            cost = costs[pops].sum(axis=1)
            candidates = np.flatnonzero(np.isfinite(cost))
            if candidates.size == 0:
                continue
            minus = signs[0] < 0
            up = np.empty(candidates.size, dtype=np.int64)
            down = np.empty(candidates.size, dtype=np.int64)
            for lo in range(0, candidates.size, CHUNK):
                rows = candidates[lo : lo + CHUNK]
                up[lo : lo + CHUNK] = self.limits(pops[rows][:, minus])
                down[lo : lo + CHUNK] = self.limits(pops[rows][:, ~minus])
            width = np.maximum(up, cu) + np.maximum(down, cd)
            ok = np.flatnonzero(width >= need)
            if ok.size == 0:
                continue
            order = np.lexsort((candidates[ok], -width[ok], cost[candidates[ok]]))
            best = int(ok[order[0]])
            row = int(candidates[best])
            return Move(pops[row], signs[row], int(up[best]), int(down[best]), float(cost[row]))
        return None

    def apply(self, move: Move) -> None:
        """Hide the corner populations (whole) and record the move's certificates."""
        fresh = move.cells[~self.state.hidden[move.cells]]
        self.state.hide_complements(move.cells)
        structure = self.structure
        for i in range(len(structure.items)):
            cells = (structure.base[i] + fresh[:, None] * structure.ncols[i]) + np.arange(
                structure.ncols[i]
            )
            self.state.hide_complements(cells.ravel())
        for lam, signs in ((move.up, move.signs), (move.down, -move.signs)):
            if lam > 0:
                cells, shift = self.shift(move.cells, signs, lam)
                self.state.add_certificate(cells, shift)

    def shift(self, pops: IntArray, signs: IntArray, lam: int) -> tuple[IntArray, IntArray]:
        """Move ``lam`` respondents out of the minus populations into the plus ones."""
        structure = self.structure
        donors = pops[signs < 0]
        cells = [pops]
        shift = [signs * lam]
        for i in range(len(structure.items)):
            block = structure.block(i)
            rows = structure.cell(i, 0, 0) + pops * structure.ncols[i]
            if structure.exclusive[i]:
                caps = block[donors].min(axis=0)
                amounts = np.zeros(structure.ncols[i], dtype=np.int64)
                left = int(lam)
                for c in range(structure.ncols[i]):
                    take = min(int(caps[c]), left)
                    amounts[c] = take
                    left -= take
                for column in np.flatnonzero(amounts):
                    cells.append(rows + column)
                    shift.append(signs * amounts[column])
            else:
                # non-answerers first, then people who answered: as few ticks moved as possible
                na = min(lam, int(block[donors, -1].min()))
                if na:
                    cells.append(rows + structure.ncols[i] - 1)
                    shift.append(signs * na)
                rest = lam - na
                answered = structure.sizes[donors] - block[donors, -1]
                for c in range(structure.ncols[i] - 1):
                    unticked = int((answered - block[donors, c]).min())
                    ticks = max(0, rest - unticked)
                    if ticks:
                        cells.append(rows + c)
                        shift.append(signs * ticks)
        return np.concatenate(cells), np.concatenate(shift)
