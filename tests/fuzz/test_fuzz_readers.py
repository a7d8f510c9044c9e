"""Fuzzing every reader: each returns or raises a DataFormatError naming the file and line, within its bound.

Two hypothesis strategies per reader, three for the line-based text readers (see harness.py for the
contract and the mutation primitives):

* ``mutated`` -- valid seed files (written by the project's own writers) with 1 to 4 mutations each: bit
  flips, byte insert/delete/replace, truncation, duplicated or swapped chunks, NUL bytes, byte-order marks,
  invalid UTF-8, CRLF/CR line ends, very long lines, huge numbers / NaN / inf in numeric fields, wrong
  header counts, changed separators, duplicated/deleted/swapped lines; inside zips (our .npz formats)
  a changed header.json or .npy member, a crafted .npy header, renamed/deleted/duplicated members; inside
  HDF5 files (PBG) changed attributes, datasets, links and groups; in a folder deleted, emptied or swapped
  files; compressed files mutated inside and compressed again (or cut short).
* ``generated`` -- structured inputs built from scratch: rows with random field counts, types and
  separators, headers that may lie, random JSON headers and arrays of any dtype and shape, whole PBG
  checkpoint folders and sessions; for ``open_session`` whole session folders (embeddings, models, datasets
  of every kind, odd paths, links and pipes); for ``read_json_arrays`` crafted zips (decompression bombs,
  lying directory sizes, .npy headers declaring more than the member holds, ZIP64 records, duplicates).
* ``compressed`` (the line-based text readers, media features, sniff.detect) -- a seed's or a generated
  input's content gzip- or bzip2-compressed, valid (one or many members, header fields) or damaged
  (truncated, trailing garbage, wrong CRC or size, corrupt data, gzip then bzip2), or a decompression bomb
  (one of its rows repeated far beyond 100:1; the harness lowers the readers' allowance to ~1 MB).

``open_session`` mutations also apply SESSION_OPS: symbolic links out of the folder (or looping), named
pipes in place of its files, dataset / embedding / map paths with ``..``, absolute or NUL bytes, deep or
huge JSON, thousands of datasets.

``EMBEDSTUDIO_FUZZ_EXAMPLES`` is the number of inputs per reader (default 120), split evenly between its
strategies; ``benchmarks/fuzz_readers.py`` runs 10,000 per reader and prints the table.
"""

from __future__ import annotations

import io
import json
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import harness as h
from tests.fuzz.harness import TARGETS, Case


def per_strategy(target: h.Target) -> int:
    """The inputs each strategy of ``target`` runs: EMBEDSTUDIO_FUZZ_EXAMPLES split between them."""
    n = len(target.strategies)
    return max(1, (h.examples_per_reader() + n - 1) // n)


PER_STRATEGY = max(1, (h.examples_per_reader() + 1) // 2)  # a reader with two strategies
FUZZ = settings(
    max_examples=PER_STRATEGY, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
                           HealthCheck.large_base_example, HealthCheck.filter_too_much],
)
free = st.integers(0, 2 ** 32 - 1)  # a free choice for the mutation primitives (a position, a length, a value)


# --------------------------------------------------------------------------- (a) mutations of seeds
@st.composite
def mutated_file(draw, name: str, data: bytes, names: tuple[str, ...]) -> bytes:
    kind = h.file_kind(name, data)
    a, b, c = draw(free), draw(free), draw(free)
    structured = draw(st.integers(0, 3)) != 0
    if structured and kind == "zip":
        return h.mutate_zip(data, draw(st.sampled_from(h.ZIP_OPS)), a, b, c, names)
    if structured and kind == "h5":
        return h.mutate_h5(data, draw(st.sampled_from(h.H5_OPS)), a, b, c)
    if structured and kind == "json":
        return h.mutate_json(data, draw(st.sampled_from(h.JSON_OPS)), a, b, names)
    if structured and kind == "npy":
        if b % 3:
            return h.npy_bytes(h.make_array(a, b, c, special=c % 3), fortran=bool(a % 4 == 0))
        return h.npy_with_header(h.ODD_DESCRS[a % len(h.ODD_DESCRS)], h.HUGE_SHAPES[c % len(h.HUGE_SHAPES)],
                                 b"\x00" * (b % 40))
    op = draw(st.sampled_from(h.BYTE_OPS))
    plain, how = h.decompress_if_needed(data) if draw(st.booleans()) else (data, 0)
    out = h.mutate_bytes(plain, op, a, b, c)
    if how:
        out = h.recompress(out, how if draw(st.integers(0, 3)) else draw(st.integers(1, 5)))
    return out


@st.composite
def mutated(draw, target: h.Target) -> Case:
    case = draw(st.sampled_from(target.seeds()))
    files = case.file_dict()
    names = tuple(files)
    for _ in range(draw(st.integers(1, 4))):
        if target.session_ops and draw(st.integers(0, 2)) == 0:
            files = h.mutate_session(files, draw(st.sampled_from(h.SESSION_OPS)), draw(free), draw(free), draw(free))
            continue
        if len(files) > 1 and draw(st.integers(0, 7)) == 0:
            files = h.mutate_folder(files, draw(st.sampled_from(h.FOLDER_OPS)), draw(free), draw(free))
            continue
        candidates = sorted(k for k, v in files.items() if v is not None and not h.is_special(v))
        if not candidates:
            break
        name = draw(st.sampled_from(candidates))
        files[name] = draw(mutated_file(name, files[name], names))
    options = {**dict(case.options), **draw(st.sampled_from(target.options))}
    return case.with_files(files, note="mutated").with_options(options)


# --------------------------------------------------------------------------- (b) generated inputs
SPECIAL_TEXT = tuple(x.decode("utf-8", "replace") for x in h.SPECIAL_NUMBERS if len(x) < 100)
number_text = st.one_of(
    st.floats().map(repr), st.floats(width=32).map(lambda x: "%.9g" % x), st.integers(-10 ** 6, 10 ** 6).map(str),
    st.sampled_from(SPECIAL_TEXT), st.integers().map(str),
)
NAMES = ("alice", "bob", "carol", "user:alice", "item:x", "tag:t", "a:b", "x:", ":y", "http://a:b", "caf\u00e9",
         "\u6771\u4eac", "head", "tail", "relation", "weight", "source", "target", "id1", "id2", "child", "parent",
         "knows", "likes", "#x", "", "a b", "x\u00a0y", "\ufeffz", "__label__a", "__label__", "__label__b c",
         "text", "label", "labels", "tags", "id", "key", "0", "1", "-1", "nan", "1e999", "\"q\"", '"a, b"', "\\")
name_text = st.one_of(st.sampled_from(NAMES), st.text(max_size=5), st.from_regex(r"[a-z]{1,3}(:[a-z]{1,3})?",
                                                                                  fullmatch=True))
word_text = st.one_of(st.sampled_from(NAMES), st.text(max_size=8), number_text)
SEPS = ("\t", ",", " ", "  ", " \t ", ";", "|", ", ", "\t\t")
ENDINGS = ("\n", "\n", "\r\n", "\r", "\n\n")


@st.composite
def finish_text(draw, text: str) -> bytes:
    """Encode, maybe with a BOM or a damaged byte, maybe compressed (or cut short)."""
    data = text.encode("utf-8", "surrogatepass")
    extra = draw(st.integers(0, 9))
    if extra == 0:
        data = b"\xef\xbb\xbf" + data
    elif extra == 1:
        op = draw(st.sampled_from(("nul", "invalid_utf8", "control", "long_line", "bom", "truncate")))
        data = h.mutate_bytes(data, op, draw(free), draw(free), draw(free))
    how = draw(st.sampled_from((0,) * 8 + (1, 2, 3, 4, 5)))
    return h.recompress(data, how)


@st.composite
def rows_text(draw, field, max_rows: int = 12, max_width: int = 6, header=None) -> str:
    width = draw(st.integers(1, max_width))
    sep = draw(st.sampled_from(SEPS))
    lines = []
    if header is not None and draw(st.booleans()):
        lines.append(sep.join(draw(st.lists(st.sampled_from(header), min_size=1, max_size=max_width))))
    for _ in range(draw(st.integers(0, max_rows))):
        kind = draw(st.integers(0, 11))
        if kind == 0:
            lines.append(draw(st.sampled_from(("", "   ", "# comment", "#", "\t"))))
            continue
        w = width if kind > 2 else draw(st.integers(0, max_width + 2))
        lines.append(draw(st.sampled_from(SEPS)) .join(draw(field) for _ in range(w)) if kind == 1 else
                     sep.join(draw(field) for _ in range(w)))
    ending = draw(st.sampled_from(ENDINGS))
    return ending.join(lines) + (ending if draw(st.booleans()) else "")


def one_file(name: str, data: bytes, options: dict | None = None, note: str = "generated") -> Case:
    return Case(((name, data),), name, tuple(sorted((options or {}).items())), note)


@st.composite
def with_options(draw, target: h.Target, case: Case) -> Case:
    return case.with_options({**dict(case.options), **draw(st.sampled_from(target.options))})


@st.composite
def gen_corpus(draw) -> Case:
    text = draw(rows_text(word_text, max_rows=15, max_width=10))
    if draw(st.integers(0, 4)) == 0:  # a folder of files, some not corpus files, maybe empty ones
        files = {}
        for i in range(draw(st.integers(1, 3))):
            name = draw(st.sampled_from(("a.txt", "b.gz", "sub/c.bz2", ".hidden.txt", "d.TXT", "e.csv", "f.txt")))
            files[f"corpus/{name}"] = draw(finish_text(draw(rows_text(word_text, max_rows=6))))
        if draw(st.booleans()):
            files["corpus/empty.txt"] = b""
        return Case(tuple(files.items()), "corpus", (), "generated folder")
    return one_file("c.txt", draw(finish_text(text)))


@st.composite
def gen_edgelist(draw) -> Case:
    header = ("head", "relation", "tail", "weight", "source", "target", "head_type", "tail_type", "x")
    field = st.one_of(name_text, number_text)
    if draw(st.booleans()):  # mostly names and relations, weights last
        width = draw(st.integers(2, 5))
        sep = draw(st.sampled_from(("\t", ",", " ")))
        rows = []
        for _ in range(draw(st.integers(0, 12))):
            fields = [draw(name_text) for _ in range(width - 1)] + [draw(st.one_of(number_text, name_text))]
            if draw(st.integers(0, 9)) == 0:
                fields = fields[: draw(st.integers(0, width + 1))]
            rows.append(sep.join(fields))
        text = "\n".join(rows) + "\n"
    else:
        text = draw(rows_text(field, header=header))
    return one_file(draw(st.sampled_from(("g.tsv", "g.csv", "g.txt"))), draw(finish_text(text)))


@st.composite
def gen_hierarchy(draw) -> Case:
    if draw(st.integers(0, 3)) == 0:  # chains, trees and cycles: the closure's work
        n = draw(st.integers(1, 400))
        sep = draw(st.sampled_from(("\t", ",", " ")))
        edges = [(i, i + 1) for i in range(n)] if draw(st.booleans()) else [(i, (i - 1) // 2) for i in range(1, n)]
        for _ in range(draw(st.integers(0, 3))):
            edges.append((draw(st.integers(0, n)), draw(st.integers(0, n))))
        text = "".join(f"n{a}{sep}n{b}\n" for a, b in edges)
        return one_file("h.tsv", text.encode(), {"closure": draw(st.booleans())})
    header = ("id1", "id2", "weight", "child", "parent", "x", "a", "b")
    text = draw(rows_text(st.one_of(name_text, number_text), max_width=4, header=header))
    return one_file("h.tsv", draw(finish_text(text)))


@st.composite
def gen_labelled(draw) -> Case:
    if draw(st.booleans()):
        columns = ("id", "text", "label", "labels", "tags", "category", "doc", "x", "Text", "LABEL", "")
        sep = draw(st.sampled_from(("\t", ",")))
        names = draw(st.lists(st.sampled_from(columns), min_size=1, max_size=5))
        lines = [sep.join(names)]
        for _ in range(draw(st.integers(0, 8))):
            w = len(names) if draw(st.integers(0, 5)) else draw(st.integers(0, 7))
            lines.append(sep.join(draw(st.one_of(word_text, st.just("a|b;c d"))) for _ in range(w)))
        text = "\n".join(lines) + "\n"
    else:
        token = st.one_of(st.sampled_from(("__label__a", "__label__b", "__label__", "__label__role::x", "word", "hi")),
                          word_text)
        text = draw(rows_text(token, max_width=8))
    return one_file("docs.txt", draw(finish_text(text)))


@st.composite
def gen_user_items(draw) -> Case:
    text = draw(rows_text(name_text, max_width=6))
    return one_file("ui.txt", draw(finish_text(text)))


@st.composite
def vector_rows(draw, dim: int, n: int, keyed: bool, sep: str = " ") -> list[str]:
    rows = []
    for _ in range(n):
        d = dim if draw(st.integers(0, 7)) else draw(st.integers(0, dim + 2))
        values = [draw(number_text) if draw(st.integers(0, 5)) == 0 else "%.6g" % draw(st.floats(-10, 10))
                  for _ in range(d)]
        word = [draw(st.one_of(name_text, st.just("new york")))] if keyed else []
        rows.append(sep.join(word + values))
    return rows


@st.composite
def gen_text_vectors(draw, header: bool, name: str) -> Case:
    n, dim = draw(st.integers(0, 8)), draw(st.integers(1, 5))
    rows = draw(vector_rows(dim, n, keyed=True, sep=draw(st.sampled_from((" ", "\t", "  ")))))
    if header:
        count = n + draw(st.sampled_from((0, 0, 0, -1, 1, 5, -n, 10 ** 9)))
        d = dim + draw(st.sampled_from((0, 0, 0, -1, 1, 1000, 1 << 22)))
        head = draw(st.sampled_from((f"{count} {d}", f"{count} {d}", f"{count}", f"{count} {d} 3", f"{count}\t{d}",
                                     f"-{count} {d}", f"{count} {d}.0", "")))
        rows = [head] + rows
    ending = draw(st.sampled_from(ENDINGS))
    return one_file(name, draw(finish_text(ending.join(rows) + ending)))


@st.composite
def gen_word2vec_binary(draw) -> Case:
    n, dim = draw(st.integers(0, 6)), draw(st.integers(1, 5))
    count = n + draw(st.sampled_from((0, 0, 0, -1, 1, 3)))
    d = dim + draw(st.sampled_from((0, 0, 0, -1, 1, 7)))
    out = [draw(st.sampled_from((b"%d %d\n" % (count, d), b"%d %d\r\n" % (count, d), b"%d %d" % (count, d),
                                 b"%d %d\n" % (count, d))))]
    rng = np.random.default_rng(draw(free))
    for _ in range(n):
        word = draw(st.one_of(name_text.map(lambda s: s.encode("utf-8", "surrogatepass")),
                              st.sampled_from((b"", b"a\x00b", b"\xff\xfe", b"x" * 70000, b"\n", b"a b"))))
        k = dim if draw(st.integers(0, 7)) else draw(st.integers(0, dim + 2))
        vec = rng.standard_normal(k).astype("<f4")
        if k and draw(st.integers(0, 4)) == 0:
            vec[0] = draw(st.sampled_from((np.nan, np.inf, -np.inf, 3e38)))
        out.append(word + draw(st.sampled_from((b" ", b" ", b"\t", b""))) + vec.tobytes()
                   + draw(st.sampled_from((b"\n", b"", b"\n\n", b" "))))
    if draw(st.integers(0, 5)) == 0:
        out.append(draw(st.sampled_from((b"trailing", b"\n\n  \n", b"\x00" * 8))))
    data = b"".join(out)
    return one_file("v.bin", h.recompress(data, draw(st.sampled_from((0,) * 6 + (1, 2, 3)))))


@st.composite
def gen_projector(draw) -> Case:
    n, dim = draw(st.integers(0, 8)), draw(st.integers(1, 5))
    rows = draw(vector_rows(dim, n, keyed=False, sep="\t"))
    files = {"vectors.tsv": draw(finish_text("\n".join(rows) + draw(st.sampled_from(("\n", "", "\n\n", "\r\n")))))}
    meta = draw(st.integers(0, 3))
    if meta:
        m = n + draw(st.sampled_from((0, 0, 0, -1, 1)))
        cols = 1 if meta == 1 else draw(st.integers(2, 4))
        lines = ["\t".join(draw(st.lists(word_text, min_size=cols, max_size=cols)))] if cols > 1 else []
        for _ in range(m):
            w = cols if draw(st.integers(0, 6)) else draw(st.integers(1, cols + 2))
            lines.append("\t".join(draw(word_text) for _ in range(w)))
        files["metadata.tsv"] = draw(finish_text("\n".join(lines) + "\n"))
    return Case(tuple(files.items()), "vectors.tsv", (), "generated")


json_value = st.recursive(st.none() | st.booleans() | st.integers(-3, 10) | st.floats() | st.text(max_size=4),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                     max_size=3), max_leaves=5)


@st.composite
def maybe(draw, plausible, random=json_value):
    """A plausible value most of the time, else a random JSON value."""
    return draw(plausible) if draw(st.integers(0, 5)) else draw(random)


@st.composite
def header_json(draw, fields: dict) -> bytes:
    header = {}
    for key, strategy in fields.items():
        if draw(st.integers(0, 11)):
            header[key] = draw(maybe(strategy))
    if draw(st.integers(0, 9)) == 0:
        header[draw(st.text(max_size=4))] = draw(json_value)
    text = json.dumps(header, ensure_ascii=False)
    if draw(st.integers(0, 14)) == 0:
        text = draw(st.sampled_from(("[]", "null", "{", "[" * 100000 + "]" * 100000, '{"format": 5}', "")))
    return text.encode("utf-8")


@st.composite
def npy_member(draw, shape: tuple, dtype: str = "<f4") -> bytes:
    choice = draw(st.integers(0, 11))
    if choice == 0:
        return h.npy_with_header(draw(st.sampled_from(h.ODD_DESCRS)), draw(st.sampled_from(h.HUGE_SHAPES)),
                                 b"\x00" * draw(st.integers(0, 64)))
    if choice == 1:
        return draw(st.binary(max_size=64))
    if choice == 2:
        dtype = draw(st.sampled_from(h.DTYPES))
    if choice == 3:
        shape = draw(st.sampled_from(h.SHAPES))
    if choice == 4:
        shape = tuple(max(0, s + draw(st.integers(-1, 1))) for s in shape)
    return h.npy_bytes(h.array_of(dtype, shape, draw(free), special=draw(st.integers(0, 3))),
                       fortran=draw(st.integers(0, 9)) == 0)


@st.composite
def json_arrays_file(draw, name: str, fields: dict, arrays: dict) -> Case:
    """A zip of header.json + .npy members (the layout of write_json_arrays), members left out, added,
    renamed and compressed at random."""
    members = [("header.json", draw(header_json(fields)))]
    for key, (shape, dtype) in arrays.items():
        if draw(st.integers(0, 11)):
            members.append((f"{key}.npy", draw(npy_member(shape, dtype))))
    if draw(st.integers(0, 9)) == 0:
        members.append((draw(st.sampled_from(("x.npy", "header.json", "a/b.npy", "vectors.npy"))),
                        draw(st.sampled_from((b"", b"{}", b"garbage")))))
    if draw(st.integers(0, 4)) == 0:
        members = draw(st.permutations(members))
    compression = draw(st.sampled_from((0, 0, 0, 8, 12, 14)))
    data = h.build_zip(members, compression)
    if draw(st.integers(0, 9)) == 0:
        data = h.mutate_bytes(data, draw(st.sampled_from(h.BYTE_OPS)), draw(free), draw(free), draw(free))
    return one_file(name, data)


key_text = st.one_of(name_text, st.sampled_from(("a", "b", "c", "d")))


@st.composite
def gen_embedding_file(draw, name: str = "e.npz") -> Case:
    n, dim = draw(st.integers(0, 5)), draw(st.integers(1, 4))
    dn = lambda: max(0, n + draw(st.sampled_from((0, 0, 0, 0, -1, 1))))  # noqa: E731
    n_keys, n_meta = dn(), dn()
    fields = {
        "format": st.sampled_from(("embedstudio-embedding",) * 6 + ("embedstudio-graph-model", "x")),
        "version": st.sampled_from((1, 1, 2, "1")),
        "keys": st.lists(key_text, min_size=n_keys, max_size=n_keys),
        "geometry": st.sampled_from(("euclidean", "euclidean", "poincare", "hyperbolic", "")),
        "metadata": st.dictionaries(st.sampled_from(("type", "kind", "")), st.lists(word_text, min_size=n_meta,
                                                                                  max_size=n_meta), max_size=2),
        "info": st.dictionaries(st.text(max_size=3), json_value, max_size=2),
    }
    return draw(json_arrays_file(name, fields, {"vectors": ((dn(), dim), "<f4"), "counts": ((dn(),), "<i8")}))


@st.composite
def gen_checkpoint(draw) -> Case:
    fields = {
        "format": st.sampled_from(("embedstudio-checkpoint",) * 6 + ("embedstudio-embedding",)),
        "trainer": st.sampled_from(("word2vec", "graph", "poincare", "")),
        "cursor": st.one_of(st.integers(-2, 10 ** 20), st.sampled_from((float("inf"), float("nan"), 1.5, "3", "x"))),
        "config": st.dictionaries(st.sampled_from(("dim", "epochs", "threads", "seed")), json_value, max_size=3),
        "state": st.dictionaries(st.sampled_from(("epoch_loss", "epoch_losses", "fingerprint")), json_value, max_size=3),
    }
    return draw(json_arrays_file("run.ckpt", fields, {"syn0": ((4, 3), "<f4"), "syn1neg": ((4, 3), "<f4")}))


@st.composite
def gen_graph_model(draw) -> Case:
    n, dim, r = draw(st.integers(0, 5)), draw(st.sampled_from((1, 2, 4))), draw(st.integers(0, 3))
    operator = draw(st.sampled_from(("none", "diagonal", "translation", "complex_diagonal", "linear", "affine", "")))
    size = {"none": 0, "linear": dim * dim}.get(operator, dim)
    types = draw(st.lists(st.sampled_from(("user", "item", "entity")), min_size=1, max_size=3))
    d = lambda k: max(0, k + draw(st.sampled_from((0, 0, 0, 0, -1, 1))))  # noqa: E731
    n_keys, n_rels = d(n), d(r)
    fields = {
        "format": st.sampled_from(("embedstudio-graph-model",) * 6 + ("embedstudio-embedding",)),
        "format_version": st.just(1),
        "keys": st.lists(key_text, min_size=n_keys, max_size=n_keys),
        "type_names": st.just(types),
        "relation_names": st.lists(st.sampled_from(("likes", "owns", "r")), min_size=n_rels, max_size=n_rels),
        "operator": st.just(operator),
        "comparator": st.sampled_from(("dot", "cos", "l2")),
        "relation_mode": st.sampled_from(("dynamic", "static", "other")),
        "info": st.dictionaries(st.text(max_size=3), json_value, max_size=2),
    }
    et_dtype = draw(st.sampled_from(("<i4", "<i4", "<i8", "<f4", "|u1", "|b1")))
    arrays = {"vectors": ((d(n), dim), "<f4"), "entity_type": ((d(n),), et_dtype), "relation_types": ((d(r), 2), "<i4"),
              "lhs_params": ((d(r), size), "<f4"), "rhs_params": ((d(r), size), "<f4")}
    case = draw(json_arrays_file("g.model", fields, arrays))
    if draw(st.booleans()):  # in-range type ids, so the later checks are reached
        files = case.file_dict()
        members = h.zip_members(files["g.model"]) or []
        ids = np.asarray([draw(st.integers(-1, len(types))) for _ in range(n)], dtype=np.int32)
        members = [(k, h.npy_bytes(ids) if k == "entity_type.npy" else v) for k, v in members]
        case = case.with_files({"g.model": h.build_zip(members)})
    return case


@st.composite
def gen_space_model(draw) -> Case:
    words = draw(st.lists(key_text, max_size=4))
    labels = draw(st.lists(key_text, max_size=3))
    buckets = draw(st.sampled_from((0, 0, 2, -1, -3, 10 ** 12, 1.5, "2")))
    nb = buckets if isinstance(buckets, int) and 0 <= buckets < 100 else 0
    rows = len(words) + nb + len(labels) + draw(st.sampled_from((0, 0, 0, -1, 1)))
    fields = {
        "format": st.sampled_from(("embedstudio-starspace-model",) * 6 + ("embedstudio-embedding",)),
        "format_version": st.just(1),
        "mode": st.sampled_from(("tagspace", "pagespace", "x")),
        "words": st.just(words),
        "labels": st.just(labels),
        "similarity": st.sampled_from(("cos", "dot", "l2")),
        "pooling": st.sampled_from(("sum", "sqrt", "mean", "max")),
        "info": st.dictionaries(st.text(max_size=3), json_value, max_size=2),
        "buckets": st.just(buckets),
    }
    return draw(json_arrays_file("s.model", fields, {"vectors": ((max(0, rows), 3), "<f4"),
                                                      "label_counts": ((len(labels),), "<i8")}))


@st.composite
def gen_media(draw) -> Case:
    layout = draw(st.sampled_from(("csv", "tsv", "ws", "quoted", "npz", "npz", "npy")))
    n, dim = draw(st.integers(0, 6)), draw(st.integers(1, 4))
    if layout in ("csv", "tsv", "ws", "quoted"):
        sep = {"csv": ",", "tsv": "\t", "ws": "  ", "quoted": ","}[layout]
        lines = []
        if draw(st.booleans()):
            first = draw(st.sampled_from(("", "id", "key", "video_id", "x", "1")))
            start = draw(st.sampled_from((0, 1, 2)))
            lines.append(sep.join([first] + [str(start + j) for j in range(dim)]))
        for row in draw(vector_rows(dim, n, keyed=False, sep=sep)):
            key = draw(key_text)
            if layout == "quoted":
                key = draw(st.sampled_from((f'"{key}"', f'"{key}, x"', f'"{key}""q"""', '"open', f'x"{key}"')))
            lines.append(key + sep + row)
        return one_file(f"m.{layout}", draw(finish_text("\n".join(lines) + "\n")))
    keys_dtype = draw(st.sampled_from(("<U4", "|S3", "<i8", "<f4", "|O", "|b1")))
    keys_shape = draw(st.sampled_from(((n,), (n,), (n + 1,), (n, 1), ())))
    if keys_dtype in ("<U4", "|S3") and draw(st.booleans()):
        texts = [draw(key_text)[:4] for _ in range(n)]
        if keys_dtype == "|S3":
            texts = [t.encode("utf-8", "surrogatepass")[:3] for t in texts]
        keys = np.array(texts, dtype=keys_dtype)
    else:
        keys = h.array_of(keys_dtype, keys_shape, draw(free))
    feats = h.array_of(draw(st.sampled_from(("<f4", "<f4", "<f8", "<i8", "|b1", "<c8", "<U4", "|O", "<f2"))),
                       draw(st.sampled_from(((n, dim), (n, dim), (n,), (n, 0), (0, dim), (n + 1, dim)))),
                       draw(free), special=draw(st.integers(0, 3)))
    if layout == "npz":
        buf = io.BytesIO()
        arrays = {"keys": keys, "features": feats}
        if draw(st.integers(0, 5)) == 0:
            arrays.pop(draw(st.sampled_from(("keys", "features"))))
        members = [(f"{k}.npy", h.npy_bytes(v)) for k, v in arrays.items()]
        if draw(st.integers(0, 5)) == 0:
            members.append(("keys", b"not an npy"))
        data = h.build_zip(members)
        if draw(st.integers(0, 9)) == 0:
            buf.write(h.npy_bytes(feats))
            data = buf.getvalue()  # a single .npy named .npz
        return one_file("m.npz", data)
    files = {"f.npy": h.npy_bytes(feats)}
    if draw(st.integers(0, 5)):
        lines = [draw(key_text) for _ in range(n + draw(st.sampled_from((0, 0, -1, 1))))]
        files["f.keys.txt"] = draw(finish_text("\n".join(lines) + draw(st.sampled_from(("\n", "", "\n\n")))))
    return Case(tuple(files.items()), "f.npy", (), "generated")


@st.composite
def h5_file(draw, datasets: dict, fmt=1) -> bytes:
    root = {}
    if draw(st.integers(0, 11)):
        root["format_version"] = fmt
    else:
        root["format_version"] = draw(st.sampled_from(h.FORMAT_VERSIONS))
    items = []
    for path, (shape, key) in datasets.items():
        if not draw(st.integers(0, 15)):
            continue
        dtype = "<f4" if draw(st.integers(0, 9)) else draw(st.sampled_from(h.DTYPES[:9]))
        if draw(st.integers(0, 9)) == 0:
            shape = tuple(max(0, s + draw(st.integers(-1, 1))) for s in shape) or (2,)
        attrs = {} if key is None else {"state_dict_key": key if draw(st.integers(0, 9))
                                        else draw(st.sampled_from(h.STATE_KEYS))}
        items.append((path, "dataset", h.array_of(dtype, shape, draw(free), special=draw(st.integers(0, 8)) // 6),
                      attrs))
    return h.build_h5(root, items)


PLAIN_JSON_VALUES = tuple(v for v in h.JSON_VALUES if not isinstance(v, str) or v not in (h.DEEP, h.HUGE_INT))


@st.composite
def gen_pbg(draw) -> Case:
    """A whole checkpoint folder: config, entity names, embeddings, model, relation names, maybe names.json."""
    dim = draw(st.sampled_from((1, 2, 4)))
    types = draw(st.sampled_from((["entity"], ["user", "item"], ["a"])))
    parts = {t: draw(st.integers(1, 2)) for t in types}
    dynamic = draw(st.booleans())
    ops = ("none", "diagonal", "translation", "complex_diagonal", "linear", "affine")
    n_specs = 1 if dynamic else draw(st.integers(1, 3))
    specs = [{"name": f"r{i}", "lhs": draw(st.sampled_from(types)), "rhs": draw(st.sampled_from(types)),
              "operator": draw(st.sampled_from(ops))} for i in range(n_specs)]
    cfg = {"entities": {t: {"num_partitions": p} for t, p in parts.items()}, "relations": specs,
           "dimension": dim + draw(st.sampled_from((0, 0, 0, 0, 1, -1))), "dynamic_relations": dynamic,
           "comparator": draw(st.sampled_from(("dot", "cos", "l2"))), "global_emb": draw(st.booleans()),
           "max_norm": draw(st.sampled_from((None, None, 1.0, 0.0))), "entity_path": h.PLACEHOLDER,
           "checkpoint_path": h.PLACEHOLDER + "/checkpoints", "bias": draw(st.integers(0, 9)) == 0}
    for _ in range(draw(st.sampled_from((0, 0, 0, 1, 2)))):  # a few fields of any value
        key = draw(st.sampled_from(tuple(cfg) + ("featurized",)))
        cfg[key] = draw(st.sampled_from(PLAIN_JSON_VALUES + (10 ** 400, 1e400)))
    files: dict = {}
    names = {}
    for t, p_count in parts.items():
        for p in range(p_count):
            names[t, p] = draw(st.lists(key_text, max_size=3, unique=True))
            files[f"entity_names_{t}_{p}.json"] = json.dumps(names[t, p] if draw(st.integers(0, 11))
                                                            else draw(json_value)).encode()
            files[f"checkpoints/embeddings_{t}_{p}.v1.h5"] = draw(h5_file({"embeddings": ((len(names[t, p]), dim), None)}))
    n_rel = draw(st.integers(1, 3))
    sizes = {"none": 0, "linear": dim * dim}
    params: dict = {}
    pnames = {"diagonal": "diagonal", "translation": "translation", "linear": "linear_transformation",
              "affine": "linear_transformation"}
    for i, spec in enumerate(specs):
        op = spec["operator"]
        for side in (("lhs", "rhs") if dynamic else ("rhs",)):
            lead = (n_rel,) if dynamic else ()
            if op == "complex_diagonal":
                for part in ("real", "imag"):
                    params[f"model/relations/{i}/operator/{side}/{part}"] = (lead + (dim // 2,), f"{side}_operators.{i}.{part}")
            elif op in pnames:
                pn = pnames[op] + ("s" if dynamic else "")
                shape = lead + ((dim, dim) if op in ("linear", "affine") else (sizes.get(op, dim),))
                params[f"model/relations/{i}/operator/{side}/{pn}"] = (shape, f"{side}_operators.{i}.{pn}")
    for t in types:
        params[f"model/entities/{t}/global_embedding"] = ((dim,), f"global_embs.emb_{t}")
    files["checkpoints/model.v1.h5"] = draw(h5_file(params))
    files["checkpoints/checkpoint_version.txt"] = draw(st.sampled_from((b"1\n", b"1\n", b"1", b"2\n", b"0", b"x", b"",
                                                                        b"99999999999999999999\n", b"\xff")))
    files["checkpoints/config.json"] = json.dumps(cfg).encode()
    if dynamic or draw(st.integers(0, 5)) == 0:
        count = draw(st.sampled_from((n_rel, n_rel, n_rel, 0, n_rel + 1, 10 ** 6)))
        files["dynamic_rel_count.txt"] = f"{count}\n".encode()
        if draw(st.integers(0, 5)):
            files["dynamic_rel_names.json"] = json.dumps([f"rel{i}" for i in range(n_rel)]).encode()
    if draw(st.booleans()):  # an export_pbg names.json, right or wrong
        all_names = [x for part in names.values() for x in part]
        ids, k = {}, 0
        for (t, p), part in names.items():
            ids.setdefault(t, []).append(list(range(k, k + len(part))))
            k += len(part)
        mapping = {"format": "embedstudio-pbg-export", "format_version": 1, "names": all_names, "type_names": types,
                   "pbg_type_names": types, "relation_names": [f"r{i}" for i in range(n_rel if dynamic else n_specs)],
                   "relation_types": [[0, 0]], "relation_mode": "dynamic" if dynamic else "static", "ids": ids}
        data = json.dumps(mapping).encode()
        if draw(st.integers(0, 2)) == 0:
            data = h.mutate_json(data, draw(st.sampled_from(h.JSON_OPS)), draw(free), draw(free))
        files["names.json"] = data
        files["config.json"] = json.dumps(cfg).encode()
    entry = draw(st.sampled_from(("", "checkpoints")))
    return Case(tuple((k, v) for k, v in files.items()), entry, (), "generated PBG folder")


@st.composite
def gen_session(draw) -> Case:
    files: dict = {}
    valid = h.small_embedding(3, 2)
    tmp = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(tmp, "w") as z:
        z.writestr("header.json", json.dumps({"format": "embedstudio-embedding", "version": 1, "keys": valid.keys,
                                              "geometry": "euclidean", "metadata": {}, "info": {}}))
        z.writestr("vectors.npy", h.npy_bytes(valid.vectors))
    files["embeddings/e0.npz"] = tmp.getvalue()
    if draw(st.booleans()):
        files["embeddings/e1.npz"] = draw(gen_embedding_file()).files[0][1]
    files["embeddings/m.map.npy"] = draw(npy_member((3, 2)))
    targets = ("embeddings/e0.npz", "embeddings/e1.npz", "embeddings/m.map.npy", "embeddings/missing.npz",
               "../outside.npz", "/etc/hostname", "embeddings", "session.json", "", "emb\x00.npz", "embeddings/",
               "embeddings/../embeddings/e0.npz")
    entries = []
    for i in range(draw(st.integers(0, 3))):
        entry = {"name": draw(st.one_of(key_text, json_value)), "file": draw(st.one_of(st.sampled_from(targets),
                                                                                       json_value))}
        if draw(st.integers(0, 7)) == 0:
            entry = draw(json_value)
        entries.append(entry)
    doc = {"format": draw(st.sampled_from(("embedstudio-session",) * 6 + ("x",))), "version": 1,
           "map": draw(st.one_of(st.sampled_from((None, "embeddings/m.map.npy") + targets), json_value)),
           "datasets": [{"path": "/nonexistent/c.txt", "kind": "corpus"}],
           "embeddings": entries if draw(st.integers(0, 7)) else draw(json_value),
           "current": draw(st.one_of(st.none(), key_text)), "view": draw(json_value)}
    for key in list(doc):
        if draw(st.integers(0, 19)) == 0:
            del doc[key]
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    if draw(st.integers(0, 14)) == 0:
        text = draw(st.sampled_from(("[]", "null", "{", "[" * 100000 + "]" * 100000, "")))
    files["session.json"] = text.encode("utf-8", "surrogatepass")
    return Case(tuple(files.items()), "", (), "generated session")


@lru_cache(maxsize=None)
def _valid_files() -> dict[str, bytes]:
    """Valid embedding / graph model / StarSpace model files, from the seeds."""
    return {"embedding": h.vector_seeds("embedstudio")[0].files[0][1], "graph": h.graphmodel_seeds()[0].files[0][1],
            "static": h.graphmodel_seeds()[1].files[0][1], "tag": h.spacemodel_seeds()[0].files[0][1],
            "page": h.spacemodel_seeds()[1].files[0][1]}


DATASET_GENERATORS = (  # (strategy, kind stored in the session): a dataset of every kind a session lists
    (gen_corpus(), "corpus"), (gen_edgelist(), "edgelist"), (gen_hierarchy(), "hierarchy"),
    (gen_labelled(), "labelled"), (gen_user_items(), "user-items"), (gen_text_vectors(True, "v.txt"), "word2vec-text"),
    (gen_media(), None), (gen_pbg(), "pbg"),
)


@st.composite
def model_file(draw, valid: tuple[str, ...], generated) -> bytes:
    choice = draw(st.integers(0, 9))
    if choice < 5:
        return _valid_files()[draw(st.sampled_from(valid))]
    if choice < 8:
        return draw(generated).files[0][1]
    if choice == 8:
        return h.FIFO
    return h.symlink(draw(st.sampled_from(("../outside/g.esgraph", "@@CASE@@/../outside/g.esgraph", "/etc/hostname",
                                           "embeddings/e0.npz", "graph-model.esgraph", "missing"))))


@st.composite
def gen_open_session(draw) -> Case:
    """A whole session folder: embeddings (valid or generated), a map, a graph model and a StarSpace model
    (valid, generated, a pipe or a link), datasets of every kind inside (generated) and paths of every sort
    (outside, ``..``, NUL bytes, pipes, links), a view naming models; then maybe SESSION_OPS on top."""
    files: dict = {"../outside/x.txt": h.SESSION_CORPUS.encode(), "../outside/y.tsv": h.SESSION_EDGES.encode(),
                   "../outside/g.esgraph": _valid_files()["graph"]}
    names = []
    entries = []
    for i in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(("e0", "graph", "space", "g", "items", "caf\u00e9", "")))
        rel = f"embeddings/e{i}.npz"
        files[rel] = _valid_files()["embedding"] if draw(st.integers(0, 3)) else draw(gen_embedding_file()).files[0][1]
        names.append(name)
        entries.append({"name": name, "file": rel})
    if draw(st.booleans()):
        files["graph-model.esgraph"] = draw(model_file(("graph", "static"), gen_graph_model()))
    if draw(st.booleans()):
        files["space-model.esspace"] = draw(model_file(("tag", "page"), gen_space_model()))
    datasets = []
    for i in range(draw(st.integers(0, 3))):
        strategy, kind = draw(st.sampled_from(DATASET_GENERATORS))
        case = draw(strategy)
        folder = f"data/d{i}"
        if kind == "pbg":  # its config names its folder: this one (inside), or a copy outside the session
            inside = draw(st.integers(0, 2)) > 0
            base = f"{h.PLACEHOLDER}/{folder}" if inside else f"{h.PLACEHOLDER}/../outside/pbg{i}"
            for rel, data in case.files:
                data = data.replace(h.PLACEHOLDER.encode(), base.encode()) if data and rel.endswith(".json") else data
                files[f"{folder}/{rel}"] = data
                if not inside:
                    files[f"../outside/pbg{i}/{rel}"] = data
            kind = None
        else:
            for rel, data in case.files:
                files[f"{folder}/{rel}"] = data
        path = f"{folder}/{case.entry}" if case.entry else folder
        if draw(st.integers(0, 5)) == 0:
            path = "@@CASE@@/" + path  # absolute, inside
        datasets.append({"path": path, "kind": kind if draw(st.integers(0, 4)) else draw(st.sampled_from(h.DATASET_KINDS))})
    for _ in range(draw(st.sampled_from((0, 0, 1, 2)))):
        datasets.append({"path": draw(st.sampled_from(h.DATASET_PATHS)), "kind": draw(st.sampled_from(h.DATASET_KINDS))})
    doc = {"format": "embedstudio-session" if draw(st.integers(0, 9)) else draw(st.sampled_from(("x", None, 1))),
           "version": 1, "map": None, "datasets": datasets, "embeddings": entries,
           "current": names[0] if names else None, "view": {}}
    if names and draw(st.booleans()):
        files["embeddings/m.map.npy"] = draw(npy_member((3, 2)))
        doc["map"] = "embeddings/m.map.npy"
    for key in ("graph_model", "space_model"):
        if draw(st.integers(0, 2)):
            doc["view"][key] = draw(st.one_of(st.sampled_from(names or ["x"]), st.sampled_from(("missing", 5, None))))
    files["session.json"] = json.dumps(doc, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    for _ in range(draw(st.sampled_from((0, 0, 1, 2)))):
        files = h.mutate_session(files, draw(st.sampled_from(h.SESSION_OPS)), draw(free), draw(free), draw(free))
    return Case(tuple(files.items()), "", (), "generated session folder")


JSON_ARRAY_GENERATORS = (gen_embedding_file(), gen_checkpoint(), gen_graph_model(), gen_space_model())


@st.composite
def gen_json_arrays(draw) -> Case:
    """A json-arrays file of each kind (generated), read with its own tag (or another); or a seed's members
    in a crafted zip (CRAFT_OPS); rarely a named pipe or a link to one."""
    choice = draw(st.integers(0, 19))
    if choice < 9:
        k = draw(st.integers(0, 3))
        case = draw(JSON_ARRAY_GENERATORS[k])
        tag = h.JSON_ARRAY_TAGS[k] if draw(st.integers(0, 7)) else draw(st.sampled_from(h.JSON_ARRAY_TAGS + ("x",)))
        return case.with_options({"tag": tag})
    if choice < 19:
        seed = draw(st.sampled_from(h.json_arrays_seeds()))
        members = h.zip_members(seed.files[0][1]) or []
        for _ in range(draw(st.integers(0, 1))):  # sometimes a changed member first
            op = draw(st.sampled_from(("header", "array", "npy_header", "delete", "add")))
            members = h.zip_members(h.mutate_zip(h.build_zip(members), op, draw(free), draw(free), draw(free))) or members
        data = h.craft_zip(members, draw(st.sampled_from(h.CRAFT_OPS)), draw(free), draw(free), draw(free))
        return Case(((seed.entry, data),), seed.entry, seed.options, "crafted zip")
    special = draw(st.sampled_from((h.FIFO, h.symlink("p.npz"), h.symlink("/dev/zero"), h.symlink("missing.npz"))))
    files = {"e.npz": special, "p.npz": h.FIFO}
    return Case(tuple(files.items()), "e.npz", (("tag", h.JSON_ARRAY_TAGS[0]),), "special file")


GENERATED = {
    "read_corpus": gen_corpus(),
    "iter_sentences": gen_corpus(),
    "read_edgelist": gen_edgelist(),
    "read_hierarchy": gen_hierarchy(),
    "read_labelled": gen_labelled(),
    "read_user_items": gen_user_items(),
    "read_vectors:word2vec-text": gen_text_vectors(True, "v.txt"),
    "read_vectors:word2vec-binary": gen_word2vec_binary(),
    "read_vectors:glove": gen_text_vectors(False, "g.txt"),
    "read_vectors:fasttext-vec": gen_text_vectors(True, "v.vec"),
    "read_vectors:projector-tsv": gen_projector(),
    "read_vectors:embedstudio": gen_embedding_file(),
    "import_pbg": gen_pbg(),
    "read_session": gen_session(),
    "Checkpoint.load": gen_checkpoint(),
    "GraphModel.load": gen_graph_model(),
    "SpaceModel.load": gen_space_model(),
    "read_media_features": gen_media(),
}
GENERATED["sniff.detect"] = st.one_of(
    *GENERATED.values(),
    st.binary(max_size=3000).map(lambda b: one_file("x", b)),
)
GENERATED["open_session"] = gen_open_session()
GENERATED["read_json_arrays"] = gen_json_arrays()


def generated(target: h.Target):
    return GENERATED[target.name].flatmap(lambda case: with_options(target, case))


# --------------------------------------------------------------------------- (c) compressed inputs
@st.composite
def compressed(draw, target: h.Target) -> Case:
    """A seed's (or a generated input's) file, decompressed if it was compressed, maybe mutated, then
    compressed in one of COMPRESS_OPS (valid, damaged or a bomb); maybe renamed .gz / .bz2 (rightly or not)."""
    if draw(st.integers(0, 2)):
        case = draw(st.sampled_from(target.seeds()))
    else:
        case = draw(GENERATED[target.name])
    files = case.file_dict()
    regular = sorted(k for k, v in files.items() if v is not None and not h.is_special(v) and not k.startswith(h.OUTSIDE))
    if not regular:
        return case
    name = case.entry if case.entry in regular else draw(st.sampled_from(regular))
    plain, _ = h.decompress_if_needed(files[name])
    if draw(st.integers(0, 3)) == 0:
        plain = h.mutate_bytes(plain, draw(st.sampled_from(h.BYTE_OPS)), draw(free), draw(free), draw(free))
    op = draw(st.sampled_from(h.COMPRESS_OPS))
    data = h.compress_shape(plain, op, draw(free), draw(free), draw(free))
    entry = case.entry
    rename = draw(st.integers(0, 5))
    if rename < 2 and not name.endswith((".gz", ".bz2")):
        new = name + ((".gz" if data[:2] == b"\x1f\x8b" else ".bz2") if rename == 0 else ".gz")
        del files[name]
        if entry == name:
            entry = new
        name = new
    files[name] = data
    out = Case(tuple(files.items()), entry, case.options, f"compressed: {op}")
    return out.with_options({**dict(case.options), **draw(st.sampled_from(target.options))})


# --------------------------------------------------------------------------- the tests
def _seed_params():
    return [pytest.param(name, id=name) for name in TARGETS if name != "sniff.detect"]


@pytest.mark.parametrize("name", _seed_params())
def test_every_seed_is_read(name):
    """The mutations start from valid files: each seed (with each option) is accepted by its reader."""
    target = TARGETS[name]
    for case in target.seeds():
        assert h.run_case(target, case) == "accepted", case


STRATEGIES = {"mutated": mutated, "generated": generated, "compressed": compressed}


def _make(name: str, strategy_of):
    target = TARGETS[name]

    @settings(FUZZ, max_examples=per_strategy(target))
    @given(case=strategy_of(target))
    def test(case):
        h.run_case(target, case)

    test.__name__ = test.__qualname__ = f"test_fuzz_{name}"
    return test


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_").lower()


for _name, _target in TARGETS.items():
    for _kind in _target.strategies:
        globals()[f"test_{_kind}_{_safe(_name)}"] = _make(_name, STRATEGIES[_kind])
del _name, _target, _kind
