"""Every published cell of a release, numbered, and every linear relation between them.

Cell numbering: the population sizes come first (cell ``p`` is the size of population ``p``),
then each item's block, one row per population and one column per option plus no-answer
(cell ``base[i] + p * ncols[i] + c``). ``equations`` holds every relation an attacker knows as a
sparse matrix ``E`` with ``E @ x == 0``; ``inequalities`` holds ``G @ x <= 0`` (multiple-choice
items); every cell is also non-negative.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from analysis.disclosure.model import Population, ReleaseInput
from analysis.disclosure.validation import partitions, published_populations

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class Structure:
    """The cells of one release and the equations linking them (read-only after creation)."""

    def __init__(self, spec: ReleaseInput) -> None:
        self.dims: tuple[str, ...] = tuple(spec.dimensions)
        self.groups: dict[str, tuple[str, ...]] = {
            dim: tuple(groups) for dim, groups in spec.dimensions.items()
        }
        self.views = spec.views
        rank = {dim: i for i, dim in enumerate(self.dims)}
        group_rank = {dim: {g: i for i, g in enumerate(gs)} for dim, gs in self.groups.items()}

        def order(pop: Population) -> tuple[int, list[int], list[int]]:
            return (
                len(pop),
                sorted(rank[d] for d, _ in pop),
                [group_rank[d][g] for d, g in sorted(pop, key=lambda pair: rank[pair[0]])],
            )

        self.pops: list[Population] = sorted(
            published_populations(spec.dimensions, spec.views), key=order
        )
        self.pop_index: dict[Population, int] = {pop: i for i, pop in enumerate(self.pops)}
        self._tables: dict[tuple[tuple[tuple[str, int], ...], tuple[str, ...]], IntArray] = {}
        self.n_pops = len(self.pops)
        #: coordinates of each population: dimension -> group position
        self.coords: list[dict[str, int]] = [
            {d: group_rank[d][g] for d, g in pop} for pop in self.pops
        ]
        self.depth: IntArray = np.array([len(pop) for pop in self.pops], dtype=np.int64)
        #: the sets of dimensions that published populations fix, as sorted tuples
        dimsets = {tuple(sorted((d for d, _ in pop), key=rank.__getitem__)) for pop in self.pops}
        self.dimsets: list[tuple[str, ...]] = sorted(
            dimsets, key=lambda s: (len(s), [rank[d] for d in s])
        )
        self.partitions: list[tuple[int, str, IntArray]] = [
            (
                self.pop_index[parent],
                dim,
                np.array([self.pop_index[c] for c in children], dtype=np.int64),
            )
            for parent, dim, children in partitions(
                spec.dimensions, spec.views, self.pops, spec.nesting
            )
        ]

        self.items = spec.items
        #: per population, whether every reader knows its size (``ReleaseInput.is_public``)
        self.public: BoolArray = np.array(
            [bool(pop) and spec.is_public(pop) for pop in self.pops], dtype=np.bool_
        )
        self.item_ids: list[str] = [item.id for item in spec.items]
        self.columns: list[tuple[str, ...]] = [item.columns for item in spec.items]
        self.ncols: list[int] = [len(columns) for columns in self.columns]
        self.exclusive: list[bool] = [item.kind == "exclusive" for item in spec.items]
        self.sensitive: list[bool] = [bool(item.sensitive) for item in spec.items]
        bases = [self.n_pops]
        for ncol in self.ncols:
            bases.append(bases[-1] + self.n_pops * ncol)
        self.base: list[int] = bases[:-1]
        self.n_cells: int = bases[-1]

        values = np.zeros(self.n_cells, dtype=np.int64)
        values[: self.n_pops] = [int(spec.sizes[pop]) for pop in self.pops]
        for i, item in enumerate(spec.items):
            block = np.array(
                [[int(item.counts[pop][c]) for c in item.columns] for pop in self.pops],
                dtype=np.int64,
            ).reshape(self.n_pops, self.ncols[i])
            values[self.base[i] : self.base[i] + block.size] = block.ravel()
        self.values: IntArray = values
        self.values.setflags(write=False)

        cell_pop = np.empty(self.n_cells, dtype=np.int64)
        cell_item = np.empty(self.n_cells, dtype=np.int64)
        cell_col = np.empty(self.n_cells, dtype=np.int64)
        cell_pop[: self.n_pops] = np.arange(self.n_pops)
        cell_item[: self.n_pops] = -1
        cell_col[: self.n_pops] = -1
        for i, ncol in enumerate(self.ncols):
            sl = slice(self.base[i], self.base[i] + self.n_pops * ncol)
            cell_pop[sl] = np.repeat(np.arange(self.n_pops), ncol)
            cell_item[sl] = i
            cell_col[sl] = np.tile(np.arange(ncol), self.n_pops)
        row_na = np.full(self.n_cells, -1, dtype=np.int64)
        for i, ncol in enumerate(self.ncols):
            sl = slice(self.base[i], self.base[i] + self.n_pops * ncol)
            row_na[sl] = self.base[i] + cell_pop[sl] * ncol + ncol - 1
        #: for an item cell, the no-answer cell of its row (-1 for sizes)
        self.row_no_answer: IntArray = row_na
        self.cell_pop: IntArray = cell_pop
        self.cell_item: IntArray = cell_item
        self.cell_col: IntArray = cell_col

    # -- lookups -------------------------------------------------------------------------------

    @property
    def sizes(self) -> IntArray:
        """The true population sizes, by population number."""
        return self.values[: self.n_pops]

    def block(self, item: int) -> IntArray:
        """The true counts of one item as a (populations x columns) array (read-only)."""
        start = self.base[item]
        return self.values[start : start + self.n_pops * self.ncols[item]].reshape(
            self.n_pops, self.ncols[item]
        )

    def cell(self, item: int, pop: int, col: int) -> int:
        """The number of one item cell."""
        return self.base[item] + pop * self.ncols[item] + col

    def describe(self, cell: int) -> tuple[Population, str | None, str]:
        """``(population, item id, column)`` of a cell number."""
        pop = self.pops[int(self.cell_pop[cell])]
        item = int(self.cell_item[cell])
        if item < 0:
            return pop, None, "Total"
        return pop, self.item_ids[item], self.columns[item][int(self.cell_col[cell])]

    def lookup(self, coords: Mapping[str, int]) -> int:
        """The number of the population with these coordinates, or -1 if it is not published."""
        pop = tuple(sorted((d, self.groups[d][g]) for d, g in coords.items()))
        return self.pop_index.get(pop, -1)

    def lookup_table(self, coords: Mapping[str, int], free: tuple[str, ...]) -> IntArray:
        """Population numbers with ``coords`` fixed and every group of each ``free`` dimension,
        as an array with one axis per free dimension (-1 where not published); cached."""
        key = (tuple(sorted(coords.items())), free)
        found = self._tables.get(key)
        if found is None:
            found = np.empty([len(self.groups[d]) for d in free], dtype=np.int64)
            for index in np.ndindex(*found.shape):
                found[index] = self.lookup({**coords, **dict(zip(free, index, strict=True))})
            found.setflags(write=False)
            self._tables[key] = found
        return found

    @cached_property
    def grids(self) -> dict[tuple[str, str], IntArray]:
        """For each published pair of dimensions, population numbers as a (groups x groups) grid."""
        out: dict[tuple[str, str], IntArray] = {}
        for dimset in self.dimsets:
            if len(dimset) != 2:
                continue
            d1, d2 = dimset
            grid = np.array(
                [
                    [self.lookup({d1: g1, d2: g2}) for g2 in range(len(self.groups[d2]))]
                    for g1 in range(len(self.groups[d1]))
                ],
                dtype=np.int64,
            )
            out[(d1, d2)] = grid
        return out

    @cached_property
    def pop_cells(self) -> IntArray:
        """Every cell of each population: its size, then each item's row (populations x cells)."""
        parts = [np.arange(self.n_pops, dtype=np.int64)[:, None]]
        pops = np.arange(self.n_pops, dtype=np.int64)[:, None]
        for i, ncol in enumerate(self.ncols):
            parts.append(self.base[i] + pops * ncol + np.arange(ncol, dtype=np.int64)[None, :])
        out: IntArray = np.hstack(parts)
        return out

    def group_of(self, dim: str) -> IntArray:
        """Per population, the position of its group of ``dim`` (-1 if it fixes no group of it)."""
        return np.array([coords.get(dim, -1) for coords in self.coords], dtype=np.int64)

    def regroup(self, dim: str) -> IntArray:
        """(populations x groups of ``dim``): the population with its group of ``dim`` replaced.

        Rows of populations that fix no group of ``dim`` hold the population itself.
        """
        n_groups = len(self.groups[dim])
        out = np.repeat(np.arange(self.n_pops, dtype=np.int64)[:, None], n_groups, axis=1)
        for p, coords in enumerate(self.coords):
            if dim in coords:
                for g in range(n_groups):
                    out[p, g] = self.lookup({**coords, dim: g})
        return out

    @cached_property
    def answered_slack(self) -> list[IntArray | None]:
        """For multiple-choice items, how far each cell can grow before an inequality binds.

        Option column: size - no-answer - count. No-answer column: size - no-answer - largest
        option count. ``None`` for exclusive items.
        """
        out: list[IntArray | None] = []
        sizes = self.sizes
        for i in range(len(self.items)):
            if self.exclusive[i]:
                out.append(None)
                continue
            block = self.block(i)
            answered = sizes - block[:, -1]
            slack = np.empty_like(block)
            slack[:, :-1] = answered[:, None] - block[:, :-1]
            slack[:, -1] = answered - block[:, :-1].max(axis=1)
            out.append(slack)
        return out

    # -- the published relations --------------------------------------------------------------

    @cached_property
    def partition_matrix(self) -> sp.csr_matrix:
        """One row per partition: +1 on each child population, -1 on the parent."""
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        vals: list[IntArray] = []
        for q, (parent, _dim, children) in enumerate(self.partitions):
            rows.append(np.full(len(children) + 1, q, dtype=np.int64))
            cols.append(np.append(children, parent))
            vals.append(np.append(np.ones(len(children), dtype=np.int64), -1))
        shape = (len(self.partitions), self.n_pops)
        if not rows:
            return sp.csr_matrix(shape, dtype=np.int64)
        return sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape
        )

    @cached_property
    def size_equations(self) -> sp.csr_matrix:
        """The partitions of the sizes alone, over all cells (items ignored)."""
        part = self.partition_matrix.tocoo()
        return sp.csr_matrix((part.data, (part.row, part.col)), shape=(part.shape[0], self.n_cells))

    @cached_property
    def equations(self) -> sp.csr_matrix:
        """Every published equation, ``E @ x == 0``, over all cells."""
        part = self.partition_matrix.tocoo()
        n_part = part.shape[0]
        rows = [part.row]
        cols = [part.col]
        vals = [part.data]
        offset = n_part
        for i, ncol in enumerate(self.ncols):
            base = self.base[i]
            c = np.arange(ncol)
            rows.append((offset + part.row[:, None] * ncol + c[None, :]).ravel())
            cols.append((base + part.col[:, None] * ncol + c[None, :]).ravel())
            vals.append(np.repeat(part.data, ncol))
            offset += n_part * ncol
            if self.exclusive[i]:
                p = np.arange(self.n_pops)
                rows.append(np.repeat(offset + p, ncol))
                cols.append((base + p[:, None] * ncol + c[None, :]).ravel())
                vals.append(np.ones(self.n_pops * ncol, dtype=np.int64))
                rows.append(offset + p)
                cols.append(p)
                vals.append(np.full(self.n_pops, -1, dtype=np.int64))
                offset += self.n_pops
        partitions = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(offset, self.n_cells),
        )
        # items answered by the same people share their no-answer count
        ids = {item_id: i for i, item_id in enumerate(self.item_ids)}
        same = [
            [
                (self.cell(i, 0, self.ncols[i] - 1), 1),
                (self.cell(j, 0, self.ncols[j] - 1), -1),
            ]
            for i, item in enumerate(self.items)
            if item.answered_with is not None and (j := ids.get(item.answered_with, i)) != i
        ]
        if not same:
            return partitions
        shared = self._per_population(same)
        # what respondents saw holds for answers stored by this code (routing is applied before
        # sealing); a relation the counts break (older answers, say) is not used
        shared = shared[(shared @ self.values) == 0]
        return sp.vstack([partitions, shared]).tocsr()

    @cached_property
    def inequalities(self) -> sp.csr_matrix:
        """Every published inequality, ``G @ x <= 0``, one row per population for each of:

        * multiple choice: each option (with every exclusive option other than itself, since
          those are ticked alone) is at most the number who answered, no-answer at most the
          size, and those who answered ticked at least one option;
        * routing (``opened_by``): those who answered are at most the counts of the answers
          that open the question, and its no-answer is at least the opening question's; with
          ``opened_by_any`` (any of several questions opens it), at most the sum of all the
          opening answers' counts.
        """
        terms: list[list[tuple[int, int]]] = []  # per relation: (cell, coefficient)
        ids = {item_id: i for i, item_id in enumerate(self.item_ids)}
        for i, item in enumerate(self.items):
            ncol = self.ncols[i]
            na = ncol - 1
            if not self.exclusive[i]:
                alone = [item.columns.index(o) for o in item.exclusive_options]
                for col in range(na):
                    group = [col, *(e for e in alone if e != col)]
                    terms.append([(self.cell(i, 0, c), 1) for c in (*group, na)] + [(0, -1)])
                terms.append([(self.cell(i, 0, na), 1), (0, -1)])
                terms.append([(self.cell(i, 0, c), -1) for c in range(ncol)] + [(0, 1)])
            if item.opened_by is not None and item.opened_by[0] in ids:
                parent = ids[item.opened_by[0]]
                opening = [self.columns[parent].index(o) for o in item.opened_by[1]]
                terms.append(
                    [(0, 1), (self.cell(i, 0, na), -1)]
                    + [(self.cell(parent, 0, c), -1) for c in opening]
                )
                terms.append(
                    [
                        (self.cell(parent, 0, self.ncols[parent] - 1), 1),
                        (self.cell(i, 0, na), -1),
                    ]
                )
            routes = [(ids[p], opening) for p, opening in item.opened_by_any if p in ids]
            if routes and len(routes) == len(item.opened_by_any):
                # answered by people with an opening answer to at least one of those questions
                terms.append(
                    [(0, 1), (self.cell(i, 0, na), -1)]
                    + [
                        (self.cell(parent, 0, self.columns[parent].index(o)), -1)
                        for parent, opening in routes
                        for o in opening
                    ]
                )
        matrix = self._per_population(terms)
        # a relation the counts break (answers stored before routing was applied) is not used
        holds: sp.csr_matrix = matrix[(matrix @ self.values) <= 0]
        return holds

    def _per_population(self, relations: list[list[tuple[int, int]]]) -> sp.csr_matrix:
        """One row per population for each relation, written for population 0: a size cell
        (below ``n_pops``) stands for the population's size, an item cell for its row."""
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        vals: list[IntArray] = []
        p = np.arange(self.n_pops)
        for r, relation in enumerate(relations):
            for cell, coef in relation:
                rows.append(r * self.n_pops + p)
                if cell < self.n_pops:
                    cols.append(p)
                else:
                    item = int(self.cell_item[cell])
                    cols.append(cell + p * self.ncols[item])
                vals.append(np.full(self.n_pops, coef, dtype=np.int64))
        shape = (len(relations) * self.n_pops, self.n_cells)
        if not rows:
            return sp.csr_matrix(shape, dtype=np.int64)
        return sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape
        )

    @cached_property
    def equations_csc(self) -> sp.csc_matrix:
        """:attr:`equations` by column, for picking out the relations of a few cells quickly."""
        return self.equations.tocsc()

    @cached_property
    def inequalities_csc(self) -> sp.csc_matrix:
        """:attr:`inequalities` by column."""
        return self.inequalities.tocsc()

    @cached_property
    def size_equations_csc(self) -> sp.csc_matrix:
        """:attr:`size_equations` by column."""
        return self.size_equations.tocsc()

    @cached_property
    def inequality_slack(self) -> npt.NDArray[np.float64]:
        """How far each inequality is from binding at the true table (``-G @ values``)."""
        out: npt.NDArray[np.float64] = -(self.inequalities @ self.values).astype(np.float64)
        return out

    @cached_property
    def linked_items(self) -> list[tuple[int, ...]]:
        """Per item, the items tied to it by what respondents saw (routing, answered with),
        transitively, itself included: a hidden count of one can depend on the others."""
        ids = {item_id: i for i, item_id in enumerate(self.item_ids)}
        group = list(range(len(self.items)))

        def root(i: int) -> int:
            while group[i] != i:
                group[i] = group[group[i]]
                i = group[i]
            return i

        for i, item in enumerate(self.items):
            parents = [item.opened_by[0]] if item.opened_by else []
            parents += [p for p, _opening in item.opened_by_any]
            for other in (*parents, item.answered_with):
                if other in ids:
                    group[root(i)] = root(ids[other])
        members: dict[int, list[int]] = {}
        for i in range(len(self.items)):
            members.setdefault(root(i), []).append(i)
        return [tuple(members[root(i)]) for i in range(len(self.items))]

    @cached_property
    def zeros_above(self) -> dict[int, IntArray]:
        """For each cell that is zero because the same count is zero for a larger group
        containing its population: those larger groups' cells. While one of them is shown,
        a hidden zero here tells nothing new."""
        ancestors: list[IntArray] = [
            np.array(
                [
                    q
                    for q, other in enumerate(self.coords)
                    if len(other) < len(coords) and other.items() <= coords.items()
                ],
                dtype=np.int64,
            )
            for coords in self.coords
        ]
        out: dict[int, IntArray] = {}
        for p, above in enumerate(ancestors):
            if not above.size:
                continue
            zero = above[self.sizes[above] == 0]
            if zero.size:
                out[p] = zero
            for i in range(len(self.items)):
                for c in range(self.ncols[i]):
                    cells = self.cell(i, 0, c) + above * self.ncols[i]
                    zero = cells[self.values[cells] == 0]
                    if zero.size:
                        out[self.cell(i, p, c)] = zero
        return out

    def item_cells(self, items: tuple[int, ...] | list[int]) -> IntArray:
        """Every cell of the given items."""
        return np.concatenate(
            [np.arange(self.base[i], self.base[i] + self.n_pops * self.ncols[i]) for i in items]
        ).astype(np.int64)

    def population_cells(self, pop: int) -> IntArray:
        """Every item cell of population ``pop`` (its row in every item, no-answer included)."""
        return np.concatenate(
            [
                np.arange(
                    self.base[i] + pop * self.ncols[i], self.base[i] + (pop + 1) * self.ncols[i]
                )
                for i in range(len(self.items))
            ]
            or [np.zeros(0, dtype=np.int64)]
        ).astype(np.int64)
