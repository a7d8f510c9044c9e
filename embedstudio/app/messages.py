"""Error messages that never pile up: while the last box is still open, a new error joins it as a list (ten
bad files dropped at once: one box, not ten stacked). Non-modal: the window keeps working."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

MAX_LISTED = 12  # messages one box lists; it says how many earlier ones it left out


class ErrorMessages:
    def __init__(self, parent):
        self.parent = parent
        self.box: QMessageBox | None = None  # the open box new errors join
        self.listed: list[str] = []

    def show(self, message: str, own_box: bool = False) -> QMessageBox:
        """Show ``message``; ``own_box``: in a box of its own (it gets buttons for this one error)."""
        if not own_box and self.box is not None and self.box.isVisible():
            self.listed.append(message)
            shown = self.listed[-MAX_LISTED:]
            hidden = len(self.listed) - len(shown)
            self.box.setText(f"{len(self.listed)} problems:\n\n" + "\n\n".join(f"• {m}" for m in shown)
                             + (f"\n\n(and {hidden} earlier {'one' if hidden == 1 else 'ones'})" if hidden else ""))
            return self.box
        box = QMessageBox(QMessageBox.Icon.Warning, "EmbedStudio", message, QMessageBox.StandardButton.Ok,
                          self.parent)
        box.setModal(False)
        box.show()
        if not own_box:
            self.box, self.listed = box, [message]
        return box
