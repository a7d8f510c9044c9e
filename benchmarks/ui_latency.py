#!/usr/bin/env python3
"""Does the window stay responsive while word2vec trains, and how fast does the map draw?

    QT_QPA_PLATFORM=offscreen python benchmarks/ui_latency.py --corpus /tmp/corpus.txt

Table 1: while word2vec trains with 2 threads on the corpus (default: the 14.9M-token corpus of
../shared/data/build_corpus.py), a 10 ms timer in the GUI thread records how late each tick is;
median / p99 / max lateness, and how many live-map updates arrived. The kernels release the GIL,
so the GUI thread should only wait for Python-level work (progress handling, PCA of snapshots).
Table 2: time to show 10k / 100k / 1M points on the map (set_points + a paint), and the time to
repaint after a pan. Offscreen rendering is software rendering: read these as upper bounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def percentile(values, q):
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def training_latency(app, corpus_path: str, seconds: float, threads: int) -> dict:
    from embedstudio.app import main_window as mw
    from embedstudio.data.corpus import read_corpus

    window = mw.MainWindow(QSettings("/tmp/embedstudio-bench-settings.ini", QSettings.Format.IniFormat))
    window.resize(1400, 900)
    window.show()
    read_corpus(corpus_path, min_count=5)  # fill the cache first: reading is not what we measure
    window.open_paths([corpus_path])
    while not window.workflow("word2vec").panel.start.isEnabled():
        app.processEvents()
        time.sleep(0.01)
    window.workflow("word2vec").panel.form.editors["threads"].setValue(threads)
    window.workflow("word2vec").panel.form.editors["epochs"].setValue(5)

    map_updates = [0]
    original = window.map.update_coords

    def counting_update(coords, autorange=False):
        map_updates[0] += 1
        return original(coords, autorange)

    window.map.update_coords = counting_update
    clock = QElapsedTimer()
    late: list[float] = []
    last = [None]

    def tick():
        now = clock.nsecsElapsed() / 1e6
        if last[0] is not None:
            late.append(max(0.0, now - last[0] - 10.0))
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    window.workflow("word2vec").panel.start.click()
    clock.start()
    timer.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    words = window.loss.points
    window.runs.cancel()
    window.close()
    return {"ticks": len(late), "median_ms": statistics.median(late) if late else float("nan"),
            "p99_ms": percentile(late, 99), "max_ms": max(late) if late else float("nan"),
            "map_updates": map_updates[0], "loss_points": words}


def map_draw_times(app, sizes) -> list[dict]:
    from embedstudio.app.views.map_view import MapView

    rows = []
    for n in sizes:
        view = MapView()
        view.resize(1000, 800)
        view.show()
        app.processEvents()
        rng = np.random.default_rng(0)
        coords = rng.standard_normal((n, 2)).astype(np.float32)
        keys = [f"w{i}" for i in range(n)]
        counts = np.arange(n, 0, -1)
        t0 = time.perf_counter()
        view.set_points(keys, coords, counts)
        view.grab()  # forces a full paint
        show = time.perf_counter() - t0
        pans = []
        for k in range(5):
            (x0, x1), (y0, y1) = view.getViewBox().viewRange()
            dx = (x1 - x0) * 0.1
            t0 = time.perf_counter()
            view.getViewBox().setRange(xRange=(x0 + dx, x1 + dx), yRange=(y0, y1), padding=0)
            view._update_display()
            view.grab()
            pans.append(time.perf_counter() - t0)
        rows.append({"points": n, "show_s": show, "pan_ms": 1000 * statistics.median(pans),
                     "density": view.showing_density})
        view.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/tmp/corpus.txt")
    ap.add_argument("--seconds", type=float, default=60.0, help="how long to measure during training")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if os.path.exists(args.corpus):
        r = training_latency(app, args.corpus, args.seconds, args.threads)
        print(f"\nGUI-thread timer (10 ms) while word2vec trains with {args.threads} threads on {args.corpus}, "
              f"{args.seconds:.0f} s:")
        print("| ticks | median late ms | p99 late ms | max late ms | live map updates | loss points |")
        print("|---|---|---|---|---|---|")
        print(f"| {r['ticks']} | {r['median_ms']:.1f} | {r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['map_updates']} | "
              f"{r['loss_points']} |")
    else:
        print(f"{args.corpus} not found: skipping the training table (build it with ../shared/data/build_corpus.py)")
    print("\nMap drawing (offscreen, software rendering):")
    print("| points | show s | pan repaint ms | drawn as |")
    print("|---|---|---|---|")
    for r in map_draw_times(app, args.sizes):
        print(f"| {r['points']:,} | {r['show_s']:.2f} | {r['pan_ms']:.0f} | {'density image' if r['density'] else 'points'} |")


if __name__ == "__main__":
    main()
