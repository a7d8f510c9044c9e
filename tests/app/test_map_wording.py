"""What the map says: round legend bins, counts in the right number, and t-SNE named in its own messages."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("PySide6")

from embedstudio.app.views.map_view import legend_bins  # noqa: E402
from embedstudio.vectors import Embedding  # noqa: E402


def zipf_counts(n=20000, top=2e8):
    return np.maximum(5, (top / np.arange(1, n + 1) ** 1.1).astype(np.int64))


def test_the_frequency_legend_has_round_whole_number_bins_that_do_not_overlap():
    counts = zipf_counts()
    bins, labels = legend_bins(counts)
    assert 4 <= len(labels) <= 8
    assert all("e+" not in t and "." not in t for t in labels)  # no 1.23e+03, no 8.38
    assert labels[-1] == "≥ 37,000"  # round, thousands separated (the quantile itself is 36,9xx)
    ranges = [tuple(int(x.replace(",", "")) for x in t.split("–")) for t in labels[:-1] if "–" in t]
    for (_, hi), (lo, _) in zip(ranges, ranges[1:]):
        assert lo == hi + 1  # each bin starts where the one before ended: no shared bound, no gap
    for b, text in enumerate(labels):  # every count lies in the bin its label names
        inside = counts[bins == b]
        if "–" in text:
            lo, hi = (int(x.replace(",", "")) for x in text.split("–"))
            assert inside.min() >= lo and inside.max() <= hi
        elif text.startswith("≥ "):
            assert inside.min() >= int(text[2:].replace(",", ""))
        else:
            assert set(inside.tolist()) == {int(text.replace(",", ""))}


def test_legend_bins_of_fractions_and_of_one_value():
    rng = np.random.default_rng(0)
    bins, labels = legend_bins(rng.random(1000))
    assert len(labels) == 8 and labels[0].startswith("0") and labels[-1].endswith(" – 1")
    assert all(len(part) <= 6 for t in labels for part in t.split(" – "))  # 0.27, never 0.2718281
    assert legend_bins(np.full(10, 7))[1] == ["7"]


def test_the_map_legend_and_counts_read_as_text(window, qtbot):
    counts = zipf_counts(500)
    keys = [f"w{i}" for i in range(500)]
    emb = Embedding(keys, np.random.default_rng(0).standard_normal((500, 4)).astype(np.float32), counts=counts)
    window.session.add_embedding("zipf", emb)
    page = window.map_page
    page.colour_by("frequency")
    legend = [label.text for _, label in window.map._legend.items]
    assert legend == legend_bins(counts)[1]
    assert any("≥" in text for text in legend) and not any("e+" in text for text in legend)
    page.search.setText("^w17$")
    assert page.search_info.text() == "1 match"
    page.search.setText("^w1[0-9]$")
    assert page.search_info.text() == "10 matches"
    x, y = window.map.coords[3]
    window.map.select_polygon(np.array([[x - 1e-6, y - 1e-6], [x + 1e-6, y - 1e-6], [x + 1e-6, y + 1e-6],
                                        [x - 1e-6, y + 1e-6]]))
    assert page.search_info.text() == "1 point selected"


def slow_tsne(started: threading.Event):
    """A t-SNE that reports its iterations like openTSNE's and stops when asked (the job's own wrapper
    and messages are the real ones)."""
    def layout(vectors, config, progress=None, preview=None):
        started.set()
        for done in range(0, 10_000, 50):
            if progress is not None and progress(done, 10_000):
                return None
            threading.Event().wait(0.01)
        return np.zeros((len(vectors), 2), np.float32)
    return layout


def test_every_message_of_a_t_sne_map_names_t_sne(window, qtbot, monkeypatch):
    from embedstudio.analysis import projection

    started = threading.Event()
    monkeypatch.setattr(projection, "tsne_layout", slow_tsne(started))
    keys = [f"w{i}" for i in range(300)]
    window.session.add_embedding("e", Embedding(keys, np.random.default_rng(1).standard_normal((300, 8))
                                                .astype(np.float32)))
    panel, status = window.projection_panel, window.job_status
    said = []
    window.worker.job_progress.connect(lambda *_: said.extend([status.text.toolTip(), panel.status.text()]))
    window.map_page.projection.setCurrentText("t-SNE")
    window.map_page.compute_projection("t-SNE")
    said.append(panel.status.text())
    assert said[-1] == "computing t-SNE of 300 points…"
    qtbot.waitUntil(lambda: len(said) > 6, timeout=20000)
    assert all("t-SNE" in text for text in said) and not any("UMAP" in text for text in said), said
    assert any("iteration" in text for text in said)

    panel.cancel.click()  # mid-run
    assert panel.status.text() == "t-SNE cancelled"
    assert window.map_page.projection.currentText() == "PCA"  # the map shown before


def test_t_sne_asked_for_while_training_says_so(window, qtbot, monkeypatch):
    keys = [f"w{i}" for i in range(30)]
    window.session.add_embedding("e", Embedding(keys, np.eye(30, 4, dtype=np.float32) + 0.01))
    monkeypatch.setattr(type(window.runs), "running", property(lambda self: True))
    window.map_page.projection.setCurrentText("t-SNE")
    window.map_page.compute_projection("t-SNE")
    assert window.projection_panel.status.text() == "t-SNE can be computed once training has finished"
    assert window.map_page.projection.currentText() == "PCA"  # the box names the map still shown
    assert window.worker.job is None
