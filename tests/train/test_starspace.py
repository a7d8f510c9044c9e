"""StarSpace kernel against a numpy reference, the TagSpace/PageSpace trainer, the model and its metrics."""

from __future__ import annotations

import numpy as np
import pytest

from embedstudio.analysis.tagging import evaluate_recommendations, evaluate_tags, popularity_recommendations
from embedstudio.data.labelled import hold_out_items, read_labelled, read_user_items, split_docs
from embedstudio.starspacemodel import SpaceModel
from embedstudio.train.kernels import starspace as kernel
from embedstudio.train.kernels.rng import below, next_state, output, splitmix64
from embedstudio.train.starspace import StarSpaceConfig, StarSpaceTrainer, train_starspace


# ============================================================================ kernel vs reference
def _sim(a, b, cosine):
    return a @ b / (np.linalg.norm(a) * np.linalg.norm(b)) if cosine else a @ b


def reference_example(E, bag, p, draws, positives, margin, max_neg, cosine, pool_exp, lr):
    """One example by the definition: loss = mean hinge over the first ``max_neg`` violating draws
    (positives skipped); the step is lr * its gradient, taken by central differences in float64."""
    E = E.astype(np.float64)
    a = E[bag].sum(0) / len(bag) ** pool_exp
    chosen = []
    for n in draws:
        if n in positives:
            continue
        if margin - _sim(a, E[p], cosine) + _sim(a, E[n], cosine) > 0:
            chosen.append(n)
            if len(chosen) == max_neg:
                break

    def loss(M):
        a = M[bag].sum(0) / len(bag) ** pool_exp
        if not chosen:
            return 0.0
        return np.mean([margin - _sim(a, M[p], cosine) + _sim(a, M[n], cosine) for n in chosen])

    return E - lr * numeric_gradient(loss, E), loss(E), len(chosen)


def numeric_gradient(loss, M, h=1e-6):
    """Central differences of ``loss`` at the float64 matrix ``M``."""
    grad = np.zeros_like(M)
    for idx in np.ndindex(M.shape):
        up, down = M.copy(), M.copy()
        up[idx] += h
        down[idx] -= h
        grad[idx] = (loss(up) - loss(down)) / (2 * h)
    return grad


def draws_of(seed, n_pos, neg_table, neg_search):
    """The kernel's random choices for the first example of a call, replayed with its RNG."""
    s = np.uint64(splitmix64(seed))  # kept as uint64: a Python int above 2**63 does not go back into numba
    s = np.uint64(next_state(s))
    pick = int(below(np.uint64(output(s)), n_pos))
    draws = []
    for _ in range(neg_search):
        s = np.uint64(next_state(s))
        draws.append(int(neg_table[below(np.uint64(output(s)), len(neg_table))]))
    return pick, draws


@pytest.mark.parametrize("cosine", [True, False])
@pytest.mark.parametrize("pool_exp", [0.0, 0.5, 1.0])
def test_one_tagspace_step_equals_the_reference_gradient(cosine, pool_exp):
    rng = np.random.default_rng(5)
    n_words, n_labels, dim = 4, 5, 6
    E = rng.standard_normal((n_words + n_labels, dim)).astype(np.float32) * 0.5
    words = np.array([0, 2, 2, 3])  # a repeated word counts twice
    labels = np.array([1, 3])
    table = np.arange(n_words, n_words + n_labels, dtype=np.int64)
    seed, neg_search, max_neg, margin, lr = 11, 8, 3, 50.0, 0.05  # a big margin: every draw violates
    pick, draws = draws_of(seed, len(labels), table, neg_search)
    expected, ref_loss, used = reference_example(
        E, words, n_words + labels[pick], draws, set(n_words + labels), margin, max_neg, cosine, pool_exp, lr)
    assert used == max_neg and len(set(draws)) > 1
    got = E.copy()
    loss, examples = kernel.train_examples(
        got, np.zeros(len(E), np.float32), np.array([0]), np.array([0, 4]), words.astype(np.int64),
        np.array([0, 2]), labels.astype(np.int64), n_words, False, table, margin, neg_search, max_neg,
        cosine, pool_exp, lr, False, seed)
    assert examples == 1 and loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(got, expected, atol=2e-5)


@pytest.mark.parametrize("cosine", [True, False])
def test_one_softmax_step_equals_the_reference_gradient(cosine):
    rng = np.random.default_rng(8)
    n_words, n_labels, dim = 3, 6, 5
    E = rng.standard_normal((n_words + n_labels, dim)).astype(np.float32) * 0.5
    words, labels = np.array([0, 1, 1, 2]), np.array([2])
    table = np.arange(n_words, n_words + n_labels, dtype=np.int64)
    seed, neg_search, lr, pool_exp = 4, 7, 0.1, 0.5
    _, draws = draws_of(seed, 1, table, neg_search)
    negatives = [n for n in draws if n != n_words + 2]
    p = n_words + 2

    def loss(M):
        a = M[words].sum(0) / len(words) ** pool_exp
        scores = np.array([_sim(a, M[p], cosine)] + [_sim(a, M[n], cosine) for n in negatives])
        return -(scores[0] - np.log(np.exp(scores).sum()))

    M = E.astype(np.float64)
    grad = numeric_gradient(loss, M)
    got = E.copy()
    total, examples = kernel.train_examples(
        got, np.zeros(len(E), np.float32), np.array([0]), np.array([0, 4]), words, np.array([0, 1]), labels,
        n_words, False, table, 0.0, neg_search, 1, cosine, pool_exp, lr, False, seed, False, True)
    assert examples == 1 and total == pytest.approx(loss(M), rel=1e-5)
    np.testing.assert_allclose(got, M - lr * grad, atol=2e-5)


@pytest.mark.parametrize("cosine", [True, False])
def test_one_logistic_step_equals_the_reference_gradient(cosine):
    """One-vs-all: -log σ(s) for every label of the document, -log σ(-s) for every drawn negative."""
    rng = np.random.default_rng(9)
    n_words, n_labels, dim = 3, 6, 5
    E = rng.standard_normal((n_words + n_labels, dim)).astype(np.float32) * 0.5
    words, labels = np.array([0, 2, 2]), np.array([1, 4])
    table = np.arange(n_words, n_words + n_labels, dtype=np.int64)
    seed, neg_search, lr, pool_exp = 6, 6, 0.1, 1.0
    s = np.uint64(splitmix64(seed))
    draws = []
    for _ in range(neg_search):
        s = np.uint64(next_state(s))
        draws.append(int(table[below(np.uint64(output(s)), len(table))]))
    positives = [n_words + l for l in labels]
    negatives = [n for n in draws if n not in positives]
    assert len(negatives) >= 2

    def loss(M):
        a = M[words].sum(0) / len(words) ** pool_exp
        sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
        return (-sum(np.log(sig(_sim(a, M[p], cosine))) for p in positives)
                - sum(np.log(1 - sig(_sim(a, M[n], cosine))) for n in negatives))

    M = E.astype(np.float64)
    grad = numeric_gradient(loss, M)
    got = E.copy()
    total, examples = kernel.train_examples(
        got, np.zeros(len(E), np.float32), np.array([0]), np.array([0, 3]), words, np.array([0, 2]), labels,
        n_words, False, table, 0.0, neg_search, 1, cosine, pool_exp, lr, False, seed, False, False, True)
    assert examples == 1 and total == pytest.approx(loss(M), rel=1e-5)
    np.testing.assert_allclose(got, M - lr * grad, atol=2e-5)


def test_adagrad_scales_each_row_by_its_own_history():
    E = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32)
    state = np.array([0.0, 3.0, 0.0], dtype=np.float32)
    sgd = E.copy()
    args = (np.array([0]), np.array([0, 1]), np.array([0]), np.array([0, 1]), np.array([0]), 1, False,
            np.array([2]), 5.0, 1, 1, False, 0.0)
    kernel.train_examples(sgd, np.zeros(3, np.float32), *args, 0.1, False, 3)
    ada = E.copy()
    kernel.train_examples(ada, state, *args, 0.1, True, 3)
    for row, before in ((0, 0.0), (1, 3.0), (2, 0.0)):
        g = (E[row] - sgd[row]) / 0.1
        assert state[row] == pytest.approx(before + (g @ g) / 2, rel=1e-5)
        np.testing.assert_allclose(E[row] - ada[row], 0.1 * g / np.sqrt(state[row] + 1e-6), rtol=1e-5)


def test_no_violating_negative_means_no_update_and_zero_loss():
    E = np.array([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]], dtype=np.float32)  # positive = query, negative opposite
    before = E.copy()
    loss, examples = kernel.train_examples(
        E, np.zeros(3, np.float32), np.array([0]), np.array([0, 1]), np.array([0]), np.array([0, 1]), np.array([0]),
        1, False, np.array([2]), 0.5, 5, 2, True, 0.5, 0.1, True, 1)
    assert (loss, examples) == (0.0, 1) and np.array_equal(E, before)


def test_pagespace_leave_one_out_never_puts_the_target_in_the_input():
    """A user with items {0, 1, 2}: the step equals the reference with the picked item as target and
    the two others as the bag, and differs from a bag that also holds the target."""
    rng = np.random.default_rng(2)
    E = rng.standard_normal((6, 4)).astype(np.float32) * 0.5
    items = np.array([0, 1, 2], dtype=np.int64)
    table = np.array([3, 4, 5], dtype=np.int64)
    for seed in range(6):
        pick, draws = draws_of(seed, 3, table, 4)
        bag = np.delete(items, pick)
        expected, _, used = reference_example(E, bag, items[pick], draws, set(items), 2.0, 2, True, 0.5, 0.1)
        leaky, _, _ = reference_example(E, items, items[pick], draws, set(items), 2.0, 2, True, 0.5, 0.1)
        got = E.copy()
        kernel.train_examples(got, np.zeros(6, np.float32), np.array([0]), np.array([0, 3]), items,
                              np.array([0, 3]), items, 0, True, table, 2.0, 4, 2, True, 0.5, 0.1, False, seed)
        np.testing.assert_allclose(got, expected, atol=2e-5)
        assert np.abs(got - leaky).max() > 1e-3


# ============================================================================ trainer on planted structure
def planted_docs(path, n, seed, n_labels=8, topic_words=15, noise_words=300, multi=0.0):
    """Each document: 3 words of its label's topic among 7 noise words (sometimes a second label)."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n):
        lab = int(rng.integers(n_labels))
        words = [f"t{lab}_{rng.integers(topic_words)}" for _ in range(3)] + [f"n{rng.integers(noise_words)}" for _ in range(7)]
        rng.shuffle(words)
        labels = [f"__label__c{lab}"] + ([f"__label__c{(lab + 1) % n_labels}"] if rng.random() < multi else [])
        lines.append(" ".join(labels + words))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted")
    train = read_labelled(planted_docs(folder / "train.txt", 2000, 0, multi=0.2))
    test = read_labelled(planted_docs(folder / "test.txt", 400, 1), words=train.words, labels=train.labels)
    return train, test


def test_tagspace_recovers_planted_word_label_structure(planted):
    train, test = planted
    model = train_starspace(train, StarSpaceConfig(dim=16, epochs=5, threads=1, seed=3))
    trained = evaluate_tags(model, test)
    untrained = evaluate_tags(train_starspace(train, StarSpaceConfig(dim=16, epochs=1, lr=1e-6, threads=1)), test)
    assert trained["hits@1"] > 0.95 and trained["mean_rank"] < 1.1
    assert untrained["hits@1"] < 0.4  # 8 labels: chance is 1/8
    top = model.predict(["t5_1", "t5_7", "n3"], k=3)
    assert top[0][0] == "c5" and len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1]


@pytest.mark.parametrize("similarity,pooling,loss,ngrams,positives", [
    ("dot", "mean", "hinge", 1, "one"), ("cos", "sum", "hinge", 2, "all"), ("dot", "sqrt", "softmax", 2, "one"),
    ("dot", "mean", "logistic", 1, "one")])
def test_tagspace_variants_learn(planted, similarity, pooling, loss, ngrams, positives):
    train, test = planted
    model = train_starspace(train, StarSpaceConfig(dim=16, epochs=5, threads=2, similarity=similarity, loss=loss,
                                                   pooling=pooling, negatives="uniform", ngrams=ngrams,
                                                   buckets=5000, positives=positives))
    assert evaluate_tags(model, test)["hits@1"] > 0.9


def test_one_thread_is_deterministic_and_resumes_bit_identically(planted):
    train, _ = planted
    cfg = StarSpaceConfig(dim=8, epochs=3, threads=1, chunk_examples=300)
    whole = train_starspace(train, cfg).vectors
    assert np.array_equal(whole, train_starspace(train, cfg).vectors)
    first = StarSpaceTrainer(cfg)
    for progress in first.fit(train):
        if progress.cursor == 8:
            ckpt = first.checkpoint()
            break
    second = StarSpaceTrainer(cfg)
    for _ in second.fit(train, resume=ckpt):
        pass
    assert np.array_equal(second.model().vectors, whole)
    assert not np.array_equal(train_starspace(train, cfg.replace(seed=2)).vectors, whole)


def test_wrong_data_for_the_mode_is_a_clear_error(planted, tmp_path):
    train, _ = planted
    with pytest.raises(TypeError, match="user -> items"):
        for _ in StarSpaceTrainer(StarSpaceConfig(mode="pagespace")).fit(train):
            pass


# ============================================================================ PageSpace
def community_users(path, n_users=600, n_groups=6, items_per_group=12, seed=0):
    """Users follow 5-8 items of their community, and a globally popular item now and then."""
    rng = np.random.default_rng(seed)
    lines = []
    for u in range(n_users):
        g = u % n_groups
        chosen = {f"g{g}_{x}" for x in rng.choice(items_per_group, size=rng.integers(5, 9), replace=False)}
        if rng.random() < 0.5:
            chosen.add(f"pop{rng.integers(3)}")
        lines.append(f"user{u} " + " ".join(sorted(chosen)))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_pagespace_beats_popularity_and_neighbours_share_a_community(tmp_path):
    data = read_user_items(community_users(tmp_path / "users.txt"))
    train, held = hold_out_items(data, share=0.2, seed=0)
    model = train_starspace(train, StarSpaceConfig(mode="pagespace", dim=16, epochs=10, threads=1, lr=0.05))
    ours = evaluate_recommendations(model, train, held, ks=(10,))
    popular = popularity_recommendations(train, held, ks=(10,))
    assert ours["recall@10"] > popular["recall@10"] + 0.3
    assert ours["recall@10"] > 0.8  # about 6 unseen items of the user's community: all fit in 10
    near = [name for name, _ in model.similar_labels("g2_3", k=5)]
    assert sum(name.startswith("g2_") for name in near) >= 4
    user = train.user_items(int(held[0, 0]))
    recs = model.predict([train.items[i] for i in user], k=5, exclude=[train.items[i] for i in user])
    assert not {name for name, _ in recs} & {train.items[i] for i in user}


def test_popularity_baseline_by_hand(tmp_path):
    path = tmp_path / "u.txt"
    path.write_text("a x y\nb x z\nc x y\nd w\n")
    train = read_user_items(path)
    ids = {name: i for i, name in enumerate(train.items)}
    # user d (w) held out y: ranking x(3) y(2) z(1): y is second; user b (x z) held out y: first
    held = np.array([[3, ids["y"]], [1, ids["y"]]])
    got = popularity_recommendations(train, held, ks=(1, 2))
    assert got["mean_rank"] == 1.5 and got["recall@1"] == 0.5 and got["recall@2"] == 1.0


# ============================================================================ metrics and model file
def test_tag_metrics_by_hand():
    # words w0, w1; labels a, b, c with vectors chosen so that w0 ranks a > b > c and w1 ranks c > b > a
    vectors = np.array([[1, 0], [0, 1], [1, 0.1], [0.7, 0.7], [0.1, 1]], dtype=np.float32)
    model = SpaceModel("tagspace", ["w0", "w1"], ["a", "b", "c"], vectors, "cos", "mean")
    from embedstudio.data.labelled import LabelledDocs
    docs = LabelledDocs(["w0", "w1"], ["a", "b", "c", "new"], np.array([0, 1, 2, 3]), np.array([0, 1, 0], np.int32),
                        np.array([0, 2, 3, 4]), np.array([1, 2, 0, 3], np.int32))
    m = evaluate_tags(model, docs, ks=(1, 2))
    # doc0 (w0; b, c): ranks a1 b2 c3 -> best 2; doc1 (w1; a): a is 3rd; doc2 (w0; unseen label): last (3)
    assert m["documents"] == 3 and m["mean_rank"] == pytest.approx((2 + 3 + 3) / 3)
    assert m["hits@1"] == 0 and m["hits@2"] == pytest.approx(1 / 3)
    assert m["precision@2"] == pytest.approx((1 / 2) / 3) and m["recall@2"] == pytest.approx((1 / 2) / 3)
    assert m["mrr"] == pytest.approx((1 / 2 + 1 / 3 + 1 / 3) / 3)


def test_model_file_round_trip_and_embedding_kinds(planted, tmp_path):
    train, test = planted
    model = train_starspace(train, StarSpaceConfig(dim=8, epochs=1, threads=1))
    model.save(tmp_path / "m.esspace")
    again = SpaceModel.load(tmp_path / "m.esspace")
    assert np.array_equal(again.vectors, model.vectors) and again.labels == model.labels and again.words == model.words
    assert again.predict(["t1_2"], k=3) == model.predict(["t1_2"], k=3)
    emb = model.embedding()
    assert emb.metadata["kind"].count("label") == len(model.labels) and "__label__c0" in emb
    (tmp_path / "bad.esspace").write_bytes(b"not a model")
    from embedstudio.data.errors import DataFormatError
    with pytest.raises(DataFormatError):
        SpaceModel.load(tmp_path / "bad.esspace")


def test_split_then_train_then_evaluate_uses_names_across_vocabularies(planted):
    train, _ = planted
    part_train, _, part_test = split_docs(train, test=0.2, seed=0)
    model = train_starspace(part_train, StarSpaceConfig(dim=16, epochs=4, threads=1))
    assert evaluate_tags(model, part_test)["hits@1"] > 0.9
