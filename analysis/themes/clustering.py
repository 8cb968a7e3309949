"""Spherical k-means: k-means on unit vectors with centres kept at unit length.

The seeding is greedy k-means++ (:func:`plus_plus`) on a random sample of distinct rows (at
most :data:`SEED_SAMPLE`), and Lloyd iterations then run on every row with scikit-learn's
:class:`~sklearn.cluster.KMeans`. With ``n_init`` above one, the run with the smallest
inertia wins. Rows on the unit sphere make Euclidean k-means rank points as cosine
similarity would.

The seeding is written here rather than taken from scikit-learn's ``kmeans_plusplus``
because every row has unit length: a squared distance is ``2 − 2 x·c``, one float32 matrix
product, where scikit-learn's general version recomputes row norms and widens each block to
float64. It is the same algorithm (each new centre the best of ``2 + ln k`` candidates drawn
in proportion to the squared distance to the nearest centre so far), and it took 8.2 of the
11.5 s of a 4,000-comment, 150-theme fit before; figures in ``benchmarks/README.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from sklearn.cluster import KMeans
from sklearn.preprocessing import normalize
from threadpoolctl import ThreadpoolController

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

SEED_SAMPLE = 5000
MAX_ITER = 100
SEEDING_THREADS = 2
THREADS = 2  # clusterings run side by side (refine_many)


@dataclass(frozen=True)
class Partition:
    """A k-means result: a cluster per row and unit-length centres."""

    labels: IntArray
    centres: FloatArray
    inertia: float


def distinct_rows(points: FloatArray) -> IntArray:
    """Indices of the first occurrence of every distinct row, in row order.

    Rows are compared by their bytes (after adding zero, which turns −0.0 into 0.0), which is
    equality of every element: ten times faster than ``np.unique(points, axis=0)``, which sorts
    column by column."""
    rows = np.ascontiguousarray(points) + 0
    first: dict[bytes, int] = {}
    for index, row in enumerate(rows):
        first.setdefault(row.tobytes(), index)
    return np.fromiter(first.values(), dtype=np.int64, count=len(first))


def plus_plus(points: FloatArray, n_clusters: int, rng: np.random.Generator) -> FloatArray:
    """Greedy k-means++ centres for unit-length ``points`` (``n_clusters`` of them, no more
    than the rows; rows should be distinct, or a centre may repeat)."""
    rows = np.asarray(points, dtype=np.float32)
    n = len(rows)
    trials = 2 + int(np.log(max(2, n_clusters)))
    chosen = [int(rng.integers(n))]
    nearest = np.maximum(np.float32(2) - np.float32(2) * (rows @ rows[chosen[0]]), 0)
    nearest[chosen[0]] = 0  # exactly, whatever the float rounding: never drawn again
    for _ in range(1, min(n_clusters, n)):
        total = np.cumsum(nearest, dtype=np.float64)
        if total[-1] <= 0:  # every row sits on a centre already
            break
        picks = np.minimum(np.searchsorted(total, rng.random(trials) * total[-1]), n - 1)
        distances = np.maximum(np.float32(2) - np.float32(2) * (rows @ rows[picks].T), 0)
        distances[picks, np.arange(trials)] = 0
        candidates = np.minimum(nearest[:, None], distances)
        best = int(np.argmin(candidates.sum(axis=0, dtype=np.float64)))
        chosen.append(int(picks[best]))
        nearest = candidates[:, best]
    return np.array(rows[chosen], dtype=np.float32)


def seedings(
    points: FloatArray,
    n_clusters: int,
    *,
    seed: int,
    count: int = 1,
    distinct: IntArray | None = None,
) -> list[FloatArray]:
    """``count`` independent k-means++ seedings of ``n_clusters`` centres (at most the number
    of distinct rows), each on its own sample of at most :data:`SEED_SAMPLE` distinct rows.

    Greedy k-means++ picks centres one after another, so the first *j* centres of a seeding
    for *k* are a seeding for *j*: :mod:`analysis.themes.choosing` seeds once for its largest
    candidate and cuts the rest from it. The seedings run on two threads (NumPy's products
    leave Python's lock), and each draws from its own generator, so the result is the same
    whatever the number of threads."""
    if distinct is None:
        distinct = distinct_rows(points)
    n_clusters = max(1, min(n_clusters, len(distinct)))
    rng = np.random.default_rng(seed)
    plans = []
    for _ in range(max(1, count)):
        pool = distinct
        if len(pool) > SEED_SAMPLE:
            pool = np.sort(rng.choice(pool, SEED_SAMPLE, replace=False))
        plans.append((pool, int(rng.integers(2**31 - 1))))

    def one(plan: tuple[IntArray, int]) -> FloatArray:
        pool, state = plan
        if n_clusters == 1:
            return np.asarray(points[pool].mean(axis=0, keepdims=True), dtype=np.float32)
        return plus_plus(points[pool], n_clusters, np.random.default_rng(state))

    if len(plans) == 1:
        return [one(plans[0])]
    with ThreadPoolExecutor(max_workers=SEEDING_THREADS) as workers:
        return list(workers.map(one, plans))


def refine(points: FloatArray, init: FloatArray, *, max_iter: int = MAX_ITER) -> Partition:
    """Lloyd iterations from the centres ``init`` (scikit-learn's :class:`KMeans`)."""
    model = KMeans(len(init), init=init, n_init=1, max_iter=max_iter, random_state=0).fit(points)
    centres = np.asarray(normalize(model.cluster_centers_), dtype=np.float32)
    return Partition(np.asarray(model.labels_, dtype=np.int64), centres, float(model.inertia_))


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    """The process's thread pools, looked up once (each lookup takes about 10 ms)."""
    return ThreadpoolController()


def refine_many(
    points: FloatArray | Sequence[FloatArray],
    inits: Sequence[FloatArray],
    *,
    max_iter: int = MAX_ITER,
    threads: int | None = None,
) -> list[Partition]:
    """:func:`refine` from each of ``inits`` (on ``points``, or on ``points[i]`` for the
    ``i``-th when given one array per start), in order.

    The runs go side by side on ``threads`` threads (default :data:`THREADS`), each run on one:
    scikit-learn's Lloyd loop leaves Python's lock, and whole runs in parallel waste less than
    one run split into two threads that meet after every pass over a few thousand rows. Each
    result is the same whatever the number of threads (one thread per run sums in one order)."""
    sources = [points] * len(inits) if isinstance(points, np.ndarray) else list(points)
    if len(sources) != len(inits):
        raise ValueError("one array of points per start, or one for all")
    tasks = list(zip(sources, inits, strict=True))

    def one(task: tuple[FloatArray, FloatArray]) -> Partition:
        # OpenMP's thread count belongs to the thread that sets it, so each worker sets its own.
        with _controller().limit(limits=1, user_api="openmp"):
            return refine(*task, max_iter=max_iter)

    threads = THREADS if threads is None else threads
    if len(tasks) < 2 or threads <= 1:
        return [one(task) for task in tasks]
    with ThreadPoolExecutor(max_workers=threads) as workers:
        return list(workers.map(one, tasks))


def best_of(partitions: Iterable[Partition]) -> Partition:
    """The partition with the least inertia (the first of equals)."""
    return min(partitions, key=lambda partition: partition.inertia)


def spherical_kmeans(
    points: FloatArray,
    n_clusters: int,
    *,
    seed: int,
    n_init: int = 1,
    max_iter: int = MAX_ITER,
    distinct: IntArray | None = None,
) -> Partition:
    """Cluster unit-length rows into ``n_clusters`` (at most the number of distinct rows):
    the best of ``n_init`` k-means runs."""
    starts = seedings(points, n_clusters, seed=seed, count=n_init, distinct=distinct)
    return best_of(refine_many(points, starts, max_iter=max_iter))
