"""The Poincaré disk: points, hierarchy edges as geodesic arcs, labels that thin toward the rim, and
click-to-recentre by a Möbius translation, animated, so a user can browse deep into a hierarchy."""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal

from embedstudio.analysis import disk
from embedstudio.app.views.label_layer import LabelLayer
from embedstudio.geometry import poincare as P

DEPTH_COLOURS = [(0, 114, 178), (0, 158, 115), (230, 159, 0), (213, 94, 0), (204, 121, 167), (86, 180, 233),
                 (153, 153, 153)]  # Okabe-Ito, by depth; deeper than six levels share the last
SUBTREE_COLOURS = [(230, 159, 0), (86, 180, 233), (0, 158, 115), (213, 94, 0), (0, 114, 178), (204, 121, 167),
                   (240, 228, 66)]  # Okabe-Ito: one per subtree
MAX_EDGES = 30_000
FRAMES = 12


class DiskView(pg.PlotWidget):
    node_clicked = Signal(int)
    centre_changed = Signal()  # a click, Back, Forward or Home moved the centre: the breadcrumb follows

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.setAspectLocked(True)
        self.getPlotItem().hideAxis("left")
        self.getPlotItem().hideAxis("bottom")
        self.setRange(xRange=(-1.02, 1.02), yRange=(-1.02, 1.02), padding=0)
        self.setMouseEnabled(False, False)  # the disk is browsed by re-centring, not by panning
        theta = np.linspace(0, 2 * np.pi, 361)
        self.addItem(pg.PlotCurveItem(np.cos(theta), np.sin(theta), pen=pg.mkPen((90, 90, 90), width=1.5)))
        self._edges_item = pg.PlotCurveItem(pen=pg.mkPen((150, 150, 150, 110), width=1), connect="finite")
        self.addItem(self._edges_item)
        self._groups: list[tuple[pg.ScatterPlotItem, np.ndarray]] = []
        self._highlight = pg.ScatterPlotItem(size=11, pen=pg.mkPen("k", width=1), brush=pg.mkBrush(214, 39, 40))
        self._highlight.setZValue(5)
        self.addItem(self._highlight)
        self.labels = LabelLayer(self, color=(40, 40, 40), max_labels=120)
        self.centre_row: int | None = None  # the node re-centred on (None: the layout's own centre)
        self.history: list[int | None] = [None]  # the centres visited, for Back and Forward
        self.position = 0
        self._descendants = np.zeros(0)
        self.hover_label = pg.TextItem("", color="k", fill=pg.mkBrush(255, 255, 224, 230), anchor=(0, 1))
        self.hover_label.setZValue(10)
        self.hover_label.hide()
        self.addItem(self.hover_label)
        self.names: list[str] = []
        self.base = np.zeros((0, 2))  # layout with the origin at the centre
        self.shown = np.zeros((0, 2))  # after the current re-centring
        self.centre = np.zeros(2)
        self.edges = np.zeros((0, 2), dtype=np.int64)
        self.highlighted = np.zeros(0, dtype=np.int64)
        self.note = ""
        self.depth = np.zeros(0, dtype=np.int64)
        self._closure = None
        self.colour_mode = "depth"
        self.legend = []
        self._path: list[np.ndarray] = []
        self._timer = QTimer(self)
        self._timer.setInterval(25)
        self._timer.timeout.connect(self._animate)
        self._relabel = QTimer(self)  # labels are placed in pixels: place them again once a resize settles
        self._relabel.setSingleShot(True)
        self._relabel.setInterval(60)
        self._relabel.timeout.connect(self.place_labels)
        self.getViewBox().sigResized.connect(lambda *_: self._relabel.start())
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_click)

    def close(self) -> bool:
        """pyqtgraph's close drops the plot item while timers may still fire: stop them first."""
        self._relabel.stop()
        self._timer.stop()
        return super().close()

    # ------------------------------------------------------------------ data
    def set_hierarchy(self, names, vectors, closure_edges=None) -> str:
        """Show an embedding; ``closure_edges`` (child, ancestor) are drawn as their direct links.
        Returns the note saying how a higher-dimensional embedding was laid out."""
        self.names = list(names)
        self.base, self.note = disk.disk_layout(vectors)
        n = len(self.names)
        if closure_edges is not None and len(closure_edges):
            closure_edges = np.asarray(closure_edges, dtype=np.int64)
            self.edges = disk.transitive_reduction(closure_edges, n)
            depth = disk.depths(closure_edges, n)
        else:
            self.edges = np.zeros((0, 2), dtype=np.int64)
            depth = np.zeros(n, dtype=np.int64)
        if len(self.edges) > MAX_EDGES:  # beyond this the arcs are a grey fog: keep a seeded sample
            keep = np.random.default_rng(0).choice(len(self.edges), MAX_EDGES, replace=False)
            self.edges = self.edges[np.sort(keep)]
        self.depth = depth
        self._closure = closure_edges
        self._descendants = (np.bincount(closure_edges[:, 1], minlength=n).astype(np.float64)
                             if closure_edges is not None and len(closure_edges) else np.zeros(n))
        self.labels.forget_sizes()
        self.centre_row = None
        self.history: list[int | None] = [None]  # the centres visited (None: the layout's own centre)
        self.position = 0
        self.legend: list[tuple[str, tuple[int, int, int]]] = []
        self.colour_by("depth")
        self.highlighted = np.zeros(0, dtype=np.int64)
        self.recentre(np.zeros(2), animate=False)
        return self.note

    def _set_groups(self, labels: np.ndarray, colours, other=(150, 150, 150)) -> None:
        """One scatter item per colour (label -1: ``other``), drawn at the current positions."""
        for item, _ in self._groups:
            self.removeItem(item)
        self._groups = []
        for label in sorted(set(np.unique(labels).tolist())):
            rows = np.flatnonzero(labels == label)
            colour = other if label < 0 else colours[label]
            item = pg.ScatterPlotItem(size=6, pen=None, brush=pg.mkBrush(*colour, 210))
            item.setZValue(-1 if label < 0 else 0)
            self.addItem(item)
            self._groups.append((item, rows))
        if len(self.shown) == len(labels):
            for item, rows in self._groups:
                item.setData(x=self.shown[rows, 0], y=self.shown[rows, 1])

    def colour_by(self, mode: str, root: int | None = None) -> None:
        """``"depth"`` (the number of ancestors), or ``"subtree"``: the six largest child subtrees of
        ``root`` (default: the top of the hierarchy) in their own colours, the rest grey."""
        self.colour_mode = mode
        if mode == "depth" or self._closure is None or not len(self._closure):
            levels = np.minimum(self.depth, len(DEPTH_COLOURS) - 1)
            last = len(DEPTH_COLOURS) - 1
            self.legend = [(f"depth {d}" if d < last else f"depth {d}+", DEPTH_COLOURS[d])
                           for d in np.unique(levels).tolist()] if len(levels) and levels.max() > 0 else []
            self._set_groups(levels, DEPTH_COLOURS)
            return
        labels, chosen = disk.subtree_labels(self._closure, len(self.names), root, k=len(SUBTREE_COLOURS) - 1)
        self.legend = [(self.names[c], SUBTREE_COLOURS[i]) for i, c in enumerate(chosen)]
        colours = SUBTREE_COLOURS[:len(chosen)] + [(0, 0, 0)]  # the root itself in black
        self._set_groups(labels, colours)

    def update_vectors(self, vectors) -> None:
        """New positions for the same nodes (a live snapshot while training); edges and colours stay."""
        self.base, self.note = disk.disk_layout(vectors)
        self._show(self.centre)

    # ------------------------------------------------------------------ re-centring
    def recentre(self, target: np.ndarray, animate: bool = True) -> None:
        """Move the view's centre to ``target`` (a point of the base layout) by a Möbius translation."""
        target = np.asarray(target, dtype=np.float64)
        if animate:
            self._path = disk.centre_path(self.centre, target, FRAMES)
            self._timer.start()
        else:
            self._timer.stop()
            self._path = []
            self._show(target)

    def recentre_on(self, row: int, animate: bool = True, remember: bool = True) -> None:
        if remember and (row != self.centre_row):
            self.history = self.history[:self.position + 1] + [int(row)]
            self.position = len(self.history) - 1
        self._go(int(row), animate)

    # ------------------------------------------------------------------ browsing: back, forward, home
    def _go(self, row: int | None, animate: bool = True) -> None:
        self.centre_row = row
        if row is None:
            self.recentre(np.zeros(2), animate)
            if self.colour_mode == "subtree":
                self.colour_by("subtree", None)
        else:
            self.recentre(self.base[row], animate)
            if self.colour_mode == "subtree":  # browsing: the new centre's own subtrees get the colours
                self.colour_by("subtree", row)
        self.centre_changed.emit()

    @property
    def can_go_back(self) -> bool:
        return self.position > 0

    @property
    def can_go_forward(self) -> bool:
        return self.position < len(self.history) - 1

    def back(self) -> None:
        if self.can_go_back:
            self.position -= 1
            self._go(self.history[self.position])

    def forward(self) -> None:
        if self.can_go_forward:
            self.position += 1
            self._go(self.history[self.position])

    def home(self) -> None:
        """Back to the root of the hierarchy (the layout's centre when there are no edges), remembered."""
        root = disk.root_of(self._closure, self.depth, len(self.names))
        if root is None:
            if self.centre_row is not None:
                self.history = self.history[:self.position + 1] + [None]
                self.position = len(self.history) - 1
                self._go(None)
        else:
            self.recentre_on(root)

    def breadcrumb(self) -> list[int]:
        """The centre's ancestors, the root first, then the centre itself."""
        if self.centre_row is None:
            return []
        return disk.ancestors(self._closure, self.depth, self.centre_row) + [self.centre_row]

    def _animate(self) -> None:
        if not self._path:
            self._timer.stop()
            return
        self._show(self._path.pop(0))

    @property
    def animating(self) -> bool:
        return self._timer.isActive()

    def _show(self, centre: np.ndarray) -> None:
        self.centre = np.asarray(centre, dtype=np.float64)
        self.hover_label.hide()  # its node moved
        self.shown = P.recenter(self.base, self.centre) if len(self.base) else self.base
        for item, rows in self._groups:
            item.setData(x=self.shown[rows, 0], y=self.shown[rows, 1])
        x, y = disk.geodesic_polyline(self.shown, self.edges)
        self._edges_item.setData(x, y, connect="finite")
        h = self.highlighted
        self._highlight.setData(x=self.shown[h, 0], y=self.shown[h, 1])
        self.place_labels()

    def place_labels(self) -> None:
        """Labels where they fit: the centre node, then search hits and the centre's children, then by
        importance, large subtrees near the centre first (nodes crowd toward the rim, where they are small)."""
        if not len(self.shown):
            self.labels.clear()
            return
        radius = np.linalg.norm(self.shown, axis=1)
        in_view = np.flatnonzero(radius < 0.985)
        importance = np.log1p(self._descendants) + 1.0
        importance = importance * (1.0 - np.minimum(radius, 1.0) ** 2)
        forced = [self.centre_row] if self.centre_row is not None else []
        children = self.edges[self.edges[:, 1] == self.centre_row, 0] if self.centre_row is not None else \
            np.zeros(0, dtype=np.int64)
        children = children[np.argsort(-self._descendants[children], kind="stable")]
        self.labels.place(self.shown, self.names.__getitem__, in_view, importance, forced,
                          np.concatenate([self.highlighted[:30], children]))

    @property
    def labelled(self) -> list[str]:
        return [self.names[int(r)] for r in self.labels.rows]

    # ------------------------------------------------------------------ search, hover, click
    def search(self, pattern: str) -> np.ndarray:
        rows = (np.array([i for i, k in enumerate(self.names) if re.search(pattern, k, re.IGNORECASE)], dtype=np.int64)
                if pattern else np.zeros(0, dtype=np.int64))
        self.highlighted = rows
        self._show(self.centre)
        return rows

    def nearest(self, x: float, y: float, pixels: float = 8) -> int | None:
        if not len(self.shown):
            return None
        pw, ph = self.getViewBox().viewPixelSize()
        d = ((self.shown[:, 0] - x) / pw) ** 2 + ((self.shown[:, 1] - y) / ph) ** 2
        i = int(np.argmin(d))
        return i if d[i] <= pixels**2 else None

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.hover_label.hide()  # the mouse left the disk
        super().leaveEvent(event)

    def _on_mouse_moved(self, pos) -> None:
        p = self.getViewBox().mapSceneToView(pos)
        i = self.nearest(p.x(), p.y())
        if i is None:
            self.hover_label.hide()
            return
        self.hover_label.setText(f"{self.names[i]}  (depth {int(self.depth[i])})")
        self.hover_label.setPos(float(self.shown[i, 0]), float(self.shown[i, 1]))
        self.hover_label.show()

    def _on_click(self, event) -> None:
        p = self.getViewBox().mapSceneToView(event.scenePos())
        i = self.nearest(p.x(), p.y())
        if i is not None:
            self.recentre_on(i)
            self.node_clicked.emit(i)
