"""Multi-relation graph embeddings in PyTorch-BigGraph's manner (Lerer et al. 2019).

``GraphTrainer(GraphConfig(...)).fit(graph_or_split)`` follows the generator protocol of every
trainer. The model is :class:`~embedstudio.graphmodel.GraphModel` (dynamic relations: a left and a
right operator per relation); the kernel is :func:`embedstudio.train.kernels.graph.train_batch`.

An epoch shuffles the training edges, groups them by (head type, tail type) so a batch's uniform
negatives come from the right entity type, cuts them into batches, and hands runs of batches to
the kernel (one run = one unit of work: progress, cancel, checkpoint). With one partition, threads
run units at once (hogwild); with more, units run in order and the threads share each batch (its
groups of edges, then one summed update): see ``GraphTrainer._hogwild``.

**Partitioned mode** (``partitions`` = N > 1): entities of every type are split into N partitions
(a seeded permutation, contiguous ranges, as PBG's importer does) and edges into N² buckets by the
partitions of their head and tail. Buckets are trained one after the other, grouped by the pair of
partitions they need, pairs in an order where consecutive ones share a partition (``bucket_order``:
each pair is loaded once an epoch, one partition swapped at a time); only the two partitions of the
current bucket (vectors and Adagrad state) are in memory, the others are files in ``work_dir``. Negatives then come from the bucket's partitions only, as in PBG. The edges are read once,
a chunk at a time, into a file of ``work_dir`` sorted by bucket, and trained one bucket at a time (see
:mod:`embedstudio.train.graph_partitions`): memory then follows 2/N of the vectors, not the edge count.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from embedstudio.config import ConfigBase, ConfigError, param
from embedstudio.graphmodel import (COMPARATORS, OPERATORS, GraphModel, check_operator, identity_params,
                                    unknown_name)
from embedstudio.train.base import Checkpoint, ChunkedTrainer, TrainingDiverged
from embedstudio.train.graph_partitions import EdgeBuckets, EntityPartitions, bucket_order, edge_hash, split_entities
from embedstudio.train.kernels import graph as kernel
from embedstudio.train.kernels.rng import chunk_seed
from embedstudio.train.word2vec import default_threads
from embedstudio.vectors import Embedding

LOSSES = ("ranking", "softmax")
OPTIMIZERS = ("adagrad", "sgd")
# The objective is scored after each epoch on a fixed, seeded sample of the training edges: EVAL_EDGES, or on a
# small graph 1/EVAL_SHARE of them (EVAL_MIN_EDGES at least). Scoring an edge costs ~40% of training on it: 2000
# of the mammal relations' 3,700 edges took 23% of an epoch's time, 500 take ~6%.
EVAL_EDGES = 2000
EVAL_SHARE = 8
EVAL_MIN_EDGES = 500


@dataclasses.dataclass(frozen=True)
class GraphConfig(ConfigBase):
    dim: int = param(100, "dimension of the entity vectors", low=2, high=4096)
    operator: str = param("complex_diagonal", "relation operator applied to one side", choices=OPERATORS)
    comparator: str = param("dot", "similarity of the two sides", choices=COMPARATORS)
    loss: str = param("ranking", "margin ranking loss, or softmax over the negatives", choices=LOSSES)
    margin: float = param(0.1, "margin of the ranking loss", low=0.0, high=100.0)
    epochs: int = param(5, "passes over the training edges", low=1, high=100_000)
    batch_size: int = param(1000, "edges per optimizer step", low=1, high=10**6)
    batch_negatives: int = param(100, "edges of a batch scored against each other (PBG's num_batch_negs)",
                                 low=1, high=10**5)
    uniform_negatives: int = param(100, "entities drawn uniformly per group of batch negatives", low=0,
                                   high=10**5)
    optimizer: str = param("adagrad", "row-wise Adagrad (as PBG) or plain SGD", choices=OPTIMIZERS)
    lr: float = param(0.1, "learning rate of the entity vectors", low=1e-8, high=100.0)
    relation_lr: float | None = param(None, "learning rate of the relation operators (empty: lr)",
                                      low=1e-8, high=100.0, optional=True)
    init_scale: float = param(1e-3, "initial vectors are normal with this standard deviation", low=1e-8, high=10.0)
    partitions: int = param(1, "entity partitions (N² edge buckets, two partitions in memory)", low=1, high=256)
    batches_per_unit: int = param(20, "batches per unit of work (progress, cancel and checkpoint granularity)",
                                  low=1, high=10**6)
    threads: int = param(default_threads(), "worker threads (1 = deterministic; with partitions, more share "
                         "each batch and give the 1-thread model up to rounding)", low=1, high=256)
    seed: int = param(0, "random seed", low=0, high=2**63 - 1)

    def check(self) -> None:
        check_operator(self.operator, self.dim)
        if self.batch_negatives > self.batch_size:
            raise ConfigError(f"batch_negatives={self.batch_negatives} is more than batch_size={self.batch_size}")


def _share(batches: list, unit: int, units: int) -> list:
    """Unit ``unit`` of ``units`` gets an even share of the batches (threads then finish together)."""
    n = len(batches)
    return batches[unit * n // units:(unit + 1) * n // units]


class GraphTrainer(ChunkedTrainer):
    name = "graph"
    config_class = GraphConfig
    array_names = ("entities", "entity_state", "lhs_params", "rhs_params", "lhs_state", "rhs_state")

    def __init__(self, config: GraphConfig | None = None, work_dir: str | None = None):
        super().__init__(config or GraphConfig())
        self._graph = None
        self._work_dir = work_dir
        self._own_work_dir = False
        self._parts: EntityPartitions | None = None
        self._buckets: EdgeBuckets | None = None
        self._bucket_data = None  # (bucket index, its rows, weights, groups) while its units run
        self._plans: dict[int, list] = {}
        self._plan_lock = threading.Lock()
        self._bucket_now = None
        self._buffers: kernel.GradientBuffers | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._thread_buffers = threading.local()
        self._relation_lock = threading.Lock()

    @property
    def loss_label(self) -> str:
        # per (edge, side): summed over the side's negatives, hundreds of times the objective's per-pair figure
        return "margin ranking loss per (edge, side)" if self.config.loss == "ranking" else "softmax loss per (edge, side)"

    @property
    def objective_label(self) -> str:
        return ("margin ranking loss per (edge, negative) pair" if self.config.loss == "ranking"
                else "softmax loss per (edge, side)")

    # ------------------------------------------------------------------ set-up
    def _prepare(self, data, resuming: bool) -> tuple[int, dict]:
        cfg = self.config
        graph, edges = data if isinstance(data, tuple) else (data, None)
        whole = edges is None
        source = graph.edges if whole else edges  # an array, or rows read from disk a slice at a time
        if len(source) == 0:
            raise ValueError("the graph has no training edges")
        self._graph = graph
        weights = graph.weights if whole and getattr(graph, "weights", None) is not None else None
        n = len(graph.names)
        # groups of edges by (head type, tail type): head type * T + tail type
        self._n_types = max(len(graph.type_offsets) - 1, 1)
        self._plans = {}
        P = cfg.partitions
        if P > 1:
            digest = self._setup_partitions(source, weights)
            units = 0
            self._bucket_units = []
            for (i, j) in bucket_order(P):
                counts = self._buckets.group_counts[i * P + j]
                u = -(-int(sum(-(-c // cfg.batch_size) for c in counts)) // cfg.batches_per_unit)
                self._bucket_units.append(u)
                units += u
            self._bucket_first = np.concatenate([[0], np.cumsum(self._bucket_units)]).astype(np.int64)
            n_units = units
        else:
            edges = self._edges = np.ascontiguousarray(source, dtype=np.int64).reshape(-1, 3)
            self._weights = None if weights is None else np.ascontiguousarray(weights, dtype=np.float32)
            self._all_rows = np.arange(len(edges))
            types = np.asarray(graph.entity_type, dtype=np.int64)
            self._group_of_edge = types[edges[:, 0]] * self._n_types + types[edges[:, 2]]
            n_units = -(-self._n_batches(self._group_of_edge) // cfg.batches_per_unit)
            digest = edge_hash(edges)
        self._thread_buffers = threading.local()
        self._buffers = None if self._hogwild else self._new_buffers(cfg.threads)
        self._eval = self._eval_sample(source, weights)
        fingerprint = {"entities": n, "relations": len(graph.relation_names), "edges": int(len(source)),
                       "edge_hash": digest}
        return n_units, fingerprint

    def _n_batches(self, groups: np.ndarray) -> int:
        _, counts = np.unique(groups, return_counts=True)
        return int(sum(-(-c // self.config.batch_size) for c in counts))

    def _setup_partitions(self, source, weights) -> int:
        """Split the entities and write the edges into bucket order in the work folder; returns the edge hash."""
        cfg = self.config
        graph = self._graph
        self._part_of, self._local, self._part_members, self._part_type_offsets = split_entities(
            graph.type_offsets, cfg.partitions, cfg.seed)
        self._make_work_dir()
        self._buckets = EdgeBuckets(self._work_dir, cfg.partitions)
        self._buckets.build(source, weights, self._part_of, self._local, np.asarray(graph.entity_type), self._n_types)
        self._bucket_data = None
        return self._buckets.edge_hash

    def _eval_sample(self, source, weights) -> tuple:
        """The fixed sample the objective is scored on: EVAL_EDGES training edges or fewer (seeded) in groups as
        training makes them (one type pair, batch_negatives edges) with their uniform negatives drawn once.
        Returns (edges, weights, group starts, uniform rows (groups, 2 sides, uniform_negatives)), global ids."""
        cfg = self.config
        rng = np.random.default_rng([cfg.seed, 0x5A3])
        m = len(source)
        pick = rng.choice(m, size=min(m, EVAL_EDGES, max(EVAL_MIN_EDGES, m // EVAL_SHARE)), replace=False)
        types = np.asarray(self._graph.entity_type)
        picked = np.asarray(source[np.sort(pick)], dtype=np.int64).reshape(-1, 3)[np.argsort(np.argsort(pick))]
        group = types[picked[:, 0]].astype(np.int64) * self._n_types + types[picked[:, 2]]
        order = np.argsort(group, kind="stable")
        pick, group = pick[order], group[order]
        cuts = np.flatnonzero(np.diff(group)) + 1
        sizes = [len(b) for part in np.split(pick, cuts)
                 for b in np.array_split(part, -(-len(part) // cfg.batch_negatives))]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        edges = np.ascontiguousarray(picked[order])
        weights = np.asarray(weights, dtype=np.float32)[pick] if weights is not None else np.zeros(0, np.float32)
        offsets = np.asarray(self._graph.type_offsets, dtype=np.int64)
        uniform = np.empty((len(sizes), 2, cfg.uniform_negatives), dtype=np.int64)
        for g, first in enumerate(starts[:-1]):
            head_type, tail_type = types[edges[first, 0]], types[edges[first, 2]]
            uniform[g, 0] = rng.integers(offsets[tail_type], offsets[tail_type + 1], cfg.uniform_negatives)
            uniform[g, 1] = rng.integers(offsets[head_type], offsets[head_type + 1], cfg.uniform_negatives)
        return edges, weights, starts, uniform

    def _evaluate(self) -> float:
        """The training loss on the fixed sample, vectors frozen: per (edge, negative) pair (ranking) or per
        (edge, side) (softmax). Negatives come from the whole entity type, also with partitions."""
        cfg = self.config
        edges, weights, starts, uniform = self._eval
        if cfg.partitions == 1:
            emb = self.arrays["entities"]
        else:  # only the rows the sample touches, from the partitions in memory or on disk
            rows = np.unique(np.concatenate([edges[:, 0], edges[:, 2], uniform.ravel()]))
            emb = np.empty((len(rows), cfg.dim), np.float32)
            part = self._part_of[rows]
            for p in np.unique(part):
                emb[part == p] = self._parts.take(int(p), self._local[rows[part == p]])
            edges = edges.copy()
            edges[:, 0] = np.searchsorted(rows, edges[:, 0])
            edges[:, 2] = np.searchsorted(rows, edges[:, 2])
            uniform = np.searchsorted(rows, uniform)
        loss, terms = kernel.eval_loss(
            emb, self.arrays["lhs_params"], self.arrays["rhs_params"], edges, weights, starts, uniform,
            kernel.OPERATOR_CODES[cfg.operator], cfg.comparator == "cos",
            kernel.LOSS_RANKING if cfg.loss == "ranking" else kernel.LOSS_SOFTMAX, cfg.margin)
        return loss / terms if terms > 0 else float("nan")

    def _init_arrays(self) -> dict[str, np.ndarray]:
        cfg = self.config
        graph = self._graph
        R = len(graph.relation_names)
        arrays = {
            "lhs_params": identity_params(cfg.operator, R, cfg.dim),
            "rhs_params": identity_params(cfg.operator, R, cfg.dim),
        }
        arrays["lhs_state"] = np.zeros_like(arrays["lhs_params"])
        arrays["rhs_state"] = np.zeros_like(arrays["rhs_params"])
        if cfg.partitions > 1:
            self._open_partitions()
            for p in range(cfg.partitions):
                self._parts.write_random(p, np.random.default_rng([cfg.seed, 11, p]), cfg.init_scale)
        else:
            rng = np.random.default_rng([cfg.seed, 11])
            arrays["entities"] = (rng.standard_normal((len(graph.names), cfg.dim)) * cfg.init_scale).astype(np.float32)
            arrays["entity_state"] = np.zeros(len(graph.names), np.float32)
        return arrays

    def _make_work_dir(self) -> None:
        if self._work_dir is None:
            self._work_dir = tempfile.mkdtemp(prefix="embedstudio-partitions-")
            self._own_work_dir = True
        os.makedirs(self._work_dir, exist_ok=True)

    def _open_partitions(self) -> None:
        self._make_work_dir()
        self._parts = EntityPartitions(self._work_dir, [len(m) for m in self._part_members], self.config.dim)
        self._bucket_now = None

    def _restore(self, ckpt: Checkpoint, fingerprint: dict) -> None:
        super()._restore(ckpt, fingerprint)
        if self.config.partitions > 1:
            self._open_partitions()
            entities, state = self.arrays.pop("entities"), self.arrays.pop("entity_state")
            for p, ids in enumerate(self._part_members):
                self._parts.write(p, entities[ids].copy(), state[ids].copy())

    # ------------------------------------------------------------------ one unit of work
    def _plan(self, epoch: int, rows: np.ndarray, groups: np.ndarray, key: int) -> list[np.ndarray]:
        """The epoch's batches of ``rows`` (edge indices): shuffled, each within one type group."""
        with self._plan_lock:  # hogwild threads ask for plans at once
            if key not in self._plans:
                self._plans = {k: v for k, v in self._plans.items() if k >= key - 1}
                rng = np.random.default_rng([self.config.seed, epoch, key])
                perm = rng.permutation(len(rows))
                shuffled = rows[perm]
                g = groups[perm]
                order = np.argsort(g, kind="stable")
                shuffled, g = shuffled[order], g[order]
                cuts = np.flatnonzero(np.diff(g)) + 1
                batches = []
                for part in np.split(shuffled, cuts):
                    batches.extend(np.array_split(part, -(-len(part) // self.config.batch_size)))
                self._plans[key] = [batches[i] for i in rng.permutation(len(batches))]
            return self._plans[key]

    def _run_chunk(self, chunk: int) -> tuple[float, int, int]:
        cfg = self.config
        epoch, unit = divmod(chunk, self._chunks_per_epoch)
        if cfg.partitions == 1:
            batches = self._plan(epoch, self._all_rows, self._group_of_edge, epoch)
            chosen = _share(batches, unit, self._chunks_per_epoch)
            rows = np.concatenate(chosen)
            emb_l = emb_r = self.arrays["entities"]
            st_l = st_r = self.arrays["entity_state"]
            local = self._edges[rows]
            offsets_l = offsets_r = np.asarray(self._graph.type_offsets, dtype=np.int64)
            same = True
            weights = self._weights[rows] if self._weights is not None else np.zeros(0, np.float32)
            groups = self._group_of_edge[rows]
        else:
            bucket = int(np.searchsorted(self._bucket_first, unit, side="right") - 1)
            i, j = bucket_order(cfg.partitions)[bucket]
            if self._bucket_now != (epoch, bucket):
                self._parts.hold({i, j})
                self._bucket_now = (epoch, bucket)
            if self._bucket_data is None or self._bucket_data[0] != bucket:
                self._bucket_data = None  # the old bucket's rows go before the next one's are read
                self._bucket_data = (bucket, *self._buckets.load(i, j, self._part_type_offsets[i],
                                                                   self._part_type_offsets[j]))
            _, bucket_rows, bucket_weights, bucket_groups = self._bucket_data
            key = epoch * cfg.partitions ** 2 + bucket
            batches = self._plan(epoch, np.arange(len(bucket_rows)), bucket_groups, key)
            k = unit - int(self._bucket_first[bucket])
            chosen = _share(batches, k, self._bucket_units[bucket])
            rows = np.concatenate(chosen)
            local = bucket_rows[rows].astype(np.int64)
            emb_l, st_l = self._parts.loaded[i]
            emb_r, st_r = self._parts.loaded[j]
            offsets_l, offsets_r = self._part_type_offsets[i], self._part_type_offsets[j]
            same = i == j
            weights = bucket_weights[rows] if bucket_weights is not None else np.zeros(0, np.float32)
            groups = bucket_groups[rows]
        sizes = np.array([len(b) for b in chosen], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        head_type, tail_type = np.divmod(groups[starts[:-1]], self._n_types)  # a batch is one type group
        loss, count = self._kernel(chunk, emb_l, st_l, emb_r, st_r, same, local, weights, starts,
                                   offsets_l, offsets_r, head_type, tail_type)
        if not np.isfinite(loss):
            raise TrainingDiverged(f"the loss became non-finite in epoch {epoch + 1}: lower the learning rate")
        return loss, 2 * count, count

    def _kernel(self, chunk, emb_l, st_l, emb_r, st_r, same, local, weights, starts, offsets_l, offsets_r,
                head_type, tail_type):
        """One optimizer step per batch; how threads share the work is _hogwild's."""
        cfg = self.config
        lo_l, hi_l = offsets_l[head_type], offsets_l[head_type + 1]
        lo_r, hi_r = offsets_r[tail_type], offsets_r[tail_type + 1]
        unit_seed = chunk_seed(cfg.seed, chunk)
        names = ("lhs_params", "rhs_params", "lhs_state", "rhs_state")
        if self._hogwild:
            buffers = getattr(self._thread_buffers, "buffers", None)
            if buffers is None:
                buffers = self._thread_buffers.buffers = self._new_buffers(1)
        else:
            buffers = self._buffers
        loss, count = 0.0, 0
        for b in range(len(starts) - 1):
            s0, s1 = int(starts[b]), int(starts[b + 1])
            if self._hogwild:
                # Relation operators are a few rows every batch updates: hogwild on them cost 0.01
                # MRR on WordNet. So a batch works on a copy and adds its change under a lock.
                with self._relation_lock:
                    before = [self.arrays[n].copy() for n in names]
                relation = [a.copy() for a in before]
            else:
                relation = [self.arrays[n] for n in names]
            batch_loss, batch_count = kernel.train_batch(
                emb_l, st_l, emb_r, st_r, same, *relation,
                local[s0:s1], weights[s0:s1] if len(weights) else weights, lo_l[b], hi_l[b], lo_r[b], hi_r[b],
                kernel.OPERATOR_CODES[cfg.operator], cfg.comparator == "cos",
                kernel.LOSS_RANKING if cfg.loss == "ranking" else kernel.LOSS_SOFTMAX, cfg.margin,
                cfg.batch_negatives, cfg.uniform_negatives, cfg.lr,
                cfg.relation_lr if cfg.relation_lr is not None else cfg.lr, cfg.optimizer == "adagrad",
                chunk_seed(unit_seed, b), buffers, self._pool)
            if self._hogwild:
                with self._relation_lock:
                    for n, old, new in zip(names, before, relation):
                        self.arrays[n] += new - old
            loss += batch_loss
            count += batch_count
        return loss, count

    @property
    def _hogwild(self) -> bool:
        """Threads run whole units at once, each updating the shared vectors (PBG's workers), when
        the graph is one partition; with more, the threads share each batch and one step follows
        it. Two batches of one bucket touch the same rows N times more often than two of the whole
        graph, and hogwild cost 0.015 filtered MRR on WordNet with 4 partitions (none with 1);
        synchronous batches cost 20% of the speed with 1 (a wait for every batch)."""
        return self.config.threads > 1 and self.config.partitions == 1

    def _unit_threads(self) -> int:
        return self.config.threads if self._hogwild else 1

    def _new_buffers(self, workers: int) -> kernel.GradientBuffers:
        cfg = self.config
        rows = max(len(m) for m in self._part_members) if cfg.partitions > 1 else len(self._graph.names)
        psize = identity_params(cfg.operator, 1, cfg.dim).shape[1]
        return kernel.GradientBuffers(workers, rows, cfg.batch_size, cfg.batch_negatives, cfg.uniform_negatives,
                                      cfg.dim, len(self._graph.relation_names), psize, two_sides=cfg.partitions > 1)

    def _learning_rate(self, cursor: int) -> float:
        return self.config.lr

    def fit(self, data, resume: Checkpoint | None = None, snapshot_every_s: float | None = None):
        """``data``: a GraphData (train on all its edges) or ``(graph, train_edges)``."""
        import scipy.linalg.cython_blas  # noqa: F401 - the BLAS numba's np.dot calls: load it before limiting it
        from threadpoolctl import threadpool_limits

        # The kernel's matrix products are small: BLAS threads would only fight the trainer's own
        # (oversubscribed, OpenBLAS's spinning threads made 2 trainer threads 4x slower).
        threads = self.config.threads
        sharing_batches = threads > 1 and not self._hogwild
        self._pool = ThreadPoolExecutor(threads - 1, thread_name_prefix=self.name) if sharing_batches else None
        try:
            with threadpool_limits(limits=1, user_api="blas"):
                yield from super().fit(data, resume, snapshot_every_s)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    # ------------------------------------------------------------------ results
    def _all_entities(self) -> tuple[np.ndarray, np.ndarray]:
        if self.config.partitions == 1:
            return self.arrays["entities"], self.arrays["entity_state"]
        n = len(self._graph.names)
        vectors = np.empty((n, self.config.dim), np.float32)
        state = np.empty(n, np.float32)
        for p, ids in enumerate(self._part_members):
            v, s = self._parts.read(p)
            vectors[ids] = v
            state[ids] = s
        return vectors, state

    def entity_vectors(self) -> np.ndarray:
        """Every entity's vector (n, dim), gathered from the partitions: the model without names or operators."""
        return self._all_entities()[0]

    def checkpoint(self) -> Checkpoint:
        if self.config.partitions == 1:
            return super().checkpoint()
        self._drain()
        vectors, state = self._all_entities()
        ckpt = Checkpoint(
            trainer=self.name, cursor=self._cursor, config=self.config.to_dict(),
            arrays={"entities": vectors, "entity_state": state,
                    **{k: self.arrays[k].copy() for k in ("lhs_params", "rhs_params", "lhs_state", "rhs_state")}},
            state=self._state(),
        )
        return ckpt

    @property
    def peak_partition_bytes(self) -> int:
        """Most bytes of entity vectors + Adagrad state held in memory at once (partitioned mode)."""
        if self._parts is None:
            return int(self.arrays["entities"].nbytes + self.arrays["entity_state"].nbytes) if self.arrays else 0
        return self._parts.peak_bytes

    def model(self) -> GraphModel:
        if not self.arrays:
            raise RuntimeError("no model yet: call fit() first")
        g = self._graph
        vectors, _ = self._all_entities()
        types = [g.type_names[t] for t in g.entity_type]
        info = {"trainer": self.name, "config": self.config.to_dict(), "graph": os.fspath(getattr(g, "path", "") or ""),
                "chunks_done": self._cursor, **self._loss_info()}
        emb = Embedding(g.names, vectors, metadata={"type": types}, info=info)
        return GraphModel(emb, g.entity_type, list(g.type_names), list(g.relation_names), g.relation_types,
                          self.config.operator, self.config.comparator, self.arrays["lhs_params"].copy(),
                          self.arrays["rhs_params"].copy(), info)

    def embedding(self) -> Embedding:
        return self.model().embedding

    def close(self) -> None:
        """Remove the partition files of a temporary work folder."""
        if self._own_work_dir and self._work_dir:
            shutil.rmtree(self._work_dir, ignore_errors=True)
            self._own_work_dir = False

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass


def train_graph(graph, config: GraphConfig | None = None) -> GraphModel:
    trainer = GraphTrainer(config)
    try:
        for _ in trainer.fit(graph):
            pass
        return trainer.model()
    finally:
        trainer.close()


__all__ = ["GraphConfig", "GraphTrainer", "LOSSES", "OPTIMIZERS", "bucket_order", "train_graph", "unknown_name"]
