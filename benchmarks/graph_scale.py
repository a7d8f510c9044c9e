#!/usr/bin/env python3
"""Graph embeddings at scale: the partitioned graph trainer on generated power-law graphs of 1M-10M entities.

    python benchmarks/graph_scale.py                                    # the full matrix (hours)
    python benchmarks/graph_scale.py --sizes 100000 --partitions 1 4    # a quick look (a minute)

For each size N it generates (once, cached as .npy in --data) a graph of N entities of one type, 3
relations and about 10 edges per entity, then trains it with 1, 4 and 16 partitions, each configuration
in a fresh process, and prints one table: edges/s, wall per epoch, peak RSS of the process (VmHWM, read
when training ends; the evaluation after it does not count), the bytes of entity vectors + Adagrad state
held at once, bytes written per epoch (the child's /proc/self/io: ``wchar``, bytes handed to write();
``write_bytes``, bytes it sent to the block layer) and a filtered MRR on held-out edges (ranked against
all N entities, both sides, by embedstudio.analysis.linkpred).

The graph (seeded): the entity of popularity rank k is in community k mod C (C = N/100 communities of
100). An edge picks its relation r uniformly, its head as a rank from a power law over all N entities
(P(k) ~ (k + 1)^-0.7: out-degrees from 1 to thousands), and its tail as member j of community (head's
community XOR r) (r = 0: its own; 1, 2: a partner, a map diagonal operators can learn) or, for 10% of the
edges, of any community, with j again from the power law over the community's 100 members. Ids are
scrambled (id = rank * A mod N) so popular entities are spread over the id range. Repeated edges are
dropped and topped up until there are ~10 per entity. Everything is made with numpy a chunk at a time
(edges sharded by a hash of the edge to drop repeats shard by shard): no per-entity Python objects.
--held-out edges are held out (each head and tail keeps a training edge); the filtered protocol removes
the other known answers of each query. A model that learned nothing but popularity scores an MRR near
0.001 here; one that learned the communities but not who is popular in them about ln(100)/100 = 0.05.

Training settings: dim 100, complex_diagonal, dot, ranking loss (margin 0.1), batch 1000, 100 batch + 100
uniform negatives, lr 0.1 with row-wise Adagrad, --threads threads, --epochs epochs (seed 0). Partition
files and bucketed edges go to a work folder under --data (removed after each run).

--wait-file FILE: before each step expected to run longer than a minute, wait until FILE exists (polled
every 30 s): a machine shared with other timing runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

RELATIONS = 3
EDGES_PER_ENTITY = 10
COMMUNITY = 100
ZIPF_S = 0.7
NOISE = 0.1
GEN_CHUNK = 1 << 22  # edges generated per numpy call
SHARD_EDGES = 1 << 23  # raw edges per dedup shard (64 MB of int64 keys)
SCRAMBLE = 1_000_003  # a prime: rank * SCRAMBLE mod N is a bijection unless N is a multiple of it
SETTINGS = dict(dim=100, operator="complex_diagonal", comparator="dot", loss="ranking", margin=0.1,
                batch_size=1000, batch_negatives=100, uniform_negatives=100, lr=0.1, seed=0)
BYTES_PER_ENTITY = (SETTINGS["dim"] + 1) * 4  # float32 vector + its Adagrad accumulator


# ----------------------------------------------------------------------------------------------- the graph
def _zipf(rng, size: int, n: int, s: float = ZIPF_S):
    """Integers in [0, n) with P(k) ~ (k + 1)^-s: the inverse CDF of the continuous power law on [1, n + 1)."""
    import numpy as np

    a = 1.0 - s
    x = (1.0 + rng.random(size) * ((n + 1.0) ** a - 1.0)) ** (1.0 / a)
    return np.minimum(x.astype(np.int64) - 1, n - 1)


def _scramble(n: int) -> int:
    a = SCRAMBLE
    while math.gcd(a, n) != 1:
        a += 2
    return a


def _raw_edges(n: int, count: int, seed: int, chunk: int, first_chunk: int = 0):
    """Raw generated edges as int64 keys (h * R + r) * n + t, in chunks (repeats included).

    Entity of popularity rank k is in community k mod C. A head is a rank drawn from the power law
    over all n; its tail is member j of community (head's community XOR r), or for NOISE of the edges of
    any community, j again from the power law (over the community's members): member j has rank c + C j."""
    import numpy as np

    communities = n // COMMUNITY
    a = _scramble(n)
    for k, start in enumerate(range(0, count, chunk), start=first_chunk):
        m = min(chunk, count - start)
        rng = np.random.default_rng([seed, n, k])
        r = rng.integers(0, RELATIONS, m)
        head = _zipf(rng, m, n)
        ct = np.where(rng.random(m) < NOISE, rng.integers(0, communities, m), head % communities ^ r)
        tail = ct + communities * _zipf(rng, m, COMMUNITY)
        yield (head * a % n * RELATIONS + r) * n + tail * a % n


def _decode(keys, n: int):
    import numpy as np

    head, rest = np.divmod(keys, RELATIONS * n)
    rel, tail = np.divmod(rest, n)
    return head, rel, tail


def generate(n: int, folder: str, seed: int = 0, held_out: int = 1000) -> dict:
    """Write train.npy (int32 rows h, r, t), heldout.npy, known.npy (the edges the filtered protocol needs:
    every edge sharing a held-out edge's (head, relation) or (relation, tail)) and meta.json in ``folder``."""
    import numpy as np

    if n % (4 * COMMUNITY) or n <= 0:  # whole communities, in groups of 4 (XOR with r < 4 stays in the group)
        raise SystemExit(f"--sizes: {n} is not a positive multiple of {4 * COMMUNITY} (communities of {COMMUNITY}, "
                         "in groups of 4 for the XOR map)")
    started = time.perf_counter()
    os.makedirs(folder, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="gen-", dir=folder)
    wanted = EDGES_PER_ENTITY * n
    shards = max(1, -(-int(1.2 * wanted) // SHARD_EDGES))
    paths = [os.path.join(scratch, f"shard{s}.i64") for s in range(shards)]
    raw = next_chunk = total = 0
    # Popular heads repeat edges (more of them the larger N): generate, drop repeats, top up until ~wanted.
    while total < 0.995 * wanted:
        more = int((wanted - total) * (raw / total if total else 1.05) * 1.01) + 1
        files = [open(path, "ab") for path in paths]
        for keys in _raw_edges(n, more, seed, GEN_CHUNK, first_chunk=next_chunk):
            # a multiplicative hash spreads the keys evenly over the shards; one edge always lands in one shard
            shard = ((keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(33)) % np.uint64(shards)
            order = np.argsort(shard, kind="stable")
            bounds = np.searchsorted(shard[order], np.arange(shards + 1))
            for s in range(shards):
                keys[order[bounds[s]:bounds[s + 1]]].tofile(files[s])
            next_chunk += 1
        for f in files:
            f.close()
        raw += more
        counts = []
        for path in paths:
            keys = np.unique(np.fromfile(path, dtype=np.int64))
            keys.tofile(path)
            counts.append(len(keys))
        total = sum(counts)
    degree = np.zeros(n, dtype=np.int64)
    for path in paths:
        h, _, t = _decode(np.fromfile(path, dtype=np.int64), n)
        degree += np.bincount(h, minlength=n)
        degree += np.bincount(t, minlength=n)
    first = np.concatenate([[0], np.cumsum(counts)])
    rng = np.random.default_rng([seed, n, 0xE7A1])
    picks = np.sort(rng.choice(total, size=min(held_out, total // 10), replace=False))
    picked = np.concatenate([np.fromfile(paths[s], dtype=np.int64)[
        picks[(picks >= first[s]) & (picks < first[s + 1])] - first[s]] for s in range(shards)])
    h, r, t = _decode(picked, n)
    left = degree - np.bincount(h, minlength=n) - np.bincount(t, minlength=n)
    keep = (left[h] > 0) & (left[t] > 0)  # a held-out edge whose head or tail has no training edge goes back
    picks, picked = picks[keep], picked[keep]
    del degree, left
    heldout = np.stack(_decode(picked, n), axis=1)
    train_path = os.path.join(folder, "train.npy")
    tmp = train_path + ".tmp.npy"
    train = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.int32, shape=(total - len(picks), 3))
    hr = np.unique(heldout[:, 0] * RELATIONS + heldout[:, 1])
    rt = np.unique(heldout[:, 2] * RELATIONS + heldout[:, 1])
    known = []
    row = 0
    for s in range(shards):
        keys = np.fromfile(paths[s], dtype=np.int64)
        h, r, t = _decode(keys, n)
        related = np.isin(h * RELATIONS + r, hr) | np.isin(t * RELATIONS + r, rt)
        known.append(np.stack([h[related], r[related], t[related]], axis=1))
        mine = picks[(picks >= first[s]) & (picks < first[s + 1])] - first[s]
        stay = np.ones(len(keys), dtype=bool)
        stay[mine] = False
        m = int(stay.sum())
        train[row:row + m] = np.stack([h[stay], r[stay], t[stay]], axis=1)
        row += m
    train.flush()
    del train
    os.replace(tmp, train_path)
    np.save(os.path.join(folder, "heldout.npy"), heldout)
    np.save(os.path.join(folder, "known.npy"), np.concatenate(known))
    shutil.rmtree(scratch, ignore_errors=True)
    meta = {"entities": n, "relations": RELATIONS, "train_edges": int(total - len(picks)), "held_out": int(len(picks)),
            "raw_edges": raw, "distinct_edges": int(total), "community": COMMUNITY, "zipf_s": ZIPF_S, "noise": NOISE,
            "seed": seed, "generate_s": round(time.perf_counter() - started, 1)}
    with open(os.path.join(folder, "meta.json.tmp"), "w") as f:
        json.dump(meta, f)
    os.replace(os.path.join(folder, "meta.json.tmp"), os.path.join(folder, "meta.json"))
    return meta


def graph_folder(data: str, n: int, seed: int, held_out: int) -> str:
    return os.path.join(data, f"graph-{n}-s{seed}-h{held_out}")


# -------------------------------------------------------------------------------- one run, in a child process
class _RssSampler(threading.Thread):
    """Peak VmRSS / RssAnon / RssFile of this process, sampled every 50 ms (VmHWM is the exact overall peak)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
        self.stop = threading.Event()

    @staticmethod
    def status() -> dict:
        out = {}
        with open("/proc/self/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                    out[key] = int(value.split()[0]) * 1024
        return out

    def run(self):
        while not self.stop.wait(0.05):
            now = self.status()
            for k in self.peak:
                self.peak[k] = max(self.peak[k], now.get(k, 0))


def _cpu_s() -> float:
    """CPU seconds of this process (all threads): over wall time, the cores it got on a shared machine."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _io() -> dict:
    with open("/proc/self/io") as f:
        return {k: int(v) for k, v in (line.split(":") for line in f)}


class _Vectors:
    """What the link-prediction evaluator reads of an Embedding (the vectors), without 10M key strings."""

    def __init__(self, vectors):
        self.vectors = vectors

    def __len__(self):
        return len(self.vectors)

    @property
    def dim(self):
        return int(self.vectors.shape[1])


def run_child(args) -> None:
    from embedstudio.data.graph_arrays import NpyRows, graph_from_arrays
    from embedstudio.train.graph import GraphConfig, GraphTrainer

    folder = graph_folder(args.data, args.size, args.seed, args.held_out)
    meta = json.load(open(os.path.join(folder, "meta.json")))
    n = meta["entities"]
    graph = graph_from_arrays(NpyRows(os.path.join(folder, "train.npy")), n, [f"r{r}" for r in range(RELATIONS)],
                              path=os.path.join(folder, "train.npy"))
    cfg = GraphConfig(partitions=args.partitions[0], epochs=args.epochs, threads=args.threads, **SETTINGS)
    work = tempfile.mkdtemp(prefix=f"work-{n}-{cfg.partitions}-", dir=args.data)
    sampler = _RssSampler()
    sampler.start()
    before = _RssSampler.status()
    io0 = _io()
    trainer = GraphTrainer(cfg, work_dir=work)
    cpu0 = _cpu_s()
    load0 = os.getloadavg()[0]
    started = time.perf_counter()
    epoch_end = []
    last = None
    io_setup = None
    for last in trainer.fit(graph):
        if io_setup is None:  # the first unit writes nothing: what was written is the setup's (buckets, files)
            io_setup = _io()
        per_epoch = last.total // cfg.epochs
        if last.cursor % per_epoch == 0:
            epoch_end.append(last.elapsed_s)
        if args.stop_after and last.cursor >= args.stop_after:
            break
    fit_s = time.perf_counter() - started
    cpu_s = _cpu_s() - cpu0
    io1 = _io()
    sampler.stop.set()
    sampler.join()
    after = _RssSampler.status()
    out = {"entities": n, "train_edges": meta["train_edges"], "partitions": cfg.partitions, "epochs": cfg.epochs,
           "threads": cfg.threads, "setup_s": fit_s - last.elapsed_s, "train_s": last.elapsed_s,
           "epoch_s": [b - a for a, b in zip([0.0] + epoch_end, epoch_end)],
           "edges_per_s": meta["train_edges"] * cfg.epochs / last.elapsed_s,
           "objective_s": trainer.evaluation_s,
           "peak_rss": after["VmHWM"], "rss_before": before["VmRSS"], "peak_anon": sampler.peak["RssAnon"],
           "peak_file": sampler.peak["RssFile"], "held_bytes": trainer.peak_partition_bytes,
           "wchar": io1["wchar"] - io_setup["wchar"], "write_bytes": io1["write_bytes"] - io_setup["write_bytes"],
           "setup_wchar": io_setup["wchar"] - io0["wchar"], "setup_write_bytes": io_setup["write_bytes"] - io0["write_bytes"],
           "read_bytes": io1["read_bytes"] - io0["read_bytes"], "rchar": io1["rchar"] - io0["rchar"],
           "objective": list(trainer.epoch_objective), "cpu_s": cpu_s, "cores_used": cpu_s / fit_s,
           "load_before": load0, "load_after": os.getloadavg()[0]}
    print(json.dumps(out), flush=True)  # the training figures, in case the evaluation fails
    if args.no_mrr or args.stop_after:
        trainer.close()
        shutil.rmtree(work, ignore_errors=True)
        return
    started = time.perf_counter()
    out.update(evaluate(trainer, graph, folder))
    out["eval_s"] = time.perf_counter() - started
    trainer.close()
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out), flush=True)


def evaluate(trainer, graph, folder: str) -> dict:
    """Filtered MRR of the held-out edges, both sides, against every entity (by blocks of candidates)."""
    import numpy as np

    from embedstudio.analysis.linkpred import evaluate_link_prediction
    from embedstudio.graphmodel import GraphModel

    vectors = trainer.entity_vectors() if hasattr(trainer, "entity_vectors") else trainer._all_entities()[0]
    model = GraphModel(_Vectors(vectors), graph.entity_type, list(graph.type_names), list(graph.relation_names),
                       graph.relation_types, trainer.config.operator, trainer.config.comparator,
                       trainer.arrays["lhs_params"], trainer.arrays["rhs_params"])
    heldout = np.load(os.path.join(folder, "heldout.npy"))
    known = np.load(os.path.join(folder, "known.npy"))  # every edge a held-out query's filter can need
    result = evaluate_link_prediction(model, heldout, known, protocol="filtered")
    return {"mrr": result.mrr, "hits10": result.hits(10), "hits1": result.hits(1), "mean_rank": result.mean_rank,
            "ranks": result.count}


# ----------------------------------------------------------------------------------------------- the parent
def wait_for(path: str | None, what: str) -> None:
    if not path or os.path.exists(path):
        return
    print(f"  waiting for {path} before {what} ...", flush=True)
    while not os.path.exists(path):
        time.sleep(30)


def estimate(n: int, partitions: int, edges: int) -> dict:
    """Rough needs of one configuration: memory (bytes), disk (bytes) and seconds per epoch."""
    model = n * BYTES_PER_ENTITY
    if partitions == 1:  # vectors + int64 edges, their groups, row order and the epoch's shuffled plan
        memory = model + edges * (24 + 8 + 8 + 40) + (300 << 20)
        disk = 0
    else:
        memory = 2 * model / partitions + edges * 12 / partitions ** 2 * 4 + n * 10 + (300 << 20)
        disk = model + edges * 12
    return {"memory": memory, "disk": disk, "epoch_s": edges / 2e5}


def fmt_bytes(b: float) -> str:
    return f"{b / 2**20:,.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 3_000_000, 10_000_000],
                    help="entity counts (multiples of 400; default: 1M 3M 10M)")
    ap.add_argument("--partitions", type=int, nargs="+", default=[1, 4, 16], help="partition counts (default: 1 4 16)")
    ap.add_argument("--epochs", type=int, default=1,
                    help="epochs per run (default 1: an epoch of 10M entities takes many minutes on 2 cores)")
    ap.add_argument("--threads", type=int, default=2, help="trainer threads (default 2)")
    ap.add_argument("--held-out", type=int, default=1000,
                    help="edges held out and ranked (both sides) against every entity, filtered (default 1000)")
    ap.add_argument("--repeats", type=int, default=1, help="runs per configuration (the table shows medians)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the generated graph")
    ap.add_argument("--data", default=os.path.join(ROOT, ".bench-data", "graph_scale"),
                    help="where generated graphs are cached and runs keep their partition files")
    ap.add_argument("--wait-file", default=None,
                    help="before each step longer than a minute, wait until this file exists (shared machine)")
    ap.add_argument("--max-memory-gb", type=float, default=None,
                    help="skip configurations estimated to need more (default: 80%% of available memory)")
    ap.add_argument("--json-out", default=None, help="append each run's figures to this file (JSON lines)")
    ap.add_argument("--no-mrr", action="store_true", help="skip the held-out ranking (speed and memory only)")
    ap.add_argument("--table-from", default=None, help="only print the table of runs saved by --json-out")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--stop-after", type=int, default=0, help=argparse.SUPPRESS)  # units: a memory look
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_child(args)
        return
    if args.table_from:
        with open(args.table_from) as f:
            print_table([json.loads(line) for line in f if line.strip()], [])
        return
    import psutil

    os.makedirs(args.data, exist_ok=True)
    max_memory = (args.max_memory_gb * 2**30 if args.max_memory_gb else 0.8 * psutil.virtual_memory().available)
    rows, skipped = [], []
    for n in args.sizes:
        folder = graph_folder(args.data, n, args.seed, args.held_out)
        if not os.path.exists(os.path.join(folder, "meta.json")):
            if n >= 1_000_000:
                wait_for(args.wait_file, f"generating {n:,} entities")
            print(f"generating {n:,} entities ...", flush=True)
            meta = generate(n, folder, args.seed, args.held_out)
        else:
            meta = json.load(open(os.path.join(folder, "meta.json")))
        print(f"{n:,} entities: {meta['train_edges']:,} train edges, {meta['held_out']:,} held out "
              f"(generated in {meta['generate_s']} s)", flush=True)
        epochs = args.epochs
        for partitions in args.partitions:
            need = estimate(n, partitions, meta["train_edges"])
            free_disk = shutil.disk_usage(args.data).free
            reason = None
            if need["memory"] > max_memory:
                reason = f"needs ~{need['memory'] / 2**30:.1f} GB of memory, {max_memory / 2**30:.1f} GB usable"
            elif need["disk"] > 0.8 * free_disk:
                reason = f"needs ~{need['disk'] / 2**30:.1f} GB of disk, {free_disk / 2**30:.1f} GB free"
            if reason:
                skipped.append((n, partitions, reason))
                print(f"  skip {n:,} x {partitions} partitions: {reason}", flush=True)
                continue
            for repeat in range(args.repeats):
                if need["epoch_s"] * epochs > 60:
                    wait_for(args.wait_file, f"{n:,} x {partitions} partitions")
                cmd = [sys.executable, os.path.abspath(__file__), "--child", "--size", str(n), "--partitions",
                       str(partitions), "--epochs", str(epochs), "--threads", str(args.threads), "--held-out",
                       str(args.held_out), "--seed", str(args.seed), "--data", args.data] + (
                    ["--no-mrr"] if args.no_mrr else [])
                started = time.perf_counter()
                done = subprocess.run(cmd, capture_output=True, text=True)
                if done.returncode != 0:
                    raise SystemExit(f"{n:,} x {partitions} failed ({done.returncode}):\n{done.stderr[-4000:]}")
                row = json.loads(done.stdout.strip().splitlines()[-1])
                row["process_s"] = time.perf_counter() - started
                rows.append(row)
                print("  " + json.dumps(row), flush=True)
                if args.json_out:
                    with open(args.json_out, "a") as f:
                        f.write(json.dumps(row) + "\n")
    print_table(rows, skipped)


def print_table(rows: list[dict], skipped: list) -> None:
    def med(group, key):
        values = [r[key] for r in group if key in r]
        return statistics.median(values) if values else float("nan")

    print("\n| entities | train edges | partitions | epochs | runs | edges/s | wall per epoch s | cores used | "
          "setup s | peak RSS MiB | vectors + state held MiB (/ 1 partition) | written per epoch GiB "
          "(write() / to disk) | filtered MRR | Hits@10 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    keys = sorted({(r["entities"], r["partitions"]) for r in rows})
    for n, p in keys:
        group = [r for r in rows if r["entities"] == n and r["partitions"] == p]
        one = [r for r in rows if r["entities"] == n and r["partitions"] == 1]
        held = fmt_bytes(med(group, "held_bytes"))
        if one and p > 1:
            held += f" ({med(group, 'held_bytes') / med(one, 'held_bytes'):.3f}; 2/N = {2 / p:.3f})"
        epochs = group[0]["epochs"]
        print(f"| {n:,} | {group[0]['train_edges']:,} | {p} | {epochs} | {len(group)} | "
              f"{med(group, 'edges_per_s'):,.0f} | {med(group, 'train_s') / epochs:,.1f} | "
              f"{med(group, 'cores_used'):.2f} | {med(group, 'setup_s'):,.1f} | {fmt_bytes(med(group, 'peak_rss'))} | "
              f"{held} | {med(group, 'wchar') / epochs / 2**30:.2f} / {med(group, 'write_bytes') / epochs / 2**30:.2f} | "
              f"{med(group, 'mrr'):.4f} | {med(group, 'hits10'):.4f} |")
    for n, p, reason in skipped:
        print(f"| {n:,} | | {p} | skipped: {reason} | | | | | | | | | | |")
    ranks = {r.get("ranks") for r in rows if "ranks" in r}
    if ranks:
        print(f"\nMRR and Hits@10: {', '.join(f'{k:,}' for k in sorted(ranks))} ranks (held-out edges x 2 sides), "
              "filtered, against every entity")
    for p in sorted({r["partitions"] for r in rows}):
        sizes = sorted({r["entities"] for r in rows if r["partitions"] == p})
        if len(sizes) > 1:
            speed = [med([r for r in rows if r["entities"] == n and r["partitions"] == p], "edges_per_s") for n in sizes]
            print(f"{p} partition(s): edges/s at {sizes[-1]:,} entities = {speed[-1] / speed[0]:.2f} x that at "
                  f"{sizes[0]:,}")


if __name__ == "__main__":
    main()
