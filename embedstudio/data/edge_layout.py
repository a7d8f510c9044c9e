"""How an edge list's columns are recognised, for :func:`~embedstudio.data.edgelist.read_edgelist`.

The separator (tab, comma or runs of ASCII whitespace), whether the first line is a header
(:data:`HEADER_WORDS`), and which field is the head, relation, tail, weight or an entity type: by
the header's words (:data:`HEADER_ROLES`), by ``columns=`` (:data:`ROLES`) or by the field count;
and what a ``type:name`` token looks like. Reading the lines and checking each of them is
:mod:`embedstudio.data.edgelist`'s, which imports from here (never the other way round).
"""

from __future__ import annotations

import re

from embedstudio.data.errors import DataFormatError
from embedstudio.data.hierarchy import COLUMN_NAMES
from embedstudio.data.sniff import is_number

__all__ = ["HEADER_ROLES", "HEADER_WORDS", "ROLES"]

ROLES = ("head", "relation", "tail", "weight", "head_type", "tail_type", "ignore")
"""What a field can be, for ``columns=``."""

HEADER_WORDS = (COLUMN_NAMES - {"a", "b", "x", "y", "u", "v"}) | frozenset(
    "relation rel relationship relation_type rel_type predicate pred property edge edge_type label "
    "type kind weight score value count strength head_id tail_id source_id target_id src_id dst_id "
    "from_id to_id subject_id object_id head_type tail_type source_type target_type src_type "
    "dst_type lhs rhs lhs_type rhs_type type1 type2 node_type".split()
)
"""Words that make a first line look like a header (case-insensitive). One-letter names are left
out: in a small graph they are more often entities than column names."""

HEADER_ROLES = {word: role for role, words in (
    ("head", "head source src subject from lhs head_id source_id src_id subject_id from_id"),
    ("tail", "tail target dst object to rhs tail_id target_id dst_id object_id to_id"),
    ("relation", "relation rel relationship relation_type rel_type predicate pred property label type kind"),
    ("relation", "edge edge_type"),
    ("weight", "weight score value count strength"),
    ("head_type", "head_type source_type src_type lhs_type type1"),
    ("tail_type", "tail_type target_type dst_type rhs_type type2"),
) for word in words.split()}
"""The role of a header's word (lower case). Other column names (``parent child``, ``id1 id2``,
``node_1 node_2``) say no direction: they are the head and the tail in their order."""

_SEPARATORS = {"\t": "\t", "tab": "\t", ",": ",", "comma": ",", " ": None, "whitespace": None}
_WS = " \t\n\r\x0b\x0c"  # ASCII whitespace: str.strip() alone would also eat no-break spaces
_WS_RUN = re.compile(r"[ \t\n\r\x0b\x0c]+")
_TYPE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
_TYPED_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}:.")


def _parse_columns(columns: str) -> tuple[str, ...]:
    roles = tuple(r.strip().lower() for r in str(columns).split(","))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown column role(s) {unknown}; the roles are {', '.join(ROLES)}")
    for role in ROLES[:-1]:
        if roles.count(role) > 1:
            raise ValueError(f"column role {role!r} given {roles.count(role)} times; only 'ignore' may repeat")
    if "head" not in roles or "tail" not in roles:
        raise ValueError(f"columns must include 'head' and 'tail', got {columns!r}")
    if ("head_type" in roles) != ("tail_type" in roles):
        raise ValueError("'head_type' and 'tail_type' columns come together")
    return roles


def _split(text: str, sep: str | None) -> list[str]:
    if sep is None:
        # str.split() would also split at no-break and other Unicode spaces inside a name.
        return text.split() if text.isascii() else _WS_RUN.split(text)
    return [f.strip(_WS) for f in text.split(sep)]


def _choose_separator(lines: list[str]) -> str | None:
    if lines and all("\t" in s for s in lines):
        return "\t"
    if lines and all("," in s for s in lines):
        return ","
    if lines and "," in lines[0] and not _WS_RUN.search(lines[0]):
        # Read as whitespace-separated, this first line would be one field (an error there); a
        # later line without a comma is the ragged one, and the error belongs on it.
        return ","
    return None


def _is_number(field_text: str) -> bool:
    return is_number(field_text.encode("utf-8", "replace"))


def _looks_like_header(rows: list[list[str]]) -> bool:
    """Each field of the first row is a column name or a word above numbers, and none recurs.

    Column names alone, one of them a role, make a header even over rows of another width: read
    as data, such a line would say "found 3 fields" where the problem is a header naming 4 columns.
    """
    if len(rows) < 2:
        return False
    first, rest = rows[0], rows[1:]
    if len(first) != len(rows[1]):
        lower = [word.lower() for word in first]
        if not (all(w in HEADER_WORDS for w in lower) and any(w in HEADER_ROLES for w in lower)):
            return False
        seen = {f for r in rest for f in r}
        return not any(word in seen for word in first)
    for j, word in enumerate(first):
        if word.lower() in HEADER_WORDS:
            continue
        below = [r[j] for r in rest if len(r) > j]
        if word and not _is_number(word) and below and all(_is_number(b) for b in below):
            continue
        return False
    seen = {f for r in rest for f in r}
    return not any(word in seen for word in first)


def _header_roles(path: str, line_no: int, words: list[str]) -> tuple[str, ...] | None:
    """The roles a header's words give its fields (see the module docstring), or None when it names
    none of them. Any other doubt is an error: a header read wrongly trains on the wrong columns."""
    def error(reason: str) -> DataFormatError:
        return DataFormatError(path, line_no, f"the header ({', '.join(words)[:200]}) {reason}")

    lower = [w.lower() for w in words]
    roles: list[str | None] = [HEADER_ROLES.get(w) for w in lower]
    if not any(roles):
        return None
    for j, word in enumerate(lower):
        if word and word in lower[:j]:
            raise error(f"names {words[j][:60]!r} twice: columns {lower.index(word) + 1} and {j + 1}")
    for j, role in enumerate(roles):
        if role is not None and role in roles[:j]:
            i = roles.index(role)
            raise error(f"names the {role} twice: column {i + 1} ({words[i]!r}) and column {j + 1} ({words[j]!r})")
    unnamed = [j for j, role in enumerate(roles) if role is None]
    if unnamed and "head" not in roles and "tail" not in roles and len(unnamed) >= 2:
        roles[unnamed[0]], roles[unnamed[1]] = "head", "tail"  # parent,child or node_1,node_2: in order
        unnamed = unnamed[2:]
    if unnamed:
        j = unnamed[0]
        what = ("does not say whether it is the head or the tail" if lower[j] in HEADER_WORDS
                else "is not a column an edge list has")
        raise error(
            f"has column {j + 1} {words[j][:60]!r}, which {what}; name the fields with columns= "
            f"(the roles: {', '.join(ROLES)}; 'ignore' skips a field), or header=False if the line is data"
        )
    if "head" not in roles and "tail" not in roles:
        raise error("names no head and no tail column")
    for role, other in (("head", "tail"), ("tail", "head"), ("head_type", "tail_type"), ("tail_type", "head_type")):
        if role in roles and other not in roles:
            raise error(f"names a {role} column ({words[roles.index(role)]!r}) but no {other} column")
    return tuple(roles)


def _infer_roles(path: str, rows: list[list[str]], first_line: int) -> tuple[str, ...]:
    width = len(rows[0])
    if width == 2:
        return ("head", "tail")
    if width == 3:
        if all(_is_number(r[2]) for r in rows if len(r) == 3):
            return ("head", "tail", "weight")
        return ("head", "relation", "tail")
    if width == 4:
        return ("head", "relation", "tail", "weight")
    if width == 1:
        shown = rows[0][0][:60]
        raise DataFormatError(path, first_line, f"expected 'head<sep>tail' or more fields, found one field ({shown!r})")
    raise DataFormatError(
        path, first_line,
        f"found {width} fields; without columns= a line holds 2 to 4 (head, [relation,] tail[, weight]): "
        "name the fields with columns='head,relation,tail,...'",
    )
