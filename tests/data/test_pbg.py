"""export_pbg(): PyTorch-BigGraph's file layout written, and a real PBG 1.0 run whose own scores the imported
GraphModel must reproduce (the checkpoint reader's own tests: test_pbg_import.py)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from embedstudio.data.edgelist import GraphData, read_edgelist, split_edges
from embedstudio.data.pbg import DEFAULT_CONFIG, NAMES_FILE, export_pbg, pbg_type_names
from embedstudio.data.pbg_import import import_pbg
from embedstudio.graphmodel import identity_params

REPO = Path(__file__).resolve().parents[2]
PBG_TRAIN = REPO / "benchmarks" / "pbg_train.py"


# --------------------------------------------------------------------------- graphs
def make_graph(names, entity_type, type_names, relation_names, relation_types, edges, path="mem") -> GraphData:
    entity_type = np.asarray(entity_type, dtype=np.int32)
    offsets = np.searchsorted(entity_type, np.arange(len(type_names) + 1)).astype(np.int64)
    return GraphData(path=path, names=list(names), entity_type=entity_type, type_names=list(type_names),
                     type_offsets=offsets, relation_names=list(relation_names),
                     relation_types=np.asarray(relation_types, dtype=np.int32).reshape(-1, 2),
                     edges=np.asarray(edges, dtype=np.int64).reshape(-1, 3), weights=None)


def untyped_graph(n=11, n_edges=40, seed=1) -> GraphData:
    rng = np.random.default_rng(seed)
    names = [f"n{i}" for i in range(n - 2)] + ["café", "東京"]
    edges = np.stack([rng.integers(0, n, n_edges), rng.integers(0, 2, n_edges), rng.integers(0, n, n_edges)], 1)
    return make_graph(names, np.zeros(n), ["entity"], ["knows", "likes"], [[0, 0], [0, 0]], edges)


def typed_graph(seed=2) -> GraphData:
    """users 0-4, items 5-8, tags 9-11; likes: user->item, tagged: item->tag, follows: user->user."""
    rng = np.random.default_rng(seed)
    names = [f"user:u{i}" for i in range(5)] + [f"item:i{i}" for i in range(4)] + [f"tag:t{i}" for i in range(3)]
    etype = [0] * 5 + [1] * 4 + [2] * 3
    ranges = {0: (0, 5), 1: (5, 9), 2: (9, 12)}
    rel_types = [[0, 1], [1, 2], [0, 0]]
    edges = []
    for _ in range(60):
        r = int(rng.integers(0, 3))
        h = int(rng.integers(*ranges[rel_types[r][0]]))
        t = int(rng.integers(*ranges[rel_types[r][1]]))
        edges.append((h, r, t))
    return make_graph(names, etype, ["user", "item", "tag"], ["likes", "tagged", "follows"], rel_types, edges)


# --------------------------------------------------------------------------- reading an export back
def read_bucket(path):
    with h5py.File(path, "r") as hf:
        assert int(hf.attrs["format_version"]) == 1
        out = {}
        for name in ("lhs", "rhs", "rel"):
            ds = hf[name]
            assert ds.dtype == np.int32 and ds.ndim == 1 and ds.chunks is None, (name, ds.dtype, ds.chunks)
            out[name] = ds[...]
    assert len(out["lhs"]) == len(out["rhs"]) == len(out["rel"])
    return out


def exported_edges(folder: Path, graph: GraphData, parts: int) -> list[tuple[int, int, int]]:
    """Every bucket's edges mapped back to graph ids through the entity_names files only."""
    cfg = json.loads((folder / "config.json").read_text())
    index = {name: i for i, name in enumerate(graph.names)}
    names = {}
    for t, e in cfg["entities"].items():
        for p in range(e["num_partitions"]):
            names[t, p] = json.loads((folder / f"entity_names_{t}_{p}.json").read_text())
            count = int((folder / f"entity_count_{t}_{p}.txt").read_text())
            assert (folder / f"entity_count_{t}_{p}.txt").read_text() == f"{count}\n"
            assert count == len(names[t, p])
    rels = cfg["relations"]
    out = []
    for lp in range(parts):
        for rp in range(parts):
            b = read_bucket(folder / "edges" / f"edges_{lp}_{rp}.h5")
            for lo, ro, r in zip(b["lhs"].tolist(), b["rhs"].tolist(), b["rel"].tolist()):
                spec = rels[0] if cfg["dynamic_relations"] else rels[r]
                out.append((index[names[spec["lhs"], lp][lo]], r, index[names[spec["rhs"], rp][ro]]))
    assert not (folder / "edges" / f"edges_{parts}_0.h5").exists()
    return out


def load_config_py(path: Path) -> dict:
    scope: dict = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), scope)
    return scope["get_torchbiggraph_config"]()


# --------------------------------------------------------------------------- export
@pytest.mark.parametrize("parts", [1, 2, 3])
def test_export_untyped_dynamic(tmp_path, parts):
    g = untyped_graph()
    cfg_path = export_pbg(g, tmp_path / "pbg", partitions=parts, seed=5)
    folder = tmp_path / "pbg"
    assert cfg_path == str(folder / "config.json")
    cfg = json.loads((folder / "config.json").read_text())
    assert load_config_py(folder / "config.py") == cfg
    assert cfg["entity_path"] == str(folder)
    assert cfg["edge_paths"] == [str(folder / "edges")]
    assert cfg["checkpoint_path"] == str(folder / "checkpoints")
    assert cfg["entities"] == {"entity": {"num_partitions": parts}}
    assert cfg["dynamic_relations"] is True
    assert cfg["relations"] == [{"name": "all_edges", "lhs": "entity", "rhs": "entity", "operator": "complex_diagonal"}]
    assert "operator" not in cfg  # PBG's ConfigSchema rejects unknown keys
    for key in ("dimension", "comparator", "loss_fn", "margin", "lr", "num_epochs", "batch_size", "num_batch_negs",
                "num_uniform_negs", "workers", "hogwild_delay"):
        assert cfg[key] == DEFAULT_CONFIG[key], key
    assert (cfg["dimension"], cfg["comparator"], cfg["hogwild_delay"], cfg["workers"]) == (100, "dot", 0, 2)
    assert (folder / "dynamic_rel_count.txt").read_text() == "2\n"
    assert json.loads((folder / "dynamic_rel_names.json").read_text()) == ["knows", "likes"]

    # partitions: PBG's ceil(p*N/P) boundaries over a permutation of the ids
    n = len(g.names)
    all_names = []
    for p in range(parts):
        part = json.loads((folder / f"entity_names_entity_{p}.json").read_text())
        assert len(part) == -(-(p + 1) * n // parts) - -(-p * n // parts)
        all_names += part
    assert sorted(all_names) == sorted(g.names)
    assert (all_names == g.names) == (parts == 1)  # one partition keeps the order; more are shuffled

    got = exported_edges(folder, g, parts)
    assert sorted(got) == sorted(map(tuple, g.edges.tolist()))
    if parts == 1:
        assert got == list(map(tuple, g.edges.tolist()))  # input order within a bucket


def test_export_empty_buckets_and_seed(tmp_path):
    g = make_graph(["a", "b", "c", "d"], [0] * 4, ["entity"], ["link"], [[0, 0]], [[0, 0, 1]])
    export_pbg(g, tmp_path / "x", partitions=2, seed=1)
    sizes = [len(read_bucket(tmp_path / "x" / "edges" / f"edges_{lp}_{rp}.h5")["lhs"])
             for lp in range(2) for rp in range(2)]
    assert sorted(sizes) == [0, 0, 0, 1]
    with h5py.File(tmp_path / "x" / "edges" / "edges_0_0.h5", "r") as hf:
        assert all(hf[k].shape in ((0,), (1,)) for k in ("lhs", "rhs", "rel"))
    # the same seed gives the same files, another seed another permutation
    big = untyped_graph(n=60, n_edges=10)
    export_pbg(big, tmp_path / "s1", partitions=2, seed=3)
    export_pbg(big, tmp_path / "s2", partitions=2, seed=3)
    export_pbg(big, tmp_path / "s3", partitions=2, seed=4)
    name = "entity_names_entity_0.json"
    assert (tmp_path / "s1" / name).read_text() == (tmp_path / "s2" / name).read_text()
    assert (tmp_path / "s1" / name).read_text() != (tmp_path / "s3" / name).read_text()
    assert not [f for f in os.listdir(tmp_path / "s1") if f.endswith(".tmp")]
    assert not [f for f in os.listdir(tmp_path / "s1" / "edges") if f.endswith(".tmp")]


@pytest.mark.parametrize("parts", [1, 2])
def test_export_typed_static(tmp_path, parts):
    g = typed_graph()
    export_pbg(g, tmp_path, partitions=parts, config={"operator": "diagonal", "dimension": 8, "lr": 0.5})
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert load_config_py(tmp_path / "config.py") == cfg
    assert cfg["dynamic_relations"] is False
    assert cfg["entities"] == {t: {"num_partitions": parts} for t in ("user", "item", "tag")}
    assert cfg["relations"] == [
        {"name": "likes", "lhs": "user", "rhs": "item", "operator": "diagonal"},
        {"name": "tagged", "lhs": "item", "rhs": "tag", "operator": "diagonal"},
        {"name": "follows", "lhs": "user", "rhs": "user", "operator": "diagonal"},
    ]
    assert (cfg["dimension"], cfg["lr"]) == (8, 0.5)
    assert not (tmp_path / "dynamic_rel_count.txt").exists()
    for t, members in (("user", 5), ("item", 4), ("tag", 3)):
        got = sum(len(json.loads((tmp_path / f"entity_names_{t}_{p}.json").read_text())) for p in range(parts))
        assert got == members
    assert sorted(exported_edges(tmp_path, g, parts)) == sorted(map(tuple, g.edges.tolist()))


def test_export_subset_unused_type_and_forced_static(tmp_path):
    g = typed_graph()
    g.type_names.append("orphan")  # a type no relation uses: one partition, so PBG checkpoints it
    g.names.append("orphan:o1")
    g.entity_type = np.append(g.entity_type, np.int32(3))
    g.type_offsets = np.append(g.type_offsets, 13)
    train = g.edges[:25]
    export_pbg(g, tmp_path, edges=train, partitions=2)
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["entities"]["orphan"] == {"num_partitions": 1}
    assert sorted(exported_edges(tmp_path, g, 2)) == sorted(map(tuple, train.tolist()))
    # an untyped graph exported with static relations
    u = untyped_graph()
    export_pbg(u, tmp_path / "static", dynamic=False)
    cfg = json.loads((tmp_path / "static" / "config.json").read_text())
    assert not cfg["dynamic_relations"] and [r["name"] for r in cfg["relations"]] == ["knows", "likes"]
    assert sorted(exported_edges(tmp_path / "static", u, 1)) == sorted(map(tuple, u.edges.tolist()))


def test_export_from_an_edge_file(tmp_path):
    src = tmp_path / "g.tsv"
    src.write_text("user:ann\tlikes\titem:book\nuser:bob\tlikes\titem:pen\nitem:pen\tmadeby\tmaker:acme\n"
                   "user:ann\tlikes\titem:pen\n")
    g = read_edgelist(src)
    split = split_edges(g, valid=0.0, test=0.25, seed=0)
    export_pbg(g, tmp_path / "pbg", edges=split.train)
    cfg = json.loads((tmp_path / "pbg" / "config.json").read_text())
    assert set(cfg["entities"]) == set(g.type_names) and not cfg["dynamic_relations"]
    assert sorted(exported_edges(tmp_path / "pbg", g, 1)) == sorted(map(tuple, split.train.tolist()))


def test_type_names_for_files(tmp_path):
    assert pbg_type_names(["user", "a b", "x/y", "type1", "ok-2_x", "", "é"]) == \
        ["user", "type1", "type2", "type1_1", "ok-2_x", "type5", "type6"]
    g = make_graph(["p", "q", "r"], [0, 0, 1], ["a b", "c/d"], ["to"], [[0, 1]], [[0, 0, 2], [1, 0, 2]])
    export_pbg(g, tmp_path)
    assert (tmp_path / "entity_names_type0_0.json").exists() and (tmp_path / "entity_names_type1_0.json").exists()
    mapping = json.loads((tmp_path / NAMES_FILE).read_text())
    assert mapping["type_names"] == ["a b", "c/d"] and mapping["pbg_type_names"] == ["type0", "type1"]


def test_export_rejects_bad_arguments(tmp_path):
    g = typed_graph()
    with pytest.raises(ValueError, match="joins types"):
        export_pbg(g, tmp_path, edges=np.array([[0, 1, 6]]))  # tagged is item -> tag
    with pytest.raises(ValueError, match="same"):
        export_pbg(g, tmp_path, dynamic=True)
    with pytest.raises(ValueError, match="partitions"):
        export_pbg(g, tmp_path, partitions=0)
    with pytest.raises(ValueError, match="relation ids"):
        export_pbg(g, tmp_path, edges=np.array([[0, 7, 1]]))
    with pytest.raises(ValueError, match="even"):
        export_pbg(g, tmp_path, config={"dimension": 7})
    with pytest.raises(ValueError, match="operator"):
        export_pbg(g, tmp_path, config={"operator": "rotate"})


# --------------------------------------------------------------------------- a real PBG run
def pbg_python() -> str | None:
    env = os.environ.get("EMBEDSTUDIO_PBG_PYTHON")
    if env:
        return env if os.path.exists(env) else None
    for default in (os.path.join(os.path.dirname(__file__), "..", "..", ".pbg-venv", "bin", "python"),
                    "/work/pbgvenv/bin/python"):
        if os.path.exists(default):
            return default
    return None


_PBG_REASON = ("PyTorch-BigGraph is not installed: run scripts/setup_pbg.sh (it makes .pbg-venv), or set "
               "EMBEDSTUDIO_PBG_PYTHON to a Python with torch, torchbiggraph and h5py")
needs_pbg = pytest.mark.skipif(pbg_python() is None, reason=_PBG_REASON)


def planted_graph(typed: bool, n_edges=3000, seed=0) -> GraphData:
    """200 entities in 5 clusters; relation r sends cluster c to cluster c + r + 1 (mod 5)."""
    rng = np.random.default_rng(seed)
    if typed:
        sizes, type_names = [80, 80, 40], ["user", "item", "tag"]
        rel_types = [[0, 1], [1, 2], [0, 0]]
        rel_names = ["likes", "tagged", "follows"]
    else:
        sizes, type_names = [200], ["entity"]
        rel_types = [[0, 0]] * 3
        rel_names = ["r0", "r1", "r2"]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    names = [f"{type_names[k]}:{i}" for k in range(len(sizes)) for i in range(sizes[k])]
    etype = np.repeat(np.arange(len(sizes)), sizes)
    rows = set()
    while len(rows) < n_edges:
        r = int(rng.integers(0, 3))
        ht, tt = rel_types[r]
        h = int(rng.integers(0, sizes[ht]))
        cluster = (h % 5 + r + 1) % 5
        t = int(rng.integers(0, sizes[tt] // 5)) * 5 + cluster
        rows.add((int(starts[ht] + h), r, int(starts[tt] + t)))
    return make_graph(names, etype, type_names, rel_names, rel_types, sorted(rows))


SCENARIOS = {
    # name: (typed, partitions, operator, comparator)
    "dynamic-complex-dot-P1": (False, 1, "complex_diagonal", "dot"),
    "dynamic-translation-cos-P2": (False, 2, "translation", "cos"),
    "static-linear-dot-typed": (True, 1, "linear", "dot"),
}


def _run(cmd, env):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    return proc, time.perf_counter()


def _finish(proc_t0, what, timeout=120):
    proc, t0 = proc_t0
    out, err = proc.communicate(timeout=timeout)
    wall = time.perf_counter() - t0
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{err[-4000:]}"
    return json.loads(out.strip().splitlines()[-1]), wall


def start_pbg_scoring(py, config, graph, sample, folder: Path, env):
    """PBG's own scores for ``sample`` (rows of graph ids) from the checkpoint ``config`` names, in the PBG venv:
    (process, start time) for :func:`_finish`, and the path the scores go to."""
    edges_file = folder / "score_edges.json"
    edges_file.write_text(json.dumps({"edges": [[graph.names[h], int(r), graph.names[t]] for h, r, t in sample]}))
    out = folder / "scores.json"
    return _run([py, str(PBG_TRAIN), "--score", str(config), "--edges", str(edges_file), "--out", str(out)], env), out


def score_differences(model, graph, sample, scores) -> tuple[dict, float]:
    """Largest |ours - PBG's| over ``sample``: the positives on each side and every candidate of the partition;
    and the error of the other reading of the operator's side (meaningful for untyped graphs only)."""
    index = {n: i for i, n in enumerate(graph.names)}
    diffs = {"tail_pos": 0.0, "head_pos": 0.0, "tail_all": 0.0, "head_all": 0.0}
    swapped = 0.0
    for (h, r, t), e in zip(sample, scores["edges"]):
        assert (e["head"], e["rel"], e["tail"]) == (graph.names[h], r, graph.names[t])
        tail_side, head_side = model.edge_scores([[h, r, t]])
        # PBG's rhs_pos is the positive scored against corrupted tails, lhs_pos against corrupted heads
        diffs["tail_pos"] = max(diffs["tail_pos"], abs(tail_side[0] - e["rhs_pos"]))
        diffs["head_pos"] = max(diffs["head_pos"], abs(head_side[0] - e["lhs_pos"]))
        for side, key, cands in (("tail", "rhs_neg", e["rhs_candidates"]), ("head", "lhs_neg", e["lhs_candidates"])):
            cand = np.array([index[c] for c in scores["candidates"][cands]])
            ours = (model.tail_scores([h], r, cand) if side == "tail" else model.head_scores([t], r, cand))[0]
            pbg = np.array(e[key])
            positive = cand == (t if side == "tail" else h)
            assert (pbg[positive] < -1e8).all()  # PBG masks the positive itself
            pbg[positive] = e["rhs_pos" if side == "tail" else "lhs_pos"]
            diffs[f"{side}_all"] = max(diffs[f"{side}_all"], float(np.abs(ours - pbg).max()))
        # the other reading (operator on the candidate side: tail score = cmp(e_h, rhs_op(e_t))) is wrong
        swapped = max(swapped, abs(head_side[0] - e["rhs_pos"]))
    return diffs, swapped


@pytest.fixture(scope="module")
def pbg_runs(tmp_path_factory):
    """Export the planted graphs, train each with PBG (all at once), then score samples with PBG."""
    py = pbg_python()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    runs, procs = {}, {}
    t_all = time.perf_counter()
    try:
        for name, (typed, parts, operator, comparator) in SCENARIOS.items():
            folder = tmp_path_factory.mktemp(name)
            g = planted_graph(typed)
            cfg = export_pbg(g, folder, partitions=parts, seed=1, config={
                "dimension": 16, "num_epochs": 2, "operator": operator, "comparator": comparator, "workers": 1,
                "init_scale": 0.1, "lr": 0.1, "batch_size": 500, "num_batch_negs": 50, "num_uniform_negs": 50})
            runs[name] = {"graph": g, "folder": folder, "config": cfg}
            procs[name] = _run([py, str(PBG_TRAIN), cfg], env)
        for name in SCENARIOS:
            runs[name]["train"], runs[name]["train_wall"] = _finish(procs[name], f"PBG training {name}")
        rng = np.random.default_rng(9)
        for name, run in runs.items():
            g = run["graph"]
            run["sample"] = g.edges[rng.choice(len(g.edges), 40, replace=False)]
            procs[name], run["scores_path"] = start_pbg_scoring(py, run["config"], g, run["sample"], run["folder"], env)
        for name, run in runs.items():
            _, run["score_wall"] = _finish(procs[name], f"PBG scoring {name}")
            run["scores"] = json.loads(run["scores_path"].read_text())
    finally:
        for proc, _ in procs.values():  # after a failure, stop the runs this fixture started
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    runs["_wall"] = time.perf_counter() - t_all
    return runs


@needs_pbg
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_pbg_interop_scores_match(pbg_runs, name):
    run = pbg_runs[name]
    typed, parts, operator, comparator = SCENARIOS[name]
    g = run["graph"]
    assert run["train"]["version"] == 2 and run["train"]["edges"] == len(g.edges)
    m = import_pbg(run["folder"])
    assert m.embedding.keys == g.names and m.operator == operator and m.comparator == comparator
    assert m.relation_mode == ("static" if typed else "dynamic")
    np.testing.assert_array_equal(m.relation_types, g.relation_types)
    diffs, swapped = score_differences(m, g, run["sample"], run["scores"])
    print(f"\n{name}: max |ours - PBG| {diffs}; swapped-sides error {swapped:.3g}; "
          f"train {run['train_wall']:.1f} s (PBG {run['train']['wall_s']} s, {run['train']['edges_per_s']} edges/s), "
          f"score {run['score_wall']:.1f} s, all runs {pbg_runs['_wall']:.1f} s")
    assert max(diffs.values()) < 1e-4, diffs
    if not typed:
        assert swapped > 100 * max(diffs.values()) and swapped > 1e-3, (swapped, diffs)
    # training moved the operators away from identity (else the test would prove little)
    assert np.abs(m.rhs_params - identity_params(operator, m.n_relations, m.dim)).max() > 0.01
    if not typed:
        assert np.abs(m.lhs_params - m.rhs_params).max() > 0.01


def test_pbg_settings_carry_a_graph_config_and_name_what_pbg_lacks():
    from embedstudio.data.pbg import DEFAULT_CONFIG, pbg_settings
    from embedstudio.train.graph import GraphConfig

    settings, left_out = pbg_settings(GraphConfig(threads=2))
    # our defaults are the benchmark's settings, which are PBG's DEFAULT_CONFIG here
    assert {k: settings[k] for k in settings if k in DEFAULT_CONFIG} == \
        {k: DEFAULT_CONFIG[k] for k in settings if k in DEFAULT_CONFIG}
    assert left_out == [] and "relation_lr" not in settings
    settings, left_out = pbg_settings(GraphConfig(dim=8, operator="translation", comparator="cos", loss="softmax",
                                                  epochs=3, relation_lr=0.01, optimizer="sgd", threads=1))
    assert (settings["dimension"], settings["operator"], settings["comparator"], settings["loss_fn"],
            settings["num_epochs"], settings["relation_lr"], settings["workers"]) == \
        (8, "translation", "cos", "softmax", 3, 0.01, 1)
    assert left_out == ["optimizer sgd (PBG always uses Adagrad)"]
