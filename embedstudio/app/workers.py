"""One background worker for heavy jobs (Orange's rule: one task at a time).

A job is a callable run on a worker thread. If it returns a generator, every yielded value is a
progress report and a cancellation point (superqt's thread_worker idea): cancel stops pulling and
closes the generator; pause stops pulling until resumed. The generator's ``return`` value (or a
plain callable's result) is the job's result. Reports reach the GUI thread as queued signals.
Starting a new job cancels the old one and disconnects its signals, so stale results never land.
"""

from __future__ import annotations

import threading
import traceback
import types
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from embedstudio.data.errors import DataFormatError

_gui_thread_collector = None


def collect_garbage_in_gui_thread() -> None:
    """Turn off Python's automatic cycle collection and run it from a GUI-thread timer instead.

    Left automatic, a collection can start in a job's thread (numba's compiler allocates a lot) and
    destroy a Qt object from a reference cycle there; ~QObject then takes a Qt lock and waits for the
    GIL while the GUI thread holds the GIL and waits for that lock: a deadlock (seen on a cold numba
    cache). pyqtgraph's collector keeps the usual generation thresholds, checked once a second."""
    global _gui_thread_collector
    if _gui_thread_collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _gui_thread_collector = GarbageCollector(interval=1.0)


class Job(QObject):
    progress = Signal(object)
    finished = Signal(object)  # the result
    failed = Signal(str, str)  # (message for a person, technical detail)
    cancelled = Signal()
    ended = Signal()  # after finished, failed or cancelled

    def __init__(self, name: str, fn: Callable, args: tuple, kwargs: dict):
        super().__init__()
        self.name = name
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._thread = threading.Thread(target=self._run, name=f"job:{name}", daemon=True)

    # --------------------------------------------------------------- control (GUI thread)
    def start(self) -> None:
        self._thread.start()

    @property
    def started(self) -> bool:
        return self._thread.ident is not None

    def cancel(self) -> None:
        self._cancel.set()
        self._running.set()  # a paused job must wake up to notice the cancel

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # --------------------------------------------------------------- the worker thread
    def _run(self) -> None:
        try:
            out = self._fn(*self._args, **self._kwargs)
            if isinstance(out, types.GeneratorType):
                result = self._pull(out)
            else:
                result = out
            if self._cancel.is_set():
                self.cancelled.emit()
            else:
                self.finished.emit(result)
        except DataFormatError as e:
            self.failed.emit(str(e), "")
        except MemoryError:
            self.failed.emit(f"{self.name}: not enough memory for this job", traceback.format_exc())
        except Exception as e:  # noqa: BLE001 - any failure becomes a message, never a dead window
            self.failed.emit(f"{self.name} failed: {e}", traceback.format_exc())
        finally:
            self.ended.emit()

    def _pull(self, gen) -> Any:
        try:
            while True:
                self._running.wait()
                if self._cancel.is_set():
                    gen.close()
                    return None
                try:
                    report = next(gen)
                except StopIteration as stop:
                    return stop.value
                self.progress.emit(report)
        finally:
            gen.close()


class Worker(QObject):
    """Owns the one running job. Starting another cancels it first; a job that cannot stop at once
    (a plain call such as UMAP has no yield to stop at) is retired: its result is dropped and the
    next job waits for it to end, so two jobs never run numba code at the same time."""

    busy_changed = Signal(bool)
    job_started = Signal(str)  # the job's name
    job_progress = Signal(str, object)  # the current job's name and each of its progress items

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        collect_garbage_in_gui_thread()
        self.job: Job | None = None
        self._retired: Job | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(50)
        self._poll.timeout.connect(self._start_when_free)

    def start(self, name: str, fn: Callable, *args, on_progress=None, on_finished=None, on_failed=None,
              on_cancelled=None, cancel_with: Callable | None = None, **kwargs) -> Job:
        """Run ``fn(*args, **kwargs)`` as the one job. ``cancel_with`` is what the status bar's Cancel calls for
        it (the panel's own cancel, which also resets the panel); without it Cancel just stops the job."""
        self.cancel(wait=0.5)  # a generator job stops within one step
        job = Job(name, fn, args, kwargs)
        job.cancel_with = cancel_with
        for signal, callback in ((job.progress, on_progress), (job.finished, on_finished),
                                 (job.failed, on_failed), (job.cancelled, on_cancelled)):
            if callback is not None:
                signal.connect(self._current_only(job, callback))
        job.progress.connect(self._current_only(job, lambda item, j=job: self.job_progress.emit(j.name, item)))
        job.ended.connect(lambda j=job: self._ended(j))
        self.job = job
        self.busy_changed.emit(True)
        self.job_started.emit(name)
        self._start_when_free()
        return job

    def cancel_current(self) -> None:
        """The status bar's Cancel: the job's own cancel when it has one, else a plain stop."""
        job = self.job
        if job is None:
            return
        if job.cancel_with is not None:
            job.cancel_with()
        else:
            self.cancel(wait=0)

    def _start_when_free(self) -> None:
        if self._retired is not None and self._retired.is_alive():
            self._poll.start()
            return
        self._retired = None
        self._poll.stop()
        if self.job is not None and not self.job.started:
            self.job.start()

    def _current_only(self, job: Job, callback: Callable) -> Callable:
        """A report still queued when its job was replaced is dropped, not delivered."""

        def deliver(*args):
            if self.job is job:
                callback(*args)

        return deliver

    def cancel(self, wait: float | None = 10.0) -> None:
        """Cancel the running job and drop its pending reports; wait up to ``wait`` s for it to end."""
        old = self.job
        if old is None:
            return
        self.job = None
        old.blockSignals(True)
        old.cancel()
        if old.started and not old.wait(wait):
            self._retired = old
        self.busy_changed.emit(False)

    def _ended(self, job: Job) -> None:
        if job is self.job:
            self.job = None
            self.busy_changed.emit(False)

    @property
    def busy(self) -> bool:
        return self.job is not None or (self._retired is not None and self._retired.is_alive())
