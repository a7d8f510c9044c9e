"""Bounds around one reader call: peak memory per input, the audit hook that catches an open()
of a named pipe or of a file outside the case, CPU/wall-clock alarms, and lowered decompression allowances."""

from __future__ import annotations

import os
import signal
import stat
import sys
import threading
import time
import traceback
from typing import Any, Callable

HARD_CPU_S = 60.0  # a call still running after this much CPU time is stopped (a hang)
FUZZ_EXPANSION_ALLOWANCE = 1 << 20  # the decompression allowance while fuzzing (see the module docstring)
BAIT_FILES = ("/etc/hostname", "/etc/passwd", "/dev/zero", "/dev/urandom", "/proc/self/environ")


class ReaderRanAway(BaseException):
    """Raised by the CPU-time alarm inside a reader that does not stop (a BaseException, so a reader's
    ``except Exception`` cannot swallow it)."""


class ReaderBlocked(ReaderRanAway):
    """Raised by the wall-clock alarm: a call that waits (a blocked open or read) rather than computes."""


class BlockedOpen(ReaderRanAway):
    """Raised by the audit hook when a reader opens one of the case's named pipes in blocking mode."""


# --------------------------------------------------------------------------- peak memory per input
def _lifetime_peak() -> int:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    except (ImportError, OSError):
        return 0


def _status_bytes(field: str) -> int | None:
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(field.encode() + b":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


_CLEAR_REFS_OK: bool | None = None
_TRIM = None


def _malloc_trim() -> None:
    """Give the heap's free pages back to the system (glibc malloc_trim), so that an input's allocations
    show as RSS growth instead of reusing pages an earlier input left resident."""
    global _TRIM
    if _TRIM is None:
        try:
            import ctypes

            _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


def reset_peak() -> int | None:
    """Reset the process's peak RSS (VmHWM) to its current RSS (after handing free heap pages back); the RSS
    (bytes), or None when this system cannot (no writable /proc/self/clear_refs)."""
    global _CLEAR_REFS_OK
    if _CLEAR_REFS_OK is False:
        return None
    _malloc_trim()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        rss, hwm = _status_bytes("VmRSS"), _status_bytes("VmHWM")
        if rss is None or hwm is None:
            raise OSError("no VmRSS/VmHWM")
        _CLEAR_REFS_OK = True
        return max(rss, hwm)  # VmHWM is now the RSS (or a hair above it)
    except OSError:
        _CLEAR_REFS_OK = False
        return None


def peak_since_reset() -> int | None:
    return _status_bytes("VmHWM") if _CLEAR_REFS_OK else None


def peak_measurable() -> bool:
    return reset_peak() is not None


# --------------------------------------------------------------------------- the audit hook
_WATCH: dict | None = None  # what the hook checks during one call (set by run_case), None between calls
_HOOKED = False


def _audit(event: str, args: tuple) -> None:
    global _WATCH
    watch = _WATCH
    if watch is None or event not in ("open", "os.open"):
        return
    path = args[0] if args else None
    if not isinstance(path, (str, bytes, os.PathLike)):
        return  # an fd
    flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
    _WATCH = None  # no re-entry (realpath and stat raise no open events, but be safe)
    try:
        try:
            path = os.fsdecode(path)
            real = os.path.realpath(path)
        except (ValueError, TypeError, OSError):  # a NUL byte: open() refuses it anyway
            return
        if watch["fifos"] and not flags & os.O_NONBLOCK:
            try:
                fifo = stat.S_ISFIFO(os.stat(path).st_mode)
            except (OSError, ValueError):
                fifo = False
            if fifo:
                watch["events"].append(("hang", f"opened the named pipe {path!r} (a blocking open: it waits for a "
                                                 "writer for ever)", traceback.extract_stack()[:-1]))
                raise BlockedOpen(path)
        if watch["confined"] and (real.startswith(watch["outside"]) or real in BAIT_FILES or path in BAIT_FILES):
            watch["events"].append(("crash", f"opened {path!r} ({real!r}), a file outside the input folder",
                                    traceback.extract_stack()[:-1]))
    finally:
        _WATCH = watch


def _install_hook() -> None:
    global _HOOKED
    if not _HOOKED:
        sys.addaudithook(_audit)
        _HOOKED = True


# --------------------------------------------------------------------------- bounded calls
def _alarm(signum, frame):
    raise ReaderRanAway()


def _wall_alarm(signum, frame):
    raise ReaderBlocked()


def call_bounded(func: Callable[[], Any], wall_s: float | None = None) -> tuple[str, Any, float]:
    """("ok", result) or ("error", exception) or ("ranaway" | "blocked", the alarm's exception), and the wall
    time. The CPU alarm stops a call after HARD_CPU_S of CPU time; with ``wall_s`` a real-time alarm stops it
    after that many seconds however little CPU it used (a blocking open returns EINTR and the handler
    raises). A timer already set (pytest-timeout's) is restored after, less the time spent."""
    use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "ITIMER_PROF")
    use_wall = use_alarm and wall_s is not None and hasattr(signal, "ITIMER_REAL")
    if use_alarm:
        previous = signal.signal(signal.SIGPROF, _alarm)
        signal.setitimer(signal.ITIMER_PROF, HARD_CPU_S)
    if use_wall:
        previous_alrm = signal.signal(signal.SIGALRM, _wall_alarm)
        previous_real = signal.setitimer(signal.ITIMER_REAL, wall_s)
    start = time.perf_counter()
    try:
        try:
            result = func()
            return "ok", result, time.perf_counter() - start
        except ReaderBlocked as e:
            return "blocked", e, time.perf_counter() - start
        except ReaderRanAway as e:
            return "ranaway", e, time.perf_counter() - start
        except BaseException as e:  # noqa: BLE001 - judged by the caller (KeyboardInterrupt aside)
            if isinstance(e, KeyboardInterrupt):
                raise
            return "error", e, time.perf_counter() - start
    finally:
        if use_wall:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_alrm if previous_alrm is not None else signal.SIG_DFL)
            if previous_real[0] > 0:
                left = previous_real[0] - (time.perf_counter() - start)
                signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), previous_real[1])
        if use_alarm:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous if previous is not None else signal.SIG_DFL)


# --------------------------------------------------------------------------- lowered decompression allowances
def fuzz_expansion_allowance() -> int:
    try:
        return int(os.environ.get("EMBEDSTUDIO_FUZZ_EXPANSION_ALLOWANCE", FUZZ_EXPANSION_ALLOWANCE))
    except ValueError:
        return FUZZ_EXPANSION_ALLOWANCE


class lowered_allowances:
    """Context: the readers' decompression allowances lowered to fuzz_expansion_allowance() (the ratios,
    100, stay), restored on exit. Applied around each reader call only, so the rest of a pytest session
    (the readers' own tests of the real allowances) never sees it."""

    def __enter__(self):
        from embedstudio import storage
        from embedstudio.data import sniff

        allowance = fuzz_expansion_allowance()
        self.saved = [(sniff, "EXPANSION_ALLOWANCE", sniff.EXPANSION_ALLOWANCE),
                      (storage, "_EXPANSION_ALLOWANCE", storage._EXPANSION_ALLOWANCE)]
        if allowance > 0:
            for module, name, value in self.saved:
                setattr(module, name, min(value, allowance))
        return self

    def __exit__(self, *exc):
        for module, name, value in self.saved:
            setattr(module, name, value)
        return False


def effective_allowance() -> int:
    from embedstudio.data import sniff

    allowance = fuzz_expansion_allowance()
    return min(sniff.EXPANSION_ALLOWANCE, allowance) if allowance > 0 else sniff.EXPANSION_ALLOWANCE
