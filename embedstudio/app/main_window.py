"""The main window's shell: the map and the other views in the middle, docks around them, menus,
opening and dropping files, sessions (autosave and the restore offer: recovery.py), status and errors.

Everything a workflow does (train word2vec, a graph, a hierarchy, StarSpace; evaluate; audit) lives
in its own file under ``app/workflows/``; the shell builds each registered workflow, lays out its
docks and views, puts its actions in the menus and tells it what happens (see ``workflows/base.py``).
"""

from __future__ import annotations

import os
import platform
import threading
import time

import numpy as np
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QGraphicsView, QMainWindow, QMessageBox, QTabWidget

from embedstudio import __version__
from embedstudio.app import workflows
from embedstudio.app.docks.neighbors import NeighborsPanel
from embedstudio.app.exports import Exports
from embedstudio.app.job_status import JobStatus
from embedstudio.app.docks.projection import ProjectionPanel
from embedstudio.app.map_page import MapPage
from embedstudio.app.messages import ErrorMessages
from embedstudio.app.recovery import Recovery
from embedstudio.app.runs import TrainingRuns
from embedstudio.app.views.loss_view import LossView
from embedstudio.app.welcome import SAMPLE_FILES, WelcomePage
from embedstudio.app.workers import Worker
from embedstudio.app.workflows.base import LEFT, MAP, RIGHT
from embedstudio.app.workspace import Workspace
from embedstudio.text import count
from embedstudio.app.screen import fit_to_screen, scrolling
from embedstudio.app.compare_page import COMPARE, ComparePage
from embedstudio.jobs.loading import load_paths, open_session_job, session_folder
from embedstudio.session import Session, save_session, stats_text

MAX_RECENT = 10
AREAS = {LEFT: Qt.DockWidgetArea.LeftDockWidgetArea, RIGHT: Qt.DockWidgetArea.RightDockWidgetArea}


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None):
        super().__init__()
        self.setWindowTitle("EmbedStudio")
        self.settings = settings or QSettings("EmbedStudio", "EmbedStudio")
        self.session = Session()
        self.outside_offer = None  # the question about a session's datasets outside its folder
        self.worker = Worker(self)
        self.errors: list[str] = []
        self.messages = ErrorMessages(self)
        self._queued_loads: list[tuple] = []  # files dropped while others were loading
        self.notices: list[str] = []  # what was said about opened files (a misnamed .gz, dropped rows)
        self._pending_coords = None  # the map coordinates of the embedding about to become current
        self._after_load: dict[str, object] = {}  # path -> what to do once it is loaded (a sample's Start)

        self.map_page = MapPage(self)
        self.map = self.map_page.map
        self.loss = LossView()
        self.neighbors = NeighborsPanel()
        self.projection_panel = ProjectionPanel()
        self.projection_panel.auto_umap.setChecked(self.settings.value("map/auto_umap", True, type=bool))
        self.projection_panel.auto_umap.toggled.connect(lambda on: self.settings.setValue("map/auto_umap", on))
        self.welcome = WelcomePage()
        self.runs = TrainingRuns(self)
        self.recovery = Recovery(self)
        self.exports = Exports(self)
        self.workspace = Workspace(self)  # every dataset and embedding; the current one
        self.compare_page = ComparePage(self)
        self.workflows = {cls.name: cls(self) for cls in workflows.WORKFLOWS}

        self.views = QTabWidget()
        self.views.addTab(self.map_page, "Map")
        for workflow in self.workflows.values():
            for title, widget in workflow.views():
                self.views.addTab(widget, title)
        self.views.addTab(self.compare_page, COMPARE)
        self.views.addTab(self.welcome, "Welcome")
        self.views.setCurrentWidget(self.welcome)  # until something is opened
        self.setCentralWidget(self.views)
        self._build_docks()
        self._build_menus()
        self.setAcceptDrops(True)
        for view in self.findChildren(QGraphicsView):  # a plot would take a drop on its viewport
            view.setAcceptDrops(False)
            view.viewport().setAcceptDrops(False)

        self.session.subscribe(self._on_session)
        self.map_page.search.textChanged.connect(self._on_search)
        self.projection_panel.compute_requested.connect(self.map_page.compute_projection)
        self.projection_panel.cancel.clicked.connect(self.map_page.cancel_projection)
        self.map.point_clicked.connect(self._on_point_clicked)
        self.neighbors.word_chosen.connect(self.map_page.select_word)
        self.welcome.sample_requested.connect(self.open_sample)
        self.job_status = JobStatus(self.worker)  # the running job's stage, progress, time left and Cancel
        self.statusBar().addPermanentWidget(self.job_status)
        self.statusBar().showMessage("Drop a text corpus or a vectors file anywhere on the window")
        # the docks were stacked before they were tabified: recompute the window's minimum from the final
        # layout, or it keeps the stacked height (1,690 px) and the window cannot be made smaller
        self.layout().invalidate()
        self.layout().activate()
        self.resize(1280, 800)
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        fit_to_screen(self)

    def workflow(self, name: str):
        return self.workflows[name]

    # ------------------------------------------------------------------ layout
    def _build_docks(self) -> None:
        """The workspace on top left; the trainers tabbed below it (Projection beside the first); the tools tabbed on the
        right with Neighbours first; the loss curve under them."""
        specs = [spec for workflow in self.workflows.values() for spec in workflow.docks()]
        left = [(title, widget) for title, widget, area in specs if area == LEFT]
        right = [(title, widget) for title, widget, area in specs if area == RIGHT]
        left.insert(min(1, len(left)), ("Projection", self.projection_panel))
        self.docks: dict[str, QDockWidget] = {}
        for title, widget, area in [("Workspace", self.workspace.panel, LEFT)] + [(t, w, LEFT) for t, w in left] + \
                [(t, w, RIGHT) for t, w in right] + [("Neighbours", self.neighbors, RIGHT), ("Loss", self.loss, RIGHT)]:
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock-{title}")
            dock.setWidget(scrolling(widget))
            self.addDockWidget(AREAS[area], dock)
            self.docks[title] = dock
        for group in (left, [("Neighbours", self.neighbors)] + right):  # Neighbours is the first tab
            for (a, _), (b, _) in zip(group, group[1:]):
                self.tabifyDockWidget(self.docks[a], self.docks[b])
        self.docks["Neighbours"].raise_()
        self.docks[left[0][0]].raise_()
        self.resizeDocks([self.docks["Loss"]], [200], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["Workspace"], self.docks[left[0][0]]], [190, 450], Qt.Orientation.Vertical)

    def raise_dock(self, title: str) -> None:
        self.docks[title].show()
        self.docks[title].raise_()

    def show_view(self, name: str) -> None:
        """Bring a central view to the front: MAP or a workflow's view by its title."""
        if name == MAP:
            self.views.setCurrentWidget(self.map_page)
            return
        for i in range(self.views.count()):
            if self.views.tabText(i) == name:
                self.views.setCurrentIndex(i)

    def _build_menus(self) -> None:
        def add(menu, text, slot, shortcut=None):
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)

        contributed: dict[str, list] = {}
        for workflow in sorted(self.workflows.values(), key=lambda w: w.menu_rank):  # stable: then registry order
            for place, text, slot in workflow.actions():
                contributed.setdefault(place, []).append((text, slot))
        keys = QKeySequence.StandardKey
        file_menu = self.menuBar().addMenu("&File")
        add(file_menu, "&Open…", self._open_dialog, keys.Open)
        add(file_menu, "Open Projector &TSV with metadata…", self._open_projector_dialog)
        for text, slot in contributed.get("File/open", []):
            add(file_menu, text, slot)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self._fill_recent()
        add(file_menu, "&Save Session…", self._save_session_dialog, keys.Save)
        add(file_menu, "Open Sess&ion…", self._open_session_dialog)
        add(file_menu, "Restore &autosave", self.recovery.restore)
        add(file_menu, "Resume &training from checkpoint…", self.runs.resume_dialog)
        self.runs.build_checkpoint_menu(file_menu.addMenu("Automatic &checkpoints"))
        file_menu.addSeparator()
        add(file_menu, "&Export vectors…", self.exports.vectors_dialog)
        add(file_menu, "Export map &image…", lambda: self.exports.image_dialog(self.map, "map"))
        add(file_menu, "Export &loss curve image…", lambda: self.exports.image_dialog(self.loss, "loss"))
        for text, slot in contributed.get("File/image", []):
            add(file_menu, text, slot)
        add(file_menu, "Export map &coordinates…", self.exports.coordinates_dialog)
        for text, slot in contributed.get("File/export", []):
            add(file_menu, text, slot)
        file_menu.addSeparator()
        add(file_menu, "&Quit", self.close, keys.Quit)
        self.menuBar().addMenu("&Edit").addActions(self.workspace.edit_actions())  # Undo/Redo name their step
        view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        tools_menu = self.menuBar().addMenu("&Tools")
        for text, slot in contributed.get("Tools", []):
            add(tools_menu, text, slot)
        add(tools_menu, "&Compare two embeddings…", self.compare_page.open_view)
        help_menu = self.menuBar().addMenu("&Help")
        from embedstudio.app import help as guide  # the bundled guide, its shortcuts read from these menus

        add(help_menu, "&Guide", lambda: guide.show_guide(self), keys.HelpContents)
        add(help_menu, "&Keyboard shortcuts", lambda: guide.show_shortcuts(self))
        help_menu.addSeparator()
        add(help_menu, "&About EmbedStudio", self._about)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        for path in recent:
            action = QAction(path, self)
            action.triggered.connect(lambda _=False, p=path: self.open_paths([p]))
            self.recent_menu.addAction(action)
        self.recent_menu.setEnabled(bool(recent))

    def recent_files(self) -> list[str]:
        value = self.settings.value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def _remember(self, path: str) -> None:
        recent = [path] + [p for p in self.recent_files() if p != path]
        self.settings.setValue("files/recent", recent[:MAX_RECENT])
        self._fill_recent()

    def _about(self) -> None:
        import numba
        import pyqtgraph

        QMessageBox.about(self, "About EmbedStudio",
                          f"<b>EmbedStudio {__version__}</b><br>Train, explore and audit embeddings.<br><br>"
                          f"Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
                          f"PySide6 {pyside_version}, pyqtgraph {pyqtgraph.__version__}")

    # ------------------------------------------------------------------ opening files
    def _open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open a corpus or vectors")
        if paths:
            self.open_paths(paths)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls():
            event.setDropAction(Qt.DropAction.CopyAction)  # never a move: the file manager keeps the file
            event.accept()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self.open_paths(paths)

    def open_paths(self, paths: list[str]) -> None:
        sessions = [p for p in paths if session_folder(p)]
        if sessions and not self.runs.running:  # a saved session replaces what is open; other paths are ignored
            self.open_session(session_folder(sessions[0]))
            return
        self.statusBar().showMessage(f"reading {', '.join(os.path.basename(p) for p in paths)}…")
        self._load(list(paths))

    def open_as(self, path: str, kind: str) -> None:
        """Open a file as ``kind`` (a hierarchy, a user → items list: files the sniffer cannot tell apart)."""
        self._load([path], [kind])

    def _load(self, paths: list[str], kinds: list[str | None] | None = None, options: list[dict] | None = None):
        if self.runs.running:
            self.show_error("Training is running: cancel it or let it finish before opening more files")
            return
        job = self.worker.job
        if job is not None and job.name == "open":  # a file dropped while others load waits its turn, never
            self._queued_loads.append((paths, kinds, options))  # cancels them (the one worker runs one job)
            return
        self.worker.start("open", load_paths, paths, kinds=kinds, options=options, on_progress=self._on_loaded,
                          on_finished=lambda _result: self._next_load(),
                          on_failed=lambda message, _detail: (self.show_error(message), self._next_load()))

    def _next_load(self) -> None:
        if self._queued_loads:
            QTimer.singleShot(0, lambda: self._load(*self._queued_loads.pop(0)))  # once this job has ended

    def _open_projector_dialog(self) -> None:
        """A Projector vectors TSV with a metadata TSV of the user's choosing (the keys, maybe more columns)."""
        path, _ = QFileDialog.getOpenFileName(self, "Open Projector vectors (TSV)", "", "TSV (*.tsv *.txt);;All (*)")
        if not path:
            return
        metadata, _ = QFileDialog.getOpenFileName(self, "Its metadata (keys, and columns under a header row)",
                                                  os.path.dirname(path), "TSV (*.tsv *.txt);;All (*)")
        if metadata:
            self._load([path], ["projector-tsv"], [{"metadata_path": metadata}])

    def _on_loaded(self, item) -> None:
        what = item[0]
        if what == "error":
            self.show_error(item[1])
            return
        if what == "notice":
            self.notices.append(item[1])
            self.statusBar().showMessage(item[1])
            return
        if what == "bad-rows":  # NaN/inf or repeated keys: refused, with an offer to open the rest
            _, message, path, kind = item
            box = self.show_error(message, own_box=True)
            rest = box.addButton("Load the rest", QMessageBox.ButtonRole.AcceptRole)
            rest.setToolTip("open the file without the rows that hold NaN or infinite values or repeat a key "
                            "(a key keeps its first row); what was dropped is listed in the status bar")
            rest.clicked.connect(lambda: self._load([path], [kind], [{"bad_rows": "drop"}]))
            return
        _, dataset, coords = item
        self._remember(dataset.path)
        self._pending_coords = coords
        self.session.add_dataset(dataset)
        for workflow in self.workflows.values():
            workflow.dataset_opened(dataset)
        stats = stats_text(dataset.stats)
        self.statusBar().showMessage(f"opened {dataset.name} ({dataset.kind}): {stats}")
        if self.views.currentWidget() is self.welcome:
            self.show_view(MAP)
        then = self._after_load.pop(os.path.normpath(dataset.path), None)
        if then is not None:  # after this job has delivered its result, so the next job starts cleanly
            QTimer.singleShot(0, lambda: then(dataset))

    def open_sample(self, key: str) -> None:
        """A welcome-page sample: open it, then run its workflow on it with one click."""
        from embedstudio.resources import resource

        name, kind = SAMPLE_FILES[key]
        path = str(resource("sample", name))
        if not os.path.exists(path):
            self.show_error(f"the bundled sample {path} is missing from this installation")
            return
        self.welcome.status.setText(f"opening {name}…")
        runner = next((w for w in self.workflows.values() if w.sample == key), None)
        if runner is not None:
            self._after_load[os.path.normpath(path)] = runner.run_sample
        self._load([path], [kind])

    def warm_up(self) -> None:
        """At start-up, on the worker: make the training kernels ready (compiled by numba on the very first
        start, loaded from its cache after), with a message, so a first Start does not sit in the compiler."""
        from embedstudio.train.warmup import prepare_kernel_steps

        message = "preparing the training kernels (compiled on the first start only, then cached)…"
        self.statusBar().showMessage(message)
        self.welcome.status.setText(message)

        def job():  # a generator: opening a file stops it between two trainers instead of waiting for all
            started = time.perf_counter()
            yield from prepare_kernel_steps()
            return time.perf_counter() - started

        def done(seconds):
            text = f"ready: the training kernels took {seconds:.1f} s to prepare"
            self.welcome.status.setText(text)
            self.statusBar().showMessage(text, 5000)

        self.worker.start("warm-up", job, on_finished=done, on_cancelled=lambda: self.welcome.status.setText(""),
                          on_failed=lambda message, _detail: self.welcome.status.setText(message))

    def prepare_maps(self) -> threading.Thread:
        """At start-up, beside the kernels: compile umap (and import openTSNE) in a thread of its own (it cannot stop between steps,
        so it stays off the one worker), so the first UMAP map runs at its warm speed. A map asked for
        meanwhile waits for it (umap's lock)."""
        from embedstudio.analysis import labels, topk
        from embedstudio.analysis.projection import prepare_maps

        # the kernels the GUI thread calls (label placing, neighbour queries), loaded before umap's compiling holds
        # numba's compiler lock for tens of seconds: a first call meanwhile froze the window until it was done
        labels.prepare()
        topk.prepare()

        thread = threading.Thread(target=prepare_maps, name="prepare-maps", daemon=True)
        thread.start()
        return thread

    # ------------------------------------------------------------------ the session and the views
    def add_embedding(self, name: str, embedding, coords=None, origin: dict | None = None, model=None) -> str:
        """Add an embedding (drawn at ``coords``, when given; ``origin`` and ``model`` as
        :meth:`Session.add_embedding`) and make it current; returns its name in the session."""
        self._pending_coords = coords
        return self.session.add_embedding(name, embedding, origin=origin, model=model)

    def _on_session(self, event: str) -> None:
        if event == "current":
            emb = self.session.embedding
            coords, self._pending_coords = self._pending_coords, None
            if emb is not None and self.views.currentWidget() is self.welcome:  # something to look at: the map
                self.show_view(MAP)
            self.map_page.show_embedding(emb, coords, self.session.current)
            self.neighbors.set_embedding(emb, self.session.current)
            self.setWindowTitle(f"{self.session.current} — EmbedStudio" if emb is not None else "EmbedStudio")
        elif event == "embeddings" and self.session.current is not None:  # a rename
            self.map_page.name_subject(self.session.current)
            self.neighbors.name_subject(self.session.current)
            self.setWindowTitle(f"{self.session.current} — EmbedStudio")

    def _on_search(self, text: str) -> None:
        self.map_page.run_search(text)
        for workflow in self.workflows.values():
            workflow.search(text)

    def _on_point_clicked(self, row: int) -> None:
        key = self.map.keys[row]
        self.neighbors.query.setText(key)
        self.neighbors.run_query()
        for workflow in self.workflows.values():
            workflow.point_clicked(key)

    def show_error(self, message: str, own_box: bool = False) -> QMessageBox:
        """Errors are shown without blocking: the window keeps working (:class:`ErrorMessages`)."""
        self.errors.append(message)
        self.statusBar().showMessage(message)
        box = self.messages.show(message, own_box)
        self._last_message_box = box
        return box

    # ------------------------------------------------------------------ sessions
    def _save_session_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save the session in a folder")
        if folder:
            self.save_session(folder)

    def _open_session_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a session folder")
        if folder:
            self.open_session(folder)

    def save_session(self, folder: str) -> None:
        try:
            self.session_writer()(folder)
        except OSError as e:
            self.show_error(f"Could not save the session in {folder}: {e}")
            return
        self.statusBar().showMessage(f"session saved in {folder}")

    def session_writer(self):
        """``write(folder)`` saving the session as it is now (taken in the GUI thread; the writing may run in
        another: embeddings are never changed in place, and the lists are copied here)."""
        view = self.map_page.state()
        writers = [w for w in (workflow.save_state(view) for workflow in self.workflows.values()) if w is not None]
        snapshot = Session()
        snapshot.datasets = list(self.session.datasets)
        snapshot.embeddings = dict(self.session.embeddings)
        snapshot.origins = {name: dict(origin) for name, origin in self.session.origins.items()}
        snapshot.models = dict(self.session.models)
        snapshot.current = self.session.current
        coords = self.map.coords.copy() if self.session.embedding is not None else None

        def write(folder: str) -> None:
            save_session(snapshot, folder, view=view, map_coords=coords)
            for writer in writers:
                writer(folder)

        return write

    def open_session(self, folder: str | None, autosave=None) -> None:
        """Open a saved session folder; or, with ``autosave`` (an Autosave), its newest readable slot. Datasets
        outside the folder are asked for (see :func:`embedstudio.jobs.loading.open_session_job`)."""
        readers = {name: workflow.read_session_files for name, workflow in self.workflows.items()}
        self.session.clear()
        self.worker.start("open session", open_session_job, folder, readers, autosave, on_progress=self._on_loaded,
                          on_finished=self._on_session_read,
                          on_failed=lambda message, _detail: self.show_error(message))

    def _on_session_read(self, result) -> None:
        document, embeddings = result
        for problem in document.get("_problems", []):
            self.show_error(f"The newest autosave could not be read ({problem}); the one before it was restored.")
        current = document.get("current")
        view = document.get("view", {}) if isinstance(document.get("view"), dict) else {}
        folder = document.get("_folder") or ""
        names = {os.path.realpath(os.path.join(folder, d["path"])): d.get("name")
                 for d in document.get("datasets", []) if isinstance(d, dict) and isinstance(d.get("path"), str)
                 and "\x00" not in d["path"]}
        for dataset in self.session.datasets:  # the names the datasets had in the workspace
            name = names.get(os.path.realpath(dataset.path))
            if isinstance(name, str) and name.strip() and name != dataset.name:
                self.session.rename_dataset(dataset, name)
        origins, models = document.get("_origins", {}), document.get("_models", {})
        for name, embedding in embeddings.items():
            if name in self.session.embeddings:
                continue  # a model file's vectors, re-read with it just now: keep one copy
            self.session.add_embedding(name, embedding, make_current=False, origin=origins.get(name),
                                       model=models.get(name))
        if current in self.session.embeddings:
            self._pending_coords = document.get("map_coords")
            self.session.set_current(current)
        self.map_page.restore(view)
        files = document.get("_files", {})
        for name, workflow in self.workflows.items():
            workflow.restore_state(view, files.get(name))
        self.statusBar().showMessage(f"session opened: {count(len(embeddings), 'embedding')}")
        if document.get("_outside"):
            self._offer_outside(document["_outside"])

    def _offer_outside(self, outside: list) -> None:
        """The session's datasets outside its folder: opened only if the user says so."""
        listed = "\n".join(f"  {path}" for path, _ in outside[:20]) + ("\n  …" if len(outside) > 20 else "")
        box = QMessageBox(QMessageBox.Icon.Question, "EmbedStudio",
                          f"This session refers to these files outside its folder:\n{listed}\n\nOpen them?",
                          parent=self)
        box.addButton("Open them", QMessageBox.ButtonRole.AcceptRole).clicked.connect(
            lambda: self._load([p for p, _ in outside], [k for _, k in outside]))
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        box.setModal(False)
        box.show()
        self.outside_offer = box

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event) -> None:  # noqa: N802
        self.worker.cancel()
        self.recovery.close()
        self.settings.setValue("window/geometry", self.saveGeometry())
        super().closeEvent(event)
