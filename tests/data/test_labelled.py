"""read_labelled(), read_user_items(), the splits and the labelled-documents sniffer."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedstudio.data.errors import DataFormatError
from embedstudio.data.labelled import hold_out_items, read_labelled, read_user_items, split_docs
from embedstudio.data.sniff import detect
from tests.data.conftest import expect_data_error


def write(tmp_path, text: str | bytes, name: str = "docs.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


# ============================================================================ labelled documents
def test_fasttext_style_labels_anywhere_on_the_line(tmp_path):
    d = read_labelled(write(tmp_path, "__label__game a puzzle game\nfor __label__game kids __label__edu\n\n"
                                      "# a comment\n  __label__edu   learning  maths \n"))
    assert len(d) == 3
    assert d.labels == ["game", "edu"]
    assert d.tokens(0) == ["a", "puzzle", "game"] and d.label_names(0) == ["game"]
    assert d.tokens(1) == ["for", "kids"] and d.label_names(1) == ["game", "edu"]
    assert d.tokens(2) == ["learning", "maths"]
    assert d.line_numbers.tolist() == [1, 2, 5]
    assert d.label_counts.tolist() == [2, 2]
    assert d.word_counts[d.words.index("game")] == 1  # "game" the word, not the label


def test_whitespace_tokenizer_keeps_case_and_punctuation_words_tokenizer_does_not(tmp_path):
    path = write(tmp_path, "__label__x C++ Compiler, GNU's\n")
    assert read_labelled(path).tokens(0) == ["C++", "Compiler,", "GNU's"]
    assert read_labelled(path, tokenizer="words").tokens(0) == ["c", "compiler", "gnu's"]
    with pytest.raises(ValueError, match="tokenizer"):
        read_labelled(path, tokenizer="bpe")


def test_repeated_label_counts_once_and_unlabelled_docs_are_kept(tmp_path):
    d = read_labelled(write(tmp_path, "__label__a __label__a one two\nno label here\n__label__b three\n"))
    assert d.label_names(0) == ["a"] and d.label_names(1) == [] and len(d) == 3


def test_table_with_header_and_id(tmp_path):
    d = read_labelled(write(tmp_path, "id\tlabels\ttext\npkg1\tgame|edu\tA puzzle\npkg2\tedu\tmaths drill\n", "t.tsv"))
    assert d.ids == ["pkg1", "pkg2"] and d.label_names(0) == ["game", "edu"] and d.tokens(1) == ["maths", "drill"]
    d = read_labelled(write(tmp_path, "text,label\nhello world,greet\nbye,leave\n", "t.csv"))
    assert d.label_names(1) == ["leave"] and d.ids is None


def test_test_file_read_against_training_vocabularies(tmp_path):
    train = read_labelled(write(tmp_path, "__label__a one two\n__label__b three\n"))
    test = read_labelled(write(tmp_path, "__label__b one four\n__label__c two\n", "test.txt"),
                         words=train.words, labels=train.labels)
    assert test.words == train.words and test.labels[:2] == train.labels
    assert test.tokens(0) == ["one"]  # "four" is unknown: dropped
    assert test.label_names(1) == ["c"]  # an unknown label is kept (it counts as a miss)


def test_documents_without_words_are_dropped_and_counted(tmp_path):
    d = read_labelled(write(tmp_path, "__label__a\n__label__b words\n"))
    assert len(d) == 1 and d.dropped_empty == 1


def test_bad_labelled_files_name_the_line(tmp_path, big_line_writer):
    read = read_labelled
    expect_data_error(read, write(tmp_path, b""), None, "empty")
    expect_data_error(read, write(tmp_path, "# nothing\n\n"), None, "blank lines and comments")
    expect_data_error(read, write(tmp_path, "just words\nno labels at all\n"), None, "no document has a label")
    expect_data_error(read, write(tmp_path, "__label__a ok\n__label__ oops\n"), 2, "without a label name")
    expect_data_error(read, write(tmp_path, b"__label__a ok\n__label__b caf\xe9\n"), 2, "UTF-8", "byte 15")
    expect_data_error(read, write(tmp_path, b"__label__a ok\n__label__b x\x00y\n"), 2, "NUL")
    expect_data_error(read, write(tmp_path, "id\tlabel\ttext\n1\ta\tfine\n2\tb\tx\ty\n"), 3, "found 4 fields", "names 3")
    garbage = np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    with pytest.raises(DataFormatError):
        read(write(tmp_path, garbage, "g.bin"))
    path = big_line_writer(tmp_path / "big.txt", b"__label__a fine\n# ok\n", fill=b"w", size=5 << 20)
    expect_data_error(read, path, 3, "longer than")


def test_truncated_gzip(tmp_path):
    raw = b"".join(b"__label__c%d word%d other%d\n" % (i % 5, i, i % 13) for i in range(20000))
    data = gzip.compress(raw)
    with pytest.raises(DataFormatError, match="corrupt or truncated") as info:
        read_labelled(write(tmp_path, data[: len(data) // 2], "cut.gz"))
    assert info.value.line is not None and info.value.line > 1
    assert len(read_labelled(write(tmp_path, data, "whole.gz"))) == 20000


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_are_read_or_rejected_with_a_data_format_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "f.txt"
    path.write_bytes(b"__label__a x\n" + data)
    try:
        d = read_labelled(path)
    except DataFormatError as e:
        assert e.line is None or e.line >= 1
    else:
        assert len(d) >= 1 and d.word_ids.max() < len(d.words)


def test_split_is_seeded_disjoint_and_keeps_unlabelled_in_train(tmp_path):
    lines = [f"__label__l{i % 4} w{i} w{i % 7}" for i in range(200)] + ["no label w1"] * 5
    d = read_labelled(write(tmp_path, "\n".join(lines) + "\n"))
    train, valid, test = split_docs(d, valid=0.1, test=0.2, seed=3)
    assert (len(train), len(valid), len(test)) == (145, 20, 40)
    seen = [tuple(x.line_numbers.tolist()) for x in (train, valid, test)]
    assert not set(seen[0]) & set(seen[1]) and not set(seen[0]) & set(seen[2]) and not set(seen[1]) & set(seen[2])
    assert all(len(x.doc_labels(i)) for x in (valid, test) for i in range(len(x)))
    assert [tuple(x.line_numbers.tolist()) for x in split_docs(d, 0.1, 0.2, seed=3)] == seen
    assert tuple(split_docs(d, 0.1, 0.2, seed=4)[2].line_numbers.tolist()) != seen[2]
    assert test.tokens(0) == d.tokens(int(test.line_numbers[0]) - 1)


# ============================================================================ user -> items
def test_user_lines_and_pairs(tmp_path):
    u = read_user_items(write(tmp_path, "ann p1 p2 p3\nbob p2\ncid p3 p3 p1\n", "u.txt"))
    assert u.users == ["ann", "bob", "cid"] and u.items == ["p1", "p2", "p3"]
    assert [u.items[i] for i in u.user_items(2)] == ["p3", "p1"]  # a repeat is kept once
    p = read_user_items(write(tmp_path, "ann\tp1\nbob\tp2\nann\tp2\n", "p.tsv"))
    assert p.info["layout"] == "pairs" and [p.items[i] for i in p.user_items(0)] == ["p1", "p2"]
    assert p.item_counts.tolist() == [1, 2]


def test_bad_user_item_files(tmp_path):
    read = read_user_items
    expect_data_error(read, write(tmp_path, b"", "e.txt"), None, "empty")
    expect_data_error(read, write(tmp_path, "ann p1 p2\nbob\n"), 2, "no item")
    expect_data_error(read, write(tmp_path, "ann p1 p2\nbob p1\nann p3\n"), 3, "second line")
    expect_data_error(read, write(tmp_path, "a\tb\tx\nc\t\td\n"), 2, "empty field")
    expect_data_error(read, write(tmp_path, "a\tb\nc\td\ne\tf\tg\n"), 3, "pair", layout="pairs")
    expect_data_error(read, write(tmp_path, b"ann p1\nbob \xff\n"), 2, "UTF-8")


def test_hold_out_never_leaks_the_held_item(tmp_path):
    rng = np.random.default_rng(0)
    lines = [f"u{u} " + " ".join(f"i{x}" for x in rng.choice(50, size=rng.integers(1, 8), replace=False))
             for u in range(300)]
    data = read_user_items(write(tmp_path, "\n".join(lines) + "\n"))
    train, held = hold_out_items(data, share=0.2, seed=1)
    sizes = np.diff(data.indptr)
    assert len(held) == round(0.2 * (sizes >= 2).sum())
    for u, item in held:
        assert item in data.user_items(u) and item not in train.user_items(u)
        assert len(train.user_items(u)) == len(data.user_items(u)) - 1
    others = np.setdiff1d(np.arange(len(data)), held[:, 0])
    assert all(np.array_equal(train.user_items(u), data.user_items(u)) for u in others)
    assert np.array_equal(hold_out_items(data, 0.2, seed=1)[1], held)


def test_sniffer_recognises_labelled_documents(tmp_path):
    assert detect(write(tmp_path, "__label__a x y\n__label__b z\n")) == "labelled"
    assert detect(write(tmp_path, "id\tlabel\ttext\n1\ta\thello there\n", "t.tsv")) == "labelled"
    assert detect(write(tmp_path, "plain text\nwith no labels\n")) == "corpus"


def test_a_table_row_with_an_empty_text_is_dropped_not_an_error(tmp_path):
    d = read_labelled(write(tmp_path, "id\tlabel\ttext\na\tx\tsome words\nb\ty\t\nc\tx\tmore\n", "t.tsv"))
    assert d.ids == ["a", "c"] and d.dropped_empty == 1
