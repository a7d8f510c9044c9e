"""PyTorch-BigGraph (PBG 1.0) interop: write a graph as PBG's input files, read its checkpoints back.

:func:`export_pbg` writes everything ``torchbiggraph_train`` needs into one folder (every file
atomically; absolute paths in the config)::

    folder/
      config.json                        PBG config, ConfigSchema keys only (for parse_config)
      config.py                          the same dict from get_torchbiggraph_config()
      names.json                         EmbedStudio's map: PBG's (type, partition, offset) -> entity id
      entity_count_<type>_<part>.txt     entities in the partition, one integer
      entity_names_<type>_<part>.json    their names; position in the list = partition-local offset
      dynamic_rel_count.txt              dynamic relations only: number of relations
      dynamic_rel_names.json             dynamic relations only: names, index = relation id
      edges/edges_<lhs>_<rhs>.h5         all P x P buckets: contiguous int32 lhs, rhs, rel
      checkpoints/                       PBG's checkpoint_path (PBG creates it)
      run-rank.sh, HOW-TO-RUN.txt        for several machines only (see embedstudio.data.pbg_cluster)

* ``<type>`` is the entity type's PBG name: the graph's type name when it is made of ASCII
  letters, digits, ``_`` and ``-`` (starting with a letter or digit), else ``type<k>``; names.json
  keeps the original.
* **Partitions**: every type used by a relation gets ``partitions`` partitions; partition ``p`` of a
  type of ``N`` entities holds positions ``[ceil(p*N/P), ceil((p+1)*N/P))`` of a permutation of that
  type's ids (seeded with ``seed``, as PBG's importer shuffles; with one partition the ids keep their
  order). A type no relation uses always has one partition (PBG only checkpoints partitioned types
  that take part in a relation).
* **Relations**: when every relation joins the same (head type, tail type), PBG's *dynamic*
  relations (one ``relations`` entry; ``rel`` in the buckets indexes ``dynamic_rel_names.json``),
  else one *static* ``relations`` entry per relation with its lhs/rhs type (``rel`` indexes
  ``config.relations``). Relation ids are the graph's either way.
* **Buckets**: ``edges_<l>_<r>.h5`` holds the edges whose head is in partition ``l`` of its type and
  whose tail is in partition ``r``, in their input order; ``lhs``/``rhs`` are partition-local
  offsets; root attribute ``format_version=1``; an empty bucket has datasets of shape (0,).
  Edge weights are not exported (PBG 1.0 has per-relation weights only).
* An existing ``checkpoints/`` folder is left alone: PBG *resumes* from the checkpoint it finds
  there, so export into a fresh folder (or pass another ``checkpoint_path``) to train anew.

Checkpoints are read back by :func:`embedstudio.data.pbg_import.import_pbg`.
"""

from __future__ import annotations

import json
import os
import pprint
import re

import numpy as np

from embedstudio.config import ConfigError
from embedstudio.data import pbg_cluster
from embedstudio.storage import atomic_write

__all__ = ["DEFAULT_CONFIG", "NAMES_FILE", "export_pbg", "pbg_settings", "pbg_type_names"]

NAMES_FILE = "names.json"
NAMES_TAG = "embedstudio-pbg-export"
_NAMES_VERSION = 1
FORMAT_VERSION = 1  # PBG's format_version attribute of edge, embedding and model files

DEFAULT_CONFIG: dict = {
    "dimension": 100,
    "operator": "complex_diagonal",  # goes into every relations entry (PBG has no top-level key)
    "comparator": "dot",
    "loss_fn": "ranking",
    "margin": 0.1,
    "lr": 0.1,
    "num_epochs": 5,
    "batch_size": 1000,
    "num_batch_negs": 100,
    "num_uniform_negs": 100,
    "workers": 2,
    "hogwild_delay": 0.0,  # PBG's default sleeps 2 s per bucket in the first epoch
    "eval_fraction": 0.0,  # PBG's default holds back 5% of every bucket for its own evaluation
    "global_emb": False,  # PBG's default (True) is an error with dynamic relations
    "verbose": 0,
}
"""Training settings :func:`export_pbg` writes unless its ``config`` says otherwise."""

_RELATION_KEYS = ("operator", "all_negs", "weight")  # per-relation settings accepted at top level
_PBG_OPERATORS = ("none", "diagonal", "translation", "linear", "affine", "complex_diagonal")
_SAFE_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
_INT32_MAX = np.iinfo(np.int32).max


# --------------------------------------------------------------------------- export
def pbg_settings(config) -> tuple[dict, list[str]]:
    """PBG config keys carrying a :class:`~embedstudio.train.graph.GraphConfig`'s training settings,
    so a graph handed to PBG's distributed trainer trains as it would here; and the settings PBG has
    no equivalent for, in words (PBG's optimizer is always Adagrad; its seed is not a config key)."""
    settings = {
        "dimension": config.dim, "operator": config.operator, "comparator": config.comparator,
        "loss_fn": config.loss, "margin": config.margin, "lr": config.lr, "num_epochs": config.epochs,
        "batch_size": config.batch_size, "num_batch_negs": config.batch_negatives,
        "num_uniform_negs": config.uniform_negatives, "init_scale": config.init_scale,
        "workers": config.threads,
    }
    if config.relation_lr is not None:
        settings["relation_lr"] = config.relation_lr
    left_out = []
    if config.optimizer != "adagrad":
        left_out.append(f"optimizer {config.optimizer} (PBG always uses Adagrad)")
    return settings, left_out


def pbg_type_names(type_names: list[str]) -> list[str]:
    """The entity type names used in PBG's file names (see the module docstring)."""
    out: list[str] = []
    for k, name in enumerate(type_names):
        cand = name if _SAFE_TYPE.match(name) else f"type{k}"
        base, i = cand, 1
        while cand in out:
            cand, i = f"{base}_{i}", i + 1
        out.append(cand)
    return out


def _part_start(p: int, n: int, parts: int) -> int:
    """PBG's partition boundary ceil(p * n / parts), in integers."""
    return -(-p * n // parts)


def export_pbg(graph, folder: str | os.PathLike, *, edges: np.ndarray | None = None, partitions: int = 1,
               config: dict | None = None, seed: int = 0, dynamic: bool | None = None, machines: int = 1,
               init_method: str | None = None, interface: str | None = None, check_here: bool = False) -> str:
    """Write ``graph`` (a :class:`~embedstudio.data.edgelist.GraphData`) as PBG input into ``folder``.

    ``edges`` (int (n, 3) rows ``head, relation, tail`` in the graph's ids) defaults to
    ``graph.edges``; pass a training split's rows to export only those. ``partitions`` splits every
    entity type used by a relation into that many partitions (P x P edge buckets). ``config``
    overrides any key of the written PBG config (see :data:`DEFAULT_CONFIG`; ``operator``,
    ``all_negs`` and ``weight`` go into every ``relations`` entry). ``dynamic`` forces PBG's dynamic
    (True) or static (False) relations; None chooses dynamic exactly when every relation has the
    same (head type, tail type). Returns the path of the written ``config.json``; the layout is in
    the module docstring.

    ``machines`` > 1 writes for PBG's distributed trainer, rank 0 serving ``init_method``
    (``tcp://HOST:PORT``), plus ``run-rank.sh`` and ``HOW-TO-RUN.txt``; ``interface`` is the
    ``GLOO_SOCKET_IFNAME`` the script sets (default: ``lo`` for a loopback host, else unset);
    ``check_here`` also checks that this machine can serve the address. The cluster settings are
    checked before anything is written; a bad one is a ConfigError (see
    :mod:`embedstudio.data.pbg_cluster`).
    """
    folder = os.path.abspath(os.fspath(folder))
    names = list(graph.names)
    n = len(names)
    entity_type = np.asarray(graph.entity_type, dtype=np.int64).reshape(-1)
    type_names = [str(t) for t in graph.type_names]
    n_types = len(type_names)
    relation_names = [str(r) for r in graph.relation_names]
    n_rel = len(relation_names)
    rel_types = np.asarray(graph.relation_types, dtype=np.int64).reshape(-1, 2)
    rows = np.asarray(graph.edges if edges is None else edges)
    rows = np.empty((0, 3), dtype=np.int64) if rows.size == 0 else rows.astype(np.int64, copy=False)

    # ---- checks (programming errors: the GraphData reader already validated its file)
    if int(partitions) != partitions or partitions < 1:
        raise ValueError(f"partitions must be a positive integer, got {partitions!r}")
    partitions = int(partitions)
    cluster = pbg_cluster.check_cluster(machines, partitions, init_method, interface=interface, here=check_here)
    if cluster and set(cluster) & set(config or {}):
        raise ConfigError(f"set {', '.join(sorted(set(cluster) & set(config)))} through the machines and init "
                          "address, not in the config")
    if len(entity_type) != n:
        raise ValueError(f"{len(entity_type)} entity types for {n} names")
    if n_rel == 0 or rel_types.shape[0] != n_rel:
        raise ValueError(f"need one (head type, tail type) row per relation: {n_rel} relations, "
                         f"relation_types of shape {rel_types.shape}")
    if n and (entity_type.min() < 0 or entity_type.max() >= n_types):
        raise ValueError(f"entity types must be in [0, {n_types})")
    if rel_types.min() < 0 or rel_types.max() >= n_types:
        raise ValueError(f"relation types must be in [0, {n_types})")
    if rows.ndim != 2 or rows.shape[1] != 3:
        raise ValueError(f"edges must have shape (n_edges, 3), got {rows.shape}")
    h, r, t = rows[:, 0], rows[:, 1], rows[:, 2]
    if len(rows):
        if h.min() < 0 or t.min() < 0 or max(h.max(), t.max()) >= n:
            raise ValueError(f"edge entity ids must be in [0, {n})")
        if r.min() < 0 or r.max() >= n_rel:
            raise ValueError(f"edge relation ids must be in [0, {n_rel})")
        bad = np.flatnonzero((entity_type[h] != rel_types[r, 0]) | (entity_type[t] != rel_types[r, 1]))
        if len(bad):
            i = int(bad[0])
            ri = int(r[i])
            raise ValueError(
                f"edge {i} ({names[h[i]]!r}, {relation_names[ri]!r}, {names[t[i]]!r}) joins types "
                f"({type_names[entity_type[h[i]]]}, {type_names[entity_type[t[i]]]}) but relation "
                f"{relation_names[ri]!r} joins ({type_names[rel_types[ri, 0]]}, {type_names[rel_types[ri, 1]]})")
    same_types = bool((rel_types == rel_types[0]).all())
    if dynamic is None:
        dynamic = same_types
    elif dynamic and not same_types:
        raise ValueError("dynamic relations need every relation to join the same (head type, tail type)")
    dynamic = bool(dynamic)

    settings = {**DEFAULT_CONFIG, **(config or {})}
    relation_settings = {k: settings.pop(k) for k in _RELATION_KEYS if k in settings}
    operator = relation_settings.get("operator", "none")
    if operator not in _PBG_OPERATORS:
        raise ValueError(f"unknown PBG operator {operator!r}; known: {', '.join(_PBG_OPERATORS)}")
    if operator == "complex_diagonal" and int(settings["dimension"]) % 2:
        raise ValueError(f"complex_diagonal needs an even dimension, got {settings['dimension']}")

    # ---- partitions: a permutation of each type's ids, cut into contiguous ranges
    pbg_types = pbg_type_names(type_names)
    used = set(int(k) for k in rel_types.ravel())
    nparts = [partitions if k in used else 1 for k in range(n_types)]
    rng = np.random.default_rng(seed)
    part_of = np.zeros(n, dtype=np.int64)
    local_of = np.zeros(n, dtype=np.int64)
    ids_by_type: dict[str, list[list[int]]] = {}
    for k in range(n_types):
        members = np.flatnonzero(entity_type == k)
        if nparts[k] > 1:
            members = members[rng.permutation(len(members))]
        cut = [_part_start(p, len(members), nparts[k]) for p in range(nparts[k] + 1)]
        if len(members) and cut[1] - cut[0] > _INT32_MAX:
            raise ValueError(f"type {type_names[k]!r}: partitions of more than 2^31 entities do not fit int32")
        ids_by_type[pbg_types[k]] = []
        for p in range(nparts[k]):
            part = members[cut[p]:cut[p + 1]]
            part_of[part] = p
            local_of[part] = np.arange(len(part))
            ids_by_type[pbg_types[k]].append(part.tolist())

    os.makedirs(os.path.join(folder, "edges"), exist_ok=True)

    # ---- entity path
    for k in range(n_types):
        for p, part in enumerate(ids_by_type[pbg_types[k]]):
            _write_text(os.path.join(folder, f"entity_count_{pbg_types[k]}_{p}.txt"), f"{len(part)}\n")
            _write_text(os.path.join(folder, f"entity_names_{pbg_types[k]}_{p}.json"),
                        json.dumps([names[i] for i in part]))
    if dynamic:
        _write_text(os.path.join(folder, "dynamic_rel_count.txt"), f"{n_rel}\n")
        _write_text(os.path.join(folder, "dynamic_rel_names.json"), json.dumps(relation_names))

    # ---- edge buckets
    lp, rp = part_of[h], part_of[t]
    key = lp * partitions + rp
    order = np.argsort(key, kind="stable")
    bounds = np.zeros(partitions * partitions + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=partitions * partitions), out=bounds[1:])
    for b in range(partitions * partitions):
        sel = order[bounds[b]:bounds[b + 1]]
        _write_bucket(os.path.join(folder, "edges", f"edges_{b // partitions}_{b % partitions}.h5"),
                      local_of[h[sel]], local_of[t[sel]], r[sel])

    # ---- config (PBG's ConfigSchema keys only: it rejects unknown ones)
    if dynamic:
        relations = [{"name": "all_edges", "lhs": pbg_types[rel_types[0, 0]], "rhs": pbg_types[rel_types[0, 1]],
                      **relation_settings}]
    else:
        relations = [{"name": relation_names[i], "lhs": pbg_types[rel_types[i, 0]],
                      "rhs": pbg_types[rel_types[i, 1]], **relation_settings} for i in range(n_rel)]
    pbg_config = {
        "entity_path": folder,
        "edge_paths": [os.path.join(folder, "edges")],
        "checkpoint_path": os.path.join(folder, "checkpoints"),
        "entities": {pbg_types[k]: {"num_partitions": nparts[k]} for k in range(n_types)},
        "relations": relations,
        "dynamic_relations": dynamic,
    }
    pbg_config.update(settings)
    pbg_config.update(cluster)
    pbg_config = json.loads(json.dumps(pbg_config, default=_json_scalar))  # numpy scalars -> Python
    _write_text(os.path.join(folder, "config.py"), _config_py(pbg_config))
    mapping = {
        "format": NAMES_TAG, "format_version": _NAMES_VERSION, "source": os.fspath(getattr(graph, "path", "")),
        "names": names, "type_names": type_names, "pbg_type_names": pbg_types,
        "relation_names": relation_names, "relation_types": rel_types.tolist(),
        "relation_mode": "dynamic" if dynamic else "static", "partitions": partitions, "seed": seed,
        "n_edges": int(len(rows)), "ids": ids_by_type,
    }
    _write_text(os.path.join(folder, NAMES_FILE), json.dumps(mapping, ensure_ascii=False))
    config_path = os.path.join(folder, "config.json")
    _write_text(config_path, json.dumps(pbg_config, indent=2))
    if cluster:
        pbg_cluster.write_launch_files(folder, machines, cluster["distributed_init_method"], interface)
    else:
        for stale in (pbg_cluster.LAUNCH_SCRIPT, pbg_cluster.HOW_TO_FILE):  # an earlier cluster export's: they
            if os.path.isfile(os.path.join(folder, stale)):                  # would start this config on every
                os.remove(os.path.join(folder, stale))                       # machine, each training it all
    return config_path


def _json_scalar(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {value!r}")


def _config_py(config: dict) -> str:
    return (
        '"""PyTorch-BigGraph config written by EmbedStudio (the same as config.json beside it)."""\n\n\n'
        "def get_torchbiggraph_config():\n"
        f"    return {pprint.pformat(config, indent=4, width=100, sort_dicts=False)}\n"
    )


def _write_text(path: str, text: str) -> None:
    with atomic_write(path) as f:
        f.write(text.encode("utf-8"))


def _write_bucket(path: str, lhs: np.ndarray, rhs: np.ndarray, rel: np.ndarray) -> None:
    """One edge bucket: contiguous int32 datasets, written atomically (h5py writes into the open temp file)."""
    import h5py

    with atomic_write(path) as f, h5py.File(f, "w") as hf:
        hf.attrs["format_version"] = FORMAT_VERSION
        for name, arr in (("lhs", lhs), ("rhs", rhs), ("rel", rel)):
            hf.create_dataset(name, data=np.ascontiguousarray(arr, dtype=np.int32))


# --------------------------------------------------------------------------- sniffing
def is_pbg_folder(path: str | os.PathLike) -> bool:
    """A PBG checkpoint folder (``checkpoint_version.txt``), or a folder written by :func:`export_pbg`
    that PBG has trained (its ``checkpoints/`` has one)."""
    path = os.fspath(path)
    return os.path.isdir(path) and any(
        os.path.isfile(os.path.join(path, *parts, "checkpoint_version.txt")) for parts in ((), ("checkpoints",)))


def _sniff_pbg(sample) -> bool:
    return sample.is_dir and is_pbg_folder(sample.path)


def _register() -> None:
    from embedstudio.data.sniff import register_sniffer

    register_sniffer("pbg-checkpoint", _sniff_pbg, 5)  # before a folder is taken for a text corpus


_register()
