"""Which points of a scatter view carry a text label: the most important ones whose labels fit without
overlapping, in screen space. Every scatter view (map, Compare maps, Poincaré disk, bias plot) asks this after
each zoom or pan, so zooming in reveals more labels.

Greedy, in priority order (forced rows first: the hovered and selected point, search hits), each label tries
four places around its point (above, right, below, left) and takes the first that overlaps no label placed
before and stays inside the view. The numba kernel tests a candidate against every placed label: with at most
a few hundred labels on screen that is a few million rectangle tests, ~2 ms.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# where a label goes around its point, as offsets of its rectangle's lower-left corner, in units of
# (label width, label height), with a small gap: above (centred), right, below (centred), left
PLACES = np.array([[-0.5, 0.15], [0.12, -0.5], [-0.5, -1.15], [-1.12, -0.5]], dtype=np.float64)
GAP_PX = 2.0  # the space kept between two labels
MAX_CANDIDATES = 2000  # the most important points in view that are tried (keeps a 1M-point map fast)


@njit(nogil=True, cache=True)
def _rect(x, y, w, h, places, p):  # pragma: no cover - compiled
    """(x0, y0, x1, y1) of a label of size (w, h) at place ``p`` around the point (x, y); screen y grows
    downwards, so "above" is the smaller y."""
    x0 = x + places[p, 0] * w
    y0 = y - (places[p, 1] + 1.0) * h
    return x0, y0, x0 + w, y0 + h


@njit(nogil=True, cache=True)
def place_labels_kernel(x, y, w, h, view_w, view_h, n_forced, max_labels, places, gap, obstacles):  # pragma: no cover
    """``x``, ``y``: screen positions (pixels, y down) of the candidates in priority order; ``w``, ``h``:
    their labels' sizes. The first ``n_forced`` are placed even when they overlap (hover, selection).
    ``obstacles`` (k x 4: x0, y0, x1, y1) are areas no label may cover (a legend drawn over the plot).
    Returns (the candidates placed, in order; the place index of each candidate, -1 when not placed)."""
    n = len(x)
    k = obstacles.shape[0]
    chosen = np.full(n, -1, dtype=np.int64)
    order = np.empty(min(n, max_labels), dtype=np.int64)
    rx0 = np.empty(min(n, max_labels) + k, dtype=np.float64)
    ry0 = np.empty_like(rx0)
    rx1 = np.empty_like(rx0)
    ry1 = np.empty_like(rx0)
    for j in range(k):
        rx0[j], ry0[j], rx1[j], ry1[j] = obstacles[j, 0], obstacles[j, 1], obstacles[j, 2], obstacles[j, 3]
    taken = k  # rectangles to keep clear of: the obstacles, then each label placed
    count = 0
    for i in range(n):
        if count >= max_labels:
            break
        for p in range(places.shape[0]):
            x0, y0, x1, y1 = _rect(x[i], y[i], w[i], h[i], places, p)
            forced = i < n_forced
            if not forced and (x0 < 0.0 or y0 < 0.0 or x1 > view_w or y1 > view_h):
                continue
            free = True
            if not forced:
                for j in range(taken):
                    if x0 < rx1[j] + gap and rx0[j] < x1 + gap and y0 < ry1[j] + gap and ry0[j] < y1 + gap:
                        free = False
                        break
            if free:
                chosen[i] = p
                order[count] = i
                rx0[taken] = x0
                ry0[taken] = y0
                rx1[taken] = x1
                ry1[taken] = y1
                count += 1
                taken += 1
                break
    return order[:count], chosen


def place_labels(x: np.ndarray, y: np.ndarray, w: np.ndarray, h: np.ndarray, view_w: float, view_h: float,
                 n_forced: int = 0, max_labels: int = 300, obstacles=()) -> tuple[np.ndarray, np.ndarray]:
    """:func:`place_labels_kernel` on any array-likes: (placed candidates in order, place of each candidate).
    A label's rectangle for place ``p`` is :func:`label_rect`; ``obstacles``: (x0, y0, x1, y1) areas to avoid."""
    as64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
    blocked = as64(obstacles).reshape(-1, 4)
    return place_labels_kernel(as64(x), as64(y), as64(w), as64(h), float(view_w), float(view_h), int(n_forced),
                               int(max_labels), PLACES, GAP_PX, blocked)


def label_rect(x: float, y: float, w: float, h: float, place: int) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) in screen pixels of a label of size (w, h) at ``place`` around the point (x, y): the
    kernel's rule (_rect) in plain Python, because it is called on the GUI thread, and a call into numba there
    waits for numba's compiler lock whenever another thread compiles (umap at start-up: tens of seconds of a
    frozen window)."""
    dx, dy = PLACES[int(place)]
    x0 = float(x) + float(dx) * float(w)
    y0 = float(y) - (float(dy) + 1.0) * float(h)
    return x0, y0, x0 + float(w), y0 + float(h)


def prepare() -> None:
    """Load (or, on a first start, compile) the placer's kernel now: the views call it on the GUI thread, which
    must not meet numba's compiler lock while umap compiles in the background."""
    place_labels(np.zeros(2), np.zeros(2), np.ones(2), np.ones(2), 10.0, 10.0, obstacles=[(0, 0, 1, 1)])


def candidates(in_view: np.ndarray, importance: np.ndarray | None, forced=(), preferred=(),
               limit: int = MAX_CANDIDATES) -> tuple[np.ndarray, int]:
    """The rows to try, in priority order: ``forced`` (the hovered and selected points: always labelled), then
    ``preferred`` rows in view (search hits, in their order), then the ``limit`` most important rows in view
    (``importance``: larger first; None: the first rows first). Returns (rows, how many are forced)."""
    in_view = np.asarray(in_view, dtype=np.int64)
    first = list(dict.fromkeys(int(r) for r in forced if r is not None))
    wanted = np.asarray(preferred, dtype=np.int64)
    wanted = wanted[np.isin(wanted, in_view)] if len(wanted) else wanted
    rest = in_view
    if importance is not None:
        score = np.asarray(importance, dtype=np.float64)
        if len(rest) > limit:
            rest = rest[np.argpartition(-score[rest], limit - 1)[:limit]]
        rest = rest[np.argsort(-score[rest], kind="stable")]
    else:
        rest = np.sort(rest)[:limit]
    rows = np.concatenate([np.asarray(first, dtype=np.int64), wanted, rest])
    _, keep = np.unique(rows, return_index=True)  # each row once, at its first (highest) priority
    return rows[np.sort(keep)], len(first)
