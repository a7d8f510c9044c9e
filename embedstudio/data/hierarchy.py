"""Hierarchies (is-a relations) for Poincaré embeddings: ``child<sep>parent`` edge lists.

The format is the one of Nickel & Kiela's WordNet closures and gensim's ``PoincareRelations``:
one edge per line, the child (hyponym) first, then the parent or ancestor (hypernym)::

    aardvark.n.01	mammal.n.01
    aardvark.n.01	placental.n.01

* **Separator**: tab, comma or whitespace, sniffed from the first data lines (tab if every one
  of them holds a tab, else comma if every one holds a comma, else runs of whitespace); or given
  with ``sep``. Around a tab or comma, spaces are trimmed from the names.
* **Header**: ``header=None`` (the default) recognises a first line such as ``id1,id2,weight`` (the
  CSVs of facebookresearch/poincare-embeddings) when its fields look like column names -- the first two
  are common column names (``id1``, ``child``, ``source`` ...) or the third is a non-numeric word
  above numeric weights -- *and* neither name occurs anywhere else in the file. ``header=True``
  always drops the first data line, ``header=False`` never does.
* **Third column**: an optional weight, which must be a number and is ignored. A fourth field is an
  error (in a whitespace-separated file, that usually means a name with spaces in it).
* Blank lines and lines starting with ``#`` are skipped; ``\\r\\n`` line ends are fine; gzip and
  bzip2 files are recognised by their magic bytes.
* **Self-loops** (``a<TAB>a``) are dropped without an error; a node named only in self-loops
  remains, with no edges. **Duplicate edges** are kept once (first occurrence).
* ``closure=True`` replaces the edges by their transitive closure (child -> every ancestor); a
  cycle is then a DataFormatError naming the nodes on it. A file that already is a closure gives
  the same edge set.

Node ids follow the first appearance of the names in the file. Every problem with the file is a
:class:`~embedstudio.data.errors.DataFormatError` with the line number where there is one.
"""

from __future__ import annotations

import itertools
import os
from array import array
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from embedstudio.data.errors import DataFormatError
from embedstudio.data.sniff import LineReader, check_text_start, is_number

__all__ = [
    "COLUMN_NAMES",
    "ClosureTooLarge",
    "CycleError",
    "Hierarchy",
    "read_hierarchy",
    "transitive_closure",
]

DEFAULT_MAX_LINE_BYTES = 1 << 20
"""Longest line accepted (a line holds two names and maybe a weight)."""

COLUMN_NAMES = frozenset(
    "id1 id2 id_1 id_2 id child parent ancestor descendant hyponym hypernym source target src dst "
    "from to u v node1 node2 node_1 node_2 head tail subject object left right x y a b "
    "name1 name2 item1 item2 term1 term2 word1 word2 entity1 entity2".split()
)
"""Names that make a first line look like a header (case-insensitive)."""

_SNIFF_LINES = 64  # data lines looked at to choose the separator
_SEPARATORS = {"\t": b"\t", ",": b",", "tab": b"\t", "comma": b",", " ": None, "whitespace": None}


# --------------------------------------------------------------------------- the data type
@dataclass(eq=False)
class Hierarchy:
    """Nodes and is-a edges of a hierarchy, with an undirected CSR adjacency for fast lookups.

    ``edges[i] = (child, ancestor)``: unique, no self-loops. ``neighbor_idx[neighbor_ptr[u]:
    neighbor_ptr[u + 1]]`` are the nodes joined to ``u`` by an edge in either direction, sorted.
    ``degree[u]`` counts the edges ``u`` takes part in (as child or ancestor); it equals the CSR
    row length unless the file holds both ``a -> b`` and ``b -> a``. Edges are in file order (first
    occurrence) or, when ``closure`` is set, sorted by child then ancestor.
    """

    path: str
    names: list[str]
    edges: np.ndarray
    neighbor_ptr: np.ndarray
    neighbor_idx: np.ndarray
    degree: np.ndarray
    closure: bool
    _directed: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.names)

    @property
    def n_edges(self) -> int:
        return int(self.edges.shape[0])

    def __repr__(self) -> str:
        kind = "closure" if self.closure else "edges"
        return f"Hierarchy({self.n_nodes:,} nodes, {self.n_edges:,} {kind}, {self.path!r})"

    @cached_property
    def index(self) -> dict[str, int]:
        """Node name -> id."""
        return {name: i for i, name in enumerate(self.names)}

    def neighbors(self, u: int) -> np.ndarray:
        """The sorted neighbours of ``u`` (both directions), a view into ``neighbor_idx``."""
        return self.neighbor_idx[self.neighbor_ptr[u]:self.neighbor_ptr[u + 1]]

    def is_edge(self, u: int, v: int) -> bool:
        """Whether ``(u, v)`` or ``(v, u)`` is an edge (binary search in ``u``'s CSR row)."""
        n = self.n_nodes
        if not (0 <= u < n and 0 <= v < n):
            raise IndexError(f"node ids must be in [0, {n}), got ({u}, {v})")
        row = self.neighbor_idx[self.neighbor_ptr[u]:self.neighbor_ptr[u + 1]]
        i = int(np.searchsorted(row, v))
        return i < len(row) and int(row[i]) == v

    def ancestors_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """Directed CSR ``(ptr int64 (n_nodes + 1), idx int32)``: row ``u`` lists the ``v`` with
        ``(u, v)`` an edge (the ancestors, or parents, of ``u``), sorted. Built once, then cached."""
        if self._directed is None:
            self._directed = _csr(self.edges[:, 0], self.edges[:, 1], self.n_nodes)
        return self._directed

    @classmethod
    def from_edges(cls, names: list[str], edges: np.ndarray, *, path: str = "", closure: bool = False) -> "Hierarchy":
        """A hierarchy over ``names`` from ``(child, ancestor)`` id pairs.

        Self-loops are dropped and duplicates kept once (first occurrence, order otherwise kept).
        With ``closure=True`` the edges are replaced by their transitive closure (sorted by child,
        then ancestor); a cycle raises :class:`CycleError`.
        """
        n = len(names)
        edges = np.asarray(edges)
        if edges.size == 0:
            edges = np.empty((0, 2), dtype=np.int32)
        if edges.ndim != 2 or edges.shape[1] != 2:
            raise ValueError(f"edges must have shape (n_edges, 2), got {edges.shape}")
        if edges.size and (edges.min() < 0 or edges.max() >= n):
            raise ValueError(f"edge ids must be in [0, {n})")
        edges = _dedupe(edges.astype(np.int64, copy=False), n)
        if closure:
            edges = transitive_closure(edges, n)
        edges = np.ascontiguousarray(edges, dtype=np.int32)
        u, v = edges[:, 0], edges[:, 1]
        ptr, idx = _csr(np.concatenate([u, v]), np.concatenate([v, u]), n)
        degree = np.bincount(edges.ravel(), minlength=n).astype(np.int64)
        return cls(os.fspath(path), list(names), edges, ptr, idx, degree, bool(closure))


def _dedupe(edges: np.ndarray, n: int) -> np.ndarray:
    """Drop self-loops and repeated pairs (the first occurrence stays, in its place)."""
    edges = edges[edges[:, 0] != edges[:, 1]]
    if len(edges) < 2:
        return edges
    keys = edges[:, 0].astype(np.int64) * max(n, 1) + edges[:, 1]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
    if first.all():
        return edges
    return edges[np.sort(order[first])]


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """np.unique for int64 keys by sorting (numpy 2.4's np.unique hashes first: 50x slower here)."""
    keys = np.sort(keys)
    if len(keys) < 2:
        return keys
    keep = np.empty(len(keys), dtype=bool)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def _csr(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR of the unique pairs (src, dst): int64 pointers, int32 indices sorted within each row."""
    keys = _sorted_unique(src.astype(np.int64) * max(n, 1) + dst.astype(np.int64))
    rows = keys // max(n, 1)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
    return ptr, (keys - rows * max(n, 1)).astype(np.int32)


# --------------------------------------------------------------------------- transitive closure
class CycleError(ValueError):
    """The edges hold a cycle; ``node`` is on it and ``cycle`` lists it (``cycle[0] == cycle[-1]``)."""

    def __init__(self, node: int, cycle: list[int]):
        self.node = int(node)
        self.cycle = [int(c) for c in cycle]
        super().__init__(
            f"the edges form a cycle through node {self.node}: " + " -> ".join(map(str, self.cycle))
        )


class ClosureTooLarge(ValueError):
    """The transitive closure would have more pairs than the memory allows (a deep hierarchy's
    closure grows with the square of its depth: a chain of 100,000 nodes has 5e9 pairs)."""

    def __init__(self, limit: int):
        self.limit = int(limit)
        super().__init__(f"the transitive closure has more than {self.limit:,} pairs, more than this machine's "
                         "memory holds")


# A pair costs about this much while it is built: a Python int in a set (~60 B) + the arrays.
_CLOSURE_BYTES_PER_PAIR = 80


def closure_pair_limit(headroom: float = 0.5) -> int:
    """The most closure pairs that fit in ``headroom`` of the available memory."""
    from embedstudio.memory import available_bytes

    have = available_bytes()
    return 10**12 if have is None else max(10**6, int(headroom * have / _CLOSURE_BYTES_PER_PAIR))


def transitive_closure(edges: np.ndarray, n_nodes: int, max_pairs: int | None = None) -> np.ndarray:
    """All ``(child, ancestor)`` pairs reachable along the ``(child, parent)`` edges.

    Returns a new int32 array (n_pairs, 2), sorted by child then ancestor, without self-pairs.
    Self-loops and duplicates in the input are ignored. Works in topological order (roots first),
    each node's ancestor set being the union of its parents' sets and the parents themselves, so
    the cost is about the size of the result times the mean number of parents. A cycle raises
    :class:`CycleError` (a ValueError) naming a node on it; more than ``max_pairs`` pairs (default:
    what fits in half the available memory) raise :class:`ClosureTooLarge` as soon as they are seen.
    """
    edges = np.asarray(edges)
    if edges.size == 0:
        return np.empty((0, 2), dtype=np.int32)
    if edges.ndim != 2 or edges.shape[1] != 2:
        raise ValueError(f"edges must have shape (n_edges, 2), got {edges.shape}")
    n = int(n_nodes)
    if edges.min() < 0 or edges.max() >= n:
        raise ValueError(f"edge ids must be in [0, {n})")
    edges = _dedupe(edges.astype(np.int64), n)
    child, parent = edges[:, 0], edges[:, 1]
    p_ptr, p_idx = _csr(child, parent, n)  # child -> its parents
    c_ptr, c_idx = _csr(parent, child, n)  # parent -> its children
    p_ptr_l, p_idx_l = p_ptr.tolist(), p_idx.tolist()
    c_ptr_l, c_idx_l = c_ptr.tolist(), c_idx.tolist()

    # Kahn's algorithm from the roots: a node is ready once all its parents are done.
    waiting = np.diff(p_ptr).tolist()
    order = [u for u in range(n) if waiting[u] == 0]
    ancestors: list = [None] * n
    empty: frozenset = frozenset()
    limit = closure_pair_limit() if max_pairs is None else int(max_pairs)
    built = 0
    pos = 0
    while pos < len(order):
        u = order[pos]
        pos += 1
        parents = p_idx_l[p_ptr_l[u]:p_ptr_l[u + 1]]
        if not parents:
            ancestors[u] = empty
        elif len(parents) == 1:
            p = parents[0]
            s = set(ancestors[p])
            s.add(p)
            ancestors[u] = s
        else:
            s = set(parents)
            for p in parents:
                s.update(ancestors[p])
            ancestors[u] = s
        built += len(ancestors[u])
        if built > limit:
            raise ClosureTooLarge(limit)
        for c in c_idx_l[c_ptr_l[u]:c_ptr_l[u + 1]]:
            waiting[c] -= 1
            if waiting[c] == 0:
                order.append(c)

    if len(order) < n:
        raise _find_cycle(ancestors, p_ptr_l, p_idx_l)

    counts = np.fromiter((len(s) for s in ancestors), dtype=np.int64, count=n)
    total = int(counts.sum())
    anc = np.fromiter(itertools.chain.from_iterable(ancestors), dtype=np.int32, count=total)
    kids = np.repeat(np.arange(n, dtype=np.int32), counts)
    # Rows come out grouped by child; sort the ancestors within each row.
    keys = kids.astype(np.int64) * n + anc
    keys.sort()
    out = np.empty((total, 2), dtype=np.int32)
    out[:, 0] = keys // n
    out[:, 1] = keys - out[:, 0].astype(np.int64) * n
    return out


def _find_cycle(done: list, p_ptr: list, p_idx: list) -> CycleError:
    """A cycle among the nodes Kahn's algorithm could not order (each has a parent not done)."""
    start = next(u for u, s in enumerate(done) if s is None)
    seen: dict[int, int] = {}
    path: list[int] = []
    u = start
    while u not in seen:
        seen[u] = len(path)
        path.append(u)
        u = next(p for p in p_idx[p_ptr[u]:p_ptr[u + 1]] if done[p] is None)
    cycle = path[seen[u]:] + [u]
    return CycleError(u, cycle)


# --------------------------------------------------------------------------- reading files
def _choose_separator(sample: list[bytes]) -> bytes | None:
    if sample and all(b"\t" in s for s in sample):
        return b"\t"
    if sample and all(b"," in s for s in sample):
        return b","
    return None


def _looks_like_header(fields: list[bytes], third_numeric_below: bool) -> bool:
    names = [f.decode("utf-8", "replace").strip().lower() for f in fields[:2]]
    if len(fields) >= 2 and all(n in COLUMN_NAMES for n in names):
        return True
    return len(fields) == 3 and not is_number(fields[2]) and third_numeric_below


def read_hierarchy(
    path: str | os.PathLike,
    closure: bool = False,
    *,
    sep: str | None = None,
    header: bool | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Hierarchy:
    """Read a ``child<sep>parent[<sep>weight]`` edge list (see the module docstring) into a Hierarchy.

    ``sep``: ``None`` to sniff, or ``"\\t"``/``"tab"``, ``","``/``"comma"``, ``" "``/``"whitespace"``.
    ``header``: ``None`` to detect, ``True``/``False`` to force. ``closure``: take the transitive
    closure (child -> every ancestor). Lines over ``max_line_bytes`` are an error (read in bounded
    pieces, never loaded whole).
    """
    path = os.fspath(path)
    if sep is not None and sep not in _SEPARATORS:
        raise ValueError(f"unknown sep {sep!r}; use None (sniff), '\\t', ',' or 'whitespace'")
    if header not in (None, True, False):
        raise ValueError(f"header must be None, True or False, got {header!r}")
    check_text_start(path)
    parser = _Parser(path, header)
    with LineReader(path, max_line_bytes) as reader:
        data = _data_lines(path, reader, skip_first=header is True)
        if sep is None:
            sample = list(itertools.islice(data, _SNIFF_LINES))
            parser.sep = _choose_separator([s for _, s in sample])
            data = itertools.chain(sample, data)
        else:
            parser.sep = _SEPARATORS[sep]
        parser.run(data)
        if reader.line_no == 0:
            raise DataFormatError(path, None, "the file is empty")
    return parser.result(closure)


def _data_lines(path: str, reader: LineReader, skip_first: bool):
    """(line number, stripped line) of the lines that are neither blank nor comments."""
    for line in reader:
        nul = line.find(b"\x00")
        if nul >= 0:
            raise DataFormatError(
                path, reader.line_no, f"NUL byte at byte {nul + 1} of the line: this is binary data, not text"
            )
        s = line.strip()
        if not s or s[0] == 35:  # blank or '#'
            continue
        if skip_first:
            skip_first = False
            continue
        yield reader.line_no, s


class _Parser:
    """Turns data lines into interned node ids; the two-field line of known names is the fast path."""

    def __init__(self, path: str, header: bool | None):
        self.path = path
        self.header = header
        self.sep: bytes | None = None
        self.ids: dict[bytes, int] = {}
        self.names: list[str] = []
        self.pairs = array("i")
        self.lines = array("q")
        self.first_fields: list[bytes] | None = None
        self.third_numeric = False  # a line after the first has a numeric third field
        self.deferred: DataFormatError | None = None  # line 1's non-numeric third field, unless a header

    def run(self, data) -> None:
        ids, pairs, lines, sep = self.ids, self.pairs, self.lines, self.sep
        for line_no, s in data:
            fields = s.split(sep)
            if self.first_fields is None:
                self.first_fields = fields
                self.slow(fields, line_no, first=True)
                continue
            if len(fields) == 2:
                a, b = fields
                if sep is not None:
                    a, b = a.strip(), b.strip()
                ia = ids.get(a)
                ib = ids.get(b)
                if ia is not None and ib is not None:
                    pairs.append(ia)
                    pairs.append(ib)
                    lines.append(line_no)
                    continue
            self.slow(fields, line_no, first=False)

    def _spaces_hint(self) -> str:
        return "; names with spaces need a tab- or comma-separated file" if self.sep is None else ""

    def slow(self, fields: list[bytes], line_no: int, first: bool) -> None:
        path = self.path
        if len(fields) < 2:
            shown = fields[0][:60].decode("utf-8", "replace")
            raise DataFormatError(
                path, line_no, f"expected 'child{_sep_name(self.sep)}parent', found one field ({shown!r})"
            )
        if len(fields) > 3:
            raise DataFormatError(
                path, line_no,
                f"expected 2 or 3 fields (child, parent, optional weight), found {len(fields)}" + self._spaces_hint(),
            )
        if len(fields) == 3:
            weight = fields[2].strip()
            if is_number(weight):
                self.third_numeric = self.third_numeric or not first
            else:
                error = DataFormatError(
                    path, line_no,
                    f"the third field ({weight[:30].decode('utf-8', 'replace')!r}) should be a number "
                    "(an optional weight)" + self._spaces_hint(),
                )
                if not (first and self.header is None):
                    raise error
                self.deferred = error
        a, b = fields[0].strip(), fields[1].strip()
        if not a or not b:
            raise DataFormatError(path, line_no, f"empty node name in field {1 if not a else 2}")
        ia = self.ids.get(a)
        if ia is None:
            ia = self.new_node(a, line_no)
        ib = self.ids.get(b)
        if ib is None:
            ib = self.new_node(b, line_no)
        self.pairs.append(ia)
        self.pairs.append(ib)
        self.lines.append(line_no)

    def new_node(self, name: bytes, line_no: int) -> int:
        try:
            text = name.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DataFormatError(
                self.path, line_no,
                f"invalid UTF-8 at byte {e.start + 1} of the name {name[:40]!r}; save the file as UTF-8",
            ) from None
        i = len(self.names)
        self.ids[name] = i
        self.names.append(text)
        return i

    def result(self, closure: bool) -> Hierarchy:
        path, names = self.path, self.names
        edges = np.frombuffer(self.pairs, dtype=np.int32).reshape(-1, 2).astype(np.int64)
        line_of_edge = np.frombuffer(self.lines, dtype=np.int64)
        if self.header is None and self.first_fields is not None and _is_auto_header(edges, self):
            k = int(edges[0].max()) + 1  # the header's names are ids 0 (and 1)
            edges, line_of_edge, names = edges[1:] - k, line_of_edge[1:], names[k:]
            self.deferred = None
        if self.deferred is not None:
            raise self.deferred
        if len(edges) == 0:
            what = "only a header" if self.header else "only blank lines and comments"
            raise DataFormatError(path, None, f"the file holds no edges ({what})")
        if not np.any(edges[:, 0] != edges[:, 1]):
            raise DataFormatError(path, None, "the file holds no edges: every line is a self-loop (child = parent)")
        try:
            return Hierarchy.from_edges(names, edges, path=path, closure=closure)
        except ClosureTooLarge as e:
            raise DataFormatError(path, None, f"{e}: train on the edges as they are (closure off), or on a "
                                              "smaller part of the hierarchy") from None
        except CycleError as e:
            chain = " -> ".join(names[c] for c in e.cycle)
            hit = np.nonzero((edges[:, 0] == e.cycle[0]) & (edges[:, 1] == e.cycle[1]))[0]
            raise DataFormatError(
                path, int(line_of_edge[hit[0]]) if len(hit) else None,
                f"the hierarchy has a cycle through {names[e.node]!r}: {chain}; "
                "a transitive closure needs a hierarchy without cycles",
            ) from None


def _is_auto_header(edges: np.ndarray, parser: "_Parser") -> bool:
    """The first line is a header when its fields look like column names and neither name recurs."""
    if len(edges) < 2 or not _looks_like_header(parser.first_fields, parser.third_numeric):
        return False
    k = int(edges[0].max()) + 1
    if int(edges[0].min()) != 0 or k > 2:
        return False
    # Neither header name may occur anywhere else in the file.
    return not np.any(edges[1:] < k)


def _sep_name(sep_b: bytes | None) -> str:
    return {b"\t": "<TAB>", b",": ","}.get(sep_b, " ")
