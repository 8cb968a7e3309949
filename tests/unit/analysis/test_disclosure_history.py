"""Releases of the same data protected together: ``protect_release(..., keep_hidden=...)``.

A reader who holds two releases of the same survey knows every value either of them shows.
If the second hid a different set of cells, the two together could give away what each hid
on its own. Keeping the first release's hidden cells hidden in the second means the second
shows nothing the first did not, so together they say exactly what the first said.
"""

from __future__ import annotations

from types import MappingProxyType

from analysis.disclosure import NO_ANSWER, ProtectedRelease, ReleaseInput, protect_release
from tests.unit.analysis.building import linked_release, one_way
from tests.unit.analysis.checking import check_release, hidden_ranges, true_values

K, K_CELL = 10, 3
A_YES = ((("council", "a"),), "q", "yes")


def small_council_table() -> ReleaseInput:
    """Council a has one "yes": any one other council can be its complement."""
    return one_way(
        "council",
        {
            "a": {"yes": 1, "no": 14, NO_ANSWER: 0},
            "b": {"yes": 6, "no": 9, NO_ANSWER: 0},
            "c": {"yes": 7, "no": 8, NO_ANSWER: 0},
            "d": {"yes": 9, "no": 7, NO_ANSWER: 0},
        },
        sensitive=False,
    )


def shown_by_either(first: ProtectedRelease, second: ProtectedRelease) -> ProtectedRelease:
    """What a reader holding both releases of the same data knows: every value either shows."""

    def pick(a: int | None, b: int | None) -> int | None:
        return a if a is not None else b

    sizes = {pop: pick(v, second.sizes[pop]) for pop, v in first.sizes.items()}
    items = {
        item: MappingProxyType(
            {
                pop: MappingProxyType(
                    {col: pick(v, second.items[item][pop][col]) for col, v in row.items()}
                )
                for pop, row in rows.items()
            }
        )
        for item, rows in first.items.items()
    }
    hidden = [e for e in first.audit if (e.population, e.item, e.column) in second.hidden_cells()]
    return ProtectedRelease(K, K_CELL, sizes, items, tuple(hidden), first.dimensions, first.views)


def test_two_releases_protected_apart_can_give_away_a_small_count() -> None:
    """The attack: two safe releases of the same table, with different complements."""
    spec = small_council_table()
    first = protect_release(spec, k=K, k_cell=K_CELL)
    # Push the second run to another complement, as a different review or engine might.
    second = protect_release(
        spec, k=K, k_cell=K_CELL, keep_hidden=[((("council", "c"),), "q", "yes")]
    )
    check_release(spec, first)
    check_release(spec, second)
    assert first.hidden_cells() != second.hidden_cells()
    together = shown_by_either(first, second)
    ranges = hidden_ranges(spec, together).ranges
    low, high = ranges[A_YES]
    assert (low, high) == (1, 1), "the count of one is recovered from the two releases"


def test_keeping_earlier_hidden_cells_shows_nothing_new() -> None:
    spec = small_council_table()
    first = protect_release(spec, k=K, k_cell=K_CELL)
    second = protect_release(spec, k=K, k_cell=K_CELL, keep_hidden=first.hidden_cells())
    check_release(spec, second)
    assert first.hidden_cells() <= second.hidden_cells()
    together = shown_by_either(first, second)
    ranges = hidden_ranges(spec, together).ranges
    low, high = ranges[A_YES]
    assert high - low >= K_CELL


def test_kept_cells_stay_hidden_across_linked_tables() -> None:
    """Two-way views, a multiple-choice item and a sensitive one: every kept cell, size or
    answer count, is hidden again and the result passes every rule."""
    spec = linked_release()
    first = protect_release(spec, k=K, k_cell=K_CELL)
    values = true_values(spec)
    # Also keep a few shown cells hidden, as an earlier release with other complements would.
    extra = {
        key
        for key in sorted(values, key=repr)
        if key[1] == "q1" and key[2] == "agree" and len(key[0]) == 1
    }
    second = protect_release(spec, k=K, k_cell=K_CELL, keep_hidden=first.hidden_cells() | extra)
    assert first.hidden_cells() | extra <= second.hidden_cells()
    check_release(spec, second)


def test_cells_the_release_does_not_have_are_ignored() -> None:
    spec = small_council_table()
    plain = protect_release(spec, k=K, k_cell=K_CELL)
    kept = protect_release(
        spec,
        k=K,
        k_cell=K_CELL,
        keep_hidden=[
            ((("council", "z"),), "q", "yes"),
            ((("council", "b"),), "other-question", "yes"),
            ((("council", "b"),), "q", "maybe"),
        ],
    )
    assert kept.hidden_cells() == plain.hidden_cells()
