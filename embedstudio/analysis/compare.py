"""Two embeddings side by side over their shared vocabulary: maps aligned by orthogonal Procrustes, and the
words whose neighbourhoods changed most (the Jaccard overlap of their k nearest neighbours in each).

The shared vocabulary is A's order (word2vec files and trained models are sorted by frequency) filtered to
the keys B also holds, cut at ``limit``; neighbours are searched within it in both, so that a word's two
neighbour lists draw from the same words and their overlap means something.

Maps: when both have the same dimension, B is rotated onto A in the full space (the orthogonal matrix that
best maps B's shared rows onto A's, over the ``anchor`` most frequent words; a rotation keeps every cosine of
B) and both are drawn with A's principal axes, so one word sits at the same place in both maps unless its
vector moved. Otherwise each is mapped by its own PCA and B's map rotated onto A's.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from embedstudio.vectors import Embedding

DEFAULT_LIMIT = 10_000
DEFAULT_K = 10
ANCHOR_WORDS = 5_000  # the most frequent shared words that fix the rotation (rarer words are the noisy ones)


@dataclasses.dataclass
class Comparison:
    """``words`` shared by A and B (A's order); per word its Jaccard overlap of the k nearest neighbours in A and
    in B, both neighbour lists (words and cosines), and its place on each aligned map."""

    name_a: str
    name_b: str
    words: list[str]
    k: int
    jaccard: np.ndarray
    neighbours_a: list[list[tuple[str, float]]]
    neighbours_b: list[list[tuple[str, float]]]
    coords_a: np.ndarray
    coords_b: np.ndarray
    aligned_in: str  # "the full space" or "the map"
    only_a: int  # keys only A holds (not compared)
    only_b: int

    def changed(self, top: int | None = None) -> list[int]:
        """Rows of ``words``, most changed first: lowest overlap, ties by A's order (the frequent words first)."""
        order = np.lexsort((np.arange(len(self.words)), self.jaccard))
        return order[:top].tolist() if top is not None else order.tolist()

    def row(self, word: str) -> int:
        return self.words.index(word)

    def table(self, top: int = 20, shown: int = 5) -> list[tuple[str, float, str, str]]:
        """The first ``top`` rows of the changed-neighbourhood table: word, overlap, its first ``shown`` neighbours in
        A and in B. The window's table and ``embedstudio compare`` print these same rows."""
        return [(self.words[i], float(self.jaccard[i]),
                 ", ".join(w for w, _ in self.neighbours_a[i][:shown]),
                 ", ".join(w for w, _ in self.neighbours_b[i][:shown])) for i in self.changed(top)]


def shared_rows(a: Embedding, b: Embedding, limit: int | None = DEFAULT_LIMIT) -> tuple[np.ndarray, np.ndarray]:
    """Rows in A and in B of the keys both hold, in A's order, the first ``limit`` of them."""
    rows_a, rows_b = [], []
    index_b = b.key_to_index
    for i, key in enumerate(a.keys):
        j = index_b.get(key)
        if j is not None and a.key_to_index[key] == i:  # a repeated key counts once (its first row)
            rows_a.append(i)
            rows_b.append(j)
            if limit is not None and len(rows_a) >= limit:
                break
    return np.asarray(rows_a, dtype=np.int64), np.asarray(rows_b, dtype=np.int64)


def jaccard_overlap(first: list[list[tuple[str, float]]], second: list[list[tuple[str, float]]]) -> np.ndarray:
    """|A ∩ B| / |A ∪ B| of each pair of neighbour lists (1 = the same neighbours, 0 = none in common)."""
    out = np.empty(len(first), dtype=np.float64)
    for i, (x, y) in enumerate(zip(first, second)):
        sx, sy = {w for w, _ in x}, {w for w, _ in y}
        union = len(sx | sy)
        out[i] = len(sx & sy) / union if union else 1.0
    return out


def procrustes_rotation(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The orthogonal matrix R minimising ||source @ R - target|| (both centred first)."""
    from scipy.linalg import orthogonal_procrustes

    s = np.asarray(source, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    rotation, _ = orthogonal_procrustes(s - s.mean(axis=0), t - t.mean(axis=0))
    return rotation


def aligned_maps(a: np.ndarray, b: np.ndarray, anchor: int = ANCHOR_WORDS) -> tuple[np.ndarray, np.ndarray, str]:
    """2-D coordinates of the rows of ``a`` and of ``b`` (the same words, row for row), aligned."""
    from embedstudio.analysis.projection import align_to, pca, principal_axes

    if a.shape[1] == b.shape[1] and len(a) >= 3:
        n = min(anchor, len(a))
        rotation = procrustes_rotation(b[:n], a[:n])
        b_rotated = (b - b[:n].mean(axis=0, dtype=np.float64)) @ rotation + a[:n].mean(axis=0, dtype=np.float64)
        mean, axes, _, _ = principal_axes(a, 2)

        def on_a_axes(x: np.ndarray) -> np.ndarray:
            coords = np.zeros((len(x), 2), dtype=np.float32)
            coords[:, :axes.shape[1]] = (x - mean) @ axes
            return coords

        return on_a_axes(a.astype(np.float64)), on_a_axes(b_rotated), "the full space"
    coords_a, _ = pca(a)
    coords_b, _ = pca(b)
    return coords_a, align_to(coords_a, coords_b), "the map"


def compare(a: Embedding, b: Embedding, name_a: str = "A", name_b: str = "B", k: int = DEFAULT_K,
            limit: int | None = DEFAULT_LIMIT, progress: Callable[[float, str], None] | None = None) -> Comparison:
    """Compare ``a`` and ``b`` over their shared vocabulary (see the module docstring)."""
    def say(fraction: float, text: str) -> None:
        if progress is not None:
            progress(fraction, text)

    all_a, all_b = shared_rows(a, b, None)
    rows_a, rows_b = (all_a, all_b) if limit is None else (all_a[:limit], all_b[:limit])
    if len(rows_a) < 2:
        raise ValueError(f"{name_a} and {name_b} share {len(rows_a)} word{'s' if len(rows_a) != 1 else ''}: "
                         "nothing to compare")
    k = max(1, min(int(k), len(rows_a) - 1))
    sub_a, sub_b = a.subset(rows_a), b.subset(rows_b)
    say(0.05, f"neighbours in {name_a}")
    neighbours_a = sub_a.most_similar_many(sub_a.keys, topn=k)
    say(0.45, f"neighbours in {name_b}")
    neighbours_b = sub_b.most_similar_many(sub_b.keys, topn=k)
    say(0.85, "aligned maps")
    coords_a, coords_b, where = aligned_maps(sub_a.vectors, sub_b.vectors)
    return Comparison(name_a, name_b, list(sub_a.keys), k, jaccard_overlap(neighbours_a, neighbours_b),
                      neighbours_a, neighbours_b, coords_a, coords_b, where,
                      only_a=len(a.key_to_index) - len(all_a), only_b=len(b.key_to_index) - len(all_a))
