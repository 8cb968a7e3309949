"""``protect_release``: the whole pipeline, from true counts to a protected, audited release."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from types import MappingProxyType

import numpy as np

from analysis.disclosure.audit import audit
from analysis.disclosure.complement import Search
from analysis.disclosure.model import (
    AuditEntry,
    Cell,
    Population,
    ProtectedRelease,
    ReleaseInput,
)
from analysis.disclosure.patterns import Layouts
from analysis.disclosure.rules import apply_cell_rules, apply_population_rules
from analysis.disclosure.structure import Structure
from analysis.disclosure.suppression import RULE_CODES, RULE_NAMES, Suppression, Unprotectable
from analysis.disclosure.validation import (
    check_parameters,
    check_release,
    published_populations,
)

#: How many questions a breakdown may be published without before it is left out instead.
MAX_WITHDRAWN_ITEMS = 3

#: How many times the audit may send cells back for more suppression before giving up.
MAX_AUDIT_ROUNDS = 4


def protect_release(
    spec: ReleaseInput,
    *,
    k: int = 10,
    k_cell: int = 3,
    keep_hidden: Iterable[Cell] = (),
    in_priority_order: bool = True,
) -> ProtectedRelease:
    """Protect every table of a release at once and audit the result.

    ``keep_hidden`` names cells ``(population, item or None, column)`` that must stay hidden
    whatever their value: the hidden cells of earlier releases of the same data. Hiding them
    again means this release shows nothing those releases hid, so a reader who holds them all
    knows no more than the earlier release alone told them (cells the release does not have
    are ignored).

    **Views in priority order; never refuses.** The overall results come first, then each
    one-way view in the order given, then each two-way view. Views are added one at a time and
    the whole release protected again each time; a view is kept only if the release with it
    still shows every figure the release without it showed — so a lower-priority view never
    costs a higher-priority one a figure — and if it can be protected at all. A view left out
    is not in the release's ``views``: reports say there are too few responses for it. When
    even the overall results cannot be protected, only the overall count is published. Raises
    ``ValueError`` only for inconsistent input. See ``analysis/disclosure/README.md``.

    ``in_priority_order=False`` protects every view together first (one table on its own, for
    :func:`~analysis.disclosure.tables.protect_table`), and only if that fails goes view by view.
    """
    check_parameters(k, k_cell)
    check_release(spec)
    keep_hidden = list(keep_hidden)
    if not in_priority_order:
        whole = _attempt(spec, spec.views, k, k_cell, keep_hidden)
        if isinstance(whole, ProtectedRelease):
            return whole
    kept: tuple[tuple[str, ...], ...] = ((), *base_views(spec))
    withdrawn: set[tuple[str, Population]] = set()
    first = _attempt(spec, kept, k, k_cell, keep_hidden)
    best = first if isinstance(first, ProtectedRelease) else None
    if best is None:
        structure = Structure(restrict(spec, ((),)))
        state = _whole_survey_too_small(structure, Suppression(structure))
        return _finish(structure, state, k, k_cell)
    for view in priority_order(spec.views)[1:]:
        if view in kept:
            continue
        if len(view) == 2 and not all((d,) in kept for d in view):
            continue  # its margins belong to a one-way view that was left out
        if spec.sizes[()] >= k and not _shows_a_group(spec, kept, view, k):
            continue  # every group it adds is below k: it could only show hidden values
        trial = (*kept, view)
        added = frozenset(published_populations(spec.dimensions, trial)) - frozenset(
            published_populations(spec.dimensions, kept)
        )
        more = set(withdrawn)
        for _try in range(MAX_WITHDRAWN_ITEMS + 1):
            outcome = _attempt(
                spec, trial, k, k_cell, keep_hidden, shown_cells(best), frozenset(more)
            )
            if isinstance(outcome, ProtectedRelease):
                if shows_all_of(outcome, best):
                    kept, best, withdrawn = trial, outcome, more
                break
            _pop, item_id, _column = outcome.cell
            if item_id is None or _try == MAX_WITHDRAWN_ITEMS or not in_priority_order:
                break
            if len(view) == 2:
                break  # two-way views are tried once: their attempts are the costly ones
            # One question cannot be shown by this breakdown without costing an earlier
            # figure: publish the breakdown without that question, rather than not at all.
            more |= {(item_id, pop) for pop in added}
    return best


def base_views(spec: ReleaseInput) -> tuple[tuple[str, ...], ...]:
    """The one-way views of every public base dimension of a nesting: a reader who
    knows each session's size must find each session in the release (its answers protected),
    or a pooled group could narrow down a session the release never mentions. They are
    published with the overall results, or only the overall count is."""
    bases = dict.fromkeys(base for base, _mapping in spec.nesting.values())
    return tuple(
        (base,) for base in bases if base in spec.public_dimensions and (base,) in spec.views
    )


def _shows_a_group(
    spec: ReleaseInput, kept: tuple[tuple[str, ...], ...], view: tuple[str, ...], k: int
) -> bool:
    """Whether ``view`` adds a population of at least ``k`` people to the ``kept`` views."""
    before = set(published_populations(spec.dimensions, kept))
    added = set(published_populations(spec.dimensions, (*kept, view))) - before
    return any(spec.sizes[pop] >= k for pop in added)


def priority_order(views: tuple[tuple[str, ...], ...]) -> list[tuple[str, ...]]:
    """Overall, then the one-way views in their order, then the two-way views in theirs."""
    ordered: list[tuple[str, ...]] = [()]
    ordered += [v for v in views if len(v) == 1]
    # a two-way view shows its one-way margins: they come first, as views of their own
    ordered += [(d,) for v in views if len(v) == 2 for d in v]
    ordered += [v for v in views if len(v) == 2]
    return list(dict.fromkeys(ordered))


def shows_all_of(release: ProtectedRelease, earlier: ProtectedRelease) -> bool:
    """Whether ``release`` shows every figure that ``earlier`` shows."""
    for pop, value in earlier.sizes.items():
        if value is not None and release.sizes.get(pop) is None:
            return False
    for item_id, rows in earlier.items.items():
        mine = release.items.get(item_id, {})
        for pop, row in rows.items():
            for column, value in row.items():
                if value is not None and mine.get(pop, {}).get(column) is None:
                    return False
    return True


def shown_cells(release: ProtectedRelease) -> list[Cell]:
    """Every cell that ``release`` shows."""
    cells: list[Cell] = [(pop, None, "Total") for pop, n in release.sizes.items() if n is not None]
    for item_id, rows in release.items.items():
        for pop, row in rows.items():
            cells.extend((pop, item_id, column) for column, n in row.items() if n is not None)
    return cells


def _attempt(
    spec: ReleaseInput,
    views: tuple[tuple[str, ...], ...],
    k: int,
    k_cell: int,
    keep_hidden: Iterable[Cell],
    keep_shown: Iterable[Cell] = (),
    withdrawn: frozenset[tuple[str, Population]] = frozenset(),
) -> ProtectedRelease | Unprotectable:
    """The protected release of ``views``, or the signal naming a cell it could not protect.
    ``withdrawn`` (item id, population) rows are not published at all."""
    structure = Structure(restrict(spec, views))
    kept = cell_numbers(structure, keep_hidden)
    out = cell_numbers(
        structure,
        [(pop, item, column) for item, pop in withdrawn for column in _columns(spec, item)],
    )
    try:
        state = suppress(
            structure, k, k_cell, kept, cell_numbers(structure, keep_shown), withdrawn=out
        )
        return _finish(structure, state, k, k_cell)
    except Unprotectable as signal:
        return signal


def _columns(spec: ReleaseInput, item_id: str) -> tuple[str, ...]:
    return next(item.columns for item in spec.items if item.id == item_id)


def restrict(spec: ReleaseInput, views: tuple[tuple[str, ...], ...]) -> ReleaseInput:
    """``spec`` publishing only ``views`` (a release's own input, when some views were left
    out: see :func:`protect_release`)."""
    used = {d for view in views for d in view}
    dimensions = {d: groups for d, groups in spec.dimensions.items() if d in used}
    pops = set(published_populations(dimensions, views))
    return ReleaseInput(
        dimensions=dimensions,
        views=views,
        nesting={
            derived: (base, mapping)
            for derived, (base, mapping) in spec.nesting.items()
            if derived in used and base in used
        },
        public_dimensions=spec.public_dimensions,
        sizes={pop: n for pop, n in spec.sizes.items() if pop in pops},
        items=tuple(
            dataclasses.replace(
                item, counts={pop: row for pop, row in item.counts.items() if pop in pops}
            )
            for item in spec.items
        ),
    )


def cell_numbers(structure: Structure, cells: Iterable[Cell]) -> np.ndarray:
    """The numbers of the named cells that ``structure`` has, in increasing order."""
    items = {item_id: i for i, item_id in enumerate(structure.item_ids)}
    found: set[int] = set()
    for population, item_id, column in cells:
        pop = structure.pop_index.get(tuple(sorted(population)), -1)
        if pop < 0:
            continue
        if item_id is None:
            found.add(pop)
            continue
        item = items.get(item_id, -1)
        if item < 0 or column not in structure.columns[item]:
            continue
        found.add(structure.cell(item, pop, structure.columns[item].index(column)))
    return np.array(sorted(found), dtype=np.int64)


def suppress(
    structure: Structure,
    k: int,
    k_cell: int,
    kept: np.ndarray | None = None,
    locked: np.ndarray | None = None,
    *,
    withdrawn: np.ndarray | None = None,
) -> Suppression:
    """Decide every hidden cell of a (validated) release and audit the result. ``kept`` are
    cell numbers that must be hidden in any case, ``locked`` cell numbers never to be chosen as
    complements (a higher-priority table shows them; see :func:`protect_release`)."""
    kept = np.zeros(0, dtype=np.int64) if kept is None else kept
    state = Suppression(structure)
    if locked is not None:
        state.locked[locked] = True
    state.locked[: structure.n_pops] |= structure.public  # known to all: never a complement
    if withdrawn is not None and withdrawn.size:
        # rows not published at all: unknown to a reader, free to move, asking nothing
        state.hide(withdrawn, "withdrawn", 0)
        state.withdrawn[withdrawn] = True
    if int(structure.sizes[0]) < k:
        return _whole_survey_too_small(structure, state)
    apply_population_rules(structure, state, k)
    # Sizes kept hidden join the primary suppressions, so every later search starts from them.
    state.hide_complements(kept[kept < structure.n_pops])
    search = Search(structure, state)
    search.protect_populations(k_cell=k_cell)
    apply_cell_rules(structure, state, k_cell, k)
    state.hide_complements(kept[kept >= structure.n_pops])
    search.widen_small_groups()
    layouts = Layouts(structure)
    for item in range(len(structure.items)):
        search.protect_item(item, layouts)
    _audit_until_safe(search)
    return state


def _audit_until_safe(search: Search) -> None:
    """Audit; send the cells that fail back to the search, a few rounds at most."""
    structure, state = search.structure, search.state
    for _round in range(MAX_AUDIT_ROUNDS):
        before = len(state.certificates)
        failing = audit(structure, state)
        if failing.size == 0 and len(state.certificates) == before:
            return
        for cell in failing:
            cell = int(cell)
            if state.satisfied(cell):
                continue
            if structure.cell_item[cell] < 0:
                search.population_fallback(cell)
            else:
                search.item_fallback(cell)
    failing = audit(structure, state)
    if failing.size:
        cell = int(failing[0])
        raise Unprotectable(
            structure.describe(cell),
            f"the audit could only prove a range of width {state.width(cell)} "
            f"(required {int(state.need[cell])}) and a fall of {int(state.kept_fall[cell])} "
            f"(required {int(state.need_fall[cell])})",
        )


def _whole_survey_too_small(structure: Structure, state: Suppression) -> Suppression:
    """P0: show the overall count only."""
    state.hide(np.arange(structure.n_pops, structure.n_cells), "P0", 0)
    state.hide(np.arange(1, structure.n_pops), "P0", 0)
    total = int(structure.sizes[0])
    # With only the overall count published, any size from 0 to n is possible for a population
    # that has a dimension with another group; an answer count can be anything from 0 to n.
    fixed = np.array([all(len(structure.groups[d]) == 1 for d, _ in pop) for pop in structure.pops])
    state.up[:] = total - structure.values
    state.down[:] = structure.values
    pops = np.arange(structure.n_pops)
    state.up[pops[fixed]] = 0
    state.down[pops[fixed]] = 0
    return state


def _finish(structure: Structure, state: Suppression, k: int, k_cell: int) -> ProtectedRelease:
    # plain lists: indexing them is much faster than indexing numpy arrays one cell at a time
    values = structure.values.tolist()
    published = [
        v if show else None for v, show in zip(values, (~state.hidden).tolist(), strict=True)
    ]
    sizes: dict[Population, int | None] = {
        pop: published[p] for p, pop in enumerate(structure.pops)
    }
    items: dict[str, MappingProxyType[Population, MappingProxyType[str, int | None]]] = {}
    for i, item in enumerate(structure.items):
        columns = item.columns
        rows: dict[Population, MappingProxyType[str, int | None]] = {}
        for p, pop in enumerate(structure.pops):
            start = structure.cell(i, p, 0)
            row = published[start : start + structure.ncols[i]]
            if state.withdrawn[start]:
                continue  # a question this breakdown does not publish
            rows[pop] = MappingProxyType(dict(zip(columns, row, strict=True)))
        items[item.id] = MappingProxyType(rows)
    hidden = np.flatnonzero(state.hidden & ~state.withdrawn)
    rules = state.rule[hidden].tolist()
    downs = state.down[hidden].tolist()
    ups = state.up[hidden].tolist()
    entries = []
    for n, cell in enumerate(hidden.tolist()):
        pop, item_id, column = structure.describe(cell)
        value = values[cell]
        entries.append(
            AuditEntry(
                population=pop,
                item=item_id,
                column=column,
                rule=RULE_NAMES[rules[n]],
                value_range=(value - downs[n], value + ups[n]),
            )
        )
    assert set(RULE_NAMES) == set(RULE_CODES.values())
    return ProtectedRelease(
        k=k,
        k_cell=k_cell,
        sizes=MappingProxyType(sizes),
        items=MappingProxyType(items),
        audit=tuple(entries),
        dimensions=MappingProxyType(dict(structure.groups)),
        views=tuple(tuple(v) for v in structure.views),
    )
