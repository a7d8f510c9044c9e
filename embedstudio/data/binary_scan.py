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


# --------------------------------------------------------------------------- text rows
_POW10 = np.array([10.0 ** i for i in range(23)])  # exact in float64 up to 1e22
_MAX_EXACT = 1 << 53


@njit(nogil=True, cache=True, inline="always")
def _blank(c):
    return c == 32 or c == 9 or c == 13 or c == 11 or c == 12


@njit(nogil=True, cache=True)
def scan_text_rows(buf, dim, keyed, values, norms, words):
    """Parse lines of ``buf`` (uint8, each line ending in a newline) as ``[word] v1 ... vdim`` into ``values``
    (float32, rows x dim), their lengths into ``norms`` and the words into ``words`` (NUL after each).
    Numbers are taken only where a float64 division or product of exact operands gives the correctly
    rounded value (Clinger's fast path: at most 2**53 as an integer, a power of ten up to 1e22), so every
    value equals what ``float()`` gives; a line with anything else (nan, inf, 20 digits, a missing or an
    extra field, a NUL) stops the scan there, for the reader's exact path. Returns (lines parsed, bytes of
    words)."""
    n = len(buf)
    p = 0
    row = 0
    w = 0
    while p < n and row < len(values):
        start_w = w  # where this line's word starts: a line given up on leaves no word behind
        while p < n and _blank(buf[p]):
            p += 1
        if p >= n or buf[p] == 10:
            return row, w  # a blank line: the exact path says what it is
        if keyed:
            q = p
            while q < n and not _blank(buf[q]) and buf[q] != 10:
                if buf[q] == 0:
                    return row, w
                q += 1
            if q >= n or buf[q] == 10:
                return row, w  # a word and no numbers
            for i in range(p, q):
                words[w] = buf[i]
                w += 1
            words[w] = 0
            w += 1
            p = q
        total = 0.0
        for j in range(dim):
            while p < n and _blank(buf[p]):
                p += 1
            negative = False
            if p < n and (buf[p] == 45 or buf[p] == 43):
                negative = buf[p] == 45
                p += 1
            mantissa = 0
            significant = 0
            digits = 0
            exponent = 0
            while p < n and 48 <= buf[p] <= 57:
                d = buf[p] - 48
                if significant or d:
                    significant += 1
                    if significant > 18:
                        return row, start_w
                    mantissa = mantissa * 10 + d
                digits += 1
                p += 1
            if p < n and buf[p] == 46:  # '.'
                p += 1
                while p < n and 48 <= buf[p] <= 57:
                    d = buf[p] - 48
                    if significant or d:
                        significant += 1
                        if significant > 18:
                            return row, start_w
                        mantissa = mantissa * 10 + d
                    exponent -= 1
                    digits += 1
                    p += 1
            if digits == 0:
                return row, start_w  # not a number this scan can read
            if p < n and (buf[p] == 101 or buf[p] == 69):  # 'e' or 'E'
                p += 1
                negative_e = False
                if p < n and (buf[p] == 45 or buf[p] == 43):
                    negative_e = buf[p] == 45
                    p += 1
                e = 0
                e_digits = 0
                while p < n and 48 <= buf[p] <= 57:
                    if e < 10000:
                        e = e * 10 + (buf[p] - 48)
                    e_digits += 1
                    p += 1
                if e_digits == 0:
                    return row, start_w
                exponent += -e if negative_e else e
            if p < n and not (_blank(buf[p]) or buf[p] == 10):
                return row, start_w  # '1.5x', '1_000', 'nan', ...
            if mantissa > _MAX_EXACT or exponent > 22 or exponent < -22:
                if mantissa != 0:
                    return row, start_w
            value = float(mantissa)
            if mantissa != 0:
                value = value * _POW10[exponent] if exponent >= 0 else value / _POW10[-exponent]
            if negative:
                value = -value
            f = np.float32(value)
            values[row, j] = f
            total += np.float64(f) * np.float64(f)
        while p < n and _blank(buf[p]):
            p += 1
        if p >= n or buf[p] != 10:
            return row, start_w  # more fields than dim (a spaced GloVe word?) or no newline
        p += 1
        norms[row] = np.sqrt(total)
        row += 1
    return row, w
