"""The status bar's view of the worker's job: what it is doing, how far it is, the time left, and
Cancel -- where the user is looking, whichever dock or tab is in front."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from embedstudio.jobs.stage import Stage


TEXT_WIDTH = 330


def clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def describe(name: str, item) -> Stage | None:
    """What a job's progress item says, as a Stage: a Stage itself, a training step (progress, map), a note."""
    if isinstance(item, Stage):
        return item
    if isinstance(item, tuple) and item and hasattr(item[0], "fraction"):
        p = item[0]
        return Stage(f"{name}: epoch {p.epoch + 1} of {p.epochs}", p.fraction, p.eta_s)
    if isinstance(item, str):
        return Stage(f"{name}: {item}")
    return None


class JobStatus(QWidget):
    """Hidden while the worker is idle; shows the running job's stage, a bar (a percentage when the job
    knows it, moving otherwise), the time left when known, and a Cancel button."""

    def __init__(self, worker, parent=None):
        super().__init__(parent)
        self.worker = worker
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.text = QLabel("")
        self.text.setFixedWidth(TEXT_WIDTH)  # a fixed place: the bar and Cancel do not move as the stage changes
        self.bar = QProgressBar()
        self.bar.setFixedWidth(140)
        self.bar.setTextVisible(True)
        self.eta = QLabel("")
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("stop the job running in the background")
        for w in (self.text, self.bar, self.eta, self.cancel):
            row.addWidget(w)
        self.cancel.clicked.connect(worker.cancel_current)
        worker.job_started.connect(self._started)
        worker.job_progress.connect(self._progress)
        worker.busy_changed.connect(lambda busy: self.setVisible(busy))
        self.hide()

    def _started(self, name: str) -> None:
        self._show(Stage(f"{name}…"))

    def _progress(self, name: str, item) -> None:
        stage = describe(name, item)
        if stage is not None:
            self._show(stage)

    def _show(self, stage: Stage) -> None:
        metrics = self.text.fontMetrics()
        self.text.setText(metrics.elidedText(stage.text, Qt.TextElideMode.ElideRight, TEXT_WIDTH))
        self.text.setToolTip(stage.text)
        if stage.fraction is None:
            self.bar.setRange(0, 0)  # moving: the job cannot say how far it is
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * min(max(stage.fraction, 0.0), 1.0)))
            self.bar.setFormat(f"{100 * stage.fraction:.0f}%")
        self.eta.setText(f"{clock(stage.eta_s)} left" if stage.eta_s is not None else "")
        self.show()
