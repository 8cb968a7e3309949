"""The report display model: percentages only from shown numbers, ``None`` for hidden,
labels, notes, and tables read from ``release.table`` alone."""

from __future__ import annotations

from typing import Any, cast

import pandas as pd
import pytest

from analysis.counting import MISSING
from analysis.disclosure import NO_ANSWER, ProtectedRelease
from analysis.report import (
    FOOTNOTE,
    HIDDEN,
    MULTIPLE_NOTE,
    Figure,
    Labels,
    build_table,
    chart_summary,
    footnote,
    parse_view,
    percent,
    respondent_table,
    view_key,
)

from .report_data import (
    QUESTIONS,
    TEAM,
    VIEWS,
    hand_labels,
    hand_release,
    protected_labels,
    protected_report,
)


class OnlyTables:
    """A release that offers nothing but ``table`` and ``publishes`` (which views an item is
    broken down by): proves the display model reads nothing else."""

    def __init__(self, release: ProtectedRelease) -> None:
        self._release = release
        self.calls: list[tuple[tuple[str, ...], str | None]] = []

    def table(self, view: tuple[str, ...], item: str | None = None) -> pd.DataFrame:
        self.calls.append((view, item))
        return self._release.table(view, item)

    def publishes(self, item: str, view: tuple[str, ...]) -> bool:
        return self._release.publishes(item, view)


def only_tables() -> tuple[OnlyTables, ProtectedRelease]:
    proxy = OnlyTables(hand_release())
    return proxy, cast(ProtectedRelease, proxy)


@pytest.mark.parametrize(
    ("count", "total", "expected"),
    [
        (19, 40, 48),  # 47.5 rounds up
        (5, 40, 13),  # 12.5 rounds up, not to the even 12
        (1, 3, 33),
        (2, 3, 67),
        (0, 7, 0),
        (7, 7, 100),
        (None, 40, None),
        (3, None, None),
        (0, 0, None),
        (None, None, None),
    ],
)
def test_percent_rounds_half_up_from_shown_numbers_only(
    count: int | None, total: int | None, expected: int | None
) -> None:
    assert percent(count, total) == expected


def test_percentages_come_only_from_shown_counts_and_totals() -> None:
    proxy, release = only_tables()
    table = build_table(release, (TEAM,), "single", hand_labels())
    assert proxy.calls == [((TEAM,), "single")]
    assert table.column_codes == ("yes", "no", NO_ANSWER)
    rows = {row.label: row for row in table.rows}
    assert rows["All respondents"].total == 40
    assert rows["All respondents"].figures == (Figure(19, 48), Figure(16, 40), Figure(5, 13))
    # Team A: shown total, one hidden count: the others keep their percentages.
    assert rows["Team A"].total == 22
    assert rows["Team A"].figures == (Figure(9, 41), Figure(None, None), Figure(None, None))
    # Team B: the count is shown but its total is hidden, so it has no percentage.
    assert rows["<i>Team</i> B"].total is None
    assert rows["<i>Team</i> B"].figures[0] == Figure(10, None)
    assert all(f.hidden for f in rows["<i>Team</i> B"].figures[1:])
    # Nobody in the group: counts of 0 are shown, percentages of 0 people are not.
    assert rows["Not answered"].total == 0
    assert rows["Not answered"].figures == (Figure(0, None),) * 3


def test_hidden_values_are_none_and_every_figure_matches_the_release() -> None:
    release, report = protected_report()
    checked = hidden = 0
    for result in report.questions:
        for table in result.tables:
            assert table.item is not None
            for row in table.rows:
                assert row.total == release.size(row.population)
                for code, figure in zip(table.column_codes, row.figures, strict=True):
                    value = release.value(table.item, row.population, code)
                    assert figure.count == value
                    assert figure.hidden is (value is None)
                    assert figure.percent == percent(value, row.total)
                    if figure.percent is not None:
                        assert figure.count is not None and row.total
                    checked += 1
                    hidden += figure.hidden
    assert checked > 100 and 0 < hidden < checked


def test_two_way_tables_have_groups_then_margins_then_everyone() -> None:
    release, _report = protected_report()
    table = build_table(release, (TEAM, "site"), "seen", protected_labels())
    kinds = [row.kind for row in table.rows]
    assert kinds == ["group"] * 6 + ["margin"] * 5 + ["overall"]
    labels = [row.label for row in table.rows]
    assert labels[0] == "Team A, X"
    assert labels[6:11] == [
        "Team A, any site",
        "Team B, any site",
        "Team C, any site",
        "Any team, X",
        "Any team, Y",
    ]
    assert table.rows[0].population == (("site", "x"), (TEAM, "a"))
    assert table.rows[6].population == ((TEAM, "a"),)
    assert table.rows[-1].population == ()
    assert table.view_label == "By team and site"


def test_labels_come_from_the_labels_with_defaults_for_no_answer_and_not_answered() -> None:
    _proxy, release = only_tables()
    table = build_table(release, (TEAM,), "single", hand_labels())
    assert table.title == "Did it happen?"
    assert table.column_labels == ("Yes", "No", "No answer")
    assert [row.label for row in table.rows] == [
        "Team A",
        "<i>Team</i> B",  # kept as text: the templates escape it
        "Not answered",
        "All respondents",
    ]
    assert table.view_label == "By team"
    bare = build_table(release, (TEAM,), "single", Labels())
    assert bare.title == "single"
    assert bare.column_labels == ("yes", "no", "No answer")
    assert [row.label for row in bare.rows][:3] == ["a", "b", "Not answered"]
    labels = Labels()
    assert labels.group(TEAM, MISSING) == "Not answered"
    assert labels.option("x", NO_ANSWER) == "No answer"
    assert labels.view(()) == "Overall"


def test_multiple_choice_tables_say_percentages_do_not_add_up() -> None:
    _proxy, release = only_tables()
    multiple = build_table(release, (), "multiple", hand_labels())
    assert MULTIPLE_NOTE in multiple.notes
    assert "do not add up to 100" in MULTIPLE_NOTE
    (everyone,) = multiple.rows
    assert [f.percent for f in everyone.figures] == [75, 63, 8]  # 30/40, 25/40 (62.5), 3/40
    assert sum(f.percent or 0 for f in everyone.figures) != 100
    single = build_table(release, (), "single", hand_labels())
    assert MULTIPLE_NOTE not in single.notes


def test_respondent_tables_give_each_group_as_a_share_of_everyone() -> None:
    proxy, release = only_tables()
    table = respondent_table(release, (TEAM,), hand_labels())
    assert proxy.calls == [((TEAM,), None)]
    assert table.item is None
    assert [(r.label, r.total, r.figures) for r in table.rows] == [
        ("Team A", 22, (Figure(22, 55),)),
        ("<i>Team</i> B", None, (Figure(None, None),)),
        ("Not answered", 0, (Figure(0, 0),)),
        ("All respondents", 40, (Figure(40, 100),)),
    ]
    assert [r.kind for r in table.rows] == ["group", "group", "group", "overall"]


def test_views_are_written_and_read_only_as_permitted() -> None:
    assert [view_key(v) for v in VIEWS] == ["overall", "team", "site", "team+site"]
    for view in VIEWS:
        assert parse_view(view_key(view), VIEWS) == view
    assert parse_view(None, VIEWS) == ()
    assert parse_view("", VIEWS) == ()
    for crafted in ("site+team", "team+team", "religion", "Overall", " team", "team+site+x"):
        assert parse_view(crafted, VIEWS) is None
    assert parse_view("team+site", [(), ("team",)]) is None


def test_the_footnote_names_k_and_k_cell_and_the_single_marker() -> None:
    text = footnote(10, 3)
    assert text.startswith(f"{HIDDEN} = hidden to protect anonymity")
    assert "fewer than 10 people" in text and "fewer than 3 people" in text
    assert "{k}" in FOOTNOTE and HIDDEN == "c"


def test_a_report_holds_every_table_of_every_question_and_view() -> None:
    _release, report = protected_report()
    assert report.k == 5 and report.k_cell == 3 and report.responses == 60
    assert [t.view for t in report.respondents] == list(VIEWS)
    assert [r.question for r in report.questions] == list(QUESTIONS)
    seen, grid, helped, comments = report.questions
    assert [(t.item, t.view) for t in seen.tables] == [("seen", v) for v in VIEWS]
    assert [t.item for t in grid.tables] == ["grid__fair"] * 4 + ["grid__safe"] * 4
    assert len(helped.tables) == 4 and comments.tables == ()
    assert report.footnote == footnote(5, 3)


def test_chart_summaries_describe_everyone_and_mention_hidden_bars() -> None:
    _proxy, release = only_tables()
    text = chart_summary(build_table(release, (TEAM,), "single", hand_labels()))
    assert "‘Did it happen?’" in text
    assert "everyone and 3 groups" in text
    assert "Everyone: Yes 48%, No 40%, No answer 13%." in text
    assert "Bars marked c are hidden" in text
    overall = chart_summary(build_table(release, (), "single", hand_labels()))
    assert "hidden" not in overall


def test_report_objects_are_frozen() -> None:
    _proxy, release = only_tables()
    table = build_table(release, (), "single", hand_labels())
    with pytest.raises(AttributeError):
        cast(Any, table).title = "changed"
    with pytest.raises(AttributeError):
        cast(Any, table.rows[0].figures[0]).count = 1
