"""The storage a vectors reader fills: a float32 matrix grown block by block (never beyond what the file can
hold or the memory allows), each row's length taken as it comes, and the bounds on a declared dimension."""

from __future__ import annotations

import mmap
import os

import numpy as np

from embedstudio.data import sniff
from embedstudio.data.errors import DataFormatError
from embedstudio.memory import check_reading

MAX_DIM = 1 << 22  # 4M dimensions: far beyond any real embedding, small enough to bound reads


def row_limit(dim: int) -> int:
    """Longest accepted text row: 64 bytes per value (``%.17g`` needs 24) plus 64 KiB for the word."""
    return 64 * dim + 64 * 1024


HUGE_PAGES_FROM = 256 << 20


def empty_rows(rows: int, dim: int) -> np.ndarray:
    """An uninitialised float32 matrix. A large one is asked for in huge pages (Linux): filling 3.6 GB of
    fresh memory page-faults a million 4 kB pages, which took longer than reading the file."""
    nbytes = 4 * rows * dim
    if nbytes >= HUGE_PAGES_FROM and hasattr(mmap, "MADV_HUGEPAGE"):
        try:
            area = mmap.mmap(-1, nbytes)
            area.madvise(mmap.MADV_HUGEPAGE)
            return np.frombuffer(area, dtype=np.float32).reshape(rows, dim)
        except (OSError, ValueError):
            pass
    return np.empty((rows, dim), dtype=np.float32)


class Rows:
    """A float32 matrix filled block by block, and the length of each row as it comes (so the first
    neighbour query needs no pass of its own); never allocates more than it is told may exist."""

    def __init__(self, dim: int, capacity: tuple[int, bool], max_rows: int | None, path: str, line: int | None):
        capacity, expected = capacity
        self.dim = dim
        self.max_rows = max_rows
        self.path = path
        if expected:
            check_reading(4 * dim * max(1, capacity), path, line, f"{capacity:,} vectors of dimension {dim:,}")
        self.data = empty_rows(max(1, capacity), dim)
        self.norms = np.empty(len(self.data), dtype=np.float32)
        self.n = 0

    def reserve(self, k: int, line: int | None = None) -> int:
        """Room for up to ``k`` more rows (grown by half, as far as ``max_rows``); returns how many fit now."""
        if self.n + k > len(self.data):
            grown = max(self.n + k, int(len(self.data) * 1.5) + 64)
            if self.max_rows is not None:
                grown = max(self.n + 1, min(grown, self.max_rows))
            if grown > len(self.data):
                # the old and the new storage live together while rows move over
                check_reading(4 * self.dim * (grown + len(self.data)), self.path, line,
                              f"{grown:,} vectors of dimension {self.dim:,}")
                bigger = empty_rows(grown, self.dim)
                bigger[: self.n] = self.data[: self.n]
                self.data = bigger
                self.norms = np.concatenate([self.norms[: self.n], np.empty(grown - self.n, dtype=np.float32)])
        return min(k, len(self.data) - self.n)

    def add(self, block: np.ndarray, line: int | None = None, norms: np.ndarray | None = None) -> None:
        self.reserve(len(block), line)
        need = self.n + len(block)
        self.data[self.n: need] = block
        self.norms[self.n: need] = norms if norms is not None else np.sqrt(
            np.einsum("ij,ij->i", self.data[self.n: need], self.data[self.n: need], dtype=np.float64))
        self.n = need

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, their lengths)."""
        if self.n == len(self.data):
            return self.data, self.norms
        return self.data[: self.n].copy(), self.norms[: self.n].copy()


def file_size(path: str) -> int | None:
    """The size on disk when the file is not compressed (a bound on what it can hold), else None."""
    if sniff.compression_of(path):
        return None
    try:
        return os.path.getsize(path)
    except OSError:
        return None


UNKNOWN_SIZE_BYTES = 64 << 20  # the first storage of a file whose size says nothing (compressed, no count)


def initial_capacity(dim: int, count: int | None, size: int | None, min_row_bytes: int) -> tuple[int, bool]:
    """Rows to allocate first, and whether that many are expected (a count or the file's size says so)
    rather than a guess: only an expected size is checked against the memory up front (a guess costs no
    memory until rows fill it; growing past it is checked)."""
    bound = size // min_row_bytes + 1 if size is not None else max(1, UNKNOWN_SIZE_BYTES // (4 * dim))
    return max(1, min(bound, count) if count is not None else bound), size is not None or count is not None


def check_dim(path: str, line: int | None, dim: int, size: int | None, min_row_bytes: int) -> None:
    if dim < 1:
        raise DataFormatError(path, line, "the header declares dimension 0")
    if dim > MAX_DIM:
        raise DataFormatError(path, line, f"dimension {dim:,} is beyond the supported {MAX_DIM:,}")
    if size is not None and min_row_bytes > size:
        raise DataFormatError(path, line, f"dimension {dim:,} cannot fit in a file of {size:,} bytes: the header is wrong")
