"""The partitioned trainer's storage: edges bucketed on disk, read a chunk and a bucket at a time."""

import tracemalloc

import numpy as np
import pytest

from embedstudio.data.graph_arrays import IdNames, NpyRows, graph_from_arrays
from embedstudio.train import graph_partitions
from embedstudio.train.graph import GraphConfig, GraphTrainer
from embedstudio.train.graph_partitions import EdgeBuckets, EntityPartitions, split_entities

SMALL = dict(dim=16, batch_size=100, batch_negatives=20, uniform_negatives=20, threads=1)


def typed_edges(n_users=300, n_items=200, m=4000, seed=0):
    """Users (ids 0..299) -> items (300..499) by relations 0 and 1, items -> users by relation 2."""
    rng = np.random.default_rng(seed)
    r = rng.integers(0, 3, m)
    user = rng.integers(0, n_users, m)
    item = n_users + rng.integers(0, n_items, m)
    head = np.where(r < 2, user, item)
    tail = np.where(r < 2, item, user)
    edges = np.unique(np.stack([head, r, tail], axis=1), axis=0)
    edges = edges[rng.permutation(len(edges))]
    types = np.repeat([0, 1], [n_users, n_items]).astype(np.int8)
    return edges, types


def test_each_bucket_holds_its_edges_in_input_order_with_local_ids(tmp_path):
    edges, types = typed_edges()
    weights = np.random.default_rng(1).random(len(edges)).astype(np.float32)
    offsets = np.array([0, 300, 500])
    P = 3
    part_of, local, members, part_offsets = split_entities(offsets, P, seed=4)
    buckets = EdgeBuckets(str(tmp_path), P)
    buckets.build(edges, weights, part_of, local, types, 2, chunk=37)  # many chunks, some buckets empty in each
    assert buckets.offsets[-1] == len(edges)
    for i in range(P):
        for j in range(P):
            rows, w, groups = buckets.load(i, j, part_offsets[i], part_offsets[j])
            mine = np.flatnonzero((part_of[edges[:, 0]] == i) & (part_of[edges[:, 2]] == j))
            assert rows.dtype == np.int32
            np.testing.assert_array_equal(members[i][rows[:, 0]], edges[mine, 0])
            np.testing.assert_array_equal(rows[:, 1], edges[mine, 1])
            np.testing.assert_array_equal(members[j][rows[:, 2]], edges[mine, 2])
            np.testing.assert_array_equal(w, weights[mine])
            np.testing.assert_array_equal(groups, types[edges[mine, 0]] * 2 + types[edges[mine, 2]])
            assert buckets.group_counts[i * P + j].tolist() == np.bincount(groups, minlength=4).tolist()
    one = EdgeBuckets(str(tmp_path / "one"), P)
    (tmp_path / "one").mkdir()
    one.build(edges, weights, part_of, local, types, 2)  # one chunk: the same file
    assert (tmp_path / "one" / "bucketed_edges.bin").read_bytes() == (tmp_path / "bucketed_edges.bin").read_bytes()
    assert one.edge_hash == buckets.edge_hash


def test_initial_vectors_drawn_by_blocks_are_those_of_one_draw(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_partitions, "INIT_ROWS", 7)
    parts = EntityPartitions(str(tmp_path), [50, 3], dim=5)
    parts.write_random(0, np.random.default_rng(3), 0.01)
    parts.write_random(1, np.random.default_rng(4), 0.01)
    expected = (np.random.default_rng(3).standard_normal((50, 5)) * 0.01).astype(np.float32)
    vectors, state = parts.read(0)
    np.testing.assert_array_equal(vectors, expected)
    assert not state.any() and parts.read(1)[0].shape == (3, 5)


class SlicesOnly:
    """Edges that can be sliced (and sampled) but refuse to be read whole: partitioned training must cope."""

    def __init__(self, edges):
        self.edges = edges
        self.shape = edges.shape
        self.reads = []

    def __len__(self):
        return len(self.edges)

    def __getitem__(self, key):
        if isinstance(key, slice):
            assert key.stop - key.start <= 1000, "read more than a chunk at once"
        else:
            assert len(key) <= 1000, "gathered more than a sample"
        self.reads.append(key)
        return self.edges[key]

    def __array__(self, *args, **kwargs):
        raise AssertionError("the whole edge list was read into memory")


def test_partitioned_training_reads_edges_a_chunk_at_a_time_with_the_same_model(tmp_path, monkeypatch):
    edges, types = typed_edges()
    relation_types = np.array([[0, 1], [0, 1], [1, 0]])
    cfg = GraphConfig(**SMALL, epochs=2, partitions=3)

    def train(source, folder):
        graph = graph_from_arrays(source, 500, ["buys", "likes", "sold_to"], entity_type=types,
                                  type_names=["user", "item"], relation_types=relation_types)
        trainer = GraphTrainer(cfg, work_dir=str(tmp_path / folder))
        for _ in trainer.fit(graph):
            pass
        return trainer, trainer.model()

    _, whole = train(edges, "whole")
    monkeypatch.setattr(graph_partitions, "CHUNK_EDGES", 1000)
    sliced = SlicesOnly(edges)
    _, chunked = train(sliced, "chunked")
    assert len(sliced.reads) == 2 * 4 + 1  # two passes of four chunks, and the objective's sample
    np.save(tmp_path / "edges.npy", edges.astype(np.int32))
    trainer, from_file = train(NpyRows(tmp_path / "edges.npy"), "file")
    for model in (chunked, from_file):
        np.testing.assert_array_equal(model.embedding.vectors, whole.embedding.vectors)
        np.testing.assert_array_equal(model.lhs_params, whole.lhs_params)
    assert np.abs(whole.embedding.vectors).max() > 0.01  # trained, not the 1e-3 start
    np.testing.assert_array_equal(trainer.entity_vectors(), whole.embedding.vectors)
    assert whole.embedding.keys[:2] == ["e0", "e1"] and isinstance(trainer._graph.names, IdNames)


@pytest.mark.parametrize("partitions", [1, 8])
def test_partitioned_training_holds_no_array_over_all_edges(tmp_path, monkeypatch, partitions):
    """Python-side memory of a run (numpy reports to tracemalloc): with 8 partitions the edges are on disk,
    one bucket (1/64 of them, ~100 bytes an edge with its plan) and one chunk at a time in memory; with 1
    they are all in memory, as int64 rows plus their groups and order (the contrast the bound is about)."""
    monkeypatch.setattr(graph_partitions, "CHUNK_EDGES", 5000)
    rng = np.random.default_rng(2)
    n, m = 2000, 200_000
    edges = np.unique(np.stack([rng.integers(0, n, m), rng.integers(0, 3, m), rng.integers(0, n, m)], 1), axis=0)
    np.save(tmp_path / "edges.npy", edges.astype(np.int32))
    graph = graph_from_arrays(NpyRows(tmp_path / "edges.npy"), n, ["a", "b", "c"])
    cfg = GraphConfig(**{**SMALL, "dim": 8, "uniform_negatives": 0}, epochs=1, partitions=partitions)
    trainer = GraphTrainer(cfg, work_dir=str(tmp_path / "parts"))
    run = trainer.fit(graph)
    tracemalloc.start()
    try:
        for _ in run:
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        trainer.close()
    all_edges = len(edges) * 24  # one int64 row per edge
    if partitions == 1:
        assert peak > 2 * all_edges
    else:
        assert peak < all_edges / 4


def test_an_epoch_loads_each_pair_of_partitions_once(tmp_path):
    edges, types = typed_edges(m=6000)
    graph = graph_from_arrays(edges, 500, ["buys", "likes", "sold_to"], entity_type=types,
                              type_names=["user", "item"], relation_types=[[0, 1], [0, 1], [1, 0]])
    trainer = GraphTrainer(GraphConfig(**SMALL, epochs=2, partitions=4), work_dir=str(tmp_path))
    for _ in trainer.fit(graph):
        pass
    assert trainer._parts.swaps == 2 * (4 * 3 // 2 + 1)  # 6 pairs, met in 5 swaps after the first two loads
    assert trainer.peak_partition_bytes <= 2 * max(len(m) for m in trainer._part_members) * (16 + 1) * 4
