"""The Lorentz model in the window, offscreen: chosen in the Poincaré panel, trained on the bundled mammals,
shown on the disk and re-centred by a click like a ball-trained hierarchy."""

import numpy as np
import pytest

pytest.importorskip("PySide6")

from embedstudio.jobs import live  # noqa: E402


def test_a_lorentz_trained_hierarchy_shows_on_the_disk_and_recentres_on_click(window, qtbot, monkeypatch):
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest

    from embedstudio.resources import resource

    page = window.workflow("poincare")
    disk_view, panel = page.disk, page.panel
    monkeypatch.setattr(live, "SNAPSHOT_EVERY_S", 0.0)
    window.open_as(str(resource("sample", "mammal_closure.tsv")), "hierarchy")
    qtbot.waitUntil(lambda: panel.start.isEnabled(), timeout=20000)
    form = panel.form.editors
    assert [form["model"].itemText(i) for i in range(form["model"].count())] == ["poincare", "lorentz"]
    assert form["model"].currentText() == "poincare" and form["lr"].text() == ""  # each model's own rate
    form["model"].setCurrentText("lorentz")
    form["dim"].setValue(2)
    form["epochs"].setValue(30)  # uniform negatives (the default) settle the root at the centre by then
    form["burn_in"].setValue(5)
    form["threads"].setValue(1)
    panel.start.click()
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=60000)
    emb = window.session.embedding
    assert emb.geometry == "poincare" and len(emb) == 1180 and emb.info["config"]["model"] == "lorentz"
    assert window.session.current.startswith("Lorentz d=2")
    assert (np.linalg.norm(emb.vectors, axis=1) < 1).all()  # ball coordinates, drawn as they are
    assert window.views.currentIndex() == 1 and window.loss.points > 0
    assert sum(len(rows) for _, rows in disk_view._groups) == 1180
    assert 1179 <= len(disk_view.edges) < 6540 and "exactly" in page.note.text()
    mammal = emb.index("mammal.n.01")
    assert np.linalg.norm(emb.vectors, axis=1).argmin() == mammal  # the root nearest the centre
    disk_view.recentre_on(mammal, animate=False)
    np.testing.assert_allclose(disk_view.shown[mammal], 0, atol=1e-6)
    # a real click on a node away from the centre brings it there
    far = np.linalg.norm(disk_view.shown, axis=1)
    target = int(np.argmin(np.abs(far - 0.6)))
    scene = disk_view.getViewBox().mapViewToScene(QPointF(*disk_view.shown[target]))
    with qtbot.waitSignal(disk_view.node_clicked, timeout=3000) as clicked:
        QTest.mouseClick(disk_view.viewport(), Qt.MouseButton.LeftButton, pos=disk_view.mapFromScene(scene))
    row = clicked.args[0]
    assert np.linalg.norm(disk_view.shown[row] - disk_view.shown[target]) < 0.05  # the node under the mouse
    qtbot.waitUntil(lambda: not disk_view.animating and np.allclose(disk_view.shown[row], 0, atol=1e-6), timeout=3000)
    assert disk_view.centre_row == row and page.back.isEnabled()
    assert emb.keys[row] in page.breadcrumb.text()  # the breadcrumb names the new centre
