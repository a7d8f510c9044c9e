"""The main window: drop a file, train, watch the loss and the map, ask for neighbours."""

from __future__ import annotations

import json
import os
import platform
import threading
import time

import numpy as np
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QBuffer, QIODevice, QRect, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (QComboBox, QDockWidget, QFileDialog, QHBoxLayout, QInputDialog, QLabel, QLineEdit,
                               QListWidget, QMainWindow, QMessageBox, QProgressBar, QPushButton, QTabWidget,
                               QVBoxLayout, QWidget)

from embedstudio import __version__
from embedstudio.analysis.projection import align_to, pca
from embedstudio.app.docks.bias import BiasPanel
from embedstudio.app.docks.extrinsic import ExtrinsicPanel
from embedstudio.app.docks.linkpred import LinkPredictionPanel
from embedstudio.app.docks.neighbors import NeighborsPanel
from embedstudio.app.docks.projection import ProjectionPanel
from embedstudio.app.docks.starspace import SpacePanel
from embedstudio.app.docks.training import TrainingPanel
from embedstudio.app.session import Session, describe, read_session, save_session
from embedstudio.app.views.loss_view import LossView
from embedstudio.app.views.disk_view import DiskView
from embedstudio.app.views.map_view import MapView
from embedstudio.app.welcome import WelcomePage
from embedstudio.app.workers import Worker
from embedstudio.config import ConfigError
from embedstudio.train.graph import GraphConfig
from embedstudio.train.poincare import PoincareConfig
from embedstudio.train.starspace import StarSpaceConfig
from embedstudio.data.errors import DataFormatError
from embedstudio.storage import atomic_write

SNAPSHOT_EVERY_S = 2.0
GRAPH_MODEL_FILE = "graph-model.esgraph"  # a session's graph model (vectors + relation operators)
SPACE_MODEL_FILE = "space-model.esspace"  # a session's StarSpace model (words, labels or items, bigram rows)
MAX_RECENT = 10
CHECKPOINT_CHOICES = ((0, "Off"), (1, "Every minute"), (5, "Every 5 minutes"), (15, "Every 15 minutes"),
                      (60, "Every hour"))
DEFAULT_CHECKPOINT_MINUTES = 5


def _model_kind(path: str) -> str | None:
    """EmbedStudio's own model files, known by their extension (their loaders check the content)."""
    return {".esgraph": "graph-model", ".esspace": "space-model"}.get(os.path.splitext(path)[1].lower())


def session_folder(path: str) -> str | None:
    """The session folder a path names: the folder itself or its session.json (File ▸ Save Session writes both)."""
    from embedstudio.app.session import SESSION_FILE

    if os.path.isdir(path) and os.path.isfile(os.path.join(path, SESSION_FILE)):
        return path
    if os.path.basename(path) == SESSION_FILE and os.path.isfile(path):
        return os.path.dirname(os.path.abspath(path))
    return None


def _read_session_folder(folder: str):
    """A session folder's document and embeddings, with its graph and StarSpace models; every problem
    (with any of its files) is a DataFormatError."""
    from embedstudio.graphmodel import GraphModel
    from embedstudio.starspacemodel import SpaceModel

    document, embeddings = read_session(folder)
    view = document.get("view") if isinstance(document.get("view"), dict) else {}
    graph_name = view.get("graph_model")
    model_path = os.path.join(folder, GRAPH_MODEL_FILE)  # a fixed name inside the session folder
    if isinstance(graph_name, str) and graph_name in embeddings and os.path.isfile(model_path):
        model = GraphModel.load(model_path)
        embeddings[graph_name] = model.embedding  # one object: the map and the Links panel agree
        document["_graph_model"] = model
    space_name = view.get("space_model")
    space_path = os.path.join(folder, SPACE_MODEL_FILE)
    if isinstance(space_name, str) and space_name in embeddings and os.path.isfile(space_path):
        document["_space_model"] = (space_name, SpaceModel.load(space_path))
    return document, embeddings


def load_paths(paths: list[str], min_count: int = 5, kinds: list[str | None] | None = None):
    """Worker job: read each file; yields ("loaded", Dataset, map coords) or ("error", message).

    A kind of None is sniffed; "hierarchy" and "user-items" must be asked for (a two-column edge list
    looks like either)."""
    from embedstudio.data.corpus import read_corpus
    from embedstudio.data.edgelist import read_edgelist
    from embedstudio.data.hierarchy import read_hierarchy
    from embedstudio.data.labelled import read_labelled, read_user_items
    from embedstudio.data.sniff import detect
    from embedstudio.data.vectors_io import read_vectors

    for path, kind in zip(paths, kinds or [None] * len(paths)):
        try:
            kind = kind or _model_kind(path) or detect(path)
            if kind == "graph-model":
                from embedstudio.graphmodel import GraphModel

                data = GraphModel.load(path)  # handled like a PyTorch-BigGraph checkpoint: explore, predict links
            elif kind == "space-model":
                from embedstudio.starspacemodel import SpaceModel

                data = SpaceModel.load(path)
            elif kind == "hierarchy":
                data = read_hierarchy(path)
            elif kind == "corpus":
                data = read_corpus(path, min_count=min_count)
            elif kind == "edgelist":
                data = read_edgelist(path)
            elif kind == "labelled":
                data = read_labelled(path)
            elif kind == "user-items":
                data = read_user_items(path)
            elif kind == "pbg-checkpoint":
                from embedstudio.data.pbg import import_pbg

                data = import_pbg(path)  # a GraphModel: its vectors are explored, its relations score links
            else:
                data = read_vectors(path, format=kind)
        except DataFormatError as e:
            yield ("error", str(e))
            continue
        except OSError as e:
            yield ("error", f"{path}: {e.strerror or e}")
            continue
        dataset = describe(path, kind, data)
        model_kinds = ("pbg-checkpoint", "graph-model")
        vectors = data.embedding.vectors if kind in model_kinds else getattr(data, "vectors", None)
        if kind == "space-model":
            vectors = None  # its embedding is made (words and labels, no bigram rows) when it is added
        coords = pca(vectors)[0] if vectors is not None and (dataset.is_vectors or kind in model_kinds) and \
            len(vectors) else None
        yield ("loaded", dataset, coords)


class CheckpointMailbox:
    """The GUI thread asks for a checkpoint; the training job saves it at its next step. It also saves one
    every ``auto_every_s`` to ``auto_path`` (the last good state, should the run diverge or the app die),
    and hands a run the checkpoint to resume from (``resume``, taken once)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._requested: str | None = None
        self.saved: str | None = None
        self.auto_path: str | None = None
        self.auto_every_s = 300.0
        self.auto_saved: str | None = None
        self._last_auto = 0.0
        self.resume = None

    def begin_run(self, auto_path: str | None, every_s: float) -> None:
        with self._lock:
            self.auto_path, self.auto_every_s, self.auto_saved = auto_path, every_s, None
            self._last_auto = time.monotonic()

    def take_resume(self):
        with self._lock:
            ckpt, self.resume = self.resume, None
            return ckpt

    def request(self, path: str) -> None:
        with self._lock:
            self._requested = path

    def take(self) -> str | None:
        with self._lock:
            path, self._requested = self._requested, None
            return path

    def serve(self, trainer) -> None:
        """Save a requested checkpoint now: called between two chunks, where the arrays are consistent."""
        path = self.take()
        if path:
            trainer.checkpoint().save(path)
            self.saved = path
        if self.auto_path and self.auto_every_s > 0 and time.monotonic() - self._last_auto >= self.auto_every_s:
            os.makedirs(os.path.dirname(self.auto_path), exist_ok=True)
            trainer.checkpoint().save(self.auto_path)  # refuses a non-finite state: the last good one stays
            self.auto_saved = self.auto_path
            self._last_auto = time.monotonic()


class AlignedPCA:
    """Map coordinates of successive snapshots, each rotated onto the previous so points move, not flip."""

    def __init__(self):
        self.previous = None

    def __call__(self, vectors) -> np.ndarray:
        coords = pca(vectors)[0]
        if self.previous is not None:
            coords = align_to(self.previous, coords)
        self.previous = coords
        return coords


def live_training(trainer, data, mailbox: CheckpointMailbox, layout=None):
    """The loop every training job shares: resume if asked, serve checkpoints between steps, and yield
    (progress, the snapshot's map coordinates — or its raw vectors without ``layout`` — or None)."""
    for p in trainer.fit(data, resume=mailbox.take_resume(), snapshot_every_s=SNAPSHOT_EVERY_S):
        mailbox.serve(trainer)
        if p.snapshot is None:
            yield p, None
        else:
            yield p, layout(p.snapshot.vectors) if layout is not None else p.snapshot.vectors


def train_job(mailbox: CheckpointMailbox, dataset, cfg):
    """Worker job: word2vec on a corpus; yields (progress, snapshot coords or None); returns (embedding, coords)."""
    from embedstudio.data.corpus import read_corpus
    from embedstudio.train.word2vec import Word2VecTrainer

    corpus = dataset.data
    if corpus.min_count != cfg.min_count or corpus.max_vocab != cfg.max_vocab:
        corpus = read_corpus(dataset.path, min_count=cfg.min_count, max_vocab=cfg.max_vocab, options=corpus.options)
    trainer = Word2VecTrainer(cfg)
    layout = AlignedPCA()
    yield from live_training(trainer, corpus, mailbox, layout)
    embedding = trainer.embedding()
    return embedding, layout(embedding.vectors)


def render_view(view, fmt: str, width: int = 2000) -> bytes:
    """A plot widget as PNG bytes (``width`` pixels wide) or SVG bytes (vector)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if fmt == "svg":
        generator = QSvgGenerator()
        generator.setOutputDevice(buffer)
        generator.setSize(view.size())
        generator.setViewBox(QRect(0, 0, view.width(), view.height()))
        generator.setTitle("EmbedStudio")
        painter = QPainter(generator)
        view.render(painter)
        painter.end()
    else:
        import pyqtgraph.exporters as exporters

        exporter = exporters.ImageExporter(view.getPlotItem())
        exporter.parameters()["width"] = int(width)
        image = exporter.export(toBytes=True)
        if not image.save(buffer, "PNG"):
            raise ValueError("the image could not be encoded as PNG")
    return bytes(buffer.data())


def graph_job(mailbox: CheckpointMailbox, dataset, cfg, test_fraction: float = 0.05):
    """Worker job: graph embeddings; yields (progress, snapshot coords or None); returns
    (GraphModel, coords, link-prediction result on held-out edges or None, training edges)."""
    from embedstudio.analysis.linkpred import evaluate_link_prediction
    from embedstudio.data.edgelist import split_edges
    from embedstudio.train.graph import GraphTrainer

    graph = dataset.data
    split = split_edges(graph, valid=0.0, test=test_fraction, seed=cfg.seed) if graph.n_edges >= 200 else None
    trainer = GraphTrainer(cfg)
    layout = AlignedPCA()
    try:
        yield from live_training(trainer, (graph, split.train) if split is not None else graph, mailbox, layout)
        model = trainer.model()
        model.info["embedding_bytes_in_memory"] = trainer.peak_partition_bytes
    finally:
        trainer.close()
    result = None
    if split is not None and len(split.test):
        result = evaluate_link_prediction(model, split.test, graph.edges, max_edges=2000, seed=cfg.seed)
    return model, layout(model.embedding.vectors), result, (split.train if split is not None else graph.edges)


def poincare_job(mailbox: CheckpointMailbox, dataset, cfg):
    """Worker job: Poincaré embeddings of a hierarchy; yields (progress, snapshot vectors or None)."""
    from embedstudio.train.poincare import PoincareTrainer

    trainer = PoincareTrainer(cfg)
    yield from live_training(trainer, dataset.data, mailbox)
    return trainer.embedding()


def starspace_job(mailbox: CheckpointMailbox, dataset, cfg, test_fraction: float = 0.1):
    """Worker job: TagSpace or PageSpace; yields (progress, snapshot coords or None); returns
    (SpaceModel, coords, held-out metrics or None, popularity baseline or None, training data)."""
    from embedstudio.analysis.tagging import evaluate_recommendations, evaluate_tags, popularity_recommendations
    from embedstudio.data.labelled import hold_out_items, split_docs
    from embedstudio.train.starspace import StarSpaceTrainer

    data, held, test = dataset.data, None, None
    if cfg.mode == "tagspace" and len(data) >= 50:
        data, _, test = split_docs(data, valid=0.0, test=test_fraction, seed=cfg.seed)
    elif cfg.mode == "pagespace" and len(data) >= 50:
        data, held = hold_out_items(data, share=test_fraction, seed=cfg.seed)
    trainer = StarSpaceTrainer(cfg)
    layout = AlignedPCA()
    yield from live_training(trainer, data, mailbox, layout)
    model = trainer.model()
    scores = baseline = None
    if test is not None and len(test):
        scores = evaluate_tags(model, test, ks=(1, 5, 10))
    if held is not None and len(held):
        scores = evaluate_recommendations(model, data, held, ks=(1, 10))
        baseline = popularity_recommendations(data, held, ks=(1, 10))
    return model, layout(model.vectors), scores, baseline, data


NODE_TYPES = " (entity types)"  # the Extrinsic panel's name for a typed graph: node classification by type


def extrinsic_datasets(datasets) -> dict[str, object]:
    """What the Extrinsic panel can classify: labelled documents, and the nodes of a graph with several entity
    types (each node's type is its label)."""
    out = {d.name: d for d in datasets if d.kind == "labelled"}
    out.update({d.name + NODE_TYPES: d for d in datasets if d.kind == "edgelist" and d.data.n_types > 1})
    return out


def extrinsic_job(data, prefix: str, embeddings: dict, folds: int, model: str, stop: threading.Event):
    """Worker job: the same classifier on each embedding's features (None when stopped): a document's
    averaged word vectors, or for a typed graph a node's own vector, with its entity type as the class."""
    from embedstudio.analysis.extrinsic import compare_embeddings, compare_node_embeddings

    from embedstudio.data.labelled import LabelledDocs

    if not isinstance(data, LabelledDocs):  # a typed graph
        types = [data.type_names[t] for t in data.entity_type]
        return compare_node_embeddings(list(data.names), types, embeddings, folds=folds, seed=0, model=model,
                                       should_stop=stop.is_set)
    rows, labels = data.single_labels(prefix)
    return compare_embeddings([data.tokens(i) for i in rows], labels, embeddings, folds=folds, seed=0, model=model,
                              should_stop=stop.is_set)


def pbg_export_job(graph, folder: str, partitions: int, settings: dict, seed: int) -> str:
    """Worker job: the graph as PyTorch-BigGraph's input layout; returns the config's path."""
    from embedstudio.data.pbg import export_pbg

    return export_pbg(graph, folder, partitions=partitions, config=settings, seed=seed)


def fusion_job(data, prefix: str, media_path: str, text_embedding, folds: int, stop: threading.Event):
    """Worker job: text vectors, media features and both, one MLP on the same folds (None when stopped)."""
    from embedstudio.analysis.fusion import NEEDS_IDS, compare_fusion_docs, read_media_features
    from embedstudio.data.labelled import LabelledDocs

    if not isinstance(data, LabelledDocs) or data.ids is None:  # before reading the media file
        raise ValueError(NEEDS_IDS)
    rows, labels = data.single_labels(prefix)
    return compare_fusion_docs(data, rows, labels, text_embedding, read_media_features(media_path), folds=folds,
                               seed=0, should_stop=stop.is_set)


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None):
        super().__init__()
        self.setWindowTitle("EmbedStudio")
        self.settings = settings or QSettings("EmbedStudio", "EmbedStudio")
        self.session = Session()
        self.autosave = None  # enable_autosave() turns it on
        self._dirty = False
        self._autosave_thread = None
        self.restore_offer = None
        self.session.subscribe(self._on_session_changed_for_autosave)
        self.worker = Worker(self)
        self.errors: list[str] = []
        self.pbg_export_note = ""
        self.checkpoints = CheckpointMailbox()
        self._training = False

        # the map is the centre of the window; a search box sits above it
        centre = QWidget()
        box = QVBoxLayout(centre)
        box.setContentsMargins(4, 4, 4, 4)
        self.search = QLineEdit()
        self.search.setPlaceholderText("search words (regular expression)…")
        self.search.setClearButtonEnabled(True)
        self.search_info = QLabel("")
        box.addWidget(self.search)
        tools = QHBoxLayout()
        tools.addWidget(QLabel("map"))
        self.projection = QComboBox()
        self.projection.addItems(["PCA", "UMAP", "t-SNE", "word axes"])
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
        disk_page = QWidget()
        disk_box = QVBoxLayout(disk_page)
        disk_box.setContentsMargins(4, 4, 4, 4)
        self.disk_note = QLabel("Open a hierarchy (File ▸ Open hierarchy…) and train it in the Poincaré panel. "
                                "Click a node to re-centre the disk on it.")
        self.disk_note.setWordWrap(True)
        self.disk = DiskView()
        disk_tools = QHBoxLayout()
        disk_tools.addWidget(QLabel("colour"))
        self.disk_colour = QComboBox()
        self.disk_colour.addItems(["depth", "subtree"])
        self.disk_colour.setToolTip("depth: the number of ancestors; subtree: the largest child subtrees of the "
                                    "node at the centre (click a node to browse into it)")
        disk_tools.addWidget(self.disk_colour)
        self.disk_legend = QLabel("")
        self.disk_legend.setTextFormat(Qt.TextFormat.RichText)
        self.disk_legend.setWordWrap(True)
        disk_tools.addWidget(self.disk_legend, 1)
        disk_box.addLayout(disk_tools)
        disk_box.addWidget(self.disk_note)
        disk_box.addWidget(self.disk, 1)
        self.views = QTabWidget()
        self.views.addTab(centre, "Map")
        self.views.addTab(disk_page, "Poincaré disk")
        self.welcome = WelcomePage()
        self.views.addTab(self.welcome, "Welcome")
        self.views.setCurrentWidget(self.welcome)  # until something is opened
        self._after_load: dict[str, object] = {}  # path -> what to do once it is loaded (a sample's Start)
        self.setCentralWidget(self.views)

        self.data_list = QListWidget()
        self.training = TrainingPanel()
        self.loss = LossView()
        self.neighbors = NeighborsPanel()
        self.projection_panel = ProjectionPanel()
        self.poincare = TrainingPanel(PoincareConfig, "hierarchy", "File ▸ Open hierarchy…, then Start")
        self.graph = TrainingPanel(GraphConfig, "graph", "Drop an edge list (head, [relation,] tail), then Start")
        self.links = LinkPredictionPanel()
        self.graph_model = None
        self.starspace = TrainingPanel(StarSpaceConfig, "data", "Drop labelled documents (__label__tag words…) or "
                                       "open a user → items list (File ▸ Open user → items…), then Start")
        self.space = SpacePanel()
        self.space_model = None
        self._space_embedding = None
        self.extrinsic = ExtrinsicPanel()
        self._extrinsic_stop = threading.Event()
        self.bias = BiasPanel()
        self.audit_result = None
        self.docks = {}
        for title, widget, area in (("Data", self.data_list, Qt.DockWidgetArea.LeftDockWidgetArea),
                                    ("Training", self.training, Qt.DockWidgetArea.LeftDockWidgetArea),
                                    ("Projection", self.projection_panel, Qt.DockWidgetArea.LeftDockWidgetArea),
                                    ("Poincaré", self.poincare, Qt.DockWidgetArea.LeftDockWidgetArea),
                                    ("Graph", self.graph, Qt.DockWidgetArea.LeftDockWidgetArea),
                                    ("StarSpace", self.starspace, Qt.DockWidgetArea.LeftDockWidgetArea),
                                    ("Links", self.links, Qt.DockWidgetArea.RightDockWidgetArea),
                                    ("Tags", self.space, Qt.DockWidgetArea.RightDockWidgetArea),
                                    ("Extrinsic", self.extrinsic, Qt.DockWidgetArea.RightDockWidgetArea),
                                    ("Bias", self.bias, Qt.DockWidgetArea.RightDockWidgetArea),
                                    ("Neighbours", self.neighbors, Qt.DockWidgetArea.RightDockWidgetArea),
                                    ("Loss", self.loss, Qt.DockWidgetArea.RightDockWidgetArea)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock-{title}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[title] = dock

        self.tabifyDockWidget(self.docks["Training"], self.docks["Projection"])
        self.tabifyDockWidget(self.docks["Projection"], self.docks["Poincaré"])
        self.tabifyDockWidget(self.docks["Poincaré"], self.docks["Graph"])
        self.tabifyDockWidget(self.docks["Graph"], self.docks["StarSpace"])
        self.tabifyDockWidget(self.docks["Neighbours"], self.docks["Links"])
        self.tabifyDockWidget(self.docks["Links"], self.docks["Tags"])
        self.tabifyDockWidget(self.docks["Tags"], self.docks["Extrinsic"])
        self.tabifyDockWidget(self.docks["Extrinsic"], self.docks["Bias"])
        self.docks["Neighbours"].raise_()
        self.docks["Training"].raise_()
        self.resizeDocks([self.docks["Loss"]], [200], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["Data"], self.docks["Training"]], [120, 520], Qt.Orientation.Vertical)
        self._build_menus()
        self.setAcceptDrops(True)
        for view in (self.map, self.loss):  # a QGraphicsView would take the drop on its viewport
            view.setAcceptDrops(False)
            view.viewport().setAcceptDrops(False)

        self.session.subscribe(self._on_session)
        self.search.textChanged.connect(self._on_search)
        self.projection.activated.connect(lambda _i: self.compute_projection(self.projection.currentText()))
        self.projection_panel.compute_requested.connect(self.compute_projection)
        self.projection_panel.cancel.clicked.connect(self.cancel_projection)
        self.select_mode.currentTextChanged.connect(
            lambda t: self.map.set_select_mode({"lasso": "lasso", "rectangle": "rect"}.get(t)))
        self.isolate.clicked.connect(self.map.isolate_selection)
        self.axes_apply.clicked.connect(self.apply_word_axes)
        self.x_axis.returnPressed.connect(self.apply_word_axes)
        self.y_axis.returnPressed.connect(self.apply_word_axes)
        self.show_all.clicked.connect(self.map.show_all)
        self.map.selection_changed.connect(
            lambda rows: self.search_info.setText(f"{len(rows):,} points selected"))
        self.colour.activated.connect(lambda _i: self.apply_colour(self.colour.currentText()))
        self.training.start_requested.connect(self.start_training)
        self.training.pause_requested.connect(self.toggle_pause)
        self.training.cancel_requested.connect(self.cancel_training)
        self.training.checkpoint_requested.connect(self._ask_checkpoint)
        self.poincare.start_requested.connect(self.start_poincare)
        self.poincare.pause_requested.connect(self.toggle_pause)
        self.poincare.cancel_requested.connect(self.cancel_training)
        self.poincare.checkpoint_requested.connect(self._ask_checkpoint)
        self.graph.start_requested.connect(self.start_graph)
        self.graph.pause_requested.connect(self.toggle_pause)
        self.graph.cancel_requested.connect(self.cancel_training)
        self.graph.checkpoint_requested.connect(self._ask_checkpoint)
        self.links.entity_chosen.connect(self.select_word)
        self.starspace.start_requested.connect(self.start_starspace)
        self.starspace.pause_requested.connect(self.toggle_pause)
        self.starspace.cancel_requested.connect(self.cancel_training)
        self.starspace.checkpoint_requested.connect(self._ask_checkpoint)
        self.space.name_chosen.connect(self.select_word)
        self.extrinsic.run_requested.connect(self.run_extrinsic)
        self.extrinsic.cancel_requested.connect(self.cancel_extrinsic)
        self.extrinsic.media_requested.connect(self._choose_media_dialog)
        self.bias.audit_requested.connect(self.run_bias_audit)
        self.bias.export_requested.connect(self._ask_audit_report)
        self.disk_colour.currentTextChanged.connect(self.colour_disk)
        self.disk.node_clicked.connect(lambda _row: self._show_disk_legend())
        self.neighbors.word_chosen.connect(self.select_word)
        self.welcome.sample_requested.connect(self.open_sample)
        self.map.point_clicked.connect(self._on_point_clicked)
        self.worker.busy_changed.connect(self._on_busy)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # an indeterminate "working" bar
        self.busy.setMaximumWidth(160)
        self.busy.hide()
        self.statusBar().addPermanentWidget(self.busy)
        self.statusBar().showMessage("Drop a text corpus or a vectors file anywhere on the window")
        # the docks were stacked before they were tabified: recompute the window's minimum from the final
        # layout, or it keeps the stacked height (1,690 px) and the window cannot be made smaller
        self.layout().invalidate()
        self.layout().activate()
        self.resize(1280, 800)
        self._restore_training_options()
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    # ------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        def add(menu, text, slot, shortcut=None):
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)

        keys = QKeySequence.StandardKey
        file_menu = self.menuBar().addMenu("&File")
        add(file_menu, "&Open…", self._open_dialog, keys.Open)
        add(file_menu, "Open &hierarchy…", self._open_hierarchy_dialog)
        add(file_menu, "Open &user → items…", self._open_user_items_dialog)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self._fill_recent()
        add(file_menu, "&Save Session…", self._save_session_dialog, keys.Save)
        add(file_menu, "Open Sess&ion…", self._open_session_dialog)
        add(file_menu, "Restore &autosave", self.restore_autosave)
        add(file_menu, "Resume &training from checkpoint…", self._resume_dialog)
        self._build_checkpoint_menu(file_menu.addMenu("Automatic &checkpoints"))
        file_menu.addSeparator()
        add(file_menu, "&Export vectors…", self._export_dialog)
        add(file_menu, "Export map &image…", lambda: self._export_view_dialog(self.map, "map"))
        add(file_menu, "Export &loss curve image…", lambda: self._export_view_dialog(self.loss, "loss"))
        add(file_menu, "Export Poincaré &disk image…", lambda: self._export_view_dialog(self.disk, "disk"))
        add(file_menu, "Export map &coordinates…", self._export_coords_dialog)
        add(file_menu, "Export graph for &PyTorch-BigGraph…", self._export_pbg_dialog)
        file_menu.addSeparator()
        add(file_menu, "&Quit", self.close, keys.Quit)
        view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        tools_menu = self.menuBar().addMenu("&Tools")
        add(tools_menu, "&Evaluate (analogies)", lambda: self.evaluate())
        add(tools_menu, "Evaluate with a &similarity file…", self._evaluate_dialog)
        add(tools_menu, "&Bias audit…", self.show_bias_panel)
        add(tools_menu, "&Link prediction…", lambda: self.docks["Links"].raise_())
        add(tools_menu, "E&xtrinsic evaluation…", self.show_extrinsic_panel)
        help_menu = self.menuBar().addMenu("&Help")
        add(help_menu, "&About EmbedStudio", self._about)

    def _build_checkpoint_menu(self, menu) -> None:
        """How often a running training saves itself to the state folder (File ▸ Resume training)."""
        group = QActionGroup(self)
        current = self.checkpoint_minutes()
        self.checkpoint_actions: dict[int, QAction] = {}
        for minutes, text in CHECKPOINT_CHOICES:
            action = QAction(text, self, checkable=True)
            action.setChecked(minutes == current)
            action.triggered.connect(lambda _=False, m=minutes: self.settings.setValue("training/checkpoint_minutes", m))
            group.addAction(action)
            menu.addAction(action)
            self.checkpoint_actions[minutes] = action

    def checkpoint_minutes(self) -> int:
        """The chosen interval of automatic checkpoints in minutes (0: off)."""
        try:
            minutes = int(self.settings.value("training/checkpoint_minutes", DEFAULT_CHECKPOINT_MINUTES))
        except (TypeError, ValueError):
            return DEFAULT_CHECKPOINT_MINUTES
        return minutes if minutes in dict(CHECKPOINT_CHOICES) else DEFAULT_CHECKPOINT_MINUTES

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

    def _open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open a corpus or vectors")
        if paths:
            self.open_paths(paths)

    def _open_hierarchy_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a hierarchy (child<TAB>parent per line)")
        if path:
            self.open_hierarchy(path)

    def open_hierarchy(self, path: str) -> None:
        if self._training:
            self.show_error("Training is running: cancel it or let it finish before opening more files")
            return
        self.worker.start("open", load_paths, [path], kinds=["hierarchy"], on_progress=self._on_loaded,
                          on_failed=lambda message, _detail: self.show_error(message))

    def _open_user_items_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a user → items list (user item item … or user item pairs)")
        if path:
            self.open_user_items(path)

    def open_user_items(self, path: str) -> None:
        """A user -> items list for PageSpace (a file of pairs would otherwise open as a graph)."""
        self.worker.start("open", load_paths, [path], kinds=["user-items"], on_progress=self._on_loaded,
                          on_failed=lambda message, _detail: self.show_error(message))

    # ------------------------------------------------------------------ autosave
    def enable_autosave(self, interval_s: float | None = None) -> bool:
        """Start autosaving (the real app does; tests opt in). Returns True when the previous run crashed:
        the window then offers to restore its last autosave."""
        from embedstudio.app import autosave

        self.autosave = autosave.Autosave()
        crashed = self.autosave.start()
        interval = autosave.interval_s() if interval_s is None else interval_s
        if interval > 0:
            self._autosave_timer = QTimer(self)
            self._autosave_timer.timeout.connect(self.autosave_now)
            self._autosave_timer.start(int(interval * 1000))
        if crashed:
            self._offer_restore()
        return crashed

    def _offer_restore(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "EmbedStudio",
                          "EmbedStudio did not quit normally last time. Restore the session it was autosaving?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setModal(False)
        box.button(QMessageBox.StandardButton.Yes).setText("Restore")
        box.button(QMessageBox.StandardButton.No).setText("Start afresh")
        box.accepted.connect(self.restore_autosave)
        box.show()
        self.restore_offer = box

    def restore_autosave(self) -> None:
        if self.autosave is None:
            from embedstudio.app.autosave import Autosave

            self.autosave = Autosave()
        if self.autosave.newest() is None:
            self.show_error("There is no autosave to restore")
            return
        self.open_session(None, autosave=self.autosave)

    def _on_session_changed_for_autosave(self, event: str) -> None:
        if event in ("datasets", "embeddings", "current"):
            self._dirty = True

    def autosave_now(self, wait: bool = False) -> threading.Thread | None:
        """Save the session into the autosave slot in a background thread (``wait``: in this one), if
        anything changed since the last autosave and no autosave is still writing."""
        if self.autosave is None or not self._dirty or not (self.session.datasets or self.session.embeddings):
            return None
        if self._autosave_thread is not None and self._autosave_thread.is_alive():
            if not wait:
                return None
            self._autosave_thread.join()
        write = self._session_writer()
        self._dirty = False

        def run():
            try:
                self.autosave.save(write)
            except OSError as e:  # a full disk must not take the window down; the next autosave retries
                self._dirty = True
                import logging

                logging.getLogger("embedstudio").warning("autosave failed: %s", e)

        if wait:
            run()
            return None
        self._autosave_thread = threading.Thread(target=run, name="autosave", daemon=True)
        self._autosave_thread.start()
        return self._autosave_thread

    def warm_up(self) -> None:
        """At start-up, on the worker: make the training kernels ready (compiled by numba on the very first
        start, loaded from its cache after), with a message, so a first Start does not sit in the compiler."""
        from embedstudio.train.warmup import prepare_kernel_steps

        message = "preparing the training kernels (compiled on the first start only, then cached)…"
        self.statusBar().showMessage(message)
        self.welcome.status.setText(message)

        def job():  # a generator: opening a file stops it between two trainers instead of waiting for all
            started = time.perf_counter()
            for step in prepare_kernel_steps():
                yield step
            return time.perf_counter() - started

        def done(seconds):
            text = f"ready: the training kernels took {seconds:.1f} s to prepare"
            self.welcome.status.setText(text)
            self.statusBar().showMessage(text, 5000)

        self.worker.start("warm-up", job, on_finished=done, on_cancelled=lambda: self.welcome.status.setText(""),
                          on_failed=lambda message, _detail: self.welcome.status.setText(message))

    def open_sample(self, key: str) -> None:
        """A welcome-page sample: open it, then train it (or audit it) with one click."""
        from embedstudio.resources import resource

        files = {"corpus": ("sample", "sotu.txt.gz"), "hierarchy": ("sample", "mammal_closure.tsv"),
                 "graph": ("sample", "mammal_relations.tsv"), "vectors": ("sample", "sotu-vectors.vec.gz")}
        path = str(resource(*files[key]))
        if not os.path.exists(path):
            self.show_error(f"the bundled sample {path} is missing from this installation")
            return
        self.welcome.status.setText(f"opening {os.path.basename(path)}…")

        def select(panel, dataset):
            panel.corpus.setCurrentText(dataset.name)

        actions = {
            "corpus": lambda d: (select(self.training, d), self.docks["Training"].raise_(), self.start_training()),
            "hierarchy": lambda d: (select(self.poincare, d), self.docks["Poincaré"].raise_(), self.start_poincare()),
            "graph": lambda d: (select(self.graph, d), self.docks["Graph"].raise_(), self.start_graph()),
            "vectors": lambda d: (self.show_bias_panel(), self.run_bias_audit()),
        }
        self._after_load[os.path.normpath(path)] = actions[key]
        if key == "hierarchy":
            self.open_hierarchy(path)
        else:
            self.open_paths([path])

    def _export_dialog(self) -> None:
        emb = self.session.embedding
        if emb is None:
            self.show_error("There are no vectors to export yet: open or train some first")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export vectors", "vectors.bin",
                                              "word2vec binary (*.bin);;word2vec text (*.txt);;fastText (*.vec);;"
                                              "Projector TSV (*.tsv);;EmbedStudio (*.npz)")
        if path:
            self.export_vectors(path)

    def _export_pbg_dialog(self) -> None:
        graphs = self.session.graphs()
        if not graphs:
            self.show_error("Open an edge list first (head, relation, tail): it is the graph PyTorch-BigGraph will train")
            return
        folder = QFileDialog.getExistingDirectory(self, "Folder for PyTorch-BigGraph's input (and its checkpoints)")
        if not folder:
            return
        partitions, ok = QInputDialog.getInt(self, "Partitions", "entity partitions (N × N edge buckets; a cluster "
                                             "trains disjoint buckets at once)", 4, 1, 256)
        if ok:
            chosen = [d for d in graphs if d.name == self.graph.corpus.currentText()] or graphs
            self.export_pbg(chosen[0], folder, partitions)

    def export_pbg(self, dataset, folder: str, partitions: int) -> None:
        """Write ``dataset`` (a graph) for PyTorch-BigGraph's distributed trainer, with the Graph panel's
        training settings in its config; the checkpoint it writes opens here afterwards."""
        from embedstudio.data.pbg import pbg_settings

        if self._training:
            self.show_error("Training is running: let it finish before exporting")
            return
        try:
            cfg = self.graph.form.config()
        except ConfigError as e:
            self.show_error(f"The Graph panel's settings go into PBG's config: {e}")
            return
        settings, left_out = pbg_settings(cfg)
        graph = dataset.data
        resumes = os.path.isdir(os.path.join(folder, "checkpoints"))  # before PBG makes it: PBG resumes from one

        def done(config_path: str) -> None:
            note = f" (not carried over: {'; '.join(left_out)})" if left_out else ""
            if resumes:
                note += (". The folder's checkpoints/ was kept: PBG will resume from it (delete it, or choose an "
                         "empty folder, to train anew)")
            self.pbg_export_note = (
                f"Wrote PyTorch-BigGraph input for {graph.n_entities:,} entities and {graph.n_edges:,} edges in "
                f"{partitions}×{partitions} buckets with the Graph panel's settings{note}. Train it with "
                f"torchbiggraph_train {config_path} (or torchbiggraph_train on each machine of a cluster), then "
                f"open {folder} here to explore and score its checkpoint.")
            self.statusBar().showMessage(self.pbg_export_note)
            self.graph.status.setText(self.pbg_export_note)

        self.worker.start("PyTorch-BigGraph export", pbg_export_job, graph, folder, partitions, settings, cfg.seed,
                          on_finished=done, on_failed=lambda message, _detail: self.show_error(message))

    def _export_view_dialog(self, view, name: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Export the {name}", f"{name}.png", "PNG (*.png);;SVG (*.svg)")
        if not path:
            return
        width = 2000
        if not path.lower().endswith(".svg"):
            width, ok = QInputDialog.getInt(self, "Image size", "width in pixels (300 dpi x 6.7 in = 2000)",
                                            2000, 200, 20000, 100)
            if not ok:
                return
        self.export_image(view, path, width)

    def export_image(self, view, path: str, width: int = 2000) -> None:
        """PNG at ``width`` pixels, or SVG by Qt's own SVG painter (pyqtgraph 0.14's SVG exporter
        fails on current Qt's path syntax); written atomically."""
        try:
            with atomic_write(path) as f:
                f.write(render_view(view, "svg" if path.lower().endswith(".svg") else "png", width))
        except (OSError, ValueError) as e:
            self.show_error(f"Could not export to {path}: {e}")
            return
        self.statusBar().showMessage(f"exported {path}")

    def _export_coords_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export map coordinates", "map.csv", "CSV (*.csv);;TSV (*.tsv)")
        if path:
            try:
                self.map.export_coordinates(path)
            except OSError as e:
                self.show_error(f"Could not export to {path}: {e}")

    def export_vectors(self, path: str, fmt: str | None = None) -> None:
        from embedstudio.data.vectors_io import format_for_path, write_vectors

        try:
            write_vectors(self.session.embedding, path, format_for_path(path, fmt))
        except (OSError, ValueError) as e:
            self.show_error(f"Could not export to {path}: {e}")
            return
        self.statusBar().showMessage(f"exported {len(self.session.embedding):,} vectors to {path}")

    def _about(self) -> None:
        import numba
        import pyqtgraph

        QMessageBox.about(self, "About EmbedStudio",
                          f"<b>EmbedStudio {__version__}</b><br>Train, explore and audit embeddings.<br><br>"
                          f"Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
                          f"PySide6 {pyside_version}, pyqtgraph {pyqtgraph.__version__}")

    # ------------------------------------------------------------------ evaluation
    def _evaluate_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Word-similarity files (WordSim353, SimLex-999 style)")
        if paths:
            self.evaluate(paths)

    def evaluate(self, similarity_files: list[str] = (), restrict_vocab: int = 30000) -> None:
        """Bundled Google analogies plus any similarity files, on the worker; results in a table."""
        emb = self.session.embedding
        if emb is None:
            self.show_error("Open or train vectors first")
            return
        from embedstudio.analysis.evaluate import evaluate_analogies, evaluate_similarity
        from embedstudio.resources import resource

        def job():
            analogy = evaluate_analogies(emb, str(resource("eval", "questions-words.txt")), restrict_vocab=restrict_vocab)
            sims = [(os.path.basename(p), evaluate_similarity(emb, p)) for p in similarity_files]
            return analogy, sims

        self.statusBar().showMessage("evaluating…")
        self.worker.start("evaluation", job, on_finished=self._show_evaluation,
                          on_failed=lambda message, _d: self.show_error(message))

    def _show_evaluation(self, result) -> None:
        from embedstudio.app.docks.evaluation import EvaluationDialog, evaluation_rows

        analogy, sims = result
        self.last_evaluation = result
        self.evaluation_dialog = EvaluationDialog(self.session.current or "vectors", evaluation_rows(analogy, sims), self)
        self.evaluation_dialog.show()
        self.statusBar().showMessage(f"analogy accuracy {100 * analogy.accuracy:.1f}% "
                                     f"({100 * analogy.coverage:.0f}% of questions answerable)")

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
            self._session_writer()(folder)
        except OSError as e:
            self.show_error(f"Could not save the session in {folder}: {e}")
            return
        self.statusBar().showMessage(f"session saved in {folder}")

    def _session_writer(self):
        """``write(folder)`` saving the session as it is now (taken in the GUI thread; the writing may run in
        another: embeddings are never changed in place, and the lists are copied here)."""
        view = {"search": self.search.text(), "projection": self.projection.currentText(),
                "colour": self.colour.currentText(), "x_axis": self.x_axis.text(), "y_axis": self.y_axis.text(),
                "bias": self.bias.state()}
        graph = self._graph_model_name()
        if graph is not None:  # the relation operators too, so link prediction survives the session
            view["graph_model"] = graph
        space = next((name for name, emb in self.session.embeddings.items()
                      if self.space_model is not None and emb is self._space_embedding), None)
        if space is not None:  # the whole model, so tag prediction and recommendations survive too
            view["space_model"] = space
        snapshot = Session()
        snapshot.datasets = list(self.session.datasets)
        snapshot.embeddings = dict(self.session.embeddings)
        snapshot.current = self.session.current
        coords = self.map.coords.copy() if self.session.embedding is not None else None
        graph_model, space_model = self.graph_model, self.space_model

        def write(folder: str) -> None:
            save_session(snapshot, folder, view=view, map_coords=coords)
            if graph is not None:
                graph_model.save(os.path.join(folder, GRAPH_MODEL_FILE))
            if space is not None:
                space_model.save(os.path.join(folder, SPACE_MODEL_FILE))

        return write

    def _graph_model_name(self) -> str | None:
        """The session's name of the graph model's embedding, if the model belongs to this session."""
        if self.graph_model is None:
            return None
        return next((name for name, emb in self.session.embeddings.items() if emb is self.graph_model.embedding), None)

    def open_session(self, folder: str | None, autosave=None) -> None:
        """Open a saved session folder; or, with ``autosave`` (an Autosave), its newest readable slot."""
        def job():
            problems = []
            if autosave is not None:
                _slot, (document, embeddings), problems = autosave.restore(_read_session_folder)
            else:
                document, embeddings = _read_session_folder(folder)
            document["_problems"] = problems
            # corpora are re-read from where they were; a missing one is reported, not fatal
            entries = [d for d in document.get("datasets", []) if isinstance(d, dict) and "path" in d]
            yield from load_paths([str(d["path"]) for d in entries],
                                  kinds=[d.get("kind") if d.get("kind") in ("hierarchy", "user-items") else None
                                         for d in entries])
            return document, embeddings

        self.session.clear()
        self.worker.start("open session", job, on_progress=self._on_loaded, on_finished=self._on_session_read,
                          on_failed=lambda message, _detail: self.show_error(message))

    def _on_session_read(self, result) -> None:
        document, embeddings = result
        for problem in document.get("_problems", []):
            self.show_error(f"The newest autosave could not be read ({problem}); the one before it was restored.")
        current = document.get("current")
        view = document.get("view", {}) if isinstance(document.get("view"), dict) else {}
        model_files = {d.name for d in self.session.datasets if d.kind in ("graph-model", "space-model", "pbg-checkpoint")}
        for name, embedding in embeddings.items():
            if name in model_files and name in self.session.embeddings:
                continue  # re-read from its model file just now: the same vectors, keep one copy
            self.session.add_embedding(name, embedding, make_current=False)
        if current in self.session.embeddings:
            self._pending_coords = document.get("map_coords")
            self.session.set_current(current)
        self.x_axis.setText(str(view.get("x_axis", self.x_axis.text())))
        self.y_axis.setText(str(view.get("y_axis", "")))
        if view.get("projection") in ("PCA", "UMAP", "t-SNE", "word axes"):
            self.projection.setCurrentText(view["projection"])
            self.axes_row.setVisible(view["projection"] == "word axes")
        if view.get("colour") and self.colour.findText(view["colour"]) >= 0:
            self.colour.setCurrentText(view["colour"])
            self.apply_colour(view["colour"])
        self.search.setText(str(view.get("search", "")))
        self.bias.restore(view.get("bias"))
        model = document.get("_graph_model")
        if model is not None:
            self.graph_model = model
            self.links.set_model(model, summary=f"{len(model.embedding):,} entities, {model.n_relations} relations "
                                                f"({model.operator}, {model.comparator}), from the session")
        if document.get("_space_model") is not None:
            name, space = document["_space_model"]
            self.space_model, self._space_embedding = space, self.session.embeddings[name]
            users = next((d.data for d in self.session.datasets if d.kind == "user-items"), None)
            self.space.set_model(space, users if space.mode == "pagespace" else None,
                                 f"{space.mode}: {len(space.labels):,} {'labels' if space.mode == 'tagspace' else 'items'}, "
                                 "from the session")
        self.statusBar().showMessage(f"session opened: {len(embeddings)} embeddings")

    # ------------------------------------------------------------------ opening files
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    def open_paths(self, paths: list[str]) -> None:
        if self._training:
            self.show_error("Training is running: cancel it or let it finish before opening more files")
            return
        sessions = [p for p in paths if session_folder(p)]
        if sessions:  # a saved session replaces what is open; other paths in the same drop are ignored
            self.open_session(session_folder(sessions[0]))
            return
        self.statusBar().showMessage(f"reading {', '.join(os.path.basename(p) for p in paths)}…")
        self.worker.start("open", load_paths, list(paths), on_progress=self._on_loaded,
                          on_failed=lambda message, _detail: self.show_error(message))

    def _on_loaded(self, item) -> None:
        if item[0] == "error":
            self.show_error(item[1])
            return
        _, dataset, coords = item
        self._remember(dataset.path)
        self._pending_coords = coords
        self.session.add_dataset(dataset)
        if dataset.kind == "space-model":
            model = dataset.data
            self.space_model, self._space_embedding = model, model.embedding()
            self.session.add_embedding(dataset.name, self._space_embedding)
            self.space.set_model(model, None, f"{model.mode} model {dataset.name}: {len(model.labels):,} "
                                 f"{'labels' if model.mode == 'tagspace' else 'items'}")
            self.docks["Tags"].raise_()
        if dataset.kind in ("pbg-checkpoint", "graph-model"):  # a graph model: explore and predict links
            self.graph_model = dataset.data
            self.session.add_embedding(dataset.name, dataset.data.embedding)
            if len(dataset.data.type_names) > 1:
                self.colour.setCurrentText("type")
                self.apply_colour("type")
            what = "PyTorch-BigGraph checkpoint" if dataset.kind == "pbg-checkpoint" else "graph model"
            self.links.set_model(dataset.data, summary=f"{what} {dataset.name}: "
                                 f"{len(dataset.data.embedding):,} entities, {dataset.data.n_relations} relations "
                                 f"({dataset.data.operator}, {dataset.data.comparator})")
            self.docks["Links"].raise_()
        stats = ", ".join(f"{v:,} {k}" for k, v in dataset.stats.items() if isinstance(v, int))
        self.statusBar().showMessage(f"opened {dataset.name} ({dataset.kind}): {stats}")
        if self.views.currentWidget() is self.welcome:
            self.views.setCurrentIndex(1 if dataset.kind == "hierarchy" else 0)
        then = self._after_load.pop(os.path.normpath(dataset.path), None)
        if then is not None:  # after this job has delivered its result, so the next job starts cleanly
            QTimer.singleShot(0, lambda: then(dataset))

    def show_error(self, message: str) -> None:
        """Errors are shown without blocking: the window keeps working."""
        self.errors.append(message)
        self.statusBar().showMessage(message)
        box = QMessageBox(QMessageBox.Icon.Warning, "EmbedStudio", message, QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.show()
        self._last_message_box = box

    # ------------------------------------------------------------------ session -> views
    def _on_session(self, event: str) -> None:
        if event == "datasets":
            self.data_list.clear()
            for d in self.session.datasets:
                stats = ", ".join(f"{v:,} {k}" for k, v in d.stats.items() if isinstance(v, int) and k != "min_count")
                self.data_list.addItem(f"{d.name}  [{d.kind}]  {stats}")
            self.training.set_corpora([d.name for d in self.session.corpora()])
            self.poincare.set_corpora([d.name for d in self.session.hierarchies()])
            self.graph.set_corpora([d.name for d in self.session.graphs()])
            self.starspace.set_corpora([d.name for d in self.session.starspace_data()])
            self.extrinsic.set_datasets(list(extrinsic_datasets(self.session.datasets)))
        elif event == "embeddings":
            self.extrinsic.set_embeddings(list(self.session.embeddings))
        elif event == "current":
            emb = self.session.embedding
            coords = getattr(self, "_pending_coords", None)
            self._pending_coords = None
            if emb is not None:
                if self.views.currentWidget() is self.welcome:  # something to look at: the map
                    self.views.setCurrentIndex(0)
                if coords is None or len(coords) != len(emb):
                    coords = pca(emb.vectors)[0]
                self.map.set_points(emb.keys, coords, emb.counts)
                self.neighbors.set_embedding(emb)
                self._on_search(self.search.text())
                self.colour.clear()
                self.colour.addItems(["none"] + (["frequency"] if emb.counts is not None else []) + list(emb.metadata))
                self.projection.setCurrentText("PCA")
            else:
                self.map.set_points([], np.zeros((0, 2), np.float32))
                self.neighbors.set_embedding(None)

    def compute_projection(self, method: str) -> None:
        """PCA at once; UMAP and t-SNE on the worker (umap is imported there, never at start-up)."""
        emb = self.session.embedding
        if emb is None or self._training:
            return
        self.axes_row.setVisible(method == "word axes")
        self.map.show_axis_labels(None, None)
        if method == "word axes":
            self.apply_word_axes()
            return
        key = {"PCA": "pca", "UMAP": "umap", "t-SNE": "tsne"}[method]
        if key == "pca":
            self.map.update_coords(pca(emb.vectors)[0], autorange=True)
            return
        from embedstudio.analysis.projection import project

        try:
            config = self.projection_panel.config(key)
        except ConfigError as e:
            self.show_error(str(e))
            return
        from embedstudio.memory import fits, projection_bytes

        refusal = fits(projection_bytes(key, len(emb), emb.dim, config.to_dict()), f"{method} of {len(emb):,} points")
        if refusal is not None:  # asked before starting: a projection that cannot fit would swap the machine
            self.projection.setCurrentText("PCA")
            self.show_error(refusal)
            return
        self.projection.setCurrentText(method)
        self.projection_panel.set_running(True, f"computing {method} of {len(emb):,} points… "
                                                "(the first UMAP compiles for a while)")

        def done(coords):
            self.projection_panel.set_running(False, f"{method} map of {len(emb):,} points")
            if self.session.embedding is emb:
                self.map.update_coords(coords, autorange=True)

        def failed(message, _detail):
            self.projection_panel.set_running(False, "")
            self.show_error(message)

        self.worker.start(method, project, emb.vectors, key, config, on_finished=done, on_failed=failed)

    def cancel_projection(self) -> None:
        """The result is dropped; UMAP/t-SNE cannot stop mid-call, so the next job waits for it."""
        self.worker.cancel(wait=0)
        self.projection_panel.set_running(False, "cancelled")

    def apply_word_axes(self) -> None:
        """TensorBoard-style custom projection: each axis runs from one set of words to another."""
        from embedstudio.analysis.projection import word_axes

        emb = self.session.embedding
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

    def apply_colour(self, choice: str) -> None:
        emb = self.session.embedding
        if emb is None:
            return
        if choice == "frequency" and emb.counts is not None:
            self.map.color_by(emb.counts, "continuous")
        elif choice in emb.metadata:
            self.map.color_by(emb.metadata[choice], "categorical")
        else:
            self.map.color_by(None)

    def _on_search(self, text: str) -> None:
        try:
            if len(self.disk.names):
                self.disk.search(text)
            rows = self.map.search(text)
        except Exception as e:  # noqa: BLE001 - re.error while typing a pattern
            self.search_info.setText(f"not a valid pattern: {e}")
            return
        self.search_info.setText(f"{len(rows):,} matches" if text else "")

    def select_word(self, word: str) -> None:
        if word in self.map.keys:
            self.map.select(self.map.keys.index(word), center=True)

    def _on_point_clicked(self, row: int) -> None:
        word = self.map.keys[row]
        self.neighbors.query.setText(word)
        self.neighbors.run_query()
        if self.graph_model is not None and self.session.embedding is self.graph_model.embedding:
            self.links.entity.setText(word)
            self.links.run_query()

    # ------------------------------------------------------------------ training
    def _run_inputs(self, panel, datasets, missing: str):
        """The dataset chosen in a training panel and its form's config, or None after a message."""
        name = panel.corpus.currentText()
        chosen = [d for d in datasets if d.name == name]
        if not chosen:
            self.show_error(missing)
            return None
        try:
            return chosen[0], panel.form.config()
        except ConfigError as e:
            self.show_error(str(e))
            return None

    def start_training(self) -> None:
        inputs = self._run_inputs(self.training, self.session.corpora(), "Open a text corpus first (drop it on the window)")
        if inputs is None:
            return
        dataset, cfg = inputs
        self.settings.setValue("training/word2vec", json.dumps(cfg.to_dict()))
        self._begin_run(self.training, f"word2vec {cfg.method} · {dataset.name}", 0)
        self.worker.start("training", train_job, self.checkpoints, dataset, cfg, on_progress=self._on_train_progress,
                          on_finished=self._on_trained, on_failed=self._on_train_failed,
                          on_cancelled=self._on_train_cancelled)

    def _begin_run(self, panel, name: str, view: int) -> None:
        """What every training run starts with: a fresh loss curve, a busy panel, its view in front, and
        automatic checkpoints in the state folder (File ▸ Automatic checkpoints; $EMBEDSTUDIO_CHECKPOINT_S,
        in seconds, overrides it)."""
        from embedstudio.app.autosave import state_dir

        every = 60.0 * self.checkpoint_minutes()
        try:
            every = float(os.environ.get("EMBEDSTUDIO_CHECKPOINT_S", every))
        except ValueError:
            pass
        self.checkpoints.begin_run(os.path.join(state_dir(), "training.ckpt"), every)
        self.loss.clear_run()
        self._training = True
        self._live_started = False
        self._disk_started = False
        panel.set_running(True)
        self._train_name = name
        self.views.setCurrentIndex(view)

    def _restore_training_options(self) -> None:
        """The options of the last run, if they still make a valid config (a newer version may differ)."""
        from embedstudio.train.word2vec import Word2VecConfig

        saved = self.settings.value("training/word2vec")
        if not saved:
            return
        try:
            self.training.form.set_config(Word2VecConfig.from_dict(json.loads(saved)))
        except (ValueError, TypeError):
            pass

    def start_poincare(self) -> None:
        started = self._start_run(self.poincare, self.session.hierarchies(),
                                  "Open a hierarchy first (File ▸ Open hierarchy…)", lambda cfg, d: f"Poincaré d={cfg.dim} · {d.name}",
                                  1, "Poincaré training", poincare_job, self._on_poincare_progress, self._on_poincare_trained)
        if started is not None:
            self._poincare_data = started

    def show_bias_panel(self) -> None:
        """Tools ▸ Bias audit: the Bias panel in front, with room for its plot."""
        self.docks["Bias"].show()
        self.docks["Bias"].raise_()
        self.resizeDocks([self.docks["Bias"], self.docks["Loss"]], [self.height() - 200, 100], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["Bias"]], [max(520, self.width() // 3)], Qt.Orientation.Horizontal)

    def run_bias_audit(self) -> None:
        """The bias panel's Audit: on the worker (WEAT permutations, clustering); the result comes back to the panel,
        the debiased vectors become a new embedding of the session (the original stays)."""
        emb = self.session.embedding
        if emb is None or self._training:
            self.show_error("Load or train vectors first, then audit them")
            return
        from embedstudio.analysis.audit import run_audit

        name = self.session.current
        preset = self.bias.current_preset()
        self.bias.summary.setText("auditing…")
        self.worker.start("bias audit", run_audit, emb, preset, debias=self.bias.debias.currentText(),
                          y_axis=self.bias.y_axis_words(), strictness=self.bias.strictness.value(),
                          vectors_path=next((d.path for d in self.session.datasets if d.data is emb), None),
                          on_finished=lambda out: self._on_audited(out, name, preset),
                          on_failed=lambda message, _detail: self.show_error(message))

    def _on_audited(self, out, name, preset) -> None:
        result, debiased = out
        self.audit_result = (result, preset)
        self.bias.show_result(result)
        if debiased is not None:
            self.session.add_embedding(f"{name} · {result.debias} debiased", debiased, make_current=False)
        self.show_bias_panel()

    def _ask_audit_report(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the audit report", "audit.html", "HTML (*.html)")
        if path:
            self.export_audit_report(path)

    def export_audit_report(self, path: str) -> None:
        from embedstudio.analysis.audit import write_report

        if self.audit_result is None:
            return
        result, preset = self.audit_result
        try:
            write_report(result, preset, path)
        except OSError as e:
            self.show_error(f"{path}: {e.strerror or e}")
            return
        self.statusBar().showMessage(f"wrote {path} and its .json")

    def colour_disk(self, mode: str) -> None:
        centre = int(np.argmin(np.linalg.norm(self.disk.shown, axis=1))) if len(self.disk.shown) else None
        self.disk.colour_by(mode, centre if mode == "subtree" and centre is not None and
                            np.linalg.norm(self.disk.shown[centre]) < 1e-3 else None)
        self._show_disk_legend()

    def _show_disk_legend(self) -> None:
        self.disk_legend.setText("  ".join(
            f'<span style="color: rgb{colour}">●</span> {name}' for name, colour in self.disk.legend))

    def start_graph(self) -> None:
        self._start_run(self.graph, self.session.graphs(), "Drop an edge list first (head, relation, tail)",
                        lambda cfg, d: f"graph {cfg.operator} d={cfg.dim} · {d.name}", 0, "graph training", graph_job,
                        self._on_graph_progress, self._on_graph_trained)

    def _start_run(self, panel, datasets, missing: str, name, view: int, job_name: str, job, on_progress, on_finished):
        """A training panel's Start: its dataset and config, a fresh run, the job on the worker. Returns the
        dataset (None after a message when there is none)."""
        inputs = self._run_inputs(panel, datasets, missing)
        if inputs is None:
            return None
        dataset, cfg = inputs
        self._begin_run(panel, name(cfg, dataset), view)
        self.worker.start(job_name, job, self.checkpoints, dataset, cfg, on_progress=on_progress,
                          on_finished=on_finished, on_failed=self._on_train_failed,
                          on_cancelled=self._on_train_cancelled)
        return dataset

    def _on_graph_progress(self, item) -> None:
        self._live_progress(self.graph, item, "type")

    def _live_progress(self, panel, item, colour_by: str) -> None:
        """A training step of a run whose map lives: the loss, the panel's progress, the points moving
        (coloured by the snapshot's ``colour_by`` metadata column when it has more than one value)."""
        p, coords = item
        self.loss.add(p)
        panel.show_progress(p)
        if coords is not None and p.snapshot is not None:
            if not self._live_started:
                self.map.set_points(p.snapshot.keys, coords)
                groups = p.snapshot.metadata.get(colour_by)
                if groups is not None and len(set(groups)) > 1:
                    self.map.color_by(groups, "categorical")
                self._live_started = True
            else:
                self.map.update_coords(coords)

    def _on_graph_trained(self, result) -> None:
        model, coords, scores, train_edges = result
        self._training = False
        self.graph.set_running(False)
        self._pending_coords = coords
        self.graph_model = model
        name = self.session.add_embedding(self._train_name, model.embedding)
        if len(set(model.type_names)) > 1:
            self.colour.setCurrentText("type")
            self.apply_colour("type")
        summary = (f"{len(model.embedding):,} entities, {model.n_relations} relations ({model.operator}, "
                   f"{model.comparator})")
        parts = model.info.get("config", {}).get("partitions", 1)
        in_memory = model.info.get("embedding_bytes_in_memory")
        if parts > 1 and in_memory:
            summary += f"; {parts} partitions, at most {in_memory / 2**20:,.1f} MB of vectors in memory"
        if scores is not None:
            summary += (f". Held-out {scores.count // 2:,} edges, filtered MRR {scores.mrr:.3f}, "
                        f"Hits@10 {scores.hits(10):.3f}")
        self.links.set_model(model, train_edges, summary)
        self.docks["Links"].raise_()
        self.graph.status.setText(f"done: {name}")
        self.statusBar().showMessage(f"trained {name}. {summary}")

    def start_starspace(self) -> None:
        inputs = self._run_inputs(self.starspace, self.session.starspace_data(),
                                  "Drop labelled documents or open a user → items list first")
        if inputs is None:
            return
        dataset, cfg = inputs
        mode = "pagespace" if dataset.kind == "user-items" else "tagspace"
        if cfg.mode != mode:  # the data decides: labelled documents are TagSpace, user -> items PageSpace
            cfg = cfg.replace(mode=mode)
            self.starspace.form.set_config(cfg)
        self._begin_run(self.starspace, f"{mode} d={cfg.dim} · {dataset.name}", 0)
        self.worker.start("StarSpace training", starspace_job, self.checkpoints, dataset, cfg,
                          on_progress=self._on_starspace_progress, on_finished=self._on_starspace_trained,
                          on_failed=self._on_train_failed, on_cancelled=self._on_train_cancelled)

    def _on_starspace_progress(self, item) -> None:
        self._live_progress(self.starspace, item, "kind")

    def _on_starspace_trained(self, result) -> None:
        model, coords, scores, baseline, data = result
        self._training = False
        self.starspace.set_running(False)
        self._pending_coords = coords
        self.space_model = model
        self._space_embedding = model.embedding()
        name = self.session.add_embedding(self._train_name, self._space_embedding)
        if model.mode == "tagspace":
            self.colour.setCurrentText("kind")
            self.apply_colour("kind")
        summary = (f"{model.mode}: {len(model.words):,} words, {len(model.labels):,} labels" if model.mode == "tagspace"
                   else f"{model.mode}: {len(data):,} users, {len(model.labels):,} items")
        if scores is not None and model.mode == "tagspace":
            summary += (f". Held-out {scores['documents']:,} documents: P@1 {scores['hits@1']:.3f}, "
                        f"hits@10 {scores['hits@10']:.3f}, mean rank {scores['mean_rank']:.1f}")
        elif scores is not None:
            summary += (f". Held-out item of {scores['users']:,} users: recall@10 {scores['recall@10']:.3f} "
                        f"(popularity {baseline['recall@10']:.3f})")
        self.space.set_model(model, data if model.mode == "pagespace" else None, summary)
        self.docks["Tags"].raise_()
        self.starspace.status.setText(f"done: {name}")
        self.statusBar().showMessage(f"trained {name}. {summary}")

    def show_extrinsic_panel(self) -> None:
        """Tools ▸ Extrinsic evaluation: the panel in front, with room for its plot."""
        self.docks["Extrinsic"].show()
        self.docks["Extrinsic"].raise_()
        self.resizeDocks([self.docks["Extrinsic"], self.docks["Loss"]], [self.height() - 200, 100], Qt.Orientation.Vertical)

    def run_extrinsic(self) -> None:
        names = self.extrinsic.chosen_embeddings()
        chosen = extrinsic_datasets(self.session.datasets).get(self.extrinsic.dataset.currentText())
        if chosen is None:
            self.show_error("Open labelled documents first (__label__tag words…, or a table with a label column), "
                            "or a graph whose entities have types")
            return
        media = self.extrinsic.media_path()
        if media and not names:
            self.show_error("Tick the embedding whose word vectors represent the text")
            return
        if not media and len(names) < 2:
            self.show_error("Tick two or more embeddings to compare")
            return
        if self._training:
            self.show_error("Training is running: let it finish before comparing embeddings")
            return
        self._extrinsic_stop = threading.Event()
        if media:
            self.extrinsic.set_running(True, f"training {self.extrinsic.folds.value()} classifiers on each of text "
                                             f"({names[0]}), media and both…")
            self.worker.start("fusion", fusion_job, chosen.data, self.extrinsic.prefix.text(), media,
                              self.session.embeddings[names[0]], self.extrinsic.folds.value(), self._extrinsic_stop,
                              on_finished=self._on_extrinsic, on_failed=self._on_extrinsic_failed,
                              on_cancelled=lambda: self.extrinsic.set_running(False, "cancelled"))
            return
        self.extrinsic.set_running(True, f"training {self.extrinsic.folds.value()} classifiers on each of "
                                         f"{len(names)} embeddings…")
        embeddings = {name: self.session.embeddings[name] for name in names}

        self.worker.start("extrinsic evaluation", extrinsic_job, chosen.data, self.extrinsic.prefix.text(),
                          embeddings, self.extrinsic.folds.value(), self.extrinsic.model.currentText(),
                          self._extrinsic_stop, on_finished=self._on_extrinsic, on_failed=self._on_extrinsic_failed,
                          on_cancelled=lambda: self.extrinsic.set_running(False, "cancelled"))

    def _on_extrinsic_failed(self, message, _detail) -> None:
        self.extrinsic.set_running(False, "")
        self.show_error(message)

    def _choose_media_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Media features", "",
                                              "Media features (*.csv *.tsv *.txt *.gz *.npz *.npy);;All files (*)")
        if path:
            self.extrinsic.set_media(path)

    def _on_extrinsic(self, result) -> None:
        if result is None:
            self.extrinsic.set_running(False, "cancelled")
            return
        self.extrinsic.show_result(result)

    def cancel_extrinsic(self) -> None:
        self._extrinsic_stop.set()
        self.worker.cancel(wait=0)
        self.extrinsic.set_running(False, "cancelled")

    def _on_poincare_progress(self, item) -> None:
        p, vectors = item
        self.loss.add(p)
        self.poincare.show_progress(p)
        if vectors is not None:
            if not self._disk_started:
                h = self._poincare_data.data
                self.disk_note.setText(self.disk.set_hierarchy(h.names, vectors, h.edges))
                self.colour_disk(self.disk_colour.currentText())
                self._disk_started = True
            else:
                self.disk.update_vectors(vectors)

    def _on_poincare_trained(self, embedding) -> None:
        self._training = False
        self.poincare.set_running(False)
        h = self._poincare_data.data
        self.disk_note.setText(self.disk.set_hierarchy(h.names, embedding.vectors, h.edges)
                               + ". Click a node to re-centre the disk on it.")
        self.colour_disk(self.disk_colour.currentText())
        name = self.session.add_embedding(self._train_name, embedding)
        losses = embedding.info.get("epoch_losses", [])
        self.poincare.status.setText(f"done: {name}; last epoch loss {losses[-1]:.3f}" if losses else f"done: {name}")
        self.views.setCurrentIndex(1)

    def _on_train_progress(self, item) -> None:
        p, coords = item
        self.loss.add(p)
        self.training.show_progress(p)
        if coords is not None and p.snapshot is not None:
            if not self._live_started:
                self.map.set_points(p.snapshot.keys, coords, p.snapshot.counts)
                self._live_started = True
            else:
                self.map.update_coords(coords)

    def _on_trained(self, result) -> None:
        embedding, coords = result
        self._training = False
        self.training.set_running(False)
        self._pending_coords = coords
        name = self.session.add_embedding(self._train_name, embedding)
        losses = ", ".join(f"{x:.3f}" for x in embedding.info.get("epoch_losses", []))
        self.training.status.setText(f"done: {name}; loss per epoch {losses}")
        self.statusBar().showMessage(f"trained {name}")

    def _on_train_failed(self, message: str, _detail: str) -> None:
        self._training = False
        for panel in self._training_panels():
            panel.set_running(False)
        self.checkpoints.take_resume()  # a resume that failed (another dataset?) is not tried again
        if self.checkpoints.auto_saved:
            message += (f"\n\nThe last good checkpoint is kept: {self.checkpoints.auto_saved} "
                        "(File ▸ Resume training from checkpoint…, with a lower learning rate)")
        self.show_error(message)

    def _resume_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Resume training from a checkpoint", "", "Checkpoints (*.ckpt);;All files (*)")
        if path:
            self.resume_training(path)

    def resume_training(self, path: str) -> None:
        """Continue a saved run: its trainer's panel gets the run's settings, and Start continues from the
        checkpoint on that panel's dataset (which must be the dataset it was trained on)."""
        from embedstudio.train.base import Checkpoint

        try:
            ckpt = Checkpoint.load(path)
        except DataFormatError as e:
            self.show_error(str(e))
            return
        runs = {"word2vec": (self.training, self.start_training, "Training"),
                "poincare": (self.poincare, self.start_poincare, "Poincaré"),
                "graph": (self.graph, self.start_graph, "Graph"), "starspace": (self.starspace, self.start_starspace, "StarSpace")}
        if ckpt.trainer not in runs:
            self.show_error(f"{path}: a checkpoint of an unknown trainer {ckpt.trainer!r}")
            return
        panel, start, dock = runs[ckpt.trainer]
        try:
            panel.form.set_config(panel.form.config_class.from_dict(ckpt.config))
        except (ConfigError, TypeError, ValueError) as e:
            self.show_error(f"{path}: its settings are not valid here: {e}")
            return
        self.docks[dock].raise_()
        self.checkpoints.resume = ckpt
        start()
        if not self._training:  # Start refused (no dataset open?): do not leave the checkpoint for another run
            self.checkpoints.take_resume()

    def _training_panels(self):
        return (self.training, self.poincare, self.graph, self.starspace)

    def _on_train_cancelled(self) -> None:
        self._training = False
        for panel in self._training_panels():
            if panel.cancel.isEnabled():
                panel.status.setText("cancelled")
            panel.set_running(False)

    def toggle_pause(self) -> None:
        job = self.worker.job
        if job is None:
            return
        if job.paused:
            job.resume()
        else:
            job.pause()
        for panel in self._training_panels():
            if panel.cancel.isEnabled():
                panel.set_running(True, paused=job.paused)

    def cancel_training(self) -> None:
        if self._training:
            self.worker.cancel()
            self._on_train_cancelled()

    def _ask_checkpoint(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save checkpoint", "training.ckpt")
        if path:
            self.request_checkpoint(path)

    def request_checkpoint(self, path: str) -> None:
        """Saved by the training job at its next step, where the arrays are consistent."""
        self.checkpoints.request(path)

    def _on_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event) -> None:  # noqa: N802
        self.worker.cancel()
        if self.autosave is not None:  # the last state, then a clean quit: no restore offer next time
            self.autosave_now(wait=True)
            self.autosave.stop()
        self.settings.setValue("window/geometry", self.saveGeometry())
        super().closeEvent(event)
