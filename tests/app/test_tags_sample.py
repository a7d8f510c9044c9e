"""The welcome page's TagSpace sample: one click opens labelled paragraphs and trains StarSpace on them."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from embedstudio.app.workflows.starspace import chance_scores  # noqa: E402
from embedstudio.jobs import live  # noqa: E402
from embedstudio.resources import resource  # noqa: E402


def test_the_sample_is_small_labelled_and_listed_with_its_licence():
    from embedstudio.data.labelled import read_labelled
    from embedstudio.data.sniff import detect

    path = resource("sample", "sotu-decades.fasttext.gz")
    assert path.stat().st_size < 400_000
    assert detect(str(path)) == "labelled"  # dropped by hand, it opens as labelled documents too
    docs = read_labelled(path)
    assert len(docs) == 2400 and len(docs.labels) == 24
    assert "sotu-decades.fasttext.gz" in (resource("README.md")).read_text(encoding="utf-8")


def test_chance_is_k_over_the_labels_for_one_label_each_and_more_with_more_labels():
    one = chance_scores([1, 1, 1], 24, ks=(1, 10))
    assert one["hits@1"] == pytest.approx(1 / 24) and one["hits@10"] == pytest.approx(10 / 24)
    assert one["mean_rank"] == pytest.approx(12.5)
    two = chance_scores([2], 4, ks=(1, 10))  # top 1 of 4 holds one of 2 true labels half the time
    assert two["hits@1"] == pytest.approx(0.5) and two["hits@10"] == 1.0
    assert two["mean_rank"] == pytest.approx(5 / 3)  # (L + 1) / (m + 1): 1*1/2 + 2*1/3 + 3*1/6


def test_clicking_the_tags_sample_trains_tagspace_live_and_beats_chance(window, qtbot, monkeypatch):
    monkeypatch.setattr(live, "SNAPSHOT_EVERY_S", 0.0)
    flow = window.workflow("starspace")
    steps, snapshots = [], []
    progress = flow.progress
    monkeypatch.setattr(flow, "progress", lambda item: (steps.append(item[0]), progress(item)))
    show_snapshot = window.map_page.show_snapshot
    monkeypatch.setattr(window.map_page, "show_snapshot",
                        lambda *args: (snapshots.append(args[0]), show_snapshot(*args)))
    window.welcome.buttons["tags"].click()
    qtbot.waitUntil(lambda: flow.scores is not None, timeout=120000)

    dataset = window.session.datasets[0]
    assert (dataset.name, dataset.kind) == ("sotu-decades.fasttext.gz", "labelled")
    assert flow.panel.form.config().epochs == 50 and flow.panel.form.config().mode == "tagspace"
    assert len(steps) > 3 and steps[-1].epoch > steps[0].epoch  # progress arrived while it trained
    assert snapshots and window.loss.points > 3  # the map and the loss curve moved live
    scores, chance = flow.scores
    assert scores["documents"] == 240  # the seeded tenth held out
    assert scores["hits@1"] > 4 * chance["hits@1"]  # chance is 1/24: the model reads the decade
    assert scores["hits@10"] > chance["hits@10"] + 0.3
    assert scores["mean_rank"] < chance["mean_rank"] / 2
    message = window.statusBar().currentMessage()
    assert "P@1" in message and "(chance 0.042)" in message
    assert window.session.model.mode == "tagspace" and "1860s" in window.session.model.labels
    assert "done" in flow.panel.status.text()
    labelled = [window.map.keys[r] for r in window.map.labels.rows]  # the decades are read first on the map
    assert labelled and sum(k.startswith("__label__") for k in labelled) >= min(12, len(labelled) // 2)
