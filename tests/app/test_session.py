"""Sessions: a folder of JSON + .npz that round-trips, survives crashes, and stays in its folder."""

import json

import numpy as np
import pytest

from embedstudio.app.session import Session, describe, read_session, save_session
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
    assert describe("/x/v.txt", "word2vec-text", s.embedding).stats == {"vectors": 1, "dimension": 2}
