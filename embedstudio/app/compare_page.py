"""The Compare tab: two embeddings of the workspace side by side over their shared words. Both maps are
aligned (orthogonal Procrustes) and linked: a word hovered or clicked on one is shown on the other. The table
lists the words whose neighbourhoods changed most (Jaccard overlap of the k nearest neighbours); a row shows
the word on both maps and its two neighbour lists."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSpinBox, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from embedstudio.analysis.compare import DEFAULT_K, DEFAULT_LIMIT
from embedstudio.app.views.map_view import MapView

COMPARE = "Compare"
TABLE_ROWS = 500  # the most changed words listed (the rest are found by clicking the maps)
SHARED = QColor(225, 238, 255)  # a neighbour both sides have


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    return table


class ComparePage(QWidget):
    def __init__(self, shell, parent=None):
        super().__init__(parent)
        self.shell = shell
        self.session = shell.session
        self.result = None  # the Comparison shown
        self._rows: list[int] = []  # the table's rows -> rows of result.words
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        pick = QHBoxLayout()
        self.a, self.b = QComboBox(), QComboBox()
        for label, box in (("A", self.a), ("B", self.b)):
            pick.addWidget(QLabel(label))
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(8)  # long names elide: the page fits a 1366-pixel screen
            pick.addWidget(box, 1)
        pick.addWidget(QLabel("k"))
        self.k = QSpinBox()
        self.k.setRange(1, 100)
        self.k.setValue(DEFAULT_K)
        self.k.setToolTip("nearest neighbours compared per word")
        pick.addWidget(self.k)
        pick.addWidget(QLabel("words"))
        self.limit = QSpinBox()
        self.limit.setRange(100, 200_000)
        self.limit.setSingleStep(1000)
        self.limit.setValue(DEFAULT_LIMIT)
        self.limit.setToolTip("compare this many shared words, the most frequent first (A's order)")
        pick.addWidget(self.limit)
        self.run = QPushButton("Compare")
        pick.addWidget(self.run)
        layout.addLayout(pick)
        self.note = QLabel("Choose two embeddings of the workspace (two runs, before and after debiasing, two "
                           "pretrained files) and press Compare.")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)

        maps = QSplitter(Qt.Orientation.Horizontal)
        self.map_a, self.map_b = MapView(), MapView()
        self.title_a, self.title_b = QLabel("A"), QLabel("B")
        for title, view in ((self.title_a, self.map_a), (self.title_b, self.map_b)):
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            column.addWidget(title)
            column.addWidget(view, 1)
            view.hint.setText("")
            maps.addWidget(box)
        lower = QSplitter(Qt.Orientation.Horizontal)
        self.table = _table(["word", "overlap", "neighbours in A", "neighbours in B"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        lower.addWidget(self.table)
        self.list_a, self.list_b = _table(["in A", "cos"]), _table(["in B", "cos"])
        for table in (self.list_a, self.list_b):
            table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
            lower.addWidget(table)
        lower.setSizes([600, 180, 180])
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(maps)
        body.addWidget(lower)
        body.setSizes([420, 260])
        layout.addWidget(body, 1)

        self.run.clicked.connect(self.compare)
        self.table.currentCellChanged.connect(lambda row, *_: self._table_row_chosen(row))
        for view, other in ((self.map_a, self.map_b), (self.map_b, self.map_a)):
            view.point_clicked.connect(self.select_row)
            view.point_hovered.connect(other.show_hover)
        for table in (self.list_a, self.list_b):
            table.cellClicked.connect(lambda r, _c, t=table: self.select_word(t.item(r, 0).text()))
        self.session.subscribe(self._on_session)

    # ------------------------------------------------------------------ choosing and running
    def _on_session(self, event: str) -> None:
        if event != "embeddings":
            return
        names = list(self.session.embeddings)
        for box in (self.a, self.b):
            chosen = box.currentText()
            box.blockSignals(True)
            box.clear()
            box.addItems(names)
            if chosen in names:
                box.setCurrentText(chosen)
            box.blockSignals(False)
        if self.b.currentIndex() == self.a.currentIndex() and len(names) > 1:
            self.b.setCurrentIndex(len(names) - 1 if self.a.currentIndex() != len(names) - 1 else 0)
        if self.result is not None and (self.result.name_a not in names or self.result.name_b not in names):
            self.note.setText(f"{self.result.name_a} or {self.result.name_b} is no longer in the workspace (renamed "
                              "or removed): the comparison below is of what they were")

    def open_view(self) -> None:
        """Tools ▸ Compare: the view in front, A the current embedding and B the one listed before it."""
        names = list(self.session.embeddings)
        if self.session.current in names and len(names) > 1:
            i = names.index(self.session.current)
            self.choose(self.session.current, names[i - 1] if i > 0 else names[1])
        self.shell.show_view(COMPARE)

    def choose(self, a: str, b: str) -> None:
        """Put ``a`` and ``b`` in the boxes (the workspace's Compare…)."""
        self.a.setCurrentText(a)
        self.b.setCurrentText(b)
        self.note.setText(f"Press Compare to compare {a} with {b}.")

    def compare(self) -> None:
        a, b = self.a.currentText(), self.b.currentText()
        embeddings = self.session.embeddings
        if a not in embeddings or b not in embeddings:
            self.shell.show_error("Choose two embeddings to compare (open or train a second one first)")
            return
        if a == b:
            self.shell.show_error("Choose two different embeddings: A and B are the same")
            return
        from embedstudio.jobs.compare import compare_job

        self.run.setEnabled(False)
        self.note.setText(f"comparing {a} with {b}…")
        self.shell.worker.start("compare", compare_job, embeddings[a], embeddings[b], a, b, self.k.value(),
                                self.limit.value(), on_finished=self.show_result,
                                on_progress=lambda stage: self.note.setText(stage.text + "…"),
                                on_failed=self._failed, on_cancelled=lambda: self._failed("comparison cancelled", None))

    def _failed(self, message: str, _detail) -> None:
        self.run.setEnabled(True)
        self.note.setText(message)
        if _detail is not None:
            self.shell.show_error(message)

    # ------------------------------------------------------------------ showing
    def show_result(self, result) -> None:
        self.run.setEnabled(True)
        self.result = result
        for view, title, coords, name in ((self.map_a, self.title_a, result.coords_a, result.name_a),
                                          (self.map_b, self.title_b, result.coords_b, result.name_b)):
            view.set_points(result.words, coords)
            view.color_by(1.0 - result.jaccard, "continuous")  # the changed words stand out
            title.setText(f"A: {name}" if view is self.map_a else f"B: {name}")
        changed = result.changed(TABLE_ROWS)
        self._rows = changed
        self.table.blockSignals(True)
        self.table.setRowCount(len(changed))
        for r, (word, overlap, in_a, in_b) in enumerate(result.table(len(changed))):
            for c, text in enumerate((word, f"{overlap:.2f}", in_a, in_b)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        moved = sum(1 for i in range(len(result.words)) if result.jaccard[i] < 0.5)
        self.note.setText(
            f"{len(result.words):,} shared words ({result.name_a} has {result.only_a:,} more, {result.name_b} "
            f"{result.only_b:,}); maps aligned in {result.aligned_in}; colour: how much a word's {result.k} "
            f"nearest neighbours changed. {moved:,} words keep fewer than half their neighbours.")
        if changed:
            self.table.setCurrentCell(0, 0)

    def _table_row_chosen(self, row: int) -> None:
        if self.result is not None and 0 <= row < len(self._rows):
            self._show_word(self._rows[row])

    def select_row(self, row: int) -> None:
        """A word (a row of the comparison) chosen on a map: both maps, its lists, the table if it is listed."""
        if self.result is None:
            return
        if row in self._rows:
            self.table.blockSignals(True)
            self.table.setCurrentCell(self._rows.index(row), 0)
            self.table.blockSignals(False)
        else:
            self.table.clearSelection()
        self._show_word(row)

    def select_word(self, word: str) -> None:
        if self.result is not None and word in self.result.words:
            self.select_row(self.result.row(word))

    def _show_word(self, row: int) -> None:
        result = self.result
        self.map_a.select(row, center=False)
        self.map_b.select(row, center=False)
        in_a, in_b = result.neighbours_a[row], result.neighbours_b[row]
        shared = {w for w, _ in in_a} & {w for w, _ in in_b}
        for table, rows, side in ((self.list_a, in_a, "A"), (self.list_b, in_b, "B")):
            table.setHorizontalHeaderLabels([f"{result.words[row]} in {side}", "cos"])
            table.setRowCount(len(rows))
            for r, (word, score) in enumerate(rows):
                for c, text in enumerate((word, f"{score:.3f}")):
                    item = QTableWidgetItem(text)
                    if word in shared:
                        item.setBackground(QBrush(SHARED))
                        item.setToolTip("a neighbour in both")
                    table.setItem(r, c, item)

    def selected_word(self) -> str | None:
        """The word both maps show selected (None: none)."""
        if self.result is None or self.map_a.selected is None:
            return None
        return self.result.words[self.map_a.selected]
