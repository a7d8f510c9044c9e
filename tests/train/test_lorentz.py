"""The Poincaré trainer's Lorentz model (model="lorentz"): learning a tree like the ball does, ball
coordinates for everything downstream, checkpoints of the hyperboloid itself, defaults, the command line."""

import numpy as np
import pytest

from embedstudio.analysis.hierarchy import reconstruction
from embedstudio.data.hierarchy import Hierarchy
from embedstudio.geometry import lorentz as L
from embedstudio.geometry.poincare import distance
from embedstudio.train.base import Checkpoint
from embedstudio.train.poincare import PoincareConfig, PoincareTrainer, TrainingDiverged
from tests.train.test_poincare import tree_closure


@pytest.fixture(scope="module")
def tree():
    edges, n, level = tree_closure(4)
    return Hierarchy.from_edges([f"n{i}" for i in range(n)], edges), level


def _train(h, **settings) -> PoincareTrainer:
    trainer = PoincareTrainer(PoincareConfig(dim=5, epochs=300, threads=1, chunk_edges=100, **settings))
    for _ in trainer.fit(h):
        pass
    return trainer


def test_a_lorentz_model_reconstructs_a_tree_as_well_as_the_ball(tree):
    h, level = tree
    lorentz, ball = _train(h, model="lorentz"), _train(h)  # each at its own default rate (0.5 and 0.1)
    x = lorentz.hyperboloid
    assert x.shape == (h.n_nodes, 6) and (x[:, 0] >= 1).all()
    assert (np.abs(L.inner(x, x) + 1) <= 1e-14 * x[:, 0] ** 2).all()  # on the sheet, to rounding of x0²
    mine, theirs = reconstruction(lorentz.vectors, h), reconstruction(ball.vectors, h)
    assert mine.map >= 0.97 and mine.map >= theirs.map - 0.03, (mine, theirs)
    norms = np.linalg.norm(lorentz.vectors, axis=1)
    assert norms.argmin() == 0  # the root nearest the origin
    assert np.median(norms[level == 1]) < np.median(norms[level == 2]) < np.median(norms[level == 4])
    # at the ball's rate the two models take the same first-order steps: the same quality
    same_rate = _train(h, model="lorentz", lr=0.1)
    assert reconstruction(same_rate.vectors, h).map == pytest.approx(theirs.map, abs=0.02)


def test_everything_outside_the_trainer_sees_poincare_ball_coordinates(tree):
    h, _ = tree
    trainer = PoincareTrainer(PoincareConfig(model="lorentz", dim=3, epochs=40, burn_in=5, threads=1))
    for _ in trainer.fit(h):
        pass
    x, p = trainer.hyperboloid, trainer.vectors
    assert p.shape == (h.n_nodes, 3) and p.dtype == np.float64 and (np.linalg.norm(p, axis=1) < 1).all()
    np.testing.assert_array_equal(p, L.to_ball(x))
    rows = np.arange(h.n_nodes - 1)
    np.testing.assert_allclose(distance(p[rows], p[rows + 1]), L.distance(x[rows], x[rows + 1]), rtol=1e-8)
    emb = trainer.embedding()
    assert emb.geometry == "poincare" and emb.vectors.dtype == np.float32 and emb.info["config"]["model"] == "lorentz"
    np.testing.assert_allclose(emb.vectors, p, rtol=1e-6, atol=1e-7)
    assert emb.most_similar("n1", topn=1)[0][0] in {"n0", "n3", "n4"}
    p[:] = 0.0  # a conversion, not a view: the trained rows are untouched
    assert (trainer.vectors == L.to_ball(x)).all() and np.abs(trainer.vectors).max() > 0


def test_a_point_too_far_out_for_float32_is_exported_just_inside_the_ball(tree):
    h, _ = tree
    trainer = PoincareTrainer(PoincareConfig(model="lorentz", dim=3, epochs=1, burn_in=0, threads=1))
    for _ in trainer.fit(h):
        pass
    trainer.hyperboloid[5] = L.lift(np.array([1e12, 0.0, 0.0]))  # distance ~28.3 from the origin
    emb = trainer.embedding()
    norms = np.linalg.norm(emb.vectors.astype(np.float64), axis=1)
    assert norms[5] < 1 and np.isfinite(emb.distances(emb.vectors[5])).all()
    assert trainer.vectors[5, 0] == pytest.approx(1.0, abs=1e-11)  # float64 still holds it


def test_resume_is_bit_identical_and_the_checkpoint_holds_the_hyperboloid(tree, tmp_path):
    h, _ = tree
    cfg = PoincareConfig(model="lorentz", dim=3, epochs=6, burn_in=2, threads=1, chunk_edges=40)
    straight = PoincareTrainer(cfg)
    for _ in straight.fit(h):
        pass
    first = PoincareTrainer(cfg)
    gen = first.fit(h)
    for p in gen:
        if p.cursor == p.total // 2:
            break
    ckpt = first.checkpoint()
    assert set(ckpt.arrays) == {"hyperboloid"} and ckpt.arrays["hyperboloid"].shape == (h.n_nodes, 4)
    np.testing.assert_array_equal(ckpt.arrays["hyperboloid"], first.hyperboloid)
    ckpt.save(tmp_path / "l.ckpt")
    gen.close()
    loaded = Checkpoint.load(tmp_path / "l.ckpt")
    np.testing.assert_array_equal(loaded.arrays["hyperboloid"], first.hyperboloid)  # saved exactly
    resumed = PoincareTrainer(cfg)
    list(resumed.fit(h, resume=loaded))
    assert resumed.hyperboloid.dtype == np.float64
    assert np.array_equal(resumed.hyperboloid, straight.hyperboloid)
    with pytest.raises(ValueError, match="model='lorentz' \\(now 'poincare'\\)"):
        list(PoincareTrainer(cfg.replace(model="poincare")).fit(h, resume=loaded))


def test_a_checkpoint_from_before_the_lorentz_model_still_resumes(tree):
    """Older checkpoints have no ``model`` and their lr (then 0.1 by default) written out."""
    h, _ = tree
    cfg = PoincareConfig(dim=3, epochs=4, burn_in=1, threads=1, chunk_edges=40)
    straight = PoincareTrainer(cfg)
    for _ in straight.fit(h):
        pass
    first = PoincareTrainer(cfg)
    gen = first.fit(h)
    next(gen)
    ckpt = first.checkpoint()
    gen.close()
    ckpt.config.pop("model")
    ckpt.config["lr"] = 0.1
    resumed = PoincareTrainer(cfg)
    list(resumed.fit(h, resume=ckpt))
    assert np.array_equal(resumed.vectors, straight.vectors)


def test_the_learning_rate_defaults_to_each_models_own():
    assert PoincareConfig().lr is None
    assert PoincareTrainer(PoincareConfig()).lr == 0.1
    assert PoincareTrainer(PoincareConfig(model="lorentz")).lr == 0.5  # the Lorentz paper's script
    assert PoincareTrainer(PoincareConfig(model="lorentz", lr=0.2)).lr == 0.2
    trainer = PoincareTrainer(PoincareConfig(model="lorentz", epochs=10, burn_in=2, burn_in_factor=0.1))
    trainer._chunks_per_epoch = 5
    assert trainer._learning_rate(1) == pytest.approx(0.05) and trainer._learning_rate(11) == 0.5
    from embedstudio.config import ConfigError

    with pytest.raises(ConfigError, match="poincare, lorentz"):
        PoincareConfig(model="klein")


def test_divergence_stops_with_a_message(tree):
    h, _ = tree
    trainer = PoincareTrainer(PoincareConfig(model="lorentz", dim=3, epochs=3, burn_in=0, threads=1, chunk_edges=40))
    gen = trainer.fit(h)
    next(gen)
    trainer.hyperboloid[5] = np.nan
    with pytest.raises(TrainingDiverged, match="lower the learning rate"):
        for _ in gen:
            pass


def test_the_command_line_trains_the_lorentz_model(tmp_path, capsys):
    from embedstudio.cli import main
    from embedstudio.vectors import Embedding

    edges, n, _ = tree_closure(4)
    path = tmp_path / "tree.tsv"
    path.write_text("".join(f"n{c}\tn{a}\n" for c, a in edges))
    out = tmp_path / "tree.npz"
    code = main(["poincare", str(path), "-o", str(out), "--model", "lorentz", "--dim", "5", "--epochs", "200",
                 "--threads", "1"])
    assert code == 0
    text = capsys.readouterr().out
    assert "most general: n0" in text and float(text.split("MAP ")[1].split()[0]) > 0.9
    emb = Embedding.load(out)
    assert emb.geometry == "poincare" and emb.info["config"]["model"] == "lorentz" and emb.dim == 5
    assert (np.linalg.norm(emb.vectors, axis=1) < 1).all()
