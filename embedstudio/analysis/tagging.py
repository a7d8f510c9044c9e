"""Ranking metrics of TagSpace (labels for documents) and PageSpace (items for users).

**Tags**, per test document with at least one label: the model ranks every label it knows.
``hits@k``: a true label is in the top k (``hits@1`` is fastText's P@1); ``precision@k`` and
``recall@k``: true labels in the top k over k, and over the document's labels; ``mean rank``: of
the best-ranked true label (1 = first). A true label the model never saw counts as ranked last.

**Recommendations**, leave-one-out: for each (user, held-out item), the user is their remaining
items pooled; every item not already in the bag is ranked; ``recall@k``: the held-out item is in
the top k. :func:`popularity_recommendations` ranks items by how many users have them: the
baseline any recommender must beat clearly.
"""

from __future__ import annotations

import numpy as np

from embedstudio.data.labelled import LabelledDocs, UserItems
from embedstudio.starspacemodel import SpaceModel

DEFAULT_KS = (1, 5, 10)


def _remap(names_from: list[str], index: dict[str, int]) -> np.ndarray:
    return np.fromiter((index.get(n, -1) for n in names_from), dtype=np.int64, count=len(names_from))


def _csr_filter(indptr: np.ndarray, values: np.ndarray, mapping: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """values mapped through ``mapping``, dropping -1, per row."""
    mapped = mapping[values] if len(values) else np.empty(0, np.int64)
    keep = mapped >= 0
    row = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    counts = np.bincount(row[keep], minlength=len(indptr) - 1)
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), mapped[keep]


def evaluate_tags(model: SpaceModel, docs: LabelledDocs, ks=DEFAULT_KS, batch: int = 2048) -> dict:
    """hits@k, precision@k, recall@k, mean rank and MRR of the labels of ``docs`` (by name)."""
    if model.mode != "tagspace":
        raise ValueError("evaluate_tags needs a TagSpace model")
    word_map = _remap(docs.words, model.input_index())
    label_map = _remap(docs.labels, {l: i for i, l in enumerate(model.labels)})
    w_ptr, w_ids = _csr_filter(docs.word_indptr, docs.word_ids, word_map)
    n_labels = len(model.labels)
    ks = tuple(sorted(set(int(k) for k in ks)))
    hits = {k: 0 for k in ks}
    prec = {k: 0.0 for k in ks}
    rec = {k: 0.0 for k in ks}
    rank_sum = rr_sum = 0.0
    n = 0
    no_words = 0
    labelled = np.flatnonzero(np.diff(docs.label_indptr) > 0)
    for lo in range(0, len(labelled), batch):
        rows = labelled[lo:lo + batch]
        ptr = np.concatenate([[0], np.cumsum(w_ptr[rows + 1] - w_ptr[rows])]).astype(np.int64)
        idx = np.concatenate([w_ids[w_ptr[r]:w_ptr[r + 1]] for r in rows]) if len(rows) else np.empty(0, np.int64)
        scores = model.score_queries(model.pool_rows(ptr, idx))
        empty = np.diff(ptr) == 0
        no_words += int(empty.sum())
        scores[empty] = 0.0  # a document with no known word: every label ties, ranked by index
        order = np.argsort(-scores, axis=1, kind="stable")
        position = np.empty_like(order)
        np.put_along_axis(position, order, np.arange(n_labels)[None, :], axis=1)
        for j, r in enumerate(rows):
            true = label_map[docs.doc_labels(r)]
            known = true[true >= 0]
            best = int(position[j, known].min()) + 1 if len(known) else n_labels
            rank_sum += best
            rr_sum += 1.0 / best
            for k in ks:
                inside = int((position[j, known] < k).sum()) if len(known) else 0
                hits[k] += inside > 0
                prec[k] += inside / k
                rec[k] += inside / len(true)
            n += 1
    out = {"documents": n, "labels": n_labels, "no_known_word": no_words,
           "mean_rank": rank_sum / n if n else float("nan"), "mrr": rr_sum / n if n else float("nan")}
    for k in ks:
        out[f"hits@{k}"] = hits[k] / n if n else float("nan")
        out[f"precision@{k}"] = prec[k] / n if n else float("nan")
        out[f"recall@{k}"] = rec[k] / n if n else float("nan")
    return out


def _recommendation_metrics(ranks: np.ndarray, ks) -> dict:
    out = {"users": int(len(ranks)), "mean_rank": float(ranks.mean()) if len(ranks) else float("nan"),
           "mrr": float((1.0 / ranks).mean()) if len(ranks) else float("nan")}
    for k in ks:
        out[f"recall@{k}"] = float((ranks <= k).mean()) if len(ranks) else float("nan")
    return out


def _held_rank(scores: np.ndarray, own: np.ndarray, item: int) -> int:
    scores = scores.copy()
    scores[own] = -np.inf
    return int((scores > scores[item]).sum()) + 1


def evaluate_recommendations(model: SpaceModel, train: UserItems, held: np.ndarray, ks=DEFAULT_KS,
                             batch: int = 1024) -> dict:
    """recall@k, mean rank and MRR of each held-out (user, item) row (ids of ``train``)."""
    if model.mode != "pagespace":
        raise ValueError("evaluate_recommendations needs a PageSpace model")
    item_map = _remap(train.items, model.input_index())
    ranks = []
    held = np.asarray(held, dtype=np.int64).reshape(-1, 2)
    for lo in range(0, len(held), batch):
        part = held[lo:lo + batch]
        bags = [item_map[train.user_items(u)] for u in part[:, 0]]
        bags = [b[b >= 0] for b in bags]
        ptr = np.concatenate([[0], np.cumsum([len(b) for b in bags])]).astype(np.int64)
        scores = model.score_queries(model.pool_rows(ptr, np.concatenate(bags) if bags else np.empty(0, np.int64)))
        for j, (u, item) in enumerate(part):
            target = item_map[item]
            ranks.append(len(model.labels) if target < 0 else _held_rank(scores[j], bags[j], target))
    return _recommendation_metrics(np.asarray(ranks, dtype=np.float64), sorted(set(ks)))


def popularity_recommendations(train: UserItems, held: np.ndarray, ks=DEFAULT_KS) -> dict:
    """The same metrics for ranking items by popularity (users who have them), the user's own left out."""
    counts = train.item_counts.astype(np.float64)
    # ties broken by item id, as a stable sort of the counts would
    scores = counts - np.arange(len(counts)) * 1e-9
    held = np.asarray(held, dtype=np.int64).reshape(-1, 2)
    ranks = np.asarray([_held_rank(scores, train.user_items(u), item) for u, item in held], dtype=np.float64)
    return _recommendation_metrics(ranks, sorted(set(ks)))
