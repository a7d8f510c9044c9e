"""Poincaré trainer: gradients against finite differences, learning a tree, resume, divergence guard."""

import types

import numpy as np
import pytest

from embedstudio.geometry.poincare import distance, distance_matrix
from embedstudio.train.base import Checkpoint
from embedstudio.train.kernels import poincare as kernel
from embedstudio.train.poincare import PoincareConfig, PoincareTrainer, TrainingDiverged


def tree_closure(depth=4, branching=2):
    """A complete tree's transitive closure as (child, ancestor) edges, plus each node's depth."""
    parent, level = [-1], [0]
    frontier = [0]
    for d in range(1, depth + 1):
        nxt = []
        for p in frontier:
            for _ in range(branching):
                parent.append(p)
                level.append(d)
                nxt.append(len(parent) - 1)
        frontier = nxt
    edges = []
    for node in range(len(parent)):
        a = parent[node]
        while a != -1:
            edges.append((node, a))
            a = parent[a]
    return np.array(edges, dtype=np.int32), len(parent), np.array(level)


def make_hierarchy(edges, n):
    """A Hierarchy-shaped object (what the trainer reads)."""
    und = np.concatenate([edges, edges[:, ::-1]])
    order = np.lexsort((und[:, 1], und[:, 0]))
    und = und[order]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(ptr, und[:, 0] + 1, 1)
    ptr = np.cumsum(ptr)
    degree = np.bincount(edges.ravel(), minlength=n).astype(np.int64)
    return types.SimpleNamespace(names=[f"n{i}" for i in range(n)], edges=edges, neighbor_ptr=ptr,
                                 neighbor_idx=und[:, 1].astype(np.int32), degree=degree, n_nodes=n,
                                 n_edges=len(edges), path="tree")


def mean_rank(vectors, h):
    """Reconstruction mean rank, brute force: each true neighbour among non-neighbours."""
    d = distance_matrix(vectors, vectors)
    neighbours = [set() for _ in range(h.n_nodes)]
    for u, v in h.edges:
        neighbours[u].add(v)
        neighbours[v].add(u)
    ranks = []
    for u in range(h.n_nodes):
        others = [w for w in range(h.n_nodes) if w != u and w not in neighbours[u]]
        for v in neighbours[u]:
            ranks.append(1 + sum(d[u, w] < d[u, v] for w in others))
    return float(np.mean(ranks))


def test_distance_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    for _ in range(20):
        u, v = (rng.uniform(-0.45, 0.45, 4) for _ in range(2))  # norms below 0.9: inside the ball
        gu, gv = np.empty(4), np.empty(4)
        d = kernel.distance_and_grads(u, v, gu, gv)
        assert d == pytest.approx(float(distance(u, v)), rel=1e-10)
        h = 1e-6
        for i in range(4):
            e = np.zeros(4)
            e[i] = h
            assert gu[i] == pytest.approx((distance(u + e, v) - distance(u - e, v)) / (2 * h), rel=1e-4, abs=1e-6)
            assert gv[i] == pytest.approx((distance(u, v + e) - distance(u, v - e)) / (2 * h), rel=1e-4, abs=1e-6)


def test_is_neighbor_finds_every_edge_and_nothing_else():
    edges, n, _ = tree_closure(3)
    h = make_hierarchy(edges, n)
    pairs = {(int(a), int(b)) for a, b in edges} | {(int(b), int(a)) for a, b in edges}
    for u in range(n):
        for v in range(n):
            assert kernel._is_neighbor(h.neighbor_ptr, h.neighbor_idx.astype(np.int64), u, v) == ((u, v) in pairs)


@pytest.fixture(scope="module")
def tree():
    edges, n, level = tree_closure(4)
    return make_hierarchy(edges, n), level


def test_training_reconstructs_a_tree_with_general_nodes_near_the_centre(tree):
    h, level = tree
    cfg = PoincareConfig(dim=5, epochs=1000, burn_in=10, negative=10, lr=0.01, threads=1, chunk_edges=100)
    trainer = PoincareTrainer(cfg)
    reports = list(trainer.fit(h))
    vectors = trainer.vectors
    assert (np.linalg.norm(vectors, axis=1) < 1).all()
    random = np.random.default_rng(0).uniform(-0.5, 0.5, vectors.shape) / np.sqrt(vectors.shape[1])
    trained_rank, random_rank = mean_rank(vectors, h), mean_rank(random, h)
    assert trained_rank < 1.6 and random_rank > 3.0  # random vectors rank true neighbours far down
    norms = np.linalg.norm(vectors, axis=1)
    assert norms[0] < norms[level == 4].min()  # the root is the most general node
    assert np.median(norms[level == 1]) < np.median(norms[level == 4])
    losses = reports[-1].epoch_losses
    assert losses[-1] < losses[0] and len(losses) == 1000
    emb = trainer.embedding()
    assert emb.geometry == "poincare" and emb.most_similar("n1", topn=1)[0][0] in {"n0", "n3", "n4"}


def test_resume_is_bit_identical(tree, tmp_path):
    h, _ = tree
    cfg = PoincareConfig(dim=3, epochs=6, burn_in=2, threads=1, chunk_edges=40)
    straight = PoincareTrainer(cfg)
    for _ in straight.fit(h):
        pass
    first = PoincareTrainer(cfg)
    gen = first.fit(h)
    for p in gen:
        if p.cursor == p.total // 2:
            break
    first.checkpoint().save(tmp_path / "p.ckpt")
    gen.close()
    resumed = PoincareTrainer(cfg)
    list(resumed.fit(h, resume=Checkpoint.load(tmp_path / "p.ckpt")))
    assert resumed.vectors.dtype == np.float64
    assert np.array_equal(resumed.vectors, straight.vectors)


def test_divergence_stops_with_a_message(tree):
    h, _ = tree
    trainer = PoincareTrainer(PoincareConfig(dim=3, epochs=3, burn_in=0, threads=1, chunk_edges=40))
    gen = trainer.fit(h)
    next(gen)
    trainer.vectors[5] = np.nan  # what an unstable run would produce
    with pytest.raises(TrainingDiverged, match="lower the learning rate"):
        for _ in gen:
            pass


def test_config_checks():
    from embedstudio.config import ConfigError

    with pytest.raises(ConfigError, match="burn_in"):
        PoincareConfig(epochs=5, burn_in=10)
    with pytest.raises(ConfigError, match="uniform, degree"):
        PoincareConfig(negative_sampling="zipf")


def test_linear_decay_lowers_the_rate_after_burn_in_down_to_a_hundredth():
    trainer = PoincareTrainer(PoincareConfig(epochs=10, burn_in=2, lr=0.2, burn_in_factor=0.1, lr_decay="linear"))
    trainer._chunks_per_epoch = 5
    rates = [trainer._learning_rate(c) for c in range(1, 51)]
    assert rates[:10] == [pytest.approx(0.02)] * 10  # burn-in: lr x burn_in_factor
    assert rates[10] == pytest.approx(0.2)  # the first chunk after burn-in: the full rate
    assert all(b < a for a, b in zip(rates[10:], rates[11:]))  # then strictly down
    assert rates[-1] == pytest.approx(0.2 * (1 - 39 / 40))
    constant = PoincareTrainer(PoincareConfig(epochs=10, burn_in=2, lr=0.2, burn_in_factor=0.1))
    constant._chunks_per_epoch = 5
    assert [constant._learning_rate(c) for c in range(11, 51)] == [pytest.approx(0.2)] * 40


def test_negatives_can_exclude_only_ancestors_as_in_the_paper():
    from embedstudio.data.hierarchy import Hierarchy

    edges, n, level = tree_closure(depth=3)
    h = Hierarchy.from_edges([f"n{i}" for i in range(n)], edges)
    trainer = PoincareTrainer(PoincareConfig(dim=2, epochs=60, burn_in=5, threads=1, exclude="ancestors"))
    for _ in trainer.fit(h):
        pass
    ptr, idx = h.ancestors_csr()
    np.testing.assert_array_equal(trainer._ptr, ptr)
    np.testing.assert_array_equal(trainer._idx, idx)
    # a node's descendants may now be drawn as its negatives: the rows are ancestors only
    assert all(set(idx[ptr[u]:ptr[u + 1]]) == {a for c, a in edges if c == u} for u in range(n))
    norms = np.linalg.norm(trainer.vectors, axis=1)
    assert norms[0] < norms[level == 3].min()  # the root still sits nearest the centre


def test_a_short_run_of_a_small_model_hands_out_snapshots_along_its_progress(tree, monkeypatch):
    """The bundled hierarchy trains in about two seconds: timed snapshots alone (every 2 s) gave the disk nothing
    to animate. A small model also gets one every 1/25 of its run."""
    from embedstudio.train import base

    monkeypatch.setattr(base, "MIN_SNAPSHOT_GAP_S", 0.0)  # the test's run is faster than any screen
    h, _ = tree
    cfg = PoincareConfig(dim=5, epochs=200, burn_in=10, threads=1, chunk_edges=100)
    reports = list(PoincareTrainer(cfg).fit(h, snapshot_every_s=3600.0))  # no timed snapshot in this run
    at = [r.cursor / r.total for r in reports if r.snapshot is not None]
    assert len(at) >= base.SNAPSHOTS_PER_RUN and at[-1] == 1.0
    assert max(np.diff([0.0, *at])) <= 2.0 / base.SNAPSHOTS_PER_RUN  # spread over the run, not bunched
    monkeypatch.setattr(base, "PROGRESS_SNAPSHOT_MAX_BYTES", 0)  # a large model: by time only (and the last)
    reports = list(PoincareTrainer(cfg).fit(h, snapshot_every_s=3600.0))
    assert sum(r.snapshot is not None for r in reports) == 1
