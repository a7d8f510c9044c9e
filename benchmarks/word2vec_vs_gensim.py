#!/usr/bin/env python3
"""EmbedStudio's word2vec beside gensim's, same corpus, same settings, one table.

    python benchmarks/word2vec_vs_gensim.py --corpus /tmp/corpus.txt           # full run
    python benchmarks/word2vec_vs_gensim.py --corpus /tmp/corpus.txt --repeats 3 --methods sgns

The corpus is the 14.9M-token English corpus that ../shared/data/build_corpus.py builds (see the
install line in its docstring). Settings: dim 100, window 5, negative 5, sample 1e-3, min_count 5,
5 epochs; alpha 0.025 (skip-gram) and 0.05 (CBOW) given to both. Every run is its own process,
so peak RSS is per run. words/s = raw corpus tokens x epochs / training wall time (vocabulary
building is timed apart, as "prep"). Quality is measured with one evaluator for both models:
analogy accuracy on the Google set restricted to the 30k most frequent words, WordSim353 and
SimLex-999 Spearman rho (files from gensim's wheel). The machine is shared: use --repeats and
read the medians.
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

SETTINGS = dict(dim=100, window=5, negative=5, sample=1e-3, min_count=5, epochs=5)
ALPHA = {"sgns": 0.025, "cbow": 0.05}


def gensim_test_file(name: str) -> str:
    import gensim

    return str(Path(gensim.__file__).parent / "test" / "test_data" / name)


def evaluate(embedding) -> dict:
    from embedstudio.analysis.evaluate import evaluate_analogies, evaluate_similarity
    from embedstudio.resources import resource as res

    analogy = evaluate_analogies(embedding, str(res("eval", "questions-words.txt")), restrict_vocab=30000)
    ws = evaluate_similarity(embedding, gensim_test_file("wordsim353.tsv"))
    sl = evaluate_similarity(embedding, gensim_test_file("simlex999.txt"))
    return {"analogy": analogy.accuracy, "analogy_coverage": analogy.coverage,
            "wordsim": ws.spearman, "simlex": sl.spearman}


def run_ours(corpus_path: str, method: str, threads: int) -> dict:
    from embedstudio.data.corpus import read_corpus
    from embedstudio.train.word2vec import Word2VecConfig, Word2VecTrainer

    t0 = time.perf_counter()
    corpus = read_corpus(corpus_path, min_count=SETTINGS["min_count"])
    prep = time.perf_counter() - t0
    cfg = Word2VecConfig(method=method, threads=threads, alpha=ALPHA[method], seed=1, **SETTINGS)
    trainer = Word2VecTrainer(cfg)
    t0 = time.perf_counter()
    for _ in trainer.fit(corpus):
        pass
    wall = time.perf_counter() - t0
    return {"wall": wall, "prep": prep, "raw_words": corpus.vocab.total_words, "embedding": trainer.embedding()}


def run_gensim(corpus_path: str, method: str, threads: int, corpus_file: bool) -> dict:
    import numpy as np
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    from embedstudio.vectors import Embedding

    model = Word2Vec(vector_size=SETTINGS["dim"], window=SETTINGS["window"], negative=SETTINGS["negative"], hs=0,
                     sample=SETTINGS["sample"], min_count=SETTINGS["min_count"], sg=int(method == "sgns"),
                     alpha=ALPHA[method], workers=threads, epochs=SETTINGS["epochs"], seed=1)
    t0 = time.perf_counter()
    if corpus_file:
        model.build_vocab(corpus_file=corpus_path)
    else:
        sentences = LineSentence(corpus_path)
        model.build_vocab(sentences)
    prep = time.perf_counter() - t0
    t0 = time.perf_counter()
    if corpus_file:
        model.train(corpus_file=corpus_path, total_words=model.corpus_total_words, epochs=model.epochs)
    else:
        model.train(sentences, total_examples=model.corpus_count, epochs=model.epochs)
    wall = time.perf_counter() - t0
    wv = model.wv
    embedding = Embedding(list(wv.index_to_key), np.asarray(wv.vectors))
    return {"wall": wall, "prep": prep, "raw_words": model.corpus_total_words, "embedding": embedding}


def worker(args) -> None:
    if args.impl == "ours":
        r = run_ours(args.corpus, args.method, args.threads)
    else:
        r = run_gensim(args.corpus, args.method, args.threads, corpus_file=args.impl == "gensim-corpus_file")
    emb = r.pop("embedding")
    r.update(evaluate(emb))
    r["words_per_s"] = r["raw_words"] * SETTINGS["epochs"] / r["wall"]
    r["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    r["vocab"] = len(emb)
    print("RESULT " + json.dumps(r))


def launch(corpus: str, impl: str, method: str, threads: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--corpus", corpus, "--impl", impl, "--method", method,
           "--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{impl} {method} x{threads} failed:\n{out.stderr[-3000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/tmp/corpus.txt")
    ap.add_argument("--methods", nargs="+", default=["sgns", "cbow"], choices=["sgns", "cbow"])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--impls", nargs="+", default=["ours", "gensim"],
                    choices=["ours", "gensim", "gensim-corpus_file"])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--json", help="also write all runs here")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--impl", help=argparse.SUPPRESS)
    ap.add_argument("--method", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.threads = args.threads[0]
        worker(args)
        return
    if not os.path.exists(args.corpus):
        sys.exit(f"{args.corpus} not found: build it with ../shared/data/build_corpus.py -o {args.corpus}")

    runs: dict[tuple, list[dict]] = {}
    for rep in range(args.repeats):
        for method in args.methods:
            for threads in args.threads:
                for impl in args.impls:
                    r = launch(args.corpus, impl, method, threads)
                    runs.setdefault((method, threads, impl), []).append(r)
                    print(f"[{rep + 1}/{args.repeats}] {impl:>18} {method} x{threads}: "
                          f"{r['words_per_s'] / 1000:,.0f}k words/s, wall {r['wall']:.1f}s, "
                          f"analogy {100 * r['analogy']:.1f}%", file=sys.stderr, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({" ".join(map(str, k)): v for k, v in runs.items()}, indent=1))

    def med(key, rows):
        return statistics.median(r[key] for r in rows)

    print(f"\nword2vec on {args.corpus}: {SETTINGS}; medians of {args.repeats} run(s); ratio = ours / gensim")
    header = ("| method | threads | implementation | words/s | ratio | wall s | prep s | peak RSS MB | "
              "analogy % (30k) | Δ analogy | WordSim353 ρ | SimLex ρ |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for method in args.methods:
        for threads in args.threads:
            base = runs.get((method, threads, "gensim"))
            for impl in args.impls:
                rows = runs[(method, threads, impl)]
                wps = med("words_per_s", rows)
                acc = med("analogy", rows)
                ratio = f"{wps / med('words_per_s', base):.2f}x" if base else "-"
                delta = f"{100 * (acc - med('analogy', base)):+.1f}" if base else "-"
                print(f"| {method} | {threads} | {impl} | {wps / 1000:,.0f}k | {ratio} | {med('wall', rows):.1f} | "
                      f"{med('prep', rows):.1f} | {med('peak_rss_mb', rows):,.0f} | {100 * acc:.1f} | {delta} | "
                      f"{med('wordsim', rows):.3f} | {med('simlex', rows):.3f} |")


if __name__ == "__main__":
    main()
