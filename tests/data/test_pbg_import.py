"""import_pbg(): PyTorch-BigGraph checkpoints read back (every operator and comparator, static and dynamic
relations, moved folders, versions) and bad checkpoints refused with a message naming what is wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from embedstudio.data.errors import DataFormatError
from embedstudio.data.pbg import NAMES_FILE, export_pbg
from embedstudio.data.pbg_import import import_pbg
from embedstudio.graphmodel import GraphModel
from tests.data.test_pbg import make_graph, typed_graph, untyped_graph


# --------------------------------------------------------------------------- synthetic checkpoints
def np_operator(op: str, p: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Reference operators written independently of graphmodel.py (complex numbers for complex_diagonal)."""
    x = x.astype(np.float64)
    d = x.shape[-1]
    if op == "none":
        return x
    if op == "diagonal":
        return p * x
    if op == "translation":
        return x + p
    if op == "linear":
        return np.einsum("...ij,...j->...i", p.reshape(p.shape[:-1] + (d, d)).astype(np.float64), x)
    z = (x[..., : d // 2] + 1j * x[..., d // 2:]) * (p[..., : d // 2] + 1j * p[..., d // 2:])
    return np.concatenate([z.real, z.imag], axis=-1)


def np_prepare(cmp: str, x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True) if cmp == "cos" else x


def random_params(rng, op, dim, lead=()):
    """GraphModel-layout parameters ([real | imag] for complex_diagonal) and PBG's datasets for them."""
    size = {"none": 0, "linear": dim * dim}.get(op, dim)
    flat = rng.standard_normal(lead + (size,)).astype(np.float32)
    dyn = bool(lead)
    if op == "none":
        return flat, {}
    if op == "complex_diagonal":
        return flat, {"real": flat[..., : dim // 2], "imag": flat[..., dim // 2:]}
    if op == "linear":
        return flat, {"linear_transformations" if dyn else "linear_transformation": flat.reshape(lead + (dim, dim))}
    return flat, {(op + "s") if dyn else op: flat}


def write_h5(path, datasets: dict, attrs: dict | None = None, fmt=1):
    with h5py.File(path, "w") as hf:
        if fmt is not None:
            hf.attrs["format_version"] = fmt
        hf.attrs["config/json"] = "{}"
        for k, v in (attrs or {}).items():
            hf.attrs[k] = v
        for name, (arr, key) in datasets.items():
            ds = hf.create_dataset(name, data=arr)
            if key is not None:
                ds.attrs["state_dict_key"] = key
        # PBG's optimizer state is a torch.save pickle: the importer must never look at it
        hf.create_dataset("optimizer/state_dict", data=np.frombuffer(b"\x80\x04not a pickle", dtype="V1"))


def fake_checkpoint(folder: Path, rng, *, dim=6, operator="complex_diagonal", comparator="dot", version=3,
                    ops=None, extra_config=None, with_version_file=True):
    """Write a checkpoint in PBG's layout for an export_pbg() folder; returns the vectors by graph id and
    the parameters in GraphModel layout (lhs, rhs), keyed like the checkpoint."""
    cfg = json.loads((folder / "config.json").read_text())
    mapping = json.loads((folder / NAMES_FILE).read_text())
    cfg.update(dimension=dim, comparator=comparator, init_scale=0.001, max_norm=None, global_emb=False, bias=False)
    cfg.update(extra_config or {})
    ck = Path(cfg["checkpoint_path"])
    ck.mkdir(parents=True, exist_ok=True)
    n = len(mapping["names"])
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    for t, parts in mapping["ids"].items():
        for p, ids in enumerate(parts):
            write_h5(ck / f"embeddings_{t}_{p}.v{version}.h5", {"embeddings": (vectors[ids], None)})
    datasets = {}
    if cfg["dynamic_relations"]:
        cfg["relations"][0]["operator"] = operator
        n_rel = len(mapping["relation_names"])
        lhs, lhs_ds = random_params(rng, operator, dim, (n_rel,))
        rhs, rhs_ds = random_params(rng, operator, dim, (n_rel,))
        for side, dss in (("lhs", lhs_ds), ("rhs", rhs_ds)):
            for name, arr in dss.items():
                datasets[f"model/relations/0/operator/{side}/{name}"] = (arr, f"{side}_operators.0.{name}")
        params = (lhs, rhs)
    else:
        ops = ops or [operator] * len(cfg["relations"])
        rhs = []
        for i, (rel, op) in enumerate(zip(cfg["relations"], ops)):
            rel["operator"] = op
            flat, dss = random_params(rng, op, dim)
            rhs.append((op, flat))
            for name, arr in dss.items():
                datasets[f"model/relations/{i}/operator/rhs/{name}"] = (arr, f"rhs_operators.{i}.{name}")
        params = (None, rhs)
    if cfg.get("global_emb"):
        for t in cfg["entities"]:
            g = rng.standard_normal(dim).astype(np.float32)
            datasets[f"model/entities/{t}/global_embedding"] = (g, f"global_embs.emb_{t}")
    write_h5(ck / f"model.v{version}.h5", datasets)
    (ck / "config.json").write_text(json.dumps(cfg, indent=4))
    if with_version_file:
        (ck / "checkpoint_version.txt").write_text(f"{version}\n")
    return ck, vectors, params


@pytest.mark.parametrize("comparator", ["dot", "cos"])
@pytest.mark.parametrize("operator", ["none", "diagonal", "translation", "complex_diagonal", "linear"])
def test_import_dynamic(tmp_path, operator, comparator):
    g = untyped_graph()
    export_pbg(g, tmp_path, partitions=2)
    rng = np.random.default_rng(0)
    ck, vec, (lhs, rhs) = fake_checkpoint(tmp_path, rng, operator=operator, comparator=comparator)
    m = import_pbg(ck)
    assert isinstance(m, GraphModel) and m.relation_mode == "dynamic"
    assert m.embedding.keys == g.names  # the exported graph's ids
    assert m.embedding.metadata["type"] == ["entity"] * len(g.names)
    assert m.relation_names == ["knows", "likes"] and m.type_names == ["entity"]
    assert (m.operator, m.comparator) == (operator, comparator)
    np.testing.assert_array_equal(m.embedding.vectors, vec)
    h, r, t = g.edges.T
    want_tail = np.einsum("nd,nd->n", np_prepare(comparator, np_operator(operator, lhs[r], vec[h])),
                          np_prepare(comparator, vec[t].astype(np.float64)))
    want_head = np.einsum("nd,nd->n", np_prepare(comparator, vec[h].astype(np.float64)),
                          np_prepare(comparator, np_operator(operator, rhs[r], vec[t])))
    tail_side, head_side = m.edge_scores(g.edges)
    np.testing.assert_allclose(tail_side, want_tail, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(head_side, want_head, rtol=1e-5, atol=1e-5)
    all_tails = np_prepare(comparator, np_operator(operator, lhs[r[:5]], vec[h[:5]])) @ \
        np_prepare(comparator, vec.astype(np.float64)).T
    np.testing.assert_allclose(m.tail_scores(h[:5], r[:5]), all_tails, rtol=1e-5, atol=1e-5)
    # the export folder itself leads to its checkpoint
    np.testing.assert_array_equal(import_pbg(tmp_path).embedding.vectors, vec)


@pytest.mark.parametrize("operator", ["none", "diagonal", "translation", "complex_diagonal", "linear"])
def test_import_static_typed(tmp_path, operator):
    g = typed_graph()
    export_pbg(g, tmp_path, partitions=2)
    ck, vec, (_, rhs) = fake_checkpoint(tmp_path, np.random.default_rng(1), operator=operator, comparator="cos")
    m = import_pbg(tmp_path)
    assert m.relation_mode == "static" and m.operator == operator
    assert m.embedding.keys == g.names
    assert m.embedding.metadata["type"] == [g.type_names[k] for k in g.entity_type]
    np.testing.assert_array_equal(m.entity_type, g.entity_type)
    np.testing.assert_array_equal(m.relation_types, g.relation_types)
    h, r, t = g.edges.T
    want = np.array([np_prepare("cos", vec[hi].astype(np.float64))
                     @ np_prepare("cos", np_operator(operator, rhs[ri][1], vec[ti])) for hi, ri, ti in zip(h, r, t)])
    tail_side, head_side = m.edge_scores(g.edges)
    np.testing.assert_allclose(tail_side, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(head_side, want, rtol=1e-5, atol=1e-5)
    items = np.flatnonzero(g.entity_type == 1)
    got = m.tail_scores([0], 0, items)[0]
    want = [np_prepare("cos", vec[0].astype(np.float64)) @ np_prepare("cos", np_operator(operator, rhs[0][1], vec[i]))
            for i in items]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ops, common", [(["none", "diagonal", "none"], "diagonal"),
                                         (["diagonal", "complex_diagonal", "linear"], "linear"),
                                         (["none", "complex_diagonal", "diagonal"], "linear")])
def test_import_static_mixed_operators(tmp_path, ops, common):
    g = typed_graph()
    export_pbg(g, tmp_path)
    _, vec, (_, rhs) = fake_checkpoint(tmp_path, np.random.default_rng(2), ops=ops, dim=8)
    m = import_pbg(tmp_path)
    assert m.operator == common
    h, r, t = g.edges.T
    want = np.array([vec[hi] @ np_operator(rhs[ri][0], rhs[ri][1], vec[ti]) for hi, ri, ti in zip(h, r, t)])
    np.testing.assert_allclose(m.edge_scores(g.edges)[0], want, rtol=1e-5, atol=1e-5)


def test_import_static_translation_mix_is_an_error(tmp_path):
    export_pbg(typed_graph(), tmp_path)
    ck, *_ = fake_checkpoint(tmp_path, np.random.default_rng(2), ops=["translation", "diagonal", "none"])
    with pytest.raises(DataFormatError, match="cannot express"):
        import_pbg(ck)


def test_import_folds_global_emb_and_max_norm(tmp_path):
    g = typed_graph()
    export_pbg(g, tmp_path)
    ck, vec, (_, rhs) = fake_checkpoint(tmp_path, np.random.default_rng(3), operator="diagonal",
                                        extra_config={"global_emb": True, "max_norm": 1.5})
    with h5py.File(ck / "model.v3.h5", "r") as hf:
        glob = {t: hf[f"model/entities/{t}/global_embedding"][...] for t in ("user", "item", "tag")}
    norms = np.linalg.norm(vec, axis=1, keepdims=True)
    looked_up = np.where(norms > 1.5, vec * (1.5 / (norms + 1e-7)), vec)
    want = looked_up + np.stack([glob[g.type_names[k]] for k in g.entity_type])
    m = import_pbg(ck)
    np.testing.assert_allclose(m.embedding.vectors, want, rtol=1e-6, atol=1e-6)


def test_import_without_names_json(tmp_path):
    """A folder made by PBG's own importer has no names.json: entities come by type, partition, offset."""
    g = typed_graph()
    export_pbg(g, tmp_path, partitions=2)
    ck, vec, _ = fake_checkpoint(tmp_path, np.random.default_rng(4), operator="diagonal")
    (tmp_path / NAMES_FILE).unlink()
    m = import_pbg(ck)
    expect = []
    for t in ("user", "item", "tag"):
        for p in range(2):
            expect += json.loads((tmp_path / f"entity_names_{t}_{p}.json").read_text())
    assert m.embedding.keys == expect
    assert m.type_names == ["user", "item", "tag"] and m.relation_names == ["likes", "tagged", "follows"]
    for name in g.names:
        np.testing.assert_array_equal(m.embedding[name], vec[g.names.index(name)])
    assert m.embedding.metadata["type"] == [k.split(":")[0] for k in expect]


def test_import_moved_folder_and_entity_path(tmp_path):
    g = untyped_graph()
    export_pbg(g, tmp_path / "a")
    ck, vec, _ = fake_checkpoint(tmp_path / "a", np.random.default_rng(5))
    shutil.move(tmp_path / "a", tmp_path / "b")  # the config's absolute paths now point nowhere
    np.testing.assert_array_equal(import_pbg(tmp_path / "b" / "checkpoints").embedding.vectors, vec)
    np.testing.assert_array_equal(import_pbg(tmp_path / "b").embedding.vectors, vec)
    # the checkpoint alone, away from its entity files
    shutil.move(tmp_path / "b" / "checkpoints", tmp_path / "ck")
    with pytest.raises(DataFormatError) as info:
        import_pbg(tmp_path / "ck")
    msg = str(info.value)
    assert "not reachable" in msg and str(tmp_path / "a") in msg and str(tmp_path) in msg and "entity_path=" in msg
    m = import_pbg(tmp_path / "ck", entity_path=tmp_path / "b")
    np.testing.assert_array_equal(m.embedding.vectors, vec)
    with pytest.raises(DataFormatError, match="not reachable"):
        import_pbg(tmp_path / "ck", entity_path=tmp_path / "nowhere")


def test_import_version_choice(tmp_path):
    g = untyped_graph()
    export_pbg(g, tmp_path)
    _, v2, _ = fake_checkpoint(tmp_path, np.random.default_rng(6), version=2)
    _, v3, _ = fake_checkpoint(tmp_path, np.random.default_rng(7), version=3)
    np.testing.assert_array_equal(import_pbg(tmp_path).embedding.vectors, v3)
    np.testing.assert_array_equal(import_pbg(tmp_path, version=2).embedding.vectors, v2)
    (tmp_path / "checkpoints" / "checkpoint_version.txt").unlink()
    np.testing.assert_array_equal(import_pbg(tmp_path / "checkpoints", version=2).embedding.vectors, v2)


# --------------------------------------------------------------------------- bad checkpoints
@pytest.fixture
def good(tmp_path):
    """An untyped export (2 partitions) with a complex_diagonal checkpoint, version 3."""
    export_pbg(untyped_graph(), tmp_path, partitions=2)
    ck, *_ = fake_checkpoint(tmp_path, np.random.default_rng(8))
    import_pbg(ck)  # sound before each test breaks it
    return ck


def expect_bad(ck, path, *words, line=None, **kwargs) -> DataFormatError:
    with pytest.raises(DataFormatError) as info:
        import_pbg(ck, **kwargs)
    err = info.value
    assert err.path == str(path) and err.line == line, (str(err), err.line)
    for w in words:
        assert w in str(err), str(err)
    return err


def test_bad_version_file(good):
    """checkpoint_version.txt is named, with what was expected, and line 1 when its content is wrong."""
    vf = good / "checkpoint_version.txt"
    vf.unlink()
    expect_bad(good, vf, "no checkpoint_version.txt", "PyTorch-BigGraph's checkpoint folder", "version 3", "version=")
    vf.write_text("")
    expect_bad(good, vf, "empty", "checkpoint version number", line=1)
    vf.write_text("\n")
    expect_bad(good, vf, "empty", line=1)
    vf.write_text("x3\n")
    expect_bad(good, vf, "holds 'x3', not a checkpoint version number", line=1)
    vf.write_text("abc")
    expect_bad(good, vf, "holds 'abc'", line=1)
    vf.write_text("0\n")
    expect_bad(good, vf, ">= 1", line=1)
    vf.write_bytes(b"\xff3\n")
    expect_bad(good, vf, "not a checkpoint version number", line=1)
    vf.write_text("3" + " " * 100 + "garbage\n")  # a read of the first bytes only took it for 3
    expect_bad(good, vf, "more than 64 bytes", line=1)
    vf.write_text("7\n")  # a version whose files are not there: the version file is wrong, not a .v7.h5
    expect_bad(good, vf, "version 7", "embeddings_*.v7.h5", "only version 3", line=1)
    vf.write_text("3\n")
    expect_bad(good, good, "no checkpoint version 7", "only version 3", version=7)  # the argument: the folder


def test_version_errors_list_the_versions_held(good):
    for v in (2, 5):
        for name in ("embeddings_entity_0", "embeddings_entity_1", "model"):
            shutil.copy(good / f"{name}.v3.h5", good / f"{name}.v{v}.h5")
    (good / "checkpoint_version.txt").write_text("7\n")
    expect_bad(good, good / "checkpoint_version.txt", "version 7", "only versions 2, 3, 5", line=1)
    np.testing.assert_array_equal(import_pbg(good, version=5).embedding.vectors, import_pbg(good, version=3)
                                  .embedding.vectors)
    (good / "checkpoint_version.txt").unlink()
    expect_bad(good, good / "checkpoint_version.txt", "no checkpoint_version.txt", "versions 2, 3, 5", "version=")
    for f in good.glob("*.h5"):
        f.unlink()
    expect_bad(good, good / "checkpoint_version.txt", "no checkpoint_version.txt", "finished an epoch")
    expect_bad(good, good, "no checkpoint version 3", "no other version", version=3)


def test_truncated_and_garbage_h5(good):
    emb = good / "embeddings_entity_1.v3.h5"
    data = emb.read_bytes()
    emb.write_bytes(data[: len(data) // 2])
    expect_bad(good, emb, "HDF5")
    emb.write_bytes(b"\x00" * 100)
    expect_bad(good, emb, "HDF5")
    emb.write_bytes(b"")
    expect_bad(good, emb, "HDF5")
    model = good / "model.v3.h5"
    emb.write_bytes(data)
    model.write_bytes(model.read_bytes()[:900])
    expect_bad(good, model)


def test_wrong_dataset_shapes(good, tmp_path):
    emb = good / "embeddings_entity_0.v3.h5"
    write_h5(emb, {"embeddings": (np.zeros((6, 7), np.float32), None)})
    expect_bad(good, emb, "shape", "(n, 6)")
    write_h5(emb, {"embeddings": (np.zeros(36, np.float32), None)})
    expect_bad(good, emb, "shape")
    write_h5(emb, {"embeddings": (np.zeros((6, 6), np.int64), None)})
    expect_bad(good, emb, "int64")
    write_h5(emb, {"other": (np.zeros((6, 6), np.float32), None)})
    expect_bad(good, emb, "no 'embeddings'")
    write_h5(emb, {"embeddings": (np.zeros((6, 6), np.float32), None)}, fmt=None)
    expect_bad(good, emb, "format_version")
    write_h5(emb, {"embeddings": (np.full((6, 6), np.nan, np.float32), None)})
    expect_bad(good, emb, "NaN")


def test_names_count_differs_from_rows(good, tmp_path):
    emb = good / "embeddings_entity_0.v3.h5"
    write_h5(emb, {"embeddings": (np.zeros((5, 6), np.float32), None)})
    expect_bad(good, emb, "5 embedding rows", "6 names", "entity_names_entity_0.json",
               "entity_count_entity_0.txt says 6")
    (tmp_path / "entity_count_entity_0.txt").unlink()
    expect_bad(good, emb, "5 embedding rows", "6 names", "entity_names_entity_0.json")


def test_entity_count_must_agree_with_names_and_rows(good, tmp_path):
    """entity_count_<type>_<part>.txt was never read: a count that disagreed loaded silently. The file
    that differs from the other two is named, with all three numbers."""
    count = tmp_path / "entity_count_entity_0.txt"  # partition 0: 6 names, 6 rows
    count.write_text("99\n")
    expect_bad(good, count, "says 99", "6 names", "6 embedding rows", "entity_names_entity_0.json",
               "embeddings_entity_0.v3.h5", line=1)
    count.write_text("6\n")
    names = tmp_path / "entity_names_entity_0.json"
    names.write_text(json.dumps(json.loads(names.read_text())[:5]))
    expect_bad(good, names, "5 names", "6 embedding rows", "entity_count_entity_0.txt says 6")
    count.write_text("7\n")  # all three differ: the count file, with the three numbers
    expect_bad(good, count, "says 7", "5 names", "6 embedding rows", line=1)


def test_bad_entity_count_files(good, tmp_path):
    count = tmp_path / "entity_count_entity_1.txt"
    for data, words in ((b"", ("empty", "entity count")), (b"\n", ("empty",)),
                        (b"abc\n", ("holds 'abc', not an entity count",)), (b"-5\n", ("'-5'",)),
                        (b"5.0\n", ("'5.0'",)), (b"5\n6\n", ("not an entity count",)),
                        (b"\xff\xfe5\n", ("not an entity count",)),
                        (b"5" * 70 + b"\n", ("more than 64 bytes",)),
                        (b"5\n" + b" " * 100, ("more than 64 bytes",))):
        count.write_bytes(data)
        expect_bad(good, count, *words, line=1)
    # a missing count file is accepted: names and rows still agree (and are still checked together)
    for p in (0, 1):
        (tmp_path / f"entity_count_entity_{p}.txt").unlink()
    want = import_pbg(good).embedding.vectors
    (tmp_path / "entity_count_entity_1.txt").write_text("5\n")  # PBG's own layout: "N" and a newline
    (tmp_path / "entity_count_entity_0.txt").write_text(" 6")  # no newline, blanks around it: still 6
    np.testing.assert_array_equal(import_pbg(good).embedding.vectors, want)


def test_empty_partition_count_zero(tmp_path):
    """3 entities in 4 partitions: a partition with no entities has count 0, names [] and 0 rows."""
    g = make_graph(["a", "b", "c"], [0, 0, 0], ["entity"], ["to"], [[0, 0]], [[0, 0, 1], [1, 0, 2]])
    export_pbg(g, tmp_path, partitions=4)
    assert (tmp_path / "entity_count_entity_3.txt").read_text() == "0\n"
    ck, vec, _ = fake_checkpoint(tmp_path, np.random.default_rng(0))
    np.testing.assert_array_equal(import_pbg(ck).embedding.vectors, vec)
    (tmp_path / "entity_count_entity_3.txt").write_text("1\n")
    expect_bad(ck, tmp_path / "entity_count_entity_3.txt", "says 1", "0 names", "0 embedding rows", line=1)


def test_bad_model_parameters(good):
    model = good / "model.v3.h5"
    base = "model/relations/0/operator"
    ok = {f"{base}/{s}/{p}": (np.ones((2, 3), np.float32), f"{s}_operators.0.{p}")
          for s in ("lhs", "rhs") for p in ("real", "imag")}
    write_h5(model, {**ok, f"{base}/rhs/imag": (np.ones((2, 4), np.float32), "rhs_operators.0.imag")})
    expect_bad(good, model, "rhs_operators.0.imag", "shape")
    write_h5(model, {k: v for k, v in ok.items() if not k.endswith("lhs/real")})
    expect_bad(good, model, "lhs_operators.0.real", "missing")
    write_h5(model, {**ok, f"{base}/rhs/real": (np.ones((2, 3), np.float32), "lhs_operators.0.real")})
    expect_bad(good, model, "state_dict_key")
    write_h5(model, {**ok, f"{base}/rhs/real": (np.ones((2, 3), np.float32), None)})  # no key: the name tells
    import_pbg(good)
    model.unlink()
    expect_bad(good, model, "missing")


def test_bad_configs_and_names(good, tmp_path):
    cfg_path = good / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg_path.write_text("{not json")
    expect_bad(good, cfg_path, "cannot read")
    cfg_path.write_text("[]")
    expect_bad(good, cfg_path, "JSON dict")
    for change, word in (({"comparator": "l2"}, "l2"), ({"bias": True}, "bias"),
                         ({"entities": {"entity": {"num_partitions": 2, "featurized": True}}}, "featurized"),
                         ({"dimension": "x"}, "not a PBG config")):
        cfg_path.write_text(json.dumps({**cfg, **change}))
        expect_bad(good, cfg_path, word)
    bad_rel = {**cfg, "relations": [{**cfg["relations"][0], "operator": "affine"}]}
    cfg_path.write_text(json.dumps(bad_rel))
    expect_bad(good, cfg_path, "affine")
    cfg_path.write_text(json.dumps(cfg))
    ent = tmp_path / "entity_names_entity_1.json"
    ent.write_text('["a", 3]')
    expect_bad(good, ent, "strings")
    ent.write_bytes(b"\xff\xfe")
    expect_bad(good, ent, "cannot read")
    ent.unlink()
    expect_bad(good, ent, "missing")


def test_relation_names_must_be_strings(good, tmp_path):
    """dynamic_rel_names.json entries went through str(): null became a relation named 'None'."""
    names = tmp_path / "dynamic_rel_names.json"
    names.write_text('[null, ["likes"]]')
    expect_bad(good, names, "relation names must be strings")
    names.write_text('{"knows": 0, "likes": 1}')
    expect_bad(good, names, "JSON list")


def test_names_json_from_another_export(good, tmp_path):
    mapping_path = tmp_path / NAMES_FILE
    mapping = json.loads(mapping_path.read_text())
    mapping["ids"]["entity"][0] = mapping["ids"]["entity"][0][::-1]
    mapping_path.write_text(json.dumps(mapping))
    expect_bad(good, mapping_path, "another export")
    mapping_path.write_text(json.dumps({"format": "something else"}))
    expect_bad(good, mapping_path, "format tag")


def test_missing_dynamic_relation_files(good, tmp_path):
    (tmp_path / "dynamic_rel_count.txt").write_text("")
    expect_bad(good, tmp_path / "dynamic_rel_count.txt", "empty", "relation count", line=1)
    (tmp_path / "dynamic_rel_count.txt").write_text("two\n")
    expect_bad(good, tmp_path / "dynamic_rel_count.txt", "holds 'two', not a relation count", line=1)
    (tmp_path / "dynamic_rel_count.txt").write_text("0\n")
    expect_bad(good, tmp_path / "dynamic_rel_count.txt", ">= 1", line=1)
    (tmp_path / "dynamic_rel_count.txt").unlink()
    expect_bad(good, tmp_path / "dynamic_rel_count.txt", "missing")
    (tmp_path / "dynamic_rel_count.txt").write_text("3\n")
    expect_bad(good, tmp_path / "dynamic_rel_names.json", "3 relations")
    (tmp_path / "dynamic_rel_names.json").unlink()
    expect_bad(good, good / "model.v3.h5", "shape")  # 3 relations, parameters for 2


def test_crafted_values_found_by_fuzzing(good, tmp_path):
    """tests/fuzz found these escaping as other errors than DataFormatError, or running away."""
    emb = good / "embeddings_entity_0.v3.h5"
    for fv in (float("nan"), "1", np.array([1, 1])):  # int(fv) raised ValueError / TypeError
        write_h5(emb, {"embeddings": (np.zeros((6, 6), np.float32), None)}, fmt=fv)
        expect_bad(good, emb, "format_version")
    write_h5(emb, {"embeddings": (np.zeros((6, 6), np.float32), None)})
    mapping_path = tmp_path / NAMES_FILE
    mapping = json.loads(mapping_path.read_text())
    mapping_path.write_text(json.dumps({**mapping, "pbg_type_names": [["entity"]]}))  # set() of lists: TypeError
    expect_bad(good, mapping_path, "damaged")
    mapping_path.write_text(json.dumps(mapping))
    cfg_path = good / "config.json"
    cfg = json.loads(cfg_path.read_text())
    for change in ({"entities": {"entity": {"num_partitions": float("inf")}}}, {"max_norm": 10 ** 400}):
        cfg_path.write_text(json.dumps({**cfg, **change}))  # int(inf), float(10**400): OverflowError
        expect_bad(good, cfg_path, "not a PBG config", "OverflowError")
    cfg_path.write_text(json.dumps(cfg))
    # 300 million relations named "0", "1", ... when the names file is missing: minutes and gigabytes
    (tmp_path / "dynamic_rel_count.txt").write_text("300000000\n")
    (tmp_path / "dynamic_rel_names.json").unlink()
    expect_bad(good, tmp_path / "dynamic_rel_count.txt", "300,000,000 relations", "dynamic_rel_names.json")


def test_static_operators_recast_as_linear_are_bounded(tmp_path):
    """Mixed static operators become one dim x dim linear operator per relation: from a few MB of diagonal
    parameters at dimension 10^5, that was a MemoryError (or the machine's memory); now a DataFormatError."""
    export_pbg(typed_graph(), tmp_path)
    ck, *_ = fake_checkpoint(tmp_path, np.random.default_rng(2), ops=["diagonal", "complex_diagonal", "none"],
                             dim=8192)  # 3 x 8192^2 parameters: above the bound, 300 KB of input
    expect_bad(ck, ck / "config.json", "linear operator", "201,326,592 parameters")


def test_not_a_checkpoint_folder(tmp_path):
    expect_bad(tmp_path / "nope", tmp_path / "nope", "no such folder")
    expect_bad(tmp_path, tmp_path / "checkpoint_version.txt", "no checkpoint_version.txt", "PyTorch-BigGraph",
               "finished an epoch")
    export_pbg(untyped_graph(), tmp_path / "fresh")
    expect_bad(tmp_path / "fresh", tmp_path / "fresh" / "checkpoints", "no PBG checkpoint yet")
