"""What every respondent saw travels with the counts: routing and exclusive options.

The engine's input declares it (``ItemInput.exclusive_options``, ``opened_by``,
``answered_with``) so that protection and audit can use what any reader knows; the input is
refused when that knowledge names items or options that do not exist.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from analysis.disclosure import ReleaseInput, protect_release
from analysis.disclosure.validation import check_release
from survey_app.domain.loading import load_questionnaire
from survey_app.services.analysis import report_items
from tests.unit.analysis.building import release_from_people

STAFF = Path(__file__).parents[3] / "questionnaires" / "global-majority-staff-survey.yaml"


def _release() -> ReleaseInput:
    people = [
        {
            "team": "a" if n % 2 else "b",
            "q1": "yes" if n % 3 else "no",
            "q2": ("x",) if n % 3 else None,
        }
        for n in range(24)
    ]
    return release_from_people(
        {"team": ("a", "b")},
        ((), ("team",)),
        people,
        [("q1", "exclusive", False, ("yes", "no")), ("q2", "multiple", False, ("x", "none"))],
    )


def _with(spec: ReleaseInput, item_id: str, **changes: object) -> ReleaseInput:
    items = tuple(
        dataclasses.replace(item, **changes) if item.id == item_id else item  # type: ignore[arg-type]
        for item in spec.items
    )
    return ReleaseInput(spec.dimensions, spec.views, spec.sizes, items)


def test_declared_knowledge_is_accepted_and_kept_through_storage() -> None:
    spec = _with(_release(), "q2", exclusive_options=("none",), opened_by=("q1", ("yes",)))
    check_release(spec)
    again = ReleaseInput.from_dict(spec.to_dict())
    q2 = again.items[1]
    assert q2.exclusive_options == ("none",)
    assert q2.opened_by == ("q1", ("yes",))
    assert protect_release(spec, k=5, k_cell=3).sizes[()] == 24


@pytest.mark.parametrize(
    ("item_id", "changes", "message"),
    [
        ("q1", {"exclusive_options": ("yes",)}, "only multiple-choice items"),
        ("q2", {"exclusive_options": ("maybe",)}, "are not options"),
        ("q2", {"opened_by": ("q9", ("yes",))}, "must name an earlier item"),
        ("q1", {"opened_by": ("q2", ("x",))}, "must name an earlier item"),
        ("q2", {"opened_by": ("q1", ("perhaps",))}, "must be options of 'q1'"),
        ("q2", {"answered_with": "q2"}, "must name another item"),
        ("q2", {"opened_by_any": (("q1", ("yes",)), ("q9", ("x",)))}, "must name an earlier"),
        (
            "q2",
            {"opened_by": ("q1", ("yes",)), "opened_by_any": (("q1", ("no",)),)},
            "cannot both be given",
        ),
    ],
)
def test_knowledge_naming_what_does_not_exist_is_refused(
    item_id: str, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_release(_with(_release(), item_id, **changes))


def test_the_staff_survey_items_carry_its_routing_and_exclusive_options() -> None:
    items = {item.id: item for item in report_items(load_questionnaire(STAFF))}
    assert items["reported_racism"].opened_by == ("experienced_racism", ("yes", "not_sure"))
    assert items["reporting_outcome"].opened_by == (
        "reported_racism",
        ("yes_formally", "yes_informally"),
    )
    assert items["reasons_not_reported"].opened_by == ("reported_racism", ("no",))
    assert items["reasons_not_reported"].exclusive_options == ("prefer_not_to_say",)
    assert "none_of_these" in items["racism_from_whom"].exclusive_options
    assert items["experienced_racism"].opened_by is None
    # asked after "Yes" or "Not sure" to experiencing *or* to seeing racism
    either = (
        ("experienced_racism", ("yes", "not_sure")),
        ("witnessed_racism", ("yes", "not_sure")),
    )
    assert items["racism_from_whom"].opened_by_any == either
    assert items["racism_forms"].opened_by_any == either


def test_routing_on_any_of_several_answers_is_kept_and_used() -> None:
    """q3 is asked of people who said yes to q1 or ticked x at q2: the engine knows its
    answered count is at most those two counts together, and keeps that through storage."""
    spec = _with(_release(), "q2", opened_by=None)
    spec = ReleaseInput(
        spec.dimensions,
        spec.views,
        spec.sizes,
        (
            *spec.items,
            dataclasses.replace(
                spec.items[1], id="q3", opened_by_any=(("q1", ("yes",)), ("q2", ("x",)))
            ),
        ),
    )
    check_release(spec)
    assert ReleaseInput.from_dict(spec.to_dict()).items[2].opened_by_any == (
        ("q1", ("yes",)),
        ("q2", ("x",)),
    )
    from analysis.disclosure.structure import Structure

    structure = Structure(spec)
    rows = structure.inequalities.toarray()
    q3 = structure.item_ids.index("q3")
    na = structure.cell(q3, 0, structure.ncols[q3] - 1)
    yes = structure.cell(0, 0, structure.columns[0].index("yes"))
    x = structure.cell(1, 0, structure.columns[1].index("x"))
    expected = {0: 1, na: -1, yes: -1, x: -1}  # size - no answer - yes - x <= 0, everyone
    assert any({int(c): int(v) for c, v in enumerate(row) if v} == expected for row in rows), (
        "the engine does not know the routing"
    )
    assert structure.linked_items[q3] == (0, 1, q3)
