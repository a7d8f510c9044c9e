"""Multi-relation edge lists (knowledge graphs, typed graphs) -> :class:`GraphData`.

One edge per line; by default the number of fields says what they are::

    alice	bob                         head, tail             (one relation, named "link")
    alice	knows	bob                 head, relation, tail
    alice	bob	0.5                     head, tail, weight     (when every sniffed third field is a number)
    alice	knows	bob	0.5             head, relation, tail, weight

``columns="head_type,head,relation,tail_type,tail"`` (roles ``head relation tail weight head_type
tail_type ignore``) names the fields explicitly instead.

* **Separator**: tab if every sniffed data line holds one, else comma if every one does (or the
  first does and has no whitespace), else runs of ASCII whitespace; or given with ``sep``. Around
  a tab or comma, spaces are trimmed. There is no quoting: a name cannot hold the separator.
* **Every line has as many fields** as the first data line (or the header): a line with another
  count is an error naming both counts. No field is optional (a weight neither).
* **Header**: ``header=None`` takes a first line such as ``head relation tail`` or
  ``source,target,weight`` for a header when each of its fields is a known column name
  (:data:`HEADER_WORDS`; then, if one names a role, even over lines of another width, an error) or
  a word above numbers, and none of them recurs in the next lines. ``True``/``False`` force it. A header is
  obeyed: its words for the head, tail, relation, weight and their types (:data:`HEADER_ROLES`) say
  which field is which, whatever the field count would suggest; words it does not know stand for
  the head and the tail (in that order) when it names neither (``from_node,to_node,weight``), and
  are an error otherwise, as are a role named twice, a head without a tail and a type without the
  other. A header that names no role (``x y z``) is dropped and the fields go by their count.
  ``columns=`` overrides the header's words (the header must have as many fields).
* **Entity types** (PyTorch-BigGraph's entity types): ``type:name`` prefixes (``user:alice``),
  detected when every head and tail of the first data lines has one (``typed=None``), required
  with ``typed=True``, never split with ``typed=False``; the entity's name is the whole token. Or
  ``head_type``/``tail_type`` columns, which come together; the name is then the bare field, and
  one name with two types is an error. Each relation must join one head type to one tail type.
* **Weights** must be finite and >= 0.
* Blank lines and ``#`` comments are skipped; ``\\r\\n`` and a UTF-8 byte-order mark are fine;
  gzip and bzip2 are recognised by their magic bytes. Each data line must be valid UTF-8.
* **Self-loops** are kept; a repeated ``(head, relation, tail)`` is kept once (its first
  occurrence and weight; the repeats' weights are dropped, never summed). Repeats are dropped while
  reading, so memory follows the distinct edges however often one repeats; memory for them is
  checked as it grows (:func:`embedstudio.memory.check_reading`).

Entity ids are grouped by type (types in order of first appearance), then by first appearance.
Every problem with the file is a :class:`~embedstudio.data.errors.DataFormatError` with its line
(line 1 for a file with no edges at all, or one that is not text from its first bytes); only a
missing or unreadable file or a folder has none.
"""

from __future__ import annotations

import itertools
import math
import os
from array import array
from dataclasses import dataclass, field

import numpy as np

from embedstudio import memory
from embedstudio.data.edge_layout import (  # HEADER_ROLES, HEADER_WORDS and ROLES are public here too
    _SEPARATORS, _TYPE_NAME, _TYPED_TOKEN, _WS, _WS_RUN, HEADER_ROLES, HEADER_WORDS, ROLES, _choose_separator,
    _header_roles, _infer_roles, _looks_like_header, _parse_columns, _split,
)
from embedstudio.data.errors import DataFormatError
from embedstudio.data.sniff import LineReader, Sample, check_text_start, register_sniffer

__all__ = ["GraphData", "GraphSplit", "HEADER_ROLES", "HEADER_WORDS", "ROLES", "read_edgelist", "split_edges"]

DEFAULT_MAX_LINE_BYTES = 1 << 20
"""Longest line accepted."""

UNTYPED = "entity"
"""The one type name of an untyped file."""
SINGLE_RELATION = "link"
"""The one relation name of a file without a relation column."""

_MAX_WEIGHT = float(np.finfo(np.float32).max)
_SNIFF_LINES = 64  # data lines looked at for the separator, the layout and the types
_FIRST_COMPACTION = 4096  # edges held before repeats are first dropped (and memory first checked)
_FIRST_NAME_CHECK = 1 << 24  # characters of names read before memory is checked for them


# --------------------------------------------------------------------------- the data types
@dataclass(eq=False)
class GraphData:
    """Entities, relations and edges of a multi-relation graph.

    Entity ids are grouped by type: ``type_offsets[k]:type_offsets[k + 1]`` are the ids of type
    ``k`` (``entity_type`` is non-decreasing); within a type they follow the first appearance in
    the file. ``edges[i] = (head id, relation id, tail id)`` in file order, without repeats.
    ``relation_types[r] = (head type, tail type)`` of relation ``r``.
    """

    path: str
    names: list[str]
    entity_type: np.ndarray
    type_names: list[str]
    type_offsets: np.ndarray
    relation_names: list[str]
    relation_types: np.ndarray
    edges: np.ndarray
    weights: np.ndarray | None
    _index: dict[str, int] | None = field(default=None, init=False, repr=False)

    @property
    def n_entities(self) -> int:
        return len(self.names)

    @property
    def n_relations(self) -> int:
        return len(self.relation_names)

    @property
    def n_types(self) -> int:
        return len(self.type_names)

    @property
    def n_edges(self) -> int:
        return int(self.edges.shape[0])

    def index(self, name: str) -> int:
        """The id of the entity ``name`` (a KeyError when there is none)."""
        if self._index is None:
            self._index = {n: i for i, n in enumerate(self.names)}
        return self._index[name]

    def stats(self) -> dict[str, int]:
        return {"entities": self.n_entities, "relations": self.n_relations, "types": self.n_types,
                "edges": self.n_edges}

    def __repr__(self) -> str:
        return (f"GraphData({self.n_entities:,} entities, {self.n_relations:,} relations, "
                f"{self.n_types:,} types, {self.n_edges:,} edges, {self.path!r})")


@dataclass
class GraphSplit:
    """Disjoint ``(head, relation, tail)`` rows of a graph's edges, each part in file order."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


def split_edges(graph: GraphData, valid: float = 0.05, test: float = 0.05, seed: int = 0,
                keep_unseen: bool = False) -> GraphSplit:
    """A seeded random split of ``graph.edges`` into train / valid / test fractions.

    With ``keep_unseen=False`` (the usual link-prediction protocol), a valid or test edge whose
    head, tail or relation never occurs in train is moved back into train: a model cannot rank an
    entity it never trained. The parts are disjoint and together are exactly ``graph.edges``.
    """
    valid, test = float(valid), float(test)
    if not (valid >= 0 and test >= 0 and valid + test < 1):  # also rejects NaN
        raise ValueError(f"need valid >= 0, test >= 0 and valid + test < 1, got valid={valid}, test={test}")
    edges = np.asarray(graph.edges, dtype=np.int64)
    n = len(edges)
    n_valid = int(math.floor(valid * n + 0.5))
    n_test = int(math.floor(test * n + 0.5))
    order = np.random.default_rng(seed).permutation(n)
    part = np.zeros(n, dtype=np.int8)  # 0 train, 1 valid, 2 test
    part[order[:n_valid]] = 1
    part[order[n_valid:n_valid + n_test]] = 2
    if not keep_unseen and n:
        train = edges[part == 0]
        seen_entity = np.zeros(graph.n_entities, dtype=bool)
        seen_entity[train[:, 0]] = True
        seen_entity[train[:, 2]] = True
        seen_relation = np.zeros(graph.n_relations, dtype=bool)
        seen_relation[train[:, 1]] = True
        # Train only grows, so one pass leaves every held-out edge fully seen.
        seen = seen_entity[edges[:, 0]] & seen_entity[edges[:, 2]] & seen_relation[edges[:, 1]]
        part[~seen] = 0
    return GraphSplit(edges[part == 0], edges[part == 1], edges[part == 2])


# --------------------------------------------------------------------------- reading files
def read_edgelist(
    path: str | os.PathLike,
    *,
    columns: str | None = None,
    sep: str | None = None,
    header: bool | None = None,
    typed: bool | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> GraphData:
    """Read an edge list (see the module docstring) into a :class:`GraphData`.

    ``columns``: ``None`` to infer from the field count, or a comma-separated list of :data:`ROLES`.
    ``sep``: ``None`` to sniff, or ``"\\t"``/``"tab"``, ``","``/``"comma"``, ``"whitespace"``.
    ``header`` and ``typed``: ``None`` to detect, ``True``/``False`` to force. Lines over
    ``max_line_bytes`` are an error (read in bounded pieces, never loaded whole).
    """
    path = os.fspath(path)
    roles = None if columns is None else _parse_columns(columns)
    if sep is not None and sep not in _SEPARATORS:
        raise ValueError(f"unknown sep {sep!r}; use None (sniff), '\\t', ',' or 'whitespace'")
    if header not in (None, True, False):
        raise ValueError(f"header must be None, True or False, got {header!r}")
    if typed not in (None, True, False):
        raise ValueError(f"typed must be None, True or False, got {typed!r}")
    if typed is False and roles is not None and "head_type" in roles:
        raise ValueError("typed=False contradicts the head_type/tail_type columns")
    with LineReader(path, max_line_bytes) as reader:  # a missing or unreadable file, a folder: no line
        try:
            check_text_start(path)
        except DataFormatError as e:
            if e.line is not None:
                raise
            raise DataFormatError(path, 1, e.reason) from None  # it opened: its content is wrong, from line 1
        data = _data_lines(path, reader)
        sample = list(itertools.islice(data, _SNIFF_LINES + 1))  # + 1: the first may be a header
        header_row = sample[0] if sample and header is True else None  # (line number, text)
        if header_row:
            sample = sample[1:]
        sep_char = _SEPARATORS[sep] if sep is not None else _choose_separator([t for _, t in sample])
        rows = [_split(text, sep_char) for _, text in sample]
        if header is None and _looks_like_header(rows):
            header_row, sample, rows = sample[0], sample[1:], rows[1:]
        header_line, header_fields = None, None
        if header_row:
            header_line = header_row[0]
            header_fields = _split(header_row[1], sep_char)
            if roles is not None:  # columns= says what the fields are; the header must agree on how many
                if len(roles) != len(header_fields):
                    raise DataFormatError(path, header_line, f"the header has {len(header_fields)} fields but "
                                                             f"columns={columns!r} names {len(roles)}")
            else:
                roles = _header_roles(path, header_line, header_fields)  # obeyed, not second-guessed
                if roles is None:  # it names nothing (a title, x y z): dropped, its fields are no columns
                    header_fields = None
                elif typed is False and "head_type" in roles:
                    raise DataFormatError(path, header_line, "the header names head and tail type columns, "
                                                             "which typed=False contradicts")
        builder = _Builder(path, sep_char, roles, columns, header_line, header_fields)
        if sample:
            if not builder.roles:
                builder.set_roles(_infer_roles(path, rows, sample[0][0]))
            builder.set_typing(typed, rows[:_SNIFF_LINES])
            builder.run(itertools.chain(sample, data), first_line=sample[0][0])
        if reader.line_no == 0:
            raise DataFormatError(path, 1, "the file is empty")
    return builder.result("only a header" if header_row else "only blank lines and comments")


def _data_lines(path: str, reader: LineReader):
    """(line number, decoded line without surrounding whitespace) of the lines that hold data."""
    for line in reader:
        if b"\x00" in line:
            raise DataFormatError(
                path, reader.line_no,
                f"NUL byte at byte {line.index(0) + 1} of the line: this is binary data, not text",
            )
        s = line.strip()
        if not s or s[0] == 35:  # blank or '#'
            continue
        try:
            text = s.decode("utf-8")
        except UnicodeDecodeError as e:
            at = e.start + len(line) - len(line.lstrip())
            raise DataFormatError(
                path, reader.line_no, f"invalid UTF-8 at byte {at + 1} of the line; save the file as UTF-8"
            ) from None
        yield reader.line_no, text


class _Builder:
    """Interns names, types and relations while reading; checks types; assembles the GraphData."""

    def __init__(self, path: str, sep: str | None, roles: tuple[str, ...] | None, columns: str | None,
                 header_line: int | None = None, header_fields: list[str] | None = None):
        self.path = path
        self.sep = sep
        self.columns = columns
        self.header_line = header_line
        self.header_fields = header_fields
        self.roles: tuple[str, ...] = ()
        self.typing = "none"  # "none", "prefix" or "column"
        self.ids: dict[str, int] = {}
        self.names: list[str] = []
        self.entity_type = array("i")
        self.type_ids: dict[str, int] = {}
        self.type_names: list[str] = []
        self.relation_ids: dict[str, int] = {}
        self.relation_names: list[str] = []
        self.relation_head_type = array("i")
        self.relation_tail_type = array("i")
        self.triples = array("q")
        self.weights: array | None = None
        self.first_line = 0  # of the data, for messages
        self.limit = _FIRST_COMPACTION  # edges held before the next compaction
        self.name_chars = 0  # of the entity and relation names
        self.name_check = _FIRST_NAME_CHECK  # name_chars at which memory is checked next
        if roles is not None:
            self.set_roles(roles)

    def set_roles(self, roles: tuple[str, ...]) -> None:
        self.roles = roles
        if "weight" in roles:
            self.weights = array("f")

    def set_typing(self, typed: bool | None, rows: list[list[str]]) -> None:
        if "head_type" in self.roles:
            self.typing = "column"
        elif typed is None:
            hi, ti = self.roles.index("head"), self.roles.index("tail")
            tokens = [r[i] for r in rows if len(r) == len(self.roles) for i in (hi, ti)]
            if tokens and all(_TYPED_TOKEN.match(t) and "://" not in t for t in tokens):
                self.typing = "prefix"
        elif typed:
            self.typing = "prefix"
        if self.typing == "none":
            self.type_ids[UNTYPED] = 0
            self.type_names.append(UNTYPED)

    # ------------------------------------------------------------------ the reading loop
    def run(self, data, first_line: int) -> None:
        self.first_line = first_line
        roles, sep = self.roles, self.sep
        width = len(roles)
        hi, ti = roles.index("head"), roles.index("tail")
        ri = roles.index("relation") if "relation" in roles else None
        wi = roles.index("weight") if "weight" in roles else None
        by_column = self.typing == "column"
        hti = roles.index("head_type") if by_column else 0
        tti = roles.index("tail_type") if by_column else 0
        check_types = self.typing != "none"
        ids, relation_ids = self.ids, self.relation_ids
        entity_type, head_type, tail_type = self.entity_type, self.relation_head_type, self.relation_tail_type
        triples, weights = self.triples, self.weights
        ascii_ws = sep is None
        # Spaces (and tabs, in a CSV) around a separator are trimmed; most lines have none.
        pad = " " if sep is not None else None
        pad2 = "\t" if sep == "," else pad
        data = iter(data)
        held = 0
        line_no = first_line
        while True:
            # Lines are read in runs of ``limit - held``: one per edge, so the loop needs no counter.
            for line_no, text in itertools.islice(data, self.limit - held):
                if ascii_ws and not text.isascii():
                    fields = _WS_RUN.split(text)
                else:
                    fields = text.split(sep)
                if len(fields) != width:
                    raise self.width_error(fields, line_no)
                if pad and (pad in text or pad2 in text):
                    fields = [f.strip(_WS) for f in fields]
                if by_column:
                    head = self.typed_entity(fields[hi], fields[hti], line_no, "head")
                    tail = self.typed_entity(fields[ti], fields[tti], line_no, "tail")
                else:
                    h, t = fields[hi], fields[ti]
                    head = ids.get(h)
                    if head is None:
                        head = self.new_entity(h, line_no, "head")
                    tail = ids.get(t)
                    if tail is None:
                        tail = self.new_entity(t, line_no, "tail")
                r = SINGLE_RELATION if ri is None else fields[ri]
                rel = relation_ids.get(r)
                if rel is None:
                    rel = self.new_relation(r, head, tail, line_no)
                elif check_types and (entity_type[head] != head_type[rel] or entity_type[tail] != tail_type[rel]):
                    raise self.relation_type_error(rel, head, tail, line_no)
                triples.append(head)
                triples.append(rel)
                triples.append(tail)
                if wi is not None:
                    weights.append(self.weight(fields[wi], line_no))
            if len(triples) < 3 * self.limit:
                return  # the data ended
            # Drop the repeats read so far: one edge repeated a billion times then costs nothing.
            held = self.compact()
            if held > self.limit // 2:  # mostly distinct: let the storage double, if memory allows
                self.limit *= 2
                self.check_memory(line_no)
            triples, weights = self.triples, self.weights

    def width_error(self, fields: list[str], line_no: int) -> DataFormatError:
        found = f"one field ({fields[0][:60]!r})" if len(fields) == 1 else f"{len(fields)} fields"
        width = len(self.roles)
        if self.columns is not None:
            expected = f"{width} fields (columns={self.columns!r})"
        elif self.header_fields is not None:
            names = ", ".join(self.header_fields)[:200]
            expected = f"{width} fields like the header (line {self.header_line}: {names})"
        else:
            expected = f"{width} fields like line {self.first_line}"
        hint = "; names with spaces need a tab- or comma-separated file" if self.sep is None else ""
        return DataFormatError(self.path, line_no, f"expected {expected}, found {found}{hint}")

    def weight(self, text: str, line_no: int) -> float:
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is None or not (math.isfinite(value) and 0 <= value <= _MAX_WEIGHT):  # stored as float32
            j = self.roles.index("weight")
            column = f"column {j + 1}"
            if self.header_fields is not None and self.columns is None:
                column += f", {self.header_fields[j][:30]!r} in the header"
            shown = text.strip(_WS)[:30]
            problem = "not a number" if value is None else f"not a finite number >= 0 and at most {_MAX_WEIGHT:.3g}"
            raise DataFormatError(self.path, line_no, f"the weight column ({column}) holds {shown!r}, {problem}")
        return value

    def type_id(self, name: str, line_no: int) -> int:
        k = self.type_ids.get(name)
        if k is None:
            if not name:
                raise DataFormatError(self.path, line_no, "empty entity type")
            k = self.type_ids[name] = len(self.type_names)
            self.type_names.append(name)
        return k

    def new_entity(self, name: str, line_no: int, side: str) -> int:
        if not name:
            raise DataFormatError(self.path, line_no, f"empty {side} name")
        if self.typing == "prefix":
            colon = name.find(":")
            if colon < 0 or colon == len(name) - 1 or not _TYPE_NAME.fullmatch(name[:colon]):
                raise DataFormatError(
                    self.path, line_no,
                    f"the {side} {name[:60]!r} has no type prefix (type:name, the type a letter then up "
                    "to 31 letters, digits, '_' or '-'); read with typed=False to keep names whole",
                )
            kind = self.type_id(name[:colon], line_no)
        else:
            kind = 0
        return self.add_entity(name, kind, line_no)

    def add_entity(self, name: str, kind: int, line_no: int) -> int:
        self.name_chars += len(name)
        if self.name_chars > self.name_check:  # long names grow memory faster than the edges do
            self.check_memory(line_no)
        i = len(self.names)
        self.ids[name] = i
        self.names.append(name)
        self.entity_type.append(kind)
        return i

    def typed_entity(self, name: str, type_field: str, line_no: int, side: str) -> int:
        kind = self.type_id(type_field, line_no)
        i = self.ids.get(name)
        if i is None:
            if not name:
                raise DataFormatError(self.path, line_no, f"empty {side} name")
            return self.add_entity(name, kind, line_no)
        if self.entity_type[i] != kind:
            raise DataFormatError(
                self.path, line_no,
                f"the {side} {name[:60]!r} is of type {type_field!r} here but of type "
                f"{self.type_names[self.entity_type[i]]!r} before: an entity has one type",
            )
        return i

    def new_relation(self, name: str, head: int, tail: int, line_no: int) -> int:
        if not name:
            raise DataFormatError(self.path, line_no, "empty relation name")
        self.name_chars += len(name)
        if self.name_chars > self.name_check:
            self.check_memory(line_no)
        r = len(self.relation_names)
        self.relation_ids[name] = r
        self.relation_names.append(name)
        self.relation_head_type.append(self.entity_type[head])
        self.relation_tail_type.append(self.entity_type[tail])
        return r

    def relation_type_error(self, rel: int, head: int, tail: int, line_no: int) -> DataFormatError:
        types = self.type_names
        if self.entity_type[head] != self.relation_head_type[rel]:
            side, was, now = "head", self.relation_head_type[rel], self.entity_type[head]
        else:
            side, was, now = "tail", self.relation_tail_type[rel], self.entity_type[tail]
        return DataFormatError(
            self.path, line_no,
            f"relation {self.relation_names[rel]!r} has a {side} of type {types[now]!r} here but of type "
            f"{types[was]!r} before; each relation needs one head type and one tail type (as PyTorch-BigGraph does)",
        )

    # ------------------------------------------------------------------ repeats and memory
    def compact(self) -> int:
        """Drop the repeated edges read so far (keeping first occurrences, in order); the count left."""
        triples = np.frombuffer(self.triples, dtype=np.int64).reshape(-1, 3)
        keep = _first_occurrences(triples, len(self.names), len(self.relation_names))
        if keep is not None:
            # New arrays, not a resize: the numpy views still export the old ones' buffers.
            self.triples = array("q", triples[keep].tobytes())
            if self.weights is not None:
                self.weights = array("f", np.frombuffer(self.weights, dtype=np.float32)[keep].tobytes())
        return len(self.triples) // 3

    def check_memory(self, line_no: int) -> None:
        """Stop (a DataFormatError) unless memory allows ``limit`` edges and twice the names so far.

        Each edge row (3 int64, a float32 weight) counts twice, as compacting and assembling copy
        it, plus its sort key and order (32 bytes); each name its str, list and dict slots and its
        type id (about 110 bytes) and its characters (ASCII; more for others, a lower bound then).
        """
        self.name_check = max(self.name_check, 2 * self.name_chars)
        row = 24 + (4 if self.weights is not None else 0)
        n_names = len(self.names) + len(self.relation_names)
        need = self.limit * (2 * row + 32) + 2 * (n_names * 110 + self.name_chars)
        memory.check_reading(need, self.path, line_no,
                             f"reading on (room for {self.limit:,} distinct edges; {n_names:,} names so far)")

    # ------------------------------------------------------------------ assembling
    def result(self, what_else: str) -> GraphData:
        triples = np.frombuffer(self.triples, dtype=np.int64).reshape(-1, 3)
        if len(triples) == 0:
            raise DataFormatError(self.path, 1, f"the file holds no edges ({what_else})")
        n = len(self.names)
        keep = _first_occurrences(triples, n, len(self.relation_names))
        # Without repeats the arrays stay views of the buffers they were read into (no copy).
        edges = triples[keep] if keep is not None else triples
        weights = None
        if self.weights is not None:
            weights = np.frombuffer(self.weights, dtype=np.float32)
            weights = weights[keep] if keep is not None else weights
        kinds = np.frombuffer(self.entity_type, dtype=np.int32)
        names = self.names
        if np.any(kinds[1:] < kinds[:-1]):  # group the ids by type
            order = np.argsort(kinds, kind="stable")
            new_id = np.empty(n, dtype=np.int64)
            new_id[order] = np.arange(n, dtype=np.int64)
            edges[:, 0] = new_id[edges[:, 0]]
            edges[:, 2] = new_id[edges[:, 2]]
            names = [names[i] for i in order.tolist()]
            kinds = kinds[order]
        n_types = len(self.type_names)
        offsets = np.zeros(n_types + 1, dtype=np.int64)
        np.cumsum(np.bincount(kinds, minlength=n_types), out=offsets[1:])
        relation_types = np.stack([
            np.frombuffer(self.relation_head_type, dtype=np.int32),
            np.frombuffer(self.relation_tail_type, dtype=np.int32),
        ], axis=1)
        return GraphData(
            path=self.path, names=names, entity_type=kinds.copy(), type_names=list(self.type_names),
            type_offsets=offsets, relation_names=list(self.relation_names), relation_types=relation_types,
            edges=edges, weights=weights,
        )


def _first_occurrences(triples: np.ndarray, n_entities: int, n_relations: int) -> np.ndarray | None:
    """Sorted row indices of the first occurrence of each distinct row, or None when all differ."""
    if len(triples) < 2:
        return None
    n, r = max(n_entities, 1), max(n_relations, 1)
    if n * n * r < (1 << 62):
        keys = (triples[:, 0] * r + triples[:, 1]) * n + triples[:, 2]
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        first = np.empty(len(keys), dtype=bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        del keys
    else:  # keys would overflow int64: sort the columns instead
        order = np.lexsort((np.arange(len(triples)), triples[:, 2], triples[:, 1], triples[:, 0]))
        ordered = triples[order]
        first = np.empty(len(triples), dtype=bool)
        first[0] = True
        np.any(ordered[1:] != ordered[:-1], axis=1, out=first[1:])
    if first.all():
        return None
    return np.sort(order[first])


# --------------------------------------------------------------------------- sniffing
_SNIFF_MAX_FIELD = 100  # bytes; longer fields look like prose, not names


def _sniff_edgelist(s: Sample) -> bool:
    """Tab- or comma-separated lines of 2 to 5 short fields each, the same count on every line.

    Whitespace-separated files are left to the corpus catch-all: plain text looks just like them.
    """
    if s.is_dir or s.text_problem():
        return False
    lines = s.data_lines()
    if not lines:
        return False
    sep = b"\t" if all(b"\t" in l for l in lines) else b"," if all(b"," in l for l in lines) else None
    if sep is None:
        return False
    width = lines[0].count(sep) + 1
    if not 2 <= width <= 5:
        return False
    for line in lines:
        fields = line.split(sep)
        if len(fields) != width:
            return False
        for f in fields:
            f = f.strip()
            if not f or len(f) > _SNIFF_MAX_FIELD or f.count(b" ") > (0 if sep == b"," else 3):
                return False
    return True


register_sniffer("edgelist", _sniff_edgelist, 60)
