"""read_corpus(): vocabulary, token stream, sentence offsets, cache, and every kind of bad file."""

from __future__ import annotations

import bz2
import collections
import gzip
import os
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.data.conftest import expect_data_error
from embedstudio.data import corpus as corpus_module
from embedstudio.data.corpus import TokenizerOptions, iter_sentences, read_corpus, sentences
from embedstudio.data.errors import DataFormatError


TEXT = (
    "The cat sat on the mat.\n"
    "The dog sat on the log!\n"
    "\n"
    "A cat, a dog, the end.\n"
    "zebra\n"
    "the cat\n"
)
# Hand count (lower-cased): the 6, cat 3, sat 2, on 2, dog 2, a 2, mat 1, log 1, end 1, zebra 1.
HAND_COUNTS = {"the": 6, "cat": 3, "sat": 2, "on": 2, "dog": 2, "a": 2, "mat": 1, "log": 1, "end": 1, "zebra": 1}


def words_of(c, i):
    return [c.vocab.words[t] for t in c.sentence(i)]


def expect_error(path, line, *words, **kwargs) -> DataFormatError:
    return expect_data_error(read_corpus, path, line, *words, **kwargs)


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


# ============================================================================ vocabulary and tokens
def test_vocabulary_counts_match_a_hand_count(text_file):
    c = read_corpus(text_file, min_count=1)
    assert dict(zip(c.vocab.words, c.vocab.counts.tolist())) == HAND_COUNTS
    assert c.vocab.total_words == sum(HAND_COUNTS.values()) == 21
    # Sorted by count, ties in order of first appearance.
    assert c.vocab.words == ["the", "cat", "sat", "on", "dog", "a", "mat", "log", "end", "zebra"]
    assert c.vocab.counts.dtype == np.int64
    assert all(c.vocab.word_to_index[w] == i for i, w in enumerate(c.vocab.words))


def test_tokens_and_sentence_starts(text_file):
    c = read_corpus(text_file, min_count=1)
    assert c.tokens.dtype == np.int32 and isinstance(c.tokens, np.memmap)
    assert c.sentence_starts.dtype == np.int64
    assert c.sentence_starts.tolist() == [0, 6, 12, 18, 19, 21]  # the empty line is skipped
    assert c.n_sentences == 5 and c.n_tokens == 21
    assert words_of(c, 0) == ["the", "cat", "sat", "on", "the", "mat"]
    assert words_of(c, 2) == ["a", "cat", "a", "dog", "the", "end"]
    with pytest.raises((ValueError, TypeError)):
        c.tokens[0] = 5  # read-only


def test_min_count_drops_rare_words_from_vocab_and_stream(text_file):
    c = read_corpus(text_file, min_count=2)
    assert c.vocab.words == ["the", "cat", "sat", "on", "dog", "a"]
    assert c.vocab.total_words == 21  # counted before filtering
    assert words_of(c, 0) == ["the", "cat", "sat", "on", "the"]  # "mat" dropped, as gensim does
    # "zebra" was a sentence of its own: nothing is left of it, so it is skipped.
    assert c.n_sentences == 4 and c.sentence_starts.tolist() == [0, 5, 10, 15, 17]
    kept = sum(n for w, n in HAND_COUNTS.items() if n >= 2)
    assert c.n_tokens == kept


def test_max_vocab_keeps_the_most_frequent(text_file):
    c = read_corpus(text_file, min_count=1, max_vocab=3)
    assert c.vocab.words == ["the", "cat", "sat"]
    assert c.n_tokens == 6 + 3 + 2
    assert set(np.unique(c.tokens).tolist()) == {0, 1, 2}


def test_long_sentences_are_split(tmp_path):
    (tmp_path / "l.txt").write_text(" ".join(["w"] * 25) + "\nshort w\n")
    c = read_corpus(tmp_path / "l.txt", min_count=1, max_sentence_length=10)
    assert c.sentence_starts.tolist() == [0, 10, 20, 25, 27]


def test_gz_bz2_and_folder_give_the_same_tokens(tmp_path, text_file):
    plain = read_corpus(text_file, min_count=1)
    data = TEXT.encode()
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(data))
    (tmp_path / "c.bz2").write_bytes(bz2.compress(data))
    lines = TEXT.splitlines(keepends=True)
    folder = tmp_path / "folder"
    (folder / "b_sub").mkdir(parents=True)
    (folder / "a.txt").write_text("".join(lines[:2]))
    (folder / "b_sub" / "part.txt.gz").write_bytes(gzip.compress("".join(lines[2:4]).encode()))
    (folder / "c.bz2").write_bytes(bz2.compress("".join(lines[4:]).encode()))
    (folder / "notes.md").write_text("ignored ignored ignored")
    (folder / ".hidden.txt").write_text("ignored ignored ignored")
    for other in [tmp_path / "c.txt.gz", tmp_path / "c.bz2", folder]:
        c = read_corpus(other, min_count=1)
        assert c.vocab.words == plain.vocab.words, other
        assert np.array_equal(c.tokens, plain.tokens)
        assert np.array_equal(c.sentence_starts, plain.sentence_starts)


def test_unicode_tokens_of_any_script(tmp_path):
    nfd_cafe = unicodedata.normalize("NFD", "Café")
    (tmp_path / "u.txt").write_text(f"café Ελλάδα 東京 हिन्दी don’t state-of-the-art\n{nfd_cafe} ΕΛΛΆΔΑ\n",
                                    encoding="utf-8")
    c = read_corpus(tmp_path / "u.txt", min_count=1)
    assert c.vocab.words == ["café", "ελλάδα", "東京", "हिन्दी", "don’t", "state-of-the-art"]
    assert c.vocab.count("café") == 2 and c.vocab.count("ελλάδα") == 2
    keep_case = read_corpus(tmp_path / "u.txt", min_count=1, options=TokenizerOptions(lowercase=False))
    assert "Ελλάδα" in keep_case.vocab and "ΕΛΛΆΔΑ" in keep_case.vocab and "Café" in keep_case.vocab


def test_iter_sentences_matches_the_corpus(text_file):
    got = list(iter_sentences(text_file))
    assert got[0] == ["the", "cat", "sat", "on", "the", "mat"] and got[2] == []
    assert collections.Counter(t for s in got for t in s) == HAND_COUNTS
    again = sentences(text_file)
    assert list(again) == list(again) == got  # restartable, as gensim needs


def test_vocabulary_matches_gensim(text_file):
    from gensim.models import Word2Vec

    model = Word2Vec(vector_size=4, min_count=2)
    model.build_vocab(sentences(text_file))
    ours = read_corpus(text_file, min_count=2)
    theirs = {w: model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key}
    assert dict(zip(ours.vocab.words, ours.vocab.counts.tolist())) == theirs


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "dé", "東", "x-y"]), max_size=8), min_size=1, max_size=20),
       st.integers(1, 3))
def test_property_stream_is_the_in_vocab_tokens_of_each_line(tmp_path_factory, lines, min_count):
    folder = tmp_path_factory.mktemp("prop")
    (folder / "p.txt").write_text("\n".join(" ".join(line) for line in lines) + "\n", encoding="utf-8")
    counts = collections.Counter(t for line in lines for t in line)
    if not any(n >= min_count for n in counts.values()):
        with pytest.raises(DataFormatError):
            read_corpus(folder / "p.txt", min_count=min_count, cache_dir=folder)
        return
    c = read_corpus(folder / "p.txt", min_count=min_count, cache_dir=folder)
    assert dict(zip(c.vocab.words, c.vocab.counts.tolist())) == {w: n for w, n in counts.items() if n >= min_count}
    expected = [[t for t in line if counts[t] >= min_count] for line in lines]
    assert [words_of(c, i) for i in range(c.n_sentences)] == [s for s in expected if s]


# ============================================================================ cache
def test_second_read_reuses_the_cache(text_file, monkeypatch):
    first = read_corpus(text_file, min_count=1)
    assert not first.from_cache
    mtime = os.stat(first.cache_path).st_mtime_ns

    def must_not_run(*args, **kwargs):
        raise AssertionError("the corpus was tokenised again")

    monkeypatch.setattr(corpus_module, "_pass1", must_not_run)
    monkeypatch.setattr(corpus_module, "_pass2", must_not_run)
    second = read_corpus(text_file, min_count=1)
    assert second.from_cache and second.cache_path == first.cache_path
    assert os.stat(second.cache_path).st_mtime_ns == mtime
    assert second.vocab.words == first.vocab.words
    assert np.array_equal(second.vocab.counts, first.vocab.counts)
    assert np.array_equal(second.tokens, first.tokens)
    assert np.array_equal(second.sentence_starts, first.sentence_starts)
    assert second.vocab.total_words == first.vocab.total_words
    cache_files = os.listdir(os.path.dirname(first.cache_path))
    assert not any(name.endswith(".pkl") or name.endswith(".pickle") for name in cache_files)
    assert not any(name.endswith(".tmp") for name in cache_files)


def test_cache_key_follows_settings_and_file_changes(text_file):
    a = read_corpus(text_file, min_count=1)
    assert not read_corpus(text_file, min_count=2).from_cache
    assert not read_corpus(text_file, min_count=1, options=TokenizerOptions(lowercase=False)).from_cache
    assert read_corpus(text_file, min_count=1).from_cache
    text_file.write_text(TEXT + "more words\n")
    b = read_corpus(text_file, min_count=1)
    assert not b.from_cache and b.cache_path != a.cache_path and "more" in b.vocab


def test_damaged_cache_is_rebuilt(text_file):
    a = read_corpus(text_file, min_count=1)
    with open(a.cache_path, "r+b") as f:
        f.truncate(8)
    b = read_corpus(text_file, min_count=1)
    assert not b.from_cache and b.n_tokens == a.n_tokens
    vocab_json = a.cache_path.replace(".tokens.i32", ".vocab.json")
    with open(vocab_json, "w") as f:
        f.write("{not json")
    c = read_corpus(text_file, min_count=1)
    assert not c.from_cache and c.vocab.words == a.vocab.words


def test_explicit_cache_dir(text_file, tmp_path):
    c = read_corpus(text_file, min_count=1, cache_dir=tmp_path / "mine")
    assert os.path.dirname(c.cache_path) == str(tmp_path / "mine")


def test_progress_reports_and_cancellation_leaves_no_partial_cache(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("word other thing\n" * 200_000)  # 3.4 MB
    calls = []
    c = read_corpus(path, min_count=1, progress=lambda done, total: calls.append((done, total)))
    size = os.path.getsize(path)
    assert calls[-1] == (size, size) and len(calls) >= 3
    assert all(a <= b for (a, _), (b, _) in zip(calls, calls[1:]))

    class Cancelled(Exception):
        pass

    def cancel(done, total):
        if done > 0:
            raise Cancelled

    cache = tmp_path / "cache2"
    with pytest.raises(Cancelled):
        read_corpus(path, min_count=1, progress=cancel, cache_dir=cache)
    assert os.listdir(cache) == []
    assert c.n_tokens == 600_000


def test_long_lines_can_be_split_instead_of_rejected(tmp_path):
    line = " ".join(f"w{i % 50}" for i in range(100_000))  # ~490 KB on one line
    (tmp_path / "t8.txt").write_text(line)
    expect_error(tmp_path / "t8.txt", 1, "longer than", min_count=1,
                 options=TokenizerOptions(max_line_bytes=64 * 1024))
    c = read_corpus(tmp_path / "t8.txt", min_count=1,
                    options=TokenizerOptions(max_line_bytes=64 * 1024, long_lines="split"))
    assert c.n_tokens == 100_000
    assert [c.vocab.words[t] for t in c.tokens[:3]] == ["w0", "w1", "w2"]
    assert [c.vocab.words[t] for t in c.tokens[-2:]] == ["w48", "w49"]


# ============================================================================ bad input
def test_missing_empty_and_empty_folder(tmp_path):
    expect_error(tmp_path / "missing.txt", None, "no such file")
    (tmp_path / "empty.txt").write_bytes(b"")
    expect_error(tmp_path / "empty.txt", 1, "empty")  # a file's problem is on its line 1
    (tmp_path / "empty.gz").write_bytes(gzip.compress(b""))
    expect_error(tmp_path / "empty.gz", 1, "empty")
    (tmp_path / "folder").mkdir()
    expect_error(tmp_path / "folder", None, "no corpus files")
    (tmp_path / "folder" / "readme.md").write_text("not a corpus file")
    expect_error(tmp_path / "folder", None, "no corpus files")
    (tmp_path / "folder" / "a.txt").write_bytes(b"")
    assert expect_error(tmp_path / "folder", 1, "empty").path.endswith("a.txt")  # the empty file is named


@pytest.mark.parametrize(
    "content, line, words",
    [
        (b"hello world\nbinary \x00 here\n", 2, ["NUL", "binary"]),
        (b"ok line\n" + bytes(range(1, 9)) * 200 + b"\n", 2, ["control characters"]),
        (bytes(range(256)) * 8, 1, ["NUL"]),
        (b"good\ncaf\xe9 latin-1\n", 2, ["invalid UTF-8", "encoding_errors"]),
        (b"good\n\xc3\x28\n", 2, ["invalid UTF-8"]),
        ("hello\n".encode("utf-16"), 1, ["UTF-16"]),
    ],
)
def test_bad_bytes_name_the_line(tmp_path, content, line, words):
    (tmp_path / "b.txt").write_bytes(content)
    expect_error(tmp_path / "b.txt", line, *words, min_count=1)


def test_bad_utf8_in_a_folder_names_the_file(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("fine text here\n")
    (tmp_path / "d" / "b.txt").write_bytes(b"ok\nstill ok\nbad \xff\n")
    err = expect_error(tmp_path / "d" / "b.txt", 3, "invalid UTF-8")  # direct
    with pytest.raises(DataFormatError) as info:
        read_corpus(tmp_path / "d", min_count=1)
    assert info.value.path == str(tmp_path / "d" / "b.txt") and info.value.line == 3 == err.line


def test_encoding_errors_replace_reads_on(tmp_path):
    (tmp_path / "l1.txt").write_bytes(b"caf\xe9 caf\xe9 ok\n")
    c = read_corpus(tmp_path / "l1.txt", min_count=1, options=TokenizerOptions(encoding_errors="replace"))
    assert c.vocab.words == ["caf", "ok"]  # U+FFFD is not a word character
    assert c.vocab.count("caf") == 2


def test_100_mb_line(tmp_path, big_line_writer):
    path = big_line_writer(tmp_path / "big.txt", b"first line\nsecond line\n", fill=b"a")
    expect_error(path, 3, "longer than")


def test_100_mb_line_in_gzip(tmp_path):
    raw = b"first\n" + b"a" * (100 << 20)
    (tmp_path / "big.gz").write_bytes(gzip.compress(raw, compresslevel=1))
    # one letter repeated inflates 400-fold: refused as a bomb before the line limit is reached; either way
    # the line is never held whole
    err = expect_error(tmp_path / "big.gz", 2)
    assert "longer than" in err.reason or "decompression bomb" in err.reason


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress])
def test_truncated_and_corrupt_archives(tmp_path, compress):
    raw = "".join(f"line {i} has some words in it\n" for i in range(60_000)).encode()
    data = compress(raw)
    (tmp_path / "cut.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError) as info:
        read_corpus(tmp_path / "cut.gz", min_count=1)
    err = info.value
    assert "corrupt or truncated" in err.reason and err.path == str(tmp_path / "cut.gz")
    if compress is gzip.compress:  # gzip streams decode up to the damage: the line is where it stops
        assert 1 < err.line <= 60_000
    damaged = bytearray(data)
    damaged[len(data) // 3: len(data) // 3 + 100] = bytes(100)
    (tmp_path / "bad.gz").write_bytes(bytes(damaged))
    with pytest.raises(DataFormatError, match="corrupt or truncated"):
        read_corpus(tmp_path / "bad.gz", min_count=1)


def test_vocabulary_empty_after_min_count(text_file):
    err = expect_error(text_file, None, "min_count=7", "'the'", "6 times", min_count=7)
    assert "lower min_count" in err.reason


def test_no_tokens_at_all(tmp_path):
    (tmp_path / "p.txt").write_text("... !!! ???\n\n-- --\n")
    expect_error(tmp_path / "p.txt", 1, "no tokens", min_count=1)


def test_invalid_settings_are_value_errors(text_file):
    with pytest.raises(ValueError):
        read_corpus(text_file, min_count=0)
    with pytest.raises(ValueError):
        read_corpus(text_file, max_vocab=0)
    with pytest.raises(ValueError):
        TokenizerOptions(token_pattern="(unclosed")
    with pytest.raises(ValueError):
        TokenizerOptions(encoding_errors="surrogateescape")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_property_arbitrary_bytes_give_a_corpus_or_a_data_format_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "f.txt"
    path.write_bytes(data)
    try:
        c = read_corpus(path, min_count=1, cache_dir=path.parent / "cache")
    except DataFormatError as e:
        assert e.path == str(path)
    else:
        assert c.n_tokens == int(c.vocab.counts.sum()) and c.sentence_starts[-1] == c.n_tokens


def test_a_corpus_cache_that_would_fill_the_disk_stops_with_a_message(tmp_path, monkeypatch):
    import shutil

    from embedstudio.data import corpus

    (tmp_path / "c.txt").write_text("alpha beta gamma delta\n" * 20000)
    monkeypatch.setattr(corpus, "_CACHE_CHECK_BYTES", 1024)  # check at every few KB written
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: real(folder)._replace(free=300 << 20))  # 44 MB spare
    read_corpus(tmp_path / "c.txt", min_count=1, cache_dir=tmp_path / "cache1")  # 80k tokens: fits
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: real(folder)._replace(free=256 << 20))  # none spare
    err = expect_error(tmp_path / "c.txt", None, "corpus cache", "EMBEDSTUDIO_CACHE", min_count=1,
                       cache_dir=tmp_path / "cache2")
    assert "free" in err.reason
    assert not [p for p in (tmp_path / "cache2").iterdir() if p.name.endswith(".tmp")]  # no partial file left


def test_a_vocabulary_beyond_memory_stops_with_a_message(tmp_path, monkeypatch):
    from embedstudio import memory

    (tmp_path / "c.txt").write_text("".join(f"word{i} " for i in range(200_000)) + "\n")
    monkeypatch.setattr(memory, "available_bytes", lambda: 4 << 20)
    expect_error(tmp_path / "c.txt", None, "vocabulary of", "memory", min_count=1, cache_dir=tmp_path / "cache")


@pytest.mark.parametrize("text, line, what", [
    ("3 4\na 0.1 0.2 0.3 0.4\nb 0.1 0.2 0.3\nc 0.1 0.2 0.3 0.4\n", 3, "damaged vectors file"),  # ragged rows
    ("a 0.1 0.2 0.3 0.4\nb 0.1 0.2 0.3\n", 2, "damaged vectors file"),  # GloVe-like, ragged
    ("2 99999999999\na 0.1\nb 0.2\n", 1, "damaged vectors file"),  # an absurd dimension
    ("1 2\n3 4\n5 6 7 8 9\n2 3\n", 3, "damaged edge list"),  # ragged numeric edges
])
def test_a_damaged_vectors_or_edge_file_is_reported_as_one_not_read_as_text(tmp_path, text, line, what):
    (tmp_path / "x.txt").write_text(text)
    err = expect_error(tmp_path / "x.txt", line, what, "not a text corpus", min_count=1, cache_dir=tmp_path / "c")
    assert err.path == str(tmp_path / "x.txt")


def test_prose_with_numbers_is_still_a_corpus(tmp_path):
    (tmp_path / "p.txt").write_text("in 1998 the 3 ministers met 12 times\nprices rose 4 percent in 2001\n" * 10)
    assert read_corpus(tmp_path / "p.txt", min_count=1, cache_dir=tmp_path / "c").n_tokens > 100
