"""Property tests: random small releases, checked by an independent integer programme.

Each example builds true counts for a one-way table, two one-way tables of the same people,
or a two-way table with margins (one exclusive and one multiple-choice item, many small
groups), protects it, and checks with ``checking.check_release`` that

* every hidden value keeps the range the rules ask for, recomputed with ``scipy.optimize.milp``
  over the published equations (not the engine's own audit), and the engine's audited ranges
  lie inside those;
* every P1, P2 and P3 value is hidden, shown values are the true ones, zeros are shown except in
  hidden populations and unanimous rows, the overall count is shown;
* the release survives ``to_dict``/``from_dict`` through JSON;
* the engine never refuses: a release that leaves views out is checked on the views it kept;
  the overall count alone is the last resort.

Examples are derandomised so the default suite is repeatable; raise ``max_examples`` locally
to search harder.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.disclosure import (
    NO_ANSWER,
    ItemInput,
    ProtectedRelease,
    ReleaseInput,
    protect_release,
    protect_table,
)
from analysis.disclosure.release import restrict

from .checking import check_release

Population = tuple[tuple[str, str], ...]

SMALL_OR_LARGE = st.one_of(st.integers(0, 3), st.integers(0, 25))


@st.composite
def releases(draw: Any, mode: str) -> tuple[ReleaseInput, int, int]:
    """A random release: ``mode`` is "one", "two_views" or "cross"."""
    ga = draw(st.integers(2, 4))
    gb = 1 if mode == "one" else draw(st.integers(2, 3))
    dims = {"a": tuple(f"a{i}" for i in range(ga)), "b": tuple(f"b{i}" for i in range(gb))}
    if mode == "one":
        views: tuple[tuple[str, ...], ...] = ((), ("a",))
    elif mode == "two_views":
        views = ((), ("a",), ("b",))
    else:
        views = ((), ("a", "b"))
    n_options = draw(st.integers(2, 3))
    options = tuple(f"o{j}" for j in range(n_options))
    # innermost cells: (a, b) -> counts of each exclusive answer and no-answer
    exclusive = {
        (g, h): [draw(SMALL_OR_LARGE) for _ in range(n_options + 1)]
        for g in range(ga)
        for h in range(gb)
    }
    multiple: dict[tuple[int, int], list[int]] = {}
    for key, answers in exclusive.items():
        n = sum(answers)
        no_answer = draw(st.integers(0, n))
        ticks = [draw(st.integers(0, n - no_answer)) for _ in range(n_options)]
        multiple[key] = [*ticks, no_answer]

    def pops() -> list[tuple[Population, list[tuple[int, int]]]]:
        out: list[tuple[Population, list[tuple[int, int]]]] = [((), list(exclusive))]
        for view in views:
            for dim in view:
                for i, g in enumerate(dims[dim]):
                    keys = [key for key in exclusive if key[0 if dim == "a" else 1] == i]
                    out.append((((dim, g),), keys))
            if len(view) == 2:
                for key in exclusive:
                    out.append(((("a", dims["a"][key[0]]), ("b", dims["b"][key[1]])), [key]))
        return out

    sizes: dict[Population, int] = {}
    counts_x: dict[Population, dict[str, int]] = {}
    counts_m: dict[Population, dict[str, int]] = {}
    for pop, keys in pops():
        ex = np.sum([exclusive[key] for key in keys], axis=0)
        mu = np.sum([multiple[key] for key in keys], axis=0)
        sizes[pop] = int(ex.sum())
        counts_x[pop] = {**{o: int(ex[j]) for j, o in enumerate(options)}, NO_ANSWER: int(ex[-1])}
        counts_m[pop] = {**{o: int(mu[j]) for j, o in enumerate(options)}, NO_ANSWER: int(mu[-1])}
    items = (
        ItemInput("qx", "exclusive", draw(st.booleans()), options, counts_x),
        ItemInput("qm", "multiple", draw(st.booleans()), options, counts_m),
    )
    k = draw(st.sampled_from([5, 10]))
    k_cell = draw(st.sampled_from([2, 3]))
    return ReleaseInput(dims, views, sizes, items), k, k_cell


def check(spec: ReleaseInput, k: int, k_cell: int) -> None:
    release = protect_release(spec, k=k, k_cell=k_cell)  # never refused
    items_shown = any(
        value is not None for rows in release.items.values() for value in rows[()].values()
    )
    if release.views == ((),) and not items_shown:
        # the last resort: the overall count alone, which reveals nothing about anyone
        assert dict(release.sizes) == {(): spec.sizes[()]}
    else:
        # every view it kept is checked exactly as if it had been the only ones asked for
        check_release(restrict(spec, release.views), release)
    again = ProtectedRelease.from_dict(json.loads(json.dumps(release.to_dict())))
    assert again == release


SETTINGS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same examples on every run: a fast, repeatable default suite
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(releases("one"))
def test_one_way_releases_are_safe(case: tuple[ReleaseInput, int, int]) -> None:
    check(*case)


@SETTINGS
@given(releases("two_views"))
def test_two_linked_one_way_tables_are_safe(case: tuple[ReleaseInput, int, int]) -> None:
    check(*case)


@SETTINGS
@given(releases("cross"))
def test_two_way_tables_with_margins_are_safe(case: tuple[ReleaseInput, int, int]) -> None:
    check(*case)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    st.lists(st.lists(SMALL_OR_LARGE, min_size=3, max_size=3), min_size=4, max_size=4),
    st.booleans(),
)
def test_protect_table_matches_the_release_layout(rows: list[list[int]], sensitive: bool) -> None:
    index = pd.MultiIndex.from_product([["x", "y"], ["p", "q"]], names=["site", "grade"])
    counts = pd.DataFrame(rows, index=index, columns=["yes", "no", "unsure"])
    out = protect_table(counts, sensitive=sensitive)
    assert list(out.columns) == ["yes", "no", "unsure", "Total"]
    assert len(out) == 4 + 2 + 2 + 1
    assert all(str(t) == "Int64" for t in out.dtypes)
    values = counts.to_numpy()
    if values.sum() < 10:
        assert out.notna().sum().sum() == 1
        return
    for label, row in counts.iterrows():
        for column, value in row.items():
            shown = out.loc[label, column]
            assert shown is pd.NA or shown == value
        total = out.loc[label, "Total"]
        assert total is pd.NA or total == row.sum() or not 0 < row.sum() < 10
        if 0 < row.sum() < 10:
            assert total is pd.NA
    assert out.loc[("All", "All"), "Total"] == values.sum()
