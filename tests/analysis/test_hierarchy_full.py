"""The full reconstruction evaluator (numba kernel over every row) against three references: a plain
numpy ranking per row, exact integer arithmetic on grid points (ties by construction), the block
implementation it replaced, and gensim's ReconstructionEvaluation."""

from __future__ import annotations

import numpy as np
import pytest

from embedstudio.analysis import hierarchy_kernels
from embedstudio.analysis.hierarchy import link_prediction, reconstruction, split_edges
from embedstudio.data.hierarchy import Hierarchy, read_hierarchy
from embedstudio.geometry.poincare import distance, distance_matrix
from embedstudio.resources import resource

MAMMALS = resource("sample", "mammal_closure.tsv")
OPTIONS = [(d, c) for d in (True, False) for c in (False, True)]


# ============================================================================ hierarchies and vectors
def complete_tree(depth: int, branching: int) -> Hierarchy:
    """A complete tree, transitively closed (as tests/train/test_poincare.tree_closure)."""
    parent = [-1]
    frontier = [0]
    for _ in range(depth):
        nxt = []
        for p in frontier:
            for _ in range(branching):
                parent.append(p)
                nxt.append(len(parent) - 1)
        frontier = nxt
    edges = [(v, parent[v]) for v in range(1, len(parent))]
    return Hierarchy.from_edges([f"t{i}" for i in range(len(parent))], edges, closure=True)


def random_tree(n: int, seed: int) -> Hierarchy:
    rng = np.random.default_rng(seed)
    edges = [(i, int(rng.integers(0, i))) for i in range(1, n)]
    return Hierarchy.from_edges([f"r{i}" for i in range(n)], edges, closure=True)


def ball(n: int, dim: int, seed: int, max_norm: float = 0.95) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x * rng.uniform(0.0, max_norm, (n, 1))


def with_duplicates(n: int, dim: int, seed: int, n_distinct: int) -> np.ndarray:
    """Random float vectors (not exactly representable sums) shared by many nodes: exact ties."""
    protos = ball(n_distinct, dim, seed)
    return protos[np.random.default_rng(seed + 1).integers(0, n_distinct, n)]


def grid(n: int, seed: int) -> np.ndarray:
    """Points with coordinates in {-2, ..., 2} / 4 (d=3, |x|² <= 3/4): every sum and product is exact."""
    return np.random.default_rng(seed).integers(-2, 3, (n, 3)) / 4.0


def trained_like(h: Hierarchy, dim: int, seed: int) -> np.ndarray:
    """What training tends to give: general nodes near the centre, each node near its parent in
    direction and further out, leaves near the rim (norms up to 1 - 1e-5), with some noise."""
    ptr, idx = h.ancestors_csr()
    depth = np.diff(ptr)
    rng = np.random.default_rng(seed)
    direction = np.zeros((h.n_nodes, dim))
    for u in np.argsort(depth, kind="stable").tolist():
        anc = idx[ptr[u]:ptr[u + 1]]
        base = direction[anc[np.argmax(depth[anc])]] if len(anc) else np.zeros(dim)
        step = rng.standard_normal(dim) * 0.6 ** depth[u]
        direction[u] = base + step
    direction /= np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-12)
    norm = np.minimum(1.0 - 0.5 ** (depth + 1) * rng.uniform(0.5, 1.5, h.n_nodes), 1.0 - 1e-5)
    return direction * norm[:, None]


# ============================================================================ references
def positives_of(h: Hierarchy, directed: bool) -> list[np.ndarray]:
    ptr, idx = h.ancestors_csr() if directed else (h.neighbor_ptr, h.neighbor_idx)
    return [idx[ptr[u]:ptr[u + 1]] for u in range(h.n_nodes)]


def summarise(ranks_per_node):
    ranks, aps = [], []
    for rk in ranks_per_node:
        rk = np.sort(rk)
        ranks.extend(rk.tolist())
        aps.append(np.mean(np.arange(1, len(rk) + 1) / (rk + np.arange(len(rk)))))
    return float(np.mean(ranks)), float(np.mean(aps)), len(aps), len(ranks)


def numpy_reference(vecs, h: Hierarchy, directed: bool, count_self: bool, excluded=None):
    """Per row: the distances to all nodes, the negatives' masked in, 1 + #(negatives nearer)."""
    pos = positives_of(h, directed)
    out = []
    for u in range(h.n_nodes):
        if len(pos[u]) == 0:
            continue
        d = distance(vecs[u], vecs)
        negative = np.ones(h.n_nodes, dtype=bool)
        negative[pos[u]] = False
        if excluded is not None:
            negative[excluded[u]] = False
        if not count_self:
            negative[u] = False
        neg = np.sort(d[negative])
        out.append(1 + np.searchsorted(neg, d[pos[u]], side="left"))  # strictly nearer negatives
    return summarise(out)


def exact_grid_reference(vecs, h: Hierarchy, directed: bool, count_self: bool):
    """On grid points: compare x(u, w) = S_w / (O_u O_w) with integers S = 16|u - w|², O = 16(1 - |w|²)."""
    q = np.rint(vecs * 4).astype(np.int64)
    big_o = 16 - (q * q).sum(1)
    pos = positives_of(h, directed)
    out = []
    for u in range(h.n_nodes):
        if len(pos[u]) == 0:
            continue
        s = ((q - q[u]) ** 2).sum(1)
        negative = np.ones(h.n_nodes, dtype=bool)
        negative[pos[u]] = False
        if not count_self:
            negative[u] = False
        sw, ow = s[negative], big_o[negative]
        # x_w < x_v  <=>  S_w O_v < S_v O_w  (O_u > 0 cancels)
        out.append(np.array([1 + int(np.sum(sw * big_o[v] < s[v] * ow)) for v in pos[u].tolist()]))
    return summarise(out)


def old_block_rank_nodes(vecs, nodes, pos_ptr, pos_idx, excl_ptr, excl_idx, count_self):
    """The implementation the kernel replaced (embedstudio/analysis/hierarchy.py before issue 19),
    verbatim but for the block size: distance_matrix per block, searchsorted per row."""
    n = vecs.shape[0]
    block = max(1, min(len(nodes), (1 << 20) // max(n, 1)))
    rank_sum, n_pairs, ap_sum = 0.0, 0, 0.0
    for start in range(0, len(nodes), block):
        chunk = nodes[start:start + block]
        dist = distance_matrix(vecs[chunk], vecs)
        for r, u in enumerate(chunk.tolist()):
            row = dist[r]
            pos = pos_idx[pos_ptr[u]:pos_ptr[u + 1]]
            k = len(pos)
            pos_d = np.sort(row[pos])
            row[pos] = np.inf
            if excl_ptr is not None:
                row[excl_idx[excl_ptr[u]:excl_ptr[u + 1]]] = np.inf
            if not count_self:
                row[u] = np.inf
            nearer = row[row < pos_d[-1]]
            j = np.searchsorted(pos_d, nearer, side="right")
            ranks = np.cumsum(np.bincount(j, minlength=k + 1)[:k]) + 1.0
            rank_sum += float(ranks.sum())
            n_pairs += k
            ap_sum += float(np.mean(np.arange(1, k + 1) / (ranks + np.arange(k))))
    return rank_sum, n_pairs, ap_sum


def old_reconstruction(vecs, h: Hierarchy, directed: bool, count_self: bool):
    ptr, idx = h.ancestors_csr() if directed else (h.neighbor_ptr, h.neighbor_idx)
    nodes = np.nonzero(np.diff(ptr) > 0)[0]
    rank_sum, n_pairs, ap_sum = old_block_rank_nodes(np.asarray(vecs, np.float64), nodes, ptr, idx, None, None,
                                                     count_self)
    return rank_sum / n_pairs, ap_sum / len(nodes), len(nodes), n_pairs


def assert_same(got, expected, tol=1e-12):
    mean_rank, map_, n_nodes, n_pairs = expected
    assert got.mean_rank == pytest.approx(mean_rank, abs=tol, rel=0)
    assert got.map == pytest.approx(map_, abs=tol, rel=0)
    assert (got.n_nodes, got.n_pairs) == (n_nodes, n_pairs)


# ============================================================================ against the references
@pytest.mark.parametrize("directed,count_self", OPTIONS)
@pytest.mark.parametrize("make", [lambda: complete_tree(4, 2), lambda: complete_tree(3, 4), lambda: random_tree(150, 7)],
                         ids=["binary-depth4", "4ary-depth3", "random150"])
def test_equals_the_numpy_reference_on_small_trees(make, directed, count_self):
    h = make()
    for seed in range(3):
        vecs = ball(h.n_nodes, 5, seed)
        assert_same(reconstruction(vecs, h, directed=directed, count_self=count_self),
                    numpy_reference(vecs, h, directed, count_self))


@pytest.mark.parametrize("directed,count_self", OPTIONS)
def test_exact_ties_on_grid_points(directed, count_self):
    # 5^3 grid points for 300 nodes: most distances tie with some other; integer arithmetic decides.
    h = random_tree(300, 3)
    vecs = grid(h.n_nodes, 4)
    expected = exact_grid_reference(vecs, h, directed, count_self)
    assert_same(reconstruction(vecs, h, directed=directed, count_self=count_self), expected)
    # the float reference agrees here too: grid sums are exact, so equal x give equal distances
    assert_same(reconstruction(vecs, h, directed=directed, count_self=count_self),
                numpy_reference(vecs, h, directed, count_self))


@pytest.mark.parametrize("directed,count_self", OPTIONS)
def test_exact_ties_between_duplicated_float_vectors_across_tiles(directed, count_self):
    # The mammals (1,180 nodes) span two tiles and 19 row blocks; 200 random float vectors shared by
    # all nodes put duplicates of a row's positives among its negatives in vector lanes and in the
    # tile's scalar tail: the tie must go to the positive everywhere.
    h = read_hierarchy(MAMMALS)
    assert h.n_nodes > hierarchy_kernels._TILE and h.n_nodes > 2 * hierarchy_kernels._ROWS
    vecs = with_duplicates(h.n_nodes, 5, 11, 200)
    got = reconstruction(vecs, h, directed=directed, count_self=count_self)
    assert_same(got, numpy_reference(vecs, h, directed, count_self))


def test_identical_vectors_everywhere():
    # every node at one point: all scores tie, every negative loses to every positive
    h = complete_tree(3, 3)
    vecs = np.tile([0.3, -0.2, 0.1], (h.n_nodes, 1))
    for directed, count_self in OPTIONS:
        got = reconstruction(vecs, h, directed=directed, count_self=count_self)
        assert got.mean_rank == 1.0 and got.map == 1.0


@pytest.mark.parametrize("directed,count_self", OPTIONS)
def test_equals_the_old_block_implementation_on_the_mammals(directed, count_self):
    h = read_hierarchy(MAMMALS)
    for dim, seed in [(5, 0), (10, 1), (2, 2)]:
        vecs = trained_like(h, dim, seed)
        got = reconstruction(vecs, h, directed=directed, count_self=count_self)
        old = old_reconstruction(vecs, h, directed, count_self)
        assert_same(got, old)
    # the layout is trained-ish, not random: far better than chance, short of perfect
    good = reconstruction(trained_like(h, 5, 0), h)
    assert 1.0 < good.mean_rank < 50 and 0.3 < good.map < 1.0


def test_link_prediction_equals_the_old_block_implementation_on_the_mammals():
    from embedstudio.analysis.hierarchy import _csr_from_pairs

    h = read_hierarchy(MAMMALS)
    train, test = split_edges(h, 0.1, seed=0)
    vecs = trained_like(h, 5, 3)
    for directed in (True, False):
        if directed:
            t_ptr, t_idx = _csr_from_pairs(test[:, 0], test[:, 1], h.n_nodes)
            e_ptr, e_idx = train.ancestors_csr()
        else:
            t_ptr, t_idx = _csr_from_pairs(np.r_[test[:, 0], test[:, 1]], np.r_[test[:, 1], test[:, 0]], h.n_nodes)
            e_ptr, e_idx = train.neighbor_ptr, train.neighbor_idx
        nodes = np.nonzero(np.diff(t_ptr) > 0)[0]
        rank_sum, n_pairs, ap_sum = old_block_rank_nodes(vecs, nodes, t_ptr, t_idx, e_ptr, e_idx, False)
        got = link_prediction(vecs, train, test, directed=directed)
        assert got.mean_rank == pytest.approx(rank_sum / n_pairs, abs=1e-12)
        assert got.map == pytest.approx(ap_sum / len(nodes), abs=1e-12)
        assert (got.n_edges, got.n_nodes) == (n_pairs, len(nodes))


def test_equals_gensim_on_trained_like_mammals(tmp_path):
    pytest.importorskip("gensim")
    from gensim.models.poincare import PoincareKeyedVectors, ReconstructionEvaluation

    h = read_hierarchy(MAMMALS)
    vecs = trained_like(h, 5, 0)
    kv = PoincareKeyedVectors(5, 0, dtype=np.float64)
    kv.add_vectors(list(h.names), vecs)
    expected = ReconstructionEvaluation(str(MAMMALS), kv).evaluate()
    got = reconstruction(vecs, h, count_self=True)
    assert got.mean_rank == pytest.approx(float(expected["mean_rank"]), abs=1e-9, rel=0)
    assert got.map == pytest.approx(float(expected["MAP"]), abs=1e-9, rel=0)


# ============================================================================ threads, sampling, rim
def test_threads_do_not_change_the_figures():
    h = read_hierarchy(MAMMALS)
    vecs = trained_like(h, 5, 4)
    one = reconstruction(vecs, h, threads=1)
    assert reconstruction(vecs, h, threads=2) == one
    assert reconstruction(vecs, h, threads=7) == one
    assert reconstruction(vecs, h, max_nodes=300, seed=2, threads=2) == reconstruction(vecs, h, max_nodes=300,
                                                                                        seed=2, threads=1)
    with pytest.raises(ValueError, match="threads"):
        reconstruction(vecs, h, threads=0)


def test_points_at_the_rim_rank_by_their_true_order():
    # Near the rim the expanded |u|² + |w|² - 2u·w (distance_matrix, the old evaluator) rounds both
    # distances below to 0: a tie the positive won by luck. Summing coordinate differences keeps
    # them (distance 2e-4 and 1e-4): the nearer negative must beat the positive, and only then.
    r = 1 - 1e-5
    at = lambda angle: [r * np.cos(angle), r * np.sin(angle)]
    h = Hierarchy.from_edges(["leaf", "parent", "other"], [(0, 1)])
    far_parent = np.array([at(0.0), at(2e-9), at(1e-9)])
    assert np.all(distance_matrix(far_parent[:1], far_parent) == 0.0)
    got = reconstruction(far_parent, h)
    assert (got.mean_rank, got.map) == (2.0, 0.5)
    assert_same(got, numpy_reference(far_parent, h, True, False))
    near_parent = np.array([at(0.0), at(1e-9), at(2e-9)])
    assert (reconstruction(near_parent, h).mean_rank, reconstruction(near_parent, h).map) == (1.0, 1.0)


def test_nodes_evaluates_exactly_those():
    h = read_hierarchy(MAMMALS)
    vecs = trained_like(h, 5, 5)
    root = h.index["mammal.n.01"]
    chosen = [root, 5, 17, 17, 400]
    got = reconstruction(vecs, h, nodes=chosen)
    assert got.n_nodes == 3  # the root has no ancestor; 17 counted once
    sub_ranks = []
    for u in (5, 17, 400):
        d = distance(vecs[u], vecs)
        pos = h.ancestors_csr()[1][h.ancestors_csr()[0][u]:h.ancestors_csr()[0][u + 1]]
        negative = np.ones(h.n_nodes, dtype=bool)
        negative[pos] = False
        negative[u] = False
        sub_ranks.append(1 + np.searchsorted(np.sort(d[negative]), d[pos], side="left"))
    assert_same(got, summarise(sub_ranks))
    with pytest.raises(ValueError, match="not both"):
        reconstruction(vecs, h, nodes=[5], max_nodes=10)
    with pytest.raises(ValueError, match="node ids"):
        reconstruction(vecs, h, nodes=[h.n_nodes])
