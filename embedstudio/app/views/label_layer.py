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
        self._widths = np.zeros(0)  # each row's label width once measured (NaN: not yet)
        self._item_rows: list[int] = []  # the row each pooled item shows (-1: hidden)

    def forget_sizes(self) -> None:
        """The texts changed (new points): measure them again, and set every item's text anew."""
        self._widths = np.zeros(0)
        self._item_rows = [-1] * len(self.items)

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
            w = self._widths_of(tried, text)
            h = np.full(len(tried), self.metrics.height() + 2 * TEXT_MARGIN)
            corner = box.topLeft()
            blocked = [(r.left() - corner.x(), r.top() - corner.y(), r.right() - corner.x(), r.bottom() - corner.y())
                       for r in (item.sceneBoundingRect() for item in avoid if item is not None and item.isVisible())]
            order, where = placer.place_labels(px, py, w, h, width, height, n_forced, self.max_labels, blocked)
            rows = tried[order]
            # the rectangle rule of placer.label_rect, for all the placed labels at once
            chosen = placer.PLACES[where[order]]
            tops = np.column_stack([px[order] + chosen[:, 0] * w[order], py[order] - (chosen[:, 1] + 1.0) * h[order]])
        while len(self.items) < len(rows):
            item = pg.TextItem("", color=self.color, anchor=(0, 0), fill=self.fill)
            item.setFont(self.font)
            item.setZValue(self.z)
            self.plot.addItem(item)
            self.items.append(item)
            self._item_rows.append(-1)
        # a row labelled before keeps its item: only its position changes (setText re-lays out the text, the
        # larger part of a pan's labelling cost at 100k points)
        before = {int(r): k for k, r in enumerate(self._item_rows) if r >= 0}
        slot = [before.get(int(r), -1) for r in rows]
        free = iter(sorted(set(range(len(self.items))) - set(slot)))
        slot = [k if k >= 0 else next(free) for k in slot]
        item_rows = [-1] * len(self.items)
        for i, k in enumerate(slot):
            item = self.items[k]
            row = int(rows[i])
            if self._item_rows[k] != row:
                item.setText(text(row))
            left, top = tops[i]
            item.setPos(x0 + left / width * (x1 - x0), y1 - top / height * (y1 - y0))
            item.show()
            item_rows[k] = row
        for k, row in enumerate(item_rows):
            if row < 0:
                self.items[k].hide()
        self._item_rows = item_rows
        self.rows = rows
        return rows

    def clear(self) -> None:
        for item in self.items:
            item.hide()
        self._item_rows = [-1] * len(self.items)
        self.rows = np.zeros(0, dtype=np.int64)

    def _widths_of(self, rows: np.ndarray, text: Callable[[int], str]) -> np.ndarray:
        """The label widths of ``rows`` (pixels, margins included), measured once per row: a pan tries up to
        2,000 rows, mostly the same as the last one's."""
        top = int(rows.max()) + 1 if len(rows) else 0
        if len(self._widths) < top:
            grown = np.full(max(top, 2 * len(self._widths)), np.nan)
            grown[:len(self._widths)] = self._widths
            self._widths = grown
        w = self._widths[rows]
        for i in np.flatnonzero(np.isnan(w)):
            w[i] = self._widths[rows[i]] = self.metrics.horizontalAdvance(text(int(rows[i]))) + 2 * TEXT_MARGIN
        return w
