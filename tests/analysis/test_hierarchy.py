"""Reconstruction and link-prediction metrics: gensim's numbers, a brute-force reference, perfect
and random embeddings, sampling, and the held-out split."""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedstudio.analysis.hierarchy import link_prediction, reconstruction, split_edges
from embedstudio.data.hierarchy import Hierarchy, read_hierarchy
from embedstudio.geometry.poincare import distance
from embedstudio.resources import resource
from embedstudio.vectors import Embedding

MAMMALS = resource("sample", "mammal_closure.tsv")


def ball(n: int, dim: int, seed: int, max_norm: float = 0.95) -> np.ndarray:
    """Random points inside the Poincaré ball, radii uniform in [0, max_norm)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x * rng.uniform(0.0, max_norm, (n, 1))


def random_closure(n: int, seed: int) -> Hierarchy:
    """A random tree (each node below an earlier one), transitively closed: a small WordNet."""
    rng = np.random.default_rng(seed)
    edges = [(i, int(rng.integers(0, i))) for i in range(1, n)]
    names = [f"node{i}.n.01" for i in range(n)]
    return Hierarchy.from_edges(names, np.array(edges), closure=True)


def write_tsv(path, names, edges) -> str:
    path.write_text("".join(f"{names[u]}\t{names[v]}\n" for u, v in np.asarray(edges).tolist()))
    return str(path)


def reference(vecs, positives: dict[int, set[int]], excluded: dict[int, set[int]], count_self: bool):
    """The metric as defined, one pair at a time (pure Python over distance())."""
    n = len(vecs)
    ranks, aps = [], []
    for u in sorted(positives):
        pos = positives[u]
        if not pos:
            continue
        d = [float(distance(vecs[u], vecs[w])) for w in range(n)]
        negatives = [w for w in range(n)
                     if w not in pos and w not in excluded.get(u, ()) and (count_self or w != u)]
        rk = sorted(1 + sum(d[w] < d[v] for w in negatives) for v in pos)
        ranks += rk
        aps.append(np.mean([(i + 1) / (r + i) for i, r in enumerate(rk)]))
    return float(np.mean(ranks)), float(np.mean(aps)), len(aps)


def directed_sets(edges) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for u, v in np.asarray(edges).tolist():
        out.setdefault(u, set()).add(v)
    return out


def undirected_sets(edges) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for u, v in np.asarray(edges).tolist():
        out.setdefault(u, set()).add(v)
        out.setdefault(v, set()).add(u)
    return out


def gensim_keyed_vectors(names, vecs):
    from gensim.models.poincare import PoincareKeyedVectors

    kv = PoincareKeyedVectors(vecs.shape[1], 0, dtype=np.float64)
    kv.add_vectors(list(names), vecs)
    return kv


# ============================================================================ gensim agreement
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reconstruction_equals_gensim(tmp_path, seed):
    pytest.importorskip("gensim")
    from gensim.models.poincare import ReconstructionEvaluation

    h = random_closure(40, seed)
    vecs = ball(h.n_nodes, 5, seed + 10)
    kv = gensim_keyed_vectors(h.names, vecs)
    expected = ReconstructionEvaluation(write_tsv(tmp_path / "closure.tsv", h.names, h.edges), kv).evaluate()
    got = reconstruction(vecs, h, count_self=True)
    assert got.mean_rank == pytest.approx(float(expected["mean_rank"]), abs=1e-9, rel=0)
    assert got.map == pytest.approx(float(expected["MAP"]), abs=1e-9, rel=0)
    assert got.n_nodes == len({u for u, _ in h.edges.tolist()}) and got.n_pairs == h.n_edges
    # gensim counts the node itself (distance 0) against every positive: exactly +1 on each rank.
    ours = reconstruction(vecs, h)
    assert ours.mean_rank == pytest.approx(got.mean_rank - 1.0, abs=1e-12)
    assert ours.map > got.map


def test_reconstruction_equals_gensim_on_the_mammals(tmp_path):
    pytest.importorskip("gensim")
    from gensim.models.poincare import ReconstructionEvaluation

    h = read_hierarchy(MAMMALS)
    vecs = ball(h.n_nodes, 5, 3)
    expected = ReconstructionEvaluation(str(MAMMALS), gensim_keyed_vectors(h.names, vecs)).evaluate()
    got = reconstruction(vecs, h, count_self=True)
    assert got.mean_rank == pytest.approx(float(expected["mean_rank"]), abs=1e-9, rel=0)
    assert got.map == pytest.approx(float(expected["MAP"]), abs=1e-9, rel=0)


@pytest.mark.parametrize("seed", [0, 1])
def test_link_prediction_equals_gensim(tmp_path, seed):
    pytest.importorskip("gensim")
    from gensim.models.poincare import LinkPredictionEvaluation

    h = random_closure(50, seed)
    train, test = split_edges(h, 0.2, seed)
    vecs = ball(h.n_nodes, 4, seed + 20)
    kv = gensim_keyed_vectors(h.names, vecs)
    expected = LinkPredictionEvaluation(
        write_tsv(tmp_path / "train.tsv", h.names, train.edges), write_tsv(tmp_path / "test.tsv", h.names, test), kv
    ).evaluate()
    got = link_prediction(vecs, train, test, count_self=True)
    assert got.mean_rank == pytest.approx(float(expected["mean_rank"]), abs=1e-9, rel=0)
    assert got.map == pytest.approx(float(expected["MAP"]), abs=1e-9, rel=0)
    assert got.n_edges == len(test)


# ============================================================================ the definition
@given(st.integers(2, 16), st.integers(0, 2**32 - 1), st.booleans(), st.booleans(), st.booleans())
@settings(max_examples=80, deadline=None)
def test_reconstruction_matches_the_reference(n, seed, closure, directed, count_self):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 2 * n))
    edges = rng.integers(0, n, (m, 2))
    edges = edges[edges[:, 0] > edges[:, 1]]  # acyclic, so closure=True works
    if len(edges) == 0:
        return
    h = Hierarchy.from_edges([str(i) for i in range(n)], edges, closure=closure)
    vecs = ball(n, 3, seed)
    pos = directed_sets(h.edges) if directed else undirected_sets(h.edges)
    mean_rank, map_, n_nodes = reference(vecs, pos, {}, count_self)
    got = reconstruction(vecs, h, directed=directed, count_self=count_self)
    assert got.mean_rank == pytest.approx(mean_rank, abs=1e-12)
    assert got.map == pytest.approx(map_, abs=1e-12)
    assert got.n_nodes == n_nodes and got.n_pairs == sum(len(p) for p in pos.values())


@given(st.integers(4, 16), st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
@settings(max_examples=60, deadline=None)
def test_link_prediction_matches_the_reference(n, seed, directed, count_self):
    rng = np.random.default_rng(seed)
    h = Hierarchy.from_edges([str(i) for i in range(n)], [(i, int(rng.integers(0, i))) for i in range(1, n)], closure=True)
    train, test = split_edges(h, 0.3, seed)
    if len(test) == 0:
        return
    vecs = ball(n, 3, seed)
    pos = directed_sets(test) if directed else undirected_sets(test)
    excl = directed_sets(train.edges) if directed else undirected_sets(train.edges)
    mean_rank, map_, n_nodes = reference(vecs, pos, excl, count_self)
    got = link_prediction(vecs, train, test, directed=directed, count_self=count_self)
    assert got.mean_rank == pytest.approx(mean_rank, abs=1e-12)
    assert got.map == pytest.approx(map_, abs=1e-12)
    assert got.n_nodes == n_nodes


# ============================================================================ perfect and random
def polar(r: float, angle: float) -> list[float]:
    return [r * np.cos(angle), r * np.sin(angle)]


def assert_perfect(vecs, positives, exclude_self=True):
    """Every positive of every node is strictly nearer than every negative."""
    n = len(vecs)
    for u, pos in positives.items():
        d = [float(distance(vecs[u], vecs[w])) for w in range(n)]
        neg = [w for w in range(n) if w not in pos and w != u]
        assert max(d[v] for v in pos) < min(d[w] for w in neg), u


def test_perfect_embedding_of_a_closed_tree():
    # r; a, b below r; a1, a2 below a; b1, b2 below b -- closed: a1 -> a, a1 -> r, ...
    names = ["r", "a", "b", "a1", "a2", "b1", "b2"]
    tree = [(1, 0), (2, 0), (3, 1), (4, 1), (5, 2), (6, 2)]
    h = Hierarchy.from_edges(names, tree, closure=True)
    assert h.n_edges == 10
    # parents near the centre, children near the rim, siblings far apart
    vecs = np.array([[0.0, 0.0], polar(0.1, 0.0), polar(0.1, np.pi),
                     polar(0.9, 0.5), polar(0.9, -0.5), polar(0.9, np.pi + 0.5), polar(0.9, np.pi - 0.5)])
    assert_perfect(vecs, directed_sets(h.edges))
    got = reconstruction(vecs, h)
    assert got.mean_rank == 1.0 and got.map == 1.0
    assert got.n_nodes == 6 and got.n_pairs == 10
    # gensim's convention puts the node itself first: rank 2 for everyone, MAP below 1.
    gensim_like = reconstruction(vecs, h, count_self=True)
    assert gensim_like.mean_rank == 2.0 and gensim_like.map < 1.0


def test_perfect_embedding_undirected():
    # the plain tree (no closure); neighbours both ways: a's are r, a1 and a2
    names = ["r", "a", "b", "a1", "a2", "b1", "b2"]
    h = Hierarchy.from_edges(names, [(1, 0), (2, 0), (3, 1), (4, 1), (5, 2), (6, 2)])
    vecs = np.array([[0.0, 0.0], polar(0.5, 0.0), polar(0.5, np.pi),
                     polar(0.7, 0.15), polar(0.7, -0.15), polar(0.7, np.pi + 0.15), polar(0.7, np.pi - 0.15)])
    assert_perfect(vecs, undirected_sets(h.edges))
    got = reconstruction(vecs, h, directed=False)
    assert (got.mean_rank, got.map, got.n_nodes, got.n_pairs) == (1.0, 1.0, 7, 12)


def test_random_vectors_on_the_mammals_are_far_from_perfect():
    h = read_hierarchy(MAMMALS)
    got = reconstruction(ball(h.n_nodes, 5, 0), h)
    # a random ranking puts a positive in the middle of ~1,170 negatives
    assert 300 < got.mean_rank < 900
    assert got.map < 0.05
    assert got.n_nodes == h.n_nodes - 1  # every mammal but mammal.n.01 has an ancestor
    assert got.n_pairs == h.n_edges


def test_mammals_evaluate_in_well_under_a_second():
    h = read_hierarchy(MAMMALS)
    vecs = ball(h.n_nodes, 10, 1)
    reconstruction(vecs, h)  # warm up
    reconstruction(vecs, h)
    reconstruction(vecs, h, directed=False)


# ============================================================================ sampling, inputs
def test_max_nodes_samples_reproducibly():
    h = read_hierarchy(MAMMALS)
    vecs = ball(h.n_nodes, 5, 4)
    a = reconstruction(vecs, h, max_nodes=100, seed=1)
    assert a.n_nodes == 100
    assert a == reconstruction(vecs, h, max_nodes=100, seed=1)
    assert a != reconstruction(vecs, h, max_nodes=100, seed=2)
    assert reconstruction(vecs, h, max_nodes=10**6) == reconstruction(vecs, h)
    with pytest.raises(ValueError):
        reconstruction(vecs, h, max_nodes=0)


def test_accepts_an_embedding_in_any_key_order():
    h = random_closure(30, 5)
    vecs = ball(h.n_nodes, 3, 5)
    perm = np.random.default_rng(0).permutation(h.n_nodes)
    emb = Embedding([h.names[i] for i in perm], vecs[perm], geometry="poincare")
    expected = reconstruction(vecs.astype(np.float32), h)
    assert reconstruction(emb, h) == expected
    assert reconstruction(Embedding(h.names, vecs, geometry="poincare"), h) == expected
    with pytest.raises(ValueError, match="no vector"):
        reconstruction(Embedding(h.names[1:], vecs[1:]), h)
    with pytest.raises(ValueError, match="matrix"):
        reconstruction(vecs[1:], h)


# ============================================================================ split and link prediction
def test_split_edges_keeps_every_node():
    h = read_hierarchy(MAMMALS)
    train, test = split_edges(h, 0.1, seed=0)
    assert test.dtype == np.int32 and test.shape == (654, 2)
    assert train.names == h.names and not train.closure
    assert train.n_edges + len(test) == h.n_edges
    key = lambda e: set(map(tuple, np.asarray(e).tolist()))  # noqa: E731
    assert key(train.edges) | key(test) == key(h.edges) and not key(train.edges) & key(test)
    assert np.all(train.degree > 0)
    again_train, again_test = split_edges(h, 0.1, seed=0)
    assert np.array_equal(again_test, test) and np.array_equal(again_train.edges, train.edges)
    assert not np.array_equal(split_edges(h, 0.1, seed=1)[1], test)
    with pytest.raises(ValueError):
        split_edges(h, 1.0, 0)


def test_split_edges_holds_out_fewer_when_it_must():
    # a star: every edge is some leaf's only edge, so nothing can be held out
    h = Hierarchy.from_edges(["root", "a", "b", "c"], [(1, 0), (2, 0), (3, 0)])
    train, test = split_edges(h, 0.5, 0)
    assert len(test) == 0 and train.n_edges == 3


def test_link_prediction_perfect_and_train_edges_excluded():
    names = ["r", "a", "b", "a1", "a2", "b1", "b2"]
    h = Hierarchy.from_edges(names, [(1, 0), (2, 0), (3, 1), (4, 1), (5, 2), (6, 2)], closure=True)
    vecs = np.array([[0.0, 0.0], polar(0.1, 0.0), polar(0.1, np.pi),
                     polar(0.9, 0.5), polar(0.9, -0.5), polar(0.9, np.pi + 0.5), polar(0.9, np.pi - 0.5)])
    test = np.array([[3, 0], [5, 2]])  # a1 -> r, b1 -> b held out
    keep = [e for e in h.edges.tolist() if e not in test.tolist()]
    train = Hierarchy.from_edges(names, keep)
    got = link_prediction(vecs, train, test)
    assert (got.mean_rank, got.map, got.n_edges, got.n_nodes) == (1.0, 1.0, 2, 2)
    # a1's training ancestor a is nearer to a1 than the held-out r: excluded, it does not count;
    # drop the edge a1 -> a from training and a becomes a negative that beats r.
    assert distance(vecs[3], vecs[1]) < distance(vecs[3], vecs[0])
    without = Hierarchy.from_edges(names, [e for e in keep if e != [3, 1]])
    worse = link_prediction(vecs, without, test)
    assert worse.mean_rank == 1.5 and worse.map == 0.75


def test_link_prediction_on_the_mammals_is_quick():
    h = read_hierarchy(MAMMALS)
    train, test = split_edges(h, 0.1, 0)
    got = link_prediction(ball(h.n_nodes, 5, 2), train, test)
    assert got.n_edges == len(test) and got.mean_rank > 50
