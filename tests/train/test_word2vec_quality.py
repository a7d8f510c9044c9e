"""A model trained on the bundled sample corpus answers analogies a random model cannot."""

import numpy as np
import pytest

from embedstudio.analysis.evaluate import evaluate_analogies
from embedstudio.data.corpus import read_corpus
from embedstudio.resources import resource
from embedstudio.train.word2vec import Word2VecConfig, train_word2vec
from embedstudio.vectors import Embedding


@pytest.fixture(scope="module")
def sample_corpus():
    return read_corpus(next(resource("sample").glob("*.txt.gz")), min_count=5)


def test_trained_model_beats_random_on_the_bundled_analogy_subset(sample_corpus):
    questions = str(resource("eval", "questions-sample.txt"))
    trained = train_word2vec(sample_corpus, Word2VecConfig(method="cbow", epochs=3, threads=2))
    rng = np.random.default_rng(0)
    random = Embedding(trained.keys, rng.standard_normal(trained.vectors.shape).astype(np.float32))
    got = evaluate_analogies(trained, questions)
    chance = evaluate_analogies(random, questions)
    assert got.coverage == 1.0 and got.total > 4000
    assert chance.accuracy < 0.005
    assert got.accuracy > 0.03  # ~6% after 3 CBOW epochs; random vectors score ~0.04%
    # and its neighbours are the ones a person expects: the other months
    months = {"february", "march", "april", "may", "june", "july", "august", "september", "october",
              "november", "december"}
    assert len(months & {w for w, _ in trained.most_similar("january", topn=10)}) >= 4
