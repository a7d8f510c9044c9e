"""Intrinsic evaluation of the current embedding: the bundled Google analogies and any word-similarity
files, in a table."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QFileDialog

from embedstudio.app.workflows.base import Workflow


def evaluation_job(embedding, similarity_files, restrict_vocab: int):
    """Job: analogy accuracy on the bundled questions and Spearman's ρ on each similarity file, reporting
    each step."""
    from embedstudio.analysis.evaluate import evaluate_analogies, evaluate_similarity
    from embedstudio.jobs.stage import Stage, staged
    from embedstudio.resources import resource

    steps = 1 + len(similarity_files)

    def work(report):
        report(Stage(f"evaluation: the Google analogies on the {restrict_vocab:,} most frequent words", 0.0))
        analogy = evaluate_analogies(embedding, str(resource("eval", "questions-words.txt")),
                                     restrict_vocab=restrict_vocab)
        sims = []
        for i, path in enumerate(similarity_files, 1):
            report(Stage(f"evaluation: {os.path.basename(path)}", i / steps))
            sims.append((os.path.basename(path), evaluate_similarity(embedding, path)))
        return analogy, sims
    return (yield from staged(work))


class EvaluationWorkflow(Workflow):
    name = "evaluation"
    menu_rank = 10  # Tools: Evaluate, Bias audit, Link prediction, Extrinsic

    def __init__(self, shell):
        super().__init__(shell)
        self.last = None  # (analogy result, [(file name, similarity result)]) of the last evaluation
        self.last_name = None  # the embedding it evaluated
        self.dialog = None

    def actions(self):
        return [("Tools", "&Evaluate (analogies)", lambda: self.evaluate()),
                ("Tools", "Evaluate with a &similarity file…", self._dialog)]

    def _dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self.shell, "Word-similarity files (WordSim353, SimLex-999 style)")
        if paths:
            self.evaluate(paths)

    def evaluate(self, similarity_files: list[str] = (), restrict_vocab: int = 30000) -> None:
        """Bundled Google analogies plus any similarity files, on the worker; results in a table."""
        refusal = self.session.unsuitable("words", "analogies and word similarities")
        if refusal:  # never run on something else than the current embedding
            self.shell.show_error(refusal)
            return
        emb, name = self.session.embedding, self.session.current
        self.shell.statusBar().showMessage(f"evaluating {name}…")
        self.shell.worker.start("evaluation", evaluation_job, emb, list(similarity_files), restrict_vocab,
                                on_finished=lambda result: self._show(result, name),
                                on_failed=lambda message, _d: self.shell.show_error(message))

    def _show(self, result, name: str) -> None:
        from embedstudio.app.docks.evaluation import EvaluationDialog, evaluation_rows

        analogy, sims = result
        self.last = result
        self.last_name = name
        self.dialog = EvaluationDialog(name, evaluation_rows(analogy, sims), self.shell)
        self.dialog.show()
        self.shell.statusBar().showMessage(f"{name}: analogy accuracy {100 * analogy.accuracy:.1f}% "
                                           f"({100 * analogy.coverage:.0f}% of questions answerable)")
