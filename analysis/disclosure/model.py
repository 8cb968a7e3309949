"""The data that goes into and comes out of disclosure control.

Inputs (:class:`ReleaseInput`, :class:`ItemInput`) are plain counts. The output,
:class:`ProtectedRelease`, holds every published number (``None`` where a value is hidden) and
an internal audit saying which rule hid which cell. Everything here is a frozen dataclass.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

#: A set of respondents, named by (dimension, group) pairs sorted by dimension; ``()`` is everyone.
Population = tuple[tuple[str, str], ...]

#: One published value: ``(population, item, column)``; ``item`` is ``None`` (and ``column``
#: ``"Total"``) for a population size.
Cell = tuple[Population, str | None, str]

#: The column counting people in a population who did not answer an item.
NO_ANSWER = "_no_answer"

#: The column and row labels used in rendered tables.
TOTAL = "Total"
ALL = "All"

Kind = Literal["exclusive", "multiple"]


@dataclass(frozen=True)
class ItemInput:
    """One closed question (or one statement of a Likert grid).

    ``counts`` maps every published population to ``{option: count}`` plus ``NO_ANSWER``.
    ``"exclusive"``: options and no-answer add up to the population size. ``"multiple"``: each
    option count is at most (size - no-answer) and no-answer is at most the size.
    """

    id: str
    kind: Kind
    sensitive: bool
    options: tuple[str, ...]
    counts: Mapping[Population, Mapping[str, int]]
    #: ``"multiple"`` only: options that are ticked on their own ("None of these", "Other").
    exclusive_options: tuple[str, ...] = ()
    #: routing: ``(item id, options)`` — only people who gave one of these answers to that
    #: (earlier) item were asked this one, so in every population its answered count is at most
    #: the sum of those options' counts.
    opened_by: tuple[str, tuple[str, ...]] | None = None
    #: routing on any of several answers: ``((item id, options), ...)`` -- only people who gave
    #: one of these answers to at least one of those items were asked this one, so its answered
    #: count is at most the sum of all those options' counts.
    opened_by_any: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: another item answered by exactly the same people (e.g. the themes and the codebook of
    #: one free-text question): the two no-answer counts are one number.
    answered_with: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The option columns followed by the no-answer column."""
        return (*self.options, NO_ANSWER)


@dataclass(frozen=True)
class ReleaseInput:
    """Everything that one release publishes, before protection.

    ``dimensions`` maps each demographic dimension to its groups, a complete partition of
    everyone. ``views`` lists the published breakdowns (0, 1 or 2 dimensions each); ``sizes``
    gives the number of respondents in every population of every view.

    ``nesting`` declares dimensions that are functions of another: ``{derived: (base,
    {base group: derived group})}`` (a quarter, a format or a council is a function of the
    session). Everyone knows it, so each derived group is the sum of its base groups in every
    cell; only one-way views may use a nested dimension.

    ``public_dimensions`` names dimensions whose group sizes every reader already knows (a
    series' sessions: the room saw each session's count go up; a quarter's size is the sum of
    its sessions'). A population all of whose dimensions are public has a *public size*: shown,
    never hidden and never used as a complement. A public group of 1 to k-1 people still has
    every answer count hidden, and each must keep the range k_cell, or 0 to its size when that
    is smaller (a reader who knows a group has 2 people can never be told less than "0, 1 or
    2"). A public base dimension of a nesting is always published with the overall results, or
    only the overall count is (see ``protect_release``).
    """

    dimensions: Mapping[str, tuple[str, ...]]
    views: tuple[tuple[str, ...], ...]
    sizes: Mapping[Population, int]
    items: tuple[ItemInput, ...]
    nesting: Mapping[str, tuple[str, Mapping[str, str]]] = field(default_factory=dict)
    public_dimensions: frozenset[str] = frozenset()

    def is_public(self, population: Population) -> bool:
        """Whether every reader knows the size of ``population`` (everyone's included)."""
        return all(dim in self.public_dimensions for dim, _group in population)

    def with_items(self, items: tuple[ItemInput, ...]) -> ReleaseInput:
        """The same populations with ``items`` added after the existing ones."""
        return ReleaseInput(
            self.dimensions,
            self.views,
            self.sizes,
            (*self.items, *items),
            self.nesting,
            self.public_dimensions,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary (raw counts: keep it encrypted); see :meth:`from_dict`."""
        return {
            "dimensions": {dim: list(groups) for dim, groups in self.dimensions.items()},
            "views": [list(view) for view in self.views],
            "nesting": {
                derived: [base, dict(mapping)] for derived, (base, mapping) in self.nesting.items()
            },
            "public_dimensions": sorted(self.public_dimensions),
            "sizes": [[_pop_to_json(pop), value] for pop, value in self.sizes.items()],
            "items": [
                {
                    "id": item.id,
                    "kind": item.kind,
                    "sensitive": item.sensitive,
                    "options": list(item.options),
                    "exclusive_options": list(item.exclusive_options),
                    "opened_by": None
                    if item.opened_by is None
                    else [item.opened_by[0], list(item.opened_by[1])],
                    "opened_by_any": [[p, list(o)] for p, o in item.opened_by_any],
                    "answered_with": item.answered_with,
                    "counts": [
                        [_pop_to_json(pop), [[col, n] for col, n in row.items()]]
                        for pop, row in item.counts.items()
                    ],
                }
                for item in self.items
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReleaseInput:
        return cls(
            dimensions={str(d): tuple(str(g) for g in gs) for d, gs in data["dimensions"].items()},
            views=tuple(tuple(str(d) for d in view) for view in data["views"]),
            nesting={
                str(derived): (str(base), {str(k): str(v) for k, v in mapping.items()})
                for derived, (base, mapping) in data.get("nesting", {}).items()
            },
            public_dimensions=frozenset(str(d) for d in data.get("public_dimensions", ())),
            sizes={_pop_from_json(pop): int(value) for pop, value in data["sizes"]},
            items=tuple(
                ItemInput(
                    id=str(item["id"]),
                    kind=item["kind"],
                    sensitive=bool(item["sensitive"]),
                    options=tuple(str(o) for o in item["options"]),
                    exclusive_options=tuple(str(o) for o in item.get("exclusive_options", ())),
                    opened_by=None
                    if item.get("opened_by") is None
                    else (str(item["opened_by"][0]), tuple(str(o) for o in item["opened_by"][1])),
                    opened_by_any=tuple(
                        (str(p), tuple(str(o) for o in opening))
                        for p, opening in item.get("opened_by_any", ())
                    ),
                    answered_with=item.get("answered_with"),
                    counts={
                        _pop_from_json(pop): {str(col): int(n) for col, n in row}
                        for pop, row in item["counts"]
                    },
                )
                for item in data["items"]
            ),
        )


@dataclass(frozen=True)
class AuditEntry:
    """Why one cell is hidden, and how uncertain it stays (internal; never shown to readers).

    ``value_range`` is a certified range: both ends are values that the cell takes in some table
    of non-negative integers agreeing with everything published (see the package README).
    ``item`` is ``None`` for a population size (column ``"Total"``).
    """

    population: Population
    item: str | None
    column: str
    rule: str
    value_range: tuple[int, int]


def _freeze(mapping: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class ProtectedRelease:
    """A protected release: every number that may be published, and the audit behind it.

    ``sizes[population]`` and ``items[item][population][column]`` are ``None`` where hidden.
    """

    k: int
    k_cell: int
    sizes: Mapping[Population, int | None]
    items: Mapping[str, Mapping[Population, Mapping[str, int | None]]]
    audit: tuple[AuditEntry, ...]
    dimensions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    views: tuple[tuple[str, ...], ...] = ()

    def size(self, population: Population) -> int | None:
        """The published size of ``population`` (``None`` if hidden)."""
        return self.sizes[_canonical(population)]

    def value(self, item: str, population: Population, column: str) -> int | None:
        """The published count of ``column`` for ``item`` in ``population`` (``None`` if hidden)."""
        if column == TOTAL:
            return self.size(population)
        return self.items[item][_canonical(population)][column]

    def publishes(self, item: str, view: tuple[str, ...]) -> bool:
        """Whether ``item`` is broken down by ``view`` (some items are published overall only,
        see :meth:`with_overall_items`; a breakdown can leave out a question it could not
        show without costing an earlier figure, see ``protect_release``)."""
        rows = self.items.get(item)
        if rows is None:
            return False
        groups = [[(dim, group) for group in self.dimensions.get(dim, ())] for dim in view]
        return all(_canonical(tuple(pop)) in rows for pop in itertools.product(*groups))

    def hidden_cells(self) -> set[Cell]:
        """Every hidden value, as ``(population, item, column)``."""
        found: set[Cell] = {
            (pop, None, TOTAL) for pop, value in self.sizes.items() if value is None
        }
        for item_id, rows in self.items.items():
            for pop, row in rows.items():
                found.update(
                    (pop, item_id, column) for column, value in row.items() if value is None
                )
        return found

    def without_items(self, item_ids: set[str]) -> ProtectedRelease:
        """The same release without the named items (and their audit entries)."""
        return ProtectedRelease(
            k=self.k,
            k_cell=self.k_cell,
            sizes=self.sizes,
            items=_freeze({i: rows for i, rows in self.items.items() if i not in item_ids}),
            audit=tuple(e for e in self.audit if e.item not in item_ids),
            dimensions=self.dimensions,
            views=self.views,
        )

    def with_items_of(self, other: ProtectedRelease, item_ids: set[str]) -> ProtectedRelease:
        """This release plus the named items exactly as ``other`` published them. ``other``
        must be a release of the same respondents with the same published sizes, so the items
        say nothing together with this release that they did not say with ``other``."""
        if dict(other.sizes) != dict(self.sizes):
            raise ValueError("items can only be taken from a release with the same sizes")
        base = self.without_items(item_ids)
        return ProtectedRelease(
            k=self.k,
            k_cell=self.k_cell,
            sizes=self.sizes,
            items=_freeze({**base.items, **{i: other.items[i] for i in item_ids}}),
            audit=base.audit + tuple(e for e in other.audit if e.item in item_ids),
            dimensions=self.dimensions,
            views=self.views,
        )

    def with_overall_items(self, other: ProtectedRelease) -> ProtectedRelease:
        """This release plus the items of ``other``, a release of the same respondents that
        publishes the overall row only (its items replace any of the same id here).

        Safe to combine: the two share nothing but the overall count, which both show.
        """
        if set(other.sizes) != {()} or other.sizes[()] != self.sizes.get(()):
            raise ValueError("the added release must publish the same overall count only")
        base = self.without_items(set(other.items))
        return ProtectedRelease(
            k=self.k,
            k_cell=self.k_cell,
            sizes=self.sizes,
            items=_freeze({**base.items, **other.items}),
            audit=base.audit + tuple(e for e in other.audit if e.item is not None),
            dimensions=self.dimensions,
            views=self.views,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary; :meth:`from_dict` turns it back into an equal release."""
        return {
            "k": self.k,
            "k_cell": self.k_cell,
            "dimensions": {dim: list(groups) for dim, groups in self.dimensions.items()},
            "views": [list(view) for view in self.views],
            "sizes": [
                {"population": _pop_to_json(pop), "value": value}
                for pop, value in self.sizes.items()
            ],
            "items": [
                {
                    "id": item_id,
                    "rows": [
                        {
                            "population": _pop_to_json(pop),
                            "values": [[column, value] for column, value in row.items()],
                        }
                        for pop, row in rows.items()
                    ],
                }
                for item_id, rows in self.items.items()
            ],
            "audit": [
                {
                    "population": _pop_to_json(entry.population),
                    "item": entry.item,
                    "column": entry.column,
                    "rule": entry.rule,
                    "value_range": list(entry.value_range),
                }
                for entry in self.audit
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProtectedRelease:
        """Rebuild a release written by :meth:`to_dict`."""
        items = {
            str(item["id"]): _freeze(
                {
                    _pop_from_json(row["population"]): _freeze(
                        {str(column): _opt_int(value) for column, value in row["values"]}
                    )
                    for row in item["rows"]
                }
            )
            for item in data["items"]
        }
        return cls(
            k=int(data["k"]),
            k_cell=int(data["k_cell"]),
            sizes=_freeze(
                {_pop_from_json(row["population"]): _opt_int(row["value"]) for row in data["sizes"]}
            ),
            items=_freeze(items),
            audit=tuple(
                AuditEntry(
                    population=_pop_from_json(entry["population"]),
                    item=None if entry["item"] is None else str(entry["item"]),
                    column=str(entry["column"]),
                    rule=str(entry["rule"]),
                    value_range=(int(entry["value_range"][0]), int(entry["value_range"][1])),
                )
                for entry in data["audit"]
            ),
            dimensions=_freeze(
                {
                    str(dim): tuple(str(g) for g in groups)
                    for dim, groups in data["dimensions"].items()
                }
            ),
            views=tuple(tuple(str(d) for d in view) for view in data["views"]),
        )


def _canonical(population: Population) -> Population:
    return tuple(sorted((str(d), str(g)) for d, g in population))


def _pop_to_json(population: Population) -> list[list[str]]:
    return [[dim, group] for dim, group in population]


def _pop_from_json(data: Any) -> Population:
    return tuple((str(dim), str(group)) for dim, group in data)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)
