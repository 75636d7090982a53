"""A monitor that retrains through a pipeline: its retrain command is ``pipeline:NAME`` (or
``pipeline:PATH``, relative to the retrain spec's workdir).

"Retrain" (the button, ``monitors retrain``, or the monitor's own ``auto_retrain`` on a new
alert) then starts the pipeline through the
:class:`~mlops_desktop.services.pipeline_triggers.PipelineTriggerService` as a trigger of kind
"monitor", deduplicated on the alert (``PIPELINE:alert:ID``): an alert starts one pipeline run,
whichever desktop or path heard it first. The alert records the pipeline run (its parent run)
as its retrain run; the pipeline's register gate, not the monitor, registers the challenger.
"""

from __future__ import annotations

from typing import Any

from mlops_desktop.catalog import pipeline_repo
from mlops_desktop.core.drift import Alert, MonitorInfo
from mlops_desktop.core.errors import MonitorError
from mlops_desktop.core.pipelines import PipelineRunInfo
from mlops_desktop.services.pipeline_triggers import alert_detail, alert_key, retrain_pipeline


def retrain_pipeline_of(info: MonitorInfo) -> str | None:
    """The pipeline (name or path) the monitor's retrain command names, else None."""
    return retrain_pipeline(info.retrain)


def retrain_through_pipeline(
    monitors: Any, info: MonitorInfo, ref: str, alert: Alert | None
) -> PipelineRunInfo:
    """Start pipeline ``ref`` for the monitor's ``alert`` (or a retrain with no alert);
    returns the pipeline run (ended, when the runner runs it to its end before returning).

    Raises:
        MonitorError: no trigger service here, the alert started the pipeline already (or a
            run of it is going), or the run could not start (the sentence says why).
        PipelineError: ``ref`` names no pipeline the catalog knows and no pipeline file.
    """
    triggers = getattr(monitors, "pipeline_triggers", None)
    if triggers is None:
        raise MonitorError(
            f"Monitor {info.name!r} retrains through pipeline {ref!r}, but pipelines cannot "
            "be started here; open the catalog with the app or `mlops-desktop monitors`."
        )
    workdir = info.retrain.workdir if info.retrain is not None else None
    pipeline = triggers.pipeline_named(ref, workdir)
    if alert is not None:
        detail, key = alert_detail(info.name, alert.id), alert_key(pipeline, alert.id)
    else:
        detail, key = f"retrain of {info.name}", None
    event = triggers.fire(pipeline, "monitor", detail, key)
    if event is None:
        what = f"Alert {alert.id} of {info.name!r}" if alert is not None else "This retrain"
        raise MonitorError(
            f"{what} did not start pipeline {pipeline}: the alert started it already or a run "
            f"of it is going; `pipelines triggers {pipeline}` shows what each trigger started."
        )
    if event.pipeline_run_id is None:
        raise MonitorError(f"Pipeline {pipeline} did not start: {event.outcome}.")
    if alert is not None:
        monitors.record_retrain(alert.id, event.pipeline_run_id)
    with monitors.catalog.session_scope() as s:
        run = pipeline_repo.get_pipeline_run(s, event.pipeline_run_id)
    if run is None:  # pragma: no cover - the trigger service recorded it
        raise MonitorError(f"Pipeline run {event.pipeline_run_id} of {pipeline} is gone.")
    return run
