"""`GraphModel`: trained multi-relation graph embeddings and their scoring, in PyTorch-BigGraph's terms.

An edge (h, r, t) is scored two ways, one per side that can be corrupted, as PBG does with dynamic
relations (each relation has a left-hand and a right-hand operator, ``g_r`` and ``h_r``):

* ranking **tails** for (h, r): ``s(t') = cmp(g_r(e_h), e_t')``  (``lhs_params``: g);
* ranking **heads** for (r, t): ``s(h') = cmp(e_h', h_r(e_t))``  (``rhs_params``: h).

The operator acts on the known side, so all candidates of one query are scored by one matrix
product. ``cos`` normalises after the operator. PBG's *static* relations (a config with one entry
per relation, needed when relations join different entity types) have only the right-hand
operator ``f_r`` and score both sides as ``cmp(e_h, f_r(e_t))``: ``relation_mode="static"``. Operator parameters per relation (``P`` values):

=================  =====  ==============================================================
operator           P      applied to x
=================  =====  ==============================================================
none               0      x
diagonal           D      p * x
translation        D      x + p
complex_diagonal   D      (x_re + i x_im)(p_re + i p_im), real halves [:D/2], imag [D/2:]
linear             D*D    P.reshape(D, D) @ x
=================  =====  ==============================================================

Everything here is numpy: the training kernels (numba) implement the same algebra and are tested
against these functions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from embedstudio.storage import read_json_arrays, write_json_arrays
from embedstudio.vectors import Embedding

OPERATORS = ("none", "diagonal", "translation", "complex_diagonal", "linear")
COMPARATORS = ("dot", "cos")
_FORMAT_TAG = "embedstudio-graph-model"
_FORMAT_VERSION = 1


def unknown_name(kind: str, name: str, known) -> ValueError:
    """The registries' error: the unknown name, the known ones and the closest one."""
    import difflib

    close = difflib.get_close_matches(str(name), list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ValueError(f"unknown {kind} {name!r}; known: {', '.join(known)}{hint}")


def check_operator(name: str, dim: int) -> None:
    if name not in OPERATORS:
        raise unknown_name("operator", name, OPERATORS)
    if name == "complex_diagonal" and dim % 2:
        raise ValueError(f"complex_diagonal needs an even dimension (real and imaginary halves), got {dim}")


def check_comparator(name: str) -> None:
    if name not in COMPARATORS:
        raise unknown_name("comparator", name, COMPARATORS)


def operator_size(name: str, dim: int) -> int:
    """Parameters per relation of an operator."""
    check_operator(name, dim)
    return {"none": 0, "diagonal": dim, "translation": dim, "complex_diagonal": dim, "linear": dim * dim}[name]


def identity_params(name: str, n_relations: int, dim: int) -> np.ndarray:
    """Operator parameters that leave vectors unchanged (PBG's initial values), float32 (R, P)."""
    size = operator_size(name, dim)
    params = np.zeros((n_relations, size), dtype=np.float32)
    if name == "diagonal":
        params[:] = 1.0
    elif name == "complex_diagonal":
        params[:, : dim // 2] = 1.0
    elif name == "linear":
        params[:] = np.eye(dim, dtype=np.float32).ravel()
    return params


def apply_operator(name: str, params: np.ndarray, rel: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Row i of ``x`` transformed by relation ``rel[i]``'s operator (numpy reference)."""
    x = np.asarray(x, dtype=np.float64)
    rel = np.asarray(rel, dtype=np.int64)
    p = np.asarray(params, dtype=np.float64)[rel] if params.size else None
    if name == "none":
        return x.copy()
    if name == "diagonal":
        return p * x
    if name == "translation":
        return x + p
    if name == "complex_diagonal":
        half = x.shape[1] // 2
        xr, xi, pr, pi = x[:, :half], x[:, half:], p[:, :half], p[:, half:]
        return np.concatenate([xr * pr - xi * pi, xr * pi + xi * pr], axis=1)
    if name == "linear":
        d = x.shape[1]
        return np.einsum("nij,nj->ni", p.reshape(-1, d, d), x)
    raise unknown_name("operator", name, OPERATORS)


def prepare(comparator: str, x: np.ndarray) -> np.ndarray:
    """What the comparator does to vectors before the dot product (cos: unit length)."""
    if comparator == "dot":
        return x
    if comparator == "cos":
        norms = np.linalg.norm(x, axis=-1, keepdims=True)
        return x / np.where(norms > 0, norms, 1.0)
    raise unknown_name("comparator", comparator, COMPARATORS)


@dataclass(eq=False)
class GraphModel:
    """Entity vectors (``embedding``, one row per entity, types as the ``type`` metadata column)
    and relation operators; see the module docstring for the scores."""

    embedding: Embedding
    entity_type: np.ndarray  # int32 (n_entities,)
    type_names: list[str]
    relation_names: list[str]
    relation_types: np.ndarray  # int32 (n_relations, 2): head type, tail type
    operator: str
    comparator: str
    lhs_params: np.ndarray  # float32 (n_relations, P): g_r, applied to heads when ranking tails
    rhs_params: np.ndarray  # float32 (n_relations, P): h_r, applied to tails when ranking heads
    info: dict = field(default_factory=dict)
    relation_mode: str = "dynamic"  # or "static": only rhs_params, cmp(e_h, f_r(e_t)) both ways

    def __post_init__(self):
        if self.relation_mode not in ("dynamic", "static"):
            raise unknown_name("relation mode", self.relation_mode, ("dynamic", "static"))
        check_operator(self.operator, self.dim)
        check_comparator(self.comparator)
        self.entity_type = np.asarray(self.entity_type, dtype=np.int32)
        self.relation_types = np.asarray(self.relation_types, dtype=np.int32).reshape(-1, 2)
        size = operator_size(self.operator, self.dim)
        for name in ("lhs_params", "rhs_params"):
            arr = np.asarray(getattr(self, name), dtype=np.float32).reshape(len(self.relation_names), size)
            setattr(self, name, arr)
        if len(self.entity_type) != len(self.embedding):
            raise ValueError(f"{len(self.entity_type)} entity types for {len(self.embedding)} entities")

    @property
    def dim(self) -> int:
        return self.embedding.dim

    @property
    def n_relations(self) -> int:
        return len(self.relation_names)

    def relation(self, name_or_id) -> int:
        if isinstance(name_or_id, (int, np.integer)):
            return int(name_or_id)
        try:
            return self.relation_names.index(name_or_id)
        except ValueError:
            raise unknown_name("relation", name_or_id, self.relation_names) from None

    def candidates(self, type_id: int) -> np.ndarray:
        """Ids of the entities of one type (every entity of that type is a candidate)."""
        return np.flatnonzero(self.entity_type == type_id)

    # ------------------------------------------------------------------ scores
    def _side(self, ids, rel, params) -> np.ndarray:
        ids = np.atleast_1d(np.asarray(ids, dtype=np.int64))
        rel = np.broadcast_to(np.asarray(rel, dtype=np.int64), ids.shape)
        x = apply_operator(self.operator, params, rel, self.embedding.vectors[ids])
        return prepare(self.comparator, x)

    def query_vectors(self, ids, rel: int, side: str) -> np.ndarray:
        """Prepared query vectors of one relation: ``side="tail"`` ranks tails of (id, rel, ?),
        ``"head"`` heads of (?, rel, id). Scores are ``query_vectors @ candidate_vectors.T``."""
        ids = np.atleast_1d(np.asarray(ids, dtype=np.int64))
        if side == "tail":
            if self.relation_mode == "static":
                return prepare(self.comparator, self.embedding.vectors[ids].astype(np.float64))
            return self._side(ids, rel, self.lhs_params)
        return self._side(ids, rel, self.rhs_params)

    def candidate_vectors(self, candidates, rel: int, side: str) -> np.ndarray:
        """Prepared candidate vectors (see :meth:`query_vectors`); they depend on ``rel`` only for a
        static relation's tails."""
        candidates = np.asarray(candidates, dtype=np.int64)
        if side == "tail" and self.relation_mode == "static":
            return self._side(candidates, rel, self.rhs_params)
        return prepare(self.comparator, self.embedding.vectors[candidates].astype(np.float64))

    def _static_scores(self, known, rel, candidates, known_is_head: bool) -> np.ndarray:
        """Static relations: the operator transforms the tail, candidate or not (one relation at a time)."""
        known = np.atleast_1d(np.asarray(known, dtype=np.int64))
        rel = np.broadcast_to(np.asarray(rel, dtype=np.int64), known.shape)
        if candidates is None:
            candidates = np.arange(len(self.embedding))
        out = np.empty((len(known), len(candidates)))
        for r in np.unique(rel):
            rows = np.flatnonzero(rel == r)
            if known_is_head:
                query = prepare(self.comparator, self.embedding.vectors[known[rows]].astype(np.float64))
                cand = self._side(candidates, r, self.rhs_params)
            else:
                query = self._side(known[rows], r, self.rhs_params)
                cand = prepare(self.comparator, self.embedding.vectors[candidates].astype(np.float64))
            out[rows] = query @ cand.T
        return out

    def tail_scores(self, heads, rel, candidates: np.ndarray | None = None) -> np.ndarray:
        """(len(heads), len(candidates)) scores of (h, r, t') for every candidate tail t'."""
        if self.relation_mode == "static":
            return self._static_scores(heads, rel, candidates, known_is_head=True)
        query = self._side(heads, rel, self.lhs_params)
        if candidates is None:
            candidates = np.arange(len(self.embedding))
        cand = prepare(self.comparator, self.embedding.vectors[candidates].astype(np.float64))
        return query @ cand.T

    def head_scores(self, tails, rel, candidates: np.ndarray | None = None) -> np.ndarray:
        """(len(tails), len(candidates)) scores of (h', r, t) for every candidate head h'."""
        if self.relation_mode == "static":
            return self._static_scores(tails, rel, candidates, known_is_head=False)
        query = self._side(tails, rel, self.rhs_params)
        if candidates is None:
            candidates = np.arange(len(self.embedding))
        cand = prepare(self.comparator, self.embedding.vectors[candidates].astype(np.float64))
        return query @ cand.T

    def edge_scores(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(tail-side score, head-side score) of each (h, r, t) row: the two positives PBG trains."""
        edges = np.asarray(edges, dtype=np.int64).reshape(-1, 3)
        h, r, t = edges[:, 0], edges[:, 1], edges[:, 2]
        if self.relation_mode == "static":
            both = np.einsum("nd,nd->n", prepare(self.comparator, self.embedding.vectors[h].astype(np.float64)),
                             self._side(t, r, self.rhs_params))
            return both, both
        tail_side = np.einsum("nd,nd->n", self._side(h, r, self.lhs_params),
                              prepare(self.comparator, self.embedding.vectors[t].astype(np.float64)))
        head_side = np.einsum("nd,nd->n", self._side(t, r, self.rhs_params),
                              prepare(self.comparator, self.embedding.vectors[h].astype(np.float64)))
        return tail_side, head_side

    def predict_links(self, entity: str, relation=None, *, tails: bool = True, topn: int = 10,
                      known: set | None = None, include_self: bool = False) -> list[tuple[str, str, float, bool]]:
        """(relation, entity, score, known?) for the best tails of (entity, r, ?) -- or heads of
        (?, r, entity) -- over one relation or all (``relation=None``), best first. ``known``: a set
        of (h, r, t) id triples to mark (e.g. the training edges). The entity itself is left out
        unless ``include_self``: dot-product models score it high under near-identity operators,
        and a self-loop is rarely the question."""
        relations = range(self.n_relations) if relation is None else [self.relation(relation)]
        me = self.embedding.index(entity)
        own_type = int(self.entity_type[me])
        side = 0 if tails else 1
        rows = []
        for r in relations:
            if int(self.relation_types[r, side]) != own_type:
                continue  # the entity cannot stand on that side of this relation
            cand = self.candidates(int(self.relation_types[r, 1 - side]))
            scores = (self.tail_scores if tails else self.head_scores)([me], r, cand)[0]
            if not include_self:
                scores = np.where(cand == me, -np.inf, scores)
            for i in np.argsort(-scores, kind="stable")[:topn]:
                other = int(cand[i])
                if not include_self and other == me:
                    continue
                edge = (me, r, other) if tails else (other, r, me)
                rows.append((self.relation_names[r], self.embedding.keys[other], float(scores[i]),
                             known is not None and edge in known))
        rows.sort(key=lambda row: -row[2])
        return rows[:topn]

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike) -> None:
        """One file, JSON header + raw arrays (never pickle), written atomically."""
        emb = self.embedding
        header = {"format_version": _FORMAT_VERSION, "keys": emb.keys, "type_names": self.type_names,
                  "relation_names": self.relation_names, "operator": self.operator,
                  "comparator": self.comparator, "relation_mode": self.relation_mode, "info": self.info}
        write_json_arrays(path, {"format": _FORMAT_TAG, **header},
                          {"vectors": emb.vectors, "entity_type": self.entity_type,
                           "relation_types": self.relation_types, "lhs_params": self.lhs_params,
                           "rhs_params": self.rhs_params})

    @classmethod
    def load(cls, path: str | os.PathLike) -> "GraphModel":
        """Read a file written by :meth:`save`; any problem is a DataFormatError."""
        from embedstudio.errors import DataFormatError

        header, arrays = read_json_arrays(path, _FORMAT_TAG, "graph model")
        try:
            type_names = header["type_names"]
            entity_type, relation_types = arrays["entity_type"], arrays["relation_types"]
            if not isinstance(type_names, list):
                raise ValueError("type_names is not a list")
            for name, ids in (("entity_type", entity_type), ("relation_types", relation_types)):
                if ids.dtype.kind not in "iu" or (ids.size and not 0 <= ids.min() <= ids.max() < len(type_names)):
                    raise ValueError(f"{name} must hold type ids in [0, {len(type_names)})")
            types = [type_names[i] for i in entity_type.reshape(-1).tolist()]
            emb = Embedding(header["keys"], arrays["vectors"], metadata={"type": types},
                            info=header.get("info", {}))
            return cls(emb, entity_type, type_names, header["relation_names"],
                       relation_types, header["operator"], header["comparator"],
                       arrays["lhs_params"], arrays["rhs_params"], header.get("info", {}),
                       header.get("relation_mode", "dynamic"))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            raise DataFormatError(os.fspath(path), None, f"inconsistent graph model: {e}") from None
