"""The Workspace panel wired to the session: choosing the current embedding, renaming, removing (freeing its
memory), revealing the source file, exporting, training again with the same settings, comparing two; Edit ▸
Undo and Redo for removals, renames and derived additions (a debiased copy)."""

from __future__ import annotations

import os

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMessageBox

from embedstudio.app.docks.workspace import DATASET, EMBEDDING, WorkspacePanel
from embedstudio.config import ConfigError
from embedstudio.memory import size_text
from embedstudio.undo import UndoStack


class Workspace:
    def __init__(self, shell):
        self.shell = shell
        self.session = shell.session
        self.panel = WorkspacePanel()
        self.confirm_box = None  # the open "Remove …?" question
        self.revealed: str | None = None  # the folder last shown (tests read it)
        self.session.history = UndoStack()  # the window's undo; a headless session keeps none (frees at once)
        self._opening_session = False
        self._build_actions()
        panel = self.panel
        panel.make_current.connect(self.use)
        panel.rename_requested.connect(self.rename)
        panel.remove_requested.connect(lambda what, name: self.remove(what, name, confirm=True))
        panel.reveal_requested.connect(self.reveal)
        panel.export_requested.connect(lambda name: shell.exports.vectors_dialog(name))
        panel.train_again_requested.connect(self.train_again)
        panel.compare_requested.connect(self.compare_with)
        self.session.subscribe(self._on_session)
        self.session.history.subscribe(self._history_changed)
        # reading a saved session renames and adds like a person would: none of it is an edit to undo
        shell.worker.job_started.connect(lambda name: setattr(self, "_opening_session", name == "open session"))
        shell.worker.busy_changed.connect(self._job_ended)

    def _build_actions(self) -> None:
        keys = QKeySequence.StandardKey
        self.undo_action = QAction("&Undo", self.shell)
        self.undo_action.setShortcuts(QKeySequence.keyBindings(keys.Undo))
        self.undo_action.triggered.connect(self.undo)
        self.redo_action = QAction("&Redo", self.shell)
        redo = QKeySequence.keyBindings(keys.Redo)  # Ctrl+Y on Windows: Ctrl+Shift+Z everywhere as well
        self.redo_action.setShortcuts(redo + [k for k in [QKeySequence("Ctrl+Shift+Z")] if k not in redo])
        self.redo_action.triggered.connect(self.redo)
        self.clear_history_action = QAction("Clear Undo &History", self.shell)
        self.clear_history_action.triggered.connect(self.clear_history)
        self.shell.addActions([self.undo_action, self.redo_action])  # the keys work before any menu holds them
        self.panel.history_actions = [self.undo_action, self.redo_action]
        self._history_changed()

    def edit_actions(self) -> list[QAction]:
        """The Edit menu's entries: Undo, Redo, (a line), Clear Undo History."""
        line = QAction(self.shell)
        line.setSeparator(True)
        return [self.undo_action, self.redo_action, line, self.clear_history_action]

    def _on_session(self, event: str) -> None:
        if event in ("datasets", "embeddings"):
            self.panel.show_session(self.session)
        elif event == "current":
            self.panel.mark_current(self.session.current)

    # ------------------------------------------------------------------ undo
    def _history_changed(self) -> None:
        history = self.session.history
        for action, step, verb in ((self.undo_action, history.undo_step, "Undo"),
                                   (self.redo_action, history.redo_step, "Redo")):
            action.setEnabled(step is not None)
            # the step names what it will undo; "&&" shows one "&" of a name instead of making a mnemonic
            action.setText(f"&{verb}" + (f" {step.text.replace('&', '&&')}" if step is not None else ""))
        held = history.held_bytes
        self.clear_history_action.setEnabled(len(history) > 0)
        self.clear_history_action.setStatusTip(f"forget what can be undone: frees about {size_text(held)}" if held
                                               else "forget what can be undone")

    def undo(self) -> None:
        self._apply("undo")

    def redo(self) -> None:
        self._apply("redo")

    def _apply(self, how: str) -> None:
        history = self.session.history
        step = history.undo_step if how == "undo" else history.redo_step
        if step is None:
            return
        if (step.undo_removes if how == "undo" else step.redo_removes) and self.shell.runs.running:
            self.shell.show_error(f"Training is running: {how} “{step.text}” once it has finished or been cancelled")
            return
        getattr(history, how)()
        self.shell.statusBar().showMessage(f"{'undid' if how == 'undo' else 'redid'} {step.text}")

    def clear_history(self) -> None:
        held = self.session.history.held_bytes
        self.session.history.clear()
        self.shell.statusBar().showMessage(f"undo history cleared: freed about {size_text(held)}")

    def _job_ended(self, busy: bool) -> None:
        if not busy and self._opening_session:
            self._opening_session = False
            self.session.history.clear()

    # ------------------------------------------------------------------ actions
    def use(self, name: str) -> None:
        if name in self.session.embeddings and name != self.session.current:
            self.session.set_current(name)
            self.shell.statusBar().showMessage(f"current embedding: {name} ({self.session.kind(name)}); every "
                                               "view and tool acts on it")

    def rename(self, what: str, old: str, new: str) -> None:
        if what == EMBEDDING:
            got = self.session.rename(old, new)
        else:
            dataset = self.session.dataset(old)
            if dataset is None:
                return
            got = self.session.rename_dataset(dataset, new)
        self.panel.show_session(self.session)
        if got != new.strip():
            self.shell.statusBar().showMessage(f"renamed {old} to {got} ({new.strip()!r} is taken or empty)")

    def freed_by(self, what: str, name: str) -> int:
        from embedstudio.session import array_bytes

        if what == EMBEDDING:
            model = self.session.models.get(name)
            embedding = self.session.embeddings[name]
            return array_bytes(embedding) + (array_bytes(model) - array_bytes(embedding) if model else 0)
        dataset = self.session.dataset(name)
        return array_bytes(dataset.data) if dataset is not None else 0

    def remove(self, what: str, name: str, confirm: bool = False) -> None:
        """Remove an item; with ``confirm``, after a question saying what it frees (the window keeps working)."""
        if (what == EMBEDDING and name not in self.session.embeddings) or \
                (what == DATASET and self.session.dataset(name) is None):
            return
        if what == EMBEDDING and self.shell.runs.running:
            self.shell.show_error("Training is running: remove items once it has finished or been cancelled")
            return
        freed = self.freed_by(what, name)
        history = self.session.history
        if confirm:
            if history.fits(freed):
                text = (f"Remove {name} from the workspace? Edit ▸ Undo brings it back. Its memory, about "
                        f"{size_text(freed)}, is freed once the undo history lets it go (Edit ▸ Clear Undo "
                        "History frees it at once); files on disk are not touched.")
            else:
                text = (f"Remove {name} from the workspace? This frees about {size_text(freed)} of memory and "
                        f"cannot be undone (the undo history keeps at most {size_text(history.budget)}); files "
                        "on disk are not touched.")
            box = QMessageBox(QMessageBox.Icon.Question, "EmbedStudio", text, parent=self.shell)
            box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole).clicked.connect(
                lambda: self.remove(what, name))
            box.addButton("Keep", QMessageBox.ButtonRole.RejectRole)
            box.setModal(False)
            box.show()
            self.confirm_box = box
            return
        if what == EMBEDDING:
            freed = self.session.remove_embedding(name)
        else:
            freed = self.session.remove_dataset(self.session.dataset(name))
        if history.fits(freed):
            keys = self.undo_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            self.shell.statusBar().showMessage(f"removed {name} ({keys} brings it back; about {size_text(freed)} "
                                               "stays held until the undo history lets it go)")
        else:
            self.shell.statusBar().showMessage(f"removed {name}: freed about {size_text(freed)}")

    def source_path(self, what: str, name: str) -> str | None:
        """The file an item came from: its own file, the dataset it was trained from, or its source's."""
        if what == DATASET:
            dataset = self.session.dataset(name)
            return dataset.path if dataset is not None else None
        seen = set()
        while name not in seen:
            seen.add(name)
            origin = self.session.origins.get(name) or {}
            if origin.get("path"):
                return origin["path"]
            if origin.get("from") == "trained":
                dataset = self.session.dataset(origin.get("dataset", ""))
                return dataset.path if dataset is not None else origin.get("dataset_path")
            if origin.get("from") == "derived" and origin.get("source") in self.session.embeddings:
                name = origin["source"]
                continue
            break
        return None

    def reveal(self, what: str, name: str) -> None:
        path = self.source_path(what, name)
        if not path or not os.path.exists(path):
            self.shell.show_error(f"{name} has no source file on this machine" if not path else
                                  f"{name}'s source file is gone: {path}")
            return
        self.revealed = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.revealed))
        self.shell.statusBar().showMessage(f"{name} came from {path}")

    def train_again(self, name: str) -> None:
        """Run the trainer that made ``name`` again, on the same dataset with the same settings."""
        origin = self.session.origins.get(name) or {}
        workflow = self.shell.workflows.get(origin.get("workflow", ""))
        dataset = self.session.dataset(origin.get("dataset", ""))
        if workflow is None or not hasattr(workflow, "start_run"):
            self.shell.show_error(f"{name} was not trained here: there is nothing to train again")
            return
        if dataset is None:
            self.shell.show_error(f"{name} was trained from {origin.get('dataset', 'a dataset')}, which is not "
                                  "open: open it, then train again")
            return
        try:
            cfg = workflow.config_class.from_dict(origin.get("settings") or {})
        except (ConfigError, ValueError, TypeError) as e:
            self.shell.show_error(f"{name}'s settings cannot be used again: {e}")
            return
        workflow.panel.form.set_config(cfg)
        workflow.panel.corpus.setCurrentText(dataset.name)
        self.shell.raise_dock(workflow.title)
        if self.shell.runs.running:
            self.shell.show_error("Training is running: the settings are in the panel; press Start when it ends")
            return
        workflow.start_run(dataset, cfg)

    def compare_with(self, name: str) -> None:
        """The Compare view with the current embedding as A and ``name`` as B (or, when ``name`` is the current
        one, the embedding listed before it)."""
        names = list(self.session.embeddings)
        a = self.session.current if self.session.current in names else None
        if a is None or a == name:
            others = [n for n in names if n != name]
            if not others:
                self.shell.show_error("Compare needs two embeddings: open or train another one")
                return
            a = others[-1]
        self.shell.compare_page.choose(a, name)
        self.shell.show_view("Compare")
