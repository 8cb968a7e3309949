"""Theme names and key phrases never point at anyone (issue 9): no word that redaction replaced
or flagged as a name, place or team, and no word fewer than ``k_text`` respondents used."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.comments import (
    Comment,
    QuestionReview,
    ThemeState,
    build_review,
    reviewing,
    summarise,
    theme_columns,
    theme_items,
)
from analysis.comments.building import (
    PhraseCheck,
    identifying_words,
    label_from,
    publication_check,
)
from analysis.comments.model import Flag
from analysis.counting import Breakdown, release_input
from analysis.disclosure import protect_release
from analysis.themes import ThemeModel
from analysis.themes.text import is_stop, stem, tokens

NAMED = [
    "Please replace Sarah Jones as facilitator, the sessions felt rushed",
    "Dave in the Grays office never listens to our concerns",
    "my manager priya patel ignores what we say in the sessions",
]
OTHERS = [
    "My caseload is always the heaviest in the team and nobody listens",
    "I have been passed over for promotion twice despite good appraisals",
    "The staff network is the only place I feel heard at work",
    "Managers do not listen when we report racism at work",
    "Training on bias should be compulsory for every manager",
]
ENDINGS = ["again", "honestly", "this year", "every week"]
POINTING = {"sarah", "jones", "dave", "grays", "priya", "patel"}


def survey(naming: int, others: int = 12) -> list[tuple[int, str]]:
    """``naming`` respondents write each naming comment, ``others`` each ordinary one."""
    texts = [f"{t} {ENDINGS[i % 4]}" for i in range(naming) for t in NAMED]
    texts += [f"{t} {ENDINGS[i % 4]}" for i in range(others) for t in OTHERS]
    return list(enumerate(texts))


def words_shown(review: QuestionReview) -> set[str]:
    return {w for t in review.themes for text in (t.label, *t.key_phrases) for w in tokens(text)}


def published(review: QuestionReview, k_text: int = 10):  # type: ignore[no-untyped-def]
    rows = len(review.comments)
    frame = pd.DataFrame({"council": pd.Series(["north"] * rows, dtype="string")})
    frame = pd.concat([frame, pd.DataFrame(theme_columns(review, rows))], axis=1)
    spec = release_input(
        frame, theme_items(review, sensitive=False), [Breakdown("council", ("north",))], [()]
    )
    return summarise(review, protect_release(spec, k=10, k_cell=3), k_text=k_text)


@pytest.mark.parametrize("naming", [5, 12])
def test_a_named_colleague_never_names_a_theme_or_key_phrase(naming: int) -> None:
    """Five people (fewer than k_text) or twelve (more) name a colleague, a manager and an
    office: no theme name or key phrase, at analysis or in the report, carries them."""
    review = build_review("q", survey(naming), engine="lexical")
    assert review.status == "ready" and review.themes
    assert not POINTING & words_shown(review)
    for theme in review.themes:
        assert "[" not in theme.label
    # Confirm every automatic name, as an analyst might in a hurry: still nothing published.
    for theme in review.themes:
        review = reviewing.confirm_name(review, theme.id, actor="a@example.org")
    summary = published(review)
    shown = {w for t in summary.themes for x in (t.label, *t.key_phrases) for w in tokens(x)}
    assert not POINTING & shown
    # The test can fail: the names are in the comments, and redaction flagged them.
    flagged = {f.token.casefold() for c in review.comments for f in c.flags}
    assert {"sarah", "jones", "dave", "priya", "patel"} <= flagged
    assert any("[place] office" in c.redacted for c in review.comments)


@pytest.mark.parametrize("k_text", [10, 15])
def test_every_word_of_a_key_phrase_is_used_by_k_text_respondents(k_text: int) -> None:
    comments = survey(naming=12, others=12)
    stems = [{stem(w) for w in tokens(text)} for _row, text in comments]
    review = build_review("q", comments, engine="lexical", k_text=k_text)
    shown = [p for t in review.themes for p in t.key_phrases]
    assert shown, "some phrases should survive"
    for phrase in shown:
        for word in tokens(phrase):
            if not is_stop(word):
                assert sum(1 for s in stems if stem(word) in s) >= k_text, (phrase, word)
    # Twelve people wrote "the sessions felt rushed": k_text = 15 drops the phrase.
    found = {w for p in shown for w in tokens(p)}
    assert ("rushed" in found) is (k_text == 10)


def test_a_theme_with_nothing_left_to_be_named_by_is_named_neutrally() -> None:
    texts = [text for _row, text in survey(naming=0)]
    model = ThemeModel(n_themes=3, engine="lexical", min_word_texts=10_000).fit(texts)
    assert [t.label for t in model.themes_] == ["Theme 1", "Theme 2", "Theme 3"]
    assert all(t.key_phrases == () for t in model.themes_)
    review = build_review("q", survey(naming=0), engine="lexical", k_text=10_000)
    assert {t.label for t in review.themes} == {f"Theme {t.id + 1}" for t in review.themes}
    assert label_from((), 2) == "Theme 3"


def test_excluded_words_are_compared_by_stem() -> None:
    texts = [text for _row, text in survey(naming=0)]
    model = ThemeModel(n_themes=5, engine="lexical", exclude_words=["Networks", "listen"]).fit(
        texts
    )
    shown = {stem(w) for t in model.themes_ for x in (t.label, *t.key_phrases) for w in tokens(x)}
    assert not {"network", "listen"} & shown
    unfiltered = ThemeModel(n_themes=5, engine="lexical").fit(texts)
    assert {"network", "listen"} <= {
        stem(w) for t in unfiltered.themes_ for p in t.key_phrases for w in p.split()
    }


def test_the_phrase_check_says_why() -> None:
    texts = [f"my caseload is too heavy, says Kwame {i}" for i in range(12)]
    texts += ["caseload allocation", "caseload allocation is unfair", "allocation"]
    check = PhraseCheck(texts, {"Kwame"}, k_cell=3, k_text=10)
    assert check.reason("caseload") is None
    assert check.reason("kwame says") == "names a person, place or team"
    assert check.reason("caseload allocation") == "a word used in fewer than 10 comments"
    assert check.keep(["the caseload", "kwame", "caseload", "allocation"]) == ("caseload",)
    assert check.label_is_safe("Heavy caseloads") and not check.label_is_safe("Kwame's team")


def _review(phrases: tuple[str, ...], label: str, confirmed: bool) -> QuestionReview:
    comments = []
    for row in range(30):
        text = f"Sarah Jones runs the facilitation sessions badly, week {row % 3}"
        redacted = text.replace("Sarah Jones", "[name]")
        comments.append(Comment(row, text, redacted, (), "negative", (), 0))
    comments.append(
        Comment(30, "I told Tunde", "I told Tunde", (Flag("name", "Tunde", 7, 12),), "mixed", (), 0)
    )
    theme = ThemeState(0, label, phrases, True, (), confirmed)
    return QuestionReview("q", "ready", "lexical", tuple(comments), (theme,))


def test_a_report_checks_key_phrases_and_names_again() -> None:
    """A review saved before these rules (or an analyst's name) cannot publish a name."""
    review = _review(
        ("sarah jones", "facilitation sessions", "tunde", "week"), "Sarah's group", True
    )
    assert identifying_words(review) == frozenset({"sarah", "jones", "tunde"})
    (theme, _other) = published(review).themes
    assert theme.key_phrases == ("facilitation sessions", "week")
    assert "Sarah" not in theme.label and theme.reviewed is False
    # k_text is the release's: 30 people wrote "week", 10 wrote "week 1".
    check = publication_check(review, k_text=31)
    assert check.keep(("facilitation sessions", "week")) == ()
    kept = _review(("facilitation sessions",), "Facilitation", True)
    (theme, _other) = published(kept).themes
    assert theme.label == "Facilitation" and theme.reviewed is True


def test_names_in_key_phrases_of_the_issue_are_flagged_by_redaction() -> None:
    """The words of the reported incident ("dave", "grays office", "patel") are all things
    redaction now replaces or flags, so none can become a key phrase."""
    review = build_review("q", survey(naming=7), engine="lexical")
    blocked = identifying_words(review)
    assert {"sarah", "jones", "dave", "priya", "patel"} <= blocked
    assert not re.search(r"\bgrays\b", " ".join(c.redacted for c in review.comments).casefold())
