"""Fixtures for the data-layer tests: an isolated corpus cache and small embeddings."""

from __future__ import annotations

import os

import numpy as np
import pytest

from embedstudio.data.errors import DataFormatError
from embedstudio.vectors import Embedding

BIG_LINE_BYTES = 100 * 1024 * 1024  # "a 100 MB line"


_SUMMARY = pytest.StashKey[list]()


@pytest.fixture
def summary_line(request):
    """``summary_line(section, text)``: a line for the run's closing summary, which the CI log shows even for a
    test that passes (pytest shows a passing test's prints only with -rA)."""
    lines = request.config.stash.setdefault(_SUMMARY, [])
    return lambda section, text: lines.append((section, text))


def pytest_terminal_summary(terminalreporter, config):
    sections: dict[str, list[str]] = {}
    for section, text in config.stash.get(_SUMMARY, []):
        sections.setdefault(section, []).append(text)
    for section, lines in sections.items():
        terminalreporter.section(section)
        for text in lines:
            terminalreporter.write_line(text)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Never touch the user's ~/.cache: every test gets its own EMBEDSTUDIO_CACHE."""
    monkeypatch.setenv("EMBEDSTUDIO_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def small_embedding() -> Embedding:
    rng = np.random.default_rng(7)
    keys = ["the", "cat", "café", "Ελλάδα", "東京", "हिन्दी", "don't", "x_1"]
    vectors = rng.standard_normal((len(keys), 5)).astype(np.float32)
    vectors[0, 0] = np.float32(1e-40)  # a subnormal
    vectors[1, 1] = np.finfo(np.float32).max
    vectors[2, 2] = -0.0
    return Embedding(keys, vectors)


def write_with_big_line(path, before: bytes, after: bytes = b"\n", size: int = BIG_LINE_BYTES, fill: bytes = b"7"):
    """Write ``before`` + a ``size``-byte run of ``fill`` (no newline in it) + ``after``, in 1 MiB pieces."""
    piece = fill * (1 << 20)
    with open(path, "wb") as f:
        f.write(before)
        left = size
        while left > 0:
            f.write(piece[: min(left, len(piece))])
            left -= len(piece)
        f.write(after)
    return os.fspath(path)


@pytest.fixture
def big_line_writer():
    return write_with_big_line


def expect_data_error(read, path, line, *words, error_path=None, exact_path=False, **kwargs) -> DataFormatError:
    """``read(path, **kwargs)`` fails with a DataFormatError naming the file (``error_path`` if
    given; with ``exact_path`` as its .path, otherwise within the message, as a folder's file is),
    the 1-based line, and each of ``words``."""
    with pytest.raises(DataFormatError) as info:
        read(path, **kwargs)
    err = info.value
    assert err.line == line, str(err)
    if exact_path:
        assert err.path == str(error_path or path)
    assert str(error_path or path) in str(err)
    for w in words:
        assert w in str(err), str(err)
    return err
