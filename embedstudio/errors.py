"""The one error type every reader raises for a bad file (on the ground floor: storage, vectors and
the model files raise it as the readers in `data/` do)."""

from __future__ import annotations

import os


class DataFormatError(ValueError):
    """A file could not be read as the format it claims to be.

    ``line`` is 1-based (the line of a text file, or the record number of a binary one); a file that is
    empty, blank or not text at all is a problem at its line 1; ``None`` when no line applies (a missing
    file, a folder, an archive member, a whole-file limit).
    """

    def __init__(self, path: str | os.PathLike, line: int | None, reason: str):
        self.path = os.fspath(path)
        self.line = line
        self.reason = reason
        where = self.path if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {reason}")
