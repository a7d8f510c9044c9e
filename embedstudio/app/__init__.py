"""The desktop app (PySide6 + pyqtgraph): the only package that imports Qt."""


def run_app(argv: list[str]) -> int:
    """Open the main window; paths on the command line are opened as if dropped."""
    import sys

    from PySide6.QtWidgets import QApplication

    from embedstudio.app.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0], *[a for a in argv if a.startswith("-")]])
    app.setApplicationName("EmbedStudio")
    app.setOrganizationName("EmbedStudio")
    window = MainWindow()
    window.show()
    paths = [a for a in argv if not a.startswith("-")]
    if paths:
        window.open_paths(paths)
    return app.exec()
