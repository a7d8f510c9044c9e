"""word2vec (skip-gram and CBOW with negative sampling): the Python loop around the numba kernel.

Python owns the schedule: the corpus is cut into chunks of about ``chunk_words`` tokens at sentence
boundaries; a chunk is one kernel call with its own seed (from the run seed and its number) and
its own slice of the linearly decaying learning rate. With ``threads > 1`` chunks run hogwild on a
thread pool (the kernel releases the GIL). With one thread a run is deterministic, so a resumed run
is bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import numpy as np

from embedstudio.config import ConfigBase, ConfigError, param
from embedstudio.train.base import Checkpoint, Progress
from embedstudio.train.kernels import sgns
from embedstudio.train.kernels.rng import chunk_seed
from embedstudio.vectors import Embedding

METHODS = ("sgns", "cbow")


def default_threads() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


@dataclasses.dataclass(frozen=True)
class Word2VecConfig(ConfigBase):
    method: str = param("sgns", "sgns: skip-gram (predict context from word); cbow: predict word from context", choices=METHODS)
    dim: int = param(100, "vector dimension", low=1, high=4096)
    window: int = param(5, "maximum distance between a word and its context (sampled 1..window per word)", low=1, high=100)
    negative: int = param(5, "negative samples per positive example", low=1, high=100)
    sample: float = param(1e-3, "subsampling threshold for frequent words (0 = off)", low=0.0, high=1.0)
    min_count: int = param(5, "ignore words rarer than this", low=1, high=10**9)
    max_vocab: int | None = param(None, "keep at most this many of the most frequent words (empty = all)", low=1, high=10**9, optional=True)
    epochs: int = param(5, "passes over the corpus", low=1, high=10_000)
    alpha: float | None = param(None, "initial learning rate (empty = 0.025 for sgns, 0.05 for cbow)", low=1e-6, high=1.0, optional=True)
    min_alpha: float = param(1e-4, "final learning rate (linear decay)", low=0.0, high=1.0)
    ns_exponent: float = param(0.75, "exponent of the unigram noise distribution", low=-2.0, high=2.0)
    cbow_mean: bool = param(True, "cbow: average the context vectors (else sum)")
    threads: int = param(default_threads(), "worker threads (1 = deterministic, resumes bit-identically)", low=1, high=256)
    seed: int = param(1, "random seed", low=0, high=2**63 - 1)
    chunk_words: int = param(10_000, "tokens per unit of work (progress, cancel and checkpoint granularity)", low=100, high=10**8)

    def check(self) -> None:
        if self.alpha is not None and self.min_alpha > self.alpha:
            raise ConfigError(f"min_alpha={self.min_alpha} is larger than alpha={self.alpha}")

    @property
    def start_alpha(self) -> float:
        if self.alpha is not None:
            return self.alpha
        return 0.025 if self.method == "sgns" else 0.05


# A checkpoint may resume with another thread count or chunk bookkeeping; everything else must match.
_RESUME_MAY_DIFFER = {"threads"}


class Word2VecTrainer:
    name = "word2vec"
    config_class = Word2VecConfig

    def __init__(self, config: Word2VecConfig | None = None):
        self.config = config or Word2VecConfig()
        self.syn0: np.ndarray | None = None
        self.syn1: np.ndarray | None = None
        self._corpus = None
        self._cursor = 0
        self._inflight: collections.deque = collections.deque()
        self._epoch_loss: dict[int, list] = {}
        self._epoch_losses: list[float] = []
        self._words_done = 0
        self._step_loss = [0.0, 0]

    # ------------------------------------------------------------------ public
    def fit(self, corpus, resume: Checkpoint | None = None, snapshot_every_s: float | None = None) -> Iterator[Progress]:
        """Train on a Corpus (vocab.words, vocab.counts, tokens, sentence_starts); yields Progress."""
        cfg = self.config
        words = corpus.vocab.words
        counts = np.asarray(corpus.vocab.counts, dtype=np.int64)
        tokens = corpus.tokens
        starts = np.ascontiguousarray(corpus.sentence_starts, dtype=np.int64)
        vocab_size = len(words)
        n_tokens = int(starts[-1]) if len(starts) else 0
        if vocab_size == 0 or n_tokens == 0:
            raise ValueError("the corpus has no tokens in its vocabulary; lower min_count or add text")
        self._corpus = corpus
        boundaries = _chunk_boundaries(starts, cfg.chunk_words)
        n_chunks = len(boundaries) - 1
        total = n_chunks * cfg.epochs
        fingerprint = _fingerprint(counts, n_tokens)

        if resume is not None:
            self._restore(resume, fingerprint)
        else:
            rng = np.random.default_rng(cfg.seed)
            self.syn0 = ((rng.random((vocab_size, cfg.dim), dtype=np.float32) - 0.5) / cfg.dim).astype(np.float32)
            self.syn1 = np.zeros((vocab_size, cfg.dim), dtype=np.float32)
            self._cursor = 0
            self._epoch_loss = {}
            self._epoch_losses = []
        self._fingerprint = fingerprint

        keep = sgns.keep_probabilities(counts, cfg.sample)
        alias_prob, alias_idx = sgns.alias_table(counts.astype(np.float64) ** cfg.ns_exponent)
        sig_table, logsig_table = sgns.sigmoid_tables()
        a0, a1 = cfg.start_alpha, cfg.min_alpha
        chunk_first_token = starts[boundaries]

        def alpha_at(chunk: int, token: int) -> float:
            epoch = chunk // n_chunks
            return a0 - (a0 - a1) * ((epoch * n_tokens + token) / (cfg.epochs * n_tokens))

        def run_chunk(chunk: int):
            k = chunk % n_chunks
            return sgns.train_chunk(
                self.syn0, self.syn1, tokens, starts, boundaries[k], boundaries[k + 1], keep, alias_prob, alias_idx,
                sig_table, logsig_table, cfg.method == "sgns", cfg.cbow_mean, cfg.window, cfg.negative,
                alpha_at(chunk, chunk_first_token[k]), alpha_at(chunk, chunk_first_token[k + 1]),
                chunk_seed(cfg.seed, chunk),
            )

        start_cursor = self._cursor
        next_chunk = self._cursor
        self._words_done = 0
        started = time.perf_counter()
        last_snapshot = started
        self._n_chunks = n_chunks
        pool = ThreadPoolExecutor(cfg.threads, thread_name_prefix="word2vec") if cfg.threads > 1 else None
        try:
            while self._cursor < total:
                if pool is None:
                    chunk = self._cursor
                    self._account(chunk, run_chunk(chunk))
                else:
                    # Keep every thread busy; results are taken in chunk order so the cursor is
                    # always "all chunks before it are done".
                    next_chunk = max(next_chunk, self._cursor + len(self._inflight))
                    while len(self._inflight) < 2 * cfg.threads and next_chunk < total:
                        self._inflight.append((next_chunk, pool.submit(run_chunk, next_chunk)))
                        next_chunk += 1
                    chunk, future = self._inflight[0]
                    result = future.result()
                    self._inflight.popleft()
                    self._account(chunk, result)
                now = time.perf_counter()
                snapshot = None
                if snapshot_every_s is not None and (now - last_snapshot >= snapshot_every_s or self._cursor == total):
                    snapshot = self.embedding()
                    last_snapshot = now
                elapsed = now - started
                step_sum, step_n = self._step_loss
                self._step_loss = [0.0, 0]
                epoch = min((self._cursor - 1) // n_chunks, cfg.epochs - 1)
                loss_sum, examples = self._epoch_loss.get(epoch, (0.0, 0))
                k = (self._cursor - 1) % n_chunks
                yield Progress(
                    cursor=self._cursor, total=total, epoch=epoch, epochs=cfg.epochs,
                    loss=loss_sum / examples if examples else float("nan"),
                    epoch_losses=tuple(self._epoch_losses), items_done=self._words_done,
                    items_per_s=self._words_done / elapsed if elapsed > 0 else 0.0,
                    learning_rate=alpha_at(self._cursor - 1, chunk_first_token[k + 1]),
                    elapsed_s=elapsed, start_cursor=start_cursor, snapshot=snapshot,
                    step_loss=step_sum / step_n if step_n else float("nan"),
                )
        finally:
            # Cancelled or finished: let running chunks end so no thread writes after we return.
            self._drain()
            if pool is not None:
                pool.shutdown(wait=True)

    def checkpoint(self) -> Checkpoint:
        """A consistent copy of the training state, taken between two yields of fit()."""
        if self.syn0 is None:
            raise RuntimeError("nothing to checkpoint: training has not started")
        self._drain()
        return Checkpoint(
            trainer=self.name,
            cursor=self._cursor,
            config=self.config.to_dict(),
            arrays={"syn0": self.syn0.copy(), "syn1": self.syn1.copy()},
            state={
                "epoch_loss": {str(e): [float(s), int(n)] for e, (s, n) in self._epoch_loss.items()},
                "epoch_losses": list(self._epoch_losses),
                "fingerprint": self._fingerprint,
            },
        )

    def embedding(self) -> Embedding:
        if self.syn0 is None:
            raise RuntimeError("no vectors yet: call fit() first")
        vocab = self._corpus.vocab
        return Embedding(
            vocab.words, self.syn0.copy(), np.asarray(vocab.counts),
            info={
                "trainer": self.name, "config": self.config.to_dict(),
                "corpus": os.fspath(getattr(self._corpus, "path", "") or ""),
                "chunks_done": self._cursor, "epoch_losses": list(self._epoch_losses),
            },
        )

    @property
    def epoch_losses(self) -> list[float]:
        return list(self._epoch_losses)

    # ------------------------------------------------------------------ internals
    def _account(self, chunk: int, result) -> None:
        loss, examples, _effective, words = result
        epoch = chunk // self._n_chunks
        acc = self._epoch_loss.setdefault(epoch, [0.0, 0])
        acc[0] += float(loss)
        acc[1] += int(examples)
        self._step_loss[0] += float(loss)
        self._step_loss[1] += int(examples)
        self._words_done += int(words)
        self._cursor = chunk + 1
        if self._cursor % self._n_chunks == 0:
            self._epoch_losses.append(acc[0] / acc[1] if acc[1] else float("nan"))

    def _drain(self) -> None:
        """Wait for every running chunk and count it; after a failed chunk, only wait."""
        failed = None
        while self._inflight:
            chunk, future = self._inflight.popleft()
            try:
                result = future.result()
            except BaseException as e:  # noqa: BLE001 - re-raised below once all threads stopped
                failed = failed or e
                continue
            if failed is None:
                self._account(chunk, result)
        if failed is not None:
            raise failed

    def _restore(self, ckpt: Checkpoint, fingerprint: dict) -> None:
        if ckpt.trainer != self.name:
            raise ValueError(f"this checkpoint is from the {ckpt.trainer!r} trainer, not {self.name!r}")
        mine = self.config.to_dict()
        differ = sorted(k for k in mine if k not in _RESUME_MAY_DIFFER and ckpt.config.get(k) != mine[k])
        if differ:
            raise ValueError("the checkpoint was trained with other settings: " + ", ".join(
                f"{k}={ckpt.config.get(k)!r} (now {mine[k]!r})" for k in differ))
        if ckpt.state.get("fingerprint") != fingerprint:
            raise ValueError("the checkpoint was trained on another corpus (vocabulary or token count differ)")
        self.syn0 = np.ascontiguousarray(ckpt.arrays["syn0"], dtype=np.float32).copy()
        self.syn1 = np.ascontiguousarray(ckpt.arrays["syn1"], dtype=np.float32).copy()
        self._cursor = int(ckpt.cursor)
        self._epoch_loss = {int(e): [float(s), int(n)] for e, (s, n) in ckpt.state.get("epoch_loss", {}).items()}
        self._epoch_losses = [float(x) for x in ckpt.state.get("epoch_losses", [])]
        self._inflight.clear()


def _chunk_boundaries(starts: np.ndarray, chunk_words: int) -> np.ndarray:
    """Sentence indices that cut the token stream into pieces of about chunk_words tokens."""
    n_sentences = len(starts) - 1
    targets = np.arange(0, int(starts[-1]), chunk_words, dtype=np.int64)
    cuts = np.searchsorted(starts, targets, side="left")
    cuts = np.unique(np.concatenate([cuts, [n_sentences]]))
    cuts = cuts[(cuts >= 0) & (cuts <= n_sentences)]
    if cuts[0] != 0:
        cuts = np.concatenate([[0], cuts])
    return cuts.astype(np.int64)


def _fingerprint(counts: np.ndarray, n_tokens: int) -> dict:
    return {"vocab_size": int(len(counts)), "tokens": int(n_tokens),
            "count_sum": int(counts.sum()), "count_hash": int(np.bitwise_xor.reduce(counts * np.arange(1, len(counts) + 1)))}


def train_word2vec(corpus, config: Word2VecConfig | None = None) -> Embedding:
    """Train to the end with no progress reporting (scripts and tests)."""
    trainer = Word2VecTrainer(config)
    for _ in trainer.fit(corpus):
        pass
    return trainer.embedding()
