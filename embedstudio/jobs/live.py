"""What every training job shares: checkpoints asked for from outside, automatic checkpoints, a
resume, and the live map's layout of each snapshot."""

from __future__ import annotations

import os
import threading
import time

import numpy as np

from embedstudio.analysis.projection import align_to, pca

SNAPSHOT_EVERY_S = 2.0  # how often a live run hands the map a snapshot of its vectors


class CheckpointMailbox:
    """Checkpoints of a running job, saved only between two of its steps (where the arrays are
    consistent). Another thread (the window's) asks with :meth:`request`; the thread that pulls the
    job (the command line's) may instead save at once with :meth:`save_now`. The job also saves one
    every ``auto_every_s`` to ``auto_path`` (the last good state, should the run diverge or the app
    die), and takes the checkpoint to resume from (``resume``, taken once)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._requested: str | None = None
        self.saved: str | None = None
        self.auto_path: str | None = None
        self.auto_every_s = 300.0
        self.auto_saved: str | None = None
        self._last_auto = 0.0
        self.resume = None
        self.trainer = None  # the trainer of the live run, between two of its steps

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
        """Save a requested checkpoint now, and the automatic one when it is due: called between two steps."""
        path = self.take()
        if path:
            trainer.checkpoint().save(path)
            self.saved = path
        if self.auto_path and self.auto_every_s > 0 and time.monotonic() - self._last_auto >= self.auto_every_s:
            folder = os.path.dirname(self.auto_path)
            if folder:
                os.makedirs(folder, exist_ok=True)
            trainer.checkpoint().save(self.auto_path)  # refuses a non-finite state: the last good one stays
            self.auto_saved = self.auto_path
            self._last_auto = time.monotonic()

    def save_now(self, path: str) -> bool:
        """Save the live run's checkpoint from the thread that pulls its job, while the job waits at a yield
        (Ctrl-C on the command line). False when no run is live."""
        if self.trainer is None:
            return False
        self.trainer.checkpoint().save(path)
        self.saved = path
        return True

    def kept_note(self) -> str:
        """For a run that diverged: where its last good state is, if an automatic checkpoint was made."""
        if not self.auto_saved:
            return ""
        ago = time.monotonic() - self._last_auto
        return f"the last good checkpoint is kept: {self.auto_saved} (saved {ago:.0f} s before)"


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


def live_training(trainer, data, mailbox: CheckpointMailbox, layout=None, snapshots: bool = True):
    """The loop every training job shares: resume if asked, serve checkpoints between steps, and yield
    (progress, the snapshot's map coordinates — or its raw vectors without ``layout`` — or None).
    ``snapshots=False`` (the command line) makes none: nobody draws them."""
    every = SNAPSHOT_EVERY_S if snapshots else None
    mailbox.trainer = trainer
    try:
        for p in trainer.fit(data, resume=mailbox.take_resume(), snapshot_every_s=every):
            mailbox.serve(trainer)
            if p.snapshot is None:
                yield p, None
            else:
                yield p, layout(p.snapshot.vectors) if layout is not None else p.snapshot.vectors
    finally:
        mailbox.trainer = None


def map_layout(live_map: bool):
    """The layout of a job's snapshots and of its result: aligned PCA for the window's map, none otherwise."""
    return AlignedPCA() if live_map else None
