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
* **Cycles** are errors, with or without ``closure``: a self-loop (``a<TAB>a``, "a is its own
  parent") or a cycle (``a -> b -> a``, or longer) is a DataFormatError naming its nodes, at the
  line that closes it -- the first line at which the edges read so far hold a cycle.
* **Duplicate edges** are kept once (first occurrence), and dropped as they are read: a file of one
  edge repeated a billion times holds one edge's worth of memory. A reader whose distinct edges
  outgrow the memory stops with a message at the line reached.
* ``closure=True`` replaces the edges by their transitive closure (child -> every ancestor). A file
  that already is a closure gives the same edge set.

Node ids follow the first appearance of the names in the file. Every problem with the file is a
:class:`~embedstudio.data.errors.DataFormatError` with the line number where there is one (line 1
for a file without a single edge: empty, blank, binary); ``None`` only for the file as a whole (no
such file, a closure too large for memory).
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
from embedstudio.memory import check_reading

__all__ = [
    "COLUMN_NAMES",
    "ClosureTooLarge",
    "CycleError",
    "Hierarchy",
    "first_cycle",
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
    keep = _first_occurrences(edges[:, 0].astype(np.int64) * max(n, 1) + edges[:, 1])
    return edges if keep is None else edges[keep]


def _first_occurrences(keys: np.ndarray) -> np.ndarray | None:
    """The positions of the first occurrence of each key, in order; None when no key repeats."""
    if len(keys) < 2:
        return None
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
    if first.all():
        return None
    return np.sort(order[first])


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


def first_cycle(edges: np.ndarray, n_nodes: int) -> tuple[int, list[int]] | None:
    """Where the ``(child, parent)`` edges -- unique, no self-loops, in file order -- first hold a
    cycle: ``(i, cycle)`` with ``edges[:i + 1]`` the shortest prefix holding one, and ``cycle`` a
    cycle through edge ``i`` (``cycle[0] == cycle[-1]``, its last step being edge ``i``); or None.

    An acyclic hierarchy costs one strongly-connected-components pass (scipy, O(V + E)). Only when
    there is a cycle, a binary search over the prefixes finds the edge that closes the first one
    (O((V + E) log E), on the edges inside cycles only). Naming the latest edge of whichever cycle a
    search meets would be cheaper, but that edge may come long after another cycle has closed: a
    user fixing the file from the top is pointed at the first line that breaks it.
    """
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    def strong_components(e: np.ndarray, n: int) -> tuple[int, np.ndarray]:
        return connected_components(_adjacency(e, n), directed=True, connection="strong")

    if len(edges) < 2:
        return None
    n_components, label = strong_components(edges, n_nodes)
    if n_components == n_nodes:  # every component a single node: no cycle
        return None
    # A cycle lies within one component: search only the edges inside components of several nodes.
    size = np.bincount(label)
    child_label = label[edges[:, 0]]
    inside = np.nonzero((child_label == label[edges[:, 1]]) & (size[child_label] > 1))[0]
    nodes, sub = np.unique(edges[inside], return_inverse=True)
    sub = sub.reshape(-1, 2)
    m = len(nodes)
    lo, hi = 2, len(sub)  # sub[:hi] holds a cycle, sub[:lo - 1] does not
    while lo < hi:
        mid = (lo + hi) // 2
        if strong_components(sub[:mid], m)[0] < m:
            hi = mid
        else:
            lo = mid + 1
    # sub[:hi - 1] is acyclic, so every cycle in sub[:hi] takes u -> v and returns from v to u: the
    # shortest way back makes the shortest such cycle.
    u, v = (int(x) for x in sub[hi - 1])
    _, came_from = breadth_first_order(_adjacency(sub[:hi - 1], m), v, directed=True, return_predecessors=True)
    way = [u]
    while way[-1] != v:
        way.append(int(came_from[way[-1]]))
    cycle = way[::-1] + [v]  # v -> ... -> u -> v
    return int(inside[hi - 1]), [int(nodes[c]) for c in cycle]


def _adjacency(edges: np.ndarray, n: int):
    from scipy.sparse import csr_matrix

    return csr_matrix((np.ones(len(edges), dtype=bool), (edges[:, 0], edges[:, 1])), shape=(n, n))


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
    pieces, never loaded whole). A self-loop or a cycle is an error at the line that closes it,
    whatever ``closure``.
    """
    path = os.fspath(path)
    if sep is not None and sep not in _SEPARATORS:
        raise ValueError(f"unknown sep {sep!r}; use None (sniff), '\\t', ',' or 'whitespace'")
    if header not in (None, True, False):
        raise ValueError(f"header must be None, True or False, got {header!r}")
    check_text_start(path)
    parser = _Parser(path, header)
    with LineReader(path, max_line_bytes) as reader:
        data = _data_lines(path, reader, parser if header is True else None)
        if sep is None:
            sample = list(itertools.islice(data, _SNIFF_LINES))
            parser.sep = _choose_separator([s for _, s in sample])
            data = itertools.chain(sample, data)
        else:
            parser.sep = _SEPARATORS[sep]
        parser.run(data)
        if reader.line_no == 0:
            raise DataFormatError(path, 1, "the file is empty")
    return parser.result(closure)


def _data_lines(path: str, reader: LineReader, header_of: _Parser | None):
    """(line number, stripped line) of the lines that are neither blank nor comments; the first is
    skipped, as ``header_of``'s header, when given."""
    for line in reader:
        nul = line.find(b"\x00")
        if nul >= 0:
            raise DataFormatError(
                path, reader.line_no, f"NUL byte at byte {nul + 1} of the line: this is binary data, not text"
            )
        s = line.strip()
        if not s or s[0] == 35:  # blank or '#'
            continue
        if header_of is not None:
            header_of.header_line, header_of = reader.line_no, None
            continue
        yield reader.line_no, s


# What the reader holds for a stored edge, to stop a file whose edges outgrow the memory (measured
# peaks, the Hierarchy built at the end included): two int32 ids and an int64 line in arrays, the
# sort keys and copies of a compaction, then its share of the int64 copy, the sort keys and the CSR
# of from_edges. A node is its name as bytes (the key of ``ids``) and as str (in ``names``), with
# their headers and slots; the names' own bytes are counted apart.
_BYTES_PER_EDGE = 150
_BYTES_PER_NODE = 200
_FIRST_CHECK_EDGES = 1 << 10  # memory is checked when the stored edges reach a power of two from here
_FIRST_CHECK_NAME_BYTES = 1 << 20  # ... or the names' bytes do (long names, few edges)
_REPEATS_HELD = 1 << 20  # repeated edges held (16 MB) before they are dropped, at the least
_SHOWN_CYCLE_NODES = 12  # a longer cycle is shown by its two ends


class _Parser:
    """Turns data lines into interned node ids; the two-field line of known names is the fast path.

    Repeated edges are dropped as the file is read: once the edges stored since the last compaction
    could be as many as the distinct ones before it (or 1M), a numpy sort keeps the first occurrence
    of each. Memory so stays within twice the distinct edges (plus 16 MB) -- one edge repeated a
    billion times holds one edge -- and the per-line cost stays that of an append: a set of the edges
    seen, looked up on every line, made reading WordNet's 743k edges about 1.7 times slower. Self-loops
    are remembered (the first one) and left out.
    """

    def __init__(self, path: str, header: bool | None):
        self.path = path
        self.header = header
        self.sep: bytes | None = None
        self.ids: dict[bytes, int] = {}
        self.names: list[str] = []
        self.name_bytes = 0
        self.pairs = array("i")
        self.lines = array("q")
        self.next_memory_check = _FIRST_CHECK_EDGES
        self.next_compaction = _REPEATS_HELD
        self.next_check = min(self.next_memory_check, self.next_compaction)  # stored edges that call grown()
        self.next_name_check = _FIRST_CHECK_NAME_BYTES
        self.header_line: int | None = None  # the line dropped by header=True
        self.first_fields: list[bytes] | None = None
        self.first_recurs = False  # the first line's edge is repeated: it is no header
        self.first_loop: tuple[int, str] | None = None  # (line, name) when the first line is a self-loop
        self.self_loop: tuple[int, str] | None = None  # the first self-loop after the first line
        self.third_numeric = False  # a line after the first has a numeric third field
        self.deferred: DataFormatError | None = None  # line 1's non-numeric third field, unless a header

    def run(self, data) -> None:
        ids, pairs, lines, sep = self.ids, self.pairs, self.lines, self.sep
        previous = None  # the last line after the first: the same line again adds nothing
        for line_no, s in data:
            if s == previous:
                continue
            fields = s.split(sep)
            if self.first_fields is None:
                self.first_fields = fields
                self.slow(fields, line_no, first=True)
                continue
            previous = s
            if len(fields) == 2:
                a, b = fields
                if sep is not None:
                    a, b = a.strip(), b.strip()
                ia = ids.get(a)
                ib = ids.get(b)
                if ia is not None and ib is not None:
                    if ia == ib:
                        self.found_self_loop(line_no, ia)
                        continue
                    pairs.append(ia)
                    pairs.append(ib)
                    lines.append(line_no)
                    if len(lines) >= self.next_check:
                        self.grown(line_no)
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
        if ia == ib:
            if not first:
                self.found_self_loop(line_no, ia)
                return
            # Kept as an edge for now: the first line may be a header (whose names never recur).
            self.first_loop = (line_no, self.names[ia])
        self.pairs.append(ia)
        self.pairs.append(ib)
        self.lines.append(line_no)
        if len(self.lines) >= self.next_check:
            self.grown(line_no)

    def found_self_loop(self, line_no: int, node: int) -> None:
        if self.self_loop is None:
            self.self_loop = (line_no, self.names[node])

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
        self.name_bytes += len(name)
        if self.name_bytes >= self.next_name_check:
            self.check_memory(line_no)
            while self.next_name_check <= self.name_bytes:
                self.next_name_check *= 2
        return i

    def grown(self, line_no: int) -> None:
        """The stored edges reached ``next_check``: drop the repeats, or check the memory, or both."""
        if len(self.lines) >= self.next_compaction:
            self.compact()
            self.next_compaction = len(self.lines) + max(len(self.lines), _REPEATS_HELD)
        if len(self.lines) >= self.next_memory_check:
            self.check_memory(line_no)
            while self.next_memory_check <= len(self.lines):
                self.next_memory_check *= 2
        self.next_check = min(self.next_memory_check, self.next_compaction)

    def check_memory(self, line_no: int) -> None:
        """Stop (DataFormatError at ``line_no``) if what has been read will not fit in memory."""
        n_edges, n_nodes = len(self.lines), len(self.names)
        # the names' bytes twice: as the bytes keys of ``ids`` and as the str of ``names``
        need = n_edges * _BYTES_PER_EDGE + n_nodes * _BYTES_PER_NODE + 2 * self.name_bytes
        check_reading(need, self.path, line_no, f"{n_edges:,} edges between {n_nodes:,} nodes")

    def compact(self) -> None:
        """Keep the first occurrence of each stored edge, in place (the arrays ``run`` holds stay valid)."""
        pairs = np.frombuffer(self.pairs, dtype=np.int32).reshape(-1, 2)
        keys = pairs[:, 0].astype(np.int64) << 32 | pairs[:, 1]
        keep = _first_occurrences(keys)
        if keep is None:
            return
        self.first_recurs = self.first_recurs or bool(np.any(keys[1:] == keys[0]))
        kept_pairs = array("i", pairs[keep].tobytes())
        kept_lines = array("q", np.frombuffer(self.lines, dtype=np.int64)[keep].tobytes())
        del pairs, keys, keep  # release the arrays' buffers, or they cannot be resized
        self.pairs[:] = kept_pairs
        self.lines[:] = kept_lines

    def result(self, closure: bool) -> Hierarchy:
        self.compact()
        path, names = self.path, self.names
        edges = np.frombuffer(self.pairs, dtype=np.int32).reshape(-1, 2).astype(np.int64)
        line_of_edge = np.frombuffer(self.lines, dtype=np.int64)
        self_loop = self.first_loop or self.self_loop  # the first line comes first
        if self.header is None and self.first_fields is not None and _is_auto_header(edges, self):
            k = int(edges[0].max()) + 1  # the header's names are ids 0 (and 1)
            edges, line_of_edge, names = edges[1:] - k, line_of_edge[1:], names[k:]
            self.deferred = None
            self_loop = self.self_loop
        if self.deferred is not None:
            raise self.deferred
        if len(edges) == 0 and self_loop is None:
            what = "only a header" if self.header_line else "only blank lines and comments"
            raise DataFormatError(path, 1, f"the file holds no edges ({what})")
        self.check_acyclic(edges, line_of_edge, names, self_loop)
        try:
            return Hierarchy.from_edges(names, edges, path=path, closure=closure)
        except ClosureTooLarge as e:
            raise DataFormatError(path, None, f"{e}: train on the edges as they are (closure off), or on a "
                                              "smaller part of the hierarchy") from None
        except CycleError:
            # Not reached: the cycles were refused above. Were one to get here, it is reported by the
            # same search, at the line that closes it, rather than at a line of the closure's choosing.
            self.check_acyclic(edges, line_of_edge, names, None)
            raise

    def check_acyclic(self, edges: np.ndarray, line_of_edge: np.ndarray, names: list[str],
                      self_loop: tuple[int, str] | None) -> None:
        """The first self-loop or cycle in file order is an error at the line that closes it."""
        # A self-loop is a cycle closed on its own line: only a cycle closed before it comes first.
        end = len(edges) if self_loop is None else int(np.searchsorted(line_of_edge, self_loop[0]))
        found = first_cycle(edges[:end], len(names))
        if found is not None:
            i, cycle = found
            raise DataFormatError(self.path, int(line_of_edge[i]), _cycle_reason(names, cycle))
        if self_loop is not None:
            line_no, name = self_loop
            raise DataFormatError(self.path, line_no, f"a self-loop: {_clip(name)} is its own parent: a node "
                                                      "cannot be its own ancestor")


def _cycle_reason(names: list[str], cycle: list[int]) -> str:
    shown = [_clip(names[c]) for c in cycle]
    length = ""
    if len(cycle) - 1 > _SHOWN_CYCLE_NODES:  # its two ends: where it starts, and the edge that closes it
        half = _SHOWN_CYCLE_NODES // 2
        shown = [*shown[:half], "...", *shown[-half:]]
        length = f" of {len(cycle) - 1:,} nodes"
    return (f"the hierarchy has a cycle{length}: {' -> '.join(shown)}, closed on this line by {shown[-2]} -> "
            f"{shown[-1]}: a node cannot be its own ancestor")


def _clip(name: str, most: int = 60) -> str:
    return name if len(name) <= most else name[:most] + "..."


def _is_auto_header(edges: np.ndarray, parser: "_Parser") -> bool:
    """The first line is a header when its fields look like column names and neither name recurs."""
    if len(edges) < 2 or parser.first_recurs or not _looks_like_header(parser.first_fields, parser.third_numeric):
        return False
    k = int(edges[0].max()) + 1
    if int(edges[0].min()) != 0 or k > 2:
        return False
    # Neither header name may occur anywhere else in the file.
    return not np.any(edges[1:] < k)


def _sep_name(sep_b: bytes | None) -> str:
    return {b"\t": "<TAB>", b",": ","}.get(sep_b, " ")
