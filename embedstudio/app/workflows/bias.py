"""The bias audit: a direction from word pairs or sets, WEAT, debiasing with before and after, and
an exportable report."""

from __future__ import annotations

import weakref

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from embedstudio.app.docks.bias import BiasPanel
from embedstudio.app.views.bias_view import BiasView
from embedstudio.app.workflows.base import RIGHT, Workflow


VIEW = "Bias audit"  # the view's tab title


class BiasWorkflow(Workflow):
    name = "bias"
    menu_rank = 20  # Tools: Evaluate, Bias audit, Link prediction, Extrinsic
    sample = "vectors"

    def __init__(self, shell):
        super().__init__(shell)
        self.panel = BiasPanel()
        self.view = BiasView()  # the plot and the ranked words: a tab beside the map
        self.result = None  # (AuditResult, Preset) of the last audit
        self.audited: str | None = None  # the name of the embedding it audited
        self._audited_embedding = None
        self.session.subscribe(self._on_session)
        self.panel.audit_requested.connect(self.run_audit)
        self.panel.export_requested.connect(self._ask_report)
        self.view.export_requested.connect(lambda: self.shell.exports.image_dialog(self.view.plot, "bias plot"))

    def docks(self):
        return [("Bias", self.panel, RIGHT)]

    def views(self):
        return [(VIEW, self.view)]

    def actions(self):
        return [("Tools", "&Bias audit…", self.show_panel)]

    def show_panel(self) -> None:
        """The Bias panel's controls in front, and the view of the words on the direction."""
        shell = self.shell
        shell.raise_dock("Bias")
        shell.resizeDocks([shell.docks["Bias"], shell.docks["Loss"]], [shell.height() - 200, 100],
                          Qt.Orientation.Vertical)
        shell.show_view(VIEW)

    def run_audit(self) -> None:
        """The Audit button: on the worker (WEAT permutations, clustering); the result comes back to the panel,
        the debiased vectors become a new embedding of the session (the original stays)."""
        refusal = self.session.unsuitable("words", "the bias audit")
        if refusal or self.shell.runs.running:
            self.shell.show_error(refusal or "Training is running: audit once it has finished")
            return
        emb = self.session.embedding
        from embedstudio.jobs.stage import audit_job

        name, panel = self.session.current, self.panel
        preset = panel.current_preset()
        panel.summary.setText("auditing…")
        panel.audit.setEnabled(False)  # one audit at a time: back on when it ends
        self.shell.worker.start("bias audit", audit_job, emb, preset, debias=panel.debias.currentText(),
                                y_axis=panel.y_axis_words(), strictness=panel.strictness.value(),
                                vectors_path=next((d.path for d in self.session.datasets if d.data is emb), None),
                                on_finished=lambda out: self._audited(out, name, preset),
                                on_failed=lambda message, _detail: (panel.audit.setEnabled(True),
                                                                    self.shell.show_error(message)),
                                on_progress=lambda stage: panel.summary.setText(stage.text + "…"),
                                cancel_with=self.cancel)

    def cancel(self) -> None:
        self.shell.worker.cancel(wait=0)
        self.panel.summary.setText("audit cancelled")
        self.panel.audit.setEnabled(True)

    def _on_session(self, event: str) -> None:
        if event not in ("current", "embeddings"):
            return
        audited = self._audited_embedding() if self._audited_embedding is not None else None
        renamed = next((n for n, e in self.session.embeddings.items() if e is audited), None)
        if renamed is not None:  # the audited embedding under its (maybe new) name
            self.audited = renamed
        self.panel.show_subject(self.audited, self.session.current)
        self.view.set_stale(self.panel.stale)

    def _audited(self, out, name, preset) -> None:
        self.panel.audit.setEnabled(True)
        result, debiased = out
        self.result = (result, preset)
        audited = self.session.embeddings.get(name)
        self.audited, self._audited_embedding = name, (weakref.ref(audited) if audited is not None else None)
        self.panel.show_result(result)
        self.view.show_result(result, name)
        if debiased is not None:
            self.session.add_embedding(f"{name} · {result.debias} debiased", debiased, make_current=False,
                                       origin={"from": "derived", "source": name,
                                               "how": f"{result.debias} debiased ({preset.name})"})
        self.panel.show_subject(name, self.session.current)
        self.view.set_stale(False)
        self.show_panel()

    def run_sample(self, dataset) -> None:
        self.show_panel()
        self.run_audit()

    def _ask_report(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.shell, "Export the audit report", "audit.html", "HTML (*.html)")
        if path:
            self.export_report(path)

    def export_report(self, path: str) -> None:
        from embedstudio.analysis.audit import write_report

        if self.result is None:
            return
        result, preset = self.result
        try:
            write_report(result, preset, path)
        except OSError as e:
            self.shell.show_error(f"{path}: {e.strerror or e}")
            return
        self.shell.statusBar().showMessage(f"wrote {path} and its .json")

    def save_state(self, view):
        view["bias"] = self.panel.state()  # edited lists travel with the session
        return None

    def restore_state(self, view, _files) -> None:
        self.panel.restore(view.get("bias"))
