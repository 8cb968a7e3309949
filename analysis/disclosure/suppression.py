"""The working state of one protection run: which cells are hidden, why, and what is proved.

A *certificate* is an integer shift ``s`` (sparse: cell numbers and amounts) such that
``values + s`` is another table of non-negative integers that satisfies every published
equation and inequality and differs from the true one only in hidden cells. Together with the
true table it proves that each shifted cell can take at least two values; ``up[c]`` and
``down[c]`` keep the largest such rise and fall seen for each cell.

For a unanimous answer (P3) the width alone is not enough: the count must be able to fall while
its row's size and no-answer count stay put, so that someone who answered could have chosen
another option. ``kept_fall[c]`` keeps the largest such fall and ``need_fall[c]`` the amount
required.
"""

from __future__ import annotations

import numpy as np

from analysis.disclosure.structure import BoolArray, IntArray, Structure


class Unprotectable(Exception):
    """Inside the search: no way was found to protect ``cell`` (``structure.describe`` form)
    for ``reason``. Callers hide more or leave a view out; it never leaves the package."""

    def __init__(self, cell: tuple[tuple[tuple[str, str], ...], str | None, str], reason: str):
        population, item, column = cell
        where = f"population {population!r}, item {item!r}, column {column!r}"
        super().__init__(f"cannot protect {where}: {reason}")
        self.cell = cell
        self.reason = reason


#: Rule codes stored per cell (0 = shown).
RULE_CODES: dict[str, int] = {
    "P0": 1,
    "P1": 2,
    "P2": 3,
    "P3": 4,
    "nested": 5,
    "complement": 6,
    "withdrawn": 7,
}
RULE_NAMES: dict[int, str] = {code: name for name, code in RULE_CODES.items()}


class Suppression:
    """Hidden cells, their rules and requirements, and the certificates found so far."""

    def __init__(self, structure: Structure) -> None:
        n = structure.n_cells
        self.structure = structure
        self.hidden: BoolArray = np.zeros(n, dtype=np.bool_)
        self.rule: IntArray = np.zeros(n, dtype=np.int64)
        #: the range width each hidden cell must keep (0: none needed)
        self.need: IntArray = np.zeros(n, dtype=np.int64)
        self.up: IntArray = np.zeros(n, dtype=np.int64)
        self.down: IntArray = np.zeros(n, dtype=np.int64)
        self.need_fall: IntArray = np.zeros(n, dtype=np.int64)
        self.kept_fall: IntArray = np.zeros(n, dtype=np.int64)
        self.certificates: list[tuple[IntArray, IntArray]] = []
        #: cells a higher-priority table shows: never chosen as complements
        self.locked: BoolArray = np.zeros(n, dtype=np.bool_)
        #: rows a breakdown does not publish (see ``release.protect_release``): unknown to a
        #: reader, so free complements that need nothing themselves
        self.withdrawn: BoolArray = np.zeros(n, dtype=np.bool_)

    def hide(self, cells: IntArray, rule: str, need: IntArray | int) -> None:
        """Hide ``cells`` not hidden yet, with ``rule`` and requirement ``need``."""
        cells = np.asarray(cells, dtype=np.int64)
        needs = np.broadcast_to(np.asarray(need, dtype=np.int64), cells.shape)
        fresh = ~self.hidden[cells]
        self.hidden[cells[fresh]] = True
        self.rule[cells[fresh]] = RULE_CODES[rule]
        self.need[cells[fresh]] = needs[fresh]

    def hide_complements(self, cells: IntArray) -> None:
        """Hide newly chosen complementary cells; each must keep a range wider than zero
        (zeros included: a reader must not be able to tell that a hidden value is zero)."""
        cells = np.asarray(cells, dtype=np.int64)
        self.hide(cells, "complement", zero_needs(self.structure, self.hidden, cells))

    def add_certificate(self, cells: IntArray, shift: IntArray) -> None:
        """Record a certificate (see the module docstring); zero entries are dropped."""
        cells = np.asarray(cells, dtype=np.int64)
        shift = np.asarray(shift, dtype=np.int64)
        keep = shift != 0
        cells, shift = cells[keep], shift[keep]
        if cells.size == 0:
            return
        self.certificates.append((cells, shift))
        rise = shift > 0
        np.maximum.at(self.up, cells[rise], shift[rise])
        np.maximum.at(self.down, cells[~rise], -shift[~rise])
        kept = kept_falls(self.structure, self.need_fall, cells, shift)
        np.maximum.at(self.kept_fall, cells, kept)

    def snapshot(self) -> Suppression:
        """An independent copy of this state (to go back to with :meth:`restore`)."""
        copy = Suppression.__new__(Suppression)
        copy.structure = self.structure
        copy.restore(self)
        return copy

    def restore(self, other: Suppression) -> None:
        """Make this state equal to ``other`` (arrays copied, certificates shared read-only)."""
        self.hidden = other.hidden.copy()
        self.rule = other.rule.copy()
        self.need = other.need.copy()
        self.up = other.up.copy()
        self.down = other.down.copy()
        self.need_fall = other.need_fall.copy()
        self.kept_fall = other.kept_fall.copy()
        self.certificates = list(other.certificates)
        self.locked = other.locked
        self.withdrawn = other.withdrawn

    def width(self, cell: int) -> int:
        """The range width proved so far for one cell."""
        return int(self.up[cell] + self.down[cell])

    def satisfied(self, cell: int) -> bool:
        """Whether a cell's proved range meets its requirements."""
        return bool(
            self.withdrawn[cell]
            or (
                self.up[cell] + self.down[cell] >= self.need[cell]
                and self.kept_fall[cell] >= self.need_fall[cell]
            )
        )

    def failing(self) -> IntArray:
        """Hidden cells whose proved range does not meet their requirements."""
        short = (self.up + self.down < self.need) | (self.kept_fall < self.need_fall)
        return np.flatnonzero(self.hidden & short & ~self.withdrawn)


def zero_needs(structure: Structure, hidden: BoolArray, cells: IntArray) -> IntArray:
    """The width hidden ``cells`` need by the last rule of DESIGN.md section 6: more than zero
    (zeros included), except a zero that a shown zero for a larger group already tells."""
    above = structure.zeros_above
    told = [
        (found := above.get(cell)) is not None and not bool(hidden[found].all())
        for cell in cells.tolist()
    ]
    out: IntArray = (~np.array(told, dtype=np.bool_)).astype(np.int64)
    return out


def refresh_zero_needs(structure: Structure, state: Suppression) -> None:
    """Give a hidden zero a need again once every larger group's zero that told it is hidden
    too (complements chosen after it was hidden)."""
    for cell, found in structure.zeros_above.items():
        if state.hidden[cell] and state.need[cell] == 0 and state.hidden[found].all():
            state.need[cell] = 1


def kept_falls(
    structure: Structure, need_fall: IntArray, cells: IntArray, shift: IntArray
) -> IntArray:
    """Per entry of one certificate: its fall where the row's size and no-answer stay put.

    Only entries with ``need_fall > 0`` (unanimous counts) are worked out; others get 0.
    """
    out = np.zeros(len(cells), dtype=np.int64)
    watch = np.flatnonzero((need_fall[cells] > 0) & (shift < 0))
    if watch.size == 0:
        return out
    touched = set(cells.tolist())
    for position in watch:
        cell = int(cells[position])
        if (
            int(structure.cell_pop[cell]) in touched
            or int(structure.row_no_answer[cell]) in touched
        ):
            continue
        out[position] = -shift[position]
    return out
