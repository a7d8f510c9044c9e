"""How read_edgelist() recognises an edge list's columns: layouts by field count, ``columns=``,
separators, and headers (detected, forced, obeyed, or refused when they cannot be followed).

The reading itself, types, encodings, bad files, split_edges() and the sniffer: test_edgelist.py.
"""

from __future__ import annotations

import pytest

from embedstudio.data.edgelist import read_edgelist
from embedstudio.data.errors import DataFormatError
from tests.data.test_edgelist import check_invariants, expect_error, named_edges, write


# ============================================================================ layouts
def test_two_columns_are_head_and_tail(tmp_path):
    g = read_edgelist(write(tmp_path, "alice\tbob\nbob\tcarol\ncarol\talice\n"))
    check_invariants(g)
    assert g.names == ["alice", "bob", "carol"]
    assert g.relation_names == ["link"] and g.type_names == ["entity"]
    assert g.edges.tolist() == [[0, 0, 1], [1, 0, 2], [2, 0, 0]]
    assert g.weights is None
    assert g.relation_types.tolist() == [[0, 0]] and g.type_offsets.tolist() == [0, 3]
    assert g.stats() == {"entities": 3, "relations": 1, "types": 1, "edges": 3}
    assert repr(g).startswith("GraphData(3 entities, 1 relations, 1 types, 3 edges")


def test_three_columns_are_head_relation_tail(tmp_path):
    g = read_edgelist(write(tmp_path, "dog\tis_a\tmammal\ndog\thas\ttail\ncat\tis_a\tmammal\n"))
    check_invariants(g)
    assert g.names == ["dog", "mammal", "tail", "cat"]
    assert g.relation_names == ["is_a", "has"]
    assert g.edges.tolist() == [[0, 0, 1], [0, 1, 2], [3, 0, 1]]
    assert g.weights is None


def test_three_columns_with_a_numeric_third_field_are_weights(tmp_path):
    g = read_edgelist(write(tmp_path, "a1\ta2\t0.5\na2\ta3\t2\na3\ta1\t1e-3\n"))
    check_invariants(g)
    assert g.relation_names == ["link"]
    assert named_edges(g) == [("a1", "link", "a2"), ("a2", "link", "a3"), ("a3", "link", "a1")]
    assert g.weights.tolist() == pytest.approx([0.5, 2.0, 1e-3])
    # One word among the sniffed third fields makes the middle field a relation.
    g = read_edgelist(write(tmp_path, "a1\t7\ta2\na2\tknows\ta3\n"))
    assert g.relation_names == ["7", "knows"] and g.weights is None


def test_four_columns_are_head_relation_tail_weight(tmp_path):
    g = read_edgelist(write(tmp_path, "u1,likes,i1,3\nu2,likes,i2,0\nu1,owns,i2,1.25\n", "g.csv"))
    check_invariants(g)
    assert named_edges(g) == [("u1", "likes", "i1"), ("u2", "likes", "i2"), ("u1", "owns", "i2")]
    assert g.weights.tolist() == [3.0, 0.0, 1.25]


def test_explicit_columns_reorder_ignore_and_type(tmp_path):
    text = "book\tbought\t2024-01-01\talice\t2\npen\tbought\t2024-01-02\tbob\t1\n"
    g = read_edgelist(write(tmp_path, text), columns="tail, relation, ignore, head, weight")
    check_invariants(g)
    assert named_edges(g) == [("alice", "bought", "book"), ("bob", "bought", "pen")]
    assert g.weights.tolist() == [2.0, 1.0]
    g = read_edgelist(write(tmp_path, "a\tb\tc\n"), columns="head,tail,ignore")
    assert named_edges(g) == [("a", "link", "b")] and g.weights is None


@pytest.mark.parametrize("columns", [
    "head,relation", "tail", "head,tail,head", "head,tail,weight,weight", "head,tail,colour",
    "head,tail,head_type", "head,tail,tail_type",
])
def test_bad_columns_are_value_errors(tmp_path, columns):
    path = write(tmp_path, "a\tb\n")
    with pytest.raises(ValueError) as info:
        read_edgelist(path, columns=columns)
    assert not isinstance(info.value, DataFormatError)


def test_other_bad_arguments_are_value_errors(tmp_path):
    path = write(tmp_path, "a\tb\n")
    for kwargs in ({"sep": ";"}, {"header": "yes"}, {"typed": 1.5},
                   {"columns": "head_type,head,tail_type,tail", "typed": False}):
        with pytest.raises(ValueError):
            read_edgelist(path, **kwargs)


def test_explicit_columns_must_match_the_field_count(tmp_path):
    expect_error(write(tmp_path, "a\tr\tb\nc\tr\td\n"), 1, "expected 4 fields", "columns=", "found 3",
                 columns="head,relation,tail,weight")
    expect_error(write(tmp_path, "# c\na\tb\tc\td\te\n"), 2, "found 5 fields", "columns=")


# ============================================================================ separators
def test_csv_tsv_and_whitespace_read_the_same(tmp_path):
    rows = [("dog", "is_a", "mammal"), ("cat", "is_a", "mammal"), ("dog", "chases", "cat")]
    expected = None
    for sep, name in (("\t", "g.tsv"), (",", "g.csv"), (" ", "g.txt"), ("  \t ", "g2.txt")):
        g = read_edgelist(write(tmp_path, "".join(sep.join(r) + "\n" for r in rows), name))
        assert named_edges(g) == rows, name
        expected = expected or g.names
        assert g.names == expected


def test_spaces_around_separators_are_trimmed_and_names_keep_inner_spaces(tmp_path):
    g = read_edgelist(write(tmp_path, "new york \t located in\t usa\nparis\tlocated in\tfrance\n"))
    assert named_edges(g) == [("new york", "located in", "usa"), ("paris", "located in", "france")]
    g = read_edgelist(write(tmp_path, "são paulo ,\tbrazil\nrio, brazil\n", "g.csv"))
    assert g.names == ["são paulo", "brazil", "rio"]
    # A no-break space is part of a name in a whitespace-separated file.
    g = read_edgelist(write(tmp_path, "a\u00a0b c\nd e\n", "g.txt"))
    assert g.names == ["a\u00a0b", "c", "d", "e"]


def test_explicit_separator(tmp_path):
    path = write(tmp_path, "a,b\tc\n")
    assert named_edges(read_edgelist(path, sep="\t")) == [("a,b", "link", "c")]
    assert named_edges(read_edgelist(path, sep="comma")) == [("a", "link", "b\tc")]
    assert named_edges(read_edgelist(write(tmp_path, "a\tb c\n"), sep="whitespace")) == [("a", "b", "c")]


# ============================================================================ headers
@pytest.mark.parametrize("first", [
    "head\trelation\ttail", "Subject\tPredicate\tObject", "src\trel\tdst", "source\tlabel\ttarget",
])
def test_header_detected(tmp_path, first):
    g = read_edgelist(write(tmp_path, f"{first}\ndog\tis_a\tmammal\ncat\tis_a\tmammal\n"))
    assert named_edges(g) == [("dog", "is_a", "mammal"), ("cat", "is_a", "mammal")]


def test_header_detected_in_other_layouts(tmp_path):
    g = read_edgelist(write(tmp_path, "source,target,weight\nd1,d2,1\nd2,d3,0.5\n", "g.csv"))
    assert g.names == ["d1", "d2", "d3"] and g.weights.tolist() == [1.0, 0.5]
    g = read_edgelist(write(tmp_path, "src dst\n1 2\n2 3\n", "g.txt"))
    assert g.names == ["1", "2", "3"]
    # Words that are not column names are a header when they sit above numbers.
    g = read_edgelist(write(tmp_path, "from_node,to_node\n1,2\n2,3\n", "g.csv"))
    assert g.names == ["1", "2", "3"]
    # A header does not count as the typed first line.
    g = read_edgelist(write(tmp_path, "head\trelation\ttail\nuser:a\tlikes\titem:b\n"))
    assert g.type_names == ["user", "item"]


def test_header_not_detected(tmp_path):
    # "head" recurs as an entity: the first line is data.
    g = read_edgelist(write(tmp_path, "head\tpart_of\tbody\nhead\thas\tnose\n"))
    assert g.n_edges == 2 and g.names[0] == "head"
    # A lone header-like line is data, else nothing would remain.
    assert read_edgelist(write(tmp_path, "source\ttarget\n")).names == ["source", "target"]
    # One-letter names are entities, not column names.
    assert read_edgelist(write(tmp_path, "a\tb\nc\td\n")).n_edges == 2
    # Ordinary names are never a header.
    assert read_edgelist(write(tmp_path, "dog\tmammal\ncat\tmammal\n")).n_edges == 2


def test_header_argument_forces(tmp_path):
    path = write(tmp_path, "animal_a\tanimal_b\ndog\tmammal\n")
    assert read_edgelist(path).n_edges == 2
    assert named_edges(read_edgelist(path, header=True)) == [("dog", "link", "mammal")]
    path = write(tmp_path, "head\ttail\ndog\tmammal\n")
    assert read_edgelist(path).n_edges == 1
    assert read_edgelist(path, header=False).names == ["head", "tail", "dog", "mammal"]
    # The header is dropped before the layout is sniffed.
    g = read_edgelist(write(tmp_path, "x\ty\tz\na1\ta2\t0.5\n"), header=True)
    assert g.weights.tolist() == [0.5]
    expect_error(write(tmp_path, "# columns\nhead\ttail\n"), 1, "no edges", "only a header", header=True)


def test_a_header_field_of_70_kb_of_digits_is_read_at_once(tmp_path):
    """Found by tests/fuzz: the header check spent minutes on a field of 70,000 digits and a word."""
    import time

    path = tmp_path / "w.csv"
    path.write_bytes(b"7" * 70000 + b"source,target,weight\na,b,0.5\nb,c,1\n")
    start = time.perf_counter()
    graph = read_edgelist(path)
    assert time.perf_counter() - start < 2
    assert graph.n_edges == 3  # head, relation, tail: the third fields are not all numbers


# ============================================================================ headers are obeyed
def test_a_header_says_which_field_is_which(tmp_path):
    # The order the header gives, not the one the field count suggests.
    g = read_edgelist(write(tmp_path, "tail\thead\na1\ta2\na3\ta4\n"))
    assert named_edges(g) == [("a2", "link", "a1"), ("a4", "link", "a3")]
    g = read_edgelist(write(tmp_path, "weight\thead\ttail\n1\ta1\ta2\n2.5\ta2\ta3\n"))
    assert named_edges(g) == [("a1", "link", "a2"), ("a2", "link", "a3")] and g.weights.tolist() == [1, 2.5]
    # Was read as head, relation (the targets), tail (the types).
    g = read_edgelist(write(tmp_path, "source,target,type\nann,bob,knows\nbob,cy,likes\n", "g.csv"))
    assert named_edges(g) == [("ann", "knows", "bob"), ("bob", "likes", "cy")]
    g = read_edgelist(write(tmp_path, "Predicate\tSubject\tObject\nis_a\tdog\tmammal\n"))
    assert named_edges(g) == [("dog", "is_a", "mammal")]
    # Words without a direction are the head and the tail, in their order, when it names neither.
    g = read_edgelist(write(tmp_path, "from_node,to_node,weight\n1,2,0.5\n2,3,1\n", "g.csv"))
    assert named_edges(g) == [("1", "link", "2"), ("2", "link", "3")] and g.weights.tolist() == [0.5, 1]
    g = read_edgelist(write(tmp_path, "label\tparent\tchild\nhas\tdog\ttail\n"), header=True)
    assert named_edges(g) == [("dog", "has", "tail")]
    # Type columns by name.
    g = read_edgelist(write(tmp_path, "src_type,src,rel,dst_type,dst\nuser,ann,likes,item,book\n", "g.csv"))
    assert g.names == ["ann", "book"] and g.type_names == ["user", "item"]
    # A header naming no column (a title, x y z) is dropped; the fields go by their count, as before.
    assert read_edgelist(write(tmp_path, "x\ty\tz\na1\ta2\t0.5\n"), header=True).weights.tolist() == [0.5]
    assert read_edgelist(write(tmp_path, "my graph\na\tb\n"), header=True).names == ["a", "b"]


@pytest.mark.parametrize("first, line, words", [
    ("head\tcolour\ttail", 1, ("column 2 'colour'", "not a column an edge list has", "columns=", "header=False")),
    ("source\ttarget\ttimestamp", 1, ("column 3 'timestamp'",)),  # was read as weights
    ("head\thead\ttail", 1, ("names 'head' twice: columns 1 and 2",)),
    ("source\thead\ttail", 1, ("names the head twice: column 1 ('source') and column 2 ('head')",)),
    ("relation\ttype\ttail", 1, ("names the relation twice",)),
    ("head\trelation\tweight", 1, ("names a head column ('head') but no tail column",)),
    ("relation\tweight\tscore", 1, ("names the weight twice",)),
    ("id\tlabel\tweight", 1, ("column 1 'id'", "does not say whether it is the head or the tail")),
    ("head_type\thead\trelation\ttail", 1, ("names a head_type column", "no tail_type")),
])
def test_a_header_the_reader_cannot_follow_is_an_error(tmp_path, first, line, words):
    width = first.count("\t") + 1
    rows = "".join("\t".join(f"v{i}{j}" for j in range(width - 1)) + f"\t{i}\n" for i in range(3))
    expect_error(write(tmp_path, f"{first}\n{rows}"), line, "the header", *words, header=True)


def test_a_header_detected_over_numbers_must_be_understood(tmp_path):
    # Detected as before (words above numbers); its unknown column is an error now, not a weight.
    expect_error(write(tmp_path, "source,target,timestamp\n1,2,1600000000\n2,3,1600000001\n", "g.csv"), 1,
                 "'timestamp'")
    expect_error(write(tmp_path, "source,target,weight,timestamp\n1,2,1,16\n2,3,1,17\n", "g.csv"), 1,
                 "column 4 'timestamp'")
    # columns= names the fields instead, the header is still dropped.
    g = read_edgelist(write(tmp_path, "source,target,weight,timestamp\n1,2,1,16\n2,3,1,17\n", "g.csv"),
                      columns="head,tail,weight,ignore")
    assert named_edges(g) == [("1", "link", "2"), ("2", "link", "3")] and g.weights.tolist() == [1, 1]


def test_a_header_naming_more_columns_than_the_rows_have(tmp_path):
    """Detected though the widths differ (column names only), so the message names the header."""
    text = "head\trelation\ttail\tweight\na\tr\tb\nc\tr\td\n"
    expect_error(write(tmp_path, text), 2, "expected 4 fields like the header (line 1: head, relation, tail, weight)",
                 "found 3 fields")
    expect_error(write(tmp_path, "# graph\nsource,target\na,r,b\n", "g.csv"), 3, "like the header (line 2", "found 3")
    # Rows of the header's width, then a ragged one.
    expect_error(write(tmp_path, "head\ttail\na\tb\nc\td\ne\tf\tg\n"), 4, "expected 2 fields like the header",
                 "found 3")
    # A one-word line is still data (and an error of its own), not a header.
    expect_error(write(tmp_path, "left\na\tr\tb\n"), 1, "one field ('left')")


def test_columns_override_the_header_words_but_not_its_width(tmp_path):
    path = write(tmp_path, "head\ttail\tweight\na\tb\tx\n")
    g = read_edgelist(path, columns="head,tail,ignore")
    assert named_edges(g) == [("a", "link", "b")] and g.weights is None
    assert named_edges(read_edgelist(path, columns="tail,head,relation")) == [("b", "x", "a")]
    expect_error(path, 1, "the header has 3 fields but columns='head,tail' names 2", columns="head,tail")
    # The node labels the CLI reads: a node<TAB>label file with a header.
    g = read_edgelist(write(tmp_path, "node\tlabel\n1\tA\n2\tB\n"), columns="head,tail", typed=False)
    assert named_edges(g) == [("1", "link", "A"), ("2", "link", "B")]
    # Type columns named by the header contradict typed=False.
    expect_error(write(tmp_path, "head_type\thead\ttail_type\ttail\nu\ta\ti\tb\n"), 1, "typed=False",
                 typed=False)
