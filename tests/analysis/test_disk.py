"""The Poincaré-disk layout: exact radii, tree edges, geodesic arcs, thinning labels, re-centring path."""

import numpy as np

from embedstudio.analysis import disk
from embedstudio.geometry import poincare as P


def test_higher_dimensions_keep_every_distance_from_the_centre():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 6))
    x *= (rng.uniform(0, 0.97, 200) / np.linalg.norm(x, axis=1))[:, None]
    coords, note = disk.disk_layout(x)
    assert coords.shape == (200, 2) and "exact" in note
    np.testing.assert_allclose(P.distance(np.zeros(2), coords), P.distance(np.zeros(6), x), rtol=1e-9)
    two, note2 = disk.disk_layout(x[:, :2] / 2)
    np.testing.assert_array_equal(two, x[:, :2] / 2)
    assert "shown exactly" in note2


def test_transitive_reduction_recovers_the_tree():
    # 0 <- 1 <- 3, 0 <- 2, closure adds (3, 0)
    closure = np.array([[1, 0], [2, 0], [3, 1], [3, 0]])
    assert sorted(map(tuple, disk.transitive_reduction(closure, 4))) == [(1, 0), (2, 0), (3, 1)]
    np.testing.assert_array_equal(disk.depths(closure, 4), [0, 1, 1, 2])


def test_arcs_are_geodesics_between_their_ends():
    coords = np.array([[0.5, 0.1], [-0.3, 0.6], [0.0, 0.0]])
    x, y = disk.geodesic_polyline(coords, np.array([[0, 1], [2, 0]]), steps=9)
    pts = np.column_stack([x, y])
    first, second = pts[:9], pts[10:19]
    assert np.isnan(pts[9]).all()
    np.testing.assert_allclose(first[[0, -1]], coords[[0, 1]], atol=1e-9)
    np.testing.assert_allclose(P.distance(first[:-1], first[1:]), P.distance(coords[0], coords[1]) / 8, rtol=1e-6)
    # an arc through the centre is a straight diameter
    assert np.allclose(second[:, 0] * coords[0, 1] - second[:, 1] * coords[0, 0], 0, atol=1e-12)


def test_the_centre_path_ends_on_the_target():
    path = disk.centre_path(np.zeros(2), np.array([0.6, 0.2]), frames=5)
    np.testing.assert_allclose(path[-1], [0.6, 0.2], atol=1e-9)
    steps = [P.distance(a, b) for a, b in zip([np.zeros(2)] + path[:-1], path)]
    np.testing.assert_allclose(steps, steps[0], rtol=1e-6)  # even speed along the geodesic


def test_subtree_labels_colour_the_largest_child_subtrees_of_a_node():
    from embedstudio.analysis.disk import subtree_labels
    from embedstudio.data.hierarchy import Hierarchy

    #        root
    #     a        b      c
    #   a1 a2 a3   b1
    names = ["root", "a", "b", "c", "a1", "a2", "a3", "b1"]
    parent = {"a": "root", "b": "root", "c": "root", "a1": "a", "a2": "a", "a3": "a", "b1": "b"}
    ids = {n: i for i, n in enumerate(names)}
    h = Hierarchy.from_edges(names, np.array([[ids[c], ids[p]] for c, p in parent.items()]), closure=True)
    labels, chosen = subtree_labels(h.edges, len(names), k=2)
    assert [names[c] for c in chosen] == ["a", "b"]  # the two largest subtrees, largest first
    assert [labels[ids[n]] for n in ("a", "a1", "a2", "a3", "b", "b1", "c", "root")] == [0, 0, 0, 0, 1, 1, -1, 2]
    labels, chosen = subtree_labels(h.edges, len(names), root=ids["a"])
    assert [names[c] for c in chosen] == ["a1", "a2", "a3"] and labels[ids["b"]] == -1 and labels[ids["a"]] == 3
