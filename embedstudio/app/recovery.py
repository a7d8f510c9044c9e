"""The window's side of autosave (app/autosave.py): saving the session now and then in the
background, and after a crash offering to restore what was saved."""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox


class Recovery:
    """Autosave for the window ``shell``: off until :meth:`enable` (the real app enables it; tests opt in)."""

    def __init__(self, shell):
        self.shell = shell
        self.autosave = None
        self.restore_offer = None  # the question after a crash
        self._dirty = False
        self._thread = None
        self._timer = None
        shell.session.subscribe(self._on_session)

    def enable(self, interval_s: float | None = None) -> bool:
        """Start autosaving. Returns True when the previous run crashed: the window then offers to restore
        its last autosave."""
        from embedstudio.app import autosave

        self.autosave = autosave.Autosave()
        crashed = self.autosave.start()
        interval = autosave.interval_s() if interval_s is None else interval_s
        if interval > 0:
            self._timer = QTimer(self.shell)
            self._timer.timeout.connect(self.save_now)
            self._timer.start(int(interval * 1000))
        if crashed:
            self._offer_restore()
        return crashed

    def _offer_restore(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "EmbedStudio",
                          "EmbedStudio did not quit normally last time. Restore the session it was autosaving?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.shell)
        box.setModal(False)
        box.button(QMessageBox.StandardButton.Yes).setText("Restore")
        box.button(QMessageBox.StandardButton.No).setText("Start afresh")
        box.accepted.connect(self.restore)
        box.show()
        self.restore_offer = box

    def restore(self) -> None:
        """File ▸ Restore autosave (and the offer's Restore): the newest readable autosave."""
        if self.autosave is None:
            from embedstudio.app.autosave import Autosave

            self.autosave = Autosave()
        if self.autosave.newest() is None:
            self.shell.show_error("There is no autosave to restore")
            return
        self.shell.open_session(None, autosave=self.autosave)

    def _on_session(self, event: str) -> None:
        if event in ("datasets", "embeddings", "current"):
            self._dirty = True

    def save_now(self, wait: bool = False) -> threading.Thread | None:
        """Save the session into the autosave slot in a background thread (``wait``: in this one), if
        anything changed since the last autosave and no autosave is still writing."""
        session = self.shell.session
        if self.autosave is None or not self._dirty or not (session.datasets or session.embeddings):
            return None
        if self._thread is not None and self._thread.is_alive():
            if not wait:
                return None
            self._thread.join()
        write = self.shell.session_writer()
        self._dirty = False

        def run():
            try:
                self.autosave.save(write)
            except OSError as e:  # a full disk must not take the window down; the next autosave retries
                self._dirty = True
                logging.getLogger("embedstudio").warning("autosave failed: %s", e)

        if wait:
            run()
            return None
        self._thread = threading.Thread(target=run, name="autosave", daemon=True)
        self._thread.start()
        return self._thread

    def close(self) -> None:
        """The window closes: the last state, then a clean quit (no restore offer next time)."""
        if self.autosave is not None:
            self.save_now(wait=True)
            self.autosave.stop()
