"""The bias audit as a view of its own (a tab beside Map and Poincaré disk; the Bias dock keeps the controls):
the neutral words on the direction with both ends named, before → after arrows, labels placed where they fit,
and the ranked table beside it. Brushing links the two: a row picked in the table is marked and labelled on
the plot, a point clicked on the plot picks its row; the search box filters the table and marks the plot.
What is drawn comes from :mod:`embedstudio.analysis.bias_figure`, as the HTML report's figure does."""

from __future__ import annotations

import html
import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPainterPath, QTransform
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from embedstudio.analysis.bias_figure import (
    AFTER,
    ARROW,
    BEFORE,
    HIGHLIGHT,
    BiasFigure,
    bias_figure,
    end_text,
)
from embedstudio.app.views.axes import plain_numbers
from embedstudio.app.views.label_layer import LabelLayer

CLICK_PIXELS = 8
COLUMNS = ["word", "before", "after", "RIPA before", "RIPA after", "share before", "share after"]
COLUMN_TIPS = ["", "cos with the direction before debiasing", "cos with the direction after debiasing",
               "RIPA (w · direction, Ethayarajh et al. 2019) before", "RIPA after",
               "share of the word's squared norm along the direction, before", "the same after"]


def _arrow_head(angle_degrees: float) -> QPainterPath:
    """A unit arrowhead pointing along ``angle_degrees`` (screen coordinates, y down), tip at the point."""
    path = QPainterPath()
    path.moveTo(0.0, 0.0)
    path.lineTo(-1.0, -0.45)
    path.lineTo(-1.0, 0.45)
    path.closeSubpath()
    return QTransform().rotate(angle_degrees).map(path)


class BiasPlot(pg.PlotWidget):
    """The figure: before (orange) → after (blue arrowheads), both ends of the direction named in the corners."""

    point_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        item = self.getPlotItem()
        for side in ("bottom", "left"):
            plain_numbers(item.getAxis(side))  # cosines, never "x0.001"
        item.hideAxis("left")
        self.figure: BiasFigure | None = None
        self._arrows = pg.PlotCurveItem(pen=pg.mkPen(*ARROW, 150, width=1), connect="pairs")
        self._zero = pg.InfiniteLine(0.0, angle=90, pen=pg.mkPen((150, 150, 150), style=Qt.PenStyle.DashLine))
        self._before = pg.ScatterPlotItem(size=7, brush=pg.mkBrush(*BEFORE, 220), pen=None, name="before")
        self._after = pg.ScatterPlotItem(size=10, brush=pg.mkBrush(*AFTER, 230), pen=None, name="after")
        self._marked = pg.ScatterPlotItem(size=13, pen=pg.mkPen(HIGHLIGHT, width=2), brush=None)
        for z, it in enumerate((self._zero, self._arrows, self._before, self._after, self._marked)):
            it.setZValue(z)
            self.addItem(it)
        # both ends named under the axis, left and right, outside the data (and in every exported picture)
        ends_row = pg.GraphicsLayout()
        self.ends = [pg.LabelItem("", justify="left", color=(30, 30, 30), bold=True, size="10pt"),
                     pg.LabelItem("", justify="right", color=(30, 30, 30), bold=True, size="10pt")]
        ends_row.addItem(self.ends[0], 0, 0)
        ends_row.addItem(self.ends[1], 0, 1)
        item.layout.addItem(ends_row, 4, 1)
        self.legend = item.addLegend(offset=(8, 8), labelTextColor=(30, 30, 30), brush=pg.mkBrush(255, 255, 255, 225))
        self.labels = LabelLayer(self, color=(40, 40, 40), max_labels=150, fill=(255, 255, 255, 200))
        self.found = np.zeros(0, dtype=np.int64)  # search hits: labelled first, marked
        self.chosen: list[int] = []  # rows picked in the table or on the plot: always labelled
        self._head_angles: np.ndarray | None = None
        self._timer = QTimer(self)  # relabel once a zoom or pan settles
        self._timer.setSingleShot(True)
        self._timer.setInterval(40)
        self._timer.timeout.connect(self.relabel)
        self.getViewBox().sigRangeChanged.connect(lambda *_: self._timer.start())
        self.getViewBox().sigResized.connect(lambda *_: self._timer.start())  # labels are placed in pixels
        self.scene().sigMouseClicked.connect(self._on_click)

    def close(self) -> bool:
        """pyqtgraph's close drops the plot item while the relabel timer may still fire: stop it first."""
        self._timer.stop()
        return super().close()

    def show_figure(self, fig: BiasFigure) -> None:
        self.figure = fig
        self.found = np.zeros(0, dtype=np.int64)
        self.chosen = []
        item = self.getPlotItem()
        self.setLabel("bottom", fig.x_title)
        if fig.y_title is None:
            item.hideAxis("left")
        else:
            item.showAxis("left")
            self.setLabel("left", fig.y_title)
        self._before.setData(x=fig.x_before, y=fig.y_before, data=np.arange(len(fig.words)))
        self.legend.clear()
        self.legend.addItem(self._before, "before")
        if fig.x_after is not None:
            self.legend.addItem(self._after, fig.after_title)
            self._arrows.setData(np.column_stack([fig.x_before, fig.x_after]).ravel(),
                                 np.column_stack([fig.y_before, fig.y_after]).ravel(), connect="pairs")
        else:
            self._arrows.setData([], [])
            self._after.setData(x=[], y=[])
        self.ends[0].setText(f"← {html.escape(end_text(fig.negative_end))}")
        self.ends[1].setText(f"{html.escape(end_text(fig.positive_end))} →")
        for end in self.ends:  # a label asks for its text's width: the scene outgrew a narrow view and was clipped
            end.setMinimumWidth(0)
        self.labels.forget_sizes()
        self._head_angles = None
        lo, hi = fig.limits()
        ys = fig.y_before[np.isfinite(fig.y_before)]
        bottom, top = (float(ys.min()), float(ys.max())) if len(ys) else (-1.0, 1.0)
        pad = 1.0 if fig.y_title is None else 0.04 * (top - bottom)
        headroom = 0.14 * (top - bottom) + pad  # the legend's place, above the words
        self.setRange(xRange=(lo, hi), yRange=(bottom - pad, top + headroom), padding=0.02)
        # ranked words: the wheel spreads the rows (where labels crowd) and keeps the whole direction in view
        self.setMouseEnabled(x=fig.y_title is not None, y=True)
        self._mark()
        self.relabel()

    def clear_figure(self) -> None:
        self.figure = None
        for it in (self._before, self._after, self._marked):
            it.setData(x=[], y=[])
        self._arrows.setData([], [])
        for end in self.ends:
            end.setText("")
        self.labels.clear()

    # ------------------------------------------------------------------ what is marked and labelled
    def mark(self, found=(), chosen=()) -> None:
        self.found = np.asarray(found, dtype=np.int64)
        self.chosen = [int(r) for r in chosen]
        self._mark()
        self.relabel()

    def _mark(self) -> None:
        fig = self.figure
        rows = np.unique(np.concatenate([self.found, np.asarray(self.chosen, dtype=np.int64)]))
        if fig is None or not len(rows):
            self._marked.setData(x=[], y=[])
            return
        self._marked.setData(x=fig.x_before[rows], y=fig.y_before[rows])

    def relabel(self) -> None:
        """Ends in the corners, arrowheads turned to the arrows' on-screen angle, words labelled where they fit."""
        fig = self.figure
        if fig is None:
            return
        (x0, x1), (y0, y1) = self.getViewBox().viewRange()
        if fig.x_after is not None:
            self._turn_heads(fig, x1 - x0, y1 - y0)
        coords = np.column_stack([fig.x_before, fig.y_before])
        inside = np.flatnonzero((coords[:, 0] >= x0) & (coords[:, 0] <= x1) & (coords[:, 1] >= y0) &
                                (coords[:, 1] <= y1))
        self.labels.place(coords, fig.words.__getitem__, inside, fig.importance, self.chosen, self.found,
                          avoid=[self.legend])

    def _turn_heads(self, fig: BiasFigure, span_x: float, span_y: float) -> None:
        box = self.getViewBox().sceneBoundingRect()
        dx = (fig.x_after - fig.x_before) / span_x * box.width()
        dy = -(fig.y_after - fig.y_before) / span_y * box.height()  # screen y grows downwards
        angles = np.degrees(np.arctan2(dy, dx))
        moved = np.hypot(dx, dy) > 3
        angles = np.where(moved, np.round(angles / 5) * 5, np.nan)  # 5-degree steps: few distinct symbols
        if self._head_angles is not None and np.array_equal(angles, self._head_angles, equal_nan=True):
            return
        self._head_angles = angles
        shapes = {a: _arrow_head(a) for a in np.unique(angles[moved])}
        symbols = [shapes[a] if m else "o" for a, m in zip(angles, moved)]
        self._after.setData(x=fig.x_after, y=fig.y_after, symbol=symbols, size=[11 if m else 6 for m in moved])

    def end_texts(self) -> tuple[str, str]:
        return tuple(html.unescape(end.text) for end in self.ends)

    @property
    def labelled(self) -> list[str]:
        return [self.figure.words[int(r)] for r in self.labels.rows] if self.figure else []

    def nearest(self, x: float, y: float, pixels: float = CLICK_PIXELS) -> int | None:
        fig = self.figure
        if fig is None or not len(fig.words):
            return None
        pw, ph = self.getViewBox().viewPixelSize()
        d = np.nan_to_num(((fig.x_before - x) / pw) ** 2 + ((fig.y_before - y) / ph) ** 2, nan=np.inf)
        i = int(np.argmin(d))
        return i if d[i] <= pixels**2 else None

    def _on_click(self, event) -> None:
        p = self.getViewBox().mapSceneToView(event.scenePos())
        i = self.nearest(p.x(), p.y())
        if i is not None:
            self.point_clicked.emit(i)


class BiasView(QWidget):
    """The plot with the ranked table beside it; ``export_requested`` asks the window for a PNG/SVG of the plot."""

    export_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel("Run Tools ▸ Bias audit… to see the neutral words on the bias direction here.")
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.plot = BiasPlot()
        split.addWidget(self.plot)
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("find words (regular expression)…")
        self.search.setClearButtonEnabled(True)
        row.addWidget(self.search, 1)
        self.export = QPushButton("Export image…")
        self.export.setToolTip("the plot as PNG (a chosen width) or SVG")
        self.export.setEnabled(False)
        row.addWidget(self.export)
        column.addLayout(row)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for c, tip in enumerate(COLUMN_TIPS):
            self.table.horizontalHeaderItem(c).setToolTip(tip)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("the neutral words from the most negative to the most positive on the direction; "
                              "click a header to sort, a row to mark the word on the plot")
        column.addWidget(self.table, 1)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([620, 380])  # the plot first; the table keeps a word and both cosines in view
        layout.addWidget(split, 1)
        self.figure: BiasFigure | None = None
        self.search.textChanged.connect(self.find)
        self.table.itemSelectionChanged.connect(self._on_table_selection)
        self.plot.point_clicked.connect(self.choose)
        self.export.clicked.connect(self.export_requested.emit)

    def show_result(self, result, subject: str = "") -> None:
        fig = self.figure = bias_figure(result)
        self.title.setText(f"<b>{len(fig.words)} neutral words</b> on the {result.preset} direction"
                           f"{f' of {subject}' if subject else ''}: ← {end_text(fig.negative_end)} · "
                           f"{end_text(fig.positive_end)} →. Click a word (here or in the table) to mark it.")
        self.plot.show_figure(fig)
        self._fill(result)
        self.export.setEnabled(True)
        self.find(self.search.text())

    def set_stale(self, stale: bool) -> None:
        """Results of another embedding than the current one: greyed out (the Bias dock says why)."""
        self.plot.setEnabled(not stale)
        self.table.setEnabled(not stale)

    def _fill(self, result) -> None:
        after = dict(result.after.most_biased) if result.after is not None else {}
        ripa_after = result.after.ripa if result.after is not None else {}
        share_after = result.after.norm_share if result.after is not None else {}
        self.table.setSortingEnabled(False)
        self.table.blockSignals(True)
        self.table.clearContents()
        self.table.setRowCount(len(result.before.most_biased))
        for r, (word, cos) in enumerate(result.before.most_biased):
            values = (cos, after.get(word), result.before.ripa.get(word), ripa_after.get(word),
                      result.before.norm_share.get(word), share_after.get(word))
            name = QTableWidgetItem(word)
            name.setData(Qt.ItemDataRole.UserRole, r)  # the word's row in the figure, whatever the sort
            self.table.setItem(r, 0, name)
            for c, value in enumerate(values, start=1):
                item = QTableWidgetItem()
                if value is not None:
                    item.setData(Qt.ItemDataRole.DisplayRole, round(float(value), 4))  # numbers sort as numbers
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        self.table.setSortingEnabled(True)
        self.table.sortItems(1, Qt.SortOrder.AscendingOrder)  # by the direction, most negative first

    def _figure_row(self, table_row: int) -> int:
        return int(self.table.item(table_row, 0).data(Qt.ItemDataRole.UserRole))

    def _table_row(self, figure_row: int) -> int | None:
        for r in range(self.table.rowCount()):
            if self._figure_row(r) == figure_row:
                return r
        return None

    # ------------------------------------------------------------------ brushing
    def choose(self, figure_row: int) -> None:
        """A word picked on the plot: its row selected and scrolled to in the table (which marks the plot)."""
        r = self._table_row(figure_row)
        if r is None:
            return
        if self.table.isRowHidden(r):  # hidden by the search: show every row again
            self.search.clear()
        self.table.selectRow(r)
        self.table.scrollToItem(self.table.item(r, 0), QAbstractItemView.ScrollHint.PositionAtCenter)

    def chosen_words(self) -> list[str]:
        return [self.figure.words[r] for r in self.plot.chosen] if self.figure else []

    def _on_table_selection(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedItems()})
        self.plot.mark(self.plot.found, [self._figure_row(r) for r in rows])

    def find(self, pattern: str) -> list[str]:
        """Keep the table's rows matching ``pattern`` (all when empty), mark and label them on the plot."""
        fig = self.figure
        try:
            rx = re.compile(pattern, re.IGNORECASE) if pattern else None
        except re.error:
            return []
        hits = [] if fig is None or rx is None else [i for i, w in enumerate(fig.words) if rx.search(w)]
        shown = set(hits)
        for r in range(self.table.rowCount()):
            self.table.setRowHidden(r, rx is not None and self._figure_row(r) not in shown)
        self.plot.mark(hits, self.plot.chosen)
        return [fig.words[i] for i in hits] if fig else []

