"""Windows that fit the screen they are on."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFrame, QScrollArea, QWidget

TALL = 220  # px: a panel needing more than this scrolls inside its dock on a short screen


def fit_to_screen(window, free=None) -> None:
    """Keep ``window``, frame included, on its screen's free area (``free``, a QRect: that area instead): a
    geometry saved on a larger monitor (or the default 800 px on a 768-px laptop) would put the status bar
    below the screen's edge. Never below the window's minimum size."""
    if free is None:
        screen = window.screen() or QApplication.primaryScreen()
        if screen is None:
            return
        free = screen.availableGeometry()
    frame_w = max(window.frameGeometry().width() - window.width(), 0)
    frame_h = max(window.frameGeometry().height() - window.height(), 0) or 30  # a title bar not drawn yet
    width = max(min(window.width(), free.width() - frame_w), window.minimumWidth())
    height = max(min(window.height(), free.height() - frame_h), window.minimumHeight())
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    x = min(max(window.x(), free.left()), max(free.right() - width - frame_w, free.left()))
    y = min(max(window.y(), free.top()), max(free.bottom() - height - frame_h, free.top()))
    if (x, y) != (window.x(), window.y()):
        window.move(x, y)


def scrolling(panel: QWidget) -> QWidget:
    """``panel`` in a scroll area when it needs more than TALL pixels of height: a form of twenty fields in a
    dock then scrolls on a 768-px screen instead of making the window taller than the screen."""
    if panel.minimumSizeHint().height() <= TALL:
        return panel
    area = QScrollArea()
    area.setWidget(panel)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setMinimumWidth(panel.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width())
    return area
