"""The clustering arithmetic the theme engines rest on: k-means++ seeding on unit rows, and the
cosine silhouette computed from group sums instead of an n × n matrix."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import silhouette_samples
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from analysis.themes import clustering
from analysis.themes.choosing import cosine_silhouettes
from analysis.themes.clustering import plus_plus, refine, refine_many, seedings, spherical_kmeans


def unit_rows(n: int, dimensions: int = 24, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.asarray(normalize(rng.normal(size=(n, dimensions))), dtype=np.float32)


def blobs(per_group: int, groups: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit rows in ``groups`` tight clusters around random directions, with their group."""
    rng = np.random.default_rng(seed)
    centres = normalize(rng.normal(size=(groups, 16)))
    truth = np.repeat(np.arange(groups), per_group)
    rows = centres[truth] + 0.08 * rng.normal(size=(len(truth), 16))
    return np.asarray(normalize(rows), dtype=np.float32), truth


@pytest.mark.parametrize(("n", "groups"), [(40, 2), (300, 7), (200, 120), (90, 89)])
def test_the_silhouette_matches_scikit_learns(n: int, groups: int) -> None:
    rows = unit_rows(n, seed=n)
    labels = np.random.default_rng(groups).integers(0, groups, n)
    expected = silhouette_samples(rows, labels, metric="cosine")
    np.testing.assert_allclose(cosine_silhouettes(rows, labels), expected, atol=1e-5)


def test_a_row_alone_in_its_group_scores_zero() -> None:
    rows = unit_rows(12)
    labels = np.array([0] * 6 + [1] * 5 + [2])
    values = cosine_silhouettes(rows, labels)
    assert values[-1] == 0.0
    np.testing.assert_allclose(values, silhouette_samples(rows, labels, metric="cosine"), atol=1e-5)


def test_seeding_picks_distinct_rows_of_the_input_one_per_cluster() -> None:
    rows, truth = blobs(30, 6)
    centres = plus_plus(rows, 6, np.random.default_rng(3))
    assert centres.shape == (6, rows.shape[1])
    picked = [int(np.flatnonzero((rows == centre).all(axis=1))[0]) for centre in centres]
    assert len(set(picked)) == 6
    # Well separated clusters: greedy k-means++ puts one centre in each.
    assert sorted(truth[picked].tolist()) == list(range(6))


def test_seeding_asks_for_no_more_centres_than_rows() -> None:
    rows = unit_rows(5)
    centres = plus_plus(rows, 9, np.random.default_rng(0))
    assert len(centres) == 5
    assert len({tuple(centre) for centre in centres}) == 5


def test_seedings_are_the_same_whatever_the_threads() -> None:
    rows = unit_rows(400)
    first = seedings(rows, 12, seed=5, count=4)
    second = seedings(rows, 12, seed=5, count=4)
    assert len(first) == 4
    for one, other in zip(first, second, strict=True):
        np.testing.assert_array_equal(one, other)
    assert not np.array_equal(first[0], first[1])  # independent starts


def test_k_means_recovers_separated_clusters_and_its_best_start() -> None:
    rows, truth = blobs(25, 5, seed=2)
    partition = spherical_kmeans(rows, 5, seed=0, n_init=3)
    assert len(set(partition.labels.tolist())) == 5
    for group in range(5):
        assert len(set(partition.labels[truth == group].tolist())) == 1
    np.testing.assert_allclose(np.linalg.norm(partition.centres, axis=1), 1.0, atol=1e-5)
    starts = [refine(rows, init) for init in seedings(rows, 5, seed=0, count=3)]
    assert partition.inertia == pytest.approx(min(start.inertia for start in starts))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_runs_side_by_side_equal_runs_one_after_another(
    threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows, _ = blobs(60, 6, seed=4)
    other = unit_rows(len(rows), dimensions=16, seed=9)
    starts = seedings(rows, 6, seed=1, count=3) + seedings(other, 4, seed=2, count=2)
    sources = [rows] * 3 + [other] * 2
    with threadpool_limits(limits=1, user_api="openmp"):
        alone = [refine(points, init) for points, init in zip(sources, starts, strict=True)]
    monkeypatch.setattr(clustering, "THREADS", threads)
    together = refine_many(sources, starts)
    assert len(together) == len(alone) == 5
    for one, other_run in zip(together, alone, strict=True):
        np.testing.assert_array_equal(one.labels, other_run.labels)
        np.testing.assert_array_equal(one.centres, other_run.centres)
    # One array of points for every start; a mismatch of arrays and starts is refused.
    assert [run.inertia for run in refine_many(rows, starts[:3])] == [
        run.inertia for run in alone[:3]
    ]
    with pytest.raises(ValueError, match="one array of points per start"):
        refine_many(sources[:2], starts)
