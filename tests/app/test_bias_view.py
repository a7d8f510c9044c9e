"""The bias audit's own view: 300 neutral words legible (labels never overlap, zooming shows more), both ends
named, cosine ticks, before → after arrows, and brushing between the ranked table and the plot."""

import pytest

pytest.importorskip("PySide6")


@pytest.fixture
def view(qtbot):
    from embedstudio.analysis.audit import Preset, run_audit
    from embedstudio.app.views.bias_view import BiasView
    from tests.analysis.test_bias import planted

    emb, _, _ = planted(n_neutral=300)
    preset = Preset("gender", "", [], [(f"m{i}", f"f{i}") for i in range(10)], [], [f"w{i}" for i in range(300)], [])
    result, _ = run_audit(emb, preset, debias="hard")
    v = BiasView()
    qtbot.addWidget(v)
    v.resize(900, 640)
    v.show()
    qtbot.waitExposed(v)
    v.show_result(result, "planted")
    return v


def _label_rects(plot):
    return [item.sceneBoundingRect() for item in plot.labels.items if item.isVisible()]


def test_300_words_are_labelled_without_overlap_and_zooming_in_labels_more(view, qtbot):
    from tests.app.test_main_window import shown_ticks

    plot = view.plot
    rects = _label_rects(plot)
    assert len(rects) >= 20
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b), (a, b)
    assert view.figure.words[0] in plot.labelled and view.figure.words[-1] in plot.labelled  # both extremes
    ticks = shown_ticks(plot.getAxis("bottom"))
    assert ticks and max(abs(t) for t in ticks) <= 1.0
    assert plot.end_texts() == ("← f0, f1, f2 …", "m0, m1, m2 … →")
    left, right = (end.sceneBoundingRect() for end in plot.ends)  # under the axis, at its two ends
    axis = plot.getAxis("bottom").sceneBoundingRect()
    assert left.top() >= axis.top() and left.left() <= axis.left() + 40 and right.right() >= axis.right() - 40
    assert len(plot._after.data) == 300 and len(plot._arrows.xData) == 600  # an arrow per word
    (x0, x1), (y0, y1) = plot.getViewBox().viewRange()
    middle = (100, 200)  # the words ranked 100..200: crowded at full view
    before = sum(middle[0] <= r < middle[1] for r in plot.labels.rows)
    plot.setRange(yRange=middle, padding=0)
    plot.relabel()
    after = sum(middle[0] <= r < middle[1] for r in plot.labels.rows)
    assert after > before


def test_picking_a_row_marks_the_word_on_the_plot_and_clicking_a_point_picks_its_row(view, qtbot):
    from PySide6.QtCore import QPointF, Qt

    plot, table = view.plot, view.table
    view.table.selectRow(150)
    word = table.item(150, 0).text()
    assert view.chosen_words() == [word] and word in plot.labelled
    assert len(plot._marked.data) == 1
    row = view.figure.words.index("w7")
    point = plot.getViewBox().mapViewToScene(QPointF(view.figure.x_before[row], view.figure.y_before[row]))
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.mapFromScene(point))
    qtbot.waitUntil(lambda: view.chosen_words() == ["w7"], timeout=2000)
    selected = table.selectedItems()
    assert selected and selected[0].text() == "w7"
    view.search.setText("^w1[0-9]$")  # typed in the search box
    hits = view.find(view.search.text())
    assert len(hits) == 10 and sum(not table.isRowHidden(r) for r in range(table.rowCount())) == 10
    assert len(plot._marked.data) == 11  # the hits and the chosen word are ringed
    assert len(set(hits) & set(plot.labelled)) >= 7  # and labelled first, where they fit
    view.search.clear()
    assert not any(table.isRowHidden(r) for r in range(table.rowCount()))


def test_the_plot_exports_as_png(view):
    from PySide6.QtGui import QImage

    from embedstudio.app.exports import render_view

    image = QImage.fromData(render_view(view.plot, "png", width=1200))
    assert image.width() == 1200
    colours = {image.pixelColor(x, y).name() for x in range(0, 1200, 3) for y in range(0, image.height(), 3)}
    assert "#d55e00" in colours  # the before points are drawn


def test_after_a_resize_the_labels_stay_inside_the_plot_and_apart(view, qtbot):
    plot = view.plot
    view.resize(620, 420)  # the range stays, the pixels change
    qtbot.wait(300)
    box = plot.getViewBox().sceneBoundingRect()
    rects = _label_rects(plot)
    assert rects
    for i, a in enumerate(rects):
        assert box.adjusted(-1, -1, 1, 1).contains(a), (a, box)
        for b in rects[i + 1:]:
            assert not a.intersects(b)
