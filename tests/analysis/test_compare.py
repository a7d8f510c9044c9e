"""Two embeddings compared: shared words, neighbourhood overlap, Procrustes-aligned maps."""

import numpy as np
import pytest

from embedstudio.analysis.compare import (aligned_maps, compare, jaccard_overlap, procrustes_rotation,
                                          shared_rows)
from embedstudio.vectors import Embedding


def clustered(n=400, dim=16, clusters=8, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)) * 3
    labels = np.arange(n) % clusters
    return (centres[labels] + rng.standard_normal((n, dim))).astype(np.float32), labels


def rotation(dim, seed=1):
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
    return q.astype(np.float32)


def test_shared_rows_follow_a_and_stop_at_the_limit():
    a = Embedding(["x", "y", "z", "w"], np.eye(4, dtype=np.float32))
    b = Embedding(["w", "q", "x", "z"], np.eye(4, dtype=np.float32))
    rows_a, rows_b = shared_rows(a, b, None)
    assert [a.keys[i] for i in rows_a] == ["x", "z", "w"] and [b.keys[i] for i in rows_b] == ["x", "z", "w"]
    rows_a, _ = shared_rows(a, b, 2)
    assert [a.keys[i] for i in rows_a] == ["x", "z"]


def test_jaccard_overlap_by_hand():
    got = jaccard_overlap([[("a", 1), ("b", 1)], [("a", 1)], []], [[("b", 1), ("c", 1)], [("a", 1)], []])
    np.testing.assert_allclose(got, [1 / 3, 1.0, 1.0])


def test_procrustes_recovers_a_rotation():
    x, _ = clustered()
    q = rotation(x.shape[1])
    r = procrustes_rotation(x @ q, x)
    np.testing.assert_allclose(r, q.T, atol=1e-4)


def test_a_rotated_copy_keeps_every_neighbourhood_and_lands_on_the_same_map():
    x, _ = clustered()
    keys = [f"w{i}" for i in range(len(x))]
    a = Embedding(keys, x)
    b = Embedding(keys[::-1], (x @ rotation(x.shape[1]))[::-1].copy())  # another order, another basis
    result = compare(a, b, "a", "b", k=8, limit=None)
    assert result.words == keys and result.aligned_in == "the full space"
    np.testing.assert_allclose(result.jaccard, 1.0)
    spread = np.ptp(result.coords_a, axis=0).max()
    assert np.abs(result.coords_a - result.coords_b).max() < 1e-3 * spread


def test_the_words_that_moved_come_first_in_the_table():
    x, labels = clustered()
    keys = [f"w{i}" for i in range(len(x))]
    moved = [5, 77, 200]
    y = x.copy()
    for i in moved:  # into another cluster: a new neighbourhood
        y[i] = x[np.flatnonzero(labels == (labels[i] + 3) % 8)[0]] + 0.01
    result = compare(Embedding(keys, x), Embedding(keys, y), k=10, limit=None)
    first = result.changed(3)
    assert sorted(first) == moved
    assert all(result.jaccard[i] < 0.2 for i in moved)
    rows = result.table(3, shown=4)
    assert [r[0] for r in rows] == [keys[i] for i in first] and rows[0][1] <= rows[1][1] <= rows[2][1]
    assert len(rows[0][2].split(", ")) == 4
    # the unmoved words' points stay put on the aligned maps; the moved ones travel
    still = np.setdiff1d(np.arange(len(x)), moved)
    shift = np.linalg.norm(result.coords_a - result.coords_b, axis=1)
    assert shift[moved].min() > 5 * np.median(shift[still])


def test_different_dimensions_are_aligned_on_the_map():
    x, _ = clustered(dim=16)
    keys = [f"w{i}" for i in range(len(x))]
    b = Embedding(keys, np.hstack([x, np.zeros((len(x), 4), np.float32)]))
    result = compare(Embedding(keys, x), b, limit=None)
    assert result.aligned_in == "the map"
    assert np.abs(result.coords_a - result.coords_b).max() < 1e-3 * np.ptp(result.coords_a)


def test_the_limit_keeps_the_first_shared_words_and_counts_the_rest():
    x, _ = clustered()
    keys = [f"w{i}" for i in range(len(x))]
    b = Embedding(keys[:300] + [f"other{i}" for i in range(100)], x)
    result = compare(Embedding(keys, x), b, limit=50)
    assert result.words == keys[:50] and result.only_a == 100 and result.only_b == 100
    assert all(w in result.words for row in result.neighbours_a for w, _ in row)


def test_nothing_shared_is_a_clear_error():
    a = Embedding(["x", "y"], np.eye(2, dtype=np.float32))
    b = Embedding(["p", "q"], np.eye(2, dtype=np.float32))
    with pytest.raises(ValueError, match="share 0 words"):
        compare(a, b, "a", "b")


def test_aligned_maps_of_identical_matrices_coincide():
    x, _ = clustered(n=50)
    ca, cb, where = aligned_maps(x, x.copy())
    np.testing.assert_allclose(ca, cb, atol=1e-4)
