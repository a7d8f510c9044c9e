"""Extrinsic evaluation panel: one labelled dataset, two or more embeddings, the same classifier on each.

The panel gathers the choices and shows the result (a bar per embedding with its confidence
interval, for accuracy and macro-F1, and a table); the window runs
:func:`embedstudio.analysis.extrinsic.compare_embeddings` on the worker.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

BAR_COLOURS = ((0, 114, 178), (230, 159, 0))  # Okabe–Ito blue (accuracy), orange (macro-F1)


def _short(name: str, width: int = 18) -> str:
    """A tick label that fits under its bars (the table below has the whole name)."""
    return name if len(name) <= width else name[:width - 1] + "…"


class ExtrinsicPanel(QWidget):
    run_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        intro = QLabel("Keep the downstream model fixed, swap only the embeddings: the same folds and the same "
                       "classifier (logistic regression on averaged word vectors) for each.")
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
        layout.addLayout(form)
        layout.addWidget(QLabel("embeddings to compare (tick two or more)"))
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
        self.plot.setLabel("left", "score (mean over folds, 95% CI)")
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # scores in [0, 1], not "x0.001" milli-units
        self.plot.addLegend(offset=(-10, 10))
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
            low = np.array([r[f"{metric}_low"] for r in rows])
            high = np.array([r[f"{metric}_high"] for r in rows])
            xs = x + (k - 0.5) * width
            bars = pg.BarGraphItem(x=xs, height=mean, width=width * 0.9, brush=pg.mkBrush(*BAR_COLOURS[k]),
                                   pen=pg.mkPen(None), name=label)
            self.plot.addItem(bars)
            self.plot.addItem(pg.ErrorBarItem(x=xs, y=mean, top=high - mean, bottom=mean - low, beam=width * 0.4,
                                              pen=pg.mkPen((40, 40, 40), width=1.5)))
        self.plot.getAxis("bottom").setTicks([[(float(i), _short(r["name"])) for i, r in enumerate(rows)]])
        top = max([r["accuracy_high"] for r in rows] + [r["macro_f1_high"] for r in rows] + [0.1])
        self.plot.setYRange(0, min(1.05, top * 1.08), padding=0)
        self.plot.setXRange(-0.7, len(rows) - 0.3, padding=0)
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            cells = (r["name"], f"{r['accuracy']:.3f} [{r['accuracy_low']:.3f}, {r['accuracy_high']:.3f}]",
                     f"{r['macro_f1']:.3f} [{r['macro_f1_low']:.3f}, {r['macro_f1_high']:.3f}]",
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
