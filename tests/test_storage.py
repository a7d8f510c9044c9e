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


# --------------------------------------------------------------------------- read_json_arrays on crafted files
def _raw_npy(header: str, payload: bytes = b"") -> bytes:
    import struct

    header = header + " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + payload


def _damaged_deflate_zip() -> bytes:
    """A zip whose header.json is deflated data that zlib refuses (zlib.error, not BadZipFile)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("header.json", '{"format": "embedstudio-embedding"}' * 20)
    data = bytearray(buf.getvalue())
    size = zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()[0].compress_size
    start = 30 + len("header.json")
    data[start:start + size] = b"\xff" * size
    return bytes(data)


def _zip_with_vectors(npy: bytes) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("header.json", '{"format": "embedstudio-embedding", "keys": ["a"]}')
        z.writestr("vectors.npy", npy)
    return buf.getvalue()


CRAFTED = {
    # each of these escaped read_json_arrays as something else than a DataFormatError (found by tests/fuzz)
    "damaged deflate member (zlib.error)": (_damaged_deflate_zip(), "cannot read"),
    "npy header numpy cannot tokenize (TokenError)": (
        _zip_with_vectors(_raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,")), "cannot read"),
    "npy shape beyond int64 (OverflowError)": (
        _zip_with_vectors(_raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (18446744073709551616, 1), }")),
        "cannot read"),
    # no data needed for items of size 0: converting 10^12 of them would allocate 4 TB (MemoryError)
    "10^12 items of size 0": (
        _zip_with_vectors(_raw_npy("{'descr': '<U0', 'fortran_order': False, 'shape': (1000000000000,), }")),
        "size 0"),
}


@pytest.mark.parametrize("name", list(CRAFTED))
def test_read_json_arrays_turns_crafted_members_into_data_format_errors(tmp_path, name):
    from embedstudio.data.errors import DataFormatError
    from embedstudio.storage import read_json_arrays
    from embedstudio.vectors import Embedding

    content, words = CRAFTED[name]
    path = tmp_path / "crafted.npz"
    path.write_bytes(content)
    with pytest.raises(DataFormatError, match=words) as info:
        read_json_arrays(path, "embedstudio-embedding", "embedding")
    assert info.value.path == str(path) and info.value.line is None
    with pytest.raises(DataFormatError):
        Embedding.load(path)


def _saved_models(tmp_path):
    import numpy as np

    from embedstudio.graphmodel import GraphModel
    from embedstudio.starspacemodel import SpaceModel
    from embedstudio.vectors import Embedding

    emb = Embedding(["u", "v", "w"], np.eye(3, 4, dtype=np.float32), metadata={"type": ["a", "b", "b"]})
    graph = GraphModel(emb, [0, 1, 1], ["a", "b"], ["r"], [[0, 1]], "diagonal", "dot", np.ones((1, 4)),
                       np.ones((1, 4)))
    graph.save(tmp_path / "g.model")
    space = SpaceModel("tagspace", ["x", "y"], ["l"], np.ones((3, 2)))
    space.save(tmp_path / "s.model")
    return tmp_path / "g.model", tmp_path / "s.model"


def _rewrite(path, header_change=None, arrays=None):
    """Rewrite a json-arrays file with some header fields and arrays replaced (None: removed)."""
    import io
    import json
    import zipfile

    import numpy as np

    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    header = json.loads(members["header.json"])
    for key, value in (header_change or {}).items():
        if value is None:
            header.pop(key, None)
        else:
            header[key] = value
    members["header.json"] = json.dumps(header).encode()
    for name, array in (arrays or {}).items():
        if array is None:
            members.pop(f"{name}.npy", None)
        else:
            buf = io.BytesIO()
            np.save(buf, np.asarray(array))
            members[f"{name}.npy"] = buf.getvalue()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


GRAPH_MODEL_DAMAGE = [
    # each raised KeyError, IndexError, TypeError, ValueError or OverflowError from GraphModel.load (tests/fuzz)
    ({"comparator": None}, {}, "comparator"),
    ({}, {"entity_type": None}, "entity_type"),
    ({}, {"entity_type": [0, 2, 1]}, "type ids"),  # 2: no such type
    ({}, {"entity_type": [0, -1, 1]}, "type ids"),  # -1 used to pick the last type silently
    ({}, {"entity_type": [0.0, 1.0, 1.0]}, "type ids"),
    ({}, {"relation_types": [[0, 5]]}, "type ids"),
    ({"type_names": {"a": 1}}, {}, "not a list"),
    ({"keys": ["u", "v"]}, {}, "2 keys for 3 vectors"),
    ({"relation_mode": "other"}, {}, "relation mode"),
    ({"info": [1, 2]}, {}, "inconsistent graph model"),
    ({}, {"lhs_params": [1.0, 2.0, 3.0]}, "reshape"),
]


@pytest.mark.parametrize("header, arrays, words", GRAPH_MODEL_DAMAGE)
def test_graph_model_load_names_the_file_for_every_inconsistency(tmp_path, header, arrays, words):
    from embedstudio.data.errors import DataFormatError
    from embedstudio.graphmodel import GraphModel

    path, _ = _saved_models(tmp_path)
    GraphModel.load(path)  # sound before it is damaged
    _rewrite(path, header, arrays)
    with pytest.raises(DataFormatError, match=words) as info:
        GraphModel.load(path)
    assert info.value.path == str(path)


@pytest.mark.parametrize("header, arrays, words", [
    ({"buckets": float("inf")}, {}, "infinity"),  # was an OverflowError
    ({"buckets": -1}, {"vectors": [[1.0, 1.0]] * 2}, "buckets must be >= 0"),  # 2 words - 1 + 1 label "fitted"
    ({}, {"vectors": [1.0, 2.0, 3.0]}, "2-D"),  # loaded, then an IndexError at the first query
])
def test_space_model_load_rejects_what_it_cannot_use(tmp_path, header, arrays, words):
    from embedstudio.data.errors import DataFormatError
    from embedstudio.starspacemodel import SpaceModel

    _, path = _saved_models(tmp_path)
    SpaceModel.load(path)
    _rewrite(path, header, arrays)
    with pytest.raises(DataFormatError, match=words) as info:
        SpaceModel.load(path)
    assert info.value.path == str(path)


# ---------------------------------------------------------------------------------- crafted zip members
# (members that inflate to gigabytes: tests/test_bombs.py)
def test_a_zip_directory_that_understates_a_member_is_refused(tmp_path):
    """A member that inflates past the size its directory entry declares: zipfile stops at that size and
    the CRC check fails; never a runaway read."""
    import struct
    import zipfile

    import numpy as np

    from embedstudio.data.errors import DataFormatError
    from embedstudio.vectors import Embedding

    path = tmp_path / "e.npz"
    Embedding(["a", "b"], np.ones((2, 3), np.float32)).save(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("vectors.npy")
    true_size = info.file_size
    for signature, size_offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):  # central, local headers
        start = 0
        while (at := data.find(signature, start)) >= 0:
            if struct.unpack_from("<I", data, at + size_offset)[0] == true_size:
                struct.pack_into("<I", data, at + size_offset, true_size - 8)
                if signature == b"PK\x03\x04":
                    struct.pack_into("<I", data, at + size_offset - 4, true_size - 8)  # stored: compressed too
            start = at + 4
    path.write_bytes(bytes(data))
    with pytest.raises(DataFormatError) as info:
        Embedding.load(path)
    assert info.value.path == str(path)


def test_an_npy_header_claiming_more_data_than_its_member_holds_never_allocates(tmp_path):
    import io

    import numpy as np

    from embedstudio.data.errors import DataFormatError
    from embedstudio.vectors import Embedding

    path = tmp_path / "e.npz"
    Embedding(["a"], np.ones((1, 3), np.float32)).save(path)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (1 << 20, 1 << 20)})
    _rewrite_member(path, "vectors.npy", header.getvalue() + b"\x00" * 12)
    with pytest.raises(DataFormatError, match="declares 4,398,046,511,104 bytes of data"):
        Embedding.load(path)


def _rewrite_member(path, name, data: bytes) -> None:
    import zipfile

    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members[name] = data
    with zipfile.ZipFile(path, "w") as z:
        for n, d in members.items():
            z.writestr(n, d)


def test_loaded_arrays_are_read_only_views_not_copies(tmp_path):
    """Arrays are read once from the member (no copy of the whole member on the side); a caller that
    changes one must copy it, and the trainers do."""
    import numpy as np

    from embedstudio.vectors import Embedding

    Embedding(["a", "b"], np.arange(6, dtype=np.float32).reshape(2, 3)).save(tmp_path / "e.npz")
    emb = Embedding.load(tmp_path / "e.npz")
    np.testing.assert_array_equal(emb.vectors, np.arange(6).reshape(2, 3))
    assert not emb.vectors.flags.writeable


def test_an_executable_atomic_write_is_runnable_when_it_appears(tmp_path):
    import subprocess

    from embedstudio.storage import atomic_write

    script = tmp_path / "run.sh"
    with atomic_write(script, executable=True) as f:
        f.write(b"#!/bin/sh\necho ran\n")
        assert not script.exists()  # nothing there until the block ends
    umask = os.umask(0)
    os.umask(umask)
    assert script.stat().st_mode & 0o777 == 0o777 & ~umask
    assert subprocess.run([str(script)], capture_output=True, text=True).stdout == "ran\n"
    plain = tmp_path / "note.txt"
    with atomic_write(plain) as f:
        f.write(b"x")
    assert plain.stat().st_mode & 0o111 == 0
