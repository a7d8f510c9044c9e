"""Cold and warm start-up time of an EmbedStudio executable, to an interactive window.

    python packaging/measure_startup.py dist/embedstudio/embedstudio [--warm-runs 2] [--selftest]

Runs the executable under QT_QPA_PLATFORM=offscreen with EMBEDSTUDIO_EXIT_WHEN_SHOWN=1: the window
prints ``shown <seconds since process start>`` on stdout once its first paint is done, then quits.
The first run is "cold": a fresh, empty per-user cache (XDG_CACHE_HOME, so numba's cache too), and
with --drop-caches (root only; it slows everything else on the machine for a while) the kernel's
page cache is dropped first, so the bundle's files are read from disk; the runs after it are
"warm" (same cache, files in memory). Each run reports the app's own ``shown``
time, when this script saw that line, and the process's wall time; without a ``shown`` line (an
app that does not know the variable, or ``--selftest``) the wall time of the process is used.
Needs only the standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def drop_page_cache() -> bool:
    """Write out and drop the page cache (root only; containers often refuse): a truly cold start."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def run_once(exe: str, args: list[str], env: dict[str, str], timeout: float) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen([exe, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, errors="replace")
    result: dict = {"shown_s": None, "seen_s": None, "wall_s": None, "returncode": None, "timed_out": False}
    stdout_lines: list[str] = []
    stderr_chunks: list[str] = []

    def read_stdout() -> None:
        for line in proc.stdout:
            stdout_lines.append(line)
            parts = line.split()
            if result["shown_s"] is None and len(parts) == 2 and parts[0] == "shown":
                result["seen_s"] = time.perf_counter() - started
                try:
                    result["shown_s"] = float(parts[1])
                except ValueError:
                    pass

    def read_stderr() -> None:
        stderr_chunks.append(proc.stderr.read())

    readers = [threading.Thread(target=read_stdout, daemon=True), threading.Thread(target=read_stderr, daemon=True)]
    for t in readers:
        t.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        result["timed_out"] = True
        proc.kill()
        proc.wait()
    result["wall_s"] = time.perf_counter() - started
    for t in readers:
        t.join(timeout=5)
    result["returncode"] = proc.returncode
    result["startup_s"] = result["shown_s"] if result["shown_s"] is not None else (
        None if result["timed_out"] else result["wall_s"])
    result["source"] = "shown line" if result["shown_s"] is not None else "process wall time"
    stderr = "".join(stderr_chunks)
    if proc.returncode != 0 or result["timed_out"] or "Traceback" in stderr:
        result["stderr_tail"] = stderr[-2000:]
    result["stdout_tail"] = "".join(stdout_lines)[-500:]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("executable", help="the bundle's executable, e.g. dist/embedstudio/embedstudio")
    parser.add_argument("--warm-runs", type=int, default=2, help="warm runs after the cold one (default 2)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a run is killed")
    parser.add_argument("--selftest", action="store_true",
                        help="run `EXE --selftest` (load a sample, train, draw, exit) instead of stopping at the first paint")
    parser.add_argument("--drop-caches", action="store_true",
                        help="drop the kernel's page cache before the cold run (root only; affects the whole machine)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("extra", nargs="*", help="more arguments for the executable (after --)")
    args = parser.parse_args(argv)

    exe = os.path.abspath(args.executable)
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        parser.error(f"{exe} is not an executable file")
    cache = tempfile.mkdtemp(prefix="embedstudio-startup-cache.")
    home_config = tempfile.mkdtemp(prefix="embedstudio-startup-config.")
    env = dict(os.environ)
    env.update({"QT_QPA_PLATFORM": "offscreen", "EMBEDSTUDIO_EXIT_WHEN_SHOWN": "1",
                "XDG_CACHE_HOME": cache, "XDG_CONFIG_HOME": home_config, "PYTHONUNBUFFERED": "1"})
    env.pop("NUMBA_CACHE_DIR", None)  # the bundle's runtime hook puts it under XDG_CACHE_HOME
    run_args = (["--selftest"] if args.selftest else []) + list(args.extra)

    runs = []
    try:
        dropped = drop_page_cache() if args.drop_caches else False
        for i in range(1 + args.warm_runs):
            r = run_once(exe, run_args, env, args.timeout)
            r["kind"] = "cold" if i == 0 else "warm"
            if i == 0:
                r["page_cache_dropped"] = dropped
            runs.append(r)
        numba_files = sum(len(files) for _, _, files in os.walk(os.path.join(cache, "embedstudio", "numba")))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(home_config, ignore_errors=True)

    warm = [r["startup_s"] for r in runs[1:] if r["startup_s"] is not None]
    summary = {"executable": exe, "args": run_args, "cold_s": runs[0]["startup_s"],
               "warm_s": statistics.median(warm) if warm else None, "numba_cache_files": numba_files, "runs": runs}
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        for r in runs:
            shown = "-" if r["shown_s"] is None else f"{r['shown_s']:.2f}s"
            seen = "-" if r["seen_s"] is None else f"{r['seen_s']:.2f}s"
            note = " (page cache dropped)" if r.get("page_cache_dropped") else ""
            status = "timed out" if r["timed_out"] else f"exit {r['returncode']}"
            print(f"{r['kind']:>4}: shown {shown:>7}  seen {seen:>7}  process {r['wall_s']:.2f}s  {status}{note}")
            if r.get("stderr_tail"):
                print("      stderr: " + r["stderr_tail"].strip().replace("\n", "\n      "))
        fmt = lambda v: "n/a" if v is None else f"{v:.2f}s"  # noqa: E731
        what = "self-test run" if args.selftest else "start-up to an interactive window"
        print(f"{what} ({runs[0]['source']}): cold {fmt(summary['cold_s'])}, "
              f"warm {fmt(summary['warm_s'])} (median of {len(warm)}); numba cache files written: {numba_files}")
    ok = all(r["startup_s"] is not None and not r["timed_out"] and r["returncode"] == 0 for r in runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
