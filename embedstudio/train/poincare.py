"""Poincaré embeddings of a hierarchy: the Python loop around the numba kernel.

General nodes should end near the centre of the ball and specific ones near the rim. Each epoch
visits the edges in a fresh seeded order; the first ``burn_in`` epochs run at a reduced learning
rate with negatives drawn by degree (the paper's burn-in), which lets the layout find its angles
before points move outward.
"""

from __future__ import annotations

import dataclasses
import os
import threading

import numpy as np

from embedstudio.config import ConfigBase, ConfigError, param
from embedstudio.train.base import ChunkedTrainer, TrainingDiverged  # noqa: F401 - TrainingDiverged: importable from here too
from embedstudio.train.kernels import poincare as kernel
from embedstudio.train.kernels.rng import chunk_seed
from embedstudio.train.kernels.sgns import alias_table
from embedstudio.train.word2vec import default_threads
from embedstudio.vectors import Embedding


_FINAL_LR_FACTOR = 0.01  # linear decay ends at this share of lr




@dataclasses.dataclass(frozen=True)
class PoincareConfig(ConfigBase):
    dim: int = param(10, "dimension of the Poincaré ball", low=2, high=1024)
    epochs: int = param(50, "passes over the edges (burn-in included)", low=1, high=100_000)
    negative: int = param(10, "non-neighbours each edge is contrasted with", low=1, high=1000)
    lr: float = param(0.1, "learning rate of Riemannian SGD", low=1e-6, high=100.0)
    lr_decay: str = param("constant", "after burn-in: keep the rate, or lower it linearly to 1/100 of lr "
                          "by the last epoch (finer convergence on large hierarchies)", choices=("constant", "linear"))
    burn_in: int = param(10, "first epochs at a reduced rate with degree-based negatives", low=0, high=100_000)
    burn_in_factor: float = param(0.01, "learning-rate factor during burn-in", low=1e-6, high=1.0)
    negative_sampling: str = param("degree", "after burn-in: negatives by degree^dampening, or uniform",
                                   choices=("degree", "uniform"))
    exclude: str = param("neighbours", "nodes never drawn as negatives for an edge (u, v): u's neighbours "
                         "either way, or only u's ancestors as in the paper's (u, v') ∉ D",
                         choices=("neighbours", "ancestors"))
    dampening: float = param(0.75, "exponent on node degree for negative sampling", low=0.0, high=1.0)
    init_range: float = param(1e-3, "initial coordinates are uniform in ±init_range", low=1e-8, high=0.1)
    max_norm: float = param(1 - 1e-5, "points are kept at most this far from the centre", low=0.5, high=1 - 1e-9)
    threads: int = param(default_threads(), "worker threads (1 = deterministic, resumes bit-identically)", low=1, high=256)
    seed: int = param(1, "random seed", low=0, high=2**63 - 1)
    chunk_edges: int = param(2000, "edges per unit of work (progress, cancel and checkpoint granularity)",
                             low=10, high=10**8)

    def check(self) -> None:
        if self.burn_in > self.epochs:
            raise ConfigError(f"burn_in={self.burn_in} is longer than epochs={self.epochs}")


class PoincareTrainer(ChunkedTrainer):
    name = "poincare"
    config_class = PoincareConfig
    array_names = ("vectors",)
    array_dtype = np.float64
    loss_label = "softmax loss per edge"

    def __init__(self, config: PoincareConfig | None = None):
        super().__init__(config or PoincareConfig())
        self._hierarchy = None
        self._orders: dict[int, np.ndarray] = {}
        self._order_lock = threading.Lock()

    @property
    def vectors(self) -> np.ndarray | None:
        return self.arrays.get("vectors")

    def _prepare(self, hierarchy, resuming: bool) -> tuple[int, dict]:
        cfg = self.config
        if hierarchy.n_edges == 0:
            raise ValueError("the hierarchy has no edges")
        self._hierarchy = hierarchy
        self._edges = np.ascontiguousarray(hierarchy.edges, dtype=np.int64)
        ptr, idx = ((hierarchy.neighbor_ptr, hierarchy.neighbor_idx) if cfg.exclude == "neighbours"
                    else hierarchy.ancestors_csr())
        self._ptr = np.ascontiguousarray(ptr, dtype=np.int64)
        self._idx = np.ascontiguousarray(idx, dtype=np.int64)
        weights = np.maximum(np.asarray(hierarchy.degree, dtype=np.float64), 1.0) ** cfg.dampening
        self._alias_prob, self._alias_idx = alias_table(weights)
        self._alias_idx = self._alias_idx.astype(np.int64)
        self._orders = {}
        n_chunks = -(-hierarchy.n_edges // cfg.chunk_edges)
        fingerprint = {"nodes": int(hierarchy.n_nodes), "edges": int(hierarchy.n_edges),
                       "edge_hash": int(np.bitwise_xor.reduce(self._edges[:, 0] * 1_000_003 + self._edges[:, 1]))}
        return n_chunks, fingerprint

    def _init_arrays(self) -> dict[str, np.ndarray]:
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        return {"vectors": rng.uniform(-cfg.init_range, cfg.init_range, (self._hierarchy.n_nodes, cfg.dim))}

    def _order(self, epoch: int) -> np.ndarray:
        """The epoch's edge order: a pure function of (seed, epoch), shared by the threads."""
        with self._order_lock:
            if epoch not in self._orders:
                self._orders = {e: o for e, o in self._orders.items() if e >= epoch - 1}
                rng = np.random.default_rng([self.config.seed, epoch])
                self._orders[epoch] = rng.permutation(self._hierarchy.n_edges).astype(np.int64)
            return self._orders[epoch]

    def _learning_rate(self, cursor: int) -> float:
        cfg = self.config
        epoch = max(cursor - 1, 0) // self._chunks_per_epoch
        if epoch < cfg.burn_in:
            return cfg.lr * cfg.burn_in_factor
        if cfg.lr_decay == "constant":
            return cfg.lr
        start = cfg.burn_in * self._chunks_per_epoch
        done = (max(cursor - 1, 0) - start) / max(cfg.epochs * self._chunks_per_epoch - start, 1)
        return cfg.lr * max(1.0 - done, _FINAL_LR_FACTOR)

    def _run_chunk(self, chunk: int) -> tuple[float, int, int]:
        cfg = self.config
        epoch, k = divmod(chunk, self._chunks_per_epoch)
        first = k * cfg.chunk_edges
        end = min(first + cfg.chunk_edges, self._hierarchy.n_edges)
        burning = epoch < cfg.burn_in
        loss, examples, edges, bad = kernel.train_chunk(
            self.arrays["vectors"], self._edges, self._order(epoch), first, end, self._ptr, self._idx,
            self._alias_prob, self._alias_idx, (not burning) and cfg.negative_sampling == "uniform",
            cfg.negative, self._learning_rate(chunk + 1), cfg.max_norm, chunk_seed(cfg.seed, chunk),
        )
        if bad or not np.isfinite(loss):
            raise TrainingDiverged(
                f"the loss became non-finite in epoch {epoch + 1} ({bad} edges): lower the learning rate "
                f"(now {self._learning_rate(chunk + 1):g}); the vectors were not changed by those edges")
        return loss, examples, edges

    def embedding(self) -> Embedding:
        if self.vectors is None:
            raise RuntimeError("no vectors yet: call fit() first")
        h = self._hierarchy
        return Embedding(
            h.names, self.vectors.astype(np.float32), np.asarray(h.degree), geometry="poincare",
            info={"trainer": self.name, "config": self.config.to_dict(),
                  "hierarchy": os.fspath(getattr(h, "path", "") or ""), "chunks_done": self._cursor,
                  "epoch_losses": list(self._epoch_losses)},
        )


def train_poincare(hierarchy, config: PoincareConfig | None = None) -> Embedding:
    trainer = PoincareTrainer(config)
    for _ in trainer.fit(hierarchy):
        pass
    return trainer.embedding()
