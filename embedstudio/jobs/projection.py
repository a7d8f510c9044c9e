"""The map's projections as a job: UMAP or t-SNE with its stages reported, on landmarks when the
points are many (the rest placed among their nearest landmarks)."""

from __future__ import annotations

import threading
import time
from typing import NamedTuple

import numpy as np

from embedstudio.jobs.stage import Stage, staged

NAMES = {"umap": "UMAP", "tsne": "t-SNE"}
UMAP_SECONDS_PER_POINT_EPOCH = 1.2e-5  # one thread, 15 neighbours (measured: 11,754 points, 200 epochs, ~29 s)


class Projected(NamedTuple):
    coords: np.ndarray
    note: str  # what the map is, for the view ("UMAP of 20,000 landmarks; the other 980,000 placed by ...")


def projection_job(vectors, method: str, config, stop: threading.Event | None = None, landmarks: int | None = None):
    """Job: a UMAP or t-SNE map of ``vectors``; yields Stage items; returns Projected (None when stopped).

    More points than ``landmarks`` (default LANDMARKS): the map is fitted on that many spread over the rows,
    and the others are placed among their nearest landmarks, which the note says."""
    from embedstudio.analysis import projection as p

    stop = stop or threading.Event()
    name = NAMES[method]
    x = np.asarray(vectors)
    n = len(x)
    limit = p.LANDMARKS if landmarks is None else landmarks
    rows = p.spread_rows(n, limit) if n > limit else None
    fit = x[rows] if rows is not None else x
    m = len(fit)
    started = time.perf_counter()
    if method == "umap":
        epochs = config.n_epochs or (500 if m <= 10_000 else 200)
        estimate = 2.0 + UMAP_SECONDS_PER_POINT_EPOCH * m * epochs * config.n_neighbors / 15
        if p.UMAP_LOCK.locked():  # the start-up preparation is still compiling umap: this map waits for it
            yield Stage(f"{name}: finishing its start-up preparation (compiled once per start)…")

        def work(report):
            report(Stage(f"{name}: laying out {m:,} points", None, estimate))
            return p.umap_layout(fit, config)

        def waiting():  # umap says nothing while it works: the estimate counts down, and is dropped once overrun
            left = estimate - (time.perf_counter() - started)
            return Stage(f"{name}: laying out {m:,} points" + ("" if left > 0 else " (longer than estimated)"), None,
                         left if left > 0 else None)
        result = yield from staged(work, waiting=waiting)
    else:
        def work(report):
            latest = {}

            def progress(done, total):
                elapsed = time.perf_counter() - started
                share = done / total * (0.9 if rows is not None else 1.0)
                report(Stage(f"{name}: iteration {done:,} of {total:,}", share,
                             elapsed * (total - done) / done if done else None, latest.pop("coords", None)))
                return stop.is_set()

            def preview(coords):  # the map as it forms, when it is of every point (landmarks are a subset)
                if rows is None:
                    latest["coords"] = coords
            report(Stage(f"{name}: finding the neighbours of {m:,} points"))
            return p.tsne_layout(fit, config, progress, preview)
        result = yield from staged(work)
    if result is None or stop.is_set():
        return None
    if rows is None:
        return Projected(result, f"{name} map of {n:,} points")
    placing = f"{name}: placing the other {n - m:,} points among the landmarks"

    def place(report):
        def progress(done, total):
            report(Stage(placing, 0.9 + 0.1 * done / total))
            return stop.is_set()
        report(Stage(placing, 0.9))
        return p.place_by_landmarks(x, rows, result, metric=config.metric, progress=progress)
    coords = yield from staged(place)
    if coords is None:
        return None
    return Projected(coords, f"{name} of {m:,} landmarks; the other {n - m:,} points placed among their "
                             f"nearest landmarks")
