#!/usr/bin/env python3
"""Peak memory of word2vec on a 1 GB corpus: bounded by the vocabulary and the encoded tokens, not the text.

    python benchmarks/memory_1gb.py [--source /tmp/corpus.txt] [--size-gb 1.0] [--epochs 1]

The corpus is the benchmark corpus (``../shared/data/build_corpus.py``, 85 MB) repeated until it
reaches ``--size-gb`` (written once to ``--work``). ``embedstudio train`` runs in a child process;
the resident set size (RSS) of its process tree is sampled every 50 ms, split by phase: reading
(tokenising and encoding into the int32 token cache) and training. The expected bound is printed
beside it: the vectors (2 x vocabulary x dim x 4 bytes), the encoded tokens (4 bytes a token,
memory-mapped: their pages count in RSS as they are touched) and the interpreter with numpy/numba.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def tree_rss(pid: int) -> tuple[int, int]:
    """(anonymous, file-backed) resident bytes of a process and its descendants (Linux /proc). File-backed
    pages are the memory-mapped token cache and the libraries: the kernel drops them under pressure."""
    anon = file = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        anon += int(line.split()[1]) * 1024
                    elif line.startswith("RssFile:") or line.startswith("RssShmem:"):
                        file += int(line.split()[1]) * 1024
            with open(f"/proc/{p}/task/{p}/children") as f:
                stack.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return anon, file


def make_corpus(source: str, target: str, size: float) -> int:
    if os.path.exists(target) and os.path.getsize(target) >= size:
        return os.path.getsize(target)
    with open(source, "rb") as f:
        text = f.read()
    if not text.endswith(b"\n"):
        text += b"\n"
    with open(target + ".part", "wb") as out:
        written = 0
        while written < size:
            out.write(text)
            written += len(text)
    os.replace(target + ".part", target)
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", default="/tmp/corpus.txt", help="the benchmark corpus (build_corpus.py output)")
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "embedstudio-1gb"))
    ap.add_argument("--size-gb", type=float, default=1.0)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    corpus = os.path.join(args.work, "corpus-1gb.txt")
    started = time.time()
    size = make_corpus(args.source, corpus, args.size_gb * 1e9)
    print(f"corpus: {corpus}, {size / 1e9:.2f} GB ({time.time() - started:.0f} s to write)", file=sys.stderr)
    cache = os.path.join(args.work, "cache")
    if os.path.isdir(cache):  # measure the reading pass too, not a cache hit
        import shutil

        shutil.rmtree(cache)
    env = dict(os.environ, EMBEDSTUDIO_CACHE=cache)
    out = os.path.join(args.work, "vectors.npz")
    cmd = [sys.executable, "-m", "embedstudio", "train", corpus, "-o", out, "--epochs", str(args.epochs),
           "--dim", str(args.dim), "--threads", str(args.threads)]
    t0 = time.time()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks = {"reading": (0, 0, 0), "training": (0, 0, 0)}  # (total, anonymous, file-backed) at the total's peak
    phase = "reading"
    # the trainer's progress bar (stderr) starts with "[" once training runs; read it without blocking
    os.set_blocking(proc.stderr.fileno(), False)
    tail = ""
    while proc.poll() is None:
        anon, file = tree_rss(proc.pid)
        try:
            chunk = proc.stderr.read() or ""
        except (OSError, TypeError):
            chunk = ""
        tail = (tail + chunk)[-4000:]
        if phase == "reading" and "epoch" in tail:
            phase = "training"
            t_read = time.time() - t0
        peaks[phase] = max(peaks[phase], (anon + file, anon, file))
        time.sleep(0.05)
    wall = time.time() - t0
    stdout = proc.stdout.read()
    if proc.returncode != 0:
        print(stdout, tail, file=sys.stderr)
        return proc.returncode
    from embedstudio.vectors import Embedding

    emb = Embedding.load(out)
    vocab = len(emb)
    tokens = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(cache) for f in fs
                 if f.endswith(".tokens.i32")) // 4
    vectors_bytes = 2 * vocab * args.dim * 4
    token_bytes = tokens * 4
    result = {"corpus_bytes": size, "vocabulary": vocab, "tokens": tokens, "wall_s": wall,
              "read_s": locals().get("t_read"), "peak_rss_reading": peaks["reading"],
              "peak_rss_training": peaks["training"], "vectors_bytes": vectors_bytes, "token_bytes": token_bytes}
    mb = 1e6

    def cell(peak):
        total, anon, file = peak
        return f"{total / mb:,.0f} MB ({anon / mb:,.0f} anon + {file / mb:,.0f} file)"

    print("\n| corpus | tokens | vocabulary | peak RSS reading | peak RSS training | vectors (2 x V x d x 4) | "
          "encoded tokens (4 B each) | wall |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {size / 1e9:.2f} GB | {tokens / 1e6:,.0f}M | {vocab:,} | {cell(peaks['reading'])} | "
          f"{cell(peaks['training'])} | {vectors_bytes / mb:,.0f} MB | {token_bytes / mb:,.0f} MB | {wall:,.0f} s |")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
