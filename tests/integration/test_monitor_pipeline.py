"""A monitor that retrains through a pipeline: a real drift alert starts the real four-stage
pipeline (its retrain command ``pipeline:PATH`` / ``pipeline:NAME``) through the trigger
service, once per alert; the alert records the pipeline run, whose gate registers the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from pipeline_project import write_project

from mlops_desktop.cli import main
from mlops_desktop.core.drift import RetrainSpec
from mlops_desktop.core.errors import MonitorError, PipelineError
from mlops_desktop.core.pipelines import PipelineRunInfo
from mlops_desktop.services.bundle import Services

COLUMNS = ("a", "b", "c")


def _window(path: Path, shift: float, seed: int, n: int = 300) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, size=(n, len(COLUMNS))) * (1 + shift) + 2 * shift
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(pa.table({c: np.round(x[:, i], 5) for i, c in enumerate(COLUMNS)}), path)


def _drift_monitor(services: Services, tmp_path: Path, retrain: str, auto: bool) -> Path:
    """A dataset monitor over cells@v1 whose windows drift into an alert at the next check."""
    _window(tmp_path / "cells" / "cells.csv", 0.0, 1, n=600)
    services.datasets.add(tmp_path / "cells", "cells", snapshot=True)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    services.monitors.add(
        "cells-mon",
        reference="cells@v1",
        current_folder=str(incoming),
        alert_after=2,
        alert_window=3,
        retrain=RetrainSpec(command=(retrain,)),
        rules={"auto_retrain": True} if auto else None,
    )
    for i, shift in enumerate((0.0, 1.0, 1.0)):
        _window(incoming / f"batch-{i:02d}.csv", shift, 10 + i)
    return incoming


def _assert_started(services: Services, run: PipelineRunInfo, alert_id: int) -> None:
    assert run.pipeline == "wine-classifier" and run.state == "done"
    assert (run.trigger, run.trigger_detail) == ("monitor", f"alert {alert_id} of cells-mon")
    assert [s.state for s in run.stages] == ["done"] * 4
    (gate,) = run.gates
    assert gate.passed and gate.version == 1 and gate.approval == "waiting"
    (alert,) = services.monitors.alerts("cells-mon")
    assert alert.id == alert_id and alert.retrain_run == run.run_id
    (event,) = services.pipelines.triggers("wine-classifier")
    assert (event.kind, event.pipeline_run_id) == ("monitor", run.run_id)


def test_an_alert_retrains_by_itself_through_the_pipeline_once(
    temp_home: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "wine").parent
    with Services.open(temp_home) as services:
        _drift_monitor(services, tmp_path, f"pipeline:{project}", auto=True)
        checked = services.monitors.check("cells-mon")  # the alert starts the pipeline
        (alert,) = checked.alerts
        (going,) = services.pipelines.runs("wine-classifier")
        run = services.pipelines.wait(going.run_id, timeout_s=120)  # a trigger runs it behind
        _assert_started(services, run, alert.id)
        assert alert.retrain_run == run.run_id
        # the same alert again, by the button or by the app's periodic check: nothing starts
        with pytest.raises(MonitorError, match=f"Alert {alert.id} of 'cells-mon' did not start"):
            services.monitors.retrain("cells-mon", alert.id)
        assert services.triggers.check_alerts() == []
        assert len(services.pipelines.runs("wine-classifier")) == 1


def test_the_retrain_button_starts_the_named_pipeline(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    project = write_project(tmp_path / "wine").parent
    with Services.open(temp_home) as services:
        services.pipelines.add(project)
        _drift_monitor(services, tmp_path, "pipeline:wine-classifier", auto=False)
        (alert,) = services.monitors.check("cells-mon").alerts
        assert services.pipelines.runs("wine-classifier") == []  # not by itself
    assert main(["monitors", "retrain", "cells-mon", "--json"]) == 0
    launched: Any = json.loads(capsys.readouterr().out)
    assert launched["target"] == "pipeline:wine-classifier" and launched["state"] == "done"
    with Services.open(temp_home) as services:
        (run,) = services.pipelines.runs("wine-classifier")
        assert launched["run"] == run.run_id == launched["pipeline"]["run_id"]
        _assert_started(services, run, alert.id)
    assert main(["monitors", "retrain", "cells-mon"]) == 2  # the alert started it already
    assert "did not start pipeline wine-classifier" in capsys.readouterr().err


def test_a_retrain_naming_no_pipeline_says_so(temp_home: Path, tmp_path: Path) -> None:
    with Services.open(temp_home) as services:
        _drift_monitor(services, tmp_path, "pipeline:nowhere", auto=False)
        (alert,) = services.monitors.check("cells-mon").alerts
        with pytest.raises(PipelineError, match="neither a pipeline the catalog knows"):
            services.monitors.retrain("cells-mon", alert.id)
        assert services.pipelines.triggers() == []
        assert services.monitors.alerts("cells-mon")[0].retrain_run is None


def test_a_retrain_path_whose_pipeline_name_is_taken_says_so(
    temp_home: Path, tmp_path: Path
) -> None:
    known = write_project(tmp_path / "one")
    other = write_project(tmp_path / "two").parent  # the same name: wine-classifier
    with Services.open(temp_home) as services:
        services.pipelines.add(known)
        _drift_monitor(services, tmp_path, f"pipeline:{other}", auto=False)
        (alert,) = services.monitors.check("cells-mon").alerts
        with pytest.raises(PipelineError, match=f"like the one the catalog knows at {known}"):
            services.monitors.retrain("cells-mon", alert.id)
        assert services.triggers.check_alerts() == []  # the app's check: logged, nothing run
        assert services.pipelines.runs() == [] and services.pipelines.triggers() == []
        (info,) = services.pipelines.list()
        assert Path(info.path) == known


def _wine_windows(source: Path, folder: Path) -> None:
    """Three windows of the wine rows, labelled, the last two with shifted features."""
    table = pacsv.read_csv(source)
    rng = np.random.default_rng(5)
    folder.mkdir()
    for i, shift in enumerate((0.0, 1.5, 1.5)):
        pick = rng.choice(table.num_rows, size=120, replace=True)
        rows = table.take(pa.array(pick))
        columns = {
            c: rows.column(c).to_numpy() * (1 + shift) if c != "target" else rows.column(c)
            for c in rows.column_names
        }
        pacsv.write_csv(pa.table(columns), folder / f"window-{i:02d}.csv")


def test_a_model_monitor_scores_the_challenger_its_pipeline_registered(
    temp_home: Path, tmp_path: Path
) -> None:
    from pipeline_project import set_param

    path = write_project(tmp_path / "wine")
    project = path.parent
    # any new model passes this gate (the test is about who scores it, not the gate)
    path.write_text(path.read_text().replace("champion + 0.005", "champion - 0.5"))
    with Services.open(temp_home) as services:
        first = services.pipelines.run(project)
        services.pipelines.approve(first.run_id)  # wine-classifier:1 is the champion
        _wine_windows(project / "data" / "wine.csv", tmp_path / "incoming")
        services.monitors.add(
            "wine-mon",
            model="wine-classifier@champion",
            reference=str(project / "data" / "wine.csv"),
            current_folder=str(tmp_path / "incoming"),
            alert_after=2,
            alert_window=3,
            label_column="target",
            retrain=RetrainSpec(command=("pipeline:wine-classifier",)),
        )
        (alert,) = services.monitors.check("wine-mon").alerts
        set_param(project, "train", "C", 0.5)  # the retrain trains another model
        started = services.monitors.retrain("wine-mon", alert.id)
        assert isinstance(started, PipelineRunInfo)
        run = services.pipelines.wait(started.run_id, timeout_s=120)  # it runs behind
        assert run.state == "done"
        assert [g.version for g in run.gates] == [2]
        scores = services.monitors.scores("wine-mon", allow_unsandboxed=True)
    champion, challenger = scores
    assert (champion.version, champion.aliases, champion.alert_id) == ("1", ("champion",), None)
    assert challenger.version == "2" and challenger.aliases == ("challenger",)
    assert challenger.alert_id == alert.id and challenger.problem is None
    assert set(challenger.metrics) >= {"accuracy", "f1"}
