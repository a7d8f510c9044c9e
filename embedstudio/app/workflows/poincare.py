"""Poincaré embeddings of a hierarchy, drawn live on the Poincaré disk."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from embedstudio.app.views.disk_view import DiskView
from embedstudio.app.workflows.base import TrainingWorkflow
from embedstudio.jobs.poincare import poincare_job
from embedstudio.train.poincare import PoincareConfig

DISK = "Poincaré disk"


class PoincareWorkflow(TrainingWorkflow):
    name = "poincare"
    trainer = "poincare"
    title = "Poincaré"
    dataset_kinds = ("hierarchy",)
    job = staticmethod(poincare_job)
    run_title = "Poincaré d={cfg.dim} · {dataset.name}"
    config_class = PoincareConfig
    data_label = "hierarchy"
    hint = "File ▸ Open hierarchy…, then Start"
    missing = "Open a hierarchy first (File ▸ Open hierarchy…)"
    job_name = "Poincaré training"
    view = DISK
    sample = "hierarchy"

    def __init__(self, shell):
        super().__init__(shell)
        self.page = QWidget()
        box = QVBoxLayout(self.page)
        box.setContentsMargins(4, 4, 4, 4)
        self.note = QLabel("Open a hierarchy (File ▸ Open hierarchy…) and train it in the Poincaré panel. "
                           "Click a node to re-centre the disk on it.")
        self.note.setWordWrap(True)
        self.disk = DiskView()
        tools = QHBoxLayout()
        tools.addWidget(QLabel("colour"))
        self.colour = QComboBox()
        self.colour.addItems(["depth", "subtree"])
        self.colour.setToolTip("depth: the number of ancestors; subtree: the largest child subtrees of the "
                               "node at the centre (click a node to browse into it)")
        tools.addWidget(self.colour)
        self.legend = QLabel("")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        tools.addWidget(self.legend, 1)
        box.addLayout(tools)
        box.addWidget(self.note)
        box.addWidget(self.disk, 1)
        self.colour.currentTextChanged.connect(self.colour_disk)
        self.disk.node_clicked.connect(lambda _row: self._show_legend())
        self._disk_started = False

    def views(self):
        return [(DISK, self.page)]

    def actions(self):
        return [("File/open", "Open &hierarchy…", self._open_dialog),
                ("File/image", "Export Poincaré &disk image…",
                 lambda: self.shell.exports.image_dialog(self.disk, "disk"))]

    def start_run(self, dataset, cfg) -> None:
        self._disk_started = False
        super().start_run(dataset, cfg)

    def progress(self, item) -> None:
        p, vectors = item
        self.shell.loss.add(p)
        self.panel.show_progress(p)
        if vectors is None:
            return
        if not self._disk_started:
            h = self.dataset.data
            self.note.setText(self.disk.set_hierarchy(h.names, vectors, h.edges))
            self.colour_disk(self.colour.currentText())
            self._disk_started = True
        else:
            self.disk.update_vectors(vectors)

    def finished(self, name, embedding) -> None:
        h = self.dataset.data
        self.note.setText(self.disk.set_hierarchy(h.names, embedding.vectors, h.edges)
                          + ". Click a node to re-centre the disk on it.")
        self.colour_disk(self.colour.currentText())
        name = self.shell.add_embedding(name, embedding)
        losses = embedding.info.get("epoch_losses", [])
        self.panel.status.setText(f"done: {name}; last epoch loss {losses[-1]:.3f}" if losses else f"done: {name}")
        self.shell.show_view(DISK)

    def dataset_opened(self, dataset) -> None:
        if dataset.kind == "hierarchy" and self.shell.views.currentWidget() is self.shell.welcome:
            self.shell.show_view(DISK)  # the first thing opened: show where it will be drawn

    def search(self, pattern: str) -> None:
        if len(self.disk.names):
            try:
                self.disk.search(pattern)
            except Exception:  # noqa: BLE001 - re.error while typing: the map's search says so
                pass

    def colour_disk(self, mode: str) -> None:
        shown = self.disk.shown
        centre = int(np.argmin(np.linalg.norm(shown, axis=1))) if len(shown) else None
        self.disk.colour_by(mode, centre if mode == "subtree" and centre is not None and
                            np.linalg.norm(shown[centre]) < 1e-3 else None)
        self._show_legend()

    def _show_legend(self) -> None:
        self.legend.setText("  ".join(
            f'<span style="color: rgb{colour}">●</span> {name}' for name, colour in self.disk.legend))

    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.shell, "Open a hierarchy (child<TAB>parent per line)")
        if path:
            self.shell.open_as(path, "hierarchy")
