#!/usr/bin/env python3
"""EmbedStudio's Poincaré embeddings beside gensim's PoincareModel: same closure, same settings.

    python benchmarks/poincare_vs_gensim.py                                   # mammals, d = 2, 5, 10
    python benchmarks/poincare_vs_gensim.py --data ../shared/data/noun_closure.tsv.gz --epochs 5 --burn-in 1

Settings for both: negative 10, learning rate 0.1, --burn-in epochs at 0.01 (default 10), negatives
by degree^0.75, 1 thread (gensim's trainer is single-threaded). Every run is its own process.
Both train the same passes: gensim's ``train(epochs=E)`` runs its burn-in epochs *and then* E
epochs, so ours runs ``epochs = burn_in + E`` (its epochs include the burn-in), and relations/s =
edges x (burn_in + E) / training wall time for both. (Until 2026-12-03 gensim was credited with E
epochs only, for a wall time that included its burn-in: its speed was understated.)
Reconstruction mean rank and MAP on every node (--max-nodes for a sample) by one evaluator for
both (embedstudio.analysis.hierarchy, equal to gensim's own evaluation with count_self=True).
Published anchor (Nickel & Kiela 2017, mammals closure, d = 5): mean rank 1.26, MAP 0.927.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent / "resources" / "sample" / "mammal_closure.tsv"


def run_ours(path: str, dim: int, epochs: int, burn_in: int, threads: int) -> dict:
    from embedstudio.data.hierarchy import read_hierarchy
    from embedstudio.train.poincare import PoincareConfig, PoincareTrainer

    h = read_hierarchy(path)
    cfg = PoincareConfig(dim=dim, epochs=burn_in + epochs, burn_in=burn_in, lr=0.1, burn_in_factor=0.1,
                         negative=10, negative_sampling="degree", threads=threads, seed=1)  # as gensim samples
    trainer = PoincareTrainer(cfg)
    t0 = time.perf_counter()
    for _ in trainer.fit(h):
        pass
    return {"wall": time.perf_counter() - t0, "edges": h.n_edges, "vectors": trainer.vectors, "hierarchy": h}


def run_gensim(path: str, dim: int, epochs: int, burn_in: int) -> dict:
    import numpy as np
    from gensim.models.poincare import PoincareModel

    from embedstudio.data.hierarchy import read_hierarchy

    h = read_hierarchy(path)
    relations = [(h.names[u], h.names[v]) for u, v in h.edges]
    model = PoincareModel(relations, size=dim, negative=10, alpha=0.1, burn_in=burn_in,
                          burn_in_alpha=0.01, seed=1, dtype=np.float64)
    t0 = time.perf_counter()
    model.train(epochs=epochs, batch_size=10, print_every=10**9)  # burn_in epochs, then epochs more
    wall = time.perf_counter() - t0
    vectors = np.stack([model.kv[name] for name in h.names])
    return {"wall": wall, "edges": h.n_edges, "vectors": vectors, "hierarchy": h}


def worker(args) -> None:
    from embedstudio.analysis.hierarchy import reconstruction

    if args.impl == "ours":
        r = run_ours(args.data, args.dim, args.epochs, args.burn_in, args.threads)
    else:
        r = run_gensim(args.data, args.dim, args.epochs, args.burn_in)
    t0 = time.perf_counter()
    result = reconstruction(r["vectors"], r["hierarchy"], max_nodes=args.max_nodes, seed=0)
    print("RESULT " + json.dumps({
        "wall": r["wall"], "relations_per_s": r["edges"] * (args.burn_in + args.epochs) / r["wall"],
        "mean_rank": result.mean_rank, "map": result.map, "eval_s": time.perf_counter() - t0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def launch(args, impl: str, dim: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--impl", impl, "--data", args.data, "--dim", str(dim),
           "--epochs", str(args.epochs), "--burn-in", str(args.burn_in), "--threads", str(args.threads)]
    if args.max_nodes:
        cmd += ["--max-nodes", str(args.max_nodes)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{impl} d={dim} failed:\n{out.stderr[-3000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 5, 10])
    ap.add_argument("--epochs", type=int, default=50, help="epochs after the burn-in")
    ap.add_argument("--burn-in", type=int, default=10, help="burn-in epochs, run (and counted) by both")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--max-nodes", type=int, default=None, help="evaluate a seeded sample of nodes (default: all)")
    ap.add_argument("--impls", nargs="+", default=["ours", "gensim"], choices=["ours", "gensim"])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--impl", help=argparse.SUPPRESS)
    ap.add_argument("--dim", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    runs: dict[tuple, list[dict]] = {}
    for rep in range(args.repeats):
        for dim in args.dims:
            for impl in args.impls:
                r = launch(args, impl, dim)
                runs.setdefault((dim, impl), []).append(r)
                print(f"[{rep + 1}/{args.repeats}] {impl} d={dim}: {r['relations_per_s']:,.0f} relations/s, "
                      f"mean rank {r['mean_rank']:.2f}, MAP {r['map']:.3f}", file=sys.stderr, flush=True)

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    evaluated = f"a sample of {args.max_nodes:,} nodes" if args.max_nodes else "every node"
    print(f"\nPoincaré embeddings of {os.path.basename(args.data)}: {args.burn_in} burn-in + {args.epochs} epochs for "
          f"both, relations/s counting all {args.burn_in + args.epochs}; {args.threads} thread(s) for ours; "
          f"reconstruction on {evaluated}; medians of {args.repeats} run(s); ratio = ours / gensim, the median "
          f"of the repeats' ratios (each repeat runs both back to back), min-max in brackets")
    print("| dim | implementation | relations/s | ratio | wall s | mean rank | MAP | eval s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for dim in args.dims:
        base = runs.get((dim, "gensim"))
        for impl in args.impls:
            rows = runs[(dim, impl)]
            ratio = "-"
            if base:
                ratios = [r["relations_per_s"] / g["relations_per_s"] for r, g in zip(rows, base)]
                ratio = f"{statistics.median(ratios):.1f}x"
                if len(ratios) > 1 and impl != "gensim":
                    ratio += f" [{min(ratios):.1f}-{max(ratios):.1f}]"
            print(f"| {dim} | {impl} | {med(rows, 'relations_per_s'):,.0f} | {ratio} | {med(rows, 'wall'):.1f} | "
                  f"{med(rows, 'mean_rank'):.2f} | {med(rows, 'map'):.3f} | {med(rows, 'eval_s'):.2f} | "
                  f"{med(rows, 'peak_rss_mb'):,.0f} |")


if __name__ == "__main__":
    main()
