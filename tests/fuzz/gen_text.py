"""Generated inputs for the line-based text readers: rows with random field counts, types and separators,
headers that may lie, any line ending or encoding damage."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from tests.fuzz import harness as h
from tests.fuzz import mutations as mut
from tests.fuzz.harness import Case

free = st.integers(0, 2 ** 32 - 1)  # a free choice for the mutation primitives (a position, a length, a value)


SPECIAL_TEXT = tuple(x.decode("utf-8", "replace") for x in mut.SPECIAL_NUMBERS if len(x) < 100)
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
        data = mut.mutate_bytes(data, op, draw(free), draw(free), draw(free))
    how = draw(st.sampled_from((0,) * 8 + (1, 2, 3, 4, 5)))
    return mut.recompress(data, how)


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
    return one_file("v.bin", mut.recompress(data, draw(st.sampled_from((0,) * 6 + (1, 2, 3)))))


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
