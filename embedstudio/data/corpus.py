"""Streaming text corpus -> :class:`Vocabulary` + an int32 token stream on disk.

A corpus is a .txt/.gz/.bz2 file (compression is recognised by magic bytes) or a folder of such
files (sorted, recursive), one sentence or document per line.

Reading makes one tokenising pass and one vectorised pass, both streaming:

1. every line is decoded (strict UTF-8 by default), NFC-normalised, lower-cased and tokenised with a
   Unicode-aware regex; each token gets a provisional id (first-appearance order) and the ids are
   appended to a temporary file in chunks while the counts accumulate;
2. once the vocabulary is known (``min_count``, ``max_vocab``), the provisional ids are mapped to
   final ids with numpy, out-of-vocabulary tokens are dropped (as gensim does), and the result is
   written to the cache as raw little-endian int32, opened as a read-only ``np.memmap``.

Memory holds the distinct words and one int64 per line, never the lines themselves. The cache
(``tokens.i32``, ``starts.npy``, ``vocab.json``; never pickle) is keyed by a hash of the input
files' paths, sizes, mtimes and first/last 64 KiB and of the settings, so a second read with the same settings skips
both passes. Every file is written atomically (temp file + ``os.replace``), vocab.json last.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import unicodedata
from array import array
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Callable, Iterator

import numpy as np

from embedstudio.data.errors import DataFormatError
from embedstudio.data.sniff import CONTROL_SHARE, LineReader, control_share, corpus_files
from embedstudio.memory import check_disk, check_reading
from embedstudio.storage import atomic_write

__all__ = [
    "Corpus",
    "DEFAULT_TOKEN_PATTERN",
    "TokenizerOptions",
    "Vocabulary",
    "default_cache_dir",
    "iter_sentences",
    "read_corpus",
]

DEFAULT_TOKEN_PATTERN = r"\w[\w\p{M}]*(?:['’\-]\w[\w\p{M}]*)*"
"""A letter, digit or underscore of any script followed by more of them or combining marks; such
runs joined by an apostrophe or hyphen make one token ("don't", "state-of-the-art"). ``\\p{M}``
(combining marks) is the one Unicode property this module adds to Python's ``re``: without it,
``\\w`` splits Devanagari, Bengali, Tamil ... words at their vowel signs and strips accents written
as combining characters. ASCII lines are matched with the pattern minus ``\\p{M}`` (same result,
2x faster)."""

ENCODING_ERRORS = ("strict", "replace", "ignore")
NORMALIZATIONS = (None, "NFC", "NFKC")
CACHE_VERSION = 1
_CHUNK_TOKENS = 1 << 20  # provisional ids buffered before a write
_CACHE_CHECK_BYTES = 64 << 20  # the free disk space is checked each time the provisional file grows this much
_REMAP_CHUNK = 1 << 22  # tokens per numpy step in pass 2
_PROGRESS_EVERY = 1 << 20  # bytes between progress calls


@lru_cache(maxsize=None)
def _mark_class() -> str:
    """The combining marks (categories Mn, Mc, Me) as the body of a regex character class."""
    ranges: list[tuple[int, int]] = []
    start = None
    for cp in [*range(0x30000), *range(0xE0000, 0xE0200)]:
        if unicodedata.category(chr(cp))[0] == "M":
            if start is None:
                start = cp
        elif start is not None:
            ranges.append((start, cp - 1))
            start = None
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


@lru_cache(maxsize=64)
def _compile(pattern: str) -> re.Pattern:
    if r"\p{M}" in pattern:
        pattern = pattern.replace(r"\p{M}", _mark_class())
    return re.compile(pattern)


@lru_cache(maxsize=64)
def _compile_ascii(pattern: str) -> re.Pattern:
    """The pattern for ASCII-only text: ``\\p{M}`` can match nothing there, so drop it if that stays valid."""
    if r"\p{M}" in pattern:
        try:
            return re.compile(pattern.replace(r"\p{M}", ""))
        except re.error:
            pass
    return _compile(pattern)


@dataclass(frozen=True)
class TokenizerOptions:
    """How lines become tokens. Part of the cache key: change any field and the corpus is re-read."""

    lowercase: bool = field(default=True, metadata={"help": "Lower-case every line before tokenising."})
    token_pattern: str = field(
        default=DEFAULT_TOKEN_PATTERN,
        metadata={"help": "Regex (Python `re`, plus `\\p{M}` for combining marks) whose matches are the tokens."},
    )
    max_line_bytes: int = field(
        default=16 << 20,
        metadata={"help": "Longest line accepted, in bytes; longer lines are an error (or split, see long_lines).",
                  "min": 1024},
    )
    encoding_errors: str = field(
        default="strict",
        metadata={"help": "Invalid UTF-8: 'strict' stops with the line number; 'replace' or 'ignore' go on.",
                  "choices": ENCODING_ERRORS},
    )
    normalize: str | None = field(
        default="NFC",
        metadata={"help": "Unicode normalisation before tokenising (NFC joins accents written as two code points).",
                  "choices": NORMALIZATIONS},
    )
    long_lines: str = field(
        default="error",
        metadata={"help": "A line over max_line_bytes: 'error', or 'split' it at whitespace (for text8-like files).",
                  "choices": ("error", "split")},
    )

    def __post_init__(self):
        if not isinstance(self.max_line_bytes, int) or self.max_line_bytes < 1024:
            raise ValueError(f"max_line_bytes must be an integer >= 1024, got {self.max_line_bytes!r}")
        if self.encoding_errors not in ENCODING_ERRORS:
            raise ValueError(f"unknown encoding_errors {self.encoding_errors!r}; known: {', '.join(ENCODING_ERRORS)}")
        if self.normalize not in NORMALIZATIONS:
            raise ValueError(f"unknown normalize {self.normalize!r}; known: None, NFC, NFKC")
        if self.long_lines not in ("error", "split"):
            raise ValueError(f"long_lines must be 'error' or 'split', got {self.long_lines!r}")
        try:
            _compile(self.token_pattern)
        except re.error as e:
            raise ValueError(f"token_pattern is not a valid regex: {e}") from None

    def tokenize(self, text: str) -> list[str]:
        """The tokens of one decoded line."""
        if self.normalize:
            text = unicodedata.normalize(self.normalize, text)
        if self.lowercase:
            text = text.lower()
        if text.isascii():
            return _compile_ascii(self.token_pattern).findall(text)
        return _compile(self.token_pattern).findall(text)


@dataclass
class Vocabulary:
    """Words sorted by count (descending; ties in order of first appearance) with their counts."""

    words: list[str]
    counts: np.ndarray  # int64, one per word
    total_words: int  # tokens in the corpus before min_count / max_vocab filtering
    word_to_index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.counts = np.asarray(self.counts, dtype=np.int64)
        if self.counts.shape != (len(self.words),):
            raise ValueError(f"{len(self.words)} words but {self.counts.shape} counts")
        if not self.word_to_index:
            self.word_to_index = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.word_to_index

    def index(self, word: str) -> int:
        try:
            return self.word_to_index[word]
        except KeyError:
            raise KeyError(f"{word!r} is not in the vocabulary") from None

    def count(self, word: str) -> int:
        return int(self.counts[self.index(word)])


@dataclass
class Corpus:
    """A tokenised corpus: ``tokens[sentence_starts[i]:sentence_starts[i+1]]`` is sentence ``i``."""

    path: str
    vocab: Vocabulary
    tokens: np.ndarray  # read-only np.memmap of int32 ids into vocab.words
    sentence_starts: np.ndarray  # int64, n_sentences + 1 offsets into tokens
    options: TokenizerOptions
    min_count: int = 5
    max_vocab: int | None = None
    max_sentence_length: int = 10000
    from_cache: bool = False  # True when both passes were skipped
    cache_path: str = ""  # the token file

    @property
    def n_sentences(self) -> int:
        return len(self.sentence_starts) - 1

    @property
    def n_tokens(self) -> int:
        return int(self.tokens.shape[0])

    def sentence(self, i: int) -> np.ndarray:
        return self.tokens[self.sentence_starts[i]: self.sentence_starts[i + 1]]

    def sentences(self) -> Iterator[np.ndarray]:
        """Each sentence as an int32 array (a view into the memmap)."""
        for i in range(self.n_sentences):
            yield self.sentence(i)

    def __repr__(self) -> str:
        return (f"Corpus({self.path!r}: {self.n_tokens:,} tokens in {self.n_sentences:,} sentences, "
                f"{len(self.vocab):,} words)")


# --------------------------------------------------------------------------- reading lines
def _iter_decoded_lines(
    files: list[str], options: TokenizerOptions, progress: Callable[[int, int], None] | None = None,
    root: str | None = None,
) -> Iterator[str]:
    """Every line of every file, decoded and checked, with DataFormatErrors naming file and line."""
    total = sum(os.path.getsize(f) for f in files)
    done_before = 0
    any_content = False
    for fpath in files:
        next_report = 0
        with LineReader(fpath, options.max_line_bytes, options.long_lines) as reader:
            head = bytearray()  # the file's first KiB, for the control-character check
            first_ctrl_line = None
            for line in reader:
                any_content = True
                if reader.line_no == 1 and line.startswith((b"\xff\xfe", b"\xfe\xff")):
                    raise DataFormatError(fpath, 1, "this is UTF-16 text; save it as UTF-8")
                nul = line.find(b"\x00")
                if nul >= 0:
                    raise DataFormatError(
                        fpath, reader.line_no, f"NUL byte at byte {nul + 1} of the line: this is binary data, not text"
                    )
                if len(head) < 1024:
                    head += line[: 1024 - len(head)] + b"\n"
                    if first_ctrl_line is None and control_share(line[:1024]) > 0:
                        first_ctrl_line = reader.line_no
                    if len(head) >= 1024:
                        _check_control(fpath, head, first_ctrl_line)
                try:
                    text = line.decode("utf-8", options.encoding_errors)
                except UnicodeDecodeError as e:
                    raise DataFormatError(
                        fpath, reader.line_no,
                        f"invalid UTF-8 at byte {e.start + 1} of the line ({line[e.start:e.start + 4]!r}); "
                        "save the file as UTF-8, or read it with encoding_errors='replace'",
                    ) from None
                yield text
                if progress is not None:
                    pos = reader.bytes_read()
                    if pos >= next_report:
                        progress(done_before + pos, total)
                        next_report = pos + _PROGRESS_EVERY
            if len(head) < 1024:
                _check_control(fpath, head, first_ctrl_line)
        done_before += os.path.getsize(fpath)
    if progress is not None:
        progress(total, total)
    if not any_content:  # one file: its line 1; a folder of empty files: the folder, no line
        raise DataFormatError(files[0], 1, "the corpus is empty") if len(files) == 1 else \
            DataFormatError(root or files[0], None, "the corpus is empty (every file is empty)")


def _check_control(fpath: str, head: bytes, line: int | None) -> None:
    if head and control_share(bytes(head[:1024])) > CONTROL_SHARE:
        raise DataFormatError(
            fpath, line, "the file's first KiB is mostly control characters: this is binary data, not text"
        )


def _resolve_files(path: str | os.PathLike) -> list[str]:
    files = corpus_files(path)
    if len(files) == 1 and os.path.getsize(files[0]) == 0:
        raise DataFormatError(files[0], 1, "the file is empty")
    if len(files) == 1 and not os.path.isdir(path):
        _refuse_numeric_rows(files[0])
    return files


def _refuse_numeric_rows(path: str) -> None:
    """A file of numbers in rows is a (damaged) vectors or edge-list file, not text to train word2vec on:
    read it as what it resembles, so the error names its bad line; if it reads, say what it is."""
    from embedstudio.data.sniff import numeric_shape

    shape = numeric_shape(path)
    if shape is None:
        return
    try:
        if shape == "edgelist":
            from embedstudio.data.edgelist import read_edgelist

            what = "edge list"
            read_edgelist(path)
        else:
            from embedstudio.data import vectors_io

            what = "vectors file"
            vectors_io.read_vectors(path, vectors_io._format_for_error(path, "corpus"))
    except DataFormatError as e:
        raise DataFormatError(e.path, e.line, f"this looks like a damaged {what}, not a text corpus: {e.reason}") \
            from None
    raise DataFormatError(path, None, f"this is {'an' if what == 'edge list' else 'a'} {what}, not a text corpus")


def iter_sentences(path: str | os.PathLike, options: TokenizerOptions = TokenizerOptions()) -> Iterator[list[str]]:
    """The tokens of each line (empty lists included), tokenised exactly as :func:`read_corpus` does.

    Restartable: each call reads the files again (gensim iterates a corpus once per epoch).
    """
    files = _resolve_files(path)
    for text in _iter_decoded_lines(files, options, root=os.fspath(path)):
        yield options.tokenize(text)


class _RestartableSentences:
    def __init__(self, path, options):
        self.path, self.options = path, options

    def __iter__(self):
        return iter_sentences(self.path, self.options)


def sentences(path: str | os.PathLike, options: TokenizerOptions = TokenizerOptions()) -> _RestartableSentences:
    """An iterable that can be iterated many times (what gensim's Word2Vec wants)."""
    return _RestartableSentences(path, options)


# --------------------------------------------------------------------------- cache
def default_cache_dir() -> str:
    """$EMBEDSTUDIO_CACHE/corpus, else the platform's per-user cache folder + embedstudio/corpus."""
    env = os.environ.get("EMBEDSTUDIO_CACHE")
    if env:
        return os.path.join(env, "corpus")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~")
        return os.path.join(base, "embedstudio", "cache", "corpus")
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~/Library/Caches"), "embedstudio", "corpus")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "embedstudio", "corpus")


def _cache_key(files: list[str], options: TokenizerOptions, min_count: int, max_vocab: int | None,
               max_sentence_length: int) -> str:
    stamp = []
    for f in files:
        st = os.stat(f)
        stamp.append([os.path.abspath(f), st.st_size, st.st_mtime_ns, _fingerprint(f, st.st_size)])
    description = {
        "version": CACHE_VERSION,
        "unicode": unicodedata.unidata_version,
        "files": stamp,
        "options": asdict(options),
        "min_count": min_count,
        "max_vocab": max_vocab,
        "max_sentence_length": max_sentence_length,
    }
    blob = json.dumps(description, sort_keys=True, ensure_ascii=True).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def _fingerprint(path: str, size: int, span: int = 64 * 1024) -> str:
    """A hash of the file's first and last 64 KiB: catches a same-size rewrite within one mtime tick."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            h.update(f.read(span))
            if size > span:
                f.seek(max(span, size - span))
                h.update(f.read(span))
    except OSError:
        return ""
    return h.hexdigest()[:16]


def _atomic_write(path: str, write: Callable) -> None:
    """Call ``write(file)`` on a temp file beside ``path``, then rename it over ``path``."""
    with atomic_write(path) as f:
        write(f)


def _cache_paths(cache_dir: str, key: str) -> dict[str, str]:
    return {
        "tokens": os.path.join(cache_dir, f"{key}.tokens.i32"),
        "starts": os.path.join(cache_dir, f"{key}.starts.npy"),
        "vocab": os.path.join(cache_dir, f"{key}.vocab.json"),
    }


def _load_cached(paths: dict[str, str], key: str):
    """(vocab, tokens, starts) from a complete cache entry, or None (any problem = a miss)."""
    try:
        with open(paths["vocab"], encoding="utf-8") as f:
            meta = json.load(f)
        if not isinstance(meta, dict) or meta.get("key") != key or meta.get("version") != CACHE_VERSION:
            return None
        words, counts = meta["words"], np.asarray(meta["counts"], dtype=np.int64)
        n_tokens, n_sentences = int(meta["n_tokens"]), int(meta["n_sentences"])
        if not isinstance(words, list) or len(words) != len(counts) or not words:
            return None
        if os.path.getsize(paths["tokens"]) != 4 * n_tokens or n_tokens < 1:
            return None
        starts = np.load(paths["starts"], allow_pickle=False)
        if starts.dtype != np.int64 or starts.shape != (n_sentences + 1,) or starts[-1] != n_tokens:
            return None
        tokens = np.memmap(paths["tokens"], dtype="<i4", mode="r", shape=(n_tokens,))
        vocab = Vocabulary([str(w) for w in words], counts, int(meta["total_words"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return vocab, tokens, starts


def _usable_cache_dir(cache_dir: str | os.PathLike | None) -> str:
    wanted = os.fspath(cache_dir) if cache_dir is not None else default_cache_dir()
    try:
        os.makedirs(wanted, exist_ok=True)
        if os.access(wanted, os.W_OK):
            return wanted
    except OSError:
        pass
    if cache_dir is not None:
        raise OSError(f"the corpus cache folder {wanted} cannot be created or written")
    fallback = os.path.join(tempfile.gettempdir(), f"embedstudio-corpus-{os.getuid() if hasattr(os, 'getuid') else 0}")
    os.makedirs(fallback, exist_ok=True)
    return fallback


# --------------------------------------------------------------------------- the two passes
def _pass1(files, options, prov_file, progress, root, cache_dir):
    """Tokenise everything; write provisional ids (first-appearance order) to ``prov_file``.

    Returns (words in first-appearance order, counts int64, tokens per line int64 array).
    """
    index: defaultdict[str, int] = defaultdict()
    index.default_factory = index.__len__  # a new word gets the next id
    lookup = index.__getitem__
    counts = np.zeros(0, dtype=np.int64)
    lengths = array("q")
    buffer: list[str] = []
    tokenize = _compile(options.token_pattern).findall
    tokenize_ascii = _compile_ascii(options.token_pattern).findall
    norm, lower = options.normalize, options.lowercase

    def flush():
        nonlocal counts
        ids = np.fromiter(map(lookup, buffer), dtype=np.int32, count=len(buffer))
        # the token cache written in pass 2 is as large as this provisional file: both must fit on the disk
        written = prov_file.tell()
        if written // _CACHE_CHECK_BYTES != (written + 4 * len(ids)) // _CACHE_CHECK_BYTES:
            check_disk(cache_dir, written + 8 * len(ids), root, None, "the corpus cache")
        prov_file.write(ids.tobytes())
        if len(counts) < len(index):
            # the vocabulary: a dict entry, a str and its count (about 120 bytes a word)
            check_reading(120 * len(index), root, None, f"a vocabulary of {len(index):,} words")
            counts = np.concatenate([counts, np.zeros(len(index) - len(counts) + (len(index) >> 2), np.int64)])
        counts[: len(index)] += np.bincount(ids, minlength=len(index))[: len(index)]
        buffer.clear()

    for text in _iter_decoded_lines(files, options, progress, root):
        if norm:
            text = unicodedata.normalize(norm, text)
        if lower:
            text = text.lower()
        toks = tokenize_ascii(text) if text.isascii() else tokenize(text)
        lengths.append(len(toks))
        if toks:
            buffer.extend(toks)
            if len(buffer) >= _CHUNK_TOKENS:
                flush()
    if buffer:
        flush()
    return list(index), counts[: len(index)], np.frombuffer(lengths, dtype=np.int64) if lengths else np.zeros(0, np.int64)


def _build_vocab(path, words, counts, min_count, max_vocab) -> tuple[Vocabulary, np.ndarray]:
    """The vocabulary and the provisional-id -> final-id map (-1 = dropped)."""
    total = int(counts.sum())
    if total == 0:
        raise DataFormatError(path, 1 if os.path.isfile(path) else None,
                              "the corpus holds no tokens (no line has a word the tokenizer accepts)")
    order = np.argsort(-counts, kind="stable")  # ties keep first-appearance order
    order = order[counts[order] >= min_count]
    if max_vocab is not None:
        order = order[:max_vocab]
    if len(order) == 0:
        best = int(np.argmax(counts))
        raise DataFormatError(
            path, None,
            f"no word occurs at least min_count={min_count} times (the most frequent, {words[best]!r}, "
            f"occurs {int(counts[best])} times in {total:,} tokens); lower min_count",
        )
    remap = np.full(len(words), -1, dtype=np.int32)
    remap[order] = np.arange(len(order), dtype=np.int32)
    vocab = Vocabulary([words[i] for i in order], counts[order], total)
    return vocab, remap


def _pass2(prov_path, n_prov, remap, line_lengths, out_file, max_sentence_length) -> np.ndarray:
    """Map provisional ids, drop OOV tokens, write the result; return the sentence starts."""
    prov_starts = np.zeros(len(line_lengths) + 1, dtype=np.int64)
    np.cumsum(line_lengths, out=prov_starts[1:])
    new_starts = np.empty_like(prov_starts)
    carry = 0
    lo = 0
    if n_prov:
        prov = np.memmap(prov_path, dtype="<i4", mode="r", shape=(n_prov,))
        for a in range(0, n_prov, _REMAP_CHUNK):
            b = min(a + _REMAP_CHUNK, n_prov)
            new = remap[prov[a:b]]
            keep = new >= 0
            out_file.write(new[keep].astype("<i4", copy=False).tobytes())
            cum = np.zeros(b - a + 1, dtype=np.int64)
            np.cumsum(keep, out=cum[1:])
            hi = int(np.searchsorted(prov_starts, b, side="left"))
            new_starts[lo:hi] = carry + cum[prov_starts[lo:hi] - a]
            carry += int(cum[-1])
            lo = hi
        del prov
    new_starts[lo:] = carry
    # Drop sentences left empty, then cut long ones into pieces of at most max_sentence_length.
    lengths = np.diff(new_starts)
    nonempty = lengths > 0
    starts, lengths = new_starts[:-1][nonempty], lengths[nonempty]
    pieces = (lengths + max_sentence_length - 1) // max_sentence_length
    first_piece = np.repeat(np.cumsum(pieces) - pieces, pieces)
    out = np.repeat(starts, pieces) + (np.arange(int(pieces.sum()), dtype=np.int64) - first_piece) * max_sentence_length
    return np.append(out, np.int64(carry))


def read_corpus(
    path: str | os.PathLike,
    min_count: int = 5,
    max_vocab: int | None = None,
    options: TokenizerOptions = TokenizerOptions(),
    cache_dir: str | os.PathLike | None = None,
    progress: Callable[[int, int], None] | None = None,
    max_sentence_length: int = 10000,
) -> Corpus:
    """Tokenise a corpus file or folder into a vocabulary and a cached int32 token stream.

    ``progress(bytes_done, bytes_total)`` is called now and then during the tokenising pass (bytes
    of the files on disk); an exception it raises (e.g. to cancel) propagates and leaves no partial
    cache behind. Bad input raises DataFormatError naming the file and, where one applies, the line.
    """
    if not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
    if max_vocab is not None and (not isinstance(max_vocab, (int, np.integer)) or max_vocab < 1):
        raise ValueError(f"max_vocab must be None or an integer >= 1, got {max_vocab!r}")
    if not isinstance(max_sentence_length, (int, np.integer)) or max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be an integer >= 1, got {max_sentence_length!r}")
    if not isinstance(options, TokenizerOptions):
        raise TypeError("options must be a TokenizerOptions")
    min_count, max_sentence_length = int(min_count), int(max_sentence_length)
    max_vocab = None if max_vocab is None else int(max_vocab)
    path = os.fspath(path)
    files = _resolve_files(path)
    directory = _usable_cache_dir(cache_dir)
    key = _cache_key(files, options, min_count, max_vocab, max_sentence_length)
    paths = _cache_paths(directory, key)
    settings = dict(path=path, options=options, min_count=min_count, max_vocab=max_vocab,
                    max_sentence_length=max_sentence_length, cache_path=paths["tokens"])

    cached = _load_cached(paths, key)
    if cached is not None:
        vocab, tokens, starts = cached
        if progress is not None:
            total = sum(os.path.getsize(f) for f in files)
            progress(total, total)
        return Corpus(vocab=vocab, tokens=tokens, sentence_starts=starts, from_cache=True, **settings)

    fd, prov_path = tempfile.mkstemp(prefix=f"{key}.", suffix=".pass1.tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as prov_file:
            words, counts, line_lengths = _pass1(files, options, prov_file, progress, path, directory)
        n_prov = int(line_lengths.sum())
        vocab, remap = _build_vocab(path, words, counts, min_count, max_vocab)
        del words, counts
        starts_box = []
        _atomic_write(paths["tokens"], lambda f: starts_box.append(
            _pass2(prov_path, n_prov, remap, line_lengths, f, max_sentence_length)))
    finally:
        os.remove(prov_path)
    starts = starts_box[0]
    _atomic_write(paths["starts"], lambda f: np.save(f, starts, allow_pickle=False))
    meta = {
        "version": CACHE_VERSION,
        "key": key,
        "files": [os.path.abspath(f) for f in files],
        "options": asdict(options),
        "min_count": min_count,
        "max_vocab": max_vocab,
        "max_sentence_length": max_sentence_length,
        "n_tokens": int(starts[-1]),
        "n_sentences": len(starts) - 1,
        "total_words": vocab.total_words,
        "words": vocab.words,
        "counts": vocab.counts.tolist(),
    }
    _atomic_write(paths["vocab"], lambda f: f.write(json.dumps(meta, ensure_ascii=False).encode("utf-8")))
    tokens = np.memmap(paths["tokens"], dtype="<i4", mode="r", shape=(int(starts[-1]),))
    return Corpus(vocab=vocab, tokens=tokens, sentence_starts=starts, from_cache=False, **settings)
