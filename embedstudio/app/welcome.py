"""The welcome page: what the app does and the bundled samples, each one click away."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

SAMPLES = (
    ("corpus", "Train word2vec on a corpus",
     "State of the Union addresses, 2 million words. Trains skip-gram and shows the map forming."),
    ("hierarchy", "Poincaré embedding of a hierarchy",
     "The WordNet mammal hierarchy (1,180 nodes). Trains and shows the Poincaré disk."),
    ("graph", "Graph embedding with relations",
     "WordNet relations around the mammals. Trains in the PyTorch-BigGraph manner and predicts links."),
    ("tags", "Tag documents with StarSpace (TagSpace)",
     "2,400 paragraphs of the State of the Union addresses, each labelled with its decade (1790s–2020s). "
     "Trains TagSpace and scores its guesses on held-out paragraphs."),
    ("vectors", "Audit vectors for bias",
     "Word vectors of the State of the Union corpus. Runs the gender audit: direction, WEAT, debiasing."),
)

SAMPLE_FILES = {  # a sample's file under resources/sample/, and the kind to open it as (None: sniffed)
    "corpus": ("sotu.txt.gz", None), "hierarchy": ("mammal_closure.tsv", "hierarchy"),
    "graph": ("mammal_relations.tsv", None), "vectors": ("sotu-vectors.vec.gz", None),
    "tags": ("sotu-decades.fasttext.gz", "labelled"),
}


class WelcomePage(QWidget):
    sample_requested = Signal(str)  # a SAMPLES key

    def __init__(self, parent=None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 24)
        title = QLabel("<h2>Welcome to EmbedStudio</h2>"
                       "<p>Drop a text corpus, an edge list, labelled documents or a vectors file anywhere on "
                       "this window (or use File ▸ Open) to train embeddings, watch them form, and explore "
                       "and audit them. Or start with a bundled sample:</p>")
        title.setWordWrap(True)
        title.setTextFormat(Qt.TextFormat.RichText)
        outer.addWidget(title)
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(12)
        self.buttons: dict[str, QPushButton] = {}
        for row, (key, name, text) in enumerate(SAMPLES):
            button = QPushButton(name)
            button.setMinimumWidth(260)
            button.setMinimumHeight(36)
            button.clicked.connect(lambda _checked=False, k=key: self.sample_requested.emit(k))
            note = QLabel(text)
            note.setWordWrap(True)
            grid.addWidget(button, row, 0)
            grid.addWidget(note, row, 1)
            self.buttons[key] = button
        grid.setColumnStretch(1, 1)
        outer.addLayout(grid)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        outer.addStretch(1)
