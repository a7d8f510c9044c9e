"""Link prediction metrics for graph embeddings: filtered and raw full ranking, and sampled ranking.

For a test edge (h, r, t) the true tail is ranked among **every** entity of the relation's tail type
by ``GraphModel.tail_scores`` (and the true head among every head candidate, by ``head_scores``).

* ``filtered`` (the standard, Bordes et al. 2013): other tails t' with (h, r, t') a known edge
  (train, valid or test) are removed before ranking, so a model is not punished for ranking another
  true answer first;
* ``raw``: nothing removed;
* ``sampled``: the true entity against ``n_sampled`` uniformly drawn candidates only, as
  PyTorch-BigGraph's default evaluation does. It flatters badly and is reported only to compare
  with numbers computed that way.

The rank is 1 + the number of candidates scoring strictly higher, plus half of those tying (so a
constant model gets the middle rank, not the first). MRR is the mean of 1/rank; Hits@k the share
of ranks <= k; both sides' ranks are pooled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PROTOCOLS = ("filtered", "raw", "sampled")
CANDIDATE_BLOCK = 1 << 16  # above this many entities of a type, candidates are scored a block at a time
# (a block of 65,536 float64 candidates and 256 queries' scores: 50 + 134 MB; 10M candidates at once took 8 GB + 20 GB)


@dataclass
class LinkPredictionResult:
    protocol: str
    ranks: np.ndarray  # float64, one per (edge, side) evaluated
    n_sampled: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.ranks)

    @property
    def mrr(self) -> float:
        return float(np.mean(1.0 / self.ranks)) if self.count else float("nan")

    @property
    def mean_rank(self) -> float:
        return float(np.mean(self.ranks)) if self.count else float("nan")

    def hits(self, k: int) -> float:
        return float(np.mean(self.ranks <= k)) if self.count else float("nan")

    @property
    def label(self) -> str:
        if self.protocol == "sampled":
            return f"sampled ({self.n_sampled} negatives; flatters, not comparable to full ranking)"
        return f"{self.protocol} full ranking"

    def as_dict(self) -> dict:
        return {"protocol": self.protocol, "label": self.label, "count": self.count, "mrr": self.mrr,
                "mean_rank": self.mean_rank, "hits@1": self.hits(1), "hits@3": self.hits(3),
                "hits@10": self.hits(10)}

    def table(self) -> str:
        d = self.as_dict()
        return (f"{self.label}: MRR {d['mrr']:.4f}, mean rank {d['mean_rank']:.1f}, Hits@1 {d['hits@1']:.4f}, "
                f"Hits@3 {d['hits@3']:.4f}, Hits@10 {d['hits@10']:.4f} ({self.count:,} ranks)")


class KnownEdges:
    """Every known (h, r, t), looked up as the sorted tails of (h, r) or sorted heads of (r, t)."""

    def __init__(self, edges: np.ndarray, n_entities: int, n_relations: int):
        e = np.asarray(edges, dtype=np.int64).reshape(-1, 3)
        self.n_entities, self.n_relations = int(n_entities), int(n_relations)
        hr = e[:, 0] * self.n_relations + e[:, 1]
        order = np.lexsort((e[:, 2], hr))
        self._hr, self._tails = hr[order], e[order, 2]
        rt = e[:, 2] * self.n_relations + e[:, 1]
        order = np.lexsort((e[:, 0], rt))
        self._rt, self._heads = rt[order], e[order, 0]

    def tails(self, h: int, r: int) -> np.ndarray:
        key = h * self.n_relations + r
        lo, hi = np.searchsorted(self._hr, [key, key + 1])
        return self._tails[lo:hi]

    def heads(self, r: int, t: int) -> np.ndarray:
        key = t * self.n_relations + r
        lo, hi = np.searchsorted(self._rt, [key, key + 1])
        return self._heads[lo:hi]


def _rank(scores: np.ndarray, true_pos: int) -> float:
    true = scores[true_pos]
    higher = np.count_nonzero(scores > true)
    ties = np.count_nonzero(scores == true) - 1
    return 1.0 + higher + 0.5 * ties


def evaluate_link_prediction(model, test_edges: np.ndarray, known_edges: np.ndarray | None = None, *,
                             protocol: str = "filtered", sides: str = "both", n_sampled: int = 1000,
                             max_edges: int | None = None, seed: int = 0, block: int = 256,
                             candidate_block: int = CANDIDATE_BLOCK) -> LinkPredictionResult:
    """Rank the true tail (and head) of each test edge; see the module docstring for the protocols.

    ``known_edges``: every true edge (train + valid + test) for the filtered protocol.
    ``max_edges``: evaluate a seeded sample of the test edges (for quick looks at big graphs).
    ``block`` test edges are scored at once; a type of more than ``candidate_block`` entities is scored
    ``candidate_block`` candidates at a time (same ranks, memory bounded: see _rank_by_candidate_blocks).
    """
    if protocol not in PROTOCOLS:
        from embedstudio.graphmodel import unknown_name

        raise unknown_name("protocol", protocol, PROTOCOLS)
    if sides not in ("both", "tail", "head"):
        raise ValueError(f"sides must be 'both', 'tail' or 'head', got {sides!r}")
    test = np.asarray(test_edges, dtype=np.int64).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    if max_edges is not None and len(test) > max_edges:
        test = test[np.sort(rng.choice(len(test), max_edges, replace=False))]
    known = None
    if protocol == "filtered":
        if known_edges is None:
            raise ValueError("the filtered protocol needs known_edges (train + valid + test)")
        known = KnownEdges(known_edges, len(model.embedding), model.n_relations)
    ranks: list[float] = []
    prepared: dict[tuple, np.ndarray] = {}  # candidate matrices, built once per (side, type[, relation])
    large: list[tuple] = []  # (first rank's place, side, relation, rows, candidate type) of types ranked by blocks
    for side in (("tail", "head") if sides == "both" else (sides,)):
        # group by relation: every query of a relation shares the candidate set (its entity type)
        for r in np.unique(test[:, 1]):
            rows = test[test[:, 1] == r]
            cand_type = int(model.relation_types[r, 1 if side == "tail" else 0])
            cand = model.candidates(cand_type)
            if protocol != "sampled" and len(cand) > candidate_block:
                large.append((len(ranks), side, int(r), rows, cand_type))
                ranks.extend([np.nan] * len(rows))
                continue
            position = np.full(len(model.embedding), -1, dtype=np.int64)
            position[cand] = np.arange(len(cand))
            for b0 in range(0, len(rows), block):
                part = rows[b0:b0 + block]
                known_side = part[:, 0] if side == "tail" else part[:, 2]
                answer = part[:, 2] if side == "tail" else part[:, 0]
                if protocol == "sampled":
                    picks = rng.integers(0, len(cand), (len(part), n_sampled))
                    sub = np.concatenate([position[answer][:, None], picks], axis=1)
                    scores_fn = model.tail_scores if side == "tail" else model.head_scores
                    for i in range(len(part)):
                        s = scores_fn([known_side[i]], r, cand[sub[i]])[0]
                        ranks.append(_rank(s, 0))
                    continue
                static_tail = side == "tail" and getattr(model, "relation_mode", "dynamic") == "static"
                key = (side, cand_type, int(r) if static_tail else None)
                if key not in prepared:
                    prepared[key] = model.candidate_vectors(cand, int(r), side)
                scores = model.query_vectors(known_side, int(r), side) @ prepared[key].T
                for i in range(len(part)):
                    s = scores[i]
                    true_pos = position[answer[i]]
                    if true_pos < 0:
                        raise ValueError(f"entity {answer[i]} is not of the type relation {r} expects on that side")
                    if known is not None:
                        others = known.tails(known_side[i], r) if side == "tail" else known.heads(r, known_side[i])
                        others = position[others]
                        others = others[(others >= 0) & (others != true_pos)]
                        s = s.copy()
                        s[others] = -np.inf
                    ranks.append(_rank(s, true_pos))
    if large:
        for (first, *_), got in zip(large, _rank_by_candidate_blocks(model, large, known, candidate_block, block)):
            ranks[first:first + len(got)] = got.tolist()
    return LinkPredictionResult(protocol, np.asarray(ranks, dtype=np.float64),
                                n_sampled if protocol == "sampled" else None)


class _Queries:
    """One (side, relation)'s queries ranked by blocks of candidates: their vectors, true candidates, the
    candidates the filter removes, and the counts of candidates scoring above / level with the true one."""

    def __init__(self, model, side: str, r: int, rows: np.ndarray, position: np.ndarray, known: KnownEdges | None):
        known_side = rows[:, 0] if side == "tail" else rows[:, 2]
        answer = rows[:, 2] if side == "tail" else rows[:, 0]
        self.vectors = model.query_vectors(known_side, r, side)
        self.true_pos = position[answer]
        bad = np.flatnonzero(self.true_pos < 0)
        if len(bad):
            raise ValueError(f"entity {answer[bad[0]]} is not of the type relation {r} expects on that side")
        # masked cells (query, candidate): the true one itself and, filtered, the other known answers
        cells = [np.stack([np.arange(len(rows)), self.true_pos], axis=1)]
        if known is not None:
            for i in range(len(rows)):
                others = known.tails(known_side[i], r) if side == "tail" else known.heads(r, known_side[i])
                others = position[others]
                others = others[(others >= 0) & (others != self.true_pos[i])]
                cells.append(np.stack([np.full(len(others), i), others], axis=1))
        cells = np.concatenate(cells)
        self.masked = cells[np.argsort(cells[:, 1], kind="stable")]
        self.true_score = np.full(len(rows), np.nan)  # the true candidate's score, once its block is scored
        self.assumed = np.full(len(rows), np.nan)  # the score counted against (see _rank_by_candidate_blocks)
        self.higher = np.zeros(len(rows), dtype=np.int64)
        self.ties = np.zeros(len(rows), dtype=np.int64)


def _rank_by_candidate_blocks(model, groups: list[tuple], known: KnownEdges | None, candidate_block: int,
                              query_block: int) -> list[np.ndarray]:
    """Ranks of groups (first place, side, relation, rows, candidate type) whose type has too many entities
    for one score matrix: candidates are prepared and scored a block at a time, each block once for all the
    groups that share it. A query's rank needs its true candidate's score before the other blocks are
    compared with it, so each query is first counted against its true score from a small matrix product of
    the queries and their true candidates; the block that holds the true candidate gives its score as the
    big product computes it, and a query whose two values differ (in the last bits: BLAS gave the same
    value for every shape tried, a plain dot product did not) is counted again against the block's. So
    ranks are those of one score matrix, ties included."""
    by_key: dict[tuple, list[int]] = {}
    for g, (_, side, r, _, cand_type) in enumerate(groups):
        static_tail = side == "tail" and getattr(model, "relation_mode", "dynamic") == "static"
        by_key.setdefault((cand_type, r if static_tail else None), []).append(g)
    out: list[np.ndarray | None] = [None] * len(groups)
    for (cand_type, _), members in by_key.items():
        cand = model.candidates(cand_type)
        position = np.full(len(model.embedding), -1, dtype=np.int64)
        position[cand] = np.arange(len(cand))
        queries = {g: _Queries(model, groups[g][1], groups[g][2], groups[g][3], position, known) for g in members}
        true_vectors = {g: model.candidate_vectors(cand[q.true_pos], groups[g][2], groups[g][1])
                        for g, q in queries.items()}
        for g, q in queries.items():  # a matrix product too: a dot product differs in the last bits
            q.assumed = np.concatenate([
                np.diagonal(q.vectors[q0:q0 + query_block] @ true_vectors[g][q0:q0 + query_block].T)
                for q0 in range(0, len(q.true_pos), query_block)])
        _count_by_blocks(model, cand, groups, queries, candidate_block, query_block, record=True)
        again = {g: q for g, q in queries.items() if not np.array_equal(q.assumed, q.true_score)}
        for q in again.values():
            redo = q.assumed != q.true_score
            q.higher[redo] = 0
            q.ties[redo] = 0
            q.assumed = np.where(redo, q.true_score, np.nan)  # NaN: counted already, compares with nothing
        if again:
            _count_by_blocks(model, cand, groups, again, candidate_block, query_block, record=False)
        for g, q in queries.items():
            out[g] = 1.0 + q.higher + 0.5 * q.ties
    return out


def _count_by_blocks(model, cand, groups, queries: dict, candidate_block: int, query_block: int, record: bool):
    g0 = next(iter(queries))
    side, r = groups[g0][1], groups[g0][2]
    for c0 in range(0, len(cand), candidate_block):
        c1 = min(c0 + candidate_block, len(cand))
        block = model.candidate_vectors(cand[c0:c1], r, side)  # one key: the same vectors for every group
        for q in queries.values():
            lo, hi = np.searchsorted(q.masked[:, 1], [c0, c1])
            cells = q.masked[lo:hi]
            for q0 in range(0, len(q.true_pos), query_block):
                q1 = min(q0 + query_block, len(q.true_pos))
                scores = q.vectors[q0:q1] @ block.T
                mine = cells[(cells[:, 0] >= q0) & (cells[:, 0] < q1)]
                if record:
                    here = np.flatnonzero((q.true_pos[q0:q1] >= c0) & (q.true_pos[q0:q1] < c1))
                    q.true_score[q0 + here] = scores[here, q.true_pos[q0 + here] - c0]
                scores[mine[:, 0] - q0, mine[:, 1] - c0] = -np.inf
                against = q.assumed[q0:q1, None]
                q.higher[q0:q1] += np.count_nonzero(scores > against, axis=1)
                q.ties[q0:q1] += np.count_nonzero(scores == against, axis=1)
