"""What a map shows as words: labels placed without overlap (more when zoomed in), a hover label that goes
when the mouse goes and is never exported, a restored window that fits its screen."""

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QEvent  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from embedstudio.app.views.map_view import MapView  # noqa: E402


@pytest.fixture
def dense_map(qtbot):
    view = MapView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    rng = np.random.default_rng(0)
    n = 4000
    keys = [f"word{i}" for i in range(n)]
    coords = rng.normal(0, 1, (n, 2)).astype(np.float32)
    view.set_points(keys, coords, counts=np.arange(n, 0, -1))
    QApplication.processEvents()
    view.place_labels()
    return view


def label_boxes(view):
    return [t.sceneBoundingRect() for t in view.labels.items if t.isVisible()]


def test_labels_on_a_dense_cloud_never_overlap_and_zooming_in_shows_more(dense_map):
    view = dense_map
    boxes = label_boxes(view)
    assert 10 < len(boxes) == len(view.labelled)
    assert view.labelled[0] == "word0"  # the most frequent word is labelled first
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            assert not boxes[a].intersects(boxes[b]), (view.labelled[a], view.labelled[b])
    before = set(view.labelled)
    view.getViewBox().setRange(xRange=(-0.5, 0.5), yRange=(-0.5, 0.5), padding=0)
    QApplication.processEvents()
    view.place_labels()
    after = set(view.labelled)
    assert len(after) > len(before) and after - before  # words that had no room now have a label
    boxes = label_boxes(view)
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            assert not boxes[a].intersects(boxes[b])


def test_the_selected_word_is_always_labelled(dense_map):
    view = dense_map
    rare = int(np.argmin(np.linalg.norm(view.coords, axis=1)))  # in the crowded middle, rarely frequent
    assert view.keys[rare] not in view.labelled
    view.select(rare)
    assert view.labelled[0] == view.keys[rare]


def test_a_hover_label_goes_with_the_mouse_and_is_never_exported(dense_map, tmp_path):
    from embedstudio.app.exports import render_view

    view = dense_map
    clean = render_view(view, "png", 800)
    view.show_hover(5)
    assert view.hover_label.isVisible()
    assert render_view(view, "png", 800) == clean  # exported while hovering: the same picture
    QApplication.sendEvent(view, QEvent(QEvent.Type.Leave))
    assert not view.hover_label.isVisible()
    again = QImage.fromData(render_view(view, "png", 800))
    assert again == QImage.fromData(clean)
    view.show_hover(5)  # a new layout: the label of the old one goes
    view.set_points(view.keys, view.coords[::-1].copy())
    assert not view.hover_label.isVisible()


def test_a_saved_window_larger_than_the_screen_is_clamped_to_it(qtbot, tmp_path):
    from PySide6.QtCore import QRect, QSettings

    from embedstudio.app import main_window as mw
    from embedstudio.app.screen import fit_to_screen

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("map/auto_umap", False)
    first = mw.MainWindow(settings)
    qtbot.addWidget(first)
    first.show()
    first.setGeometry(200, 150, 3000, 2400)  # as saved on a large monitor
    first.close()
    again = mw.MainWindow(settings)
    qtbot.addWidget(again)
    screen = again.screen().availableGeometry()  # the test platform's screen: restored, then clamped to it
    assert again.width() <= max(screen.width(), again.minimumWidth())
    assert again.height() <= max(screen.height(), again.minimumHeight())
    laptop = QRect(0, 0, 1366, 768)
    again.setGeometry(200, 150, 3000, 2400)
    fit_to_screen(again, laptop)
    assert again.width() <= 1366 and again.height() + 30 <= 768  # with room for a title bar
    assert again.minimumHeight() <= 690  # long panels scroll in their docks: it fits under a desktop panel too
    assert laptop.contains(again.geometry())


def test_labels_and_neighbour_queries_never_wait_for_numbas_compiler_lock(dense_map):
    # at start-up umap compiles in a background thread for tens of seconds, holding numba's compiler lock; the GUI
    # thread's own kernels are loaded before that starts, and nothing it calls may need the lock again
    import threading
    import time

    from numba.core.compiler_lock import global_compiler_lock

    from embedstudio.analysis import labels, topk
    from embedstudio.vectors import Embedding

    labels.prepare()
    topk.prepare()
    emb = Embedding([f"w{i}" for i in range(500)], np.random.default_rng(1).normal(size=(500, 16)).astype(np.float32))
    held, release = threading.Event(), threading.Event()

    def compile_elsewhere():
        with global_compiler_lock:
            held.set()
            release.wait(20)

    holder = threading.Thread(target=compile_elsewhere, daemon=True)
    holder.start()
    held.wait(5)
    try:
        started = time.perf_counter()
        dense_map.setXRange(-0.5, 0.5)
        dense_map.place_labels()
        emb.most_similar("w3", topn=5)
        waited = time.perf_counter() - started
    finally:
        release.set()
        holder.join()
    assert len(dense_map.labels.rows) > 0
    assert waited < 5, f"the GUI thread waited {waited:.1f} s for numba's compiler lock"


def test_a_pan_moves_the_labels_it_keeps_without_setting_their_text_again(dense_map):
    layer = dense_map.labels

    def shown():
        return {item.textItem.toPlainText(): item for item in layer.items if item.isVisible()}

    before = shown()
    assert set(before) == {dense_map.keys[r] for r in layer.rows}
    (x0, x1), (y0, y1) = dense_map.getViewBox().viewRange()
    dense_map.getViewBox().setRange(xRange=(x0 + 0.05 * (x1 - x0), x1 + 0.05 * (x1 - x0)), yRange=(y0, y1), padding=0)
    dense_map.place_labels()
    after = shown()
    assert set(after) == {dense_map.keys[r] for r in layer.rows}  # every label names its point
    kept = set(before) & set(after)
    assert len(kept) > 10 and all(after[word] is before[word] for word in kept)  # the same item, moved
