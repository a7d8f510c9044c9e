"""PyInstaller runtime hook: numba's on-disk cache in a per-user folder when frozen.

Runs before the app's own code, so before anything imports numba. numba's default is a
``__pycache__`` beside each module, which inside an installed bundle is read-only (or shared by
every user); it then recompiles every kernel at each start. A user's own setting wins.
"""

import os
import sys


def _numba_cache_dir() -> str:
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, "EmbedStudio", "Cache", "numba")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "EmbedStudio", "numba")
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):  # the XDG spec: a relative value is invalid and is ignored
        base = os.path.join(home, ".cache")
    return os.path.join(base, "embedstudio", "numba")


if getattr(sys, "frozen", False) and not os.environ.get("NUMBA_CACHE_DIR"):
    # numba makes the folder when it first caches a kernel; if it cannot (an unwritable home), it
    # falls back to its other cache locations or compiles in memory: slower starts, nothing worse.
    os.environ["NUMBA_CACHE_DIR"] = _numba_cache_dir()
