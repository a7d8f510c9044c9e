"""The session model: what is loaded and trained. Plain Python with change callbacks (no Qt),
so widgets subscribe to it and own no truth of their own."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable

from embedstudio.vectors import Embedding


@dataclasses.dataclass
class Dataset:
    name: str
    path: str
    kind: str  # "corpus" or a vector format name
    data: Any  # Corpus or Embedding
    stats: dict

    @property
    def is_vectors(self) -> bool:
        return isinstance(self.data, Embedding)


def describe(path: str, kind: str, data) -> Dataset:
    name = os.path.basename(os.path.normpath(path)) or path
    if isinstance(data, Embedding):
        stats = {"vectors": len(data), "dimension": data.dim}
    else:
        stats = {"tokens": int(data.n_tokens), "sentences": int(data.n_sentences),
                 "vocabulary": len(data.vocab.words), "min_count": data.min_count}
    return Dataset(name, path, kind, data, stats)


class Session:
    """Datasets, embeddings and the one the views show. Events: "datasets", "embeddings", "current"."""

    def __init__(self):
        self.datasets: list[Dataset] = []
        self.embeddings: dict[str, Embedding] = {}
        self.current: str | None = None
        self._listeners: list[Callable[[str], None]] = []

    def subscribe(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def _emit(self, event: str) -> None:
        for callback in list(self._listeners):
            callback(event)

    def add_dataset(self, dataset: Dataset) -> None:
        self.datasets = [d for d in self.datasets if d.path != dataset.path] + [dataset]
        self._emit("datasets")
        if dataset.is_vectors:
            self.add_embedding(dataset.name, dataset.data)

    def add_embedding(self, name: str, embedding: Embedding, make_current: bool = True) -> str:
        base, n = name, 2
        while name in self.embeddings and self.embeddings[name] is not embedding:
            name = f"{base} ({n})"
            n += 1
        self.embeddings[name] = embedding
        self._emit("embeddings")
        if make_current:
            self.set_current(name)
        return name

    def set_current(self, name: str | None) -> None:
        if name is not None and name not in self.embeddings:
            raise KeyError(name)
        self.current = name
        self._emit("current")

    @property
    def embedding(self) -> Embedding | None:
        return self.embeddings.get(self.current) if self.current else None

    def corpora(self) -> list[Dataset]:
        return [d for d in self.datasets if not d.is_vectors]
