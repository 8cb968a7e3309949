"""Box moves: the complement-selection heuristic and the certificates it leaves behind.

A *box move* adds ``+lam`` and ``-lam`` alternately around the corners of a box so that every
published sum stays the same. For a cell of the two-way population (council=g, ethnic=h) and
option a, pick another council u, another ethnic group v and another column b: the eight cells
(g|u) x (h|v) x (a|b) with signs + - - + / - + + - leave every row, column and margin unchanged.
One-way and overall cells need the move to be carried down into each two-way table in which
they are a margin ("lifts"). Sizes are handled the same way, without the column axis, and a size
move is carried into every item by moving whole respondents between the populations.

If every corner is hidden, the true table moved by ``lam`` is another table consistent with the
release, for every ``lam`` between ``-down`` and ``up`` (the smallest corner values on each
side). So the move both chooses complements (the corners not hidden yet) and proves a range.

Among the moves through a cell that give it the required width, the cheapest is taken: each
newly hidden cell costs ``1 + log2(1 + value)`` (fewest cells first, then smallest values);
hidden cells are free, shown zeros and the overall size are never used. Ties go to the wider
move, then to the first in a fixed order.
"""

from __future__ import annotations

import numpy as np

from analysis.disclosure.patterns import (
    BIG,
    FloatArray,
    Layouts,
    box_choices,
    cell_costs,
)
from analysis.disclosure.structure import BoolArray, IntArray, Structure
from analysis.disclosure.suppression import Suppression


class Move:
    """A chosen box move: corner cells, their signs, and how far it can go each way."""

    def __init__(self, cells: IntArray, signs: IntArray, up: int, down: int, cost: float) -> None:
        self.cells = cells
        self.signs = signs
        self.up = up
        self.down = down
        self.cost = cost


# --------------------------------------------------------------------------------------------
# Item cells (population sizes held at their true values)
# --------------------------------------------------------------------------------------------


class ItemMoves:
    """Box moves inside one item's table; sizes stay at their true values."""

    def __init__(
        self, structure: Structure, state: Suppression, item: int, layouts: Layouts | None = None
    ) -> None:
        self.structure = structure
        self.state = state
        self.layouts = layouts if layouts is not None else Layouts(structure)
        self.item = item
        self.ncol = structure.ncols[item]
        self.exclusive = structure.exclusive[item]
        self.values = structure.block(item)
        start = structure.base[item]
        stop = start + self.values.size
        self.cells = np.arange(start, stop, dtype=np.int64).reshape(self.values.shape)
        self.slack = structure.answered_slack[item]

    def _hidden(self) -> BoolArray:
        start = self.structure.base[self.item]
        return self.state.hidden[start : start + self.values.size].reshape(self.values.shape)

    def find(self, cell: int) -> Move | None:
        """The cheapest box move that gives ``cell`` its required width, if any."""
        structure = self.structure
        pop = int(structure.cell_pop[cell])
        col = int(structure.cell_col[cell])
        costs = cell_costs(self.values, self._hidden())
        if structure.depth[pop] == 2:
            move = self._two_way(cell, pop, col, costs)
            if move is not None:
                return move
        for box in box_choices(structure, pop):
            if structure.depth[pop] == 2 and len(box) == 2:
                continue
            move = self._general(cell, pop, col, box, costs)
            if move is not None:
                return move
        return None

    # -- the common case: a cell of a two-way population, vectorised ---------------------------

    def _two_way(self, cell: int, pop: int, col: int, costs: FloatArray) -> Move | None:
        structure = self.structure
        own = structure.coords[pop]
        d1, d2 = (d for d in structure.dims if d in own)
        grid = structure.grids[(d1, d2)]
        g1, g2 = own[d1], own[d2]
        if grid.shape[0] < 2 or grid.shape[1] < 2:
            return None
        x = self.values[grid]
        w = costs[grid]
        need, cu, cd = self._needs(cell)
        fall = self._fall_needed(cell)
        a = col
        if self.exclusive:
            if self.ncol < 2:
                return None
            # minus corners: (u,g2,a) (g1,v,a) (g1,g2,b) (u,v,b)
            # plus corners: (g1,g2,a) (u,v,a) (u,g2,b) (g1,v,b)
            up = np.minimum.reduce(
                [
                    np.broadcast_to(x[:, g2, a][:, None, None], x.shape),
                    np.broadcast_to(x[g1, :, a][None, :, None], x.shape),
                    np.broadcast_to(x[g1, g2, :][None, None, :], x.shape),
                    x,
                ]
            )
            down = np.minimum.reduce(
                [
                    np.broadcast_to(x[:, :, a][:, :, None], x.shape),
                    np.broadcast_to(x[:, g2, :][:, None, :], x.shape),
                    np.broadcast_to(x[g1, :, :][None, :, :], x.shape),
                ]
            )
            down = np.minimum(down, x[g1, g2, a])
            cost = (
                w[:, g2, a][:, None, None]
                + w[g1, :, a][None, :, None]
                + w[g1, g2, :][None, None, :]
                + w
                + w[:, :, a][:, :, None]
                + w[:, g2, :][:, None, :]
                + w[g1, :, :][None, :, :]
            )
            valid = np.ones(x.shape, dtype=np.bool_)
            valid[g1, :, :] = False
            valid[:, g2, :] = False
            valid[:, :, a] = False
            if fall:
                valid[:, :, self.ncol - 1] = False
        else:
            assert self.slack is not None
            s = self.slack[grid][:, :, a]
            xa = x[:, :, a]
            up = np.minimum.reduce(
                [
                    np.broadcast_to(xa[:, g2][:, None], xa.shape),
                    np.broadcast_to(xa[g1, :][None, :], xa.shape),
                    np.broadcast_to(np.asarray(s[g1, g2]), xa.shape),
                    s,
                ]
            )
            down = np.minimum.reduce(
                [
                    np.broadcast_to(np.asarray(xa[g1, g2]), xa.shape),
                    xa,
                    np.broadcast_to(s[:, g2][:, None], xa.shape),
                    np.broadcast_to(s[g1, :][None, :], xa.shape),
                ]
            )
            wa = w[:, :, a]
            cost = wa[:, g2][:, None] + wa[g1, :][None, :] + wa
            valid = np.ones(xa.shape, dtype=np.bool_)
            valid[g1, :] = False
            valid[:, g2] = False
        up = np.maximum(up, 0)
        down = np.maximum(down, 0)
        width = np.maximum(up, cu) + np.maximum(down, cd)
        ok = valid & np.isfinite(cost) & (width >= need) & (down >= fall)
        if not ok.any():
            return None
        flat = np.flatnonzero(ok.ravel())
        order = np.lexsort((flat, -width.ravel()[flat], cost.ravel()[flat]))
        best = np.unravel_index(flat[order[0]], ok.shape)
        u, v = int(best[0]), int(best[1])
        corner_pops = [grid[g1, g2], grid[u, g2], grid[g1, v], grid[u, v]]
        corner_signs = [1, -1, -1, 1]
        if self.exclusive:
            b = int(best[2])
            cells = [self.cells[p, a] for p in corner_pops] + [
                self.cells[p, b] for p in corner_pops
            ]
            signs = corner_signs + [-s for s in corner_signs]
        else:
            cells = [self.cells[p, a] for p in corner_pops]
            signs = corner_signs
        return Move(
            np.array(cells, dtype=np.int64),
            np.array(signs, dtype=np.int64),
            int(up[best]),
            int(down[best]),
            float(cost[best]),
        )

    # -- everything else: one-way and overall cells, or boxes over fewer dimensions --------------

    def _needs(self, cell: int) -> tuple[int, int, int]:
        state = self.state
        return int(state.need[cell]), int(state.up[cell]), int(state.down[cell])

    def _fall_needed(self, cell: int) -> int:
        """The kept fall a unanimous count still needs (0 if none)."""
        state = self.state
        if state.kept_fall[cell] >= state.need_fall[cell]:
            return 0
        return int(state.need_fall[cell])

    def _parts(
        self, pops: IntArray, signs: IntArray, col: int, costs: FloatArray, fall: int
    ) -> tuple[FloatArray, IntArray, IntArray]:
        """Cost, up and down limits of alternative sets of corner populations.

        ``pops`` and ``signs`` are (alternatives x corners); the results are (alternatives x
        partner columns) -- one partner column (the cell's own) for multiple choice. With
        ``fall`` the no-answer column is not a partner (a unanimous count must fall while its
        row's no-answer stays put).
        """
        n_alt = pops.shape[0]
        width = self.ncol if self.exclusive else 1
        if pops.shape[1] == 0:
            return (
                np.zeros((n_alt, width)),
                np.full((n_alt, width), BIG),
                np.full((n_alt, width), BIG),
            )
        minus = signs < 0
        plus = signs > 0
        x = self.values
        if self.exclusive:
            xs = x[pops]  # (alt, corners, columns)
            ws = costs[pops]
            xa = xs[:, :, col]
            cost = ws[:, :, col].sum(axis=1)[:, None] + ws.sum(axis=1)
            cost[:, col] = np.inf
            if fall:
                cost[:, self.ncol - 1] = np.inf
            up = np.minimum(
                np.where(minus, xa, BIG).min(axis=1)[:, None],
                np.where(plus[:, :, None], xs, BIG).min(axis=1),
            )
            down = np.minimum(
                np.where(plus, xa, BIG).min(axis=1)[:, None],
                np.where(minus[:, :, None], xs, BIG).min(axis=1),
            )
            return cost, up, down
        assert self.slack is not None
        xa = x[pops, col]
        sa = self.slack[pops, col]
        up = np.minimum(np.where(minus, xa, BIG).min(axis=1), np.where(plus, sa, BIG).min(axis=1))
        down = np.minimum(np.where(plus, xa, BIG).min(axis=1), np.where(minus, sa, BIG).min(axis=1))
        return costs[pops, col].sum(axis=1)[:, None], up[:, None], down[:, None]

    def _general(
        self, cell: int, pop: int, col: int, box: tuple[str, ...], costs: FloatArray
    ) -> Move | None:
        need, cu, cd = self._needs(cell)
        fall = self._fall_needed(cell)
        t_cell = int(self.structure.values[cell])
        best: tuple[float, int, int] | None = None
        best_move: tuple[IntArray, IntArray, int, int, int] | None = None
        for order, layout in enumerate(self.layouts.get(pop, box)):
            if layout.coupled is not None:
                c_pops, c_signs = layout.coupled
                cost, up, down = self._parts(c_pops, c_signs, col, costs, fall)
                width = np.maximum(up, cu) + np.maximum(down, cd)
                ok = np.isfinite(cost) & (width >= need) & (down >= fall)
                if not ok.any():
                    continue
                flat = np.flatnonzero(ok.ravel())
                pick = flat[np.lexsort((flat, -width.ravel()[flat], cost.ravel()[flat]))[0]]
                row, b = np.unravel_index(pick, ok.shape)
                key = (float(cost[row, b]), -int(width[row, b]), order)
                if best is None or key < best:
                    best = key
                    best_move = (
                        c_pops[row],
                        c_signs[row],
                        int(b),
                        int(up[row, b]),
                        int(down[row, b]),
                    )
                continue
            base_cost, base_up, base_down = (
                a[0] for a in self._parts(layout.base[0], layout.base[1], col, costs, fall)
            )
            parts = [self._parts(p, sg, col, costs, fall) for _d, p, sg in layout.free]
            for d_star in range(fall, max(fall, min(t_cell, need)) + 1):
                u_star = 0 if cu + max(cd, d_star) >= need else need - max(cd, d_star)
                d_req = d_star if (fall or d_star > cd) else 0
                total = base_cost.copy()
                up_all = base_up.copy()
                down_all = base_down.copy()
                ok = (base_up >= u_star) & (base_down >= d_req)
                picks: list[IntArray] = []
                for cost_m, up_m, down_m in parts:
                    fits = (up_m >= u_star) & (down_m >= d_req) & np.isfinite(cost_m)
                    masked = np.where(fits, cost_m, np.inf)
                    chosen = masked.argmin(axis=0)
                    columns = np.arange(masked.shape[1])
                    total = total + masked[chosen, columns]
                    up_all = np.minimum(up_all, up_m[chosen, columns])
                    down_all = np.minimum(down_all, down_m[chosen, columns])
                    picks.append(chosen)
                width = np.maximum(up_all, cu) + np.maximum(down_all, cd)
                ok &= np.isfinite(total) & (width >= need) & (down_all >= fall)
                for b in np.flatnonzero(ok):
                    key = (float(total[b]), -int(width[b]), order)
                    if best is None or key < best:
                        best = key
                        pieces_p = [layout.base[0][0]]
                        pieces_s = [layout.base[1][0]]
                        for (_d, p, sg), chosen in zip(layout.free, picks, strict=True):
                            pieces_p.append(p[chosen[b]])
                            pieces_s.append(sg[chosen[b]])
                        best_move = (
                            np.concatenate(pieces_p),
                            np.concatenate(pieces_s),
                            int(b),
                            int(up_all[b]),
                            int(down_all[b]),
                        )
        if best is None or best_move is None:
            return None
        corner_pops, corner_signs, b, up_v, down_v = best_move
        cells = [self.cells[corner_pops, col]]
        signs = [corner_signs]
        if self.exclusive:
            cells.append(self.cells[corner_pops, b])
            signs.append(-corner_signs)
        return Move(
            np.concatenate(cells).astype(np.int64),
            np.concatenate(signs).astype(np.int64),
            up_v,
            down_v,
            best[0],
        )

    def apply(self, move: Move) -> None:
        """Hide a move's corners and record the two certificates it gives."""
        apply_item_move(self.state, move)


def apply_item_move(state: Suppression, move: Move) -> None:
    """Hide the corners of an item move and record its certificates."""
    state.hide_complements(move.cells)
    if move.up > 0:
        state.add_certificate(move.cells, move.up * move.signs)
    if move.down > 0:
        state.add_certificate(move.cells, -move.down * move.signs)
