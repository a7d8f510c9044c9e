"""The word2vec binary format (``count dim`` header line, then per vector the word's UTF-8 bytes, a space and
dim little-endian float32; the C tool adds a newline, gensim does not). Whole well-formed records are taken by
the numba scan; any other record is read here, where each problem is named by its record and byte offset."""

from __future__ import annotations

import sys

import numpy as np

from embedstudio.data import sniff
from embedstudio.data.binary_scan import scan_records
from embedstudio.data.errors import DataFormatError
from embedstudio.data.sniff import DECOMPRESSION_ERRORS, open_stream, parse_header, read_some
from embedstudio.data.vector_rows import Rows, check_dim, file_size, initial_capacity

HEADER_LIMIT = 4096  # bytes of a word2vec header line
_MAX_WORD_BYTES = 64 * 1024  # a word in a binary file
_BINARY_CHUNK = 16 << 20


def read_word2vec_binary(path: str, limit: int | None, errors: str) -> tuple[list[str], np.ndarray]:
    stream, raw = open_stream(path)
    try:
        return _read_binary_records(path, stream, limit, errors)
    finally:
        stream.close()
        raw.close()


def _read_binary_records(path, stream, limit, errors):
    damage: list[Exception] = []  # a decompression error met while reading ahead

    def read(n: int) -> bytes:
        data, error = read_some(stream, n)
        if error is not None:
            damage.append(error)
        return data

    def ends_early(record: int, reason: str) -> DataFormatError:
        if damage:  # the data ran out because the archive is damaged there
            return DataFormatError(path, record, f"compressed data is corrupt or truncated: {damage[0]}")
        return DataFormatError(path, record, reason)

    try:
        line = stream.readline(HEADER_LIMIT)
    except DECOMPRESSION_ERRORS as e:
        raise DataFormatError(path, None, f"compressed data is corrupt or truncated: {e}") from None
    if not line:
        raise DataFormatError(path, 1, "the file is empty")
    if line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    parsed = parse_header(line) if line.endswith(b"\n") else None
    if parsed is None:
        reason = sniff.binary_reason(line)
        raise DataFormatError(
            path, 1,
            f"the header (first line) should be 'count dimension', got {line[:60].decode('utf-8', 'replace')!r}"
            + (f" ({reason})" if reason and "UTF-16" in reason else ""),
        )
    count, dim = parsed
    if count < 1:
        raise DataFormatError(path, 1, "the header declares no vectors")
    size = file_size(path)
    header_len = len(line)
    check_dim(path, 1, dim, None if size is None else size - header_len, 4 * dim + 2)
    wanted = count if limit is None else min(count, limit)
    row_bytes = 4 * dim
    rows = Rows(dim, initial_capacity(dim, wanted, None if size is None else size - header_len, row_bytes + 2), wanted,
                 path, 1)
    keys: list[str] = []
    buf = b""
    pos = 0
    base = header_len  # file offset of buf[0]
    eof = False
    scratch = np.empty(0, dtype=np.uint8)  # the fast path's words, NUL-separated
    starts = np.empty(0, dtype=np.int64)

    def fill(need: int, record: int) -> None:
        """Make buf hold at least ``need`` bytes from pos, unless the file ends first."""
        nonlocal buf, pos, base, eof
        if len(buf) - pos >= need or eof:
            return
        more = read(max(_BINARY_CHUNK, need))
        if len(more) < max(_BINARY_CHUNK, need):
            eof = True  # read_some returns fewer bytes only at the end (or at damage)
        base += pos
        buf = buf[pos:] + more
        pos = 0

    def fast(record: int) -> int:
        """Records from ``record`` on taken by the numba scan (as many as the buffer holds whole and well formed);
        returns how many."""
        nonlocal pos, scratch, starts
        if sys.byteorder != "little":  # the scan copies raw little-endian bytes: only where they are float32 as is
            return 0
        room = rows.reserve(min(wanted - record + 1, 1 << 16), record)
        if len(scratch) < len(buf):
            scratch = np.empty(len(buf), dtype=np.uint8)
        if len(starts) < room:
            starts = np.empty(room, dtype=np.int64)
        taken, new_pos, used = scan_records(np.frombuffer(buf, dtype=np.uint8), pos, row_bytes, _MAX_WORD_BYTES,
                                            rows.data.view(np.uint8), rows.data, rows.norms, rows.n, room, scratch,
                                            starts)
        if not taken:
            return 0
        joined = scratch[:used].tobytes()
        try:
            keys.extend(joined.decode("utf-8", errors).split("\x00")[:-1])
        except UnicodeDecodeError:  # name the record: decode them one by one
            for i, word in enumerate(joined.split(b"\x00")[:-1]):
                try:
                    keys.append(word.decode("utf-8", errors))
                except UnicodeDecodeError as e:
                    raise _invalid_word(path, record + i, base + int(starts[i]), word, e) from None
        rows.n += taken
        pos = new_pos
        return taken

    record_need = _MAX_WORD_BYTES + 1 + row_bytes
    record = 1
    while record <= wanted:
        fill(record_need + 1, record)
        taken = fast(record)
        if taken:
            record += taken
            continue
        # one record the scan did not take: read here, where every problem is named
        if rows.reserve(1, record) < 1:
            raise DataFormatError(path, record, f"more vectors than the {len(rows.data):,} expected")
        while pos < len(buf) and buf[pos] == 0x0A:  # newline after the previous vector (C tool)
            pos += 1
            if pos == len(buf):
                fill(record_need, record)
        if pos >= len(buf):
            raise ends_early(
                record,
                f"the file ends after {record - 1} vectors (byte offset {base + pos:,}) but the header declares "
                f"{count}: the file is truncated or the header's count is wrong",
            )
        fill(record_need, record)
        space = buf.find(b" ", pos, pos + _MAX_WORD_BYTES + 1)
        if space < 0:
            if eof and len(buf) - pos <= _MAX_WORD_BYTES:
                reason = "the file ends inside the word"
            else:
                reason = f"no space after a word within {_MAX_WORD_BYTES:,} bytes"
            raise ends_early(
                record,
                f"record {record} at byte offset {base + pos:,}: {reason} (truncated or garbled file, "
                "or the header's dimension is wrong)",
            )
        word = buf[pos:space]
        if not word or b"\x00" in word:
            raise DataFormatError(
                path, record,
                f"record {record} at byte offset {base + pos:,}: {'an empty word' if not word else 'NUL bytes in the word'}"
                " (garbled file, or the header's dimension is wrong)",
            )
        start = space + 1
        if start + row_bytes > len(buf):
            raise ends_early(
                record,
                f"record {record} at byte offset {base + pos:,}: the file ends inside the vector "
                f"({len(buf) - start} of {row_bytes} bytes): the file is truncated, or the header's "
                "count or dimension is wrong",
            )
        try:
            keys.append(word.decode("utf-8", errors))
        except UnicodeDecodeError as e:
            raise _invalid_word(path, record, base + pos, word, e) from None
        rows.data[rows.n] = np.frombuffer(buf, dtype="<f4", count=dim, offset=start)
        rows.norms[rows.n] = np.sqrt(np.dot(rows.data[rows.n].astype(np.float64), rows.data[rows.n]))
        rows.n += 1
        pos = start + row_bytes
        record += 1
    if limit is None or limit >= count:
        # Only whitespace may follow the declared records.
        offset = base + pos
        rest = buf[pos:]
        while True:
            stripped = rest.lstrip()
            if damage:
                raise ends_early(count + 1, "")
            if stripped:
                offset += len(rest) - len(stripped)
                raise DataFormatError(
                    path, count + 1,
                    f"data after the {count} vectors the header declares, at byte offset {offset:,}: "
                    "is the header's count or dimension wrong?",
                )
            offset += len(rest)
            if eof:
                break
            rest = read(1 << 20)
            eof = not rest
    return keys, rows.result()


def _invalid_word(path: str, record: int, offset: int, word: bytes, e: UnicodeDecodeError) -> DataFormatError:
    return DataFormatError(
        path, record,
        f"record {record} at byte offset {offset:,}: invalid UTF-8 in the word at byte {e.start + 1} "
        f"({word[e.start:e.start + 4]!r}); read with encoding_errors='replace' to accept it, or the header's "
        "dimension is wrong",
    )
