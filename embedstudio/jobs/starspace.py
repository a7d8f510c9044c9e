"""The StarSpace job: TagSpace on labelled documents or PageSpace on user -> items lists, scored on
held-out data."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from embedstudio.jobs.live import CheckpointMailbox, live_training, map_layout

SPACE_MODEL_FILE = "space-model.esspace"  # a session's StarSpace model (words, labels or items, bigram rows)
MIN_ROWS_TO_HOLD_OUT = 50  # documents or users: fewer would leave a held-out set too small to mean anything
TAG_KS = (1, 5, 10)
RECOMMENDATION_KS = (1, 10, 50)


class TrainedSpace(NamedTuple):
    model: object  # SpaceModel
    coords: np.ndarray | None
    scores: dict | None  # tags (P@k, hits@k, mean rank, MRR) or recommendations (recall@k) on held-out data
    baseline: dict | None  # the popularity ranking's recommendations, for PageSpace
    data: object  # what was trained on (without the held-out part)


def starspace_job(data, cfg, mailbox: CheckpointMailbox, *, test_fraction: float = 0.1, test_docs=None,
                  live_map: bool = True):
    """Job: TagSpace or PageSpace (``cfg.mode``) on ``data``; yields (progress, snapshot coords or None).

    TagSpace is scored on ``test_docs`` or else on a seeded ``test_fraction`` of the documents; PageSpace on
    one held-out item of a ``test_fraction`` of the users, beside the popularity baseline."""
    from embedstudio.analysis.tagging import evaluate_recommendations, evaluate_tags, popularity_recommendations
    from embedstudio.data.labelled import hold_out_items, split_docs
    from embedstudio.train.starspace import StarSpaceTrainer

    held = None
    if cfg.mode == "tagspace" and test_docs is None and test_fraction > 0 and len(data) >= MIN_ROWS_TO_HOLD_OUT:
        data, _, test_docs = split_docs(data, valid=0.0, test=test_fraction, seed=cfg.seed)
    elif cfg.mode == "pagespace" and test_fraction > 0 and len(data) >= MIN_ROWS_TO_HOLD_OUT:
        data, held = hold_out_items(data, share=test_fraction, seed=cfg.seed)
    trainer = StarSpaceTrainer(cfg)
    layout = map_layout(live_map)
    yield from live_training(trainer, data, mailbox, layout, snapshots=live_map)
    model = trainer.model()
    scores = baseline = None
    if cfg.mode == "tagspace" and test_docs is not None and len(test_docs):
        scores = evaluate_tags(model, test_docs, ks=TAG_KS)
    if held is not None and len(held):
        scores = evaluate_recommendations(model, data, held, ks=RECOMMENDATION_KS)
        baseline = popularity_recommendations(data, held, ks=RECOMMENDATION_KS)
    return TrainedSpace(model, layout(model.vectors) if layout is not None else None, scores, baseline, data)


def read_session_model(folder: str, view: dict, embeddings: dict):
    """(name, SpaceModel) a session keeps beside the embedding its view names (``view["space_model"]``), or None."""
    from embedstudio.session import session_file
    from embedstudio.starspacemodel import SpaceModel

    name = view.get("space_model")
    if not (isinstance(name, str) and name in embeddings):
        return None
    path = session_file(folder, SPACE_MODEL_FILE, "the StarSpace model", must_exist=False)
    return None if path is None else (name, SpaceModel.load(path))
