"""The word2vec binary reader: damaged records, lying headers, huge words, and its numba scan checked
against a pure-Python reference (whole files and records cut by the read buffer)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedstudio.data import word2vec_binary
from embedstudio.data.errors import DataFormatError
from embedstudio.data.vectors_io import read_vectors, write_vectors
from embedstudio.vectors import Embedding
from tests.data.test_vectors_io import RECORDS, binary_file, bits, expect_error


# ============================================================================ bad input: binary
def test_binary_truncated_inside_a_vector(tmp_path):
    data = binary_file(RECORDS)
    cut = data[: data.index(b"b ") + 2 + 5]  # 5 of record 2's 8 vector bytes
    (tmp_path / "t.bin").write_bytes(cut)
    expect_error(tmp_path / "t.bin", "word2vec-binary", 2, "record 2", "byte offset", "5 of 8 bytes")


def test_binary_truncated_inside_a_word(tmp_path):
    data = binary_file([(b"a", [1.0]), (b"longword", [2.0])])
    (tmp_path / "t.bin").write_bytes(data[: data.index(b"longword") + 4])
    expect_error(tmp_path / "t.bin", "word2vec-binary", 2, "record 2", "ends inside the word")


@pytest.mark.parametrize(
    "data, line, words",
    [
        (binary_file(RECORDS, count=4), 4, ["ends after 3 vectors", "declares 4"]),
        (binary_file(RECORDS, count=2), 3, ["data after the 2 vectors", "byte offset"]),
        (binary_file([(b"a", [1.0, 2.0]), (b"\xff\xfe", [3.0, 4.0])]), 2, ["invalid UTF-8", "record 2"]),
        (binary_file([(b"a", [1.0, 2.0]), (b"x\x00y", [3.0, 4.0])]), 2, ["NUL"]),
        (b"3 2\n" + b"x" * 200_000, 1, ["no space", "byte offset 4"]),
    ],
)
def test_binary_bad_records(tmp_path, data, line, words):
    (tmp_path / "b.bin").write_bytes(data)
    expect_error(tmp_path / "b.bin", "word2vec-binary", line, *words)


@pytest.mark.parametrize("dim", [1, 3, 4])
def test_binary_header_dimension_that_lies_is_reported(tmp_path, dim):
    records = [(w, [float(i)] * 2) for i, w in enumerate([b"alpha", b"beta", b"gamma", b"delta"])]
    (tmp_path / "d.bin").write_bytes(binary_file(records, dim=dim))
    with pytest.raises(DataFormatError) as info:
        read_vectors(tmp_path / "d.bin", "word2vec-binary")
    assert info.value.line is not None and "byte offset" in str(info.value)


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", ["empty"]),
        (bytes(range(256)) * 8, ["header"]),
        (b"not a header\n" + bytes(100), ["header"]),
        (b"2 0\n", ["dimension 0"]),
        (b"2 1000000\n" + bytes(10), ["dimension"]),
    ],
)
def test_binary_bad_header_is_line_1(tmp_path, data, words):
    (tmp_path / "b.bin").write_bytes(data)
    expect_error(tmp_path / "b.bin", "word2vec-binary", 1, *words)


def test_binary_100_mb_header_and_word(tmp_path, big_line_writer):
    path = big_line_writer(tmp_path / "h.bin", b"")
    expect_error(path, "word2vec-binary", 1, "header")
    path = big_line_writer(tmp_path / "w.bin", b"3 2\n")
    expect_error(path, "word2vec-binary", 1, "no space")


def test_binary_invalid_utf8_can_be_replaced(tmp_path):
    (tmp_path / "b.bin").write_bytes(binary_file([(b"caf\xc3", [1.0]), (b"ok", [2.0])]))
    emb = read_vectors(tmp_path / "b.bin", "word2vec-binary", encoding_errors="replace")
    assert emb.keys == ["caf\ufffd", "ok"]


# --------------------------------------------------------------------------- the binary reader's numba scan
@given(records=st.lists(st.tuples(st.binary(min_size=0, max_size=6), st.integers(0, 2)), min_size=0, max_size=30),
       dim=st.integers(1, 4), cut=st.integers(0, 400), max_word=st.integers(1, 8))
@settings(max_examples=300, deadline=None)
def test_the_numba_scan_takes_exactly_what_the_python_reference_takes(records, dim, cut, max_word):
    from embedstudio.data.binary_scan import as_array, scan_records, scan_reference

    rng = np.random.default_rng(len(records))
    buf = b"".join(b"\n" * newlines + word + b" " + rng.standard_normal(dim).astype("<f4").tobytes()
                   for word, newlines in records)[:cut + 10 * len(records)]
    vectors = np.zeros((len(records) + 1, dim), dtype=np.float32)
    norms = np.zeros(len(records) + 1, dtype=np.float32)
    words = np.zeros(len(buf) + 1, dtype=np.uint8)
    starts = np.zeros(len(records) + 1, dtype=np.int64)
    out = vectors.view(np.uint8)
    taken, pos, used = scan_records(as_array(buf), 0, 4 * dim, max_word, out, vectors, norms, 1, len(records),
                                    words, starts)
    ref_words, ref_vectors, ref_starts, ref_pos = scan_reference(buf, 0, 4 * dim, max_word, len(records))
    assert (taken, pos) == (len(ref_words), ref_pos)
    assert words[:used].tobytes() == b"".join(w + b"\x00" for w in ref_words)
    assert [out[1 + i].tobytes() for i in range(taken)] == ref_vectors and list(starts[:taken]) == ref_starts
    ref_norms = [np.sqrt(np.sum(np.frombuffer(v, "<f4").astype(np.float64) ** 2)) for v in ref_vectors]
    np.testing.assert_allclose(norms[1: 1 + taken], ref_norms, rtol=1e-6)


@pytest.mark.parametrize("chunk", [64, 97, 1 << 20])
def test_binary_records_cut_by_the_read_buffer_read_exactly(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(word2vec_binary, "_BINARY_CHUNK", chunk)
    rng = np.random.default_rng(3)
    keys = [f"w{i}" + "é" * (i % 3) for i in range(500)]
    emb = Embedding(keys, rng.standard_normal((500, 7)).astype(np.float32))
    write_vectors(emb, tmp_path / "v.bin", "word2vec-binary")
    back = read_vectors(tmp_path / "v.bin")
    assert back.keys == keys and np.array_equal(bits(back.vectors), bits(emb.vectors))
    (tmp_path / "c.bin").write_bytes(binary_file([(k.encode(), list(v)) for k, v in zip(keys, emb.vectors)],
                                                 newline=True))  # the C tool's newline after each vector
    back = read_vectors(tmp_path / "c.bin", "word2vec-binary")
    assert back.keys == keys and np.array_equal(bits(back.vectors), bits(emb.vectors))
