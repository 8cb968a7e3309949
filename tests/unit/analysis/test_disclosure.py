"""Worked examples for every disclosure rule; each is one a naive implementation gets wrong.

Every example is also checked by an independent integer programme (``checking.py``) that
recomputes, from the published numbers alone, how far each hidden value can move.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.disclosure import (
    NO_ANSWER,
    AuditEntry,
    ItemInput,
    ProtectedRelease,
    ReleaseInput,
    protect_release,
    protect_table,
    render,
)

from .building import linked_release, one_way, two_way
from .checking import attack, check_release, hidden_ranges


def hidden(frame: pd.DataFrame) -> set[tuple[object, str]]:
    """(row label, column) of every hidden value in a protected table."""
    return {
        (label, str(column))
        for label, row in frame.iterrows()
        for column, value in row.items()
        if value is pd.NA
    }


# -- one-way tables ----------------------------------------------------------------------------


def test_single_small_group_gets_a_complement_or_the_total_would_give_it_away() -> None:
    counts = pd.DataFrame(
        {"yes": [3, 20, 30], "no": [1, 25, 40]},
        index=pd.Index(["essex", "kent", "surrey"], name="council"),
    )
    out = protect_table(counts)
    # essex (4 people) is hidden; hiding it alone, All - kent - surrey would give it back.
    # The cheapest complement is the smaller remaining group, kent, as a whole row.
    assert hidden(out) == {(g, c) for g in ("essex", "kent") for c in ("yes", "no", "Total")}
    assert out.loc["All"].tolist() == [53, 66, 119]
    assert out.loc["surrey"].tolist() == [30, 40, 70]
    assert str(out.dtypes.iloc[0]) == "Int64"
    assert list(out.index) == ["essex", "kent", "surrey", "All"]
    assert list(out.columns) == ["yes", "no", "Total"]


def test_population_size_keeps_a_range_of_at_least_k() -> None:
    spec = one_way(
        "council",
        {"essex": {"yes": 3, "no": 1}, "kent": {"yes": 20, "no": 25}, "surrey": {"yes": 30}},
        sensitive=False,
    )
    release = protect_release(spec)
    ranges = check_release(spec, release).ranges
    low, high = ranges[((("council", "essex"),), None, "Total")]
    assert high - low >= 10
    entry = next(
        e for e in release.audit if e.item is None and e.population == (("council", "essex"),)
    )
    assert entry.rule == "P1"
    assert entry.value_range[1] - entry.value_range[0] >= 10


def test_a_zero_can_be_the_cheapest_complement() -> None:
    counts = pd.DataFrame(
        {"yes": [1, 0, 20], "no": [12, 5, 0], "maybe": [0, 10, 15]},
        index=pd.Index(["g1", "g2", "g3"], name="team"),
    )
    out = protect_table(counts, sensitive=False)
    # g1's "yes" (1) is hidden. The box through g3 uses g3's "no", a zero: hiding it costs
    # the least, and the All row stays whole. (Zeros can be complements, so a reader never
    # knows that a hidden count is at least 1.)
    assert hidden(out) == {("g1", "yes"), ("g1", "no"), ("g3", "yes"), ("g3", "no")}
    assert out.loc["All"].tolist() == [21, 17, 25, 63]
    assert out.loc["g1", "maybe"] == 0
    assert out.loc["g1", "Total"] == 13


def test_small_count_is_not_recoverable_from_row_and_column_totals() -> None:
    counts = pd.DataFrame(
        {"yes": [1, 15, 30], "no": [20, 30, 25]},
        index=pd.Index(["g1", "g2", "g3"], name="team"),
    )
    out = protect_table(counts, sensitive=False)
    cells = hidden(out)
    assert ("g1", "yes") in cells
    # hiding one more cell in the row is not enough: the column needs one too, and that row
    # then needs a second cell, closing the rectangle
    for label, column in cells:
        assert sum(1 for lab, _ in cells if lab == label) >= 2
        assert sum(1 for _, col in cells if col == column) >= 2
    spec = one_way(
        "team",
        {
            g: {"yes": int(counts.loc[g, "yes"]), "no": int(counts.loc[g, "no"])}
            for g in counts.index
        },
        sensitive=False,
    )
    release = protect_release(spec)
    ranges = check_release(spec, release).ranges
    low, high = ranges[((("team", "g1"),), "q", "yes")]
    assert high - low >= 3


# -- two-way tables ----------------------------------------------------------------------------


def two_by_two() -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples(
        [("c1", "e1"), ("c1", "e2"), ("c2", "e1"), ("c2", "e2")], names=["council", "ethnic"]
    )
    return pd.DataFrame({"count": [4, 50, 60, 70]}, index=index)


def test_two_way_small_cell_needs_a_full_rectangle_and_margins_stay() -> None:
    out = protect_table(two_by_two(), sensitive=False)
    # (c1, e1) = 4 is hidden. Its row sibling (c1, e2) = 50 differs from the row margin c1 = 54
    # by 4, and (c2, e1) from e1 = 64 by 4 (nested rule); (c2, e2) closes the rectangle.
    inner = [("c1", "e1"), ("c1", "e2"), ("c2", "e1"), ("c2", "e2")]
    assert hidden(out) == {(cell, c) for cell in inner for c in ("count", "Total")}
    assert out.loc[("c1", "All"), "Total"] == 54
    assert out.loc[("All", "e1"), "Total"] == 64
    assert out.loc[("All", "All"), "Total"] == 184
    assert list(out.index) == [
        *inner,
        ("c1", "All"),
        ("c2", "All"),
        ("All", "e1"),
        ("All", "e2"),
        ("All", "All"),
    ]


def test_two_way_chains_through_columns() -> None:
    index = pd.MultiIndex.from_product([["c1", "c2", "c3"], ["e1", "e2", "e3"]])
    counts = pd.DataFrame(
        {
            "agree": [2, 30, 25, 40, 35, 30, 28, 33, 45],
            "disagree": [20, 25, 30, 35, 40, 45, 30, 20, 10],
        },
        index=index,
    )
    out = protect_table(counts, sensitive=False)
    cells = hidden(out)
    assert (("c1", "e1"), "agree") in cells
    assert out.index.names == [None, None]
    inner = {(label, col) for label, col in cells if "All" not in label}
    # in the inner table every hidden value shares its council, its ethnic group and its
    # answer with another hidden value: one complement per row would not do
    for (council, ethnic), column in inner:
        assert any(c == council and (e, col) != (ethnic, column) for (c, e), col in inner)
        assert any(e == ethnic and (c, col) != (council, column) for (c, e), col in inner)
        assert any(col == column and (c, e) != (council, ethnic) for (c, e), col in inner)


# -- P3, P0, nested ----------------------------------------------------------------------------


def unanimous_table(sensitive: bool) -> tuple[ReleaseInput, pd.DataFrame]:
    rows = {
        "g1": {"yes": 12, "no": 0},
        "g2": {"yes": 20, "no": 15},
        "g3": {"yes": 18, "no": 22},
    }
    frame = pd.DataFrame(rows).T
    return one_way("team", rows, sensitive=sensitive), frame


def test_unanimity_hidden_on_a_sensitive_question() -> None:
    spec, frame = unanimous_table(sensitive=True)
    out = protect_table(frame, sensitive=True)
    assert out.loc["g1", "yes"] is pd.NA
    assert out.loc["g1", "no"] is pd.NA  # the zero too: showing it would say "all said yes"
    assert out.loc["g1", "Total"] == 12
    release = protect_release(spec)
    check = check_release(spec, release)
    gap, _answered = check.shortfall[((("team", "g1"),), "q", "yes")]
    assert gap >= 3  # at least 3 of g1's 12 could have said "no"
    assert {e.rule for e in release.audit if e.population == (("team", "g1"),)} == {"P3"}


def test_unanimity_shown_on_a_question_that_is_not_sensitive() -> None:
    spec, frame = unanimous_table(sensitive=False)
    out = protect_table(frame, sensitive=False)
    assert not hidden(out)
    release = protect_release(spec)
    assert release.audit == ()


def test_whole_survey_under_k_shows_only_the_overall_count() -> None:
    counts = pd.DataFrame({"yes": [3, 2], "no": [1, 2]}, index=pd.Index(["a", "b"], name="council"))
    out = protect_table(counts)
    assert out.loc["All", "Total"] == 8
    assert hidden(out) == {(g, c) for g in ("a", "b", "All") for c in ("yes", "no", "Total")} - {
        ("All", "Total")
    }
    spec = one_way("council", {"a": {"yes": 3, "no": 1}, "b": {"yes": 2, "no": 2}}, sensitive=True)
    release = protect_release(spec)
    assert {e.rule for e in release.audit} == {"P0"}
    assert release.size(()) == 8


def test_nested_council_nearly_everyone_is_hidden() -> None:
    spec = one_way(
        "council",
        {"essex": {"yes": 50, "no": 45}, "kent": {"yes": 0, "no": 0}, "_missing": {"yes": 5}},
        sensitive=False,
    )
    release = protect_release(spec)
    # everyone 100, essex 95: showing both gives away the 5 others
    assert release.size((("council", "essex"),)) is None
    assert release.size((("council", "_missing"),)) is None
    assert release.size((("council", "kent"),)) == 0
    assert release.size(()) == 100
    rules = {e.population: e.rule for e in release.audit if e.item is None}
    assert rules == {(("council", "essex"),): "nested", (("council", "_missing"),): "P1"}
    check_release(spec, release)


# -- linked tables -----------------------------------------------------------------------------


def test_group_hidden_in_the_count_table_is_hidden_in_every_table() -> None:
    spec = linked_release()
    release = protect_release(spec)
    small = (("council", "north"), ("ethnic", "asian"))
    assert release.size(small) is None
    counts = render(release, ("council", "ethnic"))
    assert counts.loc[("north", "asian"), "Total"] is pd.NA
    for item in ("q1", "q2"):
        table = render(release, ("council", "ethnic"), item)
        assert table.loc[("north", "asian")].isna().all()
        # the same pattern of hidden groups in every table
        assert list(table["Total"].isna()) == list(counts["Total"].isna())
    check_release(spec, release)


def test_population_is_one_value_in_every_view() -> None:
    release = protect_release(linked_release())
    one = render(release, ("council",))
    two = render(release, ("council", "ethnic"))
    for council in ("north", "south", "west"):
        assert one.loc[council, "Total"] is two.loc[(council, "All"), "Total"] or (
            one.loc[council, "Total"] == two.loc[(council, "All"), "Total"]
        )
    item_one = render(release, ("ethnic",), "q1")
    item_two = render(release, ("council", "ethnic"), "q1")
    for ethnic in ("asian", "black", "white"):
        left = item_one.loc[ethnic].tolist()
        right = item_two.loc[("All", ethnic)].tolist()
        assert [None if v is pd.NA else v for v in left] == [
            None if v is pd.NA else v for v in right
        ]
    assert list(item_one.columns) == ["agree", "disagree", NO_ANSWER, "Total"]


# -- multiple choice ---------------------------------------------------------------------------


def test_multiple_choice_has_no_row_sum_so_complements_stay_in_the_column() -> None:
    table = {
        "g1": {"pay": 1, "promotion": 9, NO_ANSWER: 4, "n": 16},
        "g2": {"pay": 12, "promotion": 10, NO_ANSWER: 3, "n": 20},
        "g3": {"pay": 15, "promotion": 16, NO_ANSWER: 4, "n": 25},
    }
    spec = one_way("team", table, sensitive=False, kind="multiple")
    release = protect_release(spec)
    hidden_items = {(e.population, e.column) for e in release.audit if e.item == "q"}
    assert ((("team", "g1"),), "pay") in hidden_items
    # options do not add up to anything, so no other option is hidden alongside
    assert {column for _pop, column in hidden_items} == {"pay"}
    check_release(spec, release)


def test_multiple_choice_inequality_still_bounds_a_hidden_count() -> None:
    table = {
        "g1": {"pay": 1, "promotion": 2, NO_ANSWER: 9, "n": 11},
        "g2": {"pay": 12, "promotion": 10, NO_ANSWER: 3, "n": 20},
        "g3": {"pay": 15, "promotion": 16, NO_ANSWER: 4, "n": 25},
    }
    spec = one_way("team", table, sensitive=False, kind="multiple")
    release = protect_release(spec)
    ranges = check_release(spec, release).ranges
    pop = (("team", "g1"),)
    shown_na = release.value("q", pop, NO_ANSWER)
    low, high = ranges[(pop, "q", "pay")]
    assert high - low >= 3
    if shown_na is not None:  # at most everyone who answered ticked it
        assert high <= 11 - shown_na


# -- no safe release ---------------------------------------------------------------------------


def test_when_nothing_else_is_safe_only_the_overall_count_is_published() -> None:
    spec = one_way("team", {"a": {"yes": 2, "no": 4}, "b": {"yes": 0, "no": 0}}, sensitive=False)
    # every count is below k_cell = 8, but nothing can be wider than the 6 people in all:
    # the release is not refused; it shows the overall count and nothing else
    release = protect_release(spec, k=5, k_cell=8)
    assert release.views == ((),)
    assert dict(release.sizes) == {(): 6}
    assert all(value is None for value in release.items["q"][()].values())


def test_a_question_that_cannot_be_shown_by_a_view_is_left_out_of_it() -> None:
    spec = two_way(
        ("site", "grade"),
        {
            ("s0", "g0"): {"yes": 10, "no": 10, "unsure": 0, NO_ANSWER: 2},
            ("s0", "g1"): {"yes": 6, "no": 0, "unsure": 0, NO_ANSWER: 6},
            ("s1", "g0"): {"yes": 15, "no": 12, "unsure": 5, NO_ANSWER: 3},
            ("s1", "g1"): {"yes": 20, "no": 0, "unsure": 4, NO_ANSWER: 5},
        },
        sensitive=True,
    )
    # Everyone in (s0, g1) who answered said yes. Nobody in grade g1 said "no" and nobody at
    # site s0 said "unsure": both zeros are shown, so the unanimity could be read off them.
    # So the question is not published by the two-way view (its group sizes still are), and
    # the one-way views are published whole; the attacker finds nothing to learn.
    release = protect_release(spec)
    assert ("site",) in release.views and ("grade",) in release.views
    assert release.publishes("q", ("site",)) and release.publishes("q", ("grade",))
    assert not release.publishes("q", ("site", "grade"))
    assert all(len(pop) < 2 for pop in release.items["q"])
    result = attack(spec, release)
    assert not result.breaches, result.report()


# -- the release object ------------------------------------------------------------------------


def test_release_round_trips_through_json() -> None:
    release = protect_release(linked_release())
    data = json.loads(json.dumps(release.to_dict()))
    again = ProtectedRelease.from_dict(data)
    assert again == release
    assert render(again, ("council", "ethnic"), "q1").equals(
        render(release, ("council", "ethnic"), "q1")
    )
    assert all(isinstance(entry, AuditEntry) for entry in again.audit)


def test_same_input_gives_the_same_release() -> None:
    first = protect_release(linked_release())
    second = protect_release(linked_release())
    assert first.to_dict() == second.to_dict()


def test_release_accessors() -> None:
    release = protect_release(linked_release())
    pop = (("ethnic", "white"), ("council", "south"))  # any order
    assert release.size(pop) == 35
    assert release.value("q1", pop, "Total") == 35
    assert render(release, (), None).loc["All", "Total"] == release.size(())
    with pytest.raises(ValueError, match="unknown dimension"):
        render(release, ("region",))


def test_hidden_ranges_recomputed_independently() -> None:
    spec = linked_release()
    release = protect_release(spec)
    ranges = hidden_ranges(spec, release).ranges
    assert ranges  # something is hidden
    assert set(ranges) == {(e.population, e.item, e.column) for e in release.audit}


# -- input checks ------------------------------------------------------------------------------


def test_protect_table_refuses_bad_counts() -> None:
    good = pd.DataFrame({"yes": [10, 20]}, index=["a", "b"])
    with pytest.raises(ValueError, match="negative"):
        protect_table(good * -1)
    with pytest.raises(ValueError, match="integers"):
        protect_table(good.astype(float))
    with pytest.raises(ValueError, match="unique"):
        protect_table(pd.DataFrame({"yes": [10, 20]}, index=["a", "a"]))
    with pytest.raises(ValueError, match="'All'"):
        protect_table(pd.DataFrame({"yes": [10, 20]}, index=["a", "All"]))
    with pytest.raises(ValueError, match="k must be"):
        protect_table(good, k=4)
    three = pd.MultiIndex.from_tuples([(1, 2, 3)])
    with pytest.raises(ValueError, match="two levels"):
        protect_table(pd.DataFrame({"yes": [10]}, index=three))


def test_protect_release_refuses_inconsistent_input() -> None:
    spec = linked_release()
    sizes = dict(spec.sizes)
    sizes[(("council", "north"),)] += 1
    with pytest.raises(ValueError, match="add up"):
        protect_release(ReleaseInput(spec.dimensions, spec.views, sizes, spec.items))
    del sizes[(("council", "north"),)]
    with pytest.raises(ValueError, match="missing"):
        protect_release(ReleaseInput(spec.dimensions, spec.views, sizes, spec.items))
    with pytest.raises(ValueError, match="unknown dimension"):
        protect_release(ReleaseInput(spec.dimensions, (("region",),), spec.sizes, spec.items))
    item = spec.items[0]
    counts = {pop: dict(row) for pop, row in item.counts.items()}
    counts[()]["agree"] += 1
    broken = ItemInput(item.id, item.kind, item.sensitive, item.options, counts)
    with pytest.raises(ValueError, match="q1"):
        protect_release(ReleaseInput(spec.dimensions, spec.views, spec.sizes, (broken,)))
