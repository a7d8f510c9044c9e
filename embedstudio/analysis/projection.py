"""2-D maps of every vector: PCA, UMAP, t-SNE, and axes defined by words.

All functions take a float matrix and return float32 (n, 2) coordinates. For the live map, a new
layout is rotated onto the previous one (orthogonal Procrustes) so that a snapshot moves points
instead of flipping or spinning the whole picture.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
import warnings
from typing import Callable, Sequence

import numba
import numpy as np

from embedstudio.config import ConfigBase, param

if "NUMBA_THREADING_LAYER" not in os.environ:
    # umap's parallel numba code on the "workqueue" layer: with the default OpenMP layer, numba's idle threads
    # keep spinning and, on two cores, made every later t-SNE (openTSNE's own OpenMP) 50% slower (400
    # iterations: 21.7 s after a UMAP, 14.3 s before; 15.6 s with workqueue). Only one UMAP runs at a time
    # (UMAP_LOCK), which the workqueue layer requires.
    numba.config.THREADING_LAYER = "workqueue"

PROJECTIONS = ("pca", "umap", "tsne")


PCA_FIT_ROWS = 50_000
"""Rows the principal axes are fitted on: all of them up to this many (exactly, in float64), else this many
evenly spread over the file's order (word2vec files are sorted by frequency, so every range of ranks is
in the sample; 50k points fix a 2-D map's axes to well under a degree) and every row projected in
float32 BLAS."""
_PCA_BLOCK = 1 << 15


def principal_axes(x: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(mean, top axes d x k, their variances, total variance) of the rows of ``x``, by blocks: exactly
    (float64) up to PCA_FIT_ROWS rows, from an evenly spread sample of that many beyond. Each axis's sign
    is fixed (its largest loading positive) so repeated calls on similar data agree."""
    n, d = x.shape
    exact = n <= PCA_FIT_ROWS
    mean = np.zeros(d, dtype=np.float64)
    for start in range(0, n, _PCA_BLOCK):  # pairwise sums within a block, float64 across blocks
        mean += x[start: start + _PCA_BLOCK].sum(axis=0, dtype=np.float64 if exact else None)
    mean /= n
    fit = np.arange(n) if exact else spread_rows(n, PCA_FIT_ROWS)
    cov = np.zeros((d, d), dtype=np.float64)
    for start in range(0, len(fit), _PCA_BLOCK):
        rows = fit[start: start + _PCA_BLOCK]
        block = (x[rows[0]: rows[-1] + 1] if exact else x[rows]).astype(np.float64)
        block -= mean
        cov += block.T @ block
    cov /= max(len(fit) - 1, 1)
    values, axes = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1][:n_components]
    values, axes = values[order], axes[:, order]
    signs = np.sign(axes[np.abs(axes).argmax(axis=0), np.arange(axes.shape[1])])
    return mean, axes * np.where(signs == 0, 1.0, signs), values, float(np.trace(cov))


def pca(vectors: np.ndarray, n_components: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates on the top principal axes and the share of variance each explains.

    Memory-lean for millions of rows (:func:`principal_axes`, then the coordinates a block of rows at a
    time): never a float64 or centred copy of the whole matrix.
    """
    x = np.asarray(vectors)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError("pca needs a non-empty 2-D matrix")
    n = len(x)
    mean, axes, values, total = principal_axes(x, n_components)
    k = axes.shape[1]
    coords = np.zeros((n, n_components), dtype=np.float32)  # fewer dimensions than components: zero columns
    axes32, shift = axes.astype(np.float32), (mean @ axes).astype(np.float32)
    for start in range(0, n, _PCA_BLOCK):
        if n <= PCA_FIT_ROWS:
            block = x[start: start + _PCA_BLOCK].astype(np.float64)
            block -= mean
            coords[start: start + len(block), :k] = block @ axes
        else:  # (x - mean) a = x a - mean a: one float32 product of the rows as they are
            part = x[start: start + _PCA_BLOCK] @ axes32
            part -= shift
            coords[start: start + len(part), :k] = part
    values = np.concatenate([values, np.zeros(n_components - len(values))])
    return coords, (values / max(total, 1e-300)).astype(np.float64)


def align_to(previous: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Rotate/reflect (and rescale) ``current`` to best match ``previous`` (orthogonal Procrustes)."""
    prev = np.asarray(previous, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    if prev.shape != cur.shape:
        return np.asarray(current, dtype=np.float32)
    pc, cc = prev.mean(axis=0), cur.mean(axis=0)
    a, b = prev - pc, cur - cc
    u, s, vt = np.linalg.svd(b.T @ a)
    rotation = u @ vt
    norm_b = np.sqrt((b**2).sum())
    scale = s.sum() / (norm_b**2) if norm_b > 0 else 1.0
    return (scale * b @ rotation + pc).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class UMAPConfig(ConfigBase):
    n_neighbors: int = param(15, "neighbours that shape the local structure (larger = more global)", low=2, high=200)
    min_dist: float = param(0.1, "how tightly points may pack", low=0.0, high=1.0)
    metric: str = param("cosine", "distance between vectors", choices=("cosine", "euclidean"))
    n_epochs: int | None = param(200, "optimisation epochs: umap's own choice above 10,000 points (below, it "
                                      "takes 500: the map looks the same and costs 2.5 times as long; empty = "
                                      "umap's choice)", low=10, high=5000, optional=True)
    seed: int = param(1, "random seed (a seeded UMAP runs on one thread: the same map every time)",
                      low=0, high=2**31 - 1)


@dataclasses.dataclass(frozen=True)
class TSNEConfig(ConfigBase):
    perplexity: float = param(30.0, "effective number of neighbours", low=2.0, high=200.0)
    metric: str = param("cosine", "distance between vectors", choices=("cosine", "euclidean"))
    max_iter: int = param(750, "optimisation iterations, the first 250 with early exaggeration (openTSNE's "
                               "default)", low=300, high=10000)
    seed: int = param(1, "random seed", low=0, high=2**31 - 1)


UMAP_LOCK = threading.Lock()
"""Held while umap runs: its numba parallel code must never run in two threads at once (the start-up
warm-up and a map the user asks for)."""


def prepare_umap() -> float:
    """Import umap and lay out a tiny set with each metric, so that its numba functions are compiled (or
    loaded from the cache) before the first real map; seconds taken. Run at start-up in the background."""
    started = time.perf_counter()
    # past 4,096 points umap switches to approximate neighbours (NN-descent) and a sparse spectral start:
    # a smaller set would compile other code than a real map runs
    x = np.random.default_rng(0).standard_normal((5000, 16)).astype(np.float32)
    for metric in ("cosine", "euclidean"):
        umap_layout(x, UMAPConfig(n_epochs=10, metric=metric))
    return time.perf_counter() - started


def prepare_maps() -> float:
    """Everything the first map would otherwise pay for, at start-up: umap compiled (:func:`prepare_umap`)
    and openTSNE imported (~1.2 s); seconds taken."""
    started = time.perf_counter()
    prepare_umap()
    import openTSNE.affinity  # noqa: F401, PLC0415 - imported now so that the first t-SNE map does not wait
    import openTSNE.tsne  # noqa: F401, PLC0415

    return time.perf_counter() - started


def umap_layout(vectors: np.ndarray, config: UMAPConfig = UMAPConfig(), init: np.ndarray | None = None) -> np.ndarray:
    """UMAP coordinates; ``init`` warm-starts from a previous layout (the live map).

    umap is imported here, not at module import: its first import JIT-compiles for tens of
    seconds, which must happen off the GUI thread (:func:`prepare_umap` pays it at start-up).
    """
    import umap  # noqa: PLC0415 - deliberately lazy

    x = np.asarray(vectors, dtype=np.float32)
    n = len(x)
    if n < 4:
        raise ValueError(f"UMAP needs at least 4 points, got {n}")
    kwargs = dict(n_neighbors=min(config.n_neighbors, n - 1), min_dist=config.min_dist, metric=config.metric,
                  random_state=config.seed, n_components=2)
    if config.n_epochs is not None:
        kwargs["n_epochs"] = config.n_epochs
    if init is not None and init.shape == (n, 2):
        kwargs["init"] = np.asarray(init, dtype=np.float64)
    with UMAP_LOCK, warnings.catch_warnings():
        # a seeded UMAP runs on one thread and says so on every call; the seed is the point (a stable map)
        warnings.filterwarnings("ignore", message="n_jobs value .* overridden", category=UserWarning)
        return umap.UMAP(**kwargs).fit_transform(x).astype(np.float32)


FFT_WORKERS = 1  # threads per transform: the gradient's other phases already use both cores


class _NumpyWithScipyFFT:
    """numpy, but with scipy.fft's transforms as ``.fft``: what openTSNE's FFT gradient sees as ``np``."""

    def __init__(self):
        import scipy.fft

        def wrap(name):
            transform = getattr(scipy.fft, name)
            return lambda *args, **kwargs: transform(*args, workers=FFT_WORKERS, **kwargs)

        self.fft = type("fft", (), {name: staticmethod(wrap(name)) for name in ("fft", "ifft", "rfft", "irfft",
                                                                               "fft2", "ifft2", "rfft2", "irfft2")})

    def __getattr__(self, name):
        return getattr(np, name)


def _use_scipy_fft_in_opentsne() -> None:
    """openTSNE's interpolation gradient (matrix_mul_numpy.pyx) calls numpy.fft's rfft2/irfft2 every iteration:
    40% of a 10k-point t-SNE. scipy.fft computes the same transforms (pocketfft too, in C++ with SIMD) in about
    half the time; the compiled module looks ``np`` up in its globals at each call, so it is given a numpy whose
    fft is scipy's. Checked against numpy's transforms in the tests."""
    from openTSNE._matrix_mul import matrix_mul

    if not isinstance(getattr(matrix_mul, "np", None), _NumpyWithScipyFFT):
        matrix_mul.np = _NumpyWithScipyFFT()


def tsne_layout(vectors: np.ndarray, config: TSNEConfig = TSNEConfig(),
                progress: Callable[[int, int], bool] | None = None,
                preview: Callable[[np.ndarray], None] | None = None) -> np.ndarray | None:
    """t-SNE coordinates by openTSNE's FFT-accelerated gradient (scikit-learn's Barnes-Hut took minutes for
    10k points). ``progress(iteration, of)`` is called every 25 iterations; when it returns True the
    optimisation stops and None is returned. ``preview(coords)`` gets a float32 copy of the layout as it
    stands at the same moments, so a view can show the map forming."""
    from openTSNE import TSNE  # noqa: PLC0415 - imported when asked for
    from openTSNE.callbacks import Callback
    from openTSNE.tsne import OptimizationInterrupt

    x = np.asarray(vectors, dtype=np.float32)
    n = len(x)
    if n < 5:
        raise ValueError(f"t-SNE needs at least 5 points, got {n}")
    early = min(250, config.max_iter // 3)
    total = config.max_iter

    class Report(Callback):
        phase = 0

        def optimization_about_to_start(self):
            self.phase += 1

        def __call__(self, iteration, error, embedding):
            done = iteration + (early if self.phase > 1 else 0)
            if preview is not None:
                preview(np.array(embedding, dtype=np.float32))
            return bool(progress(done, total)) if progress is not None else False

    from openTSNE.affinity import PerplexityBasedNN
    from openTSNE.nearest_neighbors import PrecomputedNeighbors

    perplexity = min(config.perplexity, (n - 1) / 3.0)
    jobs = os.cpu_count() or 1
    # the 3 x perplexity nearest neighbours openTSNE would ask of annoy, exactly, by blocked matrix products:
    # 1.9 s for 10k x 100 where annoy took 14 s (a map beyond LANDMARKS is fitted on its landmarks)
    rows, distances = exact_neighbours(x, min(n - 1, int(3 * perplexity)), config.metric)
    if progress is not None and progress(0, total):
        return None
    affinities = PerplexityBasedNN(perplexity=perplexity, knn_index=PrecomputedNeighbors(rows, distances),
                                   n_jobs=jobs, random_state=config.seed)
    # min_num_intervals 10 (openTSNE's 50): the FFT grid of the early, still compact layout stays small; on
    # 10k x 100 this saved a sixth of the time with the same KL divergence and 10-NN preservation
    model = TSNE(n_components=2, perplexity=perplexity, metric=config.metric, initialization="pca",
                 random_state=config.seed, early_exaggeration_iter=early, n_iter=total - early, n_jobs=jobs,
                 min_num_intervals=10,
                 callbacks=Report() if progress is not None or preview is not None else None, callbacks_every_iters=25,
                 verbose=False)
    _use_scipy_fft_in_opentsne()
    try:
        return np.asarray(model.fit(x, affinities=affinities), dtype=np.float32)
    except OptimizationInterrupt:
        return None


def exact_neighbours(x: np.ndarray, k: int, metric: str = "cosine", block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` nearest other rows (n x k, nearest first) and their distances (1 - cosine, or
    Euclidean), by float32 matrix products a block of rows at a time (n x n never held)."""
    x = np.asarray(x, dtype=np.float32)
    n = len(x)
    k = max(1, min(int(k), n - 1))
    if metric == "cosine":
        lengths = np.linalg.norm(x, axis=1)
        y = x / np.where(lengths > 0, lengths, 1.0)[:, None]
        squares = None
    else:
        y, squares = x, np.einsum("ij,ij->i", x, x)
    rows = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        stop = min(start + block, n)
        scores = y[start:stop] @ y.T  # similarity (cosine) or a . b
        if squares is not None:  # -|a - b|^2 + |a|^2: the same order as -|a - b|
            scores = 2 * scores - squares[None, :]
        scores[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # not its own neighbour
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(scores, best, axis=1)
        order = np.argsort(-best_scores, axis=1, kind="stable")
        rows[start:stop] = np.take_along_axis(best, order, axis=1)
        best_scores = np.take_along_axis(best_scores, order, axis=1)
        if squares is None:
            distances[start:stop] = np.maximum(1.0 - best_scores, 0.0)
        else:
            distances[start:stop] = np.sqrt(np.maximum(squares[start:stop, None] - best_scores, 0.0))
    return rows, distances


LANDMARKS = 10_000
"""Above this many points a UMAP or t-SNE map is fitted on this many landmarks spread over the rows; the
others are placed among their nearest landmarks (:func:`place_by_landmarks`)."""


def spread_rows(n: int, k: int) -> np.ndarray:
    """``k`` rows evenly spread over ``n`` (over every frequency rank of a word2vec file), sorted."""
    return np.unique(np.linspace(0, n - 1, k).round().astype(np.int64))


def place_by_landmarks(vectors: np.ndarray, landmark_rows: np.ndarray, landmark_coords: np.ndarray, k: int = 5,
                       dims: int = 50, metric: str = "cosine",
                       progress: Callable[[int, int], bool] | None = None) -> np.ndarray | None:
    """Map coordinates for every row: the landmarks where their map put them, every other row at the
    similarity-weighted mean of its ``k`` nearest landmarks (found in the top ``dims`` principal components,
    a block of rows at a time in float32 BLAS). ``progress(rows done, of)`` may return True to stop (None)."""
    x = np.asarray(vectors)
    n = len(x)
    mean, axes, _, _ = principal_axes(x[landmark_rows], dims)
    axes32, shift = axes.astype(np.float32), (mean @ axes).astype(np.float32)

    def reduced(rows):
        r = x[rows] @ axes32
        r -= shift
        if metric == "cosine":
            r /= np.maximum(np.linalg.norm(r, axis=1, keepdims=True), 1e-12)
        return r

    anchors = reduced(landmark_rows)
    coords = np.empty((n, 2), dtype=np.float32)
    block = 1 << 14
    for start in range(0, n, block):
        stop = min(start + block, n)
        q = reduced(slice(start, stop))
        if metric == "cosine":
            score = q @ anchors.T
        else:
            score = -(np.square(q).sum(1, keepdims=True) - 2 * q @ anchors.T + np.square(anchors).sum(1))
        best = np.argpartition(-score, k - 1, axis=1)[:, :k]
        weight = np.exp(4.0 * (np.take_along_axis(score, best, axis=1) - score.max(axis=1, keepdims=True)))
        coords[start:stop] = np.einsum("ij,ijk->ik", weight / weight.sum(1, keepdims=True), landmark_coords[best])
        if progress is not None and progress(stop, n):
            return None
    coords[landmark_rows] = landmark_coords
    return coords


def word_axes(
    embedding, x_axis: tuple[Sequence[str], Sequence[str]], y_axis: tuple[Sequence[str], Sequence[str]] | None = None,
) -> tuple[np.ndarray, list[str]]:
    """TensorBoard-style custom projection: x (and y) = cosine with mean(right words) - mean(left words).

    Returns (n, 2) coordinates (y = 0 when no y axis is given) and the words not in the vocabulary.
    """
    missing: list[str] = []

    def direction(left, right):
        def centroid(words):
            rows = [embedding.unit_rows(embedding.index(w)) for w in words if w in embedding]
            missing.extend(w for w in words if w not in embedding)
            return np.mean(rows, axis=0) if rows else None

        a, b = centroid(left), centroid(right)
        if a is None or b is None:
            return None
        d = b - a
        n = np.linalg.norm(d)
        return d / n if n > 0 else None

    dx = direction(*x_axis)
    dy = direction(*y_axis) if y_axis else None
    if dx is None:
        raise KeyError(f"the x axis has no word in the vocabulary (missing: {', '.join(missing)})")
    coords = np.zeros((len(embedding), 2), dtype=np.float32)
    coords[:, 0] = embedding.cosines(dx)
    if dy is not None:
        coords[:, 1] = embedding.cosines(dy)
    elif y_axis:
        raise KeyError(f"the y axis has no word in the vocabulary (missing: {', '.join(missing)})")
    return coords, missing


def project(vectors: np.ndarray, method: str = "pca", config=None, init: np.ndarray | None = None) -> np.ndarray:
    """One entry point by name, as the app's projection menu uses it."""
    if method == "pca":
        return pca(vectors)[0]
    if method == "umap":
        return umap_layout(vectors, config or UMAPConfig(), init=init)
    if method == "tsne":
        return tsne_layout(vectors, config or TSNEConfig())
    raise ValueError(f"unknown projection {method!r}; known: {', '.join(PROJECTIONS)}")


