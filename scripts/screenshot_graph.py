#!/usr/bin/env python3
"""Screenshot of the window training graph embeddings on the bundled WordNet mammal relations.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_graph.py [--out docs/screenshots]
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
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])

    from embedstudio.app import main_window as mw
    from embedstudio.resources import resource

    from embedstudio.jobs import live

    live.SNAPSHOT_EVERY_S = 0.5
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.Format.IniFormat)
    w = mw.MainWindow(settings)
    w.resize(1500, 940)
    w.show()
    w.open_paths([str(resource("sample", "mammal_relations.tsv"))])
    state = {"phase": "load", "done": False}

    def step() -> None:
        if state["phase"] == "load" and w.workflow("graph").panel.start.isEnabled():
            w.docks["Graph"].raise_()
            form = w.workflow("graph").panel.form.editors
            form["dim"].setValue(32)
            form["epochs"].setValue(60)
            form["batch_size"].setValue(200)
            form["batch_negatives"].setValue(50)
            form["uniform_negatives"].setValue(50)
            w.workflow("graph").panel.start.click()
            state["phase"] = "train"
        elif state["phase"] == "train" and w.workflow("graph").model is not None:
            w.docks["Graph"].raise_()
            w.workflow("graph").links.entity.setText("dog.n.01")
            w.workflow("graph").links.relation.setCurrentText("_hyponym")
            w.workflow("graph").links.run_query()
            w.map_page.search.setText("^(dog|cat|horse|whale|bat|primate|rodent|carnivore)\\.n\\.01$")
            app.processEvents()
            w.grab().save(str(out / "graph.png"))
            state["done"] = True
            app.quit()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(200)
    QTimer.singleShot(300_000, app.quit)
    app.exec()
    print(out / "graph.png")
    return 0 if state["done"] else 1


if __name__ == "__main__":
    sys.exit(main())
