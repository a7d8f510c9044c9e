"""Labelled documents (TagSpace) and user -> items lists (PageSpace).

**Labelled documents**, one per line, in either layout:

* fastText/StarSpace style: ``__label__`` tokens anywhere among the words::

      __label__role::program __label__use::gameplaying a puzzle game for two players

* a table with a header naming its columns (tab- or comma-separated): ``text`` and one of
  ``label``/``labels``/``tag``/``tags``/``category``/``class``, optionally ``id``; several labels
  in one field are separated by ``|``, ``;`` or spaces (or commas, in a tab-separated table). There
  is no quoting: a comma-separated table cannot hold commas in its text::

      id	labels	text
      0ad	game|strategy	real-time strategy game of ancient warfare

The words are tokenised by ``tokenizer``: ``"whitespace"`` (as fastText and StarSpace read their
files: split at whitespace, keep case and punctuation) or ``"words"`` (the corpus reader's
Unicode word tokenizer, lower-cased). A document with no label is kept (it has words for the
vocabulary but no training target) and counted; a document with no word is dropped and counted.

**User -> items**, one of:

* one user per line, items after it: ``user item item item``;
* ``user item`` pairs, one per line, a user's lines need not be adjacent.

Separators are sniffed as for edge lists (tab, else comma, else whitespace). With ``layout=None``
a file whose every line has exactly two fields is read as pairs, which is the same thing as lines of
one item. A user's repeated item is kept once. Every problem is a
:class:`~embedstudio.data.errors.DataFormatError` with the line.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field

import numpy as np

from embedstudio.data.corpus import TokenizerOptions
from embedstudio.data.errors import DataFormatError
from embedstudio.data.sniff import LineReader, Sample, check_text_start, register_sniffer

__all__ = ["LabelledDocs", "UserItems", "read_labelled", "read_user_items", "split_docs", "hold_out_items"]

DEFAULT_MAX_LINE_BYTES = 4 << 20
LABEL_PREFIX = "__label__"
TEXT_COLUMNS = ("text", "document", "doc", "sentence", "description", "title", "body", "content")
LABEL_COLUMNS = ("label", "labels", "tag", "tags", "category", "categories", "class", "target")
ID_COLUMNS = ("id", "key", "item", "doc_id", "name")
TOKENIZERS = ("whitespace", "words")
_WS_RUN = re.compile(r"[ \t\n\r\x0b\x0c]+")
_LABEL_SPLIT = re.compile(r"[,|; \t]+")
_SNIFF_LINES = 64


# --------------------------------------------------------------------------- data types
def _interned(names: list[str]) -> dict[str, int]:
    return {n: i for i, n in enumerate(names)}


@dataclass(eq=False)
class LabelledDocs:
    """Documents as word ids and label ids, both in CSR form (``indptr`` of length n + 1)."""

    words: list[str]
    labels: list[str]
    word_indptr: np.ndarray  # int64 [n + 1]
    word_ids: np.ndarray  # int32
    label_indptr: np.ndarray  # int64 [n + 1]
    label_ids: np.ndarray  # int32
    ids: list[str] | None = None  # from an id column
    line_numbers: np.ndarray | None = None  # int64, the line of each document
    path: str = ""
    dropped_empty: int = 0  # lines whose text had no token
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.word_indptr) - 1

    @property
    def word_counts(self) -> np.ndarray:
        return np.bincount(self.word_ids, minlength=len(self.words)).astype(np.int64)

    @property
    def label_counts(self) -> np.ndarray:
        return np.bincount(self.label_ids, minlength=len(self.labels)).astype(np.int64)

    def doc_words(self, i: int) -> np.ndarray:
        return self.word_ids[self.word_indptr[i]:self.word_indptr[i + 1]]

    def doc_labels(self, i: int) -> np.ndarray:
        return self.label_ids[self.label_indptr[i]:self.label_indptr[i + 1]]

    def tokens(self, i: int) -> list[str]:
        return [self.words[w] for w in self.doc_words(i)]

    def label_names(self, i: int) -> list[str]:
        return [self.labels[l] for l in self.doc_labels(i)]

    def single_labels(self, prefix: str = "") -> tuple[np.ndarray, list[str]]:
        """One label a document, for a single-label classifier: the document's first label that
        starts with ``prefix`` (a debtags facet such as ``role::``). Returns (rows that have one,
        their labels); documents without such a label are left out, and none at all is a ValueError."""
        rows, names = [], []
        for i in range(len(self)):
            for l in self.doc_labels(i):
                if self.labels[l].startswith(prefix):
                    rows.append(i)
                    names.append(self.labels[l])
                    break
        if not rows:
            raise ValueError(f"no document of {os.path.basename(self.path) or 'the data'} has a label "
                             f"starting with {prefix!r}")
        return np.asarray(rows, dtype=np.int64), names

    def subset(self, rows) -> "LabelledDocs":
        """The documents ``rows`` (same vocabularies, so ids stay comparable across splits)."""
        rows = np.asarray(rows, dtype=np.int64)
        wi, w = _take_csr(self.word_indptr, self.word_ids, rows)
        li, l = _take_csr(self.label_indptr, self.label_ids, rows)
        return LabelledDocs(self.words, self.labels, wi, w, li, l,
                            None if self.ids is None else [self.ids[i] for i in rows],
                            None if self.line_numbers is None else self.line_numbers[rows], self.path, 0,
                            dict(self.info))

    def summary(self) -> str:
        n_lab = int((np.diff(self.label_indptr) > 0).sum())
        return (f"{len(self):,} documents ({n_lab:,} labelled), {len(self.words):,} words, "
                f"{len(self.labels):,} labels, {len(self.word_ids) / max(len(self), 1):.1f} words and "
                f"{len(self.label_ids) / max(n_lab, 1):.2f} labels a document")


@dataclass(eq=False)
class UserItems:
    """Each user's items (CSR): PageSpace's "a user is the bag of the pages they follow"."""

    users: list[str]
    items: list[str]
    indptr: np.ndarray  # int64 [n_users + 1]
    item_ids: np.ndarray  # int32
    path: str = ""
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.users)

    def user_items(self, u: int) -> np.ndarray:
        return self.item_ids[self.indptr[u]:self.indptr[u + 1]]

    @property
    def item_counts(self) -> np.ndarray:
        return np.bincount(self.item_ids, minlength=len(self.items)).astype(np.int64)

    def summary(self) -> str:
        return (f"{len(self.users):,} users, {len(self.items):,} items, "
                f"{len(self.item_ids) / max(len(self.users), 1):.1f} items a user")


def _take_csr(indptr: np.ndarray, values: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lengths = indptr[rows + 1] - indptr[rows]
    out_ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    if len(rows) == 0 or out_ptr[-1] == 0:
        return out_ptr, np.empty(0, dtype=values.dtype)
    starts = np.repeat(indptr[rows] - out_ptr[:-1], lengths)
    return out_ptr, values[np.arange(out_ptr[-1]) + starts]


# --------------------------------------------------------------------------- splits
def split_docs(docs: LabelledDocs, valid: float = 0.0, test: float = 0.1, seed: int = 0,
               labelled_only: bool = True) -> tuple[LabelledDocs, LabelledDocs, LabelledDocs]:
    """Seeded train/valid/test split by document. Unlabelled documents stay in train (for words)."""
    if not (0 <= valid < 1 and 0 <= test < 1 and valid + test < 1):
        raise ValueError(f"valid={valid} and test={test} must be shares in [0, 1) summing below 1")
    n = len(docs)
    rng = np.random.default_rng([seed, 11])
    part = np.zeros(n, dtype=np.int8)
    eligible = np.flatnonzero(np.diff(docs.label_indptr) > 0) if labelled_only else np.arange(n)
    order = rng.permutation(eligible)
    n_test, n_valid = int(round(test * len(order))), int(round(valid * len(order)))
    part[order[:n_test]] = 2
    part[order[n_test:n_test + n_valid]] = 1
    return tuple(docs.subset(np.flatnonzero(part == k)) for k in (0, 1, 2))


def hold_out_items(data: UserItems, share: float = 0.1, seed: int = 0,
                   min_items: int = 2) -> tuple[UserItems, np.ndarray]:
    """Leave one out: for a seeded ``share`` of the users with >= ``min_items`` items, remove one
    random item from their bag. Returns (training data, int64 array of (user, held-out item) rows).
    The held-out item is absent from that user's training bag, so nothing leaks."""
    sizes = np.diff(data.indptr)
    rng = np.random.default_rng([seed, 13])
    eligible = np.flatnonzero(sizes >= min_items)
    chosen = np.sort(rng.choice(eligible, size=int(round(share * len(eligible))), replace=False))
    drop = np.zeros(len(data.item_ids), dtype=bool)
    held = np.empty((len(chosen), 2), dtype=np.int64)
    for k, u in enumerate(chosen):
        pos = int(data.indptr[u]) + int(rng.integers(sizes[u]))
        drop[pos] = True
        held[k] = (u, data.item_ids[pos])
    keep_sizes = sizes - np.bincount(np.repeat(np.arange(len(sizes)), sizes)[drop], minlength=len(sizes))
    indptr = np.concatenate([[0], np.cumsum(keep_sizes)]).astype(np.int64)
    train = UserItems(data.users, data.items, indptr, data.item_ids[~drop], data.path, dict(data.info))
    return train, held


# --------------------------------------------------------------------------- reading
def _decoded_lines(path: str, reader: LineReader):
    """(line number, stripped text) of non-blank, non-comment lines; NUL bytes and bad UTF-8 are errors."""
    for line in reader:
        if b"\x00" in line:
            raise DataFormatError(path, reader.line_no,
                                  f"NUL byte at byte {line.index(0) + 1} of the line: this is binary data, not text")
        s = line.strip()
        if not s or s[:1] == b"#":
            continue
        try:
            yield reader.line_no, s.decode("utf-8")
        except UnicodeDecodeError as e:
            at = e.start + len(line) - len(line.lstrip())
            raise DataFormatError(path, reader.line_no,
                                  f"invalid UTF-8 at byte {at + 1} of the line; save the file as UTF-8") from None


def _column_layout(first: str) -> tuple[str, list[str]] | None:
    """(separator, lower-cased column names) when ``first`` is a header naming a text and a label column."""
    for sep in ("\t", ","):
        if sep in first:
            names = [c.strip().lower() for c in first.split(sep)]
            if any(n in TEXT_COLUMNS for n in names) and any(n in LABEL_COLUMNS for n in names):
                return sep, names
    return None


def read_labelled(path: str | os.PathLike, *, tokenizer: str = "whitespace", label_prefix: str = LABEL_PREFIX,
                  max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, words: list[str] | None = None,
                  labels: list[str] | None = None) -> LabelledDocs:
    """Read labelled documents (see the module docstring).

    ``words``/``labels``: the vocabularies of another file (a training split) to read a test file
    against: unknown words are dropped, unknown labels kept (they are new rows, never predicted).
    """
    path = os.fspath(path)
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {tokenizer!r}; known: {', '.join(TOKENIZERS)}")
    if not label_prefix:
        raise ValueError("label_prefix must not be empty")
    check_text_start(path)
    tok = TokenizerOptions() if tokenizer == "words" else None
    fixed_words = words is not None
    word_ids: dict[str, int] = _interned(list(words)) if fixed_words else {}
    word_names: list[str] = list(words) if fixed_words else []
    label_ids: dict[str, int] = _interned(list(labels or []))
    label_names: list[str] = list(labels or [])
    w_ptr, w_vals, l_ptr, l_vals, line_nos, ids = [0], [], [0], [], [], []
    dropped = 0
    n_lines = 0

    def split_words(text: str) -> list[str]:
        if tok is not None:
            return tok.tokenize(text)
        return text.split() if text.isascii() else [t for t in _WS_RUN.split(text) if t]

    with LineReader(path, max_line_bytes) as reader:
        lines = _decoded_lines(path, reader)
        first = next(lines, None)
        if first is None:
            raise DataFormatError(path, None, "the file is empty" if reader.line_no == 0
                                  else "the file has only blank lines and comments")
        layout = _column_layout(first[1])
        if layout is None:
            rows = itertools.chain([first], lines)
        else:
            sep, names = layout
            text_col = next(i for i, n in enumerate(names) if n in TEXT_COLUMNS)
            label_col = next(i for i, n in enumerate(names) if n in LABEL_COLUMNS)
            id_col = next((i for i, n in enumerate(names) if n in ID_COLUMNS), None)
            rows = lines
        for line_no, text in rows:
            n_lines += 1
            if layout is None:
                toks = split_words(text) if tok is None else text.split()
                doc_labels = [t[len(label_prefix):] for t in toks if t.startswith(label_prefix)]
                if tok is None:
                    doc_words = [t for t in toks if not t.startswith(label_prefix)]
                else:
                    doc_words = split_words(" ".join(t for t in toks if not t.startswith(label_prefix)))
                if any(not l for l in doc_labels):
                    raise DataFormatError(path, line_no, f"a {label_prefix!r} token without a label name")
            else:
                fields = text.split(sep)
                if len(fields) < len(names):  # empty last fields (an empty text): stripping the line dropped their tabs
                    fields += [""] * (len(names) - len(fields))
                if len(fields) != len(names):
                    raise DataFormatError(path, line_no, f"found {len(fields)} fields, the header names {len(names)}")
                doc_labels = [l for l in _LABEL_SPLIT.split(fields[label_col].strip()) if l]
                doc_words = split_words(fields[text_col])
                if id_col is not None:
                    ids.append(fields[id_col].strip())
            if not doc_words:
                dropped += 1
                if layout is not None and id_col is not None:
                    ids.pop()
                continue
            for w in doc_words:
                i = word_ids.get(w)
                if i is None:
                    if fixed_words:
                        continue
                    i = word_ids[w] = len(word_names)
                    word_names.append(w)
                w_vals.append(i)
            for l in dict.fromkeys(doc_labels):  # a label repeated on one line counts once
                i = label_ids.get(l)
                if i is None:
                    i = label_ids[l] = len(label_names)
                    label_names.append(l)
                l_vals.append(i)
            w_ptr.append(len(w_vals))
            l_ptr.append(len(l_vals))
            line_nos.append(line_no)
    if len(line_nos) == 0:
        raise DataFormatError(path, None, "no document has any word" if n_lines else "the file has only a header")
    if not l_vals:
        raise DataFormatError(path, None,
                              f"no document has a label: expected {label_prefix}name tokens or a header with "
                              f"a label column ({', '.join(LABEL_COLUMNS[:4])}, …)")
    return LabelledDocs(word_names, label_names, np.asarray(w_ptr, np.int64), np.asarray(w_vals, np.int32),
                        np.asarray(l_ptr, np.int64), np.asarray(l_vals, np.int32),
                        ids if layout is not None and id_col is not None else None,
                        np.asarray(line_nos, np.int64), path, dropped,
                        {"tokenizer": tokenizer, "layout": "columns" if layout else "prefix"})


_SEPARATORS = {"tab": "\t", "\t": "\t", "comma": ",", ",": ",", "whitespace": None, " ": None}


def read_user_items(path: str | os.PathLike, *, layout: str | None = None, sep: str | None = None,
                    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> UserItems:
    """Read user -> items (see the module docstring). ``layout``: None (detect), "lines" or "pairs"."""
    path = os.fspath(path)
    if layout not in (None, "lines", "pairs"):
        raise ValueError(f"layout must be None, 'lines' or 'pairs', got {layout!r}")
    if sep is not None and sep not in _SEPARATORS:
        raise ValueError(f"unknown sep {sep!r}; use None (sniff), 'tab', 'comma' or 'whitespace'")
    check_text_start(path)
    with LineReader(path, max_line_bytes) as reader:
        lines = _decoded_lines(path, reader)
        head = list(itertools.islice(lines, _SNIFF_LINES))
        if not head:
            raise DataFormatError(path, None, "the file is empty" if reader.line_no == 0
                                  else "the file has only blank lines and comments")
        if sep is not None:
            sep_char = _SEPARATORS[sep]
        elif all("\t" in t for _, t in head):
            sep_char = "\t"
        elif all("," in t for _, t in head):
            sep_char = ","
        else:
            sep_char = None

        def fields_of(text: str) -> list[str]:
            if sep_char is None:
                return text.split() if text.isascii() else [t for t in _WS_RUN.split(text) if t]
            return [f.strip() for f in text.split(sep_char)]

        if layout is None:
            layout = "pairs" if all(len(fields_of(t)) == 2 for _, t in head) else "lines"
        user_ids: dict[str, int] = {}
        item_ids: dict[str, int] = {}
        bags: list[dict[int, None]] = []
        for line_no, text in itertools.chain(head, lines):
            fields = fields_of(text)
            if any(not f for f in fields):
                raise DataFormatError(path, line_no, "an empty field (two separators in a row?)")
            if len(fields) < 2:
                raise DataFormatError(path, line_no, f"a user with no item: expected 'user{' ' if sep_char is None else repr(sep_char)}item…'")
            if layout == "pairs" and len(fields) != 2:
                raise DataFormatError(path, line_no, f"expected a 'user item' pair, found {len(fields)} fields")
            u = user_ids.get(fields[0])
            if u is None:
                u = user_ids[fields[0]] = len(bags)
                bags.append({})
            elif layout == "lines":
                raise DataFormatError(path, line_no, f"user {fields[0]!r} has a second line; one line per user")
            bag = bags[u]
            for name in fields[1:]:
                i = item_ids.get(name)
                if i is None:
                    i = item_ids[name] = len(item_ids)
                bag[i] = None
    sizes = np.fromiter((len(b) for b in bags), dtype=np.int64, count=len(bags))
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    values = np.fromiter(itertools.chain.from_iterable(bags), dtype=np.int32, count=int(indptr[-1]))
    return UserItems(list(user_ids), list(item_ids), indptr, values, path, {"layout": layout})


# --------------------------------------------------------------------------- sniffing
def _sniff_labelled(s: Sample) -> bool:
    """Most lines hold a ``__label__`` token, or the first line is a header with text and label columns."""
    if s.is_dir or s.text_problem():
        return False
    lines = s.data_lines()
    if not lines:
        return False
    try:
        if _column_layout(lines[0].decode("utf-8")) is not None and len(lines) > 1:
            return True
    except UnicodeDecodeError:
        return False
    with_label = sum(1 for l in lines if l.startswith(LABEL_PREFIX.encode()) or b" " + LABEL_PREFIX.encode() in l
                     or b"\t" + LABEL_PREFIX.encode() in l)
    return with_label >= max(1, len(lines) // 2)


register_sniffer("labelled", _sniff_labelled, 40)
