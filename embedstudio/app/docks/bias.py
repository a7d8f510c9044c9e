"""Bias panel: a preset's word lists (editable), one Audit button, and what the audit found in words and
numbers: the direction's explained variance, the measures before/after, and Export report. The neutral
words on the direction are drawn in the Bias audit view (app/views/bias_view.py). Every number comes from
embedstudio.analysis.audit."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from embedstudio.analysis.audit import (
    DEBIAS_METHODS,
    Preset,
    known_presets,
    load_preset,
)
from embedstudio.analysis.bias_figure import number_text, p_text


def _pairs_text(pairs) -> str:
    return "\n".join(f"{a} {b}" for a, b in pairs)


def _parse_pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        parts = line.replace(",", " ").split()
        if len(parts) == 2:
            pairs.append((parts[0], parts[1]))
    return pairs


class BiasPanel(QWidget):
    audit_requested = Signal()  # the window runs the audit on its worker
    export_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.preset: Preset | None = None
        self.result = None
        self.stale = False
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("preset"))
        self.preset_box = QComboBox()
        presets = known_presets()
        self.preset_box.addItems(sorted(presets, key=lambda p: p != "gender"))  # gender first: the usual audit
        row.addWidget(self.preset_box, 1)
        row.addWidget(QLabel("debias"))
        self.debias = QComboBox()
        self.debias.addItems(DEBIAS_METHODS)
        self.debias.setToolTip("hard: neutralise the neutral words and equalise the pairs (Bolukbasi et al. 2016); "
                               "projection: remove the direction from every vector")
        row.addWidget(self.debias)
        row.addWidget(QLabel("c"))
        self.strictness = QDoubleSpinBox()
        self.strictness.setRange(0.0, 10.0)
        self.strictness.setSingleStep(0.5)
        self.strictness.setValue(1.0)
        self.strictness.setToolTip("DirectBias strictness c: mean |cos(w, g)|^c (c = 0 counts any non-zero lean)")
        row.addWidget(self.strictness)
        layout.addLayout(row)
        lists = QTabWidget()
        self.pairs = QPlainTextEdit()
        self.pairs.setToolTip("definitional pairs, one 'a b' per line: the direction is their main component; "
                              "or one line 'a, b, c > d, e, f': the direction from the first set's centroid to "
                              "the second's")
        self.neutral = QPlainTextEdit()
        self.neutral.setToolTip("words that should be neutral (one per line or space-separated)")
        self.equalize = QPlainTextEdit()
        self.equalize.setToolTip("pairs made equidistant from every neutral word by hard debiasing")
        lists.addTab(self.pairs, "pairs")
        lists.addTab(self.neutral, "neutral words")
        lists.addTab(self.equalize, "equalise")
        lists.setMaximumHeight(130)
        layout.addWidget(lists)
        y_row = QHBoxLayout()
        y_row.addWidget(QLabel("y axis"))
        self.y_axis = QLineEdit("")
        self.y_axis.setPlaceholderText("optional second direction, e.g. assistant, junior > manager, senior")
        self.y_axis.setToolTip("low words > high words: the neutral words are also placed on this direction")
        y_row.addWidget(self.y_axis, 1)
        layout.addLayout(y_row)
        buttons = QHBoxLayout()
        self.audit = QPushButton("Audit")
        self.audit.setToolTip("direction, projections, WEAT, debiasing and the checks after it")
        self.export = QPushButton("Export report…")
        self.export.setEnabled(False)
        buttons.addWidget(self.audit)
        buttons.addWidget(self.export)
        layout.addLayout(buttons)
        self.subject = QLabel("")  # the embedding the results are of (and whether they are stale)
        self.subject.setWordWrap(True)
        layout.addWidget(self.subject)
        self.summary = QLabel("Load vectors, pick a preset, press Audit.")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["measure", "before", "after"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # long test names elide, numbers stay
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMinimumHeight(120)
        layout.addWidget(self.table, 1)
        self.preset_box.currentTextChanged.connect(self.use_preset)
        self.audit.clicked.connect(self.audit_requested.emit)
        self.export.clicked.connect(self.export_requested.emit)
        if self.preset_box.count():
            self.use_preset(self.preset_box.currentText())

    def use_preset(self, name: str) -> None:
        self.preset = load_preset(name)
        self.pairs.setPlainText(_pairs_text(self.preset.definitional_pairs))
        self.neutral.setPlainText(" ".join(self.preset.neutral_words))
        self.equalize.setPlainText(_pairs_text(self.preset.equalize_pairs))

    def current_preset(self) -> Preset:
        """The preset as edited in the lists."""
        base = self.preset or load_preset(self.preset_box.currentText())
        text = self.pairs.toPlainText()
        sets = None
        if ">" in text:  # 'a, b > c, d': a direction between two word sets' centroids
            high, _, low = text.partition(">")
            sets = tuple([w.strip() for w in part.replace("\n", ",").split(",") if w.strip()] for part in (high, low))
        return Preset(base.name, base.description, base.sources, [] if sets else _parse_pairs(text),
                      _parse_pairs(self.equalize.toPlainText()), self.neutral.toPlainText().split(), base.weat, sets)

    def state(self) -> dict:
        """The edited lists, for the session file."""
        return {"preset": self.preset_box.currentText(), "debias": self.debias.currentText(),
                "pairs": self.pairs.toPlainText(), "neutral": self.neutral.toPlainText(),
                "equalize": self.equalize.toPlainText(), "y_axis": self.y_axis.text()}

    def restore(self, state) -> None:
        """Lists from a session file (untrusted: only strings are taken, unknown choices ignored)."""
        if not isinstance(state, dict):
            return
        if self.preset_box.findText(str(state.get("preset"))) >= 0:
            self.preset_box.setCurrentText(str(state["preset"]))
        if self.debias.findText(str(state.get("debias"))) >= 0:
            self.debias.setCurrentText(str(state["debias"]))
        for key, widget in (("pairs", self.pairs), ("neutral", self.neutral), ("equalize", self.equalize)):
            if isinstance(state.get(key), str):
                widget.setPlainText(state[key])
        if isinstance(state.get("y_axis"), str):
            self.y_axis.setText(state["y_axis"])

    def y_axis_words(self) -> tuple[list[str], list[str]] | None:
        """The y axis as (low words, high words), or None when it is empty or has no '>'."""
        low, sep, high = self.y_axis.text().partition(">")
        if not sep:
            return None
        words = [[w.strip() for w in part.split(",") if w.strip()] for part in (low, high)]
        return (words[0], words[1]) if all(words) else None

    def show_result(self, result) -> None:
        self.result = result
        self.export.setEnabled(True)
        explained = result.explained_variance
        origin = (f"Direction from {len(result.parameters['definitional_pairs'])} pairs: the first component explains "
                  f"{100 * explained[0]:.0f}% of their variance"
                  + (f" (the next {100 * explained[1]:.0f}%)." if len(explained) > 1 else ".")
                  if result.parameters["definitional_pairs"] else "Direction from the centroids of two word sets.")
        moved = ", ".join(f"{w} ({100 * kept:.0f}% kept)" for w, kept in result.neighbours_moved[:5])
        self.summary.setText(
            origin
            + (f" Neighbours changed most: {moved}." if moved else "")
            + (f" After {result.debias} debiasing {100 * result.cluster_recovery:.0f}% of the most biased words still "
               f"cluster by their old side (Gonen & Goldberg 2019): the bias is not gone, only off this direction."
               if result.cluster_recovery is not None else "")
            + "".join(f" Not in the vocabulary ({name}): {', '.join(words[:12])}{' …' if len(words) > 12 else ''}."
                      for name, words in result.missing.items() if words))
        rows = [("DirectBias (neutral words)", result.before.direct_bias,
                 result.after.direct_bias if result.after else None)]
        for i, t in enumerate(result.before.weat):
            a = result.after.weat[i] if result.after else {}
            rows.append((f"WEAT d: {t['name']}", t["effect_size"], a.get("effect_size")))
            rows.append((f"WEAT p: {t['name']}", t["p_value"], a.get("p_value")))
        self.table.setRowCount(len(rows))
        for r, (name, b, a) in enumerate(rows):
            for c, value in enumerate((name, b, a)):
                text = value if isinstance(value, str) else (p_text(value) if name.startswith("WEAT p")
                                                             else number_text(value))
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)

    def show_subject(self, audited: str | None, current: str | None) -> None:
        """Say which embedding the results are of; results of another than the current one are marked stale and
        greyed out (Audit audits the current one)."""
        stale = audited is not None and audited != current
        if audited is None:
            self.subject.setText(f"Audit acts on the current embedding: {current}" if current else "")
        elif stale:
            self.subject.setText(f"<b>Stale:</b> these results are of {audited}, not of the current embedding"
                                 f"{f' ({current})' if current else ''}. Press Audit to audit "
                                 f"{current or 'the current one'}.")
        else:
            self.subject.setText(f"Results of <b>{audited}</b>")
        self.subject.setStyleSheet("color: #a04000" if stale else "")
        for widget in (self.table, self.summary):
            widget.setEnabled(not stale)
        self.stale = stale
