"""Extrinsic evaluation panel: one labelled dataset, two or more embeddings, the same classifier on each.

The panel gathers the choices and shows the result (a bar per embedding with its confidence
interval, for accuracy and macro-F1, and a table); the window runs
:func:`embedstudio.analysis.extrinsic.compare_embeddings` on the worker. With a media features file
chosen it compares text, media and both instead (:func:`embedstudio.analysis.fusion.compare_fusion`,
VideoSpace-style), the text vectors being the first ticked embedding.
"""

from __future__ import annotations

import os

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from embedstudio.app.views.axes import plain_numbers

BAR_COLOURS = ((0, 114, 178), (230, 159, 0))  # Okabe–Ito blue (accuracy), orange (macro-F1)


INTRO = ("Keep the downstream model fixed, swap only the embeddings: the same folds and the same classifier "
         "(logistic regression on averaged word vectors) for each.")
INTRO_FUSION = ("Fusion: the text's averaged word vectors, the media features, and both side by side, each into "
                "the same MLP on the same folds (VideoSpace-style).")


def _with_ci(row: dict, metric: str) -> str:
    """'0.975 [0.943, 1.000]': the interval clipped to what a score can be."""
    low, high = max(0.0, row[f"{metric}_low"]), min(1.0, row[f"{metric}_high"])
    return f"{row[metric]:.3f} [{low:.3f}, {high:.3f}]"


def _short(name: str, width: int = 18) -> str:
    """A tick label that fits under its bars (the table below has the whole name)."""
    return name if len(name) <= width else name[:width - 1] + "…"


class ExtrinsicPanel(QWidget):
    run_requested = Signal()
    cancel_requested = Signal()
    media_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.intro = intro = QLabel()
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.dataset = QComboBox()
        self.dataset.setToolTip("labelled documents (__label__ tags, or a table with a label column), or a graph "
                                "with entity types: node classification, each node's type being its class")
        form.addRow("labelled data", self.dataset)
        self.prefix = QLineEdit()
        self.prefix.setPlaceholderText("(any label)")
        self.prefix.setToolTip("the class of a document is its first label starting with this, e.g. role::")
        form.addRow("label prefix", self.prefix)
        self.model = QComboBox()
        self.model.addItems(["logreg", "mlp"])
        form.addRow("classifier", self.model)
        self.folds = QSpinBox()
        self.folds.setRange(2, 20)
        self.folds.setValue(5)
        form.addRow("folds", self.folds)
        media_row = QHBoxLayout()
        self.media = QLineEdit()
        self.media.setReadOnly(True)
        self.media.setPlaceholderText("(none: compare embeddings)")
        self._media_tip = ("per-item media features (CSV/TSV rows 'id, numbers…', .npz, or .npy + .keys.txt), "
                           "matched to the documents' id column: then text, media and both are compared in one MLP")
        self.choose_media = QPushButton("Choose…")
        self.clear_media = QPushButton("Clear")
        media_row.addWidget(self.media, 1)
        media_row.addWidget(self.choose_media)
        media_row.addWidget(self.clear_media)
        form.addRow("media features", media_row)
        layout.addLayout(form)
        self.embeddings_label = QLabel()
        layout.addWidget(self.embeddings_label)
        self.embeddings = QListWidget()
        self.embeddings.setMaximumHeight(110)
        layout.addWidget(self.embeddings)
        row = QHBoxLayout()
        self.run = QPushButton("Compare")
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        row.addWidget(self.run)
        row.addWidget(self.cancel)
        row.addStretch(1)
        layout.addLayout(row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.plot = pg.PlotWidget()
        self.plot.setBackground("w")
        self.plot.setMinimumHeight(180)
        self.plot.showGrid(y=True, alpha=0.3)
        self.plot.setLabel("left", "fold mean, 95% CI")
        plain_numbers(self.plot.getAxis("left"))  # scores in [0, 1], not "x0.001" milli-units
        self.plot.addLegend(offset=(-10, 4), colCount=2)  # one row, in the headroom above the bars
        # the first bar's label reaches past the axis' left end: pyqtgraph would hide it
        self.plot.getAxis("bottom").setStyle(hideOverlappingLabels=False)
        layout.addWidget(self.plot, 1)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["embedding", "accuracy [CI]", "macro-F1 [CI]", "coverage"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMaximumHeight(140)
        layout.addWidget(self.table)
        self.result = None
        self.run.clicked.connect(self.run_requested)
        self.cancel.clicked.connect(self.cancel_requested)
        self.choose_media.clicked.connect(self.media_requested)
        self.clear_media.clicked.connect(lambda: self.set_media(""))
        self.set_media("")

    def set_media(self, path: str) -> None:
        """A media features file makes Compare a fusion run (text, media, both); "" goes back."""
        fusion = bool(path)
        was_fusion = bool(getattr(self, "_media_path", ""))
        self._media_path = path
        self.media.setText(os.path.basename(path))
        self.media.setToolTip(path or self._media_tip)
        self.clear_media.setEnabled(fusion)
        if fusion and not was_fusion:  # fusion's classifier is always the MLP: show it, keep the choice
            self._model_choice = self.model.currentText()
            self.model.setCurrentText("mlp")
        elif was_fusion and not fusion:
            self.model.setCurrentText(self._model_choice)
        self.model.setEnabled(not fusion)
        self.embeddings_label.setText("text vectors: the first ticked embedding" if fusion
                                      else "embeddings to compare (tick two or more)")
        self.intro.setText(INTRO_FUSION if fusion else INTRO)

    def media_path(self) -> str:
        return self._media_path

    # ------------------------------------------------------------------ choices
    def set_datasets(self, names: list[str]) -> None:
        current = self.dataset.currentText()
        self.dataset.clear()
        self.dataset.addItems(names)
        if current in names:
            self.dataset.setCurrentText(current)

    def set_embeddings(self, names: list[str]) -> None:
        """The session's embeddings; a new one comes ticked, the others keep their tick."""
        ticked = set(self.chosen_embeddings())
        seen = {self.embeddings.item(i).text() for i in range(self.embeddings.count())}
        self.embeddings.clear()
        for name in names:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in ticked or name not in seen else Qt.CheckState.Unchecked)
            self.embeddings.addItem(item)

    def chosen_embeddings(self) -> list[str]:
        return [self.embeddings.item(i).text() for i in range(self.embeddings.count())
                if self.embeddings.item(i).checkState() == Qt.CheckState.Checked]

    def set_running(self, running: bool, message: str = "") -> None:
        self.run.setEnabled(not running)
        self.cancel.setEnabled(running)
        if message:
            self.status.setText(message)

    # ------------------------------------------------------------------ result
    def show_result(self, result) -> None:
        """Bars with CI whiskers per embedding (accuracy and macro-F1 side by side) and the table."""
        self.result = result
        self.plot.clear()
        rows = result.rows()
        x = np.arange(len(rows), dtype=float)
        width = 0.38
        for k, (metric, label) in enumerate((("accuracy", "accuracy"), ("macro_f1", "macro-F1"))):
            mean = np.array([r[metric] for r in rows])
            low = np.clip([r[f"{metric}_low"] for r in rows], 0.0, 1.0)  # a t interval can pass 0 or 1
            high = np.clip([r[f"{metric}_high"] for r in rows], 0.0, 1.0)
            xs = x + (k - 0.5) * width
            bars = pg.BarGraphItem(x=xs, height=mean, width=width * 0.9, brush=pg.mkBrush(*BAR_COLOURS[k]),
                                   pen=pg.mkPen(None), name=label)
            self.plot.addItem(bars)
            self.plot.addItem(pg.ErrorBarItem(x=xs, y=mean, top=high - mean, bottom=mean - low, beam=width * 0.4,
                                              pen=pg.mkPen((40, 40, 40), width=1.5)))
        self.plot.getAxis("bottom").setTicks([[(float(i), _short(r["name"])) for i, r in enumerate(rows)]])
        top = min(1.0, max([r["accuracy_high"] for r in rows] + [r["macro_f1_high"] for r in rows] + [0.1]))
        self.plot.setYRange(0, top * 1.25, padding=0)  # room above the bars for the legend
        self.plot.setXRange(-0.7, len(rows) - 0.3, padding=0)
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            cells = (r["name"], _with_ci(r, "accuracy"), _with_ci(r, "macro_f1"),
                     f"{100 * r['coverage']:.1f}%")
            for c, text in enumerate(cells):
                self.table.setItem(i, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        best = max(rows, key=lambda r: r["accuracy"])
        note = f"{result.n_docs:,} documents, {result.n_classes} classes, {result.folds}-fold CV. Best: {best['name']}"
        if len(rows) >= 2:
            others = [r["name"] for r in rows if r is not best]
            d = result.paired_difference(best["name"], others[0], "accuracy")
            note += (f"; ahead of {others[0]} by {d.mean:+.3f} accuracy [{d.low:+.3f}, {d.high:+.3f}]"
                     f"{'' if d.low > 0 else ' (not significant)'}")
        self.set_running(False, note)
