"""log_predictions: standard-library spool lines, exactly-once ingest, torn last lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import mlops_desktop as mlops
from mlops_desktop.catalog import monitor_repo as repo
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.monitor_sources import ingest_predictions
from mlops_desktop.tracking import predictions as logs


@pytest.fixture
def services(temp_home: Path, tmp_path: Path) -> Iterator[Services]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    pacsv.write_csv(
        pa.table(
            {"x": [float(i % 10) for i in range(200)], "prediction": [i % 2 for i in range(200)]}
        ),
        tmp_path / "ref.csv",
    )
    logs._files.clear()
    with Services.open(temp_home) as s:
        s.monitors.add(
            "serve", reference=str(tmp_path / "ref.csv"), predictions=True, window_rows=4
        )
        yield s
    for f, _ in logs._files.values():
        f.close()
    logs._files.clear()


def _stored(services: Services) -> list[tuple[float, str]]:
    return [(t, d) for _, t, d in repo.predictions_after(services.catalog, "serve", 0)]


def test_lines_are_ingested_exactly_once(services: Services, temp_home: Path) -> None:
    assert mlops.log_predictions("serve", {"x": [1.0, 2.0]}, [0, 1], labels=[0, 0]) == 0
    assert mlops.log_predictions("serve", [{"x": 3.0}], [1]) == 1
    (path,) = logs.predictions_dir(temp_home, "serve").iterdir()
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [x["seq"] for x in lines] == [0, 1]
    assert lines[0]["rows"] == [
        {"x": 1.0, "prediction": 0, "label": 0},
        {"x": 2.0, "prediction": 1, "label": 0},
    ]
    ingest_predictions(services.catalog, temp_home, "serve")
    first = _stored(services)
    ingest_predictions(services.catalog, temp_home, "serve")
    assert _stored(services) == first and len(first) == 2
    repo.save_check(services.catalog, "serve", [], [repo.Seen(f"log:{path.name}", 0, 0, 0)])
    ingest_predictions(services.catalog, temp_home, "serve")  # offset lost: seq dedups
    assert _stored(services) == first


def test_a_torn_line_waits_until_complete(services: Services, temp_home: Path) -> None:
    mlops.log_predictions("serve", {"x": [1.0]}, [0])
    (path,) = logs.predictions_dir(temp_home, "serve").iterdir()
    whole = json.dumps({"v": 1, "seq": 1, "t": 2.0, "rows": [{"x": 5.0, "prediction": 1}]}) + "\n"
    with open(path, "ab") as f:
        f.write(whole[:20].encode())
    ingest_predictions(services.catalog, temp_home, "serve")
    assert len(_stored(services)) == 1
    with open(path, "ab") as f:
        f.write(whole[20:].encode())
    ingest_predictions(services.catalog, temp_home, "serve")
    assert len(_stored(services)) == 2


def test_windows_of_rows_from_predictions(services: Services) -> None:
    mlops.log_predictions("serve", {"x": [1.0, 2.0, 3.0]}, [0, 1, 0], labels=[0, 1, 1])
    assert services.monitors.check("serve").windows == []
    mlops.log_predictions("serve", {"x": [4.0, 5.0, 6.0]}, [1, 1, 1], labels=[1, 1, 0])
    (w,) = services.monitors.check("serve").windows
    assert w.rows == 4 and w.source == "predictions" and set(w.performance) == {"accuracy", "f1"}
    mlops.log_predictions("serve", {"x": [7.0, 8.0]}, [0, 0])
    (w2,) = services.monitors.check("serve").windows
    assert w2.rows == 4  # rows 5, 6 of the cut line and the two new ones
    assert services.monitors.check("serve").windows == []


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        mlops.log_predictions("../x", {"x": [1]}, [0])
    with pytest.raises(ValueError):
        mlops.log_predictions("serve", {"x": [1, 2]}, [0])
