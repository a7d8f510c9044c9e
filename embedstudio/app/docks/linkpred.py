"""Link prediction panel: "which tails for (h, r, ?)" or "which heads for (?, r, t)", ranked with scores.

The relation box filters to one relation, or "all relations" ranks (relation, entity) pairs together.
Known training edges are marked, so a user sees what the model predicts beyond its data.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QCompleter, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from embedstudio.text import count

ALL_RELATIONS = "all relations"
DIRECTIONS = ("tails of (entity, relation, ?)", "heads of (?, relation, entity)")


class LinkPredictionPanel(QWidget):
    entity_chosen = Signal(str)  # a result row was clicked: show that entity on the map

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = None
        self.known: set[tuple[int, int, int]] | None = None
        layout = QVBoxLayout(self)
        self.info = QLabel("Train a graph (an edge list: head, relation, tail) to predict links.")
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        row = QHBoxLayout()
        self.entity = QLineEdit()
        self.entity.setPlaceholderText("entity…")
        self._names = QStringListModel()
        completer = QCompleter(self._names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.entity.setCompleter(completer)
        self.relation = QComboBox()
        self.relation.setToolTip("relation filter; with all relations, raw scores of different relations are "
                                 "compared as they are (they are not calibrated against each other)")
        row.addWidget(self.entity, 1)
        row.addWidget(self.relation)
        layout.addLayout(row)
        row = QHBoxLayout()
        self.direction = QComboBox()
        self.direction.addItems(DIRECTIONS)
        self.topn = QSpinBox()
        self.topn.setRange(1, 1000)
        self.topn.setValue(10)
        self.run = QPushButton("Predict")
        row.addWidget(self.direction, 1)
        row.addWidget(self.topn)
        row.addWidget(self.run)
        layout.addLayout(row)
        self.message = QLabel("")
        layout.addWidget(self.message)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["relation", "entity", "score", "known"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        layout.addWidget(self.table, 1)
        self.run.clicked.connect(self.run_query)
        self.entity.returnPressed.connect(self.run_query)
        self.relation.activated.connect(lambda _i: self.run_query())
        self.direction.activated.connect(lambda _i: self.run_query())
        self.table.cellClicked.connect(lambda r, _c: self.entity_chosen.emit(self.table.item(r, 1).text()))

    def set_model(self, model, known_edges: np.ndarray | None = None, summary: str = "") -> None:
        self.model = model
        self.known = None if known_edges is None else set(map(tuple, np.asarray(known_edges).tolist()))
        self._names.setStringList(list(model.embedding.keys) if model is not None else [])
        self.relation.clear()
        if model is not None:
            self.relation.addItems([ALL_RELATIONS] + list(model.relation_names))
            self.info.setText(summary or f"{count(len(model.embedding), 'entity')}, "
                                         f"{count(model.n_relations, 'relation')}, "
                                         f"{model.operator} operator, {model.comparator} comparator")
        self.table.setRowCount(0)

    def run_query(self) -> list[tuple[str, str, float, bool]]:
        name = self.entity.text().strip()
        if self.model is None or not name:
            return []
        if name not in self.model.embedding:
            self.message.setText(f"“{name}” is not an entity of this graph")
            self.table.setRowCount(0)
            return []
        relation = self.relation.currentText()
        rows = self.model.predict_links(name, None if relation == ALL_RELATIONS else relation,
                                        tails=self.direction.currentIndex() == 0, topn=self.topn.value(),
                                        known=self.known)
        self.message.setText("" if rows else f"“{name}” stands on no side of this relation")
        self.table.setRowCount(len(rows))
        for r, (relation, other, score, known) in enumerate(rows):
            for c, text in enumerate((relation, other, f"{score:.4f}", "✓" if known else "")):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        return rows
