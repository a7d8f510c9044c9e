"""The word2vec job: skip-gram or CBOW on a corpus, with a live map."""

from __future__ import annotations

from embedstudio.jobs.live import CheckpointMailbox, live_training, map_layout


def word2vec_job(corpus, cfg, mailbox: CheckpointMailbox, live_map: bool = True):
    """Job: word2vec on ``corpus``; yields (progress, snapshot coords or None); returns (embedding, coords or
    None without ``live_map``). A corpus read with another min_count or max_vocab than ``cfg`` asks for is read
    again (from its token cache: quick)."""
    from embedstudio.data.corpus import read_corpus
    from embedstudio.train.word2vec import Word2VecTrainer

    if corpus.min_count != cfg.min_count or corpus.max_vocab != cfg.max_vocab:
        corpus = read_corpus(corpus.path, min_count=cfg.min_count, max_vocab=cfg.max_vocab, options=corpus.options)
    trainer = Word2VecTrainer(cfg)
    layout = map_layout(live_map)
    yield from live_training(trainer, corpus, mailbox, layout, snapshots=live_map)
    embedding = trainer.embedding()
    return embedding, layout(embedding.vectors) if layout is not None else None
