"""How much memory an operation will need, and whether this machine has it: asked *before* starting.

The estimates are deliberately simple upper-end figures from the algorithms' data structures (the
arrays they allocate), not measurements; they exist to stop an operation that cannot fit (t-SNE on
a million points, an N x N matrix) with a message, instead of swapping the machine to a halt.
"""

from __future__ import annotations

import os
import shutil

_GB = 1e9
DISK_MARGIN = 256 << 20  # what a cache leaves free on its disk


def available_bytes() -> int | None:
    """Memory available to new allocations without swapping (Linux: MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def projection_bytes(method: str, n: int, dim: int, params: dict | None = None) -> int:
    """Peak bytes of a 2-D projection of ``n`` points of ``dim`` dimensions (float64 working copies)."""
    params = params or {}
    base = 8 * n * dim * 2  # a float64 copy of the data and a centred / scaled one
    if method == "pca":
        return base
    if method == "umap":
        k = int(params.get("n_neighbors", 15))
        # the k-NN graph (indices + distances), its fuzzy union (sparse, about 2k entries a point: COO + CSR)
        return base + n * k * (8 + 8) + n * 2 * k * (8 + 8 + 8) * 2
    if method == "tsne":
        if params.get("method") == "exact":
            return base + 3 * 8 * n * n  # dense P, Q and the gradient's pairwise terms
        k = min(n - 1, 3 * int(float(params.get("perplexity", 30))) + 1)
        return base + n * k * (8 + 8 + 8) * 3  # neighbours, their distances, the sparse P (+ symmetrised)
    raise ValueError(f"unknown projection {method!r}")


def square_matrix_bytes(n: int, itemsize: int = 4) -> int:
    """An n x n matrix (all-pairs similarities or distances)."""
    return n * n * itemsize


PROJECTION_ADVICE = "Select fewer points (lasso, then Isolate) or use PCA."


def fits(need: int, what: str, headroom: float = 0.8, advice: str = PROJECTION_ADVICE) -> str | None:
    """None when ``need`` bytes fit in ``headroom`` of the available memory, else a message saying so."""
    have = available_bytes()
    if have is None or need <= headroom * have:
        return None
    return (f"{what} needs about {need / _GB:,.1f} GB of memory and this machine has {have / _GB:,.1f} GB "
            f"available: it was not started. {advice}")


def check_reading(need: int, path, line: int | None, what: str, headroom: float = 0.5) -> None:
    """For a reader about to grow what it holds to ``need`` bytes: a DataFormatError (naming the file and
    the line reached) when that would not fit in ``headroom`` of the available memory. Readers call it
    when their storage grows (geometrically), so a file whose rows never end -- a decompression bomb, a
    runaway generator -- stops with a message instead of swapping the machine to a halt."""
    have = available_bytes()
    if have is None or need <= headroom * have:
        return
    from embedstudio.errors import DataFormatError

    raise DataFormatError(path, line, f"{what} would need about {size_text(need)} of memory and this machine has "
                                      f"{size_text(have)} available: reading stopped here")


def size_text(n: float) -> str:
    """Bytes for a person: '1.4 GB', '310 MB', '12 kB'."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}" if n < 10 * scale else f"{n / scale:,.0f} {unit}"
    return f"{int(n)} bytes"


def check_disk(folder, need: int, path, line: int | None, what: str) -> None:
    """For a reader writing a cache in ``folder``: a DataFormatError when ``need`` more bytes would leave less
    than DISK_MARGIN free there (a huge or endless input must not fill the disk)."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if need + DISK_MARGIN <= free:
        return
    from embedstudio.errors import DataFormatError

    raise DataFormatError(path, line, f"{what} would need about {size_text(need)} more in {folder} and only "
                                      f"{size_text(free)} is free there: reading stopped here (set "
                                      "EMBEDSTUDIO_CACHE to a folder on a larger disk)")
