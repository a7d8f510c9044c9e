"""The approximate neighbour index: recall against the exact search, and the embedding using it."""

import threading

import numpy as np
import pytest

pytest.importorskip("faiss")

from embedstudio.analysis.ann import NeighbourIndex, build_in_background  # noqa: E402
from embedstudio.vectors import Embedding  # noqa: E402


def clustered(n=20_000, dim=32, centres=200, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centres, dim)).astype(np.float32)
    v = c[rng.integers(0, centres, n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    return Embedding([f"w{i}" for i in range(n)], v)


@pytest.mark.parametrize("dim", [32, 37])  # 37: rows padded with zeros to 48 for faiss's SIMD scan
def test_the_index_finds_the_exact_neighbours_at_a_recall_over_0_95(dim):
    emb = clustered(dim=dim)
    index = NeighbourIndex.build(emb)
    assert index.index.d % 16 == 0 and index.index.d - dim < 16
    queries = list(range(0, len(emb), 400))
    hits = 0
    for q in queries:
        exact = {k for k, _ in emb.most_similar(emb.keys[q], topn=10)}
        rows, scores = index.search(emb.unit_rows(q), 10, {q})
        hits += len(exact & {emb.keys[r] for r in rows})
        assert np.all(np.diff(scores) <= 1e-6) and q not in rows  # best first, the key itself left out
    assert hits / (10 * len(queries)) >= 0.95


def test_most_similar_uses_the_index_once_built_and_agrees_with_the_exact_answer():
    emb = clustered(n=5000)
    exact = emb.most_similar("w7", topn=5)
    done = threading.Event()
    build_in_background(emb, on_done=lambda index: done.set())
    assert done.wait(60) and emb.neighbour_index is not None
    approx = emb.most_similar("w7", topn=5)
    assert [k for k, _ in approx] == [k for k, _ in exact]
    np.testing.assert_allclose([s for _, s in approx], [s for _, s in exact], rtol=1e-5)
    assert emb.most_similar("w7", topn=5, restrict_vocab=100) != approx  # a restricted search stays exact


def test_a_build_can_be_stopped_between_batches(monkeypatch):
    from embedstudio.analysis import ann

    monkeypatch.setattr(ann, "_ADD_BATCH", 1000)
    calls = []
    assert NeighbourIndex.build(clustered(n=5000), progress=lambda f: calls.append(f) or len(calls) > 2) is None
    assert len(calls) == 3
