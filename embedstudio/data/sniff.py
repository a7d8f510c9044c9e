"""Name a file's format from its first few KiB, and the low-level input helpers the readers share.

``detect(path)`` runs a small registry of sniffers in priority order; the first that recognises the
sample wins. Later readers add theirs with :func:`register_sniffer` (an edge list or a labelled
corpus must use a priority number under 90, where ``corpus``, the catch-all for plain text, sits).

The helpers (:func:`open_stream`, :class:`LineReader`) open plain, gzip and bzip2 files alike
(by their magic bytes, not their names) and read lines in bounded pieces, so a 100 MB line is
rejected once it passes ``max_line_bytes``, never loaded whole. Every problem is a ``DataFormatError``.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Callable, Iterator

from embedstudio.data.errors import DataFormatError
from embedstudio.storage import special_file_reason

HEAD_BYTES = 64 * 1024
"""How much of a file (decompressed) the sniffers see."""

CORPUS_SUFFIXES = (".txt", ".gz", ".bz2")
"""Files a corpus folder is made of (searched recursively, hidden files and folders skipped)."""

_GZIP_MAGIC = b"\x1f\x8b"
_BZ2_BLOCK = b"1AY&SY"  # after "BZh" + level digit: a compressed block ...
_BZ2_EMPTY = b"\x17rE8P\x90"  # ... or the end-of-stream marker of an empty stream
_UTF8_BOM = b"\xef\xbb\xbf"
# C0 control bytes other than tab, newline, vertical tab, form feed and carriage return, plus DEL.
CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32), 127])
CONTROL_SHARE = 0.10
"""A text whose first KiB has more than this share of control bytes is treated as binary."""
DECOMPRESSION_ERRORS = (EOFError, OSError, zlib.error)
_BLOCK_BYTES = 1 << 20  # LineReader's read size when iterating
MAX_EXPANSION = 100
"""A compressed file may decompress to at most this many times its size (real text: 3 to 10 times;
gzip's own limit is about 1,000, bzip2's far beyond): more is a decompression bomb, refused."""
EXPANSION_ALLOWANCE = 16 << 20
"""Bytes any compressed file may decompress to before the ratio is checked (a tiny file of zeros may
expand a lot without harm)."""


# --------------------------------------------------------------------------- opening files
def compression_of(path: str | os.PathLike) -> str | None:
    """"gzip", "bz2" or None, from the file's magic bytes (a folder, a missing or special file gives None)."""
    if special_file_reason(path):
        return None
    try:
        with open(path, "rb") as f:
            magic = f.read(10)
    except OSError:
        return None
    return _compression_from_magic(magic)


def _compression_from_magic(magic: bytes) -> str | None:
    if magic.startswith(_GZIP_MAGIC):
        return "gzip"
    if magic[:3] == b"BZh" and magic[3:4].isdigit() and magic[4:10] in (_BZ2_BLOCK, _BZ2_EMPTY):
        return "bz2"
    return None


def open_stream(path: str | os.PathLike, buffer_size: int = 1 << 20):
    """Open ``path`` for binary reading, decompressing gzip/bzip2 transparently.

    Returns ``(stream, raw)``: read from ``stream``; ``raw.tell()`` is the position in the file on
    disk (for progress). A missing file, a folder or an unreadable file is a DataFormatError.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise DataFormatError(path, None, "this is a folder, not a file")
    special = special_file_reason(path)
    if special:
        raise DataFormatError(path, None, special)
    try:
        raw = open(path, "rb", buffering=buffer_size)
    except FileNotFoundError:
        raise DataFormatError(path, None, "no such file") from None
    except OSError as e:
        raise DataFormatError(path, None, f"cannot open the file: {e.strerror or e}") from None
    try:
        kind = _compression_from_magic(raw.peek(10)[:10])
        # GzipFile / BZ2File buffer internally; read1() on them returns whatever decompressed so far,
        # so the data before a corrupt or truncated spot is delivered before the error.
        if kind == "gzip":
            return _BoundedExpansion(gzip.GzipFile(fileobj=raw, mode="rb"), raw, path), raw
        if kind == "bz2":
            return _BoundedExpansion(bz2.BZ2File(raw, mode="rb"), raw, path), raw
    except BaseException:
        raw.close()
        raise
    return raw, raw


class _BoundedExpansion:
    """A decompressing stream that stops (DataFormatError) once it has given out more than MAX_EXPANSION
    times the compressed bytes read so far (beyond EXPANSION_ALLOWANCE): every reader opens files through
    :func:`open_stream`, so none of them can be made to read gigabytes out of a few compressed megabytes."""

    def __init__(self, stream, raw, path: str):
        self._stream, self._raw, self._path = stream, raw, path
        self.decompressed = 0

    def _counted(self, data: bytes) -> bytes:
        self.decompressed += len(data)
        if self.decompressed > EXPANSION_ALLOWANCE:
            compressed = max(1, self._raw.tell())
            if self.decompressed > MAX_EXPANSION * compressed:
                raise DataFormatError(
                    self._path, None,
                    f"it decompresses to more than {MAX_EXPANSION} times its size ({self.decompressed / 1e6:,.0f} MB "
                    f"out of the first {compressed / 1e6:,.1f} MB): a decompression bomb? Real text expands 3 to 10 "
                    "times; if this file is genuine, decompress it yourself and open the result")
        return data

    def read1(self, n: int = -1) -> bytes:
        return self._counted(self._stream.read1(n))

    def read(self, n: int = -1) -> bytes:
        return self._counted(self._stream.read(n))

    def readline(self, limit: int = -1) -> bytes:
        return self._counted(self._stream.readline(limit))

    def close(self) -> None:
        self._stream.close()


def misnamed_compression(path: str | os.PathLike) -> str | None:
    """A notice when a file's name promises compression its content lacks (a plain text named .gz): it is
    read by its content, which the user should know (a renamed file, a failed download)."""
    path = os.fspath(path)
    name = path.lower()
    for suffix, kind in ((".gz", "gzip"), (".bz2", "bz2")):
        if name.endswith(suffix) and os.path.isfile(path):
            found = compression_of(path)
            if found != kind:
                what = {"gzip": "gzip-compressed", "bz2": "bzip2-compressed"}.get(found, "not compressed")
                return (f"{os.path.basename(path)} is named {suffix} but is {what}: read as "
                        f"{'plain text' if found is None else 'such'}")
    return None


def read_some(stream, n: int) -> tuple[bytes, Exception | None]:
    """Up to ``n`` bytes (fewer only at the end), and the decompression error that stopped it, if any.

    Unlike ``stream.read(n)``, the bytes decoded before an error are returned, not lost.
    """
    pieces: list[bytes] = []
    got = 0
    while got < n:
        try:
            piece = stream.read1(n - got)
        except DECOMPRESSION_ERRORS as e:
            return b"".join(pieces), e
        if not piece:
            break
        pieces.append(piece)
        got += len(piece)
    return b"".join(pieces), None


def read_head(path: str | os.PathLike, n: int = HEAD_BYTES) -> tuple[bytes, bool]:
    """The first ``n`` bytes (decompressed) and whether they are the whole content."""
    stream, raw = open_stream(path)
    try:
        head, error = read_some(stream, n + 1)
    finally:
        stream.close()
        raw.close()
    if error is not None:
        if not head:
            raise DataFormatError(path, None, f"compressed data is corrupt or truncated: {error}")
        return head[:n], False  # a damaged archive is sniffed from what decompresses; its reader reports the rest
    return head[:n], len(head) <= n


def control_share(data: bytes) -> float:
    """Share of control bytes (see CONTROL_BYTES) in ``data``."""
    if not data:
        return 0.0
    return (len(data) - len(data.translate(None, CONTROL_BYTES))) / len(data)


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII-range text with a NUL byte beside every character."""
    sample = head[:1024] if len(head) % 2 == 0 else head[:1023]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    for text, zeros in ((even, odd), (odd, even)):
        if zeros.count(0) >= 0.9 * len(zeros) and text.count(0) == 0:
            return True
    return False


def binary_reason(head: bytes) -> str | None:
    """Why ``head`` (a file's first bytes) is not text, or None when it looks like text."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(head):
        return "this is UTF-16 text; save it as UTF-8"
    if b"\x00" in head:
        return "it contains NUL bytes: this is binary data, not text"
    if control_share(head[:1024]) > CONTROL_SHARE:
        return "its first KiB is mostly control characters: this is binary data, not text"
    return None


class LineReader:
    """Bounded line-by-line reading of a (possibly compressed) file, with 1-based line numbers.

    ``readline()`` returns the next line without its ``\\n`` (a ``\\r`` stays) or None at the end.
    A line longer than ``max_line_bytes`` (which the caller may change between reads) is a
    DataFormatError naming it, unless ``long_lines="split"``: then it is cut at the last ASCII
    whitespace before the limit (or at the limit) and the pieces come back as separate lines with
    the same line number. A UTF-8 byte-order mark at the start is dropped.
    """

    def __init__(self, path: str | os.PathLike, max_line_bytes: int, long_lines: str = "error"):
        if long_lines not in ("error", "split"):
            raise ValueError(f"long_lines must be 'error' or 'split', got {long_lines!r}")
        self.path = os.fspath(path)
        self.max_line_bytes = int(max_line_bytes)
        self.long_lines = long_lines
        self.line_no = 0
        self._carry = b""  # the rest of a line cut in split mode
        self._stream, self._raw = open_stream(self.path)

    def __enter__(self) -> "LineReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._stream.close()
        self._raw.close()

    def bytes_read(self) -> int:
        """Position in the file on disk (compressed bytes for an archive)."""
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def _read(self, limit: int) -> bytes:
        try:
            return self._stream.readline(limit)
        except DECOMPRESSION_ERRORS as e:
            raise DataFormatError(
                self.path, self.line_no + 1, f"compressed data is corrupt or truncated: {e}"
            ) from None
        except DataFormatError as e:  # the stream's own (a decompression bomb): say where it was met
            raise DataFormatError(e.path, self.line_no + 1, e.reason) from None

    def readline(self) -> bytes | None:
        limit = self.max_line_bytes
        if self._carry:
            line = self._carry + self._read(limit + 1 - len(self._carry))
            self._carry = b""
        else:
            line = self._read(limit + 1)
            if not line:
                return None
            self.line_no += 1
            if self.line_no == 1 and line.startswith(_UTF8_BOM):
                line = line[3:]
        if line.endswith(b"\n"):
            return line[:-1]
        if len(line) <= limit:  # the last line, without a newline
            return line
        if self.long_lines == "error":
            raise self._too_long(self.line_no)
        # Split mode: cut at the last whitespace within the limit; keep the rest for the next read.
        cut = max(line.rfind(b" ", 0, limit), line.rfind(b"\t", 0, limit))
        cut = cut + 1 if cut > 0 else limit
        self._carry = line[cut:]
        return line[:cut]

    def _too_long(self, line_no: int) -> DataFormatError:
        return DataFormatError(
            self.path, line_no,
            f"the line is longer than {self.max_line_bytes:,} bytes (the limit for this file); "
            "is this really a text file of the expected format?",
        )

    def __iter__(self) -> Iterator[bytes]:
        """The remaining lines (as ``readline`` returns them), read in blocks: much faster.

        Do not call ``readline`` once iteration has started; ``max_line_bytes`` may change.
        """
        if self.long_lines == "split" or self._carry:
            while (line := self.readline()) is not None:
                yield line
            return
        pending: list[bytes] = []  # pieces of the line not yet complete
        pending_len = 0
        while True:
            try:
                block = self._stream.read1(_BLOCK_BYTES)
            except DECOMPRESSION_ERRORS as e:
                raise DataFormatError(
                    self.path, self.line_no + 1, f"compressed data is corrupt or truncated: {e}"
                ) from None
            except DataFormatError as e:
                raise DataFormatError(e.path, self.line_no + 1, e.reason) from None
            if not block:
                break
            if b"\n" not in block:
                pending.append(block)
                pending_len += len(block)
                if pending_len > self.max_line_bytes + (3 if self.line_no == 0 else 0):
                    raise self._too_long(self.line_no + 1)
                continue
            lines = block.split(b"\n")
            if pending:
                pending.append(lines[0])
                lines[0] = b"".join(pending)
            last = lines.pop()
            pending, pending_len = [last], len(last)
            if self.line_no == 0 and lines[0].startswith(_UTF8_BOM):
                lines[0] = lines[0][3:]
            for line in lines:
                self.line_no += 1
                if len(line) > self.max_line_bytes:
                    raise self._too_long(self.line_no)
                yield line
            if pending_len > self.max_line_bytes:
                raise self._too_long(self.line_no + 1)
        if pending_len:
            line = b"".join(pending)
            if self.line_no == 0 and line.startswith(_UTF8_BOM):
                line = line[3:]
            self.line_no += 1
            if len(line) > self.max_line_bytes:
                raise self._too_long(self.line_no)
            yield line


def corpus_files(path: str | os.PathLike) -> list[str]:
    """The files of a corpus: ``path`` itself, or a folder's .txt/.gz/.bz2 files, sorted, recursive."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataFormatError(path, None, "no such file or folder")
    if not os.path.isdir(path):
        return [path]
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and name.lower().endswith(CORPUS_SUFFIXES):
                full = os.path.join(root, name)
                if os.path.isfile(full):
                    found.append(full)
    if not found:
        raise DataFormatError(
            path, None, f"the folder holds no corpus files ({', '.join(CORPUS_SUFFIXES)}, searched recursively)"
        )
    found.sort(key=lambda p: os.path.relpath(p, path).replace(os.sep, "/"))
    return found


# --------------------------------------------------------------------------- sniffing
@dataclass
class Sample:
    """What a sniffer sees: the path and the first ``HEAD_BYTES`` of the decompressed content."""

    path: str
    is_dir: bool = False
    head: bytes = b""
    complete: bool = True  # ``head`` is the whole content
    compression: str | None = None
    _lines: list[bytes] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """Lower-case file name without a .gz/.bz2 suffix."""
        name = os.path.basename(self.path.rstrip("/\\")).lower()
        for suffix in (".gz", ".bz2"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
        return name

    def lines(self) -> list[bytes]:
        """The complete lines of ``head`` (no ``\\n``; the partial last one is left out unless complete)."""
        if self._lines is None:
            lines = self.head.split(b"\n")
            if self.complete:
                if lines and lines[-1] == b"":
                    lines.pop()
            else:
                lines.pop()
            self._lines = lines
        return self._lines

    def data_lines(self) -> list[bytes]:
        """The complete lines without surrounding whitespace, blank lines and ``#`` comments."""
        return [l for l in (line.strip() for line in self.lines()) if l and not l.startswith(b"#")]

    def partial_line(self) -> bytes:
        """The incomplete last line of ``head`` (empty when the sample is complete)."""
        return b"" if self.complete else self.head.rsplit(b"\n", 1)[-1]

    def text_problem(self) -> str | None:
        return binary_reason(self.head)


Sniffer = Callable[[Sample], bool]
SNIFFERS: list[tuple[int, str, Sniffer]] = []
"""(priority, format name, function), lowest priority first."""


def register_sniffer(name: str, func: Sniffer, priority: int = 50) -> None:
    """Add (or replace) the sniffer for ``name``; lower priorities are tried first."""
    SNIFFERS[:] = [s for s in SNIFFERS if s[1] != name]
    SNIFFERS.append((priority, name, func))
    SNIFFERS.sort(key=lambda s: s[0])


def known_formats() -> list[str]:
    return [name for _, name, _ in SNIFFERS]


_READERS_WITH_SNIFFERS = ("embedstudio.data.edgelist", "embedstudio.data.pbg", "embedstudio.data.labelled")  # they register themselves when imported


def detect(path: str | os.PathLike) -> str:
    """The format name of ``path``: one of :func:`known_formats`, or a DataFormatError."""
    import importlib

    for module in _READERS_WITH_SNIFFERS:
        importlib.import_module(module)
    path = os.fspath(path)
    if os.path.isdir(path):
        sample = Sample(path, is_dir=True)
    else:
        if not os.path.exists(path):
            raise DataFormatError(path, None, "no such file")
        head, complete = read_head(path)
        if head.startswith(_UTF8_BOM):
            head = head[3:]
        sample = Sample(path, head=head, complete=complete, compression=compression_of(path))
        if not head:
            raise DataFormatError(path, 1, "the file is empty" + (" (after decompression)" if sample.compression else ""))
        if complete and not head.strip():
            raise DataFormatError(path, 1, "the file holds only blank lines")
    for _, name, func in SNIFFERS:
        try:
            if func(sample):
                return name
        except DataFormatError:
            raise
        except Exception:  # a sniffer that trips over odd bytes simply does not recognise them
            continue
    if sample.is_dir:
        raise DataFormatError(path, None, "the folder holds no file of a known format")
    reason = sample.text_problem() or "no known format matches its start"
    raise DataFormatError(path, 1, f"unrecognised format: {reason}")


# ----------------------------------------------------------------- start-of-file checks
def line_of(head: bytes, offset: int) -> int:
    """The 1-based line of byte ``offset`` in ``head``."""
    return head.count(b"\n", 0, max(offset, 0)) + 1


def check_text_start(path: str) -> None:
    """Reject binary data and UTF-16 from the first KiB, naming the first offending line."""
    head, _ = read_head(path, 1024)
    reason = binary_reason(head)
    if reason is None:
        return
    if reason.startswith("this is UTF-16"):
        line = 1
    elif b"\x00" in head:
        nul = head.index(b"\x00")
        try:  # text up to a NUL byte: name the NUL's line; binary from the start (an image): line 1
            codecs.getincrementaldecoder("utf-8")().decode(head[:nul], final=False)
            line = line_of(head, nul)
        except UnicodeDecodeError:
            line = 1
    else:
        line = line_of(head, next((i for i, b in enumerate(head) if b in CONTROL_BYTES), 0))
    raise DataFormatError(path, line, reason)


def numeric_shape(path: str | os.PathLike) -> str | None:
    """What a text file "mostly numbers in rows" resembles -- "vectors" (a word, then numbers; or a
    'count dim' header) or "edgelist" (short rows of numbers) -- or None for prose. A corpus reader asks
    so that a damaged vectors or edge-list file is reported as one, with its bad line, instead of being
    trained on as text."""
    head, complete = read_head(path, HEAD_BYTES)
    sample = Sample(os.fspath(path), head=head, complete=complete)
    if sample.text_problem():
        return None
    rows = [line.split() for line in sample.data_lines()[:200]]
    if not rows and sample.partial_line().strip():
        rows = [sample.partial_line().split()[:-1]]
    rows = [r for r in rows if r]
    if not rows:
        return None
    header = parse_header(b" ".join(rows[0]))
    if header is not None and len(rows) > 1:  # 'count dim', then mostly 'word v1 ... vdim' rows
        keyed = sum(len(r) == header[1] + 1 or not is_number(r[0]) for r in rows[1:])
        if keyed >= 0.5 * (len(rows) - 1):
            return "vectors"
    fields = [f for r in rows for f in r]
    if len(fields) < 3 or sum(map(is_number, fields)) < 0.75 * len(fields):
        return None
    widths = sorted(len(r) for r in rows)
    return "edgelist" if widths[len(widths) // 2] <= 4 and all(map(is_number, fields)) else "vectors"


# ----------------------------------------------------------------- number and header helpers
# ``\d+(?:\.\d*)?``, not ``\d+\.?\d*``: the latter splits a run of digits between its two parts in every
# possible way before failing on what follows (a 70 KB run of digits took minutes).
_NUMBER = re.compile(rb"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|(?i:nan|inf|infinity))")


def is_number(token: bytes) -> bool:
    """Whether a field is a decimal number as the vector readers accept it (nan/inf included)."""
    return _NUMBER.fullmatch(token) is not None


def parse_header(line: bytes) -> tuple[int, int] | None:
    """``(count, dim)`` from a word2vec header line ``"count dim"``, or None."""
    parts = line.split()
    # No real count or dimension has 19 digits; int() refuses more than 4,300 with a ValueError.
    if len(parts) != 2 or not all(p.isdigit() and len(p) <= 18 for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def _numeric_row(parts: list[bytes], dim: int | None, keyed: bool) -> bool:
    values = parts[1:] if keyed else parts
    if dim is not None and len(values) != dim:
        return False
    return bool(values) and all(is_number(v) for v in values)


def _sniff_embedstudio(s: Sample) -> bool:
    if s.is_dir or s.compression or not s.head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(s.path) as z:
            return "header.json" in z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _sniff_word2vec_text(s: Sample) -> bool:
    if s.is_dir or s.text_problem():
        return False
    lines = s.lines()
    if not lines:
        return False
    header = parse_header(lines[0])
    if header is None or header[1] < 1:
        return False
    dim = header[1]
    rows = [l for l in lines[1:11] if l.strip()]
    if rows:
        return all(_numeric_row(r.split(), dim, keyed=True) for r in rows)
    # A single row longer than the sample: check the fields seen so far (the last may be cut).
    partial = s.partial_line().split()[:-1] if len(lines) == 1 else []
    return len(partial) >= 2 and len(partial) <= dim + 1 and _numeric_row(partial, None, keyed=True)


def _sniff_fasttext_vec(s: Sample) -> bool:
    return s.name.endswith(".vec") and _sniff_word2vec_text(s)


def _sniff_word2vec_binary(s: Sample) -> bool:
    if s.is_dir:
        return False
    newline = s.head.find(b"\n", 0, 1024)
    if newline < 0:
        return False
    header = parse_header(s.head[:newline])
    if header is None or header[1] < 1:
        return False
    body = s.head[newline + 1:]
    space = body.find(b" ", 0, 4096)
    if space < 0:
        return False
    vector = body[space + 1: space + 1 + 4 * header[1]]
    # Float32 bytes hold control bytes or invalid UTF-8; a (malformed) text file's do not.
    if not vector:
        return False
    if vector.translate(None, CONTROL_BYTES) != vector:
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(vector, final=False)
    except UnicodeDecodeError:
        return True
    return False


def _sniff_projector_tsv(s: Sample) -> bool:
    if s.is_dir or s.text_problem():
        return False
    rows = [l.rstrip(b"\r") for l in s.lines()[:20] if l.strip()]
    if not rows:
        partial = s.partial_line().split(b"\t")[:-1]
        return len(partial) >= 2 and all(is_number(p) for p in partial)
    widths = {len(r.split(b"\t")) for r in rows}
    return len(widths) == 1 and widths.pop() >= 2 and all(_numeric_row(r.split(b"\t"), None, keyed=False) for r in rows)


def _sniff_glove(s: Sample) -> bool:
    if s.is_dir or s.text_problem():
        return False
    rows = [l.split() for l in s.lines()[:20] if l.strip()]
    if not rows:
        partial = s.partial_line().split()[:-1]
        return len(partial) >= 3 and _numeric_row(partial, None, keyed=True)
    widths = {len(r) for r in rows}
    return len(widths) == 1 and widths.pop() >= 3 and all(_numeric_row(r, None, keyed=True) for r in rows)


def _sniff_corpus(s: Sample) -> bool:
    if s.is_dir:
        try:
            return bool(corpus_files(s.path))
        except DataFormatError:
            return False
    return s.text_problem() is None


register_sniffer("embedstudio", _sniff_embedstudio, 10)
register_sniffer("fasttext-vec", _sniff_fasttext_vec, 19)
register_sniffer("word2vec-text", _sniff_word2vec_text, 20)
register_sniffer("word2vec-binary", _sniff_word2vec_binary, 30)
register_sniffer("projector-tsv", _sniff_projector_tsv, 35)
register_sniffer("glove", _sniff_glove, 40)
register_sniffer("corpus", _sniff_corpus, 90)
