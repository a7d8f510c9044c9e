"""Opening files: what a dropped path is, its reader, and the first map of a vectors file."""

from __future__ import annotations

import os

from embedstudio.errors import DataFormatError
from embedstudio.session import SESSION_FILE, describe, read_session, session_datasets

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


def read_any(path: str, kind: str, min_count: int = 5, bad_rows: str = "error", metadata_path: str | None = None,
             within: str | None = None):
    """The reader of ``kind`` (a sniffer's name, a model kind, or a vectors format) applied to ``path``;
    ``bad_rows`` and ``metadata_path`` go to the vectors reader, ``within`` (a session's folder) to the
    readers that follow paths a file names (PyTorch-BigGraph's config)."""
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
        from embedstudio.data.pbg_import import import_pbg

        return import_pbg(path, within=within)  # a GraphModel: its vectors are explored, its relations score links
    from embedstudio.data.vectors_io import read_vectors

    return read_vectors(path, format=kind, bad_rows=bad_rows, metadata_path=metadata_path)


def load_paths(paths: list[str], min_count: int = 5, kinds: list[str | None] | None = None,
               options: list[dict] | None = None):
    """Job: read each file and lay out its first map. Yields, for each file, one of
    ("loaded", Dataset, map coords or None), ("error", message), or ("bad-rows", message, path, kind) when a
    vectors file has rows with NaN/inf or repeated keys (it may be opened again with bad_rows="drop");
    and ("notice", message) for what the user should know about a file that opened.

    A kind of None is sniffed; "hierarchy" and "user-items" must be asked for (a two-column edge list
    looks like either). ``options`` (one dict a path, or None) go to :func:`read_any`. Nothing a file does
    escapes as an exception: every failure is a message naming the file, and the next file is read."""
    from embedstudio.analysis.projection import pca
    from embedstudio.data.sniff import detect, misnamed_compression
    from embedstudio.data.vectors_io import BadRowsError, dropped_summary

    for path, kind, opts in zip(paths, kinds or [None] * len(paths), options or [None] * len(paths)):
        try:
            kind = kind or model_kind(path) or detect(path)
            data = read_any(path, kind, min_count, **(opts or {}))
            dataset = describe(path, kind, data)
            vectors = data.embedding.vectors if kind in MODEL_KINDS else getattr(data, "vectors", None)
            if kind == "space-model":
                vectors = None  # its embedding is made (words and labels, no bigram rows) when it is added
            coords = pca(vectors)[0] if vectors is not None and (dataset.is_vectors or kind in MODEL_KINDS) and \
                len(vectors) else None
        except BadRowsError as e:
            yield ("bad-rows", str(e), path, kind)
            continue
        except DataFormatError as e:
            yield ("error", str(e))
            continue
        except OSError as e:
            yield ("error", f"{path}: {e.strerror or e}")
            continue
        except MemoryError:
            yield ("error", f"{path}: not enough memory to open it")
            continue
        except Exception as e:  # noqa: BLE001 - a numeric failure (the map's PCA of extreme values...) is this
            yield ("error", f"{path}: cannot open it: {type(e).__name__}: {e}")  # file's, never the whole drop's
            continue
        yield ("loaded", dataset, coords)
        dropped = dropped_summary(data) if dataset.is_vectors else ""
        for notice in (misnamed_compression(path), dropped and f"{dataset.name}: {dropped}"):
            if notice:  # after the file is in: the status bar's last word about it
                yield ("notice", notice)


def read_session_folder(folder: str, readers: dict):
    """A session folder's document and embeddings, and what each of ``readers`` (name -> ``read(folder, view,
    embeddings)``, a workflow's files) reads there, in ``document["_files"]``; every problem is a
    DataFormatError."""
    document, embeddings = read_session(folder)
    view = document.get("view") if isinstance(document.get("view"), dict) else {}
    document["_files"] = {name: read(folder, view, embeddings) for name, read in readers.items()}
    return document, embeddings


def open_session_job(folder: str | None, readers: dict, autosave=None):
    """Job: open a saved session folder, or with ``autosave`` (the window's Autosave) its newest readable slot.
    Yields what :func:`load_paths` yields for the session's datasets; returns (document, embeddings) with
    ``document["_outside"]``: the datasets outside the folder, as (path, kind), which are not opened (the
    window asks first; an autosave, which the app wrote itself, reopens them all) and ``"_problems"``: the
    newer autosaves that could not be read."""
    problems = []
    if autosave is not None:
        folder, (document, embeddings), problems = autosave.restore(lambda f: read_session_folder(f, readers))
    else:
        document, embeddings = read_session_folder(folder, readers)
    document["_problems"] = problems
    document["_folder"] = folder
    inside, outside = session_datasets(folder, document)
    if autosave is not None:
        inside, outside = inside + outside, []
    document["_outside"] = outside
    # a missing one is an error; none may follow a path out of the folder (a PBG config naming /elsewhere)
    yield from load_paths([path for path, _ in inside], kinds=[kind for _, kind in inside],
                          options=[{"within": os.path.realpath(folder)} if autosave is None else {}] * len(inside))
    return document, embeddings
