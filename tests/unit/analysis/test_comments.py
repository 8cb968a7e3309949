"""The review state of a free-text question: actions, release items and what is published."""

from __future__ import annotations

import random
from dataclasses import replace

import pandas as pd
import pytest

from analysis.comments import (
    NO_THEME,
    OTHER,
    CodeInfo,
    Comment,
    QuestionReview,
    Quote,
    ReviewError,
    ThemeState,
    code_item,
    reviewing,
    summarise,
    theme_columns,
    theme_item,
    theme_items,
)
from analysis.counting import Breakdown, Item, release_input
from analysis.disclosure import protect_release, render
from analysis.redaction import Redactor

ACTOR = "analyst@example.org"


def comment(row: int, theme: int, text: str = "", tone: str = "negative", codes=()) -> Comment:
    text = text or f"comment number {row} about theme {theme}"
    return Comment(row, text, text, (), tone, tuple(codes), theme)  # type: ignore[arg-type]


def make_review(sizes: dict[int, int], rows: int | None = None) -> QuestionReview:
    comments = []
    row = 0
    for theme, size in sizes.items():
        for _ in range(size):
            comments.append(comment(row, theme))
            row += 1
    themes = tuple(
        ThemeState(t, f"Theme {t}", (f"phrase {t}",), True, ()) for t in sizes if t != NO_THEME
    )
    quoted = range(0, len(comments), 4)
    quotes = tuple(Quote(f"q{n + 1}", i, comments[i].redacted) for n, i in enumerate(quoted))
    return QuestionReview("comments", "ready", "lexical", tuple(comments), themes, (), quotes)


def test_json_round_trip() -> None:
    review = make_review({0: 5, 1: 3, NO_THEME: 2})
    review = replace(
        review,
        codes=(CodeInfo("a", "Code A", "about A", ("alpha", "apple")),),
        comments=(
            Comment(0, "raw", "red", (), "positive", ("a",), 0),
            *review.comments[1:],
        ),
    )
    review = reviewing.rename(review, 0, "Workload", actor=ACTOR)
    assert QuestionReview.from_dict(review.to_dict()) == review


def test_rename_records_a_decision_without_comment_text() -> None:
    review = make_review({0: 4, 1: 4})
    renamed = reviewing.rename(review, 1, "  Not   listened to ", actor=ACTOR)
    assert renamed.theme(1).label == "Not listened to"
    assert review.theme(1).label == "Theme 1"  # the original is unchanged
    (decision,) = renamed.decisions
    assert decision.action == "rename" and decision.actor == ACTOR
    assert all(c.text not in decision.detail for c in review.comments)
    with pytest.raises(ReviewError, match="Enter a name"):
        reviewing.rename(review, 1, "   ", actor=ACTOR)
    with pytest.raises(ReviewError, match="80 characters"):
        reviewing.rename(review, 1, "x" * 81, actor=ACTOR)
    with pytest.raises(ReviewError, match="no longer exists"):
        reviewing.rename(review, 7, "Gone", actor=ACTOR)


def test_merge_moves_every_comment_and_removes_the_theme() -> None:
    review = make_review({0: 4, 1: 3, 2: 2})
    merged = reviewing.merge(review, 2, 0, actor=ACTOR, k_text=2)
    assert [t.id for t in merged.themes] == [0, 1]
    assert merged.size(0) == 6 and merged.size(2) == 0
    # Key phrases are found again from the merged comments, not appended (issue 13).
    assert merged.theme(0).key_phrases == ("comment number",)
    with pytest.raises(ReviewError):
        reviewing.merge(review, 1, 1, actor=ACTOR)


def test_move_and_not_reportable() -> None:
    review = make_review({0: 4, 1: 3})
    moved = reviewing.move(review, 0, 1, actor=ACTOR)
    assert moved.comments[0].theme == 1 and moved.size(1) == 4
    assert reviewing.move(moved, 0, 1, actor=ACTOR) is moved  # no change, no decision
    unthemed = reviewing.move(review, 0, NO_THEME, actor=ACTOR)
    assert unthemed.unthemed == 1
    with pytest.raises(ReviewError):
        reviewing.move(review, 99, 1, actor=ACTOR)
    hidden = reviewing.set_reportable(review, 1, False, actor=ACTOR)
    assert not hidden.theme(1).reportable
    assert [i.options for i in theme_items(hidden, sensitive=False)] == [("t0", OTHER)]


def test_quote_moderation_actions() -> None:
    review = make_review({0: 8})
    redactor = Redactor(names=["Priya"])
    approved = reviewing.approve(review, "q1", actor=ACTOR)
    assert approved.quote("q1").status == "approved"
    rejected = reviewing.reject(approved, "q1", actor=ACTOR)
    assert rejected.quote("q1").status == "rejected"
    edited = reviewing.edit_quote(
        review, "q2", "Priya said email me at p@example.org", redactor, actor=ACTOR
    )
    quote = edited.quote("q2")
    assert quote.status == "approved"
    assert "Priya" not in quote.text and "p@example.org" not in quote.text
    assert "[name]" in quote.text and "[email]" in quote.text
    with pytest.raises(ReviewError):
        reviewing.edit_quote(review, "q2", "   ", redactor, actor=ACTOR)
    with pytest.raises(ReviewError):
        reviewing.approve(review, "q99", actor=ACTOR)
    nominated = reviewing.nominate(review, 1, actor=ACTOR)
    assert nominated.quotes[-1].comment == 1 and nominated.quotes[-1].status == "pending"
    with pytest.raises(ReviewError, match="already"):
        reviewing.nominate(nominated, 1, actor=ACTOR)
    assert [d.action for d in edited.decisions] == ["edit_quote"]


# --- theme counts are protected like any other item -------------------------------------------

COUNCILS = ("north", "south", "east")


def _frame_and_review(seed: int) -> tuple[pd.DataFrame, QuestionReview]:
    rng = random.Random(seed)
    rows = 90
    councils = [COUNCILS[rng.randrange(3)] for _ in range(rows)]
    comments = []
    for row in range(rows):
        if rng.random() < 0.6:
            theme = rng.choice([0, 0, 0, 1, 1, 2, NO_THEME])
            comments.append(comment(row, theme))
    themes = tuple(ThemeState(t, f"T{t}", (), True, ()) for t in (0, 1, 2))
    review = QuestionReview("comments", "ready", "lexical", tuple(comments), themes)
    return pd.DataFrame({"council": pd.Series(councils, dtype="string")}), review


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_theme_counts_are_hidden_exactly_as_for_a_closed_question(seed: int) -> None:
    """The theme item must be published exactly as the disclosure engine publishes a closed
    single-choice question with the same answers."""
    frame, review = _frame_and_review(seed)
    breakdowns = [Breakdown("council", COUNCILS)]
    views = [(), ("council",)]
    columns = theme_columns(review, len(frame))
    with_themes = pd.concat([frame, pd.DataFrame(columns)], axis=1)
    items = theme_items(review, sensitive=False)
    protected = protect_release(
        release_input(with_themes, items, breakdowns, views), k=10, k_cell=3
    )
    # The same answers as an ordinary closed question.
    closed = Item("answer", "answer", "exclusive", items[0].options)
    plain = with_themes.rename(columns={theme_item("comments"): "answer"})
    expected = protect_release(release_input(plain, [closed], breakdowns, views), k=10, k_cell=3)
    for view in views:
        got = render(protected, view, theme_item("comments"))
        want = render(expected, view, "answer")
        assert got.equals(want)
    # Small cells really are hidden (the test would be empty otherwise).
    table = render(protected, ("council",), theme_item("comments"))
    raw = release_input(with_themes, items, breakdowns, views)
    small = [
        (pop, col)
        for pop, row in raw.items[0].counts.items()
        for col, n in row.items()
        if 0 < n < 3
    ]
    assert small, "the random data should have small cells"
    for pop, col in small:
        assert protected.value(theme_item("comments"), pop, col) is None
    assert table.isna().any().any()


def test_code_item_counts_several_codes_per_comment() -> None:
    review = QuestionReview(
        "comments",
        "ready",
        "lexical",
        (
            comment(0, 0, codes=("a", "b")),
            comment(1, 0, codes=("a",)),
            comment(2, 0, codes=()),
        ),
        (ThemeState(0, "T", (), True, ()),),
        (CodeInfo("a", "A"), CodeInfo("b", "B")),
    )
    columns = theme_columns(review, 5)
    prefix = code_item("comments")
    codes_a = columns[f"{prefix}__a"]
    assert codes_a.tolist()[:3] == [True, True, False]
    assert codes_a.isna().tolist() == [False, False, False, True, True]  # no comment: missing
    assert columns[f"{prefix}__{OTHER}"].tolist()[:3] == [False, False, True]
    kinds = {i.id: i.kind for i in theme_items(review, sensitive=True)}
    assert kinds == {theme_item("comments"): "exclusive", prefix: "multiple"}


# --- what readers see ----------------------------------------------------------------------------


def _published(review: QuestionReview, rows: int, k: int = 10):  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"council": pd.Series(["north"] * rows, dtype="string")})
    frame = pd.concat([frame, pd.DataFrame(theme_columns(review, rows))], axis=1)
    spec = release_input(
        frame, theme_items(review, sensitive=False), [Breakdown("council", ("north",))], [()]
    )
    return protect_release(spec, k=k, k_cell=3)


def test_quotes_only_after_approval_and_only_for_large_enough_themes() -> None:
    review = make_review({0: 12, 1: 6})
    release = _published(review, 40)
    summary = summarise(review, release, k_text=10)
    assert all(not t.quotes for t in summary.themes)  # nothing approved yet
    for quote in review.quotes:
        review = reviewing.approve(review, quote.id, actor=ACTOR)
    release = _published(review, 40)
    summary = summarise(review, release, k_text=10)
    by_option = {t.option: t for t in summary.themes}
    big = [q.text for q in review.quotes if review.comments[q.comment].theme == 0]
    assert sorted(by_option["t0"].quotes) == sorted(big)
    assert by_option["t1"].quotes == ()  # 6 comments < k_text
    assert by_option[OTHER].quotes == ()
    rejected = reviewing.reject(review, review.quotes[0].id, actor=ACTOR)
    again = summarise(rejected, _published(rejected, 40), k_text=10)
    assert review.quotes[0].text not in {q for t in again.themes for q in t.quotes}


def test_quotes_come_in_random_order() -> None:
    review = make_review({0: 40})
    for quote in review.quotes:
        review = reviewing.approve(review, quote.id, actor=ACTOR)
    release = _published(review, 60)
    orders = {
        summarise(review, release, k_text=10, rng=random.Random(seed)).themes[0].quotes
        for seed in range(8)
    }
    assert len(orders) > 1


def test_tone_is_never_published_and_unconfirmed_names_are_not_either() -> None:
    comments = [comment(i, 0, tone="positive") for i in range(12)]
    comments += [comment(12 + i, 1, tone="negative") for i in range(12)]
    review = QuestionReview(
        "comments",
        "ready",
        "lexical",
        tuple(comments),
        (ThemeState(0, "Sarah jones", (), True, ()), ThemeState(1, "Workload", (), True, ())),
    )
    review = reviewing.rename(review, 1, "Workload", actor=ACTOR)
    summary = summarise(review, _published(review, 30), k_text=10)
    first, second, other = summary.themes
    assert (first.label, first.reviewed) == ("Automatic theme 1 (not reviewed)", False)
    assert (second.label, second.reviewed) == ("Workload", True)
    assert other.option == OTHER and other.reviewed is None
    assert (summary.reviewed, summary.automatic, summary.review_recorded) == (1, 1, True)
    stored = str(summary.to_dict()).lower()
    assert "tone" not in stored and "positive" not in stored and "sarah" not in stored


def test_a_question_with_too_few_comments_publishes_no_theme_item() -> None:
    review = QuestionReview("comments", "too_few", "lexical", (comment(0, NO_THEME),))
    assert theme_items(review, sensitive=False) == []
    release = _published(make_review({0: 12}), 20)
    assert summarise(review, release, k_text=10).themes == ()


@pytest.mark.parametrize(
    ("phrase", "tidied"),
    [
        ("fair allocation of", "fair allocation"),
        ("the staff network", "staff network"),
        ("not listened to", "not listened to"),
        ("did not listen", "did not listen"),
        ("time i raise", "time I raise"),
        ("passed over for", "passed over"),
        ("not just", ""),
        ("of the", ""),
        ("caseload", "caseload"),
    ],
)
def test_key_phrases_lose_dangling_function_words(phrase: str, tidied: str) -> None:
    from analysis.comments.building import tidy_phrase

    assert tidy_phrase(phrase) == tidied


def test_candidate_quotes_are_not_near_duplicates() -> None:
    from analysis.comments.building import distinct_candidates

    texts = [
        "Caseload allocation that is open, so we can see who gets the hardest cases.",
        "Honestly, caseload allocation that is open, so we can see who gets the hardest cases.",
        "A fair allocation of cases; my caseload is always the heaviest in the team.",
        "",
        "Caseload allocation that is open, so we can see who gets the hardest cases. Thank you.",
    ]
    assert distinct_candidates(range(5), texts) == [0, 2]


# --- redaction flags keep their reasons (issue 9) ------------------------------------------------


def test_flags_keep_their_reasons_in_the_workspace() -> None:
    from analysis.comments import build_review
    from analysis.comments.model import Flag

    texts = [f"I told Tunde about the rota, week {i}" for i in range(3)]
    review = build_review("q", list(enumerate(texts)), engine="lexical")
    flags = [f for c in review.comments for f in c.flags]
    assert flags and all(f.kind == "name" and "may be a name" in f.reason for f in flags)
    assert QuestionReview.from_dict(review.to_dict()) == review
    # A workspace saved before reasons were kept still opens.
    data = review.to_dict()
    data["comments"][0][3] = [flag[:4] for flag in data["comments"][0][3]]
    old = QuestionReview.from_dict(data)
    assert old.comments[0].flags == (Flag("name", "Tunde", 7, 12),)
