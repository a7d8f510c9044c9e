"""Extrinsic evaluation: keep the downstream model fixed, swap only the embeddings, compare the metric.

Intrinsic scores (analogies, similarity benchmarks) often disagree with what an embedding is for.
Here each embedding becomes the features of one fixed classifier, and the classifier's cross-validated
accuracy and macro-F1 are compared:

* **documents** (:func:`compare_embeddings`): a document's feature is the mean (or sum) of the
  vectors of its tokens found in the embedding; a document with none gets zeros and counts against
  the embedding's *coverage* (it is kept: dropping it would let a small vocabulary choose an easier
  test set).
* **nodes** (:func:`compare_node_embeddings`): a node's feature is its own vector; a node missing
  from an embedding gets zeros, likewise counted in coverage.

The protocol is the same for every embedding, so only the features differ:

* **the same folds**: one seeded ``StratifiedKFold(folds, shuffle=True, random_state=seed)``
  split is computed once and reused for every embedding (:func:`stratified_folds`);
* **the same model**: ``StandardScaler`` then ``LogisticRegression(max_iter=1000,
  random_state=seed)`` in a Pipeline, fit on the training fold only (the test fold never informs
  the scaling); or ``model="mlp"``, a small ``MLPClassifier`` (see :data:`MODELS`);
* **classes with fewer members than ``folds``** are dropped first (stratification needs one member
  per test fold); the result names them and counts their documents, and fewer than two classes
  left is a ValueError.

Confidence intervals are Student t over the folds: mean ± t(0.975, k-1)·sd/√k. The folds share
training data, so the fold scores are not independent and this interval is somewhat optimistic
(Nadeau & Bengio 2003); :meth:`ExtrinsicResult.paired_difference` offers their corrected variance
with ``corrected=True``. Because every embedding sees the same folds, the question "did the metric
improve?" is answered by the *paired* per-fold difference, whose interval is much narrower than
comparing two separate intervals.

Poincaré embeddings (``geometry == "poincare"``) are used with their coordinates as they are: the
downstream model is Euclidean, and the mean of points in the ball stays in the ball. This measures
what a Euclidean classifier can read from the coordinates, not a hyperbolic classifier's accuracy.

Long runs take ``progress(done, total)`` (called once at the start and after each fold fit) and
``should_stop()`` (checked before each fold fit); a stopped run returns None.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from embedstudio.data.errors import DataFormatError
from embedstudio.storage import atomic_write
from embedstudio.vectors import Embedding

__all__ = [
    "ExtrinsicResult", "PairedDifference", "MODELS", "POOLINGS", "METRICS", "document_features",
    "compare_embeddings", "compare_node_embeddings", "stratified_folds", "t_interval",
]

MODELS = ("logreg", "mlp")
"""Downstream models: ``logreg`` = LogisticRegression(max_iter=1000); ``mlp`` = MLPClassifier with
``hidden`` layers (default (128,)), ``max_iter`` 300, no early stopping. Both on standardised features."""
POOLINGS = ("mean", "sum")
METRICS = ("accuracy", "macro_f1")
CONFIDENCE = 0.95
_FORMAT_TAG = "embedstudio-extrinsic"
_FORMAT_VERSION = 1
_METRIC_TITLES = {"accuracy": "accuracy", "macro_f1": "macro-F1"}

Progress = Callable[[int, int], None] | None
ShouldStop = Callable[[], bool] | None


# --------------------------------------------------------------------------- statistics
def t_interval(values: Sequence[float], confidence: float = CONFIDENCE,
               variance_factor: float | None = None) -> tuple[float, float, float]:
    """``(mean, low, high)``: mean ± t((1+confidence)/2, k-1)·sd/√k over the k values (sd with ddof=1).

    ``variance_factor`` replaces the 1/k of the usual standard error (the Nadeau–Bengio correction
    passes 1/k + n_test/n_train). One value gives an interval of NaN: it has no spread to measure.
    """
    from scipy import stats

    v = np.asarray(values, dtype=np.float64).ravel()
    k = v.size
    if k == 0:
        return math.nan, math.nan, math.nan
    mean = float(v.mean())
    if k < 2:
        return mean, math.nan, math.nan
    factor = 1.0 / k if variance_factor is None else float(variance_factor)
    half = float(stats.t.ppf(0.5 + confidence / 2, k - 1)) * math.sqrt(float(v.var(ddof=1)) * factor)
    return mean, mean - half, mean + half


@dataclass
class PairedDifference:
    """Per-fold ``metric(a) - metric(b)`` on the same folds, its mean and t interval."""

    a: str
    b: str
    metric: str
    differences: np.ndarray
    mean: float
    low: float
    high: float
    corrected: bool = False
    confidence: float = CONFIDENCE

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies wholly on one side of 0 (a difference the folds support)."""
        return bool(self.low > 0 or self.high < 0)

    def __str__(self) -> str:
        how = "Nadeau-Bengio corrected " if self.corrected else ""
        return (f"{self.a} - {self.b} ({_METRIC_TITLES.get(self.metric, self.metric)}): {self.mean:+.4f} "
                f"[{self.low:+.4f}, {self.high:+.4f}] ({how}{100 * self.confidence:g}% t interval over "
                f"{len(self.differences)} paired folds)")


# --------------------------------------------------------------------------- the result
@dataclass(eq=False)
class ExtrinsicResult:
    """Per-fold scores of each embedding under one protocol (same folds, same model).

    ``accuracy`` and ``macro_f1`` are ``(len(names), folds)`` float64 arrays: row i is
    ``names[i]``, column j is fold j (the same fold for every row). ``coverage[i]`` is the share of
    items that got a non-zero feature from embedding i (for documents: at least one known token;
    ``token_coverage[i]`` is the share of token occurrences found). ``dropped_classes`` had fewer
    than ``folds`` members and were left out with their ``dropped_docs`` items;
    ``dropped_without_media`` counts fusion items left out for lack of media features.
    ``not_converged[i]`` counts the folds whose model stopped at its iteration limit.
    """

    task: str
    names: list[str]
    accuracy: np.ndarray
    macro_f1: np.ndarray
    coverage: np.ndarray
    n_docs: int
    n_classes: int
    folds: int
    seed: int
    model: str
    model_params: dict = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)
    dropped_classes: list[str] = field(default_factory=list)
    dropped_docs: int = 0
    dropped_without_media: int = 0
    pooling: str | None = None
    token_coverage: np.ndarray | None = None
    not_converged: np.ndarray | None = None
    fold_sizes: list[int] = field(default_factory=list)
    confidence: float = CONFIDENCE

    def __post_init__(self):
        self.names = [str(n) for n in self.names]
        self.accuracy = np.asarray(self.accuracy, dtype=np.float64).reshape(len(self.names), -1)
        self.macro_f1 = np.asarray(self.macro_f1, dtype=np.float64).reshape(len(self.names), -1)
        self.coverage = np.asarray(self.coverage, dtype=np.float64).reshape(len(self.names))
        if self.token_coverage is not None:
            self.token_coverage = np.asarray(self.token_coverage, dtype=np.float64).reshape(len(self.names))
        if self.not_converged is None:
            self.not_converged = np.zeros(len(self.names), dtype=np.int64)
        self.not_converged = np.asarray(self.not_converged, dtype=np.int64).reshape(len(self.names))

    # ------------------------------------------------------------------ numbers
    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"no embedding named {name!r}; the result has {', '.join(map(repr, self.names))}") from None

    def scores(self, metric: str = "accuracy") -> np.ndarray:
        """The ``(len(names), folds)`` per-fold scores of ``metric`` ("accuracy" or "macro_f1")."""
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
        return self.accuracy if metric == "accuracy" else self.macro_f1

    def mean(self, metric: str = "accuracy") -> np.ndarray:
        """Mean over folds, one per embedding."""
        return self.scores(metric).mean(axis=1)

    def ci(self, metric: str = "accuracy") -> np.ndarray:
        """``(len(names), 2)``: the t interval (low, high) of each embedding's mean over folds."""
        return np.array([t_interval(row, self.confidence)[1:] for row in self.scores(metric)]).reshape(-1, 2)

    def paired_difference(self, a: str, b: str, metric: str = "accuracy", corrected: bool = False) -> PairedDifference:
        """``metric(a) - metric(b)`` fold by fold (paired: the folds are the same), mean and t interval.

        An interval excluding 0 says the folds support a real difference. ``corrected=True`` uses
        Nadeau & Bengio's variance (1/k + n_test/n_train)·s² instead of s²/k, which accounts for the
        folds' overlapping training sets; it is wider and the safer test.
        """
        d = self.scores(metric)[self.index(a)] - self.scores(metric)[self.index(b)]
        factor = None
        if corrected:
            sizes = np.asarray(self.fold_sizes, dtype=np.float64)
            total = float(sizes.sum()) if sizes.size else float(self.n_docs)
            test = float(sizes.mean()) if sizes.size else total / max(self.folds, 1)
            factor = 1.0 / len(d) + test / max(total - test, 1.0)
        mean, low, high = t_interval(d, self.confidence, factor)
        return PairedDifference(a, b, metric, d, mean, low, high, corrected, self.confidence)

    # ------------------------------------------------------------------ presentation
    def rows(self) -> list[dict]:
        """One dict per embedding for a GUI table: name, each metric's mean/low/high, coverage."""
        out = []
        acc, f1 = self.ci("accuracy"), self.ci("macro_f1")
        acc_mean, f1_mean = self.mean("accuracy"), self.mean("macro_f1")
        for i, name in enumerate(self.names):
            out.append({
                "name": name,
                "accuracy": float(acc_mean[i]), "accuracy_low": float(acc[i, 0]), "accuracy_high": float(acc[i, 1]),
                "macro_f1": float(f1_mean[i]), "macro_f1_low": float(f1[i, 0]), "macro_f1_high": float(f1[i, 1]),
                "coverage": float(self.coverage[i]),
                "not_converged": int(self.not_converged[i]),
            })
        return out

    def table(self) -> str:
        """A plain-text aligned table (embedding, accuracy [CI], macro-F1 [CI], coverage) and a footer."""
        rows = self.rows()
        cells = [[r["name"],
                  f"{r['accuracy']:.4f} [{r['accuracy_low']:.4f}, {r['accuracy_high']:.4f}]",
                  f"{r['macro_f1']:.4f} [{r['macro_f1_low']:.4f}, {r['macro_f1_high']:.4f}]",
                  f"{100 * r['coverage']:.1f}%"] for r in rows]
        pct = f"{100 * self.confidence:g}%"
        head = ["embedding", f"accuracy [{pct} CI]", f"macro-F1 [{pct} CI]", "coverage"]
        widths = [max(len(c[j]) for c in [head, *cells]) for j in range(4)]

        def line(c):
            return "  ".join([c[0].ljust(widths[0]), *(c[j].rjust(widths[j]) for j in range(1, 4))])

        out = [line(head), "-" * (sum(widths) + 6), *(line(c) for c in cells)]
        params = ", ".join(f"{k}={v}" for k, v in self.model_params.items())
        pooling = f", {self.pooling} pooling" if self.pooling else ""
        out.append(f"{self.folds}-fold stratified CV (seed {self.seed}), {self.model}({params}) on standardised "
                   f"features{pooling}; {self.n_docs:,} items, {self.n_classes} classes")
        if self.dropped_classes:
            out.append(f"dropped {len(self.dropped_classes)} classes with fewer than {self.folds} members "
                       f"({self.dropped_docs:,} items)")
        if self.dropped_without_media:
            out.append(f"dropped {self.dropped_without_media:,} items without media features")
        for name, n in zip(self.names, self.not_converged):
            if n:
                out.append(f"{name}: the model hit its iteration limit in {n} of {self.folds} folds")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.table()

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict:
        """Plain JSON-able values; ``mean`` and ``ci`` are included for readers, recomputed on load."""
        return {
            "format": _FORMAT_TAG, "version": _FORMAT_VERSION,
            "task": self.task, "names": list(self.names),
            "accuracy": self.accuracy.tolist(), "macro_f1": self.macro_f1.tolist(),
            "mean": {m: self.mean(m).tolist() for m in METRICS},
            "ci": {m: self.ci(m).tolist() for m in METRICS},
            "coverage": self.coverage.tolist(),
            "token_coverage": None if self.token_coverage is None else self.token_coverage.tolist(),
            "not_converged": self.not_converged.tolist(),
            "n_docs": int(self.n_docs), "n_classes": int(self.n_classes), "classes": list(self.classes),
            "dropped_classes": list(self.dropped_classes), "dropped_docs": int(self.dropped_docs),
            "dropped_without_media": int(self.dropped_without_media),
            "folds": int(self.folds), "seed": int(self.seed), "model": self.model,
            "model_params": _jsonable(self.model_params), "pooling": self.pooling,
            "fold_sizes": [int(s) for s in self.fold_sizes], "confidence": float(self.confidence),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> "ExtrinsicResult":
        """The inverse of :meth:`to_dict` (a ValueError when ``d`` is not one of its outputs)."""
        if not isinstance(d, Mapping) or d.get("format") != _FORMAT_TAG:
            raise ValueError("not an extrinsic evaluation result (wrong or missing format tag)")
        try:
            return cls(
                task=str(d["task"]), names=list(d["names"]), accuracy=d["accuracy"], macro_f1=d["macro_f1"],
                coverage=d["coverage"], token_coverage=d.get("token_coverage"), not_converged=d.get("not_converged"),
                n_docs=int(d["n_docs"]), n_classes=int(d["n_classes"]), classes=list(d.get("classes", [])),
                dropped_classes=list(d.get("dropped_classes", [])), dropped_docs=int(d.get("dropped_docs", 0)),
                dropped_without_media=int(d.get("dropped_without_media", 0)),
                folds=int(d["folds"]), seed=int(d["seed"]), model=str(d["model"]),
                model_params=dict(d.get("model_params", {})), pooling=d.get("pooling"),
                fold_sizes=[int(s) for s in d.get("fold_sizes", [])],
                confidence=float(d.get("confidence", CONFIDENCE)),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"malformed extrinsic evaluation result: {e}") from None

    def save(self, path: str | os.PathLike) -> None:
        """Write :meth:`to_dict` as JSON, atomically."""
        with atomic_write(path) as f:
            f.write(json.dumps(self.to_dict(), ensure_ascii=False, indent=1).encode("utf-8"))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "ExtrinsicResult":
        """Read a file written by :meth:`save`; every problem is a DataFormatError."""
        try:
            with open(path, "rb") as f:
                d = json.loads(f.read().decode("utf-8"))
            return cls.from_dict(d)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise DataFormatError(path, None, f"cannot read an extrinsic evaluation result: {e}") from None


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


# --------------------------------------------------------------------------- document features
class _TokenizedDocs:
    """Documents flattened once: each token occurrence's document row and id among unique tokens.

    Looking up an embedding then costs one dict lookup per *distinct* token, and pooling is a
    sparse (documents x keys) count matrix times the embedding's matrix.
    """

    def __init__(self, docs: Sequence[Sequence[str]]):
        lengths = np.fromiter((len(_check_doc(d, i)) for i, d in enumerate(docs)), dtype=np.int64, count=len(docs))
        self.n = len(docs)
        ids: dict[str, int] = {}
        total = int(lengths.sum())
        # setdefault(t, len(ids)): len is taken before the insert, so a new token gets the next id.
        self.token_ids = np.fromiter((ids.setdefault(t, len(ids)) for t in itertools.chain.from_iterable(docs)),
                                     dtype=np.int64, count=total)
        self.unique = list(ids)
        self.doc_of_token = np.repeat(np.arange(self.n, dtype=np.int64), lengths)

    def pool(self, embedding: Embedding, pooling: str) -> tuple[np.ndarray, np.ndarray, float]:
        """``(features float32 [n, dim], covered bool [n], token coverage)``."""
        from scipy import sparse

        kti = embedding.key_to_index
        rows_of_unique = np.fromiter((kti.get(t, -1) for t in self.unique), dtype=np.int64, count=len(self.unique))
        rows = rows_of_unique[self.token_ids]
        found = rows >= 0
        docs = self.doc_of_token[found]
        counts = np.bincount(docs, minlength=self.n)
        counts_matrix = sparse.csr_matrix(
            (np.ones(len(docs), dtype=np.float32), (docs, rows[found])), shape=(self.n, len(embedding)))
        x = np.asarray(counts_matrix @ embedding.vectors, dtype=np.float32)  # repeats add up in the conversion
        covered = counts > 0
        if pooling == "mean":
            x /= np.maximum(counts, 1).astype(np.float32)[:, None]
        token_coverage = float(found.mean()) if found.size else 0.0
        return np.ascontiguousarray(x), covered, token_coverage


def _check_doc(doc, i: int):
    if isinstance(doc, (str, bytes)):
        raise TypeError(f"document {i} is a string, not a sequence of tokens: tokenise it first "
                        "(a string would be read one character at a time)")
    return doc


def _check_pooling(pooling: str) -> None:
    if pooling not in POOLINGS:
        raise ValueError(f"unknown pooling {pooling!r}; known: {', '.join(POOLINGS)}")


def document_features(docs: Sequence[Sequence[str]], embedding: Embedding,
                      pooling: str = "mean") -> tuple[np.ndarray, np.ndarray]:
    """``(X float32 [n, dim], covered bool [n])``: each document's pooled token vectors.

    ``pooling="mean"`` averages the vectors of the document's tokens found in the embedding (a
    repeated token counts each time, as in the usual bag-of-vectors baseline); ``"sum"`` adds them.
    Unknown tokens are skipped; a document with no known token gets zeros and ``covered=False``.
    Vectorised: one dict lookup per distinct token, then a sparse count matrix times the vectors.
    """
    _check_pooling(pooling)
    x, covered, _ = _TokenizedDocs(docs).pool(embedding, pooling)
    return x, covered


def node_features(nodes: Sequence[str], embedding: Embedding) -> tuple[np.ndarray, np.ndarray]:
    """``(X float32 [n, dim], covered bool [n])``: each node's own vector, zeros when it is missing."""
    kti = embedding.key_to_index
    rows = np.fromiter((kti.get(str(k), -1) for k in nodes), dtype=np.int64, count=len(nodes))
    covered = rows >= 0
    x = np.zeros((len(nodes), embedding.dim), dtype=np.float32)
    x[covered] = embedding.vectors[rows[covered]]
    return x, covered


# --------------------------------------------------------------------------- labels and folds
@dataclass
class _Labels:
    keep: np.ndarray  # bool mask over the input items
    y: np.ndarray  # int class ids of the kept items
    classes: list[str]
    dropped_classes: list[str]
    dropped_docs: int


def _prepare_labels(labels: Sequence, folds: int, n_items: int, what: str = "documents") -> _Labels:
    """Drop classes with fewer than ``folds`` members; a ValueError when fewer than 2 classes remain."""
    if int(folds) != folds or folds < 2:
        raise ValueError(f"folds must be an integer >= 2, got {folds!r}")
    labels = [str(v) for v in labels]
    if len(labels) != n_items:
        raise ValueError(f"{len(labels)} labels for {n_items} {what}: give one label per item")
    if not labels:
        raise ValueError(f"no {what} to evaluate")
    classes, inverse, counts = np.unique(np.array(labels, dtype=object).astype(str), return_inverse=True,
                                         return_counts=True)
    rare = counts < folds
    keep = ~rare[inverse]
    kept_classes = [str(c) for c in classes[~rare]]
    dropped = [str(c) for c in classes[rare]]
    if len(kept_classes) < 2:
        raise ValueError(
            f"only {len(kept_classes)} class(es) have at least {folds} members (one per fold) among "
            f"{len(classes)} classes and {n_items} {what}; a classifier needs 2 or more: add labelled "
            "items or use fewer folds")
    new_id = np.cumsum(~rare) - 1
    return _Labels(keep, new_id[inverse[keep]].astype(np.int64), kept_classes, dropped, int((~keep).sum()))


def stratified_folds(y: Sequence, folds: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(train indices, test indices), ...]`` of ``StratifiedKFold(folds, shuffle=True, random_state=seed)``.

    Computed once per comparison and reused for every embedding: the folds are identical by construction.
    """
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y)
    splitter = StratifiedKFold(n_splits=int(folds), shuffle=True, random_state=int(seed))
    return [(train, test) for train, test in splitter.split(np.zeros((len(y), 1)), y)]


# --------------------------------------------------------------------------- the cross-validation
def _model_params(model: str, hidden: Sequence[int] = (128,), max_iter: int | None = None) -> dict:
    if model == "logreg":
        return {"max_iter": 1000 if max_iter is None else int(max_iter)}
    if model == "mlp":
        return {"hidden": [int(h) for h in hidden], "max_iter": 300 if max_iter is None else int(max_iter)}
    raise ValueError(f"unknown model {model!r}; known: {', '.join(MODELS)}")


def _pipeline(model: str, params: dict, seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if model == "logreg":
        clf = LogisticRegression(max_iter=params["max_iter"], random_state=seed)
    else:
        clf = MLPClassifier(hidden_layer_sizes=tuple(params["hidden"]), random_state=seed,
                            max_iter=params["max_iter"], early_stopping=False)
    return Pipeline([("scale", StandardScaler()), ("model", clf)])


def _hit_limit(pipeline, params: dict) -> bool:
    """Whether the fitted model stopped at its iteration limit (read from n_iter_, not from warnings,
    whose capture would change process-wide state from a worker thread)."""
    n_iter = np.max(np.atleast_1d(getattr(pipeline[-1], "n_iter_", 0)))
    return bool(n_iter >= params["max_iter"])


def _cross_validate(task: str, names: list[str], features: Callable[[int], tuple[np.ndarray, np.ndarray, float | None]],
                    labels: _Labels, *, folds: int, seed: int, model: str, params: dict,
                    progress: Progress, should_stop: ShouldStop, **extra) -> ExtrinsicResult | None:
    """Fit the same pipeline on the same folds for each feature matrix; None when stopped."""
    from sklearn.metrics import accuracy_score, f1_score

    y = labels.y
    splits = stratified_folds(y, folds, seed)
    k = len(splits)
    accuracy = np.zeros((len(names), k))
    macro_f1 = np.zeros((len(names), k))
    coverage = np.zeros(len(names))
    token_coverage = np.zeros(len(names))
    not_converged = np.zeros(len(names), dtype=np.int64)
    class_ids = np.arange(len(labels.classes))
    total, done = len(names) * k, 0
    if progress is not None:
        progress(0, total)
    for i in range(len(names)):
        if should_stop is not None and should_stop():
            return None
        x, covered, tokens = features(i)  # one embedding's features at a time: memory stays at one matrix
        coverage[i] = float(covered.mean()) if covered.size else 0.0
        token_coverage[i] = coverage[i] if tokens is None else tokens
        for j, (train, test) in enumerate(splits):
            if should_stop is not None and should_stop():
                return None
            pipe = _pipeline(model, params, seed)
            pipe.fit(x[train], y[train])
            predicted = pipe.predict(x[test])
            accuracy[i, j] = accuracy_score(y[test], predicted)
            macro_f1[i, j] = f1_score(y[test], predicted, labels=class_ids, average="macro", zero_division=0)
            not_converged[i] += _hit_limit(pipe, params)
            done += 1
            if progress is not None:
                progress(done, total)
        del x
    return ExtrinsicResult(
        task=task, names=names, accuracy=accuracy, macro_f1=macro_f1, coverage=coverage,
        token_coverage=token_coverage, not_converged=not_converged, n_docs=len(y), n_classes=len(labels.classes),
        classes=labels.classes, dropped_classes=labels.dropped_classes, dropped_docs=labels.dropped_docs,
        folds=k, seed=int(seed), model=model, model_params=params, fold_sizes=[len(t) for _, t in splits], **extra,
    )


def _check_embeddings(embeddings: Mapping[str, Embedding]) -> list[str]:
    names = [str(n) for n in embeddings]
    if not names:
        raise ValueError("give at least one embedding to evaluate")
    for name, emb in embeddings.items():
        if not isinstance(emb, Embedding):
            raise TypeError(f"{name!r} is a {type(emb).__name__}, not an Embedding")
    return names


def compare_embeddings(docs: Sequence[Sequence[str]], labels: Sequence[str], embeddings: Mapping[str, Embedding], *,
                       folds: int = 5, seed: int = 0, pooling: str = "mean", model: str = "logreg",
                       progress: Progress = None, should_stop: ShouldStop = None) -> ExtrinsicResult | None:
    """Document classification with each embedding's pooled token vectors as the only features.

    ``docs`` are token lists, ``labels`` one label per document (compared as strings). Classes
    with fewer than ``folds`` members are dropped and reported (``dropped_classes``,
    ``dropped_docs``); fewer than 2 classes left is a ValueError. Every embedding is scored on the
    same ``StratifiedKFold`` folds with the same model (see the module docstring). Returns None
    when ``should_stop()`` turned true.
    """
    _check_pooling(pooling)
    names = _check_embeddings(embeddings)
    params = _model_params(model)
    prepared = _prepare_labels(labels, folds, len(docs), "documents")
    kept = [d for d, keep in zip(docs, prepared.keep) if keep]
    tokenized = _TokenizedDocs(kept)
    models = list(embeddings.values())
    return _cross_validate("documents", names, lambda i: tokenized.pool(models[i], pooling), prepared,
                           folds=folds, seed=seed, model=model, params=params, progress=progress,
                           should_stop=should_stop, pooling=pooling)


def compare_node_embeddings(nodes: Sequence[str], labels: Sequence[str], embeddings: Mapping[str, Embedding], *,
                            folds: int = 5, seed: int = 0, model: str = "logreg",
                            progress: Progress = None, should_stop: ShouldStop = None) -> ExtrinsicResult | None:
    """Node classification: a node's feature is its own vector (zeros, and less coverage, when missing).

    The same rules as :func:`compare_embeddings` for labels, folds, the model and stopping.
    """
    names = _check_embeddings(embeddings)
    params = _model_params(model)
    prepared = _prepare_labels(labels, folds, len(nodes), "nodes")
    kept = [str(n) for n, keep in zip(nodes, prepared.keep) if keep]
    models = list(embeddings.values())

    def features(i):
        x, covered = node_features(kept, models[i])
        return x, covered, None

    return _cross_validate("nodes", names, features, prepared, folds=folds, seed=seed, model=model,
                           params=params, progress=progress, should_stop=should_stop)
