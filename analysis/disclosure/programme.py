"""Linear and integer programmes over the published relations (scipy's HiGHS).

Two jobs:

* :func:`cell_range` -- the smallest and largest value a hidden cell can take, given everything
  shown, over the connected component of hidden cells that contains it. The linear programme is
  solved first; when an optimum is not integral, the same problem is solved again as an integer
  programme, so the ends returned are always values some integer table attains. Each end comes
  with its table (as a shift from the truth), which becomes a certificate.
* :func:`cheapest_shift` -- the fallback complement search: the integer shift of smallest
  weighted size that moves one cell by a required amount, allowed to touch hidden cells (free)
  and shown non-zero cells (at their hiding cost).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

from analysis.disclosure.structure import BoolArray, IntArray, Structure

FloatArray = np.ndarray


def _relations(structure: Structure, sizes_only: bool) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    if sizes_only:
        return structure.size_equations, sp.csr_matrix((0, structure.n_cells), dtype=np.int64)
    return structure.equations, structure.inequalities


def component(
    structure: Structure, variables: BoolArray, cell: int, *, sizes_only: bool = False
) -> IntArray:
    """The cells among ``variables`` linked to ``cell`` through equations or inequalities.

    ``sizes_only`` uses the partitions of the sizes alone (a relaxation: items ignored).
    """
    cols = np.flatnonzero(variables)
    eq_full, ineq_full = _relations(structure, sizes_only)
    matrix = sp.vstack([eq_full, ineq_full]).tocsr()[:, cols]
    matrix = matrix.tocsr()
    matrix.data = np.ones_like(matrix.data)
    rows_used = np.flatnonzero(np.diff(matrix.indptr) >= 2)
    sub = matrix[rows_used]
    n_rows = sub.shape[0]
    graph = sp.bmat([[None, sub], [sub.T, None]], format="csr", dtype=np.int64)
    if graph.shape[0] == 0:
        return np.array([cell], dtype=np.int64)
    _n, labels = connected_components(graph, directed=False)
    position = int(np.searchsorted(cols, cell))
    label = labels[n_rows + position]
    found: IntArray = cols[labels[n_rows:] == label]
    return found


def _restricted(
    structure: Structure, cells: IntArray, sizes_only: bool = False
) -> tuple[sp.csr_matrix, FloatArray, sp.csr_matrix, FloatArray, FloatArray]:
    """Equations and inequalities over ``cells``, every other cell fixed at its true value.

    Returns ``A_eq, b_eq, A_ub, b_ub`` for the cells' values and the inequalities' slack at the
    true table (how much ``A_ub @ shift`` may be).
    """
    values = structure.values.astype(np.float64)
    eq_full, ineq_full = _relations(structure, sizes_only)
    eq = eq_full[:, cells].tocsr()
    used = np.flatnonzero(np.diff(eq.indptr) > 0)
    a_eq = eq[used]
    b_eq = a_eq @ values[cells]
    ineq = ineq_full[:, cells].tocsr()
    used_ub = np.flatnonzero(np.diff(ineq.indptr) > 0)
    a_ub = ineq[used_ub]
    slack = -(ineq_full[used_ub] @ values)
    b_ub = a_ub @ values[cells] + slack
    return a_eq, b_eq, a_ub, b_ub, slack


def _is_integral(x: FloatArray) -> bool:
    return bool(np.all(np.abs(x - np.round(x)) < 1e-7))


def _solve(
    cost: FloatArray,
    a_eq: sp.csr_matrix,
    b_eq: FloatArray,
    a_ub: sp.csr_matrix,
    b_ub: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
) -> FloatArray | None:
    """Minimise ``cost @ x``; an integer solution when the linear optimum is not integral."""
    result = linprog(
        cost,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=b_ub if a_ub.shape[0] else None,
        A_eq=a_eq if a_eq.shape[0] else None,
        b_eq=b_eq if a_eq.shape[0] else None,
        bounds=np.column_stack([lower, upper]),
        method="highs",
    )
    if result.status != 0:
        return None
    x = np.asarray(result.x, dtype=np.float64)
    if _is_integral(x):
        return np.round(x)
    constraints = []
    if a_eq.shape[0]:
        constraints.append(LinearConstraint(a_eq, b_eq, b_eq))
    if a_ub.shape[0]:
        constraints.append(LinearConstraint(a_ub, -np.inf, b_ub))
    integer = milp(
        cost,
        constraints=constraints,
        integrality=np.ones(len(cost)),
        bounds=Bounds(lower, upper),
    )
    if integer.status != 0 or integer.x is None:
        return None
    return np.round(np.asarray(integer.x, dtype=np.float64))


def cell_range(
    structure: Structure, variables: BoolArray, cell: int, *, sizes_only: bool = False
) -> tuple[int, int, tuple[IntArray, IntArray], tuple[IntArray, IntArray]]:
    """Integer (min, max) of ``cell`` with ``variables`` free and every other cell at its value.

    Returns the two ends and, for each, the table attaining it as ``(cells, shift)``. With
    ``sizes_only`` the items are ignored: the range is then an outer bound for the sizes.
    """
    cells = component(structure, variables, cell, sizes_only=sizes_only)
    a_eq, b_eq, a_ub, b_ub, _slack = _restricted(structure, cells, sizes_only)
    lower = np.zeros(len(cells))
    upper = np.full(len(cells), float(structure.sizes[0]))
    position = int(np.searchsorted(cells, cell))
    objective = np.zeros(len(cells))
    objective[position] = 1.0
    truth = structure.values[cells]
    ends: list[int] = []
    shifts: list[tuple[IntArray, IntArray]] = []
    for sign in (1.0, -1.0):
        x = _solve(sign * objective, a_eq, b_eq, a_ub, b_ub, lower, upper)
        if x is None:  # cannot happen: the true table is feasible
            ends.append(int(truth[position]))
            shifts.append((cells[:0], truth[:0]))
            continue
        solution = x.astype(np.int64)
        ends.append(int(solution[position]))
        shifts.append((cells, solution - truth))
    return ends[0], ends[1], shifts[0], shifts[1]


def cheapest_shift(
    structure: Structure,
    region: IntArray,
    costs: FloatArray,
    cell: int,
    amount: int,
    *,
    sizes_only: bool = False,
) -> tuple[IntArray, IntArray] | None:
    """The cheapest integer shift over ``region`` moving ``cell`` by ``amount`` (signed).

    Cells outside ``region`` stay at their true values. ``costs`` (per region cell) weighs each
    unit of change; the result is ``(cells, shift)`` or ``None`` if no such shift exists.
    """
    order = np.argsort(region, kind="stable")
    region = np.asarray(region, dtype=np.int64)[order]
    costs = np.asarray(costs, dtype=np.float64)[order]
    a_eq, _b, a_ub, _bu, slack = _restricted(structure, region, sizes_only)
    truth = structure.values[region].astype(np.float64)
    # variables: rise r >= 0 and fall f >= 0 per cell; shift = r - f
    n = len(region)
    eq = sp.hstack([a_eq, -a_eq]).tocsr()
    ineq = sp.hstack([a_ub, -a_ub]).tocsr()
    big = float(structure.sizes[0])
    lower = np.zeros(2 * n)
    upper = np.concatenate([np.full(n, big), truth])
    position = int(np.searchsorted(region, cell))
    if amount > 0:
        lower[position] = float(amount)
        upper[n + position] = 0.0
    else:
        lower[n + position] = float(-amount)
        upper[position] = 0.0
    if np.any(lower > upper):
        return None
    cost = np.concatenate([costs, costs]) + 1e-3
    constraints = [LinearConstraint(eq, 0.0, 0.0)] if eq.shape[0] else []
    if ineq.shape[0]:
        constraints.append(LinearConstraint(ineq, -np.inf, slack))
    result = milp(
        cost,
        constraints=constraints,
        integrality=np.ones(2 * n),
        bounds=Bounds(lower, upper),
    )
    if result.status != 0 or result.x is None:
        return None
    x = np.round(np.asarray(result.x)).astype(np.int64)
    shift = x[:n] - x[n:]
    keep = shift != 0
    return region[keep], shift[keep]
