"""Where the bundled sample data lives: the repository's `resources/`, or the frozen bundle's copy."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    candidates = []
    if os.environ.get("EMBEDSTUDIO_RESOURCES"):
        candidates.append(Path(os.environ["EMBEDSTUDIO_RESOURCES"]))
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        candidates.append(Path(sys._MEIPASS) / "resources")
    candidates.append(Path(__file__).resolve().parent.parent / "resources")
    for c in candidates:
        if c.is_dir():
            return c
    raise FileNotFoundError(
        "EmbedStudio's resources/ folder was not found (looked in: "
        + ", ".join(str(c) for c in candidates)
        + "); install from the source tree with `pip install -e .`, or set EMBEDSTUDIO_RESOURCES"
    )


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
