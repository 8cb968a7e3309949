"""ThemeModel: themes found in a small labelled corpus, determinism, and odd input."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score

from analysis.themes import Theme, ThemeEngineError, ThemeModel, choosing, model

FIXTURE = Path(__file__).parents[2] / "fixtures" / "themes" / "labelled_comments.csv"


def labelled() -> tuple[list[str], list[str]]:
    with FIXTURE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["theme"] for row in rows]


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[str]]:
    return labelled()


@pytest.fixture(scope="module")
def fitted(corpus: tuple[list[str], list[str]]) -> ThemeModel:
    return ThemeModel(n_themes=5, engine="lexical", random_state=0).fit(corpus[0])


def test_recovers_the_themes_of_the_labelled_corpus(
    corpus: tuple[list[str], list[str]], fitted: ThemeModel
) -> None:
    texts, truth = corpus
    assert fitted.engine_ == "lexical"
    assert fitted.n_themes_ == 5
    assert normalized_mutual_info_score(truth, fitted.labels_) >= 0.5
    # Each of the three most distinctive themes is the majority of its own cluster, and
    # at least four of the five themes keep half their comments together.
    together = 0
    majority_of: dict[str, int] = {}
    for theme in sorted(set(truth)):
        labels = [int(fitted.labels_[i]) for i, t in enumerate(truth) if t == theme]
        cluster, count = Counter(labels).most_common(1)[0]
        together += count * 2 >= len(labels)
        members = [truth[i] for i in range(len(texts)) if fitted.labels_[i] == cluster]
        if Counter(members).most_common(1)[0][0] == theme:
            majority_of[theme] = cluster
    assert together >= 4
    assert {"workload", "racism", "network"} <= majority_of.keys()
    assert len(set(majority_of.values())) == len(majority_of)


def test_themes_are_ordered_and_described(
    corpus: tuple[list[str], list[str]], fitted: ThemeModel
) -> None:
    texts, _ = corpus
    themes = fitted.themes_
    assert [t.id for t in themes] == list(range(len(themes)))
    assert [t.size for t in themes] == sorted((t.size for t in themes), reverse=True)
    assert sum(t.size for t in themes) == len(texts)
    for theme in themes:
        assert isinstance(theme, Theme)
        assert theme.size == int(np.sum(fitted.labels_ == theme.id))
        assert 1 <= len(theme.representatives) <= 5
        assert all(fitted.labels_[i] == theme.id for i in theme.representatives)
        assert len({texts[i] for i in theme.representatives}) == len(theme.representatives)
        assert 1 <= len(theme.key_phrases) <= 6
        assert theme.label[0].isupper()
        assert theme.label.lower() == theme.key_phrases[0].lower()


def test_key_phrases_are_words_of_the_comments_not_stems(
    corpus: tuple[list[str], list[str]], fitted: ThemeModel
) -> None:
    texts, _ = corpus
    vocabulary = {w for text in texts for w in re.findall(r"[\w']+", text.lower())}
    phrases = [p for theme in fitted.themes_ for p in theme.key_phrases]
    assert any(" " in phrase for phrase in phrases)  # collocations, not only single words
    for phrase in phrases:
        for word in phrase.split():
            assert word in vocabulary, (phrase, word)


def test_the_workload_theme_is_named_from_its_words(
    corpus: tuple[list[str], list[str]], fitted: ThemeModel
) -> None:
    _texts, truth = corpus
    workload = Counter(int(fitted.labels_[i]) for i, t in enumerate(truth) if t == "workload")
    theme = fitted.themes_[workload.most_common(1)[0][0]]
    assert {"cases", "caseload", "workload"} & {p.lower() for p in theme.key_phrases}


def test_same_random_state_gives_the_same_result(corpus: tuple[list[str], list[str]]) -> None:
    texts, _ = corpus
    first = ThemeModel(engine="lexical", random_state=3).fit(texts)
    second = ThemeModel(engine="lexical", random_state=3).fit(texts)
    assert np.array_equal(first.labels_, second.labels_)
    assert first.themes_ == second.themes_
    assert first.n_themes_ == second.n_themes_


def test_automatic_number_of_themes_is_within_the_documented_range(
    corpus: tuple[list[str], list[str]],
) -> None:
    texts, truth = corpus
    fitted = ThemeModel(engine="lexical").fit(texts)
    assert fitted.choice_ is not None
    assert fitted.choice_.candidates[0] == 2
    assert fitted.choice_.candidates[-1] == len(set(texts)) // 5
    assert fitted.n_themes_ == fitted.choice_.n_themes
    assert 3 <= fitted.n_themes_ <= 8
    assert normalized_mutual_info_score(truth, fitted.labels_) >= 0.45


def test_forced_number_of_themes(corpus: tuple[list[str], list[str]]) -> None:
    texts, _ = corpus
    assert ThemeModel(n_themes=2, engine="lexical").fit(texts).n_themes_ == 2
    assert ThemeModel(n_themes=9, engine="lexical").fit(texts).n_themes_ == 9


def test_forced_number_is_capped_at_distinct_texts() -> None:
    texts = ["pay is too low", "parking is a nightmare", "great team spirit"] * 5
    fitted = ThemeModel(n_themes=10, engine="lexical").fit(texts)
    assert fitted.n_themes_ == 3
    assert sorted(t.size for t in fitted.themes_) == [5, 5, 5]
    for theme in fitted.themes_:
        assert len(theme.representatives) == 1  # duplicates are not repeated


def test_too_few_texts() -> None:
    fitted = ThemeModel(engine="lexical").fit(["Too much work", "Not enough staff", ""])
    assert fitted.too_few_
    assert fitted.themes_ == ()
    assert fitted.n_themes_ == 0
    assert fitted.labels_.tolist() == [-1, -1, -1]


def test_too_few_counts_only_usable_texts() -> None:
    texts = ["Too much work"] * 5 + ["", "   ", "🙂🙂", "!!!", "\n\t"] * 3
    fitted = ThemeModel(engine="lexical", min_texts=10).fit(texts)
    assert fitted.too_few_
    assert (fitted.labels_ == -1).all()


def test_no_texts_at_all() -> None:
    fitted = ThemeModel(engine="lexical").fit([])
    assert fitted.too_few_
    assert fitted.labels_.shape == (0,)
    assert fitted.themes_ == ()


def test_every_text_identical_is_too_few_to_form_themes() -> None:
    # Thirty copies of one sentence are one comment's worth of evidence, not a theme found.
    texts = ["The canteen food is cold"] * 30
    for fitted in (
        ThemeModel(engine="lexical").fit(texts),
        ThemeModel(n_themes=4, engine="lexical").fit(texts),
    ):
        assert fitted.too_few_
        assert fitted.n_themes_ == 0 and fitted.themes_ == ()
        assert fitted.labels_.tolist() == [-1] * 30
    two = ThemeModel(engine="lexical").fit(texts + ["The car park is full"] * 30)
    assert not two.too_few_ and two.n_themes_ == 2


def test_awkward_texts_never_raise(corpus: tuple[list[str], list[str]]) -> None:
    texts, _ = corpus
    awkward = [
        "",
        "   ",
        "\n\t ",
        "Workload",
        "🙂😡👍",
        "!!! ??? ...",
        "Mae'r llwyth gwaith yn ormod ac nid yw'r rheolwyr yn gwrando",
        "Za dużo pracy, kierownicy nas nie słuchają",
        "仕事が多すぎる",
        "caseload " * 1000,  # 9,000 characters of one word
        ("Meetings run over and nobody listens. " * 270)[:10_000],
        "x" * 10_000,
        texts[0],
        texts[0],
        None,
    ]
    all_texts = list(texts) + awkward
    fitted = ThemeModel(engine="lexical").fit(all_texts)  # type: ignore[arg-type]
    assert fitted.labels_.shape == (len(all_texts),)
    start = len(texts)
    for offset in (0, 1, 2, 4, 5, 14):  # no words in them
        assert fitted.labels_[start + offset] == -1
    assert fitted.labels_[start + 3] >= 0  # one word is still a comment
    assert fitted.labels_[start + 12] == fitted.labels_[start + 13] == fitted.labels_[0]
    assert sum(t.size for t in fitted.themes_) == int(np.sum(fitted.labels_ >= 0))
    for theme in fitted.themes_:
        assert all(len(p) < 200 for p in theme.key_phrases)


def test_only_awkward_texts() -> None:
    texts = ["🙂", "", "…", "x" * 10_000, "仕事が多すぎる", "Gwaith", "OK", "no", "?", "1"] * 2
    fitted = ThemeModel(engine="lexical").fit(texts)
    assert fitted.labels_.shape == (20,)
    assert fitted.labels_[0] == -1
    assert fitted.labels_[1] == -1


def test_many_short_distinct_words() -> None:
    texts = [f"word{i}" for i in range(40)]
    fitted = ThemeModel(engine="lexical").fit(texts)
    assert (fitted.labels_ >= 0).all()
    assert 1 <= fitted.n_themes_ <= 8


def test_semantic_engine_unavailable_raises(
    monkeypatch: pytest.MonkeyPatch, corpus: tuple[list[str], list[str]]
) -> None:
    monkeypatch.setattr(model, "_semantic_available", lambda: False)
    with pytest.raises(ThemeEngineError, match="semantic"):
        ThemeModel(engine="semantic").fit(corpus[0])
    assert issubclass(ThemeEngineError, ValueError)
    fitted = ThemeModel(engine="auto").fit(corpus[0])
    assert fitted.engine_ == "lexical"


def test_unknown_engine_raises(corpus: tuple[list[str], list[str]]) -> None:
    with pytest.raises(ThemeEngineError):
        ThemeModel(engine="magic").fit(corpus[0])


def test_constructor_only_stores_parameters() -> None:
    theme_model = ThemeModel(n_themes=4, engine="lexical", random_state=7, max_phrases=3)
    assert theme_model.n_themes == 4
    assert theme_model.max_phrases == 3
    assert not hasattr(theme_model, "labels_")


def synthetic_corpus() -> tuple[list[str], list[str]]:
    """Four themes of 30 distinct comments: each of 5 subjects with each of 6 complaints."""
    themes = {
        "parking": (
            ["The car park", "Parking on site", "The staff car park", "Parking", "The parking"],
            [
                "is full by eight every morning",
                "costs far too much per month",
                "has no spaces left for night shifts",
                "needs more bays near the entrance",
                "is badly lit after dark",
                "is a nightmare at shift change",
            ],
        ),
        "pay": (
            ["My salary", "Our pay", "The pay rise", "Overtime pay", "Pay"],
            [
                "has not kept up with inflation",
                "is lower than other employers offer",
                "was frozen for three years",
                "does not reflect the extra duties",
                "arrives late and is often wrong",
                "is below the market rate for the role",
            ],
        ),
        "canteen": (
            [
                "The canteen food",
                "Lunch in the canteen",
                "The canteen menu",
                "Canteen meals",
                "Food",
            ],
            [
                "is cold by the time we sit down",
                "has no vegetarian choices",
                "is too expensive for what you get",
                "tastes bland and overcooked",
                "runs out before the late lunch break",
                "offers the same dishes every week",
            ],
        ),
        "computers": (
            ["My laptop", "The office computers", "The IT system", "Our computer software", "IT"],
            [
                "crashes several times a day",
                "takes ten minutes to start up",
                "is years out of date",
                "keeps losing my saved files",
                "needs constant password resets",
                "freezes during video calls",
            ],
        ),
    }
    texts: list[str] = []
    truth: list[str] = []
    for name, (subjects, complaints) in themes.items():
        for i in range(30):
            texts.append(f"{subjects[i // 6]} {complaints[i % 6]}.")
            truth.append(name)
    return texts, truth


@pytest.mark.parametrize("seed", [0, 1])
def test_automatic_number_on_a_synthetic_corpus_is_near_the_truth(seed: int) -> None:
    texts, truth = synthetic_corpus()
    fitted = ThemeModel(engine="lexical", random_state=seed).fit(texts)
    # Four themes; words alone also split them by the complaint (6 per theme, shared
    # by 5 comments each), so the lexical engine may find up to about twice as many.
    assert 3 <= fitted.n_themes_ <= 10
    assert normalized_mutual_info_score(truth, fitted.labels_) >= 0.5


def test_smallest_theme_and_tolerance_follow_the_corpus_size() -> None:
    assert choosing.min_theme_size(0) == 5
    assert choosing.min_theme_size(60) == 5
    assert choosing.min_theme_size(400) == 10
    assert choosing.min_theme_size(22_500) == 75
    # A survey's worth of comments (up to 2,000) leans harder towards fewer themes.
    assert choosing.tolerance(60) == pytest.approx(0.15)
    assert choosing.tolerance(2000) == pytest.approx(0.15)
    assert choosing.tolerance(4000) == pytest.approx(0.05)
    assert 0 < choosing.tolerance(100_000) < choosing.tolerance(4000)
    assert choosing.candidate_range(1000) == (2, 20)  # a reader takes in a dozen, not 200
    # Themes averaging fewer comments than the smallest that counts are not candidates.
    assert choosing.candidate_range(4000) == (2, 4000 // choosing.min_theme_size(4000)) == (2, 125)
    assert choosing.candidate_range(22_500) == (2, 300)
    assert choosing.candidate_range(200_000) == (2, 400)


def test_small_groups_do_not_win_the_choice() -> None:
    # Two themes of 40 comments each: every candidate that splits them into groups of
    # fewer than max(5, √80 / 2) = 5 comments scores those comments as 0.
    points = np.zeros((80, 3), dtype=np.float32)
    rng = np.random.default_rng(0)
    points[:40, 0] = 1
    points[40:, 1] = 1
    points += rng.normal(0, 0.05, points.shape).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    from analysis.themes.clustering import distinct_rows

    choice = choosing.choose(points, distinct_rows(points), seed=0)
    assert choice.n_themes == 2
    assert len(choice.candidates) == len(choice.scores)
