"""Safe files: atomic writes, and the zip of JSON + .npy arrays that our own formats use.

Nothing here unpickles: arrays are read with ``allow_pickle=False`` and metadata is JSON.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import tempfile
import tokenize
import zipfile
import zlib
from contextlib import contextmanager
from typing import BinaryIO, Iterator

import numpy as np

from embedstudio.errors import DataFormatError

# What zipfile, json and numpy raise on damaged or crafted files: odd compression or encryption
# (NotImplementedError/RuntimeError), a damaged deflate or LZMA member (zlib.error, lzma.LZMAError), a .npy
# header claiming an array too large (MemoryError) or a shape beyond int64 (OverflowError), a .npy header
# numpy's Python-2 fallback cannot tokenize (tokenize.TokenError), JSON nested too deep (RecursionError,
# a RuntimeError).
READ_ERRORS = (zipfile.BadZipFile, OSError, KeyError, TypeError, ValueError, UnicodeDecodeError, EOFError,
               NotImplementedError, RuntimeError, MemoryError, OverflowError, zlib.error, lzma.LZMAError,
               tokenize.TokenError)


def special_file_reason(path: str | os.PathLike) -> str | None:
    """Why ``path`` must not be opened for reading although it exists: a named pipe would block the
    open (and every later job on the window's one worker), a device or socket is no file at all.
    None for a regular file, a folder, or a path that does not exist (the caller reports those)."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return f"this is {kind}, not a file: it is not read"


@contextmanager
def atomic_write(path: str | os.PathLike, compress_by_suffix: bool = False, executable: bool = False
                 ) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` only when the block ends without error.

    Written to a temp file beside the target, flushed to disk, then renamed over it: a crash or
    a cancel never leaves a half-written file. With ``compress_by_suffix`` a name ending in .gz or
    .bz2 is compressed. ``executable`` (a script) adds the x bits the umask allows, before the rename,
    so the file is never there but not runnable.
    """
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                               dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as raw:
            lower = path.lower()
            if compress_by_suffix and lower.endswith(".gz"):
                f = gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0)
            elif compress_by_suffix and lower.endswith(".bz2"):
                f = bz2.BZ2File(raw, mode="wb")
            else:
                f = raw
            yield f
            if f is not raw:
                f.close()
            raw.flush()
            os.fsync(raw.fileno())
        mode = _final_mode(path)  # mkstemp makes 0600; a saved file gets the usual mode
        os.chmod(tmp, mode | (0o111 & ~_umask()) if executable else mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _final_mode(path: str) -> int:
    """The mode an ordinary open() would give: the existing file's, or 0666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_json_arrays(path: str | os.PathLike, header: dict, arrays: dict[str, np.ndarray]) -> None:
    """A zip of ``header.json`` and one ``<name>.npy`` per array, written atomically."""
    with atomic_write(path) as f:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr("header.json", json.dumps(header, ensure_ascii=False))
            for name, array in arrays.items():
                buf = io.BytesIO()
                np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
                z.writestr(f"{name}.npy", buf.getvalue())


MAX_JSON_BYTES = 1 << 30
"""The largest header.json we read (an embedding's keys live there: 3M words take about 50 MB)."""
_MAX_EXPANSION = 100  # a deflated member may inflate to at most this many times its stored size ...
_EXPANSION_ALLOWANCE = 64 << 20  # ... beyond this many bytes (our own writer stores members uncompressed)


def _member(z: zipfile.ZipFile, name: str, path: str, what: str, cap: int | None = None) -> zipfile.ZipInfo:
    """The zip directory's entry of ``name``, refused when its declared size is beyond ``cap``, inflates more
    than _MAX_EXPANSION-fold, or would not fit in memory: checked before a byte of it is inflated."""
    from embedstudio.memory import check_reading

    info = z.getinfo(name)
    size = info.file_size
    if cap is not None and size > cap:
        raise DataFormatError(path, None, f"cannot read {what}: {name} declares {size:,} bytes, more than the "
                                          f"{cap:,} such a member may hold")
    if size > _EXPANSION_ALLOWANCE and size > _MAX_EXPANSION * max(1, info.compress_size):
        raise DataFormatError(path, None, f"cannot read {what}: {name} would inflate {info.compress_size:,} bytes "
                                          f"to {size:,} (a decompression bomb?)")
    check_reading(size, path, None, f"{what}: {name}")
    return info


def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes; zipfile never inflates past the declared size and checks the CRC at the end, so
    a directory that lies about the size is a BadZipFile, not a runaway read."""
    with z.open(info) as f:
        return f.read(info.file_size)


def _read_npy(z: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, what: str) -> np.ndarray:
    """One .npy member, its header checked against the member's size before the data is read (a crafted
    shape never allocates) and the data read once, with no copy of the member on the side."""
    fmt = np.lib.format
    with z.open(info) as f:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
        if dtype.hasobject:
            raise ValueError("the array holds Python objects (pickles are never read)")
        count = 1
        for n in shape:
            count *= int(n)
        if dtype.itemsize == 0 and count:
            # Items of size 0 ('<U0', '|V0') need no data: such an array may claim any shape, and
            # converting it (to float32, say) would then allocate without bound.
            raise DataFormatError(path, None, f"cannot read {what}: {info.filename} holds {count:,} items of size 0 "
                                              f"({dtype.str})")
        nbytes = count * dtype.itemsize
        if nbytes > info.file_size:
            raise ValueError(f"its header declares {nbytes:,} bytes of data in a member of {info.file_size:,}")
        data = f.read(nbytes)
    if len(data) != nbytes:
        raise ValueError(f"the data ends after {len(data):,} of {nbytes:,} bytes")
    array = np.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran else "C")


def read_json_arrays(path: str | os.PathLike, tag: str, what: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a file written by :func:`write_json_arrays` whose header's "format" is ``tag``.

    Every problem is a DataFormatError naming the file; ``what`` names the kind in messages. Members are
    bounded by their declared sizes (checked against caps and the memory before inflating, and by zipfile
    while inflating). Arrays come back read-only (they view the bytes read): copy one before changing it.
    """
    path = os.fspath(path)
    special = special_file_reason(path)
    if special:
        raise DataFormatError(path, None, special)
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "header.json" not in names:
                raise DataFormatError(path, None, f"not an EmbedStudio {what} (no header.json)")
            info = _member(z, "header.json", path, what, MAX_JSON_BYTES)
            header = json.loads(_read_member(z, info).decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != tag:
                raise DataFormatError(path, None, f"not an EmbedStudio {what} (wrong format tag)")
            arrays = {name[:-4]: _read_npy(z, _member(z, name, path, what), path, what)
                      for name in names if name.endswith(".npy")}
    except DataFormatError:
        raise
    except READ_ERRORS as e:
        raise DataFormatError(path, None, f"cannot read {what}: {e}") from None
    return header, arrays
