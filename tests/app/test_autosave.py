"""Autosave: two slots, a crash lock, restore after kill -9, fallback past a damaged autosave."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from embedstudio.app.autosave import SLOTS, Autosave
from embedstudio.data.errors import DataFormatError
from tests.app.conftest import open_window


def test_saves_alternate_between_slots_and_restore_takes_the_newest(tmp_path):
    auto = Autosave(str(tmp_path))
    assert auto.newest() is None
    written = []
    for k in range(3):
        slot = auto.save(lambda folder, k=k: Path(folder, "data.txt").write_text(str(k)))
        written.append(os.path.basename(slot))
        time.sleep(0.01)
    assert written == [SLOTS[0], SLOTS[1], SLOTS[0]]
    slot, value, problems = auto.restore(lambda folder: Path(folder, "data.txt").read_text())
    assert (value, problems) == ("2", [])


def test_a_damaged_newest_autosave_falls_back_to_the_one_before(tmp_path):
    auto = Autosave(str(tmp_path))
    auto.save(lambda folder: Path(folder, "data.txt").write_text("good"))
    time.sleep(0.01)
    newest = auto.save(lambda folder: Path(folder, "data.txt").write_text("damaged"))

    def read(folder):
        text = Path(folder, "data.txt").read_text()
        if text == "damaged":
            raise DataFormatError(os.path.join(folder, "data.txt"), 1, "truncated")
        return text

    slot, value, problems = auto.restore(read)
    assert value == "good" and slot != newest and len(problems) == 1 and "truncated" in problems[0]


def test_an_interrupted_save_is_never_restored_first(tmp_path):
    auto = Autosave(str(tmp_path))
    auto.save(lambda folder: Path(folder, "data.txt").write_text("finished"))
    time.sleep(0.01)

    def crash(folder):
        Path(folder, "data.txt").write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        auto.save(crash)
    assert auto.restore(lambda folder: Path(folder, "data.txt").read_text())[1] == "finished"


def test_the_lock_tells_a_crash_from_a_clean_quit(tmp_path):
    first = Autosave(str(tmp_path))
    assert first.start() is False
    first.save(lambda folder: Path(folder, "x").write_text("1"))
    first.stop()
    assert Autosave(str(tmp_path)).start() is False  # clean quit: nothing to offer
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    Path(tmp_path, "running.json").write_text(json.dumps({"pid": dead.pid}))
    assert Autosave(str(tmp_path)).start() is True  # the previous process is gone without cleaning up
    Path(tmp_path, "running.json").write_text("{damaged")
    assert Autosave(str(tmp_path)).start() is True


def test_after_kill_9_the_next_start_offers_and_restores_the_last_autosave_exactly(qtbot, tmp_path):
    pytest.importorskip("PySide6")
    from PySide6.QtCore import QSettings

    from embedstudio.app import main_window as mw
    from embedstudio.data.vectors_io import write_vectors
    from embedstudio.vectors import Embedding

    rng = np.random.default_rng(3)
    vectors = tmp_path / "v.vec"
    write_vectors(Embedding([f"w{i}" for i in range(300)], rng.standard_normal((300, 16)).astype(np.float32)),
                  str(vectors), "fasttext-vec")
    state = tmp_path / "state"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", EMBEDSTUDIO_STATE_DIR=str(state),
               EMBEDSTUDIO_AUTOSAVE_S="0.3", EMBEDSTUDIO_LOG_DIR=str(tmp_path / "logs"),
               EMBEDSTUDIO_CACHE=str(tmp_path / "cache"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    app = subprocess.Popen([sys.executable, "-m", "embedstudio", str(vectors)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not any((state / s / "autosave.json").exists() for s in SLOTS):
            assert app.poll() is None and time.monotonic() < deadline, "the app ended or never autosaved"
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        app.send_signal(signal.SIGKILL)  # kill -9: no clean-up at all
        app.wait()
    assert (state / "running.json").exists()

    os.environ["EMBEDSTUDIO_STATE_DIR"] = str(state)
    try:
        window = mw.MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(window)
        window.show()
        assert window.recovery.enable(interval_s=0) is True
        assert window.recovery.restore_offer is not None and window.recovery.restore_offer.isVisible()
        window.recovery.restore_offer.accept()  # "Restore"
        qtbot.waitUntil(lambda: window.session.embedding is not None, timeout=30000)
    finally:
        del os.environ["EMBEDSTUDIO_STATE_DIR"]
    restored = window.session.embedding
    from embedstudio.data.vectors_io import read_vectors

    original = read_vectors(str(vectors))
    assert window.session.current == "v.vec" and restored.keys == original.keys
    assert np.array_equal(restored.vectors, original.vectors)
    window.close()  # a clean quit: the lock is released
    assert not (state / "running.json").exists()


def _window(qtbot, tmp_path):
    return open_window(qtbot, tmp_path / "s.ini")


def test_a_run_resumed_in_the_window_from_its_checkpoint_ends_as_the_uninterrupted_run(qtbot, tmp_path, monkeypatch):
    pytest.importorskip("PySide6")
    from tests.test_reliability import small_corpus

    monkeypatch.setenv("EMBEDSTUDIO_STATE_DIR", str(tmp_path / "state"))
    corpus = small_corpus(tmp_path / "c.txt", 8000)
    w = _window(qtbot, tmp_path)
    w.open_paths([str(corpus)])
    qtbot.waitUntil(lambda: w.workflow("word2vec").panel.start.isEnabled(), timeout=30000)
    form = w.workflow("word2vec").panel.form.editors
    for name, value in (("dim", 16), ("epochs", 3), ("threads", 1), ("min_count", 1), ("chunk_words", 2000)):
        form[name].setValue(value)
    ckpt = str(tmp_path / "mid.ckpt")
    w.runs.request_checkpoint(ckpt)  # saved at the run's first step
    w.workflow("word2vec").panel.start.click()
    qtbot.waitUntil(lambda: w.session.embedding is not None, timeout=60000)
    whole = w.session.embedding
    assert os.path.exists(ckpt)
    form["epochs"].setValue(1)  # the checkpoint's settings come back with it
    w.runs.resume(ckpt)
    assert form["epochs"].value() == 3
    qtbot.waitUntil(lambda: w.session.embedding is not whole and w.session.embedding is not None, timeout=60000)
    assert np.array_equal(w.session.embedding.vectors, whole.vectors)


def test_divergence_in_the_window_names_the_last_good_checkpoint(qtbot, tmp_path, monkeypatch):
    pytest.importorskip("PySide6")
    from embedstudio.train.base import Checkpoint

    monkeypatch.setenv("EMBEDSTUDIO_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("EMBEDSTUDIO_CHECKPOINT_S", "0.000001")  # a checkpoint at every step
    edges = tmp_path / "g.tsv"
    rng = np.random.default_rng(0)
    edges.write_text("".join(f"e{a}\tr\te{b}\n" for a, b in rng.integers(0, 200, size=(3000, 2))))
    w = _window(qtbot, tmp_path)
    w.open_paths([str(edges)])
    qtbot.waitUntil(lambda: w.workflow("graph").panel.start.isEnabled(), timeout=30000)
    form = w.workflow("graph").panel.form.editors
    form["lr"].setText("100")
    form["optimizer"].setCurrentText("sgd")
    form["operator"].setCurrentText("none")
    form["threads"].setValue(1)
    form["epochs"].setValue(5)
    w.workflow("graph").panel.start.click()
    qtbot.waitUntil(lambda: bool(w.errors) or w.workflow("graph").model is not None, timeout=60000)
    assert w.errors, (w.workflow("graph").panel.status.text(), w.workflow("graph").panel.form.config())
    assert "non-finite" in w.errors[-1] and "last good checkpoint is kept" in w.errors[-1]
    good = Checkpoint.load(tmp_path / "state" / "training.ckpt")
    assert all(np.isfinite(a).all() for a in good.arrays.values())


def test_the_automatic_checkpoint_interval_is_chosen_in_the_file_menu_and_remembered(qtbot, tmp_path, monkeypatch):
    pytest.importorskip("PySide6")
    monkeypatch.setenv("EMBEDSTUDIO_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("EMBEDSTUDIO_CHECKPOINT_S", raising=False)
    w = _window(qtbot, tmp_path)
    menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&File")
    sub = next(a.menu() for a in menu.actions() if a.text() == "Automatic &checkpoints")
    assert [a.text() for a in sub.actions()][:2] == ["Off", "Every minute"]
    assert w.runs.checkpoint_actions[5].isChecked()  # the default
    w.runs.begin(w.workflow("word2vec"), "x")
    assert w.runs.mailbox.auto_every_s == 300
    w.runs.checkpoint_actions[0].trigger()
    w.runs.begin(w.workflow("word2vec"), "x")
    assert w.runs.mailbox.auto_every_s == 0  # off: serve() never writes one
    w.runs.checkpoint_actions[15].trigger()
    w.settings.sync()
    again = _window(qtbot, tmp_path)  # a later start of the app, same settings file
    assert again.runs.checkpoint_actions[15].isChecked() and not again.runs.checkpoint_actions[5].isChecked()
    again.runs.begin(again.workflow("word2vec"), "x")
    assert again.runs.mailbox.auto_every_s == 900
    monkeypatch.setenv("EMBEDSTUDIO_CHECKPOINT_S", "2.5")  # the environment still wins (tests, scripts)
    again.runs.begin(again.workflow("word2vec"), "x")
    assert again.runs.mailbox.auto_every_s == 2.5
