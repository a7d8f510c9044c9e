"""Pretrained vectors at their real size: open, query, map and audit a GoogleNews-scale word2vec binary.

    python benchmarks/big_vectors.py --sizes 1000000 3000000 --repeats 3      # the full table (needs ~8 GB disk)
    python benchmarks/big_vectors.py --sizes 200000 --repeats 1               # a quick look

For each size it writes (once, cached in --data) a word2vec binary of N x 300 in gensim's layout: random
unique keys, and vectors drawn around 2,000 random centres (real embeddings have neighbourhoods; pure noise
would make every approximate index look bad). Each measurement runs in a fresh process, so peak RSS is the
step's own (VmHWM), and prints one table with gensim 4.4 in the same run:

- open: ``read_vectors`` against gensim's ``KeyedVectors.load_word2vec_format`` (time, peak RSS)
- first and later neighbour query, and 100 queries (ours batched in one pass; gensim one by one)
- ours only: the window's drop-to-first-map (``load_paths``: read, PCA, the map's coordinates) and the bias
  audit (gender preset) on the first 1M words
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIM = 300


def make_file(path: str, n: int, dim: int = DIM, seed: int = 0, centres: int = 2000) -> None:
    """A word2vec binary as gensim writes it: 'n dim' then 'key ' + float32 bytes per vector, no newline."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centre = rng.standard_normal((centres, dim)).astype(np.float32)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(f"{n} {dim}\n".encode())
        for start in range(0, n, 100_000):
            m = min(100_000, n - start)
            rows = centre[rng.integers(0, centres, m)] + 0.6 * rng.standard_normal((m, dim)).astype(np.float32)
            keys = [f"w{start + i:07d}_{k}" for i, k in enumerate(rng.integers(0, 36 ** 4, m))]
            f.write(b"".join(k.encode() + b" " + r.tobytes() for k, r in zip(keys, rows.astype("<f4"))))
    os.replace(tmp, path)


STEPS = {
    "ours: read": """
        from embedstudio.data.vectors_io import read_vectors
        t = time.perf_counter(); emb = read_vectors(PATH); out["seconds"] = time.perf_counter() - t
        out["rows"] = len(emb)
    """,
    "gensim: read": """
        from gensim.models import KeyedVectors
        t = time.perf_counter(); kv = KeyedVectors.load_word2vec_format(PATH, binary=True)
        out["seconds"] = time.perf_counter() - t; out["rows"] = len(kv)
    """,
    "ours: queries": """
        from embedstudio.data.vectors_io import read_vectors
        emb = read_vectors(PATH); words = emb.keys[:100]
        t = time.perf_counter(); emb.most_similar(words[0], topn=10); out["first"] = time.perf_counter() - t
        t = time.perf_counter(); emb.most_similar(words[1], topn=10); out["later"] = time.perf_counter() - t
        t = time.perf_counter(); emb.most_similar_many(words, topn=10); out["batch100"] = time.perf_counter() - t
    """,
    "gensim: queries": """
        from gensim.models import KeyedVectors
        kv = KeyedVectors.load_word2vec_format(PATH, binary=True); words = kv.index_to_key[:100]
        t = time.perf_counter(); kv.most_similar(words[0], topn=10); out["first"] = time.perf_counter() - t
        t = time.perf_counter(); kv.most_similar(words[1], topn=10); out["later"] = time.perf_counter() - t
        t = time.perf_counter(); [kv.most_similar(w, topn=10) for w in words]; out["batch100"] = time.perf_counter() - t
    """,
    "ours: index (build, then queries)": """
        from embedstudio.analysis.ann import NeighbourIndex
        from embedstudio.data.vectors_io import read_vectors
        emb = read_vectors(PATH); words = emb.keys[::len(emb) // 100][:100]
        exact = emb.most_similar_many(words, topn=10)
        t = time.perf_counter(); emb.neighbour_index = NeighbourIndex.build(emb); out["seconds"] = time.perf_counter() - t
        emb.most_similar(words[0], topn=10)
        t = time.perf_counter(); found = [emb.most_similar(w, topn=10) for w in words]
        out["later"] = (time.perf_counter() - t) / len(words)
        out["recall"] = sum(len({k for k, _ in a} & {k for k, _ in b}) for a, b in zip(found, exact)) / (10 * len(words))
    """,
    "ours: drop to first map": """
        from embedstudio.jobs.loading import load_paths
        t = time.perf_counter(); items = list(load_paths([PATH])); out["seconds"] = time.perf_counter() - t
        assert items[-1][0] == "loaded", items
    """,
    "ours: audit (1M words)": """
        from embedstudio.analysis.audit import load_preset, run_audit
        from embedstudio.data.vectors_io import read_vectors
        from embedstudio.vectors import Embedding
        emb = read_vectors(PATH, limit=1_000_000)
        preset = load_preset("gender")  # its words become the first (most frequent) keys of the random file
        words = list(dict.fromkeys([w for p in preset.definitional_pairs + preset.equalize_pairs for w in p]
                                   + preset.neutral_words + [w for t in preset.weat for k in "XYAB" for w in t[k]]))
        emb = Embedding(words + emb.keys[len(words):], emb.vectors)
        t = time.perf_counter(); run_audit(emb, preset); out["seconds"] = time.perf_counter() - t
    """,
}


MAP_STEPS = {  # 10k x 100 clustered vectors, each in a fresh process
    "ours: UMAP after the start-up warm-up": """
        from embedstudio.analysis.projection import prepare_umap, UMAPConfig
        from embedstudio.jobs.projection import projection_job
        prepare_umap()
        t = time.perf_counter(); list(projection_job(X, "umap", UMAPConfig())); out["seconds"] = time.perf_counter() - t
    """,
    "ours: UMAP cold": """
        from embedstudio.analysis.projection import UMAPConfig
        from embedstudio.jobs.projection import projection_job
        t = time.perf_counter(); list(projection_job(X, "umap", UMAPConfig())); out["seconds"] = time.perf_counter() - t
    """,
    "before: umap-learn as called before (cold)": """
        import umap
        t = time.perf_counter()
        umap.UMAP(n_neighbors=15, min_dist=0.1, metric="cosine", random_state=1).fit_transform(X)
        out["seconds"] = time.perf_counter() - t
    """,
    "ours: t-SNE after the start-up warm-up": """
        from embedstudio.analysis.projection import prepare_maps, TSNEConfig
        from embedstudio.jobs.projection import projection_job
        prepare_maps()
        t = time.perf_counter(); list(projection_job(X, "tsne", TSNEConfig())); out["seconds"] = time.perf_counter() - t
    """,
    "ours: t-SNE cold": """
        from embedstudio.analysis.projection import TSNEConfig
        from embedstudio.jobs.projection import projection_job
        t = time.perf_counter(); list(projection_job(X, "tsne", TSNEConfig())); out["seconds"] = time.perf_counter() - t
    """,
    "before: scikit-learn t-SNE as called before": """
        from sklearn.manifold import TSNE
        t = time.perf_counter()
        TSNE(n_components=2, perplexity=30, metric="cosine", init="pca", random_state=1, max_iter=1000).fit_transform(X)
        out["seconds"] = time.perf_counter() - t
    """,
}
MAP_DATA = """
import numpy as np
_rng = np.random.default_rng(0)
X = (_rng.standard_normal((50, 100))[_rng.integers(0, 50, 10000)] + 0.5 * _rng.standard_normal((10000, 100))).astype(np.float32)
"""


def run_step(step: str, path: str) -> dict:
    body = textwrap.indent(textwrap.dedent({**STEPS, **MAP_STEPS}[step]), "    ")
    script = (f"import json, sys, time\nsys.path.insert(0, {ROOT!r})\nPATH = {path!r}\nout = {{}}\n"
              + (MAP_DATA if step in MAP_STEPS else "") +
              f"if True:\n{body}\n"
              "with open('/proc/self/status') as f:\n"
              "    out['rss_mb'] = next(int(l.split()[1]) for l in f if l.startswith('VmHWM:')) / 1024\n"
              "print(json.dumps(out))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[1_000_000, 3_000_000],
                    help="vocabulary sizes (none: only the maps)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data", default=os.path.join(ROOT, ".bench-data"))
    ap.add_argument("--steps", nargs="+", default=list(STEPS), choices=list(STEPS))
    ap.add_argument("--maps", action="store_true", help="also the maps of 10k x 100 (UMAP, t-SNE; ours and before)")
    ap.add_argument("--map-steps", nargs="+", default=list(MAP_STEPS), choices=list(MAP_STEPS))
    args = ap.parse_args(argv)
    os.makedirs(args.data, exist_ok=True)
    print("| vectors | step | seconds (median) | first query s | later query s | 100 queries s | recall@10 | "
          "peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        path = os.path.join(args.data, f"random-{n}x{DIM}.bin")
        if not os.path.exists(path):
            print(f"writing {path}…", file=sys.stderr, flush=True)
            make_file(path, n)
        for step in args.steps:
            if step.startswith("ours: audit") and n < 1_000_000:
                continue
            runs = [run_step(step, path) for _ in range(args.repeats)]
            errors = [r["error"] for r in runs if "error" in r]
            runs = [r for r in runs if "error" not in r]
            _row(f"{n:,} x {DIM}", step, runs, errors)
    if args.maps:
        for step in args.map_steps:
            runs = [run_step(step, "") for _ in range(args.repeats)]
            _row("10,000 x 100", step, [r for r in runs if "error" not in r], [r["error"] for r in runs if "error" in r])
    return 0


def _row(what: str, step: str, runs: list[dict], errors: list[str]) -> None:
    if not runs:
        print(f"| {what} | {step} | failed: {errors[0][:80]} | | | | | |", flush=True)
        return

    def med(key, fmt="{:.2f}"):
        values = [r[key] for r in runs if key in r]
        return fmt.format(statistics.median(values)) if values else ""

    later = med("later", "{:.4f}")
    print(f"| {what} | {step} | {med('seconds')} | {med('first')} | {later} | {med('batch100')} | "
          f"{med('recall', '{:.3f}')} | {statistics.median(r['rss_mb'] for r in runs):,.0f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
