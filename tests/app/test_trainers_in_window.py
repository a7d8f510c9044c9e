"""The trainers and tools in the window, offscreen: a hierarchy into the Poincaré disk, an edge list into link
prediction, a PyTorch-BigGraph checkpoint opened, the bias audit, TagSpace and PageSpace, the extrinsic panel
and fusion, the export for PyTorch-BigGraph."""

import os

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings

from embedstudio.app import main_window as mw
from embedstudio.data.vectors_io import write_vectors
from embedstudio.jobs import live
from embedstudio.vectors import Embedding
from tests.app.test_main_window import drop, shown_ticks


def test_a_hierarchy_trains_into_the_poincare_disk(window, qtbot, monkeypatch):
    from embedstudio.resources import resource

    disk_view = window.workflow("poincare").disk
    poincare_panel = window.workflow("poincare").panel
    monkeypatch.setattr(live, "SNAPSHOT_EVERY_S", 0.0)
    window.open_as(str(resource("sample", "mammal_closure.tsv")), "hierarchy")
    qtbot.waitUntil(lambda: poincare_panel.start.isEnabled(), timeout=20000)
    assert window.workflow("word2vec").panel.corpus.count() == 0  # a hierarchy is not offered as a text corpus
    form = poincare_panel.form.editors
    form["dim"].setValue(2)
    form["epochs"].setValue(15)
    form["burn_in"].setValue(5)
    form["threads"].setValue(1)
    poincare_panel.start.click()
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=60000)
    emb = window.session.embedding
    assert emb.geometry == "poincare" and len(emb) == 1180
    assert window.views.currentIndex() == 1 and window.loss.points > 0
    assert sum(len(rows) for _, rows in disk_view._groups) == 1180
    assert 1179 <= len(disk_view.edges) < 6540  # the direct links, not the whole closure
    assert "exactly" in window.workflow("poincare").note.text()
    mammal = emb.index("mammal.n.01")
    disk_view.recentre_on(mammal, animate=False)
    np.testing.assert_allclose(disk_view.shown[mammal], 0, atol=1e-6)
    page = window.workflow("poincare")
    placental = emb.index("placental.n.01")
    disk_view.recentre_on(placental, animate=False)  # a second click, one level down
    assert page.breadcrumb.text().startswith("<a href") and "mammal.n.01" in page.breadcrumb.text()
    assert page.back.isEnabled() and not page.forward.isEnabled()
    page.back.click()
    qtbot.waitUntil(lambda: not disk_view.animating, timeout=3000)
    assert disk_view.centre_row == mammal and page.forward.isEnabled()
    window.map_page.search.setText("^primate")  # the search box reaches the disk too
    assert [disk_view.names[i] for i in disk_view.highlighted] == ["primate.n.02"]
    window.workflow("poincare").colour.setCurrentText("subtree")  # the disk is centred on mammal: its subtrees coloured
    assert disk_view.colour_mode == "subtree" and len(disk_view.legend) == 4  # mammal has 4 children
    assert "placental.n.01" in window.workflow("poincare").legend.text()
    placental = emb.index("placental.n.01")
    disk_view.recentre_on(placental, animate=False)  # browsing re-colours by the new centre's subtrees
    assert all(name != "placental.n.01" for name, _ in disk_view.legend)
    assert sum(len(rows) for _, rows in disk_view._groups) == 1180
    window.workflow("poincare").colour.setCurrentText("depth")
    assert disk_view.legend[0][0] == "depth 0" and "depth 1" in window.workflow("poincare").legend.text()
    window.exports.image(disk_view, str(window.settings.fileName()) + ".disk.svg")
    assert b"<svg" in open(window.settings.fileName() + ".disk.svg", "rb").read(3000)


def test_an_edge_list_trains_into_a_map_coloured_by_type_and_predicts_links(window, qtbot, tmp_path, monkeypatch):
    from tests.train.test_graph import cluster_of, planted_graph

    graph_panel = window.workflow("graph").panel
    monkeypatch.setattr(live, "SNAPSHOT_EVERY_S", 0.0)
    graph = planted_graph(tmp_path, typed=True)
    drop(window, graph.path)
    qtbot.waitUntil(lambda: graph_panel.start.isEnabled(), timeout=20000)
    item = window.workspace.panel.find("dataset", os.path.basename(graph.path))
    text = f"[{item.text(1)}] {item.toolTip(2)}"  # the first figure in the row, all of them in its tooltip
    assert "[edgelist]" in text and "480 entities" in text and "3 relations" in text and "2 types" in text
    form = graph_panel.form.editors
    form["dim"].setValue(16)
    form["epochs"].setValue(15)
    form["batch_size"].setValue(100)
    form["batch_negatives"].setValue(20)
    form["uniform_negatives"].setValue(20)
    form["threads"].setValue(1)
    graph_panel.start.click()
    qtbot.waitUntil(lambda: window.workflow("graph").model is not None, timeout=60000)
    assert window.loss.points > 0 and window.map.n_points == 480
    assert window.map_page.colour.currentText() == "type"
    assert "filtered MRR" in window.workflow("graph").links.info.text()
    window.workflow("graph").links.entity.setText("user:u0")
    window.workflow("graph").links.relation.setCurrentText("r1")
    rows = window.workflow("graph").links.run_query()
    assert len(rows) == 10 and all(name.startswith("item:") for _, name, _, _ in rows)
    # u0 is in cluster 0: relation r1 points to cluster 0 XOR 1
    model = window.workflow("graph").model
    assert all(cluster_of(graph, [model.embedding.index(name)])[0] == 1 for _, name, _, _ in rows[:5])
    assert window.workflow("graph").links.table.rowCount() == 10
    window.save_session(str(tmp_path / "session"))  # the relation operators survive a saved session
    other = mw.MainWindow(QSettings(str(tmp_path / "s2.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(other)
    other.open_session(str(tmp_path / "session"))
    qtbot.waitUntil(lambda: other.workflow("graph").model is not None, timeout=20000)
    other.workflow("graph").links.entity.setText("user:u0")
    other.workflow("graph").links.relation.setCurrentText("r1")
    assert [name for _, name, _, _ in other.workflow("graph").links.run_query()] == [name for _, name, _, _ in rows]


def test_dropping_a_pytorch_biggraph_checkpoint_folder_opens_it_for_link_prediction(window, qtbot, tmp_path):
    from embedstudio.data.pbg import export_pbg
    from tests.data.test_pbg_import import fake_checkpoint, typed_graph

    links = window.workflow("graph").links
    graph = typed_graph()
    folder = tmp_path / "pbg"
    export_pbg(graph, folder)
    ckpt, vectors, _ = fake_checkpoint(folder, np.random.default_rng(0), dim=6, operator="diagonal")
    drop(window, ckpt)
    qtbot.waitUntil(lambda: window.workflow("graph").model is not None, timeout=20000)
    assert window.workspace.panel.rows() == [f"{ckpt.name} [graph model] {len(graph.names)} × 6 · file {ckpt}"]
    assert window.map.n_points == len(graph.names)
    np.testing.assert_allclose(window.session.embedding.vectors, vectors, rtol=1e-6)
    links.entity.setText(graph.names[0])
    assert links.run_query()  # the imported relations score candidates


def test_the_bias_panel_audits_debiases_and_exports_the_report(window, qtbot, tmp_path):
    from tests.analysis.test_bias import planted, planted_preset

    bias_panel = window.workflow("bias").panel
    emb, _, _ = planted()
    path = tmp_path / "planted.txt"
    write_vectors(emb, path, "word2vec-text")
    drop(window, path)
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=20000)
    bias_panel.preset = None
    from embedstudio.analysis.audit import load_preset

    preset = load_preset(planted_preset(tmp_path))
    bias_panel.preset = preset
    bias_panel.pairs.setPlainText("\n".join(f"{a} {b}" for a, b in preset.definitional_pairs))
    bias_panel.neutral.setPlainText(" ".join(preset.neutral_words))
    bias_panel.equalize.setPlainText("\n".join(f"{a} {b}" for a, b in preset.equalize_pairs))
    bias_panel.y_axis.setText("w0, w1 > w2, w3")  # a two-axis plot: a second direction on y
    bias_panel.audit.click()
    qtbot.waitUntil(lambda: window.workflow("bias").result is not None, timeout=60000)
    assert window.workflow("bias").result[0].y_axis["low"] == ["w0", "w1"]
    view = window.workflow("bias").view
    assert window.views.currentWidget() is view  # the audit's words are shown in their own view
    ys = view.plot._before.data["y"]
    assert not np.allclose(np.diff(ys), np.diff(ys)[0])  # y comes from the second direction, not the rank
    result, _ = window.workflow("bias").result
    assert "explains" in bias_panel.summary.text() and "Gonen" in bias_panel.summary.text()
    assert "Not in the vocabulary (neutral words): unknownword" in bias_panel.summary.text()  # flagged, not dropped
    assert bias_panel.table.item(0, 0).text().startswith("DirectBias")
    assert view.find("^w1[0-2]$") == sorted(["w10", "w11", "w12"], key=[w for w, _ in
                                             result.before.most_biased].index)  # search marks words
    assert sum(not view.table.isRowHidden(r) for r in range(view.table.rowCount())) == 3  # and filters the table
    view.search.clear()
    ranked = [float(view.table.item(r, 1).text()) for r in range(view.table.rowCount())]
    assert len(ranked) == 100 and ranked == sorted(ranked)  # the neutral words ranked on the direction
    assert float(bias_panel.table.item(0, 2).text()) < 1e-4  # after hard debiasing
    assert len(view.plot._before.data) == 100 and len(view.plot._after.data) == 100  # neutral words, both states
    for side in ("bottom", "left"):  # cosines on both axes, as the values are
        ticks = shown_ticks(view.plot.getAxis(side))
        assert ticks and max(abs(t) for t in ticks) <= 1.0, ticks
    assert any("debiased" in name for name in window.session.embeddings)
    assert window.session.embedding is not None and "debiased" not in window.session.current  # the original stays
    window.workflow("bias").export_report(str(tmp_path / "audit.html"))
    text = (tmp_path / "audit.html").read_text()
    assert "<svg" in text and "DirectBias" in text and (tmp_path / "audit.json").exists()
    window.workflow("bias").result = None
    bias_panel.pairs.setPlainText("m0, m1, m2 > f0, f1, f2")  # a direction between two word sets instead
    bias_panel.audit.click()
    qtbot.waitUntil(lambda: window.workflow("bias").result is not None, timeout=60000)
    assert "centroids of two word sets" in bias_panel.summary.text()
    assert window.workflow("bias").result[0].parameters["direction_sets"] == (["m0", "m1", "m2"], ["f0", "f1", "f2"])


def test_labelled_documents_train_tagspace_and_the_tag_panel_ranks_the_right_tag_first(window, qtbot, tmp_path,
                                                                                       monkeypatch):
    from tests.train.test_starspace import planted_docs

    starspace_panel = window.workflow("starspace").panel
    tags = window.workflow("starspace").space
    monkeypatch.setattr(live, "SNAPSHOT_EVERY_S", 0.0)
    path = planted_docs(tmp_path / "docs.txt", 1500, 0)
    drop(window, path)
    qtbot.waitUntil(lambda: starspace_panel.start.isEnabled(), timeout=20000)
    item = window.workspace.panel.find("dataset", "docs.txt")
    text = f"[{item.text(1)}] {item.toolTip(2)}"  # the first figure in the row, all of them in its tooltip
    assert "[labelled]" in text and "1,500 documents" in text and "8 labels" in text
    form = starspace_panel.form.editors
    form["dim"].setValue(16)
    form["threads"].setValue(1)
    starspace_panel.start.click()
    qtbot.waitUntil(lambda: window.workflow("starspace").model is not None, timeout=60000)
    assert window.loss.points > 0
    assert window.map.n_points == len(window.workflow("starspace").model.words) + 8
    assert window.map_page.colour.currentText() == "kind"  # words and labels in different colours
    assert "P@1" in tags.info.text()
    # a test document of the synthetic set: three words of topic 5 among noise words
    tags.text.setPlainText("n12 t5_3 n200 t5_9 n7 t5_0 n33")
    assert tags.table.rowCount() == 8  # every label, best first
    assert tags.table.item(0, 0).text() == "c5"
    tags.text.setPlainText("t2_4 t2_11 n5")
    assert tags.table.item(0, 0).text() == "c2"
    tags.table.cellClicked.emit(0, 0)  # a label row shows the label on the map
    assert window.map.keys[window.map.selected] == "__label__c2"
    window.save_session(str(tmp_path / "session"))  # the model survives a saved session
    other = mw.MainWindow(QSettings(str(tmp_path / "s2.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(other)
    other.open_session(str(tmp_path / "session"))
    qtbot.waitUntil(lambda: other.workflow("starspace").model is not None, timeout=20000)
    other.workflow("starspace").space.text.setPlainText("t2_4 t2_11 n5")
    assert other.workflow("starspace").space.table.item(0, 0).text() == "c2"


def test_user_items_train_pagespace_recommendations_beat_popularity(window, qtbot, tmp_path, monkeypatch):
    from tests.train.test_starspace import community_users

    starspace_panel = window.workflow("starspace").panel
    tags = window.workflow("starspace").space
    monkeypatch.setattr(live, "SNAPSHOT_EVERY_S", 0.0)
    path = community_users(tmp_path / "follows.txt")
    window.open_as(str(path), "user-items")
    qtbot.waitUntil(lambda: starspace_panel.start.isEnabled(), timeout=20000)
    assert "[user-items]" in window.workspace.panel.rows()[0]
    form = starspace_panel.form.editors
    form["dim"].setValue(16)
    form["epochs"].setValue(10)
    form["lr"].setText("0.05")
    form["threads"].setValue(1)
    starspace_panel.start.click()
    qtbot.waitUntil(lambda: window.workflow("starspace").model is not None, timeout=60000)
    assert window.workflow("starspace").model.mode == "pagespace"  # chosen by the data, whatever the form said
    assert "popularity" in tags.info.text()
    tags.user.setText("user7")  # community 1: items g1_*
    rows = tags.recommend_for_user()
    assert len(rows) == 10 and sum(name.startswith("g1_") for name, _ in rows[:4]) >= 3
    tags.item.setText("g3_2")
    near = tags.nearest_items()
    assert sum(name.startswith("g3_") for name, _ in near[:5]) >= 4


def test_extrinsic_panel_compares_embeddings_with_the_same_classifier(window, qtbot, tmp_path):
    from tests.train.test_starspace import planted_docs

    extrinsic_panel = window.workflow("extrinsic").panel
    path = planted_docs(tmp_path / "docs.txt", 400, 0)
    drop(window, path)
    qtbot.waitUntil(lambda: extrinsic_panel.dataset.count() == 1, timeout=20000)
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
    assert extrinsic_panel.chosen_embeddings() == ["informed", "random"]
    window.workflow("extrinsic").show_panel()
    extrinsic_panel.run.click()
    qtbot.waitUntil(lambda: extrinsic_panel.result is not None, timeout=60000)
    rows = {r["name"]: r for r in extrinsic_panel.result.rows()}
    assert rows["informed"]["accuracy"] > rows["random"]["accuracy"] + 0.3
    assert extrinsic_panel.table.rowCount() == 2 and "Best: informed" in extrinsic_panel.status.text()
    extrinsic_panel.grab().save(str(tmp_path / "extrinsic.png"))


def test_a_smaller_embedding_replaces_a_coloured_one_on_the_map(window, qtbot):
    """Colour groups hold rows of the points they were made for: a new, smaller embedding must not reuse them."""
    page = window.map_page
    rng = np.random.default_rng(1)
    kinds = ["word"] * 300 + ["label"] * 20
    window.session.add_embedding("big", Embedding([f"k{i}" for i in range(320)], rng.standard_normal((320, 4)),
                                                  metadata={"kind": kinds}))
    page.colour.setCurrentText("kind")
    page.apply_colour("kind")
    page.search.setText("^k3")
    window.session.add_embedding("small", Embedding([f"s{i}" for i in range(50)], rng.standard_normal((50, 4))))
    assert window.map.n_points == 50 and window.map.keys[0] == "s0"


def test_the_window_fits_a_laptop_screen(window):
    """Docks are added stacked and then tabified: the minimum must be the final layout's, not the stacked one."""
    assert window.minimumSize().height() <= 768 and window.minimumSize().width() <= 1366
    window.resize(1300, 760)
    assert window.height() <= 768


def test_the_extrinsic_panel_classifies_the_nodes_of_a_typed_graph_by_type(window, qtbot, tmp_path):
    from tests.train.test_graph import planted_graph

    extrinsic = window.workflow("extrinsic").panel
    graph = planted_graph(tmp_path, typed=True)
    drop(window, graph.path)
    qtbot.waitUntil(lambda: extrinsic.dataset.count() == 1, timeout=20000)
    assert extrinsic.dataset.currentText().endswith("(entity types)")
    g = window.session.datasets[0].data
    rng = np.random.default_rng(0)
    informed = rng.standard_normal((g.n_entities, 6)).astype(np.float32) * 0.1
    informed[:, 0] += np.asarray(g.entity_type, dtype=np.float32)  # the type is readable from one coordinate
    window.session.add_embedding("informed", Embedding(g.names, informed))
    window.session.add_embedding("random", Embedding(g.names, rng.standard_normal((g.n_entities, 6))))
    extrinsic.run.click()
    qtbot.waitUntil(lambda: extrinsic.result is not None, timeout=60000)
    result = extrinsic.result
    rows = {r["name"]: r for r in result.rows()}
    assert result.task.startswith("node") and result.n_classes == 2
    assert rows["informed"]["accuracy"] > 0.95 > rows["random"]["accuracy"] + 0.2


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_extrinsic_panel_fuses_text_vectors_with_media_features(window, qtbot, tmp_path):
    from tests.analysis.test_fusion import fusion_items

    extrinsic_panel = window.workflow("extrinsic").panel
    keys, docs, labels, text, media = fusion_items()
    table = tmp_path / "items.tsv"
    table.write_text("id\tlabel\ttext\n" + "".join(f"{k}\t{y}\t{' '.join(d)}\n" for k, y, d in zip(keys, labels, docs)))
    features = tmp_path / "media.csv"
    features.write_text("".join(f"{k}," + ",".join(f"{v:.4f}" for v in row) + "\n"
                                for k, row in zip(media.keys, media.features)))
    drop(window, table)
    qtbot.waitUntil(lambda: extrinsic_panel.dataset.count() == 1, timeout=20000)
    window.session.add_embedding("topics", text)
    window.workflow("extrinsic").show_panel()
    assert extrinsic_panel.model.isEnabled()
    extrinsic_panel.set_media(str(features))
    assert not extrinsic_panel.model.isEnabled() and "first ticked" in extrinsic_panel.embeddings_label.text()
    extrinsic_panel.folds.setValue(4)
    extrinsic_panel.run.click()
    qtbot.waitUntil(lambda: extrinsic_panel.result is not None, timeout=60000)
    result = extrinsic_panel.result
    acc = {r["name"]: r["accuracy"] for r in result.rows()}
    assert result.task == "fusion" and list(acc) == ["text", "media", "text+media"]
    assert acc["text+media"] > 0.85 and acc["text"] < 0.7 and acc["media"] < 0.7  # each source sees half the label
    assert extrinsic_panel.table.rowCount() == 3 and "Best: text+media" in extrinsic_panel.status.text()
    extrinsic_panel.grab().save(str(tmp_path / "fusion.png"))
    extrinsic_panel.clear_media.click()
    assert extrinsic_panel.media_path() == "" and extrinsic_panel.model.isEnabled()


def test_fusion_in_the_window_asks_for_documents_with_ids(window, qtbot, tmp_path):
    from tests.train.test_starspace import planted_docs

    extrinsic = window.workflow("extrinsic").panel
    drop(window, planted_docs(tmp_path / "docs.txt", 100, 0))  # __label__ lines: no id column
    qtbot.waitUntil(lambda: extrinsic.dataset.count() == 1, timeout=20000)
    docs = window.session.datasets[0].data
    window.session.add_embedding("v", Embedding(docs.words, np.eye(len(docs.words), 4)))
    media = tmp_path / "m.csv"
    media.write_text("a,1,2\n")
    extrinsic.set_media(str(media))
    extrinsic.run.click()
    qtbot.waitUntil(lambda: bool(window.errors), timeout=30000)
    assert "id column" in window.errors[-1] and extrinsic.run.isEnabled()


def test_a_graph_is_exported_for_pytorch_biggraph_with_the_graph_panels_settings(window, qtbot, tmp_path):
    import json

    from tests.train.test_graph import planted_graph

    graph_panel = window.workflow("graph").panel
    graph = planted_graph(tmp_path, edges=2000)
    drop(window, graph.path)
    qtbot.waitUntil(lambda: graph_panel.start.isEnabled(), timeout=30000)
    form = graph_panel.form.editors
    form["dim"].setValue(24)
    form["operator"].setCurrentText("diagonal")
    form["optimizer"].setCurrentText("sgd")
    window.workflow("graph").export_pbg(window.session.graphs()[0], str(tmp_path / "pbg"), 2)
    qtbot.waitUntil(lambda: bool(window.workflow("graph").pbg_export_note) or bool(window.errors), timeout=30000)
    assert not window.errors
    config = json.loads((tmp_path / "pbg" / "config.json").read_text())
    assert config["dimension"] == 24 and config["relations"][0]["operator"] == "diagonal"
    assert config["entities"]["entity"]["num_partitions"] == 2
    assert sorted(p.name for p in (tmp_path / "pbg" / "edges").glob("edges_*.h5")) == \
        [f"edges_{i}_{j}.h5" for i in range(2) for j in range(2)]
    note = window.workflow("graph").pbg_export_note
    assert "torchbiggraph_train" in note and "2×2 buckets" in note and "optimizer sgd" in note
    assert "resume" not in note
    (tmp_path / "pbg" / "checkpoints").mkdir()  # as a PBG run leaves it: a new export would resume from it
    window.workflow("graph").pbg_export_note = ""
    window.workflow("graph").export_pbg(window.session.graphs()[0], str(tmp_path / "pbg"), 2)
    qtbot.waitUntil(lambda: bool(window.workflow("graph").pbg_export_note), timeout=30000)
    assert "PBG will resume from it" in window.workflow("graph").pbg_export_note
