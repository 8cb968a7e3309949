"""The self-audit: is every hidden value in the finished release uncertain enough?

What is checked, on the finished release, over every published equation and inequality:

1. Every certificate (an integer shift of the true table, see
   :mod:`analysis.disclosure.suppression`) is checked again from scratch with exact integer
   arithmetic: it touches hidden cells only, leaves every published equation (all partitions of
   sizes and item columns, every row sum of an exclusive item) satisfied, keeps every
   multiple-choice inequality, and keeps every cell non-negative. A certificate failing any test
   is discarded.
2. For each hidden cell, the largest rise and fall among the valid certificates give a range
   ``[value - fall, value + rise]`` whose two ends are both attained by integer tables agreeing
   with everything published. So an attacker's true range contains it: if its width meets the
   requirement, the cell is proved safe.
3. A cell that is not proved that way gets its exact integer range from a linear programme over
   its connected component of hidden cells (shown cells are constants), re-solved as an integer
   programme whenever the linear optimum is fractional. Item cells are solved over their own
   item and the items tied to it by routing or shared respondents, with the sizes of
   hidden populations held at their true values (only narrower ranges, so a pass is still a
   proof); sizes are solved with every item included. Passing solutions become certificates.
4. A unanimous count (P3) must also fall by ``k_cell`` in some certificate that leaves its
   row's size and no-answer count unchanged (so someone who answered chose another option).

A cell still short of its requirement after this is reported as failing.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from analysis.disclosure.programme import cell_range
from analysis.disclosure.structure import BoolArray, IntArray, Structure
from analysis.disclosure.suppression import Suppression, kept_falls, refresh_zero_needs


def verify_certificates(
    structure: Structure,
    hidden: BoolArray,
    need_fall: IntArray,
    certificates: list[tuple[IntArray, IntArray]],
) -> tuple[BoolArray, IntArray, IntArray, IntArray]:
    """Check each certificate; return which are valid and, per cell, the rise, the fall and
    the fall with the row's size and no-answer unchanged that the valid ones prove."""
    n = structure.n_cells
    rise = np.zeros(n, dtype=np.int64)
    fall = np.zeros(n, dtype=np.int64)
    kept = np.zeros(n, dtype=np.int64)
    if not certificates:
        return np.zeros(0, dtype=np.bool_), rise, fall, kept
    lengths = np.array([len(cells) for cells, _ in certificates], dtype=np.int64)
    owner = np.repeat(np.arange(len(certificates)), lengths)
    cells = np.concatenate([c for c, _ in certificates]).astype(np.int64)
    shift = np.concatenate([s for _, s in certificates]).astype(np.int64)
    count = len(certificates)
    valid = np.ones(count, dtype=np.bool_)
    # hidden cells only, and no negative counts
    bad = ~hidden[cells] | (structure.values[cells] + shift < 0)
    valid[np.unique(owner[bad])] = False
    matrix = sp.csc_matrix((shift, (cells, owner)), shape=(n, count), dtype=np.int64)
    # a cell named twice in one certificate would be summed: refuse such certificates
    duplicates = np.diff(matrix.indptr) != lengths
    valid[duplicates] = False
    # every equation still holds
    moved = (structure.equations @ matrix).tocoo()
    valid[np.unique(moved.col[moved.data != 0])] = False
    # every inequality still holds
    if structure.inequalities.shape[0]:
        base = structure.inequalities @ structure.values
        moved_ub = (structure.inequalities @ matrix).tocoo()
        broken = base[moved_ub.row] + moved_ub.data > 0
        valid[np.unique(moved_ub.col[broken])] = False
    keep = valid[owner]
    up = shift > 0
    np.maximum.at(rise, cells[keep & up], shift[keep & up])
    np.maximum.at(fall, cells[keep & ~up], -shift[keep & ~up])
    for (c_cells, c_shift), ok in zip(certificates, valid, strict=True):
        if ok and np.any(need_fall[c_cells] > 0):
            np.maximum.at(kept, c_cells, kept_falls(structure, need_fall, c_cells, c_shift))
    return valid, rise, fall, kept


def audit(structure: Structure, state: Suppression) -> IntArray:
    """Audit the release in ``state``; return the hidden cells that fail their requirement.

    Valid certificates found by the linear programmes are added to ``state``; ``state.up`` and
    ``state.down`` are replaced by what the audit proved.
    """
    refresh_zero_needs(structure, state)
    valid, rise, fall, kept = verify_certificates(
        structure, state.hidden, state.need_fall, state.certificates
    )
    state.certificates = [c for c, ok in zip(state.certificates, valid, strict=True) if ok]
    state.up, state.down, state.kept_fall = rise, fall, kept
    failing: list[int] = []
    for cell in state.failing():
        cell = int(cell)
        if state.satisfied(cell):
            continue  # proved by a certificate found for an earlier cell
        item = int(structure.cell_item[cell])
        variables = state.hidden.copy()
        if item >= 0:  # item cells: this item and those tied to it, sizes at their true values
            variables[:] = False
            linked = structure.item_cells(structure.linked_items[item])
            variables[linked] = state.hidden[linked]
        if state.kept_fall[cell] < state.need_fall[cell]:
            kept_vars = variables.copy()
            kept_vars[structure.row_no_answer[cell]] = False
            _low, _high, low_shift, _high_shift = cell_range(structure, kept_vars, cell)
            state.add_certificate(*low_shift)
        if state.width(cell) < state.need[cell]:
            _low, _high, low_shift, high_shift = cell_range(structure, variables, cell)
            for cells, shift in (low_shift, high_shift):
                state.add_certificate(cells, shift)
        if not state.satisfied(cell):
            failing.append(cell)
    return np.array(failing, dtype=np.int64)
