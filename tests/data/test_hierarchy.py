"""read_hierarchy(): counts, separators, headers, closure, CSR, and every kind of bad file."""

from __future__ import annotations

import bz2
import gzip
import itertools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.data.conftest import expect_data_error
from embedstudio.data.errors import DataFormatError
from embedstudio.data import hierarchy as hierarchy_module
from embedstudio.data.hierarchy import (
    ClosureTooLarge, CycleError, Hierarchy, first_cycle, read_hierarchy, transitive_closure,
)
from embedstudio.resources import resource

SAMPLE_MAMMALS = resource("sample", "mammal_closure.tsv")
# The benchmark data beside the repository (../shared/data), or where EMBEDSTUDIO_SHARED_DATA says.
SHARED = Path(os.environ.get("EMBEDSTUDIO_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
needs_shared = pytest.mark.skipif(not (SHARED / "mammal_closure.tsv").is_file(), reason="shared benchmark data absent")


def write(tmp_path, text: str | bytes, name: str = "h.tsv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def named_edges(h: Hierarchy) -> set[tuple[str, str]]:
    return {(h.names[u], h.names[v]) for u, v in h.edges.tolist()}


def expect_error(path, line, *words, **kwargs) -> DataFormatError:
    return expect_data_error(read_hierarchy, path, line, *words, **kwargs)


def _unique(keys: np.ndarray) -> np.ndarray:
    keys = np.sort(keys)
    return keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys


def check_csr(h: Hierarchy) -> None:
    """The CSR, degree and is_edge agree with the edge list, both directions."""
    n = h.n_nodes
    assert h.edges.dtype == np.int32 and h.edges.shape == (h.n_edges, 2)
    assert h.neighbor_ptr.dtype == np.int64 and h.neighbor_ptr.shape == (n + 1,)
    assert h.neighbor_idx.dtype == np.int32 and h.degree.dtype == np.int64
    assert h.neighbor_ptr[0] == 0 and h.neighbor_ptr[-1] == len(h.neighbor_idx)
    assert np.all(np.diff(h.neighbor_ptr) >= 0)
    u, v = h.edges[:, 0].astype(np.int64), h.edges[:, 1].astype(np.int64)
    assert np.all(u != v)  # no self-loops
    assert len(_unique(u * n + v)) == h.n_edges  # unique
    expected = _unique(np.concatenate([u * n + v, v * n + u]))
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(h.neighbor_ptr))
    got = rows * n + h.neighbor_idx
    # strictly increasing keys = rows sorted ascending without repeats; equal to both directions
    assert np.array_equal(got, expected)
    assert np.array_equal(h.degree, np.bincount(h.edges.ravel(), minlength=n))
    if n <= 60:
        undirected = set(expected.tolist())
        for a in range(n):
            for b in range(n):
                assert h.is_edge(a, b) == (a * n + b in undirected)
    else:
        rng = np.random.default_rng(0)
        for a, b in h.edges[rng.choice(h.n_edges, min(500, h.n_edges), replace=False)].tolist():
            assert h.is_edge(a, b) and h.is_edge(b, a)
        probe = rng.integers(0, n, (2000, 2))
        present = np.isin(probe[:, 0] * n + probe[:, 1], expected)
        for (a, b), p in zip(probe.tolist(), present.tolist()):
            assert h.is_edge(a, b) == p


# ============================================================================ the WordNet mammals
def test_shipped_mammal_closure():
    h = read_hierarchy(SAMPLE_MAMMALS)
    assert (h.n_nodes, h.n_edges) == (1180, 6540)
    assert not h.closure
    assert h.names[:2] == ["aardvark.n.01", "mammal.n.01"]  # order of first appearance
    assert len(set(h.names)) == h.n_nodes
    mammal = h.index["mammal.n.01"]
    assert h.is_edge(h.index["dog.n.01"], mammal) and h.is_edge(mammal, h.index["dog.n.01"])
    assert h.degree[mammal] == h.n_nodes - 1  # everything is a mammal
    check_csr(h)


def test_shipped_mammal_closure_is_closed():
    plain = read_hierarchy(SAMPLE_MAMMALS)
    closed = read_hierarchy(SAMPLE_MAMMALS, closure=True)
    assert closed.closure
    assert closed.names == plain.names
    assert named_edges(closed) == named_edges(plain)


def test_shipped_mammals_readme_and_licence():
    readme = resource("README.md").read_text(encoding="utf-8")
    assert "sample/mammal_closure.tsv" in readme and "sample/LICENSE-WordNet.txt" in readme
    assert "Princeton University" in resource("sample", "LICENSE-WordNet.txt").read_text(encoding="utf-8")


@needs_shared
def test_shared_mammal_closure_matches_the_shipped_copy():
    h = read_hierarchy(SHARED / "mammal_closure.tsv")
    assert (h.n_nodes, h.n_edges) == (1180, 6540)
    assert named_edges(h) == named_edges(read_hierarchy(SAMPLE_MAMMALS))


@needs_shared
def test_shared_noun_closure_reads_with_exact_counts():
    h = read_hierarchy(SHARED / "noun_closure.tsv.gz")
    assert (h.n_nodes, h.n_edges) == (82115, 743086)
    check_csr(h)
    # The reference script follows '@' pointers only from an instance's direct instance-hypernym,
    # so 155 pairs through instances of instances (e.g. messiah -> ... -> psychological_feature)
    # are missing: the file is not quite transitively closed. closure=True adds exactly those.
    closed = read_hierarchy(SHARED / "noun_closure.tsv.gz", closure=True)
    assert closed.n_nodes == 82115 and closed.n_edges == 743086 + 155
    assert closed.names == h.names
    n = h.n_nodes
    assert np.isin(h.edges[:, 0].astype(np.int64) * n + h.edges[:, 1],
                   closed.edges[:, 0].astype(np.int64) * n + closed.edges[:, 1]).all()


# ============================================================================ closure
def test_closure_of_a_small_tree(tmp_path):
    # mammal <- carnivore <- dog <- puppy ; carnivore <- cat ; plus a second parent for dog
    path = write(tmp_path, "dog\tcarnivore\ncat\tcarnivore\ncarnivore\tmammal\npuppy\tdog\ndog\tpet\n")
    plain = read_hierarchy(path)
    assert plain.names == ["dog", "carnivore", "cat", "mammal", "puppy", "pet"]
    assert plain.n_edges == 5 and not plain.closure
    closed = read_hierarchy(path, closure=True)
    assert closed.closure and closed.names == plain.names
    assert named_edges(closed) == {
        ("dog", "carnivore"), ("dog", "mammal"), ("dog", "pet"),
        ("cat", "carnivore"), ("cat", "mammal"),
        ("carnivore", "mammal"),
        ("puppy", "dog"), ("puppy", "carnivore"), ("puppy", "mammal"), ("puppy", "pet"),
    }
    check_csr(closed)
    # Reading the closure back with closure=True changes nothing.
    out = tmp_path / "closed.tsv"
    out.write_text("".join(f"{a}\t{b}\n" for a, b in sorted(named_edges(closed))))
    again = read_hierarchy(out, closure=True)
    assert named_edges(again) == named_edges(closed)


def _reference_closure(edges: list[tuple[int, int]], n: int) -> set[tuple[int, int]]:
    parents = {u: set() for u in range(n)}
    for u, v in edges:
        if u != v:
            parents[u].add(v)
    out = set()
    for u in range(n):
        stack, seen = list(parents[u]), set()
        while stack:
            p = stack.pop()
            if p not in seen:
                seen.add(p)
                stack.extend(parents[p])
        out |= {(u, p) for p in seen if p != u}
    return out


@st.composite
def dags(draw):
    n = draw(st.integers(1, 14))
    perm = draw(st.permutations(range(n)))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=40))
    # parent has a lower position in perm than its child: acyclic; self-loops kept on purpose
    edges = [(perm[max(a, b)], perm[min(a, b)]) for a, b in pairs]
    return n, edges


@given(dags())
@settings(max_examples=150, deadline=None)
def test_transitive_closure_matches_a_reference(dag):
    n, edges = dag
    arr = np.array(edges, dtype=np.int64).reshape(-1, 2)
    out = transitive_closure(arr, n)
    assert out.dtype == np.int32 and out.shape[1] == 2
    got = [tuple(e) for e in out.tolist()]
    assert got == sorted(set(got))  # sorted by child then ancestor, unique
    assert set(got) == _reference_closure(edges, n)
    # idempotent
    assert np.array_equal(transitive_closure(out, n), out)


@given(st.integers(2, 12), st.data())
@settings(max_examples=100, deadline=None)
def test_transitive_closure_names_a_node_on_a_cycle(k, data):
    n = k + data.draw(st.integers(0, 5))
    cycle = data.draw(st.permutations(range(n)))[:k]
    edges = [(cycle[i], cycle[(i + 1) % k]) for i in range(k)]
    extra = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=10))
    edges += extra
    with pytest.raises(CycleError) as info:
        transitive_closure(np.array(edges), n)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.cycle[0] == err.cycle[-1] == err.node and len(err.cycle) >= 3
    edge_set = set(edges)
    assert all((a, b) in edge_set for a, b in zip(err.cycle, err.cycle[1:]))
    assert str(err.node) in str(err)


def test_noun_tree_closure_is_fast():
    """A WordNet-sized tree (82k nodes, depth ~18, some nodes with two parents) closes in seconds."""
    rng = np.random.default_rng(1)
    n = 82115
    parent = np.empty(n, dtype=np.int64)
    parent[0] = -1
    # every node hangs below a random earlier node, biased to recent ones: a deep, bushy tree
    for i in range(1, n):
        parent[i] = i - 1 - min(i - 1, int(rng.exponential(2000)))
    edges = np.stack([np.arange(1, n), parent[1:]], axis=1)
    extra = rng.choice(np.arange(2000, n), 2000, replace=False)
    edges = np.concatenate([edges, np.stack([extra, extra - 1500], axis=1)])  # second parents
    out = transitive_closure(edges, n)
    depth = np.zeros(n, dtype=np.int64)
    for i in range(1, n):
        depth[i] = depth[parent[i]] + 1
    depth_sum = int(depth.sum())
    assert len(out) >= depth_sum  # at least every tree ancestor


# ============================================================================ cycles and self-loops
def cycle_in(err: DataFormatError) -> list[str]:
    """The nodes of the cycle a DataFormatError names ("... cycle: a -> b -> a, closed ...")."""
    return err.reason.split("cycle: ", 1)[1].split(", closed on this line", 1)[0].split(" -> ")


@pytest.mark.parametrize("closure", [False, True])
def test_a_cycle_is_an_error_at_the_line_that_closes_it(tmp_path, closure):
    path = write(tmp_path, "# a loop\na\tb\nb\tc\nx\ty\nc\ta\nz\tx\n")
    err = expect_error(path, 5, "the hierarchy has a cycle: a -> b -> c -> a", "closed on this line by c -> a",
                       closure=closure)
    assert cycle_in(err) == ["a", "b", "c", "a"]
    # The edges may close the cycle in any order: the line is the one whose edge comes last.
    path = write(tmp_path, "c\ta\nb\tc\n\na\tb\n")
    err = expect_error(path, 4, "closed on this line by a -> b", closure=closure)
    assert cycle_in(err) == ["b", "c", "a", "b"]


@pytest.mark.parametrize("closure", [False, True])
def test_two_node_cycle(tmp_path, closure):
    expect_error(write(tmp_path, "a\tb\nb\ta\n"), 2, "cycle: a -> b -> a", closure=closure)
    # with a weight column and a header, the line is still the file's
    expect_error(write(tmp_path, "id1,id2,weight\nx,y,1\na,b,1\nb,a,1\n", "h.csv"), 4, "cycle: a -> b -> a",
                 closure=closure)


@pytest.mark.parametrize("closure", [False, True])
def test_the_first_cycle_to_close_is_reported_not_the_first_to_open(tmp_path, closure):
    # a -> b -> c -> d -> a opens first but closes on line 6; q -> r -> q closes on line 4.
    path = write(tmp_path, "a\tb\nb\tc\nq\tr\nr\tq\nc\td\nd\ta\n")
    err = expect_error(path, 4, closure=closure)
    assert cycle_in(err) == ["q", "r", "q"]
    # Of the cycles a line closes at once, the shortest is shown.
    path = write(tmp_path, "a\tb\nb\tc\nc\td\nb\td\nd\ta\n")
    err = expect_error(path, 5, closure=closure)
    assert cycle_in(err) == ["a", "b", "d", "a"]


@pytest.mark.parametrize("closure", [False, True])
def test_a_self_loop_is_an_error_at_its_own_line(tmp_path, closure):
    expect_error(write(tmp_path, "a\tb\nb\tc\nx\tx\nc\td\n"), 3, "a self-loop: x is its own parent", closure=closure)
    expect_error(write(tmp_path, "a\tb\nc\tb\na\ta\n"), 3, "a is its own parent", closure=closure)  # known names
    expect_error(write(tmp_path, "lonely\tlonely\na\tb\n"), 1, "lonely is its own parent", closure=closure)
    expect_error(write(tmp_path, "a\ta\nb b\n"), 1, "a is its own parent", closure=closure)  # only self-loops
    expect_error(write(tmp_path, "a\tb\n" + "c\tc\n" * 3), 2, "c is its own parent", closure=closure)
    # A self-loop is a cycle closed on its own line: whichever of the two comes first is reported.
    expect_error(write(tmp_path, "a\tb\nb\ta\nc\tc\n"), 2, "cycle: a -> b -> a", closure=closure)
    expect_error(write(tmp_path, "a\tb\nc\tc\nb\ta\n"), 2, "c is its own parent", closure=closure)
    # with a header the names of the header are not nodes
    expect_error(write(tmp_path, "child,parent\na,b\nb,b\n", "h.csv"), 3, "b is its own parent", closure=closure)


@pytest.mark.parametrize("closure", [False, True])
def test_repeated_edges_are_not_cycles(tmp_path, closure):
    path = write(tmp_path, "a\tb\na\tb\nb\tc\na\tb\nb\tc\n\na\tb\n")
    h = read_hierarchy(path, closure=closure)
    assert h.names == ["a", "b", "c"]
    assert named_edges(h) == ({("a", "b"), ("b", "c"), ("a", "c")} if closure else {("a", "b"), ("b", "c")})
    # a repeated edge closing a cycle is reported at its first occurrence
    expect_error(write(tmp_path, "b\tc\na\tb\nc\ta\nc\ta\n"), 3, "cycle: a -> b -> c -> a", closure=closure)


def test_a_long_cycle_is_found_fast_and_shown_by_its_ends(tmp_path):
    n = 20_000
    path = tmp_path / "ring.tsv"
    path.write_text("".join(f"n{i}\tn{i + 1}\n" for i in range(n - 1)) + f"n{n - 1}\tn0\n")
    err = expect_error(path, n, f"cycle of {n:,} nodes: n0 -> n1 -> n2", "... -> ", f"n{n - 1} -> n0, closed on")
    assert len(err.reason) < 300


def _first_closing_line(edges: list[tuple[int, int]]) -> int | None:
    """Reference: the 1-based position of the first edge after which the edges read hold a cycle."""
    parents: dict[int, set[int]] = {}
    for i, (u, v) in enumerate(edges, 1):
        stack, seen = [v], set()
        while stack:  # does u lie above v already? then u -> v closes a cycle
            w = stack.pop()
            if w == u:
                return i
            if w not in seen:
                seen.add(w)
                stack.extend(parents.get(w, ()))
        parents.setdefault(u, set()).add(v)
    return None


@st.composite
def graphs(draw):
    """Edges in file order among a few nodes: repeats, self-loops and cycles all likely."""
    n = draw(st.integers(1, 7))
    return n, draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=16))


@given(graphs(), st.booleans())
@settings(max_examples=150, deadline=None)
def test_any_file_reads_or_names_the_line_that_closes_its_first_cycle(tmp_path_factory, graph, closure):
    n, edges = graph
    path = tmp_path_factory.mktemp("g") / "g.tsv"
    path.write_text("".join(f"n{u}\tn{v}\n" for u, v in edges))
    closing = _first_closing_line(edges)
    if closing is None:
        h = read_hierarchy(path, closure=closure)
        first_seen = list(dict.fromkeys(edges))
        expected = [(f"n{u}", f"n{v}") for u, v in first_seen]
        if closure:
            assert named_edges(h) == {(f"n{u}", f"n{v}") for u, v in _reference_closure(edges, n)}
        else:
            assert [(h.names[u], h.names[v]) for u, v in h.edges.tolist()] == expected  # first occurrences, in order
        return
    with pytest.raises(DataFormatError) as info:
        read_hierarchy(path, closure=closure)
    err = info.value
    assert err.line == closing, str(err)
    u, v = edges[closing - 1]
    if u == v:
        assert f"n{u} is its own parent" in err.reason
        return
    cycle = cycle_in(err)
    assert cycle[0] == cycle[-1] and (cycle[-2], cycle[-1]) == (f"n{u}", f"n{v}")
    so_far = {(f"n{a}", f"n{b}") for a, b in edges[:closing]}
    assert all(step in so_far for step in itertools.pairwise(cycle))


@given(graphs())
@settings(max_examples=150, deadline=None)
def test_first_cycle_matches_a_reference(graph):
    n, edges = graph
    edges = [e for e in dict.fromkeys(edges) if e[0] != e[1]]  # unique, no self-loops, as the reader gives
    found = first_cycle(np.array(edges, dtype=np.int64).reshape(-1, 2), n)
    closing = _first_closing_line(edges)
    if closing is None:
        assert found is None
        return
    i, cycle = found
    assert i == closing - 1
    assert cycle[0] == cycle[-1] and tuple(cycle[-2:]) == edges[i]
    assert len(set(cycle)) == len(cycle) - 1  # a simple cycle
    assert all(step in set(edges[:i + 1]) for step in itertools.pairwise(cycle))


def test_first_cycle_is_fast_on_a_wordnet_sized_closure():
    """The noun closure's size (82k nodes, ~750k pairs): one linear pass when acyclic; a cycle added
    at the end is found, at its line, by the binary search, in seconds either way."""
    rng = np.random.default_rng(5)
    n = 82115
    tree = np.stack([np.arange(1, n), rng.integers(0, np.arange(1, n))], axis=1)  # depth ~ ln(n), as WordNet's
    closed = transitive_closure(tree, n).astype(np.int64)
    assert 500_000 < len(closed) < 2_000_000
    closed = closed[rng.permutation(len(closed))]  # file order unrelated to the structure
    assert first_cycle(closed, n) is None
    deep = int(np.argmax(np.bincount(closed[:, 0], minlength=n)))  # the node with the most ancestors
    back = np.array([[0, deep]])  # the root below a descendant of its own
    i, cycle = first_cycle(np.concatenate([closed, back]), n)
    assert i == len(closed) and cycle[-2:] == [0, deep] and cycle[0] == deep


# ============================================================================ separators, headers
def test_comma_separated_with_header_and_weights(tmp_path):
    path = write(tmp_path, "id1,id2,weight\ndog,mammal,1\ncat,mammal,1.0\n", "h.csv")
    h = read_hierarchy(path)
    assert h.names == ["dog", "mammal", "cat"]
    assert named_edges(h) == {("dog", "mammal"), ("cat", "mammal")}


def test_header_with_known_column_names(tmp_path):
    for first in ("child\tparent", "hyponym\thypernym", "ID1\tID2", "source\ttarget"):
        path = write(tmp_path, f"{first}\ndog\tmammal\ncat\tmammal\n")
        h = read_hierarchy(path)
        assert h.names == ["dog", "mammal", "cat"], first


def test_a_first_line_whose_names_recur_is_data(tmp_path):
    # "u" and "v" are common column names, but they are nodes here.
    path = write(tmp_path, "u\tv\nw\tu\n")
    assert named_edges(read_hierarchy(path)) == {("u", "v"), ("w", "u")}
    # Ordinary names are never a header.
    path = write(tmp_path, "dog\tmammal\ncat\tmammal\n")
    assert read_hierarchy(path).n_edges == 2
    # A lone line that looks like a header is data (else nothing would be left).
    path = write(tmp_path, "child\tparent\n")
    assert named_edges(read_hierarchy(path)) == {("child", "parent")}


def test_header_argument_forces(tmp_path):
    path = write(tmp_path, "animal_a\tanimal_b\ndog\tmammal\n")
    assert read_hierarchy(path).n_edges == 2  # not a header by the rules
    assert named_edges(read_hierarchy(path, header=True)) == {("dog", "mammal")}
    path = write(tmp_path, "id1,id2\ndog,mammal\n")
    assert read_hierarchy(path).n_edges == 1
    assert read_hierarchy(path, header=False).n_edges == 2
    path = write(tmp_path, "id1,id2\n")
    expect_error(path, 1, "no edges (only a header)", header=True)
    with pytest.raises(ValueError):
        read_hierarchy(path, header="yes")


def test_whitespace_separated_comments_blank_lines_crlf_bom(tmp_path):
    text = "\ufeff# comment\r\n\r\ndog   mammal\r\n  # indented comment\n\tcat mammal 2\r\n\n"
    h = read_hierarchy(write(tmp_path, text))
    assert h.names == ["dog", "mammal", "cat"]
    assert h.n_edges == 2


def test_tab_separated_names_may_hold_spaces(tmp_path):
    h = read_hierarchy(write(tmp_path, "new york\tcity\nparis \t city\n"))
    assert h.names == ["new york", "city", "paris"]
    h = read_hierarchy(write(tmp_path, "new york, city\nsão paulo,city\n"))
    assert h.names == ["new york", "city", "são paulo"]


def test_explicit_separator(tmp_path):
    path = write(tmp_path, "a,b\tc\n")
    assert named_edges(read_hierarchy(path, sep="\t")) == {("a,b", "c")}
    assert named_edges(read_hierarchy(path, sep=",")) == {("a", "b\tc")}
    with pytest.raises(ValueError):
        read_hierarchy(path, sep=";")


def test_duplicates_kept_once(tmp_path):
    path = write(tmp_path, "b\ta\nb\ta\nc\tb\nb\ta\nlonely\tother\nc\tb\n")
    h = read_hierarchy(path)
    assert h.names == ["b", "a", "c", "lonely", "other"]
    assert h.edges.tolist() == [[0, 1], [2, 0], [3, 4]]
    assert h.degree.tolist() == [2, 1, 1, 1, 1]
    check_csr(h)


def test_compressed_files_read_the_same(tmp_path):
    text = SAMPLE_MAMMALS.read_bytes()
    plain = read_hierarchy(SAMPLE_MAMMALS)
    for name, data in (("m.gz", gzip.compress(text)), ("m.bz2", bz2.compress(text)), ("m.data", gzip.compress(text))):
        h = read_hierarchy(write(tmp_path, data, name))
        assert h.names == plain.names and np.array_equal(h.edges, plain.edges)


@given(dags(), st.sampled_from(["\t", ",", " "]), st.booleans())
@settings(max_examples=60, deadline=None)
def test_round_trip_and_csr(tmp_path_factory, dag, sep, closure):
    n, edges = dag
    edges = [(u, v) for u, v in edges if u != v]  # a self-loop is an error (tested above)
    names = [f"n{i}" for i in range(n)]
    text = "".join(f"{names[u]}{sep}{names[v]}\n" for u, v in edges)
    if not edges:
        return
    path = tmp_path_factory.mktemp("rt") / "h.txt"
    path.write_text(text)
    h = read_hierarchy(path, closure=closure)
    expected = {(names[u], names[v]) for u, v in edges}
    if closure:
        expected = {(names[u], names[v]) for u, v in _reference_closure(edges, n)}
    assert named_edges(h) == expected
    check_csr(h)


def test_is_edge_rejects_out_of_range(tmp_path):
    h = read_hierarchy(write(tmp_path, "a\tb\n"))
    with pytest.raises(IndexError):
        h.is_edge(0, 2)


def test_from_edges():
    h = Hierarchy.from_edges(["a", "b", "c"], np.array([[0, 1], [1, 2], [0, 1], [2, 2]]))
    assert h.edges.tolist() == [[0, 1], [1, 2]] and h.path == "" and not h.closure
    assert Hierarchy.from_edges(["a", "b", "c"], [[0, 1], [1, 2]], closure=True).edges.tolist() == [[0, 1], [0, 2], [1, 2]]
    src, idx = h.ancestors_csr()
    assert src.tolist() == [0, 1, 2, 2] and idx.tolist() == [1, 2]
    with pytest.raises(ValueError):
        Hierarchy.from_edges(["a"], [[0, 1]])


# ============================================================================ bad files
def test_missing_file_and_folder(tmp_path):
    expect_error(tmp_path / "nope.tsv", None, "no such file")
    expect_error(tmp_path, None, "folder")


def test_files_without_a_single_edge_are_errors_at_line_1(tmp_path):
    expect_error(write(tmp_path, b""), 1, "the file is empty")
    expect_error(write(tmp_path, gzip.compress(b""), "e.gz"), 1, "the file is empty")
    expect_error(write(tmp_path, "   \n\n\t\n"), 1, "no edges (only blank lines and comments)")
    expect_error(write(tmp_path, "   \n\n\t\n"), 1, "no edges (only blank lines and comments)", header=True)
    expect_error(write(tmp_path, gzip.compress(b"\n \n"), "w.gz"), 1, "no edges (only blank lines")
    expect_error(write(tmp_path, "# only a comment\n\n   \n"), 1, "no edges (only blank lines and comments)")
    expect_error(write(tmp_path, "# the columns\nchild\tparent\n"), 1, "no edges (only a header)", header=True)
    expect_error(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "i.png"), 1, "binary")
    expect_error(write(tmp_path, np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes()), 1,
                 "binary")
    # A problem of the file as a whole, with no line to point at, says so with None.
    expect_error(tmp_path / "nope.tsv", None, "no such file")


def test_binary_garbage(tmp_path):
    rng = np.random.default_rng(3)
    garbage = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    expect_error(write(tmp_path, garbage, "g.bin"), 1, "binary data")
    expect_error(write(tmp_path, b"a\tb\nc\td\x00\x00\x01\ne\tf\n"), 2, "NUL")
    expect_error(write(tmp_path, b"a\tb\n" * 300 + b"c\td\x00\n"), 301, "NUL")  # beyond the first KiB
    expect_error(write(tmp_path, b"a\tb\n\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13\x14\x15" * 8), 2, "control")
    expect_error(write(tmp_path, "a\tb\n".encode("utf-16")), 1, "UTF-16")
    expect_error(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 1, "NUL")  # binary from the start


def test_invalid_utf8(tmp_path):
    expect_error(write(tmp_path, b"a\tb\nc\td\ncaf\xe9\tb\n"), 3, "UTF-8")
    expect_error(write(tmp_path, b"a\tb\nc\t\xff\xfe\n"), 2, "UTF-8")


def test_field_count_errors(tmp_path):
    expect_error(write(tmp_path, "a\tb\nc\td\nlonely\ne\tf\n"), 3, "one field")
    expect_error(write(tmp_path, "a b\nc d\nnew york city zoo\n"), 3, "found 4", "names with spaces")
    expect_error(write(tmp_path, "a b\nc d\nnew york city\n"), 3, "third field", "'city'")
    expect_error(write(tmp_path, "a\tb\t1\nc\td\tmuch\n"), 2, "third field")
    expect_error(write(tmp_path, "a,b\n,c\n"), 2, "empty node name in field 1")


def test_first_line_with_a_word_for_weight_is_an_error_unless_a_header(tmp_path):
    expect_error(write(tmp_path, "a b c\nd e 1\na f 1\n"), 1, "third field")  # 'a' recurs: no header
    assert read_hierarchy(write(tmp_path, "from to weight\nd e 1\ng f 1\n")).names == ["d", "e", "g", "f"]


def test_100_mb_line(tmp_path, big_line_writer):
    path = big_line_writer(tmp_path / "big.tsv", b"a\tb\nc\td\n", fill=b"a")
    expect_error(path, 3, "longer than")


def test_100_mb_line_in_gzip(tmp_path):
    raw = b"a\tb\n" + b"z" * (100 << 20)
    path = write(tmp_path, gzip.compress(raw, compresslevel=1), "big.gz")
    expect_error(path, 2, "longer than")


def test_truncated_gzip(tmp_path):
    data = gzip.compress(SAMPLE_MAMMALS.read_bytes())
    path = write(tmp_path, data[: len(data) // 2], "cut.gz")
    with pytest.raises(DataFormatError, match="corrupt or truncated"):
        read_hierarchy(path)


def test_a_closure_too_large_for_memory_stops_early_with_a_message(tmp_path, monkeypatch):
    # A chain's closure grows with the square of its length (2,000 nodes: ~2M pairs). The limit
    # is checked while the sets are built, so the machine never fills up.
    chain = np.stack([np.arange(1, 2000), np.arange(0, 1999)], axis=1)
    assert len(transitive_closure(chain[:99], 100)) == 100 * 99 // 2
    with pytest.raises(ClosureTooLarge, match="more than 10,000 pairs"):
        transitive_closure(chain, 2000, max_pairs=10_000)
    path = tmp_path / "chain.tsv"
    path.write_text("".join(f"n{c}\tn{p}\n" for c, p in chain))
    monkeypatch.setattr("embedstudio.data.hierarchy.closure_pair_limit", lambda: 10_000)
    assert read_hierarchy(path).n_edges == 1999  # the edges as they are still load
    with pytest.raises(DataFormatError, match="closure has more than 10,000 pairs.*closure off"):
        read_hierarchy(path, closure=True)


# ============================================================================ repeated edges, memory
def read_in_a_fresh_process(path) -> dict:
    """read_hierarchy(path) in a new interpreter: the edges, the seconds and the peak memory it cost
    (the high-water mark of the resident set after reading, and before, once numpy, scipy and the
    reader are imported). The mark is /proc's VmHWM: a child's ru_maxrss starts at its parent's peak
    (Linux keeps it across exec), which would be pytest's, not the reader's."""
    script = textwrap.dedent("""
        import json, resource, sys, time
        import numpy, scipy.sparse.csgraph
        from embedstudio.data.hierarchy import read_hierarchy

        def peak_mb():
            try:
                with open("/proc/self/status") as f:
                    return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
            except (OSError, StopIteration):
                return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        before = peak_mb()
        started = time.perf_counter()
        h = read_hierarchy(sys.argv[1])
        seconds = time.perf_counter() - started
        print(json.dumps({"names": h.names, "edges": h.edges.tolist(), "seconds": seconds,
                          "rss_mb": peak_mb(), "rss_before_mb": before}))
    """)
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=300,
                          check=False, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("block, names, edges", [
    (b"aardvark.n.01\tmammal.n.01\n", ["aardvark.n.01", "mammal.n.01"], [[0, 1]]),  # the same line
    (b"a\tb\nb\tc\nc\td\na\tb\n", ["a", "b", "c", "d"], [[0, 1], [1, 2], [2, 3]]),  # edges taking turns
], ids=["one-edge", "three-edges-interleaved"])
def test_edges_repeated_5_million_times_cost_nothing(tmp_path, block, names, edges):
    """Repeats are dropped as they are read: memory stays that of the distinct edges (a file of 5M
    lines held 380 MB at its peak when they were only dropped at the end)."""
    path = tmp_path / "repeated.tsv"
    lines = 5_000_000
    with open(path, "wb") as f:
        f.writelines(block * 100_000 for _ in range(lines // block.count(b"\n") // 100_000))
    got = read_in_a_fresh_process(path)
    print(f"{lines:,} lines: {got['seconds']:.1f} s, peak RSS {got['rss_mb']:.0f} MB "
          f"({got['rss_before_mb']:.0f} MB before reading)")
    assert got["names"] == names and got["edges"] == edges
    assert got["seconds"] < 30
    assert got["rss_mb"] < 500
    assert got["rss_mb"] - got["rss_before_mb"] < 100


@given(graphs(), st.integers(1, 6))
@settings(max_examples=100, deadline=None)
def test_dropping_repeats_while_reading_changes_nothing(tmp_path_factory, graph, repeats_held):
    """With the repeats dropped every few edges (rather than every million), the result, the line
    numbers of the errors and the header detection are the same as with everything read at once."""
    _, edges = graph
    edges = [(u, v) for u, v in edges if u != v] * 2  # every edge repeated, after all of them
    text = "".join(f"n{u}\tn{v}\n" for u, v in edges)
    path = tmp_path_factory.mktemp("r") / "r.tsv"

    def outcome(text: str):
        path.write_text(text)
        try:
            h = read_hierarchy(path)
        except DataFormatError as e:
            return e.line, e.reason
        return h.names, h.edges.tolist()

    for variant in (text, "child\tparent\n" + text, "id1\tid2\n" + text + "id1\tid2\n"):
        whole = outcome(variant)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(hierarchy_module, "_REPEATS_HELD", repeats_held)
            assert outcome(variant) == whole


def test_a_repeated_first_line_is_no_header(tmp_path):
    # "id1 id2" looks like a header, but the names recur, even many lines later (after the repeats
    # were dropped): the line is data.
    path = write(tmp_path, "id1\tid2\n" + "a\tb\nb\tc\n" * 5 + "id1\tid2\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hierarchy_module, "_REPEATS_HELD", 2)
        assert read_hierarchy(path).names == ["id1", "id2", "a", "b", "c"]
    assert read_hierarchy(path).names == ["id1", "id2", "a", "b", "c"]


def test_a_reader_that_outgrows_the_memory_stops_with_a_message(tmp_path, monkeypatch):
    n = 30_000
    path = tmp_path / "tree.tsv"
    path.write_text("".join(f"node{i}\tnode{i // 2}\n" for i in range(1, n)))  # a binary tree
    assert read_hierarchy(path).n_edges == n - 1
    monkeypatch.setattr("embedstudio.memory.available_bytes", lambda: 1_000_000)
    with pytest.raises(DataFormatError) as info:
        read_hierarchy(path)
    err = info.value
    assert "edges between" in err.reason and "memory" in err.reason and "reading stopped here" in err.reason
    assert isinstance(err.line, int) and 1 < err.line < n // 4  # stopped early: checked as the edges double
    assert f"line {err.line}" in str(err) and str(path) in str(err)
    # Long names fill the memory with few edges: their bytes are checked too.
    path = tmp_path / "long_names.tsv"
    path.write_text("".join(f"{'x' * 5000}{i}\troot\n" for i in range(300)))
    with pytest.raises(DataFormatError, match="memory") as info:
        read_hierarchy(path)
    assert 1 < info.value.line < 300
