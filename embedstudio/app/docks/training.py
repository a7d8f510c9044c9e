"""Training panel: the dataset to train on, the trainer's generated form, run controls, progress."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea,
                               QVBoxLayout, QWidget)

from embedstudio.app.docks.config_form import ConfigForm
from embedstudio.train.word2vec import Word2VecConfig


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


class TrainingPanel(QWidget):
    start_requested = Signal()
    pause_requested = Signal()
    cancel_requested = Signal()
    checkpoint_requested = Signal()

    def __init__(self, config_class=Word2VecConfig, data_label: str = "corpus",
                 hint: str = "drop a corpus on the window, then Start", parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel(data_label))
        self.corpus = QComboBox()  # the dataset to train on (a corpus, or a hierarchy)
        self.corpus.setToolTip(f"a {data_label} opened in this session")
        row.addWidget(self.corpus, 1)
        layout.addLayout(row)
        self.form = ConfigForm(config_class)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        layout.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        self.start = QPushButton("Start")
        self.pause = QPushButton("Pause")
        self.cancel = QPushButton("Cancel")
        self.save = QPushButton("Save checkpoint…")
        for b in (self.start, self.pause, self.cancel, self.save):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        layout.addWidget(self.progress)
        self.status = QLabel(hint)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.start.clicked.connect(self.start_requested)
        self.pause.clicked.connect(self.pause_requested)
        self.cancel.clicked.connect(self.cancel_requested)
        self.save.clicked.connect(self.checkpoint_requested)
        self.unit = "words" if data_label == "corpus" else "edges"
        self.set_running(False)

    def set_corpora(self, names: list[str]) -> None:
        current = self.corpus.currentText()
        self.corpus.clear()
        self.corpus.addItems(names)
        if current in names:
            self.corpus.setCurrentText(current)
        elif names:
            self.corpus.setCurrentIndex(len(names) - 1)
        self.start.setEnabled(bool(names) and not self.cancel.isEnabled())
        if names and not self.cancel.isEnabled():
            self.status.setText("ready: choose the options, then Start")

    def set_running(self, running: bool, paused: bool = False) -> None:
        self.start.setEnabled(not running and self.corpus.count() > 0)
        self.pause.setEnabled(running)
        self.pause.setText("Resume" if paused else "Pause")
        self.cancel.setEnabled(running)
        self.save.setEnabled(running)
        self.form.setEnabled(not running)

    def show_progress(self, p) -> None:
        self.progress.setValue(int(1000 * p.fraction))
        self.status.setText(
            f"epoch {p.epoch + 1}/{p.epochs}   loss {p.loss:.4f}   {p.items_per_s / 1000:,.0f}k {self.unit}/s   "
            f"lr {p.learning_rate:.5f}   ETA {_clock(p.eta_s)}")
