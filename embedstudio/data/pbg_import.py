"""Read a PyTorch-BigGraph checkpoint back (the other half of :mod:`embedstudio.data.pbg`).

:func:`import_pbg` reads a checkpoint (``checkpoint_version.txt``, PBG's resolved ``config.json``,
``embeddings_<type>_<part>.vN.h5``, ``model.vN.h5``) and the entity names from the config's
``entity_path`` into a :class:`~embedstudio.graphmodel.GraphModel`. Nothing is unpickled: the
optimizer states stored beside the parameters are never read. Every problem with the files is a
:class:`~embedstudio.data.errors.DataFormatError` naming the file. A partition's names, its embedding
rows and its ``entity_count_<type>_<part>.txt`` must agree (the one that differs from the other two is
named); a missing count file is accepted (PBG always writes one, but entity files copied by hand may
come without it), and the names and rows are then checked against each other.
"""

from __future__ import annotations

import glob
import json
import os
import re
from typing import NamedTuple

import numpy as np

from embedstudio.data.errors import DataFormatError
from embedstudio.data.pbg import FORMAT_VERSION, NAMES_FILE, NAMES_TAG
from embedstudio.graphmodel import GraphModel, identity_params
from embedstudio.storage import READ_ERRORS, special_file_reason
from embedstudio.vectors import Embedding

__all__ = ["import_pbg"]

_MAX_UNNAMED_RELATIONS = 1 << 20  # dynamic relations named "0", "1", ... when dynamic_rel_names.json is missing
_MAX_LINEAR_PARAMS = 1 << 27  # float32 parameters (512 MiB) of static relations recast as one linear operator

_SUPPORTED_OPERATORS = ("none", "diagonal", "translation", "complex_diagonal", "linear")
_SUPPORTED_COMPARATORS = ("dot", "cos")
# Parameter names of PBG's operators: (static operator, dynamic operator).
_PARAM_NAMES = {
    "diagonal": (("diagonal",), ("diagonals",)),
    "translation": (("translation",), ("translations",)),
    "complex_diagonal": (("real", "imag"), ("real", "imag")),
    "linear": (("linear_transformation",), ("linear_transformations",)),
    "none": ((), ()),
}
_PUBLIC_OPERATOR = re.compile(r"relations/(?P<idx>[^./]+)/operator/(?P<side>[^./]+)/(?P<param>[^./]+)")
_PUBLIC_GLOBAL = re.compile(r"entities/(?P<type>[^./]+)/global_embedding")
_VERSIONED_FILE = re.compile(r"(?:embeddings_.+|model)\.v([0-9]+)\.h5")
_MAX_INT_FILE = 64  # bytes of checkpoint_version.txt and the count files: one integer and a newline


def import_pbg(checkpoint_path_or_folder: str | os.PathLike, *, version: int | None = None,
               entity_path: str | os.PathLike | None = None, within: str | os.PathLike | None = None) -> GraphModel:
    """A :class:`GraphModel` from a PBG checkpoint.

    ``checkpoint_path_or_folder`` is PBG's checkpoint folder, or a folder written by
    :func:`export_pbg` (its config's ``checkpoint_path`` is followed). ``version`` picks a checkpoint
    version (default: the one in ``checkpoint_version.txt``). Entity names come from the checkpoint
    config's ``entity_path`` -- or, when it is not reachable (the files moved), from the checkpoint
    folder's parent; ``entity_path`` overrides both. With an :func:`export_pbg` ``names.json`` there,
    entity ids, type names and relation names are the exported graph's; otherwise entities are
    ordered by type (config order), partition and offset.

    Embedding keys are the entity names, with the type name as the ``type`` metadata column.
    PBG's ``max_norm`` (applied when PBG looks embeddings up) and ``global_emb`` (a vector per type
    added before the operator) are folded into the vectors, so scores equal PBG's. Static relations
    with different operators are expressed in a common one (``none`` plus one other: that one;
    otherwise ``linear``). Not representable, hence a DataFormatError: featurized entities,
    ``bias``, the l2/squared_l2 comparators, the affine operator.

    ``within`` confines the reading to one folder (a session's): a checkpoint or entity folder that the
    config names elsewhere is not followed, as if it were not there.
    """
    root = None if within is None else os.path.realpath(os.fspath(within))
    ckpt_dir = _checkpoint_dir(os.path.abspath(os.fspath(checkpoint_path_or_folder)), root)
    version = _checked_version(ckpt_dir, version)
    config_path = os.path.join(ckpt_dir, "config.json")
    cfg = _read_json(config_path, dict, "PBG config")

    # ---- the config
    def bad_config(reason: str) -> DataFormatError:
        return DataFormatError(config_path, None, reason)

    try:
        entities = cfg["entities"]
        relations = cfg["relations"]
        dim = int(cfg["dimension"])
        dynamic = bool(cfg.get("dynamic_relations", False))
        comparator = cfg.get("comparator", "cos")
        type_parts = {str(t): int(e.get("num_partitions", 1)) for t, e in entities.items()}
        featurized = [str(t) for t, e in entities.items() if e.get("featurized", False)]
        rel_specs = [(str(rs["name"]), str(rs["lhs"]), str(rs["rhs"]), str(rs.get("operator", "none")))
                     for rs in relations]
        max_norm = cfg.get("max_norm")
        max_norm = None if max_norm is None else float(max_norm)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:  # OverflowError: Infinity
        raise bad_config(f"not a PBG config ({type(e).__name__}: {e})") from None
    if not entities or not rel_specs or dim < 1 or any(p < 1 for p in type_parts.values()):
        raise bad_config("not a PBG config (no entities, no relations or a bad dimension/num_partitions)")
    if featurized:
        raise bad_config(f"featurized entity types are not supported: {', '.join(featurized)}")
    if cfg.get("bias", False):
        raise bad_config("bias=true is not supported (the first coordinate would be a bias term)")
    if comparator not in _SUPPORTED_COMPARATORS:
        raise bad_config(f"comparator {comparator!r} is not supported (only {', '.join(_SUPPORTED_COMPARATORS)})")
    for name, lhs, rhs, op in rel_specs:
        if lhs not in type_parts or rhs not in type_parts:
            raise bad_config(f"relation {name!r} joins undeclared entity types ({lhs}, {rhs})")
        if op not in _SUPPORTED_OPERATORS:
            raise bad_config(f"operator {op!r} of relation {name!r} is not supported "
                             f"(only {', '.join(_SUPPORTED_OPERATORS)})")
    if dynamic and len(rel_specs) != 1:
        raise bad_config(f"dynamic relations need exactly one relations entry, found {len(rel_specs)}")
    if any(op == "complex_diagonal" for *_, op in rel_specs) and dim % 2:
        raise bad_config(f"complex_diagonal needs an even dimension, got {dim}")

    ent_dir = _entity_dir(cfg, config_path, ckpt_dir, list(type_parts), entity_path, root)
    mapping = _read_mapping(ent_dir)

    # ---- entities: names and embeddings of every (type, partition)
    pbg_types = list(type_parts)
    blocks: dict[tuple[str, int], tuple[list[str], np.ndarray]] = {}
    for t in pbg_types:
        for p in range(type_parts[t]):
            names_path = os.path.join(ent_dir, f"entity_names_{t}_{p}.json")
            part_names = _read_json(names_path, list, "PBG entity names")
            if not all(isinstance(x, str) for x in part_names):
                raise DataFormatError(names_path, None, "entity names must be strings")
            count_path = os.path.join(ent_dir, f"entity_count_{t}_{p}.txt")
            count = _read_entity_count(count_path)
            emb_path = os.path.join(ckpt_dir, f"embeddings_{t}_{p}.v{version}.h5")
            sizes = _PartitionSizes(names_path, len(part_names), count_path, count)
            blocks[t, p] = (part_names, _read_embeddings(emb_path, dim, sizes))

    # ---- operators and global embeddings from the model file
    global_emb = bool(cfg.get("global_emb", not dynamic))  # PBG's default: True (impossible when dynamic)
    needs_model = any(op != "none" for *_, op in rel_specs) or global_emb
    model_path = os.path.join(ckpt_dir, f"model.v{version}.h5")
    params = _read_model(model_path) if needs_model or os.path.exists(model_path) else {}
    if dynamic:
        _, lhs_t, rhs_t, operator = rel_specs[0]
        rel_names = _dynamic_relation_names(ent_dir)
        n_rel = len(rel_names)
        lhs_params = _operator_params(params, model_path, "lhs", 0, operator, dim, n_rel)
        rhs_params = _operator_params(params, model_path, "rhs", 0, operator, dim, n_rel)
        rel_type_names = [(lhs_t, rhs_t)] * n_rel
    else:
        rel_names = [name for name, *_ in rel_specs]
        n_rel = len(rel_names)
        per_rel = [(op, _operator_params(params, model_path, "rhs", i, op, dim, None))
                   for i, (*_, op) in enumerate(rel_specs)]
        operator, rhs_params = _common_operator(per_rel, dim, config_path)
        lhs_params = identity_params(operator, n_rel, dim)
        rel_type_names = [(lhs, rhs) for _, lhs, rhs, _ in rel_specs]
    global_embs: dict[str, np.ndarray] = {}
    if global_emb:
        for t in pbg_types:
            key = f"global_embs.emb_{t}"
            if key not in params:
                raise DataFormatError(model_path, None, f"global_emb is on but {key} is missing")
            global_embs[t] = _shaped(params[key], (dim,), model_path, key)

    # ---- assemble, in the exported graph's ids when names.json describes these files
    if mapping is not None:
        ids_of, type_names, rel_names = _mapped_order(mapping, ent_dir, blocks, type_parts, rel_names)
        type_index = {t: k for k, t in enumerate(mapping["pbg_type_names"])}
    else:
        ids_of, start = {}, 0
        for t in pbg_types:
            for p in range(type_parts[t]):
                ids_of[t, p] = list(range(start, start + len(blocks[t, p][0])))
                start += len(blocks[t, p][0])
        type_names = pbg_types
        type_index = {t: k for k, t in enumerate(pbg_types)}
    n = sum(len(part_names) for part_names, _ in blocks.values())
    vectors = np.empty((n, dim), dtype=np.float32)
    keys: list[str] = [""] * n
    entity_type = np.empty(n, dtype=np.int32)
    for (t, p), (part_names, emb) in blocks.items():
        emb = _lookup(emb, max_norm)
        if t in global_embs:
            emb = emb + global_embs[t]
        ids = np.asarray(ids_of[t, p], dtype=np.int64)
        vectors[ids] = emb
        entity_type[ids] = type_index[t]
        for i, name in zip(ids_of[t, p], part_names):
            keys[i] = name
    relation_types = np.array([[type_index[a], type_index[b]] for a, b in rel_type_names],
                              dtype=np.int32).reshape(-1, 2)

    info = {
        "source": "pytorch-biggraph", "checkpoint": ckpt_dir, "version": version, "entity_path": ent_dir,
        "config": {k: cfg.get(k) for k in ("dimension", "loss_fn", "margin", "lr", "num_epochs", "max_norm",
                                            "global_emb", "init_scale", "num_batch_negs", "num_uniform_negs")},
    }
    embedding = Embedding(keys, vectors, metadata={"type": [type_names[k] for k in entity_type]}, info=info)
    try:
        return GraphModel(embedding, entity_type, list(type_names), list(rel_names), relation_types, operator,
                          comparator, lhs_params, rhs_params, info, "dynamic" if dynamic else "static")
    except ValueError as e:
        raise DataFormatError(config_path, None, f"inconsistent checkpoint: {e}") from None


def _inside_root(path: str, root: str | None) -> bool:
    return root is None or os.path.commonpath([os.path.realpath(path), root]) == root


def _checkpoint_dir(path: str, root: str | None = None) -> str:
    """The checkpoint folder meant by ``path`` (a checkpoint folder or file, or an export folder); with
    ``root``, only folders inside it are followed."""
    folder = os.path.dirname(path) if os.path.isfile(path) else path
    if not os.path.isdir(folder):
        raise DataFormatError(path, None, "no such folder (expected a PBG checkpoint folder)")
    if os.path.exists(os.path.join(folder, "checkpoint_version.txt")) or glob.glob(
            os.path.join(glob.escape(folder), "model.v*.h5")):
        return folder
    if os.path.exists(os.path.join(folder, NAMES_FILE)) and os.path.exists(os.path.join(folder, "config.json")):
        # An export folder: follow its checkpoint_path, or checkpoints/ when the folder was moved.
        cfg = _read_json(os.path.join(folder, "config.json"), dict, "PBG config")
        target = cfg.get("checkpoint_path")
        if isinstance(target, str) and target:
            target = target[len("file://"):] if target.startswith("file://") else target
            target = target if os.path.isabs(target) else os.path.join(folder, target)
            if os.path.isdir(target) and _inside_root(target, root):
                return target
        fallback = os.path.join(folder, "checkpoints")
        if os.path.isdir(fallback):
            return fallback
        raise DataFormatError(target if isinstance(target, str) and target else fallback, None,
                              "no PBG checkpoint yet: train on this export first")
    if os.path.isdir(os.path.join(folder, "checkpoints")):
        return os.path.join(folder, "checkpoints")
    return folder


def _read_int(path: str, what: str, minimum: int) -> int:
    """The one integer of a small text file PBG writes (``N`` and a newline), read with a bound:
    anything else on line 1 is refused. FileNotFoundError is the caller's to word."""
    _refuse_special(path)
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_INT_FILE + 1)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise DataFormatError(path, None, f"cannot read {what}: {e}") from None
    if len(data) > _MAX_INT_FILE:  # a truncated read of a longer file would be a silent misread
        raise DataFormatError(path, 1, f"more than {_MAX_INT_FILE} bytes: expected {what}, one integer")
    text = data.decode("utf-8", "replace").strip()
    if not text:
        raise DataFormatError(path, 1, f"empty: expected {what}")
    if not re.fullmatch(r"[0-9]+", text):  # not isdigit(): it takes "²" and other Unicode digits
        raise DataFormatError(path, 1, f"holds {text[:20]!r}, not {what}")
    if int(text) < minimum:
        raise DataFormatError(path, 1, f"holds {int(text)}, expected {what} >= {minimum}")
    return int(text)


def _versions_held(folder: str) -> list[int]:
    """The checkpoint versions with an embeddings or model file in ``folder``."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted({int(m[1]) for name in names if (m := _VERSIONED_FILE.fullmatch(name))})


def _versions(held: list[int]) -> str:
    return f"version{'s' * (len(held) > 1)} {', '.join(map(str, held))}"


def _checked_version(ckpt_dir: str, version) -> int:
    """The checkpoint version to read: ``version``, else checkpoint_version.txt's; either way one
    the folder has files of (so a wrong version is blamed on its source, not on a missing .h5)."""
    path = os.path.join(ckpt_dir, "checkpoint_version.txt")
    held = _versions_held(ckpt_dir)
    from_file = version is None
    if from_file:
        try:
            version = _read_int(path, "a checkpoint version number", 1)
        except FileNotFoundError:
            hint = (f"it holds checkpoint {_versions(held)}: pass version=" if held
                    else "it holds no embeddings_*.vN.h5 either: has training finished an epoch yet?")
            raise DataFormatError(path, None, "no checkpoint_version.txt: is this PyTorch-BigGraph's checkpoint "
                                              f"folder? ({hint})") from None
    version = int(version)
    if version not in held:
        files = f"embeddings_*.v{version}.h5 or model.v{version}.h5"
        others = f"it holds only {_versions(held)}" if held else "it holds no other version either"
        if from_file:
            raise DataFormatError(path, 1, f"version {version}, but the folder has no {files}; {others}")
        raise DataFormatError(ckpt_dir, None, f"no checkpoint version {version} in the folder (no {files}); {others}")
    return version


def _read_entity_count(path: str) -> int | None:
    """entity_count_<type>_<part>.txt, or None when it is missing: PBG always writes it, but entity files
    copied by hand may come without it (the names and embedding rows are still checked together)."""
    try:
        return _read_int(path, "an entity count", 0)
    except FileNotFoundError:
        return None


class _PartitionSizes(NamedTuple):
    """A partition's size as its names file and its entity_count file (None: missing) give it."""

    names_path: str
    names: int
    count_path: str
    count: int | None

    def check(self, emb_path: str, rows: int) -> None:
        """Names, embedding rows and count agree; else the odd one out is blamed, with all the numbers
        (the count file when all three differ)."""
        n, c = self.names, self.count
        names_f, count_f, emb_f = (os.path.basename(x) for x in (self.names_path, self.count_path, emb_path))
        if rows == n and c in (None, n):
            return
        if c is None or c == n:
            also = "" if c is None else f" ({count_f} says {c} too)"
            raise DataFormatError(emb_path, None, f"{rows} embedding rows for the {n} names of {names_f}{also}")
        if c == rows:
            raise DataFormatError(self.names_path, None, f"{n} names, but {emb_f} has {rows} embedding rows and "
                                                         f"{count_f} says {c} (names of another export?)")
        raise DataFormatError(self.count_path, 1, f"says {c} entities, but {names_f} has {n} names and {emb_f} "
                                                  f"{rows} embedding rows")


def _refuse_special(path: str) -> None:
    """A named pipe or device where a checkpoint file should be: opening it would block or read forever."""
    special = special_file_reason(path)
    if special:
        raise DataFormatError(path, None, special)


def _read_json(path: str, kind: type, what: str):
    _refuse_special(path)
    try:
        with open(path, "rb") as f:
            value = json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise DataFormatError(path, None, f"missing ({what})") from None
    except READ_ERRORS as e:
        raise DataFormatError(path, None, f"cannot read {what}: {e}") from None
    if not isinstance(value, kind):
        raise DataFormatError(path, None, f"not a {what} (expected a JSON {kind.__name__})")
    return value


def _entity_dir(cfg: dict, config_path: str, ckpt_dir: str, types: list[str], override, root=None) -> str:
    """The folder holding entity_names_<type>_<part>.json: the override, the config's entity_path,
    or the checkpoint folder's parent (an export moved with its checkpoints); with ``root``, only folders
    inside it."""
    marker = f"entity_names_{types[0]}_0.json"
    if override is not None:
        candidates = [os.path.abspath(os.fspath(override))]
    else:
        raw = cfg.get("entity_path")
        candidates = []
        if isinstance(raw, str) and raw:
            raw = raw[len("file://"):] if raw.startswith("file://") else raw
            if os.path.isabs(raw):
                candidates.append(raw)
            else:
                candidates += [os.path.abspath(raw), os.path.join(ckpt_dir, raw),
                               os.path.join(os.path.dirname(ckpt_dir), raw)]
        candidates += [os.path.dirname(ckpt_dir), ckpt_dir]
    for c in dict.fromkeys(candidates):
        if _inside_root(c, root) and os.path.isfile(os.path.join(c, marker)):
            return c
    where = "; ".join(dict.fromkeys(candidates))
    raise DataFormatError(config_path, None, f"entity_path {cfg.get('entity_path')!r} is not reachable: no {marker} "
                                             f"in {where}; pass entity_path= to import_pbg")


def _read_mapping(ent_dir: str) -> dict | None:
    path = os.path.join(ent_dir, NAMES_FILE)
    if not os.path.exists(path):
        return None
    mapping = _read_json(path, dict, "EmbedStudio PBG export map")
    if mapping.get("format") != NAMES_TAG:
        raise DataFormatError(path, None, "not an EmbedStudio PBG export map (wrong format tag)")
    try:
        ok = (isinstance(mapping["names"], list) and isinstance(mapping["ids"], dict)
              and len(mapping["type_names"]) == len(mapping["pbg_type_names"])
              and all(isinstance(t, str) for t in mapping["pbg_type_names"])
              and isinstance(mapping["relation_names"], list))
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise DataFormatError(path, None, "damaged EmbedStudio PBG export map (fields missing)")
    return mapping


def _mapped_order(mapping: dict, ent_dir: str, blocks: dict, type_parts: dict, rel_names: list[str]):
    """Global ids of each (type, partition) block from names.json, checked against the blocks' names."""
    path = os.path.join(ent_dir, NAMES_FILE)
    names = mapping["names"]
    n = len(names)
    if set(mapping["pbg_type_names"]) != set(type_parts):
        raise DataFormatError(path, None, f"entity types {mapping['pbg_type_names']} differ from the checkpoint "
                                          f"config's {list(type_parts)} (files of another export?)")
    order: dict[tuple[str, int], list[int]] = {}
    seen = np.zeros(n, dtype=bool)
    for (t, p), (part_names, _) in blocks.items():
        try:
            ids = mapping["ids"][t][p]
            ok = (len(ids) == len(part_names)
                  and all(isinstance(i, int) and 0 <= i < n and names[i] == name for i, name in zip(ids, part_names)))
        except (KeyError, IndexError, TypeError):
            ok = False
        if not ok:
            raise DataFormatError(path, None, f"does not match entity_names_{t}_{p}.json (written by another export?)")
        order[t, p] = ids
        if len(ids) and seen[ids].any():
            raise DataFormatError(path, None, "an entity id is listed twice")
        seen[ids] = True
    if not seen.all():
        raise DataFormatError(path, None, f"{int((~seen).sum())} entities are in no partition")
    if len(mapping["relation_names"]) != len(rel_names):
        raise DataFormatError(path, None, f"{len(mapping['relation_names'])} relations, the checkpoint has "
                                          f"{len(rel_names)}")
    return order, [str(x) for x in mapping["type_names"]], [str(x) for x in mapping["relation_names"]]


def _open_h5(path: str):
    import h5py

    if not os.path.exists(path):
        raise DataFormatError(path, None, "missing")
    _refuse_special(path)
    try:
        hf = h5py.File(path, "r")
    except READ_ERRORS as e:
        raise DataFormatError(path, None, f"not a readable HDF5 file: {e}") from None
    try:
        fv = hf.attrs.get("format_version", None)
    except READ_ERRORS as e:
        hf.close()
        raise DataFormatError(path, None, f"cannot read the attributes: {e}") from None
    if not isinstance(fv, (int, np.integer)) or fv != FORMAT_VERSION:  # also a string, a NaN, an array
        hf.close()
        raise DataFormatError(path, None, f"format_version {fv!r}, expected {FORMAT_VERSION}")
    return hf


def _read_embeddings(path: str, dim: int, sizes: _PartitionSizes) -> np.ndarray:
    import h5py

    hf = _open_h5(path)
    try:
        with hf:
            ds = hf.get("embeddings")
            if not isinstance(ds, h5py.Dataset):
                raise DataFormatError(path, None, "no 'embeddings' dataset")
            if ds.dtype.kind != "f":
                raise DataFormatError(path, None, f"embeddings of type {ds.dtype}, expected floats")
            if ds.ndim != 2 or ds.shape[1] != dim:
                raise DataFormatError(path, None, f"embeddings of shape {ds.shape}, expected (n, {dim})")
            sizes.check(path, ds.shape[0])  # before reading rows that may not belong
            emb = np.asarray(ds[...], dtype=np.float32)
    except DataFormatError:
        raise
    except READ_ERRORS as e:
        raise DataFormatError(path, None, f"cannot read the embeddings: {e}") from None
    if not np.isfinite(emb).all():
        raise DataFormatError(path, None, "embeddings hold NaN or infinite values (training diverged?)")
    return emb


def _read_model(path: str) -> dict[str, np.ndarray]:
    """The model's parameters by PBG's private state-dict key (checked against the dataset names)."""
    import h5py

    hf = _open_h5(path)
    out: dict[str, np.ndarray] = {}
    try:
        with hf:
            group = hf.get("model")
            if group is None:
                return out
            if not isinstance(group, h5py.Group):
                raise DataFormatError(path, None, "'model' is not a group")
            found: list[str] = []
            group.visit(found.append)
            for public in found:
                ds = group[public]
                if not isinstance(ds, h5py.Dataset):
                    continue
                derived = _private_name(public)
                key = ds.attrs.get("state_dict_key", None)
                if isinstance(key, bytes):
                    key = key.decode("utf-8", "replace")
                if key is not None and not isinstance(key, str):
                    raise DataFormatError(path, None, f"model/{public}: state_dict_key is not a string")
                if key is not None and derived is not None and key != derived:
                    raise DataFormatError(path, None, f"model/{public}: state_dict_key {key!r}, expected {derived!r}")
                key = key or derived
                if key is None:
                    continue  # a parameter this importer has no use for
                if ds.dtype.kind != "f":
                    raise DataFormatError(path, None, f"model/{public}: type {ds.dtype}, expected floats")
                out[key] = np.asarray(ds[...], dtype=np.float32)
    except DataFormatError:
        raise
    except READ_ERRORS as e:
        raise DataFormatError(path, None, f"cannot read the model parameters: {e}") from None
    for key, arr in out.items():
        if not np.isfinite(arr).all():
            raise DataFormatError(path, None, f"{key} holds NaN or infinite values")
    return out


def _private_name(public: str) -> str | None:
    m = _PUBLIC_OPERATOR.fullmatch(public)
    if m:
        return f"{m['side']}_operators.{m['idx']}.{m['param']}"
    m = _PUBLIC_GLOBAL.fullmatch(public)
    if m:
        return f"global_embs.emb_{m['type']}"
    return None


def _shaped(arr: np.ndarray, shape: tuple, path: str, key: str) -> np.ndarray:
    if arr.shape != shape:
        raise DataFormatError(path, None, f"{key} has shape {arr.shape}, expected {shape}")
    return arr


def _operator_params(params: dict, path: str, side: str, idx: int, operator: str, dim: int,
                     n_rel: int | None) -> np.ndarray:
    """One side's operator parameters in GraphModel's layout: (n_rel, P) for a dynamic operator
    (``n_rel`` given), (P,) for a static one. complex_diagonal becomes [real | imag]."""
    names = _PARAM_NAMES[operator][0 if n_rel is None else 1]
    lead = () if n_rel is None else (n_rel,)
    arrays = []
    for name in names:
        key = f"{side}_operators.{idx}.{name}"
        if key not in params:
            raise DataFormatError(path, None, f"the {operator} operator's parameter {key} is missing")
        shape = {"real": (dim // 2,), "imag": (dim // 2,), "linear_transformation": (dim, dim),
                 "linear_transformations": (dim, dim)}.get(name, (dim,))
        arrays.append(_shaped(params[key], lead + shape, path, key).reshape(lead + (-1,)))
    if not arrays:
        return np.zeros(lead + (0,), dtype=np.float32)
    return np.concatenate(arrays, axis=-1)


def _as_matrix(operator: str, p: np.ndarray, dim: int) -> np.ndarray:
    """A static operator (no translation) as the (dim, dim) matrix it multiplies vectors by."""
    if operator == "none":
        return np.eye(dim, dtype=np.float32)
    if operator == "diagonal":
        return np.diag(p)
    if operator == "linear":
        return p.reshape(dim, dim)
    half = dim // 2  # complex_diagonal: [re; im] -> [re*a - im*b; re*b + im*a]
    a, b = np.diag(p[:half]), np.diag(p[half:])
    return np.block([[a, -b], [b, a]]).astype(np.float32)


def _common_operator(per_rel: list[tuple[str, np.ndarray]], dim: int, config_path: str):
    """One operator for all static relations (GraphModel has one), and its (n_rel, P) parameters."""
    ops = {op for op, _ in per_rel}
    if len(ops) == 1:
        op = ops.pop()
        return op, np.stack([p for _, p in per_rel]).reshape(len(per_rel), -1)
    kinds = ops - {"none"}
    if len(kinds) == 1:
        op = kinds.pop()
        ident = identity_params(op, 1, dim)[0]
        return op, np.stack([p if o == op else ident for o, p in per_rel])
    if "translation" in kinds:
        raise DataFormatError(config_path, None, f"relations mix operators {sorted(ops)}, which one operator "
                                                 "cannot express")
    if len(per_rel) * dim * dim > _MAX_LINEAR_PARAMS:  # dim x dim from dim values each: bound what we build
        raise DataFormatError(config_path, None, f"relations mix operators {sorted(ops)}: one linear operator "
                                                 f"for them would take {len(per_rel) * dim * dim:,} parameters "
                                                 f"(dimension {dim:,}), more than {_MAX_LINEAR_PARAMS:,}")
    return "linear", np.stack([_as_matrix(o, p, dim).ravel() for o, p in per_rel])


def _dynamic_relation_names(ent_dir: str) -> list[str]:
    count_path = os.path.join(ent_dir, "dynamic_rel_count.txt")
    try:
        count = _read_int(count_path, "a relation count", 1)
    except FileNotFoundError:
        raise DataFormatError(count_path, None, "missing (a checkpoint with dynamic relations needs it)") from None
    names_path = os.path.join(ent_dir, "dynamic_rel_names.json")
    if not os.path.exists(names_path):
        if count > _MAX_UNNAMED_RELATIONS:  # nothing else bounds it: do not build a name for each
            raise DataFormatError(count_path, None, f"{count:,} relations but no dynamic_rel_names.json: more than "
                                                    f"{_MAX_UNNAMED_RELATIONS:,} relations need their names file")
        return [str(i) for i in range(count)]
    names = _read_json(names_path, list, "PBG relation names")
    if len(names) != count:
        raise DataFormatError(names_path, None,
                              f"{len(names)} names for the {count} relations of dynamic_rel_count.txt")
    if not all(isinstance(x, str) for x in names):  # str() would make null or a list a relation's name
        raise DataFormatError(names_path, None, "relation names must be strings")
    return names


def _lookup(emb: np.ndarray, max_norm: float | None) -> np.ndarray:
    """What PBG's embedding lookup returns: rows longer than max_norm scaled to it (as torch does)."""
    if max_norm is None:
        return emb
    norms = np.linalg.norm(emb.astype(np.float64), axis=1)
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    return (emb * scale[:, None]).astype(np.float32)
