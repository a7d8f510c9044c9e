"""Sessions: a folder of JSON + .npz that round-trips, survives crashes, and stays in its folder."""

import json

import numpy as np
import pytest

from embedstudio.session import Session, describe, read_session, save_session
from embedstudio.data.errors import DataFormatError
from embedstudio.vectors import Embedding


def _session():
    s = Session()
    rng = np.random.default_rng(0)
    s.add_embedding("trained", Embedding(["a", "b"], rng.standard_normal((2, 3)).astype(np.float32),
                                         info={"trainer": "word2vec"}))
    s.add_embedding("other", Embedding(["x"], np.ones((1, 3), np.float32)), make_current=False)
    return s


def test_session_round_trips(tmp_path):
    s = _session()
    save_session(s, tmp_path / "s", view={"projection": "pca", "search": "^a"})
    doc, embeddings = read_session(tmp_path / "s")
    assert doc["current"] == "trained" and doc["view"]["search"] == "^a"
    assert list(embeddings) == ["trained", "other"]
    np.testing.assert_array_equal(embeddings["trained"].vectors, s.embeddings["trained"].vectors)
    assert embeddings["trained"].info == {"trainer": "word2vec"}


def test_saving_again_replaces_files_and_leaves_no_orphans(tmp_path):
    s = _session()
    save_session(s, tmp_path / "s")
    del s.embeddings["other"]
    save_session(s, tmp_path / "s")
    assert len(list((tmp_path / "s" / "embeddings").iterdir())) == 1
    assert list(read_session(tmp_path / "s")[1]) == ["trained"]


def test_a_crafted_session_cannot_reach_outside_its_folder(tmp_path):
    outside = tmp_path / "secret.npz"
    Embedding(["s"], np.ones((1, 2), np.float32)).save(outside)
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "session.json").write_text(json.dumps({
        "format": "embedstudio-session", "version": 1,
        "embeddings": [{"name": "evil", "file": "../secret.npz"}]}))
    with pytest.raises(DataFormatError, match="outside the session folder"):
        read_session(folder)


@pytest.mark.parametrize("content", ["", "{not json", '{"format": "something-else"}', "\udcff"])
def test_broken_session_files_are_reported(tmp_path, content):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "session.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(DataFormatError) as info:
        read_session(folder)
    assert "session.json" in str(info.value)


def test_session_events_reach_subscribers():
    s = Session()
    events = []
    s.subscribe(events.append)
    s.add_embedding("e", Embedding(["a"], np.ones((1, 2), np.float32)))
    assert events == ["embeddings", "current"]
    assert describe("/x/v.txt", "word2vec-text", s.embedding).stats == {"vectors": 1, "dimensions": 2}
    from embedstudio.session import stats_text

    assert stats_text({"entities": 1, "types": 1, "relations": 3, "dimensions": 32}) == \
        "1 entity, 1 type, 3 relations, 32 dimensions"


def test_damaged_or_crafted_session_documents_are_data_format_errors(tmp_path):
    """Inputs the reader fuzzing found: each was an uncaught exception before."""
    import json

    import numpy as np

    from embedstudio.session import Session, read_session, save_session
    from embedstudio.data.errors import DataFormatError
    from embedstudio.vectors import Embedding

    folder = tmp_path / "s"
    session = Session()
    session.add_embedding("e", Embedding(["x", "y"], np.eye(2, dtype=np.float32)))
    save_session(session, folder, map_coords=np.zeros((2, 2), np.float32))
    good = json.loads((folder / "session.json").read_text())
    map_file = folder / good["map"]
    cases = {
        "nested": '{"format": "embedstudio-session", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "embeddings not a list": json.dumps(dict(good, embeddings=3.5)),
        "view not a mapping": json.dumps(dict(good, view=[1, 2])),
        "NUL in a file name": json.dumps(dict(good, embeddings=[{"name": "e", "file": "embeddings/a\x00b.npz"}])),
    }
    for what, text in cases.items():
        (folder / "session.json").write_text(text)
        with pytest.raises(DataFormatError):
            read_session(folder)
    (folder / "session.json").write_text(json.dumps(good))
    saved = map_file.read_bytes()
    for damaged in (saved[:20], b"", _npz_bytes()):
        map_file.write_bytes(damaged)
        with pytest.raises(DataFormatError, match="map"):
            read_session(folder)
    map_file.write_bytes(saved)
    assert read_session(folder)[0]["map_coords"].shape == (2, 2)


def _npz_bytes() -> bytes:
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, a=np.zeros(3))
    return buffer.getvalue()


def test_a_checkpoint_with_an_infinite_cursor_is_a_data_format_error(tmp_path):
    import numpy as np

    from embedstudio.data.errors import DataFormatError
    from embedstudio.storage import write_json_arrays
    from embedstudio.train.base import Checkpoint

    write_json_arrays(tmp_path / "c.ckpt", {"format": "embedstudio-checkpoint", "trainer": "word2vec",
                                             "cursor": float("inf"), "config": {}, "state": {}},
                      {"syn0": np.zeros((2, 2), np.float32)})
    with pytest.raises(DataFormatError, match="inconsistent checkpoint"):
        Checkpoint.load(tmp_path / "c.ckpt")


# --------------------------------------------------------------------------- a session stays in its folder
def _document(folder, datasets):
    folder.mkdir(exist_ok=True)
    (folder / "session.json").write_text(json.dumps({"format": "embedstudio-session", "version": 1,
                                                     "datasets": datasets, "embeddings": []}))
    document, _ = read_session(folder)
    return document


def test_datasets_outside_the_folder_are_only_listed_never_opened(tmp_path):
    from embedstudio.session import session_datasets

    folder = tmp_path / "s"
    document = _document(folder, [{"path": "/etc/passwd", "kind": "corpus"}, {"path": "../elsewhere.txt"},
                                  {"path": "inside.txt", "kind": "hierarchy"}])
    inside, outside = session_datasets(folder, document)
    assert inside == [(str((folder / "inside.txt").resolve()), "hierarchy")]
    assert outside == [("/etc/passwd", None), (str((tmp_path / "elsewhere.txt").resolve()), None)]


def test_relative_dataset_paths_resolve_against_the_session_folder_not_the_current_one(tmp_path, monkeypatch):
    from embedstudio.session import Dataset, session_datasets

    folder = tmp_path / "s"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "c.txt").write_text("a b c\n")
    session = Session()
    session.datasets = [Dataset("c.txt", str(folder / "data" / "c.txt"), "corpus", None, {})]
    save_session(session, folder)
    saved = json.loads((folder / "session.json").read_text())
    assert saved["datasets"][0]["path"] == "data/c.txt"  # stored relative: the folder can move
    moved = tmp_path / "moved"
    folder.rename(moved)
    monkeypatch.chdir(tmp_path)
    document, _ = read_session(moved)
    assert session_datasets(moved, document) == ([(str((moved / "data" / "c.txt").resolve()), None)], [])


def test_a_symlink_out_of_the_folder_is_refused_for_every_file_a_session_opens(tmp_path):
    from embedstudio.session import session_file

    folder = tmp_path / "s"
    folder.mkdir()
    secret = tmp_path / "secret.esgraph"
    secret.write_bytes(b"PK")
    (folder / "graph-model.esgraph").symlink_to(secret)
    with pytest.raises(DataFormatError, match="outside the session folder"):
        session_file(folder, "graph-model.esgraph", "the graph model", must_exist=False)
    (folder / "embeddings").mkdir()
    (folder / "embeddings" / "e.npz").symlink_to(secret)
    (folder / "session.json").write_text(json.dumps({"format": "embedstudio-session", "embeddings": [
        {"name": "e", "file": "embeddings/e.npz"}]}))
    with pytest.raises(DataFormatError, match="outside"):
        read_session(folder)


@pytest.mark.timeout(60)
def test_a_named_pipe_in_the_folder_is_refused_at_once_never_opened(tmp_path):
    """A FIFO would block open() forever, and the window's one worker with it."""
    import os

    from embedstudio.jobs.loading import load_paths
    from embedstudio.session import session_file

    folder = tmp_path / "s"
    folder.mkdir()
    os.mkfifo(folder / "graph-model.esgraph")
    with pytest.raises(DataFormatError, match="named pipe"):
        session_file(folder, "graph-model.esgraph", "the graph model", must_exist=False)
    (folder / "embeddings").mkdir()
    os.mkfifo(folder / "embeddings" / "e.npz")
    (folder / "session.json").write_text(json.dumps({"format": "embedstudio-session", "embeddings": [
        {"name": "e", "file": "embeddings/e.npz"}]}))
    with pytest.raises(DataFormatError, match="named pipe"):
        read_session(folder)
    os.mkfifo(folder / "data.txt")  # a dataset: every reader refuses it before opening
    ((kind, message),) = list(load_paths([str(folder / "data.txt")]))
    assert kind == "error" and "named pipe" in message
    with pytest.raises(DataFormatError, match="named pipe"):
        Embedding.load(folder / "data.txt")


def test_a_folder_dataset_with_a_link_out_of_the_session_is_asked_for_not_read(tmp_path):
    """A corpus folder inside the session whose file links outside: reading it would leave the folder."""
    from embedstudio.session import session_datasets

    secret = tmp_path / "secret.txt"
    secret.write_text("words outside the session\n")
    folder = tmp_path / "s"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "c.txt").write_text("words inside\n")
    (folder / "data" / "link.txt").symlink_to(secret)
    document = _document(folder, [{"path": "data", "kind": "corpus"}])
    inside, outside = session_datasets(folder, document)
    assert inside == [] and outside == [(str((folder / "data").resolve()), None)]


def test_a_pbg_checkpoint_in_the_session_never_follows_its_config_out_of_the_folder(tmp_path):
    """An export folder inside the session whose config names a checkpoint elsewhere: the one inside is read."""
    from embedstudio.data.pbg import export_pbg
    from embedstudio.data.pbg_import import import_pbg
    from tests.data.test_pbg import typed_graph
    from tests.data.test_pbg_import import fake_checkpoint

    inside, elsewhere = tmp_path / "s" / "pbg", tmp_path / "elsewhere"
    export_pbg(typed_graph(), inside)
    fake_checkpoint(inside, np.random.default_rng(0), dim=4, operator="diagonal")
    export_pbg(typed_graph(), elsewhere)
    fake_checkpoint(elsewhere, np.random.default_rng(1), dim=4, operator="diagonal")
    config = json.loads((inside / "config.json").read_text())
    config["checkpoint_path"] = str(elsewhere / "checkpoints")
    (inside / "config.json").write_text(json.dumps(config))
    followed = import_pbg(inside)  # a folder the user picks: its config is followed, wherever it leads
    confined = import_pbg(inside, within=tmp_path / "s")  # a session's: only its own folder is read
    assert confined.info["checkpoint"].startswith(str((tmp_path / "s").resolve()))
    assert followed.info["checkpoint"].startswith(str(elsewhere))
    assert not np.array_equal(followed.embedding.vectors, confined.embedding.vectors)


# ---------------------------------------------------------------------------------- the workspace
def _graph_model():
    from embedstudio.graphmodel import GraphModel

    emb = Embedding(["x", "y", "z"], np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32))
    return GraphModel(emb, [0, 0, 0], ["node"], ["r"], [[0, 0]], "translation", "dot", np.zeros((1, 4)),
                      np.zeros((1, 4)))


def test_the_workspace_renames_and_removes_and_says_what_it_freed():
    import gc
    import weakref

    s = _session()
    s.origins["other"] = {"from": "derived", "source": "trained", "how": "hard debiased"}
    events = []
    s.subscribe(events.append)
    assert s.rename("trained", "run 1") == "run 1"
    assert list(s.embeddings) == ["run 1", "other"] and s.current == "run 1"
    assert s.origins["other"]["source"] == "run 1"  # provenance follows the rename
    assert events == ["embeddings", "current"]
    assert s.rename("other", "run 1") == "run 1 (2)"  # a taken name is made unique, never overwritten
    big = Embedding([f"w{i}" for i in range(1000)], np.ones((1000, 64), np.float32))
    s.add_embedding("big", big)
    gone = weakref.ref(big)
    assert s.remove_embedding("big") == 1000 * 64 * 4
    del big
    gc.collect()
    assert gone() is None  # nothing in the session holds it any more
    assert s.current == "run 1 (2)"  # the one listed before it
    s.remove_embedding("run 1 (2)")
    s.remove_embedding("run 1")
    assert s.current is None and s.embedding is None


def test_a_removed_vectors_file_takes_its_dataset_along(tmp_path):
    s = Session()
    emb = Embedding(["a", "b"], np.eye(2, dtype=np.float32))
    s.add_dataset(describe(str(tmp_path / "v.txt"), "word2vec-text", emb))
    assert s.origins["v.txt"] == {"from": "file", "path": str(tmp_path / "v.txt")}
    assert s.listed_datasets() == []  # listed as its embedding, not twice
    s.remove_dataset(s.datasets[0])
    assert s.embeddings == {} and s.datasets == []


def test_a_tool_says_why_it_cannot_act_on_the_current_kind():
    from embedstudio.session import GRAPH_MODEL, HIERARCHY, WORD_VECTORS

    s = Session()
    assert "open or train one first" in s.unsuitable("words", "analogies")
    s.add_embedding("mammals", Embedding(["a", "b"], np.full((2, 2), 0.1, np.float32), geometry="poincare"))
    assert s.kind() == HIERARCHY
    assert s.unsuitable("words", "analogies") == \
        "analogies need word vectors; the current embedding, mammals, is a Poincaré hierarchy"
    assert s.unsuitable("disk", "the disk") is None
    s.add_embedding("sotu", Embedding(["a"], np.ones((1, 2), np.float32)))
    assert s.kind() == WORD_VECTORS and s.unsuitable("words", "analogies") is None
    assert s.unsuitable("links", "link prediction") == \
        "link prediction needs a graph model; the current embedding, sotu, is word vectors"
    model = _graph_model()
    s.add_embedding("g", model.embedding, model=model)
    assert s.kind() == GRAPH_MODEL and s.model is model and s.unsuitable("links", "link prediction") is None


def test_a_saved_workspace_keeps_names_origins_models_and_the_current_one(tmp_path):
    s = _session()
    s.origins["trained"] = {"from": "trained", "workflow": "word2vec", "trainer": "word2vec", "dataset": "c.txt",
                            "settings": {"dim": 3, "epochs": 2}}
    s.origins["other"] = {"from": "derived", "source": "trained", "how": "hard debiased (gender)"}
    model = _graph_model()
    s.add_embedding("graph", model.embedding, model=model, origin={"from": "file", "path": "/data/g.esgraph"},
                    make_current=False)
    s.rename("other", "debiased")
    s.set_current("debiased")
    save_session(s, tmp_path / "s")
    doc, embeddings = read_session(tmp_path / "s")
    assert list(embeddings) == ["trained", "debiased", "graph"] and doc["current"] == "debiased"
    assert doc["_origins"]["trained"]["settings"] == {"dim": 3, "epochs": 2}
    assert doc["_origins"]["debiased"] == {"from": "derived", "source": "trained", "how": "hard debiased (gender)"}
    back = doc["_models"]["graph"]
    assert back.relation_names == ["r"] and embeddings["graph"] is back.embedding  # one object, as before
    np.testing.assert_array_equal(back.embedding.vectors, model.embedding.vectors)
    # the graph model's vectors are written once, inside its model file
    assert sorted(p.suffix for p in (tmp_path / "s" / "embeddings").iterdir()) == [".esgraph", ".npz", ".npz"]
