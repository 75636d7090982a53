"""Hostile table files: each is read or refused with one sentence a person can act on.

No case may leak a traceback ("Exception ignored ..."), a NumPy warning or raw bytes; the
readers of datasets (profile, preview) and of drift (``read_table``) are both covered.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops_desktop.core.errors import DatasetError, DriftError, UserFacingError
from mlops_desktop.datasets import text_files
from mlops_desktop.datasets.tables import preview_table, profile_table
from mlops_desktop.monitoring.drift import read_table

Reader = Callable[[Path], object]
DATASET_READERS: list[Reader] = [
    lambda p: profile_table(p, p.name),
    lambda p: preview_table(p, p.name),
]
ALL_READERS: list[Reader] = [*DATASET_READERS, read_table]


@pytest.fixture(autouse=True)
def _no_warnings_no_unraisable(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Any warning is an error; nothing at all may be printed to stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    err = capsys.readouterr().err
    assert err == "", err


def refused(read: Reader, path: Path, *fragments: str) -> str:
    """The one-sentence refusal of ``read(path)``, checked for its fragments and cleanliness."""
    with pytest.raises(UserFacingError) as info:
        read(path)
    assert isinstance(info.value, DatasetError | DriftError)
    msg = str(info.value)
    assert "\n" not in msg and msg.isprintable() and msg.isascii(), repr(msg)
    assert len(msg) < 300, msg
    for fragment in fragments:
        assert fragment in msg, msg
    return msg


def npy_bytes(shape: bytes, values: int = 100, descr: bytes = b"'<f8'") -> bytes:
    """A version 1.0 ``.npy`` of ``values`` float64 whose header claims ``shape`` and ``descr``."""
    header = b"{'descr': " + descr + b", 'fortran_order': False, 'shape': " + shape + b", }"
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    out = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header
    return out + np.arange(values, dtype="<f8").tobytes()


# --- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize("read", ALL_READERS)
def test_random_bytes_named_csv_is_not_a_text_file(tmp_path: Path, read: Reader) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(bytes(range(256)) * 40 + os.urandom(50_000))
    refused(read, path, "r.csv", "not a text file", "NUL byte at byte 0")


@pytest.mark.parametrize("read", ALL_READERS)
def test_csv_with_nul_bytes_is_refused(tmp_path: Path, read: Reader) -> None:
    path = tmp_path / "n.csv"
    path.write_bytes(b"a,b\n1,\x002\n3,4\n")
    refused(read, path, "n.csv", "not a text file", "NUL byte at byte 6")


def test_undecodable_ragged_row_late_in_a_csv_is_read_as_latin1(tmp_path: Path) -> None:
    # a row with the wrong field count holding bytes that are not UTF-8: pyarrow's row handler
    # could not decode it and printed "Exception ignored ..." before a message with raw bytes
    path = tmp_path / "late.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 1000 + b"3,\xb6\xe9,\xff\n" + b"4,5\n")
    prof = profile_table(path, "late.csv")
    assert prof.rows == 1001
    assert any("Latin-1" in p for p in prof.problems)
    assert any("1 row with the wrong number of fields" in p for p in prof.problems)


@pytest.mark.parametrize("read", ALL_READERS)
def test_single_line_csv_longer_than_the_header_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read: Reader
) -> None:
    monkeypatch.setattr(text_files, "HEADER_LIMIT", 1 << 20)
    path = tmp_path / "l.csv"
    path.write_bytes(b"a" * (5 << 20))
    refused(read, path, "l.csv", "its first line is longer than 1 MiB; is it a CSV file?")


@pytest.mark.parametrize("read", ALL_READERS)
def test_header_without_newline_says_so(tmp_path: Path, read: Reader) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(b"a,b")
    refused(read, path, "h.csv", "holds no complete line", "ending in a newline")


@pytest.mark.parametrize("read", ALL_READERS)
def test_utf16_csv_with_bom_is_read(tmp_path: Path, read: Reader) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes("a,b\n1,2\n3,4\n".encode("utf-16"))
    read(path)
    assert [c.name for c in profile_table(path, "u.csv").columns] == ["a", "b"]
    assert preview_table(path, "u.csv").rows == [["1", "2"], ["3", "4"]]
    assert read_table(path).names == ("a", "b")


def test_ragged_csv_in_drift_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_bytes(b"a,b\n1,2\n3,4\n5,\xff,7\n8,9\n")
    refused(read_table, path, "g.csv", "line 4", "3 fields", "header has 2")


def test_long_row_later_in_a_csv_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_files, "LINE_LIMIT", 2 << 20)
    path = tmp_path / "w.csv"
    path.write_bytes(b"a,b\n1,2\n3," + b"x" * (5 << 20) + b"\n4,5\n")
    for read in ALL_READERS:
        refused(read, path, "w.csv", "longer than 2 MiB")


# --- JSON Lines -----------------------------------------------------------------------------


@pytest.mark.parametrize("read", ALL_READERS)
def test_jsonl_line_longer_than_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read: Reader
) -> None:
    monkeypatch.setattr(text_files, "LINE_LIMIT", 2 << 20)
    path = tmp_path / "l.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": "' + b"x" * (5 << 20) + b'"}\n')
    refused(read, path, "l.jsonl", "longer than 2 MiB")


@pytest.mark.parametrize("read", ALL_READERS)
def test_deeply_nested_jsonl(tmp_path: Path, read: Reader) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"a": 1}\n' + b"[" * 200_000 + b"\n")
    refused(read, path, "d.jsonl", "line 2")


# --- Parquet --------------------------------------------------------------------------------


@pytest.mark.parametrize("read", ALL_READERS)
def test_random_and_truncated_parquet(tmp_path: Path, read: Reader) -> None:
    rnd = tmp_path / "r.parquet"
    rnd.write_bytes(os.urandom(10_000))
    refused(read, rnd, "r.parquet", "Parquet")
    cut = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": np.arange(10_000)}), cut)
    cut.write_bytes(cut.read_bytes()[:5000])
    refused(read, cut, "t.parquet", "Parquet")


@pytest.mark.parametrize("read", DATASET_READERS)
def test_parquet_with_damaged_pages(tmp_path: Path, read: Reader) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"a": np.arange(100_000)}), path, compression="snappy")
    data = bytearray(path.read_bytes())
    data[200:2000] = os.urandom(1800)
    path.write_bytes(bytes(data))
    refused(read, path, "p.parquet")


# --- NumPy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("read", DATASET_READERS)
def test_npz_of_raw_pickles_is_refused_without_unpickling(
    tmp_path: Path, read: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.npy", pickle.dumps({"a": 1}))
        z.writestr("y", pickle.dumps([1, 2]))

    def no_unpickling(*_a: object, **_k: object) -> None:
        raise AssertionError("something was unpickled")

    monkeypatch.setattr(pickle, "loads", no_unpickling)
    monkeypatch.setattr(pickle, "load", no_unpickling)
    refused(read, path, "p.npz", "'x'", "not a NumPy array", "never unpickled")


@pytest.mark.parametrize("read", DATASET_READERS)
@pytest.mark.parametrize(
    "shape", [b"(900,)", b"(2305843009213693952, 8)", b"(9223372036854775807, 3)"]
)
def test_npy_whose_header_claims_more_than_the_file(
    tmp_path: Path, read: Reader, shape: bytes
) -> None:
    path = tmp_path / "b.npy"
    path.write_bytes(npy_bytes(shape))
    refused(read, path, "b.npy", "header", "cut short or damaged")


@pytest.mark.parametrize("read", DATASET_READERS)
def test_npy_of_zero_size_items_with_a_huge_shape(tmp_path: Path, read: Reader) -> None:
    path = tmp_path / "z.npy"
    path.write_bytes(npy_bytes(b"(9223372036854775807, 9223372036854775807)", descr=b"'<U0'"))
    refused(read, path, "z.npy", "cut short or damaged")


@pytest.mark.parametrize("read", DATASET_READERS)
def test_npz_member_whose_header_claims_more_than_it_holds(tmp_path: Path, read: Reader) -> None:
    data = npy_bytes(b"(10000000000000,)")
    path = tmp_path / "b.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.npy", data)
    refused(read, path, "b.npz", "'x'", "cut short or damaged")


@pytest.mark.parametrize("read", DATASET_READERS)
def test_npy_with_a_header_that_does_not_parse(tmp_path: Path, read: Reader) -> None:
    path = tmp_path / "h.npy"
    path.write_bytes(npy_bytes(b"(-5,)"))
    refused(read, path, "h.npy", "not a valid NumPy .npy file")


MEMORY_SCRIPT = """
import resource, sys
from pathlib import Path
from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.datasets.tables import preview_table, profile_table
from mlops_desktop.monitoring.drift import read_table
path = Path(sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for read in (lambda: profile_table(path, path.name), lambda: preview_table(path, path.name),
             lambda: read_table(path)):
    try:
        read()
    except UserFacingError:
        pass
    else:
        raise SystemExit("read a one-line file of 100 MB")
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.mark.parametrize(("name", "unit"), [("one.csv", b"1,"), ("one.jsonl", b"[1,")])
def test_a_one_line_file_is_never_read_whole(tmp_path: Path, name: str, unit: bytes) -> None:
    path = tmp_path / name
    with open(path, "wb") as f:  # 100 MB in one line of fields: the worst case for pyarrow
        for _ in range(100):
            f.write(unit * ((1 << 20) // len(unit)))
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    growth_mb = int(done.stdout.strip())
    assert growth_mb < 50, f"peak memory grew by {growth_mb} MB"
