"""The word2vec trainer: learning, resume, threads, cancel, config checks."""

import numpy as np
import pytest

from embedstudio.config import ConfigError
from embedstudio.train.base import Checkpoint
from embedstudio.vectors import Embedding
from embedstudio.train.word2vec import Word2VecConfig, Word2VecTrainer, train_word2vec

SMALL = dict(dim=16, window=3, negative=4, sample=0.0, min_count=1, chunk_words=500, seed=5)


def _topic_separation(embedding, words_per_topic=10, n_topics=4):
    """Mean cosine within topics minus mean cosine across topics."""
    u = embedding.unit
    sims = u @ u.T
    topic = np.arange(len(u)) // words_per_topic
    same = topic[:, None] == topic[None, :]
    np.fill_diagonal(same, False)
    other = topic[:, None] != topic[None, :]
    return sims[same].mean() - sims[other].mean()


@pytest.mark.parametrize("method", ["sgns", "cbow"])
def test_training_separates_topics_far_beyond_random(topic_corpus, method):
    cfg = Word2VecConfig(method=method, epochs=5, threads=1, **SMALL)
    trainer = Word2VecTrainer(cfg)
    reports = list(trainer.fit(topic_corpus))
    trained = trainer.embedding()
    assert _topic_separation(trained) > 0.4
    # the baseline: vectors drawn as the trainer initialises them do not separate topics
    rng = np.random.default_rng(0)
    baseline = Embedding(trained.keys, (rng.random(trained.vectors.shape) - 0.5) / 16)
    assert abs(_topic_separation(baseline)) < 0.1
    assert reports[-1].cursor == reports[-1].total
    losses = reports[-1].epoch_losses
    assert len(losses) == 5 and losses[-1] < losses[0]
    assert all(np.isfinite(losses))


def test_progress_reports_are_consistent(topic_corpus):
    cfg = Word2VecConfig(epochs=2, threads=1, **SMALL)
    reports = list(Word2VecTrainer(cfg).fit(topic_corpus))
    cursors = [r.cursor for r in reports]
    assert cursors == list(range(1, reports[-1].total + 1))
    assert reports[-1].items_done == 2 * int(topic_corpus.sentence_starts[-1])
    rates = [r.learning_rate for r in reports]
    assert all(a >= b for a, b in zip(rates, rates[1:]))  # linear decay, never up
    assert rates[-1] == pytest.approx(cfg.min_alpha, abs=1e-9)
    assert reports[-1].fraction == 1.0 and reports[-1].eta_s == 0.0


def test_resume_is_bit_identical_to_an_uninterrupted_run(topic_corpus, tmp_path):
    cfg = Word2VecConfig(epochs=4, threads=1, **SMALL)
    straight = Word2VecTrainer(cfg)
    for _ in straight.fit(topic_corpus):
        pass

    first = Word2VecTrainer(cfg)
    gen = first.fit(topic_corpus)
    for p in gen:
        if p.cursor == p.total // 2:  # two of four epochs
            break
    first.checkpoint().save(tmp_path / "half.ckpt")
    gen.close()

    resumed = Word2VecTrainer(cfg)
    ckpt = Checkpoint.load(tmp_path / "half.ckpt")
    assert ckpt.cursor == p.total // 2
    reports = list(resumed.fit(topic_corpus, resume=ckpt))
    assert reports[0].cursor == ckpt.cursor + 1 and reports[0].start_cursor == ckpt.cursor
    assert np.array_equal(resumed.syn0, straight.syn0)
    assert np.array_equal(resumed.syn1, straight.syn1)
    assert resumed.epoch_losses == straight.epoch_losses


def test_resume_refuses_other_settings_or_corpus(topic_corpus):
    cfg = Word2VecConfig(epochs=2, threads=1, **SMALL)
    trainer = Word2VecTrainer(cfg)
    gen = trainer.fit(topic_corpus)
    next(gen)
    ckpt = trainer.checkpoint()
    gen.close()
    with pytest.raises(ValueError, match="dim=16"):
        list(Word2VecTrainer(cfg.replace(dim=8)).fit(topic_corpus, resume=ckpt))
    from tests.train.conftest import make_corpus, topic_sentences
    other = make_corpus(*topic_sentences(300, seed=9))
    with pytest.raises(ValueError, match="another dataset"):
        list(Word2VecTrainer(cfg).fit(other, resume=ckpt))
    # a different thread count is allowed
    list(Word2VecTrainer(cfg.replace(threads=2)).fit(topic_corpus, resume=ckpt))


def test_two_threads_train_as_well_and_checkpoint_mid_run(topic_corpus):
    cfg = Word2VecConfig(epochs=4, threads=2, **SMALL)
    trainer = Word2VecTrainer(cfg)
    gen = trainer.fit(topic_corpus)
    for p in gen:
        if p.cursor >= 5:
            break
    ckpt = trainer.checkpoint()  # waits for chunks still running on the pool
    assert ckpt.cursor >= 5
    for p in gen:
        pass
    assert p.cursor == p.total
    assert _topic_separation(trainer.embedding()) > 0.4
    resumed = Word2VecTrainer(cfg)
    last = list(resumed.fit(topic_corpus, resume=ckpt))[-1]
    assert last.cursor == last.total


def test_cancel_stops_cleanly_and_keeps_a_consistent_state(topic_corpus):
    cfg = Word2VecConfig(epochs=3, threads=2, **SMALL)
    trainer = Word2VecTrainer(cfg)
    gen = trainer.fit(topic_corpus)
    for p in gen:
        if p.cursor == 3:
            break
    gen.close()  # cancel
    ckpt = trainer.checkpoint()
    assert 3 <= ckpt.cursor < p.total
    assert np.isfinite(ckpt.arrays["syn0"]).all()


def test_config_is_checked_at_construction():
    with pytest.raises(ConfigError, match="sgns, cbow"):
        Word2VecConfig(method="skipgram")
    with pytest.raises(ConfigError, match="dim=0 is below"):
        Word2VecConfig(dim=0)
    with pytest.raises(ConfigError, match="whole number"):
        Word2VecConfig(window=2.5)
    with pytest.raises(ConfigError, match="min_alpha"):
        Word2VecConfig(alpha=0.01, min_alpha=0.02)
    assert Word2VecConfig(method="cbow").start_alpha == 0.05
    assert Word2VecConfig().start_alpha == 0.025
    names = [f["name"] for f in Word2VecConfig.schema()]
    assert "window" in names and all(f["help"] for f in Word2VecConfig.schema())


def test_train_word2vec_returns_an_embedding_with_vocabulary(topic_corpus):
    emb = train_word2vec(topic_corpus, Word2VecConfig(epochs=1, threads=1, **SMALL))
    assert emb.keys == topic_corpus.vocab.words and emb.dim == 16
    assert np.array_equal(emb.counts, topic_corpus.vocab.counts)
    assert emb.info["trainer"] == "word2vec"


@pytest.mark.parametrize("content", [b"", b"garbage", b"PK\x05\x06" + b"\0" * 18])
def test_checkpoint_load_rejects_broken_files(tmp_path, content):
    from embedstudio.data.errors import DataFormatError

    path = tmp_path / "bad.ckpt"
    path.write_bytes(content)
    with pytest.raises(DataFormatError) as info:
        Checkpoint.load(path)
    assert str(path) in str(info.value)


def test_checkpoint_save_is_atomic_and_round_trips(topic_corpus, tmp_path):
    trainer = Word2VecTrainer(Word2VecConfig(epochs=1, threads=1, **SMALL))
    gen = trainer.fit(topic_corpus)
    next(gen)
    ckpt = trainer.checkpoint()
    gen.close()
    path = tmp_path / "a.ckpt"
    ckpt.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ckpt"]
    back = Checkpoint.load(path)
    assert back.cursor == ckpt.cursor and back.config == ckpt.config and back.state == ckpt.state
    for name in ckpt.arrays:
        np.testing.assert_array_equal(back.arrays[name], ckpt.arrays[name])


def test_step_losses_add_up_to_the_epoch_loss(topic_corpus):
    cfg = Word2VecConfig(epochs=2, threads=1, **SMALL)
    reports = list(Word2VecTrainer(cfg).fit(topic_corpus))
    per_epoch = len(reports) // 2
    first = reports[:per_epoch]
    # equal-sized steps would make this exact; chunks differ a little, so compare loosely
    assert np.mean([r.step_loss for r in first]) == pytest.approx(reports[-1].epoch_losses[0], rel=0.05)
    assert reports[per_epoch - 1].loss == pytest.approx(reports[-1].epoch_losses[0])
