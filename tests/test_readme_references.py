"""The README names the test that holds each promise it makes: every named test must exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_the_readme_names_exists():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    named = [(path.removeprefix("tests/"), name) for path, name in re.findall(r"`([\w/]+\.py)::(\w+)`", text)]
    assert len(named) > 10
    missing = [f"{path}::{name}" for path, name in named
               if not (ROOT / "tests" / path).is_file()
               or not re.search(rf"^def {name}\(", (ROOT / "tests" / path).read_text(encoding="utf-8"), re.M)]
    assert not missing, f"the README names tests that do not exist: {missing}"
