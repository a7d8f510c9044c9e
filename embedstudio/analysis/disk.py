"""What the Poincaré-disk view draws, without Qt: a 2-D layout, hierarchy edges, re-centring, subtree colours."""

from __future__ import annotations

import numpy as np

from embedstudio.geometry import poincare as P


def disk_layout(vectors: np.ndarray) -> tuple[np.ndarray, str]:
    """2-D disk coordinates and a sentence saying how they were made.

    A 2-D embedding is shown as it is. Higher dimensions are mapped to the tangent space at the
    origin (log map), reduced to the two principal directions there, and mapped back (exp map):
    each point keeps its exact hyperbolic distance from the centre; only angles are approximated.
    """
    x = np.asarray(vectors, dtype=np.float64)
    if x.shape[1] == 2:
        return x.copy(), "the embedding is 2-D: shown exactly"
    tangent = P.log_map(np.zeros_like(x), x)
    radius = np.linalg.norm(tangent, axis=1)
    centred = tangent - tangent.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    direction = tangent @ vt[:2].T
    length = np.linalg.norm(direction, axis=1, keepdims=True)
    planar = np.where(length > 0, direction / np.maximum(length, 1e-300), 0.0) * radius[:, None]
    coords = P.exp_map(np.zeros_like(planar), planar)
    return coords, (f"the embedding is {x.shape[1]}-D: distances from the centre are exact, angles come from "
                    "the two principal directions of the tangent space at the centre")


def transitive_reduction(edges: np.ndarray, n_nodes: int) -> np.ndarray:
    """The direct (child, parent) links of a transitively closed hierarchy: drop (u, a) whenever a
    is also an ancestor of another ancestor of u. Drawing these instead of the closure shows the tree."""
    ancestors: list[set[int]] = [set() for _ in range(n_nodes)]
    for child, ancestor in np.asarray(edges, dtype=np.int64):
        ancestors[child].add(int(ancestor))
    out = []
    for u in range(n_nodes):
        mine = ancestors[u]
        if not mine:
            continue
        indirect = set()
        for a in mine:
            indirect |= ancestors[a]
        out.extend((u, a) for a in mine - indirect)
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def geodesic_polyline(coords: np.ndarray, edges: np.ndarray, steps: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """x, y of every edge drawn as a geodesic arc, arcs separated by NaN (one curve item for all)."""
    if len(edges) == 0:
        return np.zeros(0), np.zeros(0)
    u = coords[edges[:, 0]]
    v = coords[edges[:, 1]]
    t = np.linspace(0.0, 1.0, steps)[None, :, None]
    tangent = P.log_map(u, v)[:, None, :]
    base = np.broadcast_to(u[:, None, :], (len(edges), steps, 2))
    arcs = P.exp_map(base, t * tangent)
    arcs = np.concatenate([arcs, np.full((len(edges), 1, 2), np.nan)], axis=1).reshape(-1, 2)
    return arcs[:, 0], arcs[:, 1]


def centre_path(start: np.ndarray, target: np.ndarray, frames: int = 12) -> list[np.ndarray]:
    """Centres along the geodesic from start to target, for an animated re-centring."""
    start = np.asarray(start, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    tangent = P.log_map(start, target)
    return [P.exp_map(start, t * tangent) for t in np.linspace(0.0, 1.0, frames + 1)[1:]]


def depths(edges: np.ndarray, n_nodes: int) -> np.ndarray:
    """Each node's depth in a transitively closed hierarchy: its number of ancestors."""
    return np.bincount(np.asarray(edges, dtype=np.int64)[:, 0], minlength=n_nodes) if len(edges) else np.zeros(n_nodes, int)


def subtree_labels(edges: np.ndarray, n_nodes: int, root: int | None = None, k: int = 6) -> tuple[np.ndarray, list[int]]:
    """Colour groups for a transitively closed hierarchy: the ``k`` largest child subtrees of ``root``.

    ``root=None`` takes the top of the hierarchy (the node with the most descendants). Returns
    (label per node: index into the chosen children, ``k`` for the root itself, -1 for every other
    node; the chosen children, largest subtree first)."""
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    labels = np.full(n_nodes, -1, dtype=np.int64)
    if not len(edges):
        return labels, []
    descendants = np.bincount(edges[:, 1], minlength=n_nodes)
    if root is None:
        root = int(np.argmax(descendants))
    depth = depths(edges, n_nodes)
    below_root = edges[edges[:, 1] == root, 0]  # every descendant of root
    children = below_root[depth[below_root] == depth[root] + 1]
    chosen = [int(c) for c in children[np.argsort(-descendants[children], kind="stable")][:k]]
    labels[root] = len(chosen)
    for i, child in enumerate(chosen):
        labels[child] = i
        labels[edges[edges[:, 1] == child, 0]] = i
    return labels, chosen


def ancestors(closure_edges: np.ndarray, depth: np.ndarray, row: int) -> list[int]:
    """The ancestors of ``row`` in a transitively closed hierarchy ((child, ancestor) rows), the root first:
    the breadcrumb of a node the disk is centred on."""
    if closure_edges is None or not len(closure_edges):
        return []
    up = np.asarray(closure_edges, dtype=np.int64)
    found = up[up[:, 0] == row, 1]
    return [int(a) for a in found[np.argsort(np.asarray(depth)[found], kind="stable")]]


def root_of(closure_edges: np.ndarray, depth: np.ndarray, n_nodes: int) -> int | None:
    """The node with no ancestor that has the most descendants (the hierarchy's root), None without edges."""
    if closure_edges is None or not len(closure_edges):
        return None
    descendants = np.bincount(np.asarray(closure_edges, dtype=np.int64)[:, 1], minlength=n_nodes)
    tops = np.flatnonzero(np.asarray(depth) == 0)
    return int(tops[np.argmax(descendants[tops])]) if len(tops) else None
