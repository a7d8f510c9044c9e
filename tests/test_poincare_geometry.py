"""Poincaré-ball geometry against closed forms and model identities."""

import numpy as np
import pytest

from embedstudio.geometry import poincare as P


def _points(n=50, dim=3, seed=0, max_norm=0.95):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x * rng.uniform(0, max_norm, size=(n, 1))


def test_distance_from_origin_is_two_artanh_of_the_norm():
    x = _points()
    np.testing.assert_allclose(P.distance(np.zeros(3), x), 2 * np.arctanh(np.linalg.norm(x, axis=1)), rtol=1e-10)


def test_distance_is_a_metric_and_the_matrix_agrees():
    a, b, c = _points(seed=1), _points(seed=2), _points(seed=3)
    dab, dbc, dac = P.distance(a, b), P.distance(b, c), P.distance(a, c)
    assert (dac <= dab + dbc + 1e-9).all()
    np.testing.assert_allclose(P.distance(a, b), P.distance(b, a))
    np.testing.assert_allclose(P.distance(a, a), 0, atol=1e-6)
    np.testing.assert_allclose(P.distance_matrix(a, b)[np.arange(50), np.arange(50)], dab, rtol=1e-8)


def test_mobius_translation_is_an_isometry_that_centres_a_point():
    x, c = _points(seed=4), _points(n=1, seed=5)[0]
    moved = P.recenter(x, c)
    np.testing.assert_allclose(P.recenter(c[None], c), 0, atol=1e-12)
    # (atol: arcosh near 1 turns rounding of the diagonal into ~1e-7 differences)
    np.testing.assert_allclose(P.distance_matrix(moved, moved), P.distance_matrix(x, x), atol=1e-6)
    assert (np.linalg.norm(moved, axis=1) < 1).all()


def test_exp_and_log_are_inverse_and_exp_from_origin_is_tanh():
    x, y = _points(seed=6, max_norm=0.8), _points(seed=7, max_norm=0.8)
    np.testing.assert_allclose(P.exp_map(x, P.log_map(x, y)), y, atol=1e-9)
    v = np.array([0.3, -0.4, 0.0])
    np.testing.assert_allclose(P.exp_map(np.zeros(3), v), np.tanh(np.linalg.norm(v)) * v / np.linalg.norm(v))
    # the tangent vector's length (in the metric at x) is the distance
    lam = 2 / (1 - (x**2).sum(1))
    np.testing.assert_allclose(lam * np.linalg.norm(P.log_map(x, y), axis=1), P.distance(x, y), rtol=1e-8)


def test_klein_and_lorentz_round_trips_and_invariants():
    x = _points(seed=8)
    np.testing.assert_allclose(P.from_klein(P.to_klein(x)), x, atol=1e-12)
    h = P.to_lorentz(x)
    np.testing.assert_allclose(-h[:, 0] ** 2 + (h[:, 1:] ** 2).sum(1), -1.0, atol=1e-8)
    np.testing.assert_allclose(P.from_lorentz(h), x, atol=1e-12)
    # distance on the hyperboloid: arcosh(-<h_u, h_v>_L)
    hu, hv = h[:-1], h[1:]
    lorentz = -(-hu[:, 0] * hv[:, 0] + (hu[:, 1:] * hv[:, 1:]).sum(1))
    np.testing.assert_allclose(np.arccosh(lorentz), P.distance(x[:-1], x[1:]), rtol=1e-7)


def test_project_pulls_points_inside_and_leaves_others():
    x = np.array([[0.5, 0.0], [3.0, 4.0], [1.0, 0.0]])
    p = P.project(x)
    np.testing.assert_allclose(p[0], x[0])
    assert np.linalg.norm(p[1]) == pytest.approx(1 - P.BOUNDARY_EPS)
    assert np.linalg.norm(p[2]) == pytest.approx(1 - P.BOUNDARY_EPS)


def test_geodesic_runs_between_the_points_at_even_speed():
    u, v = np.array([0.5, 0.1]), np.array([-0.3, 0.6])
    arc = P.geodesic(u, v, n=11)
    np.testing.assert_allclose(arc[0], u, atol=1e-12)
    np.testing.assert_allclose(arc[-1], v, atol=1e-9)
    steps = P.distance(arc[:-1], arc[1:])
    np.testing.assert_allclose(steps, P.distance(u, v) / 10, rtol=1e-6)


def test_mobius_identity_and_inverse():
    x = _points(seed=9)
    np.testing.assert_allclose(P.mobius_add(np.zeros(3), x), x, atol=1e-12)
    np.testing.assert_allclose(P.mobius_add(x, np.zeros(3)), x, atol=1e-12)
    np.testing.assert_allclose(P.mobius_add(-x, x), 0, atol=1e-12)
    # left cancellation: (-a) ⊕ (a ⊕ b) = b
    a, b = _points(seed=10, max_norm=0.8), _points(seed=11, max_norm=0.8)
    np.testing.assert_allclose(P.mobius_add(-a, P.mobius_add(a, b)), b, atol=1e-9)
