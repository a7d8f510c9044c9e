"""Poincaré embeddings (Nickel & Kiela 2017): one chunk of edges per call, Riemannian SGD.

For an edge (u, v) the loss is -log softmax over {v} ∪ negatives of -d(u, ·), the negatives being
nodes that are not neighbours of u. Euclidean gradients are rescaled by the inverse metric
(1 - |θ|²)² / 4 and every updated point is projected back inside the ball. Vectors are float64:
near the rim 1 - |θ|² is tiny and float32 would lose it (the Riemannian step divides by it).
"""

import numpy as np
from numba import njit

from embedstudio.train.kernels.rng import below, next_state, output, splitmix64, uniform01

_EPS = 1e-10


@njit(nogil=True, cache=True, inline="always")
def _is_neighbor(ptr, idx, u, v):
    lo = ptr[u]
    hi = ptr[u + 1]
    while lo < hi:  # binary search in u's sorted neighbour row
        mid = (lo + hi) // 2
        if idx[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo < ptr[u + 1] and idx[lo] == v


@njit(nogil=True, cache=True)
def distance_and_grads(u, v, grad_u, grad_v):
    """d(u, v); writes ∂d/∂u into grad_u and ∂d/∂v into grad_v (Euclidean gradients)."""
    dim = u.shape[0]
    uu = 0.0
    vv = 0.0
    uv = 0.0
    diff = 0.0  # |u - v|², summed directly: uu - 2uv + vv cancels near the rim, where both norms are ~1
    for i in range(dim):
        uu += u[i] * u[i]
        vv += v[i] * v[i]
        uv += u[i] * v[i]
        diff += (u[i] - v[i]) * (u[i] - v[i])
    alpha = max(1.0 - uu, _EPS)
    beta = max(1.0 - vv, _EPS)
    gamma = 1.0 + 2.0 * diff / (alpha * beta)
    d = np.log(gamma + np.sqrt(max(gamma * gamma - 1.0, 0.0)))  # arcosh
    root = max(np.sqrt(max(gamma * gamma - 1.0, 0.0)), _EPS)
    cu = 4.0 / (beta * root)
    cv = 4.0 / (alpha * root)
    au = (vv - 2.0 * uv + 1.0) / (alpha * alpha)
    av = (uu - 2.0 * uv + 1.0) / (beta * beta)
    for i in range(dim):
        grad_u[i] = cu * (au * u[i] - v[i] / alpha)
        grad_v[i] = cv * (av * v[i] - u[i] / beta)
    return d


@njit(nogil=True, cache=True, inline="always")
def _rsgd_step(theta, grad, lr, max_norm):
    """θ <- proj(θ - lr (1 - |θ|²)² / 4 ∇)."""
    dim = theta.shape[0]
    sq = 0.0
    for i in range(dim):
        sq += theta[i] * theta[i]
    scale = lr * (1.0 - sq) * (1.0 - sq) / 4.0
    sq = 0.0
    for i in range(dim):
        theta[i] -= scale * grad[i]
        sq += theta[i] * theta[i]
    norm = np.sqrt(sq)
    if norm >= max_norm:
        for i in range(dim):
            theta[i] *= max_norm / norm


@njit(nogil=True, cache=True, inline="always")
def draw_negatives(state, cand, u, n_nodes, negative, neighbor_ptr, neighbor_idx, alias_prob, alias_idx, uniform):
    """Fill cand[1:] with negatives for u; returns (rng state, candidates incl. cand[0]).

    Drawn by the alias table (degree^dampening) or uniformly, never u itself nor a row of u in
    (ptr, idx); after 25 failed draws for a slot the edge goes on with fewer negatives.
    """
    k = 1
    for _ in range(negative):
        for _try in range(25):
            state = next_state(state)
            r = output(state)
            w = below(r, n_nodes)
            if not uniform and uniform01(r) >= alias_prob[w]:
                w = alias_idx[w]
            if w != u and not _is_neighbor(neighbor_ptr, neighbor_idx, u, w):
                cand[k] = w
                k += 1
                break
    return state, k


@njit(nogil=True, cache=True, inline="always")
def softmax_loss(dists, k, coefs):
    """-log softmax of -dists[0] among -dists[:k], computed stably; writes ∂loss/∂dists[j] into coefs."""
    smallest = dists[0]
    for j in range(1, k):
        smallest = min(smallest, dists[j])
    z = 0.0
    for j in range(k):
        z += np.exp(smallest - dists[j])
    for j in range(k):
        p = np.exp(smallest - dists[j]) / z
        coefs[j] = (1.0 - p) if j == 0 else -p
    return dists[0] - smallest + np.log(z)


@njit(nogil=True, cache=True)
def train_chunk(vectors, edges, order, first, end, neighbor_ptr, neighbor_idx, alias_prob, alias_idx, uniform,
                negative, lr, max_norm, seed):
    """Train on edges order[first:end]. Returns (loss sum, examples, edges used, non-finite count)."""
    n_nodes, dim = vectors.shape
    state = splitmix64(seed)
    cand = np.empty(negative + 1, dtype=np.int64)
    dists = np.empty(negative + 1, dtype=np.float64)
    coefs = np.empty(negative + 1, dtype=np.float64)
    grads_u = np.empty((negative + 1, dim), dtype=np.float64)
    grads_x = np.empty((negative + 1, dim), dtype=np.float64)
    total_grad_u = np.empty(dim, dtype=np.float64)
    loss = 0.0
    examples = 0
    bad = 0
    for pos in range(first, end):
        e = order[pos]
        u = edges[e, 0]
        cand[0] = edges[e, 1]
        state, k = draw_negatives(state, cand, u, n_nodes, negative, neighbor_ptr, neighbor_idx, alias_prob,
                                  alias_idx, uniform)
        for j in range(k):
            dists[j] = distance_and_grads(vectors[u], vectors[cand[j]], grads_u[j], grads_x[j])
        edge_loss = softmax_loss(dists, k, coefs)
        if not np.isfinite(edge_loss):
            bad += 1
            continue
        loss += edge_loss
        examples += 1
        total_grad_u[:] = 0.0
        for j in range(k):
            coef = coefs[j]
            for i in range(dim):
                total_grad_u[i] += coef * grads_u[j, i]
                grads_x[j, i] *= coef
        for j in range(k):
            _rsgd_step(vectors[cand[j]], grads_x[j], lr, max_norm)
        _rsgd_step(vectors[u], total_grad_u, lr, max_norm)
    return loss, examples, end - first, bad
