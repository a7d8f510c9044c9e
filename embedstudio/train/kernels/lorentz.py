"""Hierarchy embeddings in the Lorentz model (Nickel & Kiela 2018): one chunk of edges per call.

The same loss, sampling and exclusion as the ball's kernel (kernels/poincare.py, whose helpers are
reused); only the geometry differs. A node is a row x of (d + 1) float64 coordinates on the
hyperboloid <x, x>_L = -1, x0 > 0. Riemannian SGD: the Euclidean gradient times the inverse metric
diag(-1, 1, ..., 1), projected onto the tangent space, then the exponential map (closed form,
no 1 / (1 - |p|²) factor to blow up far from the origin), then x0 recomputed from x1..xd.

The float64 reach: -<u, v>_L sums terms ~x0² into a value near 1 for nearby points, so their
distance rounds by ~1e-16 x0² -- fine to x0 ~ 1e6 (distance ~15 from the origin), noise by 1e10.
"""

import numpy as np
from numba import njit

from embedstudio.train.kernels.poincare import draw_negatives, softmax_loss
from embedstudio.train.kernels.rng import splitmix64

_EPS = 1e-10
MAX_STEP = 1.0  # longest geodesic step per update: the authors' norm_clip, which keeps lr 0.5 stable early on


@njit(nogil=True, cache=True)
def distance_and_grads(u, v, grad_u, grad_v):
    """d(u, v) = arcosh(-<u, v>_L); writes ∂d/∂u into grad_u and ∂d/∂v into grad_v (Euclidean gradients)."""
    dim = u.shape[0]
    z = u[0] * v[0]
    for i in range(1, dim):
        z -= u[i] * v[i]
    z = max(z, 1.0)  # rounding can take -<u, v>_L a hair below 1
    root = np.sqrt(z * z - 1.0)
    d = np.log(z + root)  # arcosh
    inv = 1.0 / max(root, _EPS)
    grad_u[0] = inv * v[0]
    grad_v[0] = inv * u[0]
    for i in range(1, dim):
        grad_u[i] = -inv * v[i]
        grad_v[i] = -inv * u[i]
    return d


@njit(nogil=True, cache=True, inline="always")
def rsgd_step(x, grad, lr):
    """x <- exp_x(-lr proj_x(g⁻¹ grad)), then x0 = sqrt(1 + |x_rest|²). ``grad`` is overwritten."""
    dim = x.shape[0]
    grad[0] = -grad[0]  # h = g⁻¹ grad, g⁻¹ = diag(-1, 1, ..., 1)
    xh = -x[0] * grad[0]
    for i in range(1, dim):
        xh += x[i] * grad[i]
    xx = 0.0
    xv = 0.0
    vv = 0.0
    for i in range(1, dim):  # the step's tangent vector v = -lr (h + <x, h>_L x); its x0 part is implied
        grad[i] = -lr * (grad[i] + xh * x[i])
        xx += x[i] * x[i]
        xv += x[i] * grad[i]
        vv += grad[i] * grad[i]
    # |v|_L² = (|v_s|² + |x_s|² |v_⊥|²) / x0², v_⊥ = v_s's part orthogonal to x_s: two non-negative terms.
    # <v, v>_L itself subtracts terms ~x0² larger than the result; this is the length of the vector
    # actually added, so even a gradient garbled by rounding far out moves a point at most MAX_STEP.
    along = xv / max(xx, _EPS * _EPS)
    perp = 0.0
    for i in range(1, dim):
        r = grad[i] - along * x[i]
        perp += r * r
    norm = np.sqrt((vv + xx * perp) / (1.0 + xx))
    if norm < _EPS:  # exp_x(v) = x + v to first order; this also covers a zero gradient
        for i in range(1, dim):
            x[i] += grad[i]
    else:
        t = min(norm, MAX_STEP)
        c = np.cosh(t)
        s = np.sinh(t) / norm
        for i in range(1, dim):
            x[i] = c * x[i] + s * grad[i]
    # x0 from the rest (x0 itself never gets the step): the point is back on the sheet to rounding
    sq = 0.0
    for i in range(1, dim):
        sq += x[i] * x[i]
    x[0] = np.sqrt(1.0 + sq)


@njit(nogil=True, cache=True)
def train_chunk(points, edges, order, first, end, neighbor_ptr, neighbor_idx, alias_prob, alias_idx, uniform,
                negative, lr, seed):
    """Train on edges order[first:end]. Returns (loss sum, examples, edges used, non-finite count).

    Negatives and the softmax loss are exactly the ball kernel's (kernels/poincare.py).
    """
    n_nodes, dim = points.shape
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
            dists[j] = distance_and_grads(points[u], points[cand[j]], grads_u[j], grads_x[j])
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
            rsgd_step(points[cand[j]], grads_x[j], lr)
        rsgd_step(points[u], total_grad_u, lr)
    return loss, examples, end - first, bad
