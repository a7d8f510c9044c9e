"""The Workspace panel: every embedding (the current one marked) and every dataset, each with its kind, size
and origin. A click makes an embedding current; F2 renames, Delete removes (saying what it frees); the context
menu and the buttons reveal the source file, export, train again with the same settings, compare two; the context
menu also undoes and redoes (the window's own Edit ▸ Undo and Redo actions)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFont, QIcon, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QMenu, QPushButton,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from embedstudio.session import describe_origin, stats_text

EMBEDDING, DATASET = "embedding", "dataset"
ROLE = Qt.ItemDataRole.UserRole  # (EMBEDDING or DATASET, its name)
CURRENT_MARK = "●"


def size_text(embedding) -> str:
    return f"{len(embedding):,} × {embedding.dim}"


class WorkspacePanel(QWidget):
    make_current = Signal(str)  # an embedding's name
    rename_requested = Signal(str, str, str)  # EMBEDDING or DATASET, old name, new name
    remove_requested = Signal(str, str)  # EMBEDDING or DATASET, name
    reveal_requested = Signal(str, str)
    export_requested = Signal(str)  # an embedding
    train_again_requested = Signal(str)
    compare_requested = Signal(str)  # an embedding: compare it with the current one (or the next)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["name", "kind", "size", "origin"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.SelectedClicked)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 190)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.embeddings_group = QTreeWidgetItem(["Embeddings"])
        self.datasets_group = QTreeWidgetItem(["Datasets"])
        for group in (self.embeddings_group, self.datasets_group):
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            self.tree.addTopLevelItem(group)
            group.setFirstColumnSpanned(True)
            group.setExpanded(True)
        self.tree.setRootIsDecorated(True)
        layout.addWidget(self.tree, 1)
        buttons = QHBoxLayout()
        self.use_button = QPushButton("Use")
        self.use_button.setToolTip("make the selected embedding the current one: every view and tool acts on it "
                                   "(Enter, or a click)")
        self.rename_button = QPushButton("Rename")
        self.rename_button.setToolTip("rename the selected item (F2)")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("remove the selected item from the workspace and free its memory (Delete)")
        self.compare_button = QPushButton("Compare…")
        self.compare_button.setToolTip("compare the selected embedding with the current one, side by side")
        for button in (self.use_button, self.rename_button, self.remove_button, self.compare_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)

        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)  # Enter or a double click
        self.tree.itemChanged.connect(self._edited)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.currentItemChanged.connect(lambda *_: (self._enable(), self._show_note()))
        self.use_button.clicked.connect(lambda: self._clicked(self.tree.currentItem()))
        self.rename_button.clicked.connect(self._start_rename)
        self.remove_button.clicked.connect(self._remove_selected)
        self.compare_button.clicked.connect(self._compare_selected)
        delete = QAction("Remove the selected item", self.tree)  # named: Help ▸ Keyboard shortcuts lists it
        delete.setShortcut(QKeySequence.StandardKey.Delete)
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete.triggered.connect(self._remove_selected)
        self.tree.addAction(delete)
        self._filling = False
        self._trained: set[str] = set()
        self._current: str | None = None
        self.history_actions: list[QAction] = []  # Undo and Redo, given by the window
        self._enable()

    # ------------------------------------------------------------------ what it shows
    def show_session(self, session) -> None:
        """Fill the lists from ``session`` (the selection kept where the item still exists)."""
        selected = self.selected()
        self._filling = True
        try:
            for group in (self.embeddings_group, self.datasets_group):
                group.takeChildren()
            self._trained = set()
            for name, embedding in session.embeddings.items():
                origin = session.origins.get(name) or {}
                if origin.get("from") == "trained" and origin.get("workflow"):
                    self._trained.add(name)
                item = QTreeWidgetItem([name, session.kind(name), size_text(embedding), describe_origin(origin)])
                item.setData(0, ROLE, (EMBEDDING, name))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                item.setToolTip(0, f"{name}: click to make it the current embedding, F2 to rename")
                item.setToolTip(3, describe_origin(origin))
                self.embeddings_group.addChild(item)
            for dataset in session.listed_datasets():
                stats = stats_text(dataset.stats, skip=("min_count",))
                # the first figure only (tokens, entities…): the origin column stays in sight; all in the tooltip
                item = QTreeWidgetItem([dataset.name, dataset.kind, stats.split(", ")[0], f"file {dataset.path}"])
                item.setToolTip(2, stats)
                item.setData(0, ROLE, (DATASET, dataset.name))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                item.setToolTip(3, dataset.path)
                self.datasets_group.addChild(item)
            self.embeddings_group.setText(0, f"Embeddings ({self.embeddings_group.childCount()})")
            self.datasets_group.setText(0, f"Datasets ({self.datasets_group.childCount()})")
            self.mark_current(session.current)
            if selected is not None:
                again = self.find(*selected)
                if again is not None:
                    self.tree.setCurrentItem(again)
        finally:
            self._filling = False
        self._enable()

    def mark_current(self, name: str | None) -> None:
        was = self._filling
        self._filling = True  # a font change is an itemChanged: not a rename
        try:
            for i in range(self.embeddings_group.childCount()):
                item = self.embeddings_group.child(i)
                current = item.data(0, ROLE)[1] == name
                font = QFont(item.font(0))
                font.setBold(current)
                for column in range(4):
                    item.setFont(column, font)
                item.setIcon(0, self.style().standardIcon(self.style().StandardPixmap.SP_MediaPlay) if current
                             else QIcon())
                item.setStatusTip(0, "the current embedding" if current else "")
            self._current = name
            self._show_note()
        finally:
            self._filling = was

    def _show_note(self) -> None:
        """Under the list: the current embedding and where it came from (the origin column is often out of
        sight in a narrow dock), or the selected item's origin while another one is selected."""
        chosen = self.selected()
        if chosen and chosen[1] != self._current:
            item = self.find(*chosen)
            self.note.setText(f"{chosen[1]}: {item.text(3)}" if item is not None else "")
        elif self._current:
            item = self.find(EMBEDDING, self._current)
            self.note.setText(f"{CURRENT_MARK} current: {self._current}"
                              + (f" — {item.text(3)}" if item is not None else ""))
        else:
            self.note.setText("Nothing current yet: open vectors or train a model")

    def find(self, what: str, name: str) -> QTreeWidgetItem | None:
        group = self.embeddings_group if what == EMBEDDING else self.datasets_group
        for i in range(group.childCount()):
            if group.child(i).data(0, ROLE)[1] == name:
                return group.child(i)
        return None

    def selected(self) -> tuple[str, str] | None:
        item = self.tree.currentItem()
        data = item.data(0, ROLE) if item is not None else None
        return tuple(data) if data else None

    def rows(self) -> list[str]:
        """Every item as one line, 'name [kind] size · origin' (embeddings first), as the panel shows them."""
        out = []
        for group in (self.embeddings_group, self.datasets_group):
            for i in range(group.childCount()):
                item = group.child(i)
                out.append(f"{item.text(0)} [{item.text(1)}] {item.text(2)} · {item.text(3)}")
        return out

    def names(self, what: str = EMBEDDING) -> list[str]:
        group = self.embeddings_group if what == EMBEDDING else self.datasets_group
        return [group.child(i).text(0) for i in range(group.childCount())]

    # ------------------------------------------------------------------ what the user does
    def _enable(self) -> None:
        chosen = self.selected()
        self.use_button.setEnabled(bool(chosen) and chosen[0] == EMBEDDING)
        self.compare_button.setEnabled(bool(chosen) and chosen[0] == EMBEDDING
                                       and self.embeddings_group.childCount() > 1)
        for button in (self.rename_button, self.remove_button):
            button.setEnabled(bool(chosen))

    def _clicked(self, item, _column=0) -> None:
        data = item.data(0, ROLE) if item is not None else None
        if data and data[0] == EMBEDDING:
            self.make_current.emit(data[1])

    def _edited(self, item, column) -> None:
        if self._filling or column != 0:
            return
        data = item.data(0, ROLE)
        if data and item.text(0) != data[1]:
            self.rename_requested.emit(data[0], data[1], item.text(0))

    def _start_rename(self) -> None:
        item = self.tree.currentItem()
        if item is not None and item.data(0, ROLE):
            self.tree.editItem(item, 0)

    def _remove_selected(self) -> None:
        chosen = self.selected()
        if chosen:
            self.remove_requested.emit(*chosen)

    def _compare_selected(self) -> None:
        chosen = self.selected()
        if chosen and chosen[0] == EMBEDDING:
            self.compare_requested.emit(chosen[1])

    def _context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        data = item.data(0, ROLE) if item is not None else None
        menu = QMenu(self)
        if not data:  # on the empty list (after removing everything, say): Undo and Redo only
            if not any(action.isEnabled() for action in self.history_actions):
                return
            menu.addActions(self.history_actions)
            self.context_menu = menu
            menu.popup(self.tree.viewport().mapToGlobal(pos))
            return
        what, name = data
        if what == EMBEDDING:
            menu.addAction("Use (make current)", lambda: self.make_current.emit(name))
            menu.addAction("Compare with the current…", lambda: self.compare_requested.emit(name))
            menu.addAction("Export…", lambda: self.export_requested.emit(name))
            if name in self._trained:
                menu.addAction("Train again with these settings", lambda: self.train_again_requested.emit(name))
        menu.addAction("Rename", lambda: self.tree.editItem(item, 0))
        menu.addAction("Reveal the source file", lambda: self.reveal_requested.emit(what, name))
        menu.addSeparator()
        menu.addAction("Remove", lambda: self.remove_requested.emit(what, name))
        if self.history_actions:
            menu.addSeparator()
            menu.addActions(self.history_actions)
        self.context_menu = menu  # kept for tests
        menu.popup(self.tree.viewport().mapToGlobal(pos))

