"""Tables in and out: ``protect_table`` for one DataFrame, and the layout of published tables.

Layout (for ``protect_table`` and :func:`render`): the group rows, then for a
two-way table the one-way margins ``(g, "All")`` and ``("All", h)``, then the overall row
(``"All"`` or ``("All", "All")``); columns are the options (then the no-answer column, for
release items), then ``"Total"``. Values are pandas ``Int64`` with ``pd.NA`` where hidden.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure.model import (
    ALL,
    NO_ANSWER,
    TOTAL,
    ItemInput,
    Population,
    ProtectedRelease,
    ReleaseInput,
)
from analysis.disclosure.release import protect_release

TABLE_ITEM = "table"


def _rows(
    dimensions: dict[str, tuple[str, ...]], view: tuple[str, ...]
) -> list[tuple[Any, Population]]:
    """(row label, population) for every row of a view, in display order."""
    if len(view) == 0:
        return [(ALL, ())]
    if len(view) == 1:
        (dim,) = view
        return [(g, ((dim, g),)) for g in dimensions[dim]] + [(ALL, ())]
    first, second = view
    rows: list[tuple[Any, Population]] = [
        ((g, h), tuple(sorted(((first, g), (second, h)))))
        for g in dimensions[first]
        for h in dimensions[second]
    ]
    rows += [((g, ALL), ((first, g),)) for g in dimensions[first]]
    rows += [((ALL, h), ((second, h),)) for h in dimensions[second]]
    rows.append(((ALL, ALL), ()))
    return rows


def _index(labels: list[Any], names: list[Hashable]) -> pd.Index:
    if len(names) == 2:
        multi: pd.Index = pd.MultiIndex.from_tuples(labels, names=names)
        return multi
    plain: pd.Index = pd.Index(labels, name=names[0] if names else None)
    return plain


def render(
    release: ProtectedRelease, view: tuple[str, ...], item: str | None = None
) -> pd.DataFrame:
    """One published table of ``release`` (see the module docstring for the layout)."""
    view = tuple(view)
    dimensions = {d: tuple(g) for d, g in release.dimensions.items()}
    if len(view) > 2 or len(set(view)) != len(view):
        raise ValueError(f"view {view!r} must name 0, 1 or 2 different dimensions")
    for dim in view:
        if dim not in dimensions:
            raise ValueError(f"view {view!r} uses the unknown dimension {dim!r}")
    if item is not None and item not in release.items:
        raise ValueError(f"the release has no item {item!r}")
    rows = _rows(dimensions, view)
    data: list[list[int | None]] = []
    columns: list[str] = []
    for _label, pop in rows:
        if pop not in release.sizes:
            raise ValueError(f"view {view!r} is not published: population {pop!r} is missing")
        size = release.sizes[pop]
        if item is None:
            data.append([size])
        else:
            row = release.items[item][pop]
            columns = list(row)
            data.append([row[c] for c in columns] + [size])
    columns = [TOTAL] if item is None else [*columns, TOTAL]
    frame = pd.DataFrame(
        [[pd.NA if v is None else v for v in r] for r in data],
        index=_index([label for label, _ in rows], list(view)),
        columns=pd.Index(columns),
    )
    return frame.astype("Int64")


def protect_table(
    counts: pd.DataFrame, k: int = 10, k_cell: int = 3, sensitive: bool = True
) -> pd.DataFrame:
    """Protect one table of counts (groups x answer options) with its margins.

    ``counts``: non-negative integers; the index holds the groups (a plain ``Index``, or a
    two-level ``MultiIndex`` for a two-way breakdown whose level names are the dimensions,
    "a" and "b" if unnamed); the columns are answer options, treated as exclusive, so a row's
    total is its sum. Returns the layout described in the module docstring, ``Int64`` with
    ``pd.NA`` for hidden values. A one-column table (e.g. respondents per council) works the
    same way with ``sensitive=False``.
    """
    if not isinstance(counts, pd.DataFrame):
        raise ValueError("counts must be a pandas DataFrame")
    if counts.shape[1] == 0 or counts.shape[0] == 0:
        raise ValueError("counts needs at least one row and one column")
    options = [str(c) for c in counts.columns]
    if len(set(options)) != len(options):
        raise ValueError("column labels must be unique (as text)")
    for option in options:
        if option in (TOTAL, NO_ANSWER):
            raise ValueError(f"{option!r} cannot be used as a column label")
    values = _integer_values(counts)
    index = counts.index
    if isinstance(index, pd.MultiIndex):
        if index.nlevels != 2:
            raise ValueError("a MultiIndex must have exactly two levels")
        names = [
            str(n) if n is not None else default
            for n, default in zip(index.names, ("a", "b"), strict=True)
        ]
        if names[0] == names[1]:
            raise ValueError("the two index levels need different names")
        labels = list(index)
    else:
        names = [str(index.name) if index.name is not None else "a"]
        labels = [(label,) for label in index]
    if len(set(labels)) != len(labels):
        raise ValueError("index labels must be unique")
    level_labels: list[list[Any]] = [[] for _ in names]
    for label in labels:
        for level, value in enumerate(label):
            if value not in level_labels[level]:
                level_labels[level].append(value)
    texts: list[dict[Any, str]] = []
    for level, found in enumerate(level_labels):
        as_text = {value: str(value) for value in found}
        if len(set(as_text.values())) != len(as_text):
            raise ValueError(f"index level {names[level]!r} has labels that are equal as text")
        if ALL in as_text.values():
            raise ValueError(f"index level {names[level]!r} cannot have a group called {ALL!r}")
        texts.append(as_text)
    dims = {name: tuple(texts[i][v] for v in level_labels[i]) for i, name in enumerate(names)}
    release = _protect(dims, names, labels, texts, options, values, k, k_cell, sensitive)

    out_rows: list[tuple[Any, Population]] = [
        (
            label if len(names) == 2 else label[0],
            tuple(sorted((names[i], texts[i][v]) for i, v in enumerate(label))),
        )
        for label in labels
    ]
    if len(names) == 2:
        out_rows += [((g, ALL), ((names[0], texts[0][g]),)) for g in level_labels[0]]
        out_rows += [((ALL, h), ((names[1], texts[1][h]),)) for h in level_labels[1]]
        out_rows.append(((ALL, ALL), ()))
    else:
        out_rows.append((ALL, ()))
    data = []
    for _label, pop in out_rows:
        row = release.items[TABLE_ITEM][pop]
        data.append([row[o] for o in options] + [release.sizes[pop]])
    out_index: pd.Index
    if len(names) == 2:
        out_index = pd.MultiIndex.from_tuples(
            [label for label, _ in out_rows], names=list(index.names)
        )
    else:
        out_index = pd.Index([label for label, _ in out_rows], name=index.name)
    frame = pd.DataFrame(
        [[pd.NA if v is None else v for v in r] for r in data],
        index=out_index,
        columns=pd.Index([*counts.columns, TOTAL]),
    )
    return frame.astype("Int64")


def _integer_values(counts: pd.DataFrame) -> np.ndarray:
    for column in counts.columns:
        dtype = counts[column].dtype
        if not (pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_object_dtype(dtype)):
            raise ValueError(f"column {column!r} must hold integers, not {dtype}")
    out = np.zeros(counts.shape, dtype=np.int64)
    for j, column in enumerate(counts.columns):
        for i, value in enumerate(counts[column].tolist()):
            if value is None or value is pd.NA or isinstance(value, bool):
                raise ValueError(f"column {column!r} row {i}: {value!r} is not an integer")
            if not isinstance(value, (int, np.integer)):
                raise ValueError(f"column {column!r} row {i}: {value!r} is not an integer")
            if value < 0:
                raise ValueError(f"column {column!r} row {i}: {value!r} is negative")
            out[i, j] = int(value)
    return out


def _protect(
    dims: dict[str, tuple[str, ...]],
    names: list[str],
    labels: list[tuple[Any, ...]],
    texts: list[dict[Any, str]],
    options: list[str],
    values: np.ndarray,
    k: int,
    k_cell: int,
    sensitive: bool,
) -> ProtectedRelease:

    cells: dict[Population, np.ndarray] = {}
    for label, row in zip(labels, values, strict=True):
        pop = tuple(sorted((names[i], texts[i][v]) for i, v in enumerate(label)))
        cells[pop] = row
    if len(names) == 2:
        first, second = names
        for g in dims[first]:
            for h in dims[second]:
                cells.setdefault(
                    tuple(sorted(((first, g), (second, h)))), np.zeros(len(options), np.int64)
                )
    # margins
    totals: dict[Population, np.ndarray] = {(): values.sum(axis=0)}
    for pop, row in list(cells.items()):
        for pair in pop:
            totals[(pair,)] = totals.get((pair,), np.zeros(len(options), np.int64)) + row
    if len(names) == 2:
        for name in names:
            for g in dims[name]:
                totals.setdefault(((name, g),), np.zeros(len(options), np.int64))
    cells.update(totals)
    counts = {
        pop: {**{o: int(v) for o, v in zip(options, row, strict=True)}, NO_ANSWER: 0}
        for pop, row in cells.items()
    }
    spec = ReleaseInput(
        dimensions=dims,
        views=((), tuple(names)),
        sizes={pop: int(row.sum()) for pop, row in cells.items()},
        items=(
            ItemInput(
                id=TABLE_ITEM,
                kind="exclusive",
                sensitive=sensitive,
                options=tuple(options),
                counts=counts,
            ),
        ),
    )
    return protect_release(spec, k=k, k_cell=k_cell, in_priority_order=False)
