"""Live loss curve: the mean loss of each training step, and one point per finished epoch.

Reports are appended to growing float64 buffers; the curve is redrawn by a timer at most ten
times a second however fast reports come.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer

from embedstudio.app.views.axes import plain_numbers

REDRAW_MS = 100


class LossView(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.setLabel("bottom", "epoch")
        plain_numbers(self.getPlotItem().getAxis("bottom"))  # early on, not "epoch (x0.001)"
        self.setLabel("left", "loss (mean per example)")
        plain_numbers(self.getPlotItem().getAxis("left"))  # a StarSpace hinge loss of 0.2 is not "200 (x0.001)"
        self.showGrid(x=True, y=True, alpha=0.25)
        self.addLegend(offset=(-10, 10))
        self._chunk_curve = self.plot([], [], pen=pg.mkPen("#1f77b4", width=1.2), name="per step")
        self._epoch_points = self.plot([], [], pen=None, symbol="o", symbolSize=8, symbolBrush="#d62728",
                                       name="epoch mean")
        self._x = np.zeros(0, np.float64)
        self._y = np.zeros(0, np.float64)
        self._n = 0
        self._epochs: tuple[float, ...] = ()
        self._dirty = False
        self.redraws = 0
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    def clear_run(self) -> None:
        self._n = 0
        self._epochs = ()
        self._dirty = True

    def add(self, progress) -> None:
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
        self._epochs = progress.epoch_losses
        self._dirty = True

    @property
    def points(self) -> int:
        return self._n

    def series(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x[: self._n].copy(), self._y[: self._n].copy()

    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self.redraws += 1
        self._chunk_curve.setData(self._x[: self._n], self._y[: self._n])
        ep = np.asarray(self._epochs, dtype=np.float64)
        self._epoch_points.setData(np.arange(1, len(ep) + 1, dtype=np.float64), ep)
