"""Spherical k-means: k-means on unit vectors with centres kept at unit length.

The k-means++ seeding runs on a random sample of distinct rows (at most
:data:`SEED_SAMPLE`), which keeps seeding cheap when there are many themes, and Lloyd
iterations then run on every row with scikit-learn's :class:`~sklearn.cluster.KMeans`.
With ``n_init`` above one, the run with the smallest inertia wins. Rows on the unit
sphere make Euclidean k-means rank points as cosine similarity would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.preprocessing import normalize

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

SEED_SAMPLE = 5000
MAX_ITER = 100


@dataclass(frozen=True)
class Partition:
    """A k-means result: a cluster per row and unit-length centres."""

    labels: IntArray
    centres: FloatArray
    inertia: float


def distinct_rows(points: FloatArray) -> IntArray:
    """Indices of the first occurrence of every distinct row, in row order."""
    _, first = np.unique(points, axis=0, return_index=True)
    return np.sort(first).astype(np.int64)


def spherical_kmeans(
    points: FloatArray,
    n_clusters: int,
    *,
    seed: int,
    n_init: int = 1,
    max_iter: int = MAX_ITER,
    distinct: IntArray | None = None,
) -> Partition:
    """Cluster unit-length rows into ``n_clusters`` (at most the number of distinct rows)."""
    if distinct is None:
        distinct = distinct_rows(points)
    n_clusters = max(1, min(n_clusters, len(distinct)))
    rng = np.random.default_rng(seed)
    best: Partition | None = None
    for _ in range(max(1, n_init)):
        pool = distinct
        if len(pool) > SEED_SAMPLE:
            pool = np.sort(rng.choice(pool, SEED_SAMPLE, replace=False))
        state = int(rng.integers(2**31 - 1))
        if n_clusters == 1:
            init = points[pool].mean(axis=0, keepdims=True)
        else:
            init, _ = kmeans_plusplus(points[pool], n_clusters, random_state=state)
        model = KMeans(n_clusters, init=init, n_init=1, max_iter=max_iter, random_state=state).fit(
            points
        )
        inertia = float(model.inertia_)
        if best is None or inertia < best.inertia:
            centres = np.asarray(normalize(model.cluster_centers_), dtype=np.float32)
            best = Partition(np.asarray(model.labels_, dtype=np.int64), centres, inertia)
    assert best is not None
    return best
