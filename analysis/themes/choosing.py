"""Choosing the number of themes when nobody gives one.

Candidates run from 2 to ``max(2, min(MAX_THEMES, n // max(TEXTS_PER_THEME,
min_theme_size(n))))`` for ``n`` distinct usable comments: on average at least five comments
per theme and at least the smallest theme that counts (below), and never more than 400
themes. They form a geometric grid (each about :data:`GRID_RATIO` times the one before), so
there are as many candidates between 10 and 20 as between 100 and 200.

Each candidate is clustered (the best of :data:`SMALL_STARTS` k-means starts below 1,000
comments, where one start is noisy and four are cheap; one start above; every candidate's
starts are cut from one seeding for the largest candidate; two candidates at a time, one per
core) and scored by the
mean silhouette (cosine, on a fixed random sample of at most :data:`SILHOUETTE_SAMPLE`
comments): how much closer each comment is to its own theme than to the nearest other theme.
Comments in groups smaller than :func:`min_theme_size` count as 0, as a lone comment does:
half the square root of the number of comments, and at least :data:`MIN_THEME_SIZE` (5) — 5
comments for up to 100 comments, 10 for 400, 28 for 3,000, 75 for 22,500. A theme smaller
than that is too small to report, and short comments split into ever smaller, tighter groups
whose silhouette creeps up past the real number of themes (with a fixed minimum of 5,
subsets of 8–10 CLINC150 intents were split into 19–60 themes). The size rule stops that
creep where the groups become small for the corpus. The rule is then parsimonious: take the
**smallest** candidate whose score is within :func:`tolerance` of the best score: 10 % up to
1,000 comments, then ``10 % × √(1000 / n)`` (5 % at 4,000, 2 % at 22,500). The silhouette of
a large corpus, and its k-means, vary less from one candidate to the next, so a smaller
allowance is enough; with 10 % the semantic engine took 75 themes for CLINC150's 150.
Figures: ``benchmarks/themes_choice.py`` and the themes section of ``benchmarks/README.md``.

The silhouette is worked out from group sums (:func:`cosine_silhouettes`), not from an n × n
matrix of distances: the same values as scikit-learn's ``silhouette_samples`` to 1e-6.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from analysis.themes.clustering import (
    THREADS,
    FloatArray,
    IntArray,
    best_of,
    refine_many,
    seedings,
)

MIN_THEMES = 2
MAX_THEMES = 400
TEXTS_PER_THEME = 5
GRID_RATIO = 1.25
SILHOUETTE_SAMPLE = 4000
TOLERANCE = 0.10
PRECISE_FROM = 1000  # comments; the tolerance shrinks as 1 / √n above this
SMALL_STARTS = 4  # k-means starts per candidate below PRECISE_FROM comments (1 above)
MIN_THEME_SIZE = 5
# A survey's worth of comments: a reader takes in a dozen themes, not forty, so up to this
# many comments the candidates stop at MAX_SURVEY_THEMES and the rule leans harder towards
# fewer themes (SURVEY_TOLERANCE instead of TOLERANCE).
SURVEY_SIZE = 2000
MAX_SURVEY_THEMES = 20
SURVEY_TOLERANCE = 0.15
SIZE_FACTOR = 0.5  # of the square root of the number of comments, for the smallest theme


@dataclass(frozen=True)
class Choice:
    """The chosen number of themes and the score of every candidate tried."""

    n_themes: int
    candidates: tuple[int, ...]
    scores: tuple[float, ...]


def min_theme_size(n_texts: int) -> int:
    """Groups smaller than this count as 0 in the silhouette: ``max(5, ⌈√n / 2⌉)``."""
    return max(MIN_THEME_SIZE, math.ceil(SIZE_FACTOR * math.sqrt(max(0, n_texts))))


def tolerance(n_texts: int) -> float:
    """How far below the best score a smaller candidate may be: 15 % for a survey's worth of
    comments (up to 2,000), then 10 % × √(1000 / n) (7 % at 2,000, 2 % at 22,500)."""
    if n_texts <= SURVEY_SIZE:
        return SURVEY_TOLERANCE
    return TOLERANCE * min(1.0, math.sqrt(PRECISE_FROM / max(1, n_texts)))


def candidate_range(n_distinct: int) -> tuple[int, int]:
    """The smallest and largest number of themes considered for ``n_distinct`` comments.

    The largest leaves the average theme at least :func:`min_theme_size` comments (and at
    least :data:`TEXTS_PER_THEME`): with more themes than that, most would be too small to
    count in the score, so they could not be the answer (4,000 comments: up to 125 themes, not
    400; the candidates above were the slowest of the choice)."""
    most = MAX_SURVEY_THEMES if n_distinct <= SURVEY_SIZE else MAX_THEMES
    per_theme = max(TEXTS_PER_THEME, min_theme_size(n_distinct))
    upper = max(MIN_THEMES, min(most, n_distinct // per_theme))
    return MIN_THEMES, min(upper, max(1, n_distinct))


def grid(low: int, high: int) -> tuple[int, ...]:
    """Whole numbers from ``low`` to ``high``, each about ``GRID_RATIO`` times the last."""
    values = [low]
    while values[-1] < high:
        values.append(min(high, max(values[-1] + 1, round(values[-1] * GRID_RATIO))))
    return tuple(values)


def cosine_silhouettes(points: FloatArray, labels: IntArray) -> FloatArray:
    """Each unit-length row's silhouette under cosine distance, as scikit-learn's
    ``silhouette_samples(points, labels, metric="cosine")`` gives it, in O(n·k·d).

    A cosine distance ``1 − x·y`` is linear in ``y``, so a row's mean distance to a group is
    one minus its dot product with the group's mean row: no n × n matrix is needed (for 4,000
    comments that was 11 of a 33 s fit). A row alone in its group scores 0.
    """
    rows = np.asarray(points, dtype=np.float64)
    groups, index = np.unique(labels, return_inverse=True)
    sizes = np.bincount(index, minlength=len(groups)).astype(np.float64)
    members = sparse.csr_matrix(
        (np.ones(len(rows)), (index, np.arange(len(rows)))), shape=(len(groups), len(rows))
    )
    totals = np.asarray(members @ rows)
    similarity = rows @ totals.T  # row i · (sum of group c)
    own = np.arange(len(rows)), index
    others = np.maximum(sizes[index] - 1, 1)
    inside = np.maximum(1 - (similarity[own] - np.einsum("ij,ij->i", rows, rows)) / others, 0)
    between = np.maximum(1 - similarity / sizes, 0)
    between[own] = np.inf
    nearest = between.min(axis=1) if len(groups) > 1 else np.zeros(len(rows))
    scale = np.maximum(inside, nearest)
    values = np.where(scale > 0, (nearest - inside) / np.where(scale > 0, scale, 1), 0.0)
    values[sizes[index] <= 1] = 0.0
    return values


def choose(points: FloatArray, distinct: IntArray, *, seed: int) -> Choice:
    """Choose a number of themes for unit-length rows ``points`` (see the module docstring)."""
    low, high = candidate_range(len(distinct))
    if high < low:
        return Choice(1, (1,), (0.0,))
    rng = np.random.default_rng(seed)
    # The silhouette is scored over distinct comments, each once: forty copies of one comment
    # are one comment's worth of evidence about how comments group, and counted forty times
    # they make every oft-repeated sentence look like a theme of its own.
    sample = np.asarray(distinct, dtype=np.int64)
    if len(sample) > SILHOUETTE_SAMPLE:
        sample = np.sort(rng.choice(sample, SILHOUETTE_SAMPLE, replace=False))
    smallest = min_theme_size(len(distinct))
    starts = SMALL_STARTS if len(points) < PRECISE_FROM else 1
    # One seeding for the largest candidate serves them all: greedy k-means++ picks centres one
    # after another, so its first k centres are a seeding for k (see clustering.seedings).
    inits = seedings(points, high, seed=seed, count=starts, distinct=distinct)
    candidates = grid(low, high)

    def score(n_themes: int) -> float:
        starts = [init[:n_themes] for init in inits]
        runs = refine_many(points, starts, threads=1)
        labels = best_of(runs).labels
        found = len(np.unique(labels[sample]))
        if found < 2 or found >= len(sample):
            return -1.0
        values = cosine_silhouettes(points[sample], labels[sample])
        sizes = np.bincount(labels[distinct])
        values[sizes[labels[sample]] < smallest] = 0.0
        return float(np.mean(values))

    # The candidates side by side, the largest (slowest) first so that the threads end
    # together; each candidate's own starts run one after the other.
    with ThreadPoolExecutor(THREADS) as workers:
        found = dict(zip(candidates[::-1], workers.map(score, candidates[::-1]), strict=True))
    tried = list(candidates)
    scores = [found[n_themes] for n_themes in tried]
    best = max(scores)
    threshold = best - tolerance(len(points)) * abs(best)
    chosen = next(
        k
        for i, (k, s) in enumerate(zip(tried, scores, strict=True))
        if s >= threshold and (i + 1 == len(scores) or s >= scores[i + 1])
    )
    return Choice(chosen, tuple(tried), tuple(scores))
