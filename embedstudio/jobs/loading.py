"""Opening files: what a dropped path is, its reader, and the first map of a vectors file."""

from __future__ import annotations

import os

from embedstudio.errors import DataFormatError
from embedstudio.session import SESSION_FILE, describe

MODEL_KINDS = ("pbg-checkpoint", "graph-model")  # files whose vectors come with relation operators


def model_kind(path: str) -> str | None:
    """EmbedStudio's own model files, known by their extension (their loaders check the content)."""
    return {".esgraph": "graph-model", ".esspace": "space-model"}.get(os.path.splitext(path)[1].lower())


def session_folder(path: str) -> str | None:
    """The session folder a path names: the folder itself or its session.json (File ▸ Save Session writes both)."""
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, SESSION_FILE)):
        return path
    if os.path.basename(path) == SESSION_FILE and os.path.isfile(path):
        return os.path.dirname(os.path.abspath(path))
    return None


def read_any(path: str, kind: str, min_count: int = 5):
    """The reader of ``kind`` (a sniffer's name, a model kind, or a vectors format) applied to ``path``."""
    if kind == "graph-model":
        from embedstudio.graphmodel import GraphModel

        return GraphModel.load(path)  # handled like a PyTorch-BigGraph checkpoint: explore, predict links
    if kind == "space-model":
        from embedstudio.starspacemodel import SpaceModel

        return SpaceModel.load(path)
    if kind == "hierarchy":
        from embedstudio.data.hierarchy import read_hierarchy

        return read_hierarchy(path)
    if kind == "corpus":
        from embedstudio.data.corpus import read_corpus

        return read_corpus(path, min_count=min_count)
    if kind == "edgelist":
        from embedstudio.data.edgelist import read_edgelist

        return read_edgelist(path)
    if kind == "labelled":
        from embedstudio.data.labelled import read_labelled

        return read_labelled(path)
    if kind == "user-items":
        from embedstudio.data.labelled import read_user_items

        return read_user_items(path)
    if kind == "pbg-checkpoint":
        from embedstudio.data.pbg import import_pbg

        return import_pbg(path)  # a GraphModel: its vectors are explored, its relations score links
    from embedstudio.data.vectors_io import read_vectors

    return read_vectors(path, format=kind)


def load_paths(paths: list[str], min_count: int = 5, kinds: list[str | None] | None = None):
    """Job: read each file; yields ("loaded", Dataset, map coords or None) or ("error", message).

    A kind of None is sniffed; "hierarchy" and "user-items" must be asked for (a two-column edge list
    looks like either)."""
    from embedstudio.analysis.projection import pca
    from embedstudio.data.sniff import detect

    for path, kind in zip(paths, kinds or [None] * len(paths)):
        try:
            kind = kind or model_kind(path) or detect(path)
            data = read_any(path, kind, min_count)
        except DataFormatError as e:
            yield ("error", str(e))
            continue
        except OSError as e:
            yield ("error", f"{path}: {e.strerror or e}")
            continue
        dataset = describe(path, kind, data)
        vectors = data.embedding.vectors if kind in MODEL_KINDS else getattr(data, "vectors", None)
        if kind == "space-model":
            vectors = None  # its embedding is made (words and labels, no bigram rows) when it is added
        coords = pca(vectors)[0] if vectors is not None and (dataset.is_vectors or kind in MODEL_KINDS) and \
            len(vectors) else None
        yield ("loaded", dataset, coords)
