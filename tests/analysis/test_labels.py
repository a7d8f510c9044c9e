"""The label placer: the numba kernel against a pure-Python reference, labels that never overlap, forced ones
always placed, and candidates in priority order."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedstudio.analysis.labels import (
    GAP_PX,
    PLACES,
    candidates,
    label_rect,
    place_labels,
)


def reference(x, y, w, h, view_w, view_h, n_forced, max_labels):
    """The placement rule written plainly: each candidate in order takes the first of the four places that
    stays in view and keeps GAP_PX from every label placed before (forced ones take the first place)."""
    placed, rects = [], []
    for i in range(len(x)):
        if len(placed) >= max_labels:
            break
        for p in range(len(PLACES)):
            x0, y0, x1, y1 = label_rect(x[i], y[i], w[i], h[i], p)
            if i < n_forced or (x0 >= 0 and y0 >= 0 and x1 <= view_w and y1 <= view_h and all(
                    not (x0 < b1 + GAP_PX and a0 < x1 + GAP_PX and y0 < d1 + GAP_PX and c0 < y1 + GAP_PX)
                    for a0, c0, b1, d1 in rects)):
                placed.append((i, p))
                rects.append((x0, y0, x1, y1))
                break
    return placed


@settings(max_examples=150, deadline=None)
@given(n=st.integers(0, 120), forced=st.integers(0, 3), max_labels=st.integers(1, 60), seed=st.integers(0, 10**6))
def test_the_kernel_places_exactly_what_the_reference_places(n, forced, max_labels, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 400, n), rng.uniform(0, 300, n)
    w, h = rng.uniform(10, 80, n), np.full(n, 18.0)
    order, where = place_labels(x, y, w, h, 400, 300, min(forced, n), max_labels)
    assert [(int(i), int(where[i])) for i in order] == reference(x, y, w, h, 400, 300, min(forced, n), max_labels)


def test_a_dense_cloud_gets_labels_that_never_overlap_and_stay_in_view():
    rng = np.random.default_rng(0)
    n = 5000
    x, y = rng.normal(300, 60, n), rng.normal(200, 40, n)
    w, h = rng.uniform(20, 70, n), np.full(n, 16.0)
    order, where = place_labels(x, y, w, h, 600, 400, 0, 300)
    rects = np.array([label_rect(x[i], y[i], w[i], h[i], int(where[i])) for i in order])
    assert 20 < len(order) < 300  # the space runs out long before the cap
    assert (rects[:, 0] >= 0).all() and (rects[:, 2] <= 600).all() and (rects[:, 1] >= 0).all()
    for a in range(len(rects)):
        for b in range(a + 1, len(rects)):
            overlap = (rects[a, 0] < rects[b, 2] and rects[b, 0] < rects[a, 2]
                       and rects[a, 1] < rects[b, 3] and rects[b, 1] < rects[a, 3])
            assert not overlap, (a, b)
    # the same points seen four times larger (a zoom): more of them get a label
    zoomed, _ = place_labels((x - 300) * 4 + 300, (y - 200) * 4 + 200, w, h, 600, 400, 0, 300)
    assert len(zoomed) > len(order)


def test_no_label_covers_an_obstacle():
    rng = np.random.default_rng(3)
    n = 800
    x, y = rng.uniform(0, 400, n), rng.uniform(0, 300, n)
    w, h = np.full(n, 40.0), np.full(n, 14.0)
    legend = (0.0, 0.0, 120.0, 90.0)
    order, where = place_labels(x, y, w, h, 400, 300, 0, 200, obstacles=[legend])
    assert len(order) > 20
    for i in order:
        x0, y0, x1, y1 = label_rect(x[i], y[i], w[i], h[i], int(where[i]))
        assert x0 >= legend[2] or y0 >= legend[3], (x0, y0)


def test_forced_labels_are_placed_even_where_others_would_collide():
    x, y = np.full(3, 100.0), np.full(3, 100.0)  # three points on one spot
    w, h = np.full(3, 40.0), np.full(3, 16.0)
    order, _ = place_labels(x, y, w, h, 300, 300, 2, 10)
    assert order.tolist()[:2] == [0, 1]


def test_candidates_come_forced_first_then_preferred_then_by_importance():
    importance = np.array([5.0, 1.0, 9.0, 3.0, 7.0, 2.0])
    rows, n_forced = candidates(np.array([0, 1, 2, 3, 4]), importance, forced=[3], preferred=np.array([1, 5]))
    assert n_forced == 1
    assert rows.tolist() == [3, 1, 2, 4, 0]  # 5 is not in view; 3 and 1 only once
    rows, _ = candidates(np.arange(10_000), np.arange(10_000, dtype=float), limit=50)
    assert rows.tolist() == list(range(9_999, 9_949, -1))  # the 50 most important, best first
    rows, _ = candidates(np.array([7, 2, 5]), None)
    assert rows.tolist() == [2, 5, 7]  # no importance: the first rows (a frequency-sorted file) first


def test_label_rect_is_the_kernels_rule_in_plain_python():
    # the GUI thread computes label boxes without entering numba (whose compiler lock umap holds at start-up)
    from embedstudio.analysis.labels import PLACES, _rect

    rng = np.random.default_rng(4)
    for _ in range(50):
        x, y, w, h = rng.uniform(-500, 500), rng.uniform(-500, 500), rng.uniform(1, 90), rng.uniform(1, 30)
        for p in range(len(PLACES)):
            assert label_rect(x, y, w, h, p) == pytest.approx(_rect(x, y, w, h, PLACES, p), abs=1e-9)
    assert not hasattr(label_rect, "py_func")  # a plain function, not a numba dispatcher
