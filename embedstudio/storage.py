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


@contextmanager
def atomic_write(path: str | os.PathLike, compress_by_suffix: bool = False) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` only when the block ends without error.

    Written to a temp file beside the target, flushed to disk, then renamed over it: a crash or
    a cancel never leaves a half-written file. With ``compress_by_suffix`` a name ending in .gz or
    .bz2 is compressed.
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
        os.chmod(tmp, _final_mode(path))  # mkstemp makes 0600; a saved file gets the usual mode
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
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_json_arrays(path: str | os.PathLike, header: dict, arrays: dict[str, np.ndarray]) -> None:
    """A zip of ``header.json`` and one ``<name>.npy`` per array, written atomically."""
    with atomic_write(path) as f:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr("header.json", json.dumps(header, ensure_ascii=False))
            for name, array in arrays.items():
                buf = io.BytesIO()
                np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
                z.writestr(f"{name}.npy", buf.getvalue())


def read_json_arrays(path: str | os.PathLike, tag: str, what: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a file written by :func:`write_json_arrays` whose header's "format" is ``tag``.

    Every problem is a DataFormatError naming the file; ``what`` names the kind in messages.
    """
    path = os.fspath(path)
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "header.json" not in names:
                raise DataFormatError(path, None, f"not an EmbedStudio {what} (no header.json)")
            header = json.loads(z.read("header.json").decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != tag:
                raise DataFormatError(path, None, f"not an EmbedStudio {what} (wrong format tag)")
            arrays = {name[:-4]: np.load(io.BytesIO(z.read(name)), allow_pickle=False)
                      for name in names if name.endswith(".npy")}
        for name, array in arrays.items():
            # Items of size 0 ('<U0', '|V0') need no data: such an array may claim any shape, and
            # converting it (to float32, say) would then allocate without bound.
            if array.dtype.itemsize == 0 and array.size:
                raise DataFormatError(path, None, f"cannot read {what}: {name}.npy holds {array.size:,} "
                                                  f"items of size 0 ({array.dtype.str})")
    except DataFormatError:
        raise
    except READ_ERRORS as e:
        raise DataFormatError(path, None, f"cannot read {what}: {e}") from None
    return header, arrays
