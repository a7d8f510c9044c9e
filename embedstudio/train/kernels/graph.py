"""Multi-relation graph embeddings in PyTorch-BigGraph's manner: the kernels of one optimizer step.

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

A step is three kernels that :func:`train_batch` runs: ``batch_gradients`` per group (several
workers may share a batch's groups, each summing into its own buffers), ``apply_rows`` (each
worker updates the rows it saw before any other worker, adding the others' sums) and
``apply_relations``. ``eval_loss`` scores the same loss with nothing updated, on a fixed sample of
edges and negatives (the trainer's figure after each epoch).
"""

import itertools

import numpy as np
from numba import njit

from embedstudio.train.kernels.rng import below, next_state, output, splitmix64

OP_NONE, OP_DIAGONAL, OP_TRANSLATION, OP_COMPLEX, OP_LINEAR = 0, 1, 2, 3, 4
OPERATOR_CODES = {"none": OP_NONE, "diagonal": OP_DIAGONAL, "translation": OP_TRANSLATION,
                  "complex_diagonal": OP_COMPLEX, "linear": OP_LINEAR}
LOSS_RANKING, LOSS_SOFTMAX = 0, 1
_NEG_MASK = -1e9  # PBG's value for scores that must not count (an edge against itself)
_SPARSE_BELOW = 6  # gradients by loops when under 1/6 of the score coefficients are non-zero
_PAD = 16  # per-worker counters this far apart: two workers writing one cache line slow each other


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
def eval_loss(emb, lhs_params, rhs_params, edges, weights, group_starts, uniform_rows, op, cos, loss_kind, margin):
    """The loss batch_gradients counts, with nothing updated: groups [group_starts[g], group_starts[g+1]) of
    ``edges`` (rows h, r, t of emb), each edge scored on both sides against its group's other edges' entities
    and the group's ``uniform_rows[g, side]`` (side 0: tail candidates, side 1: head candidates; drawn once
    by the caller, so every call scores the same terms). Returns (loss sum, terms): terms is the weighted
    count of (edge, negative) pairs for the ranking loss, of (edge, side) rows for softmax."""
    dim = emb.shape[1]
    n_groups = group_starts.shape[0] - 1
    uniform = uniform_rows.shape[2]
    chunk = 1
    for g in range(n_groups):
        chunk = max(chunk, group_starts[g + 1] - group_starts[g])
    queries = np.empty((chunk, dim), dtype=np.float32)
    raw = np.empty(dim, dtype=np.float32)
    cands = np.empty((chunk + uniform, dim), dtype=np.float32)
    cand_rows = np.empty(chunk + uniform, dtype=np.int64)
    coef_buf = np.empty(chunk * (chunk + uniform), dtype=np.float32)  # side_scores' gradient: unused here
    w = np.empty(chunk, dtype=np.float32)
    loss = 0.0
    terms = 0.0
    for g in range(n_groups):
        c0 = group_starts[g]
        n = group_starts[g + 1] - c0
        for i in range(n):
            w[i] = 1.0 if weights.shape[0] == 0 else weights[c0 + i]
        for side in range(2):
            params = lhs_params if side == 0 else rhs_params
            q_col = 0 if side == 0 else 2
            c_col = 2 if side == 0 else 0
            for i in range(n):
                _apply(op, params[edges[c0 + i, 1]], emb[edges[c0 + i, q_col]], raw)
                _prepare(cos, raw, queries[i])
                cand_rows[i] = edges[c0 + i, c_col]
            for k in range(uniform):
                cand_rows[n + k] = uniform_rows[g, side, k]
            n_cand = n + uniform
            for j in range(n_cand):
                _prepare(cos, emb[cand_rows[j]], cands[j])
            coef = coef_buf[: n * n_cand].reshape((n, n_cand))
            loss += side_scores(queries[:n], cands[:n_cand], n, loss_kind, margin, w, coef)
            per_row = n_cand - 1 if loss_kind == LOSS_RANKING else 1
            for i in range(n):
                terms += w[i] * per_row
    return loss, terms


@njit(nogil=True, cache=True)
def _slot(row, slots, rows, grad, count):
    """The gradient slot of ``row``, taken (and zeroed: apply_rows leaves old sums) on first use."""
    s = slots[row]
    if s < 0:
        s = count[0]
        slots[row] = s
        rows[s] = row
        count[0] += 1
        for d in range(grad.shape[1]):
            grad[s, d] = 0.0
    return s


@njit(nogil=True, cache=True)
def _group_state(seed, group):
    """The random state of one group of a batch: the same whichever worker computes the group."""
    return splitmix64(splitmix64(seed) + np.uint64(group))


@njit(nogil=True, cache=True)
def batch_gradients(emb_l, emb_r, same, lhs_params, rhs_params, edges, weights, lo_l, hi_l, lo_r, hi_r,
                    op, cos, loss_kind, margin, chunk, uniform, seed, group0,
                    slots_l, rows_l, grad_l, count_l, slots_r, rows_r, grad_r, count_r, grad_pl, grad_pr,
                    rel_touched):
    """Add the gradients of the groups in ``edges`` (rows h, r, t as offsets into emb_l / emb_r; a
    part of one batch whose first group is group ``group0`` of the batch) to one worker's buffers:
    ``slots_*`` map entity rows to gradient slots (-1: none yet), ``rows_*``/``grad_*`` are the
    slots' rows and summed gradients, ``count_*[0]`` the slots in use, ``grad_p*`` the relation
    gradients and ``rel_touched`` the relations seen. Head uniform negatives come from emb_l rows
    [lo_l, hi_l), tail ones from emb_r rows [lo_r, hi_r). Nothing is updated: apply_rows and
    apply_relations do that once every group of the batch is in. Returns (loss sum, positive edges)."""
    dim = emb_l.shape[1]
    n_cand_max = chunk + uniform
    if same:
        slots_r = slots_l
        rows_r = rows_l
        grad_r = grad_l
        count_r = count_l
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
    for g, c0 in enumerate(range(0, edges.shape[0], chunk)):
        state = _group_state(seed, group0 + g)
        c1 = min(c0 + chunk, edges.shape[0])
        n = c1 - c0
        for i in range(n):
            w[i] = 1.0 if weights.shape[0] == 0 else weights[c0 + i]
        for side in range(2):
            # side 0 ranks tails: queries from heads via the lhs operator, candidates from emb_r
            # side 1 ranks heads: queries from tails via the rhs operator, candidates from emb_l
            if side == 0:
                q_emb, c_emb, params = emb_l, emb_r, lhs_params
                lo, hi = lo_r, hi_r
            else:
                q_emb, c_emb, params = emb_r, emb_l, rhs_params
                lo, hi = lo_l, hi_l
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
                    s = _slot(row, slots_l, rows_l, grad_l, count_l)
                    _apply_backward(op, params[r], q_emb[row], gy, grad_l[s], grad_pl[r])
                else:
                    s = _slot(row, slots_r, rows_r, grad_r, count_r)
                    _apply_backward(op, params[r], q_emb[row], gy, grad_r[s], grad_pr[r])
                rel_touched[r] = True
            for j in range(n_cand):
                if not c_used[j]:
                    continue
                _prepare_backward(cos, cands[j], cnorm[j], gc[j], tmp)
                if side == 0:
                    s = _slot(cand_rows[j], slots_r, rows_r, grad_r, count_r)
                    for d in range(dim):
                        grad_r[s, d] += tmp[d]
                else:
                    s = _slot(cand_rows[j], slots_l, rows_l, grad_l, count_l)
                    for d in range(dim):
                        grad_l[s, d] += tmp[d]
        n_edges += n
    return loss, n_edges


@njit(nogil=True, cache=True)
def clear_slots(slots, rows, count):
    """Empty one worker's row -> slot map (1-D views), ready for its next batch."""
    for s in range(count[0]):
        slots[rows[s]] = -1
    count[0] = 0


@njit(nogil=True, cache=True)
def apply_rows(emb, st, slots, rows, grad, count, lr, adagrad, worker):
    """The optimizer step of the rows in ``worker``'s slots that no earlier worker has, from the
    gradients every worker summed for them (buffers with a leading worker axis, as filled by
    batch_gradients): row-wise Adagrad (PBG's RowAdagrad: one accumulator per row, the mean squared
    gradient) or SGD. Every row has one such worker, so the workers can run at once; nothing
    here writes a buffer (clear_slots empties them once every worker is done)."""
    dim = emb.shape[1]
    workers = slots.shape[0]
    g = np.empty(dim, dtype=np.float32)
    for s in range(count[worker, 0]):
        row = rows[worker, s]
        seen = False  # by an earlier worker, which applies this row
        for v in range(worker):
            if slots[v, row] >= 0:
                seen = True
                break
        if seen:
            continue
        for d in range(dim):
            g[d] = grad[worker, s, d]
        for v in range(worker + 1, workers):
            sv = slots[v, row]
            if sv >= 0:
                for d in range(dim):
                    g[d] += grad[v, sv, d]
        if adagrad:
            sq = 0.0
            for d in range(dim):
                sq += g[d] * g[d]
            st[row] += sq / dim
            step = lr / (np.sqrt(st[row]) + 1e-10)
        else:
            step = lr
        for d in range(dim):
            emb[row, d] -= step * g[d]


@njit(nogil=True, cache=True)
def _relation_step(params, state, grads, r, lr, adagrad):
    for k in range(params.shape[1]):
        g = np.float32(0.0)
        for w in range(grads.shape[0]):
            g += grads[w, r, k]
            grads[w, r, k] = 0.0
        if adagrad:
            state[r, k] += g * g
            params[r, k] -= lr * g / (np.sqrt(state[r, k]) + np.float32(1e-10))
        else:
            params[r, k] -= lr * g


@njit(nogil=True, cache=True)
def apply_relations(lhs_params, rhs_params, rel_state_l, rel_state_r, rel_lr, adagrad, grad_pl, grad_pr,
                    rel_touched):
    """The elementwise Adagrad (or SGD) step of the relation parameters every worker's gradients
    touched; clears those gradients."""
    lr = np.float32(rel_lr)
    for r in range(lhs_params.shape[0]):
        touched = False
        for w in range(rel_touched.shape[0]):
            touched = touched or rel_touched[w, r]
            rel_touched[w, r] = False
        if touched:
            _relation_step(lhs_params, rel_state_l, grad_pl, r, lr, adagrad)
            _relation_step(rhs_params, rel_state_r, grad_pr, r, lr, adagrad)


class GradientBuffers:
    """The gradient buffers of one batch, one set per worker, kept for every batch (plain numpy):
    per side (left and right entity array) a row -> slot map (``rows``: the most rows an entity
    array has), the slots' rows and gradients (room for every row a batch can touch) and the slot
    count; and the relation gradients."""

    def __init__(self, workers: int, rows: int, batch_size: int, chunk: int, uniform: int, dim: int,
                 n_rel: int, psize: int, two_sides: bool = True):
        max_rows = 2 * batch_size + 2 * uniform * (-(-batch_size // chunk))
        self.workers = workers
        # one side is enough when both sides of every batch are one array (a single partition)
        self.sides = [(np.full((workers, rows), -1, dtype=np.int32), np.empty((workers, max_rows), np.int64),
                       np.empty((workers, max_rows, dim), np.float32), np.zeros((workers, _PAD), np.int64))
                      for _ in range(2 if two_sides else 1)]
        self.grad_pl = np.zeros((workers, n_rel, psize), np.float32)
        self.grad_pr = np.zeros((workers, n_rel, psize), np.float32)
        self.rel_touched = np.zeros((workers, n_rel + _PAD), np.bool_)
        self._views = {same: [self._worker_views(w, same) for w in range(workers)]
                       for same in ((False, True) if two_sides else (True,))}

    def _worker_views(self, w: int, same: bool) -> tuple:
        left = self.sides[0]
        right = left if same else self.sides[1]
        views = []
        for slots, rows, grad, count in (left, right):
            views += [slots[w], rows[w], grad[w], count[w, :1]]
        return (*views, self.grad_pl[w], self.grad_pr[w], self.rel_touched[w])

    def worker(self, w: int, same: bool) -> tuple:
        """Worker ``w``'s buffers, in batch_gradients' order (slots_l ... rel_touched)."""
        return self._views[same][w]


def train_batch(emb_l, state_l, emb_r, state_r, same, lhs_params, rhs_params, rel_state_l, rel_state_r, edges,
                weights, lo_l, hi_l, lo_r, hi_r, op, cos, loss_kind, margin, chunk, uniform, lr, rel_lr, adagrad,
                seed, buffers: GradientBuffers, pool=None):
    """One optimizer step on one batch, shared among ``buffers.workers`` workers: each sums the
    gradients of the groups it takes, then each updates the rows it saw first.

    ``pool`` (a concurrent.futures executor) runs the other workers while the calling thread is
    worker 0; without it the workers run one after the other. The step is the same whatever the
    number of workers, up to the order of float additions (so with more than one, runs differ in the
    last bits): every group draws its own negatives, and a row's gradients are summed before its
    single update. Returns (loss sum, positive edges)."""
    n_groups = -(-len(edges) // chunk)
    workers = buffers.workers
    # Workers take the next group as they free up (next() on a count is atomic under the GIL): a
    # group's cost varies (dense or sparse gradients), and an even split left one worker waiting.
    claim = itertools.count()

    def gradients(w):
        views = buffers.worker(w, same)
        for slots, rows, _, count in buffers.sides:
            clear_slots(slots[w], rows[w], count[w, :1])
        loss, n_edges = 0.0, 0
        while (g := next(claim)) < n_groups:
            e0, e1 = g * chunk, min((g + 1) * chunk, len(edges))
            group_loss, group_edges = batch_gradients(
                emb_l, emb_r, same, lhs_params, rhs_params, edges[e0:e1], weights[e0:e1] if len(weights) else weights,
                lo_l, hi_l, lo_r, hi_r, op, cos, loss_kind, margin, chunk, uniform, seed, g, *views)
            loss += group_loss
            n_edges += group_edges
        return loss, n_edges

    def update(w):
        for side in range(1 if same else 2):
            emb, st = (emb_l, state_l) if side == 0 else (emb_r, state_r)
            apply_rows(emb, st, *buffers.sides[side], lr, adagrad, w)

    results = _on_workers(gradients, workers, pool)
    _on_workers(update, workers, pool)
    apply_relations(lhs_params, rhs_params, rel_state_l, rel_state_r, rel_lr, adagrad, buffers.grad_pl,
                    buffers.grad_pr, buffers.rel_touched)
    return sum(r[0] for r in results), sum(r[1] for r in results)


def _on_workers(task, workers: int, pool) -> list:
    """[task(0), ..., task(workers - 1)]: on the pool with task(0) on this thread, or in turn."""
    if workers == 1 or pool is None:
        return [task(w) for w in range(workers)]
    others = [pool.submit(task, w) for w in range(1, workers)]
    try:
        first = task(0)
    finally:  # never return while a worker still writes into the buffers
        rest = [f.result() for f in others]
    return [first] + rest
