import types

import numpy as np
import pytest


def make_corpus(sentences: list[list[int]], vocab_size: int):
    """A Corpus-shaped object from sentences of word ids (the trainer reads only these fields)."""
    counts = np.zeros(vocab_size, dtype=np.int64)
    for s in sentences:
        np.add.at(counts, s, 1)
    tokens = np.concatenate([np.asarray(s, dtype=np.int32) for s in sentences])
    starts = np.concatenate([[0], np.cumsum([len(s) for s in sentences])]).astype(np.int64)
    words = [f"w{i}" for i in range(vocab_size)]
    vocab = types.SimpleNamespace(words=words, counts=counts)
    return types.SimpleNamespace(vocab=vocab, tokens=tokens, sentence_starts=starts, path="synthetic")


def topic_sentences(n_sentences: int, n_topics: int = 4, words_per_topic: int = 10, length: int = 12, seed: int = 0):
    """Sentences that each draw from one topic's words: words of a topic share contexts."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_sentences):
        t = rng.integers(n_topics)
        out.append(list(t * words_per_topic + rng.integers(words_per_topic, size=length)))
    return out, n_topics * words_per_topic


@pytest.fixture
def topic_corpus():
    sentences, vocab = topic_sentences(600)
    return make_corpus(sentences, vocab)
