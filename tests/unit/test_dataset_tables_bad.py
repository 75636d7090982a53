"""Bad table input: each case gives a DatasetError or a profile note a person can act on."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops_desktop.core.errors import DatasetError, OperationCancelled
from mlops_desktop.datasets.tables import diff_tables, preview_table, profile_table


def test_empty_file_gives_empty_profile(tmp_path: Path) -> None:
    for name in ("e.csv", "e.parquet", "e.jsonl"):
        (tmp_path / name).write_bytes(b"")
        prof = profile_table(tmp_path / name, name)
        assert prof.rows == 0 and prof.columns == [] and "empty" in prof.problems[0]
        assert preview_table(tmp_path / name, name).rows == []


def test_non_utf8_csv_is_read_as_latin1_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes(b"id,name\n1,ok\n2,ok\n3,caf\xe9\n")
    prof = profile_table(path, "l.csv")
    assert prof.rows == 3
    assert any("not valid UTF-8" in p and "line 4" in p for p in prof.problems)
    assert "café" in dict(prof.columns[1].top)
    assert preview_table(path, "l.csv").rows[2][1] == "café"


def test_non_utf8_late_in_a_big_csv(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    body = b"".join(b"%d,plain\n" % i for i in range(300_000))
    path.write_bytes(b"id,name\n" + body + b"9,\xff\xfe\n")
    prof = profile_table(path, "late.csv")
    assert prof.rows == 300_001 and any("line 300002" in p for p in prof.problems)


def test_ragged_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,2\n3,4,5\n6,7\n8\n")
    prof = profile_table(path, "r.csv")
    assert prof.rows == 2
    assert any("2 rows with the wrong number of fields were skipped" in p for p in prof.problems)


def test_type_change_in_a_later_block(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a\n" + "1\n" * 5_000_000 + "x\n")
    prof = profile_table(path, "t.csv")
    assert prof.rows == 5_000_001 and prof.columns[0].type == "string"
    assert any("'x'" in p for p in prof.problems)


def test_ten_thousand_columns(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    rng = np.random.default_rng(0)
    data = rng.integers(0, 9, (50, 10_000))
    header = ",".join(f"c{i}" for i in range(10_000))
    path.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in data) + "\n")
    prof = profile_table(path, "wide.csv")
    assert prof.rows == 50 and len(prof.columns) == 10_000
    assert prof.columns[123].mean == pytest.approx(data[:, 123].mean())
    assert len(preview_table(path, "wide.csv", rows=5).columns) == 10_000


def test_truncated_parquet(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": np.arange(10_000)}), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    for call in (
        lambda: profile_table(path, "t.parquet"),
        lambda: preview_table(path, "t.parquet"),
    ):
        with pytest.raises(DatasetError, match="not a complete Parquet file"):
            call()


def test_bad_jsonl_line(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n{"a": 3,,}\n')
    with pytest.raises(DatasetError, match="line 3 is not valid JSON"):
        profile_table(path, "b.jsonl")


def test_object_npy_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(DatasetError, match="contains Python objects, which are never unpickled"):
        profile_table(path, "o.npy")
    npz = tmp_path / "o.npz"
    np.savez(npz, a=np.array([{"a": 1}], dtype=object))
    with pytest.raises(DatasetError, match="never unpickled"):
        profile_table(npz, "o.npz")


def test_truncated_npy(tmp_path: Path) -> None:
    path = tmp_path / "t.npy"
    np.save(path, np.arange(1000.0))
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DatasetError, match=r"t\.npy"):
        profile_table(path, "t.npy")


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="disappeared"):
        profile_table(tmp_path / "gone.csv", "gone.csv")
    with pytest.raises(DatasetError, match="disappeared"):
        diff_tables(tmp_path / "gone.csv", tmp_path / "gone.csv", "gone.csv")
    path = tmp_path / "secret.csv"
    path.write_text("a\n1\n")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read anything (root)")
        with pytest.raises(DatasetError, match="permission denied"):
            profile_table(path, "secret.csv")
    finally:
        path.chmod(0o644)


def test_not_a_table_and_cancel(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not a table file"):
        profile_table(tmp_path / "x.txt", "x.txt")
    path = tmp_path / "c.csv"
    path.write_text("a\n" + "1\n" * 10)
    with pytest.raises(OperationCancelled):
        profile_table(path, "c.csv", cancelled=lambda: True)
