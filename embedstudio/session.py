"""The session model: what is loaded and trained. Plain Python with change callbacks (no Qt),
so widgets subscribe to it and own no truth of their own."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable

from embedstudio.undo import Step, UndoStack
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


MODEL_DATASET_KINDS = ("pbg-checkpoint", "graph-model", "space-model")  # files that open as an embedding + model

WORD_VECTORS, HIERARCHY, GRAPH_MODEL = "word vectors", "Poincaré hierarchy", "graph model"
TAGSPACE, PAGESPACE = "TagSpace model", "PageSpace model"
USES = {  # what a tool needs -> the kinds of embedding it can act on
    "words": (WORD_VECTORS, TAGSPACE, PAGESPACE),
    "links": (GRAPH_MODEL,),
    "tags": (TAGSPACE, PAGESPACE),
    "disk": (HIERARCHY,),
}
_NEEDS_TEXT = {"words": "word vectors", "links": "a graph model", "tags": "a StarSpace model",
               "disk": "a Poincaré hierarchy"}


def embedding_kind(embedding: Embedding, model=None) -> str:
    """What an embedding is to a person (and to the tools that can act on it)."""
    mode = getattr(model, "mode", None)
    if mode in ("tagspace", "pagespace"):
        return TAGSPACE if mode == "tagspace" else PAGESPACE
    if model is not None and hasattr(model, "n_relations"):
        return GRAPH_MODEL
    if embedding.geometry == "poincare":
        return HIERARCHY
    return WORD_VECTORS


def describe_origin(origin: dict | None) -> str:
    """'trained by word2vec from sotu.txt.gz (method sgns, dim 100, epochs 5)', 'file /data/x.vec', 'hard
    debiased from X': where an item came from, for a person."""
    origin = origin or {}
    how = origin.get("from")
    if how == "file":
        return f"file {origin.get('path', '?')}"
    if how == "trained":
        settings = origin.get("settings") or {}
        shown = ", ".join(f"{k} {v}" for k, v in list(settings.items())[:4] if not isinstance(v, (dict, list)))
        return (f"trained by {origin.get('trainer', '?')} from {origin.get('dataset', '?')}"
                + (f" ({shown})" if shown else ""))
    if how == "derived":
        return f"{origin.get('how', 'derived')} from {origin.get('source', '?')}"
    if how == "session":
        return "from a saved session"
    return "unknown origin"


def array_bytes(obj, _depth: int = 0) -> int:
    """The bytes of the numpy arrays an object holds (its attributes, lists and dicts, a few levels deep): what
    removing it frees."""
    import numpy as np

    if isinstance(obj, np.ndarray):
        return int(obj.nbytes) if obj.base is None else 0  # a view frees nothing of its own
    if _depth > 3 or obj is None or isinstance(obj, (str, bytes, int, float, bool)):
        return 0
    if isinstance(obj, dict):
        return sum(array_bytes(v, _depth + 1) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(array_bytes(v, _depth + 1) for v in obj[:64])
    fields = getattr(obj, "__dict__", None)
    return sum(array_bytes(v, _depth + 1) for v in fields.values()) if fields else 0


@dataclasses.dataclass(eq=False)
class _Items:
    """Embeddings and datasets taken out of a session (or put in), with their places: enough to put them back
    as they were. References only: embeddings are never changed in place, so the objects are the state."""
    embeddings: list  # (position, name, Embedding, origin dict, model or None)
    datasets: list  # (position, Dataset)

    def nbytes(self) -> int:
        """What they hold: what taking them out frees (or, kept for undo, keeps alive)."""
        total = sum(array_bytes(e) + (array_bytes(m) - array_bytes(e) if m is not None else 0)
                    for _, _, e, _, m in self.embeddings)
        return total + sum(array_bytes(d.data) for _, d in self.datasets
                           if not d.is_vectors and d.kind not in MODEL_DATASET_KINDS)


class Session:
    """The workspace: datasets, embeddings (each with its origin and, for a graph or StarSpace model, the
    model) and the one current embedding every view and tool acts on.
    Events: "datasets", "embeddings", "current".

    With a ``history`` (the window's; a headless session has none, so a removal frees at once), removals,
    renames and derived additions (a debiased copy) are undoable steps; opening and training add without one."""

    def __init__(self, history: UndoStack | None = None):
        self.datasets: list[Dataset] = []
        self.embeddings: dict[str, Embedding] = {}
        self.origins: dict[str, dict] = {}  # name -> where it came from (JSON values; saved with the session)
        self.models: dict[str, Any] = {}  # name -> its GraphModel or SpaceModel
        self.current: str | None = None
        self.history = history
        self._listeners: list[Callable[[str], None]] = []

    def subscribe(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def _emit(self, event: str) -> None:
        for callback in list(self._listeners):
            callback(event)

    # ------------------------------------------------------------------ datasets
    def add_dataset(self, dataset: Dataset) -> None:
        self.datasets = [d for d in self.datasets if d.path != dataset.path] + [dataset]
        self._emit("datasets")
        if dataset.is_vectors:
            self.add_embedding(dataset.name, dataset.data, origin={"from": "file", "path": dataset.path})

    def listed_datasets(self) -> list[Dataset]:
        """The datasets a person sees as such: vectors and model files are listed as their embedding."""
        return [d for d in self.datasets if not d.is_vectors and d.kind not in MODEL_DATASET_KINDS]

    def dataset(self, name: str) -> Dataset | None:
        return next((d for d in self.datasets if d.name == name), None)

    def rename_dataset(self, dataset: Dataset, new: str) -> str:
        old = dataset.name
        got = self._rename_dataset(dataset, new)
        if got != old:  # the Dataset object is found again by identity, whatever happens to names meanwhile
            self._push(Step(f"rename {old} to {got}", lambda: self._rename_dataset(dataset, old, present=True),
                            lambda: self._rename_dataset(dataset, got, present=True)))
        return got

    def _rename_dataset(self, dataset: Dataset, new: str, present: bool = False) -> str:
        if present and not any(d is dataset for d in self.datasets):
            return dataset.name  # gone meanwhile (a file opened again replaces it): nothing to rename
        new = self._unique(new.strip() or dataset.name, {d.name for d in self.datasets if d is not dataset})
        old, dataset.name = dataset.name, new
        followed = [o for o in self.origins.values() if o.get("from") == "trained" and o.get("dataset") == old]
        for origin in followed:  # "trained from <old>" follows the name
            origin["dataset"] = new
        self._emit("datasets")
        if followed:
            self._emit("embeddings")
        return new

    def remove_dataset(self, dataset: Dataset) -> int:
        """Drop a dataset (and, for a vectors or model file, its embedding); returns the bytes it held."""
        names = [n for n, e in self.embeddings.items()
                 if e is dataset.data or getattr(dataset.data, "embedding", None) is e]
        return self._remove(f"remove {dataset.name}", self._items(names, [dataset]))

    # ------------------------------------------------------------------ embeddings
    @staticmethod
    def _unique(name: str, taken) -> str:
        base, n = name, 2
        while name in taken:
            name = f"{base} ({n})"
            n += 1
        return name

    def add_embedding(self, name: str, embedding: Embedding, make_current: bool = True, origin: dict | None = None,
                      model=None) -> str:
        """Add (or, the same object again, keep) an embedding; returns its name in the session. ``origin``:
        {"from": "file", "path"}, {"from": "trained", "trainer", "dataset", "settings", "workflow"}, or
        {"from": "derived", "source", "how"}."""
        same = self._name_of(embedding)
        before = self.embedding
        if same is not None:
            name = same
        else:
            name = self._unique(name, self.embeddings)
            self.embeddings[name] = embedding
            self.origins[name] = dict(origin or embedding.info.get("origin") or {})
        if model is not None:
            self.models[name] = model
        self._emit("embeddings")
        if make_current:
            self.set_current(name)
        if same is None and self.origins[name].get("from") == "derived":  # made from another by a tool: an edit
            self._record(f"add {name}", self._items([name], []), removal=False, before=before)
        return name

    def rename(self, old: str, new: str) -> str:
        """Rename an embedding (its place in the list kept); returns the name it got (made unique)."""
        got = self._rename(old, new)
        if got != old:
            embedding = self.embeddings[got]
            self._push(Step(f"rename {old} to {got}", lambda: self._rename_object(embedding, old),
                            lambda: self._rename_object(embedding, got)))
        return got

    def _rename_object(self, embedding: Embedding, new: str) -> None:
        name = self._name_of(embedding)
        if name is not None:  # gone meanwhile: nothing to rename
            self._rename(name, new)

    def _rename(self, old: str, new: str) -> str:
        if old not in self.embeddings:
            raise KeyError(old)
        new = self._unique(new.strip() or old, set(self.embeddings) - {old})
        if new == old:
            return old
        self.embeddings = {new if n == old else n: e for n, e in self.embeddings.items()}
        for table in (self.origins, self.models):
            if old in table:
                table[new] = table.pop(old)
        for origin in self.origins.values():  # "hard debiased from <old>" follows the name
            if origin.get("source") == old:
                origin["source"] = new
        self._emit("embeddings")
        if self.current == old:
            self.current = new
            self._emit("current")
        return new

    def remove_embedding(self, name: str) -> int:
        """Remove an embedding (and its model) from the session; returns the bytes its arrays held (freed now, or
        with a history once the history lets the step go). When it was current, the one before it (or none)
        becomes current."""
        if name not in self.embeddings:
            raise KeyError(name)
        return self._remove(f"remove {name}", self._items([name], []))

    def attach_model(self, name: str, model) -> None:
        """Give the embedding ``name`` its model (a graph or StarSpace model read after it)."""
        if name not in self.embeddings:
            raise KeyError(name)
        self.models[name] = model
        self._emit("embeddings")
        if self.current == name:
            self._emit("current")

    def set_current(self, name: str | None) -> None:
        if name is not None and name not in self.embeddings:
            raise KeyError(name)
        self.current = name
        self._emit("current")

    # ------------------------------------------------------------------ undoable steps
    def _push(self, step: Step) -> bool:
        return self.history.push(step) if self.history is not None else False

    def _name_of(self, embedding: Embedding | None) -> str | None:
        return next((n for n, e in self.embeddings.items() if e is embedding), None)

    def _items(self, names: list[str], datasets: list[Dataset]) -> _Items:
        """``names`` (with their models and the vectors or model files they came from) and ``datasets``, where
        they are listed now."""
        order = list(self.embeddings)
        held = {id(self.embeddings[n]) for n in names} | {id(self.models[n]) for n in names if n in self.models}
        datasets = datasets + [d for d in self.datasets if id(d.data) in held and all(d is not o for o in datasets)]
        return _Items([(order.index(n), n, self.embeddings[n], self.origins.get(n, {}), self.models.get(n))
                       for n in names],
                      [(i, d) for i, d in enumerate(self.datasets) if any(d is o for o in datasets)])

    def _remove(self, text: str, items: _Items) -> int:
        before = self.embedding
        self._take(items)
        self._record(text, items, removal=True, before=before)
        return items.nbytes()

    def _record(self, text: str, items: _Items, removal: bool, before: Embedding | None) -> None:
        """A step for a removal (or an addition) of ``items`` just made; undone, the current embedding is again
        ``before``, redone the one current now (both found by identity: names may be taken meanwhile)."""
        after = self.embedding

        def take(current):
            self._take(items)
            self._make_current(current)

        def put(current):
            self._put(items)
            self._make_current(current)

        nbytes = items.nbytes()
        self._push(Step(text, lambda: (put if removal else take)(before), lambda: (take if removal else put)(after),
                        undo_bytes=nbytes if removal else 0, redo_bytes=0 if removal else nbytes,
                        undo_removes=not removal, redo_removes=removal))

    def _make_current(self, embedding: Embedding | None) -> None:
        name = self._name_of(embedding)
        if name is not None and name != self.current:
            self.set_current(name)

    def _take(self, items: _Items) -> None:
        """Take ``items`` out (found by identity); when the current embedding goes, the one listed before it
        (or else the first left) becomes current."""
        gone = {id(e) for _, _, e, _, _ in items.embeddings}
        names = list(self.embeddings)
        taken = [n for n in names if id(self.embeddings[n]) in gone]
        self.embeddings = {n: e for n, e in self.embeddings.items() if id(e) not in gone}
        for name in taken:
            self.models.pop(name, None)
            self.origins.pop(name, None)
        dropped = {id(d) for _, d in items.datasets}
        self.datasets = [d for d in self.datasets if id(d) not in dropped]
        self._emit("datasets")
        self._emit("embeddings")
        if self.current in taken:
            left = [n for n in names[:names.index(self.current)] if n in self.embeddings]
            self.set_current(left[-1] if left else next(iter(self.embeddings), None))

    def _put(self, items: _Items) -> None:
        """Put taken ``items`` back where they were listed, under their names (made unique if another item took
        one meanwhile), with their origins and models: the same objects."""
        entries = list(self.embeddings.items())
        for position, name, embedding, origin, model in sorted(items.embeddings, key=lambda e: e[0]):
            if any(e is embedding for _, e in entries):
                continue
            name = self._unique(name, {n for n, _ in entries})
            entries.insert(min(position, len(entries)), (name, embedding))
            self.origins[name] = origin
            if model is not None:
                self.models[name] = model
        self.embeddings = dict(entries)
        datasets = list(self.datasets)
        for position, dataset in sorted(items.datasets, key=lambda d: d[0]):
            if not any(d is dataset or d.path == dataset.path for d in datasets):  # one dataset a file
                datasets.insert(min(position, len(datasets)), dataset)
        self.datasets = datasets
        self._emit("datasets")
        self._emit("embeddings")

    @property
    def embedding(self) -> Embedding | None:
        return self.embeddings.get(self.current) if self.current else None

    @property
    def model(self):
        """The current embedding's graph or StarSpace model, if it has one."""
        return self.models.get(self.current) if self.current else None

    def kind(self, name: str | None = None) -> str | None:
        name = self.current if name is None else name
        if name not in self.embeddings:
            return None
        return embedding_kind(self.embeddings[name], self.models.get(name))

    def unsuitable(self, use: str, what: str) -> str | None:
        """None when the current embedding suits ``use`` (a USES key); else the message saying why ``what`` (a
        tool, "analogies") cannot run: 'analogies need word vectors; the current embedding is a Poincaré
        hierarchy'."""
        verb = "need" if what.endswith("s") else "needs"  # "analogies need", "link prediction needs"
        if self.embedding is None:
            return f"{what} {verb} {_NEEDS_TEXT[use]}: open or train one first"
        kind = self.kind()
        if kind in USES[use]:
            return None
        article = "" if kind == WORD_VECTORS else "a "
        return f"{what} {verb} {_NEEDS_TEXT[use]}; the current embedding, {self.current}, is {article}{kind}"

    def clear(self) -> None:
        self.datasets, self.embeddings, self.current = [], {}, None
        self.origins, self.models = {}, {}
        if self.history is not None:
            self.history.clear()
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
        entry = {"name": name, "origin": session.origins.get(name) or {}}
        model = session.models.get(name)
        if model is not None:  # a graph or StarSpace model: the whole model, so its tools work after reopening
            suffix = MODEL_SUFFIXES[type(model).__name__]
            entry["model"] = f"embeddings/{uuid.uuid4().hex}{suffix}"
            model.save(os.path.join(folder, entry["model"]))
        if model is None or getattr(model, "embedding", None) is not embedding:  # a graph model holds its vectors
            entry["file"] = f"embeddings/{uuid.uuid4().hex}.npz"
            embedding.save(os.path.join(folder, entry["file"]))
        entries.append(entry)
    map_file = None
    if map_coords is not None:
        import numpy as np

        map_file = f"embeddings/{uuid.uuid4().hex}.map.npy"
        with atomic_write(os.path.join(folder, map_file)) as f:
            np.save(f, np.asarray(map_coords, dtype=np.float32), allow_pickle=False)
    document = {
        "format": SESSION_TAG, "version": 1, "map": map_file,
        "datasets": [{"path": _portable(folder, d.path), "kind": d.kind, "name": d.name}
                     for d in session.datasets if not d.is_vectors and d.kind not in MODEL_DATASET_KINDS],
        "embeddings": entries, "current": session.current, "view": view or {},
    }
    with atomic_write(os.path.join(folder, SESSION_FILE)) as f:
        f.write(json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8"))
    keep = {e[key].split("/")[-1] for e in entries for key in ("file", "model") if key in e}
    keep |= {map_file.split("/")[-1]} if map_file else set()
    for leftover in os.listdir(os.path.join(folder, "embeddings")):
        if leftover not in keep:
            os.remove(os.path.join(folder, "embeddings", leftover))


MODEL_SUFFIXES = {"GraphModel": ".esgraph", "SpaceModel": ".esspace"}


def _load_model(path: str):
    """A graph or StarSpace model a session keeps, by its file's suffix (its loader checks the content)."""
    if path.endswith(".esgraph"):
        from embedstudio.graphmodel import GraphModel

        return GraphModel.load(path)
    from embedstudio.starspacemodel import SpaceModel

    return SpaceModel.load(path)


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
    document["_origins"], document["_models"] = {}, {}
    for entry in document.get("embeddings", []):
        try:
            name = str(entry["name"])
            files = {key: str(entry[key]) for key in ("file", "model") if entry.get(key) is not None}
        except (KeyError, TypeError):
            raise DataFormatError(path, None, "an embedding entry lacks its name") from None
        if not files:
            raise DataFormatError(path, None, f"the embedding {name!r} names no file")
        for relative in files.values():
            if "\x00" in relative or _inside(folder, relative) is None:
                raise DataFormatError(path, None, f"embedding file {relative!r} lies outside the session folder")
        if "model" in files:
            model = _load_model(session_file(folder, files["model"], f"the model of {name!r}"))
            document["_models"][name] = model
            if hasattr(model, "n_relations"):
                embeddings[name] = model.embedding
        if "file" in files:
            embeddings[name] = Embedding.load(session_file(folder, files["file"], f"the embedding {name!r}"))
        elif name not in embeddings:
            raise DataFormatError(path, None, f"the embedding {name!r} names no vectors file")
        origin = entry.get("origin")
        document["_origins"][name] = origin if isinstance(origin, dict) else {"from": "session"}
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
