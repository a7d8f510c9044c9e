"""The bias audit's figure, one drawing for the app and the report: the neutral words on the direction
(x: cosine with it), each end named by the words that define it, before debiasing (orange) with an arrow
to after (blue); y is a second direction when the audit has one, else each word's rank, so every word has
a line of its own. The app draws it with pyqtgraph (app/views/bias_view.py), the HTML report as inline SVG
(:func:`figure_svg`), from the same :class:`BiasFigure`, colours and label placer.

Which end is which never depends on the order of the pairs: :func:`embedstudio.analysis.bias.pair_direction`
orients the direction so that each pair's first word scores higher (``centroid_direction``: the first set),
so the positive end is named by the pairs' first words.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np

from embedstudio.analysis import labels as placer

# Okabe & Ito: told apart with every common colour-vision deficiency, in the app and the report alike
BEFORE = (213, 94, 0)
AFTER = (0, 114, 178)
ARROW = (140, 140, 140)
HIGHLIGHT = (200, 0, 90)
END_WORDS = 3  # words naming each end


def hex_colour(rgb) -> str:
    return "#%02x%02x%02x" % tuple(int(c) for c in rgb)


@dataclass
class BiasFigure:
    words: list[str]
    x_before: np.ndarray
    y_before: np.ndarray
    x_after: np.ndarray | None  # None: no debiasing
    y_after: np.ndarray | None
    negative_end: list[str]  # words naming the low-x end
    positive_end: list[str]
    x_title: str
    y_title: str | None  # None: y is the rank (no axis)
    after_title: str  # "after hard debiasing"

    @property
    def importance(self) -> np.ndarray:
        """Which words to label first: the farthest from neutral, and those debiasing moved most."""
        score = np.abs(self.x_before) if self.y_title is None else np.hypot(self.x_before, self.y_before)
        if self.x_after is not None:
            score = score + 0.25 * np.nan_to_num(np.abs(self.x_after - self.x_before))
        return score

    def limits(self) -> tuple[float, float]:
        """A symmetric x range around 0 that holds every point, rounded up to a tenth of the largest value."""
        xs = [self.x_before] + ([self.x_after] if self.x_after is not None else [])
        top = max((float(np.nanmax(np.abs(x))) for x in xs if len(x) and np.isfinite(x).any()), default=0.0)
        step = 10 ** math.floor(math.log10(top)) / 2 if top > 0 else 0.05
        lim = round(math.ceil(top / step) * step, 10) if top > 0 else 0.1
        return -lim, lim


def end_text(words: list[str]) -> str:
    return ", ".join(words[:END_WORDS]) + (" …" if len(words) > END_WORDS else "")


def bias_figure(result) -> BiasFigure:
    """The figure of an :class:`~embedstudio.analysis.audit.AuditResult` (its neutral words ranked on the
    direction, most negative first)."""
    words = [w for w, _ in result.before.most_biased]
    x_before = np.array([s for _, s in result.before.most_biased], dtype=np.float64)
    after = dict(result.after.most_biased) if result.after is not None else None
    x_after = np.array([after.get(w, np.nan) for w in words], dtype=np.float64) if after is not None else None
    params = result.parameters
    if params.get("direction_sets"):
        positive, negative = (list(s) for s in params["direction_sets"])
    else:
        pairs = params.get("definitional_pairs") or []
        positive, negative = [a for a, _ in pairs], [b for _, b in pairs]
    axis = result.y_axis
    if axis is not None:
        y_before = np.array([axis["before"].get(w, np.nan) for w in words], dtype=np.float64)
        second = axis.get("after", axis["before"])
        y_after = np.array([second.get(w, np.nan) for w in words], dtype=np.float64) if after is not None else None
        y_title = f"cos with {end_text(axis['low'])} → {end_text(axis['high'])}"
    else:
        y_before = np.arange(len(words), dtype=np.float64)  # rank: one line per word, most negative at the bottom
        y_after = y_before.copy() if after is not None else None
        y_title = None
    return BiasFigure(words, x_before, y_before, x_after, y_after, negative, positive,
                      f"cos with the {result.preset} direction", y_title, f"after {result.debias} debiasing")


def nice_ticks(lo: float, hi: float, count: int = 7) -> list[float]:
    """Round tick values between ``lo`` and ``hi`` (steps of 1, 2 or 5 times a power of ten)."""
    if not hi > lo:
        return [lo]
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9)
    return [round(k * step, 10) for k in range(first, math.floor(hi / step + 1e-9) + 1)]


def tick_text(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace("-", "−")


# --------------------------------------------------------------------------- the report's SVG
FONT_PX = 12
CHAR_PX = 0.62 * FONT_PX  # a generous mean advance of a sans-serif character: estimated boxes never overlap


def figure_svg(fig: BiasFigure, width: int = 960, height: int = 620, max_labels: int = 120) -> str:
    """The figure as inline SVG: the x axis with ticks and both ends named, the y axis when there is a second
    direction, before (orange) → after (blue) arrows, a legend, and the words labelled by the same placer as
    the app (largest |cos| first, never overlapping)."""
    left, right, top, bottom = (70 if fig.y_title else 20), 20, 34, 62
    pw, ph = width - left - right, height - top - bottom
    x0, x1 = fig.limits()
    ys = [fig.y_before] + ([fig.y_after] if fig.y_after is not None else [])
    finite = np.concatenate([y[np.isfinite(y)] for y in ys]) if len(fig.words) else np.zeros(0)
    if fig.y_title is None:
        y0, y1 = -1.0, max(float(len(fig.words)), 1.0)
    else:
        y0, y1 = (float(finite.min()), float(finite.max())) if len(finite) else (-0.1, 0.1)
        pad = max((y1 - y0) * 0.06, 1e-3)
        y0, y1 = y0 - pad, y1 + pad

    def sx(x):
        return left + (np.asarray(x, dtype=np.float64) - x0) / (x1 - x0) * pw

    def sy(y):
        return top + (y1 - np.asarray(y, dtype=np.float64)) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="{FONT_PX}">',
           '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           f'orient="auto-start-reverse"><path d="M0,1 L10,5 L0,9 z" fill="{hex_colour(AFTER)}"/></marker></defs>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="white" stroke="#bbb"/>']
    for t in nice_ticks(x0, x1):  # x axis: ticks, the neutral line, both ends named
        x = float(sx(t))
        out.append(f'<line x1="{x:.1f}" y1="{top + ph}" x2="{x:.1f}" y2="{top + ph + 5}" stroke="#555"/>'
                   f'<text x="{x:.1f}" y="{top + ph + 18}" text-anchor="middle">{tick_text(t)}</text>')
    zero = float(sx(0.0))
    out.append(f'<line x1="{zero:.1f}" y1="{top}" x2="{zero:.1f}" y2="{top + ph}" stroke="#999" '
               'stroke-dasharray="4 3"/>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 10}" text-anchor="middle">'
               f'{html.escape(fig.x_title)}</text>')
    out.append(f'<text x="{left}" y="{height - 10}" font-weight="bold">← {html.escape(end_text(fig.negative_end))}'
               '</text>')
    out.append(f'<text x="{left + pw}" y="{height - 10}" text-anchor="end" font-weight="bold">'
               f'{html.escape(end_text(fig.positive_end))} →</text>')
    if fig.y_title is not None:
        for t in nice_ticks(y0, y1, 6):
            y = float(sy(t))
            out.append(f'<line x1="{left - 5}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#555"/>'
                       f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{tick_text(t)}</text>')
        out.append(f'<text transform="translate(16 {top + ph / 2:.1f}) rotate(-90)" text-anchor="middle">'
                   f'{html.escape(fig.y_title)}</text>')
    bx, by = sx(fig.x_before), sy(fig.y_before)
    if fig.x_after is not None:
        ax, ay = sx(fig.x_after), sy(fig.y_after)
        for i in range(len(fig.words)):
            if np.isfinite(ax[i]) and np.isfinite(ay[i]) and math.hypot(ax[i] - bx[i], ay[i] - by[i]) > 2:
                out.append(f'<line x1="{bx[i]:.1f}" y1="{by[i]:.1f}" x2="{ax[i]:.1f}" y2="{ay[i]:.1f}" '
                           f'stroke="{hex_colour(ARROW)}" stroke-width="1" marker-end="url(#head)"/>')
    for i, word in enumerate(fig.words):
        tip = f"{word}: {fig.x_before[i]:+.3f}" + (f" → {fig.x_after[i]:+.3f}" if fig.x_after is not None else "")
        out.append(f'<circle cx="{bx[i]:.1f}" cy="{by[i]:.1f}" r="3.2" fill="{hex_colour(BEFORE)}">'
                   f'<title>{html.escape(tip)}</title></circle>')
    legend = [("before", BEFORE)] + ([(fig.after_title, AFTER)] if fig.x_after is not None else [])
    lx = left + 8
    for text, colour in legend:  # above the plot, clear of the points
        out.append(f'<circle cx="{lx + 4}" cy="{top - 14}" r="4" fill="{hex_colour(colour)}"/>'
                   f'<text x="{lx + 12}" y="{top - 10}">{html.escape(text)}</text>')
        lx += 24 + CHAR_PX * len(text)
    # labels: the same greedy placer as the app, in this picture's pixels, inside the plot's frame
    px, py = bx - left, by - top
    inside = np.flatnonzero(np.isfinite(px) & np.isfinite(py))
    rows, _ = placer.candidates(inside, fig.importance)
    w = np.array([CHAR_PX * len(fig.words[r]) + 4 for r in rows])
    h = np.full(len(rows), FONT_PX + 4.0)
    order, where = placer.place_labels(px[rows], py[rows], w, h, pw, ph, 0, max_labels)
    for i in order:
        x0r, y0r, x1r, y1r = placer.label_rect(px[rows[i]], py[rows[i]], w[i], h[i], int(where[i]))
        # a white backdrop, as the app's labels have: the words stay legible over the arrows and the dots
        out.append(f'<rect x="{left + x0r + 1:.1f}" y="{top + y0r + 1:.1f}" width="{x1r - x0r - 2:.1f}" '
                   f'height="{y1r - y0r - 2:.1f}" fill="white" fill-opacity="0.8"/>'
                   f'<text x="{left + (x0r + x1r) / 2:.1f}" y="{top + y1r - 4:.1f}" text-anchor="middle" '
                   f'fill="#333">{html.escape(fig.words[rows[i]])}</text>')
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- numbers in tables
def number_text(value, digits: int = 4) -> str:
    """A measure for a table: fixed decimals, never "-0.0000"; n/a for missing or not finite."""
    if value is None or not np.isfinite(value):
        return "n/a"
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def p_text(value) -> str:
    """A permutation test's p-value: small ones in scientific notation, never "0.0000" (a sampled test's p is at
    least 1 / (samples + 1), an exact one's 1 / partitions)."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:.4f}" if value >= 1e-3 else f"{value:.1e}"
