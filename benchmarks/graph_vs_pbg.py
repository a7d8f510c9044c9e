#!/usr/bin/env python3
"""Graph embeddings: EmbedStudio's trainer beside PyTorch-BigGraph 1.0 on the WordNet multi-relation graph.

    python benchmarks/graph_vs_pbg.py [--triples DIR] [--partitions 1 4] [--repeats 1]

Both train on the same seeded train split with the same settings (dim 100, complex_diagonal, dot,
ranking loss margin 0.1, batch 1000, 100 batch + 100 uniform negatives, 5 epochs, lr 0.1, 2
threads / 2 workers, PBG ``hogwild_delay=0``); both models are scored by the same evaluator
(filtered full ranking over every entity, both sides, on the test split). Every training runs in
its own process; the peak RSS of its process tree is sampled every 50 ms. PBG runs with the Python
of ``--pbg-python`` (default: $EMBEDSTUDIO_PBG_PYTHON or .pbg-venv/bin/python, which
``scripts/setup_pbg.sh`` makes) and our ``benchmarks/pbg_train.py``.

The triples come from ``../shared/data/wordnet_relations.py --out DIR`` (written there if missing).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SETTINGS = dict(dim=100, operator="complex_diagonal", comparator="dot", loss="ranking", margin=0.1, epochs=5,
                batch_size=1000, batch_negatives=100, uniform_negatives=100, lr=0.1, threads=2)


def combined_graph(triples: str, work: str):
    """One GraphData over train + valid + test (so ids agree) and the row ranges of each split."""
    from embedstudio.data.edgelist import read_edgelist

    counts = []
    path = os.path.join(work, "all.tsv")
    with open(path, "w", encoding="utf-8") as out:
        for split in ("train", "valid", "test"):
            with open(os.path.join(triples, f"{split}.tsv"), encoding="utf-8") as f:
                lines = [line for line in f if line.strip()]
            out.writelines(lines)
            counts.append(len(lines))
    graph = read_edgelist(path)
    if graph.n_edges != sum(counts):
        raise SystemExit(f"the splits overlap: {sum(counts)} lines, {graph.n_edges} distinct edges")
    a, b = counts[0], counts[0] + counts[1]
    return graph, graph.edges[:a], graph.edges[a:b], graph.edges[b:]


def watch(cmd: list[str], env=None) -> tuple[str, float, float]:
    """Run ``cmd``; returns (stdout, wall seconds, peak RSS MB of its whole process tree)."""
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = 0
    parent = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            tree = [parent] + parent.children(recursive=True)
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({proc.returncode}):\n{err[-3000:]}")
    return out, wall, peak / 2**20


# ------------------------------------------------------------------------- one training, in a child
def run_ours(args) -> None:
    from embedstudio.train.graph import GraphConfig, GraphTrainer

    graph, train, _, _ = combined_graph(args.triples, args.work)
    partitions = args.partitions[0]
    cfg = GraphConfig(partitions=partitions, seed=args.seed, **SETTINGS)
    trainer = GraphTrainer(cfg, work_dir=os.path.join(args.work, f"ours-parts-{partitions}"))
    started = time.perf_counter()
    for _ in trainer.fit((graph, train)):
        pass
    wall = time.perf_counter() - started
    trainer.model().save(args.model_out)
    print(json.dumps({"train_s": wall, "edges_per_s": len(train) * cfg.epochs / wall,
                      "embedding_mb": trainer.peak_partition_bytes / 2**20}))
    trainer.close()


def evaluate(model, graph, test, max_edges: int | None):
    from embedstudio.analysis.linkpred import evaluate_link_prediction

    return evaluate_link_prediction(model, test, graph.edges, protocol="filtered", max_edges=max_edges, seed=0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--triples", default="/tmp/wn_triples")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--partitions", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-edges", type=int, default=None, help="evaluate a sample of the test edges")
    ap.add_argument("--pbg-python", default=os.environ.get("EMBEDSTUDIO_PBG_PYTHON",
                                                           os.path.join(ROOT, ".pbg-venv", "bin", "python")))
    ap.add_argument("--only", choices=("ours", "pbg"), default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_ours(args)
        return
    if not os.path.exists(os.path.join(args.triples, "train.tsv")):
        subprocess.run([sys.executable, os.path.join(ROOT, "..", "shared", "data", "wordnet_relations.py"),
                        "--out", args.triples, "--seed", str(args.seed)], check=True)
    args.work = args.work or tempfile.mkdtemp(prefix="graph-vs-pbg-")
    from embedstudio.data.pbg import export_pbg
    from embedstudio.data.pbg_import import import_pbg
    from embedstudio.graphmodel import GraphModel

    graph, train, valid, test = combined_graph(args.triples, args.work)
    print(f"WordNet: {graph.n_entities:,} entities, {graph.n_relations} relations; train {len(train):,}, "
          f"valid {len(valid):,}, test {len(test):,} edges", flush=True)
    rows = []
    for partitions in args.partitions:
        for repeat in range(args.repeats):
            for system in ("ours", "pbg"):
                if args.only and system != args.only:
                    continue
                if system == "ours":
                    model_path = os.path.join(args.work, f"ours-{partitions}.esgraph")
                    out, wall, rss = watch([sys.executable, __file__, "--child", "--triples", args.triples,
                                            "--work", args.work, "--partitions", str(partitions), "--seed",
                                            str(args.seed + repeat), "--model-out", model_path])
                    r = json.loads(out.strip().splitlines()[-1])
                    model = GraphModel.load(model_path)
                else:
                    folder = os.path.join(args.work, f"pbg-{partitions}-{repeat}")
                    config = export_pbg(graph, folder, edges=train, partitions=partitions, seed=args.seed + repeat,
                                        config={"num_epochs": SETTINGS["epochs"], "workers": SETTINGS["threads"]})
                    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
                    out, wall, rss = watch([args.pbg_python, os.path.join(HERE, "pbg_train.py"), config], env=env)
                    r = json.loads(out.strip().splitlines()[-1])
                    r["train_s"] = r["wall_s"]
                    model = import_pbg(folder)
                    dim = model.dim
                    # PBG holds the embeddings of two partitions (and their Adagrad rows) at a time
                    sizes = sorted(int(open(os.path.join(folder, f)).read()) for f in os.listdir(folder)
                                   if f.startswith("entity_count_"))
                    r["embedding_mb"] = sum(sizes[-2:] if partitions > 1 else sizes) * (dim + 1) * 4 / 2**20
                result = evaluate(model, graph, test, args.eval_edges)
                row = {"system": system, "partitions": partitions, "repeat": repeat, "train_s": r["train_s"],
                       "process_s": wall, "edges_per_s": len(train) * SETTINGS["epochs"] / r["train_s"],
                       "peak_rss_mb": rss, "embedding_mb": r["embedding_mb"], "mrr": result.mrr,
                       "hits10": result.hits(10), "hits1": result.hits(1), "mean_rank": result.mean_rank}
                rows.append(row)
                print(json.dumps(row), flush=True)

    def med(system, partitions, key):
        values = [r[key] for r in rows if r["system"] == system and r["partitions"] == partitions]
        return statistics.median(values) if values else float("nan")

    print("\n| partitions | system | train s | edges/s | peak RSS MB (tree) | embeddings in memory MB | "
          "filtered MRR | Hits@10 | Hits@1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for partitions in args.partitions:
        for system in ("ours", "pbg"):
            if any(r["system"] == system and r["partitions"] == partitions for r in rows):
                print(f"| {partitions} | {system} | {med(system, partitions, 'train_s'):.1f} | "
                      f"{med(system, partitions, 'edges_per_s'):,.0f} | {med(system, partitions, 'peak_rss_mb'):,.0f} | "
                      f"{med(system, partitions, 'embedding_mb'):,.1f} | {med(system, partitions, 'mrr'):.4f} | "
                      f"{med(system, partitions, 'hits10'):.4f} | {med(system, partitions, 'hits1'):.4f} |")
    for partitions in args.partitions:
        a, b = med("ours", partitions, "edges_per_s"), med("pbg", partitions, "edges_per_s")
        print(f"partitions {partitions}: ours/PBG edges/s = {a / b:.2f}x, MRR ours {med('ours', partitions, 'mrr'):.4f} "
              f"vs PBG {med('pbg', partitions, 'mrr'):.4f}")


if __name__ == "__main__":
    main()
