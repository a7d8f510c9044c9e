"""The graph kernel against a float64 numpy reference: scores, losses and every gradient."""

import numpy as np
import pytest

from embedstudio.graphmodel import OPERATORS, apply_operator, identity_params, prepare
from embedstudio.train.kernels import graph as k
from embedstudio.train.kernels.rng import below, next_state, output, splitmix64


def _uniform_draws(seed, n_groups, uniform, lo_l, hi_l, lo_r, hi_r):
    """The kernel's uniform negatives, replayed: each group its own state, tails' draws then heads'."""
    out = []
    for g in range(n_groups):
        # uint64 throughout, as in the kernel (a Python int would type as int64)
        state = np.uint64(splitmix64(np.uint64(splitmix64(seed)) + np.uint64(g)))
        per_side = []
        for lo, hi in ((lo_r, hi_r), (lo_l, hi_l)):
            rows = []
            for _ in range(uniform):
                state = np.uint64(next_state(state))
                rows.append(lo + below(np.uint64(output(state)), hi - lo))
            per_side.append(np.array(rows, dtype=np.int64))
        out.append(per_side)
    return out


def reference_loss(emb, lp, rp, edges, weights, op, comparator, loss_kind, margin, chunk, draws):
    """Loss of one batch, in float64 numpy, PBG's definition (an edge never counts against itself)."""
    total = 0.0
    for c, c0 in enumerate(range(0, len(edges), chunk)):
        e = edges[c0:c0 + chunk]
        w = weights[c0:c0 + chunk]
        h, r, t = e[:, 0], e[:, 1], e[:, 2]
        for side, (known, params, cand_rows) in enumerate(((h, lp, t), (t, rp, h))):
            q = prepare(comparator, apply_operator(op, params, r, emb[known]))
            rows = np.concatenate([cand_rows, draws[c][side]])
            cands = prepare(comparator, emb[rows].astype(np.float64))
            s = q @ cands.T
            n = len(e)
            pos = s[np.arange(n), np.arange(n)]
            neg = s.copy()
            neg[np.arange(n), np.arange(n)] = -np.inf
            if loss_kind == "ranking":
                total += float((w[:, None] * np.maximum(margin - pos[:, None] + neg, 0.0)).sum())
            else:
                m = np.maximum(pos, neg.max(axis=1))
                lse = m + np.log(np.exp(pos - m) + np.exp(neg - m[:, None]).sum(axis=1))
                total += float((w * (lse - pos)).sum())
    return total


def numeric_grad(f, x, eps=1e-5):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        up = f()
        x[idx] = old - eps
        down = f()
        x[idx] = old
        g[idx] = (up - down) / (2 * eps)
    return g


def one_step(emb, state, lp, rp, edges, weights, op, comparator, loss_kind, margin, chunk, uniform, lr, seed,
             adagrad=False, workers=1, pool=None):
    """train_batch on one array (both sides), every row a candidate for uniform negatives."""
    n = len(emb)
    buffers = k.GradientBuffers(workers, n, len(edges), chunk, uniform, emb.shape[1], len(lp), lp.shape[1])
    return k.train_batch(
        emb, state, emb, state, True, lp, rp, np.zeros_like(lp), np.zeros_like(rp), edges, weights, 0, n, 0, n,
        k.OPERATOR_CODES[op], comparator == "cos", k.LOSS_RANKING if loss_kind == "ranking" else k.LOSS_SOFTMAX,
        margin, chunk, uniform, lr, lr, adagrad, seed, buffers, pool)


def run_kernel(emb, lp, rp, edges, weights, op, comparator, loss_kind, margin, chunk, uniform, lr, seed):
    emb32 = emb.astype(np.float32)
    lp32, rp32 = lp.astype(np.float32), rp.astype(np.float32)
    loss, count = one_step(emb32, np.zeros(len(emb), np.float32), lp32, rp32, edges, weights.astype(np.float32),
                           op, comparator, loss_kind, margin, chunk, uniform, lr, seed)
    return loss, count, emb32, lp32, rp32


@pytest.mark.parametrize("op", OPERATORS)
@pytest.mark.parametrize("comparator,loss_kind", [("dot", "ranking"), ("cos", "softmax"), ("cos", "ranking")])
def test_one_sgd_step_follows_the_exact_gradient_of_the_batch_loss(op, comparator, loss_kind):
    rng = np.random.default_rng(3)
    n, dim, n_rel, chunk, uniform, seed = 30, 6, 3, 4, 3, 11
    emb = rng.normal(size=(n, dim)) * 0.7
    lp = identity_params(op, n_rel, dim) + rng.normal(size=(n_rel, identity_params(op, 1, dim).shape[1])) * 0.3
    rp = identity_params(op, n_rel, dim) + rng.normal(size=lp.shape) * 0.3
    edges = np.stack([rng.integers(0, n, 10), rng.integers(0, n_rel, 10), rng.integers(0, n, 10)], 1)
    weights = rng.uniform(0.5, 2.0, 10)
    draws = _uniform_draws(seed, 3, uniform, 0, n, 0, n)
    # float32 rounding of the inputs, so that reference and kernel start from the same numbers
    emb, lp, rp = emb.astype(np.float32).astype(np.float64), lp.astype(np.float32).astype(np.float64), \
        rp.astype(np.float32).astype(np.float64)

    def f():
        return reference_loss(emb, lp, rp, edges, weights, op, comparator, loss_kind, 0.5, chunk, draws)

    lr = 1e-3
    loss, count, new_emb, new_lp, new_rp = run_kernel(emb, lp, rp, edges, weights, op, comparator, loss_kind,
                                                        0.5, chunk, uniform, lr, seed)
    assert count == 10
    assert loss == pytest.approx(f(), rel=1e-4)
    np.testing.assert_allclose((emb - new_emb) / lr, numeric_grad(f, emb), atol=2e-2, rtol=2e-2)
    if lp.size:
        np.testing.assert_allclose((lp - new_lp) / lr, numeric_grad(f, lp), atol=2e-2, rtol=2e-2)
        np.testing.assert_allclose((rp - new_rp) / lr, numeric_grad(f, rp), atol=2e-2, rtol=2e-2)


def test_row_adagrad_takes_one_step_per_row_with_the_mean_squared_gradient():
    # One edge, no negatives but the other edge: after one batch each touched row moved by
    # lr * g / sqrt(mean(g^2)), i.e. its RMS step is exactly lr.
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(4, 8)).astype(np.float32)
    edges = np.array([[0, 0, 1], [2, 0, 3]], dtype=np.int64)
    before = emb.copy()
    state = np.zeros(4, np.float32)
    params = np.zeros((1, 0), np.float32)
    one_step(emb, state, params, params.copy(), edges, np.zeros(0, np.float32), "none", "dot", "ranking", 100.0,
             2, 0, 0.1, 1, adagrad=True)
    step = emb - before
    rms = np.sqrt((step.astype(np.float64) ** 2).mean(axis=1))
    np.testing.assert_allclose(rms, 0.1, rtol=1e-4)
    assert (state > 0).all()


def test_when_few_negatives_violate_the_margin_the_sparse_gradient_path_agrees_with_the_reference():
    # Planted positives score far above every negative: only a few coefficients are non-zero, so
    # the kernel takes its loop path instead of the two gradient matrix products.
    rng = np.random.default_rng(5)
    n, dim = 40, 6
    emb = rng.normal(size=(n, dim)) * 0.3
    heads = np.arange(12)
    emb[heads + 20] = 4 * emb[heads] + rng.normal(size=(12, dim)) * 0.05
    edges = np.stack([heads, np.zeros(12, int), heads + 20], 1)
    emb = emb.astype(np.float32).astype(np.float64)
    lp = identity_params("none", 1, dim)
    weights = np.ones(12)
    draws = _uniform_draws(7, 2, 2, 0, n, 0, n)

    def f():
        return reference_loss(emb, lp, lp, edges, weights, "none", "dot", "ranking", 0.1, 6, draws)

    scores = emb[heads] @ emb[heads + 20].T
    assert (scores + 0.1 > np.diag(scores)[:, None]).sum() - 12 < 12 * 12 / 6  # few violations
    assert f() > 0  # but some: the gradient is not trivially zero
    lr = 1e-3
    loss, _, new_emb, _, _ = run_kernel(emb, lp, lp, edges, weights, "none", "dot", "ranking", 0.1, 6, 2, lr, 7)
    assert loss == pytest.approx(f(), rel=1e-4)
    np.testing.assert_allclose((emb - new_emb) / lr, numeric_grad(f, emb), atol=2e-2, rtol=2e-2)


@pytest.mark.parametrize("workers", [2, 3])
def test_a_batch_shared_among_threads_takes_the_same_step_as_one_thread(workers):
    # Workers take groups of the batch as they free up and sum their gradients apart; the step
    # must not depend on that (each group draws its own negatives; a row is updated once).
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(8)
    n, dim, n_rel = 60, 8, 3
    emb = (rng.normal(size=(n, dim)) * 0.5).astype(np.float32)
    lp = (identity_params("complex_diagonal", n_rel, dim) + rng.normal(size=(n_rel, dim)) * 0.2).astype(np.float32)
    rp = lp[::-1].copy()
    edges = np.stack([rng.integers(0, n, 70), rng.integers(0, n_rel, 70), rng.integers(0, n, 70)], 1)
    weights = np.zeros(0, np.float32)
    results = []
    with ThreadPoolExecutor(workers - 1) as pool:
        for w, p in ((1, None), (workers, pool)):
            e, s, l, r = emb.copy(), np.zeros(n, np.float32), lp.copy(), rp.copy()
            for step in range(3):  # the buffers are reused from batch to batch
                loss, count = one_step(e, s, l, r, edges[step * 20:step * 20 + 30], weights, "complex_diagonal", "dot",
                                       "ranking", 0.5, 4, 5, 0.05, 100 + step, adagrad=True, workers=w, pool=p)
            results.append((loss, count, e, s, l, r))
    (loss1, count1, *one), (loss2, count2, *shared) = results
    assert count1 == count2 == 30
    assert loss2 == pytest.approx(loss1, rel=1e-5)
    assert not np.array_equal(one[0], emb)  # it trained
    for a, b in zip(one, shared):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", OPERATORS)
@pytest.mark.parametrize("comparator,loss_kind", [("dot", "ranking"), ("cos", "softmax"), ("cos", "ranking")])
def test_the_eval_kernel_scores_the_loss_training_counts_and_changes_nothing(op, comparator, loss_kind):
    rng = np.random.default_rng(4)
    n, dim, n_rel, chunk, uniform, seed, margin = 30, 6, 3, 4, 3, 13, 0.5
    emb = (rng.normal(size=(n, dim)) * 0.7).astype(np.float32)
    lp = (identity_params(op, n_rel, dim) + rng.normal(size=(n_rel, identity_params(op, 1, dim).shape[1])) * 0.3)
    lp = lp.astype(np.float32)
    rp = (identity_params(op, n_rel, dim) + rng.normal(size=lp.shape) * 0.3).astype(np.float32)
    edges = np.stack([rng.integers(0, n, 10), rng.integers(0, n_rel, 10), rng.integers(0, n, 10)], 1)
    weights = rng.uniform(0.5, 2.0, 10).astype(np.float32)
    draws = _uniform_draws(seed, 3, uniform, 0, n, 0, n)  # the negatives train_batch draws with this seed
    starts = np.array([0, 4, 8, 10], dtype=np.int64)
    uniform_rows = np.array([[tails, heads] for tails, heads in draws], dtype=np.int64)
    arrays = (emb, lp, rp, edges, weights, starts, uniform_rows)
    before = [a.copy() for a in arrays]
    loss, terms = k.eval_loss(*arrays, k.OPERATOR_CODES[op], comparator == "cos",
                              k.LOSS_RANKING if loss_kind == "ranking" else k.LOSS_SOFTMAX, margin)
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)  # bitwise: evaluation only
    want = reference_loss(emb.astype(np.float64), lp.astype(np.float64), rp.astype(np.float64), edges,
                          weights.astype(np.float64), op, comparator, loss_kind, margin, chunk, draws)
    assert loss == pytest.approx(want, rel=1e-4)
    sizes = np.diff(starts)
    group_weight = np.add.reduceat(weights.astype(np.float64), starts[:-1])
    # two sides; ranking: each edge against the group's other edges and the uniform draws; softmax: one term
    per_edge = sizes + uniform - 1 if loss_kind == "ranking" else np.ones(3)
    assert terms == pytest.approx(2 * float((group_weight * per_edge).sum()), rel=1e-6)
    # the very loss a training step counts on the same batch, negatives and vectors (before its update)
    counted, _ = one_step(emb.copy(), np.zeros(n, np.float32), lp.copy(), rp.copy(), edges, weights, op, comparator,
                          loss_kind, margin, chunk, uniform, 1e-3, seed)
    assert loss == pytest.approx(counted, rel=1e-5)
