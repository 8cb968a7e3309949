"""Small surveys with many breakdowns, where most groups are below k.

The shape of the global-majority staff survey: five breakdowns -- council (11 groups, plus
"prefer not to say" and "not answered"), ethnic group (5 + 2), role (8 + 2), years in the
profession (5 + 2), gender (4 + 2) -- and two two-way views sharing ethnic group (council x
ethnic group, ethnic group x role), with a sensitive single-choice question and a sensitive
multiple-choice one asked only of those who said yes. Respondents are drawn with a fixed seed.

Every rule is checked on every cell. The independent integer programme of ``checking.py``
recomputes the ranges of an evenly spread sample of the hidden cells (there are thousands;
all of them would take minutes).
"""

from __future__ import annotations

import json
import random
from functools import cache

import numpy as np
import pytest

from analysis.disclosure import ProtectedRelease, ReleaseInput, protect_release
from analysis.disclosure.audit import verify_certificates
from analysis.disclosure.release import restrict, suppress
from analysis.disclosure.structure import Structure

from .building import release_from_people
from .checking import check_release, requirement, true_values

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "council": (*(f"council_{i}" for i in range(11)), "prefer_not_to_say", "_missing"),
    "ethnic_group": (*(f"ethnic_{i}" for i in range(5)), "prefer_not_to_say", "_missing"),
    "role_group": (*(f"role_{i}" for i in range(8)), "prefer_not_to_say", "_missing"),
    "years": (*(f"years_{i}" for i in range(5)), "prefer_not_to_say", "_missing"),
    "gender": (*(f"gender_{i}" for i in range(4)), "prefer_not_to_say", "_missing"),
}
VIEWS: tuple[tuple[str, ...], ...] = (
    (),
    ("council",),
    ("ethnic_group",),
    ("role_group",),
    ("years",),
    ("gender",),
    ("council", "ethnic_group"),
    ("ethnic_group", "role_group"),
)
FORMS = ("jokes", "excluded", "overlooked")
ITEMS = [
    ("experienced", "exclusive", True, ("yes", "no", "not_sure")),
    ("forms", "multiple", True, FORMS),
]


@cache
def small_survey(n: int, seed: int = 7) -> ReleaseInput:
    rng = random.Random(seed)
    people: list[dict[str, object]] = []
    for _ in range(n):
        person: dict[str, object] = {dim: rng.choice(groups) for dim, groups in DIMENSIONS.items()}
        person["experienced"] = rng.choice(("yes", "no", "not_sure", None))
        if person["experienced"] == "yes":
            person["forms"] = tuple(form for form in FORMS if rng.random() < 0.4)
        else:
            person["forms"] = None
        people.append(person)
    return release_from_people(DIMENSIONS, VIEWS, people, ITEMS)


@cache
def protected(n: int) -> ProtectedRelease:
    return protect_release(small_survey(n), k=10, k_cell=3)


def withheld(spec: ReleaseInput, release: ProtectedRelease) -> list[str]:
    """Dimensions whose every population with a non-empty group of theirs is hidden."""
    found = []
    for dim in spec.dimensions:
        empty = {g for g in spec.dimensions[dim] if spec.sizes[((dim, g),)] == 0}
        territory = [
            pop for pop in release.sizes if any(d == dim and g not in empty for d, g in pop)
        ]
        if all(release.sizes[pop] is None for pop in territory):
            found.append(dim)
    return found


@pytest.mark.parametrize(("n", "sample"), [(40, 24), (300, 8)])
def test_small_survey_is_safe(n: int, sample: int) -> None:
    spec = restrict(small_survey(n), protected(n).views)  # the views it published
    release = protected(n)
    check_release(spec, release, sample=sample)
    # the engine's own certified ranges: every hidden value keeps the width the rules ask
    values = true_values(spec)
    for entry in release.audit:
        key = (entry.population, entry.item, entry.column)
        low, high = entry.value_range
        assert low <= values[key] <= high, key
        assert high - low >= requirement(spec, release, key, values), (key, entry)
    again = ProtectedRelease.from_dict(json.loads(json.dumps(release.to_dict())))
    assert again == release


@pytest.mark.parametrize("n", [40, 300])
def test_small_survey_withholds_whole_breakdowns(n: int) -> None:
    spec = small_survey(n)
    release = protected(n)
    dims = withheld(spec, release)
    left_out = [v for v in spec.views if v not in release.views]
    assert dims or left_out, "a survey this small cannot show every breakdown"
    for dim in dims:
        for group in spec.dimensions[dim]:
            pop = ((dim, group),)
            if spec.sizes[pop] == 0 and pop in release.sizes:
                assert release.size(pop) == 0  # an empty group hides nobody: still shown
    # zeros inside a withheld breakdown are hidden with it; outside, zeros stay shown
    for pop, size in spec.sizes.items():
        if pop not in release.sizes:
            continue  # a view left out
        inside = any(d in dims and spec.sizes[((d, g),)] > 0 for d, g in pop)
        if size == 0 and not inside:
            assert release.size(pop) == 0, pop
    assert release.size(()) == n
    if n == 300:
        # larger groups survive: some breakdown still shows groups
        shown = [pop for pop, size in release.sizes.items() if len(pop) == 1 and size]
        assert shown


def test_small_survey_certificates_are_all_valid() -> None:
    spec = small_survey(40)
    # the one-way views: the two-way ones of a survey this small are left out unprotected
    structure = Structure(restrict(spec, tuple(v for v in spec.views if len(v) < 2)))
    state = suppress(structure, 10, 3)
    valid, rise, fall, kept = verify_certificates(
        structure, state.hidden, state.need_fall, state.certificates
    )
    assert valid.all()
    assert not np.any(state.hidden & (rise + fall < state.need))
    assert not np.any(state.hidden & (kept < state.need_fall))


def test_small_survey_is_deterministic() -> None:
    first = protect_release(small_survey(40), k=10, k_cell=3)
    assert first.to_dict() == protected(40).to_dict()


@pytest.mark.parametrize("n", [0, 5])
def test_no_responses_or_fewer_than_k_show_only_the_overall_count(n: int) -> None:
    spec = small_survey(n)
    release = protect_release(spec, k=10, k_cell=3)
    assert release.size(()) == n
    assert all(size is None for pop, size in release.sizes.items() if pop)
    assert all(
        value is None
        for rows in release.items.values()
        for row in rows.values()
        for value in row.values()
    )
    assert {entry.rule for entry in release.audit} == {"P0"}
    check_release(spec, release)


@pytest.mark.slow
def test_a_small_staff_survey_widens_tiny_groups_without_a_programme_per_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """30 answers to the real staff survey: most groups hold one or two people, and each of
    their counts needs a range no shift within its question can give. They are widened by
    moving the groups' sizes, several counts per programme, not by two integer programmes over
    the whole release per count (26 such pairs on this survey before; they ran for many
    minutes on the demo's). The release still meets section 6 for the attacker."""
    from analysis.disclosure import complement
    from survey_app.demo_data import synthetic_answers
    from survey_app.domain.loading import load_questionnaire
    from survey_app.services.analysis import build_release_input

    from .test_disclosure_attacked import STAFF_SURVEY

    questionnaire = load_questionnaire(STAFF_SURVEY)
    rng = random.Random(2)
    spec = build_release_input(
        questionnaire, [synthetic_answers(questionnaire, rng) for _ in range(30)]
    )
    exact: list[int] = []
    whole_release = complement.cell_range

    def counted(*args: object, **kwargs: object) -> object:
        if "patient" in kwargs:  # the last resort: a cell's exact range over the whole release
            exact.append(1)
        return whole_release(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(complement, "cell_range", counted)
    release = protect_release(spec, k=10, k_cell=3)
    assert len(exact) <= 2, len(exact)
    assert len(release.views) >= 2, release.views  # overall and a breakdown
    check_release(restrict(spec, release.views), release, sample=24)
