"""Text + media fusion, and the media feature readers."""

import gzip
import os
import tempfile
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embedstudio.analysis import fusion
from embedstudio.analysis.fusion import MediaFeatures, compare_fusion, read_media_features
from embedstudio.data.errors import DataFormatError
from embedstudio.vectors import Embedding

# Tiny training sets stop the MLP at max_iter; the result counts those folds (not_converged) itself.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# ============================================================================ fusion
def fusion_items(per_class=40, seed=0):
    """label = 2a + b: ``a`` shows only in the text's topic words, ``b`` only in the media features."""
    rng = np.random.default_rng(seed)
    keys, docs, labels, media_rows = [], [], [], []
    for label in range(4):
        a, b = divmod(label, 2)
        for j in range(per_class):
            keys.append(f"item{label}_{j}")
            words = [f"topic{a}_{i}" for i in rng.integers(0, 5, 3)] + [f"noise{i}" for i in rng.integers(0, 10, 5)]
            docs.append(words)
            labels.append(str(label))
            media_rows.append(np.r_[3.0 * b, -3.0 * b, 0, 0] + rng.normal(size=4))
    vocab = [f"topic{a}_{i}" for a in range(2) for i in range(5)] + [f"noise{i}" for i in range(10)]
    centres = rng.normal(size=(2, 6)) * 3
    vectors = np.vstack([centres[a] + 0.3 * rng.normal(size=(5, 6)) for a in range(2)] + [rng.normal(size=(10, 6))])
    media = MediaFeatures(keys, np.array(media_rows))
    return keys, docs, labels, Embedding(vocab, vectors), media


@pytest.fixture(scope="module")
def fused():
    keys, docs, labels, text, media = fusion_items()
    return compare_fusion(keys, docs, labels, text, media, folds=4, hidden=(16,), max_iter=300)


def test_fusion_sees_what_neither_source_sees_alone(fused):
    acc = dict(zip(fused.names, fused.mean("accuracy")))
    assert fused.names == ["text", "media", "text+media"] and fused.task == "fusion"
    assert 0.35 < acc["text"] < 0.65  # knows a, guesses b
    assert 0.35 < acc["media"] < 0.65  # knows b, guesses a
    assert acc["text+media"] > 0.85
    assert fused.paired_difference("text+media", "text").excludes_zero
    assert fused.paired_difference("text+media", "media").excludes_zero
    assert fused.model == "mlp" and fused.model_params == {"hidden": [16], "max_iter": 300}
    assert fused.dropped_without_media == 0 and fused.coverage.tolist() == [1.0, 1.0, 1.0]


def test_items_without_media_are_dropped_and_counted():
    keys, docs, labels, text, media = fusion_items(per_class=12)
    keep = [i for i in range(len(keys)) if i % 6 != 0]  # 8 of 48 items lose their media row
    partial = MediaFeatures([keys[i] for i in keep], media.features[keep])
    r = compare_fusion(keys, docs, labels, text, partial, folds=3, hidden=(8,), max_iter=50)
    assert r.dropped_without_media == 8 and r.n_docs == 40
    assert "8 items without media" in r.table()
    z = compare_fusion(keys, docs, labels, text, partial, folds=3, hidden=(8,), max_iter=50, missing_media="zeros")
    assert z.dropped_without_media == 0 and z.n_docs == 48
    assert z.coverage[1] == pytest.approx(40 / 48) and z.coverage[2] == pytest.approx(40 / 48)
    with pytest.raises(ValueError, match="none of the"):
        compare_fusion(keys, docs, labels, text, MediaFeatures(["x"], [[1.0]]), folds=3)


# ============================================================================ readers: good files
KEYS = ["a", "b", "c"]
VALUES = np.array([[0.5, -1.0, 2.0], [1e-3, 0.0, 3.25], [7.0, 8.0, -9.5]], dtype=np.float32)


def check(mf):
    assert mf.keys == KEYS
    assert mf.features.dtype == np.float32
    np.testing.assert_array_equal(mf.features, VALUES)


def write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def csv_text(sep=",", header=None):
    lines = [] if header is None else [header]
    lines += [sep.join([k, *(repr(float(v)) for v in row)]) for k, row in zip(KEYS, VALUES)]
    return ("\n".join(lines) + "\n").encode()


def test_reads_csv_tsv_header_and_gzip(tmp_path):
    check(read_media_features(write(tmp_path, "f.csv", csv_text())))
    check(read_media_features(write(tmp_path, "f.tsv", csv_text("\t", "id\tr\tg\tb"))))
    check(read_media_features(write(tmp_path, "p.csv", csv_text(",", ",0,1,2"))))  # pandas' to_csv header
    check(read_media_features(write(tmp_path, "s.txt", csv_text(" ", "key f1 f2 f3"))))
    crlf = csv_text(",", "item, x , y , z").replace(b"\n", b"\r\n").replace(b",", b" , ")
    check(read_media_features(write(tmp_path, "crlf.csv", b"\xef\xbb\xbf" + crlf + b"\r\n\r\n")))
    check(read_media_features(write(tmp_path, "f.csv.gz", gzip.compress(csv_text()))))
    quoted = read_media_features(write(tmp_path, "q.csv", b'"x, ""y""",1,2\nz,3,4\n'))
    assert quoted.keys == ['x, "y"', "z"]
    np.testing.assert_array_equal(quoted.features, [[1, 2], [3, 4]])
    numeric_keys = read_media_features(write(tmp_path, "n.csv", b"101,1,2\n102,3,4\n"))
    assert numeric_keys.keys == ["101", "102"]  # the first field is the key, also when it is a number


def test_reads_npz_and_npy_with_keys(tmp_path):
    np.savez(tmp_path / "f.npz", keys=np.array(KEYS), features=VALUES.astype(np.float64))
    check(read_media_features(tmp_path / "f.npz"))
    np.savez(tmp_path / "ids.npz", keys=np.array([7, 8]), features=np.ones((2, 3)))
    assert read_media_features(tmp_path / "ids.npz").keys == ["7", "8"]
    np.save(tmp_path / "m.npy", VALUES)
    (tmp_path / "m.keys.txt").write_text("a\nb\r\nc\n\n")
    check(read_media_features(tmp_path / "m.npy"))


def test_a_long_file_takes_the_block_path_and_agrees(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(5000, 4)).astype(np.float32)
    keys = [f"k{i}" for i in range(len(values))]
    text = "".join(f"{k}," + ",".join("%.9g" % v for v in row) + "\n" for k, row in zip(keys, values))
    mf = read_media_features(write(tmp_path, "big.csv", text.encode()))
    assert mf.keys == keys
    np.testing.assert_array_equal(mf.features, values)
    bad = text.split("\n")
    bad[4321] = bad[4321].replace(",", ",x", 1)
    with pytest.raises(DataFormatError) as e:
        read_media_features(write(tmp_path, "bad.csv", "\n".join(bad).encode()))
    assert e.value.line == 4322 and "column 2" in e.value.reason


# ============================================================================ readers: bad files
TEXT_CASES = [
    # (name, content, line, words in the message)
    ("truncated.csv", b"a,1,2,3\nb,4,5\n", 2, ["expected 4 fields", "found 3"]),
    ("ragged.csv", b"id,x,y\na,1,2\nb,1,2,3\n", 3, ["expected 3 fields", "header on line 1", "found 4"]),
    ("word.csv", b"a,1,2\nb,1,oops\n", 2, ["column 3", "'oops'", "not a number"]),
    ("emptyfield.tsv", b"a\t1\t2\nb\t\t2\n", 2, ["column 2", "empty field"]),
    ("nan.csv", b"a,1,2\nb,3,4\nc,nan,1\n", 3, ["column 2", "nan", "finite"]),
    ("inf.csv", b"a,1,-inf\n", 1, ["column 3", "finite"]),
    ("huge.csv", b"a,1,2\nb,1e39,2\n", 2, ["column 2", "float32 range"]),
    ("dup.csv", b"a,1\nb,2\n\na,3\n", 4, ["'a' is repeated", "first on line 1", "again on line 4"]),
    ("onefield.csv", b"justakey\n", 1, ["one field"]),
    ("emptykey.csv", b"a,1\n,2\n", 2, ["empty key"]),
    ("utf8.csv", b"a,1\nb\xff\xfe,2\n", 2, ["invalid UTF-8", "byte 2"]),
    ("nul.csv", b"a,1,2\n" * 200 + b"b,1\x00,2\n", 201, ["NUL"]),
    ("nulkey.csv", b"a,1,2\n" * 200 + b"b\x00,1,2\n", 201, ["NUL"]),
    ("binary.csv", b"a,1\n\x00\x01\x02\x03\x04" * 40, 2, ["binary"]),
    ("utf16.csv", "a,1\n".encode("utf-16"), 1, ["UTF-16"]),
    ("quote.csv", b'"a,1,2\n', 1, ["quoted"]),
]


@pytest.mark.parametrize("name,content,line,words", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_bad_text_files_name_the_line(tmp_path, name, content, line, words):
    with pytest.raises(DataFormatError) as e:
        read_media_features(write(tmp_path, name, content))
    assert e.value.line == line, e.value
    assert e.value.path.endswith(name)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


@pytest.mark.parametrize("content,words",
                         [(b"", "empty"), (b"\n \n", "empty"), (b"id,x,y\n", "no rows after the header")])
def test_empty_files(tmp_path, content, words):
    with pytest.raises(DataFormatError, match=words) as e:
        read_media_features(write(tmp_path, "e.csv", content))
    assert e.value.line is None


def test_a_huge_line_is_refused_without_reading_it_whole(tmp_path, monkeypatch):
    # after the first row, the limit is 64 bytes per value plus the key allowance
    long_second = b"a,1,2\nb," + b"1," * (fusion.row_limit(3) // 2) + b"2\n"
    with pytest.raises(DataFormatError, match="longer than") as e:
        read_media_features(write(tmp_path, "long.csv", long_second))
    assert e.value.line == 2
    monkeypatch.setattr(fusion, "FIRST_ROW_LIMIT", 1000)  # the first row's bound (16 MiB) is a module constant
    with pytest.raises(DataFormatError, match="longer than") as e:
        read_media_features(write(tmp_path, "first.csv", b"a" + b",1" * 600 + b"\n"))
    assert e.value.line == 1


def test_bad_arrays(tmp_path):
    def fails(path, *words, line=None):
        with pytest.raises(DataFormatError) as e:
            read_media_features(path)
        assert e.value.line == line, e.value
        for w in words:
            assert w in str(e.value), (w, str(e.value))

    np.savez(tmp_path / "obj.npz", keys=np.array(["a", None], dtype=object), features=np.ones((2, 2)))
    fails(tmp_path / "obj.npz", "'keys'", "Python objects")
    np.savez(tmp_path / "objf.npz", keys=np.array(["a", "b"]), features=np.array([[1, "x"], [2, 3]], dtype=object))
    fails(tmp_path / "objf.npz", "'features'", "Python objects")
    np.savez(tmp_path / "nokeys.npz", features=np.ones((2, 2)))
    fails(tmp_path / "nokeys.npz", "no 'keys' array", "features")
    np.savez(tmp_path / "count.npz", keys=np.array(["a", "b", "c"]), features=np.ones((2, 2)))
    fails(tmp_path / "count.npz", "2 feature rows but 3 keys")
    np.savez(tmp_path / "dup.npz", keys=np.array(["a", "b", "a"]), features=np.ones((3, 2)))
    fails(tmp_path / "dup.npz", "'a' is repeated", "record 1", "record 3", line=3)
    feats = np.ones((3, 2))
    feats[1, 1] = np.nan
    np.savez(tmp_path / "nan.npz", keys=np.array(KEYS), features=feats)
    fails(tmp_path / "nan.npz", "record 2", "'b'", "column 2", "finite", line=2)
    np.savez(tmp_path / "flat.npz", keys=np.array(KEYS), features=np.ones(3))
    fails(tmp_path / "flat.npz", "2-D")
    write(tmp_path, "junk.npz", b"this is not an archive at all")
    fails(tmp_path / "junk.npz", "not an .npz")
    with zipfile.ZipFile(tmp_path / "raw.npz", "w") as z:  # members without the .npy suffix
        z.writestr("keys", b"a\nb\n")
        z.writestr("features", b"1,2\n3,4\n")
    fails(tmp_path / "raw.npz", "'keys'", "not a .npy array")
    np.savez(tmp_path / "f.npz", keys=np.array(KEYS), features=VALUES)
    os.replace(tmp_path / "f.npz", tmp_path / "archive.npy")
    (tmp_path / "archive.keys.txt").write_text("a\nb\nc\n")
    fails(tmp_path / "archive.npy", "an .npz archive, not a single .npy")
    np.save(tmp_path / "nokeys.npy", VALUES)
    fails(tmp_path / "nokeys.npy", "nokeys.keys.txt")
    np.save(tmp_path / "short.npy", VALUES)
    (tmp_path / "short.keys.txt").write_text("a\nb\n")
    fails(tmp_path / "short.npy", "3 feature rows but 2 keys")
    np.save(tmp_path / "gap.npy", VALUES)
    (tmp_path / "gap.keys.txt").write_text("a\n\nb\nc\n")
    with pytest.raises(DataFormatError, match="blank line") as e:
        read_media_features(tmp_path / "gap.npy")
    assert e.value.line == 2 and e.value.path.endswith("gap.keys.txt")
    np.save(tmp_path / "dupk.npy", VALUES)
    (tmp_path / "dupk.keys.txt").write_text("a\nb\na\n")
    with pytest.raises(DataFormatError, match="line 1, again on line 3"):
        read_media_features(tmp_path / "dupk.npy")
    fails(tmp_path / "missing.csv", "no such file")


# ============================================================================ property tests
_SUFFIXES = [".csv", ".tsv", ".npz", ".npy"]


def _read_or_data_error(content: bytes, suffix: str, keys: bytes | None = None):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m" + suffix)
        with open(path, "wb") as f:
            f.write(content)
        if keys is not None:
            with open(os.path.join(d, "m.keys.txt"), "wb") as f:
                f.write(keys)
        try:
            mf = read_media_features(path)
        except DataFormatError:
            return None
    assert np.isfinite(mf.features).all() and len(mf.keys) == len(set(mf.keys)) == len(mf.features)
    return mf


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.binary(max_size=300), suffix=st.sampled_from(_SUFFIXES), keys=st.none() | st.binary(max_size=40))
def test_property_random_bytes_raise_only_data_format_errors(content, suffix, keys):
    _read_or_data_error(content, suffix, keys)


_TEXTISH = st.lists(st.sampled_from(list("ab01.,-+eE\t \n\r\"_") + ["nan", "inf", "\x00", "é", "\ufeff"]),
                    max_size=60).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXTISH, suffix=st.sampled_from([".csv", ".tsv"]))
def test_property_csv_like_text_raises_only_data_format_errors(text, suffix):
    _read_or_data_error(text.encode("utf-8"), suffix)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(st.floats(width=32, allow_nan=False, allow_infinity=False), min_size=2, max_size=2),
                     min_size=1, max_size=8),
       sep=st.sampled_from([",", "\t", " "]))
def test_property_written_values_read_back_exactly(rows, sep):
    values = np.array(rows, dtype=np.float32)
    keys = [f"k{i}" for i in range(len(values))]
    text = "".join(sep.join([k, *("%.9g" % v for v in row)]) + "\n" for k, row in zip(keys, values))
    mf = _read_or_data_error(text.encode(), ".csv")
    assert mf is not None and mf.keys == keys
    np.testing.assert_array_equal(mf.features, values)


def test_keys_of_size_0_are_refused_before_they_are_listed(tmp_path):
    """Found by tests/fuzz: an .npz whose 'keys' claims 10^9 items of '<U0' (no data needed) took 21 s and
    7.6 GB to list them all before "empty key"; 10^12 would not fit at all."""
    import io
    import struct

    header = "{'descr': '<U0', 'fortran_order': False, 'shape': (1000000000000,), }"
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    keys = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1")
    features = io.BytesIO()
    np.save(features, np.ones((3, 2), np.float32))
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("keys.npy", keys)
        z.writestr("features.npy", features.getvalue())
    with pytest.raises(DataFormatError, match="1,000,000,000,000 empty keys") as e:
        read_media_features(path)
    assert e.value.path == str(path) and e.value.line is None
