#!/usr/bin/env python3
"""fastText supervised on a TagSpace split, scored the way EmbedStudio's TagSpace is scored.

Runs in fastText's own venv (``bash scripts/setup_fasttext.sh`` makes ``.fasttext-venv``)::

  .fasttext-venv/bin/python benchmarks/fasttext_side.py \\
      --train benchmarks/data/debian/tags.train.txt --test benchmarks/data/debian/tags.test.txt \\
      --dim 100 --epoch 25 --lr 0.5 --threads 2 --loss softmax --wordNgrams 1 --json out.json

Input: fastText-format lines (``__label__a __label__b word word ...``, as written by
``benchmarks/data/build_debian.py``). After training, every test document's labels are ranked
(all of them: ``predict(k=-1)``) and ``ranking_metrics`` scores the ranking. That function is
plain Python + numpy and this module imports fastText only inside ``main``, so EmbedStudio's side
can import it to score its own rankings identically::

  import importlib.util
  spec = importlib.util.spec_from_file_location("fasttext_side", "benchmarks/fasttext_side.py")
  mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
  mod.ranking_metrics(ranked_labels_per_doc, true_labels_per_doc)

Metrics (means over documents): ``p_at_1`` the top label is a true label; ``hits_at_10`` at
least one true label in the top 10; ``mean_rank`` the 1-based rank of the best-ranked true label
among all labels; ``mrr`` the mean of its reciprocal; ``precision_at_5`` = |top 5 & true| / 5;
``recall_at_5`` = |top 5 & true| / |true|. A true label absent from the ranking (never seen in
training) counts as ranked just after the last ranked label.

Timing: ``train_seconds`` is the wall time of ``train_supervised`` (reading the file and building
the dictionary included); ``words_per_sec`` = word tokens of the training file (labels not
counted) x epochs / train_seconds (fastText's own progress line counts words per second per
thread, labels included, and goes to the C++ stderr, so it is not used).

Note that with ``--loss softmax`` (and hs, ns) fastText trains each example on ONE of its labels,
drawn at random each time; ``--loss ova`` (one-vs-all, independent sigmoids) uses all of them.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import numpy as np


def ranking_metrics(ranked, truth, ks=(1, 5, 10)) -> dict:
    """Ranking metrics of predicted label lists against true label sets.

    ranked: per document, labels best first (normally every label). truth: per document, an
    iterable of its true labels (documents with none are skipped). Returns means over documents:
    ``p_at_k`` (= precision@k; for k=1 the top label is true), ``recall_at_k``, ``hits_at_k``
    (at least one true label in the top k), ``mean_rank`` / ``median_rank`` of the best-ranked true
    label (1-based; a true label missing from the ranking counts as rank len(ranking)+1), ``mrr``,
    and ``docs``. ``precision_at_k`` is an alias of ``p_at_k``.
    """
    if len(ranked) != len(truth):
        raise ValueError(f"{len(ranked)} rankings for {len(truth)} documents")
    ks = tuple(int(k) for k in ks)
    prec = {k: [] for k in ks}
    rec = {k: [] for k in ks}
    hits = {k: [] for k in ks}
    best_ranks = []
    for labels, true in zip(ranked, truth):
        true = set(true)
        if not true:
            continue
        labels = list(labels)
        best = len(labels) + 1
        for i, label in enumerate(labels):
            if label in true:
                best = i + 1
                break
        best_ranks.append(best)
        for k in ks:
            found = sum(1 for label in labels[:k] if label in true)
            prec[k].append(found / k)
            rec[k].append(found / len(true))
            hits[k].append(1.0 if found else 0.0)
    n = len(best_ranks)
    ranks = np.asarray(best_ranks, dtype=np.float64)
    out = {"docs": n}
    for k in ks:
        out[f"p_at_{k}"] = float(np.mean(prec[k])) if n else float("nan")
        out[f"precision_at_{k}"] = out[f"p_at_{k}"]
        out[f"recall_at_{k}"] = float(np.mean(rec[k])) if n else float("nan")
        out[f"hits_at_{k}"] = float(np.mean(hits[k])) if n else float("nan")
    out["mean_rank"] = float(ranks.mean()) if n else float("nan")
    out["median_rank"] = float(np.median(ranks)) if n else float("nan")
    out["mrr"] = float(np.mean(1.0 / ranks)) if n else float("nan")
    return out


LABEL_PREFIX = "__label__"


def read_labelled(path: str, prefix: str = LABEL_PREFIX) -> tuple[list[list[str]], list[str]]:
    """(labels per line without the prefix, text per line) of a fastText-format file."""
    labels, texts = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            toks = line.split()
            if not toks:
                continue
            labels.append([t[len(prefix):] for t in toks if t.startswith(prefix)])
            texts.append(" ".join(t for t in toks if not t.startswith(prefix)))
    return labels, texts


def rank_all(model, texts: list[str], prefix: str = LABEL_PREFIX) -> list[list[str]]:
    """Every label of the model, best first, for each text."""
    predicted, _ = model.predict(texts, k=-1, threshold=0.0)
    return [[p[len(prefix):] for p in labs] for labs in predicted]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--valid", help="also score this file")
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--epoch", type=int, default=25)
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--loss", default="softmax", choices=["softmax", "ova", "hs", "ns"])
    ap.add_argument("--wordNgrams", type=int, default=1)
    ap.add_argument("--minCount", type=int, default=1)
    ap.add_argument("--bucket", type=int, default=2_000_000,
                    help="hash buckets for word n-grams (fastText's default); 0 is passed when "
                         "--wordNgrams is 1, where they would be unused rows")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the result dict here")
    args = ap.parse_args(argv)

    import fasttext  # only here: the metric code above must import without fastText

    train_labels, train_texts = read_labelled(args.train)
    train_words = sum(len(t.split()) for t in train_texts)
    kwargs = dict(input=args.train, dim=args.dim, epoch=args.epoch, lr=args.lr,
                  thread=args.threads, loss=args.loss, wordNgrams=args.wordNgrams,
                  minCount=args.minCount, bucket=args.bucket if args.wordNgrams > 1 else 0,
                  verbose=0)
    kwargs["seed"] = args.seed
    t0 = time.perf_counter()
    try:
        try:
            model = fasttext.train_supervised(**kwargs)
        except TypeError:  # a build without the seed argument
            kwargs.pop("seed")
            t0 = time.perf_counter()
            model = fasttext.train_supervised(**kwargs)
    except RuntimeError as e:  # "Encountered NaN." when the learning rate is too high (ova)
        print(f"fastText loss={args.loss} wordNgrams={args.wordNgrams} dim={args.dim} "
              f"epoch={args.epoch} lr={args.lr}: training failed: {e}")
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump({"implementation": "fastText", "settings": vars(args),
                           "error": str(e)}, f, indent=1)
        return 1
    train_seconds = time.perf_counter() - t0

    result = {
        "implementation": "fastText",
        "settings": {k: v for k, v in vars(args).items() if k not in ("json",)},
        "labels": len(model.get_labels()),
        "vocab": len(model.get_words()),
        "train_docs": len(train_texts),
        "train_words": train_words,
        "train_seconds": round(train_seconds, 3),
        "words_per_sec": round(train_words * args.epoch / train_seconds),
        "fasttext": getattr(fasttext, "__version__", "0.9.2"),
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
    for name, path in (("test", args.test), ("valid", args.valid)):
        if not path:
            continue
        truth, texts = read_labelled(path)
        t0 = time.perf_counter()
        ranked = rank_all(model, texts)
        result[f"{name}_predict_seconds"] = round(time.perf_counter() - t0, 3)
        result[name] = ranking_metrics(ranked, truth)

    m = result["test"]
    print(f"fastText loss={args.loss} wordNgrams={args.wordNgrams} dim={args.dim} "
          f"epoch={args.epoch} lr={args.lr} threads={args.threads}: "
          f"P@1 {m['p_at_1']:.4f}  hits@10 {m['hits_at_10']:.4f}  mean rank {m['mean_rank']:.2f}  "
          f"P@5 {m['p_at_5']:.4f}  R@5 {m['recall_at_5']:.4f}  MRR {m['mrr']:.4f}  "
          f"train {train_seconds:.1f} s ({result['words_per_sec']:,} words/s)"
          + (f"  [valid P@1 {result['valid']['p_at_1']:.4f}]" if "valid" in result else ""))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
