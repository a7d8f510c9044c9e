"""The window is a shell around workflows: a new workflow is one class registered in one line, and the
window and the command line run the same jobs."""

import threading

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget  # noqa: E402

from embedstudio.app import main_window as mw  # noqa: E402
from embedstudio.app import workflows  # noqa: E402
from embedstudio.app.workflows import RIGHT, Workflow  # noqa: E402
from embedstudio.cli import main  # noqa: E402
from embedstudio.vectors import Embedding  # noqa: E402


def counting_job(n: int, threads: list):
    """Three progress items, then the count; notes the thread it runs in."""
    threads.append(threading.current_thread())
    for i in range(n):
        yield f"step {i + 1} of {n}"
    return n


class CountingWorkflow(Workflow):
    """A seventh workflow, whole: a dock with one button, a job on the worker, a menu action, session state."""

    name = "counting"

    def __init__(self, shell):
        super().__init__(shell)
        self.panel = QWidget()
        self.button = QPushButton("Count to three")
        QVBoxLayout(self.panel).addWidget(self.button)
        self.button.clicked.connect(self.run)
        self.steps, self.threads, self.total = [], [], None

    def docks(self):
        return [("Counting", self.panel, RIGHT)]

    def actions(self):
        return [("Tools", "&Count to three", self.run)]

    def run(self):
        self.shell.worker.start("counting", counting_job, 3, self.threads, on_progress=self.steps.append,
                                on_finished=self._done)

    def _done(self, total):
        self.total = total

    def save_state(self, view):
        view["counting"] = {"total": self.total}

    def restore_state(self, view, _files):
        self.total = view.get("counting", {}).get("total")


@pytest.fixture
def with_counting(monkeypatch):
    monkeypatch.setattr(workflows, "WORKFLOWS", list(workflows.WORKFLOWS))  # registered for this test only
    workflows.register(CountingWorkflow)


def _window(qtbot, path):
    w = mw.MainWindow(QSettings(str(path), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    return w


def test_a_workflow_registered_from_outside_is_shown_run_on_the_worker_and_saved(with_counting, qtbot, tmp_path):
    window = _window(qtbot, tmp_path / "s.ini")
    counting = window.workflow("counting")
    dock = window.docks["Counting"]
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert dock.widget() is counting.panel and dock.toggleViewAction() in view.actions()
    tools = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Tools")
    assert "&Count to three" in [a.text() for a in tools.actions()]
    window.raise_dock("Counting")
    assert counting.button.isVisible()
    counting.button.click()
    qtbot.waitUntil(lambda: counting.total == 3, timeout=10000)
    assert counting.steps == ["step 1 of 3", "step 2 of 3", "step 3 of 3"]
    assert counting.threads[0] is not threading.main_thread()  # on the worker, not in the window's thread
    window.session.add_embedding("e", Embedding(["a", "b"], np.eye(2, dtype=np.float32)))
    window.save_session(str(tmp_path / "session"))

    other = _window(qtbot, tmp_path / "s2.ini")
    assert other.workflow("counting").total is None
    other.open_session(str(tmp_path / "session"))
    qtbot.waitUntil(lambda: other.workflow("counting").total == 3, timeout=10000)
    with pytest.raises(ValueError, match="already registered"):
        workflows.register(CountingWorkflow)


def test_the_command_line_and_the_window_train_the_same_word2vec(window, qtbot, topic_file, tmp_path):
    settings = {"dim": 12, "epochs": 2, "min_count": 1, "threads": 1, "seed": 7, "chunk_words": 3000}
    out = tmp_path / "cli.npz"
    argv = ["train", str(topic_file), "-o", str(out)]
    for name, value in settings.items():
        argv += ["--" + name.replace("_", "-"), str(value)]
    assert main(argv) == 0
    from_cli = Embedding.load(out)

    window.open_paths([str(topic_file)])
    panel = window.workflow("word2vec").panel
    qtbot.waitUntil(lambda: panel.start.isEnabled(), timeout=20000)
    for name, value in settings.items():
        panel.form.editors[name].setValue(value)
    panel.start.click()
    qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=60000)
    from_window = window.session.embedding
    assert from_window.keys == from_cli.keys
    np.testing.assert_array_equal(from_window.vectors, from_cli.vectors)
    assert from_window.info["epoch_losses"] == from_cli.info["epoch_losses"]


def test_the_command_line_and_the_window_train_and_score_the_same_graph(window, qtbot, tmp_path, capsys):
    from embedstudio.graphmodel import GraphModel
    from tests.train.test_graph import planted_graph

    graph = planted_graph(tmp_path, edges=1500)
    settings = {"dim": 8, "epochs": 3, "batch_size": 100, "batch_negatives": 20, "uniform_negatives": 20,
                "threads": 1, "seed": 3}
    argv = ["graph", graph.path, "-o", str(tmp_path / "cli.esgraph")]
    for name, value in settings.items():
        argv += ["--" + name.replace("_", "-"), str(value)]
    assert main(argv) == 0
    from_cli = GraphModel.load(tmp_path / "cli.esgraph")
    mrr = float(capsys.readouterr().out.split("filtered full ranking: MRR ")[1].split(",")[0])

    window.open_paths([graph.path])
    flow = window.workflow("graph")
    qtbot.waitUntil(lambda: flow.panel.start.isEnabled(), timeout=20000)
    for name, value in settings.items():
        flow.panel.form.editors[name].setValue(value)
    flow.panel.start.click()
    qtbot.waitUntil(lambda: flow.model is not None, timeout=60000)
    assert flow.model.embedding.keys == from_cli.embedding.keys
    np.testing.assert_array_equal(flow.model.embedding.vectors, from_cli.embedding.vectors)
    np.testing.assert_array_equal(flow.model.lhs_params, from_cli.lhs_params)
    np.testing.assert_array_equal(flow.model.rhs_params, from_cli.rhs_params)
    assert f"filtered MRR {mrr:.3f}" in flow.links.info.text()  # the same held-out edges, scored alike


def test_the_menus_and_docks_keep_their_order(window):
    """The shell builds its menus from what the workflows contribute: the order users know stays."""
    def texts(title):
        menu = next(a.menu() for a in window.menuBar().actions() if a.text() == title)
        return [a.text() for a in menu.actions() if not a.isSeparator()]

    assert texts("&File") == [
        "&Open…", "Open Projector &TSV with metadata…", "Open &hierarchy…", "Open &user → items…", "Open &Recent",
        "&Save Session…", "Open Sess&ion…", "Restore &autosave", "Resume &training from checkpoint…",
        "Automatic &checkpoints", "&Export vectors…", "Export map &image…", "Export &loss curve image…",
        "Export Poincaré &disk image…", "Export map &coordinates…", "Export graph for &PyTorch-BigGraph…", "&Quit"]
    assert texts("&Tools") == ["&Evaluate (analogies)", "Evaluate with a &similarity file…", "&Bias audit…",
                               "&Link prediction…", "E&xtrinsic evaluation…", "&Compare two embeddings…"]
    assert texts("&View") == ["Workspace", "Training", "Projection", "Poincaré", "Graph", "StarSpace", "Links", "Tags",
                              "Extrinsic", "Bias", "Neighbours", "Loss"]
    tabs = window.tabifiedDockWidgets(window.docks["Neighbours"])
    assert [d.windowTitle() for d in tabs] == ["Links", "Tags", "Extrinsic", "Bias"]
