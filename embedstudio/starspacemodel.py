"""`SpaceModel`: a trained StarSpace model (TagSpace or PageSpace) and its predictions.

One matrix holds every entity: in TagSpace the words, the hashed word-bigram buckets (with
``ngrams=2``, StarSpace's ``-ngrams`` and fastText's ``-wordNgrams``), then the labels;
in PageSpace the items (``kind`` "item"), which are both what a user is made of and what is
recommended. A query (a document's words, a user's items) is pooled as in training —
``sum / n^pool_exp`` — and candidates are scored by the same similarity (``cos`` or ``dot``), so
one matrix product ranks all of them. Everything here is numpy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from embedstudio.storage import read_json_arrays, write_json_arrays
from embedstudio.vectors import Embedding

MODES = ("tagspace", "pagespace")
SIMILARITIES = ("cos", "dot")
POOLINGS = {"sum": 0.0, "sqrt": 0.5, "mean": 1.0}
_FORMAT_TAG = "embedstudio-starspace-model"
_FORMAT_VERSION = 1
_PAIR_MUL = np.uint64(0x9E3779B97F4A7C15)
_PAIR_MIX = np.uint64(0xBF58476D1CE4E5B9)


def with_bigrams(indptr: np.ndarray, ids: np.ndarray, n_words: int, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's word ids followed by the rows of its consecutive word pairs, hashed into
    ``buckets`` rows that start at ``n_words``. The hash is of the two word ids (the vocabulary is
    saved with the model), so training and queries agree."""
    indptr = np.asarray(indptr, dtype=np.int64)
    ids = np.asarray(ids, dtype=np.int64)
    n = len(indptr) - 1
    row = np.repeat(np.arange(n), np.diff(indptr))
    if buckets <= 0 or len(ids) < 2:
        return indptr, ids
    first = np.flatnonzero(row[:-1] == row[1:])
    a = ids[first].astype(np.uint64)
    b = ids[first + 1].astype(np.uint64)
    with np.errstate(over="ignore"):
        h = (a * _PAIR_MUL) ^ (b + np.uint64(1))
        h = (h ^ (h >> np.uint64(31))) * _PAIR_MIX
        h = h ^ (h >> np.uint64(29))
    pair_rows = n_words + (h % np.uint64(buckets)).astype(np.int64)
    all_rows = np.concatenate([row, row[first]])
    order = np.argsort(all_rows, kind="stable")  # a row's words stay before its pairs
    counts = np.bincount(all_rows, minlength=n)
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), np.concatenate([ids, pair_rows])[order]


@dataclass(eq=False)
class SpaceModel:
    mode: str
    words: list[str]  # TagSpace: the input vocabulary; PageSpace: empty
    labels: list[str]  # TagSpace: the labels; PageSpace: the items
    vectors: np.ndarray  # float32 [len(words) + len(labels), dim]
    similarity: str = "cos"
    pooling: str = "sqrt"
    label_counts: np.ndarray | None = None
    info: dict = field(default_factory=dict)
    buckets: int = 0  # hashed word-bigram rows after the words (0: words only)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; known: {', '.join(MODES)}")
        if self.similarity not in SIMILARITIES:
            raise ValueError(f"unknown similarity {self.similarity!r}; known: {', '.join(SIMILARITIES)}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {self.pooling!r}; known: {', '.join(POOLINGS)}")
        self.vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        if self.vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D matrix, got shape {self.vectors.shape}")
        if self.buckets < 0:
            raise ValueError(f"buckets must be >= 0, got {self.buckets}")
        if self.buckets and self.mode != "tagspace":
            raise ValueError("word-bigram buckets belong to TagSpace models")
        if self.vectors.shape[0] != len(self.words) + self.buckets + len(self.labels):
            raise ValueError(f"{self.vectors.shape[0]} vectors for {len(self.words)} words + {self.buckets} bigram "
                             f"buckets + {len(self.labels)} labels")
        self._word_index = {w: i for i, w in enumerate(self.words)}
        self._label_index = {l: i for i, l in enumerate(self.labels)}
        self._label_unit = None

    # ------------------------------------------------------------------ parts
    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    @property
    def input_vectors(self) -> np.ndarray:
        """Rows a query is made of: the words (TagSpace) or the items (PageSpace)."""
        return self.vectors[:self._n_inputs] if self.mode == "tagspace" else self.vectors

    @property
    def _n_inputs(self) -> int:
        return len(self.words) + self.buckets

    @property
    def label_vectors(self) -> np.ndarray:
        return self.vectors[self._n_inputs:] if self.mode == "tagspace" else self.vectors

    def input_index(self) -> dict[str, int]:
        return self._word_index if self.mode == "tagspace" else self._label_index

    def _candidates(self) -> np.ndarray:
        if self.similarity == "dot":
            return self.label_vectors
        if self._label_unit is None:
            v = self.label_vectors
            self._label_unit = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        return self._label_unit

    # ------------------------------------------------------------------ queries
    def pool_rows(self, indptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Pooled query vectors of CSR lists of word (or item) ids (zero for an empty list); with
        bigram buckets, each list's word pairs are added as in training."""
        import scipy.sparse as sp

        if self.buckets:
            indptr, rows = with_bigrams(indptr, rows, len(self.words), self.buckets)
        n = len(indptr) - 1
        sizes = np.diff(indptr)
        scale = np.where(sizes > 0, 1.0 / np.maximum(sizes, 1) ** POOLINGS[self.pooling], 0.0)
        m = sp.csr_matrix((np.repeat(scale, sizes).astype(np.float32), rows, indptr),
                          shape=(n, len(self.input_vectors)))
        return np.asarray(m @ self.input_vectors, dtype=np.float32)

    def query_vector(self, tokens) -> tuple[np.ndarray, list[str]]:
        """(pooled vector, tokens not known) of a list of words (TagSpace) or items (PageSpace)."""
        index = self.input_index()
        known = [index[t] for t in tokens if t in index]
        unknown = [t for t in tokens if t not in index]
        q = self.pool_rows(np.array([0, len(known)], dtype=np.int64), np.asarray(known, dtype=np.int64))[0]
        return q, unknown

    def score_queries(self, queries: np.ndarray) -> np.ndarray:
        """Scores [n_queries, n_labels] of pooled queries against every label/item."""
        q = np.asarray(queries, dtype=np.float32)
        if self.similarity == "cos":
            q = q / np.maximum(np.linalg.norm(q, axis=-1, keepdims=True), 1e-12)
        return q @ self._candidates().T

    def predict(self, tokens, k: int = 10, exclude=()) -> list[tuple[str, float]]:
        """The ``k`` best labels (TagSpace) or items (PageSpace) for a query, with scores.

        ``exclude``: names left out (a user's own items)."""
        q, _ = self.query_vector(list(tokens))
        if not np.any(q):
            return []
        scores = self.score_queries(q[None, :])[0]
        for name in exclude:
            i = self._label_index.get(name)
            if i is not None:
                scores[i] = -np.inf
        k = min(k, int(np.isfinite(scores).sum()))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")][:k]
        return [(self.labels[i], float(scores[i])) for i in top]

    def similar_labels(self, name: str, k: int = 10) -> list[tuple[str, float]]:
        """Nearest labels/items of a label/item by the model's similarity."""
        i = self._label_index.get(name)
        if i is None:
            raise KeyError(name)
        scores = self._candidates() @ self._candidates()[i]
        scores[i] = -np.inf
        k = min(k, len(scores) - 1)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.labels[j], float(scores[j])) for j in top]

    def embedding(self) -> Embedding:
        """Every entity as one Embedding, with its kind ("word", "label" or "item") as metadata."""
        if self.mode == "tagspace":
            keys = list(self.words) + [f"__label__{l}" for l in self.labels]
            kinds = ["word"] * len(self.words) + ["label"] * len(self.labels)
            vectors = np.concatenate([self.vectors[:len(self.words)], self.label_vectors]) if self.buckets else self.vectors
        else:
            keys, kinds, vectors = list(self.labels), ["item"] * len(self.labels), self.vectors
        return Embedding(keys, vectors, metadata={"kind": kinds}, info={"trainer": "starspace", **self.info})

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike) -> None:
        """One file, JSON header + raw arrays (never pickle), written atomically."""
        header = {"format": _FORMAT_TAG, "format_version": _FORMAT_VERSION, "mode": self.mode, "words": self.words,
                  "labels": self.labels, "similarity": self.similarity, "pooling": self.pooling, "info": self.info,
                  "buckets": int(self.buckets)}
        arrays = {"vectors": self.vectors}
        if self.label_counts is not None:
            arrays["label_counts"] = np.asarray(self.label_counts, dtype=np.int64)
        write_json_arrays(path, header, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "SpaceModel":
        from embedstudio.errors import DataFormatError

        header, arrays = read_json_arrays(path, _FORMAT_TAG, "StarSpace model")
        try:
            return cls(header["mode"], list(header["words"]), list(header["labels"]), arrays["vectors"],
                       header["similarity"], header["pooling"], arrays.get("label_counts"), dict(header.get("info", {})),
                       int(header.get("buckets", 0)))
        except (KeyError, TypeError, ValueError, OverflowError) as e:  # OverflowError: buckets = Infinity
            raise DataFormatError(os.fspath(path), None, f"inconsistent StarSpace model: {e}") from None
