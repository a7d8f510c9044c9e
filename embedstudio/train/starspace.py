"""StarSpace-style TagSpace and PageSpace: the Python loop around the numba kernel.

* **TagSpace** (``mode="tagspace"``): a document is the pooled vector of its words and each of its
  labels has its own vector; training pulls a document toward one of its labels (picked at random
  at every visit, as StarSpace and fastText do with several labels) and away from sampled labels.
* **PageSpace** (``mode="pagespace"``): a user is the pooled vector of the items they follow; at
  every visit one of their items is the positive and the others are the input (leave-one-out), and
  items live in one space, so the same vectors recommend items and find an item's neighbours.

The defaults were chosen on the valid split of the Debian debtags set (see
``benchmarks/tagspace_vs_fasttext.py``): dot product, mean pooling, margin 1, uniform negatives,
plain SGD at 0.2, 20 epochs (and ``ngrams=2`` there: word pairs help on a set that size, but
dilute the words on small ones, so they are not the default). StarSpace's own defaults (cosine, sum / sqrt(n), margin
0.05, Adagrad at 0.01, label-frequency negatives, 5 epochs) scored P@1 0.63 there against 0.82.

Each epoch visits the examples in a seeded random order, cut into chunks of ``chunk_examples``;
one chunk is one kernel call with its own seed and learning rate (linear decay over the run). One
thread is deterministic and resumes bit-identically; more threads run chunks hogwild.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from embedstudio.config import ConfigBase, param
from embedstudio.data.labelled import LabelledDocs, UserItems
from embedstudio.starspacemodel import MODES, POOLINGS, SIMILARITIES, SpaceModel, with_bigrams
from embedstudio.train.base import ChunkedTrainer, TrainingDiverged
from embedstudio.train.kernels import starspace as kernel
from embedstudio.train.kernels.rng import chunk_seed
from embedstudio.train.word2vec import default_threads
from embedstudio.vectors import Embedding

NEGATIVE_SAMPLING = ("frequency", "uniform")


@dataclasses.dataclass(frozen=True)
class StarSpaceConfig(ConfigBase):
    mode: str = param("tagspace", "tagspace: words -> labels; pagespace: a user's items -> one held-out item", choices=MODES)
    dim: int = param(100, "vector dimension", low=1, high=4096)
    epochs: int = param(20, "passes over the examples", low=1, high=10_000)
    lr: float = param(0.2, "initial learning rate (linear decay to 0 over the run); about 0.01 with adagrad", low=1e-6, high=10.0)
    loss: str = param("hinge", "hinge: margin ranking against violating negatives (StarSpace's default); softmax: "
                      "-log softmax over the positive and every drawn negative; logistic: one-vs-all over every "
                      "label of a document and the drawn negatives (use both with dot)",
                      choices=("hinge", "softmax", "logistic"))
    margin: float = param(1.0, "hinge margin between the positive's and a negative's similarity (about 0.05-0.2 with cos)", low=0.0, high=10.0)
    similarity: str = param("dot", "similarity of a query and a label: dot product or cosine", choices=SIMILARITIES)
    pooling: str = param("mean", "a bag's vector: sum, sum / sqrt(n) (StarSpace's default) or mean", choices=tuple(POOLINGS))
    ngrams: int = param(1, "tagspace: 2 adds each pair of consecutive words as a feature (hashed; helps on big sets)", low=1, high=2)
    buckets: int = param(200_000, "tagspace, ngrams=2: rows the word pairs are hashed into", low=1, high=10**8)
    neg_search: int = param(50, "candidate negatives drawn per example (StarSpace's -negSearchLimit)", low=1, high=10_000)
    max_neg: int = param(10, "most margin-violating negatives used per example (StarSpace's -maxNegSamples)", low=1, high=10_000)
    positives: str = param("one", "tagspace: train on one random label of a document per visit (StarSpace), or on all of them in turn", choices=("one", "all"))
    negatives: str = param("uniform", "draw negatives uniformly, or by how often they are positives (StarSpace)", choices=NEGATIVE_SAMPLING)
    adagrad: bool = param(False, "row-wise Adagrad (StarSpace's default; then lr about 0.01) instead of plain SGD")
    init_std: float = param(0.01, "standard deviation of the initial vectors", low=0.0, high=10.0)
    threads: int = param(default_threads(), "worker threads (1 = deterministic, resumes bit-identically)", low=1, high=256)
    seed: int = param(1, "random seed", low=0, high=2**63 - 1)
    chunk_examples: int = param(2000, "examples per unit of work (progress, cancel and checkpoint granularity)", low=10, high=10**8)


class StarSpaceTrainer(ChunkedTrainer):
    name = "starspace"
    config_class = StarSpaceConfig
    array_names = ("vectors", "state")

    def __init__(self, config: StarSpaceConfig | None = None):
        super().__init__(config or StarSpaceConfig())
        self._data = None

    @property
    def loss_label(self) -> str:
        cfg = self.config
        if cfg.loss == "softmax":
            return "softmax loss per example"
        if cfg.loss == "logistic" and cfg.mode == "tagspace":
            return "logistic loss per example"
        return "hinge loss per example (mean over violating negatives)"  # logistic on pagespace trains hinge
        self._orders: dict[int, np.ndarray] = {}

    def fit(self, data, resume=None, snapshot_every_s=None):
        """Train on LabelledDocs (TagSpace) or UserItems (PageSpace); yields Progress."""
        return super().fit(data, resume, snapshot_every_s)

    # ---------------------------------------------------------------- hooks
    def _prepare(self, data, resuming: bool) -> tuple[int, dict]:
        cfg = self.config
        if cfg.mode == "tagspace":
            if not isinstance(data, LabelledDocs):
                raise TypeError("TagSpace trains on labelled documents (read_labelled); "
                                "for a user -> items list use mode='pagespace'")
            self._buckets = cfg.buckets if cfg.ngrams == 2 else 0
            self._n_words, self._n_labels = len(data.words) + self._buckets, len(data.labels)
            ptr, ids = with_bigrams(data.word_indptr, data.word_ids, len(data.words), self._buckets)
            self._lhs = (np.ascontiguousarray(ptr, np.int64), np.ascontiguousarray(ids, np.int64))
            self._pos = (np.ascontiguousarray(data.label_indptr, np.int64), np.ascontiguousarray(data.label_ids, np.int64))
            self._pos_offset = self._n_words
            eligible = np.flatnonzero((np.diff(self._pos[0]) > 0) & (np.diff(self._lhs[0]) > 0))
            if len(eligible) == 0:
                raise ValueError("no document has both words and a label")
        else:
            if not isinstance(data, UserItems):
                raise TypeError("PageSpace trains on a user -> items list (read_user_items); "
                                "for labelled documents use mode='tagspace'")
            self._buckets = 0
            self._n_words, self._n_labels = 0, len(data.items)
            self._lhs = self._pos = (np.ascontiguousarray(data.indptr, np.int64), np.ascontiguousarray(data.item_ids, np.int64))
            self._pos_offset = 0
            eligible = np.flatnonzero(np.diff(data.indptr) >= 2)  # one item is the input, one the target
            if len(eligible) == 0:
                raise ValueError("no user has two items: leave-one-out needs at least two")
        self._data = data
        self._eligible = eligible
        rows = self._pos[1] + self._pos_offset
        if cfg.negatives == "frequency":
            owner = np.repeat(np.arange(len(self._pos[0]) - 1), np.diff(self._pos[0]))
            in_use = np.zeros(len(self._pos[0]) - 1, dtype=bool)
            in_use[eligible] = True
            self._neg_table = np.ascontiguousarray(rows[in_use[owner]])
        else:
            self._neg_table = np.arange(self._pos_offset, self._pos_offset + self._n_labels, dtype=np.int64)
        self._orders = {}
        self._chunk_starts = np.arange(0, len(eligible) + cfg.chunk_examples, cfg.chunk_examples)
        self._chunk_starts[-1] = len(eligible)
        self._chunk_starts = np.unique(self._chunk_starts)
        lhs_ptr, lhs_idx = self._lhs
        fingerprint = {"mode": cfg.mode, "inputs": self._n_words, "labels": self._n_labels, "examples": int(len(eligible)),
                       "hash": int(np.bitwise_xor.reduce(lhs_idx * 7919 + np.arange(len(lhs_idx)) % 1_000_003))
                       if len(lhs_idx) else 0}
        return len(self._chunk_starts) - 1, fingerprint

    def _init_arrays(self) -> dict[str, np.ndarray]:
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        n = self._n_words + self._n_labels
        vectors = (rng.standard_normal((n, cfg.dim), dtype=np.float32) * np.float32(cfg.init_std)).astype(np.float32)
        return {"vectors": vectors, "state": np.zeros(n, dtype=np.float32)}

    def _order(self, epoch: int) -> np.ndarray:
        order = self._orders.get(epoch)
        if order is None:
            rng = np.random.default_rng([self.config.seed, epoch, 17])
            order = self._orders[epoch] = np.ascontiguousarray(rng.permutation(self._eligible))
            self._orders.pop(epoch - 2, None)  # threads may still be in the previous epoch
        return order

    def _lr_at(self, chunk: int) -> float:
        total = self._chunks_per_epoch * self.config.epochs
        return self.config.lr * max(1.0 - chunk / total, 1e-4)

    def _learning_rate(self, cursor: int) -> float:
        return self._lr_at(cursor)

    def _run_chunk(self, chunk: int) -> tuple[float, int, int]:
        cfg = self.config
        epoch, k = divmod(chunk, self._chunks_per_epoch)
        order = self._order(epoch)[self._chunk_starts[k]:self._chunk_starts[k + 1]]
        loss, examples = kernel.train_examples(
            self.arrays["vectors"], self.arrays["state"], order, self._lhs[0], self._lhs[1], self._pos[0], self._pos[1],
            self._pos_offset, cfg.mode == "pagespace", self._neg_table, cfg.margin, cfg.neg_search, cfg.max_neg,
            cfg.similarity == "cos", POOLINGS[cfg.pooling], self._lr_at(chunk), cfg.adagrad, chunk_seed(cfg.seed, chunk),
            cfg.positives == "all" and cfg.mode == "tagspace", cfg.loss == "softmax",
            cfg.loss == "logistic" and cfg.mode == "tagspace")
        if not np.isfinite(loss):
            raise TrainingDiverged(f"the loss became non-finite in epoch {epoch + 1}: lower the learning rate")
        return loss, examples, len(order)

    # ---------------------------------------------------------------- results
    def model(self) -> SpaceModel:
        if not self.arrays:
            raise RuntimeError("no vectors yet: call fit() first")
        cfg = self.config
        data = self._data
        if cfg.mode == "tagspace":
            words, labels, counts = list(data.words), list(data.labels), data.label_counts
        else:
            words, labels, counts = [], list(data.items), data.item_counts
        info = {"config": cfg.to_dict(), "data": os.fspath(getattr(data, "path", "") or ""),
                "chunks_done": self._cursor, "epoch_losses": list(self._epoch_losses)}
        return SpaceModel(cfg.mode, words, labels, self.arrays["vectors"].copy(), cfg.similarity, cfg.pooling,
                          counts, info, self._buckets)

    def embedding(self) -> Embedding:
        return self.model().embedding()


def train_starspace(data, config: StarSpaceConfig | None = None) -> SpaceModel:
    """Train to the end with no progress reporting (scripts and tests)."""
    trainer = StarSpaceTrainer(config)
    for _ in trainer.fit(data):
        pass
    return trainer.model()
