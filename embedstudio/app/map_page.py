"""The Map tab: every point of the current embedding, with the search box, the projection, the
selection tools, the colouring and the word axes above it."""

from __future__ import annotations

import threading
import weakref

import numpy as np
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from embedstudio.analysis.projection import pca
from embedstudio.app.views.elided_label import ElidedLabel
from embedstudio.app.views.map_view import MapView
from embedstudio.config import ConfigError
from embedstudio.text import count

PROJECTIONS = ("PCA", "UMAP", "t-SNE", "word axes")


class MapPage(QWidget):
    """The map of the session's current embedding. ``shell`` gives the session, the worker, the
    projection panel and the error messages."""

    def __init__(self, shell, parent=None):
        super().__init__(parent)
        self.shell = shell
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        self.search = QLineEdit()
        self.search.setPlaceholderText("search words (regular expression)…")
        self.search.setClearButtonEnabled(True)
        self.search_info = QLabel("")
        box.addWidget(self.search)
        tools = QHBoxLayout()
        self.subject = ElidedLabel("", min_chars=3)  # the embedding the map shows (cut to fit: never widens)
        tools.addWidget(self.subject)
        tools.addWidget(QLabel("map"))
        self.projection = QComboBox()
        self.projection.addItems(PROJECTIONS)
        self.projection.setToolTip("PCA is instant; UMAP and t-SNE run in the background")
        tools.addWidget(self.projection)
        self.select_mode = QComboBox()
        self.select_mode.addItems(["pan/zoom", "lasso", "rectangle"])
        self.select_mode.setToolTip("what a left-drag on the map does")
        tools.addWidget(self.select_mode)
        self.isolate = QPushButton("Isolate")
        self.isolate.setToolTip("show only the selected points")
        self.show_all = QPushButton("Show all")
        tools.addWidget(self.isolate)
        tools.addWidget(self.show_all)
        tools.addWidget(QLabel("colour"))
        self.colour = QComboBox()
        self.colour.setToolTip("colour points by frequency or a metadata column")
        tools.addWidget(self.colour)
        tools.addStretch(1)
        box.addLayout(tools)
        self.axes_row = QWidget()
        axes = QHBoxLayout(self.axes_row)
        axes.setContentsMargins(0, 0, 0, 0)
        self.x_axis = QLineEdit("man > woman")
        self.y_axis = QLineEdit("")
        self.y_axis.setPlaceholderText("y axis, e.g. bad > good (empty: none)")
        for label, edit in (("x:", self.x_axis), ("y:", self.y_axis)):
            edit.setToolTip("words at the low end > words at the high end, commas between words")
            axes.addWidget(QLabel(label))
            axes.addWidget(edit, 1)
        self.axes_apply = QPushButton("Apply")
        axes.addWidget(self.axes_apply)
        self.axes_row.hide()
        box.addWidget(self.axes_row)
        box.addWidget(self.search_info)
        self.map = MapView()
        box.addWidget(self.map, 1)
        self._live_started = False
        self._stop = threading.Event()  # set to stop the running projection
        self._before = (None, np.zeros((0, 2), np.float32), "")  # (embedding, map, note) before a projection
        self._previewed = False  # a forming t-SNE map has replaced that map
        self._maps: dict = {}
        self._embedding = None  # the embedding drawn
        self._kept = weakref.WeakKeyDictionary()  # embedding -> (its maps, the one shown, its coordinates)
        self._shown = "PCA"  # the projection the map shows (the box returns to it when another is cancelled)
        self._computing = ""  # the projection being computed ("UMAP" or "t-SNE"): its messages name it

        self.projection.activated.connect(lambda _i: self.compute_projection(self.projection.currentText()))
        self.select_mode.currentTextChanged.connect(
            lambda t: self.map.set_select_mode({"lasso": "lasso", "rectangle": "rect"}.get(t)))
        self.isolate.clicked.connect(lambda: self._change_visible(self.map.isolate_selection))
        self.show_all.clicked.connect(lambda: self._change_visible(self.map.show_all))
        self.axes_apply.clicked.connect(self.apply_word_axes)
        self.x_axis.returnPressed.connect(self.apply_word_axes)
        self.y_axis.returnPressed.connect(self.apply_word_axes)
        self.map.selection_changed.connect(
            lambda rows: self.search_info.setText(count(len(rows), "point") + " selected"))
        self.colour.activated.connect(lambda _i: self.apply_colour(self.colour.currentText()))

    # ------------------------------------------------------------------ the current embedding
    def show_embedding(self, emb, coords=None, name: str | None = None) -> None:
        """Draw ``emb`` (None: nothing), called ``name``, at ``coords``; else at the map it was last shown with
        (an embedding made current again comes back as it was), else at its PCA."""
        self._keep_shown()
        self._embedding = emb
        self.name_subject(name if emb is not None else None)
        if emb is None:
            self.map.set_points([], np.zeros((0, 2), np.float32))
            self._maps, self._shown = {}, "PCA"
            return
        maps, shown, last = self._kept.get(emb, ({}, "PCA", None))
        if coords is None or len(coords) != len(emb):
            coords = last if last is not None and len(last) == len(emb) else pca(emb.vectors)[0]
            self._maps, self._shown = maps, shown  # (method, settings) -> (coords, note) of this embedding's maps
        else:
            self._maps, self._shown = {}, "PCA"
        self.map.set_points(emb.keys, coords, emb.counts)
        kinds = emb.metadata.get("kind")
        if kinds is not None and len(kinds) == len(emb):  # a TagSpace map: its few labels are what to read first
            tags = np.asarray([k == "label" for k in kinds])
            if tags.any() and not tags.all():
                base = self.map.importance if self.map.importance is not None else np.zeros(len(emb))
                self.map.importance = base + tags * (float(base.max(initial=0.0)) + 1.0)
        self.run_search(self.search.text())
        self.colour.clear()
        self.colour.addItems(["none"] + (["frequency"] if emb.counts is not None else []) + list(emb.metadata))
        self.projection.setCurrentText(self._shown)

    def _keep_shown(self) -> None:
        """Remember the maps of the embedding leaving the map, should it come back."""
        if self._embedding is not None and len(self.map.coords) == len(self._embedding):
            self._kept[self._embedding] = (self._maps, self._shown, self.map.coords.copy())

    def name_subject(self, name: str | None) -> None:
        self.subject.setText(f"{name}  ·" if name else "")
        self.subject.setToolTip(f"the map shows {name}, the current embedding" if name else "")

    def begin_live(self) -> None:
        """A new training run: its first snapshot replaces the map's points."""
        self._live_started = False

    def show_snapshot(self, snapshot, coords, colour_by: str | None = None) -> None:
        """A live run's snapshot at ``coords`` (coloured by its ``colour_by`` metadata column when it has more
        than one value); later snapshots of the run move the same points."""
        if not self._live_started:
            self._keep_shown()
            self._embedding = None  # the map shows the run now
            self.subject.setText("training  ·")
            self.map.set_points(snapshot.keys, coords, snapshot.counts)
            groups = snapshot.metadata.get(colour_by) if colour_by else None
            if groups is not None and len(set(groups)) > 1:
                self.map.color_by(groups, "categorical")
            self._live_started = True
        else:
            self.map.update_coords(coords)

    def colour_by(self, choice: str) -> None:
        """Choose a colouring by name, as the colour box does."""
        self.colour.setCurrentText(choice)
        self.apply_colour(choice)

    def apply_colour(self, choice: str) -> None:
        emb = self.shell.session.embedding
        if emb is None:
            return
        if choice == "frequency" and emb.counts is not None:
            self.map.color_by(emb.counts, "continuous")
        elif choice in emb.metadata:
            self.map.color_by(emb.metadata[choice], "categorical")
        else:
            self.map.color_by(None)

    def run_search(self, text: str) -> None:
        try:
            rows = self.map.search(text)
        except Exception as e:  # noqa: BLE001 - re.error while typing a pattern
            self.search_info.setText(f"not a valid pattern: {e}")
            return
        self.search_info.setText(count(len(rows), "match") if text else "")

    def select_word(self, word: str) -> None:
        if word in self.map.keys:
            self.map.select(self.map.keys.index(word), center=True)

    # ------------------------------------------------------------------ view state in a session
    def state(self) -> dict:
        return {"search": self.search.text(), "projection": self.projection.currentText(),
                "colour": self.colour.currentText(), "x_axis": self.x_axis.text(), "y_axis": self.y_axis.text()}

    def restore(self, view: dict) -> None:
        self.x_axis.setText(str(view.get("x_axis", self.x_axis.text())))
        self.y_axis.setText(str(view.get("y_axis", "")))
        if view.get("projection") in PROJECTIONS:
            self.projection.setCurrentText(view["projection"])
            self.axes_row.setVisible(view["projection"] == "word axes")
        if view.get("colour") and self.colour.findText(view["colour"]) >= 0:
            self.colour_by(view["colour"])
        self.search.setText(str(view.get("search", "")))

    # ------------------------------------------------------------------ projections
    def compute_projection(self, method: str) -> None:
        """PCA at once; UMAP and t-SNE on the worker (umap is imported there, never at start-up)."""
        shell = self.shell
        emb = shell.session.embedding
        if emb is None:
            return
        if shell.runs.running:  # the one worker trains: say so, and the box keeps naming the map shown
            self.projection.setCurrentText(self._shown)
            message = f"{method} can be computed once training has finished"
            shell.projection_panel.set_running(False, message)
            shell.statusBar().showMessage(message)
            return
        self.axes_row.setVisible(method == "word axes")
        self.map.show_axis_labels(None, None)
        if method == "word axes":
            self.apply_word_axes()
            return
        key = {"PCA": "pca", "UMAP": "umap", "t-SNE": "tsne"}[method]
        if key == "pca":
            self.map.update_coords(pca(emb.vectors)[0], autorange=True)
            self._shown = method
            return
        from embedstudio.jobs.projection import projection_job
        from embedstudio.memory import fits, projection_bytes

        panel = shell.projection_panel
        try:
            config = panel.config(key)
        except ConfigError as e:
            shell.show_error(str(e))
            return
        refusal = fits(projection_bytes(key, len(emb), emb.dim, config.to_dict()),
                       f"{method} of {count(len(emb), 'point')}")
        if refusal is not None:  # asked before starting: a projection that cannot fit would swap the machine
            self.projection.setCurrentText("PCA")
            shell.show_error(refusal)
            return
        cached = self._maps.get((key, config))
        if cached is not None:  # this embedding's map with these settings was made already: shown at once
            self.projection.setCurrentText(method)
            self._show_map(method, *cached)
            return
        self.projection.setCurrentText(method)
        panel.set_running(True, f"computing {method} of {count(len(emb), 'point')}…")
        self._stop = threading.Event()
        self._computing = method
        shown_before = self._shown
        # what a cancel puts back if the map forming (t-SNE's previews) has replaced it meanwhile
        self._before = (emb, self.map.coords.copy(), self.search_info.text())
        self._previewed = False

        def progress(stage):
            panel.status.setText(stage.text)
            if stage.preview is not None and not self._stop.is_set() and shell.session.embedding is emb:
                self.map.update_coords(stage.preview, autorange=True)
                self.search_info.setText(f"{method} forming: {stage.text.split(': ', 1)[-1]}")
                self._previewed = True

        def done(result):
            if result is None:  # stopped: the map and its name in the box stay as they were
                self.projection.setCurrentText(shown_before)
                self._restore_before()
                panel.set_running(False, f"{method} cancelled")
                return
            panel.set_running(False, result.note)
            if shell.session.embedding is emb:
                self._maps[(key, config)] = (result.coords, result.note)
                self._show_map(method, result.coords, result.note)

        def failed(message, _detail):
            self.projection.setCurrentText(shown_before)
            self._restore_before()
            panel.set_running(False, "")
            shell.show_error(message)

        shell.worker.start(method, projection_job, emb.vectors, key, config, self._stop,
                           on_progress=progress, on_finished=done,
                           on_failed=failed, cancel_with=self.cancel_projection)

    def after_training(self) -> None:
        """A run's map has landed (as PCA): switch it to UMAP when the Projection panel says so and it is small
        enough."""
        from embedstudio.app.docks.projection import AUTO_UMAP_MAX

        emb = self.shell.session.embedding
        if self.shell.projection_panel.auto_umap.isChecked() and emb is not None and 4 <= len(emb) <= AUTO_UMAP_MAX:
            self.compute_projection("UMAP")

    def _show_map(self, method: str, coords, note: str) -> None:
        self.map.update_coords(coords, autorange=True)
        self.search_info.setText(note)  # the view says what it shows (landmarks, say)
        self._shown = method

    def _restore_before(self) -> None:
        """Put back the map that was shown before a projection whose forming map was previewed."""
        emb, coords, note = self._before
        if self._previewed and self.shell.session.embedding is emb and len(coords) == len(self.map.keys):
            self.map.update_coords(coords, autorange=True)
            self.search_info.setText(note)
        self._previewed = False

    def cancel_projection(self) -> None:
        """The previous map stays (or comes back, if t-SNE's forming map was shown). t-SNE stops at its next
        report; UMAP cannot stop mid-call, so the next job waits for it."""
        self._stop.set()
        self._restore_before()
        self.shell.worker.cancel(wait=0)
        self.projection.setCurrentText(self._shown)
        self.shell.projection_panel.set_running(False, f"{self._computing or 'the map'} cancelled")

    def apply_word_axes(self) -> None:
        """TensorBoard-style custom projection: each axis runs from one set of words to another."""
        from embedstudio.analysis.projection import word_axes

        emb = self.shell.session.embedding
        if emb is None:
            return

        def parse(text: str):
            if not text.strip():
                return None
            if ">" not in text:
                raise ValueError(f"write an axis as 'low words > high words', not {text!r}")
            low, high = text.split(">", 1)
            return ([w.strip() for w in low.split(",") if w.strip()], [w.strip() for w in high.split(",") if w.strip()])

        try:
            x, y = parse(self.x_axis.text()), parse(self.y_axis.text())
            if x is None:
                raise ValueError("the x axis needs words, e.g. man > woman")
            coords, missing = word_axes(emb, x, y)
        except (ValueError, KeyError) as e:
            self.search_info.setText(str(e).strip("'\""))
            return
        self.map.update_coords(coords, autorange=True)
        self.map.show_axis_labels(self.x_axis.text(), self.y_axis.text() if y is not None else None)
        self.search_info.setText(f"not in the vocabulary: {', '.join(missing)}" if missing else "")

    def _change_visible(self, change) -> None:
        """Isolate or Show all, as an undoable step of the window's history (Edit ▸ Undo isolate 12 points)."""
        from embedstudio.undo import Step

        before, drawn = self.map.visible, self._embedding
        change()
        after = self.map.visible
        if after is before or self.shell.session.history is None:
            return

        def put(rows):
            if self._embedding is drawn:  # the map still shows the embedding the step was made on
                self.map.set_visible(rows)

        text = f"isolate {count(len(after), 'point')}" if after is not None else "show all points"
        self.shell.session.history.push(Step(text, undo=lambda: put(before), redo=lambda: put(after)))
