"""The ranking kernel of :mod:`embedstudio.analysis.hierarchy`: one call ranks a run of rows.

For a row ``u`` every node ``w`` is scored by ``x(u, w) = |u - w|² / ((1 - |u|²)(1 - |w|²))``. The
Poincaré distance is ``arcosh(1 + 2x)``, strictly increasing in ``x``, so ranks by ``x`` are ranks by
distance, with no ``arccosh`` per pair and without its loss of resolution near 0 (``arccosh(1 + ε)``
cannot tell apart distances closer than ~1e-8). ``|u - w|²`` is summed from coordinate differences,
not expanded as ``|u|² + |w|² - 2u·w``, which cancels for near points: the ones whose order matters.

Ties go to the positive, so equal vectors must get bit-equal scores: positives (:func:`_score`) and
the tiled loop sum the same squares in the same order, and with no ``fastmath`` LLVM may neither
reorder nor fuse them (vector lanes and scalar code then round alike; the tests place duplicates of
positives among the negatives to check it).

Speed: coordinates are read transposed (``vt``, dim x n), so a tile's sums are one vectorised loop
per dimension, and a block of rows shares each tile while it is in cache (streaming ``vt`` from L3
for every row costs 2x on the nouns). Nodes below the row's farthest positive are gathered without
a branch, then counted: few for a good embedding, half of all for random vectors.

Memory per call: one tile of sums, one bit mask per node, O(k) for the block's k positives; never a
row of distances.
"""

import numpy as np
from numba import njit

_ROWS = 64  # rows sharing a tile, one bit each in the mask (measured: 1 -> 4.5, 16..128 -> ~2.5 ns/pair)
_TILE = 1024  # nodes per tile: dim x 8 KiB of coordinates stay in L2
_LINEAR = 32  # up to this many positives, count below each (vectorised), else bisect per score
_SLACK = 1.0 + 1e-9  # the multiplied-out filter rounds differently from the division: keep a margin


@njit(nogil=True, cache=True, inline="always")
def _score(vt, one_minus, u, w):
    s = 0.0
    for c in range(vt.shape[0]):
        t = vt[c, w] - vt[c, u]
        s += t * t
    return s / (one_minus[u] * one_minus[w])


@njit(nogil=True, cache=True)
def _mark(mask, rows, b0, b1, pos_ptr, pos_idx, excl_ptr, excl_idx, count_self, on):
    """Set (or clear) bit i of ``mask[w]`` for each w that is no negative of the block's row i."""
    for i in range(b1 - b0):
        u = rows[b0 + i]
        bit = np.uint64(1) << np.uint64(i)
        for q in range(pos_ptr[u], pos_ptr[u + 1]):
            mask[pos_idx[q]] = mask[pos_idx[q]] | bit if on else np.uint64(0)
        for q in range(excl_ptr[u], excl_ptr[u + 1]):
            mask[excl_idx[q]] = mask[excl_idx[q]] | bit if on else np.uint64(0)
        if not count_self:
            mask[u] = mask[u] | bit if on else np.uint64(0)


@njit(nogil=True, cache=True)
def rank_rows(vt, one_minus, rows, pos_ptr, pos_idx, excl_ptr, excl_idx, count_self, rank_sum, ap):
    """Rank the positives of each ``rows[r]``; writes ``rank_sum[r]`` and ``ap[r]`` (its average precision).

    ``vt`` float64 (dim, n): the coordinates, transposed; ``one_minus[w] = 1 - |w|²`` (> 0).
    Positives of ``u``: ``pos_idx[pos_ptr[u]:pos_ptr[u + 1]]``, at least one, not ``u``. ``excl_*``:
    a CSR of nodes that are neither positives nor negatives (link prediction's training edges; all
    rows empty otherwise). ``count_self``: ``u`` is one of its own negatives.
    """
    dim = vt.shape[0]
    n = vt.shape[1]
    acc = np.empty(_TILE)
    cand = np.empty(_TILE, dtype=np.int64)
    xs = np.empty(_TILE)
    mask = np.zeros(n, dtype=np.uint64)
    for b0 in range(0, rows.shape[0], _ROWS):
        b1 = min(b0 + _ROWS, rows.shape[0])
        nb = b1 - b0
        # Row i of the block: its sorted positive scores are pos_x[start[i]:start[i + 1]]; its k + 1
        # counts start at start[i] + i. counts[j] = negatives with exactly j positives scored <= them
        # (a tie favours the positive): such a negative is nearer than positives j .. k - 1.
        start = np.zeros(nb + 1, dtype=np.int64)
        for i in range(nb):
            u = rows[b0 + i]
            start[i + 1] = start[i] + pos_ptr[u + 1] - pos_ptr[u]
        pos_x = np.empty(start[nb])
        counts = np.zeros(start[nb] + nb, dtype=np.int64)
        bound = np.empty(nb)
        for i in range(nb):
            u = rows[b0 + i]
            s = start[i]
            k = start[i + 1] - s
            for t in range(k):
                pos_x[s + t] = _score(vt, one_minus, u, pos_idx[pos_ptr[u] + t])
            pos_x[s:s + k].sort()
            bound[i] = pos_x[s + k - 1] * one_minus[u] * _SLACK
        _mark(mask, rows, b0, b1, pos_ptr, pos_idx, excl_ptr, excl_idx, count_self, True)
        for w0 in range(0, n, _TILE):
            m = min(_TILE, n - w0)
            a = acc[:m]
            o = one_minus[w0:w0 + m]
            for i in range(nb):
                u = rows[b0 + i]
                coord = vt[0, u]
                col = vt[0, w0:w0 + m]
                for j in range(m):
                    t = col[j] - coord
                    a[j] = t * t
                for c in range(1, dim):
                    coord = vt[c, u]
                    col = vt[c, w0:w0 + m]
                    for j in range(m):
                        t = col[j] - coord
                        a[j] += t * t
                lim = bound[i]
                nc = 0
                for j in range(m):  # gather without a branch: it would be a coin toss for bad embeddings
                    cand[nc] = j
                    nc += a[j] < lim * o[j]
                s = start[i]
                k = start[i + 1] - s
                x_max = pos_x[s + k - 1]
                su = one_minus[u]
                bit = np.uint64(1) << np.uint64(i)
                if k <= _LINEAR:
                    # Keep the negatives' scores, then count those below each positive: k
                    # comparisons per kept score, vectorised, instead of a search per score.
                    nk = 0
                    for q in range(nc):
                        j = cand[q]
                        xs[nk] = a[j] / (su * o[j])  # the same operations as _score: bit-equal for equal vectors
                        nk += (mask[w0 + j] & bit) == 0
                    prev = 0
                    for t in range(k):
                        p = pos_x[s + t]
                        below = 0
                        for q in range(nk):
                            below += xs[q] < p  # a tie favours the positive
                        counts[s + i + t] += below - prev  # the bins are differences of these counts
                        prev = below
                    continue
                for q in range(nc):
                    j = cand[q]
                    x = a[j] / (su * o[j])
                    if not x < x_max or (mask[w0 + j] & bit) != 0:
                        continue
                    lo = s
                    hi = s + k
                    while lo < hi:  # bin = #{positive scores <= x}: a tie favours the positive
                        mid = (lo + hi) >> 1
                        if pos_x[mid] <= x:
                            lo = mid + 1
                        else:
                            hi = mid
                    counts[lo + i] += 1  # row i's counts start at s + i
        _mark(mask, rows, b0, b1, pos_ptr, pos_idx, excl_ptr, excl_idx, count_self, False)
        for i in range(nb):
            s = start[i]
            k = start[i + 1] - s
            before = 0
            total = 0.0
            precision = 0.0
            for t in range(k):
                before += counts[s + i + t]
                rank = before + 1
                total += rank
                precision += (t + 1.0) / (rank + t)  # t + 1 positives among the first rank + t
            rank_sum[b0 + i] = total
            ap[b0 + i] = precision / k
