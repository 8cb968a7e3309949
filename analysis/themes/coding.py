"""Deductive coding: which codes of a questionnaire's codebook each comment speaks to.

A codebook is a short list of :class:`Code` objects — for instance the five themes of a
survey of Black male social workers, or the commitments of an anti-racist pledge — each with
a label, a description and a few seed phrases. :func:`assign_codes` gives every comment the
ids of the codes it matches (several are allowed, in codebook order); an empty tuple means
"other".

A comment matches a code when any one of these holds:

1. **Seed phrase.** A seed phrase occurs in the comment as a sequence of word stems (Snowball
   English stemmer), with at most :data:`MAX_GAP` other words between consecutive seed
   words. "Mentor" matches "mentoring", and "not listened to" matches "not really listened
   to".
2. **TF-IDF.** The cosine similarity between the comment's stems and the code's profile (its
   label, description and seeds) reaches :data:`LEXICAL_THRESHOLD`. Terms are weighted by
   sublinear term frequency times an inverse document frequency learnt from the codebook
   alone, so a word that several codes share counts for less, and a comment's codes never
   depend on which other comments are coded with it. Common English words are left out.
3. **Meaning** (only when ``embeddings`` from :func:`analysis.themes.semantic.embed` are
   given). The cosine similarity between the comment's embedding and the closest of the
   code's embedded profile and seeds reaches :data:`SEMANTIC_THRESHOLD`.

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
MAX_CHARS = 20_000  # longer comments are read up to here

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_stemmer = SnowballStemmer("english")


@dataclass(frozen=True)
class Code:
    """One code of a codebook: what it is called, what it means, and phrases that signal it."""

    id: str
    label: str
    description: str = ""
    seeds: tuple[str, ...] = ()

    @property
    def profile(self) -> str:
        """The code's label and description as one piece of text."""
        return f"{self.label}. {self.description}".strip(" .")


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


def _lexical_similarity(
    texts_tokens: Sequence[Sequence[str]], codes: Sequence[Code]
) -> npt.NDArray[np.float64]:
    """TF-IDF cosine of each comment with each code's profile, IDF taken from the codebook."""
    profiles = [
        _content([token for part in (code.profile, *code.seeds) for token in stems(part)])
        for code in codes
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


def _semantic_similarity(
    embeddings: npt.NDArray[np.floating], codes: Sequence[Code]
) -> npt.NDArray[np.float64]:
    """Best embedding cosine of each comment with each code's profile or any of its seeds."""
    pieces: list[str] = []
    owners: list[int] = []
    for column, code in enumerate(codes):
        for piece in (code.profile, *code.seeds):
            if piece.strip():
                pieces.append(piece)
                owners.append(column)
    similarity = np.zeros((embeddings.shape[0], len(codes)))
    if not pieces:
        return similarity
    cosines = np.asarray(embeddings, dtype=np.float64) @ semantic.embed(pieces).T.astype(np.float64)
    for column in range(len(codes)):
        mine = [index for index, owner in enumerate(owners) if owner == column]
        if mine:
            similarity[:, column] = cosines[:, mine].max(axis=1)
    return similarity


def assign_codes(
    texts: Sequence[str],
    codes: Sequence[Code],
    *,
    embeddings: npt.NDArray[np.floating] | None = None,
    threshold: float | None = None,
) -> list[tuple[str, ...]]:
    """The ids of the codes each comment matches, in codebook order; ``()`` means "other".

    ``embeddings`` are the comments' rows from :func:`analysis.themes.semantic.embed`, in
    the same order as ``texts``; with them, similarity of meaning counts too. ``threshold``
    replaces the default cut-off of the similarity that decides beyond seed phrases:
    :data:`SEMANTIC_THRESHOLD` when embeddings are given, else :data:`LEXICAL_THRESHOLD`.
    A code id that appears twice in the codebook is reported once. Embeddings of the wrong
    shape raise ``ValueError``; embeddings without the semantic extra installed raise
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
    texts_tokens = [stems(text) for text in texts]
    seed_stems = [[stems(seed) for seed in code.seeds] for code in codes]
    lexical_cut = LEXICAL_THRESHOLD if threshold is None or embeddings is not None else threshold
    matched = _lexical_similarity(texts_tokens, codes) >= lexical_cut
    if embeddings is not None:
        semantic_cut = SEMANTIC_THRESHOLD if threshold is None else threshold
        matched |= _semantic_similarity(embeddings, codes) >= semantic_cut
    result: list[tuple[str, ...]] = []
    for row, tokens in enumerate(texts_tokens):
        ids: dict[str, None] = {}
        for column, code in enumerate(codes):
            if matched[row, column] or any(_contains(tokens, seed) for seed in seed_stems[column]):
                ids.setdefault(code.id, None)
        result.append(tuple(ids))
    return result
