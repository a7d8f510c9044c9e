"""Train with PyTorch-BigGraph 1.0, or score edges with PBG's own model code.

Runs under the *PBG* venv's Python (torch + torchbiggraph + h5py); it never imports embedstudio::

    /work/pbgvenv/bin/python benchmarks/pbg_train.py FOLDER/config.json [--set key=value ...]
    /work/pbgvenv/bin/python benchmarks/pbg_train.py --score FOLDER/config.json --edges EDGES.json [--out OUT.json]

Training loads the config (``.json``, or a ``.py`` defining ``get_torchbiggraph_config()``), applies
the ``--set`` overrides the way ``torchbiggraph_train -p`` does (dotted keys, comma lists), trains
with ``torchbiggraph.train.train`` and prints one final JSON line: wall time, edges and edges/s
(edges in the edge paths x epochs / wall time, PBG's start-up included).

``--score`` reads the checkpoint named by the config (PBG's resolved ``config.json`` in the
checkpoint folder is used, so training overrides count) without unpickling anything, builds PBG's
``MultiRelationEmbedder`` and runs its ``forward`` with every relation switched to ``all_negs``.
EDGES.json is ``{"edges": [[head_name, relation_index, tail_name], ...]}``; the output JSON has, for
each edge, PBG's two positive scores and its scores against every entity of the partition on each
side (``lhs_pos``: the score when the head is corrupted, ``lhs_neg[j]``: head candidate j;
``rhs_pos``/``rhs_neg``: the tail side), plus the candidate names of each (type, partition). PBG
masks the positive itself out of the negatives with -1e9.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time


def _stderr_logging(verbose: int = 0) -> None:
    """PBG logs to stdout by default; keep stdout for the result line."""
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if verbose > 0 else logging.INFO,
                        format="%(asctime)s %(processName)s %(name)s: %(message)s")
    logging.getLogger("torchbiggraph").setLevel(logging.DEBUG if verbose > 0 else logging.INFO)


def _fix_optional_check() -> None:
    """PBG's schema recognises ``Optional[X]`` by identity (``type_ is Optional[X]``); once torch's
    import has pushed the original object out of typing's 128-entry cache, ``config.to_dict()``
    fails with "Unknown type: typing.Optional[float]". Recognise it by structure instead (in the
    trainer and, through the subprocess initializer, in every worker)."""
    import typing

    from torchbiggraph import schema

    def unpack_optional(type_):
        args = typing.get_args(type_)
        if typing.get_origin(type_) is typing.Union and len(args) == 2 and type(None) in args:
            return args[0] if args[1] is type(None) else args[1]
        raise TypeError("Not an optional type")

    schema.unpack_optional = unpack_optional


def _load_config_dict(path: str, overrides: list[str]) -> dict:
    from torchbiggraph.config import ConfigFileLoader, override_config_dict

    if path.endswith(".py"):
        raw = ConfigFileLoader().load_raw_config(path)
    else:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    if overrides:
        raw = override_config_dict(raw, overrides)
    return raw


def _count_edges(edge_paths: list[str]) -> int:
    import glob

    import h5py

    total = 0
    for ep in edge_paths:
        for bucket in glob.glob(os.path.join(glob.escape(ep), "edges_*_*.h5")):
            with h5py.File(bucket, "r") as hf:
                total += int(hf["rel"].shape[0])
    return total


def train_main(args) -> None:
    from torchbiggraph.config import parse_config
    from torchbiggraph.train import train
    from torchbiggraph.util import SubprocessInitializer

    _fix_optional_check()
    raw = _load_config_dict(args.config, args.set)
    config = parse_config(raw)
    _stderr_logging(config.verbose)
    init = SubprocessInitializer()
    init.register(_stderr_logging, config.verbose)
    init.register(_fix_optional_check)
    n_edges = _count_edges(config.edge_paths)
    t0 = time.perf_counter()
    train(config, subprocess_init=init)
    wall = time.perf_counter() - t0
    version_file = os.path.join(config.checkpoint_path, "checkpoint_version.txt")
    with open(version_file) as f:
        version = int(f.read().strip())
    done = n_edges * config.num_epochs
    print(json.dumps({"mode": "train", "wall_s": round(wall, 3), "edges": n_edges, "epochs": config.num_epochs,
                      "edges_per_s": round(done / wall, 1) if wall > 0 else None, "dimension": config.dimension,
                      "checkpoint_path": config.checkpoint_path, "version": version}), flush=True)


def score_main(args) -> None:
    import torch
    from torch import nn
    from torchbiggraph.checkpoint_manager import model_state_dict_public_to_private
    from torchbiggraph.checkpoint_storage import FileCheckpointStorage
    from torchbiggraph.config import parse_config
    from torchbiggraph.edgelist import EdgeList
    from torchbiggraph.entitylist import EntityList
    from torchbiggraph.graph_storages import FileEntityStorage
    from torchbiggraph.model import make_model
    from torchbiggraph.types import Side

    _stderr_logging(0)
    _fix_optional_check()
    raw = _load_config_dict(args.config, args.set)
    storage = FileCheckpointStorage(raw["checkpoint_path"])
    raw = json.loads(storage.load_config())  # the resolved config PBG trained with
    for rel in raw["relations"]:
        rel["all_negs"] = True  # score against every entity of the partition (does not change parameters)
    raw["num_uniform_negs"] = 0  # meaningless with all_negs (PBG warns)
    config = parse_config(raw)
    version = storage.load_version()
    if version < 1:
        raise SystemExit(f"no checkpoint in {raw['checkpoint_path']}")

    model = make_model(config)
    public, _ = storage.load_model(version)  # the optimizer state (pickled) is not deserialized
    missing, unexpected = model.load_state_dict(model_state_dict_public_to_private(public), strict=False)
    if unexpected or any(not k.startswith(("lhs_embs", "rhs_embs")) for k in missing):
        raise SystemExit(f"model state mismatch: missing {missing}, unexpected {unexpected}")
    model.eval()

    entity_storage = FileEntityStorage(config.entity_path)
    names: dict[tuple[str, int], list[str]] = {}
    where: dict[str, dict[str, tuple[int, int]]] = {}
    embs: dict[tuple[str, int], torch.Tensor] = {}
    for t, econf in config.entities.items():
        where[t] = {}
        for p in range(econf.num_partitions):
            names[t, p] = entity_storage.load_names(t, p)
            for off, name in enumerate(names[t, p]):
                if name in where[t]:
                    raise SystemExit(f"entity name {name!r} appears twice in type {t}")
                where[t][name] = (p, off)
            embs[t, p], _ = storage.load_entity_partition(version, t, p)

    with open(args.edges, encoding="utf-8") as f:
        edges = json.load(f)["edges"]
    groups: dict[tuple, list[int]] = {}
    located = []
    for i, (head, rel, tail) in enumerate(edges):
        relation = config.relations[0 if config.dynamic_relations else rel]
        lp, lo = where[relation.lhs][head]
        rp, ro = where[relation.rhs][tail]
        located.append((lp, lo, rp, ro))
        key = (lp, rp) if config.dynamic_relations else (lp, rp, rel)
        groups.setdefault(key, []).append(i)

    results: list[dict | None] = [None] * len(edges)
    for key, members in groups.items():
        lp, rp = key[0], key[1]
        relation = config.relations[0 if config.dynamic_relations else key[2]]
        model.set_embeddings(relation.lhs, nn.Parameter(embs[relation.lhs, lp]), Side.LHS)
        model.set_embeddings(relation.rhs, nn.Parameter(embs[relation.rhs, rp]), Side.RHS)
        lhs = torch.tensor([located[i][1] for i in members], dtype=torch.long)
        rhs = torch.tensor([located[i][3] for i in members], dtype=torch.long)
        if config.dynamic_relations:
            rel = torch.tensor([edges[i][1] for i in members], dtype=torch.long)
        else:
            rel = torch.tensor(int(key[2]), dtype=torch.long)  # one relation per forward when static
        with torch.no_grad():
            scores = model(EdgeList(EntityList.from_tensor(lhs), EntityList.from_tensor(rhs), rel))
        for j, i in enumerate(members):
            results[i] = {
                "head": edges[i][0], "rel": edges[i][1], "tail": edges[i][2],
                "lhs_candidates": f"{relation.lhs}/{lp}", "rhs_candidates": f"{relation.rhs}/{rp}",
                "lhs_pos": float(scores.lhs_pos[j]), "rhs_pos": float(scores.rhs_pos[j]),
                "lhs_neg": scores.lhs_neg[j].tolist(), "rhs_neg": scores.rhs_neg[j].tolist(),
            }
        model.clear_embeddings(relation.lhs, Side.LHS)
        model.clear_embeddings(relation.rhs, Side.RHS)
    out = {"mode": "score", "version": version, "dynamic_relations": config.dynamic_relations,
           "candidates": {f"{t}/{p}": n for (t, p), n in names.items()}, "edges": results}
    text = json.dumps(out)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
        print(json.dumps({"mode": "score", "edges": len(results), "out": args.out}), flush=True)
    else:
        print(text, flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", help="config.json (or config.py) written by export_pbg")
    parser.add_argument("--set", action="extend", nargs="+", default=[], metavar="KEY=VALUE",
                        help="override a config key (dotted paths and comma lists as in torchbiggraph_train -p)")
    parser.add_argument("--score", action="store_true", help="score edges with the trained checkpoint instead")
    parser.add_argument("--edges", help="--score: JSON file {\"edges\": [[head, rel, tail], ...]}")
    parser.add_argument("--out", help="--score: write the scores here instead of stdout")
    args = parser.parse_args(argv)
    if args.score:
        if not args.edges:
            parser.error("--score needs --edges")
        score_main(args)
    else:
        train_main(args)


if __name__ == "__main__":
    main()
