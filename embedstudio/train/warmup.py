"""Make every training kernel ready: compiled on the very first start, loaded from numba's cache after.

The app calls :func:`prepare_kernels` on its worker at start-up with a message, so the first Start
of a training run does not sit for tens of seconds in numba's compiler. It trains each trainer on
a tiny made-up dataset for one epoch, one thread, which compiles (or loads) exactly the kernel
signatures real runs use, the kernels that score the objective on a fixed sample at the end of an
epoch (word2vec's and the graph's eval_loss) included.
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import Callable


def _fit(trainer, data) -> None:
    for _ in trainer.fit(data):
        pass


def prepare_kernels(progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Seconds each trainer took to get ready (large on a cold cache, small when cached)."""
    seconds: dict[str, float] = {}
    for name, took in prepare_kernel_steps():
        if progress is not None:
            progress(name)
        seconds[name] = took
    return seconds


def prepare_kernel_steps():
    """The same, one trainer at a time: yields (trainer name, seconds) after each, so a caller can stop
    between them (the window does when a file is opened during a first, compiling start)."""
    from embedstudio.data.corpus import read_corpus
    from embedstudio.data.edgelist import read_edgelist
    from embedstudio.data.hierarchy import read_hierarchy
    from embedstudio.data.labelled import read_labelled
    from embedstudio.train.graph import GraphConfig, GraphTrainer
    from embedstudio.train.poincare import PoincareConfig, PoincareTrainer
    from embedstudio.train.starspace import StarSpaceConfig, StarSpaceTrainer
    from embedstudio.train.word2vec import Word2VecConfig, Word2VecTrainer

    with tempfile.TemporaryDirectory(prefix="embedstudio-warmup-") as tmp:
        def write(name: str, text: str) -> str:
            path = os.path.join(tmp, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            return path

        words = [f"w{i}" for i in range(12)]
        corpus = write("corpus.txt", "\n".join(" ".join(words[(i + j) % 12] for j in range(8)) for i in range(40)) + "\n")
        tree = write("tree.tsv", "".join(f"n{i}\tn{i // 2}\n" for i in range(1, 24)))
        edges = write("edges.tsv", "".join(f"e{i}\tr{i % 2}\te{(i * 7) % 30}\n" for i in range(60)))
        tags = write("tags.txt", "".join(f"__label__t{i % 3} {words[i % 12]} {words[(i + 1) % 12]}\n" for i in range(30)))
        jobs = (
            ("word2vec", lambda: _fit(Word2VecTrainer(Word2VecConfig(dim=8, epochs=1, min_count=1, threads=1)),
                                      read_corpus(corpus, min_count=1, cache_dir=os.path.join(tmp, "cache")))),
            ("poincare", lambda: _fit(PoincareTrainer(PoincareConfig(dim=2, epochs=1, burn_in=0, threads=1)), read_hierarchy(tree))),
            ("lorentz", lambda: _fit(PoincareTrainer(PoincareConfig(model="lorentz", dim=2, epochs=1, burn_in=0, threads=1)),
                                     read_hierarchy(tree))),
            ("graph", lambda: _fit(GraphTrainer(GraphConfig(dim=8, epochs=1, threads=1)), read_edgelist(edges))),
            ("starspace", lambda: _fit(StarSpaceTrainer(StarSpaceConfig(dim=8, epochs=1, threads=1)), read_labelled(tags))),
        )
        def readers():  # the vectors readers' and the neighbour search's numba scans
            from embedstudio.data.vectors_io import read_vectors, write_vectors
            from embedstudio.vectors import Embedding

            import numpy as np

            emb = Embedding(words, np.ones((12, 4), dtype=np.float32))
            for fmt, name in (("word2vec-binary", "v.bin"), ("word2vec-text", "v.txt")):
                write_vectors(emb, os.path.join(tmp, name), fmt)
                read_vectors(os.path.join(tmp, name), fmt).most_similar_many(words[:2], topn=2)

        jobs += (("readers", readers),)  # the label placer is loaded by the window itself (labels.prepare)
        for name, job in jobs:
            started = time.perf_counter()
            job()
            yield name, time.perf_counter() - started
