"""The seed inputs of every reader: small valid files (and folders) the mutations start from."""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import io
import json
import os
import tempfile
from functools import lru_cache
from typing import Callable

import numpy as np

from tests.fuzz.containers import craft_zip, npy_bytes, zip_members
from tests.fuzz.harness import PLACEHOLDER, Case, symlink


# --------------------------------------------------------------------------- seeds
def _text_case(name: str, text: str | bytes, options: dict | None = None, note: str = "") -> Case:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return Case(((name, data),), name, tuple(sorted((options or {}).items())), note)


def _folder_case(folder: str, entry: str, note: str = "", placeholder: str | None = None,
                 skip: Callable[[str], bool] = lambda rel: False) -> Case:
    files = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(root, name)
            rel = os.path.relpath(full, folder)
            if skip(rel):
                continue
            with open(full, "rb") as f:
                data = f.read()
            if placeholder and rel.endswith(".json"):
                data = data.replace(placeholder.encode(), PLACEHOLDER.encode())
            files.append((rel, data))
    return Case(tuple(files), entry, (), note)


CORPUS_TEXT = (
    "The quick brown fox jumps over the lazy dog.\n"
    "Caf\u00e9 na\u00efve \u2014 \u0395\u03bb\u03bb\u03ac\u03b4\u03b1 \u6771\u4eac \u0939\u093f\u0928\u094d\u0926\u0940 "
    "don't state-of-the-art\n\n"
    "numbers 1 2 3.5 and under_scores, e\u0301 combining\n"
    "the fox the dog the end\n"
)


@lru_cache(maxsize=None)
def corpus_seeds() -> list[Case]:
    text = CORPUS_TEXT.encode()
    return [
        _text_case("c.txt", text),
        _text_case("c.txt.gz", gzip.compress(text * 3, mtime=0)),
        _text_case("c.bz2", bz2.compress(text * 2)),
        _text_case("crlf.txt", text.replace(b"\n", b"\r\n")),
        Case((("corpus/a.txt", text), ("corpus/sub/b.txt.gz", gzip.compress(text, mtime=0)),
              ("corpus/.hidden.txt", b"\x00binary"), ("corpus/notes.md", b"ignored")), "corpus"),
    ]


@lru_cache(maxsize=None)
def edgelist_seeds() -> list[Case]:
    return [
        _text_case("g.tsv", "alice\tbob\nbob\tcarol\ncarol\talice\nalice\talice\n"),
        _text_case("kg.tsv", "# a knowledge graph\nhead\trelation\ttail\nalice\tknows\tbob\nbob\tlikes\tcarol\n"
                             "carol\tknows\talice\nalice\tknows\tbob\n"),
        _text_case("w.csv", "source,target,weight\na,b,0.5\nb,c,1\nc,a,2.5e-1\n"),
        _text_case("typed.txt", "user:alice likes item:book 1.0\nuser:bob likes item:pen 0.5\n"
                                "item:book tagged tag:paper 2\n\n"),
        _text_case("cols.tsv", "user\talice\tlikes\titem\tbook\nuser\tbob\tlikes\titem\tpen\n",
                   {"columns": "head_type,head,relation,tail_type,tail"}),
        _text_case("kg.tsv.gz", gzip.compress(b"a\tr\tb\nb\tr\tc\n\xc3\xa9\ts\ta\n", mtime=0)),
    ]


@lru_cache(maxsize=None)
def hierarchy_seeds() -> list[Case]:
    return [
        # no self-loop (dog.n.01<TAB>dog.n.01 was here): read_hierarchy now refuses one as a cycle
        _text_case("h.tsv", "aardvark.n.01\tmammal.n.01\naardvark.n.01\tanimal.n.01\nmammal.n.01\tanimal.n.01\n"
                            "dog.n.01\tmammal.n.01\ndog.n.01\tmammal.n.01\n"),
        _text_case("h.csv", "id1,id2,weight\na,b,1\nb,c,1\nd,c,0.5\n"),
        _text_case("h.txt", "# is-a\ndog animal\ncat animal\nanimal thing\n\n"),
        _text_case("closure.tsv", "a\tb\nb\tc\nc\td\na\td\n", {"closure": True}),
    ]


@lru_cache(maxsize=None)
def labelled_seeds() -> list[Case]:
    return [
        _text_case("docs.txt", "__label__game __label__strategy a real-time strategy game\n"
                               "__label__editor a text editor for programmers\nno label here\n"
                               "__label__role::program __label__use::gameplaying a puzzle game\n"),
        _text_case("docs.tsv", "id\tlabels\ttext\n0ad\tgame|strategy\treal-time strategy game\n"
                               "vim\teditor;text\ta text editor\n"),
        _text_case("docs.csv", "text,label\nhello world,greeting\nbye now,farewell\n", {"tokenizer": "words"}),
    ]


@lru_cache(maxsize=None)
def user_items_seeds() -> list[Case]:
    return [
        _text_case("ui.txt", "u1 i1 i2 i3\nu2 i2\nu3 i1 i4 i4\n"),
        _text_case("pairs.tsv", "u1\ti1\nu1\ti2\nu2\ti1\n# comment\nu3\ti3\n"),
        _text_case("ui.csv", "u1,a,b\nu2,b,c\n", {"layout": "lines"}),
    ]


def small_embedding(n: int = 6, dim: int = 4, seed: int = 7):
    from embedstudio.vectors import Embedding

    rng = np.random.default_rng(seed)
    keys = ["the", "caf\u00e9", "\u6771\u4eac", "don't", "x_1", "\u0939\u093f\u0928\u094d\u0926\u0940", "b", "c"][:n]
    vectors = rng.standard_normal((len(keys), dim)).astype(np.float32)
    vectors[0, 0] = np.float32(1e-40)
    return Embedding(keys, vectors, counts=np.arange(len(keys), 0, -1), info={"trainer": "fuzz"})


@lru_cache(maxsize=None)
def vector_seeds(fmt: str) -> list[Case]:
    from embedstudio.data.vectors_io import write_vectors
    from embedstudio.vectors import Embedding

    emb = small_embedding()
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        if fmt in ("word2vec-text", "fasttext-vec", "glove"):
            suffix = {"word2vec-text": ".txt", "fasttext-vec": ".vec", "glove": ".txt"}[fmt]
            for name in ("v" + suffix, "v" + suffix + ".gz"):
                write_vectors(emb, os.path.join(tmp, name), fmt)
                cases.append(_folder_case(tmp, name, skip=lambda rel, name=name: rel != name))
            if fmt == "glove":  # GloVe 840B: a few words with spaces in them
                cases.append(_text_case("spaced.txt", "paris 1 2 3\nnew york 0.1 0.2 0.3\n. . . 4 5 6\n"))
        elif fmt == "word2vec-binary":
            write_vectors(emb, os.path.join(tmp, "v.bin"), fmt)
            cases.append(_folder_case(tmp, "v.bin", skip=lambda rel: rel != "v.bin"))
            gensim_style = b"%d %d\n" % (len(emb), emb.dim) + b"".join(
                k.encode() + b" " + v.astype("<f4").tobytes() for k, v in zip(emb.keys, emb.vectors))
            cases.append(_text_case("gensim.bin", gensim_style))
            cases.append(_text_case("v.bin.bz2", bz2.compress(gensim_style)))
        elif fmt == "projector-tsv":
            meta = Embedding(emb.keys, emb.vectors, metadata={"kind": ["w"] * len(emb), "n": [str(i) for i in range(len(emb))]})
            write_vectors(meta, os.path.join(tmp, "vectors.tsv"), fmt)
            cases.append(_folder_case(tmp, "vectors.tsv"))
            cases.append(Case((("p/vectors.tsv", b"0.1\t0.2\n0.3\t0.4\n1e-3\t-5\n"),), "p/vectors.tsv"))
            cases.append(Case((("q/x.tsv", b"1\t2\t3\n4\t5\t6\n"), ("q/x_metadata.tsv", b"a\nb\n")), "q/x.tsv"))
        elif fmt == "embedstudio":
            emb.save(os.path.join(tmp, "e.npz"))
            cases.append(_folder_case(tmp, "e.npz"))
            Embedding(["a", "b"], np.array([[0.1, 0.2], [-0.3, 0.5]], np.float32), geometry="poincare",
                      metadata={"type": ["x", "y"]}).save(os.path.join(tmp, "p.embedding"))
            cases.append(_folder_case(tmp, "p.embedding", skip=lambda rel: rel != "p.embedding"))
    return cases


@lru_cache(maxsize=None)
def checkpoint_seeds() -> list[Case]:
    from embedstudio.train.base import Checkpoint

    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        Checkpoint("word2vec", 7, {"dim": 4, "epochs": 2, "threads": 1},
                   {"syn0": rng.standard_normal((5, 4)).astype(np.float32),
                    "syn1neg": np.zeros((5, 4), np.float32)},
                   {"epoch_loss": {"0": [1.5, 10]}, "epoch_losses": [1.2], "fingerprint": {"n": 3}}
                   ).save(os.path.join(tmp, "run.ckpt"))
        return [_folder_case(tmp, "run.ckpt")]


def graph_models():
    from embedstudio.graphmodel import GraphModel, identity_params
    from embedstudio.vectors import Embedding

    rng = np.random.default_rng(2)
    keys = ["user:a", "user:b", "item:x", "item:y", "item:z"]
    etype = np.array([0, 0, 1, 1, 1], np.int32)
    emb = Embedding(keys, rng.standard_normal((5, 4)).astype(np.float32), metadata={"type": ["user"] * 2 + ["item"] * 3})
    dynamic = GraphModel(emb, etype, ["user", "item"], ["likes", "owns"], np.array([[0, 1], [0, 1]]), "diagonal",
                         "dot", rng.standard_normal((2, 4)), rng.standard_normal((2, 4)), {"trainer": "graph"}, "dynamic")
    static = GraphModel(emb, etype, ["user", "item"], ["likes"], np.array([[0, 1]]), "complex_diagonal", "cos",
                        identity_params("complex_diagonal", 1, 4), rng.standard_normal((1, 4)), {}, "static")
    return dynamic, static


@lru_cache(maxsize=None)
def graphmodel_seeds() -> list[Case]:
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        for name, model in zip(("dyn.model", "static.model"), graph_models()):
            model.save(os.path.join(tmp, name))
            cases.append(_folder_case(tmp, name, skip=lambda rel, name=name: rel != name))
        return cases


def space_models():
    from embedstudio.starspacemodel import SpaceModel

    rng = np.random.default_rng(3)
    tag = SpaceModel("tagspace", ["a", "b", "c"], ["x", "y"], rng.standard_normal((3 + 2 + 2, 4)), "cos", "sqrt",
                     np.array([3, 1]), {"trainer": "starspace"}, buckets=2)
    page = SpaceModel("pagespace", [], ["i1", "i2", "i3"], rng.standard_normal((3, 4)), "dot", "mean")
    return tag, page


@lru_cache(maxsize=None)
def spacemodel_seeds() -> list[Case]:
    tag, page = space_models()
    with tempfile.TemporaryDirectory() as tmp:
        tag.save(os.path.join(tmp, "tag.model"))
        page.save(os.path.join(tmp, "page.model"))
        return [_folder_case(tmp, "tag.model", skip=lambda rel: rel != "tag.model"),
                _folder_case(tmp, "page.model", skip=lambda rel: rel != "page.model")]


@lru_cache(maxsize=None)
def media_seeds() -> list[Case]:
    rng = np.random.default_rng(4)
    feats = rng.standard_normal((4, 3)).astype(np.float32)
    keys = ["v1", "v2", "caf\u00e9", "42"]
    rows = "".join(f"{k},{','.join('%.6g' % x for x in r)}\n" for k, r in zip(keys, feats))
    cases = [
        _text_case("m.csv", ",0,1,2\n" + rows),
        _text_case("m.tsv", rows.replace(",", "\t")),
        _text_case("m.txt", rows.replace(",", "  ")),
        _text_case("q.csv", 'key,a,b\n"a, b",1,2\n"c ""d""",3,4\ne,5,6\n'),
        _text_case("m.csv.gz", gzip.compress(rows.encode(), mtime=0)),
    ]
    buf = io.BytesIO()
    np.savez(buf, keys=np.array(keys), features=feats)
    cases.append(_text_case("m.npz", buf.getvalue()))
    buf = io.BytesIO()
    np.savez(buf, keys=np.arange(4), features=feats.astype(np.float64))
    cases.append(_text_case("ints.npz", buf.getvalue()))
    cases.append(Case((("f.npy", npy_bytes(feats)), ("f.keys.txt", ("\n".join(keys) + "\n").encode())), "f.npy"))
    return cases


def _fake_pbg_checkpoint(folder: str, *, dim: int, operator: str, version: int, global_emb: bool,
                         ops: list[str] | None = None, seed: int = 0) -> None:
    """A checkpoint in PyTorch-BigGraph's layout for an export_pbg() folder (as tests/data/test_pbg_import.py makes)."""
    import h5py

    rng = np.random.default_rng(seed)
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(folder, "names.json")) as f:
        mapping = json.load(f)
    cfg.update(dimension=dim, comparator="dot", init_scale=0.001, max_norm=None, global_emb=global_emb, bias=False)
    ck = cfg["checkpoint_path"]
    os.makedirs(ck, exist_ok=True)
    n = len(mapping["names"])
    vectors = rng.standard_normal((n, dim)).astype(np.float32)

    def write(path, datasets):
        with h5py.File(path, "w") as hf:
            hf.attrs["format_version"] = 1
            hf.attrs["config/json"] = "{}"
            for name, (arr, key) in datasets.items():
                ds = hf.create_dataset(name, data=arr)
                if key is not None:
                    ds.attrs["state_dict_key"] = key
            hf.create_dataset("optimizer/state_dict", data=np.frombuffer(b"\x80\x04not a pickle", dtype="V1"))

    for t, parts in mapping["ids"].items():
        for p, ids in enumerate(parts):
            write(os.path.join(ck, f"embeddings_{t}_{p}.v{version}.h5"), {"embeddings": (vectors[ids], None)})
    datasets = {}
    sizes = {"none": 0, "linear": dim * dim}
    if cfg["dynamic_relations"]:
        cfg["relations"][0]["operator"] = operator
        n_rel = len(mapping["relation_names"])
        for side in ("lhs", "rhs"):
            flat = rng.standard_normal((n_rel, sizes.get(operator, dim))).astype(np.float32)
            if operator == "complex_diagonal":
                parts = {"real": flat[:, : dim // 2], "imag": flat[:, dim // 2:]}
            elif operator == "none":
                parts = {}
            else:
                parts = {operator + "s": flat}
            for name, arr in parts.items():
                datasets[f"model/relations/0/operator/{side}/{name}"] = (arr, f"{side}_operators.0.{name}")
    else:
        ops = ops or [operator] * len(cfg["relations"])
        for i, (rel, op) in enumerate(zip(cfg["relations"], ops)):
            rel["operator"] = op
            flat = rng.standard_normal(sizes.get(op, dim)).astype(np.float32)
            parts = ({} if op == "none" else {"real": flat[: dim // 2], "imag": flat[dim // 2:]}
                     if op == "complex_diagonal" else {op: flat})
            for name, arr in parts.items():
                datasets[f"model/relations/{i}/operator/rhs/{name}"] = (arr, f"rhs_operators.{i}.{name}")
    if global_emb:
        for t in cfg["entities"]:
            datasets[f"model/entities/{t}/global_embedding"] = (rng.standard_normal(dim).astype(np.float32),
                                                                f"global_embs.emb_{t}")
    write(os.path.join(ck, f"model.v{version}.h5"), datasets)
    with open(os.path.join(ck, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    with open(os.path.join(ck, "checkpoint_version.txt"), "w") as f:
        f.write(f"{version}\n")


@lru_cache(maxsize=None)
def pbg_seeds() -> list[Case]:
    from embedstudio.data.edgelist import GraphData
    from embedstudio.data.pbg import export_pbg

    def graph(names, etype, types, rels, rel_types, edges):
        etype = np.asarray(etype, np.int32)
        return GraphData("mem", list(names), etype, list(types),
                         np.searchsorted(etype, np.arange(len(types) + 1)).astype(np.int64), list(rels),
                         np.asarray(rel_types, np.int32).reshape(-1, 2), np.asarray(edges, np.int64).reshape(-1, 3), None)

    untyped = graph(["a", "b", "c", "caf\u00e9", "\u6771\u4eac"], [0] * 5, ["entity"], ["knows", "likes"],
                    [[0, 0], [0, 0]], [[0, 0, 1], [1, 1, 2], [2, 0, 3], [3, 1, 4], [4, 0, 0]])
    typed = graph(["user:u0", "user:u1", "item:i0", "item:i1", "tag:t0"], [0, 0, 1, 1, 2], ["user", "item", "tag"],
                  ["likes", "tagged", "follows"], [[0, 1], [1, 2], [0, 0]], [[0, 0, 2], [1, 0, 3], [2, 1, 4], [0, 2, 1]])
    cases = []
    skip = lambda rel: rel.startswith("edges") or rel == "config.py" or rel.startswith("entity_count")  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        a = os.path.join(tmp, "a")
        export_pbg(untyped, a, partitions=2)
        _fake_pbg_checkpoint(a, dim=4, operator="complex_diagonal", version=1, global_emb=False)
        cases.append(_folder_case(a, "", "untyped, dynamic, 2 partitions", placeholder=a, skip=skip))
        cases.append(_folder_case(a, "checkpoints", "the checkpoint folder itself", placeholder=a, skip=skip))
        b = os.path.join(tmp, "b")
        export_pbg(typed, b, partitions=1, config={"operator": "diagonal"})
        _fake_pbg_checkpoint(b, dim=4, operator="diagonal", version=2, global_emb=True,
                             ops=["diagonal", "none", "complex_diagonal"])
        cases.append(_folder_case(b, "", "typed, static, global embeddings", placeholder=b, skip=skip))
    return cases


@lru_cache(maxsize=None)
def session_seeds() -> list[Case]:
    from embedstudio.session import Session, save_session
    from embedstudio.vectors import Embedding

    s = Session()
    s.add_embedding("trained", small_embedding(4, 3))
    s.add_embedding("poincare", Embedding(["a", "b"], np.array([[0.1, 0.2], [0.3, -0.1]], np.float32),
                                          geometry="poincare", metadata={"kind": ["x", "y"]}), make_current=False)
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        save_session(s, os.path.join(tmp, "s1"), view={"projection": "pca", "search": "^a"},
                     map_coords=np.zeros((4, 2), np.float32))
        cases.append(_folder_case(os.path.join(tmp, "s1"), ""))
        one = Session()
        one.add_embedding("only", small_embedding(2, 2))
        save_session(one, os.path.join(tmp, "s2"))
        cases.append(_folder_case(os.path.join(tmp, "s2"), ""))
    return cases


JSON_ARRAY_TAGS = ("embedstudio-embedding", "embedstudio-checkpoint", "embedstudio-graph-model",
                   "embedstudio-starspace-model")


@lru_cache(maxsize=None)
def json_arrays_seeds() -> list[Case]:
    """Every kind of json-arrays file the project writes (Embedding, Checkpoint, GraphModel and SpaceModel
    .save), the tag to read it with in the options; and two of them in valid forms our writer never makes
    (members deflated, ZIP64 records), which the reader must accept all the same."""
    out = []
    for tag, seeds in zip(JSON_ARRAY_TAGS, (vector_seeds("embedstudio"), checkpoint_seeds(), graphmodel_seeds(),
                                           spacemodel_seeds())):
        out.extend(dataclasses.replace(c, options=(("tag", tag),)) for c in seeds)
    base = out[0]
    members = zip_members(base.files[0][1])
    out.append(Case(((base.entry, craft_zip(members, "deflated", 0, 0, 0)),), base.entry, base.options, "deflated"))
    out.append(Case(((base.entry, craft_zip(members, "zip64", 0, 1, 1)),), base.entry, base.options, "ZIP64"))
    return out


SESSION_CORPUS = CORPUS_TEXT
SESSION_EDGES = "alice\tknows\tbob\nbob\tlikes\tcarol\ncarol\tknows\talice\n"
SESSION_HIERARCHY = "dog\tmammal\ncat\tmammal\nmammal\tanimal\n"
SESSION_USER_ITEMS = "u1 i1 i2 i3\nu2 i2\nu3 i1 i3\n"
SESSION_LABELLED = "__label__game a strategy game\n__label__editor a text editor\n__label__game a puzzle game\n"


@lru_cache(maxsize=None)
def open_session_seeds() -> list[Case]:
    """Saved sessions (save_session) for the whole session-opening path: embeddings, a map, a graph model
    and a StarSpace model beside them (named by the view), datasets inside the folder (stored relative: they
    are opened) and outside it (absolute paths and ``../``: only listed), a symbolic link inside pointing in,
    one pointing out."""
    from embedstudio.data.vectors_io import write_vectors
    from embedstudio.jobs.graph import GRAPH_MODEL_FILE
    from embedstudio.jobs.starspace import SPACE_MODEL_FILE
    from embedstudio.session import Dataset, Session, save_session

    dynamic, static = graph_models()
    tag, page = space_models()
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        outside = os.path.join(tmp, "outside")
        os.makedirs(outside)
        for name, text in (("x.txt", SESSION_CORPUS), ("y.tsv", SESSION_EDGES)):
            with open(os.path.join(outside, name), "w", encoding="utf-8") as f:
                f.write(text)

        def make(name, datasets, view, embeddings, graph=None, space=None, map_rows=0, links=(), extra=()):
            folder = os.path.join(tmp, name)
            os.makedirs(os.path.join(folder, "data"))
            listed = []
            for rel, content, kind in datasets:
                full = os.path.join(folder, rel)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                if isinstance(content, str) and content == "@vectors":
                    write_vectors(small_embedding(), full, "word2vec-text")
                else:
                    with open(full, "wb") as f:
                        f.write(content.encode() if isinstance(content, str) else content)
                listed.append(Dataset(os.path.basename(rel), full, kind, None, {}))
            for rel, kind in (("x.txt", "corpus"), ("y.tsv", "edgelist")):
                listed.append(Dataset(rel, os.path.join(outside, rel), kind, None, {}))
            session = Session()
            for ename, emb in embeddings:
                session.add_embedding(ename, emb)
            session.datasets = listed
            save_session(session, folder, view=view,
                         map_coords=np.zeros((map_rows, 2), np.float32) if map_rows else None)
            if graph is not None:
                graph.save(os.path.join(folder, GRAPH_MODEL_FILE))
            if space is not None:
                space.save(os.path.join(folder, SPACE_MODEL_FILE))
            case = _folder_case(folder, "", f"saved session {name}")
            files = dict(case.files)
            doc = json.loads(files["session.json"])
            doc["datasets"] += [{"path": "../outside/x.txt", "kind": "corpus"},
                                {"path": "/nonexistent/c.txt", "kind": "corpus"}, *extra]
            for rel, target in links:
                files[rel] = symlink(target)
                doc["datasets"].append({"path": rel, "kind": None})
            text = json.dumps(doc, indent=1, ensure_ascii=False).replace(os.path.realpath(outside),
                                                                         PLACEHOLDER + "/../outside")
            files["session.json"] = text.encode("utf-8")
            files["../outside/x.txt"] = SESSION_CORPUS.encode()
            files["../outside/y.tsv"] = SESSION_EDGES.encode()
            return Case(tuple(sorted(files.items())), "", (), f"saved session {name}")

        cases.append(make("full", [("data/c.txt", SESSION_CORPUS, "corpus"), ("data/g.tsv", SESSION_EDGES, "edgelist"),
                                   ("data/v.txt", "@vectors", "word2vec-text"),
                                   ("data/h.tsv", SESSION_HIERARCHY, "hierarchy")],
                          {"graph_model": "graph", "space_model": "space", "projection": "pca"},
                          [("trained", small_embedding(4, 3)), ("graph", dynamic.embedding),
                           ("space", small_embedding(3, 2))], graph=dynamic, space=tag, map_rows=4))
        cases.append(make("graph", [("data/g.tsv", SESSION_EDGES, "edgelist"),
                                    ("data/ui.txt", SESSION_USER_ITEMS, "user-items")],
                          {"graph_model": "g"}, [("g", static.embedding)], graph=static))
        cases.append(make("space", [("data/docs.txt", SESSION_LABELLED, "labelled"),
                                    ("data/corpus/a.txt", SESSION_CORPUS, "corpus"),
                                    ("data/corpus/sub/b.txt.gz", gzip.compress(SESSION_CORPUS.encode(), mtime=0), "corpus"),
                                    ("data/c.txt", SESSION_CORPUS, "corpus")],
                          {"space_model": "items"}, [("items", small_embedding(3, 2))], space=page,
                          links=(("data/alias.txt", "c.txt"), ("data/out.txt", "../../outside/x.txt"),
                                 ("data/abs.txt", PLACEHOLDER + "/../outside/y.tsv"))))
        # the corpus folder itself as a dataset (the three above list its files)
        last = cases[-1]
        files = dict(last.files)
        doc = json.loads(files["session.json"])
        doc["datasets"] = [d for d in doc["datasets"] if not str(d.get("path", "")).startswith("data/corpus/")]
        doc["datasets"].append({"path": "data/corpus", "kind": "corpus"})
        files["session.json"] = json.dumps(doc, indent=1).encode()
        cases[-1] = dataclasses.replace(last, files=tuple(sorted(files.items())))
    return cases
