"""Bias in word embeddings: directions, projections and the published measures, and debiasing.

* **Direction** from definitional pairs (he/she, man/woman, ...): the principal components of the
  pairs' centred vectors, with the variance each explains -- is it really one direction?
  (Bolukbasi et al. 2016) -- or from the centroids of two word sets.
* **WEAT** (Caliskan et al. 2017): s(w, A, B) = mean cos(w, A) - mean cos(w, B); the effect size
  d = (mean_X s - mean_Y s) / std_{X ∪ Y} s (population std, as WEFE computes it) and the one-sided
  permutation p-value P[S(X_i, Y_i) > S(X, Y)] over the equal-size splits of X ∪ Y: every split
  when there are few, a seeded sample otherwise.
* **DirectBias_c** (Bolukbasi et al.): mean |cos(w, g)|^c over neutral words; **RIPA** (Ethayarajh
  et al. 2019): w · b with b the unit direction; the **share** of a word's norm along the direction.
* **Debiasing**: hard debias (neutralise the neutral words, equalise the pairs) and plain projection
  removal. Both return a new Embedding; the original is untouched.

Out-of-vocabulary words are reported, never silently dropped: every function that takes words
returns or raises with the missing ones.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from embedstudio.vectors import BLOCK_ROWS, Embedding


class MissingWords(ValueError):
    """Words a measure needs are not in the vocabulary."""

    def __init__(self, missing: list[str], what: str = "words"):
        self.missing = list(missing)
        super().__init__(f"{what} not in the vocabulary: {', '.join(self.missing)}")


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def split_known(embedding: Embedding, words) -> tuple[list[str], list[str]]:
    """(words in the vocabulary, words that are not), each in the given order."""
    words = list(words)
    return [w for w in words if w in embedding], [w for w in words if w not in embedding]


# --------------------------------------------------------------------------- directions
@dataclass
class Direction:
    vector: np.ndarray  # unit vector, float64
    explained: np.ndarray  # share of variance of each principal component (pairs), or [1.0] (centroids)
    used: list  # the pairs (or words) that were found
    missing: list[str] = field(default_factory=list)  # words not in the vocabulary


def pair_direction(embedding: Embedding, pairs, n_components: int = 10) -> Direction:
    """Bolukbasi et al.'s gender direction: the first principal component of the pairs' vectors,
    each pair centred on its own mean; ``explained`` gives every component's share of variance.
    The sign is chosen so that the first word of each pair scores higher on average."""
    used, missing = [], []
    for a, b in pairs:
        gone = [w for w in (a, b) if w not in embedding]
        missing += gone
        if not gone:
            used.append((a, b))
    if not used:
        raise MissingWords(missing or ["(no pairs)"], "no definitional pair is complete;")
    rows = []
    for a, b in used:
        va, vb = _unit(embedding[a]), _unit(embedding[b])
        centre = (va + vb) / 2
        rows += [va - centre, vb - centre]
    m = np.asarray(rows)
    _, s, vt = np.linalg.svd(m, full_matrices=False)
    var = s ** 2
    explained = (var / var.sum())[:n_components] if var.sum() > 0 else np.zeros(1)
    direction = vt[0]
    firsts = np.mean([_unit(embedding[a]) @ direction - _unit(embedding[b]) @ direction for a, b in used])
    if firsts < 0:
        direction = -direction
    return Direction(_unit(direction), explained, used, missing)


def centroid_direction(embedding: Embedding, words_a, words_b) -> Direction:
    """The direction from the centroid of ``words_b`` to that of ``words_a`` (unit vectors averaged)."""
    a, miss_a = split_known(embedding, words_a)
    b, miss_b = split_known(embedding, words_b)
    if not a or not b:
        raise MissingWords(miss_a + miss_b, "a word set has no word in the vocabulary;")
    direction = _unit(embedding.vectors[[embedding.index(w) for w in a]]).mean(0) - \
        _unit(embedding.vectors[[embedding.index(w) for w in b]]).mean(0)
    return Direction(_unit(direction), np.array([1.0]), a + b, miss_a + miss_b)


def projections(embedding: Embedding, direction: np.ndarray, words=None) -> tuple[list[str], np.ndarray]:
    """cos(w, direction) of ``words`` (default: every word), sorted from most negative to most positive."""
    if words is None:
        rows = np.arange(len(embedding))
    else:
        known, _ = split_known(embedding, words)
        rows = np.array([embedding.index(w) for w in known], dtype=np.int64)
    scores = _unit(embedding.vectors[rows]) @ _unit(direction)
    order = np.argsort(scores, kind="stable")
    return [embedding.keys[rows[i]] for i in order], scores[order]


# --------------------------------------------------------------------------- measures
def _matrix(embedding: Embedding, words, what: str) -> np.ndarray:
    known, missing = split_known(embedding, words)
    if missing:
        raise MissingWords(missing, what)
    return np.asarray(embedding.vectors[[embedding.index(w) for w in known]], dtype=np.float64)


@dataclass
class WeatResult:
    effect_size: float
    p_value: float
    statistic: float  # S(X, Y, A, B)
    exact: bool  # p-value over every split, or a sample
    permutations: int
    missing: dict = field(default_factory=dict)  # set name -> words left out (drop_missing=True)


def weat(embedding: Embedding, X, Y, A, B, *, drop_missing: bool = False, max_exact: int = 100_000,
         samples: int = 100_000, seed: int = 0) -> WeatResult:
    """WEAT effect size and one-sided permutation p-value; see the module docstring. A word not in
    the vocabulary raises :class:`MissingWords`, unless ``drop_missing``: then the test runs on the
    words found and ``missing`` names the others (as WEFE does below its lost-vocabulary threshold)."""
    missing = {}
    sets = []
    for name, words in (("X", X), ("Y", Y), ("A", A), ("B", B)):
        known, gone = split_known(embedding, words)
        if gone and not drop_missing:
            raise MissingWords(gone, f"{name} words")
        if not known:
            raise MissingWords(gone, f"no {name} word is in the vocabulary;")
        if gone:
            missing[name] = gone
        sets.append(_matrix(embedding, known, f"{name} words"))
    x, y, a, b = sets
    targets = _unit(np.vstack([x, y]))
    s = (targets @ _unit(a).T).mean(axis=1) - (targets @ _unit(b).T).mean(axis=1)
    nx = len(x)
    sx, sy = s[:nx], s[nx:]
    effect = float((sx.mean() - sy.mean()) / s.std())
    statistic = float(sx.sum() - sy.sum())
    total = s.sum()
    n = len(s)
    count = math.comb(n, nx)
    # S(X_i, Y_i) = sum(X_i) - (total - sum(X_i)) = 2 sum(X_i) - total
    if count <= max_exact:
        sums = np.array([s[list(c)].sum() for c in itertools.combinations(range(n), nx)])
        exact, permutations = True, count
    else:
        rng = np.random.default_rng(seed)
        sums = np.array([s[rng.permutation(n)[:nx]].sum() for _ in range(samples)])
        exact, permutations = False, samples
    p = float(np.mean(2 * sums - total > statistic))
    return WeatResult(effect, p, statistic, exact, permutations, missing)


def direct_bias(embedding: Embedding, direction: np.ndarray, neutral_words, c: float = 1.0) -> float:
    """Bolukbasi et al.'s DirectBias_c: mean over neutral words of |cos(w, g)|^c."""
    m = _matrix(embedding, neutral_words, "neutral words")
    return float(np.mean(np.abs(_unit(m) @ _unit(direction)) ** c))


def ripa(embedding: Embedding, direction: np.ndarray, words) -> np.ndarray:
    """RIPA (Ethayarajh et al. 2019): w · b for the unit bias direction b (the raw vector, not normalised)."""
    return _matrix(embedding, words, "words") @ _unit(direction)


def norm_share(embedding: Embedding, direction: np.ndarray, words) -> np.ndarray:
    """The share of each word's squared norm that lies along the direction, in [0, 1]."""
    m = _matrix(embedding, words, "words")
    along = (m @ _unit(direction)) ** 2
    return along / np.maximum((m ** 2).sum(axis=1), 1e-30)


# --------------------------------------------------------------------------- debiasing
def remove_projection(embedding: Embedding, direction: np.ndarray, words=None) -> Embedding:
    """Subtract every vector's component along the direction (or only ``words``'); a new Embedding (one
    float32 copy, changed a block of rows at a time: no float64 matrix)."""
    g = _unit(direction)
    vectors = embedding.vectors.copy()
    rows = np.arange(len(embedding)) if words is None else np.array(
        [embedding.index(w) for w in split_known(embedding, words)[0]], dtype=np.int64)
    for start in range(0, len(rows), BLOCK_ROWS):
        part = rows[start: start + BLOCK_ROWS]
        block = vectors[part].astype(np.float64)
        block -= np.outer(block @ g, g)
        vectors[part] = block
    return _derived(embedding, vectors, {"debias": "projection removal", "words": "all" if words is None else len(rows)})


def hard_debias(embedding: Embedding, direction: np.ndarray, neutral_words, equalize_pairs) -> Embedding:
    """Bolukbasi et al.'s hard debias on unit-normalised vectors: neutral words lose their component
    along g (and are renormalised); each equalise pair (a, b) becomes ν ± sqrt(1 - |ν|²) g, with ν the
    pair's mean without its g component, so both are equally far from every neutral word."""
    g = _unit(direction)
    vectors = np.empty_like(embedding.vectors)  # the unit rows, in float32, filled a block at a time
    for start in range(0, len(embedding), BLOCK_ROWS):
        vectors[start: start + BLOCK_ROWS] = embedding.unit_rows(slice(start, start + BLOCK_ROWS))
    neutral, _ = split_known(embedding, neutral_words)
    rows = np.array([embedding.index(w) for w in neutral], dtype=np.int64)
    if len(rows):
        changed = vectors[rows].astype(np.float64)
        changed -= np.outer(changed @ g, g)
        vectors[rows] = _unit(changed)
    for a, b in equalize_pairs:
        if a not in embedding or b not in embedding:
            continue
        ia, ib = embedding.index(a), embedding.index(b)
        mu = (vectors[ia].astype(np.float64) + vectors[ib]) / 2
        nu = mu - (mu @ g) * g
        scale = math.sqrt(max(1.0 - float(nu @ nu), 0.0))
        sign_a = 1.0 if vectors[ia] @ g >= vectors[ib] @ g else -1.0
        vectors[ia] = nu + sign_a * scale * g
        vectors[ib] = nu - sign_a * scale * g
    return _derived(embedding, vectors, {"debias": "hard", "neutral_words": len(rows)})


def _derived(embedding: Embedding, vectors: np.ndarray, how: dict) -> Embedding:
    info = dict(embedding.info)
    info["derived_from"] = {"info": embedding.info, **how}
    return Embedding(embedding.keys, np.asarray(vectors, dtype=np.float32), embedding.counts,
                     {k: list(v) for k, v in embedding.metadata.items()}, embedding.geometry, info)
