"""Multi-relation graph embeddings in PyTorch-BigGraph's manner: one call trains a run of batches.

A batch of ``batch_size`` edges is cut into groups of ``chunk`` edges. In a group, every edge is
scored against the group's own entities on the corrupted side (the other edges' tails, or heads)
plus ``uniform`` entities drawn once for the whole group, so all scores of a side are one matrix
product ``Q @ Cand.T`` (Q: the queries, Cand: the candidates). Both sides are corrupted:

* tails: ``Q_i = prep(g_r(e_h))`` (lhs operator), candidates ``prep(e_t')``;
* heads: ``Q_i = prep(h_r(e_t))`` (rhs operator), candidates ``prep(e_h')``.

Losses: ``ranking`` (sum of max(0, margin - pos + neg)) or ``softmax`` (cross-entropy of the
positive against the negatives). The gradients of a whole batch are summed per entity row, then one
row-wise Adagrad step (PBG's RowAdagrad: one accumulator per row, the mean of the squared gradient)
or an SGD step is taken per touched row; relation parameters take an elementwise Adagrad step.

Entity vectors may live in two arrays (the left and right partitions of a bucket) or one
(``same=True``): then a row's head and tail gradients are summed before its single update, as PBG
coalesces sparse gradients.
"""

import numpy as np
from numba import njit

from embedstudio.train.kernels.rng import below, next_state, output, splitmix64

OP_NONE, OP_DIAGONAL, OP_TRANSLATION, OP_COMPLEX, OP_LINEAR = 0, 1, 2, 3, 4
OPERATOR_CODES = {"none": OP_NONE, "diagonal": OP_DIAGONAL, "translation": OP_TRANSLATION,
                  "complex_diagonal": OP_COMPLEX, "linear": OP_LINEAR}
LOSS_RANKING, LOSS_SOFTMAX = 0, 1
_NEG_MASK = -1e9  # PBG's value for scores that must not count (an edge against itself)
_SPARSE_BELOW = 6  # gradients by loops when under 1/6 of the score coefficients are non-zero


@njit(nogil=True, cache=True, inline="always")
def _apply(op, p, x, out):
    """out = op_p(x) for one vector."""
    dim = x.shape[0]
    if op == OP_NONE:
        out[:] = x
    elif op == OP_DIAGONAL:
        for i in range(dim):
            out[i] = p[i] * x[i]
    elif op == OP_TRANSLATION:
        for i in range(dim):
            out[i] = x[i] + p[i]
    elif op == OP_COMPLEX:
        half = dim // 2
        for i in range(half):
            out[i] = x[i] * p[i] - x[half + i] * p[half + i]
            out[half + i] = x[i] * p[half + i] + x[half + i] * p[i]
    else:
        for i in range(dim):
            acc = 0.0
            for j in range(dim):
                acc += p[i * dim + j] * x[j]
            out[i] = acc


@njit(nogil=True, cache=True, inline="always")
def _apply_backward(op, p, x, g, gx, gp):
    """Given g = dL/d op_p(x): adds dL/dx to gx and dL/dp to gp."""
    dim = x.shape[0]
    if op == OP_NONE:
        for i in range(dim):
            gx[i] += g[i]
    elif op == OP_DIAGONAL:
        for i in range(dim):
            gx[i] += p[i] * g[i]
            gp[i] += x[i] * g[i]
    elif op == OP_TRANSLATION:
        for i in range(dim):
            gx[i] += g[i]
            gp[i] += g[i]
    elif op == OP_COMPLEX:
        half = dim // 2
        for i in range(half):
            gre = g[i]
            gim = g[half + i]
            xr = x[i]
            xi = x[half + i]
            pr = p[i]
            pi = p[half + i]
            gx[i] += gre * pr + gim * pi
            gx[half + i] += -gre * pi + gim * pr
            gp[i] += gre * xr + gim * xi
            gp[half + i] += -gre * xi + gim * xr
    else:
        for i in range(dim):
            for j in range(dim):
                gx[j] += p[i * dim + j] * g[i]
                gp[i * dim + j] += g[i] * x[j]


@njit(nogil=True, cache=True, inline="always")
def _prepare(cos, y, out):
    """out = y (dot) or y / |y| (cos); returns |y| (1 for dot)."""
    if not cos:
        out[:] = y
        return 1.0
    sq = 0.0
    for i in range(y.shape[0]):
        sq += y[i] * y[i]
    norm = np.sqrt(sq)
    if norm == 0.0:
        norm = 1.0
    for i in range(y.shape[0]):
        out[i] = y[i] / norm
    return norm


@njit(nogil=True, cache=True, inline="always")
def _prepare_backward(cos, q, norm, g, out):
    """out = dL/dy for q = prep(y) and g = dL/dq."""
    if not cos:
        out[:] = g
        return
    dot = 0.0
    for i in range(q.shape[0]):
        dot += q[i] * g[i]
    for i in range(q.shape[0]):
        out[i] = (g[i] - q[i] * dot) / norm


@njit(nogil=True, cache=True)
def side_scores(queries, cands, n_pos, loss_kind, margin, weights, coef):
    """Scores of one side and dL/dscore. Row i's positive is column i (i < n_pos); the other
    columns are its negatives. Fills ``coef`` (n_pos, n_cand) with dL/dS; returns the loss."""
    scores = np.dot(queries, cands.T)
    loss = 0.0
    n_cand = cands.shape[0]
    for i in range(n_pos):
        pos = scores[i, i]
        scores[i, i] = _NEG_MASK
        w = weights[i]
        if loss_kind == LOSS_RANKING:
            total = 0.0
            for j in range(n_cand):
                v = margin - pos + scores[i, j]
                if v > 0.0:
                    loss += w * v
                    coef[i, j] = w
                    total += w
                else:
                    coef[i, j] = 0.0
            coef[i, i] = -total
        else:
            top = pos
            for j in range(n_cand):
                top = max(top, scores[i, j])
            z = np.exp(pos - top)
            for j in range(n_cand):
                if j != i:
                    z += np.exp(scores[i, j] - top)
            loss += w * (top + np.log(z) - pos)
            for j in range(n_cand):
                coef[i, j] = 0.0 if j == i else w * np.exp(scores[i, j] - top) / z
            coef[i, i] = w * (np.exp(pos - top) / z - 1.0)
    return loss


@njit(nogil=True, cache=True)
def _slot(row, slots, rows, count):
    s = slots[row]
    if s < 0:
        s = count[0]
        slots[row] = s
        rows[s] = row
        count[0] += 1
    return s


@njit(nogil=True, cache=True)
def train_batches(emb_l, state_l, emb_r, state_r, same, lhs_params, rhs_params, rel_state_l, rel_state_r,
                  edges, weights, batch_starts, uni_lo_l, uni_hi_l, uni_lo_r, uni_hi_r,
                  op, cos, loss_kind, margin, batch_size, chunk, uniform, lr, rel_lr, adagrad, seed,
                  slots_l, slots_r):
    """Train on the batches ``batch_starts[b]:batch_starts[b+1]`` of ``edges`` (rows h, r, t as
    offsets into emb_l / emb_r). A batch's uniform negatives for heads come from emb_l rows
    [uni_lo_l[b], uni_hi_l[b]) and for tails from emb_r rows [uni_lo_r[b], uni_hi_r[b]).
    ``slots_l``/``slots_r`` are scratch maps from rows to gradient slots, all -1, that the caller
    keeps between calls (allocating one per call would cost more than a small batch's work); they
    are all -1 again on return. Returns (loss sum, positive edges)."""
    dim = emb_l.shape[1]
    n_rel, psize = lhs_params.shape
    state = splitmix64(seed)
    n_cand_max = chunk + uniform
    # per-batch gradient buffers: every row a batch can touch has a slot
    max_rows = 2 * batch_size + 2 * uniform * ((batch_size + chunk - 1) // chunk)
    # slots_*: row -> gradient slot, all -1 on entry (at least as long as emb_*); left all -1 again
    if same:
        slots_r = slots_l
    rows_l = np.empty(max_rows, dtype=np.int64)
    rows_r = rows_l if same else np.empty(max_rows, dtype=np.int64)
    grad_l = np.zeros((max_rows, dim), dtype=np.float32)
    grad_r = grad_l if same else np.zeros((max_rows, dim), dtype=np.float32)
    count_l = np.zeros(1, dtype=np.int64)
    count_r = count_l if same else np.zeros(1, dtype=np.int64)
    grad_pl = np.zeros((n_rel, max(psize, 1)), dtype=np.float32)
    grad_pr = np.zeros((n_rel, max(psize, 1)), dtype=np.float32)
    rel_touched = np.zeros(n_rel, dtype=np.bool_)

    queries = np.empty((chunk, dim), dtype=np.float32)
    qnorm = np.empty(chunk, dtype=np.float32)
    raw = np.empty((chunk, dim), dtype=np.float32)  # operator outputs before prep
    cands = np.empty((n_cand_max, dim), dtype=np.float32)
    cnorm = np.empty(n_cand_max, dtype=np.float32)
    cand_rows = np.empty(n_cand_max, dtype=np.int64)
    coef_buf = np.empty(chunk * n_cand_max, dtype=np.float32)
    gq_buf = np.empty((chunk, dim), dtype=np.float32)
    q_used = np.empty(chunk, dtype=np.bool_)
    c_used = np.empty(n_cand_max, dtype=np.bool_)
    gc_buf = np.empty((n_cand_max, dim), dtype=np.float32)
    w = np.empty(chunk, dtype=np.float32)
    tmp = np.empty(dim, dtype=np.float32)
    gy = np.empty(dim, dtype=np.float32)
    loss = 0.0
    n_edges = 0
    for b in range(batch_starts.shape[0] - 1):
        b0 = batch_starts[b]
        b1 = batch_starts[b + 1]
        for c0 in range(b0, b1, chunk):
            c1 = min(c0 + chunk, b1)
            n = c1 - c0
            for i in range(n):
                w[i] = 1.0 if weights.shape[0] == 0 else weights[c0 + i]
            for side in range(2):
                # side 0 ranks tails: queries from heads via the lhs operator, candidates from emb_r
                # side 1 ranks heads: queries from tails via the rhs operator, candidates from emb_l
                if side == 0:
                    q_emb, c_emb, params = emb_l, emb_r, lhs_params
                    lo, hi = uni_lo_r[b], uni_hi_r[b]
                else:
                    q_emb, c_emb, params = emb_r, emb_l, rhs_params
                    lo, hi = uni_lo_l[b], uni_hi_l[b]
                q_col = 0 if side == 0 else 2
                c_col = 2 if side == 0 else 0
                for i in range(n):
                    r = edges[c0 + i, 1]
                    _apply(op, params[r], q_emb[edges[c0 + i, q_col]], raw[i])
                    qnorm[i] = _prepare(cos, raw[i], queries[i])
                    cand_rows[i] = edges[c0 + i, c_col]
                n_uni = uniform if hi > lo else 0
                for k in range(n_uni):
                    state = next_state(state)
                    cand_rows[n + k] = lo + below(output(state), hi - lo)
                n_cand = n + n_uni
                for j in range(n_cand):
                    cnorm[j] = _prepare(cos, c_emb[cand_rows[j]], cands[j])
                coef = coef_buf[: n * n_cand].reshape((n, n_cand))
                loss += side_scores(queries[:n], cands[:n_cand], n, loss_kind, margin, w, coef)
                # dL/dQ = coef @ cands, dL/dCand = coef.T @ queries. Once trained, most negatives
                # clear the margin and their coefficients are 0: then loops over the rest beat BLAS.
                # Rows whose coefficients are all 0 get no gradient: they are skipped below (as
                # Adagrad leaves a row with a zero gradient unchanged, this changes nothing).
                nonzero = 0
                q_used[:n] = False
                c_used[:n_cand] = False
                for i in range(n):
                    for j in range(n_cand):
                        if coef[i, j] != 0.0:
                            nonzero += 1
                            q_used[i] = True
                            c_used[j] = True
                if nonzero * _SPARSE_BELOW > n * n_cand:
                    gq = np.dot(coef, cands[:n_cand])
                    gc = np.dot(coef.T, queries[:n])
                else:
                    gq = gq_buf[:n]
                    gc = gc_buf[:n_cand]
                    for i in range(n):
                        if q_used[i]:
                            gq[i] = 0.0
                    for j in range(n_cand):
                        if c_used[j]:
                            gc[j] = 0.0
                    for i in range(n):
                        if not q_used[i]:
                            continue
                        for j in range(n_cand):
                            c = coef[i, j]
                            if c != 0.0:
                                for d in range(dim):
                                    gq[i, d] += c * cands[j, d]
                                    gc[j, d] += c * queries[i, d]
                for i in range(n):
                    if not q_used[i]:
                        continue
                    r = edges[c0 + i, 1]
                    row = edges[c0 + i, q_col]
                    _prepare_backward(cos, queries[i], qnorm[i], gq[i], gy)
                    if side == 0:
                        s = _slot(row, slots_l, rows_l, count_l)
                        _apply_backward(op, params[r], q_emb[row], gy, grad_l[s], grad_pl[r])
                    else:
                        s = _slot(row, slots_r, rows_r, count_r)
                        _apply_backward(op, params[r], q_emb[row], gy, grad_r[s], grad_pr[r])
                    rel_touched[r] = True
                for j in range(n_cand):
                    if not c_used[j]:
                        continue
                    _prepare_backward(cos, cands[j], cnorm[j], gc[j], tmp)
                    if side == 0:
                        s = _slot(cand_rows[j], slots_r, rows_r, count_r)
                        for d in range(dim):
                            grad_r[s, d] += tmp[d]
                    else:
                        s = _slot(cand_rows[j], slots_l, rows_l, count_l)
                        for d in range(dim):
                            grad_l[s, d] += tmp[d]
            n_edges += n
        # one optimizer step for the batch
        for which in range(1 if same else 2):
            emb = emb_l if which == 0 else emb_r
            st = state_l if which == 0 else state_r
            rows = rows_l if which == 0 else rows_r
            grad = grad_l if which == 0 else grad_r
            slots = slots_l if which == 0 else slots_r
            cnt = count_l[0] if which == 0 else count_r[0]
            for s in range(cnt):
                row = rows[s]
                if adagrad:
                    sq = 0.0
                    for d in range(dim):
                        sq += grad[s, d] * grad[s, d]
                    st[row] += sq / dim
                    step = lr / (np.sqrt(st[row]) + 1e-10)
                else:
                    step = lr
                for d in range(dim):
                    emb[row, d] -= step * grad[s, d]
                    grad[s, d] = 0.0
                slots[row] = -1
            if which == 0:
                count_l[0] = 0
            else:
                count_r[0] = 0
        if psize > 0:
            for r in range(n_rel):
                if not rel_touched[r]:
                    continue
                rel_touched[r] = False
                for k in range(psize):
                    for params, gp, rst in ((lhs_params, grad_pl, rel_state_l), (rhs_params, grad_pr, rel_state_r)):
                        g = gp[r, k]
                        if adagrad:
                            rst[r, k] += g * g
                            params[r, k] -= rel_lr * g / (np.sqrt(rst[r, k]) + 1e-10)
                        else:
                            params[r, k] -= rel_lr * g
                        gp[r, k] = 0.0
        else:
            rel_touched[:] = False
    return loss, n_edges
