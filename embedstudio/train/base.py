"""The trainer protocol shared by every trainer, the CLI and the app's worker.

``trainer.fit(data, resume=None)`` is a generator of :class:`Progress`. Each yield is a progress
report and a cancellation point: stop iterating to cancel, stop pulling to pause, call
``trainer.checkpoint()`` between yields to save. Resuming needs only the checkpoint, whose
``cursor`` is one integer (units of work done since the start of training).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Iterator, Protocol

import numpy as np

from embedstudio.data.errors import DataFormatError
from embedstudio.storage import read_json_arrays, write_json_arrays
from embedstudio.vectors import Embedding

_CHECKPOINT_TAG = "embedstudio-checkpoint"


@dataclasses.dataclass(frozen=True)
class Progress:
    cursor: int  # units of work done since the start (chunks); a checkpoint here resumes from it
    total: int  # units in the whole run
    epoch: int  # 0-based epoch the cursor is in
    epochs: int
    loss: float  # float64 mean loss per example over the epoch so far
    epoch_losses: tuple[float, ...]  # mean loss of each finished epoch
    items_done: int  # words (or edges, documents) processed since the start of this fit() call
    items_per_s: float  # over this fit() call
    learning_rate: float
    elapsed_s: float
    start_cursor: int = 0  # where this fit() call began (after a resume, > 0)
    step_loss: float = float("nan")  # mean loss over the units finished since the previous report
    snapshot: Embedding | None = None

    @property
    def fraction(self) -> float:
        return self.cursor / self.total if self.total else 1.0

    @property
    def eta_s(self) -> float | None:
        # Measured over this call only, so a resumed run is not flattered by earlier work.
        done_here = self.cursor - self.start_cursor
        if done_here <= 0 or self.elapsed_s <= 0:
            return None
        return (self.total - self.cursor) * self.elapsed_s / done_here


@dataclasses.dataclass
class Checkpoint:
    """Everything needed to continue training exactly: arrays, cursor, config and counters."""

    trainer: str
    cursor: int
    config: dict
    arrays: dict[str, np.ndarray]
    state: dict[str, Any] = dataclasses.field(default_factory=dict)

    def save(self, path: str | os.PathLike) -> None:
        """Atomic write (temp file + fsync + rename): a crash never leaves a half checkpoint."""
        header = {"format": _CHECKPOINT_TAG, "trainer": self.trainer, "cursor": int(self.cursor),
                  "config": self.config, "state": self.state}
        write_json_arrays(path, header, self.arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Checkpoint":
        header, arrays = read_json_arrays(path, _CHECKPOINT_TAG, "checkpoint")
        try:
            return cls(str(header["trainer"]), int(header["cursor"]), dict(header["config"]), arrays,
                       dict(header.get("state", {})))
        except (KeyError, TypeError, ValueError) as e:
            raise DataFormatError(os.fspath(path), None, f"inconsistent checkpoint: {e}") from None


class Trainer(Protocol):
    name: str

    def fit(self, data: Any, resume: Checkpoint | None = None) -> Iterator[Progress]: ...

    def checkpoint(self) -> Checkpoint: ...

    def embedding(self) -> Embedding: ...
