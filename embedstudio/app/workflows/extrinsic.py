"""Extrinsic evaluation: the same classifier on each embedding's features (documents, or the nodes
of a typed graph), and text vectors fused with media features."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from embedstudio.app.docks.extrinsic import ExtrinsicPanel
from embedstudio.app.workflows.base import RIGHT, Workflow
from embedstudio.jobs.extrinsic import extrinsic_datasets, extrinsic_job, fusion_job
from embedstudio.text import count


class ExtrinsicWorkflow(Workflow):
    name = "extrinsic"
    menu_rank = 40  # Tools: Evaluate, Bias audit, Link prediction, Extrinsic

    def __init__(self, shell):
        super().__init__(shell)
        self.panel = ExtrinsicPanel()
        self._stop = threading.Event()
        self.panel.run_requested.connect(self.run)
        self.panel.cancel_requested.connect(self.cancel)
        self.panel.media_requested.connect(self._choose_media_dialog)
        self.session.subscribe(self._on_session)

    def docks(self):
        return [("Extrinsic", self.panel, RIGHT)]

    def actions(self):
        return [("Tools", "E&xtrinsic evaluation…", self.show_panel)]

    def _on_session(self, event: str) -> None:
        if event == "datasets":
            self.panel.set_datasets(list(extrinsic_datasets(self.session.datasets)))
        elif event == "embeddings":
            self.panel.set_embeddings(list(self.session.embeddings))

    def show_panel(self) -> None:
        """The panel in front, with room for its plot."""
        shell = self.shell
        shell.raise_dock("Extrinsic")
        shell.resizeDocks([shell.docks["Extrinsic"], shell.docks["Loss"]], [shell.height() - 200, 100],
                          Qt.Orientation.Vertical)

    def run(self) -> None:
        panel, shell = self.panel, self.shell
        names = panel.chosen_embeddings()
        chosen = extrinsic_datasets(self.session.datasets).get(panel.dataset.currentText())
        if chosen is None:
            shell.show_error("Open labelled documents first (__label__tag words…, or a table with a label column), "
                             "or a graph whose entities have types")
            return
        media = panel.media_path()
        if media and not names:
            shell.show_error("Tick the embedding whose word vectors represent the text")
            return
        if not media and len(names) < 2:
            shell.show_error("Tick two or more embeddings to compare")
            return
        if shell.runs.running:
            shell.show_error("Training is running: let it finish before comparing embeddings")
            return
        self._stop = threading.Event()
        folds, prefix = panel.folds.value(), panel.prefix.text()
        handlers = dict(on_progress=panel.status.setText, on_finished=self._finished, on_failed=self._failed,
                        on_cancelled=lambda: panel.set_running(False, "cancelled"), cancel_with=self.cancel)
        if media:
            panel.set_running(True, f"training {folds} classifiers on each of text ({names[0]}), media and both…")
            shell.worker.start("fusion", fusion_job, chosen.data, self.session.embeddings[names[0]], media,
                               prefix=prefix, folds=folds, stop=self._stop, **handlers)
        else:
            panel.set_running(True, f"training {count(folds, 'classifier')} on each of {count(len(names), 'embedding')}…")
            shell.worker.start("extrinsic evaluation", extrinsic_job, chosen.data,
                               {name: self.session.embeddings[name] for name in names}, prefix=prefix, folds=folds,
                               model=panel.model.currentText(), stop=self._stop, **handlers)

    def _failed(self, message, _detail) -> None:
        self.panel.set_running(False, "")
        self.shell.show_error(message)

    def _finished(self, result) -> None:
        if result is None:
            self.panel.set_running(False, "cancelled")
            return
        self.panel.show_result(result)

    def cancel(self) -> None:
        self._stop.set()
        self.shell.worker.cancel(wait=0)
        self.panel.set_running(False, "cancelled")

    def _choose_media_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.shell, "Media features", "",
                                              "Media features (*.csv *.tsv *.txt *.gz *.npz *.npy);;All files (*)")
        if path:
            self.panel.set_media(path)
