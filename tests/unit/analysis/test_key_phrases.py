"""Key phrases a person would write (issue 13): two to four words as written, no filler, no
word twice, no dangling function word, shared by several comments, found again after every
merge, split or move; theme names proposed from them in sentence case."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable
from pathlib import Path

import pytest

from analysis.comments import Comment, QuestionReview, ThemeState, build_review, reviewing
from analysis.comments.model import Flag
from analysis.redaction import Redactor
from analysis.themes import ThemeModel, phrases, semantic
from analysis.themes.phrases import Corpus, key_phrases, problems, readable, sentence_case
from analysis.themes.text import tokens
from survey_app.demo_data import synthetic_answers
from survey_app.domain.loading import load_questionnaire
from survey_app.domain.model import QuestionType

ROOT = Path(__file__).parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "themes" / "labelled_comments.csv"
STAFF_SURVEY = ROOT / "questionnaires" / "global-majority-staff-survey.yaml"
ACTOR = "analyst@example.org"


# --- the rules, phrase by phrase ---------------------------------------------------------------


@pytest.mark.parametrize(
    "phrase",
    [
        "extra scrutiny",
        "fair allocation of cases",
        "staff network",
        "scrutiny of my work",
        "not listened",
        "didn't listen",
        "HR never replies",
        "caseload",
        "health system",
    ],
)
def test_phrases_a_person_would_write_pass(phrase: str) -> None:
    assert problems(phrase) == [] and readable(phrase)


@pytest.mark.parametrize(
    ("phrase", "problem"),
    [
        ("constant extra checks trusted job without", "has more than 4 words"),
        ("extra extra checks", "repeats a word"),
        ("checks checking", "repeats a word"),  # one stem
        ("colleagues thank", "contains the filler ‘thank’"),
        ("honestly racist comments", "contains the filler ‘honestly’"),
        ("like", "contains the filler ‘like’"),
        ("the staff network", "starts with the function word ‘the’"),
        ("without constant", "starts with the function word ‘without’"),
        ("it's unfair treatment", "starts with the function word ‘it's’"),
        ("fair allocation of", "ends with the function word ‘of’"),
        ("treated as if they're", "ends with the function word ‘they're’"),
        ("support not", "ends with the function word ‘not’"),
        ("not", "starts with the function word ‘not’"),
        ("!!", "has no words"),
    ],
)
def test_what_a_person_would_not_write_is_named(phrase: str, problem: str) -> None:
    assert problem in problems(phrase)
    assert not readable(phrase)


def test_names_are_proposed_in_sentence_case() -> None:
    assert sentence_case("extra scrutiny of work") == "Extra scrutiny of work"
    assert sentence_case("HR never replies") == "HR never replies"
    assert sentence_case("") == ""


def phrases_of(members: list[int], texts: list[str], **options: object) -> tuple[str, ...]:
    corpus = Corpus([tokens(text) for text in texts])
    return key_phrases(
        members,
        corpus,
        6,
        texts=[texts[i] for i in members],
        **options,  # type: ignore[arg-type]
    )


OPENERS = ("", "Honestly, ", "Simply: ", "For me, ")
CLOSERS = ("", " Thank you.", " Please act on this.", " It has been like this for years.")
CORES = {
    "scrutiny": [
        "Stop the extra scrutiny of my work compared with colleagues.",
        "Being trusted to do my job without constant extra checks.",
    ],
    "allocation": [
        "A fair allocation of cases; my caseload is always the heaviest.",
        "Caseload allocation that is open, so we can see who gets the hardest cases.",
    ],
    "network": [
        "The staff network is a lifeline. It is where I feel heard.",
        "Time to go to staff network meetings, where I can be myself.",
    ],
}


def padded(n: int = 12) -> tuple[list[str], dict[str, list[int]]]:
    """``n`` comments per topic, each with the demo's openers and closers in turn."""
    texts: list[str] = []
    topics: dict[str, list[int]] = {}
    for topic, cores in CORES.items():
        for i in range(n):
            core = cores[i % len(cores)]
            opener = OPENERS[i % len(OPENERS)]
            if opener:
                core = core[0].lower() + core[1:]
            topics.setdefault(topic, []).append(len(texts))
            texts.append(f"{opener}{core}{CLOSERS[(i // 2) % len(CLOSERS)]}")
    return texts, topics


def test_key_phrases_stop_at_punctuation_and_drop_fillers() -> None:
    texts, topics = padded()
    found = {topic: phrases_of(members, texts) for topic, members in topics.items()}
    assert found["scrutiny"] == (
        "stop the extra scrutiny",
        "work compared with colleagues",
        "constant extra checks",
    )
    assert found["allocation"] == (
        "fair allocation of cases",
        "caseload allocation",
        "hardest cases",
    )
    assert found["network"] == ("staff network", "feel heard")
    for shown in found.values():
        for phrase in shown:
            assert readable(phrase), (phrase, problems(phrase))
            assert 2 <= len(phrase.split()) <= 4
    # Nothing joins two clauses: "checks thank", "work thank", "cases my caseload".
    every = " | ".join(p for shown in found.values() for p in shown)
    for joined in ("thank", "please", "honestly", "simply", "cases my", "heard time"):
        assert joined not in every


def test_without_the_texts_phrases_still_keep_to_the_rules() -> None:
    """Given only tokens (no punctuation to cut at), the rules on words still hold."""
    texts, topics = padded()
    corpus = Corpus([tokens(text) for text in texts])
    for members in topics.values():
        for phrase in key_phrases(members, corpus, 6):
            assert readable(phrase), (phrase, problems(phrase))


def test_a_phrase_needs_several_comments() -> None:
    texts = ["night shifts are unsafe on the ward"] + ["car parking costs too much"] * 4
    texts += ["the canteen closes early"] * 4
    assert phrases_of([0], texts) == ()  # one comment shares nothing
    # Two comments of the theme, but only those two in the corpus: min_texts=3 rules it out.
    texts += ["night shifts are unsafe on the ward"]
    assert "night shifts" in phrases_of([0, 9], texts)
    assert phrases_of([0, 9], texts, min_texts=3) == ()


def test_single_words_only_when_no_phrase_qualifies() -> None:
    texts = [
        "Rotas change at short notice",
        "Short notice rota changes again",
        "Rotas are posted late",
        "I never see my rotas in time",
    ]
    texts += ["The canteen food is cold"] * 4 + ["Parking is expensive"] * 4
    shown = phrases_of([0, 1, 2, 3], texts)
    assert shown == ("rota changes", "short notice")  # not "rotas" beside them
    shown = phrases_of([0, 2, 3], texts)  # "short notice" now in one comment only
    assert shown == ("rotas",)


def test_excluded_words_and_capitals() -> None:
    texts = ["Priya in HR never replies to emails."] * 3 + ["HR never replies to emails."] * 3
    texts += ["The canteen food is cold"] * 6
    shown = phrases_of(list(range(6)), texts)
    assert shown == ("replies to emails", "priya in HR")  # as written mid-sentence
    shown = phrases_of(list(range(6)), texts, exclude=phrases.excluded_stems(["replied"]))
    assert not any("replies" in p for p in shown)


def test_hyphenated_words_are_not_cut() -> None:
    texts = ["We need proper follow-up after reports"] * 3 + ["Canteen food is cold"] * 6
    shown = phrases_of([0, 1, 2], texts)
    assert "proper follow" not in shown
    assert any("follow up" in p for p in shown), shown


def test_odd_comments_give_readable_phrases_or_none() -> None:
    texts = ["😀😀", "", "Dim digon o staff ar y ward", "Dim digon o staff ar y ward heno"]
    texts += ["word " * 2500, "Sarah Jones", "Priya", "ok ok ok", "thank you thank you"]
    texts += ["Dim digon o staff ar y ward."] * 3
    corpus = Corpus([tokens(text) for text in texts])
    members = [i for i, text in enumerate(texts) if tokens(text)]
    shown = key_phrases(members, corpus, 6, texts=[texts[i] for i in members])
    assert all(readable(p) for p in shown)
    assert key_phrases([], corpus, 6) == () and key_phrases(members, corpus, 0) == ()


# --- every theme the demo and the test fixtures produce ----------------------------------------


def assert_readable_themes(
    labels: Iterable[str], all_phrases: Iterable[tuple[str, ...]], where: str
) -> int:
    count = 0
    for label, shown in zip(labels, all_phrases, strict=True):
        for phrase in shown:
            assert readable(phrase), (where, phrase, problems(phrase))
            count += 1
        if shown:
            assert label == sentence_case(shown[0]), (where, label, shown)
        else:
            assert label.startswith("Theme "), (where, label)
    return count


def demo_comments() -> dict[str, list[str]]:
    """The comments the demo's past staff survey gets (400 respondents, its seed)."""
    questionnaire = load_questionnaire(STAFF_SURVEY)
    rng = random.Random(2025)
    answers = [synthetic_answers(questionnaire, rng) for _ in range(400)]
    found: dict[str, list[str]] = {}
    for question in questionnaire.questions():
        if question.type is QuestionType.FREE_TEXT and not question.demographic:
            found[question.id] = [
                a[question.id] for a in answers if isinstance(a.get(question.id), str)
            ]
    return found


def fixture_comments() -> list[str]:
    with FIXTURE.open(newline="", encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def demo() -> dict[str, list[str]]:
    found = demo_comments()
    assert found and all(len(texts) >= 50 for texts in found.values())
    return found


def test_every_demo_theme_has_readable_key_phrases(demo: dict[str, list[str]]) -> None:
    shown = 0
    for question, texts in demo.items():
        # The model alone (no k_text: the most phrases), then as an analysis run makes it
        # (k_text = 10, redaction's checks), then after review actions.
        model = ThemeModel(engine="lexical").fit(texts)
        shown += assert_readable_themes(
            (t.label for t in model.themes_), (t.key_phrases for t in model.themes_), question
        )
        for theme in model.themes_:
            members = [
                f" {' '.join(tokens(text))} "
                for text, label in zip(texts, model.labels_, strict=True)
                if label == theme.id
            ]
            for phrase in theme.key_phrases:
                # Word for word in at least two of the theme's comments.
                assert sum(f" {phrase.lower()} " in m for m in members) >= 2, phrase
        review = build_review(question, list(enumerate(texts)), engine="lexical")
        shown += assert_readable_themes(
            (t.label for t in review.themes), (t.key_phrases for t in review.themes), question
        )
        first, second = review.themes[0].id, review.themes[1].id
        merged = reviewing.merge(review, second, first, actor=ACTOR)
        split = reviewing.split(merged, first, Redactor(), actor=ACTOR)
        moved = reviewing.move(split, split.members(first)[0], split.themes[-1].id, actor=ACTOR)
        for after in (merged, split, moved):
            shown += assert_readable_themes(
                (t.label for t in after.themes), (t.key_phrases for t in after.themes), question
            )
    assert shown >= 20  # the check saw real phrases


def test_every_fixture_theme_has_readable_key_phrases() -> None:
    texts = fixture_comments()
    shown = 0
    for n_themes in (None, 5, 8):
        model = ThemeModel(n_themes=n_themes, engine="lexical").fit(texts)
        shown += assert_readable_themes(
            (t.label for t in model.themes_), (t.key_phrases for t in model.themes_), "fixture"
        )
    review = build_review("q", list(enumerate(texts)), engine="lexical", k_text=2)
    shown += assert_readable_themes(
        (t.label for t in review.themes), (t.key_phrases for t in review.themes), "review"
    )
    assert shown >= 10


@pytest.mark.skipif(
    not semantic.available(),
    reason="the 'semantic' extra (torch, sentence-transformers) is absent",
)
def test_the_demo_engine_gives_readable_key_phrases_too(demo: dict[str, list[str]]) -> None:
    """The demo runs the semantic engine when it is installed: its themes read as well."""
    for question, texts in demo.items():
        review = build_review(question, list(enumerate(texts)), engine="auto")
        assert review.engine == "semantic"
        assert assert_readable_themes(
            (t.label for t in review.themes), (t.key_phrases for t in review.themes), question
        )


# --- found again after every merge, split or move ----------------------------------------------


def review_of(groups: dict[int, list[str]], confirmed: Iterable[int] = ()) -> QuestionReview:
    comments: list[Comment] = []
    for theme, texts in groups.items():
        for text in texts:
            comments.append(Comment(len(comments), text, text, (), "mixed", (), theme))
    themes = tuple(
        ThemeState(t, f"Automatic {t}", ("old phrase",), True, (), t in set(confirmed))
        for t in groups
    )
    return QuestionReview("q", "ready", "lexical", tuple(comments), themes)


SCRUTINY = ["Stop the extra scrutiny of my work, honestly."] * 12
NETWORK = ["The staff network is a lifeline. Thank you."] * 12
ALLOCATION = ["A fair allocation of cases would help."] * 12


def test_a_merge_finds_the_phrases_again_and_proposes_a_new_name() -> None:
    review = review_of({0: SCRUTINY, 1: NETWORK, 2: ALLOCATION})
    merged = reviewing.merge(review, 1, 0, actor=ACTOR)
    theme = merged.theme(0)
    assert "old phrase" not in theme.key_phrases
    assert {"stop the extra scrutiny", "staff network"} <= set(theme.key_phrases)
    assert theme.label == sentence_case(theme.key_phrases[0])
    assert not theme.confirmed
    untouched = merged.theme(2)
    assert untouched.key_phrases == ("old phrase",)  # only what the action changed


def test_names_an_analyst_gave_are_kept() -> None:
    review = review_of({0: SCRUTINY, 1: NETWORK, 2: ALLOCATION}, confirmed=[0])
    review = reviewing.rename(review, 1, "Staff network", actor=ACTOR)
    merged = reviewing.merge(review, 2, 0, actor=ACTOR)
    assert merged.theme(0).label == "Automatic 0" and merged.theme(0).confirmed
    assert "fair allocation of cases" in merged.theme(0).key_phrases
    # An analyst's name merged into an automatic theme is carried over, not lost.
    review = review_of({0: SCRUTINY, 1: NETWORK, 2: ALLOCATION})
    review = reviewing.rename(review, 1, "Our network", actor=ACTOR)
    merged = reviewing.merge(review, 1, 2, actor=ACTOR)
    assert merged.theme(2).label == "Our network" and merged.theme(2).confirmed


def test_a_move_finds_the_phrases_of_both_themes_again() -> None:
    extra = ["Rotas change at short notice.", "Short notice again.", "At short notice, always."]
    review = review_of({0: SCRUTINY + extra, 1: NETWORK, 2: ["Rotas are posted late."] * 12})
    before = reviewing.rephrase(review, (0, 1, 2), k_text=3)
    assert "short notice" in before.theme(0).key_phrases
    once = reviewing.move(before, 12, 2, actor=ACTOR, k_text=3)
    assert "short notice" in once.theme(0).key_phrases  # two comments still share it
    twice = reviewing.move(once, 13, 2, actor=ACTOR, k_text=3)
    assert "short notice" not in twice.theme(0).key_phrases  # one left: not shared
    assert "short notice" in twice.theme(2).key_phrases  # the theme it joined
    assert twice.theme(1).key_phrases == before.theme(1).key_phrases
    assert twice.theme(2).label == sentence_case(twice.theme(2).key_phrases[0])


def test_a_split_names_both_parts_from_their_own_comments() -> None:
    review = review_of({0: SCRUTINY + ALLOCATION, 1: NETWORK})
    redactor = Redactor(corpus=[c.text for c in review.comments])
    split = reviewing.split(review, 0, redactor, actor=ACTOR)
    (new,) = [t for t in split.themes if t.id not in (0, 1)]
    for theme in (split.theme(0), new):
        assert theme.key_phrases and "old phrase" not in theme.key_phrases
        assert theme.label == sentence_case(theme.key_phrases[0])
    assert {split.theme(0).key_phrases[0], new.key_phrases[0]} == {
        "stop the extra scrutiny",
        "fair allocation of cases",
    }


def test_recomputed_phrases_never_point_at_anyone() -> None:
    """A name many people wrote, which redaction flagged, and a configured name, stay out of
    the phrases found again after a merge or a move (as after a split)."""
    named = []
    for i in range(12):
        text = "Sarah Jones runs the facilitation sessions badly."
        named.append(
            Comment(
                i,
                text,
                text.replace("Sarah Jones", "[name]"),
                (Flag("name", "Sarah Jones", 0, 11),),
                "mixed",
                (),
                0,
            )
        )
    tunde = [f"Tunde leads the staff network well {'!' * i}" for i in range(12)]
    others = [Comment(12 + i, t, t, (), "mixed", (), 1) for i, t in enumerate(tunde)]
    rest = [Comment(24 + i, t, t, (), "mixed", (), 2) for i, t in enumerate(ALLOCATION)]
    review = QuestionReview(
        "q",
        "ready",
        "lexical",
        (*named, *others, *rest),
        tuple(ThemeState(t, f"Automatic {t}", (), True) for t in (0, 1, 2)),
    )
    unsafe = reviewing.rephrase(review, (0, 1))
    assert any("tunde" in p.casefold() for p in unsafe.theme(1).key_phrases)  # can fail
    merged = reviewing.merge(review, 1, 0, actor=ACTOR, names=["Tunde Bello"])
    moved = reviewing.move(review, 24, 0, actor=ACTOR, names=["Tunde Bello"])
    for after in (merged, moved):
        for theme in after.themes:
            words = {w for x in (theme.label, *theme.key_phrases) for w in tokens(x)}
            assert not {"sarah", "jones", "tunde", "bello"} & words, theme
    assert any("facilitation sessions" in p for p in merged.theme(0).key_phrases)
    # With a redactor, whatever it flags in a phrase on its own is left out too.
    redactor = Redactor(names=["Tunde"], corpus=[c.text for c in review.comments])
    checked = reviewing.merge(review, 1, 0, actor=ACTOR, redactor=redactor)
    assert not any("tunde" in p.casefold() for p in checked.theme(0).key_phrases)
