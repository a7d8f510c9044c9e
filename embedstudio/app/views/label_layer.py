"""The text labels of a scatter view, placed by :mod:`embedstudio.analysis.labels`: the widget says which
points are in view and how important each is; this turns them into screen rectangles, asks the placer, and
shows the chosen labels with a pool of TextItems (no items created or destroyed on a pan)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QFontMetricsF

from embedstudio.analysis import labels as placer

TEXT_MARGIN = 4.0  # QGraphicsTextItem's document margin: part of every label's box


class LabelLayer:
    def __init__(self, plot: pg.PlotWidget, color=(60, 60, 60), max_labels: int = 200, z: float = 6, fill=None):
        self.plot = plot
        self.color = QColor(*color)
        self.fill = pg.mkBrush(*fill) if fill is not None else None  # a backdrop where labels cross lines
        self.max_labels = max_labels
        self.z = z
        self.font = QFont()
        self.metrics = QFontMetricsF(self.font)
        self.items: list[pg.TextItem] = []
        self.rows = np.zeros(0, dtype=np.int64)  # the rows labelled now, most important first
        self._widths: dict[int, float] = {}

    def forget_sizes(self) -> None:
        """The texts changed (new points): measure them again."""
        self._widths = {}

    def place(self, coords: np.ndarray, text: Callable[[int], str], in_view: np.ndarray,
              importance: np.ndarray | None, forced=(), preferred=(), avoid=()) -> np.ndarray:
        """Label the rows of ``in_view`` (positions in ``coords``) by priority (``forced``: always;
        ``preferred``, then ``importance``) where they fit, never over the items of ``avoid`` (a legend);
        returns the rows labelled."""
        vb = self.plot.getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        box = vb.sceneBoundingRect()
        width, height = box.width(), box.height()
        rows, tops = np.zeros(0, dtype=np.int64), np.zeros((0, 2))
        if len(in_view) and width > 0 and height > 0 and x1 > x0 and y1 > y0:
            tried, n_forced = placer.candidates(in_view, importance, forced, preferred)
            px = (np.asarray(coords[tried, 0], dtype=np.float64) - x0) / (x1 - x0) * width
            py = (y1 - np.asarray(coords[tried, 1], dtype=np.float64)) / (y1 - y0) * height
            w = np.array([self._width(int(r), text) for r in tried], dtype=np.float64)
            h = np.full(len(tried), self.metrics.height() + 2 * TEXT_MARGIN)
            corner = box.topLeft()
            blocked = [(r.left() - corner.x(), r.top() - corner.y(), r.right() - corner.x(), r.bottom() - corner.y())
                       for r in (item.sceneBoundingRect() for item in avoid if item is not None and item.isVisible())]
            order, where = placer.place_labels(px, py, w, h, width, height, n_forced, self.max_labels, blocked)
            rows = tried[order]
            tops = np.array([placer.label_rect(px[i], py[i], w[i], h[i], int(where[i]))[:2] for i in order])
        while len(self.items) < len(rows):
            item = pg.TextItem("", color=self.color, anchor=(0, 0), fill=self.fill)
            item.setFont(self.font)
            item.setZValue(self.z)
            self.plot.addItem(item)
            self.items.append(item)
        for k, item in enumerate(self.items):
            if k < len(rows):
                left, top = tops[k]
                item.setText(text(int(rows[k])))
                item.setPos(x0 + left / width * (x1 - x0), y1 - top / height * (y1 - y0))
                item.show()
            else:
                item.hide()
        self.rows = rows
        return rows

    def clear(self) -> None:
        for item in self.items:
            item.hide()
        self.rows = np.zeros(0, dtype=np.int64)

    def _width(self, row: int, text: Callable[[int], str]) -> float:
        w = self._widths.get(row)
        if w is None:
            w = self._widths[row] = self.metrics.horizontalAdvance(text(row)) + 2 * TEXT_MARGIN
        return w
