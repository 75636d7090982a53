"""The register stage of a pipeline run: its gate is judged against the champion and kept in
the catalog; a passing model waits as challenger until ``pipelines approve`` makes it champion;
a worse one is refused and registers nothing (the gate reads the metrics files and the
metrics the model's run logged); ``pipelines reject`` keeps the champion."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.cli import main
from mlops_desktop.cli.exit_codes import ExitCode
from mlops_desktop.services.bundle import Services

TRAIN = """\
import json, yaml
import mlops_desktop as mlops
acc = yaml.safe_load(open("params.yaml"))["acc"]
with mlops.start_run() as run:  # the stage's run: a metric the gate reads too
    run.log_metric("train/loss", 1.0 - acc)
open("model.bin", "w").write(f"model of accuracy {acc}\\n")
json.dump({"val": {"acc": acc}}, open("metrics.json", "w"))
"""

PIPELINE = f"""\
name: gated
stages:
  train:
    cmd: {sys.executable} train.py
    params: [acc]
    outs: [model.bin]
    metrics: [metrics.json]
  register:
    deps: [metrics.json, model.bin]
    register:
      model: gated-model
      from: model.bin
      when: ["metrics.val/acc >= champion + 0.005", "metrics.train/loss <= 0.5"]
"""


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main([*args, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def run_with(capsys: pytest.CaptureFixture[str], root: Path, acc: float) -> dict[str, Any]:
    (root / "params.yaml").write_text(f"acc: {acc}\n")
    code, doc, err = cli_json(capsys, "pipelines", "run", str(root))
    assert code == ExitCode.OK, err
    return doc  # type: ignore[no-any-return]


def aliases(temp_home: Path) -> dict[int, list[str]]:
    with Services.open(temp_home) as services:
        return {v.version: sorted(v.aliases) for v in services.models.versions("gated-model")}


def test_gate_refuses_worse_passes_better_and_waits_for_approval(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "gated"
    root.mkdir()
    (root / "train.py").write_text(TRAIN)
    (root / "pipeline.yaml").write_text(textwrap.dedent(PIPELINE))

    first = run_with(capsys, root, 0.80)
    [gate] = first["gates"]
    assert gate["passed"] and gate["version"] == 1 and gate["approval"] == "waiting"
    assert gate["metrics"]["val/acc"] == 0.80
    assert gate["metrics"]["train/loss"] == pytest.approx(0.2)  # from the train stage's run
    register = next(s for s in first["stages"] if s["stage"] == "register")
    assert register["state"] == "done" and "waiting" in register["detail"]
    assert aliases(temp_home) == {1: ["challenger"]}

    code, approved, err = cli_json(capsys, "pipelines", "approve", first["run_id"][:10])
    assert code == 0, err
    assert approved["approval"] == "approved" and approved["decided_by"]
    assert aliases(temp_home) == {1: ["champion"]}
    code, shown, _ = cli_json(capsys, "pipelines", "show", first["run_id"])
    assert shown["gates"][0]["approval"] == "approved"

    worse = run_with(capsys, root, 0.70)
    [gate] = worse["gates"]
    assert not gate["passed"] and gate["version"] is None and gate["approval"] == "none"
    assert any("0.70" in line or "0.7" in line for line in gate["evidence"])
    assert gate["evidence"][-1].startswith("refused")
    assert aliases(temp_home) == {1: ["champion"]}  # nothing registered
    code, _, err = cli_json(capsys, "pipelines", "approve", worse["run_id"])
    assert code == ExitCode.USER_ERROR and "refused" in err and len(err.splitlines()) == 1

    better = run_with(capsys, root, 0.90)
    [gate] = better["gates"]
    assert gate["passed"] and gate["version"] == 2 and gate["approval"] == "waiting"
    assert aliases(temp_home) == {1: ["champion"], 2: ["challenger"]}
    code, rejected, err = cli_json(capsys, "pipelines", "reject", better["run_id"])
    assert code == 0 and rejected["approval"] == "rejected", err
    assert aliases(temp_home) == {1: ["champion"], 2: []}
    code, listed, _ = cli_json(capsys, "pipelines", "list")
    assert listed[0]["name"] == "gated" and listed[0]["waiting_approvals"] == 0
