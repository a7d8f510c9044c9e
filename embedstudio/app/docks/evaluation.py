"""The evaluation results table: analogy sections and word-similarity files, one row each."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout


def evaluation_rows(analogy=None, similarities=()) -> list[tuple[str, str, str, str]]:
    """(test, score, detail, coverage) rows for the table."""
    rows = []
    if analogy is not None:
        for s in analogy.sections:
            rows.append((f"analogy · {s.name}", f"{100 * s.accuracy:.1f}%", f"{s.correct}/{s.total}",
                         f"{s.total}/{s.questions}"))
        rows.append(("analogy · semantic", f"{100 * analogy.semantic_accuracy:.1f}%", "", ""))
        rows.append(("analogy · syntactic", f"{100 * analogy.syntactic_accuracy:.1f}%", "", ""))
        rows.append(("analogy · all", f"{100 * analogy.accuracy:.1f}%", f"{analogy.correct}/{analogy.total}",
                     f"{100 * analogy.coverage:.1f}%"))
    for name, r in similarities:
        rows.append((f"similarity · {name}", f"ρ {r.spearman:.3f}", f"Pearson {r.pearson:.3f}",
                     f"{r.n_pairs - r.n_oov}/{r.n_pairs}"))
    return rows


class EvaluationDialog(QDialog):
    def __init__(self, title: str, rows, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Evaluation · {title}")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(title))
        self.table = QTableWidget(len(rows), 4)
        self.table.setHorizontalHeaderLabels(["test", "score", "correct / detail", "answered"])
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table)
        self.resize(620, 520)
