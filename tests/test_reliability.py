"""Reliability of training and of files: a killed run resumes to the same result, divergence keeps the last
good checkpoint, nothing unpickles or evaluates user data, a crafted session stays in its folder."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from embedstudio.train.base import Checkpoint, TrainingDiverged

ROOT = Path(__file__).resolve().parents[1]


def small_corpus(path: Path, sentences: int = 30000, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(400)]
    probs = 1.0 / np.arange(1, 401)
    probs /= probs.sum()
    with open(path, "w") as f:
        for _ in range(sentences):
            f.write(" ".join(words[i] for i in rng.choice(400, size=12, p=probs)) + "\n")
    return path


def cli(*args, env=None, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "embedstudio", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_a_killed_training_resumes_from_its_last_checkpoint_to_the_uninterrupted_result(tmp_path):
    corpus = small_corpus(tmp_path / "c.txt")
    env = dict(os.environ, EMBEDSTUDIO_CACHE=str(tmp_path / "cache"))
    options = ["--dim", 24, "--epochs", 4, "--threads", 1, "--seed", 5, "--min-count", 1, "--chunk-words", 2000]
    whole = cli("train", corpus, "-o", tmp_path / "whole.npz", *options, env=env)
    assert whole.wait(timeout=600) == 0, whole.stderr.read()

    ckpt = tmp_path / "run.ckpt"
    killed = cli("train", corpus, "-o", tmp_path / "resumed.npz", "--checkpoint", ckpt,
                 "--checkpoint-every", 0.05, *options, env=env)
    deadline = time.monotonic() + 600
    while not ckpt.exists():
        assert killed.poll() is None and time.monotonic() < deadline, "finished or failed before a checkpoint"
        time.sleep(0.02)
    time.sleep(0.3)
    killed.send_signal(signal.SIGKILL)  # kill -9: no handler runs
    killed.wait()
    saved = Checkpoint.load(ckpt)
    assert 0 < saved.cursor and not (tmp_path / "resumed.npz").exists()
    resumed = cli("train", corpus, "-o", tmp_path / "resumed.npz", "--resume", ckpt, *options, env=env)
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read()
    from embedstudio.vectors import Embedding

    a, b = Embedding.load(tmp_path / "whole.npz"), Embedding.load(tmp_path / "resumed.npz")
    assert a.keys == b.keys and np.array_equal(a.vectors, b.vectors)


def test_divergence_stops_with_a_message_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    from embedstudio.cli import run_job
    from embedstudio.data.corpus import read_corpus
    from embedstudio.jobs.live import CheckpointMailbox, live_training
    from embedstudio.train.word2vec import Word2VecConfig, Word2VecTrainer

    corpus = read_corpus(small_corpus(tmp_path / "c.txt", 6000), min_count=1, cache_dir=tmp_path / "cache")
    trainer = Word2VecTrainer(Word2VecConfig(dim=8, epochs=3, threads=1, min_count=1, chunk_words=2000))
    real = trainer._run_chunk

    def blow_up(chunk):  # from chunk 40 on, the vectors become infinite (the loss table stays finite)
        out = real(chunk)
        if chunk >= 40:
            trainer.arrays["syn0"][3] = np.inf
        return out

    monkeypatch.setattr(trainer, "_run_chunk", blow_up)
    ckpt = tmp_path / "good.ckpt"
    clock = iter(range(0, 10**6, 1))
    monkeypatch.setattr("embedstudio.jobs.live.time.monotonic", lambda: float(next(clock)))  # a save at every step
    mailbox = CheckpointMailbox()
    with pytest.raises(TrainingDiverged, match="last good checkpoint is kept"):
        run_job(live_training(trainer, corpus, mailbox, snapshots=False), mailbox, checkpoint_path=str(ckpt),
                checkpoint_every_s=0.5)
    good = Checkpoint.load(ckpt)
    assert good.cursor <= 40 and all(np.isfinite(a).all() for a in good.arrays.values())


def test_the_cli_reports_divergence_with_exit_code_3(tmp_path):
    edges = tmp_path / "g.tsv"
    rng = np.random.default_rng(0)
    edges.write_text("".join(f"e{a}\tr\te{b}\n" for a, b in rng.integers(0, 200, size=(3000, 2))))
    done = cli("graph", edges, "-o", tmp_path / "g.esgraph", "--lr", 100, "--optimizer", "sgd", "--epochs", 3,
               "--threads", 1, "--comparator", "dot", "--operator", "none")
    out, err = done.communicate(timeout=600)
    assert done.returncode == 3, err
    assert "training diverged" in err and "lower the learning rate" in err and "Traceback" not in err
    assert not (tmp_path / "g.esgraph").exists()


def test_the_poincare_trainer_stops_before_a_point_leaves_the_ball(tmp_path):
    from embedstudio.data.hierarchy import read_hierarchy
    from embedstudio.train.poincare import PoincareConfig, PoincareTrainer

    tree = tmp_path / "t.tsv"
    tree.write_text("".join(f"n{i}\tn{i // 2}\n" for i in range(1, 200)))
    trainer = PoincareTrainer(PoincareConfig(dim=2, epochs=3, burn_in=0, lr=100.0, threads=1))
    try:
        for _ in trainer.fit(read_hierarchy(tree)):
            pass
    except TrainingDiverged:
        pass
    norms = np.linalg.norm(trainer.arrays["vectors"], axis=1)
    assert np.isfinite(norms).all() and norms.max() < 1.0


# ---------------------------------------------------------------------------------------- untrusted files
def _source_files():
    return [p for p in (ROOT / "embedstudio").rglob("*.py")]


def test_no_pickle_and_no_eval_anywhere_in_the_package():
    """pickle (and its users: np.load with allow_pickle=True, torch.load) and eval/exec never touch data."""
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
                assert not any(n and n.split(".")[0] in ("pickle", "cPickle", "dill", "joblib", "shelve", "marshal")
                               for n in names), f"{path}: imports {names}"
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if isinstance(func, ast.Name):  # the builtins (Qt's app.exec() is an event loop, not exec)
                    assert name not in ("eval", "exec", "compile", "__import__"), f"{path}:{node.lineno} calls {name}"
                for kw in node.keywords:
                    if kw.arg == "allow_pickle":
                        assert isinstance(kw.value, ast.Constant) and kw.value.value is False, \
                            f"{path}:{node.lineno} allow_pickle is not False"
                if name == "load" and isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "np":
                    assert any(kw.arg == "allow_pickle" for kw in node.keywords), \
                        f"{path}:{node.lineno}: np.load without allow_pickle=False"


def test_a_crafted_session_cannot_read_or_write_outside_its_folder(tmp_path):
    import json

    from embedstudio.session import Session, read_session, save_session
    from embedstudio.data.errors import DataFormatError
    from embedstudio.vectors import Embedding

    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "victim.npz"
    Embedding(["a"], np.ones((1, 2), np.float32)).save(secret)
    folder = tmp_path / "session"
    session = Session()
    session.add_embedding("e", Embedding(["x", "y"], np.eye(2, dtype=np.float32)))
    save_session(session, folder)
    doc = json.loads((folder / "session.json").read_text())
    for bad in ("../outside/victim.npz", str(secret), "embeddings/../../outside/victim.npz"):
        crafted = dict(doc, embeddings=[{"name": "e", "file": bad}])
        (folder / "session.json").write_text(json.dumps(crafted))
        with pytest.raises(DataFormatError, match="outside the session folder"):
            read_session(folder)
    (folder / "session.json").write_text(json.dumps(dict(doc, map="../outside/victim.npz")))
    with pytest.raises(DataFormatError, match="outside the session folder"):
        read_session(folder)
    # a symlink inside the folder that points out is refused too
    os.symlink(secret, folder / "embeddings" / "link.npz")
    (folder / "session.json").write_text(json.dumps(dict(doc, embeddings=[{"name": "e", "file": "embeddings/link.npz"}])))
    with pytest.raises(DataFormatError, match="outside the session folder"):
        read_session(folder)
    # saving over the folder writes and removes only inside its own embeddings/ folder
    before = sorted(p.name for p in outside.iterdir())
    save_session(session, folder)
    assert sorted(p.name for p in outside.iterdir()) == before and secret.exists()
