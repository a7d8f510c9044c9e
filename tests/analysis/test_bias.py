"""Bias directions, WEAT against WEFE, DirectBias/RIPA, and what debiasing guarantees."""

import json
import math
import os
import subprocess

import numpy as np
import pytest

from embedstudio.analysis import bias
from embedstudio.vectors import Embedding


def planted(seed=0, dim=50, n_pairs=10, n_neutral=200, strength=0.6):
    """Random words plus pairs (m_i, f_i) that differ along one planted axis, and neutral words."""
    rng = np.random.default_rng(seed)
    axis = rng.normal(size=dim)
    axis /= np.linalg.norm(axis)
    keys, rows = [], []
    for i in range(n_pairs):
        base = rng.normal(size=dim)
        keys += [f"m{i}", f"f{i}"]
        rows += [base + strength * np.linalg.norm(base) * axis + rng.normal(size=dim) * 0.05,
                 base - strength * np.linalg.norm(base) * axis + rng.normal(size=dim) * 0.05]
    for i in range(n_neutral):
        keys.append(f"w{i}")
        rows.append(rng.normal(size=dim) + rng.normal() * 2 * axis)  # neutral words leaning either way
    return Embedding(keys, np.array(rows)), axis, [(f"m{i}", f"f{i}") for i in range(n_pairs)]


def test_a_planted_bias_axis_is_recovered_from_pairs_and_from_centroids():
    emb, axis, pairs = planted()
    d = bias.pair_direction(emb, pairs + [("m0", "nonexistent")])
    assert abs(d.vector @ axis) > 0.99 and d.vector @ axis > 0  # the first word of each pair is +
    assert d.explained[0] > 0.5 and d.missing == ["nonexistent"]
    c = bias.centroid_direction(emb, [a for a, _ in pairs], [b for _, b in pairs])
    assert c.vector @ axis > 0.99
    words, scores = bias.projections(emb, d.vector, ["m1", "f1", "w3"])
    assert words[0] == "f1" and words[-1] == "m1" and np.all(np.diff(scores) >= 0)


def test_weat_effect_size_and_exact_p_value_from_first_principles():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(14, 8))
    emb = Embedding([f"t{i}" for i in range(14)], v)
    X, Y, A, B = ["t0", "t1", "t2"], ["t3", "t4", "t5"], ["t6", "t7", "t8", "t9"], ["t10", "t11", "t12", "t13"]
    u = v / np.linalg.norm(v, axis=1, keepdims=True)

    def s(w):
        return np.mean([u[w] @ u[a] for a in range(6, 10)]) - np.mean([u[w] @ u[b] for b in range(10, 14)])

    sx, sy = [s(i) for i in range(3)], [s(i) for i in range(3, 6)]
    d = (np.mean(sx) - np.mean(sy)) / np.std(sx + sy)
    stat = sum(sx) - sum(sy)
    splits = [c for c in __import__("itertools").combinations(range(6), 3)]
    everything = sx + sy
    bigger = sum(1 for c in splits if sum(everything[i] for i in c) - sum(everything[i] for i in range(6) if i not in c) > stat)
    r = bias.weat(emb, X, Y, A, B)
    assert r.exact and r.permutations == math.comb(6, 3) == len(splits)
    assert r.effect_size == pytest.approx(d, abs=1e-6) and r.statistic == pytest.approx(stat, abs=1e-6)
    assert r.p_value == pytest.approx(bigger / len(splits))
    with pytest.raises(bias.MissingWords, match="zzz"):
        bias.weat(emb, X + ["zzz"], Y, A, B)
    assert bias.weat(emb, X + ["zzz"], Y, A, B, drop_missing=True).missing == {"X": ["zzz"]}


CALISKAN = [  # (X, Y, A, B) in WEFE's load_weat() names, and the published GloVe effect size
    ("flowers", "insects", "pleasant_5", "unpleasant_5a", 1.50),
    ("instruments", "weapons", "pleasant_5", "unpleasant_5a", 1.53),
    ("european_american_names_5", "african_american_names_5", "pleasant_5", "unpleasant_5a", 1.41),
    ("european_american_names_7", "african_american_names_7", "pleasant_9", "unpleasant_9", 1.38),
    ("male_names", "female_names", "career", "family", 1.81),
    ("math", "arts", "male_terms", "female_terms", 1.06),
    ("science", "arts_2", "male_terms_2", "female_terms_2", 1.24),
    ("mental_disease", "physical_disease", "temporary", "permanent", 1.38),
    ("young_people_names", "old_people_names", "pleasant_9", "unpleasant_9", 1.21),
]


def wefe_python() -> str | None:
    """WEFE lives in its own venv (it pins numpy <= 1.26): $EMBEDSTUDIO_WEFE_PYTHON or .wefe-venv."""
    env = os.environ.get("EMBEDSTUDIO_WEFE_PYTHON")
    if env:
        return env if os.path.exists(env) else None
    default = os.path.join(os.path.dirname(__file__), "..", "..", ".wefe-venv", "bin", "python")
    return default if os.path.exists(default) else None


def wefe_reference(tmp_path, tests=None, p_iterations: int = 0):
    """WEFE's effect sizes (and p-values) for CALISKAN, the test model as an Embedding, WEFE's word sets."""
    tests = [list(t[:4]) for t in (tests or CALISKAN)]
    subprocess.run([wefe_python(), os.path.join(os.path.dirname(__file__), "wefe_reference.py"), str(tmp_path),
                    json.dumps(tests)] + ([str(p_iterations)] if p_iterations else []),
                   check=True, capture_output=True, timeout=600)
    ref = json.loads((tmp_path / "reference.json").read_text())
    emb = Embedding(ref["keys"], np.load(tmp_path / "vectors.npy", allow_pickle=False))
    return ref, emb


@pytest.mark.skipif(wefe_python() is None, reason="WEFE is not installed: run scripts/setup_wefe.sh (it makes "
                    ".wefe-venv) or set EMBEDSTUDIO_WEFE_PYTHON")
def test_weat_effect_sizes_equal_wefe_on_its_test_model(tmp_path):
    ref, emb = wefe_reference(tmp_path)
    sets = ref["sets"]
    compared = 0
    for entry in ref["results"]:
        if entry["d"] is None:
            continue  # too many words missing for WEFE too
        x, y, a, b = entry["test"]
        ours = bias.weat(emb, sets[x], sets[y], sets[a], sets[b], drop_missing=True, samples=2000)
        assert ours.effect_size == pytest.approx(entry["d"], abs=1e-6), (x, y)
        compared += 1
    assert compared >= 6


def test_direct_bias_ripa_and_norm_share():
    emb, axis, pairs = planted()
    g = bias.pair_direction(emb, pairs).vector
    neutral = [f"w{i}" for i in range(200)]
    u = emb.vectors / np.linalg.norm(emb.vectors, axis=1, keepdims=True)
    rows = [emb.index(w) for w in neutral]
    assert bias.direct_bias(emb, g, neutral, c=1) == pytest.approx(np.mean(np.abs(u[rows] @ g)), rel=1e-6)
    assert bias.direct_bias(emb, g, neutral, c=0) == pytest.approx(1.0)
    assert bias.ripa(emb, g, ["m0"])[0] == pytest.approx(float(emb["m0"] @ g), rel=1e-5)
    share = bias.norm_share(emb, g, neutral)
    assert np.all((share >= 0) & (share <= 1))


def test_hard_debias_neutralises_and_equalises_and_keeps_the_original():
    emb, axis, pairs = planted()
    g = bias.pair_direction(emb, pairs).vector
    neutral = [f"w{i}" for i in range(200)]
    before = emb.vectors.copy()
    after = bias.hard_debias(emb, g, neutral, pairs[:5])
    np.testing.assert_array_equal(emb.vectors, before)  # a new Embedding; the original is kept
    rows = [after.index(w) for w in neutral]
    assert np.abs(after.vectors[rows].astype(np.float64) @ g).max() < 1e-6
    assert bias.direct_bias(after, g, neutral) < 1e-6 < bias.direct_bias(emb, g, neutral)
    for a, b in pairs[:5]:
        va, vb = after[a].astype(np.float64), after[b].astype(np.float64)
        assert va @ g == pytest.approx(-(vb @ g), abs=1e-6)  # symmetric about the neutral plane
        for w in neutral[:20]:  # equally far from every neutral word
            assert va @ after[w] == pytest.approx(vb @ after[w], abs=1e-5)
    removed = bias.remove_projection(emb, g)
    assert np.abs(removed.vectors.astype(np.float64) @ g).max() < 1e-4
    assert removed.info["derived_from"]["debias"] == "projection removal"


def planted_preset(tmp_path):
    emb, axis, _ = planted()
    lean = bias.projections(emb, axis, [f"w{i}" for i in range(100)])[0]
    X, Y = lean[-8:], lean[:8]  # the neutral words leaning most to either side of the planted axis
    preset = {"name": "planted", "description": "a planted axis", "sources": ["this test"],
              "definitional_pairs": [[f"m{i}", f"f{i}"] for i in range(10)] + [["mx", "fx"]],
              "equalize_pairs": [[f"m{i}", f"f{i}"] for i in range(5)],
              "neutral_words": [f"w{i}" for i in range(100)] + ["unknownword"],
              "weat": [{"name": "planted", "X": X, "Y": Y, "A": [f"m{i}" for i in range(5, 10)],
                        "B": [f"f{i}" for i in range(5, 10)]}]}
    path = tmp_path / "planted.json"
    path.write_text(json.dumps(preset))
    return str(path)


def test_an_audit_measures_debiases_checks_what_remains_and_writes_the_report(tmp_path):
    from embedstudio.analysis.audit import load_preset, run_audit, write_report

    emb, axis, _ = planted()
    preset = load_preset(planted_preset(tmp_path))
    result, debiased = run_audit(emb, preset, debias="hard")
    assert result.missing["definitional pairs"] == ["mx", "fx"] and result.missing["neutral words"] == ["unknownword"]
    assert result.before.direct_bias > 0.1 and result.after.direct_bias < 1e-6
    assert result.before.weat[0]["effect_size"] > 1.5 and result.before.weat[0]["p_value"] < 0.01
    assert result.after.weat[0]["p_value"] > result.before.weat[0]["p_value"]
    assert 0.5 <= result.cluster_recovery <= 1.0 and len(result.neighbours_moved) > 0
    assert debiased is not emb and not np.allclose(debiased.vectors, emb.vectors)
    write_report(result, preset, str(tmp_path / "audit.html"))
    text = (tmp_path / "audit.html").read_text()
    assert "<svg" in text and "unknownword" in text and "Gonen" in text and "DirectBias" in text
    numbers = json.loads((tmp_path / "audit.json").read_text())
    assert numbers["after"]["direct_bias"] == pytest.approx(result.after.direct_bias)


def test_the_gender_preset_names_its_sources_and_a_typo_names_the_presets():
    from embedstudio.analysis.audit import known_presets, load_preset

    preset = load_preset("gender")
    assert "gender" in known_presets() and len(preset.definitional_pairs) == 10
    assert any("Bolukbasi" in s for s in preset.sources) and any("Caliskan" in s for s in preset.sources)
    with pytest.raises(ValueError, match="gender"):
        load_preset("gendr")


def test_the_audit_command_writes_the_report(tmp_path, capsys):
    from embedstudio.cli import main
    from embedstudio.data.vectors_io import write_vectors

    emb, _, _ = planted()
    write_vectors(emb, tmp_path / "v.txt", "word2vec-text")
    assert main(["audit", str(tmp_path / "v.txt"), "--preset", planted_preset(tmp_path),
                 "--report", str(tmp_path / "r.html")]) == 0
    out = capsys.readouterr().out
    assert "DirectBias" in out and "-> 0.0000 after hard debiasing" in out and "not in the vocabulary" in out
    assert (tmp_path / "r.html").exists() and (tmp_path / "r.json").exists()


@pytest.mark.skipif(wefe_python() is None, reason="WEFE is not installed: run scripts/setup_wefe.sh")
def test_weat_p_values_agree_with_wefe_within_sampling_error(tmp_path):
    # WEFE samples 300 splits (its draws are with replacement, and it reports (count + 1) / (n + 1)); we
    # enumerate all 12,870 splits of these 8 + 8 word tests exactly. Agreement within sampling error.
    tests = [t for t in CALISKAN if t[0] in ("male_names", "math", "young_people_names")]
    ref, emb = wefe_reference(tmp_path, tests, p_iterations=300)
    sets = ref["sets"]
    for entry in ref["results"]:
        x, y, a, b = entry["test"]
        ours = bias.weat(emb, sets[x], sets[y], sets[a], sets[b], drop_missing=True)
        assert ours.exact
        assert abs(ours.p_value - entry["p"]) < 0.03 + 3 * math.sqrt(max(entry["p"] * (1 - entry["p"]), 1e-4) / 300), x


PRESET_LISTS = {  # (preset, WEAT index, set) -> WEFE's name for the same published list
    ("gender", 0, "X"): "male_names", ("gender", 0, "Y"): "female_names", ("gender", 0, "A"): "career",
    ("gender", 0, "B"): "family", ("gender", 1, "X"): "math", ("gender", 1, "Y"): "arts",
    ("gender", 1, "A"): "male_terms", ("gender", 1, "B"): "female_terms",
    ("race", 0, "X"): "european_american_names_7", ("race", 0, "Y"): "african_american_names_7",
    ("race", 0, "A"): "pleasant_5", ("race", 0, "B"): "unpleasant_5a",
    ("age", 0, "X"): "young_people_names", ("age", 0, "Y"): "old_people_names",
    ("age", 0, "A"): "pleasant_9", ("age", 0, "B"): "unpleasant_9",
}


@pytest.mark.skipif(wefe_python() is None, reason="WEFE is not installed: run scripts/setup_wefe.sh")
def test_preset_word_lists_are_the_published_ones_as_wefe_has_them(tmp_path):
    from embedstudio.analysis.audit import load_preset

    ref, _ = wefe_reference(tmp_path)
    for (name, i, key), theirs in PRESET_LISTS.items():
        ours = {w.lower() for w in load_preset(name).weat[i][key]}
        published = {w.lower() for w in ref["sets"][theirs]}
        if theirs == "young_people_names":  # Caliskan et al.'s list has "Billy"; WEFE's has "Bill"
            ours, published = ours - {"billy"}, published - {"bill"}
        assert ours == published, (name, key)


def test_an_audit_can_take_its_direction_from_two_word_sets_and_a_strictness():
    from dataclasses import replace

    from embedstudio.analysis.audit import load_preset, run_audit

    emb, axis, pairs = planted()
    preset = replace(load_preset("gender"), definitional_pairs=[],
                     direction_sets=([a for a, _ in pairs], [b for _, b in pairs]),
                     neutral_words=[f"w{i}" for i in range(50)], weat=[])
    result, _ = run_audit(emb, preset, debias="none", strictness=0.0)
    assert result.parameters["direction_sets"] is not None and result.after is None
    assert result.before.direct_bias == pytest.approx(1.0)  # c = 0: every word with any lean counts 1
    strict, _ = run_audit(emb, preset, debias="none", strictness=2.0)
    assert strict.before.direct_bias < result.before.direct_bias


@pytest.mark.parametrize("content,line,words", [
    (b'{"name": "x",\n "definitional_pairs": [["a", "b"]\n', 3, "not valid JSON"),
    (b"", 1, "not valid JSON"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", None, "cannot read"),
    (b'{"name": "x", "definitional_pairs": [["a", "b", "c"]]}', None, "expected 2 words"),
    (b'{"name": "x"}', None, "definitional_pairs"),
    (b'{"name": "x", "definitional_pairs": [], "weat": [{"name": "t", "X": "abc"}]}', None, "not a bias preset"),
])
def test_a_broken_preset_file_is_a_clear_data_format_error(tmp_path, content, line, words):
    from embedstudio.analysis.audit import load_preset
    from embedstudio.data.errors import DataFormatError

    path = tmp_path / "preset.json"
    path.write_bytes(content)
    with pytest.raises(DataFormatError, match=words) as err:
        load_preset(str(path))
    assert err.value.line == line and str(path) in str(err.value)
