"""2-D projections: PCA against a closed form, alignment, word axes."""

import numpy as np
import pytest

from embedstudio.analysis.projection import align_to, pca, project, word_axes
from embedstudio.vectors import Embedding


def test_pca_recovers_the_planted_plane_and_its_variance():
    rng = np.random.default_rng(0)
    plane = rng.standard_normal((500, 2)) * [5.0, 2.0]
    basis, _ = np.linalg.qr(rng.standard_normal((10, 2)))
    x = plane @ basis.T + 0.01 * rng.standard_normal((500, 10))
    coords, explained = pca(x)
    assert explained[0] > explained[1] > 0.1 and explained.sum() > 0.99
    # the coordinates span the same plane: a linear map recovers the planted ones almost exactly
    fit, residual, *_ = np.linalg.lstsq(coords, plane - plane.mean(0), rcond=None)
    assert residual.sum() / ((plane - plane.mean(0)) ** 2).sum() < 1e-4
    # the sign convention makes repeated calls agree
    np.testing.assert_array_equal(pca(x)[0], coords)


def test_pca_of_fewer_dims_than_components():
    coords, explained = pca(np.arange(10.0)[:, None])
    assert coords.shape == (10, 2) and (coords[:, 1] == 0).all() and explained[1] == 0


def test_align_to_undoes_rotation_reflection_and_scale():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((100, 2))
    theta = 1.1
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]) @ np.diag([1, -1])
    b = 3.0 * a @ rot + [4.0, -2.0]
    np.testing.assert_allclose(align_to(a, b), a, atol=1e-5)


def test_word_axes_place_words_by_cosine_with_the_direction():
    keys = ["man", "woman", "king", "queen", "tree"]
    v = np.array([[1, 0, 0], [-1, 0, 0], [1, 1, 0], [-1, 1, 0], [0, 0, 1]], dtype=np.float32)
    e = Embedding(keys, v)
    coords, missing = word_axes(e, (["man"], ["woman"]), (["tree"], ["king", "queen", "nope"]))
    assert missing == ["nope"]
    assert coords[e.index("woman"), 0] == pytest.approx(1.0) and coords[e.index("man"), 0] == pytest.approx(-1.0)
    assert coords[e.index("queen"), 0] > 0 > coords[e.index("king"), 0]
    assert coords[e.index("tree"), 1] < 0 < coords[e.index("king"), 1]
    with pytest.raises(KeyError, match="x axis"):
        word_axes(e, (["nope"], ["zilch"]))


def test_project_names_known_methods():
    with pytest.raises(ValueError, match="pca, umap, tsne"):
        project(np.zeros((5, 3)), "mds")
    assert project(np.random.default_rng(0).standard_normal((20, 5)), "pca").shape == (20, 2)


def _clusters(n_per=40, dims=10, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((3, dims)) * 4
    x = np.concatenate([c + rng.standard_normal((n_per, dims)) * 0.3 for c in centres])
    return x.astype(np.float32), np.repeat(np.arange(3), n_per)


def _separated(coords, labels):
    """Every point's nearest other point in the layout belongs to its own cluster."""
    d = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return (labels[d.argmin(1)] == labels).mean()


@pytest.mark.parametrize("method", ["umap", "tsne"])
def test_nonlinear_layouts_keep_clusters_apart(method):
    x, labels = _clusters()
    coords = project(x, method)
    assert coords.shape == (len(x), 2) and np.isfinite(coords).all()
    assert _separated(coords, labels) > 0.95


def test_umap_accepts_a_previous_layout_as_its_start():
    from embedstudio.analysis.projection import UMAPConfig, umap_layout

    x, labels = _clusters()
    first = umap_layout(x, UMAPConfig(n_epochs=50))
    again = umap_layout(x + 0.01, UMAPConfig(n_epochs=20, seed=2), init=first)
    assert again.shape == first.shape and _separated(again, labels) > 0.95
    with pytest.raises(ValueError, match="at least 4 points"):
        umap_layout(x[:3])


def test_blocked_pca_equals_the_float64_reference(monkeypatch):
    from embedstudio.analysis import projection

    monkeypatch.setattr(projection, "_PCA_BLOCK", 13)  # many blocks, a ragged last one
    rng = np.random.default_rng(0)
    v = (rng.standard_normal((500, 12)) * np.linspace(5, 0.5, 12) + 3.0).astype(np.float32)
    coords, explained = projection.pca(v)
    x = v.astype(np.float64) - v.astype(np.float64).mean(axis=0)
    values, axes = np.linalg.eigh(x.T @ x / (len(x) - 1))
    top = axes[:, np.argsort(values)[::-1][:2]]
    top *= np.sign(top[np.abs(top).argmax(axis=0), [0, 1]])
    np.testing.assert_allclose(coords, x @ top, atol=1e-5 * np.abs(x @ top).max())
    np.testing.assert_allclose(explained, np.sort(values)[::-1][:2] / values.sum(), rtol=1e-6)


def test_pca_of_many_rows_fits_its_axes_on_a_spread_sample(monkeypatch):
    from embedstudio.analysis import projection

    monkeypatch.setattr(projection, "PCA_FIT_ROWS", 400)
    rng = np.random.default_rng(1)
    v = (rng.standard_normal((5000, 6)) * [9, 4, 1, 1, 1, 1]).astype(np.float32)
    coords, explained = projection.pca(v)
    exact = np.abs(np.corrcoef(coords[:, 0], v[:, 0])[0, 1])
    assert exact > 0.99 and explained[0] > 0.7  # the sample finds the axis of the largest spread


def test_pca_and_norms_allocate_a_fraction_of_the_matrix(monkeypatch):
    """The open path's maths never makes a float64 or centred copy of the vectors: what it allocates follows
    its block, not the matrix (numpy's allocations are traced)."""
    import tracemalloc

    from embedstudio import vectors
    from embedstudio.analysis import projection
    from embedstudio.analysis.projection import pca
    from embedstudio.vectors import Embedding

    monkeypatch.setattr(projection, "_PCA_BLOCK", 4096)
    monkeypatch.setattr(vectors, "BLOCK_ROWS", 4096)

    v = np.random.default_rng(2).standard_normal((300_000, 40)).astype(np.float32)  # 48 MB
    emb = Embedding([f"k{i}" for i in range(len(v))], v)
    tracemalloc.start()
    try:
        pca(v)
        emb.norms
        emb.most_similar("k7", topn=5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.4 * v.nbytes, peak


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_exact_neighbours_equal_a_brute_force_reference(metric):
    from embedstudio.analysis.projection import exact_neighbours

    x = np.random.default_rng(3).standard_normal((300, 7)).astype(np.float32)
    rows, distances = exact_neighbours(x, 12, metric, block=64)  # blocks that cut the rows unevenly
    x64 = x.astype(np.float64)
    if metric == "cosine":
        u = x64 / np.linalg.norm(x64, axis=1, keepdims=True)
        full = 1.0 - u @ u.T
    else:
        full = np.sqrt(((x64[:, None, :] - x64[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(full, np.inf)
    expected = np.argsort(full, axis=1, kind="stable")[:, :12]
    assert np.mean(rows == expected) > 0.995  # float32 products may swap a near tie
    np.testing.assert_allclose(distances, np.take_along_axis(full, rows, axis=1), atol=2e-5)
    assert np.all(np.diff(distances, axis=1) >= -1e-6) and not np.any(rows == np.arange(300)[:, None])



def test_umap_runs_on_numba_threads_that_sleep_when_idle():
    """numba's OpenMP threads spin after a UMAP and slowed every later t-SNE by half on two cores: the map code
    chooses the workqueue layer, unless the user chose a layer themselves."""
    import os

    import numba

    import embedstudio.analysis.projection  # noqa: F401 - importing it makes the choice

    expected = os.environ.get("NUMBA_THREADING_LAYER", "workqueue")
    assert numba.config.THREADING_LAYER == expected


def test_opentsne_is_given_scipys_fft_which_computes_numpys_transforms():
    pytest.importorskip("openTSNE")
    from openTSNE._matrix_mul import matrix_mul

    from embedstudio.analysis import projection

    projection._use_scipy_fft_in_opentsne()
    shim = matrix_mul.np
    assert shim.fft is not np.fft and shim.zeros is np.zeros  # only the transforms differ
    rng = np.random.default_rng(0)
    kernel, coefficients = rng.standard_normal((48, 48)), rng.standard_normal((48, 48, 4))
    ours = shim.fft.irfft2(shim.fft.rfft2(coefficients, axes=(0, 1)) * shim.fft.rfft2(kernel)[..., None], axes=(0, 1))
    numpys = np.fft.irfft2(np.fft.rfft2(coefficients, axes=(0, 1)) * np.fft.rfft2(kernel)[..., None], axes=(0, 1))
    np.testing.assert_allclose(ours, numpys, atol=1e-9)
    from openTSNE import _tsne

    calls = []  # the compiled FFT gradient (openTSNE uses it from 10k points) really goes through the shim
    rfft2 = shim.fft.rfft2
    shim.fft.rfft2 = staticmethod(lambda *a, **k: (calls.append(1), rfft2(*a, **k))[1])
    try:
        points = rng.normal(0, 5, (500, 2))
        gradient = np.zeros_like(points)
        _tsne.estimate_negative_gradient_fft_2d(points, gradient)
    finally:
        shim.fft.rfft2 = staticmethod(rfft2)
    assert calls and np.isfinite(gradient).all() and np.abs(gradient).max() > 0
    matrix_mul.np = np  # the same gradient as with numpy's transforms
    try:
        with_numpy = np.zeros_like(points)
        _tsne.estimate_negative_gradient_fft_2d(points, with_numpy)
    finally:
        matrix_mul.np = shim
    np.testing.assert_allclose(gradient, with_numpy, rtol=1e-7, atol=1e-12)


def test_tsne_shows_its_map_forming_and_the_job_passes_it_on():
    """The previews are the layout as it stands every 25 iterations: float32, every point, spreading out as the
    optimisation goes, the last one the map returned (but for its final step); the job attaches them to its stages
    (not on landmarks)."""
    from embedstudio.analysis.projection import TSNEConfig, tsne_layout
    from embedstudio.jobs.projection import projection_job

    x, labels = _clusters()
    frames = []
    coords = tsne_layout(x, TSNEConfig(max_iter=300), preview=frames.append)
    assert len(frames) == 300 // 25
    assert all(f.dtype == np.float32 and f.shape == (len(x), 2) for f in frames)
    spread = [float(np.ptp(f, axis=0).max()) for f in frames]
    assert spread[-1] > 3 * spread[0]  # from the compact start to the map
    assert np.abs(frames[-1] - coords).max() < 0.01 * spread[-1]
    assert _separated(frames[-1], labels) > 0.95

    job = projection_job(x, "tsne", TSNEConfig(max_iter=300))
    previews = []
    try:
        while True:
            stage = next(job)
            if stage.preview is not None:
                previews.append(stage.preview)
    except StopIteration as end:
        result = end.value
    assert previews and all(p.shape == (len(x), 2) for p in previews)
    assert np.abs(previews[-1] - result.coords).max() < 0.01 * float(np.ptp(result.coords, axis=0).max())
    landmarked = [s for s in projection_job(x, "tsne", TSNEConfig(max_iter=300), landmarks=60) if s.preview is not None]
    assert not landmarked  # a map of 60 landmarks is not a map of the 120 points
