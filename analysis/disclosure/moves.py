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
    Stacked,
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
        #: while composing moves (:meth:`compose`): the requirement searched for instead of the
        #: cell's own, and the direction the cell must move (+1 up, -1 down)
        self._override: tuple[int, int, int] | None = None
        self._want = 0

    def _hidden(self) -> BoolArray:
        start = self.structure.base[self.item]
        return self.state.hidden[start : start + self.values.size].reshape(self.values.shape)

    def _locked(self) -> BoolArray:
        start = self.structure.base[self.item]
        return self.state.locked[start : start + self.values.size].reshape(self.values.shape)

    def find(self, cell: int) -> Move | None:
        """The cheapest box move that gives ``cell`` its required width, if any."""
        structure = self.structure
        pop = int(structure.cell_pop[cell])
        col = int(structure.cell_col[cell])
        costs = cell_costs(self.values, self._hidden(), self._locked())
        return self._search(cell, pop, col, costs)

    def _search(self, cell: int, pop: int, col: int, costs: FloatArray) -> Move | None:
        structure = self.structure
        if structure.depth[pop] == 2:
            move = self._two_way(cell, pop, col, costs)
            if move is None and not self.exclusive:
                move = self._two_way_no_answer(cell, pop, col, costs)
            if move is not None:
                return move
        for box in box_choices(structure, pop):
            if structure.depth[pop] == 2 and len(box) == 2:
                continue
            if not box and structure.depth[pop] > 0:
                # A move through no partner group changes the overall row and a group in every
                # breakdown; the programmes (which weigh that against everything else) decide.
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
        if self._want:
            ok &= (up if self._want > 0 else down) >= 1
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

    def _two_way_no_answer(self, cell: int, pop: int, col: int, costs: FloatArray) -> Move | None:
        """Multiple choice: a box through the no-answer column, for when the column alone has
        no room (say everyone in the group who answered ticked the option).

        In the rows where the option rises, no-answer falls as much (the answered rise, so
        every option stays within them); where the option falls, no-answer rises, which every
        other option's count must leave room for.
        """
        structure = self.structure
        na = self.ncol - 1
        if col == na or self._fall_needed(cell):
            return None
        own = structure.coords[pop]
        d1, d2 = (d for d in structure.dims if d in own)
        grid = structure.grids[(d1, d2)]
        g1, g2 = own[d1], own[d2]
        if grid.shape[0] < 2 or grid.shape[1] < 2:
            return None
        x = self.values[grid]
        options = x[:, :, :na]
        answered = structure.sizes[grid] - x[:, :, na]
        others = np.delete(options, col, axis=2)
        room = answered - (others.max(axis=2) if others.shape[2] else 0)
        # a row can give up the option (and take no-answer) this far, or the reverse
        give = np.maximum(np.minimum(x[:, :, col], room), 0)
        take = x[:, :, na]
        need, cu, cd = self._needs(cell)
        up = np.minimum.reduce(
            [
                np.broadcast_to(np.asarray(take[g1, g2]), take.shape),
                take,
                np.broadcast_to(give[:, g2][:, None], take.shape),
                np.broadcast_to(give[g1, :][None, :], take.shape),
            ]
        )
        down = np.minimum.reduce(
            [
                np.broadcast_to(np.asarray(give[g1, g2]), take.shape),
                give,
                np.broadcast_to(take[:, g2][:, None], take.shape),
                np.broadcast_to(take[g1, :][None, :], take.shape),
            ]
        )
        w = costs[grid][:, :, col] + costs[grid][:, :, na]
        cost = w[g1, g2] + w[:, g2][:, None] + w[g1, :][None, :] + w
        valid = np.ones(take.shape, dtype=np.bool_)
        valid[g1, :] = False
        valid[:, g2] = False
        width = np.maximum(up, cu) + np.maximum(down, cd)
        ok = valid & np.isfinite(cost) & (width >= need)
        if self._want:
            ok &= (up if self._want > 0 else down) >= 1
        if not ok.any():
            return None
        flat = np.flatnonzero(ok.ravel())
        order = np.lexsort((flat, -width.ravel()[flat], cost.ravel()[flat]))
        best = np.unravel_index(flat[order[0]], ok.shape)
        u, v = int(best[0]), int(best[1])
        corner_pops = [grid[g1, g2], grid[u, g2], grid[g1, v], grid[u, v]]
        corner_signs = [1, -1, -1, 1]
        cells = [self.cells[p, col] for p in corner_pops] + [self.cells[p, na] for p in corner_pops]
        signs = corner_signs + [-sg for sg in corner_signs]
        return Move(
            np.array(cells, dtype=np.int64),
            np.array(signs, dtype=np.int64),
            int(up[best]),
            int(down[best]),
            float(cost[best]),
        )

    # -- everything else: one-way and overall cells, or boxes over fewer dimensions --------------

    def _needs(self, cell: int) -> tuple[int, int, int]:
        if self._override is not None:
            return self._override
        state = self.state
        return int(state.need[cell]), int(state.up[cell]), int(state.down[cell])

    def _fall_needed(self, cell: int) -> int:
        """The kept fall a unanimous count still needs (0 if none)."""
        state = self.state
        if self._override is not None or state.kept_fall[cell] >= state.need_fall[cell]:
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
        """The cheapest box move over ``box`` through ``cell`` that gives it its width."""
        stacked = self.layouts.stacked(pop, box)
        if stacked is None:
            return None
        return self._stacked(cell, col, stacked, costs)

    def _stacked(self, cell: int, col: int, stacked: Stacked, costs: FloatArray) -> Move | None:
        """Every partner choice at once. Each group of lift dimensions takes its cheapest lift
        that allows the move; among partner choices the cheapest move wins, then the widest,
        then the first partner choice, the smallest kept fall and the first partner column.
        """
        need, cu, cd = self._needs(cell)
        fall = self._fall_needed(cell)
        t_cell = int(self.structure.values[cell])
        base_pops, base_signs = stacked.base
        n_partners = base_pops.shape[0]
        base_cost, base_up, base_down = self._parts(base_pops, base_signs, col, costs, fall)
        width_b = base_cost.shape[1]
        parts: list[tuple[FloatArray, IntArray, IntArray]] = []
        for _d, p, sg in stacked.free:
            _n, groups, corners = p.shape
            cost_m, up_m, down_m = self._parts(
                p.reshape(-1, corners), sg.reshape(-1, corners), col, costs, fall
            )
            parts.append(
                (
                    cost_m.reshape(n_partners, groups, width_b),
                    up_m.reshape(n_partners, groups, width_b),
                    down_m.reshape(n_partners, groups, width_b),
                )
            )
        found: list[tuple[FloatArray, IntArray, IntArray, IntArray, BoolArray, list[IntArray]]] = []
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
                chosen = masked.argmin(axis=1)
                total = total + np.take_along_axis(masked, chosen[:, None, :], axis=1)[:, 0, :]
                up_all = np.minimum(
                    up_all, np.take_along_axis(up_m, chosen[:, None, :], axis=1)[:, 0, :]
                )
                down_all = np.minimum(
                    down_all, np.take_along_axis(down_m, chosen[:, None, :], axis=1)[:, 0, :]
                )
                picks.append(chosen)
            width = np.maximum(up_all, cu) + np.maximum(down_all, cd)
            ok &= np.isfinite(total) & (width >= need) & (down_all >= fall)
            if self._want:
                ok &= (up_all if self._want > 0 else down_all) >= 1
            found.append((total, width, up_all, down_all, ok, picks))
        keys: list[tuple[float, int, int, int, int]] = []
        for step, (total, width, _up, _down, ok, _picks) in enumerate(found):
            rows, columns = np.nonzero(ok)
            if rows.size == 0:
                continue
            order = np.lexsort((columns, rows, -width[rows, columns], total[rows, columns]))
            r, b = int(rows[order[0]]), int(columns[order[0]])
            keys.append((float(total[r, b]), -int(width[r, b]), r, step, b))
        if not keys:
            return None
        cost_v, _w, r, step, b = min(keys)
        _total, _width, up_all, down_all, _ok, picks = found[step]
        pieces_p = [base_pops[r]]
        pieces_s = [base_signs[r]]
        for (_d, p, sg), chosen in zip(stacked.free, picks, strict=True):
            pieces_p.append(p[r, chosen[r, b]])
            pieces_s.append(sg[r, chosen[r, b]])
        corner_pops = np.concatenate(pieces_p)
        corner_signs = np.concatenate(pieces_s)
        cells = [self.cells[corner_pops, col]]
        signs = [corner_signs]
        if self.exclusive:
            cells.append(self.cells[corner_pops, b])
            signs.append(-corner_signs)
        return Move(
            np.concatenate(cells).astype(np.int64),
            np.concatenate(signs).astype(np.int64),
            int(up_all[r, b]),
            int(down_all[r, b]),
            cost_v,
        )

    def compose(self, cell: int) -> list[tuple[IntArray, IntArray]] | None:
        """Box moves added up, when no single move gives ``cell`` its width.

        Each step is the cheapest move (as :meth:`find` chooses) that moves the cell at least one
        further in the table as already shifted, so a rise of 2 may be two moves of 1 through
        different partner groups. Rises first, then falls if still needed; cells hidden by
        earlier steps are free in later ones. Returns the certificates -- at most one rise and
        one fall, each the sum of its moves -- whose cells must all be hidden, or ``None``
        (nothing is changed) when the steps cannot reach the width. Unanimous counts are left
        to the programmes.
        """
        if self._fall_needed(cell):
            return None
        need, cu, cd = self._needs(cell)
        structure = self.structure
        pop = int(structure.cell_pop[cell])
        col = int(structure.cell_col[cell])
        hidden = self._hidden().copy()
        found: list[tuple[IntArray, IntArray]] = []
        rise, up = self._steps(cell, pop, col, +1, need - cd, hidden)
        if up:
            found.append(rise)
        up = max(up, cu)
        if up + cd < need:
            amount = min(need - up, int(structure.values[cell]))
            fall, down = self._steps(cell, pop, col, -1, amount, hidden)
            if up + max(down, cd) < need:
                return None
            found.append(fall)
        return found

    def _steps(
        self, cell: int, pop: int, col: int, want: int, amount: int, hidden: BoolArray
    ) -> tuple[tuple[IntArray, IntArray], int]:
        """Moves added up until ``cell`` has moved ``amount`` the ``want`` way, or no further
        move exists: the certificate and how far it moves the cell.

        ``hidden`` (block-shaped) is updated with the corners used.
        """
        structure = self.structure
        start = structure.base[self.item]
        truth, slack = self.values, self.slack
        shift = np.zeros(truth.size, dtype=np.int64)
        moved = 0
        self._override, self._want = (1, 0, 0), want
        try:
            for _step in range(MAX_STEPS):
                if moved >= amount:
                    break
                current = truth + shift.reshape(truth.shape)
                self.values = current
                if slack is not None:
                    self.slack = _answered_slack(structure.sizes, current)
                move = self._search(cell, pop, col, cell_costs(truth, hidden, self._locked()))
                if move is None:
                    break
                lam = min(move.up if want > 0 else move.down, amount - moved)
                shift[move.cells - start] += want * lam * move.signs
                hidden.ravel()[move.cells - start] = True
                moved += lam
        finally:
            self.values, self.slack = truth, slack
            self._override, self._want = None, 0
        changed = np.flatnonzero(shift)
        return (changed + start, shift[changed]), moved

    def apply(self, move: Move) -> None:
        """Hide a move's corners and record the two certificates it gives."""
        apply_item_move(self.state, move)


#: The most box moves added up into one certificate by :meth:`ItemMoves.compose`.
MAX_STEPS = 8


def _answered_slack(sizes: IntArray, block: IntArray) -> IntArray:
    """:attr:`Structure.answered_slack` of a multiple-choice block with these counts."""
    answered = sizes - block[:, -1]
    slack = np.empty_like(block)
    slack[:, :-1] = answered[:, None] - block[:, :-1]
    slack[:, -1] = answered - block[:, :-1].max(axis=1)
    return slack


def apply_item_move(state: Suppression, move: Move) -> None:
    """Hide the corners of an item move and record its certificates."""
    state.hide_complements(move.cells)
    if move.up > 0:
        state.add_certificate(move.cells, move.up * move.signs)
    if move.down > 0:
        state.add_certificate(move.cells, -move.down * move.signs)
