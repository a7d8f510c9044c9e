"""Poincaré embeddings of a hierarchy, drawn live on the Poincaré disk."""

from __future__ import annotations

import html
import weakref

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from embedstudio.app.views.disk_view import DiskView
from embedstudio.app.workflows.base import TrainingWorkflow
from embedstudio.jobs.poincare import poincare_job
from embedstudio.session import HIERARCHY
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
        browse = QHBoxLayout()  # Home, Back, Forward through the re-centrings, and where the centre is
        self.home, self.back, self.forward = QToolButton(), QToolButton(), QToolButton()
        style = self.page.style()
        for button, icon, text, tip, slot in (
                (self.home, QStyle.StandardPixmap.SP_DirHomeIcon, "Home", "back to the root of the hierarchy",
                 self.disk.home),
                (self.back, QStyle.StandardPixmap.SP_ArrowBack, "Back", "the previous centre", self.disk.back),
                (self.forward, QStyle.StandardPixmap.SP_ArrowForward, "Forward", "the next centre",
                 self.disk.forward)):
            button.setIcon(style.standardIcon(icon))
            button.setText(text)
            button.setToolTip(tip)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.clicked.connect(slot)
            browse.addWidget(button)
        self.breadcrumb = QLabel("")
        self.breadcrumb.setTextFormat(Qt.TextFormat.RichText)
        self.breadcrumb.setWordWrap(True)
        self.breadcrumb.setToolTip("the centre's ancestors: click one to centre the disk on it")
        self.breadcrumb.linkActivated.connect(lambda row: self.disk.recentre_on(int(row)))
        browse.addWidget(self.breadcrumb, 1)
        box.addLayout(browse)
        self.disk.centre_changed.connect(self._show_centre)
        self.subject = QLabel("")  # the embedding the disk shows
        self.subject.setWordWrap(True)
        box.addWidget(self.subject)
        box.addWidget(self.note)
        box.addWidget(self.disk, 1)
        self.colour.currentTextChanged.connect(self.colour_disk)
        self.disk.node_clicked.connect(lambda _row: self._show_legend())
        self._disk_started = False
        self._drawn = None  # a weak reference to the embedding the disk shows (None: a run, or nothing)
        self._drawn_name = None
        self.session.subscribe(self._follow_current)

    def _follow_current(self, event: str) -> None:
        """The disk shows the current embedding when it is a Poincaré hierarchy; otherwise what it shows is
        named as not current."""
        if event not in ("current", "embeddings") or self.shell.runs.running:
            return
        emb, name = self.session.embedding, self.session.current
        drawn = self._drawn() if self._drawn is not None else None
        if emb is not None and self.session.kind() == HIERARCHY:
            if emb is not drawn:
                self.draw(emb, self._edges_for(name, emb))
            self._drawn_name = name
            self.subject.setText(f"{name}")
            self.subject.setStyleSheet("")
        elif drawn is not None:
            shown = next((n for n, e in self.session.embeddings.items() if e is drawn), self._drawn_name)
            self.subject.setText(f"Not current: the disk shows {shown}; "
                                 + (self.session.unsuitable("disk", "the disk") or ""))
            self.subject.setStyleSheet("color: #a04000")

    def _edges_for(self, name: str, emb):
        """The (child, ancestor) rows of the hierarchy ``emb`` was trained on, when it is open."""
        origin = self.session.origins.get(name) or {}
        dataset = self.session.dataset(origin.get("dataset", "")) if origin.get("from") == "trained" else None
        h = dataset.data if dataset is not None and dataset.kind == "hierarchy" else None
        if h is None or list(h.names) != list(emb.keys):
            return None
        return h.edges

    def draw(self, emb, edges) -> None:
        self.note.setText(self.disk.set_hierarchy(emb.keys, emb.vectors, edges)
                          + ". Click a node to re-centre the disk on it."
                          + ("" if edges is not None else " (its hierarchy is not open: no links drawn)"))
        self.colour_disk(self.colour.currentText())
        self._show_centre()
        self._drawn = weakref.ref(emb)

    def views(self):
        return [(DISK, self.page)]

    def actions(self):
        return [("File/open", "Open &hierarchy…", self._open_dialog),
                ("File/image", "Export Poincaré &disk image…",
                 lambda: self.shell.exports.image_dialog(self.disk, "disk"))]

    def start_run(self, dataset, cfg) -> None:
        self._disk_started = False
        # the run's (and so the embedding's) name says which model trained it
        self.run_title = ("Lorentz" if cfg.model == "lorentz" else "Poincaré") + " d={cfg.dim} · {dataset.name}"
        super().start_run(dataset, cfg)

    def progress(self, item) -> None:
        p, vectors = item
        self.shell.loss.add(p)
        self.panel.show_progress(p)
        if vectors is None:
            return
        if not self._disk_started:
            self._drawn = None
            self.subject.setText(f"training on {self.dataset.name}")
            self.subject.setStyleSheet("")
            h = self.dataset.data
            self.note.setText(self.disk.set_hierarchy(h.names, vectors, h.edges))
            self.colour_disk(self.colour.currentText())
            self._disk_started = True
        else:
            self.disk.update_vectors(vectors)

    def finished(self, name, embedding) -> None:
        h = self.dataset.data
        self.draw(embedding, h.edges)
        name = self.shell.add_embedding(name, embedding, origin=self.run_origin)
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

    def _show_centre(self) -> None:
        """The breadcrumb (the centre's ancestors, each a link) and which of Back/Forward can go."""
        crumbs = self.disk.breadcrumb()
        names = self.disk.names
        self.breadcrumb.setText(" › ".join(
            f"<b>{html.escape(names[r])}</b>" if k == len(crumbs) - 1 else
            f'<a href="{r}">{html.escape(names[r])}</a>' for k, r in enumerate(crumbs)) if crumbs else
            "centred on the layout's centre")
        self.back.setEnabled(self.disk.can_go_back)
        self.forward.setEnabled(self.disk.can_go_forward)
        self._show_legend()

    def _show_legend(self) -> None:
        self.legend.setText("  ".join(
            f'<span style="color: rgb{colour}">●</span> {name}' for name, colour in self.disk.legend))

    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.shell, "Open a hierarchy (child<TAB>parent per line)")
        if path:
            self.shell.open_as(path, "hierarchy")
