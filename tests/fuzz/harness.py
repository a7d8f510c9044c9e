"""The reader fuzzing harness: targets, seed files, the contract check and the mutation primitives.

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
"""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import io
import json
import os
import re
import shutil
import signal
import struct
import tempfile
import threading
import time
import traceback
import zipfile
from functools import lru_cache
from typing import Any, Callable

import numpy as np

from embedstudio.data.errors import DataFormatError

PLACEHOLDER = "@@CASE@@"
SMALL_INPUT = 64 * 1024
BOUND_S = 5.0  # wall time allowed for an input under SMALL_INPUT bytes
HARD_CPU_S = 60.0  # a call still running after this much CPU time is stopped (a hang)
BINARY_SUFFIXES = (".npz", ".npy", ".h5", ".bin", ".zip", ".ckpt", ".model")
MEMORY_BOUND = 2 << 30  # a call that raises the process's peak memory by more than this is unbounded

# A bug found in a file whose fix must wait (target name, file): until it lands, an exception other than
# DataFormatError whose innermost embedstudio frame is in that file is counted as "known" (and saved in
# collect mode) instead of failing the test; EMBEDSTUDIO_FUZZ_STRICT=1 fails on them too. Remove the entry
# with the fix. (session.py and train/base.py were listed here until their fixes landed.)
KNOWN_ISSUES: tuple[tuple[str, str], ...] = ()


def examples_per_reader() -> int:
    """EMBEDSTUDIO_FUZZ_EXAMPLES: inputs per reader, split evenly between its two strategies."""
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


STATS: dict[str, Stats] = {}


class ReaderRanAway(BaseException):
    """Raised by the CPU-time alarm inside a reader that does not stop (a BaseException, so a reader's
    ``except Exception`` cannot swallow it)."""


def bound_for(size: int) -> float:
    return BOUND_S * max(1.0, size / SMALL_INPUT)


# --------------------------------------------------------------------------- writing a case
def write_case(case: Case) -> tuple[str, str, str]:
    """(case folder, input folder, entry path): the files under <case>/in, a scratch <case>/work."""
    case_dir = tempfile.mkdtemp(dir=scratch_root())
    in_dir = os.path.join(case_dir, "in")
    os.makedirs(in_dir)
    os.makedirs(os.path.join(case_dir, "work"))
    marker = PLACEHOLDER.encode()
    for rel, data in case.files:
        full = os.path.join(in_dir, rel)
        if data is None:
            os.makedirs(full, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if rel.endswith(".json") and marker in data:
            data = data.replace(marker, in_dir.encode())
        if os.path.isdir(full):  # a mutation made a folder of this name
            continue
        with open(full, "wb") as f:
            f.write(data)
    return case_dir, in_dir, os.path.join(in_dir, case.entry) if case.entry else in_dir


# --------------------------------------------------------------------------- the contract
def count_lines(path: str) -> int:
    """Lines of a text file as LineReader numbers them (decompressed as far as it goes)."""
    from embedstudio.data.sniff import compression_of

    with open(path, "rb") as f:
        raw = f.read()
    data = raw
    kind = compression_of(path)  # the readers' own test (magic bytes), so the count is of what they read
    try:
        if kind == "gzip":
            data = _partial(gzip.GzipFile(fileobj=io.BytesIO(raw)))
        elif kind == "bz2":
            data = _partial(bz2.BZ2File(io.BytesIO(raw)))
    except Exception:  # noqa: BLE001 - not compressed after all: count the raw bytes
        data = raw
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _partial(stream) -> bytes:
    pieces = []
    try:
        while True:
            piece = stream.read1(1 << 16)
            if not piece:
                break
            pieces.append(piece)
    except Exception:  # noqa: BLE001 - what decompressed before the damage
        pass
    return b"".join(pieces)


def contract_violation(target: Target, err: DataFormatError, in_dir: str, options: dict | None = None) -> str | None:
    """Why a DataFormatError breaks the contract, or None."""
    if not isinstance(err.path, str) or not err.path:
        return f"DataFormatError.path is {err.path!r}"
    path = os.path.abspath(err.path)
    inside = path == in_dir or path.startswith(in_dir + os.sep)
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


def known_issue(target: Target, error: BaseException) -> str | None:
    """The KNOWN_ISSUES file an exception comes from (its innermost embedstudio frame), or None."""
    if os.environ.get("EMBEDSTUDIO_FUZZ_STRICT") or isinstance(error, DataFormatError):
        return None
    frames = [f.filename.replace(os.sep, "/") for f in traceback.extract_tb(error.__traceback__)]
    ours = [f for f in frames if "/embedstudio/" in f and "/tests/" not in f]
    if not ours:
        return None
    for name, where in KNOWN_ISSUES:
        if name == target.name and ours[-1].endswith(where):
            return where
    return None


def _peak_rss() -> int:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    except (ImportError, OSError):
        return 0


def _alarm(signum, frame):
    raise ReaderRanAway()


def call_bounded(func: Callable[[], Any]) -> tuple[str, Any, float]:
    """("ok", result) or ("error", exception) or ("ranaway", None), and the wall time."""
    use_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "ITIMER_PROF")
    if use_alarm:
        previous = signal.signal(signal.SIGPROF, _alarm)
        signal.setitimer(signal.ITIMER_PROF, HARD_CPU_S)
    start = time.perf_counter()
    try:
        try:
            result = func()
            return "ok", result, time.perf_counter() - start
        except ReaderRanAway:
            return "ranaway", None, time.perf_counter() - start
        except BaseException as e:  # noqa: BLE001 - judged by the caller (KeyboardInterrupt aside)
            if isinstance(e, KeyboardInterrupt):
                raise
            return "error", e, time.perf_counter() - start
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous)


class ReaderContractError(AssertionError):
    pass


def run_case(target: Target, case: Case) -> str:
    """Run the reader on ``case``; record it; return "accepted" or "rejected". A crash or a hang raises
    ReaderContractError, unless EMBEDSTUDIO_FUZZ_COLLECT is set (then it is saved and counted)."""
    stats = STATS.setdefault(target.name, Stats())
    case_dir, in_dir, entry = write_case(case)
    options = dict(case.options)
    try:
        rss_before = _peak_rss()
        status, value, elapsed = call_bounded(lambda: target.call(entry, case_dir, options))
        grew = _peak_rss() - rss_before
        size = case.size()
        stats.inputs += 1
        stats.total_s += elapsed
        if elapsed > stats.slowest_s:
            stats.slowest_s, stats.slowest_size = elapsed, size
        problem = None
        kind = None
        if status == "ranaway":
            kind, problem = "hang", f"still running after {HARD_CPU_S:.0f} s of CPU time"
        elif elapsed > bound_for(size):
            kind, problem = "hang", f"took {elapsed:.2f} s for {size:,} bytes (bound {bound_for(size):.1f} s)"
        elif grew > MEMORY_BOUND:
            kind, problem = "hang", f"raised the peak memory by {grew / 2 ** 30:.1f} GiB for {size:,} bytes"
        elif status == "error":
            if isinstance(value, DataFormatError):
                why = contract_violation(target, value, in_dir, options)
                if why is not None:
                    kind, problem = "crash", f"{why}: {value}"
            else:
                kind = "crash"
                tb = "".join(traceback.format_exception(type(value), value, value.__traceback__)[-6:])
                problem = f"{type(value).__name__}: {value}\n{tb}"
        if kind is None:
            if status == "ok":
                stats.accepted += 1
                return "accepted"
            stats.rejected += 1
            return "rejected"
        known = known_issue(target, value) if kind == "crash" and status == "error" else None
        if kind == "hang":
            stats.hangs += 1
        else:
            stats.crashes += 1
            stats.known += known is not None
        message = f"{target.name}: {kind}{f' (known: {known})' if known else ''}: {problem}"
        saved = _save_failure(target, case, in_dir, message)
        if saved is None:
            if known:
                return "known"
            raise ReaderContractError(message)
        if len(stats.failures) < 50:
            stats.failures.append((kind, message.splitlines()[0][:300], saved))
        return kind
    finally:
        shutil.rmtree(case_dir, ignore_errors=True)


def _save_failure(target: Target, case: Case, in_dir: str, message: str) -> str | None:
    where = collect_dir()
    if where is None:
        return None
    folder = os.path.join(where, target.name.replace(":", "_"), f"{STATS[target.name].crashes + STATS[target.name].hangs:05d}")
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(in_dir, os.path.join(folder, "in"), symlinks=True)
    with open(os.path.join(folder, "failure.txt"), "w", encoding="utf-8") as f:
        f.write(f"{message}\nentry: {case.entry!r}\noptions: {dict(case.options)!r}\nnote: {case.note}\n")
    return folder


# --------------------------------------------------------------------------- byte-level mutations
SPECIAL_NUMBERS = (
    b"nan", b"NaN", b"-nan", b"inf", b"-inf", b"Infinity", b"-Infinity", b"1e999", b"-1e999", b"1e-999",
    b"3.5e38", b"-3.5e38", b"1e300", b"99999999999999999999999", b"-0", b"0", b"-1", b"1", b"2", b"0.0",
    b"4294967296", b"2147483648", b"9223372036854775808", b"18446744073709551616", b"4194304", b"4194305",
    b"1" * 25, b"7" * 5000, b"0x1F", b"1_000", b"1,5", b"1.5.5", b"+.5", b".", b"-", b"e5", b"1e", b"",
    "\u0661\u0662".encode(), "\u00b2".encode(), "\uff11".encode(), b"1e+308", b"2.5E-3", b"00000000001",
)
INVALID_UTF8 = (b"\xff", b"\xfe", b"\xc3", b"\xc3(", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80",
                b"\xf4\x90\x80\x80", b"\x80", b"\xbf\xbf", b"\xef\xbb")
CONTROL_BYTES = (b"\x00", b"\x01", b"\x07", b"\x08", b"\x0b", b"\x0c", b"\x1b", b"\x7f", b"\r", b"\x1c", b"\x85",
                 "\u2028".encode(), "\u00a0".encode(), "\ufeff".encode())
LONG_LINE_LENGTHS = (100, 1500, 5000, 70_000, 1_100_000)
LONG_LINE_FILL = (b"x", b"7", b" ", b"\t", b"1.5 ", b"a\t", "\u00e9".encode(), b",", b"__label__a ")
SEPARATORS = (b"\t", b" ", b",", b"  ", b" \t ", b";", b"|", b"", b"\t\t", b", ")
_NUMBER_RE = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")

BYTE_OPS = ("flip", "insert", "delete", "replace", "truncate", "duplicate", "swap", "nul", "bom", "invalid_utf8",
            "crlf", "long_line", "number", "header_number", "header_count", "separator", "line_dup", "line_delete",
            "line_swap", "blank_line", "comment_line", "control", "splice_zero")


def _at(data: bytes, pos: int) -> int:
    return pos % (len(data) + 1)


def mutate_bytes(data: bytes, op: str, a: int, b: int, c: int) -> bytes:
    """One mutation of ``data``; ``a``, ``b``, ``c`` are free non-negative integers that pick positions,
    lengths and replacement values (so any driver -- hypothesis, atheris, a PRNG -- can steer it)."""
    n = len(data)
    if op == "flip":
        if not n:
            return bytes([a & 0xFF])
        i = a % n
        return data[:i] + bytes([data[i] ^ (1 << (b % 8))]) + data[i + 1:]
    if op == "insert":
        i = _at(data, a)
        return data[:i] + bytes([b & 0xFF]) * (1 + c % 3) + data[i:]
    if op == "delete":
        if not n:
            return data
        i = a % n
        return data[:i] + data[i + 1 + b % 16:]
    if op == "replace":
        if not n:
            return data
        i = a % n
        return data[:i] + bytes([b & 0xFF]) + data[i + 1:]
    if op == "truncate":
        return data[:_at(data, a)]
    if op == "duplicate":
        i = _at(data, a)
        chunk = data[i:i + 1 + b % 256]
        j = _at(data, c)
        return data[:j] + chunk + data[j:]
    if op == "swap":
        if n < 2:
            return data
        length = 1 + c % max(1, n // 4)
        i, j = sorted((a % n, b % n))
        if j < i + length:
            return data
        return data[:i] + data[j:j + length] + data[i + length:j] + data[i:i + length] + data[j + length:]
    if op == "nul":
        i = _at(data, a)
        return data[:i] + b"\x00" * (1 + b % 4) + data[i:]
    if op == "bom":
        if a % 3 == 0:
            return b"\xef\xbb\xbf" + data
        if a % 3 == 1:
            return b"\xff\xfe" + data if b % 2 else b"\xfe\xff" + data
        i = _at(data, b)
        return data[:i] + b"\xef\xbb\xbf" + data[i:]
    if op == "invalid_utf8":
        i = _at(data, a)
        return data[:i] + INVALID_UTF8[b % len(INVALID_UTF8)] + data[i:]
    if op == "control":
        i = _at(data, a)
        return data[:i] + CONTROL_BYTES[b % len(CONTROL_BYTES)] * (1 + c % 3) + data[i:]
    if op == "crlf":
        mode = a % 5
        if mode == 0:
            return data.replace(b"\n", b"\r\n")
        if mode == 1:
            return data.replace(b"\n", b"\r")
        if mode == 2:
            return data.rstrip(b"\n")
        if mode == 3:
            return data + b"\n" * (1 + b % 3)
        k = data.find(b"\n", _at(data, b))
        return data if k < 0 else data[:k] + b"\r\n" + data[k + 1:]
    if op == "long_line":
        i = _at(data, a)
        fill = LONG_LINE_FILL[c % len(LONG_LINE_FILL)]
        length = LONG_LINE_LENGTHS[b % len(LONG_LINE_LENGTHS)]
        return data[:i] + (fill * (length // len(fill) + 1))[:length] + data[i:]
    if op in ("number", "header_number"):
        region = data if op == "number" else data[:max(data.find(b"\n"), 0) or n]
        found = list(_NUMBER_RE.finditer(region))
        if not found:
            return data[:_at(data, a)] + SPECIAL_NUMBERS[b % len(SPECIAL_NUMBERS)] + data[_at(data, a):]
        m = found[a % len(found)]
        return data[:m.start()] + SPECIAL_NUMBERS[b % len(SPECIAL_NUMBERS)] + data[m.end():]
    if op == "header_count":  # a wrong count or dimension in the first line
        end = data.find(b"\n")
        end = n if end < 0 else end
        found = list(_NUMBER_RE.finditer(data[:end]))
        if not found:
            return b"%d %d\n" % (a % 7, b % 7) + data
        m = found[a % len(found)]
        try:
            value = int(m.group())
        except ValueError:
            value = 3
        delta = (-2, -1, 1, 2, 10, 1000, -value, value * 1000, 1 << 31, 1 << 40)[b % 10]
        return data[:m.start()] + str(value + delta).encode() + data[m.end():]
    if op == "separator":
        old = SEPARATORS[a % len(SEPARATORS)] or b"\t"
        new = SEPARATORS[b % len(SEPARATORS)]
        if c % 2:
            return data.replace(old, new)
        k = data.find(old, _at(data, c))
        return data if k < 0 else data[:k] + new + data[k + len(old):]
    lines = data.split(b"\n")
    if op == "line_dup":
        i = a % len(lines)
        return b"\n".join(lines[:i + 1] + [lines[i]] * (1 + b % 3) + lines[i + 1:])
    if op == "line_delete":
        i = a % len(lines)
        return b"\n".join(lines[:i] + lines[i + 1:])
    if op == "line_swap":
        i, j = a % len(lines), b % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines)
    if op == "blank_line":
        i = a % len(lines)
        return b"\n".join(lines[:i] + [(b"", b" ", b"\t", b"\r")[b % 4]] + lines[i:])
    if op == "comment_line":
        i = a % len(lines)
        return b"\n".join(lines[:i] + [(b"# a comment", b"#", b"  # x", b"//x")[b % 4]] + lines[i:])
    if op == "splice_zero":  # a run of zero bytes over existing data (a torn write)
        i = _at(data, a)
        length = 1 + b % 512
        return data[:i] + b"\x00" * min(length, n - i) + data[i + length:]
    raise ValueError(f"unknown mutation {op!r}")


def recompress(data: bytes, how: int) -> bytes:
    """0: as is, 1: gzip, 2: bzip2, 3: gzip cut short, 4: gzip with trailing garbage, 5: two gzip members."""
    if how == 1:
        return gzip.compress(data, mtime=0)
    if how == 2:
        return bz2.compress(data)
    if how == 3:
        z = gzip.compress(data, mtime=0)
        return z[: max(10, len(z) * 2 // 3)]
    if how == 4:
        return gzip.compress(data, mtime=0) + b"garbage"
    if how == 5:
        half = len(data) // 2
        return gzip.compress(data[:half], mtime=0) + gzip.compress(data[half:], mtime=0)
    return data


def decompress_if_needed(data: bytes) -> tuple[bytes, int]:
    """(plain bytes, how) so a compressed seed can be mutated inside and compressed again."""
    try:
        if data[:2] == b"\x1f\x8b":
            return gzip.decompress(data), 1
        if data[:3] == b"BZh":
            return bz2.decompress(data), 2
    except Exception:  # noqa: BLE001
        pass
    return data, 0


# --------------------------------------------------------------------------- JSON mutations
DEEP = "@@DEEP@@"
HUGE_INT = "@@HUGEINT@@"
JSON_VALUES: tuple = (
    None, True, False, 0, -1, 1, 2, 3, 7, 1.5, -0.0, 1e308, 10 ** 30, 2 ** 63, float("nan"), float("inf"),
    float("-inf"), "", "x", "1", "none", "dot", "cos", "linear", "diagonal", "complex_diagonal", "translation",
    "affine", "../../x", "/nonexistent/x", "\u0000", "caf\u00e9", "embeddings", "entity", [], [1], ["a"], [[1, 2]],
    [None], {}, {"a": 1}, {"num_partitions": 2}, [{"name": "r", "lhs": "entity", "rhs": "entity"}], DEEP, HUGE_INT,
    "embedstudio-embedding", "embedstudio-session", "file://x", [0, 0], [-1], [1e9],
)
JSON_OPS = ("replace", "delete", "add_key", "wrap", "type_swap", "duplicate", "raw")


def _json_paths(value, limit: int = 400) -> list[tuple]:
    paths: list[tuple] = [()]
    stack = [((), value)]
    while stack and len(paths) < limit:
        path, v = stack.pop()
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        for k, child in list(items)[:64]:
            paths.append(path + (k,))
            stack.append((path + (k,), child))
    return paths


def _get(value, path):
    for k in path:
        value = value[k]
    return value


def mutate_json(data: bytes, op: str, a: int, b: int, names: tuple[str, ...] = ()) -> bytes:
    """A structural change of a JSON document (falls back to a byte mutation when it does not parse)."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return mutate_bytes(data, BYTE_OPS[a % len(BYTE_OPS)], a, b, a ^ b)
    if op == "raw":
        return mutate_bytes(data, BYTE_OPS[b % len(BYTE_OPS)], a, b, a + b)
    values = JSON_VALUES + tuple(names)
    paths = _json_paths(doc)
    path = paths[a % len(paths)]
    new = values[b % len(values)]
    if not path:
        doc = new if op in ("replace", "type_swap") else [doc] if op == "wrap" else doc
    else:
        parent = _get(doc, path[:-1])
        key = path[-1]
        old = parent[key]
        if op == "replace":
            parent[key] = new
        elif op == "delete":
            del parent[key]
        elif op == "add_key":
            if isinstance(old, dict):
                old[("format", "keys", "version", "x", "embeddings", "map", "ids")[b % 7]] = new
            elif isinstance(old, list):
                old.insert(b % (len(old) + 1), new)
            else:
                parent[key] = new
        elif op == "wrap":
            parent[key] = [old] if b % 2 else {"v": old}
        elif op == "type_swap":
            parent[key] = (str(old) if not isinstance(old, str) else
                           int(old) if old.isdigit() and len(old) < 18 else len(old))
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, old)
        else:
            parent[key] = new
    text = json.dumps(doc, ensure_ascii=bool(b % 2))
    text = text.replace(f'"{DEEP}"', "[" * 100_000 + "]" * 100_000)
    text = text.replace(f'"{HUGE_INT}"', "9" * 5000)
    return text.encode("utf-8")


# --------------------------------------------------------------------------- zip (+ .npy) mutations
DTYPES = ("<f4", "<f8", "<f2", ">f4", "<i8", "<i4", "|u1", "|b1", "<c8", "<U4", "|S3", "|V4", "<M8[s]",
          "[('a','<f4')]", "|O")
SHAPES = ((), (0,), (3,), (0, 3), (3, 0), (2, 3), (3, 3), (4, 3), (5, 3), (3, 4), (1, 1), (2, 2, 2), (6,), (2, 6),
          (2, 4), (12, 2), (6, 6), (5, 4), (3, 2))
ZIP_OPS = ("header", "header", "header", "array", "array", "npy_bytes", "npy_header", "delete", "rename", "add",
           "duplicate_name", "compression", "directory", "bytes")


def make_array(dtype_index: int, shape_index: int, seed: int, special: int = 0) -> np.ndarray:
    return array_of(DTYPES[dtype_index % len(DTYPES)], SHAPES[shape_index % len(SHAPES)], seed, special)


def array_of(dtype: str, shape: tuple, seed: int, special: int = 0) -> np.ndarray:
    """A small array of any dtype in DTYPES; ``special`` > 0 puts a NaN, an infinity or an extreme in it."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal(shape) * 3
    if dtype == "[('a','<f4')]":
        arr = np.zeros(shape, dtype=[("a", "<f4")])
        arr["a"] = base
        return arr
    if dtype == "|O":
        arr = np.empty(shape, dtype=object)
        arr.flat[:] = [f"o{i}" for i in range(arr.size)]
        return arr
    if dtype in ("<U4", "|S3"):
        return np.array([str(round(float(x), 1))[:3] for x in np.ravel(base)], dtype=dtype).reshape(shape)
    if dtype == "|V4":
        return np.frombuffer(rng.bytes(4 * int(np.prod(shape))), dtype="V4").reshape(shape)
    if dtype == "<M8[s]":
        return base.astype(np.int64).astype("<M8[s]")
    if dtype[1:] in ("i8", "i4", "u1"):
        arr = np.abs(base).astype(dtype) if dtype == "|u1" else base.astype(dtype)
    else:
        arr = base.astype(dtype)
    if special and arr.size and arr.dtype.kind == "f":
        arr.flat[seed % arr.size] = (np.nan, np.inf, -np.inf, 3e38, 1e-45)[special % 5]
    if special and arr.size and arr.dtype.kind in "iu":
        info = np.iinfo(arr.dtype)
        arr.flat[seed % arr.size] = (info.min, 10 ** 6 % info.max, info.max, 0, 2)[special % 5]
    return arr


def npy_bytes(arr: np.ndarray, fortran: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asfortranarray(arr) if fortran else arr, allow_pickle=arr.dtype.hasobject)
    return buf.getvalue()


def npy_with_header(descr: str, shape: tuple, payload: bytes, fortran: bool = False) -> bytes:
    """An .npy whose header says anything (a shape far beyond its data, an odd dtype)."""
    header = "{'descr': %r, 'fortran_order': %r, 'shape': %r, }" % (descr, fortran, shape)
    header = header + " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + payload


HUGE_SHAPES = ((10 ** 12,), (1 << 31, 1 << 31), (1 << 40, 4), (100_000, 100_000), (3, 1 << 61), (-1, 3), (2, 3),
               (3,), (0,), (2 ** 64, 1))
ODD_DESCRS = ("<f4", "|O", "<U0", "|V0", "|S0", "<f16", "xyz", "[('a', '<f4', (1000000000,))]", "<i8", ">f8", "<m8")


def zip_members(data: bytes) -> list[tuple[str, bytes]] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [(info.filename, z.read(info)) for info in z.infolist()]
    except Exception:  # noqa: BLE001 - not a readable zip: mutate its bytes instead
        return None


def build_zip(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are on purpose
        with zipfile.ZipFile(buf, "w", compression=compression) as z:
            for name, data in members:
                z.writestr(name, data)
    return buf.getvalue()


_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def mutate_zip(data: bytes, op: str, a: int, b: int, c: int, names: tuple[str, ...] = ()) -> bytes:
    """A structural change of a zip of header.json + .npy arrays (our json-arrays files, .npz)."""
    members = zip_members(data)
    if members is None or op == "bytes":
        return mutate_bytes(data, BYTE_OPS[a % len(BYTE_OPS)], a, b, c)
    compression = zipfile.ZIP_STORED
    if not members:
        members = [("header.json", b"{}")]
    i = a % len(members)
    name, body = members[i]
    npys = [k for k, (n, _) in enumerate(members) if n.endswith(".npy")] or [i]
    j = npys[a % len(npys)]
    if op == "header":
        k = next((k for k, (n, _) in enumerate(members) if n.endswith(".json")), i)
        members[k] = (members[k][0], mutate_json(members[k][1], JSON_OPS[c % len(JSON_OPS)], b, c, names))
    elif op == "array":
        members[j] = (members[j][0], npy_bytes(make_array(b, c, a, special=b % 3), fortran=bool(c % 5 == 0)))
    elif op == "npy_bytes":
        members[j] = (members[j][0], mutate_bytes(members[j][1], BYTE_OPS[b % len(BYTE_OPS)], c, b, a))
    elif op == "npy_header":
        shape = HUGE_SHAPES[b % len(HUGE_SHAPES)]
        members[j] = (members[j][0], npy_with_header(ODD_DESCRS[c % len(ODD_DESCRS)], shape, b"\x00" * (c % 64)))
    elif op == "delete":
        del members[i]
    elif op == "rename":
        members[i] = ((name[:-4] if name.endswith(".npy") else name + ".npy", "../" + name, name.upper(),
                       "x/" + name, name + "/")[b % 5], body)
    elif op == "add":
        members.append((("extra.npy", "header.json", "vectors.npy", "counts.npy", "a/b.npy", "keys.npy")[b % 6],
                        (npy_bytes(make_array(c, b, a)), b"{}", b"garbage", b"")[c % 4]))
    elif op == "duplicate_name":
        members.append((name, body if b % 2 else mutate_bytes(body, BYTE_OPS[c % len(BYTE_OPS)], a, b, c)))
    elif op == "compression":
        compression = _COMPRESSIONS[b % len(_COMPRESSIONS)]
    elif op == "directory":
        members.append((("x/", "vectors.npy/", "header.json/")[b % 3], b""))
    return build_zip(members, compression)


# --------------------------------------------------------------------------- HDF5 mutations
H5_OPS = ("format_version", "dataset", "dataset", "values", "state_dict_key", "delete", "rename", "group",
          "softlink", "extlink", "add_param", "chunked", "root_attr", "bytes")
FORMAT_VERSIONS = (2, 0, -1, "1", b"1", 1.5, float("nan"), float("inf"), [1, 1], True, 2 ** 62, "x", b"\xff",
                   np.array([[1]]), 1)
STATE_KEYS = (b"x", "lhs_operators.0.real", 5, np.array([1, 2]), "", "rhs_operators.0.diagonals", b"\xff\xfe",
              "global_embs.emb_entity", "rhs_operators.9.real", np.float64(1.0))
PARAM_NAMES = ("relations/0/operator/lhs/real", "relations/0/operator/rhs/imag", "relations/7/operator/rhs/diagonal",
               "relations/0/operator/lhs/diagonals", "entities/entity/global_embedding", "relations/x/operator/y/z",
               "relations/0/operator/rhs/linear_transformation", "entities/user/global_embedding", "a/b/c")


def h5_tree(data: bytes):
    """(root attrs, [(path, kind, value, attrs)]) of an HDF5 file, or None when h5py cannot read it."""
    import h5py

    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            root = {k: f.attrs[k] for k in f.attrs}
            items: list = []

            def visit(name, obj):
                attrs = {k: obj.attrs[k] for k in obj.attrs}
                if isinstance(obj, h5py.Dataset):
                    items.append((name, "dataset", obj[()], attrs))
                else:
                    items.append((name, "group", None, attrs))
            f.visititems(visit)
            return root, items
    except Exception:  # noqa: BLE001 - a damaged file: mutate its bytes instead
        return None


def build_h5(root: dict, items: list) -> bytes:
    import h5py

    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        for k, v in root.items():
            _set_attr(f, k, v)
        for path, kind, value, attrs in items:
            try:
                if kind == "group":
                    obj = f.require_group(path)
                elif kind == "softlink":
                    f[path] = h5py.SoftLink(value)
                    continue
                elif kind == "extlink":
                    f[path] = h5py.ExternalLink(value, "/x")
                    continue
                elif kind == "chunked":
                    obj = f.create_dataset(path, data=value, chunks=True, compression="gzip", shuffle=True,
                                           fletcher32=True)
                else:
                    obj = f.create_dataset(path, data=value)
            except (ValueError, TypeError, KeyError, OSError, RuntimeError):
                continue  # h5py cannot write that combination: leave the item out
            for k, v in attrs.items():
                _set_attr(obj, k, v)
    return buf.getvalue()


def _set_attr(obj, key, value) -> None:
    try:
        obj.attrs[key] = value
    except (ValueError, TypeError, KeyError, OSError, RuntimeError):
        pass


def mutate_h5(data: bytes, op: str, a: int, b: int, c: int) -> bytes:
    """A structural change of an HDF5 file (PBG embeddings and model files), written with h5py."""
    tree = h5_tree(data)
    if tree is None or op == "bytes":
        return mutate_bytes(data, BYTE_OPS[a % len(BYTE_OPS)], a, b, c)
    root, items = tree
    datasets = [k for k, it in enumerate(items) if it[1] == "dataset"]
    k = datasets[a % len(datasets)] if datasets else None
    if op == "format_version":
        root["format_version"] = FORMAT_VERSIONS[b % len(FORMAT_VERSIONS)]
        if c % 4 == 0:
            root.pop("format_version")
    elif op == "root_attr":
        root[("config/json", "format_version", "iteration", "x")[b % 4]] = ("{", 5, b"\xff", np.zeros(3))[c % 4]
    elif op == "dataset" and k is not None:
        path, _, value, attrs = items[k]
        items[k] = (path, "dataset", make_array(b, c, a, special=c % 3), attrs)
    elif op == "values" and k is not None:
        path, _, value, attrs = items[k]
        arr = np.array(value, copy=True)
        if arr.size and arr.dtype.kind == "f":
            arr.flat[b % arr.size] = (np.nan, np.inf, -np.inf, 1e38, -0.0, 1e-45)[c % 6]
            items[k] = (path, "dataset", arr, attrs)
        elif arr.size and arr.dtype.kind in "iu":
            info = np.iinfo(arr.dtype)
            arr.flat[b % arr.size] = (info.min, info.max, 0)[c % 3]
            items[k] = (path, "dataset", arr, attrs)
    elif op == "state_dict_key" and k is not None:
        path, kind, value, attrs = items[k]
        items[k] = (path, kind, value, {**attrs, "state_dict_key": STATE_KEYS[b % len(STATE_KEYS)]})
    elif op == "delete" and items:
        del items[a % len(items)]
    elif op == "rename" and k is not None:
        path, kind, value, attrs = items[k]
        new = (path + "x", path.rsplit("/", 1)[0] + "/other", "embeddings", PARAM_NAMES[b % len(PARAM_NAMES)])[c % 4]
        items[k] = (new, kind, value, attrs)
    elif op == "group":
        target = ("embeddings", "model", PARAM_NAMES[b % len(PARAM_NAMES)])[c % 3]
        items = [it for it in items if it[0] != target]
        items.append((target, "group", None, {}))
    elif op == "softlink":
        target = ("embeddings", "model", PARAM_NAMES[b % len(PARAM_NAMES)])[c % 3]
        items = [it for it in items if it[0] != target]
        items.append((target, "softlink", ("/missing", "/", "/embeddings")[b % 3], {}))
    elif op == "extlink":
        target = ("embeddings", PARAM_NAMES[b % len(PARAM_NAMES)])[c % 2]
        items = [it for it in items if it[0] != target]
        items.append((target, "extlink", ("missing.h5", "/etc/hostname", "model.v1.h5")[b % 3], {}))
    elif op == "add_param":
        name = "model/" + PARAM_NAMES[b % len(PARAM_NAMES)]
        items = [it for it in items if it[0] != name and not it[0].startswith(name + "/")]
        items.append((name, "dataset", make_array(c, a, b, special=a % 3), {}))
    elif op == "chunked" and k is not None:
        path, _, value, attrs = items[k]
        items[k] = (path, "chunked", value, attrs)
    # parents before children, so a group made of a dataset's path shows up as the conflict it is
    return build_h5(root, items)


# --------------------------------------------------------------------------- folder mutations
FOLDER_OPS = ("delete", "empty", "swap", "to_folder", "copy_other")


def mutate_folder(files: dict[str, bytes | None], op: str, a: int, b: int) -> dict[str, bytes | None]:
    names = sorted(k for k, v in files.items() if v is not None)
    if not names:
        return files
    files = dict(files)
    x, y = names[a % len(names)], names[b % len(names)]
    if op == "delete":
        del files[x]
    elif op == "empty":
        files[x] = b""
    elif op == "swap":
        files[x], files[y] = files[y], files[x]
    elif op == "to_folder":
        files[x] = None
    elif op == "copy_other":
        files[x] = files[y]
    return files


def file_kind(name: str, data: bytes | None) -> str:
    if data is None:
        return "folder"
    if data[:4] == b"PK\x03\x04" or name.endswith((".npz", ".ckpt", ".model", ".zip")):
        return "zip"
    if data[:8] == b"\x89HDF\r\n\x1a\n" or name.endswith(".h5"):
        return "h5"
    if name.endswith(".json"):
        return "json"
    if data[:6] == b"\x93NUMPY" or name.endswith(".npy"):
        return "npy"
    return "bytes"


# --------------------------------------------------------------------------- seeds
def _text_case(name: str, text: str | bytes, options: dict | None = None, note: str = "") -> Case:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return Case(((name, data),), name, tuple(sorted((options or {}).items())), note)


def _folder_case(folder: str, entry: str, note: str = "", placeholder: str | None = None,
                 skip: Callable[[str], bool] = lambda rel: False) -> Case:
    files = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(root, name)
            rel = os.path.relpath(full, folder)
            if skip(rel):
                continue
            with open(full, "rb") as f:
                data = f.read()
            if placeholder and rel.endswith(".json"):
                data = data.replace(placeholder.encode(), PLACEHOLDER.encode())
            files.append((rel, data))
    return Case(tuple(files), entry, (), note)


CORPUS_TEXT = (
    "The quick brown fox jumps over the lazy dog.\n"
    "Caf\u00e9 na\u00efve \u2014 \u0395\u03bb\u03bb\u03ac\u03b4\u03b1 \u6771\u4eac \u0939\u093f\u0928\u094d\u0926\u0940 "
    "don't state-of-the-art\n\n"
    "numbers 1 2 3.5 and under_scores, e\u0301 combining\n"
    "the fox the dog the end\n"
)


@lru_cache(maxsize=None)
def corpus_seeds() -> list[Case]:
    text = CORPUS_TEXT.encode()
    return [
        _text_case("c.txt", text),
        _text_case("c.txt.gz", gzip.compress(text * 3, mtime=0)),
        _text_case("c.bz2", bz2.compress(text * 2)),
        _text_case("crlf.txt", text.replace(b"\n", b"\r\n")),
        Case((("corpus/a.txt", text), ("corpus/sub/b.txt.gz", gzip.compress(text, mtime=0)),
              ("corpus/.hidden.txt", b"\x00binary"), ("corpus/notes.md", b"ignored")), "corpus"),
    ]


@lru_cache(maxsize=None)
def edgelist_seeds() -> list[Case]:
    return [
        _text_case("g.tsv", "alice\tbob\nbob\tcarol\ncarol\talice\nalice\talice\n"),
        _text_case("kg.tsv", "# a knowledge graph\nhead\trelation\ttail\nalice\tknows\tbob\nbob\tlikes\tcarol\n"
                             "carol\tknows\talice\nalice\tknows\tbob\n"),
        _text_case("w.csv", "source,target,weight\na,b,0.5\nb,c,1\nc,a,2.5e-1\n"),
        _text_case("typed.txt", "user:alice likes item:book 1.0\nuser:bob likes item:pen 0.5\n"
                                "item:book tagged tag:paper 2\n\n"),
        _text_case("cols.tsv", "user\talice\tlikes\titem\tbook\nuser\tbob\tlikes\titem\tpen\n",
                   {"columns": "head_type,head,relation,tail_type,tail"}),
        _text_case("kg.tsv.gz", gzip.compress(b"a\tr\tb\nb\tr\tc\n\xc3\xa9\ts\ta\n", mtime=0)),
    ]


@lru_cache(maxsize=None)
def hierarchy_seeds() -> list[Case]:
    return [
        _text_case("h.tsv", "aardvark.n.01\tmammal.n.01\naardvark.n.01\tanimal.n.01\nmammal.n.01\tanimal.n.01\n"
                            "dog.n.01\tmammal.n.01\ndog.n.01\tdog.n.01\n"),
        _text_case("h.csv", "id1,id2,weight\na,b,1\nb,c,1\nd,c,0.5\n"),
        _text_case("h.txt", "# is-a\ndog animal\ncat animal\nanimal thing\n\n"),
        _text_case("closure.tsv", "a\tb\nb\tc\nc\td\na\td\n", {"closure": True}),
    ]


@lru_cache(maxsize=None)
def labelled_seeds() -> list[Case]:
    return [
        _text_case("docs.txt", "__label__game __label__strategy a real-time strategy game\n"
                               "__label__editor a text editor for programmers\nno label here\n"
                               "__label__role::program __label__use::gameplaying a puzzle game\n"),
        _text_case("docs.tsv", "id\tlabels\ttext\n0ad\tgame|strategy\treal-time strategy game\n"
                               "vim\teditor;text\ta text editor\n"),
        _text_case("docs.csv", "text,label\nhello world,greeting\nbye now,farewell\n", {"tokenizer": "words"}),
    ]


@lru_cache(maxsize=None)
def user_items_seeds() -> list[Case]:
    return [
        _text_case("ui.txt", "u1 i1 i2 i3\nu2 i2\nu3 i1 i4 i4\n"),
        _text_case("pairs.tsv", "u1\ti1\nu1\ti2\nu2\ti1\n# comment\nu3\ti3\n"),
        _text_case("ui.csv", "u1,a,b\nu2,b,c\n", {"layout": "lines"}),
    ]


def small_embedding(n: int = 6, dim: int = 4, seed: int = 7):
    from embedstudio.vectors import Embedding

    rng = np.random.default_rng(seed)
    keys = ["the", "caf\u00e9", "\u6771\u4eac", "don't", "x_1", "\u0939\u093f\u0928\u094d\u0926\u0940", "b", "c"][:n]
    vectors = rng.standard_normal((len(keys), dim)).astype(np.float32)
    vectors[0, 0] = np.float32(1e-40)
    return Embedding(keys, vectors, counts=np.arange(len(keys), 0, -1), info={"trainer": "fuzz"})


@lru_cache(maxsize=None)
def vector_seeds(fmt: str) -> list[Case]:
    from embedstudio.data.vectors_io import write_vectors
    from embedstudio.vectors import Embedding

    emb = small_embedding()
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        if fmt in ("word2vec-text", "fasttext-vec", "glove"):
            suffix = {"word2vec-text": ".txt", "fasttext-vec": ".vec", "glove": ".txt"}[fmt]
            for name in ("v" + suffix, "v" + suffix + ".gz"):
                write_vectors(emb, os.path.join(tmp, name), fmt)
                cases.append(_folder_case(tmp, name, skip=lambda rel, name=name: rel != name))
            if fmt == "glove":  # GloVe 840B: a few words with spaces in them
                cases.append(_text_case("spaced.txt", "paris 1 2 3\nnew york 0.1 0.2 0.3\n. . . 4 5 6\n"))
        elif fmt == "word2vec-binary":
            write_vectors(emb, os.path.join(tmp, "v.bin"), fmt)
            cases.append(_folder_case(tmp, "v.bin", skip=lambda rel: rel != "v.bin"))
            gensim_style = b"%d %d\n" % (len(emb), emb.dim) + b"".join(
                k.encode() + b" " + v.astype("<f4").tobytes() for k, v in zip(emb.keys, emb.vectors))
            cases.append(_text_case("gensim.bin", gensim_style))
            cases.append(_text_case("v.bin.bz2", bz2.compress(gensim_style)))
        elif fmt == "projector-tsv":
            meta = Embedding(emb.keys, emb.vectors, metadata={"kind": ["w"] * len(emb), "n": [str(i) for i in range(len(emb))]})
            write_vectors(meta, os.path.join(tmp, "vectors.tsv"), fmt)
            cases.append(_folder_case(tmp, "vectors.tsv"))
            cases.append(Case((("p/vectors.tsv", b"0.1\t0.2\n0.3\t0.4\n1e-3\t-5\n"),), "p/vectors.tsv"))
            cases.append(Case((("q/x.tsv", b"1\t2\t3\n4\t5\t6\n"), ("q/x_metadata.tsv", b"a\nb\n")), "q/x.tsv"))
        elif fmt == "embedstudio":
            emb.save(os.path.join(tmp, "e.npz"))
            cases.append(_folder_case(tmp, "e.npz"))
            Embedding(["a", "b"], np.array([[0.1, 0.2], [-0.3, 0.5]], np.float32), geometry="poincare",
                      metadata={"type": ["x", "y"]}).save(os.path.join(tmp, "p.embedding"))
            cases.append(_folder_case(tmp, "p.embedding", skip=lambda rel: rel != "p.embedding"))
    return cases


@lru_cache(maxsize=None)
def checkpoint_seeds() -> list[Case]:
    from embedstudio.train.base import Checkpoint

    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        Checkpoint("word2vec", 7, {"dim": 4, "epochs": 2, "threads": 1},
                   {"syn0": rng.standard_normal((5, 4)).astype(np.float32),
                    "syn1neg": np.zeros((5, 4), np.float32)},
                   {"epoch_loss": {"0": [1.5, 10]}, "epoch_losses": [1.2], "fingerprint": {"n": 3}}
                   ).save(os.path.join(tmp, "run.ckpt"))
        return [_folder_case(tmp, "run.ckpt")]


def graph_models():
    from embedstudio.graphmodel import GraphModel, identity_params
    from embedstudio.vectors import Embedding

    rng = np.random.default_rng(2)
    keys = ["user:a", "user:b", "item:x", "item:y", "item:z"]
    etype = np.array([0, 0, 1, 1, 1], np.int32)
    emb = Embedding(keys, rng.standard_normal((5, 4)).astype(np.float32), metadata={"type": ["user"] * 2 + ["item"] * 3})
    dynamic = GraphModel(emb, etype, ["user", "item"], ["likes", "owns"], np.array([[0, 1], [0, 1]]), "diagonal",
                         "dot", rng.standard_normal((2, 4)), rng.standard_normal((2, 4)), {"trainer": "graph"}, "dynamic")
    static = GraphModel(emb, etype, ["user", "item"], ["likes"], np.array([[0, 1]]), "complex_diagonal", "cos",
                        identity_params("complex_diagonal", 1, 4), rng.standard_normal((1, 4)), {}, "static")
    return dynamic, static


@lru_cache(maxsize=None)
def graphmodel_seeds() -> list[Case]:
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        for name, model in zip(("dyn.model", "static.model"), graph_models()):
            model.save(os.path.join(tmp, name))
            cases.append(_folder_case(tmp, name, skip=lambda rel, name=name: rel != name))
        return cases


@lru_cache(maxsize=None)
def spacemodel_seeds() -> list[Case]:
    from embedstudio.starspacemodel import SpaceModel

    rng = np.random.default_rng(3)
    tag = SpaceModel("tagspace", ["a", "b", "c"], ["x", "y"], rng.standard_normal((3 + 2 + 2, 4)), "cos", "sqrt",
                     np.array([3, 1]), {"trainer": "starspace"}, buckets=2)
    page = SpaceModel("pagespace", [], ["i1", "i2", "i3"], rng.standard_normal((3, 4)), "dot", "mean")
    with tempfile.TemporaryDirectory() as tmp:
        tag.save(os.path.join(tmp, "tag.model"))
        page.save(os.path.join(tmp, "page.model"))
        return [_folder_case(tmp, "tag.model", skip=lambda rel: rel != "tag.model"),
                _folder_case(tmp, "page.model", skip=lambda rel: rel != "page.model")]


@lru_cache(maxsize=None)
def media_seeds() -> list[Case]:
    rng = np.random.default_rng(4)
    feats = rng.standard_normal((4, 3)).astype(np.float32)
    keys = ["v1", "v2", "caf\u00e9", "42"]
    rows = "".join(f"{k},{','.join('%.6g' % x for x in r)}\n" for k, r in zip(keys, feats))
    cases = [
        _text_case("m.csv", ",0,1,2\n" + rows),
        _text_case("m.tsv", rows.replace(",", "\t")),
        _text_case("m.txt", rows.replace(",", "  ")),
        _text_case("q.csv", 'key,a,b\n"a, b",1,2\n"c ""d""",3,4\ne,5,6\n'),
        _text_case("m.csv.gz", gzip.compress(rows.encode(), mtime=0)),
    ]
    buf = io.BytesIO()
    np.savez(buf, keys=np.array(keys), features=feats)
    cases.append(_text_case("m.npz", buf.getvalue()))
    buf = io.BytesIO()
    np.savez(buf, keys=np.arange(4), features=feats.astype(np.float64))
    cases.append(_text_case("ints.npz", buf.getvalue()))
    cases.append(Case((("f.npy", npy_bytes(feats)), ("f.keys.txt", ("\n".join(keys) + "\n").encode())), "f.npy"))
    return cases


def _fake_pbg_checkpoint(folder: str, *, dim: int, operator: str, version: int, global_emb: bool,
                         ops: list[str] | None = None, seed: int = 0) -> None:
    """A checkpoint in PyTorch-BigGraph's layout for an export_pbg() folder (as tests/data/test_pbg.py makes)."""
    import h5py

    rng = np.random.default_rng(seed)
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(folder, "names.json")) as f:
        mapping = json.load(f)
    cfg.update(dimension=dim, comparator="dot", init_scale=0.001, max_norm=None, global_emb=global_emb, bias=False)
    ck = cfg["checkpoint_path"]
    os.makedirs(ck, exist_ok=True)
    n = len(mapping["names"])
    vectors = rng.standard_normal((n, dim)).astype(np.float32)

    def write(path, datasets):
        with h5py.File(path, "w") as hf:
            hf.attrs["format_version"] = 1
            hf.attrs["config/json"] = "{}"
            for name, (arr, key) in datasets.items():
                ds = hf.create_dataset(name, data=arr)
                if key is not None:
                    ds.attrs["state_dict_key"] = key
            hf.create_dataset("optimizer/state_dict", data=np.frombuffer(b"\x80\x04not a pickle", dtype="V1"))

    for t, parts in mapping["ids"].items():
        for p, ids in enumerate(parts):
            write(os.path.join(ck, f"embeddings_{t}_{p}.v{version}.h5"), {"embeddings": (vectors[ids], None)})
    datasets = {}
    sizes = {"none": 0, "linear": dim * dim}
    if cfg["dynamic_relations"]:
        cfg["relations"][0]["operator"] = operator
        n_rel = len(mapping["relation_names"])
        for side in ("lhs", "rhs"):
            flat = rng.standard_normal((n_rel, sizes.get(operator, dim))).astype(np.float32)
            if operator == "complex_diagonal":
                parts = {"real": flat[:, : dim // 2], "imag": flat[:, dim // 2:]}
            elif operator == "none":
                parts = {}
            else:
                parts = {operator + "s": flat}
            for name, arr in parts.items():
                datasets[f"model/relations/0/operator/{side}/{name}"] = (arr, f"{side}_operators.0.{name}")
    else:
        ops = ops or [operator] * len(cfg["relations"])
        for i, (rel, op) in enumerate(zip(cfg["relations"], ops)):
            rel["operator"] = op
            flat = rng.standard_normal(sizes.get(op, dim)).astype(np.float32)
            parts = ({} if op == "none" else {"real": flat[: dim // 2], "imag": flat[dim // 2:]}
                     if op == "complex_diagonal" else {op: flat})
            for name, arr in parts.items():
                datasets[f"model/relations/{i}/operator/rhs/{name}"] = (arr, f"rhs_operators.{i}.{name}")
    if global_emb:
        for t in cfg["entities"]:
            datasets[f"model/entities/{t}/global_embedding"] = (rng.standard_normal(dim).astype(np.float32),
                                                                f"global_embs.emb_{t}")
    write(os.path.join(ck, f"model.v{version}.h5"), datasets)
    with open(os.path.join(ck, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    with open(os.path.join(ck, "checkpoint_version.txt"), "w") as f:
        f.write(f"{version}\n")


@lru_cache(maxsize=None)
def pbg_seeds() -> list[Case]:
    from embedstudio.data.edgelist import GraphData
    from embedstudio.data.pbg import export_pbg

    def graph(names, etype, types, rels, rel_types, edges):
        etype = np.asarray(etype, np.int32)
        return GraphData("mem", list(names), etype, list(types),
                         np.searchsorted(etype, np.arange(len(types) + 1)).astype(np.int64), list(rels),
                         np.asarray(rel_types, np.int32).reshape(-1, 2), np.asarray(edges, np.int64).reshape(-1, 3), None)

    untyped = graph(["a", "b", "c", "caf\u00e9", "\u6771\u4eac"], [0] * 5, ["entity"], ["knows", "likes"],
                    [[0, 0], [0, 0]], [[0, 0, 1], [1, 1, 2], [2, 0, 3], [3, 1, 4], [4, 0, 0]])
    typed = graph(["user:u0", "user:u1", "item:i0", "item:i1", "tag:t0"], [0, 0, 1, 1, 2], ["user", "item", "tag"],
                  ["likes", "tagged", "follows"], [[0, 1], [1, 2], [0, 0]], [[0, 0, 2], [1, 0, 3], [2, 1, 4], [0, 2, 1]])
    cases = []
    skip = lambda rel: rel.startswith("edges") or rel == "config.py" or rel.startswith("entity_count")  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        a = os.path.join(tmp, "a")
        export_pbg(untyped, a, partitions=2)
        _fake_pbg_checkpoint(a, dim=4, operator="complex_diagonal", version=1, global_emb=False)
        cases.append(_folder_case(a, "", "untyped, dynamic, 2 partitions", placeholder=a, skip=skip))
        cases.append(_folder_case(a, "checkpoints", "the checkpoint folder itself", placeholder=a, skip=skip))
        b = os.path.join(tmp, "b")
        export_pbg(typed, b, partitions=1, config={"operator": "diagonal"})
        _fake_pbg_checkpoint(b, dim=4, operator="diagonal", version=2, global_emb=True,
                             ops=["diagonal", "none", "complex_diagonal"])
        cases.append(_folder_case(b, "", "typed, static, global embeddings", placeholder=b, skip=skip))
    return cases


@lru_cache(maxsize=None)
def session_seeds() -> list[Case]:
    from embedstudio.session import Session, save_session
    from embedstudio.vectors import Embedding

    s = Session()
    s.add_embedding("trained", small_embedding(4, 3))
    s.add_embedding("poincare", Embedding(["a", "b"], np.array([[0.1, 0.2], [0.3, -0.1]], np.float32),
                                          geometry="poincare", metadata={"kind": ["x", "y"]}), make_current=False)
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        save_session(s, os.path.join(tmp, "s1"), view={"projection": "pca", "search": "^a"},
                     map_coords=np.zeros((4, 2), np.float32))
        cases.append(_folder_case(os.path.join(tmp, "s1"), ""))
        one = Session()
        one.add_embedding("only", small_embedding(2, 2))
        save_session(one, os.path.join(tmp, "s2"))
        cases.append(_folder_case(os.path.join(tmp, "s2"), ""))
    return cases


# --------------------------------------------------------------------------- reader calls
def _corpus_call(entry, case_dir, options):
    from embedstudio.data.corpus import TokenizerOptions, read_corpus

    tok = TokenizerOptions(**dict(options.get("tokenizer", ())))
    return read_corpus(entry, min_count=options.get("min_count", 1), options=tok,
                       cache_dir=os.path.join(case_dir, "work"))


def _sentences_call(entry, case_dir, options):
    from embedstudio.data.corpus import TokenizerOptions, iter_sentences

    tok = TokenizerOptions(**dict(options.get("tokenizer", ())))
    return sum(len(s) for s in iter_sentences(entry, tok))


def _edgelist_call(entry, case_dir, options):
    from embedstudio.data.edgelist import read_edgelist

    if options.get("typed") is False and "head_type" in (options.get("columns") or ""):
        options = {k: v for k, v in options.items() if k != "typed"}  # a ValueError by design

    return read_edgelist(entry, **options)


def _hierarchy_call(entry, case_dir, options):
    from embedstudio.data.hierarchy import read_hierarchy

    return read_hierarchy(entry, **options)


def _labelled_call(entry, case_dir, options):
    from embedstudio.data.labelled import read_labelled

    return read_labelled(entry, **options)


def _user_items_call(entry, case_dir, options):
    from embedstudio.data.labelled import read_user_items

    return read_user_items(entry, **options)


def _vectors_call(fmt):
    def call(entry, case_dir, options):
        from embedstudio.data.sniff import detect
        from embedstudio.data.vectors_io import read_vectors

        if options.get("sniff"):
            try:
                options["_sniffed"] = detect(entry)  # for the contract check: which reader read the file
            except DataFormatError:
                pass
        return read_vectors(entry, format=None if options.get("sniff") else fmt, limit=options.get("limit"),
                            encoding_errors=options.get("errors", "strict"))
    return call


def _pbg_call(entry, case_dir, options):
    from embedstudio.data.pbg import import_pbg

    return import_pbg(entry)


def _session_call(entry, case_dir, options):
    from embedstudio.session import read_session

    return read_session(entry)


def _checkpoint_call(entry, case_dir, options):
    from embedstudio.train.base import Checkpoint

    return Checkpoint.load(entry)


def _graphmodel_call(entry, case_dir, options):
    from embedstudio.graphmodel import GraphModel

    return GraphModel.load(entry)


def _spacemodel_call(entry, case_dir, options):
    from embedstudio.starspacemodel import SpaceModel

    return SpaceModel.load(entry)


def _media_call(entry, case_dir, options):
    from embedstudio.analysis.fusion import read_media_features

    return read_media_features(entry)


def _detect_call(entry, case_dir, options):
    from embedstudio.data.sniff import detect

    return detect(entry)


_TOKENIZERS = ((), (("encoding_errors", "replace"),), (("long_lines", "split"), ("max_line_bytes", 1024)),
               (("max_line_bytes", 1024),), (("normalize", None), ("lowercase", False)))
VECTOR_FORMAT_NAMES = ("word2vec-text", "word2vec-binary", "glove", "fasttext-vec", "projector-tsv", "embedstudio")
_VECTOR_OPTIONS = ({}, {}, {"sniff": True}, {"limit": 2}, {"errors": "replace"}, {"sniff": True, "errors": "ignore"})


@lru_cache(maxsize=None)
def _all_seeds() -> list[Case]:
    out = []
    for target in TARGETS.values():
        if target.name != "sniff.detect":
            out.extend(dataclasses.replace(c, options=()) for c in target.seeds())
    return out


TARGETS: dict[str, Target] = {t.name: t for t in [
    Target("read_corpus", _corpus_call, corpus_seeds,
           options=tuple({"tokenizer": t, "min_count": m} for t in _TOKENIZERS for m in (1, 2))),
    Target("iter_sentences", _sentences_call, corpus_seeds, options=tuple({"tokenizer": t} for t in _TOKENIZERS)),
    Target("read_edgelist", _edgelist_call, edgelist_seeds, options=(
        {}, {}, {"sep": "tab"}, {"sep": "comma"}, {"sep": "whitespace"}, {"header": True}, {"header": False},
        {"typed": True}, {"typed": False}, {"columns": "head,relation,tail"}, {"columns": "head,tail,weight,ignore"},
        {"columns": "head_type,head,relation,tail_type,tail"}, {"max_line_bytes": 64})),
    Target("read_hierarchy", _hierarchy_call, hierarchy_seeds, options=(
        {}, {}, {"closure": True}, {"closure": True}, {"sep": "tab"}, {"sep": "comma"}, {"sep": "whitespace"},
        {"header": True}, {"header": False}, {"max_line_bytes": 32})),
    Target("read_labelled", _labelled_call, labelled_seeds, options=(
        {}, {}, {"tokenizer": "words"}, {"label_prefix": "#"}, {"words": ("a", "game"), "labels": ("game",)},
        {"max_line_bytes": 40})),
    Target("read_user_items", _user_items_call, user_items_seeds, options=(
        {}, {}, {"layout": "lines"}, {"layout": "pairs"}, {"sep": "tab"}, {"sep": "comma"}, {"sep": "whitespace"},
        {"max_line_bytes": 16})),
    *[Target(f"read_vectors:{fmt}", _vectors_call(fmt), (lambda fmt=fmt: vector_seeds(fmt)),
             line_based=fmt not in ("word2vec-binary", "embedstudio"), options=_VECTOR_OPTIONS)
      for fmt in VECTOR_FORMAT_NAMES],
    Target("import_pbg", _pbg_call, pbg_seeds, line_based=False, paths_may_leave=True),
    Target("read_session", _session_call, session_seeds, line_based=False),
    Target("Checkpoint.load", _checkpoint_call, checkpoint_seeds, line_based=False),
    Target("GraphModel.load", _graphmodel_call, graphmodel_seeds, line_based=False),
    Target("SpaceModel.load", _spacemodel_call, spacemodel_seeds, line_based=False),
    Target("read_media_features", _media_call, media_seeds),
    Target("sniff.detect", _detect_call, lambda: _all_seeds()),
]}
