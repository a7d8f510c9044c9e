"""The dedicated reader-fuzzing run: 10,000 inputs per reader, a Markdown table of what happened.

    python benchmarks/fuzz_readers.py                      # 10,000 inputs per reader (hypothesis)
    python benchmarks/fuzz_readers.py --examples 2000 --only read_corpus import_pbg
    python benchmarks/fuzz_readers.py --only open_session read_json_arrays
    python benchmarks/fuzz_readers.py --compressed-readers --strategies compressed   # 10,000 compressed each
    .fuzz-venv/bin/python benchmarks/fuzz_readers.py --atheris 60     # coverage-guided, 60 s per reader

Hypothesis mode runs the very test functions of tests/fuzz/test_fuzz_readers.py (the ``mutated`` and the
``generated`` strategy of each reader, and ``compressed`` for the line-based text readers; ``--examples``
split evenly between the strategies run, ``--strategies`` to run only some) with
``EMBEDSTUDIO_FUZZ_EXAMPLES`` set, in collect mode: a failing input is saved (``--collect``, default
``fuzz-failures/``) and counted, and the run goes on. "inputs run" counts reader calls actually made:
hypothesis may stop a strategy early when it has exhausted its search space, which the table then says.

Every input's own peak RSS is measured (``5`` written to /proc/self/clear_refs resets the process's peak,
VmHWM, before the call; VmHWM after it, less the RSS before, is the input's peak): the table gives the
largest and the median per reader ("n/a" where clear_refs is not writable); an input above 500 MB counts as
a hang. Bombs trip after the lowered allowance (see tests/fuzz/harness.py: 1 MB while fuzzing).

Atheris mode (``--atheris SECONDS``; needs ``pip install atheris``, e.g. in a separate venv made with
``python -m venv .fuzz-venv && .fuzz-venv/bin/pip install -e . atheris``) fuzzes each reader for the given
time with libFuzzer's coverage-guided mutator, the embedstudio package instrumented, starting from the same
seed files; each reader runs in its own process. Its input is ``[seed number, file number, bytes...]``: the
bytes replace that file of that seed case.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def _mb(value) -> str:
    return "n/a" if value is None else f"{value / 1e6:,.1f}"


def _table(rows: list[dict], mode: str) -> str:
    peak_head = " peak RSS per input, max (MB) | median (MB) |"
    if mode == "hypothesis":
        head = ("| reader | strategies | inputs run | rejected with DataFormatError | accepted | crashes | hangs | "
                f"slowest input (ms) |{peak_head} wall time (s) |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    else:
        head = ("| reader | executions | rejected with DataFormatError | accepted | crashes | hangs | "
                f"slowest input (ms) |{peak_head} coverage (edges) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for r in rows:
        last = f"{r['wall_s']:.0f}" if mode == "hypothesis" else str(r.get("coverage", "?"))
        note = f" ({r['note']})" if r.get("note") else ""
        known = f" ({r['known']:,} known)" if r.get("known") else ""
        strategies = f" {r.get('strategies', '')} |" if mode == "hypothesis" else ""
        lines.append(f"| {r['reader']} |{strategies} {r['inputs']:,}{note} | {r['rejected']:,} | {r['accepted']:,} | "
                     f"{r['crashes']:,}{known} | {r['hangs']:,} | {r['slowest_ms']:.1f} | {_mb(r.get('peak_max'))} | "
                     f"{_mb(r.get('peak_median'))} | {last} |")
    total = {k: sum(r[k] for r in rows) for k in ("inputs", "rejected", "accepted", "crashes", "hangs")}
    slowest = max((r["slowest_ms"] for r in rows), default=0.0)
    wall = sum(r.get("wall_s", 0.0) for r in rows)
    peaks = [r["peak_max"] for r in rows if r.get("peak_max") is not None]
    lines.append(f"| **all** |{' |' if mode == 'hypothesis' else ''} {total['inputs']:,} | {total['rejected']:,} | "
                 f"{total['accepted']:,} | {total['crashes']:,} | {total['hangs']:,} | {slowest:.1f} | "
                 f"{_mb(max(peaks)) if peaks else 'n/a'} | | {f'{wall:.0f}' if mode == 'hypothesis' else ''} |")
    return "\n".join(lines)


def _row(name: str, stats, wall_s: float, expected: int | None = None, **extra) -> dict:
    note = ""
    if expected is not None and stats.inputs < expected:
        note = f"of {expected:,}: hypothesis stopped early, search space exhausted"
    peak_max, peak_median = stats.peak_summary()
    return {"reader": name, "inputs": stats.inputs, "rejected": stats.rejected, "accepted": stats.accepted,
            "crashes": stats.crashes, "known": stats.known, "hangs": stats.hangs, "slowest_ms": stats.slowest_s * 1000,
            "wall_s": wall_s, "note": note, "failures": stats.failures, "peak_max": peak_max,
            "peak_median": peak_median, "peak_na": stats.peak_na, "peak_where": stats.peak_where,
            "slowest_where": stats.slowest_where,
            "notes": stats.notes, "samples": stats.samples,
            **extra}


# --------------------------------------------------------------------------- hypothesis mode
def run_hypothesis(examples: int, only: list[str] | None, collect: str, strategies: list[str] | None = None) -> list[dict]:
    """Each reader's strategies (those of ``strategies`` it has, all by default), ``examples`` inputs per reader
    split evenly between the strategies run."""
    os.environ["EMBEDSTUDIO_FUZZ_COLLECT"] = collect
    os.environ.setdefault("EMBEDSTUDIO_CACHE", tempfile.mkdtemp(prefix="embedstudio-fuzz-cache-"))
    from tests.fuzz import harness, targets

    rows = []
    try:
        for name, target in targets.TARGETS.items():
            if only and name not in only:
                continue
            kinds = [k for k in target.strategies if not strategies or k in strategies]
            if not kinds:
                continue
            # the tests take their count from EMBEDSTUDIO_FUZZ_EXAMPLES split over *all* their strategies:
            # scale it so the strategies run here share ``examples``
            per = max(1, -(-examples // len(kinds)))
            os.environ["EMBEDSTUDIO_FUZZ_EXAMPLES"] = str(per * len(target.strategies))
            from tests.fuzz import test_fuzz_readers as tests

            start = time.perf_counter()
            errors = []
            for kind in kinds:
                test = tests._make(name, tests.STRATEGIES[kind])  # built now: its count is read now
                try:
                    test()
                except Exception as e:  # noqa: BLE001 - a strategy or hypothesis problem: report, go on
                    errors.append(f"{kind}: {type(e).__name__}: {str(e)[:300]}")
            wall = time.perf_counter() - start
            stats = harness.STATS.get(name, harness.Stats())
            row = _row(name, stats, wall, expected=per * len(kinds), strategies=", ".join(kinds))
            row["errors"] = errors
            rows.append(row)
            peak_max, peak_median = stats.peak_summary()
            print(f"{name} ({', '.join(kinds)}): {stats.inputs:,} inputs in {wall:.0f} s, {stats.crashes} crashes, "
                  f"{stats.hangs} hangs, peak RSS max {_mb(peak_max)} MB, median {_mb(peak_median)} MB"
                  + (f", errors: {errors}" if errors else ""), file=sys.stderr, flush=True)
    finally:
        harness.cleanup()
    return rows


# --------------------------------------------------------------------------- atheris mode
def _atheris_worker(name: str, seconds: int, out_path: str, collect: str) -> None:
    import atheris

    os.environ["EMBEDSTUDIO_FUZZ_COLLECT"] = collect
    with atheris.instrument_imports(include=["embedstudio"]):
        import embedstudio.analysis.fusion  # noqa: F401 - every reader, instrumented for coverage
        import embedstudio.data.corpus  # noqa: F401
        import embedstudio.data.edgelist  # noqa: F401
        import embedstudio.data.hierarchy  # noqa: F401
        import embedstudio.data.labelled  # noqa: F401
        import embedstudio.data.pbg  # noqa: F401
        import embedstudio.data.sniff  # noqa: F401
        import embedstudio.data.vectors_io  # noqa: F401
        import embedstudio.graphmodel  # noqa: F401
        import embedstudio.jobs.graph  # noqa: F401
        import embedstudio.jobs.loading  # noqa: F401
        import embedstudio.jobs.starspace  # noqa: F401
        import embedstudio.session  # noqa: F401
        import embedstudio.starspacemodel  # noqa: F401
        import embedstudio.storage  # noqa: F401
        import embedstudio.train.base  # noqa: F401
        import embedstudio.vectors  # noqa: F401
    from tests.fuzz import harness, targets

    target = targets.TARGETS[name]
    seeds = target.seeds()
    corpus = tempfile.mkdtemp(prefix=f"atheris-{name.replace(':', '_')}-")
    longest = 0
    for i, case in enumerate(seeds):
        for j, (_, data) in enumerate(case.files):
            if data is None:
                continue
            longest = max(longest, len(data))
            with open(os.path.join(corpus, f"seed-{i}-{j}"), "wb") as f:
                f.write(bytes([i % 256, j % 256]) + data)
    state = {"last": 0.0}

    def save(final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - state["last"] < 1.0:
            return
        state["last"] = now
        stats = harness.STATS.get(name, harness.Stats())
        with open(out_path + ".tmp", "w") as f:  # libFuzzer ends the process: the parent removes the folders
            json.dump(_row(name, stats, 0.0, scratch=[harness.scratch_root(), corpus]), f)
        os.replace(out_path + ".tmp", out_path)

    def one_input(data: bytes) -> None:
        if len(data) < 2:
            return
        case = seeds[data[0] % len(seeds)]
        files = [k for k, v in case.files if v is not None]
        files_dict = case.file_dict()
        files_dict[files[data[1] % len(files)]] = data[2:]
        harness.run_case(target, case.with_files(files_dict, note="atheris"))
        save()

    save(True)
    atheris.Setup([sys.argv[0], corpus, f"-max_total_time={seconds}", f"-max_len={min(1 << 20, 2 * longest + 64)}",
                   "-rss_limit_mb=8192", "-timeout=120", "-print_final_stats=1"], one_input)
    atheris.Fuzz()


def run_atheris(seconds: int, only: list[str] | None, collect: str) -> list[dict]:
    from tests.fuzz import targets

    rows = []
    for name in targets.TARGETS:
        if only and name not in only:
            continue
        out = tempfile.mktemp(suffix=".json")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--atheris-worker", name, str(seconds), out,
                               "--collect", collect], capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": ROOT})
        wall = time.perf_counter() - start
        try:
            with open(out) as f:
                row = json.load(f)
            os.remove(out)
        except (OSError, ValueError):
            row = {"reader": name, "inputs": 0, "rejected": 0, "accepted": 0, "crashes": 0, "hangs": 0,
                   "slowest_ms": 0.0, "failures": [], "note": "worker failed"}
        for folder in row.pop("scratch", []):
            shutil.rmtree(folder, ignore_errors=True)
        cov = [line for line in proc.stderr.splitlines() if "cov:" in line]
        row["coverage"] = cov[-1].split("cov:")[1].split()[0] if cov else "?"
        row["wall_s"] = wall
        if proc.returncode not in (0,) and not row["inputs"]:
            row["note"] = f"worker exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}"
        rows.append(row)
        print(f"{name}: {row['inputs']:,} executions in {wall:.0f} s, {row['crashes']} crashes, {row['hangs']} hangs, "
              f"cov {row['coverage']}", file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=10_000, help="inputs per reader (hypothesis mode)")
    parser.add_argument("--only", nargs="*", help="reader names (as in the table)")
    parser.add_argument("--compressed-readers", action="store_true",
                        help="only the readers with the compressed strategy (the line-based text readers, media "
                             "features, sniff.detect); with --only, added to those")
    parser.add_argument("--strategies", nargs="*", choices=("mutated", "generated", "compressed"),
                        help="run only these strategies (default: all of each reader's)")
    parser.add_argument("--collect", default=os.path.join(tempfile.gettempdir(), "embedstudio-fuzz-failures"),
                        help="folder for the failing inputs (one folder each, with failure.txt)")
    parser.add_argument("--atheris", type=int, metavar="SECONDS", help="coverage-guided fuzzing, SECONDS per reader")
    parser.add_argument("--atheris-worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--memory-limit-gb", type=float, default=12.0,
                        help="address-space limit of the fuzzing process (a runaway allocation then fails as a "
                             "MemoryError, a crash, instead of pushing the machine into swap); 0: none")
    args = parser.parse_args(argv)
    if args.memory_limit_gb > 0:
        import resource

        limit = int(args.memory_limit_gb * 2 ** 30)
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    if args.atheris_worker:
        name, seconds, out = args.atheris_worker
        _atheris_worker(name, int(seconds), out, args.collect)
        return 0
    if args.atheris:
        try:
            import atheris  # noqa: F401
        except ImportError:
            print("atheris is not installed in this Python; see the module docstring", file=sys.stderr)
            return 2
        mode, rows = "atheris", run_atheris(args.atheris, args.only, args.collect)
        title = f"Atheris, {args.atheris} s per reader"
    else:
        only = list(args.only or [])
        if args.compressed_readers:
            from tests.fuzz import targets

            only += [n for n in targets.COMPRESSED_TARGETS if n not in only]
        mode, rows = "hypothesis", run_hypothesis(args.examples, only or None, args.collect, args.strategies)
        split = "split evenly between " + ("the strategies " + ", ".join(args.strategies) if args.strategies
                                           else "each reader's strategies")
        title = f"Hypothesis, {args.examples:,} inputs per reader ({split})"
    table = _table(rows, mode)
    failures = [(r["reader"], f) for r in rows for f in r.get("failures", [])]
    report = [f"### Reader fuzzing: {title}", "", table, ""]
    if any(r.get("known") for r in rows):
        report += ["\"known\": crashes in files listed in tests/fuzz/harness.py KNOWN_ISSUES (a fix is proposed, "
                   "not yet made); the pytest run tolerates those, this run counts them.", ""]
    if failures:
        report += ["Failures (inputs saved under the folder named):", ""]
        report += [f"- {reader}: {kind}: {message} -> `{saved}`" for reader, (kind, message, saved) in failures[:100]]
    notes = [(r["reader"], what, count, r.get("samples", {}).get(what, [])) for r in rows
             for what, count in r.get("notes", {}).items()]
    if notes:
        report += ["", "Notes (not failures):", ""]
        for reader, what, count, samples in notes:
            report.append(f"- {reader}: {what}: {count:,} inputs" + "".join(f"\n  - `{x[:300]}`" for x in samples[:3]))
    if any(r.get("slowest_where") for r in rows):
        report += ["", "Slowest input per reader: " + "; ".join(
            f"{r['reader']}: {r['slowest_where']}" for r in rows if r.get("slowest_where"))]
    if any(r.get("peak_where") for r in rows):
        report += ["", "Largest peak RSS per reader came from: " + "; ".join(
            f"{r['reader']}: {r['peak_where']}" for r in rows if r.get("peak_where"))]
    if any(r.get("peak_na") for r in rows):
        report += ["", "Peak RSS \"n/a\": /proc/self/clear_refs is not writable here; the growth of the process's "
                       "lifetime peak (getrusage) was checked against 500 MB instead."]
    errors = [(r["reader"], e) for r in rows for e in r.get("errors", [])]
    if errors:
        report += ["", "Strategy errors:", ""] + [f"- {reader}: {e}" for reader, e in errors]
    text = "\n".join(report)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    return 1 if any(r["crashes"] or r["hangs"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
