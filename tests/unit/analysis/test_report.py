"""The report display model: percentages only from shown numbers, ``None`` for hidden,
labels, notes, and only what the release publishes: its views, the item tables it
publishes for them (``publishes``), and the values in ``sizes`` and ``items``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, cast

import pytest

from analysis.counting import MISSING
from analysis.disclosure import NO_ANSWER, Population, ProtectedRelease
from analysis.report import (
    FOOTNOTE,
    HIDDEN,
    HIDDEN_NOTE,
    MULTIPLE_NOTE,
    Figure,
    Labels,
    build_report,
    build_table,
    chart_summary,
    footnote,
    is_published,
    parse_view,
    percent,
    published_views,
    question_tables,
    report_views,
    respondent_table,
    view_key,
)

from .report_data import (
    INFO,
    QUESTIONS,
    SITE,
    TEAM,
    TWO_WAY_QUESTIONS,
    VIEWS,
    hand_labels,
    hand_release,
    protected_labels,
    protected_report,
    two_way_labels,
    two_way_release,
)


class OnlyPublished:
    """A release that offers nothing but its published views, ``publishes``, its groups
    (``dimensions``) and the values in ``sizes`` and ``items``: proves the display model
    reads nothing else (no ``table``, no DataFrame), and records what it asked."""

    def __init__(self, release: ProtectedRelease) -> None:
        self._release = release
        self.asked: list[tuple[str, tuple[str, ...]]] = []

    @property
    def views(self) -> tuple[tuple[str, ...], ...]:
        return self._release.views

    @property
    def dimensions(self) -> Mapping[str, tuple[str, ...]]:
        return self._release.dimensions

    @property
    def sizes(self) -> Mapping[Population, int | None]:
        return self._release.sizes

    @property
    def items(self) -> Mapping[str, Mapping[Population, Mapping[str, int | None]]]:
        return self._release.items

    @property
    def k(self) -> int:
        return self._release.k

    @property
    def k_cell(self) -> int:
        return self._release.k_cell

    def size(self, population: Population) -> int | None:
        return self._release.size(population)

    def value(self, item: str, population: Population, column: str) -> int | None:
        return self._release.value(item, population, column)

    def publishes(self, item: str, view: tuple[str, ...]) -> bool:
        self.asked.append((item, view))
        return self._release.publishes(item, view)


def only_published(release: ProtectedRelease | None = None) -> tuple[OnlyPublished, Any]:
    proxy = OnlyPublished(release or hand_release())
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
    proxy, release = only_published()
    table = build_table(release, (TEAM,), "single", hand_labels())
    assert proxy.asked == [("single", (TEAM,))]
    assert table.published
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
    release = two_way_release()
    report = build_report(
        release, published_views(release), TWO_WAY_QUESTIONS, two_way_labels(), INFO
    )
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
    assert checked == 3 * (1 + 3 + 9) + 3 and hidden == 7


def test_a_protected_release_reads_back_exactly() -> None:
    release, report = protected_report()
    for result in report.questions:
        for table in result.tables:
            assert table.item is not None
            for row in table.rows:
                assert row.total == release.size(row.population)
                for code, figure in zip(table.column_codes, row.figures, strict=True):
                    assert figure.count == release.value(table.item, row.population, code)


def test_two_way_tables_have_groups_then_margins_then_everyone() -> None:
    _proxy, release = only_published(two_way_release())
    table = build_table(release, (TEAM, SITE), "seen", two_way_labels())
    kinds = [row.kind for row in table.rows]
    assert kinds == ["group"] * 4 + ["margin"] * 4 + ["overall"]
    labels = [row.label for row in table.rows]
    assert labels == [
        "Team A, X",
        "Team A, Y",
        "Team B, X",
        "Team B, Y",
        "Team A, any site",
        "Team B, any site",
        "Any team, X",
        "Any team, Y",
        "All respondents",
    ]
    assert table.rows[0].population == ((SITE, "x"), (TEAM, "a"))
    assert table.rows[4].population == ((TEAM, "a"),)
    assert table.rows[-1].population == ()
    assert table.view_label == "By team and site"
    assert table.rows[2].total is None and all(f.hidden for f in table.rows[2].figures)


def test_a_view_the_release_does_not_publish_is_one_sentence() -> None:
    proxy, release = only_published(two_way_release())
    labels = two_way_labels()
    # "By site" is a breakdown the release has groups for but does not publish.
    table = build_table(release, (SITE,), "seen", labels)
    assert not table.published and table.rows == () and table.column_codes == ()
    assert table.notes == ("There are too few responses to show this question by site.",)
    assert not is_published(release, "seen", (SITE,))
    assert ("seen", (SITE,)) not in proxy.asked  # not even asked: the view is not published
    respondents = respondent_table(release, (SITE,), labels)
    assert respondents.rows == ()
    assert respondents.notes == ("There are too few responses to show this question by site.",)


def test_an_item_not_published_by_a_view_is_one_sentence() -> None:
    proxy, release = only_published(two_way_release())
    labels = two_way_labels()
    tables = question_tables(release, TWO_WAY_QUESTIONS[1], published_views(release), labels)
    assert [t.view for t in tables] == [(), (TEAM,), (TEAM, SITE)]
    overall, by_team, by_both = tables
    assert overall.published and [r.label for r in overall.rows] == ["All respondents"]
    assert not by_team.published and not by_both.published
    assert by_team.notes == ("There are too few responses to show this question by team.",)
    assert by_both.notes == ("There are too few responses to show this question by team and site.",)
    assert ("late", (TEAM,)) in proxy.asked


def test_a_report_never_holds_a_view_the_release_does_not_publish() -> None:
    release = two_way_release()
    assert published_views(release) == ((), (TEAM,), (TEAM, SITE))
    # Asked for everything the questionnaire permits, in any order: site is left out.
    asked = [(TEAM, SITE), (SITE,), (TEAM,)]
    assert report_views(release, asked) == ((), (TEAM,), (TEAM, SITE))
    assert report_views(release, []) == ((),)  # everyone is always there
    report = build_report(release, asked, TWO_WAY_QUESTIONS, two_way_labels(), INFO)
    assert report.views == ((), (TEAM,), (TEAM, SITE))
    assert [t.view for t in report.respondents] == list(report.views)
    for result in report.questions:
        assert {t.view for t in result.tables} == set(report.views)
    overall_only = build_report(release, [()], TWO_WAY_QUESTIONS, two_way_labels(), INFO)
    assert overall_only.views == ((),)
    assert all(t.view == () for r in overall_only.questions for t in r.tables)


def test_labels_come_from_the_labels_with_defaults_for_no_answer_and_not_answered() -> None:
    _proxy, release = only_published()
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


def test_views_are_named_for_headings_and_sentences() -> None:
    labels = two_way_labels()
    assert labels.view((TEAM, SITE)) == "By team and site"
    assert labels.by((TEAM, SITE)) == "by team and site"
    assert labels.by(()) == ""
    assert labels.too_few((SITE,)) == "There are too few responses to show this question by site."
    assert labels.too_few((SITE,), "results") == (
        "There are too few responses to show results by site."
    )
    assert labels.too_few(()) == "There are too few responses to show this question."
    assert labels.too_few_views([(SITE,), (TEAM, SITE)]) == (
        "There are too few responses to show results by site, or by team and site."
    )
    assert labels.too_few_views([]) == ""


def test_multiple_choice_tables_say_percentages_do_not_add_up() -> None:
    _proxy, release = only_published()
    multiple = build_table(release, (), "multiple", hand_labels())
    assert MULTIPLE_NOTE in multiple.notes
    assert "do not add up to 100" in MULTIPLE_NOTE
    (everyone,) = multiple.rows
    assert [f.percent for f in everyone.figures] == [75, 63, 8]  # 30/40, 25/40 (62.5), 3/40
    assert sum(f.percent or 0 for f in everyone.figures) != 100
    single = build_table(release, (), "single", hand_labels())
    assert MULTIPLE_NOTE not in single.notes


def test_respondent_tables_give_each_group_as_a_share_of_everyone() -> None:
    _proxy, release = only_published()
    table = respondent_table(release, (TEAM,), hand_labels())
    assert table.item is None
    assert [(r.label, r.total, r.figures) for r in table.rows] == [
        ("Team A", 22, (Figure(22, 55),)),
        ("<i>Team</i> B", None, (Figure(None, None),)),
        ("Not answered", 0, (Figure(0, 0),)),
        ("All respondents", 40, (Figure(40, 100),)),
    ]
    assert [r.kind for r in table.rows] == ["group", "group", "group", "overall"]


def test_tables_and_reports_know_whether_they_hide_anything() -> None:
    _proxy, release = only_published()
    labels = hand_labels()
    assert build_table(release, (TEAM,), "single", labels).has_hidden
    assert not build_table(release, (), "single", labels).has_hidden
    assert respondent_table(release, (TEAM,), labels).has_hidden  # team B's size
    assert not respondent_table(release, (), labels).has_hidden
    questions = [QUESTIONS[0].__class__("single", "Did it happen?", "counts", ("single",))]
    assert not build_report(hand_release(), [()], questions, labels, INFO).has_hidden
    assert build_report(hand_release(), [(TEAM,)], questions, labels, INFO).has_hidden


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
    assert HIDDEN_NOTE == "c: hidden to protect small groups"


def test_a_report_holds_every_table_of_every_question_and_view() -> None:
    release, report = protected_report()
    views = published_views(release)
    assert report.k == 5 and report.k_cell == 3 and report.responses == 60
    assert report.views == views
    assert [t.view for t in report.respondents] == list(views)
    assert [r.question for r in report.questions] == list(QUESTIONS)
    seen, grid, helped, comments = report.questions
    assert [(t.item, t.view) for t in seen.tables] == [("seen", v) for v in views]
    assert [t.item for t in grid.tables] == ["grid__fair"] * len(views) + ["grid__safe"] * len(
        views
    )
    assert len(helped.tables) == len(views) and comments.tables == ()
    assert report.footnote == footnote(5, 3)
    assert report.labels == protected_labels()


def test_chart_summaries_describe_everyone_and_mention_hidden_bars() -> None:
    _proxy, release = only_published()
    text = chart_summary(build_table(release, (TEAM,), "single", hand_labels()))
    assert "‘Did it happen?’" in text
    assert "everyone and 3 groups" in text
    assert "Everyone: Yes 48%, No 40%, No answer 13%." in text
    assert "Bars marked c are hidden" in text
    overall = chart_summary(build_table(release, (), "single", hand_labels()))
    assert "hidden" not in overall


def test_report_objects_are_frozen() -> None:
    _proxy, release = only_published()
    table = build_table(release, (), "single", hand_labels())
    with pytest.raises(AttributeError):
        cast(Any, table).title = "changed"
    with pytest.raises(AttributeError):
        cast(Any, table.rows[0].figures[0]).count = 1


def test_charts_name_groups_whose_every_percentage_is_hidden_in_one_line() -> None:
    _proxy, release = only_published()
    table = build_table(release, (TEAM,), "single", hand_labels())
    # Team B's total is hidden, so none of its percentages can be shown, though one count is.
    assert [r.label for r in table.all_hidden] == ["<i>Team</i> B"]
    assert [r.label for r in table.charted] == ["Team A", "Not answered", "All respondents"]
    _proxy, two_way = only_published(two_way_release())
    crossed = build_table(two_way, (TEAM, SITE), "seen", two_way_labels())
    assert all(r.kind != "margin" for r in (*crossed.charted, *crossed.all_hidden))
    assert [r.label for r in crossed.all_hidden] == ["Team B, X"]


def test_a_wide_table_splits_by_its_columns_for_print() -> None:
    _proxy, release = only_published()
    table = build_table(release, (TEAM,), "multiple", hand_labels())  # 3 answer columns
    assert table.parts(3) == (table,)
    first, second = table.parts(2)
    assert (first.column_codes, second.column_codes) == (("pay",), ("hours", NO_ANSWER))
    assert second.column_labels == ("=Flexible hours", "No answer")
    for part in (first, second):
        assert [r.label for r in part.rows] == [r.label for r in table.rows]
        assert [r.total for r in part.rows] == [r.total for r in table.rows]
    assert [r.figures for r in first.rows] == [r.figures[:1] for r in table.rows]
    assert [r.figures for r in second.rows] == [r.figures[1:] for r in table.rows]
    assert (first.key, second.key) == (f"{table.key}--1", f"{table.key}--2")
    assert first.notes == () and second.notes == table.notes  # the note once, at the end
    letters = tuple("abcdefghijklmnopqrstuvwxy")
    wide = dataclasses.replace(table, column_codes=letters, column_labels=letters, rows=())
    widths = [len(p.column_codes) for p in wide.parts(8)]
    assert widths == [6, 6, 6, 7]
