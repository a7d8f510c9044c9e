"""Fuzzing every reader: each returns or raises a DataFormatError naming the file and line, within its bound.

Two hypothesis strategies per reader, three for the line-based text readers (see harness.py for the
contract; mutations.py and containers.py for the mutation primitives; gen_text.py and gen_files.py for the
generated inputs):

* ``mutated`` -- valid seed files (written by the project's own writers) with 1 to 4 mutations each: bit
  flips, byte insert/delete/replace, truncation, duplicated or swapped chunks, NUL bytes, byte-order marks,
  invalid UTF-8, CRLF/CR line ends, very long lines, huge numbers / NaN / inf in numeric fields, wrong
  header counts, changed separators, duplicated/deleted/swapped lines; inside zips (our .npz formats)
  a changed header.json or .npy member, a crafted .npy header, renamed/deleted/duplicated members; inside
  HDF5 files (PBG) changed attributes, datasets, links and groups; in a folder deleted, emptied or swapped
  files; compressed files mutated inside and compressed again (or cut short).
* ``generated`` -- structured inputs built from scratch: rows with random field counts, types and
  separators, headers that may lie, random JSON headers and arrays of any dtype and shape, whole PBG
  checkpoint folders and sessions; for ``open_session`` whole session folders (embeddings, models, datasets
  of every kind, odd paths, links and pipes); for ``read_json_arrays`` crafted zips (decompression bombs,
  lying directory sizes, .npy headers declaring more than the member holds, ZIP64 records, duplicates).
* ``compressed`` (the line-based text readers, media features, sniff.detect) -- a seed's or a generated
  input's content gzip- or bzip2-compressed, valid (one or many members, header fields) or damaged
  (truncated, trailing garbage, wrong CRC or size, corrupt data, gzip then bzip2), or a decompression bomb
  (one of its rows repeated far beyond 100:1; the harness lowers the readers' allowance to ~1 MB).

``open_session`` mutations also apply SESSION_OPS: symbolic links out of the folder (or looping), named
pipes in place of its files, dataset / embedding / map paths with ``..``, absolute or NUL bytes, deep or
huge JSON, thousands of datasets.

``EMBEDSTUDIO_FUZZ_EXAMPLES`` is the number of inputs per reader (default 120), split evenly between its
strategies; ``benchmarks/fuzz_readers.py`` runs 10,000 per reader and prints the table.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import containers as box
from tests.fuzz import harness as h
from tests.fuzz import mutations as mut
from tests.fuzz.gen_files import GENERATED, generated
from tests.fuzz.gen_text import free
from tests.fuzz.harness import Case
from tests.fuzz.targets import TARGETS


def per_strategy(target: h.Target) -> int:
    """The inputs each strategy of ``target`` runs: EMBEDSTUDIO_FUZZ_EXAMPLES split between them."""
    n = len(target.strategies)
    return max(1, (h.examples_per_reader() + n - 1) // n)


PER_STRATEGY = max(1, (h.examples_per_reader() + 1) // 2)  # a reader with two strategies
FUZZ = settings(
    max_examples=PER_STRATEGY, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
                           HealthCheck.large_base_example, HealthCheck.filter_too_much],
)


# --------------------------------------------------------------------------- (a) mutations of seeds
@st.composite
def mutated_file(draw, name: str, data: bytes, names: tuple[str, ...]) -> bytes:
    kind = box.file_kind(name, data)
    a, b, c = draw(free), draw(free), draw(free)
    structured = draw(st.integers(0, 3)) != 0
    if structured and kind == "zip":
        return box.mutate_zip(data, draw(st.sampled_from(box.ZIP_OPS)), a, b, c, names)
    if structured and kind == "h5":
        return box.mutate_h5(data, draw(st.sampled_from(box.H5_OPS)), a, b, c)
    if structured and kind == "json":
        return mut.mutate_json(data, draw(st.sampled_from(mut.JSON_OPS)), a, b, names)
    if structured and kind == "npy":
        if b % 3:
            return box.npy_bytes(box.make_array(a, b, c, special=c % 3), fortran=bool(a % 4 == 0))
        return box.npy_with_header(box.ODD_DESCRS[a % len(box.ODD_DESCRS)], box.HUGE_SHAPES[c % len(box.HUGE_SHAPES)],
                                 b"\x00" * (b % 40))
    op = draw(st.sampled_from(mut.BYTE_OPS))
    plain, how = mut.decompress_if_needed(data) if draw(st.booleans()) else (data, 0)
    out = mut.mutate_bytes(plain, op, a, b, c)
    if how:
        out = mut.recompress(out, how if draw(st.integers(0, 3)) else draw(st.integers(1, 5)))
    return out


@st.composite
def mutated(draw, target: h.Target) -> Case:
    case = draw(st.sampled_from(target.seeds()))
    files = case.file_dict()
    names = tuple(files)
    for _ in range(draw(st.integers(1, 4))):
        if target.session_ops and draw(st.integers(0, 2)) == 0:
            files = box.mutate_session(files, draw(st.sampled_from(box.SESSION_OPS)), draw(free), draw(free), draw(free))
            continue
        if len(files) > 1 and draw(st.integers(0, 7)) == 0:
            files = box.mutate_folder(files, draw(st.sampled_from(box.FOLDER_OPS)), draw(free), draw(free))
            continue
        candidates = sorted(k for k, v in files.items() if v is not None and not h.is_special(v))
        if not candidates:
            break
        name = draw(st.sampled_from(candidates))
        files[name] = draw(mutated_file(name, files[name], names))
    options = {**dict(case.options), **draw(st.sampled_from(target.options))}
    return case.with_files(files, note="mutated").with_options(options)


# --------------------------------------------------------------------------- (c) compressed inputs
@st.composite
def compressed(draw, target: h.Target) -> Case:
    """A seed's (or a generated input's) file, decompressed if it was compressed, maybe mutated, then
    compressed in one of COMPRESS_OPS (valid, damaged or a bomb); maybe renamed .gz / .bz2 (rightly or not)."""
    if draw(st.integers(0, 2)):
        case = draw(st.sampled_from(target.seeds()))
    else:
        case = draw(GENERATED[target.name])
    files = case.file_dict()
    regular = sorted(k for k, v in files.items() if v is not None and not h.is_special(v) and not k.startswith(h.OUTSIDE))
    if not regular:
        return case
    name = case.entry if case.entry in regular else draw(st.sampled_from(regular))
    plain, _ = mut.decompress_if_needed(files[name])
    if draw(st.integers(0, 3)) == 0:
        plain = mut.mutate_bytes(plain, draw(st.sampled_from(mut.BYTE_OPS)), draw(free), draw(free), draw(free))
    op = draw(st.sampled_from(mut.COMPRESS_OPS))
    data = mut.compress_shape(plain, op, draw(free), draw(free), draw(free))
    entry = case.entry
    rename = draw(st.integers(0, 5))
    if rename < 2 and not name.endswith((".gz", ".bz2")):
        new = name + ((".gz" if data[:2] == b"\x1f\x8b" else ".bz2") if rename == 0 else ".gz")
        del files[name]
        if entry == name:
            entry = new
        name = new
    files[name] = data
    out = Case(tuple(files.items()), entry, case.options, f"compressed: {op}")
    return out.with_options({**dict(case.options), **draw(st.sampled_from(target.options))})


# --------------------------------------------------------------------------- the tests
def _seed_params():
    return [pytest.param(name, id=name) for name in TARGETS if name != "sniff.detect"]


@pytest.mark.parametrize("name", _seed_params())
def test_every_seed_is_read(name):
    """The mutations start from valid files: each seed (with each option) is accepted by its reader."""
    target = TARGETS[name]
    for case in target.seeds():
        assert h.run_case(target, case) == "accepted", case


STRATEGIES = {"mutated": mutated, "generated": generated, "compressed": compressed}


def _make(name: str, strategy_of):
    target = TARGETS[name]

    @settings(FUZZ, max_examples=per_strategy(target))
    @given(case=strategy_of(target))
    def test(case):
        h.run_case(target, case)

    test.__name__ = test.__qualname__ = f"test_fuzz_{name}"
    return test


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_").lower()


for _name, _target in TARGETS.items():
    for _kind in _target.strategies:
        globals()[f"test_{_kind}_{_safe(_name)}"] = _make(_name, STRATEGIES[_kind])
del _name, _target, _kind
