#!/usr/bin/env python3
"""Build resources/sample/sotu-vectors.vec.gz: word vectors of the bundled sample corpus, for the
welcome page's bias-audit sample (the app opens it and runs the gender audit with one click).

    python benchmarks/data/build_sample_vectors.py

skip-gram, 50 dimensions, window 5, 5 epochs, min_count 10, one thread and seed 1 (so the file is
reproducible on one machine); the 10,000 most frequent words are written as fastText .vec text,
gzipped (about 2 MB).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from embedstudio.data.corpus import read_corpus  # noqa: E402
from embedstudio.data.vectors_io import write_vectors  # noqa: E402
from embedstudio.resources import resource  # noqa: E402
from embedstudio.train.word2vec import Word2VecConfig, train_word2vec  # noqa: E402


def main() -> int:
    corpus = read_corpus(resource("sample", "sotu.txt.gz"), min_count=10)
    embedding = train_word2vec(corpus, Word2VecConfig(dim=50, epochs=5, min_count=10, threads=1, seed=1))
    out = resource("sample", "sotu-vectors.vec.gz")
    write_vectors(embedding.restrict(10_000), str(out), "fasttext-vec")
    print(f"wrote {min(len(embedding), 10_000):,} vectors x {embedding.dim} to {out} ({os.path.getsize(out):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
