"""The reader fuzzing harness: cases, targets and the contract check (guards.py bounds each call; mutations.py,
containers.py and seeds.py make the inputs; targets.py names the readers).

Nothing here imports hypothesis, so the atheris driver (benchmarks/fuzz_readers.py --atheris) can use it
from a venv that only has atheris. The hypothesis strategies live in test_fuzz_readers.py.

**The contract.** A reader called on any input returns normally, or raises
:class:`~embedstudio.data.errors.DataFormatError` whose ``.path`` names the input file or folder (or a file
inside the input folder; a PBG config may also name a missing folder it points to) and whose ``.line`` is
None or a positive int, for a text file no larger than the file's line count + 1. Anything else -- another
exception type, or a call slower than the bound (5 s for an input under 64 KiB, proportionally more for a
larger one) -- is a failure. A call that runs away is stopped by a CPU-time alarm and counted as a hang.

**Cases.** An input is a :class:`Case`: files (relative path -> bytes, or None for an empty folder) written
into a fresh folder, the entry the reader is given (a file or a folder), and reader options. Files of a PBG
export name their folder by absolute path: the seeds hold ``@@CASE@@`` instead, replaced when written.
Two content markers make special files: ``FIFO`` a named pipe, ``symlink(target)`` a symbolic link (its
target may hold ``@@CASE@@``). A path starting ``../outside/`` is written beside the input folder, not in
it: a file a session may point at but must never read.

**Beyond the return value** (checked for every input, every target):

* *Wall-clock hangs.* Besides the CPU-time alarm, a real-time alarm (``signal.setitimer(ITIMER_REAL)``) stops
  a call blocked without using CPU (an ``open()`` of a named pipe waits for a writer: the alarm makes the
  syscall return EINTR and Python raises from its handler). A blocking ``open()`` of one of the case's named
  pipes is caught at once by an audit hook (``sys.addaudithook``), before it blocks, and counted as a hang.
* *Confinement* (targets with ``confined``: the session readers). An ``open()`` of a file under the case's
  ``outside`` folder, or of a few bait files (/etc/hostname, /dev/zero ...), is a crash: a session reads
  only files inside its folder.
* *Peak memory per input.* ``5`` written to /proc/self/clear_refs resets the process's peak RSS (VmHWM) to
  its current RSS; VmHWM read after the call, less the RSS before it, is the input's own peak. One above
  PEAK_BOUND (500 MB) is counted as a hang (unbounded). Where clear_refs cannot be written the peak is
  "n/a" and the growth of the process's lifetime peak (getrusage) is checked instead.
* *Decompression allowances.* The readers refuse a gzip/bzip2 file expanding more than 100-fold after
  ``sniff.EXPANSION_ALLOWANCE`` (16 MB) of output, and a zip member by ``storage._MAX_EXPANSION`` after
  ``storage._EXPANSION_ALLOWANCE``. So that a bomb trips after ~1 MB instead of 16 or 64 MB (10,000 inputs a
  target stay affordable, and a 64 KB input may not legitimately produce 16 MB to parse within its time
  bound), :func:`run_case` lowers both allowances to FUZZ_EXPANSION_ALLOWANCE around each call and restores
  them after (``EMBEDSTUDIO_FUZZ_EXPANSION_ALLOWANCE`` sets it in bytes; 0 keeps the readers' own).
"""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import io
import os
import shutil
import stat
import statistics
import tempfile
import traceback
from typing import Any, Callable

from embedstudio.data.errors import DataFormatError
from tests.fuzz.guards import (
    HARD_CPU_S,
    _install_hook,
    _lifetime_peak,
    call_bounded,
    effective_allowance,
    lowered_allowances,
    peak_since_reset,
    reset_peak,
)

PLACEHOLDER = "@@CASE@@"
SMALL_INPUT = 64 * 1024
BOUND_S = 5.0  # wall time allowed for an input under SMALL_INPUT bytes
WALL_MIN_S = 10.0  # a call still running after max(this, 2 x its bound) of wall time is stopped (a hang)
BINARY_SUFFIXES = (".npz", ".npy", ".h5", ".bin", ".zip", ".ckpt", ".model", ".esgraph", ".esspace")
PEAK_BOUND = 500_000_000  # an input whose own peak RSS exceeds this (500 MB) is unbounded (counted as a hang)

FIFO = b"@@FIFO@@"  # a file of this content is made a named pipe
SYMLINK = b"@@SYMLINK@@"  # a file of this content + a target is made a symbolic link
OUTSIDE = "../outside/"  # a file path starting so is written beside the input folder, not in it


def symlink(target: str) -> bytes:
    """The content that makes a file a symbolic link to ``target`` (``@@CASE@@`` = the input folder)."""
    return SYMLINK + target.encode("utf-8", "surrogateescape")


def is_special(data: bytes | None) -> bool:
    return data is not None and (data == FIFO or data.startswith(SYMLINK))

# A bug found in a file whose fix must wait (target name, file[, text]): until it lands, an exception other
# than DataFormatError whose innermost embedstudio frame is in that file (or, for a hang or a read outside the
# input folder, the innermost embedstudio frame of the offending open()) is counted as "known" (and saved in
# collect mode) instead of failing the test; with a third item, only a failure whose message holds that text
# -- which may also be a DataFormatError breaking the contract (a folder named with a line, say).
# EMBEDSTUDIO_FUZZ_STRICT=1 fails on them too. Remove the entry with the fix. (session.py and train/base.py
# were listed here until their fixes landed.)
KNOWN_ISSUES: tuple[tuple[str, ...], ...] = (
    # (target, the file of the innermost embedstudio frame[, text the message must hold]): crashes known and
    # counted but not failing the tests. Empty: the three the session and compressed fuzzing found are fixed
    # (a folder dataset whose links or PBG config lead out of the session is asked for; an empty corpus folder
    # names its file).
)


def examples_per_reader() -> int:
    """EMBEDSTUDIO_FUZZ_EXAMPLES: inputs per reader, split evenly between its strategies (Target.strategies)."""
    try:
        return max(2, int(os.environ.get("EMBEDSTUDIO_FUZZ_EXAMPLES", "120")))
    except ValueError:
        return 120


def collect_dir() -> str | None:
    """EMBEDSTUDIO_FUZZ_COLLECT: a folder to save failing inputs in and go on (the dedicated run);
    unset, a failure raises (pytest and hypothesis then shrink and report it)."""
    return os.environ.get("EMBEDSTUDIO_FUZZ_COLLECT") or None


def _scratch_root() -> str:
    base = os.environ.get("EMBEDSTUDIO_FUZZ_TMP")
    if not base:
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
    return tempfile.mkdtemp(prefix="embedstudio-fuzz-", dir=base)


_ROOT: str | None = None


def scratch_root() -> str:
    global _ROOT
    if _ROOT is None or not os.path.isdir(_ROOT):
        _ROOT = _scratch_root()
    return _ROOT


def cleanup() -> None:
    global _ROOT
    if _ROOT is not None:
        shutil.rmtree(_ROOT, ignore_errors=True)
        _ROOT = None


# --------------------------------------------------------------------------- cases and targets
@dataclasses.dataclass(frozen=True)
class Case:
    files: tuple[tuple[str, bytes | None], ...]  # (relative path, content or None for a folder)
    entry: str  # relative path given to the reader ("" = the case folder itself)
    options: tuple[tuple[str, Any], ...] = ()
    note: str = ""

    def file_dict(self) -> dict[str, bytes | None]:
        return dict(self.files)

    def with_files(self, files: dict[str, bytes | None], note: str = "") -> "Case":
        return dataclasses.replace(self, files=tuple(files.items()), note=note or self.note)

    def with_options(self, options: dict) -> "Case":
        return dataclasses.replace(self, options=tuple(sorted(options.items())))

    def size(self) -> int:
        return sum(len(b) for _, b in self.files if b is not None)

    def __repr__(self) -> str:  # what hypothesis prints for a falsifying example
        shown = []
        for name, data in self.files:
            if data is None:
                shown.append(f"{name!r}: <folder>")
            elif data == FIFO:
                shown.append(f"{name!r}: <named pipe>")
            elif data.startswith(SYMLINK):
                shown.append(f"{name!r}: <symlink to {data[len(SYMLINK):][:300]!r}>")
            elif len(data) <= 400:
                shown.append(f"{name!r}: {data!r}")
            else:
                shown.append(f"{name!r}: {data[:300]!r}...<{len(data)} bytes>")
        return f"Case(entry={self.entry!r}, options={dict(self.options)!r}, files={{{', '.join(shown)}}})"


@dataclasses.dataclass
class Target:
    name: str
    call: Callable[[str, str, dict], Any]  # (entry path, case folder, options) -> result
    seeds: Callable[[], list[Case]]
    line_based: bool = True
    options: tuple[dict, ...] = ({},)  # reader options the strategies choose from
    paths_may_leave: bool = False  # an error may name a missing path the input points to
    confined: bool = False  # opening a file outside the input folder is a crash (the session readers)
    compressed: bool = False  # also fuzzed with the "compressed" strategy (gzip/bzip2 inputs, bombs)
    session_ops: bool = False  # the "mutated" strategy also applies SESSION_OPS (symlinks, pipes, paths)
    check: Callable[[Any, str, Stats], str | None] | None = None  # (result, input folder, stats) -> problem

    @property
    def strategies(self) -> tuple[str, ...]:
        return ("mutated", "generated", "compressed") if self.compressed else ("mutated", "generated")


@dataclasses.dataclass
class Stats:
    inputs: int = 0
    rejected: int = 0
    accepted: int = 0
    crashes: int = 0
    hangs: int = 0
    slowest_s: float = 0.0
    slowest_size: int = 0
    total_s: float = 0.0
    known: int = 0  # crashes matching KNOWN_ISSUES (included in crashes)
    failures: list = dataclasses.field(default_factory=list)
    peaks: list = dataclasses.field(default_factory=list)  # each input's own peak RSS (bytes) where measured
    peak_na: int = 0  # inputs whose peak could not be measured (no writable /proc/self/clear_refs)
    notes: dict = dataclasses.field(default_factory=dict)  # target-specific counts (see Target.check)
    samples: dict = dataclasses.field(default_factory=dict)  # a few examples of each note
    peak_top: int = 0
    peak_where: str = ""  # the input with the largest peak (its note and size)
    slowest_where: str = ""  # the slowest input (its note)

    def note(self, what: str, sample: str = "") -> None:
        self.notes[what] = self.notes.get(what, 0) + 1
        if sample and len(self.samples.setdefault(what, [])) < 5:
            self.samples[what].append(sample[:400])

    def peak_summary(self) -> tuple[int | None, int | None]:
        """(max, median) of the inputs' own peak RSS in bytes; (None, None) when none was measured."""
        if not self.peaks:
            return None, None
        return max(self.peaks), int(statistics.median(self.peaks))


STATS: dict[str, Stats] = {}


def bound_for(size: int) -> float:
    return BOUND_S * max(1.0, size / SMALL_INPUT)


# --------------------------------------------------------------------------- writing a case
def write_case(case: Case) -> tuple[str, str, str]:
    """(case folder, input folder, entry path): the files under <case>/in (``../outside/`` ones under
    <case>/outside), a scratch <case>/work; named pipes and symbolic links made from their markers."""
    case_dir = os.path.realpath(tempfile.mkdtemp(dir=scratch_root()))
    in_dir = os.path.join(case_dir, "in")
    os.makedirs(in_dir)
    os.makedirs(os.path.join(case_dir, "work"))
    os.makedirs(os.path.join(case_dir, "outside"))
    marker = PLACEHOLDER.encode()
    links = []
    for rel, data in case.files:
        full = os.path.normpath(os.path.join(in_dir, rel))
        if not full.startswith(case_dir + os.sep) or "\x00" in full:
            continue  # never write outside the case's own folder
        if data is None:
            try:
                os.makedirs(full, exist_ok=True)
            except OSError:  # a file or a link of that name came first
                pass
            continue
        try:
            os.makedirs(os.path.dirname(full), exist_ok=True)
        except OSError:
            continue
        if os.path.isdir(full) or os.path.islink(full):  # a mutation made a folder (or a link) of this name
            continue
        if data == FIFO:
            if not os.path.lexists(full):
                os.mkfifo(full)
            continue
        if data.startswith(SYMLINK):
            links.append((full, data[len(SYMLINK):].replace(marker, in_dir.encode())))
            continue
        if rel.endswith(".json") and marker in data:
            data = data.replace(marker, in_dir.encode())
        with open(full, "wb") as f:
            f.write(data)
    for full, target in links:  # last, so a link may point at a file written above
        if not os.path.lexists(full) and b"\x00" not in target:
            try:
                os.symlink(target, full)
            except OSError:  # a name too long, a parent that is a link: the input simply lacks it
                pass
    return case_dir, in_dir, os.path.join(in_dir, case.entry) if case.entry else in_dir


def case_fifos(case_dir: str) -> list[str]:
    out = []
    for root, _, names in os.walk(case_dir):
        for name in names:
            full = os.path.join(root, name)
            try:
                if stat.S_ISFIFO(os.lstat(full).st_mode):
                    out.append(full)
            except OSError:
                pass
    return out


def unjam_fifos(fifos: list[str]) -> None:
    """Open each named pipe for writing (non-blocking) and close it: a reader blocked opening it (in any
    thread) gets an empty file instead of waiting for ever."""
    for path in fifos:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: nobody is waiting on it
            continue
        os.close(fd)


# --------------------------------------------------------------------------- the contract
def count_lines(path: str) -> int:
    """Lines of a text file as LineReader numbers them (decompressed as far as it goes)."""
    from embedstudio.data.sniff import compression_of

    with open(path, "rb") as f:
        raw = f.read()
    data = raw
    kind = compression_of(path)  # the readers' own test (magic bytes), so the count is of what they read
    from embedstudio.data.sniff import MAX_EXPANSION

    # more than any reader may decompress out of this file: the allowance or the ratio, and a block beyond
    limit = max(effective_allowance(), MAX_EXPANSION * len(raw)) + (4 << 20)
    try:
        if kind == "gzip":
            data = _partial(lambda: gzip.GzipFile(fileobj=io.BytesIO(raw)), limit)
        elif kind == "bz2":
            data = _partial(lambda: bz2.BZ2File(io.BytesIO(raw)), limit)
    except Exception:  # noqa: BLE001 - not compressed after all: count the raw bytes
        data = raw
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _partial(open_stream: Callable[[], Any], limit: int = 1 << 62) -> bytes:
    """What a damaged stream decompresses to before the damage -- as much as any reader can get: bzip2
    gives out a damaged block's bytes only when asked for a few at a time (a large read fails with none), so
    after an error the stream is read again, in large pieces up to where the first pass stopped, then a
    byte at a time (at most 2 MB: a bzip2 block is under 1 MB)."""
    pieces: list[bytes] = []
    got = 0
    stream = open_stream()
    try:
        while got < limit:
            piece = stream.read1(1 << 16)
            if not piece:
                return b"".join(pieces)
            pieces.append(piece)
            got += len(piece)
        return b"".join(pieces)
    except Exception:  # noqa: BLE001 - the damage: retry finely from where it was met
        pass
    good = got
    pieces, got = [], 0
    stream = open_stream()
    try:
        while got < good:
            piece = stream.read1(min(1 << 16, good - got))
            if not piece:
                break
            pieces.append(piece)
            got += len(piece)
        end = min(limit, good + (2 << 20))
        while got < end:
            piece = stream.read1(1)
            if not piece:
                break
            pieces.append(piece)
            got += 1
    except Exception:  # noqa: BLE001 - what decompressed before the damage
        pass
    return b"".join(pieces)


def _links_out(folder: str, in_dir: str) -> bool:
    """Whether a folder holds a file or folder whose real path leaves ``in_dir`` (the harness's own walk)."""
    if not os.path.isdir(folder):
        return False
    root = os.path.realpath(in_dir)
    for here, dirs, files in os.walk(folder):
        for name in dirs + files:
            real = os.path.realpath(os.path.join(here, name))
            if real != root and not real.startswith(root + os.sep):
                return True
    return False


def _inside_dir(path: str, in_dir: str) -> bool:
    for p in {os.path.abspath(path), os.path.realpath(path)}:
        if p == in_dir or p.startswith(in_dir + os.sep):
            return True
    return False


def contract_violation(target: Target, err: DataFormatError, in_dir: str, options: dict | None = None) -> str | None:
    """Why a DataFormatError breaks the contract, or None."""
    if not isinstance(err.path, str) or not err.path:
        return f"DataFormatError.path is {err.path!r}"
    path = os.path.abspath(err.path)
    inside = _inside_dir(err.path, in_dir)
    if not inside and not (target.paths_may_leave and not os.path.exists(path)):
        return f"DataFormatError.path {err.path!r} is outside the input {in_dir!r}"
    line = err.line
    if line is None:
        return None
    if type(line) is not int or line < 1:
        return f"DataFormatError.line is {line!r} ({type(line).__name__}), not None or a positive int"
    if os.path.isdir(path):
        return f"DataFormatError names the folder {err.path!r} with line {line}"
    # A binary reader's .line is a record number (see DataFormatError); a sniffed file may be read as one.
    binary_read = (options or {}).get("_sniffed") in ("word2vec-binary", "embedstudio")
    if target.line_based and not binary_read and os.path.isfile(path) and not path.lower().endswith(BINARY_SUFFIXES):
        n = count_lines(path)
        if line > n + 1:
            return f"DataFormatError.line {line} is beyond the file's {n} lines + 1"
    return None


def known_issue(target: Target, error: BaseException | None, frames: list | None = None,
                problem: str = "") -> str | None:
    """The KNOWN_ISSUES file an exception (or a recorded stack: ``frames``, FrameSummary items, outermost
    first) comes from -- its innermost embedstudio frame -- or None. A DataFormatError (one that breaks the
    contract) matches only an entry with a text, found in ``problem``."""
    if os.environ.get("EMBEDSTUDIO_FUZZ_STRICT"):
        return None
    if frames is None:
        frames = traceback.extract_tb(error.__traceback__) if error is not None else []
    names = [f.filename.replace(os.sep, "/") for f in frames]
    ours = [f for f in names if "/embedstudio/" in f and "/tests/" not in f]
    if not ours:
        return None
    for name, where, *text in KNOWN_ISSUES:
        if name != target.name or not ours[-1].endswith(where):
            continue
        if text and text[0] not in problem:
            continue
        if not text and isinstance(error, DataFormatError):
            continue
        return where
    return None


class ReaderContractError(AssertionError):
    pass


def run_case(target: Target, case: Case) -> str:
    """Run the reader on ``case``; record it; return "accepted" or "rejected". A crash or a hang raises
    ReaderContractError, unless EMBEDSTUDIO_FUZZ_COLLECT is set (then it is saved and counted)."""
    global _WATCH
    stats = STATS.setdefault(target.name, Stats())
    case_dir, in_dir, entry = write_case(case)
    options = dict(case.options)
    fifos = case_fifos(case_dir) if any(d == FIFO for _, d in case.files) else []
    _install_hook()
    watch = {"fifos": bool(fifos), "confined": target.confined, "outside": os.path.join(case_dir, "outside") + os.sep,
             "events": []}
    size = case.size()
    try:
        lifetime_before = _lifetime_peak()
        rss_before = reset_peak()
        with lowered_allowances():
            _WATCH = watch
            try:
                status, value, elapsed = call_bounded(lambda: target.call(entry, case_dir, options),
                                                      wall_s=max(WALL_MIN_S, 2 * bound_for(size)))
            finally:
                _WATCH = None
        peak_after = peak_since_reset()
        if fifos:
            unjam_fifos(fifos)
        if rss_before is not None and peak_after is not None:
            peak = max(0, peak_after - rss_before)
            if not stats.peaks or peak > stats.peak_top:
                stats.peak_top, stats.peak_where = peak, f"{case.note or 'input'}, {size:,} bytes"
            stats.peaks.append(peak)
        else:
            peak = None
            stats.peak_na += 1
        grew = _lifetime_peak() - lifetime_before
        stats.inputs += 1
        stats.total_s += elapsed
        if elapsed > stats.slowest_s:
            stats.slowest_s, stats.slowest_size = elapsed, size
            stats.slowest_where = f"{case.note or 'input'}, {size:,} bytes"
        problem = None
        kind = None
        frames = None
        hangs = [e for e in watch["events"] if e[0] == "hang"]
        outside = [e for e in watch["events"] if e[0] == "crash"]
        if hangs:
            kind, problem, frames = "hang", hangs[0][1] + "\n" + "".join(traceback.format_list(hangs[0][2][-6:])), \
                hangs[0][2]
        elif status == "blocked":
            kind, problem = "hang", f"still running after {elapsed:.1f} s of wall time (blocked?): stopped"
        elif status == "ranaway":
            kind, problem = "hang", f"still running after {HARD_CPU_S:.0f} s of CPU time"
        elif elapsed > bound_for(size):
            kind, problem = "hang", f"took {elapsed:.2f} s for {size:,} bytes (bound {bound_for(size):.1f} s)"
        elif peak is not None and peak > PEAK_BOUND:
            kind, problem = "hang", f"its peak RSS was {peak / 1e6:,.0f} MB above the RSS before it (bound " \
                                    f"{PEAK_BOUND / 1e6:,.0f} MB) for {size:,} bytes"
        elif peak is None and grew > PEAK_BOUND:
            kind, problem = "hang", f"raised the process's peak memory by {grew / 1e6:,.0f} MB for {size:,} bytes"
        elif outside:
            kind, problem, frames = "crash", outside[0][1] + "\n" + "".join(traceback.format_list(outside[0][2][-6:])), \
                outside[0][2]
        elif status == "error":
            if isinstance(value, DataFormatError):
                why = contract_violation(target, value, in_dir, options)
                if why is not None:
                    kind, problem = "crash", f"{why}: {value}"
            else:
                kind = "crash"
                tb = "".join(traceback.format_exception(type(value), value, value.__traceback__)[-6:])
                problem = f"{type(value).__name__}: {value}\n{tb}"
        elif status == "ok" and target.check is not None:
            why = target.check(value, in_dir, stats)
            if why is not None:
                kind, problem = "crash", why
        if kind is None:
            if status == "ok":
                stats.accepted += 1
                return "accepted"
            stats.rejected += 1
            return "rejected"
        known = None
        if kind == "crash" and status == "error" and not outside:
            known = known_issue(target, value, problem=problem)
        elif frames is not None:
            known = known_issue(target, None, frames, problem=problem)
        if kind == "hang":
            stats.hangs += 1
        else:
            stats.crashes += 1
        stats.known += known is not None
        message = f"{target.name}: {kind}{f' (known: {known})' if known else ''}: {problem}"
        saved = _save_failure(target, case, case_dir, message)
        if saved is None:
            if known:
                return "known"
            raise ReaderContractError(message)
        if len(stats.failures) < 50:
            stats.failures.append((kind, message.splitlines()[0][:300], saved))
        return kind
    finally:
        if fifos:
            unjam_fifos(fifos)
        shutil.rmtree(case_dir, ignore_errors=True)


def _copy_special(src: str, dst: str) -> None:
    """copytree's copy function: a named pipe is made anew (copying one would block)."""
    if stat.S_ISFIFO(os.lstat(src).st_mode):
        os.mkfifo(dst)
    else:
        shutil.copy2(src, dst)


def _save_failure(target: Target, case: Case, case_dir: str, message: str) -> str | None:
    where = collect_dir()
    if where is None:
        return None
    stats = STATS[target.name]
    folder = os.path.join(where, target.name.replace(":", "_"), f"{stats.crashes + stats.hangs:05d}")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for part in ("in", "outside"):
        if os.path.isdir(os.path.join(case_dir, part)):
            shutil.copytree(os.path.join(case_dir, part), os.path.join(folder, part), symlinks=True,
                            copy_function=_copy_special)
    with open(os.path.join(folder, "failure.txt"), "w", encoding="utf-8") as f:
        f.write(f"{message}\nentry: {case.entry!r}\noptions: {dict(case.options)!r}\nnote: {case.note}\n"
                f"case: {case!r}\n")
    return folder
