#!/usr/bin/env python3
"""README screenshots of the welcome page, TagSpace on the Debian debtags set and extrinsic evaluation.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_starspace.py [--out docs/screenshots]

Needs the Debian set (``python benchmarks/data/build_debian.py``); trains TagSpace on it in the
window, types a description into the Tags panel, then compares the TagSpace word vectors with the
bundled sample vectors and random vectors in the Extrinsic panel.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def wait(app, condition, timeout=600.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--data", default=str(ROOT / "benchmarks" / "data" / "debian"))
    args = ap.parse_args()
    out = Path(args.out)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from embedstudio.app import main_window as mw
    from embedstudio.vectors import Embedding

    w = mw.MainWindow(QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.Format.IniFormat))
    w.resize(1500, 940)
    w.show()
    wait(app, lambda: True)
    app.processEvents()
    w.grab().save(str(out / "welcome.png"))

    w.open_paths([os.path.join(args.data, "tags.train.txt")])
    wait(app, lambda: w.workflow("starspace").panel.start.isEnabled())
    form = w.workflow("starspace").panel.form.editors
    for name, value in (("epochs", 10), ("ngrams", 2)):
        form[name].setValue(value)
    w.docks["StarSpace"].raise_()
    w.workflow("starspace").panel.start.click()
    wait(app, lambda: w.workflow("starspace").model is not None)
    w.workflow("starspace").space.text.setPlainText("fast lightweight terminal emulator for x11 written in c")
    w.map_page.search.setText("^__label__(use|role)::")
    w.resize(1500, 940)
    app.processEvents()
    print("window", w.size())
    w.grab().save(str(out / "tagspace.png"))

    docs = w.session.datasets[0].data
    rng = np.random.default_rng(0)
    trained = w.session.embedding
    w.session.add_embedding("random vectors", Embedding(trained.keys, rng.standard_normal(trained.vectors.shape)),
                            make_current=False)
    w.open_paths([str(ROOT / "resources" / "sample" / "sotu-vectors.vec.gz"), os.path.join(args.data, "tags.valid.txt")])
    wait(app, lambda: len(w.session.embeddings) >= 3 and w.workflow("extrinsic").panel.dataset.count() >= 2)
    w.workflow("extrinsic").panel.dataset.setCurrentText("tags.valid.txt")  # 3,000 documents: a quick comparison
    w.workflow("extrinsic").show_panel()
    w.workflow("extrinsic").panel.prefix.setText("role::")
    w.workflow("extrinsic").panel.run.click()
    wait(app, lambda: w.workflow("extrinsic").panel.result is not None, timeout=1200)
    w.resize(1500, 940)
    app.processEvents()
    w.grab().save(str(out / "extrinsic.png"))
    print(f"wrote welcome.png, tagspace.png and extrinsic.png to {out} ({len(docs):,} documents)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
