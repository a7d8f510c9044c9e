"""Projection panel: UMAP and t-SNE parameters (generated from their config schema), compute, cancel."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from embedstudio.analysis.projection import TSNEConfig, UMAPConfig
from embedstudio.app.docks.config_form import ConfigForm


AUTO_UMAP_MAX = 200_000  # points a trained model's map may switch to UMAP for by itself


class ProjectionPanel(QWidget):
    compute_requested = Signal(str)  # "UMAP" or "t-SNE"

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.forms = {"umap": ConfigForm(UMAPConfig), "tsne": ConfigForm(TSNEConfig)}
        self.tabs.addTab(self.forms["umap"], "UMAP")
        self.tabs.addTab(self.forms["tsne"], "t-SNE")
        layout.addWidget(self.tabs)
        row = QHBoxLayout()
        self.compute = QPushButton("Compute map")
        self.cancel = QPushButton("Cancel")
        row.addWidget(self.compute)
        row.addWidget(self.cancel)
        layout.addLayout(row)
        self.auto_umap = QCheckBox(f"UMAP after training (up to {AUTO_UMAP_MAX:,} points)")
        self.auto_umap.setToolTip("when a training run ends, its map switches from PCA to UMAP by itself")
        self.auto_umap.setChecked(True)
        layout.addWidget(self.auto_umap)
        self.status = QLabel("PCA is shown at once; UMAP and t-SNE run in the background.")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.compute.clicked.connect(lambda: self.compute_requested.emit(self.tabs.tabText(self.tabs.currentIndex())))
        self.set_running(False, None)

    def config(self, method: str):
        return self.forms[method].config()

    def set_running(self, running: bool, message: str | None) -> None:
        self.compute.setEnabled(not running)
        self.cancel.setEnabled(running)
        if message is not None:
            self.status.setText(message)
