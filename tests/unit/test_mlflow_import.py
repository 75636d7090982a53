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
    assert runs["child"]["parent_run_id"] == parent_id  # nested under it in the runs table

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


def write_file_store(root: Path, run_id: str, status: int = 3) -> Path:
    """A hand-written ``mlruns`` with one run; returns the run's folder."""
    exp = root / "7"
    exp.mkdir(parents=True)
    (exp / "meta.yaml").write_text(
        "artifact_location: ''\nexperiment_id: '7'\nlifecycle_stage: active\n"
        "name: 'hand: ''written'''\n"
    )
    run = exp / run_id
    (run / "metrics" / "val").mkdir(parents=True)
    (run / "meta.yaml").write_text(
        f"artifact_uri: ''\nend_time: {T0 + 9000}\nexperiment_id: '7'\nlifecycle_stage: active\n"
        f"run_id: {run_id}\nrun_name: a long run name that PyYAML folds onto a second\n"
        f"  line\nstart_time: {T0}\nstatus: {status}\ntags: []\n"
    )
    return run


def test_all_three_metric_line_forms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = "ab" * 16
    run = write_file_store(tmp_path / "mlruns", run_id)
    (run / "metrics" / "val" / "loss").write_text(
        f"{T0} 0.5\n"  # ts value: step 0
        f"{T0 + 1000} nan 3\n"  # ts value step
        f"{T0 + 2000} -inf 4 eval_set 1a2b3c4d\n"  # the step is kept (MLflow's reader says 0)
        f"{T0 + 3000} oops\n"  # not a point: said and skipped
        f"{T0 + 4000} 2"  # a last line without its newline
    )
    capsys.readouterr()
    assert main(["import", "mlflow", str(tmp_path / "mlruns"), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["metrics_points"] == 4
    assert "line 4 is not a metric point" in captured.err
    points = cli_json(capsys, "runs", "metric", run_id, "val/loss", "--json")["points"]
    assert points == [
        [0, T0 / 1000, 0.5],
        [3, T0 / 1000 + 1, "NaN"],
        [4, T0 / 1000 + 2, "-Infinity"],
        [0, T0 / 1000 + 4, 2.0],
    ]
    shown = cli_json(capsys, "runs", "show", run_id, "--json")
    assert shown["experiment"] == "hand: 'written'"
    assert shown["name"] == "a long run name that PyYAML folds onto a second line"


def test_a_second_import_adds_what_mlflow_added_since(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = "cd" * 16
    run = write_file_store(tmp_path / "mlruns", run_id, status=1)  # RUNNING
    metric = run / "metrics" / "val" / "loss"
    metric.write_text(f"{T0} 1.0 0\n{T0 + 1} 0.5 1\n")
    store = str(tmp_path / "mlruns")
    assert cli_json(capsys, "import", "mlflow", store, "--json")["metrics_points"] == 2
    shown = cli_json(capsys, "runs", "show", run_id, "--json")
    assert shown["status"] == "killed" and shown["tags"]["mlops.imported_status"] == "RUNNING"
    with metric.open("a") as fh:
        fh.write(f"{T0 + 2} 0.25 2\n")
    (run / "params").mkdir()
    (run / "params" / "lr").write_text("0.1")
    meta = (run / "meta.yaml").read_text().replace("status: 1", "status: 3")
    (run / "meta.yaml").write_text(meta)
    doc = cli_json(capsys, "import", "mlflow", store, "--json")
    assert doc == {"experiments": 0, "runs": 0, "metrics_points": 1, "models": 0, "versions": 0}
    shown = cli_json(capsys, "runs", "show", run_id, "--json")
    assert shown["status"] == "finished" and "mlops.imported_status" not in shown["tags"]
    assert shown["params"] == {"lr": "0.1"}
    points = cli_json(capsys, "runs", "metric", run_id, "val/loss", "--json")["points"]
    assert [p[2] for p in points] == [1.0, 0.5, 0.25]


@pytest.mark.parametrize("split", ["between runs", "inside a run"])
def test_cancel_midway_then_import_again_completes(
    stores: Path,
    split: str,
    temp_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mlops_desktop.services import mlflow_run_writer
    from mlops_desktop.services.bundle import Services
    from mlops_desktop.services.import_progress import ImportCancelled, ImportProgress
    from mlops_desktop.services.mlflow_import import import_mlflow

    if split == "between runs":
        monkeypatch.setattr(mlflow_run_writer, "FLUSH_RUNS", 1)
    else:
        monkeypatch.setattr(mlflow_run_writer, "FLUSH_POINTS", 2)
    seen: list[ImportProgress] = []
    with Services.open(temp_home) as services:
        with pytest.raises(ImportCancelled) as cancelled:
            import_mlflow(
                services,
                str(stores / "mlflow.db"),
                on_progress=seen.append,
                should_stop=lambda: True,  # at the first safe point: after the first transaction
            )
        first = cancelled.value.report
        assert 0 < first.runs < 5 and first.metrics_points < 11
        assert [p.phase for p in seen][:2] == ["experiments", "runs"]
        second = import_mlflow(services, str(stores / "mlflow.db"))
    assert first.runs + second.runs == 5
    assert first.metrics_points + second.metrics_points == 11
    assert second.versions == 2
    runs = runs_by_name(capsys, "wine")
    parent = cli_json(capsys, "runs", "show", runs["parent"]["id"], "--json")
    assert parent["metric_counts"] == {"acc": 3, "loss": 6}
    assert len(parent["artifacts"]) == 3 and len(parent["datasets"]) == 1
    assert runs["running"]["status"] == "killed" and runs["child"]["status"] == "failed"


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("missing-folder", "does not exist"),
        ("empty", "is not an MLflow file store"),
        ("not-sqlite.db", "is not a SQLite file"),
        ("other.db", "not an MLflow tracking database"),
        ("postgresql://me@db/mlflow", "only MLflow file stores"),
    ],
)
def test_a_bad_source_is_one_sentence(
    tmp_path: Path, source: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    (tmp_path / "empty").mkdir()
    (tmp_path / "not-sqlite.db").write_text("hello")
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE t (x)").connection.close()
    arg = source if "://" in source else str(tmp_path / source)
    capsys.readouterr()
    assert main(["import", "mlflow", arg, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert says in captured.err and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_an_old_schema_without_indexes_steps_or_datasets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An MLflow 1.0-era database: no step or is_nan column, no run_uuid index, no registry."""
    import sqlite3

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
        INSERT INTO alembic_version VALUES ('ff01da956556');
        CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY, name VARCHAR(256),
            artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32));
        CREATE TABLE runs (run_uuid VARCHAR(32) PRIMARY KEY, name VARCHAR(250),
            status VARCHAR(20), start_time BIGINT, end_time BIGINT,
            lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200), experiment_id INTEGER);
        CREATE TABLE metrics (key VARCHAR(250), value FLOAT, timestamp BIGINT,
            run_uuid VARCHAR(32), PRIMARY KEY (key, timestamp, run_uuid, value));
        CREATE TABLE params (key VARCHAR(250), value VARCHAR(250), run_uuid VARCHAR(32),
            PRIMARY KEY (key, run_uuid));
        CREATE TABLE tags (key VARCHAR(250), value VARCHAR(250), run_uuid VARCHAR(32),
            PRIMARY KEY (key, run_uuid));
        INSERT INTO experiments VALUES (0, 'Default', '', 'active'), (1, 'gone', '', 'deleted');
        """
    )
    ids = [f"{i:032x}" for i in (3, 1, 2)]
    for i, rid in enumerate(ids):
        db.execute(
            "INSERT INTO runs VALUES (?, ?, 'FINISHED', ?, ?, 'active', '', ?)",
            (rid, f"r{i}", T0, T0 + 1, 1 if i == 2 else 0),
        )
        db.execute("INSERT INTO params VALUES ('i', ?, ?)", (str(i), rid))
        db.execute("INSERT INTO tags VALUES ('mlflow.user', 'ana', ?)", (rid,))
        for t in range(3):
            db.execute("INSERT INTO metrics VALUES ('m', ?, ?, ?)", (t + i / 10, T0 + t, rid))
    db.commit()
    db.close()
    doc = cli_json(capsys, "import", "mlflow", str(path), "--json")
    assert doc == {"experiments": 2, "runs": 3, "metrics_points": 9, "models": 0, "versions": 0}
    runs = runs_by_name(capsys, "Default")
    assert sorted(runs) == ["r0", "r1"]
    for name, run in runs.items():
        shown = cli_json(capsys, "runs", "show", run["id"], "--json")
        assert shown["params"] == {"i": name[1]} and shown["tags"]["mlflow.user"] == "ana"
        points = cli_json(capsys, "runs", "metric", run["id"], "m", "--json")["points"]
        assert points == [[0, (T0 + t) / 1000, t + int(name[1]) / 10] for t in range(3)]
    assert [t["name"] for t in cli_json(capsys, "runs", "trash", "--json")] == ["r2"]
