"""The window tests' main window: its own settings file, shown offscreen."""

import pytest


def open_window(qtbot, settings_path):
    """A MainWindow reading and writing ``settings_path`` (never the user's settings), shown."""
    from PySide6.QtCore import QSettings

    from embedstudio.app import main_window as mw

    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    if settings.value("map/auto_umap") is None:  # tests train many small models: no UMAP after each unless asked
        settings.setValue("map/auto_umap", False)
    w = mw.MainWindow(settings)
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture
def window(qtbot, tmp_path):
    pytest.importorskip("PySide6")
    return open_window(qtbot, tmp_path / "settings.ini")
