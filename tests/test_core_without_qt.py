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
        print(" ".join(names))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    imported = set(out.stdout.split())
    assert len(imported) >= 12  # the walk really found the package's modules
    # the jobs the window runs on its worker (and the command line pulls) are among them
    jobs = {f"embedstudio.jobs.{name}" for name in
            ("live", "loading", "word2vec", "graph", "poincare", "starspace", "extrinsic")}
    assert jobs <= imported and {"embedstudio.errors", "embedstudio.session"} <= imported


def test_the_ground_floor_does_not_reach_up_into_the_readers():
    """storage, vectors and the model files raise DataFormatError from beside them, not from data/."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "embedstudio"
    for name in ("storage.py", "vectors.py", "graphmodel.py", "starspacemodel.py", "errors.py", "memory.py"):
        text = (root / name).read_text(encoding="utf-8")
        assert "embedstudio.data" not in text and "embedstudio.app" not in text, name
    for path in list((root / "jobs").glob("*.py")) + [root / "session.py"]:
        assert "embedstudio.app" not in path.read_text(encoding="utf-8"), path.name


def test_blocking_works_as_the_test_assumes():
    out = subprocess.run([sys.executable, "-c", "import sys; sys.modules['PySide6'] = None; import PySide6"],
                         capture_output=True, text=True)
    assert out.returncode != 0 and "import of PySide6 halted" in out.stderr
