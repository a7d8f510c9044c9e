"""Help ▸ Guide and Help ▸ Keyboard shortcuts: the bundled guide (``resources/guide/``) in a dialog.

The guide's shortcuts table is made when it opens, from the window's own actions, so it lists what
the menus really hold on this platform and never drifts from them. A QTextBrowser shows it (no web
engine: the app ships PySide6-Essentials)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QKeySequence, QTextDocument
from PySide6.QtWidgets import QDialog, QDockWidget, QHBoxLayout, QMenu, QPushButton, QTextBrowser, QVBoxLayout

GUIDE_PAGE = "index.html"
SHORTCUTS_MARK = "<!-- shortcuts -->"  # where the generated table goes in the guide page
SHORTCUTS_ANCHOR = "shortcuts"


def guide_folder() -> Path:
    from embedstudio.resources import resource

    return resource("guide")


def _plain(text: str) -> str:
    """A menu text as read: without its mnemonic ("&Open…" -> "Open…", "&&" -> "&")."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _keys(action: QAction) -> str:
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts() if not s.isEmpty())


def _standard_name(action: QAction) -> str:
    """A text-less action named by the standard key it is bound to ("Delete", "Select all"), or ''."""
    for key in QKeySequence.StandardKey:
        if key != QKeySequence.StandardKey.UnknownKey and action.shortcut() in QKeySequence.keyBindings(key):
            return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key.name).capitalize()
    return ""


def _place(action: QAction) -> str:
    """Where an action outside the menus lives: the title of the panel (dock) holding its widget."""
    widget = action.parent()
    while widget is not None and not isinstance(widget, QDockWidget):
        widget = widget.parent()
    return f"the {widget.windowTitle()} panel" if widget is not None else "the window"


def shortcut_rows(window) -> list[tuple[str, str]]:
    """(what, keys) of every action of ``window`` with a shortcut: menu items ("File ▸ Open…") in menu
    order, then the actions of panels (a list's Delete, say), named by their panel."""
    rows, seen = [], set()

    def walk(menu: QMenu, path: list[str]) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), path + [_plain(action.text())])
            elif not action.isSeparator():
                seen.add(action)
                if _keys(action):
                    rows.append((" ▸ ".join(path + [_plain(action.text())]), _keys(action)))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), [_plain(top.text())])
    for action in window.findChildren(QAction):
        if action not in seen and _keys(action):
            name = _plain(action.text()) or _standard_name(action) or "an unnamed action"
            rows.append((f"{name} (in {_place(action)})", _keys(action)))
    return rows


def shortcuts_html(window) -> str:
    rows = "".join(f"<tr><td>{html.escape(what)}</td><td><b>{html.escape(keys)}</b></td></tr>"
                   for what, keys in shortcut_rows(window))
    return ('<table border="1" cellspacing="0" cellpadding="4"><tr><th align="left">Action</th>'
            f'<th align="left">Keys</th></tr>{rows}</table>')


class GuideBrowser(QTextBrowser):
    """Reads the guide's pages from disk, except the guide page itself, which gets the window's shortcuts."""

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.main_window = window
        self.setOpenExternalLinks(True)  # an http link goes to the system's browser, never replaces the guide

    def page_html(self) -> str:
        text = (guide_folder() / GUIDE_PAGE).read_text(encoding="utf-8")
        return text.replace(SHORTCUTS_MARK, shortcuts_html(self.main_window))

    def loadResource(self, kind, url):  # noqa: N802 - Qt's name
        if (kind == QTextDocument.ResourceType.HtmlResource and url.isLocalFile()
                and Path(url.toLocalFile()).resolve() == (guide_folder() / GUIDE_PAGE).resolve()):
            return self.page_html()
        return super().loadResource(kind, url)


class GuideDialog(QDialog):
    """The guide beside the window (not modal: one can follow it while using the window)."""

    def __init__(self, window):
        super().__init__(window)
        self.setWindowTitle("EmbedStudio guide")
        self.resize(760, 640)
        self.browser = GuideBrowser(window)
        buttons = QHBoxLayout()
        back, home, close = QPushButton("Back"), QPushButton("Contents"), QPushButton("Close")
        back.clicked.connect(self.browser.backward)
        self.browser.backwardAvailable.connect(back.setEnabled)
        back.setEnabled(False)
        home.clicked.connect(lambda: self.show_page(None))
        close.clicked.connect(self.close)
        for button in (back, home):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addLayout(buttons)

    def show_page(self, anchor: str | None = None, page: str = GUIDE_PAGE) -> None:
        url = QUrl.fromLocalFile(str(guide_folder() / page))
        if anchor:
            url.setFragment(anchor)
        if self.browser.source() == url:
            self.browser.reload()  # the shortcuts again: a workflow may have added actions since
            if anchor:
                self.browser.scrollToAnchor(anchor)
        else:
            self.browser.setSource(url)


def show_guide(window, anchor: str | None = None) -> GuideDialog:
    """Open the guide (at ``anchor``), reusing the window's guide dialog if it has one."""
    dialog = window.findChild(GuideDialog) or GuideDialog(window)
    dialog.show_page(anchor)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def show_shortcuts(window) -> GuideDialog:
    return show_guide(window, SHORTCUTS_ANCHOR)
