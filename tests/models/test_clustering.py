"""Clustering speaker embeddings on synthetic embeddings whose true speakers are known."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from engine.types import FloatArray
from models.clustering import ClusteringOptions, cluster_speakers, estimate_speakers

IntArray = npt.NDArray[np.int64]
DIM = 256


def _unit(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(x / np.linalg.norm(x, axis=-1, keepdims=True), dtype=np.float64)


def _embeddings(
    groups: IntArray, centers: npt.NDArray[np.float64], noise: float, seed: int = 1
) -> FloatArray:
    """One unit vector per row: its group's center plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    x = centers[groups] + noise * rng.standard_normal((len(groups), centers.shape[1]))
    return _unit(x).astype(np.float32)


def _random_centers(k: int, seed: int = 0) -> npt.NDArray[np.float64]:
    return _unit(np.random.default_rng(seed).standard_normal((k, DIM)))


def _groups(n: int, k: int, seed: int = 2) -> IntArray:
    """``n`` group ids in runs of random length, the way turns follow each other."""
    rng = np.random.default_rng(seed)
    out: list[int] = []
    while len(out) < n:
        out += [int(rng.integers(k))] * int(rng.integers(1, 8))
    return np.array(out[:n], dtype=np.int64)


def _first_appearance(groups: IntArray) -> IntArray:
    order: dict[int, int] = {}
    for g in groups.tolist():
        order.setdefault(g, len(order))
    return np.array([order[g] for g in groups.tolist()], dtype=np.int64)


def _assert_first_appearance_order(labels: IntArray) -> None:
    firsts = [int(np.flatnonzero(labels == j)[0]) for j in range(int(labels.max()) + 1)]
    assert firsts == sorted(firsts)
    assert labels[0] == 0


@pytest.fixture(scope="module")
def three_voices() -> tuple[FloatArray, IntArray]:
    groups = _groups(120, 3)
    assert set(groups.tolist()) == {0, 1, 2}
    return _embeddings(groups, _random_centers(3), noise=0.02), groups


def test_well_separated_clusters_give_the_count_and_partition(
    three_voices: tuple[FloatArray, IntArray],
) -> None:
    x, groups = three_voices
    assert estimate_speakers(x) == 3
    labels = cluster_speakers(x)
    assert labels.dtype == np.int64
    assert labels.shape == groups.shape
    assert np.array_equal(labels, _first_appearance(groups))


def test_labels_follow_first_appearance(three_voices: tuple[FloatArray, IntArray]) -> None:
    x, groups = three_voices
    # Start the sequence with the group that is "2" in the centers' order.
    order = np.argsort(groups != 2, kind="stable")
    labels = cluster_speakers(x[order])
    _assert_first_appearance_order(labels)
    assert np.array_equal(labels, _first_appearance(groups[order]))


def test_clustering_is_deterministic(three_voices: tuple[FloatArray, IntArray]) -> None:
    x, _ = three_voices
    first = cluster_speakers(x)
    assert np.array_equal(first, cluster_speakers(x.copy()))
    assert np.array_equal(first, cluster_speakers(x, num_speakers=3))


def test_a_forced_count_splits_voices_the_estimate_would_merge() -> None:
    # Two voices whose centers are 0.85 cosine-similar: closer than the count threshold.
    base = _random_centers(2, seed=5)
    other = _unit(
        0.85 * base[0] + np.sqrt(1 - 0.85**2) * _unit(base[1] - base[1] @ base[0] * base[0])
    )
    centers = np.stack([base[0], other])
    groups = _groups(80, 2, seed=7)
    x = _embeddings(groups, centers, noise=0.01)
    assert estimate_speakers(x) == 1
    assert not cluster_speakers(x).any()
    labels = cluster_speakers(x, num_speakers=2)
    assert np.array_equal(labels, _first_appearance(groups))


def test_a_forced_smaller_count_keeps_each_voice_whole(
    three_voices: tuple[FloatArray, IntArray],
) -> None:
    x, groups = three_voices
    labels = cluster_speakers(x, num_speakers=2)
    assert set(labels.tolist()) == {0, 1}
    for g in range(3):
        assert len(set(labels[groups == g].tolist())) == 1
    _assert_first_appearance_order(labels)


def test_max_speakers_caps_the_estimate(three_voices: tuple[FloatArray, IntArray]) -> None:
    x, _ = three_voices
    assert estimate_speakers(x, ClusteringOptions(max_speakers=2)) == 2
    assert int(cluster_speakers(x, options=ClusteringOptions(max_speakers=2)).max()) == 1


def test_subsampled_clustering_assigns_every_row() -> None:
    groups = _groups(500, 3, seed=11)
    x = _embeddings(groups, _random_centers(3, seed=3), noise=0.02, seed=4)
    options = ClusteringOptions(max_windows=60)
    labels = cluster_speakers(x, options=options)
    assert labels.shape == (500,)
    assert np.array_equal(labels, _first_appearance(groups))
    forced = cluster_speakers(x, num_speakers=3, options=options)
    assert np.array_equal(forced, labels)


def test_unnormalized_rows_cluster_like_their_directions(
    three_voices: tuple[FloatArray, IntArray],
) -> None:
    x, groups = three_voices
    scales = np.linspace(0.5, 3.0, len(x), dtype=np.float32)[:, None]
    assert np.array_equal(cluster_speakers(x * scales), _first_appearance(groups))


def test_degenerate_inputs() -> None:
    assert cluster_speakers(np.zeros((0, DIM), dtype=np.float32)).shape == (0,)
    one = _embeddings(np.zeros(1, dtype=np.int64), _random_centers(1), noise=0.0)
    assert cluster_speakers(one).tolist() == [0]
    assert estimate_speakers(one) == 1
    same = _embeddings(np.zeros(30, dtype=np.int64), _random_centers(1), noise=0.02)
    assert estimate_speakers(same) == 1
    assert cluster_speakers(same).tolist() == [0] * 30
    # More speakers asked for than rows: each row its own speaker.
    two = _embeddings(np.array([0, 1]), _random_centers(2), noise=0.0)
    assert cluster_speakers(two, num_speakers=5).tolist() == [0, 1]
