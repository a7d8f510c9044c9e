"""`Embedding`: the exchange type between trainers, readers, analysis, views and exporters.

Rows are kept in the order given (trainers give them most frequent first, as the word2vec formats
do), so "restrict to the top k" is a slice.
"""

from __future__ import annotations

import os
from typing import Iterable, Sequence

import numpy as np

from embedstudio.storage import read_json_arrays, write_json_arrays

GEOMETRIES = ("euclidean", "poincare")
BLOCK_ROWS = 1 << 15  # rows per block of a blocked pass (32k x 300 float32: 39 MB of temporaries at most)
ANALOGY_METHODS = ("3cosadd", "3cosmul")
_FORMAT_TAG = "embedstudio-embedding"
_FORMAT_VERSION = 1


class Embedding:
    """Keys <-> rows of a float32 matrix, with optional counts and per-key metadata columns.

    ``metadata`` maps a column name to a list of strings, one per key (the Projector TSV's
    metadata columns, or a trainer's labels). ``info`` is free-form JSON-able provenance
    (trainer, config, corpus) that is saved with the vectors.
    """

    def __init__(
        self,
        keys: Sequence[str],
        vectors: np.ndarray,
        counts: np.ndarray | None = None,
        metadata: dict[str, list[str]] | None = None,
        geometry: str = "euclidean",
        info: dict | None = None,
        *,
        norms: np.ndarray | None = None,
    ):
        """``norms``: the rows' lengths when they are already known (a reader that saw every value computes
        them as it goes); otherwise they are computed when first needed."""
        if np.iscomplexobj(vectors):  # float32 would drop the imaginary parts without a word
            raise ValueError("vectors must be real numbers, got complex ones: split them into real and "
                             "imaginary columns (as PBG's complex_diagonal stores them)")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D matrix, got shape {vectors.shape}")
        keys = list(keys)  # a copy of the references only: str() of millions of keys that are str took seconds
        if not all(type(k) is str for k in keys):
            keys = [str(k) for k in keys]
        if len(keys) != vectors.shape[0]:
            raise ValueError(f"{len(keys)} keys for {vectors.shape[0]} vectors")
        if geometry not in GEOMETRIES:
            raise ValueError(f"unknown geometry {geometry!r}; known: {', '.join(GEOMETRIES)}")
        self.keys: list[str] = keys
        # The first occurrence wins, as in gensim (a duplicate key stays reachable by row): built from the end
        # so earlier rows overwrite later ones, at dict-construction speed (3M keys in well under a second)
        self.key_to_index: dict[str, int] = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1)))
        self.vectors = vectors
        if counts is not None:
            raw = np.asarray(counts)
            if raw.dtype.kind not in "iuf" or (raw.dtype.kind == "f" and not np.isfinite(raw).all()) \
                    or (raw.size and raw.min() < 0):
                raise ValueError("counts must be finite, non-negative numbers")
            counts = raw.astype(np.int64)
            if counts.shape != (len(keys),):
                raise ValueError(f"counts has shape {counts.shape}, expected ({len(keys)},)")
        self.counts = counts
        self.metadata = {name: [str(v) for v in col] for name, col in (metadata or {}).items()}
        for name, col in self.metadata.items():
            if len(col) != len(keys):
                raise ValueError(f"metadata column {name!r} has {len(col)} values for {len(keys)} keys")
        self.geometry = geometry
        self.info = dict(info or {})
        self._unit: np.ndarray | None = None
        self._norms: np.ndarray | None = None
        if norms is not None:
            norms = np.asarray(norms, dtype=np.float32)
            if norms.shape != (len(keys),):
                raise ValueError(f"norms has shape {norms.shape}, expected ({len(keys)},)")
            self._norms = norms
        self.neighbour_index = None  # an approximate index (analysis.ann) for large vocabularies, once built

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: str) -> bool:
        return key in self.key_to_index

    def __getitem__(self, key: str) -> np.ndarray:
        return self.vectors[self.index(key)]

    def __repr__(self) -> str:
        return f"Embedding({len(self)} keys x {self.dim} dims, {self.geometry})"

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def index(self, key: str) -> int:
        try:
            return self.key_to_index[key]
        except KeyError:
            raise KeyError(f"{key!r} is not in the vocabulary") from None

    def vectors_changed(self) -> None:
        """Call after editing ``vectors`` in place: drops the cached norms (and the neighbour index)."""
        self._unit = None
        self._norms = None
        self.neighbour_index = None

    @property
    def norms(self) -> np.ndarray:
        """Row lengths (float32, summed in float64 a block at a time: no full-size temporary); cached."""
        if self._norms is None:
            out = np.empty(len(self), dtype=np.float32)
            for start in range(0, len(self), BLOCK_ROWS):
                block = self.vectors[start: start + BLOCK_ROWS]
                out[start: start + len(block)] = np.sqrt(np.einsum("ij,ij->i", block, block, dtype=np.float64))
            self._norms = out
        return self._norms

    def _safe_norms(self, rows=slice(None)) -> np.ndarray:
        norms = self.norms[rows]
        return np.where(norms > 0, norms, np.float32(1.0))

    @property
    def unit(self) -> np.ndarray:
        """Rows scaled to unit length (zero rows stay zero); cached. A second matrix the size of ``vectors``:
        queries do without it (:meth:`cosines`, :meth:`unit_rows`); tools on small embeddings may use it."""
        if self._unit is None:
            unit = np.empty_like(self.vectors)
            for start in range(0, len(self), BLOCK_ROWS):
                stop = min(start + BLOCK_ROWS, len(self))
                np.divide(self.vectors[start:stop], self._safe_norms(slice(start, stop))[:, None], out=unit[start:stop])
            self._unit = unit
        return self._unit

    def unit_rows(self, rows) -> np.ndarray:
        """Some rows (a slice or row numbers) scaled to unit length, without the whole unit matrix."""
        if self._unit is not None:
            return self._unit[rows]
        return self.vectors[rows] / self._safe_norms(rows)[..., None]

    def cosines(self, directions: np.ndarray, limit: int | None = None) -> np.ndarray:
        """Cosine of every row (of the first ``limit``) with each unit column of ``directions`` (d or d x m),
        computed a block of rows at a time in float32 BLAS: (n,) or (n, m)."""
        d = np.asarray(directions, dtype=np.float32)
        n = len(self) if limit is None else min(int(limit), len(self))
        out = np.empty((n,) + d.shape[1:], dtype=np.float32)
        for start in range(0, n, BLOCK_ROWS):
            stop = min(start + BLOCK_ROWS, n)
            scores = self.vectors[start:stop] @ d
            scores /= self._safe_norms(slice(start, stop)).reshape((-1,) + (1,) * (d.ndim - 1))
            out[start:stop] = scores
        return out

    # ------------------------------------------------------------------ queries
    def _as_vector(self, item: str | np.ndarray) -> np.ndarray:
        if isinstance(item, str):
            return self.unit_rows(self.index(item))
        v = np.asarray(item, dtype=np.float32).ravel()
        if v.shape != (self.dim,):
            raise ValueError(f"query vector has {v.size} dims, the embedding has {self.dim}")
        n = np.linalg.norm(v)
        return v / n if n > 0 else v

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity (euclidean) or minus the hyperbolic distance (poincare)."""
        if self.geometry == "poincare":
            return -float(self.distances(self[a][None, :], [self.index(b)])[0, 0])
        return float(self.unit_rows(self.index(a)) @ self.unit_rows(self.index(b)))

    def distances(self, queries: np.ndarray, rows: Sequence[int] | None = None) -> np.ndarray:
        """Poincaré-ball distances between query points and rows (all rows if None)."""
        from embedstudio.geometry.poincare import distance_matrix

        q = np.asarray(queries, dtype=np.float64).reshape(-1, self.dim)
        x = self.vectors if rows is None else self.vectors[np.asarray(rows)]
        return distance_matrix(q, x)

    def most_similar(
        self,
        positive: Iterable[str | np.ndarray] = (),
        negative: Iterable[str | np.ndarray] = (),
        topn: int = 10,
        restrict_vocab: int | None = None,
        exclude: Iterable[str] = (),
    ) -> list[tuple[str, float]]:
        """Nearest keys to mean(positive) - mean(negative) by cosine, as gensim does.

        Keys given as input are left out of the answer. With poincare geometry a single
        positive key is answered by hyperbolic distance (score = -distance).
        """
        positive = [positive] if isinstance(positive, (str, np.ndarray)) else list(positive)
        negative = [negative] if isinstance(negative, (str, np.ndarray)) else list(negative)
        if not positive and not negative:
            raise ValueError("give at least one positive or negative key")
        limit = len(self) if restrict_vocab is None else max(0, min(int(restrict_vocab), len(self)))
        skip = {self.index(k) for k in [*positive, *negative, *exclude] if isinstance(k, str) and k in self}
        for k in list(positive) + list(negative):
            if isinstance(k, str) and k not in self:
                self.index(k)  # raises a KeyError naming the word
        if self.geometry == "poincare" and len(positive) == 1 and not negative:
            p = positive[0]
            q = self[p] if isinstance(p, str) else np.asarray(p, dtype=np.float32)
            scores = -self.distances(q[None, :], range(limit))[0]
        else:
            query = np.zeros(self.dim, dtype=np.float32)
            for k in positive:
                query += self._as_vector(k)
            for k in negative:
                query -= self._as_vector(k)
            n = np.linalg.norm(query)
            if n > 0:
                query /= n
            if self.neighbour_index is not None and limit == len(self):
                rows, scores = self.neighbour_index.search(query, topn, skip)
                return [(self.keys[r], float(s)) for r, s in zip(rows.tolist(), scores)]
            scores = self.cosines(query, limit)
        return self._top(scores, topn, skip)

    def most_similar_many(self, keys: Sequence[str], topn: int = 10,
                          restrict_vocab: int | None = None) -> list[list[tuple[str, float]]]:
        """:meth:`most_similar` of each key (itself left out), all in one pass over the rows: each block of
        rows is scored against every query in one matrix product (the audit's hundreds of words) and folded
        into each query's k best by a numba kernel."""
        from embedstudio.analysis.topk import fold_block

        if self.geometry == "poincare":
            return [self.most_similar(k, topn=topn, restrict_vocab=restrict_vocab) for k in keys]
        rows = np.array([self.index(k) for k in keys], dtype=np.int64)
        m = len(rows)
        if not m or topn < 1:
            return [[] for _ in rows]
        n = len(self) if restrict_vocab is None else max(0, min(int(restrict_vocab), len(self)))
        queries = self.unit_rows(rows).T.copy()  # d x m
        keep = topn
        best_scores = np.full((m, keep), -np.inf, dtype=np.float32)  # each query's best so far, unordered
        best_rows = np.full((m, keep), -1, dtype=np.int64)
        for start in range(0, n, BLOCK_ROWS):
            stop = min(start + BLOCK_ROWS, n)
            scores = (self.vectors[start:stop] @ queries) / self._safe_norms(slice(start, stop))[:, None]  # b x m
            inside = (rows >= start) & (rows < stop)
            scores[rows[inside] - start, np.flatnonzero(inside)] = -np.inf  # a key is not its own neighbour
            fold_block(np.ascontiguousarray(scores, dtype=np.float32), start, best_scores, best_rows)
        out = []
        for q in range(m):
            order = np.lexsort((best_rows[q], -best_scores[q]))  # best first; ties by row, as most_similar
            out.append([(self.keys[int(best_rows[q, j])], float(best_scores[q, j])) for j in order
                        if best_rows[q, j] >= 0])
        return out

    def _top(self, scores: np.ndarray, topn: int, skip: set[int]) -> list[tuple[str, float]]:
        want = min(len(scores), topn + len(skip))
        if want <= 0:
            return []
        best = np.argpartition(-scores, want - 1)[:want]
        best = best[np.argsort(-scores[best], kind="stable")]
        out = [(self.keys[i], float(scores[i])) for i in best if int(i) not in skip]
        return out[:topn]

    def analogy(
        self,
        a: str,
        b: str,
        c: str,
        topn: int = 1,
        method: str = "3cosadd",
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """Answer a : b :: c : ? (e.g. man : king :: woman : queen); a, b and c are excluded."""
        idx = [self.index(a), self.index(b), self.index(c)]
        limit = len(self) if restrict_vocab is None else min(int(restrict_vocab), len(self))
        ua, ub, uc = self.unit_rows(idx)
        if method == "3cosadd":  # cos(d, b - a + c), a block of rows at a time: no unit matrix
            q = ub - ua + uc
            scores = self.cosines(q / max(float(np.linalg.norm(q)), 1e-12), limit)
        elif method == "3cosmul":
            cos = self.cosines(np.stack([ua, ub, uc], axis=1), limit)  # n x 3
            scores = _cosmul(cos[:, 0], cos[:, 1], cos[:, 2])
        else:
            raise ValueError(f"unknown analogy method {method!r}; known: {', '.join(ANALOGY_METHODS)}")
        return self._top(scores, topn, set(idx))

    def analogy_batch(
        self,
        a: np.ndarray,
        b: np.ndarray,
        c: np.ndarray,
        method: str = "3cosadd",
        restrict_vocab: int | None = None,
        chunk: int = 256,
    ) -> np.ndarray:
        """Best answer row for each question (rows a, b, c), excluding the three question rows."""
        a, b, c = (np.asarray(x, dtype=np.int64) for x in (a, b, c))
        limit = len(self) if restrict_vocab is None else min(int(restrict_vocab), len(self))
        candidates = self.unit_rows(slice(0, limit))  # the unit rows of the restricted vocabulary only
        out = np.empty(len(a), dtype=np.int64)
        for s in range(0, len(a), chunk):
            sl = slice(s, s + chunk)
            scores = analogy_scores(candidates, self.unit_rows(a[sl]), self.unit_rows(b[sl]), self.unit_rows(c[sl]),
                                    method)
            rows = np.arange(scores.shape[0])
            for q in (a[sl], b[sl], c[sl]):
                inside = q < limit
                scores[rows[inside], q[inside]] = -np.inf
            out[sl] = scores.argmax(axis=1)
        return out

    # ------------------------------------------------------------------ subsets
    def restrict(self, k: int) -> "Embedding":
        """The first k keys (the most frequent, for trained and word2vec-format vectors)."""
        k = max(0, min(int(k), len(self)))
        return self.subset(np.arange(k))

    def subset(self, rows: Sequence[int]) -> "Embedding":
        rows = np.asarray(rows, dtype=np.int64)
        return Embedding(
            [self.keys[i] for i in rows],
            self.vectors[rows],
            None if self.counts is None else self.counts[rows],
            {n: [col[i] for i in rows] for n, col in self.metadata.items()},
            self.geometry,
            self.info,
            norms=None if self._norms is None else self._norms[rows],
        )

    # ------------------------------------------------------------------ storage
    def save(self, path: str | os.PathLike) -> None:
        """Write the project's own format: a zip of ``header.json`` + ``vectors.npy`` (+ counts), atomically."""
        header = {
            "format": _FORMAT_TAG,
            "version": _FORMAT_VERSION,
            "keys": self.keys,
            "geometry": self.geometry,
            "metadata": self.metadata,
            "info": self.info,
        }
        arrays = {"vectors": self.vectors}
        if self.counts is not None:
            arrays["counts"] = self.counts
        write_json_arrays(path, header, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Embedding":
        """Read a file written by :meth:`save`; any problem is a DataFormatError."""
        from embedstudio.errors import DataFormatError

        header, arrays = read_json_arrays(path, _FORMAT_TAG, "embedding")
        if "vectors" not in arrays:
            raise DataFormatError(os.fspath(path), None, "not an EmbedStudio embedding (vectors.npy missing)")
        try:
            return cls(
                header["keys"], arrays["vectors"], arrays.get("counts"), header.get("metadata"),
                header.get("geometry", "euclidean"), header.get("info"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:  # AttributeError: metadata not a dict
            raise DataFormatError(os.fspath(path), None, f"inconsistent embedding file: {e}") from None


def _cosmul(cos_a: np.ndarray, cos_b: np.ndarray, cos_c: np.ndarray) -> np.ndarray:
    """3CosMul from the three cosines: cos'(d,b) cos'(d,c) / (cos'(d,a) + 1e-3), cos' = (1 + cos) / 2."""
    return ((1.0 + cos_b) / 2.0) * ((1.0 + cos_c) / 2.0) / ((1.0 + cos_a) / 2.0 + 1e-3)


def analogy_scores(
    unit: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray, method: str = "3cosadd"
) -> np.ndarray:
    """Scores of every candidate row for questions a : b :: c : ? (all inputs unit rows).

    3CosAdd ranks by cos(d, b - a + c); 3CosMul (Levy & Goldberg 2014) by
    cos'(d,b) cos'(d,c) / (cos'(d,a) + 1e-3) with cos' = (1 + cos) / 2 kept positive.
    """
    if method == "3cosadd":
        q = b - a + c
        q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
        return q @ unit.T
    if method == "3cosmul":
        return _cosmul(a @ unit.T, b @ unit.T, c @ unit.T)
    raise ValueError(f"unknown analogy method {method!r}; known: {', '.join(ANALOGY_METHODS)}")
