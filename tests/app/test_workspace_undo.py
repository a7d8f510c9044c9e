"""Edit ▸ Undo and Redo in the window: removals, renames and a debiased copy undone and redone from the menu, the
keys and the workspace's context menu; the same embedding objects back; a session opened starts a new history."""

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from embedstudio.app.runs import TrainingRuns  # noqa: E402
from embedstudio.data.vectors_io import write_vectors  # noqa: E402
from embedstudio.vectors import Embedding  # noqa: E402
from tests.app.test_main_window import drop  # noqa: E402

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def edit_menu(window):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    return [a for a in menu.actions() if not a.isSeparator()]


def open_vectors(window, qtbot, tmp_path, name: str, seed: int) -> str:
    rng = np.random.default_rng(seed)
    emb = Embedding([f"{name}{i}" for i in range(30)], rng.standard_normal((30, 8)).astype(np.float32))
    path = tmp_path / f"{name}.vec"
    write_vectors(emb, path, "word2vec-text")
    drop(window, path)
    qtbot.waitUntil(lambda: f"{name}.vec" in window.session.embeddings and not window.worker.busy, timeout=20000)
    return f"{name}.vec"


def press(window, qtbot, widget, modifiers) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    widget.setFocus()
    QTest.keyClick(widget, Qt.Key.Key_Z, modifiers)


def test_a_removal_is_undone_and_redone_by_menu_keys_and_context_menu(window, qtbot, tmp_path, monkeypatch):
    panel, workspace, session = window.workspace.panel, window.workspace, window.session
    a = open_vectors(window, qtbot, tmp_path, "a", 1)
    b = open_vectors(window, qtbot, tmp_path, "b", 2)
    assert [a.text() for a in edit_menu(window)] == ["&Undo", "&Redo", "Clear Undo &History"]
    assert not workspace.undo_action.isEnabled()  # opening files is not an edit
    removed, origin = session.embeddings[b], session.origins[b]
    saved = removed.vectors.copy()
    panel.tree.setCurrentItem(panel.find("embedding", b))
    panel.remove_button.click()
    next(x for x in workspace.confirm_box.buttons() if x.text() == "Remove").click()
    assert list(session.embeddings) == [a] and session.current == a and window.map.keys[0] == "a0"
    assert "brings it back" in window.statusBar().currentMessage()
    undo, redo, _ = edit_menu(window)
    assert undo.text() == f"&Undo remove {b}" and undo.isEnabled() and not redo.isEnabled()
    # Ctrl+Z: the same object back, where it was, current again and on the map
    press(window, qtbot, panel.tree, CTRL)
    assert list(session.embeddings) == [a, b] and session.embeddings[b] is removed
    assert np.array_equal(session.embeddings[b].vectors, saved) and session.origins[b] == origin
    assert session.current == b and panel.find("embedding", b).font(0).bold() and window.map.keys[0] == "b0"
    assert redo.text() == f"&Redo remove {b}" and window.statusBar().currentMessage() == f"undid remove {b}"
    press(window, qtbot, panel.tree, CTRL | SHIFT)  # Ctrl+Shift+Z redoes
    assert list(session.embeddings) == [a] and session.current == a and panel.find("embedding", b) is None
    # the workspace's context menu offers the same step
    rect = panel.tree.visualItemRect(panel.find("embedding", a))
    panel._context_menu(QPoint(rect.left() + 12, rect.center().y()))
    entry = next(x for x in panel.context_menu.actions() if x.text().startswith("&Undo"))
    assert entry.text() == f"&Undo remove {b}"
    entry.trigger()
    panel.context_menu.close()
    assert session.embeddings[b] is removed and session.current == b
    # a rename, undone: the old name back, with the window's title
    workspace.rename("embedding", b, "renamed")
    assert undo.text() == f"&Undo rename {b} to renamed" and window.windowTitle().startswith("renamed")
    search = window.map_page.search  # Ctrl+Z in a text field undoes the typing there, not the workspace
    QTest.keyClicks(search, "xyz")
    press(window, qtbot, search, CTRL)
    assert search.text() != "xyz" and list(session.embeddings) == [a, "renamed"]
    undo.trigger()
    assert list(session.embeddings) == [a, b] and window.windowTitle().startswith(b)
    # while training runs, a step that would take an item out waits, as Remove does; putting back does not
    workspace.remove("embedding", a)
    monkeypatch.setattr(TrainingRuns, "running", property(lambda self: True))
    undo.trigger()
    assert list(session.embeddings) == [a, b]
    redo.trigger()
    assert list(session.embeddings) == [a, b] and window.errors[-1] == \
        f"Training is running: redo “remove {a}” once it has finished or been cancelled"


def test_a_debiased_copy_is_undone_and_the_current_embedding_is_the_one_before(window, qtbot):
    from embedstudio.resources import resource

    session = window.session
    drop(window, resource("sample", "sotu-vectors.vec.gz"))
    qtbot.waitUntil(lambda: session.embedding is not None and not window.worker.busy, timeout=30000)
    source = session.current
    bias = window.workflow("bias")
    bias.panel.debias.setCurrentText("hard")
    bias.run_audit()
    qtbot.waitUntil(lambda: len(session.embeddings) == 2, timeout=60000)
    debiased = list(session.embeddings)[-1]
    copy, origin = session.embeddings[debiased], dict(session.origins[debiased])
    assert debiased == f"{source} · hard debiased" and session.current == source
    undo, redo, _ = edit_menu(window)
    assert undo.text() == f"&Undo add {debiased}"
    window.workspace.use(debiased)  # looked at, then undone
    assert window.map_page.subject.text().startswith(debiased)
    undo.trigger()
    assert list(session.embeddings) == [source] and session.current == source
    assert window.map_page.subject.text().startswith(source) and window.workspace.panel.find("embedding", debiased) \
        is None
    redo.trigger()
    assert list(session.embeddings) == [source, debiased] and session.embeddings[debiased] is copy
    assert session.origins[debiased] == origin and session.current == source
    assert undo.text() == f"&Undo add {debiased}" and not redo.isEnabled()


def test_opening_a_session_starts_a_new_history(window, qtbot, tmp_path):
    session = window.session
    a = open_vectors(window, qtbot, tmp_path, "a", 1)
    session.add_embedding("first ten", session.embeddings[a].restrict(10), make_current=False,
                          origin={"from": "derived", "source": a, "how": "restricted"})
    window.workspace.rename("embedding", a, "renamed")
    assert len(session.history) == 2
    window.save_session(str(tmp_path / "saved"))
    window.open_session(str(tmp_path / "saved"))  # reading it adds a derived embedding again: no step for that
    qtbot.waitUntil(lambda: list(session.embeddings) == ["renamed", "first ten"] and not window.worker.busy,
                    timeout=30000)
    assert len(session.history) == 0 and not window.workspace.undo_action.isEnabled()
    assert window.workspace.undo_action.text() == "&Undo"


def test_isolate_and_show_all_on_the_map_are_undone_and_redone(window, qtbot, tmp_path):
    open_vectors(window, qtbot, tmp_path, "iso", 5)
    page, view = window.map_page, window.map
    xy = view.coords
    box = np.array([[xy[:, 0].min() - 1, xy[:, 1].min() - 1], [np.median(xy[:, 0]), xy[:, 1].min() - 1],
                    [np.median(xy[:, 0]), xy[:, 1].max() + 1], [xy[:, 0].min() - 1, xy[:, 1].max() + 1]])
    chosen = view.select_polygon(box)
    assert 0 < len(chosen) < 30
    page.isolate.click()
    assert np.array_equal(view.visible, np.sort(chosen)) and view.n_points == len(chosen)
    undo, redo, _ = edit_menu(window)
    assert undo.text() == f"&Undo isolate {len(chosen)} points"
    undo.trigger()
    assert view.visible is None and view.n_points == 30
    redo.trigger()
    assert view.n_points == len(chosen)
    page.show_all.click()
    assert undo.text() == "&Undo show all points" and view.n_points == 30
    undo.trigger()
    assert view.n_points == len(chosen)
