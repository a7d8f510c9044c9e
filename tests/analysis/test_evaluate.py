"""Tests for embedstudio.analysis.evaluate: readers, scoring rules, agreement with gensim, bundled files."""

from __future__ import annotations

import gzip
import math
import re
import time
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from embedstudio.analysis.evaluate import (
    AnalogyResult,
    Section,
    WordPair,
    evaluate_analogies,
    evaluate_similarity,
    read_analogies,
    read_similarity,
)
from embedstudio.data.errors import DataFormatError
from embedstudio.resources import resource
from embedstudio.vectors import Embedding

QUESTIONS = resource("eval", "questions-words.txt")
SAMPLE_QUESTIONS = resource("eval", "questions-sample.txt")
SAMPLE_CORPUS = resource("sample", "sotu.txt.gz")


def _gensim_test_data(name: str) -> Path:
    gensim = pytest.importorskip("gensim")
    p = Path(gensim.__file__).parent / "test" / "test_data" / name
    if not p.exists():
        pytest.skip(f"gensim's test data has no {name}")
    return p


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def _keyed_vectors(emb: Embedding, dtype=np.float64):
    """A gensim KeyedVectors holding exactly the same numbers as ``emb``."""
    from gensim.models import KeyedVectors

    kv = KeyedVectors(emb.dim, dtype=dtype)
    kv.add_vectors(emb.keys, emb.vectors.astype(dtype))
    return kv


# ====================================================================== fixtures
def _stable_hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


@pytest.fixture(scope="module")
def sample_sentences() -> list[list[str]]:
    with gzip.open(SAMPLE_CORPUS, "rt", encoding="ascii") as f:
        return [line.split() for line in f]


@pytest.fixture(scope="module")
def trained(sample_sentences) -> Embedding:
    """A quick gensim skip-gram model on the last 15k sentences of the sample corpus (~4 s).

    One worker and a fixed string hash (gensim seeds each vector with ``hash(word + seed)``, which
    PYTHONHASHSEED randomises) make it the same model on every run.
    """
    gensim_models = pytest.importorskip("gensim.models")
    model = gensim_models.Word2Vec(
        sample_sentences[-15000:], sg=1, vector_size=50, window=5, min_count=5, epochs=3, workers=1, seed=7,
        hashfxn=_stable_hash,
    )
    return Embedding(model.wv.index_to_key, model.wv.vectors)


def toy_embedding() -> Embedding:
    """Exact analogies: woman - man + king = queen; paris - france + italy = rome, ..."""
    keys = ["man", "woman", "king", "queen", "france", "paris", "italy", "rome", "good", "better", "bad", "worse"]
    rng = np.random.default_rng(3)
    base = {k: rng.standard_normal(16) for k in ["man", "king", "france", "italy", "good", "bad"]}
    gender, capital, comparative = (rng.standard_normal(16) for _ in range(3))
    vec = dict(base)
    vec["woman"] = base["man"] + gender
    vec["queen"] = base["king"] + gender
    vec["paris"] = base["france"] + capital
    vec["rome"] = base["italy"] + capital
    vec["better"] = base["good"] + comparative
    vec["worse"] = base["bad"] + comparative
    return Embedding(keys, np.stack([vec[k] for k in keys]))


TOY_QUESTIONS = """\
: family
man woman king queen
king queen man woman
man woman king unicorn
: capital-common-countries
france paris italy rome
italy rome france paris
: gram3-comparative
good better bad worse
"""


# ====================================================================== reading analogy files
def test_bundled_questions_words_parse():
    sections = read_analogies(QUESTIONS)
    assert len(sections) == 14
    assert sum(len(s) for s in sections) == 19544
    assert sections[0].name == "capital-common-countries"
    assert sections[0].questions[0] == ("Athens", "Greece", "Baghdad", "Iraq")
    assert sections[0].lines[0] == 2 and sections[0].header_line == 1
    semantic = [s for s in sections if s.kind == "semantic"]
    syntactic = [s for s in sections if s.is_syntactic]
    assert [s.name for s in semantic] == ["capital-common-countries", "capital-world", "currency", "city-in-state", "family"]
    assert len(syntactic) == 9 and all(s.name.startswith("gram") for s in syntactic)
    assert sum(len(s) for s in semantic) == 8869
    assert sum(len(s) for s in syntactic) == 10675


def test_read_analogies_sections_and_lines(tmp_path):
    p = _write(tmp_path, "q.txt", "\n: fam\nman woman king queen\n\n# a comment\n:gram-x \nGood Better Bad Worse\r\n")
    secs = read_analogies(p)
    assert [(s.name, s.kind, s.header_line) for s in secs] == [("fam", "semantic", 2), ("gram-x", "syntactic", 6)]
    assert secs[0].questions == [("man", "woman", "king", "queen")] and secs[0].lines == [3]
    assert secs[1].questions == [("Good", "Better", "Bad", "Worse")] and secs[1].lines == [7]


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        (": s\na b c d\na b c\n", 3, "this line has 3"),
        (": s\na b c d\na b c d e\n", 3, "this line has 5"),
        ("a b c d\n: s\na b c d\n", 1, "before the first"),
        (": s\na b c d\n:   \n", 3, "without a name"),
    ],
)
def test_read_analogies_bad_lines(tmp_path, text, line, fragment):
    p = _write(tmp_path, "bad.txt", text)
    with pytest.raises(DataFormatError) as e:
        read_analogies(p)
    assert e.value.line == line
    assert fragment in e.value.reason
    assert e.value.path == str(p)


def test_read_analogies_whole_file_errors(tmp_path):
    for name, data, line in [("empty.txt", b"", 1), ("blank.txt", b"\n  \n", 1), ("bin.txt", b"\x00\x01\x02: a\n", 1),
                             ("only_headers.txt", b": a\n: b\n", None)]:
        with pytest.raises(DataFormatError) as e:
            read_analogies(_write(tmp_path, name, data))
        assert e.value.line == line, name
    with pytest.raises(DataFormatError) as e:
        read_analogies(_write(tmp_path, "latin1.txt", b": s\na b c d\ncaf\xe9 b c d\n"))
    assert e.value.line == 3 and "UTF-8" in e.value.reason
    with pytest.raises(DataFormatError):
        read_analogies(tmp_path / "missing.txt")


def test_read_analogies_gzip(tmp_path):
    p = _write(tmp_path, "q.txt.gz", gzip.compress(TOY_QUESTIONS.encode()))
    assert sum(len(s) for s in read_analogies(p)) == 6


# ====================================================================== scoring analogies
def test_toy_analogies_counts_and_split(tmp_path):
    emb = toy_embedding()
    r = evaluate_analogies(emb, _write(tmp_path, "q.txt", TOY_QUESTIONS))
    assert isinstance(r, AnalogyResult)
    assert [(s.name, s.kind, s.correct, s.total, s.questions, s.skipped) for s in r.sections] == [
        ("family", "semantic", 2, 2, 3, 1),  # "unicorn" is not in the vocabulary
        ("capital-common-countries", "semantic", 2, 2, 2, 0),
        ("gram3-comparative", "syntactic", 1, 1, 1, 0),
    ]
    assert (r.correct, r.total, r.questions, r.skipped) == (5, 5, 6, 1)
    assert r.accuracy == 1.0 and r.semantic_accuracy == 1.0 and r.syntactic_accuracy == 1.0
    assert r.coverage == pytest.approx(5 / 6)
    table = r.table()
    for word in ("family", "capital-common-countries", "gram3-comparative", "semantic", "syntactic", "total", "coverage"):
        assert word in table
    assert "83.3%" in table  # coverage
    assert r.as_dict()["answered"] == 5


def test_sections_can_be_passed_directly_and_mistakes_recorded():
    emb = toy_embedding()
    # The second question has no good answer in the toy vocabulary: it must be counted wrong.
    secs = [Section("family", [("man", "woman", "king", "queen"), ("man", "woman", "good", "queen")])]
    r = evaluate_analogies(emb, secs)
    assert (r.sections[0].correct, r.sections[0].total) == (1, 2)
    assert r.sections[0].accuracy == 0.5
    (a, b, c, expected, predicted), = r.sections[0].mistakes
    assert (a, b, c, expected) == ("man", "woman", "good", "queen")
    assert predicted != "queen" and predicted not in ("man", "woman", "good")


def test_restrict_vocab_skips_questions_with_rare_words(tmp_path):
    emb = toy_embedding()
    q = _write(tmp_path, "q.txt", TOY_QUESTIONS)
    r = evaluate_analogies(emb, q, restrict_vocab=4)  # only man, woman, king, queen
    assert [(s.correct, s.total, s.questions) for s in r.sections] == [(2, 2, 3), (0, 0, 2), (0, 0, 1)]
    assert r.coverage == pytest.approx(2 / 6)
    assert r.syntactic_accuracy == 0.0 and r.semantic_accuracy == 1.0
    assert r.restrict_vocab == 4
    # A restricted vocabulary also restricts the candidate answers.
    r8 = evaluate_analogies(emb, [Section("s", [("man", "woman", "france", "paris")])], restrict_vocab=5)
    assert r8.total == 0 and r8.skipped == 1
    assert evaluate_analogies(emb, q, restrict_vocab=None).total == 5
    assert evaluate_analogies(emb, q, restrict_vocab=10**9).restrict_vocab == len(emb)


def test_case_handling(tmp_path):
    emb = toy_embedding()
    upper = _write(tmp_path, "u.txt", ": family\nMan Woman KING Queen\n")
    r = evaluate_analogies(emb, upper)
    assert (r.correct, r.total) == (1, 1)
    r = evaluate_analogies(emb, upper, case_insensitive=False)
    assert (r.total, r.skipped) == (0, 1)
    assert r.accuracy == 0.0 and r.coverage == 0.0


def test_case_variant_of_a_question_word_is_not_an_answer():
    # "King", a rarer spelling of the question word "king", is placed where the answer should be,
    # so a search that only leaves out the three question rows answers "King".
    emb = toy_embedding()
    keys = emb.keys + ["King"]
    vectors = np.vstack([emb.vectors, emb["king"] + 0.999 * (emb["woman"] - emb["man"])])
    emb2 = Embedding(keys, vectors)
    assert emb2.analogy("man", "woman", "king")[0][0] == "King"  # plain search picks the variant
    r = evaluate_analogies(emb2, [Section("family", [("man", "woman", "king", "queen")])])
    assert r.correct == 1
    r = evaluate_analogies(emb2, [Section("family", [("man", "woman", "king", "queen")])], case_insensitive=False)
    assert r.correct == 0 and r.sections[0].mistakes[0][-1] == "King"


def test_prediction_matching_a_case_variant_counts_as_correct():
    emb = toy_embedding()
    keys = list(emb.keys)
    keys[keys.index("queen")] = "Queen"
    emb2 = Embedding(keys, emb.vectors)
    sec = [Section("family", [("man", "woman", "king", "queen")])]
    assert evaluate_analogies(emb2, sec).correct == 1
    assert evaluate_analogies(emb2, sec, case_insensitive=False).total == 0


def test_3cosmul_and_unknown_method(tmp_path):
    emb = toy_embedding()
    q = _write(tmp_path, "q.txt", TOY_QUESTIONS)
    r = evaluate_analogies(emb, q, method="3cosmul")
    assert r.method == "3cosmul" and r.total == 5 and r.correct >= 4
    with pytest.raises(ValueError, match="3cosadd"):
        evaluate_analogies(emb, q, method="cosine")


def test_full_google_set_at_30k_is_fast():
    words = sorted({w.lower() for s in read_analogies(QUESTIONS) for q in s.questions for w in q})
    keys = words + [f"filler{i}" for i in range(30000 - len(words))]
    rng = np.random.default_rng(0)
    emb = Embedding(keys, rng.standard_normal((len(keys), 100)).astype(np.float32))
    t = time.perf_counter()
    r = evaluate_analogies(emb, QUESTIONS, restrict_vocab=30000)
    elapsed = time.perf_counter() - t
    assert r.questions == r.total == 19544 and r.coverage == 1.0
    assert r.accuracy < 0.01  # random vectors
    assert elapsed < 15, f"19,544 questions at 30k keys took {elapsed:.1f} s"


# ====================================================================== agreement with gensim: analogies
def _gensim_sections(kv, path, **kw):
    score, sections = kv.evaluate_word_analogies(str(path), **kw)
    per = [(s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections[:-1]]
    return score, per


@pytest.mark.parametrize("restrict_vocab, case_insensitive", [(30000, True), (2000, True), (3000, False), (1000, True)])
@pytest.mark.parametrize("path", [QUESTIONS, SAMPLE_QUESTIONS], ids=["questions-words", "questions-sample"])
def test_analogies_agree_with_gensim(trained, path, restrict_vocab, case_insensitive):
    kv = _keyed_vectors(trained, np.float32)
    g_score, g_sections = _gensim_sections(kv, path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive)
    r = evaluate_analogies(trained, path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive)
    assert [(s.name, s.correct, s.total) for s in r.sections] == g_sections
    assert r.accuracy == g_score
    assert r.total > 50 and r.correct > 0


def test_analogies_agree_with_gensim_with_case_variants(trained):
    """Mixed-case keys (some capitalised copies before, some after the lower-case key) fold alike."""
    rng = np.random.default_rng(11)
    keys, vectors = list(trained.keys[:3000]), list(trained.vectors[:3000])
    picked = rng.choice(3000, size=300, replace=False)
    for n, i in enumerate(picked):
        variant = trained.keys[i].capitalize() if n % 2 else trained.keys[i].upper()
        if variant == trained.keys[i]:
            continue
        near = trained.vectors[i] + 0.05 * rng.standard_normal(trained.dim).astype(np.float32) * np.linalg.norm(trained.vectors[i]) / np.sqrt(trained.dim)
        if n % 3 == 0:  # the variant comes first and so stands for the word
            pos = int(rng.integers(0, i + 1))
        else:
            pos = int(rng.integers(i + 1, len(keys) + 1))
        keys.insert(pos, variant)
        vectors.insert(pos, near)
    emb = Embedding(keys, np.stack(vectors))
    kv = _keyed_vectors(emb, np.float32)
    for restrict_vocab in (len(emb), 1500):
        g_score, g_sections = _gensim_sections(kv, QUESTIONS, restrict_vocab=restrict_vocab)
        r = evaluate_analogies(emb, QUESTIONS, restrict_vocab=restrict_vocab)
        assert [(s.name, s.correct, s.total) for s in r.sections] == g_sections
        assert r.accuracy == g_score


def test_trained_model_beats_random_on_sample_questions(trained):
    rng = np.random.default_rng(0)
    rand = Embedding(trained.keys, rng.standard_normal(trained.vectors.shape).astype(np.float32))
    good = evaluate_analogies(trained, SAMPLE_QUESTIONS)
    bad = evaluate_analogies(rand, SAMPLE_QUESTIONS)
    assert good.total == bad.total > 1000
    assert good.correct >= 20
    assert bad.correct <= 5
    assert good.accuracy > 5 * max(bad.accuracy, 1e-3)


# ====================================================================== reading similarity files
def test_read_gensim_wordsim353_and_simlex():
    ws = read_similarity(_gensim_test_data("wordsim353.tsv"))
    assert len(ws) == 353
    assert ws[0] == WordPair("love", "sex", 6.77, 3)
    sl = read_similarity(_gensim_test_data("simlex999.txt"))
    assert len(sl) == 999
    assert sl[0] == WordPair("old", "new", 1.58, 3)


ORIGINAL_SIMLEX = (
    "word1\tword2\tPOS\tSimLex999\tconc(w1)\tconc(w2)\tconcQ\tAssoc(USF)\tSimAssoc333\tSD(SimLex)\n"
    "old\tnew\tA\t1.58\t2.72\t2.81\t2\t7.25\t1\t0.41\n"
    "smart\tintelligent\tA\t9.2\t1.75\t2.46\t1\t7.11\t1\t0.67\n"
    "hard\tdifficult\tA\t8.77\t3.76\t2.21\t2\t5.94\t1\t1.19\n"
)


def test_read_original_simlex_uses_the_simlex999_column(tmp_path):
    pairs = read_similarity(_write(tmp_path, "SimLex-999.txt", ORIGINAL_SIMLEX))
    assert [(p.word1, p.word2, p.score, p.line) for p in pairs] == [
        ("old", "new", 1.58, 2), ("smart", "intelligent", 9.2, 3), ("hard", "difficult", 8.77, 4)
    ]
    by_name = read_similarity(_write(tmp_path, "s.txt", ORIGINAL_SIMLEX), score_column="SD(SimLex)")
    assert [p.score for p in by_name] == [0.41, 0.67, 1.19]
    by_index = read_similarity(_write(tmp_path, "s.txt", ORIGINAL_SIMLEX), score_column=7)
    assert [p.score for p in by_index] == [7.25, 7.11, 5.94]
    with pytest.raises(DataFormatError, match="no column named"):
        read_similarity(_write(tmp_path, "s.txt", ORIGINAL_SIMLEX), score_column="nope")


def test_read_other_layouts(tmp_path):
    csv = read_similarity(_write(tmp_path, "combined.csv", "Word 1,Word 2,Human (mean)\nlove,sex,6.77\ntiger,cat,7.35\n"))
    assert [(p.word1, p.word2, p.score, p.line) for p in csv] == [("love", "sex", 6.77, 2), ("tiger", "cat", 7.35, 3)]
    men = read_similarity(_write(tmp_path, "men.txt", "sun sunlight 50.000000\nautomobile car  50\n"))
    assert [(p.word1, p.word2, p.score) for p in men] == [("sun", "sunlight", 50.0), ("automobile", "car", 50.0)]
    # The first numeric column after the words is the score when there is no known name.
    odd = read_similarity(_write(tmp_path, "odd.tsv", "# c\nw1\tw2\ttag\tvalue\na\tb\tN\t3.5\n"))
    assert odd == [WordPair("a", "b", 3.5, 3)]


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        ("# comment\nlove\tsex\t6.77\ntiger\tcat\tmany\n", 3, "not a number"),
        ("love\tsex\t6.77\ntiger\tcat\n", 2, "fields"),
        ("love\tsex\t6.77\ntiger\t\t7\n", 2, "empty word"),
        ("love sex\n", 1, "found 2 field"),
        ("w1\tw2\tnote\nlove\tsex\tstrong\n", 2, "no numeric score"),
    ],
)
def test_read_similarity_bad_lines(tmp_path, text, line, fragment):
    with pytest.raises(DataFormatError) as e:
        read_similarity(_write(tmp_path, "bad.tsv", text))
    assert e.value.line == line
    assert fragment in e.value.reason


def test_read_similarity_whole_file_errors(tmp_path):
    for name, text, line in [("empty.tsv", "", 1), ("comments.tsv", "# a\n# b\n", None),
                             ("header.tsv", "word1\tword2\tscore\n", None)]:
        with pytest.raises(DataFormatError) as e:
            read_similarity(_write(tmp_path, name, text))
        assert e.value.line == line, name


# ====================================================================== scoring similarity
def _without_repeated_pairs(src: Path, dst: Path) -> Path:
    """Drop pairs already seen, in either order (WordSim353 has money/cash twice, money/bank after
    bank/money; SimLex-999 strange/sly after sly/strange).

    Such copies have equal cosines mathematically -- and in ours, which is exactly symmetric and
    deterministic -- so Spearman ties them. gensim's float64 cosine of the same pair varies in the
    last bit between calls and between the two orders, so it ranks the copies apart and its
    Spearman moves by up to ~3e-5. Without the repeats the two implementations agree to rounding.
    """
    seen, out = set(), []
    for line in src.read_text(encoding="utf-8").splitlines(keepends=True):
        f = line.split("\t")
        if not line.startswith("#") and len(f) == 3:
            a, b = f[0].lower(), f[1].lower()
            if (a, b) in seen or (b, a) in seen:
                continue
            seen.add((a, b))
        out.append(line)
    dst.write_text("".join(out), encoding="utf-8")
    return dst


@pytest.mark.parametrize("name", ["wordsim353.tsv", "simlex999.txt"])
@pytest.mark.parametrize("restrict_vocab", [None, 2000])
def test_similarity_agrees_with_gensim(trained, tmp_path, name, restrict_vocab):
    src = _gensim_test_data(name)
    path = _without_repeated_pairs(src, tmp_path / name)
    kv = _keyed_vectors(trained, np.float64)  # the same numbers; gensim then computes in float64 too
    g_pearson, g_spearman, g_oov = kv.evaluate_word_pairs(str(path), restrict_vocab=restrict_vocab or len(trained))
    r = evaluate_similarity(trained, path, restrict_vocab=restrict_vocab)
    assert r.n_pairs > 50 and r.n_oov > 0
    assert r.spearman == pytest.approx(g_spearman[0], abs=1e-9)
    assert r.pearson == pytest.approx(g_pearson[0], abs=1e-9)
    assert r.spearman_pvalue == pytest.approx(g_spearman[1], rel=1e-6)
    assert 100 * r.oov_ratio == pytest.approx(g_oov, abs=1e-12)
    assert r.n_oov / (r.n_pairs + r.n_oov) == r.oov_ratio
    # Against gensim's default float32 arithmetic, and on the unfiltered file, agreement is to
    # float32 rounding.
    g32 = _keyed_vectors(trained, np.float32).evaluate_word_pairs(str(src), restrict_vocab=restrict_vocab or len(trained))
    r_full = evaluate_similarity(trained, src, restrict_vocab=restrict_vocab)
    assert r_full.pearson == pytest.approx(g32[0][0], abs=1e-6)
    assert r_full.spearman == pytest.approx(g32[1][0], abs=1e-4)


def test_similarity_agrees_with_gensim_on_random_vectors_and_cases(tmp_path):
    path = _without_repeated_pairs(_gensim_test_data("wordsim353.tsv"), tmp_path / "ws.tsv")
    words = sorted({w.lower() for p in read_similarity(path) for w in (p.word1, p.word2)})
    rng = np.random.default_rng(5)
    rng.shuffle(words)
    keep = words[: int(0.8 * len(words))]
    keys = keep + [w.upper() for w in keep[:50]]  # upper-case duplicates come later: ignored when folding
    emb = Embedding(keys, rng.standard_normal((len(keys), 40)).astype(np.float32))
    kv = _keyed_vectors(emb)
    for ci in (True, False):
        g = kv.evaluate_word_pairs(str(path), restrict_vocab=len(emb), case_insensitive=ci)
        r = evaluate_similarity(emb, path, case_insensitive=ci)
        assert r.spearman == pytest.approx(g[1][0], abs=1e-9)
        assert r.pearson == pytest.approx(g[0][0], abs=1e-9)
        assert 100 * r.oov_ratio == pytest.approx(g[2], abs=1e-12)


def test_similarity_case_folding_and_symmetry():
    emb = toy_embedding()
    pairs = [("King", "QUEEN", 9.0), ("man", "woman", 7.0), ("good", "bad", 1.0), ("queen", "king", 8.0), ("x", "man", 3.0)]
    r = evaluate_similarity(emb, pairs)
    assert (r.n_pairs, r.n_oov) == (4, 1) and r.oov_ratio == 0.2
    # ours is exactly symmetric: king/queen and queen/king get the same cosine
    c = float(emb.unit[emb.index("king")] @ emb.unit[emb.index("queen")])
    r2 = evaluate_similarity(emb, pairs, case_insensitive=False)
    assert (r2.n_pairs, r2.n_oov) == (3, 2)
    from scipy import stats

    cos = [c, float(emb.unit[0] @ emb.unit[1]), float(emb.unit[8] @ emb.unit[10]), c]
    assert r.spearman == pytest.approx(stats.spearmanr([9, 7, 1, 8], cos)[0], abs=1e-12)
    assert r.pearson == pytest.approx(stats.pearsonr([9, 7, 1, 8], cos)[0], abs=1e-6)


def test_similarity_with_too_few_pairs_is_nan():
    emb = toy_embedding()
    r = evaluate_similarity(emb, [("x", "y", 1.0), ("man", "woman", 2.0)])
    assert r.n_pairs == 1 and r.n_oov == 1 and math.isnan(r.spearman) and math.isnan(r.pearson)
    r = evaluate_similarity(emb, [])
    assert r.n_pairs == 0 and r.oov_ratio == 0.0 and math.isnan(r.spearman)


def test_similarity_restrict_vocab():
    emb = toy_embedding()
    pairs = [("man", "woman", 1.0), ("king", "queen", 2.0), ("france", "paris", 3.0)]
    r = evaluate_similarity(emb, pairs, restrict_vocab=4)
    assert (r.n_pairs, r.n_oov) == (2, 1)


# ====================================================================== bundled sample files
def test_sample_corpus_shape(sample_sentences):
    assert SAMPLE_CORPUS.stat().st_size < 8_000_000
    n_tokens = sum(len(s) for s in sample_sentences)
    assert 1_500_000 <= n_tokens <= 3_000_000
    token = re.compile(r"[a-z]+\Z")
    for s in sample_sentences[::997]:
        assert len(s) >= 3 and all(token.match(t) for t in s)
    counts = Counter(t for s in sample_sentences for t in s)
    for word in ("war", "peace", "president", "economy", "america", "congress", "january", "million"):
        assert counts[word] >= 100, word


def test_sample_questions_are_the_answerable_subset(sample_sentences):
    full = read_analogies(QUESTIONS)
    sample = read_analogies(SAMPLE_QUESTIONS)
    counts = Counter(t for s in sample_sentences for t in s)
    answerable = {
        sec.name: [q for q in sec.questions if all(counts[w.lower()] >= 5 for w in q)] for sec in full
    }
    assert {s.name: s.questions for s in sample} == {k: v for k, v in answerable.items() if v}
    assert len(sample) == 14
    assert 3000 <= sum(len(s) for s in sample) <= 19544


def test_resources_readme_lists_every_file():
    root = resource()
    readme = (root / "README.md").read_text(encoding="utf-8")
    for p in root.rglob("*"):
        if p.is_file() and p.name != "README.md":
            assert p.relative_to(root).as_posix() in readme, p
