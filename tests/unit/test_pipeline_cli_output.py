"""What the ``pipelines`` commands print for a person: the status table, a run with a failed
stage's log and a waiting gate, one line per stage change, and the empty lists."""

from __future__ import annotations

from pathlib import Path

from mlops_desktop.cli import pipelines_output as out
from mlops_desktop.core.pipelines import (
    GateResult,
    Pipeline,
    PipelineRunInfo,
    Stage,
    StageRun,
    StageStatus,
)

PIPE = Pipeline(
    path=Path("/p/wine/pipeline.yaml"),
    root=Path("/p/wine"),
    name="wine",
    kind="mlops",
    stages=(Stage("prepare"), Stage("train")),
)
FAILED_LOG = "exit code 1\nValueError: \x1b[31m"  # a terminal escape in the log: shown escaped
RUN_ID = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"


def test_status_says_what_would_run_and_why() -> None:
    statuses = [
        StageStatus("prepare", "cached", (), "f1", "r" * 32),
        StageStatus("train", "stale", ("param train.C changed: 1.0 -> 0.5",)),
        StageStatus("evaluate", "restorable", ("out metrics.json missing",)),
    ]
    text = out.status_text(PIPE, statuses)
    first, header, *rows = text.splitlines()
    assert first == (
        "wine (pipeline.yaml): 1 of 3 stages would run, 1 stage would be restored from the store."
    )
    assert header.split() == ["STAGE", "STATE", "WHY"]
    assert rows[1].split(None, 2) == ["train", "stale", "param train.C changed: 1.0 -> 0.5"]
    doc = out.status_document(PIPE, statuses)
    assert doc["pipeline"] == "wine" and doc["path"] == "/p/wine/pipeline.yaml"
    assert [s["state"] for s in doc["stages"]] == ["cached", "stale", "restorable"]
    cached = [StageStatus("prepare", "cached"), StageStatus("train", "cached")]
    assert out.status_text(PIPE, cached).startswith("wine (pipeline.yaml): up to date")


def test_a_run_shows_its_failed_stage_log_and_its_waiting_gate() -> None:
    run = PipelineRunInfo(
        run_id=RUN_ID,
        pipeline="wine",
        path="/p/wine/pipeline.yaml",
        state="failed",
        started_at=1_700_000_000.0,
        trigger="dataset",
        trigger_detail="wine v4",
        stages=(
            StageRun("prepare", "cached", source_run_id="9" * 32),
            StageRun(
                "train", "failed", run_id="7" * 32, detail="exit code 1\nValueError: \x1b[31m"
            ),
            StageRun("evaluate", "blocked", detail="not run: train failed"),
        ),
        gates=(
            GateResult(
                RUN_ID,
                "register",
                "wine-clf",
                True,
                ("metrics.val/acc 0.93 >= 0.9: holds",),
                4,
                approval="waiting",
            ),
        ),
    )
    text = out.run_text(run)
    assert text.startswith("Pipeline wine, run 1a2b3c4d5e6f: failed (started ")
    assert "dataset: wine v4)" in text.splitlines()[0]
    rows = {line.split()[0]: line for line in text.splitlines()[2:5]}
    assert "from 999999999999" in rows["prepare"]
    assert "see its log below" in rows["train"] and "777777777777" in rows["train"]
    assert rows["evaluate"].rstrip().endswith("not run: train failed")
    assert "Stage train failed:\n  exit code 1\n  ValueError: \\x1b[31m" in text  # escaped
    assert "Gate register (wine-clf:4): waiting; approve with `mlops-desktop pipelines" in text
    assert "  metrics.val/acc 0.93 >= 0.9: holds" in text
    assert out.run_document(run)["stages"][1]["run_id"] == "7" * 32


def test_a_waiting_gate_says_how_to_approve() -> None:
    gate = GateResult(RUN_ID, "register", "wine-clf", True, ("ok",), 4, approval="waiting")
    assert out.gate_text(gate, RUN_ID).splitlines()[0] == (
        "Gate register (wine-clf:4): waiting; approve with "
        "`mlops-desktop pipelines approve 1a2b3c4d5e6f` or refuse with `pipelines reject`"
    )
    refused = GateResult(RUN_ID, "register", "wine-clf", False, ("refused: 1 of 1 failed",))
    assert out.gate_text(refused).splitlines() == [
        "Gate register (wine-clf): refused",
        "  refused: 1 of 1 failed",
    ]


def test_stage_lines_and_empty_lists() -> None:
    assert out.stage_line(StageRun("train", "running", run_id="ab" * 16, target="ssh:gpu1")) == (
        "train: running on ssh:gpu1 (run abababababab)"
    )
    assert out.stage_line(StageRun("train", "failed", run_id="ab" * 16, detail="boom")) == (
        "train: failed (run abababababab)"
    )
    assert out.stage_line(StageRun("eval", "blocked", detail="not run: train failed")) == (
        "eval: blocked: not run: train failed"
    )
    assert "pipelines run FOLDER" in out.pipelines_text([])
    assert out.runs_text([]) == "No pipeline runs yet."
    assert out.triggers_text([]) == "No triggers have fired yet."
