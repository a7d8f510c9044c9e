"""Embedding: queries against gensim's KeyedVectors and closed forms, storage round trips."""

import zipfile

import numpy as np
import pytest

from embedstudio.data.errors import DataFormatError
from embedstudio.vectors import Embedding, analogy_scores


@pytest.fixture
def emb():
    rng = np.random.default_rng(11)
    keys = [f"k{i}" for i in range(300)]
    return Embedding(keys, rng.standard_normal((300, 24)).astype(np.float32), counts=np.arange(300, 0, -1))


def _gensim(emb):
    gensim = pytest.importorskip("gensim")
    kv = gensim.models.KeyedVectors(emb.dim)
    kv.add_vectors(emb.keys, emb.vectors)
    return kv


def test_most_similar_agrees_with_gensim(emb):
    kv = _gensim(emb)
    for pos, neg in ((["k0"], []), (["k1", "k2"], ["k3"]), ([], ["k4"])):
        ours = emb.most_similar(pos, neg, topn=10)
        theirs = kv.most_similar(positive=pos, negative=neg, topn=10)
        assert [k for k, _ in ours] == [k for k, _ in theirs]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    assert [k for k, _ in emb.most_similar("k5", topn=5, restrict_vocab=50)] == \
        [k for k, _ in kv.most_similar("k5", topn=5, restrict_vocab=50)]


def test_analogy_3cosadd_agrees_with_gensim_and_batch_agrees_with_single(emb):
    kv = _gensim(emb)
    got = emb.analogy("k1", "k2", "k3", topn=5)
    want = kv.most_similar(positive=["k2", "k3"], negative=["k1"], topn=5)
    assert [k for k, _ in got] == [k for k, _ in want]
    rows = np.array([[1, 2, 3], [10, 20, 30], [7, 8, 9]])
    for method in ("3cosadd", "3cosmul"):
        batch = emb.analogy_batch(rows[:, 0], rows[:, 1], rows[:, 2], method=method)
        single = [emb.index(emb.analogy(*(emb.keys[i] for i in r), method=method)[0][0]) for r in rows]
        assert list(batch) == single


def test_3cosmul_closed_form():
    keys = ["man", "king", "woman", "queen", "apple"]
    v = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [0.2, -1, 0.1]], dtype=np.float32)
    e = Embedding(keys, v)
    u = e.unit
    scores = analogy_scores(u, u[[0]], u[[1]], u[[2]], "3cosmul")[0]
    cos = u @ u[[0, 1, 2]].T
    sa, sb, sc = ((1 + cos[:, i]) / 2 for i in range(3))
    np.testing.assert_allclose(scores, sb * sc / (sa + 1e-3), rtol=1e-6)
    assert e.analogy("man", "king", "woman", method="3cosmul")[0][0] == "queen"
    assert e.analogy("man", "king", "woman")[0][0] == "queen"
    with pytest.raises(ValueError, match="3cosadd, 3cosmul"):
        e.analogy("man", "king", "woman", method="cosine")


def test_unknown_key_is_named(emb):
    with pytest.raises(KeyError, match="'nope' is not in the vocabulary"):
        emb.most_similar("nope")


def test_norms_unit_and_zero_rows():
    e = Embedding(["a", "b"], np.array([[3, 4], [0, 0]], dtype=np.float32))
    np.testing.assert_allclose(e.norms, [5, 0])
    np.testing.assert_allclose(e.unit, [[0.6, 0.8], [0, 0]])
    e.vectors[0] = [0, 2]
    e.vectors_changed()
    np.testing.assert_allclose(e.unit[0], [0, 1])


def test_poincare_distance_closed_form():
    e = Embedding(["o", "x", "y"], np.array([[0, 0], [0.5, 0], [0, -0.9]], dtype=np.float32), geometry="poincare")
    # from the origin, d = 2 artanh(|x|)
    d = e.distances(e["o"][None, :])[0]
    np.testing.assert_allclose(d, [0, 2 * np.arctanh(0.5), 2 * np.arctanh(0.9)], rtol=1e-6)
    assert e.most_similar("o", topn=2)[0][0] == "x"


def test_restrict_subset_keep_metadata(emb):
    emb.metadata["pos"] = [str(i % 3) for i in range(len(emb))]
    top = emb.restrict(10)
    assert top.keys == emb.keys[:10] and top.metadata["pos"] == emb.metadata["pos"][:10]
    np.testing.assert_array_equal(top.counts, emb.counts[:10])


def test_save_load_round_trip_is_exact(emb, tmp_path):
    emb.metadata["label"] = ["é" * (i % 3) for i in range(len(emb))]
    emb.info["trainer"] = "word2vec"
    path = tmp_path / "e.npz"
    emb.save(path)
    back = Embedding.load(path)
    assert back.keys == emb.keys and back.metadata == emb.metadata and back.info == emb.info
    np.testing.assert_array_equal(back.vectors, emb.vectors)
    np.testing.assert_array_equal(back.counts, emb.counts)
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04 truncated"])
def test_load_rejects_broken_files(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(DataFormatError) as info:
        Embedding.load(path)
    assert str(path) in str(info.value)


def test_load_rejects_pickled_arrays_and_wrong_shapes(tmp_path):
    path = tmp_path / "evil.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("header.json", '{"format": "embedstudio-embedding", "keys": ["a"]}')
        import io
        buf = io.BytesIO()
        np.save(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
        z.writestr("vectors.npy", buf.getvalue())
    with pytest.raises(DataFormatError, match="cannot read"):
        Embedding.load(path)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("header.json", '{"format": "embedstudio-embedding", "keys": ["a", "b"]}')
        buf = io.BytesIO()
        np.save(buf, np.zeros((3, 2), np.float32))
        z.writestr("vectors.npy", buf.getvalue())
    with pytest.raises(DataFormatError, match="2 keys for 3 vectors"):
        Embedding.load(path)


def test_load_rejects_metadata_that_is_not_a_mapping(tmp_path):
    """Found by tests/fuzz: a list as "metadata" raised AttributeError (read_session calls Embedding.load)."""
    import io

    path = tmp_path / "bad.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("header.json", '{"format": "embedstudio-embedding", "keys": ["a"], "metadata": [1]}')
        buf = io.BytesIO()
        np.save(buf, np.zeros((1, 2), np.float32))
        z.writestr("vectors.npy", buf.getvalue())
    with pytest.raises(DataFormatError, match="inconsistent embedding file") as info:
        Embedding.load(path)
    assert info.value.path == str(path)


def test_complex_vectors_are_refused_instead_of_losing_their_imaginary_parts():
    with pytest.raises(ValueError, match="complex"):
        Embedding(["a", "b"], np.array([[1 + 2j, 0], [0, 1j]]))
    assert Embedding(["a"], np.array([[1.5, -2.0]])).vectors.dtype == np.float32


@pytest.mark.parametrize("counts", [[1.0, float("nan")], [3, -1], [1.0, float("inf")], ["a", "b"]])
def test_counts_that_are_not_finite_non_negative_numbers_are_refused(counts):
    # casting NaN or inf to int64 gave arbitrary counts without a word (found by the session fuzzer)
    with pytest.raises(ValueError, match="counts"):
        Embedding(["a", "b"], np.zeros((2, 3)), counts=np.array(counts))
    assert Embedding(["a", "b"], np.zeros((2, 3)), counts=np.array([2.0, 0.0])).counts.tolist() == [2, 0]


# ---------------------------------------------------------------------------------- at scale: blocks, batches
def test_blocked_norms_cosines_and_unit_rows_equal_the_float64_reference(monkeypatch):
    from embedstudio import vectors

    monkeypatch.setattr(vectors, "BLOCK_ROWS", 7)  # many blocks, a ragged last one
    rng = np.random.default_rng(0)
    v = (rng.standard_normal((100, 9)) * rng.uniform(0.01, 100, (100, 1))).astype(np.float32)
    v[5] = 0.0
    emb = Embedding([f"k{i}" for i in range(100)], v)
    ref = np.linalg.norm(v.astype(np.float64), axis=1)
    np.testing.assert_allclose(emb.norms, ref, rtol=1e-6)
    safe = np.where(ref > 0, ref, 1.0)[:, None]
    d = rng.standard_normal((9, 3))
    d /= np.linalg.norm(d, axis=0)
    np.testing.assert_allclose(emb.cosines(d), (v.astype(np.float64) / safe) @ d, atol=1e-5)
    np.testing.assert_allclose(emb.cosines(d[:, 0], limit=40), ((v / safe) @ d[:, 0])[:40], atol=1e-5)
    np.testing.assert_allclose(emb.unit_rows([3, 5, 99]), (v / safe)[[3, 5, 99]], atol=1e-6)
    np.testing.assert_allclose(emb.unit, v / safe, atol=1e-6)
    assert emb._unit is not None  # only the explicit .unit caches the second matrix


def test_most_similar_does_not_make_the_unit_matrix():
    rng = np.random.default_rng(1)
    emb = Embedding([f"k{i}" for i in range(50)], rng.standard_normal((50, 4)).astype(np.float32))
    emb.most_similar("k3", topn=5)
    emb.analogy("k1", "k2", "k3", topn=2)
    assert emb._unit is None


@pytest.mark.parametrize("restrict", [None, 60])
def test_batched_neighbours_equal_single_queries(monkeypatch, restrict):
    from embedstudio import vectors

    monkeypatch.setattr(vectors, "BLOCK_ROWS", 16)
    rng = np.random.default_rng(2)
    emb = Embedding([f"w{i}" for i in range(200)], rng.standard_normal((200, 6)).astype(np.float32))
    words = ["w0", "w17", "w150", "w199", "w3"]
    batched = emb.most_similar_many(words, topn=8, restrict_vocab=restrict)
    for word, got in zip(words, batched):
        single = emb.most_similar(word, topn=8, restrict_vocab=restrict)
        assert [k for k, _ in got] == [k for k, _ in single]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in single], rtol=1e-5)
