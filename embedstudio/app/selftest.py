"""``embedstudio --selftest``: the whole app once, offscreen, then exit 0 (or 1 with the failing step).

It opens the window, loads the bundled sample corpus, trains word2vec for one short epoch (the
loss curve draws as chunks finish), draws the map of every word, renders the window to a PNG and checks every step. It runs the same code as the
app, so it proves a frozen bundle works too (Qt plugins, numba kernels and their cache, resources).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

STEP_TIMEOUT_S = 300.0  # the first run compiles every kernel: generous


def _wait(app, condition, what: str, timeout: float = STEP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def run_selftest(out=sys.stdout) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from embedstudio import __version__
    from embedstudio.app.main_window import MainWindow
    from embedstudio.resources import resource

    started = time.perf_counter()

    def say(message: str) -> None:
        out.write(f"[{time.perf_counter() - started:6.1f} s] {message}\n")
        out.flush()

    app = QApplication.instance() or QApplication([sys.argv[0]])
    with tempfile.TemporaryDirectory(prefix="embedstudio-selftest-") as tmp:
        os.environ.setdefault("EMBEDSTUDIO_CACHE", os.path.join(tmp, "cache"))  # never the user's corpus cache
        settings = QSettings(os.path.join(tmp, "settings.ini"), QSettings.Format.IniFormat)
        settings.setValue("map/auto_umap", False)  # the check ends at the PCA map; no UMAP to wait for
        window = MainWindow(settings)
        try:
            window.show()
            say(f"EmbedStudio {__version__}: window shown ({app.platformName()} platform)")
            corpus = str(resource("sample", "sotu.txt.gz"))
            window.open_paths([corpus])
            _wait(app, lambda: window.session.corpora() or window.errors, "the sample corpus to load")
            if window.errors:
                raise RuntimeError(window.errors[-1])
            say(f"loaded the sample corpus: {window.workspace.panel.rows()[0]}")
            form = window.workflow("word2vec").panel.form.editors
            form["dim"].setValue(32)
            form["epochs"].setValue(1)
            form["threads"].setValue(1)
            window.workflow("word2vec").panel.start.click()
            _wait(app, lambda: window.loss.points >= 3 or window.errors, "three training steps")
            if window.errors:
                raise RuntimeError(window.errors[-1])
            say(f"trained {window.loss.points} chunks (the loss curve is drawing)")
            _wait(app, lambda: window.session.embedding is not None or window.errors, "one epoch to finish")
            if window.errors:
                raise RuntimeError(window.errors[-1])
            say(f"trained one epoch: {len(window.session.embedding):,} word vectors")
            _wait(app, lambda: window.map.n_points > 0, "the map", 60)
            say(f"the map shows {window.map.n_points:,} points")
            shot = os.path.join(tmp, "window.png")
            if not window.grab().save(shot) or os.path.getsize(shot) < 1000:
                raise RuntimeError("the window could not be rendered to an image")
            say(f"rendered the window ({os.path.getsize(shot):,} bytes of PNG)")
        except Exception as e:  # noqa: BLE001 - the self-test reports any failure and exits 1
            say(f"FAILED: {type(e).__name__}: {e}")
            return 1
        finally:
            window.close()
            app.processEvents()
    say("self-test passed")
    return 0
