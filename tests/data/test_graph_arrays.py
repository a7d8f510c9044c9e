"""Graphs made from integer arrays: names made on demand, edges read from an .npy file a slice at a time."""

import numpy as np
import pytest

from embedstudio.data.graph_arrays import IdNames, NpyRows, graph_from_arrays


def test_names_are_made_on_demand_and_found_without_a_dict():
    names = IdNames(12, prefix="n")
    assert len(names) == 12 and names[0] == "n0" and names[-1] == "n11" and names[2:5] == ["n2", "n3", "n4"]
    assert list(names)[:3] == ["n0", "n1", "n2"]
    assert names.index("n7") == 7 and "n11" in names
    for wrong in ("n12", "n07", "x3", "n", "n-1", 5):
        assert wrong not in names
    with pytest.raises(IndexError):
        names[12]


def test_rows_of_an_npy_file_read_as_sliced(tmp_path):
    edges = np.arange(30, dtype=np.int32).reshape(10, 3)
    np.save(tmp_path / "e.npy", edges)
    rows = NpyRows(tmp_path / "e.npy")
    assert len(rows) == 10 and rows.shape == (10, 3) and rows.dtype == np.int32
    np.testing.assert_array_equal(rows[2:5], edges[2:5])
    np.testing.assert_array_equal(rows[8:20], edges[8:])
    np.testing.assert_array_equal(rows[np.array([7, 0, 7, -1])], edges[[7, 0, 7, -1]])
    np.testing.assert_array_equal(rows[3], edges[3])
    whole = np.asarray(rows, dtype=np.int64)
    assert whole.dtype == np.int64
    np.testing.assert_array_equal(whole, edges)
    np.save(tmp_path / "flat.npy", np.arange(5))
    with pytest.raises(ValueError, match="2-D"):
        NpyRows(tmp_path / "flat.npy")


def test_a_graph_from_arrays_has_the_layout_of_a_read_one():
    edges = np.array([[0, 0, 3], [1, 1, 2], [3, 2, 0]])
    graph = graph_from_arrays(edges, 4)
    assert graph.n_entities == 4 and graph.relation_names == ["r0", "r1", "r2"] and graph.type_names == ["entity"]
    assert graph.type_offsets.tolist() == [0, 4] and graph.relation_types.shape == (3, 2)
    assert graph.index("e3") == 3 and graph.n_edges == 3
    typed = graph_from_arrays(edges, 4, ["a", "b", "c"], entity_type=[0, 0, 1, 1], type_names=["u", "i"],
                              relation_types=[[0, 1], [0, 1], [1, 0]])
    assert typed.type_offsets.tolist() == [0, 2, 4]
    with pytest.raises(ValueError, match="grouped by type"):
        graph_from_arrays(edges, 4, entity_type=[1, 0, 0, 1], relation_types=[[0, 1]] * 3)
    with pytest.raises(ValueError, match="relation_types"):
        graph_from_arrays(edges, 4, entity_type=[0, 0, 1, 1])
