#!/usr/bin/env python3
"""Build two real, offline data sets from the Debian package index on this machine.

Standard library + numpy only. Source: apt's package lists, ``/var/lib/apt/lists/*_Packages*``
(any compression apt uses; ``.lz4`` here), so nothing is downloaded:

  python benchmarks/data/build_debian.py                  # ~10 s, writes benchmarks/data/debian/
  python benchmarks/data/build_debian.py --out /tmp/deb --seed 1 --min-tag-count 2

The files written are build products: do not commit them (the script only prints where it wrote).
The output depends on the apt lists present (``apt-get update`` changes them); for fixed lists and
seed it is byte-for-byte reproducible.

TagSpace (short description -> debtags), fastText format, one package a line::

    __label__role::program __label__use::gameplaying real-time strategy game of ancient warfare

  tags.train.txt / tags.valid.txt / tags.test.txt   80 / 10 / 10 % of the packages, seeded split

PageSpace (a package "follows" the packages it depends on), one package a line::

    pkgname dep1 dep2 ...

  deps.txt         every package with at least 2 dependencies in the index
  deps.train.txt   the same lines, except that for a seeded 10 % of the packages ("test users")
                   one dependency is left out
  deps.test.txt    ``pkgname<TAB>heldout_dep`` for those test users

plus ``summary.json`` (the numbers printed at the end).

Rules (what the data sets are, precisely):

* Records. RFC822 stanzas separated by blank lines; a line starting with a space or tab continues
  the field before it. Several list files (release main, -updates, -security, ...) may list the
  same package: one record per package name is kept, the FIRST seen, with the files read in this
  order: the release's ``main`` lists first (file names ``..._dists_<suite>_main_binary-...`` whose
  suite has no ``-updates``/``-security``-style suffix), then every other list file sorted by name.
  So a package keeps its release record and an update only adds packages the release lacks (the
  fields used here -- description, tags, dependency names -- rarely change in a point update).
* Tags. ``Tag:`` is split on commas (continuation lines included). Tags ``special::*`` and any tag
  containing ``TODO`` (placeholders such as ``use::TODO``) are dropped, then packages left without a
  tag. After the split, tags seen fewer than ``--min-tag-count`` times in the TRAINING split are
  dropped from every split, and documents of any split left without a tag are dropped too (a label
  never seen in training cannot be predicted, and a document without a label cannot be scored).
* Text. The short description (first line of ``Description:``), Unicode NFKD with non-ASCII
  characters dropped, lower-cased, then the tokens are the matches of
  ``[a-z0-9][a-z0-9+#.\\-]*[a-z0-9+#]|[a-z0-9]`` (words, numbers, ``c++``, ``c#``, ``gtk+``, ``2.0``,
  ``x86-64``; other punctuation splits or goes). Tokens are written joined by single spaces, so
  fastText (which splits on whitespace) and EmbedStudio read identical tokens. Packages whose
  description yields no token are dropped. Labels on a line are sorted.
* Split. Packages sorted by name, permuted by ``numpy.random.default_rng(seed)``; the first
  round(80 %) are train, the next round(10 %) valid, the rest test.
* Dependencies. ``Depends:`` then ``Pre-Depends:``, split on commas; of an alternative ``a | b``
  the first is taken; version constraints ``(...)``, architecture lists ``[...]``, build profiles
  ``<...>`` and arch qualifiers (``:any``, ``:native``, ...) are stripped. Only dependencies that
  are themselves packages in the (de-duplicated) index are kept (so virtual packages are dropped,
  Provides is not resolved), duplicates are removed (first occurrence kept) and a package's own
  name is dropped. Packages with fewer than 2 dependencies left are not users.
* Leave-one-out. round(10 %) of the users, chosen by the seeded generator, each have one
  dependency held out, drawn uniformly among that user's dependencies that some OTHER user of
  deps.train.txt still depends on (so every held-out item has been seen in training; a user with
  no such dependency is passed over for the next one drawn). The held-out dependency is removed
  from that user's line in deps.train.txt, which keeps at least one dependency.
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import bz2
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "benchmarks" / "data" / "debian"
DEFAULT_LISTS = "/var/lib/apt/lists/*_Packages*"

TOKEN_RE = re.compile(r"[a-z0-9][a-z0-9+#.\-]*[a-z0-9+#]|[a-z0-9]")
_FIELD_RE = re.compile(r"^([!-9;-~]+):[ \t]*(.*)$")  # RFC822 field name: printable, no colon
_PRIMARY_LIST_RE = re.compile(r"_dists_[^_/-]+_main_binary-")
_DEP_STRIP_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]|<[^>]*>")


# --------------------------------------------------------------------------------------------
# Reading the lists
# --------------------------------------------------------------------------------------------

def read_list_file(path: str | os.PathLike) -> str:
    """Text of one apt list file, whatever its compression.

    A plain file is read directly; otherwise ``apt-helper cat-file`` (which handles every
    compression apt uses) is tried, then the standard library (gz, xz, lzma, bz2) or the
    ``lz4 -dc`` / ``zstd -dc`` commands.
    """
    path = str(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in {".gz", ".xz", ".lzma", ".bz2", ".lz4", ".zst"}:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    helper = "/usr/lib/apt/apt-helper"
    if os.access(helper, os.X_OK):
        r = subprocess.run([helper, "cat-file", path], capture_output=True)
        if r.returncode == 0 and r.stdout:
            return r.stdout.decode("utf-8", errors="replace")
    openers = {".gz": gzip.open, ".xz": lzma.open, ".lzma": lzma.open, ".bz2": bz2.open}
    if suffix in openers:
        with openers[suffix](path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")
    tool = {".lz4": "lz4", ".zst": "zstd"}[suffix]
    if shutil.which(tool) is None:
        raise SystemExit(f"cannot decompress {path}: neither apt-helper nor `{tool}` works")
    r = subprocess.run([tool, "-dc", path], capture_output=True, check=True)
    return r.stdout.decode("utf-8", errors="replace")


def order_list_files(paths: list[str]) -> list[str]:
    """The release's main lists first, then the others, each group sorted by name.

    Index side files (``Packages.diff``, ``...Index``) are left out.
    """
    files = [p for p in paths
             if os.path.isfile(p) and ".diff" not in os.path.basename(p)
             and not os.path.basename(p).endswith("Index")]
    return sorted(files, key=lambda p: (_PRIMARY_LIST_RE.search(os.path.basename(p)) is None,
                                        os.path.basename(p)))


def parse_packages(text: str) -> list[dict]:
    """Parse a Debian ``Packages`` file into one dict a stanza, field name -> value.

    Continuation lines (starting with a space or tab) are appended to the field's value after a
    newline, with their leading whitespace removed; a continuation line of just ``.`` (an empty
    paragraph line in long descriptions) becomes an empty line. Stanzas without ``Package`` are
    skipped.
    """
    records: list[dict] = []
    for stanza in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        rec: dict[str, str] = {}
        key = None
        for line in stanza.split("\n"):
            if not line or line.startswith("#"):
                continue
            if line[0] in " \t":
                if key is not None:
                    cont = line.strip()
                    rec[key] += "\n" + ("" if cont == "." else cont)
                continue
            m = _FIELD_RE.match(line)
            if m is None:
                continue
            key = m.group(1)
            rec[key] = m.group(2).rstrip()
        if rec.get("Package"):
            records.append(rec)
    return records


def load_index(paths: list[str]) -> tuple[dict[str, dict], list[tuple[str, int, int]]]:
    """One record per package name, first seen wins (see ``order_list_files``).

    Returns (name -> record in first-seen order, [(file, records, new names)]).
    """
    index: dict[str, dict] = {}
    per_file = []
    for path in order_list_files(paths):
        recs = parse_packages(read_list_file(path))
        new = 0
        for rec in recs:
            name = rec["Package"].strip()
            if name not in index:
                index[name] = rec
                new += 1
        per_file.append((os.path.basename(path), len(recs), new))
    return index, per_file


# --------------------------------------------------------------------------------------------
# Fields
# --------------------------------------------------------------------------------------------

def tokenize(text: str) -> list[str]:
    """NFKD, non-ASCII dropped, lower case, then ``TOKEN_RE`` matches."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return TOKEN_RE.findall(text.lower())


def short_description(rec: dict) -> str:
    return rec.get("Description", "").split("\n", 1)[0].strip()


def parse_tags(value: str) -> list[str]:
    """Debtags of a ``Tag:`` value, placeholders (``special::*``, ``*TODO*``) dropped, sorted."""
    tags = set()
    for t in value.replace("\n", " ").split(","):
        t = t.strip()
        if not t or t.startswith("special::") or "todo" in t.lower():
            continue
        tags.add(t)
    return sorted(tags)


def parse_depends(value: str) -> list[str]:
    """Package names of a ``Depends:``-style value: first alternative, no version/arch parts."""
    names = []
    for clause in value.replace("\n", " ").split(","):
        first = clause.split("|", 1)[0]
        first = _DEP_STRIP_RE.sub(" ", first).strip()
        if not first:
            continue
        name = first.split()[0].split(":", 1)[0]
        if name:
            names.append(name)
    return names


# --------------------------------------------------------------------------------------------
# The two data sets
# --------------------------------------------------------------------------------------------

def tagspace_docs(index: dict[str, dict]) -> list[tuple[str, list[str], list[str]]]:
    """(package, tags, tokens) for every package with a real tag and a non-empty description."""
    docs = []
    for name in sorted(index):
        rec = index[name]
        tags = parse_tags(rec.get("Tag", ""))
        if not tags:
            continue
        tokens = tokenize(short_description(rec))
        if not tokens:
            continue
        docs.append((name, tags, tokens))
    return docs


def split_tagspace(docs, seed: int, min_tag_count: int, fractions=(0.8, 0.1)):
    """Seeded train/valid/test split by package, then the rare-tag filter (see module doc)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(docs))
    n_train = int(round(fractions[0] * len(docs)))
    n_valid = int(round(fractions[1] * len(docs)))
    parts = {
        "train": [docs[i] for i in order[:n_train]],
        "valid": [docs[i] for i in order[n_train:n_train + n_valid]],
        "test": [docs[i] for i in order[n_train + n_valid:]],
    }
    counts = collections.Counter(t for _, tags, _ in parts["train"] for t in tags)
    keep = {t for t, c in counts.items() if c >= min_tag_count}
    out = {}
    for split, items in parts.items():
        kept = []
        for name, tags, tokens in items:
            tags = [t for t in tags if t in keep]
            if tags:
                kept.append((name, tags, tokens))
        out[split] = kept
    return out, keep


def fasttext_line(tags: list[str], tokens: list[str]) -> str:
    return " ".join(["__label__" + t for t in tags] + tokens)


def pagespace_users(index: dict[str, dict], min_deps: int = 2) -> list[tuple[str, list[str]]]:
    """(package, deps) for every package with at least ``min_deps`` in-index dependencies."""
    users = []
    for name in sorted(index):
        rec = index[name]
        deps = parse_depends(rec.get("Depends", "")) + parse_depends(rec.get("Pre-Depends", ""))
        seen = set()
        kept = []
        for d in deps:
            if d == name or d in seen or d not in index:
                continue
            seen.add(d)
            kept.append(d)
        if len(kept) >= min_deps:
            users.append((name, kept))
    return users


def leave_one_out(users, seed: int, fraction: float = 0.1):
    """Hold one dependency out for round(fraction * users) users (see module doc).

    Returns (train users, [(user, held-out dep)] in the order drawn).
    """
    rng = np.random.default_rng(seed)
    n_test = int(round(fraction * len(users)))
    followers = collections.Counter(d for _, deps in users for d in deps)
    train = [(u, list(deps)) for u, deps in users]
    held = []
    for i in rng.permutation(len(users)):
        if len(held) >= n_test:
            break
        user, deps = train[i]
        candidates = [d for d in deps if followers[d] >= 2]
        if not candidates:
            continue
        dep = candidates[int(rng.integers(len(candidates)))]
        deps.remove(dep)
        followers[dep] -= 1
        held.append((user, dep))
    return train, held


def _write_lines(path: Path, lines) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")


def build(out_dir: str | os.PathLike = DEFAULT_OUT, seed: int = 0, min_tag_count: int = 2,
          lists: str = DEFAULT_LISTS, verbose: bool = True) -> dict:
    """Build both data sets into ``out_dir``; returns the summary dict (also in summary.json)."""
    t0 = time.perf_counter()
    paths = glob.glob(lists)
    if not paths:
        raise SystemExit(f"no package lists match {lists!r}")
    index, per_file = load_index(paths)
    if not index:
        raise SystemExit(f"no package records in {lists!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    # TagSpace
    docs = tagspace_docs(index)
    raw_tag_counts = collections.Counter(t for _, tags, _ in docs for t in tags)
    splits, kept_tags = split_tagspace(docs, seed, min_tag_count)
    for split, items in splits.items():
        _write_lines(out / f"tags.{split}.txt", (fasttext_line(t, w) for _, t, w in items))
    train = splits["train"]
    tag_counts = collections.Counter(t for _, tags, _ in train for t in tags)
    vocab_train = {w for _, _, toks in train for w in toks}
    vocab_all = {w for items in splits.values() for _, _, toks in items for w in toks}
    train_texts = {" ".join(toks) for _, _, toks in train}
    all_docs = [d for items in splits.values() for d in items]
    facets = collections.Counter(t.split("::", 1)[0] for t in tag_counts.elements())

    # PageSpace
    users = pagespace_users(index)
    train_users, held = leave_one_out(users, seed)
    _write_lines(out / "deps.txt", (" ".join([u] + d) for u, d in users))
    _write_lines(out / "deps.train.txt", (" ".join([u] + d) for u, d in train_users))
    _write_lines(out / "deps.test.txt", (f"{u}\t{d}" for u, d in held))
    items = {d for _, deps in users for d in deps}
    dep_counts = collections.Counter(d for _, deps in users for d in deps)

    n_deps = np.array([len(d) for _, d in users]) if users else np.zeros(1)
    summary = {
        "lists": [{"file": f, "records": n, "new_packages": new} for f, n, new in per_file],
        "packages": len(index),
        "tagspace": {
            "packages_with_tags": len(docs),
            "tags_before_min_count": len(raw_tag_counts),
            "tags": len(kept_tags),
            "min_tag_count": min_tag_count,
            "docs": {s: len(v) for s, v in splits.items()},
            "docs_dropped_by_min_tag_count": len(docs) - len(all_docs),
            "mean_tags_per_doc": float(np.mean([len(t) for _, t, _ in all_docs])),
            "mean_tags_per_doc_train": float(np.mean([len(t) for _, t, _ in train])),
            "share_docs_one_tag": float(np.mean([len(t) == 1 for _, t, _ in all_docs])),
            "mean_tokens_per_doc": float(np.mean([len(w) for _, _, w in all_docs])),
            "vocab_train": len(vocab_train),
            "vocab_all": len(vocab_all),
            "test_docs_text_seen_in_train": sum(" ".join(w) in train_texts
                                                for _, _, w in splits["test"]),
            "top_tags_train": tag_counts.most_common(15),
            "top_facets_train": facets.most_common(10),
            "share_train_docs_with_role_program": float(
                np.mean(["role::program" in t for _, t, _ in train])),
        },
        "pagespace": {
            "users": len(users),
            "items": len(items),
            "nodes": len(items | {u for u, _ in users}),
            "test_users": len(held),
            "edges": int(n_deps.sum()) if users else 0,
            "mean_deps_per_user": float(n_deps.mean()) if users else 0.0,
            "median_deps_per_user": float(np.median(n_deps)) if users else 0.0,
            "max_deps_per_user": int(n_deps.max()) if users else 0,
            "top_items": dep_counts.most_common(10),
        },
        "seed": seed,
        "out": str(out),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    with open(out / "summary.json", "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
    if verbose:
        print_summary(summary)
    return summary


def print_summary(s: dict) -> None:
    ts, ps = s["tagspace"], s["pagespace"]
    for item in s["lists"]:
        print(f"  {item['file']}: {item['records']:,} records, {item['new_packages']:,} new names")
    print(f"packages (one record per name): {s['packages']:,}")
    print(f"TagSpace: {ts['packages_with_tags']:,} packages with real tags; "
          f"tags {ts['tags']:,} (of {ts['tags_before_min_count']:,}; "
          f"min count {ts['min_tag_count']} in train)")
    d = ts["docs"]
    print(f"  docs train/valid/test: {d['train']:,} / {d['valid']:,} / {d['test']:,} "
          f"({ts['docs_dropped_by_min_tag_count']} dropped as tagless after the filter)")
    print(f"  mean tags/doc {ts['mean_tags_per_doc']:.2f} (train {ts['mean_tags_per_doc_train']:.2f});"
          f" one tag: {100 * ts['share_docs_one_tag']:.1f} %; mean tokens/doc "
          f"{ts['mean_tokens_per_doc']:.2f}; vocab train {ts['vocab_train']:,} / all "
          f"{ts['vocab_all']:,}")
    print(f"  test docs whose text is also a train doc's: {ts['test_docs_text_seen_in_train']:,}")
    print("  top tags (train): " + ", ".join(f"{t} {c}" for t, c in ts["top_tags_train"][:8]))
    print(f"PageSpace: users {ps['users']:,}, items {ps['items']:,}, nodes {ps['nodes']:,}, "
          f"test users {ps['test_users']:,}; deps/user mean {ps['mean_deps_per_user']:.2f}, "
          f"median {ps['median_deps_per_user']:.0f}, max {ps['max_deps_per_user']}")
    print("  most followed: " + ", ".join(f"{t} {c}" for t, c in ps["top_items"][:6]))
    print(f"wrote {s['out']}/tags.{{train,valid,test}}.txt, deps{{,.train,.test}}.txt, "
          f"summary.json in {s['seconds']:.1f} s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lists", default=DEFAULT_LISTS,
                    help="glob of apt Packages list files (default %(default)s)")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (default %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--min-tag-count", type=int, default=2,
                    help="drop tags seen fewer times than this in the training split")
    args = ap.parse_args(argv)
    build(args.out, seed=args.seed, min_tag_count=args.min_tag_count, lists=args.lists)
    return 0


if __name__ == "__main__":
    sys.exit(main())
