"""Live loss curve, its axes naming what each curve is.

Every trainer reports a running loss, counted while the vectors change (one value per training
step). Its epoch means are not comparable from one epoch to the next: word2vec's rose as its rate
decayed while the model improved. Trainers that also score their objective on a fixed sample after
each epoch (word2vec, graph) get that as the main curve, on the left axis; the running loss is then
a secondary curve on the right axis (its units may differ: the graph's is summed over negatives).
Without one (StarSpace, Poincaré) the running loss and its epoch means are on the left axis.

Reports are appended to growing float64 buffers; the curves are redrawn by a timer at most ten
times a second however fast reports come.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer

from embedstudio.app.views.axes import plain_numbers
from embedstudio.train.base import OBJECTIVE_HOW, objective_summary  # noqa: F401 - the panels' summary

REDRAW_MS = 100
LEGEND_ROOM = 0.45  # of the curves' height, left free above them for the legend
RUNNING = "running training loss (counted during updates)"
WRAP_AT = 30  # characters: longer labels take two lines (a 300-pixel dock shows ~40 of a vertical label)
OBJECTIVE_COLOUR = "#2ca02c"
RUNNING_COLOUR = "#1f77b4"
LABEL_COLOUR = "#444444"


class LossView(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        plot = self.getPlotItem()
        self.setLabel("bottom", "epoch")
        plain_numbers(plot.getAxis("bottom"))  # early on, not "epoch (x0.001)"
        plain_numbers(plot.getAxis("left"))  # a StarSpace hinge loss of 0.2 is not "200 (x0.001)"
        plain_numbers(plot.getAxis("right"))
        self.showGrid(x=True, y=True, alpha=0.25)
        # the right axis's own view (pyqtgraph's "multiple axes"): x follows the main view
        self._right = pg.ViewBox()
        plot.scene().addItem(self._right)
        plot.getAxis("right").linkToView(self._right)
        self._right.setXLink(plot)
        plot.vb.sigResized.connect(self._fit_right)
        self._legend = self.addLegend(offset=(-10, 10), labelTextSize="8pt", brush=pg.mkBrush(255, 255, 255, 210))
        self._chunk_curve = pg.PlotDataItem([], [], pen=pg.mkPen(RUNNING_COLOUR, width=1.2))
        self._epoch_points = pg.PlotDataItem([], [], pen=None, symbol="o", symbolSize=8, symbolBrush="#d62728")
        self._objective = pg.PlotDataItem([], [], pen=pg.mkPen(OBJECTIVE_COLOUR, width=2), symbol="o",
                                          symbolSize=8, symbolBrush=OBJECTIVE_COLOUR, symbolPen=None)
        for item in (self._chunk_curve, self._epoch_points, self._objective):
            plot.addItem(item)
        # an invisible point above the curves in each view: the auto-range leaves room for the legend, which
        # covered a falling curve's first epochs
        self._headroom, self._headroom_right = (  # a point drawn in no colour: its bounds count, a curve's would not
            pg.PlotDataItem([], [], pen=None, symbol="o", symbolSize=1, symbolPen=None, symbolBrush=(0, 0, 0, 0))
            for _ in range(2))
        plot.addItem(self._headroom)
        self._right.addItem(self._headroom_right)
        self._labels: tuple[str, str] | None = None
        self._show_labels("loss per example", "")
        self._x = np.zeros(0, np.float64)
        self._y = np.zeros(0, np.float64)
        self._n = 0
        self._epochs: tuple[float, ...] = ()
        self._objective_values: tuple[float, ...] = ()
        self._dirty = False
        self.redraws = 0
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    # ------------------------------------------------------------------ what the curves are
    def _show_labels(self, loss_label: str, objective_label: str) -> None:
        """Axes and legend for a trainer whose running loss is ``loss_label`` and whose fixed-sample objective
        is ``objective_label`` ("" = none)."""
        if self._labels == (loss_label, objective_label):
            return
        self._labels = (loss_label, objective_label)
        plot = self.getPlotItem()
        self._legend.clear()
        # the running step curve has its own right axis only beside an objective in other units (the graph's
        # is per (edge, side), summed over the negatives): the same units on two scales would mislead
        right = bool(objective_label) and objective_label != loss_label
        home, away = (self._right, plot.vb) if right else (plot.vb, self._right)
        if self._chunk_curve in away.addedItems:
            away.removeItem(self._chunk_curve)
            home.addItem(self._chunk_curve)
        if objective_label:
            self.setLabel("left", _wrap(objective_label), color=OBJECTIVE_COLOUR if right else LABEL_COLOUR)
            self._legend.addItem(self._objective, _wrap(OBJECTIVE_HOW))
            self._legend.addItem(self._chunk_curve, _wrap(RUNNING))
        else:
            self.setLabel("left", _wrap(f"{loss_label} (counted during updates)"), color=LABEL_COLOUR)
            self._legend.addItem(self._chunk_curve, "per step")
            self._legend.addItem(self._epoch_points, "epoch mean")
        if right:
            self.setLabel("right", _wrap(f"{loss_label}, running"), color=RUNNING_COLOUR)
            plot.showAxis("right")
        else:
            plot.hideAxis("right")
        self._objective.setVisible(bool(objective_label))
        self._epoch_points.setVisible(not objective_label)
        self._fit_right()

    def axis_label(self, side: str = "left") -> str:
        """The text of an axis's label ("left", "right" or "bottom") on one line; "" for a hidden axis."""
        axis = self.getPlotItem().getAxis(side)
        return _unwrap(axis.labelText) if axis.isVisible() else ""

    def legend_names(self) -> list[str]:
        return [_unwrap(label.text) for _, label in self._legend.items]

    def _fit_right(self) -> None:
        plot = self.getPlotItem()
        self._right.setGeometry(plot.vb.sceneBoundingRect())
        self._right.linkedViewChanged(plot.vb, self._right.XAxis)

    # ------------------------------------------------------------------ data
    def clear_run(self) -> None:
        self._n = 0
        self._epochs = ()
        self._objective_values = ()
        self._dirty = True

    def add(self, progress) -> None:
        self._show_labels(progress.loss_label, progress.objective_label)
        self._objective_values = progress.epoch_objective
        self._epochs = progress.epoch_losses
        self._dirty = True
        if self._n == 0:  # the run's whole length from its first step: the curves grow into it
            self.getPlotItem().vb.setXRange(0, progress.epochs, padding=0.02)
        if not np.isfinite(progress.step_loss):
            return
        if self._n == len(self._x):
            grow = max(256, 2 * len(self._x))
            self._x = np.resize(self._x, grow)
            self._y = np.resize(self._y, grow)
        per_epoch = progress.total / progress.epochs
        self._x[self._n] = progress.cursor / per_epoch
        self._y[self._n] = progress.step_loss
        self._n += 1

    @property
    def points(self) -> int:
        return self._n

    def series(self) -> tuple[np.ndarray, np.ndarray]:
        """The running loss of each step: (epochs done, loss)."""
        return self._x[: self._n].copy(), self._y[: self._n].copy()

    def objective(self) -> np.ndarray:
        """The fixed-sample objective after each finished epoch (empty without one)."""
        return np.asarray(self._objective_values, dtype=np.float64)

    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self.redraws += 1
        self._chunk_curve.setData(self._x[: self._n], self._y[: self._n])
        ep = np.asarray(self._epochs, dtype=np.float64)
        self._epoch_points.setData(np.arange(1, len(ep) + 1, dtype=np.float64), ep)
        ob = self.objective()
        self._objective.setData(np.arange(1, len(ob) + 1, dtype=np.float64), ob)
        for view, marker in ((self.getPlotItem().vb, self._headroom), (self._right, self._headroom_right)):
            ys = [item.yData for item in (self._chunk_curve, self._epoch_points, self._objective)
                  if item in view.addedItems and item.isVisible() and item.yData is not None and len(item.yData)]
            ys = np.concatenate(ys) if ys else np.zeros(0)
            ys = ys[np.isfinite(ys)]
            if len(ys):
                top, bottom = float(ys.max()), float(min(ys.min(), 0.0))
                marker.setData([0.0], [top + LEGEND_ROOM * (top - bottom)])
            else:
                marker.setData([], [])


def _wrap(text: str, width: int = WRAP_AT) -> str:
    """``text`` as HTML, on two lines broken at the space nearest its middle when longer than ``width``."""
    spaces = [i for i, c in enumerate(text) if c == " "]
    if len(text) <= width or not spaces:
        return html.escape(text)
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return html.escape(text[:cut]) + "<br>" + html.escape(text[cut + 1:])


def _unwrap(label: str) -> str:
    return html.unescape(label.replace("<br>", " "))
