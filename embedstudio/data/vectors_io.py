"""Read and write word vectors: word2vec text/binary, GloVe, fastText .vec, Projector TSV, our own.

=================  ===========================================================================
format name        layout
=================  ===========================================================================
word2vec-text      ``count dim`` header line, then ``word v1 ... vdim`` per line
fasttext-vec       the same layout (fastText's ``.vec``); a separate name so exports keep it
word2vec-binary    ``count dim`` header line, then per vector: the word's UTF-8 bytes, a space,
                   dim little-endian float32 (the C tool adds a newline; gensim does not)
glove              ``word v1 ... vdim`` per line, no header
projector-tsv      TensorBoard Projector: tab-separated floats per line, no keys; the keys (and
                   more columns) in a metadata TSV, with a header row only when it has more than
                   one column
embedstudio        the project's own zip (``Embedding.save`` / ``Embedding.load``)
=================  ===========================================================================

All inputs may be gzip- or bzip2-compressed (recognised by magic bytes); writers compress when the
target name ends in ``.gz`` or ``.bz2``. Every reader raises only ``DataFormatError`` for a bad
file, with the 1-based line (text) or record number (binary) where one applies. Reads are bounded:
a line may not exceed ``row_limit(dim)`` bytes, a word in a binary file 64 KiB, and a header's
count never allocates more rows than the file can hold. Writers are atomic (temp file, then
``os.replace``).

Rows that would silently poison every distance, map and audit are refused with their line (record,
row) and key: a vector holding NaN or ±inf (a text value beyond float32's range reads as ±inf), and a
key that repeats an earlier one (``index(key)`` would reach only the first). ``bad_rows="drop"`` (the
CLI's ``--drop-bad-rows``, the window's "Load the rest") skips such rows instead, keeping a key's first
row, and lists what it dropped in ``info["dropped_rows"]``.

Text values are written as ``%.9g``: nine significant digits always bring back the same float32,
whether parsed straight to float32 or (as numpy, gensim and this module do) to float64 first —
a 9-digit decimal lies far from any float32 rounding midpoint, so no double rounding can occur.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from embedstudio.data import sniff
from embedstudio.data.binary_scan import scan_text_rows
from embedstudio.data.errors import DataFormatError
from embedstudio.data.vector_rows import Rows, check_dim, file_size, initial_capacity, row_limit
from embedstudio.data.word2vec_binary import HEADER_LIMIT, read_word2vec_binary
from embedstudio.data.sniff import LineReader, is_number, parse_header
from embedstudio.storage import atomic_write
from embedstudio.vectors import Embedding

__all__ = ["VECTOR_FORMATS", "VectorFormat", "BadRowsError", "read_vectors", "write_vectors",
           "default_metadata_path", "format_for_path", "dropped_summary"]

# The format a file name asks for when none is given (exports from the CLI and the app).
EXTENSION_FORMATS = {
    ".npz": "embedstudio",
    ".bin": "word2vec-binary",
    ".txt": "word2vec-text",
    ".vec": "fasttext-vec",
    ".tsv": "projector-tsv",
}


def format_for_path(path: str | os.PathLike, explicit: str | None = None) -> str:
    """``explicit`` if given, else the format the file's extension names (before a .gz or .bz2, which the
    writers compress by); ValueError if none does."""
    if explicit:
        return explicit
    stem = os.fspath(path)
    if stem.lower().endswith((".gz", ".bz2")):
        stem = stem.rsplit(".", 1)[0]
    suffix = os.path.splitext(stem)[1].lower()
    if suffix not in EXTENSION_FORMATS:
        raise ValueError(f"cannot tell the output format from {os.fspath(path)!r}; give a format "
                         f"({', '.join(sorted(set(EXTENSION_FORMATS.values())))})")
    return EXTENSION_FORMATS[suffix]

ENCODING_ERRORS = ("strict", "replace", "ignore")
BAD_ROWS = ("error", "drop")
_FIRST_LINE = {"word2vec-text": 2, "fasttext-vec": 2}  # the line of row 0 (after the header); others: 1
_ROW_WORD = {"word2vec-binary": "record", "embedstudio": "row"}  # what a position is called; others: line
_DROP_HINT = "such rows can be dropped and the rest opened"


class BadRowsError(DataFormatError):
    """A row that would poison the vectors (NaN, ±inf) or a key that repeats: the file may be opened with
    ``bad_rows="drop"`` to skip such rows."""
_FIRST_ROW_LIMIT = 16 << 20  # the first row of a headerless file, before its dimension is known
_BLOCK_LINES = 4096  # text rows parsed per numpy call
_TEXT_VALUE_FORMAT = "%.9g"
_BAD_KEY_CHARS = re.compile(r"[ \t\n\r\x0b\x0c]")
_BAD_TSV_CHARS = re.compile(r"[\t\n\r]")


# --------------------------------------------------------------------------- text formats
def _decode_word(path: str, line: int, word: bytes, errors: str, what: str = "line") -> str:
    if b"\x00" in word:
        raise DataFormatError(path, line, "the word contains NUL bytes: this is binary data, not text")
    try:
        return word.decode("utf-8", errors)
    except UnicodeDecodeError as e:
        raise DataFormatError(
            path, line,
            f"invalid UTF-8 in the word at byte {e.start + 1} ({word[e.start:e.start + 4]!r}); "
            "read with encoding_errors='replace' to accept it",
        ) from None


def _parse_rows_slow(path, lines, first_line, dim, keyed, spaced_words, errors, hint):
    """Line-by-line parse that names the first bad line (the reference for the fast path)."""
    keys: list[str] = []
    out = np.empty((len(lines), dim), dtype=np.float64)
    for i, line in enumerate(lines):
        ln = first_line + i
        nul = line.find(b"\x00")
        if nul >= 0:
            raise DataFormatError(path, ln, f"NUL byte at byte {nul + 1} of the line: this is binary data, not text")
        parts = line.split()
        values = parts[1:] if keyed else parts
        word = parts[0] if keyed else b""
        if len(values) != dim:
            extra = len(parts) - dim
            if (keyed and spaced_words and len(values) > dim
                    and not all(is_number(p) for p in parts[1:extra])):
                # GloVe 840B has a few words with spaces in them: the last dim fields are the vector.
                word, values = b" ".join(parts[:extra]), parts[extra:]
            else:
                what = "numbers after the word" if keyed else "tab-separated numbers"
                raise DataFormatError(path, ln, f"expected {dim} {what}, found {len(values)}{hint}")
        for j, v in enumerate(values):
            if not is_number(v):
                raise DataFormatError(path, ln, f"value {j + 1} ({v[:24].decode('utf-8', 'replace')!r}) is not a number")
        out[i] = [float(v) for v in values]
        if keyed:
            keys.append(_decode_word(path, ln, word, errors))
    return keys, out


def _parse_rows(path, lines, first_line, dim, keyed, spaced_words, errors, hint):
    """(keys, float32 rows, their lengths) of a block of lines: the numba scan takes the lines it can read
    exactly, the rest go through :func:`_parse_numpy`."""
    blob = b"\n".join(lines) + b"\n"
    values = np.empty((len(lines), dim), dtype=np.float32)
    norms = np.empty(len(lines), dtype=np.float32)
    words = np.empty(len(blob) + 1, dtype=np.uint8)
    done, used = scan_text_rows(np.frombuffer(blob, dtype=np.uint8), dim, keyed, values, norms, words)
    keys: list[str] = []
    if keyed and done:
        joined = words[:used].tobytes()
        try:
            keys = joined.decode("utf-8", errors).split("\x00")[:-1]
        except UnicodeDecodeError:  # name the line: decode the words one by one
            keys = [_decode_word(path, first_line + i, word, errors) for i, word in enumerate(joined.split(b"\x00")[:-1])]
    if done < len(lines):
        more_keys, more = _parse_numpy(path, lines[done:], first_line + done, dim, keyed, spaced_words, errors, hint)
        keys.extend(more_keys)
        values[done:] = more
        norms[done:] = np.sqrt(np.einsum("ij,ij->i", values[done:], values[done:], dtype=np.float64))
    return keys, values, norms


def _parse_numpy(path, lines, first_line, dim, keyed, spaced_words, errors, hint):
    """(keys, float32 rows) of a block of lines; numpy's C parser first, the slow path on any doubt."""
    values64 = None
    words: list[bytes] = []
    if keyed:
        splits = [line.split(None, 1) for line in lines]
        if all(len(s) == 2 for s in splits):
            words = [s[0] for s in splits]
            rests = [s[1] for s in splits]
        else:
            rests = None
    else:
        rests = lines
    if rests is not None:
        blob = b"\n".join(rests)
        if b"\x00" not in blob:
            try:
                parsed = np.loadtxt(io.StringIO(blob.decode("ascii")), dtype=np.float64, comments=None,
                                    quotechar=None, ndmin=2)
                # loadtxt skips blank lines and accepts a few spellings is_number() rejects: check both.
                if parsed.shape == (len(lines), dim) and b"_" not in blob:
                    values64 = parsed
            except ValueError:
                pass
    if values64 is None:
        keys, values64 = _parse_rows_slow(path, lines, first_line, dim, keyed, spaced_words, errors, hint)
    else:
        keys = [_decode_word(path, first_line + i, w, errors) for i, w in enumerate(words)] if keyed else []
    with np.errstate(over="ignore"):
        return keys, values64.astype(np.float32)


def _read_text(path: str, *, header: bool, keyed: bool, spaced_words: bool, limit: int | None,
               errors: str) -> tuple[list[str], np.ndarray]:
    keys: list[str] = []
    count = None
    sniff.check_text_start(path)  # UTF-16 or binary data is named as such, not as a bad first row
    with LineReader(path, HEADER_LIMIT if header else _FIRST_ROW_LIMIT) as reader:
        if header:
            line = reader.readline()
            if line is None:
                raise DataFormatError(path, 1, "the file is empty")
            parsed = parse_header(line)
            if parsed is None:
                _reject_binary(path, 1, line)
                raise DataFormatError(
                    path, 1,
                    f"the first line should be the header 'count dimension', got {line[:60].decode('utf-8', 'replace')!r}"
                    " (a file without a header is 'glove')",
                )
            count, dim = parsed
            if count < 1:
                raise DataFormatError(path, 1, "the header declares no vectors")
            check_dim(path, 1, dim, file_size(path), 2 * dim + 2)
            reader.max_line_bytes = row_limit(dim)
        else:
            dim = None
        wanted = count if limit is None else (limit if count is None else min(count, limit))
        rows: Rows | None = None
        block: list[bytes] = []
        block_first = 0
        blank_line = None
        header_hint = ""
        if header:
            header_hint = f" (the header on line 1 says dimension {dim})"

        def flush():
            nonlocal rows
            k, v, lengths = _parse_rows(path, block, block_first, dim, keyed, spaced_words, errors, header_hint)
            if rows is None:
                size = file_size(path)
                avg = max(1, sum(map(len, block)) // len(block))
                est = size // avg + 16 if size is not None and count is None else None
                capacity = initial_capacity(dim, wanted, size, 2 * dim + 2)
                if est is not None:
                    capacity = (min(capacity[0], int(est * 1.05) + 16), capacity[1])
                rows = Rows(dim, capacity, wanted, path, block_first)
            rows.add(v, block_first, lengths)
            keys.extend(k)
            block.clear()

        n_read = 0
        for line in reader:
            if not line.strip():
                blank_line = blank_line or reader.line_no
                continue
            if blank_line is not None:
                raise DataFormatError(path, blank_line, "empty line in the middle of the file")
            if count is not None and n_read >= count:
                raise DataFormatError(
                    path, reader.line_no,
                    f"more rows than the {count} the header (line 1) declares: is the header's count wrong?",
                )
            if dim is None:
                _reject_binary(path, reader.line_no, line)
                parts = line.split()
                dim = len(parts) - (1 if keyed else 0)
                if dim < 1:
                    raise DataFormatError(path, reader.line_no, "no numbers after the word")
                check_dim(path, reader.line_no, dim, None, 0)
                reader.max_line_bytes = row_limit(dim)
                header_hint = f" (the first row has {dim})"
                if keyed and parse_header(line) is not None:
                    header_hint += "; the first line looks like a word2vec header: read the file as 'word2vec-text'"
            if not block:
                block_first = reader.line_no
            block.append(line)
            n_read += 1
            if len(block) >= _BLOCK_LINES:
                flush()
            if limit is not None and n_read >= limit:
                break
        if block:
            flush()
        if count is not None and n_read < wanted:
            raise DataFormatError(
                path, n_read + 2,  # rows follow the header without gaps (blank lines are errors)
                f"the file ends after {n_read} vectors but the header (line 1) declares {count}: "
                "the file is truncated or the header's count is wrong",
            )
    if rows is None or rows.n == 0:
        raise DataFormatError(path, 1, "the file is empty" if dim is None else "the file holds no vectors")
    return keys, rows.result()


def _reject_binary(path: str, line_no: int, line: bytes) -> None:
    nul = line.find(b"\x00")
    if nul >= 0:
        raise DataFormatError(path, line_no, f"NUL byte at byte {nul + 1} of the line: this is binary data, not text")


# --------------------------------------------------------------------------- projector TSV
def default_metadata_path(vectors_path: str | os.PathLike) -> str:
    """The metadata TSV that goes with a Projector vectors TSV.

    "vectors.tsv" / "tensors.tsv" / gensim's word2vec2tensor "X_tensor.tsv" (any name containing one of
    the words) -> the name with that word replaced by "metadata"; any other "X.tsv" -> "X_metadata.tsv".
    """
    vectors_path = os.fspath(vectors_path)
    folder, name = os.path.split(vectors_path)
    for word in ("vectors", "tensors", "tensor"):
        i = name.lower().rfind(word)
        if i >= 0:
            return os.path.join(folder, name[:i] + "metadata" + name[i + len(word):])
    stem = name[:-4] if name.lower().endswith(".tsv") else name
    return os.path.join(folder, stem + "_metadata.tsv")


def _read_metadata(path: str, n_rows: int, errors: str, limit: int | None):
    """(keys, {column: values}, key column name or None) from a Projector metadata TSV."""
    names: list[str] | None = None
    values: list[list[str]] = []
    blank_tail: int | None = None
    wanted = n_rows if limit is None else min(n_rows, limit)
    with LineReader(path, _FIRST_ROW_LIMIT) as reader:
        for raw in reader:
            line = raw[:-1] if raw.endswith(b"\r") else raw
            ln = reader.line_no
            nul = line.find(b"\x00")
            if nul >= 0:
                raise DataFormatError(path, ln, f"NUL byte at byte {nul + 1} of the line: this is binary data, not text")
            try:
                text = line.decode("utf-8", errors)
            except UnicodeDecodeError as e:
                raise DataFormatError(path, ln, f"invalid UTF-8 at byte {e.start + 1} of the line; "
                                      "read with encoding_errors='replace' to accept it") from None
            fields = text.split("\t")
            if ln == 1 and len(fields) > 1:
                names = fields  # more than one column: the first row is the header (Projector convention)
                continue
            n_done = len(values[0]) if values else 0
            if n_done >= wanted:
                if limit is not None:
                    break
                if not text.strip():
                    blank_tail = blank_tail or ln
                    continue
                raise DataFormatError(path, ln, f"more rows than the {n_rows} vectors of the vectors file")
            width = len(names) if names else 1
            if len(fields) != width:
                raise DataFormatError(path, ln, f"expected {width} tab-separated fields (as in the header), found {len(fields)}")
            if not values:
                values = [[] for _ in range(width)]
            for col, v in zip(values, fields):
                col.append(v)
        n_done = len(values[0]) if values else 0
        if n_done < wanted:
            raise DataFormatError(
                path, reader.line_no + 1,
                f"the metadata ends after {n_done} rows but the vectors file has {n_rows} vectors",
            )
    if names is None:
        return values[0], {}, None
    return values[0], {name: col for name, col in zip(names[1:], values[1:])}, names[0]


def _read_projector(path: str, limit: int | None, errors: str, metadata_path: str | None) -> Embedding:
    _, (vectors, norms) = _read_text(path, header=False, keyed=False, spaced_words=False, limit=limit,
                                     errors=errors)
    info = {}
    if metadata_path is None:
        guess = default_metadata_path(path)
        metadata_path = guess if os.path.isfile(guess) and os.path.abspath(guess) != os.path.abspath(path) else None
    if metadata_path is None:
        keys, metadata = [str(i) for i in range(len(vectors))], {}
    else:
        metadata_path = os.fspath(metadata_path)
        keys, metadata, key_column = _read_metadata(metadata_path, len(vectors), errors, limit)
        info["metadata_path"] = os.path.abspath(metadata_path)
        if key_column is not None:
            info["projector_key_column"] = key_column
    return Embedding(keys, vectors, metadata=metadata, info=info, norms=norms)


# --------------------------------------------------------------------------- writers
def _check_keys(emb: Embedding, pattern: re.Pattern, fmt: str, allowed: str) -> None:
    for k in emb.keys:
        if not k or pattern.search(k):
            raise ValueError(f"{fmt} cannot store the key {k!r}: keys must be non-empty, without {allowed}")


def _write_text(emb: Embedding, path: str, header: bool, sep: str = " ", keyed: bool = True) -> None:
    row_format = sep.join([_TEXT_VALUE_FORMAT] * emb.dim)
    with atomic_write(path, compress_by_suffix=True) as f:
        if header:
            f.write(f"{len(emb)} {emb.dim}\n".encode())
        for a in range(0, len(emb), 1024):
            rows = emb.vectors[a: a + 1024].tolist()
            if keyed:
                text = "".join(f"{k} {row_format % tuple(r)}\n" for k, r in zip(emb.keys[a: a + 1024], rows))
            else:
                text = "".join(f"{row_format % tuple(r)}\n" for r in rows)
            f.write(text.encode("utf-8"))


def _write_word2vec_binary(emb: Embedding, path: str) -> None:
    vectors = emb.vectors.astype("<f4", copy=False)
    with atomic_write(path, compress_by_suffix=True) as f:
        f.write(f"{len(emb)} {emb.dim}\n".encode())
        for a in range(0, len(emb), 4096):
            f.write(b"".join(k.encode("utf-8") + b" " + row.tobytes() + b"\n"
                             for k, row in zip(emb.keys[a: a + 4096], vectors[a: a + 4096])))


def _write_projector(emb: Embedding, path: str, metadata_path: str | None) -> None:
    metadata_path = os.fspath(metadata_path) if metadata_path is not None else default_metadata_path(path)
    cells = [(None, emb.keys), *((name, [name, *col]) for name, col in emb.metadata.items())]
    for name, col in cells:
        for v in col:
            if _BAD_TSV_CHARS.search(v):
                where = "a key" if name is None else f"metadata column {name!r}"
                raise ValueError(f"projector-tsv cannot store {v!r} ({where}): no tabs or line breaks allowed")
    _write_text(emb, path, header=False, sep="\t", keyed=False)
    with atomic_write(metadata_path, compress_by_suffix=True) as f:
        if emb.metadata:
            columns = [emb.keys, *emb.metadata.values()]
            names = [str(emb.info.get("projector_key_column", "key")), *emb.metadata]
            f.write(("\t".join(names) + "\n").encode("utf-8"))
            for a in range(0, len(emb), 4096):
                f.write("".join("\t".join(row) + "\n" for row in zip(*(c[a: a + 4096] for c in columns))).encode("utf-8"))
        else:
            for a in range(0, len(emb), 4096):
                f.write("".join(k + "\n" for k in emb.keys[a: a + 4096]).encode("utf-8"))


# --------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class VectorFormat:
    name: str
    description: str
    extensions: tuple[str, ...]
    read: Callable[..., Embedding]  # (path, limit, errors, metadata_path) -> Embedding
    write: Callable[..., None]  # (embedding, path, metadata_path) -> None


def _text_reader(header: bool, spaced_words: bool):
    def read(path, limit, errors, metadata_path):
        keys, (vectors, norms) = _read_text(path, header=header, keyed=True, spaced_words=spaced_words, limit=limit,
                                            errors=errors)
        return Embedding(keys, vectors, norms=norms)
    return read


def _binary_embedding(keys, vectors_and_norms):
    vectors, norms = vectors_and_norms
    return Embedding(keys, vectors, norms=norms)


def _text_writer(header: bool, fmt: str):
    def write(emb, path, metadata_path):
        _check_keys(emb, _BAD_KEY_CHARS, fmt, "spaces, tabs or line breaks")
        _write_text(emb, path, header=header)
    return write


def _binary_writer(emb, path, metadata_path):
    _check_keys(emb, _BAD_KEY_CHARS, "word2vec-binary", "spaces, tabs or line breaks")
    _write_word2vec_binary(emb, path)


def _read_embedstudio(path, limit, errors, metadata_path):
    if os.path.isfile(path) and os.path.getsize(path) == 0:
        raise DataFormatError(path, 1, "the file is empty")
    try:
        emb = Embedding.load(path)
    except DataFormatError:
        raise
    except MemoryError:
        raise DataFormatError(path, None, "the file declares arrays too large for memory (damaged file?)") from None
    except (NotImplementedError, RuntimeError, LookupError, EOFError, OSError, ValueError, TypeError,
            AttributeError, zlib.error, struct.error) as e:
        # zipfile raises some of these for damaged or unusual archives (Embedding.load lets them through).
        raise DataFormatError(path, None, f"cannot read the embedding file: {type(e).__name__}: {e}") from None
    return emb if limit is None or limit >= len(emb) else emb.restrict(limit)


VECTOR_FORMATS: dict[str, VectorFormat] = {
    f.name: f
    for f in [
        VectorFormat("word2vec-text", "word2vec text: 'count dim' header, then 'word v1 ... vd' per line",
                     (".txt",), _text_reader(True, False), _text_writer(True, "word2vec-text")),
        VectorFormat("word2vec-binary", "word2vec binary: 'count dim' header, then word, space, float32 values",
                     (".bin",), lambda p, l, e, m: _binary_embedding(*read_word2vec_binary(p, l, e)), _binary_writer),
        VectorFormat("fasttext-vec", "fastText .vec (the word2vec text layout)",
                     (".vec",), _text_reader(True, False), _text_writer(True, "fasttext-vec")),
        VectorFormat("glove", "GloVe text: 'word v1 ... vd' per line, no header",
                     (".txt",), _text_reader(False, True), _text_writer(False, "glove")),
        VectorFormat("projector-tsv", "TensorBoard Projector: vectors TSV + metadata TSV",
                     (".tsv",), lambda p, l, e, m: _read_projector(p, l, e, m),
                     lambda emb, p, m: _write_projector(emb, p, m)),
        VectorFormat("embedstudio", "EmbedStudio embedding (zip of header.json + vectors.npy)",
                     (".embedding", ".zip"), _read_embedstudio, lambda emb, p, m: emb.save(p)),
    ]
}


def _lookup(fmt: str) -> VectorFormat:
    try:
        return VECTOR_FORMATS[fmt]
    except (KeyError, TypeError):
        raise ValueError(f"unknown vector format {fmt!r}; known: {', '.join(VECTOR_FORMATS)}") from None


def _format_for_error(path: str, sniffed: str) -> str:
    """Sniffing saw no vector format: pick the one the file seems to attempt, to report its first bad line."""
    try:
        head, complete = sniff.read_head(path)
    except DataFormatError:
        raise
    sample = sniff.Sample(path, head=head, complete=complete)
    lines = sample.lines() or [sample.partial_line()]
    if sample.text_problem() is None and lines:
        first = lines[0].split()
        if parse_header(lines[0]) is not None:
            return "word2vec-text"
        if b"\t" in lines[0] and all(is_number(f) for f in lines[0].split(b"\t") if f.strip()):
            return "projector-tsv"
        if len(first) >= 2 and all(is_number(f) for f in first[1:]):
            return "glove"
    kind = "text corpus" if sniffed == "corpus" else f"{sniffed} file"
    raise DataFormatError(path, None, f"this looks like a {kind}, not word vectors")


def read_vectors(
    path: str | os.PathLike,
    format: str | None = None,
    limit: int | None = None,
    metadata_path: str | os.PathLike | None = None,
    encoding_errors: str = "strict",
    bad_rows: str = "error",
) -> Embedding:
    """Read an embedding; ``format=None`` sniffs it. ``limit`` keeps the first ``limit`` vectors.

    ``metadata_path`` (projector-tsv only) defaults to :func:`default_metadata_path` when that file
    exists; without metadata the keys are the row numbers "0", "1", ...
    ``encoding_errors`` ("strict", "replace", "ignore") applies to words that are not valid UTF-8.
    ``bad_rows``: "error" refuses a row with NaN or ±inf and a repeated key (a BadRowsError naming its
    line); "drop" skips them (a key's first row stays) and lists them in ``info["dropped_rows"]``.
    """
    path = os.fspath(path)
    if format is not None:
        spec = _lookup(format)
    if limit is not None and (not isinstance(limit, (int, np.integer)) or limit < 1):
        raise ValueError(f"limit must be None or an integer >= 1, got {limit!r}")
    if encoding_errors not in ENCODING_ERRORS:
        raise ValueError(f"unknown encoding_errors {encoding_errors!r}; known: {', '.join(ENCODING_ERRORS)}")
    if bad_rows not in BAD_ROWS:
        raise ValueError(f"unknown bad_rows {bad_rows!r}; known: {', '.join(BAD_ROWS)}")
    if format is None:
        sniffed = sniff.detect(path)
        format = sniffed if sniffed in VECTOR_FORMATS else _format_for_error(path, sniffed)
        spec = VECTOR_FORMATS[format]
    if metadata_path is not None and format != "projector-tsv":
        raise ValueError(f"metadata_path is only used by projector-tsv, not {format}")
    if not os.path.exists(path):
        raise DataFormatError(path, None, "no such file")
    if os.path.isdir(path):
        raise DataFormatError(path, None, "this is a folder, not a vectors file")
    emb = spec.read(path, None if limit is None else int(limit), encoding_errors,
                    None if metadata_path is None else os.fspath(metadata_path))
    emb = _check_rows(emb, path, format, bad_rows)
    emb.info.setdefault("source", os.path.abspath(path))
    emb.info.setdefault("source_format", format)
    return emb


def _nonfinite_rows(vectors: np.ndarray, block: int = 1 << 16) -> np.ndarray:
    """Rows holding NaN or ±inf, checked a block at a time (no full-size temporary)."""
    bad = [start + np.flatnonzero(~np.isfinite(vectors[start: start + block]).all(axis=1))
           for start in range(0, len(vectors), block)]
    return np.concatenate(bad) if bad else np.zeros(0, np.int64)


def _check_rows(emb: Embedding, path: str, fmt: str, bad_rows: str) -> Embedding:
    """Refuse (or with "drop", skip) rows with NaN/±inf and keys that repeat; see :func:`read_vectors`."""
    nonfinite = _nonfinite_rows(emb.vectors)
    repeats = len(emb.key_to_index) != len(emb.keys)
    if not len(nonfinite) and not repeats:
        return emb
    word = _ROW_WORD.get(fmt, "line")
    first = _FIRST_LINE.get(fmt, 1)
    key_path, key_first = path, first
    if fmt == "projector-tsv" and emb.info.get("metadata_path"):  # keys come from the metadata file
        key_path, key_first = emb.info["metadata_path"], 2 if "projector_key_column" in emb.info else 1
    problems: list[tuple[int, str, str, int, str]] = []  # (row, key, file, its line there, reason)
    for row in nonfinite.tolist():
        values = emb.vectors[row]
        j = int(np.flatnonzero(~np.isfinite(values))[0])
        what = "NaN" if np.isnan(values[j]) else "infinity (a number beyond float32's range reads so)"
        problems.append((row, emb.keys[row], path, row + first,
                         f"the vector of {emb.keys[row]!r} holds {what} at value {j + 1} of {emb.dim}"))
    if repeats:
        for row, key in enumerate(emb.keys):
            earlier = emb.key_to_index[key]
            if earlier != row:
                problems.append((row, key, key_path, row + key_first,
                                 f"the key {key!r} appears again (first on {word} {earlier + key_first})"))
    problems.sort()
    if bad_rows == "error":
        _row, _key, where, line, reason = problems[0]
        more = f" ({len(problems):,} bad rows in all)" if len(problems) > 1 else ""
        prefix = f"{word} {line}: " if word != "line" else ""  # DataFormatError says "line": name records so
        raise BadRowsError(where, line, f"{prefix}{reason}{more}; {_DROP_HINT}")
    keep = np.ones(len(emb), dtype=bool)
    keep[[row for row, *_ in problems]] = False
    kept = emb.subset(np.flatnonzero(keep))
    kept.info = dict(emb.info)
    kept.info["dropped_rows"] = [{"key": key, "file": where, word: line, "reason": reason}
                                 for _row, key, where, line, reason in problems]
    return kept


def dropped_summary(emb: Embedding, shown: int = 5) -> str:
    """One line on the rows ``bad_rows="drop"`` skipped ("" when none were)."""
    dropped = emb.info.get("dropped_rows") or []
    if not dropped:
        return ""
    names = ", ".join(repr(d["key"]) for d in dropped[:shown]) + (", …" if len(dropped) > shown else "")
    return f"dropped {len(dropped):,} bad rows (NaN or infinite values, or repeated keys): {names}"


def write_vectors(
    embedding: Embedding, path: str | os.PathLike, format: str, metadata_path: str | os.PathLike | None = None
) -> None:
    """Write ``embedding`` as ``format`` (atomically). Counts are not stored by the word2vec formats.

    projector-tsv also writes the metadata TSV (keys, plus the embedding's metadata columns under a
    header row) to ``metadata_path``, by default :func:`default_metadata_path`. A key a format
    cannot hold (e.g. one with a space, for the word2vec formats) is a ValueError.
    """
    spec = _lookup(format)
    if not isinstance(embedding, Embedding):
        raise TypeError(f"expected an Embedding, got {type(embedding).__name__}")
    if len(embedding) == 0:
        raise ValueError("nothing to write: the embedding has no vectors")
    if metadata_path is not None and format != "projector-tsv":
        raise ValueError(f"metadata_path is only used by projector-tsv, not {format}")
    spec.write(embedding, os.fspath(path), None if metadata_path is None else os.fspath(metadata_path))
