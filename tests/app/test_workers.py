"""The background worker: progress in the GUI thread, cancel, pause, failures as messages."""

import sys
import threading
import time

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QObject, QThread, Signal  # noqa: E402

from embedstudio.app.workers import Worker  # noqa: E402
from embedstudio.data.errors import DataFormatError  # noqa: E402


def counting(n, delay=0.0, gate: threading.Event | None = None):
    for i in range(n):
        if gate is not None:
            gate.wait()
        time.sleep(delay)
        yield i
    return "done"


def test_progress_arrives_in_the_gui_thread_and_result_at_the_end(qtbot):
    worker = Worker()
    seen, threads = [], []

    def on_progress(i):
        seen.append(i)
        threads.append(QThread.currentThread())

    results = []
    worker.start("count", counting, 20, on_progress=on_progress, on_finished=results.append)
    qtbot.waitUntil(lambda: results == ["done"], timeout=5000)
    assert seen == list(range(20))
    gui = QThread.currentThread()
    assert all(t is gui or t == gui for t in threads)
    qtbot.waitUntil(lambda: not worker.busy, timeout=2000)


def test_cancel_stops_a_long_job_and_closes_its_generator(qtbot):
    closed = threading.Event()

    def endless():
        try:
            while True:
                time.sleep(0.005)
                yield 1
        finally:
            closed.set()

    worker = Worker()
    seen = []
    job = worker.start("endless", endless, on_progress=seen.append)
    qtbot.waitUntil(lambda: len(seen) > 0, timeout=2000)
    job.cancel()
    assert job.wait(5.0)
    assert closed.is_set()


def test_pause_stops_pulling_until_resumed(qtbot):
    worker = Worker()
    seen = []
    job = worker.start("count", counting, 1000, 0.002, on_progress=seen.append)
    qtbot.waitUntil(lambda: len(seen) > 3, timeout=3000)
    job.pause()
    time.sleep(0.1)
    qtbot.wait(50)
    frozen = len(seen)
    time.sleep(0.2)
    qtbot.wait(50)
    assert len(seen) <= frozen + 1  # at most the report in flight when pause was pressed
    job.resume()
    qtbot.waitUntil(lambda: len(seen) > frozen + 5, timeout=3000)
    worker.cancel()


def test_a_new_job_cancels_the_old_and_its_results_never_land(qtbot):
    worker = Worker()
    old_seen, old_done = [], []
    old = worker.start("old", counting, 1000, 0.005, on_progress=old_seen.append, on_finished=old_done.append)
    qtbot.waitUntil(lambda: len(old_seen) > 2, timeout=3000)
    new_done = []
    worker.start("new", counting, 3, on_finished=new_done.append)  # cancels "old", waits for it to stop
    landed = len(old_seen)
    assert not old.is_alive()
    qtbot.waitUntil(lambda: new_done == ["done"], timeout=5000)
    qtbot.wait(100)  # give any stale queued report the chance to (wrongly) arrive
    assert len(old_seen) == landed and old_done == []


def test_failures_become_messages(qtbot):
    def bad_file():
        raise DataFormatError("/x/corpus.txt", 7, "invalid UTF-8")
        yield  # pragma: no cover

    def crash():
        return 1 / 0

    worker = Worker()
    failures = []
    worker.start("read", bad_file, on_failed=lambda *a: failures.append(a))
    qtbot.waitUntil(lambda: len(failures) == 1, timeout=5000)
    assert failures[0][0] == "/x/corpus.txt, line 7: invalid UTF-8"
    worker.start("compute", crash, on_failed=lambda *a: failures.append(a))
    qtbot.waitUntil(lambda: len(failures) == 2, timeout=5000)
    assert "compute failed: division by zero" in failures[1][0] and "ZeroDivisionError" in failures[1][1]


def test_signal_emission_does_not_leak_references_to_true():
    """Canary for PySide6 6.12.0 on CPython 3.11, whose emit() drops a reference to True each time."""

    class Emitter(QObject):
        ping = Signal(bool)

    e = Emitter()
    e.ping.connect(lambda flag: None)
    before = sys.getrefcount(True)
    for _ in range(500):
        e.ping.emit(True)
    assert abs(sys.getrefcount(True) - before) < 50


def test_a_job_that_cannot_stop_is_retired_and_the_next_waits_for_it(qtbot):
    order = []
    release = threading.Event()

    def long_call():  # no yield: like UMAP, it cannot be interrupted
        order.append("old start")
        release.wait(5)
        order.append("old end")
        return "old"

    def quick():
        order.append("new start")
        return "new"

    worker = Worker()
    dropped, results = [], []
    worker.start("long", long_call, on_finished=dropped.append)
    qtbot.waitUntil(lambda: order == ["old start"], timeout=2000)
    started = time.monotonic()
    worker.start("quick", quick, on_finished=results.append)  # must not block the GUI thread
    assert time.monotonic() - started < 2.0 and worker.busy
    qtbot.wait(200)
    assert order == ["old start"]  # the new job waits: never two numba jobs at once
    release.set()
    qtbot.waitUntil(lambda: results == ["new"], timeout=5000)
    assert order == ["old start", "old end", "new start"] and dropped == []


class _CyclicQObject(QObject):
    """A Qt object kept alive only by a reference cycle: only the cycle collector frees it."""

    deleted_in: list = []

    def __init__(self):
        super().__init__()
        self.me = self

    def __del__(self):
        _CyclicQObject.deleted_in.append(threading.current_thread().name)


def allocating_job(n):
    for i in range(n):
        for _ in range(1000):  # cyclic garbage: enough to trigger an automatic collection
            loop = []
            loop.append(loop)
        yield i


def test_qt_garbage_in_cycles_is_collected_in_the_gui_thread_never_in_a_job(qtbot):
    # A cyclic Qt object freed on a job's thread deadlocked the window (Qt's lock against the GIL).
    worker = Worker()
    _CyclicQObject.deleted_in.clear()
    _CyclicQObject()  # unreachable at once, but freed only by a collection
    done = []
    worker.start("allocate", allocating_job, 200, on_finished=done.append)
    qtbot.waitUntil(lambda: bool(done and _CyclicQObject.deleted_in), timeout=10000)
    assert _CyclicQObject.deleted_in == [threading.main_thread().name]
