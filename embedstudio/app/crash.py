"""Uncaught exceptions in the window: written to a rotating log file and shown in a dialog with its path.

Without this, an exception in a Qt slot is printed to a terminal the user does not have (a
double-clicked app has none) and the action silently does nothing. Here every uncaught exception,
in the GUI thread or any other Python thread, goes to ``embedstudio.log`` in the per-user log
folder (rotated at 1 MB, three old files kept), and the GUI shows a non-blocking dialog that names
the file. The window stays alive.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
import traceback

LOG_NAME = "embedstudio.log"
_MAX_BYTES = 1 << 20
_BACKUPS = 3


def log_dir() -> str:
    """$EMBEDSTUDIO_LOG_DIR, else the platform's per-user place for logs."""
    if os.environ.get("EMBEDSTUDIO_LOG_DIR"):
        return os.environ["EMBEDSTUDIO_LOG_DIR"]
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        return os.path.join(os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local"),
                            "EmbedStudio", "Logs")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Logs", "EmbedStudio")
    base = os.environ.get("XDG_STATE_HOME") or ""
    if not os.path.isabs(base):
        base = os.path.join(home, ".local", "state")
    return os.path.join(base, "embedstudio")


def setup_logging() -> str:
    """The app's logger writes to the rotating log file; returns the file's path."""
    folder = log_dir()
    path = os.path.join(folder, LOG_NAME)
    logger = logging.getLogger("embedstudio")
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in logger.handlers):
        try:
            os.makedirs(folder, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS,
                                                           encoding="utf-8")
        except OSError:  # an unwritable home: log to stderr only, never fail to start
            handler = logging.StreamHandler()
            path = "(standard error: the log folder could not be created)"
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return path


class CrashReporter:
    """Installs ``sys.excepthook`` and ``threading.excepthook``; ``show`` is called with
    (summary, log path) in the GUI thread (the caller makes it thread-safe, e.g. a queued signal)."""

    def __init__(self, show, log_path: str | None = None):
        self.log_path = log_path or setup_logging()
        self.show = show
        self.reported: list[str] = []
        self._previous = (sys.excepthook, threading.excepthook)

    def install(self) -> "CrashReporter":
        sys.excepthook = self._hook
        threading.excepthook = lambda args: self._hook(args.exc_type, args.exc_value, args.exc_traceback,
                                                       args.thread.name if args.thread else "thread")
        return self

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def _hook(self, exc_type, exc, tb, where: str = "the window") -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous[0](exc_type, exc, tb)
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        logging.getLogger("embedstudio").error("uncaught exception in %s:\n%s", where, text)
        summary = f"{exc_type.__name__}: {exc}"
        self.reported.append(summary)
        try:
            self.show(summary, self.log_path)
        except Exception:  # noqa: BLE001 - the reporter itself must never raise
            sys.__stderr__.write(text)
