"""StarSpace: TagSpace on labelled documents, PageSpace on user -> items lists, and the Tags panel
that predicts tags, recommends items and finds an item's nearest items."""

from __future__ import annotations

import math
import weakref

import numpy as np
from PySide6.QtWidgets import QFileDialog

from embedstudio.app.docks.starspace import SpacePanel
from embedstudio.app.workflows.base import RIGHT, TrainingWorkflow
from embedstudio.config import ConfigError
from embedstudio.jobs.starspace import read_session_model, starspace_job
from embedstudio.text import count
from embedstudio.train.starspace import StarSpaceConfig

# the welcome page's sample (2,400 paragraphs) is small: at the default 20 epochs it is under-trained
# (held-out P@1 0.17); at 50 it reaches 0.36 against a chance of 0.04, in a few seconds
SAMPLE_SETTINGS = {"epochs": 50}


def _what(model) -> str:
    return count(len(model.labels), "label" if model.mode == "tagspace" else "item")


def chance_scores(label_counts, n_labels: int, ks=(1, 10)) -> dict:
    """hits@k and mean rank of a ranking drawn at random, averaged over documents with ``label_counts``
    labels each (the held-out split is drawn from the same documents): what a model must beat."""
    counts = np.minimum(np.asarray(label_counts, np.int64), n_labels)
    counts = counts[counts > 0]
    if not len(counts):
        return {"mean_rank": float("nan"), **{f"hits@{k}": float("nan") for k in ks}}
    out = {"mean_rank": float(np.mean((n_labels + 1) / (counts + 1)))}  # expected best rank of m of L
    for k in ks:
        top = min(k, n_labels)  # P(no true label in the top k) = C(L-m, k) / C(L, k)
        out[f"hits@{k}"] = float(np.mean([1 - math.comb(n_labels - m, top) / math.comb(n_labels, top) for m in counts]))
    return out


class StarSpaceWorkflow(TrainingWorkflow):
    name = "starspace"
    trainer = "starspace"
    title = "StarSpace"
    dataset_kinds = ("labelled", "user-items")
    job = staticmethod(starspace_job)
    run_title = "{cfg.mode} d={cfg.dim} · {dataset.name}"
    config_class = StarSpaceConfig
    data_label = "data"
    hint = ("Drop labelled documents (__label__tag words…) or open a user → items list (File ▸ Open user → "
            "items…), then Start")
    missing = "Drop labelled documents or open a user → items list first"
    job_name = "StarSpace training"
    colour_by = "kind"
    sample = "tags"

    def __init__(self, shell):
        super().__init__(shell)
        self.space = SpacePanel()
        self.space.name_chosen.connect(shell.map_page.select_word)
        self._known = weakref.WeakKeyDictionary()  # model -> (its users (PageSpace), its summary)
        self.scores = None  # the last run's held-out scores and, for TagSpace, a random ranking's: (scores, chance)
        self.session.subscribe(self._follow_current)

    @property
    def model(self):
        """The current embedding's StarSpace model: the one the Tags panel asks (None: not a StarSpace model)."""
        model = self.session.model
        return model if getattr(model, "mode", None) in ("tagspace", "pagespace") else None

    def _follow_current(self, event: str) -> None:
        if event not in ("current", "embeddings"):
            return
        model, name = self.model, self.session.current
        if model is None:
            if self.space.model is not None or event == "current":
                self.space.set_model(None)
                self.space.info.setText(self.session.unsuitable("tags", "tag prediction and recommendations") or "")
            return
        users, summary = self._known.get(model, (None, f"{model.mode}: {_what(model)}"))
        if model.mode == "pagespace" and users is None:  # a model from a file or a session: the open users
            users = next((d.data for d in self.session.datasets if d.kind == "user-items"), None)
        if self.space.model is not model:
            self.space.set_model(model, users if model.mode == "pagespace" else None, summary)
        self.space.info.setText(f"{name}: {summary}")

    def docks(self):
        return super().docks() + [("Tags", self.space, RIGHT)]

    def actions(self):
        return [("File/open", "Open &user → items…", self._open_user_items_dialog)]

    def start_run(self, dataset, cfg) -> None:
        mode = "pagespace" if dataset.kind == "user-items" else "tagspace"
        if cfg.mode != mode:  # the data decides: labelled documents are TagSpace, user -> items PageSpace
            cfg = cfg.replace(mode=mode)
            self.panel.form.set_config(cfg)
        super().start_run(dataset, cfg)

    def finished(self, name, result) -> None:
        model, scores, baseline, data = result.model, result.scores, result.baseline, result.data
        self.scores = None
        self._known[model] = (data if model.mode == "pagespace" else None, f"{model.mode}: {_what(model)}")
        name = self.shell.add_embedding(name, model.embedding(), result.coords, origin=self.run_origin, model=model)
        if model.mode == "tagspace":
            self.shell.map_page.colour_by("kind")
        summary = (f"{model.mode}: {count(len(model.words), 'word')}, {_what(model)}" if model.mode == "tagspace"
                   else f"{model.mode}: {count(len(data), 'user')}, {_what(model)}")
        if scores is not None and model.mode == "tagspace":
            chance = chance_scores(np.diff(data.label_indptr), len(model.labels))
            self.scores = (scores, chance)
            summary += (f". Held-out {count(scores['documents'], 'document')}: P@1 {scores['hits@1']:.3f} "
                        f"(chance {chance['hits@1']:.3f}), hits@10 {scores['hits@10']:.3f} "
                        f"(chance {chance['hits@10']:.3f}), mean rank {scores['mean_rank']:.1f} "
                        f"(chance {chance['mean_rank']:.1f})")
        elif scores is not None:
            self.scores = (scores, baseline)
            summary += (f". Held-out item of {count(scores['users'], 'user')}: recall@10 {scores['recall@10']:.3f} "
                        f"(popularity {baseline['recall@10']:.3f})")
        self._known[model] = (data if model.mode == "pagespace" else None, summary)
        self._follow_current("current")
        self.shell.raise_dock("Tags")
        self.panel.status.setText(f"done: {name}")
        self.shell.statusBar().showMessage(f"trained {name}. {summary}")

    def run_sample(self, dataset) -> None:
        """The welcome page's TagSpace sample: the form's settings with the sample's epochs, then Start."""
        try:
            cfg = self.panel.form.config()
        except ConfigError:  # a half-edited form: the defaults
            cfg = self.config_class()
        self.panel.form.set_config(cfg.replace(**SAMPLE_SETTINGS))
        super().run_sample(dataset)

    # ------------------------------------------------------------------ files and sessions
    def _open_user_items_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.shell,
                                              "Open a user → items list (user item item … or user item pairs)")
        if path:
            self.shell.open_as(path, "user-items")  # a file of pairs would otherwise open as a graph

    def dataset_opened(self, dataset) -> None:
        if dataset.kind != "space-model":
            return
        model = dataset.data
        self._known[model] = (None, f"{model.mode} model: {_what(model)}")
        self.session.add_embedding(dataset.name, model.embedding(), origin={"from": "file", "path": dataset.path},
                                   model=model)
        self.shell.raise_dock("Tags")

    # a session keeps its models with their embeddings (session.save_session); these read the sessions of
    # earlier versions, which kept one StarSpace model beside the view
    def read_session_files(self, folder, view, embeddings):
        return read_session_model(folder, view, embeddings)

    def restore_state(self, view, files) -> None:
        if files is None:
            return
        name, model = files
        if name in self.session.embeddings and name not in self.session.models:
            self.session.attach_model(name, model)
