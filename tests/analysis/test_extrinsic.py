"""Extrinsic evaluation: same folds, same model, only the embedding changes."""

import json

import numpy as np
import pytest
from scipy import stats

from embedstudio.analysis.extrinsic import (
    ExtrinsicResult, compare_embeddings, compare_node_embeddings, document_features, stratified_folds, t_interval,
)
from embedstudio.data.errors import DataFormatError
from embedstudio.vectors import Embedding

N_CLASSES = 4
TOPIC_WORDS = 8
NOISE_WORDS = 40


def topic_corpus(per_class=40, seed=0, topic_tokens=2, noise_tokens=10):
    """Documents of class c hold ``topic_tokens`` of c's own words among shared noise words."""
    rng = np.random.default_rng(seed)
    docs, labels = [], []
    for c in range(N_CLASSES):
        for _ in range(per_class):
            words = [f"t{c}_{i}" for i in rng.integers(0, TOPIC_WORDS, topic_tokens)]
            words += [f"n{i}" for i in rng.integers(0, NOISE_WORDS, noise_tokens)]
            rng.shuffle(words)
            docs.append(words)
            labels.append(f"class{c}")
    return docs, labels


def vocabulary():
    return [f"t{c}_{i}" for c in range(N_CLASSES) for i in range(TOPIC_WORDS)] + [f"n{i}" for i in range(NOISE_WORDS)]


def trained_like(dim=8, seed=1, spread=0.3):
    """Topic words sit near their class's centre; noise words anywhere (what training would give)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(N_CLASSES, dim)) * 2
    keys = vocabulary()
    vectors = np.vstack([centres[c] + spread * rng.normal(size=(TOPIC_WORDS, dim)) for c in range(N_CLASSES)]
                        + [rng.normal(size=(NOISE_WORDS, dim))])
    return Embedding(keys, vectors)


def random_embedding(dim=8, seed=2):
    keys = vocabulary()
    return Embedding(keys, np.random.default_rng(seed).normal(size=(len(keys), dim)))


@pytest.fixture(scope="module")
def corpus():
    return topic_corpus()


@pytest.fixture(scope="module")
def trained_vs_random(corpus):
    docs, labels = corpus
    return compare_embeddings(docs, labels, {"trained": trained_like(), "random": random_embedding()}, folds=5, seed=0)


# ----------------------------------------------------------------------------- features
def test_document_features_equal_a_loop_over_tokens():
    emb = trained_like()
    docs = [["t0_1", "t0_1", "n3", "unknown"], [], ["nothing", "known"], ["n5"]]
    x, covered = document_features(docs, emb)
    assert x.dtype == np.float32 and x.shape == (4, emb.dim)
    np.testing.assert_allclose(x[0], (2 * emb["t0_1"] + emb["n3"]) / 3, rtol=1e-6)
    np.testing.assert_array_equal(x[1], 0)
    np.testing.assert_array_equal(x[2], 0)
    np.testing.assert_allclose(x[3], emb["n5"])
    assert covered.tolist() == [True, False, False, True]
    summed, _ = document_features(docs, emb, pooling="sum")
    np.testing.assert_allclose(summed[0], 2 * emb["t0_1"] + emb["n3"], rtol=1e-6)
    with pytest.raises(ValueError, match="pooling"):
        document_features(docs, emb, pooling="max")
    with pytest.raises(TypeError, match="tokenise"):
        document_features(["a plain string"], emb)


def test_document_features_of_random_documents_match_a_loop():
    rng = np.random.default_rng(5)
    emb = random_embedding()
    vocab = vocabulary() + ["oov1", "oov2"]
    docs = [[vocab[i] for i in rng.integers(0, len(vocab), rng.integers(0, 9))] for _ in range(300)]
    x, covered = document_features(docs, emb)
    for d, row, cov in zip(docs, x, covered):
        known = [emb[w] for w in d if w in emb]
        assert cov == bool(known)
        np.testing.assert_allclose(row, np.mean(known, axis=0) if known else 0, rtol=1e-5, atol=1e-6)


def test_poincare_coordinates_are_used_as_they_are():
    keys = ["a", "b"]
    vectors = np.array([[0.1, 0.2], [0.5, -0.3]])
    ball = Embedding(keys, vectors, geometry="poincare")
    x, _ = document_features([["a", "b"]], ball)
    np.testing.assert_allclose(x[0], vectors.mean(axis=0), rtol=1e-6)


# ----------------------------------------------------------------------------- comparisons
def test_identical_embeddings_score_identically_fold_by_fold(corpus):
    docs, labels = corpus
    emb = random_embedding()
    copy = Embedding(list(emb.keys), emb.vectors.copy())
    result = compare_embeddings(docs, labels, {"one": emb, "same": emb, "copy": copy}, folds=4, seed=3)
    assert result.accuracy.shape == (3, 4)
    np.testing.assert_array_equal(result.accuracy[0], result.accuracy[1])
    np.testing.assert_array_equal(result.accuracy[0], result.accuracy[2])
    np.testing.assert_array_equal(result.macro_f1[0], result.macro_f1[2])
    diff = result.paired_difference("one", "copy")
    assert diff.mean == 0 and not diff.excludes_zero


def test_trained_like_embedding_beats_a_random_one(trained_vs_random):
    r = trained_vs_random
    acc = dict(zip(r.names, r.mean("accuracy")))
    assert acc["trained"] > 0.9
    assert acc["trained"] > acc["random"] + 0.2
    for metric in ("accuracy", "macro_f1"):
        diff = r.paired_difference("trained", "random", metric)
        assert diff.low > 0 and diff.excludes_zero
        np.testing.assert_allclose(diff.differences, r.scores(metric)[0] - r.scores(metric)[1])
    plain = r.paired_difference("trained", "random")
    corrected = r.paired_difference("trained", "random", corrected=True)
    assert corrected.mean == pytest.approx(plain.mean)
    # Nadeau-Bengio: variance factor 1/k + n_test/n_train = 1/5 + 1/4 instead of 1/5
    assert corrected.high - corrected.low == pytest.approx((plain.high - plain.low) * np.sqrt(0.45 / 0.2))
    np.testing.assert_array_equal(r.coverage, [1.0, 1.0])
    assert r.task == "documents" and r.n_docs == 4 * 40 and r.n_classes == 4 and r.dropped_classes == []
    assert sum(r.fold_sizes) == r.n_docs


def test_the_same_seed_reproduces_the_folds_and_another_changes_them(corpus):
    docs, labels = corpus
    y = np.array(labels)
    a, b = stratified_folds(y, 5, seed=7), stratified_folds(y, 5, seed=7)
    assert all(np.array_equal(ta, tb) for (_, ta), (_, tb) in zip(a, b))
    other = stratified_folds(y, 5, seed=8)
    assert not all(np.array_equal(ta, tb) for (_, ta), (_, tb) in zip(a, other))
    for _, test in a:  # stratified: each class equally often in each test fold
        assert np.unique(y[test], return_counts=True)[1].tolist() == [8] * 4
    embs = {"random": random_embedding()}
    first = compare_embeddings(docs, labels, embs, folds=5, seed=7)
    again = compare_embeddings(docs, labels, embs, folds=5, seed=7)
    np.testing.assert_array_equal(first.accuracy, again.accuracy)


def test_rare_classes_are_dropped_and_reported(corpus):
    docs, labels = corpus
    docs = docs + [["t0_0"], ["t1_1"], ["n2"]]
    labels = labels + ["rare", "rare", "rarer"]
    r = compare_embeddings(docs, labels, {"e": trained_like()}, folds=5)
    assert sorted(r.dropped_classes) == ["rare", "rarer"] and r.dropped_docs == 3
    assert r.n_docs == 160 and r.n_classes == 4 and "rare" not in r.classes
    assert "dropped 2 classes" in r.table()


def test_fewer_than_two_classes_raises(corpus):
    docs, labels = corpus
    with pytest.raises(ValueError, match="only 1 class"):
        compare_embeddings(docs[:44], ["a"] * 40 + ["b"] * 4, {"e": trained_like()}, folds=5)
    with pytest.raises(ValueError, match="one label per item"):
        compare_embeddings(docs, labels[:-1], {"e": trained_like()})
    with pytest.raises(ValueError, match="folds"):
        compare_embeddings(docs, labels, {"e": trained_like()}, folds=1)
    with pytest.raises(ValueError, match="model"):
        compare_embeddings(docs, labels, {"e": trained_like()}, model="svm")


def test_uncovered_documents_count_against_coverage(corpus):
    docs, labels = corpus
    half = Embedding(vocabulary()[:16], trained_like().vectors[:16])  # the words of classes 0 and 1 only
    r = compare_embeddings(docs, labels, {"half": half}, folds=3)
    assert r.coverage[0] == pytest.approx(0.5)  # noise words are not in it: class 2 and 3 docs get zeros
    assert 0 < r.token_coverage[0] < 0.5


def test_progress_and_stopping(corpus):
    docs, labels = corpus
    calls = []
    compare_embeddings(docs, labels, {"a": random_embedding(), "b": trained_like()}, folds=3,
                       progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 6) for i in range(7)]
    asked = []

    def stop():
        asked.append(1)
        return len(asked) > 2

    assert compare_embeddings(docs, labels, {"a": random_embedding()}, folds=3, should_stop=stop) is None
    assert len(asked) == 3


# ----------------------------------------------------------------------------- statistics and the result
def test_confidence_interval_is_the_student_t_interval():
    values = np.array([0.71, 0.74, 0.69, 0.77, 0.72])
    k = len(values)
    half = stats.t.ppf(0.975, k - 1) * values.std(ddof=1) / np.sqrt(k)
    mean, low, high = t_interval(values)
    assert mean == pytest.approx(values.mean())
    assert (low, high) == pytest.approx((values.mean() - half, values.mean() + half), rel=1e-12)
    result = ExtrinsicResult(task="documents", names=["x", "y"], accuracy=[values, values - 0.1],
                             macro_f1=[values, values], coverage=[1, 1], n_docs=100, n_classes=2, folds=5,
                             seed=0, model="logreg", fold_sizes=[20] * 5)
    np.testing.assert_allclose(result.ci("accuracy")[0], [values.mean() - half, values.mean() + half], rtol=1e-12)
    np.testing.assert_allclose(result.mean("accuracy"), [values.mean(), values.mean() - 0.1])
    d = result.paired_difference("x", "y")
    assert d.mean == pytest.approx(0.1) and d.low == pytest.approx(0.1) and d.excludes_zero  # constant difference
    assert np.isnan(t_interval([0.5])[1])


def test_result_round_trips_and_prints_every_name(trained_vs_random, tmp_path):
    r = trained_vs_random
    back = ExtrinsicResult.from_dict(json.loads(json.dumps(r.to_dict())))
    for name in ("accuracy", "macro_f1", "coverage", "token_coverage", "not_converged"):
        np.testing.assert_array_equal(getattr(back, name), getattr(r, name))
    for name in ("task", "names", "n_docs", "n_classes", "classes", "dropped_classes", "dropped_docs", "folds",
                 "seed", "model", "model_params", "pooling", "fold_sizes", "confidence"):
        assert getattr(back, name) == getattr(r, name), name
    assert back.to_dict() == r.to_dict()
    table = r.table()
    assert all(name in table for name in r.names) and "macro-F1" in table and "coverage" in table
    rows = r.rows()
    assert [row["name"] for row in rows] == r.names
    assert rows[0]["accuracy_low"] <= rows[0]["accuracy"] <= rows[0]["accuracy_high"]
    r.save(tmp_path / "result.json")
    assert ExtrinsicResult.load(tmp_path / "result.json").to_dict() == r.to_dict()
    (tmp_path / "bad.json").write_text('{"format": "other"}')
    with pytest.raises(DataFormatError):
        ExtrinsicResult.load(tmp_path / "bad.json")


# ----------------------------------------------------------------------------- nodes
def test_node_classification_on_a_community_embedding():
    rng = np.random.default_rng(4)
    communities, per = 3, 30
    nodes = [f"v{i}" for i in range(communities * per)]
    labels = [f"c{i // per}" for i in range(len(nodes))]
    centres = rng.normal(size=(communities, 6)) * 3
    graph_like = Embedding(nodes, np.vstack([centres[c] + rng.normal(size=(per, 6)) for c in range(communities)]))
    shuffled = Embedding(nodes, rng.normal(size=(len(nodes), 6)))
    partial = Embedding(nodes[::2], graph_like.vectors[::2])
    r = compare_node_embeddings(nodes, labels, {"graph": graph_like, "random": shuffled, "partial": partial}, folds=3)
    acc = dict(zip(r.names, r.mean("accuracy")))
    assert r.task == "nodes" and acc["graph"] > 0.9 and acc["random"] < 0.7
    assert r.coverage.tolist() == [1.0, 1.0, 0.5]
    assert r.paired_difference("graph", "random").excludes_zero
