"""The desktop app (PySide6 + pyqtgraph): the only package that imports Qt."""

import os
import sys
import time


def _seconds_since_process_start() -> float | None:
    """Wall time since this process started (Linux: /proc), for the start-up measurement."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_app(argv: list[str]) -> int:
    """Open the main window; paths on the command line are opened as if dropped.

    ``EMBEDSTUDIO_EXIT_WHEN_SHOWN=1``: print ``shown <seconds since the process started>`` once the
    window has painted, then quit (how ``packaging/measure_startup.py`` times a start); with paths,
    first wait for them and print ``loaded <kind> <path>`` (or ``error <message>``) for each."""
    from PySide6.QtCore import QObject, QTimer, Signal
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication, QMessageBox

    from embedstudio.app.crash import CrashReporter
    from embedstudio.app.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0], *[a for a in argv if a.startswith("-")]])
    app.setApplicationName("EmbedStudio")
    app.setOrganizationName("EmbedStudio")
    app.setDesktopFileName("embedstudio")
    try:
        from embedstudio.resources import resource

        app.setWindowIcon(QIcon(str(resource("icons", "embedstudio.svg"))))
    except FileNotFoundError:
        pass
    paths = [a for a in argv if not a.startswith("-")]
    measuring = os.environ.get("EMBEDSTUDIO_EXIT_WHEN_SHOWN") == "1"
    single = not measuring and os.environ.get("EMBEDSTUDIO_NEW_INSTANCE") != "1"
    if single:
        from embedstudio.app.single_instance import InstanceServer, hand_over

        if hand_over(paths):  # an EmbedStudio runs already: the files open in its window
            print("EmbedStudio is already running: the files open in its window", flush=True)
            return 0
    window = MainWindow()
    if single:
        window.instance_server = InstanceServer(parent=window)

        def open_handed_over(handed: list[str]) -> None:
            window.showNormal()
            window.raise_()
            window.activateWindow()
            if handed:
                window.open_paths(handed)

        window.instance_server.paths_received.connect(open_handed_over)

    class _Relay(QObject):  # an exception in another thread is shown by the GUI thread
        crashed = Signal(str, str)

    relay = _Relay()

    def show_crash(summary: str, log_path: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "EmbedStudio: something went wrong",
                          f"{summary}\n\nThe window keeps working. The details are in the log:\n{log_path}",
                          QMessageBox.StandardButton.Ok, window)
        box.setModal(False)
        box.show()
        window._crash_box = box

    relay.crashed.connect(show_crash)
    reporter = CrashReporter(relay.crashed.emit).install()
    window.crash_log = reporter.log_path
    window.show()
    if measuring:
        def shown() -> None:
            since = _seconds_since_process_start()
            print(f"shown {since if since is not None else time.perf_counter():.3f}", flush=True)
            if not paths:
                app.quit()

        def loaded() -> None:  # the files given on the command line (a file manager's "Open with")
            if len(window.session.datasets) + len(window.errors) < len(paths):
                QTimer.singleShot(50, loaded)
                return
            for d in window.session.datasets:
                print(f"loaded {d.kind} {d.path}", flush=True)
            for message in window.errors:
                print(f"error {message}", flush=True)
            app.quit()

        QTimer.singleShot(0, shown)  # runs after the first paint of the shown window
        if paths:
            QTimer.singleShot(0, loaded)
    else:
        window.recovery.enable()
        window.warm_up()
        window.prepare_maps()
    if paths:
        window.open_paths(paths)
    try:
        return app.exec()
    finally:
        reporter.uninstall()
