"""File ▸ Export graph for PyTorch-BigGraph…: the folder, partitions and, for a cluster, machines and the init
address. It only collects values; the core checks them (``check``, e.g. :func:`embedstudio.data.pbg_cluster.check_cluster`)
and the dialog stays open with the message until they are right, so nothing typed is lost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class PbgExportChoice:
    folder: str
    partitions: int
    machines: int = 1
    init_method: str | None = None  # tcp://HOST:PORT, machines > 1 only
    interface: str | None = None  # GLOO_SOCKET_IFNAME, machines > 1 only; None: the export's default
    check_here: bool = False


class PbgExportDialog(QDialog):
    def __init__(self, parent=None, folder: str = "", partitions: int = 4,
                 check: Callable[[PbgExportChoice], object] | None = None):
        super().__init__(parent)
        self._check = check  # raises with a message for the user when the choice cannot work
        self.setWindowTitle("Export graph for PyTorch-BigGraph")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)

        self.folder = QLineEdit(folder)
        self.folder.setPlaceholderText("a new, empty folder (PBG resumes from a checkpoints/ it finds)")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_folder)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.folder)
        row.addWidget(browse)
        holder = QWidget()
        holder.setLayout(row)
        form.addRow("Folder", holder)

        self.partitions = QSpinBox()
        self.partitions.setRange(1, 256)
        self.partitions.setValue(partitions)
        self.partitions.setToolTip("entity partitions: N × N edge buckets; one machine holds two partitions at a time")
        form.addRow("Partitions", self.partitions)

        self.machines = QSpinBox()
        self.machines.setRange(1, 1024)
        self.machines.setValue(1)
        self.machines.setToolTip("machines of a PBG cluster; each needs two partitions to itself, so N machines "
                                 "need at least 2N partitions")
        form.addRow("Machines", self.machines)

        self.init_method = QLineEdit()
        self.init_method.setPlaceholderText("tcp://HOST:PORT of the machine that runs rank 0")
        form.addRow("Init address", self.init_method)
        self.interface = QLineEdit()
        self.interface.setPlaceholderText("network interface for gloo (default: lo for 127.0.0.1, else gloo's)")
        form.addRow("Interface", self.interface)
        self.check_here = QCheckBox("This machine will run rank 0: check the address here")
        form.addRow("", self.check_here)
        note = QLabel("With more than one machine the folder gets run-rank.sh and HOW-TO-RUN.txt: the folder must be "
                      "at the same path on every machine (a shared filesystem for its checkpoints/).")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020")
        self.problem.hide()
        layout.addWidget(self.problem)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.machines.valueChanged.connect(self._update)
        self.folder.textChanged.connect(self._update)
        self._update()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for PyTorch-BigGraph's input (and its checkpoints)",
                                                  self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _update(self) -> None:
        cluster = self.machines.value() > 1
        for w in (self.init_method, self.interface, self.check_here):
            w.setEnabled(cluster)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.folder.text().strip()))

    def accept(self) -> None:
        if self._check is not None:
            try:
                self._check(self.choice())
            except ValueError as e:  # ConfigError is a ValueError
                self.problem.setText(str(e))
                self.problem.show()
                self.adjustSize()  # grow to the message rather than squash the fields
                return
        super().accept()

    def choice(self) -> PbgExportChoice:
        cluster = self.machines.value() > 1
        return PbgExportChoice(
            folder=self.folder.text().strip(), partitions=self.partitions.value(), machines=self.machines.value(),
            init_method=(self.init_method.text().strip() or None) if cluster else None,
            interface=(self.interface.text().strip() or None) if cluster else None,
            check_here=cluster and self.check_here.isChecked())
