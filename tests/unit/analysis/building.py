"""Build small ``ReleaseInput`` objects from respondent records, for the disclosure tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from analysis.disclosure import NO_ANSWER, ItemInput, ReleaseInput

Population = tuple[tuple[str, str], ...]


def release_from_people(
    dimensions: Mapping[str, tuple[str, ...]],
    views: tuple[tuple[str, ...], ...],
    people: Sequence[Mapping[str, object]],
    items: Sequence[tuple[str, str, bool, tuple[str, ...]]],
) -> ReleaseInput:
    """Count respondents into every population of ``views``.

    ``people`` are dicts: one entry per dimension (a group), and per item id either an option
    (exclusive), a tuple of options (multiple) or ``None`` (no answer).
    ``items`` are ``(id, kind, sensitive, options)``.
    """
    pops: set[Population] = {()}
    for view in views:
        for dim in view:
            pops.update(((dim, g),) for g in dimensions[dim])
        if len(view) == 2:
            a, b = view
            pops.update(
                tuple(sorted(((a, g), (b, h)))) for g in dimensions[a] for h in dimensions[b]
            )

    def members(pop: Population) -> list[Mapping[str, object]]:
        return [p for p in people if all(p[d] == g for d, g in pop)]

    sizes = {pop: len(members(pop)) for pop in pops}
    built = []
    for item_id, kind, sensitive, options in items:
        counts: dict[Population, dict[str, int]] = {}
        for pop in pops:
            row = dict.fromkeys((*options, NO_ANSWER), 0)
            for person in members(pop):
                answer = person.get(item_id)
                if answer is None:
                    row[NO_ANSWER] += 1
                elif isinstance(answer, tuple):
                    for option in answer:
                        row[str(option)] += 1
                else:
                    row[str(answer)] += 1
            counts[pop] = row
        built.append(
            ItemInput(
                id=item_id,
                kind="exclusive" if kind == "exclusive" else "multiple",
                sensitive=sensitive,
                options=options,
                counts=counts,
            )
        )
    return ReleaseInput(dimensions=dict(dimensions), views=views, sizes=sizes, items=tuple(built))


def one_way(
    dim: str, table: Mapping[str, Mapping[str, int]], *, sensitive: bool, kind: str = "exclusive"
) -> ReleaseInput:
    """A one-way release with one item from ``{group: {column: count}}`` (columns incl. no-answer).

    For ``"exclusive"`` the size is the row sum; for ``"multiple"`` the size must be given as
    the ``"n"`` column.
    """
    groups = tuple(table)
    first = next(iter(table.values()))
    options = tuple(c for c in first if c not in (NO_ANSWER, "n"))
    rows: dict[Population, dict[str, int]] = {}
    sizes: dict[Population, int] = {}
    for group, row in table.items():
        pop = ((dim, group),)
        rows[pop] = {c: int(row.get(c, 0)) for c in (*options, NO_ANSWER)}
        sizes[pop] = int(row["n"]) if "n" in row else sum(rows[pop].values())
    rows[()] = {c: sum(rows[((dim, g),)][c] for g in groups) for c in (*options, NO_ANSWER)}
    sizes[()] = sum(sizes[((dim, g),)] for g in groups)
    item = ItemInput(
        id="q",
        kind="exclusive" if kind == "exclusive" else "multiple",
        sensitive=sensitive,
        options=options,
        counts=rows,
    )
    return ReleaseInput(dimensions={dim: groups}, views=((), (dim,)), sizes=sizes, items=(item,))


def linked_release() -> ReleaseInput:
    people: list[dict[str, object]] = []
    layout = {
        ("north", "asian"): 3,
        ("north", "black"): 14,
        ("north", "white"): 40,
        ("south", "asian"): 16,
        ("south", "black"): 12,
        ("south", "white"): 35,
        ("west", "asian"): 11,
        ("west", "black"): 19,
        ("west", "white"): 25,
    }
    for (council, ethnic), n in layout.items():
        for j in range(n):
            people.append(
                {
                    "council": council,
                    "ethnic": ethnic,
                    "q1": ("agree", "disagree", None)[j % 3],
                    "q2": (("pay",), ("pay", "promotion"), ())[j % 3] if j % 5 else None,
                }
            )
    return release_from_people(
        {"council": ("north", "south", "west"), "ethnic": ("asian", "black", "white")},
        ((), ("council",), ("ethnic",), ("council", "ethnic")),
        people,
        [
            ("q1", "exclusive", True, ("agree", "disagree")),
            ("q2", "multiple", False, ("pay", "promotion")),
        ],
    )


def two_way(
    dims: tuple[str, str],
    cells: Mapping[tuple[str, str], Mapping[str, int]],
    *,
    sensitive: bool,
) -> ReleaseInput:
    """A two-way release (margins included) with one exclusive item, from its inner cells.

    ``cells`` maps (group of the first dimension, group of the second) to
    ``{option: count}`` plus the no-answer count; sizes are row sums.
    """
    first, second = dims
    groups_a = tuple(dict.fromkeys(a for a, _ in cells))
    groups_b = tuple(dict.fromkeys(b for _, b in cells))
    columns = tuple(next(iter(cells.values())))
    options = tuple(c for c in columns if c != NO_ANSWER)
    rows: dict[Population, dict[str, int]] = {}

    def add(pop: Population, row: Mapping[str, int]) -> None:
        total = rows.setdefault(pop, dict.fromkeys(columns, 0))
        for column in columns:
            total[column] += int(row[column])

    for (a, b), row in cells.items():
        add(tuple(sorted(((first, a), (second, b)))), row)
        add(((first, a),), row)
        add(((second, b),), row)
        add((), row)
    item = ItemInput(id="q", kind="exclusive", sensitive=sensitive, options=options, counts=rows)
    return ReleaseInput(
        dimensions={first: groups_a, second: groups_b},
        views=((), (first, second)),
        sizes={pop: sum(row.values()) for pop, row in rows.items()},
        items=(item,),
    )
