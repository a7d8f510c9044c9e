"""Memory estimates and the check asked before a big operation."""

import numpy as np
import pytest

from embedstudio import memory


def test_available_memory_is_known_on_linux():
    have = memory.available_bytes()
    assert have is None or 10 << 20 < have < 1 << 50


def test_estimates_grow_as_the_algorithms_allocate():
    assert memory.projection_bytes("pca", 1000, 100) == 8 * 1000 * 100 * 2
    small, big = (memory.projection_bytes("tsne", n, 100) for n in (10_000, 1_000_000))
    assert 90 < big / small < 110  # Barnes-Hut: linear in n
    exact = memory.projection_bytes("tsne", 100_000, 100, {"method": "exact"})
    assert exact > 3 * 8 * 100_000 ** 2  # quadratic
    assert memory.projection_bytes("umap", 10_000, 50, {"n_neighbors": 30}) > memory.projection_bytes("umap", 10_000, 50)
    assert memory.square_matrix_bytes(100_000) == 4 * 10 ** 10
    with pytest.raises(ValueError):
        memory.projection_bytes("mds", 10, 2)


def test_fits_refuses_what_exceeds_the_available_memory(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 8 << 30)
    assert memory.fits(1 << 30, "a map") is None
    message = memory.fits(memory.square_matrix_bytes(100_000), "an all-pairs matrix")
    assert "40.0 GB" in message and "8.6 GB" in message and "not started" in message
    monkeypatch.setattr(memory, "available_bytes", lambda: None)
    assert memory.fits(1 << 40, "anything") is None  # unknown: never blocks


def test_the_window_refuses_a_tsne_that_cannot_fit(qtbot, tmp_path, monkeypatch):
    pytest.importorskip("PySide6")
    from PySide6.QtCore import QSettings

    from embedstudio.app import main_window as mw
    from embedstudio.vectors import Embedding

    w = mw.MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.session.add_embedding("v", Embedding([f"w{i}" for i in range(500)],
                                           np.random.default_rng(0).standard_normal((500, 8))))
    monkeypatch.setattr(memory, "available_bytes", lambda: 1 << 20)  # 1 MB left
    started = []
    monkeypatch.setattr(w.worker, "start", lambda *a, **k: started.append(a))
    w.map_page.compute_projection("t-SNE")
    assert not started and "not started" in w.errors[-1] and w.map_page.projection.currentText() == "PCA"
