"""Deductive coding: which codes of a questionnaire's codebook each comment speaks to.

A codebook is a short list of :class:`Code` objects — for instance the five themes of a
survey of Black male social workers, or the commitments of an anti-racist pledge — each with
a label, a description, a few seed phrases and, optionally, example comments that the team
wrote as belonging to it. :func:`assign_codes` gives every comment the ids of the codes it
matches (several are allowed, in codebook order); an empty tuple means "other".

A comment matches a code when any one of these holds:

1. **Seed phrase.** A seed phrase occurs in the comment as a sequence of word stems (Snowball
   English stemmer), with at most :data:`MAX_GAP` other words between consecutive seed
   words. "Mentor" matches "mentoring", and "not listened to" matches "not really listened
   to".
2. **TF-IDF.** The cosine similarity between the comment's stems and the code's profile (its
   label, description, seeds and examples) reaches the lexical threshold. Terms are weighted
   by sublinear term frequency times an inverse document frequency learnt from the codebook
   alone, so a word that several codes share counts for less, and a comment's codes never
   depend on which other comments are coded with it. Common English words are left out.
3. **Meaning** (only when ``embeddings`` from :func:`analysis.themes.semantic.embed` are
   given). The comment's embedding is compared with each code's: without examples, the
   closest of the code's embedded profile and seeds (cosine, :data:`SEMANTIC_THRESHOLD`);
   with examples, the mean of the code's embedded profile and examples, after the codebook's
   own mean vector is taken away from both sides. Every code of one codebook is about the
   same field (racism at work, say), and raw cosines mostly measure that shared field:
   taking the codebook's mean away leaves what tells one code from another. On the two
   shipped codebooks this lifted the leave-one-out F1 of meaning alone (at its best
   threshold) from 0.41 to 0.50 for the Pledge commitments and from 0.47 to 0.53 for the
   five themes, against the closest of profile, seeds and examples. Seeds stay out of the
   mean: single words embed poorly, and rule 1 already finds them.

**Thresholds.** Without examples the thresholds are fixed (:data:`LEXICAL_THRESHOLD`,
:data:`SEMANTIC_THRESHOLD`). With examples they are chosen on them (:func:`thresholds`): each
example is held out in turn, its code's profile is rebuilt without it, and the example is
coded against the codebook; the threshold kept is the one, on a 0.01 grid inside
:data:`LEXICAL_RANGE` or :data:`SEMANTIC_RANGE`, whose codes best agree with the examples'
own codes (F1 over every example and code, so a wrong extra code costs as much as a missed
one; the middle of the best thresholds when several tie). The lexical threshold is chosen
first, then the semantic one with seeds and TF-IDF already in place, so it is set for what
meaning adds. A threshold depends on the codebook only, never on the comments being coded.

Everything here is deterministic, needs no downloaded NLTK data, and never raises on odd
comments or an empty codebook.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from nltk.stem.snowball import SnowballStemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from analysis.themes import semantic  # light to import; torch loads only inside embed()

MAX_GAP = 2  # other words allowed between two consecutive words of a seed phrase
LEXICAL_THRESHOLD = 0.2  # TF-IDF cosine between a comment and a code's profile
SEMANTIC_THRESHOLD = 0.45  # embedding cosine between a comment and a code's profile or seed
# Where a threshold chosen on examples may fall. A few examples can make the best F1 sit at
# an extreme (nothing but seeds, or nearly every code for every comment); these keep the
# choice among values that code real comments sensibly. The semantic range is for the
# centred score used with examples, which runs lower than a raw cosine.
LEXICAL_RANGE = (0.1, 0.4)
SEMANTIC_RANGE = (0.2, 0.8)
MAX_CHARS = 20_000  # longer comments are read up to here

_GRID_STEP = 0.01
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_stemmer = SnowballStemmer("english")

FloatMatrix = npt.NDArray[np.float64]
BoolMatrix = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Code:
    """One code of a codebook: what it is called, what it means, phrases that signal it, and
    example comments that belong to it (which set the coding threshold)."""

    id: str
    label: str
    description: str = ""
    seeds: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()

    @property
    def profile(self) -> str:
        """The code's label and description as one piece of text."""
        return f"{self.label}. {self.description}".strip(" .")


@dataclass(frozen=True)
class Thresholds:
    """The cut-offs a codebook's comments are coded with, and how they were found.

    ``semantic`` applies to the score :func:`assign_codes` uses with embeddings (a centred
    score when the codebook has examples). ``lexical_f1`` and ``semantic_f1`` are the
    leave-one-out F1 on the examples at the chosen thresholds (``None`` when fixed)."""

    lexical: float
    semantic: float
    examples: int = 0
    lexical_f1: float | None = None
    semantic_f1: float | None = None

    @property
    def calibrated(self) -> bool:
        """Whether the thresholds were chosen on the codebook's examples."""
        return self.examples > 0


@lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    return str(_stemmer.stem(word))


def stems(text: str) -> tuple[str, ...]:
    """The Snowball stems of a text's words, lower-cased, in order."""
    if not isinstance(text, str):
        return ()
    folded = unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower().replace("’", "'")
    return tuple(_stem(word) for word in _WORD.findall(folded))


_STOP_STEMS = frozenset(_stem(word) for word in ENGLISH_STOP_WORDS)


def _contains(tokens: Sequence[str], phrase: Sequence[str]) -> bool:
    """Whether ``phrase`` occurs in ``tokens`` in order, with small gaps between its words."""
    if not phrase or len(phrase) > len(tokens):
        return False

    def rest_from(token_index: int, phrase_index: int) -> bool:
        if phrase_index == len(phrase):
            return True
        stop = min(len(tokens), token_index + MAX_GAP + 1)
        return any(
            tokens[next_index] == phrase[phrase_index]
            and rest_from(next_index + 1, phrase_index + 1)
            for next_index in range(token_index, stop)
        )

    return any(token == phrase[0] and rest_from(index + 1, 1) for index, token in enumerate(tokens))


def _content(tokens: Sequence[str]) -> list[str]:
    return [token for token in tokens if token not in _STOP_STEMS and not token.isdigit()]


def _weights(terms: Sequence[str], idf: dict[str, float], unseen: float) -> dict[str, float]:
    """Sublinear TF times IDF, scaled to unit length (empty for no terms)."""
    raw = {
        term: (1.0 + math.log(count)) * idf.get(term, unseen)
        for term, count in Counter(terms).items()
    }
    norm = math.sqrt(sum(value * value for value in raw.values()))
    return {term: value / norm for term, value in raw.items()} if norm else {}


# An example left out of its code's profile, as (code index, example index).
_LeftOut = tuple[int, int] | None


def _seed_hits(texts_tokens: Sequence[Sequence[str]], codes: Sequence[Code]) -> BoolMatrix:
    """Which comments contain one of each code's seed phrases."""
    seed_stems = [[stems(seed) for seed in code.seeds] for code in codes]
    return np.array(
        [
            [any(_contains(tokens, seed) for seed in seeds) for seeds in seed_stems]
            for tokens in texts_tokens
        ],
        dtype=bool,
    ).reshape(len(texts_tokens), len(codes))


def _lexical_similarity(
    texts_tokens: Sequence[Sequence[str]], codes: Sequence[Code], leave_out: _LeftOut = None
) -> FloatMatrix:
    """TF-IDF cosine of each comment with each code's profile (label, description, seeds and
    examples, less ``leave_out``), IDF taken from the codebook."""
    profiles = [
        _content(
            [
                token
                for part in (
                    code.profile,
                    *code.seeds,
                    *(e for i, e in enumerate(code.examples) if leave_out != (column, i)),
                )
                for token in stems(part)
            ]
        )
        for column, code in enumerate(codes)
    ]
    frequency = Counter(term for profile in profiles for term in set(profile))
    count = len(codes)
    idf = {term: math.log((1 + count) / (1 + df)) + 1.0 for term, df in frequency.items()}
    unseen = math.log(1 + count) + 1.0
    profile_weights = [_weights(profile, idf, unseen) for profile in profiles]
    similarity = np.zeros((len(texts_tokens), count))
    for row, tokens in enumerate(texts_tokens):
        weights = _weights(_content(tokens), idf, unseen)
        for column, profile in enumerate(profile_weights):
            similarity[row, column] = sum(
                value * profile[term] for term, value in weights.items() if term in profile
            )
    return similarity


@lru_cache(maxsize=16)
def _embedded(pieces: tuple[str, ...]) -> FloatMatrix:
    """The codebook's own texts embedded once per process (they are questionnaire text, not
    comments, so keeping them in memory is harmless)."""
    vectors = np.asarray(semantic.embed(list(pieces)), dtype=np.float64)
    vectors.setflags(write=False)
    return vectors


def _pieces(codes: Sequence[Code], *, with_seeds: bool) -> tuple[list[str], list[int], list[int]]:
    """Each code's texts to embed, with the code's column and the example's index (-1 for
    the profile or a seed)."""
    pieces: list[str] = []
    owners: list[int] = []
    examples: list[int] = []
    for column, code in enumerate(codes):
        for piece in (code.profile, *(code.seeds if with_seeds else ())):
            if piece.strip():
                pieces.append(piece)
                owners.append(column)
                examples.append(-1)
        for index, example in enumerate(code.examples):
            pieces.append(example)
            owners.append(column)
            examples.append(index)
    return pieces, owners, examples


def _semantic_similarity(
    embeddings: npt.NDArray[np.floating], codes: Sequence[Code]
) -> FloatMatrix:
    """Best embedding cosine of each comment with each code's profile or any of its seeds
    (the score for a codebook without examples)."""
    pieces, owners, _ = _pieces(codes, with_seeds=True)
    similarity = np.zeros((embeddings.shape[0], len(codes)))
    if not pieces:
        return similarity
    cosines = np.asarray(embeddings, dtype=np.float64) @ _embedded(tuple(pieces)).T
    for column in range(len(codes)):
        mine = [index for index, owner in enumerate(owners) if owner == column]
        if mine:
            similarity[:, column] = cosines[:, mine].max(axis=1)
    return similarity


def _unit(vectors: FloatMatrix) -> FloatMatrix:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float64)


def _centred_similarity(
    embeddings: npt.NDArray[np.floating], codes: Sequence[Code], leave_out: _LeftOut = None
) -> FloatMatrix:
    """Cosine of each comment with each code's mean embedded profile and examples, once the
    codebook's mean vector is taken from both (the score for a codebook with examples)."""
    pieces, owners, examples = _pieces(codes, with_seeds=False)
    kept = [
        index
        for index, (owner, example) in enumerate(zip(owners, examples, strict=True))
        if leave_out != (owner, example)
    ]
    similarity = np.zeros((embeddings.shape[0], len(codes)))
    if not kept:
        return similarity
    vectors = _embedded(tuple(pieces))[kept]
    kept_owners = np.array([owners[index] for index in kept])
    centre = vectors.mean(axis=0)
    centroids = np.zeros((len(codes), vectors.shape[1]))
    for column in range(len(codes)):
        mine = _unit(vectors[kept_owners == column] - centre)
        if len(mine):
            centroids[column] = mine.mean(axis=0)
    comments = np.asarray(embeddings, dtype=np.float64)
    blank = ~comments.any(axis=1)  # an empty comment has no meaning to compare
    similarity = _unit(comments - centre) @ _unit(centroids).T
    similarity[blank] = 0.0
    return similarity


def _f1(predicted: BoolMatrix, truth: BoolMatrix) -> float:
    hits = int((predicted & truth).sum())
    wrong = int((predicted & ~truth).sum()) + int((~predicted & truth).sum())
    return 2 * hits / (2 * hits + wrong) if hits else 0.0


def _best(
    scores: FloatMatrix, already: BoolMatrix, truth: BoolMatrix, bounds: tuple[float, float]
) -> tuple[float, float]:
    """The threshold in ``bounds`` whose codes (with ``already`` matched) best fit ``truth``,
    and its F1; the middle one when several tie."""
    low, high = bounds
    grid = np.round(np.arange(low, high + _GRID_STEP / 2, _GRID_STEP), 2)
    results = [_f1(already | (scores >= cut), truth) for cut in grid]
    top = max(results)
    tied = [float(cut) for cut, f1 in zip(grid, results, strict=True) if f1 >= top - 1e-12]
    return round(float(np.median(tied)), 3), top


@lru_cache(maxsize=32)
def _calibrate(codes: tuple[Code, ...], with_meaning: bool) -> Thresholds:
    """Leave-one-out over the examples: each is scored against the codebook with its own
    code's profile (and, for meaning, centroid and centre) rebuilt without it, so no
    example vouches for itself and the F1 is an honest guess at unseen comments."""
    held_out = [
        (column, index, example)
        for column, code in enumerate(codes)
        for index, example in enumerate(code.examples)
    ]
    if not held_out:
        return Thresholds(LEXICAL_THRESHOLD, SEMANTIC_THRESHOLD)
    truth = np.array(
        [[code.id == codes[column].id for code in codes] for column, _, _ in held_out],
        dtype=bool,
    )
    tokens = [stems(example) for _, _, example in held_out]
    seeds = _seed_hits(tokens, codes)
    lexical = np.vstack(
        [
            _lexical_similarity([tokens[row]], codes, (column, index))
            for row, (column, index, _) in enumerate(held_out)
        ]
    )
    lexical_cut, lexical_f1 = _best(lexical, seeds, truth, LEXICAL_RANGE)
    if not with_meaning:
        return Thresholds(lexical_cut, SEMANTIC_THRESHOLD, len(held_out), lexical_f1)
    embedded = semantic.embed([example for _, _, example in held_out])
    meaning = np.vstack(
        [
            _centred_similarity(embedded[row : row + 1], codes, (column, index))
            for row, (column, index, _) in enumerate(held_out)
        ]
    )
    semantic_cut, semantic_f1 = _best(
        meaning, seeds | (lexical >= lexical_cut), truth, SEMANTIC_RANGE
    )
    return Thresholds(lexical_cut, semantic_cut, len(held_out), lexical_f1, semantic_f1)


def thresholds(codes: Sequence[Code], *, meaning: bool = False) -> Thresholds:
    """The thresholds :func:`assign_codes` codes comments against ``codes`` with.

    Chosen on the codebook's examples when it has any (see the module's documentation), the
    fixed defaults otherwise. ``meaning``: also choose the threshold for embeddings, which
    embeds the examples (so it needs the semantic extra, and raises
    :class:`~analysis.themes.semantic.SemanticUnavailableError` without it). Worked out once
    per codebook and process.
    """
    frozen = tuple(
        Code(code.id, code.label, code.description, tuple(code.seeds), tuple(code.examples))
        for code in codes
    )  # hashable, for the cache, whatever sequences the caller built its codes with
    return _calibrate(frozen, meaning)


def assign_codes(
    texts: Sequence[str],
    codes: Sequence[Code],
    *,
    embeddings: npt.NDArray[np.floating] | None = None,
    threshold: float | None = None,
) -> list[tuple[str, ...]]:
    """The ids of the codes each comment matches, in codebook order; ``()`` means "other".

    ``embeddings`` are the comments' rows from :func:`analysis.themes.semantic.embed`, in
    the same order as ``texts``; with them, similarity of meaning counts too. The thresholds
    come from :func:`thresholds` (chosen on the codebook's examples, or fixed without
    them); ``threshold`` replaces the one that decides beyond seed phrases and TF-IDF — the
    semantic one when embeddings are given, else the lexical one. A code id that appears
    twice in the codebook is reported once. Embeddings of the wrong shape raise
    ``ValueError``; embeddings without the semantic extra installed raise
    :class:`~analysis.themes.semantic.SemanticUnavailableError` (the codes must be embedded
    too).
    """
    if embeddings is not None and (
        embeddings.ndim != 2
        or embeddings.shape[0] != len(texts)
        or embeddings.shape[1] != semantic.DIMENSION
    ):
        raise ValueError("embeddings must have one row per text, as semantic.embed makes them")
    if not texts:
        return []
    if not codes:
        return [() for _ in texts]
    cuts = thresholds(codes, meaning=embeddings is not None)
    texts_tokens = [stems(text) for text in texts]
    lexical_cut = cuts.lexical if threshold is None or embeddings is not None else threshold
    matched = _seed_hits(texts_tokens, codes)
    matched |= _lexical_similarity(texts_tokens, codes) >= lexical_cut
    if embeddings is not None:
        semantic_cut = cuts.semantic if threshold is None else threshold
        score = _centred_similarity if cuts.calibrated else _semantic_similarity
        matched |= score(embeddings, codes) >= semantic_cut
    result: list[tuple[str, ...]] = []
    for row in range(len(texts)):
        ids: dict[str, None] = {}
        for column, code in enumerate(codes):
            if matched[row, column]:
                ids.setdefault(code.id, None)
        result.append(tuple(ids))
    return result
