"""Linear and integer programmes over the published relations (scipy's HiGHS).

Two jobs:

* :func:`cell_range` -- the smallest and largest value a hidden cell can take, given everything
  shown, over the connected component of hidden cells that contains it. The linear programme is
  solved first; when an optimum is not integral, the same problem is solved again as an integer
  programme, so the ends returned are always values some integer table attains. Each end comes
  with its table (as a shift from the truth), which becomes a certificate.
* :func:`cheapest_shift` -- the fallback complement search: the integer shift of smallest
  weighted size that moves one cell by a required amount, allowed to touch hidden cells (free)
  and shown non-zero cells (at their hiding cost). :func:`cheapest_joint_shift` moves several
  cells at once, and :func:`widest_joint_shift` finds which of several cells one shift can
  move together.

Every programme is bounded (:data:`NODE_LIMIT`, :data:`TIME_LIMIT`); one stopped early gives
"not proved" (or whatever integer table it found, which is checked like any other), never a
wrong answer.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

from analysis.disclosure.structure import BoolArray, IntArray, Structure

FloatArray = np.ndarray

#: Work limits for every programme. The node limit is deterministic; the time limit is only a
#: safety net for pathological cases (a programme stopped by either counts as "not proved":
#: any integer table it found is still checked and used, otherwise the caller tries a larger
#: region or hides more). Presolve is off for the linear programmes: on these small, sparse
#: problems it costs more than it saves.
NODE_LIMIT = 200
TIME_LIMIT = 2.0
LP_OPTIONS = {"time_limit": TIME_LIMIT, "presolve": False}
MILP_OPTIONS = {"node_limit": NODE_LIMIT, "time_limit": TIME_LIMIT}
#: For an integer programme that stopped at a limit without any integer solution.
LAST_RESORT_TIME_LIMIT = 30.0

#: How much moving a target by one counts against hiding costs in :func:`widest_joint_shift`
#: (far more than the cost of any shift through a handful of cells).
COVER_WEIGHT = 1e4


def _relations(structure: Structure, sizes_only: bool) -> tuple[sp.csc_matrix, sp.csc_matrix]:
    if sizes_only:
        return structure.size_equations_csc, sp.csc_matrix((0, structure.n_cells), dtype=np.int64)
    return structure.equations_csc, structure.inequalities_csc


def components(
    structure: Structure, variables: BoolArray, *, sizes_only: bool = False
) -> tuple[IntArray, IntArray]:
    """Every cell among ``variables`` (in increasing order) and the number of its connected
    component, through equations or inequalities.

    ``sizes_only`` uses the partitions of the sizes alone (a relaxation: items ignored).
    """
    cols = np.flatnonzero(variables)
    eq_full, ineq_full = _relations(structure, sizes_only)
    matrix = sp.vstack([eq_full[:, cols], ineq_full[:, cols]]).tocsr()
    matrix.data = np.ones_like(matrix.data)
    rows_used = np.flatnonzero(np.diff(matrix.indptr) >= 2)
    sub = matrix[rows_used]
    n_rows = sub.shape[0]
    graph = sp.bmat([[None, sub], [sub.T, None]], format="csr", dtype=np.int64)
    if graph.shape[0] == 0:
        return cols, np.arange(len(cols), dtype=np.int64)
    _n, labels = connected_components(graph, directed=False)
    return cols, labels[n_rows:].astype(np.int64)


def component(
    structure: Structure, variables: BoolArray, cell: int, *, sizes_only: bool = False
) -> IntArray:
    """The cells among ``variables`` linked to ``cell`` through equations or inequalities.

    ``sizes_only`` uses the partitions of the sizes alone (a relaxation: items ignored).
    """
    cols, labels = components(structure, variables, sizes_only=sizes_only)
    position = int(np.searchsorted(cols, cell))
    if position >= len(cols) or cols[position] != cell:
        return np.array([cell], dtype=np.int64)
    found: IntArray = cols[labels == labels[position]]
    return found


def _restricted(
    structure: Structure, cells: IntArray, sizes_only: bool = False
) -> tuple[sp.csr_matrix, FloatArray, sp.csr_matrix, FloatArray, FloatArray]:
    """Equations and inequalities over ``cells``, every other cell fixed at its true value.

    Returns ``A_eq, b_eq, A_ub, b_ub`` for the cells' values and the inequalities' slack at the
    true table (how much ``A_ub @ shift`` may be).
    """
    values = structure.values[cells].astype(np.float64)
    eq_full, ineq_full = _relations(structure, sizes_only)
    eq = eq_full[:, cells].tocsr()
    used = np.flatnonzero(np.diff(eq.indptr) > 0)
    a_eq = eq[used]
    b_eq = a_eq @ values
    ineq = ineq_full[:, cells].tocsr()
    used_ub = np.flatnonzero(np.diff(ineq.indptr) > 0)
    a_ub = ineq[used_ub]
    slack = structure.inequality_slack[used_ub] if not sizes_only else np.zeros(0, dtype=np.float64)
    b_ub = a_ub @ values + slack
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
    *,
    integer: bool = True,
    first: bool = False,
    patient: bool = True,
) -> FloatArray | None:
    """Minimise ``cost @ x``; an integer solution when the linear optimum is not integral.

    With ``integer=False`` a fractional linear optimum gives ``None`` instead; with ``first``
    the integer programme stops at its first integer solution (for when any will do); unless
    ``patient``, an integer programme stopped by its limits is not tried again for longer.
    """
    result = linprog(
        cost,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=b_ub if a_ub.shape[0] else None,
        A_eq=a_eq if a_eq.shape[0] else None,
        b_eq=b_eq if a_eq.shape[0] else None,
        bounds=np.column_stack([lower, upper]),
        method="highs",
        options=dict(LP_OPTIONS),
    )
    if result.status != 0:
        return None
    x = np.asarray(result.x, dtype=np.float64)
    if _is_integral(x):
        return np.round(x)
    if not integer:
        return None
    constraints = []
    if a_eq.shape[0]:
        constraints.append(LinearConstraint(a_eq, b_eq, b_eq))
    if a_ub.shape[0]:
        constraints.append(LinearConstraint(a_ub, -np.inf, b_ub))
    solved = milp(
        cost,
        constraints=constraints,
        integrality=np.ones(len(cost)),
        bounds=Bounds(lower, upper),
        # scipy removes the keys it reads: always pass a fresh copy
        options={**MILP_OPTIONS, **({"mip_rel_gap": 1.0} if first else {})},
    )
    if solved.x is None and solved.status == 1 and not first and patient:
        # Stopped by a limit before any integer solution (never seen in practice): rather
        # than report the cell as impossible to protect, try once more without the node limit.
        solved = milp(
            cost,
            constraints=constraints,
            integrality=np.ones(len(cost)),
            bounds=Bounds(lower, upper),
            options={"time_limit": LAST_RESORT_TIME_LIMIT},
        )
    if solved.x is None:
        return None
    return np.round(np.asarray(solved.x, dtype=np.float64))


def cell_range(
    structure: Structure,
    variables: BoolArray,
    cell: int,
    *,
    sizes_only: bool = False,
    patient: bool = True,
) -> tuple[int, int, tuple[IntArray, IntArray], tuple[IntArray, IntArray]]:
    """Integer (min, max) of ``cell`` with ``variables`` free and every other cell at its value.

    Returns the two ends and, for each, the table attaining it as ``(cells, shift)``. With
    ``sizes_only`` the items are ignored: the range is then an outer bound for the sizes.
    Unless ``patient``, an end the bounded integer programme does not reach is reported as the
    true value (not proved), never as a value no table attains.
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
        x = _solve(sign * objective, a_eq, b_eq, a_ub, b_ub, lower, upper, patient=patient)
        if x is None:  # stopped by a limit (the true table is always feasible)
            ends.append(int(truth[position]))
            shifts.append((cells[:0], truth[:0]))
            continue
        solution = x.astype(np.int64)
        ends.append(int(solution[position]))
        shifts.append((cells, solution - truth))
    return ends[0], ends[1], shifts[0], shifts[1]


def farthest_rise(
    structure: Structure, cells: IntArray, cell: int
) -> tuple[IntArray, IntArray] | None:
    """The table, over ``cells`` (every other cell at its value), in which ``cell`` is as large
    as it can be, as a shift ``(cells, shift)`` from the truth; ``None`` when the linear
    programme's optimum is not integral (no integer programme is tried: this is a quick first
    attempt, see ``Search._through_population``)."""
    a_eq, b_eq, a_ub, b_ub, _slack = _restricted(structure, cells)
    lower = np.zeros(len(cells))
    upper = np.full(len(cells), float(structure.sizes[0]))
    objective = np.zeros(len(cells))
    objective[int(np.searchsorted(cells, cell))] = -1.0
    x = _solve(objective, a_eq, b_eq, a_ub, b_ub, lower, upper, integer=False)
    if x is None:
        return None
    return cells, x.astype(np.int64) - structure.values[cells]


def cheapest_shift(
    structure: Structure,
    region: IntArray,
    costs: FloatArray,
    cell: int,
    amount: int,
    *,
    sizes_only: bool = False,
    first: bool = False,
) -> tuple[IntArray, IntArray] | None:
    """The cheapest integer shift over ``region`` moving ``cell`` by ``amount`` (signed).

    Cells outside ``region`` stay at their true values. ``costs`` (per region cell) weighs each
    unit of change; the result is ``(cells, shift)`` or ``None`` if no such shift exists. With
    ``first``, any integer shift will do when the linear optimum is not integral (for regions
    of hidden cells, where every shift is free).
    """
    return cheapest_joint_shift(
        structure,
        region,
        costs,
        np.array([cell], dtype=np.int64),
        np.array([amount], dtype=np.int64),
        sizes_only=sizes_only,
        first=first,
    )


def cheapest_joint_shift(
    structure: Structure,
    region: IntArray,
    costs: FloatArray,
    cells: IntArray,
    amounts: IntArray,
    *,
    sizes_only: bool = False,
    integer: bool = True,
    first: bool = False,
) -> tuple[IntArray, IntArray] | None:
    """The cheapest integer shift over ``region`` moving each of ``cells`` by at least its
    ``amounts`` (signed: a rise of at least, or a fall of at least, that much).

    Cells outside ``region`` stay at their true values. ``costs`` (per region cell) weighs each
    unit of change; the result is ``(cells, shift)`` or ``None`` if no such shift exists (or,
    with ``integer=False``, if the linear programme's optimum is not integral).
    """
    problem = _ShiftProblem(structure, region, cells, amounts, sizes_only)
    if not problem.possible:
        return None
    n = problem.n
    lower, upper = problem.lower.copy(), problem.upper.copy()
    for position, amount in zip(problem.positions, problem.amounts, strict=True):
        if amount > 0:
            lower[position] = max(lower[position], float(amount))
        else:
            lower[n + position] = max(lower[n + position], float(-amount))
    order = np.argsort(region, kind="stable")
    sorted_costs = np.asarray(costs, dtype=np.float64)[order]
    # cells of infinite cost (locked) may not move
    movable = np.tile(np.isfinite(sorted_costs), 2)
    upper = np.where(movable, upper, 0.0)
    if np.any(lower > upper):
        return None
    sorted_costs = np.where(np.isfinite(sorted_costs), sorted_costs, 0.0)
    cost = np.concatenate([sorted_costs, sorted_costs]) + 1e-3
    x = _solve(
        cost,
        problem.eq,
        np.zeros(problem.eq.shape[0]),
        problem.ineq,
        problem.slack,
        lower,
        upper,
        integer=integer,
        first=first,
    )
    if x is None:
        return None
    solution = x.astype(np.int64)
    shift = solution[:n] - solution[n:]
    keep = shift != 0
    return problem.region[keep], shift[keep]


def widest_joint_shift(
    structure: Structure,
    region: IntArray,
    costs: FloatArray,
    cells: IntArray,
    amounts: IntArray,
) -> tuple[tuple[IntArray, IntArray] | None, BoolArray]:
    """A shift over ``region`` moving as many of ``cells`` as far as their ``amounts`` allow.

    One linear programme: moving the targets counts far more than any hiding cost (each target
    counting up to its amount), then the cheapest such shift. Returns the shift when the
    optimum is integral (``None`` otherwise) and which targets the optimum moves all the way;
    those are worth asking :func:`cheapest_joint_shift` for together.
    """
    found = np.zeros(len(cells), dtype=np.bool_)
    problem = _ShiftProblem(structure, region, cells, amounts, False)
    if not problem.possible:
        return None, found
    n, m = problem.n, len(cells)
    # variables: rise r, fall f (per region cell), then how far each target moves, t
    rows = np.arange(m)
    sign = np.where(problem.amounts > 0, -1.0, 1.0)
    cover = sp.csr_matrix(
        (
            np.concatenate([sign, -sign, np.ones(m)]),
            (
                np.concatenate([rows, rows, rows]),
                np.concatenate([problem.positions, n + problem.positions, 2 * n + rows]),
            ),
        ),
        shape=(m, 2 * n + m),
    )
    pad_eq = sp.csr_matrix((problem.eq.shape[0], m))
    pad_ub = sp.csr_matrix((problem.ineq.shape[0], m))
    a_eq = sp.hstack([problem.eq, pad_eq]).tocsr()
    a_ub = sp.vstack([sp.hstack([problem.ineq, pad_ub]), cover]).tocsr()
    b_ub = np.concatenate([problem.slack, np.zeros(m)])
    lower = np.concatenate([problem.lower, np.zeros(m)])
    upper = np.concatenate([problem.upper, np.abs(problem.amounts).astype(np.float64)])
    order = np.argsort(region, kind="stable")
    sorted_costs = np.asarray(costs, dtype=np.float64)[order]
    finite = np.where(np.isfinite(sorted_costs), sorted_costs, 0.0)
    upper[: 2 * n] = np.where(
        np.isfinite(np.concatenate([sorted_costs, sorted_costs])), upper[: 2 * n], 0.0
    )
    weight = COVER_WEIGHT
    cost = np.concatenate([finite + 1e-3, finite + 1e-3, np.full(m, -weight)])
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq if a_eq.shape[0] else None,
        b_eq=np.zeros(a_eq.shape[0]) if a_eq.shape[0] else None,
        bounds=np.column_stack([lower, upper]),
        method="highs",
        options=dict(LP_OPTIONS),
    )
    if result.status != 0:
        return None, found
    x = np.asarray(result.x, dtype=np.float64)
    found = x[2 * n :] >= np.abs(problem.amounts) - 1e-6
    if not _is_integral(x[: 2 * n]):
        return None, found
    solution = np.round(x[: 2 * n]).astype(np.int64)
    shift = solution[:n] - solution[n:]
    keep = shift != 0
    return (problem.region[keep], shift[keep]), found


class _ShiftProblem:
    """The common part of the shift programmes: variables rise ``r`` and fall ``f`` per cell of
    ``region`` (sorted), each target cell allowed to move only its own way."""

    def __init__(
        self,
        structure: Structure,
        region: IntArray,
        cells: IntArray,
        amounts: IntArray,
        sizes_only: bool,
    ) -> None:
        region = np.sort(np.asarray(region, dtype=np.int64), kind="stable")
        self.region = region
        a_eq, _b, a_ub, _bu, slack = _restricted(structure, region, sizes_only)
        n = len(region)
        self.n = n
        self.eq = sp.hstack([a_eq, -a_eq]).tocsr()
        self.ineq = sp.hstack([a_ub, -a_ub]).tocsr()
        self.slack = slack
        truth = structure.values[region].astype(np.float64)
        self.lower = np.zeros(2 * n)
        self.upper = np.concatenate([np.full(n, float(structure.sizes[0])), truth])
        cells = np.asarray(cells, dtype=np.int64)
        self.amounts = np.asarray(amounts, dtype=np.int64)
        positions = np.searchsorted(region, cells)
        self.possible = bool(
            n > 0
            and np.all(positions < n)
            and np.all(region[np.minimum(positions, n - 1)] == cells)
        )
        self.positions = positions
        if not self.possible:
            return
        for position, amount in zip(positions.tolist(), self.amounts.tolist(), strict=True):
            if amount > 0:
                self.upper[n + position] = 0.0
            else:
                self.upper[position] = 0.0
