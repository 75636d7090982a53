"""What the ``pipelines`` commands print: the JSON documents (the core's ``to_json``) and text
for a person (a table of stages, gates with their evidence, a failed stage's log tail)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlops_desktop.cli.output import iso_time, printable, printable_lines, text_table
from mlops_desktop.core.pipelines import (
    GateResult,
    Pipeline,
    PipelineInfo,
    PipelineRunInfo,
    StageRun,
    StageStatus,
    TriggerEvent,
)
from mlops_desktop.core.plural import count_noun

SHORT_ID = 12


def status_document(pipeline: Pipeline, statuses: Sequence[StageStatus]) -> dict[str, Any]:
    """``pipelines status --json``: {"pipeline", "path", "stages": [StageStatus.to_json()]}."""
    return {
        "pipeline": pipeline.name,
        "path": str(pipeline.path),
        "stages": [s.to_json() for s in statuses],
    }


def status_text(pipeline: Pipeline, statuses: Sequence[StageStatus]) -> str:
    """A line on the pipeline, then a row per stage: its state and why it would run."""
    stale = sum(1 for s in statuses if s.state == "stale")
    restore = sum(1 for s in statuses if s.state == "restorable")
    if stale or restore:
        parts = [f"{stale} of {count_noun(len(statuses), 'stage')} would run"] if stale else []
        if restore:
            parts.append(f"{count_noun(restore, 'stage')} would be restored from the store")
        head = f"{pipeline.name} ({pipeline.path.name}): {', '.join(parts)}."
    else:
        head = f"{pipeline.name} ({pipeline.path.name}): up to date, nothing would run."
    rows = [["STAGE", "STATE", "WHY"]]
    rows += [[s.name, s.state, "; ".join(s.reasons)] for s in statuses]
    return head + "\n" + text_table(rows)


def stage_line(stage: StageRun) -> str:
    """One stage's change, as ``pipelines run`` tells it while it goes."""
    run = stage.run_id or stage.source_run_id
    where = f" on {stage.target}" if stage.state == "running" and stage.target != "local" else ""
    ref = f" (run {run[:SHORT_ID]})" if run else ""
    detail = stage.detail.strip().splitlines()
    why = f": {detail[0]}" if detail and stage.state not in ("failed",) else ""
    return printable(f"{stage.stage}: {stage.state}{where}{ref}{why}")


def run_document(run: PipelineRunInfo) -> dict[str, Any]:
    """``pipelines run|show --json``: PipelineRunInfo.to_json()."""
    return run.to_json()


def run_text(run: PipelineRunInfo) -> str:
    """The run's state, a row per stage, each gate with its evidence, and the log tail of
    every failed stage."""
    when = iso_time(run.started_at)
    trigger = run.trigger + (f": {run.trigger_detail}" if run.trigger_detail else "")
    lines = [
        f"Pipeline {run.pipeline}, run {run.run_id[:SHORT_ID]}: {run.state} "
        f"(started {when}, {trigger})"
    ]
    rows = [["STAGE", "STATE", "RUN", "TARGET", "WHY"]]
    for st in run.stages:
        made = st.run_id or (f"from {st.source_run_id[:SHORT_ID]}" if st.source_run_id else "")
        why = "; ".join(st.reasons)
        if st.state == "failed":
            why = "see its log below"
        elif st.state in ("blocked", "cancelled") and st.detail:
            why = st.detail
        rows.append(
            [
                st.stage,
                st.state,
                made[: SHORT_ID + 5] if not st.run_id else st.run_id[:SHORT_ID],
                st.target,
                why,
            ]
        )
    lines.append(text_table(rows))
    for gate in run.gates:
        lines.append("")
        lines.append(gate_text(gate, run.run_id))
    for st in run.stages:
        if st.state == "failed" and st.detail:
            lines.append("")
            lines.append(f"Stage {st.stage} failed:")
            lines += [f"  {line}" for line in st.detail.splitlines()]
    return printable_lines("\n".join(lines))


def gate_text(gate: GateResult, run_id: str | None = None) -> str:
    """A gate's outcome and its evidence lines (with how to approve when it waits)."""
    if not gate.passed:
        head = f"Gate {gate.stage} ({gate.model}): refused"
    else:
        version = f"{gate.model}:{gate.version}" if gate.version is not None else gate.model
        head = f"Gate {gate.stage} ({version}): {gate.approval}"
        if gate.approval == "waiting" and run_id:
            head += (
                f"; approve with `mlops-desktop pipelines approve {run_id[:SHORT_ID]}`"
                f" or refuse with `pipelines reject`"
            )
    return "\n".join([head, *(f"  {line}" for line in gate.evidence)])


def gate_document(gate: GateResult) -> dict[str, Any]:
    return gate.to_json()


def decided_text(gate: GateResult) -> str:
    return printable_lines(gate_text(gate))


def pipelines_document(pipelines: Sequence[PipelineInfo]) -> list[dict[str, Any]]:
    """``pipelines list --json``: [PipelineInfo.to_json()]."""
    return [p.to_json() for p in pipelines]


def pipelines_text(pipelines: Sequence[PipelineInfo]) -> str:
    if not pipelines:
        return (
            "No pipelines yet. Run one with `mlops-desktop pipelines run FOLDER` (a folder "
            "holding pipeline.yaml or dvc.yaml)."
        )
    rows = [["NAME", "STAGES", "LAST RUN", "STATE", "WAITING", "PATH"]]
    for p in pipelines:
        last = p.last_run_id[:SHORT_ID] if p.last_run_id else "-"
        rows.append(
            [p.name, str(p.stages), last, p.last_state or "-", str(p.waiting_approvals), p.path]
        )
    return text_table(rows)


def runs_document(runs: Sequence[PipelineRunInfo]) -> list[dict[str, Any]]:
    return [r.to_json() for r in runs]


def runs_text(runs: Sequence[PipelineRunInfo]) -> str:
    if not runs:
        return "No pipeline runs yet."
    rows = [["RUN", "PIPELINE", "STATE", "STARTED", "TRIGGER", "RAN", "CACHED"]]
    for r in runs:
        ran = sum(1 for s in r.stages if s.state in ("done", "running", "failed"))
        cached = sum(1 for s in r.stages if s.state in ("cached", "restored"))
        rows.append(
            [
                r.run_id[:SHORT_ID],
                r.pipeline,
                r.state,
                iso_time(r.started_at) or "",
                r.trigger,
                str(ran),
                str(cached),
            ]
        )
    return text_table(rows)


def triggers_document(events: Sequence[TriggerEvent]) -> list[dict[str, Any]]:
    return [e.to_json() for e in events]


def triggers_text(events: Sequence[TriggerEvent]) -> str:
    if not events:
        return "No triggers have fired yet."
    rows = [["AT", "PIPELINE", "KIND", "DETAIL", "RUN", "OUTCOME"]]
    for e in events:
        run = e.pipeline_run_id[:SHORT_ID] if e.pipeline_run_id else "-"
        rows.append([iso_time(e.at) or "", e.pipeline, e.kind, e.detail, run, e.outcome])
    return text_table(rows)
