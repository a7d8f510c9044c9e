"""word2vec: skip-gram or CBOW on a text corpus, the map forming as it trains."""

from __future__ import annotations

import json

from embedstudio.app.views.loss_view import objective_summary
from embedstudio.app.workflows.base import TrainingWorkflow
from embedstudio.jobs.word2vec import word2vec_job
from embedstudio.train.word2vec import Word2VecConfig


class Word2VecWorkflow(TrainingWorkflow):
    name = "word2vec"
    trainer = "word2vec"
    title = "Training"
    dataset_kinds = ("corpus",)
    job = staticmethod(word2vec_job)
    run_title = "word2vec {cfg.method} · {dataset.name}"
    config_class = Word2VecConfig
    data_label = "corpus"
    hint = "drop a corpus on the window, then Start"
    missing = "Open a text corpus first (drop it on the window)"
    sample = "corpus"

    def __init__(self, shell):
        super().__init__(shell)
        self._restore_options()

    def start_run(self, dataset, cfg) -> None:
        self.shell.settings.setValue("training/word2vec", json.dumps(cfg.to_dict()))  # the next start's options
        super().start_run(dataset, cfg)

    def finished(self, name, result) -> None:
        embedding, coords = result
        name = self.shell.add_embedding(name, embedding, coords, origin=self.run_origin)
        self.panel.status.setText(f"done: {name}; {objective_summary(embedding.info)}")
        self.shell.statusBar().showMessage(f"trained {name}")

    def _restore_options(self) -> None:
        """The options of the last run, if they still make a valid config (a newer version may differ)."""
        saved = self.shell.settings.value("training/word2vec")
        if not saved:
            return
        try:
            self.panel.form.set_config(Word2VecConfig.from_dict(json.loads(saved)))
        except (ValueError, TypeError):
            pass
