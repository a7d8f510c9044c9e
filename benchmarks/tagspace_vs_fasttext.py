#!/usr/bin/env python3
"""TagSpace beside fastText supervised on the Debian debtags set, and PageSpace beside popularity.

    python benchmarks/tagspace_vs_fasttext.py [--data DIR] [--repeats 3] [--quick]

* **TagSpace**: a package's short description -> its debtags (551 tags, 24k training documents),
  the split of ``benchmarks/data/build_debian.py`` (built into ``--data`` if missing). Ours and
  fastText (``--fasttext-python``, default ``.fasttext-venv/bin/python`` from
  ``scripts/setup_fasttext.sh``, running ``benchmarks/fasttext_side.py``) train on
  ``tags.train.txt``; every label is ranked for every document of ``tags.valid.txt`` and
  ``tags.test.txt``, and both rankings are scored by the same definitions (P@1 = the top label is
  a true one; hits@10; mean rank of the best true label; P@5, R@5). Settings were chosen on the
  valid split; the test split is reported beside it.
* **PageSpace**: a package "follows" the packages it depends on; 10% of packages lost one
  dependency (``deps.test.txt``); recall@k of that dependency among all packages not already in
  the bag, against ranking by popularity.

Each setting runs ``--repeats`` times (seeds 1..n); the table shows medians. Training time is
wall time of training only (data already in memory for ours; fastText reads its file).
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
sys.path.insert(0, ROOT)

OURS = {
    # StarSpace's own defaults (cosine, sum/sqrt(n), margin 0.05, lr 0.01, 5 epochs, label-frequency negatives)
    "ours, StarSpace's defaults": dict(epochs=5, lr=0.01, similarity="cos", pooling="sqrt", margin=0.05,
                                       negatives="frequency", adagrad=True, init_std=0.001, ngrams=1),
    # our defaults (chosen on the valid split): dot, mean, margin 1, uniform negatives, SGD 0.2, 20 epochs
    "ours, defaults": dict(),
    "ours, word pairs": dict(ngrams=2),
    "ours, word pairs, 2M buckets (as fastText)": dict(ngrams=2, buckets=2_000_000),
}
FASTTEXT = {
    "fastText softmax": dict(loss="softmax", wordNgrams=1, lr=0.5, epoch=25),
    "fastText softmax, bigrams": dict(loss="softmax", wordNgrams=2, lr=0.5, epoch=25),
    "fastText ova, bigrams": dict(loss="ova", wordNgrams=2, lr=0.25, epoch=25),
}


def ensure_data(folder: str) -> None:
    if not os.path.exists(os.path.join(folder, "tags.test.txt")):
        sys.path.insert(0, os.path.join(HERE, "data"))
        import build_debian

        build_debian.build(folder, seed=0)


def run_ours(folder: str, settings: dict, seed: int) -> dict:
    from embedstudio.analysis.tagging import evaluate_tags
    from embedstudio.data.labelled import read_labelled
    from embedstudio.train.starspace import StarSpaceConfig, StarSpaceTrainer

    train = read_labelled(os.path.join(folder, "tags.train.txt"))
    cfg = StarSpaceConfig(dim=100, threads=2, seed=seed, **settings)
    trainer = StarSpaceTrainer(cfg)
    started = time.perf_counter()
    for _ in trainer.fit(train):
        pass
    seconds = time.perf_counter() - started
    model = trainer.model()
    out = {"train_seconds": seconds, "docs_per_sec": len(train) * cfg.epochs / seconds,
           "words_per_sec": len(train.word_ids) * cfg.epochs / seconds}
    for split in ("valid", "test"):
        docs = read_labelled(os.path.join(folder, f"tags.{split}.txt"), words=train.words, labels=train.labels)
        m = evaluate_tags(model, docs, ks=(1, 5, 10))
        out[split] = {"p_at_1": m["hits@1"], "hits_at_10": m["hits@10"], "mean_rank": m["mean_rank"],
                      "precision_at_5": m["precision@5"], "recall_at_5": m["recall@5"]}
    return out


def run_fasttext(python: str, folder: str, settings: dict, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ft.json")
        args = [python, os.path.join(HERE, "fasttext_side.py"), "--train", os.path.join(folder, "tags.train.txt"),
                "--test", os.path.join(folder, "tags.test.txt"), "--valid", os.path.join(folder, "tags.valid.txt"),
                "--dim", "100", "--threads", "2", "--seed", str(seed), "--json", out]
        for key, value in settings.items():
            args += [f"--{key}", str(value)]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            raw = json.load(f)
    if raw.get("error"):
        raise RuntimeError(raw["error"])
    result = {"train_seconds": raw["train_seconds"], "words_per_sec": raw.get("words_per_sec", float("nan"))}
    result["docs_per_sec"] = float("nan")
    for split in ("valid", "test"):
        m = raw[split] if split in raw else raw.get("metrics", {}).get(split, {})
        result[split] = {k: m[k] for k in ("p_at_1", "hits_at_10", "mean_rank", "precision_at_5", "recall_at_5")}
    return result


def median_of(runs: list[dict]) -> dict:
    out = {k: statistics.median(r[k] for r in runs) for k in ("train_seconds", "words_per_sec")}
    for split in ("valid", "test"):
        out[split] = {k: statistics.median(r[split][k] for r in runs) for k in runs[0][split]}
    return out


def pagespace(folder: str, seed: int, settings: dict) -> tuple[dict, dict, float]:
    import numpy as np

    from embedstudio.analysis.tagging import evaluate_recommendations, popularity_recommendations
    from embedstudio.data.labelled import read_user_items
    from embedstudio.train.starspace import StarSpaceConfig, train_starspace

    train = read_user_items(os.path.join(folder, "deps.train.txt"))
    users = {u: i for i, u in enumerate(train.users)}
    items = {x: i for i, x in enumerate(train.items)}
    held = []
    with open(os.path.join(folder, "deps.test.txt"), encoding="utf-8") as f:
        for line in f:
            user, item = line.rstrip("\n").split("\t")
            if user in users and item in items:
                held.append((users[user], items[item]))
    held = np.asarray(held, dtype=np.int64)
    started = time.perf_counter()
    model = train_starspace(train, StarSpaceConfig(mode="pagespace", dim=100, threads=2, seed=seed, **settings))
    seconds = time.perf_counter() - started
    ks = (1, 10, 100)
    return evaluate_recommendations(model, train, held, ks), popularity_recommendations(train, held, ks), seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(HERE, "data", "debian"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--fasttext-python", default=os.environ.get("EMBEDSTUDIO_FASTTEXT_PYTHON",
                                                               os.path.join(ROOT, ".fasttext-venv", "bin", "python")))
    ap.add_argument("--skip-pagespace", action="store_true")
    ap.add_argument("--json", help="write every run here")
    args = ap.parse_args(argv)
    ensure_data(args.data)
    results = {}
    for name, settings in OURS.items():
        runs = [run_ours(args.data, settings, seed) for seed in range(1, args.repeats + 1)]
        results[name] = {"runs": runs, "median": median_of(runs)}
        print(f"{name}: done", file=sys.stderr)
    if os.path.exists(args.fasttext_python):
        for name, settings in FASTTEXT.items():
            try:
                runs = [run_fasttext(args.fasttext_python, args.data, settings, seed) for seed in range(1, args.repeats + 1)]
            except (subprocess.CalledProcessError, RuntimeError) as e:
                print(f"{name}: failed ({e})", file=sys.stderr)
                continue
            results[name] = {"runs": runs, "median": median_of(runs)}
            print(f"{name}: done", file=sys.stderr)
    else:
        print(f"no fastText at {args.fasttext_python}: run scripts/setup_fasttext.sh", file=sys.stderr)

    ref = results.get("fastText softmax")
    print(f"\nTagSpace on Debian debtags (medians of {args.repeats} runs, dim 100, 2 threads)")
    print("| model | valid P@1 | test P@1 | test hits@10 | test mean rank | test P@5 | test R@5 | train s | words/s | speed vs fastText softmax |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        m = r["median"]
        t = m["test"]
        ratio = m["words_per_sec"] / ref["median"]["words_per_sec"] if ref else float("nan")
        print(f"| {name} | {m['valid']['p_at_1']:.4f} | {t['p_at_1']:.4f} | {t['hits_at_10']:.4f} | "
              f"{t['mean_rank']:.2f} | {t['precision_at_5']:.4f} | {t['recall_at_5']:.4f} | "
              f"{m['train_seconds']:.1f} | {m['words_per_sec']:,.0f} | {ratio:.2f}x |")

    if not args.skip_pagespace:
        settings = dict(epochs=10)
        ours, popular, seconds = pagespace(args.data, 1, settings)
        results["pagespace"] = {"ours": ours, "popularity": popular, "train_seconds": seconds, "settings": settings}
        print(f"\nPageSpace on Debian Depends: the held-out dependency of {ours['users']:,} packages "
              f"(ours trained in {seconds:.0f} s)")
        print("| ranking | recall@1 | recall@10 | recall@100 | mean rank | MRR |")
        print("|---|---|---|---|---|---|")
        for name, m in (("ours (PageSpace)", ours), ("popularity", popular)):
            print(f"| {name} | {m['recall@1']:.4f} | {m['recall@10']:.4f} | {m['recall@100']:.4f} | "
                  f"{m['mean_rank']:.1f} | {m['mrr']:.4f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
