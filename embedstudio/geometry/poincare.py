"""The Poincaré ball (curvature -1): distance, Möbius addition, exp/log maps, and conversions.

Vectorised numpy over the last axis; float64 inside. Points must lie strictly inside the unit
ball; :func:`project` pulls stray points back to a radius just below 1.
"""

from __future__ import annotations

import numpy as np

BOUNDARY_EPS = 1e-5  # points are kept at norm <= 1 - BOUNDARY_EPS
_MIN_NORM = 1e-15


def _sq(x: np.ndarray) -> np.ndarray:
    return np.sum(x * x, axis=-1, keepdims=True)


def project(x: np.ndarray, eps: float = BOUNDARY_EPS) -> np.ndarray:
    """Scale points with norm >= 1 - eps back to norm 1 - eps (the paper's projection)."""
    x = np.asarray(x, dtype=np.float64)
    norm = np.sqrt(_sq(x))
    limit = 1.0 - eps
    return np.where(norm >= limit, x * (limit / np.maximum(norm, _MIN_NORM)), x)


def distance(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """d(u, v) = arcosh(1 + 2 |u - v|^2 / ((1 - |u|^2)(1 - |v|^2))), broadcasting over leading axes."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    diff = _sq(u - v)[..., 0]
    denom = np.maximum((1.0 - _sq(u)[..., 0]) * (1.0 - _sq(v)[..., 0]), _MIN_NORM)
    return np.arccosh(1.0 + 2.0 * diff / denom)


def distance_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """All pairwise distances between the rows of a and the rows of b."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    sa, sb = (a * a).sum(1), (b * b).sum(1)
    diff = np.maximum(sa[:, None] + sb[None, :] - 2.0 * a @ b.T, 0.0)
    denom = np.maximum((1.0 - sa)[:, None] * (1.0 - sb)[None, :], _MIN_NORM)
    return np.arccosh(1.0 + 2.0 * diff / denom)


def mobius_add(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x ⊕ y = ((1 + 2<x,y> + |y|^2) x + (1 - |x|^2) y) / (1 + 2<x,y> + |x|^2 |y|^2)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    xy = np.sum(x * y, axis=-1, keepdims=True)
    x2, y2 = _sq(x), _sq(y)
    num = (1.0 + 2.0 * xy + y2) * x + (1.0 - x2) * y
    return num / np.maximum(1.0 + 2.0 * xy + x2 * y2, _MIN_NORM)


def recenter(points: np.ndarray, center: np.ndarray) -> np.ndarray:
    """The isometry that moves ``center`` to the origin: p -> (-center) ⊕ p (the disk view's re-centring)."""
    return mobius_add(-np.asarray(center, dtype=np.float64), points)


def _lambda(x: np.ndarray) -> np.ndarray:
    return 2.0 / np.maximum(1.0 - _sq(x), _MIN_NORM)


def exp_map(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """exp_x(v) = x ⊕ tanh(λ_x |v| / 2) v / |v|."""
    x = np.asarray(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    norm = np.maximum(np.sqrt(_sq(v)), _MIN_NORM)
    return mobius_add(x, np.tanh(_lambda(x) * norm / 2.0) * v / norm)


def log_map(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log_x(y) = 2/λ_x artanh(|w|) w / |w| with w = (-x) ⊕ y; the inverse of exp_map."""
    x = np.asarray(x, dtype=np.float64)
    w = mobius_add(-x, y)
    norm = np.maximum(np.sqrt(_sq(w)), _MIN_NORM)
    return 2.0 / _lambda(x) * np.arctanh(np.minimum(norm, 1.0 - 1e-15)) * w / norm


def to_klein(x: np.ndarray) -> np.ndarray:
    """Poincaré ball -> Beltrami-Klein model (geodesics become straight chords)."""
    x = np.asarray(x, dtype=np.float64)
    return 2.0 * x / (1.0 + _sq(x))


def from_klein(k: np.ndarray) -> np.ndarray:
    k = np.asarray(k, dtype=np.float64)
    return k / (1.0 + np.sqrt(np.maximum(1.0 - _sq(k), 0.0)))


def to_lorentz(x: np.ndarray) -> np.ndarray:
    """Poincaré ball -> hyperboloid (x0 > 0, -x0^2 + |x_rest|^2 = -1)."""
    x = np.asarray(x, dtype=np.float64)
    s = _sq(x)
    denom = np.maximum(1.0 - s, _MIN_NORM)
    return np.concatenate([(1.0 + s) / denom, 2.0 * x / denom], axis=-1)


def from_lorentz(h: np.ndarray) -> np.ndarray:
    h = np.asarray(h, dtype=np.float64)
    return h[..., 1:] / (1.0 + h[..., :1])


def geodesic(u: np.ndarray, v: np.ndarray, n: int = 32) -> np.ndarray:
    """n points along the geodesic arc from u to v (for drawing hierarchy edges as arcs)."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    tangent = log_map(u, v)
    return exp_map(np.broadcast_to(u, (n, len(u))), t * tangent)
