"""The map: a 2-D scatter of every vector, with hover, labels, search highlight and click-to-select.

One ScatterPlotItem with one brush for all points (per-point brushes cost seconds at 100k points),
a second small item for highlighted points; positions are replaced with setData when a new
projection or a live snapshot arrives. No clipToView/downsampling: they assume sorted x.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal

from embedstudio.app.views.axes import plain_numbers
from embedstudio.app.views.label_layer import LabelLayer
from embedstudio.geometry.plane import points_in_polygon, rectangle
from embedstudio.text import number_text, round_figures

POINT_BRUSH = pg.mkBrush(31, 119, 180, 140)
HIGHLIGHT_BRUSH = pg.mkBrush(214, 39, 40, 230)
SELECT_BRUSH = pg.mkBrush(255, 127, 14, 255)
HOVER_PIXELS = 8
MAX_LABELS = 200  # labels on screen at most: the placer stops earlier where they would overlap
DENSITY_BINS = 400
# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency
OKABE_ITO = [(230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178), (213, 94, 0),
             (204, 121, 167), (0, 0, 0), (153, 153, 153)]


def legend_bins(values, n_bins: int = 8) -> tuple[np.ndarray, list[str]]:
    """The bin of each value and each bin's legend text: about ``n_bins`` quantile bins (no log scale needed
    for word counts) whose bounds are rounded to two significant figures, so the legend reads "12–17",
    "18–29", "≥ 1,200" for counts and "0.25 – 0.5" for fractions, never "1.23e+03". Whole-number values get
    bins of whole numbers that do not overlap; empty bins (rounding merges close quantiles) are dropped."""
    v = np.asarray(values, dtype=np.float64)
    if not len(v):
        return np.zeros(0, np.int64), []
    lo, hi = float(v.min()), float(v.max())
    whole = bool(np.all(v == np.round(v)))
    cuts = [round_figures(float(q)) for q in np.quantile(v, np.linspace(0, 1, n_bins + 1)[1:-1])]
    if whole:
        cuts = [float(round(c)) for c in cuts]
    cuts = np.unique([c for c in cuts if lo < c <= hi])
    bins = np.searchsorted(cuts, v, side="right")  # bin i holds cuts[i-1] <= value < cuts[i]
    low, high = lo, hi
    if not whole:  # the data's own ends, rounded outwards to the cuts' last decimal: "0 – 0.14", not "0.000187 – 0.14"
        decimals = max((1 - math.floor(math.log10(abs(c))) for c in cuts if c != 0), default=2)
        low, high = math.floor(lo * 10**decimals) / 10**decimals, math.ceil(hi * 10**decimals) / 10**decimals
    starts, labels = [low, *cuts], []
    for i, start in enumerate(starts):
        last = i == len(starts) - 1
        a, b = start, (high if last else cuts[i] - 1 if whole else cuts[i])
        if number_text(a) == number_text(b):
            labels.append(number_text(a))
        elif whole and last:
            labels.append(f"≥ {number_text(a)}")
        else:
            labels.append(f"{number_text(a)}{'–' if whole else ' – '}{number_text(b)}")
    return bins, labels


def _set_positions(item: pg.ScatterPlotItem, xy: np.ndarray) -> None:
    """Move a scatter's points. With the same number of points the positions are written in
    place: setData rebuilds every spot (about 0.2 s for 64k points, a visible stall every time a
    live snapshot arrives); the symbol, size and brush of each spot do not change."""
    data = item.data
    if len(data) == len(xy) and len(xy):
        data["x"] = xy[:, 0]
        data["y"] = xy[:, 1]
        item.prepareGeometryChange()
        item.bounds = [None, None]
        item.informViewBoundsChanged()
        item.update()
    else:
        item.setData(x=xy[:, 0], y=xy[:, 1])


class SelectingViewBox(pg.ViewBox):
    """Left-drag draws a lasso or a rectangle when a selection mode is on; pans otherwise."""

    def __init__(self):
        super().__init__()
        self.select_mode: str | None = None  # None, "lasso" or "rect"
        self.on_polygon = None
        self._path: list[tuple[float, float]] = []
        self._outline = pg.PlotCurveItem(pen=pg.mkPen((255, 127, 14), width=1.5, style=Qt.PenStyle.DashLine))
        self._outline.setZValue(20)
        self.addItem(self._outline, ignoreBounds=True)

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 - Qt's name
        if self.select_mode is None or ev.button() != Qt.MouseButton.LeftButton:
            return super().mouseDragEvent(ev, axis)
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        if ev.isStart():
            start = self.mapSceneToView(ev.buttonDownScenePos())
            self._path = [(start.x(), start.y())]
        if self.select_mode == "rect":
            (x0, y0), (x1, y1) = self._path[0], (p.x(), p.y())
            polygon = rectangle(x0, y0, x1, y1)
        else:
            self._path.append((p.x(), p.y()))
            polygon = np.asarray(self._path)
        closed = np.vstack([polygon, polygon[:1]])
        self._outline.setData(closed[:, 0], closed[:, 1])
        if ev.isFinish():
            self._outline.setData([], [])
            if self.on_polygon is not None:
                self.on_polygon(polygon)


class MapView(pg.PlotWidget):
    DENSITY_THRESHOLD = 200_000  # more points than this in view: draw a density image instead
    point_clicked = Signal(int)
    selection_changed = Signal(object)  # rows (np.ndarray) chosen with the lasso or rectangle
    point_hovered = Signal(object)  # the row under the mouse, or None (a linked map shows the same word)

    def __init__(self, parent=None):
        super().__init__(parent, background="w", viewBox=SelectingViewBox())
        self.setAspectLocked(False)
        self.showGrid(x=False, y=False)
        self.getPlotItem().hideAxis("left")
        self.getPlotItem().hideAxis("bottom")
        self.keys: list[str] = []
        self.coords = np.zeros((0, 2), np.float32)
        self.counts: np.ndarray | None = None
        self.highlighted = np.zeros(0, np.int64)
        self.selected: int | None = None
        self.selection = np.zeros(0, np.int64)
        self.visible: np.ndarray | None = None  # rows shown after "isolate selection"; None = all
        self._groups: list[tuple[pg.ScatterPlotItem, np.ndarray | None]] = []
        self._legend = None
        self._highlight = pg.ScatterPlotItem(size=9, pen=pg.mkPen("k", width=0.5), brush=HIGHLIGHT_BRUSH)
        self._selected = pg.ScatterPlotItem(size=13, pen=pg.mkPen("k", width=1), brush=SELECT_BRUSH)
        self._selection = pg.ScatterPlotItem(size=7, pen=pg.mkPen((255, 127, 14), width=1.5), brush=None)
        for item in (self._highlight, self._selected, self._selection):
            self.addItem(item)
            item.setZValue(5)
        self._set_groups([(None, POINT_BRUSH, "")])
        self.labels = LabelLayer(self, max_labels=MAX_LABELS)
        self.importance: np.ndarray | None = None  # which points deserve a label first (None: the first rows)
        # shown while the map is empty, so a first-time user knows what to do
        self.hint = pg.TextItem("Drop a text corpus or a vectors file on the window\n(or File ▸ Open)",
                                color=(110, 110, 110), anchor=(0.5, 0.5))
        self.hint.setPos(0.5, 0.5)  # the middle of an empty view box (range 0..1)
        self.addItem(self.hint)
        self.hover_label = pg.TextItem("", color="k", fill=pg.mkBrush(255, 255, 224, 230), anchor=(0, 1))
        self.hover_label.setZValue(10)
        self.hover_label.hide()
        self.addItem(self.hover_label)
        self.showing_density = False
        self._density = pg.ImageItem()
        self._density.setLookupTable(pg.colormap.get("viridis").getLookupTable(nPts=256))
        self._density.setZValue(-10)
        self._density.hide()
        self.addItem(self._density)
        self._redisplay = QTimer(self)
        self._redisplay.setSingleShot(True)
        self._redisplay.setInterval(80)
        self._redisplay.timeout.connect(self._update_display)
        self._closed = False
        self.getViewBox().sigRangeChanged.connect(lambda *_: None if self._closed else self._redisplay.start())
        # labels are placed in pixels: a resize that keeps the range still moves them
        self.getViewBox().sigResized.connect(lambda *_: None if self._closed else self._redisplay.start())
        self.getViewBox().on_polygon = self.select_polygon
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)

    # ------------------------------------------------------------------ data
    def close(self) -> bool:
        """pyqtgraph's close deletes the plot's items while this widget lives on: no redisplay after it."""
        self._redisplay.stop()
        self._closed = True
        return super().close()

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """The mouse left the map: its hover label goes (the scene says nothing once the mouse is outside)."""
        if self.hover_label.isVisible():
            self.hover_label.hide()
            self.point_hovered.emit(None)
        super().leaveEvent(event)

    def set_points(self, keys: list[str], coords: np.ndarray, counts: np.ndarray | None = None) -> None:
        self.hover_label.hide()  # it named a point of the previous layout
        self.keys = list(keys)
        self.counts = counts
        self.importance = np.asarray(counts, dtype=np.float64) if counts is not None and len(counts) == len(keys) \
            else None
        self.labels.forget_sizes()
        self.highlighted = np.zeros(0, np.int64)
        self.selected = None
        self.selection = np.zeros(0, np.int64)
        self.visible = None
        if len(self._groups) != 1 or self._groups[0][1] is not None:
            # colour groups hold rows of the previous points: back to one colour (the caller recolours)
            self.coords = np.zeros((0, 2), np.float32)
            self._set_groups([(None, POINT_BRUSH, "")])
        self.update_coords(coords, autorange=True)

    def update_coords(self, coords: np.ndarray, autorange: bool = False) -> None:
        coords = np.asarray(coords, dtype=np.float32)
        if len(coords) != len(self.keys):
            raise ValueError(f"{len(coords)} coordinates for {len(self.keys)} points")
        self.coords = coords
        self.hint.setVisible(len(coords) == 0)
        self.hover_label.hide()  # the point moved (a new projection, a live step): the next mouse move says again
        if autorange:
            rows = self._shown(None)
            c = coords if rows is None else coords[rows]
            if len(c):
                (x0, y0), (x1, y1) = c.min(axis=0), c.max(axis=0)
                self.getViewBox().setRange(xRange=(float(x0), float(x1)), yRange=(float(y0), float(y1)),
                                           padding=0.05, update=True)
        self._update_display()  # the points and, placed for them, the labels
        self._refresh_marks()

    def _update_display(self) -> None:
        """Points, or above DENSITY_THRESHOLD points in view, a rasterised density image that
        turns back into points when the user zooms in far enough."""
        shown = self._shown(None)
        rows = np.arange(len(self.coords)) if shown is None else shown
        in_view = None
        if len(rows) > self.DENSITY_THRESHOLD:
            (x0, x1), (y0, y1) = self.getViewBox().viewRange()
            c = self.coords[rows]
            inside = (c[:, 0] >= x0) & (c[:, 0] <= x1) & (c[:, 1] >= y0) & (c[:, 1] <= y1)
            in_view = rows[inside]
            if len(in_view) > self.DENSITY_THRESHOLD:
                self.showing_density = True
                counts, _, _ = np.histogram2d(c[inside, 0], c[inside, 1], bins=DENSITY_BINS, range=[[x0, x1], [y0, y1]])
                self._density.setImage(np.log1p(counts), autoLevels=True)
                self._density.setRect(x0, y0, x1 - x0, y1 - y0)
                self._density.show()
                for item, _ in self._groups:
                    item.setData([], [])
                self.place_labels(in_view)
                return
        self.showing_density = False
        self._density.hide()
        for item, group_rows in self._groups:
            subset = self._shown(group_rows)
            if in_view is not None:
                subset = in_view if subset is None else np.intersect1d(subset, in_view, assume_unique=True)
            c = self.coords if subset is None else self.coords[subset]
            _set_positions(item, c)
        self.place_labels(in_view)

    def show_axis_labels(self, x: str | None, y: str | None) -> None:
        """Axes are meaningless for PCA/UMAP/t-SNE and hidden; word axes name their directions."""
        item = self.getPlotItem()
        # word axes are cosines: the view never reaches past ±1 (a tick of 1.1 would mean nothing)
        bound = 1.02 if x or y else None
        item.getViewBox().setLimits(xMin=-bound if bound else None, xMax=bound, yMin=-bound if bound else None,
                                    yMax=bound)
        for side, text in (("bottom", x), ("left", y)):
            if text:
                item.showAxis(side)
                item.setLabel(side, text)
                plain_numbers(item.getAxis(side))  # cosines, never "x0.001"
            else:
                item.hideAxis(side)

    def _shown(self, rows: np.ndarray | None) -> np.ndarray | None:
        if self.visible is None:
            return rows
        return self.visible if rows is None else np.intersect1d(rows, self.visible, assume_unique=True)

    # ------------------------------------------------------------------ lasso, rectangle, isolate
    def set_select_mode(self, mode: str | None) -> None:
        """None pans and zooms; "lasso" or "rect" makes a left-drag select points."""
        self.getViewBox().select_mode = mode

    def select_polygon(self, polygon: np.ndarray) -> np.ndarray:
        candidates = np.arange(len(self.coords)) if self.visible is None else self.visible
        inside = points_in_polygon(self.coords[candidates], polygon)
        self.selection = candidates[inside]
        self._refresh_overlays()
        self.selection_changed.emit(self.selection)
        return self.selection

    def isolate_selection(self) -> None:
        if len(self.selection):
            self.visible = np.sort(self.selection)
            self.update_coords(self.coords, autorange=True)

    def show_all(self) -> None:
        self.set_visible(None)

    def set_visible(self, rows: np.ndarray | None) -> None:
        """Show only ``rows`` (None: every point), as Isolate and Show all do (and their undo)."""
        self.visible = rows
        self.update_coords(self.coords, autorange=True)

    @property
    def n_points(self) -> int:
        return sum(len(item.data) for item, _ in self._groups)

    # ------------------------------------------------------------------ colour
    def _set_groups(self, groups: list[tuple[np.ndarray | None, object, str]]) -> None:
        """One scatter item per colour group (rows, brush, legend name): one brush each, never per point."""
        for item, _ in self._groups:
            self.removeItem(item)
        if self._legend is not None:
            if self._legend.scene() is not None:
                self._legend.scene().removeItem(self._legend)
            self._legend = None
        self._groups = []
        named = [g for g in groups if g[2]]
        if named:
            # an opaque box: the points and labels under it never show through its text
            self._legend = pg.LegendItem(offset=(10, 10), brush=pg.mkBrush(255, 255, 255, 235),
                                         pen=pg.mkPen(180, 180, 180), labelTextColor=(40, 40, 40))
            self._legend.setParentItem(self.getPlotItem().vb)
        for rows, brush, name in groups:
            item = pg.ScatterPlotItem(size=4, pen=None, brush=brush, hoverable=False)
            self.addItem(item)
            self._groups.append((item, rows))
            if name and self._legend is not None:
                self._legend.addItem(item, name)
        if len(self.coords):
            self.update_coords(self.coords)
        if named:
            self._redisplay.start()  # the labels again once the legend has its size: none under it

    def color_by(self, values=None, kind: str = "continuous") -> list[str]:
        """Colour points by a value per point; returns the legend entries.

        continuous: about eight quantile bins of viridis with round bounds (:func:`legend_bins`);
        categorical: the nine commonest values in the Okabe-Ito colour-blind-safe palette, the rest grey as "other".
        """
        if values is None or len(values) != len(self.keys):
            self._set_groups([(None, POINT_BRUSH, "")])
            return []
        groups = []
        if kind == "continuous":
            bins, labels = legend_bins(values)
            cmap = pg.colormap.get("viridis")
            n_bins = len(labels)
            for b, label in enumerate(labels):
                rows = np.flatnonzero(bins == b)
                if len(rows):
                    colour = cmap.map(b / max(n_bins - 1, 1), mode="qcolor")
                    colour.setAlpha(170)
                    groups.append((rows, pg.mkBrush(colour), label))
        else:
            values = np.asarray([str(x) for x in values])
            names, counts = np.unique(values, return_counts=True)
            top = names[np.argsort(-counts, kind="stable")][:9]
            for i, name in enumerate(top):
                groups.append((np.flatnonzero(values == name), pg.mkBrush(*OKABE_ITO[i], 200), str(name)))
            rest = np.flatnonzero(~np.isin(values, top))
            if len(rest):
                groups.append((rest, pg.mkBrush(170, 170, 170, 120), "other"))
        self._set_groups(groups)
        return [g[2] for g in groups]

    # ------------------------------------------------------------------ export
    def export_coordinates(self, path: str) -> None:
        """key, x, y per point; tab-separated for .tsv, comma-separated otherwise; atomic."""
        import csv
        import io

        from embedstudio.storage import atomic_write

        buf = io.StringIO()
        writer = csv.writer(buf, delimiter="\t" if path.lower().endswith(".tsv") else ",", lineterminator="\n")
        writer.writerow(["key", "x", "y"])
        for key, (x, y) in zip(self.keys, self.coords):
            writer.writerow([key, f"{x:.6g}", f"{y:.6g}"])
        with atomic_write(path) as f:
            f.write(buf.getvalue().encode("utf-8"))

    def place_labels(self, in_view: np.ndarray | None = None) -> None:
        """Label the most important points in view (``in_view``: the shown rows in view, when the caller has
        them already) whose labels fit without overlapping: the selected point always, then search hits, then
        the most frequent. Runs after every zoom, pan, resize and change of selection or search."""
        if in_view is None:
            (x0, x1), (y0, y1) = self.getViewBox().viewRange()
            rows = self._shown(None)
            c = self.coords if rows is None else self.coords[rows]
            inside = (c[:, 0] >= x0) & (c[:, 0] <= x1) & (c[:, 1] >= y0) & (c[:, 1] <= y1)
            in_view = np.flatnonzero(inside) if rows is None else rows[inside]
        forced = [self.selected] if self.selected is not None and np.isin(self.selected, in_view) else []
        self.labels.place(self.coords, self.keys.__getitem__, in_view, self.importance, forced,
                          self.highlighted[:500], avoid=[self._legend])

    @property
    def labelled(self) -> list[str]:
        """The words labelled on screen now, most important first."""
        return [self.keys[int(r)] for r in self.labels.rows]

    def _refresh_overlays(self) -> None:
        self.place_labels()
        self._refresh_marks()

    def _refresh_marks(self) -> None:
        """The search hits, the lasso selection and the selected point, drawn over the points."""
        chosen = [] if self.selected is None else [self.selected]
        for item, rows in ((self._highlight, self.highlighted), (self._selection, self.selection),
                           (self._selected, np.asarray(chosen, np.int64))):
            item.setData(x=self.coords[rows, 0], y=self.coords[rows, 1])

    # ------------------------------------------------------------------ search and selection
    def search(self, pattern: str) -> np.ndarray:
        """Highlight the keys matching a regular expression (case-insensitive); returns their rows."""
        if not pattern:
            rows = np.zeros(0, np.int64)
        else:
            rx = re.compile(pattern, re.IGNORECASE)
            rows = np.array([i for i, k in enumerate(self.keys) if rx.search(k)], dtype=np.int64)
        self.highlighted = rows
        self._refresh_overlays()
        return rows

    def select(self, row: int | None, center: bool = False) -> None:
        self.selected = row
        self._refresh_overlays()
        if row is not None and center:
            vb = self.getViewBox()
            (x0, x1), (y0, y1) = vb.viewRange()
            cx, cy = (float(v) for v in self.coords[row])  # float32 ranges overflow pyqtgraph's float64 limits
            vb.setRange(xRange=(cx - (x1 - x0) / 2, cx + (x1 - x0) / 2),
                        yRange=(cy - (y1 - y0) / 2, cy + (y1 - y0) / 2), padding=0)

    def nearest_point(self, x: float, y: float, pixels: float = HOVER_PIXELS) -> int | None:
        """The point under view position (x, y), within a few screen pixels."""
        if not len(self.coords):
            return None
        pw, ph = self.getViewBox().viewPixelSize()
        if pw <= 0 or ph <= 0:
            return None
        rows = np.arange(len(self.coords)) if self.visible is None else self.visible
        if not len(rows):
            return None
        c = self.coords[rows]
        d = ((c[:, 0] - x) / pw) ** 2 + ((c[:, 1] - y) / ph) ** 2
        i = int(np.argmin(d))
        return int(rows[i]) if d[i] <= pixels**2 else None

    def _on_mouse_moved(self, scene_pos) -> None:
        vb = self.getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            if self.hover_label.isVisible():
                self.hover_label.hide()
                self.point_hovered.emit(None)
            return
        p = vb.mapSceneToView(scene_pos)
        i = self.nearest_point(p.x(), p.y())
        self.show_hover(i)
        self.point_hovered.emit(i)

    def show_hover(self, row: int | None) -> None:
        """The label of the point at ``row`` (None: none), as the mouse shows it."""
        if row is None or not 0 <= row < len(self.keys):
            self.hover_label.hide()
            return
        self.hover_label.setText(self.keys[row])
        self.hover_label.setPos(float(self.coords[row, 0]), float(self.coords[row, 1]))
        self.hover_label.show()

    def _on_mouse_clicked(self, event) -> None:
        vb = self.getViewBox()
        p = vb.mapSceneToView(event.scenePos())
        i = self.nearest_point(p.x(), p.y())
        if i is not None:
            self.select(i)
            self.point_clicked.emit(i)
