"""Generated inputs for the readers of structured files: random JSON headers and arrays of any dtype and
shape in zips, models, media features, whole PBG checkpoint folders, sessions and session folders."""

from __future__ import annotations

import io
import json
from functools import lru_cache

import numpy as np
from hypothesis import strategies as st

from tests.fuzz import containers as box
from tests.fuzz import harness as h
from tests.fuzz import mutations as mut
from tests.fuzz import seeds
from tests.fuzz.gen_text import (
    finish_text,
    free,
    gen_corpus,
    gen_edgelist,
    gen_hierarchy,
    gen_labelled,
    gen_projector,
    gen_text_vectors,
    gen_user_items,
    gen_word2vec_binary,
    name_text,
    one_file,
    vector_rows,
    with_options,
    word_text,
)
from tests.fuzz.harness import Case

json_value = st.recursive(st.none() | st.booleans() | st.integers(-3, 10) | st.floats() | st.text(max_size=4),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                     max_size=3), max_leaves=5)


@st.composite
def maybe(draw, plausible, random=json_value):
    """A plausible value most of the time, else a random JSON value."""
    return draw(plausible) if draw(st.integers(0, 5)) else draw(random)


@st.composite
def header_json(draw, fields: dict) -> bytes:
    header = {}
    for key, strategy in fields.items():
        if draw(st.integers(0, 11)):
            header[key] = draw(maybe(strategy))
    if draw(st.integers(0, 9)) == 0:
        header[draw(st.text(max_size=4))] = draw(json_value)
    text = json.dumps(header, ensure_ascii=False)
    if draw(st.integers(0, 14)) == 0:
        text = draw(st.sampled_from(("[]", "null", "{", "[" * 100000 + "]" * 100000, '{"format": 5}', "")))
    return text.encode("utf-8")


@st.composite
def npy_member(draw, shape: tuple, dtype: str = "<f4") -> bytes:
    choice = draw(st.integers(0, 11))
    if choice == 0:
        return box.npy_with_header(draw(st.sampled_from(box.ODD_DESCRS)), draw(st.sampled_from(box.HUGE_SHAPES)),
                                 b"\x00" * draw(st.integers(0, 64)))
    if choice == 1:
        return draw(st.binary(max_size=64))
    if choice == 2:
        dtype = draw(st.sampled_from(box.DTYPES))
    if choice == 3:
        shape = draw(st.sampled_from(box.SHAPES))
    if choice == 4:
        shape = tuple(max(0, s + draw(st.integers(-1, 1))) for s in shape)
    return box.npy_bytes(box.array_of(dtype, shape, draw(free), special=draw(st.integers(0, 3))),
                       fortran=draw(st.integers(0, 9)) == 0)


@st.composite
def json_arrays_file(draw, name: str, fields: dict, arrays: dict) -> Case:
    """A zip of header.json + .npy members (the layout of write_json_arrays), members left out, added,
    renamed and compressed at random."""
    members = [("header.json", draw(header_json(fields)))]
    for key, (shape, dtype) in arrays.items():
        if draw(st.integers(0, 11)):
            members.append((f"{key}.npy", draw(npy_member(shape, dtype))))
    if draw(st.integers(0, 9)) == 0:
        members.append((draw(st.sampled_from(("x.npy", "header.json", "a/b.npy", "vectors.npy"))),
                        draw(st.sampled_from((b"", b"{}", b"garbage")))))
    if draw(st.integers(0, 4)) == 0:
        members = draw(st.permutations(members))
    compression = draw(st.sampled_from((0, 0, 0, 8, 12, 14)))
    data = box.build_zip(members, compression)
    if draw(st.integers(0, 9)) == 0:
        data = mut.mutate_bytes(data, draw(st.sampled_from(mut.BYTE_OPS)), draw(free), draw(free), draw(free))
    return one_file(name, data)


key_text = st.one_of(name_text, st.sampled_from(("a", "b", "c", "d")))


@st.composite
def gen_embedding_file(draw, name: str = "e.npz") -> Case:
    n, dim = draw(st.integers(0, 5)), draw(st.integers(1, 4))
    dn = lambda: max(0, n + draw(st.sampled_from((0, 0, 0, 0, -1, 1))))  # noqa: E731
    n_keys, n_meta = dn(), dn()
    fields = {
        "format": st.sampled_from(("embedstudio-embedding",) * 6 + ("embedstudio-graph-model", "x")),
        "version": st.sampled_from((1, 1, 2, "1")),
        "keys": st.lists(key_text, min_size=n_keys, max_size=n_keys),
        "geometry": st.sampled_from(("euclidean", "euclidean", "poincare", "hyperbolic", "")),
        "metadata": st.dictionaries(st.sampled_from(("type", "kind", "")), st.lists(word_text, min_size=n_meta,
                                                                                  max_size=n_meta), max_size=2),
        "info": st.dictionaries(st.text(max_size=3), json_value, max_size=2),
    }
    return draw(json_arrays_file(name, fields, {"vectors": ((dn(), dim), "<f4"), "counts": ((dn(),), "<i8")}))


@st.composite
def gen_checkpoint(draw) -> Case:
    fields = {
        "format": st.sampled_from(("embedstudio-checkpoint",) * 6 + ("embedstudio-embedding",)),
        "trainer": st.sampled_from(("word2vec", "graph", "poincare", "")),
        "cursor": st.one_of(st.integers(-2, 10 ** 20), st.sampled_from((float("inf"), float("nan"), 1.5, "3", "x"))),
        "config": st.dictionaries(st.sampled_from(("dim", "epochs", "threads", "seed")), json_value, max_size=3),
        "state": st.dictionaries(st.sampled_from(("epoch_loss", "epoch_losses", "fingerprint")), json_value, max_size=3),
    }
    return draw(json_arrays_file("run.ckpt", fields, {"syn0": ((4, 3), "<f4"), "syn1neg": ((4, 3), "<f4")}))


@st.composite
def gen_graph_model(draw) -> Case:
    n, dim, r = draw(st.integers(0, 5)), draw(st.sampled_from((1, 2, 4))), draw(st.integers(0, 3))
    operator = draw(st.sampled_from(("none", "diagonal", "translation", "complex_diagonal", "linear", "affine", "")))
    size = {"none": 0, "linear": dim * dim}.get(operator, dim)
    types = draw(st.lists(st.sampled_from(("user", "item", "entity")), min_size=1, max_size=3))
    d = lambda k: max(0, k + draw(st.sampled_from((0, 0, 0, 0, -1, 1))))  # noqa: E731
    n_keys, n_rels = d(n), d(r)
    fields = {
        "format": st.sampled_from(("embedstudio-graph-model",) * 6 + ("embedstudio-embedding",)),
        "format_version": st.just(1),
        "keys": st.lists(key_text, min_size=n_keys, max_size=n_keys),
        "type_names": st.just(types),
        "relation_names": st.lists(st.sampled_from(("likes", "owns", "r")), min_size=n_rels, max_size=n_rels),
        "operator": st.just(operator),
        "comparator": st.sampled_from(("dot", "cos", "l2")),
        "relation_mode": st.sampled_from(("dynamic", "static", "other")),
        "info": st.dictionaries(st.text(max_size=3), json_value, max_size=2),
    }
    et_dtype = draw(st.sampled_from(("<i4", "<i4", "<i8", "<f4", "|u1", "|b1")))
    arrays = {"vectors": ((d(n), dim), "<f4"), "entity_type": ((d(n),), et_dtype), "relation_types": ((d(r), 2), "<i4"),
              "lhs_params": ((d(r), size), "<f4"), "rhs_params": ((d(r), size), "<f4")}
    case = draw(json_arrays_file("g.model", fields, arrays))
    if draw(st.booleans()):  # in-range type ids, so the later checks are reached
        files = case.file_dict()
        members = box.zip_members(files["g.model"]) or []
        ids = np.asarray([draw(st.integers(-1, len(types))) for _ in range(n)], dtype=np.int32)
        members = [(k, box.npy_bytes(ids) if k == "entity_type.npy" else v) for k, v in members]
        case = case.with_files({"g.model": box.build_zip(members)})
    return case


@st.composite
def gen_space_model(draw) -> Case:
    words = draw(st.lists(key_text, max_size=4))
    labels = draw(st.lists(key_text, max_size=3))
    buckets = draw(st.sampled_from((0, 0, 2, -1, -3, 10 ** 12, 1.5, "2")))
    nb = buckets if isinstance(buckets, int) and 0 <= buckets < 100 else 0
    rows = len(words) + nb + len(labels) + draw(st.sampled_from((0, 0, 0, -1, 1)))
    fields = {
        "format": st.sampled_from(("embedstudio-starspace-model",) * 6 + ("embedstudio-embedding",)),
        "format_version": st.just(1),
        "mode": st.sampled_from(("tagspace", "pagespace", "x")),
        "words": st.just(words),
        "labels": st.just(labels),
        "similarity": st.sampled_from(("cos", "dot", "l2")),
        "pooling": st.sampled_from(("sum", "sqrt", "mean", "max")),
        "info": st.dictionaries(st.text(max_size=3), json_value, max_size=2),
        "buckets": st.just(buckets),
    }
    return draw(json_arrays_file("s.model", fields, {"vectors": ((max(0, rows), 3), "<f4"),
                                                      "label_counts": ((len(labels),), "<i8")}))


@st.composite
def gen_media(draw) -> Case:
    layout = draw(st.sampled_from(("csv", "tsv", "ws", "quoted", "npz", "npz", "npy")))
    n, dim = draw(st.integers(0, 6)), draw(st.integers(1, 4))
    if layout in ("csv", "tsv", "ws", "quoted"):
        sep = {"csv": ",", "tsv": "\t", "ws": "  ", "quoted": ","}[layout]
        lines = []
        if draw(st.booleans()):
            first = draw(st.sampled_from(("", "id", "key", "video_id", "x", "1")))
            start = draw(st.sampled_from((0, 1, 2)))
            lines.append(sep.join([first] + [str(start + j) for j in range(dim)]))
        for row in draw(vector_rows(dim, n, keyed=False, sep=sep)):
            key = draw(key_text)
            if layout == "quoted":
                key = draw(st.sampled_from((f'"{key}"', f'"{key}, x"', f'"{key}""q"""', '"open', f'x"{key}"')))
            lines.append(key + sep + row)
        return one_file(f"m.{layout}", draw(finish_text("\n".join(lines) + "\n")))
    keys_dtype = draw(st.sampled_from(("<U4", "|S3", "<i8", "<f4", "|O", "|b1")))
    keys_shape = draw(st.sampled_from(((n,), (n,), (n + 1,), (n, 1), ())))
    if keys_dtype in ("<U4", "|S3") and draw(st.booleans()):
        texts = [draw(key_text)[:4] for _ in range(n)]
        if keys_dtype == "|S3":
            texts = [t.encode("utf-8", "surrogatepass")[:3] for t in texts]
        keys = np.array(texts, dtype=keys_dtype)
    else:
        keys = box.array_of(keys_dtype, keys_shape, draw(free))
    feats = box.array_of(draw(st.sampled_from(("<f4", "<f4", "<f8", "<i8", "|b1", "<c8", "<U4", "|O", "<f2"))),
                       draw(st.sampled_from(((n, dim), (n, dim), (n,), (n, 0), (0, dim), (n + 1, dim)))),
                       draw(free), special=draw(st.integers(0, 3)))
    if layout == "npz":
        buf = io.BytesIO()
        arrays = {"keys": keys, "features": feats}
        if draw(st.integers(0, 5)) == 0:
            arrays.pop(draw(st.sampled_from(("keys", "features"))))
        members = [(f"{k}.npy", box.npy_bytes(v)) for k, v in arrays.items()]
        if draw(st.integers(0, 5)) == 0:
            members.append(("keys", b"not an npy"))
        data = box.build_zip(members)
        if draw(st.integers(0, 9)) == 0:
            buf.write(box.npy_bytes(feats))
            data = buf.getvalue()  # a single .npy named .npz
        return one_file("m.npz", data)
    files = {"f.npy": box.npy_bytes(feats)}
    if draw(st.integers(0, 5)):
        lines = [draw(key_text) for _ in range(n + draw(st.sampled_from((0, 0, -1, 1))))]
        files["f.keys.txt"] = draw(finish_text("\n".join(lines) + draw(st.sampled_from(("\n", "", "\n\n")))))
    return Case(tuple(files.items()), "f.npy", (), "generated")


@st.composite
def h5_file(draw, datasets: dict, fmt=1) -> bytes:
    root = {}
    if draw(st.integers(0, 11)):
        root["format_version"] = fmt
    else:
        root["format_version"] = draw(st.sampled_from(box.FORMAT_VERSIONS))
    items = []
    for path, (shape, key) in datasets.items():
        if not draw(st.integers(0, 15)):
            continue
        dtype = "<f4" if draw(st.integers(0, 9)) else draw(st.sampled_from(box.DTYPES[:9]))
        if draw(st.integers(0, 9)) == 0:
            shape = tuple(max(0, s + draw(st.integers(-1, 1))) for s in shape) or (2,)
        attrs = {} if key is None else {"state_dict_key": key if draw(st.integers(0, 9))
                                        else draw(st.sampled_from(box.STATE_KEYS))}
        items.append((path, "dataset", box.array_of(dtype, shape, draw(free), special=draw(st.integers(0, 8)) // 6),
                      attrs))
    return box.build_h5(root, items)


PLAIN_JSON_VALUES = tuple(v for v in mut.JSON_VALUES if not isinstance(v, str) or v not in (mut.DEEP, mut.HUGE_INT))


@st.composite
def gen_pbg(draw) -> Case:
    """A whole checkpoint folder: config, entity names, embeddings, model, relation names, maybe names.json."""
    dim = draw(st.sampled_from((1, 2, 4)))
    types = draw(st.sampled_from((["entity"], ["user", "item"], ["a"])))
    parts = {t: draw(st.integers(1, 2)) for t in types}
    dynamic = draw(st.booleans())
    ops = ("none", "diagonal", "translation", "complex_diagonal", "linear", "affine")
    n_specs = 1 if dynamic else draw(st.integers(1, 3))
    specs = [{"name": f"r{i}", "lhs": draw(st.sampled_from(types)), "rhs": draw(st.sampled_from(types)),
              "operator": draw(st.sampled_from(ops))} for i in range(n_specs)]
    cfg = {"entities": {t: {"num_partitions": p} for t, p in parts.items()}, "relations": specs,
           "dimension": dim + draw(st.sampled_from((0, 0, 0, 0, 1, -1))), "dynamic_relations": dynamic,
           "comparator": draw(st.sampled_from(("dot", "cos", "l2"))), "global_emb": draw(st.booleans()),
           "max_norm": draw(st.sampled_from((None, None, 1.0, 0.0))), "entity_path": h.PLACEHOLDER,
           "checkpoint_path": h.PLACEHOLDER + "/checkpoints", "bias": draw(st.integers(0, 9)) == 0}
    for _ in range(draw(st.sampled_from((0, 0, 0, 1, 2)))):  # a few fields of any value
        key = draw(st.sampled_from(tuple(cfg) + ("featurized",)))
        cfg[key] = draw(st.sampled_from(PLAIN_JSON_VALUES + (10 ** 400, 1e400)))
    files: dict = {}
    names = {}
    for t, p_count in parts.items():
        for p in range(p_count):
            names[t, p] = draw(st.lists(key_text, max_size=3, unique=True))
            files[f"entity_names_{t}_{p}.json"] = json.dumps(names[t, p] if draw(st.integers(0, 11))
                                                            else draw(json_value)).encode()
            files[f"checkpoints/embeddings_{t}_{p}.v1.h5"] = draw(h5_file({"embeddings": ((len(names[t, p]), dim), None)}))
    n_rel = draw(st.integers(1, 3))
    sizes = {"none": 0, "linear": dim * dim}
    params: dict = {}
    pnames = {"diagonal": "diagonal", "translation": "translation", "linear": "linear_transformation",
              "affine": "linear_transformation"}
    for i, spec in enumerate(specs):
        op = spec["operator"]
        for side in (("lhs", "rhs") if dynamic else ("rhs",)):
            lead = (n_rel,) if dynamic else ()
            if op == "complex_diagonal":
                for part in ("real", "imag"):
                    params[f"model/relations/{i}/operator/{side}/{part}"] = (lead + (dim // 2,), f"{side}_operators.{i}.{part}")
            elif op in pnames:
                pn = pnames[op] + ("s" if dynamic else "")
                shape = lead + ((dim, dim) if op in ("linear", "affine") else (sizes.get(op, dim),))
                params[f"model/relations/{i}/operator/{side}/{pn}"] = (shape, f"{side}_operators.{i}.{pn}")
    for t in types:
        params[f"model/entities/{t}/global_embedding"] = ((dim,), f"global_embs.emb_{t}")
    files["checkpoints/model.v1.h5"] = draw(h5_file(params))
    files["checkpoints/checkpoint_version.txt"] = draw(st.sampled_from((b"1\n", b"1\n", b"1", b"2\n", b"0", b"x", b"",
                                                                        b"99999999999999999999\n", b"\xff")))
    files["checkpoints/config.json"] = json.dumps(cfg).encode()
    if dynamic or draw(st.integers(0, 5)) == 0:
        count = draw(st.sampled_from((n_rel, n_rel, n_rel, 0, n_rel + 1, 10 ** 6)))
        files["dynamic_rel_count.txt"] = f"{count}\n".encode()
        if draw(st.integers(0, 5)):
            files["dynamic_rel_names.json"] = json.dumps([f"rel{i}" for i in range(n_rel)]).encode()
    if draw(st.booleans()):  # an export_pbg names.json, right or wrong
        all_names = [x for part in names.values() for x in part]
        ids, k = {}, 0
        for (t, p), part in names.items():
            ids.setdefault(t, []).append(list(range(k, k + len(part))))
            k += len(part)
        mapping = {"format": "embedstudio-pbg-export", "format_version": 1, "names": all_names, "type_names": types,
                   "pbg_type_names": types, "relation_names": [f"r{i}" for i in range(n_rel if dynamic else n_specs)],
                   "relation_types": [[0, 0]], "relation_mode": "dynamic" if dynamic else "static", "ids": ids}
        data = json.dumps(mapping).encode()
        if draw(st.integers(0, 2)) == 0:
            data = mut.mutate_json(data, draw(st.sampled_from(mut.JSON_OPS)), draw(free), draw(free))
        files["names.json"] = data
        files["config.json"] = json.dumps(cfg).encode()
    entry = draw(st.sampled_from(("", "checkpoints")))
    return Case(tuple((k, v) for k, v in files.items()), entry, (), "generated PBG folder")


@st.composite
def gen_session(draw) -> Case:
    files: dict = {}
    valid = seeds.small_embedding(3, 2)
    tmp = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(tmp, "w") as z:
        z.writestr("header.json", json.dumps({"format": "embedstudio-embedding", "version": 1, "keys": valid.keys,
                                              "geometry": "euclidean", "metadata": {}, "info": {}}))
        z.writestr("vectors.npy", box.npy_bytes(valid.vectors))
    files["embeddings/e0.npz"] = tmp.getvalue()
    if draw(st.booleans()):
        files["embeddings/e1.npz"] = draw(gen_embedding_file()).files[0][1]
    files["embeddings/m.map.npy"] = draw(npy_member((3, 2)))
    targets = ("embeddings/e0.npz", "embeddings/e1.npz", "embeddings/m.map.npy", "embeddings/missing.npz",
               "../outside.npz", "/etc/hostname", "embeddings", "session.json", "", "emb\x00.npz", "embeddings/",
               "embeddings/../embeddings/e0.npz")
    entries = []
    for i in range(draw(st.integers(0, 3))):
        entry = {"name": draw(st.one_of(key_text, json_value)), "file": draw(st.one_of(st.sampled_from(targets),
                                                                                       json_value))}
        if draw(st.integers(0, 7)) == 0:
            entry = draw(json_value)
        entries.append(entry)
    doc = {"format": draw(st.sampled_from(("embedstudio-session",) * 6 + ("x",))), "version": 1,
           "map": draw(st.one_of(st.sampled_from((None, "embeddings/m.map.npy") + targets), json_value)),
           "datasets": [{"path": "/nonexistent/c.txt", "kind": "corpus"}],
           "embeddings": entries if draw(st.integers(0, 7)) else draw(json_value),
           "current": draw(st.one_of(st.none(), key_text)), "view": draw(json_value)}
    for key in list(doc):
        if draw(st.integers(0, 19)) == 0:
            del doc[key]
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    if draw(st.integers(0, 14)) == 0:
        text = draw(st.sampled_from(("[]", "null", "{", "[" * 100000 + "]" * 100000, "")))
    files["session.json"] = text.encode("utf-8", "surrogatepass")
    return Case(tuple(files.items()), "", (), "generated session")


@lru_cache(maxsize=None)
def _valid_files() -> dict[str, bytes]:
    """Valid embedding / graph model / StarSpace model files, from the seeds."""
    return {"embedding": seeds.vector_seeds("embedstudio")[0].files[0][1], "graph": seeds.graphmodel_seeds()[0].files[0][1],
            "static": seeds.graphmodel_seeds()[1].files[0][1], "tag": seeds.spacemodel_seeds()[0].files[0][1],
            "page": seeds.spacemodel_seeds()[1].files[0][1]}


DATASET_GENERATORS = (  # (strategy, kind stored in the session): a dataset of every kind a session lists
    (gen_corpus(), "corpus"), (gen_edgelist(), "edgelist"), (gen_hierarchy(), "hierarchy"),
    (gen_labelled(), "labelled"), (gen_user_items(), "user-items"), (gen_text_vectors(True, "v.txt"), "word2vec-text"),
    (gen_media(), None), (gen_pbg(), "pbg"),
)


@st.composite
def model_file(draw, valid: tuple[str, ...], generated) -> bytes:
    choice = draw(st.integers(0, 9))
    if choice < 5:
        return _valid_files()[draw(st.sampled_from(valid))]
    if choice < 8:
        return draw(generated).files[0][1]
    if choice == 8:
        return h.FIFO
    return h.symlink(draw(st.sampled_from(("../outside/g.esgraph", "@@CASE@@/../outside/g.esgraph", "/etc/hostname",
                                           "embeddings/e0.npz", "graph-model.esgraph", "missing"))))


@st.composite
def gen_open_session(draw) -> Case:
    """A whole session folder: embeddings (valid or generated), a map, a graph model and a StarSpace model
    (valid, generated, a pipe or a link), datasets of every kind inside (generated) and paths of every sort
    (outside, ``..``, NUL bytes, pipes, links), a view naming models; then maybe SESSION_OPS on top."""
    files: dict = {"../outside/x.txt": seeds.SESSION_CORPUS.encode(), "../outside/y.tsv": seeds.SESSION_EDGES.encode(),
                   "../outside/g.esgraph": _valid_files()["graph"]}
    names = []
    entries = []
    for i in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(("e0", "graph", "space", "g", "items", "caf\u00e9", "")))
        rel = f"embeddings/e{i}.npz"
        files[rel] = _valid_files()["embedding"] if draw(st.integers(0, 3)) else draw(gen_embedding_file()).files[0][1]
        names.append(name)
        entries.append({"name": name, "file": rel})
    if draw(st.booleans()):
        files["graph-model.esgraph"] = draw(model_file(("graph", "static"), gen_graph_model()))
    if draw(st.booleans()):
        files["space-model.esspace"] = draw(model_file(("tag", "page"), gen_space_model()))
    datasets = []
    for i in range(draw(st.integers(0, 3))):
        strategy, kind = draw(st.sampled_from(DATASET_GENERATORS))
        case = draw(strategy)
        folder = f"data/d{i}"
        if kind == "pbg":  # its config names its folder: this one (inside), or a copy outside the session
            inside = draw(st.integers(0, 2)) > 0
            base = f"{h.PLACEHOLDER}/{folder}" if inside else f"{h.PLACEHOLDER}/../outside/pbg{i}"
            for rel, data in case.files:
                data = data.replace(h.PLACEHOLDER.encode(), base.encode()) if data and rel.endswith(".json") else data
                files[f"{folder}/{rel}"] = data
                if not inside:
                    files[f"../outside/pbg{i}/{rel}"] = data
            kind = None
        else:
            for rel, data in case.files:
                files[f"{folder}/{rel}"] = data
        path = f"{folder}/{case.entry}" if case.entry else folder
        if draw(st.integers(0, 5)) == 0:
            path = "@@CASE@@/" + path  # absolute, inside
        datasets.append({"path": path, "kind": kind if draw(st.integers(0, 4)) else draw(st.sampled_from(box.DATASET_KINDS))})
    for _ in range(draw(st.sampled_from((0, 0, 1, 2)))):
        datasets.append({"path": draw(st.sampled_from(box.DATASET_PATHS)), "kind": draw(st.sampled_from(box.DATASET_KINDS))})
    doc = {"format": "embedstudio-session" if draw(st.integers(0, 9)) else draw(st.sampled_from(("x", None, 1))),
           "version": 1, "map": None, "datasets": datasets, "embeddings": entries,
           "current": names[0] if names else None, "view": {}}
    if names and draw(st.booleans()):
        files["embeddings/m.map.npy"] = draw(npy_member((3, 2)))
        doc["map"] = "embeddings/m.map.npy"
    for key in ("graph_model", "space_model"):
        if draw(st.integers(0, 2)):
            doc["view"][key] = draw(st.one_of(st.sampled_from(names or ["x"]), st.sampled_from(("missing", 5, None))))
    files["session.json"] = json.dumps(doc, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    for _ in range(draw(st.sampled_from((0, 0, 1, 2)))):
        files = box.mutate_session(files, draw(st.sampled_from(box.SESSION_OPS)), draw(free), draw(free), draw(free))
    return Case(tuple(files.items()), "", (), "generated session folder")


JSON_ARRAY_GENERATORS = (gen_embedding_file(), gen_checkpoint(), gen_graph_model(), gen_space_model())


@st.composite
def gen_json_arrays(draw) -> Case:
    """A json-arrays file of each kind (generated), read with its own tag (or another); or a seed's members
    in a crafted zip (CRAFT_OPS); rarely a named pipe or a link to one."""
    choice = draw(st.integers(0, 19))
    if choice < 9:
        k = draw(st.integers(0, 3))
        case = draw(JSON_ARRAY_GENERATORS[k])
        tag = seeds.JSON_ARRAY_TAGS[k] if draw(st.integers(0, 7)) else draw(st.sampled_from(seeds.JSON_ARRAY_TAGS + ("x",)))
        return case.with_options({"tag": tag})
    if choice < 19:
        seed = draw(st.sampled_from(seeds.json_arrays_seeds()))
        members = box.zip_members(seed.files[0][1]) or []
        for _ in range(draw(st.integers(0, 1))):  # sometimes a changed member first
            op = draw(st.sampled_from(("header", "array", "npy_header", "delete", "add")))
            members = box.zip_members(box.mutate_zip(box.build_zip(members), op, draw(free), draw(free), draw(free))) or members
        data = box.craft_zip(members, draw(st.sampled_from(box.CRAFT_OPS)), draw(free), draw(free), draw(free))
        return Case(((seed.entry, data),), seed.entry, seed.options, "crafted zip")
    special = draw(st.sampled_from((h.FIFO, h.symlink("p.npz"), h.symlink("/dev/zero"), h.symlink("missing.npz"))))
    files = {"e.npz": special, "p.npz": h.FIFO}
    return Case(tuple(files.items()), "e.npz", (("tag", seeds.JSON_ARRAY_TAGS[0]),), "special file")


GENERATED = {
    "read_corpus": gen_corpus(),
    "iter_sentences": gen_corpus(),
    "read_edgelist": gen_edgelist(),
    "read_hierarchy": gen_hierarchy(),
    "read_labelled": gen_labelled(),
    "read_user_items": gen_user_items(),
    "read_vectors:word2vec-text": gen_text_vectors(True, "v.txt"),
    "read_vectors:word2vec-binary": gen_word2vec_binary(),
    "read_vectors:glove": gen_text_vectors(False, "g.txt"),
    "read_vectors:fasttext-vec": gen_text_vectors(True, "v.vec"),
    "read_vectors:projector-tsv": gen_projector(),
    "read_vectors:embedstudio": gen_embedding_file(),
    "import_pbg": gen_pbg(),
    "read_session": gen_session(),
    "Checkpoint.load": gen_checkpoint(),
    "GraphModel.load": gen_graph_model(),
    "SpaceModel.load": gen_space_model(),
    "read_media_features": gen_media(),
}
GENERATED["sniff.detect"] = st.one_of(
    *GENERATED.values(),
    st.binary(max_size=3000).map(lambda b: one_file("x", b)),
)
GENERATED["open_session"] = gen_open_session()
GENERATED["read_json_arrays"] = gen_json_arrays()


def generated(target: h.Target):
    return GENERATED[target.name].flatmap(lambda case: with_options(target, case))
