"""The Lorentz (hyperboloid) model of hyperbolic space, curvature -1 (Nickel & Kiela 2018).

A d-dimensional point is x in R^(d+1) with <x, x>_L = -1 and x0 > 0, where
<u, v>_L = -u0 v0 + sum_i ui vi. Distances, exp/log maps and the Riemannian gradient are closed
forms without the 1 / (1 - |p|²) factors of the ball, so they stay accurate far from the origin.
Vectorised numpy over the last axis, float64 inside. Conversions to and from the Poincaré ball
(every view and export works in the ball) are :func:`to_ball` and :func:`from_ball`.
"""

from __future__ import annotations

import numpy as np

from embedstudio.geometry import poincare

_MIN_NORM = 1e-15

to_ball = poincare.from_lorentz  # p = x[1:] / (1 + x0)
from_ball = poincare.to_lorentz  # x0 = (1 + |p|²) / (1 - |p|²), xi = 2 pi / (1 - |p|²)


def inner(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The Lorentzian inner product <u, v>_L = -u0 v0 + sum_i ui vi, broadcasting over leading axes."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    return np.sum(u[..., 1:] * v[..., 1:], axis=-1) - u[..., 0] * v[..., 0]


def lift(spatial: np.ndarray) -> np.ndarray:
    """The hyperboloid point above ``spatial`` (x1..xd): x0 = sqrt(1 + |x_rest|²)."""
    spatial = np.asarray(spatial, dtype=np.float64)
    x0 = np.sqrt(1.0 + np.sum(spatial * spatial, axis=-1, keepdims=True))
    return np.concatenate([x0, spatial], axis=-1)


def project(x: np.ndarray) -> np.ndarray:
    """Back onto the hyperboloid by recomputing x0 from the other coordinates (the trainer's re-projection)."""
    return lift(np.asarray(x, dtype=np.float64)[..., 1:])


def distance(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """d(u, v) = arcosh(-<u, v>_L); rounding can put -<u, v>_L a hair below 1, hence the clamp."""
    return np.arccosh(np.maximum(-inner(u, v), 1.0))


def tangent(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The orthogonal projection of an ambient vector onto the tangent space at x: w + <x, w>_L x."""
    x = np.asarray(x, dtype=np.float64)
    return w + inner(x, w)[..., None] * x


def riemannian_gradient(x: np.ndarray, euclidean: np.ndarray) -> np.ndarray:
    """The Euclidean gradient times the inverse metric diag(-1, 1, ..., 1), projected onto the tangent space."""
    h = np.array(euclidean, dtype=np.float64)
    h[..., 0] *= -1.0
    return tangent(x, h)


def tangent_norm(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """|v|_L for a tangent vector v at x, from the spatial parts alone: |v|² = (|v_s|² + |x_s|² |v_⊥|²) / x0²
    with v_⊥ the part of v_s orthogonal to x_s. Two non-negative terms: sqrt(<v, v>_L) subtracts v0² from
    |v_s|², terms ~x0² times larger than the result far from the origin, and loses it all by x0 ~ 1e8."""
    x = np.asarray(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    xs, vs = x[..., 1:], v[..., 1:]
    xx = np.sum(xs * xs, axis=-1, keepdims=True)
    perp = vs - np.sum(xs * vs, axis=-1, keepdims=True) / np.maximum(xx, _MIN_NORM) * xs
    sq = np.sum(vs * vs, axis=-1) + xx[..., 0] * np.sum(perp * perp, axis=-1)
    return np.sqrt(sq / (1.0 + xx[..., 0]))


def exp_map(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """exp_x(v) = cosh(|v|_L) x + sinh(|v|_L) v / |v|_L for a tangent vector v at x; x0 of the result is
    recomputed from the rest (as the trainer does), which keeps it on the hyperboloid far out."""
    x = np.asarray(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    norm = tangent_norm(x, v)[..., None]
    # sinh(n) / n -> 1 as n -> 0: the clamp only guards the division, where sinh(n) is ~0 too
    return lift(np.cosh(norm) * x[..., 1:] + np.sinh(norm) * v[..., 1:] / np.maximum(norm, _MIN_NORM))


def log_map(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log_x(y) = d(x, y) w / |w|_L with w = y + <x, y>_L x = y - z x, z = -<x, y>_L: the inverse of exp_map."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    z = np.maximum(-inner(x, y), 1.0)[..., None]
    # |w|_L² = z² - 1 in closed form: summing w's terms instead cancels badly far from the origin
    return np.arccosh(z) * (y - z * x) / np.maximum(np.sqrt(z * z - 1.0), _MIN_NORM)
