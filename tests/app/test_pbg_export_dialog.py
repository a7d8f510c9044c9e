"""File ▸ Export graph for PyTorch-BigGraph…: the dialog collects folder, partitions, machines and the init address;
the export writes a cluster's launch script, and a bad cluster setting comes back as the export's own message."""

from __future__ import annotations

import json
import os

import pytest

pytest.importorskip("PySide6")

from embedstudio.app.pbg_dialog import PbgExportChoice, PbgExportDialog
from tests.app.test_main_window import drop


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_dialog_collects_the_cluster_settings_only_for_a_cluster(qtbot, tmp_path):
    dialog = PbgExportDialog(folder="")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled()  # no folder yet
    dialog.folder.setText(str(tmp_path))
    assert ok.isEnabled()
    assert not dialog.init_method.isEnabled() and not dialog.interface.isEnabled()
    dialog.init_method.setText("tcp://10.0.0.1:29500")  # typed, then back to one machine: not passed on
    assert dialog.choice() == PbgExportChoice(folder=str(tmp_path), partitions=4)
    dialog.machines.setValue(3)
    assert dialog.init_method.isEnabled() and dialog.interface.isEnabled() and dialog.check_here.isEnabled()
    dialog.partitions.setValue(6)
    dialog.interface.setText(" eth1 ")
    dialog.check_here.setChecked(True)
    assert dialog.choice() == PbgExportChoice(folder=str(tmp_path), partitions=6, machines=3,
                                              init_method="tcp://10.0.0.1:29500", interface="eth1", check_here=True)
    dialog.interface.clear()
    assert dialog.choice().interface is None  # the export's default (lo for a loopback host)


def _open_graph(window, qtbot, tmp_path):
    from tests.train.test_graph import planted_graph

    graph = planted_graph(tmp_path, edges=1500)
    drop(window, graph.path)
    qtbot.waitUntil(lambda: window.workflow("graph").panel.start.isEnabled(), timeout=30000)


def _answer_dialog(monkeypatch, **fields):
    """Make the next PbgExportDialog answer OK with these field values."""
    def exec_(dialog):
        dialog.folder.setText(fields["folder"])
        dialog.partitions.setValue(fields.get("partitions", 4))
        dialog.machines.setValue(fields.get("machines", 1))
        dialog.init_method.setText(fields.get("init", ""))
        return PbgExportDialog.DialogCode.Accepted

    monkeypatch.setattr(PbgExportDialog, "exec", exec_)


def _export_action(window):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    return next(a for a in menu.actions() if a.text() == "Export graph for &PyTorch-BigGraph…")


def test_the_menu_exports_for_a_cluster_with_a_launch_script(window, qtbot, tmp_path, monkeypatch):
    _open_graph(window, qtbot, tmp_path)
    flow = window.workflow("graph")
    folder = tmp_path / "pbg"
    init = f"tcp://127.0.0.1:{free_port()}"
    _answer_dialog(monkeypatch, folder=str(folder), partitions=4, machines=2, init=init)
    _export_action(window).trigger()
    qtbot.waitUntil(lambda: bool(flow.pbg_export_note) or bool(window.errors), timeout=30000)
    assert not window.errors
    config = json.loads((folder / "config.json").read_text())
    assert (config["num_machines"], config["distributed_init_method"]) == (2, init)
    assert config["entities"]["entity"]["num_partitions"] == 4
    assert os.access(folder / "run-rank.sh", os.X_OK) and (folder / "HOW-TO-RUN.txt").exists()
    note = flow.pbg_export_note
    assert f"{folder / 'run-rank.sh'} RANK on each of the 2 machines" in note and "HOW-TO-RUN.txt" in note
    assert "same path" in note


@pytest.mark.parametrize("fields, message", [
    ({"partitions": 2, "machines": 2, "init": "tcp://127.0.0.1:29500"}, "2 machines need at least 4 partitions"),
    ({"partitions": 4, "machines": 2, "init": ""}, "a cluster needs an init address tcp://HOST:PORT"),
    ({"partitions": 4, "machines": 2, "init": "tcp://no-such-host.invalid:29500"}, "cannot be resolved"),
])
def test_a_bad_cluster_setting_is_shown_in_the_window(window, qtbot, tmp_path, monkeypatch, fields, message):
    _open_graph(window, qtbot, tmp_path)
    flow = window.workflow("graph")
    _answer_dialog(monkeypatch, folder=str(tmp_path / "pbg"), **fields)
    _export_action(window).trigger()
    qtbot.waitUntil(lambda: bool(window.errors), timeout=30000)
    assert message in window.errors[-1] and "Traceback" not in window.errors[-1]
    assert not flow.pbg_export_note and not (tmp_path / "pbg").exists()


def test_a_bad_cluster_setting_keeps_the_dialog_open_with_what_was_typed(window, qtbot, tmp_path, monkeypatch):
    """The window passes the core's check to the dialog: OK on a bad setting shows why and keeps every field."""
    _open_graph(window, qtbot, tmp_path)
    flow = window.workflow("graph")
    folder = tmp_path / "pbg"
    init = f"tcp://127.0.0.1:{free_port()}"
    seen = {}

    def exec_(self):
        self.show()
        self.folder.setText(str(folder))
        self.machines.setValue(2)
        self.partitions.setValue(3)
        self.init_method.setText(init)
        self.accept()  # refused: 2 machines need 4 partitions
        seen["refused"] = (self.result(), self.isVisible(), self.problem.isVisible(), self.problem.text())
        seen["kept"] = (self.folder.text(), self.machines.value(), self.init_method.text())
        self.partitions.setValue(4)
        self.accept()
        return self.result()

    monkeypatch.setattr(PbgExportDialog, "exec", exec_)
    _export_action(window).trigger()
    result, visible, shown, text = seen["refused"]
    assert result != PbgExportDialog.DialogCode.Accepted and visible and shown
    assert "2 machines need at least 4 partitions" in text
    assert seen["kept"] == (str(folder), 2, init)
    qtbot.waitUntil(lambda: bool(flow.pbg_export_note) or bool(window.errors), timeout=30000)
    assert not window.errors
    assert json.loads((folder / "config.json").read_text())["num_machines"] == 2
