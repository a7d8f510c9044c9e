"""The numba word2vec kernel against a plain-Python reference and closed forms."""

import math

import numpy as np
import pytest

from embedstudio.train.kernels import sgns
from embedstudio.train.kernels.rng import chunk_seed
from tests.train import reference_sgns as ref
from tests.train.conftest import make_corpus, topic_sentences


def _setup(dim=8, seed=3):
    sentences, vocab = topic_sentences(40, n_topics=3, words_per_topic=6, length=9, seed=seed)
    corpus = make_corpus(sentences, vocab)
    rng = np.random.default_rng(seed)
    syn0 = ((rng.random((vocab, dim)) - 0.5) / dim).astype(np.float32)
    syn1 = (rng.standard_normal((vocab, dim)) * 0.1).astype(np.float32)
    return corpus, syn0, syn1


@pytest.mark.parametrize("skipgram,cbow_mean,sample", [(True, True, 0.0), (True, True, 0.005), (False, True, 0.005), (False, False, 0.0)])
def test_kernel_matches_python_reference(skipgram, cbow_mean, sample):
    corpus, syn0, syn1 = _setup()
    counts = corpus.vocab.counts
    keep = sgns.keep_probabilities(counts, sample)
    if sample:
        assert keep.min() < 1.0  # the subsampling branch is exercised
    prob, alias = sgns.alias_table(counts.astype(np.float64) ** 0.75)
    sig, logsig = sgns.sigmoid_tables()
    args = (corpus.tokens, corpus.sentence_starts, 2, 30, keep, prob, alias, sig, logsig, skipgram, cbow_mean,
            3, 4, 0.05, 0.02, chunk_seed(7, 11))
    k0, k1 = syn0.copy(), syn1.copy()
    got = sgns.train_chunk(k0, k1, *args)
    r0, r1 = syn0.copy(), syn1.copy()
    want = ref.train_chunk(r0, r1, *args)
    assert got[1:] == want[1:]  # examples, effective words, words: the same random choices were made
    assert got[0] == pytest.approx(want[0], rel=1e-4)
    np.testing.assert_allclose(k0, r0, atol=2e-5)
    np.testing.assert_allclose(k1, r1, atol=2e-5)
    assert not np.allclose(k0, syn0)  # something was trained


def test_one_positive_step_is_the_logistic_gradient():
    rng = np.random.default_rng(0)
    l1 = rng.standard_normal(16).astype(np.float32) * 0.3
    syn1 = rng.standard_normal((5, 16)).astype(np.float32) * 0.3
    before = syn1.copy()
    neu1e = np.zeros(16, np.float32)
    sig, logsig = sgns.sigmoid_tables()
    prob, alias = sgns.alias_table(np.ones(5))
    alpha = np.float32(0.1)
    loss, _ = sgns._train_targets(l1, syn1, 2, 0, alpha, neu1e, sig, logsig, prob, alias, np.uint64(12345))
    f = float(l1 @ before[2])
    g = (1.0 - ref.sigmoid(f)) * alpha  # d/df log sigmoid(f) = 1 - sigmoid(f)
    step = 2 * sgns.MAX_EXP / sgns.EXP_TABLE_SIZE  # the table's resolution
    assert loss == pytest.approx(-math.log(ref.sigmoid(f)), abs=step)
    np.testing.assert_allclose(syn1[2], before[2] + g * l1, atol=step * alpha)
    np.testing.assert_allclose(neu1e, g * before[2], atol=step * alpha)
    np.testing.assert_array_equal(np.delete(syn1, 2, axis=0), np.delete(before, 2, axis=0))


def test_alias_table_reproduces_the_distribution_exactly():
    weights = np.array([5.0, 1.0, 0.0, 3.0, 0.5, 10.0])
    prob, alias = sgns.alias_table(weights)
    n = len(weights)
    mass = prob.astype(np.float64) / n
    for j in range(n):
        mass[alias[j]] += (1.0 - prob[j]) / n
    np.testing.assert_allclose(mass, weights / weights.sum(), atol=1e-6)


def test_keep_probabilities_follow_word2vec_formula():
    counts = np.array([1000, 100, 10, 1])
    keep = sgns.keep_probabilities(counts, 1e-2)
    t = 1e-2 * counts.sum()
    expected = np.minimum((np.sqrt(counts / t) + 1) * t / counts, 1.0)
    np.testing.assert_allclose(keep, expected, rtol=1e-6)
    assert keep[0] < keep[1] < 1.0 and keep[3] == 1.0
    assert (sgns.keep_probabilities(counts, 0.0) == 1.0).all()


@pytest.mark.parametrize("skipgram,cbow_mean,sample", [(True, True, 0.0), (True, True, 0.005), (False, True, 0.005),
                                                       (False, False, 0.0)])
def test_eval_kernel_matches_python_reference_and_changes_nothing(skipgram, cbow_mean, sample):
    corpus, syn0, syn1 = _setup()
    counts = corpus.vocab.counts
    keep = sgns.keep_probabilities(counts, sample)
    prob, alias = sgns.alias_table(counts.astype(np.float64) ** 0.75)
    sentences = np.array([1, 4, 5, 17, 30, 39], dtype=np.int64)
    args = (corpus.tokens, corpus.sentence_starts, sentences, keep, prob, alias, skipgram, cbow_mean, 3, 4,
            chunk_seed(7, -1))
    k0, k1 = syn0.copy(), syn1.copy()
    loss, examples = sgns.eval_loss(k0, k1, *args)
    want_loss, want_examples = ref.eval_loss(syn0, syn1, *args)
    assert examples == want_examples > 0  # the same windows, subsampling and negatives
    assert loss == pytest.approx(want_loss, rel=1e-5)
    np.testing.assert_array_equal(k0, syn0)  # bitwise: evaluation only
    np.testing.assert_array_equal(k1, syn1)
    assert sgns.eval_loss(k0, k1, *args) == (loss, examples)  # the same terms at every call


def test_eval_loss_is_the_exact_logistic_loss_not_the_clipped_table():
    """Two words, window 1, no negatives: closed form -log σ(u·v) for each direction, also beyond the table's
    ±6 where training counts a capped 6."""
    syn0 = np.array([[0.3, -0.2], [2.5, 2.0]], np.float32)
    syn1 = np.array([[-1.5, -2.7], [0.4, 2.0]], np.float32)  # u1·v0 = -9.15: far below the table's -6
    tokens = np.array([0, 1], np.int32)
    starts = np.array([0, 2], np.int64)
    prob, alias = sgns.alias_table(np.array([1.0, 1.0]))
    loss, examples = sgns.eval_loss(syn0, syn1, tokens, starts, np.array([0]), np.ones(2, np.float32), prob, alias,
                                    True, True, 1, 0, 5)
    assert examples == 2  # (centre 0, context 1) and (centre 1, context 0)
    f10, f01 = float(syn0[1] @ syn1[0]), float(syn0[0] @ syn1[1])
    assert loss == pytest.approx(math.log1p(math.exp(-f10)) + math.log1p(math.exp(-f01)), rel=1e-6)
    assert loss > 9.0  # the capped table would have said at most 6 + softplus(-f01)
