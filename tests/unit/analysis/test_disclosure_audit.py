"""The self-audit: certificates are checked from scratch, and the programmes stand in for them."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.disclosure.audit import audit, verify_certificates
from analysis.disclosure.release import suppress
from analysis.disclosure.structure import Structure
from analysis.disclosure.suppression import RULE_CODES, Suppression

from .building import linked_release


@pytest.fixture(scope="module")
def protected() -> tuple[Structure, Suppression]:
    structure = Structure(linked_release())
    return structure, suppress(structure, 10, 3)


def test_every_certificate_of_a_finished_release_is_valid(
    protected: tuple[Structure, Suppression],
) -> None:
    structure, state = protected
    valid, rise, fall, _kept = verify_certificates(
        structure, state.hidden, state.need_fall, state.certificates
    )
    assert valid.all()
    assert not np.any((rise + fall < state.need) & state.hidden)
    # a certificate is another table agreeing with everything published
    for cells, shift in state.certificates:
        moved = structure.values.copy()
        moved[cells] += shift
        assert not np.any(structure.equations @ moved)
        assert np.all(moved >= 0)
        assert np.all(structure.inequalities @ moved <= 0)


def test_broken_certificates_are_thrown_out(protected: tuple[Structure, Suppression]) -> None:
    structure, state = protected
    cells, shift = state.certificates[0]
    shown = int(np.flatnonzero(~state.hidden)[0])
    broken = [
        (cells, np.where(np.arange(len(shift)) == 0, -shift, shift)),  # an equation breaks
        (np.append(cells, shown), np.append(shift, 1)),  # touches a shown value
        (cells, shift * (structure.values[cells].max() + 1)),  # goes negative
    ]
    valid, *_ = verify_certificates(structure, state.hidden, state.need_fall, broken)
    assert not valid.any()


def test_linear_programmes_prove_what_certificates_did(
    protected: tuple[Structure, Suppression],
) -> None:
    structure, state = protected
    bare = Suppression(structure)
    bare.hidden = state.hidden.copy()
    bare.rule = state.rule.copy()
    bare.need = state.need.copy()
    bare.need_fall = state.need_fall.copy()
    assert audit(structure, bare).size == 0
    assert len(bare.failing()) == 0
    assert bare.certificates  # the programmes' solutions became certificates


def test_audit_finds_a_value_that_can_be_worked_out(
    protected: tuple[Structure, Suppression],
) -> None:
    structure, state = protected
    bare = Suppression(structure)
    bare.hidden = state.hidden.copy()
    bare.rule = state.rule.copy()
    bare.need = state.need.copy()
    # show one complement again: some hidden value becomes recoverable
    complement = int(np.flatnonzero(state.hidden & (state.rule == RULE_CODES["complement"]))[0])
    bare.hidden[complement] = False
    failing = audit(structure, bare)
    assert failing.size > 0
