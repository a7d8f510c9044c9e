"""One training at a time: the run every training workflow starts through, with its checkpoints
(asked for, automatic, resumed), pause, cancel and failure."""

from __future__ import annotations

import os

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFileDialog

from embedstudio.config import ConfigError
from embedstudio.errors import DataFormatError
from embedstudio.jobs.live import CheckpointMailbox

CHECKPOINT_CHOICES = ((0, "Off"), (1, "Every minute"), (5, "Every 5 minutes"), (15, "Every 15 minutes"),
                      (60, "Every hour"))
DEFAULT_CHECKPOINT_MINUTES = 5


class TrainingRuns:
    """The window's training run: which workflow runs (``workflow``, None when idle), its name, and its
    checkpoint mailbox. Workflows call :meth:`begin` and :meth:`end`; the worker's failure and cancel
    signals go to :meth:`failed` and :meth:`cancelled`."""

    def __init__(self, shell):
        self.shell = shell
        self.mailbox = CheckpointMailbox()
        self.workflow = None
        self.name = ""
        self.checkpoint_actions: dict[int, QAction] = {}

    @property
    def running(self) -> bool:
        return self.workflow is not None

    def begin(self, workflow, name: str) -> None:
        """What every run starts with: a fresh loss curve, a busy panel, its view in front, and automatic
        checkpoints in the state folder (File ▸ Automatic checkpoints; $EMBEDSTUDIO_CHECKPOINT_S, in seconds,
        overrides it)."""
        from embedstudio.app.autosave import state_dir

        every = 60.0 * self.checkpoint_minutes()
        try:
            every = float(os.environ.get("EMBEDSTUDIO_CHECKPOINT_S", every))
        except ValueError:
            pass
        self.mailbox.begin_run(os.path.join(state_dir(), "training.ckpt"), every)
        self.shell.loss.clear_run()
        self.workflow, self.name = workflow, name
        self.shell.map_page.begin_live()
        workflow.panel.set_running(True)
        self.shell.show_view(workflow.view)

    def end(self) -> None:
        """The run finished: its panel is free again."""
        if self.workflow is not None:
            self.workflow.panel.set_running(False)
        self.workflow = None

    def failed(self, message: str, _detail: str = "") -> None:
        self.end()
        self.mailbox.take_resume()  # a resume that failed (another dataset?) is not tried again
        if self.mailbox.auto_saved:
            message += (f"\n\nThe last good checkpoint is kept: {self.mailbox.auto_saved} "
                        "(File ▸ Resume training from checkpoint…, with a lower learning rate)")
        self.shell.show_error(message)

    def cancelled(self) -> None:
        if self.workflow is not None:
            self.workflow.panel.status.setText("cancelled")
        self.end()

    def cancel(self) -> None:
        if self.running:
            self.shell.worker.cancel()
            self.cancelled()

    def toggle_pause(self) -> None:
        job = self.shell.worker.job
        if job is None or not self.running:
            return
        if job.paused:
            job.resume()
        else:
            job.pause()
        self.workflow.panel.set_running(True, paused=job.paused)

    # ------------------------------------------------------------------ checkpoints
    def ask_checkpoint(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.shell, "Save checkpoint", "training.ckpt")
        if path:
            self.request_checkpoint(path)

    def request_checkpoint(self, path: str) -> None:
        """Saved by the training job at its next step, where the arrays are consistent."""
        self.mailbox.request(path)

    def resume_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.shell, "Resume training from a checkpoint", "",
                                              "Checkpoints (*.ckpt);;All files (*)")
        if path:
            self.resume(path)

    def resume(self, path: str) -> None:
        """Continue a saved run: its trainer's panel gets the run's settings, and Start continues from the
        checkpoint on that panel's dataset (which must be the dataset it was trained on)."""
        from embedstudio.train.base import Checkpoint

        try:
            ckpt = Checkpoint.load(path)
        except DataFormatError as e:
            self.shell.show_error(str(e))
            return
        workflow = next((w for w in self.shell.workflows.values() if getattr(w, "trainer", None) == ckpt.trainer), None)
        if workflow is None:
            self.shell.show_error(f"{path}: a checkpoint of an unknown trainer {ckpt.trainer!r}")
            return
        form = workflow.panel.form
        try:
            form.set_config(form.config_class.from_dict(ckpt.config))
        except (ConfigError, TypeError, ValueError) as e:
            self.shell.show_error(f"{path}: its settings are not valid here: {e}")
            return
        self.shell.raise_dock(workflow.title)
        self.mailbox.resume = ckpt
        workflow.start()
        if not self.running:  # Start refused (no dataset open?): do not leave the checkpoint for another run
            self.mailbox.take_resume()

    def build_checkpoint_menu(self, menu) -> None:
        """How often a running training saves itself to the state folder (File ▸ Resume training)."""
        group = QActionGroup(self.shell)
        current = self.checkpoint_minutes()
        for minutes, text in CHECKPOINT_CHOICES:
            action = QAction(text, self.shell, checkable=True)
            action.setChecked(minutes == current)
            action.triggered.connect(
                lambda _=False, m=minutes: self.shell.settings.setValue("training/checkpoint_minutes", m))
            group.addAction(action)
            menu.addAction(action)
            self.checkpoint_actions[minutes] = action

    def checkpoint_minutes(self) -> int:
        """The chosen interval of automatic checkpoints in minutes (0: off)."""
        try:
            minutes = int(self.shell.settings.value("training/checkpoint_minutes", DEFAULT_CHECKPOINT_MINUTES))
        except (TypeError, ValueError):
            return DEFAULT_CHECKPOINT_MINUTES
        return minutes if minutes in dict(CHECKPOINT_CHOICES) else DEFAULT_CHECKPOINT_MINUTES
