"""MonitorService on folders and dataset versions: windows, drift, alerts, bad files."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from mlops_desktop.core.drift import window_document
from mlops_desktop.core.errors import MonitorError, MonitorNotFound
from mlops_desktop.services.bundle import Services


def _write(path: Path, n: int, shift: float = 0.0, seed: int = 0, **extra: list[object]) -> Path:
    import numpy as np

    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {
        "a": rng.normal(shift, 1.0, n),
        "b": rng.normal(10 + shift * 3, 3.0, n),
        "color": rng.choice(["red", "blue"], n),
        "label": rng.integers(0, 2, n),
    }
    cols.update(extra)
    pacsv.write_csv(pa.table(cols), path)
    return path


@pytest.fixture
def services(temp_home: Path) -> Iterator[Services]:
    with Services.open(temp_home) as s:
        yield s


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "incoming"
    d.mkdir()
    return d


def _monitor(services: Services, tmp_path: Path, folder: Path, **kw: object) -> None:
    ref = _write(tmp_path / "ref.csv", 2000, seed=1)
    services.monitors.add(
        "wine", reference=str(ref), current_folder=str(folder), label_column="label", **kw
    )  # type: ignore[arg-type]


def test_add_freezes_plans_without_the_label(
    services: Services, tmp_path: Path, folder: Path
) -> None:
    _monitor(services, tmp_path, folder)
    info = services.monitors.get("wine")
    assert [p.column for p in info.plans] == ["a", "b", "color"]
    assert info.state == "ok" and info.current == f"folder:{folder.resolve()}"
    assert [m.name for m in services.monitors.list_monitors()] == ["wine"]
    with pytest.raises(MonitorError):
        _monitor(services, tmp_path, folder)
    with pytest.raises(MonitorError):
        services.monitors.add("../x", reference=str(tmp_path / "ref.csv"))
    with pytest.raises(MonitorNotFound):
        services.monitors.get("nope")


def test_windows_drift_alert_after_k_once_and_acknowledge(
    services: Services, tmp_path: Path, folder: Path
) -> None:
    _monitor(services, tmp_path, folder, alert_after=2, alert_window=3)
    _write(folder / "b01.csv", 500, seed=2)
    first = services.monitors.check("wine")
    assert [w.source for w in first.windows] == ["b01.csv"] and not first.alerts
    assert first.windows[0].report is not None and not first.windows[0].report.dataset_drift
    assert services.monitors.check("wine").windows == []  # each file once
    _write(folder / "b02.csv", 500, shift=3.0, seed=3)
    r2 = services.monitors.check("wine")
    assert r2.windows[0].report and r2.windows[0].report.dataset_drift and not r2.alerts
    assert services.monitors.get("wine").state == "drifting"
    _write(folder / "b03.csv", 500, shift=3.0, seed=4)
    r3 = services.monitors.check("wine")
    assert len(r3.alerts) == 1 and r3.alerts[0].window == 2
    assert r3.alerts[0].evidence["windows"] == [1, 2]
    _write(folder / "b04.csv", 500, shift=3.0, seed=5)
    assert services.monitors.check("wine").alerts == []  # one open alert per rule
    info = services.monitors.get("wine")
    assert info.state == "alert" and info.windows == 4 and info.open_alerts == 1
    acked = services.monitors.acknowledge(r3.alerts[0].id)
    assert acked.acknowledged_at is not None
    assert services.monitors.alerts("wine", open_only=True) == []
    _write(folder / "b05.csv", 500, shift=3.0, seed=6)
    assert len(services.monitors.check("wine").alerts) == 1  # a new alert after the ack
    windows = services.monitors.windows("wine")
    assert [w.index for w in windows] == [0, 1, 2, 3, 4]
    assert windows[0].performance.keys() == set()  # no prediction column
    dist = services.monitors.distribution("wine", "a", 1)
    assert dist.column == "a" and dist.window == 1
    with pytest.raises(MonitorNotFound):
        services.monitors.acknowledge(999)


def test_bad_files_give_problem_windows_and_the_monitor_goes_on(
    services: Services, tmp_path: Path, folder: Path
) -> None:
    _monitor(services, tmp_path, folder)
    (folder / "a_empty.csv").write_text("a,b,color,label\n")
    (folder / "b_garbage.parquet").write_bytes(b"not parquet at all")
    pacsv.write_csv(pa.table({"zzz": [1, 2, 3]}), folder / "c_other.csv")
    pacsv.write_csv(pa.table({"a": [1.0, 2.0], "color": ["red", "x"]}), folder / "d_missing.csv")
    _write(folder / "e_extra.csv", 300, seed=7, extra_col=list(range(300)))
    pacsv.write_csv(
        pa.table({"a": ["x", "y"], "b": [1.0, 2.0], "color": ["red", "blue"]}),
        folder / "f_types.csv",
    )
    _write(folder / "g_good.csv", 300, seed=8)
    windows = services.monitors.check("wine").windows
    by = {w.source: w for w in windows}
    assert len(windows) == 7
    assert "a_empty.csv" in (by["a_empty.csv"].problem or "")
    assert by["a_empty.csv"].report is None
    assert "b_garbage.parquet" in (by["b_garbage.parquet"].problem or "")
    assert "none of the monitored columns" in (by["c_other.csv"].problem or "")
    assert "lacks the column(s) b" in (by["d_missing.csv"].problem or "")
    assert by["e_extra.csv"].report and by["e_extra.csv"].report.problems
    f_types = by["f_types.csv"]
    assert f_types.problem or any(c.problem for c in f_types.report.columns)  # type: ignore[union-attr]
    assert by["g_good.csv"].report is not None and by["g_good.csv"].problem is None
    for w in windows:
        window_document(w)  # every window prints


def test_window_rows_keep_the_partial_window(
    services: Services, tmp_path: Path, folder: Path
) -> None:
    _monitor(services, tmp_path, folder, window_rows=400)
    _write(folder / "b01.csv", 300, seed=2)
    assert services.monitors.check("wine").windows == []
    _write(folder / "b02.csv", 600, seed=3)
    windows = services.monitors.check("wine").windows
    assert [w.rows for w in windows] == [400, 400] and windows[0].source == "b01.csv, b02.csv"
    _write(folder / "b03.csv", 300, seed=4)
    assert [w.rows for w in services.monitors.check("wine").windows] == [400]
    assert services.monitors.check("wine").windows == []


def test_dataset_versions_and_performance(services: Services, tmp_path: Path) -> None:
    src = tmp_path / "data"
    src.mkdir()
    _write(src / "t.csv", 1000, seed=1, prediction=[0, 1] * 500)
    services.datasets.add(str(src), "wine", snapshot=True)
    services.monitors.add(
        "m",
        reference="wine@v1",
        current_dataset="wine",
        label_column="label",
        prediction_column="prediction",
        alert_after=1,
        alert_window=1,
    )
    info = services.monitors.get("m")
    assert info.reference == "wine@v1" and info.target == "dataset:wine"
    assert "prediction" in [p.column for p in info.plans]
    assert services.monitors.check("m").windows == []  # the reference version is not current
    time.sleep(0.01)
    _write(src / "t.csv", 1000, shift=3.0, seed=2, prediction=[1] * 1000)
    services.datasets.add(str(src), "wine", snapshot=True)
    result = services.monitors.check("m")
    assert [w.source for w in result.windows] == ["wine@v2"]
    perf = result.windows[0].performance
    assert set(perf) == {"accuracy", "f1"} and 0.0 <= perf["accuracy"] <= 1.0
    assert len(result.alerts) == 1
    services.monitors.remove("m")
    assert services.monitors.list_monitors() == []


def test_a_monitor_that_opted_in_retrains_by_itself_when_an_alert_fires(
    services: Services, tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    launched: list[tuple[str, int | None]] = []

    def retrain(name: str, alert_id: int | None = None) -> None:
        launched.append((name, alert_id))
        if len(launched) == 1:
            services.monitors.record_retrain(alert_id, "run-auto")  # type: ignore[arg-type]
        else:
            raise MonitorError("the host is down")

    monkeypatch.setattr(services.monitors, "retrain", retrain)
    _monitor(services, tmp_path, folder, alert_after=1, alert_window=1,
             rules={"auto_retrain": True})  # fmt: skip
    _write(folder / "b01.csv", 500, seed=2)
    assert services.monitors.check("wine").alerts == [] and launched == []
    _write(folder / "b02.csv", 500, shift=3.0, seed=3)
    (alert,) = services.monitors.check("wine").alerts
    assert launched == [("wine", alert.id)] and alert.retrain_run == "run-auto"
    services.monitors.acknowledge(alert.id)
    _write(folder / "b03.csv", 500, shift=3.0, seed=4)
    (again,) = services.monitors.check("wine").alerts  # a failed retrain leaves the alert open
    assert again.retrain_run is None and services.monitors.get("wine").state == "alert"
