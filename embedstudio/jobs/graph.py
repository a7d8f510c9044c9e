"""The graph job: embeddings of a multi-relation graph in PyTorch-BigGraph's manner, with held-out
edges scored by link prediction; and the export of a graph for PyTorch-BigGraph itself."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from embedstudio.jobs.live import CheckpointMailbox, live_training, map_layout

GRAPH_MODEL_FILE = "graph-model.esgraph"  # a session's graph model (vectors + relation operators)
MIN_EDGES_TO_HOLD_OUT = 200  # below this, held-out edges would starve training and score nothing reliable
EVAL_EDGES = 2000  # the window scores a seeded sample of this many held-out edges (a quick look)


class TrainedGraph(NamedTuple):
    model: object  # GraphModel
    coords: np.ndarray | None  # the final map (None without a live map)
    scores: dict  # protocol -> LinkPredictionResult on the held-out edges (empty when none were held out)
    train_edges: np.ndarray
    test_edges: np.ndarray | None


def graph_job(graph, cfg, mailbox: CheckpointMailbox, *, test_fraction: float = 0.05,
              protocols: tuple[str, ...] = ("filtered",), eval_edges: int | None = EVAL_EDGES,
              work_dir: str | None = None, live_map: bool = True):
    """Job: graph embeddings of ``graph`` with ``test_fraction`` of its edges held out (a seeded split, when it
    has at least MIN_EDGES_TO_HOLD_OUT); yields (progress, snapshot coords or None); returns a TrainedGraph
    whose scores are link prediction on the held-out edges under each of ``protocols``."""
    from embedstudio.analysis.linkpred import evaluate_link_prediction
    from embedstudio.data.edgelist import split_edges
    from embedstudio.train.graph import GraphTrainer

    split = None
    if test_fraction > 0 and graph.n_edges >= MIN_EDGES_TO_HOLD_OUT:
        split = split_edges(graph, valid=0.0, test=test_fraction, seed=cfg.seed)
    trainer = GraphTrainer(cfg, work_dir=work_dir)
    layout = map_layout(live_map)
    try:
        yield from live_training(trainer, (graph, split.train) if split is not None else graph, mailbox, layout,
                                 snapshots=live_map)
        model = trainer.model()
        model.info["embedding_bytes_in_memory"] = trainer.peak_partition_bytes
    finally:
        trainer.close()
    scores = {}
    if split is not None and len(split.test):
        for protocol in protocols:
            scores[protocol] = evaluate_link_prediction(model, split.test, graph.edges, protocol=protocol,
                                                        max_edges=eval_edges, seed=cfg.seed)
    return TrainedGraph(model, layout(model.embedding.vectors) if layout is not None else None, scores,
                        split.train if split is not None else graph.edges, split.test if split is not None else None)


def pbg_export_job(graph, folder: str, partitions: int, settings: dict, seed: int, test_fraction: float = 0.0, *,
                   machines: int = 1, init_method: str | None = None, interface: str | None = None,
                   check_here: bool = False) -> str:
    """Job: ``graph`` in PyTorch-BigGraph's input layout (without ``test_fraction`` of its edges, the graph job's
    seeded split), for ``machines`` machines meeting at ``init_method``; returns the config's path."""
    from embedstudio.data.edgelist import split_edges
    from embedstudio.data.pbg import export_pbg

    edges = split_edges(graph, valid=0.0, test=test_fraction, seed=seed).train if test_fraction > 0 else None
    return export_pbg(graph, folder, edges=edges, partitions=partitions, config=settings, seed=seed,
                      machines=machines, init_method=init_method, interface=interface, check_here=check_here)


def read_session_model(folder: str, view: dict, embeddings: dict):
    """The graph model a session keeps beside the embedding its view names (``view["graph_model"]``), or None;
    that embedding becomes the model's own (one object: the map and the Links panel agree)."""
    from embedstudio.graphmodel import GraphModel
    from embedstudio.session import session_file

    name = view.get("graph_model")
    if not (isinstance(name, str) and name in embeddings):
        return None
    path = session_file(folder, GRAPH_MODEL_FILE, "the graph model", must_exist=False)
    if path is None:
        return None
    model = GraphModel.load(path)
    embeddings[name] = model.embedding
    return model
