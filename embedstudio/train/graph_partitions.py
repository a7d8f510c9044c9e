"""The partitioned graph trainer's storage: entity partitions and edge buckets on disk (PyTorch-BigGraph's layout).

Entities of every type are split into N partitions (a seeded permutation cut into contiguous ranges,
as PBG's importer does); an entity's row in its partition is its *local* id. Edges fall into N²
buckets by the partitions of their head and tail.

* :class:`EntityPartitions`: each partition's vectors and Adagrad state are a file in the work
  folder; the (at most) two of the current bucket are in memory.
* :class:`EdgeBuckets`: the training edges, rewritten once into one file sorted by bucket (int32
  local ids, in their original order within a bucket) and read back one bucket at a time. The
  caller's edges are read a chunk at a time (an array, or rows read from disk such as
  :class:`~embedstudio.data.graph_arrays.NpyRows`): at no point does the trainer hold more than a
  chunk and a bucket of them. Per-edge arrays of the whole graph (int64 rows, their groups, their
  order) were 64 bytes an edge: 6.4 GB for 100M edges, more than the vectors of 10M entities.
"""

from __future__ import annotations

import os

import numpy as np

CHUNK_EDGES = 1 << 19  # edges read from the caller's array per step while bucketing (~50 MB of temporaries)
INIT_ROWS = 1 << 16  # rows of initial vectors drawn at a time (the float64 draw of a whole partition doubled it)


def bucket_order(n: int) -> list[tuple[int, int]]:
    """Every (lhs, rhs) bucket once, grouped by the two partitions they need.

    The pairs {a, b} (a < b) come in rows of the upper triangle, snaking (row a forward, row a + 1
    backward), so consecutive pairs share a partition; each pair trains (a, b), (b, a) and the diagonal
    bucket of a partition met for the first time. An epoch then loads a new partition N(N - 1)/2 - 1
    times (a swap writes one partition back and reads another): 119 swaps with 16 partitions, where a
    row snake over all N² buckets swapped at every bucket (255), and at 10M entities each swap writes
    250 MB (64 GB an epoch, more than this machine's disk wrote in the epoch's time)."""
    if n == 1:
        return [(0, 0)]
    order: list[tuple[int, int]] = []
    seen: set[int] = set()
    for a in range(n - 1):
        for b in (range(a + 1, n) if a % 2 == 0 else range(n - 1, a, -1)):
            order += [(a, b), (b, a)]
            for p in (a, b):
                if p not in seen:
                    seen.add(p)
                    order.append((p, p))
    return order


def split_entities(type_offsets: np.ndarray, partitions: int, seed: int):
    """The seeded split of every type's ids into ``partitions`` contiguous ranges of a permutation.

    Returns (part_of (n,) int16, local (n,) int32|int64, members: per partition its global ids in
    local order, type_offsets: per partition the local offsets of each type)."""
    offsets = np.asarray(type_offsets, dtype=np.int64)
    n = int(offsets[-1])
    index = np.int32 if n < 2**31 else np.int64
    rng = np.random.default_rng([seed, 7])
    part_of = np.empty(n, dtype=np.int16)
    local = np.empty(n, dtype=index)
    pieces: list[list[np.ndarray]] = [[] for _ in range(partitions)]
    for t in range(len(offsets) - 1):
        ids = rng.permutation(np.arange(offsets[t], offsets[t + 1])).astype(index)
        bounds = [-(-p * len(ids) // partitions) for p in range(partitions + 1)]
        for p in range(partitions):
            pieces[p].append(ids[bounds[p]:bounds[p + 1]])
    members, part_offsets = [], []
    for p in range(partitions):
        ids = np.concatenate(pieces[p]) if pieces[p] else np.empty(0, index)
        members.append(ids)
        part_of[ids] = p
        local[ids] = np.arange(len(ids), dtype=index)
        part_offsets.append(np.concatenate([[0], np.cumsum([len(m) for m in pieces[p]])]).astype(np.int64))
    return part_of, local, members, part_offsets


def edge_hash(edges: np.ndarray) -> int:
    """The xor of a per-edge hash (edges int64): the checkpoint's fingerprint of the edges; chunks xor together."""
    if len(edges) == 0:
        return 0
    return int(np.bitwise_xor.reduce(edges[:, 0] * 1_000_003 + edges[:, 1] * 7919 + edges[:, 2]))


class EntityPartitions:
    """Entity partitions on disk with the (at most) two of the current bucket in memory."""

    def __init__(self, folder: str, sizes: list[int], dim: int):
        self.folder = folder
        self.sizes = sizes
        self.dim = dim
        self.loaded: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.peak_bytes = 0
        self.swaps = 0  # partitions read in (each after one written back, once two are held)

    def _paths(self, p: int) -> tuple[str, str]:
        return os.path.join(self.folder, f"entities_{p}.f32"), os.path.join(self.folder, f"state_{p}.f32")

    def write(self, p: int, vectors: np.ndarray, state: np.ndarray) -> None:
        # Raw float32 written over the old bytes: replacing a file (rename) made the file system free
        # and reallocate it, 4 ms a swap. These are scratch files; checkpoints are what survive a crash.
        for path, arr in zip(self._paths(p), (vectors, state)):
            with open(path, "r+b" if os.path.exists(path) else "wb") as f:
                np.ascontiguousarray(arr, dtype=np.float32).tofile(f)

    def write_random(self, p: int, rng: np.random.Generator, scale: float) -> None:
        """Partition p's initial vectors (normal, sd ``scale``) and zero state, drawn a block of rows at a time:
        the values of one ``rng.standard_normal((rows, dim))`` call, without its float64 whole."""
        vec_path, state_path = self._paths(p)
        with open(vec_path, "r+b" if os.path.exists(vec_path) else "wb") as f:
            for start in range(0, self.sizes[p], INIT_ROWS):
                rows = min(INIT_ROWS, self.sizes[p] - start)
                (rng.standard_normal((rows, self.dim)) * scale).astype(np.float32).tofile(f)
        with open(state_path, "r+b" if os.path.exists(state_path) else "wb") as f:
            np.zeros(self.sizes[p], np.float32).tofile(f)

    def _load(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        vec_path, state_path = self._paths(p)
        n = self.sizes[p]
        return (np.fromfile(vec_path, dtype=np.float32, count=n * self.dim).reshape(n, self.dim),
                np.fromfile(state_path, dtype=np.float32, count=n))

    def take(self, p: int, local: np.ndarray) -> np.ndarray:
        """Rows ``local`` of partition p's vectors, reading only their pages when it is on disk."""
        if p in self.loaded:
            return self.loaded[p][0][local]
        mapped = np.memmap(self._paths(p)[0], dtype=np.float32, mode="r", shape=(self.sizes[p], self.dim))
        rows = np.array(mapped[local])
        del mapped
        return rows

    def read(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        if p in self.loaded:
            return self.loaded[p]
        return self._load(p)

    def hold(self, wanted: set[int]) -> None:
        """Have the partitions in ``wanted`` in memory, at most two in all: others are written back only to make
        room (a diagonal bucket keeps its pair's other partition, which the next pair needs)."""
        if len(set(self.loaded) | wanted) > 2:
            for p in [p for p in self.loaded if p not in wanted]:
                self.write(p, *self.loaded.pop(p))
        for p in wanted:
            if p not in self.loaded:
                self.loaded[p] = self._load(p)
                self.swaps += 1
        in_memory = sum(v.nbytes + s.nbytes for v, s in self.loaded.values())
        self.peak_bytes = max(self.peak_bytes, in_memory)


class EdgeBuckets:
    """The training edges sorted into N² bucket files' worth of one file, read back a bucket at a time.

    Rows are int32 (local head, relation, local tail) when ids fit (int64 otherwise); ``weights``
    (float32) go to a second file. ``group_counts[b, g]``: edges of bucket b (i * N + j) in type
    group g (head type * T + tail type); a bucket's rows keep the order they had in the input."""

    def __init__(self, folder: str, partitions: int):
        self.folder = folder
        self.partitions = partitions
        self.edges_path = os.path.join(folder, "bucketed_edges.bin")
        self.weights_path = os.path.join(folder, "bucketed_weights.f32")
        self.dtype = np.dtype(np.int32)
        self.offsets = np.zeros(partitions * partitions + 1, dtype=np.int64)
        self.group_counts = np.zeros((partitions * partitions, 1), dtype=np.int64)
        self.has_weights = False
        self.n_types = 1
        self.edge_hash = 0

    def build(self, edges, weights, part_of: np.ndarray, local: np.ndarray, entity_type: np.ndarray,
              n_types: int, chunk: int | None = None) -> None:
        """Two passes over ``edges`` (rows head, relation, tail; global ids) a chunk at a time: count the
        buckets (and hash the edges), then write each chunk's rows at their bucket's place."""
        P = self.partitions
        m = len(edges)
        chunk = chunk or CHUNK_EDGES
        self.n_types = T = max(int(n_types), 1)
        self.has_weights = weights is not None
        self.dtype = np.dtype(np.int32 if max(len(part_of), 1) < 2**31 else np.int64)
        counts = np.zeros(P * P * T * T, dtype=np.int64)
        digest = 0
        for start in range(0, m, chunk):
            e = np.asarray(edges[start:start + chunk], dtype=np.int64).reshape(-1, 3)
            digest ^= edge_hash(e)
            bucket, group = self._keys(e, part_of, entity_type)
            counts += np.bincount(bucket * (T * T) + group, minlength=P * P * T * T)
        self.edge_hash = digest
        self.group_counts = counts.reshape(P * P, T * T)
        self.offsets = np.concatenate([[0], np.cumsum(self.group_counts.sum(axis=1))]).astype(np.int64)
        row_bytes = 3 * self.dtype.itemsize
        cursor = self.offsets[:-1].copy()
        with open(self.edges_path, "wb") as fe, open(self.weights_path, "wb") as fw:
            for start in range(0, m, chunk):
                e = np.asarray(edges[start:start + chunk], dtype=np.int64).reshape(-1, 3)
                bucket, _ = self._keys(e, part_of, entity_type)
                order = np.argsort(bucket, kind="stable")  # stable: a bucket keeps the input's order
                rows = np.empty((len(e), 3), dtype=self.dtype)
                rows[:, 0] = local[e[order, 0]]
                rows[:, 1] = e[order, 1]
                rows[:, 2] = local[e[order, 2]]
                w = np.asarray(weights[start:start + chunk], dtype=np.float32)[order] if self.has_weights else None
                bounds = np.searchsorted(bucket[order], np.arange(P * P + 1))
                for b in np.flatnonzero(np.diff(bounds)):
                    s0, s1 = bounds[b], bounds[b + 1]
                    os.pwrite(fe.fileno(), rows[s0:s1].tobytes(), int(cursor[b]) * row_bytes)
                    if w is not None:
                        os.pwrite(fw.fileno(), w[s0:s1].tobytes(), int(cursor[b]) * 4)
                    cursor[b] += s1 - s0

    def _keys(self, e: np.ndarray, part_of: np.ndarray, entity_type: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        P, T = self.partitions, self.n_types
        bucket = part_of[e[:, 0]].astype(np.int64) * P + part_of[e[:, 2]]
        if T == 1:
            return bucket, np.zeros(len(e), dtype=np.int64)
        return bucket, entity_type[e[:, 0]].astype(np.int64) * T + entity_type[e[:, 2]]

    def size(self, bucket: int) -> int:
        return int(self.offsets[bucket + 1] - self.offsets[bucket])

    def load(self, i: int, j: int, type_offsets_i: np.ndarray, type_offsets_j: np.ndarray):
        """Bucket (i, j): (rows (m, 3) of local ids as stored, weights float32 or None, type group per row int64)."""
        b = i * self.partitions + j
        m = self.size(b)
        rows = np.fromfile(self.edges_path, dtype=self.dtype, count=3 * m,
                           offset=int(self.offsets[b]) * 3 * self.dtype.itemsize).reshape(m, 3)
        weights = None
        if self.has_weights:
            weights = np.fromfile(self.weights_path, dtype=np.float32, count=m, offset=int(self.offsets[b]) * 4)
        if self.n_types == 1:
            groups = np.zeros(m, dtype=np.int64)
        else:  # a local id's type: the range of its partition's type offsets it falls in
            head_type = np.searchsorted(type_offsets_i, rows[:, 0], side="right") - 1
            tail_type = np.searchsorted(type_offsets_j, rows[:, 2], side="right") - 1
            groups = head_type.astype(np.int64) * self.n_types + tail_type
        return rows, weights, groups
