"""Graph embeddings in PyTorch-BigGraph's manner: training with held-out link prediction, the Links
panel (a trained model, a model file or a PBG checkpoint), and the export for PBG itself."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QFileDialog, QInputDialog

from embedstudio.app.docks.linkpred import LinkPredictionPanel
from embedstudio.app.workflows.base import RIGHT, TrainingWorkflow
from embedstudio.config import ConfigError
from embedstudio.jobs.graph import GRAPH_MODEL_FILE, graph_job, pbg_export_job, read_session_model
from embedstudio.jobs.loading import MODEL_KINDS
from embedstudio.train.graph import GraphConfig

def _summary(model) -> str:
    return f"{len(model.embedding):,} entities, {model.n_relations} relations ({model.operator}, {model.comparator})"


class GraphWorkflow(TrainingWorkflow):
    name = "graph"
    menu_rank = 30  # Tools: Evaluate, Bias audit, Link prediction, Extrinsic
    trainer = "graph"
    title = "Graph"
    dataset_kinds = ("edgelist",)
    job = staticmethod(graph_job)
    run_title = "graph {cfg.operator} d={cfg.dim} · {dataset.name}"
    config_class = GraphConfig
    data_label = "graph"
    hint = "Drop an edge list (head, [relation,] tail), then Start"
    missing = "Drop an edge list first (head, relation, tail)"
    job_name = "graph training"
    colour_by = "type"
    sample = "graph"

    def __init__(self, shell):
        super().__init__(shell)
        self.links = LinkPredictionPanel()
        self.links.entity_chosen.connect(shell.map_page.select_word)
        self.model = None  # the graph model the Links panel scores with
        self.pbg_export_note = ""

    def docks(self):
        return super().docks() + [("Links", self.links, RIGHT)]

    def actions(self):
        return [("File/export", "Export graph for &PyTorch-BigGraph…", self._export_pbg_dialog),
                ("Tools", "&Link prediction…", lambda: self.shell.raise_dock("Links"))]

    def finished(self, name, result) -> None:
        model = result.model
        self.model = model
        name = self.shell.add_embedding(name, model.embedding, result.coords)
        if len(set(model.type_names)) > 1:
            self.shell.map_page.colour_by("type")
        summary = _summary(model)
        parts = model.info.get("config", {}).get("partitions", 1)
        in_memory = model.info.get("embedding_bytes_in_memory")
        if parts > 1 and in_memory:
            summary += f"; {parts} partitions, at most {in_memory / 2**20:,.1f} MB of vectors in memory"
        scores = result.scores.get("filtered")
        if scores is not None:
            summary += (f". Held-out {scores.count // 2:,} edges, filtered MRR {scores.mrr:.3f}, "
                        f"Hits@10 {scores.hits(10):.3f}")
        self.links.set_model(model, result.train_edges, summary)
        self.shell.raise_dock("Links")
        self.panel.status.setText(f"done: {name}")
        self.shell.statusBar().showMessage(f"trained {name}. {summary}")

    # ------------------------------------------------------------------ model files
    def dataset_opened(self, dataset) -> None:
        if dataset.kind not in MODEL_KINDS:
            return
        model = self.model = dataset.data  # a graph model: explore and predict links
        self.session.add_embedding(dataset.name, model.embedding)
        if len(model.type_names) > 1:
            self.shell.map_page.colour_by("type")
        what = "PyTorch-BigGraph checkpoint" if dataset.kind == "pbg-checkpoint" else "graph model"
        self.links.set_model(model, summary=f"{what} {dataset.name}: {_summary(model)}")
        self.shell.raise_dock("Links")

    def point_clicked(self, key: str) -> None:
        if self.model is not None and self.session.embedding is self.model.embedding:
            self.links.entity.setText(key)
            self.links.run_query()

    def _model_name(self) -> str | None:
        """The session's name of the model's embedding, if the model belongs to this session."""
        if self.model is None:
            return None
        return next((name for name, emb in self.session.embeddings.items() if emb is self.model.embedding), None)

    def save_state(self, view):
        name = self._model_name()
        if name is None:
            return None
        view["graph_model"] = name  # the relation operators too, so link prediction survives the session
        model = self.model
        return lambda folder: model.save(os.path.join(folder, GRAPH_MODEL_FILE))

    def read_session_files(self, folder, view, embeddings):
        return read_session_model(folder, view, embeddings)

    def restore_state(self, view, model) -> None:
        if model is not None:
            self.model = model
            self.links.set_model(model, summary=f"{_summary(model)}, from the session")

    # ------------------------------------------------------------------ export for PyTorch-BigGraph
    def _export_pbg_dialog(self) -> None:
        graphs = self.session.graphs()
        if not graphs:
            self.shell.show_error("Open an edge list first (head, relation, tail): it is the graph PyTorch-BigGraph "
                                  "will train")
            return
        folder = QFileDialog.getExistingDirectory(self.shell,
                                                  "Folder for PyTorch-BigGraph's input (and its checkpoints)")
        if not folder:
            return
        partitions, ok = QInputDialog.getInt(self.shell, "Partitions", "entity partitions (N × N edge buckets; a "
                                             "cluster trains disjoint buckets at once)", 4, 1, 256)
        if ok:
            chosen = [d for d in graphs if d.name == self.panel.corpus.currentText()] or graphs
            self.export_pbg(chosen[0], folder, partitions)

    def export_pbg(self, dataset, folder: str, partitions: int) -> None:
        """Write ``dataset`` (a graph) for PyTorch-BigGraph's distributed trainer, with the Graph panel's
        training settings in its config; the checkpoint it writes opens here afterwards."""
        from embedstudio.data.pbg import pbg_settings

        if self.shell.runs.running:
            self.shell.show_error("Training is running: let it finish before exporting")
            return
        try:
            cfg = self.panel.form.config()
        except ConfigError as e:
            self.shell.show_error(f"The Graph panel's settings go into PBG's config: {e}")
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
            self.shell.statusBar().showMessage(self.pbg_export_note)
            self.panel.status.setText(self.pbg_export_note)

        self.shell.worker.start("PyTorch-BigGraph export", pbg_export_job, graph, folder, partitions, settings,
                                cfg.seed, on_finished=done,
                                on_failed=lambda message, _detail: self.shell.show_error(message))
