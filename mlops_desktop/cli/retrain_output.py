"""What ``monitors retrain``, ``monitors scores`` and ``monitors promote`` print."""

from __future__ import annotations

from typing import Any

from mlops_desktop.core.compute import JobInfo
from mlops_desktop.core.drift import ModelScore
from mlops_desktop.core.models import ModelVersion
from mlops_desktop.core.pipelines import PipelineRunInfo


def retrain_document(job: JobInfo | PipelineRunInfo) -> dict[str, Any]:
    """``{run, target, state, name, experiment}`` of the launched retrain run; a retrain
    through a pipeline: its pipeline run (target ``pipeline:NAME``), the whole run under
    ``pipeline`` (as ``pipelines show --json`` prints it)."""
    if isinstance(job, PipelineRunInfo):
        return {
            "run": job.run_id,
            "target": f"pipeline:{job.pipeline}",
            "state": job.state,
            "name": job.pipeline,
            "experiment": None,
            "pipeline": job.to_json(),
        }
    return {
        "run": job.run_id,
        "target": job.target,
        "state": job.state,
        "name": job.name,
        "experiment": job.experiment,
    }


def retrain_text(job: JobInfo | PipelineRunInfo) -> str:
    return job.run_id


def score_document(s: ModelScore) -> dict[str, Any]:
    return {
        "model": s.model,
        "version": s.version,
        "aliases": list(s.aliases),
        "window": s.window,
        "metrics": dict(s.metrics),
        "run": s.run_id,
        "alert": s.alert_id,
        "problem": s.problem,
    }


def scores_document(scores: list[ModelScore]) -> list[dict[str, Any]]:
    """The champion first, then the challengers, newest first."""
    return [score_document(s) for s in scores]


def scores_text(scores: list[ModelScore]) -> str:
    if not scores:
        return "No model to score."
    lines = []
    for s in scores:
        who = f"{s.model}:{s.version}" + (f" ({', '.join(s.aliases)})" if s.aliases else "")
        if s.problem:
            lines.append(f"{who}\t{s.problem}")
            continue
        metrics = "  ".join(f"{k} {v:.4f}" for k, v in sorted(s.metrics.items()))
        origin = f"\trun {s.run_id[:12]}" if s.run_id else ""
        alert = f" alert {s.alert_id}" if s.alert_id is not None else ""
        lines.append(f"{who}\twindow {s.window}\t{metrics}{origin}{alert}")
    return "\n".join(lines)


def promoted_document(promoted: tuple[str, str, ModelVersion]) -> dict[str, Any]:
    """``{monitor, model, version, alias}`` after the alias moved."""
    monitor, alias, version = promoted
    return {"monitor": monitor, "model": version.name, "version": version.version, "alias": alias}


def promoted_text(promoted: tuple[str, str, ModelVersion]) -> str:
    monitor, alias, version = promoted
    return f"{version.name}@{alias} is now version {version.version} (monitor {monitor})"
