"""read_hierarchy(): counts, separators, headers, closure, CSR, and every kind of bad file."""

from __future__ import annotations

import bz2
import gzip
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.data.conftest import expect_data_error
from embedstudio.data.errors import DataFormatError
from embedstudio.data.hierarchy import ClosureTooLarge, CycleError, Hierarchy, read_hierarchy, transitive_closure
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


def test_cycle_is_an_error_only_with_closure(tmp_path):
    path = write(tmp_path, "# a loop\na\tb\nb\tc\nx\ty\nc\ta\n")
    h = read_hierarchy(path)
    assert h.n_edges == 4
    with pytest.raises(DataFormatError) as info:
        read_hierarchy(path, closure=True)
    err = info.value
    assert "cycle" in err.reason
    assert any(repr(name) in err.reason for name in ("a", "b", "c"))
    assert err.line in (2, 3, 5)  # the line of an edge on the cycle


def test_two_node_cycle(tmp_path):
    path = write(tmp_path, "a\tb\nb\ta\n")
    assert read_hierarchy(path).n_edges == 2
    with pytest.raises(DataFormatError, match="cycle"):
        read_hierarchy(path, closure=True)


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
    expect_error(path, None, "no edges", "header", header=True)
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


def test_self_loops_dropped_and_duplicates_kept_once(tmp_path):
    path = write(tmp_path, "a\ta\nb\ta\nb\ta\nc\tb\nb\ta\nlonely\tlonely\n")
    h = read_hierarchy(path)
    assert h.names == ["a", "b", "c", "lonely"]  # a node named only in a self-loop stays
    assert h.edges.tolist() == [[1, 0], [2, 1]]
    assert h.degree.tolist() == [1, 2, 1, 0]
    check_csr(h)
    expect_error(write(tmp_path, "a\ta\nb b\n"), None, "self-loop")


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
    names = [f"n{i}" for i in range(n)]
    text = "".join(f"{names[u]}{sep}{names[v]}\n" for u, v in edges)
    if not any(u != v for u, v in edges):
        return
    path = tmp_path_factory.mktemp("rt") / "h.txt"
    path.write_text(text)
    h = read_hierarchy(path, closure=closure)
    expected = {(names[u], names[v]) for u, v in edges if u != v}
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


def test_empty_file(tmp_path):
    expect_error(write(tmp_path, b""), None, "empty")
    expect_error(write(tmp_path, gzip.compress(b""), "e.gz"), None, "empty")
    expect_error(write(tmp_path, "# only a comment\n\n   \n"), None, "no edges")


def test_binary_garbage(tmp_path):
    rng = np.random.default_rng(3)
    garbage = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    with pytest.raises(DataFormatError):
        read_hierarchy(write(tmp_path, garbage, "g.bin"))
    expect_error(write(tmp_path, b"a\tb\nc\td\x00\x00\x01\ne\tf\n"), 2, "NUL")
    expect_error(write(tmp_path, b"a\tb\n" * 300 + b"c\td\x00\n"), 301, "NUL")  # beyond the first KiB
    expect_error(write(tmp_path, b"a\tb\n\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13\x14\x15" * 8), 2, "control")
    expect_error(write(tmp_path, "a\tb\n".encode("utf-16")), 1, "UTF-16")
    expect_error(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 3, "NUL")


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
