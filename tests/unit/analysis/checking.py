"""An independent check of a protected release, written without the engine's code.

It rebuilds every published relation from the ``ReleaseInput`` itself, fixes every shown value,
and asks ``scipy.optimize.milp`` for the smallest and largest integer value of each hidden
cell. Tests compare those ranges with the rules.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_matrix, csr_matrix, vstack
from scipy.sparse.csgraph import connected_components

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
    yield from nested_families(spec.nesting, spec.dimensions, spec.views)


def nested_families(
    nesting: Mapping[str, tuple[str, Mapping[str, str]]],
    dimensions: Mapping[str, Sequence[str]],
    views: Sequence[tuple[str, ...]],
) -> list[tuple[Population, list[Population]]]:
    """What a reader knows of dimensions that are functions of another (a quarter of its
    sessions): each group of the derived dimension is made of the base groups mapped to it,
    whenever both one-way views are published."""
    found = []
    for derived, (base, mapping) in nesting.items():
        if (derived,) in views and (base,) in views:
            for group in dimensions[derived]:
                children = [((base, b),) for b in dimensions[base] if mapping[b] == group]
                found.append((((derived, group),), children))
    return found


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
    """The value ``release`` shows for ``key`` (None: hidden, or a row it does not publish)."""
    pop, item, column = key
    if item is None:
        return release.sizes[pop]
    row = release.items[item].get(pop)
    return None if row is None else row[column]


def unpublished(release: ProtectedRelease, key: Key) -> bool:
    """Whether ``key`` is in a question row that a breakdown leaves out: not a hidden value
    (no ``c`` is shown for it), so no rule asks anything of it."""
    pop, item, _column = key
    return item is not None and pop not in release.items[item]


@dataclass
class Ranges:
    """The integer (min, max) of every hidden cell, from the published release alone."""

    ranges: dict[Key, tuple[int, int]]
    #: for unanimous counts: how many of those who answered could have chosen otherwise
    shortfall: dict[Key, tuple[int, int]]


#: What a reader learns from elsewhere (a year-on-year table): ``sum(coef * cell) <= bound``.
Bound = tuple[list[tuple[Key, float]], float]


def hidden_ranges(
    spec: ReleaseInput,
    release: ProtectedRelease | None,
    only: set[Key] | None = None,
    extra: Sequence[Bound] = (),
) -> Ranges:
    """Ranges of the hidden cells of ``release``.

    With ``release=None`` every non-zero value except the overall count is taken as hidden:
    the most any release could hide. ``only`` limits which cells are solved. ``extra`` adds
    what a reader learns from another publication, as linear bounds on this release's cells.
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
        relations: Sequence[Sequence[tuple[Key, float]]],
        bounds_of: Sequence[float] | None = None,
    ) -> tuple[coo_matrix, np.ndarray]:
        r: list[int] = []
        c: list[int] = []
        v: list[float] = []
        rhs: list[float] = []
        for number, relation in enumerate(relations):
            constant = -bounds_of[number] if bounds_of is not None else 0.0
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
            else:
                assert constant <= 1e-9, "a bound on shown values that they break"
        matrix = coo_matrix((v, (r, c)), shape=(len(rhs), len(hidden)))
        return matrix, np.array(rhs)

    eq, eq_rhs = build(rows)
    relations = [[(key, float(coef)) for key, coef in relation] for relation in less]
    relations += [relation for relation, _bound in extra]
    ub, ub_rhs = build(relations, [0.0] * len(less) + [bound for _relation, bound in extra])
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
    if 0 < size < k and value > 0 and spec.is_public(pop):
        return min(k_cell, size)  # a group whose size every reader knows
    if 0 < value < k_cell or (0 < size < k and value > 0):
        return k_cell  # P2, or any count of a group smaller than k
    item = next(i for i in spec.items if i.id == item_id)
    row = item.counts[pop]
    answered = size - row[NO_ANSWER]
    if (
        release.sizes[pop] is not None
        and item.sensitive
        and column != NO_ANSWER
        and answered > 0
        and value == answered
    ):
        return k_cell  # the unanimous count itself
    return 1 if value > 0 or not _zero_above(spec, release, key) else 0


def _zero_above(spec: ReleaseInput, release: ProtectedRelease, key: Key) -> bool:
    """Whether a shown zero for a larger group (same column) already says that ``key`` is 0."""
    pop, item_id, column = key
    inside = set(pop)
    for other in release.sizes:
        if set(other) < inside:
            shown = (
                release.sizes[other] if item_id is None else release.items[item_id][other][column]
            )
            if shown == 0:
                return True
    return False


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
        if unpublished(release, key):
            continue
        shown = published(release, key)
        small = 0 < spec.sizes[pop] < k
        pop_hidden = release.sizes[pop] is None or (spec.is_public(pop) and small)
        if item_id is None and 0 < value < k and not spec.is_public(pop):
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
    # nested: no shown parent and child 1..k-1 apart
    for parent, children in families(spec):
        for child in children:
            if spec.is_public(child):
                continue
            a, b = release.sizes[parent], release.sizes[child]
            if a is not None and b is not None:
                assert not 0 < a - b < k, (parent, child)
    ranges = hidden_ranges(
        spec, release, only=None if sample is None else sample_hidden(release, sample)
    )
    audit = {(e.population, e.item, e.column): e for e in release.audit}
    for key, (low, high) in ranges.ranges.items():
        if unpublished(release, key):
            continue
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
        if release.sizes[key[0]] is not None and not unpublished(release, key):
            assert gap >= min(k_cell, answered), (
                f"{key}: unanimity recoverable ({gap} could differ)"
            )
    return ranges


def confirm_impossible(spec: ReleaseInput, k_cell: int, key: Key) -> None:
    """Assert that no release could protect ``key``, even hiding every non-zero value but one.

    Used when the engine leaves out an item cell it cannot protect.
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


# --- the questionnaire-aware attacker (issue 9) ------------------------------------------------
#
# Everything below is the attacker of DESIGN.md section 6 as issue 9 states it: a reader who
# knows every published number *and* the questionnaire (what every respondent saw). It reads
# only what the release publishes (its views and the item rows it carries), builds every
# relation that reader knows, fixes every shown value, and asks ``milp`` how far each hidden
# value can move. See /work/notes/issue9-attacker.md.

Population = tuple[tuple[str, str], ...]
SIZE = "Total"

#: How much the attacker knows. ``"tables"``: the published tables' arithmetic alone (sums,
#: row sums, multiple-choice bounds). ``"brief"``: plus the questionnaire as issue 9's brief
#: lists it (routing, answered-with, an answer is a non-empty set, each exclusive option with
#: each other option fits among those who answered) and the zeros rule. ``"full"`` (the
#: default): plus what follows from the same facts -- all exclusive options together with any
#: other option fit among those who answered, and a routed item's answered count is at most its
#: parent's.
Knowledge = Literal["tables", "brief", "full"]


@dataclass(frozen=True)
class Facts:
    """What every respondent saw about one item (the questionnaire, not the counts)."""

    kind: str
    sensitive: bool
    options: tuple[str, ...]
    exclusive_options: tuple[str, ...] = ()
    opened_by: tuple[str, tuple[str, ...]] | None = None
    answered_with: str | None = None
    opened_by_any: tuple[tuple[str, tuple[str, ...]], ...] = ()


def facts_of(spec: ReleaseInput) -> dict[str, Facts]:
    """The questionnaire facts carried by the release input itself."""
    return {
        item.id: Facts(
            kind=item.kind,
            sensitive=item.sensitive,
            options=tuple(item.options),
            exclusive_options=tuple(item.exclusive_options),
            opened_by=item.opened_by,
            answered_with=item.answered_with,
            opened_by_any=item.opened_by_any,
        )
        for item in spec.items
    }


def questionnaire_facts(path: Path, spec: ReleaseInput) -> dict[str, Facts]:
    """What respondents saw, read from the questionnaire file itself (not from the release
    input the engine is given), so that the engine's own knowledge is checked too."""
    from survey_app.domain.loading import load_questionnaire
    from survey_app.domain.model import QuestionType

    questionnaire = load_questionnaire(path)
    facts: dict[str, Facts] = {}
    for item in spec.items:
        question = questionnaire.question(item.id.split("__")[0])
        multiple = question.type is QuestionType.MULTIPLE_CHOICE
        routes: tuple[tuple[str, tuple[str, ...]], ...] = ()
        if question.show_if is not None:
            conditions = question.show_if.conditions
            if not any(questionnaire.question(c.question).demographic for c in conditions):
                routes = tuple((c.question, tuple(c.any_of)) for c in conditions)
        facts[item.id] = Facts(
            kind="multiple" if multiple else "exclusive",
            sensitive=question.sensitive,
            options=tuple(o.value for o in question.options) or item.options,
            exclusive_options=tuple(o.value for o in question.options if o.exclusive and multiple),
            opened_by=routes[0] if len(routes) == 1 else None,
            opened_by_any=routes if len(routes) > 1 else (),
        )
    return facts


def view_populations(
    dimensions: Mapping[str, Sequence[str]], views: Sequence[tuple[str, ...]]
) -> list[Population]:
    """Every population of ``views`` (margins included), everyone first."""
    found: dict[Population, None] = {(): None}
    for view in views:
        for size in range(1, len(view) + 1):
            for dims in itertools.combinations(view, size):
                for groups in itertools.product(*(dimensions[d] for d in dims)):
                    found[tuple(sorted(zip(dims, groups, strict=True)))] = None
    return list(found)


def view_families(
    dimensions: Mapping[str, Sequence[str]], views: Sequence[tuple[str, ...]]
) -> list[tuple[Population, list[Population]]]:
    """``(parent, children)`` for every partition a view publishes: a population and its
    groups along one more dimension of the view."""
    found: dict[tuple[Population, tuple[Population, ...]], None] = {}
    for view in views:
        for size in range(len(view)):
            for fixed in itertools.combinations(view, size):
                for groups in itertools.product(*(dimensions[d] for d in fixed)):
                    parent = tuple(sorted(zip(fixed, groups, strict=True)))
                    for dim in view:
                        if dim in fixed:
                            continue
                        children = tuple(
                            tuple(sorted((*parent, (dim, g)))) for g in dimensions[dim]
                        )
                        found[(parent, children)] = None
    return [(parent, list(children)) for parent, children in found]


@dataclass(frozen=True)
class Breach:
    """One way a release breaks the rules: which cell, which rule, what the attacker found."""

    cell: Key
    rule: str
    value: int
    need: int = 0
    found: tuple[int, int] | None = None
    detail: str = ""

    def __str__(self) -> str:
        pop, item, column = self.cell
        where = f"{'/'.join(f'{d}={g}' for d, g in pop) or 'everyone'} {item or 'size'}:{column}"
        text = f"{self.rule} at {where} (true {self.value})"
        if self.found is not None:
            text += f": range {self.found[0]}..{self.found[1]}"
        if self.need:
            text += f", needs {self.need}"
        return f"{text} {self.detail}".rstrip()


@dataclass
class Attack:
    """What the attacker learned. ``ranges`` holds, for every hidden cell examined, a range the
    cell can certainly take (both ends attained by integer tables fitting everything published);
    it is the exact integer range for cells in ``exact`` (every breach's cell is exact unless
    the breach says otherwise)."""

    ranges: dict[Key, tuple[int, int]]
    exact: set[Key]
    breaches: list[Breach]
    solves: int = 0
    #: findings stricter than section 6 as the brief states it (see ``Attacker``): a unanimous
    #: count whose group cannot be shown to have had k_cell people answering otherwise
    advisories: list[Breach] = field(default_factory=list)

    def report(self, limit: int = 20) -> str:
        lines = [str(b) for b in self.breaches[:limit]]
        if len(self.breaches) > limit:
            lines.append(f"... and {len(self.breaches) - limit} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Need:
    """What one hidden cell must allow."""

    width: int
    why: str
    #: P3: the value must be able to fall this far, and the rest of those who answered must be
    #: able to reach this many (0: not a unanimous count)
    fall: int = 0


class _System:
    """Integer programme over some hidden cells: ``lb <= A x <= ub``, ``lo <= x <= hi``."""

    def __init__(
        self, matrix: csr_matrix, lb: np.ndarray, ub: np.ndarray, lo: np.ndarray, hi: np.ndarray
    ) -> None:
        self.matrix, self.lb, self.ub, self.lo, self.hi = matrix, lb, ub, lo, hi
        # the same constraints in linprog's form, for the linear relaxation
        equal = lb == ub
        upper = ~equal & np.isfinite(ub)
        lower = ~equal & np.isfinite(lb)
        self.a_eq, self.b_eq = matrix[equal], lb[equal]
        self.a_ub = vstack([matrix[upper], -matrix[lower]]).tocsr()
        self.b_ub = np.concatenate([ub[upper], -lb[lower]])

    def fits(self, x: np.ndarray) -> bool:
        """Whether ``x`` (integers) satisfies every constraint exactly."""
        activity = self.matrix @ x
        return bool(
            np.all(activity >= self.lb)
            and np.all(activity <= self.ub)
            and np.all(x >= self.lo)
            and np.all(x <= self.hi)
        )

    def optimise(
        self, cost: np.ndarray, time_limit: float
    ) -> tuple[float, float, np.ndarray | None]:
        """Minimise ``cost @ x`` over integers: (best value found, proven lower bound, the
        table found). The linear relaxation first: when its optimum is integral, it is the
        integer optimum."""
        relaxed = linprog(
            cost,
            A_ub=self.a_ub if self.a_ub.shape[0] else None,
            b_ub=self.b_ub if self.a_ub.shape[0] else None,
            A_eq=self.a_eq if self.a_eq.shape[0] else None,
            b_eq=self.b_eq if self.a_eq.shape[0] else None,
            bounds=np.column_stack([self.lo, self.hi]),
            method="highs",
        )
        if relaxed.status == 0:
            x = np.round(relaxed.x)
            if np.all(np.abs(relaxed.x - x) < 1e-9) and self.fits(x):
                found = float(cost @ x)
                return found, found, x
        constraints = (
            [LinearConstraint(self.matrix, self.lb, self.ub)] if self.matrix.shape[0] else []
        )
        result = milp(
            cost,
            integrality=np.ones(len(cost)),
            bounds=Bounds(self.lo, self.hi),
            constraints=constraints,
            options={"time_limit": time_limit},
        )
        if result.x is None:
            raise AssertionError(f"attacker model infeasible or unsolved: {result.message}")
        x = np.round(result.x)
        if not self.fits(x):
            raise AssertionError("the integer programme returned a table that does not fit")
        found = float(cost @ x)
        if result.status == 0:
            return found, found, x
        bound = getattr(result, "mip_dual_bound", None)
        return found, (-np.inf if bound is None else float(np.ceil(bound - 1e-6))), x

    def relaxed_minimum(self, cost: np.ndarray) -> float:
        """The minimum of ``cost @ x`` over real numbers (a bound for the integer minimum)."""
        relaxed = linprog(
            cost,
            A_ub=self.a_ub if self.a_ub.shape[0] else None,
            b_ub=self.b_ub if self.a_ub.shape[0] else None,
            A_eq=self.a_eq if self.a_eq.shape[0] else None,
            b_eq=self.b_eq if self.a_eq.shape[0] else None,
            bounds=np.column_stack([self.lo, self.hi]),
            method="highs",
        )
        if relaxed.status != 0:
            raise AssertionError(f"attacker relaxation unsolved: {relaxed.message}")
        return float(relaxed.fun)

    def spread(
        self, gains: list[tuple[int, float, float, float]], time_limit: float
    ) -> np.ndarray | None:
        """An integer table that maximises the sum of ``min(sign * (x[j] - start), cap)`` over
        ``gains`` = ``(j, start, cap, sign)``, or ``None`` if none was found in time."""
        n, m = len(self.lo), len(gains)
        rows = np.arange(m)
        cols = np.array([j for j, _, _, _ in gains])
        signs = np.array([sign for _, _, _, sign in gains])
        starts = np.array([start for _, start, _, _ in gains])
        # t_j - sign * x_j <= -sign * start
        link = csr_matrix(
            (
                np.concatenate([np.ones(m), -signs]),
                (np.concatenate([rows, rows]), np.concatenate([n + rows, cols])),
            ),
            shape=(m, n + m),
        )
        a_ub = vstack(
            [
                csr_matrix(
                    (self.a_ub.data, self.a_ub.indices, self.a_ub.indptr),
                    shape=(self.a_ub.shape[0], n + m),
                ),
                link,
            ]
        ).tocsr()
        b_ub = np.concatenate([self.b_ub, -signs * starts])
        a_eq = csr_matrix(
            (self.a_eq.data, self.a_eq.indices, self.a_eq.indptr), shape=(self.a_eq.shape[0], n + m)
        )
        cost = np.concatenate([np.zeros(n), -np.ones(m)])
        lower = np.concatenate([self.lo, np.full(m, -np.inf)])
        upper = np.concatenate([self.hi, np.array([cap for _, _, cap, _ in gains])])
        relaxed = linprog(
            cost,
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=a_eq if a_eq.shape[0] else None,
            b_eq=self.b_eq if a_eq.shape[0] else None,
            bounds=np.column_stack([lower, upper]),
            method="highs",
        )
        if relaxed.status == 0:
            x: np.ndarray = np.round(relaxed.x[:n])
            if np.all(np.abs(relaxed.x[:n] - x) < 1e-9) and self.fits(x):
                return x
        result = milp(
            cost,
            integrality=np.concatenate([np.ones(n), np.zeros(m)]),
            bounds=Bounds(lower, upper),
            constraints=[
                LinearConstraint(
                    vstack([a_ub, a_eq]).tocsr(),
                    np.concatenate([np.full(len(b_ub), -np.inf), self.b_eq]),
                    np.concatenate([b_ub, self.b_eq]),
                )
            ],
            options={"time_limit": min(time_limit, 5.0)},
        )
        if result.x is None:
            return None
        x = np.round(result.x[:n])
        return x if self.fits(x) else None


class Attacker:
    """The reader of DESIGN.md section 6 who also knows the questionnaire.

    What it knows (``knowledge``, ``facts``; default: everything, with the facts carried by
    ``spec``): every published number (a view is published iff it is in ``release.views``; an
    item's row for a population iff ``release.items`` has it) and every relation among them
    whose cells are all published -- groups add up to their parent in every view, for sizes and
    for every item column; a single-choice row adds up to its size; multiple choice: an answer is
    a non-empty set and exclusive options are ticked alone; routing; items answered with each
    other; everything is a non-negative integer. The zeros rule (hidden sizes, and hidden counts
    in a row with an option shown, are at least 1) is knowledge only with ``zeros_shown=True``:
    the engine hides zeros as complements, so by default a reader cannot assume it (the tests
    still show what it would give away).

    What it asks (``attack()``): every published value is true; nothing is refused; a hidden
    size of 0 < n < k (or one the nested rule protects) moves by k; a hidden count of
    0 < x < k_cell, or any non-zero count in a group of 0 < n < k, moves by k_cell; a sensitive
    group's unanimous count can fall by min(k_cell, value); every other hidden value can move.
    Stricter findings go to ``Attack.advisories``: a unanimous count whose group can never have
    had min(k_cell, answered) people answering otherwise.

    With ``exact=True`` every hidden cell gets its exact integer min and max; otherwise only as
    many programmes are solved as it takes to prove each cell safe or to find its exact range
    (integer tables found on the way are kept and prove other cells too).
    """

    time_limit = 30.0

    def __init__(
        self,
        spec: ReleaseInput,
        release: ProtectedRelease,
        facts: Mapping[str, Facts] | None = None,
        knowledge: Knowledge = "full",
        zeros_shown: bool = False,
    ) -> None:
        self.spec, self.release, self.knowledge = spec, release, knowledge
        self.zeros_shown = zeros_shown
        self.facts = dict(facts) if facts is not None else facts_of(spec)
        self.k, self.k_cell = release.k, release.k_cell
        self.dims = {d: tuple(g) for d, g in spec.dimensions.items()}
        self.views = tuple(tuple(v) for v in release.views)
        self.pops = view_populations(self.dims, self.views)
        self.total = spec.sizes[()]
        self.breaches: list[Breach] = []
        self.advisories: list[Breach] = []
        self.solves = 0
        self.counts = {item.id: item.counts for item in spec.items}
        # every published cell and what it shows
        self.shown: dict[Key, int | None] = {}
        for pop in self.pops:
            if pop not in release.sizes:
                raise AssertionError(f"published population {pop} has no size in the release")
            self.shown[(pop, None, SIZE)] = release.sizes[pop]
        pop_set = set(self.pops)
        for item_id, rows in release.items.items():
            for pop, row in rows.items():
                if pop not in pop_set:
                    self._breach((pop, item_id, NO_ANSWER), "row outside the published views", 0)
                for column, value in row.items():
                    self.shown[(pop, item_id, column)] = value

    # --- truth and requirements ---------------------------------------------------------------

    def truth(self, key: Key) -> int:
        pop, item, column = key
        if item is None:
            return self.spec.sizes[pop]
        return self.counts[item][pop][column]

    def _breach(
        self, key: Key, rule: str, need: int = 0, *, advisory: bool = False, **kw: object
    ) -> None:
        value = self.truth(key) if key[0] in self.spec.sizes else 0
        if value == 0 and kw.get("found") == (0, 0) and self._under_a_published_zero(key):
            # a zero that a published zero already gives away (the "whole row" of a small
            # group under a column whose total is a shown 0): nothing to protect, but DESIGN
            # asks max > min of every hidden value -- reported apart for the team to decide
            rule, advisory = "hidden zero under a published zero", True
        found = Breach(key, rule, value, need, **kw)  # type: ignore[arg-type]
        (self.advisories if advisory else self.breaches).append(found)

    def _under_a_published_zero(self, key: Key) -> bool:
        pop, item, column = key
        inside = set(pop)
        return any(
            set(other) < inside and self.shown.get((other, item, column)) == 0
            for other in self.pops
        )

    def _nested_sizes(self) -> set[Key]:
        """Hidden sizes the nested rule protects: a parent and child of a published partition
        one of which is hidden and which differ by 1..k-1 (both shown is a breach), and any
        size the audit marks "nested"."""
        found: set[Key] = {
            (e.population, None, SIZE)
            for e in self.release.audit
            if e.item is None and e.rule == "nested"
        }
        for parent, children in [
            *view_families(self.dims, self.views),
            *nested_families(self.spec.nesting, self.dims, self.views),
        ]:
            for child in children:
                gap = self.spec.sizes[parent] - self.spec.sizes[child]
                if not 0 < gap < self.k or self.spec.is_public(child):
                    continue  # (a public child: both sizes are known to everyone anyway)
                a, b = (parent, None, SIZE), (child, None, SIZE)
                if self.shown[a] is not None and self.shown[b] is not None:
                    self._breach(b, "nested: parent and child both shown", detail=f"gap {gap}")
                elif self.shown[a] is None and self.shown[b] is not None:
                    found.add(a)
                elif self.shown[b] is None and self.shown[a] is not None:
                    found.add(b)
        return found

    def _needs(self) -> dict[Key, _Need]:
        """Every published cell the rules ask something of (shown ones are breaches)."""
        k, k_cell = self.k, self.k_cell
        nested = self._nested_sizes()
        needs: dict[Key, _Need] = {}
        for key in self.shown:
            pop, item_id, column = key
            value = self.truth(key)
            size = self.spec.sizes[pop]
            if item_id is None:
                if self.spec.is_public(pop):
                    needs[key] = _Need(0, "public size")  # every reader knows it already
                    continue
                if 0 < value < k:
                    needs[key] = _Need(k, "P1 size")
                elif key in nested:
                    needs[key] = _Need(k, "nested size")
                else:
                    needs[key] = _Need(1, "size")
                continue
            facts = self.facts[item_id]
            row = self.counts[item_id][pop]
            answered = size - row[NO_ANSWER]
            if 0 < size < k and value > 0:
                # a reader who knows the group's size can never be left with more than 0..size
                width = min(k_cell, size) if self.spec.is_public(pop) else k_cell
                need = _Need(width, "P1 row count")
            elif column != NO_ANSWER and 0 < value < k_cell:
                need = _Need(k_cell, "P2 count")
            else:
                need = _Need(1, "count")
            if facts.sensitive and column != NO_ANSWER and answered > 0 and value == answered:
                need = _Need(need.width, need.why + ", P3 unanimous", min(k_cell, value))
            needs[key] = need
        return needs

    # --- the relations the reader knows -------------------------------------------------------

    def _relations(self) -> list[tuple[Sequence[tuple[Key, float]], float, float]]:
        """Every relation between published cells, as ``(terms, low, high)``: low <= sum <= high."""
        rel: list[tuple[Sequence[tuple[Key, float]], float, float]] = []
        shown = self.shown

        def add(terms: Sequence[tuple[Key, float]], low: float, high: float) -> None:
            if all(key in shown for key, _ in terms):
                rel.append((terms, low, high))

        inf = np.inf
        for parent, children in [
            *view_families(self.dims, self.views),
            *nested_families(self.spec.nesting, self.dims, self.views),
        ]:
            add([((c, None, SIZE), 1.0) for c in children] + [((parent, None, SIZE), -1.0)], 0, 0)
            for item_id, facts in self.facts.items():
                for column in (*facts.options, NO_ANSWER):
                    add(
                        [((c, item_id, column), 1.0) for c in children]
                        + [((parent, item_id, column), -1.0)],
                        0,
                        0,
                    )
        full = self.knowledge == "full"
        questionnaire = self.knowledge != "tables"
        for pop in self.pops:
            size = (pop, None, SIZE)
            for item_id, facts in self.facts.items():
                na = (pop, item_id, NO_ANSWER)
                opts = [(pop, item_id, o) for o in facts.options]
                if facts.kind == "exclusive":
                    add([(o, 1.0) for o in opts] + [(na, 1.0), (size, -1.0)], 0, 0)
                    continue
                # answered = size - na
                add([(na, 1.0), (size, -1.0)], -inf, 0)
                alone = (
                    [(pop, item_id, e) for e in facts.exclusive_options] if questionnaire else []
                )
                if not full:
                    for o in opts:
                        add([(o, 1.0), (na, 1.0), (size, -1.0)], -inf, 0)
                    for e in alone:
                        for o in opts:
                            if o != e:
                                add([(e, 1.0), (o, 1.0), (na, 1.0), (size, -1.0)], -inf, 0)
                else:
                    # exclusive options are ticked alone, so those who ticked one of them and
                    # those who ticked any one other option are different people
                    for o in opts:
                        group = [o, *(e for e in alone if e != o)]
                        add([(c, 1.0) for c in group] + [(na, 1.0), (size, -1.0)], -inf, 0)
                if questionnaire:
                    # an answer is a non-empty set
                    add([(o, 1.0) for o in opts] + [(na, 1.0), (size, -1.0)], 0, inf)
            if not questionnaire:
                continue
            for item_id, facts in self.facts.items():
                na = (pop, item_id, NO_ANSWER)
                if facts.opened_by is not None:
                    parent_id, opening = facts.opened_by
                    # answered <= the parent's counts of the answers that open it
                    add(
                        [(size, 1.0), (na, -1.0)] + [((pop, parent_id, o), -1.0) for o in opening],
                        -inf,
                        0,
                    )
                    if full:
                        # ... and <= those who answered the parent at all
                        add([((pop, parent_id, NO_ANSWER), 1.0), (na, -1.0)], -inf, 0)
                if facts.opened_by_any:
                    # asked if any of several answers was given: answered <= all their counts
                    add(
                        [(size, 1.0), (na, -1.0)]
                        + [
                            ((pop, parent_id, o), -1.0)
                            for parent_id, opening in facts.opened_by_any
                            for o in opening
                        ],
                        -inf,
                        0,
                    )
                if facts.answered_with is not None:
                    add([(na, 1.0), ((pop, facts.answered_with, NO_ANSWER), -1.0)], 0, 0)
        return rel

    # --- solving -----------------------------------------------------------------------------

    def attack(self, exact: bool = False) -> Attack:
        """Check every rule on every published cell; ``exact``: every hidden cell's exact range."""
        for key, value in self.shown.items():
            if value is not None and value != self.truth(key):
                self._breach(key, "published value differs from the truth", detail=f"shows {value}")
        everyone = ((), None, SIZE)
        if self.total < self.k:
            # P0: only the overall count
            for key, value in self.shown.items():
                if key != everyone and value is not None:
                    self._breach(key, "P0: shown below k respondents")
            if self.shown[everyone] is None:
                self._breach(everyone, "P0: overall count hidden")
            return Attack({}, set(), self.breaches, 0, self.advisories)
        if self.shown[everyone] is None:
            self._breach(everyone, "overall count hidden")
        needs = self._needs()
        for key, need in needs.items():
            if self.shown[key] is not None and (need.width > 1 or need.fall):
                self._breach(key, f"{need.why} shown", need.width)
        keys = [key for key, value in self.shown.items() if value is None]
        index = {key: i for i, key in enumerate(keys)}
        truth = np.array([self.truth(key) for key in keys], dtype=float)
        lo = np.zeros(len(keys))
        hi = np.full(len(keys), float(self.total))
        # the zeros rule: hidden sizes, and hidden counts in a row with an option shown, are >= 1
        shown_option = {
            (pop, item_id)
            for (pop, item_id, column), value in self.shown.items()
            if item_id is not None and column != NO_ANSWER and value is not None
        }
        for key, i in index.items():
            pop, item_id, _ = key
            floored = item_id is None or (pop, item_id) in shown_option
            if self.knowledge != "tables" and self.zeros_shown and floored:
                if truth[i] >= 1:
                    lo[i] = 1
                else:
                    self._breach(key, "zeros promise broken: hidden zero")
        # every reader knows every public size, published or not
        for key, i in index.items():
            if key[1] is None and self.spec.is_public(key[0]):
                lo[i] = hi[i] = truth[i]
        matrix, lb, ub = self._programme(index)
        activity = matrix @ truth
        bad = np.flatnonzero((activity < lb - 1e-9) | (activity > ub + 1e-9))
        if len(bad):
            raise AssertionError(f"the true tables break {len(bad)} of the attacker's relations")
        state = _State(truth)
        run = _Run(self, keys, [needs[key] for key in keys], matrix, lb, ub, state, exact)
        if not exact:
            # first with hidden sizes held at their true values: small programmes whose integer
            # tables also fit everything published, so they prove most cells cheaply
            sizes = [i for i, key in enumerate(keys) if key[1] is None]
            narrow_lo, narrow_hi = lo.copy(), hi.copy()
            narrow_lo[sizes] = truth[sizes]
            narrow_hi[sizes] = truth[sizes]
            # (a count cannot move by more than its group's size while the size stays put)
            hopeful = {
                i
                for i, key in enumerate(keys)
                if key[1] is not None and needs[key].width <= self.spec.sizes[key[0]]
            }
            run.solve(narrow_lo, narrow_hi, final=False, wanted=hopeful)
            run.solve_locally(narrow_lo, narrow_hi, self, wanted=hopeful, people_move=False)
            # then, in large releases, a few groups at a time: people moved between a group
            # and one partner per dimension, everything else held at its true value
            run.keep_moves = True
            run.solve_locally(lo, hi, self, people_move=True)
            run.combine_moves(lo, hi)
        run.solve(lo, hi, final=True)
        ranges = {key: (int(state.low[i]), int(state.high[i])) for i, key in enumerate(keys)}
        exact_keys = {keys[i] for i in state.top & state.bottom}
        return Attack(ranges, exact_keys, self.breaches, self.solves, self.advisories)

    def neighbourhood(self, pop: Population, partners: Mapping[str, str]) -> list[Population]:
        """The populations whose values change when people move between ``pop`` and its
        partner groups (one per dimension of ``pop``): for a one-way group, it and its partner
        and their two-way cells; for a two-way cell, the box it makes with its partners and
        the box's margins."""
        allowed = {d: {g, partners[d]} for d, g in pop}
        found = []
        for other in self.pops:
            dims = dict(other)
            if not set(dims) & set(allowed):
                continue
            if len(pop) == 2 and set(dims) - set(allowed):
                continue
            if all(dims[d] in allowed[d] for d in dims if d in allowed):
                found.append(other)
        return found

    def partner_choices(
        self, pop: Population, per_dimension: int = 2, *, people_move: bool = True
    ) -> list[dict[str, str]]:
        """Partner groups worth trying for ``pop``: per dimension, the largest groups (whose
        population beside ``pop`` is hidden, if people are to move)."""
        options: list[list[tuple[str, str]]] = []
        for d, g in pop:
            siblings = []
            for other in self.dims[d]:
                if other == g:
                    continue
                beside = tuple(sorted((*(x for x in pop if x[0] != d), (d, other))))
                if beside in self.spec.sizes and (
                    not people_move or self.shown.get((beside, None, SIZE), 0) is None
                ):
                    siblings.append((self.spec.sizes[beside], other))
            siblings.sort(reverse=True)
            options.append([(d, other) for _, other in siblings[:per_dimension]])
        return [dict(combo) for combo in itertools.product(*options)]

    def _programme(self, index: Mapping[Key, int]) -> tuple[csr_matrix, np.ndarray, np.ndarray]:
        """The relations over the hidden cells (shown ones moved to the bounds)."""
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lbs: list[float] = []
        ubs: list[float] = []
        for terms, low, high in self._relations():
            constant = 0.0
            used = []
            for key, coef in terms:
                if key in index:
                    used.append((index[key], coef))
                else:
                    constant += coef * self.truth(key)
            if not used:
                continue
            for c, coef in used:
                rows.append(len(lbs))
                cols.append(c)
                vals.append(coef)
            lbs.append(low - constant)
            ubs.append(high - constant)
        matrix = csr_matrix((vals, (rows, cols)), shape=(len(lbs), len(index)))
        return matrix, np.array(lbs), np.array(ubs)


@dataclass
class _State:
    """The lowest and highest value of every hidden cell in the integer tables found so far
    (the true one first), and which of those ends are proved optimal."""

    base: np.ndarray
    low: np.ndarray = field(init=False)
    high: np.ndarray = field(init=False)
    top: set[int] = field(default_factory=set)
    bottom: set[int] = field(default_factory=set)
    unanimity_hidden: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.low = self.base.copy()
        self.high = self.base.copy()

    def record(self, cells: np.ndarray, x: np.ndarray) -> None:
        self.low[cells] = np.minimum(self.low[cells], x)
        self.high[cells] = np.maximum(self.high[cells], x)

    def wide_enough(self, i: int, need: _Need) -> bool:
        ok = self.high[i] - self.low[i] >= need.width
        if need.fall:
            ok = ok and self.base[i] - self.low[i] >= need.fall
        return bool(ok)


class _Run:
    """One attack's programmes: proves cells safe with integer tables, or finds exact ranges."""

    def __init__(
        self,
        attacker: Attacker,
        keys: list[Key],
        needs: list[_Need],
        matrix: csr_matrix,
        lb: np.ndarray,
        ub: np.ndarray,
        state: _State,
        exact: bool,
    ) -> None:
        self.attacker, self.keys, self.needs = attacker, keys, needs
        self.matrix, self.columns, self.lb, self.ub = matrix, matrix.tocsc(), lb, ub
        self.state, self.exact = state, exact
        self.position = {key: i for i, key in enumerate(keys)}
        self.moves: list[tuple[np.ndarray, np.ndarray]] = []

    def solve(
        self, lo: np.ndarray, hi: np.ndarray, *, final: bool, wanted: set[int] | None = None
    ) -> None:
        """Settle every cell (of ``wanted``) not yet proved, component by component (cells held
        fixed are constants). ``final``: the whole system, so a cell still short is a breach."""
        state = self.state
        free = np.flatnonzero(lo < hi)
        for component in _components(self.matrix, free):
            todo = [
                int(i)
                for i in component
                if (wanted is None or int(i) in wanted)
                and ((final and self.exact) or not self._proved(int(i)))
            ]
            if not todo:
                continue
            if not final and len(component) > self.full_limit:
                continue  # see solve_locally
            if final and len(component) > self.full_limit and not self.exact:
                # the few cells nothing proved yet: their own integer programmes over the whole
                # component (a table found proves them), then a bound from outside
                left = [i for i in todo if not self._proved(i)]
                if left and len(left) <= self.last_tries:
                    system = self._system(component, lo, hi)
                    where = {int(g): j for j, g in enumerate(component)}
                    for i in left:
                        unit = np.zeros(len(component))
                        unit[where[i]] = 1.0
                        for direction in (-unit, unit):
                            if not self.state.wide_enough(i, self.needs[i]):
                                self._optimise(system, component, direction)
                for i in left:
                    if not self._proved(i):
                        self._bound_from_outside(i, lo, hi)
                continue
            system = self._system(component, lo, hi)
            where = {int(g): j for j, g in enumerate(component)}
            if not self.exact:
                self._push_together(todo, component, where, system)
            for i in todo:
                need = self.needs[i]
                if final or need.width > 1 or need.fall:
                    # (a value that cannot move at all while the sizes stay put is rarely a
                    # breach: leave it to the whole system)
                    self._settle(i, component, where, system, final)
        if final:
            for fixed in np.flatnonzero(lo >= hi):
                state.top.add(int(fixed))
                state.bottom.add(int(fixed))
                self._judge(int(fixed))

    #: components larger than this are not solved whole (a linear programme over tens of
    #: thousands of cells takes minutes): see :meth:`solve_locally` and
    #: :meth:`_bound_from_outside`
    full_limit = 1500
    #: at most this many cells still unproved in a large component get programmes of their own
    last_tries = 40

    def solve_locally(
        self,
        lo: np.ndarray,
        hi: np.ndarray,
        attacker: Attacker,
        *,
        wanted: set[int] | None = None,
        people_move: bool,
    ) -> None:
        """Prove cells of large components in small neighbourhoods (see
        :meth:`Attacker.neighbourhood`), everything outside held at its true value: any table
        found fits everything published."""
        free = np.flatnonzero(lo < hi)
        large = [c for c in _components(self.matrix, free) if len(c) > self.full_limit]
        if not large:
            return
        by_pop: dict[Population, list[int]] = {}
        for i in np.concatenate(large):
            by_pop.setdefault(self.keys[int(i)][0], []).append(int(i))

        def open_cells(pop: Population) -> list[int]:
            return [
                i
                for i in by_pop.get(pop, [])
                if (wanted is None or i in wanted) and not self._proved(i)
            ]

        for pop in sorted(by_pop, key=lambda p: (-len(p), p)):
            if not pop or not open_cells(pop):
                continue
            for partners in attacker.partner_choices(pop, people_move=people_move):
                cells = sorted(
                    i for q in attacker.neighbourhood(pop, partners) for i in by_pop.get(q, [])
                )
                component = np.array(cells, dtype=int)
                system = self._system(component, lo, hi)
                where = {int(g): j for j, g in enumerate(component)}
                todo = [i for i in cells if (wanted is None or i in wanted) and not self._proved(i)]
                self._push_together(todo, component, where, system)
                for i in open_cells(pop):
                    need = self.needs[i]
                    # one programme per cell only where tables at random are unlikely to
                    # settle it: sizes (when people move) and primary counts
                    if self.keys[i][1] is None if people_move else need.width > 1 or need.fall:
                        self._settle(i, component, where, system, final=False)
                if not open_cells(pop):
                    break

    def _bound_from_outside(self, i: int, lo: np.ndarray, hi: np.ndarray) -> None:
        """A cell of a large component that no table found so far proves safe: bound its range
        from outside with the linear relaxation of the relations near it (fewer relations, so
        a range at least as wide as the true one): those through the cell, then those within
        two steps. Too narrow even so: a breach; otherwise the cell is reported as not proved."""
        state, need, key = self.state, self.needs[i], self.keys[i]
        cells = np.array([i])
        outer = (0, 0)
        for _ in range(2):
            rows = np.unique(self.columns[:, cells].nonzero()[0])
            cells = np.unique(np.concatenate([[i], self.matrix[rows].nonzero()[1]]))
            cells = cells[(lo[cells] < hi[cells]) | (cells == i)]
            sub = self.matrix[rows]
            inside = np.zeros(len(self.keys), dtype=bool)
            inside[cells] = True
            shift = sub[:, ~inside] @ self.state.base[~inside]
            system = _System(
                sub[:, cells].tocsr(),
                self.lb[rows] - shift,
                self.ub[rows] - shift,
                lo[cells],
                hi[cells],
            )
            unit = np.zeros(len(cells))
            unit[int(np.searchsorted(cells, i))] = 1.0
            self.attacker.solves += 2
            low = system.relaxed_minimum(unit)
            high = -system.relaxed_minimum(-unit)
            outer = (int(np.ceil(low - 1e-9)), int(np.floor(high + 1e-9)))
            narrow = outer[1] - outer[0] < need.width
            if narrow or (need.fall and state.base[i] - outer[0] < need.fall):
                self.attacker._breach(
                    key,
                    f"{need.why}: range too narrow",
                    need.width,
                    found=outer,
                    detail="(bounded from outside: the true range is no wider)",
                )
                return
        self.attacker._breach(
            key,
            f"{need.why}: not proved safe",
            need.width,
            found=(int(state.low[i]), int(state.high[i])),
            detail=f"(no table found moves it further; at most {outer[0]}..{outer[1]})",
        )

    def _push_together(
        self, todo: list[int], component: np.ndarray, where: Mapping[int, int], system: _System
    ) -> None:
        """One table that moves every cell still short as far up as it needs (each cell's
        gain capped at its need, so the programme spreads the moves), then one that moves them
        down: together they prove most cells without a programme of their own."""
        state = self.state
        for _ in range(self.rounds):
            short = [i for i in todo if not state.wide_enough(i, self.needs[i])]
            if not short:
                return
            for sign in (1.0, -1.0):
                gains = []
                for i in short:
                    need = self.needs[i]
                    if sign > 0:
                        gains.append((where[i], float(state.low[i]), float(need.width), sign))
                    else:
                        reach = max(need.width, need.fall)
                        start = state.high[i] if need.width >= need.fall else state.base[i]
                        gains.append((where[i], float(start), float(reach), sign))
                self.attacker.solves += 1
                x = system.spread(gains, self.attacker.time_limit)
                if x is not None:
                    self._record(component, x)
            left = sum(1 for i in short if not state.wide_enough(i, self.needs[i]))
            if left > 0.9 * len(short):
                return

    rounds = 8

    def _proved(self, i: int) -> bool:
        need = self.needs[i]
        done = self.state.wide_enough(i, need)
        return done and (not need.fall or i in self.state.unanimity_hidden)

    def _system(self, component: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> _System:
        rows = np.unique(self.columns[:, component].nonzero()[0])
        sub = self.matrix[rows]
        inside = np.zeros(len(self.keys), dtype=bool)
        inside[component] = True
        # cells outside the component in these rows are held fixed at their true values
        shift = sub[:, ~inside] @ self.state.base[~inside]
        return _System(
            sub[:, component].tocsr(),
            self.lb[rows] - shift,
            self.ub[rows] - shift,
            lo[component],
            hi[component],
        )

    def _record(self, component: np.ndarray, x: np.ndarray) -> None:
        """Keep a table found (and, in large components, the move from the true table)."""
        self.state.record(component, x)
        if self.keep_moves:
            delta = x - self.state.base[component]
            changed = np.flatnonzero(delta)
            if len(changed):
                self.moves.append((component[changed], delta[changed]))

    def combine_moves(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Add up moves found in different neighbourhoods: for every cell still short, the
        moves that raise it (then those that lower it) are added one by one to the true
        table, each kept only if the sum still fits every relation of the whole release."""
        short = [i for i in range(len(self.keys)) if not self._proved(i)]
        if not short or not self.moves:
            return
        wanted = np.zeros(len(self.keys), dtype=bool)
        wanted[short] = True
        ups: dict[int, list[tuple[float, int]]] = {}
        downs: dict[int, list[tuple[float, int]]] = {}
        for m, (cells, delta) in enumerate(self.moves):
            for c, d in zip(cells[wanted[cells]], delta[wanted[cells]], strict=True):
                (ups if d > 0 else downs).setdefault(int(c), []).append((abs(float(d)), m))
        for i in short:
            if self._proved(i):
                continue
            for found in (ups.get(i, []), downs.get(i, [])):
                x = self.state.base.copy()
                added = 0
                for _, m in sorted(found, reverse=True)[:12]:
                    cells, delta = self.moves[m]
                    trial = x.copy()
                    trial[cells] += delta
                    if self._fits(trial, lo, hi):
                        x = trial
                        added += 1
                if added > 1:
                    self.state.record(np.arange(len(x)), x)
                if self._proved(i):
                    break

    def _fits(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bool:
        activity = self.matrix @ x
        return bool(
            np.all(activity >= self.lb - 1e-9)
            and np.all(activity <= self.ub + 1e-9)
            and np.all(x >= lo)
            and np.all(x <= hi)
        )

    keep_moves = False

    def _optimise(
        self, system: _System, component: np.ndarray, cost: np.ndarray
    ) -> tuple[float, float]:
        self.attacker.solves += 1
        found, bound, x = system.optimise(cost, self.attacker.time_limit)
        if x is not None:
            self._record(component, x)
        return found, bound

    def _settle(
        self,
        i: int,
        component: np.ndarray,
        where: Mapping[int, int],
        system: _System,
        final: bool,
    ) -> None:
        state, need = self.state, self.needs[i]
        unit = np.zeros(len(component))
        unit[where[i]] = 1.0
        again = final and self.exact
        if (again or not state.wide_enough(i, need)) and not (final and i in state.top):
            found, bound = self._optimise(system, component, -unit)
            if final and found == bound:
                state.top.add(i)
        if (again or not state.wide_enough(i, need)) and not (final and i in state.bottom):
            found, bound = self._optimise(system, component, unit)
            if final and found == bound:
                state.bottom.add(i)
        if need.fall and i not in state.unanimity_hidden:
            # the rest of those who answered (size - no answer - this count) must be able to
            # reach ``need.fall``, or a reader could tell that everyone who answered chose it
            pop, item_id, _ = key = self.keys[i]
            expression = {(pop, None, SIZE): 1.0, (pop, item_id, NO_ANSWER): -1.0, key: -1.0}
            cost = np.zeros(len(component))
            constant = 0.0
            for term, coef in expression.items():
                g = self.position.get(term)
                if g is not None and g in where:
                    cost[where[g]] -= coef  # maximise: minimise its negative
                else:
                    constant += coef * self.attacker.truth(term)
            found, bound = self._optimise(system, component, cost) if cost.any() else (0.0, 0.0)
            if constant - found >= need.fall:
                state.unanimity_hidden.add(i)
            elif final:
                self.attacker._breach(
                    key,
                    "P3: unanimity can be told",
                    need.fall,
                    advisory=True,
                    detail=f"(at most {constant - bound:g} of those who answered chose otherwise)",
                )
        if final:
            self._judge(i)

    def _judge(self, i: int) -> None:
        state, need, key = self.state, self.needs[i], self.keys[i]
        if state.wide_enough(i, need):
            return
        low, high = int(state.low[i]), int(state.high[i])
        detail = ""
        if i not in state.top or i not in state.bottom:
            detail = "(the solver stopped early: the range may be wider)"
        if high - low < need.width:
            self.attacker._breach(
                key, f"{need.why}: range too narrow", need.width, found=(low, high), detail=detail
            )
        if need.fall and state.base[i] - low < need.fall:
            self.attacker._breach(
                key,
                "P3: unanimous count cannot fall far enough",
                need.fall,
                found=(low, high),
                detail=detail,
            )


def _components(matrix: csr_matrix, free: np.ndarray) -> list[np.ndarray]:
    """Groups of free cells linked by a relation (other cells are held fixed)."""
    if not len(free):
        return []
    sub = matrix[:, free]
    incidence = (sub != 0).astype(np.int8)
    adjacency = (incidence.T @ incidence).tocsr()
    count, labels = connected_components(adjacency, directed=False)
    return [free[labels == c] for c in range(count)]


def attack(
    spec: ReleaseInput,
    release: ProtectedRelease,
    facts: Mapping[str, Facts] | None = None,
    *,
    exact: bool = False,
    knowledge: Knowledge = "full",
    zeros_shown: bool = False,
) -> Attack:
    """Attack ``release`` (see :class:`Attacker`)."""
    return Attacker(spec, release, facts, knowledge, zeros_shown).attack(exact=exact)
