"""Choosing the number of themes when nobody gives one.

Candidates run from 2 to ``max(2, min(MAX_THEMES, n // TEXTS_PER_THEME))`` distinct usable
comments ``n``: at least about five comments per theme on average, and never more than 400
themes. They form a geometric grid (each about :data:`GRID_RATIO` times the one before), so
there are as many candidates between 10 and 20 as between 100 and 200.

Each candidate is clustered once, and scored by the mean silhouette (cosine, on a fixed
random sample of at most :data:`SILHOUETTE_SAMPLE` comments): how much closer each comment
is to its own theme than to the nearest other theme. Comments in groups smaller than
:data:`MIN_THEME_SIZE` count as 0, as a lone comment does: a theme of two or three comments
is too small to report, and such groups inflate the silhouette. Short comments split into
ever smaller, tighter groups, so the silhouette keeps creeping up with more themes after
the real ones are found. The rule is therefore parsimonious: take the **smallest**
candidate whose score is within :data:`TOLERANCE` (10 %) of the best score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import silhouette_samples

from analysis.themes.clustering import FloatArray, IntArray, spherical_kmeans

MIN_THEMES = 2
MAX_THEMES = 400
TEXTS_PER_THEME = 5
GRID_RATIO = 1.25
SILHOUETTE_SAMPLE = 4000
TOLERANCE = 0.10
MIN_THEME_SIZE = 5


@dataclass(frozen=True)
class Choice:
    """The chosen number of themes and the score of every candidate tried."""

    n_themes: int
    candidates: tuple[int, ...]
    scores: tuple[float, ...]


def candidate_range(n_distinct: int) -> tuple[int, int]:
    """The smallest and largest number of themes considered for ``n_distinct`` comments."""
    upper = max(MIN_THEMES, min(MAX_THEMES, n_distinct // TEXTS_PER_THEME))
    return MIN_THEMES, min(upper, max(1, n_distinct))


def grid(low: int, high: int) -> tuple[int, ...]:
    """Whole numbers from ``low`` to ``high``, each about ``GRID_RATIO`` times the last."""
    values = [low]
    while values[-1] < high:
        values.append(min(high, max(values[-1] + 1, round(values[-1] * GRID_RATIO))))
    return tuple(values)


def choose(points: FloatArray, distinct: IntArray, *, seed: int) -> Choice:
    """Choose a number of themes for unit-length rows ``points`` (see the module docstring)."""
    low, high = candidate_range(len(distinct))
    if high < low:
        return Choice(1, (1,), (0.0,))
    rng = np.random.default_rng(seed)
    sample = np.arange(len(points))
    if len(sample) > SILHOUETTE_SAMPLE:
        sample = np.sort(rng.choice(sample, SILHOUETTE_SAMPLE, replace=False))
    tried: list[int] = []
    scores: list[float] = []
    for n_themes in grid(low, high):
        labels = spherical_kmeans(points, n_themes, seed=seed, distinct=distinct).labels
        found = len(np.unique(labels[sample]))
        if found < 2 or found >= len(sample):
            score = -1.0
        else:
            values = silhouette_samples(points[sample], labels[sample], metric="cosine")
            sizes = np.bincount(labels)
            values[sizes[labels[sample]] < MIN_THEME_SIZE] = 0.0
            score = float(np.mean(values))
        tried.append(n_themes)
        scores.append(score)
    best = max(scores)
    threshold = best - TOLERANCE * abs(best)
    chosen = next(k for k, s in zip(tried, scores, strict=True) if s >= threshold)
    return Choice(chosen, tuple(tried), tuple(scores))
