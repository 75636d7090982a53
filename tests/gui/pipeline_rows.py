"""Real pipeline dataclasses for the Pipelines pane's widget tests: the four-stage wine
pipeline (prepare -> train -> evaluate -> register), its status and its runs."""

from __future__ import annotations

from pathlib import Path

from mlops_desktop.core.pipelines import (
    GateResult,
    Pipeline,
    PipelineInfo,
    PipelineRunInfo,
    RegisterGate,
    Stage,
    StageOut,
    StageRun,
    StageStatus,
    TriggerEvent,
)

T0 = 1_760_000_000.0
STAGES = ("prepare", "train", "evaluate", "register")


def wine_pipeline(root: Path = Path("/tmp/wine")) -> Pipeline:
    return Pipeline(
        path=root / "pipeline.yaml",
        root=root,
        name="wine",
        kind="mlops",
        stages=(
            Stage(
                "prepare",
                ("python prepare.py",),
                deps=("prepare.py", "data/raw.csv"),
                outs=(StageOut("data/prepared"),),
            ),
            Stage(
                "train",
                ("python train.py",),
                deps=("data/prepared/train.csv",),
                outs=(StageOut("model.joblib"),),
                target="ssh:gpu1",
                gpus=1,
            ),
            Stage(
                "evaluate",
                ("python evaluate.py",),
                deps=("model.joblib", "data/prepared"),
                outs=(StageOut("metrics.json", cache=False, metric=True),),
            ),
            Stage(
                "register",
                deps=("metrics.json",),
                register=RegisterGate(
                    "wine-classifier", "model.joblib", ("metrics.acc >= champion + 0.005",)
                ),
            ),
        ),
    )


def statuses(*states: str) -> list[StageStatus]:
    reasons = {"stale": ("param train.C changed: 1.0 -> 2.0",), "cached": ()}
    return [
        StageStatus(name, state, reasons.get(state, ()), f"fp-{name}", f"run-{name}-0000")
        for name, state in zip(STAGES, states)
    ]


def gate(run_id: str, passed: bool = True, approval: str = "waiting") -> GateResult:
    check = (
        "metrics.acc 0.97 >= champion 0.94 + 0.005 = 0.945: holds"
        if passed
        else "metrics.acc 0.9 >= champion 0.94 + 0.005 = 0.945: fails"
    )
    return GateResult(
        pipeline_run_id=run_id,
        stage="register",
        model="wine-classifier",
        passed=passed,
        evidence=("champion wine-classifier:3 (metrics from its tags)", check),
        version=4 if passed else None,
        approval=approval if passed else "none",
        metrics={"acc": 0.97 if passed else 0.9, "f1": 0.96},
        checks=((check, passed),),
    )


def pipeline_run(
    run_id: str, state: str = "done", *stage_states: str, gates: tuple[GateResult, ...] = ()
) -> PipelineRunInfo:
    states = stage_states or ("done", "done", "done", "done")
    return PipelineRunInfo(
        run_id=run_id,
        pipeline="wine",
        path="/tmp/wine/pipeline.yaml",
        state=state,
        started_at=T0,
        ended_at=None if state == "running" else T0 + 42,
        trigger="dataset",
        trigger_detail="wine v4",
        user="ana",
        host="lab1",
        stages=tuple(
            StageRun(
                name,
                st,
                run_id=f"{run_id}-{name}" if st in ("done", "failed") else None,
                source_run_id="run-old" if st == "cached" else None,
                detail="Traceback: boom" if st == "failed" else "",
            )
            for name, st in zip(STAGES, states)
        ),
        gates=gates,
    )


def trigger(event_id: int, run_id: str | None) -> TriggerEvent:
    return TriggerEvent(
        event_id,
        "wine",
        "dataset",
        "wine v4",
        T0 + event_id,
        run_id,
        "started" if run_id else "a run of this pipeline was already going",
        "ana",
        "lab1",
    )


def info(name: str = "wine", last_state: str | None = "done") -> PipelineInfo:
    return PipelineInfo(
        name,
        f"/tmp/{name}/pipeline.yaml",
        "mlops",
        4,
        T0,
        "r1",
        last_state,
        T0 + 50,
        waiting_approvals=1,
    )
