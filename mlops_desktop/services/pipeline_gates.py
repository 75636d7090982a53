"""The ``register`` gate of a pipeline: judge a stage's model, register it, promote it.

:func:`evaluate_gate` compares the stage's metrics with the model's champion and, when every
condition holds, registers the out as a new version with the gate's alias ("challenger"); with
``promote: auto`` it moves the champion alias itself, else the result waits for a person.
:func:`approve` and :func:`reject` (:mod:`~mlops_desktop.services.gate_decisions`) are that
person's answer. Everything goes through the
:class:`~mlops_desktop.services.models.ModelService`, so every alias move is in the registry's
audit trail; persisting the :class:`GateResult` is the pipeline service's job.

A version a gate registers carries tags ``pipeline``, ``pipeline_run``, ``pipeline.stage``,
``pipeline.champion`` (the champion version it was compared with, or "none") and
``metrics.<key>`` for every metric the gate read, so the next gate finds the champion's values
even when the run that made it is gone.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.core.models import ModelVersion
from mlops_desktop.core.pipelines import GateResult, RegisterGate
from mlops_desktop.pipelines.conditions import Condition, check_gate, evaluate, find_metric
from mlops_desktop.pipelines.metrics_files import collect_metrics
from mlops_desktop.services.gate_decisions import (
    CHAMPION_AT_GATE_TAG,
    aliased,
    approve,
    reject,
    version_ref,
)
from mlops_desktop.services.models import ModelService, local_user
from mlops_desktop.tracking.validate import tag_key_problem

__all__ = ["approve", "collect_metrics", "evaluate_gate", "reject"]

METRIC_TAG = "metrics."


def evaluate_gate(
    models: ModelService,
    gate: RegisterGate,
    metrics: Mapping[str, float],
    model_file: Path,
    run_id: str | None,
    pipeline_run_id: str,
    stage: str,
    *,
    pipeline: str = "",
) -> GateResult:
    """Judge ``metrics`` by ``gate.when``; register ``model_file`` when every condition holds.

    Args:
        metrics: the stage's metrics (:func:`collect_metrics`).
        model_file: the out named by ``gate.out`` (a file or a folder) on this machine.
        run_id: the run that made the model (the version links to it), or None.
        pipeline: the pipeline's name, for the version's tags and description.

    Returns:
        The result, with one evidence line per condition between a line on the champion and
        one on the outcome. A refused model registers nothing.

    Raises:
        PipelineError: the gate is malformed (see :func:`check_gate`).
        ModelError, RunNotFound: registering was refused (nothing was registered).
    """
    conditions = check_gate(gate, stage)
    champion = aliased(models, gate.model, gate.champion_alias)
    evidence: list[str] = []
    champion_values: dict[str, float] | None = None
    if any(c.names_champion for c in conditions):
        if champion is None:
            evidence.append(
                f"no champion yet: {gate.model} has no version with alias {gate.champion_alias!r}"
            )
        else:
            keys = [k for c in conditions for k in c.champion_keys()]
            champion_values, source = champion_metrics(models, champion, keys)
            evidence.append(f"champion {version_ref(champion)} (metrics from {source})")
    if not conditions:
        evidence.append("no conditions: every model passes")
    checks: list[tuple[str, bool]] = []
    for cond in conditions:
        ok, line = evaluate(cond, metrics, champion_values)
        if champion is not None and ", the champion has no metric " in line:
            key = line.rsplit(" ", 1)[-1]
            line += (
                f"; tag it with this metric (`models tag {version_ref(champion)} "
                f"{METRIC_TAG}{key}=VALUE`) to compare with it"
            )
        checks.append((line, ok))
        evidence.append(line)
    holds = [ok for _, ok in checks]
    result = GateResult(
        pipeline_run_id=pipeline_run_id,
        stage=stage,
        model=gate.model,
        passed=all(holds),
        evidence=(),
        alias=gate.alias,
        metrics={k: float(v) for k, v in metrics.items()},
        checks=tuple(checks),
    )
    if not result.passed:
        failed = holds.count(False)
        evidence.append(
            f"refused: {failed} of {len(holds)} conditions failed; nothing was registered"
        )
        return replace(result, evidence=tuple(evidence))
    tags = _version_tags(conditions, metrics, pipeline, pipeline_run_id, stage, champion)
    what = f"pipeline {pipeline}" if pipeline else "a pipeline"
    description = (
        f"Registered by the gate of stage {stage} of {what} (run {pipeline_run_id}).\n\n"
        + "\n".join(f"- {line}" for line in evidence)
    )
    version = models.register(
        gate.model, run_id=run_id, path=model_file, description=description, tags=tags
    )
    note = {"pipeline_run": pipeline_run_id, "stage": stage}
    if gate.promote == "auto":
        models.set_alias(gate.model, version.version, gate.champion_alias, {**note, "gate": "auto"})
        evidence.append(
            f"passed: registered {version_ref(version)} and made it {gate.champion_alias} "
            "(promote: auto)"
        )
        return replace(
            result,
            evidence=tuple(evidence),
            version=version.version,
            alias=gate.champion_alias,
            approval="auto",
            decided_by=local_user(),
            decided_at=time.time(),
        )
    models.set_alias(gate.model, version.version, gate.alias, note)
    evidence.append(
        f"passed: registered {version_ref(version)} with alias {gate.alias}; waiting for a person "
        f"to approve it as {gate.champion_alias}"
    )
    return replace(result, evidence=tuple(evidence), version=version.version, approval="waiting")


def champion_metrics(
    models: ModelService, champion: ModelVersion, keys: list[str]
) -> tuple[dict[str, float], str]:
    """The champion's values of ``keys``: its ``metrics.<key>`` tags, else its source run's
    last values; and where they came from ("its tags", "its run 1a2b3c4d", "none")."""
    tagged = {}
    for tag, text in champion.tags.items():
        if tag.startswith(METRIC_TAG):
            try:
                tagged[tag[len(METRIC_TAG) :]] = float(text)
            except ValueError:
                continue
    values: dict[str, float] = {}
    sources: list[str] = []
    for key in keys:
        found = find_metric(tagged, key)
        if found is not None:
            values[key] = found
            if "its tags" not in sources:
                sources.append("its tags")
    missing = [k for k in keys if k not in values]
    if missing and champion.run_id:
        run_metrics = _run_metrics(models, champion)
        for key in missing:
            found = find_metric(run_metrics, key)
            if found is not None:
                values[key] = found
                source = f"its run {champion.run_id[:8]}"
                if source not in sources:
                    sources.append(source)
    wanted = ", ".join(dict.fromkeys(keys))
    return values, " and ".join(sources) or f"nowhere: no tag or run of it has {wanted}"


def _run_metrics(models: ModelService, version: ModelVersion) -> dict[str, float]:
    try:
        run = models.card(f"{version.name}:{version.version}").run
    except UserFacingError:
        return {}
    return dict(getattr(run, "metrics", None) or {})


def _version_tags(
    conditions: tuple[Condition, ...],
    metrics: Mapping[str, float],
    pipeline: str,
    pipeline_run_id: str,
    stage: str,
    champion: ModelVersion | None,
) -> dict[str, str]:
    tags = {
        "pipeline_run": pipeline_run_id,
        "pipeline.stage": stage,
        CHAMPION_AT_GATE_TAG: str(champion.version) if champion else "none",
    }
    if pipeline:
        tags["pipeline"] = pipeline
    for cond in conditions:
        for key in (*cond.metric_keys(), *cond.champion_keys()):
            value = find_metric(metrics, key)
            if value is not None and tag_key_problem(METRIC_TAG + key) is None:
                tags[METRIC_TAG + key] = repr(value)
    return tags
