import os
import tempfile

# GUI tests draw offscreen; corpus caches go to a throw-away folder, not the user's cache.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("EMBEDSTUDIO_CACHE", tempfile.mkdtemp(prefix="embedstudio-test-cache-"))


import pytest  # noqa: E402


@pytest.fixture
def topic_file(tmp_path):
    """A small text corpus of 1,500 twelve-word sentences; the words of each of 4 topics share contexts."""
    from tests.train.conftest import topic_sentences

    sentences, _ = topic_sentences(1500, seed=4)
    path = tmp_path / "topics.txt"
    path.write_text("\n".join(" ".join(f"w{i}" for i in s) for s in sentences) + "\n")
    return path
