"""How well an embedding keeps a hierarchy: reconstruction and link prediction (Nickel & Kiela 2017).

Reconstruction
    For every node ``u`` that has at least one *positive* (see ``directed`` below), each positive
    ``v`` is ranked by Poincaré distance among ``v`` itself and all the *negatives* of ``u``: the
    nodes that are neither positives of ``u`` nor ``u`` itself. The other positives do not count
    against ``v``. ``rank(u, v) = 1 + #{negatives w : d(u, w) < d(u, v)}`` (ties favour ``v``, as
    in gensim). The mean rank is over all ``(u, v)`` pairs; the average precision of ``u`` is the
    mean, over its positives in order of distance, of ``i / (rank_i + i - 1)`` (precision at the
    i-th positive), and MAP is the mean over the evaluated nodes.

``directed=True`` (the default): the positives of ``u`` are the ``v`` with ``(u, v)`` an edge --
    a child's ancestors in a closure. This is the definition of the paper's code
    (facebookresearch/poincare-embeddings, ``eval_reconstruction``) and of gensim's
    ``ReconstructionEvaluation``; the published figures (mammals d=5: mean rank 1.26, MAP 0.927)
    are measured this way. Nodes with no outgoing edge (the roots) are not evaluated.
``directed=False``: the positives are the neighbours in either direction (``Hierarchy.neighbors``),
    so a node's descendants count as well; every node with an edge is evaluated.
``count_self=False`` (the default): ``u`` itself is no negative, so a perfect embedding scores mean
    rank 1 and MAP 1, as in the paper's code. gensim's ``ReconstructionEvaluation`` and
    ``LinkPredictionEvaluation`` rank among all vocabulary distances *including* ``u``'s own (0),
    which adds 1 to every rank and lowers MAP; ``count_self=True`` reproduces their numbers exactly.

Link prediction ranks held-out edges the same way; the training edges of ``u`` (in the same
``directed`` sense) are left out of its negatives, as are its other held-out positives.

Every node is evaluated unless ``max_nodes`` asks for a seeded sample (a quick live estimate while
training). The work is a numba kernel over rows (:mod:`.hierarchy_kernels`) on ``threads`` Python
threads: per row it ranks by ``|u - w|² / ((1 - |u|²)(1 - |w|²))``, a strictly increasing function
of the distance, and keeps only the row's positive scores and counts -- never an n x n matrix. The
whole noun closure (82,115 nodes) takes seconds (benchmarks/README.md); the mammals milliseconds.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from embedstudio.analysis.hierarchy_kernels import _ROWS, rank_rows
from embedstudio.data.hierarchy import Hierarchy

__all__ = [
    "LinkPredictionResult",
    "ReconstructionResult",
    "link_prediction",
    "reconstruction",
    "split_edges",
]

_MIN_ONE_MINUS = 1e-15  # 1 - |w|² for a point on or outside the rim: ranked as if just inside it


@dataclass(frozen=True)
class ReconstructionResult:
    mean_rank: float
    map: float
    n_nodes: int  # nodes evaluated (with at least one positive; after sampling)
    n_pairs: int = 0  # (node, positive) pairs ranked

    def __str__(self) -> str:
        return f"mean rank {self.mean_rank:.3f}, MAP {self.map:.4f} ({self.n_nodes:,} nodes, {self.n_pairs:,} pairs)"


@dataclass(frozen=True)
class LinkPredictionResult:
    mean_rank: float
    map: float
    n_edges: int  # (node, held-out neighbour) pairs ranked: the distinct held-out edges when directed, twice that when not
    n_nodes: int = 0  # nodes evaluated

    def __str__(self) -> str:
        return f"mean rank {self.mean_rank:.3f}, MAP {self.map:.4f} ({self.n_edges:,} held-out edges, {self.n_nodes:,} nodes)"


# --------------------------------------------------------------------------- helpers
def _matrix(vectors, hierarchy: Hierarchy) -> np.ndarray:
    """Row ``i`` = the vector of node ``i``, float64. Accepts an array or an Embedding (by name)."""
    keys = getattr(vectors, "keys", None)
    if keys is not None and hasattr(vectors, "vectors") and not isinstance(vectors, np.ndarray):
        if list(keys) == hierarchy.names:
            mat = vectors.vectors
        else:
            index = vectors.key_to_index
            missing = [n for n in hierarchy.names if n not in index]
            if missing:
                raise ValueError(
                    f"{len(missing):,} of the hierarchy's {hierarchy.n_nodes:,} nodes have no vector, e.g. {missing[:3]}"
                )
            mat = vectors.vectors[[index[n] for n in hierarchy.names]]
    else:
        mat = vectors
    mat = np.ascontiguousarray(mat, dtype=np.float64)
    if mat.ndim != 2 or mat.shape[0] != hierarchy.n_nodes:
        raise ValueError(f"expected a ({hierarchy.n_nodes}, dim) matrix for the hierarchy's nodes, got shape {mat.shape}")
    return mat


def _positives(hierarchy: Hierarchy, directed: bool) -> tuple[np.ndarray, np.ndarray]:
    return hierarchy.ancestors_csr() if directed else (hierarchy.neighbor_ptr, hierarchy.neighbor_idx)


def _csr_from_pairs(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    keys = np.sort(src.astype(np.int64) * n + dst.astype(np.int64))
    if len(keys) > 1:
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
    rows = keys // n
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
    return ptr, (keys - rows * n).astype(np.int64)


def _choose(nodes: np.ndarray, max_nodes: int | None, seed: int) -> np.ndarray:
    if max_nodes is None or max_nodes >= len(nodes):
        return nodes
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(nodes, size=int(max_nodes), replace=False))


def _threads(threads: int | None) -> int:
    if threads is None:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    return int(threads)


def _rank_nodes(
    vecs: np.ndarray,
    nodes: np.ndarray,
    pos_ptr: np.ndarray,
    pos_idx: np.ndarray,
    excl_ptr: np.ndarray | None,
    excl_idx: np.ndarray | None,
    count_self: bool,
    threads: int | None = None,
) -> tuple[float, int, float]:
    """(sum of ranks, number of ranked pairs, sum of average precisions) over ``nodes``.

    The per-node results are summed in node order, so the figures do not depend on ``threads``.
    """
    n = vecs.shape[0]
    vt = np.ascontiguousarray(vecs.T)
    one_minus = np.maximum(1.0 - np.einsum("ij,ij->i", vecs, vecs), _MIN_ONE_MINUS)
    pos_ptr = np.ascontiguousarray(pos_ptr, dtype=np.int64)
    pos_idx = np.ascontiguousarray(pos_idx, dtype=np.int64)
    if excl_ptr is None:
        excl_ptr, excl_idx = np.zeros(n + 1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    excl_ptr = np.ascontiguousarray(excl_ptr, dtype=np.int64)
    excl_idx = np.ascontiguousarray(excl_idx, dtype=np.int64)
    rows = np.ascontiguousarray(nodes, dtype=np.int64)
    rank_sum = np.zeros(len(rows))
    ap = np.zeros(len(rows))

    def run(lo: int, hi: int) -> None:  # each piece writes its own slice of the outputs
        rank_rows(vt, one_minus, rows[lo:hi], pos_ptr, pos_idx, excl_ptr, excl_idx, bool(count_self),
                  rank_sum[lo:hi], ap[lo:hi])

    workers = min(_threads(threads), -(-len(rows) // _ROWS))
    if workers <= 1:
        run(0, len(rows))
    else:
        # ~8 pieces per thread, so a thread that drew the slow rows does not hold up the others
        step = max(_ROWS, -(-len(rows) // (8 * workers)))
        with ThreadPoolExecutor(workers, thread_name_prefix="reconstruction") as pool:
            for f in [pool.submit(run, lo, min(lo + step, len(rows))) for lo in range(0, len(rows), step)]:
                f.result()
    n_pairs = int((pos_ptr[rows + 1] - pos_ptr[rows]).sum())
    return float(rank_sum.sum()), n_pairs, float(ap.sum())


# --------------------------------------------------------------------------- metrics
def reconstruction(
    vectors,
    hierarchy: Hierarchy,
    max_nodes: int | None = None,
    seed: int = 0,
    *,
    directed: bool = True,
    count_self: bool = False,
    threads: int | None = None,
    nodes: np.ndarray | list[int] | None = None,
) -> ReconstructionResult:
    """Mean rank and MAP of the hierarchy's edges under Poincaré distance (module docstring).

    ``vectors``: (n_nodes, dim) rows in the hierarchy's node order, or an Embedding whose keys
    include every node name. ``max_nodes``: evaluate a random sample (by ``seed``) of that many of
    the nodes that have positives (a live estimate); all of them, as the paper does, when None.
    ``nodes``: evaluate these node ids instead (those without positives are skipped), e.g. the
    ones another evaluator covered. ``threads``: Python threads sharing the rows (default: every
    core this process may use).
    """
    vecs = _matrix(vectors, hierarchy)
    ptr, idx = _positives(hierarchy, directed)
    has = np.diff(ptr) > 0
    if nodes is None:
        nodes = _choose(np.nonzero(has)[0], max_nodes, seed)
    else:
        if max_nodes is not None:
            raise ValueError("give nodes or max_nodes, not both")
        nodes = np.unique(np.asarray(nodes, dtype=np.int64))
        if nodes.size and (nodes[0] < 0 or nodes[-1] >= hierarchy.n_nodes):
            raise ValueError(f"node ids must be in [0, {hierarchy.n_nodes})")
        nodes = nodes[has[nodes]]
    if len(nodes) == 0:
        return ReconstructionResult(float("nan"), float("nan"), 0, 0)
    rank_sum, n_pairs, ap_sum = _rank_nodes(vecs, nodes, ptr, idx, None, None, count_self, threads)
    return ReconstructionResult(rank_sum / n_pairs, ap_sum / len(nodes), len(nodes), n_pairs)


def link_prediction(
    vectors,
    train: Hierarchy,
    test_edges: np.ndarray,
    *,
    directed: bool = True,
    count_self: bool = False,
    max_nodes: int | None = None,
    seed: int = 0,
    threads: int | None = None,
) -> LinkPredictionResult:
    """Mean rank and MAP of held-out ``(child, ancestor)`` edges; ``train``'s edges are not negatives.

    ``test_edges`` are node ids of ``train`` (as :func:`split_edges` returns them). Self-loops and
    repeats among them are ignored. With ``directed=True`` each held-out edge is ranked from its
    child; otherwise from both ends, against the training neighbours in both directions.
    """
    vecs = _matrix(vectors, train)
    n = train.n_nodes
    test = np.asarray(test_edges, dtype=np.int64).reshape(-1, 2)
    if test.size and (test.min() < 0 or test.max() >= n):
        raise ValueError(f"test edge ids must be in [0, {n})")
    test = test[test[:, 0] != test[:, 1]]
    if len(test) == 0:
        return LinkPredictionResult(float("nan"), float("nan"), 0, 0)
    if directed:
        t_ptr, t_idx = _csr_from_pairs(test[:, 0], test[:, 1], n)
    else:
        t_ptr, t_idx = _csr_from_pairs(np.concatenate([test[:, 0], test[:, 1]]),
                                       np.concatenate([test[:, 1], test[:, 0]]), n)
    e_ptr, e_idx = _positives(train, directed)
    nodes = _choose(np.nonzero(np.diff(t_ptr) > 0)[0], max_nodes, seed)
    rank_sum, n_pairs, ap_sum = _rank_nodes(vecs, nodes, t_ptr, t_idx, e_ptr, e_idx, count_self, threads)
    return LinkPredictionResult(rank_sum / n_pairs, ap_sum / len(nodes), n_pairs, len(nodes))


def split_edges(hierarchy: Hierarchy, test_fraction: float, seed: int = 0) -> tuple[Hierarchy, np.ndarray]:
    """Hold out about ``test_fraction`` of the edges, chosen at random (by ``seed``).

    An edge is only held out if both its ends keep another edge in the training part, so every node
    that had an edge still has one; when too few edges qualify, fewer are held out. Returns the
    training hierarchy (same nodes and ids; ``closure=False``, as a closure minus some pairs is no
    longer one) and the held-out ``(child, ancestor)`` pairs, int32 (k, 2), in the original order.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    m = hierarchy.n_edges
    wanted = int(round(test_fraction * m))
    rng = np.random.default_rng(seed)
    order = rng.permutation(m).tolist()
    degree = hierarchy.degree.tolist()
    edges = hierarchy.edges.tolist()
    held = []
    for e in order:
        if len(held) >= wanted:
            break
        u, v = edges[e]
        if degree[u] > 1 and degree[v] > 1:
            degree[u] -= 1
            degree[v] -= 1
            held.append(e)
    mask = np.zeros(m, dtype=bool)
    mask[held] = True
    train = Hierarchy.from_edges(hierarchy.names, hierarchy.edges[~mask], path=hierarchy.path, closure=False)
    return train, np.ascontiguousarray(hierarchy.edges[mask], dtype=np.int32)
