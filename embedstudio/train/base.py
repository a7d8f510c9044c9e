"""The trainer protocol shared by every trainer, the CLI and the app's worker.

``trainer.fit(data, resume=None)`` is a generator of :class:`Progress`. Each yield is a progress
report and a cancellation point: stop iterating to cancel, stop pulling to pause, call
``trainer.checkpoint()`` between yields to save. Resuming needs only the checkpoint, whose
``cursor`` is one integer (units of work done since the start of training).
"""

from __future__ import annotations

import collections
import dataclasses
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, Protocol

import numpy as np

from embedstudio.errors import DataFormatError
from embedstudio.storage import read_json_arrays, write_json_arrays
from embedstudio.vectors import Embedding

_CHECKPOINT_TAG = "embedstudio-checkpoint"


SNAPSHOTS_PER_RUN = 25  # snapshots a small model's run hands the live view at least, spread over its progress
PROGRESS_SNAPSHOT_MAX_BYTES = 64 << 20  # above this, copies cost too much: snapshots by time only
MIN_SNAPSHOT_GAP_S = 0.04  # never more than ~25 a second: the window draws each one


@dataclasses.dataclass(frozen=True)
class Progress:
    cursor: int  # units of work done since the start (chunks); a checkpoint here resumes from it
    total: int  # units in the whole run
    epoch: int  # 0-based epoch the cursor is in
    epochs: int
    loss: float  # float64 mean loss per example over the epoch so far, counted during updates
    epoch_losses: tuple[float, ...]  # mean loss of each finished epoch, counted during updates
    items_done: int  # words (or edges, documents) processed since the start of this fit() call
    items_per_s: float  # over this fit() call
    learning_rate: float
    elapsed_s: float
    start_cursor: int = 0  # where this fit() call began (after a resume, > 0)
    step_loss: float = float("nan")  # mean loss over the units finished since the previous report
    snapshot: Embedding | None = None
    # The running figures above are counted while the vectors change, over terms that vary in number: an
    # epoch's mean is not comparable with the next one's (word2vec's rose as its rate decayed). Trainers
    # that can also score their objective on a fixed sample with the vectors frozen do so after each epoch.
    loss_label: str = "loss per example"  # what loss, step_loss and epoch_losses are
    objective_label: str = ""  # what epoch_objective is ("" when the trainer has none)
    epoch_objective: tuple[float, ...] = ()  # the objective on a fixed sample at the end of each finished epoch

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
        except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as e:  # e.g. a cursor of Infinity
            raise DataFormatError(os.fspath(path), None, f"inconsistent checkpoint: {e}") from None


class TrainingDiverged(FloatingPointError):
    """The loss or the vectors became NaN or infinite: training stops instead of producing garbage,
    and no checkpoint of the broken state is made (the last good one stays)."""


def check_finite(arrays: dict[str, np.ndarray], what: str) -> None:
    for name, a in arrays.items():
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            raise TrainingDiverged(f"the {name} array became non-finite {what}: lower the learning rate")


class Trainer(Protocol):
    name: str

    def fit(self, data: Any, resume: Checkpoint | None = None) -> Iterator[Progress]: ...

    def checkpoint(self) -> Checkpoint: ...

    def embedding(self) -> Embedding: ...


class ChunkedTrainer:
    """The Python loop every numba trainer shares (umap's rule: Python owns the loop).

    Work is cut into units ("chunks"); chunk c of a run belongs to epoch c // chunks_per_epoch and
    gets its seed from (run seed, c). One thread runs chunks in order, so a run is deterministic
    and a resumed run is bit-identical; more threads run them hogwild on a pool (the kernels
    release the GIL), taking results in chunk order so the cursor always means "every chunk
    before it is done". Subclasses provide the data-specific parts:

    - ``_prepare(data, resuming) -> (chunks_per_epoch, fingerprint)``: tables for this run;
    - ``_init_arrays() -> dict`` of the trained arrays (``array_names``);
    - ``_run_chunk(chunk) -> (loss_sum, examples, items)``: one kernel call;
    - ``_learning_rate(cursor) -> float`` and ``embedding()``;
    - optionally ``_evaluate() -> float``: the objective on a fixed sample, vectors frozen (with
      ``objective_label`` saying what it is), called after each epoch while no unit runs.
    """

    name = "trainer"
    array_names: tuple[str, ...] = ()
    array_dtype = np.float32
    resume_may_differ = frozenset({"threads"})  # settings a checkpoint may be resumed with changed
    loss_label = "loss per example"  # what the running loss is (a trainer names its own)
    objective_label = ""  # what _evaluate returns; "" = no fixed-sample objective

    def __init__(self, config):
        self.config = config
        self.arrays: dict[str, np.ndarray] = {}
        self._cursor = 0
        self._inflight: collections.deque = collections.deque()
        self._epoch_loss: dict[int, list] = {}
        self._epoch_losses: list[float] = []
        self._epoch_objective: list[float] = []
        self._unit_pool: ThreadPoolExecutor | None = None
        self.evaluation_s = 0.0  # seconds spent in _evaluate during the last fit() (its overhead)
        self._items_done = 0
        self._step_loss = [0.0, 0]
        self._chunks_per_epoch = 1
        self._fingerprint: dict = {}

    # ---------------------------------------------------------------- hooks
    def _prepare(self, data, resuming: bool) -> tuple[int, dict]:
        raise NotImplementedError

    def _init_arrays(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _run_chunk(self, chunk: int) -> tuple[float, int, int]:
        raise NotImplementedError

    def _learning_rate(self, cursor: int) -> float:
        raise NotImplementedError

    def _evaluate(self) -> float | None:
        return None

    def _unit_threads(self) -> int:
        """Threads that run units at once (a trainer that parallelises inside a unit says 1)."""
        return self.config.threads

    def embedding(self) -> Embedding:
        raise NotImplementedError

    # ---------------------------------------------------------------- the loop
    def fit(self, data, resume: Checkpoint | None = None, snapshot_every_s: float | None = None) -> Iterator[Progress]:
        cfg = self.config
        n_chunks, fingerprint = self._prepare(data, resume is not None)
        self._chunks_per_epoch = n_chunks
        total = n_chunks * cfg.epochs
        if resume is not None:
            self._restore(resume, fingerprint)
        else:
            self.arrays = self._init_arrays()
            self._cursor = 0
            self._epoch_loss = {}
            self._epoch_losses = []
            self._epoch_objective = []
        self._fingerprint = fingerprint
        self.evaluation_s = 0.0
        start_cursor = next_chunk = self._cursor
        self._items_done = 0
        self._step_loss = [0.0, 0]
        started = last_snapshot = time.perf_counter()
        # small models also get a snapshot every 1/SNAPSHOTS_PER_RUN of the run: a two-second run (the bundled
        # hierarchy) then animates instead of finishing before the first timed snapshot
        small = sum(a.nbytes for a in self.arrays.values()) <= PROGRESS_SNAPSHOT_MAX_BYTES
        snapshot_step = max(1, (total - self._cursor) // SNAPSHOTS_PER_RUN) if small else None
        last_snapshot_cursor = self._cursor
        threads = self._unit_threads()
        pool = ThreadPoolExecutor(threads, thread_name_prefix=self.name) if threads > 1 else None
        self._unit_pool = pool  # idle while _evaluate runs: it may share the sample among the threads
        try:
            while self._cursor < total:
                if pool is None:
                    self._account(self._cursor, self._run_chunk(self._cursor))
                else:
                    next_chunk = max(next_chunk, self._cursor + len(self._inflight))
                    # never into the next epoch while this one runs: an epoch of one or two units (a small
                    # graph) would otherwise train beside the next, from almost the same vectors, its loss filed
                    # under the later epoch (the mammal relations read 13 -> 16 -> 0.6 with two threads)
                    while (len(self._inflight) < 2 * threads and next_chunk < total
                           and (not self._inflight or next_chunk // n_chunks == self._inflight[0][0] // n_chunks)):
                        self._inflight.append((next_chunk, pool.submit(self._run_chunk, next_chunk)))
                        next_chunk += 1
                    chunk, future = self._inflight[0]
                    result = future.result()
                    self._inflight.popleft()
                    self._account(chunk, result)
                now = time.perf_counter()
                snapshot = None
                if snapshot_every_s is not None and (
                        now - last_snapshot >= snapshot_every_s or self._cursor == total or
                        (snapshot_step is not None and self._cursor - last_snapshot_cursor >= snapshot_step
                         and now - last_snapshot >= MIN_SNAPSHOT_GAP_S)):
                    snapshot = self.embedding()
                    last_snapshot, last_snapshot_cursor = now, self._cursor
                elapsed = now - started
                step_sum, step_n = self._step_loss
                self._step_loss = [0.0, 0]
                epoch = min((self._cursor - 1) // n_chunks, cfg.epochs - 1)
                loss_sum, examples = self._epoch_loss.get(epoch, (0.0, 0))
                yield Progress(
                    cursor=self._cursor, total=total, epoch=epoch, epochs=cfg.epochs,
                    loss=loss_sum / examples if examples else float("nan"),
                    epoch_losses=tuple(self._epoch_losses), items_done=self._items_done,
                    items_per_s=self._items_done / elapsed if elapsed > 0 else 0.0,
                    learning_rate=self._learning_rate(self._cursor), elapsed_s=elapsed,
                    start_cursor=start_cursor, snapshot=snapshot,
                    step_loss=step_sum / step_n if step_n else float("nan"),
                    loss_label=self.loss_label, objective_label=self.objective_label,
                    epoch_objective=tuple(self._epoch_objective),
                )
        finally:
            # Cancelled or finished: let running chunks end so no thread writes after we return.
            self._drain()
            if pool is not None:
                pool.shutdown(wait=True)
            self._unit_pool = None

    def checkpoint(self) -> Checkpoint:
        """A consistent copy of the training state, taken between two yields of fit()."""
        if not self.arrays:
            raise RuntimeError("nothing to checkpoint: training has not started")
        self._drain()
        check_finite(self.arrays, f"before checkpoint {self._cursor}")  # never save a broken state
        return Checkpoint(
            trainer=self.name, cursor=self._cursor, config=self.config.to_dict(),
            arrays={name: self.arrays[name].copy() for name in self.array_names}, state=self._state(),
        )

    def _state(self) -> dict:
        """A checkpoint's counters: the running loss sums, both per-epoch curves and the data's fingerprint."""
        return {"epoch_loss": {str(e): [float(s), int(n)] for e, (s, n) in self._epoch_loss.items()},
                "epoch_losses": list(self._epoch_losses), "epoch_objective": list(self._epoch_objective),
                "fingerprint": self._fingerprint}

    @property
    def epoch_losses(self) -> list[float]:
        return list(self._epoch_losses)

    @property
    def epoch_objective(self) -> list[float]:
        return list(self._epoch_objective)

    def _loss_info(self) -> dict:
        """The loss curves an Embedding's info keeps (the window and the command line print them)."""
        info = {"epoch_losses": list(self._epoch_losses), "loss": self.loss_label}
        if self.objective_label:
            info.update(epoch_objective=list(self._epoch_objective), objective=self.objective_label)
        return info

    @property
    def chunks_done(self) -> int:
        return self._cursor

    # ---------------------------------------------------------------- internals
    def _account(self, chunk: int, result) -> None:
        loss, examples, items = result
        acc = self._epoch_loss.setdefault(chunk // self._chunks_per_epoch, [0.0, 0])
        acc[0] += float(loss)
        acc[1] += int(examples)
        self._step_loss[0] += float(loss)
        self._step_loss[1] += int(examples)
        self._items_done += int(items)
        self._cursor = chunk + 1
        if self._cursor % self._chunks_per_epoch == 0:
            self._epoch_losses.append(acc[0] / acc[1] if acc[1] else float("nan"))
            # no unit runs now: fit never starts one of the next epoch before this one's last is counted
            started = time.perf_counter()
            value = self._evaluate()
            self.evaluation_s += time.perf_counter() - started
            if value is not None:
                self._epoch_objective.append(float(value))
            if not self._inflight:  # one thread: a cheap pass once an epoch (with more, checkpoint() checks)
                check_finite(self.arrays, f"in epoch {len(self._epoch_losses)}")

    def _drain(self) -> None:
        """Wait for every running chunk and count it; after a failed chunk, only wait."""
        failed = None
        while self._inflight:
            chunk, future = self._inflight.popleft()
            try:
                result = future.result()
            except BaseException as e:  # noqa: BLE001 - re-raised below once all threads stopped
                failed = failed or e
                continue
            if failed is None:
                self._account(chunk, result)
        if failed is not None:
            raise failed

    def _restore(self, ckpt: Checkpoint, fingerprint: dict) -> None:
        if ckpt.trainer != self.name:
            raise ValueError(f"this checkpoint is from the {ckpt.trainer!r} trainer, not {self.name!r}")
        mine = self.config.to_dict()
        differ = sorted(k for k in mine if k not in self.resume_may_differ and ckpt.config.get(k) != mine[k])
        if differ:
            raise ValueError("the checkpoint was trained with other settings: " + ", ".join(
                f"{k}={ckpt.config.get(k)!r} (now {mine[k]!r})" for k in differ))
        if ckpt.state.get("fingerprint") != fingerprint:
            raise ValueError("the checkpoint was trained on another dataset (its size or contents differ)")
        missing = [n for n in self.array_names if n not in ckpt.arrays]
        if missing:
            raise ValueError(f"the checkpoint lacks arrays: {', '.join(missing)}")
        self.arrays = {n: np.ascontiguousarray(ckpt.arrays[n], dtype=self.array_dtype).copy() for n in self.array_names}
        self._cursor = int(ckpt.cursor)
        self._epoch_loss = {int(e): [float(s), int(n)] for e, (s, n) in ckpt.state.get("epoch_loss", {}).items()}
        self._epoch_losses = [float(x) for x in ckpt.state.get("epoch_losses", [])]
        self._epoch_objective = [float(x) for x in ckpt.state.get("epoch_objective", [])]
        self._inflight.clear()


OBJECTIVE_HOW = "fixed sample, end of epoch"


def objective_summary(info: dict) -> str:
    """A finished run's loss by epoch, from its Embedding info: the fixed-sample objective when the trainer
    scored one, else the running loss (said so)."""
    if info.get("epoch_objective"):
        values = ", ".join(f"{x:.4g}" for x in info["epoch_objective"])
        return f"{info.get('objective', 'loss')} ({OBJECTIVE_HOW}) by epoch: {values}"
    values = ", ".join(f"{x:.4g}" for x in info.get("epoch_losses", []))
    return f"{info.get('loss', 'loss')} (counted during updates) by epoch: {values}"
