"""A :class:`~embedstudio.data.edgelist.GraphData` made from integer arrays, for graphs too big for names.

A file read by :func:`~embedstudio.data.edgelist.read_edgelist` keeps every entity's name (a Python
str, ~65 bytes each with its list slot: 650 MB at 10M entities) and its edges in memory.
:func:`graph_from_arrays` takes integer ids instead: names are made on demand (:class:`IdNames`,
``"e123"`` for entity 123), and the edges may be an :class:`NpyRows`, an ``.npy`` file read a slice at
a time with ordinary reads (never mapped: pages of a mapped file count in the process's resident
memory once touched). The partitioned graph trainer reads such edges one chunk at a time.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from embedstudio.data.edgelist import SINGLE_RELATION, UNTYPED, GraphData

__all__ = ["IdNames", "NpyRows", "graph_from_arrays"]


class IdNames(Sequence):
    """``prefix + str(i)`` for i in range(n), made when asked for (no list of n strings)."""

    def __init__(self, n: int, prefix: str = "e"):
        self.n = int(n)
        self.prefix = prefix

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [f"{self.prefix}{k}" for k in range(*i.indices(self.n))]
        i = int(i)
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(f"entity {i} of {self.n}")
        return f"{self.prefix}{i}"

    def index(self, name: str, *args) -> int:
        """The id of ``name`` (a ValueError when it is not one of these names), without a dict."""
        if isinstance(name, str) and name.startswith(self.prefix):
            digits = name[len(self.prefix):]
            if digits.isdigit() and (digits == "0" or not digits.startswith("0")) and int(digits) < self.n:
                return int(digits)
        raise ValueError(f"{name!r} is not an entity name")

    def __contains__(self, name) -> bool:
        try:
            self.index(name)
        except ValueError:
            return False
        return True

    def __repr__(self) -> str:
        return f"IdNames({self.n:,}, prefix={self.prefix!r})"


class NpyRows:
    """The rows of a 2-D ``.npy`` file, read from disk when sliced (``rows[a:b]``, ``rows[index_array]``).

    ``np.asarray(rows)`` reads the whole file (a chunk at a time into the wanted dtype: no full-size
    temporary of the stored one)."""

    CHUNK_ROWS = 1 << 20

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        with open(self.path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(f)
            self._offset = f.tell()
        if fortran or len(shape) != 2 or dtype.hasobject:
            raise ValueError(f"{self.path}: expected a C-ordered 2-D numeric array, got shape {shape}")
        self.shape = tuple(int(s) for s in shape)
        self.dtype = dtype
        self._row_bytes = self.shape[1] * dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def ndim(self) -> int:
        return 2

    def _read(self, start: int, stop: int) -> np.ndarray:
        count = max(0, stop - start)
        out = np.fromfile(self.path, dtype=self.dtype, count=count * self.shape[1],
                          offset=self._offset + start * self._row_bytes)
        return out.reshape(count, self.shape[1])

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            rows = self._read(start, stop)
            return rows if step == 1 else rows[::step]
        index = np.asarray(key)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        if index.ndim == 0:
            return self._read(int(index) % len(self), int(index) % len(self) + 1)[0]
        index = np.where(index < 0, index + len(self), index).astype(np.int64)
        out = np.empty((len(index), self.shape[1]), self.dtype)
        with open(self.path, "rb") as f:
            for k, i in enumerate(index.tolist()):  # a few thousand rows at most (samples), one read each
                f.seek(self._offset + i * self._row_bytes)
                out[k] = np.frombuffer(f.read(self._row_bytes), dtype=self.dtype)
        return out

    def __array__(self, dtype=None, copy=None):
        out = np.empty(self.shape, dtype=dtype or self.dtype)
        for start in range(0, len(self), self.CHUNK_ROWS):
            stop = min(start + self.CHUNK_ROWS, len(self))
            out[start:stop] = self._read(start, stop)
        return out

    def __repr__(self) -> str:
        return f"NpyRows({self.path!r}, shape={self.shape}, dtype={self.dtype})"


def graph_from_arrays(edges, n_entities: int, relation_names: Sequence[str] | None = None, *,
                      entity_type: np.ndarray | None = None, type_names: Sequence[str] | None = None,
                      relation_types: np.ndarray | None = None, weights=None, names: Sequence[str] | None = None,
                      path: str = "") -> GraphData:
    """A GraphData over integer ``edges`` (rows head, relation, tail; an array or :class:`NpyRows`).

    Without ``entity_type`` every entity is of one type; ids must already be grouped by type
    (``entity_type`` non-decreasing). Names default to :class:`IdNames` (``e0``, ``e1``, ...), relation
    names to ``r0``, ``r1``, ... The edges are not read here (nor checked: ids must be in range)."""
    n = int(n_entities)
    if relation_names is None:
        n_rel = int(np.asarray(edges[: min(len(edges), 1 << 20)])[:, 1].max()) + 1 if len(edges) else 1
        relation_names = [f"r{r}" for r in range(n_rel)] if len(edges) else [SINGLE_RELATION]
    relation_names = list(relation_names)
    if entity_type is None:
        # int8: 10 MB at 10M entities (the trainer reads types per edge sample, never as int64 per entity)
        entity_type = np.zeros(n, dtype=np.int8)
        type_names = [UNTYPED] if type_names is None else list(type_names)
    else:
        entity_type = np.asarray(entity_type)
        if len(entity_type) != n:
            raise ValueError(f"{len(entity_type)} entity types for {n} entities")
        if len(entity_type) and np.any(entity_type[1:] < entity_type[:-1]):
            raise ValueError("entity ids must be grouped by type (entity_type non-decreasing)")
        type_names = list(type_names) if type_names is not None else [f"type{k}" for k in range(int(entity_type.max()) + 1)]
    n_types = len(type_names)
    offsets = np.zeros(n_types + 1, dtype=np.int64)
    np.cumsum(np.bincount(entity_type, minlength=n_types), out=offsets[1:])
    if relation_types is None:
        if n_types != 1:
            raise ValueError("relation_types (head type, tail type per relation) are needed with several types")
        relation_types = np.zeros((len(relation_names), 2), dtype=np.int32)
    if names is None:
        names = IdNames(n)
    elif len(names) != n:
        raise ValueError(f"{len(names)} names for {n} entities")
    return GraphData(path=path, names=names, entity_type=entity_type, type_names=list(type_names),
                     type_offsets=offsets, relation_names=relation_names,
                     relation_types=np.asarray(relation_types, dtype=np.int32).reshape(-1, 2), edges=edges,
                     weights=weights)
