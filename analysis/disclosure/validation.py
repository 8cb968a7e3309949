"""Checks on a :class:`ReleaseInput` before anything is computed from it.

Every problem raises ``ValueError`` with a message naming the population, item or column.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Mapping

import numpy as np

from analysis.disclosure.model import (
    ALL,
    NO_ANSWER,
    TOTAL,
    ItemInput,
    Population,
    ReleaseInput,
)


def check_parameters(k: int, k_cell: int) -> None:
    """``k`` must be an integer of at least 5 and ``k_cell`` a positive integer."""
    if not _is_int(k) or k < 5:
        raise ValueError(f"k must be an integer of at least 5, not {k!r}")
    if not _is_int(k_cell) or k_cell < 1:
        raise ValueError(f"k_cell must be a positive integer, not {k_cell!r}")


def published_populations(
    dimensions: Mapping[str, tuple[str, ...]], views: tuple[tuple[str, ...], ...]
) -> list[Population]:
    """Every population published by ``views`` (everyone first), without repeats."""
    seen: dict[Population, None] = {(): None}
    for view in views:
        for subset in _subsets(view):
            for pop in _populations_over(dimensions, subset):
                seen.setdefault(pop, None)
    return list(seen)


def check_release(spec: ReleaseInput) -> None:
    """Raise ``ValueError`` unless ``spec`` is complete and consistent."""
    _check_dimensions(spec.dimensions)
    _check_views(spec.dimensions, spec.views)
    _check_nesting(spec.dimensions, spec.views, spec.nesting)
    pops = published_populations(spec.dimensions, spec.views)
    wanted = set(pops)
    for pop in spec.sizes:
        if pop not in wanted:
            raise ValueError(f"sizes: population {pop!r} is not published by any view")
    for pop in pops:
        if pop not in spec.sizes:
            raise ValueError(f"sizes: population {pop!r} is missing")
        _check_count(spec.sizes[pop], f"sizes[{pop!r}]")
    _check_partitions(spec, pops, lambda pop: spec.sizes[pop], "sizes")
    index = {pop: p for p, pop in enumerate(pops)}
    families = list(partitions(spec.dimensions, spec.views, pops, spec.nesting))
    parts = np.zeros((len(families), len(pops)), dtype=np.int64)
    for q, (parent, _dim, children) in enumerate(families):
        parts[q, [index[child] for child in children]] = 1
        parts[q, index[parent]] = -1
    ids = [item.id for item in spec.items]
    if len(set(ids)) != len(ids):
        raise ValueError("items: item ids must be unique")
    for item in spec.items:
        where = f"item {item.id!r}"
        if item.kind not in ("exclusive", "multiple"):
            raise ValueError(f"{where}: kind must be 'exclusive' or 'multiple', not {item.kind!r}")
        if not item.options:
            raise ValueError(f"{where}: needs at least one option")
        _check_knowledge(item, ids, spec.items)
        if len(set(item.options)) != len(item.options):
            raise ValueError(f"{where}: option codes must be unique")
        for option in item.options:
            if option in (NO_ANSWER, TOTAL):
                raise ValueError(f"{where}: {option!r} cannot be used as an option code")
        for pop in item.counts:
            if pop not in wanted:
                raise ValueError(f"{where}: population {pop!r} is not published by any view")
        columns = item.columns
        block = np.zeros((len(pops), len(columns)), dtype=np.int64)
        for p, pop in enumerate(pops):
            if pop not in item.counts:
                raise ValueError(f"{where}: counts for population {pop!r} are missing")
            row = item.counts[pop]
            if set(row) != set(columns):
                raise ValueError(
                    f"{where}, population {pop!r}: columns must be the options and {NO_ANSWER!r}"
                )
            values = [row[column] for column in columns]
            if not all(type(v) is int and v >= 0 for v in values):  # the fast path; else why
                for column in columns:
                    _check_count(row[column], f"{where}, population {pop!r}, column {column!r}")
            block[p] = [int(v) for v in values]
        _check_rows(item, pops, block, [int(spec.sizes[pop]) for pop in pops], where)
        residual = parts @ block
        for c, column in enumerate(columns):
            wrong = np.flatnonzero(residual[:, c])
            if wrong.size:
                parent, dim, children = families[int(wrong[0])]
                total = int(block[[index[child] for child in children], c].sum())
                raise ValueError(
                    f"{where}, column {column!r}: the groups of {dim!r} within {parent!r} add up "
                    f"to {total}, not {int(block[index[parent], c])}"
                )


def _check_rows(
    item: ItemInput, pops: list[Population], block: np.ndarray, sizes: list[int], where: str
) -> None:
    """Each row of an item against its population's size (``block``: populations x columns)."""
    columns = item.columns
    na = len(columns) - 1
    for p, pop in enumerate(pops):
        size = sizes[p]
        if item.kind == "exclusive":
            total = int(block[p].sum())
            if total != size:
                raise ValueError(
                    f"{where}, population {pop!r}: options and no-answer add up to {total}, "
                    f"not the population size {size}"
                )
        else:
            answered = size - int(block[p, na])
            if answered < 0:
                raise ValueError(f"{where}, population {pop!r}: no-answer exceeds the size")
            for c, option in enumerate(item.options):
                if int(block[p, c]) > answered:
                    raise ValueError(
                        f"{where}, population {pop!r}: option {option!r} exceeds the "
                        f"{answered} people who answered"
                    )


def _check_dimensions(dimensions: Mapping[str, tuple[str, ...]]) -> None:
    for dim, groups in dimensions.items():
        if not isinstance(dim, str) or not dim:
            raise ValueError(f"dimensions: {dim!r} is not a non-empty string")
        if isinstance(groups, str) or not groups:
            raise ValueError(f"dimensions: {dim!r} needs a non-empty tuple of groups")
        if len(set(groups)) != len(groups):
            raise ValueError(f"dimensions: the groups of {dim!r} must be unique")
        for group in groups:
            if not isinstance(group, str):
                raise ValueError(f"dimensions: group {group!r} of {dim!r} is not a string")
            if group == ALL:
                raise ValueError(f"dimensions: {dim!r} cannot have a group called {ALL!r}")


def _check_views(
    dimensions: Mapping[str, tuple[str, ...]], views: tuple[tuple[str, ...], ...]
) -> None:
    for view in views:
        if isinstance(view, str) or len(view) > 2:
            raise ValueError(f"views: {view!r} must be a tuple of 0, 1 or 2 dimensions")
        if len(set(view)) != len(view):
            raise ValueError(f"views: {view!r} names a dimension twice")
        for dim in view:
            if dim not in dimensions:
                raise ValueError(f"views: {view!r} uses the unknown dimension {dim!r}")


def _check_partitions(
    spec: ReleaseInput,
    pops: list[Population],
    get: Callable[[Population], int],
    what: str,
) -> None:
    for parent, dim, children in partitions(spec.dimensions, spec.views, pops, spec.nesting):
        total = sum(int(get(child)) for child in children)
        expected = int(get(parent))
        if total != expected:
            raise ValueError(
                f"{what}: the groups of {dim!r} within {parent!r} add up to {total}, not {expected}"
            )


def partitions(
    dimensions: Mapping[str, tuple[str, ...]],
    views: tuple[tuple[str, ...], ...],
    pops: list[Population],
    nesting: Mapping[str, tuple[str, Mapping[str, str]]] | None = None,
) -> Iterator[tuple[Population, str, list[Population]]]:
    """Each published (parent, dimension, children) partition, once, in a fixed order; then,
    for a nested dimension published beside its base, each of its groups split into the base
    groups it is made of."""
    yield from _view_partitions(dimensions, views)
    for derived, (base, mapping) in (nesting or {}).items():
        if (derived,) not in views or (base,) not in views:
            continue
        for group in dimensions[derived]:
            members = [b for b in dimensions[base] if mapping[b] == group]
            yield ((derived, group),), base, [((base, b),) for b in members]


def _view_partitions(
    dimensions: Mapping[str, tuple[str, ...]], views: tuple[tuple[str, ...], ...]
) -> Iterator[tuple[Population, str, list[Population]]]:
    seen: set[tuple[Population, str]] = set()
    for view in views:
        for subset in _subsets(view):
            for parent in _populations_over(dimensions, subset):
                for dim in view:
                    if dim in subset or (parent, dim) in seen:
                        continue
                    seen.add((parent, dim))
                    children = [tuple(sorted((*parent, (dim, group)))) for group in dimensions[dim]]
                    yield parent, dim, children


def _check_nesting(
    dimensions: Mapping[str, tuple[str, ...]],
    views: tuple[tuple[str, ...], ...],
    nesting: Mapping[str, tuple[str, Mapping[str, str]]],
) -> None:
    for derived, (base, mapping) in nesting.items():
        where = f"nesting[{derived!r}]"
        if derived not in dimensions or base not in dimensions or derived == base:
            raise ValueError(f"{where}: must name two different dimensions")
        if base in nesting:
            raise ValueError(f"{where}: its base {base!r} must not be nested itself")
        if set(mapping) != set(dimensions[base]):
            raise ValueError(f"{where}: must map every group of {base!r}")
        if not set(mapping.values()) <= set(dimensions[derived]):
            raise ValueError(f"{where}: maps to groups that {derived!r} does not have")
        for view in views:
            if len(view) == 2 and (derived in view or base in view):
                raise ValueError(f"{where}: nested dimensions are shown in one-way views only")


def _subsets(view: tuple[str, ...]) -> list[tuple[str, ...]]:
    if len(view) == 0:
        return [()]
    if len(view) == 1:
        return [(), view]
    return [(), (view[0],), (view[1],), view]


def _populations_over(
    dimensions: Mapping[str, tuple[str, ...]], dims: tuple[str, ...]
) -> list[Population]:
    if not dims:
        return [()]
    if len(dims) == 1:
        return [((dims[0], g),) for g in dimensions[dims[0]]]
    first, second = dims
    return [
        tuple(sorted(((first, g), (second, h))))
        for g in dimensions[first]
        for h in dimensions[second]
    ]


def _check_knowledge(item: ItemInput, ids: list[str], items: tuple[ItemInput, ...]) -> None:
    """The questionnaire knowledge an item declares must name real items and options."""
    where = f"item {item.id!r}"
    if item.exclusive_options:
        if item.kind != "multiple":
            raise ValueError(f"{where}: only multiple-choice items have exclusive options")
        unknown = set(item.exclusive_options) - set(item.options)
        if unknown:
            raise ValueError(f"{where}: exclusive options {sorted(unknown)} are not options")
    if item.opened_by is not None and item.opened_by_any:
        raise ValueError(f"{where}: opened_by and opened_by_any cannot both be given")
    routes = [item.opened_by] if item.opened_by is not None else list(item.opened_by_any)
    for parent_id, answers in routes:
        if parent_id not in ids or ids.index(parent_id) >= ids.index(item.id):
            raise ValueError(f"{where}: opened_by must name an earlier item, not {parent_id!r}")
        parent = items[ids.index(parent_id)]
        if not answers or not set(answers) <= set(parent.options):
            raise ValueError(f"{where}: opened_by answers must be options of {parent_id!r}")
    if item.answered_with is not None and (
        item.answered_with not in ids or item.answered_with == item.id
    ):
        raise ValueError(f"{where}: answered_with must name another item")


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_count(value: object, where: str) -> None:
    if not _is_int(value):
        raise ValueError(f"{where}: {value!r} is not an integer")
    if int(value) < 0:  # type: ignore[call-overload]  # checked to be Integral just above
        raise ValueError(f"{where}: {value!r} is negative")
