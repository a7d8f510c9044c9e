"""Decompression bombs, one of each kind a reader meets: each is refused (or streamed) within the
bounds the README promises -- under 500 MB of memory and 30 s -- measured in a fresh process."""

import pytest

from tests.bombs import LIMIT_MB, LIMIT_S, embedding_header, gzip_repeating, measured, zip_with_deflated_member

GIGABYTES = 2 << 30
ZIP_MEMBER = 512 << 20  # deflating it takes a few seconds; the refusal comes from the directory, at any size

TEXT_BOMBS = [  # (reader call, the first line, the line repeated)
    ("from embedstudio.data.vectors_io import read_vectors as read",
     b"", b"the " + b" ".join(b"0.125" for _ in range(100)) + b"\n"),
    ("from embedstudio.data.vectors_io import read_vectors as read",
     b"5000000 3\n", b"the 0.1 0.2 0.3\n"),
    ("from embedstudio.data.edgelist import read_edgelist as read", b"", b"alice\tknows\tbob\n"),
    ("from embedstudio.data.hierarchy import read_hierarchy as read", b"", b"dog\tmammal\n"),
    ("from embedstudio.data.corpus import read_corpus as read", b"", b"the quick brown fox jumps over the dog\n"),
    ("from embedstudio.data.labelled import read_labelled as read", b"", b"__label__a some words here\n"),
    ("from embedstudio.data.labelled import read_user_items as read", b"", b"u1 i1 i2 i3\n"),
    ("from embedstudio.analysis.fusion import read_media_features as read", b"", b"v1,0.5,0.25\n"),
    ("from embedstudio.data.sniff import detect as read", b"", b"the quick brown fox\n"),
]


@pytest.mark.parametrize("reader, first, line", TEXT_BOMBS, ids=[r.split("import ")[1].split(" as")[0] + (
    "+header" if f else "") for r, f, _ in TEXT_BOMBS])
def test_a_gzip_that_inflates_to_gigabytes_is_stopped_in_bounded_time_and_memory(tmp_path, reader, first, line):
    path = tmp_path / "bomb.txt.gz"
    gzip_repeating(path, line, GIGABYTES, first)
    assert path.stat().st_size < 8 << 20
    out, rss, seconds = measured(f"""
        import os
        os.environ["EMBEDSTUDIO_CACHE"] = {str(tmp_path / "cache")!r}
        {reader}
        print("READ", type(read({str(path)!r})).__name__)
    """)
    if "detect" not in reader:  # sniffing reads the first 64 kB only: it names a format, the readers refuse
        assert out.startswith("DataFormatError"), out  # a bomb, or a repeated row/key/user: refused either way
    assert rss < LIMIT_MB and seconds < LIMIT_S, (out, rss, seconds)


@pytest.mark.parametrize("member, loader", [
    ("header.json", "from embedstudio.vectors import Embedding; Embedding.load"),
    ("vectors.npy", "from embedstudio.vectors import Embedding; Embedding.load"),
    ("header.json", "from embedstudio.session import read_session"),
])
def test_a_zip_member_that_inflates_to_gigabytes_is_refused_before_it_inflates(tmp_path, member, loader):
    import io

    import numpy as np

    if "session" in loader:
        folder = tmp_path / "s"
        folder.mkdir()
        (folder / "session.json").write_text('{"format": "embedstudio-session", "embeddings": '
                                             '[{"name": "e", "file": "e.npz"}]}')
        path, target = folder / "e.npz", folder
    else:
        path = target = tmp_path / "e.npz"
    if member == "header.json":
        zip_with_deflated_member(path, "header.json", embedding_header(["a"])[:-1], b" " * 4096, ZIP_MEMBER)
    else:
        head = {"descr": "<f4", "fortran_order": False, "shape": (1 << 25, 4)}  # 512 MB of zeros, deflated
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(buf, head)
        zip_with_deflated_member(path, "vectors.npy", buf.getvalue(), b"\x00" * 4096, ZIP_MEMBER,
                                 others={"header.json": embedding_header([f"k{i}" for i in range(10)])})
    module, call = loader.split("; ") if ";" in loader else (loader, loader.split()[-1])
    out, rss, seconds = measured(f"""
        {module}
        {call}({str(target)!r})
    """)
    assert out.startswith("DataFormatError") and member in out and ("bomb" in out or "declares" in out), out
    assert rss < LIMIT_MB and seconds < LIMIT_S, (out, rss, seconds)
