"""word2vec kernels: skip-gram and CBOW with negative sampling, one chunk of sentences per call.

The arithmetic follows Mikolov et al.'s word2vec.c (and gensim): a sigmoid table on [-6, 6],
frequent-word subsampling, a dynamic ("reduced") window, negatives drawn from unigram^0.75
(here by an alias table: exact distribution, O(1) per draw), the target itself never used as
its own negative. Loss is summed in float64. ``eval_loss`` scores the same objective with nothing
updated, on a fixed sample of sentences (the trainer's figure after each epoch).
"""

import numpy as np
from numba import njit

from embedstudio.train.kernels.rng import below, next_state, output, splitmix64, uniform01

EXP_TABLE_SIZE = 1000
MAX_EXP = 6.0


def sigmoid_tables() -> tuple[np.ndarray, np.ndarray]:
    """sigmoid(x) and log(sigmoid(x)) on EXP_TABLE_SIZE points of [-MAX_EXP, MAX_EXP)."""
    x = (np.arange(EXP_TABLE_SIZE, dtype=np.float64) / EXP_TABLE_SIZE * 2.0 - 1.0) * MAX_EXP
    sig = 1.0 / (1.0 + np.exp(-x))
    return sig.astype(np.float32), np.log(sig)


def alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table for sampling index i with probability weights[i] / sum."""
    w = np.asarray(weights, dtype=np.float64)
    n = len(w)
    scaled = w * (n / w.sum())
    prob = np.ones(n, dtype=np.float64)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s = small.pop()
        g = large.pop()
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] = scaled[g] + scaled[s] - 1.0
        (small if scaled[g] < 1.0 else large).append(g)
    return prob.astype(np.float32), alias


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec's subsampling: keep a word of count c with (sqrt(c / t) + 1) * t / c, t = sample * total."""
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones(len(counts), dtype=np.float32)
    t = sample * counts.sum()
    keep = (np.sqrt(counts / t) + 1.0) * t / np.maximum(counts, 1.0)
    return np.minimum(keep, 1.0).astype(np.float32)


@njit(nogil=True, cache=True, inline="always")
def _table_index(f):
    return int((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2.0))


@njit(nogil=True, cache=True)
def _negative(state, vocab, alias_prob, alias_idx):
    """One negative drawn from the noise distribution (alias method): (state, word)."""
    state = next_state(state)
    r = output(state)
    target = below(r, vocab)
    if uniform01(r) >= alias_prob[target]:
        target = alias_idx[target]
    return state, target


@njit(nogil=True, cache=True, fastmath=True)
def _train_targets(l1, syn1, center, negative, alpha, neu1e, sig_table, logsig_table, alias_prob, alias_idx, state):
    """One positive (center) and `negative` sampled targets against the input vector l1.

    Accumulates the input's gradient in neu1e and updates syn1 in place. Returns (loss, state).
    """
    dim = l1.shape[0]
    vocab = syn1.shape[0]
    loss = 0.0
    for k in range(negative + 1):
        if k == 0:
            target = center
            label = np.float32(1.0)
        else:
            state, target = _negative(state, vocab, alias_prob, alias_idx)
            if target == center:
                continue
            label = np.float32(0.0)
        row = syn1[target]
        f = np.float32(0.0)
        for d in range(dim):
            f += l1[d] * row[d]
        if f >= MAX_EXP:
            g = (label - np.float32(1.0)) * alpha
            if label == 0.0:
                loss += MAX_EXP  # -log(1 - sigmoid(f)) ~ f, capped as the table is
        elif f <= -MAX_EXP:
            g = label * alpha
            if label == 1.0:
                loss += MAX_EXP
        else:
            g = (label - sig_table[_table_index(f)]) * alpha
            if label == 1.0:
                loss -= logsig_table[_table_index(f)]
            else:
                loss -= logsig_table[_table_index(-f)]
        for d in range(dim):
            t = row[d]
            neu1e[d] += g * t
            row[d] = t + g * l1[d]
    return loss, state


@njit(nogil=True, cache=True)
def _window(state, i, n, window):
    """word2vec's reduced window around position i of n kept words: (state, lo, hi)."""
    state = next_state(state)
    reduced = below(output(state), window)
    return state, max(0, i - window + reduced), min(n, i + window + 1 - reduced)


@njit(nogil=True, cache=True)
def _subsample(tokens, start, stop, keep_prob, kept, state):
    """The tokens [start, stop) that survive subsampling, into ``kept``: (how many, state)."""
    n = 0
    for t in range(start, stop):
        w = tokens[t]
        if keep_prob[w] < 1.0:
            state = next_state(state)
            if uniform01(output(state)) >= keep_prob[w]:
                continue
        kept[n] = w
        n += 1
    return n, state


@njit(nogil=True, cache=True, fastmath=True)
def _context(syn0, kept, lo, hi, i, cbow_mean, neu1):
    """CBOW's input: the sum (or mean) of the rows of kept[lo:hi] but position i, into ``neu1``; returns how
    many there were."""
    dim = syn0.shape[1]
    neu1[:] = 0.0
    count = 0
    for j in range(lo, hi):
        if j != i:
            count += 1
            row = syn0[kept[j]]
            for d in range(dim):
                neu1[d] += row[d]
    if count > 0 and cbow_mean:
        inv = np.float32(1.0 / count)
        for d in range(dim):
            neu1[d] *= inv
    return count


@njit(nogil=True, cache=True, fastmath=True)
def train_chunk(
    syn0, syn1, tokens, sentence_starts, first_sentence, end_sentence, keep_prob, alias_prob, alias_idx,
    sig_table, logsig_table, skipgram, cbow_mean, window, negative, alpha_start, alpha_end, seed,
):
    """Train on sentences [first_sentence, end_sentence) of the token stream.

    The learning rate falls linearly from alpha_start to alpha_end across the chunk's tokens.
    Returns (loss sum, examples, effective words after subsampling, words before it).
    """
    dim = syn0.shape[1]
    neu1 = np.zeros(dim, dtype=np.float32)
    neu1e = np.zeros(dim, dtype=np.float32)
    longest = 0
    for s in range(first_sentence, end_sentence):
        longest = max(longest, sentence_starts[s + 1] - sentence_starts[s])
    kept = np.empty(longest, dtype=np.int32)
    state = splitmix64(seed)
    first_token = sentence_starts[first_sentence]
    n_tokens = max(sentence_starts[end_sentence] - first_token, 1)
    loss = 0.0
    examples = 0
    effective = 0
    for s in range(first_sentence, end_sentence):
        start = sentence_starts[s]
        stop = sentence_starts[s + 1]
        alpha = np.float32(alpha_start + (alpha_end - alpha_start) * ((start - first_token) / n_tokens))
        n, state = _subsample(tokens, start, stop, keep_prob, kept, state)
        effective += n
        for i in range(n):
            state, lo, hi = _window(state, i, n, window)
            center = kept[i]
            if skipgram:
                for j in range(lo, hi):
                    if j == i:
                        continue
                    l1 = syn0[kept[j]]
                    neu1e[:] = 0.0
                    pair_loss, state = _train_targets(
                        l1, syn1, center, negative, alpha, neu1e, sig_table, logsig_table,
                        alias_prob, alias_idx, state,
                    )
                    loss += pair_loss
                    examples += 1
                    for d in range(dim):
                        l1[d] += neu1e[d]
            else:
                count = _context(syn0, kept, lo, hi, i, cbow_mean, neu1)
                if count == 0:
                    continue
                neu1e[:] = 0.0
                pair_loss, state = _train_targets(
                    neu1, syn1, center, negative, alpha, neu1e, sig_table, logsig_table, alias_prob, alias_idx, state,
                )
                loss += pair_loss
                examples += 1
                if not cbow_mean:
                    inv = np.float32(1.0 / count)
                    for d in range(dim):
                        neu1e[d] *= inv
                for j in range(lo, hi):
                    if j == i:
                        continue
                    row = syn0[kept[j]]
                    for d in range(dim):
                        row[d] += neu1e[d]
    return loss, examples, effective, sentence_starts[end_sentence] - first_token


@njit(nogil=True, cache=True, fastmath=True, inline="always")
def _softplus(x):
    """log(1 + e^x) for a float32 x, without overflow: -log sigmoid(f) = softplus(-f). (float32: half the
    time of float64 here, and 1e-7 relative is plenty for a loss summed in float64.)"""
    if x > 0.0:
        return x + np.log1p(np.exp(-x))
    return np.log1p(np.exp(x))


@njit(nogil=True, cache=True, fastmath=True)
def _score_targets(l1, syn1, center, negative, alias_prob, alias_idx, state):
    """_train_targets' loss for the input l1, exact (no table, no cap), nothing updated: (loss, state)."""
    dim = l1.shape[0]
    vocab = syn1.shape[0]
    loss = 0.0
    for k in range(negative + 1):
        if k == 0:
            target = center
        else:
            state, target = _negative(state, vocab, alias_prob, alias_idx)
            if target == center:
                continue
        row = syn1[target]
        f = np.float32(0.0)
        for d in range(dim):
            f += l1[d] * row[d]
        loss += _softplus(-f) if k == 0 else _softplus(f)
    return loss, state


@njit(nogil=True, cache=True, fastmath=True)
def eval_loss(syn0, syn1, tokens, sentence_starts, sentences, keep_prob, alias_prob, alias_idx, skipgram, cbow_mean,
              window, negative, seed):
    """The objective train_chunk minimises, on the listed sentences, with nothing updated.

    The random choices (subsampling, reduced windows, negatives) are drawn as train_chunk draws
    them, each sentence from its own state (``seed`` and its number: a sample split among threads
    draws the same). They do not depend on the vectors, so one seed scores the same (word, context,
    negatives) terms at every call and two calls differ only by what training changed. The loss is
    exact, -log σ(u·v) - Σ log σ(-u·n) summed in float64, not the table (capped at ±6) training
    counts with. Returns (loss sum, examples).
    """
    dim = syn0.shape[1]
    neu1 = np.zeros(dim, dtype=np.float32)
    longest = 0
    for s in sentences:
        longest = max(longest, sentence_starts[s + 1] - sentence_starts[s])
    kept = np.empty(longest, dtype=np.int32)
    loss = 0.0
    examples = 0
    for s in sentences:
        state = splitmix64(splitmix64(seed) + np.uint64(s))
        n, state = _subsample(tokens, sentence_starts[s], sentence_starts[s + 1], keep_prob, kept, state)
        for i in range(n):
            state, lo, hi = _window(state, i, n, window)
            center = kept[i]
            if skipgram:
                for j in range(lo, hi):
                    if j != i:
                        pair_loss, state = _score_targets(syn0[kept[j]], syn1, center, negative, alias_prob,
                                                          alias_idx, state)
                        loss += pair_loss
                        examples += 1
            else:
                if _context(syn0, kept, lo, hi, i, cbow_mean, neu1) == 0:
                    continue
                pair_loss, state = _score_targets(neu1, syn1, center, negative, alias_prob, alias_idx, state)
                loss += pair_loss
                examples += 1
    return loss, examples
