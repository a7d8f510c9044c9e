"""The extrinsic jobs: the same classifier on each embedding's features (documents or nodes), and
fusion of text vectors with media features."""

from __future__ import annotations

import threading
from typing import NamedTuple

NODE_TYPES = " (entity types)"  # the name of a typed graph's task: node classification by entity type


class NodeLabels(NamedTuple):
    """Nodes with one label each (a node<TAB>label file)."""
    nodes: list[str]
    labels: list[str]


def extrinsic_datasets(datasets) -> dict[str, object]:
    """What can be classified: labelled documents, and the nodes of a graph with several entity types (each
    node's type is its label)."""
    out = {d.name: d for d in datasets if d.kind == "labelled"}
    out.update({d.name + NODE_TYPES: d for d in datasets if d.kind == "edgelist" and d.data.n_types > 1})
    return out


def _single_labels(docs, prefix: str):
    """The documents with a class (their first label starting with ``prefix``), their classes, and a note when
    some documents have several labels."""
    rows, labels = docs.single_labels(prefix)
    multi = int(sum(len(docs.doc_labels(i)) > 1 for i in rows))
    note = (f"{multi:,} of {len(rows):,} documents have several labels: the first"
            f"{' starting with ' + repr(prefix) if prefix else ''} is the class") if multi else ""
    return rows, labels, note


def extrinsic_job(data, embeddings: dict, *, prefix: str = "", folds: int = 5, model: str = "logreg", seed: int = 0,
                  stop: threading.Event | None = None):
    """Job: the same classifier on each embedding's features; yields notes (text); returns an ExtrinsicResult
    (None when ``stop`` was set). ``data``: labelled documents (a document's features are its averaged word
    vectors), a typed graph (a node's own vector, its entity type the class) or NodeLabels."""
    from embedstudio.analysis.extrinsic import compare_embeddings, compare_node_embeddings
    from embedstudio.data.labelled import LabelledDocs

    should_stop = stop.is_set if stop is not None else None
    if isinstance(data, LabelledDocs):
        rows, labels, note = _single_labels(data, prefix)
        if note:
            yield note
        return compare_embeddings([data.tokens(i) for i in rows], labels, embeddings, folds=folds, seed=seed,
                                  model=model, should_stop=should_stop)
    if isinstance(data, NodeLabels):
        nodes, labels = data
    else:  # a typed graph
        nodes, labels = list(data.names), [data.type_names[t] for t in data.entity_type]
    return compare_node_embeddings(nodes, labels, embeddings, folds=folds, seed=seed, model=model,
                                   should_stop=should_stop)


def fusion_job(data, text_embedding, media, *, prefix: str = "", folds: int = 5, seed: int = 0,
               stop: threading.Event | None = None):
    """Job: text vectors, media features (``media``: their file, or MediaFeatures) and both, one MLP on the same
    folds; yields notes; returns an ExtrinsicResult (None when stopped)."""
    from embedstudio.analysis.fusion import NEEDS_IDS, compare_fusion_docs, read_media_features
    from embedstudio.data.labelled import LabelledDocs

    if not isinstance(data, LabelledDocs) or data.ids is None:  # before reading the media file
        where = getattr(data, "path", "")
        raise ValueError(f"{where} has no id column: {NEEDS_IDS}" if where else NEEDS_IDS)
    rows, labels, note = _single_labels(data, prefix)
    if note:
        yield note
    if not hasattr(media, "features"):
        media = read_media_features(media)
    return compare_fusion_docs(data, rows, labels, text_embedding, media, folds=folds, seed=seed,
                               should_stop=stop.is_set if stop is not None else None)
