"""2-D maps of every vector: PCA, UMAP, t-SNE, and axes defined by words.

All functions take a float matrix and return float32 (n, 2) coordinates. For the live map, a new
layout is rotated onto the previous one (orthogonal Procrustes) so that a snapshot moves points
instead of flipping or spinning the whole picture.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Sequence

import numpy as np

from embedstudio.config import ConfigBase, param

PROJECTIONS = ("pca", "umap", "tsne")


PCA_FIT_ROWS = 50_000
"""Rows the principal axes are fitted on: all of them up to this many (exactly, in float64), else this many
evenly spread over the file's order (word2vec files are sorted by frequency, so every range of ranks is
in the sample; 50k points fix a 2-D map's axes to well under a degree) and every row projected in
float32 BLAS."""
_PCA_BLOCK = 1 << 15


def pca(vectors: np.ndarray, n_components: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates on the top principal axes and the share of variance each explains.

    Memory-lean for millions of rows: the mean, the dim x dim covariance and the coordinates are
    computed a block of rows at a time, never on a float64 or centred copy of the whole matrix; past
    PCA_FIT_ROWS rows the axes come from an evenly spread sample. Each axis's sign is fixed (its largest
    loading positive) so repeated calls on similar data agree.
    """
    x = np.asarray(vectors)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError("pca needs a non-empty 2-D matrix")
    n, d = x.shape
    exact = n <= PCA_FIT_ROWS
    mean = np.zeros(d, dtype=np.float64)
    for start in range(0, n, _PCA_BLOCK):  # pairwise sums within a block, float64 across blocks
        mean += x[start: start + _PCA_BLOCK].sum(axis=0, dtype=np.float64 if exact else None)
    mean /= n
    fit = np.arange(n) if exact else np.linspace(0, n - 1, PCA_FIT_ROWS).round().astype(np.int64)
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
    axes = axes * np.where(signs == 0, 1.0, signs)
    k = axes.shape[1]
    coords = np.zeros((n, n_components), dtype=np.float32)  # fewer dimensions than components: zero columns
    axes32, shift = axes.astype(np.float32), (mean @ axes).astype(np.float32)
    for start in range(0, n, _PCA_BLOCK):
        if exact:
            block = x[start: start + _PCA_BLOCK].astype(np.float64)
            block -= mean
            coords[start: start + len(block), :k] = block @ axes
        else:  # (x - mean) a = x a - mean a: one float32 product of the rows as they are
            part = x[start: start + _PCA_BLOCK] @ axes32
            part -= shift
            coords[start: start + len(part), :k] = part
    values = np.concatenate([values, np.zeros(n_components - len(values))])
    total = float(np.clip(np.trace(cov), 1e-300, None))
    return coords, (values / total).astype(np.float64)


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
    n_epochs: int | None = param(None, "optimisation epochs (empty = umap's default)", low=10, high=5000, optional=True)
    seed: int = param(1, "random seed", low=0, high=2**31 - 1)


@dataclasses.dataclass(frozen=True)
class TSNEConfig(ConfigBase):
    perplexity: float = param(30.0, "effective number of neighbours", low=2.0, high=200.0)
    metric: str = param("cosine", "distance between vectors", choices=("cosine", "euclidean"))
    max_iter: int = param(1000, "optimisation iterations", low=250, high=10000)
    seed: int = param(1, "random seed", low=0, high=2**31 - 1)


def umap_layout(vectors: np.ndarray, config: UMAPConfig = UMAPConfig(), init: np.ndarray | None = None) -> np.ndarray:
    """UMAP coordinates; ``init`` warm-starts from a previous layout (the live map).

    umap is imported here, not at module import: its first import JIT-compiles for tens of
    seconds, which must happen on a worker thread, never at start-up.
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
    with warnings.catch_warnings():
        # a seeded UMAP runs on one thread and says so on every call; the seed is the point (a stable map)
        warnings.filterwarnings("ignore", message="n_jobs value .* overridden", category=UserWarning)
        return umap.UMAP(**kwargs).fit_transform(x).astype(np.float32)


def tsne_layout(vectors: np.ndarray, config: TSNEConfig = TSNEConfig()) -> np.ndarray:
    from sklearn.manifold import TSNE

    x = np.asarray(vectors, dtype=np.float32)
    n = len(x)
    if n < 5:
        raise ValueError(f"t-SNE needs at least 5 points, got {n}")
    perplexity = min(config.perplexity, (n - 1) / 3.0)
    model = TSNE(n_components=2, perplexity=perplexity, metric=config.metric, init="pca",
                 random_state=config.seed, max_iter=config.max_iter)
    return model.fit_transform(x).astype(np.float32)


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


