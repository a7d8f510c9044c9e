"""Many top-k lists kept at once, in numba: the block-by-block neighbour search (Embedding.most_similar_many)
scores a block of rows against every query in one matrix product and folds the block into each query's
k best here, in one pass over the scores (numpy's argpartition per block cost more than the product)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def fold_block(scores, first_row, best_scores, best_rows):
    """Fold ``scores`` (rows x queries, float32; row r of the block is row ``first_row + r``) into each
    query's ``k`` best so far (``best_scores``/``best_rows``, queries x k, unordered; -inf / -1 when empty).
    A score beats a query's worst kept one only if strictly higher, so earlier rows win ties."""
    n_rows, n_queries = scores.shape
    k = best_scores.shape[1]
    worst = np.empty(n_queries, dtype=np.float32)
    worst_at = np.empty(n_queries, dtype=np.int64)
    for q in range(n_queries):
        j = 0
        for i in range(1, k):
            if best_scores[q, i] < best_scores[q, j] or (best_scores[q, i] == best_scores[q, j]
                                                       and best_rows[q, i] > best_rows[q, j]):
                j = i
        worst[q] = best_scores[q, j]
        worst_at[q] = j
    for r in range(n_rows):
        for q in range(n_queries):
            s = scores[r, q]
            if s > worst[q]:
                j = worst_at[q]
                best_scores[q, j] = s
                best_rows[q, j] = first_row + r
                j = 0  # the new worst of this query's k
                for i in range(1, k):
                    if best_scores[q, i] < best_scores[q, j] or (best_scores[q, i] == best_scores[q, j]
                                                               and best_rows[q, i] > best_rows[q, j]):
                        j = i
                worst[q] = best_scores[q, j]
                worst_at[q] = j


def prepare() -> None:
    """Load (or, on a first start, compile) fold_block now: a neighbour query in the window runs it on the GUI
    thread, which must not meet numba's compiler lock while umap compiles in the background."""
    fold_block(np.zeros((1, 1), dtype=np.float32), 0, np.full((1, 1), -np.inf, dtype=np.float32),
               np.full((1, 1), -1, dtype=np.int64))
