"""The audit's figure: ends named by the words that define them whatever the pairs' order, the report's SVG
drawn like the app (axis, named ends, arrows, the app's colours, labels that never overlap), and numbers
printed without "-0.0000" or a p of "0.0000"."""

import re
import xml.etree.ElementTree as ET

import numpy as np

from embedstudio.analysis import bias_figure as bf
from embedstudio.analysis.audit import Preset, run_audit
from tests.analysis.test_bias import planted

SVG = "{http://www.w3.org/2000/svg}"


def _audit(pairs, neutral, debias="hard", y_axis=None):
    emb, _, _ = planted(n_neutral=300)
    preset = Preset("gender", "", [], pairs, [], neutral, [])
    return emb, run_audit(emb, preset, debias=debias, y_axis=y_axis)[0]


def test_each_end_is_named_by_the_words_on_it_whatever_the_order_of_the_pairs():
    pairs = [(f"m{i}", f"f{i}") for i in range(10)]
    neutral = [f"w{i}" for i in range(300)]
    emb, forward = _audit(pairs, neutral)
    _, backward = _audit([(b, a) for a, b in pairs], neutral)
    f1, f2 = bf.bias_figure(forward), bf.bias_figure(backward)
    assert f1.positive_end[:3] == ["m0", "m1", "m2"] and f1.negative_end[:3] == ["f0", "f1", "f2"]
    assert f2.positive_end[:3] == ["f0", "f1", "f2"]
    # the direction flipped with the pairs, and so did every word: a word stays on the side named by its words
    x1, x2 = dict(zip(f1.words, f1.x_before)), dict(zip(f2.words, f2.x_before))
    np.testing.assert_allclose([x1[w] for w in neutral], [-x2[w] for w in neutral], atol=1e-9)
    from embedstudio.analysis.bias import pair_direction, projections

    d = pair_direction(emb, pairs).vector
    _, scores = projections(emb, d, f1.positive_end)
    assert np.all(scores > 0)  # the words naming the positive end are at the positive end
    assert f1.y_title is None and np.array_equal(f1.y_before, np.arange(300))  # one line per word, by rank
    assert np.all(np.abs(f1.x_after) < 1e-6)  # hard debiasing moves every neutral word to the middle


def test_the_reports_svg_has_an_axis_named_ends_arrows_the_apps_colours_and_no_overlapping_labels():
    pairs = [(f"m{i}", f"f{i}") for i in range(10)]
    _, result = _audit(pairs, [f"w{i}" for i in range(300)])
    fig = bf.bias_figure(result)
    svg = bf.figure_svg(fig)
    root = ET.fromstring(svg)  # well-formed XML
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "← f0, f1, f2 …" in texts and "m0, m1, m2 … →" in texts and fig.x_title in texts
    ticks = [float(t.replace("−", "-")) for t in texts if re.fullmatch(r"−?\d+(\.\d+)?", t)]
    assert len(ticks) >= 3 and max(abs(t) for t in ticks) <= 1  # cosines
    assert 0.0 in ticks
    lines = [e for e in root.iter(f"{SVG}line") if e.get("marker-end")]
    assert len(lines) == 300  # one arrow per word moved by debiasing
    fills = {c.get("fill") for c in root.iter(f"{SVG}circle")}
    assert bf.hex_colour(bf.BEFORE) in fills and bf.hex_colour(bf.AFTER) in fills  # the app's orange and blue
    labels = [e for e in root.iter(f"{SVG}text") if e.get("fill") == "#333"]
    assert 20 <= len(labels) <= 120
    boxes = []
    for e in labels:  # the estimated box each label was placed with
        w = bf.CHAR_PX * len(e.text) + 4
        x, y = float(e.get("x")), float(e.get("y"))
        boxes.append((x - w / 2, y - bf.FONT_PX, x + w / 2, y))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    extremes = {fig.words[0], fig.words[-1]}
    assert extremes <= {e.text for e in labels}  # the words farthest on each side are labelled


def test_a_second_direction_becomes_the_y_axis_with_its_name():
    _, result = _audit([(f"m{i}", f"f{i}") for i in range(10)], [f"w{i}" for i in range(50)],
                       y_axis=(["w0", "w1"], ["w2", "w3"]))
    fig = bf.bias_figure(result)
    assert fig.y_title == "cos with w0, w1 → w2, w3"
    assert np.all(np.abs(fig.y_before) <= 1) and not np.array_equal(fig.y_before, np.arange(50))
    root = ET.fromstring(bf.figure_svg(fig))
    assert any(t.text == fig.y_title for t in root.iter(f"{SVG}text"))


def test_numbers_never_read_minus_zero_and_small_p_values_are_not_zero():
    assert bf.number_text(-0.00001) == "0.0000" and bf.number_text(-0.25) == "-0.2500"
    assert bf.number_text(None) == bf.number_text(float("nan")) == "n/a"
    assert bf.p_text(0.04) == "0.0400" and bf.p_text(9.999e-05) == "1.0e-04" and bf.p_text(None) == "n/a"


def test_limits_and_ticks_are_round_and_hold_every_point():
    fig = bf.BiasFigure(["a", "b"], np.array([-0.13, 0.27]), np.zeros(2), None, None, ["x"], ["y"], "t", None, "")
    lo, hi = fig.limits()
    assert lo == -hi and hi >= 0.27 and hi <= 0.3
    assert bf.nice_ticks(-0.3, 0.3) == [-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3]
    assert bf.tick_text(-0.0) == "0" and bf.tick_text(-0.2) == "−0.2"
