import os
import stat

import pytest

from embedstudio.storage import atomic_write


def test_atomic_write_gives_the_usual_permissions_and_keeps_existing_ones(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "new.bin") as f:
            f.write(b"x")
        assert stat.S_IMODE(os.stat(tmp_path / "new.bin").st_mode) == 0o644
        (tmp_path / "kept.bin").write_bytes(b"old")
        os.chmod(tmp_path / "kept.bin", 0o600)
        with atomic_write(tmp_path / "kept.bin") as f:
            f.write(b"new")
        assert stat.S_IMODE(os.stat(tmp_path / "kept.bin").st_mode) == 0o600
    finally:
        os.umask(old)


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(tmp_path / "a.bin") as f:
            f.write(b"half")
            raise RuntimeError("cancelled")
    assert (tmp_path / "a.bin").read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]
