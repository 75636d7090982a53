"""The command line against a real catalog: JSON contracts, errors, kill -9, many writers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mlops_desktop as mlops
from mlops_desktop.cli import main


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    assert main([*args]) == 0
    return json.loads(capsys.readouterr().out)


def log_three_runs() -> list[str]:
    ids = []
    for i, lr in enumerate([0.1, 0.01, 0.001]):
        with mlops.start_run(
            "cli-exp",
            name=f"r{i}",
            params={"lr": lr, "opt": "sgd"},
            tags={"team": "vision" if i else "nlp"},
        ) as run:
            for step in range(5):
                run.log_metric("loss", 1.0 / (step + 1 + i), step=step)
            run.log_metric("acc", 0.5 + 0.2 * i)
            run.log_metric("odd", float("nan"))
            ids.append(run.id)
    return ids


def test_runs_list_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    ids = log_three_runs()
    runs = cli_json(capsys, "runs", "list", "--json")
    assert isinstance(runs, list) and len(runs) == 3
    assert [r["id"] for r in runs] == ids[::-1], "newest first"
    keys = {
        "id",
        "experiment",
        "name",
        "status",
        "params",
        "metrics",
        "tags",
        "started_at",
        "ended_at",
        "target",
    }
    assert all(keys <= set(r) for r in runs)
    last = runs[0]
    assert last["status"] == "finished" and last["experiment"] == "cli-exp"
    assert last["params"] == {"lr": 0.001, "opt": "sgd"}
    assert last["metrics"]["loss"] == pytest.approx(1.0 / 7)
    assert last["metrics"]["odd"] == "NaN"


def test_runs_list_filter_and_experiment(capsys: pytest.CaptureFixture[str]) -> None:
    log_three_runs()
    runs = cli_json(
        capsys,
        "runs",
        "list",
        "--experiment",
        "cli-exp",
        "--filter",
        'metrics.acc > 0.6 and tags.team = "vision"',
        "--json",
    )
    assert [r["name"] for r in runs] == ["r2", "r1"]


def test_runs_show_and_metric(capsys: pytest.CaptureFixture[str]) -> None:
    ids = log_three_runs()
    doc = cli_json(capsys, "runs", "show", ids[0][:8], "--json")
    assert doc["id"] == ids[0]
    user_counts = {k: n for k, n in doc["metric_counts"].items() if not k.startswith("sys/")}
    assert user_counts == {"loss": 5, "acc": 1, "odd": 1}
    assert {"git", "env", "datasets", "artifacts"} <= set(doc)
    series = cli_json(capsys, "runs", "metric", ids[0], "loss", "--json")
    assert series["key"] == "loss"
    assert [p[0] for p in series["points"]] == [0, 1, 2, 3, 4]
    assert series["points"][0][2] == pytest.approx(1.0)


def test_user_errors_are_sentences_not_tracebacks(capsys: pytest.CaptureFixture[str]) -> None:
    log_three_runs()
    assert main(["runs", "list", "--filter", "metrics.acc >"]) == 2
    err = capsys.readouterr().err
    assert "column" in err and "Traceback" not in err
    assert main(["runs", "show", "ffffffffffff"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main(["runs", "list", "--experiment", "no-such-experiment"]) == 2


def test_human_table(capsys: pytest.CaptureFixture[str]) -> None:
    log_three_runs()
    assert main(["runs", "list"]) == 0
    out = capsys.readouterr().out
    assert "cli-exp" in out and "r2" in out


KILLED_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import mlops_desktop as mlops
    run = mlops.start_run("kill9", name="victim")
    for i in range(20000):
        run.log_metric("x", float(i), step=i)
    run.flush()
    print(run.id, flush=True)
    for i in range(20000, 10**9):
        run.log_metric("x", float(i), step=i)
        if i % 1000 == 0:
            time.sleep(0.001)
    """
)


def test_kill9_after_flush_loses_nothing(
    temp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_SCRIPT],
        stdout=subprocess.PIPE,
        env=dict(os.environ),
        text=True,
    )
    assert proc.stdout is not None
    run_id = proc.stdout.readline().strip()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    series = cli_json(capsys, "runs", "metric", run_id, "x", "--json")
    steps = [p[0] for p in series["points"]]
    assert steps[:20000] == list(range(20000)), "every flushed point is in the catalog"
    assert steps == sorted(set(steps)), "no duplicates"
    again = cli_json(capsys, "runs", "metric", run_id, "x", "--json")
    assert len(again["points"]) == len(steps), "a second ingest adds nothing"
    show = cli_json(capsys, "runs", "show", run_id, "--json")
    assert show["status"] == "killed"


WRITER_SCRIPT = textwrap.dedent(
    """
    import sys
    import mlops_desktop as mlops
    k = int(sys.argv[1])
    with mlops.start_run("many", name=f"writer-{k}", params={"k": k}) as run:
        for i in range(5000):
            run.log_metrics({"a": float(i), "b": float(k)}, step=i)
            if i % 1000 == 0:
                run.flush()
    """
)


def test_eight_processes_logging_while_ingesting(capsys: pytest.CaptureFixture[str]) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER_SCRIPT, str(k)],
            env=dict(os.environ),
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(8)
    ]
    ingests = 0
    while any(p.poll() is None for p in procs):
        assert main(["runs", "list", "--experiment", "many", "--json"]) in (0, 2)
        captured = capsys.readouterr()
        assert "locked" not in captured.err
        ingests += 1
    for p in procs:
        _, err = p.communicate()
        assert p.returncode == 0, err
        assert "locked" not in err
    runs = cli_json(capsys, "runs", "list", "--experiment", "many", "--json")
    assert len(runs) == 8
    for r in runs:
        assert r["status"] == "finished"
        doc = cli_json(capsys, "runs", "show", r["id"], "--json")
        # A run slower than a second under load also samples itself (sys/...): not counted.
        user_counts = {k: n for k, n in doc["metric_counts"].items() if not k.startswith("sys/")}
        assert user_counts == {"a": 5000, "b": 5000}
    assert ingests >= 1


@pytest.mark.slow
def test_demo_builds_once(temp_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    counts = cli_json(capsys, "demo", "--no-gui", "--json")
    assert counts["runs"] >= 24 and counts["experiments"] >= 2 and counts["pipelines"] == 1
    again = cli_json(capsys, "demo", "--no-gui", "--json")
    assert again == counts
    runs = cli_json(capsys, "runs", "list", "--json")
    statuses = {r["status"] for r in runs}
    assert statuses == {"finished", "failed"}
    assert any(r["metrics"] for r in runs)
    _check_demo_pipeline(temp_home, capsys)
    (temp_home / "demo.json").write_text('{"version": 5}')  # a home of the previous demo
    assert cli_json(capsys, "demo", "--no-gui", "--json") == counts  # the pipeline ran once


def _check_demo_pipeline(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Three runs of the demo pipeline: approved first, all cached, triggered by wine v5."""
    (listed,) = cli_json(capsys, "pipelines", "list", "--json")  # type: ignore[misc]
    assert listed["name"] == "wine-cultivar" and listed["waiting_approvals"] == 1
    folder = home / "demo-pipeline"
    assert Path(listed["path"]) == folder / "pipeline.yaml"
    status = cli_json(capsys, "pipelines", "status", str(folder), "--json")
    assert [s["state"] for s in status["stages"]] == ["cached"] * 4  # type: ignore[index]
    (trigger,) = cli_json(capsys, "pipelines", "triggers", "--json")  # type: ignore[misc]
    assert (trigger["kind"], trigger["detail"]) == ("dataset", "wine v5")
    assert trigger["outcome"] == "started"
    third = cli_json(capsys, "pipelines", "show", trigger["pipeline_run_id"], "--json")
    assert isinstance(third, dict)
    from mlops_desktop.services.bundle import Services

    with Services.open(home) as services:
        first, second, newest = reversed(services.pipelines.runs("wine-cultivar"))
        wine = services.datasets.versions("wine")[0]
    assert newest.run_id == third["run_id"] == listed["last_run_id"]
    assert [r.trigger for r in (first, second, newest)] == ["manual", "manual", "dataset"]
    assert {r.state for r in (first, second, newest)} == {"done"}
    assert [s.state for s in first.stages] == ["done"] * 4
    assert [s.state for s in second.stages] == ["cached"] * 4
    assert all(s.run_id is None and s.source_run_id for s in second.stages[:3])
    assert [s.state for s in newest.stages] == ["done"] * 4
    assert newest.stages[0].reasons == ("dataset wine: v4 -> v5",) and wine.version == "v5"
    (gate1,) = first.gates
    assert gate1.passed and gate1.approval == "approved" and gate1.version == 1
    assert "no champion yet" in gate1.evidence[0]
    (gate3,) = third["gates"]
    assert gate3["passed"] and gate3["approval"] == "waiting" and gate3["version"] == 2
    assert gate3["metrics"]["val/acc"] > gate1.metrics["val/acc"] + 0.005  # real, better
    model = cli_json(capsys, "models", "show", "wine-cultivar@challenger", "--json")
    assert model["version"] == 2  # type: ignore[index]
    assert cli_json(capsys, "models", "show", "wine-cultivar@champion", "--json")["version"] == 1  # type: ignore[index]
