"""Crash-safe autosave of the session: two slots, a lock that tells a crash from a clean quit.

* Every few minutes (and on quit) the window saves its session into the older of two slot folders
  (``autosave-a``, ``autosave-b``) in the per-user state folder, with the session's own crash-safe
  writer. A slot whose save was interrupted, or whose files were damaged later, is skipped at
  restore time for the other, so one bad save never loses the previous good one.
* ``running.json`` holds the process id while the window runs; a clean quit removes it. At the
  next start, a lock whose process is gone means the app crashed (or was killed): the window offers
  to restore the newest readable slot.

Nothing here imports Qt: the window drives it.
"""

from __future__ import annotations

import json
import os
import time

from embedstudio.app.crash import log_dir
from embedstudio.data.errors import DataFormatError
from embedstudio.storage import atomic_write

SLOTS = ("autosave-a", "autosave-b")
LOCK = "running.json"
DEFAULT_INTERVAL_S = 180.0


def state_dir() -> str:
    """$EMBEDSTUDIO_STATE_DIR, else the per-user state folder (where the log lives too)."""
    return os.environ.get("EMBEDSTUDIO_STATE_DIR") or log_dir()


def interval_s() -> float:
    """Seconds between autosaves: $EMBEDSTUDIO_AUTOSAVE_S (0 turns autosave off), else 3 minutes."""
    try:
        return max(0.0, float(os.environ.get("EMBEDSTUDIO_AUTOSAVE_S", DEFAULT_INTERVAL_S)))
    except ValueError:
        return DEFAULT_INTERVAL_S


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except OSError:
        return False
    return True


class Autosave:
    def __init__(self, folder: str | None = None):
        self.folder = folder or state_dir()
        self.last_saved: str | None = None
        self.crashed_before = False

    def slot_paths(self) -> list[str]:
        return [os.path.join(self.folder, s) for s in SLOTS]

    # ------------------------------------------------------------------ the lock
    def start(self) -> bool:
        """Take the lock; returns True when the previous run did not quit cleanly (it crashed)."""
        os.makedirs(self.folder, exist_ok=True)
        lock = os.path.join(self.folder, LOCK)
        crashed = False
        try:
            with open(lock, encoding="utf-8") as f:
                previous = json.load(f)
            pid = int(previous.get("pid", -1))
            crashed = pid != os.getpid() and not _pid_alive(pid)
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, AttributeError):
            crashed = True  # a damaged lock: the previous run did not end cleanly
        with atomic_write(lock) as f:
            f.write(json.dumps({"pid": os.getpid(), "started": time.time()}).encode())
        self.crashed_before = crashed and self.newest() is not None
        return self.crashed_before

    def stop(self) -> None:
        """A clean quit: release the lock (the autosave slots stay for File ▸ Restore autosave)."""
        try:
            os.remove(os.path.join(self.folder, LOCK))
        except OSError:
            pass

    # ------------------------------------------------------------------ slots
    def _stamp(self, slot: str) -> float:
        try:
            with open(os.path.join(slot, "autosave.json"), encoding="utf-8") as f:
                return float(json.load(f)["saved"])
        except (OSError, ValueError, KeyError, TypeError):
            return -1.0

    def target(self) -> str:
        """The slot the next save goes to: the older one (or one never written)."""
        return min(self.slot_paths(), key=self._stamp)

    def newest(self) -> str | None:
        """The slot with the newest finished save, or None."""
        stamped = [(self._stamp(p), p) for p in self.slot_paths()]
        stamped = [x for x in stamped if x[0] >= 0]
        return max(stamped)[1] if stamped else None

    def save(self, write) -> str:
        """``write(folder)`` saves the session into a slot; the slot's stamp is written last, so an
        interrupted save leaves the slot unstamped (older than the other) and never chosen first."""
        slot = self.target()
        os.makedirs(slot, exist_ok=True)
        try:
            os.remove(os.path.join(slot, "autosave.json"))  # unstamped while it is being rewritten
        except FileNotFoundError:
            pass
        write(slot)
        with atomic_write(os.path.join(slot, "autosave.json")) as f:
            f.write(json.dumps({"saved": time.time(), "pid": os.getpid()}).encode())
        self.last_saved = slot
        return slot

    def restore(self, read) -> tuple[str, object, list[str]]:
        """``read(folder)`` the newest readable slot; returns (slot, what read returned, problems with
        newer slots that could not be read). Raises DataFormatError when no slot can be read."""
        problems = []
        slots = sorted(((self._stamp(p), p) for p in self.slot_paths()), reverse=True)
        for stamp, slot in slots:
            if stamp < 0:
                continue
            try:
                return slot, read(slot), problems
            except DataFormatError as e:
                problems.append(str(e))
        raise DataFormatError(self.folder, None, "no autosave could be read" + (": " + "; ".join(problems)
                                                                                if problems else ""))
