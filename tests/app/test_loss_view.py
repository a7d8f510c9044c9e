"""The loss view names what each curve is, per trainer (offscreen)."""

import numpy as np
import pytest

from embedstudio.resources import resource

pytest.importorskip("PySide6")


@pytest.fixture
def view(qtbot):
    from embedstudio.app.views.loss_view import LossView

    v = LossView()
    qtbot.addWidget(v)
    v.resize(371, 305)  # the Loss dock's size in a new window
    v.show()
    return v


def _feed(view, trainer, data):
    reports = []
    for p in trainer.fit(data):
        view.add(p)
        reports.append(p)
    view._redraw()
    return reports


def test_graph_runs_show_the_fixed_sample_objective_on_the_left_and_the_running_loss_on_the_right(view):
    from embedstudio.data.edgelist import read_edgelist
    from embedstudio.train.graph import GraphConfig, GraphTrainer

    trainer = GraphTrainer(GraphConfig(epochs=3, threads=1, batches_per_unit=1))
    reports = _feed(view, trainer, read_edgelist(resource("sample", "mammal_relations.tsv")))
    assert view.axis_label("left") == "margin ranking loss per (edge, negative) pair"
    # other units (summed over ~200 negatives per edge and side): its own axis, which says so
    assert view.axis_label("right") == "margin ranking loss per (edge, side), running"
    assert view.legend_names() == ["fixed sample, end of epoch", "running training loss (counted during updates)"]
    np.testing.assert_array_equal(view.objective(), reports[-1].epoch_objective)
    assert len(view.objective()) == 3 and view.points == len(reports)
    x, y = view._objective.getData()
    np.testing.assert_array_equal(x, [1, 2, 3])  # drawn at the end of each epoch
    assert view._chunk_curve in view._right.addedItems and view._objective.isVisible()


def test_word2vec_runs_share_one_axis_for_the_same_units(view, tmp_path):
    from embedstudio.data.corpus import read_corpus
    from embedstudio.train.word2vec import Word2VecConfig, Word2VecTrainer

    path = tmp_path / "c.txt"
    words = [f"w{i}" for i in range(12)]
    path.write_text("\n".join(" ".join(words[(i + j) % 12] for j in range(8)) for i in range(200)) + "\n")
    _feed(view, Word2VecTrainer(Word2VecConfig(dim=8, epochs=2, min_count=1, threads=1, chunk_words=400)),
          read_corpus(path, min_count=1, cache_dir=tmp_path / "cache"))
    assert view.axis_label("left") == "SGNS loss per (word, context) pair"
    assert view.axis_label("right") == ""  # hidden: the same quantity on two scales would mislead
    assert view.legend_names() == ["fixed sample, end of epoch", "running training loss (counted during updates)"]
    assert view._chunk_curve in view.getPlotItem().vb.addedItems and len(view.objective()) == 2


def test_a_trainer_without_an_objective_after_one_with_gets_its_running_loss_named(view, tmp_path):
    from embedstudio.data.edgelist import read_edgelist
    from embedstudio.data.labelled import read_labelled
    from embedstudio.train.graph import GraphConfig, GraphTrainer
    from embedstudio.train.starspace import StarSpaceConfig, StarSpaceTrainer

    _feed(view, GraphTrainer(GraphConfig(epochs=1, threads=1)), read_edgelist(resource("sample", "mammal_relations.tsv")))
    view.clear_run()
    path = tmp_path / "tags.txt"
    path.write_text("".join(f"__label__t{i % 3} w{i % 12} w{(i + 1) % 12}\n" for i in range(60)))
    reports = _feed(view, StarSpaceTrainer(StarSpaceConfig(dim=8, epochs=3, threads=1)), read_labelled(path))
    assert view.axis_label("left") == "hinge loss per example (mean over violating negatives) (counted during updates)"
    assert view.axis_label("right") == ""
    assert view.legend_names() == ["per step", "epoch mean"]
    assert len(view.objective()) == 0 and not view._objective.isVisible()
    assert view._chunk_curve in view.getPlotItem().vb.addedItems  # back on the left axis
    x, y = view._epoch_points.getData()
    np.testing.assert_array_equal(y, reports[-1].epoch_losses)
