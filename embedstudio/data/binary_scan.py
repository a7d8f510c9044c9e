"""The word2vec binary reader's inner loop, in numba: records are scanned and their vectors copied
straight into the final matrix, a buffer at a time (a Python loop over 3M records took most of a
GoogleNews-sized read). It takes only the well-formed records it can see whole; anything else (a
record cut by the end of the buffer, a missing space, a NUL or an empty word) is left to the
reader's record-by-record path, which names the problem.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_SPACE = 32
_NEWLINE = 10


@njit(nogil=True, cache=True)
def scan_records(buf, pos, row_bytes, max_word, out, vectors, norms, first_row, max_rows, words, starts):
    """Take well-formed records from ``buf`` (uint8) starting at ``pos``: optional newlines, a word of 1 to
    ``max_word`` bytes without NUL, a space, ``row_bytes`` bytes of vector. Each vector's bytes go to row
    ``first_row + k`` of ``out`` (a uint8 view of the float32 matrix ``vectors``) and its length (summed in
    float64) to ``norms``, each word to ``words`` followed by a NUL, each record's start offset to
    ``starts[k]``. Stops before a record it cannot take whole, or after ``max_rows``. Returns (records
    taken, position after the last one, bytes written to ``words``)."""
    n = len(buf)
    k = 0
    w = 0
    while k < max_rows:
        p = pos
        while p < n and buf[p] == _NEWLINE:
            p += 1
        limit = min(n, p + max_word + 1)
        q = p
        while q < limit and buf[q] != _SPACE:
            if buf[q] == 0:
                return k, pos, w
            q += 1
        if q >= limit or q == p or q + 1 + row_bytes > n:
            return k, pos, w
        row = first_row + k
        out[row, :] = buf[q + 1: q + 1 + row_bytes]  # a contiguous copy LLVM turns into memcpy
        total = 0.0
        for v in vectors[row]:  # the row is in the cache now: its length costs nothing more
            total += np.float64(v) * np.float64(v)
        norms[row] = np.sqrt(total)
        for i in range(p, q):
            words[w] = buf[i]
            w += 1
        words[w] = 0
        w += 1
        starts[k] = p
        k += 1
        pos = q + 1 + row_bytes
    return k, pos, w


def scan_reference(buf: bytes, pos: int, row_bytes: int, max_word: int, max_rows: int):
    """The same scan in plain Python (the tests hold the kernel to it): (words, vectors' bytes, starts, pos)."""
    words, vectors, starts = [], [], []
    while len(words) < max_rows:
        p = pos
        while p < len(buf) and buf[p] == _NEWLINE:
            p += 1
        q = buf.find(b" ", p, min(len(buf), p + max_word + 1))
        if q <= p or b"\x00" in buf[p:q] or q + 1 + row_bytes > len(buf):
            break
        words.append(buf[p:q])
        vectors.append(buf[q + 1: q + 1 + row_bytes])
        starts.append(p)
        pos = q + 1 + row_bytes
    return words, vectors, starts, pos


def as_array(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8)
