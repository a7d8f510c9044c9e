"""The fuzzed readers: how each is called on a case, its seeds, options and extra checks."""

from __future__ import annotations

import dataclasses
import os
from functools import lru_cache

import numpy as np

from embedstudio.data.errors import DataFormatError
from tests.fuzz.harness import Case, Target, _inside_dir, _links_out
from tests.fuzz.seeds import (
    JSON_ARRAY_TAGS,
    checkpoint_seeds,
    corpus_seeds,
    edgelist_seeds,
    graphmodel_seeds,
    hierarchy_seeds,
    json_arrays_seeds,
    labelled_seeds,
    media_seeds,
    open_session_seeds,
    pbg_seeds,
    session_seeds,
    spacemodel_seeds,
    user_items_seeds,
    vector_seeds,
)


# --------------------------------------------------------------------------- reader calls
def _corpus_call(entry, case_dir, options):
    from embedstudio.data.corpus import TokenizerOptions, read_corpus

    tok = TokenizerOptions(**dict(options.get("tokenizer", ())))
    return read_corpus(entry, min_count=options.get("min_count", 1), options=tok,
                       cache_dir=os.path.join(case_dir, "work"))


def _sentences_call(entry, case_dir, options):
    from embedstudio.data.corpus import TokenizerOptions, iter_sentences

    tok = TokenizerOptions(**dict(options.get("tokenizer", ())))
    return sum(len(s) for s in iter_sentences(entry, tok))


def _edgelist_call(entry, case_dir, options):
    from embedstudio.data.edgelist import read_edgelist

    if options.get("typed") is False and "head_type" in (options.get("columns") or ""):
        options = {k: v for k, v in options.items() if k != "typed"}  # a ValueError by design

    return read_edgelist(entry, **options)


def _hierarchy_call(entry, case_dir, options):
    from embedstudio.data.hierarchy import read_hierarchy

    return read_hierarchy(entry, **options)


def _labelled_call(entry, case_dir, options):
    from embedstudio.data.labelled import read_labelled

    return read_labelled(entry, **options)


def _user_items_call(entry, case_dir, options):
    from embedstudio.data.labelled import read_user_items

    return read_user_items(entry, **options)


def _vectors_call(fmt):
    def call(entry, case_dir, options):
        from embedstudio.data.sniff import detect
        from embedstudio.data.vectors_io import read_vectors

        if options.get("sniff"):
            try:
                options["_sniffed"] = detect(entry)  # for the contract check: which reader read the file
            except DataFormatError:
                pass
        return read_vectors(entry, format=None if options.get("sniff") else fmt, limit=options.get("limit"),
                            encoding_errors=options.get("errors", "strict"))
    return call


def _pbg_call(entry, case_dir, options):
    from embedstudio.data.pbg_import import import_pbg

    return import_pbg(entry)


def _session_call(entry, case_dir, options):
    from embedstudio.session import read_session

    return read_session(entry)


def _checkpoint_call(entry, case_dir, options):
    from embedstudio.train.base import Checkpoint

    return Checkpoint.load(entry)


def _graphmodel_call(entry, case_dir, options):
    from embedstudio.graphmodel import GraphModel

    return GraphModel.load(entry)


def _spacemodel_call(entry, case_dir, options):
    from embedstudio.starspacemodel import SpaceModel

    return SpaceModel.load(entry)


def _media_call(entry, case_dir, options):
    from embedstudio.analysis.fusion import read_media_features

    return read_media_features(entry)


def _detect_call(entry, case_dir, options):
    from embedstudio.data.sniff import detect

    return detect(entry)


def _json_arrays_call(entry, case_dir, options):
    from embedstudio.storage import read_json_arrays

    return read_json_arrays(entry, options.get("tag", JSON_ARRAY_TAGS[0]), "fuzzed file")


def _check_json_arrays(result, in_dir, stats) -> str | None:
    header, arrays = result
    if not isinstance(header, dict):
        return f"read_json_arrays returned a header of type {type(header).__name__}"
    if not isinstance(arrays, dict) or not all(isinstance(v, np.ndarray) for v in arrays.values()):
        return "read_json_arrays returned arrays that are not numpy arrays"
    if any(v.dtype.hasobject for v in arrays.values()):
        return "read_json_arrays returned an object array (a pickle was read)"
    return None


SESSION_READERS_NOTE = "load_paths turned a non-DataFormatError exception into an error message"


def _open_session_call(entry, case_dir, options):
    """The whole Qt-free session-opening path the window takes: open_session_job consumed to its end."""
    from embedstudio.jobs import graph, starspace
    from embedstudio.jobs.loading import open_session_job

    readers = {"graph": graph.read_session_model, "starspace": starspace.read_session_model}
    saved = os.environ.get("EMBEDSTUDIO_CACHE")
    os.environ["EMBEDSTUDIO_CACHE"] = os.path.join(case_dir, "work")  # a corpus dataset's cache: per case
    try:
        job = open_session_job(entry, readers)
        items = []
        while True:
            try:
                items.append(next(job))
            except StopIteration as stop:
                return items, stop.value
    finally:
        if saved is None:
            os.environ.pop("EMBEDSTUDIO_CACHE", None)
        else:
            os.environ["EMBEDSTUDIO_CACHE"] = saved


def _check_open_session(result, in_dir, stats) -> str | None:
    """What open_session_job yields and returns: items of a known kind; every ("error", message) naming a
    path in the session folder, no traceback; every file opened lying inside it; (document, embeddings)."""
    items, value = result
    for item in items:
        if not isinstance(item, tuple) or not item or item[0] not in ("loaded", "error", "bad-rows", "notice"):
            return f"open_session_job yielded {item!r:.300}"
        kind = item[0]
        if kind == "error":
            message = item[1] if len(item) > 1 else None
            if not isinstance(message, str) or not message:
                return f"an error item without a message: {item!r:.300}"
            if "Traceback (most recent call last)" in message or '  File "' in message:
                return f"an error message holds a traceback: {message[:500]!r}"
            if in_dir not in message:
                return f"an error message names no path in the session folder: {message[:500]!r}"
            if ": cannot open it: " in message:
                stats.note(SESSION_READERS_NOTE, message)
        elif kind == "loaded":
            dataset = item[1]
            if not _inside_dir(getattr(dataset, "path", ""), in_dir):
                return f"opened a dataset outside the session folder: {getattr(dataset, 'path', None)!r}"
        elif kind == "bad-rows":
            if len(item) < 4 or not _inside_dir(str(item[2]), in_dir):
                return f"a bad-rows item for a path outside the session folder: {item!r:.300}"
    if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], dict) and isinstance(value[1], dict)):
        return f"open_session_job returned {value!r:.300}, not (document, embeddings)"
    document = value[0]
    for key in ("_outside", "_problems", "_files"):
        if key not in document:
            return f"the document lacks {key!r}"
    for path, _ in document["_outside"]:
        if _inside_dir(path, in_dir) and not _links_out(path, in_dir):  # a folder with a link out is asked for
            return f"a dataset inside the folder is listed as outside it: {path!r}"
    return None


_TOKENIZERS = ((), (("encoding_errors", "replace"),), (("long_lines", "split"), ("max_line_bytes", 1024)),
               (("max_line_bytes", 1024),), (("normalize", None), ("lowercase", False)))
VECTOR_FORMAT_NAMES = ("word2vec-text", "word2vec-binary", "glove", "fasttext-vec", "projector-tsv", "embedstudio")
_VECTOR_OPTIONS = ({}, {}, {"sniff": True}, {"limit": 2}, {"errors": "replace"}, {"sniff": True, "errors": "ignore"})


@lru_cache(maxsize=None)
def _all_seeds() -> list[Case]:
    out = []
    for target in TARGETS.values():
        if target.name != "sniff.detect":
            out.extend(dataclasses.replace(c, options=()) for c in target.seeds())
    return out


TARGETS: dict[str, Target] = {t.name: t for t in [
    Target("read_corpus", _corpus_call, corpus_seeds, compressed=True,
           options=tuple({"tokenizer": t, "min_count": m} for t in _TOKENIZERS for m in (1, 2))),
    Target("iter_sentences", _sentences_call, corpus_seeds, options=tuple({"tokenizer": t} for t in _TOKENIZERS)),
    Target("read_edgelist", _edgelist_call, edgelist_seeds, compressed=True, options=(
        {}, {}, {"sep": "tab"}, {"sep": "comma"}, {"sep": "whitespace"}, {"header": True}, {"header": False},
        {"typed": True}, {"typed": False}, {"columns": "head,relation,tail"}, {"columns": "head,tail,weight,ignore"},
        {"columns": "head_type,head,relation,tail_type,tail"}, {"max_line_bytes": 64})),
    Target("read_hierarchy", _hierarchy_call, hierarchy_seeds, compressed=True, options=(
        {}, {}, {"closure": True}, {"closure": True}, {"sep": "tab"}, {"sep": "comma"}, {"sep": "whitespace"},
        {"header": True}, {"header": False}, {"max_line_bytes": 32})),
    Target("read_labelled", _labelled_call, labelled_seeds, compressed=True, options=(
        {}, {}, {"tokenizer": "words"}, {"label_prefix": "#"}, {"words": ("a", "game"), "labels": ("game",)},
        {"max_line_bytes": 40})),
    Target("read_user_items", _user_items_call, user_items_seeds, compressed=True, options=(
        {}, {}, {"layout": "lines"}, {"layout": "pairs"}, {"sep": "tab"}, {"sep": "comma"}, {"sep": "whitespace"},
        {"max_line_bytes": 16})),
    *[Target(f"read_vectors:{fmt}", _vectors_call(fmt), (lambda fmt=fmt: vector_seeds(fmt)),
             line_based=fmt not in ("word2vec-binary", "embedstudio"), options=_VECTOR_OPTIONS,
             compressed=fmt not in ("word2vec-binary", "embedstudio"))
      for fmt in VECTOR_FORMAT_NAMES],
    Target("import_pbg", _pbg_call, pbg_seeds, line_based=False, paths_may_leave=True),
    Target("read_session", _session_call, session_seeds, line_based=False, confined=True),
    Target("Checkpoint.load", _checkpoint_call, checkpoint_seeds, line_based=False),
    Target("GraphModel.load", _graphmodel_call, graphmodel_seeds, line_based=False),
    Target("SpaceModel.load", _spacemodel_call, spacemodel_seeds, line_based=False),
    Target("read_media_features", _media_call, media_seeds, compressed=True),
    Target("sniff.detect", _detect_call, lambda: _all_seeds(), compressed=True),
    Target("open_session", _open_session_call, open_session_seeds, line_based=False, confined=True,
           session_ops=True, check=_check_open_session),
    Target("read_json_arrays", _json_arrays_call, json_arrays_seeds, line_based=False,
           options=({}, {}, {}, {}, {}, {"tag": "embedstudio-embedding"}, {"tag": "embedstudio-checkpoint"},
                    {"tag": "embedstudio-graph-model"}, {"tag": "x"}), check=_check_json_arrays),
]}
COMPRESSED_TARGETS = tuple(name for name, t in TARGETS.items() if t.compressed)
