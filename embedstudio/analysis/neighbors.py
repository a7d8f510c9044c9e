"""Nearest neighbours by cosine similarity or Euclidean distance, for the neighbours panel and the map."""

from __future__ import annotations

import numpy as np

METRICS = ("cosine", "euclidean")


def nearest(embedding, query: str | np.ndarray, k: int = 10, metric: str = "cosine",
            restrict_vocab: int | None = None) -> list[tuple[str, float]]:
    """The k nearest keys to a key or a vector; the query key itself is left out.

    Scores are cosine similarities (higher = nearer) or Euclidean distances (lower = nearer),
    in the order nearest first.
    """
    if metric == "cosine":
        return embedding.most_similar([query], topn=k, restrict_vocab=restrict_vocab)
    if metric != "euclidean":
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    limit = len(embedding) if restrict_vocab is None else min(int(restrict_vocab), len(embedding))
    skip = -1
    if isinstance(query, str):
        skip = embedding.index(query)
        q = embedding.vectors[skip]
    else:
        q = np.asarray(query, dtype=np.float32).ravel()
    x = embedding.vectors[:limit]
    # |x - q|^2 = |x|^2 - 2 x.q + |q|^2, with the cached norms; clipped against rounding below zero
    d2 = embedding.norms[:limit].astype(np.float64) ** 2 - 2.0 * (x @ q) + float(q @ q)
    dist = np.sqrt(np.maximum(d2, 0.0))
    if 0 <= skip < limit:
        dist[skip] = np.inf
    k = min(k, limit - (1 if 0 <= skip < limit else 0))
    if k <= 0:
        return []
    best = np.argpartition(dist, k - 1)[:k]
    best = best[np.argsort(dist[best], kind="stable")]
    return [(embedding.keys[i], float(dist[i])) for i in best]
