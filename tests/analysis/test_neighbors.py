import numpy as np
import pytest

from embedstudio.analysis.neighbors import nearest
from embedstudio.vectors import Embedding


@pytest.fixture
def emb():
    rng = np.random.default_rng(4)
    return Embedding([f"w{i}" for i in range(200)], rng.standard_normal((200, 8)).astype(np.float32))


def test_euclidean_matches_brute_force(emb):
    got = nearest(emb, "w3", k=7, metric="euclidean")
    d = np.linalg.norm(emb.vectors - emb["w3"], axis=1)
    d[3] = np.inf
    want = np.argsort(d)[:7]
    assert [k for k, _ in got] == [emb.keys[i] for i in want]
    np.testing.assert_allclose([s for _, s in got], d[want], rtol=1e-4)


def test_cosine_is_most_similar_and_vectors_are_accepted(emb):
    assert nearest(emb, "w1", k=5) == emb.most_similar("w1", topn=5)
    by_vector = nearest(emb, emb["w1"], k=1, metric="euclidean")
    assert by_vector[0][0] == "w1" and by_vector[0][1] == pytest.approx(0.0, abs=1e-3)
    with pytest.raises(ValueError, match="cosine, euclidean"):
        nearest(emb, "w1", metric="manhattan")
