"""The main window, offscreen: drop files, train, watch loss and map, search, neighbours."""

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from embedstudio.app import main_window as mw
from embedstudio.data.vectors_io import read_vectors, write_vectors
from embedstudio.jobs import live
from embedstudio.vectors import Embedding


def drop(widget, *paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def test_dropping_a_corpus_lists_it_with_its_statistics(window, qtbot, topic_file):
    drop(window, topic_file)
    panel = window.workspace.panel
    qtbot.waitUntil(lambda: panel.find("dataset", "topics.txt") is not None, timeout=20000)
    item = panel.find("dataset", "topics.txt")
    assert item.text(1) == "corpus" and item.text(2).endswith("tokens") and "40 vocabulary" in item.toolTip(2)
    assert str(topic_file) in item.text(3)
    assert window.workflow("word2vec").panel.corpus.currentText() == "topics.txt"
    assert str(topic_file) in window.recent_files()


def test_a_broken_file_shows_a_message_and_the_window_keeps_working(window, qtbot, tmp_path, topic_file):
    drop(window, topic_file)
    qtbot.waitUntil(lambda: len(window.session.datasets) == 1, timeout=20000)
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"2 3\nalpha 0.1 0.2 0.3\nbeta 0.1 \xff\xfe 0.3\n")
    drop(window, broken)
    qtbot.waitUntil(lambda: len(window.errors) == 1, timeout=20000)
    assert "broken.txt" in window.errors[0] and "line 3" in window.errors[0]
    assert len(window.session.datasets) == 1  # what was loaded is still there
    good = tmp_path / "good.txt"
    write_vectors(Embedding(["a", "b", "c", "d"], np.eye(4, dtype=np.float32)), good, "word2vec-text")
    drop(window, good)
    qtbot.waitUntil(lambda: len(window.session.datasets) == 2, timeout=20000)
    assert window.map.n_points == 4
    # more bad files while the message is open: they join it as a list, no stack of boxes
    first_box = window._last_message_box
    for k in range(3):
        bad = tmp_path / f"bad{k}.txt"
        bad.write_bytes(b"\x00\x01\x02" * 300)
        drop(window, bad)
    qtbot.wait(3000)
    assert len(window.errors) == 4, window.errors
    assert window._last_message_box is first_box and first_box.isVisible()
    assert first_box.text().startswith("4 problems:") and all(f"bad{k}.txt" in first_box.text() for k in range(3))
    assert sum(isinstance(w, QMessageBox) and w.isVisible() for w in QApplication.topLevelWidgets()) == 1


def test_training_draws_the_loss_and_moves_every_point_on_the_map(window, qtbot, topic_file, monkeypatch):
    page = window.map_page
    training = window.workflow("word2vec").panel
    monkeypatch.setattr(live, "SNAPSHOT_EVERY_S", 0.0)  # a live snapshot at every step
    drop(window, topic_file)
    qtbot.waitUntil(lambda: training.start.isEnabled(), timeout=20000)
    form = training.form.editors
    form["dim"].setValue(16)
    form["epochs"].setValue(3)
    form["min_count"].setValue(1)
    form["chunk_words"].setValue(2000)
    form["threads"].setValue(1)
    training.start.click()
    assert not training.start.isEnabled() and training.cancel.isEnabled()
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=60000)
    qtbot.waitUntil(lambda: window.loss.redraws > 0, timeout=2000)
    assert window.loss.points == 3 * 9  # 18,000 tokens in chunks of 2,000, three epochs
    x, y = window.loss.series()
    assert np.all(np.diff(x) > 0) and np.isfinite(y).all()
    emb = window.session.embedding
    assert window.map.n_points == len(emb) == 40
    assert training.start.isEnabled()
    # search highlights exactly the matching words
    page.search.setText(r"^w1\d$")
    assert sorted(window.map.keys[i] for i in window.map.highlighted) == [f"w{i}" for i in range(10, 20)]
    assert page.search_info.text() == "10 matches"
    # the neighbours table is Embedding.most_similar
    window.neighbors.query.setText("w3")
    rows = window.neighbors.run_query()
    assert rows == emb.most_similar("w3", topn=10)
    table = [window.neighbors.table.item(r, 0).text() for r in range(window.neighbors.table.rowCount())]
    assert table == [w for w, _ in rows]


def test_cancel_and_checkpoint_during_training(window, qtbot, topic_file, tmp_path):
    training = window.workflow("word2vec").panel
    drop(window, topic_file)
    qtbot.waitUntil(lambda: training.start.isEnabled(), timeout=20000)
    form = training.form.editors
    form["epochs"].setValue(2000)
    form["min_count"].setValue(1)
    form["dim"].setValue(16)
    training.start.click()
    qtbot.waitUntil(lambda: window.loss.points > 3, timeout=30000)
    window.runs.request_checkpoint(str(tmp_path / "run.ckpt"))
    qtbot.waitUntil(lambda: window.runs.mailbox.saved is not None, timeout=10000)
    training.cancel.click()
    assert training.start.isEnabled() and training.status.text() == "cancelled"
    from embedstudio.train.base import Checkpoint
    assert Checkpoint.load(tmp_path / "run.ckpt").cursor > 0
    assert window.session.embedding is None  # a cancelled run leaves no half model


def test_export_writes_vectors(window, qtbot, tmp_path):
    src = tmp_path / "v.txt"
    write_vectors(Embedding(["a", "b", "c"], np.arange(6, dtype=np.float32).reshape(3, 2)), src, "word2vec-text")
    drop(window, src)
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=20000)
    window.exports.vectors(str(tmp_path / "out.bin"))
    back = read_vectors(tmp_path / "out.bin")
    assert back.keys == ["a", "b", "c"]


def test_map_labels_search_matches_and_hover_finds_the_point(window, qtbot, tmp_path):
    keys = [f"k{i}" for i in range(30)]
    rng = np.random.default_rng(0)
    src = tmp_path / "v.txt"
    write_vectors(Embedding(keys, rng.standard_normal((30, 5)).astype(np.float32)), src, "word2vec-text")
    drop(window, src)
    qtbot.waitUntil(lambda: window.map.n_points == 30, timeout=20000)
    window.map_page.search.setText("^k2[0-9]$")
    assert {f"k2{i}" for i in range(10)} <= set(window.map.labelled)  # search hits come first
    x, y = window.map.coords[7]
    assert window.map.nearest_point(float(x), float(y)) == 7


def test_a_session_saved_in_one_window_opens_in_another(window, qtbot, tmp_path, topic_file):
    bias_panel = window.workflow("bias").panel
    src = tmp_path / "v.txt"
    vectors = np.random.default_rng(2).standard_normal((6, 3)).astype(np.float32)
    write_vectors(Embedding(list("abcdef"), vectors), src, "word2vec-text")
    drop(window, topic_file, src)
    qtbot.waitUntil(lambda: len(window.session.datasets) == 2, timeout=20000)
    window.map_page.search.setText("^[ab]$")
    window.map.update_coords(np.arange(12, dtype=np.float32).reshape(6, 2))  # e.g. a UMAP layout
    bias_panel.pairs.setPlainText("king queen\nlord lady")  # edited bias lists travel with the session
    bias_panel.y_axis.setText("junior > senior")
    window.save_session(str(tmp_path / "session"))

    other = mw.MainWindow(QSettings(str(tmp_path / "s2.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(other)
    other.open_session(str(tmp_path / "session"))
    qtbot.waitUntil(lambda: other.session.embedding is not None, timeout=20000)
    # the corpus lies outside the session's folder: listed and asked for, not opened silently
    assert len(other.session.datasets) == 0 and other.outside_offer.isVisible()
    assert str(topic_file) in other.outside_offer.text()
    next(b for b in other.outside_offer.buttons() if b.text() == "Open them").click()
    qtbot.waitUntil(lambda: len(other.session.datasets) == 1, timeout=20000)
    assert other.workflow("word2vec").panel.corpus.currentText() == "topics.txt"
    np.testing.assert_array_equal(other.session.embedding.vectors, vectors)
    assert other.map_page.search.text() == "^[ab]$" and len(other.map.highlighted) == 2
    assert other.map.n_points == 6
    np.testing.assert_array_equal(other.map.coords, np.arange(12, dtype=np.float32).reshape(6, 2))
    restored = other.workflow("bias").panel
    assert restored.pairs.toPlainText() == "king queen\nlord lady" and restored.y_axis.text() == "junior > senior"


def test_colour_export_and_projection(window, qtbot, tmp_path, monkeypatch):
    page = window.map_page
    keys = [f"k{i}" for i in range(60)]
    rng = np.random.default_rng(0)
    emb = Embedding(keys, rng.standard_normal((60, 5)).astype(np.float32), counts=np.arange(60, 0, -1),
                    metadata={"kind": ["odd" if i % 2 else "even" for i in range(60)]})
    emb.save(tmp_path / "v.npz")
    drop(window, tmp_path / "v.npz")
    qtbot.waitUntil(lambda: window.map.n_points == 60, timeout=20000)
    assert [page.colour.itemText(i) for i in range(page.colour.count())] == ["none", "frequency", "kind"]
    assert window.map.color_by(emb.metadata["kind"], "categorical") == ["even", "odd"]
    assert window.map.n_points == 60
    legend = window.map.color_by(emb.counts, "continuous")
    assert len(legend) == 8 and window.map.n_points == 60
    window.exports.image(window.map, str(tmp_path / "map.png"), width=800)
    window.exports.image(window.map, str(tmp_path / "map.svg"))
    window.exports.image(window.loss, str(tmp_path / "loss.png"))
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PySide6.QtGui import QImage
    assert QImage(str(tmp_path / "map.png")).width() == 800
    assert b"<svg" in (tmp_path / "map.svg").read_bytes()[:2000]
    window.map.export_coordinates(str(tmp_path / "map.csv"))
    lines = (tmp_path / "map.csv").read_text().splitlines()
    assert lines[0] == "key,x,y" and len(lines) == 61 and lines[1].startswith("k0,")
    # a slow projection runs on the worker and replaces the coordinates when done
    from embedstudio.analysis import projection
    monkeypatch.setattr(projection, "tsne_layout", lambda v, config, progress=None, preview=None: np.tile([[1.0, 2.0]], (len(v), 1)))
    page.compute_projection("t-SNE")
    qtbot.waitUntil(lambda: np.allclose(window.map.coords, [1.0, 2.0]), timeout=10000)


def test_lasso_selection_and_isolate(window, qtbot, tmp_path):
    page = window.map_page
    grid = np.array([[x, y] for x in range(10) for y in range(10)], dtype=np.float32)
    keys = [f"p{i}" for i in range(100)]
    window.session.add_embedding("grid", Embedding(keys, np.hstack([grid, np.zeros((100, 1), np.float32)])))
    window.map.update_coords(grid, autorange=True)
    page.select_mode.setCurrentText("lasso")
    assert window.map.getViewBox().select_mode == "lasso"
    rows = window.map.select_polygon(np.array([[-0.5, -0.5], [3.5, -0.5], [3.5, 1.5], [-0.5, 1.5]]))
    assert sorted(rows) == sorted(i for i, (x, y) in enumerate(grid) if x <= 3 and y <= 1)
    assert page.search_info.text() == "8 points selected"
    page.isolate.click()
    assert window.map.n_points == 8
    far = grid[99]
    assert window.map.nearest_point(float(far[0]), float(far[1])) is None  # hidden points are not hovered
    page.show_all.click()
    assert window.map.n_points == 100


def shown_ticks(axis) -> list[float]:
    """The numbers an axis prints at its ticks (after any SI scaling it applies)."""
    lo, hi = sorted(axis.range)
    levels = axis.tickValues(lo, hi, max(axis.width(), axis.height(), 200))
    values = [v for _, level in levels for v in level]
    return [float(text) for text in axis.tickStrings(values, axis.autoSIPrefixScale, levels[-1][0]) if text]


def test_word_axes_place_words_along_the_chosen_directions(window, qtbot):
    page = window.map_page
    keys = ["man", "woman", "king", "queen", "good", "bad"]
    v = np.array([[1, 0, 0], [-1, 0, 0], [1, 1, 0], [-1, 1, 0], [0, 0, 1], [0, 0, -1]], dtype=np.float32)
    window.session.add_embedding("toy", Embedding(keys, v))
    page.x_axis.setText("man > woman")
    page.y_axis.setText("bad > good, nope")
    page.projection.setCurrentText("word axes")
    page.compute_projection("word axes")
    assert page.axes_row.isVisible()
    c = dict(zip(window.map.keys, window.map.coords.tolist()))
    assert c["woman"][0] > 0 > c["man"][0] and c["queen"][0] > 0 > c["king"][0]
    assert c["good"][1] > 0 > c["bad"][1]
    for side in ("bottom", "left"):  # the ticks read as the cosines they are, not "x0.001" thousands
        ticks = shown_ticks(window.map.getPlotItem().getAxis(side))
        assert ticks and max(abs(t) for t in ticks) <= 1.0, ticks
    assert page.search_info.text() == "not in the vocabulary: nope"
    page.x_axis.setText("man woman")
    page.apply_word_axes()
    assert "low words > high words" in page.search_info.text()


def test_evaluation_from_the_menu_shows_the_numbers_of_the_core(window, qtbot, tmp_path):
    from embedstudio.analysis.evaluate import evaluate_analogies, evaluate_similarity
    from embedstudio.resources import resource

    words = sorted({w for line in resource("eval", "questions-words.txt").read_text().splitlines()
                    if not line.startswith(":") for w in line.lower().split()})[:3000]
    emb = Embedding(words, np.random.default_rng(0).standard_normal((len(words), 8)).astype(np.float32))
    window.session.add_embedding("random", emb)
    sim = tmp_path / "sim.tsv"
    sim.write_text("".join(f"{a}\t{b}\t{i % 7}\n" for i, (a, b) in enumerate(zip(words[:40], words[40:80]))))
    window.workflow("evaluation").evaluate([str(sim)])
    qtbot.waitUntil(lambda: window.workflow("evaluation").dialog is not None, timeout=30000)
    analogy, sims = window.workflow("evaluation").last
    expected = evaluate_analogies(emb, str(resource("eval", "questions-words.txt")), restrict_vocab=30000)
    assert analogy.correct == expected.correct and analogy.total == expected.total
    assert sims[0][1].spearman == evaluate_similarity(emb, str(sim)).spearman
    table = window.workflow("evaluation").dialog.table
    last = [table.item(table.rowCount() - 1, c).text() for c in range(2)]
    assert last == ["similarity · sim.tsv", f"ρ {sims[0][1].spearman:.3f}"]


def test_many_points_draw_a_density_image_that_turns_into_points_when_zoomed(window, qtbot, monkeypatch):
    from embedstudio.app.views.map_view import MapView

    monkeypatch.setattr(MapView, "DENSITY_THRESHOLD", 500)
    rng = np.random.default_rng(0)
    coords = rng.uniform(0, 10, size=(4000, 2)).astype(np.float32)
    keys = [f"p{i}" for i in range(4000)]
    window.map.set_points(keys, coords)
    assert window.map.showing_density and window.map.n_points == 0
    window.map.getViewBox().setRange(xRange=(0, 2), yRange=(0, 2), padding=0)
    window.map._update_display()
    inside = ((coords >= 0) & (coords <= 2)).all(1).sum()
    assert not window.map.showing_density and window.map.n_points == inside


def test_last_training_options_come_back_in_a_new_window(window, qtbot, tmp_path, topic_file):
    training = window.workflow("word2vec").panel
    drop(window, topic_file)
    qtbot.waitUntil(lambda: training.start.isEnabled(), timeout=20000)
    form = training.form.editors
    form["dim"].setValue(12)
    form["epochs"].setValue(1)
    form["min_count"].setValue(1)
    form["method"].setCurrentText("cbow")
    training.start.click()
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=60000)
    again = mw.MainWindow(window.settings)
    qtbot.addWidget(again)
    cfg = again.workflow("word2vec").panel.form.config()
    assert (cfg.dim, cfg.epochs, cfg.method) == (12, 1, "cbow")


def test_projection_panel_passes_its_parameters_and_cancel_drops_the_result(window, qtbot, monkeypatch):
    import threading

    from embedstudio.analysis import projection

    window.session.add_embedding("r", Embedding([f"k{i}" for i in range(50)],
                                                np.random.default_rng(1).standard_normal((50, 4)).astype(np.float32)))
    before = window.map.coords.copy()
    seen, release = [], threading.Event()

    def slow_umap(v, config, init=None):
        seen.append(config)
        release.wait(5)
        return np.zeros((len(v), 2), np.float32)

    monkeypatch.setattr(projection, "umap_layout", slow_umap)
    window.projection_panel.forms["umap"].editors["n_neighbors"].setValue(7)
    window.projection_panel.compute.click()
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=5000)
    assert seen[0].n_neighbors == 7
    assert window.projection_panel.cancel.isEnabled()
    qtbot.waitUntil(lambda: window.job_status.isVisible() and "UMAP" in window.job_status.text.text(), timeout=5000)
    window.job_status.cancel.click()  # the status bar's Cancel is the panel's
    release.set()
    qtbot.wait(300)
    np.testing.assert_array_equal(window.map.coords, before)  # the cancelled result never lands
    assert window.projection_panel.status.text() == "UMAP cancelled" and not window.projection_panel.cancel.isEnabled()


def test_a_t_sne_map_reports_its_iterations_and_stops_when_cancelled(window, qtbot):
    rng = np.random.default_rng(4)
    window.session.add_embedding("r", Embedding([f"k{i}" for i in range(3000)],
                                                rng.standard_normal((3000, 10)).astype(np.float32)))
    before = window.map.coords.copy()
    form = window.projection_panel.forms["tsne"].editors
    form["max_iter"].setValue(10000)
    window.projection_panel.tabs.setCurrentIndex(1)
    window.projection_panel.compute.click()
    # the neighbours first, then iterations, and once some have run, the time left
    qtbot.waitUntil(lambda: window.job_status.eta.text().endswith("left"), timeout=60000)
    assert "iteration" in window.job_status.text.text() and window.job_status.bar.maximum() == 1000
    # the map forms where the user is looking, and the view says it is forming
    qtbot.waitUntil(lambda: "t-SNE forming: iteration" in window.map_page.search_info.text(), timeout=60000)
    assert window.map.coords.shape == before.shape and not np.array_equal(window.map.coords, before)
    window.job_status.cancel.click()
    qtbot.waitUntil(lambda: not window.worker.busy, timeout=20000)  # stopped at its next report, not at 10,000
    np.testing.assert_array_equal(window.map.coords, before)  # the map shown before comes back
    assert "forming" not in window.map_page.search_info.text()
    assert window.map_page.projection.currentText() == "PCA"  # the box names the map that is shown


def test_live_updates_move_the_drawn_points(window):
    rng = np.random.default_rng(3)
    coords = rng.standard_normal((500, 2)).astype(np.float32)
    window.map.set_points([f"p{i}" for i in range(500)], coords)
    item = window.map._groups[0][0]
    window.map.update_coords(coords + 100.0)  # same points, new places: written in place
    x, y = item.getData()
    np.testing.assert_array_equal(x, coords[:, 0] + 100.0)
    assert item.dataBounds(0)[0] == pytest.approx(coords[:, 0].min() + 100.0)
    image_before = window.map.grab().toImage()
    window.map.update_coords(coords)
    window.map.autoRange()
    assert window.map.grab().toImage() != image_before


def test_first_use_hints(window, qtbot, topic_file):
    training = window.workflow("word2vec").panel
    assert window.map.hint.isVisible()
    drop(window, topic_file)
    qtbot.waitUntil(lambda: training.start.isEnabled(), timeout=20000)
    assert training.status.text().startswith("ready")
    window.session.add_embedding("e", Embedding(["a", "b"], np.eye(2, dtype=np.float32)))
    assert not window.map.hint.isVisible()


def test_dropping_the_bundled_sample_corpus_loads_it(window, qtbot):
    from embedstudio.resources import resource

    sample = next(resource("sample").glob("*.txt.gz"))
    drop(window, sample)
    qtbot.waitUntil(lambda: len(window.session.datasets) == 1, timeout=60000)
    stats = window.session.datasets[0].stats
    assert stats["tokens"] > 1_900_000 and stats["vocabulary"] > 10_000
    assert window.workflow("word2vec").panel.start.isEnabled()



def test_a_vectors_file_with_nan_is_refused_and_its_rest_loads_on_request(window, qtbot, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("3 2\na 0.1 0.2\nb nan 0.3\nc 0.4 0.5\n")
    good = tmp_path / "good.txt"
    write_vectors(Embedding(["x", "y"], np.eye(2, dtype=np.float32)), good, "word2vec-text")
    drop(window, bad, good)
    qtbot.waitUntil(lambda: len(window.session.datasets) == 1 and bool(window.errors), timeout=20000)
    assert "bad.txt" in window.errors[0] and "line 3" in window.errors[0] and "'b'" in window.errors[0]
    assert window.session.datasets[0].name == "good.txt"  # the next file of the drop still loaded
    rest = next(b for b in window._last_message_box.buttons() if b.text() == "Load the rest")
    rest.click()
    qtbot.waitUntil(lambda: len(window.session.datasets) == 2, timeout=20000)
    loaded = window.session.embeddings["bad.txt"]
    assert loaded.keys == ["a", "c"] and any("dropped 1 bad row" in n and "'b'" in n for n in window.notices)


def test_a_numeric_failure_in_one_file_never_aborts_the_rest_of_the_drop(window, qtbot, tmp_path, monkeypatch):
    from embedstudio.analysis import projection

    real = projection.pca

    def failing_pca(vectors, n_components=2):
        if len(vectors) == 3:
            raise np.linalg.LinAlgError("Eigenvalues did not converge")
        return real(vectors, n_components)

    monkeypatch.setattr(projection, "pca", failing_pca)
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    write_vectors(Embedding(["a", "b", "c"], np.eye(3, dtype=np.float32)), first, "word2vec-text")
    write_vectors(Embedding(["x", "y"], np.eye(2, dtype=np.float32)), second, "word2vec-text")
    drop(window, first, second)
    qtbot.waitUntil(lambda: len(window.session.datasets) == 1 and bool(window.errors), timeout=20000)
    assert "first.txt" in window.errors[0] and "Eigenvalues did not converge" in window.errors[0]
    assert window.session.datasets[0].name == "second.txt"


@pytest.mark.parametrize("text, line, what", [
    ("3 4\na 0.1 0.2 0.3 0.4\nb 0.1 0.2 0.3\nc 0.1 0.2 0.3 0.4\n", 3, "damaged vectors file"),
    ("1\t2\n3\t4\n5\t6\t7\t8\t9\n", 3, "damaged edge list"),
    ("2 99999999999\na 0.1\n", 1, "damaged vectors file"),
])
def test_a_damaged_numeric_file_dropped_on_the_window_is_reported_not_trained_on(window, qtbot, tmp_path, text,
                                                                                 line, what):
    path = tmp_path / "numbers.txt"
    path.write_text(text)
    drop(window, path)
    qtbot.waitUntil(lambda: bool(window.errors), timeout=20000)
    assert f"line {line}" in window.errors[0] and what in window.errors[0], window.errors[0]
    assert len(window.session.datasets) == 0 and window.workflow("word2vec").panel.corpus.count() == 0


def test_a_gz_file_that_is_not_compressed_opens_with_a_notice(window, qtbot, tmp_path, topic_file):
    plain = tmp_path / "topics.txt.gz"
    plain.write_bytes(topic_file.read_bytes())
    drop(window, plain)
    qtbot.waitUntil(lambda: len(window.session.datasets) == 1, timeout=20000)
    assert any("named .gz but is not compressed" in n for n in window.notices)


def test_a_projector_tsv_opens_with_the_metadata_file_the_user_chooses(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    (tmp_path / "points.tsv").write_text("0.1\t0.2\n0.3\t0.4\n0.5\t0.6\n")
    (tmp_path / "labels-for-points.tsv").write_text("word\tpos\nking\tn\nrun\tv\nred\tadj\n")  # no name match
    answers = iter([str(tmp_path / "points.tsv"), str(tmp_path / "labels-for-points.tsv")])
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (next(answers), ""))
    open_projector = next(a for a in window.menuBar().actions()[0].menu().actions()
                          if a.text() == "Open Projector &TSV with metadata…")
    open_projector.trigger()
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=20000)
    emb = window.session.embedding
    assert emb.keys == ["king", "run", "red"] and emb.metadata["pos"] == ["n", "v", "adj"]
    assert window.map_page.colour.findText("pos") >= 0


def test_a_trained_map_switches_to_umap_by_itself_when_asked(window, qtbot, topic_file, monkeypatch):
    from embedstudio.analysis import projection

    monkeypatch.setattr(projection, "umap_layout", lambda v, config, init=None: np.tile([[3.0, -1.0]], (len(v), 1)))
    window.projection_panel.auto_umap.setChecked(True)
    assert window.settings.value("map/auto_umap", type=bool) is True  # remembered
    drop(window, topic_file)
    training = window.workflow("word2vec").panel
    qtbot.waitUntil(lambda: training.start.isEnabled(), timeout=20000)
    for name, value in (("dim", 8), ("epochs", 1), ("min_count", 1), ("threads", 1)):
        training.form.editors[name].setValue(value)
    training.start.click()
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=60000)
    qtbot.waitUntil(lambda: np.allclose(window.map.coords, [3.0, -1.0]), timeout=20000)
    page = window.map_page
    assert page.projection.currentText() == "UMAP" and "UMAP map of 40 points" in page.search_info.text()
    page.compute_projection("PCA")
    assert not np.allclose(window.map.coords, [3.0, -1.0])
    monkeypatch.setattr(projection, "umap_layout", lambda *a, **k: pytest.fail("the map was made already"))
    page.compute_projection("UMAP")  # the same embedding and settings: the map made after training, at once
    assert np.allclose(window.map.coords, [3.0, -1.0]) and page.projection.currentText() == "UMAP"


def test_a_large_vocabulary_gets_an_approximate_index_in_the_background(window, qtbot, monkeypatch):
    pytest.importorskip("faiss")
    from embedstudio.analysis import ann

    monkeypatch.setattr(ann, "INDEX_FROM", 1000)
    from tests.analysis.test_ann import clustered

    emb = clustered(n=3000, dim=16, centres=60)  # neighbourhoods, as real embeddings have
    exact = emb.most_similar("w1", topn=10)
    window.session.add_embedding("big", emb)
    assert "exact search of 3,000 words" in window.neighbors.search_note.text()
    qtbot.waitUntil(lambda: "approximate index of 3,000 words" in window.neighbors.search_note.text(), timeout=60000)
    assert emb.neighbour_index is not None
    window.neighbors.query.setText("w1")
    assert [k for k, _ in window.neighbors.run_query()] == [k for k, _ in exact]


def test_a_drop_is_always_a_copy_and_glove_is_exported_without_a_header(window, qtbot, tmp_path, monkeypatch):
    from embedstudio.app import exports

    src = tmp_path / "v.txt"
    write_vectors(Embedding(["a", "b", "c"], np.eye(3, dtype=np.float32)), src, "word2vec-text")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(src))])
    pos = QPointF(window.width() / 2, window.height() / 2)
    both = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction  # a file manager offers both; Shift proposes a move
    enter = QDragEnterEvent(pos.toPoint(), both, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.ShiftModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted() and enter.dropAction() == Qt.DropAction.CopyAction
    event = QDropEvent(pos, both, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.ShiftModifier)
    QApplication.sendEvent(window, event)
    assert event.isAccepted() and event.dropAction() == Qt.DropAction.CopyAction  # the file manager keeps its file
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=20000)
    out = tmp_path / "out.txt"
    monkeypatch.setattr(exports.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(out), "GloVe, no header line (*.txt)"))
    window.exports.vectors_dialog()
    assert out.read_text().splitlines()[0].split()[0] == "a"  # GloVe: the first line is a vector, not "3 3"
