"""StarSpace panel: tags for a text (TagSpace); recommendations for a user and an item's neighbours (PageSpace).

The panel only asks the model (`SpaceModel.predict`, `similar_labels`); the held-out scores of the
last training run are shown above the query box.
"""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (QCompleter, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
                               QSpinBox, QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from embedstudio.text import count


def _completing_line(parent, model: QStringListModel, placeholder: str) -> QLineEdit:
    line = QLineEdit()
    line.setPlaceholderText(placeholder)
    completer = QCompleter(model, parent)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    line.setCompleter(completer)
    return line


class SpacePanel(QWidget):
    name_chosen = Signal(str)  # a result row was clicked: show it on the map

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = None
        self.users = None  # UserItems of the PageSpace run: users by name
        layout = QVBoxLayout(self)
        self.info = QLabel("Train TagSpace on labelled documents (__label__tag words…) or PageSpace on "
                           "user → items lists in the StarSpace panel.")
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        self.pages = QStackedWidget()
        layout.addWidget(self.pages)

        tags = QWidget()
        box = QVBoxLayout(tags)
        box.setContentsMargins(0, 0, 0, 0)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("type a text: its tags are ranked as you type")
        self.text.setMaximumHeight(90)
        box.addWidget(self.text)
        self.pages.addWidget(tags)

        pages = QWidget()
        box = QVBoxLayout(pages)
        box.setContentsMargins(0, 0, 0, 0)
        self._user_names = QStringListModel()
        self._item_names = QStringListModel()
        row = QHBoxLayout()
        self.user = _completing_line(self, self._user_names, "user…")
        self.recommend = QPushButton("Recommend")
        row.addWidget(QLabel("user"))
        row.addWidget(self.user, 1)
        row.addWidget(self.recommend)
        box.addLayout(row)
        row = QHBoxLayout()
        self.item = _completing_line(self, self._item_names, "item…")
        self.similar = QPushButton("Nearest items")
        row.addWidget(QLabel("item"))
        row.addWidget(self.item, 1)
        row.addWidget(self.similar)
        box.addLayout(row)
        self.pages.addWidget(pages)

        row = QHBoxLayout()
        row.addWidget(QLabel("show"))
        self.topn = QSpinBox()
        self.topn.setRange(1, 1000)
        self.topn.setValue(10)
        row.addWidget(self.topn)
        row.addStretch(1)
        layout.addLayout(row)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["label", "score"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        layout.addWidget(self.table, 1)
        self.text.textChanged.connect(self.predict_tags)
        self.recommend.clicked.connect(self.recommend_for_user)
        self.user.returnPressed.connect(self.recommend_for_user)
        self.similar.clicked.connect(self.nearest_items)
        self.item.returnPressed.connect(self.nearest_items)
        self.topn.valueChanged.connect(lambda _v: self._rerun())
        self.table.cellClicked.connect(lambda r, _c: self.name_chosen.emit(self._key(self.table.item(r, 0).text())))
        self._last = None

    def _key(self, name: str) -> str:
        """The map's key of a result: labels are ``__label__name`` there, beside the words."""
        return f"__label__{name}" if self.model is not None and self.model.mode == "tagspace" else name

    def set_model(self, model, users=None, summary: str = "") -> None:
        self.model, self.users = model, users
        self.table.setRowCount(0)
        self.message.setText("")
        if model is None:
            return
        self.info.setText(summary)
        if model.mode == "tagspace":
            self.pages.setCurrentIndex(0)
            self.table.setHorizontalHeaderLabels(["label", "score"])
            self.predict_tags()
        else:
            self.pages.setCurrentIndex(1)
            self.table.setHorizontalHeaderLabels(["item", "score"])
            self._user_names.setStringList(list(users.users) if users is not None else [])
            self._item_names.setStringList(list(model.labels))

    def _show(self, rows, message: str = "") -> list[tuple[str, float]]:
        self.message.setText(message)
        self.table.setRowCount(len(rows))
        for r, (name, score) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(name))
            self.table.setItem(r, 1, QTableWidgetItem(f"{score:.4f}"))
        self.table.resizeColumnsToContents()
        return rows

    def _rerun(self) -> None:
        if self._last is not None:
            self._last()

    def predict_tags(self) -> list[tuple[str, float]]:
        """TagSpace: the labels of the text in the box, best first."""
        if self.model is None or self.model.mode != "tagspace":
            return []
        self._last = self.predict_tags
        tokens = self.text.toPlainText().split()
        if not tokens:
            return self._show([])
        _, unknown = self.model.query_vector(tokens)
        rows = self.model.predict(tokens, k=self.topn.value())
        note = f"not in the vocabulary: {', '.join(unknown[:10])}" if unknown else ""
        return self._show(rows, note if rows else "no word of the text is in the vocabulary")

    def recommend_for_user(self) -> list[tuple[str, float]]:
        """PageSpace: items for the user, their own items left out."""
        if self.model is None or self.model.mode != "pagespace" or self.users is None:
            return []
        self._last = self.recommend_for_user
        name = self.user.text().strip()
        if name not in self.users.users:
            return self._show([], f"“{name}” is not a user of the training data" if name else "")
        u = self.users.users.index(name)
        own = [self.users.items[i] for i in self.users.user_items(u)]
        rows = self.model.predict(own, k=self.topn.value(), exclude=own)
        return self._show(rows, f"{name} follows {count(len(own), 'item')}: "
                                f"{', '.join(own[:8])}{'…' if len(own) > 8 else ''}")

    def nearest_items(self) -> list[tuple[str, float]]:
        if self.model is None or self.model.mode != "pagespace":
            return []
        self._last = self.nearest_items
        name = self.item.text().strip()
        try:
            rows = self.model.similar_labels(name, k=self.topn.value())
        except KeyError:
            return self._show([], f"“{name}” is not an item of this model" if name else "")
        return self._show(rows, f"nearest to {name}")
