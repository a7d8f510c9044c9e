"""The workspace: every item listed and chosen, one current embedding every tool obeys, two compared."""

import gc
import weakref

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from embedstudio.app import main_window as mw  # noqa: E402
from embedstudio.jobs import live  # noqa: E402
from tests.app.test_main_window import drop  # noqa: E402


def train_word2vec(window, qtbot, seed: int = 1, epochs: int = 2) -> str:
    """Train word2vec on the open corpus with small settings; returns the new embedding's name."""
    training = window.workflow("word2vec").panel
    qtbot.waitUntil(lambda: training.start.isEnabled(), timeout=20000)
    before = set(window.session.embeddings)
    form = training.form.editors
    form["dim"].setValue(16)
    form["epochs"].setValue(epochs)
    form["min_count"].setValue(1)
    form["chunk_words"].setValue(2000)
    form["threads"].setValue(1)
    form["seed"].setValue(seed)
    training.start.click()
    qtbot.waitUntil(lambda: bool(set(window.session.embeddings) - before) and training.start.isEnabled(), timeout=60000)
    return (set(window.session.embeddings) - before).pop()


def train_poincare(window, qtbot) -> str:
    from embedstudio.resources import resource

    panel = window.workflow("poincare").panel
    before = set(window.session.embeddings)
    window.open_as(str(resource("sample", "mammal_closure.tsv")), "hierarchy")
    qtbot.waitUntil(lambda: panel.start.isEnabled() and panel.corpus.count() == 1, timeout=20000)
    form = panel.form.editors
    form["dim"].setValue(2)
    form["epochs"].setValue(3)
    form["burn_in"].setValue(1)
    form["threads"].setValue(1)
    panel.start.click()
    qtbot.waitUntil(lambda: bool(set(window.session.embeddings) - before) and panel.start.isEnabled(), timeout=60000)
    return (set(window.session.embeddings) - before).pop()


def click_item(panel, what, name):
    """A mouse click on the item's row, as a person's."""
    from PySide6.QtTest import QTest

    from PySide6.QtCore import QPoint

    rect = panel.tree.visualItemRect(panel.find(what, name))  # the whole row, wider than the viewport
    QTest.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(rect.left() + 12, rect.center().y()))


def test_one_current_embedding_is_listed_chosen_and_obeyed_by_every_tool(window, qtbot, topic_file, monkeypatch):
    monkeypatch.setattr(live, "SNAPSHOT_EVERY_S", 0.0)
    panel = window.workspace.panel
    drop(window, topic_file)
    words = train_word2vec(window, qtbot)
    mammals = train_poincare(window, qtbot)
    # both listed, with their kind, size and origin; the Poincaré one current
    rows = panel.rows()
    assert rows[0].startswith(f"{words} [word vectors] 40 × 16 · trained by word2vec from topics.txt")
    assert rows[1].startswith(f"{mammals} [Poincaré hierarchy] 1,180 × 2 · trained by poincare from "
                              "mammal_closure.tsv")
    assert "topics.txt [corpus]" in rows[2] and "mammal_closure.tsv [hierarchy]" in rows[3]
    assert window.session.current == mammals and panel.find("embedding", mammals).font(0).bold()
    assert mammals in panel.note.text() and "trained by poincare" in panel.note.text()  # origin in sight
    assert window.windowTitle().startswith(mammals)
    # a tool that cannot act on a hierarchy says so instead of running on something else
    evaluation = window.workflow("evaluation")
    evaluation.evaluate()
    assert window.errors[-1] == ("analogies and word similarities need word vectors; the current embedding, "
                                 f"{mammals}, is a Poincaré hierarchy")
    assert evaluation.dialog is None
    window.workflow("bias").run_audit()
    assert window.errors[-1].startswith("the bias audit needs word vectors")
    assert window.workflow("graph").links.info.text().startswith("link prediction needs a graph model")
    assert window.neighbors.subject.text() == f"in {mammals}"
    # a click on the word2vec item: its map comes back, and Evaluate runs on it
    click_item(panel, "embedding", words)
    assert window.session.current == words and panel.find("embedding", words).font(0).bold()
    assert window.map.n_points == 40 and sorted(window.map.keys) == sorted(window.session.embeddings[words].keys)
    assert window.map_page.subject.text().startswith(words)
    assert "Not current" in window.workflow("poincare").subject.text()  # the disk says it shows another
    evaluation.evaluate()
    qtbot.waitUntil(lambda: evaluation.dialog is not None, timeout=30000)
    assert evaluation.last_name == words and words in evaluation.dialog.windowTitle()
    # removing an item frees it once the undo history lets it go: nothing else of the window holds it
    from embedstudio.memory import size_text

    hierarchy = window.session.embeddings[mammals]
    freed = window.workspace.freed_by("embedding", mammals)
    assert freed >= hierarchy.vectors.nbytes
    gone = weakref.ref(hierarchy)
    del hierarchy
    panel.tree.setCurrentItem(panel.find("embedding", mammals))
    panel.remove_button.click()
    box = window.workspace.confirm_box
    assert f"Its memory, about {size_text(freed)}, is freed once the undo history lets it go" in box.text()
    next(b for b in box.buttons() if b.text() == "Remove").click()
    assert mammals not in window.session.embeddings and panel.find("embedding", mammals) is None
    assert window.session.current == words
    assert window.workspace.undo_action.text() == f"&Undo remove {mammals}"
    window.workspace.clear_history_action.trigger()
    assert not window.workspace.undo_action.isEnabled()
    assert window.statusBar().currentMessage() == f"undo history cleared: freed about {size_text(freed)}"
    QApplication.processEvents()
    gc.collect()
    assert gone() is None


def test_rename_by_keyboard_and_train_again_with_the_same_settings(window, qtbot, topic_file, monkeypatch):
    from PySide6.QtTest import QTest

    monkeypatch.setattr(live, "SNAPSHOT_EVERY_S", 0.0)
    panel = window.workspace.panel
    drop(window, topic_file)
    first = train_word2vec(window, qtbot, seed=7, epochs=1)
    item = panel.find("embedding", first)
    panel.tree.setCurrentItem(item)
    window.activateWindow()
    panel.tree.setFocus()
    QTest.keyClick(panel.tree, Qt.Key.Key_F2)
    from PySide6.QtWidgets import QLineEdit

    editor = panel.tree.viewport().findChild(QLineEdit) or panel.tree.findChild(QLineEdit)
    assert editor is not None and editor.text() == first
    editor.selectAll()
    QTest.keyClicks(editor, "seed seven")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "seed seven" in window.session.embeddings, timeout=5000)
    assert window.session.current == "seed seven" and window.map_page.subject.text().startswith("seed seven")
    # another setting in the panel; "train again" restores the item's own and trains with them
    window.workflow("word2vec").panel.form.editors["seed"].setValue(99)
    before = set(window.session.embeddings)
    window.workspace.train_again("seed seven")
    training = window.workflow("word2vec").panel
    qtbot.waitUntil(lambda: bool(set(window.session.embeddings) - before) and training.start.isEnabled(), timeout=60000)
    again = (set(window.session.embeddings) - before).pop()
    origin = window.session.origins[again]
    assert origin["settings"] == window.session.origins["seed seven"]["settings"] and origin["settings"]["seed"] == 7
    np.testing.assert_array_equal(window.session.embeddings[again].vectors,
                                  window.session.embeddings["seed seven"].vectors)  # one thread: bit-identical
    opened = []
    monkeypatch.setattr("embedstudio.app.workspace.QDesktopServices.openUrl", lambda url: opened.append(url))
    window.workspace.reveal("embedding", again)  # the corpus it was trained from, in the file manager
    assert window.workspace.revealed == str(topic_file.parent) and opened[0].toLocalFile() == str(topic_file.parent)


def test_two_runs_compared_side_by_side_and_the_cli_prints_the_same_table(window, qtbot, topic_file, monkeypatch,
                                                                         tmp_path, capsys):
    from embedstudio.cli import main as cli_main

    monkeypatch.setattr(live, "SNAPSHOT_EVERY_S", 0.0)
    drop(window, topic_file)
    a = train_word2vec(window, qtbot, seed=1)
    b = train_word2vec(window, qtbot, seed=2)
    window.workspace.compare_with(a)  # the current one (b) and a
    page = window.compare_page
    assert window.views.currentWidget() is page
    assert (page.a.currentText(), page.b.currentText()) == (b, a)
    page.run.click()
    qtbot.waitUntil(lambda: page.result is not None and page.run.isEnabled(), timeout=30000)
    result = page.result
    assert page.map_a.n_points == page.map_b.n_points == 40 == page.table.rowCount()
    overlaps = [float(page.table.item(r, 1).text()) for r in range(page.table.rowCount())]
    assert overlaps == sorted(overlaps) and overlaps[0] < overlaps[-1]
    assert "aligned in the full space" in page.note.text()
    # a click on a word of map A selects it on both maps, in the table and lists both neighbourhoods
    word = result.words[7]
    page.map_a.point_clicked.emit(7)
    assert page.map_a.selected == page.map_b.selected == 7 and page.selected_word() == word
    assert page.table.item(page.table.currentRow(), 0).text() == word
    assert page.list_a.item(0, 0).text() == result.neighbours_a[7][0][0]
    assert page.list_b.rowCount() == result.k
    # hover on one map shows the word on the other
    page.map_a.point_hovered.emit(3)
    assert page.map_b.hover_label.isVisible() and page.map_b.hover_label.textItem.toPlainText() == result.words[3]
    # the CLI, on the same two embeddings written out, prints the same first rows
    window.exports.vectors(str(tmp_path / "a.npz"), name=a)
    window.exports.vectors(str(tmp_path / "b.npz"), name=b)
    assert cli_main(["compare", str(tmp_path / "b.npz"), str(tmp_path / "a.npz"), "--top", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    printed = [line.split("\t")[:3] for line in lines[2:7]]
    shown = [[str(r + 1), page.table.item(r, 0).text(), page.table.item(r, 1).text()] for r in range(5)]
    assert [[rank, w, f"{float(o):.2f}"] for rank, w, o in printed] == shown


def test_a_saved_workspace_of_four_items_reopens_as_it_was(window, qtbot, tmp_path, topic_file, monkeypatch):
    from embedstudio.resources import resource

    monkeypatch.setattr(live, "SNAPSHOT_EVERY_S", 0.0)
    session_dir = tmp_path / "session"
    session_dir.mkdir()
    corpus = session_dir / "topics.txt"
    corpus.write_bytes(topic_file.read_bytes())
    drop(window, corpus)
    trained = train_word2vec(window, qtbot)
    window.session.rename(trained, "my run")
    vectors = resource("sample", "sotu-vectors.vec.gz")
    drop(window, vectors)
    qtbot.waitUntil(lambda: "sotu-vectors.vec.gz" in window.session.embeddings, timeout=30000)
    bias = window.workflow("bias")  # a debiased copy of the vectors: the fourth item
    bias.panel.debias.setCurrentText("projection")
    bias.run_audit()
    qtbot.waitUntil(lambda: len(window.session.embeddings) == 3, timeout=60000)
    debiased = list(window.session.embeddings)[-1]
    assert window.session.origins[debiased]["source"] == "sotu-vectors.vec.gz"
    window.session.rename_dataset(window.session.dataset("topics.txt"), "speeches")
    assert window.session.origins["my run"]["dataset"] == "speeches"  # provenance follows the rename
    window.session.set_current("my run")
    window.save_session(str(session_dir))
    before = window.workspace.panel.rows()
    assert len(before) == 4  # the run, the vectors file, its debiased copy, the corpus
    assert "from sotu-vectors.vec.gz" in before[2]

    other = mw.MainWindow(QSettings(str(tmp_path / "s2.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(other)
    other.open_session(str(session_dir))
    qtbot.waitUntil(lambda: len(other.workspace.panel.rows()) == 4 and other.session.current == "my run",
                    timeout=30000)
    assert other.workspace.panel.rows() == before
    assert other.session.origins["my run"] == window.session.origins["my run"]
    assert other.session.dataset("speeches") is not None
    assert other.workspace.panel.find("embedding", "my run").font(0).bold()
