"""An independent check of a protected release, written without the engine's code.

It rebuilds every published relation from the ``ReleaseInput`` itself, fixes every shown value,
and asks ``scipy.optimize.milp`` for the smallest and largest integer value of each hidden
cell. Tests compare those ranges with the rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_matrix

from analysis.disclosure import NO_ANSWER, ProtectedRelease, ReleaseInput

Key = tuple[tuple[tuple[str, str], ...], str | None, str]


def populations(spec: ReleaseInput) -> list[tuple[tuple[str, str], ...]]:
    """Every population published by the views (everyone included)."""
    out: set[tuple[tuple[str, str], ...]] = {()}
    for view in spec.views:
        for dim in view:
            out.update(((dim, g),) for g in spec.dimensions[dim])
        if len(view) == 2:
            a, b = view
            for g in spec.dimensions[a]:
                for h in spec.dimensions[b]:
                    out.add(tuple(sorted(((a, g), (b, h)))))
    return sorted(out, key=lambda p: (len(p), p))


def families(spec: ReleaseInput) -> Iterator[tuple[tuple[tuple[str, str], ...], list]]:
    """(parent, children) for every published partition."""
    for view in spec.views:
        fixed_sets: list[tuple[str, ...]] = [()] + [(d,) for d in view]
        for fixed in fixed_sets:
            parents: list[tuple[tuple[str, str], ...]] = [()]
            if fixed:
                parents = [((fixed[0], g),) for g in spec.dimensions[fixed[0]]]
            for parent in parents:
                for dim in view:
                    if dim in fixed:
                        continue
                    children = [tuple(sorted((*parent, (dim, g)))) for g in spec.dimensions[dim]]
                    yield parent, children


def true_values(spec: ReleaseInput) -> dict[Key, int]:
    """Every published cell and its true value."""
    values: dict[Key, int] = {}
    for pop in populations(spec):
        values[(pop, None, "Total")] = spec.sizes[pop]
        for item in spec.items:
            for column in (*item.options, NO_ANSWER):
                values[(pop, item.id, column)] = item.counts[pop][column]
    return values


def published(release: ProtectedRelease, key: Key) -> int | None:
    pop, item, column = key
    if item is None:
        return release.sizes[pop]
    return release.items[item][pop][column]


@dataclass
class Ranges:
    """The integer (min, max) of every hidden cell, from the published release alone."""

    ranges: dict[Key, tuple[int, int]]
    #: for unanimous counts: how many of those who answered could have chosen otherwise
    shortfall: dict[Key, tuple[int, int]]


def hidden_ranges(
    spec: ReleaseInput, release: ProtectedRelease | None, only: set[Key] | None = None
) -> Ranges:
    """Ranges of the hidden cells of ``release``.

    With ``release=None`` every non-zero value except the overall count is taken as hidden:
    the most any release could hide. ``only`` limits which cells are solved.
    """
    values = true_values(spec)
    keys = list(values)
    if release is None:
        hidden = [key for key in keys if values[key] > 0 and key != ((), None, "Total")]
    else:
        hidden = [key for key in keys if published(release, key) is None]
    index = {key: i for i, key in enumerate(hidden)}
    rows: list[list[tuple[Key, int]]] = []
    for parent, children in families(spec):
        rows.append([((c, None, "Total"), 1) for c in children] + [((parent, None, "Total"), -1)])
        for item in spec.items:
            for column in (*item.options, NO_ANSWER):
                rows.append(
                    [((c, item.id, column), 1) for c in children]
                    + [((parent, item.id, column), -1)]
                )
    for pop in populations(spec):
        for item in spec.items:
            if item.kind == "exclusive":
                rows.append(
                    [((pop, item.id, c), 1) for c in (*item.options, NO_ANSWER)]
                    + [((pop, None, "Total"), -1)]
                )
    less: list[list[tuple[Key, int]]] = []
    for pop in populations(spec):
        for item in spec.items:
            if item.kind == "multiple":
                for option in item.options:
                    less.append(
                        [
                            ((pop, item.id, option), 1),
                            ((pop, item.id, NO_ANSWER), 1),
                            ((pop, None, "Total"), -1),
                        ]
                    )
                less.append([((pop, item.id, NO_ANSWER), 1), ((pop, None, "Total"), -1)])

    def build(
        relations: list[list[tuple[Key, int]]],
    ) -> tuple[coo_matrix, np.ndarray]:
        r: list[int] = []
        c: list[int] = []
        v: list[int] = []
        rhs: list[float] = []
        for relation in relations:
            constant = 0.0
            used = False
            for key, coef in relation:
                if key in index:
                    r.append(len(rhs))
                    c.append(index[key])
                    v.append(coef)
                    used = True
                else:
                    constant += coef * values[key]
            if used:
                rhs.append(-constant)
        matrix = coo_matrix((v, (r, c)), shape=(len(rhs), len(hidden)))
        return matrix, np.array(rhs)

    eq, eq_rhs = build(rows)
    ub, ub_rhs = build(less)
    constraints = [LinearConstraint(eq, eq_rhs, eq_rhs)]
    if ub.shape[0]:
        constraints.append(LinearConstraint(ub, -np.inf, ub_rhs))
    total = spec.sizes[()]
    bounds = Bounds(np.zeros(len(hidden)), np.full(len(hidden), float(total)))

    def minimum(objective: dict[Key, float]) -> int:
        """The smallest integer value of a linear expression of cells."""
        cost = np.zeros(len(hidden))
        constant = 0.0
        for key, coef in objective.items():
            if key in index:
                cost[index[key]] += coef
            else:
                constant += coef * values[key]
        if not cost.any():
            return round(constant)
        # The linear relaxation first: when its optimum is integral, it is the integer optimum.
        relaxed = linprog(
            cost,
            A_ub=ub if ub.shape[0] else None,
            b_ub=ub_rhs if ub.shape[0] else None,
            A_eq=eq,
            b_eq=eq_rhs,
            bounds=np.column_stack([bounds.lb, bounds.ub]),
            method="highs",
        )
        if relaxed.status == 0 and np.all(np.abs(relaxed.x - np.round(relaxed.x)) < 1e-9):
            return round(float(cost @ np.round(relaxed.x)) + constant)
        result = milp(
            cost, constraints=constraints, integrality=np.ones(len(hidden)), bounds=bounds
        )
        assert result.status == 0, result.message
        return round(float(result.fun) + constant)

    out: dict[Key, tuple[int, int]] = {}
    for key in index:
        if only is None or key in only:
            out[key] = (minimum({key: 1.0}), -minimum({key: -1.0}))
    # P3: how far below "everyone who answered" can each unanimous hidden count go?
    shortfall: dict[Key, int] = {}
    answered_here: dict[Key, int] = {}
    for item in spec.items:
        if not item.sensitive:
            continue
        for pop in populations(spec):
            row = item.counts[pop]
            answered = spec.sizes[pop] - row[NO_ANSWER]
            for option in item.options:
                key = (pop, item.id, option)
                wanted = only is None or key in only
                if answered > 0 and row[option] == answered and key in index and wanted:
                    gap = minimum(
                        {key: 1.0, (pop, None, "Total"): -1.0, (pop, item.id, NO_ANSWER): 1.0}
                    )
                    shortfall[key] = -gap
                    answered_here[key] = answered
    return Ranges(out, {key: (gap, answered_here[key]) for key, gap in shortfall.items()})


def requirement(
    spec: ReleaseInput,
    release: ProtectedRelease,
    key: Key,
    values: dict[Key, int] | None = None,
) -> int:
    """The width the rules ask of a hidden cell, worked out from the input alone
    (``values``: :func:`true_values`, if already at hand)."""
    pop, item_id, column = key
    k, k_cell = release.k, release.k_cell
    size = spec.sizes[pop]
    value = (values if values is not None else true_values(spec))[key]
    if item_id is None:
        if 0 < size < k:
            return k
        entry = next(
            e
            for e in release.audit
            if e.population == pop and e.item is None and e.column == column
        )
        if entry.rule == "nested":
            return k
        return 1 if value > 0 else 0
    if release.sizes[pop] is None:
        return 1 if value > 0 else 0
    if 0 < value < k_cell:
        return k_cell
    item = next(i for i in spec.items if i.id == item_id)
    row = item.counts[pop]
    answered = size - row[NO_ANSWER]
    if item.sensitive and column != NO_ANSWER and answered > 0 and value == answered:
        return k_cell  # the unanimous count itself
    return 1 if value > 0 else 0


def sample_hidden(release: ProtectedRelease, count: int) -> set[Key]:
    """A fixed, evenly spread choice of about ``count`` hidden cells: half population sizes,
    half answer counts (all of one kind when the other runs out)."""
    hidden = sorted(
        ((entry.population, entry.item, entry.column) for entry in release.audit),
        key=lambda key: (key[1] is not None, len(key[0]), key),
    )
    sizes = [key for key in hidden if key[1] is None]
    counts = [key for key in hidden if key[1] is not None]

    def spread(keys: list[Key], wanted: int) -> list[Key]:
        if wanted <= 0 or not keys:
            return []
        step = max(1, len(keys) // wanted)
        return keys[::step][:wanted]

    chosen = spread(sizes, count // 2)
    return set(chosen) | set(spread(counts, count - len(chosen)))


def check_release(
    spec: ReleaseInput, release: ProtectedRelease, *, sample: int | None = None
) -> Ranges:
    """Assert every rule of the brief on ``release``; return the hidden ranges.

    Every rule is checked on every cell. The ranges of hidden cells are recomputed by integer
    programmes over the whole release: for every hidden cell, or with ``sample`` for about that
    many (see :func:`sample_hidden`) -- a large release has thousands.
    """
    values = true_values(spec)
    k, k_cell = release.k, release.k_cell
    total = spec.sizes[()]
    # shown values are the true values
    for key, value in values.items():
        shown = published(release, key)
        assert shown is None or shown == value, key
    if total < k:
        for key in values:
            if key != ((), None, "Total"):
                assert published(release, key) is None, key
        assert release.sizes[()] == total
        return Ranges({}, {})
    assert release.sizes[()] == total, "the overall count is never hidden outside P0"
    for key, value in values.items():
        pop, item_id, column = key
        shown = published(release, key)
        pop_hidden = release.sizes[pop] is None
        if item_id is None and 0 < value < k:
            assert shown is None, f"P1 not applied to {key}"
        if item_id is not None:
            if pop_hidden:
                assert shown is None, f"{key} shown in a hidden population"
            if 0 < value < k_cell:
                assert shown is None, f"P2 not applied to {key}"
            item = next(i for i in spec.items if i.id == item_id)
            answered = spec.sizes[pop] - item.counts[pop][NO_ANSWER]
            unanimous = answered > 0 and any(item.counts[pop][o] == answered for o in item.options)
            if item.sensitive and unanimous and column != NO_ANSWER:
                assert shown is None, f"P3 not applied to {key}"
        if value == 0 and shown is None and not pop_hidden:
            # a hidden zero in a shown population: only allowed in a P3 row
            item = next(i for i in spec.items if i.id == item_id)
            answered = spec.sizes[pop] - item.counts[pop][NO_ANSWER]
            unanimous = answered > 0 and any(item.counts[pop][o] == answered for o in item.options)
            assert item.sensitive and unanimous and column != NO_ANSWER, f"zero hidden: {key}"
    # nested: no shown parent and child 1..k-1 apart
    for parent, children in families(spec):
        for child in children:
            a, b = release.sizes[parent], release.sizes[child]
            if a is not None and b is not None:
                assert not 0 < a - b < k, (parent, child)
    ranges = hidden_ranges(
        spec, release, only=None if sample is None else sample_hidden(release, sample)
    )
    audit = {(e.population, e.item, e.column): e for e in release.audit}
    for key, (low, high) in ranges.ranges.items():
        need = requirement(spec, release, key, values)
        assert high - low >= need, f"{key}: range {low}..{high}, needs {need}"
        entry = audit[key]
        # the engine's certified range lies inside the true one
        assert low <= entry.value_range[0] <= values[key] <= entry.value_range[1] <= high, (
            key,
            entry.value_range,
            (low, high),
        )
    for key, (gap, answered) in ranges.shortfall.items():
        if release.sizes[key[0]] is not None:
            assert gap >= min(k_cell, answered), (
                f"{key}: unanimity recoverable ({gap} could differ)"
            )
    return ranges


def confirm_impossible(spec: ReleaseInput, k_cell: int, key: Key) -> None:
    """Assert that no release could protect ``key``, even hiding every non-zero value but one.

    Used when the engine raises ``DisclosureError`` for an item cell.
    """
    ranges = hidden_ranges(spec, None, only={key})
    pop, item_id, column = key
    assert item_id is not None
    item = next(i for i in spec.items if i.id == item_id)
    row = item.counts[pop]
    answered = spec.sizes[pop] - row[NO_ANSWER]
    if key in ranges.shortfall:
        gap, _answered = ranges.shortfall[key]
        assert gap < min(k_cell, answered), f"{key} could have been protected ({gap})"
        return
    low, high = ranges.ranges[key]
    value = row[column]
    need = k_cell if 0 < value < k_cell else 1
    assert high - low < need, f"{key} could have been protected ({low}..{high})"
