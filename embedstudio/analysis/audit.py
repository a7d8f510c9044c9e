"""A bias audit of one embedding: presets, every measure before and after debiasing, what else moved,
and a self-contained HTML report with the same numbers as JSON.

A preset (``resources/bias/<name>.json``) names its sources and holds definitional pairs, equalise
pairs, words that should be neutral and WEAT tests. Words are matched as given, then lower-case, then
capitalised (embeddings differ in case); words found in no form are listed, never dropped silently.

After debiasing the audit does not stop at "the projections are zero": following Gonen & Goldberg
(2019), the words that were most biased before are clustered into two groups after debiasing, and
the share that falls on the side of their original bias is reported -- near 1.0 means the bias is
still there, only no longer along one direction.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import os
from dataclasses import asdict, dataclass, field

import numpy as np

from embedstudio.analysis import bias
from embedstudio.analysis.bias_figure import (
    bias_figure,
    figure_svg,
    number_text,
    p_text,
)
from embedstudio.resources import resource
from embedstudio.storage import atomic_write
from embedstudio.vectors import Embedding

DEBIAS_METHODS = ("hard", "projection", "none")


@dataclass
class Preset:
    name: str
    description: str
    sources: list[str]
    definitional_pairs: list[tuple[str, str]]
    equalize_pairs: list[tuple[str, str]]
    neutral_words: list[str]
    weat: list[dict]
    direction_sets: tuple[list[str], list[str]] | None = None  # (high, low) word sets: a centroid direction


MAX_PRESET_BYTES = 16 << 20


def known_presets() -> list[str]:
    return sorted(p.stem for p in resource("bias").glob("*.json"))


def load_preset(name_or_path: str) -> Preset:
    """A bundled preset by name, or a JSON file in the same layout."""
    path = name_or_path if os.path.exists(name_or_path) else resource("bias", f"{name_or_path}.json")
    if not os.path.exists(path):
        from embedstudio.graphmodel import unknown_name

        raise unknown_name("bias preset", name_or_path, known_presets())
    from embedstudio.data.errors import DataFormatError
    from embedstudio.storage import special_file_reason

    path = os.fspath(path)
    problem = special_file_reason(path)
    if problem is None and os.path.isfile(path) and os.path.getsize(path) > MAX_PRESET_BYTES:
        problem = f"a preset is a few kB of word lists; this file is over {MAX_PRESET_BYTES:,} bytes"
    if problem:
        raise DataFormatError(path, None, problem)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise DataFormatError(path, e.lineno, f"not valid JSON: {e.msg}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DataFormatError(path, None, f"cannot read the preset: {e}") from None
    try:
        pairs = [tuple(_words(p, 2)) for p in data["definitional_pairs"]]
        equalize = [tuple(_words(p, 2)) for p in data.get("equalize_pairs", [])]
        tests = [{"name": str(t["name"]), **{k: _words(t[k]) for k in ("X", "Y", "A", "B")}}
                 for t in data.get("weat", [])]
        return Preset(str(data["name"]), str(data.get("description", "")), [str(x) for x in data.get("sources", [])],
                      pairs, equalize, _words(data.get("neutral_words", [])), tests)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise DataFormatError(path, None, f"not a bias preset ({type(e).__name__}: {e}); see resources/bias/gender.json "
                                          "for the layout") from None


def _words(value, exactly: int | None = None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise ValueError(f"expected a list of words, got {value!r:.60}")
    if exactly is not None and len(value) != exactly:
        raise ValueError(f"expected {exactly} words, got {value!r:.60}")
    return list(value)


def match_case(embedding: Embedding, words) -> tuple[list[str], list[str]]:
    """(the form of each word found in the vocabulary, words found in no form)."""
    found, missing = [], []
    for w in words:
        for form in (w, w.lower(), w.capitalize()):
            if form in embedding:
                found.append(form)
                break
        else:
            missing.append(w)
    return found, missing


def _pairs(embedding: Embedding, pairs) -> tuple[list[tuple[str, str]], list[str]]:
    out, missing = [], []
    for a, b in pairs:
        (fa, ma), (fb, mb) = match_case(embedding, [a]), match_case(embedding, [b])
        missing += ma + mb
        if fa and fb:
            out.append((fa[0], fb[0]))
    return out, missing


@dataclass
class Measures:
    direct_bias: float
    most_biased: list[tuple[str, float]]  # neutral words by cos with the direction, most negative first
    weat: list[dict]
    ripa: dict = field(default_factory=dict)  # neutral word -> w · b (Ethayarajh et al. 2019)
    norm_share: dict = field(default_factory=dict)  # neutral word -> share of its squared norm along b


@dataclass
class AuditResult:
    preset: str
    vectors: str
    vectors_sha256: str | None
    date: str
    explained_variance: list[float]
    missing: dict
    before: Measures
    after: Measures | None
    debias: str
    neighbours_moved: list[tuple[str, float]] = field(default_factory=list)  # word, overlap of top-10 lists
    cluster_recovery: float | None = None  # Gonen & Goldberg: share of biased words clustered by their old side
    parameters: dict = field(default_factory=dict)
    y_axis: dict | None = None  # a second direction for the two-axis plot: {"low", "high", "before", "after"}


def _measures(embedding: Embedding, direction: np.ndarray, neutral: list[str], tests: list[dict],
              c: float = 1.0) -> Measures:
    words, scores = bias.projections(embedding, direction, neutral)
    results = []
    for t in tests:
        sets = {k: match_case(embedding, t[k])[0] for k in ("X", "Y", "A", "B")}
        if not all(sets.values()):
            results.append({"name": t["name"], "effect_size": None, "p_value": None, "note": "a word set is empty"})
            continue
        r = bias.weat(embedding, sets["X"], sets["Y"], sets["A"], sets["B"], samples=10_000, seed=0)
        results.append({"name": t["name"], "effect_size": r.effect_size, "p_value": r.p_value, "exact": r.exact})
    return Measures(bias.direct_bias(embedding, direction, neutral, c) if neutral else float("nan"),
                    [(w, float(s)) for w, s in zip(words, scores)], results,
                    {w: float(v) for w, v in zip(neutral, bias.ripa(embedding, direction, neutral))} if neutral else {},
                    {w: float(v) for w, v in zip(neutral, bias.norm_share(embedding, direction, neutral))}
                    if neutral else {})


def _neighbours_moved(before: Embedding, after: Embedding, words: list[str], k: int = 10, show: int = 15):
    # every word's neighbours in one pass over each embedding's rows (one query at a time took minutes on 1M words)
    moved = [(w, len({x for x, _ in a} & {x for x, _ in b}) / k)
             for w, a, b in zip(words, before.most_similar_many(words, topn=k), after.most_similar_many(words, topn=k))]
    return sorted(moved, key=lambda m: m[1])[:show]


def _cluster_recovery(before: Embedding, after: Embedding, direction: np.ndarray, n: int = 500) -> float | None:
    from sklearn.cluster import KMeans

    scores = before.cosines(direction) if len(before) else np.zeros(0)
    order = np.argsort(scores)
    half = min(n // 2, len(order) // 2)
    if half < 5:
        return None
    rows = np.concatenate([order[:half], order[-half:]])
    truth = np.r_[np.zeros(half), np.ones(half)]
    labels = KMeans(2, n_init=10, random_state=0).fit_predict(after.unit_rows(rows))
    agree = float(np.mean(labels == truth))
    return max(agree, 1.0 - agree)


def run_audit(embedding: Embedding, preset: Preset, *, debias: str = "hard", vectors_path: str | None = None,
              neighbour_words: int = 200, y_axis: tuple[list[str], list[str]] | None = None,
              strictness: float = 1.0, progress=None) -> tuple[AuditResult, Embedding | None]:
    """Every measure of the preset before (and after) debiasing; returns the result and the debiased
    embedding (None with ``debias="none"``). The given embedding is never changed. ``y_axis`` = (low
    words, high words) adds a second direction (their centroid difference, e.g. junior > senior) on
    which the neutral words are placed too, for a two-axis plot. ``strictness`` is DirectBias's c.
    A preset with ``direction_sets`` takes its direction from the two sets' centroids instead of pairs.
    ``progress(stage, fraction)`` is told what is being measured as the audit goes."""
    def say(stage: str, fraction: float) -> None:
        if progress is not None:
            progress(stage, fraction)

    if debias not in DEBIAS_METHODS:
        from embedstudio.graphmodel import unknown_name

        raise unknown_name("debiasing method", debias, DEBIAS_METHODS)
    if preset.direction_sets is not None:
        (high, miss_high), (low, miss_low) = (match_case(embedding, words) for words in preset.direction_sets)
        direction = bias.centroid_direction(embedding, high, low)
        pairs, missing_pairs = [], miss_high + miss_low
    else:
        pairs, missing_pairs = _pairs(embedding, preset.definitional_pairs)
        direction = bias.pair_direction(embedding, pairs)
    neutral, missing_neutral = match_case(embedding, preset.neutral_words)
    equalize, missing_equalize = _pairs(embedding, preset.equalize_pairs)
    missing = {"definitional pairs": missing_pairs, "neutral words": missing_neutral,
               "equalise pairs": missing_equalize}
    for t in preset.weat:
        gone = [w for k in ("X", "Y", "A", "B") for w in match_case(embedding, t[k])[1]]
        if gone:
            missing[f"WEAT {t['name']}"] = gone
    say("DirectBias and WEAT before debiasing", 0.1)
    before = _measures(embedding, direction.vector, neutral, preset.weat, strictness)
    say(f"{debias} debiasing" if debias != "none" else "the report", 0.4)
    after_emb = None
    if debias == "hard":
        after_emb = bias.hard_debias(embedding, direction.vector, neutral, equalize)
    elif debias == "projection":
        after_emb = bias.remove_projection(embedding, direction.vector)
    sha = None
    if vectors_path and os.path.isfile(vectors_path):
        digest = hashlib.sha256()
        with open(vectors_path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        sha = digest.hexdigest()
    after = None
    if after_emb is not None:
        say("DirectBias and WEAT after debiasing", 0.55)
        after = _measures(after_emb, direction.vector, neutral, preset.weat, strictness)
    result = AuditResult(
        preset=preset.name, vectors=vectors_path or embedding.info.get("source", "(in memory)"), vectors_sha256=sha,
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        explained_variance=[float(x) for x in direction.explained], missing=missing, before=before,
        after=after,
        debias=debias, parameters={"definitional_pairs": pairs, "equalize_pairs": equalize, "neutral_words": neutral,
                                   "direction_sets": preset.direction_sets, "strictness": strictness,
                                   "vocabulary": len(embedding), "dimension": embedding.dim})
    if y_axis is not None:
        low, high = (match_case(embedding, words)[0] for words in y_axis)
        second = bias.centroid_direction(embedding, high, low)
        place = {"before": dict(zip(*bias.projections(embedding, second.vector, neutral)))}
        if after_emb is not None:
            place["after"] = dict(zip(*bias.projections(after_emb, second.vector, neutral)))
        result.y_axis = {"low": low, "high": high, "missing": second.missing,
                         **{k: {w: float(v) for w, v in d.items()} for k, d in place.items()}}
    if after_emb is not None:
        say("how far the neighbours moved", 0.75)
        sample = neutral + [w for w in embedding.keys[:neighbour_words] if w not in set(neutral)]
        result.neighbours_moved = _neighbours_moved(embedding, after_emb, sample)
        say("whether the biased words still cluster", 0.9)
        result.cluster_recovery = _cluster_recovery(embedding, after_emb, direction.vector)
    say("done", 1.0)
    return result, after_emb


# --------------------------------------------------------------------------- the report
def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(value) -> str:
    if isinstance(value, float):
        return number_text(value)
    return "n/a" if value is None else str(value)


def report_html(result: AuditResult, preset: Preset) -> str:
    weat_rows = []
    for i, t in enumerate(result.before.weat):
        a = result.after.weat[i] if result.after else {}
        weat_rows.append([t["name"], t["effect_size"], p_text(t["p_value"]), a.get("effect_size"),
                          p_text(a.get("p_value")) if result.after else None])
    figure = bias_figure(result)
    most = result.before.most_biased
    extremes = most[:10] + most[-10:][::-1]
    after_cos = dict(result.after.most_biased) if result.after else {}
    after_ripa = result.after.ripa if result.after else {}
    after_share = result.after.norm_share if result.after else {}
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>EmbedStudio bias audit</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
        "th{background:#f3f3f3}.warn{color:#a33}</style></head><body>",
        f"<h1>Bias audit: {html.escape(result.preset)}</h1>",
        _table(["vectors", "SHA-256", "date (UTC)", "vocabulary", "dimension", "debiasing"],
               [[result.vectors, result.vectors_sha256 or "n/a", result.date, result.parameters["vocabulary"],
                 result.parameters["dimension"], result.debias]]),
        f"<p>{html.escape(preset.description)}</p>",
        "<h2>Direction</h2>",
        (f"<p>From {len(result.parameters['definitional_pairs'])} definitional pairs. Share of variance of each "
         f"principal component (one dominant component means one direction):</p>" if result.parameters['definitional_pairs']
         else "<p>From the centroids of two word sets.</p>"),
        _table([f"PC{i + 1}" for i in range(len(result.explained_variance))], [result.explained_variance]),
        "<h2>Neutral words on the direction</h2>",
        f"<p>Each dot is a neutral word at its cosine with the direction ({html.escape(figure.x_title)}; the ends "
        f"are named by the words that define them) before debiasing"
        + (f", with an arrow to where {html.escape(figure.after_title)} put it" if figure.x_after is not None else "")
        + (f"; up the page: {html.escape(figure.y_title)}" if figure.y_title else "; one line per word, ranked")
        + ".</p>",
        f"<figure>{figure_svg(figure)}</figure>",
        _table(["word", "cos before", "cos after", "RIPA before", "RIPA after", "norm share before",
                "norm share after"],
               [[w, s, after_cos.get(w), result.before.ripa.get(w), after_ripa.get(w), result.before.norm_share.get(w),
                 after_share.get(w)] for w, s in extremes]),
        "<h2>Measures</h2>",
        _table(["measure", "before", "after"], [[f"DirectBias (c = {result.parameters.get('strictness', 1.0):g}) over "
                                                  "the neutral words", result.before.direct_bias,
                                                  result.after.direct_bias if result.after else None]]),
        _table(["WEAT test", "d before", "p before", "d after", "p after"], weat_rows),
    ]
    if result.after is not None:
        parts += [
            "<h2>What else moved</h2>",
            f"<p class='warn'>Bias is not confined to one direction. Clustering the most biased words after "
            f"debiasing (Gonen &amp; Goldberg 2019) puts {_fmt(result.cluster_recovery)} of them with their original "
            f"side (0.5 = no trace left, 1.0 = fully recoverable).</p>",
            "<p>Words whose ten nearest neighbours changed most (share of the list kept):</p>",
            _table(["word", "neighbours kept"], [[w, s] for w, s in result.neighbours_moved]),
        ]
    parts += ["<h2>Words not in the vocabulary</h2>",
              _table(["list", "missing"], [[k, ", ".join(v)] for k, v in result.missing.items() if v]) if any(
                  result.missing.values()) else "<p>none</p>",
              "<h2>Word lists and parameters</h2>",
              _table(["list", "words"], [["definitional pairs", "; ".join(f"{a}/{b}" for a, b in
                                                                         result.parameters["definitional_pairs"])],
                                         ["equalise pairs", "; ".join(f"{a}/{b}" for a, b in
                                                                     result.parameters["equalize_pairs"])],
                                         ["neutral words", ", ".join(result.parameters["neutral_words"])]]),
              "<h2>Sources</h2><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in preset.sources) + "</ul>",
              "</body></html>"]
    return "\n".join(parts)


def write_report(result: AuditResult, preset: Preset, html_path: str, json_path: str | None = None) -> None:
    """The HTML report and, beside it, the same numbers as JSON; both written atomically."""
    with atomic_write(html_path) as f:
        f.write(report_html(result, preset).encode("utf-8"))
    json_path = json_path or os.path.splitext(html_path)[0] + ".json"
    with atomic_write(json_path) as f:
        f.write(json.dumps(asdict(result), indent=1, ensure_ascii=False).encode("utf-8"))
