"""Key phrases: the readable words and word sequences that set one theme apart from the rest.

Candidates are single words (stop words left out) and collocations found by NLTK's
:class:`~nltk.collocations.BigramCollocationFinder` and
:class:`~nltk.collocations.TrigramCollocationFinder` in the theme's own comments, kept when
their likelihood-ratio score says the words go together more than chance. A phrase may
start with a negation ("not listened to") but not with another stop word, and it may end
with a short preposition only when it has three words.

Every candidate is compared through its stems, so "listened"/"listening" count together,
and shown in the surface form most often written. It is scored by how common it is in the
theme and how much more common than in all comments: ``p · log(p / q)``, where ``p`` and
``q`` are the shares of the theme's and of all comments that contain it (a term of the
Kullback–Leibler divergence). The best candidates are taken in order; a candidate inside an
already chosen phrase is skipped, and a phrase replaces a chosen single word it contains
when it is nearly as strong.

Two filters keep key phrases from pointing at anyone (issue 9): a candidate is dropped when
any of its words is in ``exclude`` (compared by stem: words that redaction replaced or flagged
as a name, place or team), or when any of its words other than stop words is used in fewer
than ``min_texts`` comments of the whole question (``k_text`` respondents). The filters run
before the best candidates are chosen, so a theme keeps as many phrases as it can.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from nltk.collocations import (
    BigramAssocMeasures,
    BigramCollocationFinder,
    TrigramAssocMeasures,
    TrigramCollocationFinder,
)
from nltk.probability import FreqDist

from analysis.themes.text import NEGATIONS, is_stop, most_frequent, stem, tokens

Gram = tuple[str, ...]  # a sequence of stems

# Prepositions that may end a three-word phrase ("not listened to", "nobody to talk to").
TRAILING = frozenset({"to", "for", "with", "by", "of", "about", "on", "in", "at"})
# A phrase replaces a chosen word it contains when its score is at least this share of it.
REPLACE_SHARE = 0.5
MAX_COLLOCATIONS = 40  # per length, per theme, by likelihood ratio


@dataclass(frozen=True)
class Candidate:
    """One key phrase candidate of a theme."""

    gram: Gram
    text: str
    score: float


def _grams(stems: Sequence[str], size: int) -> set[Gram]:
    return {tuple(stems[i : i + size]) for i in range(len(stems) - size + 1)}


class Corpus:
    """Every usable comment as tokens and stems, with document frequencies of stem sequences."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.documents = [list(words) for words in documents]
        self.stems = [[stem(word) for word in words] for words in self.documents]
        self.size = max(1, len(documents))
        self.counts: Counter[Gram] = Counter()
        for stems in self.stems:
            self.counts.update(_grams(stems, 1) | _grams(stems, 2) | _grams(stems, 3))

    def share(self, gram: Gram) -> float:
        return self.counts.get(gram, 0) / self.size


def _bad_start(word: str) -> bool:
    return is_stop(word) and word not in NEGATIONS


def _bad_bigram(first: str, second: str) -> bool:
    return _bad_start(first) or is_stop(second) or first == second


def _bad_trigram(first: str, second: str, third: str) -> bool:
    if _bad_start(first):
        return True
    if is_stop(third) and third not in TRAILING:
        return True
    content = [w for w in (first, second, third) if not is_stop(w)]
    return not content or len({first, second, third}) < 3


def _finders(
    documents: Sequence[Sequence[str]],
) -> tuple[BigramCollocationFinder, TrigramCollocationFinder]:
    """NLTK's finders for contiguous pairs and triples within (never across) comments.

    The frequency tables are what ``from_documents`` would build, counted with
    :class:`collections.Counter` because NLTK's own loop is slow on thousands of comments.
    """
    words: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    gapped: Counter[tuple[str, str]] = Counter()
    triples: Counter[tuple[str, str, str]] = Counter()
    for doc in documents:
        words.update(doc)
        pairs.update(itertools.pairwise(doc))
        gapped.update(zip(doc, doc[2:], strict=False))
        triples.update(zip(doc, doc[1:], doc[2:], strict=False))
    bigrams = BigramCollocationFinder(FreqDist(words), FreqDist(pairs))
    trigrams = TrigramCollocationFinder(
        FreqDist(words), FreqDist(pairs), FreqDist(gapped), FreqDist(triples)
    )
    return bigrams, trigrams


def _collocations(documents: Sequence[Sequence[str]], support: int) -> dict[Gram, Counter[str]]:
    """Stem sequences of the theme's collocations, with the surface forms seen for each."""
    bigrams, trigrams = _finders(documents)
    bigrams.apply_freq_filter(support)
    bigrams.apply_ngram_filter(_bad_bigram)
    trigrams.apply_freq_filter(support)
    trigrams.apply_ngram_filter(_bad_trigram)
    forms: dict[Gram, Counter[str]] = {}
    for finder, measure in (
        (bigrams, BigramAssocMeasures.likelihood_ratio),
        (trigrams, TrigramAssocMeasures.likelihood_ratio),
    ):
        ranked = sorted(finder.score_ngrams(measure), key=lambda item: (-item[1], item[0]))
        for ngram, _score in ranked[:MAX_COLLOCATIONS]:
            gram = tuple(stem(word) for word in ngram)
            forms.setdefault(gram, Counter())[" ".join(ngram)] += finder.ngram_fd[ngram]
    return forms


def excluded_stems(words: Collection[str]) -> frozenset[str]:
    """Stems of ``words`` (any case, each perhaps several tokens) for ``candidates``' exclude."""
    return frozenset(stem(token) for word in words for token in tokens(word))


def _allowed(
    gram: Gram, text: str, corpus: Corpus, exclude: frozenset[str], min_texts: int
) -> bool:
    """Whether no word of the candidate is excluded or used in fewer than ``min_texts``
    comments (stop words are used by too many people to point at anyone)."""
    words = text.split()
    if len(words) != len(gram):  # never expected: a phrase's text is its words
        return False
    for word, key in zip(words, gram, strict=True):
        if key in exclude:
            return False
        if min_texts > 1 and not is_stop(word) and corpus.counts.get((key,), 0) < min_texts:
            return False
    return True


def candidates(
    members: Sequence[int],
    corpus: Corpus,
    *,
    exclude: frozenset[str] = frozenset(),
    min_texts: int = 1,
) -> list[Candidate]:
    """Scored candidates for the theme of comments ``members`` (rows of ``corpus``), best first.

    ``exclude``: stems no candidate may contain. ``min_texts``: the fewest comments of the
    corpus each word of a candidate (stop words aside) must be used in."""
    size = len(members)
    if size == 0:
        return []
    support = 2 if size >= 4 else 1
    documents = [corpus.documents[row] for row in members]
    theme_counts: Counter[Gram] = Counter()
    word_forms: dict[str, Counter[str]] = {}
    for row in members:
        seen: set[Gram] = set()
        for word, key in zip(corpus.documents[row], corpus.stems[row], strict=True):
            if not is_stop(word):
                word_forms.setdefault(key, Counter())[word] += 1
                seen.add((key,))
        theme_counts.update(seen)
    phrase_forms = _collocations(documents, support)
    if phrase_forms:
        for row in members:
            stems = corpus.stems[row]
            theme_counts.update((_grams(stems, 2) | _grams(stems, 3)) & phrase_forms.keys())

    forms_of: dict[Gram, Counter[str]] = {(key,): forms for key, forms in word_forms.items()}
    forms_of.update(phrase_forms)
    found: list[Candidate] = []
    for gram, forms in forms_of.items():
        count = theme_counts.get(gram, 0)
        if count < support:
            continue
        inside = count / size
        overall = max(corpus.share(gram), count / corpus.size, 1e-12)
        score = inside * math.log(inside / overall) if inside > overall else 0.0
        text = most_frequent(dict(forms))
        if _allowed(gram, text, corpus, exclude, min_texts):
            found.append(Candidate(gram, text, score))
    found.sort(key=lambda c: (-c.score, len(c.gram), c.text))
    return found


def choose(found: Sequence[Candidate], limit: int) -> list[Candidate]:
    """Up to ``limit`` candidates, skipping those that repeat a chosen phrase."""
    chosen: list[Candidate] = []
    for candidate in found:
        if len(chosen) >= limit:
            break
        if candidate.score <= 0 and chosen:
            break
        stems = set(candidate.gram)
        if any(stems <= set(c.gram) for c in chosen):
            continue
        inside = [i for i, c in enumerate(chosen) if set(c.gram) < stems]
        if inside:
            if all(candidate.score >= REPLACE_SHARE * chosen[i].score for i in inside):
                chosen[inside[0]] = candidate
                for i in reversed(inside[1:]):
                    del chosen[i]
            continue
        chosen.append(candidate)
    return chosen


def key_phrases(
    members: Sequence[int],
    corpus: Corpus,
    limit: int,
    *,
    exclude: frozenset[str] = frozenset(),
    min_texts: int = 1,
) -> tuple[str, ...]:
    """The readable key phrases of the theme of comments ``members``, best first (maybe none).

    ``exclude`` and ``min_texts`` as for :func:`candidates`."""
    if limit <= 0:
        return ()
    found = candidates(members, corpus, exclude=exclude, min_texts=min_texts)
    return tuple(c.text for c in choose(found, limit))
