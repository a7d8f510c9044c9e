"""A form generated from a config dataclass: one editor per field, bounds and help as tooltips."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QWidget

from embedstudio.config import ConfigError


def _kind(field: dataclasses.Field) -> str:
    text = str(field.type)
    for name in ("bool", "int", "float", "str"):
        if name in text:
            return name
    return "str"


class ConfigForm(QWidget):
    def __init__(self, config_class, parent=None):
        super().__init__(parent)
        self.config_class = config_class
        self.editors: dict[str, QWidget] = {}
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for field in dataclasses.fields(config_class):
            meta, kind = field.metadata, _kind(field)
            tip = meta.get("help", "")
            bounds = [f"min {meta['low']}" if meta.get("low") is not None else "",
                      f"max {meta['high']}" if meta.get("high") is not None else ""]
            if any(bounds):
                tip += f" ({', '.join(b for b in bounds if b)})"
            if meta.get("choices"):
                editor = QComboBox()
                editor.addItems([str(c) for c in meta["choices"]])
                editor.setCurrentText(str(field.default))
            elif kind == "bool":
                editor = QCheckBox()
                editor.setChecked(bool(field.default))
            elif kind == "int" and not meta.get("optional"):
                editor = QSpinBox()
                editor.setRange(int(max(meta.get("low") or -2**31 + 1, -2**31 + 1)),
                                int(min(meta.get("high") or 2**31 - 1, 2**31 - 1)))
                editor.setValue(int(field.default))
            else:
                editor = QLineEdit("" if field.default is None else repr(field.default) if kind == "float" else str(field.default))
                if meta.get("optional"):
                    editor.setPlaceholderText("automatic")
            editor.setToolTip(tip)
            label = QLabel(field.name.replace("_", " "))
            label.setToolTip(tip)
            layout.addRow(label, editor)
            self.editors[field.name] = editor
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        layout.addRow(self.error)

    def values(self) -> dict:
        out = {}
        for field in dataclasses.fields(self.config_class):
            editor, kind = self.editors[field.name], _kind(field)
            if isinstance(editor, QComboBox):
                text = editor.currentText()
                out[field.name] = type(field.default)(text) if field.default is not None else text
            elif isinstance(editor, QCheckBox):
                out[field.name] = editor.isChecked()
            elif isinstance(editor, QSpinBox):
                out[field.name] = editor.value()
            else:
                text = editor.text().strip()
                if not text and field.metadata.get("optional"):
                    out[field.name] = None
                else:
                    try:
                        out[field.name] = {"int": int, "float": float}.get(kind, str)(text)
                    except ValueError:
                        raise ConfigError(f"{field.name}: {text!r} is not a {kind}") from None
        return out

    def config(self):
        """The config the form describes; a ConfigError is shown in the form and re-raised."""
        try:
            cfg = self.config_class(**self.values())
        except ConfigError as e:
            self.error.setText(str(e))
            raise
        self.error.setText("")
        return cfg

    def set_config(self, cfg) -> None:
        for field in dataclasses.fields(cfg):
            editor, value = self.editors[field.name], getattr(cfg, field.name)
            if isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QSpinBox):
                editor.setValue(int(value))
            else:
                editor.setText("" if value is None else repr(value) if isinstance(value, float) else str(value))
