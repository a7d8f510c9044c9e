"""The one error type every reader raises for a bad file (on the ground floor: storage, vectors and
the model files raise it as the readers in `data/` do)."""

from __future__ import annotations

import os


class DataFormatError(ValueError):
    """A file could not be read as the format it claims to be.

    ``line`` is 1-based (the line of a text file, or the record number of a binary one);
    ``None`` when the problem is the file as a whole (empty, unreadable, missing).
    """

    def __init__(self, path: str | os.PathLike, line: int | None, reason: str):
        self.path = os.fspath(path)
        self.line = line
        self.reason = reason
        where = self.path if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {reason}")
