"""``mlops-desktop import mlflow``: stores written by MLflow's own client, every field round trip.

The stores under tests/data/mlflow were written by tests/data/mlflow/make_stores.py with
mlflow-skinny; when MLflow is importable the same script also writes fresh ones here (the
``fresh`` cases), so a new MLflow release is checked too.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.cli.main import main

DATA = Path(__file__).resolve().parents[1] / "data" / "mlflow"
sys.path.insert(0, str(DATA))

from make_stores import LOSS, T0  # noqa: E402


@pytest.fixture(scope="module", params=["committed", "fresh"])
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed stores, or stores written now by the MLflow installed (once a module)."""
    if request.param == "committed":
        return DATA
    pytest.importorskip("mlflow")
    import make_stores

    dest = tmp_path_factory.mktemp("written")
    make_stores.main(dest)
    return dest


@pytest.fixture
def stores(written: Path, tmp_path: Path) -> Path:
    """A copy of ``mlruns`` and ``mlflow.db``, moved from where MLflow wrote them."""
    dest = tmp_path / "stores"
    shutil.copytree(written, dest, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return dest


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    assert main(list(args)) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def runs_by_name(capsys: pytest.CaptureFixture[str], experiment: str) -> dict[str, Any]:
    runs = cli_json(capsys, "runs", "list", "--experiment", experiment, "--json")
    return {r["name"]: r for r in runs}


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def as_float(v: Any) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(v, v)


@pytest.mark.parametrize("kind", ["mlruns", "mlflow.db"])
def test_every_field_round_trips(
    stores: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = str(stores / kind) if kind == "mlruns" else f"sqlite:///{stores / kind}"
    doc = cli_json(capsys, "import", "mlflow", source, "--json")
    assert doc == {"experiments": 1, "runs": 5, "metrics_points": 11, "models": 1, "versions": 2}
    runs = runs_by_name(capsys, "wine")
    assert sorted(runs) == ["child", "killed", "parent", "running"]  # "deleted" is in the trash
    assert {n: r["status"] for n, r in runs.items()} == {
        "parent": "finished",
        "child": "failed",
        "killed": "killed",
        "running": "killed",  # no process here could ever end it
    }
    assert runs["running"]["tags"]["mlops.imported_status"] == "RUNNING"
    parent_id = runs["parent"]["id"]
    assert len(parent_id) == 32 and runs["child"]["tags"]["mlflow.parentRunId"] == parent_id

    parent = cli_json(capsys, "runs", "show", parent_id, "--json")
    assert parent["params"] == {"alpha": "0.5", "solver": "adam"}
    assert parent["tags"]["team"] == "vision" and parent["tags"]["mlops.imported_from"] == "mlflow"
    assert parent["started_at"].startswith("2023-11-14T22:13:20.000")
    assert parent["ended_at"].startswith("2023-11-14T22:14:20.000")
    assert parent["datasets"] == [{"name": "wine", "version": "mlflow:3f2a9c1d", "path": None}]
    loss = cli_json(capsys, "runs", "metric", parent_id, "loss", "--json")["points"]
    assert [p[0] for p in loss] == list(range(len(LOSS)))
    assert [p[1] for p in loss] == [T0 / 1000 + i for i in range(len(LOSS))]
    assert all(same(as_float(p[2]), v) for p, v in zip(loss, LOSS, strict=True))
    acc = cli_json(capsys, "runs", "metric", parent_id, "acc", "--json")["points"]
    assert acc == [[0, T0 / 1000, 0.5], [2, T0 / 1000 + 0.01, 0.6], [4, T0 / 1000 + 0.02, 0.7]]

    artifacts = {a["name"]: a for a in parent["artifacts"]}
    assert sorted(artifacts) == ["model/MLmodel", "model/model.pkl", "plots/sub/fig.txt"]
    assert Path(artifacts["plots/sub/fig.txt"]["path"]).read_text() == "a figure\n"

    trash = cli_json(capsys, "runs", "trash", "--json")
    assert [t["name"] for t in trash] == ["deleted"]

    champion = cli_json(capsys, "models", "show", "wine-model@champion", "--json")
    assert champion["version"] == 2 and champion["run"] == parent_id
    assert sorted(f["path"] for f in champion["files"]) == ["MLmodel", "model.pkl"]
    assert champion["tags"] == {"owner": "ana", "stage": "test"}
    first = cli_json(capsys, "models", "show", "wine-model:1", "--json")
    assert first["tags"] == {"owner": "ana", "stage": "test", "note": "first"}
    assert first["description"] == "wines"


def test_a_second_import_adds_nothing(stores: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for kind in ("mlruns", "mlflow.db"):
        cli_json(
            capsys, "import", "mlflow", str(stores / kind), "--experiment-prefix", kind, "--json"
        )
        again = cli_json(
            capsys, "import", "mlflow", str(stores / kind), "--experiment-prefix", kind, "--json"
        )
        assert again == {
            "experiments": 0,
            "runs": 0,
            "metrics_points": 0,
            "models": 0,
            "versions": 0,
        }
    versions = cli_json(capsys, "models", "versions", "wine-model", "--json")
    assert len(versions) == 4  # two per store: the second store's get numbers 3 and 4
    counts = cli_json(capsys, "runs", "list", "--json")
    assert len(counts) == 8
