"""What a reader takes in: at most a dozen themes, merge proposals, one denominator, and
clear refusals of review actions that cannot be done."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.comments import (
    OTHER,
    Comment,
    QuestionReview,
    ReviewError,
    ThemeState,
    reviewing,
    summarise,
    theme_columns,
    theme_item,
    theme_items,
)
from analysis.comments.similar import nearest_pairs
from analysis.comments.summary import GROUPED, MAX_REPORTED_THEMES
from analysis.counting import Breakdown, release_input
from analysis.disclosure import NO_ANSWER, protect_release
from analysis.report import COMMENTED_NOTE, Labels, build_table, text_result
from analysis.themes import ThemeModel

ACTOR = "analyst@example.org"


def _review(texts_by_theme: dict[int, list[str]]) -> QuestionReview:
    comments = []
    for theme, texts in texts_by_theme.items():
        for text in texts:
            row = len(comments)
            comments.append(Comment(row, text, text, (), "mixed", (), theme))
    themes = tuple(ThemeState(t, f"Theme {t}", (), True, ()) for t in texts_by_theme)
    return QuestionReview("comments", "ready", "lexical", tuple(comments), themes)


def _sized(sizes: dict[int, int]) -> QuestionReview:
    return _review({t: [f"comment {t} number {i}" for i in range(n)] for t, n in sizes.items()})


def test_the_nearest_pair_of_themes_is_proposed_first_with_its_similarity() -> None:
    review = _review(
        {
            0: ["unfair caseload allocation", "caseload allocation is unfair", "heavy caseload"],
            1: ["complex cases allocated unfairly", "caseload allocation of complex cases"],
            2: ["staff network meetings", "the network is a lifeline", "network support"],
        }
    )
    pairs = nearest_pairs(review)
    assert pairs, "two themes about caseloads should be proposed"
    assert (pairs[0].first, pairs[0].second) == (0, 1)
    assert 0 < pairs[0].similarity <= 1 and 0 < pairs[0].percent <= 100
    assert all(2 not in (p.first, p.second) or p.similarity < pairs[0].similarity for p in pairs)


def test_no_pair_is_proposed_for_one_theme_or_wordless_comments() -> None:
    assert nearest_pairs(_review({0: ["caseload", "caseload again"]})) == []
    assert nearest_pairs(_review({0: ["😀"], 1: ["👍"]})) == []


def test_a_report_shows_a_dozen_themes_and_counts_the_smaller_ones_together() -> None:
    sizes = {t: 30 - t for t in range(MAX_REPORTED_THEMES + 3)}
    review = _sized(sizes)
    (item,) = theme_items(review, sensitive=False)
    shown = [o for o in item.options if o not in (GROUPED, OTHER)]
    assert len(shown) == MAX_REPORTED_THEMES
    assert item.options[-2:] == (GROUPED, OTHER)
    rows = len(review.comments)
    column = theme_columns(review, rows)[theme_item("comments")]
    # the three smallest themes (sizes 16, 17, 18) count as "Other themes"
    assert int((column == GROUPED).sum()) == 16 + 17 + 18
    frame = pd.DataFrame({"council": pd.Series(["north"] * rows, dtype="string")})
    frame = pd.concat([frame, pd.DataFrame(theme_columns(review, rows))], axis=1)
    spec = release_input(frame, [item], [Breakdown("council", ("north",))], [()])
    release = protect_release(spec, k=10, k_cell=3)
    summary = summarise(review, release, k_text=10)
    grouped = [t for t in summary.themes if t.option == GROUPED]
    assert [t.label for t in grouped] == ["Other themes (3 smaller themes)"]
    assert len(summary.named_themes) == MAX_REPORTED_THEMES
    # every theme stays reviewable: the review itself still has all fifteen
    assert len(review.themes) == MAX_REPORTED_THEMES + 3


def test_theme_shares_use_the_people_who_commented_everywhere() -> None:
    review = _sized({0: 20, 1: 12})
    rows = 60  # 28 people wrote nothing
    frame = pd.DataFrame({"council": pd.Series(["north"] * rows, dtype="string")})
    frame = pd.concat([frame, pd.DataFrame(theme_columns(review, rows))], axis=1)
    (item,) = theme_items(review, sensitive=False)
    spec = release_input(frame, [item], [Breakdown("council", ("north",))], [()])
    release = protect_release(spec, k=10, k_cell=3)
    name = theme_item("comments")
    table = build_table(release, (), name, Labels(commented=frozenset({name})))
    (row,) = table.rows
    shares = dict(zip(table.column_codes, (f.percent for f in row.figures), strict=True))
    assert shares["t0"] == 63  # 20 of the 32 who commented (62.5 %, half up), not 33 % of 60
    assert NO_ANSWER not in shares  # the people who wrote nothing are left out of the table
    assert row.total == 32 and table.total_label == "Everyone who commented"
    assert COMMENTED_NOTE in table.notes
    summary = summarise(review, release, k_text=10)
    text = text_result(release, summary)
    assert text.commented == 32
    assert {t.label: t.share for t in text.themes if not t.other}[
        "Automatic theme 1 (not reviewed)"
    ] == shares["t0"]
    # without the item marked, a table keeps the group as its denominator
    plain = build_table(release, (), name, Labels())
    assert (
        dict(zip(plain.column_codes, (f.percent for f in plain.rows[0].figures), strict=True))["t0"]
        == 33
    )


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda r: reviewing.merge(r, 0, 0, actor=ACTOR), "different theme"),
        (lambda r: reviewing.merge(r, 0, 7, actor=ACTOR), "no longer exists"),
        (lambda r: reviewing.move(r, 0, 7, actor=ACTOR), "no longer exists"),
        (lambda r: reviewing.rename(r, 7, "Caseloads", actor=ACTOR), "no longer exists"),
    ],
)
def test_review_actions_that_cannot_be_done_say_why(action, message) -> None:  # type: ignore[no-untyped-def]
    review = _sized({0: 12, 1: 12})
    with pytest.raises(ReviewError, match=message):
        action(review)


def test_forty_copies_of_one_comment_are_too_few_to_form_themes() -> None:
    model = ThemeModel(engine="lexical").fit(["Managers do not listen."] * 40)
    assert model.too_few_ and model.n_themes_ == 0
    varied = ThemeModel(engine="lexical").fit(
        ["Managers do not listen."] * 20 + ["Caseloads are unfair."] * 20 + ["Good network."] * 5
    )
    assert not varied.too_few_ and varied.n_themes_ >= 2
