import numpy as np

from embedstudio.geometry.plane import points_in_polygon, rectangle


def test_rectangle_and_concave_polygon_against_direct_checks():
    rng = np.random.default_rng(0)
    pts = rng.uniform(-2, 2, size=(5000, 2))
    inside = points_in_polygon(pts, rectangle(-1, -0.5, 1, 0.5))
    direct = (np.abs(pts[:, 0]) < 1) & (np.abs(pts[:, 1]) < 0.5)
    assert (inside == direct).all()
    # an L shape: the unit square minus its upper-right quarter
    ell = np.array([[0, 0], [1, 0], [1, 0.5], [0.5, 0.5], [0.5, 1], [0, 1]])
    got = points_in_polygon(pts, ell)
    want = ((pts >= 0) & (pts <= 1)).all(1) & ~((pts[:, 0] > 0.5) & (pts[:, 1] > 0.5))
    assert (got == want).all()


def test_degenerate_polygons_enclose_nothing():
    pts = np.zeros((3, 2))
    assert not points_in_polygon(pts, np.array([[0, 0], [1, 1]])).any()
