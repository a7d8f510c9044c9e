"""Poincaré embeddings of a hierarchy: the Python loop around the numba kernels.

General nodes should end near the centre of the ball and specific ones near the rim. Each epoch
visits the edges in a fresh seeded order; the first ``burn_in`` epochs run at a reduced learning
rate with negatives drawn by degree (the paper's burn-in), which lets the layout find its angles
before points move outward.

``model="lorentz"`` trains the same loss on the hyperboloid (Nickel & Kiela 2018) with the same
sampling, schedule, threads and checkpoints; its rows are converted to the ball for everything
outside the trainer (``vectors``, snapshots, the Embedding), so views and exports need not know.
"""

from __future__ import annotations

import dataclasses
import os
import threading

import numpy as np

from embedstudio.config import ConfigBase, ConfigError, param
from embedstudio.geometry.lorentz import lift
from embedstudio.train.base import ChunkedTrainer, TrainingDiverged  # noqa: F401 - TrainingDiverged: importable from here too
from embedstudio.train.kernels import lorentz as lorentz_kernel
from embedstudio.train.kernels import poincare as kernel
from embedstudio.train.kernels.rng import chunk_seed
from embedstudio.train.kernels.sgns import alias_table
from embedstudio.train.word2vec import default_threads
from embedstudio.vectors import Embedding


_FINAL_LR_FACTOR = 0.01  # linear decay ends at this share of lr
MODELS = ("poincare", "lorentz")
# an empty lr means the model's own: the ball's tuned rate here, and the Lorentz paper's script's 0.5. (That
# script averages the loss over batches of 50, so per edge it stepped 0.01; at one rate the two models train
# alike here -- mammals d=5, 50 epochs: MAP 0.66 both at 0.1, 0.87 both at 0.5; 300 epochs at 0.5: ~0.87, at
# 0.3: 0.93 -- so 0.5 buys a fast start, not a better end.)
DEFAULT_LR = {"poincare": 0.1, "lorentz": 0.5}
_FLOAT32_RIM = 1.0 - 2.0**-22  # a float32 norm safely below 1 (two float32 steps): 1 - |p|² stays > 0




@dataclasses.dataclass(frozen=True)
class PoincareConfig(ConfigBase):
    model: str = param("poincare", "where training runs: the Poincaré ball, or the Lorentz hyperboloid (Nickel & "
                       "Kiela 2018), whose steps stay accurate far from the origin; shown and saved in the ball "
                       "either way", choices=MODELS)
    dim: int = param(10, "dimension of the hyperbolic space (the Lorentz model stores dim + 1 coordinates)",
                     low=2, high=1024)
    epochs: int = param(50, "passes over the edges (burn-in included)", low=1, high=100_000)
    negative: int = param(10, "non-neighbours each edge is contrasted with", low=1, high=1000)
    lr: float | None = param(None, "learning rate of Riemannian SGD (empty = 0.1 in the ball, 0.5 on the "
                             "hyperboloid)", low=1e-6, high=100.0, optional=True)
    lr_decay: str = param("constant", "after burn-in: keep the rate, or lower it linearly to 1/100 of lr "
                          "by the last epoch (finer convergence on large hierarchies)", choices=("constant", "linear"))
    burn_in: int = param(10, "first epochs at a reduced rate with degree-based negatives", low=0, high=100_000)
    burn_in_factor: float = param(0.01, "learning-rate factor during burn-in", low=1e-6, high=1.0)
    # uniform, as the authors' code samples after burn-in: WordNet nouns d=10 reached full MAP 0.824 / mean rank
    # 7.77 in 18 minutes against 0.795 / 9.2 (sampled) in 25.6 by degree; mammals d=5, 50 epochs: MAP 0.78 vs 0.66
    negative_sampling: str = param("uniform", "after burn-in: negatives drawn uniformly, or by degree^dampening",
                                   choices=("uniform", "degree"))
    exclude: str = param("neighbours", "nodes never drawn as negatives for an edge (u, v): u's neighbours "
                         "either way, or only u's ancestors as in the paper's (u, v') ∉ D",
                         choices=("neighbours", "ancestors"))
    dampening: float = param(0.75, "exponent on node degree for negative sampling", low=0.0, high=1.0)
    init_range: float = param(1e-3, "initial coordinates are uniform in ±init_range", low=1e-8, high=0.1)
    max_norm: float = param(1 - 1e-5, "points are kept at most this far from the centre (the ball; the Lorentz "
                            "model has no such limit, as in its paper)", low=0.5, high=1 - 1e-9)
    threads: int = param(default_threads(), "worker threads (1 = deterministic, resumes bit-identically)", low=1, high=256)
    seed: int = param(1, "random seed", low=0, high=2**63 - 1)
    chunk_edges: int = param(2000, "edges per unit of work (progress, cancel and checkpoint granularity)",
                             low=10, high=10**8)

    def check(self) -> None:
        if self.burn_in > self.epochs:
            raise ConfigError(f"burn_in={self.burn_in} is longer than epochs={self.epochs}")


def _effective_lr(config: dict) -> float:
    return config["lr"] if config.get("lr") is not None else DEFAULT_LR[config.get("model", "poincare")]


def _to_ball(points: np.ndarray, dtype) -> np.ndarray:
    """Hyperboloid rows -> Poincaré-ball rows p = x[1:] / (1 + x0), written once into a new array of ``dtype``."""
    out = np.empty((points.shape[0], points.shape[1] - 1), dtype=dtype)
    np.divide(points[:, 1:], 1.0 + points[:, :1], out=out, casting="unsafe")
    return out


class PoincareTrainer(ChunkedTrainer):
    name = "poincare"
    config_class = PoincareConfig
    array_names = ("vectors",)
    array_dtype = np.float64
    loss_label = "softmax loss per edge"

    def __init__(self, config: PoincareConfig | None = None):
        super().__init__(config or PoincareConfig())
        # the Lorentz model trains (and checkpoints) hyperboloid rows; `vectors` is always the ball's
        self._lorentz = self.config.model == "lorentz"
        self.array_names = ("hyperboloid",) if self._lorentz else ("vectors",)
        self.lr = _effective_lr(self.config.to_dict())
        self._hierarchy = None
        self._orders: dict[int, np.ndarray] = {}
        self._order_lock = threading.Lock()

    @property
    def vectors(self) -> np.ndarray | None:
        """Poincaré-ball coordinates (n, dim), float64: what the disk, neighbours, norms and exports use.
        For the Lorentz model a fresh conversion p = x[1:] / (1 + x0) (writing to it changes nothing)."""
        if not self._lorentz:
            return self.arrays.get("vectors")
        points = self.arrays.get("hyperboloid")
        return None if points is None else _to_ball(points, np.float64)

    @property
    def hyperboloid(self) -> np.ndarray | None:
        """The Lorentz model's trained rows (n, dim + 1) on <x, x>_L = -1; None for the ball."""
        return self.arrays.get("hyperboloid")

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
        start = rng.uniform(-cfg.init_range, cfg.init_range, (self._hierarchy.n_nodes, cfg.dim))
        # the Lorentz model starts from the same draws, as x1..xd lifted onto the hyperboloid
        return {"hyperboloid": lift(start)} if self._lorentz else {"vectors": start}

    def _restore(self, ckpt, fingerprint: dict) -> None:
        """Checkpoints from before the Lorentz model (no ``model``, lr 0.1 written out) resume as they did."""
        theirs = {"model": "poincare", **ckpt.config}
        if _effective_lr(theirs) == self.lr:  # an empty lr and the model's default written out are the same run
            theirs["lr"] = self.config.lr
        super()._restore(dataclasses.replace(ckpt, config=theirs), fingerprint)

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
            return self.lr * cfg.burn_in_factor
        if cfg.lr_decay == "constant":
            return self.lr
        start = cfg.burn_in * self._chunks_per_epoch
        done = (max(cursor - 1, 0) - start) / max(cfg.epochs * self._chunks_per_epoch - start, 1)
        return self.lr * max(1.0 - done, _FINAL_LR_FACTOR)

    def _run_chunk(self, chunk: int) -> tuple[float, int, int]:
        cfg = self.config
        epoch, k = divmod(chunk, self._chunks_per_epoch)
        first = k * cfg.chunk_edges
        end = min(first + cfg.chunk_edges, self._hierarchy.n_edges)
        burning = epoch < cfg.burn_in
        uniform = (not burning) and cfg.negative_sampling == "uniform"
        lr = self._learning_rate(chunk + 1)
        if self._lorentz:
            loss, examples, edges, bad = lorentz_kernel.train_chunk(
                self.arrays["hyperboloid"], self._edges, self._order(epoch), first, end, self._ptr, self._idx,
                self._alias_prob, self._alias_idx, uniform, cfg.negative, lr, chunk_seed(cfg.seed, chunk))
        else:
            loss, examples, edges, bad = kernel.train_chunk(
                self.arrays["vectors"], self._edges, self._order(epoch), first, end, self._ptr, self._idx,
                self._alias_prob, self._alias_idx, uniform, cfg.negative, lr, cfg.max_norm,
                chunk_seed(cfg.seed, chunk))
        if bad or not np.isfinite(loss):
            raise TrainingDiverged(
                f"the loss became non-finite in epoch {epoch + 1} ({bad} edges): lower the learning rate "
                f"(now {self._learning_rate(chunk + 1):g}); the vectors were not changed by those edges")
        return loss, examples, edges

    def embedding(self) -> Embedding:
        if not self.arrays:
            raise RuntimeError("no vectors yet: call fit() first")
        h = self._hierarchy
        if self._lorentz:
            ball = _to_ball(self.arrays["hyperboloid"], np.float32)
            # beyond x0 ~ 1e7 (distance ~17 from the origin) float32 rounds |p| to 1, off the ball: such rows
            # are pulled in to the last float32 radius below 1
            norms = np.sqrt(np.einsum("ij,ij->i", ball, ball, dtype=np.float64))
            over = norms >= _FLOAT32_RIM
            if over.any():
                ball[over] *= (_FLOAT32_RIM / norms[over])[:, None]
        else:
            ball = self.vectors.astype(np.float32)
        return Embedding(
            h.names, ball, np.asarray(h.degree), geometry="poincare",
            info={"trainer": self.name, "config": self.config.to_dict(),
                  "hierarchy": os.fspath(getattr(h, "path", "") or ""), "chunks_done": self._cursor,
                  "epoch_losses": list(self._epoch_losses)},
        )


def train_poincare(hierarchy, config: PoincareConfig | None = None) -> Embedding:
    trainer = PoincareTrainer(config)
    for _ in trainer.fit(hierarchy):
        pass
    return trainer.embedding()
