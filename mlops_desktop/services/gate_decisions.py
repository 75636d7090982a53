"""A person's answer to a ``register`` gate that waits: :func:`approve` moves the champion
alias to the version the gate registered, :func:`reject` refuses it. Both go through the
:class:`~mlops_desktop.services.models.ModelService`, so every alias move is audited, and both
return the gate's result with a line of evidence added; persisting it is the caller's job.
"""

from __future__ import annotations

import time
from dataclasses import replace

from mlops_desktop.core.errors import ModelNotFound, PipelineError
from mlops_desktop.core.models import ModelVersion
from mlops_desktop.core.pipelines import GateResult
from mlops_desktop.services.models import ModelService, local_user

__all__ = ["APPROVAL_TAG", "CHAMPION_AT_GATE_TAG", "aliased", "approve", "reject", "version_ref"]

APPROVAL_TAG = "pipeline.approval"
CHAMPION_AT_GATE_TAG = "pipeline.champion"


def approve(
    models: ModelService,
    result: GateResult,
    by: str | None = None,
    *,
    champion_alias: str = "champion",
) -> GateResult:
    """Move the champion alias to the version ``result`` registered: a person said so.

    The person approved THIS version, so it becomes champion even when a newer run has
    taken the challenger alias since, or the champion moved since the gate compared them;
    the evidence then says so (a "note:" line). The challenger alias is removed from the
    version when it is still on it (it is no longer a challenger).

    Raises:
        PipelineError: the gate refused the model, it was already approved or rejected, or its
            version was deleted or archived since (nothing moved).
    """
    version = _decidable(models, result, "approve")
    if version is None:
        raise PipelineError(
            f"{result.model}:{result.version} no longer exists (deleted since the gate of "
            f"stage {result.stage} registered it); nothing was moved."
        )
    if version.archived:
        raise PipelineError(
            f"{version_ref(version)} is archived; unarchive it first "
            f"(`models archive {version_ref(version)} --undo`) to approve it as champion."
        )
    by = by or local_user()
    notes = _drift_notes(models, result, version, champion_alias)
    note = {
        "pipeline_run": result.pipeline_run_id,
        "stage": result.stage,
        "approved_by": by,
    }
    models.set_alias(result.model, version.version, champion_alias, note)
    if result.alias in version.aliases and result.alias != champion_alias:
        models.remove_alias(result.model, result.alias, note)
    models.set_tag(result.model, version.version, APPROVAL_TAG, f"approved by {by}")
    line = f"approved by {by}: {version_ref(version)} is now {champion_alias}"
    return replace(
        result,
        approval="approved",
        decided_by=by,
        decided_at=time.time(),
        evidence=(*result.evidence, *notes, line),
    )


def reject(
    models: ModelService,
    result: GateResult,
    by: str | None = None,
    *,
    champion_alias: str = "champion",
) -> GateResult:
    """Refuse the version ``result`` registered: it loses the challenger alias when it still
    has it, and its tag ``pipeline.approval`` says who refused it. The champion stays.

    Raises:
        PipelineError: the gate refused the model itself, or it was approved or rejected.
    """
    version = _decidable(models, result, "reject")
    by = by or local_user()
    line = f"rejected by {by}"
    if version is None:
        line += f"; {result.model}:{result.version} had been deleted already"
    else:
        note = {"pipeline_run": result.pipeline_run_id, "stage": result.stage, "rejected_by": by}
        if result.alias in version.aliases and result.alias != champion_alias:
            models.remove_alias(result.model, result.alias, note)
            line += f": alias {result.alias} removed from {version_ref(version)}"
        models.set_tag(result.model, version.version, APPROVAL_TAG, f"rejected by {by}")
    return replace(
        result,
        approval="rejected",
        decided_by=by,
        decided_at=time.time(),
        evidence=(*result.evidence, line),
    )


def _decidable(models: ModelService, result: GateResult, verb: str) -> ModelVersion | None:
    """The version a person may now approve or reject (None: deleted since)."""
    where = f"the gate of stage {result.stage} in pipeline run {result.pipeline_run_id[:8]}"
    if not result.passed or result.version is None:
        raise PipelineError(
            f"{where} refused the model of {result.model}, so there is nothing to {verb}; "
            "run the pipeline again once a better model is trained."
        )
    if result.approval in ("approved", "auto"):
        who = f" by {result.decided_by}" if result.decided_by else ""
        raise PipelineError(
            f"{result.model}:{result.version} of {where} was promoted already{who}; to undo "
            f"it, move the alias back with `models alias {result.model} VERSION champion`."
        )
    if result.approval == "rejected":
        raise PipelineError(
            f"{result.model}:{result.version} of {where} was rejected by "
            f"{result.decided_by or 'someone'}; to promote it anyway, use "
            f"`models alias {result.model} {result.version} champion`."
        )
    try:
        return models.get(f"{result.model}:{result.version}")
    except ModelNotFound:
        return None


def _drift_notes(
    models: ModelService, result: GateResult, version: ModelVersion, champion_alias: str
) -> list[str]:
    """What changed since the gate: the challenger or the champion moved (one line each)."""
    notes = []
    if result.alias != champion_alias and result.alias not in version.aliases:
        holder = aliased(models, result.model, result.alias)
        where = f"is on {version_ref(holder)}" if holder else "is set on no version"
        notes.append(
            f"note: alias {result.alias} {where} now; {version_ref(version)} was approved as asked"
        )
    at_gate = version.tags.get(CHAMPION_AT_GATE_TAG)
    champion = aliased(models, result.model, champion_alias)
    now_text = str(champion.version) if champion else "none"
    if at_gate is not None and at_gate != now_text:
        then = f"{result.model}:{at_gate}" if at_gate != "none" else "no champion"
        now = version_ref(champion) if champion else "no champion"
        notes.append(
            f"note: the champion moved since the gate compared with {then} (now {now}); "
            f"{version_ref(version)} was approved as asked, without comparing it again"
        )
    return notes


def aliased(models: ModelService, name: str, alias: str) -> ModelVersion | None:
    try:
        return models.get(f"{name}@{alias}")
    except ModelNotFound:
        return None


def version_ref(version: ModelVersion | None) -> str:
    return f"{version.name}:{version.version}" if version else "none"
