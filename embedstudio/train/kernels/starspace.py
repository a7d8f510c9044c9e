"""StarSpace (Wu et al. 2018): one chunk of examples per call, margin ranking loss, row-wise Adagrad.

Every entity (a word, a label, an item) is a row of one matrix ``E``. An example is a bag of rows
on the left (a document's words, or a user's items) and one positive row on the right (one of the
document's labels, or one of the user's items, picked at random at each visit). The left side is
``a = sum(E[bag]) / |bag|^pool_exp`` (0: sum, 0.5: StarSpace's default, 1: mean).

Negatives: up to ``neg_search`` rows are drawn from ``neg_table`` (a table of rows in proportion
to how often they are positives, or each row once for uniform sampling); rows that are positives
of the example are skipped. Those whose hinge ``margin - sim(a, p) + sim(a, n)`` is positive are
kept, at most ``max_neg`` of them, and the loss is their mean hinge (StarSpace's rule; the loss
reported is that mean, 0 when no negative violates the margin). ``sim`` is the dot product or the
cosine.

Leave-one-out (PageSpace): left and right come from the same list, and the positive is removed
from the bag, so the item to predict is never part of the input.
"""

import numpy as np
from numba import njit

from embedstudio.train.kernels.rng import below, next_state, output, splitmix64

_EPS = 1e-12


@njit(nogil=True, cache=True, inline="always")
def _dot(x, y):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * y[i]
    return s


@njit(nogil=True, cache=True)
def similarity_grads(a, b, cosine, grad_a, grad_b):
    """sim(a, b); writes ∂sim/∂a to ``grad_a`` and ∂sim/∂b to ``grad_b``."""
    dim = a.shape[0]
    ab = _dot(a, b)
    if not cosine:
        for i in range(dim):
            grad_a[i] = b[i]
            grad_b[i] = a[i]
        return ab
    na = np.sqrt(max(_dot(a, a), _EPS))
    nb = np.sqrt(max(_dot(b, b), _EPS))
    c = ab / (na * nb)
    for i in range(dim):
        grad_a[i] = b[i] / (na * nb) - c * a[i] / (na * na)
        grad_b[i] = a[i] / (na * nb) - c * b[i] / (nb * nb)
    return c


@njit(nogil=True, cache=True, inline="always")
def _is_positive(row, pos_idx, plo, phi, pos_offset):
    """Whether ``row`` is one of the example's positives (a negative drawn there is skipped)."""
    for k in range(plo, phi):
        if pos_idx[k] + pos_offset == row:
            return True
    return False


@njit(nogil=True, cache=True, inline="always")
def _update_row(E, state, row, g, lr, adagrad):
    dim = g.shape[0]
    if adagrad:
        sq = 0.0
        for i in range(dim):
            sq += g[i] * g[i]
        state[row] += sq / dim
        step = lr / np.sqrt(state[row] + 1e-6)
    else:
        step = lr
    for i in range(dim):
        E[row, i] -= step * g[i]


@njit(nogil=True, cache=True)
def train_examples(E, state, order, lhs_indptr, lhs_idx, pos_indptr, pos_idx, pos_offset, leave_one_out,
                   neg_table, margin, neg_search, max_neg, cosine, pool_exp, lr, adagrad, seed, all_positives=False,
                   softmax=False, logistic=False):
    """Train on the examples ``order`` (row numbers of the CSR lists); returns (loss sum, examples).

    ``lhs_idx`` rows are used as they are; ``pos_idx`` rows get ``pos_offset`` added (labels sit
    after the words in ``E``). ``neg_table`` holds rows of ``E``. All gradients of an example are
    computed from the rows as they were before any of its updates. ``all_positives``: every
    positive of a row is an example in turn (one-vs-all over its labels) instead of one at random.
    ``softmax``: the loss is -log softmax of the positive's similarity among it and every drawn
    negative (``margin`` and ``max_neg`` unused), as StarSpace's ``-loss softmax``. ``logistic``:
    one binary logistic loss per positive (-log σ(s)) and per drawn negative (-log σ(-s)), with every
    positive of the row at once (fastText's one-vs-all, over sampled negatives).
    """
    dim = E.shape[1]
    s = splitmix64(seed)
    a = np.zeros(dim, dtype=np.float32)
    grad_a = np.zeros(dim, dtype=np.float32)
    neg_sum_a = np.zeros(dim, dtype=np.float32)
    g_tmp = np.zeros(dim, dtype=np.float32)
    grad_p = np.zeros(dim, dtype=np.float32)
    if softmax or logistic:  # every drawn negative (and, for logistic, every positive) is kept: size for this chunk
        most_pos = 0
        for t in range(order.shape[0]):
            most_pos = max(most_pos, pos_indptr[order[t] + 1] - pos_indptr[order[t]])
        max_neg = neg_search + most_pos
    else:
        max_neg = max(max_neg, 1)
    neg_rows = np.empty(max(max_neg, 1), dtype=np.int64)
    neg_grads = np.zeros((max(max_neg, 1), dim), dtype=np.float32)
    neg_scores = np.zeros(max(max_neg, 1), dtype=np.float64)
    loss_sum = 0.0
    examples = 0
    n_table = neg_table.shape[0]
    for t in range(order.shape[0]):
        d = order[t]
        plo = pos_indptr[d]
        phi = pos_indptr[d + 1]
        if phi == plo:
            continue
        lo = lhs_indptr[d]
        hi = lhs_indptr[d + 1]
        n_bag = hi - lo - (1 if leave_one_out else 0)
        if n_bag <= 0:
            continue
        if logistic:
            examples += 1
            loss_sum += _logistic_step(E, state, lhs_idx, lo, hi, pos_idx, plo, phi, pos_offset, n_bag, pool_exp,
                                       neg_table, neg_search, cosine, lr, adagrad, s, a, grad_a, neg_sum_a, g_tmp,
                                       grad_p, neg_rows, neg_grads)
            for _ in range(neg_search):  # the draws _logistic_step made
                s = next_state(s)
            continue
        n_picks = phi - plo if all_positives else 1
        for q in range(n_picks):
            if all_positives:
                pick = plo + q
            else:
                s = next_state(s)
                pick = plo + below(output(s), phi - plo)
            p = pos_idx[pick] + pos_offset
            examples += 1
            scale = np.float32(1.0 / n_bag ** pool_exp)
            a[:] = 0.0
            for k in range(lo, hi):
                if leave_one_out and k == pick:
                    continue
                row = lhs_idx[k]
                for i in range(dim):
                    a[i] += E[row, i]
            for i in range(dim):
                a[i] *= scale
            pos_sim = similarity_grads(a, E[p], cosine, grad_a, grad_p)
            if softmax:
                loss_sum += _softmax_step(E, state, a, scale, p, pos_sim, grad_a, grad_p, lhs_idx, lo, hi,
                                          leave_one_out, pick, pos_idx, plo, phi, pos_offset, neg_table, neg_search,
                                          cosine, lr, adagrad, s, neg_rows, neg_grads, neg_scores, neg_sum_a, g_tmp)
                for _ in range(neg_search):  # the draws _softmax_step made, so both losses use the RNG alike
                    s = next_state(s)
                continue
            n_neg = 0
            hinge_sum = 0.0
            neg_sum_a[:] = 0.0
            for _ in range(neg_search):
                s = next_state(s)
                n = neg_table[below(output(s), n_table)]
                if _is_positive(n, pos_idx, plo, phi, pos_offset):
                    continue
                neg_sim = similarity_grads(a, E[n], cosine, g_tmp, neg_grads[n_neg])
                hinge = margin - pos_sim + neg_sim
                if hinge <= 0.0:
                    continue
                hinge_sum += hinge
                for i in range(dim):
                    neg_sum_a[i] += g_tmp[i]
                neg_rows[n_neg] = n
                n_neg += 1
                if n_neg == max_neg:
                    break
            if n_neg == 0:
                continue
            loss_sum += hinge_sum / n_neg
            inv = np.float32(1.0 / n_neg)
            # loss = mean over violators of (margin - pos + neg):
            #   ∂/∂a = -∂pos/∂a + mean ∂neg/∂a,  ∂/∂p = -∂pos/∂p,  ∂/∂n_j = ∂neg_j/∂n_j / n_neg
            for i in range(dim):
                grad_p[i] = -grad_p[i]
                grad_a[i] = scale * (inv * neg_sum_a[i] - grad_a[i])  # chain rule through the pooling
            _update_row(E, state, p, grad_p, lr, adagrad)
            for j in range(n_neg):
                for i in range(dim):
                    g_tmp[i] = inv * neg_grads[j, i]
                _update_row(E, state, neg_rows[j], g_tmp, lr, adagrad)
            for k in range(lo, hi):
                if leave_one_out and k == pick:
                    continue
                _update_row(E, state, lhs_idx[k], grad_a, lr, adagrad)
    return loss_sum, examples


@njit(nogil=True, cache=True)
def _softmax_step(E, state, a, scale, p, pos_sim, grad_a, grad_p, lhs_idx, lo, hi, leave_one_out, pick, pos_idx,
                  plo, phi, pos_offset, neg_table, neg_search, cosine, lr, adagrad, s, neg_rows, neg_grads,
                  neg_scores, neg_sum_a, g_tmp):
    """One softmax example: scores of the positive and the drawn negatives, then one update.
    On entry grad_a = ∂pos/∂a and grad_p = ∂pos/∂p; returns the example's loss."""
    dim = a.shape[0]
    n_neg = 0
    n_table = neg_table.shape[0]
    neg_sum_a[:] = 0.0
    top = pos_sim
    for _ in range(neg_search):
        s = next_state(s)
        n = neg_table[below(output(s), n_table)]
        if _is_positive(n, pos_idx, plo, phi, pos_offset):
            continue
        neg_scores[n_neg] = similarity_grads(a, E[n], cosine, g_tmp, neg_grads[n_neg])
        neg_rows[n_neg] = n
        top = max(top, neg_scores[n_neg])
        n_neg += 1
    z = np.exp(pos_sim - top)
    for j in range(n_neg):
        z += np.exp(neg_scores[j] - top)
    p_pos = np.exp(pos_sim - top) / z
    loss = -np.log(max(p_pos, 1e-30))
    # ∂loss/∂s_pos = p_pos - 1, ∂loss/∂s_j = p_j: through each similarity to a, the rows and the bag
    w_pos = np.float32(p_pos - 1.0)
    for i in range(dim):
        neg_sum_a[i] = w_pos * grad_a[i]
        grad_p[i] = w_pos * grad_p[i]
    for j in range(n_neg):
        w = np.float32(np.exp(neg_scores[j] - top) / z)
        similarity_grads(a, E[neg_rows[j]], cosine, g_tmp, neg_grads[j])  # g_tmp = ∂s_j/∂a (rows unchanged yet)
        for i in range(dim):
            neg_sum_a[i] += w * g_tmp[i]
            neg_grads[j, i] *= w
    for i in range(dim):
        neg_sum_a[i] *= scale
    _update_row(E, state, p, grad_p, lr, adagrad)
    for j in range(n_neg):
        _update_row(E, state, neg_rows[j], neg_grads[j], lr, adagrad)
    for k in range(lo, hi):
        if leave_one_out and k == pick:
            continue
        _update_row(E, state, lhs_idx[k], neg_sum_a, lr, adagrad)
    return loss


@njit(nogil=True, cache=True, inline="always")
def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(x)
    return e / (1.0 + e)


@njit(nogil=True, cache=True)
def _logistic_step(E, state, lhs_idx, lo, hi, pos_idx, plo, phi, pos_offset, n_bag, pool_exp, neg_table, neg_search,
                   cosine, lr, adagrad, s, a, grad_a, sum_a, g_tmp, grad_p, rows, grads):
    """One row, one-vs-all: every positive of the row and every drawn negative, one update."""
    dim = a.shape[0]
    scale = np.float32(1.0 / n_bag ** pool_exp)
    a[:] = 0.0
    for k in range(lo, hi):
        row = lhs_idx[k]
        for i in range(dim):
            a[i] += E[row, i]
    for i in range(dim):
        a[i] *= scale
    sum_a[:] = 0.0
    loss = 0.0
    n = 0
    for k in range(plo, phi):  # positives: ∂(-log σ(s))/∂s = σ(s) - 1
        sim = similarity_grads(a, E[pos_idx[k] + pos_offset], cosine, g_tmp, grads[n])
        w = np.float32(_sigmoid(sim) - 1.0)
        loss -= np.log(max(_sigmoid(sim), 1e-30))
        for i in range(dim):
            sum_a[i] += w * g_tmp[i]
            grads[n, i] *= w
        rows[n] = pos_idx[k] + pos_offset
        n += 1
    n_table = neg_table.shape[0]
    for _ in range(neg_search):  # negatives: ∂(-log σ(-s))/∂s = σ(s)
        s = next_state(s)
        r = neg_table[below(output(s), n_table)]
        if _is_positive(r, pos_idx, plo, phi, pos_offset):
            continue
        sim = similarity_grads(a, E[r], cosine, g_tmp, grads[n])
        w = np.float32(_sigmoid(sim))
        loss -= np.log(max(1.0 - _sigmoid(sim), 1e-30))
        for i in range(dim):
            sum_a[i] += w * g_tmp[i]
            grads[n, i] *= w
        rows[n] = r
        n += 1
    for j in range(n):
        _update_row(E, state, rows[j], grads[j], lr, adagrad)
    for i in range(dim):
        sum_a[i] *= scale
    for k in range(lo, hi):
        _update_row(E, state, lhs_idx[k], sum_a, lr, adagrad)
    return loss
