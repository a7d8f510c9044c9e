"""The trainer protocol shared by every trainer, the CLI and the app's worker.

``trainer.fit(data, resume=None)`` is a generator of :class:`Progress`. Each yield is a progress
report and a cancellation point: stop iterating to cancel, stop pulling to pause, call
``trainer.checkpoint()`` between yields to save. Resuming needs only the checkpoint, whose
``cursor`` is one integer (units of work done since the start of training).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import zipfile
from typing import Any, Iterator, Protocol

import numpy as np

from embedstudio.data.errors import DataFormatError
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
        path = os.fspath(path)
        header = {"format": _CHECKPOINT_TAG, "trainer": self.trainer, "cursor": int(self.cursor),
                  "config": self.config, "state": self.state, "arrays": sorted(self.arrays)}
        tmp = f"{path}.tmp{os.getpid()}"
        try:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
                z.writestr("header.json", json.dumps(header))
                for name, arr in self.arrays.items():
                    buf = io.BytesIO()
                    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
                    z.writestr(f"{name}.npy", buf.getvalue())
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Checkpoint":
        path = os.fspath(path)
        try:
            with zipfile.ZipFile(path) as z:
                header = json.loads(z.read("header.json").decode("utf-8"))
                if not isinstance(header, dict) or header.get("format") != _CHECKPOINT_TAG:
                    raise DataFormatError(path, None, "not an EmbedStudio checkpoint")
                arrays = {
                    name: np.load(io.BytesIO(z.read(f"{name}.npy")), allow_pickle=False)
                    for name in header["arrays"]
                }
            return cls(header["trainer"], int(header["cursor"]), header["config"], arrays, header.get("state", {}))
        except DataFormatError:
            raise
        except (zipfile.BadZipFile, OSError, KeyError, TypeError, ValueError, UnicodeDecodeError, EOFError,
                NotImplementedError, RuntimeError, MemoryError) as e:
            raise DataFormatError(path, None, f"cannot read checkpoint: {e}") from None


class Trainer(Protocol):
    name: str

    def fit(self, data: Any, resume: Checkpoint | None = None) -> Iterator[Progress]: ...

    def checkpoint(self) -> Checkpoint: ...

    def embedding(self) -> Embedding: ...
