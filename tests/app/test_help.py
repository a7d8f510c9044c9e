"""Help ▸ Guide: the bundled guide opens, lists the window's real shortcuts, and every link in it leads somewhere."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QUrl  # noqa: E402
from PySide6.QtGui import QKeySequence  # noqa: E402

from embedstudio.app import help as guide  # noqa: E402


def menu_action(window, *path):
    """The action at a menu path, by its text without mnemonics ("Help", "Guide")."""
    actions = window.menuBar().actions()
    for name in path:
        action = next(a for a in actions if a.text().replace("&", "") == name)
        actions = action.menu().actions() if action.menu() is not None else []
    return action


class Links(HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.hrefs, self.anchors = [], set()
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        for key in ("name", "id"):
            if attrs.get(key):
                self.anchors.add(attrs[key])


def qt_anchors(document) -> set[str]:
    """The anchor names Qt's rich text found in a document (what scrollToAnchor can reach)."""
    names, block = set(), document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            names.update(it.fragment().charFormat().anchorNames())
            it += 1
        block = block.next()
    return names


def test_help_guide_opens_with_f1_and_lists_the_real_shortcuts(window, qtbot):
    action = menu_action(window, "Help", "Guide")
    assert action.shortcut() == QKeySequence(QKeySequence.StandardKey.HelpContents)
    action.trigger()
    dialog = window.findChild(guide.GuideDialog)
    assert dialog is not None and dialog.isVisible()
    text = dialog.browser.toPlainText()
    assert "Opening files" in text and "Keyboard shortcuts" in text
    assert guide.SHORTCUTS_MARK not in dialog.browser.toHtml()
    opening = menu_action(window, "File", "Open…")
    keys = opening.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    assert keys and ("File ▸ Open…", keys) in guide.shortcut_rows(window)
    assert "File ▸ Open…" in text and keys in text  # read from the action, as the window has it
    if not action.shortcut().isEmpty():  # F1 where the platform has a help key
        assert ("Help ▸ Guide", action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)) \
            in guide.shortcut_rows(window)
    action.trigger()  # again: the same dialog, not a second one
    assert len(window.findChildren(guide.GuideDialog)) == 1


def test_a_shortcut_added_later_shows_up_in_the_guide(window, qtbot):
    from PySide6.QtGui import QAction

    extra = QAction("Frobnicate", window)
    extra.setShortcut(QKeySequence("Ctrl+Shift+F9"))
    window.addAction(extra)
    dialog = guide.show_shortcuts(window)
    assert "Frobnicate (in the window)" in dialog.browser.toPlainText()
    assert dialog.browser.source().fragment() == "shortcuts"


def test_every_link_of_the_guide_resolves(window, qtbot):
    dialog = guide.show_guide(window)
    folder = guide.guide_folder()
    pages = {guide.GUIDE_PAGE: dialog.browser.page_html()}
    pages.update({p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.html") if p.name not in pages})
    assert len(pages) >= 2
    checked = 0
    for page, text in pages.items():
        for href in Links(text).hrefs:
            assert not href.startswith(("http:", "https:", "file:")), f"{page}: {href} (the guide is offline)"
            target, _, anchor = href.partition("#")
            target = target or page
            assert target in pages, f"{page}: {href} leads to no page"
            if anchor:
                assert anchor in Links(pages[target]).anchors, f"{page}: {href} names no anchor"
            # and Qt follows it: the page loads and its anchor is one Qt's document knows
            dialog.browser.setSource(QUrl.fromLocalFile(str(folder / target)))
            assert dialog.browser.toPlainText().strip()
            if anchor:
                assert anchor in qt_anchors(dialog.browser.document()), f"{page}: {href}"
            checked += 1
    assert checked > 15


def test_every_view_and_panel_of_the_window_is_in_the_guide(window):
    text = guide.GuideBrowser(window).page_html()
    titles = [window.views.tabText(i) for i in range(window.views.count())] + list(window.docks)
    missing = [t for t in titles if f"<b>{t}</b>" not in text]
    assert not missing, f"describe these in resources/guide/index.html: {missing}"
