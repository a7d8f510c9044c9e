"""The undo history: a bounded stack of steps, and the session's undoable removals, renames and derived additions
(the same objects back, at the same places, with the same names, origins and current embedding)."""

import gc
import weakref

import numpy as np
import pytest

from embedstudio.session import Dataset, Session, describe
from embedstudio.undo import Step, UndoStack
from embedstudio.vectors import Embedding


def _embedding(n: int, dim: int = 8, seed: int = 0) -> Embedding:
    rng = np.random.default_rng(seed)
    return Embedding([f"w{i}" for i in range(n)], rng.standard_normal((n, dim)).astype(np.float32))


def _session(budget: int = 1 << 30) -> Session:
    s = Session(history=UndoStack(budget=budget))
    s.add_embedding("trained", _embedding(5, seed=1), origin={"from": "trained", "trainer": "word2vec",
                                                               "dataset": "c.txt"})
    s.add_embedding("vectors", _embedding(6, seed=2), origin={"from": "file", "path": "/data/v.vec"})
    s.add_embedding("third", _embedding(4, seed=3), make_current=False)
    return s


# ---------------------------------------------------------------------------------- the stack
def test_the_stack_undoes_redoes_and_forgets_the_redo_side_on_a_new_step():
    log = []
    stack = UndoStack(limit=3, budget=100)
    for i in range(5):
        stack.push(Step(f"s{i}", lambda i=i: log.append(("undo", i)), lambda i=i: log.append(("redo", i))))
    assert len(stack) == 3 and stack.undo_step.text == "s4"  # the two oldest dropped
    assert [stack.undo().text for _ in range(3)] == ["s4", "s3", "s2"]
    assert stack.undo() is None and stack.undo_step is None and stack.redo_step.text == "s2"
    assert stack.redo().text == "s2" and log[-1] == ("redo", 2)
    stack.push(Step("new", lambda: None, lambda: None))
    assert stack.redo_step is None and [s.text for s in stack._done] == ["s2", "new"]


def test_the_stack_keeps_within_its_byte_budget_and_refuses_a_step_bigger_than_it():
    stack = UndoStack(limit=20, budget=100)
    for i in range(4):
        stack.push(Step(f"s{i}", lambda: None, lambda: None, undo_bytes=40))
    assert [s.text for s in stack._done] == ["s2", "s3"] and stack.held_bytes == 80  # the oldest go first
    assert stack.push(Step("huge", lambda: None, lambda: None, undo_bytes=101)) is False
    assert len(stack) == 0  # the steps before a change it cannot undo are dropped as well
    stack.push(Step("add", lambda: None, lambda: None, redo_bytes=70))
    stack.push(Step("remove", lambda: None, lambda: None, undo_bytes=60))
    stack.undo()
    stack.undo()  # the addition undone: its 70 bytes now held for redo, beside nothing else
    assert stack.held_bytes == 70 and stack.redo_step.text == "add"


def test_a_failing_step_leaves_an_empty_history():
    stack = UndoStack()
    stack.push(Step("fine", lambda: None, lambda: None))
    stack.push(Step("broken", lambda: 1 / 0, lambda: None))
    with pytest.raises(ZeroDivisionError):
        stack.undo()
    assert len(stack) == 0


# ---------------------------------------------------------------------------------- the session
def test_an_undone_removal_puts_back_the_same_embedding_where_it_was_and_current():
    s = _session()
    s.set_current("vectors")
    emb, origin = s.embeddings["vectors"], s.origins["vectors"]
    saved = emb.vectors.copy()
    events = []
    s.subscribe(events.append)
    s.remove_embedding("vectors")
    assert list(s.embeddings) == ["trained", "third"] and s.current == "trained"  # the one listed before it
    assert s.history.undo_step.text == "remove vectors"
    s.history.undo()
    assert list(s.embeddings) == ["trained", "vectors", "third"] and s.current == "vectors"
    assert s.embeddings["vectors"] is emb and s.origins["vectors"] is origin
    assert np.array_equal(s.embeddings["vectors"].vectors, saved) and s.embeddings["vectors"].keys[0] == "w0"
    assert "embeddings" in events and events[-1] == "current"
    s.history.redo()
    assert list(s.embeddings) == ["trained", "third"] and s.current == "trained"
    assert s.history.undo_step.text == "remove vectors" and s.history.redo_step is None


def test_an_undone_dataset_removal_brings_back_the_file_and_its_embedding(tmp_path):
    s = Session(history=UndoStack())
    corpus = Dataset("c.txt", str(tmp_path / "c.txt"), "corpus", None, {})
    s.datasets.append(corpus)
    emb = _embedding(3)
    s.add_dataset(describe(str(tmp_path / "v.txt"), "word2vec-text", emb))
    vectors_file = s.datasets[1]
    s.remove_dataset(vectors_file)
    assert s.embeddings == {} and s.datasets == [corpus] and s.current is None
    s.history.undo()
    assert s.datasets[0] is corpus and s.datasets[1] is vectors_file and s.embeddings == {"v.txt": emb}
    assert s.origins["v.txt"] == {"from": "file", "path": str(tmp_path / "v.txt")} and s.current == "v.txt"


def test_renames_undo_with_the_provenance_that_followed_them(tmp_path):
    s = _session()
    s.add_embedding("debiased", _embedding(5, seed=9), make_current=False,
                    origin={"from": "derived", "source": "trained", "how": "hard debiased"})
    s.set_current("trained")
    s.rename("trained", "run 1")
    assert s.origins["debiased"]["source"] == "run 1" and s.history.undo_step.text == "rename trained to run 1"
    corpus = Dataset("c.txt", str(tmp_path / "c.txt"), "corpus", None, {})
    s.datasets.append(corpus)
    s.rename_dataset(corpus, "speeches")
    assert s.origins["run 1"]["dataset"] == "speeches"
    s.history.undo()
    assert corpus.name == "c.txt" and s.origins["run 1"]["dataset"] == "c.txt"
    s.history.undo()
    assert next(iter(s.embeddings)) == "trained" and s.current == "trained"
    assert s.origins["debiased"]["source"] == "trained"
    s.history.redo()
    s.history.redo()
    assert next(iter(s.embeddings)) == "run 1" and corpus.name == "speeches" and s.current == "run 1"


def test_an_undone_derived_addition_is_gone_and_the_current_one_is_the_one_before():
    s = _session()
    before = s.current
    debiased = _embedding(5, seed=9)
    origin = {"from": "derived", "source": "vectors", "how": "hard debiased (gender)"}
    name = s.add_embedding("vectors · hard debiased", debiased, make_current=False, origin=origin)
    assert s.history.undo_step.text == f"add {name}"
    s.set_current(name)  # looked at, then undone
    s.history.undo()
    assert name not in s.embeddings and name not in s.origins and s.current == before
    s.history.redo()
    assert s.embeddings[name] is debiased and s.origins[name] == origin and list(s.embeddings)[-1] == name
    assert s.current == before  # as right after the addition: it was not made current
    # opening and training add without a step: they are not edits
    steps = len(s.history)
    s.add_embedding("opened", _embedding(2), origin={"from": "file", "path": "/x.vec"})
    s.add_embedding("opened", s.embeddings["opened"])  # the same object again: kept, nothing added
    assert len(s.history) == steps


def test_a_name_taken_meanwhile_is_not_overwritten_by_an_undo():
    s = _session()
    gone = s.embeddings["third"]
    s.remove_embedding("third")
    newer = _embedding(2)
    s.add_embedding("third", newer)  # trained after the removal: no step of its own
    s.history.undo()
    assert s.embeddings["third"] is newer and s.embeddings["third (2)"] is gone


def test_the_history_lets_old_removals_go_beyond_its_budget_and_a_clear_empties_it():
    one = _embedding(1000, dim=64).vectors.nbytes
    s = Session(history=UndoStack(budget=int(2.5 * one)))
    refs = []
    for i in range(4):
        emb = _embedding(1000, dim=64, seed=i)
        s.add_embedding(f"e{i}", emb)
        refs.append(weakref.ref(emb))
    del emb
    for i in range(4):
        s.remove_embedding(f"e{i}")
    gc.collect()
    assert [r() is None for r in refs] == [True, True, False, False]  # only the two newest removals kept
    assert len(s.history) == 2 and s.history.held_bytes == 2 * one
    s.history.undo()
    s.history.undo()
    assert s.history.undo() is None and list(s.embeddings) == ["e2", "e3"]
    s.clear()  # a new session: nothing to undo
    assert len(s.history) == 0


def test_a_session_without_a_history_frees_a_removal_at_once():
    s = Session()
    emb = _embedding(100)
    s.add_embedding("e", emb)
    gone = weakref.ref(emb)
    del emb
    s.remove_embedding("e")
    gc.collect()
    assert gone() is None and s.history is None
