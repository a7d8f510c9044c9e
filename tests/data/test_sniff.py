"""detect(): every format named from its start; bad inputs are DataFormatErrors without a line."""

from __future__ import annotations

import bz2
import gzip
import os
import zipfile

import numpy as np
import pytest

from embedstudio.data import sniff
from embedstudio.data.errors import DataFormatError
from embedstudio.data.sniff import LineReader, detect, register_sniffer
from embedstudio.data.vectors_io import write_vectors
from embedstudio.vectors import Embedding


_FORMATS = [
    ("word2vec-text", "vectors.txt"),
    ("word2vec-binary", "vectors.bin"),
    ("fasttext-vec", "wiki.en.vec"),
    ("glove", "glove.6B.50d.txt"),
    ("projector-tsv", "tensors.tsv"),
]


@pytest.mark.parametrize(
    "fmt, name",
    [*_FORMATS, *((f, n + ".gz") for f, n in _FORMATS), *((f, n + ".bz2") for f, n in _FORMATS),
     ("embedstudio", "model.embedding")],
)
def test_each_written_format_is_detected(tmp_path, small_embedding, fmt, name):
    path = tmp_path / name
    write_vectors(small_embedding, path, fmt)
    assert detect(path) == fmt


def test_vec_extension_names_fasttext_but_content_is_word2vec_text(tmp_path, small_embedding):
    write_vectors(small_embedding, tmp_path / "a.vec", "word2vec-text")
    os.replace(tmp_path / "a.vec", tmp_path / "a.txt")
    assert detect(tmp_path / "a.txt") == "word2vec-text"
    os.replace(tmp_path / "a.txt", tmp_path / "a.vec")
    assert detect(tmp_path / "a.vec") == "fasttext-vec"


def test_gensim_outputs_are_detected(tmp_path, small_embedding):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=small_embedding.dim)
    kv.add_vectors(small_embedding.keys, small_embedding.vectors)
    kv.save_word2vec_format(str(tmp_path / "g.bin"), binary=True)
    kv.save_word2vec_format(str(tmp_path / "g.txt"), binary=False)
    assert detect(tmp_path / "g.bin") == "word2vec-binary"
    assert detect(tmp_path / "g.txt") == "word2vec-text"


def test_rows_longer_than_the_sample_are_still_recognised(tmp_path):
    dim = 9000  # one row is ~100 KiB, more than the 64 KiB the sniffers see
    rng = np.random.default_rng(0)
    emb = Embedding(["a", "b"], rng.standard_normal((2, dim)).astype(np.float32))
    for fmt, name in [("word2vec-text", "w.txt"), ("glove", "g.txt"), ("projector-tsv", "p.tsv"),
                      ("word2vec-binary", "w.bin")]:
        write_vectors(emb, tmp_path / name, fmt)
        assert detect(tmp_path / name) == fmt


def test_text_corpus_file_and_compressed_and_folder(tmp_path):
    text = "the quick brown fox\njumps over the lazy dog\n".encode()
    (tmp_path / "c.txt").write_bytes(text)
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(text))
    (tmp_path / "c.bz2").write_bytes(bz2.compress(text))
    (tmp_path / "noext").write_bytes(text)  # compression and kind come from the content, not the name
    folder = tmp_path / "folder" / "sub"
    folder.mkdir(parents=True)
    (folder / "part.txt").write_bytes(text)
    for name in ["c.txt", "c.txt.gz", "c.bz2", "noext", "folder"]:
        assert detect(tmp_path / name) == "corpus", name


def test_a_corpus_line_with_numbers_is_not_mistaken_for_vectors(tmp_path):
    (tmp_path / "c.txt").write_text("chapter 1 2\nthe end of the story\n")
    assert detect(tmp_path / "c.txt") == "corpus"


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "empty"),
        (bytes(range(256)) * 8, "binary"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(2000), "binary"),
        ("hello world\n".encode("utf-16"), "UTF-16"),
        (b"\x01\x02\x03\x04\x05\x06\x07\x08" * 200, "control"),
    ],
)
def test_garbage_and_empty_files_raise_on_line_1(tmp_path, content, words):
    path = tmp_path / "x.dat"
    path.write_bytes(content)
    with pytest.raises(DataFormatError) as info:
        detect(path)
    assert info.value.line == 1
    assert str(path) in str(info.value)
    assert words in str(info.value)


def test_missing_file_empty_folder_and_foreign_zip(tmp_path):
    with pytest.raises(DataFormatError, match="no such file"):
        detect(tmp_path / "nope.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFormatError) as info:
        detect(tmp_path / "empty")
    assert info.value.line is None
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("readme.md", "not an embedding")
    with pytest.raises(DataFormatError):
        detect(tmp_path / "other.zip")


def test_empty_compressed_file_and_corrupt_gzip(tmp_path):
    (tmp_path / "e.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(DataFormatError, match="empty"):
        detect(tmp_path / "e.gz")
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(200)))
    with pytest.raises(DataFormatError) as info:
        detect(tmp_path / "bad.gz")
    assert info.value.line is None


def test_registered_sniffer_runs_before_the_corpus_catch_all(tmp_path):
    saved = list(sniff.SNIFFERS)
    try:
        register_sniffer("edgelist", lambda s: not s.is_dir and s.head.startswith(b"# edges"), priority=60)
        (tmp_path / "e.txt").write_text("# edges\na b\n")
        (tmp_path / "c.txt").write_text("just words\n")
        assert detect(tmp_path / "e.txt") == "edgelist"
        assert detect(tmp_path / "c.txt") == "corpus"
        assert "edgelist" in sniff.known_formats()
    finally:
        sniff.SNIFFERS[:] = saved


def test_line_reader_bounds_and_numbers_lines(tmp_path):
    path = tmp_path / "l.txt"
    path.write_bytes(b"\xef\xbb\xbfone\r\ntwo\n\nfour")
    with LineReader(path, 1024) as r:
        assert list(r) == [b"one\r", b"two", b"", b"four"]
        assert r.line_no == 4
    path.write_bytes(b"short\n" + b"x" * 5000 + b"\nafter\n")
    with LineReader(path, 1024) as r, pytest.raises(DataFormatError) as info:
        list(r)
    assert info.value.line == 2
    with LineReader(path, 1024, long_lines="split") as r:
        pieces = list(r)
    assert b"".join(pieces[1:-1]) == b"x" * 5000 and all(len(p) <= 1024 for p in pieces)
    assert pieces[-1] == b"after"


def test_byte_order_mark_and_trailing_blank_lines_do_not_confuse_sniffing(tmp_path):
    (tmp_path / "w.txt").write_bytes(b"\xef\xbb\xbf2 2\na 1 2\nb 3 4\n")
    (tmp_path / "g.txt").write_bytes(b"a 1 2\nb 3 4\n\n\n")
    (tmp_path / "p.tsv").write_bytes(b"1\t2\r\n3\t4\r\n\r\n")
    assert detect(tmp_path / "w.txt") == "word2vec-text"
    assert detect(tmp_path / "g.txt") == "glove"
    assert detect(tmp_path / "p.tsv") == "projector-tsv"


def test_truncated_gzip_is_sniffed_from_what_decompresses(tmp_path):
    data = gzip.compress(b"".join(b"w%d 0.5 0.25 0.125\n" % i for i in range(20000)))
    (tmp_path / "cut.gz").write_bytes(data[: len(data) // 2])
    assert detect(tmp_path / "cut.gz") == "glove"


def test_a_long_run_of_digits_is_judged_in_linear_time():
    """Found by tests/fuzz: ``\\d+\\.?\\d*`` tried every split of a digit run before failing on what followed;
    a 70 KB run took minutes in read_edgelist's header check (every numeric field of every reader uses it)."""
    import time

    start = time.perf_counter()
    assert not sniff.is_number(b"7" * 1_000_000 + b"x")
    assert sniff.is_number(b"7" * 1_000_000) and sniff.is_number(b"12.") and sniff.is_number(b"-.5e3")
    assert not sniff.is_number(b"1.5.5") and not sniff.is_number(b"1e") and not sniff.is_number(b".")
    assert time.perf_counter() - start < 2


def test_a_header_of_more_than_18_digits_is_not_a_header():
    """Found by tests/fuzz: int() refuses strings of more than 4,300 digits with a ValueError."""
    assert sniff.parse_header(b"1" * 5000 + b" 5") is None
    assert sniff.parse_header(b"1" * 19 + b" 5") is None
    assert sniff.parse_header(b"999999999999999999 5") == (999999999999999999, 5)
