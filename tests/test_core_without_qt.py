"""Convention 1: everything outside embedstudio/app/ imports with Qt unavailable."""

import subprocess
import sys
import textwrap


def test_every_core_module_imports_with_qt_blocked():
    script = textwrap.dedent(
        """
        import sys, pkgutil, importlib
        for name in ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6"):
            sys.modules[name] = None  # any import of these now raises ImportError
        import embedstudio
        names = [m.name for m in pkgutil.walk_packages(embedstudio.__path__, "embedstudio.")
                 if not m.name.startswith("embedstudio.app")]
        for name in names:
            importlib.import_module(name)
        print(len(names))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) >= 12  # the walk really found the package's modules


def test_blocking_works_as_the_test_assumes():
    out = subprocess.run([sys.executable, "-c", "import sys; sys.modules['PySide6'] = None; import PySide6"],
                         capture_output=True, text=True)
    assert out.returncode != 0 and "import of PySide6 halted" in out.stderr
