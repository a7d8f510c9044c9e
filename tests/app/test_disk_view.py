"""The Poincaré-disk view: arcs, depth colours, labels, search, animated re-centring."""

import numpy as np
import pytest

pytest.importorskip("PySide6")

from embedstudio.app.views.disk_view import DiskView  # noqa: E402
from embedstudio.geometry import poincare as P  # noqa: E402
from tests.train.test_poincare import tree_closure  # noqa: E402


@pytest.fixture
def view(qtbot):
    v = DiskView()
    v.resize(700, 700)
    qtbot.addWidget(v)
    v.show()
    return v


def _tree_layout(depth=3):
    edges, n, level = tree_closure(depth)
    rng = np.random.default_rng(0)
    angles = rng.uniform(0, 2 * np.pi, n)
    radius = np.tanh(level * 0.6)  # deeper nodes further out, as a trained embedding puts them
    return edges, [f"n{i}" for i in range(n)], np.column_stack([radius * np.cos(angles), radius * np.sin(angles)]), level


def test_shows_the_tree_with_direct_links_and_depth_groups(view):
    edges, names, coords, level = _tree_layout()
    note = view.set_hierarchy(names, coords, edges)
    assert "exactly" in note
    assert len(view.edges) == len(names) - 1  # a tree's direct links, not its closure
    assert sum(len(rows) for _, rows in view._groups) == len(names)
    assert "n0" in view.labelled  # the root sits at the centre and is labelled


def test_clicking_a_node_recentres_on_it_with_an_animation(view, qtbot):
    edges, names, coords, _ = _tree_layout()
    view.set_hierarchy(names, coords, edges)
    target = 9
    view.recentre_on(target)
    assert view.animating
    qtbot.waitUntil(lambda: not view.animating, timeout=3000)
    np.testing.assert_allclose(view.shown[target], 0, atol=1e-9)
    # a Möbius translation keeps every hyperbolic distance
    np.testing.assert_allclose(P.distance_matrix(view.shown, view.shown), P.distance_matrix(coords, coords), atol=1e-6)
    assert "n9" in view.labelled


def test_search_highlights_and_higher_dimensions_are_explained(view):
    rng = np.random.default_rng(1)
    x = rng.uniform(-0.3, 0.3, (20, 5))
    note = view.set_hierarchy([f"w{i}" for i in range(20)], x)
    assert "5-D" in note
    rows = view.search(r"^w1\d$")
    assert list(rows) == list(range(10, 20))


def test_a_real_click_on_a_node_brings_it_to_the_centre_and_edges_are_arcs(view, qtbot):
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest

    edges, names, coords, _ = _tree_layout()
    view.set_hierarchy(names, coords, edges)
    x, y = view._edges_item.getData()
    assert len(x) == len(view.edges) * 17  # 16 points per arc and a break: arcs, not straight segments
    target = 12
    scene = view.getViewBox().mapViewToScene(QPointF(*view.shown[target]))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(scene))
    qtbot.waitUntil(lambda: not view.animating and np.allclose(view.shown[target], 0, atol=1e-6), timeout=3000)


def test_browsing_two_clicks_deep_labels_the_children_and_back_forward_home_retrace_it(view, qtbot):
    from embedstudio.analysis import disk

    edges, n, level = tree_closure(4)
    parent = dict((int(c), int(p)) for c, p in disk.transitive_reduction(edges, n))
    angle = np.zeros(n)  # as training places them: each child near its parent, deeper nodes further out
    rng = np.random.default_rng(2)
    for row in np.argsort(level, kind="stable"):
        if int(row) in parent:
            angle[row] = angle[parent[int(row)]] + rng.uniform(-1, 1) * 1.2 ** -float(level[row]) * 1.5
    radius = np.tanh(level * 0.6)
    names = [f"n{i}" for i in range(n)]
    view.set_hierarchy(names, np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]), edges)
    children = lambda r: [int(c) for c in view.edges[view.edges[:, 1] == r, 0]]  # noqa: E731
    root = int(np.flatnonzero(level == 0)[0])
    a = children(root)[0]
    b = children(a)[0]
    for row in (a, b):  # two clicks, each into a child of the last centre
        view.recentre_on(row)
        qtbot.waitUntil(lambda: not view.animating, timeout=3000)
    assert view.breadcrumb() == [root, a, b]  # the centre's ancestors, root first
    assert names[b] == view.labelled[0] and set(names[c] for c in children(b)) <= set(view.labelled)
    assert view.legend and view.legend[0][0] == "depth 0"  # a depth legend beside the disk
    view.back()
    qtbot.waitUntil(lambda: not view.animating, timeout=3000)
    assert view.centre_row == a and view.can_go_forward
    view.forward()
    qtbot.waitUntil(lambda: not view.animating, timeout=3000)
    assert view.centre_row == b and not view.can_go_forward
    view.home()
    qtbot.waitUntil(lambda: not view.animating, timeout=3000)
    assert view.centre_row == root and view.breadcrumb() == [root]
    np.testing.assert_allclose(view.shown[root], 0, atol=1e-9)


def test_after_a_resize_the_labels_stay_inside_the_disk_and_apart(view, qtbot):
    edges, names, coords, _ = _tree_layout(4)
    view.set_hierarchy(names, coords, edges)
    view.resize(420, 420)  # the labels were placed for 700 px
    qtbot.wait(300)
    box = view.getViewBox().sceneBoundingRect()
    rects = [item.sceneBoundingRect() for item in view.labels.items if item.isVisible()]
    assert rects
    for i, a in enumerate(rects):
        assert box.adjusted(-1, -1, 1, 1).contains(a), (a, box)
        for b in rects[i + 1:]:
            assert not a.intersects(b)
