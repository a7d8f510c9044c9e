"""The main window, offscreen: drop files, train, watch loss and map, search, neighbours."""

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from embedstudio.app import main_window as mw  # noqa: E402
from embedstudio.data.vectors_io import read_vectors, write_vectors  # noqa: E402
from embedstudio.vectors import Embedding  # noqa: E402


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
    qtbot.waitUntil(lambda: window.data_list.count() == 1, timeout=20000)
    text = window.data_list.item(0).text()
    assert "topics.txt" in text and "[corpus]" in text and "40 vocabulary" in text
    assert window.training.corpus.currentText() == "topics.txt"
    assert str(topic_file) in window.recent_files()


def test_a_broken_file_shows_a_message_and_the_window_keeps_working(window, qtbot, tmp_path, topic_file):
    drop(window, topic_file)
    qtbot.waitUntil(lambda: window.data_list.count() == 1, timeout=20000)
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"2 3\nalpha 0.1 0.2 0.3\nbeta 0.1 \xff\xfe 0.3\n")
    drop(window, broken)
    qtbot.waitUntil(lambda: len(window.errors) == 1, timeout=20000)
    assert "broken.txt" in window.errors[0] and "line 3" in window.errors[0]
    assert window.data_list.count() == 1  # what was loaded is still there
    good = tmp_path / "good.txt"
    write_vectors(Embedding(["a", "b", "c", "d"], np.eye(4, dtype=np.float32)), good, "word2vec-text")
    drop(window, good)
    qtbot.waitUntil(lambda: window.data_list.count() == 2, timeout=20000)
    assert window.map.n_points == 4


def test_training_draws_the_loss_and_moves_every_point_on_the_map(window, qtbot, topic_file, monkeypatch):
    monkeypatch.setattr(mw, "SNAPSHOT_EVERY_S", 0.0)  # a live snapshot at every step
    drop(window, topic_file)
    qtbot.waitUntil(lambda: window.training.start.isEnabled(), timeout=20000)
    form = window.training.form.editors
    form["dim"].setValue(16)
    form["epochs"].setValue(3)
    form["min_count"].setValue(1)
    form["chunk_words"].setValue(2000)
    form["threads"].setValue(1)
    window.training.start.click()
    assert not window.training.start.isEnabled() and window.training.cancel.isEnabled()
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=60000)
    qtbot.waitUntil(lambda: window.loss.redraws > 0, timeout=2000)
    assert window.loss.points == 3 * 9  # 18,000 tokens in chunks of 2,000, three epochs
    x, y = window.loss.series()
    assert np.all(np.diff(x) > 0) and np.isfinite(y).all()
    emb = window.session.embedding
    assert window.map.n_points == len(emb) == 40
    assert window.training.start.isEnabled()
    # search highlights exactly the matching words
    window.search.setText(r"^w1\d$")
    assert sorted(window.map.keys[i] for i in window.map.highlighted) == [f"w{i}" for i in range(10, 20)]
    assert window.search_info.text() == "10 matches"
    # the neighbours table is Embedding.most_similar
    window.neighbors.query.setText("w3")
    rows = window.neighbors.run_query()
    assert rows == emb.most_similar("w3", topn=10)
    table = [window.neighbors.table.item(r, 0).text() for r in range(window.neighbors.table.rowCount())]
    assert table == [w for w, _ in rows]


def test_cancel_and_checkpoint_during_training(window, qtbot, topic_file, tmp_path):
    drop(window, topic_file)
    qtbot.waitUntil(lambda: window.training.start.isEnabled(), timeout=20000)
    form = window.training.form.editors
    form["epochs"].setValue(2000)
    form["min_count"].setValue(1)
    form["dim"].setValue(16)
    window.training.start.click()
    qtbot.waitUntil(lambda: window.loss.points > 3, timeout=30000)
    window.request_checkpoint(str(tmp_path / "run.ckpt"))
    qtbot.waitUntil(lambda: window.checkpoints.saved is not None, timeout=10000)
    window.training.cancel.click()
    assert window.training.start.isEnabled() and window.training.status.text() == "cancelled"
    from embedstudio.train.base import Checkpoint
    assert Checkpoint.load(tmp_path / "run.ckpt").cursor > 0
    assert window.session.embedding is None  # a cancelled run leaves no half model


def test_export_writes_vectors(window, qtbot, tmp_path):
    src = tmp_path / "v.txt"
    write_vectors(Embedding(["a", "b", "c"], np.arange(6, dtype=np.float32).reshape(3, 2)), src, "word2vec-text")
    drop(window, src)
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=20000)
    window.export_vectors(str(tmp_path / "out.bin"))
    back = read_vectors(tmp_path / "out.bin")
    assert back.keys == ["a", "b", "c"]


def test_map_labels_search_matches_and_hover_finds_the_point(window, qtbot, tmp_path):
    keys = [f"k{i}" for i in range(30)]
    rng = np.random.default_rng(0)
    src = tmp_path / "v.txt"
    write_vectors(Embedding(keys, rng.standard_normal((30, 5)).astype(np.float32)), src, "word2vec-text")
    drop(window, src)
    qtbot.waitUntil(lambda: window.map.n_points == 30, timeout=20000)
    window.search.setText("^k2[0-9]$")
    labelled = {window.map.keys[i] for i in window.map.label_rows()}
    assert {f"k2{i}" for i in range(10)} <= labelled
    x, y = window.map.coords[7]
    assert window.map.nearest_point(float(x), float(y)) == 7


def test_a_session_saved_in_one_window_opens_in_another(window, qtbot, tmp_path, topic_file):
    src = tmp_path / "v.txt"
    vectors = np.random.default_rng(2).standard_normal((6, 3)).astype(np.float32)
    write_vectors(Embedding(list("abcdef"), vectors), src, "word2vec-text")
    drop(window, topic_file, src)
    qtbot.waitUntil(lambda: window.data_list.count() == 2, timeout=20000)
    window.search.setText("^[ab]$")
    window.map.update_coords(np.arange(12, dtype=np.float32).reshape(6, 2))  # e.g. a UMAP layout
    window.bias.pairs.setPlainText("king queen\nlord lady")  # edited bias lists travel with the session
    window.bias.y_axis.setText("junior > senior")
    window.save_session(str(tmp_path / "session"))

    other = mw.MainWindow(QSettings(str(tmp_path / "s2.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(other)
    other.open_session(str(tmp_path / "session"))
    qtbot.waitUntil(lambda: other.session.embedding is not None, timeout=20000)
    assert other.data_list.count() == 1 and other.training.corpus.currentText() == "topics.txt"
    np.testing.assert_array_equal(other.session.embedding.vectors, vectors)
    assert other.search.text() == "^[ab]$" and len(other.map.highlighted) == 2
    assert other.map.n_points == 6
    np.testing.assert_array_equal(other.map.coords, np.arange(12, dtype=np.float32).reshape(6, 2))
    assert other.bias.pairs.toPlainText() == "king queen\nlord lady" and other.bias.y_axis.text() == "junior > senior"


def test_colour_export_and_projection(window, qtbot, tmp_path, monkeypatch):
    keys = [f"k{i}" for i in range(60)]
    rng = np.random.default_rng(0)
    emb = Embedding(keys, rng.standard_normal((60, 5)).astype(np.float32), counts=np.arange(60, 0, -1),
                    metadata={"kind": ["odd" if i % 2 else "even" for i in range(60)]})
    emb.save(tmp_path / "v.npz")
    drop(window, tmp_path / "v.npz")
    qtbot.waitUntil(lambda: window.map.n_points == 60, timeout=20000)
    assert [window.colour.itemText(i) for i in range(window.colour.count())] == ["none", "frequency", "kind"]
    assert window.map.color_by(emb.metadata["kind"], "categorical") == ["even", "odd"]
    assert window.map.n_points == 60
    legend = window.map.color_by(emb.counts, "continuous")
    assert len(legend) == 8 and window.map.n_points == 60
    window.export_image(window.map, str(tmp_path / "map.png"), width=800)
    window.export_image(window.map, str(tmp_path / "map.svg"))
    window.export_image(window.loss, str(tmp_path / "loss.png"))
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PySide6.QtGui import QImage
    assert QImage(str(tmp_path / "map.png")).width() == 800
    assert b"<svg" in (tmp_path / "map.svg").read_bytes()[:2000]
    window.map.export_coordinates(str(tmp_path / "map.csv"))
    lines = (tmp_path / "map.csv").read_text().splitlines()
    assert lines[0] == "key,x,y" and len(lines) == 61 and lines[1].startswith("k0,")
    # a slow projection runs on the worker and replaces the coordinates when done
    from embedstudio.analysis import projection
    monkeypatch.setattr(projection, "project", lambda v, method, config: np.tile([[1.0, 2.0]], (len(v), 1)))
    window.compute_projection("t-SNE")
    qtbot.waitUntil(lambda: np.allclose(window.map.coords, [1.0, 2.0]), timeout=10000)


def test_lasso_selection_and_isolate(window, qtbot, tmp_path):
    grid = np.array([[x, y] for x in range(10) for y in range(10)], dtype=np.float32)
    keys = [f"p{i}" for i in range(100)]
    window.session.add_embedding("grid", Embedding(keys, np.hstack([grid, np.zeros((100, 1), np.float32)])))
    window.map.update_coords(grid, autorange=True)
    window.select_mode.setCurrentText("lasso")
    assert window.map.getViewBox().select_mode == "lasso"
    rows = window.map.select_polygon(np.array([[-0.5, -0.5], [3.5, -0.5], [3.5, 1.5], [-0.5, 1.5]]))
    assert sorted(rows) == sorted(i for i, (x, y) in enumerate(grid) if x <= 3 and y <= 1)
    assert window.search_info.text() == "8 points selected"
    window.isolate.click()
    assert window.map.n_points == 8
    far = grid[99]
    assert window.map.nearest_point(float(far[0]), float(far[1])) is None  # hidden points are not hovered
    window.show_all.click()
    assert window.map.n_points == 100


def test_word_axes_place_words_along_the_chosen_directions(window, qtbot):
    keys = ["man", "woman", "king", "queen", "good", "bad"]
    v = np.array([[1, 0, 0], [-1, 0, 0], [1, 1, 0], [-1, 1, 0], [0, 0, 1], [0, 0, -1]], dtype=np.float32)
    window.session.add_embedding("toy", Embedding(keys, v))
    window.x_axis.setText("man > woman")
    window.y_axis.setText("bad > good, nope")
    window.projection.setCurrentText("word axes")
    window.compute_projection("word axes")
    assert window.axes_row.isVisible()
    c = dict(zip(window.map.keys, window.map.coords.tolist()))
    assert c["woman"][0] > 0 > c["man"][0] and c["queen"][0] > 0 > c["king"][0]
    assert c["good"][1] > 0 > c["bad"][1]
    assert window.search_info.text() == "not in the vocabulary: nope"
    window.x_axis.setText("man woman")
    window.apply_word_axes()
    assert "low words > high words" in window.search_info.text()


def test_evaluation_from_the_menu_shows_the_numbers_of_the_core(window, qtbot, tmp_path):
    from embedstudio.analysis.evaluate import evaluate_analogies, evaluate_similarity
    from embedstudio.resources import resource

    words = sorted({w for line in resource("eval", "questions-words.txt").read_text().splitlines()
                    if not line.startswith(":") for w in line.lower().split()})[:3000]
    emb = Embedding(words, np.random.default_rng(0).standard_normal((len(words), 8)).astype(np.float32))
    window.session.add_embedding("random", emb)
    sim = tmp_path / "sim.tsv"
    sim.write_text("".join(f"{a}\t{b}\t{i % 7}\n" for i, (a, b) in enumerate(zip(words[:40], words[40:80]))))
    window.evaluate([str(sim)])
    qtbot.waitUntil(lambda: getattr(window, "evaluation_dialog", None) is not None, timeout=30000)
    analogy, sims = window.last_evaluation
    expected = evaluate_analogies(emb, str(resource("eval", "questions-words.txt")), restrict_vocab=30000)
    assert analogy.correct == expected.correct and analogy.total == expected.total
    assert sims[0][1].spearman == evaluate_similarity(emb, str(sim)).spearman
    table = window.evaluation_dialog.table
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
    drop(window, topic_file)
    qtbot.waitUntil(lambda: window.training.start.isEnabled(), timeout=20000)
    form = window.training.form.editors
    form["dim"].setValue(12)
    form["epochs"].setValue(1)
    form["min_count"].setValue(1)
    form["method"].setCurrentText("cbow")
    window.training.start.click()
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=60000)
    again = mw.MainWindow(window.settings)
    qtbot.addWidget(again)
    cfg = again.training.form.config()
    assert (cfg.dim, cfg.epochs, cfg.method) == (12, 1, "cbow")


def test_projection_panel_passes_its_parameters_and_cancel_drops_the_result(window, qtbot, monkeypatch):
    import threading

    from embedstudio.analysis import projection

    window.session.add_embedding("r", Embedding([f"k{i}" for i in range(50)],
                                                np.random.default_rng(1).standard_normal((50, 4)).astype(np.float32)))
    before = window.map.coords.copy()
    seen, release = [], threading.Event()

    def slow_project(v, method, config):
        seen.append((method, config))
        release.wait(5)
        return np.zeros((len(v), 2), np.float32)

    monkeypatch.setattr(projection, "project", slow_project)
    window.projection_panel.forms["umap"].editors["n_neighbors"].setValue(7)
    window.projection_panel.compute.click()
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=5000)
    assert seen[0][0] == "umap" and seen[0][1].n_neighbors == 7
    assert window.projection_panel.cancel.isEnabled()
    window.projection_panel.cancel.click()
    release.set()
    qtbot.wait(300)
    np.testing.assert_array_equal(window.map.coords, before)  # the cancelled result never lands
    assert window.projection_panel.status.text() == "cancelled"


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
    assert window.map.hint.isVisible()
    drop(window, topic_file)
    qtbot.waitUntil(lambda: window.training.start.isEnabled(), timeout=20000)
    assert window.training.status.text().startswith("ready")
    window.session.add_embedding("e", Embedding(["a", "b"], np.eye(2, dtype=np.float32)))
    assert not window.map.hint.isVisible()


def test_dropping_the_bundled_sample_corpus_loads_it(window, qtbot):
    from embedstudio.resources import resource

    sample = next(resource("sample").glob("*.txt.gz"))
    drop(window, sample)
    qtbot.waitUntil(lambda: window.data_list.count() == 1, timeout=60000)
    stats = window.session.datasets[0].stats
    assert stats["tokens"] > 1_900_000 and stats["vocabulary"] > 10_000
    assert window.training.start.isEnabled()


def test_a_hierarchy_trains_into_the_poincare_disk(window, qtbot, monkeypatch):
    from embedstudio.resources import resource

    monkeypatch.setattr(mw, "SNAPSHOT_EVERY_S", 0.0)
    window.open_hierarchy(str(resource("sample", "mammal_closure.tsv")))
    qtbot.waitUntil(lambda: window.poincare.start.isEnabled(), timeout=20000)
    assert window.training.corpus.count() == 0  # a hierarchy is not offered as a text corpus
    form = window.poincare.form.editors
    form["dim"].setValue(2)
    form["epochs"].setValue(15)
    form["burn_in"].setValue(5)
    form["threads"].setValue(1)
    window.poincare.start.click()
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=60000)
    emb = window.session.embedding
    assert emb.geometry == "poincare" and len(emb) == 1180
    assert window.views.currentIndex() == 1 and window.loss.points > 0
    assert sum(len(rows) for _, rows in window.disk._groups) == 1180
    assert 1179 <= len(window.disk.edges) < 6540  # the direct links, not the whole closure
    assert "exactly" in window.disk_note.text()
    mammal = emb.index("mammal.n.01")
    window.disk.recentre_on(mammal, animate=False)
    np.testing.assert_allclose(window.disk.shown[mammal], 0, atol=1e-6)
    window.search.setText("^primate")  # the search box reaches the disk too
    assert [window.disk.names[i] for i in window.disk.highlighted] == ["primate.n.02"]
    window.disk_colour.setCurrentText("subtree")  # the disk is centred on mammal: its subtrees coloured
    assert window.disk.colour_mode == "subtree" and len(window.disk.legend) == 4  # mammal has 4 children
    assert "placental.n.01" in window.disk_legend.text()
    placental = emb.index("placental.n.01")
    window.disk.recentre_on(placental, animate=False)  # browsing re-colours by the new centre's subtrees
    assert all(name != "placental.n.01" for name, _ in window.disk.legend)
    assert sum(len(rows) for _, rows in window.disk._groups) == 1180
    window.disk_colour.setCurrentText("depth")
    assert window.disk.legend == []
    window.export_image(window.disk, str(window.settings.fileName()) + ".disk.svg")
    assert b"<svg" in open(window.settings.fileName() + ".disk.svg", "rb").read(3000)


def test_an_edge_list_trains_into_a_map_coloured_by_type_and_predicts_links(window, qtbot, tmp_path, monkeypatch):
    from tests.train.test_graph import cluster_of, planted_graph

    monkeypatch.setattr(mw, "SNAPSHOT_EVERY_S", 0.0)
    graph = planted_graph(tmp_path, typed=True)
    drop(window, graph.path)
    qtbot.waitUntil(lambda: window.graph.start.isEnabled(), timeout=20000)
    text = window.data_list.item(0).text()
    assert "[edgelist]" in text and "480 entities" in text and "3 relations" in text and "2 types" in text
    form = window.graph.form.editors
    form["dim"].setValue(16)
    form["epochs"].setValue(15)
    form["batch_size"].setValue(100)
    form["batch_negatives"].setValue(20)
    form["uniform_negatives"].setValue(20)
    form["threads"].setValue(1)
    window.graph.start.click()
    qtbot.waitUntil(lambda: window.graph_model is not None, timeout=60000)
    assert window.loss.points > 0 and window.map.n_points == 480
    assert window.colour.currentText() == "type"
    assert "filtered MRR" in window.links.info.text()
    window.links.entity.setText("user:u0")
    window.links.relation.setCurrentText("r1")
    rows = window.links.run_query()
    assert len(rows) == 10 and all(name.startswith("item:") for _, name, _, _ in rows)
    # u0 is in cluster 0: relation r1 points to cluster 0 XOR 1
    model = window.graph_model
    assert all(cluster_of(graph, [model.embedding.index(name)])[0] == 1 for _, name, _, _ in rows[:5])
    assert window.links.table.rowCount() == 10
    window.save_session(str(tmp_path / "session"))  # the relation operators survive a saved session
    other = mw.MainWindow(QSettings(str(tmp_path / "s2.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(other)
    other.open_session(str(tmp_path / "session"))
    qtbot.waitUntil(lambda: other.graph_model is not None, timeout=20000)
    other.links.entity.setText("user:u0")
    other.links.relation.setCurrentText("r1")
    assert [name for _, name, _, _ in other.links.run_query()] == [name for _, name, _, _ in rows]


def test_dropping_a_pytorch_biggraph_checkpoint_folder_opens_it_for_link_prediction(window, qtbot, tmp_path):
    from embedstudio.data.pbg import export_pbg
    from tests.data.test_pbg import fake_checkpoint, typed_graph

    graph = typed_graph()
    folder = tmp_path / "pbg"
    export_pbg(graph, folder)
    ckpt, vectors, _ = fake_checkpoint(folder, np.random.default_rng(0), dim=6, operator="diagonal")
    drop(window, ckpt)
    qtbot.waitUntil(lambda: window.graph_model is not None, timeout=20000)
    assert "[pbg-checkpoint]" in window.data_list.item(0).text()
    assert window.map.n_points == len(graph.names)
    np.testing.assert_allclose(window.session.embedding.vectors, vectors, rtol=1e-6)
    window.links.entity.setText(graph.names[0])
    assert window.links.run_query()  # the imported relations score candidates


def test_the_bias_panel_audits_debiases_and_exports_the_report(window, qtbot, tmp_path):
    from tests.analysis.test_bias import planted, planted_preset

    emb, _, _ = planted()
    path = tmp_path / "planted.txt"
    write_vectors(emb, path, "word2vec-text")
    drop(window, path)
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=20000)
    window.bias.preset = None
    from embedstudio.analysis.audit import load_preset

    preset = load_preset(planted_preset(tmp_path))
    window.bias.preset = preset
    window.bias.pairs.setPlainText("\n".join(f"{a} {b}" for a, b in preset.definitional_pairs))
    window.bias.neutral.setPlainText(" ".join(preset.neutral_words))
    window.bias.equalize.setPlainText("\n".join(f"{a} {b}" for a, b in preset.equalize_pairs))
    window.bias.y_axis.setText("w0, w1 > w2, w3")  # a two-axis plot: a second direction on y
    window.bias.audit.click()
    qtbot.waitUntil(lambda: window.audit_result is not None, timeout=60000)
    assert window.audit_result[0].y_axis["low"] == ["w0", "w1"]
    ys = window.bias._before.data["y"]
    assert not np.allclose(np.diff(ys), np.diff(ys)[0])  # y comes from the second direction, not the rank
    result, _ = window.audit_result
    assert "explains" in window.bias.summary.text() and "Gonen" in window.bias.summary.text()
    assert "Not in the vocabulary (neutral words): unknownword" in window.bias.summary.text()  # flagged, not dropped
    assert window.bias.table.item(0, 0).text().startswith("DirectBias")
    assert window.bias.find("^w1[0-2]$") == sorted(["w10", "w11", "w12"], key=[w for w, _ in
                                                    result.before.most_biased].index)  # search marks words
    ranked = [float(window.bias.words.item(r, 1).text()) for r in range(window.bias.words.rowCount())]
    assert len(ranked) == 100 and ranked == sorted(ranked)  # the neutral words ranked on the direction
    assert float(window.bias.table.item(0, 2).text()) < 1e-4  # after hard debiasing
    assert len(window.bias._before.data) == 100 and len(window.bias._after.data) == 100  # neutral words, both states
    assert any("debiased" in name for name in window.session.embeddings)
    assert window.session.embedding is not None and "debiased" not in window.session.current  # the original stays
    window.export_audit_report(str(tmp_path / "audit.html"))
    text = (tmp_path / "audit.html").read_text()
    assert "<svg" in text and "DirectBias" in text and (tmp_path / "audit.json").exists()
    window.audit_result = None
    window.bias.pairs.setPlainText("m0, m1, m2 > f0, f1, f2")  # a direction between two word sets instead
    window.bias.audit.click()
    qtbot.waitUntil(lambda: window.audit_result is not None, timeout=60000)
    assert "centroids of two word sets" in window.bias.summary.text()
    assert window.audit_result[0].parameters["direction_sets"] == (["m0", "m1", "m2"], ["f0", "f1", "f2"])


def test_labelled_documents_train_tagspace_and_the_tag_panel_ranks_the_right_tag_first(window, qtbot, tmp_path,
                                                                                       monkeypatch):
    from tests.train.test_starspace import planted_docs

    monkeypatch.setattr(mw, "SNAPSHOT_EVERY_S", 0.0)
    path = planted_docs(tmp_path / "docs.txt", 1500, 0)
    drop(window, path)
    qtbot.waitUntil(lambda: window.starspace.start.isEnabled(), timeout=20000)
    text = window.data_list.item(0).text()
    assert "[labelled]" in text and "1,500 documents" in text and "8 labels" in text
    form = window.starspace.form.editors
    form["dim"].setValue(16)
    form["threads"].setValue(1)
    window.starspace.start.click()
    qtbot.waitUntil(lambda: window.space_model is not None, timeout=60000)
    assert window.loss.points > 0
    assert window.map.n_points == len(window.space_model.words) + 8
    assert window.colour.currentText() == "kind"  # words and labels in different colours
    assert "P@1" in window.space.info.text()
    # a test document of the synthetic set: three words of topic 5 among noise words
    window.space.text.setPlainText("n12 t5_3 n200 t5_9 n7 t5_0 n33")
    assert window.space.table.rowCount() == 8  # every label, best first
    assert window.space.table.item(0, 0).text() == "c5"
    window.space.text.setPlainText("t2_4 t2_11 n5")
    assert window.space.table.item(0, 0).text() == "c2"
    window.space.table.cellClicked.emit(0, 0)  # a label row shows the label on the map
    assert window.map.keys[window.map.selected] == "__label__c2"
    window.save_session(str(tmp_path / "session"))  # the model survives a saved session
    other = mw.MainWindow(QSettings(str(tmp_path / "s2.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(other)
    other.open_session(str(tmp_path / "session"))
    qtbot.waitUntil(lambda: other.space_model is not None, timeout=20000)
    other.space.text.setPlainText("t2_4 t2_11 n5")
    assert other.space.table.item(0, 0).text() == "c2"


def test_user_items_train_pagespace_recommendations_beat_popularity(window, qtbot, tmp_path, monkeypatch):
    from tests.train.test_starspace import community_users

    monkeypatch.setattr(mw, "SNAPSHOT_EVERY_S", 0.0)
    path = community_users(tmp_path / "follows.txt")
    window.open_user_items(str(path))
    qtbot.waitUntil(lambda: window.starspace.start.isEnabled(), timeout=20000)
    assert "[user-items]" in window.data_list.item(0).text()
    form = window.starspace.form.editors
    form["dim"].setValue(16)
    form["epochs"].setValue(10)
    form["lr"].setText("0.05")
    form["threads"].setValue(1)
    window.starspace.start.click()
    qtbot.waitUntil(lambda: window.space_model is not None, timeout=60000)
    assert window.space_model.mode == "pagespace"  # chosen by the data, whatever the form said
    assert "popularity" in window.space.info.text()
    window.space.user.setText("user7")  # community 1: items g1_*
    rows = window.space.recommend_for_user()
    assert len(rows) == 10 and sum(name.startswith("g1_") for name, _ in rows[:4]) >= 3
    window.space.item.setText("g3_2")
    near = window.space.nearest_items()
    assert sum(name.startswith("g3_") for name, _ in near[:5]) >= 4


def test_extrinsic_panel_compares_embeddings_with_the_same_classifier(window, qtbot, tmp_path):
    from tests.train.test_starspace import planted_docs

    path = planted_docs(tmp_path / "docs.txt", 400, 0)
    drop(window, path)
    qtbot.waitUntil(lambda: window.extrinsic.dataset.count() == 1, timeout=20000)
    docs = window.session.datasets[0].data
    rng = np.random.default_rng(0)
    # "informed": a word's vector points to its topic; "random": the same words, random vectors
    informed = np.zeros((len(docs.words), 8), np.float32)
    for i, w in enumerate(docs.words):
        informed[i] = rng.standard_normal(8) * 0.1
        if w.startswith("t"):
            informed[i, int(w[1:].split("_")[0])] += 1.0
    window.session.add_embedding("informed", Embedding(docs.words, informed))
    window.session.add_embedding("random", Embedding(docs.words, rng.standard_normal((len(docs.words), 8))))
    assert window.extrinsic.chosen_embeddings() == ["informed", "random"]
    window.show_extrinsic_panel()
    window.extrinsic.run.click()
    qtbot.waitUntil(lambda: window.extrinsic.result is not None, timeout=60000)
    rows = {r["name"]: r for r in window.extrinsic.result.rows()}
    assert rows["informed"]["accuracy"] > rows["random"]["accuracy"] + 0.3
    assert window.extrinsic.table.rowCount() == 2 and "Best: informed" in window.extrinsic.status.text()
    window.extrinsic.grab().save(str(tmp_path / "extrinsic.png"))


def test_a_smaller_embedding_replaces_a_coloured_one_on_the_map(window, qtbot):
    """Colour groups hold rows of the points they were made for: a new, smaller embedding must not reuse them."""
    rng = np.random.default_rng(1)
    kinds = ["word"] * 300 + ["label"] * 20
    window.session.add_embedding("big", Embedding([f"k{i}" for i in range(320)], rng.standard_normal((320, 4)),
                                                  metadata={"kind": kinds}))
    window.colour.setCurrentText("kind")
    window.apply_colour("kind")
    window.search.setText("^k3")
    window.session.add_embedding("small", Embedding([f"s{i}" for i in range(50)], rng.standard_normal((50, 4))))
    assert window.map.n_points == 50 and window.map.keys[0] == "s0"


def test_the_window_fits_a_laptop_screen(window):
    """Docks are added stacked and then tabified: the minimum must be the final layout's, not the stacked one."""
    assert window.minimumSize().height() <= 768 and window.minimumSize().width() <= 1366
    window.resize(1300, 760)
    assert window.height() <= 768


def test_the_extrinsic_panel_classifies_the_nodes_of_a_typed_graph_by_type(window, qtbot, tmp_path):
    from tests.train.test_graph import planted_graph

    graph = planted_graph(tmp_path, typed=True)
    drop(window, graph.path)
    qtbot.waitUntil(lambda: window.extrinsic.dataset.count() == 1, timeout=20000)
    assert window.extrinsic.dataset.currentText().endswith("(entity types)")
    g = window.session.datasets[0].data
    rng = np.random.default_rng(0)
    informed = rng.standard_normal((g.n_entities, 6)).astype(np.float32) * 0.1
    informed[:, 0] += np.asarray(g.entity_type, dtype=np.float32)  # the type is readable from one coordinate
    window.session.add_embedding("informed", Embedding(g.names, informed))
    window.session.add_embedding("random", Embedding(g.names, rng.standard_normal((g.n_entities, 6))))
    window.extrinsic.run.click()
    qtbot.waitUntil(lambda: window.extrinsic.result is not None, timeout=60000)
    result = window.extrinsic.result
    rows = {r["name"]: r for r in result.rows()}
    assert result.task.startswith("node") and result.n_classes == 2
    assert rows["informed"]["accuracy"] > 0.95 > rows["random"]["accuracy"] + 0.2


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_extrinsic_panel_fuses_text_vectors_with_media_features(window, qtbot, tmp_path):
    from tests.analysis.test_fusion import fusion_items

    keys, docs, labels, text, media = fusion_items()
    table = tmp_path / "items.tsv"
    table.write_text("id\tlabel\ttext\n" + "".join(f"{k}\t{y}\t{' '.join(d)}\n" for k, y, d in zip(keys, labels, docs)))
    features = tmp_path / "media.csv"
    features.write_text("".join(f"{k}," + ",".join(f"{v:.4f}" for v in row) + "\n"
                                for k, row in zip(media.keys, media.features)))
    drop(window, table)
    qtbot.waitUntil(lambda: window.extrinsic.dataset.count() == 1, timeout=20000)
    window.session.add_embedding("topics", text)
    window.show_extrinsic_panel()
    assert window.extrinsic.model.isEnabled()
    window.extrinsic.set_media(str(features))
    assert not window.extrinsic.model.isEnabled() and "first ticked" in window.extrinsic.embeddings_label.text()
    window.extrinsic.folds.setValue(4)
    window.extrinsic.run.click()
    qtbot.waitUntil(lambda: window.extrinsic.result is not None, timeout=60000)
    result = window.extrinsic.result
    acc = {r["name"]: r["accuracy"] for r in result.rows()}
    assert result.task == "fusion" and list(acc) == ["text", "media", "text+media"]
    assert acc["text+media"] > 0.85 and acc["text"] < 0.7 and acc["media"] < 0.7  # each source sees half the label
    assert window.extrinsic.table.rowCount() == 3 and "Best: text+media" in window.extrinsic.status.text()
    window.extrinsic.grab().save(str(tmp_path / "fusion.png"))
    window.extrinsic.clear_media.click()
    assert window.extrinsic.media_path() == "" and window.extrinsic.model.isEnabled()


def test_fusion_in_the_window_asks_for_documents_with_ids(window, qtbot, tmp_path):
    from tests.train.test_starspace import planted_docs

    drop(window, planted_docs(tmp_path / "docs.txt", 100, 0))  # __label__ lines: no id column
    qtbot.waitUntil(lambda: window.extrinsic.dataset.count() == 1, timeout=20000)
    docs = window.session.datasets[0].data
    window.session.add_embedding("v", Embedding(docs.words, np.eye(len(docs.words), 4)))
    media = tmp_path / "m.csv"
    media.write_text("a,1,2\n")
    window.extrinsic.set_media(str(media))
    window.extrinsic.run.click()
    qtbot.waitUntil(lambda: bool(window.errors), timeout=30000)
    assert "id column" in window.errors[-1] and window.extrinsic.run.isEnabled()


def test_a_graph_is_exported_for_pytorch_biggraph_with_the_graph_panels_settings(window, qtbot, tmp_path):
    import json

    from tests.train.test_graph import planted_graph

    graph = planted_graph(tmp_path, edges=2000)
    drop(window, graph.path)
    qtbot.waitUntil(lambda: window.graph.start.isEnabled(), timeout=30000)
    form = window.graph.form.editors
    form["dim"].setValue(24)
    form["operator"].setCurrentText("diagonal")
    form["optimizer"].setCurrentText("sgd")
    window.export_pbg(window.session.graphs()[0], str(tmp_path / "pbg"), 2)
    qtbot.waitUntil(lambda: bool(window.pbg_export_note) or bool(window.errors), timeout=30000)
    assert not window.errors
    config = json.loads((tmp_path / "pbg" / "config.json").read_text())
    assert config["dimension"] == 24 and config["relations"][0]["operator"] == "diagonal"
    assert config["entities"]["entity"]["num_partitions"] == 2
    assert sorted(p.name for p in (tmp_path / "pbg" / "edges").glob("edges_*.h5")) == \
        [f"edges_{i}_{j}.h5" for i in range(2) for j in range(2)]
    note = window.pbg_export_note
    assert "torchbiggraph_train" in note and "2×2 buckets" in note and "optimizer sgd" in note
    assert "resume" not in note
    (tmp_path / "pbg" / "checkpoints").mkdir()  # as a PBG run leaves it: a new export would resume from it
    window.pbg_export_note = ""
    window.export_pbg(window.session.graphs()[0], str(tmp_path / "pbg"), 2)
    qtbot.waitUntil(lambda: bool(window.pbg_export_note), timeout=30000)
    assert "PBG will resume from it" in window.pbg_export_note
