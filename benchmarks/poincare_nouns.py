#!/usr/bin/env python3
"""Poincaré embeddings of the WordNet noun closure: reconstruction MAP and mean rank against wall time.

    python benchmarks/poincare_nouns.py --data ../shared/data/noun_closure.tsv.gz --dim 10 --minutes 120
    python benchmarks/poincare_nouns.py --dim 10 --model lorentz --minutes 60

Every --every epochs: the live estimate, a seeded sample of --eval-nodes nodes. Every --full-every
epochs and when training stops (--epochs done or --minutes of training spent): the full evaluation
over all 82,115 nouns, as the paper reports it (d=10: mean rank 4.02, MAP 0.851), with how long it
took. Training minutes exclude evaluation. At the end, also gensim's convention (the node itself
counted among its negatives: ``count_self=True``) and, with gensim installed, gensim's own
ReconstructionEvaluation beside ours on the same nodes: gensim needs ~11 ms a node (~15 min for all
the nouns), so it runs on the first --gensim-nodes nodes it visits (0 = skip, -1 = all of them).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time

import numpy as np

from embedstudio.analysis.hierarchy import reconstruction
from embedstudio.data.hierarchy import read_hierarchy
from embedstudio.train.poincare import PoincareConfig, PoincareTrainer


def full(vectors, h, **kw):
    t0 = time.perf_counter()
    r = reconstruction(vectors, h, **kw)
    return r, time.perf_counter() - t0


def gensim_beside_ours(vectors, h, max_items: int) -> None:
    """gensim's ReconstructionEvaluation and ours (count_self=True) on the nodes gensim evaluates."""
    try:
        from gensim.models.poincare import (
            PoincareKeyedVectors,
            ReconstructionEvaluation,
        )
    except ImportError:
        print("gensim is not installed: its evaluator was not run. Ours with count_self=True is the same "
              "protocol (equal to 1e-9 in tests/analysis/test_hierarchy*.py).")
        return
    kv = PoincareKeyedVectors(vectors.shape[1], 0, dtype=np.float64)
    kv.add_vectors(list(h.names), np.asarray(vectors, dtype=np.float64))  # vector index = our node id
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "closure.tsv")
        with open(path, "w") as f:
            f.write("".join(f"{h.names[u]}\t{h.names[v]}\n" for u, v in h.edges.tolist()))
        ev = ReconstructionEvaluation(path, kv)
    # gensim walks its item set and stops after the item numbered max_n + 1 (1-based, items without
    # ancestors included): the same walk gives the nodes it evaluated.
    max_n = None if max_items < 0 else max_items
    nodes = []
    for i, item in enumerate(ev.items, start=1):
        if item in ev.relations:
            nodes.append(item)
        if max_n is not None and i > max_n:
            break
    t0 = time.perf_counter()
    theirs = ev.evaluate(max_n=max_n)
    t_gensim = time.perf_counter() - t0
    ours, t_ours = full(vectors, h, count_self=True, nodes=nodes)
    print(f"gensim ReconstructionEvaluation on {len(nodes):,} nodes: mean rank {float(theirs['mean_rank']):.6f}, "
          f"MAP {float(theirs['MAP']):.6f} ({t_gensim:.1f} s)")
    print(f"ours, count_self=True, same nodes:          mean rank {ours.mean_rank:.6f}, MAP {ours.map:.6f} "
          f"({t_ours:.2f} s); differences {ours.mean_rank - float(theirs['mean_rank']):.1e}, "
          f"{ours.map - float(theirs['MAP']):.1e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/noun_closure.tsv.gz")
    ap.add_argument("--dim", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=None, help="default: the trainer's own for the model")
    ap.add_argument("--negative", type=int, default=10)
    ap.add_argument("--exclude", default="neighbours", choices=("neighbours", "ancestors"))
    ap.add_argument("--lr-decay", default="constant", choices=("constant", "linear"))
    ap.add_argument("--negative-sampling", default="uniform", choices=("uniform", "degree"),
                    help="negatives after burn-in (the trainer's default and the authors' code: uniform)")
    ap.add_argument("--burn-in", type=int, default=10)
    ap.add_argument("--model", default=None, help="PoincareConfig.model, e.g. poincare or lorentz")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--every", type=int, default=10, help="sampled evaluation every this many epochs")
    ap.add_argument("--eval-nodes", type=int, default=2000, help="nodes in the sampled evaluation")
    ap.add_argument("--full-every", type=int, default=100, help="full evaluation every this many epochs")
    ap.add_argument("--gensim-nodes", type=int, default=2000,
                    help="nodes for gensim's evaluator beside ours at the end (0 = skip, -1 = all)")
    ap.add_argument("--minutes", type=float, default=120.0, help="stop after this much training time")
    ap.add_argument("--save", help="write the final vectors here (.npy, rows in the closure's node order)")
    args = ap.parse_args()

    settings = {"dim": args.dim, "epochs": args.epochs, "threads": args.threads, "chunk_edges": 20000,
                "negative": args.negative, "exclude": args.exclude, "lr_decay": args.lr_decay,
                "negative_sampling": args.negative_sampling, "burn_in": args.burn_in}
    if args.lr is not None:
        settings["lr"] = args.lr
    if args.model is not None:
        if "model" not in {f.name for f in dataclasses.fields(PoincareConfig)}:
            sys.exit(f"--model {args.model}: this PoincareConfig has no 'model' field (the trainer predates the "
                     "Lorentz model); run without --model")
        settings["model"] = args.model
    cfg = PoincareConfig(**settings)
    t0 = time.perf_counter()
    h = read_hierarchy(args.data)
    print(f"read {h.n_nodes:,} nodes, {h.n_edges:,} edges in {time.perf_counter() - t0:.1f}s", flush=True)
    print(cfg, flush=True)
    trainer = PoincareTrainer(cfg)
    per_epoch = -(-h.n_edges // cfg.chunk_edges)
    print(f"| epochs | train wall min | relations/s | sampled mean rank ({args.eval_nodes:,} nodes) | sampled MAP | "
          f"full mean rank | full MAP | full eval s |", flush=True)
    print("|---|---|---|---|---|---|---|---|", flush=True)
    trained = 0.0
    epochs = 0
    last_full = -1
    started = time.perf_counter()
    for p in trainer.fit(h):
        if p.cursor % per_epoch:
            continue
        epochs = p.cursor // per_epoch
        done = p.cursor == p.total or trained + time.perf_counter() - started > args.minutes * 60
        want_full = done or epochs % args.full_every == 0
        if not (want_full or epochs % args.every == 0):
            continue
        trained += time.perf_counter() - started
        s = reconstruction(trainer.vectors, h, max_nodes=args.eval_nodes, seed=0)
        cells = ["", "", ""]
        if want_full:
            r, t_full = full(trainer.vectors, h)
            cells = [f"{r.mean_rank:.2f}", f"{r.map:.3f}", f"{t_full:.1f}"]
            last_full = epochs
        print(f"| {epochs} | {trained / 60:.1f} | {h.n_edges * epochs / trained:,.0f} | {s.mean_rank:.2f} | "
              f"{s.map:.3f} | " + " | ".join(cells) + " |", flush=True)
        if done:
            break
        started = time.perf_counter()
    vectors = np.array(trainer.vectors, dtype=np.float64)
    if last_full != epochs:  # stopped between epochs (a cancelled run): evaluate what there is
        r, t_full = full(vectors, h)
    print(f"\nfinal, every node ({args.threads} threads for training; the evaluation uses every core): "
          f"{r} in {t_full:.1f} s")
    gensim_like, _ = full(vectors, h, count_self=True)
    print(f"same vectors, gensim's convention (count_self=True): {gensim_like}")
    if args.save:
        np.save(args.save, vectors)
        print(f"saved the vectors to {args.save}")
    if args.gensim_nodes:
        gensim_beside_ours(vectors, h, args.gensim_nodes)


if __name__ == "__main__":
    main()
