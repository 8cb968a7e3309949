"""From the analysis table to the raw counts of every population a release may publish.

Nothing here hides anything: the counts go straight into ``analysis.disclosure``, which
decides what may be shown. Counting uses integer codes and ``numpy.bincount``, so it stays
fast for hundreds of thousands of responses.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.disclosure import NO_ANSWER, ItemInput, Population, ReleaseInput

MISSING = "_missing"  # the group of people who did not answer a breakdown question

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Breakdown:
    """A demographic question reports may break results down by (or a fact about each
    response's session, which everyone has: ``missing=False``)."""

    id: str
    groups: tuple[str, ...]  # its option values, in display order
    #: whether some people may have no group (did not answer): a MISSING group after the rest
    missing: bool = True

    @property
    def all_groups(self) -> tuple[str, ...]:
        return (*self.groups, MISSING) if self.missing else self.groups


@dataclass(frozen=True)
class Item:
    """One closed answer a report counts: a question, or one statement of a grid.

    ``column`` is the analysis-table column (for ``multiple``: the prefix of its option
    columns, i.e. the question id)."""

    id: str
    column: str
    kind: Literal["exclusive", "multiple"]
    options: tuple[str, ...]
    sensitive: bool = False
    #: what a reader knows from the questionnaire (see ``analysis.disclosure.ItemInput``)
    exclusive_options: tuple[str, ...] = ()
    opened_by: tuple[str, tuple[str, ...]] | None = None
    opened_by_any: tuple[tuple[str, tuple[str, ...]], ...] = ()


def release_input(
    frame: pd.DataFrame,
    items: Sequence[Item],
    breakdowns: Sequence[Breakdown],
    views: Sequence[tuple[str, ...]],
) -> ReleaseInput:
    """Count every population of every view, for the sizes and for every item."""
    by_id = {b.id: b for b in breakdowns}
    views = tuple(dict.fromkeys(((), *views)))
    for view in views:
        for dimension in view:
            if dimension not in by_id:
                raise ValueError(f"view {view} uses '{dimension}', which is not a breakdown")
    codes = {b.id: _group_codes(frame, b) for b in breakdowns}
    sizes: dict[Population, int] = {}
    counts: dict[str, dict[Population, dict[str, int]]] = {item.id: {} for item in items}
    for view in views:
        shape = tuple(len(by_id[d].all_groups) for d in view)
        flat = _flat_index(frame, view, codes, shape)
        cells = int(np.prod(shape)) if shape else 1
        _add(sizes, view, by_id, np.bincount(flat, minlength=cells).reshape(shape or (1,)))
        for item in items:
            table = _item_counts(frame, item, flat, cells, shape)
            _add_item(counts[item.id], view, by_id, item, table)
    return ReleaseInput(
        dimensions={b.id: b.all_groups for b in breakdowns if any(b.id in v for v in views)},
        views=views,
        sizes=sizes,
        items=tuple(
            ItemInput(
                id=item.id,
                kind=item.kind,
                sensitive=item.sensitive,
                options=item.options,
                counts=counts[item.id],
                exclusive_options=item.exclusive_options,
                opened_by=item.opened_by,
                opened_by_any=item.opened_by_any,
            )
            for item in items
        ),
    )


def _group_codes(frame: pd.DataFrame, breakdown: Breakdown) -> IntArray:
    values = pd.Categorical(frame[breakdown.id], categories=list(breakdown.groups))
    found = np.asarray(values.codes, dtype=np.int64)
    return np.where(found < 0, len(breakdown.groups), found)


def _flat_index(
    frame: pd.DataFrame, view: tuple[str, ...], codes: dict[str, IntArray], shape: tuple[int, ...]
) -> IntArray:
    if not view:
        return np.zeros(len(frame), dtype=np.int64)
    index = np.ravel_multi_index(tuple(codes[d] for d in view), shape)
    return np.asarray(index, dtype=np.int64)


def _item_counts(
    frame: pd.DataFrame, item: Item, flat: IntArray, cells: int, shape: tuple[int, ...]
) -> IntArray:
    """An array of shape ``shape + (options + 1,)``; the last column is "no answer"."""
    width = len(item.options) + 1
    base = shape or (1,)
    if item.kind == "exclusive":
        values = pd.Categorical(frame[item.column], categories=list(item.options))
        answer = np.asarray(values.codes, dtype=np.int64)
        answer = np.where(answer < 0, len(item.options), answer)
        found = np.bincount(flat * width + answer, minlength=cells * width)
        return found.reshape((*base, width))
    columns = []
    skipped: IntArray | None = None
    for option in item.options:
        series = frame[f"{item.column}__{option}"]
        chosen = series.fillna(False).to_numpy(dtype=bool)
        columns.append(np.bincount(flat, weights=chosen, minlength=cells).astype(np.int64))
        if skipped is None:
            missing = series.isna().to_numpy(dtype=bool)
            skipped = np.bincount(flat, weights=missing, minlength=cells).astype(np.int64)
    columns.append(skipped if skipped is not None else np.zeros(cells, dtype=np.int64))
    return np.stack(columns, axis=-1).reshape((*base, width))


def _populations(
    view: tuple[str, ...], by_id: dict[str, Breakdown], array: IntArray
) -> list[tuple[Population, IntArray]]:
    """Every population a view publishes with its slice of ``array`` (margins summed)."""
    found: list[tuple[Population, IntArray]] = []
    if not view:
        return [((), array[0])]
    axes = range(len(view))
    for fixed in itertools.chain.from_iterable(
        itertools.combinations(axes, r) for r in range(len(view) + 1)
    ):
        summed = tuple(a for a in axes if a not in fixed)
        margin = array.sum(axis=summed) if summed else array
        groups = [by_id[view[a]].all_groups for a in fixed]
        for combo in itertools.product(*(range(len(g)) for g in groups)):
            pairs = zip(fixed, combo, strict=True)
            population = tuple(sorted((view[a], groups[i][c]) for i, (a, c) in enumerate(pairs)))
            found.append((population, margin[combo] if combo else margin))
    return found


def _add(
    sizes: dict[Population, int], view: tuple[str, ...], by_id: dict[str, Breakdown], a: IntArray
) -> None:
    for population, value in _populations(view, by_id, a):
        sizes[population] = int(value)


def _add_item(
    store: dict[Population, dict[str, int]],
    view: tuple[str, ...],
    by_id: dict[str, Breakdown],
    item: Item,
    table: IntArray,
) -> None:
    names = (*item.options, NO_ANSWER)
    for population, row in _populations(view, by_id, table):
        store[population] = dict(zip(names, (int(v) for v in row.reshape(-1)), strict=True))
