"""Text + media fusion (VideoSpace-style): does adding an image/video feature vector help the text?

Items have tokens (a title, tags, a description) and a precomputed media feature vector (the
pooled output of any CNN for an image or a video). :func:`compare_fusion` scores one fixed small
MLP on three feature sets over the same folds: ``text`` (the mean of the item's word vectors, as
:func:`~embedstudio.analysis.extrinsic.document_features`), ``media`` (the feature vector) and
``text+media`` (both, concatenated), each standardised on the training fold only. The result is an
:class:`~embedstudio.analysis.extrinsic.ExtrinsicResult`, so ``paired_difference("text+media",
"text")`` answers "does the media add anything?".

Media features are read by :func:`read_media_features`:

=============  ===============================================================================
layout         contents
=============  ===============================================================================
CSV / TSV      ``key,f1,f2,...`` per line (or tab-separated, or runs of spaces when a line has
               neither); the separator is chosen from the first line. An optional header line is
               recognised when every field after the first is not a number, or when its first
               field is empty or a usual key name (:data:`HEADER_WORDS`) and the rest count
               0, 1, 2, ... or 1, 2, 3, ... (what ``pandas.DataFrame.to_csv`` writes). A CSV key
               may be double-quoted (``"a, b",0.1,...``). Blank lines are skipped; gzip and bzip2
               are recognised by their magic bytes.
``.npz``       arrays ``keys`` (strings, or integers taken as their decimal text) and
               ``features`` (2-D numbers), read with ``allow_pickle=False``
``.npy``       a 2-D number matrix, with its keys in ``<stem>.keys.txt`` beside it (one per line)
=============  ===============================================================================

The first field (or ``keys``) is always the key, also when it looks like a number (numeric video
ids are common). Values must be finite and within float32 range: a NaN or an infinity would make
the scaler and the model fail far from the cause, so it is an error naming the line and column.
Keys must be unique and non-empty. Every problem is a
:class:`~embedstudio.data.errors.DataFormatError` with the line (text) or record number (arrays).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from embedstudio.analysis.extrinsic import (
    ExtrinsicResult, Progress, ShouldStop, _check_pooling, _cross_validate, _model_params, _prepare_labels,
    _TokenizedDocs,
)
from embedstudio.data.errors import DataFormatError
from embedstudio.data.sniff import LineReader, check_text_start, is_number
from embedstudio.storage import READ_ERRORS
from embedstudio.vectors import Embedding

__all__ = ["MediaFeatures", "read_media_features", "compare_fusion", "HEADER_WORDS", "FUSION_NAMES",
           "MISSING_MEDIA"]

FUSION_NAMES = ("text", "media", "text+media")
MISSING_MEDIA = ("drop", "zeros")
HEADER_WORDS = frozenset(
    "id key item name ids keys items names item_id item_key video video_id image image_id file filename "
    "path uid url".split()
)
"""First fields that, above numbered columns, make line 1 a header (case-insensitive)."""

FIRST_ROW_LIMIT = 16 << 20
"""Longest first line (bytes), before the row width is known."""
KEY_LIMIT = 64 * 1024
"""Longest key (bytes) and longest line of a ``.keys.txt`` file."""
_BLOCK_LINES = 4096  # text rows parsed per numpy call
_WS = " \t\n\r\x0b\x0c"
_WS_BYTES = b" \t\n\r\x0b\x0c"


def row_limit(width: int) -> int:
    """Longest accepted row once its width is known: 64 bytes per value plus room for the key."""
    return 64 * width + KEY_LIMIT


# --------------------------------------------------------------------------- the data type
@dataclass(eq=False)
class MediaFeatures:
    """One float32 feature row per key (keys unique)."""

    keys: list[str]
    features: np.ndarray
    path: str | None = None
    key_to_index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self):
        self.keys = [str(k) for k in self.keys]
        self.features = np.ascontiguousarray(self.features, dtype=np.float32)
        if self.features.ndim != 2:
            raise ValueError(f"features must be a 2-D matrix, got shape {self.features.shape}")
        if len(self.keys) != self.features.shape[0]:
            raise ValueError(f"{len(self.keys)} keys for {self.features.shape[0]} feature rows")
        self.key_to_index = {k: i for i, k in enumerate(self.keys)}
        if len(self.key_to_index) != len(self.keys):
            raise ValueError("media feature keys must be unique")

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: str) -> bool:
        return key in self.key_to_index

    @property
    def dim(self) -> int:
        return int(self.features.shape[1])

    def __repr__(self) -> str:
        return f"MediaFeatures({len(self):,} keys x {self.dim} dims, {self.path!r})"


# --------------------------------------------------------------------------- reading
def read_media_features(path: str | os.PathLike) -> MediaFeatures:
    """Media feature vectors from a CSV/TSV, an ``.npz`` or an ``.npy`` + ``.keys.txt`` (see the module doc)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise DataFormatError(path, None, "this is a folder, not a file")
    if not os.path.exists(path):
        raise DataFormatError(path, None, "no such file")
    lower = path.lower()
    if lower.endswith(".npz"):
        keys, features = _read_npz(path)
    elif lower.endswith(".npy"):
        keys, features = _read_npy(path)
    else:
        keys, features = _read_text(path)
    return MediaFeatures(keys, features, path)


class _Keys:
    """Collects keys, rejecting empty and repeated ones with the lines (or records) involved."""

    def __init__(self, path: str, unit: str = "line"):
        self.path, self.unit = path, unit
        self.keys: list[str] = []
        self.where: dict[str, int] = {}

    def add(self, key: str, line: int) -> None:
        if not key:
            raise DataFormatError(self.path, line, "empty key")
        first = self.where.setdefault(key, line)
        if first != line:
            raise DataFormatError(self.path, line, f"the key {key[:60]!r} is repeated: first on {self.unit} {first}, "
                                                   f"again on {self.unit} {line}")
        self.keys.append(key)


def _decode(path: str, line_no: int, data: bytes, what: str = "line") -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataFormatError(path, line_no, f"invalid UTF-8 at byte {e.start + 1} of the {what} "
                                             f"({data[e.start:e.start + 4]!r}); save the file as UTF-8") from None


# ----------------------------------------------------------------- text (CSV, TSV, whitespace)
class _TextLayout:
    def __init__(self, sep: str | None, width: int, header_line: int | None):
        self.sep = sep
        self.width = width
        self.header_line = header_line
        self.first_line = 0

    @property
    def sep_bytes(self) -> bytes | None:
        return None if self.sep is None else self.sep.encode()

    def describe(self) -> str:
        source = f"the header on line {self.header_line}" if self.header_line else f"line {self.first_line}"
        return f"{self.width} fields (a key and {self.width - 1} numbers, like {source})"


def _split_text(text: str, sep: str | None) -> list[str]:
    """Fields of a decoded line: runs of whitespace, or the separator (a quoted CSV key unquoted)."""
    if sep is None:
        return text.split()
    if sep == "," and text.lstrip(_WS).startswith('"'):
        return [f.strip(_WS) for f in next(csv.reader([text.strip(_WS)], strict=True))]
    return [f.strip(_WS) for f in text.split(sep)]


def _is_num(text: str) -> bool:
    return is_number(text.encode("utf-8", "replace"))


def _is_header(fields: list[str]) -> bool:
    rest = fields[1:]
    if not rest:
        return False
    if not any(_is_num(f) for f in rest):
        return True
    first = fields[0].lower()
    if first == "" or first in HEADER_WORDS:
        for start in (0, 1):
            if rest == [str(start + j) for j in range(len(rest))]:
                return True
    return False


def _choose_sep(line: bytes) -> str | None:
    if b"\t" in line:
        return "\t"
    if b"," in line:
        return ","
    return None


def _read_text(path: str) -> tuple[list[str], np.ndarray]:
    check_text_start(path)  # binary data and UTF-16 are named at once, with their line
    keys = _Keys(path)
    blocks: list[np.ndarray] = []
    layout: _TextLayout | None = None
    lines: list[bytes] = []
    line_nos: list[int] = []

    def flush():
        blocks.append(_parse_block(path, lines, line_nos, layout, keys))
        lines.clear()
        line_nos.clear()

    with LineReader(path, FIRST_ROW_LIMIT) as reader:
        for raw in reader:
            line = raw.rstrip(b"\r")
            if not line.strip(_WS_BYTES):
                continue
            if layout is None:
                layout = _first_line(path, reader.line_no, line)
                reader.max_line_bytes = row_limit(layout.width)
                if layout.header_line is not None:
                    continue
            if not layout.first_line:
                layout.first_line = reader.line_no
            lines.append(line)
            line_nos.append(reader.line_no)
            if len(lines) >= _BLOCK_LINES:
                flush()
        if lines:
            flush()
    if layout is None:
        raise DataFormatError(path, None, "the file is empty")
    if not blocks:
        raise DataFormatError(path, None, f"the file holds no rows after the header on line {layout.header_line}")
    return keys.keys, np.concatenate(blocks) if len(blocks) > 1 else blocks[0]


def _first_line(path: str, line_no: int, line: bytes) -> _TextLayout:
    sep = _choose_sep(line)
    fields = _fields(path, line_no, line, sep)
    if len(fields) < 2:
        raise DataFormatError(path, line_no, f"expected a key and at least one number, found one field "
                                             f"({fields[0][:60]!r}); separate the fields with commas or tabs")
    return _TextLayout(sep, len(fields), line_no if _is_header(fields) else None)


def _fields(path: str, line_no: int, line: bytes, sep: str | None) -> list[str]:
    nul = line.find(b"\x00")
    if nul >= 0:
        raise DataFormatError(path, line_no, f"NUL byte at byte {nul + 1} of the line: this is binary data, not text")
    text = _decode(path, line_no, line)
    try:
        return _split_text(text, sep)
    except csv.Error as e:
        raise DataFormatError(path, line_no, f"badly quoted key: {e}") from None


def _parse_block(path: str, lines: list[bytes], line_nos: list[int], layout: _TextLayout, keys: _Keys) -> np.ndarray:
    """float32 rows of a block of data lines; numpy's C parser first, the line-by-line check on any doubt."""
    values = _parse_fast(lines, layout)
    if values is None:
        block_keys, values = _parse_slow(path, lines, line_nos, layout)
    else:
        block_keys = [_decode(path, n, k.strip(_WS_BYTES), "key") for n, k in
                      zip(line_nos, (l.split(layout.sep_bytes, 1)[0] for l in lines))]
    with np.errstate(over="ignore", invalid="ignore"):
        rows = values.astype(np.float32)
    bad = ~np.isfinite(rows)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        text = _fields(path, line_nos[i], lines[i], layout.sep)[j + 1]
        why = "beyond float32 range" if _is_num(text) and np.isfinite(values[i, j]) else "not a finite number"
        raise DataFormatError(path, line_nos[i], f"column {j + 2} ({text[:24]!r}) is {why}: "
                                                 "media features must be finite numbers")
    for n, k in zip(line_nos, block_keys):
        keys.add(k, n)
    return rows


def _parse_fast(lines: list[bytes], layout: _TextLayout) -> np.ndarray | None:
    sep = layout.sep_bytes
    if sep == b"," and any(l.lstrip(_WS_BYTES).startswith(b'"') for l in lines):
        return None
    rests = []
    for line in lines:
        parts = line.split(sep, 1)
        if len(parts) != 2 or not parts[0].strip(_WS_BYTES) or b"\x00" in parts[0]:
            return None
        rests.append(parts[1])
    blob = b"\n".join(rests)
    if b"\x00" in blob or b"_" in blob:  # loadtxt reads "1_0" as 10; is_number does not
        return None
    if not blob.strip():  # nothing but separators and blanks: loadtxt would warn; the slow path names the line
        return None
    try:
        parsed = np.loadtxt(io.StringIO(blob.decode("ascii")), dtype=np.float64, comments=None, quotechar=None,
                            delimiter=layout.sep, ndmin=2)
    except (ValueError, UnicodeDecodeError):
        return None
    # loadtxt skips blank lines and may accept spellings is_number rejects: the shape check catches the first.
    if parsed.shape != (len(lines), layout.width - 1):
        return None
    return parsed


def _parse_slow(path: str, lines: list[bytes], line_nos: list[int], layout: _TextLayout):
    """Line-by-line parse naming the first bad line and column (the reference for the fast path)."""
    out = np.empty((len(lines), layout.width - 1), dtype=np.float64)
    block_keys = []
    for i, (n, line) in enumerate(zip(line_nos, lines)):
        fields = _fields(path, n, line, layout.sep)
        if len(fields) != layout.width:
            found = f"one field ({fields[0][:60]!r})" if len(fields) == 1 else f"{len(fields)} fields"
            raise DataFormatError(path, n, f"expected {layout.describe()}, found {found}")
        for j, f in enumerate(fields[1:], start=2):
            if not _is_num(f):
                shown = "an empty field" if not f else repr(f[:24])
                raise DataFormatError(path, n, f"column {j} ({shown}) is not a number")
        out[i] = [float(f) for f in fields[1:]]
        block_keys.append(fields[0])
    return block_keys, out


# ----------------------------------------------------------------- arrays (.npz, .npy)
def _load_array(path: str, loader, name: str) -> np.ndarray:
    try:
        array = loader()
        if isinstance(array, np.lib.npyio.NpzFile):
            array.close()
            raise DataFormatError(path, None, "this is an .npz archive, not a single .npy array")
        if not isinstance(array, np.ndarray):  # an archive member without the .npy suffix comes back as bytes
            raise DataFormatError(path, None, f"the member {name!r} is not a .npy array")
        return array
    except DataFormatError:
        raise
    except ValueError as e:
        if "pickle" in str(e).lower() or "object arrays" in str(e).lower():
            raise DataFormatError(path, None, f"the array {name!r} holds Python objects (a pickle); save strings "
                                              "and numbers instead: pickles are never loaded") from None
        raise DataFormatError(path, None, f"cannot read the array {name!r}: {e}") from None
    except READ_ERRORS as e:
        raise DataFormatError(path, None, f"cannot read the array {name!r}: {e}") from None


def _read_npz(path: str) -> tuple[list[str], np.ndarray]:
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise DataFormatError(path, None, f"not an .npz archive ({e})") from None
    except READ_ERRORS as e:
        raise DataFormatError(path, None, f"cannot read the .npz archive: {e}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataFormatError(path, None, "this is a single .npy array, not an .npz archive of 'keys' and 'features'")
    with archive:
        names = set(archive.files)
        missing = [n for n in ("keys", "features") if n not in names]
        if missing:
            have = ", ".join(sorted(names)) or "none"
            raise DataFormatError(path, None, f"the archive has no {' or '.join(map(repr, missing))} array "
                                              f"(it holds: {have}); save it with "
                                              "np.savez(path, keys=..., features=...)")
        raw_keys = _load_array(path, lambda: archive["keys"], "keys")
        features = _load_array(path, lambda: archive["features"], "features")
    keys = _array_keys(path, raw_keys)
    return keys, _check_matrix(path, features, keys, "keys")


def _array_keys(path: str, raw: np.ndarray) -> list[str]:
    if raw.ndim != 1:
        raise DataFormatError(path, None, f"'keys' must be a 1-D array, got shape {raw.shape}")
    if raw.dtype.itemsize == 0 and raw.size:  # '<U0' needs no data: it may claim any length (all keys empty)
        raise DataFormatError(path, None, f"'keys' holds {raw.size:,} empty keys (dtype {raw.dtype.str})")
    if raw.dtype.kind == "U":
        values = raw.tolist()
    elif raw.dtype.kind == "S":
        values = [_decode(path, i + 1, b, "key") for i, b in enumerate(raw.tolist())]
    elif raw.dtype.kind in "iu":
        values = [str(v) for v in raw.tolist()]
    else:
        raise DataFormatError(path, None, f"'keys' must hold strings (or integers), not {raw.dtype}")
    keys = _Keys(path, "record")
    for i, k in enumerate(values):
        keys.add(k, i + 1)
    return keys.keys


def _check_matrix(path: str, features: np.ndarray, keys: list[str], keys_source: str) -> np.ndarray:
    if features.ndim != 2:
        raise DataFormatError(path, None, f"the features must be a 2-D matrix, got shape {features.shape}")
    if features.dtype.kind not in "fiu":
        raise DataFormatError(path, None, f"the features must be numbers, not {features.dtype}")
    if features.shape[0] == 0 or features.shape[1] == 0:
        raise DataFormatError(path, None, f"the feature matrix is empty (shape {features.shape})")
    if features.shape[0] != len(keys):
        raise DataFormatError(path, None, f"{features.shape[0]:,} feature rows but {len(keys):,} {keys_source}")
    with np.errstate(over="ignore", invalid="ignore"):
        rows = np.ascontiguousarray(features, dtype=np.float32)
    bad = ~np.isfinite(rows)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        why = "beyond float32 range" if np.isfinite(features[i, j]) else f"{features[i, j]}"
        raise DataFormatError(path, int(i) + 1, f"record {i + 1} (key {keys[i][:60]!r}), column {j + 1} is {why}: "
                                                "media features must be finite numbers")
    return rows


def keys_path_for(npy_path: str | os.PathLike) -> str:
    """``features.npy`` -> ``features.keys.txt``: where an ``.npy`` matrix's keys are read from."""
    return os.path.splitext(os.fspath(npy_path))[0] + ".keys.txt"


def _read_npy(path: str) -> tuple[list[str], np.ndarray]:
    keys_path = keys_path_for(path)
    if not os.path.isfile(keys_path):
        raise DataFormatError(path, None, f"an .npy matrix needs its keys, one per line, in "
                                          f"{os.path.basename(keys_path)!r} beside it")
    features = _load_array(path, lambda: np.load(path, allow_pickle=False), "features")
    keys = _read_keys_file(keys_path)
    return keys, _check_matrix(path, features, keys, f"keys in {os.path.basename(keys_path)}")


def _read_keys_file(path: str) -> list[str]:
    check_text_start(path)
    keys = _Keys(path)
    blank = None
    with LineReader(path, KEY_LIMIT) as reader:
        for raw in reader:
            text = _decode(path, reader.line_no, raw.rstrip(b"\r")).strip(_WS)
            if not text:
                blank = blank or reader.line_no
                continue
            if blank is not None:
                raise DataFormatError(path, blank, "empty key (blank line) among the keys")
            keys.add(text, reader.line_no)
    if not keys.keys:
        raise DataFormatError(path, None, "the keys file is empty")
    return keys.keys


# --------------------------------------------------------------------------- the comparison
NEEDS_IDS = ("fusion matches documents to media features by id: open a table with an id column "
             "(a header such as 'id<TAB>label<TAB>text')")


def compare_fusion_docs(docs, rows: Sequence[int], labels: Sequence[str], text_embedding: Embedding,
                        media: MediaFeatures, **kwargs) -> ExtrinsicResult | None:
    """:func:`compare_fusion` on rows ``rows`` of labelled documents (a LabelledDocs with ids),
    each matched to its media features by its id."""
    if getattr(docs, "ids", None) is None:
        raise ValueError(NEEDS_IDS)
    return compare_fusion([docs.ids[i] for i in rows], [docs.tokens(i) for i in rows], labels, text_embedding,
                          media, **kwargs)


def compare_fusion(item_keys: Sequence[str], docs: Sequence[Sequence[str]], labels: Sequence[str],
                   text_embedding: Embedding, media: MediaFeatures, *, folds: int = 5, seed: int = 0,
                   hidden: Sequence[int] = (128,), max_iter: int = 300, missing_media: str = "drop",
                   pooling: str = "mean", progress: Progress = None,
                   should_stop: ShouldStop = None) -> ExtrinsicResult | None:
    """Score ``text``, ``media`` and ``text+media`` features with one MLP on the same folds.

    Item ``i`` is ``item_keys[i]`` (looked up in ``media``), its tokens ``docs[i]`` and its label
    ``labels[i]``. The model is ``MLPClassifier(hidden_layer_sizes=hidden, random_state=seed,
    max_iter=max_iter, early_stopping=False)`` after a ``StandardScaler`` fit on the training fold.
    The fused features are the two blocks side by side, standardised column by column, so the
    longer block has more inputs; nothing reweights them.

    Items without media features are dropped by default (``missing_media="drop"``), counted in
    ``dropped_without_media``: their media columns would be made up. ``"zeros"`` keeps them with
    zero media features, counted in the media coverage instead. Classes left with fewer than
    ``folds`` items are then dropped and reported as in
    :func:`~embedstudio.analysis.extrinsic.compare_embeddings`. Coverage of ``text+media`` is the
    share of items with both a known token and media features. Returns None when stopped.
    """
    n = len(item_keys)
    if len(docs) != n:
        raise ValueError(f"{len(docs)} token lists for {n} items: give one per item")
    if len(labels) != n:
        raise ValueError(f"{len(labels)} labels for {n} items: give one label per item")
    if missing_media not in MISSING_MEDIA:
        raise ValueError(f"missing_media must be one of {', '.join(MISSING_MEDIA)}, got {missing_media!r}")
    _check_pooling(pooling)
    params = _model_params("mlp", hidden, max_iter)
    index = media.key_to_index
    media_rows = np.fromiter((index.get(str(k), -1) for k in item_keys), dtype=np.int64, count=n)
    has_media = media_rows >= 0
    dropped_without_media = 0
    if missing_media == "drop":
        dropped_without_media = int((~has_media).sum())
        if not has_media.any():
            raise ValueError(f"none of the {n} items has media features (no item key is among the "
                             f"{len(media):,} media keys)")
        keep = np.flatnonzero(has_media)
        item_keys = [item_keys[i] for i in keep]
        docs = [docs[i] for i in keep]
        labels = [labels[i] for i in keep]
        media_rows = media_rows[keep]
    prepared = _prepare_labels(labels, folds, len(item_keys), "items")
    kept_docs = [d for d, k in zip(docs, prepared.keep) if k]
    media_rows = media_rows[prepared.keep]
    text_x, text_covered, token_coverage = _TokenizedDocs(kept_docs).pool(text_embedding, pooling)
    media_covered = media_rows >= 0
    media_x = np.zeros((len(media_rows), media.dim), dtype=np.float32)
    media_x[media_covered] = media.features[media_rows[media_covered]]

    def features(i: int):
        if i == 0:
            return text_x, text_covered, token_coverage
        if i == 1:
            return media_x, media_covered, None
        return np.hstack([text_x, media_x]), text_covered & media_covered, None

    return _cross_validate("fusion", list(FUSION_NAMES), features, prepared, folds=folds, seed=seed, model="mlp",
                           params=params, progress=progress, should_stop=should_stop, pooling=pooling,
                           dropped_without_media=dropped_without_media)
