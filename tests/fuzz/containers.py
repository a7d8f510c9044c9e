"""Mutation primitives for containers: zip archives and .npy members (crafted sizes, bombs, ZIP64),
HDF5 files, folders and session folders."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import struct
import zipfile
import zlib
from functools import lru_cache

import numpy as np

from tests.fuzz.guards import BAIT_FILES
from tests.fuzz.harness import FIFO, OUTSIDE, is_special, symlink
from tests.fuzz.mutations import (
    BYTE_OPS,
    DEEP,
    JSON_OPS,
    _raw_deflate,
    mutate_bytes,
    mutate_json,
)

# --------------------------------------------------------------------------- zip (+ .npy) mutations
DTYPES = ("<f4", "<f8", "<f2", ">f4", "<i8", "<i4", "|u1", "|b1", "<c8", "<U4", "|S3", "|V4", "<M8[s]",
          "[('a','<f4')]", "|O")
SHAPES = ((), (0,), (3,), (0, 3), (3, 0), (2, 3), (3, 3), (4, 3), (5, 3), (3, 4), (1, 1), (2, 2, 2), (6,), (2, 6),
          (2, 4), (12, 2), (6, 6), (5, 4), (3, 2))
ZIP_OPS = ("header", "header", "header", "array", "array", "npy_bytes", "npy_header", "delete", "rename", "add",
           "duplicate_name", "compression", "directory", "bytes", "craft", "craft")


def make_array(dtype_index: int, shape_index: int, seed: int, special: int = 0) -> np.ndarray:
    return array_of(DTYPES[dtype_index % len(DTYPES)], SHAPES[shape_index % len(SHAPES)], seed, special)


def array_of(dtype: str, shape: tuple, seed: int, special: int = 0) -> np.ndarray:
    """A small array of any dtype in DTYPES; ``special`` > 0 puts a NaN, an infinity or an extreme in it."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal(shape) * 3
    if dtype == "[('a','<f4')]":
        arr = np.zeros(shape, dtype=[("a", "<f4")])
        arr["a"] = base
        return arr
    if dtype == "|O":
        arr = np.empty(shape, dtype=object)
        arr.flat[:] = [f"o{i}" for i in range(arr.size)]
        return arr
    if dtype in ("<U4", "|S3"):
        return np.array([str(round(float(x), 1))[:3] for x in np.ravel(base)], dtype=dtype).reshape(shape)
    if dtype == "|V4":
        return np.frombuffer(rng.bytes(4 * int(np.prod(shape))), dtype="V4").reshape(shape)
    if dtype == "<M8[s]":
        return base.astype(np.int64).astype("<M8[s]")
    if dtype[1:] in ("i8", "i4", "u1"):
        arr = np.abs(base).astype(dtype) if dtype == "|u1" else base.astype(dtype)
    else:
        arr = base.astype(dtype)
    if special and arr.size and arr.dtype.kind == "f":
        with np.errstate(over="ignore"):  # 3e38 overflows a float16: an infinity, on purpose
            arr.flat[seed % arr.size] = (np.nan, np.inf, -np.inf, 3e38, 1e-45)[special % 5]
    if special and arr.size and arr.dtype.kind in "iu":
        info = np.iinfo(arr.dtype)
        arr.flat[seed % arr.size] = (info.min, 10 ** 6 % info.max, info.max, 0, 2)[special % 5]
    return arr


def npy_bytes(arr: np.ndarray, fortran: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asfortranarray(arr) if fortran else arr, allow_pickle=arr.dtype.hasobject)
    return buf.getvalue()


def npy_with_header(descr: str, shape: tuple, payload: bytes, fortran: bool = False) -> bytes:
    """An .npy whose header says anything (a shape far beyond its data, an odd dtype)."""
    header = "{'descr': %r, 'fortran_order': %r, 'shape': %r, }" % (descr, fortran, shape)
    header = header + " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + payload


HUGE_SHAPES = ((10 ** 12,), (1 << 31, 1 << 31), (1 << 40, 4), (100_000, 100_000), (3, 1 << 61), (-1, 3), (2, 3),
               (3,), (0,), (2 ** 64, 1))
ODD_DESCRS = ("<f4", "|O", "<U0", "|V0", "|S0", "<f16", "xyz", "[('a', '<f4', (1000000000,))]", "<i8", ">f8", "<m8")


ZIP_MEMBER_CAP = 8 << 20  # a member declaring more (a bomb made by craft_zip) is not inflated to be mutated


def zip_members(data: bytes) -> list[tuple[str, bytes]] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if any(info.file_size > ZIP_MEMBER_CAP for info in z.infolist()):
                return None  # mutated as bytes instead: inputs stay small
            return [(info.filename, z.read(info)) for info in z.infolist()]
    except Exception:  # noqa: BLE001 - not a readable zip: mutate its bytes instead
        return None


def build_zip(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are on purpose
        with zipfile.ZipFile(buf, "w", compression=compression) as z:
            for name, data in members:
                z.writestr(name, data)
    return buf.getvalue()


_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def mutate_zip(data: bytes, op: str, a: int, b: int, c: int, names: tuple[str, ...] = ()) -> bytes:
    """A structural change of a zip of header.json + .npy arrays (our json-arrays files, .npz)."""
    members = zip_members(data)
    if members is None or op == "bytes":
        return mutate_bytes(data, BYTE_OPS[a % len(BYTE_OPS)], a, b, c)
    if op == "craft":
        return craft_zip(members, CRAFT_OPS[b % len(CRAFT_OPS)], a, b // len(CRAFT_OPS), c)
    compression = zipfile.ZIP_STORED
    if not members:
        members = [("header.json", b"{}")]
    i = a % len(members)
    name, body = members[i]
    npys = [k for k, (n, _) in enumerate(members) if n.endswith(".npy")] or [i]
    j = npys[a % len(npys)]
    if op == "header":
        k = next((k for k, (n, _) in enumerate(members) if n.endswith(".json")), i)
        members[k] = (members[k][0], mutate_json(members[k][1], JSON_OPS[c % len(JSON_OPS)], b, c, names))
    elif op == "array":
        members[j] = (members[j][0], npy_bytes(make_array(b, c, a, special=b % 3), fortran=bool(c % 5 == 0)))
    elif op == "npy_bytes":
        members[j] = (members[j][0], mutate_bytes(members[j][1], BYTE_OPS[b % len(BYTE_OPS)], c, b, a))
    elif op == "npy_header":
        shape = HUGE_SHAPES[b % len(HUGE_SHAPES)]
        members[j] = (members[j][0], npy_with_header(ODD_DESCRS[c % len(ODD_DESCRS)], shape, b"\x00" * (c % 64)))
    elif op == "delete":
        del members[i]
    elif op == "rename":
        members[i] = ((name[:-4] if name.endswith(".npy") else name + ".npy", "../" + name, name.upper(),
                       "x/" + name, name + "/")[b % 5], body)
    elif op == "add":
        members.append((("extra.npy", "header.json", "vectors.npy", "counts.npy", "a/b.npy", "keys.npy")[b % 6],
                        (npy_bytes(make_array(c, b, a)), b"{}", b"garbage", b"")[c % 4]))
    elif op == "duplicate_name":
        members.append((name, body if b % 2 else mutate_bytes(body, BYTE_OPS[c % len(BYTE_OPS)], a, b, c)))
    elif op == "compression":
        compression = _COMPRESSIONS[b % len(_COMPRESSIONS)]
    elif op == "directory":
        members.append((("x/", "vectors.npy/", "header.json/")[b % 3], b""))
    return build_zip(members, compression)


# --------------------------------------------------------------------------- crafted zips (sizes, bombs, ZIP64)
@dataclasses.dataclass
class ZipEntry:
    """One member as :func:`assemble_zip` writes it: ``stored`` is the member's bytes as stored (deflated
    for method 8); every field of the headers may be set to lie."""
    name: bytes
    stored: bytes
    method: int = 0
    crc: int = 0
    file_size: int = 0  # as declared in the central directory (and the local header, unless local_* say)
    compress_size: int | None = None  # None: len(stored)
    zip64: bool = False  # sizes (and the offset) in a ZIP64 extra field, 0xFFFFFFFF in the headers
    flags: int = 0
    local_name: bytes | None = None  # None: name
    local_file_size: int | None = None
    local_compress_size: int | None = None
    offset_delta: int = 0  # added to the local header offset the central directory records


def zip_entry(name: str, data: bytes, deflate: bool = False, level: int = 6) -> ZipEntry:
    stored = _raw_deflate(data, level) if deflate else data
    return ZipEntry(name.encode("utf-8"), stored, 8 if deflate else 0, zlib.crc32(data), len(data))


def assemble_zip(entries: list[ZipEntry], zip64_end: bool = False, comment: bytes = b"") -> bytes:
    """A zip written field by field (zipfile cannot write lying sizes, raw deflate streams or ZIP64 records
    on small members)."""
    out = io.BytesIO()
    central = []
    for e in entries:
        offset = out.tell()
        csize = len(e.stored) if e.compress_size is None else e.compress_size
        lname = e.name if e.local_name is None else e.local_name
        lfile = e.file_size if e.local_file_size is None else e.local_file_size
        lcomp = csize if e.local_compress_size is None else e.local_compress_size
        version = 45 if e.zip64 else 20
        if e.zip64:
            extra = struct.pack("<HHQQ", 1, 16, lfile & (2 ** 64 - 1), lcomp & (2 ** 64 - 1))
            lfile32 = lcomp32 = 0xFFFFFFFF
        else:
            extra, lfile32, lcomp32 = b"", lfile & 0xFFFFFFFF, lcomp & 0xFFFFFFFF
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", version, e.flags, e.method & 0xFFFF, 0, 0x21,
                              e.crc & 0xFFFFFFFF, lcomp32, lfile32, len(lname), len(extra)) + lname + extra + e.stored)
        rel = max(0, offset + e.offset_delta)
        if e.zip64:
            cextra = struct.pack("<HHQQQ", 1, 24, e.file_size & (2 ** 64 - 1), csize & (2 ** 64 - 1), rel)
            c_file = c_comp = c_off = 0xFFFFFFFF
        else:
            cextra, c_file, c_comp, c_off = b"", e.file_size & 0xFFFFFFFF, csize & 0xFFFFFFFF, rel & 0xFFFFFFFF
        central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", version, version, e.flags,
                                   e.method & 0xFFFF, 0, 0x21, e.crc & 0xFFFFFFFF, c_comp, c_file, len(e.name),
                                   len(cextra), 0, 0, 0, 0, c_off) + e.name + cextra)
    cd_offset = out.tell()
    cd = b"".join(central)
    out.write(cd)
    n = len(entries)
    if zip64_end:
        end64 = out.tell()
        out.write(struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, len(cd), cd_offset))
        out.write(struct.pack("<4sIQI", b"PK\x06\x07", 0, end64, 1))
        out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF,
                              len(comment)) + comment)
    else:
        out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n & 0xFFFF, n & 0xFFFF, len(cd), cd_offset,
                              len(comment)) + comment)
    return out.getvalue()


BOMB_SIZES = (2 << 20, 16 << 20, 64 << 20)  # a bomb's real inflated size (far beyond 100 times its stored size)


@lru_cache(maxsize=64)
def deflate_bomb(kind: str, size: int) -> tuple[bytes, bytes, int]:
    """(the first bytes of the content, the raw deflate stream, crc) of a ``size``-byte member that deflates
    about 1000:1: "npy" an .npy header of float32 zeros (a plausible vectors.npy), "json" a header.json padded
    with spaces, "zeros" zeros. Built once per process, 1 MB at a time."""
    if kind == "npy":
        rows = (size - 128) // 16
        head = npy_with_header("<f4", (rows, 4), b"")
        body_len = rows * 16
    elif kind == "json":
        head = b'{"format": "embedstudio-embedding", "version": 1, "keys": []}'
        body_len = size - len(head)
    else:
        head, body_len = b"", size
    fill = b" " if kind == "json" else b"\x00"
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc = zlib.crc32(head)
    parts = [c.compress(head)]
    chunk = fill * (1 << 20)
    left = body_len
    while left > 0:
        piece = chunk if left >= len(chunk) else fill * left
        parts.append(c.compress(piece))
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    parts.append(c.flush())
    return head, b"".join(parts), crc


CRAFT_OPS = ("bomb", "bomb", "bomb_lying", "size_smaller", "size_larger", "compress_size", "npy_overdeclare",
             "npy_overdeclare", "zip64", "zip64", "zip64_lying", "duplicate_conflict", "duplicate_conflict", "bad_crc",
             "method", "offset", "name_mismatch", "deflated", "encrypted")
_SIZE_LIES = (0, 1, -1, -2, 7, 100, 4096, 1 << 20, 1 << 31, (1 << 32) - 2, 10 ** 9)


def _entries(members: list[tuple[str, bytes]], deflate: bool = False) -> list[ZipEntry]:
    return [zip_entry(n, d, deflate) for n, d in members]


def craft_zip(members: list[tuple[str, bytes]], op: str, a: int, b: int, c: int) -> bytes:
    """A zip of ``members`` (name, content) with one crafted defect the zipfile module cannot write: a
    decompression bomb, a central directory whose sizes lie, an .npy declaring more than the member holds,
    ZIP64 records (valid or lying), duplicate names with conflicting content, a wrong CRC, an odd method,
    offsets or names that disagree, an encrypted flag."""
    if not members:
        members = [("header.json", b"{}")]
    entries = _entries(members, deflate=op in ("deflated", "bomb_lying") or c % 4 == 0)
    i = a % len(entries)
    npys = [k for k, e in enumerate(entries) if e.name.endswith(b".npy")] or [i]
    j = npys[a % len(npys)]
    zip64_end = False
    if op == "bomb":
        kind = ("npy", "npy", "json", "zeros")[b % 4]
        size = BOMB_SIZES[c % len(BOMB_SIZES)]
        head, stream, crc = deflate_bomb(kind, size)
        name = {"npy": entries[j].name, "json": b"header.json"}.get(kind, ("vectors.npy", "x.npy", "header.json")[c % 3].encode())
        bomb = ZipEntry(name, stream, 8, crc, size)
        entries = [e for e in entries if e.name != name] + [bomb]
    elif op == "bomb_lying":  # a bomb whose directory declares a harmless size (zipfile stops there)
        head, stream, crc = deflate_bomb("npy", BOMB_SIZES[c % len(BOMB_SIZES)])
        declared = (len(head) + 64, 1024, len(stream), 100 * len(stream), 1 << 20)[b % 5]
        entries[j] = ZipEntry(entries[j].name, stream, 8, crc, declared)
    elif op in ("size_smaller", "size_larger"):
        e = entries[i]
        delta = _SIZE_LIES[b % len(_SIZE_LIES)]
        e.file_size = max(0, e.file_size - abs(delta)) if op == "size_smaller" else e.file_size + abs(delta)
        if c % 3 == 0:
            e.local_file_size = e.file_size
        if e.method == 0 and c % 2:  # a stored member: its compressed size is its size
            e.compress_size = e.file_size
    elif op == "compress_size":
        e = entries[i]
        e.compress_size = max(0, len(e.stored) + (-abs(_SIZE_LIES[b % len(_SIZE_LIES)]) if c % 2 else
                                                  abs(_SIZE_LIES[b % len(_SIZE_LIES)])))
    elif op == "npy_overdeclare":  # a real .npy whose header claims a few (or very many) more rows
        name, data = members[j]
        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
            shape = tuple(arr.shape) or (1,)
            descr = np.lib.format.dtype_to_descr(arr.dtype)
            payload = arr.tobytes()
        except Exception:  # noqa: BLE001 - not an .npy: make one
            shape, descr, payload = (3, 4), "<f4", b"\x00" * 48
        more = (1, 2, 10, 1000, 10 ** 6, 1 << 31)[b % 6]
        new_shape = (shape[0] + more,) + shape[1:]
        body = npy_with_header(descr, new_shape, payload[: len(payload) - (c % 3) * 4])
        entries[j] = zip_entry(name, body, deflate=bool(c % 2))
    elif op == "zip64":  # valid ZIP64 records: a reader must accept them
        for k, e in enumerate(entries):
            if b % 2 or k == i:
                e.zip64 = True
        zip64_end = bool(c % 2)
    elif op == "zip64_lying":
        e = entries[i]
        e.zip64 = True
        e.file_size = (1 << 40, 1 << 63, e.file_size + 1, max(0, e.file_size - 1), 2 ** 64 - 1)[b % 5]
        if c % 2:
            e.compress_size = (1 << 40, len(e.stored) + 1, 0)[c % 3]
        zip64_end = bool(c % 3 == 0)
    elif op == "duplicate_conflict":
        name = entries[i].name
        if name == b"header.json" or b % 3 == 0:
            other = json.dumps({"format": ("x", "embedstudio-embedding", "embedstudio-checkpoint")[c % 3],
                                "keys": ["a"]}).encode()
            dup = zip_entry("header.json", other)
        else:
            dup = zip_entry(name.decode("utf-8", "replace"), npy_bytes(make_array(b, c, a)))
        entries.insert(0 if c % 2 else len(entries), dup)
    elif op == "bad_crc":
        entries[i].crc ^= 1 << (b % 32)
    elif op == "method":
        entries[i].method = (1, 9, 12, 14, 93, 95, 98, 99, 0xFFFF)[b % 9]
    elif op == "offset":
        entries[i].offset_delta = (-1, 1, 30, -30, 1 << 20, -(1 << 20))[b % 6]
    elif op == "name_mismatch":
        entries[i].local_name = (entries[i].name + b"x", b"header.json", b"", entries[i].name.upper())[b % 4]
    elif op == "encrypted":
        entries[i].flags |= 1
    elif op == "deflated":
        pass  # every member deflated: a valid file
    return assemble_zip(entries, zip64_end=zip64_end)


# --------------------------------------------------------------------------- HDF5 mutations
H5_OPS = ("format_version", "dataset", "dataset", "values", "state_dict_key", "delete", "rename", "group",
          "softlink", "extlink", "add_param", "chunked", "root_attr", "bytes")
FORMAT_VERSIONS = (2, 0, -1, "1", b"1", 1.5, float("nan"), float("inf"), [1, 1], True, 2 ** 62, "x", b"\xff",
                   np.array([[1]]), 1)
STATE_KEYS = (b"x", "lhs_operators.0.real", 5, np.array([1, 2]), "", "rhs_operators.0.diagonals", b"\xff\xfe",
              "global_embs.emb_entity", "rhs_operators.9.real", np.float64(1.0))
PARAM_NAMES = ("relations/0/operator/lhs/real", "relations/0/operator/rhs/imag", "relations/7/operator/rhs/diagonal",
               "relations/0/operator/lhs/diagonals", "entities/entity/global_embedding", "relations/x/operator/y/z",
               "relations/0/operator/rhs/linear_transformation", "entities/user/global_embedding", "a/b/c")


def h5_tree(data: bytes):
    """(root attrs, [(path, kind, value, attrs)]) of an HDF5 file, or None when h5py cannot read it."""
    import h5py

    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            root = {k: f.attrs[k] for k in f.attrs}
            items: list = []

            def visit(name, obj):
                attrs = {k: obj.attrs[k] for k in obj.attrs}
                if isinstance(obj, h5py.Dataset):
                    items.append((name, "dataset", obj[()], attrs))
                else:
                    items.append((name, "group", None, attrs))
            f.visititems(visit)
            return root, items
    except Exception:  # noqa: BLE001 - a damaged file: mutate its bytes instead
        return None


def build_h5(root: dict, items: list) -> bytes:
    import h5py

    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        for k, v in root.items():
            _set_attr(f, k, v)
        for path, kind, value, attrs in items:
            try:
                if kind == "group":
                    obj = f.require_group(path)
                elif kind == "softlink":
                    f[path] = h5py.SoftLink(value)
                    continue
                elif kind == "extlink":
                    f[path] = h5py.ExternalLink(value, "/x")
                    continue
                elif kind == "chunked":
                    obj = f.create_dataset(path, data=value, chunks=True, compression="gzip", shuffle=True,
                                           fletcher32=True)
                else:
                    obj = f.create_dataset(path, data=value)
            except (ValueError, TypeError, KeyError, OSError, RuntimeError):
                continue  # h5py cannot write that combination: leave the item out
            for k, v in attrs.items():
                _set_attr(obj, k, v)
    return buf.getvalue()


def _set_attr(obj, key, value) -> None:
    try:
        obj.attrs[key] = value
    except (ValueError, TypeError, KeyError, OSError, RuntimeError):
        pass


def mutate_h5(data: bytes, op: str, a: int, b: int, c: int) -> bytes:
    """A structural change of an HDF5 file (PBG embeddings and model files), written with h5py."""
    tree = h5_tree(data)
    if tree is None or op == "bytes":
        return mutate_bytes(data, BYTE_OPS[a % len(BYTE_OPS)], a, b, c)
    root, items = tree
    datasets = [k for k, it in enumerate(items) if it[1] == "dataset"]
    k = datasets[a % len(datasets)] if datasets else None
    if op == "format_version":
        root["format_version"] = FORMAT_VERSIONS[b % len(FORMAT_VERSIONS)]
        if c % 4 == 0:
            root.pop("format_version")
    elif op == "root_attr":
        root[("config/json", "format_version", "iteration", "x")[b % 4]] = ("{", 5, b"\xff", np.zeros(3))[c % 4]
    elif op == "dataset" and k is not None:
        path, _, value, attrs = items[k]
        items[k] = (path, "dataset", make_array(b, c, a, special=c % 3), attrs)
    elif op == "values" and k is not None:
        path, _, value, attrs = items[k]
        arr = np.array(value, copy=True)
        if arr.size and arr.dtype.kind == "f":
            arr.flat[b % arr.size] = (np.nan, np.inf, -np.inf, 1e38, -0.0, 1e-45)[c % 6]
            items[k] = (path, "dataset", arr, attrs)
        elif arr.size and arr.dtype.kind in "iu":
            info = np.iinfo(arr.dtype)
            arr.flat[b % arr.size] = (info.min, info.max, 0)[c % 3]
            items[k] = (path, "dataset", arr, attrs)
    elif op == "state_dict_key" and k is not None:
        path, kind, value, attrs = items[k]
        items[k] = (path, kind, value, {**attrs, "state_dict_key": STATE_KEYS[b % len(STATE_KEYS)]})
    elif op == "delete" and items:
        del items[a % len(items)]
    elif op == "rename" and k is not None:
        path, kind, value, attrs = items[k]
        new = (path + "x", path.rsplit("/", 1)[0] + "/other", "embeddings", PARAM_NAMES[b % len(PARAM_NAMES)])[c % 4]
        items[k] = (new, kind, value, attrs)
    elif op == "group":
        target = ("embeddings", "model", PARAM_NAMES[b % len(PARAM_NAMES)])[c % 3]
        items = [it for it in items if it[0] != target]
        items.append((target, "group", None, {}))
    elif op == "softlink":
        target = ("embeddings", "model", PARAM_NAMES[b % len(PARAM_NAMES)])[c % 3]
        items = [it for it in items if it[0] != target]
        items.append((target, "softlink", ("/missing", "/", "/embeddings")[b % 3], {}))
    elif op == "extlink":
        target = ("embeddings", PARAM_NAMES[b % len(PARAM_NAMES)])[c % 2]
        items = [it for it in items if it[0] != target]
        items.append((target, "extlink", ("missing.h5", "/etc/hostname", "model.v1.h5")[b % 3], {}))
    elif op == "add_param":
        name = "model/" + PARAM_NAMES[b % len(PARAM_NAMES)]
        items = [it for it in items if it[0] != name and not it[0].startswith(name + "/")]
        items.append((name, "dataset", make_array(c, a, b, special=a % 3), {}))
    elif op == "chunked" and k is not None:
        path, _, value, attrs = items[k]
        items[k] = (path, "chunked", value, attrs)
    # parents before children, so a group made of a dataset's path shows up as the conflict it is
    return build_h5(root, items)


# --------------------------------------------------------------------------- folder mutations
FOLDER_OPS = ("delete", "empty", "swap", "to_folder", "copy_other")


def mutate_folder(files: dict[str, bytes | None], op: str, a: int, b: int) -> dict[str, bytes | None]:
    names = sorted(k for k, v in files.items() if v is not None)
    if not names:
        return files
    files = dict(files)
    x, y = names[a % len(names)], names[b % len(names)]
    if op == "delete":
        del files[x]
    elif op == "empty":
        files[x] = b""
    elif op == "swap":
        files[x], files[y] = files[y], files[x]
    elif op == "to_folder":
        files[x] = None
    elif op == "copy_other":
        files[x] = files[y]
    return files


def file_kind(name: str, data: bytes | None) -> str:
    if data is None:
        return "folder"
    if data[:4] == b"PK\x03\x04" or name.endswith((".npz", ".ckpt", ".model", ".zip")):
        return "zip"
    if data[:8] == b"\x89HDF\r\n\x1a\n" or name.endswith(".h5"):
        return "h5"
    if name.endswith(".json"):
        return "json"
    if data[:6] == b"\x93NUMPY" or name.endswith(".npy"):
        return "npy"
    return "bytes"


# --------------------------------------------------------------------------- session folder mutations
SESSION_OPS = ("symlink_out", "symlink_out", "symlink_in", "symlink_loop", "symlink_dir_out", "fifo", "fifo",
               "fifo_in_folder", "dataset_path", "dataset_path", "dataset_path", "embedding_path", "map_path",
               "view_model", "deep_json", "huge_json", "many_datasets")
OUTSIDE_FILES = ("../outside/x.txt", "../outside/y.tsv", "../outside/e.npz", "../outside/g.esgraph")
DATASET_PATHS = (
    "../outside/x.txt", "../outside/y.tsv", "data/../../outside/x.txt", "./../outside/y.tsv", "data/\x00c.txt",
    "\x00", "@@CASE@@/data/c.txt", "@@CASE@@/../outside/y.tsv", "@@CASE@@/../outside", "@@CASE@@/..", "/etc/hostname",
    "/dev/zero", "/proc/self/environ", "data", "data/", ".", "", "session.json", "embeddings", "graph-model.esgraph",
    "space-model.esspace", "data/missing.txt", "data//c.txt", "./data/./c.txt", "data/c.txt/..", "..\\outside\\x.txt",
    "~/x.txt", "file:///etc/hostname", "C:\\x.txt", "a" * 300, "data/" + "x/" * 3000, "data/pipe.txt", "data/link.txt",
    "data/corpus", "data/g.tsv", "data/v.txt", "data/h.tsv", "\u00e9/\u6771\u4eac.txt", "data/c.txt\n",
)
DATASET_KINDS = (None, "corpus", "hierarchy", "user-items", "edgelist", "labelled", "graph-model", "pbg-checkpoint",
                 "word2vec-binary", 5, [], "")


def _rel_up(rel: str) -> str:
    """From the folder holding ``rel`` (inside the input) up to the input folder."""
    return "../" * rel.count("/")


def _load_doc(files: dict) -> dict | None:
    data = files.get("session.json")
    if not isinstance(data, bytes) or is_special(data):
        return None
    try:
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def _dump_doc(files: dict, doc: dict, deep: int = 0) -> None:
    text = json.dumps(doc, ensure_ascii=False)
    if deep:
        text = text.replace(f'"{DEEP}"', "[" * deep + "]" * deep)
    files["session.json"] = text.encode("utf-8", "surrogatepass")


def mutate_session(files: dict[str, bytes | None], op: str, a: int, b: int, c: int) -> dict[str, bytes | None]:
    """A change of a session folder that only a folder can carry: symbolic links out of it (or looping, or
    to the wrong file inside), named pipes in place of its files, dataset / embedding / map paths that leave
    it or cannot name a file (``..``, absolute, NUL bytes, too long), a view naming models, JSON nested deep
    or too large, thousands of datasets."""
    files = dict(files)
    inside = sorted(k for k, v in files.items() if v is not None and not k.startswith(OUTSIDE))
    if not inside:
        return files
    x = inside[a % len(inside)]
    if op == "symlink_out":
        out = OUTSIDE_FILES[b % len(OUTSIDE_FILES)]
        files.setdefault(out, b"alice\tbob\n")
        target = (_rel_up(x) + out, "@@CASE@@/" + out, BAIT_FILES[b % len(BAIT_FILES)], "@@CASE@@/../outside",
                  _rel_up(x) + "..")[c % 5]
        files[x] = symlink(target)
    elif op == "symlink_in":
        y = inside[b % len(inside)]
        files[x] = symlink(_rel_up(x) + y if c % 2 else "@@CASE@@/" + y)
    elif op == "symlink_loop":
        y = inside[b % len(inside)]
        if x == y or c % 2:
            files[x] = symlink(os.path.basename(x))
        else:
            files[x], files[y] = symlink("@@CASE@@/" + y), symlink("@@CASE@@/" + x)
    elif op == "symlink_dir_out":
        folders = sorted({k.rsplit("/", 1)[0] for k in inside if "/" in k}) or ["data"]
        folder = folders[b % len(folders)]
        files = {k: v for k, v in files.items() if not k.startswith(folder + "/")}
        files.setdefault(OUTSIDE_FILES[c % len(OUTSIDE_FILES)], b"alice\tbob\n")
        files[folder] = symlink(("@@CASE@@/../outside", _rel_up(folder) + "../outside", "/etc", "/proc/self")[c % 4])
    elif op == "fifo":
        files[x] = FIFO
    elif op == "fifo_in_folder":  # a pipe where a folder dataset's reader (or a sniffer) looks
        folders = sorted({k.rsplit("/", 1)[0] for k in inside if "/" in k}) or ["data"]
        name = ("pipe.txt", "config.json", "a.txt.gz", "metadata.tsv", "names.json", "x.npz")[b % 6]
        files[f"{folders[c % len(folders)]}/{name}"] = FIFO
        doc = _load_doc(files)
        if doc is not None and c % 2:
            if not isinstance(doc.get("datasets"), list):
                doc["datasets"] = []
            doc["datasets"].append({"path": f"{folders[c % len(folders)]}/{name}" if b % 3 else folders[c % len(folders)],
                                    "kind": DATASET_KINDS[a % len(DATASET_KINDS)]})
            _dump_doc(files, doc)
    else:
        doc = _load_doc(files)
        if doc is None:
            return mutate_folder(files, FOLDER_OPS[a % len(FOLDER_OPS)], b, c)
        if op == "dataset_path":
            path = DATASET_PATHS[b % len(DATASET_PATHS)]
            if path == "data/pipe.txt":
                files[path] = FIFO
            elif path == "data/link.txt":
                files.setdefault("../outside/x.txt", b"outside\n")
                files[path] = symlink("../" + OUTSIDE_FILES[c % len(OUTSIDE_FILES)] if c % 2 else "@@CASE@@/data/c.txt")
            entry = {"path": path, "kind": DATASET_KINDS[c % len(DATASET_KINDS)]}
            if a % 11 == 0:
                entry = (path, [path], {"kind": "corpus"}, {"path": 5}, None)[c % 5]
            if not isinstance(doc.get("datasets"), list):
                doc["datasets"] = []
            if doc["datasets"] and a % 3 == 0:
                doc["datasets"][c % len(doc["datasets"])] = entry
            else:
                doc["datasets"].append(entry)
        elif op == "embedding_path":
            path = DATASET_PATHS[b % len(DATASET_PATHS)]
            if path == "data/pipe.txt":
                files[path] = FIFO
            entries = doc.get("embeddings") if isinstance(doc.get("embeddings"), list) else []
            dicts = [e for e in entries if isinstance(e, dict)]
            if dicts:
                dicts[c % len(dicts)]["file"] = path
            else:
                doc["embeddings"] = [{"name": "e", "file": path}]
        elif op == "map_path":
            path = DATASET_PATHS[b % len(DATASET_PATHS)]
            if path == "data/pipe.txt":
                files[path] = FIFO
            doc["map"] = path if c % 4 else (5, [path], {"a": path}, True)[b % 4]
        elif op == "view_model":
            names = [str(e.get("name")) for e in doc.get("embeddings", []) if isinstance(e, dict)] or ["x"]
            value = (names[b % len(names)], "missing", 5, None, [names[0]], {"n": names[0]}, "")[c % 7]
            view = doc.get("view") if isinstance(doc.get("view"), dict) else {}
            view[("graph_model", "space_model")[a % 2]] = value
            if c % 3 == 0:
                view[("graph_model", "space_model")[(a + 1) % 2]] = names[(b + 1) % len(names)]
            doc["view"] = view if b % 9 else value
        elif op == "deep_json":
            depth = (500, 990, 1100, 5000, 100_000)[b % 5]
            where = c % 4
            if where == 0:
                doc["view"] = {"graph_model": DEEP}
            elif where == 1:
                if not isinstance(doc.get("datasets"), list):
                    doc["datasets"] = []
                doc["datasets"].append({"path": DEEP, "kind": None})
            elif where == 2:
                doc["embeddings"] = [{"name": DEEP, "file": "x.npz"}]
            else:
                doc["map"] = DEEP
            _dump_doc(files, doc, deep=depth)
            return files
        elif op == "huge_json":
            size = ((1 << 20), (16 << 20) + 10, 5 << 20)[b % 3]
            view = doc.get("view") if isinstance(doc.get("view"), dict) else {}
            view["pad"] = "x" * size if c % 2 else ["ab"] * (size // 6)
            doc["view"] = view
        elif op == "many_datasets":
            n = (1000, 5000, 20)[b % 3]
            paths = ("data/missing.txt", "../outside/x.txt", "/nonexistent/x", "data/c.txt")
            pick = paths[c % len(paths)] if n > 20 else "data/c.txt"
            doc["datasets"] = [{"path": pick if c % 2 else f"{pick}.{k}", "kind": None} for k in range(n)]
        _dump_doc(files, doc)
    return files
