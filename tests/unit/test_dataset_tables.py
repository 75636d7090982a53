"""Profiles, previews and diffs of every table format, checked against NumPy references."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from mlops_desktop.datasets.tables import (
    dataset_kind,
    diff_tables,
    preview_table,
    profile_table,
    table_format,
)


def _table(rows: int = 2000, seed: int = 0, shift: float = 0.0) -> pa.Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(10 + shift, 2, rows)
    x[::50] = np.nan
    return pa.table(
        {
            "x": x,
            "n": rng.integers(0, 100, rows),
            "cat": pa.array(
                np.array(["a", "b", "c", "d"])[rng.choice(4, rows, p=[0.4, 0.3, 0.2, 0.1])]
            ),
            "flag": pa.array(rng.random(rows) < 0.25),
        }
    )


def _write(table: pa.Table, path: Path) -> Path:
    fmt = table_format(path)
    if fmt == "csv":
        pacsv.write_csv(table, path)
    elif fmt == "tsv":
        pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(delimiter="\t"))
    elif fmt == "parquet":
        pq.write_table(table, path)
    elif fmt == "jsonl":
        with open(path, "w", encoding="utf-8") as f:
            for row in table.to_pylist():
                f.write(
                    json.dumps(
                        {
                            k: (None if isinstance(v, float) and np.isnan(v) else v)
                            for k, v in row.items()
                        }
                    )
                    + "\n"
                )
    return path


def test_table_format_and_kind() -> None:
    assert table_format("a/b.CSV") == "csv" and table_format("x.tab") == "tsv"
    assert table_format("x.pq") == "parquet" and table_format("x.ndjson") == "jsonl"
    assert table_format("x.npz") == "npz" and table_format("x.txt") is None
    assert dataset_kind(["a.png", "b.jpg", "c.csv"]) == "table"
    assert dataset_kind(["a.png", "b.jpg", "notes.txt"]) == "images"
    assert dataset_kind(["x.npy", "readme.md"]) == "arrays"
    assert dataset_kind(["a.bin"]) == "files" and dataset_kind([]) == "files"


@pytest.mark.parametrize("name", ["t.csv", "t.tsv", "t.parquet", "t.jsonl"])
def test_profile_matches_numpy(tmp_path: Path, name: str) -> None:
    table = _table()
    path = _write(table, tmp_path / name)
    calls: list[tuple[int, int, str]] = []
    prof = profile_table(path, name, progress=lambda d, t, m: calls.append((d, t, m)))
    assert prof.rows == 2000 and prof.format == table_format(name) and calls
    cols = {c.name: c for c in prof.columns}
    x = table.column("x").to_numpy()
    valid = x[~np.isnan(x)]
    cx = cols["x"]
    assert cx.kind == "numeric" and cx.count == 2000 and cx.missing == 40
    assert cx.mean == pytest.approx(valid.mean()) and cx.std == pytest.approx(valid.std(ddof=1))
    assert cx.min == pytest.approx(valid.min()) and cx.max == pytest.approx(valid.max())
    assert cx.quantiles["p50"] == pytest.approx(np.quantile(valid, 0.5))
    assert cx.distinct == len(np.unique(valid))
    edges, counts = cx.histogram  # type: ignore[misc]
    assert len(edges) == 31 and sum(counts) == len(valid)
    cn = cols["n"]
    assert cn.type == "int64" and cn.distinct == len(np.unique(table.column("n").to_numpy()))
    assert cn.min == int(table.column("n").to_numpy().min())
    ccat = cols["cat"]
    assert ccat.kind == "categorical" and ccat.distinct == 4 and ccat.top[0][0] == "a"
    assert sum(c for _, c in ccat.top) == 2000
    cflag = cols["flag"]
    assert cflag.kind == "boolean" and dict(cflag.top)["true"] == int(
        table.column("flag").to_numpy().sum()
    )


def test_quantiles_from_reservoir_are_close(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    values = rng.exponential(5.0, 300_000)
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"v": values}), path)
    col = profile_table(path, "big.parquet").columns[0]
    for key, q in (("p05", 0.05), ("p50", 0.5), ("p95", 0.95)):
        assert col.quantiles[key] == pytest.approx(np.quantile(values, q), rel=0.03)
    assert col.distinct == pytest.approx(300_000, rel=0.03)
    assert sum(col.histogram[1]) == pytest.approx(300_000, rel=0.01)  # type: ignore[index]


def test_nulls_in_csv_and_text_kind(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    lines = ["id,name,score"] + [f"{i},name{i},{'' if i % 10 == 0 else i / 2}" for i in range(500)]
    path.write_text("\n".join(lines) + "\n")
    cols = {c.name: c for c in profile_table(path, "t.csv").columns}
    assert (
        cols["score"].missing == 50 and cols["name"].kind == "text" and cols["name"].distinct == 500
    )


def test_npy_and_npz(tmp_path: Path) -> None:
    arr = np.arange(30, dtype=np.float64).reshape(10, 3)
    np.save(tmp_path / "a.npy", arr)
    prof = profile_table(tmp_path / "a.npy", "a.npy")
    assert prof.rows == 10 and [c.name for c in prof.columns] == ["0", "1", "2"]
    assert prof.columns[1].mean == pytest.approx(arr[:, 1].mean())
    np.save(tmp_path / "v.npy", np.array([1, 2, 3], dtype=np.int32))
    assert profile_table(tmp_path / "v.npy", "v.npy").columns[0].name == "value"
    np.savez(tmp_path / "b.npz", x=arr, y=np.arange(10))
    prof = profile_table(tmp_path / "b.npz", "b.npz")
    assert [c.name for c in prof.columns] == ["x[0]", "x[1]", "x[2]", "y"] and prof.rows == 10
    prev = preview_table(tmp_path / "b.npz", "b.npz", rows=4)
    assert prev.total_rows == 10 and len(prev.rows) == 4 and prev.columns[-1] == "y"


def test_empty_csv_with_header(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a,b\n")
    prof = profile_table(path, "h.csv")
    assert prof.rows == 0 and [c.count for c in prof.columns] == [0, 0]


@pytest.mark.parametrize("name", ["p.csv", "p.parquet", "p.jsonl"])
def test_preview(tmp_path: Path, name: str) -> None:
    path = _write(_table(500), tmp_path / name)
    prev = preview_table(path, name, rows=20)
    assert prev.columns == ["x", "n", "cat", "flag"] and len(prev.rows) == 20
    assert prev.types[1] == "int64" and all(isinstance(v, str) for v in prev.rows[0])
    assert prev.rows[0][0] == ""  # NaN row 0 shows as missing
    assert prev.total_rows == (500 if name.endswith("parquet") else None)


def test_diff_rows_multiset_and_columns(tmp_path: Path) -> None:
    old = tmp_path / "old.csv"
    new = tmp_path / "new.csv"
    old.write_text("a,b,c\n1,x,1\n1,x,1\n2,y,2\n3,z,3\n")
    new.write_text("a,b,d\n1,x,9\n2,y,9\n3,z,9\n3,z,9\n4,w,9\n")
    d = diff_tables(old, new, "t.csv")
    assert (d.rows_old, d.rows_new) == (4, 5)
    assert (d.rows_added, d.rows_removed) == (2, 1)  # one more "3,z", a new "4,w"; one "1,x" fewer
    changes = {(c.column, c.change) for c in d.columns}
    assert ("c", "removed") in changes and ("d", "added") in changes


def test_diff_retyped_and_shifted(tmp_path: Path) -> None:
    old = _write(_table(3000), tmp_path / "old.parquet")
    shifted = _table(3000, shift=5.0).set_column(1, "n", pa.array([str(i) for i in range(3000)]))
    new = _write(shifted, tmp_path / "new.parquet")
    d = diff_tables(old, new, "t.parquet", profile_table(old, "t"), None)
    by = {(c.column, c.change): c for c in d.columns}
    assert by[("n", "retyped")].old_type == "int64" and by[("n", "retyped")].new_type == "string"
    stats = by[("x", "stats")].stats
    assert stats["mean"][1] - stats["mean"][0] == pytest.approx(5.0, abs=0.3)
    assert ("cat", "stats") not in by and d.rows_removed == 3000


def test_diff_identical(tmp_path: Path) -> None:
    a = _write(_table(1000), tmp_path / "a.csv")
    b = _write(_table(1000), tmp_path / "b.parquet")
    d = diff_tables(a, a, "a.csv")
    assert (d.rows_added, d.rows_removed, d.columns) == (0, 0, [])
    d2 = diff_tables(a, b, "a")
    assert d2.rows_added == 0 and d2.rows_removed == 0
