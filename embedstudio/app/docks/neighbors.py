"""Neighbours panel: a word with completion, k, metric; the result table; analogies."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from embedstudio.analysis.neighbors import METRICS, nearest
from embedstudio.app.views.elided_label import ElidedLabel

COMPLETE_WORDS = 200_000
COMPLETE_SHOWN = 50


class NeighborsPanel(QWidget):
    word_chosen = Signal(str)  # a row was clicked: select that word on the map
    index_progress = Signal(object, str)  # an embedding, how its neighbour index is getting on (from any thread)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.embedding = None
        self._indexing: dict[int, object] = {}  # id(embedding) -> the stop event of its index's build
        self.index_progress.connect(self._on_index_progress)
        layout = QVBoxLayout(self)
        self.subject = ElidedLabel("no embedding yet")  # which embedding the answers come from (cut to fit)
        self.subject.setStyleSheet("color: palette(mid)")
        layout.addWidget(self.subject)
        row = QHBoxLayout()
        self.query = QLineEdit()
        self.query.setPlaceholderText("word…")
        # completion lists at most COMPLETE_SHOWN words for what is typed, found among the most frequent
        # COMPLETE_WORDS: a QCompleter filtering 200k words laid all the matches out, seconds per keystroke
        self._words = QStringListModel()
        self._lower: list[str] = []
        completer = QCompleter(self._words, self)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.activated.connect(lambda _text: self.run_query())
        self.query.setCompleter(completer)
        self.query.textEdited.connect(self._complete)
        self.k = QSpinBox()
        self.k.setRange(1, 1000)
        self.k.setValue(10)
        self.k.setToolTip("how many neighbours")
        self.metric = QComboBox()
        self.metric.addItems(METRICS)
        row.addWidget(self.query, 1)
        row.addWidget(self.k)
        row.addWidget(self.metric)
        layout.addLayout(row)
        self.message = QLabel("")
        layout.addWidget(self.message)
        self.search_note = QLabel("")
        self.search_note.setWordWrap(True)
        layout.addWidget(self.search_note)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["word", "similarity"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the words get the room, not the numbers
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        layout.addWidget(self.table, 1)
        analogy = QHBoxLayout()
        self.a, self.b, self.c = QLineEdit(), QLineEdit(), QLineEdit()
        for w, hint in ((self.a, "man"), (self.b, "king"), (self.c, "woman")):
            w.setPlaceholderText(hint)
            w.returnPressed.connect(self.run_analogy)
        self.analogy_method = QComboBox()
        self.analogy_method.addItems(["3cosadd", "3cosmul"])
        self.solve = QPushButton("a : b :: c : ?")
        for w in (self.a, self.b, self.c, self.analogy_method, self.solve):
            analogy.addWidget(w)
        layout.addLayout(analogy)
        self.query.returnPressed.connect(self.run_query)
        self.k.valueChanged.connect(lambda _: self.run_query())
        self.metric.currentTextChanged.connect(lambda _: self.run_query())
        self.solve.clicked.connect(self.run_analogy)
        self.table.cellClicked.connect(lambda r, _c: self.word_chosen.emit(self.table.item(r, 0).text()))

    def set_embedding(self, embedding, name: str | None = None) -> None:
        """Answer from ``embedding`` (the session's current one, called ``name``); earlier answers are cleared."""
        self.embedding = embedding
        self.name_subject(name if embedding is not None else None)
        # completion offers the most frequent words (the whole of a 3M vocabulary took seconds and memory)
        self._lower = [k.lower() for k in embedding.keys[:COMPLETE_WORDS]] if embedding is not None else []
        self._words.setStringList([])
        self.table.setRowCount(0)
        self.message.setText("")
        self.search_note.setText("")
        self._index(embedding)

    def name_subject(self, name: str | None) -> None:
        self.subject.setText(f"in {name}" if name else "no embedding yet")
        self.subject.setToolTip(f"neighbours and analogies are found in {name}, the current embedding (choose "
                                "another in the Workspace)" if name else "")

    def _complete(self, text: str) -> None:
        """The most frequent words starting with what is typed (any case)."""
        prefix = text.strip().lower()
        if not prefix or self.embedding is None:
            self._words.setStringList([])
            return
        keys = self.embedding.keys
        found = []
        for i, low in enumerate(self._lower):
            if low.startswith(prefix):
                found.append(keys[i])
                if len(found) == COMPLETE_SHOWN:
                    break
        self._words.setStringList(found)

    def _index(self, emb) -> None:
        """A large vocabulary gets an approximate neighbour index, built in a thread of its own; queries are
        exact (and slower) until it is ready, which the panel says."""
        from embedstudio.analysis.ann import INDEX_FROM, build_in_background

        if emb is None or len(emb) < INDEX_FROM or emb.geometry != "euclidean":
            return
        if emb.neighbour_index is not None:
            self._on_index_progress(emb, "done")
            return
        if id(emb) not in self._indexing:
            self._indexing[id(emb)] = build_in_background(
                emb, on_done=lambda index, e=emb: self.index_progress.emit(e, "done" if index else "stopped"),
                on_progress=lambda share, e=emb: self.index_progress.emit(e, f"{100 * share:.0f}%"))
        self.search_note.setText(f"exact search of {len(emb):,} words while an approximate index is built")

    def _on_index_progress(self, emb, state: str) -> None:
        if state in ("done", "stopped"):
            self._indexing.pop(id(emb), None)
        if self.embedding is not emb:
            return
        n = f"{len(emb):,} words"
        self.search_note.setText(
            f"neighbours by an approximate index of {n} (its candidates scored exactly)" if state == "done"
            else f"exact search of {n}; the approximate index was not built" if state == "stopped"
            else f"exact search of {n}; building an approximate index: {state}")

    def _show(self, rows, header: str) -> None:
        self.table.setHorizontalHeaderLabels(["word", header])
        self.table.setRowCount(len(rows))
        for r, (word, score) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(word))
            self.table.setItem(r, 1, QTableWidgetItem(f"{score:.4f}"))

    def run_query(self) -> list[tuple[str, float]]:
        word = self.query.text().strip()
        if self.embedding is None or not word:
            return []
        if word not in self.embedding:
            self.message.setText(f"“{word}” is not in the vocabulary")
            self.table.setRowCount(0)
            return []
        metric = self.metric.currentText()
        rows = nearest(self.embedding, word, k=self.k.value(), metric=metric)
        self.message.setText(f"nearest to “{word}” by {metric}")
        self._show(rows, "similarity" if metric == "cosine" else "distance")
        return rows

    def run_analogy(self) -> list[tuple[str, float]]:
        words = [w.text().strip() for w in (self.a, self.b, self.c)]
        if self.embedding is None:
            return []
        if not all(words):
            self.message.setText("an analogy needs three words: a : b :: c : ?")
            return []
        missing = [w for w in words if w not in self.embedding]
        if missing:
            self.message.setText("not in the vocabulary: " + ", ".join(missing))
            return []
        rows = self.embedding.analogy(*words, topn=self.k.value(), method=self.analogy_method.currentText())
        self.message.setText(f"{words[0]} : {words[1]} :: {words[2]} : ?")
        self._show(rows, "score")
        return rows
