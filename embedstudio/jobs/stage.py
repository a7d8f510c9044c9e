"""What a long job reports between its steps, for the progress the window shows in its status bar
(and the command line prints)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Stage:
    text: str  # what is being done now, for a person ("UMAP: laying out 11,754 points")
    fraction: float | None = None  # of the whole job, when it can be known
    eta_s: float | None = None  # seconds left, when they can be estimated
    preview: object = None  # the result as it stands, where a job can show one (a t-SNE map as it forms)


def staged(work, poll_s: float = 0.25, waiting=None):
    """Run ``work(report)`` in a helper thread -- for calls that block (a umap or openTSNE fit, an audit) --
    and yield, every ``poll_s`` while it runs, the latest Stage it passed to ``report``, or ``waiting()``
    when it has said nothing new (nothing when ``waiting`` is None). Returns what ``work`` returned;
    re-raises what it raised. Closing the generator leaves the thread to finish on its own (its result is
    dropped)."""
    import queue
    import threading

    reports: queue.Queue = queue.Queue()
    box: dict = {}

    def run():
        try:
            box["value"] = work(reports.put)
        except BaseException as e:  # noqa: BLE001 - re-raised in the job's thread
            box["error"] = e

    thread = threading.Thread(target=run, name="staged-work", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(poll_s)
        latest = None
        while True:
            try:
                latest = reports.get_nowait()
            except queue.Empty:
                break
        if latest is None and waiting is not None:
            latest = waiting()
        if latest is not None:
            yield latest
    if "error" in box:
        raise box["error"]
    return box.get("value")


def audit_job(embedding, preset, **options):
    """Job: the bias audit (:func:`embedstudio.analysis.audit.run_audit`) with its stages reported."""
    from embedstudio.analysis.audit import run_audit

    return (yield from staged(lambda report: run_audit(
        embedding, preset, progress=lambda text, share: report(Stage(f"bias audit: {text}", share)), **options)))
