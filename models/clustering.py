"""Clustering speaker embeddings, estimating the number of speakers when it is not given.

The count comes from agglomerative clustering (average linkage, cosine distance, a fixed
threshold); the partition into that many speakers from spectral clustering on a pruned
cosine-affinity graph, which draws cleaner boundaries than the agglomerative tree. Long
calls are clustered on an evenly spaced subsample of windows and every window then goes
to its nearest centroid, so cost stays flat with call length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.types import FloatArray

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ClusteringOptions:
    max_speakers: int = 10
    count_threshold: float = 0.32
    """Cosine distance at which the agglomerative tree is cut to count speakers."""
    prune_keep: float = 0.3
    """Share of the strongest affinities each row keeps in the spectral graph."""
    max_windows: int = 1500
    """Windows clustered directly; beyond this a subsample is clustered."""


def estimate_speakers(x: FloatArray, options: ClusteringOptions | None = None) -> int:
    """How many voices the (unit-length) embeddings hold, by cutting an average-linkage tree."""
    from scipy.cluster.hierarchy import fcluster, linkage

    options = options or ClusteringOptions()
    if x.shape[0] < 2:
        return 1
    tree = linkage(x.astype(np.float64), method="average", metric="cosine")
    found = int(fcluster(tree, options.count_threshold, criterion="distance").max())
    return max(1, min(found, options.max_speakers))


def cluster_speakers(
    embeddings: FloatArray,
    num_speakers: int | None = None,
    options: ClusteringOptions | None = None,
) -> IntArray:
    """A speaker label (0..k-1, in order of first appearance) for each embedding row."""
    options = options or ClusteringOptions()
    n = embeddings.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    x = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-9)
    sample = np.linspace(0, n - 1, min(n, options.max_windows)).round().astype(np.int64)
    xs = x[sample]
    k = num_speakers if num_speakers is not None else estimate_speakers(xs, options)
    k = max(1, min(k, len(sample)))
    if k == 1:
        return np.zeros(n, dtype=np.int64)
    if len(sample) <= k:
        labels_s = np.arange(len(sample), dtype=np.int64)
    else:
        vectors = _spectral_embedding(_pruned_affinity(xs, options.prune_keep), k)
        labels_s = _kmeans(vectors, k)
    if len(sample) == n:
        return _first_appearance_order(labels_s)
    present = sorted(set(labels_s.tolist()))
    cents = np.stack([xs[labels_s == j].mean(axis=0) for j in present])
    return _first_appearance_order(np.argmax(x @ cents.T, axis=1).astype(np.int64))


def _pruned_affinity(x: FloatArray, keep: float) -> npt.NDArray[np.float64]:
    sim = np.clip(x.astype(np.float64) @ x.T.astype(np.float64), 0.0, 1.0)
    n = sim.shape[0]
    k = max(2, int(np.ceil(keep * n)))
    # Keep each row's k strongest links, then symmetrize: the graph stays connected within
    # a voice while weak cross-voice links, which blur the eigengap, disappear.
    threshold = -np.partition(-sim, k - 1, axis=1)[:, k - 1 : k]
    pruned = np.where(sim >= threshold, sim, 0.0)
    return 0.5 * (pruned + pruned.T)


def _spectral_embedding(affinity: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.float64]:
    degree = affinity.sum(axis=1)
    d = 1.0 / np.sqrt(np.maximum(degree, 1e-12))
    laplacian = np.eye(affinity.shape[0]) - d[:, None] * affinity * d[None, :]
    from scipy.linalg import eigh

    # Only the k smallest eigenvectors are needed; asking for just those is far cheaper
    # than a full decomposition once a call has a thousand windows.
    _, vectors = eigh(laplacian, subset_by_index=[0, k - 1])
    rows: npt.NDArray[np.float64] = np.asarray(vectors, dtype=np.float64)
    norms: npt.NDArray[np.float64] = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


def _kmeans(x: npt.NDArray[np.float64], k: int, iterations: int = 50) -> IntArray:
    """k-means with deterministic farthest-point initialisation (same input, same output)."""
    if k <= 1:
        return np.zeros(x.shape[0], dtype=np.int64)
    centers = [x[0]]
    for _ in range(1, k):
        dist = np.min([np.sum((x - c) ** 2, axis=1) for c in centers], axis=0)
        centers.append(x[int(np.argmax(dist))])
    c = np.array(centers)
    labels = np.zeros(x.shape[0], dtype=np.int64)
    for _ in range(iterations):
        new = np.argmin(((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=2), axis=1)
        if np.array_equal(new, labels) and _ > 0:
            break
        labels = new
        for j in range(k):
            if np.any(labels == j):
                c[j] = x[labels == j].mean(axis=0)
    return labels


def _first_appearance_order(labels: IntArray) -> IntArray:
    mapping: dict[int, int] = {}
    for label in labels.tolist():
        mapping.setdefault(label, len(mapping))
    return np.array([mapping[v] for v in labels.tolist()], dtype=np.int64)
