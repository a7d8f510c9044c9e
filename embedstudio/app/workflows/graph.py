"""Graph embeddings in PyTorch-BigGraph's manner: training with held-out link prediction, the Links
panel (a trained model, a model file or a PBG checkpoint), and the export for PBG itself."""

from __future__ import annotations

import os
import weakref

from embedstudio.app.docks.linkpred import LinkPredictionPanel
from embedstudio.app.views.loss_view import objective_summary
from embedstudio.app.workflows.base import RIGHT, TrainingWorkflow
from embedstudio.config import ConfigError
from embedstudio.jobs.graph import graph_job, pbg_export_job, read_session_model
from embedstudio.jobs.loading import MODEL_KINDS
from embedstudio.text import count
from embedstudio.train.graph import GraphConfig

def _summary(model) -> str:
    return (f"{count(len(model.embedding), 'entity')}, {count(model.n_relations, 'relation')} "
            f"({model.operator}, {model.comparator})")


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
        self._known = weakref.WeakKeyDictionary()  # graph model -> (its training edges, its summary)
        self.pbg_export_note = ""
        self.session.subscribe(self._follow_current)

    @property
    def model(self):
        """The current embedding's graph model: the one the Links panel scores with (None: not a graph model)."""
        model = self.session.model
        return model if hasattr(model, "n_relations") else None

    def _follow_current(self, event: str) -> None:
        if event not in ("current", "embeddings"):
            return
        model, name = self.model, self.session.current
        if model is None:
            if self.links.model is not None or event == "current":
                self.links.set_model(None)
                self.links.info.setText(self.session.unsuitable("links", "link prediction") or "")
            return
        edges, summary = self._known.get(model, (None, _summary(model)))
        if self.links.model is not model:
            self.links.set_model(model, edges)
        self.links.info.setText(f"{name}: {summary}")

    def docks(self):
        return super().docks() + [("Links", self.links, RIGHT)]

    def actions(self):
        return [("File/export", "Export graph for &PyTorch-BigGraph…", self._export_pbg_dialog),
                ("Tools", "&Link prediction…", lambda: self.shell.raise_dock("Links"))]

    def finished(self, name, result) -> None:
        model = result.model
        self._known[model] = (result.train_edges, _summary(model))  # before it becomes current: Links shows them
        name = self.shell.add_embedding(name, model.embedding, result.coords, origin=self.run_origin, model=model)
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
        self._known[model] = (result.train_edges, summary)
        self._follow_current("current")
        self.shell.raise_dock("Links")
        self.panel.status.setText(f"done: {name}; {objective_summary(model.info)}")
        self.shell.statusBar().showMessage(f"trained {name}. {summary}")

    # ------------------------------------------------------------------ model files
    def dataset_opened(self, dataset) -> None:
        if dataset.kind not in MODEL_KINDS:
            return
        model = dataset.data  # a graph model: explore and predict links
        what = "PyTorch-BigGraph checkpoint" if dataset.kind == "pbg-checkpoint" else "graph model"
        self._known[model] = (None, f"{what}: {_summary(model)}")
        self.session.add_embedding(dataset.name, model.embedding, origin={"from": "file", "path": dataset.path},
                                   model=model)
        if len(model.type_names) > 1:
            self.shell.map_page.colour_by("type")
        self.shell.raise_dock("Links")

    def point_clicked(self, key: str) -> None:
        if self.model is not None:
            self.links.entity.setText(key)
            self.links.run_query()

    # a session keeps its models with their embeddings (session.save_session); these read the sessions of
    # earlier versions, which kept one graph model beside the view
    def read_session_files(self, folder, view, embeddings):
        return read_session_model(folder, view, embeddings)

    def restore_state(self, view, model) -> None:
        name = view.get("graph_model")
        if model is not None and name in self.session.embeddings and name not in self.session.models:
            self.session.attach_model(name, model)

    # ------------------------------------------------------------------ export for PyTorch-BigGraph
    def _export_pbg_dialog(self) -> None:
        from embedstudio.app.pbg_dialog import PbgExportDialog

        graphs = self.session.graphs()
        if not graphs:
            self.shell.show_error("Open an edge list first (head, relation, tail): it is the graph PyTorch-BigGraph "
                                  "will train")
            return
        from embedstudio.data.pbg_cluster import check_cluster

        def check(c):  # the core's checks, while the dialog is still open: nothing typed is lost to a typo
            check_cluster(c.machines, c.partitions, c.init_method, interface=c.interface, here=c.check_here)

        dialog = PbgExportDialog(self.shell, check=check)
        if dialog.exec() != PbgExportDialog.DialogCode.Accepted:
            return
        c = dialog.choice()
        chosen = [d for d in graphs if d.name == self.panel.corpus.currentText()] or graphs
        self.export_pbg(chosen[0], c.folder, c.partitions, machines=c.machines, init_method=c.init_method,
                        interface=c.interface, check_here=c.check_here)

    def export_pbg(self, dataset, folder: str, partitions: int, *, machines: int = 1, init_method: str | None = None,
                   interface: str | None = None, check_here: bool = False) -> None:
        """Write ``dataset`` (a graph) for PyTorch-BigGraph's trainer, on one machine or ``machines`` meeting at
        ``init_method``, with the Graph panel's training settings in its config; the checkpoint it writes opens
        here afterwards. A bad cluster setting comes back from the export as a message."""
        from embedstudio.data.pbg import pbg_settings
        from embedstudio.data.pbg_cluster import HOW_TO_FILE, LAUNCH_SCRIPT

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
            if machines > 1:
                run = (f"Train it with {os.path.join(folder, LAUNCH_SCRIPT)} RANK on each of the {machines} machines, "
                       f"rank 0 on the machine at {init_method}, the folder at the same path on every machine (the "
                       f"steps are in {HOW_TO_FILE})")
            else:
                run = f"Train it with torchbiggraph_train {config_path}"
            self.pbg_export_note = (
                f"Wrote PyTorch-BigGraph input for {graph.n_entities:,} entities and {graph.n_edges:,} edges in "
                f"{partitions}×{partitions} buckets with the Graph panel's settings{note}. {run}, then open "
                f"{folder} here to explore and score its checkpoint.")
            self.shell.statusBar().showMessage(self.pbg_export_note)
            self.panel.status.setText(self.pbg_export_note)

        self.shell.worker.start("PyTorch-BigGraph export", pbg_export_job, graph, folder, partitions, settings,
                                cfg.seed, machines=machines, init_method=init_method, interface=interface,
                                check_here=check_here, on_finished=done,
                                on_failed=lambda message, _detail: self.shell.show_error(message))
