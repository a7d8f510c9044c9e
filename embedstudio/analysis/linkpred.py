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
                             max_edges: int | None = None, seed: int = 0, block: int = 256) -> LinkPredictionResult:
    """Rank the true tail (and head) of each test edge; see the module docstring for the protocols.

    ``known_edges``: every true edge (train + valid + test) for the filtered protocol.
    ``max_edges``: evaluate a seeded sample of the test edges (for quick looks at big graphs).
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
    for side in (("tail", "head") if sides == "both" else (sides,)):
        # group by relation: every query of a relation shares the candidate set (its entity type)
        for r in np.unique(test[:, 1]):
            rows = test[test[:, 1] == r]
            cand_type = int(model.relation_types[r, 1 if side == "tail" else 0])
            cand = model.candidates(cand_type)
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
    return LinkPredictionResult(protocol, np.asarray(ranks, dtype=np.float64),
                                n_sampled if protocol == "sampled" else None)
