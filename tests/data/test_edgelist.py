"""read_edgelist(), split_edges() and the edge-list sniffer: types, encodings, bad files, repeats, memory.

How the columns are recognised (layouts, separators, headers): test_edge_layout.py.
"""

from __future__ import annotations

import bz2
import gzip
import json
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.data.conftest import expect_data_error
from embedstudio import memory
from embedstudio.data import edgelist
from embedstudio.data.edgelist import GraphData, read_edgelist, split_edges
from embedstudio.data.errors import DataFormatError
from embedstudio.data.sniff import detect


def write(tmp_path, text: str | bytes, name: str = "g.tsv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def named_edges(g: GraphData) -> list[tuple[str, str, str]]:
    """The edges by name, in order."""
    return [(g.names[h], g.relation_names[r], g.names[t]) for h, r, t in g.edges.tolist()]


def expect_error(path, line, *words, **kwargs) -> DataFormatError:
    return expect_data_error(read_edgelist, path, line, *words, **kwargs)


def check_invariants(g: GraphData) -> None:
    """dtypes and shapes of the API, ids grouped by type, offsets and relation types consistent."""
    n = g.n_entities
    assert g.entity_type.dtype == np.int32 and g.entity_type.shape == (n,)
    assert g.type_offsets.dtype == np.int64 and g.type_offsets.shape == (g.n_types + 1,)
    assert g.relation_types.dtype == np.int32 and g.relation_types.shape == (g.n_relations, 2)
    assert g.edges.dtype == np.int64 and g.edges.shape == (g.n_edges, 3)
    assert np.all(np.diff(g.entity_type) >= 0)
    assert g.type_offsets[0] == 0 and g.type_offsets[-1] == n
    for k in range(g.n_types):
        assert np.all(g.entity_type[g.type_offsets[k]:g.type_offsets[k + 1]] == k)
    assert len(set(g.names)) == n and len(set(g.relation_names)) == g.n_relations
    h, r, t = g.edges.T
    assert np.array_equal(g.relation_types[r, 0], g.entity_type[h])
    assert np.array_equal(g.relation_types[r, 1], g.entity_type[t])
    assert len({tuple(e) for e in g.edges.tolist()}) == g.n_edges  # no repeated edge
    if g.weights is not None:
        assert g.weights.dtype == np.float32 and g.weights.shape == (g.n_edges,)
    for i, name in enumerate(g.names):
        assert g.index(name) == i
    assert g.stats() == {"entities": n, "relations": g.n_relations, "types": g.n_types, "edges": g.n_edges}


# ============================================================================ types
def test_typed_by_prefix_groups_ids_by_type(tmp_path):
    text = (
        "user:alice\tlikes\titem:book\n"
        "user:bob\tlikes\titem:pen\n"
        "item:book\tsimilar\titem:pen\n"
        "user:carol\tfollows\tuser:alice\n"
        "shop:s1\tsells\titem:cup\n"
    )
    g = read_edgelist(write(tmp_path, text))
    check_invariants(g)
    assert g.type_names == ["user", "item", "shop"]
    # Grouped by type, then by first appearance within the type.
    assert g.names == ["user:alice", "user:bob", "user:carol", "item:book", "item:pen", "item:cup", "shop:s1"]
    assert g.entity_type.tolist() == [0, 0, 0, 1, 1, 1, 2]
    assert g.type_offsets.tolist() == [0, 3, 6, 7]
    assert g.relation_names == ["likes", "similar", "follows", "sells"]
    assert g.relation_types.tolist() == [[0, 1], [1, 1], [0, 0], [2, 1]]
    assert named_edges(g) == [
        ("user:alice", "likes", "item:book"), ("user:bob", "likes", "item:pen"),
        ("item:book", "similar", "item:pen"), ("user:carol", "follows", "user:alice"),
        ("shop:s1", "sells", "item:cup"),
    ]


def test_prefix_detection_needs_every_token_typed(tmp_path):
    # One bare name among the first lines: read untyped, names whole.
    g = read_edgelist(write(tmp_path, "user:alice\tbook\nuser:bob\titem:pen\n"))
    assert g.type_names == ["entity"] and g.names == ["user:alice", "book", "user:bob", "item:pen"]
    # URLs and numbers-first prefixes are not types.
    g = read_edgelist(write(tmp_path, "http://a.org/x\thttp://a.org/y\n"))
    assert g.type_names == ["entity"]
    g = read_edgelist(write(tmp_path, "12:30\t13:45\n"))
    assert g.type_names == ["entity"]
    # typed=False never splits, even when every token looks typed.
    g = read_edgelist(write(tmp_path, "user:alice\titem:book\n"), typed=False)
    assert g.type_names == ["entity"] and g.n_entities == 2


def test_typed_true_requires_a_prefix_on_every_token(tmp_path):
    path = write(tmp_path, "user:alice\titem:book\nuser:bob\titem:pen\n# note\nuser:carol\tcup\n")
    expect_error(path, 4, "'cup'", "no type prefix", typed=True)
    expect_error(write(tmp_path, "user:alice\t:book\n"), 1, "no type prefix", typed=True)
    expect_error(write(tmp_path, "user:alice\titem:\n"), 1, "no type prefix", typed=True)
    # Auto-detected from the first 64 lines, then required of the rest.
    lines = [f"user:u{i}\titem:i{i}\n" for i in range(70)] + ["user:late\tbare\n"]
    expect_error(write(tmp_path, "".join(lines)), 71, "'bare'", "typed=False")


def test_typed_by_columns(tmp_path):
    text = "user,alice,likes,item,book\nuser,bob,likes,item,pen\nitem,book,similar,item,pen\n"
    g = read_edgelist(write(tmp_path, text, "g.csv"), columns="head_type,head,relation,tail_type,tail")
    check_invariants(g)
    assert g.names == ["alice", "bob", "book", "pen"]  # bare names
    assert g.type_names == ["user", "item"] and g.type_offsets.tolist() == [0, 2, 4]
    assert g.relation_types.tolist() == [[0, 1], [1, 1]]
    # Type columns switch prefix detection off: the names stay whole.
    path = write(tmp_path, "u:a\tperson\tu:b\tperson\n")
    for typed in (None, True):
        g = read_edgelist(path, columns="head,head_type,tail,tail_type", typed=typed)
        assert g.names == ["u:a", "u:b"] and g.type_names == ["person"]


def test_one_name_with_two_types_is_an_error(tmp_path):
    text = "user\talice\titem\tbook\nuser\tbob\titem\tpen\nitem\talice\titem\tpen\n"
    expect_error(write(tmp_path, text), 3, "'alice'", "'item'", "'user'", "one type",
                 columns="head_type,head,tail_type,tail")
    expect_error(write(tmp_path, "user\talice\t\tbook\n"), 1, "empty entity type",
                 columns="head_type,head,tail_type,tail")


def test_a_relation_joins_one_head_type_to_one_tail_type(tmp_path):
    heads = "user:a\tlikes\titem:x\nuser:b\tlikes\titem:y\nshop:c\tlikes\titem:x\n"
    expect_error(write(tmp_path, heads), 3, "'likes'", "head of type 'shop'", "'user'", "PyTorch-BigGraph")
    tails = "user:a\tlikes\titem:x\nuser:b\tlikes\tuser:a\n"
    expect_error(write(tmp_path, tails), 2, "'likes'", "tail of type 'user'", "'item'")
    # Without a relation column every edge is the one relation "link".
    expect_error(write(tmp_path, "user:a\titem:x\nitem:x\tuser:b\n"), 2, "'link'")


# ============================================================================ encodings, compression
def test_crlf_bom_comments_and_blank_lines(tmp_path):
    text = "\ufeff# a comment\r\n\r\nhead\trelation\ttail\r\n  # indented comment\r\nx1\tr\tx2\r\n\r\nx2\tr\tx3"
    g = read_edgelist(write(tmp_path, text))
    assert named_edges(g) == [("x1", "r", "x2"), ("x2", "r", "x3")]


@pytest.mark.parametrize("compress, name", [(gzip.compress, "g.tsv.gz"), (bz2.compress, "g.bz2"),
                                            (gzip.compress, "misleading.tsv")])
def test_compressed_files_read_the_same(tmp_path, compress, name):
    text = "".join(f"user:u{i}\trated\titem:i{i % 7}\t{i % 5}\n" for i in range(500)).encode()
    plain = read_edgelist(write(tmp_path, text, "plain.tsv"))
    g = read_edgelist(write(tmp_path, compress(text), name))
    assert g.names == plain.names and np.array_equal(g.edges, plain.edges)
    assert np.array_equal(g.weights, plain.weights) and g.type_names == ["user", "item"]


def test_duplicates_kept_once_and_self_loops_kept(tmp_path):
    text = "a1\tr\ta2\t1\na1\tr\ta2\t5\na1\ts\ta2\t2\na2\tr\ta1\t3\na3\tr\ta3\t4\na1\ts\ta2\t9\n"
    g = read_edgelist(write(tmp_path, text))
    check_invariants(g)
    assert named_edges(g) == [("a1", "r", "a2"), ("a1", "s", "a2"), ("a2", "r", "a1"), ("a3", "r", "a3")]
    assert g.weights.tolist() == [1.0, 2.0, 3.0, 4.0]  # the first occurrence's, never summed


def test_index_of_an_unknown_name_is_a_key_error(tmp_path):
    g = read_edgelist(write(tmp_path, "a1\ta2\n"))
    assert g.index("a2") == 1
    with pytest.raises(KeyError):
        g.index("a3")


def test_a_larger_file_reads_exactly(tmp_path):
    rng = np.random.default_rng(5)
    n, n_edges = 3000, 60000
    heads, rels, tails = rng.integers(0, n, n_edges), rng.integers(0, 11, n_edges), rng.integers(0, n, n_edges)
    text = "".join(f"e{h}\tr{r}\te{t}\n" for h, r, t in zip(heads.tolist(), rels.tolist(), tails.tolist()))
    g = read_edgelist(write(tmp_path, gzip.compress(text.encode(), 1), "big.gz"))
    check_invariants(g)
    expected = list(dict.fromkeys(zip((f"e{h}" for h in heads), (f"r{r}" for r in rels), (f"e{t}" for t in tails))))
    assert named_edges(g) == expected


# ============================================================================ bad files
def test_missing_file_and_folder(tmp_path):
    expect_error(tmp_path / "nope.tsv", None, "no such file")
    expect_error(tmp_path, None, "folder")


def test_empty_file_and_comments_only(tmp_path):
    expect_error(write(tmp_path, b""), 1, "empty")
    expect_error(write(tmp_path, gzip.compress(b""), "e.gz"), 1, "empty")
    expect_error(write(tmp_path, "# only a comment\n\n   \n# another\n"), 1, "no edges", "comments")


def test_binary_files(tmp_path):
    garbage = np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    with pytest.raises(DataFormatError):
        read_edgelist(write(tmp_path, garbage, "g.bin"))
    expect_error(write(tmp_path, b"a\tr\tb\nc\tr\td\x00\x00\x01\n"), 2, "NUL")
    expect_error(write(tmp_path, b"a\tr\tb\n" * 300 + b"c\tr\td\x00\n"), 301, "NUL")  # beyond the first KiB
    expect_error(write(tmp_path, b"a\tb\n" + bytes(range(1, 9)) * 40), 2, "control")
    expect_error(write(tmp_path, "a\tb\n".encode("utf-16")), 1, "UTF-16")
    expect_error(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 1, "NUL")  # binary from its first byte


def test_mis_encoded_utf8_names_its_line(tmp_path):
    expect_error(write(tmp_path, b"a\tr\tb\nc\tr\td\ncaf\xe9\tr\tb\n"), 3, "UTF-8", "byte 4")
    expect_error(write(tmp_path, b"a\tr\tb\n# ok\n  c\tr\t\xff\xfe\n"), 3, "UTF-8", "byte 7")
    # Also in a column that is otherwise ignored: the line is not UTF-8.
    expect_error(write(tmp_path, b"a\tb\tx\nc\td\t\xc3(\n"), 2, "UTF-8", columns="head,tail,ignore")


def test_truncated_gzip_names_the_line_where_the_data_ends(tmp_path):
    raw = b"".join(b"e%d\tr%d\te%d\n" % (i, i % 7, i * 31 % 1000) for i in range(20000))
    data = gzip.compress(raw)
    cut = data[: len(data) // 2]
    complete_lines = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")
    expect_error(write(tmp_path, cut, "cut.gz"), complete_lines + 1, "corrupt or truncated")
    expect_error(write(tmp_path, data[:15], "tiny.gz"), 1, "corrupt or truncated")


def test_line_over_the_limit(tmp_path):
    path = write(tmp_path, "a\tb\nc\td\n" + "x" * 5000 + "\ty\n")
    expect_error(path, 3, "longer than", max_line_bytes=1000)
    assert read_edgelist(path, max_line_bytes=10000).n_edges == 3


def test_line_over_the_default_limit(tmp_path, big_line_writer):
    path = big_line_writer(tmp_path / "big.tsv", b"a\tb\n# fine\n", fill=b"a", size=3 << 20)
    expect_error(path, 3, "longer than")


def test_inconsistent_field_counts(tmp_path):
    expect_error(write(tmp_path, "a\tr\tb\nc\tr\td\ne\tf\n"), 3, "expected 3 fields like line 1", "found 2")
    expect_error(write(tmp_path, "# h\na\tb\nc\td\nlonely\n"), 4, "found one field ('lonely')")
    expect_error(write(tmp_path, "a b\nc d\nnew york city\n"), 3, "found 3", "names with spaces")
    expect_error(write(tmp_path, "lonely\n"), 1, "one field")


def test_bad_weights(tmp_path):
    expect_error(write(tmp_path, "a\tr\tb\t1\nc\tr\td\tmuch\n"), 2, "weight column (column 4)",
                 "holds 'much', not a number")
    expect_error(write(tmp_path, "a\tr\tb\t1\nc\tr\td\t-1\n"), 2, "holds '-1', not a finite number >= 0")
    expect_error(write(tmp_path, "a\tr\tb\t1\nc\tr\td\tnan\n"), 2, "'nan'")
    expect_error(write(tmp_path, "a\tr\tb\t1\nc\tr\td\tinf\n"), 2, "'inf'")
    # Past the sniffed lines, a word where the layout put weights is an error on its line.
    lines = [f"e{i}\te{i + 1}\t{i}\n" for i in range(80)] + ["x\ty\tz\n"]
    expect_error(write(tmp_path, "".join(lines)), 81, "weight column (column 3) holds 'z'")


def test_empty_names(tmp_path):
    expect_error(write(tmp_path, "a,b\n,c\n", "g.csv"), 2, "empty head name")
    expect_error(write(tmp_path, "a,r,b\nc,  ,d\n", "g.csv"), 2, "empty relation name")


# ============================================================================ split_edges
def _graph(tmp_path, n_entities=200, n_edges=3000, seed=0) -> GraphData:
    rng = np.random.default_rng(seed)
    lines = [f"e{rng.integers(n_entities)}\tr{rng.integers(5)}\te{rng.integers(n_entities)}\n"
             for _ in range(n_edges)]
    return read_edgelist(write(tmp_path, "".join(lines), f"split{seed}.tsv"))


def _rows(a: np.ndarray) -> set[tuple[int, int, int]]:
    return {tuple(r) for r in a.tolist()}


def test_split_is_a_partition_of_the_edges(tmp_path):
    g = _graph(tmp_path)
    s = split_edges(g, valid=0.1, test=0.2, seed=3)
    for part in (s.train, s.valid, s.test):
        assert part.dtype == np.int64 and part.ndim == 2 and part.shape[1] == 3
    train, valid, test = _rows(s.train), _rows(s.valid), _rows(s.test)
    assert not (train & valid) and not (train & test) and not (valid & test)
    assert train | valid | test == _rows(g.edges)
    assert len(s.train) + len(s.valid) + len(s.test) == g.n_edges
    # Dense graph: nothing is unseen, so the fractions hold exactly.
    assert (len(s.valid), len(s.test)) == (round(0.1 * g.n_edges), round(0.2 * g.n_edges))


def test_split_is_reproducible_and_seeded(tmp_path):
    g = _graph(tmp_path)
    a, b, c = split_edges(g, seed=7), split_edges(g, seed=7), split_edges(g, seed=8)
    assert all(np.array_equal(x, y) for x, y in ((a.train, b.train), (a.valid, b.valid), (a.test, b.test)))
    assert _rows(a.test) != _rows(c.test)


def test_split_moves_unseen_entities_and_relations_back_to_train(tmp_path):
    # A hub with many leaves: each leaf has one edge, so a held-out leaf edge has an unseen leaf.
    lines = [f"hub\tr\tleaf{i}\n" for i in range(100)] + ["hub\trare\thub\n"] + ["hub\tr\thub\n"]
    g = read_edgelist(write(tmp_path, "".join(lines)))
    hub_loop = (g.index("hub"), g.relation_names.index("r"), g.index("hub"))
    held_out = [_rows(s.valid) | _rows(s.test) for s in (split_edges(g, 0.2, 0.2, seed) for seed in range(20))]
    assert all(held <= {hub_loop} for held in held_out)  # leaves and the one 'rare' edge stay in train
    assert {hub_loop} in held_out  # while the loop, whose entity and relation train has, is held out
    kept = split_edges(g, valid=0.2, test=0.2, seed=1, keep_unseen=True)
    assert len(kept.valid) == 20 and len(kept.test) == 20
    # The general property on a sparse random graph.
    g = _graph(tmp_path, n_entities=2000, n_edges=1500, seed=2)
    s = split_edges(g, valid=0.3, test=0.3, seed=0)
    entities = set(s.train[:, 0].tolist()) | set(s.train[:, 2].tolist())
    relations = set(s.train[:, 1].tolist())
    for h, r, t in np.concatenate([s.valid, s.test]).tolist():
        assert h in entities and t in entities and r in relations
    assert _rows(s.train) | _rows(s.valid) | _rows(s.test) == _rows(g.edges)


def test_split_fraction_errors(tmp_path):
    g = _graph(tmp_path, n_edges=50)
    for valid, test in ((-0.1, 0.1), (0.1, -0.01), (0.5, 0.5), (0.7, 0.4), (float("nan"), 0.1)):
        with pytest.raises(ValueError):
            split_edges(g, valid=valid, test=test)
    s = split_edges(g, valid=0, test=0)
    assert np.array_equal(s.train, g.edges) and len(s.valid) == len(s.test) == 0


# ============================================================================ sniffing
def test_edge_lists_are_sniffed(tmp_path):
    for text, name in (("dog\tis_a\tmammal\ncat\tis_a\tmammal\n", "g.tsv"),
                       ("source,target,weight\n1,2,0.5\n2,3,1\n", "g.csv"),
                       ("aardvark.n.01\tmammal.n.01\n", "closure.tsv"),
                       ("user:a\tlikes\titem:x\t1\n", "g.txt")):
        assert detect(write(tmp_path, text, name)) == "edgelist", text
    assert detect(write(tmp_path, gzip.compress(b"a\tr\tb\n"), "g.gz")) == "edgelist"


def test_text_and_other_tables_are_not_sniffed_as_edge_lists(tmp_path):
    for text in ("the quick brown fox\njumps over the lazy dog\n",  # whitespace: a corpus
                 "a b\nc d\n",
                 "Well, I said so.\nYes, and then, we left.\n",  # commas in prose
                 "a\tb\tc\td\te\tf\n",  # six fields
                 "a\tb\nc\td\te\n",  # varying field counts
                 "first\tthis is a long sentence with many words in it\n"):
        assert detect(write(tmp_path, text, "c.txt")) == "corpus", text
    assert detect(write(tmp_path, "1\t2\n3\t4\n", "p.tsv")) == "projector-tsv"


# ============================================================================ round trip
@st.composite
def graphs(draw):
    """Edges of a random graph with consistent relation types, and the file layout to write."""
    typed = draw(st.booleans())
    with_relation = draw(st.booleans())
    n_types = draw(st.integers(1, 3)) if typed else 1
    n_relations = draw(st.integers(1, 4)) if with_relation else 1
    ends = [(draw(st.integers(0, n_types - 1)), draw(st.integers(0, n_types - 1))) for _ in range(n_relations)]
    picks = draw(st.lists(st.tuples(st.integers(0, n_relations - 1), st.integers(0, 5), st.integers(0, 5),
                                    st.integers(0, 50)), min_size=1, max_size=40))

    def name(kind: int, i: int) -> str:
        return f"t{kind}:n{i}" if typed else f"n{kind}_{i}"

    edges = [(name(ends[r][0], a), f"r{r}", name(ends[r][1], b), w) for r, a, b, w in picks]
    return typed, with_relation, draw(st.booleans()), draw(st.sampled_from(["\t", ",", " "])), edges


@given(graphs())
@settings(max_examples=80, deadline=None)
def test_round_trip(tmp_path_factory, graph):
    typed, with_relation, weighted, sep, edges = graph
    lines = []
    for h, r, t, w in edges:
        fields = [h, r, t] if with_relation else [h, t]
        lines.append(sep.join(fields + ([str(w)] if weighted else [])) + "\n")
    path = tmp_path_factory.mktemp("rt") / "g.txt"
    path.write_text("".join(lines), encoding="utf-8")
    g = read_edgelist(path)
    check_invariants(g)
    first = {}
    for h, r, t, w in edges:
        first.setdefault((h, r if with_relation else "link", t), w)
    assert named_edges(g) == list(first)
    if weighted:
        assert g.weights.tolist() == list(first.values())
    else:
        assert g.weights is None
    if typed:
        assert all(g.type_names[k] == n.split(":")[0] for n, k in zip(g.names, g.entity_type.tolist()))
    else:
        assert g.type_names == ["entity"]
    # Within each type, ids follow the first appearance (head, then tail, line by line).
    appearance = list(dict.fromkeys(n for h, _, t, _ in edges for n in (h, t)))
    for k in range(g.n_types):
        assert g.names[g.type_offsets[k]:g.type_offsets[k + 1]] == [
            n for n in appearance if g.entity_type[g.index(n)] == k
        ]


def test_a_weight_beyond_float32_is_refused_not_stored_as_infinity(tmp_path):
    expect_error(write(tmp_path, "a\tb\t1.5\nc\td\t1e300\n"), 2, "at most")


# ============================================================================ headers are obeyed
def test_a_word_in_a_headers_weight_column_is_an_error_not_a_relation(tmp_path):
    """Was a silent misread: with three fields, ``heavy`` below ``weight`` made the middle column a
    relation (the tails became relations, the weights tails) and the file trained."""
    expect_error(write(tmp_path, "head\ttail\tweight\na\tb\theavy\nc\td\tlight\n"), 2,
                 "weight column (column 3", "'heavy', not a number")
    rows = "".join(f"a{i}\tr\tb{i}\t{i}\n" for i in range(5))
    expect_error(write(tmp_path, "head\trelation\ttail\tweight\n" + rows + "x\tr\ty\theavy\n"), 7,
                 "the weight column (column 4, 'weight' in the header) holds 'heavy', not a number")
    expect_error(write(tmp_path, "source,target,weight\na,b,1\nc,d,heavy\n", "g.csv"), 3,
                 "weight column (column 3, 'weight' in the header) holds 'heavy'")
    # Forced or detected alike, and past the sniffed lines too.
    lines = "".join(f"e{i}\te{i + 1}\t{i}\n" for i in range(100)) + "x\ty\theavy\n"
    expect_error(write(tmp_path, "head\ttail\tweight\n" + lines), 102, "weight column (column 3", header=True)


# ============================================================================ ragged rows
@pytest.mark.parametrize("bad, found", [("e\tf", "found 2 fields"), ("e\tr\tf\t1", "found 4 fields"),
                                        ("e", "found one field ('e')"), ("e\tr\tf\tg", "found 4 fields")])
def test_a_ragged_row_names_its_line_and_both_counts(tmp_path, bad, found):
    """No field is optional: a row of another width is never read as another layout."""
    text = "a\tr\tb\nb\tr\tc\n# note\n\nc\tr\td\n" + bad + "\n"
    expect_error(write(tmp_path, text), 6, "expected 3 fields like line 1", found)
    # Also past the sniffed lines and past the first compaction of repeats.
    lines = "".join(f"a{i % 50}\tr\tb{i % 50}\n" for i in range(5000)) + bad + "\n"
    expect_error(write(tmp_path, lines), 5001, "expected 3 fields like line 1", found)
    # In a CSV and with explicit columns.
    expect_error(write(tmp_path, text.replace("\t", ","), "g.csv"), 6, found.replace("\t", ","))
    expect_error(write(tmp_path, text), 6, "expected 3 fields (columns='head,relation,tail')", found,
                 columns="head,relation,tail")


def test_a_ragged_weight_is_not_optional(tmp_path):
    # An empty last field is a field (trailing whitespace, a tab among it, is not).
    expect_error(write(tmp_path, "a,r,b\nc,r,d,\n", "g.csv"), 2, "expected 3 fields like line 1", "found 4")
    assert read_edgelist(write(tmp_path, "a\tr\tb\t\nc\tr\td\n")).n_edges == 2
    expect_error(write(tmp_path, "a\tb\t0.5\nb\tc\nc\td\t1\n"), 2, "expected 3 fields like line 1", "found 2")
    expect_error(write(tmp_path, "a\tb\nb\tc\t0.5\n"), 2, "expected 2 fields like line 1", "found 3")


# ============================================================================ repeats and memory
def test_repeats_are_dropped_while_reading_keeping_the_first_weight(tmp_path, monkeypatch):
    """Compacting every few edges gives what one pass at the end gave: first occurrences, in file
    order, with their weights (a repeat's weight is dropped, never summed)."""
    rng = np.random.default_rng(11)
    picks = rng.integers(0, 40, (3000, 3))
    lines = [f"e{h}\tr{r % 3}\te{t}\t{w}\n" for (h, r, t), w in zip(picks.tolist(), rng.integers(0, 9, 3000).tolist())]
    path = write(tmp_path, "".join(lines))
    expected = {}
    for line in lines:
        h, r, t, w = line.split()
        expected.setdefault((h, r, t), float(w))
    for first in (2, 3, 64, 4096):
        monkeypatch.setattr(edgelist, "_FIRST_COMPACTION", first)
        g = read_edgelist(path)
        check_invariants(g)
        assert named_edges(g) == list(expected)
        assert g.weights.tolist() == list(expected.values())


_READ_IN_CHILD = """
import json, resource, sys
from embedstudio.data.edgelist import read_edgelist
def used():  # VmHWM, not ru_maxrss: a child inherits its parent's (pytest's) ru_maxrss on Linux
    r = resource.getrusage(resource.RUSAGE_SELF)
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) * 1024
    return r.ru_utime + r.ru_stime, peak
cpu0, rss0 = used()
g = read_edgelist(sys.argv[1])
cpu1, rss1 = used()
print(json.dumps({"edges": g.n_edges, "names": g.names, "cpu": cpu1 - cpu0, "rss": rss1, "grew": rss1 - rss0}))
"""


def test_one_edge_repeated_five_million_times_costs_nothing(tmp_path):
    """Memory follows the distinct edges: all 5 million rows were held (and sorted) before."""
    path = write(tmp_path, b"a\tb\n" * 5_000_000)
    out = subprocess.run([sys.executable, "-c", _READ_IN_CHILD, str(path)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], timeout=600)
    assert out.returncode == 0, out.stderr
    used = json.loads(out.stdout)
    assert used["edges"] == 1 and used["names"] == ["a", "b"]
    assert used["cpu"] < 30  # CPU seconds, not wall time: the machine may be shared
    assert used["rss"] < 500e6
    assert used["grew"] < 100e6, used  # was about 230 MB: 24 bytes a row, then their sort


def test_reading_stops_with_a_message_when_the_edges_outgrow_memory(tmp_path, monkeypatch):
    path = write(tmp_path, "".join(f"n{i}\tr\tn{i + 1}\n" for i in range(30000)))
    monkeypatch.setattr(memory, "available_bytes", lambda: 1 << 20)
    err = expect_error(path, 4096, "memory", "reading stopped")
    assert "8,192 distinct edges" in str(err)
    # Repeats do not grow the storage: the same number of lines of a few edges reads.
    g = read_edgelist(write(tmp_path, "".join(f"n{i % 7}\tr\tn{i % 5}\n" for i in range(30000)), "few.tsv"))
    assert g.n_edges == 35
    # Long names grow memory faster than the edges do: checked on their own.
    monkeypatch.setattr(edgelist, "_FIRST_NAME_CHECK", 1 << 16)
    long_names = "".join(f"{'x' * 10000}{i}\t{'y' * 10000}{i}\n" for i in range(100))
    with pytest.raises(DataFormatError) as info:
        read_edgelist(write(tmp_path, long_names, "long.tsv"))
    assert "memory" in str(info.value) and 1 < info.value.line < 100


# ============================================================================ line 1, never None
@pytest.mark.parametrize("name, content", [
    ("empty.tsv", b""),
    ("spaces.tsv", b"   \n\t\n  \r\n\n"),
    ("bom.tsv", b"\xef\xbb\xbf \n"),
    ("comments.tsv", b"# only\n# comments\n"),
    ("empty.gz", gzip.compress(b"")),
    ("blank.gz", gzip.compress(b"\n \n")),
    ("png.png", bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")),
    ("junk.gz", b"\x1f\x8b\x08\x00" + bytes(range(255, 0, -1))),
    ("junk.bz2", b"BZh91AY&SY" + bytes(range(200))),
    ("utf16.tsv", "a\tb\n".encode("utf-16")),
    ("controls.bin", bytes(range(1, 32)) * 30),
] + [(f"random{seed}.bin", np.random.default_rng(seed).integers(0, 256, 4096, dtype=np.uint8).tobytes())
     for seed in range(5)])
def test_a_file_with_nothing_to_read_names_line_1(tmp_path, name, content):
    """These said "line None" (no edges, binary from the first byte, a compressed stream that
    yields nothing); only a missing file or a folder has no line."""
    err = expect_error(write(tmp_path, content, name), 1)
    assert err.reason
