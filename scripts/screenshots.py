#!/usr/bin/env python3
"""Screenshots of the real window for the README: train on the bundled sample, then explore.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "screenshots"))
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])

    from embedstudio.app import main_window as mw
    from embedstudio.resources import resource

    from embedstudio.jobs import live

    live.SNAPSHOT_EVERY_S = 1.0
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.Format.IniFormat)
    w = mw.MainWindow(settings)
    w.resize(1500, 940)
    w.show()
    w.open_paths([str(next(resource("sample").glob("*.txt.gz")))])
    state = {"phase": "load", "shots": []}

    def shot(name: str) -> None:
        app.processEvents()
        path = out / name
        w.grab().save(str(path))
        state["shots"].append(path)

    def step() -> None:
        if state["phase"] == "load" and w.workflow("word2vec").panel.start.isEnabled():
            w.workflow("word2vec").panel.form.editors["epochs"].setValue(args.epochs)
            w.workflow("word2vec").panel.start.click()
            state["phase"] = "train"
        elif state["phase"] == "train" and w.loss.points > 40 and w.session.embedding is None:
            shot("training.png")
            state["phase"] = "wait"
        elif state["phase"] in ("train", "wait") and w.session.embedding is not None:
            w.map_page.search.setText("^(war|peace|president|congress|economy|freedom)$")
            w.neighbors.query.setText("war")
            w.neighbors.run_query()
            w.map_page.colour.setCurrentText("frequency")
            w.map_page.apply_colour("frequency")
            shot("explore.png")
            w.map_page.search.setText("")
            w.map_page.projection.setCurrentText("word axes")
            w.map_page.x_axis.setText("war > peace")
            w.map_page.y_axis.setText("past > future")
            w.map_page.compute_projection("word axes")
            w.map_page.search.setText("^(army|navy|treaty|trade|schools|children|science|tariff|taxes|soldiers)$")
            shot("word-axes.png")
            app.quit()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(200)
    QTimer.singleShot(600_000, app.quit)
    app.exec()
    for p in state["shots"]:
        print(p)
    return 0 if len(state["shots"]) == 3 else 1


if __name__ == "__main__":
    sys.exit(main())
