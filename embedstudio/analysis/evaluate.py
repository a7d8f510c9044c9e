"""Intrinsic benchmarks for an :class:`~embedstudio.vectors.Embedding`: word analogies and word-pair
similarity, computed the way gensim's ``KeyedVectors.evaluate_word_analogies`` and
``evaluate_word_pairs`` compute them (the tests check both agree with gensim on the same vectors).

Analogies (Mikolov et al. 2013, Google's ``questions-words.txt``)
    ``: section-name`` lines start a section, the other lines are questions ``a b c d`` meaning
    "a is to b as c is to d". Sections whose name starts with ``gram`` are syntactic, the rest
    semantic (as in word2vec's ``compute-accuracy``). A question is *answered* when its four words
    are all among the first ``restrict_vocab`` keys; otherwise it is *skipped* (counted, not scored).
    The prediction is the best key among the first ``restrict_vocab`` by 3CosAdd (or 3CosMul), the
    three question words left out. Accuracy is over answered questions; coverage is answered / all.

Word-pair similarity (WordSim353, SimLex-999, MEN, ...)
    Spearman and Pearson correlation between the gold scores and the cosine similarities of the
    pairs whose two words are both in the vocabulary; the other pairs are counted as OOV.

Case handling (``case_insensitive=True``, the default, as in gensim)
    Keys and test words are folded with ``str.lower()``. When several keys fold to the same word
    ("Paris", "paris"), the first one -- the most frequent, in a frequency-sorted vocabulary -- stands
    for it. A predicted key that folds to one of the question words is not an answer (the next best
    is taken), and a prediction is correct when it folds to the expected word. This is gensim's rule
    except that gensim folds with ``str.upper()``; the two differ only for a handful of non-ASCII
    letters (e.g. "ß" upper-cases to "SS"). With ``case_insensitive=False`` words must match exactly.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple, Sequence

import numpy as np

from embedstudio.data.errors import DataFormatError
from embedstudio.vectors import ANALOGY_METHODS, Embedding, analogy_scores

__all__ = [
    "Section",
    "SectionScore",
    "AnalogyResult",
    "WordPair",
    "SimilarityResult",
    "read_analogies",
    "evaluate_analogies",
    "read_similarity",
    "evaluate_similarity",
]

# ====================================================================== reading text files
MAX_LINE_BYTES = 1 << 20  # an analogy or similarity line holds a few words


def _read_lines(path: str | os.PathLike) -> list[str]:
    """All lines of a UTF-8 text file (gzip or bzip2 compressed, by its magic bytes), read in bounded lines."""
    from embedstudio.data.sniff import LineReader, binary_reason, read_head

    path = os.fspath(path)
    reason = binary_reason(read_head(path, 4096)[0])
    if reason is not None:
        raise DataFormatError(path, 1, reason)
    out = []
    with LineReader(path, MAX_LINE_BYTES) as reader:
        for raw in reader:
            try:
                out.append(raw.decode("utf-8"))
            except UnicodeDecodeError as e:
                raise DataFormatError(path, reader.line_no, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    if not any(line.strip() for line in out):
        raise DataFormatError(path, 1, "the file is empty" if not out else "the file holds only blank lines")
    return out


# ====================================================================== analogies: reading
@dataclass
class Section:
    """One ``: name`` block of an analogy file."""

    name: str
    questions: list[tuple[str, str, str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list, repr=False)  # 1-based line of each question
    header_line: int | None = None

    @property
    def kind(self) -> str:
        return "syntactic" if self.name.startswith("gram") else "semantic"

    @property
    def is_syntactic(self) -> bool:
        return self.kind == "syntactic"

    def __len__(self) -> int:
        return len(self.questions)


def read_analogies(path: str | os.PathLike) -> list[Section]:
    """Read a Google-format analogy file into sections.

    Blank lines and lines starting with ``#`` are ignored. A question line must have exactly four
    whitespace-separated words and come after a section header; anything else raises
    :class:`DataFormatError` with the 1-based line number.
    """
    sections: list[Section] = []
    current: Section | None = None
    n_questions = 0
    for no, line in enumerate(_read_lines(path), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith(":"):
            name = stripped[1:].strip()
            if not name:
                raise DataFormatError(path, no, "section header ':' without a name")
            current = Section(name, header_line=no)
            sections.append(current)
            continue
        words = stripped.split()
        if len(words) != 4:
            raise DataFormatError(
                path, no, f"an analogy question has 4 words (a b c d), this line has {len(words)}: {stripped[:60]!r}"
            )
        if current is None:
            raise DataFormatError(path, no, "question before the first ': section' header")
        current.questions.append((words[0], words[1], words[2], words[3]))
        current.lines.append(no)
        n_questions += 1
    if n_questions == 0:
        raise DataFormatError(path, None, "no analogy questions found (expected ': section' lines and 'a b c d' lines)")
    return sections


# ====================================================================== analogies: scoring
@dataclass(frozen=True)
class SectionScore:
    name: str
    kind: str  # "semantic" or "syntactic"
    correct: int
    total: int  # answered questions (all four words in the restricted vocabulary)
    questions: int  # all questions of the section, answered or skipped
    # (a, b, c, expected, predicted) for each wrong answer, words as in the file
    mistakes: tuple[tuple[str, str, str, str, str], ...] = field(default=(), repr=False, compare=False)

    @property
    def skipped(self) -> int:
        return self.questions - self.total

    @property
    def accuracy(self) -> float:
        """Correct / answered; 0.0 when nothing was answered (as gensim reports it)."""
        return self.correct / self.total if self.total else 0.0


def _acc(correct: int, total: int) -> float:
    return correct / total if total else 0.0


@dataclass(frozen=True)
class AnalogyResult:
    sections: tuple[SectionScore, ...]
    method: str
    restrict_vocab: int | None
    case_insensitive: bool

    # ---------------------------------------------------------------- totals
    @property
    def correct(self) -> int:
        return sum(s.correct for s in self.sections)

    @property
    def total(self) -> int:
        """Answered questions."""
        return sum(s.total for s in self.sections)

    @property
    def questions(self) -> int:
        """All questions, answered or skipped."""
        return sum(s.questions for s in self.sections)

    @property
    def skipped(self) -> int:
        return self.questions - self.total

    @property
    def accuracy(self) -> float:
        """Overall accuracy over answered questions (gensim's "Total accuracy")."""
        return _acc(self.correct, self.total)

    @property
    def coverage(self) -> float:
        """Answered / all questions."""
        return self.total / self.questions if self.questions else 0.0

    def _kind(self, kind: str) -> tuple[int, int]:
        picked = [s for s in self.sections if s.kind == kind]
        return sum(s.correct for s in picked), sum(s.total for s in picked)

    @property
    def semantic_accuracy(self) -> float:
        return _acc(*self._kind("semantic"))

    @property
    def syntactic_accuracy(self) -> float:
        return _acc(*self._kind("syntactic"))

    def as_dict(self) -> dict:
        """Plain numbers (JSON-able) for reports and the CLI."""
        return {
            "method": self.method,
            "restrict_vocab": self.restrict_vocab,
            "case_insensitive": self.case_insensitive,
            "accuracy": self.accuracy,
            "semantic_accuracy": self.semantic_accuracy,
            "syntactic_accuracy": self.syntactic_accuracy,
            "correct": self.correct,
            "answered": self.total,
            "questions": self.questions,
            "coverage": self.coverage,
            "sections": [
                {"name": s.name, "kind": s.kind, "correct": s.correct, "answered": s.total, "questions": s.questions}
                for s in self.sections
            ],
        }

    def table(self) -> str:
        """A fixed-width text table: one row per section, then semantic, syntactic and total."""
        width = max([len("section")] + [len(s.name) for s in self.sections] + [len("syntactic")])
        head = f"{'section':<{width}}  {'accuracy':>8}  {'correct':>7}  {'answered':>8}  {'skipped':>7}"
        rows = [head, "-" * len(head)]

        def row(name: str, correct: int, total: int, questions: int) -> str:
            return f"{name:<{width}}  {100 * _acc(correct, total):7.1f}%  {correct:7d}  {total:8d}  {questions - total:7d}"

        for s in self.sections:
            rows.append(row(s.name, s.correct, s.total, s.questions))
        rows.append("-" * len(head))
        for kind in ("semantic", "syntactic"):
            picked = [s for s in self.sections if s.kind == kind]
            rows.append(row(kind, sum(s.correct for s in picked), sum(s.total for s in picked),
                            sum(s.questions for s in picked)))
        rows.append(row("total", self.correct, self.total, self.questions))
        vocab = "all keys" if self.restrict_vocab is None else f"first {self.restrict_vocab:,} keys"
        rows.append(
            f"coverage {100 * self.coverage:.1f}% ({self.total:,} of {self.questions:,} questions answered; "
            f"{self.method}, {vocab}{', case-insensitive' if self.case_insensitive else ''})"
        )
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.table()


class _Vocab:
    """The first ``limit`` keys, looked up exactly or case-folded (first occurrence wins)."""

    def __init__(self, embedding: Embedding, restrict_vocab: int | None, case_insensitive: bool):
        n = len(embedding)
        self.limit = n if restrict_vocab is None else max(0, min(int(restrict_vocab), n))
        self.fold = str.lower if case_insensitive else (lambda s: s)
        keys = embedding.keys[: self.limit]
        self.folded_keys = [self.fold(k) for k in keys] if case_insensitive else keys
        self.index: dict[str, int] = {}
        variants: dict[str, list[int]] = {}
        for i, k in enumerate(self.folded_keys):
            if k in self.index:
                variants.setdefault(k, [self.index[k]]).append(i)
            else:
                self.index[k] = i
        # Rows sharing a folded spelling (or a duplicated key); usually empty.
        self.variants = variants

    def rows_of(self, folded: str) -> list[int]:
        return self.variants.get(folded) or [self.index[folded]]


def evaluate_analogies(
    embedding: Embedding,
    path_or_sections: str | os.PathLike | Sequence[Section],
    restrict_vocab: int | None = 30000,
    method: str = "3cosadd",
    case_insensitive: bool = True,
) -> AnalogyResult:
    """Score an embedding on analogy questions (see the module docstring for the rules).

    ``path_or_sections`` is a file for :func:`read_analogies` or its result. ``restrict_vocab=None``
    uses every key. Vectorised: the Google set (19,544 questions) at 30k keys takes a few seconds.
    """
    if method not in ANALOGY_METHODS:
        raise ValueError(f"unknown analogy method {method!r}; known: {', '.join(ANALOGY_METHODS)}")
    if isinstance(path_or_sections, (str, os.PathLike)):
        sections = read_analogies(path_or_sections)
    else:
        sections = list(path_or_sections)
    vocab = _Vocab(embedding, restrict_vocab, case_insensitive)
    fold, index = vocab.fold, vocab.index

    # Gather every answerable question into flat row arrays.
    rows: list[tuple[int, int, int, int]] = []
    owner: list[tuple[int, int]] = []  # (section number, question number) of each gathered question
    for si, sec in enumerate(sections):
        for qi, q in enumerate(sec.questions):
            f = [fold(w) for w in q]
            if all(w in index for w in f):
                rows.append((index[f[0]], index[f[1]], index[f[2]], index[f[3]]))
                owner.append((si, qi))
    if rows:
        arr = np.asarray(rows, dtype=np.int64)
        predicted = embedding.analogy_batch(arr[:, 0], arr[:, 1], arr[:, 2], method=method, restrict_vocab=vocab.limit)
        if vocab.variants:
            predicted = _exclude_variants(embedding, vocab, arr, predicted, method)
    else:
        arr = np.empty((0, 4), dtype=np.int64)
        predicted = np.empty(0, dtype=np.int64)

    correct = [0] * len(sections)
    answered = [0] * len(sections)
    mistakes: list[list[tuple[str, str, str, str, str]]] = [[] for _ in sections]
    folded_keys = vocab.folded_keys
    for (si, qi), q_rows, p in zip(owner, arr, predicted):
        answered[si] += 1
        if folded_keys[p] == folded_keys[q_rows[3]]:
            correct[si] += 1
        else:
            mistakes[si].append((*sections[si].questions[qi], embedding.keys[p]))
    scores = tuple(
        SectionScore(sec.name, sec.kind, correct[si], answered[si], len(sec.questions), tuple(mistakes[si]))
        for si, sec in enumerate(sections)
    )
    return AnalogyResult(scores, method, None if restrict_vocab is None else vocab.limit, case_insensitive)


def _exclude_variants(embedding: Embedding, vocab: _Vocab, arr: np.ndarray, predicted: np.ndarray, method: str) -> np.ndarray:
    """Re-answer questions whose prediction is another spelling of a question word (gensim's rule)."""
    fk = vocab.folded_keys
    unit = embedding.unit_rows(slice(0, vocab.limit))
    predicted = predicted.copy()
    for n, (a, b, c, _d) in enumerate(arr):
        if fk[predicted[n]] not in (fk[a], fk[b], fk[c]):
            continue
        qa, qb, qc = (embedding.unit_rows([r]) for r in (a, b, c))
        scores = analogy_scores(unit, qa, qb, qc, method)[0]
        for r in (a, b, c):
            scores[vocab.rows_of(fk[r])] = -np.inf
        predicted[n] = int(np.argmax(scores))
    return predicted


# ====================================================================== similarity: reading
class WordPair(NamedTuple):
    word1: str
    word2: str
    score: float
    line: int  # 1-based line in the file


# Header names of the gold-score column in known files, most specific first (compared lower-cased).
_SCORE_NAMES = ("simlex999", "human (mean)", "similarity", "score", "sim", "relatedness", "mean", "gold")


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return [f.strip() for f in line.split(delimiter)]


def _number(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def read_similarity(path: str | os.PathLike, score_column: str | int | None = None) -> list[WordPair]:
    """Read a word-pair similarity file, sniffing its layout.

    Lines starting with ``#`` and blank lines are skipped. Fields are tab-separated if the first
    data line has a tab, else comma-separated if it has a comma, else whitespace-separated. The
    first two fields are the words. A first line with no number after the two words is a header.
    The gold score is ``score_column`` (a 0-based index, or a header name), else a known header
    name (``SimLex999``, ``Human (mean)``, ``similarity``, ``score``, ...), else the first numeric
    column after the two words -- the third column of gensim's ``wordsim353.tsv`` and
    ``simlex999.txt``, ``SimLex999`` (the fourth) of the original ``SimLex-999.txt``.
    """
    lines = _read_lines(path)
    data = [(no, ln.rstrip("\r")) for no, ln in enumerate(lines, 1) if ln.strip() and not ln.lstrip().startswith("#")]
    if not data:
        raise DataFormatError(path, None, "no word pairs found (empty file, or only comments)")
    first_no, first = data[0]
    delimiter = "\t" if "\t" in first else ("," if "," in first else None)
    fields = _split(first, delimiter)
    header: list[str] | None = None
    if len(fields) >= 3 and all(_number(f) is None for f in fields[2:]):
        header = fields
        data = data[1:]
        if not data:
            raise DataFormatError(path, None, "a header line but no word pairs")
    elif len(fields) < 3:
        raise DataFormatError(path, first_no, f"expected 'word1 word2 score', found {len(fields)} field(s)")

    col = _score_column(path, header, _split(data[0][1], delimiter), score_column, data[0][0])
    pairs: list[WordPair] = []
    for no, line in data:
        f = _split(line, delimiter)
        if len(f) <= col:
            raise DataFormatError(path, no, f"expected at least {col + 1} fields, found {len(f)}")
        if not f[0] or not f[1]:
            raise DataFormatError(path, no, "empty word")
        score = _number(f[col])
        if score is None:
            raise DataFormatError(path, no, f"score {f[col]!r} (column {col + 1}) is not a number")
        pairs.append(WordPair(f[0], f[1], score, no))
    return pairs


def _score_column(path, header, first_row, wanted, first_no) -> int:
    if isinstance(wanted, int):
        if wanted < 2:
            raise ValueError("score_column must come after the two word columns (index >= 2)")
        return wanted
    if wanted is not None:
        if header is None:
            raise DataFormatError(path, None, f"no header line, so there is no column named {wanted!r}")
        names = [h.lower() for h in header]
        if wanted.lower() not in names:
            raise DataFormatError(path, None, f"no column named {wanted!r}; the header has {', '.join(header)}")
        return names.index(wanted.lower())
    if header is not None:
        names = [h.lower() for h in header]
        for n in _SCORE_NAMES:
            if n in names[2:]:
                return names.index(n, 2)
    for i in range(2, len(first_row)):
        if _number(first_row[i]) is not None:
            return i
    raise DataFormatError(path, first_no, "no numeric score column after the two words")


# ====================================================================== similarity: scoring
@dataclass(frozen=True)
class SimilarityResult:
    spearman: float  # Spearman's rho between gold scores and cosine similarities (nan if < 2 pairs)
    pearson: float  # Pearson's r
    n_pairs: int  # pairs scored (both words in the vocabulary)
    n_oov: int  # pairs skipped because a word is missing
    oov_ratio: float  # n_oov / (n_pairs + n_oov), a fraction (gensim reports it in percent)
    spearman_pvalue: float = math.nan
    pearson_pvalue: float = math.nan

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def evaluate_similarity(
    embedding: Embedding,
    path_or_pairs: str | os.PathLike | Iterable[WordPair | tuple],
    restrict_vocab: int | None = None,
    case_insensitive: bool = True,
) -> SimilarityResult:
    """Correlate cosine similarities with a word-pair file's gold scores, as gensim does.

    Pairs with a word outside the first ``restrict_vocab`` keys (all keys if None) are skipped and
    counted in ``n_oov``. Cosines are computed in float64 from the stored vectors.
    """
    from scipy import stats

    if isinstance(path_or_pairs, (str, os.PathLike)):
        pairs = read_similarity(path_or_pairs)
    else:
        pairs = [tuple(p) for p in path_or_pairs]
    vocab = _Vocab(embedding, restrict_vocab, case_insensitive)
    fold, index = vocab.fold, vocab.index
    a_rows, b_rows, gold = [], [], []
    n_oov = 0
    for p in pairs:
        w1, w2, score = fold(p[0]), fold(p[1]), float(p[2])
        if w1 in index and w2 in index:
            a_rows.append(index[w1])
            b_rows.append(index[w2])
            gold.append(score)
        else:
            n_oov += 1
    n = len(gold)
    nan = math.nan
    rho = r = rho_p = r_p = nan
    if n >= 2:
        va = embedding.vectors[a_rows].astype(np.float64)
        vb = embedding.vectors[b_rows].astype(np.float64)
        na = np.linalg.norm(va, axis=1)
        nb = np.linalg.norm(vb, axis=1)
        denom = na * nb
        cos = np.divide((va * vb).sum(axis=1), denom, out=np.zeros(n), where=denom > 0)
        gold_arr = np.asarray(gold, dtype=np.float64)
        with warnings.catch_warnings():
            # A constant column (e.g. all-zero vectors) gives nan with a warning: nan is the answer.
            warnings.simplefilter("ignore")
            s = stats.spearmanr(gold_arr, cos)
            pr = stats.pearsonr(gold_arr, cos)
        rho, rho_p = float(s[0]), float(s[1])
        r, r_p = float(pr[0]), float(pr[1])
    total = n + n_oov
    return SimilarityResult(rho, r, n, n_oov, n_oov / total if total else 0.0, rho_p, r_p)
