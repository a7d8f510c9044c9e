"""Vector readers and writers: round trips, gensim interop, and every kind of bad file."""

from __future__ import annotations

import bz2
import gzip
import os
import struct
import tempfile
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from embedstudio.data import vectors_io
from embedstudio.data.errors import DataFormatError
from embedstudio.data.vectors_io import (
    VECTOR_FORMATS,
    default_metadata_path,
    read_vectors,
    write_vectors,
)
from embedstudio.vectors import Embedding
from tests.data.conftest import expect_data_error

ALL_FORMATS = ["word2vec-text", "word2vec-binary", "fasttext-vec", "glove", "projector-tsv", "embedstudio"]
SUFFIX = {"word2vec-text": ".txt", "word2vec-binary": ".bin", "fasttext-vec": ".vec", "glove": ".txt",
          "projector-tsv": ".tsv", "embedstudio": ".embedding"}


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def binary_file(records, count=None, dim=None, newline=True) -> bytes:
    """A word2vec binary file from (word bytes, float list) records."""
    dim = len(records[0][1]) if dim is None else dim
    out = [f"{len(records) if count is None else count} {dim}\n".encode()]
    for word, values in records:
        out.append(word + b" " + struct.pack(f"<{len(values)}f", *values) + (b"\n" if newline else b""))
    return b"".join(out)


RECORDS = [(b"a", [1.0, 2.0]), (b"b", [3.0, 4.0]), (b"c", [5.0, 6.0])]


def expect_error(path, fmt, line, *words, error_path=None, **kwargs) -> DataFormatError:
    """read_vectors fails with a DataFormatError naming the file (``error_path`` if given) and line."""
    return expect_data_error(lambda p, **kw: read_vectors(p, format=fmt, **kw), path, line, *words,
                             error_path=error_path, exact_path=True, **kwargs)


# ============================================================================ round trips
@pytest.mark.parametrize("fmt", ALL_FORMATS)
@pytest.mark.parametrize("compression", ["", ".gz", ".bz2"])
def test_round_trip_every_format_is_bit_identical(tmp_path, small_embedding, fmt, compression):
    if fmt == "embedstudio" and compression:
        compression = ""  # our own zip is not compressed again
    path = tmp_path / f"vectors{SUFFIX[fmt]}{compression}"
    write_vectors(small_embedding, path, fmt)
    back = read_vectors(path, format=fmt)
    assert back.keys == small_embedding.keys
    assert np.array_equal(bits(back.vectors), bits(small_embedding.vectors))
    sniffed = read_vectors(path)  # and the sniffer agrees
    assert sniffed.keys == small_embedding.keys and sniffed.info["source_format"] == fmt


def test_projector_metadata_columns_round_trip(tmp_path, small_embedding):
    n = len(small_embedding)
    emb = Embedding(small_embedding.keys, small_embedding.vectors,
                    metadata={"pos": ["DET", "NOUN"] * (n // 2), "freq": [str(i) for i in range(n)]},
                    info={"projector_key_column": "word"})
    write_vectors(emb, tmp_path / "vectors.tsv", "projector-tsv")
    meta = (tmp_path / "metadata.tsv").read_text(encoding="utf-8").splitlines()
    assert meta[0] == "word\tpos\tfreq" and meta[1] == "the\tDET\t0"  # header row: more than one column
    back = read_vectors(tmp_path / "vectors.tsv")  # metadata.tsv found beside vectors.tsv
    assert back.keys == emb.keys and back.metadata == emb.metadata
    assert np.array_equal(back.vectors, emb.vectors)


def test_projector_single_column_metadata_has_no_header(tmp_path, small_embedding):
    write_vectors(small_embedding, tmp_path / "v.tsv", "projector-tsv", metadata_path=tmp_path / "labels.tsv")
    assert (tmp_path / "labels.tsv").read_text(encoding="utf-8").splitlines() == small_embedding.keys
    assert read_vectors(tmp_path / "v.tsv", "projector-tsv", metadata_path=tmp_path / "labels.tsv").keys == \
        small_embedding.keys
    os.remove(tmp_path / "labels.tsv")
    assert read_vectors(tmp_path / "v.tsv").keys == [str(i) for i in range(len(small_embedding))]


def test_default_metadata_paths():
    assert default_metadata_path("/d/vectors.tsv") == "/d/metadata.tsv"
    assert default_metadata_path("/d/my_tensors.tsv") == "/d/my_metadata.tsv"
    assert default_metadata_path("/d/emb.tsv") == "/d/emb_metadata.tsv"


def test_limit_reads_the_first_vectors(tmp_path, small_embedding):
    for fmt in ALL_FORMATS:
        path = tmp_path / f"l{SUFFIX[fmt]}"
        write_vectors(small_embedding, path, fmt)
        got = read_vectors(path, fmt, limit=3)
        assert got.keys == small_embedding.keys[:3], fmt
        assert np.array_equal(got.vectors, small_embedding.vectors[:3])


NONFINITE_FORMATS = [("word2vec-text", 3, "line"), ("fasttext-vec", 3, "line"), ("word2vec-binary", 2, "record"),
                     ("glove", 2, "line"), ("projector-tsv", 2, "line"), ("embedstudio", 2, "row")]


@pytest.mark.parametrize("fmt, line, word", NONFINITE_FORMATS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_nan_or_infinite_value_is_refused_with_its_line_and_key(tmp_path, fmt, line, word, bad):
    from embedstudio.data.vectors_io import BadRowsError

    v = np.array([[0.5, 1.0], [2.0, bad], [3.0, 4.0]], dtype=np.float32)
    path = tmp_path / f"n{SUFFIX.get(fmt, '.npz')}"
    write_vectors(Embedding(["a", "b", "c"], v), path, fmt)
    with pytest.raises(BadRowsError) as info:
        read_vectors(path, fmt)
    e = info.value
    assert e.path == str(path) and e.line == line and "'b'" in e.reason and "value 2 of 2" in e.reason
    assert ("NaN" if np.isnan(bad) else "infinity") in e.reason and "drop" in e.reason
    if word != "line":
        assert f"{word} {line}" in e.reason
    kept = read_vectors(path, fmt, bad_rows="drop")  # the explicit opt-in: the rest, and what was dropped
    assert kept.keys == ["a", "c"] and np.array_equal(kept.vectors, v[[0, 2]])
    assert [(d["key"], d[word]) for d in kept.info["dropped_rows"]] == [("b", line)]


def test_a_text_value_beyond_float32_is_refused_as_infinity(tmp_path):
    (tmp_path / "big.txt").write_text("2 2\na 1 2\nhuge 1e39 3\n")
    with pytest.raises(DataFormatError, match="infinity .*beyond float32") as info:
        read_vectors(tmp_path / "big.txt")
    assert info.value.line == 3


@pytest.mark.parametrize("fmt, first, second, word", [("word2vec-text", 2, 4, "line"), ("glove", 1, 3, "line"),
                                                      ("word2vec-binary", 1, 3, "record"),
                                                      ("embedstudio", 1, 3, "row")])
def test_a_repeated_key_is_refused_naming_both_lines(tmp_path, fmt, first, second, word):
    from embedstudio.data.vectors_io import BadRowsError, dropped_summary

    v = np.arange(8, dtype=np.float32).reshape(4, 2)
    path = tmp_path / f"d{SUFFIX.get(fmt, '.npz')}"
    write_vectors(Embedding(["x", "y", "x", "z"], v), path, fmt)
    with pytest.raises(BadRowsError) as info:
        read_vectors(path, fmt)
    assert info.value.line == second and f"'x' appears again (first on {word} {first})" in info.value.reason
    kept = read_vectors(path, fmt, bad_rows="drop")  # the first row of a key stays
    assert kept.keys == ["x", "y", "z"] and np.array_equal(kept.vectors, v[[0, 1, 3]])
    assert kept.index("x") == 0 and "'x'" in dropped_summary(kept) and "1 bad row" in dropped_summary(kept)


def test_a_repeated_key_in_projector_metadata_names_the_metadata_file(tmp_path):
    from embedstudio.data.vectors_io import BadRowsError

    (tmp_path / "vectors.tsv").write_text("1\t2\n3\t4\n5\t6\n")
    (tmp_path / "metadata.tsv").write_text("word\tpos\nx\tn\ny\tv\nx\tn\n")
    with pytest.raises(BadRowsError) as info:
        read_vectors(tmp_path / "vectors.tsv")
    assert info.value.path == str(tmp_path / "metadata.tsv") and info.value.line == 4
    assert "first on line 2" in info.value.reason
    kept = read_vectors(tmp_path / "vectors.tsv", bad_rows="drop")
    assert kept.keys == ["x", "y"] and kept.metadata["pos"] == ["n", "v"]


def test_gensims_word2vec2tensor_pair_is_found(tmp_path):
    """gensim's word2vec2tensor writes PREFIX_tensor.tsv and PREFIX_metadata.tsv (one word per line)."""
    (tmp_path / "model_tensor.tsv").write_text("0.1\t0.2\n0.3\t0.4\n")
    (tmp_path / "model_metadata.tsv").write_text("king\nqueen\n")
    emb = read_vectors(tmp_path / "model_tensor.tsv")
    assert emb.keys == ["king", "queen"]


def test_utf16_is_called_utf16_by_every_text_reader(tmp_path):
    text = "2 3\na 0.1 0.2 0.3\nb 0.4 0.5 0.6\n"
    for name, data in (("bom.txt", text.encode("utf-16")), ("le.txt", text.encode("utf-16-le")),
                       ("be.txt", text.encode("utf-16-be"))):
        (tmp_path / name).write_bytes(data)
        for fmt in ("word2vec-text", "glove", None):
            with pytest.raises(DataFormatError, match="UTF-16") as info:
                read_vectors(tmp_path / name, fmt)
            assert info.value.line == 1, (name, fmt)


@pytest.mark.parametrize("data", [b"", b"   \n\n  \n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
                                  bytes(range(256)) * 8])
def test_empty_blank_and_binary_files_say_line_1(tmp_path, data):
    (tmp_path / "f.txt").write_bytes(data)
    for fmt in (None, "word2vec-text", "glove", "word2vec-binary"):
        with pytest.raises(DataFormatError) as info:
            read_vectors(tmp_path / "f.txt", fmt)
        assert info.value.line == 1, (fmt, str(info.value))


def test_an_output_name_with_a_compression_suffix_keeps_its_format():
    from embedstudio.data.vectors_io import format_for_path

    assert format_for_path("out.txt.gz") == "word2vec-text" and format_for_path("v.vec.bz2") == "fasttext-vec"
    with pytest.raises(ValueError):
        format_for_path("out.gz")


def test_rows_that_outgrow_memory_stop_with_a_message(tmp_path, monkeypatch):
    from embedstudio import memory

    (tmp_path / "g.txt").write_text("".join(f"w{i} {i} 1 2 3\n" for i in range(100_000)))
    monkeypatch.setattr(memory, "available_bytes", lambda: 2 << 20)
    with pytest.raises(DataFormatError, match="vectors of dimension 4 would need about .* of memory") as info:
        read_vectors(tmp_path / "g.txt", "glove")
    assert info.value.line is not None and "reading stopped" in info.value.reason
    gz = tmp_path / "g.txt.gz"  # compressed: the size is unknown and the storage grows as rows come
    gz.write_bytes(gzip.compress((tmp_path / "g.txt").read_bytes()))
    from embedstudio.data import vector_rows

    monkeypatch.setattr(vector_rows, "UNKNOWN_SIZE_BYTES", 64 << 10)
    with pytest.raises(DataFormatError, match="reading stopped") as info:
        read_vectors(gz, "glove")
    assert info.value.line > 1


def test_a_gzipped_glove_row_repeated_for_gigabytes_stops_early_in_little_memory(tmp_path):
    from tests.bombs import LIMIT_MB, LIMIT_S, gzip_repeating, measured

    row = b"the " + b" ".join(b"0.125" for _ in range(100)) + b"\n"
    gzip_repeating(tmp_path / "bomb.txt.gz", row, 2 << 30)
    assert (tmp_path / "bomb.txt.gz").stat().st_size < 8 << 20
    out, rss, seconds = measured(f"""
        from embedstudio.data.vectors_io import read_vectors
        read_vectors({str(tmp_path / "bomb.txt.gz")!r})
    """)
    assert out.startswith("DataFormatError") and ("bomb" in out or "appears again" in out), out
    assert rss < LIMIT_MB and seconds < LIMIT_S, (rss, seconds)


def test_spaced_words_of_glove_840b_are_read(tmp_path):
    (tmp_path / "g.txt").write_bytes(b"a 1 2\n. . . 3 4\nat name@domain.com 5 6\n")
    emb = read_vectors(tmp_path / "g.txt", "glove")
    assert emb.keys == ["a", ". . .", "at name@domain.com"]
    assert emb.vectors.tolist() == [[1, 2], [3, 4], [5, 6]]


def test_word2vec_c_tool_text_with_trailing_spaces_and_crlf(tmp_path):
    (tmp_path / "c.txt").write_bytes(b"2 3\r\n</s> 0.1 0.2 0.3 \r\nword -1 2e-3 4 \r\n")
    emb = read_vectors(tmp_path / "c.txt")
    assert emb.keys == ["</s>", "word"]
    assert np.array_equal(emb.vectors, np.array([[0.1, 0.2, 0.3], [-1, 2e-3, 4]], dtype=np.float32))


def test_binary_with_and_without_newlines_after_vectors(tmp_path):
    for newline in (True, False):
        (tmp_path / "b.bin").write_bytes(binary_file(RECORDS, newline=newline))
        emb = read_vectors(tmp_path / "b.bin")
        assert emb.keys == ["a", "b", "c"]
        assert emb.vectors.tolist() == [v for _, v in RECORDS]


def test_writers_reject_keys_the_format_cannot_hold(tmp_path):
    emb = Embedding(["two words", "ok"], np.zeros((2, 2), np.float32))
    for fmt in ["word2vec-text", "word2vec-binary", "glove", "fasttext-vec"]:
        with pytest.raises(ValueError, match="two words"):
            write_vectors(emb, tmp_path / "x", fmt)
    write_vectors(emb, tmp_path / "x.tsv", "projector-tsv")  # TSV holds spaces
    assert read_vectors(tmp_path / "x.tsv").keys == emb.keys
    with pytest.raises(ValueError, match="tab"):
        write_vectors(Embedding(["a\tb"], np.zeros((1, 2), np.float32)), tmp_path / "y.tsv", "projector-tsv")
    assert not os.path.exists(tmp_path / "x")


def test_unknown_format_names_list_the_known_ones(tmp_path, small_embedding):
    with pytest.raises(ValueError) as info:
        read_vectors(tmp_path / "x", format="word2vec")
    assert all(name in str(info.value) for name in VECTOR_FORMATS)
    with pytest.raises(ValueError, match="word2vec-binary"):
        write_vectors(small_embedding, tmp_path / "x", "hdf5")
    assert set(ALL_FORMATS) == set(VECTOR_FORMATS)


def test_failed_write_leaves_the_old_file_and_no_temp_files(tmp_path, small_embedding, monkeypatch):
    target = tmp_path / "keep.txt"
    target.write_text("previous content")
    monkeypatch.setattr(vectors_io, "_TEXT_VALUE_FORMAT", "%q")  # formatting fails mid-write
    with pytest.raises(ValueError):
        write_vectors(small_embedding, target, "word2vec-text")
    assert target.read_text() == "previous content"
    assert os.listdir(tmp_path) == ["keep.txt"]


# ============================================================================ gensim interop
@pytest.fixture
def varied_embedding() -> Embedding:
    rng = np.random.default_rng(3)
    v = (rng.standard_normal((300, 20)) * rng.choice([1e-30, 1e-3, 1.0, 1e5, 1e30], size=(300, 1))).astype(np.float32)
    v[0, :4] = [np.float32(1e-45), np.finfo(np.float32).max, np.finfo(np.float32).tiny, -0.0]
    v[1] = np.nextafter(np.float32(1), np.float32(2))  # values needing all 9 digits
    return Embedding([f"w{i}" if i % 3 else f"ß{i}é" for i in range(300)], v)


def test_our_files_load_in_gensim_identically(tmp_path, varied_embedding):
    from gensim.models import KeyedVectors

    for fmt, binary in [("word2vec-binary", True), ("word2vec-text", False), ("fasttext-vec", False)]:
        path = str(tmp_path / f"ours{SUFFIX[fmt]}")
        write_vectors(varied_embedding, path, fmt)
        kv = KeyedVectors.load_word2vec_format(path, binary=binary)
        assert kv.index_to_key == varied_embedding.keys
        assert np.array_equal(bits(kv.vectors), bits(varied_embedding.vectors)), fmt


def test_gensim_files_load_in_ours_identically(tmp_path, varied_embedding):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=varied_embedding.dim)
    kv.add_vectors(varied_embedding.keys, varied_embedding.vectors)
    for binary, name in [(True, "g.bin"), (False, "g.txt"), (True, "g.bin.gz")]:
        kv.save_word2vec_format(str(tmp_path / name), binary=binary)
        ours = read_vectors(tmp_path / name)
        assert ours.keys == varied_embedding.keys
        assert np.array_equal(bits(ours.vectors), bits(varied_embedding.vectors)), name
        assert ours.info["source_format"] == ("word2vec-binary" if binary else "word2vec-text")


# ============================================================================ property tests
# no control characters: a tiny file whose keys are mostly control bytes is refused as binary by design
# (sniff.CONTROL_SHARE), and no real vocabulary is made of them
_KEY = st.text(st.characters(codec="utf-8", exclude_categories=("Cc",), exclude_characters=" \ufeff"),
               min_size=1, max_size=8)


@st.composite
def embeddings(draw):
    n = draw(st.integers(1, 12))
    dim = draw(st.integers(1, 6))
    vectors = draw(arrays(np.float32, (n, dim), elements=st.floats(width=32, allow_nan=False, allow_infinity=False)))
    keys = draw(st.lists(_KEY, min_size=n, max_size=n, unique=True))  # a repeated key is refused on reading
    return Embedding(keys, vectors)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(emb=embeddings(), fmt=st.sampled_from(ALL_FORMATS))
def test_property_any_vectors_round_trip_bit_identical(emb, fmt):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "v" + SUFFIX[fmt])
        write_vectors(emb, path, fmt)
        back = read_vectors(path, format=fmt)
    assert back.keys == emb.keys
    assert np.array_equal(bits(back.vectors), bits(emb.vectors))


@settings(max_examples=25, deadline=None)
@given(arrays(np.float32, (4, 3), elements=st.floats(width=32, allow_nan=False, allow_infinity=False)))
def test_property_text_values_survive_gensim(values):
    from gensim.models import KeyedVectors

    emb = Embedding(["a", "b", "c", "d"], values)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "v.txt")
        write_vectors(emb, path, "word2vec-text")
        kv = KeyedVectors.load_word2vec_format(path, binary=False)
    assert np.array_equal(bits(kv.vectors), bits(values))


# ============================================================================ bad input: text formats
W2V_CASES = [
    # (content, expected line, words in the message)
    (b"3 2\na 1 2\nb 3 4\n", 4, ["ends after 2 vectors", "declares 3"]),  # header count too high
    (b"1 2\na 1 2\nb 3 4\n", 3, ["more rows than the 1"]),  # header count too low
    (b"2 3\na 1 2\nb 3 4\n", 2, ["expected 3 numbers", "found 2", "dimension 3"]),  # header dim lies
    (b"3 2\na 1 2\nb 3\nc 5 6\n", 3, ["expected 2 numbers", "found 1"]),  # ragged
    (b"2 2\na 1 2\nb 3 4 5\n", 3, ["found 3"]),  # extra column
    (b"2 2\na 1 2\nb 3 x4\n", 3, ["value 2", "not a number"]),
    (b"2 2\na 1 2\nb 3 1,5\n", 3, ["not a number"]),
    (b"2 2\na 1 2\n\xff\xfe 3 4\n", 3, ["invalid UTF-8", "encoding_errors"]),
    (b"2 2\na 1 2\n\nb 3 4\n", 3, ["empty line"]),
    (b"2 2\na 1 2\nb 3\x004\n", 3, ["NUL"]),
    (b"a 1 2\nb 3 4\n", 1, ["header", "glove"]),  # no header
    (b"2 two\na 1 2\n", 1, ["header"]),
    (b"0 2\n", 1, ["no vectors"]),
    (b"2 1000000000000\na 1 2\n", 1, ["dimension"]),
    (bytes(range(256)) * 8, 1, []),  # binary garbage
]


@pytest.mark.parametrize("fmt", ["word2vec-text", "fasttext-vec"])
@pytest.mark.parametrize("content, line, words", W2V_CASES)
def test_word2vec_text_bad_input(tmp_path, fmt, content, line, words):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    expect_error(path, fmt, line, *words)


def test_word2vec_text_replace_accepts_bad_utf8_and_trailing_blank_lines(tmp_path):
    path = tmp_path / "u.txt"
    path.write_bytes(b"2 2\na 1 2\n\xff\xfe 3 4\n\n\n")
    emb = read_vectors(path, "word2vec-text", encoding_errors="replace")
    assert emb.keys == ["a", "\ufffd\ufffd"]


def test_header_claiming_a_trillion_vectors_does_not_allocate_them(tmp_path):
    (tmp_path / "t.txt").write_bytes(b"1000000000000 2\na 1 2\nb 3 4\n")
    (tmp_path / "t.bin").write_bytes(binary_file(RECORDS, count=10**12))
    tracemalloc.start()
    try:
        expect_error(tmp_path / "t.txt", "word2vec-text", 4, "ends after 2 vectors")
        expect_error(tmp_path / "t.bin", "word2vec-binary", 4, "ends after 3 vectors")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20


def test_header_claiming_a_trillion_vectors_in_gzip_does_not_allocate_them(tmp_path):
    (tmp_path / "t.txt.gz").write_bytes(gzip.compress(b"1000000000000 2\na 1 2\nb 3 4\n"))
    expect_error(tmp_path / "t.txt.gz", "word2vec-text", 4, "ends after 2 vectors")


@pytest.mark.parametrize("fmt", ["word2vec-text", "glove"])
def test_100_mb_line_in_text_formats(tmp_path, big_line_writer, fmt):
    before = b"2 2\na 1 2\nb " if fmt == "word2vec-text" else b"a 1 2\nb 1 2\nc "
    path = big_line_writer(tmp_path / "big.txt", before)
    expect_error(path, fmt, 3, "longer than")


def test_100_mb_first_line(tmp_path, big_line_writer):
    path = big_line_writer(tmp_path / "big.txt", b"")
    expect_error(path, "word2vec-text", 1, "longer than")
    expect_error(path, "glove", 1, "longer than")
    expect_error(path, "projector-tsv", 1, "longer than")


GLOVE_CASES = [
    (b"a 1 2\nb 3\n", 2, ["expected 2 numbers", "found 1"]),  # ragged
    (b"a 1 2\nb 3 4 5\n", 2, ["found 3"]),  # extra column
    (b"a 1 2\nb x 2\n", 2, ["value 1", "not a number"]),
    (b"a 1 2\n\xc3( 3 4\n", 2, ["invalid UTF-8"]),
    (b"a 1 2\n\nb 3 4\n", 2, ["empty line"]),
    (b"2 2\na 1 2\nb 3 4\n", 2, ["word2vec header"]),  # a word2vec file read as GloVe
    (b"a\nb 1\n", 1, ["no numbers"]),
    (bytes(range(256)) * 8, 1, []),
]


@pytest.mark.parametrize("content, line, words", GLOVE_CASES)
def test_glove_bad_input(tmp_path, content, line, words):
    path = tmp_path / "g.txt"
    path.write_bytes(content)
    expect_error(path, "glove", line, *words)


def test_a_first_line_of_5000_digits_is_not_taken_for_a_header(tmp_path):
    """Found by tests/fuzz: a "count dim" line with a 5,000-digit count was a ValueError from int()."""
    path = tmp_path / "g.txt"
    path.write_bytes(b"1" * 5000 + b" 5\nw 1 2 3\n")
    expect_error(path, "glove", 2, "expected 1 numbers", "found 3")


def test_sniffing_a_malformed_file_still_names_the_line(tmp_path):
    rows = b"".join(b"w%d 1 2 3\n" % i for i in range(30))
    (tmp_path / "g.txt").write_bytes(rows + b"bad 1 2\n")
    expect_error(tmp_path / "g.txt", None, 31, "expected 3 numbers")
    (tmp_path / "w.txt").write_bytes(b"3 3\na 1 2 3\nb 1 2\nc 1 2 3\n")
    expect_error(tmp_path / "w.txt", None, 3, "expected 3 numbers")
    (tmp_path / "c.txt").write_bytes(b"just a sentence\n")
    expect_error(tmp_path / "c.txt", None, None, "text corpus")
    (tmp_path / "h.txt").write_bytes(b"1" * 5000 + b" 5\nw 1 2 3\n")  # found by tests/fuzz: was a ValueError
    expect_error(tmp_path / "h.txt", None, 2, "expected 1 numbers")


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_empty_and_missing_files(tmp_path, fmt):
    (tmp_path / "empty").write_bytes(b"")
    expect_error(tmp_path / "empty", fmt, 1)
    expect_error(tmp_path / "missing", fmt, None, "no such file")
    expect_error(tmp_path, fmt, None, "folder")


@pytest.mark.parametrize("fmt", ["word2vec-text", "word2vec-binary", "glove", "projector-tsv"])
@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress])
def test_truncated_and_corrupt_compressed_files(tmp_path, small_embedding, fmt, compress):
    big = Embedding([f"w{i}" for i in range(3000)], np.random.default_rng(0).random((3000, 20), dtype=np.float32))
    plain = tmp_path / f"v{SUFFIX[fmt]}"
    write_vectors(big, plain, fmt)
    data = compress(plain.read_bytes())
    (tmp_path / "cut.z").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError) as info:
        read_vectors(tmp_path / "cut.z", fmt)
    assert str(tmp_path / "cut.z") in str(info.value) and "corrupt or truncated" in info.value.reason
    flipped = bytearray(data)
    flipped[len(data) // 2: len(data) // 2 + 64] = bytes(64)
    (tmp_path / "flip.z").write_bytes(bytes(flipped))
    with pytest.raises(DataFormatError):
        read_vectors(tmp_path / "flip.z", fmt)


# ============================================================================ bad input: projector TSV
PROJECTOR_CASES = [
    (b"1\t2\n3\n", 2, ["expected 2", "found 1"]),
    (b"1\t2\n3\t4\t5\n", 2, ["found 3"]),
    (b"1\t2\n3\tx\n", 2, ["not a number"]),
    (b"1\t2\n\n3\t4\n", 2, ["empty line"]),
    (b"1\t2\n\xff\t4\n", 2, ["not a number"]),
    (bytes(range(256)) * 8, 1, []),
]


@pytest.mark.parametrize("content, line, words", PROJECTOR_CASES)
def test_projector_bad_vectors(tmp_path, content, line, words):
    (tmp_path / "v.tsv").write_bytes(content)
    expect_error(tmp_path / "v.tsv", "projector-tsv", line, *words)


@pytest.mark.parametrize(
    "meta, line, words",
    [
        (b"a\n", 2, ["ends after 1 rows", "2 vectors"]),  # too few labels
        (b"a\nb\nc\n", 3, ["more rows"]),  # too many labels
        (b"word\tpos\na\tN\nb\n", 3, ["expected 2 tab-separated fields", "found 1"]),  # ragged
        (b"a\n\xff\n", 2, ["invalid UTF-8"]),
        (b"a\nb\x00\n", 2, ["NUL"]),
    ],
)
def test_projector_bad_metadata(tmp_path, meta, line, words):
    (tmp_path / "v.tsv").write_bytes(b"1\t2\n3\t4\n")
    (tmp_path / "m.tsv").write_bytes(meta)
    expect_error(tmp_path / "v.tsv", "projector-tsv", line, *words, metadata_path=tmp_path / "m.tsv",
                 error_path=tmp_path / "m.tsv")


def test_projector_metadata_trailing_blank_lines_are_fine(tmp_path):
    (tmp_path / "v.tsv").write_bytes(b"1\t2\n3\t4\n")
    (tmp_path / "m.tsv").write_bytes(b"a\nb\n\n\n")
    assert read_vectors(tmp_path / "v.tsv", metadata_path=tmp_path / "m.tsv").keys == ["a", "b"]


def test_projector_100_mb_line(tmp_path, big_line_writer):
    path = big_line_writer(tmp_path / "v.tsv", b"1\t2\n", fill=b"1")
    expect_error(path, "projector-tsv", 2, "longer than")


# ============================================================================ bad input: embedstudio
def test_embedstudio_bad_files(tmp_path, small_embedding):
    (tmp_path / "g.embedding").write_bytes(bytes(range(256)) * 8)
    expect_error(tmp_path / "g.embedding", "embedstudio", None)
    small_embedding.save(tmp_path / "ok.embedding")
    data = (tmp_path / "ok.embedding").read_bytes()
    (tmp_path / "cut.embedding").write_bytes(data[: len(data) // 2])
    expect_error(tmp_path / "cut.embedding", "embedstudio", None)
    with zipfile.ZipFile(tmp_path / "other.embedding", "w") as z:
        z.writestr("header.json", "[1, 2")
        z.writestr("vectors.npy", b"")
    expect_error(tmp_path / "other.embedding", "embedstudio", None)


# ============================================================================ fuzz: only DataFormatError
def _seed_files() -> list[bytes]:
    emb = Embedding(["a", "bb", "café", "東京"], np.arange(12, dtype=np.float32).reshape(4, 3) / 7)
    out = []
    with tempfile.TemporaryDirectory() as d:
        for fmt in ALL_FORMATS:
            path = os.path.join(d, "s" + SUFFIX[fmt])
            write_vectors(emb, path, fmt)
            with open(path, "rb") as f:
                out.append(f.read())
    return out


_SEEDS = _seed_files()


@st.composite
def damaged_files(draw):
    data = bytearray(draw(st.sampled_from(_SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["set", "cut", "insert", "truncate"]))
        if kind == "set" and i < len(data):
            data[i] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[i: i + draw(st.integers(1, 16))]
        elif kind == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[i:]
    return bytes(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(damaged_files(), st.binary(max_size=200)))
def test_property_damaged_files_raise_only_data_format_errors(data):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "damaged")
        with open(path, "wb") as f:
            f.write(data)
        for fmt in [None, *ALL_FORMATS]:
            try:
                emb = read_vectors(path, format=fmt)
            except DataFormatError as e:
                assert e.path == path
            else:
                assert emb.vectors.dtype == np.float32 and len(emb.keys) == emb.vectors.shape[0] > 0


@pytest.mark.parametrize("fmt", ["word2vec-binary", "word2vec-text", "glove", "projector-tsv"])
def test_readers_hand_over_the_row_lengths_they_saw(tmp_path, fmt):
    rng = np.random.default_rng(8)
    emb = Embedding([f"k{i}" for i in range(300)], rng.standard_normal((300, 5)).astype(np.float32))
    path = tmp_path / f"v{SUFFIX[fmt]}"
    write_vectors(emb, path, fmt)
    back = read_vectors(path, fmt)
    assert back._norms is not None  # computed while reading: the first query needs no pass of its own
    np.testing.assert_allclose(back._norms, np.linalg.norm(back.vectors.astype(np.float64), axis=1), rtol=1e-6)


_NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr), st.floats(width=32).map(lambda x: "%.9g" % x),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda x: "%.17g" % x),
    st.floats(-1e6, 1e6).map(lambda x: "%e" % x), st.integers(-10 ** 25, 10 ** 25).map(str),
    st.sampled_from(["-0.0", "+1.5", ".5", "5.", "1e22", "1e23", "1e-22", "1e-23", "123456789012345678",
                     "0.000001234", "nan", "-inf", "1.5x", "1_0", "--1", "1e", ".", "00012.50"]))


@given(rows=st.lists(st.tuples(st.text(st.characters(codec="utf-8", exclude_characters=" \t\n\r\x0b\x0c\x00"),
                                       min_size=1, max_size=4),
                               st.lists(_NUMBER_TEXT, min_size=2, max_size=2)), min_size=1, max_size=8),
       keyed=st.booleans(), sep=st.sampled_from([" ", "\t", "  ", " \t"]))
@settings(max_examples=300, deadline=None)
def test_the_text_scan_reads_every_number_it_takes_exactly_as_float_does(rows, keyed, sep):
    from embedstudio.data.binary_scan import scan_text_rows

    lines = [((word + sep) if keyed else "") + sep.join(numbers) + ("\r" if len(word) % 2 else "")
             for word, numbers in rows]
    blob = ("\n".join(lines) + "\n").encode()
    values = np.full((len(rows), 2), 7.0, dtype=np.float32)
    norms = np.zeros(len(rows), dtype=np.float32)
    words = np.zeros(len(blob) + 1, dtype=np.uint8)
    done, used = scan_text_rows(np.frombuffer(blob, np.uint8), 2, keyed, values, norms, words)
    for i in range(done):  # every line it took: each value bit for bit what float() and a float32 cast give
        with np.errstate(over="ignore"):
            expected = np.array([float(x) for x in rows[i][1]], dtype=np.float64).astype(np.float32)
        assert bits(values[i]).tolist() == bits(expected).tolist(), (lines[i], values[i], expected)
    if keyed:
        assert words[:used].tobytes().decode().split("\x00")[:-1] == [w for w, _ in rows[:done]]


def test_the_text_scan_takes_every_line_the_writers_write():
    from embedstudio.data.binary_scan import scan_text_rows

    v = (np.random.default_rng(9).standard_normal((500, 6)) * 10.0 ** np.arange(-3, 3)).astype(np.float32)
    blob = "".join(f"w{i} " + " ".join("%.9g" % x for x in row) + "\n" for i, row in enumerate(v)).encode()
    values = np.empty_like(v)
    done, _ = scan_text_rows(np.frombuffer(blob, np.uint8), 6, True, values, np.empty(500, np.float32),
                             np.empty(len(blob), np.uint8))
    assert done == 500 and np.array_equal(bits(values), bits(v))
