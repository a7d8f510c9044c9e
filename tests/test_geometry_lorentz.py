"""The Lorentz model against the Poincaré ball, closed forms, exact arithmetic and finite differences;
and the Lorentz kernel's Riemannian step (kept on the hyperboloid, pointing down the gradient)."""

from fractions import Fraction

import numpy as np
import pytest

from embedstudio.geometry import lorentz as L
from embedstudio.geometry import poincare as P
from embedstudio.train.kernels import lorentz as kernel


def _ball(n=60, dim=4, seed=0, max_norm=0.95):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x * rng.uniform(0, max_norm, size=(n, 1))


def _points(n=60, dim=4, seed=0, radius=3.0):
    """Points on the hyperboloid up to ``radius`` from the origin (x0 = cosh(distance))."""
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal((n, dim))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    r = rng.uniform(0, radius, size=(n, 1))
    return np.concatenate([np.cosh(r), np.sinh(r) * direction], axis=1)


def _exact_residual(x) -> float:
    """<x, x>_L + 1 for the stored floats, in exact rational arithmetic (float64 would add its own rounding)."""
    f = [Fraction(float(c)) for c in x]
    return float(sum(c * c for c in f[1:]) - f[0] * f[0] + 1)


def _tangent_basis(x):
    """dim independent tangent vectors at x (the ambient axes 1..dim projected onto T_x)."""
    dim = len(x) - 1
    return [L.tangent(x, np.eye(dim + 1)[k]) for k in range(1, dim + 1)]


def test_distance_equals_the_ball_distance_after_conversion():
    p, q = _ball(seed=1), _ball(seed=2)
    x, y = L.from_ball(p), L.from_ball(q)
    np.testing.assert_allclose(L.inner(x, x), -1.0, rtol=1e-12)
    assert (x[:, 0] > 0).all()
    np.testing.assert_allclose(L.distance(x, y), P.distance(p, q), rtol=1e-9)
    np.testing.assert_allclose(L.to_ball(x), p, atol=1e-12)  # the round trip
    # from the hyperboloid side too, and the distance to the origin is arcosh(x0)
    u, v = _points(seed=3), _points(seed=4)
    np.testing.assert_allclose(P.distance(L.to_ball(u), L.to_ball(v)), L.distance(u, v), rtol=1e-9)
    origin = np.eye(5)[0]
    np.testing.assert_allclose(L.distance(origin, u), np.arccosh(u[:, 0]), rtol=1e-12)


def test_exp_and_log_are_inverse_and_the_tangent_length_is_the_distance():
    for radius in (2.0, 10.0):  # near the origin, and x0 ~ 1e4 out
        x, y = _points(seed=5, radius=radius), _points(seed=6, radius=radius)
        scale = np.cosh(radius)  # coordinates, and tangent vectors' ambient parts, grow like x0
        v = L.log_map(x, y)
        np.testing.assert_allclose(L.inner(x, v), 0.0, atol=1e-12 * scale**2)  # tangent at x
        np.testing.assert_allclose(L.tangent_norm(x, v), L.distance(x, y), rtol=1e-9)
        # exp sums terms of size x0 cosh(d) into y: rounding of those is the floor (and distances between
        # nearby far points have one of their own, sqrt(2 ulp(x0²)): compare coordinates)
        floor = 1e-14 * x[:, :1] * np.cosh(L.distance(x, y))[:, None]
        assert (np.abs(L.exp_map(x, v) - y) <= 1e-12 * np.abs(y) + floor).all()
        w = L.tangent(x, np.random.default_rng(8).standard_normal(x.shape))
        w /= L.tangent_norm(x, w)[:, None]  # steps of length 1
        # -<x, y>_L sums terms ~x0² into cosh(1): relative rounding ~1e-16 x0², the model's own floor
        err = np.abs(L.log_map(x, L.exp_map(x, w)) - w).max(axis=1) / np.abs(w).max(axis=1)
        assert (err <= 1e-10 + 1e-15 * x[:, 0] ** 2).all()
    x = _points(seed=7, radius=2.0)
    w = L.tangent(x, np.random.default_rng(9).standard_normal(x.shape) * 0.5)
    np.testing.assert_allclose(L.tangent_norm(x, w), np.sqrt(L.inner(w, w)), rtol=1e-12)  # the plain formula near 0
    # exp of a tangent vector of length t at the origin is the point at distance t
    origin, t = np.eye(4)[0], 1.7
    np.testing.assert_allclose(L.exp_map(origin, np.array([0, t, 0, 0])), [np.cosh(t), np.sinh(t), 0, 0])
    np.testing.assert_allclose(L.exp_map(x, np.zeros_like(x)), x)  # a zero step stays put


def test_kernel_distance_gradients_match_finite_differences():
    rng = np.random.default_rng(9)
    for _ in range(20):
        u, v = L.lift(rng.uniform(-2, 2, (2, 4)))  # off the sheet's origin, but |.| moderate
        gu, gv = np.empty(5), np.empty(5)
        d = kernel.distance_and_grads(u, v, gu, gv)
        assert d == pytest.approx(float(L.distance(u, v)), rel=1e-10)
        h = 1e-6
        for i in range(5):  # ambient partial derivatives of arcosh(-<u, v>_L)
            e = np.eye(5)[i] * h
            assert gu[i] == pytest.approx(float(np.arccosh(-L.inner(u + e, v)) - np.arccosh(-L.inner(u - e, v))) / (2 * h),
                                          rel=1e-5, abs=1e-7)
            assert gv[i] == pytest.approx(float(np.arccosh(-L.inner(u, v + e)) - np.arccosh(-L.inner(u, v - e))) / (2 * h),
                                          rel=1e-5, abs=1e-7)


def test_the_riemannian_step_goes_down_the_gradient_measured_along_the_manifold():
    """f(x) = d(x, y): the kernel's small step from x, read back as a tangent vector (x_new - x) / -lr, is the
    Riemannian gradient, whose Lorentz inner product with each unit tangent direction e is f's derivative
    along the geodesic exp_x(t e) -- measured here by finite differences, not by the kernel's formulas."""
    rng = np.random.default_rng(10)
    for radius in (1.0, 6.0):
        xs, ys = _points(8, 3, seed=11, radius=radius), _points(8, 3, seed=12, radius=radius)
        for x, y in zip(xs, ys):
            if L.distance(x, y) < 0.1:
                continue
            lr = 1e-7
            grad, other = np.empty(4), np.empty(4)
            kernel.distance_and_grads(x, y, grad, other)
            stepped = x.copy()
            kernel.rsgd_step(stepped, grad.copy(), lr)
            # (first order: exp_x(v) - x = v + O(|v|²) x; log_map would hit arcosh's floor at such short steps)
            moved = (stepped - x) / -lr
            np.testing.assert_allclose(stepped, L.exp_map(x, -lr * L.riemannian_gradient(x, grad)), rtol=1e-12)
            for e in _tangent_basis(x) + [L.tangent(x, rng.standard_normal(4))]:
                e = e / L.tangent_norm(x, e)
                h = 1e-5
                fd = (L.distance(L.exp_map(x, h * e), y) - L.distance(L.exp_map(x, -h * e), y)) / (2 * h)
                assert float(L.inner(moved, e)) == pytest.approx(float(fd), abs=1e-5)
            assert L.distance(stepped, y) < L.distance(x, y)  # downhill
            # the gradient of a distance has length one: a step moves lr along the geodesic (a longer one,
            # 0.3: distances of 1e-7 sit at arcosh's rounding floor)
            far = x.copy()
            kernel.rsgd_step(far, grad.copy(), 0.3)
            assert float(L.distance(x, far)) == pytest.approx(0.3, rel=1e-9)


def test_a_long_step_is_clipped_to_the_authors_norm_clip():
    x, y = _points(2, 3, seed=13)
    grad, other = np.empty(4), np.empty(4)
    kernel.distance_and_grads(x, y, grad, other)
    stepped = x.copy()
    kernel.rsgd_step(stepped, grad * 50.0, 1.0)  # a step 50 long asked for
    assert float(L.distance(x, stepped)) == pytest.approx(kernel.MAX_STEP, rel=1e-9)


@pytest.mark.parametrize("radius", [0.5, 10.0, 15.0, 25.0])
def test_many_steps_keep_the_point_on_the_hyperboloid(radius):
    """Training-like steps (a loss's gradient: distances to a few points near and far, weights in ±1, rates
    0.01 to 5) near the origin and far from it (x0 ~ 1e4, 2e6; a step back towards the start whenever the
    walk strays 2 from its radius): the residual <x, x>_L + 1 of the stored floats, computed exactly, stays
    within rounding of x0² -- and within 1e-6 while x0 < 3e4. No step is longer than MAX_STEP. At x0 ~ 4e10
    -<x, y>_L for nearby points rounds by ~1e5 and gradients are noise (a walk there drifts off): each step
    starts from the same point, and must still land on the sheet, at most MAX_STEP away."""
    rng = np.random.default_rng(14)
    anchor = np.zeros(6)
    anchor[0], anchor[1] = np.cosh(radius), np.sinh(radius)
    walk = radius <= 15
    x = anchor.copy()
    worst, grad, one, unused = 0.0, np.empty(6), np.empty(6), np.empty(6)
    for _ in range(3000):
        if not walk:
            x = anchor.copy()
        if abs(np.arccosh(x[0]) - radius) > 2.0:
            kernel.distance_and_grads(x, anchor, grad, unused)
        else:
            grad[:] = 0.0
            for y in _points(4, 5, seed=int(rng.integers(1 << 30)), radius=radius + 3.0):
                kernel.distance_and_grads(x, y, one, unused)
                grad += rng.uniform(-1, 1) * one
        before = np.arccosh(x[0])
        kernel.rsgd_step(x, grad, rng.choice([0.01, 0.1, 1.0, 5.0]))
        residual = abs(_exact_residual(x))
        worst = max(worst, residual / x[0] ** 2)
        assert x[0] >= 3e4 or residual <= 1e-6
        assert abs(np.arccosh(x[0]) - before) <= kernel.MAX_STEP * 1.2  # (radial change <= step length)
        assert abs(np.arccosh(x[0]) - radius) <= 3.0 + 1e-6  # the walk stayed where it was kept
    assert worst <= 2e-15 and np.isfinite(x).all()  # a few float64 ulps of x0²
