"""The session model: what is loaded and trained. Plain Python with change callbacks (no Qt),
so widgets subscribe to it and own no truth of their own."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable

from embedstudio.vectors import Embedding


@dataclasses.dataclass
class Dataset:
    name: str
    path: str
    kind: str  # "corpus", "hierarchy", "edgelist", "labelled", "user-items" or a vector format name
    data: Any  # Corpus, Hierarchy, GraphData, LabelledDocs, UserItems or Embedding
    stats: dict

    @property
    def is_vectors(self) -> bool:
        return isinstance(self.data, Embedding)


def describe(path: str, kind: str, data) -> Dataset:
    name = os.path.basename(os.path.normpath(path)) or path
    if isinstance(data, Embedding):
        stats = {"vectors": len(data), "dimensions": data.dim}
    elif kind == "hierarchy":
        stats = {"nodes": int(data.n_nodes), "edges": int(data.n_edges)}
    elif kind == "edgelist":
        stats = data.stats()
    elif kind in ("pbg-checkpoint", "graph-model"):
        stats = {"entities": len(data.embedding), "relations": data.n_relations, "dimensions": data.dim}
    elif kind == "space-model":
        stats = {"words": len(data.words), "labels" if data.mode == "tagspace" else "items": len(data.labels),
                 "dimensions": data.dim}
    elif kind == "labelled":
        stats = {"documents": len(data), "words": len(data.words), "labels": len(data.labels)}
    elif kind == "user-items":
        stats = {"users": len(data.users), "items": len(data.items)}
    else:
        stats = {"tokens": int(data.n_tokens), "sentences": int(data.n_sentences),
                 "vocabulary": len(data.vocab.words), "min_count": data.min_count}
    return Dataset(name, path, kind, data, stats)


def stats_text(stats: dict, skip: tuple[str, ...] = ()) -> str:
    """'11,754 vocabulary, 1 type, 32 dimensions': a dataset's counts for a person (singular where one)."""
    def noun(name: str, n: int) -> str:
        if n != 1 or not name.endswith("s"):
            return name
        return name[:-3] + "y" if name.endswith("ies") else name[:-1]
    return ", ".join(f"{v:,} {noun(k, v)}" for k, v in stats.items() if isinstance(v, int) and k not in skip)


class Session:
    """Datasets, embeddings and the one the views show. Events: "datasets", "embeddings", "current"."""

    def __init__(self):
        self.datasets: list[Dataset] = []
        self.embeddings: dict[str, Embedding] = {}
        self.current: str | None = None
        self._listeners: list[Callable[[str], None]] = []

    def subscribe(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def _emit(self, event: str) -> None:
        for callback in list(self._listeners):
            callback(event)

    def add_dataset(self, dataset: Dataset) -> None:
        self.datasets = [d for d in self.datasets if d.path != dataset.path] + [dataset]
        self._emit("datasets")
        if dataset.is_vectors:
            self.add_embedding(dataset.name, dataset.data)

    def add_embedding(self, name: str, embedding: Embedding, make_current: bool = True) -> str:
        base, n = name, 2
        while name in self.embeddings and self.embeddings[name] is not embedding:
            name = f"{base} ({n})"
            n += 1
        self.embeddings[name] = embedding
        self._emit("embeddings")
        if make_current:
            self.set_current(name)
        return name

    def set_current(self, name: str | None) -> None:
        if name is not None and name not in self.embeddings:
            raise KeyError(name)
        self.current = name
        self._emit("current")

    @property
    def embedding(self) -> Embedding | None:
        return self.embeddings.get(self.current) if self.current else None

    def clear(self) -> None:
        self.datasets, self.embeddings, self.current = [], {}, None
        self._emit("datasets")
        self._emit("embeddings")
        self._emit("current")

    def corpora(self) -> list[Dataset]:
        return [d for d in self.datasets if d.kind == "corpus"]

    def graphs(self) -> list[Dataset]:
        return [d for d in self.datasets if d.kind == "edgelist"]


# ---------------------------------------------------------------------------------- save / open
SESSION_TAG = "embedstudio-session"
SESSION_FILE = "session.json"


def save_session(session: Session, folder: str | os.PathLike, view: dict | None = None,
                 map_coords=None) -> None:
    """Write the session as a folder: ``session.json`` + one ``.npz`` per embedding (never pickle).

    Crash-safe without renaming folders: embeddings go to new uniquely named files first, then
    session.json is replaced atomically, then files it no longer names are removed. A crash at any
    point leaves the previous session.json and everything it names intact.
    """
    import json
    import uuid

    from embedstudio.storage import atomic_write

    folder = os.fspath(folder)
    os.makedirs(os.path.join(folder, "embeddings"), exist_ok=True)
    entries = []
    for name, embedding in session.embeddings.items():
        relative = f"embeddings/{uuid.uuid4().hex}.npz"
        embedding.save(os.path.join(folder, relative))
        entries.append({"name": name, "file": relative})
    map_file = None
    if map_coords is not None:
        import numpy as np

        map_file = f"embeddings/{uuid.uuid4().hex}.map.npy"
        with atomic_write(os.path.join(folder, map_file)) as f:
            np.save(f, np.asarray(map_coords, dtype=np.float32), allow_pickle=False)
    document = {
        "format": SESSION_TAG, "version": 1, "map": map_file,
        "datasets": [{"path": _portable(folder, d.path), "kind": d.kind} for d in session.datasets if not d.is_vectors],
        "embeddings": entries, "current": session.current, "view": view or {},
    }
    with atomic_write(os.path.join(folder, SESSION_FILE)) as f:
        f.write(json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8"))
    keep = {e["file"].split("/")[-1] for e in entries} | ({map_file.split("/")[-1]} if map_file else set())
    for leftover in os.listdir(os.path.join(folder, "embeddings")):
        if leftover not in keep:
            os.remove(os.path.join(folder, "embeddings", leftover))


def _portable(folder: str, path: str) -> str:
    """A dataset's path as a session stores it: relative to the session folder when it lies inside (the
    folder can then move), absolute otherwise."""
    path, root = os.path.realpath(path), os.path.realpath(folder)
    return os.path.relpath(path, root).replace(os.sep, "/") if os.path.commonpath([path, root]) == root else path


def _inside(folder: str, relative: str) -> str | None:
    """The real path of ``relative`` in ``folder``, or None when it leads outside (``..``, an absolute
    path, a symlink pointing out) or cannot name a file (a NUL byte)."""
    if "\x00" in relative:
        return None
    target = os.path.realpath(os.path.join(folder, relative))
    root = os.path.realpath(folder)
    return target if os.path.commonpath([target, root]) == root else None


def session_file(folder: str | os.PathLike, relative: str, what: str, must_exist: bool = True) -> str | None:
    """The real path of a file the session in ``folder`` names, checked: inside the folder (no ``..``, no
    absolute path, no symlink out) and a regular file (a named pipe would hang the open); a DataFormatError
    naming the session's file otherwise. None when it is missing and ``must_exist`` is False."""
    from embedstudio.errors import DataFormatError
    from embedstudio.storage import special_file_reason

    folder = os.fspath(folder)
    target = _inside(folder, relative)
    if target is None:
        raise DataFormatError(os.path.join(folder, relative), None, f"{what} lies outside the session folder "
                                                                    "(a session reads only files inside its folder)")
    if not os.path.exists(target) and not must_exist:
        return None
    special = special_file_reason(target) or (None if os.path.isfile(target) else
                                              "missing" if not os.path.exists(target) else "not a file")
    if special:
        raise DataFormatError(target, None, f"{what}: {special}")
    return target


def session_datasets(folder: str | os.PathLike, document: dict) -> tuple[list[tuple[str, str | None]],
                                                                          list[tuple[str, str | None]]]:
    """The session's datasets as (real path, kind): those inside its folder (relative paths resolve against
    it), to open, and those outside it, which are only listed: the window asks before opening them."""
    root = os.path.realpath(os.fspath(folder))
    inside, outside = [], []
    for entry in document.get("datasets", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or "\x00" in entry["path"]:
            continue
        kind = entry.get("kind") if entry.get("kind") in ("hierarchy", "user-items") else None
        target = os.path.realpath(os.path.join(root, entry["path"]))
        escapes = os.path.commonpath([target, root]) != root or (os.path.isdir(target) and _folder_escapes(target, root))
        (outside if escapes else inside).append((target, kind))
    return inside, outside


def _within(path: str, root: str) -> bool:
    return os.path.commonpath([os.path.realpath(path), root]) == root


def _folder_escapes(folder: str, root: str) -> bool:
    """Whether a folder dataset (a corpus folder) holds a link that leads out of ``root``: reading it would
    leave the session's folder. (A PyTorch-BigGraph config naming folders elsewhere is confined by its
    reader: ``import_pbg(within=)``.)"""
    for here, dirs, files in os.walk(folder):
        if any(not _within(os.path.join(here, name), root) for name in dirs + files):
            return True
    return False


def read_session(folder: str | os.PathLike) -> tuple[dict, dict[str, Embedding]]:
    """The session document and its embeddings; every problem is a DataFormatError.

    Embedding files must lie inside the session's own folder: a crafted session cannot make us
    read (or later write) anywhere else.
    """
    import json

    from embedstudio.errors import DataFormatError

    folder = os.path.abspath(os.fspath(folder))
    path = os.path.join(folder, SESSION_FILE)
    if os.path.lexists(path):
        path = session_file(folder, SESSION_FILE, "session.json")
    try:
        with open(path, "rb") as f:
            document = json.loads(f.read(16 << 20).decode("utf-8"))
    except FileNotFoundError:
        raise DataFormatError(path, None, "not a session folder (no session.json)") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:  # RecursionError: JSON nested too deep
        raise DataFormatError(path, None, f"cannot read the session: {type(e).__name__}: {e}") from None
    if not isinstance(document, dict) or document.get("format") != SESSION_TAG:
        raise DataFormatError(path, None, "not an EmbedStudio session (wrong format tag)")
    for key, kind in (("embeddings", list), ("datasets", list), ("view", dict)):
        if key in document and not isinstance(document[key], kind):
            raise DataFormatError(path, None, f"{key!r} must be a {'list' if kind is list else 'mapping'}")
    embeddings: dict[str, Embedding] = {}
    for entry in document.get("embeddings", []):
        try:
            name, relative = str(entry["name"]), str(entry["file"])
        except (KeyError, TypeError):
            raise DataFormatError(path, None, "an embedding entry lacks its name or file") from None
        if "\x00" in relative or _inside(folder, relative) is None:
            raise DataFormatError(path, None, f"embedding file {relative!r} lies outside the session folder")
        embeddings[name] = Embedding.load(session_file(folder, relative, f"the embedding {name!r}"))
    document["map_coords"] = None
    if document.get("map"):
        import numpy as np

        if _inside(folder, str(document["map"])) is None:
            raise DataFormatError(path, None, "the map file lies outside the session folder")
        target = session_file(folder, str(document["map"]), "the saved map")
        from embedstudio.storage import READ_ERRORS

        try:
            coords = np.load(target, allow_pickle=False)
        except READ_ERRORS as e:  # a damaged .npy: truncated, a crafted header, a shape beyond memory
            raise DataFormatError(target, None, f"cannot read the saved map: {type(e).__name__}: {e}") from None
        if not isinstance(coords, np.ndarray):  # an .npz archive where the .npy should be
            coords.close()
            raise DataFormatError(target, None, "the saved map is not one array")
        if coords.ndim == 2 and coords.shape[1] == 2 and coords.dtype.kind == "f":
            document["map_coords"] = coords
    return document, embeddings
