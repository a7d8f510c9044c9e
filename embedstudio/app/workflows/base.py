"""What a workflow is to the window: one file that owns its docks, starts its jobs on the one worker,
handles their progress and results, adds its menu actions and keeps its part of a session.

The shell (:mod:`embedstudio.app.main_window`) builds every registered workflow with itself as
``shell``, lays out what :meth:`Workflow.docks` and :meth:`Workflow.views` return, puts
:meth:`Workflow.actions` in its menus, and calls the hooks below; a workflow overrides only the ones
it needs. Through ``shell`` a workflow reaches the session, the worker (``shell.worker``), the run
control (``shell.runs``), the map (``shell.map_page``), the loss view and ``shell.show_error``.
"""

from __future__ import annotations

from typing import Callable

from embedstudio.app.docks.training import TrainingPanel
from embedstudio.config import ConfigError

LEFT, RIGHT = "left", "right"  # the dock areas: trainers on the left, tools on the right
MAP = "map"  # the view a workflow brings to the front: the Map tab, or one of its own views' titles


class Workflow:
    name = ""  # its key in the registry, in ``shell.workflows`` and (by convention) in a session's view
    sample: str | None = None  # the welcome page's sample (a welcome.SAMPLES key) it runs with one click
    menu_rank = 50  # where its actions stand among other workflows' in a menu (lower first; ties: registry order)

    def __init__(self, shell):
        self.shell = shell
        self.session = shell.session

    # ------------------------------------------------------------------ what it adds to the window
    def docks(self) -> list[tuple[str, object, str]]:
        """(title, widget, LEFT or RIGHT) of each dock it owns."""
        return []

    def views(self) -> list[tuple[str, object]]:
        """(title, widget) of each central tab it adds beside the map."""
        return []

    def actions(self) -> list[tuple[str, str, Callable]]:
        """(place, text, slot) of each menu action; place is "File/open", "File/image" (picture exports),
        "File/export" or "Tools"."""
        return []

    # ------------------------------------------------------------------ what it hears
    def dataset_opened(self, dataset) -> None:
        """A file was opened (its Dataset is in the session): a model file of this workflow's?"""

    def point_clicked(self, key: str) -> None:
        """A point of the map was clicked."""

    def search(self, pattern: str) -> None:
        """The search box changed (a regular expression, maybe half typed)."""

    def run_sample(self, dataset) -> None:
        """The welcome page's sample ``dataset`` was opened: run this workflow on it."""

    # ------------------------------------------------------------------ what it keeps in a session
    def save_state(self, view: dict) -> Callable[[str], None] | None:
        """Put this workflow's state (JSON values) into a session's ``view``; return a ``write(folder)`` for
        files of its own, or None. Called in the GUI thread; ``write`` may run in another (copy what it needs)."""
        return None

    def read_session_files(self, folder: str, view: dict, embeddings: dict):
        """On the worker while a session opens: read the files ``save_state``'s writer wrote (no widgets here).
        What it returns is handed to :meth:`restore_state`."""
        return None

    def restore_state(self, view: dict, files) -> None:
        """A session was opened: its datasets and embeddings are in, ``files`` is what read_session_files read."""


class TrainingWorkflow(Workflow):
    """A workflow that trains: a dock with a dataset chooser, the trainer's form and run controls; Start runs
    ``job(dataset.data, config, mailbox)`` on the worker through the shell's one training run."""

    trainer = ""  # the trainer named in its checkpoints (File ▸ Resume training finds the workflow by it)
    title = ""  # its dock's title
    config_class = None
    dataset_kinds: tuple[str, ...] = ()  # the kinds of dataset it trains on
    job = None  # the job (one of embedstudio.jobs): job(data, config, mailbox) -> generator
    run_title = ""  # a run's name, formatted with cfg and dataset
    data_label = "corpus"
    hint = ""
    missing = ""  # the message when Start finds no dataset
    job_name = "training"
    view = MAP  # the view its run brings to the front
    colour_by: str | None = None  # the live map colours a snapshot by this metadata column

    def __init__(self, shell):
        super().__init__(shell)
        self.panel = TrainingPanel(self.config_class, self.data_label, self.hint)
        runs = shell.runs
        self.panel.start_requested.connect(self.start)
        self.panel.pause_requested.connect(runs.toggle_pause)
        self.panel.cancel_requested.connect(runs.cancel)
        self.panel.checkpoint_requested.connect(runs.ask_checkpoint)
        self.session.subscribe(self._on_session)

    def docks(self):
        return [(self.title, self.panel, LEFT)]

    def datasets(self) -> list:
        """The session's datasets this workflow trains on."""
        return [d for d in self.session.datasets if d.kind in self.dataset_kinds]

    def _on_session(self, event: str) -> None:
        if event == "datasets":
            self.panel.set_corpora([d.name for d in self.datasets()])

    def inputs(self):
        """The dataset chosen in the panel and the form's config, or None after a message."""
        name = self.panel.corpus.currentText()
        chosen = [d for d in self.datasets() if d.name == name]
        if not chosen:
            self.shell.show_error(self.missing)
            return None
        try:
            return chosen[0], self.panel.form.config()
        except ConfigError as e:
            self.shell.show_error(str(e))
            return None

    def start(self) -> None:
        inputs = self.inputs()
        if inputs is None:
            return
        self.start_run(*inputs)

    def start_run(self, dataset, cfg) -> None:
        runs = self.shell.runs
        runs.begin(self, self.run_title.format(cfg=cfg, dataset=dataset))
        self.dataset = dataset
        # where the embedding will have come from: the workspace shows it and can train it again
        self.run_origin = {"from": "trained", "workflow": self.name, "trainer": self.trainer,
                           "dataset": dataset.name, "dataset_path": dataset.path, "settings": cfg.to_dict()}
        self.shell.worker.start(self.job_name, self.job, dataset.data, cfg, runs.mailbox, on_progress=self.progress,
                                on_finished=self._finished, on_failed=runs.failed, on_cancelled=runs.cancelled,
                                cancel_with=runs.cancel)

    def progress(self, item) -> None:
        """A step of the run: the loss, the panel's progress, the live map's points moving."""
        p, coords = item
        self.shell.loss.add(p)
        self.panel.show_progress(p)
        if coords is not None and p.snapshot is not None:
            self.shell.map_page.show_snapshot(p.snapshot, coords, self.colour_by)

    def _finished(self, result) -> None:
        name = self.shell.runs.name
        self.shell.runs.end()
        self.finished(name, result)
        if self.view == MAP:
            self.shell.map_page.after_training()

    def finished(self, name: str, result) -> None:
        """The run called ``name`` ended with ``result``."""
        raise NotImplementedError

    def run_sample(self, dataset) -> None:
        self.panel.corpus.setCurrentText(dataset.name)
        self.shell.raise_dock(self.title)
        self.start()
