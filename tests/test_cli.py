"""The headless command line, end to end on small files."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from embedstudio.cli import main
from embedstudio.data.vectors_io import read_vectors
from embedstudio.train.base import Checkpoint


def test_train_then_query_and_export(topic_file, tmp_path, capsys):
    out = tmp_path / "vec.bin"
    code = main(["train", str(topic_file), "-o", str(out), "--dim", "16", "--epochs", "3", "--threads", "1",
                 "--min-count", "1", "--window", "3"])
    assert code == 0
    emb = read_vectors(out)
    assert len(emb) == 40 and emb.dim == 16
    capsys.readouterr()

    assert main(["neighbors", str(out), "w0", "-n", "5"]) == 0
    line = capsys.readouterr().out.strip()
    neighbours = [part.split(" ")[0] for part in line.split(": ", 1)[1].split(", ")]
    # words of w0's topic (w0..w9) share its contexts: most of its neighbours are among them
    assert sum(int(w[1:]) < 10 for w in neighbours) >= 4

    assert main(["analogy", str(out), "w0", "w1", "w12", "-n", "3"]) == 0
    assert "w0 : w1 :: w12 : ?" in capsys.readouterr().out

    tsv = tmp_path / "vec.tsv"
    assert main(["export", str(out), "-o", str(tsv), "--metadata", str(tmp_path / "meta.tsv")]) == 0
    back = read_vectors(tsv, metadata_path=str(tmp_path / "meta.tsv"))
    assert back.keys == emb.keys
    np.testing.assert_array_equal(back.vectors, emb.vectors)


def test_bad_file_gives_a_message_with_the_line_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("3 2\na 0.1 0.2\nb 0.1 oops\nc 0.3 0.4\n")
    assert main(["neighbors", str(bad), "a"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "line 3" in err and "Traceback" not in err


def test_train_refuses_a_vectors_file_with_a_clear_message(tmp_path, capsys):
    vec = tmp_path / "v.txt"
    vec.write_text("2 3\na 0.1 0.2 0.3\nb 0.4 0.5 0.6\n")
    assert main(["train", str(vec), "-o", str(tmp_path / "o.npz")]) == 2
    assert "not a text corpus" in capsys.readouterr().err


def test_unknown_word_and_unknown_option_value(topic_file, tmp_path, capsys):
    out = tmp_path / "v.npz"
    assert main(["train", str(topic_file), "-o", str(out), "--dim", "8", "--epochs", "1", "--min-count", "1"]) == 0
    assert main(["neighbors", str(out), "nosuchword"]) == 1
    assert "not in the vocabulary" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", str(topic_file), "-o", str(out), "--method", "glove"])
    assert main(["train", str(topic_file), "-o", str(out), "--dim", "0"]) == 2
    assert "dim=0 is below its minimum" in capsys.readouterr().err


def test_ctrl_c_saves_a_checkpoint_that_resumes(topic_file, tmp_path):
    out = tmp_path / "v.npz"
    ckpt = tmp_path / "run.ckpt"
    cmd = [sys.executable, "-m", "embedstudio", "train", str(topic_file), "-o", str(out), "--dim", "64",
           "--epochs", "10000", "--threads", "1", "--min-count", "1", "--chunk-words", "500",
           "--checkpoint", str(ckpt)]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stderr:
            if line.startswith("training word2vec"):
                break
        time.sleep(1.0)  # let a few chunks run
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "checkpoint saved" in err
    saved = Checkpoint.load(ckpt)
    assert 0 < saved.cursor and saved.config["epochs"] == 10000
    assert not out.exists()  # no half-written model


def test_demo_trains_on_the_bundled_corpus(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    done = subprocess.run([sys.executable, "-m", "embedstudio", "demo", "--out", str(tmp_path / "demo"),
                           "--epochs", "1", "--method", "cbow"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "nearest neighbours:" in done.stdout and "war:" in done.stdout
    emb = read_vectors(tmp_path / "demo" / "vectors.bin")
    assert len(emb) > 10000 and "congress" in emb


def test_poincare_on_the_bundled_mammals_puts_mammal_at_the_centre(tmp_path, capsys):
    from embedstudio.resources import resource

    out = tmp_path / "mammals.npz"
    code = main(["poincare", str(resource("sample", "mammal_closure.tsv")), "-o", str(out), "--dim", "5",
                 "--epochs", "60", "--threads", "1", "--lr", "0.3"])
    assert code == 0
    text = capsys.readouterr().out
    assert "most general: mammal.n.01" in text
    mean_rank = float(text.split("mean rank ")[1].split(",")[0])
    assert mean_rank < 5.0  # random vectors: ~660
    from embedstudio.vectors import Embedding
    emb = Embedding.load(out)
    assert emb.geometry == "poincare" and len(emb) == 1180


def test_graph_trains_an_edge_list_reports_link_prediction_and_predicts(tmp_path, capsys):
    from tests.train.test_graph import planted_graph

    graph = planted_graph(tmp_path, typed=True)
    model_path = tmp_path / "model.esgraph"
    code = main(["graph", graph.path, "-o", str(model_path), "--dim", "16", "--epochs", "15", "--batch-size", "100",
                 "--batch-negatives", "20", "--uniform-negatives", "20", "--threads", "1",
                 "--vectors", str(tmp_path / "entities.vec")])
    assert code == 0
    text = capsys.readouterr().out
    filtered = float(text.split("filtered full ranking: MRR ")[1].split(",")[0])
    raw = float(text.split("raw full ranking: MRR ")[1].split(",")[0])
    assert filtered >= raw > 0
    # the objective the window plots: scored on a fixed sample at the end of each epoch, falling
    curve = text.split("(fixed sample, end of epoch) by epoch: ")[1].splitlines()[0]
    values = [float(v) for v in curve.split(", ")]
    assert len(values) == 15 and values[-1] < values[0]
    assert (tmp_path / "entities.vec").read_text().startswith("480 16")
    code = main(["links", str(model_path), "user:u0", "-r", "r2", "-n", "5"])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("tails of (user:u0, r, ?) for r = r2") and len(lines) == 6
    # u0 is in cluster 0; r2 points to cluster 2 (items 120..179)
    assert all(120 <= int(line.split("item:i")[1]) < 180 for line in lines[1:])


def test_training_word2vec_on_an_edge_list_points_to_the_graph_command(tmp_path, capsys):
    path = tmp_path / "edges.tsv"
    path.write_text("".join(f"a{i}\tlikes\tb{i % 7}\n" for i in range(50)))
    assert main(["train", str(path), "-o", str(tmp_path / "v.txt")]) == 2
    assert "embedstudio graph" in capsys.readouterr().err


def test_pbg_export_writes_buckets_and_a_config(tmp_path, capsys):
    from tests.train.test_graph import planted_graph

    graph = planted_graph(tmp_path)
    folder = tmp_path / "pbg"
    assert main(["pbg-export", graph.path, str(folder), "--partitions", "2", "--set", "dimension=32"]) == 0
    assert "torchbiggraph_train" in capsys.readouterr().out
    import json

    config = json.loads((folder / "config.json").read_text())
    assert config["dimension"] == 32 and config["entities"]["entity"]["num_partitions"] == 2
    assert len(list((folder / "edges").glob("edges_*_*.h5"))) == 4


def test_every_sub_command_goes_to_the_command_line_never_to_the_window(monkeypatch, tmp_path, capsys):
    import embedstudio.__main__ as entry
    from embedstudio.cli import command_names

    opened = []
    monkeypatch.setattr("embedstudio.app.run_app", lambda argv: opened.append(argv) or 0, raising=False)
    names = command_names()
    from embedstudio.cli import COMMANDS

    assert sorted(COMMANDS) == sorted(names)  # the fast list the entry point uses is the parser's
    for name in names:
        with pytest.raises(SystemExit) as stop:
            entry.main([name, "--help"])
        assert stop.value.code == 0
    assert opened == []
    corpus = tmp_path / "some-corpus.txt"
    corpus.write_text("a b c\n")
    entry.main([str(corpus)])  # a file (not a command) opens the window with it
    assert opened == [[str(corpus)]]
    # anything else is an error on the command line, never a window
    assert entry.main(["trian", "corpus.txt"]) == 2
    assert "unknown command 'trian' (did you mean 'train'?)" in capsys.readouterr().err
    assert entry.main(["missing/corpus.txt"]) == 2
    assert "no such file: missing/corpus.txt" in capsys.readouterr().err
    assert entry.main([str(corpus), str(tmp_path / "gone.txt")]) == 2
    assert opened == [[str(corpus)]]


def test_drop_bad_rows_loads_the_rest_and_lists_what_was_dropped(tmp_path, capsys):
    bad = tmp_path / "v.txt"
    bad.write_text("4 2\nking 0.1 0.2\nqueen inf 0.3\nman 0.4 0.5\nking 0.6 0.7\n")
    assert main(["neighbors", str(bad), "man"]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "'queen'" in err and "--drop-bad-rows" in err
    assert main(["neighbors", str(bad), "man", "--drop-bad-rows"]) == 0
    captured = capsys.readouterr()
    assert "dropped 2 bad rows" in captured.err and "'queen'" in captured.err and "'king'" in captured.err
    assert captured.out.startswith("man: king")  # the first 'king' row stayed
    out = tmp_path / "clean.txt.gz"  # the format comes from the name before .gz
    assert main(["export", str(bad), "-o", str(out), "--drop-bad-rows"]) == 0
    assert read_vectors(out).keys == ["king", "man"]


def test_a_gz_that_is_not_compressed_is_read_with_a_note(tmp_path, capsys):
    path = tmp_path / "v.vec.gz"
    path.write_text("2 2\na 0.1 0.2\nb 0.3 0.4\n")
    assert main(["neighbors", str(path), "a", "-n", "1"]) == 0
    assert "named .gz but is not compressed" in capsys.readouterr().err
