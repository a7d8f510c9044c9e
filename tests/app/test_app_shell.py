"""The application around the window: --selftest, start-up reporting, the desktop file, crash reports,
the welcome page's samples."""

from __future__ import annotations

import configparser
import logging
import os
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings  # noqa: E402

from embedstudio.app import main_window as mw  # noqa: E402
from embedstudio.app.crash import CrashReporter, setup_logging  # noqa: E402
from embedstudio.jobs import live  # noqa: E402
from embedstudio.resources import resource  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def app_command() -> list[str]:
    """The installed console script when there is one (the source install's), else ``python -m``."""
    script = Path(sys.executable).with_name("embedstudio")
    return [str(script)] if script.exists() else [sys.executable, "-m", "embedstudio"]


def app_env(tmp_path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", EMBEDSTUDIO_CACHE=str(tmp_path / "cache"),
               EMBEDSTUDIO_LOG_DIR=str(tmp_path / "logs"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    return env


def test_selftest_from_the_source_install_exits_0(tmp_path):
    done = subprocess.run([*app_command(), "--selftest"], env=app_env(tmp_path), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    for step in ("window shown", "loaded the sample corpus", "chunks", "the map shows", "self-test passed"):
        assert step in done.stdout, done.stdout


def test_the_desktop_file_validates_and_its_exec_line_opens_a_sample(tmp_path):
    desktop = ROOT / "packaging" / "embedstudio.desktop"
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(desktop, encoding="utf-8")
    exec_line = shlex.split(entry["Desktop Entry"]["Exec"])
    assert exec_line[0] == "embedstudio" and exec_line[-1] == "%F"
    sample = str(resource("sample", "mammal_relations.tsv"))
    command = app_command() + [sample if arg == "%F" else arg for arg in exec_line[1:]]
    env = dict(app_env(tmp_path), EMBEDSTUDIO_EXIT_WHEN_SHOWN="1")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"loaded edgelist {sample}" in done.stdout and "shown " in done.stdout
    mime_types = entry["Desktop Entry"]["MimeType"].rstrip(";").split(";")
    assert {"application/x-embedstudio-session", "text/x-word-vectors"} <= set(mime_types)
    # its own types only: a desktop entry listing text/plain becomes the default for every .txt where no
    # default is set (a shopping list opened EmbedStudio); any file can still be opened with it by choice
    assert not {"text/plain", "text/csv", "text/tab-separated-values", "application/gzip"} & set(mime_types)


def test_a_bad_file_on_the_command_line_is_reported_not_fatal(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02" * 500)
    env = dict(app_env(tmp_path), EMBEDSTUDIO_EXIT_WHEN_SHOWN="1")
    done = subprocess.run([*app_command(), str(bad)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "error " in done.stdout and str(bad) in done.stdout


def test_uncaught_exceptions_are_logged_and_shown_with_the_log_path(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDSTUDIO_LOG_DIR", str(tmp_path / "logs"))
    for handler in list(logging.getLogger("embedstudio").handlers):  # a fresh log file for this test
        logging.getLogger("embedstudio").removeHandler(handler)
    shown = []
    reporter = CrashReporter(lambda summary, path: shown.append((summary, path)), setup_logging()).install()
    try:
        try:
            raise ValueError("a slot went wrong")
        except ValueError:
            sys.excepthook(*sys.exc_info())
        worker = threading.Thread(target=lambda: 1 / 0, name="job-thread")
        worker.start()
        worker.join()
    finally:
        reporter.uninstall()
    log = tmp_path / "logs" / "embedstudio.log"
    assert [s for s, _ in shown] == ["ValueError: a slot went wrong", "ZeroDivisionError: division by zero"]
    assert all(path == str(log) for _, path in shown)
    text = log.read_text()
    assert "a slot went wrong" in text and "Traceback" in text and "job-thread" in text


def test_the_window_opens_on_the_welcome_page_and_a_sample_trains_with_one_click(window, qtbot, monkeypatch):
    poincare = window.workflow("poincare").panel
    assert window.views.currentWidget() is window.welcome
    monkeypatch.setattr(live, "SNAPSHOT_EVERY_S", 0.0)
    window.welcome.buttons["hierarchy"].click()
    qtbot.waitUntil(lambda: poincare.cancel.isEnabled() or "done" in poincare.status.text(),
                    timeout=60000)
    assert window.views.currentIndex() == 1  # the Poincaré disk
    assert "mammal_closure.tsv [hierarchy]" in window.workspace.panel.rows()[0]
    window.runs.cancel()


def test_the_vectors_sample_opens_and_is_audited_with_one_click(window, qtbot):
    window.welcome.buttons["vectors"].click()
    qtbot.waitUntil(lambda: window.workflow("bias").result is not None, timeout=120000)
    assert window.session.current == "sotu-vectors.vec.gz"
    summary = window.workflow("bias").panel.summary.text()
    assert summary.startswith("Direction from 7 pairs")  # the gender preset's pairs found
    assert window.workflow("bias").result[0].before.weat  # WEAT ran on the sample's words


def test_warm_up_prepares_every_kernel_on_the_worker(window, qtbot):
    window.warm_up()
    qtbot.waitUntil(lambda: "ready" in window.welcome.status.text(), timeout=300000)


def test_model_files_and_saved_sessions_open_like_any_dropped_file(window, qtbot, tmp_path):
    """What the .desktop file's MIME types promise: a graph model, a StarSpace model and a session open."""
    from embedstudio.data.edgelist import read_edgelist
    from embedstudio.data.labelled import read_labelled
    from embedstudio.train.graph import GraphConfig, GraphTrainer
    from embedstudio.train.starspace import StarSpaceConfig, train_starspace
    from tests.train.test_starspace import planted_docs

    links = window.workflow("graph").links
    trainer = GraphTrainer(GraphConfig(dim=8, epochs=2, threads=1))
    for _ in trainer.fit(read_edgelist(resource("sample", "mammal_relations.tsv"))):
        pass
    trainer.model().save(tmp_path / "wn.esgraph")
    train_starspace(read_labelled(planted_docs(tmp_path / "d.txt", 300, 0)),
                    StarSpaceConfig(dim=8, epochs=3, threads=1)).save(tmp_path / "tags.esspace")
    window.open_paths([str(tmp_path / "wn.esgraph"), str(tmp_path / "tags.esspace")])
    graph, starspace = window.workflow("graph"), window.workflow("starspace")
    qtbot.waitUntil(lambda: len(window.session.models) == 2, timeout=30000)
    assert not window.errors
    # the last one opened is current: the StarSpace tools act on it, Links says it needs a graph model
    assert starspace.model is window.session.models["tags.esspace"] and graph.model is None
    window.workflow("starspace").space.text.setPlainText("t3_1 t3_4")
    assert window.workflow("starspace").space.table.rowCount() > 0
    assert links.info.text().startswith("link prediction needs a graph model")
    window.workspace.use("wn.esgraph")
    assert graph.model is window.session.models["wn.esgraph"] and starspace.model is None
    links.entity.setText("dog.n.01")
    assert links.run_query()
    window.save_session(str(tmp_path / "session"))
    other = mw.MainWindow(QSettings(str(tmp_path / "s2.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(other)
    other.open_paths([str(tmp_path / "session" / "session.json")])  # as a file manager passes it
    qtbot.waitUntil(lambda: "session opened" in other.statusBar().currentMessage(), timeout=30000)
    assert set(other.session.embeddings) == set(window.session.embeddings)
