"""Mutation primitives for bytes, compressed streams and JSON documents (no hypothesis here:
the atheris driver uses them too)."""

from __future__ import annotations

import bz2
import gzip
import json
import re
import struct
import zlib
from functools import lru_cache

import numpy as np

from tests.fuzz.guards import effective_allowance


def _raw_deflate(data: bytes, level: int = 6) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


# --------------------------------------------------------------------------- byte-level mutations
SPECIAL_NUMBERS = (
    b"nan", b"NaN", b"-nan", b"inf", b"-inf", b"Infinity", b"-Infinity", b"1e999", b"-1e999", b"1e-999",
    b"3.5e38", b"-3.5e38", b"1e300", b"99999999999999999999999", b"-0", b"0", b"-1", b"1", b"2", b"0.0",
    b"4294967296", b"2147483648", b"9223372036854775808", b"18446744073709551616", b"4194304", b"4194305",
    b"1" * 25, b"7" * 5000, b"0x1F", b"1_000", b"1,5", b"1.5.5", b"+.5", b".", b"-", b"e5", b"1e", b"",
    "\u0661\u0662".encode(), "\u00b2".encode(), "\uff11".encode(), b"1e+308", b"2.5E-3", b"00000000001",
)
INVALID_UTF8 = (b"\xff", b"\xfe", b"\xc3", b"\xc3(", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80",
                b"\xf4\x90\x80\x80", b"\x80", b"\xbf\xbf", b"\xef\xbb")
CONTROL_BYTES = (b"\x00", b"\x01", b"\x07", b"\x08", b"\x0b", b"\x0c", b"\x1b", b"\x7f", b"\r", b"\x1c", b"\x85",
                 "\u2028".encode(), "\u00a0".encode(), "\ufeff".encode())
LONG_LINE_LENGTHS = (100, 1500, 5000, 70_000, 1_100_000)
LONG_LINE_FILL = (b"x", b"7", b" ", b"\t", b"1.5 ", b"a\t", "\u00e9".encode(), b",", b"__label__a ")
SEPARATORS = (b"\t", b" ", b",", b"  ", b" \t ", b";", b"|", b"", b"\t\t", b", ")
_NUMBER_RE = re.compile(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")

BYTE_OPS = ("flip", "insert", "delete", "replace", "truncate", "duplicate", "swap", "nul", "bom", "invalid_utf8",
            "crlf", "long_line", "number", "header_number", "header_count", "separator", "line_dup", "line_delete",
            "line_swap", "blank_line", "comment_line", "control", "splice_zero")


def _at(data: bytes, pos: int) -> int:
    return pos % (len(data) + 1)


def mutate_bytes(data: bytes, op: str, a: int, b: int, c: int) -> bytes:
    """One mutation of ``data``; ``a``, ``b``, ``c`` are free non-negative integers that pick positions,
    lengths and replacement values (so any driver -- hypothesis, atheris, a PRNG -- can steer it)."""
    n = len(data)
    if op == "flip":
        if not n:
            return bytes([a & 0xFF])
        i = a % n
        return data[:i] + bytes([data[i] ^ (1 << (b % 8))]) + data[i + 1:]
    if op == "insert":
        i = _at(data, a)
        return data[:i] + bytes([b & 0xFF]) * (1 + c % 3) + data[i:]
    if op == "delete":
        if not n:
            return data
        i = a % n
        return data[:i] + data[i + 1 + b % 16:]
    if op == "replace":
        if not n:
            return data
        i = a % n
        return data[:i] + bytes([b & 0xFF]) + data[i + 1:]
    if op == "truncate":
        return data[:_at(data, a)]
    if op == "duplicate":
        i = _at(data, a)
        chunk = data[i:i + 1 + b % 256]
        j = _at(data, c)
        return data[:j] + chunk + data[j:]
    if op == "swap":
        if n < 2:
            return data
        length = 1 + c % max(1, n // 4)
        i, j = sorted((a % n, b % n))
        if j < i + length:
            return data
        return data[:i] + data[j:j + length] + data[i + length:j] + data[i:i + length] + data[j + length:]
    if op == "nul":
        i = _at(data, a)
        return data[:i] + b"\x00" * (1 + b % 4) + data[i:]
    if op == "bom":
        if a % 3 == 0:
            return b"\xef\xbb\xbf" + data
        if a % 3 == 1:
            return b"\xff\xfe" + data if b % 2 else b"\xfe\xff" + data
        i = _at(data, b)
        return data[:i] + b"\xef\xbb\xbf" + data[i:]
    if op == "invalid_utf8":
        i = _at(data, a)
        return data[:i] + INVALID_UTF8[b % len(INVALID_UTF8)] + data[i:]
    if op == "control":
        i = _at(data, a)
        return data[:i] + CONTROL_BYTES[b % len(CONTROL_BYTES)] * (1 + c % 3) + data[i:]
    if op == "crlf":
        mode = a % 5
        if mode == 0:
            return data.replace(b"\n", b"\r\n")
        if mode == 1:
            return data.replace(b"\n", b"\r")
        if mode == 2:
            return data.rstrip(b"\n")
        if mode == 3:
            return data + b"\n" * (1 + b % 3)
        k = data.find(b"\n", _at(data, b))
        return data if k < 0 else data[:k] + b"\r\n" + data[k + 1:]
    if op == "long_line":
        i = _at(data, a)
        fill = LONG_LINE_FILL[c % len(LONG_LINE_FILL)]
        length = LONG_LINE_LENGTHS[b % len(LONG_LINE_LENGTHS)]
        return data[:i] + (fill * (length // len(fill) + 1))[:length] + data[i:]
    if op in ("number", "header_number"):
        region = data if op == "number" else data[:max(data.find(b"\n"), 0) or n]
        found = list(_NUMBER_RE.finditer(region))
        if not found:
            return data[:_at(data, a)] + SPECIAL_NUMBERS[b % len(SPECIAL_NUMBERS)] + data[_at(data, a):]
        m = found[a % len(found)]
        return data[:m.start()] + SPECIAL_NUMBERS[b % len(SPECIAL_NUMBERS)] + data[m.end():]
    if op == "header_count":  # a wrong count or dimension in the first line
        end = data.find(b"\n")
        end = n if end < 0 else end
        found = list(_NUMBER_RE.finditer(data[:end]))
        if not found:
            return b"%d %d\n" % (a % 7, b % 7) + data
        m = found[a % len(found)]
        try:
            value = int(m.group())
        except ValueError:
            value = 3
        delta = (-2, -1, 1, 2, 10, 1000, -value, value * 1000, 1 << 31, 1 << 40)[b % 10]
        return data[:m.start()] + str(value + delta).encode() + data[m.end():]
    if op == "separator":
        old = SEPARATORS[a % len(SEPARATORS)] or b"\t"
        new = SEPARATORS[b % len(SEPARATORS)]
        if c % 2:
            return data.replace(old, new)
        k = data.find(old, _at(data, c))
        return data if k < 0 else data[:k] + new + data[k + len(old):]
    lines = data.split(b"\n")
    if op == "line_dup":
        i = a % len(lines)
        return b"\n".join(lines[:i + 1] + [lines[i]] * (1 + b % 3) + lines[i + 1:])
    if op == "line_delete":
        i = a % len(lines)
        return b"\n".join(lines[:i] + lines[i + 1:])
    if op == "line_swap":
        i, j = a % len(lines), b % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines)
    if op == "blank_line":
        i = a % len(lines)
        return b"\n".join(lines[:i] + [(b"", b" ", b"\t", b"\r")[b % 4]] + lines[i:])
    if op == "comment_line":
        i = a % len(lines)
        return b"\n".join(lines[:i] + [(b"# a comment", b"#", b"  # x", b"//x")[b % 4]] + lines[i:])
    if op == "splice_zero":  # a run of zero bytes over existing data (a torn write)
        i = _at(data, a)
        length = 1 + b % 512
        return data[:i] + b"\x00" * min(length, n - i) + data[i + length:]
    raise ValueError(f"unknown mutation {op!r}")


def recompress(data: bytes, how: int) -> bytes:
    """0: as is, 1: gzip, 2: bzip2, 3: gzip cut short, 4: gzip with trailing garbage, 5: two gzip members."""
    if how == 1:
        return gzip.compress(data, mtime=0)
    if how == 2:
        return bz2.compress(data)
    if how == 3:
        z = gzip.compress(data, mtime=0)
        return z[: max(10, len(z) * 2 // 3)]
    if how == 4:
        return gzip.compress(data, mtime=0) + b"garbage"
    if how == 5:
        half = len(data) // 2
        return gzip.compress(data[:half], mtime=0) + gzip.compress(data[half:], mtime=0)
    return data


def decompress_if_needed(data: bytes) -> tuple[bytes, int]:
    """(plain bytes, how) so a compressed seed can be mutated inside and compressed again."""
    try:
        if data[:2] == b"\x1f\x8b":
            return gzip.decompress(data), 1
        if data[:3] == b"BZh":
            return bz2.decompress(data), 2
    except Exception:  # noqa: BLE001
        pass
    return data, 0


# --------------------------------------------------------------------------- compressed inputs
COMPRESS_OPS = ("gzip", "bzip2", "gzip_members", "bz2_streams", "mixed_streams", "truncated", "truncated",
                "trailing", "bad_crc", "bad_crc", "corrupt", "gzip_header", "empty_members", "bomb", "bomb",
                "bomb_after_head", "bomb_single", "big_below_allowance")
TRAILING = (b"garbage", b"\x00" * 8, b"\x00", b"\x1f", b"\x1f\x8b", b"\x1f\x8b\x08", b"BZh9", b"\n", b"\xff" * 100,
            b"PK\x03\x04")


def _gzip(data: bytes, level: int = 6) -> bytes:
    return gzip.compress(data, compresslevel=level, mtime=0)


def _split(data: bytes, k: int, seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    cuts = sorted(int(x) for x in rng.integers(0, len(data) + 1, size=max(0, k - 1)))
    return [data[x:y] for x, y in zip([0] + cuts, cuts + [len(data)])]


def bomb_row(payload: bytes, pick: int) -> bytes:
    """A row of the payload to repeat (its data rows are valid rows of the format)."""
    lines = [ln for ln in payload.split(b"\n") if ln.strip()]
    row = lines[pick % len(lines)] if lines else b"a b"
    return row[:200].rstrip(b"\r") + b"\n"


@lru_cache(maxsize=256)
def bomb_unit(row: bytes, kind: str, unit: int = 256 << 10) -> bytes:
    """One gzip member (or bzip2 stream) of ``row`` repeated to ``unit`` bytes: ~1:500 (gzip) or far more
    (bzip2). Repeated, members make a multi-member bomb of any size at no further compression cost."""
    plain = row * max(1, unit // len(row))
    return _gzip(plain, 9) if kind == "gzip" else bz2.compress(plain, 9)


@lru_cache(maxsize=64)
def bomb_single(row: bytes, kind: str, size: int) -> bytes:
    """One gzip member (or bzip2 stream) of ``row`` repeated to ``size`` bytes (built once, cached)."""
    plain = row * max(1, size // len(row))
    return _gzip(plain, 6) if kind == "gzip" else bz2.compress(plain, 9)


def text_bomb(row: bytes, kind: str, size: int) -> bytes:
    unit = bomb_unit(row, kind)
    per = max(1, (256 << 10) // len(row)) * len(row)
    return unit * max(1, size // per)


def gzip_with_header(data: bytes, flags: int, a: int) -> bytes:
    """A gzip member whose header carries FEXTRA / FNAME / FCOMMENT / FHCRC fields, reserved flag bits or an
    odd method byte (valid or not, by ``flags``)."""
    flg = flags & 0xFF
    method = 8 if a % 7 else (0, 7, 9, 255)[a % 4]
    head = b"\x1f\x8b" + bytes([method, flg]) + b"\x00\x00\x00\x00" + b"\x00\xff"
    if flg & 4:
        extra = (b"AB\x02\x00hi", b"", b"\xff" * 300, b"AB\xff\xffx")[a % 4]
        head += struct.pack("<H", len(extra) if a % 5 else len(extra) + 1000) + extra
    if flg & 8:
        head += (b"name.txt\x00", "caf\u00e9.txt".encode("latin1", "replace") + b"\x00", b"x" * 5000 + b"\x00",
                 b"unterminated")[a % 4]
    if flg & 16:
        head += (b"a comment\x00", b"\x00", b"\xff\xfe\x00")[a % 3]
    if flg & 2:
        head += struct.pack("<H", zlib.crc32(head) & 0xFFFF if a % 3 else 0xBEEF)
    return head + _raw_deflate(data) + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def compress_shape(payload: bytes, op: str, a: int, b: int, c: int) -> bytes:
    """``payload`` gzip- or bzip2-compressed in one of COMPRESS_OPS: valid (one member, several members,
    gzip then bzip2, empty members, header fields), damaged (truncated, trailing garbage, wrong CRC or size,
    corrupt data) or a decompression bomb (a row of the payload repeated far beyond 100:1, alone, after a
    valid head, or just below the allowance). Bombs are built once and cached."""
    kind = "gzip" if a % 2 == 0 else "bz2"
    comp = (lambda d: _gzip(d, 1 + b % 9)) if kind == "gzip" else (lambda d: bz2.compress(d, 1 + b % 9))
    if op == "gzip":
        return _gzip(payload, 1 + b % 9)
    if op == "bzip2":
        return bz2.compress(payload, 1 + b % 9)
    if op in ("gzip_members", "bz2_streams"):
        one = _gzip if op == "gzip_members" else bz2.compress
        return b"".join(one(part) for part in _split(payload, 2 + b % 4, c))
    if op == "mixed_streams":  # a gzip member then a bzip2 stream (or the reverse): the second is garbage
        first, second = _split(payload, 2, c)
        return _gzip(first) + bz2.compress(second) if b % 2 else bz2.compress(first) + _gzip(second)
    if op == "empty_members":
        parts = _split(payload, 2 + b % 3, c)
        return b"".join(comp(b"") + comp(p) for p in parts) + (comp(b"") if c % 2 else b"")
    if op == "truncated":
        z = comp(payload)
        cut = (len(z) - 1 - b % 8, len(z) - 8, len(z) // 2, 2 + b % max(1, len(z) - 2), 3, 10)[c % 6]
        return z[:max(1, min(cut, len(z) - 1))]
    if op == "trailing":
        return comp(payload) + TRAILING[b % len(TRAILING)] * (1 + c % 3)
    if op == "bad_crc":
        if kind == "gzip":
            z = bytearray(_gzip(payload))
            k = len(z) - 8 + (c % 8)  # the CRC32 (4 bytes) or the size (4 bytes) of the trailer
            z[k] ^= 1 << (b % 8)
            return bytes(z)
        z = bytearray(bz2.compress(payload))
        k = max(4, len(z) - 1 - (c % 10))  # the stream CRC and end-of-stream marker are in the last 10 bytes
        z[k] ^= 1 << (b % 8)
        return bytes(z)
    if op == "corrupt":
        z = bytearray(comp(payload))
        start = 10 if kind == "gzip" else 4
        if len(z) > start:
            z[start + c % (len(z) - start)] ^= 1 << (b % 8)
        return bytes(z)
    if op == "gzip_header":
        return gzip_with_header(payload, b, c)
    row = bomb_row(payload, c)
    allowance = effective_allowance()
    if op == "big_below_allowance":  # read whole: the reader must get through it within its bound
        return text_bomb(row, kind, min(allowance * 3 // 4, 768 << 10))
    size = (max(4 << 20, 4 * allowance), 16 << 20, 64 << 20)[b % 3]
    if op == "bomb_single":  # bzip2 compresses a repeated row at ~3 MB/s: its single-stream bombs stay small
        return bomb_single(row, kind, min(size, 16 << 20) if kind == "gzip" else max(2 << 20, 2 * allowance))
    bomb = text_bomb(row, kind, size)
    if op == "bomb_after_head":  # a valid start (the header, the first rows) in its own member, then the bomb
        head = b"\n".join(payload.split(b"\n")[: 1 + c % 4]) + b"\n"
        return (_gzip(head) if kind == "gzip" else bz2.compress(head)) + bomb
    return bomb


# --------------------------------------------------------------------------- JSON mutations
DEEP = "@@DEEP@@"
HUGE_INT = "@@HUGEINT@@"
JSON_VALUES: tuple = (
    None, True, False, 0, -1, 1, 2, 3, 7, 1.5, -0.0, 1e308, 10 ** 30, 2 ** 63, float("nan"), float("inf"),
    float("-inf"), "", "x", "1", "none", "dot", "cos", "linear", "diagonal", "complex_diagonal", "translation",
    "affine", "../../x", "/nonexistent/x", "\u0000", "caf\u00e9", "embeddings", "entity", [], [1], ["a"], [[1, 2]],
    [None], {}, {"a": 1}, {"num_partitions": 2}, [{"name": "r", "lhs": "entity", "rhs": "entity"}], DEEP, HUGE_INT,
    "embedstudio-embedding", "embedstudio-session", "file://x", [0, 0], [-1], [1e9],
)
JSON_OPS = ("replace", "delete", "add_key", "wrap", "type_swap", "duplicate", "raw")


def _json_paths(value, limit: int = 400) -> list[tuple]:
    paths: list[tuple] = [()]
    stack = [((), value)]
    while stack and len(paths) < limit:
        path, v = stack.pop()
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        for k, child in list(items)[:64]:
            paths.append(path + (k,))
            stack.append((path + (k,), child))
    return paths


def _get(value, path):
    for k in path:
        value = value[k]
    return value


def mutate_json(data: bytes, op: str, a: int, b: int, names: tuple[str, ...] = ()) -> bytes:
    """A structural change of a JSON document (falls back to a byte mutation when it does not parse)."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return mutate_bytes(data, BYTE_OPS[a % len(BYTE_OPS)], a, b, a ^ b)
    if op == "raw":
        return mutate_bytes(data, BYTE_OPS[b % len(BYTE_OPS)], a, b, a + b)
    values = JSON_VALUES + tuple(names)
    paths = _json_paths(doc)
    path = paths[a % len(paths)]
    new = values[b % len(values)]
    if not path:
        doc = new if op in ("replace", "type_swap") else [doc] if op == "wrap" else doc
    else:
        parent = _get(doc, path[:-1])
        key = path[-1]
        old = parent[key]
        if op == "replace":
            parent[key] = new
        elif op == "delete":
            del parent[key]
        elif op == "add_key":
            if isinstance(old, dict):
                old[("format", "keys", "version", "x", "embeddings", "map", "ids")[b % 7]] = new
            elif isinstance(old, list):
                old.insert(b % (len(old) + 1), new)
            else:
                parent[key] = new
        elif op == "wrap":
            parent[key] = [old] if b % 2 else {"v": old}
        elif op == "type_swap":
            parent[key] = (str(old) if not isinstance(old, str) else
                           int(old) if old.isdigit() and len(old) < 18 else len(old))
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, old)
        else:
            parent[key] = new
    text = json.dumps(doc, ensure_ascii=bool(b % 2))
    text = text.replace(f'"{DEEP}"', "[" * 100_000 + "]" * 100_000)
    text = text.replace(f'"{HUGE_INT}"', "9" * 5000)
    return text.encode("utf-8")
