"""word2vec (skip-gram and CBOW with negative sampling): the Python loop around the numba kernel.

Python owns the schedule: the corpus is cut into chunks of about ``chunk_words`` tokens at sentence
boundaries; a chunk is one kernel call with its own seed (from the run seed and its number) and
its own slice of the linearly decaying learning rate. With ``threads > 1`` chunks run hogwild on a
thread pool (the kernel releases the GIL). With one thread a run is deterministic, so a resumed run
is bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Iterator

import numpy as np

from embedstudio.config import ConfigBase, ConfigError, param
from embedstudio.train.base import Checkpoint, ChunkedTrainer, Progress
from embedstudio.train.kernels import sgns
from embedstudio.train.kernels.rng import chunk_seed
from embedstudio.vectors import Embedding

METHODS = ("sgns", "cbow")
EVAL_SENTENCES = 2000  # the fixed sample the objective is scored on after each epoch (~3% of the sample corpus)
EVAL_TOKENS = 100_000  # ... and at most this many tokens (a corpus of long lines: few sentences)


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


class Word2VecTrainer(ChunkedTrainer):
    name = "word2vec"
    config_class = Word2VecConfig
    array_names = ("syn0", "syn1")

    def __init__(self, config: Word2VecConfig | None = None):
        super().__init__(config or Word2VecConfig())
        self._corpus = None

    @property
    def loss_label(self) -> str:
        return ("SGNS loss per (word, context) pair" if self.config.method == "sgns"
                else "CBOW loss per (context, word) example")

    @property
    def objective_label(self) -> str:
        return self.loss_label

    @property
    def syn0(self) -> np.ndarray | None:
        return self.arrays.get("syn0")

    @property
    def syn1(self) -> np.ndarray | None:
        return self.arrays.get("syn1")

    def fit(self, corpus, resume: Checkpoint | None = None, snapshot_every_s: float | None = None) -> Iterator[Progress]:
        """Train on a Corpus (vocab.words, vocab.counts, tokens, sentence_starts); yields Progress."""
        return super().fit(corpus, resume, snapshot_every_s)

    def _prepare(self, corpus, resuming: bool) -> tuple[int, dict]:
        cfg = self.config
        counts = np.asarray(corpus.vocab.counts, dtype=np.int64)
        starts = np.ascontiguousarray(corpus.sentence_starts, dtype=np.int64)
        n_tokens = int(starts[-1]) if len(starts) else 0
        if len(corpus.vocab.words) == 0 or n_tokens == 0:
            raise ValueError("the corpus has no tokens in its vocabulary; lower min_count or add text")
        self._corpus = corpus
        self._tokens, self._starts, self._n_tokens = corpus.tokens, starts, n_tokens
        self._boundaries = _chunk_boundaries(starts, cfg.chunk_words)
        self._chunk_first_token = starts[self._boundaries]
        self._keep = sgns.keep_probabilities(counts, cfg.sample)
        self._alias_prob, self._alias_idx = sgns.alias_table(counts.astype(np.float64) ** cfg.ns_exponent)
        self._sig_table, self._logsig_table = sgns.sigmoid_tables()
        self._eval_sentences = eval_sample(starts, cfg.seed)
        return len(self._boundaries) - 1, _fingerprint(counts, n_tokens)

    def _init_arrays(self) -> dict[str, np.ndarray]:
        cfg = self.config
        vocab_size = len(self._corpus.vocab.words)
        rng = np.random.default_rng(cfg.seed)
        syn0 = ((rng.random((vocab_size, cfg.dim), dtype=np.float32) - 0.5) / cfg.dim).astype(np.float32)
        return {"syn0": syn0, "syn1": np.zeros((vocab_size, cfg.dim), dtype=np.float32)}

    def _alpha_at(self, chunk: int, token: int) -> float:
        """Linear decay over every token of every epoch; a pure function of the position."""
        cfg = self.config
        a0, a1 = cfg.start_alpha, cfg.min_alpha
        epoch = chunk // self._chunks_per_epoch
        return a0 - (a0 - a1) * ((epoch * self._n_tokens + token) / (cfg.epochs * self._n_tokens))

    def _learning_rate(self, cursor: int) -> float:
        k = (cursor - 1) % self._chunks_per_epoch
        return self._alpha_at(cursor - 1, self._chunk_first_token[k + 1])

    def _run_chunk(self, chunk: int) -> tuple[float, int, int]:
        cfg = self.config
        k = chunk % self._chunks_per_epoch
        first = self._chunk_first_token
        loss, examples, _effective, words = sgns.train_chunk(
            self.arrays["syn0"], self.arrays["syn1"], self._tokens, self._starts, self._boundaries[k],
            self._boundaries[k + 1], self._keep, self._alias_prob, self._alias_idx, self._sig_table,
            self._logsig_table, cfg.method == "sgns", cfg.cbow_mean, cfg.window, cfg.negative,
            self._alpha_at(chunk, first[k]), self._alpha_at(chunk, first[k + 1]), chunk_seed(cfg.seed, chunk),
        )
        return loss, examples, words

    def _evaluate(self) -> float:
        """The objective on the fixed sample of sentences, with fixed windows and negatives, nothing updated."""
        cfg = self.config

        def score(sentences):
            return sgns.eval_loss(
                self.arrays["syn0"], self.arrays["syn1"], self._tokens, self._starts, sentences, self._keep,
                self._alias_prob, self._alias_idx, cfg.method == "sgns", cfg.cbow_mean, cfg.window, cfg.negative,
                chunk_seed(cfg.seed, -1))  # no unit of work has number -1: the sample's draws are its own

        # the training threads are idle now: shared among them, the sample costs ~1/threads of its time
        parts = np.array_split(self._eval_sentences, cfg.threads if self._unit_pool is not None else 1)
        results = list(self._unit_pool.map(score, parts)) if len(parts) > 1 else [score(parts[0])]
        examples = sum(n for _, n in results)
        return sum(loss for loss, _ in results) / examples if examples else float("nan")

    def embedding(self) -> Embedding:
        if self.syn0 is None:
            raise RuntimeError("no vectors yet: call fit() first")
        vocab = self._corpus.vocab
        return Embedding(
            vocab.words, self.syn0.copy(), np.asarray(vocab.counts),
            info={
                "trainer": self.name, "config": self.config.to_dict(),
                "corpus": os.fspath(getattr(self._corpus, "path", "") or ""),
                "chunks_done": self._cursor, **self._loss_info(),
            },
        )


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


def eval_sample(starts: np.ndarray, seed: int) -> np.ndarray:
    """The sentences the objective is scored on: up to EVAL_SENTENCES drawn at random (seeded) while they
    hold at most EVAL_TOKENS tokens (always one at least), in corpus order."""
    n = len(starts) - 1
    rng = np.random.default_rng([seed, 0x5A3])
    chosen = rng.choice(n, size=min(n, EVAL_SENTENCES), replace=False)
    tokens = np.cumsum(starts[chosen + 1] - starts[chosen])
    chosen = chosen[:max(1, int(np.searchsorted(tokens, EVAL_TOKENS, side="right")))]
    return np.sort(chosen).astype(np.int64)


def _fingerprint(counts: np.ndarray, n_tokens: int) -> dict:
    return {"vocab_size": int(len(counts)), "tokens": int(n_tokens),
            "count_sum": int(counts.sum()), "count_hash": int(np.bitwise_xor.reduce(counts * np.arange(1, len(counts) + 1)))}


def train_word2vec(corpus, config: Word2VecConfig | None = None) -> Embedding:
    """Train to the end with no progress reporting (scripts and tests)."""
    trainer = Word2VecTrainer(config)
    for _ in trainer.fit(corpus):
        pass
    return trainer.embedding()
